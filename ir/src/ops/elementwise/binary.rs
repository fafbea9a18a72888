//! Two-input elementwise ops (`Op::Binary`) with numpy broadcasting: dtype rules and kernels.

use super::num::{FloatElem, IntElem, Real};
use num_traits::{Float, Zero};
use super::zip::{map, zip2};
use crate::{invalid, BinaryOp, DType, OpResult, Tensor};
use ndarray::ArrayD;

/// The output dtype of `op` on inputs of dtypes `a` and `b`, or why the combination is invalid.
pub fn out_dtype(op: &BinaryOp, a: DType, b: DType) -> OpResult<DType> {
    use BinaryOp::*;
    let numeric = |d: DType| d.is_int() || d.is_float();
    if let Pow = op {
        let base_ok = a.is_float() || matches!(a, DType::I32 | DType::I64);
        if !base_ok || !numeric(b) {
            invalid!("Pow is not defined for base {a} and exponent {b}");
        }
        return Ok(a);
    }
    if a != b {
        invalid!("binary {op:?} needs inputs of one dtype, got {a} and {b}");
    }
    let ok = match op {
        Add | Sub | Mul | Div | Max | Min | Mod { .. } | Less | LessOrEqual | Greater | GreaterOrEqual => numeric(a),
        Equal => numeric(a) || a == DType::Bool,
        And | Or | Xor => a == DType::Bool,
        BitShiftLeft | BitShiftRight => a.is_unsigned_int(),
        BitwiseAnd | BitwiseOr | BitwiseXor => a.is_int(),
        PRelu => a.is_float() || matches!(a, DType::I32 | DType::I64 | DType::U32 | DType::U64),
        Pow => true,
    };
    if !ok {
        invalid!("binary {op:?} is not defined for {a}");
    }
    Ok(if op.is_comparison() { DType::Bool } else { a })
}

pub fn eval(op: &BinaryOp, a: &Tensor, b: &Tensor) -> OpResult<Tensor> {
    use BinaryOp::*;
    out_dtype(op, a.dtype(), b.dtype())?;
    match op {
        Pow => return pow(a, b),
        Equal | Less | LessOrEqual | Greater | GreaterOrEqual => return compare(op, a, b),
        PRelu => {
            if crate::broadcast_shapes(a.shape(), b.shape())? != a.shape() {
                invalid!("PRelu slope of shape {:?} does not broadcast to x's shape {:?}", b.shape(), a.shape());
            }
        }
        _ => {}
    }
    Ok(match (a, b) {
        (Tensor::F32(x), Tensor::F32(y)) => Tensor::F32(float(op, x, y)?),
        (Tensor::F64(x), Tensor::F64(y)) => Tensor::F64(float(op, x, y)?),
        (Tensor::F16(x), Tensor::F16(y)) => Tensor::F16(float(op, x, y)?),
        (Tensor::BF16(x), Tensor::BF16(y)) => Tensor::BF16(float(op, x, y)?),
        (Tensor::I8(x), Tensor::I8(y)) => Tensor::I8(int(op, x, y)?),
        (Tensor::I16(x), Tensor::I16(y)) => Tensor::I16(int(op, x, y)?),
        (Tensor::I32(x), Tensor::I32(y)) => Tensor::I32(int(op, x, y)?),
        (Tensor::I64(x), Tensor::I64(y)) => Tensor::I64(int(op, x, y)?),
        (Tensor::U8(x), Tensor::U8(y)) => Tensor::U8(int(op, x, y)?),
        (Tensor::U16(x), Tensor::U16(y)) => Tensor::U16(int(op, x, y)?),
        (Tensor::U32(x), Tensor::U32(y)) => Tensor::U32(int(op, x, y)?),
        (Tensor::U64(x), Tensor::U64(y)) => Tensor::U64(int(op, x, y)?),
        (Tensor::Bool(x), Tensor::Bool(y)) => Tensor::Bool(match op {
            And => zip2(x, y, |p, q| p & q)?,
            Or => zip2(x, y, |p, q| p | q)?,
            Xor => zip2(x, y, |p, q| p ^ q)?,
            _ => invalid!("binary {op:?} is not defined for bool"),
        }),
        _ => invalid!("binary {op:?} needs inputs of one dtype, got {} and {}", a.dtype(), b.dtype()),
    })
}

/// NaN-propagating maximum (numpy `maximum`).
#[inline]
pub fn nan_max<R: Real>(x: R, y: R) -> R {
    if x.is_nan() || y.is_nan() {
        R::nan()
    } else if x >= y {
        x
    } else {
        y
    }
}

