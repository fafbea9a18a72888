//! ScatterElements and ScatterNd with reductions none/add/mul/max/min (duplicates apply in
//! order, so with `none` the last update wins, as the ONNX reference).

use super::gather::{check_elements_shapes, for_each_position, index_type, NdGeometry};
use crate::ops::shape_ops::common::{axis, same_dtype, std_data, strides_of, type_refs, types_of, wrap_index};
use crate::ops::util::{ints, req};
use crate::{invalid, with_tensor, Element, OpResult, ScatterReduction, Tensor, TensorType};
use half::{bf16, f16};
use ndarray::{ArrayD, IxDyn};

/// Element combination used by the scatter reductions (integers wrap; bool: add/max = or,
/// mul/min = and; float max/min propagate NaN).
pub(crate) trait Combine: Copy {
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn max(self, o: Self) -> Self;
    fn min(self, o: Self) -> Self;
}

macro_rules! combine_int {
    ($($t:ty),*) => {$(
        impl Combine for $t {
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            fn max(self, o: Self) -> Self { Ord::max(self, o) }
            fn min(self, o: Self) -> Self { Ord::min(self, o) }
        }
    )*};
}
combine_int!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! combine_float {
    ($($t:ty),*) => {$(
        impl Combine for $t {
            fn add(self, o: Self) -> Self { self + o }
            fn mul(self, o: Self) -> Self { self * o }
            fn max(self, o: Self) -> Self { if o > self || o.is_nan() { o } else { self } }
            fn min(self, o: Self) -> Self { if o < self || o.is_nan() { o } else { self } }
        }
    )*};
}
combine_float!(f32, f64, f16, bf16);

impl Combine for bool {
    fn add(self, o: Self) -> Self {
        self || o
    }
    fn mul(self, o: Self) -> Self {
        self && o
    }
    fn max(self, o: Self) -> Self {
        self || o
    }
    fn min(self, o: Self) -> Self {
        self && o
    }
}

fn apply<T: Combine>(slot: &mut T, u: T, r: ScatterReduction) {
    *slot = match r {
        ScatterReduction::None => u,
        ScatterReduction::Add => slot.add(u),
        ScatterReduction::Mul => slot.mul(u),
        ScatterReduction::Max => Combine::max(*slot, u),
        ScatterReduction::Min => Combine::min(*slot, u),
    };
}

fn check_updates(x: &TensorType, u: &TensorType, what: &str) -> OpResult<()> {
    if u.dtype != x.dtype {
        invalid!("{what}: updates {u} must have the dtype of data {x}");
    }
    Ok(())
}

fn scatter_elements_type(ax: i64, inputs: &[Option<&TensorType>]) -> OpResult<(usize, TensorType)> {
    let x = req(inputs, 0, "data")?;
    let idx = index_type(inputs, 1, "indices")?;
    let u = req(inputs, 2, "updates")?;
    let a = axis(ax, x.rank())?;
    check_elements_shapes(x, idx, a, "scatter_elements")?;
    check_updates(x, u, "scatter_elements")?;
    if u.rank() != idx.rank()
        || u.dims
            .iter()
            .zip(&idx.dims)
            .any(|(p, q)| crate::ops::shape_ops::common::unify(p, q).is_none())
    {
        invalid!("scatter_elements: updates {u} must have the shape of indices {idx}");
    }
    Ok((a, x.clone()))
}

pub(super) fn infer_scatter_elements(ax: i64, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    Ok(vec![scatter_elements_type(ax, inputs)?.1])
}

fn scatter_elements_arr<T: Element + Combine>(
    x: &ArrayD<T>,
    idx: &[i64],
    ishape: &[usize],
    updates: &Tensor,
    a: usize,
    r: ScatterReduction,
) -> OpResult<Tensor> {
    let u = same_dtype::<T>(updates, "scatter_elements updates")?;
    if u.shape() != ishape {
        invalid!(
            "scatter_elements: updates {:?} must have the shape of indices {ishape:?}",
            u.shape()
        );
    }
    let u = std_data(u);
    let mut out = std_data(x).into_owned();
    let xs = strides_of(x.shape());
    let d = x.shape()[a];
    for_each_position(ishape, &xs, a, |p, base| {
        let j = wrap_index(idx[p], d, "scatter_elements")?;
        apply(&mut out[base + j * xs[a]], u[p], r);
        Ok(())
    })?;
    Ok(T::wrap(
        ArrayD::from_shape_vec(IxDyn(x.shape()), out).map_err(|e| format!("scatter_elements: {e}"))?,
    ))
}

