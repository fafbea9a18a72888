//! Resize evaluation: separable 1-D resampling along each resized axis, with the reference's
//! coordinate transforms, kernels (nearest, linear, cubic, antialiased) and neighbour choice.

use super::{plan, Plan, Target};
use crate::ops::shape_ops::common::std_data;
use crate::ops::util::{ints, opt, req};
use crate::{
    invalid, map_tensor, with_tensor, CoordTransform, DType, Element, NearestMode, OpResult, ResizeAttrs, ResizeMode,
    Tensor,
};
use ndarray::{ArrayD, Axis, IxDyn};

/// One output position along an axis: the first source index of its window (may lie outside
/// the input; reads clamp), the window weights, and whether it is extrapolated.
pub struct Taps {
    pub start: i64,
    pub weights: Vec<f64>,
    pub extrapolated: bool,
}

/// Source coordinate of output index `y` (ONNX coordinate_transformation_mode).
fn source_coord(coord: CoordTransform, y: f64, scale: f64, in_w: usize, out_w: usize, roi: (f64, f64)) -> f64 {
    let in_f = in_w as f64;
    let out_f = scale * in_f;
    match coord {
        CoordTransform::AlignCorners => {
            if out_f == 1.0 {
                0.0
            } else {
                y * (in_f - 1.0) / (out_f - 1.0)
            }
        }
        CoordTransform::Asymmetric => y / scale,
        CoordTransform::TfCropAndResize => {
            let x = if out_f == 1.0 {
                (roi.1 - roi.0) * (in_f - 1.0) / 2.0
            } else {
                y * (roi.1 - roi.0) * (in_f - 1.0) / (out_f - 1.0)
            };
            x + roi.0 * (in_f - 1.0)
        }
        CoordTransform::PytorchHalfPixel => {
            if out_f == 1.0 {
                -0.5
            } else {
                (y + 0.5) / scale - 0.5
            }
        }
        CoordTransform::HalfPixel => (y + 0.5) / scale - 0.5,
        CoordTransform::HalfPixelSymmetric => {
            let adjustment = out_w as f64 / out_f;
            let offset = in_f / 2.0 * (1.0 - adjustment);
            offset + (y + 0.5) / scale - 0.5
        }
    }
}

fn cubic_kernel(x: f64, a: f64) -> f64 {
    let x = x.abs();
    if x <= 1.0 {
        (a + 2.0) * x * x * x - (a + 3.0) * x * x + 1.0
    } else if x < 2.0 {
        a * x * x * x - 5.0 * a * x * x + 8.0 * a * x - 4.0 * a
    } else {
        0.0
    }
}

fn normalized(v: Vec<f64>) -> Vec<f64> {
    let s: f64 = v.iter().sum();
    v.into_iter().map(|c| c / s).collect()
}

/// Kernel weights for a fractional position `ratio` in (0, 1] (the reference's get_coeffs).
fn coeffs(attrs: &ResizeAttrs, ratio: f64, scale: f64) -> Vec<f64> {
    let a = attrs.cubic_coeff_a.0 as f64;
    match attrs.mode {
        ResizeMode::Nearest => {
            if ratio.fract() == 0.0 {
                return vec![0.0, 1.0];
            }
            let ceil = match attrs.nearest {
                NearestMode::RoundPreferFloor => ratio > 0.5,
                NearestMode::RoundPreferCeil => ratio >= 0.5,
                NearestMode::Floor => false,
                NearestMode::Ceil => true,
            };
            if ceil {
                vec![0.0, 1.0]
            } else {
                vec![1.0, 0.0]
            }
        }
        ResizeMode::Linear if attrs.antialias => {
            let s = scale.min(1.0);
            let start = ((-1.0 / s).floor() as i64).saturating_add(1);
            let footprint = 2i64.saturating_sub(start.saturating_mul(2));
            normalized(
                (start..start.saturating_add(footprint))
                    .map(|i| (1.0 - ((i as f64 - ratio) * s).abs()).clamp(0.0, 1.0))
                    .collect(),
            )
        }
        ResizeMode::Linear => vec![1.0 - ratio, ratio],
        ResizeMode::Cubic if attrs.antialias => {
            let s = scale.min(1.0);
            let i_start = ((-2.0 / s).floor() as i64).saturating_add(1);
            let i_end = 2i64.saturating_sub(i_start);
            normalized(
                (i_start..i_end)
                    .map(|i| cubic_kernel(s * (i as f64 - ratio), a))
                    .collect(),
            )
        }
        ResizeMode::Cubic => {
            let r = ratio;
            vec![
                ((a * (r + 1.0) - 5.0 * a) * (r + 1.0) + 8.0 * a) * (r + 1.0) - 4.0 * a,
                ((a + 2.0) * r - (a + 3.0)) * r * r + 1.0,
                ((a + 2.0) * (1.0 - r) - (a + 3.0)) * (1.0 - r) * (1.0 - r) + 1.0,
                ((a * (2.0 - r) - 5.0 * a) * (2.0 - r) + 8.0 * a) * (2.0 - r) - 4.0 * a,
            ]
        }
    }
}

