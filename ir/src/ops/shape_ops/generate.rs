//! Ops that create tensors from shapes or scalars, or mask matrices: Shape, Size,
//! ConstantOfShape, Range, EyeLike and Trilu.

use super::common::{check_dims, check_size, const_ints, scalar_int, type_refs, types_of};
use crate::ops::util::{ints, opt, req, unknown};
use crate::{invalid, map_tensor, DType, Dim, Element, OpError, OpResult, Tensor, TensorType};
use ndarray::{ArrayD, Axis, IxDyn};

/// The [start, end) range of dims Shape returns for a rank-`rank` input (clamped).
fn shape_range(start: i64, end: Option<i64>, rank: usize) -> (usize, usize) {
    let r = rank as i64;
    let clamp = |x: i64| (if x < 0 { x + r } else { x }).clamp(0, r) as usize;
    let (s, e) = (clamp(start), clamp(end.unwrap_or(r)));
    (s, e.max(s))
}

pub(super) fn infer_shape(start: i64, end: Option<i64>, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "data")?;
    let (s, e) = shape_range(start, end, x.rank());
    Ok(vec![TensorType::fixed(DType::I64, &[e - s])])
}

pub(super) fn eval_shape(start: i64, end: Option<i64>, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "data")?;
    let (s, e) = shape_range(start, end, x.shape().len());
    let v: Vec<i64> = x.shape()[s..e].iter().map(|&d| d as i64).collect();
    Ok(vec![Tensor::from_vec(&[v.len()], v)?])
}

pub(super) fn infer_size(inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    req(inputs, 0, "data")?;
    Ok(vec![TensorType::scalar(DType::I64)])
}

pub(super) fn eval_size(inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    Ok(vec![Tensor::scalar(req(inputs, 0, "data")?.len() as i64)])
}

fn fill_dims(shape: &[i64]) -> OpResult<Vec<Dim>> {
    if let Some(v) = shape.iter().find(|&&v| v < 0) {
        invalid!("constant_of_shape: negative size {v} in {shape:?}");
    }
    let dims: Vec<Dim> = shape.iter().map(|&v| Dim::Static(v as usize)).collect();
    check_dims(&dims, "constant_of_shape output")?;
    Ok(dims)
}

fn check_fill_value(value: &Tensor) -> OpResult<()> {
    if value.len() != 1 {
        invalid!(
            "constant_of_shape: value must hold one element, got shape {:?}",
            value.shape()
        );
    }
    Ok(())
}

pub(super) fn infer_constant_of_shape(
    value: &Tensor,
    inputs: &[Option<&TensorType>],
    consts: &[Option<&Tensor>],
) -> OpResult<Vec<TensorType>> {
    check_fill_value(value)?;
    let s = req(inputs, 0, "shape")?;
    if !s.dtype.is_int() || s.rank() != 1 {
        invalid!("constant_of_shape: shape must be a 1-D integer tensor, got {s}");
    }
    if let Some(shape) = const_ints(consts, 0, "constant_of_shape shape")? {
        return Ok(vec![TensorType::new(value.dtype(), fill_dims(&shape)?)]);
    }
    match s.dims[0] {
        Dim::Static(n) => Ok(vec![TensorType::new(value.dtype(), vec![unknown(); n])]),
        _ => crate::unsupported!("constant_of_shape: the output rank depends on a shape of unknown length"),
    }
}

pub(super) fn eval_constant_of_shape(value: &Tensor, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    check_fill_value(value)?;
    let shape = ints(req(inputs, 0, "shape")?, "constant_of_shape shape")?;
    fill_dims(&shape)?;
    let shape: Vec<usize> = shape.iter().map(|&v| v as usize).collect();
    check_size(&shape, "constant_of_shape output")?;
    Ok(vec![
        map_tensor!(value, a => ArrayD::from_elem(IxDyn(&shape), a.iter().next().cloned().unwrap_or_default())),
    ])
}

