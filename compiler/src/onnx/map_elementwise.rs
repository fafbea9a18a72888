//! ONNX elementwise ops → IR: unary math and activations, binary arithmetic, logic,
//! comparisons and bitwise ops (with the pre-opset-7 `broadcast`/`axis` form), the variadic
//! Sum/Mean/Max/Min, Where, Clip and Cast/CastLike.

use super::map::{Cx, Outs};
use super::tensor::{dtype_from_onnx, onnx_type_name};
use super::ImportError;
use ir::{BinaryOp, DType, Op, UnaryOp, ValueId, F32};

pub fn map(cx: &mut Cx, op: &str) -> Option<Outs> {
    dispatch(cx, op).transpose()
}

fn dispatch(cx: &mut Cx, op: &str) -> Result<Option<Vec<ValueId>>, ImportError> {
    if let Some(u) = simple_unary(op) {
        return unary(cx, u).map(Some);
    }
    if let Some(b) = simple_binary(op) {
        return binary(cx, b).map(Some);
    }
    let n = cx.n;
    let outs = match op {
        "IsInf" => unary(cx, UnaryOp::IsInf {
            detect_positive: n.flag("detect_positive", true)?,
            detect_negative: n.flag("detect_negative", true)?,
        }),
        "LeakyRelu" => unary(cx, UnaryOp::LeakyRelu { alpha: F32(n.float_or("alpha", 0.01)?) }),
        "Elu" => unary(cx, UnaryOp::Elu { alpha: F32(n.float_or("alpha", 1.0)?) }),
        "Selu" => unary(cx, UnaryOp::Selu {
            alpha: F32(n.float_or("alpha", 1.673_263_2)?),
            gamma: F32(n.float_or("gamma", 1.050_701)?),
        }),
        "Celu" => unary(cx, UnaryOp::Celu { alpha: F32(n.float_or("alpha", 1.0)?) }),
        "HardSigmoid" => unary(cx, UnaryOp::HardSigmoid {
            alpha: F32(n.float_or("alpha", 0.2)?),
            beta: F32(n.float_or("beta", 0.5)?),
        }),
        "ThresholdedRelu" => unary(cx, UnaryOp::ThresholdedRelu { alpha: F32(n.float_or("alpha", 1.0)?) }),
        "Shrink" => unary(cx, UnaryOp::Shrink {
            bias: F32(n.float_or("bias", 0.0)?),
            lambd: F32(n.float_or("lambd", 0.5)?),
        }),
        "Swish" => unary(cx, UnaryOp::Swish { alpha: F32(n.float_or("alpha", 1.0)?) }),
        "Gelu" => {
            let tanh = match n.string_or("approximate", "none")?.as_str() {
                "none" => false,
                "tanh" => true,
                other => return Err(n.invalid(format!("attribute `approximate` must be `none` or `tanh`, got `{other}`"))),
            };
            unary(cx, UnaryOp::Gelu { tanh })
        }
        "Mod" => binary(cx, BinaryOp::Mod { fmod: n.flag("fmod", false)? }),
        "BitShift" => {
            let b = match n.string("direction")?.as_deref() {
                Some("LEFT") => BinaryOp::BitShiftLeft,
                Some("RIGHT") => BinaryOp::BitShiftRight,
                Some(other) => return Err(n.invalid(format!("attribute `direction` must be LEFT or RIGHT, got `{other}`"))),
                None => return Err(n.invalid("missing required attribute `direction`")),
            };
            binary(cx, b)
        }
        "Sum" => variadic(cx, BinaryOp::Add, false),
        "Mean" => variadic(cx, BinaryOp::Add, true),
        "Max" => variadic(cx, BinaryOp::Max, false),
        "Min" => variadic(cx, BinaryOp::Min, false),
        "Where" => {
            let ins = [Some(cx.req(0, "condition")?), Some(cx.req(1, "X")?), Some(cx.req(2, "Y")?)];
            cx.inputs_upto(3)?;
            Ok(vec![cx.main1(Op::Where, &ins)?])
        }
        "Clip" => clip(cx),
        "Cast" => cast(cx),
        "CastLike" => {
            let x = cx.req(0, "input")?;
            let like = cx.req(1, "target_type")?;
            let to = cx.dtype(like)?;
            let saturate = n.flag("saturate", true)?;
            Ok(vec![cx.main1(Op::Cast { to, saturate }, &[Some(x)])?])
        }
        _ => return Ok(None),
    };
    Ok(Some(outs?))
}

