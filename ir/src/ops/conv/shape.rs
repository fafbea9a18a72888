//! Shape rules of the conv family: attribute defaults, output sizes (auto_pad, ceil_mode,
//! transposed-convolution output_shape) and the type inference of each op.

use super::kernels::Window;
use crate::ops::util::{ints, opt, req, unknown};
use crate::{
    invalid, unsupported, AutoPad, ConvAttrs, ConvTransposeAttrs, DType, Dim, OpResult, PoolAttrs, PoolKind, Tensor,
    TensorType,
};

// ---------------------------------------------------------------------------------------------
// Attributes and per-dim output sizes
// ---------------------------------------------------------------------------------------------

/// A per-spatial-dim attribute list (`per` entries per dim), or its default when omitted.
pub(super) fn spatial_list(v: &[usize], n: usize, per: usize, default: usize, what: &str) -> OpResult<Vec<usize>> {
    if v.is_empty() {
        return Ok(vec![default; n * per]);
    }
    if v.len() != n * per {
        invalid!("{what} has {} entries, expected {} for {n} spatial dims", v.len(), n * per);
    }
    if default == 1 && v.contains(&0) {
        invalid!("{what} must be >= 1, got {v:?}");
    }
    Ok(v.to_vec())
}

/// Window attributes of `n` spatial dims with defaults filled; kernel sizes may be unknown
/// (taken from a symbolic weight dim).
#[derive(Clone, Debug)]
pub(super) struct WinAttrs {
    pub(super) kernel: Vec<Option<usize>>,
    pub(super) strides: Vec<usize>,
    pub(super) dilations: Vec<usize>,
    pub(super) pads: Vec<usize>,
}

/// One spatial dim of a window: kernel size, stride, dilation, explicit begin / end pads.
#[derive(Copy, Clone, Debug)]
pub(super) struct Axis {
    pub(super) k: usize,
    pub(super) s: usize,
    pub(super) d: usize,
    pub(super) pb: usize,
    pub(super) pe: usize,
}

impl WinAttrs {
    pub(super) fn n(&self) -> usize {
        self.kernel.len()
    }
    /// Dim `i` with a kernel size known (static weights at evaluation).
    pub(super) fn axis(&self, i: usize) -> OpResult<Axis> {
        let k = self.kernel[i].ok_or("internal: unknown kernel size at evaluation")?;
        Ok(Axis { k, s: self.strides[i], d: self.dilations[i], pb: self.pads[i], pe: self.pads[self.n() + i] })
    }
}

pub(super) fn win_attrs(
    kernel_shape: &[usize],
    w_kernel: Option<&[Dim]>,
    strides: &[usize],
    dilations: &[usize],
    pads: &[usize],
    n: usize,
) -> OpResult<WinAttrs> {
    let kernel: Vec<Option<usize>> = if kernel_shape.is_empty() {
        match w_kernel {
            Some(k) => k.iter().map(Dim::as_static).collect(),
            None => invalid!("kernel_shape is required"),
        }
    } else {
        if kernel_shape.len() != n {
            invalid!("kernel_shape {kernel_shape:?} has {} entries, expected {n}", kernel_shape.len());
        }
        if let Some(k) = w_kernel {
            for (a, d) in kernel_shape.iter().zip(k) {
                if let Dim::Static(b) = d {
                    if a != b {
                        invalid!(
                            "kernel_shape {kernel_shape:?} does not match the weight's kernel dims {}",
                            crate::shape::fmt_dims(k)
                        );
                    }
                }
            }
        }
        kernel_shape.iter().map(|&k| Some(k)).collect()
    };
    if kernel.contains(&Some(0)) {
        invalid!("kernel sizes must be >= 1, got {kernel:?}");
    }
    let wa = WinAttrs {
        kernel,
        strides: spatial_list(strides, n, 1, 1, "strides")?,
        dilations: spatial_list(dilations, n, 1, 1, "dilations")?,
        pads: spatial_list(pads, n, 2, 0, "pads")?,
    };
    // Bound every window attribute so that position arithmetic cannot overflow.
    let all = wa.kernel.iter().flatten().chain(&wa.strides).chain(&wa.dilations).chain(&wa.pads);
    if all.into_iter().any(|&v| v > MAX_WINDOW_ATTR) {
        invalid!("window attributes larger than {MAX_WINDOW_ATTR} are not accepted");
    }
    Ok(wa)
}

