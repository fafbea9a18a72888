//! Small graph-editing helpers shared by the passes.

use crate::PassError;
use ir::{Graph, NodeId, ValueId};

/// Point every use of each output of `id` at the matching value of `with` (graph outputs
/// included), then remove `id`. `with` must have one value per output of `id`.
pub fn replace_node(g: &mut Graph, id: NodeId, with: &[ValueId]) {
    debug_assert_eq!(with.len(), g.node(id).outputs.len());
    for (port, &v) in with.iter().enumerate() {
        g.replace_uses(ValueId::new(id, port as u32), v);
    }
    g.remove_node(id);
}

/// Re-run type inference over the whole graph after a rewrite (values downstream of a change
/// may have become more precisely typed, e.g. static where they were symbolic).
pub fn reinfer(g: &mut Graph, pass: &str) -> Result<(), PassError> {
    ir::infer::infer_graph(g).map_err(|e| PassError::ir(pass, e))
}

/// The constant i64 values behind `v`, if it is an integer constant.
pub fn const_i64s(g: &Graph, v: Option<ValueId>) -> Option<Vec<i64>> {
    let t = g.const_value(v?)?;
    t.dtype().is_int().then(|| t.to_i64_vec())
}

/// Remove the nodes among `candidates` that nothing reads any more, then their producers that
/// became unused in turn (graph inputs are kept). Returns how many nodes were removed.
pub fn erase_dead(g: &mut Graph, candidates: impl IntoIterator<Item = NodeId>) -> usize {
    let mut work: Vec<NodeId> = candidates.into_iter().collect();
    let mut removed = 0;
    while let Some(id) = work.pop() {
        if !g.contains(id) || g.inputs().contains(&id) {
            continue;
        }
        let used = (0..g.node(id).outputs.len() as u32).any(|p| {
            let v = ValueId::new(id, p);
            !g.users(v).is_empty() || g.is_output(v)
        });
        if used {
            continue;
        }
        work.extend(g.node_inputs(id).into_iter().flatten().map(|v| v.node));
        g.remove_node(id);
        removed += 1;
    }
    removed
}
