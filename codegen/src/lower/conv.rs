//! Conv, ConvInteger, ConvTranspose and Col2Im. f32 Conv goes to the tiled kernels of
//! `conv_fast` when they apply; everything else (f64, f16/bf16 computed in f32, integer
//! convolutions, transposed convolutions) is a direct loop nest with the interpreter's
//! accumulation order: input channels outer, kernel taps inner, bias added last.

use super::conv_geom::{self, Window};
use super::{conv_fast, ix, Kernel, KernelTarget, Operand};
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::{DType, Graph, NodeId, Op};

/// Scratch bytes of a conv-family node (only the tiled f32 Conv kernels use scratch).
pub fn scratch_bytes(g: &Graph, id: NodeId, t: &KernelTarget) -> usize {
    let node = g.node(id);
    let Op::Conv(a) = &node.op else { return 0 };
    let ins = g.node_inputs(id);
    let shape = |i: usize| ins.get(i).copied().flatten().and_then(|v| g.value_type(v).static_shape());
    let (Some(xs), Some(ws), Some(ys)) = (shape(0), shape(1), node.outputs[0].static_shape()) else { return 0 };
    if node.outputs[0].dtype != DType::F32 || xs.len() < 3 {
        return 0;
    }
    match conv_geom::conv(a, &xs, &ws, &ys) {
        Ok(win) => conv_fast::plan(&win, &xs, &ws, a.group, t).map_or(0, |p| p.scratch_bytes()),
        Err(_) => 0,
    }
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    lower_with_epilogue(k, None).map(|_| ())
}

