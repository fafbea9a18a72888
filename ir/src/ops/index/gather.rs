//! Gather, GatherElements and GatherNd (negative indices wrap; out-of-range indices are errors).

use crate::ops::shape_ops::common::{
    axis, check_dims, check_size, concrete, reshaped, std_data, strides_of, type_refs, types_of, unify, wrap_index,
};
use crate::ops::util::{ints, req};
use crate::{invalid, map_tensor, Dim, OpResult, Tensor, TensorType};
use ndarray::{ArrayD, Axis, IxDyn};

pub(super) fn index_type<'a>(inputs: &[Option<&'a TensorType>], i: usize, what: &str) -> OpResult<&'a TensorType> {
    let t = req(inputs, i, what)?;
    if !t.dtype.is_int() {
        invalid!("{what} must be an integer tensor, got {t}");
    }
    Ok(t)
}

fn gather_type(ax: i64, inputs: &[Option<&TensorType>]) -> OpResult<(usize, TensorType)> {
    let x = req(inputs, 0, "data")?;
    let idx = index_type(inputs, 1, "indices")?;
    let a = axis(ax, x.rank())?;
    let mut dims = x.dims[..a].to_vec();
    dims.extend(idx.dims.iter().cloned());
    dims.extend(x.dims[a + 1..].iter().cloned());
    check_dims(&dims, "gather output")?;
    Ok((a, TensorType::new(x.dtype, dims)))
}

pub(super) fn infer_gather(ax: i64, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    Ok(vec![gather_type(ax, inputs)?.1])
}

pub(super) fn eval_gather(ax: i64, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let tys = types_of(inputs);
    let (a, ty) = gather_type(ax, &type_refs(&tys))?;
    let out = concrete(&ty)?;
    let x = req(inputs, 0, "data")?;
    let d = x.shape()[a];
    let idx = ints(req(inputs, 1, "indices")?, "gather indices")?
        .into_iter()
        .map(|i| wrap_index(i, d, "gather"))
        .collect::<OpResult<Vec<usize>>>()?;
    Ok(vec![map_tensor!(x, arr => {
        let picked = arr.select(Axis(a), &idx);
        reshaped(picked.view(), &out)?
    })])
}

/// Visit every position of an index tensor of shape `ishape` in row-major order, passing the
/// flat position and the offset into a row-major array with strides `xstrides`, where the
/// coordinate along `axis` is left out (the caller adds `index * xstrides[axis]`).
pub(super) fn for_each_position(
    ishape: &[usize],
    xstrides: &[usize],
    axis: usize,
    mut f: impl FnMut(usize, usize) -> OpResult<()>,
) -> OpResult<()> {
    let n: usize = ishape.iter().product();
    let rank = ishape.len();
    let mut pos = vec![0usize; rank];
    let mut base = 0usize;
    for p in 0..n {
        f(p, base)?;
        for d in (0..rank).rev() {
            pos[d] += 1;
            if d != axis {
                base += xstrides[d];
            }
            if pos[d] < ishape[d] {
                break;
            }
            if d != axis {
                base -= ishape[d] * xstrides[d];
            }
            pos[d] = 0;
        }
    }
    Ok(())
}

/// GatherElements/ScatterElements shape rule: indices have x's rank and, off the axis, no
/// larger dims than x.
pub(super) fn check_elements_shapes(x: &TensorType, idx: &TensorType, a: usize, what: &str) -> OpResult<()> {
    if idx.rank() != x.rank() {
        invalid!("{what}: indices {idx} must have the rank of data {x}");
    }
    for (k, (di, dx)) in idx.dims.iter().zip(&x.dims).enumerate() {
        if let (k2, Dim::Static(i), Dim::Static(n)) = (k, di, dx) {
            if k2 != a && i > n {
                invalid!("{what}: indices {idx} exceed data {x} along axis {k}");
            }
        }
    }
    Ok(())
}

fn gather_elements_type(ax: i64, inputs: &[Option<&TensorType>]) -> OpResult<(usize, TensorType)> {
    let x = req(inputs, 0, "data")?;
    let idx = index_type(inputs, 1, "indices")?;
    let a = axis(ax, x.rank())?;
    check_elements_shapes(x, idx, a, "gather_elements")?;
    Ok((a, TensorType::new(x.dtype, idx.dims.clone())))
}

pub(super) fn infer_gather_elements(ax: i64, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    Ok(vec![gather_elements_type(ax, inputs)?.1])
}

