//! BatchNorm (inference), InstanceNorm and GroupNorm on [N, C, spatial…] with per-channel
//! parameters, as `ir::ops::norm::channel_norm`: everything in f64, each output rounded once.
//! BatchNorm is scale·(x − mean)/√(var + ε) + bias with the square root hoisted per channel;
//! Instance/GroupNorm take the mean and the (two-pass) variance of each contiguous group, then
//! (x − mean)·inv·scale + bias. Innermost loops run over contiguous spatial positions.

use super::lanes::{self, add_r, to_f64, View};
use super::Kernel;
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::Op;

/// A parameter input as f64 at `idx`.
fn param(f: &mut Func, p: &View, idx: &[String]) -> String {
    let v = p.load(f, idx);
    to_f64(f, &v, p.dt)
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let x = lanes::float_input(k, 0, "x")?;
    let y = k.outs[0].clone();
    if x.shape.len() < 2 {
        return k.unsupported(format!("input of rank {} (needs N, C, …)", x.shape.len()));
    }
    let (n, c) = (x.shape[0], x.shape[1]);
    let sp: usize = x.shape[2..].iter().product();
    let scale = lanes::float_input(k, 1, "scale")?;
    let bias = lanes::float_input(k, 2, "bias")?;
    match k.node.op {
        Op::BatchNorm { epsilon } => {
            let mean = lanes::float_input(k, 3, "mean")?;
            let var = lanes::float_input(k, 4, "var")?;
            let f = &mut k.f;
            let xv = lanes::view(f, &x, &[n, c, sp]);
            let yv = lanes::view(f, &y, &[n, c, sp]);
            let ps: Vec<View> = [&scale, &bias, &mean, &var].iter().map(|p| lanes::view(f, p, &[c])).collect();
            let eps = f.fconst(epsilon.0 as f64, Scalar::Float(64));
            lanes::nest(f, &[n, c], &mut |f, iv| {
                let ch = [iv[1].clone()];
                let (sc, b, m, v) = (param(f, &ps[0], &ch), param(f, &ps[1], &ch), param(f, &ps[2], &ch), param(f, &ps[3], &ch));
                let ve = f.op(format!("arith.addf {v}, {eps} : f64"));
                let sd = f.op(format!("math.sqrt {ve} : f64"));
                f.for_range(0, sp, |f, p| {
                    let at = [iv[0].clone(), iv[1].clone(), p.to_string()];
                    let xv0 = xv.load(f, &at);
                    let x64 = to_f64(f, &xv0, x.dt);
                    let d = f.op(format!("arith.subf {x64}, {m} : f64"));
                    let t = f.op(format!("arith.mulf {sc}, {d} : f64"));
                    let t = f.op(format!("arith.divf {t}, {sd} : f64"));
                    let r = f.op(format!("arith.addf {t}, {b} : f64"));
                    yv.store_f64(f, &r, &at);
                });
            });
        }
        Op::InstanceNorm { epsilon } | Op::GroupNorm { epsilon, .. } => {
            let groups = match k.node.op {
                Op::GroupNorm { num_groups, .. } => num_groups,
                _ => c,
            };
            if groups == 0 || c % groups != 0 {
                return k.unsupported(format!("{c} channels do not split into {groups} groups"));
            }
            let cpg = c / groups;
            let glen = cpg * sp;
            let f = &mut k.f;
            let xg = lanes::view(f, &x, &[n, groups, glen]);
            let xs = lanes::view(f, &x, &[n, groups, cpg, sp]);
            let ys = lanes::view(f, &y, &[n, groups, cpg, sp]);
            let sv = lanes::view(f, &scale, &[groups, cpg]);
            let bv = lanes::view(f, &bias, &[groups, cpg]);
            let f64s = Scalar::Float(64);
            let (eps, zero, one) = (f.fconst(epsilon.0 as f64, f64s), f.fconst(0.0, f64s), f.fconst(1.0, f64s));
            let len = f.fconst(glen as f64, f64s);
            lanes::nest(f, &[n, groups], &mut |f, iv| {
                let at = |p: &str| [iv[0].clone(), iv[1].clone(), p.to_string()];
                let s = f.for_iter(0, glen, 1, &[(zero.clone(), "f64".into())], |f, p, a| {
                    let v = xg.load(f, &at(p));
                    let v = to_f64(f, &v, x.dt);
                    vec![add_r(f, &a[0], &v, "f64")]
                });
                let mean = f.op(format!("arith.divf {}, {len} : f64", s[0]));
                let q = f.for_iter(0, glen, 1, &[(zero.clone(), "f64".into())], |f, p, a| {
                    let v = xg.load(f, &at(p));
                    let v = to_f64(f, &v, x.dt);
                    let d = f.op(format!("arith.subf {v}, {mean} : f64"));
                    let d2 = f.op(format!("arith.mulf {d}, {d} : f64"));
                    vec![add_r(f, &a[0], &d2, "f64")]
                });
                let var = f.op(format!("arith.divf {}, {len} : f64", q[0]));
                let ve = f.op(format!("arith.addf {var}, {eps} : f64"));
                let sd = f.op(format!("math.sqrt {ve} : f64"));
                let inv = f.op(format!("arith.divf {one}, {sd} : f64"));
                f.for_range(0, cpg, |f, cc| {
                    let pi = [iv[1].clone(), cc.to_string()];
                    let (sc, b) = (param(f, &sv, &pi), param(f, &bv, &pi));
                    f.for_range(0, sp, |f, p| {
                        let at = [iv[0].clone(), iv[1].clone(), cc.to_string(), p.to_string()];
                        let v = xs.load(f, &at);
                        let v = to_f64(f, &v, x.dt);
                        let d = f.op(format!("arith.subf {v}, {mean} : f64"));
                        let t = f.op(format!("arith.mulf {d}, {inv} : f64"));
                        let t = f.op(format!("arith.mulf {t}, {sc} : f64"));
                        let r = f.op(format!("arith.addf {t}, {b} : f64"));
                        ys.store_f64(f, &r, &at);
                    });
                });
            });
        }
        _ => unreachable!(),
    }
    Ok(())
}
