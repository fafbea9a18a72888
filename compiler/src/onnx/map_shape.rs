//! ONNX shape and indexing ops → IR: Reshape, Flatten, Transpose, Squeeze/Unsqueeze, Concat,
//! Split, Slice, Pad, Expand, Tile, Shape, Size, ConstantOfShape, Range, EyeLike, Trilu,
//! Depth/SpaceToDepth, Gather/Scatter families, OneHot, NonZero, Compress, Unique,
//! ReverseSequence. Attribute forms of older opsets become constant inputs.

use super::map::{Cx, Outs};
use super::tensor::tensor_from_proto;
use super::ImportError;
use ir::{Op, PadMode, ScatterReduction, Tensor, ValueId};
use std::sync::Arc;

pub fn map(cx: &mut Cx, op: &str) -> Option<Outs> {
    dispatch(cx, op).transpose()
}

fn dispatch(cx: &mut Cx, op: &str) -> Result<Option<Vec<ValueId>>, ImportError> {
    let n = cx.n;
    let outs = match op {
        "Reshape" => {
            let x = cx.req(0, "data")?;
            let shape = if cx.opset() < 5 {
                cx.ints_input_or_attr(usize::MAX, "shape")?.ok_or_else(|| n.invalid("missing attribute `shape`"))?
            } else {
                cx.req(1, "shape")?
            };
            one(cx, Op::Reshape { allowzero: n.flag("allowzero", false)? }, &[Some(x), Some(shape)])
        }
        "Flatten" => {
            let x = cx.req(0, "input")?;
            one(cx, Op::Flatten { axis: n.int_or("axis", 1)? }, &[Some(x)])
        }
        "Transpose" => {
            let x = cx.req(0, "data")?;
            let perm = match n.ints("perm")? {
                Some(p) => p
                    .iter()
                    .map(|&a| usize::try_from(a).map_err(|_| n.invalid(format!("perm has a negative entry {a}"))))
                    .collect::<Result<Vec<_>, _>>()?,
                None => (0..cx.rank(x)?).rev().collect(),
            };
            one(cx, Op::Transpose { perm }, &[Some(x)])
        }
        "Squeeze" => {
            let x = cx.req(0, "data")?;
            let axes = if cx.opset() < 13 { cx.ints_input_or_attr(usize::MAX, "axes")? } else { cx.input(1) };
            one(cx, Op::Squeeze, &[Some(x), axes])
        }
        "Unsqueeze" => {
            let x = cx.req(0, "data")?;
            let axes = if cx.opset() < 13 {
                cx.ints_input_or_attr(usize::MAX, "axes")?.ok_or_else(|| n.invalid("missing attribute `axes`"))?
            } else {
                cx.req(1, "axes")?
            };
            one(cx, Op::Unsqueeze, &[Some(x), Some(axes)])
        }
        "Concat" => {
            let ins = cx.inputs();
            if ins.is_empty() || ins.iter().any(|v| v.is_none()) {
                return Err(n.invalid("needs one or more non-empty inputs"));
            }
            let axis = match n.int("axis")? {
                Some(a) => a,
                None if cx.opset() < 4 => 1,
                None => return Err(n.invalid("missing required attribute `axis`")),
            };
            one(cx, Op::Concat { axis }, &ins)
        }
        "Split" => split(cx),
        "Slice" => slice(cx),
        "Pad" => pad(cx),
        "Expand" => {
            let ins = [Some(cx.req(0, "input")?), Some(cx.req(1, "shape")?)];
            one(cx, Op::Expand, &ins)
        }
        "Tile" => {
            if cx.opset() < 6 {
                return Err(n.unsupported("Tile-1 (tiles and axis inputs) is not supported"));
            }
            let ins = [Some(cx.req(0, "input")?), Some(cx.req(1, "repeats")?)];
            one(cx, Op::Tile, &ins)
        }
        "Shape" => {
            let x = cx.req(0, "data")?;
            one(cx, Op::Shape { start: n.int_or("start", 0)?, end: n.int("end")? }, &[Some(x)])
        }
        "Size" => {
            let x = cx.req(0, "data")?;
            one(cx, Op::Size, &[Some(x)])
        }
        "ConstantOfShape" => {
            let shape = cx.req(0, "input")?;
            let value = match n.tensor("value")? {
                Some(t) => {
                    let t = tensor_from_proto(t, &format!("{}.value", n.label), cx.b.src)?;
                    if t.len() != 1 {
                        return Err(n.invalid(format!("attribute `value` must hold one element, has {}", t.len())));
                    }
                    t.reshape(&[]).map_err(|e| n.invalid(e))?
                }
                None => Tensor::scalar(0f32),
            };
            one(cx, Op::ConstantOfShape { value: Arc::new(value) }, &[Some(shape)])
        }
        "Range" => {
            let ins = [Some(cx.req(0, "start")?), Some(cx.req(1, "limit")?), Some(cx.req(2, "delta")?)];
            one(cx, Op::Range, &ins)
        }
        "OneHot" => {
            let ins = [Some(cx.req(0, "indices")?), Some(cx.req(1, "depth")?), Some(cx.req(2, "values")?)];
            one(cx, Op::OneHot { axis: n.int_or("axis", -1)? }, &ins)
        }
        "EyeLike" => {
            let x = cx.req(0, "input")?;
            let dtype = match n.int("dtype")? {
                None => None,
                Some(code) => Some(
                    i32::try_from(code)
                        .ok()
                        .and_then(super::tensor::dtype_from_onnx)
                        .ok_or_else(|| n.invalid(format!("attribute `dtype` = {code} is not an element type")))?,
                ),
            };
            one(cx, Op::EyeLike { k: n.int_or("k", 0)?, dtype }, &[Some(x)])
        }
        "Trilu" => {
            let x = cx.req(0, "input")?;
            let k = cx.input(1);
            one(cx, Op::Trilu { upper: n.flag("upper", true)? }, &[Some(x), k])
        }
        "DepthToSpace" => {
            let x = cx.req(0, "input")?;
            let crd = match n.string_or("mode", "DCR")?.as_str() {
                "DCR" => false,
                "CRD" => true,
                m => return Err(n.invalid(format!("attribute `mode` must be DCR or CRD, got `{m}`"))),
            };
            one(cx, Op::DepthToSpace { blocksize: blocksize(cx)?, crd }, &[Some(x)])
        }
        "SpaceToDepth" => {
            let x = cx.req(0, "input")?;
            one(cx, Op::SpaceToDepth { blocksize: blocksize(cx)? }, &[Some(x)])
        }
        "Gather" => two(cx, Op::Gather { axis: n.int_or("axis", 0)? }),
        "GatherElements" => two(cx, Op::GatherElements { axis: n.int_or("axis", 0)? }),
        "GatherND" => two(cx, Op::GatherNd { batch_dims: n.usize_or("batch_dims", 0)? }),
        "ScatterElements" | "Scatter" => {
            let op = Op::ScatterElements { axis: n.int_or("axis", 0)?, reduction: reduction(cx)? };
            three(cx, op)
        }
        "ScatterND" => three(cx, Op::ScatterNd { reduction: reduction(cx)? }),
        "NonZero" => {
            let x = cx.req(0, "X")?;
            one(cx, Op::NonZero, &[Some(x)])
        }
        "Compress" => {
            let ins = [Some(cx.req(0, "input")?), Some(cx.req(1, "condition")?)];
            one(cx, Op::Compress { axis: n.int("axis")? }, &ins)
        }
        "Unique" => {
            let x = cx.req(0, "X")?;
            let op = Op::Unique { axis: n.int("axis")?, sorted: n.flag("sorted", true)? };
            cx.main_used(op, &[Some(x)])
        }
        "ReverseSequence" => {
            let ins = [Some(cx.req(0, "input")?), Some(cx.req(1, "sequence_lens")?)];
            let op = Op::ReverseSequence {
                batch_axis: n.usize_or("batch_axis", 1)?,
                time_axis: n.usize_or("time_axis", 0)?,
            };
            one(cx, op, &ins)
        }
        _ => return Ok(None),
    };
    Ok(Some(outs?))
}

