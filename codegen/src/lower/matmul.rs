//! MatMul (numpy semantics: broadcast batch dims, 1-D operands, transpose flags). f32 with a
//! wide enough N takes the register-tiled kernel in `matmul_f32.rs`; everything else is one
//! `linalg.generic` with a reduction dim over K.

use super::{Kernel, KernelTarget};
use crate::error::Result;
use crate::mlir::{elem_type, Scalar};
use ir::{Graph, NodeId, Op};

pub fn scratch_bytes(g: &Graph, id: NodeId, t: &KernelTarget) -> usize {
    super::matmul_f32::scratch_bytes(g, id, t)
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let (trans_a, trans_b, epi) = match &k.node.op {
        Op::MatMul { trans_a, trans_b } => (*trans_a, *trans_b, None),
        Op::MatMulFused { trans_a, trans_b, epilogue } => {
            (*trans_a, *trans_b, Some(super::fused::epilogue_of(k, epilogue, 2)))
        }
        _ => unreachable!(),
    };
    let (a, b, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
    if let Some(e) = &epi {
        if a.dt != y.dt {
            return k.unsupported(format!("an epilogue that turns the {} product into {}", a.dt, y.dt));
        }
        e.check(&y, a.dt).or_else(|why| k.unsupported(why))?;
    }
    if super::matmul_f32::applies(&a, &b, &y, k.target) {
        return super::matmul_f32::lower(k, &a, &b, &y, trans_a, trans_b, epi.as_ref());
    }
    generic(k, &a, &b, &y, trans_a, trans_b)?;
    if let Some(e) = &epi {
        e.apply_all(&mut k.f, &y, a.dt).or_else(|why| k.unsupported(why))?;
    }
    Ok(())
}

/// The product as one `linalg.generic` with a reduction over K.
fn generic(k: &mut Kernel, a: &super::Operand, b: &super::Operand, y: &super::Operand, trans_a: bool, trans_b: bool) -> Result<()> {
    let (a, b, y) = (a.clone(), b.clone(), y.clone());
    let s = match Scalar::of(y.dt) {
        Some(s @ (Scalar::Float(_) | Scalar::Int { .. })) => s,
        _ => return k.unsupported(format!("MatMul of {}", y.dt)),
    };
    // Iteration space: out batch dims, m, n, k (m / n absent for 1-D operands).
    let (ra, rb) = (a.shape.len(), b.shape.len());
    let has_m = ra > 1;
    let has_n = rb > 1;
    let batch = y.shape.len() - has_m as usize - has_n as usize;
    let nb = batch;
    let dm = nb;
    let dn = nb + has_m as usize;
    let dk = nb + has_m as usize + has_n as usize;
    let ndims = dk + 1;
    let d = |i: usize| format!("d{i}");
    let bmap = |shape: &[usize], nbat: usize| -> Vec<String> {
        // Batch dims of an operand, right-aligned to the output's batch dims.
        let off = nb - nbat;
        (0..nbat)
            .map(|i| if shape[i] == 1 && y.shape[off + i] != 1 { "0".into() } else { d(off + i) })
            .collect()
    };
    let mut ea = if ra > 1 { bmap(&a.shape, ra - 2) } else { vec![] };
    if ra == 1 {
        ea.push(d(dk));
    } else if trans_a {
        ea.extend([d(dk), d(dm)]);
    } else {
        ea.extend([d(dm), d(dk)]);
    }
    let mut eb = if rb > 1 { bmap(&b.shape, rb - 2) } else { vec![] };
    if rb == 1 {
        eb.push(d(dk));
    } else if trans_b {
        eb.extend([d(dn), d(dk)]);
    } else {
        eb.extend([d(dk), d(dn)]);
    }
    let ey: Vec<String> = (0..dk).map(d).collect();
    let dims: Vec<String> = (0..ndims).map(d).collect();
    let map = |e: &[String]| format!("affine_map<({}) -> ({})>", dims.join(", "), e.join(", "));
    let mut iters = vec!["\"parallel\""; dk];
    iters.push("\"reduction\"");
    let oe = elem_type(y.dt).unwrap();
    let zero = k.f.fconst(0.0, s);
    let zero_st = k.f.narrow(&zero, y.dt);
    k.f.line(format!("linalg.fill ins({zero_st} : {oe}) outs({} : {})", y.mem, y.mty));
    k.f.line(format!(
        "linalg.generic {{indexing_maps = [{}, {}, {}], iterator_types = [{}]}} ins({}, {} : {}, {}) outs({} : {}) {{",
        map(&ea),
        map(&eb),
        map(&ey),
        iters.join(", "),
        a.mem,
        b.mem,
        a.mty,
        b.mty,
        y.mem,
        y.mty
    ));
    let (xa, xb, xy) = (k.f.fresh(), k.f.fresh(), k.f.fresh());
    let (ta, tb) = (elem_type(a.dt).unwrap(), elem_type(b.dt).unwrap());
    k.f.line(format!("^bb0({xa}: {ta}, {xb}: {tb}, {xy}: {oe}):"));
    k.f.enter();
    let va = k.f.widen(&xa, a.dt);
    let vb = k.f.widen(&xb, b.dt);
    let vy = k.f.widen(&xy, y.dt);
    let t = s.ty();
    let r = if s.is_float() {
        let p = k.f.op(format!("arith.mulf {va}, {vb} : {t}"));
        k.f.op(format!("arith.addf {vy}, {p} : {t}"))
    } else {
        let p = k.f.op(format!("arith.muli {va}, {vb} : {t}"));
        k.f.op(format!("arith.addi {vy}, {p} : {t}"))
    };
    let r = k.f.narrow(&r, y.dt);
    k.f.line(format!("linalg.yield {r} : {oe}"));
    k.f.leave();
    k.f.line("}");
    Ok(())
}
