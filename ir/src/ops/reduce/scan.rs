//! CumSum and CumProd along one axis (given as an input), with `exclusive` and `reverse`.

use crate::ops::elementwise::num::{FloatElem, IntElem};
use crate::ops::elementwise::zip::std_layout;
use crate::{invalid, norm_axis, Element, OpResult, Tensor};
use ndarray::{ArrayD, Axis};

/// The axis operand: an i32/i64 scalar (rank 0, or one element of rank 1) within the rank.
pub fn axis_of(t: &Tensor, rank: usize) -> OpResult<usize> {
    if !matches!(t.dtype(), crate::DType::I32 | crate::DType::I64) || t.shape().len() > 1 || t.len() != 1 {
        invalid!("axis must be an i32/i64 scalar, got {}", t.ty());
    }
    let a = t.to_i64_vec().first().copied().unwrap_or(0);
    Ok(norm_axis(a, rank)?)
}

pub fn eval(x: &Tensor, axis: &Tensor, prod: bool, exclusive: bool, reverse: bool) -> OpResult<Tensor> {
    let ax = axis_of(axis, x.shape().len())?;
    let s = Scan { ax, prod, exclusive, reverse };
    Ok(match x {
        Tensor::F32(a) => Tensor::F32(s.float(a)),
        Tensor::F64(a) => Tensor::F64(s.float(a)),
        Tensor::F16(a) => Tensor::F16(s.float(a)),
        Tensor::BF16(a) => Tensor::BF16(s.float(a)),
        Tensor::I8(a) => Tensor::I8(s.int(a)),
        Tensor::I16(a) => Tensor::I16(s.int(a)),
        Tensor::I32(a) => Tensor::I32(s.int(a)),
        Tensor::I64(a) => Tensor::I64(s.int(a)),
        Tensor::U8(a) => Tensor::U8(s.int(a)),
        Tensor::U16(a) => Tensor::U16(s.int(a)),
        Tensor::U32(a) => Tensor::U32(s.int(a)),
        Tensor::U64(a) => Tensor::U64(s.int(a)),
        Tensor::Bool(_) => invalid!("cumulative ops are not defined for bool"),
    })
}

struct Scan {
    ax: usize,
    prod: bool,
    exclusive: bool,
    reverse: bool,
}

impl Scan {
    /// Floats accumulate in f64, each output rounded once.
    fn float<T: FloatElem>(&self, a: &ArrayD<T>) -> ArrayD<T> {
        let p = self.prod;
        let init = if p { 1.0 } else { 0.0 };
        self.run(a, init, |acc, v: T| if p { acc * v.to_f64() } else { acc + v.to_f64() }, T::from_f64r)
    }

    /// Integers wrap as numpy.
    fn int<T: IntElem>(&self, a: &ArrayD<T>) -> ArrayD<T> {
        let p = self.prod;
        let init = if p { 1i64 } else { 0 };
        self.run(
            a,
            init,
            |acc, v: T| if p { acc.wrapping_mul(Element::to_i64(v)) } else { acc.wrapping_add(Element::to_i64(v)) },
            T::from_i64,
        )
    }

    fn run<T: Copy, A: Copy>(&self, a: &ArrayD<T>, init: A, step: impl Fn(A, T) -> A, out: impl Fn(A) -> T) -> ArrayD<T> {
        let mut res = std_layout(a.clone());
        for mut lane in res.lanes_mut(Axis(self.ax)) {
            let n = lane.len();
            let mut acc = init;
            for k in 0..n {
                let i = if self.reverse { n - 1 - k } else { k };
                let v = lane[i];
                if self.exclusive {
                    lane[i] = out(acc);
                    acc = step(acc, v);
                } else {
                    acc = step(acc, v);
                    lane[i] = out(acc);
                }
            }
        }
        res
    }
}