fn gather_elements_arr<T: Clone>(x: &ArrayD<T>, idx: &[i64], ishape: &[usize], a: usize) -> OpResult<ArrayD<T>> {
    let data = std_data(x);
    let xs = strides_of(x.shape());
    let d = x.shape()[a];
    let mut out = Vec::with_capacity(idx.len());
    for_each_position(ishape, &xs, a, |p, base| {
        let j = wrap_index(idx[p], d, "gather_elements")?;
        out.push(data[base + j * xs[a]].clone());
        Ok(())
    })?;
    ArrayD::from_shape_vec(IxDyn(ishape), out).map_err(|e| format!("gather_elements: {e}").into())
}

pub(super) fn eval_gather_elements(ax: i64, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let tys = types_of(inputs);
    let (a, _) = gather_elements_type(ax, &type_refs(&tys))?;
    let x = req(inputs, 0, "data")?;
    let it = req(inputs, 1, "indices")?;
    let idx = ints(it, "gather_elements indices")?;
    Ok(vec![
        map_tensor!(x, arr => gather_elements_arr(arr, &idx, it.shape(), a)?),
    ])
}

/// GatherNd output type and the number of index components `m`.
fn gather_nd_type(b: usize, inputs: &[Option<&TensorType>]) -> OpResult<TensorType> {
    let x = req(inputs, 0, "data")?;
    let idx = index_type(inputs, 1, "indices")?;
    let (r, q) = (x.rank(), idx.rank());
    if r == 0 || q == 0 || b >= r.min(q) {
        invalid!("gather_nd: batch_dims {b} needs data and indices of larger rank, got {x} and {idx}");
    }
    let Some(m) = idx.dims[q - 1].as_static() else {
        crate::unsupported!("gather_nd: the last dim of indices {idx} must be static");
    };
    if m < 1 || b + m > r {
        invalid!("gather_nd: index tuples of length {m} do not fit data {x} with batch_dims {b}");
    }
    let mut dims = Vec::with_capacity(q - 1 + r - b - m);
    for k in 0..q - 1 {
        dims.push(if k < b {
            match unify(&idx.dims[k], &x.dims[k]) {
                Some(d) => d,
                None => invalid!("gather_nd: batch dims of indices {idx} and data {x} differ"),
            }
        } else {
            idx.dims[k].clone()
        });
    }
    dims.extend(x.dims[b + m..].iter().cloned());
    check_dims(&dims, "gather_nd output")?;
    Ok(TensorType::new(x.dtype, dims))
}

pub(super) fn infer_gather_nd(b: usize, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    Ok(vec![gather_nd_type(b, inputs)?])
}

/// Geometry of an ND-index op (GatherNd/ScatterNd): per batch, `tuples` index tuples of `m`
/// components, each addressing a contiguous chunk of `chunk` elements of the data.
pub(super) struct NdGeometry {
    pub batches: usize,
    pub batch_size: usize,
    pub tuples: usize,
    pub m: usize,
    pub chunk: usize,
    pub strides: Vec<usize>,
}

impl NdGeometry {
    pub(super) fn new(xshape: &[usize], ishape: &[usize], b: usize) -> NdGeometry {
        let q = ishape.len();
        let m = ishape[q - 1];
        NdGeometry {
            batches: xshape[..b].iter().product(),
            batch_size: xshape[b..].iter().product(),
            tuples: ishape[b..q - 1].iter().product(),
            m,
            chunk: xshape[b + m..].iter().product(),
            strides: strides_of(xshape),
        }
    }

    /// Offset into the data of tuple `t` (global tuple number) of batch `bi`.
    pub(super) fn offset(&self, xshape: &[usize], b: usize, bi: usize, tuple: &[i64], what: &str) -> OpResult<usize> {
        let mut off = bi * self.batch_size;
        for (j, &v) in tuple.iter().enumerate() {
            off += wrap_index(v, xshape[b + j], what)? * self.strides[b + j];
        }
        Ok(off)
    }
}

fn gather_nd_arr<T: Clone>(
    x: &ArrayD<T>,
    idx: &[i64],
    ishape: &[usize],
    b: usize,
    out: &[usize],
) -> OpResult<ArrayD<T>> {
    let data = std_data(x);
    let g = NdGeometry::new(x.shape(), ishape, b);
    let mut res = Vec::with_capacity(g.batches * g.tuples * g.chunk);
    for bi in 0..g.batches {
        for t in 0..g.tuples {
            let k = (bi * g.tuples + t) * g.m;
            let off = g.offset(x.shape(), b, bi, &idx[k..k + g.m], "gather_nd")?;
            res.extend_from_slice(&data[off..off + g.chunk]);
        }
    }
    ArrayD::from_shape_vec(IxDyn(out), res).map_err(|e| format!("gather_nd: {e}").into())
}

