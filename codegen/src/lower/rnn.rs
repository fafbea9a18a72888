//! RNN, GRU and LSTM: per direction and batch row, a time loop (bounded by sequence_lens at
//! run time) computing the gate pre-activations X·Wᵀ + B and H·Rᵀ + B into scratch, then the
//! cell update. Computed in f64 like the interpreter, so long recurrences agree closely.

use super::Kernel;
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::{DType, Graph, NodeId, Op, RnnActivation, RnnDirection, RnnKind};

fn gates_slots(kind: RnnKind) -> (usize, usize) {
    match kind {
        RnnKind::Rnn => (1, 1),
        RnnKind::Gru { .. } => (3, 2),
        RnnKind::Lstm { .. } => (4, 3),
    }
}

/// Scratch (f64): h, c, xw, hr and three GRU temporaries of h each.
pub fn scratch_bytes(g: &Graph, id: NodeId) -> usize {
    let Op::Rnn(a) = &g.node(id).op else { return 0 };
    let (gates, _) = gates_slots(a.kind);
    let h = a.hidden_size;
    (2 * h + 2 * gates * h + 3 * h) * 8
}

const F64: Scalar = Scalar::Float(64);

fn to_f64(f: &mut Func, v: &str, dt: DType) -> String {
    match dt {
        DType::F64 => v.to_string(),
        _ => f.op(format!("arith.extf {v} : f32 to f64")),
    }
}

fn from_f64(f: &mut Func, v: &str, dt: DType) -> String {
    match dt {
        DType::F64 => v.to_string(),
        _ => f.op(format!("arith.truncf {v} : f64 to f32")),
    }
}

fn sigmoid(f: &mut Func, x: &str) -> String {
    crate::scalar::sigmoid(f, x, F64)
}

