//! Fast f32 convolutions (NCHW). Two shapes of kernel:
//! - GEMM: per batch and group, Y[M, OHW] = W[M, C·taps] · B[C·taps, OHW] where B is the input
//!   itself for a pointwise (1×1, stride 1, unpadded) conv, else an im2col buffer in scratch.
//!   The product is register-tiled (`gemm_tiles`): vectors run along the output pixels.
//! - depthwise (one input channel per group, 1-D or 2-D): each input plane is copied once into
//!   zero-padded, stride-phase-split planes in scratch so every tap reads a contiguous vector of
//!   output columns; a tile of output rows × column vectors accumulates all taps in registers.

use super::conv_geom::Window;
use super::fused::FlatEpilogue;
use super::gemm_tiles::{self, Mat, Tiling};
use super::{ix, Kernel, KernelTarget};
use crate::error::Result;
use crate::mlir::{Func, Scalar};

/// How a given f32 Conv is computed.
#[derive(Clone, Debug)]
pub enum Plan {
    Gemm { im2col: bool, m: usize, n: usize, k: usize, tiling: Tiling },
    Depthwise(Dw),
}

/// A depthwise conv normalized to 2-D.
#[derive(Clone, Debug)]
pub struct Dw {
    h: usize,
    w: usize,
    oh: usize,
    ow: usize,
    kh: usize,
    kw: usize,
    sh: usize,
    sw: usize,
    dh: usize,
    dw: usize,
    pt: usize,
    pl: usize,
    vl: usize,
    /// Rows of the phase planes (input rows the outputs can reach).
    hp: usize,
    /// Columns of each phase plane (covering every column vector, tail included).
    wq: usize,
    /// Row × column-vector tile.
    rows: usize,
    vecs: usize,
}

/// Largest number of taps the depthwise kernel unrolls.
const MAX_DW_TAPS: usize = 64;

impl Plan {
    pub fn scratch_bytes(&self) -> usize {
        match self {
            Plan::Gemm { im2col: true, n, k, .. } => n * k * 4,
            Plan::Gemm { .. } => 0,
            Plan::Depthwise(d) => (d.sw * d.hp * d.wq + d.vl) * 4,
        }
    }
}

pub fn plan(win: &Window, xs: &[usize], ws: &[usize], group: usize, t: &KernelTarget) -> Option<Plan> {
    let nd = win.img.len();
    if group == 0 || !xs[1].is_multiple_of(group) || !ws[0].is_multiple_of(group) || win.col_size() == 0 || xs.contains(&0) {
        return None;
    }
    let cg = xs[1] / group;
    let taps = win.taps();
    if cg == 1 && (nd == 1 || nd == 2) && taps <= MAX_DW_TAPS {
        let two = |v: &[usize], d: usize| if nd == 1 { (d, v[0]) } else { (v[0], v[1]) };
        let (h, w) = two(&win.img, 1);
        let (oh, ow) = two(&win.cols, 1);
        let (kh, kw) = two(&win.kernel, 1);
        let (sh, sw) = two(&win.strides, 1);
        let (dh, dw) = two(&win.dilations, 1);
        let (pt, pl) = two(&win.pad_begin, 0);
        let vl = t.f32_lanes.max(1);
        let nvec = ow.div_ceil(vl);
        let hp = (oh - 1) * sh + (kh - 1) * dh + 1;
        let wq = nvec * vl + (kw - 1) * dw / sw;
        let vecs = nvec.min(4);
        let rows = (12 / vecs).clamp(1, 4).min(oh);
        return Some(Plan::Depthwise(Dw { h, w, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, vl, hp, wq, rows, vecs }));
    }
    let pointwise = taps == 1
        && win.img == win.cols
        && win.strides.iter().all(|&s| s == 1)
        && win.pad_begin.iter().all(|&p| p == 0);
    let (m, n, k) = (ws[0] / group, win.col_size(), cg * taps);
    Some(Plan::Gemm { im2col: !pointwise, m, n, k, tiling: Tiling::for_target(t, k, n) })
}

