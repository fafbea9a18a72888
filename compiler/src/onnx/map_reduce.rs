//! ONNX reductions → IR: Reduce* (axes attribute of older opsets as a constant input),
//! ArgMax/ArgMin, Softmax/LogSoftmax/Hardmax (the pre-13 "coerce to 2-D" form rewritten),
//! TopK, CumSum and CumProd.

use super::map::{Cx, Outs};
use super::ImportError;
use ir::{Op, ReduceKind, SoftmaxKind, ValueId};

pub fn map(cx: &mut Cx, op: &str) -> Option<Outs> {
    dispatch(cx, op).transpose()
}

fn dispatch(cx: &mut Cx, op: &str) -> Result<Option<Vec<ValueId>>, ImportError> {
    let n = cx.n;
    let outs = match op {
        "ReduceSum" => reduce(cx, ReduceKind::Sum, 13),
        "ReduceMean" => reduce(cx, ReduceKind::Mean, 18),
        "ReduceMax" => reduce(cx, ReduceKind::Max, 18),
        "ReduceMin" => reduce(cx, ReduceKind::Min, 18),
        "ReduceProd" => reduce(cx, ReduceKind::Prod, 18),
        "ReduceL1" => reduce(cx, ReduceKind::L1, 18),
        "ReduceL2" => reduce(cx, ReduceKind::L2, 18),
        "ReduceLogSum" => reduce(cx, ReduceKind::LogSum, 18),
        "ReduceLogSumExp" => reduce(cx, ReduceKind::LogSumExp, 18),
        "ReduceSumSquare" => reduce(cx, ReduceKind::SumSquare, 18),
        "ArgMax" | "ArgMin" => {
            let x = cx.req(0, "data")?;
            let op = Op::ArgReduce {
                max: op == "ArgMax",
                axis: n.int_or("axis", 0)?,
                keepdims: n.flag("keepdims", true)?,
                select_last_index: n.flag("select_last_index", false)?,
            };
            Ok(vec![cx.main1(op, &[Some(x)])?])
        }
        "Softmax" => softmax(cx, SoftmaxKind::Softmax),
        "LogSoftmax" => softmax(cx, SoftmaxKind::LogSoftmax),
        "Hardmax" => softmax(cx, SoftmaxKind::Hardmax),
        "TopK" => {
            let x = cx.req(0, "X")?;
            let k = if cx.opset() < 10 {
                let k = n.int("k")?.ok_or_else(|| n.invalid("missing attribute `k`"))?;
                cx.i64s("k", &[k])
            } else {
                cx.req(1, "K")?
            };
            let op = Op::TopK { axis: n.int_or("axis", -1)?, largest: n.flag("largest", true)?, sorted: n.flag("sorted", true)? };
            cx.main(op, &[Some(x), Some(k)], 2)
        }
        "CumSum" | "CumProd" => {
            let ins = [Some(cx.req(0, "x")?), Some(cx.req(1, "axis")?)];
            let (exclusive, reverse) = (n.flag("exclusive", false)?, n.flag("reverse", false)?);
            let op = if op == "CumSum" { Op::CumSum { exclusive, reverse } } else { Op::CumProd { exclusive, reverse } };
            Ok(vec![cx.main1(op, &ins)?])
        }
        _ => return Ok(None),
    };
    Ok(Some(outs?))
}

/// A reduction; `input_since` is the opset from which `axes` is an input.
fn reduce(cx: &mut Cx, kind: ReduceKind, input_since: i64) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "data")?;
    let axes = if cx.opset() < input_since { cx.ints_input_or_attr(usize::MAX, "axes")? } else { cx.input(1) };
    let op = Op::Reduce {
        kind,
        keepdims: n.flag("keepdims", true)?,
        noop_with_empty_axes: n.flag("noop_with_empty_axes", false)?,
    };
    Ok(vec![cx.main1(op, &[Some(x), axes])?])
}

/// Softmax family. From opset 13 one axis (default -1); before, the input is coerced to 2-D at
/// `axis` (default 1), normalised over the second dim and reshaped back.
fn softmax(cx: &mut Cx, kind: SoftmaxKind) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "input")?;
    if cx.opset() >= 13 {
        let axis = n.int_or("axis", -1)?;
        return Ok(vec![cx.main1(Op::Softmax { kind, axis }, &[Some(x)])?]);
    }
    let axis = n.int_or("axis", 1)?;
    // When the coerced axis is the last one, both forms agree.
    if let Some(t) = cx.known_ty(x) {
        let r = t.rank() as i64;
        if r > 0 && (axis == r - 1 || axis == -1) {
            return Ok(vec![cx.main1(Op::Softmax { kind, axis: -1 }, &[Some(x)])?]);
        }
    }
    let flat = cx.aux1(Op::Flatten { axis }, &[Some(x)])?;
    let sm = cx.aux1(Op::Softmax { kind, axis: 1 }, &[Some(flat)])?;
    let shape = cx.aux1(Op::Shape { start: 0, end: None }, &[Some(x)])?;
    Ok(vec![cx.main1(Op::Reshape { allowzero: true }, &[Some(sm), Some(shape)])?])
}
