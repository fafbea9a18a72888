//! Softmax, LogSoftmax and Hardmax along one axis, as `ir::ops::reduce::softmax`: shifted by the
//! lane max (NaN-ignoring, 0 when it is not finite, so all -inf lanes give NaN as numpy), the
//! exponentials summed in f64, each output rounded once. `exp` runs in the compute type: f64, or
//! f32 for f32/f16/bf16 through `fastexp` (vectorizable, within 2 ulp; x − max is exact to an ulp),
//! far inside the tolerance.
//! Hardmax is one-hot at the first max (NaN counts as the max).
//!
//! The input is seen as [outer, n, inner]. Over the last axis (inner = 1) each row takes three
//! passes over contiguous memory: max, sum of exp (written to the output when it holds them
//! exactly), normalise. Otherwise the same passes run over [n, inner] blocks with per-column
//! max and sum rows in the arena, the innermost loop over contiguous columns.

use super::argreduce::better;
use super::lanes::{self, add_r, to_f64, Carver, View};
use super::Kernel;
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::{DType, Graph, NodeId, Op, SoftmaxKind};

/// Arena rows needed for one [n, inner] block.
fn rows(kind: SoftmaxKind, dt: DType, inner: usize) -> Vec<(usize, DType)> {
    match kind {
        SoftmaxKind::Hardmax => vec![(inner, dt), (inner, DType::I64)],
        _ => vec![(inner, dt), (inner, DType::F64)],
    }
}

pub fn scratch_bytes(g: &Graph, id: NodeId) -> usize {
    let Op::Softmax { kind, axis } = g.node(id).op else { return 0 };
    let Some((shape, dt)) = lanes::input_type(g, id, 0) else { return 0 };
    match lanes::split_at_axis(&shape, axis) {
        Some((_, _, inner)) if inner > 1 => Carver::bytes(&rows(kind, dt, inner)),
        _ => 0,
    }
}

/// Everything a pass needs.
struct Sm {
    x: View,
    y: View,
    s: Scalar,
    n: usize,
    /// x as [outer, n] (when inner = 1) and the vector width of its max pass.
    rows: View,
    lanes: usize,
    /// The output holds exp(x - max) exactly between passes (f32/f64 outputs).
    cache: bool,
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::Softmax { kind, axis } = k.node.op else { unreachable!() };
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    let s = match Scalar::of(x.dt) {
        Some(s @ Scalar::Float(_)) => s,
        _ => return k.unsupported(format!("{kind:?} of {}", x.dt)),
    };
    let ax = match ir::norm_axis(axis, x.shape.len()) {
        Ok(a) => a,
        Err(e) => return k.unsupported(e),
    };
    let (xv, outer, n, inner) = lanes::around_axis(&mut k.f, &x, ax);
    let yv = lanes::view(&mut k.f, &y, &[outer, n, inner]);
    if outer * n * inner == 0 {
        return Ok(());
    }
    let x2 = lanes::view(&mut k.f, &x, &[outer, n]);
    let lanes = lanes::fold_lanes(k.target.f32_lanes, x.dt);
    let sm = Sm { x: xv, y: yv, s, n, rows: x2, lanes, cache: matches!(y.dt, DType::F32 | DType::F64) };
    if inner == 1 {
        lanes::nest(&mut k.f, &[outer], &mut |f, o| match kind {
            SoftmaxKind::Hardmax => hardmax_row(f, &sm, &o[0]),
            _ => softmax_row(f, &sm, kind, &o[0]),
        });
        return Ok(());
    }
    let mut c = Carver::new(k.scratch.clone());
    let r = rows(kind, x.dt, inner);
    let (Some(a), Some(b)) = (c.take(&mut k.f, &[inner], r[0].1), c.take(&mut k.f, &[inner], r[1].1)) else {
        return k.unsupported("the softmax rows were not planned (scratch too small)");
    };
    lanes::nest(&mut k.f, &[outer], &mut |f, o| match kind {
        SoftmaxKind::Hardmax => hardmax_block(f, &sm, &o[0], inner, &a, &b),
        _ => softmax_block(f, &sm, kind, &o[0], inner, &a, &b),
    });
    Ok(())
}

/// max → 0 when it is not finite.
fn finite_or_zero(f: &mut Func, m: &str, s: Scalar) -> String {
    let fin = lanes::is_finite(f, m, s);
    let z = f.fconst(0.0, s);
    f.op(format!("arith.select {fin}, {m}, {z} : {}", s.ty()))
}

