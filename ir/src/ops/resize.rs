//! Inference and evaluation of the resize op family (see ops/mod.rs for the contract): Resize
//! (nearest/linear/cubic, all coordinate transforms, antialias, axes, aspect policies) and
//! GridSample. Semantics follow the ONNX reference implementation (op_resize.py,
//! op_grid_sample.py).

mod grid_sample;
pub mod interp;

use crate::ops::shape_ops::common::{axes_unique, check_dims, check_size, const_ints};
use crate::ops::util::{opt, req, unknown};
use crate::{invalid, Dim, KeepAspect, Op, OpResult, ResizeAttrs, Tensor, TensorType};

pub fn infer(op: &Op, inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    match op {
        Op::Resize(attrs) => infer_resize(attrs, inputs, consts),
        Op::GridSample { .. } => grid_sample::infer(inputs),
        _ => crate::invalid!("{} is not a resize op", op.name()),
    }
}

pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    match op {
        Op::Resize(attrs) => interp::eval_resize(attrs, inputs),
        Op::GridSample {
            mode,
            padding,
            align_corners,
        } => grid_sample::eval(*mode, *padding, *align_corners, inputs),
        _ => crate::invalid!("{} is not a resize op", op.name()),
    }
}

/// How the output size of Resize is given.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Scales(Vec<f64>),
    Sizes(Vec<i64>),
}

/// A fully resolved Resize on a concrete input shape: output shape, per-axis scale factors and
/// (for tf_crop_and_resize) the per-axis region of interest, over all axes.
/// Code generation uses the same plan (`codegen/src/lower/resize_plan.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub out: Vec<usize>,
    pub scales: Vec<f64>,
    pub roi: Option<Vec<(f64, f64)>>,
    /// Axes to resample, in the order the reference processes them.
    pub axes: Vec<usize>,
}

impl Plan {
    /// Whether the reference skips axis `a` (of current size `in_w`) as the identity.
    pub fn is_identity(&self, a: usize, in_w: usize) -> bool {
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs());
        close(self.scales[a], 1.0) && self.out[a] == in_w && self.roi.as_ref().is_none_or(|r| r[a].0 == 0.0 && r[a].1 == 1.0)
    }

    /// The region of interest of axis `a` ((0, 1) without one).
    pub fn roi_of(&self, a: usize) -> (f64, f64) {
        self.roi.as_ref().map_or((0.0, 1.0), |r| r[a])
    }
}

fn resize_axes(attrs: &ResizeAttrs, rank: usize) -> OpResult<Vec<usize>> {
    match &attrs.axes {
        Some(a) => axes_unique(a, rank, "resize"),
        None => Ok((0..rank).collect()),
    }
}

/// `sizes` under a keep-aspect policy: the common scale and the resulting sizes on `axes`.
fn keep_aspect(policy: KeepAspect, in_shape: &[usize], axes: &[usize], sizes: &[i64]) -> (f64, Vec<usize>) {
    let ratios = axes.iter().zip(sizes).map(|(&a, &s)| s as f64 / in_shape[a] as f64);
    let scale = match policy {
        KeepAspect::NotLarger => ratios.fold(f64::INFINITY, f64::min),
        _ => ratios.fold(f64::NEG_INFINITY, f64::max),
    };
    let out = axes
        .iter()
        .map(|&a| (scale * in_shape[a] as f64 + 0.5) as usize)
        .collect();
    (scale, out)
}

fn check_target(t: &Target, n_axes: usize) -> OpResult<()> {
    match t {
        Target::Scales(s) => {
            if s.len() != n_axes {
                invalid!("resize: {} scales for {n_axes} axes", s.len());
            }
            if let Some(v) = s.iter().find(|v| !(**v > 0.0 && v.is_finite())) {
                invalid!("resize: scale {v} is not positive");
            }
        }
        Target::Sizes(s) => {
            if s.len() != n_axes {
                invalid!("resize: {} sizes for {n_axes} axes", s.len());
            }
            if let Some(v) = s.iter().find(|v| **v < 0) {
                invalid!("resize: negative size {v}");
            }
        }
    }
    Ok(())
}

