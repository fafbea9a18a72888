//! Ops that replicate data: Expand (bidirectional broadcast) and Tile.

use super::common::{check_dims, check_size, concrete, const_ints, dim_mul, dims_of, reshaped, std_owned};
use crate::ops::util::{ints, req, unknown};
use crate::{invalid, map_tensor, Dim, OpError, OpResult, Tensor, TensorType};
use ndarray::{ArrayD, IxDyn};

fn shape_operand(t: &TensorType, what: &str) -> OpResult<Option<usize>> {
    if !t.dtype.is_int() || t.rank() != 1 {
        invalid!("{what} must be a 1-D integer tensor, got {t}");
    }
    Ok(t.dims[0].as_static())
}

fn expand_dims(x: &[Dim], shape: &[i64]) -> OpResult<Vec<Dim>> {
    if let Some(v) = shape.iter().find(|&&v| v < 0) {
        invalid!("expand: negative size {v} in shape {shape:?}");
    }
    let target: Vec<Dim> = shape.iter().map(|&v| Dim::Static(v as usize)).collect();
    let out = crate::broadcast_dims(x, &target).map_err(|e| OpError::Invalid(format!("expand: {e}")))?;
    check_dims(&out, "expand output")?;
    Ok(out)
}

pub(super) fn infer_expand(inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "input")?;
    let len = shape_operand(req(inputs, 1, "shape")?, "expand shape")?;
    if let Some(shape) = const_ints(consts, 1, "expand shape")? {
        return Ok(vec![TensorType::new(x.dtype, expand_dims(&x.dims, &shape)?)]);
    }
    let Some(k) = len else {
        crate::unsupported!("expand: the output rank depends on a shape of unknown length")
    };
    let rank = k.max(x.rank());
    // A static size > 1 in x survives any valid target; everything else depends on the target.
    let dims = (0..rank)
        .map(|i| match (i + x.rank()).checked_sub(rank).map(|j| &x.dims[j]) {
            Some(Dim::Static(n)) if *n != 1 => Dim::Static(*n),
            _ => unknown(),
        })
        .collect();
    Ok(vec![TensorType::new(x.dtype, dims)])
}

pub(super) fn eval_expand(inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "input")?;
    let shape = ints(req(inputs, 1, "shape")?, "expand shape")?;
    let out = concrete(&TensorType::new(x.dtype(), expand_dims(&dims_of(x.shape()), &shape)?))?;
    let y = map_tensor!(x, a => {
        let b = a.broadcast(IxDyn(&out)).ok_or_else(|| format!("expand: cannot broadcast {:?} to {out:?}", a.shape()))?;
        std_owned(b)
    });
    Ok(vec![y])
}

fn tile_dims(x: &[Dim], repeats: &[i64]) -> OpResult<Vec<Dim>> {
    if repeats.len() != x.len() {
        invalid!(
            "tile: repeats {repeats:?} must have one entry per axis of the rank-{} input",
            x.len()
        );
    }
    let mut out = Vec::with_capacity(x.len());
    for (d, &r) in x.iter().zip(repeats) {
        if r < 0 {
            invalid!("tile: negative repeat in {repeats:?}");
        }
        out.push(dim_mul(d, &Dim::Static(r as usize))?);
    }
    check_dims(&out, "tile output")?;
    Ok(out)
}

pub(super) fn infer_tile(inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "input")?;
    let len = shape_operand(req(inputs, 1, "repeats")?, "tile repeats")?;
    if let Some(r) = const_ints(consts, 1, "tile repeats")? {
        return Ok(vec![TensorType::new(x.dtype, tile_dims(&x.dims, &r)?)]);
    }
    if len.is_some_and(|k| k != x.rank()) {
        invalid!("tile: repeats must have one entry per axis of {x}");
    }
    let dims = x
        .dims
        .iter()
        .map(|d| dim_mul(d, &unknown()))
        .collect::<OpResult<Vec<_>>>()?;
    Ok(vec![TensorType::new(x.dtype, dims)])
}

