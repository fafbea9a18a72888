//! ScatterElements and ScatterNd: copy the data into the output, then apply the updates in the
//! interpreter's order (row-major over the indices), so duplicates resolve the same way (last
//! write wins for `none`). Reductions match `ir`'s `Combine`: integers wrap, bool add/max = or
//! and mul/min = and, float max/min take the update when it is NaN or strictly better.
//! Indices are read at run time; negative ones wrap, out-of-range ones are clamped (the
//! interpreter reports an error; a kernel cannot yet).

use super::loops::load_index;
use super::operands::axis_of;
use super::view::copy_flat;
use super::Kernel;
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::{DType, Op, ScatterReduction};

/// Combine the current value `old` with the update `u` (compute scalars of dtype `dt`).
fn combine(f: &mut Func, r: ScatterReduction, old: &str, u: &str, dt: DType) -> String {
    let s = Scalar::of(dt).unwrap_or(Scalar::Bool);
    let t = s.ty();
    match (r, s) {
        (ScatterReduction::None, _) => u.to_string(),
        (ScatterReduction::Add, Scalar::Float(_)) => f.op(format!("arith.addf {old}, {u} : {t}")),
        (ScatterReduction::Mul, Scalar::Float(_)) => f.op(format!("arith.mulf {old}, {u} : {t}")),
        (ScatterReduction::Max | ScatterReduction::Min, Scalar::Float(_)) => {
            let pred = if r == ScatterReduction::Max { "ogt" } else { "olt" };
            let better = f.op(format!("arith.cmpf {pred}, {u}, {old} : {t}"));
            let nan = f.op(format!("arith.cmpf uno, {u}, {u} : {t}"));
            let take = f.op(format!("arith.ori {better}, {nan} : i1"));
            f.op(format!("arith.select {take}, {u}, {old} : {t}"))
        }
        (ScatterReduction::Add | ScatterReduction::Max, Scalar::Bool) => f.op(format!("arith.ori {old}, {u} : i1")),
        (ScatterReduction::Mul | ScatterReduction::Min, Scalar::Bool) => f.op(format!("arith.andi {old}, {u} : i1")),
        (ScatterReduction::Add, Scalar::Int { .. }) => f.op(format!("arith.addi {old}, {u} : {t}")),
        (ScatterReduction::Mul, Scalar::Int { .. }) => f.op(format!("arith.muli {old}, {u} : {t}")),
        (ScatterReduction::Max, Scalar::Int { signed, .. }) => {
            f.op(format!("arith.{} {old}, {u} : {t}", if signed { "maxsi" } else { "maxui" }))
        }
        (ScatterReduction::Min, Scalar::Int { signed, .. }) => {
            f.op(format!("arith.{} {old}, {u} : {t}", if signed { "minsi" } else { "minui" }))
        }
    }
}

/// Store `u` into `y[at]`, combined with the current value unless the reduction is `none`.
fn apply(f: &mut Func, r: ScatterReduction, y: (&str, &str), at: &[String], u: &str, dt: DType) {
    let v = if r == ScatterReduction::None {
        u.to_string()
    } else {
        let old = f.load(y.0, y.1, at, dt);
        combine(f, r, &old, u, dt)
    };
    f.store(&v, y.0, y.1, at, dt);
}

pub fn scatter_elements(k: &mut Kernel) -> Result<()> {
    let Op::ScatterElements { axis, reduction } = k.node.op else { unreachable!() };
    let (x, ind, u, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.input(2)?.clone(), k.outs[0].clone());
    let r = x.shape.len();
    let a = axis_of(k, axis, r)?;
    if ind.shape.len() != r || u.shape != ind.shape || u.dt != x.dt || y.shape != x.shape {
        return k.unsupported("indices/updates shapes do not match the data");
    }
    if (0..r).any(|i| i != a && ind.shape[i] > x.shape[i]) {
        return k.unsupported("indices exceed data off the axis");
    }
    copy_flat(&mut k.f, (&x.mem, &x.mty), (&y.mem, &y.mty), x.numel(), x.dt);
    if ind.numel() == 0 {
        return Ok(());
    }
    let d = x.shape[a];
    if d == 0 {
        return k.unsupported("scatter into an empty axis");
    }
    k.f.nest(&ind.shape.clone(), |f, ivs| {
        let j = load_index(f, &ind.mem, &ind.mty, ivs, ind.dt, d);
        let mut at = ivs.to_vec();
        at[a] = j;
        let v = f.load(&u.mem, &u.mty, ivs, u.dt);
        apply(f, reduction, (&y.mem, &y.mty), &at, &v, y.dt);
    });
    Ok(())
}

pub fn scatter_nd(k: &mut Kernel) -> Result<()> {
    let Op::ScatterNd { reduction } = k.node.op else { unreachable!() };
    let (x, ind, u, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.input(2)?.clone(), k.outs[0].clone());
    let (r, q) = (x.shape.len(), ind.shape.len());
    if q == 0 || r == 0 {
        return k.unsupported("data and indices must have rank >= 1");
    }
    let m = ind.shape[q - 1];
    let mut expect = ind.shape[..q - 1].to_vec();
    if m > r {
        return k.unsupported(format!("index tuples of length {m} exceed the data rank {r}"));
    }
    expect.extend(&x.shape[m..]);
    if u.shape != expect || u.dt != x.dt || y.shape != x.shape {
        return k.unsupported(format!("updates {:?} must have shape {expect:?}", u.shape));
    }
    copy_flat(&mut k.f, (&x.mem, &x.mty), (&y.mem, &y.mty), x.numel(), x.dt);
    if u.numel() == 0 {
        return Ok(());
    }
    if x.shape[..m].contains(&0) {
        return k.unsupported("scatter into an empty axis");
    }
    // Outer loops over the index tuples resolve them once; the inner nest updates a chunk.
    let chunk = u.shape[q - 1..].to_vec();
    k.f.nest(&u.shape[..q - 1], |f, lead| {
        let mut at = vec![];
        for j in 0..m {
            let mut ii = lead.to_vec();
            ii.push(f.idx(j));
            at.push(load_index(f, &ind.mem, &ind.mty, &ii, ind.dt, x.shape[j]));
        }
        f.nest(&chunk, |f, cv| {
            let mut ya = at.clone();
            ya.extend(cv.iter().cloned());
            let mut ua = lead.to_vec();
            ua.extend(cv.iter().cloned());
            let v = f.load(&u.mem, &u.mty, &ua, u.dt);
            apply(f, reduction, (&y.mem, &y.mty), &ya, &v, y.dt);
        });
    });
    Ok(())
}
