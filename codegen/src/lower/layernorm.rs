//! LayerNorm (with its f32 mean and inv_std_dev outputs) and RmsNorm over the axes [axis, rank),
//! as `ir::ops::norm::trailing_norm`: per row, the mean and two-pass variance (LayerNorm) or the
//! mean square (RmsNorm) in f64, inv = 1/√(· + ε), then (x − mean)·inv·scale (+ bias) with scale
//! and bias broadcast to x, each output rounded once. One kernel, three passes over each row
//! (sum, squared deviations, normalise), all over contiguous memory; the reductions may be
//! reassociated so LLVM vectorizes them.

use super::lanes::{self, add_r, to_f64, View};
use super::Kernel;
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::Op;

/// The index into a parameter of `shape` broadcast to x, from x's full index.
fn bcast_index(f: &mut Func, shape: &[usize], full: &[String]) -> Vec<String> {
    let off = full.len() - shape.len();
    let c0 = f.idx(0);
    shape.iter().enumerate().map(|(i, &d)| if d == 1 { c0.clone() } else { full[off + i].clone() }).collect()
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let (axis, eps, layer) = match k.node.op {
        Op::LayerNorm { axis, epsilon } => (axis, epsilon.0 as f64, true),
        Op::RmsNorm { axis, epsilon } => (axis, epsilon.0 as f64, false),
        _ => unreachable!(),
    };
    let x = lanes::float_input(k, 0, "x")?;
    let scale = lanes::float_input(k, 1, "scale")?;
    let bias = match (layer, k.ins.get(2).and_then(|o| o.as_ref())) {
        (true, Some(_)) => Some(lanes::float_input(k, 2, "bias")?),
        _ => None,
    };
    for p in std::iter::once(&scale).chain(bias.as_ref()) {
        let off = x.shape.len().checked_sub(p.shape.len());
        let fits = off.is_some_and(|o| p.shape.iter().enumerate().all(|(i, &d)| d == 1 || d == x.shape[o + i]));
        if !fits {
            return k.unsupported(format!("parameter of shape {:?} does not broadcast to {:?}", p.shape, x.shape));
        }
    }
    let ax = match ir::norm_axis(axis, x.shape.len()) {
        Ok(a) => a,
        Err(e) => return k.unsupported(e),
    };
    let outs = k.outs.clone();
    let lead = x.shape[..ax].to_vec();
    let tail = x.shape[ax..].to_vec();
    let inner: usize = tail.iter().product();
    let f = &mut k.f;
    let mut rows_shape = lead.clone();
    rows_shape.push(inner);
    let xr = lanes::view(f, &x, &rows_shape);
    let xf = lanes::view(f, &x, &x.shape);
    let yf = lanes::view(f, &outs[0], &x.shape);
    let stats: Vec<View> = if layer { outs[1..].iter().take(2).map(|o| lanes::view(f, o, &lead)).collect() } else { vec![] };
    let sv = View::of(&scale);
    let bv = bias.as_ref().map(View::of);
    let f64s = Scalar::Float(64);
    let (epsc, zero, one) = (f.fconst(eps, f64s), f.fconst(0.0, f64s), f.fconst(1.0, f64s));
    let len = f.fconst(inner as f64, f64s);
    lanes::nest(f, &lead, &mut |f, liv| {
        let at = |j: &str| {
            let mut v = liv.to_vec();
            v.push(j.to_string());
            v
        };
        let (mean, q) = if layer {
            let s = f.for_iter(0, inner, 1, &[(zero.clone(), "f64".into())], |f, j, a| {
                let i = at(j);
                let v = xr.load(f, &i);
                let v = to_f64(f, &v, x.dt);
                vec![add_r(f, &a[0], &v, "f64")]
            });
            let mean = f.op(format!("arith.divf {}, {len} : f64", s[0]));
            let q = f.for_iter(0, inner, 1, &[(zero.clone(), "f64".into())], |f, j, a| {
                let i = at(j);
                let v = xr.load(f, &i);
                let v = to_f64(f, &v, x.dt);
                let d = f.op(format!("arith.subf {v}, {mean} : f64"));
                let d2 = f.op(format!("arith.mulf {d}, {d} : f64"));
                vec![add_r(f, &a[0], &d2, "f64")]
            });
            (mean, q[0].clone())
        } else {
            let q = f.for_iter(0, inner, 1, &[(zero.clone(), "f64".into())], |f, j, a| {
                let i = at(j);
                let v = xr.load(f, &i);
                let v = to_f64(f, &v, x.dt);
                let v2 = f.op(format!("arith.mulf {v}, {v} : f64"));
                vec![add_r(f, &a[0], &v2, "f64")]
            });
            (zero.clone(), q[0].clone())
        };
        let var = f.op(format!("arith.divf {q}, {len} : f64"));
        let ve = f.op(format!("arith.addf {var}, {epsc} : f64"));
        let sd = f.op(format!("math.sqrt {ve} : f64"));
        let inv = f.op(format!("arith.divf {one}, {sd} : f64"));
        if layer {
            let si: Vec<String> = if liv.is_empty() { vec![f.idx(0)] } else { liv.to_vec() };
            for (st, v) in stats.iter().zip([&mean, &inv]) {
                let v32 = f.op(format!("arith.truncf {v} : f64 to f32"));
                st.store(f, &v32, &si);
            }
        }
        lanes::nest(f, &tail, &mut |f, tiv| {
            let mut full = liv.to_vec();
            full.extend(tiv.iter().cloned());
            let v = xf.load(f, &full);
            let v = to_f64(f, &v, x.dt);
            let d = f.op(format!("arith.subf {v}, {mean} : f64"));
            let t = f.op(format!("arith.mulf {d}, {inv} : f64"));
            let si = bcast_index(f, &sv.shape, &full);
            let sc = sv.load(f, &si);
            let sc = to_f64(f, &sc, sv.dt);
            let mut r = f.op(format!("arith.mulf {t}, {sc} : f64"));
            if let Some(bv) = &bv {
                let bi = bcast_index(f, &bv.shape, &full);
                let b = bv.load(f, &bi);
                let b = to_f64(f, &b, bv.dt);
                r = f.op(format!("arith.addf {r}, {b} : f64"));
            }
            yf.store_f64(f, &r, &full);
        });
    });
    Ok(())
}
