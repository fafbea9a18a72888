//! One-input elementwise ops (`Op::Unary`): dtype rules and kernels.

use super::num::{FloatElem, IntElem, Real};
use num_traits::{Float, One, Zero};
use super::zip::map;
use crate::{invalid, DType, OpResult, Tensor, UnaryOp};
use ndarray::ArrayD;

/// The output dtype of `op` on an input of dtype `d`, or why the combination is invalid.
pub fn out_dtype(op: &UnaryOp, d: DType) -> OpResult<DType> {
    use UnaryOp::*;
    let ok = match op {
        Not => d == DType::Bool,
        BitwiseNot => d.is_int(),
        Abs | Sign => d.is_int() || d.is_float(),
        Neg | Relu => d.is_signed_int() || d.is_float(),
        Shrink { .. } => d.is_int() || d.is_float(),
        _ => d.is_float(),
    };
    if !ok {
        invalid!("unary {op:?} is not defined for {d}");
    }
    Ok(match op {
        IsNaN | IsInf { .. } => DType::Bool,
        _ => d,
    })
}

pub fn eval(op: &UnaryOp, x: &Tensor) -> OpResult<Tensor> {
    out_dtype(op, x.dtype())?;
    Ok(match x {
        Tensor::F32(a) => float(op, a)?,
        Tensor::F64(a) => float(op, a)?,
        Tensor::F16(a) => float(op, a)?,
        Tensor::BF16(a) => float(op, a)?,
        Tensor::I8(a) => Tensor::I8(int(op, a)?),
        Tensor::I16(a) => Tensor::I16(int(op, a)?),
        Tensor::I32(a) => Tensor::I32(int(op, a)?),
        Tensor::I64(a) => Tensor::I64(int(op, a)?),
        Tensor::U8(a) => Tensor::U8(int(op, a)?),
        Tensor::U16(a) => Tensor::U16(int(op, a)?),
        Tensor::U32(a) => Tensor::U32(int(op, a)?),
        Tensor::U64(a) => Tensor::U64(int(op, a)?),
        Tensor::Bool(a) => match op {
            UnaryOp::Not => Tensor::Bool(map(a, |v| !v)),
            _ => invalid!("unary {op:?} is not defined for bool"),
        },
    })
}

