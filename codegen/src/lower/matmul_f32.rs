//! The register-tiled f32 matmul: C[MR×NR] tiles held in vector registers while K streams
//! through (one broadcast of A and NR/VL vector loads of B per k, MR·NR/VL FMAs), K split into
//! L1-sized blocks, N into L2-sized column chunks (outside the row tiles, so a chunk of B is
//! read from memory once), edges handled by statically generated smaller tiles and masked
//! stores. A transposed or wide B is packed per K block and chunk into zero-padded NR-column
//! panels in scratch, so every B load is a contiguous, unmasked vector load. Tile sizes come
//! from the device's vector width, register count and cache sizes.

use super::{Kernel, KernelTarget, Operand};
use crate::error::Result;
use crate::mlir::Func;
use ir::{Graph, NodeId, Op, ValueId};

/// Tile and block sizes for one device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    /// f32 lanes per vector.
    pub vl: usize,
    /// Vectors per tile row (NR = nrv · vl).
    pub nrv: usize,
    /// Rows per tile.
    pub mr: usize,
    /// K block (k values per pass over a B panel).
    pub kc: usize,
    /// Column chunk: a KC×NC panel of B takes at most half of L2 (a multiple of NR).
    pub nc: usize,
}

impl Tiling {
    pub fn for_target(t: &KernelTarget, k: usize) -> Tiling {
        let vl = t.f32_lanes.max(1);
        let nrv = 2;
        // Accumulators + NRV B vectors + one broadcast A must fit the register file.
        let mr = (t.vector_registers.saturating_sub(nrv + 2) / nrv).clamp(1, 8);
        // A KC×NR panel of B should take at most half of L1.
        let kc_l1 = (t.l1_bytes / 2) / (nrv * vl * 4);
        let kc = kc_l1.clamp(64, 512);
        // Avoid a tiny last block.
        let kc = if k <= kc + kc / 2 { k.max(1) } else { kc };
        let nr = nrv * vl;
        let nc = ((t.l2_bytes / 2) / (kc * 4)).max(nr) / nr * nr;
        Tiling { vl, nrv, mr, kc, nc }
    }

    pub fn nr(&self) -> usize {
        self.nrv * self.vl
    }
}

/// The tiled kernel handles f32 operands of rank ≥ 2 whose N fills at least one vector.
pub fn applies(a: &Operand, b: &Operand, y: &Operand, t: &KernelTarget) -> bool {
    use ir::DType::F32;
    a.dt == F32
        && b.dt == F32
        && y.dt == F32
        && a.shape.len() >= 2
        && b.shape.len() >= 2
        && y.shape.last().is_some_and(|&n| n >= t.f32_lanes)
        && a.numel() > 0
        && b.numel() > 0
}

fn dims(g: &Graph, v: Option<ValueId>) -> Option<Vec<usize>> {
    g.value_type(v?).static_shape()
}

/// Whether B is packed, per K block and column chunk, into NR-column panels (each KC×NR,
/// contiguous) before the row tiles run: always for a transposed B (its columns are strided),
/// and for a plain B when several row tiles read it and its rows are long (a row stride of 4 KiB
/// or more puts every k of a tile's loads in the same few L1 sets).
pub fn packs_b(t: &Tiling, m: usize, n: usize, trans_b: bool) -> bool {
    trans_b || (m > t.mr && n * 4 >= 4096)
}

/// Scratch of the packed panels: KC × min(NC, Npad) floats.
fn panel_elems(t: &Tiling, n: usize) -> usize {
    t.kc * t.nc.min(n.div_ceil(t.nr()) * t.nr())
}