/// NaN-propagating minimum (numpy `minimum`).
#[inline]
pub fn nan_min<R: Real>(x: R, y: R) -> R {
    if x.is_nan() || y.is_nan() {
        R::nan()
    } else if x <= y {
        x
    } else {
        y
    }
}

fn float<T: FloatElem>(op: &BinaryOp, a: &ArrayD<T>, b: &ArrayD<T>) -> OpResult<ArrayD<T>> {
    use BinaryOp::*;
    #[inline]
    fn z<T: FloatElem>(a: &ArrayD<T>, b: &ArrayD<T>, f: impl Fn(T::R, T::R) -> T::R) -> OpResult<ArrayD<T>> {
        zip2(a, b, |x: T, y: T| T::from_r(f(x.to_r(), y.to_r())))
    }
    let zero = T::R::zero();
    match op {
        Add => z(a, b, |x, y| x + y),
        Sub => z(a, b, |x, y| x - y),
        Mul => z(a, b, |x, y| x * y),
        Div => z(a, b, |x, y| x / y),
        Max => z(a, b, nan_max),
        Min => z(a, b, nan_min),
        Mod { fmod: true } => z(a, b, |x, y| x % y),
        Mod { fmod: false } => z(a, b, |x, y| {
            let r = x % y;
            if r != zero && ((r < zero) != (y < zero)) {
                r + y
            } else {
                r
            }
        }),
        PRelu => z(a, b, |x, s| if x < zero { x * s } else { x }),
        _ => invalid!("binary {op:?} is not defined for {}", T::DTYPE),
    }
}

fn int<T: IntElem>(op: &BinaryOp, a: &ArrayD<T>, b: &ArrayD<T>) -> OpResult<ArrayD<T>> {
    use BinaryOp::*;
    let zero = T::zero();
    let bits = (std::mem::size_of::<T>() * 8) as u64;
    match op {
        Add => zip2(a, b, |x, y| x.wrapping_add(&y)),
        Sub => zip2(a, b, |x, y| x.wrapping_sub(&y)),
        Mul => zip2(a, b, |x, y| x.wrapping_mul(&y)),
        // Truncates toward zero; x / 0 gives 0 (numpy) and MIN / -1 wraps.
        Div => zip2(a, b, |x, y| match x.checked_div(&y) {
            Some(q) => q,
            None if y == zero => zero,
            None => x.wrapping_neg(),
        }),
        Max => zip2(a, b, |x, y| x.max(y)),
        Min => zip2(a, b, |x, y| x.min(y)),
        Mod { fmod: true } => zip2(a, b, |x, y| x.checked_rem(&y).unwrap_or(zero)),
        Mod { fmod: false } => zip2(a, b, |x, y| {
            let r = x.checked_rem(&y).unwrap_or(zero);
            if r != zero && ((r < zero) != (y < zero)) {
                r.wrapping_add(&y)
            } else {
                r
            }
        }),
        BitShiftLeft => zip2(a, b, |x, y| match y.to_u64() {
            Some(s) if s < bits => x << s as usize,
            _ => zero,
        }),
        BitShiftRight => zip2(a, b, |x, y| match y.to_u64() {
            Some(s) if s < bits => x >> s as usize,
            _ => zero,
        }),
        BitwiseAnd => zip2(a, b, |x, y| x & y),
        BitwiseOr => zip2(a, b, |x, y| x | y),
        BitwiseXor => zip2(a, b, |x, y| x ^ y),
        PRelu => zip2(a, b, |x, s| if x < zero { x.wrapping_mul(&s) } else { x }),
        _ => invalid!("binary {op:?} is not defined for {}", T::DTYPE),
    }
}

