//! Concat and Split along one axis.

use super::common::{axis, check_dims, const_ints, dim_add, same_dtype, unify};
use crate::ops::util::{ints, opt, req, unknown};
use crate::{invalid, with_tensor, Dim, Element, OpResult, Tensor, TensorType};
use ndarray::{ArrayD, ArrayViewD, Axis, Slice};

fn concat_type(ax: i64, inputs: &[Option<&TensorType>]) -> OpResult<(usize, TensorType)> {
    let first = req(inputs, 0, "first input")?;
    if first.rank() == 0 {
        invalid!("concat: inputs must have rank >= 1");
    }
    let a = axis(ax, first.rank())?;
    let mut dims = first.dims.clone();
    for (i, t) in inputs.iter().enumerate().skip(1) {
        let Some(t) = t else {
            invalid!("concat: input {i} is missing")
        };
        if t.dtype != first.dtype || t.rank() != first.rank() {
            invalid!("concat: input {i} is {t} but input 0 is {first}");
        }
        for (k, d) in t.dims.iter().enumerate() {
            dims[k] = if k == a {
                dim_add(&dims[k], d)?
            } else {
                match unify(&dims[k], d) {
                    Some(u) => u,
                    None => invalid!("concat: input {i} is {t} but input 0 is {first} (axis {k} differs)"),
                }
            };
        }
    }
    check_dims(&dims, "concat output")?;
    Ok((a, TensorType::new(first.dtype, dims)))
}

pub(super) fn infer_concat(ax: i64, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    Ok(vec![concat_type(ax, inputs)?.1])
}

fn concat_arr<T: Element>(first: &ArrayD<T>, rest: &[&Tensor], a: usize) -> OpResult<Tensor> {
    let mut views: Vec<ArrayViewD<'_, T>> = vec![first.view()];
    for t in rest {
        views.push(same_dtype::<T>(t, "concat input")?.view());
    }
    let out = ndarray::concatenate(Axis(a), &views).map_err(|e| format!("concat: {e}"))?;
    Ok(T::wrap(out))
}

pub(super) fn eval_concat(ax: i64, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let tys: Vec<Option<TensorType>> = inputs.iter().map(|t| t.map(Tensor::ty)).collect();
    let refs: Vec<Option<&TensorType>> = tys.iter().map(Option::as_ref).collect();
    let (a, _) = concat_type(ax, &refs)?;
    let all: Vec<&Tensor> = inputs.iter().flatten().copied().collect();
    let first = all[0];
    Ok(vec![with_tensor!(first, x => concat_arr(x, &all[1..], a)?)])
}

/// Sizes of the Split pieces along an axis of size `dim` (None: unknown).
fn split_sizes(dim: Option<usize>, split: Option<&[i64]>, n: usize) -> OpResult<Vec<Option<usize>>> {
    if n == 0 {
        invalid!("split: num_outputs must be positive");
    }
    if let Some(s) = split {
        if s.len() != n {
            invalid!("split: split {s:?} has {} entries for {n} outputs", s.len());
        }
        if s.iter().any(|&v| v < 0) {
            invalid!("split: negative size in {s:?}");
        }
        let total = s
            .iter()
            .try_fold(0u64, |a, &v| a.checked_add(v as u64))
            .ok_or("split: sizes overflow")?;
        if let Some(d) = dim {
            if total != d as u64 {
                invalid!("split: sizes {s:?} sum to {total}, the axis has size {d}");
            }
        }
        return Ok(s.iter().map(|&v| Some(v as usize)).collect());
    }
    let Some(d) = dim else { return Ok(vec![None; n]) };
    // As opset 18: pieces of ceil(d / n), the last one(s) smaller.
    let chunk = d.div_ceil(n);
    let mut left = d;
    Ok((0..n)
        .map(|_| {
            let k = chunk.min(left);
            left -= k;
            Some(k)
        })
        .collect())
}

fn split_types(
    ax: i64,
    n: usize,
    inputs: &[Option<&TensorType>],
    split: Option<&[i64]>,
) -> OpResult<(usize, Vec<TensorType>)> {
    let x = req(inputs, 0, "input")?;
    let a = axis(ax, x.rank())?;
    let sizes = split_sizes(x.dims[a].as_static(), split, n)?;
    let outs = sizes
        .into_iter()
        .map(|s| {
            let mut d = x.dims.clone();
            d[a] = s.map(Dim::Static).unwrap_or_else(unknown);
            TensorType::new(x.dtype, d)
        })
        .collect();
    Ok((a, outs))
}