/// Largest kernel size, stride, dilation or pad accepted.
pub(super) const MAX_WINDOW_ATTR: usize = 1 << 31;

/// Kernel extent with dilation: (k - 1) * d + 1.
pub(super) fn extent(k: usize, d: usize) -> OpResult<usize> {
    match (k.max(1) - 1).checked_mul(d).and_then(|x| x.checked_add(1)) {
        Some(e) => Ok(e),
        None => invalid!("kernel {k} with dilation {d} overflows"),
    }
}

/// Output size and (begin, end) pads of one spatial dim of a convolution or pooling window.
pub(super) fn window_out(input: usize, ax: Axis, auto: AutoPad, ceil: bool) -> OpResult<(usize, usize, usize)> {
    let Axis { k, s, d, pb, pe } = ax;
    let ek = extent(k, d)?;
    if input == 0 {
        invalid!("spatial input dims must be >= 1");
    }
    match auto {
        AutoPad::NotSet => {
            let padded = input.saturating_add(pb).saturating_add(pe);
            if padded < ek {
                invalid!("kernel extent {ek} is larger than the padded input {padded}");
            }
            let num = padded - ek;
            let mut out = if ceil { num.div_ceil(s) + 1 } else { num / s + 1 };
            // In ceil mode a window that would start in the end padding is dropped.
            if ceil && (out - 1) * s >= input.saturating_add(pb) {
                out -= 1;
            }
            Ok((out, pb, pe))
        }
        AutoPad::Valid => {
            if input < ek {
                invalid!("kernel extent {ek} is larger than the input {input} (auto_pad VALID)");
            }
            Ok(((input - ek) / s + 1, 0, 0))
        }
        AutoPad::SameUpper | AutoPad::SameLower => {
            let out = input.div_ceil(s);
            let total = ((out - 1).saturating_mul(s).saturating_add(ek)).saturating_sub(input);
            let small = total / 2;
            Ok(if auto == AutoPad::SameUpper { (out, small, total - small) } else { (out, total - small, small) })
        }
    }
}

/// `window_out` of dim `i` on a possibly symbolic size (symbols survive when the size cannot change).
pub(super) fn window_dim(input: &Dim, wa: &WinAttrs, i: usize, auto: AutoPad, ceil: bool) -> OpResult<Dim> {
    let same = matches!(auto, AutoPad::SameUpper | AutoPad::SameLower);
    let s = wa.strides[i];
    match (input, wa.kernel[i]) {
        (Dim::Static(inp), Some(_)) => Ok(Dim::Static(window_out(*inp, wa.axis(i)?, auto, ceil)?.0)),
        (Dim::Static(inp), None) if same => Ok(Dim::Static(inp.div_ceil(s))),
        (Dim::Sym(_), _) if s == 1 && same => Ok(input.clone()),
        (Dim::Sym(_), Some(k)) if s == 1 && auto == AutoPad::NotSet => {
            let ax = wa.axis(i)?;
            Ok(if extent(k, ax.d)? == ax.pb + ax.pe + 1 { input.clone() } else { unknown() })
        }
        _ => Ok(unknown()),
    }
}

/// Output size and begin pad of one spatial dim of a transposed convolution.
pub(super) fn transpose_out(
    input: usize,
    ax: Axis,
    out_pad: usize,
    auto: AutoPad,
    given: Option<usize>,
) -> OpResult<(usize, usize)> {
    let Axis { k, s, d, pb, pe } = ax;
    if input == 0 {
        invalid!("spatial input dims must be >= 1");
    }
    let ek = extent(k, d)? as i128;
    let natural = s as i128 * (input as i128 - 1) + out_pad as i128 + ek;
    let split = |out: i128| -> (usize, usize) {
        // Negative totals (output larger than the full result) extend the output at the end.
        let total = (natural - out).max(0) as usize;
        let pb = if auto == AutoPad::SameUpper { total / 2 } else { total - total / 2 };
        (out as usize, pb)
    };
    let out = match (given, auto) {
        // With an explicit output_shape, SAME pads split the total padding; otherwise the given
        // pads stay and the output is cut or extended at the end (as the ONNX reference
        // implementation and onnxruntime do).
        (Some(g), AutoPad::SameUpper | AutoPad::SameLower) => return Ok(split(g as i128)),
        (Some(g), AutoPad::Valid) => return Ok((g, 0)),
        (Some(g), AutoPad::NotSet) => return Ok((g, pb)),
        (None, AutoPad::SameUpper | AutoPad::SameLower) => return Ok(split(input as i128 * s as i128)),
        (None, AutoPad::Valid) => return Ok(split(natural)),
        (None, AutoPad::NotSet) => natural - pb as i128 - pe as i128,
    };
    if out < 1 || out > usize::MAX as i128 {
        invalid!("transposed convolution output size would be {out}");
    }
    Ok((out as usize, pb))
}

