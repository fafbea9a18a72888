//! Ops that only reinterpret or permute the layout of one tensor: Reshape, Transpose, Squeeze,
//! Unsqueeze, Flatten, DepthToSpace and SpaceToDepth.

use super::common::{
    axes_unique, check_dims, concrete, const_ints, dims_of, dims_product, named_sym, reshaped, transpose_arr,
};
use crate::ops::util::{ints, opt, req, unknown};
use crate::{invalid, map_tensor, Dim, OpResult, Tensor, TensorType};
use ndarray::{ArrayD, IxDyn};

/// Output dims of Reshape of `input` to the shape operand `shape`.
pub(super) fn reshape_dims(input: &[Dim], shape: &[i64], allowzero: bool) -> OpResult<Vec<Dim>> {
    let mut out = Vec::with_capacity(shape.len());
    let mut infer_at = None;
    for (i, &v) in shape.iter().enumerate() {
        match v {
            -1 => {
                if infer_at.is_some() {
                    invalid!("reshape: shape {shape:?} has more than one -1");
                }
                infer_at = Some(i);
                out.push(Dim::Static(1));
            }
            0 if !allowzero => match input.get(i) {
                Some(d) => out.push(d.clone()),
                None => invalid!(
                    "reshape: shape {shape:?} copies dim {i} (0) but the input has rank {}",
                    input.len()
                ),
            },
            v if v < 0 => invalid!("reshape: shape {shape:?} has a negative size {v}"),
            v => out.push(Dim::Static(v as usize)),
        }
    }
    if allowzero && infer_at.is_some() && shape.contains(&0) {
        invalid!("reshape: shape {shape:?} has both 0 and -1 with allowzero");
    }
    let count = Balance::new(input, &out)?;
    match infer_at {
        Some(k) => out[k] = count.missing(shape)?,
        None => {
            if count.exact() && count.p_in != count.p_out {
                invalid!(
                    "reshape: cannot reshape {} to {shape:?} ({} vs {} elements)",
                    crate::shape::fmt_dims(input),
                    count.p_in,
                    count.p_out
                );
            }
        }
    }
    check_dims(&out, "reshape output")?;
    Ok(out)
}

/// Element-count bookkeeping of two shapes: static products and the named symbols that do not
/// cancel out between them.
struct Balance {
    p_in: usize,
    p_out: usize,
    syms_in: Vec<String>,
    syms_out: Vec<String>,
    /// A bare `?` on either side (cannot cancel).
    opaque: bool,
}

impl Balance {
    fn new(input: &[Dim], output: &[Dim]) -> OpResult<Balance> {
        let mut b = Balance {
            p_in: 1,
            p_out: 1,
            syms_in: vec![],
            syms_out: vec![],
            opaque: false,
        };
        for d in input {
            match (d, named_sym(d)) {
                (Dim::Static(n), _) => b.p_in = b.p_in.checked_mul(*n).ok_or("reshape: input size overflows")?,
                (_, Some(s)) => b.syms_in.push(s.to_string()),
                _ => b.opaque = true,
            }
        }
        for d in output {
            match (d, named_sym(d)) {
                (Dim::Static(n), _) => b.p_out = b.p_out.checked_mul(*n).ok_or("reshape: output size overflows")?,
                (_, Some(s)) => {
                    if let Some(j) = b.syms_in.iter().position(|t| t == s) {
                        b.syms_in.remove(j);
                    } else {
                        b.syms_out.push(s.to_string());
                    }
                }
                _ => b.opaque = true,
            }
        }
        Ok(b)
    }

    /// Both sides are fully known up to cancelled symbols.
    fn exact(&self) -> bool {
        !self.opaque && self.syms_in.is_empty() && self.syms_out.is_empty()
    }

    /// The dim a -1 entry stands for (the other output dims are in `p_out`/`syms_out`).
    fn missing(&self, shape: &[i64]) -> OpResult<Dim> {
        if self.p_in == 0 && self.p_out != 0 {
            return Ok(Dim::Static(0));
        }
        if self.opaque || !self.syms_out.is_empty() {
            return Ok(unknown());
        }
        if self.p_out == 0 {
            if self.syms_in.is_empty() {
                invalid!("reshape: cannot infer the -1 in {shape:?} when other dims are 0");
            }
            return Ok(unknown());
        }
        if self.syms_in.is_empty() {
            if self.p_in % self.p_out != 0 {
                invalid!("reshape: {} elements cannot be reshaped to {shape:?}", self.p_in);
            }
            return Ok(Dim::Static(self.p_in / self.p_out));
        }
        if self.syms_in.len() == 1 && self.p_in == self.p_out {
            return Ok(Dim::Sym(self.syms_in[0].clone()));
        }
        Ok(unknown())
    }
}

