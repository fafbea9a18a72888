//! Inference and evaluation of the normalisation family (see ops/mod.rs for the contract):
//! BatchNorm (inference), LayerNorm, RmsNorm, InstanceNorm, GroupNorm, LpNorm and LRN.
//! Statistics accumulate in f64; the output has x's dtype (LayerNorm's mean and inv_std_dev
//! are f32, ONNX's default stash type).

use super::elementwise::broadcasts_to;
use super::elementwise::num::FloatElem;
use super::elementwise::zip::std_layout;
use crate::ops::util::{opt, req};
use crate::{invalid, norm_axis, unsupported, DType, Dim, Op, OpError, OpResult, Tensor, TensorType};
use ndarray::{ArrayD, Axis, IxDyn};
use std::borrow::Cow;

fn check_float(t: &TensorType, what: &str) -> OpResult<()> {
    if !t.dtype.is_supported() {
        unsupported!("{what} of dtype {}", t.dtype);
    }
    if !t.dtype.is_float() {
        invalid!("{what} must be a float tensor, got {}", t.dtype);
    }
    Ok(())
}

/// A per-channel parameter: rank 1 with C entries.
fn check_channel_param(t: &TensorType, c: &Dim, what: &str) -> OpResult<()> {
    check_float(t, what)?;
    if t.rank() != 1 {
        invalid!("{what} must be 1-D, got {t}");
    }
    if let (Dim::Static(n), Dim::Static(c)) = (&t.dims[0], c) {
        if n != c {
            invalid!("{what} has {n} entries for {c} channels");
        }
    }
    Ok(())
}

/// The first axis normalised by LayerNorm/RmsNorm.
fn start_axis(axis: i64, rank: usize) -> OpResult<usize> {
    Ok(norm_axis(axis, rank)?)
}

pub fn infer(op: &Op, inputs: &[Option<&TensorType>], _consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "x")?;
    check_float(x, "x")?;
    let channel = |names: &[&str]| -> OpResult<()> {
        if x.rank() < 2 {
            invalid!("{} needs an input of rank >= 2 (N, C, ...), got {x}", op.name());
        }
        for (i, n) in names.iter().enumerate() {
            check_channel_param(req(inputs, i + 1, n)?, &x.dims[1], n)?;
        }
        Ok(())
    };
    match op {
        Op::BatchNorm { .. } => channel(&["scale", "bias", "mean", "var"])?,
        Op::InstanceNorm { .. } => channel(&["scale", "bias"])?,
        Op::GroupNorm { num_groups, .. } => {
            channel(&["scale", "bias"])?;
            if *num_groups == 0 {
                invalid!("num_groups must be positive");
            }
            if let Dim::Static(c) = x.dims[1] {
                if c % num_groups != 0 {
                    invalid!("{c} channels do not split into {num_groups} groups");
                }
            }
        }
        Op::LayerNorm { axis, .. } | Op::RmsNorm { axis, .. } => {
            let ax = start_axis(*axis, x.rank())?;
            let scale = req(inputs, 1, "scale")?;
            check_float(scale, "scale")?;
            broadcasts_to(&x.dims, &scale.dims, "scale")?;
            if let (Op::LayerNorm { .. }, Some(b)) = (op, opt(inputs, 2)) {
                check_float(b, "bias")?;
                broadcasts_to(&x.dims, &b.dims, "bias")?;
            }
            if let Op::LayerNorm { .. } = op {
                let mut stat = x.dims.clone();
                for d in &mut stat[ax..] {
                    *d = Dim::Static(1);
                }
                let s = TensorType::new(DType::F32, stat);
                return Ok(vec![x.clone(), s.clone(), s]);
            }
        }
        Op::LpNorm { axis, p } => {
            norm_axis(*axis, x.rank())?;
            if !matches!(p, 1 | 2) {
                invalid!("LpNormalization supports p = 1 or 2, got {p}");
            }
        }
        Op::Lrn { size, .. } => {
            if x.rank() < 2 {
                invalid!("LRN needs an input of rank >= 2 (N, C, ...), got {x}");
            }
            if *size == 0 {
                invalid!("LRN size must be positive");
            }
        }
        _ => invalid!("{} is not a normalisation op", op.name()),
    }
    Ok(vec![x.clone()])
}

pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "x")?;
    macro_rules! float {
        ($f:ident) => {
            match x {
                Tensor::F32(a) => $f(op, a, inputs),
                Tensor::F64(a) => $f(op, a, inputs),
                Tensor::F16(a) => $f(op, a, inputs),
                Tensor::BF16(a) => $f(op, a, inputs),
                _ => invalid!("{} needs a float input, got {}", op.name(), x.dtype()),
            }
        };
    }
    match op {
        Op::BatchNorm { .. } | Op::InstanceNorm { .. } | Op::GroupNorm { .. } => float!(channel_norm),
        Op::LayerNorm { .. } | Op::RmsNorm { .. } => float!(trailing_norm),
        Op::LpNorm { .. } => float!(lp_norm),
        Op::Lrn { .. } => float!(lrn),
        _ => invalid!("{} is not a normalisation op", op.name()),
    }
}

