//! Tests of the reduction family against hand-computed values and values produced by the ONNX
//! reference implementation (onnx 1.22 `ReferenceEvaluator`).

use super::*;
use crate::{OpError, SoftmaxKind};

fn t<T: crate::Element>(shape: &[usize], v: Vec<T>) -> Tensor {
    Tensor::from_vec(shape, v).unwrap()
}
fn v<T: crate::Element>(v: Vec<T>) -> Tensor {
    t(&[v.len()], v)
}

/// Evaluate and check the results against inference (with constant operands known, and again
/// with them unknown: the static dims that inference still gives must match).
fn run(op: Op, ins: &[Option<&Tensor>]) -> Result<Vec<Tensor>, OpError> {
    let types: Vec<Option<TensorType>> = ins.iter().map(|i| i.map(|t| t.ty())).collect();
    let trefs: Vec<Option<&TensorType>> = types.iter().map(|t| t.as_ref()).collect();
    let consts: Vec<Option<&Tensor>> = ins.iter().enumerate().map(|(i, t)| if i == 0 { None } else { *t }).collect();
    let out = eval(&op, ins);
    let inferred = infer(&op, &trefs, &consts);
    match (inferred, out) {
        (Ok(ty), Ok(out)) => {
            assert_eq!(ty.len(), out.len());
            for (ty, o) in ty.iter().zip(&out) {
                assert_eq!(*ty, o.ty(), "infer and eval disagree for {op:?}");
            }
            if let Ok(loose) = infer(&op, &trefs, &vec![None; ins.len()]) {
                for (ty, o) in loose.iter().zip(&out) {
                    assert_eq!(ty.dtype, o.dtype());
                    assert_eq!(ty.rank(), o.shape().len());
                    for (d, &n) in ty.dims.iter().zip(o.shape()) {
                        assert!(d.as_static().is_none_or(|s| s == n), "{op:?}: {ty} vs {:?}", o.shape());
                    }
                }
            }
            Ok(out)
        }
        (Err(e), Err(_)) => Err(e),
        (i, o) => panic!("infer {i:?} and eval {o:?} disagree on validity for {op:?}"),
    }
}

fn run1(op: Op, ins: &[Option<&Tensor>]) -> Tensor {
    run(op, ins).unwrap().remove(0)
}

fn assert_close(got: &Tensor, want: &[f64], tol: f64) {
    let g = got.to_f64_vec();
    assert_eq!(g.len(), want.len(), "got {g:?}, want {want:?}");
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        let ok = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= tol * (1.0 + b.abs());
        assert!(ok, "element {i}: got {a}, want {b} (all: {g:?})");
    }
}

fn x223() -> Tensor {
    t(&[2, 2, 3], vec![1.0f32, -2.0, 3.0, 0.5, 4.0, -1.5, 2.0, 2.0, -3.0, 1.0, 0.0, 6.0])
}

fn red(kind: ReduceKind, keepdims: bool) -> Op {
    Op::Reduce { kind, keepdims, noop_with_empty_axes: false }
}

#[test]
fn reduce_kinds_against_onnx_reference() {
    let x = x223();
    let axes = v(vec![0i64, 2]);
    let cases = [
        (ReduceKind::Sum, [3.0, 10.0]),
        (ReduceKind::Mean, [0.5, 1.6666666]),
        (ReduceKind::Max, [3.0, 6.0]),
        (ReduceKind::Min, [-3.0, -1.5]),
        (ReduceKind::Prod, [72.0, 0.0]),
        (ReduceKind::L1, [13.0, 13.0]),
        (ReduceKind::L2, [5.5677643, 7.4498324]),
        (ReduceKind::LogSumExp, [3.6314371, 6.1390591]),
        (ReduceKind::SumSquare, [31.0, 55.5]),
    ];
    for (kind, want) in cases {
        let r = run1(red(kind, true), &[Some(&x), Some(&axes)]);
        assert_eq!(r.shape(), &[1, 2, 1], "{kind:?}");
        assert_close(&r, &want, 1e-6);
        let r = run1(red(kind, false), &[Some(&x), Some(&axes)]);
        assert_eq!(r.shape(), &[2], "{kind:?}");
    }
    let ax = x.map_f64(f64::abs);
    let r = run1(red(ReduceKind::LogSum, false), &[Some(&ax), Some(&v(vec![1i64]))]);
    assert_eq!(r.shape(), &[2, 3]);
    assert_close(&r, &[0.40546510, 1.7917595, 1.5040774, 1.0986123, 0.69314718, 2.1972246], 1e-6);
}

