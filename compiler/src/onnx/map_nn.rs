//! ONNX neural-network ops → IR: Conv/ConvInteger/ConvTranspose and pools (attribute defaults
//! filled in), global pools as reductions, normalizations (MeanVarianceNormalization
//! decomposed, GroupNormalization-18 scales repeated per channel), Gemm decomposed into
//! MatMul/Mul/Add, MatMul(Integer), Einsum, Det and Col2Im.

use super::map::{Cx, Outs};
use super::ImportError;
use ir::{AutoPad, BinaryOp, ConvAttrs, ConvTransposeAttrs, Op, PoolAttrs, PoolKind, ReduceKind, UnaryOp, ValueId, F32};

pub fn map(cx: &mut Cx, op: &str) -> Option<Outs> {
    dispatch(cx, op).transpose()
}

fn dispatch(cx: &mut Cx, op: &str) -> Result<Option<Vec<ValueId>>, ImportError> {
    let n = cx.n;
    let outs = match op {
        "Conv" => {
            let ins = cx.inputs_upto(3)?;
            let (x, w) = (cx.req(0, "X")?, cx.req(1, "W")?);
            let attrs = conv_attrs(cx, w)?;
            Ok(vec![cx.main1(Op::Conv(attrs), &[Some(x), Some(w), ins[2]])?])
        }
        "ConvInteger" => {
            let ins = cx.inputs_upto(4)?;
            let (x, w) = (cx.req(0, "x")?, cx.req(1, "w")?);
            let attrs = conv_attrs(cx, w)?;
            Ok(vec![cx.main1(Op::ConvInteger(attrs), &[Some(x), Some(w), ins[2], ins[3]])?])
        }
        "ConvTranspose" => {
            let ins = cx.inputs_upto(3)?;
            let (x, w) = (cx.req(0, "X")?, cx.req(1, "W")?);
            let conv = conv_attrs(cx, w)?;
            let k = conv.kernel_shape.len();
            let output_padding = n.usizes("output_padding")?.unwrap_or_else(|| vec![0; k]);
            let output_shape = n.usizes("output_shape")?;
            let attrs = ConvTransposeAttrs { conv, output_padding, output_shape };
            Ok(vec![cx.main1(Op::ConvTranspose(attrs), &[Some(x), Some(w), ins[2]])?])
        }
        "MaxPool" => pool(cx, PoolKind::Max),
        "AveragePool" => {
            let kind = PoolKind::Avg { count_include_pad: n.flag("count_include_pad", false)? };
            pool(cx, kind)
        }
        "LpPool" => {
            let p = lp_p(cx)?;
            pool(cx, PoolKind::Lp { p })
        }
        "GlobalAveragePool" => global_pool(cx, ReduceKind::Mean),
        "GlobalMaxPool" => global_pool(cx, ReduceKind::Max),
        "GlobalLpPool" => match lp_p(cx)? {
            1 => global_pool(cx, ReduceKind::L1),
            2 => global_pool(cx, ReduceKind::L2),
            p => Err(n.unsupported(format!("GlobalLpPool with p = {p} (only 1 and 2)"))),
        },
        "BatchNormalization" => batch_norm(cx),
        "InstanceNormalization" => {
            let ins = [Some(cx.req(0, "input")?), Some(cx.req(1, "scale")?), Some(cx.req(2, "B")?)];
            Ok(vec![cx.main1(Op::InstanceNorm { epsilon: F32(n.float_or("epsilon", 1e-5)?) }, &ins)?])
        }
        "LayerNormalization" => {
            let ins = cx.inputs_upto(3)?;
            let (x, s) = (cx.req(0, "X")?, cx.req(1, "Scale")?);
            let op = Op::LayerNorm { axis: n.int_or("axis", -1)?, epsilon: F32(n.float_or("epsilon", 1e-5)?) };
            cx.main_used(op, &[Some(x), Some(s), ins[2]])
        }
        "RMSNormalization" => {
            let ins = [Some(cx.req(0, "X")?), Some(cx.req(1, "scale")?)];
            let op = Op::RmsNorm { axis: n.int_or("axis", -1)?, epsilon: F32(n.float_or("epsilon", 1e-5)?) };
            Ok(vec![cx.main1(op, &ins)?])
        }
        "GroupNormalization" => group_norm(cx),
        "LRN" => {
            let x = cx.req(0, "X")?;
            let size = n.usize_or("size", 0)?;
            if size == 0 {
                return Err(n.invalid("attribute `size` must be given and positive"));
            }
            let op = Op::Lrn {
                alpha: F32(n.float_or("alpha", 1e-4)?),
                beta: F32(n.float_or("beta", 0.75)?),
                bias: F32(n.float_or("bias", 1.0)?),
                size,
            };
            Ok(vec![cx.main1(op, &[Some(x)])?])
        }
        "LpNormalization" => {
            let x = cx.req(0, "input")?;
            let p = match n.int_or("p", 2)? {
                p @ (1 | 2) => p as u32,
                p => return Err(n.invalid(format!("attribute `p` must be 1 or 2, got {p}"))),
            };
            Ok(vec![cx.main1(Op::LpNorm { axis: n.int_or("axis", -1)?, p }, &[Some(x)])?])
        }
        "MeanVarianceNormalization" => mvn(cx),
        "Gemm" => gemm(cx),
        "MatMul" => {
            let ins = [Some(cx.req(0, "A")?), Some(cx.req(1, "B")?)];
            Ok(vec![cx.main1(Op::MatMul { trans_a: false, trans_b: false }, &ins)?])
        }
        "MatMulInteger" => {
            let ins = cx.inputs_upto(4)?;
            let (a, b) = (cx.req(0, "A")?, cx.req(1, "B")?);
            Ok(vec![cx.main1(Op::MatMulInteger, &[Some(a), Some(b), ins[2], ins[3]])?])
        }
        "Einsum" => {
            let equation = n.string("equation")?.ok_or_else(|| n.invalid("missing attribute `equation`"))?;
            let ins = cx.inputs();
            if ins.iter().any(|v| v.is_none()) {
                return Err(n.invalid("has an empty input name"));
            }
            Ok(vec![cx.main1(Op::Einsum { equation }, &ins)?])
        }
        "Det" => {
            let x = cx.req(0, "X")?;
            Ok(vec![cx.main1(Op::Det, &[Some(x)])?])
        }
        "Col2Im" => col2im(cx),
        _ => return Ok(None),
    };
    Ok(Some(outs?))
}