fn compare(op: &BinaryOp, a: &Tensor, b: &Tensor) -> OpResult<Tensor> {
    fn cmp<T: PartialOrd + Copy>(op: &BinaryOp, x: &ArrayD<T>, y: &ArrayD<T>) -> OpResult<ArrayD<bool>> {
        use BinaryOp::*;
        match op {
            Equal => zip2(x, y, |p, q| p == q),
            Less => zip2(x, y, |p, q| p < q),
            LessOrEqual => zip2(x, y, |p, q| p <= q),
            Greater => zip2(x, y, |p, q| p > q),
            GreaterOrEqual => zip2(x, y, |p, q| p >= q),
            _ => invalid!("{op:?} is not a comparison"),
        }
    }
    Ok(Tensor::Bool(match (a, b) {
        (Tensor::F32(x), Tensor::F32(y)) => cmp(op, x, y)?,
        (Tensor::F64(x), Tensor::F64(y)) => cmp(op, x, y)?,
        (Tensor::F16(x), Tensor::F16(y)) => cmp(op, x, y)?,
        (Tensor::BF16(x), Tensor::BF16(y)) => cmp(op, x, y)?,
        (Tensor::I8(x), Tensor::I8(y)) => cmp(op, x, y)?,
        (Tensor::I16(x), Tensor::I16(y)) => cmp(op, x, y)?,
        (Tensor::I32(x), Tensor::I32(y)) => cmp(op, x, y)?,
        (Tensor::I64(x), Tensor::I64(y)) => cmp(op, x, y)?,
        (Tensor::U8(x), Tensor::U8(y)) => cmp(op, x, y)?,
        (Tensor::U16(x), Tensor::U16(y)) => cmp(op, x, y)?,
        (Tensor::U32(x), Tensor::U32(y)) => cmp(op, x, y)?,
        (Tensor::U64(x), Tensor::U64(y)) => cmp(op, x, y)?,
        (Tensor::Bool(x), Tensor::Bool(y)) => cmp(op, x, y)?,
        _ => invalid!("{op:?} needs inputs of one dtype, got {} and {}", a.dtype(), b.dtype()),
    }))
}

/// Integer power with wrapping multiplication; negative exponents follow C's truncation of the
/// real result (only ±1 have nonzero results).
fn ipow(base: i64, exp: i64) -> i64 {
    if exp < 0 {
        return match base {
            1 => 1,
            -1 if exp % 2 == 0 => 1,
            -1 => -1,
            _ => 0,
        };
    }
    let (mut acc, mut b, mut e) = (1i64, base, exp as u64);
    while e > 0 {
        if e & 1 == 1 {
            acc = acc.wrapping_mul(b);
        }
        b = b.wrapping_mul(b);
        e >>= 1;
    }
    acc
}

/// Pow: the output has the base's dtype; the exponent may be any numeric dtype.
fn pow(a: &Tensor, b: &Tensor) -> OpResult<Tensor> {
    fn fpow<T: FloatElem>(x: &ArrayD<T>, e: &Tensor) -> OpResult<ArrayD<T>> {
        // The common exponents of real models (x², √x) as exact fast paths.
        if e.len() == 1 && e.shape().len() <= x.ndim() {
            let p = e.to_f64_vec().first().copied().unwrap_or(f64::NAN);
            let fast: Option<fn(T::R) -> T::R> = if p == 1.0 {
                Some(|v| v)
            } else if p == 2.0 {
                Some(|v| v * v)
            } else if p == 3.0 {
                Some(|v| v * v * v)
            } else if p == 0.5 {
                Some(|v| v.sqrt())
            } else {
                None
            };
            if let Some(f) = fast {
                return Ok(map(x, |v| T::from_r(f(v.to_r()))));
            }
        }
        match T::view(e) {
            Some(y) => zip2(x, y, |p: T, q: T| T::from_r(p.to_r().powf(q.to_r()))),
            None => {
                let y = e.to_f64_vec();
                let y = ArrayD::from_shape_vec(e.shape(), y).map_err(|er| crate::OpError::Invalid(er.to_string()))?;
                zip2(x, &y, |p: T, q: f64| T::from_f64(p.to_f64().powf(q)))
            }
        }
    }
    fn ipow_arr<T: IntElem>(x: &ArrayD<T>, e: &Tensor) -> OpResult<ArrayD<T>> {
        if e.dtype().is_int() {
            let y = ArrayD::from_shape_vec(e.shape(), e.to_i64_vec()).map_err(|er| crate::OpError::Invalid(er.to_string()))?;
            zip2(x, &y, |p: T, q: i64| T::from_i64(ipow(p.to_i64(), q)))
        } else {
            let y = ArrayD::from_shape_vec(e.shape(), e.to_f64_vec()).map_err(|er| crate::OpError::Invalid(er.to_string()))?;
            zip2(x, &y, |p: T, q: f64| T::from_f64(p.to_f64().powf(q)))
        }
    }
    Ok(match a {
        Tensor::F32(x) => Tensor::F32(fpow(x, b)?),
        Tensor::F64(x) => Tensor::F64(fpow(x, b)?),
        Tensor::F16(x) => Tensor::F16(fpow(x, b)?),
        Tensor::BF16(x) => Tensor::BF16(fpow(x, b)?),
        Tensor::I32(x) => Tensor::I32(ipow_arr(x, b)?),
        Tensor::I64(x) => Tensor::I64(ipow_arr(x, b)?),
        _ => invalid!("Pow is not defined for base {}", a.dtype()),
    })
}
