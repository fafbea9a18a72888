//! LpNormalization (p = 1 or 2) along one axis, as `ir::ops::norm::lp_norm`: the norm in f64
//! (Σ|x| or √Σx²), x / norm rounded once, 0 where the norm is 0. The input is seen as
//! [outer, n, inner]: with inner = 1 each lane is a carried loop then a scaling loop; otherwise
//! an f64 row of per-column sums in the arena keeps the innermost loops contiguous.

use super::lanes::{self, add_r, to_f64, Carver, View};
use super::Kernel;
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::{DType, Graph, NodeId, Op};

pub fn scratch_bytes(g: &Graph, id: NodeId) -> usize {
    let Op::LpNorm { axis, .. } = g.node(id).op else { return 0 };
    let Some((shape, _)) = lanes::input_type(g, id, 0) else { return 0 };
    match lanes::split_at_axis(&shape, axis) {
        Some((_, _, inner)) if inner > 1 => Carver::bytes(&[(inner, DType::F64)]),
        _ => 0,
    }
}

/// |x| or x² in f64.
fn term(f: &mut Func, x: &View, at: &[String], p: u32) -> String {
    let v = x.load(f, at);
    let v = to_f64(f, &v, x.dt);
    if p == 1 {
        f.op(format!("math.absf {v} : f64"))
    } else {
        f.op(format!("arith.mulf {v}, {v} : f64"))
    }
}

/// The norm from the accumulated sum.
fn norm(f: &mut Func, sum: &str, p: u32) -> String {
    if p == 1 {
        sum.to_string()
    } else {
        f.op(format!("math.sqrt {sum} : f64"))
    }
}

/// y[at] = x[at] / norm, or 0 when norm is 0.
fn scale(f: &mut Func, x: &View, y: &View, at: &[String], nrm: &str) {
    let z = f.fconst(0.0, Scalar::Float(64));
    let v = x.load(f, at);
    let v = to_f64(f, &v, x.dt);
    let q = f.op(format!("arith.divf {v}, {nrm} : f64"));
    let is0 = f.op(format!("arith.cmpf oeq, {nrm}, {z} : f64"));
    let r = f.op(format!("arith.select {is0}, {z}, {q} : f64"));
    y.store_f64(f, &r, at);
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::LpNorm { axis, p } = k.node.op else { unreachable!() };
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    if !matches!(Scalar::of(x.dt), Some(Scalar::Float(_))) {
        return k.unsupported(format!("LpNormalization of {}", x.dt));
    }
    if !matches!(p, 1 | 2) {
        return k.unsupported(format!("p = {p} (1 or 2 only)"));
    }
    let ax = match ir::norm_axis(axis, x.shape.len()) {
        Ok(a) => a,
        Err(e) => return k.unsupported(e),
    };
    let (xv, outer, n, inner) = lanes::around_axis(&mut k.f, &x, ax);
    let yv = lanes::view(&mut k.f, &y, &[outer, n, inner]);
    if outer * n * inner == 0 {
        return Ok(());
    }
    let zero = k.f.fconst(0.0, Scalar::Float(64));
    if inner == 1 {
        lanes::nest(&mut k.f, &[outer], &mut |f, o| {
            let c0 = f.idx(0);
            let at = |j: &str| [o[0].clone(), j.to_string(), c0.clone()];
            let s = f.for_iter(0, n, 1, &[(zero.clone(), "f64".into())], |f, j, a| {
                let t = term(f, &xv, &at(j), p);
                vec![add_r(f, &a[0], &t, "f64")]
            });
            let nrm = norm(f, &s[0], p);
            f.for_range(0, n, |f, j| scale(f, &xv, &yv, &at(j), &nrm));
        });
        return Ok(());
    }
    let mut c = Carver::new(k.scratch.clone());
    let Some(row) = c.take(&mut k.f, &[inner], DType::F64) else {
        return k.unsupported("the norm row was not planned (scratch too small)");
    };
    lanes::nest(&mut k.f, &[outer], &mut |f, o| {
        let at = |j: &str, i: &str| [o[0].clone(), j.to_string(), i.to_string()];
        f.for_range(0, inner, |f, i| row.store(f, &zero, &[i.to_string()]));
        f.for_range(0, n, |f, j| {
            f.for_range(0, inner, |f, i| {
                let t = term(f, &xv, &at(j, i), p);
                let a = row.load(f, &[i.to_string()]);
                let a = f.op(format!("arith.addf {a}, {t} : f64"));
                row.store(f, &a, &[i.to_string()]);
            });
        });
        f.for_range(0, inner, |f, i| {
            let a = row.load(f, &[i.to_string()]);
            let nrm = norm(f, &a, p);
            row.store(f, &nrm, &[i.to_string()]);
        });
        f.for_range(0, n, |f, j| {
            f.for_range(0, inner, |f, i| {
                let nrm = row.load(f, &[i.to_string()]);
                scale(f, &xv, &yv, &at(j, i), &nrm);
            });
        });
    });
    Ok(())
}
