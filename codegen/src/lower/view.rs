//! Views of memrefs and copies between them: strided subviews, expanded shapes, and a
//! `linalg.generic` copy whose source is read through arbitrary affine expressions of the
//! destination's loop indices (slices with steps, offsets, broadcasts).

use crate::mlir::{elem_type, Func};
use ir::DType;

/// Row-major strides of a shape, in elements.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

fn join<T: ToString>(v: &[T]) -> String {
    v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

/// `memref.subview` of a row-major memref `mem` (shape `shape`) at static `offsets` with
/// `sizes` and unit strides. Returns the view's name and type.
pub fn subview(
    f: &mut Func,
    mem: &str,
    mty: &str,
    shape: &[usize],
    dt: DType,
    offsets: &[usize],
    sizes: &[usize],
) -> (String, String) {
    let ones = vec![1; shape.len()];
    subview_strided(f, mem, mty, shape, dt, offsets, sizes, &ones)
}

/// `memref.subview` with positive element `steps` per dim.
#[allow(clippy::too_many_arguments)]
pub fn subview_strided(
    f: &mut Func,
    mem: &str,
    mty: &str,
    shape: &[usize],
    dt: DType,
    offsets: &[usize],
    sizes: &[usize],
    steps: &[usize],
) -> (String, String) {
    let st = strides(shape);
    let off: usize = offsets.iter().zip(&st).map(|(o, s)| o * s).sum();
    let e = elem_type(dt).unwrap_or("i8");
    let dims: Vec<String> = sizes.iter().map(|d| d.to_string()).collect();
    let vst: Vec<usize> = st.iter().zip(steps).map(|(s, k)| s * k).collect();
    let ty = format!("memref<{}x{e}, strided<[{}], offset: {off}>>", dims.join("x"), join(&vst));
    let v = f.op(format!(
        "memref.subview {mem}[{}] [{}] [{}] : {mty} to {ty}",
        join(offsets),
        join(sizes),
        join(steps)
    ));
    (v, ty)
}

/// `memref.expand_shape` of a row-major memref into `groups` (each group's dims multiply to
/// the corresponding dim of `mem`). Returns the expanded memref's name and type.
pub fn expand_shape(f: &mut Func, mem: &str, mty: &str, groups: &[Vec<usize>], dt: DType) -> (String, String) {
    let mut k = 0;
    let mut reassoc = vec![];
    let mut out = vec![];
    for g in groups {
        let ids: Vec<usize> = (k..k + g.len()).collect();
        k += g.len();
        reassoc.push(format!("[{}]", join(&ids)));
        out.extend(g.iter().copied());
    }
    let ty = crate::mlir::memref_type(&out, dt);
    let v = f.op(format!(
        "memref.expand_shape {mem} [{}] output_shape [{}] : {mty} into {ty}",
        reassoc.join(", "),
        join(&out)
    ));
    (v, ty)
}

/// Copy into `dst` (rank `rank`, every element written once, identity access) from `src`, read
/// at the affine expressions `src_exprs` of the loop indices `d0…d{rank-1}` (one expression
/// per source dim). Source and destination have the same dtype `dt`.
pub fn copy_affine(f: &mut Func, src: (&str, &str), src_exprs: &[String], dst: (&str, &str), rank: usize, dt: DType) {
    let e = elem_type(dt).unwrap_or("i8");
    let dims: Vec<String> = (0..rank).map(|i| format!("d{i}")).collect();
    let dl = dims.join(", ");
    let iters = vec!["\"parallel\""; rank].join(", ");
    f.line(format!(
        "linalg.generic {{indexing_maps = [affine_map<({dl}) -> ({})>, affine_map<({dl}) -> ({dl})>], \
         iterator_types = [{iters}]}} ins({} : {}) outs({} : {}) {{",
        src_exprs.join(", "),
        src.0,
        src.1,
        dst.0,
        dst.1
    ));
    let (a, b) = (f.fresh(), f.fresh());
    f.line(format!("^bb0({a}: {e}, {b}: {e}):"));
    f.enter();
    f.line(format!("linalg.yield {a} : {e}"));
    f.leave();
    f.line("}");
}

/// Identity copy of a whole memref into another of the same shape (either may be a view).
pub fn copy_same(f: &mut Func, src: (&str, &str), dst: (&str, &str), rank: usize, dt: DType) {
    let exprs: Vec<String> = (0..rank).map(|i| format!("d{i}")).collect();
    copy_affine(f, src, &exprs, dst, rank, dt);
}

/// Flat row-major copy of a whole buffer (`n` elements) from `src` into `dst`.
pub fn copy_flat(f: &mut Func, src: (&str, &str), dst: (&str, &str), n: usize, dt: DType) {
    if n == 0 {
        return;
    }
    let e = elem_type(dt).unwrap_or("i8");
    let flat = |f: &mut Func, m: &str, t: &str| {
        f.op(format!(
            "memref.reinterpret_cast {m} to offset: [0], sizes: [{n}], strides: [1] : {t} to memref<{n}x{e}>"
        ))
    };
    let a = flat(f, src.0, src.1);
    let b = flat(f, dst.0, dst.1);
    f.line(format!("memref.copy {a}, {b} : memref<{n}x{e}> to memref<{n}x{e}>"));
}
