//! Inference and evaluation of QuantizeLinear and DequantizeLinear (see ops/mod.rs for the
//! contract): per-tensor, per-axis and blocked scales and zero points, integer targets.
//! Quantization divides in the promoted float type as numpy does, rounds half to even, adds
//! the zero point and saturates to the target range.

use super::elementwise::num::{f64_to_bf16, f64_to_f16};
use crate::ops::util::{opt, req};
use crate::{invalid, norm_axis, unsupported, DType, Dim, Element, Op, OpError, OpResult, Tensor, TensorType};
use half::{bf16, f16};

/// Integer targets and their ranges.
fn int_range(d: DType) -> Option<(f64, f64)> {
    Some(match d {
        DType::I8 => (i8::MIN as f64, i8::MAX as f64),
        DType::U8 => (0.0, u8::MAX as f64),
        DType::I16 => (i16::MIN as f64, i16::MAX as f64),
        DType::U16 => (0.0, u16::MAX as f64),
        DType::I32 => (i32::MIN as f64, i32::MAX as f64),
        _ => return None,
    })
}

/// Where the scale (or zero point) applies.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Layout {
    PerTensor,
    PerAxis(usize),
    Blocked(usize, usize),
}

/// The layout of parameter `p` (of shape `pd`) for an input of shape `xd`, checking the sizes
/// that are known.
fn layout(xd: &[Dim], pd: &[Dim], axis: i64, block_size: usize, what: &str) -> OpResult<Layout> {
    let one_elem = pd.len() <= 1 && pd.iter().all(|d| *d == Dim::Static(1));
    if block_size == 0 {
        if one_elem {
            return Ok(Layout::PerTensor);
        }
        let ax = norm_axis(axis, xd.len())?;
        if pd.len() != 1 {
            invalid!("{what} must be a scalar or 1-D (per-axis), got rank {}", pd.len());
        }
        if let (Dim::Static(n), Dim::Static(d)) = (&pd[0], &xd[ax]) {
            if n != d {
                invalid!("{what} has {n} entries for axis {ax} of size {d}");
            }
        }
        return Ok(Layout::PerAxis(ax));
    }
    let ax = norm_axis(axis, xd.len())?;
    if pd.len() != xd.len() {
        invalid!("blocked {what} must have x's rank {}, got rank {}", xd.len(), pd.len());
    }
    for (i, (p, x)) in pd.iter().zip(xd).enumerate() {
        if let (Dim::Static(p), Dim::Static(x)) = (p, x) {
            let want = if i == ax { x.div_ceil(block_size) } else { *x };
            if *p != want {
                invalid!("blocked {what} has size {p} on axis {i}, expected {want} (x size {x}, block size {block_size})");
            }
        }
    }
    Ok(Layout::Blocked(ax, block_size))
}

fn static_dims(s: &[usize]) -> Vec<Dim> {
    s.iter().map(|&d| Dim::Static(d)).collect()
}

/// Maps a row-major flat index of x to the flat index of a parameter of layout `l` and shape
/// `p_shape` (whose non-axis dims equal x's for blocked layouts).
fn param_index(l: Layout, x_shape: &[usize], p_shape: &[usize]) -> impl Fn(usize) -> usize {
    let (ax, bs) = match l {
        Layout::PerTensor => (None, 1),
        Layout::PerAxis(ax) => (Some(ax), 1),
        Layout::Blocked(ax, bs) => (Some(ax), bs),
    };
    let inner: usize = ax.map_or(1, |a| x_shape.get(a + 1..).map_or(1, |s| s.iter().product()));
    let dim = ax.and_then(|a| x_shape.get(a)).copied().unwrap_or(1).max(1);
    let pdim = ax.and_then(|a| p_shape.get(a)).copied().unwrap_or(1);
    let blocked = matches!(l, Layout::Blocked(..));
    let inner = inner.max(1);
    move |i| match ax {
        None => 0,
        Some(_) if !blocked => (i / inner) % dim,
        Some(_) => {
            let (outer, a, r) = (i / (dim * inner), (i / inner) % dim, i % inner);
            (outer * pdim + a / bs) * inner + r
        }
    }
}

pub fn infer(op: &Op, inputs: &[Option<&TensorType>], _consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "x")?;
    let scale = req(inputs, 1, "scale")?;
    let zp = opt(inputs, 2);
    let (axis, block_size) = match op {
        Op::QuantizeLinear { axis, block_size, .. } | Op::DequantizeLinear { axis, block_size, .. } => (*axis, *block_size),
        _ => invalid!("{} is not a quantization op", op.name()),
    };
    let out = check_types(op, x.dtype, scale.dtype, zp.map(|z| z.dtype))?;
    layout(&x.dims, &scale.dims, axis, block_size, "scale")?;
    if let Some(z) = zp {
        let ls = layout(&x.dims, &scale.dims, axis, block_size, "scale")?;
        let lz = layout(&x.dims, &z.dims, axis, block_size, "zero_point")?;
        if ls != lz {
            invalid!("scale {scale} and zero_point {z} have different layouts");
        }
    }
    Ok(vec![x.with_dtype(out)])
}