/// A Range operand: a one-element numeric tensor.
fn range_operand<'a>(inputs: &[Option<&'a TensorType>], i: usize, what: &str) -> OpResult<&'a TensorType> {
    let t = req(inputs, i, what)?;
    if t.rank() > 1 || t.dims.iter().any(|d| *d != Dim::Static(1)) {
        invalid!("range: {what} must be a scalar, got {t}");
    }
    if !(t.dtype.is_int() || t.dtype.is_float()) {
        invalid!("range: {what} must be numeric, got {t}");
    }
    Ok(t)
}

/// Number of Range elements: max(ceil((limit - start) / delta), 0).
fn range_len(start: &Tensor, limit: &Tensor, delta: &Tensor) -> OpResult<usize> {
    let n: f64 = if start.dtype().is_float() {
        let (s, l, d) = (start.to_f64_vec()[0], limit.to_f64_vec()[0], delta.to_f64_vec()[0]);
        if d == 0.0 {
            invalid!("range: delta is 0");
        }
        let n = ((l - s) / d).ceil();
        if n.is_nan() {
            invalid!("range: length of ({s}, {l}, {d}) is not a number");
        }
        n.max(0.0)
    } else {
        let (s, l, d) = (
            start.to_i64_vec()[0] as i128,
            limit.to_i64_vec()[0] as i128,
            delta.to_i64_vec()[0] as i128,
        );
        if d == 0 {
            invalid!("range: delta is 0");
        }
        let num = l - s;
        let q = num / d;
        let n = if num % d != 0 && ((num > 0) == (d > 0)) {
            q + 1
        } else {
            q
        };
        n.max(0) as f64
    };
    if n > super::common::MAX_ELEMENTS as f64 {
        invalid!("range: output of {n} elements is too large");
    }
    Ok(n as usize)
}

fn range_inputs<'a>(inputs: &[Option<&'a Tensor>]) -> OpResult<[&'a Tensor; 3]> {
    let ts = [
        req(inputs, 0, "start")?,
        req(inputs, 1, "limit")?,
        req(inputs, 2, "delta")?,
    ];
    for t in &ts[1..] {
        if t.dtype() != ts[0].dtype() {
            invalid!(
                "range: operands have dtypes {}, {} and {}",
                ts[0].dtype(),
                ts[1].dtype(),
                ts[2].dtype()
            );
        }
    }
    for t in ts {
        if t.len() != 1 || t.shape().len() > 1 {
            invalid!("range: operands must be scalars, got shape {:?}", t.shape());
        }
    }
    if ts[0].dtype() == DType::Bool {
        invalid!("range: operands must be numeric");
    }
    Ok(ts)
}

pub(super) fn infer_range(inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    let s = range_operand(inputs, 0, "start")?;
    let l = range_operand(inputs, 1, "limit")?;
    let d = range_operand(inputs, 2, "delta")?;
    if s.dtype != l.dtype || s.dtype != d.dtype {
        invalid!("range: operands have dtypes {}, {} and {}", s.dtype, l.dtype, d.dtype);
    }
    let c = |i: usize| consts.get(i).copied().flatten();
    let len = match (c(0), c(1), c(2)) {
        (Some(a), Some(b), Some(e)) => Dim::Static(range_len(a, b, e)?),
        _ => unknown(),
    };
    Ok(vec![TensorType::new(s.dtype, vec![len])])
}

fn range_values<T: Element>(start: &Tensor, delta: &Tensor, n: usize) -> ArrayD<T> {
    let v: Vec<T> = if T::DTYPE.is_float() {
        let (s, d) = (start.to_f64_vec()[0], delta.to_f64_vec()[0]);
        (0..n).map(|i| T::from_f64(s + i as f64 * d)).collect()
    } else {
        let (s, d) = (start.to_i64_vec()[0] as i128, delta.to_i64_vec()[0] as i128);
        (0..n).map(|i| T::from_i64((s + i as i128 * d) as i64)).collect()
    };
    ArrayD::from_shape_vec(IxDyn(&[n]), v).unwrap_or_else(|_| ArrayD::default(IxDyn(&[0])))
}

pub(super) fn eval_range(inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let [s, l, d] = range_inputs(inputs)?;
    let n = range_len(s, l, d)?;
    Ok(vec![map_tensor!(s, _a => range_values(s, d, n))])
}