/// A float parameter tensor as f64s.
fn param(inputs: &[Option<&Tensor>], i: usize, what: &str) -> OpResult<ArrayD<f64>> {
    let t = req(inputs, i, what)?;
    if !t.dtype().is_float() {
        invalid!("{what} must be a float tensor, got {}", t.dtype());
    }
    ArrayD::from_shape_vec(IxDyn(t.shape()), t.to_f64_vec()).map_err(|e| OpError::Invalid(e.to_string()))
}

/// A per-channel parameter with exactly `c` entries.
fn channel_param(inputs: &[Option<&Tensor>], i: usize, what: &str, c: usize) -> OpResult<Vec<f64>> {
    let p = param(inputs, i, what)?;
    if p.ndim() != 1 || p.len() != c {
        invalid!("{what} must have shape [{c}], got {:?}", p.shape());
    }
    Ok(p.iter().copied().collect())
}

/// `a`'s elements in row-major order (borrowed when already contiguous).
fn data<T: Clone>(a: &ArrayD<T>) -> Cow<'_, [T]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().cloned().collect()),
    }
}

fn from_vec<T>(shape: &[usize], v: Vec<T>) -> OpResult<ArrayD<T>> {
    ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| OpError::Invalid(format!("internal: {e}")))
}

/// Mean and population variance of a group, two-pass in f64.
fn moments<T: FloatElem>(s: &[T]) -> (f64, f64) {
    let n = s.len() as f64;
    let mean = s.iter().map(|v| v.to_f64()).sum::<f64>() / n;
    let var = s.iter().map(|v| (v.to_f64() - mean).powi(2)).sum::<f64>() / n;
    (mean, var)
}

/// BatchNorm, InstanceNorm and GroupNorm: x is [N, C, spatial…] with per-channel parameters.
fn channel_norm<T: FloatElem>(op: &Op, a: &ArrayD<T>, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let shape = a.shape();
    if shape.len() < 2 {
        invalid!("{} needs an input of rank >= 2 (N, C, ...), got shape {shape:?}", op.name());
    }
    let (n, c) = (shape[0], shape[1]);
    let spatial: usize = shape[2..].iter().product();
    let x = data(a);
    let scale = channel_param(inputs, 1, "scale", c)?;
    let bias = channel_param(inputs, 2, "bias", c)?;
    let mut out = vec![T::default(); x.len()];
    match op {
        Op::BatchNorm { epsilon } => {
            let mean = channel_param(inputs, 3, "mean", c)?;
            let var = channel_param(inputs, 4, "var", c)?;
            let eps = epsilon.0 as f64;
            for (i, (o, v)) in out.iter_mut().zip(x.iter()).enumerate() {
                let ch = (i / spatial.max(1)) % c;
                *o = T::from_f64r(scale[ch] * (v.to_f64() - mean[ch]) / (var[ch] + eps).sqrt() + bias[ch]);
            }
        }
        Op::InstanceNorm { epsilon } | Op::GroupNorm { epsilon, .. } => {
            let groups = match op {
                Op::GroupNorm { num_groups, .. } => *num_groups,
                _ => c,
            };
            if groups == 0 || c % groups != 0 {
                invalid!("{c} channels do not split into {groups} groups");
            }
            let glen = (c / groups) * spatial;
            let eps = epsilon.0 as f64;
            if glen > 0 {
                for (g, (xs, os)) in x.chunks(glen).zip(out.chunks_mut(glen)).enumerate() {
                    let (mean, var) = moments(xs);
                    let inv = 1.0 / (var + eps).sqrt();
                    let first_channel = (g % groups) * (c / groups);
                    for (j, (o, v)) in os.iter_mut().zip(xs).enumerate() {
                        let ch = first_channel + j / spatial.max(1);
                        *o = T::from_f64r((v.to_f64() - mean) * inv * scale[ch] + bias[ch]);
                    }
                }
            }
        }
        _ => invalid!("{} is not a per-channel normalisation", op.name()),
    }
    let _ = n;
    Ok(vec![T::wrap(from_vec(shape, out)?)])
}

