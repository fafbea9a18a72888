//! Unit tests of the linalg family: MatMul against a triple loop, MatMulInteger, Det.

use super::*;
use crate::ops;

fn lcg(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 33) % 19) as f64 - 9.0
    }
}

fn rnd(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let mut g = lcg(seed);
    let n = shape.iter().product();
    ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(|_| g()).collect()).unwrap()
}

/// numpy matmul by explicit loops over the broadcast output.
fn naive_matmul(a: &ArrayD<f64>, b: &ArrayD<f64>, ta: bool, tb: bool) -> ArrayD<f64> {
    let t2 = |x: &ArrayD<f64>, t: bool| {
        let mut x = x.clone();
        if x.ndim() == 1 {
            return x;
        }
        if t {
            let r = x.ndim();
            x.swap_axes(r - 2, r - 1);
        }
        x
    };
    let (a, b) = (t2(a, ta), t2(b, tb));
    let a2 = if a.ndim() == 1 { a.clone().insert_axis(ndarray::Axis(0)) } else { a.clone() };
    let b2 = if b.ndim() == 1 { b.clone().insert_axis(ndarray::Axis(1)) } else { b.clone() };
    let (ra, rb) = (a2.ndim(), b2.ndim());
    let batch = broadcast_shapes(&a2.shape()[..ra - 2], &b2.shape()[..rb - 2]).unwrap();
    let (m, k, n) = (a2.shape()[ra - 2], a2.shape()[ra - 1], b2.shape()[rb - 1]);
    let mut shape = batch.clone();
    shape.extend([m, n]);
    let mut out = ArrayD::<f64>::zeros(IxDyn(&shape));
    let nb: usize = batch.iter().product();
    for bi in 0..nb {
        let mut idx = vec![0; batch.len()];
        let mut r = bi;
        for d in (0..batch.len()).rev() {
            idx[d] = r % batch[d];
            r /= batch[d];
        }
        let pick = |own: &[usize]| -> Vec<usize> {
            let off = batch.len() - own.len();
            own.iter().enumerate().map(|(i, &d)| if d == 1 { 0 } else { idx[off + i] }).collect()
        };
        let ia = pick(&a2.shape()[..ra - 2]);
        let ib = pick(&b2.shape()[..rb - 2]);
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for p in 0..k {
                    let mut x = ia.clone();
                    x.extend([i, p]);
                    let mut y = ib.clone();
                    y.extend([p, j]);
                    s += a2[IxDyn(&x)] * b2[IxDyn(&y)];
                }
                let mut o = idx.clone();
                o.extend([i, j]);
                out[IxDyn(&o)] = s;
            }
        }
    }
    let mut out_shape = batch;
    if a.ndim() >= 2 {
        out_shape.push(m);
    }
    if b.ndim() >= 2 {
        out_shape.push(n);
    }
    out.into_shape_with_order(IxDyn(&out_shape)).unwrap()
}

fn run(op: &Op, xs: &[&Tensor]) -> OpResult<Tensor> {
    let ins: Vec<Option<&Tensor>> = xs.iter().map(|x| Some(*x)).collect();
    let tys: Vec<TensorType> = xs.iter().map(|x| x.ty()).collect();
    let tin: Vec<Option<&TensorType>> = tys.iter().map(Some).collect();
    let ty = ops::infer(op, &tin, &vec![None; xs.len()])?;
    let out = ops::eval(op, &ins)?;
    assert_eq!(ty[0], out[0].ty(), "inference and evaluation disagree for {op:?}");
    Ok(out.into_iter().next().unwrap())
}

fn to_f32(a: &ArrayD<f64>) -> Tensor {
    Tensor::F32(a.mapv(|x| x as f32))
}

