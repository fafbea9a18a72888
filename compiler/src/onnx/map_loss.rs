//! ONNX loss functions decomposed into IR ops (as their ONNX function bodies define them):
//! NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (LogSoftmax over axis 1 + NLL).

use super::map::{Cx, Outs};
use super::ImportError;
use ir::{BinaryOp, Op, ReduceKind, SoftmaxKind, UnaryOp, ValueId};

pub fn map(cx: &mut Cx, op: &str) -> Option<Outs> {
    match op {
        "NegativeLogLikelihoodLoss" => Some(nll_node(cx)),
        "SoftmaxCrossEntropyLoss" => Some(sce_node(cx)),
        _ => None,
    }
}

fn nll_node(cx: &mut Cx) -> Outs {
    let ins = cx.inputs_upto(3)?;
    let x = cx.req(0, "input")?;
    let target = cx.req(1, "target")?;
    Ok(vec![nll(cx, x, target, ins[2])?])
}

fn sce_node(cx: &mut Cx) -> Outs {
    let ins = cx.inputs_upto(3)?;
    let x = cx.req(0, "scores")?;
    let target = cx.req(1, "labels")?;
    let log_prob = cx.aux1(Op::Softmax { kind: SoftmaxKind::LogSoftmax, axis: 1 }, &[Some(x)])?;
    let loss = nll(cx, log_prob, target, ins[2])?;
    Ok(vec![loss, log_prob])
}

/// loss[n, d…] = -x[n, target[n, d…], d…] · weight[target] (0 where target = ignore_index),
/// then reduced: none, sum, or mean (weighted: divided by the sum of the applied weights).
fn nll(cx: &mut Cx, x: ValueId, target: ValueId, weight: Option<ValueId>) -> Result<ValueId, ImportError> {
    let n = cx.n;
    let reduction = n.string_or("reduction", "mean")?;
    if !matches!(reduction.as_str(), "none" | "sum" | "mean") {
        return Err(n.invalid(format!("unknown reduction `{reduction}`")));
    }
    let ignore_index = n.int("ignore_index")?;
    let xt = cx.dtype(x)?;
    let tt = cx.dtype(target)?;
    if !tt.is_int() {
        return Err(n.invalid(format!("target must be an integer tensor, got {tt}")));
    }
    let bin = |b: BinaryOp| Op::Binary(b);
    // Ignored positions read class 0 (any valid class) and are zeroed afterwards.
    let (t, ignored) = match ignore_index {
        Some(ii) => {
            let iiv = cx.scalar("ignore_index", ii as f64, tt)?;
            let ign = cx.aux1(bin(BinaryOp::Equal), &[Some(target), Some(iiv)])?;
            let zero = cx.scalar("zero_index", 0.0, tt)?;
            (cx.aux1(Op::Where, &[Some(ign), Some(zero), Some(target)])?, Some(ign))
        }
        None => (target, None),
    };
    let axis1 = cx.i64s("axis1", &[1]);
    let idx = cx.aux1(Op::Unsqueeze, &[Some(t), Some(axis1)])?;
    let picked = cx.aux1(Op::GatherElements { axis: 1 }, &[Some(x), Some(idx)])?;
    let picked = cx.aux1(Op::Squeeze, &[Some(picked), Some(axis1)])?;
    let mut loss = cx.aux1(Op::Unary(UnaryOp::Neg), &[Some(picked)])?;
    let zero = cx.scalar("zero", 0.0, xt)?;
    let one = cx.scalar("one", 1.0, xt)?;
    let mut applied = None;
    if let Some(w) = weight {
        applied = Some(cx.aux1(Op::Gather { axis: 0 }, &[Some(w), Some(t)])?);
    }
    if let Some(ign) = ignored {
        loss = cx.aux1(Op::Where, &[Some(ign), Some(zero), Some(loss)])?;
        let base = applied.unwrap_or(one);
        applied = Some(cx.aux1(Op::Where, &[Some(ign), Some(zero), Some(base)])?);
    }
    if let Some(w) = applied {
        loss = cx.aux1(bin(BinaryOp::Mul), &[Some(loss), Some(w)])?;
    }
    let reduce = |kind| Op::Reduce { kind, keepdims: false, noop_with_empty_axes: false };
    let out = match (reduction.as_str(), applied) {
        ("none", _) => loss,
        ("sum", _) => cx.main1(reduce(ReduceKind::Sum), &[Some(loss), None])?,
        ("mean", Some(w)) => {
            let num = cx.aux1(reduce(ReduceKind::Sum), &[Some(loss), None])?;
            let den = cx.aux1(reduce(ReduceKind::Sum), &[Some(w), None])?;
            cx.main1(bin(BinaryOp::Div), &[Some(num), Some(den)])?
        }
        _ => cx.main1(reduce(ReduceKind::Mean), &[Some(loss), None])?,
    };
    Ok(out)
}
