//! A register-tiled f32 GEMM on flat row-major buffers with run-time base offsets, for kernels
//! that compute C[M, N] (+ bias per row) = A[M, K] · B[K, N] inside their own loops (conv).
//! An MR×NR tile of C stays in vector registers while K streams through (one broadcast of A
//! and NR/VL vector loads of B per k); K is split into blocks so the K×NR panel of B stays in
//! L1 while the row tiles pass over it; edges use smaller static tiles and masked vectors.

use super::{ix, KernelTarget};
use crate::mlir::{Func, Scalar};

/// Tile and block sizes for one device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    /// f32 lanes per vector.
    pub vl: usize,
    /// Vectors per tile row (NR = nrv · vl).
    pub nrv: usize,
    /// Rows per tile.
    pub mr: usize,
    /// K block.
    pub kc: usize,
    /// Column chunk (a multiple of NR): a KC×NC block of B stays in L2 while every row tile
    /// passes over it, each MR×KC panel of A staying in L1 across the chunk.
    pub nc: usize,
}

impl Tiling {
    pub fn for_target(t: &KernelTarget, k: usize, n: usize) -> Tiling {
        let vl = t.f32_lanes.max(1);
        let nrv = 2;
        // Accumulators + NRV B vectors + one broadcast A must fit the register file.
        let mr = (t.vector_registers.saturating_sub(nrv + 2) / nrv).clamp(1, 8);
        let kc = ((t.l1_bytes / 2) / (nrv * vl * 4)).clamp(64, 512);
        let kc = if k <= kc + kc / 2 { k.max(1) } else { kc };
        let nr = nrv * vl;
        let nc = ((t.l2_bytes / 2) / (kc * 4) / nr * nr).max(nr);
        // Split N evenly into chunks of at most nc columns.
        let chunks = n.div_ceil(nc).max(1);
        let nc = n.div_ceil(chunks).div_ceil(nr) * nr;
        Tiling { vl, nrv, mr, kc, nc }
    }

    pub fn nr(&self) -> usize {
        self.nrv * self.vl
    }
}

/// A row-major matrix inside a flat memref: element (i, j) is at `base + i·ld + j`.
pub struct Mat {
    pub mem: String,
    pub mty: String,
    pub base: String,
    pub ld: usize,
}

/// Called on each row of a finished tile (after the last K block, while it is in L1) with the
/// row index (0..M), the flat C index of the row's first tile column, and the column count.
pub type RowHook<'a> = dyn Fn(&mut Func, &str, &str, usize) + 'a;

struct Ctx<'a> {
    t: &'a Tiling,
    a: &'a Mat,
    b: &'a Mat,
    c: &'a Mat,
    bias: Option<&'a Mat>,
    post: Option<&'a RowHook<'a>>,
    vty: String,
    mty: String,
    zv: String,
}

/// C = A·B (+ bias[i] on row i), all f32; then `post` on each finished tile row.
#[allow(clippy::too_many_arguments)]
pub fn emit<'a>(
    f: &mut Func,
    t: &Tiling,
    m: usize,
    n: usize,
    k: usize,
    a: &Mat,
    b: &Mat,
    c: &Mat,
    bias: Option<&Mat>,
    post: Option<&'a RowHook<'a>>,
) {
    let vty = format!("vector<{}xf32>", t.vl);
    let mty = format!("vector<{}xi1>", t.vl);
    let z = f.fconst(0.0, Scalar::Float(32));
    let zv = f.op(format!("vector.broadcast {z} : f32 to {vty}"));
    let cx = Ctx { t, a, b, c, bias, post, vty, mty, zv };
    if k == 0 {
        // No products: C is the bias (or zero).
        fill_bias(f, &cx, m, n);
        if let Some(p) = post {
            f.for_range(0, m, |f, i| {
                let ci = ix::lin(f, &[(&c.base, 1), (i, c.ld as i64)], 0);
                p(f, i, &ci, n);
            });
        }
        return;
    }
    let nr = t.nr();
    let mut k0 = 0;
    while k0 < k {
        let k1 = (k0 + t.kc).min(k);
        let (first, last) = (k0 == 0, k1 == k);
        // Column chunks (full ones in a loop, the last one shorter), row tiles inside.
        let nc = t.nc.min(n.div_ceil(nr) * nr);
        let full = n / nc;
        if full > 0 {
            f.for_step(0, full * nc, nc, |f, jc| chunk(f, &cx, m, jc, nc, k0, k1, first, last));
        }
        if n > full * nc {
            let jc = f.idx(full * nc);
            chunk(f, &cx, m, &jc, n - full * nc, k0, k1, first, last);
        }
        k0 = k1;
    }
}

fn fill_bias(f: &mut Func, cx: &Ctx, m: usize, n: usize) {
    f.for_range(0, m, |f, i| {
        let v = match cx.bias {
            Some(b) => {
                let bi = ix::add(f, &b.base, i);
                f.op(format!("memref.load {}[{bi}] : {}", b.mem, b.mty))
            }
            None => f.fconst(0.0, Scalar::Float(32)),
        };
        f.for_range(0, n, |f, j| {
            let ci = ix::lin(f, &[(&cx.c.base, 1), (i, cx.c.ld as i64), (j, 1)], 0);
            f.line(format!("memref.store {v}, {}[{ci}] : {}", cx.c.mem, cx.c.mty));
        });
    });
}

/// All row tiles over the `len` columns from `jc`.
#[allow(clippy::too_many_arguments)]
fn chunk(f: &mut Func, cx: &Ctx, m: usize, jc: &str, len: usize, k0: usize, k1: usize, first: bool, last: bool) {
    let mr = cx.t.mr;
    let mfull = m / mr * mr;
    if mfull > 0 {
        f.for_step(0, mfull, mr, |f, i0| row_block(f, cx, jc, len, i0, mr, k0, k1, first, last));
    }
    if m > mfull {
        let i0 = f.idx(mfull);
        row_block(f, cx, jc, len, &i0, m - mfull, k0, k1, first, last);
    }
}

