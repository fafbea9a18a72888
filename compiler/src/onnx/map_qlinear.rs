//! Quantized ONNX ops decomposed into IR ops the way the ONNX reference computes them:
//! QLinearMatMul (MatMulInteger + f64 rescale + QuantizeLinear), QLinearConv (ConvInteger +
//! bias + rescale), DynamicQuantizeLinear (min/max → scale and zero point → QuantizeLinear).

use super::map::{Cx, Outs};
use super::map_nn::conv_attrs;
use super::ImportError;
use ir::{BinaryOp, DType, Op, ReduceKind, UnaryOp, ValueId};

pub fn map(cx: &mut Cx, op: &str) -> Option<Outs> {
    match op {
        "QLinearMatMul" => Some(qlinear_matmul(cx)),
        "QLinearConv" => Some(qlinear_conv(cx)),
        "DynamicQuantizeLinear" => Some(dynamic_quantize(cx)),
        _ => None,
    }
}

fn bin(b: BinaryOp) -> Op {
    Op::Binary(b)
}

/// y = saturate(rint(acc · (s1·s2 / y_scale) + y_zero_point)) with the product in f64 (numpy
/// promotes the int32 accumulator times a float32 scale to float64).
fn requantize(
    cx: &mut Cx,
    acc: ValueId,
    s1: ValueId,
    s2: ValueId,
    y_scale: ValueId,
    y_zp: Option<ValueId>,
    to: DType,
) -> Result<ValueId, ImportError> {
    let s = cx.aux1(bin(BinaryOp::Mul), &[Some(s1), Some(s2)])?;
    let s = cx.aux1(bin(BinaryOp::Div), &[Some(s), Some(y_scale)])?;
    let s = cx.aux1(Op::Cast { to: DType::F64, saturate: true }, &[Some(s)])?;
    let acc = cx.aux1(Op::Cast { to: DType::F64, saturate: true }, &[Some(acc)])?;
    let mut d = cx.aux1(bin(BinaryOp::Mul), &[Some(acc), Some(s)])?;
    if let Some(zp) = y_zp {
        let zp = cx.aux1(Op::Cast { to: DType::F64, saturate: true }, &[Some(zp)])?;
        d = cx.aux1(bin(BinaryOp::Add), &[Some(d), Some(zp)])?;
    }
    let one = cx.scalar("one", 1.0, DType::F64)?;
    let q = Op::QuantizeLinear { axis: 1, block_size: 0, to, saturate: true };
    cx.main1(q, &[Some(d), Some(one), None])
}

fn qlinear_matmul(cx: &mut Cx) -> Outs {
    let ins = cx.inputs_upto(8)?;
    let a = cx.req(0, "a")?;
    let a_scale = cx.req(1, "a_scale")?;
    let b = cx.req(3, "b")?;
    let b_scale = cx.req(4, "b_scale")?;
    let y_scale = cx.req(6, "y_scale")?;
    let y_zp = ins[7];
    let to = match y_zp {
        Some(z) => cx.dtype(z)?,
        None => cx.dtype(a)?,
    };
    let acc = cx.aux1(Op::MatMulInteger, &[Some(a), Some(b), ins[2], ins[5]])?;
    Ok(vec![requantize(cx, acc, a_scale, b_scale, y_scale, y_zp, to)?])
}

fn qlinear_conv(cx: &mut Cx) -> Outs {
    let ins = cx.inputs_upto(9)?;
    let x = cx.req(0, "x")?;
    let x_scale = cx.req(1, "x_scale")?;
    let w = cx.req(3, "w")?;
    let mut w_scale = cx.req(4, "w_scale")?;
    let y_scale = cx.req(6, "y_scale")?;
    let y_zp = ins[7];
    let attrs = conv_attrs(cx, w)?;
    let k = attrs.kernel_shape.len() as i64;
    let to = match y_zp {
        Some(z) => cx.dtype(z)?,
        None => cx.dtype(x)?,
    };
    let mut acc = cx.aux1(Op::ConvInteger(attrs), &[Some(x), Some(w), ins[2], ins[5]])?;
    if let Some(bias) = ins[8] {
        let bias = per_channel(cx, bias, k, "bias_shape")?;
        acc = cx.aux1(bin(BinaryOp::Add), &[Some(acc), Some(bias)])?;
    }
    if cx.ty(w_scale)?.num_elements().is_none_or(|n| n > 1) {
        w_scale = per_channel(cx, w_scale, k, "w_scale_shape")?;
    }
    Ok(vec![requantize(cx, acc, x_scale, w_scale, y_scale, y_zp, to)?])
}

/// A per-channel vector reshaped to broadcast as [1, M, 1, …] over `k` spatial dims.
fn per_channel(cx: &mut Cx, v: ValueId, k: i64, what: &str) -> Result<ValueId, ImportError> {
    let mut shape = vec![1i64, -1];
    shape.extend(std::iter::repeat_n(1, k as usize));
    let s = cx.i64s(what, &shape);
    cx.aux1(Op::Reshape { allowzero: false }, &[Some(v), Some(s)])
}

/// DynamicQuantizeLinear to uint8: scale = (max(0, max x) - min(0, min x)) / 255 (1/255 when
/// the range is empty), zero point = rint(clip(-min / scale, 0, 255)).
fn dynamic_quantize(cx: &mut Cx) -> Outs {
    let x = cx.req(0, "x")?;
    cx.inputs_upto(1)?;
    let dt = cx.dtype(x)?;
    let all = |kind| Op::Reduce { kind, keepdims: false, noop_with_empty_axes: false };
    let zero = cx.scalar("zero", 0.0, dt)?;
    let one = cx.scalar("one", 1.0, dt)?;
    let qmax = cx.scalar("qmax", 255.0, dt)?;
    let hi = cx.aux1(all(ReduceKind::Max), &[Some(x), None])?;
    let hi = cx.aux1(bin(BinaryOp::Max), &[Some(hi), Some(zero)])?;
    let lo = cx.aux1(all(ReduceKind::Min), &[Some(x), None])?;
    let lo = cx.aux1(bin(BinaryOp::Min), &[Some(lo), Some(zero)])?;
    let range = cx.aux1(bin(BinaryOp::Sub), &[Some(hi), Some(lo)])?;
    let empty = cx.aux1(bin(BinaryOp::Equal), &[Some(hi), Some(lo)])?;
    let range = cx.aux1(Op::Where, &[Some(empty), Some(one), Some(range)])?;
    let scale = cx.aux1(bin(BinaryOp::Div), &[Some(range), Some(qmax)])?;
    let zp = cx.aux1(bin(BinaryOp::Div), &[Some(lo), Some(scale)])?;
    let zp = cx.aux1(Op::Unary(UnaryOp::Neg), &[Some(zp)])?;
    let zp = cx.aux1(Op::Clip, &[Some(zp), Some(zero), Some(qmax)])?;
    let zp = cx.aux1(Op::Unary(UnaryOp::Round), &[Some(zp)])?;
    let zp = cx.aux1(Op::Cast { to: DType::U8, saturate: true }, &[Some(zp)])?;
    let q = Op::QuantizeLinear { axis: 1, block_size: 0, to: DType::U8, saturate: true };
    let y = cx.main1(q, &[Some(x), Some(scale), Some(zp)])?;
    Ok(vec![y, scale, zp])
}
