//! Slice: a strided subview of the input covering the selected elements (positive strides
//! |step|), copied into the output by one `linalg.generic`; axes with a negative step read the
//! view backwards (`len - 1 - i`, an affine map). starts/ends/axes/steps must be compile-time
//! constants; they are resolved with the interpreter's clamping rules.

use super::view::{copy_affine, subview_strided};
use super::Kernel;
use crate::error::Result;

/// First index and element count along an axis: the interpreter's own clamping rules.
pub use ir::ops::shape_ops::resolve_slice_axis as resolve;

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
    let mut offsets = vec![0usize; rank];
    let mut sizes = x.shape.clone();
    let mut steps_abs = vec![1usize; rank];
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
        sizes[a] = len;
        steps_abs[a] = step.unsigned_abs() as usize;
        if len > 0 && step < 0 {
            // The view starts at the last selected element and walks forward.
            offsets[a] = (s + step * (len as i64 - 1)) as usize;
            exprs[a] = format!("d{a} * -1 + {}", len - 1);
        } else {
            offsets[a] = s as usize;
        }
    }
    if y.numel() == 0 {
        return Ok(());
    }
    if rank == 0 {
        super::view::copy_flat(&mut k.f, (&x.mem, &x.mty), (&y.mem, &y.mty), 1, x.dt);
        return Ok(());
    }
    let (v, vt) = subview_strided(&mut k.f, &x.mem, &x.mty, &x.shape, x.dt, &offsets, &sizes, &steps_abs);
    copy_affine(&mut k.f, (&v, &vt), &exprs, (&y.mem, &y.mty), rank, x.dt);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn resolve_clamps_like_onnx() {
        // Forward: ends past the edge clamp; negative starts count from the end.
        assert_eq!(resolve(10, 2, 100, 3), (2, 3));
        assert_eq!(resolve(10, -3, i64::MAX, 1), (7, 3));
        // Backward: start clamps to the last index, end -inf means "through index 0".
        assert_eq!(resolve(5, 100, i64::MIN, -2), (4, 3));
        assert_eq!(resolve(5, -1, -100, -1), (4, 5));
        // Empty selections.
        assert_eq!(resolve(5, 3, 1, 1).1, 0);
        assert_eq!(resolve(0, 0, 10, 1), (0, 0));
    }
}