/// exp(x - m) in the compute type (f32: the vectorizable `fastexp`).
fn exp_shifted(f: &mut Func, x: &str, m: &str, s: Scalar) -> String {
    let t = s.ty();
    let d = f.op(format!("arith.subf {x}, {m} : {t}"));
    if s == Scalar::Float(32) {
        super::fastexp::exp_f32(f, &d)
    } else {
        f.op(format!("math.exp {d} : {t}"))
    }
}

/// What the normalising pass needs of the f64 sum: its reciprocal (Softmax multiplies, which
/// is within an f64 ulp of dividing, invisible once rounded) or its log (LogSoftmax).
fn post_sum(f: &mut Func, kind: SoftmaxKind, sum: &str) -> String {
    if kind == SoftmaxKind::LogSoftmax {
        f.op(format!("math.log {sum} : f64"))
    } else {
        let one = f.fconst(1.0, Scalar::Float(64));
        f.op(format!("arith.divf {one}, {sum} : f64"))
    }
}

/// The output value from x, the shift m, and `post_sum` of the f64 sum; `e` is exp(x - m) when
/// already known.
fn finish(f: &mut Func, sm: &Sm, kind: SoftmaxKind, x: &str, m: &str, acc: &str, e: Option<String>) -> String {
    let v = match kind {
        SoftmaxKind::LogSoftmax => {
            let x64 = to_f64(f, x, sm.x.dt);
            let m64 = to_f64(f, m, sm.x.dt);
            let d = f.op(format!("arith.subf {x64}, {m64} : f64"));
            f.op(format!("arith.subf {d}, {acc} : f64"))
        }
        _ => {
            let e = e.unwrap_or_else(|| exp_shifted(f, x, m, sm.s));
            let e64 = to_f64(f, &e, sm.x.dt);
            f.op(format!("arith.mulf {e64}, {acc} : f64"))
        }
    };
    lanes::from_f64(f, &v, sm.y.dt)
}

fn softmax_row(f: &mut Func, sm: &Sm, kind: SoftmaxKind, o: &str) {
    let s = sm.s;
    let c0 = f.idx(0);
    let at = |j: &str| [o.to_string(), j.to_string(), c0.clone()];
    let ninf = f.fconst(f64::NEG_INFINITY, s);
    let fold = lanes::Fold { op: "maxnumf", init: &ninf, s, lanes: sm.lanes };
    let m = lanes::vec_fold(f, &sm.rows, &[o.to_string()], sm.n, &fold);
    let m = finite_or_zero(f, &m, s);
    let cache = sm.cache && kind == SoftmaxKind::Softmax;
    let z = f.fconst(0.0, Scalar::Float(64));
    let sum = f.for_iter(0, sm.n, 1, &[(z, "f64".into())], |f, j, c| {
        let v = sm.x.load(f, &at(j));
        let e = exp_shifted(f, &v, &m, s);
        if cache {
            sm.y.store(f, &e, &at(j));
        }
        let e64 = to_f64(f, &e, sm.x.dt);
        vec![add_r(f, &c[0], &e64, "f64")]
    });
    let acc = post_sum(f, kind, &sum[0]);
    f.for_range(0, sm.n, |f, j| {
        let v = sm.x.load(f, &at(j));
        let e = cache.then(|| sm.y.load(f, &at(j)));
        let r = finish(f, sm, kind, &v, &m, &acc, e);
        sm.y.store(f, &r, &at(j));
    });
}

