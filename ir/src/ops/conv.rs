//! Inference and evaluation of the conv op family (see ops/mod.rs for the contract): Conv,
//! ConvInteger, ConvTranspose, pooling and Col2Im. This file holds the evaluation (geometry from
//! static shapes and dtype dispatch); the shape rules live in `shape`, the loops in `kernels`
//! and `pool`.

pub mod kernels;
pub mod pool;
mod shape;

use crate::ops::linalg::gemm::GemmElem;
use crate::ops::util::{ints, opt, req};
use crate::{invalid, unsupported, ConvAttrs, ConvTransposeAttrs, Dim, Op, OpResult, PoolAttrs, Tensor, TensorType};
use half::{bf16, f16};
use kernels::{ConvGeom, Window};
use ndarray::{ArrayD, IxDyn};
use pool::PoolGeom;
use shape::*;
use std::borrow::Cow;

pub fn infer(op: &Op, inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    match op {
        Op::Conv(a) => Ok(vec![conv_type(a, inputs, false)?]),
        Op::ConvInteger(a) => Ok(vec![conv_type(a, inputs, true)?]),
        Op::ConvTranspose(a) => Ok(vec![conv_transpose_type(a, inputs)?]),
        Op::Pool(a) => pool_types(a, inputs),
        Op::Col2Im { dilations, pads, strides } => col2im_type(dilations, pads, strides, inputs, consts),
        _ => invalid!("{} is not a conv op", op.name()),
    }
}

pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    // Inference validates ranks, dtypes, channels and attributes; the kernels then trust them.
    let types: Vec<Option<TensorType>> = inputs.iter().map(|t| t.map(Tensor::ty)).collect();
    let trefs: Vec<Option<&TensorType>> = types.iter().map(Option::as_ref).collect();
    let out_types = infer(op, &trefs, inputs)?;
    let out = match op {
        Op::Conv(a) => vec![eval_conv(a, inputs, &out_types[0])?],
        Op::ConvInteger(a) => vec![eval_conv_integer(a, inputs, &out_types[0])?],
        Op::ConvTranspose(a) => vec![eval_conv_transpose(a, inputs, &out_types[0])?],
        Op::Pool(a) => eval_pool(a, req(inputs, 0, "X")?, &out_types[0])?,
        Op::Col2Im { dilations, pads, strides } => vec![eval_col2im(dilations, pads, strides, inputs, &out_types[0])?],
        _ => invalid!("{} is not a conv op", op.name()),
    };
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/// The static output shape to allocate (its element count must not overflow).
fn shape_of(t: &TensorType) -> OpResult<Vec<usize>> {
    let Some(s) = t.static_shape() else { invalid!("internal: evaluated type {t} is not static") };
    if t.num_elements().is_none() {
        invalid!("output shape {s:?} is too large");
    }
    Ok(s)
}

/// Geometry of a forward convolution from static shapes (already validated by inference).
fn conv_geom(a: &ConvAttrs, xs: &[usize], ws: &[usize], out: &[usize]) -> OpResult<ConvGeom> {
    let n = xs.len() - 2;
    let wd: Vec<Dim> = ws[2..].iter().map(|&d| Dim::Static(d)).collect();
    let wa = win_attrs(&a.kernel_shape, Some(&wd), &a.strides, &a.dilations, &a.pads, n)?;
    let mut pad_begin = Vec::with_capacity(n);
    let mut kernel = Vec::with_capacity(n);
    for i in 0..n {
        let ax = wa.axis(i)?;
        pad_begin.push(window_out(xs[2 + i], ax, a.auto_pad, false)?.1);
        kernel.push(ax.k);
    }
    let win = Window {
        img: xs[2..].to_vec(),
        cols: out[2..].to_vec(),
        kernel,
        strides: wa.strides,
        dilations: wa.dilations,
        pad_begin,
    };
    Ok(ConvGeom { batch: xs[0], c_in: xs[1], c_out: ws[0], group: a.group, win })
}

/// Row-major data of an array, borrowed when already contiguous.
fn data<T: Clone>(a: &ArrayD<T>) -> Cow<'_, [T]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().cloned().collect()),
    }
}

fn arr<T>(shape: &[usize], v: Vec<T>) -> OpResult<ArrayD<T>> {
    ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| format!("internal: {e}").into())
}

type ConvFn<T> = fn(&[T], &[T], Option<&[T]>, &ConvGeom) -> OpResult<Vec<T>>;

