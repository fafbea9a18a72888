//! Summaries of a graph for people: the op histogram and what each fused node contains
//! (`edgec inspect --optimized`).

use ir::{FusedExpr, FusedStep, Graph, Op};
use std::collections::BTreeMap;

/// How many nodes of each op (text-form spelling: `matmul`, `unary.relu`), graph inputs and
/// constants included.
pub fn op_histogram(g: &Graph) -> BTreeMap<String, usize> {
    let mut h = BTreeMap::new();
    for id in g.node_ids() {
        *h.entry(ir::text::op_name(&g.node(id).op)).or_default() += 1;
    }
    h
}

/// A fused node and the ops inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FusedNode {
    pub node: String,
    /// `fused`, `matmul_fused`, `conv_fused`.
    pub op: String,
    /// The ops it computes, in order: the anchor (`matmul`, `conv`) then the epilogue steps.
    pub inner: Vec<String>,
}

/// Every fused node of `g`, in topological order (node order if the graph has a cycle).
pub fn fused_nodes(g: &Graph) -> Vec<FusedNode> {
    let order = g.topo_order().unwrap_or_else(|_| g.node_ids());
    let mut out = Vec::new();
    for id in order {
        let n = g.node(id);
        let (anchor, expr) = match &n.op {
            Op::Fused(e) => (None, e),
            Op::MatMulFused { epilogue, .. } => (Some("matmul"), epilogue),
            Op::ConvFused { epilogue, .. } => (Some("conv"), epilogue),
            _ => continue,
        };
        let mut inner: Vec<String> = anchor.map(str::to_string).into_iter().collect();
        inner.extend(step_names(expr));
        out.push(FusedNode { node: n.name.clone(), op: n.op.name().to_string(), inner });
    }
    out
}

fn step_names(e: &FusedExpr) -> Vec<String> {
    e.steps
        .iter()
        .map(|s| match s {
            FusedStep::Unary(u, _) => ir::text::op_name(&Op::Unary(u.clone())),
            FusedStep::Binary(b, _, _) => ir::text::op_name(&Op::Binary(b.clone())),
            FusedStep::Where(..) => "where".to_string(),
            FusedStep::Cast(to, _) => format!("cast.{}", to.name()),
        })
        .collect()
}