/// Numerically stable logistic function.
#[inline]
pub fn sigmoid<R: Real>(x: R) -> R {
    if x >= R::zero() {
        R::one() / (R::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (R::one() + e)
    }
}

/// log(1 + exp(x)) without overflow.
#[inline]
fn softplus<R: Real>(x: R) -> R {
    if x > R::zero() {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

fn float<T: FloatElem>(op: &UnaryOp, a: &ArrayD<T>) -> OpResult<Tensor> {
    use UnaryOp::*;
    fn m<T: FloatElem>(a: &ArrayD<T>, f: impl Fn(T::R) -> T::R) -> Tensor {
        T::wrap(map(a, |x| T::from_r(f(x.to_r()))))
    }
    let c = |v: f32| T::R::of(v as f64);
    let (zero, one, half) = (T::R::zero(), T::R::one(), T::R::of(0.5));
    Ok(match op {
        Abs => m(a, |x| x.abs()),
        Neg => m(a, |x| -x),
        Exp => m(a, |x| x.exp()),
        Log => m(a, |x| x.ln()),
        Sqrt => m(a, |x| x.sqrt()),
        Reciprocal => m(a, |x| one / x),
        Floor => m(a, |x| x.floor()),
        Ceil => m(a, |x| x.ceil()),
        Round => m(a, |x| x.round_even()),
        Sin => m(a, |x| x.sin()),
        Cos => m(a, |x| x.cos()),
        Tan => m(a, |x| x.tan()),
        Asin => m(a, |x| x.asin()),
        Acos => m(a, |x| x.acos()),
        Atan => m(a, |x| x.atan()),
        Sinh => m(a, |x| x.sinh()),
        Cosh => m(a, |x| x.cosh()),
        Asinh => m(a, |x| x.asinh()),
        Acosh => m(a, |x| x.acosh()),
        Atanh => m(a, |x| x.atanh()),
        Tanh => m(a, |x| x.tanh()),
        Sigmoid => m(a, sigmoid),
        Erf => m(a, |x| x.erf()),
        Sign => m(a, |x| {
            if x > zero {
                one
            } else if x < zero {
                -one
            } else {
                x
            }
        }),
        Relu => m(a, |x| if x < zero { zero } else { x }),
        Softplus => m(a, softplus),
        Softsign => m(a, |x| x / (one + x.abs())),
        Mish => m(a, |x| x * softplus(x).tanh()),
        HardSwish => m(a, |x| x * (x / T::R::of(6.0) + half).max(zero).min(one)),
        IsNaN => Tensor::Bool(map(a, |x| x.to_r().is_nan())),
        IsInf { detect_positive, detect_negative } => {
            let (p, n) = (*detect_positive, *detect_negative);
            Tensor::Bool(map(a, |x| {
                let x = x.to_r();
                x.is_infinite() && ((p && x > zero) || (n && x < zero))
            }))
        }
        LeakyRelu { alpha } => {
            let al = c(alpha.0);
            m(a, |x| if x < zero { al * x } else { x })
        }
        Elu { alpha } => {
            let al = c(alpha.0);
            m(a, |x| if x < zero { al * x.exp_m1() } else { x })
        }
        Selu { alpha, gamma } => {
            let (al, g) = (c(alpha.0), c(gamma.0));
            m(a, |x| if x > zero { g * x } else { g * (al * x.exp() - al) })
        }
        Celu { alpha } => {
            let al = c(alpha.0);
            m(a, |x| x.max(zero) + (al * (x / al).exp_m1()).min(zero))
        }
        HardSigmoid { alpha, beta } => {
            let (al, be) = (c(alpha.0), c(beta.0));
            m(a, |x| (al * x + be).max(zero).min(one))
        }
        ThresholdedRelu { alpha } => {
            let al = c(alpha.0);
            m(a, |x| if x > al { x } else { zero })
        }
        Shrink { bias, lambd } => {
            let (b, l) = (c(bias.0), c(lambd.0));
            m(a, |x| {
                if x < -l {
                    x + b
                } else if x > l {
                    x - b
                } else {
                    zero
                }
            })
        }
        Swish { alpha } => {
            let al = c(alpha.0);
            m(a, |x| x * sigmoid(al * x))
        }
        Gelu { tanh: false } => {
            let r = T::R::of(std::f64::consts::FRAC_1_SQRT_2);
            m(a, |x| half * x * (one + (x * r).erf()))
        }
        Gelu { tanh: true } => {
            let k = T::R::of((2.0 / std::f64::consts::PI).sqrt());
            let c3 = T::R::of(0.044715);
            m(a, |x| half * x * (one + (k * (x + c3 * x * x * x)).tanh()))
        }
        Not | BitwiseNot => invalid!("unary {op:?} is not defined for {}", T::DTYPE),
    })
}

fn int<T: IntElem>(op: &UnaryOp, a: &ArrayD<T>) -> OpResult<ArrayD<T>> {
    use UnaryOp::*;
    let zero = T::zero();
    Ok(match op {
        Abs => map(a, |x| if x < zero { x.wrapping_neg() } else { x }),
        Neg if T::SIGNED => map(a, |x| x.wrapping_neg()),
        Sign => map(a, |x| {
            if x > zero {
                T::one()
            } else if x < zero {
                T::zero().wrapping_sub(&T::one())
            } else {
                zero
            }
        }),
        Relu if T::SIGNED => map(a, |x| if x < zero { zero } else { x }),
        BitwiseNot => map(a, |x| !x),
        Shrink { bias, lambd } => {
            let (b, l) = (bias.0 as f64, lambd.0 as f64);
            map(a, |x| {
                let v = x.to_f64();
                if v < -l {
                    T::from_f64(v + b)
                } else if v > l {
                    T::from_f64(v - b)
                } else {
                    zero
                }
            })
        }
        _ => invalid!("unary {op:?} is not defined for {}", T::DTYPE),
    })
}
