//! Attention as a FlashAttention-style kernel. Per (batch, KV head) Kᵀ is packed once into a
//! zero-padded D×Skv panel; per query head, query rows go in tiles of BR and keys in blocks of
//! BC = NV vectors. A block's BR×BC scores are a register-tiled micro-GEMM (BR·NV accumulators,
//! one broadcast of the scaled query and NV contiguous Kᵀ loads per head-dim step); then, still
//! in registers, softcap, mask and causal limits apply, the online softmax updates each row's
//! running max and sum with a vector exp, and the probabilities go to a BR×BC scratch tile that
//! a second micro-GEMM folds into the BR×Dv output accumulator (rescaled by exp(m_old − m_new)).
//! The Sq×Skv score matrix is never materialised; with a causal mask, key blocks wholly in the
//! future of a query tile are skipped. A Kᵀ block (D×BC) and a V block (BC×Dv) are what one
//! block touches, L1-sized for usual head dims. Grouped KV heads share the packed panel.
//! f16/bf16 are computed in f32.

use super::fastexp::{exp_f32, exp_nonpos_vec};
use super::{Kernel, KernelTarget, Operand};
use crate::error::Result;
use crate::mlir::{elem_type, Func, Scalar};
use ir::{DType, Graph, NodeId, Op};

/// At most this many query rows per tile.
const MAX_BR: usize = 8;
/// At most this many vectors of keys per block.
const MAX_NV: usize = 4;

/// Tile sizes for one device and problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tiles {
    /// f32 lanes per vector.
    vl: usize,
    /// Query rows per tile.
    br: usize,
    /// Key vectors per block (BC = nv · vl keys).
    nv: usize,
    /// Output vectors per pass of the P·V micro-GEMM.
    nvo: usize,
    /// Skv rounded up to a whole block.
    skv_pad: usize,
    /// Row stride of the Kᵀ panel: one vector more than `skv_pad`, so that the rows a block
    /// reads do not all map to the same few L1 sets when `skv_pad` is a power of two.
    kt_stride: usize,
    /// Dv rounded up to whole vectors.
    dv_pad: usize,
}

impl Tiles {
    fn bc(&self) -> usize {
        self.nv * self.vl
    }
}

fn tiles(t: &KernelTarget, dv: usize, sq: usize, skv: usize) -> Tiles {
    let vl = t.f32_lanes.max(1);
    let regs = t.vector_registers.max(8);
    // Score tile: BR·NV accumulators + NV Kᵀ vectors + one broadcast must fit the register
    // file. Most accumulators first, then the fewest loads per FMA ((NV + BR) / (BR·NV)).
    let nv_max = skv.div_ceil(vl).clamp(1, MAX_NV);
    let (br, nv) = (1..=nv_max)
        .map(|nv| (((regs - nv - 1) / nv).clamp(1, MAX_BR), nv))
        .max_by_key(|&(br, nv)| (br * nv, std::cmp::Reverse(br + nv)))
        .unwrap();
    let br = br.min(sq.max(1));
    let nvo_all = dv.div_ceil(vl).max(1);
    // Output tile: BR·NVO accumulators + NVO V vectors + one broadcast.
    let nvo = ((regs - 1) / (br + 1)).clamp(1, nvo_all);
    let bc = nv * vl;
    let skv_pad = skv.div_ceil(bc) * bc;
    Tiles { vl, br, nv, nvo, skv_pad, kt_stride: skv_pad + vl, dv_pad: nvo_all * vl }
}

fn shapes(g: &Graph, id: NodeId) -> Option<([usize; 4], [usize; 4], [usize; 4])> {
    let ins = g.node_inputs(id);
    let get = |i: usize| -> Option<[usize; 4]> {
        let s = g.value_type(ins.get(i).copied().flatten()?).static_shape()?;
        s.try_into().ok()
    };
    Some((get(0)?, get(1)?, get(2)?))
}

/// Scratch layout, in f32 elements: Kᵀ panel, scaled Q tile, output accumulator, running max,
/// running sum, probability tile.
struct Layout {
    kt: usize,
    qs: usize,
    o: usize,
    m: usize,
    l: usize,
    p: usize,
    total: usize,
}

