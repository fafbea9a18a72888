//! Index-driven selection and construction: OneHot, NonZero, Compress and ReverseSequence.

use crate::ops::shape_ops::common::{axis, check_dims, check_size, concrete, scalar_f64, type_refs, types_of, unify};
use crate::ops::util::{ints, req, unknown};
use crate::{invalid, map_tensor, with_tensor, DType, Dim, Element, OpResult, Tensor, TensorType};
use ndarray::{ArrayD, Axis, IxDyn, Slice};

/// OneHot depth from its operand (non-integer depths truncate, as ONNX casts them to int64).
fn depth_of(t: &Tensor) -> OpResult<usize> {
    let d = scalar_f64(t, "one_hot depth")?.trunc();
    if !(0.0..=crate::ops::shape_ops::common::MAX_ELEMENTS as f64).contains(&d) {
        invalid!("one_hot: depth {d} is out of range");
    }
    Ok(d as usize)
}

fn one_hot_type(ax: i64, depth: Dim, inputs: &[Option<&TensorType>]) -> OpResult<(usize, TensorType)> {
    let idx = req(inputs, 0, "indices")?;
    let dt = req(inputs, 1, "depth")?;
    let v = req(inputs, 2, "values")?;
    if !(idx.dtype.is_int() || idx.dtype.is_float()) || !(dt.dtype.is_int() || dt.dtype.is_float()) {
        invalid!("one_hot: indices {idx} and depth {dt} must be numeric");
    }
    if v.rank() != 1 || v.dims[0].as_static().is_some_and(|n| n != 2) {
        invalid!("one_hot: values must be [off, on], got {v}");
    }
    let a = axis(ax, idx.rank() + 1)?;
    let mut dims = idx.dims.clone();
    dims.insert(a, depth);
    check_dims(&dims, "one_hot output")?;
    Ok((a, TensorType::new(v.dtype, dims)))
}

pub(super) fn infer_one_hot(
    ax: i64,
    inputs: &[Option<&TensorType>],
    consts: &[Option<&Tensor>],
) -> OpResult<Vec<TensorType>> {
    let depth = match consts.get(1).copied().flatten() {
        Some(t) => Dim::Static(depth_of(t)?),
        None => unknown(),
    };
    Ok(vec![one_hot_type(ax, depth, inputs)?.1])
}

fn one_hot_arr<T: Element>(
    values: &ArrayD<T>,
    idx: &[f64],
    ishape: &[usize],
    a: usize,
    depth: usize,
    out: &[usize],
) -> OpResult<Tensor> {
    let vals: Vec<T> = values.iter().copied().collect();
    let [off, on] = vals[..] else {
        invalid!("one_hot: values must hold [off, on], got {} elements", vals.len())
    };
    let inner: usize = ishape[a..].iter().product();
    let mut y = vec![off; check_size(out, "one_hot output")?];
    for (p, &v) in idx.iter().enumerate() {
        let mut i = v.trunc() as i64;
        if i < 0 {
            i += depth as i64;
        }
        if (0..depth as i64).contains(&i) {
            let (outer, r) = (p / inner.max(1), p % inner.max(1));
            y[(outer * depth + i as usize) * inner + r] = on;
        }
    }
    Ok(T::wrap(
        ArrayD::from_shape_vec(IxDyn(out), y).map_err(|e| format!("one_hot: {e}"))?,
    ))
}

pub(super) fn eval_one_hot(ax: i64, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let depth = depth_of(req(inputs, 1, "depth")?)?;
    let tys = types_of(inputs);
    let (a, ty) = one_hot_type(ax, Dim::Static(depth), &type_refs(&tys))?;
    let out = concrete(&ty)?;
    let it = req(inputs, 0, "indices")?;
    let idx = it.to_f64_vec();
    let values = req(inputs, 2, "values")?;
    Ok(vec![
        with_tensor!(values, v => one_hot_arr(v, &idx, it.shape(), a, depth, &out)?),
    ])
}

fn count_nonzero(t: &Tensor) -> usize {
    with_tensor!(t, a => a.iter().filter(|v| **v != Default::default()).count())
}

pub(super) fn infer_non_zero(inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "x")?;
    let n = match consts.first().copied().flatten() {
        Some(t) => Dim::Static(count_nonzero(t)),
        None => unknown(),
    };
    // A scalar is treated as a 1-element vector (as ONNX Runtime does).
    Ok(vec![TensorType::new(DType::I64, vec![Dim::Static(x.rank().max(1)), n])])
}