#[test]
fn reduce_all_and_noop() {
    let x = x223();
    // No axes: everything.
    let r = run1(red(ReduceKind::Sum, false), &[Some(&x), None]);
    assert_eq!(r.shape(), &[] as &[usize]);
    assert_close(&r, &[13.0], 0.0);
    let r = run1(red(ReduceKind::Max, true), &[Some(&x), Some(&t::<i64>(&[0], vec![]))]);
    assert_eq!(r.shape(), &[1, 1, 1]);
    assert_close(&r, &[6.0], 0.0);
    // noop_with_empty_axes: each element is its own group (SumSquare squares, Sum copies).
    let noop = |kind| Op::Reduce { kind, keepdims: true, noop_with_empty_axes: true };
    let r = run1(noop(ReduceKind::SumSquare), &[Some(&x), Some(&t::<i64>(&[0], vec![]))]);
    assert_close(&r, &[1.0, 4.0, 9.0, 0.25, 16.0, 2.25, 4.0, 4.0, 9.0, 1.0, 0.0, 36.0], 0.0);
    assert_eq!(run1(noop(ReduceKind::Sum), &[Some(&x), None]), x);
}

#[test]
fn reduce_empty_sets_give_identities() {
    // ONNX test_reduce_*_empty_set: shape [2,0,4] reduced over axis 1 with keepdims.
    let e = t::<f32>(&[2, 0, 4], vec![]);
    let ax = v(vec![1i64]);
    let cases = [
        (ReduceKind::Sum, 0.0),
        (ReduceKind::Max, f64::NEG_INFINITY),
        (ReduceKind::Min, f64::INFINITY),
        (ReduceKind::Prod, 1.0),
        (ReduceKind::LogSumExp, f64::NEG_INFINITY),
        (ReduceKind::LogSum, f64::NEG_INFINITY),
        (ReduceKind::L1, 0.0),
        (ReduceKind::L2, 0.0),
        (ReduceKind::SumSquare, 0.0),
        (ReduceKind::Mean, f64::NAN),
    ];
    for (kind, want) in cases {
        let r = run1(red(kind, true), &[Some(&e), Some(&ax)]);
        assert_eq!(r.shape(), &[2, 1, 4]);
        assert_close(&r, &[want; 8], 0.0);
    }
    let ei = t::<i32>(&[0, 3], vec![]);
    let r = run1(red(ReduceKind::Max, false), &[Some(&ei), Some(&v(vec![0i64]))]);
    assert_eq!(r, v(vec![i32::MIN; 3]));
    let r = run1(red(ReduceKind::Min, false), &[Some(&ei), Some(&v(vec![0i64]))]);
    assert_eq!(r, v(vec![i32::MAX; 3]));
    // A kept axis of size 0 gives an empty result (test_reduce_sum_empty_set_non_reduced_axis_zero).
    let r = run1(red(ReduceKind::Sum, true), &[Some(&e), Some(&v(vec![2i64]))]);
    assert_eq!(r.shape(), &[2, 0, 1]);
}

