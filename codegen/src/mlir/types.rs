//! edgec dtype → MLIR element type and memref type; how a scalar of each dtype is computed.

use ir::DType;

/// How values of a dtype are held in registers while a kernel computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// IEEE float of this many bits (f16/bf16 are widened to f32 for arithmetic).
    Float(u32),
    /// Integer of this many bits; `signed` picks the signed or unsigned arith ops.
    Int { bits: u32, signed: bool },
    /// bool: i8 in memory (0/1), i1 in registers.
    Bool,
}

impl Scalar {
    pub fn of(dt: DType) -> Option<Scalar> {
        Some(match dt {
            DType::F32 | DType::F16 | DType::BF16 => Scalar::Float(32),
            DType::F64 => Scalar::Float(64),
            DType::I8 => Scalar::Int { bits: 8, signed: true },
            DType::I16 => Scalar::Int { bits: 16, signed: true },
            DType::I32 => Scalar::Int { bits: 32, signed: true },
            DType::I64 => Scalar::Int { bits: 64, signed: true },
            DType::U8 => Scalar::Int { bits: 8, signed: false },
            DType::U16 => Scalar::Int { bits: 16, signed: false },
            DType::U32 => Scalar::Int { bits: 32, signed: false },
            DType::U64 => Scalar::Int { bits: 64, signed: false },
            DType::Bool => Scalar::Bool,
            _ => return None,
        })
    }

    /// The MLIR type of a value held in registers.
    pub fn ty(self) -> String {
        match self {
            Scalar::Float(b) => format!("f{b}"),
            Scalar::Int { bits, .. } => format!("i{bits}"),
            Scalar::Bool => "i1".into(),
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, Scalar::Float(_))
    }
}

/// The MLIR element type a dtype is stored as (`None`: not compilable).
pub fn elem_type(dt: DType) -> Option<&'static str> {
    Some(match dt {
        DType::F32 => "f32",
        DType::F64 => "f64",
        DType::F16 => "f16",
        DType::BF16 => "bf16",
        DType::I8 | DType::U8 | DType::Bool => "i8",
        DType::I16 | DType::U16 => "i16",
        DType::I32 | DType::U32 => "i32",
        DType::I64 | DType::U64 => "i64",
        _ => return None,
    })
}

/// `memref<2x3xf32>` (`memref<f32>` for a scalar).
pub fn memref_type(shape: &[usize], dt: DType) -> String {
    let e = elem_type(dt).unwrap_or("i8");
    if shape.is_empty() {
        format!("memref<{e}>")
    } else {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        format!("memref<{}x{e}>", dims.join("x"))
    }
}
