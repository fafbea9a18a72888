//! Pad. Constant mode: fill the output with the pad value, then copy the (cropped) input into
//! the interior through strided subviews. Edge/reflect/wrap: a loop nest over the output where
//! each axis maps its index to a source index (clamp, mirror or modulo, as `ir`'s
//! `source_index`). Negative pads crop first, as in the interpreter. pads/axes must be
//! compile-time constants; the constant value is read at run time.

use super::operands::{axis_of, load_scalar};
use super::view::{copy_same, subview};
use super::{Kernel, Operand};
use crate::error::Result;
use crate::mlir::{elem_type, Func};
use crate::scalar;
use ir::{Op, PadMode};

/// Per axis: begin pad (>= 0 part), crop start, kept length of the input.
struct Axis {
    begin: usize,
    crop: usize,
    len: usize,
}

fn axes(k: &Kernel, x: &Operand, y: &Operand) -> Result<Vec<Axis>> {
    let rank = x.shape.len();
    let pads = match k.const_i64(1, "pads")? {
        Some(p) => p,
        None => return k.unsupported("pads input is missing"),
    };
    let ax: Vec<usize> = match k.const_i64(3, "pad axes")? {
        Some(a) => a.iter().map(|&v| axis_of(k, v, rank)).collect::<Result<_>>()?,
        None => (0..rank).collect(),
    };
    if pads.len() != 2 * ax.len() {
        return k.unsupported(format!("pads {pads:?} need 2 entries per padded axis"));
    }
    let mut full = vec![(0i64, 0i64); rank];
    for (i, &a) in ax.iter().enumerate() {
        full[a] = (pads[i], pads[ax.len() + i]);
    }
    let mut out = vec![];
    for (a, &(b, e)) in full.iter().enumerate() {
        let d = x.shape[a] as i64;
        let (cs, ce) = ((-b).max(0), (-e).max(0));
        let len = d - cs - ce;
        if len < 0 || d + b + e != y.shape[a] as i64 {
            return k.unsupported(format!("pads ({b}, {e}) do not fit axis {a} of size {d}"));
        }
        out.push(Axis { begin: b.max(0) as usize, crop: cs as usize, len: len as usize });
    }
    Ok(out)
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::Pad { mode } = k.node.op else { unreachable!() };
    let x = k.input(0)?.clone();
    let y = k.outs[0].clone();
    let ax = axes(k, &x, &y)?;
    if y.numel() == 0 {
        return Ok(());
    }
    match mode {
        PadMode::Constant => constant(k, &x, &y, &ax),
        _ => {
            if ax.iter().zip(&y.shape).any(|(a, &o)| a.len == 0 && o > 0) {
                return k.unsupported(format!("cannot pad an empty axis in {mode:?} mode"));
            }
            indexed(k, &x, &y, &ax, mode);
            Ok(())
        }
    }
}

fn constant(k: &mut Kernel, x: &Operand, y: &Operand, ax: &[Axis]) -> Result<()> {
    let e = elem_type(y.dt).unwrap_or("i8");
    let v = match k.ins.get(2).cloned().flatten() {
        Some(cv) if cv.numel() > 0 => {
            let v = load_scalar(&mut k.f, &cv);
            let v = if cv.dt == y.dt { v } else { scalar::convert(&mut k.f, &v, cv.dt, y.dt).or_else(|w| k.unsupported(w))? };
            k.f.narrow(&v, y.dt)
        }
        _ => {
            let s = crate::mlir::Scalar::of(y.dt).unwrap_or(crate::mlir::Scalar::Bool);
            let z = k.f.fconst(0.0, s);
            k.f.narrow(&z, y.dt)
        }
    };
    k.f.line(format!("linalg.fill ins({v} : {e}) outs({} : {})", y.mem, y.mty));
    if ax.iter().any(|a| a.len == 0) {
        return Ok(());
    }
    let rank = x.shape.len();
    let sizes: Vec<usize> = ax.iter().map(|a| a.len).collect();
    let src_off: Vec<usize> = ax.iter().map(|a| a.crop).collect();
    let dst_off: Vec<usize> = ax.iter().map(|a| a.begin).collect();
    if rank == 0 {
        super::view::copy_flat(&mut k.f, (&x.mem, &x.mty), (&y.mem, &y.mty), 1, x.dt);
        return Ok(());
    }
    let (s, st) = subview(&mut k.f, &x.mem, &x.mty, &x.shape, x.dt, &src_off, &sizes);
    let (d, dt) = subview(&mut k.f, &y.mem, &y.mty, &y.shape, y.dt, &dst_off, &sizes);
    copy_same(&mut k.f, (&s, &st), (&d, &dt), rank, x.dt);
    Ok(())
}

/// Source index along one axis for output index `i` (mode edge, reflect or wrap).
fn source(f: &mut Func, i: &str, a: &Axis, mode: PadMode) -> String {
    let d = a.len;
    let b = f.idx(a.begin);
    let j = f.op(format!("arith.subi {i}, {b} : index"));
    let r = match mode {
        PadMode::Edge | PadMode::Constant => {
            let zero = f.idx(0);
            let last = f.idx(d - 1);
            let lo = f.op(format!("arith.maxsi {j}, {zero} : index"));
            f.op(format!("arith.minsi {lo}, {last} : index"))
        }
        PadMode::Wrap => {
            // j >= -begin: shift by a multiple of d that makes it non-negative, then remainder.
            let shift = f.idx(a.begin.div_ceil(d) * d);
            let p = f.op(format!("arith.addi {j}, {shift} : index"));
            let dd = f.idx(d);
            f.op(format!("arith.remui {p}, {dd} : index"))
        }
        PadMode::Reflect => {
            if d == 1 {
                f.idx(0)
            } else {
                let period = 2 * (d - 1);
                let shift = f.idx(a.begin.div_ceil(period) * period);
                let p = f.op(format!("arith.addi {j}, {shift} : index"));
                let pp = f.idx(period);
                let m = f.op(format!("arith.remui {p}, {pp} : index"));
                let dd = f.idx(d);
                let hi = f.op(format!("arith.cmpi uge, {m}, {dd} : index"));
                let back = f.op(format!("arith.subi {pp}, {m} : index"));
                f.op(format!("arith.select {hi}, {back}, {m} : index"))
            }
        }
    };
    super::loops::add_const(f, &r, a.crop as i64)
}

fn indexed(k: &mut Kernel, x: &Operand, y: &Operand, ax: &[Axis], mode: PadMode) {
    let (xm, xt, ym, yt) = (x.mem.clone(), x.mty.clone(), y.mem.clone(), y.mty.clone());
    let out = y.shape.clone();
    k.f.nest(&y.shape, |f, ivs| {
        let src: Vec<String> = ivs
            .iter()
            .zip(ax)
            .zip(&out)
            .map(|((i, a), &o)| {
                if o == a.len {
                    // Not padded on this axis (maybe cropped): a plain shift.
                    super::loops::add_const(f, i, a.crop as i64)
                } else {
                    source(f, i, a, mode)
                }
            })
            .collect();
        let raw = f.op(format!("memref.load {xm}[{}] : {xt}", src.join(", ")));
        f.line(format!("memref.store {raw}, {ym}[{}] : {yt}", ivs.join(", ")));
    });
}