/// The taps of every output position along one axis.
pub fn axis_taps(attrs: &ResizeAttrs, in_w: usize, out_w: usize, scale: f64, roi: (f64, f64)) -> Vec<Taps> {
    (0..out_w)
        .map(|y| {
            let x = source_coord(attrs.coord, y as f64, scale, in_w, out_w, roi);
            let extrapolated = attrs.coord == CoordTransform::TfCropAndResize && (x < 0.0 || x > in_w as f64 - 1.0);
            let xi = x.floor();
            let ratio = if x == xi { 1.0 } else { x - xi };
            let mut weights = coeffs(attrs, ratio, scale);
            let n = weights.len() as i64;
            // The n indices nearest to x, ties to the smaller (the reference's padded-edge search).
            let pad = (n + 1) / 2;
            let xp = x + pad as f64;
            let p = xp.floor();
            let frac = xp - p;
            let offset = if n % 2 == 0 {
                if frac == 0.0 {
                    -(n / 2)
                } else {
                    -(n / 2) + 1
                }
            } else if frac <= 0.5 {
                -((n - 1) / 2)
            } else {
                -((n - 1) / 2) + 1
            };
            let start = (p as i64).saturating_add(offset - pad);
            if attrs.exclude_outside {
                for (k, w) in weights.iter_mut().enumerate() {
                    let i = start.saturating_add(k as i64);
                    if i < 0 || i >= in_w as i64 {
                        *w = 0.0;
                    }
                }
                let s: f64 = weights.iter().sum();
                let s = if s == 0.0 { 1.0 } else { s };
                weights.iter_mut().for_each(|w| *w /= s);
            }
            Taps {
                start,
                weights,
                extrapolated,
            }
        })
        .collect()
}

/// Resample a row-major f64 array of `shape` along `axis`.
fn resample_axis(src: &[f64], shape: &[usize], axis: usize, taps: &[Taps], extrapolation: f64) -> Vec<f64> {
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let in_w = shape[axis];
    let out_w = taps.len();
    let mut dst = vec![0.0; outer * out_w * inner];
    for o in 0..outer {
        for (j, t) in taps.iter().enumerate() {
            let d = &mut dst[(o * out_w + j) * inner..(o * out_w + j + 1) * inner];
            if t.extrapolated {
                d.fill(extrapolation);
                continue;
            }
            for (k, &w) in t.weights.iter().enumerate() {
                let i = t.start.saturating_add(k as i64).clamp(0, in_w as i64 - 1) as usize;
                let s = &src[(o * in_w + i) * inner..(o * in_w + i + 1) * inner];
                if k == 0 {
                    d.iter_mut().zip(s).for_each(|(a, &b)| *a = w * b);
                } else {
                    d.iter_mut().zip(s).for_each(|(a, &b)| *a += w * b);
                }
            }
        }
    }
    dst
}