pub(super) fn infer_split(
    ax: i64,
    n: usize,
    inputs: &[Option<&TensorType>],
    consts: &[Option<&Tensor>],
) -> OpResult<Vec<TensorType>> {
    match (opt(inputs, 1), const_ints(consts, 1, "split sizes")?) {
        (None, _) => Ok(split_types(ax, n, inputs, None)?.1),
        (Some(_), Some(s)) => Ok(split_types(ax, n, inputs, Some(&s))?.1),
        (Some(_), None) => {
            let x = req(inputs, 0, "input")?;
            let a = axis(ax, x.rank())?;
            let mut d = x.dims.clone();
            d[a] = unknown();
            Ok(vec![TensorType::new(x.dtype, d); n])
        }
    }
}

pub(super) fn eval_split(ax: i64, n: usize, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "input")?;
    let split = opt(inputs, 1).map(|t| ints(t, "split sizes")).transpose()?;
    let xt = x.ty();
    let (a, outs) = split_types(ax, n, &[Some(&xt)], split.as_deref())?;
    let mut start = 0usize;
    let mut res = Vec::with_capacity(n);
    for t in outs {
        let len = t.dims[a].as_static().ok_or("split: internal: unknown piece size")?;
        let s = Slice::from(start as isize..(start + len) as isize);
        res.push(crate::map_tensor!(x, arr => arr.slice_axis(Axis(a), s).to_owned()));
        start += len;
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    fn iota(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_vec(shape, (0..n as i64).collect::<Vec<_>>()).unwrap()
    }
    fn t(shape: &[usize], v: &[i64]) -> Tensor {
        Tensor::from_vec(shape, v.to_vec()).unwrap()
    }

    #[test]
    fn concat_values_and_types() {
        let a = iota(&[2, 2]);
        let b = t(&[2, 1], &[10, 11]);
        let y = eval_concat(-1, &[Some(&a), Some(&b)]).unwrap();
        assert_eq!(y[0], t(&[2, 3], &[0, 1, 10, 2, 3, 11]));
        let y = eval_concat(0, &[Some(&a), Some(&t(&[0, 2], &[]))]).unwrap();
        assert_eq!(y[0], a);
        assert!(eval_concat(0, &[Some(&a), Some(&b)]).is_err());
        assert!(eval_concat(
            0,
            &[Some(&a), Some(&Tensor::from_vec(&[1, 2], vec![1f32, 2.]).unwrap())]
        )
        .is_err());
        assert!(eval_concat(2, &[Some(&a), Some(&a)]).is_err());
        // Static parts along the axis with symbols elsewhere.
        let n = Dim::Sym("N".into());
        let x = TensorType::new(DType::F32, vec![n.clone(), Dim::Static(3)]);
        let z = TensorType::new(DType::F32, vec![n.clone(), Dim::Static(5)]);
        assert_eq!(
            infer_concat(1, &[Some(&x), Some(&z)]).unwrap()[0].dims,
            vec![n.clone(), Dim::Static(8)]
        );
        let w = TensorType::new(DType::F32, vec![Dim::Static(1), Dim::Static(3)]);
        assert_eq!(
            infer_concat(0, &[Some(&x), Some(&w)]).unwrap()[0].dims,
            vec![unknown(), Dim::Static(3)]
        );
        let zero = TensorType::new(DType::F32, vec![Dim::Static(0), Dim::Static(3)]);
        assert_eq!(infer_concat(0, &[Some(&x), Some(&zero)]).unwrap()[0].dims, x.dims);
    }

    #[test]
    fn split_pieces() {
        let x = iota(&[7]);
        let y = eval_split(0, 3, &[Some(&x)]).unwrap();
        assert_eq!(y, vec![t(&[3], &[0, 1, 2]), t(&[3], &[3, 4, 5]), t(&[1], &[6])]);
        let y = eval_split(0, 2, &[Some(&x), Some(&t(&[2], &[2, 5]))]).unwrap();
        assert_eq!(y, vec![t(&[2], &[0, 1]), t(&[5], &[2, 3, 4, 5, 6])]);
        assert!(eval_split(0, 2, &[Some(&x), Some(&t(&[2], &[2, 4]))]).is_err());
        assert!(eval_split(0, 2, &[Some(&x), Some(&t(&[2], &[-1, 8]))]).is_err());
        let y = eval_split(1, 2, &[Some(&iota(&[2, 4]))]).unwrap();
        assert_eq!(y, vec![t(&[2, 2], &[0, 1, 4, 5]), t(&[2, 2], &[2, 3, 6, 7])]);
        let y = eval_split(0, 3, &[Some(&x), Some(&t(&[3], &[0, 7, 0]))]).unwrap();
        assert_eq!(y[0].shape(), &[0]);
        assert_eq!(y[1], x);
    }
}
