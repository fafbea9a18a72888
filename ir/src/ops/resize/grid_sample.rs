//! GridSample in N-d (X: [N, C, D1..Dn], grid: [N, O1..On, n] with coordinates in x, y, z order),
//! modes nearest/linear/cubic, padding zeros/border/reflection, align_corners.

use crate::ops::shape_ops::common::{check_dims, check_size, concrete, std_data, type_refs, types_of, unify};
use crate::ops::util::req;
use crate::{invalid, with_tensor, Element, GridPadding, OpResult, ResizeMode, Tensor, TensorType};
use ndarray::{ArrayD, IxDyn};

fn out_type(inputs: &[Option<&TensorType>]) -> OpResult<TensorType> {
    let x = req(inputs, 0, "X")?;
    let g = req(inputs, 1, "grid")?;
    if x.rank() < 3 {
        invalid!("grid_sample: X must be [N, C, spatial...], got {x}");
    }
    let n = x.rank() - 2;
    if g.rank() != n + 2 || g.dims[n + 1].as_static().is_some_and(|k| k != n) {
        invalid!("grid_sample: grid {g} must be [N, {}spatial..., {n}] for X {x}", "");
    }
    if !g.dtype.is_float() {
        invalid!("grid_sample: grid must be a float tensor, got {g}");
    }
    let Some(batch) = unify(&x.dims[0], &g.dims[0]) else {
        invalid!("grid_sample: X {x} and grid {g} differ in batch size");
    };
    let mut dims = vec![batch, x.dims[1].clone()];
    dims.extend(g.dims[1..=n].iter().cloned());
    check_dims(&dims, "grid_sample output")?;
    Ok(TensorType::new(x.dtype, dims))
}

pub(super) fn infer(inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    Ok(vec![out_type(inputs)?])
}

/// Reflect `x` into [lo, hi] by its nearest border, repeatedly (the reference's _gs_reflect).
fn reflect(x: f64, lo: f64, hi: f64) -> f64 {
    let rng = hi - lo;
    if rng <= 0.0 {
        return lo;
    }
    if x < lo {
        let dx = lo - x;
        let n = (dx / rng).trunc();
        let r = dx - n * rng;
        if n % 2.0 == 0.0 {
            lo + r
        } else {
            hi - r
        }
    } else if x > hi {
        let dx = x - hi;
        let n = (dx / rng).trunc();
        let r = dx - n * rng;
        if n % 2.0 == 0.0 {
            hi - r
        } else {
            lo + r
        }
    } else {
        x
    }
}

fn cubic_coeffs(t: f64) -> [f64; 4] {
    let a = -0.75;
    let x = t.abs();
    [
        ((a * (x + 1.0) - 5.0 * a) * (x + 1.0) + 8.0 * a) * (x + 1.0) - 4.0 * a,
        ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0,
        ((a + 2.0) * (1.0 - x) - (a + 3.0)) * (1.0 - x) * (1.0 - x) + 1.0,
        ((a * (2.0 - x) - 5.0 * a) * (2.0 - x) + 8.0 * a) * (2.0 - x) - 4.0 * a,
    ]
}

struct Sampler {
    mode: ResizeMode,
    padding: GridPadding,
    align_corners: bool,
}

impl Sampler {
    fn borders(&self, d: usize) -> (f64, f64) {
        if self.align_corners {
            (0.0, d as f64 - 1.0)
        } else {
            (-0.5, d as f64 - 0.5)
        }
    }

    /// Source index for integer position `i` along an axis of size `d` (None: a zero pad).
    fn pixel(&self, i: i64, d: usize) -> Option<usize> {
        match self.padding {
            GridPadding::Zeros => (0..d as i64).contains(&i).then_some(i as usize),
            GridPadding::Border => Some(i.clamp(0, d as i64 - 1) as usize),
            GridPadding::Reflection => {
                let (lo, hi) = self.borders(d);
                Some((reflect(i as f64, lo, hi) as i64).clamp(0, d as i64 - 1) as usize)
            }
        }
    }