fn simple_unary(op: &str) -> Option<UnaryOp> {
    use UnaryOp::*;
    Some(match op {
        "Abs" => Abs,
        "Neg" => Neg,
        "Exp" => Exp,
        "Log" => Log,
        "Sqrt" => Sqrt,
        "Reciprocal" => Reciprocal,
        "Floor" => Floor,
        "Ceil" => Ceil,
        "Round" => Round,
        "Sin" => Sin,
        "Cos" => Cos,
        "Tan" => Tan,
        "Asin" => Asin,
        "Acos" => Acos,
        "Atan" => Atan,
        "Sinh" => Sinh,
        "Cosh" => Cosh,
        "Asinh" => Asinh,
        "Acosh" => Acosh,
        "Atanh" => Atanh,
        "Tanh" => Tanh,
        "Sigmoid" => Sigmoid,
        "Erf" => Erf,
        "Sign" => Sign,
        "Not" => Not,
        "BitwiseNot" => BitwiseNot,
        "Relu" => Relu,
        "Softplus" => Softplus,
        "Softsign" => Softsign,
        "Mish" => Mish,
        "HardSwish" => HardSwish,
        "IsNaN" => IsNaN,
        _ => return None,
    })
}

fn simple_binary(op: &str) -> Option<BinaryOp> {
    use BinaryOp::*;
    Some(match op {
        "Add" => Add,
        "Sub" => Sub,
        "Mul" => Mul,
        "Div" => Div,
        "Pow" => Pow,
        "And" => And,
        "Or" => Or,
        "Xor" => Xor,
        "Equal" => Equal,
        "Less" => Less,
        "LessOrEqual" => LessOrEqual,
        "Greater" => Greater,
        "GreaterOrEqual" => GreaterOrEqual,
        "BitwiseAnd" => BitwiseAnd,
        "BitwiseOr" => BitwiseOr,
        "BitwiseXor" => BitwiseXor,
        "PRelu" => PRelu,
        _ => return None,
    })
}

fn unary(cx: &mut Cx, u: UnaryOp) -> Outs {
    let x = cx.req(0, "X")?;
    cx.inputs_upto(1)?;
    Ok(vec![cx.main1(Op::Unary(u), &[Some(x)])?])
}

fn binary(cx: &mut Cx, b: BinaryOp) -> Outs {
    let a = cx.req(0, "A")?;
    let mut bv = cx.req(1, "B")?;
    cx.inputs_upto(2)?;
    // Before opset 7, `broadcast=1` with `axis` aligned B with A starting at `axis`.
    if cx.opset() < 7 && cx.n.flag("broadcast", false)? {
        if let Some(axis) = cx.n.int("axis")? {
            let ra = cx.rank(a)? as i64;
            let rb = cx.rank(bv)? as i64;
            let axis = if axis < 0 { axis + ra } else { axis };
            let trailing = ra - axis - rb;
            if axis < 0 || trailing < 0 {
                return Err(cx.n.invalid(format!("axis {axis} does not fit B of rank {rb} into A of rank {ra}")));
            }
            if trailing > 0 {
                let axes: Vec<i64> = (rb..rb + trailing).collect();
                let axes = cx.i64s("axes", &axes);
                bv = cx.aux1(Op::Unsqueeze, &[Some(bv), Some(axes)])?;
            }
        }
    }
    Ok(vec![cx.main1(Op::Binary(b), &[Some(a), Some(bv)])?])
}