#[test]
fn reduce_ints_bools_and_nan() {
    let x = t(&[2, 3], vec![1i32, -2, 7, 4, 5, -6]);
    let ax = v(vec![-1i64]);
    assert_eq!(run1(red(ReduceKind::Sum, false), &[Some(&x), Some(&ax)]), v(vec![6i32, 3]));
    assert_eq!(run1(red(ReduceKind::Mean, false), &[Some(&x), Some(&ax)]), v(vec![2i32, 1]));
    assert_eq!(run1(red(ReduceKind::Prod, false), &[Some(&x), Some(&ax)]), v(vec![-14i32, -120]));
    assert_eq!(run1(red(ReduceKind::L1, false), &[Some(&x), Some(&ax)]), v(vec![10i32, 15]));
    assert_eq!(run1(red(ReduceKind::Max, false), &[Some(&x), Some(&ax)]), v(vec![7i32, 5]));
    assert_eq!(run1(red(ReduceKind::SumSquare, false), &[Some(&x), Some(&ax)]), v(vec![54i32, 77]));
    // Wrapping sum as numpy.
    let u = v(vec![200u8, 100]);
    assert_eq!(run1(red(ReduceKind::Sum, false), &[Some(&u), None]), Tensor::scalar(44u8));
    let b = t(&[2, 2], vec![true, false, false, false]);
    assert_eq!(run1(red(ReduceKind::Max, false), &[Some(&b), Some(&ax)]), v(vec![true, false]));
    assert_eq!(run1(red(ReduceKind::Min, false), &[Some(&b), Some(&ax)]), v(vec![false, false]));
    assert!(run(red(ReduceKind::Sum, false), &[Some(&b), None]).is_err());
    let n = v(vec![1.0f64, f64::NAN, 3.0]);
    assert_close(&run1(red(ReduceKind::Max, false), &[Some(&n), None]), &[f64::NAN], 0.0);
    assert_close(&run1(red(ReduceKind::Min, false), &[Some(&n), None]), &[f64::NAN], 0.0);
}

#[test]
fn reduce_bad_axes() {
    let x = x223();
    assert!(run(red(ReduceKind::Sum, true), &[Some(&x), Some(&v(vec![3i64]))]).is_err());
    assert!(run(red(ReduceKind::Sum, true), &[Some(&x), Some(&v(vec![-4i64]))]).is_err());
    assert!(run(red(ReduceKind::Sum, true), &[Some(&x), Some(&v(vec![1i64, -2]))]).is_err());
    assert!(run(red(ReduceKind::Sum, true), &[Some(&x), Some(&v(vec![1.0f32]))]).is_err());
}

#[test]
fn reduce_dynamic_axes_inference() {
    let x = TensorType::new(DType::F32, vec![Dim::Sym("n".into()), 1.into(), 5.into()]);
    let axes = TensorType::fixed(DType::I64, &[2]);
    let op = red(ReduceKind::Mean, true);
    let r = infer(&op, &[Some(&x), Some(&axes)], &[None, None]).unwrap();
    assert_eq!(r[0].dims, vec![unknown(), Dim::Static(1), unknown()]);
    let r = infer(&red(ReduceKind::Mean, false), &[Some(&x), Some(&axes)], &[None, None]).unwrap();
    assert_eq!(r[0].rank(), 1);
    let axes_dyn = TensorType::new(DType::I64, vec![Dim::Sym("k".into())]);
    let r = infer(&red(ReduceKind::Mean, false), &[Some(&x), Some(&axes_dyn)], &[None, None]);
    assert!(matches!(r, Err(OpError::Unsupported(_))));
}

