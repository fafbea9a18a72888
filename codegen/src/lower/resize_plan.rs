//! Compile-time plan of a Resize: the interpreter's own plan and taps (`ir::ops::resize`, which
//! follows the ONNX reference), flattened for the kernels: per resampled axis, `n` taps per
//! output position with source indices already clamped into the input. Kernels then only
//! gather and weigh.

use ir::ops::resize::interp;
use ir::ResizeAttrs;

pub use ir::ops::resize::{Plan, Target};

/// Taps of one axis: `n` per output position, source indices already clamped into the input.
pub struct AxisTaps {
    pub n: usize,
    pub idx: Vec<i64>,
    pub w: Vec<f64>,
    pub extrapolated: Vec<bool>,
}

pub fn plan(attrs: &ResizeAttrs, in_shape: &[usize], target: &Target, roi: Option<&[f64]>) -> Result<Plan, String> {
    ir::ops::resize::plan(attrs, in_shape, target, roi).map_err(|e| match e {
        ir::OpError::Invalid(m) | ir::OpError::Unsupported(m) => m,
    })
}

/// The taps of every output position along one axis.
pub fn axis_taps(attrs: &ResizeAttrs, in_w: usize, out_w: usize, scale: f64, roi: (f64, f64)) -> AxisTaps {
    let mut t = AxisTaps { n: 0, idx: vec![], w: vec![], extrapolated: vec![] };
    for tap in interp::axis_taps(attrs, in_w, out_w, scale, roi) {
        t.n = tap.weights.len();
        for (k, w) in tap.weights.into_iter().enumerate() {
            t.idx.push(tap.start.saturating_add(k as i64).clamp(0, in_w as i64 - 1));
            t.w.push(w);
        }
        t.extrapolated.push(tap.extrapolated);
    }
    t
}

/// The source index each nearest-mode output position picks.
pub fn nearest_indices(attrs: &ResizeAttrs, in_w: usize, out_w: usize, scale: f64) -> Vec<i64> {
    let taps = interp::axis_taps(attrs, in_w, out_w, scale, (0.0, 1.0));
    interp::nearest_indices(&taps, in_w).into_iter().map(|i| i as i64).collect()
}
