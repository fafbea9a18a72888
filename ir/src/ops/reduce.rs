//! Inference and evaluation of the reduction family (see ops/mod.rs for the contract): Reduce,
//! ArgReduce, Softmax/LogSoftmax/Hardmax, CumSum/CumProd and TopK.

mod scan;
mod softmax;
mod topk;

use super::elementwise::num::{FloatElem, IntElem};
use super::elementwise::zip::std_layout;
use crate::ops::util::{opt, req, unknown};
use crate::{invalid, norm_axis, unsupported, DType, Element, Dim, Op, OpResult, ReduceKind, Tensor, TensorType};
use ndarray::{ArrayD, Axis, IxDyn, Zip};
use std::borrow::Cow;

pub fn infer(op: &Op, inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "x")?;
    if !x.dtype.is_supported() {
        unsupported!("{} of dtype {}", op.name(), x.dtype);
    }
    match op {
        Op::Reduce { kind, keepdims, noop_with_empty_axes } => {
            check_reduce_dtype(*kind, x.dtype)?;
            let rank = x.rank();
            let axes_ty = opt(inputs, 1);
            let known: Option<Vec<i64>> = match (axes_ty, opt(consts, 1)) {
                (None, _) => Some(vec![]),
                (Some(_), Some(c)) => Some(axes_values(c)?),
                (Some(t), None) => {
                    if t.rank() != 1 || !t.dtype.is_int() {
                        invalid!("axes must be a 1-D integer tensor, got {t}");
                    }
                    match t.dims[0] {
                        Dim::Static(0) => Some(vec![]),
                        _ => None,
                    }
                }
            };
            let dims = match known {
                Some(axes) => {
                    let reduced = resolve_axes(&axes, rank, *noop_with_empty_axes)?;
                    x.dims
                        .iter()
                        .zip(&reduced)
                        .filter_map(|(d, &r)| match (r, keepdims) {
                            (false, _) => Some(d.clone()),
                            (true, true) => Some(Dim::Static(1)),
                            (true, false) => None,
                        })
                        .collect()
                }
                // Axes known only at run time: with keepdims every non-1 dim may become 1.
                None if *keepdims => {
                    x.dims.iter().map(|d| if *d == Dim::Static(1) { d.clone() } else { unknown() }).collect()
                }
                None => match axes_ty.and_then(|t| t.dims[0].as_static()) {
                    Some(n) if n <= rank => vec![unknown(); rank - n],
                    Some(n) => invalid!("{n} reduction axes for a rank-{rank} input"),
                    None => unsupported!("reduction without keepdims over axes of unknown count"),
                },
            };
            Ok(vec![TensorType::new(x.dtype, dims)])
        }
        Op::ArgReduce { axis, keepdims, .. } => {
            if !(x.dtype.is_int() || x.dtype.is_float()) {
                invalid!("ArgMax/ArgMin is not defined for {}", x.dtype);
            }
            let ax = norm_axis(*axis, x.rank())?;
            if x.dims[ax] == Dim::Static(0) {
                invalid!("ArgMax/ArgMin over an empty axis");
            }
            let mut dims = x.dims.clone();
            if *keepdims {
                dims[ax] = Dim::Static(1);
            } else {
                dims.remove(ax);
            }
            Ok(vec![TensorType::new(DType::I64, dims)])
        }
        Op::Softmax { axis, .. } => {
            if !x.dtype.is_float() {
                invalid!("softmax is not defined for {}", x.dtype);
            }
            norm_axis(*axis, x.rank())?;
            Ok(vec![x.clone()])
        }
        Op::CumSum { .. } | Op::CumProd { .. } => {
            if !(x.dtype.is_int() || x.dtype.is_float()) {
                invalid!("{} is not defined for {}", op.name(), x.dtype);
            }
            let a = req(inputs, 1, "axis")?;
            if !matches!(a.dtype, DType::I32 | DType::I64) || a.rank() > 1 || a.num_elements().is_some_and(|n| n != 1) {
                invalid!("axis must be an i32/i64 scalar, got {a}");
            }
            if let Some(c) = opt(consts, 1) {
                scan::axis_of(c, x.rank())?;
            }
            Ok(vec![x.clone()])
        }
        Op::TopK { axis, .. } => {
            if !(x.dtype.is_int() || x.dtype.is_float()) {
                invalid!("TopK is not defined for {}", x.dtype);
            }
            let ax = norm_axis(*axis, x.rank())?;
            let kt = req(inputs, 1, "k")?;
            if !matches!(kt.dtype, DType::I64 | DType::I32) || kt.rank() > 1 || kt.num_elements().is_some_and(|n| n != 1) {
                invalid!("k must be a one-element i64 tensor, got {kt}");
            }
            let mut dims = x.dims.clone();
            dims[ax] = match opt(consts, 1) {
                Some(k) => Dim::Static(topk::k_of(k, x.dims[ax].as_static())?),
                None => unknown(),
            };
            Ok(vec![TensorType::new(x.dtype, dims.clone()), TensorType::new(DType::I64, dims)])
        }
        _ => invalid!("{} is not a reduction", op.name()),
    }
}

pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "x")?;
    match op {
        Op::Reduce { kind, keepdims, noop_with_empty_axes } => {
            check_reduce_dtype(*kind, x.dtype())?;
            let axes = match opt(inputs, 1) {
                Some(a) => axes_values(a)?,
                None => vec![],
            };
            let reduced = resolve_axes(&axes, x.shape().len(), *noop_with_empty_axes)?;
            Ok(vec![reduce(*kind, x, &reduced, *keepdims)?])
        }
        Op::ArgReduce { max, axis, keepdims, select_last_index } => {
            Ok(vec![arg_reduce(x, *max, *axis, *keepdims, *select_last_index)?])
        }
        Op::Softmax { kind, axis } => Ok(vec![softmax::eval(*kind, x, *axis)?]),
        Op::CumSum { exclusive, reverse } => Ok(vec![scan::eval(x, req(inputs, 1, "axis")?, false, *exclusive, *reverse)?]),
        Op::CumProd { exclusive, reverse } => Ok(vec![scan::eval(x, req(inputs, 1, "axis")?, true, *exclusive, *reverse)?]),
        Op::TopK { axis, largest, .. } => topk::eval(x, req(inputs, 1, "k")?, *axis, *largest),
        _ => invalid!("{} is not a reduction", op.name()),
    }
}

fn check_reduce_dtype(kind: ReduceKind, d: DType) -> OpResult<()> {
    let ok = d.is_float() || d.is_int() || (d == DType::Bool && matches!(kind, ReduceKind::Max | ReduceKind::Min));
    if !ok {
        invalid!("Reduce{kind:?} is not defined for {d}");
    }
    Ok(())
}

fn axes_values(t: &Tensor) -> OpResult<Vec<i64>> {
    if !t.dtype().is_int() || t.shape().len() > 1 {
        invalid!("axes must be a 1-D integer tensor, got {}", t.ty());
    }
    Ok(t.to_i64_vec())
}

/// Which axes are reduced. Empty axes reduce everything, or nothing with `noop_with_empty_axes`.
fn resolve_axes(axes: &[i64], rank: usize, noop: bool) -> OpResult<Vec<bool>> {
    if axes.is_empty() {
        return Ok(vec![!noop; rank]);
    }
    let mut reduced = vec![false; rank];
    for &a in axes {
        let i = norm_axis(a, rank)?;
        if reduced[i] {
            invalid!("axis {a} is repeated in {axes:?}");
        }
        reduced[i] = true;
    }
    Ok(reduced)
}

/// The elements of `a` reordered so that each reduction group is contiguous: kept axes first
/// (row-major), reduced axes last. No copy when the reduced axes already trail.
fn grouped<'a, T: Clone>(a: &'a ArrayD<T>, reduced: &[bool]) -> Cow<'a, [T]> {
    let trailing = reduced.iter().skip_while(|r| !**r).all(|r| *r);
    if trailing {
        if let Some(s) = a.as_slice() {
            return Cow::Borrowed(s);
        }
    }
    let rank = reduced.len();
    let perm: Vec<usize> =
        (0..rank).filter(|&i| !reduced[i]).chain((0..rank).filter(|&i| reduced[i])).collect();
    Cow::Owned(a.view().permuted_axes(IxDyn(&perm)).iter().cloned().collect())
}