#[test]
fn arg_reduce() {
    let x = x223();
    let op = Op::ArgReduce { max: true, axis: 1, keepdims: false, select_last_index: false };
    assert_eq!(run1(op, &[Some(&x)]), t(&[2, 3], vec![0i64, 1, 0, 0, 0, 1]));
    let i = t(&[2, 4], vec![3i32, 1, 3, 2, 0, 5, 5, 5]);
    let op = Op::ArgReduce { max: true, axis: 1, keepdims: true, select_last_index: true };
    assert_eq!(run1(op, &[Some(&i)]), t(&[2, 1], vec![2i64, 3]));
    let op = Op::ArgReduce { max: true, axis: 1, keepdims: true, select_last_index: false };
    assert_eq!(run1(op, &[Some(&i)]), t(&[2, 1], vec![0i64, 1]));
    let op = Op::ArgReduce { max: false, axis: 0, keepdims: true, select_last_index: false };
    assert_eq!(run1(op, &[Some(&i)]), t(&[1, 4], vec![1i64, 0, 0, 0]));
    let op = Op::ArgReduce { max: false, axis: -1, keepdims: false, select_last_index: true };
    assert_eq!(run1(op, &[Some(&i)]), v(vec![1i64, 0]));
    // NaN is the extreme for both, as numpy.
    let n = v(vec![1.0f32, f32::NAN, 5.0, f32::NAN]);
    let op = |max, last| Op::ArgReduce { max, axis: 0, keepdims: false, select_last_index: last };
    assert_eq!(run1(op(true, false), &[Some(&n)]), Tensor::scalar(1i64));
    assert_eq!(run1(op(false, false), &[Some(&n)]), Tensor::scalar(1i64));
    assert_eq!(run1(op(true, true), &[Some(&n)]), Tensor::scalar(3i64));
    // Errors.
    assert!(run(op(true, false), &[Some(&t::<f32>(&[0], vec![]))]).is_err());
    assert!(run(Op::ArgReduce { max: true, axis: 2, keepdims: false, select_last_index: false }, &[Some(&i)]).is_err());
}

#[test]
fn softmax_family() {
    let x = x223();
    let r = run1(Op::Softmax { kind: SoftmaxKind::Softmax, axis: 1 }, &[Some(&x)]);
    assert_close(
        &r,
        &[
            0.62245935, 0.0024726230, 0.98901308, 0.37754068, 0.99752742, 0.010986943, 0.73105860, 0.88079703,
            0.00012339458, 0.26894140, 0.11920292, 0.99987662,
        ],
        1e-6,
    );
    let r = run1(Op::Softmax { kind: SoftmaxKind::LogSoftmax, axis: -1 }, &[Some(&x)]);
    assert_close(
        &r,
        &[
            -2.1328452, -5.1328454, -0.13284525, -3.5337095, -0.03370953, -5.5337095, -0.69651049, -0.69651049,
            -5.6965103, -5.0091743, -6.0091743, -0.0091744615,
        ],
        1e-6,
    );
    let r = run1(Op::Softmax { kind: SoftmaxKind::Hardmax, axis: 0 }, &[Some(&x)]);
    assert_close(&r, &[0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0], 0.0);
    // Hardmax picks the first of equal maxima.
    let r = run1(Op::Softmax { kind: SoftmaxKind::Hardmax, axis: 0 }, &[Some(&v(vec![2.0f32, 2.0, 1.0]))]);
    assert_close(&r, &[1.0, 0.0, 0.0], 0.0);
    // Large inputs do not overflow (test_softmax_large_number).
    let big = v(vec![10000.0f32, 10001.0, 10002.0, 10003.0]);
    let r = run1(Op::Softmax { kind: SoftmaxKind::Softmax, axis: 0 }, &[Some(&big)]);
    assert_close(&r, &[0.032058604, 0.087144318, 0.23688282, 0.64391426], 1e-6);
    assert!(run(Op::Softmax { kind: SoftmaxKind::Softmax, axis: 3 }, &[Some(&x)]).is_err());
    assert!(run(Op::Softmax { kind: SoftmaxKind::Softmax, axis: 0 }, &[Some(&v(vec![1i32]))]).is_err());
    let e = t::<f32>(&[0, 3], vec![]);
    assert_eq!(run1(Op::Softmax { kind: SoftmaxKind::Softmax, axis: 0 }, &[Some(&e)]).shape(), &[0, 3]);
}

