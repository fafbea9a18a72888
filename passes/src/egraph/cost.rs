//! The extraction cost: the roofline time of each kernel on the target device
//! (`targets::Profile::time_seconds`). A kernel pays for the bytes it reads and writes, its
//! arithmetic at the device's peak for its dtype, and one launch. A fused kernel reads its
//! inputs and writes its output once, so it saves the traffic (and launches) of the
//! intermediates it no longer materializes. Reshape-like ops alias their input and cost
//! (almost) nothing; compile-time meta functions cannot be extracted.

use super::analysis::{decode_node, EG};
use super::lang::{EOp, TNode};
use egg::{CostFunction, Id};
use ir::{DType, Dim, FusedStep, Op, TensorType, UnaryOp};
use std::collections::{HashMap, HashSet};
use targets::{OpCost, PeakKind, Profile};

/// What a node costs when nothing can compute it.
pub const INFEASIBLE: f64 = f64::INFINITY;
/// Reshape-like ops and literals: nearly free, but fewer is better.
const ALIAS: f64 = 1e-12;
/// Size assumed for a symbolic dim.
const SYM_DIM: f64 = 64.0;

fn elements(t: &TensorType) -> f64 {
    t.dims.iter().map(|d| if let Dim::Static(n) = d { *n as f64 } else { SYM_DIM }).product()
}

fn bytes(t: &TensorType) -> f64 {
    elements(t) * t.dtype.bits() as f64 / 8.0
}

fn static_dim(t: &TensorType, i: usize) -> f64 {
    match t.dims.get(i) {
        Some(Dim::Static(n)) => *n as f64,
        Some(Dim::Sym(_)) => SYM_DIM,
        None => 1.0,
    }
}

/// Arithmetic per element of a unary op (transcendentals cost more than an add).
fn unary_weight(u: &UnaryOp) -> f64 {
    use UnaryOp::*;
    match u {
        Exp | Log | Tanh | Sigmoid | Erf | Sin | Cos | Tan | Asin | Acos | Atan | Sinh | Cosh | Asinh | Acosh
        | Atanh | Softplus | Mish | Elu { .. } | Selu { .. } | Celu { .. } | Swish { .. } | Gelu { .. } => 8.0,
        Sqrt | Reciprocal | Softsign | HardSwish | HardSigmoid { .. } => 4.0,
        _ => 1.0,
    }
}

fn expr_weight(steps: &[FusedStep]) -> f64 {
    steps
        .iter()
        .map(|s| match s {
            FusedStep::Unary(u, _) => unary_weight(u),
            FusedStep::Binary(ir::BinaryOp::Pow, ..) => 8.0,
            FusedStep::Binary(ir::BinaryOp::Div, ..) => 4.0,
            _ => 1.0,
        })
        .sum()
}

fn peak_kind(d: DType) -> PeakKind {
    match d {
        DType::F16 => PeakKind::F16,
        DType::BF16 => PeakKind::Bf16,
        DType::I8 | DType::U8 => PeakKind::Int8Dot,
        _ => PeakKind::F32,
    }
}

/// Arithmetic of one kernel.
fn flops(op: &Op, ins: &[&TensorType], out: &TensorType) -> f64 {
    let n = elements(out);
    let matmul = |ta: bool| -> f64 {
        let a = ins[0];
        let k = if a.rank() < 2 { static_dim(a, 0) } else { static_dim(a, a.rank() - if ta { 2 } else { 1 }) };
        2.0 * n * k
    };
    let conv = || -> f64 {
        let w = ins.get(1).map_or(1.0, |w| elements(w) / static_dim(w, 0).max(1.0));
        2.0 * n * w
    };
    match op {
        Op::MatMul { trans_a, .. } => matmul(*trans_a),
        Op::MatMulFused { trans_a, epilogue, .. } => matmul(*trans_a) + n * expr_weight(&epilogue.steps),
        Op::Conv(_) | Op::ConvTranspose(_) => conv(),
        Op::ConvFused { epilogue, .. } => conv() + n * expr_weight(&epilogue.steps),
        Op::Attention(_) => {
            let (q, k) = (ins[0], ins[1]);
            let scores = static_dim(q, 0) * static_dim(q, 1) * static_dim(q, 2) * static_dim(k, 2);
            scores * (2.0 * static_dim(q, 3) + 2.0 * static_dim(out, 3) + 5.0)
        }
        Op::Unary(u) => n * unary_weight(u),
        Op::Fused(e) => n * expr_weight(&e.steps),
        Op::Softmax { .. } => 5.0 * n,
        Op::LayerNorm { .. } | Op::RmsNorm { .. } | Op::BatchNorm { .. } | Op::InstanceNorm { .. } | Op::GroupNorm { .. } => {
            8.0 * n
        }
        Op::Reduce { .. } => ins.first().map_or(n, |t| elements(t)),
        _ => n,
    }
}

/// The roofline time of one e-node's kernel, alone.
pub fn node_time(eg: &EG, profile: &Profile, n: &TNode) -> f64 {
    match &n.op {
        EOp::Input(_) | EOp::Const(_) | EOp::Absent | EOp::Get(_) => 0.0,
        EOp::Lit(_) => ALIAS,
        EOp::Meta(_) => INFEASIBLE,
        EOp::Ir(_) => {
            let Some((op, slots)) = decode_node(eg, n) else { return INFEASIBLE };
            if matches!(op, Op::Reshape { .. } | Op::Squeeze | Op::Unsqueeze | Op::Flatten { .. }) {
                return ALIAS;
            }
            let Some(class) = eg.lookup(n.clone()) else { return INFEASIBLE };
            let Some(outs) = eg[class].data.types.as_ref().filter(|t| !t.is_empty()) else { return INFEASIBLE };
            let mut ins: Vec<&TensorType> = Vec::new();
            let mut seen = HashSet::new();
            let mut read = 0.0;
            for s in slots.iter().flatten() {
                let Some(t) = eg[*s].data.ty() else { return INFEASIBLE };
                ins.push(t);
                if seen.insert(eg.find(*s)) {
                    read += bytes(t);
                }
            }
            let written: f64 = outs.iter().map(bytes).sum();
            let cost = OpCost {
                flops: flops(&op, &ins, &outs[0]),
                bytes: read + written,
                kind: peak_kind(outs[0].dtype),
                kernel_launches: 1,
            };
            profile.time_seconds(&cost)
        }
    }
}

/// Tree cost for egg's extractor: the node's time (precomputed) plus its children's.
pub struct RooflineCost<'a> {
    times: &'a HashMap<TNode, f64>,
}

impl<'a> RooflineCost<'a> {
    pub fn new(times: &'a HashMap<TNode, f64>) -> Self {
        RooflineCost { times }
    }
}

impl CostFunction<TNode> for RooflineCost<'_> {
    type Cost = f64;

    fn cost<C: FnMut(Id) -> f64>(&mut self, n: &TNode, mut costs: C) -> f64 {
        let own = self.times.get(n).copied().unwrap_or(INFEASIBLE);
        n.args.iter().fold(own, |acc, &c| acc + costs(c))
    }
}