fn auto_pad(cx: &Cx) -> Result<AutoPad, ImportError> {
    Ok(match cx.n.string_or("auto_pad", "NOTSET")?.as_str() {
        "NOTSET" | "" => AutoPad::NotSet,
        "SAME_UPPER" => AutoPad::SameUpper,
        "SAME_LOWER" => AutoPad::SameLower,
        "VALID" => AutoPad::Valid,
        a => return Err(cx.n.invalid(format!("unknown auto_pad `{a}`"))),
    })
}

/// A per-spatial-dim attribute list: given (length checked) or `k` copies of `default`.
fn spatial(cx: &Cx, name: &str, k: usize, default: usize) -> Result<Vec<usize>, ImportError> {
    match cx.n.usizes(name)? {
        Some(v) if v.len() == k => Ok(v),
        Some(v) if v.is_empty() => Ok(vec![default; k]),
        Some(v) => Err(cx.n.invalid(format!("attribute `{name}` has {} entries, expected {k}", v.len()))),
        None => Ok(vec![default; k]),
    }
}

fn pads(cx: &Cx, k: usize) -> Result<Vec<usize>, ImportError> {
    match cx.n.usizes("pads")? {
        Some(v) if v.len() == 2 * k => Ok(v),
        Some(v) if v.is_empty() => Ok(vec![0; 2 * k]),
        Some(v) => Err(cx.n.invalid(format!("attribute `pads` has {} entries, expected {}", v.len(), 2 * k))),
        None => Ok(vec![0; 2 * k]),
    }
}

/// Conv attributes with ONNX defaults; `kernel_shape` defaults to the weight's spatial dims.
pub fn conv_attrs(cx: &mut Cx, w: ValueId) -> Result<ConvAttrs, ImportError> {
    let n = cx.n;
    let kernel_shape = match n.usizes("kernel_shape")? {
        Some(k) if !k.is_empty() => k,
        _ => {
            let t = cx.ty(w)?;
            if t.rank() < 3 {
                return Err(n.invalid(format!("weight has rank {}, expected at least 3", t.rank())));
            }
            t.dims[2..]
                .iter()
                .map(|d| d.as_static())
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| n.unsupported(format!("no kernel_shape and the weight's shape {t} is not static")))?
        }
    };
    let k = kernel_shape.len();
    let group = n.usize_or("group", 1)?;
    if group == 0 {
        return Err(n.invalid("attribute `group` must be positive"));
    }
    Ok(ConvAttrs {
        strides: spatial(cx, "strides", k, 1)?,
        dilations: spatial(cx, "dilations", k, 1)?,
        pads: pads(cx, k)?,
        auto_pad: auto_pad(cx)?,
        group,
        kernel_shape,
    })
}