/// Lower with `p`; `epi` (a fused epilogue) runs on each finished tile row.
pub fn lower(k: &mut Kernel, p: &Plan, win: &Window, group: usize, epi: Option<&FlatEpilogue>) -> Result<()> {
    match p {
        Plan::Gemm { im2col, m, n, k: kk, tiling } => gemm(k, win, group, (*im2col, *m, *n, *kk), tiling, epi),
        Plan::Depthwise(d) => depthwise(k, d, group, epi),
    }
}

fn gemm(k: &mut Kernel, win: &Window, group: usize, dims: (bool, usize, usize, usize), tl: &Tiling, epi: Option<&FlatEpilogue>) -> Result<()> {
    let (im2col, m, n, kk) = dims;
    let (x, w, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
    let bias = k.ins.get(2).cloned().flatten();
    let cols = if im2col {
        match &k.scratch {
            Some(s) if s.1 >= n * kk * 4 => Some(s.clone()),
            _ => return k.unsupported("im2col convolution needs scratch"),
        }
    } else {
        None
    };
    let (nb, c_in, c_out) = (x.shape[0], x.shape[1], w.shape[0]);
    let cg = c_in / group;
    let isz = win.img_size();
    let f = &mut k.f;
    let xf = ix::flat(f, &x.mem, &x.mty, x.numel(), "f32");
    let wf = ix::flat(f, &w.mem, &w.mty, w.numel(), "f32");
    let yf = ix::flat(f, &y.mem, &y.mty, y.numel(), "f32");
    let bf = bias.as_ref().map(|b| ix::flat(f, &b.mem, &b.mty, b.numel(), "f32"));
    let cf = cols.as_ref().map(|s| ix::scratch_view(f, s, 0, n * kk, "f32"));
    let (xty, wty, yty) = (format!("memref<{}xf32>", x.numel()), format!("memref<{}xf32>", w.numel()), format!("memref<{}xf32>", y.numel()));
    let cty = format!("memref<{}xf32>", n * kk);
    let bty = bias.as_ref().map(|b| format!("memref<{}xf32>", b.numel()));
    if let Some(c) = &cf {
        if win.pad_begin.iter().any(|&p| p > 0) || (0..win.img.len()).any(|d| win.valid_cols(d, win.kernel[d] - 1).1 < win.cols[d]) {
            // Padding taps read zeros: clear the buffer once, the copies below skip them.
            let z = f.fconst(0.0, Scalar::Float(32));
            f.line(format!("linalg.fill ins({z} : f32) outs({c} : {cty})"));
        }
    }
    f.nest(&[nb, group], |f, ivs| {
        let (bn, g) = (&ivs[0], &ivs[1]);
        let x_base = ix::lin(f, &[(bn, (c_in * isz) as i64), (g, (cg * isz) as i64)], 0);
        let b = match &cf {
            Some(c) => {
                im2col_copy(f, win, cg, &xf, &xty, &x_base, c, tl.vl);
                let z = f.idx(0);
                Mat { mem: c.clone(), mty: cty.clone(), base: z, ld: n }
            }
            None => Mat { mem: xf.clone(), mty: xty.clone(), base: x_base, ld: isz },
        };
        let a = Mat { mem: wf.clone(), mty: wty.clone(), base: ix::lin(f, &[(g, (m * kk) as i64)], 0), ld: kk };
        let c = Mat {
            mem: yf.clone(),
            mty: yty.clone(),
            base: ix::lin(f, &[(bn, (c_out * n) as i64), (g, (m * n) as i64)], 0),
            ld: n,
        };
        let bias = bf.as_ref().map(|bm| Mat {
            mem: bm.clone(),
            mty: bty.clone().unwrap_or_default(),
            base: ix::lin(f, &[(g, m as i64)], 0),
            ld: 1,
        });
        // Tile row i is output channel g·m + i of batch bn.
        let post = epi.map(|e| {
            move |f: &mut Func, i: &str, ci: &str, len: usize| {
                let ch = ix::lin(f, &[(g, m as i64), (i, 1)], 0);
                e.apply_row(f, bn, &ch, ci, len);
            }
        });
        let post = post.as_ref().map(|p| p as &gemm_tiles::RowHook);
        gemm_tiles::emit(f, tl, m, n, kk, &a, &b, &c, bias.as_ref(), post);
    });
    Ok(())
}

/// im2col of `cg` input planes starting at flat `x_base` into `cols` ([cg·taps, out pixels]);
/// each tap copies only its in-image range (the rest stays zero).
#[allow(clippy::too_many_arguments)]
fn im2col_copy(f: &mut Func, win: &Window, cg: usize, xf: &str, xty: &str, x_base: &str, cols: &str, vl: usize) {
    let nd = win.img.len();
    let vty = format!("vector<{vl}xf32>");
    let (isz, osz, taps) = (win.img_size(), win.col_size(), win.taps());
    let cty = format!("memref<{}xf32>", osz * taps * cg);
    let mut img_st = vec![1i64; nd];
    let mut col_st = vec![1i64; nd];
    for d in (0..nd.saturating_sub(1)).rev() {
        img_st[d] = img_st[d + 1] * win.img[d + 1] as i64;
        col_st[d] = col_st[d + 1] * win.cols[d + 1] as i64;
    }
    f.for_range(0, cg, |f, c| {
        let mut kk = vec![0usize; nd];
        for t in 0..taps {
            let ranges: Vec<(usize, usize)> = (0..nd).map(|d| win.valid_cols(d, kk[d])).collect();
            if ranges.iter().all(|&(lo, hi)| hi > lo) {
                let dims: Vec<usize> = ranges.iter().map(|&(lo, hi)| hi - lo).collect();
                // Image offset of column (lo…) for this tap, and per-dim steps.
                let mut x_off = 0i64;
                let mut c_off = (t * osz) as i64;
                for d in 0..nd {
                    let pos = (ranges[d].0 * win.strides[d] + kk[d] * win.dilations[d]) as i64 - win.pad_begin[d] as i64;
                    x_off += pos * img_st[d];
                    c_off += ranges[d].0 as i64 * col_st[d];
                }
                let last = nd - 1;
                let (len, st) = (dims[last], win.strides[last]);
                // The element after the last strided read must still be in the image row for the
                // two-vector loads of stride 2.
                let pos_last = ((ranges[last].1 - 1) * st + kk[last] * win.dilations[last]) as i64 - win.pad_begin[last] as i64;
                f.nest(&dims[..last], |f, o| {
                    let mut xt: Vec<(&str, i64)> = vec![(x_base, 1), (c, isz as i64)];
                    let mut ct: Vec<(&str, i64)> = vec![(c, (taps * osz) as i64)];
                    for d in 0..last {
                        xt.push((&o[d], img_st[d] * win.strides[d] as i64));
                        ct.push((&o[d], col_st[d]));
                    }
                    let xr = ix::lin(f, &xt, x_off);
                    let cr = ix::lin(f, &ct, c_off);
                    let vlen = match st {
                        1 => len,
                        2 if pos_last + 1 < win.img[last] as i64 => len,
                        2 => len - 1,
                        _ => 0,
                    };
                    let full = vlen / vl * vl;
                    if full > 0 {
                        f.for_step(0, full, vl, |f, j| {
                            let xi = ix::lin(f, &[(&xr, 1), (j, st as i64)], 0);
                            let ci = ix::add(f, &cr, j);
                            let v = if st == 1 {
                                f.op(format!("vector.load {xf}[{xi}] : {xty}, {vty}"))
                            } else {
                                let off = f.idx(vl);
                                let xb = ix::add(f, &xi, &off);
                                let a = f.op(format!("vector.load {xf}[{xi}] : {xty}, {vty}"));
                                let b = f.op(format!("vector.load {xf}[{xb}] : {xty}, {vty}"));
                                let even: Vec<String> = (0..vl).map(|i| (2 * i).to_string()).collect();
                                f.op(format!("vector.shuffle {a}, {b} [{}] : {vty}, {vty}", even.join(", ")))
                            };
                            f.line(format!("vector.store {v}, {cols}[{ci}] : {cty}, {vty}"));
                        });
                    }
                    if len > full {
                        f.for_range(full, len, |f, j| {
                            let xi = ix::lin(f, &[(&xr, 1), (j, st as i64)], 0);
                            let ci = ix::add(f, &cr, j);
                            let v = f.op(format!("memref.load {xf}[{xi}] : {xty}"));
                            f.line(format!("memref.store {v}, {cols}[{ci}] : {cty}"));
                        });
                    }
                });
            }
            // Next tap (row-major over the kernel dims).
            for d in (0..nd).rev() {
                kk[d] += 1;
                if kk[d] < win.kernel[d] {
                    break;
                }
                kk[d] = 0;
            }
        }
    });
}

fn depthwise(k: &mut Kernel, d: &Dw, group: usize, epi: Option<&FlatEpilogue>) -> Result<()> {
    let (x, w, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
    let bias = k.ins.get(2).cloned().flatten();
    let need = (d.sw * d.hp * d.wq + d.vl) * 4;
    let sc = match &k.scratch {
        Some(s) if s.1 >= need => s.clone(),
        _ => return k.unsupported("depthwise convolution needs scratch"),
    };
    let nb = x.shape[0];
    let c_out = w.shape[0];
    let mg = c_out / group;
    let (vl, taps) = (d.vl, d.kh * d.kw);
    let vty = format!("vector<{vl}xf32>");
    let mty = format!("vector<{vl}xi1>");
    let f = &mut k.f;
    let xf = ix::flat(f, &x.mem, &x.mty, x.numel(), "f32");
    let wf = ix::flat(f, &w.mem, &w.mty, w.numel(), "f32");
    let yf = ix::flat(f, &y.mem, &y.mty, y.numel(), "f32");
    let bf = bias.as_ref().map(|b| ix::flat(f, &b.mem, &b.mty, b.numel(), "f32"));
    let (xty, wty, yty) = (format!("memref<{}xf32>", x.numel()), format!("memref<{}xf32>", w.numel()), format!("memref<{}xf32>", y.numel()));
    let bty = bias.as_ref().map(|b| format!("memref<{}xf32>", b.numel())).unwrap_or_default();
    let plen = d.sw * d.hp * d.wq + d.vl;
    let pty = format!("memref<{plen}xf32>");
    let pl = ix::scratch_view(f, &sc, 0, plen, "f32");
    let z = f.fconst(0.0, Scalar::Float(32));
    f.line(format!("linalg.fill ins({z} : f32) outs({pl} : {pty})"));
    let zv = f.op(format!("vector.broadcast {z} : f32 to {vty}"));
    let (h, wd) = (d.h, d.w);
    let isz = h * wd;
    let osz = d.oh * d.ow;
    f.nest(&[nb, group], |f, ivs| {
        let (bn, g) = (&ivs[0], &ivs[1]);
        // Copy the input plane into the stride-phase planes: plane p holds padded columns
        // q·sw + p, so tap column kw·dw reads phase (kw·dw) % sw at offset (kw·dw) / sw.
        let x_base = ix::lin(f, &[(bn, (group * isz) as i64), (g, isz as i64)], 0);
        let (r_lo, r_hi) = (d.pt.min(d.hp), (d.pt + h).min(d.hp));
        if r_hi > r_lo {
            let io = PlaneIo { d, xf: &xf, xty: &xty, pl: &pl, pty: &pty, vty: &vty, mty: &mty, zv: &zv };
            f.for_range(r_lo, r_hi, |f, r| {
                // Flat input index of row r's column 0, and the phase planes' row r.
                let src_row = ix::lin(f, &[(&x_base, 1), (r, wd as i64)], -((d.pt * wd) as i64));
                let dst_row = ix::lin(f, &[(r, d.wq as i64)], 0);
                copy_row(f, &io, &src_row, &dst_row);
            });
        }
        f.for_range(0, mg, |f, ml| {
            let m = ix::lin(f, &[(g, mg as i64), (ml, 1)], 0);
            // Tap weights, broadcast once per output channel.
            let mut wv = vec![];
            for t in 0..taps {
                let wi = ix::lin(f, &[(&m, taps as i64)], t as i64);
                let s = f.op(format!("memref.load {wf}[{wi}] : {wty}"));
                wv.push(f.op(format!("vector.broadcast {s} : f32 to {vty}")));
            }
            let bv = bf.as_ref().map(|b| {
                let s = f.op(format!("memref.load {b}[{m}] : {bty}"));
                f.op(format!("vector.broadcast {s} : f32 to {vty}"))
            });
            let y_base = ix::lin(f, &[(bn, (c_out * osz) as i64), (&m, osz as i64)], 0);
            let post = epi.map(|e| (e, bn.as_str(), m.as_str()));
            let cx = DwCtx { d, pl: &pl, pty: &pty, yf: &yf, yty: &yty, vty: &vty, mty: &mty, zv: &zv, wv: &wv, bv: bv.as_deref(), y_base: &y_base, post };
            let rfull = d.oh / d.rows * d.rows;
            if rfull > 0 {
                f.for_step(0, rfull, d.rows, |f, oh0| dw_row_block(f, &cx, oh0, d.rows));
            }
            if d.oh > rfull {
                let oh0 = f.idx(rfull);
                dw_row_block(f, &cx, &oh0, d.oh - rfull);
            }
        });
    });
    Ok(())
}

struct PlaneIo<'a> {
    d: &'a Dw,
    xf: &'a str,
    xty: &'a str,
    pl: &'a str,
    pty: &'a str,
    vty: &'a str,
    mty: &'a str,
    zv: &'a str,
}

/// Valid q range of phase p: 0 <= q·sw + p - pl < w (and q < wq).
fn phase_range(d: &Dw, p: usize) -> (usize, usize) {
    let lo = d.pl.saturating_sub(p).div_ceil(d.sw);
    let hi = if d.w + d.pl > p { (d.w + d.pl - p).div_ceil(d.sw).min(d.wq) } else { 0 };
    (lo, hi.max(lo))
}

/// Scalar copies of phase p for q in [lo, hi).
fn copy_scalar(f: &mut Func, io: &PlaneIo, src_row: &str, dst_row: &str, p: usize, lo: usize, hi: usize) {
    let d = io.d;
    if hi <= lo {
        return;
    }
    f.for_range(lo, hi, |f, q| {
        let xi = ix::lin(f, &[(src_row, 1), (q, d.sw as i64)], p as i64 - d.pl as i64);
        let pi = ix::lin(f, &[(dst_row, 1), (q, 1)], (p * d.hp * d.wq) as i64);
        let v = f.op(format!("memref.load {}[{xi}] : {}", io.xf, io.xty));
        f.line(format!("memref.store {v}, {}[{pi}] : {}", io.pl, io.pty));
    });
}

/// Copy one input row into its phase-plane rows: vector copies for stride 1, vector
/// loads + even/odd shuffles for stride 2, scalar copies at the edges and for other strides.
fn copy_row(f: &mut Func, io: &PlaneIo, src_row: &str, dst_row: &str) {
    let d = io.d;
    let vl = d.vl;
    let (vty, mty) = (io.vty, io.mty);
    match d.sw {
        1 => {
            let (lo, hi) = phase_range(d, 0);
            let n = hi - lo;
            let full = n / vl * vl;
            let at = |f: &mut Func, q: &str| {
                let xi = ix::lin(f, &[(src_row, 1), (q, 1)], lo as i64 - d.pl as i64);
                let pi = ix::lin(f, &[(dst_row, 1), (q, 1)], lo as i64);
                (xi, pi)
            };
            if full > 0 {
                f.for_step(0, full, vl, |f, q| {
                    let (xi, pi) = at(f, q);
                    let v = f.op(format!("vector.load {}[{xi}] : {}, {vty}", io.xf, io.xty));
                    f.line(format!("vector.store {v}, {}[{pi}] : {}, {vty}", io.pl, io.pty));
                });
            }
            if n > full {
                let q = f.idx(full);
                let (xi, pi) = at(f, &q);
                let mk = f.op(format!("vector.constant_mask [{}] : {mty}", n - full));
                let v = f.op(format!(
                    "vector.maskedload {}[{xi}], {mk}, {} : {}, {mty}, {vty} into {vty}",
                    io.xf, io.zv, io.xty
                ));
                f.line(format!("vector.maskedstore {}[{pi}], {mk}, {v} : {}, {mty}, {vty}", io.pl, io.pty));
            }
        }
        2 => {
            let (lo0, hi0) = phase_range(d, 0);
            let (lo1, hi1) = phase_range(d, 1);
            let (lo, hi) = (lo0.max(lo1), hi0.min(hi1).max(lo0.max(lo1)));
            let full = (hi - lo) / vl * vl;
            if full > 0 {
                let even: Vec<String> = (0..vl).map(|i| (2 * i).to_string()).collect();
                let odd: Vec<String> = (0..vl).map(|i| (2 * i + 1).to_string()).collect();
                f.for_step(lo, lo + full, vl, |f, q| {
                    // Source columns 2q - pl … 2q - pl + 2vl - 1, all inside the row.
                    let xa = ix::lin(f, &[(src_row, 1), (q, 2)], -(d.pl as i64));
                    let off = f.idx(vl);
                    let xb = ix::add(f, &xa, &off);
                    let a = f.op(format!("vector.load {}[{xa}] : {}, {vty}", io.xf, io.xty));
                    let b = f.op(format!("vector.load {}[{xb}] : {}, {vty}", io.xf, io.xty));
                    let e = f.op(format!("vector.shuffle {a}, {b} [{}] : {vty}, {vty}", even.join(", ")));
                    let o = f.op(format!("vector.shuffle {a}, {b} [{}] : {vty}, {vty}", odd.join(", ")));
                    let p0 = ix::lin(f, &[(dst_row, 1), (q, 1)], 0);
                    let p1 = ix::lin(f, &[(dst_row, 1), (q, 1)], (d.hp * d.wq) as i64);
                    f.line(format!("vector.store {e}, {}[{p0}] : {}, {vty}", io.pl, io.pty));
                    f.line(format!("vector.store {o}, {}[{p1}] : {}, {vty}", io.pl, io.pty));
                });
            }
            for (p, (l, h)) in [(0, (lo0, hi0)), (1, (lo1, hi1))] {
                copy_scalar(f, io, src_row, dst_row, p, l, h.min(lo).max(l));
                copy_scalar(f, io, src_row, dst_row, p, (lo + full).max(l), h);
            }
        }
        _ => {
            for p in 0..d.sw {
                let (l, h) = phase_range(d, p);
                copy_scalar(f, io, src_row, dst_row, p, l, h);
            }
        }
    }
}

struct DwCtx<'a> {
    d: &'a Dw,
    pl: &'a str,
    pty: &'a str,
    yf: &'a str,
    yty: &'a str,
    vty: &'a str,
    mty: &'a str,
    zv: &'a str,
    wv: &'a [String],
    bv: Option<&'a str>,
    y_base: &'a str,
    /// The fused epilogue, with the batch and channel being computed.
    post: Option<(&'a FlatEpilogue, &'a str, &'a str)>,
}

/// All column vectors of `nrows` output rows from `oh0`.
fn dw_row_block(f: &mut Func, cx: &DwCtx, oh0: &str, nrows: usize) {
    let d = cx.d;
    let nvec = d.ow.div_ceil(d.vl);
    let chunk = d.vecs * d.vl;
    let full = nvec / d.vecs;
    // Full chunks end before the (possibly masked) last vector unless the row is exact.
    let full = if !d.ow.is_multiple_of(d.vl) && full * d.vecs == nvec { full - 1 } else { full };
    if full > 0 {
        f.for_step(0, full * chunk, chunk, |f, ow0| dw_tile(f, cx, oh0, nrows, ow0, d.vecs, None));
    }
    let rest = nvec - full * d.vecs;
    if rest > 0 {
        let ow0 = f.idx(full * chunk);
        let tail = d.ow % d.vl;
        dw_tile(f, cx, oh0, nrows, &ow0, rest, (tail != 0).then_some(tail));
    }
}

/// One tile: `nrows` rows × `nv` column vectors from (oh0, ow0); the last vector keeps only
/// `tail` lanes when given.
fn dw_tile(f: &mut Func, cx: &DwCtx, oh0: &str, nrows: usize, ow0: &str, nv: usize, tail: Option<usize>) {
    let d = cx.d;
    let vl = d.vl;
    let vty = cx.vty;
    let inits: Vec<(String, String)> = (0..nrows * nv).map(|_| (cx.zv.to_string(), vty.to_string())).collect();
    let mut acc: Vec<String> = inits.iter().map(|(v, _)| v.clone()).collect();
    for kh in 0..d.kh {
        for kw in 0..d.kw {
            let t = kh * d.kw + kw;
            let (p, qoff) = ((kw * d.dw) % d.sw, (kw * d.dw) / d.sw);
            for r in 0..nrows {
                // Plane row (oh0 + r)·sh + kh·dh, column ow0 + v·vl + qoff.
                let base = ix::lin(
                    f,
                    &[(oh0, (d.sh * d.wq) as i64), (ow0, 1)],
                    (p * d.hp * d.wq + (r * d.sh + kh * d.dh) * d.wq + qoff) as i64,
                );
                for v in 0..nv {
                    let off = f.idx(v * vl);
                    let i = ix::add(f, &base, &off);
                    let xv = f.op(format!("vector.load {}[{i}] : {}, {vty}", cx.pl, cx.pty));
                    let a = &acc[r * nv + v];
                    acc[r * nv + v] = f.op(format!("vector.fma {}, {xv}, {a} : {vty}", cx.wv[t]));
                }
            }
        }
    }
    for r in 0..nrows {
        let base = ix::lin(f, &[(cx.y_base, 1), (oh0, d.ow as i64)], (r * d.ow) as i64);
        let base = ix::add(f, &base, ow0);
        for v in 0..nv {
            let off = f.idx(v * vl);
            let i = ix::add(f, &base, &off);
            let mut a = acc[r * nv + v].clone();
            if let Some(b) = cx.bv {
                a = f.op(format!("arith.addf {a}, {b} : {vty}"));
            }
            match tail {
                Some(n) if v == nv - 1 => {
                    let mk = f.op(format!("vector.constant_mask [{n}] : {}", cx.mty));
                    f.line(format!("vector.maskedstore {}[{i}], {mk}, {a} : {}, {}, {vty}", cx.yf, cx.yty, cx.mty));
                }
                _ => f.line(format!("vector.store {a}, {}[{i}] : {}, {vty}", cx.yf, cx.yty)),
            }
        }
        if let Some((e, n, c)) = cx.post {
            e.apply_row(f, n, c, &base, nv * vl - tail.map_or(0, |t| vl - t));
        }
    }
}
