//! Elementwise ops (unary, binary, Where, Clip, Cast) as one `linalg.generic` each: numpy
//! broadcasting is expressed in the indexing maps (a broadcast dim reads index 0), the body is
//! the scalar semantics from `scalar.rs`.

use super::{Kernel, Operand};
use crate::error::Result;
use crate::mlir::{elem_type, Func};
use crate::scalar;
use ir::Op;

/// `affine_map<(d0, …) -> (…)>` reading an operand of `shape` inside an iteration over `out`.
pub fn broadcast_map(shape: &[usize], out: &[usize]) -> String {
    let r = out.len();
    let dims: Vec<String> = (0..r).map(|i| format!("d{i}")).collect();
    let off = r - shape.len();
    let res: Vec<String> = shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if d == 1 && out[off + i] != 1 { "0".into() } else { format!("d{}", off + i) })
        .collect();
    format!("affine_map<({}) -> ({})>", dims.join(", "), res.join(", "))
}

/// Emit a `linalg.generic` over `out`'s shape reading `ins` with broadcasting; `body` gets the
/// compute scalars of the inputs and returns the compute scalar to store.
pub fn generic(
    f: &mut Func,
    ins: &[&Operand],
    out: &Operand,
    body: impl FnOnce(&mut Func, &[String]) -> std::result::Result<String, String>,
) -> std::result::Result<(), String> {
    let maps: Vec<String> = ins.iter().map(|o| broadcast_map(&o.shape, &out.shape)).collect();
    generic_maps(f, ins, maps, out, body)
}

/// `generic` with explicit indexing maps for the inputs (the output's map is the identity).
pub fn generic_maps(
    f: &mut Func,
    ins: &[&Operand],
    mut maps: Vec<String>,
    out: &Operand,
    body: impl FnOnce(&mut Func, &[String]) -> std::result::Result<String, String>,
) -> std::result::Result<(), String> {
    let r = out.shape.len();
    maps.push(broadcast_map(&out.shape, &out.shape));
    let iters = vec!["\"parallel\""; r].join(", ");
    let names: Vec<&str> = ins.iter().map(|o| o.mem.as_str()).collect();
    let tys: Vec<&str> = ins.iter().map(|o| o.mty.as_str()).collect();
    let ins_clause = if ins.is_empty() {
        String::new()
    } else {
        format!(" ins({} : {})", names.join(", "), tys.join(", "))
    };
    f.line(format!(
        "linalg.generic {{indexing_maps = [{}], iterator_types = [{iters}]}}{ins_clause} outs({} : {}) {{",
        maps.join(", "),
        out.mem,
        out.mty
    ));
    let args: Vec<String> = ins.iter().map(|_| f.fresh()).collect();
    let yarg = f.fresh();
    let mut decl: Vec<String> = ins
        .iter()
        .zip(&args)
        .map(|(o, a)| format!("{a}: {}", elem_type(o.dt).unwrap_or("i8")))
        .collect();
    let oe = elem_type(out.dt).unwrap_or("i8");
    decl.push(format!("{yarg}: {oe}"));
    f.line(format!("^bb0({}):", decl.join(", ")));
    f.enter();
    let vals: Vec<String> = ins.iter().zip(&args).map(|(o, a)| f.widen(a, o.dt)).collect();
    let y = body(f, &vals)?;
    let y = f.narrow(&y, out.dt);
    f.line(format!("linalg.yield {y} : {oe}"));
    f.leave();
    f.line("}");
    Ok(())
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let node = k.node;
    let out = k.outs[0].clone();
    let present: Vec<Operand> = k.ins.iter().flatten().cloned().collect();
    let refs: Vec<&Operand> = present.iter().collect();
    let r = match &node.op {
        Op::Unary(u) => {
            let dt = refs[0].dt;
            generic(&mut k.f, &refs, &out, |f, v| scalar::unary(f, u, &v[0], dt))
        }
        Op::Binary(ir::BinaryOp::Pow) if pow_fast_exponent(refs[1]).is_some() && refs[0].dt.is_float() => {
            // x^1, x^2, x^3, x^0.5 exactly as the interpreter's fast paths.
            let p = pow_fast_exponent(refs[1]).unwrap();
            let s = crate::mlir::Scalar::of(refs[0].dt).unwrap();
            let t = s.ty();
            generic(&mut k.f, &refs[..1], &out, |f, v| {
                let x = &v[0];
                Ok(match p {
                    1 => x.clone(),
                    2 => f.op(format!("arith.mulf {x}, {x} : {t}")),
                    3 => {
                        let x2 = f.op(format!("arith.mulf {x}, {x} : {t}"));
                        f.op(format!("arith.mulf {x2}, {x} : {t}"))
                    }
                    _ => f.op(format!("math.sqrt {x} : {t}")),
                })
            })
        }
        Op::Binary(b) => {
            let (da, db) = (refs[0].dt, refs[1].dt);
            generic(&mut k.f, &refs, &out, |f, v| scalar::binary(f, b, &v[0], &v[1], da, db))
        }
        Op::Where => {
            let dt = out.dt;
            let s = crate::mlir::Scalar::of(dt).unwrap();
            generic(&mut k.f, &refs, &out, |f, v| Ok(scalar::select(f, &v[0], &v[1], &v[2], s)))
        }
        Op::Cast { to, .. } => {
            let from = refs[0].dt;
            let to = *to;
            generic(&mut k.f, &refs, &out, |f, v| scalar::convert(f, &v[0], from, to))
        }
        Op::Clip => {
            let dt = out.dt;
            let has_min = k.ins.get(1).is_some_and(|o| o.is_some());
            let has_max = k.ins.get(2).is_some_and(|o| o.is_some());
            generic(&mut k.f, &refs, &out, |f, v| {
                let mut x = v[0].clone();
                let mut i = 1;
                if has_min {
                    x = scalar::binary(f, &ir::BinaryOp::Max, &x, &v[i], dt, dt)?;
                    i += 1;
                }
                if has_max {
                    x = scalar::binary(f, &ir::BinaryOp::Min, &x, &v[i], dt, dt)?;
                }
                Ok(x)
            })
        }
        _ => unreachable!(),
    };
    r.or_else(|why| k.unsupported(why))
}

/// A constant scalar exponent the interpreter special-cases: 1, 2, 3 or 0.5 (as 0).
fn pow_fast_exponent(e: &Operand) -> Option<u32> {
    let t = e.konst.as_ref()?;
    if t.len() != 1 {
        return None;
    }
    match t.to_f64_vec()[0] {
        1.0 => Some(1),
        2.0 => Some(2),
        3.0 => Some(3),
        0.5 => Some(0),
        _ => None,
    }
}
