//! Tensor generators: Shape and Size (values known at compile time, stored as constants),
//! ConstantOfShape (`linalg.fill`), Range (start + i * delta computed like the interpreter:
//! in f64 for floats, wrapping i64 for integers), EyeLike (zeros, then the diagonal) and Trilu
//! (a loop nest keeping `j - i >= k` or `<= k`, with k read at run time).

use super::operands::{load_scalar, one_element};
use super::Kernel;
use crate::error::Result;
use crate::mlir::{elem_type, Func, Scalar};
use ir::{DType, Op, Tensor};

/// Store i64 values known at compile time into a 1-D or scalar i64 output.
fn store_i64s(k: &mut Kernel, vals: &[i64]) {
    let y = k.outs[0].clone();
    for (i, &v) in vals.iter().enumerate() {
        let c = k.f.cst(v.to_string(), "i64");
        let idx: Vec<String> = if y.shape.is_empty() { vec![] } else { vec![k.f.idx(i)] };
        k.f.line(format!("memref.store {c}, {}[{}] : {}", y.mem, idx.join(", "), y.mty));
    }
}

pub fn shape(k: &mut Kernel) -> Result<()> {
    let Op::Shape { start, end } = k.node.op else { unreachable!() };
    let x = k.input(0)?.clone();
    let r = x.shape.len() as i64;
    let clamp = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
    let (s, e) = (clamp(start), clamp(end.unwrap_or(r)));
    let vals: Vec<i64> = x.shape[s..e.max(s)].iter().map(|&d| d as i64).collect();
    if vals.len() != k.outs[0].numel() {
        return k.unsupported("output length differs from the shape slice");
    }
    store_i64s(k, &vals);
    Ok(())
}

pub fn size(k: &mut Kernel) -> Result<()> {
    let n = k.input(0)?.numel() as i64;
    store_i64s(k, &[n]);
    Ok(())
}

/// The storage-typed constant holding the single value of `t` converted to dtype `dt`.
fn fill_value(f: &mut Func, t: &Tensor, dt: DType) -> Option<String> {
    let s = Scalar::of(dt)?;
    let v = match s {
        Scalar::Float(_) => {
            let x = t.to_f64_vec().first().copied().unwrap_or(0.0);
            let c = f.fconst(x, s);
            f.narrow(&c, dt)
        }
        Scalar::Int { .. } => f.iconst(t.to_i64_vec().first().copied().unwrap_or(0), s),
        Scalar::Bool => {
            let b = t.to_f64_vec().first().is_some_and(|&x| x != 0.0);
            f.cst(if b { "1" } else { "0" }, "i8")
        }
    };
    Some(v)
}

pub fn constant_of_shape(k: &mut Kernel) -> Result<()> {
    let Op::ConstantOfShape { value } = &k.node.op else { unreachable!() };
    let y = k.outs[0].clone();
    if value.dtype() != y.dt {
        return k.unsupported(format!("value of dtype {} for a {} output", value.dtype(), y.dt));
    }
    if y.numel() == 0 {
        return Ok(());
    }
    let Some(v) = fill_value(&mut k.f, value, y.dt) else {
        return k.unsupported(format!("dtype {}", y.dt));
    };
    let e = elem_type(y.dt).unwrap_or("i8");
    k.f.line(format!("linalg.fill ins({v} : {e}) outs({} : {})", y.mem, y.mty));
    Ok(())
}