fn lp_p(cx: &Cx) -> Result<u32, ImportError> {
    let n = cx.n;
    // LpPool-1 / GlobalLpPool-1 had a float `p`.
    let p = match n.attr("p") {
        Some(a) if a.r#type == 1 => {
            let f = n.float_or("p", 2.0)?;
            if f.fract() != 0.0 {
                return Err(n.unsupported(format!("non-integer p = {f}")));
            }
            f as i64
        }
        _ => n.int_or("p", 2)?,
    };
    u32::try_from(p).ok().filter(|&p| p >= 1).ok_or_else(|| n.invalid(format!("attribute `p` must be ≥ 1, got {p}")))
}

fn pool(cx: &mut Cx, kind: PoolKind) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "X")?;
    let kernel_shape = n.usizes("kernel_shape")?.filter(|k| !k.is_empty()).ok_or_else(|| n.invalid("missing attribute `kernel_shape`"))?;
    let k = kernel_shape.len();
    let with_indices = matches!(kind, PoolKind::Max) && n.has_output(1);
    let attrs = PoolAttrs {
        kind,
        strides: spatial(cx, "strides", k, 1)?,
        dilations: spatial(cx, "dilations", k, 1)?,
        pads: pads(cx, k)?,
        auto_pad: auto_pad(cx)?,
        ceil_mode: n.flag("ceil_mode", false)?,
        with_indices,
        column_major_indices: n.flag("storage_order", false)?,
        kernel_shape,
    };
    cx.main(Op::Pool(attrs), &[Some(x)], if with_indices { 2 } else { 1 })
}

/// Global pools reduce the spatial axes 2.. keeping them as size 1.
fn global_pool(cx: &mut Cx, kind: ReduceKind) -> Outs {
    let x = cx.req(0, "X")?;
    let r = cx.rank(x)?;
    if r < 3 {
        return Err(cx.n.invalid(format!("input has rank {r}, expected at least 3 (N, C, spatial…)")));
    }
    let axes: Vec<i64> = (2..r as i64).collect();
    let axes = cx.i64s("axes", &axes);
    let op = Op::Reduce { kind, keepdims: true, noop_with_empty_axes: false };
    Ok(vec![cx.main1(op, &[Some(x), Some(axes)])?])
}

fn batch_norm(cx: &mut Cx) -> Outs {
    let n = cx.n;
    if n.flag("training_mode", false)? {
        return Err(n.unsupported("training_mode = 1 is not supported (inference only)"));
    }
    if n.used_outputs() > 1 {
        return Err(n.unsupported("the running/saved mean and variance outputs (training mode) are not supported"));
    }
    if cx.opset() < 9 && n.int_or("spatial", 1)? == 0 {
        return Err(n.unsupported("spatial = 0 (per-activation statistics) is not supported"));
    }
    let ins = [
        Some(cx.req(0, "X")?),
        Some(cx.req(1, "scale")?),
        Some(cx.req(2, "B")?),
        Some(cx.req(3, "mean")?),
        Some(cx.req(4, "var")?),
    ];
    Ok(vec![cx.main1(Op::BatchNorm { epsilon: F32(n.float_or("epsilon", 1e-5)?) }, &ins)?])
}

/// GroupNormalization: opset 21 takes per-channel scale/bias; opset 18 took one per group,
/// which is repeated over the group's channels here.
fn group_norm(cx: &mut Cx) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "X")?;
    let mut scale = cx.req(1, "scale")?;
    let mut bias = cx.req(2, "bias")?;
    let g = n.usize_or("num_groups", 0)?;
    if g == 0 {
        return Err(n.invalid("attribute `num_groups` must be given and positive"));
    }
    let epsilon = F32(n.float_or("epsilon", 1e-5)?);
    if cx.opset() < 21 {
        let t = cx.ty(x)?;
        let c = t.dims.get(1).and_then(|d| d.as_static()).ok_or_else(|| {
            n.unsupported(format!("GroupNormalization-18 needs a static channel count, input is {t}"))
        })?;
        if c % g != 0 {
            return Err(n.invalid(format!("{c} channels do not divide into {g} groups")));
        }
        let per = (c / g) as i64;
        let gshape = cx.i64s("group_shape", &[g as i64, 1]);
        let eshape = cx.i64s("expand_shape", &[g as i64, per]);
        let cshape = cx.i64s("channel_shape", &[c as i64]);
        let mut per_channel = |v: ValueId| -> Result<ValueId, ImportError> {
            let r = cx.aux1(Op::Reshape { allowzero: false }, &[Some(v), Some(gshape)])?;
            let e = cx.aux1(Op::Expand, &[Some(r), Some(eshape)])?;
            cx.aux1(Op::Reshape { allowzero: false }, &[Some(e), Some(cshape)])
        };
        scale = per_channel(scale)?;
        bias = per_channel(bias)?;
    }
    Ok(vec![cx.main1(Op::GroupNorm { num_groups: g, epsilon }, &[Some(x), Some(scale), Some(bias)])?])
}