/// Run a float convolution kernel on x, w, bias? of one dtype (f16/bf16 through f32).
fn float_conv(
    f32k: ConvFn<f32>,
    f64k: ConvFn<f64>,
    inputs: &[Option<&Tensor>],
    g: &ConvGeom,
    shape: &[usize],
) -> OpResult<Tensor> {
    let x = req(inputs, 0, "X")?;
    let w = req(inputs, 1, "W")?;
    let b = opt(inputs, 2);
    fn run<T: GemmElem>(
        k: ConvFn<T>,
        x: &ArrayD<T>,
        w: &ArrayD<T>,
        b: Option<&ArrayD<T>>,
        g: &ConvGeom,
        shape: &[usize],
    ) -> OpResult<ArrayD<T>> {
        let bd = b.map(data);
        arr(shape, k(&data(x), &data(w), bd.as_deref(), g)?)
    }
    macro_rules! via_f32 {
        ($x:expr, $w:expr, $b:expr, $t:ty) => {{
            let b32 = $b.map(|b: &ArrayD<$t>| b.mapv(<$t>::to_f32));
            run(f32k, &$x.mapv(<$t>::to_f32), &$w.mapv(<$t>::to_f32), b32.as_ref(), g, shape)?.mapv(<$t>::from_f32)
        }};
    }
    Ok(match (x, w) {
        (Tensor::F32(x), Tensor::F32(w)) => Tensor::F32(run(f32k, x, w, b.and_then(|b| b.as_array()), g, shape)?),
        (Tensor::F64(x), Tensor::F64(w)) => Tensor::F64(run(f64k, x, w, b.and_then(|b| b.as_array()), g, shape)?),
        (Tensor::F16(x), Tensor::F16(w)) => Tensor::F16(via_f32!(x, w, b.and_then(|b| b.as_array::<f16>()), f16)),
        (Tensor::BF16(x), Tensor::BF16(w)) => Tensor::BF16(via_f32!(x, w, b.and_then(|b| b.as_array::<bf16>()), bf16)),
        _ => invalid!("convolution needs float inputs of one dtype, got {} and {}", x.dtype(), w.dtype()),
    })
}

fn eval_conv(a: &ConvAttrs, inputs: &[Option<&Tensor>], out: &TensorType) -> OpResult<Tensor> {
    let x = req(inputs, 0, "X")?;
    let w = req(inputs, 1, "W")?;
    let shape = shape_of(out)?;
    let g = conv_geom(a, x.shape(), w.shape(), &shape)?;
    float_conv(kernels::conv_forward::<f32>, kernels::conv_forward::<f64>, inputs, &g, &shape)
}

/// An i8/u8 tensor widened to i32, minus its zero point (scalar, or one per leading-dim slice).
fn minus_zero_point(t: &Tensor, zp: Option<&Tensor>, per_channel: bool, what: &str) -> OpResult<Vec<i32>> {
    let v: Vec<i32> = t.to_i64_vec().into_iter().map(|v| v as i32).collect();
    let Some(zp) = zp else { return Ok(v) };
    let z: Vec<i32> = zp.to_i64_vec().into_iter().map(|v| v as i32).collect();
    let channels = t.shape()[0];
    match z.len() {
        1 => Ok(v.into_iter().map(|x| x - z[0]).collect()),
        n if per_channel && n == channels && channels > 0 => {
            let per = v.len() / channels;
            Ok(v.into_iter().enumerate().map(|(i, x)| x - z[i / per.max(1)]).collect())
        }
        n => invalid!(
            "{what} has {n} elements, expected 1{}",
            if per_channel { format!(" or {channels}") } else { String::new() }
        ),
    }
}

fn eval_conv_integer(a: &ConvAttrs, inputs: &[Option<&Tensor>], out: &TensorType) -> OpResult<Tensor> {
    let x = req(inputs, 0, "X")?;
    let w = req(inputs, 1, "W")?;
    let shape = shape_of(out)?;
    let g = conv_geom(a, x.shape(), w.shape(), &shape)?;
    // Padding is zero after the zero point is subtracted (ONNX reference semantics).
    let xv = minus_zero_point(x, opt(inputs, 2), false, "x_zero_point")?;
    let wv = minus_zero_point(w, opt(inputs, 3), true, "w_zero_point")?;
    Ok(Tensor::I32(arr(&shape, kernels::conv_forward::<i32>(&xv, &wv, None, &g)?)?))
}

