//! Unique over the flattened tensor or over slices along an axis: outputs y, indices (first
//! occurrences), inverse_indices and counts, in sorted or first-occurrence order.

use crate::ops::shape_ops::common::{axis, reshaped, std_data, transpose_arr, type_refs, types_of};
use crate::ops::util::{req, unknown};
use crate::{with_tensor, DType, Dim, Element, OpResult, Tensor, TensorType};
use ndarray::{ArrayD, IxDyn};
use std::cmp::Ordering;

fn unique_types(ax: Option<i64>, inputs: &[Option<&TensorType>]) -> OpResult<(Option<usize>, Vec<TensorType>)> {
    let x = req(inputs, 0, "x")?;
    let a = ax.map(|a| axis(a, x.rank())).transpose()?;
    let (y, n) = match a {
        Some(a) => {
            let mut d = x.dims.clone();
            d[a] = unknown();
            (d, x.dims[a].clone())
        }
        None => (
            vec![unknown()],
            x.num_elements().map(Dim::Static).unwrap_or_else(unknown),
        ),
    };
    let i64v = |d: Dim| TensorType::new(DType::I64, vec![d]);
    Ok((
        a,
        vec![TensorType::new(x.dtype, y), i64v(unknown()), i64v(n), i64v(unknown())],
    ))
}

pub(super) fn infer_unique(ax: Option<i64>, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    Ok(unique_types(ax, inputs)?.1)
}

/// A total order on elements: NaN (the only value unequal to itself) sorts last, NaNs equal.
fn cmp_elem<T: PartialOrd>(a: &T, b: &T) -> Ordering {
    match a.partial_cmp(b) {
        Some(o) => o,
        None => {
            #[allow(clippy::eq_op)]
            let (an, bn) = (a != a, b != b);
            an.cmp(&bn)
        }
    }
}

