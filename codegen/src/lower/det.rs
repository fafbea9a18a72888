//! Det: per matrix, LU decomposition with partial pivoting in f64, as `ir`'s `det_lu` (same
//! pivot choice, same operation order, a zero pivot ends with 0), on an f64 copy of the matrix
//! in scratch memory. The result is rounded once to the output dtype.

use super::loops::{for_dyn, for_iter_dyn, if_else, if_then};
use super::{Kernel, KernelTarget};
use crate::error::Result;
use crate::mlir::{elem_type, Func};
use ir::{DType, Graph, NodeId};

fn matrix_size(g: &Graph, id: NodeId) -> Option<usize> {
    let v = g.node_inputs(id).first().copied().flatten()?;
    let s = g.value_type(v).static_shape()?;
    s.last().copied()
}

pub fn scratch_bytes(g: &Graph, id: NodeId, _t: &KernelTarget) -> usize {
    matrix_size(g, id).map_or(0, |n| 8 * (n * n).max(1))
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let x = k.input(0)?.clone();
    let y = k.outs[0].clone();
    let r = x.shape.len();
    if r < 2 || x.shape[r - 1] != x.shape[r - 2] || !x.dt.is_float() || y.shape != x.shape[..r - 2] {
        return k.unsupported("Det needs float square matrices");
    }
    let n = x.shape[r - 1];
    let ye = elem_type(y.dt).unwrap_or("f32");
    let round = |f: &mut Func, v: &str| -> String {
        if y.dt == DType::F64 {
            v.to_string()
        } else {
            f.op(format!("arith.truncf {v} : f64 to {ye}"))
        }
    };
    if y.numel() == 0 {
        return Ok(());
    }
    let batch = x.shape[..r - 2].to_vec();
    if n == 0 {
        let one = k.f.cst("1.0", "f64");
        let one = round(&mut k.f, &one);
        k.f.line(format!("linalg.fill ins({one} : {ye}) outs({} : {})", y.mem, y.mty));
        return Ok(());
    }
    let Some((sm, bytes)) = k.scratch.clone() else {
        return k.unsupported("missing scratch for the LU factors");
    };
    let mt = format!("memref<{n}x{n}xf64>");
    let z = k.f.idx(0);
    let m = k.f.op(format!("memref.view {sm}[{z}][] : memref<{bytes}xi8> to {mt}"));
    let (xm, xt, xdt) = (x.mem.clone(), x.mty.clone(), x.dt);
    let (ymem, yty) = (y.mem.clone(), y.mty.clone());
    k.f.nest(&batch, |f, bi| {
        // Copy the matrix into the f64 scratch.
        f.nest(&[n, n], |f, ij| {
            let mut xi = bi.to_vec();
            xi.extend(ij.iter().cloned());
            let v = f.load(&xm, &xt, &xi, xdt);
            let v = if xdt == DType::F64 { v } else { f.op(format!("arith.extf {v} : f32 to f64")) };
            f.line(format!("memref.store {v}, {m}[{}, {}] : {mt}", ij[0], ij[1]));
        });
        let (lo, hi) = (f.idx(0), f.idx(n));
        let one = f.cst("1.0", "f64");
        let tr = f.cst("1", "i1");
        let res = for_iter_dyn(
            f,
            &lo,
            &hi,
            &[(one, "f64".into()), (tr, "i1".into())],
            |f, col, c| {
                let (det, alive) = (c[0].clone(), c[1].clone());
                if_else(
                    f,
                    &alive,
                    &["f64".into(), "i1".into()],
                    |f| step(f, &m, &mt, n, col, &det),
                    |_| vec![det.clone(), alive.clone()],
                )
            },
        );
        let d = round(f, &res[0]);
        f.line(format!("memref.store {d}, {ymem}[{}] : {yty}", bi.join(", ")));
    });
    Ok(())
}

/// One column of the elimination; returns the new (det, alive).
fn step(f: &mut Func, m: &str, mt: &str, n: usize, col: &str, det: &str) -> Vec<String> {
    let one = f.idx(1);
    let hi = f.idx(n);
    let c1 = f.op(format!("arith.addi {col}, {one} : index"));
    let load = |f: &mut Func, r: &str, c: &str| f.op(format!("memref.load {m}[{r}, {c}] : {mt}"));
    // Pivot: the first row with the largest |m[r][col]|.
    let p0 = load(f, col, col);
    let a0 = f.op(format!("math.absf {p0} : f64"));
    let piv = for_iter_dyn(f, &c1, &hi, &[(col.to_string(), "index".into()), (a0, "f64".into())], |f, r, c| {
        let v = load(f, r, col);
        let a = f.op(format!("math.absf {v} : f64"));
        let gt = f.op(format!("arith.cmpf ogt, {a}, {} : f64", c[1]));
        let p = f.op(format!("arith.select {gt}, {r}, {} : index", c[0]));
        let b = f.op(format!("arith.select {gt}, {a}, {} : f64", c[1]));
        vec![p, b]
    });
    let piv = piv[0].clone();
    let p = load(f, &piv, col);
    let zero = f.cst("0.0", "f64");
    let is_zero = f.op(format!("arith.cmpf oeq, {p}, {zero} : f64"));
    if_else(
        f,
        &is_zero,
        &["f64".into(), "i1".into()],
        |f| vec![f.cst("0.0", "f64"), f.cst("0", "i1")],
        |f| {
            let swap = f.op(format!("arith.cmpi ne, {piv}, {col} : index"));
            let lo = f.idx(0);
            if_then(f, &swap, |f| {
                for_dyn(f, &lo, &hi, |f, j| {
                    let a = load(f, col, j);
                    let b = load(f, &piv, j);
                    f.line(format!("memref.store {b}, {m}[{col}, {j}] : {mt}"));
                    f.line(format!("memref.store {a}, {m}[{piv}, {j}] : {mt}"));
                });
            });
            let neg = f.op(format!("arith.negf {det} : f64"));
            let d = f.op(format!("arith.select {swap}, {neg}, {det} : f64"));
            let d = f.op(format!("arith.mulf {d}, {p} : f64"));
            for_dyn(f, &c1, &hi, |f, r| {
                let v = load(f, r, col);
                let fac = f.op(format!("arith.divf {v}, {p} : f64"));
                let nz = f.op(format!("arith.cmpf une, {fac}, {zero} : f64"));
                if_then(f, &nz, |f| {
                    for_dyn(f, &c1, &hi, |f, j| {
                        let a = load(f, r, j);
                        let b = load(f, col, j);
                        let t = f.op(format!("arith.mulf {fac}, {b} : f64"));
                        let s = f.op(format!("arith.subf {a}, {t} : f64"));
                        f.line(format!("memref.store {s}, {m}[{r}, {j}] : {mt}"));
                    });
                });
            });
            vec![d, f.cst("1", "i1")]
        },
    )
}