/// MeanVarianceNormalization as ONNX defines it:
/// (X - mean(X)) / (sqrt(mean(X²) - mean(X)²) + 1e-9) over `axes` (default [0, 2, 3]).
fn mvn(cx: &mut Cx) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "X")?;
    let axes = n.ints("axes")?.map(|a| a.to_vec()).unwrap_or_else(|| vec![0, 2, 3]);
    let dt = cx.dtype(x)?;
    let axes = cx.i64s("axes", &axes);
    let mean = Op::Reduce { kind: ReduceKind::Mean, keepdims: true, noop_with_empty_axes: false };
    let bin = |b: BinaryOp| Op::Binary(b);
    let two = cx.scalar("two", 2.0, dt)?;
    let eps = cx.scalar("epsilon", 1e-9, dt)?;
    let m = cx.aux1(mean.clone(), &[Some(x), Some(axes)])?;
    let m2 = cx.aux1(bin(BinaryOp::Pow), &[Some(m), Some(two)])?;
    let x2 = cx.aux1(bin(BinaryOp::Pow), &[Some(x), Some(two)])?;
    let ex2 = cx.aux1(mean, &[Some(x2), Some(axes)])?;
    let var = cx.aux1(bin(BinaryOp::Sub), &[Some(ex2), Some(m2)])?;
    let std = cx.aux1(Op::Unary(UnaryOp::Sqrt), &[Some(var)])?;
    let centered = cx.aux1(bin(BinaryOp::Sub), &[Some(x), Some(m)])?;
    let denom = cx.aux1(bin(BinaryOp::Add), &[Some(std), Some(eps)])?;
    Ok(vec![cx.main1(bin(BinaryOp::Div), &[Some(centered), Some(denom)])?])
}

/// Gemm: alpha·op(A)·op(B) + beta·C as MatMul{trans}, Mul by alpha (≠ 1), Add of beta·C.
fn gemm(cx: &mut Cx) -> Outs {
    let n = cx.n;
    let ins = cx.inputs_upto(3)?;
    let (a, b) = (cx.req(0, "A")?, cx.req(1, "B")?);
    let c = ins[2];
    let alpha = n.float_or("alpha", 1.0)?;
    let beta = n.float_or("beta", 1.0)?;
    let mm = Op::MatMul { trans_a: n.flag("transA", false)?, trans_b: n.flag("transB", false)? };
    let scaled = alpha != 1.0;
    let use_c = c.is_some() && beta != 0.0;
    if !scaled && !use_c {
        return Ok(vec![cx.main1(mm, &[Some(a), Some(b)])?]);
    }
    let dt = cx.dtype(a)?;
    let mut y = cx.aux1(mm, &[Some(a), Some(b)])?;
    if scaled {
        let k = cx.scalar("alpha", alpha as f64, dt)?;
        let op = Op::Binary(BinaryOp::Mul);
        y = if use_c { cx.aux1(op, &[Some(y), Some(k)])? } else { cx.main1(op, &[Some(y), Some(k)])? };
    }
    if let (true, Some(mut c)) = (use_c, c) {
        if beta != 1.0 {
            let k = cx.scalar("beta", beta as f64, dt)?;
            c = cx.aux1(Op::Binary(BinaryOp::Mul), &[Some(c), Some(k)])?;
        }
        y = cx.main1(Op::Binary(BinaryOp::Add), &[Some(y), Some(c)])?;
    }
    Ok(vec![y])
}

fn col2im(cx: &mut Cx) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "input")?;
    let image_shape = cx.req(1, "image_shape")?;
    let block_shape = cx.req(2, "block_shape")?;
    let t = cx.ty(image_shape)?;
    let k = match t.dims.as_slice() {
        [d] => d.as_static().ok_or_else(|| n.unsupported("image_shape must have a static length"))?,
        _ => return Err(n.invalid(format!("image_shape must be 1-D, got {t}"))),
    };
    let op = Op::Col2Im {
        dilations: spatial(cx, "dilations", k, 1)?,
        pads: pads(cx, k)?,
        strides: spatial(cx, "strides", k, 1)?,
    };
    Ok(vec![cx.main1(op, &[Some(x), Some(image_shape), Some(block_shape)])?])
}
