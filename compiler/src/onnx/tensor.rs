//! ONNX tensors → `ir::Tensor`: element types, dims, raw and typed data fields, sparse tensors.
//! Every failure names the tensor (and the field) it concerns.

use super::external;
use super::proto::{tensor_proto::DataLocation, SparseTensorProto, TensorProto};
use super::ImportError;
use half::{bf16, f16};
use ir::{DType, Tensor};
use std::path::Path;

/// Where tensors come from and how big they may be.
#[derive(Clone, Copy, Debug)]
pub struct TensorSource<'a> {
    /// The model's folder, for external data (None: external data is rejected).
    pub base_dir: Option<&'a Path>,
    pub max_bytes: u64,
}

/// The edgec dtype of an ONNX `TensorProto.DataType` code (None for UNDEFINED or unknown codes).
pub fn dtype_from_onnx(code: i32) -> Option<DType> {
    Some(match code {
        1 => DType::F32,
        2 => DType::U8,
        3 => DType::I8,
        4 => DType::U16,
        5 => DType::I16,
        6 => DType::I32,
        7 => DType::I64,
        8 => DType::String,
        9 => DType::Bool,
        10 => DType::F16,
        11 => DType::F64,
        12 => DType::U32,
        13 => DType::U64,
        14 => DType::Complex64,
        15 => DType::Complex128,
        16 => DType::BF16,
        17 => DType::F8E4M3FN,
        18 => DType::F8E4M3FNUZ,
        19 => DType::F8E5M2,
        20 => DType::F8E5M2FNUZ,
        21 => DType::U4,
        22 => DType::I4,
        23 => DType::F4E2M1,
        _ => return None,
    })
}

/// The ONNX `TensorProto.DataType` code of an edgec dtype.
pub fn dtype_to_onnx(d: DType) -> i32 {
    match d {
        DType::F32 => 1,
        DType::U8 => 2,
        DType::I8 => 3,
        DType::U16 => 4,
        DType::I16 => 5,
        DType::I32 => 6,
        DType::I64 => 7,
        DType::String => 8,
        DType::Bool => 9,
        DType::F16 => 10,
        DType::F64 => 11,
        DType::U32 => 12,
        DType::U64 => 13,
        DType::Complex64 => 14,
        DType::Complex128 => 15,
        DType::BF16 => 16,
        DType::F8E4M3FN => 17,
        DType::F8E4M3FNUZ => 18,
        DType::F8E5M2 => 19,
        DType::F8E5M2FNUZ => 20,
        DType::U4 => 21,
        DType::I4 => 22,
        DType::F4E2M1 => 23,
    }
}

/// A printable name of an ONNX element type code (for codes edgec has no dtype for).
pub fn onnx_type_name(code: i32) -> String {
    match code {
        0 => "UNDEFINED".into(),
        24 => "FLOAT8E8M0".into(),
        25 => "UINT2".into(),
        26 => "INT2".into(),
        c => match dtype_from_onnx(c) {
            Some(d) => d.name().into(),
            None => format!("unknown element type {c}"),
        },
    }
}

/// An ONNX element type code as a dtype the interpreter computes with; `what` names the value.
pub fn supported_dtype(code: i32, what: &str, kind: &str) -> Result<DType, ImportError> {
    match dtype_from_onnx(code) {
        Some(d) if d.is_supported() => Ok(d),
        Some(_) | None if code == 0 => Err(ImportError::Invalid(format!("{kind} `{what}` has no element type"))),
        Some(d) => Err(ImportError::Unsupported {
            node: what.into(),
            op_type: kind.into(),
            msg: format!("element type {d} is not supported"),
        }),
        None if (24..=26).contains(&code) => Err(ImportError::Unsupported {
            node: what.into(),
            op_type: kind.into(),
            msg: format!("element type {} is not supported", onnx_type_name(code)),
        }),
        None => Err(ImportError::Invalid(format!("{kind} `{what}` has an unknown element type {code}"))),
    }
}