#[test]
fn cumulative() {
    let c = t(&[2, 3], vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let a1 = Tensor::scalar(1i64);
    let a0 = Tensor::scalar(0i32);
    let sum = |exclusive, reverse| Op::CumSum { exclusive, reverse };
    let prod = |exclusive, reverse| Op::CumProd { exclusive, reverse };
    assert_close(&run1(sum(false, false), &[Some(&c), Some(&a1)]), &[1.0, 3.0, 6.0, 4.0, 9.0, 15.0], 0.0);
    assert_close(&run1(sum(true, false), &[Some(&c), Some(&a1)]), &[0.0, 1.0, 3.0, 0.0, 4.0, 9.0], 0.0);
    assert_close(&run1(sum(false, true), &[Some(&c), Some(&a1)]), &[6.0, 5.0, 3.0, 15.0, 11.0, 6.0], 0.0);
    assert_close(&run1(sum(true, true), &[Some(&c), Some(&a1)]), &[5.0, 3.0, 0.0, 11.0, 6.0, 0.0], 0.0);
    assert_close(&run1(prod(false, false), &[Some(&c), Some(&a0)]), &[1.0, 2.0, 3.0, 4.0, 10.0, 18.0], 0.0);
    assert_close(&run1(prod(true, false), &[Some(&c), Some(&a0)]), &[1.0, 1.0, 1.0, 1.0, 2.0, 3.0], 0.0);
    assert_close(&run1(prod(false, true), &[Some(&c), Some(&a0)]), &[4.0, 10.0, 18.0, 4.0, 5.0, 6.0], 0.0);
    assert_close(&run1(prod(true, true), &[Some(&c), Some(&a0)]), &[4.0, 5.0, 6.0, 1.0, 1.0, 1.0], 0.0);
    let i = v(vec![1i32, 2, 3, 4]);
    assert_eq!(run1(sum(true, false), &[Some(&i), Some(&Tensor::scalar(-1i64))]), v(vec![0i32, 1, 3, 6]));
    assert!(run(sum(false, false), &[Some(&i), Some(&Tensor::scalar(1i64))]).is_err());
    assert!(run(sum(false, false), &[Some(&i), Some(&v(vec![0i64, 0]))]).is_err());
    assert!(run(sum(false, false), &[Some(&i), Some(&Tensor::scalar(0.0f32))]).is_err());
}

#[test]
fn topk() {
    let x = t(&[2, 4], vec![3i32, 1, 3, 2, 0, 5, 5, 5]);
    let op = |largest| Op::TopK { axis: 1, largest, sorted: true };
    let r = run(op(true), &[Some(&x), Some(&v(vec![3i64]))]).unwrap();
    assert_eq!(r[0], t(&[2, 3], vec![3i32, 3, 2, 5, 5, 5]));
    assert_eq!(r[1], t(&[2, 3], vec![0i64, 2, 3, 1, 2, 3]));
    let r = run(op(false), &[Some(&x), Some(&v(vec![2i64]))]).unwrap();
    assert_eq!(r[0], t(&[2, 2], vec![1i32, 2, 0, 5]));
    assert_eq!(r[1], t(&[2, 2], vec![1i64, 3, 0, 1]));
    // Along axis 0, and k = 0.
    let r = run(Op::TopK { axis: -2, largest: true, sorted: true }, &[Some(&x), Some(&v(vec![1i64]))]).unwrap();
    assert_eq!(r[0], t(&[1, 4], vec![3i32, 5, 5, 5]));
    assert_eq!(r[1], t(&[1, 4], vec![0i64, 1, 1, 1]));
    let r = run(op(true), &[Some(&x), Some(&v(vec![0i64]))]).unwrap();
    assert_eq!(r[0].shape(), &[2, 0]);
    // NaN counts as the largest.
    let f = v(vec![1.0f32, f32::NAN, 3.0]);
    let r = run(Op::TopK { axis: 0, largest: true, sorted: true }, &[Some(&f), Some(&v(vec![2i64]))]).unwrap();
    assert_eq!(r[1], v(vec![1i64, 2]));
    // k out of range, malformed k.
    assert!(run(op(true), &[Some(&x), Some(&v(vec![5i64]))]).is_err());
    assert!(run(op(true), &[Some(&x), Some(&v(vec![-1i64]))]).is_err());
    assert!(run(op(true), &[Some(&x), Some(&v(vec![1i64, 2]))]).is_err());
    // Unknown k: the axis becomes an unknown dim.
    let r = infer(&op(true), &[Some(&x.ty()), Some(&TensorType::fixed(DType::I64, &[1]))], &[None, None]).unwrap();
    assert_eq!(r[1].dims, vec![Dim::Static(2), unknown()]);
}
