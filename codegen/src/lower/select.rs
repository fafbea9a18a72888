//! Index-driven selection: OneHot (each index resolved once, then its row of `depth` written),
//! ReverseSequence (each element read from its mirrored time step when inside its sequence
//! length), Compress with a compile-time condition (one copy per run of selected positions).
//! NonZero, Unique and Compress with a run-time condition have output shapes that depend on
//! the data: they cannot be compiled ahead of time (the importer folds them when constant).

use super::operands::axis_of;
use super::view::{copy_same, subview};
use super::Kernel;
use crate::error::Result;
use crate::mlir::Scalar;
use ir::{DType, Op};

pub fn data_dependent(k: &mut Kernel) -> Result<()> {
    k.unsupported("output shape depends on input values")
}

/// y[outer, i, inner] = on if trunc(indices[outer, inner]) (wrapped by depth) == i, else off.
pub fn one_hot(k: &mut Kernel) -> Result<()> {
    let Op::OneHot { axis } = k.node.op else { unreachable!() };
    let (ind, vals, y) = (k.input(0)?.clone(), k.input(2)?.clone(), k.outs[0].clone());
    let r = y.shape.len();
    let a = axis_of(k, axis, r)?;
    if vals.numel() != 2 || ind.shape.len() + 1 != r {
        return k.unsupported("values must hold [off, on] and the output add one axis to indices");
    }
    let depth = y.shape[a];
    if y.numel() == 0 {
        return Ok(());
    }
    let zero = k.f.idx(0);
    let one = k.f.idx(1);
    let vt = vals.mty.clone();
    let off = k.f.load(&vals.mem, &vt, &[zero], vals.dt);
    let on = k.f.load(&vals.mem, &vt, &[one], vals.dt);
    let Some(s) = Scalar::of(y.dt) else { return k.unsupported(format!("dtype {}", y.dt)) };
    let is_float = ind.dt.is_float();
    let idt = ind.dt;
    // Resolve each index once (outer nest over the indices), then write its row of `depth`.
    k.f.nest(&ind.shape.clone(), |f, ii| {
        let v = f.load(&ind.mem, &ind.mty, ii, idt);
        // Position as i64: floats truncate toward zero (NaN counts as 0, as Rust's `as`).
        let p = if is_float {
            let b = if idt == DType::F64 { 64 } else { 32 };
            let t = f.op(format!("math.trunc {v} : f{b}"));
            let nan = f.op(format!("arith.cmpf uno, {t}, {t} : f{b}"));
            let z = f.fconst(0.0, Scalar::Float(b));
            let t = f.op(format!("arith.select {nan}, {z}, {t} : f{b}"));
            // Saturate into a range where the cast is exact and the comparison still fails.
            let lim = f.fconst(4.0e18, Scalar::Float(b));
            let nlim = f.fconst(-4.0e18, Scalar::Float(b));
            let t = f.op(format!("arith.minimumf {t}, {lim} : f{b}"));
            let t = f.op(format!("arith.maximumf {t}, {nlim} : f{b}"));
            f.op(format!("arith.fptosi {t} : f{b} to i64"))
        } else {
            match Scalar::of(idt) {
                Some(Scalar::Int { bits: 64, .. }) => v,
                Some(Scalar::Int { bits, signed: true }) => f.op(format!("arith.extsi {v} : i{bits} to i64")),
                Some(Scalar::Int { bits, .. }) => f.op(format!("arith.extui {v} : i{bits} to i64")),
                _ => f.op(format!("arith.extui {v} : i1 to i64")),
            }
        };
        let dd = f.cst(depth.to_string(), "i64");
        let z = f.cst("0", "i64");
        let neg = f.op(format!("arith.cmpi slt, {p}, {z} : i64"));
        let pw = f.op(format!("arith.addi {p}, {dd} : i64"));
        let p = f.op(format!("arith.select {neg}, {pw}, {p} : i64"));
        f.for_range(0, depth, |f, i| {
            let mut yi = ii[..a].to_vec();
            yi.push(i.to_string());
            yi.extend(ii[a..].iter().cloned());
            let ic = f.op(format!("arith.index_cast {i} : index to i64"));
            let hit = f.op(format!("arith.cmpi eq, {p}, {ic} : i64"));
            let out = f.op(format!("arith.select {hit}, {on}, {off} : {}", s.ty()));
            f.store(&out, &y.mem, &y.mty, &yi, y.dt);
        });
    });
    Ok(())
}