fn eval_conv_transpose(a: &ConvTransposeAttrs, inputs: &[Option<&Tensor>], out: &TensorType) -> OpResult<Tensor> {
    let xs = req(inputs, 0, "X")?.shape().to_vec();
    let ws = req(inputs, 1, "W")?.shape().to_vec();
    let shape = shape_of(out)?;
    let c = &a.conv;
    let n = xs.len() - 2;
    let wd: Vec<Dim> = ws[2..].iter().map(|&d| Dim::Static(d)).collect();
    let wa = win_attrs(&c.kernel_shape, Some(&wd), &c.strides, &c.dilations, &c.pads, n)?;
    let out_pad = spatial_list(&a.output_padding, n, 1, 0, "output_padding")?;
    let given = given_output_shape(a, n)?;
    let mut pad_begin = Vec::with_capacity(n);
    let mut kernel = Vec::with_capacity(n);
    for i in 0..n {
        let ax = wa.axis(i)?;
        let g = given.as_ref().map(|v| v[i]);
        pad_begin.push(transpose_out(xs[2 + i], ax, out_pad[i], c.auto_pad, g)?.1);
        kernel.push(ax.k);
    }
    let win = Window {
        img: shape[2..].to_vec(),
        cols: xs[2..].to_vec(),
        kernel,
        strides: wa.strides,
        dilations: wa.dilations,
        pad_begin,
    };
    let g = ConvGeom { batch: xs[0], c_in: xs[1], c_out: shape[1], group: c.group, win };
    float_conv(kernels::conv_transpose::<f32>, kernels::conv_transpose::<f64>, inputs, &g, &shape)
}

fn eval_pool(a: &PoolAttrs, x: &Tensor, out: &TensorType) -> OpResult<Vec<Tensor>> {
    let xs = x.shape();
    let shape = shape_of(out)?;
    let n = xs.len() - 2;
    let wa = win_attrs(&a.kernel_shape, None, &a.strides, &a.dilations, &a.pads, n)?;
    let (mut pad_begin, mut pad_end, mut kernel) = (vec![], vec![], vec![]);
    for i in 0..n {
        let ax = wa.axis(i)?;
        let (_, pb, pe) = window_out(xs[2 + i], ax, a.auto_pad, a.ceil_mode)?;
        pad_begin.push(pb);
        pad_end.push(pe);
        kernel.push(ax.k);
    }
    let g = PoolGeom {
        batch: xs[0],
        channels: xs[1],
        img: xs[2..].to_vec(),
        out: shape[2..].to_vec(),
        kernel,
        strides: wa.strides,
        dilations: wa.dilations,
        pad_begin,
        pad_end,
    };
    pool::pool(x, &g, a.kind, a.with_indices, a.column_major_indices)
}

fn eval_col2im(
    dilations: &[usize],
    pads: &[usize],
    strides: &[usize],
    inputs: &[Option<&Tensor>],
    out: &TensorType,
) -> OpResult<Tensor> {
    let x = req(inputs, 0, "input")?;
    let image = ints(req(inputs, 1, "image_shape")?, "image_shape")?;
    let block = ints(req(inputs, 2, "block_shape")?, "block_shape")?;
    let xd: Vec<Dim> = x.shape().iter().map(|&d| Dim::Static(d)).collect();
    let (g, _) = col2im_geom(dilations, pads, strides, &image, &block, &xd)?;
    let shape = shape_of(out)?;
    fn run<T: GemmElem>(x: &ArrayD<T>, g: &Col2ImGeom, shape: &[usize]) -> OpResult<ArrayD<T>> {
        let xd = data(x);
        let (isz, csz) = (g.win.img_size() * g.channels, g.win.col_size() * g.win.taps() * g.channels);
        let batch = x.shape()[0];
        let mut out = vec![T::default(); batch * isz];
        for n in 0..batch {
            g.win.col2im(&xd[n * csz..(n + 1) * csz], g.channels, &mut out[n * isz..(n + 1) * isz]);
        }
        arr(shape, out)
    }
    macro_rules! native {
        ($($v:ident),*) => {
            match x {
                $(Tensor::$v(a) => return Ok(Tensor::$v(run(a, &g, &shape)?)),)*
                Tensor::F16(a) => return Ok(Tensor::F16(run(&a.mapv(f16::to_f32), &g, &shape)?.mapv(f16::from_f32))),
                Tensor::BF16(a) => return Ok(Tensor::BF16(run(&a.mapv(bf16::to_f32), &g, &shape)?.mapv(bf16::from_f32))),
                Tensor::Bool(_) => unsupported!("Col2Im of bool tensors"),
            }
        };
    }
    native!(F32, F64, I8, I16, I32, I64, U8, U16, U32, U64)
}

#[cfg(test)]
mod tests;
