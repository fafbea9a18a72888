//! Inference and evaluation of the elementwise op family (see ops/mod.rs for the contract):
//! Unary, Binary (numpy broadcasting), Where, Clip and Cast.

pub mod binary;
pub mod cast;
pub mod num;
pub mod unary;
pub mod zip;

use crate::ops::util::{opt, req};
use crate::{broadcast_dims, invalid, unsupported, DType, Dim, Op, OpResult, Tensor, TensorType};
use ndarray::ArrayD;

fn supported(t: &TensorType, what: &str) -> OpResult<()> {
    if !t.dtype.is_supported() {
        unsupported!("{what} of dtype {}", t.dtype);
    }
    Ok(())
}

/// Unidirectional broadcast check: `b` must broadcast to `a`'s dims without changing them.
pub(crate) fn broadcasts_to(a: &[Dim], b: &[Dim], what: &str) -> OpResult<()> {
    let out = broadcast_dims(a, b)?;
    let same = out.len() == a.len()
        && out.iter().zip(a).all(|(o, x)| match (o, x) {
            (Dim::Static(p), Dim::Static(q)) => p == q,
            _ => true,
        });
    if !same {
        invalid!("{what} does not broadcast to {}", crate::shape::fmt_dims(a));
    }
    Ok(())
}

/// A Clip bound must be a scalar (rank 0, or one element of rank 1) of x's dtype.
fn check_bound(x: DType, b: &TensorType, what: &str) -> OpResult<()> {
    if b.dtype != x {
        invalid!("Clip {what} has dtype {}, x has {x}", b.dtype);
    }
    if b.rank() > 1 || b.dims.iter().any(|d| matches!(d, Dim::Static(n) if *n != 1)) {
        invalid!("Clip {what} must be a scalar, got {b}");
    }
    Ok(())
}

pub fn infer(op: &Op, inputs: &[Option<&TensorType>], _consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    match op {
        Op::Unary(u) => {
            let x = req(inputs, 0, "x")?;
            supported(x, "x")?;
            Ok(vec![TensorType::new(unary::out_dtype(u, x.dtype)?, x.dims.clone())])
        }
        Op::Binary(b) => {
            let (x, y) = (req(inputs, 0, "a")?, req(inputs, 1, "b")?);
            supported(x, "a")?;
            supported(y, "b")?;
            let d = binary::out_dtype(b, x.dtype, y.dtype)?;
            if let crate::BinaryOp::PRelu = b {
                broadcasts_to(&x.dims, &y.dims, "PRelu slope")?;
                return Ok(vec![TensorType::new(d, x.dims.clone())]);
            }
            Ok(vec![TensorType::new(d, broadcast_dims(&x.dims, &y.dims)?)])
        }
        Op::Where => {
            let (c, x, y) = (req(inputs, 0, "condition")?, req(inputs, 1, "x")?, req(inputs, 2, "y")?);
            supported(x, "x")?;
            if c.dtype != DType::Bool {
                invalid!("Where condition must be bool, got {}", c.dtype);
            }
            if x.dtype != y.dtype {
                invalid!("Where x and y must have one dtype, got {} and {}", x.dtype, y.dtype);
            }
            let dims = broadcast_dims(&broadcast_dims(&c.dims, &x.dims)?, &y.dims)?;
            Ok(vec![TensorType::new(x.dtype, dims)])
        }
        Op::Clip => {
            let x = req(inputs, 0, "x")?;
            supported(x, "x")?;
            if !(x.dtype.is_int() || x.dtype.is_float()) {
                invalid!("Clip is not defined for {}", x.dtype);
            }
            if let Some(lo) = opt(inputs, 1) {
                check_bound(x.dtype, lo, "min")?;
            }
            if let Some(hi) = opt(inputs, 2) {
                check_bound(x.dtype, hi, "max")?;
            }
            Ok(vec![x.clone()])
        }
        Op::Cast { to, .. } => {
            let x = req(inputs, 0, "x")?;
            cast::check_target(x.dtype, *to)?;
            Ok(vec![x.with_dtype(*to)])
        }
        _ => invalid!("{} is not an elementwise op", op.name()),
    }
}

pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let out = match op {
        Op::Unary(u) => unary::eval(u, req(inputs, 0, "x")?)?,
        Op::Binary(b) => binary::eval(b, req(inputs, 0, "a")?, req(inputs, 1, "b")?)?,
        Op::Where => where_(req(inputs, 0, "condition")?, req(inputs, 1, "x")?, req(inputs, 2, "y")?)?,
        Op::Clip => clip(req(inputs, 0, "x")?, opt(inputs, 1), opt(inputs, 2))?,
        Op::Cast { to, .. } => cast::eval(req(inputs, 0, "x")?, *to)?,
        _ => invalid!("{} is not an elementwise op", op.name()),
    };
    Ok(vec![out])
}