fn cmp_rows<T: PartialOrd>(a: &[T], b: &[T]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| cmp_elem(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Unique rows of a `[n, w]` row-major matrix: (representative row numbers, counts, inverse).
fn unique_rows<T: PartialOrd>(data: &[T], n: usize, w: usize, sorted: bool) -> (Vec<usize>, Vec<i64>, Vec<i64>) {
    let row = |i: usize| &data[i * w..(i + 1) * w];
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| cmp_rows(row(i), row(j)));
    // Groups of equal rows in sorted order; the stable sort puts each group's first occurrence first.
    let mut firsts: Vec<usize> = Vec::new();
    let mut counts: Vec<i64> = Vec::new();
    let mut inverse = vec![0i64; n];
    for (k, &i) in order.iter().enumerate() {
        if k == 0 || cmp_rows(row(order[k - 1]), row(i)).is_ne() {
            firsts.push(i);
            counts.push(0);
        }
        let g = firsts.len() - 1;
        counts[g] += 1;
        inverse[i] = g as i64;
    }
    if !sorted {
        let mut groups: Vec<usize> = (0..firsts.len()).collect();
        groups.sort_by_key(|&g| firsts[g]);
        let mut rank = vec![0i64; groups.len()];
        for (new, &g) in groups.iter().enumerate() {
            rank[g] = new as i64;
        }
        firsts = groups.iter().map(|&g| firsts[g]).collect();
        counts = groups.iter().map(|&g| counts[g]).collect();
        for v in &mut inverse {
            *v = rank[*v as usize];
        }
    }
    (firsts, counts, inverse)
}

fn unique_arr<T: Element + PartialOrd>(x: &ArrayD<T>, a: Option<usize>, sorted: bool) -> OpResult<Vec<Tensor>> {
    // Rows: elements (no axis), or the slices along the axis moved to the front.
    let (moved, perm) = match a {
        None => (reshaped(x.view(), &[x.len(), 1])?, vec![]),
        Some(a) => {
            let mut perm = vec![a];
            perm.extend((0..x.ndim()).filter(|&k| k != a));
            (transpose_arr(x, &perm), perm)
        }
    };
    let n = moved.shape()[0];
    let w = moved.len().checked_div(n).unwrap_or(0);
    let data = std_data(&moved);
    let (firsts, counts, inverse) = unique_rows(&data, n, w, sorted);
    let mut ydata = Vec::with_capacity(firsts.len() * w);
    for &i in &firsts {
        ydata.extend_from_slice(&data[i * w..(i + 1) * w]);
    }
    let g = firsts.len();
    let y = match a {
        None => ArrayD::from_shape_vec(IxDyn(&[g]), ydata).map_err(|e| format!("unique: {e}"))?,
        Some(_) => {
            let mut mshape = moved.shape().to_vec();
            mshape[0] = g;
            let m = ArrayD::from_shape_vec(IxDyn(&mshape), ydata).map_err(|e| format!("unique: {e}"))?;
            let mut inv = vec![0; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inv[p] = i;
            }
            transpose_arr(&m, &inv)
        }
    };
    let idx: Vec<i64> = firsts.iter().map(|&i| i as i64).collect();
    Ok(vec![
        T::wrap(y),
        Tensor::from_vec(&[g], idx)?,
        Tensor::from_vec(&[n], inverse)?,
        Tensor::from_vec(&[g], counts)?,
    ])
}

pub(super) fn eval_unique(ax: Option<i64>, sorted: bool, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let tys = types_of(inputs);
    let (a, _) = unique_types(ax, &type_refs(&tys))?;
    let x = req(inputs, 0, "x")?;
    with_tensor!(x, arr => unique_arr(arr, a, sorted))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize], v: &[i64]) -> Tensor {
        Tensor::from_vec(shape, v.to_vec()).unwrap()
    }

    #[test]
    fn flat_sorted_and_unsorted() {
        // ONNX doc example: x = [2, 1, 1, 3, 4, 3].
        let x = Tensor::from_vec(&[6], vec![2f32, 1., 1., 3., 4., 3.]).unwrap();
        let r = eval_unique(None, false, &[Some(&x)]).unwrap();
        assert_eq!(r[0].to_f64_vec(), vec![2., 1., 3., 4.]);
        assert_eq!(r[1], t(&[4], &[0, 1, 3, 4]));
        assert_eq!(r[2], t(&[6], &[0, 1, 1, 2, 3, 2]));
        assert_eq!(r[3], t(&[4], &[1, 2, 2, 1]));
        let r = eval_unique(None, true, &[Some(&x)]).unwrap();
        assert_eq!(r[0].to_f64_vec(), vec![1., 2., 3., 4.]);
        assert_eq!(r[1], t(&[4], &[1, 0, 3, 4]));
        assert_eq!(r[2], t(&[6], &[1, 0, 0, 2, 3, 2]));
        assert_eq!(r[3], t(&[4], &[2, 1, 2, 1]));
    }

    #[test]
    fn along_axis() {
        // ONNX doc example: [[1,0,0],[1,0,0],[2,3,4]], axis 0.
        let x = t(&[3, 3], &[1, 0, 0, 1, 0, 0, 2, 3, 4]);
        let r = eval_unique(Some(0), true, &[Some(&x)]).unwrap();
        assert_eq!(r[0], t(&[2, 3], &[1, 0, 0, 2, 3, 4]));
        assert_eq!(r[1], t(&[2], &[0, 2]));
        assert_eq!(r[2], t(&[3], &[0, 0, 1]));
        assert_eq!(r[3], t(&[2], &[2, 1]));
        // Columns: axis 1 of [[1,0,1],[2,0,2]] → unique columns [0,1] sorted: [[0,1],[0,2]].
        let x = t(&[2, 3], &[1, 0, 1, 2, 0, 2]);
        let r = eval_unique(Some(-1), true, &[Some(&x)]).unwrap();
        assert_eq!(r[0], t(&[2, 2], &[0, 1, 0, 2]));
        assert_eq!(r[2], t(&[3], &[1, 0, 1]));
        assert!(eval_unique(Some(2), true, &[Some(&x)]).is_err());
    }
}
