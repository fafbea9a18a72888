//! ONNX ops defined by function bodies in the spec, expanded here the same way: the window
//! functions (Hann, Hamming, Blackman) and CenterCropPad.

use super::map::{Cx, Outs};
use super::tensor::dtype_from_onnx;
use super::ImportError;
use ir::{BinaryOp, DType, Op, PadMode, Tensor, UnaryOp, ValueId};

pub fn map(cx: &mut Cx, op: &str) -> Option<Outs> {
    match op {
        "HannWindow" => Some(window(cx, 0.5, 0.5, 0.0)),
        "HammingWindow" => Some(window(cx, 25.0 / 46.0, 21.0 / 46.0, 0.0)),
        "BlackmanWindow" => Some(window(cx, 0.42, 0.5, 0.08)),
        "CenterCropPad" => Some(center_crop_pad(cx)),
        _ => None,
    }
}

fn bin(b: BinaryOp) -> Op {
    Op::Binary(b)
}

/// a0 - a1·cos(2πn/N) + a2·cos(4πn/N) for n in [0, size), N = size (periodic) or size - 1,
/// computed in f32 as the ONNX function body does.
fn window(cx: &mut Cx, a0: f32, a1: f32, a2: f32) -> Outs {
    let n = cx.n;
    let size = cx.req(0, "size")?;
    cx.inputs_upto(1)?;
    let periodic = n.flag("periodic", true)?;
    let code = n.int_or("output_datatype", 1)?;
    let to = i32::try_from(code)
        .ok()
        .and_then(dtype_from_onnx)
        .ok_or_else(|| n.invalid(format!("attribute `output_datatype` = {code} is not an element type")))?;
    let f = |cx: &mut Cx, what: &str, v: f32| cx.konst(what, Tensor::scalar(v));
    let (a0, a1, a2) = (f(cx, "a0", a0), f(cx, "a1", a1), f(cx, "a2", a2));
    let zero = f(cx, "zero", 0.0);
    let one = f(cx, "one", 1.0);
    let two = f(cx, "two", 2.0);
    let tau = f(cx, "tau", std::f32::consts::TAU);
    let size_f = cx.aux1(Op::Cast { to: DType::F32, saturate: true }, &[Some(size)])?;
    let denom = if periodic { size_f } else { cx.aux1(bin(BinaryOp::Sub), &[Some(size_f), Some(one)])? };
    let inc = cx.aux1(bin(BinaryOp::Div), &[Some(tau), Some(denom)])?;
    let range = cx.aux1(Op::Range, &[Some(zero), Some(size_f), Some(one)])?;
    let angle = cx.aux1(bin(BinaryOp::Mul), &[Some(range), Some(inc)])?;
    let angle2 = cx.aux1(bin(BinaryOp::Mul), &[Some(angle), Some(two)])?;
    let cos2 = cx.aux1(Op::Unary(UnaryOp::Cos), &[Some(angle2)])?;
    let c2 = cx.aux1(bin(BinaryOp::Mul), &[Some(a2), Some(cos2)])?;
    let cos1 = cx.aux1(Op::Unary(UnaryOp::Cos), &[Some(angle)])?;
    let c1 = cx.aux1(bin(BinaryOp::Mul), &[Some(a1), Some(cos1)])?;
    let t0 = cx.aux1(bin(BinaryOp::Sub), &[Some(a0), Some(c1)])?;
    let t1 = cx.aux1(bin(BinaryOp::Add), &[Some(t0), Some(c2)])?;
    Ok(vec![cx.main1(Op::Cast { to, saturate: true }, &[Some(t1)])?])
}

/// CenterCropPad: pad each (selected) axis up to the target size, split evenly with the extra
/// element at the end, then crop centred (extra element at the end as well).
fn center_crop_pad(cx: &mut Cx) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "input_data")?;
    let target = cx.req(1, "shape")?;
    cx.inputs_upto(2)?;
    let axes: Option<ValueId> = match n.ints("axes")? {
        Some(a) => {
            let a = a.to_vec();
            Some(cx.i64s("axes", &a))
        }
        None => None,
    };
    let two = cx.konst("two", Tensor::scalar(2i64));
    let full = cx.aux1(Op::Shape { start: 0, end: None }, &[Some(x)])?;
    let selected = |cx: &mut Cx, shape: ValueId| -> Result<ValueId, ImportError> {
        match axes {
            Some(a) => cx.aux1(Op::Gather { axis: 0 }, &[Some(shape), Some(a)]),
            None => Ok(shape),
        }
    };
    let xs = selected(cx, full)?;
    let padded_sh = cx.aux1(bin(BinaryOp::Max), &[Some(xs), Some(target)])?;
    let amount = cx.aux1(bin(BinaryOp::Sub), &[Some(padded_sh), Some(xs)])?;
    let left = cx.aux1(bin(BinaryOp::Div), &[Some(amount), Some(two)])?;
    let right = cx.aux1(bin(BinaryOp::Sub), &[Some(amount), Some(left)])?;
    let pads = cx.aux1(Op::Concat { axis: 0 }, &[Some(left), Some(right)])?;
    let padded = cx.aux1(Op::Pad { mode: PadMode::Constant }, &[Some(x), Some(pads), None, axes])?;
    let full2 = cx.aux1(Op::Shape { start: 0, end: None }, &[Some(padded)])?;
    let ps = selected(cx, full2)?;
    let diff = cx.aux1(bin(BinaryOp::Sub), &[Some(ps), Some(target)])?;
    let start = cx.aux1(bin(BinaryOp::Div), &[Some(diff), Some(two)])?;
    let end = cx.aux1(bin(BinaryOp::Add), &[Some(start), Some(target)])?;
    Ok(vec![cx.main1(Op::Slice, &[Some(padded), Some(start), Some(end), axes, None])?])
}