fn layout(tl: &Tiles, d: usize) -> Layout {
    let kt = 0;
    let qs = kt + d * tl.kt_stride;
    let o = qs + tl.br * d;
    let m = o + tl.br * tl.dv_pad;
    let l = m + tl.br;
    let p = l + tl.br;
    let total = p + tl.br * tl.bc();
    Layout { kt, qs, o, m, l, p, total }
}

pub fn scratch_bytes(g: &Graph, id: NodeId, t: &KernelTarget) -> usize {
    let Some((q, _k, v)) = shapes(g, id) else { return 0 };
    let tl = tiles(t, v[3], q[2], v[2]);
    layout(&tl, q[3]).total * 4
}

/// Names shared by the pieces of one kernel.
struct Ctx<'a> {
    q: &'a Operand,
    k: &'a Operand,
    v: &'a Operand,
    mask: Option<&'a Operand>,
    y: &'a Operand,
    tl: Tiles,
    dims: [usize; 4],
    d: usize,
    dv: usize,
    skv: usize,
    scale: f64,
    cap: f64,
    causal: bool,
    /// Scratch views and their types.
    kt: (String, String),
    qs: (String, String),
    o: (String, String),
    m: (String, String),
    l: (String, String),
    p: (String, String),
    vty: String,
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
    if hk == 0 || hq % hk != 0 || b * hq * sq * dv == 0 {
        return k.unsupported("degenerate attention shapes");
    }
    if skv == 0 || d == 0 {
        return k.unsupported("attention over zero keys or an empty head dim");
    }
    if let Some(mo) = &mask {
        if !matches!(mo.dt, DType::Bool | DType::F32 | DType::F16 | DType::BF16) || mo.shape.len() > 4 {
            return k.unsupported(format!("attention mask {} of rank {}", mo.dt, mo.shape.len()));
        }
    }
    let tl = tiles(k.target, dv, sq, skv);
    let lay = layout(&tl, d);
    let Some((scr, bytes)) = k.scratch.clone() else { return k.unsupported("attention needs scratch") };
    if bytes < lay.total * 4 {
        return k.unsupported("attention scratch is smaller than its tiles");
    }
    let f = &mut k.f;
    let view = |f: &mut Func, off: usize, shape: &str| {
        let o = f.idx(off * 4);
        let ty = format!("memref<{shape}xf32>");
        (f.op(format!("memref.view {scr}[{o}][] : memref<{bytes}xi8> to {ty}")), ty)
    };
    let (br, bc) = (tl.br, tl.bc());
    let cx = Ctx {
        kt: view(f, lay.kt, &format!("{d}x{}", tl.kt_stride)),
        qs: view(f, lay.qs, &format!("{br}x{d}")),
        o: view(f, lay.o, &format!("{br}x{}", tl.dv_pad)),
        m: view(f, lay.m, &format!("{br}")),
        l: view(f, lay.l, &format!("{br}")),
        p: view(f, lay.p, &format!("{br}x{bc}")),
        q: &q,
        k: &kk,
        v: &v,
        mask: mask.as_ref(),
        y: &y,
        tl,
        dims: [b, hq, sq, skv],
        d,
        dv,
        skv,
        scale: attrs.scale.map_or(1.0 / (d as f64).sqrt(), |s| s.0 as f64),
        cap: attrs.softcap.0 as f64,
        causal: attrs.causal,
        vty: format!("vector<{}xf32>", tl.vl),
    };
    let reps = hq / hk;
    let full_tiles = sq / br;
    f.nest(&[b, hk], |f, bk| {
        let (bi, kh) = (bk[0].clone(), bk[1].clone());
        pack_kt(f, &cx, &bi, &kh);
        f.for_range(0, reps, |f, rep| {
            let reps_c = f.idx(reps);
            let h0 = f.op(format!("arith.muli {kh}, {reps_c} : index"));
            let h = f.op(format!("arith.addi {h0}, {rep} : index"));
            let hd = Heads { bi: &bi, h: &h, kh: &kh };
            if full_tiles > 0 {
                f.for_step(0, full_tiles * br, br, |f, i0| query_tile(f, &cx, &hd, i0, br));
            }
            if sq % br != 0 {
                let i0 = f.idx(full_tiles * br);
                query_tile(f, &cx, &hd, &i0, sq % br);
            }
        });
    });
    Ok(())
}