pub(super) fn eval_scatter_elements(ax: i64, r: ScatterReduction, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let tys = types_of(inputs);
    let (a, _) = scatter_elements_type(ax, &type_refs(&tys))?;
    let x = req(inputs, 0, "data")?;
    let it = req(inputs, 1, "indices")?;
    let u = req(inputs, 2, "updates")?;
    let idx = ints(it, "scatter_elements indices")?;
    Ok(vec![
        with_tensor!(x, arr => scatter_elements_arr(arr, &idx, it.shape(), u, a, r)?),
    ])
}

fn scatter_nd_type(inputs: &[Option<&TensorType>]) -> OpResult<TensorType> {
    let x = req(inputs, 0, "data")?;
    let idx = index_type(inputs, 1, "indices")?;
    let u = req(inputs, 2, "updates")?;
    check_updates(x, u, "scatter_nd")?;
    let q = idx.rank();
    if q == 0 || x.rank() == 0 {
        invalid!("scatter_nd: data {x} and indices {idx} must have rank >= 1");
    }
    if let Some(k) = idx.dims[q - 1].as_static() {
        if k > x.rank() {
            invalid!("scatter_nd: index tuples of length {k} exceed the rank of data {x}");
        }
        let expect: Vec<_> = idx.dims[..q - 1].iter().chain(&x.dims[k..]).cloned().collect();
        let ok = u.rank() == expect.len()
            && u.dims
                .iter()
                .zip(&expect)
                .all(|(p, q)| crate::ops::shape_ops::common::unify(p, q).is_some());
        if !ok {
            invalid!("scatter_nd: updates {u} must have shape indices[:-1] + data[{k}:] for data {x}, indices {idx}");
        }
    }
    Ok(x.clone())
}

pub(super) fn infer_scatter_nd(inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    Ok(vec![scatter_nd_type(inputs)?])
}

fn scatter_nd_arr<T: Element + Combine>(
    x: &ArrayD<T>,
    idx: &[i64],
    ishape: &[usize],
    updates: &Tensor,
    r: ScatterReduction,
) -> OpResult<Tensor> {
    let u = std_data(same_dtype::<T>(updates, "scatter_nd updates")?);
    let mut out = std_data(x).into_owned();
    let g = NdGeometry::new(x.shape(), ishape, 0);
    if u.len() != g.tuples * g.chunk {
        invalid!(
            "scatter_nd: updates have {} elements, expected {}",
            u.len(),
            g.tuples * g.chunk
        );
    }
    for t in 0..g.tuples {
        let off = g.offset(x.shape(), 0, 0, &idx[t * g.m..(t + 1) * g.m], "scatter_nd")?;
        for (slot, &v) in out[off..off + g.chunk]
            .iter_mut()
            .zip(&u[t * g.chunk..(t + 1) * g.chunk])
        {
            apply(slot, v, r);
        }
    }
    Ok(T::wrap(
        ArrayD::from_shape_vec(IxDyn(x.shape()), out).map_err(|e| format!("scatter_nd: {e}"))?,
    ))
}