pub(super) fn is_conv_float(d: DType) -> bool {
    matches!(d, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
}

// ---------------------------------------------------------------------------------------------
// Inference
// ---------------------------------------------------------------------------------------------

pub(super) fn check_ranks(x: &TensorType, w: &TensorType) -> OpResult<usize> {
    let r = x.rank();
    if r < 3 {
        invalid!("input must have rank >= 3 (N, C, spatial...), got {x}");
    }
    if w.rank() != r {
        invalid!("weight rank {} differs from input rank {r} ({w} vs {x})", w.rank());
    }
    Ok(r - 2)
}

pub(super) fn check_bias(bias: Option<&TensorType>, dtype: DType, m: &Dim) -> OpResult<()> {
    let Some(b) = bias else { return Ok(()) };
    if b.dtype != dtype {
        invalid!("bias has dtype {}, expected {dtype}", b.dtype);
    }
    match (b.dims.as_slice(), m) {
        ([Dim::Static(p)], Dim::Static(q)) if p != q => invalid!("bias has {p} entries for {q} output channels"),
        ([_], _) => Ok(()),
        _ => invalid!("bias must be 1-D, got {b}"),
    }
}

pub(super) fn conv_type(a: &ConvAttrs, inputs: &[Option<&TensorType>], integer: bool) -> OpResult<TensorType> {
    let x = req(inputs, 0, "X")?;
    let w = req(inputs, 1, "W")?;
    let n = check_ranks(x, w)?;
    let out_dtype = if integer {
        for (t, what) in [(x, "x"), (w, "w")] {
            if !matches!(t.dtype, DType::I8 | DType::U8) {
                invalid!("ConvInteger input {what} must be i8 or u8, got {}", t.dtype);
            }
        }
        for (i, t, what) in [(2, x, "x_zero_point"), (3, w, "w_zero_point")] {
            if let Some(z) = opt(inputs, i) {
                if z.dtype != t.dtype {
                    invalid!("{what} has dtype {}, its operand {}", z.dtype, t.dtype);
                }
                if z.rank() > 1 {
                    invalid!("{what} must be a scalar or 1-D, got {z}");
                }
            }
        }
        DType::I32
    } else {
        if !is_conv_float(x.dtype) || w.dtype != x.dtype {
            invalid!("Conv needs float inputs of one dtype, got {} and {}", x.dtype, w.dtype);
        }
        check_bias(opt(inputs, 2), x.dtype, &w.dims[0])?;
        x.dtype
    };
    if a.group == 0 {
        invalid!("group must be >= 1");
    }
    if let (Dim::Static(c), Dim::Static(wc)) = (&x.dims[1], &w.dims[1]) {
        if *c != wc * a.group {
            invalid!("input has {c} channels but weight expects {wc} x group {} = {}", a.group, wc * a.group);
        }
    }
    if let Dim::Static(m) = &w.dims[0] {
        if m % a.group != 0 {
            invalid!("{m} output channels are not divisible by group {}", a.group);
        }
    }
    let wa = win_attrs(&a.kernel_shape, Some(&w.dims[2..]), &a.strides, &a.dilations, &a.pads, n)?;
    let mut dims = vec![x.dims[0].clone(), w.dims[0].clone()];
    for i in 0..n {
        dims.push(window_dim(&x.dims[2 + i], &wa, i, a.auto_pad, false)?);
    }
    Ok(TensorType::new(out_dtype, dims))
}

/// output_shape as spatial sizes (a full [N, C, spatial...] list is accepted too).
pub(super) fn given_output_shape(a: &ConvTransposeAttrs, n: usize) -> OpResult<Option<Vec<usize>>> {
    match &a.output_shape {
        None => Ok(None),
        Some(v) if v.contains(&0) => invalid!("output_shape {v:?} has a zero entry"),
        Some(v) if v.len() == n => Ok(Some(v.clone())),
        Some(v) if v.len() == n + 2 => Ok(Some(v[2..].to_vec())),
        Some(v) => invalid!("output_shape {v:?} does not have {n} spatial entries"),
    }
}

pub(super) fn conv_transpose_type(a: &ConvTransposeAttrs, inputs: &[Option<&TensorType>]) -> OpResult<TensorType> {
    let x = req(inputs, 0, "X")?;
    let w = req(inputs, 1, "W")?;
    let n = check_ranks(x, w)?;
    if !is_conv_float(x.dtype) || w.dtype != x.dtype {
        invalid!("ConvTranspose needs float inputs of one dtype, got {} and {}", x.dtype, w.dtype);
    }
    let c = &a.conv;
    if c.group == 0 {
        invalid!("group must be >= 1");
    }
    if let (Dim::Static(p), Dim::Static(q)) = (&x.dims[1], &w.dims[0]) {
        if p != q {
            invalid!("input has {p} channels but the weight has {q}");
        }
    }
    for d in [&x.dims[1], &w.dims[0]] {
        if let Dim::Static(ch) = d {
            if ch % c.group != 0 {
                invalid!("{ch} input channels are not divisible by group {}", c.group);
            }
        }
    }
    let m = match &w.dims[1] {
        Dim::Static(k) => Dim::Static(k * c.group),
        d if c.group == 1 => d.clone(),
        _ => unknown(),
    };
    check_bias(opt(inputs, 2), x.dtype, &m)?;
    let wa = win_attrs(&c.kernel_shape, Some(&w.dims[2..]), &c.strides, &c.dilations, &c.pads, n)?;
    let out_pad = spatial_list(&a.output_padding, n, 1, 0, "output_padding")?;
    let given = given_output_shape(a, n)?;
    let mut dims = vec![x.dims[0].clone(), m];
    for i in 0..n {
        let g = given.as_ref().map(|v| v[i]);
        let s = wa.strides[i];
        let d = match (&x.dims[2 + i], wa.kernel[i]) {
            (Dim::Static(inp), Some(_)) => Dim::Static(transpose_out(*inp, wa.axis(i)?, out_pad[i], c.auto_pad, g)?.0),
            _ if g.is_some() => Dim::Static(g.unwrap_or(0)),
            (Dim::Static(inp), None) if matches!(c.auto_pad, AutoPad::SameUpper | AutoPad::SameLower) => {
                Dim::Static(inp * s)
            }
            (Dim::Sym(_), _) if s == 1 && matches!(c.auto_pad, AutoPad::SameUpper | AutoPad::SameLower) => {
                x.dims[2 + i].clone()
            }
            _ => unknown(),
        };
        dims.push(d);
    }
    Ok(TensorType::new(x.dtype, dims))
}

pub(super) fn pool_types(a: &PoolAttrs, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "X")?;
    let r = x.rank();
    if r < 3 {
        invalid!("pooling input must have rank >= 3 (N, C, spatial...), got {x}");
    }
    let n = r - 2;
    match a.kind {
        PoolKind::Max if x.dtype == DType::Bool || !x.dtype.is_supported() => {
            invalid!("MaxPool does not take {} input", x.dtype)
        }
        PoolKind::Avg { .. } | PoolKind::Lp { .. } if !is_conv_float(x.dtype) => {
            invalid!("average and Lp pooling need a float input, got {}", x.dtype)
        }
        PoolKind::Lp { p: 0 } => invalid!("LpPool needs p >= 1"),
        _ => {}
    }
    if a.with_indices && a.kind != PoolKind::Max {
        invalid!("only MaxPool has an indices output");
    }
    let wa = win_attrs(&a.kernel_shape, None, &a.strides, &a.dilations, &a.pads, n)?;
    let mut dims = vec![x.dims[0].clone(), x.dims[1].clone()];
    for i in 0..n {
        dims.push(window_dim(&x.dims[2 + i], &wa, i, a.auto_pad, a.ceil_mode)?);
    }
    let y = TensorType::new(x.dtype, dims.clone());
    Ok(if a.with_indices { vec![y, TensorType::new(DType::I64, dims)] } else { vec![y] })
}