/// Resolve a Resize on a concrete input shape.
pub fn plan(attrs: &ResizeAttrs, in_shape: &[usize], target: &Target, roi: Option<&[f64]>) -> OpResult<Plan> {
    let r = in_shape.len();
    let axes = resize_axes(attrs, r)?;
    check_target(target, axes.len())?;
    let mut out = in_shape.to_vec();
    let mut scales = vec![1.0; r];
    match target {
        Target::Scales(s) => {
            for (&a, &v) in axes.iter().zip(s) {
                scales[a] = v;
                let o = v * in_shape[a] as f64;
                if o >= super::shape_ops::common::MAX_ELEMENTS as f64 {
                    invalid!("resize: output size {o} on axis {a} is too large");
                }
                out[a] = o as usize;
            }
        }
        Target::Sizes(s) => {
            if let Some(&a) = axes.iter().find(|&&a| in_shape[a] == 0) {
                invalid!("resize: cannot resize axis {a} of size 0 to a given size");
            }
            if attrs.keep_aspect == KeepAspect::Stretch {
                for (&a, &v) in axes.iter().zip(s) {
                    out[a] = v as usize;
                    scales[a] = v as f64 / in_shape[a] as f64;
                }
            } else {
                let (scale, sizes) = keep_aspect(attrs.keep_aspect, in_shape, &axes, s);
                for (&a, o) in axes.iter().zip(sizes) {
                    out[a] = o;
                    scales[a] = scale;
                }
            }
        }
    }
    check_size(&out, "resize output")?;
    let roi = if attrs.coord == crate::CoordTransform::TfCropAndResize {
        let Some(v) = roi.filter(|v| !v.is_empty()) else {
            invalid!("resize: tf_crop_and_resize needs an roi")
        };
        if v.len() != 2 * axes.len() {
            invalid!("resize: roi has {} values, expected {}", v.len(), 2 * axes.len());
        }
        let mut full = vec![(0.0, 1.0); r];
        for (i, &a) in axes.iter().enumerate() {
            full[a] = (v[i], v[axes.len() + i]);
        }
        Some(full)
    } else {
        None
    };
    Ok(Plan { out, scales, roi, axes })
}

/// Whether an optional operand is present and not an empty placeholder: Some(true) when
/// present with elements, Some(false) when empty, None when its length is unknown.
fn present(t: Option<&TensorType>) -> Option<bool> {
    match t {
        None => Some(false),
        Some(t) => t.num_elements().map(|n| n > 0),
    }
}