fn softmax_block(f: &mut Func, sm: &Sm, kind: SoftmaxKind, o: &str, inner: usize, mrow: &View, srow: &View) {
    let (s, t) = (sm.s, sm.s.ty());
    let ninf = f.fconst(f64::NEG_INFINITY, s);
    let z = f.fconst(0.0, Scalar::Float(64));
    let at = |j: &str, i: &str| [o.to_string(), j.to_string(), i.to_string()];
    f.for_range(0, inner, |f, i| {
        mrow.store(f, &ninf, &[i.to_string()]);
        srow.store(f, &z, &[i.to_string()]);
    });
    f.for_range(0, sm.n, |f, j| {
        f.for_range(0, inner, |f, i| {
            let v = sm.x.load(f, &at(j, i));
            let m = mrow.load(f, &[i.to_string()]);
            let m = f.op(format!("arith.maxnumf {m}, {v} : {t}"));
            mrow.store(f, &m, &[i.to_string()]);
        });
    });
    f.for_range(0, inner, |f, i| {
        let m = mrow.load(f, &[i.to_string()]);
        let m = finite_or_zero(f, &m, s);
        mrow.store(f, &m, &[i.to_string()]);
    });
    let cache = sm.cache && kind == SoftmaxKind::Softmax;
    f.for_range(0, sm.n, |f, j| {
        f.for_range(0, inner, |f, i| {
            let v = sm.x.load(f, &at(j, i));
            let m = mrow.load(f, &[i.to_string()]);
            let e = exp_shifted(f, &v, &m, s);
            if cache {
                sm.y.store(f, &e, &at(j, i));
            }
            let e64 = to_f64(f, &e, sm.x.dt);
            let a = srow.load(f, &[i.to_string()]);
            let a = f.op(format!("arith.addf {a}, {e64} : f64"));
            srow.store(f, &a, &[i.to_string()]);
        });
    });
    f.for_range(0, inner, |f, i| {
        let a = srow.load(f, &[i.to_string()]);
        let l = post_sum(f, kind, &a);
        srow.store(f, &l, &[i.to_string()]);
    });
    f.for_range(0, sm.n, |f, j| {
        f.for_range(0, inner, |f, i| {
            let v = sm.x.load(f, &at(j, i));
            let m = mrow.load(f, &[i.to_string()]);
            let acc = srow.load(f, &[i.to_string()]);
            let e = cache.then(|| sm.y.load(f, &at(j, i)));
            let r = finish(f, sm, kind, &v, &m, &acc, e);
            sm.y.store(f, &r, &at(j, i));
        });
    });
}

/// One-hot at `best` (an index) along a lane.
fn one_hot(f: &mut Func, sm: &Sm, best: &str, j: &str) -> String {
    let (one, zero) = (f.fconst(1.0, sm.s), f.fconst(0.0, sm.s));
    let eq = f.op(format!("arith.cmpi eq, {j}, {best} : index"));
    f.op(format!("arith.select {eq}, {one}, {zero} : {}", sm.s.ty()))
}

fn hardmax_row(f: &mut Func, sm: &Sm, o: &str) {
    let (s, t) = (sm.s, sm.s.ty());
    let c0 = f.idx(0);
    let at = |j: &str| [o.to_string(), j.to_string(), c0.clone()];
    let x0 = sm.x.load(f, &at(&c0));
    let r = f.for_iter(1, sm.n, 1, &[(c0.clone(), "index".into()), (x0, t.clone())], |f, j, c| {
        let v = sm.x.load(f, &at(j));
        let b = better(f, &v, &c[1], s, true, false);
        let bi = f.op(format!("arith.select {b}, {j}, {} : index", c[0]));
        let bv = f.op(format!("arith.select {b}, {v}, {} : {t}", c[1]));
        vec![bi, bv]
    });
    f.for_range(0, sm.n, |f, j| {
        let y = one_hot(f, sm, &r[0], j);
        sm.y.store(f, &y, &at(j));
    });
}

fn hardmax_block(f: &mut Func, sm: &Sm, o: &str, inner: usize, vrow: &View, irow: &View) {
    let (s, t) = (sm.s, sm.s.ty());
    let c0 = f.idx(0);
    let zero = f.cst("0", "i64");
    let at = |j: &str, i: &str| [o.to_string(), j.to_string(), i.to_string()];
    f.for_range(0, inner, |f, i| {
        let v = sm.x.load(f, &at(&c0, i));
        vrow.store(f, &v, &[i.to_string()]);
        irow.store(f, &zero, &[i.to_string()]);
    });
    f.for_range(1, sm.n, |f, j| {
        let j64 = f.op(format!("arith.index_cast {j} : index to i64"));
        f.for_range(0, inner, |f, i| {
            let v = sm.x.load(f, &at(j, i));
            let b = vrow.load(f, &[i.to_string()]);
            let bt = better(f, &v, &b, s, true, false);
            let nb = f.op(format!("arith.select {bt}, {v}, {b} : {t}"));
            vrow.store(f, &nb, &[i.to_string()]);
            let cur = irow.load(f, &[i.to_string()]);
            let ni = f.op(format!("arith.select {bt}, {j64}, {cur} : i64"));
            irow.store(f, &ni, &[i.to_string()]);
        });
    });
    f.for_range(0, sm.n, |f, j| {
        f.for_range(0, inner, |f, i| {
            let b = irow.load(f, &[i.to_string()]);
            let bi = f.op(format!("arith.index_cast {b} : i64 to index"));
            let y = one_hot(f, sm, &bi, j);
            sm.y.store(f, &y, &at(j, i));
        });
    });
}