/// y[b, t, …] = x[b, l - 1 - t, …] for t < l = sequence_lens[b] (clamped to [0, steps]),
/// else x[b, t, …] (batch and time axes may be swapped).
pub fn reverse_sequence(k: &mut Kernel) -> Result<()> {
    let Op::ReverseSequence { batch_axis, time_axis } = k.node.op else { unreachable!() };
    let (x, lens, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
    if x.shape.len() < 2 || batch_axis > 1 || time_axis > 1 || batch_axis == time_axis {
        return k.unsupported("needs rank >= 2 and batch/time axes 0 and 1");
    }
    if lens.shape != [x.shape[batch_axis]] {
        return k.unsupported("sequence_lens must have one entry per batch");
    }
    if y.numel() == 0 {
        return Ok(());
    }
    let steps = x.shape[time_axis];
    k.f.nest(&y.shape.clone(), |f, ivs| {
        let l = f.load(&lens.mem, &lens.mty, &[ivs[batch_axis].clone()], lens.dt);
        let l = super::loops::to_index(f, &l, lens.dt);
        let zero = f.idx(0);
        let s = f.idx(steps);
        let l = f.op(format!("arith.maxsi {l}, {zero} : index"));
        let l = f.op(format!("arith.minsi {l}, {s} : index"));
        let t = &ivs[time_axis];
        let inside = f.op(format!("arith.cmpi slt, {t}, {l} : index"));
        let one = f.idx(1);
        let lm = f.op(format!("arith.subi {l}, {one} : index"));
        let rt = f.op(format!("arith.subi {lm}, {t} : index"));
        let src_t = f.op(format!("arith.select {inside}, {rt}, {t} : index"));
        let mut xi = ivs.to_vec();
        xi[time_axis] = src_t;
        let v = f.op(format!("memref.load {}[{}] : {}", x.mem, xi.join(", "), x.mty));
        f.line(format!("memref.store {v}, {}[{}] : {}", y.mem, ivs.join(", "), y.mty));
    });
    Ok(())
}

/// Compress with a compile-time condition: the selected positions are known, so each run of
/// consecutive positions is one affine copy.
pub fn compress(k: &mut Kernel) -> Result<()> {
    let Op::Compress { axis } = k.node.op else { unreachable!() };
    let (x, c, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
    let Some(cond) = c.konst.as_ref() else {
        return data_dependent(k);
    };
    let cond: Vec<bool> = cond.to_f64_vec().iter().map(|&v| v != 0.0).collect();
    // Flatten when there is no axis: work on 1-D views of x and y.
    let (xs, a) = match axis {
        Some(ax) => (x.shape.clone(), axis_of(k, ax, x.shape.len())?),
        None => (vec![x.numel()], 0),
    };
    let d = xs[a];
    if cond.iter().skip(d).any(|&b| b) {
        return k.unsupported("condition selects beyond the dimension");
    }
    let pos: Vec<usize> = cond.iter().take(d).enumerate().filter(|(_, &b)| b).map(|(i, _)| i).collect();
    let mut ys = xs.clone();
    ys[a] = pos.len();
    if ys.iter().product::<usize>() != y.numel() {
        return k.unsupported("output shape does not match the condition");
    }
    if y.numel() == 0 {
        return Ok(());
    }
    let e = crate::mlir::elem_type(x.dt).unwrap_or("i8");
    let (xm, xt) = if axis.is_none() && x.shape.len() != 1 {
        let n = x.numel();
        let v = k.f.op(format!(
            "memref.reinterpret_cast {} to offset: [0], sizes: [{n}], strides: [1] : {} to memref<{n}x{e}>",
            x.mem, x.mty
        ));
        (v, format!("memref<{n}x{e}>"))
    } else {
        (x.mem.clone(), x.mty.clone())
    };
    let (ym, yt) = if axis.is_none() && y.shape.len() != 1 {
        let n = y.numel();
        let v = k.f.op(format!(
            "memref.reinterpret_cast {} to offset: [0], sizes: [{n}], strides: [1] : {} to memref<{n}x{e}>",
            y.mem, y.mty
        ));
        (v, format!("memref<{n}x{e}>"))
    } else {
        (y.mem.clone(), y.mty.clone())
    };
    let rank = xs.len();
    // Runs of consecutive selected positions: (first output index, first source index, length).
    let mut runs: Vec<(usize, usize, usize)> = vec![];
    for (o, &p) in pos.iter().enumerate() {
        match runs.last_mut() {
            Some((_, s, n)) if *s + *n == p => *n += 1,
            _ => runs.push((o, p, 1)),
        }
    }
    for (o, p, n) in runs {
        let mut offs = vec![0; rank];
        offs[a] = o;
        let mut sizes = ys.clone();
        sizes[a] = n;
        let (v, vt) = subview(&mut k.f, &ym, &yt, &ys, y.dt, &offs, &sizes);
        let mut src_offs = vec![0; rank];
        src_offs[a] = p;
        let (s, st) = subview(&mut k.f, &xm, &xt, &xs, x.dt, &src_offs, &sizes);
        copy_same(&mut k.f, (&s, &st), (&v, &vt), rank, x.dt);
    }
    Ok(())
}