pub fn range(k: &mut Kernel) -> Result<()> {
    let start = k.input(0)?.clone();
    let delta = k.input(2)?.clone();
    one_element(k, &start, "start")?;
    one_element(k, &delta, "delta")?;
    let y = k.outs[0].clone();
    let n = y.numel();
    let s = load_scalar(&mut k.f, &start);
    let d = load_scalar(&mut k.f, &delta);
    let e = elem_type(y.dt).unwrap_or("i8");
    let (ym, yt, dt) = (y.mem.clone(), y.mty.clone(), y.dt);
    match Scalar::of(dt) {
        Some(Scalar::Float(b)) => {
            // The interpreter computes start + i * delta in f64 and rounds once to the dtype.
            let to64 = |f: &mut Func, v: &str| if b == 64 { v.to_string() } else { f.op(format!("arith.extf {v} : f32 to f64")) };
            let (s, d) = (to64(&mut k.f, &s), to64(&mut k.f, &d));
            k.f.for_range(0, n, |f, i| {
                let ii = f.op(format!("arith.index_cast {i} : index to i64"));
                let fi = f.op(format!("arith.sitofp {ii} : i64 to f64"));
                let m = f.op(format!("arith.mulf {fi}, {d} : f64"));
                let v = f.op(format!("arith.addf {s}, {m} : f64"));
                let v = if e == "f64" { v } else { f.op(format!("arith.truncf {v} : f64 to {e}")) };
                f.line(format!("memref.store {v}, {ym}[{i}] : {yt}"));
            });
        }
        Some(Scalar::Int { bits, signed }) => {
            let ext = |f: &mut Func, v: &str| match bits {
                64 => v.to_string(),
                _ if signed => f.op(format!("arith.extsi {v} : i{bits} to i64")),
                _ => f.op(format!("arith.extui {v} : i{bits} to i64")),
            };
            let (s, d) = (ext(&mut k.f, &s), ext(&mut k.f, &d));
            k.f.for_range(0, n, |f, i| {
                let ii = f.op(format!("arith.index_cast {i} : index to i64"));
                let m = f.op(format!("arith.muli {ii}, {d} : i64"));
                let v = f.op(format!("arith.addi {s}, {m} : i64"));
                let v = if bits == 64 { v } else { f.op(format!("arith.trunci {v} : i64 to i{bits}")) };
                f.line(format!("memref.store {v}, {ym}[{i}] : {yt}"));
            });
        }
        _ => return k.unsupported(format!("range of {dt}")),
    }
    Ok(())
}

pub fn eye_like(k: &mut Kernel) -> Result<()> {
    let Op::EyeLike { k: diag, .. } = k.node.op else { unreachable!() };
    let y = k.outs[0].clone();
    let Some(s) = Scalar::of(y.dt) else { return k.unsupported(format!("dtype {}", y.dt)) };
    if y.shape.len() != 2 {
        return k.unsupported("eye_like output must be 2-D");
    }
    if y.numel() == 0 {
        return Ok(());
    }
    let (rows, cols) = (y.shape[0] as i64, y.shape[1] as i64);
    let e = elem_type(y.dt).unwrap_or("i8");
    let z = k.f.fconst(0.0, s);
    let z = k.f.narrow(&z, y.dt);
    let one = k.f.fconst(1.0, s);
    let one = k.f.narrow(&one, y.dt);
    k.f.line(format!("linalg.fill ins({z} : {e}) outs({} : {})", y.mem, y.mty));
    // Rows i with 0 <= i + diag < cols.
    let lo = (-diag).clamp(0, rows);
    let hi = (cols - diag).clamp(lo, rows);
    let (ym, yt) = (y.mem.clone(), y.mty.clone());
    k.f.for_range(lo as usize, hi as usize, |f, i| {
        let j = super::loops::add_const(f, i, diag);
        f.line(format!("memref.store {one}, {ym}[{i}, {j}] : {yt}"));
    });
    Ok(())
}

pub fn trilu(k: &mut Kernel) -> Result<()> {
    let Op::Trilu { upper } = k.node.op else { unreachable!() };
    let x = k.input(0)?.clone();
    let y = k.outs[0].clone();
    let r = x.shape.len();
    if r < 2 {
        return k.unsupported("trilu needs rank >= 2");
    }
    if y.numel() == 0 {
        return Ok(());
    }
    let kk = match k.ins.get(1).cloned().flatten() {
        Some(o) => {
            one_element(k, &o, "k")?;
            let v = load_scalar(&mut k.f, &o);
            super::loops::to_index(&mut k.f, &v, o.dt)
        }
        None => k.f.idx(0),
    };
    let Some(s) = Scalar::of(y.dt) else { return k.unsupported(format!("dtype {}", y.dt)) };
    let (xm, xt, ym, yt, dt) = (x.mem.clone(), x.mty.clone(), y.mem.clone(), y.mty.clone(), y.dt);
    k.f.nest(&y.shape, |f, ivs| {
        let (i, j) = (&ivs[r - 2], &ivs[r - 1]);
        let diff = f.op(format!("arith.subi {j}, {i} : index"));
        let pred = if upper { "sge" } else { "sle" };
        let keep = f.op(format!("arith.cmpi {pred}, {diff}, {kk} : index"));
        let v = f.load(&xm, &xt, ivs, dt);
        let z = f.fconst(0.0, s);
        let out = f.op(format!("arith.select {keep}, {v}, {z} : {}", s.ty()));
        f.store(&out, &ym, &yt, ivs, dt);
    });
    Ok(())
}
