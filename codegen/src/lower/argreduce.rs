//! ArgMax / ArgMin along one axis, as `ir::ops::reduce::arg_index`: NaN counts as the extreme
//! (the first NaN wins, or the last with select_last_index), ties go to the first index (the last
//! with select_last_index); the result is i64. The input is seen as [outer, n, inner]: with
//! inner = 1 each lane is one carried loop; otherwise the best values of a whole [n, inner] block
//! are kept in an arena row so the inner loop runs over contiguous memory.

use super::lanes::{self, Carver};
use super::Kernel;
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::{Graph, NodeId, Op};

/// Whether `v` replaces the current best `b` (compute scalars of type `s`).
pub fn better(f: &mut Func, v: &str, b: &str, s: Scalar, max: bool, last: bool) -> String {
    let t = s.ty();
    match s {
        Scalar::Float(_) => {
            let pred = match (max, last) {
                (true, false) => "ogt",
                (true, true) => "oge",
                (false, false) => "olt",
                (false, true) => "ole",
            };
            let cmp = f.op(format!("arith.cmpf {pred}, {v}, {b} : {t}"));
            let vn = f.op(format!("arith.cmpf uno, {v}, {v} : {t}"));
            let bn = f.op(format!("arith.cmpf uno, {b}, {b} : {t}"));
            // b NaN: only a later NaN with `last`; else a NaN v, or the comparison.
            let if_bn = if last { vn.clone() } else { f.cst("0", "i1") };
            let else_ = f.op(format!("arith.ori {vn}, {cmp} : i1"));
            f.op(format!("arith.select {bn}, {if_bn}, {else_} : i1"))
        }
        Scalar::Int { signed, .. } => {
            let p = if signed { "s" } else { "u" };
            let pred = match (max, last) {
                (true, false) => format!("{p}gt"),
                (true, true) => format!("{p}ge"),
                (false, false) => format!("{p}lt"),
                (false, true) => format!("{p}le"),
            };
            f.op(format!("arith.cmpi {pred}, {v}, {b} : {t}"))
        }
        Scalar::Bool => f.cst("0", "i1"),
    }
}

pub fn scratch_bytes(g: &Graph, id: NodeId) -> usize {
    let Op::ArgReduce { axis, .. } = g.node(id).op else { return 0 };
    let Some((shape, dt)) = lanes::input_type(g, id, 0) else { return 0 };
    match lanes::split_at_axis(&shape, axis) {
        Some((_, _, inner)) if inner > 1 => Carver::bytes(&[(inner, dt)]),
        _ => 0,
    }
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::ArgReduce { max, axis, select_last_index: last, .. } = k.node.op else { unreachable!() };
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    let s = match Scalar::of(x.dt) {
        Some(s @ (Scalar::Float(_) | Scalar::Int { .. })) => s,
        _ => return k.unsupported(format!("ArgMax/ArgMin of {}", x.dt)),
    };
    let ax = match ir::norm_axis(axis, x.shape.len()) {
        Ok(a) => a,
        Err(e) => return k.unsupported(e),
    };
    let (xv, outer, n, inner) = lanes::around_axis(&mut k.f, &x, ax);
    let yv = lanes::view(&mut k.f, &y, &[outer, inner]);
    if outer * n * inner == 0 {
        return Ok(());
    }
    let f = &mut k.f;
    let c0 = f.idx(0);
    if inner == 1 {
        lanes::nest(f, &[outer], &mut |f, o| {
            let x0 = xv.load(f, &[o[0].clone(), c0.clone(), c0.clone()]);
            let r = f.for_iter(1, n, 1, &[(c0.clone(), "index".into()), (x0, s.ty())], |f, j, c| {
                let v = xv.load(f, &[o[0].clone(), j.to_string(), c0.clone()]);
                let b = better(f, &v, &c[1], s, max, last);
                let t = s.ty();
                let bi = f.op(format!("arith.select {b}, {j}, {} : index", c[0]));
                let bv = f.op(format!("arith.select {b}, {v}, {} : {t}", c[1]));
                vec![bi, bv]
            });
            let i = f.op(format!("arith.index_cast {} : index to i64", r[0]));
            yv.store(f, &i, &[o[0].clone(), c0.clone()]);
        });
        return Ok(());
    }
    let mut c = Carver::new(k.scratch.clone());
    let Some(best) = c.take(&mut k.f, &[inner], x.dt) else {
        return k.unsupported("the ArgMax/ArgMin row was not planned (scratch too small)");
    };
    let f = &mut k.f;
    let zero = f.cst("0", "i64");
    lanes::nest(f, &[outer], &mut |f, o| {
        let o = o[0].clone();
        f.for_range(0, inner, |f, i| {
            let v = xv.load(f, &[o.clone(), c0.clone(), i.to_string()]);
            best.store(f, &v, &[i.to_string()]);
            yv.store(f, &zero, &[o.clone(), i.to_string()]);
        });
        f.for_range(1, n, |f, j| {
            let j64 = f.op(format!("arith.index_cast {j} : index to i64"));
            f.for_range(0, inner, |f, i| {
                let bi = [i.to_string()];
                let yi = [o.clone(), i.to_string()];
                let b = best.load(f, &bi);
                let v = xv.load(f, &[o.clone(), j.to_string(), i.to_string()]);
                let bt = better(f, &v, &b, s, max, last);
                let t = s.ty();
                let nb = f.op(format!("arith.select {bt}, {v}, {b} : {t}"));
                best.store(f, &nb, &bi);
                let cur = yv.load(f, &yi);
                let ni = f.op(format!("arith.select {bt}, {j64}, {cur} : i64"));
                yv.store(f, &ni, &yi);
            });
        });
    });
    Ok(())
}