pub(super) fn eval_gather_nd(b: usize, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let tys = types_of(inputs);
    let ty = gather_nd_type(b, &type_refs(&tys))?;
    let out = concrete(&ty)?;
    check_size(&out, "gather_nd output")?;
    let x = req(inputs, 0, "data")?;
    let it = req(inputs, 1, "indices")?;
    for k in 0..b {
        if it.shape()[k] != x.shape()[k] {
            invalid!(
                "gather_nd: batch dims of indices {:?} and data {:?} differ",
                it.shape(),
                x.shape()
            );
        }
    }
    let idx = ints(it, "gather_nd indices")?;
    Ok(vec![
        map_tensor!(x, arr => gather_nd_arr(arr, &idx, it.shape(), b, &out)?),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    fn t(shape: &[usize], v: &[i64]) -> Tensor {
        Tensor::from_vec(shape, v.to_vec()).unwrap()
    }
    fn iota(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_vec(shape, (0..n as i64).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn gather() {
        let x = iota(&[3, 2]);
        let y = eval_gather(0, &[Some(&x), Some(&t(&[2, 2], &[0, 1, -1, 0]))]).unwrap();
        assert_eq!(y[0], t(&[2, 2, 2], &[0, 1, 2, 3, 4, 5, 0, 1]));
        let y = eval_gather(1, &[Some(&x), Some(&Tensor::scalar(1i32))]).unwrap();
        assert_eq!(y[0], t(&[3], &[1, 3, 5]));
        let y = eval_gather(1, &[Some(&x), Some(&t(&[0], &[]))]).unwrap();
        assert_eq!(y[0].shape(), &[3, 0]);
        assert!(eval_gather(0, &[Some(&x), Some(&t(&[1], &[3]))]).is_err());
        assert!(eval_gather(0, &[Some(&x), Some(&t(&[1], &[-4]))]).is_err());
        assert!(eval_gather(2, &[Some(&x), Some(&t(&[1], &[0]))]).is_err());
        let n = Dim::Sym("N".into());
        let xt = TensorType::new(DType::F32, vec![n.clone(), Dim::Static(5)]);
        let it = TensorType::fixed(DType::I64, &[]);
        assert_eq!(infer_gather(1, &[Some(&xt), Some(&it)]).unwrap()[0].dims, vec![n]);
    }

    #[test]
    fn gather_elements() {
        // ONNX doc example: data [[1,2],[3,4]], indices [[0,0],[1,0]], axis 1 → [[1,1],[4,3]].
        let x = t(&[2, 2], &[1, 2, 3, 4]);
        let y = eval_gather_elements(1, &[Some(&x), Some(&t(&[2, 2], &[0, 0, 1, 0]))]).unwrap();
        assert_eq!(y[0], t(&[2, 2], &[1, 1, 4, 3]));
        // axis 0 with fewer rows and negative indices: [[-1, 0]] → [[3, 2]].
        let y = eval_gather_elements(0, &[Some(&x), Some(&t(&[1, 2], &[-1, 0]))]).unwrap();
        assert_eq!(y[0], t(&[1, 2], &[3, 2]));
        assert!(eval_gather_elements(0, &[Some(&x), Some(&t(&[1, 2], &[2, 0]))]).is_err());
        assert!(eval_gather_elements(0, &[Some(&x), Some(&t(&[2], &[0, 0]))]).is_err());
        assert!(eval_gather_elements(0, &[Some(&x), Some(&t(&[1, 3], &[0, 0, 0]))]).is_err());
    }

    #[test]
    fn gather_nd() {
        // ONNX doc examples.
        let x = t(&[2, 2], &[0, 1, 2, 3]);
        let y = eval_gather_nd(0, &[Some(&x), Some(&t(&[2, 2], &[0, 0, 1, 1]))]).unwrap();
        assert_eq!(y[0], t(&[2], &[0, 3]));
        let y = eval_gather_nd(0, &[Some(&x), Some(&t(&[2, 1], &[1, 0]))]).unwrap();
        assert_eq!(y[0], t(&[2, 2], &[2, 3, 0, 1]));
        let x = iota(&[2, 2, 2]);
        let y = eval_gather_nd(1, &[Some(&x), Some(&t(&[2, 1], &[1, 0]))]).unwrap();
        assert_eq!(y[0], t(&[2, 2], &[2, 3, 4, 5]));
        let y = eval_gather_nd(0, &[Some(&x), Some(&t(&[2, 1, 2], &[0, 1, -1, 0]))]).unwrap();
        assert_eq!(y[0], t(&[2, 1, 2], &[2, 3, 4, 5]));
        assert!(eval_gather_nd(0, &[Some(&x), Some(&t(&[1, 4], &[0, 0, 0, 0]))]).is_err());
        assert!(eval_gather_nd(0, &[Some(&x), Some(&t(&[1, 1], &[2]))]).is_err());
        assert!(eval_gather_nd(2, &[Some(&x), Some(&t(&[2, 1], &[0, 0]))]).is_err());
    }
}
