//! Numeric element traits shared by the elementwise, reduce, norm and quant kernels: the
//! float types and the type they compute in, and the integer types with wrapping arithmetic.

use crate::Element;
use half::{bf16, f16};
use num_traits::{CheckedRem, Float, PrimInt, WrappingAdd, WrappingMul, WrappingNeg, WrappingSub};

/// The arithmetic type float kernels compute in (f32 or f64).
pub trait Real: Float + Send + Sync + std::fmt::Debug + 'static {
    fn erf(self) -> Self;
    /// Round half to even.
    fn round_even(self) -> Self;
    /// A constant (rounded to this type).
    fn of(v: f64) -> Self;
    fn to64(self) -> f64;
}

impl Real for f32 {
    fn erf(self) -> f32 {
        libm::erff(self)
    }
    fn round_even(self) -> f32 {
        self.round_ties_even()
    }
    fn of(v: f64) -> f32 {
        v as f32
    }
    fn to64(self) -> f64 {
        self as f64
    }
}

impl Real for f64 {
    fn erf(self) -> f64 {
        libm::erf(self)
    }
    fn round_even(self) -> f64 {
        self.round_ties_even()
    }
    fn of(v: f64) -> f64 {
        v
    }
    fn to64(self) -> f64 {
        self
    }
}

/// Element types of float tensors; each computes in `R` (f16/bf16 in f32, rounding back).
pub trait FloatElem: Element + PartialOrd {
    type R: Real;
    fn to_r(self) -> Self::R;
    fn from_r(r: Self::R) -> Self;
    /// Correctly rounded conversion from f64 (accumulators are f64).
    fn from_f64r(v: f64) -> Self;
}

impl FloatElem for f32 {
    type R = f32;
    #[inline(always)]
    fn to_r(self) -> f32 {
        self
    }
    #[inline(always)]
    fn from_r(r: f32) -> f32 {
        r
    }
    #[inline(always)]
    fn from_f64r(v: f64) -> f32 {
        v as f32
    }
}

impl FloatElem for f64 {
    type R = f64;
    #[inline(always)]
    fn to_r(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_r(r: f64) -> f64 {
        r
    }
    #[inline(always)]
    fn from_f64r(v: f64) -> f64 {
        v
    }
}

impl FloatElem for f16 {
    type R = f32;
    #[inline(always)]
    fn to_r(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn from_r(r: f32) -> f16 {
        f16::from_f32(r)
    }
    #[inline(always)]
    fn from_f64r(v: f64) -> f16 {
        f64_to_f16(v)
    }
}

impl FloatElem for bf16 {
    type R = f32;
    #[inline(always)]
    fn to_r(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn from_r(r: f32) -> bf16 {
        bf16::from_f32(r)
    }
    #[inline(always)]
    fn from_f64r(v: f64) -> bf16 {
        f64_to_bf16(v)
    }
}

/// Element types of integer tensors (wrapping arithmetic as numpy).
pub trait IntElem:
    Element + PrimInt + WrappingAdd + WrappingSub + WrappingMul + WrappingNeg + CheckedRem + std::hash::Hash
{
    const SIGNED: bool;
}

macro_rules! int_elem {
    ($($t:ty: $s:expr),*) => { $(impl IntElem for $t { const SIGNED: bool = $s; })* };
}
int_elem!(i8: true, i16: true, i32: true, i64: true, u8: false, u16: false, u32: false, u64: false);

/// f64 → f32 rounding to odd: rounding this result once more to a format with at most 22
/// significand bits (f16, bf16) gives the correctly rounded f64 → that format conversion.
pub fn f64_to_f32_odd(x: f64) -> f32 {
    let f = x as f32;
    if !f.is_finite() || f as f64 == x {
        return f;
    }
    let mut bits = f.to_bits();
    if (f as f64).abs() > x.abs() {
        // Rounded away from zero: step back toward zero (sign-magnitude encoding).
        bits -= 1;
    }
    f32::from_bits(bits | 1)
}

/// Correctly rounded f64 → f16 (half's own conversion rounds twice on some targets).
pub fn f64_to_f16(x: f64) -> f16 {
    f16::from_f32(f64_to_f32_odd(x))
}

/// Correctly rounded f64 → bf16.
pub fn f64_to_bf16(x: f64) -> bf16 {
    bf16::from_f32(f64_to_f32_odd(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f64_to_half_rounds_once() {
        // 1 + 2^-11 is a tie between 1 and 1 + 2^-10 in f16; a hair above must round up.
        let above = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
        assert_eq!(f64_to_f16(above), f16::from_f32(1.0 + 2f32.powi(-10)));
        // The exact tie rounds to even (1.0).
        assert_eq!(f64_to_f16(1.0 + 2f64.powi(-11)), f16::from_f32(1.0));
        let below = 1.0 + 2f64.powi(-11) - 2f64.powi(-40);
        assert_eq!(f64_to_f16(below), f16::from_f32(1.0));
        assert_eq!(f64_to_bf16(1.0 + 2f64.powi(-8) + 2f64.powi(-45)), bf16::from_f32(1.0 + 2f32.powi(-7)));
        assert!(f64_to_f16(f64::NAN).is_nan());
        assert_eq!(f64_to_f16(1e10), f16::INFINITY);
        assert_eq!(f64_to_f16(-3.0), f16::from_f32(-3.0));
    }

    #[test]
    fn real_helpers() {
        assert_eq!(2.5f32.round_even(), 2.0);
        assert_eq!((-3.5f64).round_even(), -4.0);
        assert!((Real::erf(0.5f64) - 0.520_499_877_813_046_5).abs() < 1e-15);
    }
}
