//! `Op::Cast` between every pair of interpreter dtypes, with numpy `astype` semantics: floats
//! truncate toward zero into ints, ints wrap into narrower ints, float → bool is `x != 0`,
//! bool → number is 0/1, and float narrowing rounds to nearest even (NaN/inf preserved).

use super::num::{f64_to_bf16, f64_to_f16};
use super::zip::map;
use crate::{unsupported, DType, OpResult, Tensor};
use half::{bf16, f16};

/// Whether `Cast` to `to` is implemented (float8, int4, string… are not).
pub fn check_target(from: DType, to: DType) -> OpResult<()> {
    if !from.is_supported() {
        unsupported!("cast from {from}");
    }
    if !to.is_supported() {
        unsupported!("cast to {to}");
    }
    Ok(())
}

/// Cast from one of the primitive element types, which Rust's `as` converts exactly as
/// numpy does for in-range values (saturating out of range).
macro_rules! cast_prim {
    ($a:expr, $src:ty, $to:expr) => {{
        let a = $a;
        match $to {
            DType::F32 => Tensor::F32(map(a, |x: $src| x as f32)),
            DType::F64 => Tensor::F64(map(a, |x: $src| x as f64)),
            DType::I8 => Tensor::I8(map(a, |x: $src| x as i8)),
            DType::I16 => Tensor::I16(map(a, |x: $src| x as i16)),
            DType::I32 => Tensor::I32(map(a, |x: $src| x as i32)),
            DType::I64 => Tensor::I64(map(a, |x: $src| x as i64)),
            DType::U8 => Tensor::U8(map(a, |x: $src| x as u8)),
            DType::U16 => Tensor::U16(map(a, |x: $src| x as u16)),
            DType::U32 => Tensor::U32(map(a, |x: $src| x as u32)),
            DType::U64 => Tensor::U64(map(a, |x: $src| x as u64)),
            DType::F16 => Tensor::F16(map(a, |x: $src| f64_to_f16(x as f64))),
            DType::BF16 => Tensor::BF16(map(a, |x: $src| f64_to_bf16(x as f64))),
            DType::Bool => Tensor::Bool(map(a, |x: $src| x != (0 as $src))),
            other => unsupported!("cast to {other}"),
        }
    }};
}