pub(super) fn infer_reshape(
    allowzero: bool,
    inputs: &[Option<&TensorType>],
    consts: &[Option<&Tensor>],
) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "data")?;
    let s = req(inputs, 1, "shape")?;
    if !s.dtype.is_int() || s.rank() != 1 {
        invalid!("reshape: shape must be a 1-D integer tensor, got {s}");
    }
    if let Some(shape) = const_ints(consts, 1, "reshape shape")? {
        return Ok(vec![TensorType::new(
            x.dtype,
            reshape_dims(&x.dims, &shape, allowzero)?,
        )]);
    }
    match s.dims[0] {
        Dim::Static(n) => Ok(vec![TensorType::new(x.dtype, vec![unknown(); n])]),
        _ => crate::unsupported!("reshape: the output rank depends on a shape operand of unknown length"),
    }
}

pub(super) fn eval_reshape(allowzero: bool, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "data")?;
    let shape = ints(req(inputs, 1, "shape")?, "reshape shape")?;
    let out = concrete(&TensorType::new(
        x.dtype(),
        reshape_dims(&dims_of(x.shape()), &shape, allowzero)?,
    ))?;
    Ok(vec![map_tensor!(x, a => reshaped(a.view(), &out)?)])
}

fn check_perm(perm: &[usize], rank: usize) -> OpResult<()> {
    let mut seen = vec![false; rank];
    if perm.len() != rank {
        invalid!("transpose: perm {perm:?} does not have one entry per axis of the rank-{rank} input");
    }
    for &p in perm {
        match seen.get_mut(p) {
            Some(s) if !*s => *s = true,
            _ => invalid!("transpose: perm {perm:?} is not a permutation of 0..{rank}"),
        }
    }
    Ok(())
}

pub(super) fn infer_transpose(perm: &[usize], inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "data")?;
    check_perm(perm, x.rank())?;
    Ok(vec![TensorType::new(
        x.dtype,
        perm.iter().map(|&p| x.dims[p].clone()).collect(),
    )])
}

pub(super) fn eval_transpose(perm: &[usize], inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "data")?;
    check_perm(perm, x.shape().len())?;
    Ok(vec![map_tensor!(x, a => transpose_arr(a, perm))])
}

/// Squeeze: which axes are removed (None: the rank is known but not which dims remain).
fn squeeze_axes(x: &TensorType, axes: Option<&[i64]>) -> OpResult<Vec<usize>> {
    match axes {
        Some(ax) if !ax.is_empty() => {
            let ax = axes_unique(ax, x.rank(), "squeeze")?;
            for &a in &ax {
                if let Dim::Static(n) = x.dims[a] {
                    if n != 1 {
                        invalid!("squeeze: axis {a} of {x} has size {n}, not 1");
                    }
                }
            }
            Ok(ax)
        }
        // All size-1 dims; symbolic dims are assumed not to be 1 (the interpreter checks).
        _ => Ok((0..x.rank()).filter(|&i| x.dims[i] == Dim::Static(1)).collect()),
    }
}

pub(super) fn infer_squeeze(inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "data")?;
    let axes = match (opt(inputs, 1), const_ints(consts, 1, "squeeze axes")?) {
        (None, _) => None,
        (Some(_), Some(v)) => Some(v),
        (Some(t), None) => match t.dims.as_slice() {
            [Dim::Static(0)] => None,
            [Dim::Static(k)] if *k <= x.rank() => {
                return Ok(vec![TensorType::new(x.dtype, vec![unknown(); x.rank() - k])]);
            }
            _ => crate::unsupported!("squeeze: the output rank depends on axes {t} that are not constant"),
        },
    };
    let drop = squeeze_axes(x, axes.as_deref())?;
    let dims = (0..x.rank())
        .filter(|i| !drop.contains(i))
        .map(|i| x.dims[i].clone())
        .collect();
    Ok(vec![TensorType::new(x.dtype, dims)])
}

pub(super) fn eval_squeeze(inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "data")?;
    let axes = opt(inputs, 1).map(|t| ints(t, "squeeze axes")).transpose()?;
    let drop = squeeze_axes(&x.ty(), axes.as_deref())?;
    let shape: Vec<usize> = (0..x.shape().len())
        .filter(|i| !drop.contains(i))
        .map(|i| x.shape()[i])
        .collect();
    Ok(vec![map_tensor!(x, a => reshaped(a.view(), &shape)?)])
}