/// Validated dims of a tensor: non-negative, element count and byte size without overflow and
/// within the cap. Returns (shape, element count, byte size).
pub fn check_dims(dims: &[i64], dtype: DType, what: &str, max_bytes: u64) -> Result<(Vec<usize>, usize, usize), ImportError> {
    let mut shape = Vec::with_capacity(dims.len());
    let mut n: usize = 1;
    for &d in dims {
        if d < 0 {
            return Err(ImportError::Invalid(format!("tensor `{what}`: negative dim {d} in dims {dims:?}")));
        }
        let du = usize::try_from(d)
            .map_err(|_| ImportError::Invalid(format!("tensor `{what}`: dim {d} is too large")))?;
        n = n
            .checked_mul(du)
            .ok_or_else(|| ImportError::Invalid(format!("tensor `{what}`: dims {dims:?} overflow the element count")))?;
        shape.push(du);
    }
    let bytes = n
        .checked_mul(dtype.bits())
        .map(|b| b.div_ceil(8))
        .ok_or_else(|| ImportError::Invalid(format!("tensor `{what}`: dims {dims:?} overflow the byte size")))?;
    if bytes as u64 > max_bytes {
        return Err(ImportError::Invalid(format!(
            "tensor `{what}`: {dtype} tensor of dims {dims:?} declares {bytes} bytes, above the limit of {max_bytes} bytes"
        )));
    }
    Ok((shape, n, bytes))
}

/// Decode a `TensorProto` into a tensor; `what` names it in errors (defaults to its own name).
pub fn tensor_from_proto(t: &TensorProto, what: &str, src: TensorSource) -> Result<Tensor, ImportError> {
    let what = if what.is_empty() { t.name.as_str() } else { what };
    let dtype = supported_dtype(t.data_type, what, "tensor")?;
    let (shape, n, bytes) = check_dims(&t.dims, dtype, what, src.max_bytes)?;
    if t.segment.is_some() {
        return Err(ImportError::Unsupported {
            node: what.into(),
            op_type: "tensor".into(),
            msg: "segmented tensors are not supported".into(),
        });
    }
    let invalid = |msg: String| ImportError::Invalid(format!("tensor `{what}`: {msg}"));
    if t.data_location == DataLocation::External as i32 {
        let data = external::read_external(t, what, bytes, src)?;
        return Tensor::from_le_bytes(dtype, &shape, &data).map_err(invalid);
    }
    if t.data_location != DataLocation::Default as i32 {
        return Err(invalid(format!("unknown data_location {}", t.data_location)));
    }
    if !t.raw_data.is_empty() || (n == 0 && typed_len(t) == 0) {
        if t.raw_data.len() != bytes {
            return Err(invalid(format!(
                "raw_data has {} bytes, but a {dtype} tensor of dims {:?} needs {bytes}",
                t.raw_data.len(),
                t.dims
            )));
        }
        return Tensor::from_le_bytes(dtype, &shape, &t.raw_data).map_err(invalid);
    }
    let count = |field: &str, len: usize| -> Result<(), ImportError> {
        if len == n {
            Ok(())
        } else {
            let other = if len == 0 && typed_len(t) > 0 { " (the data is in another field)" } else { "" };
            Err(invalid(format!(
                "{field} has {len} values, but a {dtype} tensor of dims {:?} needs {n}{other}",
                t.dims
            )))
        }
    };
    let r = match dtype {
        DType::F32 => {
            count("float_data", t.float_data.len())?;
            Tensor::from_vec(&shape, t.float_data.clone())
        }
        DType::F64 => {
            count("double_data", t.double_data.len())?;
            Tensor::from_vec(&shape, t.double_data.clone())
        }
        DType::I64 => {
            count("int64_data", t.int64_data.len())?;
            Tensor::from_vec(&shape, t.int64_data.clone())
        }
        DType::U64 => {
            count("uint64_data", t.uint64_data.len())?;
            Tensor::from_vec(&shape, t.uint64_data.clone())
        }
        DType::U32 => {
            count("uint64_data", t.uint64_data.len())?;
            let v = ints_in_range(&t.uint64_data, "uint64_data", |x| u32::try_from(x).ok()).map_err(invalid)?;
            Tensor::from_vec(&shape, v)
        }
        DType::I32 => {
            count("int32_data", t.int32_data.len())?;
            Tensor::from_vec(&shape, t.int32_data.clone())
        }
        DType::I16 | DType::I8 | DType::U16 | DType::U8 | DType::Bool | DType::F16 | DType::BF16 => {
            count("int32_data", t.int32_data.len())?;
            let v = &t.int32_data;
            match dtype {
                DType::I16 => int32_field(v, &shape, |x| i16::try_from(x).ok()),
                DType::I8 => int32_field(v, &shape, |x| i8::try_from(x).ok()),
                DType::U16 => int32_field(v, &shape, |x| u16::try_from(x).ok()),
                DType::U8 => int32_field(v, &shape, |x| u8::try_from(x).ok()),
                DType::Bool => int32_field(v, &shape, |x| Some(x != 0)),
                // Half types store their bit patterns in the low 16 bits of int32_data.
                DType::F16 => int32_field(v, &shape, |x| u16::try_from(x).ok().map(f16::from_bits)),
                _ => int32_field(v, &shape, |x| u16::try_from(x).ok().map(bf16::from_bits)),
            }
        }
        other => return Err(invalid(format!("dtype {other} cannot be decoded"))),
    };
    r.map_err(invalid)
}