#[test]
fn matmul_hand_computed() {
    let a = Tensor::from_vec(&[2, 3], vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    let b = Tensor::from_vec(&[3, 2], vec![7.0f32, 8.0, 9.0, 10.0, 11.0, 12.0]).unwrap();
    let op = Op::MatMul { trans_a: false, trans_b: false };
    assert_eq!(run(&op, &[&a, &b]).unwrap(), Tensor::from_vec(&[2, 2], vec![58.0f32, 64.0, 139.0, 154.0]).unwrap());
    // Aᵀ·Aᵀᵀ... with transposes: Aᵀ (3x2) · Bᵀ (2x3)
    let op_t = Op::MatMul { trans_a: true, trans_b: true };
    let r = run(&op_t, &[&a, &b]).unwrap();
    assert_eq!(r.shape(), &[3, 3]);
    // row 0 of Aᵀ = [1, 4]; column 0 of Bᵀ = [7, 8] → 39
    assert_eq!(r.to_f64_vec()[0], 39.0);
    // 1-D · 1-D → scalar
    let v = Tensor::from_vec(&[3], vec![1i64, 2, 3]).unwrap();
    assert_eq!(run(&op, &[&v, &v]).unwrap(), Tensor::scalar(14i64));
}

#[test]
fn matmul_matches_naive_loops() {
    let cases: &[(&[usize], &[usize], bool, bool)] = &[
        (&[3, 4], &[4, 5], false, false),
        (&[4, 3], &[4, 5], true, false),
        (&[3, 4], &[5, 4], false, true),
        (&[4, 3], &[5, 4], true, true),
        (&[2, 3, 4], &[4, 5], false, false),
        (&[2, 3, 4], &[5, 4], false, true),
        (&[2, 4, 3], &[4, 5], true, false),
        (&[2, 1, 3, 4], &[5, 4, 6], false, false),
        (&[1, 3, 4], &[2, 5, 4, 6], false, false),
        (&[4], &[4, 5], false, false),
        (&[3, 4], &[4], false, false),
        (&[4], &[2, 4, 5], false, false),
        (&[2, 3, 4], &[4], false, false),
        (&[4], &[4], true, true),
        (&[2, 3, 0], &[0, 5], false, false),
        (&[2, 0, 4], &[4, 5], false, false),
        (&[3, 4], &[2, 5, 4], false, true),
    ];
    for (i, &(sa, sb, ta, tb)) in cases.iter().enumerate() {
        let a = rnd(sa, 2 * i as u64);
        let b = rnd(sb, 2 * i as u64 + 1);
        let want = naive_matmul(&a, &b, ta, tb);
        let op = Op::MatMul { trans_a: ta, trans_b: tb };
        assert_eq!(run(&op, &[&to_f32(&a), &to_f32(&b)]).unwrap(), to_f32(&want), "f32 case {i}");
        assert_eq!(
            run(&op, &[&Tensor::F64(a.clone()), &Tensor::F64(b.clone())]).unwrap(),
            Tensor::F64(want.clone()),
            "f64 case {i}"
        );
        let ai = Tensor::I32(a.mapv(|x| x as i32));
        let bi = Tensor::I32(b.mapv(|x| x as i32));
        assert_eq!(run(&op, &[&ai, &bi]).unwrap(), Tensor::I32(want.mapv(|x| x as i32)), "i32 case {i}");
        let ah = Tensor::F16(a.mapv(f16::from_f64));
        let bh = Tensor::F16(b.mapv(f16::from_f64));
        assert_eq!(run(&op, &[&ah, &bh]).unwrap(), Tensor::F16(want.mapv(f16::from_f64)), "f16 case {i}");
    }
}

#[test]
fn matmul_non_standard_layout_operand() {
    // A transposed ndarray (non-standard strides) must give the same product as its copy.
    let a = rnd(&[4, 3], 7);
    let at = a.clone().reversed_axes();
    let b = rnd(&[4, 2], 8);
    let op = Op::MatMul { trans_a: false, trans_b: false };
    let got = run(&op, &[&Tensor::F64(at.clone()), &Tensor::F64(b.clone())]).unwrap();
    assert_eq!(got, Tensor::F64(naive_matmul(&at.as_standard_layout().to_owned(), &b, false, false)));
}

#[test]
fn matmul_errors() {
    let op = Op::MatMul { trans_a: false, trans_b: false };
    let a = to_f32(&rnd(&[2, 3], 1));
    let b = to_f32(&rnd(&[4, 2], 2));
    assert!(ops::eval(&op, &[Some(&a), Some(&b)]).is_err());
    assert!(ops::infer(&op, &[Some(&a.ty()), Some(&b.ty())], &[None, None]).is_err());
    let s = Tensor::scalar(1.0f32);
    assert!(ops::eval(&op, &[Some(&s), Some(&a)]).is_err());
    let i = Tensor::I32(rnd(&[3, 2], 3).mapv(|x| x as i32));
    assert!(ops::eval(&op, &[Some(&a), Some(&i)]).is_err());
    let bb = Tensor::from_vec(&[3, 2, 3], vec![0.0f32; 18]).unwrap();
    let aa = Tensor::from_vec(&[2, 2, 3], vec![0.0f32; 12]).unwrap();
    assert!(ops::eval(&op, &[Some(&aa), Some(&bb)]).is_err());
    assert!(ops::eval(&op, &[Some(&a), None]).is_err());
    let bo = Tensor::from_vec(&[1, 1], vec![true]).unwrap();
    assert!(ops::infer(&op, &[Some(&bo.ty()), Some(&bo.ty())], &[None, None]).is_err());
}

#[test]
fn matmul_symbolic_inference() {
    let op = Op::MatMul { trans_a: false, trans_b: true };
    let a = TensorType::new(DType::F32, vec![Dim::Sym("b".into()), Dim::Sym("s".into()), 8.into()]);
    let b = TensorType::fixed(DType::F32, &[16, 8]);
    let t = infer(&op, &[Some(&a), Some(&b)], &[None, None]).unwrap();
    assert_eq!(t[0].dims, vec![Dim::Sym("b".into()), Dim::Sym("s".into()), 16.into()]);
}

#[test]
fn matmul_integer_spec_example() {
    // ONNX test_matmulinteger: per-tensor zero point on A.
    let a = Tensor::from_vec(&[4, 3], vec![11u8, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0]).unwrap();
    let b = Tensor::from_vec(&[3, 2], vec![1u8, 4, 2, 5, 3, 6]).unwrap();
    let azp = Tensor::scalar(12u8);
    let bzp = Tensor::scalar(0u8);
    let out = run(&Op::MatMulInteger, &[&a, &b, &azp, &bzp]).unwrap();
    assert_eq!(out, Tensor::from_vec(&[4, 2], vec![-38i32, -83, -44, -98, -50, -113, -56, -128]).unwrap());
}

#[test]
fn matmul_integer_per_row_and_column_zero_points() {
    let a = Tensor::from_vec(&[2, 2], vec![-1i8, 2, 3, -4]).unwrap();
    let b = Tensor::from_vec(&[2, 3], vec![10u8, 20, 30, 40, 50, 60]).unwrap();
    let azp = Tensor::from_vec(&[2], vec![1i8, -1]).unwrap();
    let bzp = Tensor::from_vec(&[3], vec![10u8, 0, 30]).unwrap();
    let ins = [Some(&a), Some(&b), Some(&azp), Some(&bzp)];
    let out = eval(&Op::MatMulInteger, &ins).unwrap().remove(0);
    // A - zp = [[-2, 1], [4, -3]]; B - zp = [[0, 20, 0], [30, 50, 30]]
    let want = [[30, 10, 30], [-90, -70, -90]];
    assert_eq!(out, Tensor::from_vec(&[2, 3], want.concat()).unwrap());
    // Wrong zero-point sizes and dtypes are errors.
    let bad = Tensor::from_vec(&[3], vec![1i8, 2, 3]).unwrap();
    assert!(eval(&Op::MatMulInteger, &[Some(&a), Some(&b), Some(&bad), None]).is_err());
    assert!(eval(&Op::MatMulInteger, &[Some(&a), Some(&b), None, Some(&azp)]).is_err());
    let f = Tensor::from_vec(&[2, 2], vec![0.0f32; 4]).unwrap();
    assert!(eval(&Op::MatMulInteger, &[Some(&f), Some(&b)]).is_err());
}

/// Determinant by cofactor expansion.
fn naive_det(m: &[f64], n: usize) -> f64 {
    if n == 1 {
        return m[0];
    }
    (0..n)
        .map(|c| {
            let minor: Vec<f64> = (1..n)
                .flat_map(|r| (0..n).filter(move |&j| j != c).map(move |j| (r, j)))
                .map(|(r, j)| m[r * n + j])
                .collect();
            let sign = if c % 2 == 0 { 1.0 } else { -1.0 };
            sign * m[c] * naive_det(&minor, n - 1)
        })
        .sum()
}

#[test]
fn det_values() {
    let x = Tensor::from_vec(&[2, 2], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap();
    assert_eq!(run(&Op::Det, &[&x]).unwrap(), Tensor::scalar(-2.0f32));
    let singular = Tensor::from_vec(&[2, 2], vec![1.0f64, 2.0, 2.0, 4.0]).unwrap();
    assert_eq!(run(&Op::Det, &[&singular]).unwrap(), Tensor::scalar(0.0f64));
    for n in 1..5 {
        let a = rnd(&[3, n, n], n as u64);
        let got = run(&Op::Det, &[&Tensor::F64(a.clone())]).unwrap().to_f64_vec();
        let flat: Vec<f64> = a.iter().copied().collect();
        for (b, g) in got.iter().enumerate() {
            let want = naive_det(&flat[b * n * n..(b + 1) * n * n], n);
            assert!((g - want).abs() <= 1e-9 * want.abs().max(1.0), "n={n}: {g} vs {want}");
        }
    }
    let rect = Tensor::from_vec(&[2, 3], vec![0.0f32; 6]).unwrap();
    assert!(eval(&Op::Det, &[Some(&rect)]).is_err());
    assert!(infer(&Op::Det, &[Some(&rect.ty())], &[None]).is_err());
    let ints = Tensor::from_vec(&[1, 1], vec![1i32]).unwrap();
    assert!(eval(&Op::Det, &[Some(&ints)]).is_err());
}