/// The batch, query head and KV head being computed.
struct Heads<'a> {
    bi: &'a str,
    h: &'a str,
    kh: &'a str,
}

/// Kᵀ[x, j] = K[b, kh, j, x] in f32, columns Skv..Skv_pad zero.
fn pack_kt(f: &mut Func, cx: &Ctx, bi: &str, kh: &str) {
    let (kt, kt_ty) = &cx.kt;
    f.for_range(0, cx.skv, |f, j| {
        f.for_range(0, cx.d, |f, x| {
            let val = f.load(&cx.k.mem, &cx.k.mty, &[bi.into(), kh.into(), j.into(), x.into()], cx.k.dt);
            f.line(format!("memref.store {val}, {kt}[{x}, {j}] : {kt_ty}"));
        });
    });
    if cx.tl.skv_pad > cx.skv {
        let zero = f.fconst(0.0, Scalar::Float(32));
        f.for_range(cx.skv, cx.tl.skv_pad, |f, j| {
            f.for_range(0, cx.d, |f, x| f.line(format!("memref.store {zero}, {kt}[{x}, {j}] : {kt_ty}")));
        });
    }
}

/// One tile of `rows` query rows starting at `i0`, through every visible key block.
fn query_tile(f: &mut Func, cx: &Ctx, hd: &Heads, i0: &str, rows: usize) {
    let Tiles { vl, nv, dv_pad, .. } = cx.tl;
    let bc = cx.tl.bc();
    let (sq, skv) = (cx.dims[2], cx.skv);
    let s32 = Scalar::Float(32);
    let vty = cx.vty.as_str();
    let (zero, ninf) = (f.fconst(0.0, s32), f.fconst(f64::NEG_INFINITY, s32));
    let zv = f.op(format!("vector.broadcast {zero} : f32 to {vty}"));
    let (qs, qs_ty) = &cx.qs;
    let (o, o_ty) = &cx.o;
    let (m, m_ty) = &cx.m;
    let (l, l_ty) = &cx.l;
    let (p, p_ty) = &cx.p;
    let (kt, kt_ty) = &cx.kt;
    let row_ix: Vec<String> = (0..rows)
        .map(|r| {
            let rc = f.idx(r);
            f.op(format!("arith.addi {i0}, {rc} : index"))
        })
        .collect();
    // Scaled query rows, running state reset.
    let scale = f.fconst(cx.scale, s32);
    for (r, i) in row_ix.iter().enumerate() {
        let rc = f.idx(r);
        f.for_range(0, cx.d, |f, x| {
            let val = f.load(&cx.q.mem, &cx.q.mty, &[hd.bi.into(), hd.h.into(), i.clone(), x.into()], cx.q.dt);
            let val = f.op(format!("arith.mulf {val}, {scale} : f32"));
            f.line(format!("memref.store {val}, {qs}[{rc}, {x}] : {qs_ty}"));
        });
        f.line(format!("memref.store {ninf}, {m}[{rc}] : {m_ty}"));
        f.line(format!("memref.store {zero}, {l}[{rc}] : {l_ty}"));
        for c in 0..dv_pad / vl {
            let off = f.idx(c * vl);
            f.line(format!("vector.store {zv}, {o}[{rc}, {off}] : {o_ty}, {vty}"));
        }
    }
    let nblocks = skv.div_ceil(bc);
    let nbl = if cx.causal { causal_blocks(f, i0, rows, sq, skv, bc, nblocks) } else { f.idx(nblocks) };
    let (c0, c1) = (f.idx(0), f.idx(1));
    let blk = f.fresh();
    f.line(format!("scf.for {blk} = {c0} to {nbl} step {c1} {{"));
    f.enter();
    let bcc = f.idx(bc);
    let j0 = f.op(format!("arith.muli {blk}, {bcc} : index"));
    let skv_c = f.idx(skv);
    let rem = f.op(format!("arith.subi {skv_c}, {j0} : index"));
    let jn = f.op(format!("arith.minui {rem}, {bcc} : index"));
    let col_off: Vec<String> = (0..nv)
        .map(|c| {
            let off = f.idx(c * vl);
            f.op(format!("arith.addi {j0}, {off} : index"))
        })
        .collect();

    // Scores: S[r][c] = Σₓ Qs[r][x] · Kᵀ[x][j0 + c·vl ..], in registers.
    let inits: Vec<(String, String)> = (0..rows * nv).map(|_| (zv.clone(), vty.to_string())).collect();
    let scores = f.for_iter(0, cx.d, 1, &inits, |f, x, acc| {
        let kv: Vec<String> =
            col_off.iter().map(|j| f.op(format!("vector.load {kt}[{x}, {j}] : {kt_ty}, {vty}"))).collect();
        let mut out = Vec::with_capacity(acc.len());
        for r in 0..rows {
            let rc = f.idx(r);
            let s = f.op(format!("memref.load {qs}[{rc}, {x}] : {qs_ty}"));
            let qb = f.op(format!("vector.broadcast {s} : f32 to {vty}"));
            for (c, kx) in kv.iter().enumerate() {
                out.push(f.op(format!("vector.fma {qb}, {kx}, {} : {vty}", acc[r * nv + c])));
            }
        }
        out
    });

    // Softcap, mask and limits. Only blocks reaching past Skv or, causal, past the first row's
    // last visible key need the limits; the others take a branch without them.
    let fix = |f: &mut Func, limits: bool| -> Vec<String> {
        let mut out = scores.clone();
        for (r, i) in row_ix.iter().enumerate() {
            for c in 0..nv {
                let sv = &mut out[r * nv + c];
                *sv = score_fixups(f, cx, hd, i, &col_off[c], &jn, c, sv, limits);
            }
        }
        out
    };
    let bc_c = f.idx(bc);
    let jend = f.op(format!("arith.addi {j0}, {bc_c} : index"));
    let mut conds = vec![];
    if skv % bc != 0 {
        conds.push(f.op(format!("arith.cmpi ugt, {jend}, {skv_c} : index")));
    }
    if cx.causal {
        // The first row sees keys j ≤ i0 + Skv − Sq: the block is clear if jend + Sq ≤ i0 + Skv + 1.
        let sqc = f.idx(sq);
        let lhs = f.op(format!("arith.addi {jend}, {sqc} : index"));
        let a = f.idx(skv + 1);
        let rhs = f.op(format!("arith.addi {i0}, {a} : index"));
        conds.push(f.op(format!("arith.cmpi ugt, {lhs}, {rhs} : index")));
    }
    let fixed = match conds.len() {
        0 => fix(f, false),
        _ => {
            let mut need = conds[0].clone();
            for c in &conds[1..] {
                need = f.op(format!("arith.ori {need}, {c} : i1"));
            }
            let tys = vec![vty.to_string(); rows * nv];
            super::ix::if_else(f, &need, &tys, |f| fix(f, true), |f| fix(f, false))
        }
    };

    // Per row: online softmax; probabilities to scratch.
    let mut corr = vec![];
    for r in 0..rows {
        let rc = f.idx(r);
        let s: Vec<String> = fixed[r * nv..(r + 1) * nv].to_vec();
        let mut mx = s[0].clone();
        for sv in &s[1..] {
            mx = f.op(format!("arith.maximumf {mx}, {sv} : {vty}"));
        }
        let bmax = f.op(format!("vector.reduction <maximumf>, {mx} : {vty} into f32"));
        let m_old = f.op(format!("memref.load {m}[{rc}] : {m_ty}"));
        let m_new = f.op(format!("arith.maximumf {m_old}, {bmax} : f32"));
        // A row with every key so far masked keeps max −∞; shifting by 0 keeps its p at 0.
        let dead = f.op(format!("arith.cmpf oeq, {m_new}, {ninf} : f32"));
        let m_use = f.op(format!("arith.select {dead}, {zero}, {m_new} : f32"));
        let mv = f.op(format!("vector.broadcast {m_use} : f32 to {vty}"));
        let mut sum = zv.clone();
        for (c, sv) in s.iter().enumerate() {
            let x = f.op(format!("arith.subf {sv}, {mv} : {vty}"));
            let pv = exp_nonpos_vec(f, &x, vl);
            let off = f.idx(c * vl);
            f.line(format!("vector.store {pv}, {p}[{rc}, {off}] : {p_ty}, {vty}"));
            sum = f.op(format!("arith.addf {sum}, {pv} : {vty}"));
        }
        let bsum = f.op(format!("vector.reduction <add>, {sum} : {vty} into f32"));
        let dm = f.op(format!("arith.subf {m_old}, {m_use} : f32"));
        let cr = exp_f32(f, &dm);
        let l_old = f.op(format!("memref.load {l}[{rc}] : {l_ty}"));
        let l_sc = f.op(format!("arith.mulf {l_old}, {cr} : f32"));
        let l_new = f.op(format!("arith.addf {l_sc}, {bsum} : f32"));
        f.line(format!("memref.store {l_new}, {l}[{rc}] : {l_ty}"));
        f.line(format!("memref.store {m_new}, {m}[{rc}] : {m_ty}"));
        corr.push(f.op(format!("vector.broadcast {cr} : f32 to {vty}")));
    }

    // O[r] = O[r] · corr[r] + Σⱼ P[r][j] · V[j], NVO output vectors at a time, in registers.
    let nvo_all = dv_pad / vl;
    let mut c0v = 0;
    while c0v < nvo_all {
        let n = cx.tl.nvo.min(nvo_all - c0v);
        let chunk: Vec<(String, Option<String>)> = (c0v..c0v + n)
            .map(|c| {
                let off = f.idx(c * vl);
                let valid = (cx.dv - c * vl).min(vl);
                let mk = (valid < vl).then(|| f.op(format!("vector.constant_mask [{valid}] : vector<{vl}xi1>")));
                (off, mk)
            })
            .collect();
        let mut inits = vec![];
        for (r, cr) in corr.iter().enumerate() {
            let rc = f.idx(r);
            for (off, _) in &chunk {
                let a = f.op(format!("vector.load {o}[{rc}, {off}] : {o_ty}, {vty}"));
                inits.push((f.op(format!("arith.mulf {a}, {cr} : {vty}")), vty.to_string()));
            }
        }
        let outs = f.for_iter_dyn(&c0, &jn, &inits, |f, jj, acc| {
            let j = f.op(format!("arith.addi {j0}, {jj} : index"));
            let vv: Vec<String> = chunk
                .iter()
                .map(|(off, mk)| {
                    let idx = format!("{}, {}, {j}, {off}", hd.bi, hd.kh);
                    vload(f, cx.v, &idx, mk.as_deref(), vl)
                })
                .collect();
            let mut out = Vec::with_capacity(acc.len());
            for r in 0..rows {
                let rc = f.idx(r);
                let s = f.op(format!("memref.load {p}[{rc}, {jj}] : {p_ty}"));
                let pb = f.op(format!("vector.broadcast {s} : f32 to {vty}"));
                for (w, vx) in vv.iter().enumerate() {
                    out.push(f.op(format!("vector.fma {pb}, {vx}, {} : {vty}", acc[r * n + w])));
                }
            }
            out
        });
        for r in 0..rows {
            let rc = f.idx(r);
            for (w, (off, _)) in chunk.iter().enumerate() {
                f.line(format!("vector.store {}, {o}[{rc}, {off}] : {o_ty}, {vty}", outs[r * n + w]));
            }
        }
        c0v += n;
    }
    f.leave();
    f.line("}");

    // Normalise and write out.
    let one = f.fconst(1.0, s32);
    for (r, i) in row_ix.iter().enumerate() {
        let rc = f.idx(r);
        let lv = f.op(format!("memref.load {l}[{rc}] : {l_ty}"));
        let inv = f.op(format!("arith.divf {one}, {lv} : f32"));
        let y = cx.y;
        if y.dt == DType::F32 {
            let invv = f.op(format!("vector.broadcast {inv} : f32 to {vty}"));
            for c in 0..nvo_all {
                let off = f.idx(c * vl);
                let a = f.op(format!("vector.load {o}[{rc}, {off}] : {o_ty}, {vty}"));
                let a = f.op(format!("arith.mulf {a}, {invv} : {vty}"));
                let idx = format!("{}, {}, {i}, {off}", hd.bi, hd.h);
                let valid = (cx.dv - c * vl).min(vl);
                if valid < vl {
                    let mk = f.op(format!("vector.constant_mask [{valid}] : vector<{vl}xi1>"));
                    f.line(format!("vector.maskedstore {}[{idx}], {mk}, {a} : {}, vector<{vl}xi1>, {vty}", y.mem, y.mty));
                } else {
                    f.line(format!("vector.store {a}, {}[{idx}] : {}, {vty}", y.mem, y.mty));
                }
            }
        } else {
            f.for_range(0, cx.dv, |f, t| {
                let a = f.op(format!("memref.load {o}[{rc}, {t}] : {o_ty}"));
                let a = f.op(format!("arith.mulf {a}, {inv} : f32"));
                f.store(&a, &y.mem, &y.mty, &[hd.bi.into(), hd.h.into(), i.clone(), t.into()], y.dt);
            });
        }
    }
}