pub(super) fn eval_scatter_nd(r: ScatterReduction, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let tys = types_of(inputs);
    scatter_nd_type(&type_refs(&tys))?;
    let x = req(inputs, 0, "data")?;
    let it = req(inputs, 1, "indices")?;
    let u = req(inputs, 2, "updates")?;
    let idx = ints(it, "scatter_nd indices")?;
    Ok(vec![
        with_tensor!(x, arr => scatter_nd_arr(arr, &idx, it.shape(), u, r)?),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize], v: &[i64]) -> Tensor {
        Tensor::from_vec(shape, v.to_vec()).unwrap()
    }
    fn f(shape: &[usize], v: &[f32]) -> Tensor {
        Tensor::from_vec(shape, v.to_vec()).unwrap()
    }

    #[test]
    fn scatter_elements() {
        // ONNX doc example (axis 1): data [[1,2,3,4,5]], indices [[1,3]], updates [[1.1,2.1]].
        let x = f(&[1, 5], &[1., 2., 3., 4., 5.]);
        let y = eval_scatter_elements(
            1,
            ScatterReduction::None,
            &[Some(&x), Some(&t(&[1, 2], &[1, -2])), Some(&f(&[1, 2], &[1.1, 2.1]))],
        )
        .unwrap();
        assert_eq!(y[0], f(&[1, 5], &[1., 1.1, 3., 2.1, 5.]));
        // Duplicates: add accumulates, none keeps the last, max/min compare.
        let run = |r| {
            eval_scatter_elements(
                1,
                r,
                &[Some(&x), Some(&t(&[1, 2], &[1, 1])), Some(&f(&[1, 2], &[1.5, 0.5]))],
            )
            .unwrap()[0]
                .to_f64_vec()
        };
        assert_eq!(run(ScatterReduction::Add), vec![1., 4., 3., 4., 5.]);
        assert_eq!(run(ScatterReduction::None), vec![1., 0.5, 3., 4., 5.]);
        assert_eq!(run(ScatterReduction::Mul), vec![1., 1.5, 3., 4., 5.]);
        assert_eq!(run(ScatterReduction::Max), vec![1., 2., 3., 4., 5.]);
        assert_eq!(run(ScatterReduction::Min), vec![1., 0.5, 3., 4., 5.]);
        // axis 0 on 3x3: indices [[1,0,2],[0,2,1]] (ONNX doc).
        let x = f(&[3, 3], &[0.; 9]);
        let y = eval_scatter_elements(
            0,
            ScatterReduction::None,
            &[
                Some(&x),
                Some(&t(&[2, 3], &[1, 0, 2, 0, 2, 1])),
                Some(&f(&[2, 3], &[1., 1.1, 1.2, 2., 2.1, 2.2])),
            ],
        )
        .unwrap();
        assert_eq!(y[0], f(&[3, 3], &[2., 1.1, 0., 1., 0., 2.2, 0., 2.1, 1.2]));
        let bad = eval_scatter_elements(
            0,
            ScatterReduction::None,
            &[Some(&x), Some(&t(&[1, 1], &[3])), Some(&f(&[1, 1], &[1.]))],
        );
        assert!(bad.is_err());
        let bad = eval_scatter_elements(
            0,
            ScatterReduction::None,
            &[Some(&x), Some(&t(&[1, 1], &[0])), Some(&f(&[1, 2], &[1., 2.]))],
        );
        assert!(bad.is_err());
    }

    #[test]
    fn scatter_nd() {
        // ONNX doc example 1: data [1..8], indices [[4],[3],[1],[7]], updates [9,10,11,12].
        let x = t(&[8], &[1, 2, 3, 4, 5, 6, 7, 8]);
        let y = eval_scatter_nd(
            ScatterReduction::None,
            &[
                Some(&x),
                Some(&t(&[4, 1], &[4, 3, 1, 7])),
                Some(&t(&[4], &[9, 10, 11, 12])),
            ],
        )
        .unwrap();
        assert_eq!(y[0], t(&[8], &[1, 11, 3, 10, 9, 6, 7, 12]));
        // Slices: data 2x2, indices [[1],[1]] with add.
        let x = t(&[2, 2], &[1, 2, 3, 4]);
        let y = eval_scatter_nd(
            ScatterReduction::Add,
            &[
                Some(&x),
                Some(&t(&[2, 1], &[1, -1])),
                Some(&t(&[2, 2], &[10, 20, 30, 40])),
            ],
        )
        .unwrap();
        assert_eq!(y[0], t(&[2, 2], &[1, 2, 43, 64]));
        let bad = eval_scatter_nd(
            ScatterReduction::None,
            &[Some(&x), Some(&t(&[1, 1], &[2])), Some(&t(&[1, 2], &[0, 0]))],
        );
        assert!(bad.is_err());
        let bad = eval_scatter_nd(
            ScatterReduction::None,
            &[Some(&x), Some(&t(&[1, 1], &[0])), Some(&t(&[1, 3], &[0, 0, 0]))],
        );
        assert!(bad.is_err());
    }
}