/// Unsqueeze output dims for the given axes (in the output rank).
fn unsqueeze_dims(x: &TensorType, axes: &[i64]) -> OpResult<Vec<Dim>> {
    let rank = x.rank() + axes.len();
    let ax = axes_unique(axes, rank, "unsqueeze")?;
    let mut it = x.dims.iter();
    let mut out = Vec::with_capacity(rank);
    for i in 0..rank {
        if ax.contains(&i) {
            out.push(Dim::Static(1));
        } else {
            match it.next() {
                Some(d) => out.push(d.clone()),
                None => invalid!("unsqueeze: axes {axes:?} do not fit rank {rank}"),
            }
        }
    }
    Ok(out)
}

pub(super) fn infer_unsqueeze(inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "data")?;
    let t = req(inputs, 1, "axes")?;
    match const_ints(consts, 1, "unsqueeze axes")? {
        Some(axes) => Ok(vec![TensorType::new(x.dtype, unsqueeze_dims(x, &axes)?)]),
        None => match t.dims.as_slice() {
            [Dim::Static(k)] => Ok(vec![TensorType::new(x.dtype, vec![unknown(); x.rank() + k])]),
            [] => Ok(vec![TensorType::new(x.dtype, vec![unknown(); x.rank() + 1])]),
            _ => crate::unsupported!("unsqueeze: the output rank depends on axes {t} that are not constant"),
        },
    }
}

pub(super) fn eval_unsqueeze(inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "data")?;
    let axes = ints(req(inputs, 1, "axes")?, "unsqueeze axes")?;
    let shape = concrete(&TensorType::new(x.dtype(), unsqueeze_dims(&x.ty(), &axes)?))?;
    Ok(vec![map_tensor!(x, a => reshaped(a.view(), &shape)?)])
}

fn flatten_dims(x: &TensorType, axis: i64) -> OpResult<Vec<Dim>> {
    let r = x.rank() as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a > r {
        invalid!("flatten: axis {axis} out of range for rank {r}");
    }
    let a = a as usize;
    Ok(vec![dims_product(&x.dims[..a])?, dims_product(&x.dims[a..])?])
}

pub(super) fn infer_flatten(axis: i64, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "data")?;
    Ok(vec![TensorType::new(x.dtype, flatten_dims(x, axis)?)])
}

pub(super) fn eval_flatten(axis: i64, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "data")?;
    let shape = concrete(&TensorType::new(x.dtype(), flatten_dims(&x.ty(), axis)?))?;
    Ok(vec![map_tensor!(x, a => reshaped(a.view(), &shape)?)])
}

/// DepthToSpace (`to_space`) or SpaceToDepth output dims.
fn space_depth_dims(x: &TensorType, b: usize, to_space: bool) -> OpResult<Vec<Dim>> {
    if x.rank() != 4 {
        invalid!("input must be 4-D (NCHW), got {x}");
    }
    if b == 0 {
        invalid!("blocksize must be positive");
    }
    let bb = b.checked_mul(b).ok_or("blocksize overflows")?;
    let div = |d: &Dim, k: usize, what: &str| -> OpResult<Dim> {
        match d {
            Dim::Static(n) if n % k != 0 => invalid!("{what} {n} is not a multiple of {k}"),
            Dim::Static(n) => Ok(Dim::Static(n / k)),
            _ => Ok(unknown()),
        }
    };
    let mul = |d: &Dim, k: usize| super::common::dim_mul(d, &Dim::Static(k));
    let dims = &x.dims;
    let out = if to_space {
        vec![
            dims[0].clone(),
            div(&dims[1], bb, "channels")?,
            mul(&dims[2], b)?,
            mul(&dims[3], b)?,
        ]
    } else {
        vec![
            dims[0].clone(),
            mul(&dims[1], bb)?,
            div(&dims[2], b, "height")?,
            div(&dims[3], b, "width")?,
        ]
    };
    check_dims(&out, "output")?;
    Ok(out)
}

pub(super) fn infer_space_depth(b: usize, to_space: bool, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "data")?;
    Ok(vec![TensorType::new(x.dtype, space_depth_dims(x, b, to_space)?)])
}

/// Reshape to `pre`, permute, reshape to `post` (the DepthToSpace/SpaceToDepth recipe).
fn shuffle<T: Clone>(a: &ArrayD<T>, pre: &[usize], perm: &[usize], post: &[usize]) -> OpResult<ArrayD<T>> {
    let v = reshaped(a.view(), pre)?;
    reshaped(v.view().permuted_axes(IxDyn(perm)), post)
}

