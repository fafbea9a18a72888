//! Tests of the elementwise family against hand-computed values and values produced by the
//! ONNX reference implementation (onnx 1.22 `ReferenceEvaluator`, float32).

use super::*;
use crate::{BinaryOp, OpError, UnaryOp, F32};

fn t<T: crate::Element>(shape: &[usize], v: Vec<T>) -> Tensor {
    Tensor::from_vec(shape, v).unwrap()
}
fn v<T: crate::Element>(v: Vec<T>) -> Tensor {
    t(&[v.len()], v)
}

/// Evaluate and check that the result matches the inferred type exactly.
fn run(op: Op, ins: &[Option<&Tensor>]) -> Result<Tensor, OpError> {
    let types: Vec<Option<TensorType>> = ins.iter().map(|i| i.map(|t| t.ty())).collect();
    let trefs: Vec<Option<&TensorType>> = types.iter().map(|t| t.as_ref()).collect();
    let inferred = infer(&op, &trefs, &vec![None; ins.len()]);
    let out = eval(&op, ins);
    match (inferred, out) {
        (Ok(ty), Ok(mut out)) => {
            assert_eq!(ty.len(), out.len());
            assert_eq!(ty[0], out[0].ty(), "infer and eval disagree for {op:?}");
            Ok(out.remove(0))
        }
        (Err(e), Err(_)) => Err(e),
        (i, o) => panic!("infer {i:?} and eval {o:?} disagree on validity for {op:?}"),
    }
}

fn assert_close(got: &Tensor, want: &[f64], tol: f64) {
    let g = got.to_f64_vec();
    assert_eq!(g.len(), want.len(), "got {g:?}, want {want:?}");
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        let ok = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= tol * (1.0 + b.abs());
        assert!(ok, "element {i}: got {a}, want {b} (all: {g:?})");
    }
}

const X: [f32; 9] = [-3.5, -1.2, -0.5, 0.0, 0.3, 0.5, 1.0, 2.5, 4.0];

fn unary_f32(op: UnaryOp) -> Tensor {
    let x = v(X.to_vec());
    run(Op::Unary(op), &[Some(&x)]).unwrap()
}

