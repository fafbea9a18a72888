//! QuantizeLinear / DequantizeLinear as `linalg.generic`s: the scale and zero point are read
//! per tensor, per axis or per block through their indexing maps (`d_axis floordiv block`),
//! and the arithmetic follows the interpreter (`ir/src/ops/quant.rs`): the division in the
//! promoted float type, round half to even, saturation; dequantization in f64 rounded to f32.

use super::elementwise::generic_maps;
use super::{Kernel, Operand};
use crate::error::Result;
use crate::mlir::Func;
use ir::{DType, Op};

/// Map for a scale/zero-point of shape `p` against x of shape `x`.
fn param_map(p: &[usize], x: &[usize], axis: i64, block: usize) -> std::result::Result<String, String> {
    let r = x.len();
    let dims: Vec<String> = (0..r).map(|i| format!("d{i}")).collect();
    let head = format!("affine_map<({}) -> ", dims.join(", "));
    let one = p.iter().product::<usize>() == 1 && p.len() <= 1;
    if block == 0 && one {
        return Ok(format!("{head}({})>", vec!["0"; p.len()].join(", ")));
    }
    let ax = ir::norm_axis(axis, r)?;
    if block == 0 {
        return Ok(format!("{head}(d{ax})>"));
    }
    let res: Vec<String> = (0..r).map(|i| if i == ax { format!("d{i} floordiv {block}") } else { format!("d{i}") }).collect();
    Ok(format!("{head}({})>", res.join(", ")))
}

fn int_range(d: DType) -> Option<(f64, f64)> {
    Some(match d {
        DType::I8 => (i8::MIN as f64, i8::MAX as f64),
        DType::U8 => (0.0, u8::MAX as f64),
        DType::I16 => (i16::MIN as f64, i16::MAX as f64),
        DType::U16 => (0.0, u16::MAX as f64),
        DType::I32 => (i32::MIN as f64, i32::MAX as f64),
        _ => return None,
    })
}

/// A compute scalar of dtype `dt` as f64.
fn to_f64(f: &mut Func, v: &str, dt: DType) -> std::result::Result<String, String> {
    crate::scalar::convert(f, v, dt, DType::F64)
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let x = k.input(0)?.clone();
    let s = k.input(1)?.clone();
    let z = k.ins.get(2).cloned().flatten();
    let y = k.outs[0].clone();
    let (axis, block) = match &k.node.op {
        Op::QuantizeLinear { axis, block_size, .. } | Op::DequantizeLinear { axis, block_size, .. } => (*axis, *block_size),
        _ => unreachable!(),
    };
    let mut ins: Vec<&Operand> = vec![&x, &s];
    let mut maps = vec![
        super::elementwise::broadcast_map(&x.shape, &x.shape),
        param_map(&s.shape, &x.shape, axis, block).or_else(|e| k.unsupported(e))?,
    ];
    if let Some(z) = &z {
        ins.push(z);
        maps.push(param_map(&z.shape, &x.shape, axis, block).or_else(|e| k.unsupported(e))?);
    }
    let has_z = z.is_some();
    let (xd, sd, zd) = (x.dt, s.dt, z.as_ref().map(|z| z.dt));
    let r = match &k.node.op {
        Op::QuantizeLinear { .. } => {
            let Some((lo, hi)) = int_range(y.dt) else {
                return k.unsupported(format!("quantization to {}", y.dt));
            };
            let promoted = match (xd, sd) {
                (DType::I32, _) | (DType::F64, _) | (_, DType::F64) => DType::F64,
                (DType::F32, _) | (_, DType::F32) => DType::F32,
                (a, b) if a == b => a,
                _ => DType::F32,
            };
            let yd = y.dt;
            generic_maps(&mut k.f, &ins, maps, &y, |f, v| {
                let q = if promoted == DType::F64 {
                    let a = to_f64(f, &v[0], xd)?;
                    let b = to_f64(f, &v[1], sd)?;
                    f.op(format!("arith.divf {a}, {b} : f64"))
                } else {
                    // f32 compute (f16/bf16 are widened); round to the promoted type.
                    let a = crate::scalar::convert(f, &v[0], xd, DType::F32)?;
                    let b = crate::scalar::convert(f, &v[1], sd, DType::F32)?;
                    let q = f.op(format!("arith.divf {a}, {b} : f32"));
                    let q = match promoted {
                        DType::F16 | DType::BF16 => {
                            let e = crate::mlir::elem_type(promoted).unwrap();
                            let n = f.op(format!("arith.truncf {q} : f32 to {e}"));
                            f.op(format!("arith.extf {n} : {e} to f32"))
                        }
                        _ => q,
                    };
                    f.op(format!("arith.extf {q} : f32 to f64"))
                };
                let q = f.op(format!("math.roundeven {q} : f64"));
                let q = if has_z {
                    let zz = to_f64(f, &v[2], zd.unwrap())?;
                    f.op(format!("arith.addf {q}, {zz} : f64"))
                } else {
                    q
                };
                let l = f.fconst(lo, crate::mlir::Scalar::Float(64));
                let h = f.fconst(hi, crate::mlir::Scalar::Float(64));
                let q = f.op(format!("arith.maximumf {q}, {l} : f64"));
                let q = f.op(format!("arith.minimumf {q}, {h} : f64"));
                let i = f.op(format!("arith.fptosi {q} : f64 to i64"));
                crate::scalar::convert(f, &i, DType::I64, yd)
            })
        }
        Op::DequantizeLinear { .. } => {
            let yd = y.dt;
            generic_maps(&mut k.f, &ins, maps, &y, |f, v| {
                let a = crate::scalar::convert(f, &v[0], xd, DType::F32)?;
                let a = f.op(format!("arith.extf {a} : f32 to f64"));
                let a = if has_z {
                    let zz = to_f64(f, &v[2], zd.unwrap())?;
                    f.op(format!("arith.subf {a}, {zz} : f64"))
                } else {
                    a
                };
                let sc = to_f64(f, &v[1], sd)?;
                let r = f.op(format!("arith.mulf {a}, {sc} : f64"));
                let r = f.op(format!("arith.truncf {r} : f64 to f32"));
                crate::scalar::convert(f, &r, DType::F32, yd)
            })
        }
        _ => unreachable!(),
    };
    r.or_else(|why| k.unsupported(why))
}
