//! Helpers shared by the shape, index and resize op families: constant operands, dim
//! arithmetic, output-size caps and array layout.

use crate::ops::util::unknown;
use crate::{invalid, Dim, Element, OpError, OpResult, Tensor, TensorType};
use ndarray::{ArrayD, ArrayViewD, IxDyn};

/// Largest number of elements an op may create (guards against absurd shapes in user data).
pub(crate) const MAX_ELEMENTS: usize = 1 << 31;

/// Number of elements of `shape`, checked against `MAX_ELEMENTS`.
pub(crate) fn check_size(shape: &[usize], what: &str) -> OpResult<usize> {
    // An empty tensor may still not have huge other dims: ndarray needs the product of the
    // non-zero dims to fit an isize.
    let nonzero = shape.iter().filter(|&&d| d != 0).try_fold(1usize, |a, &d| a.checked_mul(d));
    if nonzero.is_none_or(|p| p > isize::MAX as usize) {
        invalid!("{what} of shape {shape:?} is too large: the product of its non-zero dims overflows");
    }
    let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    match n {
        Some(n) if n <= MAX_ELEMENTS => Ok(n),
        _ => invalid!("{what} of shape {shape:?} would exceed {MAX_ELEMENTS} elements"),
    }
}

/// Check the static part of an inferred shape against `MAX_ELEMENTS` (a static 0 makes it empty).
pub(crate) fn check_dims(dims: &[Dim], what: &str) -> OpResult<()> {
    let statics: Vec<usize> = dims.iter().filter_map(Dim::as_static).collect();
    check_size(&statics, what).map(|_| ())
}

/// Normalise an axis, as an `OpError`.
pub(crate) fn axis(axis: i64, rank: usize) -> OpResult<usize> {
    crate::norm_axis(axis, rank).map_err(OpError::Invalid)
}

/// Normalise a list of axes; duplicates are invalid.
pub(crate) fn axes_unique(axes: &[i64], rank: usize, what: &str) -> OpResult<Vec<usize>> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let n = axis(a, rank)?;
        if out.contains(&n) {
            invalid!("{what}: axis {a} appears more than once in {axes:?}");
        }
        out.push(n);
    }
    Ok(out)
}

/// The values of constant integer input `i`, if it is a known constant.
pub(crate) fn const_ints(consts: &[Option<&Tensor>], i: usize, what: &str) -> OpResult<Option<Vec<i64>>> {
    match consts.get(i).copied().flatten() {
        Some(t) => Ok(Some(crate::ops::util::ints(t, what)?)),
        None => Ok(None),
    }
}

/// A one-element integer tensor (scalar or shape [1]).
pub(crate) fn scalar_int(t: &Tensor, what: &str) -> OpResult<i64> {
    let v = crate::ops::util::ints(t, what)?;
    match v.as_slice() {
        [x] => Ok(*x),
        _ => invalid!("{what} must hold exactly one element, got shape {:?}", t.shape()),
    }
}

/// A one-element numeric tensor as f64.
pub(crate) fn scalar_f64(t: &Tensor, what: &str) -> OpResult<f64> {
    if t.len() != 1 {
        invalid!("{what} must hold exactly one element, got shape {:?}", t.shape());
    }
    Ok(t.to_f64_vec()[0])
}

/// Static dims from a shape.
pub(crate) fn dims_of(shape: &[usize]) -> Vec<Dim> {
    shape.iter().map(|&d| Dim::Static(d)).collect()
}

/// A symbol usable for exact bookkeeping (the bare `?` stands for a different unknown each time).
pub(crate) fn named_sym(d: &Dim) -> Option<&str> {
    match d {
        Dim::Sym(s) if s != "?" => Some(s),
        _ => None,
    }
}

/// Product of two dims: static when both are, `x*1 = x`, `x*0 = 0`, otherwise unknown.
pub(crate) fn dim_mul(a: &Dim, b: &Dim) -> OpResult<Dim> {
    Ok(match (a, b) {
        (Dim::Static(x), Dim::Static(y)) => match x.checked_mul(*y) {
            Some(p) => Dim::Static(p),
            None => invalid!("dimension product {x} * {y} overflows"),
        },
        (Dim::Static(1), o) | (o, Dim::Static(1)) => o.clone(),
        (Dim::Static(0), _) | (_, Dim::Static(0)) => Dim::Static(0),
        _ => unknown(),
    })
}

/// Product of dims (see `dim_mul`).
pub(crate) fn dims_product(ds: &[Dim]) -> OpResult<Dim> {
    ds.iter().try_fold(Dim::Static(1), |acc, d| dim_mul(&acc, d))
}

/// Sum of two dims: static when both are, `x+0 = x`, otherwise unknown.
pub(crate) fn dim_add(a: &Dim, b: &Dim) -> OpResult<Dim> {
    Ok(match (a, b) {
        (Dim::Static(x), Dim::Static(y)) => match x.checked_add(*y) {
            Some(p) => Dim::Static(p),
            None => invalid!("dimension sum {x} + {y} overflows"),
        },
        (Dim::Static(0), o) | (o, Dim::Static(0)) => o.clone(),
        _ => unknown(),
    })
}