/// Key blocks a causal tile needs: those starting at or before the last key visible to its
/// last row, i.e. ceil((i0 + rows + Skv − Sq) / BC), at most all of them.
fn causal_blocks(f: &mut Func, i0: &str, rows: usize, sq: usize, skv: usize, bc: usize, nblocks: usize) -> String {
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
    let bcm1 = f.idx(bc - 1);
    let bc_c = f.idx(bc);
    let n = f.op(format!("arith.addi {lim}, {bcm1} : index"));
    let n = f.op(format!("arith.divui {n}, {bc_c} : index"));
    let nbc = f.idx(nblocks);
    f.op(format!("arith.minui {n}, {nbc} : index"))
}

/// Softcap, the mask input, and with `limits` the causal limit and the padding past Skv, on
/// one score vector of row `i` whose first key is `j` (vector `c` of a block whose first `jn`
/// keys are real). Without `limits` every key of the block must be real.
#[allow(clippy::too_many_arguments)]
fn score_fixups(
    f: &mut Func,
    cx: &Ctx,
    hd: &Heads,
    i: &str,
    j: &str,
    jn: &str,
    c: usize,
    s: &str,
    limits: bool,
) -> String {
    let vl = cx.tl.vl;
    let vty = cx.vty.as_str();
    let s32 = Scalar::Float(32);
    let (zero, ninf) = (f.fconst(0.0, s32), f.fconst(f64::NEG_INFINITY, s32));
    let mut s = s.to_string();
    if cx.cap > 0.0 {
        let cc = f.fconst(cx.cap, s32);
        let ccv = f.op(format!("vector.broadcast {cc} : f32 to {vty}"));
        let x = f.op(format!("arith.divf {s}, {ccv} : {vty}"));
        let t = f.op(format!("math.tanh {x} : {vty}"));
        s = f.op(format!("arith.mulf {ccv}, {t} : {vty}"));
    }
    // Lanes of this vector holding real keys: jn − c·vl, clamped to [0, vl].
    let zi = f.idx(0);
    let lanes = limits.then(|| {
        let coff = f.idx(c * vl);
        let valid = f.op(format!("arith.subi {jn}, {coff} : index"));
        let valid = f.op(format!("arith.maxsi {valid}, {zi} : index"));
        f.op(format!("vector.create_mask {valid} : vector<{vl}xi1>"))
    });
    if let Some(mo) = cx.mask {
        let full = [hd.bi, hd.h, i, j];
        let off = 4 - mo.shape.len();
        let per_key = mo.shape.last().is_some_and(|&n| n != 1) || (cx.skv == 1 && !mo.shape.is_empty());
        let idx: Vec<String> = mo
            .shape
            .iter()
            .enumerate()
            .map(|(a, &n)| if n == 1 && cx.dims[off + a] != 1 { f.idx(0) } else { full[off + a].to_string() })
            .collect();
        let add = if per_key {
            if mo.dt == DType::Bool {
                let z8 = f.cst("dense<0>", &format!("vector<{vl}xi8>"));
                let raw = match &lanes {
                    Some(lanes) => f.op(format!(
                        "vector.maskedload {}[{}], {lanes}, {z8} : {}, vector<{vl}xi1>, vector<{vl}xi8> into vector<{vl}xi8>",
                        mo.mem,
                        idx.join(", "),
                        mo.mty
                    )),
                    None => f.op(format!("vector.load {}[{}] : {}, vector<{vl}xi8>", mo.mem, idx.join(", "), mo.mty)),
                };
                let keep = f.op(format!("arith.cmpi ne, {raw}, {z8} : vector<{vl}xi8>"));
                let zv = f.op(format!("vector.broadcast {zero} : f32 to {vty}"));
                let nv = f.op(format!("vector.broadcast {ninf} : f32 to {vty}"));
                f.op(format!("arith.select {keep}, {zv}, {nv} : vector<{vl}xi1>, {vty}"))
            } else {
                vload(f, mo, &idx.join(", "), lanes.as_deref(), vl)
            }
        } else {
            let raw = f.op(format!("memref.load {}[{}] : {}", mo.mem, idx.join(", "), mo.mty));
            let add = if mo.dt == DType::Bool {
                let z8 = f.cst("0", "i8");
                let keep = f.op(format!("arith.cmpi ne, {raw}, {z8} : i8"));
                f.op(format!("arith.select {keep}, {zero}, {ninf} : f32"))
            } else {
                f.widen(&raw, mo.dt)
            };
            f.op(format!("vector.broadcast {add} : f32 to {vty}"))
        };
        s = f.op(format!("arith.addf {s}, {add} : {vty}"));
    }
    // Keys past Skv (padding) and, with a causal mask, keys after i + Skv − Sq are hidden.
    let Some(lanes) = lanes else { return s };
    let nv = f.op(format!("vector.broadcast {ninf} : f32 to {vty}"));
    s = f.op(format!("arith.select {lanes}, {s}, {nv} : vector<{vl}xi1>, {vty}"));
    if cx.causal {
        let sq = cx.dims[2];
        // Visible iff j + lane ≤ i + Skv − Sq, i.e. lane < i + Skv − Sq + 1 − j.
        let a = f.idx(cx.skv + 1);
        let t = f.op(format!("arith.addi {i}, {a} : index"));
        let sqc = f.idx(sq);
        let t = f.op(format!("arith.subi {t}, {sqc} : index"));
        let t = f.op(format!("arith.subi {t}, {j} : index"));
        let t = f.op(format!("arith.maxsi {t}, {zi} : index"));
        let vis = f.op(format!("vector.create_mask {t} : vector<{vl}xi1>"));
        s = f.op(format!("arith.select {vis}, {s}, {nv} : vector<{vl}xi1>, {vty}"));
    }
    s
}

