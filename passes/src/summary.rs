//! Summaries of a graph for people: the op histogram and what each fused node contains
//! (`edgec inspect --optimized`).

use ir::{FusedExpr, FusedStep, Graph, Op, UnaryOp};
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

/// A node of one of the composite ops the rules recognize from decomposed exports (attention,
/// the norms, GELU, SiLU/Swish, HardSwish).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompositeNode {
    pub node: String,
    /// Text-form op name: `attention`, `rms_norm`, `unary.gelu`, …
    pub op: String,
    /// What the node does, in a few words (`causal, 8 query / 2 kv heads, 64×64 per head`).
    pub detail: String,
}

/// Every composite-op node of `g` in topological order, including those inside fused
/// epilogues (GELU, SiLU), whose detail names the fused node.
pub fn composite_nodes(g: &Graph) -> Vec<CompositeNode> {
    let order = g.topo_order().unwrap_or_else(|_| g.node_ids());
    let mut out = Vec::new();
    for id in order {
        let n = g.node(id);
        let shape = |i: usize| g.node_inputs(id).get(i).copied().flatten().and_then(|v| g.value_type(v).static_shape());
        let detail = match &n.op {
            Op::Attention(a) => {
                let mask = if a.causal { "causal" } else if shape(3).is_some() { "masked" } else { "unmasked" };
                match (shape(0), shape(1)) {
                    (Some(q), Some(k)) if q.len() == 4 && k.len() == 4 => format!(
                        "{mask}, {} query / {} kv heads, {} queries × {} keys, head dim {}",
                        q[1], k[1], q[2], k[2], q[3]
                    ),
                    _ => mask.to_string(),
                }
            }
            Op::LayerNorm { axis, epsilon } | Op::RmsNorm { axis, epsilon } => format!("axes {axis}.., epsilon {:e}", epsilon.0),
            Op::Unary(u @ (UnaryOp::Gelu { .. } | UnaryOp::Swish { .. } | UnaryOp::HardSwish)) => format!("{u:?}"),
            Op::Fused(e) | Op::MatMulFused { epilogue: e, .. } | Op::ConvFused { epilogue: e, .. } => {
                for st in &e.steps {
                    if let FusedStep::Unary(u @ (UnaryOp::Gelu { .. } | UnaryOp::Swish { .. } | UnaryOp::HardSwish), _) = st {
                        out.push(CompositeNode {
                            node: n.name.clone(),
                            op: ir::text::op_name(&Op::Unary(u.clone())),
                            detail: format!("in the epilogue of {}", n.op.name()),
                        });
                    }
                }
                continue;
            }
            _ => continue,
        };
        out.push(CompositeNode { node: n.name.clone(), op: ir::text::op_name(&n.op), detail });
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
