//! The IR verifier: structural checks plus agreement of stored types with inference.

use crate::{infer::infer_node, Dim, Graph, IrError, Op, TensorType};
use std::collections::HashSet;

/// Check the graph: acyclic, unique node names, edges within slot counts, outputs valid, graph
/// inputs registered, and every node's stored output types agree with its inference rule.
pub fn verify(g: &Graph) -> Result<(), IrError> {
    let order = g.topo_order()?;
    let mut names = HashSet::new();
    for &id in &order {
        let n = g.node(id);
        if !names.insert(n.name.as_str()) {
            return Err(IrError::Graph(format!("two nodes are named `{}`", n.name)));
        }
        if matches!(n.op, Op::Input) != g.inputs().contains(&id) {
            return Err(IrError::Graph(format!("node `{}` is an input op but not a graph input (or the reverse)", n.name)));
        }
        for (v, slot) in g.input_edges(id) {
            if slot >= n.num_inputs {
                return Err(IrError::Graph(format!(
                    "node `{}` has an edge into slot {slot}, beyond its {} input slots",
                    n.name, n.num_inputs
                )));
            }
            let src = g.node(v.node);
            if v.port as usize >= src.outputs.len() {
                return Err(IrError::Graph(format!(
                    "node `{}` input {slot} reads output {} of `{}`, which has {} outputs",
                    n.name,
                    v.port,
                    src.name,
                    src.outputs.len()
                )));
            }
        }
        if matches!(n.op, Op::Input) {
            continue;
        }
        let inferred = infer_node(g, id)?;
        if inferred.len() < n.outputs.len() {
            return Err(IrError::Graph(format!(
                "node `{}` declares {} outputs but its op gives {}",
                n.name,
                n.outputs.len(),
                inferred.len()
            )));
        }
        for (i, (have, want)) in n.outputs.iter().zip(&inferred).enumerate() {
            if !compatible(have, want) {
                return Err(IrError::Graph(format!("node `{}` output {i} is typed {have} but infers to {want}", n.name)));
            }
        }
    }
    let mut out_names = HashSet::new();
    for (name, v) in g.outputs() {
        if !g.contains(v.node) || v.port as usize >= g.node(v.node).outputs.len() {
            return Err(IrError::Graph(format!("output `{name}` refers to a missing value")));
        }
        if !out_names.insert(name) {
            return Err(IrError::Graph(format!("two outputs are named `{name}`")));
        }
    }
    Ok(())
}

/// Same dtype and rank; static dims agree where both are static.
fn compatible(have: &TensorType, want: &TensorType) -> bool {
    have.dtype == want.dtype
        && have.rank() == want.rank()
        && have.dims.iter().zip(&want.dims).all(|(a, b)| match (a, b) {
            (Dim::Static(x), Dim::Static(y)) => x == y,
            _ => true,
        })
}