fn infer_resize(
    attrs: &ResizeAttrs,
    inputs: &[Option<&TensorType>],
    consts: &[Option<&Tensor>],
) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "X")?;
    let axes = resize_axes(attrs, x.rank())?;
    for (i, what) in [(1, "roi"), (2, "scales")] {
        if let Some(t) = opt(inputs, i) {
            if !t.dtype.is_float() {
                invalid!("resize: {what} must be a float tensor, got {t}");
            }
        }
    }
    let (has_scales, has_sizes) = (present(opt(inputs, 2)), present(opt(inputs, 3)));
    if has_scales == Some(true) && has_sizes == Some(true) {
        invalid!("resize: only one of scales and sizes may be given");
    }
    if has_scales == Some(false) && has_sizes == Some(false) {
        invalid!("resize: one of scales and sizes must be given");
    }
    let c = |i: usize| consts.get(i).copied().flatten();
    let target = if has_sizes != Some(false) {
        const_ints(consts, 3, "resize sizes")?.map(Target::Sizes)
    } else {
        c(2).map(|t| Target::Scales(t.to_f64_vec()))
    };
    let mut dims = x.dims.clone();
    match target {
        None => {
            for &a in &axes {
                dims[a] = unknown();
            }
        }
        Some(t) => {
            check_target(&t, axes.len())?;
            let stretch_sizes = matches!(t, Target::Sizes(_)) && attrs.keep_aspect == KeepAspect::Stretch;
            match x.static_shape() {
                Some(shape) => {
                    let roi = c(1).map(|t| t.to_f64_vec());
                    let p = plan(attrs, &shape, &t, roi.as_deref())?;
                    dims = p.out.into_iter().map(Dim::Static).collect();
                }
                None => {
                    for (i, &a) in axes.iter().enumerate() {
                        dims[a] = match (&t, &x.dims[a]) {
                            (Target::Sizes(s), _) if stretch_sizes => Dim::Static(s[i] as usize),
                            (Target::Scales(s), Dim::Static(n)) => Dim::Static((s[i] * *n as f64) as usize),
                            (Target::Scales(s), d) if s[i] == 1.0 => d.clone(),
                            _ => unknown(),
                        };
                    }
                }
            }
        }
    }
    check_dims(&dims, "resize output")?;
    Ok(vec![TensorType::new(x.dtype, dims)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CoordTransform, DType, NearestMode, ResizeMode, F32};

    pub(super) fn attrs(mode: ResizeMode, coord: CoordTransform) -> ResizeAttrs {
        ResizeAttrs {
            mode,
            coord,
            nearest: NearestMode::RoundPreferFloor,
            cubic_coeff_a: F32(-0.75),
            exclude_outside: false,
            extrapolation_value: F32(0.0),
            antialias: false,
            keep_aspect: KeepAspect::Stretch,
            axes: None,
        }
    }

    #[test]
    fn output_shapes() {
        let a = attrs(ResizeMode::Nearest, CoordTransform::HalfPixel);
        let p = plan(&a, &[1, 1, 2, 2], &Target::Scales(vec![1., 1., 1.5, 2.6]), None).unwrap();
        assert_eq!(p.out, vec![1, 1, 3, 5]);
        let mut b = a.clone();
        b.axes = Some(vec![3, 2]);
        b.keep_aspect = KeepAspect::NotLarger;
        // sizes (w=7, h=8) on a 2x2 input: scale min(3.5, 4) = 3.5 → 7x7.
        let p = plan(&b, &[1, 1, 2, 2], &Target::Sizes(vec![7, 8]), None).unwrap();
        assert_eq!(p.out, vec![1, 1, 7, 7]);
        b.keep_aspect = KeepAspect::NotSmaller;
        let p = plan(&b, &[1, 1, 2, 2], &Target::Sizes(vec![7, 8]), None).unwrap();
        assert_eq!(p.out, vec![1, 1, 8, 8]);
        assert!(plan(&a, &[1, 2], &Target::Scales(vec![1.0]), None).is_err());
        assert!(plan(&a, &[1, 2], &Target::Scales(vec![1.0, -2.0]), None).is_err());
        assert!(plan(&a, &[1, 2], &Target::Sizes(vec![1, -2]), None).is_err());
        assert!(plan(&a, &[1, 2], &Target::Scales(vec![1.0, 1e12]), None).is_err());
        let t = attrs(ResizeMode::Linear, CoordTransform::TfCropAndResize);
        assert!(plan(&t, &[1, 2], &Target::Sizes(vec![1, 2]), None).is_err());
    }

    #[test]
    fn symbolic_inference() {
        let n = Dim::Sym("N".into());
        let x = TensorType::new(
            DType::F32,
            vec![n.clone(), Dim::Static(3), Dim::Sym("H".into()), Dim::Static(10)],
        );
        let st = TensorType::fixed(DType::F32, &[4]);
        let scales = Tensor::from_vec(&[4], vec![1f32, 1., 2., 2.]).unwrap();
        let a = attrs(ResizeMode::Nearest, CoordTransform::Asymmetric);
        let t = infer_resize(&a, &[Some(&x), None, Some(&st)], &[None, None, Some(&scales)]).unwrap();
        assert_eq!(t[0].dims, vec![n.clone(), Dim::Static(3), unknown(), Dim::Static(20)]);
        let szt = TensorType::fixed(DType::I64, &[4]);
        let sizes = Tensor::from_vec(&[4], vec![1i64, 3, 64, 64]).unwrap();
        let t = infer_resize(
            &a,
            &[Some(&x), None, None, Some(&szt)],
            &[None, None, None, Some(&sizes)],
        )
        .unwrap();
        assert_eq!(
            t[0].dims,
            vec![Dim::Static(1), Dim::Static(3), Dim::Static(64), Dim::Static(64)]
        );
        let t = infer_resize(&a, &[Some(&x), None, None, Some(&szt)], &[None, None, None, None]).unwrap();
        assert_eq!(t[0].dims, vec![unknown(); 4]);
        assert!(infer_resize(&a, &[Some(&x), None, Some(&st), Some(&szt)], &[None, None, None, None]).is_err());
    }
}
