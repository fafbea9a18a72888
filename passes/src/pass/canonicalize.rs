//! `canonicalize`: layout and no-op clean-ups that are sound by construction.
//!
//! Removed (uses read the input instead): Cast to the same dtype, Transpose by the identity, a
//! one-input Concat; and, when input and output have the same static type, Reshape/Squeeze/
//! Unsqueeze/Flatten, Expand/Tile, and Slice with unit steps.
//! Merged: a chain of reshape-like ops (Reshape, Squeeze, Unsqueeze, Flatten: all keep the
//! row-major element order) becomes one Reshape to the final static shape, so Unsqueeze then
//! Squeeze of the same axis disappears; Transpose of a Transpose becomes one Transpose (or
//! nothing, when the permutations cancel). Nodes a rewrite leaves unused (the inner reshape,
//! shape constants) are removed with it; other dead code is `dce`'s job. Algebraic rewrites
//! belong to the e-graph optimizer.

use super::Pass;
use crate::rewrite::{const_i64s, erase_dead, reinfer, replace_node};
use crate::{PassContext, PassError, PassStats};
use ir::{Graph, NodeId, Op, Tensor, ValueId};
use std::sync::Arc;

pub struct Canonicalize;

/// Sweeps in topological order until nothing changes (one sweep normally suffices: a node's
/// producers are already canonical when it is visited); the cap only guards against a rule
/// undoing another.
const MAX_SWEEPS: usize = 8;

impl Pass for Canonicalize {
    fn name(&self) -> &'static str {
        "canonicalize"
    }

    fn description(&self) -> &'static str {
        "remove no-op casts/transposes/reshapes/expands, merge reshape chains and transpose pairs"
    }

    fn run(&self, g: &mut Graph, _cx: &PassContext) -> Result<PassStats, PassError> {
        let mut stats = PassStats::new();
        for _ in 0..MAX_SWEEPS {
            let mut changed = false;
            for id in g.topo_order().map_err(|e| PassError::ir(self.name(), e))? {
                if !g.contains(id) {
                    continue;
                }
                let producers: Vec<NodeId> = g.node_inputs(id).into_iter().flatten().map(|v| v.node).collect();
                let mut rewrote = false;
                if let Some(what) = merge_chain(g, id) {
                    stats.add(what, 1);
                    rewrote = true;
                }
                if let Some((what, x)) = g.contains(id).then(|| noop_input(g, id)).flatten() {
                    replace_node(g, id, &[x]);
                    stats.add(what, 1);
                    rewrote = true;
                }
                if rewrote {
                    changed = true;
                    // What the rewrite bypassed (the inner reshape, shape constants) goes now.
                    stats.add("removed", erase_dead(g, producers));
                }
            }
            if !changed {
                break;
            }
        }
        if stats.changed() {
            reinfer(g, self.name())?;
        }
        Ok(stats)
    }
}

fn is_reshape_like(op: &Op) -> bool {
    matches!(op, Op::Reshape { .. } | Op::Squeeze | Op::Unsqueeze | Op::Flatten { .. })
}

/// If node `id` computes its input 0 unchanged, the counter name and that input.
fn noop_input(g: &Graph, id: NodeId) -> Option<(&'static str, ValueId)> {
    let node = g.node(id);
    if node.outputs.len() != 1 {
        return None;
    }
    let ins = g.node_inputs(id);
    let x = (*ins.first()?)?;
    let (xt, yt) = (g.value_type(x), &node.outputs[0]);
    let same_static_type = xt == yt && xt.is_static();
    let what = match &node.op {
        // These three are no-ops whatever the shapes (dims named differently are still equal).
        Op::Cast { to, .. } if *to == xt.dtype => "no-op cast",
        Op::Transpose { perm } if perm.iter().enumerate().all(|(i, &p)| i == p) => "no-op transpose",
        op if is_reshape_like(op) && same_static_type => "no-op reshape",
        Op::Expand | Op::Tile if same_static_type => "no-op expand/tile",
        Op::Concat { .. } if ins.len() == 1 => "no-op concat",
        Op::Slice if same_static_type && unit_steps(g, &ins) => "no-op slice",
        _ => return None,
    };
    Some((what, x))
}

/// Slice steps absent or all 1 (then an unchanged shape means the whole input is taken).
fn unit_steps(g: &Graph, ins: &[Option<ValueId>]) -> bool {
    match ins.get(4).copied().flatten() {
        None => true,
        Some(v) => const_i64s(g, Some(v)).is_some_and(|s| s.iter().all(|&x| x == 1)),
    }
}

/// Fold node `id` into its producer when both are reshape-like or both are transposes.
fn merge_chain(g: &mut Graph, id: NodeId) -> Option<&'static str> {
    let x = g.node_inputs(id).first().copied().flatten()?;
    let producer = g.node(x.node);
    if producer.outputs.len() != 1 {
        return None;
    }
    let src = g.node_inputs(x.node).first().copied().flatten()?;
    match (&g.node(id).op, &producer.op) {
        (a, b) if is_reshape_like(a) && is_reshape_like(b) => {
            let shape = g.node(id).outputs[0].static_shape()?;
            if g.value_type(src).static_shape().as_ref() == Some(&shape) {
                // The chain ends where it started: read the source directly.
                g.replace_uses(ValueId::new(id, 0), src);
                g.remove_node(id);
                return Some("no-op reshape");
            }
            let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
            // With allowzero = false a 0 in the shape would copy the input's dim.
            let allowzero = shape.contains(&0);
            let name = g.fresh_name(&format!("{}.shape", g.node(id).name));
            let shape_const = g.add_const(name, Arc::new(Tensor::from_vec(&[dims.len()], dims).ok()?));
            g.set_input(id, 0, Some(src));
            g.set_input(id, 1, Some(shape_const));
            let n = g.node_mut(id);
            n.op = Op::Reshape { allowzero };
            n.num_inputs = 2;
            Some("merged reshape")
        }
        (Op::Transpose { perm: outer }, Op::Transpose { perm: inner }) if outer.len() == inner.len() => {
            // y[i] = t[outer[i]] and t[j] = x[inner[j]], so y[i] = x[inner[outer[i]]].
            let perm: Option<Vec<usize>> = outer.iter().map(|&o| inner.get(o).copied()).collect();
            let perm = perm?;
            g.set_input(id, 0, Some(src));
            g.node_mut(id).op = Op::Transpose { perm };
            Some("merged transpose")
        }
        _ => None,
    }
}
