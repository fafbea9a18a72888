//! LRN (local response normalisation across channels) on [N, C, spatial…], as
//! `ir::ops::norm::lrn`: for each channel the sum of squares over the window
//! [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] ∩ [0, C) in f64 (channel order), then
//! x / (bias + alpha/size · sum)^beta rounded once. The sums for one (n, c) live in an f64 row of
//! spatial positions in the arena, so every innermost loop runs over contiguous memory.

use super::lanes::{self, to_f64, Carver};
use super::Kernel;
use crate::error::Result;
use crate::mlir::Scalar;
use ir::{DType, Graph, NodeId, Op};

pub fn scratch_bytes(g: &Graph, id: NodeId) -> usize {
    let Some((shape, _)) = lanes::input_type(g, id, 0) else { return 0 };
    if shape.len() < 2 {
        return 0;
    }
    Carver::bytes(&[(shape[2..].iter().product(), DType::F64)])
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::Lrn { alpha, beta, bias, size } = k.node.op else { unreachable!() };
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    if !matches!(Scalar::of(x.dt), Some(Scalar::Float(_))) {
        return k.unsupported(format!("LRN of {}", x.dt));
    }
    if x.shape.len() < 2 || size == 0 {
        return k.unsupported(format!("LRN needs rank >= 2 and size >= 1, got shape {:?} and size {size}", x.shape));
    }
    let (n, c) = (x.shape[0], x.shape[1]);
    let sp: usize = x.shape[2..].iter().product();
    if n * c * sp == 0 {
        return Ok(());
    }
    let (before, after) = ((size - 1) / 2, (size - 1).div_ceil(2));
    let f64s = Scalar::Float(64);
    let mut carver = Carver::new(k.scratch.clone());
    let Some(row) = carver.take(&mut k.f, &[sp], DType::F64) else {
        return k.unsupported("the LRN row was not planned (scratch too small)");
    };
    let f = &mut k.f;
    let xv = lanes::view(f, &x, &[n, c, sp]);
    let yv = lanes::view(f, &y, &[n, c, sp]);
    let kk = f.fconst(alpha.0 as f64 / size as f64, f64s);
    let (bc, be, zero) = (f.fconst(bias.0 as f64, f64s), f.fconst(beta.0 as f64, f64s), f.fconst(0.0, f64s));
    let (cb, ca, cc1, c0) = (f.idx(before), f.idx(after + 1), f.idx(c), f.idx(0));
    lanes::nest(f, &[n, c], &mut |f, iv| {
        let (b, ch) = (iv[0].clone(), iv[1].clone());
        // lo = max(ch - before, 0), hi = min(ch + after + 1, C) (index arithmetic is signed).
        let lo = f.op(format!("arith.subi {ch}, {cb} : index"));
        let lo = f.op(format!("arith.maxsi {lo}, {c0} : index"));
        let hi = f.op(format!("arith.addi {ch}, {ca} : index"));
        let hi = f.op(format!("arith.minsi {hi}, {cc1} : index"));
        f.for_range(0, sp, |f, p| row.store(f, &zero, &[p.to_string()]));
        lanes::for_dyn(f, &lo, &hi, |f, cc| {
            f.for_range(0, sp, |f, p| {
                let v = xv.load(f, &[b.clone(), cc.to_string(), p.to_string()]);
                let v = to_f64(f, &v, x.dt);
                let v2 = f.op(format!("arith.mulf {v}, {v} : f64"));
                let a = row.load(f, &[p.to_string()]);
                let a = f.op(format!("arith.addf {a}, {v2} : f64"));
                row.store(f, &a, &[p.to_string()]);
            });
        });
        f.for_range(0, sp, |f, p| {
            let at = [b.clone(), ch.clone(), p.to_string()];
            let sq = row.load(f, &[p.to_string()]);
            let t = f.op(format!("arith.mulf {kk}, {sq} : f64"));
            let t = f.op(format!("arith.addf {bc}, {t} : f64"));
            let d = f.op(format!("math.powf {t}, {be} : f64"));
            let v = xv.load(f, &at);
            let v = to_f64(f, &v, x.dt);
            let r = f.op(format!("arith.divf {v}, {d} : f64"));
            yv.store_f64(f, &r, &at);
        });
    });
    Ok(())
}