/// A vector of a float tensor at `idx` (lanes beyond `mask` read as 0), as f32.
fn vload(f: &mut Func, o: &Operand, idx: &str, mask: Option<&str>, vl: usize) -> String {
    let e = elem_type(o.dt).unwrap();
    let vt = format!("vector<{vl}x{e}>");
    let raw = match mask {
        None => f.op(format!("vector.load {}[{idx}] : {}, {vt}", o.mem, o.mty)),
        Some(mk) => {
            let pz = f.cst("dense<0.0>", &vt);
            f.op(format!("vector.maskedload {}[{idx}], {mk}, {pz} : {}, vector<{vl}xi1>, {vt} into {vt}", o.mem, o.mty))
        }
    };
    if e == "f32" {
        raw
    } else {
        f.op(format!("arith.extf {raw} : {vt} to vector<{vl}xf32>"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(lanes: usize, regs: usize) -> KernelTarget {
        KernelTarget { f32_lanes: lanes, vector_registers: regs, l1_bytes: 32 << 10, l2_bytes: 1 << 20 }
    }

    #[test]
    fn tiles_fit_the_register_file() {
        for (lanes, regs) in [(16, 32), (8, 16), (4, 32), (8, 32), (4, 16)] {
            let t = target(lanes, regs);
            for (dv, sq, skv) in [(64, 256, 256), (128, 1, 4096), (7, 3, 5), (1, 1, 1), (256, 17, 33)] {
                let tl = tiles(&t, dv, sq, skv);
                assert!(tl.br * tl.nv + tl.nv + 1 <= regs, "{tl:?} for {regs} registers");
                assert!(tl.br * tl.nvo + tl.nvo + 1 <= regs, "{tl:?} for {regs} registers");
                assert!(tl.br >= 1 && tl.br <= sq.max(1) && tl.nv >= 1 && tl.nvo >= 1);
                assert!(tl.skv_pad >= skv && tl.skv_pad % tl.bc() == 0);
                assert!(tl.dv_pad >= dv && tl.dv_pad % lanes == 0);
            }
        }
        // AVX-512: 6 query rows × 4 key vectors (24 accumulators), the whole of Dv = 64 at once.
        let tl = tiles(&target(16, 32), 64, 256, 256);
        assert_eq!((tl.br, tl.nv, tl.nvo), (6, 4, 4));
    }
}