pub fn scratch_bytes(g: &Graph, id: NodeId, t: &KernelTarget) -> usize {
    let node = g.node(id);
    let (trans_a, trans_b) = match node.op {
        Op::MatMul { trans_a, trans_b } | Op::MatMulFused { trans_a, trans_b, .. } => (trans_a, trans_b),
        _ => (false, false),
    };
    let ins = g.node_inputs(id);
    let (Some(a), Some(bs), Some(ys)) =
        (dims(g, ins.first().copied().flatten()), dims(g, ins.get(1).copied().flatten()), node.outputs[0].static_shape())
    else {
        return 0;
    };
    if a.len() < 2 || bs.len() < 2 || ys.last().is_none_or(|&n| n < t.f32_lanes) {
        return 0;
    }
    let m = if trans_a { a[a.len() - 1] } else { a[a.len() - 2] };
    let (n, k) = if trans_b { (bs[bs.len() - 2], bs[bs.len() - 1]) } else { (bs[bs.len() - 1], bs[bs.len() - 2]) };
    let tl = Tiling::for_target(t, k);
    if packs_b(&tl, m, n, trans_b) {
        panel_elems(&tl, n) * 4
    } else {
        0
    }
}

/// Where an operand's batch dims sit in the output's batch index.
fn batch_index(f: &mut Func, shape: &[usize], out_batch: &[usize], ivs: &[String]) -> Vec<String> {
    let nb = shape.len() - 2;
    let off = out_batch.len() - nb;
    (0..nb)
        .map(|i| if shape[i] == 1 && out_batch[off + i] != 1 { f.idx(0) } else { ivs[off + i].clone() })
        .collect()
}

struct Ctx<'a> {
    a: &'a Operand,
    y: &'a Operand,
    /// B as the tiles read it: the operand itself, or the panels of the current K block and
    /// column chunk (a flat memref; panel p at p·KCb·NR, row k at k·NR).
    b_mem: String,
    b_mty: String,
    packed: bool,
    trans_a: bool,
    m: usize,
    t: Tiling,
    vty: String,
    mty: String,
    epi: Option<&'a super::fused::Epilogue>,
}

pub fn lower(
    k: &mut Kernel,
    a: &Operand,
    b: &Operand,
    y: &Operand,
    trans_a: bool,
    trans_b: bool,
    epi: Option<&super::fused::Epilogue>,
) -> Result<()> {
    let (ra, rb) = (a.shape.len(), b.shape.len());
    let (m, kk) = if trans_a { (a.shape[ra - 1], a.shape[ra - 2]) } else { (a.shape[ra - 2], a.shape[ra - 1]) };
    let n = if trans_b { b.shape[rb - 2] } else { b.shape[rb - 1] };
    let t = Tiling::for_target(k.target, kk);
    let out_batch: Vec<usize> = y.shape[..y.shape.len() - 2].to_vec();
    let vty = format!("vector<{}xf32>", t.vl);
    let mty = format!("vector<{}xi1>", t.vl);
    let pack = packs_b(&t, m, n, trans_b);
    let pelems = panel_elems(&t, n);
    let panel_ty = format!("memref<{pelems}xf32>");
    let panels = if pack {
        match k.scratch.clone() {
            Some((s, bytes)) if bytes >= pelems * 4 => {
                let c0 = k.f.idx(0);
                Some(k.f.op(format!("memref.view {s}[{c0}][] : memref<{bytes}xi8> to {panel_ty}")))
            }
            _ => return k.unsupported("the tiled matmul's B panels need scratch"),
        }
    } else {
        None
    };
    let f = &mut k.f;
    f.nest(&out_batch.clone(), |f, ivs| {
        let ia = batch_index(f, &a.shape, &out_batch, ivs);
        let ib = batch_index(f, &b.shape, &out_batch, ivs);
        let (b_mem, b_mty) = match &panels {
            Some(p) => (p.clone(), panel_ty.clone()),
            None => (b.mem.clone(), b.mty.clone()),
        };
        let cx = Ctx {
            a,
            y,
            b_mem,
            b_mty,
            packed: panels.is_some(),
            trans_a,
            m,
            t,
            vty: vty.clone(),
            mty: mty.clone(),
            epi,
        };
        let yb: Vec<String> = ivs.to_vec();
        let mut k0 = 0;
        while k0 < kk {
            let k1 = (k0 + t.kc).min(kk);
            let first = k0 == 0;
            let last = k1 == kk;
            // Column chunks outermost: a chunk's KC×NC panel of B stays in L2 while every
            // row tile passes over it (else a wide B, an LM head, streams from memory once
            // per row tile).
            let mut j0 = 0;
            while j0 < n {
                let len = t.nc.min(n - j0);
                let jc = f.idx(j0);
                if let Some(p) = &panels {
                    pack_panels(f, b, &ib, trans_b, p, &panel_ty, &t, (j0, len, n), (k0, k1));
                }
                let mfull = m / t.mr * t.mr;
                if mfull > 0 {
                    f.for_step(0, mfull, t.mr, |f, i0| {
                        rows(f, &cx, &ia, &ib, &yb, i0, t.mr, (&jc, len), k0, k1, first, last);
                    });
                }
                if m > mfull {
                    let i0 = f.idx(mfull);
                    rows(f, &cx, &ia, &ib, &yb, &i0, m - mfull, (&jc, len), k0, k1, first, last);
                }
                j0 += len;
            }
            k0 = k1;
        }
    });
    Ok(())
}