pub(super) fn eval_non_zero(inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "x")?;
    let shape: Vec<usize> = if x.shape().is_empty() {
        vec![1]
    } else {
        x.shape().to_vec()
    };
    let rank = shape.len();
    let mut coords: Vec<Vec<i64>> = vec![Vec::new(); rank];
    let mut pos = vec![0usize; rank];
    let flags: Vec<bool> = with_tensor!(x, a => a.iter().map(|v| *v != Default::default()).collect());
    for nz in flags {
        if nz {
            for (c, &p) in coords.iter_mut().zip(&pos) {
                c.push(p as i64);
            }
        }
        for d in (0..rank).rev() {
            pos[d] += 1;
            if pos[d] < shape[d] {
                break;
            }
            pos[d] = 0;
        }
    }
    let n = coords.first().map_or(0, Vec::len);
    Ok(vec![Tensor::from_vec(&[rank, n], coords.concat())?])
}

/// Selected positions of a Compress condition along a dim of size `d`.
fn compress_positions(cond: &[bool], d: usize) -> OpResult<Vec<usize>> {
    if cond.iter().skip(d).any(|&c| c) {
        invalid!(
            "compress: condition has {} entries, selecting beyond the dimension of size {d}",
            cond.len()
        );
    }
    Ok(cond
        .iter()
        .take(d)
        .enumerate()
        .filter(|(_, &c)| c)
        .map(|(i, _)| i)
        .collect())
}

fn compress_type(
    ax: Option<i64>,
    inputs: &[Option<&TensorType>],
    cond: Option<&Tensor>,
) -> OpResult<(Option<usize>, TensorType)> {
    let x = req(inputs, 0, "input")?;
    let c = req(inputs, 1, "condition")?;
    if c.dtype != DType::Bool || c.rank() != 1 {
        invalid!("compress: condition must be a 1-D bool tensor, got {c}");
    }
    let a = ax.map(|a| axis(a, x.rank())).transpose()?;
    let size = match a {
        Some(a) => x.dims[a].as_static(),
        None => x.num_elements(),
    };
    let count = match (cond, size) {
        (Some(t), Some(d)) => {
            let v: Vec<bool> = t
                .as_array::<bool>()
                .map(|a| a.iter().copied().collect())
                .unwrap_or_default();
            Dim::Static(compress_positions(&v, d)?.len())
        }
        _ => unknown(),
    };
    let dims = match a {
        Some(a) => {
            let mut d = x.dims.clone();
            d[a] = count;
            d
        }
        None => vec![count],
    };
    Ok((a, TensorType::new(x.dtype, dims)))
}

pub(super) fn infer_compress(
    ax: Option<i64>,
    inputs: &[Option<&TensorType>],
    consts: &[Option<&Tensor>],
) -> OpResult<Vec<TensorType>> {
    Ok(vec![compress_type(ax, inputs, consts.get(1).copied().flatten())?.1])
}

pub(super) fn eval_compress(ax: Option<i64>, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let tys = types_of(inputs);
    let (a, _) = compress_type(ax, &type_refs(&tys), None)?;
    let x = req(inputs, 0, "input")?;
    let cond: Vec<bool> = match req(inputs, 1, "condition")?.as_array::<bool>() {
        Some(c) => c.iter().copied().collect(),
        None => invalid!("compress: condition must be bool"),
    };
    let y = match a {
        Some(a) => {
            let pos = compress_positions(&cond, x.shape()[a])?;
            map_tensor!(x, arr => arr.select(Axis(a), &pos))
        }
        None => {
            let pos = compress_positions(&cond, x.len())?;
            map_tensor!(x, arr => {
                let flat: Vec<_> = arr.iter().cloned().collect();
                ArrayD::from_shape_vec(IxDyn(&[pos.len()]), pos.iter().map(|&i| flat[i]).collect())
                    .map_err(|e| format!("compress: {e}"))?
            })
        }
    };
    Ok(vec![y])
}

fn reverse_sequence_type(batch_axis: usize, time_axis: usize, inputs: &[Option<&TensorType>]) -> OpResult<TensorType> {
    let x = req(inputs, 0, "input")?;
    let s = req(inputs, 1, "sequence_lens")?;
    if x.rank() < 2 || batch_axis > 1 || time_axis > 1 || batch_axis == time_axis {
        invalid!("reverse_sequence: needs rank >= 2 and batch/time axes 0 and 1, got {x} ({batch_axis}, {time_axis})");
    }
    if !s.dtype.is_int() || s.rank() != 1 || unify(&s.dims[0], &x.dims[batch_axis]).is_none() {
        invalid!("reverse_sequence: sequence_lens {s} must be 1-D integers, one per batch of {x}");
    }
    Ok(x.clone())
}

pub(super) fn infer_reverse_sequence(b: usize, t: usize, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    Ok(vec![reverse_sequence_type(b, t, inputs)?])
}

