//! Max / average / Lp pooling over N-d windows (MaxPool's optional flat indices output), as
//! loop nests with the interpreter's semantics: MaxPool skips NaNs unless a window holds only
//! NaNs and gives 0 / index -1 for a window with no tap inside the image; average and Lp pooling
//! accumulate in f64; count_include_pad counts the taps inside the explicitly padded image.

use super::conv::{needs_checks, positions};
use super::conv_geom::{self, Window};
use super::{ix, Kernel};
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::{DType, Op, PoolKind};

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::Pool(a) = &k.node.op else { unreachable!() };
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    if x.shape.len() < 3 {
        return k.unsupported(format!("pooling of a rank-{} input", x.shape.len()));
    }
    let win = conv_geom::pool(a, &x.shape, &y.shape).or_else(|e| k.unsupported(e))?;
    match a.kind {
        PoolKind::Max => max_pool(k, &win, a.with_indices, a.column_major_indices),
        PoolKind::Avg { count_include_pad } => avg_lp(k, &win, Some(count_include_pad), 0),
        PoolKind::Lp { p } if p >= 1 => avg_lp(k, &win, None, p),
        PoolKind::Lp { p } => k.unsupported(format!("LpPool with p = {p}")),
    }
}

/// Flat offset of image position `pos` (row-major, or column-major for storage_order = 1).
fn flat_pos(f: &mut Func, win: &Window, pos: &[String], col_major: bool) -> String {
    let nd = win.img.len();
    let mut st = vec![1i64; nd];
    if col_major {
        for d in 1..nd {
            st[d] = st[d - 1] * win.img[d - 1] as i64;
        }
    } else {
        for d in (0..nd.saturating_sub(1)).rev() {
            st[d] = st[d + 1] * win.img[d + 1] as i64;
        }
    }
    let terms: Vec<(&str, i64)> = pos.iter().zip(&st).map(|(p, &s)| (p.as_str(), s)).collect();
    ix::lin(f, &terms, 0)
}

fn max_pool(k: &mut Kernel, win: &Window, with_indices: bool, col_major: bool) -> Result<()> {
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    let s = match Scalar::of(y.dt) {
        Some(s @ (Scalar::Float(_) | Scalar::Int { .. })) => s,
        _ => return k.unsupported(format!("MaxPool of {}", y.dt)),
    };
    let yi_op = if with_indices {
        match k.outs.get(1) {
            Some(o) => Some(o.clone()),
            None => return k.unsupported("MaxPool indices output is missing"),
        }
    } else {
        None
    };
    let (nb, ch) = (x.shape[0], x.shape[1]);
    let isz = win.img_size();
    let checks = needs_checks(win);
    let t = s.ty();
    let f = &mut k.f;
    f.nest(&[nb, ch], |f, ivs| {
        let (n, c) = (&ivs[0], &ivs[1]);
        f.nest(&win.cols, |f, o| {
            let zero = f.fconst(0.0, s);
            let no = f.cst("0", "i1");
            let c0 = f.idx(0);
            let inits = vec![(zero, t.clone()), (no, "i1".to_string()), (c0, "index".to_string())];
            let r = ix::fold_nest(f, &win.kernel, &inits, &mut |f, kk, acc| {
                let (pos, ok) = positions(f, win, &checks, o, kk);
                let acc = acc.to_vec();
                let body = |f: &mut Func| {
                    let mut xi = vec![n.clone(), c.clone()];
                    xi.extend(pos.iter().cloned());
                    let v = f.load(&x.mem, &x.mty, &xi, x.dt);
                    let (best, found, idx) = (&acc[0], &acc[1], &acc[2]);
                    let better = match s {
                        Scalar::Float(_) => {
                            let gt = f.op(format!("arith.cmpf ogt, {v}, {best} : {t}"));
                            let bnan = f.op(format!("arith.cmpf uno, {best}, {best} : {t}"));
                            let vnum = f.op(format!("arith.cmpf ord, {v}, {v} : {t}"));
                            let e = f.op(format!("arith.ori {gt}, {bnan} : i1"));
                            f.op(format!("arith.andi {e}, {vnum} : i1"))
                        }
                        Scalar::Int { signed, .. } => {
                            let p = if signed { "sgt" } else { "ugt" };
                            f.op(format!("arith.cmpi {p}, {v}, {best} : {t}"))
                        }
                        Scalar::Bool => unreachable!(),
                    };
                    let t1 = f.cst("1", "i1");
                    let first = f.op(format!("arith.xori {found}, {t1} : i1"));
                    let take = f.op(format!("arith.ori {first}, {better} : i1"));
                    let nb = f.op(format!("arith.select {take}, {v}, {best} : {t}"));
                    let ni = if with_indices {
                        let fp = flat_pos(f, win, &pos, col_major);
                        f.op(format!("arith.select {take}, {fp}, {idx} : index"))
                    } else {
                        idx.clone()
                    };
                    vec![nb, t1, ni]
                };
                match ok {
                    None => body(f),
                    Some(ok) => {
                        let tys = vec![t.clone(), "i1".to_string(), "index".to_string()];
                        let keep = acc.clone();
                        ix::if_else(f, &ok, &tys, body, |_| keep)
                    }
                }
            });
            // r[0] is 0 when no tap was inside (the initial value), as the interpreter.
            let mut yi = vec![n.clone(), c.clone()];
            yi.extend(o.iter().cloned());
            f.store(&r[0], &y.mem, &y.mty, &yi, y.dt);
            if let Some(io) = &yi_op {
                let plane = ix::lin(f, &[(n, (ch * isz) as i64), (c, isz as i64), (&r[2], 1)], 0);
                let pi = f.op(format!("arith.index_cast {plane} : index to i64"));
                let m1 = f.cst("-1", "i64");
                let v = f.op(format!("arith.select {}, {pi}, {m1} : i64", r[1]));
                f.store(&v, &io.mem, &io.mty, &yi, DType::I64);
            }
        });
    });
    Ok(())
}