/// Static Col2Im parameters: (image shape, block shape, pads begin/end, strides, dilations, number of blocks).
pub(super) struct Col2ImGeom {
    pub(super) win: Window,
    pub(super) channels: usize,
}

pub(super) fn col2im_geom(
    dilations: &[usize],
    pads: &[usize],
    strides: &[usize],
    image: &[i64],
    block: &[i64],
    x_dims: &[Dim],
) -> OpResult<(Col2ImGeom, Vec<Dim>)> {
    let n = image.len();
    if n == 0 || block.len() != n {
        invalid!("image_shape {image:?} and block_shape {block:?} must be non-empty and of one length");
    }
    if image.iter().chain(block).any(|&v| v < 1) {
        invalid!("image_shape {image:?} and block_shape {block:?} must be positive");
    }
    let image: Vec<usize> = image.iter().map(|&v| v as usize).collect();
    let kernel: Vec<usize> = block.iter().map(|&v| v as usize).collect();
    let wa = win_attrs(&kernel, None, strides, dilations, pads, n)?;
    let cols = image
        .iter()
        .enumerate()
        .map(|(i, &d)| Ok(window_out(d, wa.axis(i)?, AutoPad::NotSet, false)?.0))
        .collect::<OpResult<Vec<_>>>()?;
    let taps = kernel.iter().try_fold(1usize, |a, &k| a.checked_mul(k)).ok_or("block_shape overflows")?;
    let blocks: usize = cols.iter().try_fold(1usize, |a, &k| a.checked_mul(k)).ok_or("block count overflows")?;
    let channels = match &x_dims[1] {
        Dim::Static(c) if c % taps != 0 => invalid!("input dim 1 ({c}) is not a multiple of the block size {taps}"),
        Dim::Static(c) => Dim::Static(c / taps),
        _ => unknown(),
    };
    if let Dim::Static(l) = &x_dims[2] {
        if *l != blocks {
            invalid!("input has {l} blocks but image_shape {image:?} gives {blocks} ({cols:?})");
        }
    }
    let mut dims = vec![x_dims[0].clone(), channels.clone()];
    dims.extend(image.iter().map(|&d| Dim::Static(d)));
    let win = Window {
        img: image,
        cols,
        kernel,
        strides: wa.strides,
        dilations: wa.dilations,
        pad_begin: wa.pads[..n].to_vec(),
    };
    Ok((Col2ImGeom { win, channels: channels.as_static().unwrap_or(0) }, dims))
}

