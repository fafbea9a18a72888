//! MatMulInteger: i8/u8 operands widened to i32 minus their zero points (a scalar, one per row
//! of A, or any shape that broadcasts into the operand as numpy does), i32 products summed over
//! K, as one `linalg.generic` with a reduction dim.

use super::{Kernel, Operand};
use crate::error::Result;
use ir::DType;

/// Indexing expressions of a zero point inside its operand's iteration expressions `e`.
fn zp_exprs(k: &Kernel, z: &Operand, x: &Operand, e: &[String], per_row: bool) -> Result<Vec<String>> {
    let (rz, rx) = (z.shape.len(), x.shape.len());
    if z.numel() == 1 {
        return Ok(vec!["0".into(); rz]);
    }
    if per_row && rz == 1 && rx >= 2 {
        if z.shape[0] != x.shape[rx - 2] {
            return k.unsupported(format!("zero point of {} elements for {} rows", z.shape[0], x.shape[rx - 2]));
        }
        return Ok(vec![e[rx - 2].clone()]);
    }
    if rz > rx {
        return k.unsupported(format!("zero point {:?} does not fit operand {:?}", z.shape, x.shape));
    }
    let off = rx - rz;
    (0..rz)
        .map(|j| match (z.shape[j], x.shape[off + j]) {
            (1, _) => Ok("0".to_string()),
            (a, b) if a == b => Ok(e[off + j].clone()),
            _ => k.unsupported(format!("zero point {:?} does not fit operand {:?}", z.shape, x.shape)),
        })
        .collect()
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let (a, b, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
    let za = k.ins.get(2).cloned().flatten();
    let zb = k.ins.get(3).cloned().flatten();
    for o in [&a, &b] {
        if !matches!(o.dt, DType::I8 | DType::U8) {
            return k.unsupported(format!("MatMulInteger of {}", o.dt));
        }
    }
    let (ra, rb) = (a.shape.len(), b.shape.len());
    let (has_m, has_n) = (ra > 1, rb > 1);
    let nb = y.shape.len() - has_m as usize - has_n as usize;
    let (dm, dn) = (nb, nb + has_m as usize);
    let dk = nb + has_m as usize + has_n as usize;
    let d = |i: usize| format!("d{i}");
    let bmap = |shape: &[usize], nbat: usize| -> Vec<String> {
        let off = nb - nbat;
        (0..nbat).map(|i| if shape[i] == 1 && y.shape[off + i] != 1 { "0".into() } else { d(off + i) }).collect()
    };
    let mut ea = if ra > 1 { bmap(&a.shape, ra - 2) } else { vec![] };
    if ra == 1 {
        ea.push(d(dk));
    } else {
        ea.extend([d(dm), d(dk)]);
    }
    let mut eb = if rb > 1 { bmap(&b.shape, rb - 2) } else { vec![] };
    if rb == 1 {
        eb.push(d(dk));
    } else {
        eb.extend([d(dk), d(dn)]);
    }
    let ey: Vec<String> = (0..dk).map(d).collect();
    let dims: Vec<String> = (0..=dk).map(d).collect();
    let map = |e: &[String]| format!("affine_map<({}) -> ({})>", dims.join(", "), e.join(", "));
    let mut maps = vec![map(&ea), map(&eb)];
    let mut ins = vec![(a.mem.clone(), a.mty.clone()), (b.mem.clone(), b.mty.clone())];
    if let Some(z) = &za {
        maps.push(map(&zp_exprs(k, z, &a, &ea, true)?));
        ins.push((z.mem.clone(), z.mty.clone()));
    }
    if let Some(z) = &zb {
        maps.push(map(&zp_exprs(k, z, &b, &eb, false)?));
        ins.push((z.mem.clone(), z.mty.clone()));
    }
    maps.push(map(&ey));
    let mut iters = vec!["\"parallel\""; dk];
    iters.push("\"reduction\"");
    let f = &mut k.f;
    let zero = f.cst("0", "i32");
    f.line(format!("linalg.fill ins({zero} : i32) outs({} : {})", y.mem, y.mty));
    let names: Vec<&str> = ins.iter().map(|(m, _)| m.as_str()).collect();
    let tys: Vec<&str> = ins.iter().map(|(_, t)| t.as_str()).collect();
    f.line(format!(
        "linalg.generic {{indexing_maps = [{}], iterator_types = [{}]}} ins({} : {}) outs({} : {}) {{",
        maps.join(", "),
        iters.join(", "),
        names.join(", "),
        tys.join(", "),
        y.mem,
        y.mty
    ));
    let args: Vec<String> = ins.iter().map(|_| f.fresh()).collect();
    let acc = f.fresh();
    let mut decl: Vec<String> = args.iter().map(|a| format!("{a}: i8")).collect();
    decl.push(format!("{acc}: i32"));
    f.line(format!("^bb0({}):", decl.join(", ")));
    f.enter();
    let ext = |f: &mut crate::mlir::Func, v: &str, dt: DType| {
        let op = if dt == DType::U8 { "extui" } else { "extsi" };
        f.op(format!("arith.{op} {v} : i8 to i32"))
    };
    let mut va = ext(f, &args[0], a.dt);
    let mut vb = ext(f, &args[1], b.dt);
    let mut next = 2;
    if let Some(z) = &za {
        let zv = ext(f, &args[next], z.dt);
        va = f.op(format!("arith.subi {va}, {zv} : i32"));
        next += 1;
    }
    if let Some(z) = &zb {
        let zv = ext(f, &args[next], z.dt);
        vb = f.op(format!("arith.subi {vb}, {zv} : i32"));
    }
    let p = f.op(format!("arith.muli {va}, {vb} : i32"));
    let s = f.op(format!("arith.addi {acc}, {p} : i32"));
    f.line(format!("linalg.yield {s} : i32"));
    f.leave();
    f.line("}");
    Ok(())
}
