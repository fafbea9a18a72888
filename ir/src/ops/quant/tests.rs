//! Tests of QuantizeLinear/DequantizeLinear against values produced by the ONNX reference
//! implementation (onnx 1.22 `ReferenceEvaluator`, opset 21).

use super::*;
use half::f16;

fn t<T: crate::Element>(shape: &[usize], v: Vec<T>) -> Tensor {
    Tensor::from_vec(shape, v).unwrap()
}
fn v<T: crate::Element>(v: Vec<T>) -> Tensor {
    t(&[v.len()], v)
}

fn run(op: Op, ins: &[Option<&Tensor>]) -> Result<Tensor, OpError> {
    let types: Vec<Option<TensorType>> = ins.iter().map(|i| i.map(|t| t.ty())).collect();
    let trefs: Vec<Option<&TensorType>> = types.iter().map(|t| t.as_ref()).collect();
    let inferred = infer(&op, &trefs, &vec![None; ins.len()]);
    let out = eval(&op, ins);
    match (inferred, out) {
        (Ok(ty), Ok(mut out)) => {
            assert_eq!(ty[0], out[0].ty(), "infer and eval disagree for {op:?}");
            Ok(out.remove(0))
        }
        (Err(e), Err(_)) => Err(e),
        (i, o) => panic!("infer {i:?} and eval {o:?} disagree on validity for {op:?}"),
    }
}

fn q(axis: i64, block_size: usize, to: DType) -> Op {
    Op::QuantizeLinear { axis, block_size, to, saturate: true }
}
fn dq(axis: i64, block_size: usize) -> Op {
    Op::DequantizeLinear { axis, block_size, to: None }
}

fn x34() -> Tensor {
    t(&[3, 4], vec![0.0f32, 2.5, -2.5, 100.0, 3.4, -300.0, 7.5, 1.0, -1.0, 0.5, -0.5, 4.49])
}

#[test]
fn quantize_per_tensor() {
    let x = x34();
    let r = run(q(1, 0, DType::U8), &[Some(&x), Some(&Tensor::scalar(0.5f32)), Some(&Tensor::scalar(128u8))]).unwrap();
    assert_eq!(r, t(&[3, 4], vec![128u8, 133, 123, 255, 135, 0, 143, 130, 126, 129, 127, 137]));
    let r = run(q(1, 0, DType::I8), &[Some(&x), Some(&Tensor::scalar(0.5f32)), Some(&Tensor::scalar(-3i8))]).unwrap();
    assert_eq!(r, t(&[3, 4], vec![-3i8, 2, -8, 127, 4, -128, 12, -1, -5, -2, -4, 6]));
    // No zero point: zero, output dtype from `to`; a one-element 1-D scale is per-tensor.
    let r = run(q(1, 0, DType::U8), &[Some(&x), Some(&v(vec![0.5f32])), None]).unwrap();
    assert_eq!(r.as_array::<u8>().unwrap().as_slice().unwrap()[..4], [0, 5, 0, 200]);
    // f16 input and scale divide in f16 (numpy promotion).
    let xh = t(&[3, 4], x34().to_f64_vec().iter().map(|&v| f16::from_f64(v)).collect());
    let r = run(q(1, 0, DType::I8), &[Some(&xh), Some(&Tensor::scalar(f16::from_f32(0.3))), Some(&Tensor::scalar(0i8))]).unwrap();
    assert_eq!(r, t(&[3, 4], vec![0i8, 8, -8, 127, 11, -128, 25, 3, -3, 2, -2, 15]));
}

#[test]
fn quantize_per_axis_and_blocked() {
    let x = x34();
    let r = run(q(0, 0, DType::I8), &[Some(&x), Some(&v(vec![0.5f32, 2.0, 1.0])), Some(&v(vec![0i8, -10, 5]))]).unwrap();
    assert_eq!(r, t(&[3, 4], vec![0i8, 5, -5, 127, -8, -128, -6, -10, 4, 5, 5, 9]));
    let s = t(&[3, 2], vec![0.5f32, 2.0, 1.0, 0.25, 4.0, 1.0]);
    let z = t(&[3, 2], vec![0i16, 1, 2, 3, -4, 5]);
    let r = run(q(1, 2, DType::I16), &[Some(&x), Some(&s), Some(&z)]).unwrap();
    assert_eq!(r, t(&[3, 4], vec![0i16, 5, 0, 51, 5, -298, 33, 7, -4, -4, 5, 9]));
    // A last block shorter than block_size.
    let s = t(&[3, 2], vec![0.5f32, 4.0, 2.0, 1.0, 1.0, 0.5]);
    let z = t(&[3, 2], vec![1u16, 100, 2, 0, 3, 7]);
    let r = run(q(-1, 3, DType::U16), &[Some(&x), Some(&s), Some(&z)]).unwrap();
    assert_eq!(r, t(&[3, 4], vec![1u16, 6, 0, 125, 4, 0, 6, 1, 2, 3, 3, 16]));
}