/// All column tiles of the `len` columns from `jc` over the `nrows` rows from `i0`.
#[allow(clippy::too_many_arguments)]
fn row_block(f: &mut Func, cx: &Ctx, jc: &str, len: usize, i0: &str, nrows: usize, k0: usize, k1: usize, first: bool, last: bool) {
    let nr = cx.t.nr();
    let nfull = len / nr * nr;
    if nfull > 0 {
        f.for_step(0, nfull, nr, |f, j| {
            let j0 = ix::add(f, jc, j);
            tile(f, cx, i0, nrows, &j0, nr, k0, k1, first, last)
        });
    }
    if len > nfull {
        let o = f.idx(nfull);
        let j0 = ix::add(f, jc, &o);
        tile(f, cx, i0, nrows, &j0, len - nfull, k0, k1, first, last);
    }
}

/// One tile of `nrows` rows from `i0` and `ncols` columns from `j0` over k in [k0, k1).
#[allow(clippy::too_many_arguments)]
fn tile(f: &mut Func, cx: &Ctx, i0: &str, nrows: usize, j0: &str, ncols: usize, k0: usize, k1: usize, first: bool, last: bool) {
    let vl = cx.t.vl;
    let nv = ncols.div_ceil(vl);
    let (vty, mty, zv) = (&cx.vty, &cx.mty, &cx.zv);
    // Per column vector: offset from j0 and the mask of a partial vector.
    let mut vecs = vec![];
    for v in 0..nv {
        let valid = (ncols - v * vl).min(vl);
        let mask = (valid < vl).then(|| f.op(format!("vector.constant_mask [{valid}] : {mty}")));
        vecs.push((v * vl, mask));
    }
    // Row bases of A (at k = 0) and C (at column j0).
    let a_rows: Vec<String> =
        (0..nrows).map(|r| ix::lin(f, &[(&cx.a.base, 1), (i0, cx.a.ld as i64)], (r * cx.a.ld) as i64)).collect();
    let c_rows: Vec<String> =
        (0..nrows).map(|r| ix::lin(f, &[(&cx.c.base, 1), (i0, cx.c.ld as i64), (j0, 1)], (r * cx.c.ld) as i64)).collect();
    let b_col = ix::add(f, &cx.b.base, j0);
    let load = |f: &mut Func, mem: &str, mt: &str, i: &str, mask: &Option<String>| match mask {
        None => f.op(format!("vector.load {mem}[{i}] : {mt}, {vty}")),
        Some(mk) => f.op(format!("vector.maskedload {mem}[{i}], {mk}, {zv} : {mt}, {mty}, {vty} into {vty}")),
    };
    let mut inits = vec![];
    for cr in &c_rows {
        for (off, mask) in &vecs {
            let v = if first {
                zv.clone()
            } else {
                let o = f.idx(*off);
                let i = ix::add(f, cr, &o);
                load(f, &cx.c.mem, &cx.c.mty, &i, mask)
            };
            inits.push((v, vty.clone()));
        }
    }
    let accs = f.for_iter(k0, k1, 1, &inits, |f, kx, acc| {
        let brow = ix::lin(f, &[(&b_col, 1), (kx, cx.b.ld as i64)], 0);
        let mut bv = vec![];
        for (off, mask) in &vecs {
            let o = f.idx(*off);
            let i = ix::add(f, &brow, &o);
            bv.push(load(f, &cx.b.mem, &cx.b.mty, &i, mask));
        }
        let mut out = vec![];
        for (ri, ar) in a_rows.iter().enumerate() {
            let ai = ix::add(f, ar, kx);
            let s = f.op(format!("memref.load {}[{ai}] : {}", cx.a.mem, cx.a.mty));
            let av = f.op(format!("vector.broadcast {s} : f32 to {vty}"));
            for (vi, b) in bv.iter().enumerate() {
                let a = &acc[ri * nv + vi];
                out.push(f.op(format!("vector.fma {av}, {b}, {a} : {vty}")));
            }
        }
        out
    });
    for (ri, cr) in c_rows.iter().enumerate() {
        let bias = match (last, cx.bias) {
            (true, Some(b)) => {
                let r = f.idx(ri);
                let bi = ix::lin(f, &[(&b.base, 1), (i0, 1), (&r, 1)], 0);
                let s = f.op(format!("memref.load {}[{bi}] : {}", b.mem, b.mty));
                Some(f.op(format!("vector.broadcast {s} : f32 to {vty}")))
            }
            _ => None,
        };
        for (vi, (off, mask)) in vecs.iter().enumerate() {
            let mut a = accs[ri * nv + vi].clone();
            if let Some(b) = &bias {
                a = f.op(format!("arith.addf {a}, {b} : {vty}"));
            }
            let o = f.idx(*off);
            let i = ix::add(f, cr, &o);
            match mask {
                None => f.line(format!("vector.store {a}, {}[{i}] : {}, {vty}", cx.c.mem, cx.c.mty)),
                Some(mk) => f.line(format!("vector.maskedstore {}[{i}], {mk}, {a} : {}, {mty}, {vty}", cx.c.mem, cx.c.mty)),
            }
        }
    }
    if let (true, Some(p)) = (last, cx.post) {
        for (ri, cr) in c_rows.iter().enumerate() {
            let r = f.idx(ri);
            let i = ix::add(f, i0, &r);
            p(f, &i, cr, ncols);
        }
    }
}