fn where_(c: &Tensor, x: &Tensor, y: &Tensor) -> OpResult<Tensor> {
    let Tensor::Bool(c) = c else { invalid!("Where condition must be bool, got {}", c.dtype()) };
    fn sel<T: Copy>(c: &ArrayD<bool>, x: &ArrayD<T>, y: &ArrayD<T>) -> OpResult<ArrayD<T>> {
        zip::zip3(c, x, y, |p, a, b| if p { a } else { b })
    }
    Ok(match (x, y) {
        (Tensor::F32(a), Tensor::F32(b)) => Tensor::F32(sel(c, a, b)?),
        (Tensor::F64(a), Tensor::F64(b)) => Tensor::F64(sel(c, a, b)?),
        (Tensor::F16(a), Tensor::F16(b)) => Tensor::F16(sel(c, a, b)?),
        (Tensor::BF16(a), Tensor::BF16(b)) => Tensor::BF16(sel(c, a, b)?),
        (Tensor::I8(a), Tensor::I8(b)) => Tensor::I8(sel(c, a, b)?),
        (Tensor::I16(a), Tensor::I16(b)) => Tensor::I16(sel(c, a, b)?),
        (Tensor::I32(a), Tensor::I32(b)) => Tensor::I32(sel(c, a, b)?),
        (Tensor::I64(a), Tensor::I64(b)) => Tensor::I64(sel(c, a, b)?),
        (Tensor::U8(a), Tensor::U8(b)) => Tensor::U8(sel(c, a, b)?),
        (Tensor::U16(a), Tensor::U16(b)) => Tensor::U16(sel(c, a, b)?),
        (Tensor::U32(a), Tensor::U32(b)) => Tensor::U32(sel(c, a, b)?),
        (Tensor::U64(a), Tensor::U64(b)) => Tensor::U64(sel(c, a, b)?),
        (Tensor::Bool(a), Tensor::Bool(b)) => Tensor::Bool(sel(c, a, b)?),
        _ => invalid!("Where x and y must have one dtype, got {} and {}", x.dtype(), y.dtype()),
    })
}

/// The single value of a Clip bound.
fn bound<T: crate::Element>(b: Option<&Tensor>, what: &str) -> OpResult<Option<T>> {
    let Some(b) = b else { return Ok(None) };
    let Some(a) = b.as_array::<T>() else { invalid!("Clip {what} has dtype {}, x has {}", b.dtype(), T::DTYPE) };
    if a.ndim() > 1 || a.len() != 1 {
        invalid!("Clip {what} must be a scalar, got shape {:?}", a.shape());
    }
    Ok(a.iter().next().copied())
}

/// numpy `clip`: min then max, so min > max gives max everywhere; NaN stays NaN.
fn clip(x: &Tensor, lo: Option<&Tensor>, hi: Option<&Tensor>) -> OpResult<Tensor> {
    fn c<T: crate::Element + PartialOrd>(a: &ArrayD<T>, lo: Option<&Tensor>, hi: Option<&Tensor>) -> OpResult<ArrayD<T>> {
        let (lo, hi) = (bound::<T>(lo, "min")?, bound::<T>(hi, "max")?);
        Ok(zip::map(a, |v| {
            let v = match lo {
                Some(l) if v < l => l,
                _ => v,
            };
            match hi {
                Some(h) if v > h => h,
                _ => v,
            }
        }))
    }
    Ok(match x {
        Tensor::F32(a) => Tensor::F32(c(a, lo, hi)?),
        Tensor::F64(a) => Tensor::F64(c(a, lo, hi)?),
        Tensor::F16(a) => Tensor::F16(c(a, lo, hi)?),
        Tensor::BF16(a) => Tensor::BF16(c(a, lo, hi)?),
        Tensor::I8(a) => Tensor::I8(c(a, lo, hi)?),
        Tensor::I16(a) => Tensor::I16(c(a, lo, hi)?),
        Tensor::I32(a) => Tensor::I32(c(a, lo, hi)?),
        Tensor::I64(a) => Tensor::I64(c(a, lo, hi)?),
        Tensor::U8(a) => Tensor::U8(c(a, lo, hi)?),
        Tensor::U16(a) => Tensor::U16(c(a, lo, hi)?),
        Tensor::U32(a) => Tensor::U32(c(a, lo, hi)?),
        Tensor::U64(a) => Tensor::U64(c(a, lo, hi)?),
        Tensor::Bool(_) => invalid!("Clip is not defined for bool"),
    })
}

#[cfg(test)]
mod tests;