fn one(cx: &mut Cx, op: Op, ins: &[Option<ValueId>]) -> Outs {
    Ok(vec![cx.main1(op, ins)?])
}

fn two(cx: &mut Cx, op: Op) -> Outs {
    let ins = [Some(cx.req(0, "data")?), Some(cx.req(1, "indices")?)];
    one(cx, op, &ins)
}

fn three(cx: &mut Cx, op: Op) -> Outs {
    let ins = [Some(cx.req(0, "data")?), Some(cx.req(1, "indices")?), Some(cx.req(2, "updates")?)];
    one(cx, op, &ins)
}

fn blocksize(cx: &Cx) -> Result<usize, ImportError> {
    match cx.n.usize_or("blocksize", 0)? {
        0 => Err(cx.n.invalid("attribute `blocksize` must be given and positive")),
        b => Ok(b),
    }
}

fn reduction(cx: &Cx) -> Result<ScatterReduction, ImportError> {
    Ok(match cx.n.string_or("reduction", "none")?.as_str() {
        "none" => ScatterReduction::None,
        "add" => ScatterReduction::Add,
        "mul" => ScatterReduction::Mul,
        "max" => ScatterReduction::Max,
        "min" => ScatterReduction::Min,
        r => return Err(cx.n.invalid(format!("unknown reduction `{r}`"))),
    })
}