/// Check the dtypes and return the output dtype.
fn check_types(op: &Op, x: DType, scale: DType, zp: Option<DType>) -> OpResult<DType> {
    match op {
        Op::QuantizeLinear { to, .. } => {
            if !matches!(x, DType::F32 | DType::F16 | DType::BF16 | DType::I32 | DType::F64) {
                invalid!("QuantizeLinear input must be float or i32, got {x}");
            }
            if !matches!(scale, DType::F32 | DType::F16 | DType::BF16 | DType::F64) {
                invalid!("QuantizeLinear scale must be float, got {scale}");
            }
            if let Some(z) = zp {
                if z != *to {
                    invalid!("zero_point has dtype {z} but the output is {to}");
                }
            }
            if int_range(*to).is_none() {
                if to.is_float() || matches!(to, DType::I4 | DType::U4) {
                    unsupported!("quantization to {to}");
                }
                invalid!("QuantizeLinear cannot produce {to}");
            }
            Ok(*to)
        }
        Op::DequantizeLinear { to, .. } => {
            if int_range(x).is_none() {
                if x.is_float() || matches!(x, DType::I4 | DType::U4) {
                    unsupported!("dequantization of {x}");
                }
                invalid!("DequantizeLinear input must be a quantized integer type, got {x}");
            }
            if !matches!(scale, DType::F32 | DType::F16 | DType::BF16 | DType::F64) {
                invalid!("DequantizeLinear scale must be float, got {scale}");
            }
            if let Some(z) = zp {
                if z != x {
                    invalid!("zero_point has dtype {z} but x is {x}");
                }
            }
            let out = to.unwrap_or(scale);
            if !out.is_float() {
                invalid!("DequantizeLinear output must be float, got {out}");
            }
            if !out.is_supported() {
                unsupported!("dequantization to {out}");
            }
            Ok(out)
        }
        _ => invalid!("{} is not a quantization op", op.name()),
    }
}

pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "x")?;
    let scale = req(inputs, 1, "scale")?;
    let zp = opt(inputs, 2);
    let (axis, block_size) = match op {
        Op::QuantizeLinear { axis, block_size, .. } | Op::DequantizeLinear { axis, block_size, .. } => (*axis, *block_size),
        _ => invalid!("{} is not a quantization op", op.name()),
    };
    let out = check_types(op, x.dtype(), scale.dtype(), zp.map(|z| z.dtype()))?;
    let xd = static_dims(x.shape());
    let ls = layout(&xd, &static_dims(scale.shape()), axis, block_size, "scale")?;
    let sv = scale.to_f64_vec();
    let zv = match zp {
        Some(z) => {
            let lz = layout(&xd, &static_dims(z.shape()), axis, block_size, "zero_point")?;
            if lz != ls {
                invalid!("scale {} and zero_point {} have different layouts", scale.ty(), z.ty());
            }
            z.to_f64_vec()
        }
        None => vec![],
    };
    let idx = param_index(ls, x.shape(), scale.shape());
    let s_at = |i: usize| sv.get(idx(i)).copied().unwrap_or(f64::NAN);
    let z_at = |i: usize| zv.get(idx(i)).copied().unwrap_or(0.0);
    let shape = x.shape();
    let y = match op {
        Op::QuantizeLinear { .. } => {
            let (lo, hi) = int_range(out).ok_or_else(|| OpError::Unsupported(format!("quantization to {out}")))?;
            // numpy divides in the promoted type: the wider float, or f64 for i32 inputs.
            let promoted = match (x.dtype(), scale.dtype()) {
                (DType::I32, _) | (DType::F64, _) | (_, DType::F64) => DType::F64,
                (DType::F32, _) | (_, DType::F32) => DType::F32,
                (a, b) if a == b => a,
                _ => DType::F32,
            };
            let round_to = |q: f64| match promoted {
                DType::F32 => q as f32 as f64,
                DType::F16 => f64_to_f16(q).to_f64(),
                DType::BF16 => f64_to_bf16(q).to_f64(),
                _ => q,
            };
            let q: Vec<i64> = crate::with_tensor!(x, a => a
                .iter()
                .enumerate()
                .map(|(i, v)| (round_to(Element::to_f64(*v) / s_at(i)).round_ties_even() + z_at(i)).clamp(lo, hi) as i64)
                .collect());
            match out {
                DType::I8 => Tensor::from_vec(shape, q.into_iter().map(|v| v as i8).collect())?,
                DType::U8 => Tensor::from_vec(shape, q.into_iter().map(|v| v as u8).collect())?,
                DType::I16 => Tensor::from_vec(shape, q.into_iter().map(|v| v as i16).collect())?,
                DType::U16 => Tensor::from_vec(shape, q.into_iter().map(|v| v as u16).collect())?,
                DType::I32 => Tensor::from_vec(shape, q.into_iter().map(|v| v as i32).collect())?,
                other => unsupported!("quantization to {other}"),
            }
        }
        Op::DequantizeLinear { .. } => {
            // (x - zero_point) * scale computed as the reference does, rounded to f32.
            let y: Vec<f32> = crate::with_tensor!(x, a => a
                .iter()
                .enumerate()
                .map(|(i, v)| (((Element::to_f64(*v) as f32) as f64 - z_at(i)) * s_at(i)) as f32)
                .collect());
            match out {
                DType::F32 => Tensor::from_vec(shape, y)?,
                DType::F64 => Tensor::from_vec(shape, y.into_iter().map(|v| v as f64).collect())?,
                DType::F16 => Tensor::from_vec(shape, y.into_iter().map(f16::from_f32).collect())?,
                DType::BF16 => Tensor::from_vec(shape, y.into_iter().map(bf16::from_f32).collect())?,
                other => unsupported!("dequantization to {other}"),
            }
        }
        _ => invalid!("{} is not a quantization op", op.name()),
    };
    Ok(vec![y])
}

#[cfg(test)]
mod tests;