/// Tile by broadcasting `[1, d0, 1, d1, …]` to `[r0, d0, r1, d1, …]` and merging pairs.
fn tile_arr<T: Clone>(a: &ArrayD<T>, reps: &[usize], out: &[usize]) -> OpResult<ArrayD<T>> {
    let mut inter = Vec::with_capacity(2 * reps.len());
    let mut target = Vec::with_capacity(2 * reps.len());
    for (&d, &r) in a.shape().iter().zip(reps) {
        inter.extend([1, d]);
        target.extend([r, d]);
    }
    let v = reshaped(a.view(), &inter)?;
    let b = v.broadcast(IxDyn(&target)).ok_or("tile: internal broadcast failure")?;
    reshaped(b, out)
}

pub(super) fn eval_tile(inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "input")?;
    let r = ints(req(inputs, 1, "repeats")?, "tile repeats")?;
    let out = concrete(&TensorType::new(x.dtype(), tile_dims(&dims_of(x.shape()), &r)?))?;
    check_size(&out, "tile output")?;
    let reps: Vec<usize> = r.iter().map(|&v| v as usize).collect();
    Ok(vec![map_tensor!(x, a => tile_arr(a, &reps, &out)?)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    fn t(shape: &[usize], v: &[i64]) -> Tensor {
        Tensor::from_vec(shape, v.to_vec()).unwrap()
    }
    fn i64s(v: &[i64]) -> Tensor {
        t(&[v.len()], v)
    }

    #[test]
    fn expand() {
        let x = t(&[3, 1], &[1, 2, 3]);
        let y = eval_expand(&[Some(&x), Some(&i64s(&[2, 1, 2]))]).unwrap();
        assert_eq!(y[0], t(&[2, 3, 2], &[1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]));
        // Bidirectional: a 1 in the shape keeps x's size.
        let y = eval_expand(&[Some(&x), Some(&i64s(&[1, 1]))]).unwrap();
        assert_eq!(y[0], x);
        assert!(eval_expand(&[Some(&x), Some(&i64s(&[2, 2]))]).is_err());
        assert!(eval_expand(&[Some(&x), Some(&i64s(&[-1, 1]))]).is_err());
        assert!(eval_expand(&[Some(&x), Some(&i64s(&[1 << 20, 1 << 20, 1]))]).is_err());
        let n = Dim::Sym("N".into());
        let xt = TensorType::new(DType::F32, vec![n.clone(), Dim::Static(1)]);
        let st = TensorType::fixed(DType::I64, &[3]);
        let c = i64s(&[2, 1, 5]);
        let r = infer_expand(&[Some(&xt), Some(&st)], &[None, Some(&c)]).unwrap();
        assert_eq!(r[0].dims, vec![Dim::Static(2), n, Dim::Static(5)]);
        let xt = TensorType::fixed(DType::F32, &[4, 1]);
        let r = infer_expand(&[Some(&xt), Some(&st)], &[None, None]).unwrap();
        assert_eq!(r[0].dims, vec![unknown(), Dim::Static(4), unknown()]);
    }

    #[test]
    fn tile() {
        let x = t(&[2, 2], &[1, 2, 3, 4]);
        let y = eval_tile(&[Some(&x), Some(&i64s(&[2, 3]))]).unwrap();
        let expect = [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4];
        let mut all = expect.to_vec();
        all.extend(expect);
        assert_eq!(y[0], t(&[4, 6], &all));
        let y = eval_tile(&[Some(&x), Some(&i64s(&[0, 1]))]).unwrap();
        assert_eq!(y[0].shape(), &[0, 2]);
        assert!(eval_tile(&[Some(&x), Some(&i64s(&[2]))]).is_err());
        assert!(eval_tile(&[Some(&x), Some(&i64s(&[-1, 1]))]).is_err());
        assert!(eval_tile(&[Some(&x), Some(&i64s(&[1 << 30, 1 << 30]))]).is_err());
    }
}
