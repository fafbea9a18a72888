//! Slice as one `linalg.generic` copy: output index `i` along a sliced axis reads input index
//! `start + step * i`, an affine map (negative steps included). starts/ends/axes/steps must
//! be compile-time constants; they are resolved with the interpreter's clamping rules.

use super::view::{affine_dim, copy_affine};
use super::Kernel;
use crate::error::Result;

/// First index and step along an axis of size `dim` (ONNX clamping, as `ir`'s slice), and the
/// number of elements selected.
pub fn resolve(dim: usize, start: i64, end: i64, step: i64) -> (i64, usize) {
    let d = dim as i128;
    let (mut s, mut e, st) = (start as i128, end as i128, step as i128);
    if s < 0 {
        s += d;
    }
    if e < 0 {
        e += d;
    }
    let len = if d == 0 {
        s = 0;
        0
    } else if st > 0 {
        s = s.clamp(0, d);
        e = e.clamp(0, d);
        if e > s {
            (e - s + st - 1) / st
        } else {
            0
        }
    } else {
        s = s.clamp(0, (d - 1).max(0));
        e = e.clamp(-1, d - 1);
        if s > e {
            (s - e + (-st) - 1) / (-st)
        } else {
            0
        }
    };
    (s as i64, len as usize)
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let x = k.input(0)?.clone();
    let y = k.outs[0].clone();
    let rank = x.shape.len();
    let starts = k.const_i64(1, "slice starts")?.unwrap_or_default();
    let ends = k.const_i64(2, "slice ends")?.unwrap_or_default();
    let axes = k.const_i64(3, "slice axes")?;
    let steps = k.const_i64(4, "slice steps")?;
    let n = starts.len();
    if ends.len() != n || axes.as_ref().is_some_and(|a| a.len() != n) || steps.as_ref().is_some_and(|s| s.len() != n) {
        return k.unsupported("starts, ends, axes and steps differ in length");
    }
    let mut exprs: Vec<String> = (0..rank).map(|i| format!("d{i}")).collect();
    let mut seen = vec![false; rank];
    for j in 0..n {
        let a = match &axes {
            Some(ax) => super::operands::axis_of(k, ax[j], rank)?,
            None if j < rank => j,
            None => return k.unsupported(format!("{n} starts for a rank-{rank} input")),
        };
        let step = steps.as_ref().map_or(1, |s| s[j]);
        if step == 0 || seen[a] {
            return k.unsupported(format!("step 0 or axis {a} sliced twice"));
        }
        seen[a] = true;
        let (s, len) = resolve(x.shape[a], starts[j], ends[j], step);
        if len != y.shape[a] {
            return k.unsupported(format!("axis {a}: slice of {len} for an output dim of {}", y.shape[a]));
        }
        exprs[a] = affine_dim(a, s, step);
    }
    if y.numel() == 0 {
        return Ok(());
    }
    copy_affine(&mut k.f, (&x.mem, &x.mty), &exprs, (&y.mem, &y.mty), rank, x.dt);
    Ok(())
}
