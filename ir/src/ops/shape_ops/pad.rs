//! Pad: constant, reflect, edge and wrap modes; negative pads crop; optional axes operand.

use super::common::{axes_unique, check_dims, check_size, concrete, const_ints, dims_of};
use crate::ops::util::{ints, opt, req, unknown};
use crate::{invalid, with_tensor, Dim, Element, OpResult, PadMode, Tensor, TensorType};
use ndarray::{ArrayD, Axis, IxDyn, Slice};

/// Per-axis (begin, end) pads over all axes of a rank-`rank` input.
fn full_pads(rank: usize, pads: &[i64], axes: Option<&[i64]>) -> OpResult<Vec<(i64, i64)>> {
    let axes: Vec<usize> = match axes {
        Some(a) => axes_unique(a, rank, "pad")?,
        None => (0..rank).collect(),
    };
    if pads.len() != 2 * axes.len() {
        invalid!(
            "pad: pads {pads:?} must have 2 entries per padded axis ({} axes)",
            axes.len()
        );
    }
    let mut out = vec![(0, 0); rank];
    for (i, &a) in axes.iter().enumerate() {
        out[a] = (pads[i], pads[axes.len() + i]);
    }
    Ok(out)
}

fn pad_dims(x: &[Dim], pads: &[(i64, i64)]) -> OpResult<Vec<Dim>> {
    let mut out = Vec::with_capacity(x.len());
    for (d, &(b, e)) in x.iter().zip(pads) {
        out.push(match d {
            Dim::Static(n) => {
                let m = *n as i128 + b as i128 + e as i128;
                if m < 0 || (b as i128) < -(*n as i128) || (e as i128) < -(*n as i128) {
                    invalid!("pad: pads ({b}, {e}) crop more than the dimension of size {n}");
                }
                Dim::Static(m as usize)
            }
            _ if b == 0 && e == 0 => d.clone(),
            _ => unknown(),
        });
    }
    check_dims(&out, "pad output")?;
    Ok(out)
}

pub(super) fn infer_pad(inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "data")?;
    let p = req(inputs, 1, "pads")?;
    if !p.dtype.is_int() || p.rank() != 1 {
        invalid!("pad: pads must be a 1-D integer tensor, got {p}");
    }
    let pads = const_ints(consts, 1, "pads")?;
    let axes = const_ints(consts, 3, "pad axes")?;
    let axes_known = opt(inputs, 3).is_none() || axes.is_some();
    let dims = match (pads, axes_known) {
        (Some(p), true) => pad_dims(&x.dims, &full_pads(x.rank(), &p, axes.as_deref())?)?,
        (None, true) => {
            let padded: Vec<usize> = match &axes {
                Some(a) => axes_unique(a, x.rank(), "pad")?,
                None => (0..x.rank()).collect(),
            };
            (0..x.rank())
                .map(|i| {
                    if padded.contains(&i) {
                        unknown()
                    } else {
                        x.dims[i].clone()
                    }
                })
                .collect()
        }
        _ => vec![unknown(); x.rank()],
    };
    Ok(vec![TensorType::new(x.dtype, dims)])
}

/// Source index along an axis of size `d` for output position `i` (in input coordinates,
/// i.e. already shifted by the begin pad).
fn source_index(i: i64, d: i64, mode: PadMode) -> usize {
    let j = match mode {
        PadMode::Edge | PadMode::Constant => i.clamp(0, d - 1),
        PadMode::Wrap => i.rem_euclid(d),
        PadMode::Reflect => {
            if d == 1 {
                0
            } else {
                let period = 2 * (d - 1);
                let m = i.rem_euclid(period);
                if m >= d {
                    period - m
                } else {
                    m
                }
            }
        }
    };
    j as usize
}

fn pad_arr<T: Element>(a: &ArrayD<T>, pads: &[(i64, i64)], mode: PadMode, cv: T, out: &[usize]) -> OpResult<ArrayD<T>> {
    // Crop negative pads first.
    let mut v = a.view();
    for (ax, &(b, e)) in pads.iter().enumerate() {
        if b < 0 || e < 0 {
            let d = v.shape()[ax] as i64;
            let (s, t) = (b.min(0).abs(), d - e.min(0).abs());
            if s > t {
                invalid!("pad: pads ({b}, {e}) crop more than the dimension of size {d}");
            }
            v.slice_axis_inplace(Axis(ax), Slice::from(s as isize..t as isize));
        }
    }
    if mode == PadMode::Constant {
        let mut y = ArrayD::from_elem(IxDyn(out), cv);
        y.slice_each_axis_mut(|ax| {
            let b = pads[ax.axis.index()].0.max(0) as usize;
            Slice::from(b..b + v.shape()[ax.axis.index()])
        })
        .assign(&v);
        return Ok(y);
    }
    let mut cur = v.to_owned();
    for (ax, &(b, e)) in pads.iter().enumerate() {
        let (b, e) = (b.max(0), e.max(0));
        if b == 0 && e == 0 {
            continue;
        }
        let d = cur.shape()[ax] as i64;
        if d == 0 {
            invalid!("pad: cannot pad an empty axis {ax} in {mode:?} mode");
        }
        let idx: Vec<usize> = (-b..d + e).map(|i| source_index(i, d, mode)).collect();
        cur = cur.select(Axis(ax), &idx);
    }
    Ok(cur)
}