/// Two dims that must be equal: the more precise one, or None if both are static and differ.
pub(crate) fn unify(a: &Dim, b: &Dim) -> Option<Dim> {
    match (a, b) {
        (Dim::Static(x), Dim::Static(y)) => (x == y).then_some(Dim::Static(*x)),
        (Dim::Static(x), _) | (_, Dim::Static(x)) => Some(Dim::Static(*x)),
        (Dim::Sym(s), Dim::Sym(t)) if s == "?" && t != "?" => Some(b.clone()),
        _ => Some(a.clone()),
    }
}

/// The static shape of an inferred type, which must be static because all inputs were concrete.
pub(crate) fn concrete(t: &TensorType) -> OpResult<Vec<usize>> {
    match t.static_shape() {
        Some(s) => Ok(s),
        None => invalid!("internal: output type {t} is not static although every input is known"),
    }
}

/// Types of concrete inputs (for running an inference rule during evaluation).
pub(crate) fn types_of(inputs: &[Option<&Tensor>]) -> Vec<Option<TensorType>> {
    inputs.iter().map(|t| t.map(Tensor::ty)).collect()
}

/// Borrow a list of owned optional types as the `&[Option<&TensorType>]` inference takes.
pub(crate) fn type_refs(types: &[Option<TensorType>]) -> Vec<Option<&TensorType>> {
    types.iter().map(Option::as_ref).collect()
}

/// An owned, standard-layout copy of a view.
pub(crate) fn std_owned<T: Clone>(v: ArrayViewD<'_, T>) -> ArrayD<T> {
    if v.is_standard_layout() {
        v.to_owned()
    } else {
        v.as_standard_layout().into_owned()
    }
}

/// Transpose an array (standard-layout result).
pub(crate) fn transpose_arr<T: Clone>(a: &ArrayD<T>, perm: &[usize]) -> ArrayD<T> {
    std_owned(a.view().permuted_axes(IxDyn(perm)))
}

/// Row-major reshape of a view into an owned array (sizes must match).
pub(crate) fn reshaped<T: Clone>(v: ArrayViewD<'_, T>, shape: &[usize]) -> OpResult<ArrayD<T>> {
    let n: usize = shape.iter().product();
    if n != v.len() {
        invalid!("cannot reshape {:?} ({} elements) to {shape:?}", v.shape(), v.len());
    }
    std_owned(v)
        .into_shape_with_order(IxDyn(shape))
        .map_err(|e| OpError::Invalid(format!("reshape to {shape:?}: {e}")))
}

/// The array of `t` with element type `T` (same dtype as a sibling input), or an error.
pub(crate) fn same_dtype<'a, T: Element>(t: &'a Tensor, what: &str) -> OpResult<&'a ArrayD<T>> {
    match T::view(t) {
        Some(a) => Ok(a),
        None => invalid!("{what} has dtype {}, expected {}", t.dtype(), T::DTYPE),
    }
}

/// Contiguous row-major data of an array (borrowed when already standard layout).
pub(crate) fn std_data<T: Clone>(a: &ArrayD<T>) -> std::borrow::Cow<'_, [T]> {
    match a.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(a.iter().cloned().collect()),
    }
}

/// Row-major strides (in elements) of a shape.
pub(crate) fn strides_of(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Wrap a possibly negative index into `[0, dim)`, or report it.
pub(crate) fn wrap_index(i: i64, dim: usize, what: &str) -> OpResult<usize> {
    let d = dim as i64;
    let j = if i < 0 { i + d } else { i };
    if j < 0 || j >= d {
        invalid!("{what}: index {i} is out of range for a dimension of size {dim}");
    }
    Ok(j as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dim_arithmetic() {
        let n = Dim::Sym("N".into());
        assert_eq!(dim_mul(&Dim::Static(3), &Dim::Static(4)).unwrap(), Dim::Static(12));
        assert_eq!(dim_mul(&n, &Dim::Static(1)).unwrap(), n);
        assert_eq!(dim_mul(&n, &Dim::Static(0)).unwrap(), Dim::Static(0));
        assert_eq!(dim_mul(&n, &Dim::Static(2)).unwrap(), unknown());
        assert!(dim_mul(&Dim::Static(usize::MAX), &Dim::Static(2)).is_err());
        assert_eq!(dim_add(&n, &Dim::Static(0)).unwrap(), n);
        assert_eq!(dim_add(&Dim::Static(2), &Dim::Static(5)).unwrap(), Dim::Static(7));
        assert_eq!(unify(&n, &Dim::Static(4)), Some(Dim::Static(4)));
        assert_eq!(unify(&Dim::Static(3), &Dim::Static(4)), None);
    }

    #[test]
    fn caps_and_indices() {
        assert!(check_size(&[1 << 20, 1 << 12], "x").is_err());
        assert_eq!(check_size(&[3, 4], "x").unwrap(), 12);
        // Empty, but ndarray needs the non-zero dims' product to fit an isize.
        assert!(check_dims(&[Dim::Static(0), Dim::Static(1 << 40)], "x").is_ok());
        assert!(check_dims(&[Dim::Static(0), Dim::Static(usize::MAX)], "x").is_err());
        assert!(check_size(&[0, 1 << 32, 1 << 32], "x").is_err());
        assert_eq!(wrap_index(-1, 4, "i").unwrap(), 3);
        assert!(wrap_index(4, 4, "i").is_err());
        assert!(wrap_index(-5, 4, "i").is_err());
        assert_eq!(strides_of(&[2, 3, 4]), vec![12, 4, 1]);
        assert!(axes_unique(&[0, -2], 2, "t").is_err());
    }
}