/// An activation on an f64 value, as `ir::ops::rnn::apply`.
fn act(f: &mut Func, a: &RnnActivation, x: &str) -> std::result::Result<String, String> {
    use RnnActivation as A;
    let c = |f: &mut Func, v: f32| f.fconst(v as f64, F64);
    Ok(match *a {
        A::Relu => {
            let z = c(f, 0.0);
            f.op(format!("arith.maximumf {x}, {z} : f64"))
        }
        A::Tanh => f.op(format!("math.tanh {x} : f64")),
        A::Sigmoid => sigmoid(f, x),
        A::Affine { alpha, beta } => {
            let (al, be) = (c(f, alpha.0), c(f, beta.0));
            let m = f.op(format!("arith.mulf {al}, {x} : f64"));
            f.op(format!("arith.addf {m}, {be} : f64"))
        }
        A::LeakyRelu { alpha } => {
            let (z, al) = (c(f, 0.0), c(f, alpha.0));
            let ge = f.op(format!("arith.cmpf oge, {x}, {z} : f64"));
            let m = f.op(format!("arith.mulf {al}, {x} : f64"));
            f.op(format!("arith.select {ge}, {x}, {m} : f64"))
        }
        A::ThresholdedRelu { alpha } => {
            let (z, al) = (c(f, 0.0), c(f, alpha.0));
            let gt = f.op(format!("arith.cmpf ogt, {x}, {al} : f64"));
            f.op(format!("arith.select {gt}, {x}, {z} : f64"))
        }
        A::ScaledTanh { alpha, beta } => {
            let (al, be) = (c(f, alpha.0), c(f, beta.0));
            let m = f.op(format!("arith.mulf {be}, {x} : f64"));
            let t = f.op(format!("math.tanh {m} : f64"));
            f.op(format!("arith.mulf {al}, {t} : f64"))
        }
        A::HardSigmoid { alpha, beta } => {
            let (z, one, al, be) = (c(f, 0.0), c(f, 1.0), c(f, alpha.0), c(f, beta.0));
            let m = f.op(format!("arith.mulf {al}, {x} : f64"));
            let m = f.op(format!("arith.addf {m}, {be} : f64"));
            let m = f.op(format!("arith.maximumf {m}, {z} : f64"));
            f.op(format!("arith.minimumf {m}, {one} : f64"))
        }
        A::Elu { alpha } => {
            let (z, one, al) = (c(f, 0.0), c(f, 1.0), c(f, alpha.0));
            let ge = f.op(format!("arith.cmpf oge, {x}, {z} : f64"));
            let e = f.op(format!("math.exp {x} : f64"));
            let e = f.op(format!("arith.subf {e}, {one} : f64"));
            let m = f.op(format!("arith.mulf {al}, {e} : f64"));
            f.op(format!("arith.select {ge}, {x}, {m} : f64"))
        }
        A::Softsign => crate::scalar::unary(f, &ir::UnaryOp::Softsign, x, DType::F64)?,
        A::Softplus => crate::scalar::unary(f, &ir::UnaryOp::Softplus, x, DType::F64)?,
    })
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::Rnn(a) = k.node.op.clone() else { unreachable!() };
    let x = k.input(0)?.clone();
    let (w, r) = (k.input(1)?.clone(), k.input(2)?.clone());
    let opt = |i: usize| k.ins.get(i).cloned().flatten();
    let (bias, lens, h0, c0, peep) = (opt(3), opt(4), opt(5), opt(6), opt(7));
    if !matches!(x.dt, DType::F32 | DType::F64 | DType::F16 | DType::BF16) {
        return k.unsupported(format!("{} recurrence", x.dt));
    }
    let [d0, d1, _input] = x.shape[..] else { return k.unsupported("X must be 3-D") };
    let (seq, batch) = if a.batch_major { (d1, d0) } else { (d0, d1) };
    let (gates, slots) = gates_slots(a.kind);
    let ndir = if a.direction == RnnDirection::Bidirectional { 2 } else { 1 };
    let h = a.hidden_size;
    let gh = gates * h;
    let acts: Vec<RnnActivation> = if a.activations.is_empty() {
        let d: &[RnnActivation] = match a.kind {
            RnnKind::Rnn => &[RnnActivation::Tanh],
            RnnKind::Gru { .. } => &[RnnActivation::Sigmoid, RnnActivation::Tanh],
            RnnKind::Lstm { .. } => &[RnnActivation::Sigmoid, RnnActivation::Tanh, RnnActivation::Tanh],
        };
        d.iter().cycle().take(slots * ndir).copied().collect()
    } else {
        a.activations.clone()
    };
    if acts.len() != slots * ndir {
        return k.unsupported(format!("{} activations for {} slots", acts.len(), slots * ndir));
    }
    let Some((scr, bytes)) = k.scratch.clone() else { return k.unsupported("rnn needs scratch") };
    let outs = k.outs.clone();
    let input = x.shape[2];
    let dt = x.dt;
    let f = &mut k.f;
    // Scratch views (f64).
    let view = |f: &mut Func, off: usize, n: usize| -> (String, String) {
        let o = f.idx(off * 8);
        let ty = format!("memref<{}xf64>", n.max(1));
        (f.op(format!("memref.view {scr}[{o}][] : memref<{bytes}xi8> to {ty}")), ty)
    };
    let (hs, hty) = view(f, 0, h);
    let (cs, _) = view(f, h, h);
    let (xw, gty) = view(f, 2 * h, gh);
    let (hr, _) = view(f, 2 * h + gh, gh);
    let (tmp, tty) = view(f, 2 * h + 2 * gh, 3 * h);
    let zero = f.fconst(0.0, F64);
    let one = f.fconst(1.0, F64);
    // Y starts at zero (steps past a row's length stay 0).
    for o in &outs {
        let z = f.fconst(0.0, Scalar::of(o.dt).unwrap());
        let zs = f.narrow(&z, o.dt);
        let e = crate::mlir::elem_type(o.dt).unwrap();
        f.line(format!("linalg.fill ins({zs} : {e}) outs({} : {})", o.mem, o.mty));
    }
    let ld = |f: &mut Func, o: &super::Operand, idx: &[String]| -> String {
        let v = f.load(&o.mem, &o.mty, idx, o.dt);
        to_f64(f, &v, o.dt)
    };
    let clip = |f: &mut Func, v: &str| -> String {
        match a.clip {
            Some(c) => {
                let cv = (c.0 as f64).abs();
                let (lo, hi) = (f.fconst(-cv, F64), f.fconst(cv, F64));
                let v = f.op(format!("arith.maximumf {v}, {lo} : f64"));
                f.op(format!("arith.minimumf {v}, {hi} : f64"))
            }
            None => v.to_string(),
        }
    };
    let mut err: Option<String> = None;
    for d in 0..ndir {
        let reverse = a.direction == RnnDirection::Reverse || d == 1;
        let fa = &acts[d * slots..(d + 1) * slots];
        let dc = f.idx(d);
        f.for_range(0, batch, |f, bi| {
            let sidx = |j: &str| -> Vec<String> {
                if a.batch_major {
                    vec![bi.to_string(), dc.clone(), j.to_string()]
                } else {
                    vec![dc.clone(), bi.to_string(), j.to_string()]
                }
            };
            f.for_range(0, h, |f, j| {
                let hv = match &h0 {
                    Some(t) => ld(f, t, &sidx(j)),
                    None => zero.clone(),
                };
                f.line(format!("memref.store {hv}, {hs}[{j}] : {hty}"));
                let cv = match &c0 {
                    Some(t) => ld(f, t, &sidx(j)),
                    None => zero.clone(),
                };
                f.line(format!("memref.store {cv}, {cs}[{j}] : {hty}"));
            });
            // This row's length (clamped into [0, seq]).
            let len = match &lens {
                Some(l) => {
                    let raw = f.op(format!("memref.load {}[{bi}] : {}", l.mem, l.mty));
                    let e = crate::mlir::elem_type(l.dt).unwrap();
                    let zi = f.cst("0", e);
                    let neg = f.op(format!("arith.cmpi slt, {raw}, {zi} : {e}"));
                    let i = f.op(format!("arith.index_cast {raw} : {e} to index"));
                    let sq = f.idx(seq);
                    let i = f.op(format!("arith.minui {i}, {sq} : index"));
                    let z = f.idx(0);
                    f.op(format!("arith.select {neg}, {z}, {i} : index"))
                }
                None => f.idx(seq),
            };
            let c0i = f.idx(0);
            let c1i = f.idx(1);
            let step = f.fresh();
            f.line(format!("scf.for {step} = {c0i} to {len} step {c1i} {{"));
            f.enter();
            let t = if reverse {
                let a1 = f.op(format!("arith.subi {len}, {step} : index"));
                f.op(format!("arith.subi {a1}, {c1i} : index"))
            } else {
                step.clone()
            };
            let xi = |jj: &str| -> Vec<String> {
                if a.batch_major {
                    vec![bi.to_string(), t.clone(), jj.to_string()]
                } else {
                    vec![t.clone(), bi.to_string(), jj.to_string()]
                }
            };
            // Pre-activations.
            f.for_range(0, gh, |f, g| {
                let wsum = f.for_iter(0, input, 1, &[(zero.clone(), "f64".into())], |f, ii, acc| {
                    let wv = ld(f, &w, &[dc.clone(), g.to_string(), ii.to_string()]);
                    let xv = ld(f, &x, &xi(ii));
                    let p = f.op(format!("arith.mulf {wv}, {xv} : f64"));
                    vec![f.op(format!("arith.addf {}, {p} : f64", acc[0]))]
                });
                let rsum = f.for_iter(0, h, 1, &[(zero.clone(), "f64".into())], |f, jj, acc| {
                    let rv = ld(f, &r, &[dc.clone(), g.to_string(), jj.to_string()]);
                    let hv = f.op(format!("memref.load {hs}[{jj}] : {hty}"));
                    let p = f.op(format!("arith.mulf {rv}, {hv} : f64"));
                    vec![f.op(format!("arith.addf {}, {p} : f64", acc[0]))]
                });
                let (wb, rb) = match &bias {
                    Some(b) => {
                        let ghc = f.idx(gh);
                        let g2 = f.op(format!("arith.addi {g}, {ghc} : index"));
                        (ld(f, b, &[dc.clone(), g.to_string()]), ld(f, b, &[dc.clone(), g2]))
                    }
                    None => (zero.clone(), zero.clone()),
                };
                let xs = f.op(format!("arith.addf {}, {wb} : f64", wsum[0]));
                let hsum = f.op(format!("arith.addf {}, {rb} : f64", rsum[0]));
                f.line(format!("memref.store {xs}, {xw}[{g}] : {gty}"));
                f.line(format!("memref.store {hsum}, {hr}[{g}] : {gty}"));
            });
            let gate = |f: &mut Func, buf: &str, gi: usize, j: &str| -> String {
                let off = f.idx(gi * h);
                let ix = f.op(format!("arith.addi {j}, {off} : index"));
                f.op(format!("memref.load {buf}[{ix}] : {gty}"))
            };
            let res: std::result::Result<(), String> = (|| {
                match a.kind {
                    RnnKind::Rnn => {
                        let mut e2 = None;
                        f.for_range(0, h, |f, j| {
                            let (p, q) = (gate(f, &xw, 0, j), gate(f, &hr, 0, j));
                            let s = f.op(format!("arith.addf {p}, {q} : f64"));
                            let s = clip(f, &s);
                            match act(f, &fa[0], &s) {
                                Ok(v) => f.line(format!("memref.store {v}, {tmp}[{j}] : {tty}")),
                                Err(e) => e2 = Some(e),
                            }
                        });
                        if let Some(e) = e2 {
                            return Err(e);
                        }
                        f.for_range(0, h, |f, j| {
                            let v = f.op(format!("memref.load {tmp}[{j}] : {tty}"));
                            f.line(format!("memref.store {v}, {hs}[{j}] : {hty}"));
                        });
                    }
                    RnnKind::Gru { linear_before_reset } => {
                        let mut e2 = None;
                        // z → tmp[0..h], r → tmp[h..2h], h̃ → tmp[2h..3h]
                        f.for_range(0, h, |f, j| {
                            for gi in 0..2 {
                                let (p, q) = (gate(f, &xw, gi, j), gate(f, &hr, gi, j));
                                let s = f.op(format!("arith.addf {p}, {q} : f64"));
                                let s = clip(f, &s);
                                match act(f, &fa[0], &s) {
                                    Ok(v) => {
                                        let off = f.idx(gi * h);
                                        let ix = f.op(format!("arith.addi {j}, {off} : index"));
                                        f.line(format!("memref.store {v}, {tmp}[{ix}] : {tty}"));
                                    }
                                    Err(e) => e2 = Some(e),
                                }
                            }
                        });
                        f.for_range(0, h, |f, j| {
                            let hoff = f.idx(h);
                            let rj = f.op(format!("arith.addi {j}, {hoff} : index"));
                            let rv = f.op(format!("memref.load {tmp}[{rj}] : {tty}"));
                            let xg = gate(f, &xw, 2, j);
                            let pre = if linear_before_reset {
                                let hg = gate(f, &hr, 2, j);
                                let m = f.op(format!("arith.mulf {rv}, {hg} : f64"));
                                f.op(format!("arith.addf {xg}, {m} : f64"))
                            } else {
                                let g2 = f.idx(2 * h);
                                let g = f.op(format!("arith.addi {j}, {g2} : index"));
                                let s = f.for_iter(0, h, 1, &[(zero.clone(), "f64".into())], |f, jj, acc| {
                                    let wv = ld(f, &r, &[dc.clone(), g.clone(), jj.to_string()]);
                                    let hoff = f.idx(h);
                                    let rjj = f.op(format!("arith.addi {jj}, {hoff} : index"));
                                    let rr = f.op(format!("memref.load {tmp}[{rjj}] : {tty}"));
                                    let hv = f.op(format!("memref.load {hs}[{jj}] : {hty}"));
                                    let p = f.op(format!("arith.mulf {wv}, {rr} : f64"));
                                    let p = f.op(format!("arith.mulf {p}, {hv} : f64"));
                                    vec![f.op(format!("arith.addf {}, {p} : f64", acc[0]))]
                                });
                                let rb = match &bias {
                                    Some(b) => {
                                        let o = f.idx(gh);
                                        let gi = f.op(format!("arith.addi {g}, {o} : index"));
                                        ld(f, b, &[dc.clone(), gi])
                                    }
                                    None => zero.clone(),
                                };
                                let v = f.op(format!("arith.addf {xg}, {} : f64", s[0]));
                                f.op(format!("arith.addf {v}, {rb} : f64"))
                            };
                            let pre = clip(f, &pre);
                            match act(f, &fa[1], &pre) {
                                Ok(v) => {
                                    let o = f.idx(2 * h);
                                    let ix = f.op(format!("arith.addi {j}, {o} : index"));
                                    f.line(format!("memref.store {v}, {tmp}[{ix}] : {tty}"));
                                }
                                Err(e) => e2 = Some(e),
                            }
                        });
                        if let Some(e) = e2 {
                            return Err(e);
                        }
                        f.for_range(0, h, |f, j| {
                            let z = f.op(format!("memref.load {tmp}[{j}] : {tty}"));
                            let o = f.idx(2 * h);
                            let ix = f.op(format!("arith.addi {j}, {o} : index"));
                            let ht = f.op(format!("memref.load {tmp}[{ix}] : {tty}"));
                            let hv = f.op(format!("memref.load {hs}[{j}] : {hty}"));
                            let omz = f.op(format!("arith.subf {one}, {z} : f64"));
                            let a1 = f.op(format!("arith.mulf {omz}, {ht} : f64"));
                            let a2 = f.op(format!("arith.mulf {z}, {hv} : f64"));
                            let n = f.op(format!("arith.addf {a1}, {a2} : f64"));
                            f.line(format!("memref.store {n}, {hs}[{j}] : {hty}"));
                        });
                    }
                    RnnKind::Lstm { input_forget } => {
                        let mut e2 = None;
                        f.for_range(0, h, |f, j| {
                            let pv = |f: &mut Func, kk: usize| -> String {
                                match &peep {
                                    Some(p) => {
                                        let o = f.idx(kk * h);
                                        let ix = f.op(format!("arith.addi {j}, {o} : index"));
                                        ld(f, p, &[dc.clone(), ix])
                                    }
                                    None => zero.clone(),
                                }
                            };
                            let pre = |f: &mut Func, gi: usize| -> String {
                                let (p, q) = (gate(f, &xw, gi, j), gate(f, &hr, gi, j));
                                f.op(format!("arith.addf {p}, {q} : f64"))
                            };
                            let cprev = f.op(format!("memref.load {cs}[{j}] : {hty}"));
                            let mut go = || -> std::result::Result<(), String> {
                                let p0 = pv(f, 0);
                                let pi = pre(f, 0);
                                let m = f.op(format!("arith.mulf {p0}, {cprev} : f64"));
                                let s = f.op(format!("arith.addf {pi}, {m} : f64"));
                                let s = clip(f, &s);
                                let i = act(f, &fa[0], &s)?;
                                let fg = if input_forget {
                                    f.op(format!("arith.subf {one}, {i} : f64"))
                                } else {
                                    let p2 = pv(f, 2);
                                    let pf = pre(f, 2);
                                    let m = f.op(format!("arith.mulf {p2}, {cprev} : f64"));
                                    let s = f.op(format!("arith.addf {pf}, {m} : f64"));
                                    let s = clip(f, &s);
                                    act(f, &fa[0], &s)?
                                };
                                let pc = pre(f, 3);
                                let pc = clip(f, &pc);
                                let c = act(f, &fa[1], &pc)?;
                                let a1 = f.op(format!("arith.mulf {fg}, {cprev} : f64"));
                                let a2 = f.op(format!("arith.mulf {i}, {c} : f64"));
                                let cn = f.op(format!("arith.addf {a1}, {a2} : f64"));
                                let p1 = pv(f, 1);
                                let po = pre(f, 1);
                                let m = f.op(format!("arith.mulf {p1}, {cn} : f64"));
                                let s = f.op(format!("arith.addf {po}, {m} : f64"));
                                let s = clip(f, &s);
                                let o = act(f, &fa[0], &s)?;
                                let tc = act(f, &fa[2], &cn)?;
                                let hn = f.op(format!("arith.mulf {o}, {tc} : f64"));
                                // New c and h wait in tmp until every j is done (h feeds R·h).
                                f.line(format!("memref.store {cn}, {cs}[{j}] : {hty}"));
                                f.line(format!("memref.store {hn}, {tmp}[{j}] : {tty}"));
                                Ok(())
                            };
                            if let Err(e) = go() {
                                e2 = Some(e);
                            }
                        });
                        if let Some(e) = e2 {
                            return Err(e);
                        }
                        f.for_range(0, h, |f, j| {
                            let v = f.op(format!("memref.load {tmp}[{j}] : {tty}"));
                            f.line(format!("memref.store {v}, {hs}[{j}] : {hty}"));
                        });
                    }
                }
                Ok(())
            })();
            if let Err(e) = res {
                err = Some(e);
            }
            // Y[t, d, b, :] = h
            if let Some(y) = outs.first() {
                f.for_range(0, h, |f, j| {
                    let v = f.op(format!("memref.load {hs}[{j}] : {hty}"));
                    let v = from_f64(f, &v, dt);
                    let idx = if a.batch_major {
                        vec![bi.to_string(), t.clone(), dc.clone(), j.to_string()]
                    } else {
                        vec![t.clone(), dc.clone(), bi.to_string(), j.to_string()]
                    };
                    f.store(&v, &y.mem, &y.mty, &idx, y.dt);
                });
            }
            f.leave();
            f.line("}");
            // Final states.
            for (oi, buf) in [(1usize, &hs), (2, &cs)] {
                if let Some(o) = outs.get(oi) {
                    f.for_range(0, h, |f, j| {
                        let v = f.op(format!("memref.load {buf}[{j}] : {hty}"));
                        let v = from_f64(f, &v, dt);
                        f.store(&v, &o.mem, &o.mty, &sidx(j), o.dt);
                    });
                }
            }
        });
    }
    match err {
        Some(e) => k.unsupported(e),
        None => Ok(()),
    }
}