#[test]
fn quantize_errors() {
    let x = x34();
    let s = Tensor::scalar(0.5f32);
    // zero point dtype must match the target.
    assert!(run(q(1, 0, DType::U8), &[Some(&x), Some(&s), Some(&Tensor::scalar(0i8))]).is_err());
    // Per-axis scale of the wrong length; blocked scale of the wrong shape.
    assert!(run(q(1, 0, DType::U8), &[Some(&x), Some(&v(vec![1.0f32, 2.0])), None]).is_err());
    assert!(run(q(1, 2, DType::U8), &[Some(&x), Some(&t(&[3, 3], vec![1.0f32; 9])), None]).is_err());
    assert!(run(q(2, 0, DType::U8), &[Some(&x), Some(&v(vec![1.0f32, 2.0, 3.0])), None]).is_err());
    // Scale and zero point of different layouts.
    assert!(run(q(1, 0, DType::U8), &[Some(&x), Some(&v(vec![1.0f32; 4])), Some(&Tensor::scalar(1u8))]).is_err());
    // Unsupported targets are reported as such.
    let r = run(q(1, 0, DType::F8E4M3FN), &[Some(&x), Some(&s), None]);
    assert!(matches!(r, Err(OpError::Unsupported(_))));
    assert!(matches!(run(q(1, 0, DType::I4), &[Some(&x), Some(&s), None]), Err(OpError::Unsupported(_))));
    assert!(matches!(run(q(1, 0, DType::F32), &[Some(&x), Some(&s), None]), Err(OpError::Unsupported(_))));
    assert!(matches!(run(q(1, 0, DType::Bool), &[Some(&x), Some(&s), None]), Err(OpError::Invalid(_))));
}

#[test]
fn dequantize() {
    let x = t(&[3, 4], vec![0u8, 255, 128, 7, 1, 2, 3, 4, 200, 100, 50, 25]);
    let r = run(dq(1, 0), &[Some(&x), Some(&Tensor::scalar(0.1f32)), Some(&Tensor::scalar(128u8))]).unwrap();
    let want = [-12.8f32, 12.7, 0.0, -12.1, -12.7, -12.6, -12.5, -12.400001, 7.2000003, -2.8, -7.8, -10.3];
    assert_eq!(r, t(&[3, 4], want.to_vec()));
    // Per-axis f16 scale: the output is f16.
    let s: Vec<f16> = [0.5f32, 1.0, 0.25, 2.0].iter().map(|&v| f16::from_f32(v)).collect();
    let r = run(dq(1, 0), &[Some(&x), Some(&v(s)), Some(&v(vec![0u8, 1, 2, 3]))]).unwrap();
    assert_eq!(r.dtype(), DType::F16);
    assert_eq!(r.to_f64_vec(), vec![0.0, 254.0, 31.5, 8.0, 0.5, 1.0, 0.25, 2.0, 100.0, 99.0, 12.0, 44.0]);
    // Blocked.
    let s = t(&[3, 2], vec![0.5f32, 2.0, 1.0, 0.25, 4.0, 1.0]);
    let z = t(&[3, 2], vec![0u8, 1, 2, 3, 4, 5]);
    let r = run(dq(1, 2), &[Some(&x), Some(&s), Some(&z)]).unwrap();
    assert_eq!(r.to_f64_vec(), vec![0.0, 127.5, 254.0, 12.0, -1.0, 0.0, 0.0, 0.25, 784.0, 384.0, 45.0, 20.0]);
    // i32 input without zero point; explicit output dtype.
    let xi = v(vec![-100000i32, 5, 1 << 30]);
    let r = run(dq(0, 0), &[Some(&xi), Some(&Tensor::scalar(0.001f32)), None]).unwrap();
    assert_eq!(r, v(vec![-100.00001f32, 0.0050000004, 1073741.9]));
    let op = Op::DequantizeLinear { axis: 0, block_size: 0, to: Some(DType::BF16) };
    let r = run(op, &[Some(&v(vec![3i8])), Some(&Tensor::scalar(0.5f32)), None]).unwrap();
    assert_eq!(r, v(vec![half::bf16::from_f32(1.5)]));
    // Errors.
    assert!(run(dq(1, 0), &[Some(&x), Some(&Tensor::scalar(0.1f32)), Some(&Tensor::scalar(1i8))]).is_err());
    assert!(run(dq(1, 0), &[Some(&v(vec![1.0f32])), Some(&Tensor::scalar(0.1f32)), None]).is_err());
    assert!(run(dq(1, 0), &[Some(&x), Some(&Tensor::scalar(1u8)), None]).is_err());
}