/// The column tiles of `nrows` rows from row `i0`, over the `len` columns from `jc`.
#[allow(clippy::too_many_arguments)]
fn rows(
    f: &mut Func,
    cx: &Ctx,
    ia: &[String],
    ib: &[String],
    yb: &[String],
    i0: &str,
    nrows: usize,
    (jc, len): (&str, usize),
    k0: usize,
    k1: usize,
    first: bool,
    last: bool,
) {
    let nr = cx.t.nr();
    let nfull = len / nr * nr;
    if nfull > 0 {
        f.for_step(0, nfull, nr, |f, j| {
            let j0 = f.op(format!("arith.addi {jc}, {j} : index"));
            tile(f, cx, ia, ib, yb, i0, nrows, (&j0, j), nr, k0, k1, first, last);
        });
    }
    if len > nfull {
        let o = f.idx(nfull);
        let j0 = f.op(format!("arith.addi {jc}, {o} : index"));
        tile(f, cx, ia, ib, yb, i0, nrows, (&j0, &o), len - nfull, k0, k1, first, last);
    }
}

/// One MR×NR tile: `ncols` valid columns from `j0`, which is `jo` into the current column
/// chunk (masked when not a multiple of VL).
#[allow(clippy::too_many_arguments)]
fn tile(
    f: &mut Func,
    cx: &Ctx,
    ia: &[String],
    ib: &[String],
    yb: &[String],
    i0: &str,
    nrows: usize,
    (j0, jo): (&str, &str),
    ncols: usize,
    k0: usize,
    k1: usize,
    first: bool,
    last: bool,
) {
    let vl = cx.t.vl;
    let nv = ncols.div_ceil(vl);
    let (vty, mty) = (&cx.vty, &cx.mty);
    // Column offsets and masks of each vector.
    let mut cols = vec![];
    for v in 0..nv {
        let off = f.idx(v * vl);
        let j = f.op(format!("arith.addi {j0}, {off} : index"));
        let valid = (ncols - v * vl).min(vl);
        let mask = (valid < vl).then(|| f.op(format!("vector.constant_mask [{valid}] : {mty}")));
        cols.push((j, mask));
    }
    let row_idx: Vec<String> = (0..nrows)
        .map(|r| {
            let o = f.idx(r);
            f.op(format!("arith.addi {i0}, {o} : index"))
        })
        .collect();
    let c_idx = |r: &str, j: &str| {
        let mut v = yb.to_vec();
        v.extend([r.to_string(), j.to_string()]);
        v.join(", ")
    };
    // Initial accumulators: zero for the first K block, else the partial sums in C.
    let mut inits = vec![];
    let zero = f.fconst(0.0, crate::mlir::Scalar::Float(32));
    let zv = f.op(format!("vector.broadcast {zero} : f32 to {vty}"));
    for r in &row_idx {
        for (j, mask) in &cols {
            let v = if first {
                zv.clone()
            } else {
                match mask {
                    None => f.op(format!("vector.load {}[{}] : {}, {vty}", cx.y.mem, c_idx(r, j), cx.y.mty)),
                    Some(mk) => f.op(format!(
                        "vector.maskedload {}[{}], {mk}, {zv} : {}, {mty}, {vty} into {vty}",
                        cx.y.mem,
                        c_idx(r, j),
                        cx.y.mty
                    )),
                }
            };
            inits.push((v, vty.clone()));
        }
    }
    // The tile's panel: it starts at (jo / NR) · KCb · NR = jo · KCb.
    let kcb = k1 - k0;
    let nr = cx.t.nr();
    let panel = cx.packed.then(|| super::ix::lin(f, &[(jo, kcb as i64)], -((k0 * nr) as i64)));
    let accs = f.for_iter(k0, k1, 1, &inits, |f, kx, acc| {
        // B vectors for this k.
        let mut bv = vec![];
        for (v, (j, mask)) in cols.iter().enumerate() {
            let idx = if let Some(pb) = &panel {
                super::ix::lin(f, &[(pb, 1), (kx, nr as i64)], (v * vl) as i64)
            } else {
                let mut v = ib.to_vec();
                v.extend([kx.to_string(), j.clone()]);
                v.join(", ")
            };
            bv.push(match mask {
                Some(mk) if !cx.packed => f.op(format!(
                    "vector.maskedload {}[{idx}], {mk}, {zv} : {}, {mty}, {vty} into {vty}",
                    cx.b_mem, cx.b_mty
                )),
                _ => f.op(format!("vector.load {}[{idx}] : {}, {vty}", cx.b_mem, cx.b_mty)),
            });
        }
        let mut out = vec![];
        for (ri, r) in row_idx.iter().enumerate() {
            let mut idx = ia.to_vec();
            if cx.trans_a {
                idx.extend([kx.to_string(), r.clone()]);
            } else {
                idx.extend([r.clone(), kx.to_string()]);
            }
            let s = f.op(format!("memref.load {}[{}] : {}", cx.a.mem, idx.join(", "), cx.a.mty));
            let av = f.op(format!("vector.broadcast {s} : f32 to {vty}"));
            for (vi, b) in bv.iter().enumerate() {
                let a = &acc[ri * nv + vi];
                out.push(f.op(format!("vector.fma {av}, {b}, {a} : {vty}")));
            }
        }
        out
    });
    for (ri, r) in row_idx.iter().enumerate() {
        for (vi, (j, mask)) in cols.iter().enumerate() {
            let a = &accs[ri * nv + vi];
            match mask {
                None => f.line(format!("vector.store {a}, {}[{}] : {}, {vty}", cx.y.mem, c_idx(r, j), cx.y.mty)),
                Some(mk) => f.line(format!(
                    "vector.maskedstore {}[{}], {mk}, {a} : {}, {mty}, {vty}",
                    cx.y.mem,
                    c_idx(r, j),
                    cx.y.mty
                )),
            }
        }
    }
    // The epilogue runs on the finished tile while it is in L1 (after the last K block).
    if let (true, Some(e)) = (last, cx.epi) {
        if !e.is_identity() {
            for r in &row_idx {
                f.for_range(0, ncols, |f, c| {
                    let j = f.op(format!("arith.addi {j0}, {c} : index"));
                    let mut idx = yb.to_vec();
                    idx.extend([r.clone(), j]);
                    // The caller ran `Epilogue::check`; should this still fail, emit an op MLIR
                    // rejects so the error surfaces instead of wrong code.
                    if let Err(why) = e.apply_at(f, cx.y, ir::DType::F32, &idx) {
                        f.line(format!("\"edgec.epilogue_error\"() {{reason = \"{}\"}} : () -> ()", why.replace('"', "'")));
                    }
                });
            }
        }
    }
    let _ = cx.m;
}