fn pad_value<T: Element>(cv: Option<&Tensor>) -> T {
    match cv {
        None => T::default(),
        Some(t) => match T::view(t).and_then(|a| a.iter().next().copied()) {
            Some(v) => v,
            None => t.to_f64_vec().first().map(|&v| T::from_f64(v)).unwrap_or_default(),
        },
    }
}

pub(super) fn eval_pad(mode: PadMode, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "data")?;
    let pads = ints(req(inputs, 1, "pads")?, "pads")?;
    let axes = opt(inputs, 3).map(|t| ints(t, "pad axes")).transpose()?;
    let cv = opt(inputs, 2);
    if cv.is_some_and(|t| t.len() > 1) {
        invalid!("pad: constant_value must be a scalar");
    }
    let full = full_pads(x.shape().len(), &pads, axes.as_deref())?;
    let out = concrete(&TensorType::new(x.dtype(), pad_dims(&dims_of(x.shape()), &full)?))?;
    check_size(&out, "pad output")?;
    let y = with_tensor!(x, a => Element::wrap(pad_arr(a, &full, mode, pad_value(cv), &out)?));
    Ok(vec![y])
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
    fn pad1(mode: PadMode, x: &[i64], b: i64, e: i64) -> Vec<i64> {
        let x = i64s(x);
        eval_pad(mode, &[Some(&x), Some(&i64s(&[b, e]))]).unwrap()[0].to_i64_vec()
    }

    #[test]
    fn modes_1d() {
        // numpy.pad([1, 2, 3], (4, 5), mode=...) for reflect/edge/wrap.
        assert_eq!(
            pad1(PadMode::Reflect, &[1, 2, 3], 4, 5),
            vec![1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2]
        );
        assert_eq!(pad1(PadMode::Edge, &[1, 2, 3], 2, 1), vec![1, 1, 1, 2, 3, 3]);
        assert_eq!(pad1(PadMode::Wrap, &[1, 2, 3], 4, 2), vec![3, 1, 2, 3, 1, 2, 3, 1, 2]);
        assert_eq!(pad1(PadMode::Constant, &[1, 2, 3], 1, 2), vec![0, 1, 2, 3, 0, 0]);
        assert_eq!(pad1(PadMode::Reflect, &[7], 2, 1), vec![7, 7, 7, 7]);
        // Negative pads crop.
        assert_eq!(pad1(PadMode::Constant, &[1, 2, 3, 4], -1, 2), vec![2, 3, 4, 0, 0]);
        assert_eq!(pad1(PadMode::Edge, &[1, 2, 3, 4], 1, -2), vec![1, 1, 2]);
        let x = i64s(&[1, 2]);
        assert!(eval_pad(PadMode::Constant, &[Some(&x), Some(&i64s(&[-3, 1]))]).is_err());
        assert!(eval_pad(PadMode::Constant, &[Some(&x), Some(&i64s(&[1]))]).is_err());
        let e = Tensor::from_vec(&[0], Vec::<i64>::new()).unwrap();
        assert!(eval_pad(PadMode::Edge, &[Some(&e), Some(&i64s(&[1, 1]))]).is_err());
        assert!(eval_pad(PadMode::Constant, &[Some(&x), Some(&i64s(&[1 << 40, 0]))]).is_err());
    }

    #[test]
    fn constant_value_and_axes() {
        let x = Tensor::from_vec(&[2, 2], vec![1f32, 2., 3., 4.]).unwrap();
        let cv = Tensor::scalar(9f32);
        let y = eval_pad(
            PadMode::Constant,
            &[Some(&x), Some(&i64s(&[1, 0])), Some(&cv), Some(&i64s(&[-1]))],
        )
        .unwrap();
        assert_eq!(y[0], Tensor::from_vec(&[2, 3], vec![9f32, 1., 2., 9., 3., 4.]).unwrap());
        // Reflect on 2-D: numpy.pad(x, ((1, 0), (0, 1)), 'reflect').
        let y = eval_pad(PadMode::Reflect, &[Some(&x), Some(&i64s(&[1, 0, 0, 1]))]).unwrap();
        assert_eq!(
            y[0],
            Tensor::from_vec(&[3, 3], vec![3f32, 4., 3., 1., 2., 1., 3., 4., 3.]).unwrap()
        );
        let n = Dim::Sym("N".into());
        let xt = TensorType::new(DType::F32, vec![n.clone(), Dim::Static(4)]);
        let pt = TensorType::fixed(DType::I64, &[2]);
        let at = TensorType::fixed(DType::I64, &[1]);
        let p = i64s(&[1, 2]);
        let a = i64s(&[1]);
        let r = infer_pad(
            &[Some(&xt), Some(&pt), None, Some(&at)],
            &[None, Some(&p), None, Some(&a)],
        )
        .unwrap();
        assert_eq!(r[0].dims, vec![n.clone(), Dim::Static(7)]);
        let r = infer_pad(&[Some(&xt), Some(&pt), None, Some(&at)], &[None, None, None, Some(&a)]).unwrap();
        assert_eq!(r[0].dims, vec![n, unknown()]);
    }
}
