//! TopK along one axis: the k largest (or smallest) values, sorted, with their i64 indices.
//! Equal values keep index order (the lower index first); NaN counts as the largest value.

use crate::{invalid, norm_axis, OpResult, Tensor};
use ndarray::{ArrayD, Axis, IxDyn};
use std::cmp::Ordering;

/// The k operand: one non-negative integer, at most the axis size when that is known.
pub fn k_of(t: &Tensor, axis_size: Option<usize>) -> OpResult<usize> {
    if !t.dtype().is_int() || t.shape().len() > 1 || t.len() != 1 {
        invalid!("k must be a one-element integer tensor, got {}", t.ty());
    }
    let k = t.to_i64_vec().first().copied().unwrap_or(-1);
    if k < 0 {
        invalid!("k must be non-negative, got {k}");
    }
    if let Some(n) = axis_size {
        if k as u64 > n as u64 {
            invalid!("k = {k} exceeds the axis size {n}");
        }
    }
    Ok(k as usize)
}

pub fn eval(x: &Tensor, k: &Tensor, axis: i64, largest: bool) -> OpResult<Vec<Tensor>> {
    let ax = norm_axis(axis, x.shape().len())?;
    let k = k_of(k, Some(x.shape()[ax]))?;
    macro_rules! go {
        ($a:expr) => {{
            let (v, i) = topk($a, ax, k, largest)?;
            vec![crate::Element::wrap(v), Tensor::I64(i)]
        }};
    }
    Ok(match x {
        Tensor::F32(a) => go!(a),
        Tensor::F64(a) => go!(a),
        Tensor::F16(a) => go!(a),
        Tensor::BF16(a) => go!(a),
        Tensor::I8(a) => go!(a),
        Tensor::I16(a) => go!(a),
        Tensor::I32(a) => go!(a),
        Tensor::I64(a) => go!(a),
        Tensor::U8(a) => go!(a),
        Tensor::U16(a) => go!(a),
        Tensor::U32(a) => go!(a),
        Tensor::U64(a) => go!(a),
        Tensor::Bool(_) => invalid!("TopK is not defined for bool"),
    })
}

/// Total order with NaN above everything.
fn cmp_nan_high<T: PartialOrd>(a: &T, b: &T) -> Ordering {
    #[allow(clippy::eq_op)]
    match (a != a, b != b) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
    }
}

fn topk<T: crate::Element + PartialOrd>(a: &ArrayD<T>, ax: usize, k: usize, largest: bool) -> OpResult<(ArrayD<T>, ArrayD<i64>)> {
    let mut shape = a.shape().to_vec();
    shape[ax] = k;
    let mut vals = ArrayD::from_elem(IxDyn(&shape), T::default());
    let mut idxs = ArrayD::from_elem(IxDyn(&shape), 0i64);
    let mut order: Vec<usize> = Vec::new();
    for ((lane, mut vl), mut il) in a.lanes(Axis(ax)).into_iter().zip(vals.lanes_mut(Axis(ax))).zip(idxs.lanes_mut(Axis(ax))) {
        order.clear();
        order.extend(0..lane.len());
        // Stable sorts: ties stay in index order.
        if largest {
            order.sort_by(|&i, &j| cmp_nan_high(&lane[j], &lane[i]));
        } else {
            order.sort_by(|&i, &j| cmp_nan_high(&lane[i], &lane[j]));
        }
        for (slot, &i) in order.iter().take(k).enumerate() {
            vl[slot] = lane[i];
            il[slot] = i as i64;
        }
    }
    Ok((vals, idxs))
}