#[test]
fn unary_against_onnx_reference() {
    let a = |x: f32| F32(x);
    let cases: Vec<(UnaryOp, Vec<f64>)> = vec![
        (UnaryOp::Exp, vec![0.030197384, 0.30119419, 0.60653067, 1.0, 1.3498588, 1.6487212, 2.718282, 12.182493, 54.598148]),
        (UnaryOp::Sigmoid, vec![0.029312231, 0.2314752, 0.37754068, 0.5, 0.5744425, 0.62245935, 0.7310586, 0.92414182, 0.98201376]),
        (UnaryOp::Erf, vec![-0.99999928, -0.91031396, -0.52049989, 0.0, 0.32862678, 0.52049989, 0.84270078, 0.99959302, 1.0]),
        (UnaryOp::Softplus, vec![0.029750416, 0.26328248, 0.47407699, 0.69314718, 0.85435522, 0.97407699, 1.3132617, 2.5788896, 4.0181499]),
        (UnaryOp::Softsign, vec![-0.77777779, -0.54545456, -0.33333334, 0.0, 0.23076925, 0.33333334, 0.5, 0.71428573, 0.8]),
        (UnaryOp::Mish, vec![-0.1040957, -0.3088358, -0.22074378, 0.0, 0.2080014, 0.37524518, 0.86509842, 2.4713924, 3.9974129]),
        (UnaryOp::HardSwish, vec![0.0, -0.36, -0.20833333, 0.0, 0.165, 0.29166666, 0.66666669, 2.2916667, 4.0]),
        (UnaryOp::Round, vec![-4.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 4.0]),
        (UnaryOp::Tanh, vec![-0.99817789, -0.83365464, -0.4621172, 0.0, 0.29131263, 0.4621172, 0.76159418, 0.98661429, 0.99932933]),
        (UnaryOp::Sign, vec![-1.0, -1.0, -1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
        (UnaryOp::LeakyRelu { alpha: a(0.1) }, vec![-0.35, -0.12, -0.05, 0.0, 0.3, 0.5, 1.0, 2.5, 4.0]),
        (UnaryOp::Elu { alpha: a(0.7) }, vec![-0.6788618, -0.48916405, -0.27542853, 0.0, 0.3, 0.5, 1.0, 2.5, 4.0]),
        (
            UnaryOp::Selu { alpha: a(1.673_263_2), gamma: a(1.050_701) },
            vec![-1.7050093, -1.22857, -0.69175822, 0.0, 0.31521031, 0.52535051, 1.0507010, 2.6267526, 4.2028041],
        ),
        (UnaryOp::Celu { alpha: a(1.5) }, vec![-1.354542, -0.82600665, -0.42520317, 0.0, 0.3, 0.5, 1.0, 2.5, 4.0]),
        (UnaryOp::HardSigmoid { alpha: a(0.3), beta: a(0.4) }, vec![0.0, 0.04, 0.25, 0.4, 0.49, 0.55, 0.7, 1.0, 1.0]),
        (UnaryOp::ThresholdedRelu { alpha: a(0.4) }, vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 2.5, 4.0]),
        (UnaryOp::Shrink { bias: a(0.2), lambd: a(0.6) }, vec![-3.3, -1.0, 0.0, 0.0, 0.0, 0.0, 0.8, 2.3, 3.8]),
        (UnaryOp::Gelu { tanh: false }, vec![-0.00081422925, -0.13808359, -0.15426877, 0.0, 0.18537344, 0.34573123, 0.84134471, 2.4844759, 3.9998732]),
        (UnaryOp::Gelu { tanh: true }, vec![-0.00061614811, -0.13829724, -0.154286, 0.0, 0.18537092, 0.345714, 0.84119201, 2.4849157, 3.9999299]),
        (UnaryOp::Atan, vec![-1.2924967, -0.8760581, -0.46364760, 0.0, 0.29145682, 0.4636476, 0.78539819, 1.19029, 1.3258177]),
        (UnaryOp::Asinh, vec![-1.9657204, -1.0159732, -0.48121181, 0.0, 0.29567307, 0.48121181, 0.88137358, 1.6472311, 2.0947125]),
        (UnaryOp::Cosh, vec![16.572824, 1.8106557, 1.1276261, 1.0, 1.0453384, 1.1276261, 1.5430807, 6.1322899, 27.308235]),
        (UnaryOp::Swish { alpha: a(1.3) }, vec![-0.036598485, -0.20837598, -0.17149478, 0.0, 0.17888482, 0.32850522, 0.78583503, 2.4066827, 3.978055]),
    ];
    for (op, want) in cases {
        let got = unary_f32(op.clone());
        assert_eq!(got.dtype(), DType::F32);
        let g = got.to_f64_vec();
        for (i, (a, b)) in g.iter().zip(&want).enumerate() {
            assert!((a - b).abs() <= 2e-6 * (1.0 + b.abs()), "{op:?} element {i}: got {a}, want {b}");
        }
    }
}

#[test]
fn unary_hand_computed() {
    let x = v(vec![4.0f64, 0.25, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
    let r = run(Op::Unary(UnaryOp::Sqrt), &[Some(&x)]).unwrap();
    assert_close(&r, &[2.0, 0.5, f64::NAN, f64::NAN, f64::INFINITY, f64::NAN], 0.0);
    let r = run(Op::Unary(UnaryOp::IsNaN), &[Some(&x)]).unwrap();
    assert_eq!(r, v(vec![false, false, false, true, false, false]));
    let r = run(Op::Unary(UnaryOp::IsInf { detect_positive: true, detect_negative: false }), &[Some(&x)]).unwrap();
    assert_eq!(r, v(vec![false, false, false, false, true, false]));
    let r = run(Op::Unary(UnaryOp::IsInf { detect_positive: true, detect_negative: true }), &[Some(&x)]).unwrap();
    assert_eq!(r, v(vec![false, false, false, false, true, true]));
    // Round is half to even, including negative halves.
    let x = v(vec![0.5f32, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999998]);
    let r = run(Op::Unary(UnaryOp::Round), &[Some(&x)]).unwrap();
    assert_close(&r, &[0.0, 2.0, 2.0, 0.0, -2.0, -2.0, 2.0], 0.0);
    // Sign keeps NaN; Relu keeps NaN.
    let x = v(vec![f32::NAN, -0.0, -2.0]);
    assert_close(&run(Op::Unary(UnaryOp::Sign), &[Some(&x)]).unwrap(), &[f64::NAN, 0.0, -1.0], 0.0);
    assert_close(&run(Op::Unary(UnaryOp::Relu), &[Some(&x)]).unwrap(), &[f64::NAN, 0.0, 0.0], 0.0);
    // Sigmoid and Softplus do not overflow at the extremes.
    let x = v(vec![-1000.0f32, 1000.0]);
    assert_close(&run(Op::Unary(UnaryOp::Sigmoid), &[Some(&x)]).unwrap(), &[0.0, 1.0], 0.0);
    assert_close(&run(Op::Unary(UnaryOp::Softplus), &[Some(&x)]).unwrap(), &[0.0, 1000.0], 0.0);
}

#[test]
fn unary_half_types_compute_in_f32() {
    use half::{bf16, f16};
    let x = v(vec![f16::from_f32(0.5), f16::from_f32(-2.0)]);
    let r = run(Op::Unary(UnaryOp::Exp), &[Some(&x)]).unwrap();
    assert_eq!(r, v(vec![f16::from_f32(0.5f32.exp()), f16::from_f32((-2.0f32).exp())]));
    let x = v(vec![bf16::from_f32(3.0)]);
    let r = run(Op::Unary(UnaryOp::Reciprocal), &[Some(&x)]).unwrap();
    assert_eq!(r, v(vec![bf16::from_f32(1.0 / 3.0)]));
}

#[test]
fn unary_ints_and_bools() {
    let x = v(vec![-128i8, -3, 0, 5]);
    assert_eq!(run(Op::Unary(UnaryOp::Abs), &[Some(&x)]).unwrap(), v(vec![-128i8, 3, 0, 5]));
    assert_eq!(run(Op::Unary(UnaryOp::Neg), &[Some(&x)]).unwrap(), v(vec![-128i8, 3, 0, -5]));
    assert_eq!(run(Op::Unary(UnaryOp::Sign), &[Some(&x)]).unwrap(), v(vec![-1i8, -1, 0, 1]));
    assert_eq!(run(Op::Unary(UnaryOp::Relu), &[Some(&x)]).unwrap(), v(vec![0i8, 0, 0, 5]));
    assert_eq!(run(Op::Unary(UnaryOp::BitwiseNot), &[Some(&x)]).unwrap(), v(vec![127i8, 2, -1, -6]));
    let u = v(vec![0u8, 7]);
    assert_eq!(run(Op::Unary(UnaryOp::BitwiseNot), &[Some(&u)]).unwrap(), v(vec![255u8, 248]));
    assert_eq!(run(Op::Unary(UnaryOp::Sign), &[Some(&u)]).unwrap(), v(vec![0u8, 1]));
    let b = v(vec![true, false]);
    assert_eq!(run(Op::Unary(UnaryOp::Not), &[Some(&b)]).unwrap(), v(vec![false, true]));
    // Shrink on ints: bias and lambd are floats, the result truncates back.
    let i = v(vec![-5i32, -1, 0, 1, 5]);
    let r = run(Op::Unary(UnaryOp::Shrink { bias: F32(1.5), lambd: F32(1.0) }), &[Some(&i)]).unwrap();
    assert_eq!(r, v(vec![-3i32, 0, 0, 0, 3]));
    // Invalid dtype combinations.
    for (op, x) in [
        (UnaryOp::Exp, &i),
        (UnaryOp::Neg, &u),
        (UnaryOp::Not, &i),
        (UnaryOp::BitwiseNot, &b),
        (UnaryOp::Abs, &b),
    ] {
        assert!(matches!(run(Op::Unary(op), &[Some(x)]), Err(OpError::Invalid(_))));
    }
    let f = v(vec![1.0f32]);
    assert!(run(Op::Unary(UnaryOp::Not), &[Some(&f)]).is_err());
    assert!(run(Op::Unary(UnaryOp::BitwiseNot), &[Some(&f)]).is_err());
}

#[test]
fn integer_division_and_modulo() {
    // Checked with the ONNX reference: a is [6,1], b is [2] → [6,2].
    let a = t(&[6, 1], vec![7i32, -7, 7, -7, 0, 5]);
    let b = v(vec![3i32, -3]);
    let div = run(Op::Binary(BinaryOp::Div), &[Some(&a), Some(&b)]).unwrap();
    assert_eq!(div, t(&[6, 2], vec![2i32, -2, -2, 2, 2, -2, -2, 2, 0, 0, 1, -1]));
    let m = run(Op::Binary(BinaryOp::Mod { fmod: false }), &[Some(&a), Some(&b)]).unwrap();
    assert_eq!(m, t(&[6, 2], vec![1i32, -2, 2, -1, 1, -2, 2, -1, 0, 0, 2, -1]));
    let m = run(Op::Binary(BinaryOp::Mod { fmod: true }), &[Some(&a), Some(&b)]).unwrap();
    assert_eq!(m, t(&[6, 2], vec![1i32, 1, -1, -1, 1, 1, -1, -1, 0, 0, 2, 2]));
    // Division by zero and overflow do not panic.
    let a = v(vec![5i8, -128, -128]);
    let b = v(vec![0i8, -1, 0]);
    assert_eq!(run(Op::Binary(BinaryOp::Div), &[Some(&a), Some(&b)]).unwrap(), v(vec![0i8, -128, 0]));
    assert_eq!(run(Op::Binary(BinaryOp::Mod { fmod: false }), &[Some(&a), Some(&b)]).unwrap(), v(vec![0i8, 0, 0]));
    // Wrapping arithmetic.
    let a = v(vec![250u8, 3]);
    let b = v(vec![10u8, 5]);
    assert_eq!(run(Op::Binary(BinaryOp::Add), &[Some(&a), Some(&b)]).unwrap(), v(vec![4u8, 8]));
    assert_eq!(run(Op::Binary(BinaryOp::Sub), &[Some(&a), Some(&b)]).unwrap(), v(vec![240u8, 254]));
}

#[test]
fn float_modulo() {
    let a = v(vec![5.5f32, -5.5, 5.5, -5.5]);
    let b = v(vec![2.0f32, 2.0, -2.0, -2.0]);
    let m = run(Op::Binary(BinaryOp::Mod { fmod: true }), &[Some(&a), Some(&b)]).unwrap();
    assert_close(&m, &[1.5, -1.5, 1.5, -1.5], 0.0);
    let m = run(Op::Binary(BinaryOp::Mod { fmod: false }), &[Some(&a), Some(&b)]).unwrap();
    assert_close(&m, &[1.5, 0.5, -0.5, -1.5], 0.0);
}

#[test]
fn pow_mixed_types() {
    let a = v(vec![2i64, -3, 4]);
    let b = v(vec![3.0f32, 2.0, 0.5]);
    assert_eq!(run(Op::Binary(BinaryOp::Pow), &[Some(&a), Some(&b)]).unwrap(), v(vec![8i64, 9, 2]));
    let a = v(vec![1.5f32, -2.0, 4.0]);
    let b = v(vec![2i64, 3, -1]);
    let r = run(Op::Binary(BinaryOp::Pow), &[Some(&a), Some(&b)]).unwrap();
    assert_eq!(r, v(vec![2.25f32, -8.0, 0.25]));
    let e = Tensor::scalar(2.0f32);
    let r = run(Op::Binary(BinaryOp::Pow), &[Some(&a), Some(&e)]).unwrap();
    assert_eq!(r, v(vec![2.25f32, 4.0, 16.0]));
    let e = Tensor::scalar(0.5f32);
    let r = run(Op::Binary(BinaryOp::Pow), &[Some(&v(vec![9.0f32, 2.0])), Some(&e)]).unwrap();
    assert_eq!(r, v(vec![3.0f32, 2f32.sqrt()]));
    let r = run(Op::Binary(BinaryOp::Pow), &[Some(&v(vec![2i32, 3, -1, 2])), Some(&v(vec![10i32, 0, 3, -1]))]).unwrap();
    assert_eq!(r, v(vec![1024i32, 1, -1, 0]));
    let r = run(Op::Binary(BinaryOp::Pow), &[Some(&v(vec![2.0f32])), Some(&v(vec![1.5f64]))]).unwrap();
    assert_close(&r, &[2f64.powf(1.5)], 1e-7);
    // Bases must be i32/i64/float.
    assert!(run(Op::Binary(BinaryOp::Pow), &[Some(&v(vec![2u8])), Some(&v(vec![2u8]))]).is_err());
    assert!(run(Op::Binary(BinaryOp::Pow), &[Some(&v(vec![2.0f32])), Some(&v(vec![true]))]).is_err());
}

#[test]
fn max_min_propagate_nan() {
    let a = v(vec![1.0f32, f32::NAN, 3.0]);
    let b = v(vec![f32::NAN, 2.0, 1.0]);
    assert_close(&run(Op::Binary(BinaryOp::Max), &[Some(&a), Some(&b)]).unwrap(), &[f64::NAN, f64::NAN, 3.0], 0.0);
    assert_close(&run(Op::Binary(BinaryOp::Min), &[Some(&a), Some(&b)]).unwrap(), &[f64::NAN, f64::NAN, 1.0], 0.0);
    let a = v(vec![-1i64, 5]);
    let b = Tensor::scalar(0i64);
    assert_eq!(run(Op::Binary(BinaryOp::Max), &[Some(&a), Some(&b)]).unwrap(), v(vec![0i64, 5]));
}

#[test]
fn comparisons_and_logic() {
    let a = t(&[2, 1], vec![1.0f32, f32::NAN]);
    let b = v(vec![0.0f32, 1.0, 2.0]);
    let r = run(Op::Binary(BinaryOp::Less), &[Some(&a), Some(&b)]).unwrap();
    assert_eq!(r, t(&[2, 3], vec![false, false, true, false, false, false]));
    let r = run(Op::Binary(BinaryOp::GreaterOrEqual), &[Some(&a), Some(&b)]).unwrap();
    assert_eq!(r, t(&[2, 3], vec![true, true, false, false, false, false]));
    let r = run(Op::Binary(BinaryOp::Equal), &[Some(&v(vec![true, false])), Some(&v(vec![true, true]))]).unwrap();
    assert_eq!(r, v(vec![true, false]));
    assert!(run(Op::Binary(BinaryOp::Less), &[Some(&v(vec![true])), Some(&v(vec![true]))]).is_err());
    let p = v(vec![true, true, false, false]);
    let q = v(vec![true, false, true, false]);
    assert_eq!(run(Op::Binary(BinaryOp::And), &[Some(&p), Some(&q)]).unwrap(), v(vec![true, false, false, false]));
    assert_eq!(run(Op::Binary(BinaryOp::Or), &[Some(&p), Some(&q)]).unwrap(), v(vec![true, true, true, false]));
    assert_eq!(run(Op::Binary(BinaryOp::Xor), &[Some(&p), Some(&q)]).unwrap(), v(vec![false, true, true, false]));
    assert!(run(Op::Binary(BinaryOp::And), &[Some(&v(vec![1i32])), Some(&v(vec![1i32]))]).is_err());
    // Mixed dtypes are invalid.
    assert!(run(Op::Binary(BinaryOp::Add), &[Some(&v(vec![1i32])), Some(&v(vec![1i64]))]).is_err());
}

#[test]
fn bit_ops() {
    let a = v(vec![1u8, 3, 255, 16]);
    let s = v(vec![2u8, 1, 7, 8]);
    assert_eq!(run(Op::Binary(BinaryOp::BitShiftLeft), &[Some(&a), Some(&s)]).unwrap(), v(vec![4u8, 6, 128, 0]));
    assert_eq!(run(Op::Binary(BinaryOp::BitShiftRight), &[Some(&a), Some(&s)]).unwrap(), v(vec![0u8, 1, 1, 0]));
    assert!(run(Op::Binary(BinaryOp::BitShiftLeft), &[Some(&v(vec![1i32])), Some(&v(vec![1i32]))]).is_err());
    let x = v(vec![0b1100i16, -1]);
    let y = v(vec![0b1010i16, 5]);
    assert_eq!(run(Op::Binary(BinaryOp::BitwiseAnd), &[Some(&x), Some(&y)]).unwrap(), v(vec![0b1000i16, 5]));
    assert_eq!(run(Op::Binary(BinaryOp::BitwiseOr), &[Some(&x), Some(&y)]).unwrap(), v(vec![0b1110i16, -1]));
    assert_eq!(run(Op::Binary(BinaryOp::BitwiseXor), &[Some(&x), Some(&y)]).unwrap(), v(vec![0b0110i16, -6]));
    assert!(run(Op::Binary(BinaryOp::BitwiseAnd), &[Some(&v(vec![1.0f32])), Some(&v(vec![1.0f32]))]).is_err());
}

#[test]
fn broadcasting_and_shapes() {
    let a = t(&[2, 1, 3], (0..6).map(|i| i as f32).collect());
    let b = t(&[4, 1], vec![10.0f32, 20.0, 30.0, 40.0]);
    let r = run(Op::Binary(BinaryOp::Add), &[Some(&a), Some(&b)]).unwrap();
    assert_eq!(r.shape(), &[2, 4, 3]);
    let want: Vec<f64> = (0..2)
        .flat_map(|i| (0..4).flat_map(move |j| (0..3).map(move |k| (i * 3 + k) as f64 + 10.0 * (j + 1) as f64)))
        .collect();
    assert_close(&r, &want, 0.0);
    assert!(run(Op::Binary(BinaryOp::Add), &[Some(&a), Some(&v(vec![1.0f32, 2.0]))]).is_err());
    // Symbolic dims broadcast in inference.
    let sa = TensorType::new(DType::F32, vec![Dim::Sym("n".into()), 1.into()]);
    let sb = TensorType::fixed(DType::F32, &[5]);
    let out = infer(&Op::Binary(BinaryOp::Mul), &[Some(&sa), Some(&sb)], &[None, None]).unwrap();
    assert_eq!(out[0].dims, vec![Dim::Sym("n".into()), 5.into()]);
    // Empty tensors.
    let e = t::<f32>(&[0, 3], vec![]);
    let r = run(Op::Binary(BinaryOp::Mul), &[Some(&e), Some(&v(vec![1.0f32, 2.0, 3.0]))]).unwrap();
    assert_eq!(r.shape(), &[0, 3]);
}

#[test]
fn prelu() {
    let x = t(&[2, 3], vec![-1.0f32, 2.0, -3.0, 4.0, -5.0, 0.0]);
    let slope = t(&[3], vec![0.1f32, 0.2, 0.3]);
    let r = run(Op::Binary(BinaryOp::PRelu), &[Some(&x), Some(&slope)]).unwrap();
    assert_close(&r, &[-0.1, 2.0, -0.9, 4.0, -1.0, 0.0], 1e-7);
    // The slope must broadcast to x, not the other way round.
    let big = t(&[2, 2, 3], vec![0.5f32; 12]);
    assert!(run(Op::Binary(BinaryOp::PRelu), &[Some(&x), Some(&big)]).is_err());
}

#[test]
fn where_op() {
    let c = t(&[2, 1], vec![true, false]);
    let x = v(vec![1i64, 2, 3]);
    let y = Tensor::scalar(-1i64);
    let r = run(Op::Where, &[Some(&c), Some(&x), Some(&y)]).unwrap();
    assert_eq!(r, t(&[2, 3], vec![1i64, 2, 3, -1, -1, -1]));
    assert!(run(Op::Where, &[Some(&x), Some(&x), Some(&y)]).is_err());
    assert!(run(Op::Where, &[Some(&c), Some(&x), Some(&Tensor::scalar(1i32))]).is_err());
}

#[test]
fn clip() {
    let x = v(vec![-2.0f32, 0.5, 3.0, f32::NAN]);
    let lo = Tensor::scalar(-1.0f32);
    let hi = t(&[1], vec![1.0f32]);
    let r = run(Op::Clip, &[Some(&x), Some(&lo), Some(&hi)]).unwrap();
    assert_close(&r, &[-1.0, 0.5, 1.0, f64::NAN], 0.0);
    let r = run(Op::Clip, &[Some(&x), None, Some(&hi)]).unwrap();
    assert_close(&r, &[-2.0, 0.5, 1.0, f64::NAN], 0.0);
    let r = run(Op::Clip, &[Some(&x), None, None]).unwrap();
    assert_close(&r, &[-2.0, 0.5, 3.0, f64::NAN], 0.0);
    // min > max: everything becomes max (numpy clip, ONNX test_clip_min_greater_than_max).
    let r = run(Op::Clip, &[Some(&x), Some(&Tensor::scalar(2.0f32)), Some(&Tensor::scalar(1.0f32))]).unwrap();
    assert_close(&r, &[1.0, 1.0, 1.0, f64::NAN], 0.0);
    // Ints (test_clip_default_int8_min).
    let i = v(vec![-100i8, 0, 100]);
    let r = run(Op::Clip, &[Some(&i), Some(&Tensor::scalar(-5i8)), None]).unwrap();
    assert_eq!(r, v(vec![-5i8, 0, 100]));
    // Bounds must be scalars of x's dtype.
    assert!(run(Op::Clip, &[Some(&x), Some(&v(vec![0.0f32, 1.0])), None]).is_err());
    assert!(run(Op::Clip, &[Some(&x), Some(&t(&[1, 1], vec![0.0f32])), None]).is_err());
    assert!(run(Op::Clip, &[Some(&x), Some(&Tensor::scalar(0.0f64)), None]).is_err());
    assert!(run(Op::Clip, &[Some(&v(vec![true])), None, None]).is_err());
}

#[test]
fn cast_infers_target_dtype() {
    let x = t(&[2], vec![1.5f32, -1.5]);
    let r = run(Op::Cast { to: DType::I16, saturate: true }, &[Some(&x)]).unwrap();
    assert_eq!(r, v(vec![1i16, -1]));
    let bad = TensorType::fixed(DType::F8E5M2, &[2]);
    assert!(matches!(
        infer(&Op::Cast { to: DType::F32, saturate: true }, &[Some(&bad)], &[None]),
        Err(OpError::Unsupported(_))
    ));
}

#[test]
fn missing_inputs_are_errors() {
    assert!(eval(&Op::Binary(BinaryOp::Add), &[Some(&v(vec![1.0f32]))]).is_err());
    assert!(eval(&Op::Unary(UnaryOp::Exp), &[None]).is_err());
    assert!(infer(&Op::Where, &[None, None, None], &[None, None, None]).is_err());
}