pub(super) fn eval_reverse_sequence(b: usize, t: usize, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let tys = types_of(inputs);
    reverse_sequence_type(b, t, &type_refs(&tys))?;
    let x = req(inputs, 0, "input")?;
    let lens = ints(req(inputs, 1, "sequence_lens")?, "sequence_lens")?;
    let steps = x.shape()[t];
    for &l in &lens {
        if l < 0 || l as usize > steps {
            invalid!("reverse_sequence: sequence length {l} is outside [0, {steps}]");
        }
    }
    // Within one batch slice the time axis is axis 0 (time before batch) or stays at 0.
    let t_in = if t > b { t - 1 } else { t };
    let y = map_tensor!(x, a => {
        let mut y = a.clone();
        for (bi, &l) in lens.iter().enumerate() {
            let l = l as isize;
            let src = a.index_axis(Axis(b), bi);
            let rev = src.slice_axis(Axis(t_in), Slice::new(0, Some(l), -1));
            y.index_axis_mut(Axis(b), bi).slice_axis_mut(Axis(t_in), Slice::new(0, Some(l), 1)).assign(&rev);
        }
        y
    });
    Ok(vec![y])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize], v: &[i64]) -> Tensor {
        Tensor::from_vec(shape, v.to_vec()).unwrap()
    }

    #[test]
    fn one_hot() {
        let idx = t(&[3], &[0, -1, 5]);
        let depth = Tensor::scalar(3.7f32);
        let vals = Tensor::from_vec(&[2], vec![2f32, 9.]).unwrap();
        let y = eval_one_hot(-1, &[Some(&idx), Some(&depth), Some(&vals)]).unwrap();
        assert_eq!(y[0].shape(), &[3, 3]);
        assert_eq!(y[0].to_f64_vec(), vec![9., 2., 2., 2., 2., 9., 2., 2., 2.]);
        // axis 0 on a [2] index vector: output [depth, 2].
        let y = eval_one_hot(
            0,
            &[
                Some(&t(&[2], &[1, 0])),
                Some(&Tensor::scalar(2i64)),
                Some(&t(&[2], &[0, 1])),
            ],
        )
        .unwrap();
        assert_eq!(y[0], t(&[2, 2], &[0, 1, 1, 0]));
        assert!(eval_one_hot(2, &[Some(&idx), Some(&depth), Some(&vals)]).is_err());
        assert!(eval_one_hot(0, &[Some(&idx), Some(&Tensor::scalar(-1i64)), Some(&vals)]).is_err());
        assert!(eval_one_hot(0, &[Some(&idx), Some(&depth), Some(&t(&[3], &[0, 1, 2]))]).is_err());
    }

    #[test]
    fn non_zero() {
        let x = Tensor::from_vec(&[2, 2], vec![1f32, 0., 0., -3.]).unwrap();
        assert_eq!(eval_non_zero(&[Some(&x)]).unwrap()[0], t(&[2, 2], &[0, 1, 0, 1]));
        let ty = x.ty();
        assert_eq!(
            infer_non_zero(&[Some(&ty)], &[Some(&x)]).unwrap()[0],
            TensorType::fixed(DType::I64, &[2, 2])
        );
        let s = Tensor::scalar(true);
        assert_eq!(eval_non_zero(&[Some(&s)]).unwrap()[0], t(&[1, 1], &[0]));
    }

    #[test]
    fn compress() {
        let x = t(&[3, 2], &[1, 2, 3, 4, 5, 6]);
        let c = Tensor::from_vec(&[2], vec![false, true]).unwrap();
        assert_eq!(
            eval_compress(Some(0), &[Some(&x), Some(&c)]).unwrap()[0],
            t(&[1, 2], &[3, 4])
        );
        assert_eq!(
            eval_compress(Some(-1), &[Some(&x), Some(&c)]).unwrap()[0],
            t(&[3, 1], &[2, 4, 6])
        );
        assert_eq!(eval_compress(None, &[Some(&x), Some(&c)]).unwrap()[0], t(&[1], &[2]));
        let long = Tensor::from_vec(&[3], vec![true, false, true]).unwrap();
        assert!(eval_compress(Some(1), &[Some(&x), Some(&long)]).is_err());
        assert!(eval_compress(Some(2), &[Some(&x), Some(&c)]).is_err());
    }

    #[test]
    fn reverse_sequence() {
        // ONNX doc example, time_axis 0 / batch_axis 1: x[t, b] = 4 * t + b, lens [4, 3, 2, 1].
        let x = t(&[4, 4], &(0..16).collect::<Vec<_>>());
        let lens = t(&[4], &[4, 3, 2, 1]);
        let y = eval_reverse_sequence(1, 0, &[Some(&x), Some(&lens)]).unwrap();
        assert_eq!(
            y[0],
            t(&[4, 4], &[12, 9, 6, 3, 8, 5, 2, 7, 4, 1, 10, 11, 0, 13, 14, 15])
        );
        let y = eval_reverse_sequence(0, 1, &[Some(&x), Some(&t(&[4], &[1, 2, 3, 4]))]).unwrap();
        assert_eq!(
            y[0],
            t(&[4, 4], &[0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12])
        );
        assert!(eval_reverse_sequence(0, 1, &[Some(&x), Some(&t(&[4], &[5, 1, 1, 1]))]).is_err());
        assert!(eval_reverse_sequence(0, 1, &[Some(&x), Some(&t(&[3], &[1, 1, 1]))]).is_err());
    }
}
