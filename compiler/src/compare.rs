//! Comparison of computed tensors with reference tensors (max abs/rel error, pass/fail).

use ir::{DType, Tensor};

/// Tolerance: a float element passes when |y - ref| <= atol + rtol * |ref|.
/// NaN matches NaN and infinities must match exactly; integers and bools must be equal.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Tolerance {
    pub atol: f64,
    pub rtol: f64,
}

impl Tolerance {
    /// The ONNX backend-test convention (used by the conformance runner).
    pub const ONNX_NODE_TESTS: Tolerance = Tolerance { atol: 1e-7, rtol: 1e-3 };
    /// The tolerance for whole fp32 models (see ../shared/models/README.md).
    pub const MODEL: Tolerance = Tolerance { atol: 1e-4, rtol: 1e-4 };
}

/// Outcome of comparing one tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub max_abs: f64,
    pub max_rel: f64,
    /// Elements outside the tolerance.
    pub mismatches: usize,
    /// Dtype/shape disagreement, if any (then nothing else is meaningful).
    pub structural: Option<String>,
}

impl Comparison {
    pub fn passed(&self) -> bool {
        self.structural.is_none() && self.mismatches == 0
    }
}

/// Compare `got` against `want`.
pub fn compare(got: &Tensor, want: &Tensor, tol: Tolerance) -> Comparison {
    let mut c = Comparison { max_abs: 0.0, max_rel: 0.0, mismatches: 0, structural: None };
    if got.dtype() != want.dtype() {
        c.structural = Some(format!("dtype {} but expected {}", got.dtype(), want.dtype()));
        return c;
    }
    if got.shape() != want.shape() {
        c.structural = Some(format!("shape {:?} but expected {:?}", got.shape(), want.shape()));
        return c;
    }
    let exact = !want.dtype().is_float();
    if exact && matches!(want.dtype(), DType::I64 | DType::U64) {
        // i64/u64 do not fit f64 exactly: compare integers.
        for (a, b) in got.to_i64_vec().into_iter().zip(want.to_i64_vec()) {
            let d = (a as i128 - b as i128).unsigned_abs() as f64;
            c.max_abs = c.max_abs.max(d);
            if a != b {
                c.mismatches += 1;
            }
        }
        return c;
    }
    for (a, b) in got.to_f64_vec().into_iter().zip(want.to_f64_vec()) {
        let ok = if a.is_nan() || b.is_nan() {
            a.is_nan() && b.is_nan()
        } else if a.is_infinite() || b.is_infinite() {
            a == b
        } else {
            let d = (a - b).abs();
            c.max_abs = c.max_abs.max(d);
            if b != 0.0 {
                c.max_rel = c.max_rel.max(d / b.abs());
            }
            if exact {
                a == b
            } else {
                d <= tol.atol + tol.rtol * b.abs()
            }
        };
        if !ok {
            c.mismatches += 1;
            if a.is_nan() != b.is_nan() || a.is_infinite() || b.is_infinite() {
                c.max_abs = f64::INFINITY;
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn tolerance_and_structure() {
        let a = Tensor::from_vec(&[3], vec![1.0f32, 2.0, f32::NAN]).unwrap();
        let b = Tensor::from_vec(&[3], vec![1.0f32, 2.0001, f32::NAN]).unwrap();
        assert!(compare(&a, &b, Tolerance::ONNX_NODE_TESTS).passed());
        let c = compare(&a, &b, Tolerance { atol: 0.0, rtol: 1e-6 });
        assert!(!c.passed());
        assert_eq!(c.mismatches, 1);
        assert!((c.max_abs - 1e-4).abs() < 1e-6);
        let d = Tensor::from_vec(&[1, 3], vec![1.0f32, 2.0, 3.0]).unwrap();
        assert!(compare(&a, &d, Tolerance::MODEL).structural.is_some());
        let i = Tensor::from_vec(&[2], vec![i64::MAX, 1]).unwrap();
        let j = Tensor::from_vec(&[2], vec![i64::MAX - 1, 1]).unwrap();
        assert_eq!(compare(&i, &j, Tolerance::MODEL).mismatches, 1);
        let inf = Tensor::from_vec(&[1], vec![f32::INFINITY]).unwrap();
        let big = Tensor::from_vec(&[1], vec![f32::MAX]).unwrap();
        assert!(!compare(&inf, &big, Tolerance::MODEL).passed());
    }
}