/// Average (`count_include_pad` given) or Lp (`p`) pooling, accumulated in f64.
fn avg_lp(k: &mut Kernel, win: &Window, count_include_pad: Option<bool>, p: u32) -> Result<()> {
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    if !matches!(y.dt, DType::F32 | DType::F64 | DType::F16 | DType::BF16) {
        return k.unsupported(format!("average / Lp pooling of {}", y.dt));
    }
    let (nb, ch) = (x.shape[0], x.shape[1]);
    let checks = needs_checks(win);
    let nd = win.img.len();
    let xs = Scalar::of(x.dt).unwrap_or(Scalar::Float(32));
    let d64 = Scalar::Float(64);
    let f = &mut k.f;
    f.nest(&[nb, ch], |f, ivs| {
        let (n, c) = (&ivs[0], &ivs[1]);
        f.nest(&win.cols, |f, o| {
            let zero = f.fconst(0.0, d64);
            let c0 = f.idx(0);
            let inits = vec![(zero, "f64".to_string()), (c0.clone(), "index".to_string()), (c0, "index".to_string())];
            let r = ix::fold_nest(f, &win.kernel, &inits, &mut |f, kk, acc| {
                let (pos, ok) = positions(f, win, &checks, o, kk);
                let acc = acc.to_vec();
                // Taps inside the explicitly padded image: 0 <= o·s + k·d < img + pads.
                let padded = if count_include_pad == Some(true) {
                    let mut conds = vec![];
                    for d in 0..nd {
                        let q = ix::lin(f, &[(&o[d], win.strides[d] as i64), (&kk[d], win.dilations[d] as i64)], 0);
                        let hi = f.idx(win.img[d] + win.pad_begin[d] + win.pad_end[d]);
                        conds.push(ix::cmp(f, "slt", &q, &hi));
                    }
                    let inside = ix::and_all(f, &conds);
                    let one = f.idx(1);
                    let z = f.idx(0);
                    let inc = f.op(format!("arith.select {inside}, {one}, {z} : index"));
                    ix::add(f, &acc[2], &inc)
                } else {
                    acc[2].clone()
                };
                let body = |f: &mut Func| {
                    let mut xi = vec![n.clone(), c.clone()];
                    xi.extend(pos.iter().cloned());
                    let v = f.load(&x.mem, &x.mty, &xi, x.dt);
                    let v = if xs == d64 { v } else { f.op(format!("arith.extf {v} : f32 to f64")) };
                    let term = match p {
                        0 => v,
                        1 => f.op(format!("math.absf {v} : f64")),
                        2 => f.op(format!("arith.mulf {v}, {v} : f64")),
                        p => {
                            let a = f.op(format!("math.absf {v} : f64"));
                            let e = f.fconst(p as f64, d64);
                            f.op(format!("math.powf {a}, {e} : f64"))
                        }
                    };
                    let sum = f.op(format!("arith.addf {}, {term} : f64", acc[0]));
                    let one = f.idx(1);
                    let cnt = ix::add(f, &acc[1], &one);
                    vec![sum, cnt, padded.clone()]
                };
                match ok {
                    None => body(f),
                    Some(ok) => {
                        let tys = vec!["f64".to_string(), "index".to_string(), "index".to_string()];
                        let keep = vec![acc[0].clone(), acc[1].clone(), padded.clone()];
                        ix::if_else(f, &ok, &tys, body, |_| keep)
                    }
                }
            });
            let v = match (count_include_pad, p) {
                (Some(include), _) => {
                    let cnt = if include { &r[2] } else { &r[1] };
                    let ci = f.op(format!("arith.index_cast {cnt} : index to i64"));
                    let cf = f.op(format!("arith.sitofp {ci} : i64 to f64"));
                    let z = f.idx(0);
                    let empty = ix::cmp(f, "eq", cnt, &z);
                    let q = f.op(format!("arith.divf {}, {cf} : f64", r[0]));
                    let zero = f.fconst(0.0, d64);
                    f.op(format!("arith.select {empty}, {zero}, {q} : f64"))
                }
                (None, 1) => r[0].clone(),
                (None, 2) => f.op(format!("math.sqrt {} : f64", r[0])),
                (None, p) => {
                    let e = f.fconst(1.0 / p as f64, d64);
                    f.op(format!("math.powf {}, {e} : f64", r[0]))
                }
            };
            let v = if xs == d64 { v } else { f.op(format!("arith.truncf {v} : f64 to f32")) };
            let mut yi = vec![n.clone(), c.clone()];
            yi.extend(o.iter().cloned());
            f.store(&v, &y.mem, &y.mty, &yi, y.dt);
        });
    });
    Ok(())
}