/// Pack columns [j0, j0 + len) of B (or of Bᵀ's rows), k in [k0, k1), into NR-column panels:
/// panel p holds columns j0 + p·NR …, row k at (p·KCb + k − k0)·NR; columns past N are zero.
#[allow(clippy::too_many_arguments)]
fn pack_panels(
    f: &mut Func,
    b: &Operand,
    ib: &[String],
    trans_b: bool,
    p: &str,
    pty: &str,
    t: &Tiling,
    (j0, len, n): (usize, usize, usize),
    (k0, k1): (usize, usize),
) {
    let (vl, nr, kcb) = (t.vl, t.nr(), k1 - k0);
    let np = len.div_ceil(nr);
    let vty = format!("vector<{vl}xf32>");
    let zero = f.fconst(0.0, crate::mlir::Scalar::Float(32));
    let b_at = |r: &str, c: &str| {
        let mut v = ib.to_vec();
        v.extend([r.to_string(), c.to_string()]);
        v.join(", ")
    };
    // Panels entirely inside N (a loop), then the last one with its zero columns.
    let full = (if j0 + np * nr <= n { np } else { np - 1 }).min(np);
    let panel = |f: &mut Func, pi: &str, cols: usize| {
        if trans_b {
            // Bᵀ[j, k] is contiguous in k: read along k, write with stride NR.
            f.for_range(0, cols, |f, c| {
                let j = super::ix::lin(f, &[(pi, nr as i64), (c, 1)], j0 as i64);
                f.for_range(k0, k1, |f, kx| {
                    let at = b_at(&j, kx);
                    let v = f.op(format!("memref.load {}[{at}] : {}", b.mem, b.mty));
                    let o = super::ix::lin(f, &[(pi, (kcb * nr) as i64), (kx, nr as i64), (c, 1)], -((k0 * nr) as i64));
                    f.line(format!("memref.store {v}, {p}[{o}] : {pty}"));
                });
            });
            if cols < nr {
                f.for_range(cols, nr, |f, c| {
                    f.for_range(k0, k1, |f, kx| {
                        let o = super::ix::lin(f, &[(pi, (kcb * nr) as i64), (kx, nr as i64), (c, 1)], -((k0 * nr) as i64));
                        f.line(format!("memref.store {zero}, {p}[{o}] : {pty}"));
                    });
                });
            }
        } else {
            // B[k, j…j+NR) is contiguous: vector copies, masked past N.
            f.for_range(k0, k1, |f, kx| {
                for v in 0..nr / vl {
                    let valid = cols.saturating_sub(v * vl).min(vl);
                    let o = super::ix::lin(f, &[(pi, (kcb * nr) as i64), (kx, nr as i64)], (v * vl) as i64 - (k0 * nr) as i64);
                    let val = if valid == 0 {
                        f.op(format!("vector.broadcast {zero} : f32 to {vty}"))
                    } else {
                        let j = super::ix::lin(f, &[(pi, nr as i64)], (j0 + v * vl) as i64);
                        let at = b_at(kx, &j);
                        if valid == vl {
                            f.op(format!("vector.load {}[{at}] : {}, {vty}", b.mem, b.mty))
                        } else {
                            let mk = f.op(format!("vector.constant_mask [{valid}] : vector<{vl}xi1>"));
                            let zv = f.op(format!("vector.broadcast {zero} : f32 to {vty}"));
                            f.op(format!("vector.maskedload {}[{at}], {mk}, {zv} : {}, vector<{vl}xi1>, {vty} into {vty}", b.mem, b.mty))
                        }
                    };
                    f.line(format!("vector.store {val}, {p}[{o}] : {pty}, {vty}"));
                }
            });
        }
    };
    if full > 0 {
        f.for_range(0, full, |f, pi| panel(f, pi, nr));
    }
    if full < np {
        let pi = f.idx(full);
        panel(f, &pi, n - (j0 + full * nr));
    }
}