    /// Taps (source index or zero pad, weight) along one axis for normalized coordinate `g`.
    fn taps(&self, g: f64, d: usize) -> Vec<(Option<usize>, f64)> {
        let len = d as f64;
        // Coordinates are float32 in the reference.
        let mut x = if self.align_corners {
            (g + 1.0) / 2.0 * (len - 1.0)
        } else {
            ((g + 1.0) * len - 1.0) / 2.0
        };
        x = x as f32 as f64;
        if self.mode == ResizeMode::Nearest {
            x = x.round_ties_even();
        }
        let (lo, hi) = self.borders(d);
        if x < lo || x > hi {
            match self.padding {
                GridPadding::Border => x = x.clamp(0.0, len - 1.0),
                GridPadding::Reflection => x = reflect(x, lo, hi) as f32 as f64,
                GridPadding::Zeros => {}
            }
        }
        match self.mode {
            ResizeMode::Nearest => vec![(self.pixel(x as i64, d), 1.0)],
            ResizeMode::Linear => {
                let x0 = x.floor();
                let t = x - x0;
                let i0 = x0 as i64;
                vec![(self.pixel(i0, d), 1.0 - t), (self.pixel(i0.saturating_add(1), d), t)]
            }
            ResizeMode::Cubic => {
                let x0 = x.floor();
                let c = cubic_coeffs(x - x0);
                (0..4)
                    .map(|k| (self.pixel((x0 as i64).saturating_add(k as i64 - 1), d), c[k]))
                    .collect()
            }
        }
    }
}

fn sample<T: Element>(x: &ArrayD<T>, grid: &[f64], s: &Sampler, out: &[usize]) -> OpResult<ArrayD<T>> {
    let xs = x.shape();
    let (nb, c) = (xs[0], xs[1]);
    let spatial = &xs[2..];
    let n = spatial.len();
    let in_size: usize = spatial.iter().product();
    let out_locs: usize = out[2..].iter().product();
    let total = check_size(out, "grid_sample output")?;
    if total == 0 {
        return Ok(ArrayD::from_elem(IxDyn(out), T::default()));
    }
    if spatial.contains(&0) {
        invalid!("grid_sample: cannot sample from X of shape {xs:?} with an empty spatial dim");
    }
    let data = std_data(x);
    let mut y = vec![T::default(); total];
    let sp_strides = crate::ops::shape_ops::common::strides_of(spatial);
    let mut taps: Vec<(usize, f64)> = Vec::new();
    for b in 0..nb {
        for loc in 0..out_locs {
            let g = &grid[(b * out_locs + loc) * n..(b * out_locs + loc + 1) * n];
            // Combine per-axis taps into (spatial offset, weight); zero pads drop out.
            taps.clear();
            taps.push((0, 1.0));
            for (i, &d) in spatial.iter().enumerate() {
                let axis_taps = s.taps(g[n - 1 - i], d);
                let mut next = Vec::with_capacity(taps.len() * axis_taps.len());
                for &(off, w) in &taps {
                    for &(idx, wi) in &axis_taps {
                        if let Some(idx) = idx {
                            next.push((off + idx * sp_strides[i], w * wi));
                        }
                    }
                }
                taps = next;
            }
            for ch in 0..c {
                let base = (b * c + ch) * in_size;
                let v: f64 = taps.iter().map(|&(off, w)| w * data[base + off].to_f64()).sum();
                y[(b * c + ch) * out_locs + loc] = T::from_f64(v);
            }
        }
    }
    ArrayD::from_shape_vec(IxDyn(out), y).map_err(|e| format!("grid_sample: {e}").into())
}

pub(super) fn eval(
    mode: ResizeMode,
    padding: GridPadding,
    align_corners: bool,
    inputs: &[Option<&Tensor>],
) -> OpResult<Vec<Tensor>> {
    let tys = types_of(inputs);
    let out = concrete(&out_type(&type_refs(&tys))?)?;
    let x = req(inputs, 0, "X")?;
    if !(x.dtype().is_float() || x.dtype().is_int()) {
        invalid!("grid_sample: X must be numeric, got {}", x.dtype());
    }
    let grid = req(inputs, 1, "grid")?.to_f64_vec();
    let s = Sampler {
        mode,
        padding,
        align_corners,
    };
    Ok(vec![with_tensor!(x, a => Element::wrap(sample(a, &grid, &s, &out)?))])
}

#[cfg(test)]
mod tests;