fn eye_type(dtype: Option<DType>, inputs: &[Option<&TensorType>]) -> OpResult<TensorType> {
    let x = req(inputs, 0, "input")?;
    if x.rank() != 2 {
        invalid!("eye_like: input must be 2-D, got {x}");
    }
    Ok(x.with_dtype(dtype.unwrap_or(x.dtype)))
}

pub(super) fn infer_eye_like(dtype: Option<DType>, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    Ok(vec![eye_type(dtype, inputs)?])
}

pub(super) fn eval_eye_like(k: i64, dtype: Option<DType>, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "input")?;
    let ty = eye_type(dtype, &[Some(&x.ty())])?;
    let (rows, cols) = (x.shape()[0] as i64, x.shape()[1] as i64);
    let z = Tensor::zeros(ty.dtype, x.shape()).map_err(OpError::Unsupported)?;
    let y = map_tensor!(&z, a => {
        let mut a = a.clone();
        for i in 0..rows {
            let j = i.saturating_add(k);
            if (0..cols).contains(&j) {
                a[[i as usize, j as usize]] = Element::from_f64(1.0);
            }
        }
        a
    });
    Ok(vec![y])
}

fn trilu_type<'a>(inputs: &[Option<&'a TensorType>]) -> OpResult<&'a TensorType> {
    let x = req(inputs, 0, "input")?;
    if x.rank() < 2 {
        invalid!("trilu: input must have rank >= 2, got {x}");
    }
    if let Some(k) = opt(inputs, 1) {
        if !k.dtype.is_int() || k.num_elements().is_some_and(|n| n != 1) {
            invalid!("trilu: k must be an integer scalar, got {k}");
        }
    }
    Ok(x)
}

pub(super) fn infer_trilu(inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    Ok(vec![trilu_type(inputs)?.clone()])
}

/// Zero the elements outside the kept triangle (`upper`: keep j - i >= k; else j - i <= k).
fn trilu_arr<T: Clone + Default>(a: &ArrayD<T>, upper: bool, k: i64) -> ArrayD<T> {
    let mut y = a.clone();
    let r = y.ndim();
    let rows = y.shape()[r - 2].max(1);
    for (n, mut lane) in y.lanes_mut(Axis(r - 1)).into_iter().enumerate() {
        let i = (n % rows) as i64;
        for (j, v) in lane.iter_mut().enumerate() {
            let diff = j as i64 - i;
            let keep = if upper { diff >= k } else { diff <= k };
            if !keep {
                *v = T::default();
            }
        }
    }
    y
}