pub fn eval(x: &Tensor, to: DType) -> OpResult<Tensor> {
    check_target(x.dtype(), to)?;
    if x.dtype() == to {
        return Ok(x.clone());
    }
    Ok(match x {
        // f32 narrows directly (f32 → f64 → f16 would be the same, but slower).
        Tensor::F32(a) if to == DType::F16 => Tensor::F16(map(a, f16::from_f32)),
        Tensor::F32(a) if to == DType::BF16 => Tensor::BF16(map(a, bf16::from_f32)),
        Tensor::F32(a) => cast_prim!(a, f32, to),
        Tensor::F64(a) => cast_prim!(a, f64, to),
        Tensor::I8(a) => cast_prim!(a, i8, to),
        Tensor::I16(a) => cast_prim!(a, i16, to),
        Tensor::I32(a) => cast_prim!(a, i32, to),
        Tensor::I64(a) => cast_prim!(a, i64, to),
        Tensor::U8(a) => cast_prim!(a, u8, to),
        Tensor::U16(a) => cast_prim!(a, u16, to),
        Tensor::U32(a) => cast_prim!(a, u32, to),
        Tensor::U64(a) => cast_prim!(a, u64, to),
        // f16/bf16 widen exactly to f32 first.
        Tensor::F16(a) => {
            let w = map(a, f16::to_f32);
            match to {
                DType::BF16 => Tensor::BF16(map(&w, bf16::from_f32)),
                _ => cast_prim!(&w, f32, to),
            }
        }
        Tensor::BF16(a) => {
            let w = map(a, bf16::to_f32);
            match to {
                DType::F16 => Tensor::F16(map(&w, f16::from_f32)),
                _ => cast_prim!(&w, f32, to),
            }
        }
        Tensor::Bool(a) => {
            let w = map(a, |b| b as u8);
            cast_prim!(&w, u8, to)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t<T: crate::Element>(v: Vec<T>) -> Tensor {
        Tensor::from_vec(&[v.len()], v).unwrap()
    }

    #[test]
    fn float_to_int_truncates() {
        let x = t(vec![2.7f32, -2.7, 0.5, -0.5, 127.9]);
        assert_eq!(eval(&x, DType::I32).unwrap(), t(vec![2i32, -2, 0, 0, 127]));
        assert_eq!(eval(&x, DType::I8).unwrap(), t(vec![2i8, -2, 0, 0, 127]));
        let d = t(vec![1e10f64, -3.99]);
        assert_eq!(eval(&d, DType::I64).unwrap(), t(vec![10_000_000_000i64, -3]));
    }

    #[test]
    fn bools() {
        let x = t(vec![0.0f32, -0.0, 1.5, f32::NAN]);
        assert_eq!(eval(&x, DType::Bool).unwrap(), t(vec![false, false, true, true]));
        let b = t(vec![true, false]);
        assert_eq!(eval(&b, DType::F32).unwrap(), t(vec![1.0f32, 0.0]));
        assert_eq!(eval(&b, DType::I64).unwrap(), t(vec![1i64, 0]));
        assert_eq!(eval(&b, DType::F16).unwrap(), t(vec![f16::ONE, f16::ZERO]));
        assert_eq!(eval(&t(vec![0i8, 3, -1]), DType::Bool).unwrap(), t(vec![false, true, true]));
    }

    #[test]
    fn ints_wrap() {
        assert_eq!(eval(&t(vec![300i32, -1, 255]), DType::U8).unwrap(), t(vec![44u8, 255, 255]));
        assert_eq!(eval(&t(vec![u64::MAX]), DType::I64).unwrap(), t(vec![-1i64]));
        assert_eq!(eval(&t(vec![-1i64]), DType::U32).unwrap(), t(vec![u32::MAX]));
    }

    #[test]
    fn float_narrowing_rounds_to_even() {
        // 1 + 2^-11 is halfway between two f16 values: ties go to even (1.0).
        let x = t(vec![1.0f32 + 2f32.powi(-11), 1.0 + 3.0 * 2f32.powi(-11), f32::INFINITY, f32::NAN, 70000.0]);
        let h = eval(&x, DType::F16).unwrap();
        let h = h.as_array::<f16>().unwrap();
        assert_eq!(h[0], f16::ONE);
        assert_eq!(h[1].to_f32(), 1.0 + 2.0 * 2f32.powi(-10));
        assert_eq!(h[2], f16::INFINITY);
        assert!(h[3].is_nan());
        assert_eq!(h[4], f16::INFINITY);
        // Checked with ml_dtypes: float32 → bfloat16 of these values.
        let x = t(vec![1.0f32 + 2f32.powi(-8), 1.0 + 3.0 * 2f32.powi(-8), -0.0, f32::NEG_INFINITY]);
        let b = eval(&x, DType::BF16).unwrap();
        let b: Vec<f32> = b.as_array::<bf16>().unwrap().iter().map(|v| v.to_f32()).collect();
        assert_eq!(b, vec![1.0, 1.0 + 2.0 * 2f32.powi(-7), -0.0, f32::NEG_INFINITY]);
        // f64 → f32 and back to f64.
        let d = t(vec![0.1f64]);
        assert_eq!(eval(&d, DType::F32).unwrap(), t(vec![0.1f32]));
        assert_eq!(eval(&t(vec![0.1f32]), DType::F64).unwrap(), t(vec![0.1f32 as f64]));
        // f16 → bf16 and i64 → f16.
        let hh = t(vec![f16::from_f32(3.140625)]);
        assert_eq!(eval(&hh, DType::BF16).unwrap(), t(vec![bf16::from_f32(3.140625)]));
        assert_eq!(eval(&t(vec![2049i64]), DType::F16).unwrap(), t(vec![f16::from_f32(2048.0)]));
    }

    #[test]
    fn unsupported_targets() {
        let x = t(vec![1.0f32]);
        for d in [DType::F8E4M3FN, DType::I4, DType::String] {
            assert!(matches!(eval(&x, d), Err(crate::OpError::Unsupported(_))));
        }
    }
}