/// Apply `f` to every reduction group of `a`.
fn reduce_with<T: Clone, U>(a: &ArrayD<T>, reduced: &[bool], keepdims: bool, f: impl Fn(&[T]) -> U) -> OpResult<ArrayD<U>> {
    let data = grouped(a, reduced);
    let n: usize = a.shape().iter().zip(reduced).filter(|(_, &r)| r).map(|(d, _)| *d).product();
    let groups: usize = a.shape().iter().zip(reduced).filter(|(_, &r)| !r).map(|(d, _)| *d).product();
    let out: Vec<U> = (0..groups).map(|g| f(data.get(g * n..(g + 1) * n).unwrap_or(&[]))).collect();
    let shape: Vec<usize> = a
        .shape()
        .iter()
        .zip(reduced)
        .filter_map(|(&d, &r)| match (r, keepdims) {
            (false, _) => Some(d),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(&shape), out).map_err(|e| crate::OpError::Invalid(format!("internal: {e}")))
}

fn reduce(kind: ReduceKind, x: &Tensor, reduced: &[bool], keepdims: bool) -> OpResult<Tensor> {
    Ok(match x {
        Tensor::F32(a) => Tensor::F32(reduce_with(a, reduced, keepdims, float_kernel(kind))?),
        Tensor::F64(a) => Tensor::F64(reduce_with(a, reduced, keepdims, float_kernel(kind))?),
        Tensor::F16(a) => Tensor::F16(reduce_with(a, reduced, keepdims, float_kernel(kind))?),
        Tensor::BF16(a) => Tensor::BF16(reduce_with(a, reduced, keepdims, float_kernel(kind))?),
        Tensor::I8(a) => Tensor::I8(reduce_with(a, reduced, keepdims, int_kernel(kind))?),
        Tensor::I16(a) => Tensor::I16(reduce_with(a, reduced, keepdims, int_kernel(kind))?),
        Tensor::I32(a) => Tensor::I32(reduce_with(a, reduced, keepdims, int_kernel(kind))?),
        Tensor::I64(a) => Tensor::I64(reduce_with(a, reduced, keepdims, int_kernel(kind))?),
        Tensor::U8(a) => Tensor::U8(reduce_with(a, reduced, keepdims, int_kernel(kind))?),
        Tensor::U16(a) => Tensor::U16(reduce_with(a, reduced, keepdims, int_kernel(kind))?),
        Tensor::U32(a) => Tensor::U32(reduce_with(a, reduced, keepdims, int_kernel(kind))?),
        Tensor::U64(a) => Tensor::U64(reduce_with(a, reduced, keepdims, int_kernel(kind))?),
        Tensor::Bool(a) => match kind {
            ReduceKind::Max => Tensor::Bool(reduce_with(a, reduced, keepdims, |s: &[bool]| s.iter().any(|&b| b))?),
            ReduceKind::Min => Tensor::Bool(reduce_with(a, reduced, keepdims, |s: &[bool]| s.iter().all(|&b| b))?),
            _ => invalid!("Reduce{kind:?} is not defined for bool"),
        },
    })
}

/// log Σ exp(x), stable: shifted by the largest finite element.
fn log_sum_exp(s: impl Iterator<Item = f64> + Clone) -> f64 {
    let m = s.clone().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    let m = if m.is_finite() { m } else { 0.0 };
    m + s.map(|v| (v - m).exp()).sum::<f64>().ln()
}

/// The reduction of one group of floats, accumulated in f64. Empty groups give the identities
/// ONNX expects (0, 1, ±inf, NaN for the mean, -inf for the log-sums).
fn float_kernel<T: FloatElem>(kind: ReduceKind) -> impl Fn(&[T]) -> T {
    use super::elementwise::binary::{nan_max, nan_min};
    move |s: &[T]| {
        let it = s.iter().map(|v| v.to_f64());
        let r = match kind {
            ReduceKind::Sum => it.sum::<f64>(),
            ReduceKind::Mean => it.sum::<f64>() / s.len() as f64,
            ReduceKind::Max => it.fold(f64::NEG_INFINITY, nan_max),
            ReduceKind::Min => it.fold(f64::INFINITY, nan_min),
            ReduceKind::Prod => it.product(),
            ReduceKind::L1 => it.map(f64::abs).sum(),
            ReduceKind::L2 => it.map(|v| v * v).sum::<f64>().sqrt(),
            ReduceKind::LogSum => it.sum::<f64>().ln(),
            ReduceKind::LogSumExp => log_sum_exp(it),
            ReduceKind::SumSquare => it.map(|v| v * v).sum(),
        };
        T::from_f64r(r)
    }
}

/// The reduction of one group of integers: wrapping sums and products (numpy), truncating mean.
fn int_kernel<T: IntElem>(kind: ReduceKind) -> impl Fn(&[T]) -> T {
    move |s: &[T]| {
        let it = s.iter().map(|v| Element::to_i64(*v));
        let abs = |v: &T| if T::SIGNED { Element::to_i64(*v).wrapping_abs() } else { Element::to_i64(*v) };
        match kind {
            ReduceKind::Sum => T::from_i64(it.fold(0i64, i64::wrapping_add)),
            ReduceKind::Mean => {
                let sum: i128 = s.iter().map(|v| v.to_i128().unwrap_or(0)).sum();
                T::from_i64(if s.is_empty() { 0 } else { (sum / s.len() as i128) as i64 })
            }
            ReduceKind::Max => s.iter().copied().fold(T::min_value(), |a, b| a.max(b)),
            ReduceKind::Min => s.iter().copied().fold(T::max_value(), |a, b| a.min(b)),
            ReduceKind::Prod => T::from_i64(it.fold(1i64, i64::wrapping_mul)),
            ReduceKind::L1 => T::from_i64(s.iter().map(abs).fold(0i64, i64::wrapping_add)),
            ReduceKind::SumSquare => T::from_i64(it.map(|v| v.wrapping_mul(v)).fold(0i64, i64::wrapping_add)),
            ReduceKind::L2 => T::from_f64(s.iter().map(|v| Element::to_f64(*v) * Element::to_f64(*v)).sum::<f64>().sqrt()),
            ReduceKind::LogSum => T::from_f64(s.iter().map(|v| Element::to_f64(*v)).sum::<f64>().ln()),
            ReduceKind::LogSumExp => T::from_f64(log_sum_exp(s.iter().map(|v| Element::to_f64(*v)))),
        }
    }
}

/// `f` applied to every 1-D lane of `a` along `axis`, collected in row-major order of the other axes.
fn map_lanes<T, U: Clone>(a: &ArrayD<T>, axis: usize, f: impl Fn(ndarray::ArrayView1<T>) -> U) -> ArrayD<U> {
    std_layout(Zip::from(a.lanes(Axis(axis))).map_collect(f))
}

/// Index of the max (min) of a lane. NaN counts as the extreme, as numpy's argmax/argmin;
/// ties go to the first index, or the last with `last`.
fn arg_index<T: PartialOrd + Copy>(lane: ndarray::ArrayView1<T>, max: bool, last: bool) -> i64 {
    #[allow(clippy::eq_op)]
    let nan = |v: T| v != v;
    let mut best: Option<(usize, T)> = None;
    for (i, &v) in lane.iter().enumerate() {
        let better = match best {
            None => true,
            Some((_, b)) => {
                if nan(b) {
                    last && nan(v)
                } else if nan(v) {
                    true
                } else if max {
                    v > b || (last && v == b)
                } else {
                    v < b || (last && v == b)
                }
            }
        };
        if better {
            best = Some((i, v));
        }
    }
    best.map_or(0, |(i, _)| i as i64)
}

fn arg_reduce(x: &Tensor, max: bool, axis: i64, keepdims: bool, last: bool) -> OpResult<Tensor> {
    let rank = x.shape().len();
    let ax = norm_axis(axis, rank)?;
    if x.shape()[ax] == 0 {
        invalid!("ArgMax/ArgMin over an empty axis");
    }
    let mut out = match x {
        Tensor::F32(a) => map_lanes(a, ax, |l| arg_index(l, max, last)),
        Tensor::F64(a) => map_lanes(a, ax, |l| arg_index(l, max, last)),
        Tensor::F16(a) => map_lanes(a, ax, |l| arg_index(l, max, last)),
        Tensor::BF16(a) => map_lanes(a, ax, |l| arg_index(l, max, last)),
        Tensor::I8(a) => map_lanes(a, ax, |l| arg_index(l, max, last)),
        Tensor::I16(a) => map_lanes(a, ax, |l| arg_index(l, max, last)),
        Tensor::I32(a) => map_lanes(a, ax, |l| arg_index(l, max, last)),
        Tensor::I64(a) => map_lanes(a, ax, |l| arg_index(l, max, last)),
        Tensor::U8(a) => map_lanes(a, ax, |l| arg_index(l, max, last)),
        Tensor::U16(a) => map_lanes(a, ax, |l| arg_index(l, max, last)),
        Tensor::U32(a) => map_lanes(a, ax, |l| arg_index(l, max, last)),
        Tensor::U64(a) => map_lanes(a, ax, |l| arg_index(l, max, last)),
        Tensor::Bool(_) => invalid!("ArgMax/ArgMin is not defined for bool"),
    };
    if keepdims {
        out = out.insert_axis(Axis(ax));
    }
    Ok(Tensor::I64(out))
}

#[cfg(test)]
mod tests;