pub(super) fn col2im_type(
    dilations: &[usize],
    pads: &[usize],
    strides: &[usize],
    inputs: &[Option<&TensorType>],
    consts: &[Option<&Tensor>],
) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "input")?;
    if x.rank() != 3 {
        invalid!("Col2Im input must be 3-D [N, C*block, L], got {x}");
    }
    if x.dtype == DType::Bool || !x.dtype.is_supported() {
        unsupported!("Col2Im of {} tensors", x.dtype);
    }
    let image_ty = req(inputs, 1, "image_shape")?;
    let block_ty = req(inputs, 2, "block_shape")?;
    for t in [image_ty, block_ty] {
        if t.rank() != 1 || !t.dtype.is_int() {
            invalid!("image_shape and block_shape must be 1-D integer tensors, got {t}");
        }
    }
    if let (Some(Some(img)), Some(Some(blk))) = (consts.get(1), consts.get(2)) {
        let (_, dims) =
            col2im_geom(dilations, pads, strides, &ints(img, "image_shape")?, &ints(blk, "block_shape")?, &x.dims)?;
        return Ok(vec![TensorType::new(x.dtype, dims)]);
    }
    let Some(n) = image_ty.dims[0].as_static() else { unsupported!("Col2Im with an image_shape of unknown length") };
    let mut dims = vec![x.dims[0].clone(), unknown()];
    dims.extend((0..n).map(|_| unknown()));
    Ok(vec![TensorType::new(x.dtype, dims)])
}
