//! Graph-level type and shape inference: runs each op's rule in topological order.

use crate::{ops, Dim, Graph, IrError, NodeId, Op, TensorType};

/// Output types of node `id` from its current input types and constant inputs.
/// Unknown sizes come back as `Dim::Sym("?")`.
pub fn infer_node(g: &Graph, id: NodeId) -> Result<Vec<TensorType>, IrError> {
    let node = g.node(id);
    if matches!(node.op, Op::Input) {
        return Ok(node.outputs.clone());
    }
    let ins = g.node_inputs(id);
    let types: Vec<Option<&TensorType>> = ins.iter().map(|v| v.map(|v| g.value_type(v))).collect();
    let consts: Vec<Option<&crate::Tensor>> = ins.iter().map(|v| v.and_then(|v| g.const_value(v)).map(|t| &**t)).collect();
    ops::infer(&node.op, &types, &consts).map_err(|e| e.at(&node.name, node.op.name()))
}

/// Names unknown dims (`?`) with fresh symbols `?N`, unique in the graph.
pub struct FreshDims {
    next: usize,
}

impl FreshDims {
    pub fn for_graph(g: &Graph) -> Self {
        let mut next = 0;
        for id in g.node_ids() {
            for t in &g.node(id).outputs {
                for d in &t.dims {
                    if let Dim::Sym(s) = d {
                        if let Some(n) = s.strip_prefix('?').and_then(|n| n.parse::<usize>().ok()) {
                            next = next.max(n + 1);
                        }
                    }
                }
            }
        }
        FreshDims { next }
    }

    pub fn name(&mut self, types: &mut [TensorType]) {
        for t in types {
            for d in &mut t.dims {
                if matches!(d, Dim::Sym(s) if s == "?") {
                    *d = Dim::Sym(format!("?{}", self.next));
                    self.next += 1;
                }
            }
        }
    }
}

/// Re-infer the output types of every node, in topological order.
pub fn infer_graph(g: &mut Graph) -> Result<(), IrError> {
    let mut fresh = FreshDims::for_graph(g);
    for id in g.topo_order()? {
        if matches!(g.node(id).op, Op::Input) {
            continue;
        }
        let mut types = infer_node(g, id)?;
        let node = g.node(id);
        if let Op::Split { num_outputs, .. } = node.op {
            if types.len() != num_outputs {
                return Err(IrError::Node {
                    node: node.name.clone(),
                    op: node.op.name().into(),
                    msg: format!("inference gave {} outputs, the node has {num_outputs}", types.len()),
                });
            }
        }
        // Keep names already given to unknown dims when inference still cannot do better.
        for (new, old) in types.iter_mut().zip(&node.outputs) {
            if new.rank() == old.rank() {
                for (nd, od) in new.dims.iter_mut().zip(&old.dims) {
                    if matches!(nd, Dim::Sym(s) if s == "?") && matches!(od, Dim::Sym(_)) {
                        *nd = od.clone();
                    }
                }
            }
        }
        fresh.name(&mut types);
        // A node may declare fewer outputs than the op can produce (optional outputs not used).
        let keep = node.outputs.len().max(1).min(types.len());
        types.truncate(if node.outputs.is_empty() { types.len() } else { keep });
        g.node_mut(id).outputs = types;
    }
    Ok(())
}
