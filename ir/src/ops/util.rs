//! Helpers shared by op implementations: argument access, constant operands, broadcasting.

use crate::{invalid, DType, Dim, OpError, OpResult, Tensor, TensorType};

/// Input `i`, which must be present.
pub fn req<'a, T>(inputs: &[Option<&'a T>], i: usize, what: &str) -> OpResult<&'a T> {
    match inputs.get(i) {
        Some(Some(t)) => Ok(t),
        _ => invalid!("missing required input {i} ({what})"),
    }
}

/// Input `i` if present.
pub fn opt<'a, T>(inputs: &[Option<&'a T>], i: usize) -> Option<&'a T> {
    inputs.get(i).copied().flatten()
}

/// An integer-valued tensor as i64s (i32/i64/u* accepted).
pub fn ints(t: &Tensor, what: &str) -> OpResult<Vec<i64>> {
    if !t.dtype().is_int() {
        invalid!("{what} must be an integer tensor, got {}", t.dtype());
    }
    Ok(t.to_i64_vec())
}

/// The static shape of a type, or an "unsupported" error naming `what`.
pub fn static_shape(t: &TensorType, what: &str) -> OpResult<Vec<usize>> {
    t.static_shape().ok_or_else(|| OpError::Unsupported(format!("{what} needs a static shape, got {t}")))
}

/// The unknown dim marker returned by inference for data-dependent sizes.
pub fn unknown() -> Dim {
    Dim::Sym("?".into())
}

/// Check that a dtype is one of `allowed`.
pub fn expect_dtype(d: DType, allowed: &[DType], what: &str) -> OpResult<()> {
    if allowed.contains(&d) {
        Ok(())
    } else {
        invalid!("{what} has dtype {d}, expected one of {allowed:?}")
    }
}
