//! Expand (a broadcast read, one `linalg.generic`) and Tile (the output viewed as
//! `[r0, d0, r1, d1, …]` with `memref.expand_shape`, reading the input at `(j0, j1, …)`: a
//! projection, so the innermost loop stays contiguous). Both take their sizes from the static
//! output shape, so the shape/repeats operands need not be compile-time constants.

use super::elementwise::broadcast_map;
use super::view::{copy_affine, expand_shape};
use super::Kernel;
use crate::error::Result;

pub fn expand(k: &mut Kernel) -> Result<()> {
    let x = k.input(0)?.clone();
    let y = k.outs[0].clone();
    let r = y.shape.len();
    if x.shape.len() > r {
        return k.unsupported("input rank exceeds output rank");
    }
    let off = r - x.shape.len();
    for (i, &d) in x.shape.iter().enumerate() {
        if d != 1 && d != y.shape[off + i] {
            return k.unsupported(format!("cannot broadcast {:?} to {:?}", x.shape, y.shape));
        }
    }
    if y.numel() == 0 {
        return Ok(());
    }
    // broadcast_map gives `affine_map<(dims) -> (exprs)>`; keep just the result expressions.
    let map = broadcast_map(&x.shape, &y.shape);
    let exprs = map_results(&map);
    copy_affine(&mut k.f, (&x.mem, &x.mty), &exprs, (&y.mem, &y.mty), r, x.dt);
    Ok(())
}

/// The result expressions of an `affine_map<(…) -> (e0, e1, …)>` text.
fn map_results(map: &str) -> Vec<String> {
    let inner = map.rsplit_once("-> (").map(|(_, r)| r.trim_end_matches(")>")).unwrap_or("");
    if inner.trim().is_empty() {
        return vec![];
    }
    inner.split(", ").map(str::to_string).collect()
}

pub fn tile(k: &mut Kernel) -> Result<()> {
    let x = k.input(0)?.clone();
    let y = k.outs[0].clone();
    let r = x.shape.len();
    if y.shape.len() != r {
        return k.unsupported("tile output rank differs from the input's");
    }
    if y.numel() == 0 {
        return Ok(());
    }
    let mut groups = vec![];
    for (&d, &o) in x.shape.iter().zip(&y.shape) {
        if d == 0 || o % d != 0 {
            return k.unsupported(format!("output {:?} is not a tiling of {:?}", y.shape, x.shape));
        }
        groups.push(vec![o / d, d]);
    }
    if r == 0 {
        super::view::copy_flat(&mut k.f, (&x.mem, &x.mty), (&y.mem, &y.mty), 1, x.dt);
        return Ok(());
    }
    let (v, vt) = expand_shape(&mut k.f, &y.mem, &y.mty, &groups, y.dt);
    let exprs: Vec<String> = (0..r).map(|i| format!("d{}", 2 * i + 1)).collect();
    copy_affine(&mut k.f, (&x.mem, &x.mty), &exprs, (&v, &vt), 2 * r, x.dt);
    Ok(())
}