pub(super) fn eval_trilu(upper: bool, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "input")?;
    let tys = types_of(inputs);
    trilu_type(&type_refs(&tys))?;
    let k = opt(inputs, 1)
        .map(|t| scalar_int(t, "trilu k"))
        .transpose()?
        .unwrap_or(0);
    Ok(vec![map_tensor!(x, a => trilu_arr(a, upper, k))])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i64s(v: &[i64]) -> Tensor {
        Tensor::from_vec(&[v.len()], v.to_vec()).unwrap()
    }

    #[test]
    fn shape_and_size() {
        let x = Tensor::zeros(DType::F32, &[2, 3, 4]).unwrap();
        assert_eq!(eval_shape(0, None, &[Some(&x)]).unwrap()[0], i64s(&[2, 3, 4]));
        assert_eq!(eval_shape(-2, None, &[Some(&x)]).unwrap()[0], i64s(&[3, 4]));
        assert_eq!(eval_shape(1, Some(-1), &[Some(&x)]).unwrap()[0], i64s(&[3]));
        assert_eq!(eval_shape(-10, Some(10), &[Some(&x)]).unwrap()[0], i64s(&[2, 3, 4]));
        assert_eq!(eval_shape(2, Some(1), &[Some(&x)]).unwrap()[0], i64s(&[]));
        let n = TensorType::new(DType::F32, vec![Dim::Sym("N".into()), Dim::Static(3)]);
        assert_eq!(
            infer_shape(0, None, &[Some(&n)]).unwrap()[0],
            TensorType::fixed(DType::I64, &[2])
        );
        assert_eq!(eval_size(&[Some(&x)]).unwrap()[0], Tensor::scalar(24i64));
    }

    #[test]
    fn constant_of_shape() {
        let v = Tensor::from_vec(&[1], vec![7i32]).unwrap();
        let y = eval_constant_of_shape(&v, &[Some(&i64s(&[2, 2]))]).unwrap();
        assert_eq!(y[0], Tensor::from_vec(&[2, 2], vec![7i32; 4]).unwrap());
        let y = eval_constant_of_shape(&v, &[Some(&i64s(&[]))]).unwrap();
        assert_eq!(y[0], Tensor::scalar(7i32));
        assert!(eval_constant_of_shape(&v, &[Some(&i64s(&[-1]))]).is_err());
        assert!(eval_constant_of_shape(&v, &[Some(&i64s(&[1 << 40]))]).is_err());
        let st = TensorType::fixed(DType::I64, &[3]);
        let t = infer_constant_of_shape(&v, &[Some(&st)], &[None]).unwrap();
        assert_eq!(t[0], TensorType::new(DType::I32, vec![unknown(); 3]));
    }

    #[test]
    fn range() {
        let r = |s: Tensor, l: Tensor, d: Tensor| eval_range(&[Some(&s), Some(&l), Some(&d)]);
        let y = r(Tensor::scalar(10i32), Tensor::scalar(4i32), Tensor::scalar(-3i32)).unwrap();
        assert_eq!(y[0], Tensor::from_vec(&[2], vec![10i32, 7]).unwrap());
        let y = r(Tensor::scalar(1f32), Tensor::scalar(2f32), Tensor::scalar(0.25f32)).unwrap();
        assert_eq!(y[0], Tensor::from_vec(&[4], vec![1f32, 1.25, 1.5, 1.75]).unwrap());
        let y = r(Tensor::scalar(3i64), Tensor::scalar(1i64), Tensor::scalar(1i64)).unwrap();
        assert_eq!(y[0].shape(), &[0]);
        assert!(r(Tensor::scalar(0i64), Tensor::scalar(1i64), Tensor::scalar(0i64)).is_err());
        assert!(r(Tensor::scalar(0i64), Tensor::scalar(i64::MAX), Tensor::scalar(1i64)).is_err());
        assert!(r(Tensor::scalar(0i64), Tensor::scalar(3i32), Tensor::scalar(1i64)).is_err());
        let (s, l, d) = (Tensor::scalar(0i64), Tensor::scalar(10i64), Tensor::scalar(3i64));
        let ty = TensorType::scalar(DType::I64);
        let t = infer_range(&[Some(&ty); 3], &[Some(&s), Some(&l), Some(&d)]).unwrap();
        assert_eq!(t[0], TensorType::fixed(DType::I64, &[4]));
    }

    #[test]
    fn eye_and_trilu() {
        let x = Tensor::zeros(DType::F32, &[3, 4]).unwrap();
        let y = eval_eye_like(1, Some(DType::I32), &[Some(&x)]).unwrap();
        assert_eq!(
            y[0],
            Tensor::from_vec(&[3, 4], vec![0i32, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]).unwrap()
        );
        let y = eval_eye_like(-2, None, &[Some(&x)]).unwrap();
        assert_eq!(y[0].to_f64_vec(), vec![0., 0., 0., 0., 0., 0., 0., 0., 1., 0., 0., 0.]);
        let m = Tensor::from_vec(&[2, 2, 3], (1..=12).collect::<Vec<i64>>()).unwrap();
        let y = eval_trilu(true, &[Some(&m)]).unwrap();
        assert_eq!(y[0].to_i64_vec(), vec![1, 2, 3, 0, 5, 6, 7, 8, 9, 0, 11, 12]);
        let k = Tensor::scalar(-1i64);
        let y = eval_trilu(false, &[Some(&m), Some(&k)]).unwrap();
        assert_eq!(y[0].to_i64_vec(), vec![0, 0, 0, 4, 0, 0, 0, 0, 0, 10, 0, 0]);
        assert!(eval_trilu(true, &[Some(&i64s(&[1, 2]))]).is_err());
    }
}