/// Sum/Mean/Max/Min of any number of inputs as a chain of binary ops.
fn variadic(cx: &mut Cx, b: BinaryOp, mean: bool) -> Outs {
    let ins: Vec<ValueId> = cx.inputs().into_iter().flatten().collect();
    if ins.len() != cx.num_inputs() {
        return Err(cx.n.invalid("has an empty input name"));
    }
    let Some((&first, rest)) = ins.split_first() else {
        return Err(cx.n.invalid("needs at least one input"));
    };
    if rest.is_empty() {
        return Ok(vec![first]);
    }
    let mut acc = first;
    for (i, &x) in rest.iter().enumerate() {
        let last = i + 1 == rest.len() && !mean;
        acc = if last { cx.main1(Op::Binary(b.clone()), &[Some(acc), Some(x)])? } else { cx.aux1(Op::Binary(b.clone()), &[Some(acc), Some(x)])? };
    }
    if mean {
        let dt = cx.dtype(first)?;
        let k = cx.scalar("count", ins.len() as f64, dt)?;
        acc = cx.main1(Op::Binary(BinaryOp::Div), &[Some(acc), Some(k)])?;
    }
    Ok(vec![acc])
}

fn clip(cx: &mut Cx) -> Outs {
    let x = cx.req(0, "input")?;
    if cx.opset() >= 11 {
        let ins = cx.inputs_upto(3)?;
        return Ok(vec![cx.main1(Op::Clip, &[Some(x), ins[1], ins[2]])?]);
    }
    let lo = cx.n.float("min")?;
    let hi = cx.n.float("max")?;
    let dt = cx.dtype(x)?;
    let lo = match lo {
        Some(v) => Some(cx.scalar("min", v as f64, dt)?),
        None => None,
    };
    let hi = match hi {
        Some(v) => Some(cx.scalar("max", v as f64, dt)?),
        None => None,
    };
    Ok(vec![cx.main1(Op::Clip, &[Some(x), lo, hi])?])
}

fn cast(cx: &mut Cx) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "input")?;
    let to = match n.attr("to") {
        None => return Err(n.invalid("missing required attribute `to`")),
        // Cast-1 named the type with a string.
        Some(a) if !a.s.is_empty() => {
            let s = n.string("to")?.unwrap_or_default();
            dtype_from_name(&s).ok_or_else(|| n.invalid(format!("attribute `to` names an unknown type `{s}`")))?
        }
        Some(_) => {
            let code = n.int_or("to", 0)?;
            let code32 = i32::try_from(code).map_err(|_| n.invalid(format!("attribute `to` = {code} is not an element type")))?;
            match dtype_from_onnx(code32) {
                Some(d) => d,
                None if (24..=26).contains(&code32) => {
                    return Err(n.unsupported(format!("casts to {} are not supported", onnx_type_name(code32))))
                }
                None => return Err(n.invalid(format!("attribute `to` = {code} is not an element type"))),
            }
        }
    };
    if to == DType::String {
        return Err(n.unsupported("casts to string are not supported"));
    }
    let saturate = n.flag("saturate", true)?;
    Ok(vec![cx.main1(Op::Cast { to, saturate }, &[Some(x)])?])
}

fn dtype_from_name(s: &str) -> Option<DType> {
    Some(match s.to_ascii_uppercase().as_str() {
        "FLOAT" => DType::F32,
        "UINT8" => DType::U8,
        "INT8" => DType::I8,
        "UINT16" => DType::U16,
        "INT16" => DType::I16,
        "INT32" => DType::I32,
        "INT64" => DType::I64,
        "STRING" => DType::String,
        "BOOL" => DType::Bool,
        "FLOAT16" => DType::F16,
        "DOUBLE" => DType::F64,
        "UINT32" => DType::U32,
        "UINT64" => DType::U64,
        "BFLOAT16" => DType::BF16,
        _ => return None,
    })
}