pub(super) fn eval_space_depth(
    b: usize,
    to_space: bool,
    crd: bool,
    inputs: &[Option<&Tensor>],
) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "data")?;
    let out = concrete(&TensorType::new(x.dtype(), space_depth_dims(&x.ty(), b, to_space)?))?;
    let s = x.shape();
    let (n, c, h, w) = (s[0], s[1], s[2], s[3]);
    let y = if to_space {
        let c2 = out[1];
        if crd {
            map_tensor!(x, a => shuffle(a, &[n, c2, b, b, h, w], &[0, 1, 4, 2, 5, 3], &out)?)
        } else {
            map_tensor!(x, a => shuffle(a, &[n, b, b, c2, h, w], &[0, 3, 4, 1, 5, 2], &out)?)
        }
    } else {
        map_tensor!(x, a => shuffle(a, &[n, c, h / b, b, w / b, b], &[0, 3, 5, 1, 2, 4], &out)?)
    };
    Ok(vec![y])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    fn sym(s: &str) -> Dim {
        Dim::Sym(s.into())
    }
    fn st(n: usize) -> Dim {
        Dim::Static(n)
    }
    fn f32s(shape: &[usize], v: &[f32]) -> Tensor {
        Tensor::from_vec(shape, v.to_vec()).unwrap()
    }
    fn i64s(v: &[i64]) -> Tensor {
        Tensor::from_vec(&[v.len()], v.to_vec()).unwrap()
    }
    fn iota(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_vec(shape, (0..n).map(|i| i as f32).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn reshape_static_and_symbolic() {
        assert_eq!(
            reshape_dims(&[st(2), st(3), st(4)], &[4, -1], false).unwrap(),
            vec![st(4), st(6)]
        );
        assert_eq!(
            reshape_dims(&[st(2), st(3), st(4)], &[0, -1], false).unwrap(),
            vec![st(2), st(12)]
        );
        // 0 copies a symbol; -1 resolves against the remaining static sizes.
        let n = sym("N");
        assert_eq!(
            reshape_dims(&[n.clone(), st(12), st(64)], &[0, -1], false).unwrap(),
            vec![n.clone(), st(768)]
        );
        assert_eq!(
            reshape_dims(&[n.clone(), st(768)], &[-1, 12, 64], false).unwrap(),
            vec![n.clone(), st(12), st(64)]
        );
        assert_eq!(
            reshape_dims(&[n.clone(), st(6)], &[-1, 4], false).unwrap(),
            vec![unknown(), st(4)]
        );
        assert_eq!(
            reshape_dims(&[st(0), st(3)], &[3, 0], true).unwrap(),
            vec![st(3), st(0)]
        );
        assert!(reshape_dims(&[st(2), st(3)], &[4, -1], false).is_err());
        assert!(reshape_dims(&[st(2), st(3)], &[-1, -1], false).is_err());
        assert!(reshape_dims(&[st(2), st(3)], &[7], false).is_err());
        assert!(reshape_dims(&[st(2), st(3)], &[0, 0, 0], false).is_err());
        assert!(reshape_dims(&[st(2), st(3)], &[-2, 3], false).is_err());
        assert!(reshape_dims(&[st(0), st(3)], &[0, -1], true).is_err());
        assert!(reshape_dims(&[st(6)], &[1 << 40, 1 << 40], false).is_err());
    }

    #[test]
    fn reshape_eval_and_infer() {
        let x = iota(&[2, 3]);
        let s = i64s(&[3, -1]);
        let y = eval_reshape(false, &[Some(&x), Some(&s)]).unwrap();
        assert_eq!(y[0], f32s(&[3, 2], &[0., 1., 2., 3., 4., 5.]));
        let xt = TensorType::new(DType::F32, vec![sym("N"), st(3)]);
        let st_ = TensorType::fixed(DType::I64, &[4]);
        let t = infer_reshape(false, &[Some(&xt), Some(&st_)], &[None, None]).unwrap();
        assert_eq!(t[0].dims, vec![unknown(); 4]);
        let e = eval_reshape(false, &[Some(&x), Some(&i64s(&[4, -1]))]);
        assert!(e.is_err());
    }

    #[test]
    fn transpose() {
        let x = iota(&[2, 3]);
        let y = eval_transpose(&[1, 0], &[Some(&x)]).unwrap();
        assert_eq!(y[0], f32s(&[3, 2], &[0., 3., 1., 4., 2., 5.]));
        assert!(y[0].as_array::<f32>().unwrap().is_standard_layout());
        assert!(eval_transpose(&[0, 0], &[Some(&x)]).is_err());
        assert!(eval_transpose(&[0], &[Some(&x)]).is_err());
        let t = TensorType::new(DType::F32, vec![sym("N"), st(3), sym("S")]);
        assert_eq!(
            infer_transpose(&[2, 0, 1], &[Some(&t)]).unwrap()[0].dims,
            vec![sym("S"), sym("N"), st(3)]
        );
    }

    #[test]
    fn squeeze_unsqueeze() {
        let x = iota(&[1, 3, 1]);
        let y = eval_squeeze(&[Some(&x)]).unwrap();
        assert_eq!(y[0].shape(), &[3]);
        let y = eval_squeeze(&[Some(&x), Some(&i64s(&[-1]))]).unwrap();
        assert_eq!(y[0].shape(), &[1, 3]);
        assert!(eval_squeeze(&[Some(&x), Some(&i64s(&[1]))]).is_err());
        assert!(eval_squeeze(&[Some(&x), Some(&i64s(&[0, 0]))]).is_err());
        assert!(eval_squeeze(&[Some(&x), Some(&i64s(&[3]))]).is_err());
        let y = eval_unsqueeze(&[Some(&x), Some(&i64s(&[0, -1]))]).unwrap();
        assert_eq!(y[0].shape(), &[1, 1, 3, 1, 1]);
        let y = eval_unsqueeze(&[Some(&iota(&[3, 4])), Some(&i64s(&[1]))]).unwrap();
        assert_eq!(y[0].shape(), &[3, 1, 4]);
        assert!(eval_unsqueeze(&[Some(&x), Some(&i64s(&[1, 1]))]).is_err());
        assert!(eval_unsqueeze(&[Some(&x), Some(&i64s(&[5]))]).is_err());
        let t = TensorType::new(DType::F32, vec![sym("N"), st(1)]);
        let ax = TensorType::fixed(DType::I64, &[1]);
        let c = i64s(&[1]);
        let r = infer_squeeze(&[Some(&t), Some(&ax)], &[None, Some(&c)]).unwrap();
        assert_eq!(r[0].dims, vec![sym("N")]);
        let r = infer_unsqueeze(&[Some(&t), Some(&ax)], &[None, Some(&c)]).unwrap();
        assert_eq!(r[0].dims, vec![sym("N"), st(1), st(1)]);
    }

    #[test]
    fn flatten() {
        let x = iota(&[2, 3, 4]);
        assert_eq!(eval_flatten(0, &[Some(&x)]).unwrap()[0].shape(), &[1, 24]);
        assert_eq!(eval_flatten(-1, &[Some(&x)]).unwrap()[0].shape(), &[6, 4]);
        assert_eq!(eval_flatten(3, &[Some(&x)]).unwrap()[0].shape(), &[24, 1]);
        assert!(eval_flatten(4, &[Some(&x)]).is_err());
        let t = TensorType::new(DType::F32, vec![sym("N"), st(3), st(4)]);
        assert_eq!(infer_flatten(1, &[Some(&t)]).unwrap()[0].dims, vec![sym("N"), st(12)]);
    }

    #[test]
    fn depth_space() {
        // x[0, c, 0, 0] = c for c in 0..8, blocksize 2: DCR takes channel (i*2+j)*2 + c'.
        let x = iota(&[1, 8, 1, 1]);
        let y = eval_space_depth(2, true, false, &[Some(&x)]).unwrap();
        assert_eq!(y[0], f32s(&[1, 2, 2, 2], &[0., 2., 4., 6., 1., 3., 5., 7.]));
        let y = eval_space_depth(2, true, true, &[Some(&x)]).unwrap();
        assert_eq!(y[0], f32s(&[1, 2, 2, 2], &[0., 1., 2., 3., 4., 5., 6., 7.]));
        // SpaceToDepth inverts DCR DepthToSpace.
        let x = iota(&[1, 8, 2, 3]);
        let d = eval_space_depth(2, true, false, &[Some(&x)]).unwrap();
        let back = eval_space_depth(2, false, false, &[Some(&d[0])]).unwrap();
        assert_eq!(back[0], x);
        assert!(eval_space_depth(3, true, false, &[Some(&x)]).is_err());
        assert!(eval_space_depth(0, true, false, &[Some(&x)]).is_err());
    }
}
