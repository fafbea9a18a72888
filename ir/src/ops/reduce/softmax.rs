//! Softmax, LogSoftmax and Hardmax along one axis (numerically stable: shifted by the lane max).

use crate::ops::elementwise::num::FloatElem;
use crate::ops::elementwise::zip::std_layout;
use crate::{invalid, norm_axis, OpResult, SoftmaxKind, Tensor};
use ndarray::{ArrayD, ArrayViewMut1, Axis};

pub fn eval(kind: SoftmaxKind, x: &Tensor, axis: i64) -> OpResult<Tensor> {
    let ax = norm_axis(axis, x.shape().len())?;
    Ok(match x {
        Tensor::F32(a) => Tensor::F32(run(kind, a, ax)),
        Tensor::F64(a) => Tensor::F64(run(kind, a, ax)),
        Tensor::F16(a) => Tensor::F16(run(kind, a, ax)),
        Tensor::BF16(a) => Tensor::BF16(run(kind, a, ax)),
        _ => invalid!("softmax is not defined for {}", x.dtype()),
    })
}

fn run<T: FloatElem>(kind: SoftmaxKind, a: &ArrayD<T>, ax: usize) -> ArrayD<T> {
    let mut out = std_layout(a.clone());
    let mut buf: Vec<f64> = Vec::new();
    for lane in out.lanes_mut(Axis(ax)) {
        lane_op(kind, lane, &mut buf);
    }
    out
}

fn lane_op<T: FloatElem>(kind: SoftmaxKind, mut lane: ArrayViewMut1<T>, buf: &mut Vec<f64>) {
    buf.clear();
    buf.extend(lane.iter().map(|v| v.to_f64()));
    if buf.is_empty() {
        return;
    }
    match kind {
        SoftmaxKind::Hardmax => {
            // First index of the max (NaN counts as the max, as numpy's argmax).
            let mut best = 0;
            for (i, &v) in buf.iter().enumerate() {
                let b = buf[best];
                if !b.is_nan() && (v.is_nan() || v > b) {
                    best = i;
                }
            }
            for (i, o) in lane.iter_mut().enumerate() {
                *o = T::from_f64r(if i == best { 1.0 } else { 0.0 });
            }
        }
        SoftmaxKind::Softmax | SoftmaxKind::LogSoftmax => {
            let m = buf.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            // An all -inf (or +inf) lane: shift by 0 so the result is NaN as in numpy.
            let m = if m.is_finite() { m } else { 0.0 };
            let sum: f64 = buf.iter().map(|v| (v - m).exp()).sum();
            let log_sum = sum.ln();
            for (o, &v) in lane.iter_mut().zip(buf.iter()) {
                *o = T::from_f64r(match kind {
                    SoftmaxKind::Softmax => (v - m).exp() / sum,
                    _ => v - m - log_sum,
                });
            }
        }
    }
}