fn typed_len(t: &TensorProto) -> usize {
    t.float_data.len() + t.int32_data.len() + t.int64_data.len() + t.double_data.len() + t.uint64_data.len() + t.string_data.len()
}

fn ints_in_range<S: Copy + std::fmt::Display, T>(v: &[S], field: &str, f: impl Fn(S) -> Option<T>) -> Result<Vec<T>, String> {
    v.iter()
        .map(|&x| f(x).ok_or_else(|| format!("{field} value {x} is out of range for the element type")))
        .collect()
}

fn int32_field<T: ir::Element>(v: &[i32], shape: &[usize], f: impl Fn(i32) -> Option<T>) -> Result<Tensor, String> {
    Tensor::from_vec(shape, ints_in_range(v, "int32_data", f)?)
}

/// Densify a sparse tensor (values at linearized or coordinate indices, zeros elsewhere).
pub fn sparse_to_dense(s: &SparseTensorProto, what: &str, src: TensorSource) -> Result<Tensor, ImportError> {
    let invalid = |msg: String| ImportError::Invalid(format!("sparse tensor `{what}`: {msg}"));
    let values = s.values.as_ref().ok_or_else(|| invalid("has no values".into()))?;
    let indices = s.indices.as_ref().ok_or_else(|| invalid("has no indices".into()))?;
    let values = tensor_from_proto(values, &format!("{what}.values"), src)?;
    let indices = tensor_from_proto(indices, &format!("{what}.indices"), src)?;
    let (shape, n, _) = check_dims(&s.dims, values.dtype(), what, src.max_bytes)?;
    if values.shape().len() != 1 {
        return Err(invalid(format!("values must be 1-D, got shape {:?}", values.shape())));
    }
    let nnz = values.len();
    let idx = match &indices {
        Tensor::I64(a) => a,
        other => return Err(invalid(format!("indices must be int64, got {}", other.dtype()))),
    };
    let flat: Vec<usize> = match idx.shape() {
        [k] if *k == nnz => idx
            .iter()
            .map(|&i| usize::try_from(i).ok().filter(|&i| i < n).ok_or_else(|| invalid(format!("index {i} out of range"))))
            .collect::<Result<_, _>>()?,
        [k, r] if *k == nnz && *r == shape.len() => {
            let mut out = Vec::with_capacity(nnz);
            for row in idx.outer_iter() {
                let mut lin = 0usize;
                for (&c, &d) in row.iter().zip(&shape) {
                    let c = usize::try_from(c).ok().filter(|&c| c < d).ok_or_else(|| invalid(format!("index {c} out of range")))?;
                    lin = lin * d + c;
                }
                out.push(lin);
            }
            out
        }
        other => return Err(invalid(format!("indices of shape {other:?} do not fit {nnz} values of a rank-{} tensor", shape.len()))),
    };
    let mut dense = Tensor::zeros(values.dtype(), &shape).map_err(invalid)?;
    scatter_flat(&mut dense, &flat, &values).map_err(invalid)?;
    Ok(dense)
}

fn scatter_flat(dst: &mut Tensor, idx: &[usize], src: &Tensor) -> Result<(), String> {
    macro_rules! go {
        ($($v:ident),*) => {
            match (dst, src) {
                $((Tensor::$v(d), Tensor::$v(s)) => {
                    let d = d.as_slice_mut().ok_or("dense tensor is not contiguous")?;
                    for (&i, &x) in idx.iter().zip(s.iter()) {
                        *d.get_mut(i).ok_or("index out of range")? = x;
                    }
                    Ok(())
                })*
                _ => Err("values and dense tensor differ in dtype".to_string()),
            }
        };
    }
    go!(F32, F64, F16, BF16, I8, I16, I32, I64, U8, U16, U32, U64, Bool)
}