/// LayerNorm and RmsNorm over axes [axis, rank), with scale (and bias) broadcast to x.
fn trailing_norm<T: FloatElem>(op: &Op, a: &ArrayD<T>, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let shape = a.shape();
    let (axis, eps, layer) = match op {
        Op::LayerNorm { axis, epsilon } => (*axis, epsilon.0 as f64, true),
        Op::RmsNorm { axis, epsilon } => (*axis, epsilon.0 as f64, false),
        _ => invalid!("{} is not LayerNorm/RmsNorm", op.name()),
    };
    let ax = start_axis(axis, shape.len())?;
    let inner: usize = shape[ax..].iter().product();
    let x = data(a);
    let broadcast = |p: ArrayD<f64>, what: &str| -> OpResult<Vec<f64>> {
        match p.broadcast(IxDyn(shape)) {
            Some(b) => Ok(b.iter().copied().collect()),
            None => invalid!("{what} of shape {:?} does not broadcast to x's shape {shape:?}", p.shape()),
        }
    };
    let scale = broadcast(param(inputs, 1, "scale")?, "scale")?;
    let bias = match (layer, opt(inputs, 2)) {
        (true, Some(_)) => Some(broadcast(param(inputs, 2, "bias")?, "bias")?),
        _ => None,
    };
    let mut out = vec![T::default(); x.len()];
    let rows = if inner == 0 { 0 } else { x.len() / inner };
    let mut means = Vec::with_capacity(rows);
    let mut invs = Vec::with_capacity(rows);
    for r in 0..rows {
        let lo = r * inner;
        let xs = &x[lo..lo + inner];
        let (mean, inv) = if layer {
            let (m, var) = moments(xs);
            (m, 1.0 / (var + eps).sqrt())
        } else {
            let ms = xs.iter().map(|v| v.to_f64().powi(2)).sum::<f64>() / inner as f64;
            (0.0, 1.0 / (ms + eps).sqrt())
        };
        means.push(mean as f32);
        invs.push(inv as f32);
        for j in lo..lo + inner {
            let mut y = (x[j].to_f64() - mean) * inv * scale[j];
            if let Some(b) = &bias {
                y += b[j];
            }
            out[j] = T::from_f64r(y);
        }
    }
    let y = T::wrap(from_vec(shape, out)?);
    if !layer {
        return Ok(vec![y]);
    }
    let mut stat_shape = shape.to_vec();
    for d in &mut stat_shape[ax..] {
        *d = 1;
    }
    if rows == 0 {
        // x has no elements: the statistics are empty too (or NaN where rows exist with no columns).
        let n: usize = stat_shape.iter().product();
        means = vec![f32::NAN; n];
        invs = vec![f32::NAN; n];
    }
    Ok(vec![y, Tensor::F32(from_vec(&stat_shape, means)?), Tensor::F32(from_vec(&stat_shape, invs)?)])
}

/// x divided by its L1 or L2 norm along one axis (zero norms give 0).
fn lp_norm<T: FloatElem>(op: &Op, a: &ArrayD<T>, _inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let Op::LpNorm { axis, p } = op else { invalid!("{} is not LpNorm", op.name()) };
    let ax = norm_axis(*axis, a.ndim())?;
    if !matches!(p, 1 | 2) {
        invalid!("LpNormalization supports p = 1 or 2, got {p}");
    }
    let mut out = std_layout(a.clone());
    for mut lane in out.lanes_mut(Axis(ax)) {
        let norm = if *p == 1 {
            lane.iter().map(|v| v.to_f64().abs()).sum::<f64>()
        } else {
            lane.iter().map(|v| v.to_f64().powi(2)).sum::<f64>().sqrt()
        };
        for v in lane.iter_mut() {
            *v = T::from_f64r(if norm == 0.0 { 0.0 } else { v.to_f64() / norm });
        }
    }
    Ok(vec![T::wrap(out)])
}

/// Local response normalisation across channels.
fn lrn<T: FloatElem>(op: &Op, a: &ArrayD<T>, _inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let Op::Lrn { alpha, beta, bias, size } = op else { invalid!("{} is not LRN", op.name()) };
    let shape = a.shape();
    if shape.len() < 2 || *size == 0 {
        invalid!("LRN needs rank >= 2 and size >= 1, got shape {shape:?} and size {size}");
    }
    let (n, c) = (shape[0], shape[1]);
    let s: usize = shape[2..].iter().product();
    let x = data(a);
    let (before, after) = ((size - 1) / 2, (size - 1).div_ceil(2));
    let (alpha, beta, bias) = (alpha.0 as f64, beta.0 as f64, bias.0 as f64);
    let k = alpha / *size as f64;
    let mut out = vec![T::default(); x.len()];
    for b in 0..n {
        for ch in 0..c {
            let lo = ch.saturating_sub(before);
            let hi = (ch + after).min(c - 1);
            for p in 0..s {
                let sq: f64 = (lo..=hi).map(|cc| x[(b * c + cc) * s + p].to_f64().powi(2)).sum();
                let i = (b * c + ch) * s + p;
                out[i] = T::from_f64r(x[i].to_f64() / (bias + k * sq).powf(beta));
            }
        }
    }
    Ok(vec![T::wrap(from_vec(shape, out)?)])
}

#[cfg(test)]
mod tests;