/// `lower`, with an epilogue for a `Conv` that the fast f32 kernels apply per tile; returns
/// whether it was applied (false: the caller applies it after).
pub fn lower_with_epilogue(k: &mut Kernel, epi: Option<&super::fused::FlatEpilogue>) -> Result<bool> {
    match &k.node.op {
        Op::Conv(a) => {
            let (x, w, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
            if x.shape.len() < 3 || w.shape.len() != x.shape.len() {
                return k.unsupported(format!("conv of input {:?} with weight {:?}", x.shape, w.shape));
            }
            let win = conv_geom::conv(a, &x.shape, &w.shape, &y.shape).or_else(|e| k.unsupported(e))?;
            check_group(k, a.group, x.shape[1], w.shape[0])?;
            if y.dt == DType::F32 {
                if let Some(p) = conv_fast::plan(&win, &x.shape, &w.shape, a.group, k.target) {
                    return conv_fast::lower(k, &p, &win, a.group, epi).map(|_| epi.is_some());
                }
            }
            forward(k, &win, a.group, false).map(|_| false)
        }
        Op::ConvInteger(a) => {
            let (x, w, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
            if x.shape.len() < 3 || w.shape.len() != x.shape.len() {
                return k.unsupported(format!("conv of input {:?} with weight {:?}", x.shape, w.shape));
            }
            let win = conv_geom::conv(a, &x.shape, &w.shape, &y.shape).or_else(|e| k.unsupported(e))?;
            check_group(k, a.group, x.shape[1], w.shape[0])?;
            forward(k, &win, a.group, true).map(|_| false)
        }
        Op::ConvTranspose(a) => {
            let (x, w, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
            if x.shape.len() < 3 || w.shape.len() != x.shape.len() {
                return k.unsupported(format!("conv_transpose of input {:?} with weight {:?}", x.shape, w.shape));
            }
            let win = conv_geom::conv_transpose(a, &x.shape, &w.shape, &y.shape).or_else(|e| k.unsupported(e))?;
            let group = a.conv.group;
            if group == 0 || x.shape[1] % group != 0 || y.shape[1] % group != 0 {
                return k.unsupported(format!("group {group} does not divide the channels"));
            }
            transpose(k, &win, group).map(|_| false)
        }
        Op::Col2Im { dilations, pads, strides } => {
            let image = k.const_i64(1, "image_shape")?.unwrap_or_default();
            let block = k.const_i64(2, "block_shape")?.unwrap_or_default();
            if image.iter().chain(&block).any(|&v| v < 1) {
                return k.unsupported(format!("image_shape {image:?} / block_shape {block:?}"));
            }
            let image: Vec<usize> = image.iter().map(|&v| v as usize).collect();
            let block: Vec<usize> = block.iter().map(|&v| v as usize).collect();
            let win = conv_geom::col2im(dilations, pads, strides, &image, &block).or_else(|e| k.unsupported(e))?;
            col2im(k, &win).map(|_| false)
        }
        _ => unreachable!(),
    }
}

fn check_group(k: &Kernel, group: usize, c: usize, m: usize) -> Result<()> {
    if group == 0 || !c.is_multiple_of(group) || !m.is_multiple_of(group) {
        return k.unsupported(format!("group {group} does not divide {c} input / {m} output channels"));
    }
    Ok(())
}

/// Per spatial dim: whether tap positions can fall below 0 / at or past the image end.
pub(super) fn needs_checks(win: &Window) -> Vec<(bool, bool)> {
    (0..win.img.len())
        .map(|d| {
            let lo = win.pad_begin[d] > 0;
            let max = (win.cols[d].max(1) - 1) * win.strides[d] + (win.kernel[d] - 1) * win.dilations[d];
            let hi = max as i64 - win.pad_begin[d] as i64 >= win.img[d] as i64;
            (lo, hi)
        })
        .collect()
}

/// Image positions of column `o` with tap `kk`, and the i1 "inside the image" (None: always).
pub(super) fn positions(f: &mut Func, win: &Window, checks: &[(bool, bool)], o: &[String], kk: &[String]) -> (Vec<String>, Option<String>) {
    let mut pos = vec![];
    let mut conds = vec![];
    for d in 0..win.img.len() {
        let p = ix::lin(
            f,
            &[(&o[d], win.strides[d] as i64), (&kk[d], win.dilations[d] as i64)],
            -(win.pad_begin[d] as i64),
        );
        let (lo, hi) = checks[d];
        if lo {
            let z = f.idx(0);
            conds.push(ix::cmp(f, "sge", &p, &z));
        }
        if hi {
            let n = f.idx(win.img[d]);
            conds.push(ix::cmp(f, "slt", &p, &n));
        }
        pos.push(p);
    }
    let ok = (!conds.is_empty()).then(|| ix::and_all(f, &conds));
    (pos, ok)
}

/// Widen an i8/u8 value to i32.
fn widen_i8(f: &mut Func, raw: &str, dt: DType) -> String {
    let op = if dt == DType::U8 { "extui" } else { "extsi" };
    f.op(format!("arith.{op} {raw} : i8 to i32"))
}

/// Load an i8/u8 zero point (scalar or 1-D) at element `i` as i32.
fn load_zero_point(f: &mut Func, z: &Operand, i: &str) -> String {
    let idx: Vec<String> = if z.shape.is_empty() {
        vec![]
    } else {
        let c0 = f.idx(0);
        vec![if z.numel() == 1 { c0 } else { i.to_string() }]
    };
    let raw = f.op(format!("memref.load {}[{}] : {}", z.mem, idx.join(", "), z.mty));
    widen_i8(f, &raw, z.dt)
}

/// Direct forward convolution (Conv of any float dtype, or ConvInteger in i32).
fn forward(k: &mut Kernel, win: &Window, group: usize, integer: bool) -> Result<()> {
    let (x, w, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
    let bias = if integer { None } else { k.ins.get(2).cloned().flatten() };
    let (xz, wz) = if integer {
        (k.ins.get(2).cloned().flatten(), k.ins.get(3).cloned().flatten())
    } else {
        (None, None)
    };
    if let Some(z) = &xz {
        if z.numel() != 1 {
            return k.unsupported(format!("x_zero_point has {} elements, expected 1", z.numel()));
        }
    }
    if let Some(z) = &wz {
        if z.numel() != 1 && z.numel() != w.shape[0] {
            return k.unsupported(format!("w_zero_point has {} elements, expected 1 or {}", z.numel(), w.shape[0]));
        }
    }
    let s = if integer {
        Scalar::Int { bits: 32, signed: true }
    } else {
        match Scalar::of(y.dt) {
            Some(s @ Scalar::Float(_)) => s,
            _ => return k.unsupported(format!("Conv of {}", y.dt)),
        }
    };
    let (nb, c_in, c_out) = (x.shape[0], x.shape[1], w.shape[0]);
    let (cg, mg) = (c_in / group, c_out / group);
    let checks = needs_checks(win);
    let f = &mut k.f;
    let xzv = xz.as_ref().map(|z| {
        let c0 = f.idx(0);
        load_zero_point(f, z, &c0)
    });
    let t = s.ty();
    f.nest(&[nb, group, mg], |f, ivs| {
        let (n, g, ml) = (&ivs[0], &ivs[1], &ivs[2]);
        let m = ix::lin(f, &[(g, mg as i64), (ml, 1)], 0);
        let wzv = wz.as_ref().map(|z| load_zero_point(f, z, &m));
        f.nest(&win.cols, |f, o| {
            let zero = f.fconst(0.0, s);
            let mut dims = vec![cg];
            dims.extend(&win.kernel);
            let acc = ix::fold_nest(f, &dims, &[(zero, t.clone())], &mut |f, iv, acc| {
                let (c, kk) = (&iv[0], &iv[1..]);
                let (pos, ok) = positions(f, win, &checks, o, kk);
                let body = |f: &mut Func| {
                    let ci = ix::lin(f, &[(g, cg as i64), (c, 1)], 0);
                    let mut xi = vec![n.clone(), ci];
                    xi.extend(pos.iter().cloned());
                    let mut wi = vec![m.clone(), c.clone()];
                    wi.extend(kk.iter().cloned());
                    let (xv, wv) = if integer {
                        let xr = f.op(format!("memref.load {}[{}] : {}", x.mem, xi.join(", "), x.mty));
                        let wr = f.op(format!("memref.load {}[{}] : {}", w.mem, wi.join(", "), w.mty));
                        let mut xv = widen_i8(f, &xr, x.dt);
                        let mut wv = widen_i8(f, &wr, w.dt);
                        if let Some(z) = &xzv {
                            xv = f.op(format!("arith.subi {xv}, {z} : i32"));
                        }
                        if let Some(z) = &wzv {
                            wv = f.op(format!("arith.subi {wv}, {z} : i32"));
                        }
                        (xv, wv)
                    } else {
                        (f.load(&x.mem, &x.mty, &xi, x.dt), f.load(&w.mem, &w.mty, &wi, w.dt))
                    };
                    vec![ix::mul_add(f, &acc[0], &xv, &wv, s)]
                };
                match ok {
                    None => body(f),
                    Some(ok) => ix::if_else(f, &ok, std::slice::from_ref(&t), body, |_| vec![acc[0].clone()]),
                }
            });
            let mut v = acc[0].clone();
            if let Some(b) = &bias {
                let bv = f.load(&b.mem, &b.mty, std::slice::from_ref(&m), b.dt);
                v = ix::sadd(f, &v, &bv, s);
            }
            let mut yi = vec![n.clone(), m.clone()];
            yi.extend(o.iter().cloned());
            f.store(&v, &y.mem, &y.mty, &yi, y.dt);
        });
    });
    Ok(())
}

/// Column index `q / stride` of image position `q = p + pad - k·dilation` and whether tap `kk`
/// of some column lands on `p` (q ≥ 0, divisible by the stride, column in range).
fn gather_cols(f: &mut Func, win: &Window, p: &[String], kk: &[String]) -> (Vec<String>, String) {
    let mut cols = vec![];
    let mut conds = vec![];
    for d in 0..win.img.len() {
        let q = ix::lin(f, &[(&p[d], 1), (&kk[d], -(win.dilations[d] as i64))], win.pad_begin[d] as i64);
        let z = f.idx(0);
        conds.push(ix::cmp(f, "sge", &q, &z));
        let s = win.strides[d];
        let c = if s == 1 {
            q
        } else {
            let sv = f.idx(s);
            let r = f.op(format!("arith.remsi {q}, {sv} : index"));
            conds.push(ix::cmp(f, "eq", &r, &z));
            f.op(format!("arith.divsi {q}, {sv} : index"))
        };
        let n = f.idx(win.cols[d]);
        conds.push(ix::cmp(f, "slt", &c, &n));
        cols.push(c);
    }
    let ok = ix::and_all(f, &conds);
    (cols, ok)
}

/// Transposed convolution as a gather: each output sums, tap by tap, the channel dot products of
/// the inputs whose windows cover it (the interpreter's gemm + col2im order), then the bias.
fn transpose(k: &mut Kernel, win: &Window, group: usize) -> Result<()> {
    let (x, w, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
    let bias = k.ins.get(2).cloned().flatten();
    let s = match Scalar::of(y.dt) {
        Some(s @ Scalar::Float(_)) => s,
        _ => return k.unsupported(format!("ConvTranspose of {}", y.dt)),
    };
    let (nb, c_in, c_out) = (x.shape[0], x.shape[1], y.shape[1]);
    let (cg, mg) = (c_in / group, c_out / group);
    if w.shape[1] != mg {
        return k.unsupported(format!("weight {:?} for {c_out} output channels in {group} groups", w.shape));
    }
    let t = s.ty();
    let f = &mut k.f;
    f.nest(&[nb, group, mg], |f, ivs| {
        let (n, g, ml) = (&ivs[0], &ivs[1], &ivs[2]);
        let m = ix::lin(f, &[(g, mg as i64), (ml, 1)], 0);
        f.nest(&win.img, |f, p| {
            let zero = f.fconst(0.0, s);
            let acc = ix::fold_nest(f, &win.kernel, &[(zero.clone(), t.clone())], &mut |f, kk, acc| {
                let (cols, ok) = gather_cols(f, win, p, kk);
                let acc0 = acc[0].clone();
                ix::if_else(
                    f,
                    &ok,
                    std::slice::from_ref(&t),
                    |f| {
                        let part = f.for_iter(0, cg, 1, &[(zero.clone(), t.clone())], |f, c, pa| {
                            let ci = ix::lin(f, &[(g, cg as i64), (c, 1)], 0);
                            let mut xi = vec![n.clone(), ci.clone()];
                            xi.extend(cols.iter().cloned());
                            let mut wi = vec![ci, ml.clone()];
                            wi.extend(kk.iter().cloned());
                            let xv = f.load(&x.mem, &x.mty, &xi, x.dt);
                            let wv = f.load(&w.mem, &w.mty, &wi, w.dt);
                            vec![ix::mul_add(f, &pa[0], &xv, &wv, s)]
                        });
                        vec![ix::sadd(f, &acc0, &part[0], s)]
                    },
                    |_| vec![acc0.clone()],
                )
            });
            let mut v = acc[0].clone();
            if let Some(b) = &bias {
                let bv = f.load(&b.mem, &b.mty, std::slice::from_ref(&m), b.dt);
                v = ix::sadd(f, &v, &bv, s);
            }
            let mut yi = vec![n.clone(), m.clone()];
            yi.extend(p.iter().cloned());
            f.store(&v, &y.mem, &y.mty, &yi, y.dt);
        });
    });
    Ok(())
}

/// Col2Im as a gather: each image element sums its covering (tap, column) entries in tap order.
fn col2im(k: &mut Kernel, win: &Window) -> Result<()> {
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    let s = match Scalar::of(y.dt) {
        Some(s @ (Scalar::Float(_) | Scalar::Int { .. })) => s,
        _ => return k.unsupported(format!("Col2Im of {}", y.dt)),
    };
    let taps = win.taps();
    let (nb, ch) = (y.shape[0], y.shape[1]);
    if x.shape.len() != 3 || x.shape[1] != ch * taps || x.shape[2] != win.col_size() {
        return k.unsupported(format!("input {:?} does not match image {:?} with {taps} taps", x.shape, win.img));
    }
    let t = s.ty();
    let nd = win.img.len();
    let mut col_strides = vec![1i64; nd];
    for d in (0..nd.saturating_sub(1)).rev() {
        col_strides[d] = col_strides[d + 1] * win.cols[d + 1] as i64;
    }
    let mut tap_strides = vec![1i64; nd];
    for d in (0..nd.saturating_sub(1)).rev() {
        tap_strides[d] = tap_strides[d + 1] * win.kernel[d + 1] as i64;
    }
    let f = &mut k.f;
    f.nest(&[nb, ch], |f, ivs| {
        let (n, c) = (&ivs[0], &ivs[1]);
        f.nest(&win.img, |f, p| {
            let zero = f.fconst(0.0, s);
            let acc = ix::fold_nest(f, &win.kernel, &[(zero, t.clone())], &mut |f, kk, acc| {
                let (cols, ok) = gather_cols(f, win, p, kk);
                let acc0 = acc[0].clone();
                ix::if_else(
                    f,
                    &ok,
                    std::slice::from_ref(&t),
                    |f| {
                        let mut terms: Vec<(&str, i64)> = vec![(c.as_str(), taps as i64)];
                        terms.extend(kk.iter().zip(&tap_strides).map(|(v, &s)| (v.as_str(), s)));
                        let row = ix::lin(f, &terms, 0);
                        let cterms: Vec<(&str, i64)> = cols.iter().zip(&col_strides).map(|(v, &s)| (v.as_str(), s)).collect();
                        let col = ix::lin(f, &cterms, 0);
                        let v = f.load(&x.mem, &x.mty, &[n.clone(), row, col], x.dt);
                        vec![ix::sadd(f, &acc0, &v, s)]
                    },
                    |_| vec![acc0.clone()],
                )
            });
            let mut yi = vec![n.clone(), c.clone()];
            yi.extend(p.iter().cloned());
            f.store(&acc[0], &y.mem, &y.mty, &yi, y.dt);
        });
    });
    Ok(())
}
