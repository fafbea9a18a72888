//! Compile-time plan of a Resize: output shape, per-axis scales and region of interest, and for
//! each resampled axis the taps of every output position (clamped source indices and weights).
//! A transcription of the interpreter (ir/src/ops/resize.rs and resize/interp.rs), which
//! follows the ONNX reference implementation; kernels then only gather and weigh.

use ir::{CoordTransform, KeepAspect, NearestMode, ResizeAttrs, ResizeMode};

type Res<T> = std::result::Result<T, String>;

/// Output size as given by the model.
pub enum Target {
    Scales(Vec<f64>),
    Sizes(Vec<i64>),
}

pub struct Plan {
    pub out: Vec<usize>,
    pub scales: Vec<f64>,
    pub roi: Option<Vec<(f64, f64)>>,
    /// Axes to resample, in the interpreter's order.
    pub axes: Vec<usize>,
}

/// Taps of one axis: `n` per output position, source indices already clamped into the input.
pub struct AxisTaps {
    pub n: usize,
    pub idx: Vec<i64>,
    pub w: Vec<f64>,
    pub extrapolated: Vec<bool>,
}

fn resize_axes(attrs: &ResizeAttrs, rank: usize) -> Res<Vec<usize>> {
    let Some(a) = &attrs.axes else { return Ok((0..rank).collect()) };
    let mut out = vec![];
    for &x in a {
        let v = if x < 0 { x + rank as i64 } else { x };
        if v < 0 || v >= rank as i64 {
            return Err(format!("axis {x} is out of range for rank {rank}"));
        }
        if out.contains(&(v as usize)) {
            return Err(format!("axis {x} is repeated"));
        }
        out.push(v as usize);
    }
    Ok(out)
}

pub fn plan(attrs: &ResizeAttrs, in_shape: &[usize], target: &Target, roi: Option<&[f64]>) -> Res<Plan> {
    let r = in_shape.len();
    let axes = resize_axes(attrs, r)?;
    let mut out = in_shape.to_vec();
    let mut scales = vec![1.0; r];
    match target {
        Target::Scales(s) => {
            if s.len() != axes.len() || s.iter().any(|v| !(*v > 0.0 && v.is_finite())) {
                return Err(format!("scales {s:?} for {} axes", axes.len()));
            }
            for (&a, &v) in axes.iter().zip(s) {
                scales[a] = v;
                out[a] = (v * in_shape[a] as f64) as usize;
            }
        }
        Target::Sizes(s) => {
            if s.len() != axes.len() || s.iter().any(|&v| v < 0) || axes.iter().any(|&a| in_shape[a] == 0) {
                return Err(format!("sizes {s:?} for {} axes", axes.len()));
            }
            if attrs.keep_aspect == KeepAspect::Stretch {
                for (&a, &v) in axes.iter().zip(s) {
                    out[a] = v as usize;
                    scales[a] = v as f64 / in_shape[a] as f64;
                }
            } else {
                let ratios = axes.iter().zip(s).map(|(&a, &v)| v as f64 / in_shape[a] as f64);
                let scale = match attrs.keep_aspect {
                    KeepAspect::NotLarger => ratios.fold(f64::INFINITY, f64::min),
                    _ => ratios.fold(f64::NEG_INFINITY, f64::max),
                };
                for &a in &axes {
                    out[a] = (scale * in_shape[a] as f64 + 0.5) as usize;
                    scales[a] = scale;
                }
            }
        }
    }
    let roi = if attrs.coord == CoordTransform::TfCropAndResize {
        let Some(v) = roi.filter(|v| !v.is_empty()) else { return Err("tf_crop_and_resize needs an roi".into()) };
        if v.len() != 2 * axes.len() {
            return Err(format!("roi has {} values, expected {}", v.len(), 2 * axes.len()));
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

impl Plan {
    /// Whether the interpreter skips axis `a` (of current size `in_w`) as the identity.
    pub fn is_identity(&self, a: usize, in_w: usize) -> bool {
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs());
        close(self.scales[a], 1.0)
            && self.out[a] == in_w
            && self.roi.as_ref().is_none_or(|r| r[a].0 == 0.0 && r[a].1 == 1.0)
    }

    pub fn roi_of(&self, a: usize) -> (f64, f64) {
        self.roi.as_ref().map_or((0.0, 1.0), |r| r[a])
    }
}

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
            normalized((i_start..i_end).map(|i| cubic_kernel(s * (i as f64 - ratio), a)).collect())
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

/// The taps of every output position along one axis (the interpreter's `axis_taps`).
pub fn axis_taps(attrs: &ResizeAttrs, in_w: usize, out_w: usize, scale: f64, roi: (f64, f64)) -> AxisTaps {
    let mut t = AxisTaps { n: 0, idx: vec![], w: vec![], extrapolated: vec![] };
    for y in 0..out_w {
        let x = source_coord(attrs.coord, y as f64, scale, in_w, out_w, roi);
        let extrapolated = attrs.coord == CoordTransform::TfCropAndResize && (x < 0.0 || x > in_w as f64 - 1.0);
        let xi = x.floor();
        let ratio = if x == xi { 1.0 } else { x - xi };
        let mut weights = coeffs(attrs, ratio, scale);
        let n = weights.len() as i64;
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
        t.n = weights.len();
        for (k, w) in weights.into_iter().enumerate() {
            t.idx.push(start.saturating_add(k as i64).clamp(0, in_w as i64 - 1));
            t.w.push(w);
        }
        t.extrapolated.push(extrapolated);
    }
    t
}

/// The source index each nearest-mode output position picks (the interpreter's
/// `nearest_indices`: the second tap when its weight is positive, else the first).
pub fn nearest_indices(attrs: &ResizeAttrs, in_w: usize, out_w: usize, scale: f64) -> Vec<i64> {
    let t = axis_taps(attrs, in_w, out_w, scale, (0.0, 1.0));
    (0..out_w)
        .map(|j| {
            let k = if t.n > 1 && t.w[j * t.n + 1] > 0.0 { 1 } else { 0 };
            t.idx[j * t.n + k]
        })
        .collect()
}