/// Split: `split` from the input (≥13) or the attribute (<13, also an input in Split-1);
/// the number of pieces is the node's output count (Split-18 also states it as `num_outputs`).
fn split(cx: &mut Cx) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "input")?;
    let axis = n.int_or("axis", 0)?;
    let k = n.proto.output.len();
    if k == 0 {
        return Err(n.invalid("has no outputs"));
    }
    if let Some(m) = n.int("num_outputs")? {
        if m != k as i64 {
            return Err(n.invalid(format!("attribute `num_outputs` is {m} but the node has {k} outputs")));
        }
        if cx.input(1).is_some() {
            return Err(n.invalid("`num_outputs` and the `split` input are mutually exclusive"));
        }
    }
    let split = if cx.opset() < 13 { cx.ints_input_or_attr(1, "split")? } else { cx.input(1) };
    cx.main(Op::Split { axis, num_outputs: k }, &[Some(x), split], k)
}

/// Slice: Slice-1 has `starts`, `ends`, `axes` attributes; later versions take inputs.
fn slice(cx: &mut Cx) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "data")?;
    if cx.opset() < 10 {
        let starts = cx.ints_input_or_attr(usize::MAX, "starts")?.ok_or_else(|| n.invalid("missing attribute `starts`"))?;
        let ends = cx.ints_input_or_attr(usize::MAX, "ends")?.ok_or_else(|| n.invalid("missing attribute `ends`"))?;
        let axes = cx.ints_input_or_attr(usize::MAX, "axes")?;
        return one(cx, Op::Slice, &[Some(x), Some(starts), Some(ends), axes, None]);
    }
    let ins = cx.inputs_upto(5)?;
    let starts = cx.req(1, "starts")?;
    let ends = cx.req(2, "ends")?;
    one(cx, Op::Slice, &[Some(x), Some(starts), Some(ends), ins[3], ins[4]])
}

/// Pad: attributes `pads`/`paddings` and `value` before opset 11; inputs after (axes from 18).
fn pad(cx: &mut Cx) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "data")?;
    let mode = match n.string_or("mode", "constant")?.as_str() {
        "constant" => PadMode::Constant,
        "reflect" => PadMode::Reflect,
        "edge" => PadMode::Edge,
        "wrap" => PadMode::Wrap,
        m => return Err(n.invalid(format!("unknown mode `{m}`"))),
    };
    if cx.opset() >= 11 {
        let ins = cx.inputs_upto(4)?;
        let pads = cx.req(1, "pads")?;
        return one(cx, Op::Pad { mode }, &[Some(x), Some(pads), ins[2], ins[3]]);
    }
    let attr = if n.attr("pads").is_some() { "pads" } else { "paddings" };
    let pads = cx.ints_input_or_attr(usize::MAX, attr)?.ok_or_else(|| n.invalid("missing attribute `pads`"))?;
    let value = n.float_or("value", 0.0)?;
    let cv = if value != 0.0 {
        let dt = cx.dtype(x)?;
        Some(cx.scalar("value", value as f64, dt)?)
    } else {
        None
    };
    one(cx, Op::Pad { mode }, &[Some(x), Some(pads), cv, None])
}
