//! Attention as a FlashAttention-style kernel: for each (batch, head), query rows are taken in
//! tiles of BR and keys/values in blocks of BC sized so a K and a V block fit in half of L1.
//! For a block, each row's scores are computed (vectorised dot products over the head dim),
//! then an online softmax folds the block into running (max, sum, accumulator) state kept in
//! scratch — the Sq×Skv score matrix is never materialised, only BC scores per row. With a
//! causal mask, key blocks entirely in the future of the whole query tile are skipped.
//! Grouped KV heads read head h / (Hq / Hkv). f16/bf16 are computed in f32.

use super::{Kernel, KernelTarget, Operand};
use crate::error::Result;
use crate::mlir::{elem_type, Func, Scalar};
use ir::{DType, Graph, NodeId, Op};

/// Query-tile rows.
const BR: usize = 4;

#[derive(Clone, Copy, Debug)]
struct Tiles {
    vl: usize,
    br: usize,
    bc: usize,
}

fn tiles(t: &KernelTarget, d: usize, dv: usize, sq: usize, skv: usize) -> Tiles {
    let bc = ((t.l1_bytes / 2) / ((d + dv) * 4).max(1)).clamp(8, 256).min(skv.max(1));
    Tiles { vl: t.f32_lanes.max(1), br: BR.min(sq.max(1)), bc }
}

fn shapes(g: &Graph, id: NodeId) -> Option<([usize; 4], [usize; 4], [usize; 4])> {
    let ins = g.node_inputs(id);
    let get = |i: usize| -> Option<[usize; 4]> {
        let s = g.value_type(ins.get(i).copied().flatten()?).static_shape()?;
        s.try_into().ok()
    };
    Some((get(0)?, get(1)?, get(2)?))
}