/// Index of the source element each nearest-mode output position picks.
pub fn nearest_indices(taps: &[Taps], in_w: usize) -> Vec<usize> {
    taps.iter()
        .map(|t| {
            let k = if t.weights.get(1).is_some_and(|&w| w > 0.0) {
                1
            } else {
                0
            };
            t.start.saturating_add(k).clamp(0, in_w as i64 - 1) as usize
        })
        .collect()
}

/// The float result converted back to the input's element type (integers round half to even
/// and saturate, as the reference's saturate_cast).
fn from_f64s<T: Element>(v: Vec<f64>, shape: &[usize]) -> OpResult<ArrayD<T>> {
    let conv: Vec<T> = if T::DTYPE.is_float() {
        v.into_iter().map(T::from_f64).collect()
    } else {
        v.into_iter().map(|x| T::from_f64(x.round_ties_even())).collect()
    };
    ArrayD::from_shape_vec(IxDyn(shape), conv).map_err(|e| format!("resize: {e}").into())
}

fn resize_general<T: Element>(x: &ArrayD<T>, attrs: &ResizeAttrs, p: &Plan) -> OpResult<Tensor> {
    let mut shape = x.shape().to_vec();
    let mut data: Vec<f64> = std_data(x).iter().map(|v| v.to_f64()).collect();
    for &a in &p.axes {
        if p.is_identity(a, shape[a]) {
            continue;
        }
        let roi = p.roi_of(a);
        if shape[a] == 0 || p.out[a] == 0 {
            shape[a] = p.out[a];
            data = vec![0.0; shape.iter().product()];
            continue;
        }
        let taps = axis_taps(attrs, shape[a], p.out[a], p.scales[a], roi);
        data = resample_axis(&data, &shape, a, &taps, attrs.extrapolation_value.0 as f64);
        shape[a] = p.out[a];
    }
    Ok(T::wrap(from_f64s(data, &shape)?))
}

pub(super) fn eval_resize(attrs: &ResizeAttrs, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "X")?;
    let roi = opt(inputs, 1).map(|t| t.to_f64_vec());
    let scales = opt(inputs, 2).filter(|t| !t.is_empty());
    let sizes = opt(inputs, 3).filter(|t| !t.is_empty());
    let target = match (scales, sizes) {
        (Some(_), Some(_)) => invalid!("resize: only one of scales and sizes may be given"),
        (Some(s), None) => {
            if !s.dtype().is_float() {
                invalid!("resize: scales must be a float tensor, got {}", s.dtype());
            }
            Target::Scales(s.to_f64_vec())
        }
        (None, Some(s)) => Target::Sizes(ints(s, "resize sizes")?),
        (None, None) => invalid!("resize: one of scales and sizes must be given"),
    };
    if attrs.antialias && attrs.mode == ResizeMode::Nearest {
        invalid!("resize: antialias is not defined for nearest mode");
    }
    let p = plan(attrs, x.shape(), &target, roi.as_deref())?;
    let fast_nearest =
        attrs.mode == ResizeMode::Nearest && !attrs.exclude_outside && attrs.coord != CoordTransform::TfCropAndResize;
    if fast_nearest {
        // Exact selection in the input's own type, one axis at a time.
        let mut y = x.clone();
        for &a in &p.axes {
            let in_w = y.shape()[a];
            if p.is_identity(a, in_w) {
                continue;
            }
            let idx = if in_w == 0 {
                vec![]
            } else {
                nearest_indices(&axis_taps(attrs, in_w, p.out[a], p.scales[a], (0.0, 1.0)), in_w)
            };
            if in_w == 0 && p.out[a] > 0 {
                invalid!("resize: cannot resize an empty axis {a} to {}", p.out[a]);
            }
            y = map_tensor!(&y, arr => arr.select(Axis(a), &idx));
        }
        return Ok(vec![y]);
    }
    if x.dtype() == DType::Bool {
        crate::unsupported!("resize: {:?} mode on bool tensors", attrs.mode);
    }
    Ok(vec![with_tensor!(x, a => resize_general(a, attrs, &p)?)])
}

#[cfg(test)]
mod tests;