/// Scratch: per query row of the tile, the accumulator (Dv), max and sum; BC scores.
pub fn scratch_bytes(g: &Graph, id: NodeId, t: &KernelTarget) -> usize {
    let Some((q, _k, v)) = shapes(g, id) else { return 0 };
    let tl = tiles(t, q[3], v[3], q[2], v[2]);
    (tl.br * (v[3] + 2) + tl.br * tl.bc) * 4
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::Attention(attrs) = k.node.op.clone() else { unreachable!() };
    let (q, kk, v) = (k.input(0)?.clone(), k.input(1)?.clone(), k.input(2)?.clone());
    let mask = k.ins.get(3).cloned().flatten();
    let y = k.outs[0].clone();
    if !matches!(q.dt, DType::F32 | DType::F16 | DType::BF16) {
        return k.unsupported(format!("attention in {} (f32, f16, bf16 are compiled)", q.dt));
    }
    let [b, hq, sq, d] = q.shape[..] else { return k.unsupported("q must be 4-D") };
    let [_, hk, skv, _] = kk.shape[..] else { return k.unsupported("k must be 4-D") };
    let dv = v.shape[3];
    if hk == 0 || hq % hk != 0 || b * hq * sq == 0 {
        return k.unsupported("degenerate attention shapes");
    }
    if skv == 0 {
        return k.unsupported("attention over zero keys");
    }
    let reps = hq / hk;
    let tl = tiles(k.target, d, dv, sq, skv);
    let Some((scr, bytes)) = k.scratch.clone() else { return k.unsupported("attention needs scratch") };
    let scale = attrs.scale.map_or(1.0 / (d as f64).sqrt(), |s| s.0 as f64);
    let cap = attrs.softcap.0 as f64;
    let causal = attrs.causal;

    let f = &mut k.f;
    let s32 = Scalar::Float(32);
    let vl = tl.vl;
    let vty = format!("vector<{vl}xf32>");
    // Scratch views: acc[BR][Dv], m[BR], l[BR], s[BR][BC].
    let c0 = f.idx(0);
    let acc_ty = format!("memref<{}x{dv}xf32>", tl.br);
    let row_ty = format!("memref<{}xf32>", tl.br);
    let s_ty = format!("memref<{}x{}xf32>", tl.br, tl.bc);
    let acc = f.op(format!("memref.view {scr}[{c0}][] : memref<{bytes}xi8> to {acc_ty}"));
    let o1 = f.idx(tl.br * dv * 4);
    let mm = f.op(format!("memref.view {scr}[{o1}][] : memref<{bytes}xi8> to {row_ty}"));
    let o2 = f.idx(tl.br * (dv + 1) * 4);
    let ll = f.op(format!("memref.view {scr}[{o2}][] : memref<{bytes}xi8> to {row_ty}"));
    let o3 = f.idx(tl.br * (dv + 2) * 4);
    let ss = f.op(format!("memref.view {scr}[{o3}][] : memref<{bytes}xi8> to {s_ty}"));
    let zero = f.fconst(0.0, s32);
    let ninf = f.fconst(f64::NEG_INFINITY, s32);
    let one = f.fconst(1.0, s32);
    let scale_c = f.fconst(scale, s32);
    let zv = f.op(format!("vector.broadcast {zero} : f32 to {vty}"));

    // Vector chunks over a head dim of size n: (offset, Some(mask) for a partial tail).
    let chunks = |f: &mut Func, n: usize| -> Vec<(String, Option<String>, usize)> {
        (0..n.div_ceil(vl))
            .map(|c| {
                let off = f.idx(c * vl);
                let valid = (n - c * vl).min(vl);
                let m = (valid < vl).then(|| f.op(format!("vector.constant_mask [{valid}] : vector<{vl}xi1>")));
                (off, m, valid)
            })
            .collect()
    };
    let dchunks = chunks(f, d);
    let vchunks = chunks(f, dv);
    // Load a vector of a tensor row (any float dtype) as f32.
    let vload = |f: &mut Func, o: &Operand, idx: &str, m: &Option<String>| -> String {
        let e = elem_type(o.dt).unwrap();
        let vt = format!("vector<{vl}x{e}>");
        let raw = match m {
            None => f.op(format!("vector.load {}[{idx}] : {}, {vt}", o.mem, o.mty)),
            Some(mk) => {
                let pz = f.cst("0.0", e);
                let pv = f.op(format!("vector.broadcast {pz} : {e} to {vt}"));
                f.op(format!("vector.maskedload {}[{idx}], {mk}, {pv} : {}, vector<{vl}xi1>, {vt} into {vt}", o.mem, o.mty))
            }
        };
        if e == "f32" {
            raw
        } else {
            f.op(format!("arith.extf {raw} : {vt} to {vty}"))
        }
    };

    let nb = tl.br;
    let full_tiles = sq / nb;
    f.nest(&[b, hq], |f, bh| {
        let (bi, h) = (bh[0].clone(), bh[1].clone());
        let reps_c = f.idx(reps);
        let kh = f.op(format!("arith.divui {h}, {reps_c} : index"));
        // One query tile of `rows` rows starting at i0 (a runtime index).
        let tile = |f: &mut Func, i0: &str, rows: usize| {
            // Reset the running state.
            for r in 0..rows {
                let rc = f.idx(r);
                f.line(format!("memref.store {ninf}, {mm}[{rc}] : {row_ty}"));
                f.line(format!("memref.store {zero}, {ll}[{rc}] : {row_ty}"));
                f.for_range(0, dv, |f, t| f.line(format!("memref.store {zero}, {acc}[{rc}, {t}] : {acc_ty}")));
            }
            // Key blocks: with a causal mask, only blocks starting at or before the last
            // visible key of the tile's last row (i0 + rows - 1 + skv - sq).
            let nblocks = skv.div_ceil(tl.bc);
            let nbl = if causal {
                // Visible keys of the tile's last row: (i0 + rows - 1) + skv - sq + 1.
                let extra = (rows + skv) as i64 - sq as i64;
                let lim = if extra >= 0 {
                    let e = f.idx(extra as usize);
                    f.op(format!("arith.addi {i0}, {e} : index"))
                } else {
                    let e = f.idx((-extra) as usize);
                    let z = f.idx(0);
                    let c = f.op(format!("arith.cmpi ult, {i0}, {e} : index"));
                    let d = f.op(format!("arith.subi {i0}, {e} : index"));
                    f.op(format!("arith.select {c}, {z}, {d} : index"))
                };
                // ceil(lim / bc), at most nblocks.
                let bcm1 = f.idx(tl.bc - 1);
                let bc_c = f.idx(tl.bc);
                let n = f.op(format!("arith.addi {lim}, {bcm1} : index"));
                let n = f.op(format!("arith.divui {n}, {bc_c} : index"));
                let nbc = f.idx(nblocks);
                f.op(format!("arith.minui {n}, {nbc} : index"))
            } else {
                f.idx(nblocks)
            };
            let c0 = f.idx(0);
            let c1 = f.idx(1);
            let blk = f.fresh();
            f.line(format!("scf.for {blk} = {c0} to {nbl} step {c1} {{"));
            f.enter();
            let bcc = f.idx(tl.bc);
            let j0 = f.op(format!("arith.muli {blk}, {bcc} : index"));
            let skv_c = f.idx(skv);
            let rem = f.op(format!("arith.subi {skv_c}, {j0} : index"));
            let jn = f.op(format!("arith.minui {rem}, {bcc} : index"));
            for r in 0..rows {
                let rc = f.idx(r);
                let i = f.op(format!("arith.addi {i0}, {rc} : index"));
                // Scaled query vectors.
                let qv: Vec<String> = dchunks
                    .iter()
                    .map(|(off, m, _)| {
                        let x = vload(f, &q, &format!("{bi}, {h}, {i}, {off}"), m);
                        let sv = f.op(format!("vector.broadcast {scale_c} : f32 to {vty}"));
                        f.op(format!("arith.mulf {x}, {sv} : {vty}"))
                    })
                    .collect();
                // Scores of this block, and their max.
                let m_old = f.op(format!("memref.load {mm}[{rc}] : {row_ty}"));
                let outs = f.for_iter_dyn(&c0, &jn, &[(m_old.clone(), "f32".into())], |f, jj, carried| {
                    let j = f.op(format!("arith.addi {j0}, {jj} : index"));
                    let mut dot = zv.clone();
                    for ((off, m, _), qx) in dchunks.iter().zip(&qv) {
                        let kx = vload(f, &kk, &format!("{bi}, {kh}, {j}, {off}"), m);
                        dot = f.op(format!("vector.fma {qx}, {kx}, {dot} : {vty}"));
                    }
                    let mut s = f.op(format!("vector.reduction <add>, {dot} : {vty} into f32"));
                    if cap > 0.0 {
                        let cc = f.fconst(cap, s32);
                        let x = f.op(format!("arith.divf {s}, {cc} : f32"));
                        let t = f.op(format!("math.tanh {x} : f32"));
                        s = f.op(format!("arith.mulf {cc}, {t} : f32"));
                    }
                    if let Some(mo) = &mask {
                        let full = [bi.as_str(), h.as_str(), i.as_str(), j.as_str()];
                        let dims = [b, hq, sq, skv];
                        let off = 4 - mo.shape.len();
                        let idx: Vec<String> = mo
                            .shape
                            .iter()
                            .enumerate()
                            .map(|(a, &n)| if n == 1 && dims[off + a] != 1 { f.idx(0) } else { full[off + a].to_string() })
                            .collect();
                        let raw = f.op(format!("memref.load {}[{}] : {}", mo.mem, idx.join(", "), mo.mty));
                        let add = if mo.dt == DType::Bool {
                            let z8 = f.cst("0", "i8");
                            let keep = f.op(format!("arith.cmpi ne, {raw}, {z8} : i8"));
                            f.op(format!("arith.select {keep}, {zero}, {ninf} : f32"))
                        } else {
                            f.widen(&raw, mo.dt)
                        };
                        s = f.op(format!("arith.addf {s}, {add} : f32"));
                    }
                    if causal {
                        // Visible iff j + sq <= i + skv.
                        let sq_c = f.idx(sq);
                        let lhs = f.op(format!("arith.addi {j}, {sq_c} : index"));
                        let rhs = f.op(format!("arith.addi {i}, {skv_c} : index"));
                        let hide = f.op(format!("arith.cmpi ugt, {lhs}, {rhs} : index"));
                        s = f.op(format!("arith.select {hide}, {ninf}, {s} : f32"));
                    }
                    f.line(format!("memref.store {s}, {ss}[{rc}, {jj}] : {s_ty}"));
                    vec![f.op(format!("arith.maximumf {}, {s} : f32", carried[0]))]
                });
                let m_new = outs[0].clone();
                // corr = exp(m_old - m_new) (0 when m_old is -inf and m_new finite).
                let diff = f.op(format!("arith.subf {m_old}, {m_new} : f32"));
                let both_inf = f.op(format!("arith.cmpf oeq, {m_old}, {m_new} : f32"));
                let corr0 = f.op(format!("math.exp {diff} : f32"));
                let corr = f.op(format!("arith.select {both_inf}, {one}, {corr0} : f32"));
                // Rescale the accumulator and the sum.
                let cv = f.op(format!("vector.broadcast {corr} : f32 to {vty}"));
                for (off, m, _) in &vchunks {
                    let a = acc_load(f, &acc, &acc_ty, &rc, off, m, &vty, &zv, vl);
                    let a = f.op(format!("arith.mulf {a}, {cv} : {vty}"));
                    acc_store(f, &a, &acc, &acc_ty, &rc, off, m, &vty, vl);
                }
                let l_old = f.op(format!("memref.load {ll}[{rc}] : {row_ty}"));
                let l_sc = f.op(format!("arith.mulf {l_old}, {corr} : f32"));
                // Fold the block: p = exp(s - m_new); l += p; acc += p · v.
                let lsum = f.for_iter_dyn(&c0, &jn, &[(l_sc, "f32".into())], |f, jj, carried| {
                    let j = f.op(format!("arith.addi {j0}, {jj} : index"));
                    let s = f.op(format!("memref.load {ss}[{rc}, {jj}] : {s_ty}"));
                    let x = f.op(format!("arith.subf {s}, {m_new} : f32"));
                    let p0 = f.op(format!("math.exp {x} : f32"));
                    // A fully masked row so far (m_new = -inf) contributes nothing.
                    let dead = f.op(format!("arith.cmpf oeq, {s}, {ninf} : f32"));
                    let p = f.op(format!("arith.select {dead}, {zero}, {p0} : f32"));
                    let pv = f.op(format!("vector.broadcast {p} : f32 to {vty}"));
                    for (off, m, _) in &vchunks {
                        let vx = vload(f, &v, &format!("{bi}, {kh}, {j}, {off}"), m);
                        let a = acc_load(f, &acc, &acc_ty, &rc, off, m, &vty, &zv, vl);
                        let a = f.op(format!("vector.fma {pv}, {vx}, {a} : {vty}"));
                        acc_store(f, &a, &acc, &acc_ty, &rc, off, m, &vty, vl);
                    }
                    vec![f.op(format!("arith.addf {}, {p} : f32", carried[0]))]
                });
                f.line(format!("memref.store {}, {ll}[{rc}] : {row_ty}", lsum[0]));
                f.line(format!("memref.store {m_new}, {mm}[{rc}] : {row_ty}"));
            }
            f.leave();
            f.line("}");
            // Normalise and write out.
            for r in 0..rows {
                let rc = f.idx(r);
                let i = f.op(format!("arith.addi {i0}, {rc} : index"));
                let l = f.op(format!("memref.load {ll}[{rc}] : {row_ty}"));
                let inv = f.op(format!("arith.divf {one}, {l} : f32"));
                f.for_range(0, dv, |f, t| {
                    let a = f.op(format!("memref.load {acc}[{rc}, {t}] : {acc_ty}"));
                    let o = f.op(format!("arith.mulf {a}, {inv} : f32"));
                    f.store(&o, &y.mem, &y.mty, &[bi.clone(), h.clone(), i.clone(), t.to_string()], y.dt);
                });
            }
        };
        if full_tiles > 0 {
            f.for_step(0, full_tiles * nb, nb, |f, i0| tile(f, i0, nb));
        }
        if sq % nb != 0 {
            let i0 = f.idx(full_tiles * nb);
            tile(f, &i0, sq % nb);
        }
    });
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn acc_load(f: &mut Func, acc: &str, acc_ty: &str, r: &str, off: &str, m: &Option<String>, vty: &str, zv: &str, vl: usize) -> String {
    match m {
        None => f.op(format!("vector.load {acc}[{r}, {off}] : {acc_ty}, {vty}")),
        Some(mk) => f.op(format!("vector.maskedload {acc}[{r}, {off}], {mk}, {zv} : {acc_ty}, vector<{vl}xi1>, {vty} into {vty}")),
    }
}

#[allow(clippy::too_many_arguments)]
fn acc_store(f: &mut Func, a: &str, acc: &str, acc_ty: &str, r: &str, off: &str, m: &Option<String>, vty: &str, vl: usize) {
    match m {
        None => f.line(format!("vector.store {a}, {acc}[{r}, {off}] : {acc_ty}, {vty}")),
        Some(mk) => f.line(format!("vector.maskedstore {acc}[{r}, {off}], {mk}, {a} : {acc_ty}, vector<{vl}xi1>, {vty}")),
    }
}
