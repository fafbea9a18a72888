//! Unit tests of the conv family: conv / transposed conv against direct loop nests, and
//! auto_pad, ceil_mode, pooling and Col2Im against values from the ONNX reference implementation.

use super::*;
use crate::ops;
use crate::ops::util::unknown;
use crate::{AutoPad, DType, PoolKind};

fn lcg(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(7);
    move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 33) % 11) as f64 - 5.0
    }
}

fn rnd(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let mut g = lcg(seed);
    let n = shape.iter().product();
    ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(|_| g()).collect()).unwrap()
}

fn f32t(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape, v.to_vec()).unwrap()
}

fn arange(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    f32t(shape, &(0..n).map(|i| i as f32).collect::<Vec<_>>())
}

/// Infer, evaluate, and check that the two agree.
fn run(op: &Op, xs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let tys: Vec<Option<TensorType>> = xs.iter().map(|x| x.map(Tensor::ty)).collect();
    let tin: Vec<Option<&TensorType>> = tys.iter().map(Option::as_ref).collect();
    let ty = ops::infer(op, &tin, xs)?;
    let out = ops::eval(op, xs)?;
    assert_eq!(ty.len(), out.len());
    for (t, o) in ty.iter().zip(&out) {
        assert_eq!(*t, o.ty(), "inference and evaluation disagree for {op:?}");
    }
    Ok(out)
}

fn run1(op: &Op, xs: &[&Tensor]) -> Tensor {
    let ins: Vec<Option<&Tensor>> = xs.iter().map(|x| Some(*x)).collect();
    run(op, &ins).unwrap().remove(0)
}

fn ca(k: &[usize], s: &[usize], d: &[usize], p: &[usize], auto_pad: AutoPad, group: usize) -> ConvAttrs {
    ConvAttrs {
        kernel_shape: k.to_vec(),
        strides: s.to_vec(),
        dilations: d.to_vec(),
        pads: p.to_vec(),
        auto_pad,
        group,
    }
}

fn assert_close(got: &Tensor, shape: &[usize], want: &[f64]) {
    assert_eq!(got.shape(), shape);
    let g = got.to_f64_vec();
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "element {i}: {a} vs {b}\n got {g:?}");
    }
}

/// Iterate all multi-indices of `shape`.
fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let n: usize = shape.iter().product();
    (0..n)
        .map(|mut f| {
            let mut idx = vec![0; shape.len()];
            for d in (0..shape.len()).rev() {
                idx[d] = f % shape[d];
                f /= shape[d];
            }
            idx
        })
        .collect()
}

/// Direct convolution loop nest with explicit pads.
fn naive_conv(
    x: &ArrayD<f64>,
    w: &ArrayD<f64>,
    b: Option<&ArrayD<f64>>,
    s: &[usize],
    d: &[usize],
    p: &[usize],
    group: usize,
) -> ArrayD<f64> {
    let nsp = x.ndim() - 2;
    let (n, c, m) = (x.shape()[0], x.shape()[1], w.shape()[0]);
    let (cg, mg) = (c / group, m / group);
    let ksh = &w.shape()[2..];
    let out_sp: Vec<usize> =
        (0..nsp).map(|i| (x.shape()[2 + i] + p[i] + p[nsp + i] - ((ksh[i] - 1) * d[i] + 1)) / s[i] + 1).collect();
    let mut shape = vec![n, m];
    shape.extend(&out_sp);
    let mut out = ArrayD::zeros(IxDyn(&shape));
    for oi in indices(&shape) {
        let (bn, oc) = (oi[0], oi[1]);
        let g = oc / mg;
        let mut acc = b.map_or(0.0, |b| b[[oc]]);
        for ic in 0..cg {
            for kk in indices(ksh) {
                let mut xi = vec![bn, g * cg + ic];
                let mut inside = true;
                for i in 0..nsp {
                    let pos = (oi[2 + i] * s[i] + kk[i] * d[i]) as i64 - p[i] as i64;
                    inside &= pos >= 0 && pos < x.shape()[2 + i] as i64;
                    xi.push(pos.max(0) as usize);
                }
                if inside {
                    let mut wi = vec![oc, ic];
                    wi.extend(&kk);
                    acc += x[IxDyn(&xi)] * w[IxDyn(&wi)];
                }
            }
        }
        out[IxDyn(&oi)] = acc;
    }
    out
}

/// Direct transposed convolution (scatter form) with explicit pads and output padding.
fn naive_conv_transpose(
    x: &ArrayD<f64>,
    w: &ArrayD<f64>,
    s: &[usize],
    d: &[usize],
    p: &[usize],
    op: &[usize],
    group: usize,
) -> ArrayD<f64> {
    let nsp = x.ndim() - 2;
    let (n, c, mg) = (x.shape()[0], x.shape()[1], w.shape()[1]);
    let cg = c / group;
    let ksh = &w.shape()[2..];
    let out_sp: Vec<usize> =
        (0..nsp).map(|i| s[i] * (x.shape()[2 + i] - 1) + op[i] + (ksh[i] - 1) * d[i] + 1 - p[i] - p[nsp + i]).collect();
    let mut shape = vec![n, mg * group];
    shape.extend(&out_sp);
    let mut out = ArrayD::zeros(IxDyn(&shape));
    for xi in indices(x.shape()) {
        let (bn, ic) = (xi[0], xi[1]);
        let g = ic / cg;
        for oc in 0..mg {
            for kk in indices(ksh) {
                let mut oi = vec![bn, g * mg + oc];
                let mut inside = true;
                for i in 0..nsp {
                    let pos = (xi[2 + i] * s[i] + kk[i] * d[i]) as i64 - p[i] as i64;
                    inside &= pos >= 0 && pos < out_sp[i] as i64;
                    oi.push(pos.max(0) as usize);
                }
                if inside {
                    let mut wi = vec![ic, oc];
                    wi.extend(&kk);
                    out[IxDyn(&oi)] += x[IxDyn(&xi)] * w[IxDyn(&wi)];
                }
            }
        }
    }
    out
}

type ConvCase = (&'static [usize], &'static [usize], &'static [usize], &'static [usize], &'static [usize], usize);

#[test]
fn conv_matches_direct_loops() {
    // (x shape, w shape, strides, dilations, pads, group)
    let cases: &[ConvCase] = &[
        (&[1, 3, 7, 6], &[4, 3, 3, 3], &[1, 1], &[1, 1], &[1, 1, 1, 1], 1),
        (&[2, 4, 9, 8], &[6, 2, 3, 2], &[2, 1], &[1, 2], &[0, 1, 2, 0], 2),
        (&[1, 6, 8, 8], &[6, 1, 3, 3], &[2, 2], &[1, 1], &[1, 1, 1, 1], 6),
        (&[1, 4, 7, 7], &[8, 1, 3, 3], &[1, 1], &[2, 2], &[2, 2, 2, 2], 4),
        (&[2, 5, 6, 5], &[3, 5, 1, 1], &[1, 1], &[1, 1], &[0, 0, 0, 0], 1),
        (&[1, 4, 6, 5], &[4, 4, 1, 1], &[2, 2], &[1, 1], &[0, 0, 0, 0], 1),
        (&[2, 3, 10], &[2, 3, 4], &[3], &[2], &[1, 2], 1),
        (&[1, 2, 5, 4, 6], &[3, 2, 2, 3, 2], &[1, 2, 1], &[1, 1, 2], &[1, 0, 0, 0, 1, 1], 1),
        (&[1, 2, 3, 3], &[2, 2, 3, 3], &[1, 1], &[1, 1], &[0, 0, 0, 0], 1),
        (&[1, 2, 2, 2], &[2, 1, 3, 3], &[1, 1], &[1, 1], &[2, 2, 2, 2], 2),
    ];
    for (i, &(xs, ws, s, d, p, group)) in cases.iter().enumerate() {
        let x = rnd(xs, 3 * i as u64);
        let w = rnd(ws, 3 * i as u64 + 1);
        let b = rnd(&[ws[0]], 3 * i as u64 + 2);
        let k = &ws[2..];
        let want = naive_conv(&x, &w, Some(&b), s, d, p, group);
        let op = Op::Conv(ca(k, s, d, p, AutoPad::NotSet, group));
        let to32 = |a: &ArrayD<f64>| Tensor::F32(a.mapv(|v| v as f32));
        let got = run1(&op, &[&to32(&x), &to32(&w), &to32(&b)]);
        assert_eq!(got, to32(&want), "f32 case {i}");
        let got = run1(&op, &[&Tensor::F64(x.clone()), &Tensor::F64(w.clone()), &Tensor::F64(b.clone())]);
        assert_eq!(got, Tensor::F64(want.clone()), "f64 case {i}");
        // Defaults taken from the weight when the lists are omitted (no pads/strides/dilations).
        if s.iter().all(|&v| v == 1) && d.iter().all(|&v| v == 1) && p.iter().all(|&v| v == 0) {
            let op = Op::Conv(ca(&[], &[], &[], &[], AutoPad::NotSet, group));
            assert_eq!(run1(&op, &[&to32(&x), &to32(&w), &to32(&b)]), to32(&want), "defaults case {i}");
        }
        // f16 through f32 (values are small integers, exact in f16).
        let to16 = |a: &ArrayD<f64>| Tensor::F16(a.mapv(f16::from_f64));
        let got = run1(&op, &[&to16(&x), &to16(&w), &to16(&b)]);
        assert_eq!(got, to16(&want), "f16 case {i}");
    }
}

#[test]
fn conv_auto_pad() {
    let w = f32t(&[1, 1, 3, 3], &[1.0; 9]);
    // 5x5, stride 2: total padding 2 either way.
    let x5 = arange(&[1, 1, 5, 5]);
    let want5 = [12.0, 27.0, 24.0, 63.0, 108.0, 81.0, 72.0, 117.0, 84.0];
    for ap in [AutoPad::SameLower, AutoPad::SameUpper] {
        let op = Op::Conv(ca(&[3, 3], &[2, 2], &[], &[], ap, 1));
        assert_close(&run1(&op, &[&x5, &w]), &[1, 1, 3, 3], &want5);
    }
    // 4x4, stride 2: total padding 1, at the end (SAME_UPPER) or the beginning (SAME_LOWER).
    // Expected values: the ONNX reference with explicit pads [0,0,1,1] and [1,1,0,0].
    let x4 = arange(&[1, 1, 4, 4]);
    let upper = Op::Conv(ca(&[3, 3], &[2, 2], &[], &[], AutoPad::SameUpper, 1));
    assert_close(&run1(&upper, &[&x4, &w]), &[1, 1, 2, 2], &[45.0, 39.0, 66.0, 50.0]);
    let lower = Op::Conv(ca(&[3, 3], &[2, 2], &[], &[], AutoPad::SameLower, 1));
    assert_close(&run1(&lower, &[&x4, &w]), &[1, 1, 2, 2], &[10.0, 24.0, 51.0, 90.0]);
    // VALID ignores pads: 5x5, k3, s2 → 2x2.
    let valid = Op::Conv(ca(&[3, 3], &[2, 2], &[], &[1, 1, 1, 1], AutoPad::Valid, 1));
    assert_close(&run1(&valid, &[&x5, &w]), &[1, 1, 2, 2], &[54.0, 72.0, 144.0, 162.0]);
}

#[test]
fn conv_symbolic_inference() {
    let x = TensorType::new(DType::F32, vec![Dim::Sym("n".into()), 3.into(), Dim::Sym("h".into()), 32.into()]);
    let w = TensorType::fixed(DType::F32, &[8, 3, 3, 3]);
    let same = Op::Conv(ca(&[3, 3], &[1, 1], &[1, 1], &[1, 1, 1, 1], AutoPad::NotSet, 1));
    let t = infer(&same, &[Some(&x), Some(&w)], &[None, None]).unwrap();
    assert_eq!(t[0].dims, vec![Dim::Sym("n".into()), 8.into(), Dim::Sym("h".into()), 32.into()]);
    let strided = Op::Conv(ca(&[3, 3], &[2, 2], &[1, 1], &[1, 1, 1, 1], AutoPad::NotSet, 1));
    let t = infer(&strided, &[Some(&x), Some(&w)], &[None, None]).unwrap();
    assert_eq!(t[0].dims[2], unknown());
    assert_eq!(t[0].dims[3], Dim::Static(16));
}

#[test]
fn conv_errors() {
    let x = arange(&[1, 4, 5, 5]);
    let w = arange(&[6, 2, 3, 3]);
    let ok = Op::Conv(ca(&[3, 3], &[], &[], &[], AutoPad::NotSet, 2));
    assert!(run(&ok, &[Some(&x), Some(&w)]).is_ok());
    let bad_group = Op::Conv(ca(&[3, 3], &[], &[], &[], AutoPad::NotSet, 4));
    assert!(run(&bad_group, &[Some(&x), Some(&w)]).is_err());
    let w5 = arange(&[5, 2, 3, 3]);
    assert!(run(&ok, &[Some(&x), Some(&w5)]).is_err(), "5 output channels, 2 groups");
    let big = Op::Conv(ca(&[7, 7], &[], &[], &[], AutoPad::NotSet, 1));
    let wb = arange(&[1, 4, 7, 7]);
    assert!(run(&big, &[Some(&x), Some(&wb)]).is_err(), "kernel larger than input");
    let wrong_k = Op::Conv(ca(&[2, 2], &[], &[], &[], AutoPad::NotSet, 2));
    assert!(run(&wrong_k, &[Some(&x), Some(&w)]).is_err(), "kernel_shape vs weight");
    let zero_stride = Op::Conv(ca(&[3, 3], &[0, 1], &[], &[], AutoPad::NotSet, 2));
    assert!(run(&zero_stride, &[Some(&x), Some(&w)]).is_err());
    let short_pads = Op::Conv(ca(&[3, 3], &[], &[], &[1, 1], AutoPad::NotSet, 2));
    assert!(run(&short_pads, &[Some(&x), Some(&w)]).is_err());
    let b = arange(&[5]);
    assert!(run(&ok, &[Some(&x), Some(&w), Some(&b)]).is_err(), "bias length");
    let xd = Tensor::F64(rnd(&[1, 4, 5, 5], 1));
    assert!(run(&ok, &[Some(&xd), Some(&w)]).is_err(), "dtype mismatch");
    let x2 = arange(&[4, 5]);
    assert!(run(&ok, &[Some(&x2), Some(&w)]).is_err(), "rank 2 input");
    let xi = Tensor::from_vec(&[1, 4, 5, 5], vec![0i32; 100]).unwrap();
    assert!(run(&ok, &[Some(&xi), Some(&xi)]).is_err(), "integer Conv");
    assert!(run(&ok, &[Some(&x), None]).is_err(), "missing weight");
}

#[test]
fn conv_integer() {
    // ONNX test_convinteger_with_padding.
    let x = Tensor::from_vec(&[1, 1, 3, 3], (2u8..11).collect()).unwrap();
    let w = Tensor::from_vec(&[1, 1, 2, 2], vec![1u8; 4]).unwrap();
    let zp = Tensor::scalar(1u8);
    let op = Op::ConvInteger(ca(&[2, 2], &[], &[], &[1, 1, 1, 1], AutoPad::NotSet, 1));
    let got = run(&op, &[Some(&x), Some(&w), Some(&zp), None]).unwrap().remove(0);
    let want = [1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9];
    assert_eq!(got, Tensor::from_vec(&[1, 1, 4, 4], want.to_vec()).unwrap());
    // Per-output-channel weight zero points, i8 weights.
    let x = Tensor::from_vec(&[1, 1, 2, 2], vec![1u8, 2, 3, 4]).unwrap();
    let w = Tensor::from_vec(&[2, 1, 1, 1], vec![5i8, -3]).unwrap();
    let wzp = Tensor::from_vec(&[2], vec![2i8, -1]).unwrap();
    let op = Op::ConvInteger(ca(&[1, 1], &[], &[], &[], AutoPad::NotSet, 1));
    let got = run(&op, &[Some(&x), Some(&w), None, Some(&wzp)]).unwrap().remove(0);
    assert_eq!(got, Tensor::from_vec(&[1, 2, 2, 2], vec![3i32, 6, 9, 12, -2, -4, -6, -8]).unwrap());
    let bad = Tensor::from_vec(&[3], vec![0i8; 3]).unwrap();
    assert!(run(&op, &[Some(&x), Some(&w), None, Some(&bad)]).is_err());
    assert!(run(&op, &[Some(&x), Some(&w), Some(&wzp), None]).is_err(), "zero point dtype");
}

#[allow(clippy::too_many_arguments)]
fn cta(
    k: &[usize],
    s: &[usize],
    d: &[usize],
    p: &[usize],
    auto_pad: AutoPad,
    group: usize,
    op: &[usize],
    os: Option<&[usize]>,
) -> Op {
    Op::ConvTranspose(ConvTransposeAttrs {
        conv: ca(k, s, d, p, auto_pad, group),
        output_padding: op.to_vec(),
        output_shape: os.map(|v| v.to_vec()),
    })
}

#[test]
fn conv_transpose_matches_scatter_loops() {
    // (x shape, w shape, strides, dilations, pads, group), output_padding 1 where strides allow.
    let cases: &[ConvCase] = &[
        (&[1, 2, 3, 4], &[2, 3, 3, 3], &[1, 1], &[1, 1], &[0, 0, 0, 0], 1),
        (&[2, 4, 3, 3], &[4, 2, 2, 3], &[2, 3], &[2, 1], &[1, 0, 0, 2], 2),
        (&[1, 3, 5], &[3, 2, 4], &[3], &[1], &[2, 1], 3),
        (&[1, 2, 2, 3, 2], &[2, 1, 2, 2, 3], &[2, 1, 2], &[1, 2, 1], &[0, 1, 0, 1, 0, 0], 1),
    ];
    for (i, &(xs, ws, s, d, p, group)) in cases.iter().enumerate() {
        let x = rnd(xs, 5 * i as u64);
        let w = rnd(ws, 5 * i as u64 + 1);
        let out_pad: Vec<usize> = s.iter().map(|&v| if v > 1 { 1 } else { 0 }).collect();
        let want = naive_conv_transpose(&x, &w, s, d, p, &out_pad, group);
        let op = cta(&ws[2..], s, d, p, AutoPad::NotSet, group, &out_pad, None);
        let got = run1(&op, &[&Tensor::F64(x.clone()), &Tensor::F64(w.clone())]);
        assert_eq!(got, Tensor::F64(want.clone()), "case {i}");
        // Bias adds per output channel.
        let m = ws[1] * group;
        let b = rnd(&[m], 99);
        let got = run1(&op, &[&Tensor::F64(x.clone()), &Tensor::F64(w.clone()), &Tensor::F64(b.clone())]);
        let mut wb = want.clone();
        for (idx, v) in wb.indexed_iter_mut() {
            *v += b[[idx[1]]];
        }
        assert_eq!(got, Tensor::F64(wb), "bias case {i}");
    }
}

#[test]
fn conv_transpose_reference_values() {
    let x = arange(&[1, 1, 3, 3]);
    let w = arange(&[1, 2, 3, 3]);
    // output_shape larger than the full result: extended at the end (ONNX reference).
    let os = cta(&[3, 3], &[3, 2], &[], &[], AutoPad::NotSet, 1, &[], Some(&[10, 8]));
    let y = run1(&os, &[&x, &w]);
    assert_eq!(y.shape(), &[1, 2, 10, 8]);
    let yv = y.to_f64_vec();
    assert_eq!(&yv[..16], &[0.0, 0.0, 0.0, 1.0, 2.0, 2.0, 4.0, 0.0, 0.0, 0.0, 3.0, 4.0, 11.0, 8.0, 10.0, 0.0]);
    assert!(yv[72..80].iter().all(|&v| v == 0.0), "the extra row is zero");
    // Same result through output_padding.
    let op = cta(&[3, 3], &[3, 2], &[], &[], AutoPad::NotSet, 1, &[1, 1], None);
    assert_eq!(run1(&op, &[&x, &w]), y);
    let pads = cta(&[3, 3], &[3, 2], &[], &[1, 2, 1, 2], AutoPad::NotSet, 1, &[], None);
    let want = [
        3.0, 4.0, 11.0, 6.0, 7.0, 20.0, 6.0, 4.0, 8.0, 27.0, 16.0, 35.0, 48.0, 28.0, 62.0, 12.0, 7.0, 14.0, 51.0, 28.0,
        59.0, 12.0, 13.0, 38.0, 15.0, 16.0, 47.0, 69.0, 40.0, 89.0, 90.0, 52.0, 116.0, 111.0, 64.0, 143.0, 129.0, 70.0,
        149.0, 168.0, 91.0, 194.0,
    ];
    assert_close(&run1(&pads, &[&x, &w]), &[1, 2, 7, 3], &want);
    let upper = cta(&[], &[2, 2], &[], &[], AutoPad::SameUpper, 1, &[], None);
    let want_upper = [
        0.0, 0.0, 0.0, 1.0, 2.0, 2.0, 0.0, 0.0, 3.0, 4.0, 11.0, 8.0, 0.0, 3.0, 12.0, 11.0, 28.0, 19.0, 9.0, 12.0, 27.0,
        16.0, 35.0, 20.0, 18.0, 27.0, 60.0, 35.0, 76.0, 43.0, 18.0, 24.0, 51.0, 28.0, 59.0, 32.0, 0.0, 0.0, 9.0, 10.0,
        29.0, 20.0, 0.0, 0.0, 12.0, 13.0, 38.0, 26.0, 27.0, 30.0, 84.0, 56.0, 136.0, 82.0, 36.0, 39.0, 90.0, 52.0,
        116.0, 65.0, 99.0, 108.0, 240.0, 134.0, 292.0, 160.0, 72.0, 78.0, 168.0, 91.0, 194.0, 104.0,
    ];
    assert_close(&run1(&upper, &[&x, &w]), &[1, 2, 6, 6], &want_upper);
    let lower = cta(&[], &[2, 2], &[], &[], AutoPad::SameLower, 1, &[], None);
    let want_lower = [
        0.0, 3.0, 4.0, 11.0, 8.0, 10.0, 3.0, 12.0, 11.0, 28.0, 19.0, 26.0, 12.0, 27.0, 16.0, 35.0, 20.0, 25.0, 27.0,
        60.0, 35.0, 76.0, 43.0, 56.0, 24.0, 51.0, 28.0, 59.0, 32.0, 40.0, 42.0, 90.0, 49.0, 104.0, 56.0, 64.0, 0.0,
        12.0, 13.0, 38.0, 26.0, 28.0, 30.0, 84.0, 56.0, 136.0, 82.0, 89.0, 39.0, 90.0, 52.0, 116.0, 65.0, 70.0, 108.0,
        240.0, 134.0, 292.0, 160.0, 173.0, 78.0, 168.0, 91.0, 194.0, 104.0, 112.0, 96.0, 207.0, 112.0, 239.0, 128.0,
        136.0,
    ];
    assert_close(&run1(&lower, &[&x, &w]), &[1, 2, 6, 6], &want_lower);
    let xg = arange(&[1, 2, 3, 3]);
    let wg = arange(&[2, 1, 2, 2]);
    let gd = cta(&[2, 2], &[1, 2], &[2, 2], &[], AutoPad::NotSet, 2, &[], None);
    let want_gd = [
        0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 0.0, 3.0, 0.0, 4.0, 0.0, 5.0, 0.0, 0.0, 8.0, 0.0, 14.0, 0.0, 14.0, 6.0,
        0.0, 17.0, 0.0, 22.0, 0.0, 15.0, 12.0, 0.0, 32.0, 0.0, 37.0, 0.0, 24.0, 36.0, 0.0, 85.0, 0.0, 94.0, 0.0, 55.0,
        48.0, 0.0, 112.0, 0.0, 121.0, 0.0, 70.0, 114.0, 0.0, 262.0, 0.0, 284.0, 0.0, 162.0, 72.0, 0.0, 162.0, 0.0,
        175.0, 0.0, 98.0, 90.0, 0.0, 201.0, 0.0, 214.0, 0.0, 119.0,
    ];
    assert_close(&run1(&gd, &[&xg, &wg]), &[1, 2, 5, 7], &want_gd);
    let one_d = cta(&[], &[], &[], &[], AutoPad::NotSet, 1, &[], None);
    assert_close(
        &run1(&one_d, &[&arange(&[1, 1, 3]), &arange(&[1, 2, 3])]),
        &[1, 2, 5],
        &[0.0, 0.0, 1.0, 4.0, 4.0, 0.0, 3.0, 10.0, 13.0, 10.0],
    );
}

#[test]
fn conv_transpose_errors() {
    let x = arange(&[1, 2, 3, 3]);
    let w = arange(&[2, 1, 3, 3]);
    let too_much_pad = cta(&[3, 3], &[], &[], &[3, 3, 3, 3], AutoPad::NotSet, 1, &[], None);
    assert!(run(&too_much_pad, &[Some(&x), Some(&w)]).is_err());
    let w3 = arange(&[3, 1, 3, 3]);
    let plain = cta(&[3, 3], &[], &[], &[], AutoPad::NotSet, 1, &[], None);
    assert!(run(&plain, &[Some(&x), Some(&w3)]).is_err(), "channel mismatch");
    let g3 = cta(&[3, 3], &[], &[], &[], AutoPad::NotSet, 3, &[], None);
    assert!(run(&g3, &[Some(&x), Some(&w)]).is_err(), "group does not divide channels");
    let bad_os = cta(&[3, 3], &[], &[], &[], AutoPad::NotSet, 1, &[], Some(&[5]));
    assert!(run(&bad_os, &[Some(&x), Some(&w)]).is_err());
    let zero_os = cta(&[3, 3], &[], &[], &[], AutoPad::NotSet, 1, &[], Some(&[0, 4]));
    assert!(run(&zero_os, &[Some(&x), Some(&w)]).is_err());
    let b = arange(&[2]);
    assert!(run(&plain, &[Some(&x), Some(&w), Some(&b)]).is_err(), "bias has 2 entries for 1 channel");
}

fn pa(
    kind: PoolKind,
    k: &[usize],
    s: &[usize],
    d: &[usize],
    p: &[usize],
    auto_pad: AutoPad,
    ceil_mode: bool,
) -> PoolAttrs {
    PoolAttrs {
        kind,
        kernel_shape: k.to_vec(),
        strides: s.to_vec(),
        dilations: d.to_vec(),
        pads: p.to_vec(),
        auto_pad,
        ceil_mode,
        with_indices: false,
        column_major_indices: false,
    }
}

const XP: [f32; 40] = [
    14.0, 5.0, 0.0, -10.0, -8.0, -19.0, -17.0, -20.0, -13.0, 12.0, 5.0, 16.0, 0.0, 4.0, 18.0, 9.0, 5.0, 1.0, 2.0, 17.0,
    -9.0, 12.0, 6.0, -20.0, -5.0, 14.0, 2.0, -19.0, 10.0, 9.0, 13.0, -13.0, -17.0, 14.0, -20.0, 1.0, -17.0, -9.0, -1.0,
    -4.0,
];

#[test]
fn max_pool_with_indices() {
    let x = f32t(&[1, 2, 4, 5], &XP);
    let mut a = pa(PoolKind::Max, &[2, 2], &[1, 2], &[2, 1], &[1, 0, 0, 1], AutoPad::NotSet, false);
    a.with_indices = true;
    let out = run(&Op::Pool(a.clone()), &[Some(&x)]).unwrap();
    let want =
        [-17.0, -13.0, 12.0, 16.0, 4.0, 18.0, 9.0, 2.0, 17.0, 14.0, 10.0, 9.0, 13.0, 14.0, -5.0, 14.0, 10.0, 9.0];
    assert_close(&out[0], &[1, 2, 3, 3], &want);
    let idx: Vec<i64> = vec![6, 8, 9, 11, 13, 14, 15, 18, 19, 25, 28, 29, 30, 33, 24, 25, 28, 29];
    assert_eq!(out[1], Tensor::from_vec(&[1, 2, 3, 3], idx).unwrap());
    a.column_major_indices = true;
    let out = run(&Op::Pool(a), &[Some(&x)]).unwrap();
    let idx_cm: Vec<i64> = vec![5, 13, 17, 6, 14, 18, 3, 15, 19, 21, 33, 37, 22, 34, 36, 21, 33, 37];
    assert_eq!(out[1], Tensor::from_vec(&[1, 2, 3, 3], idx_cm).unwrap());
    // u8 input.
    let xu = Tensor::from_vec(&[1, 1, 4], vec![3u8, 200, 7, 1]).unwrap();
    let a = pa(PoolKind::Max, &[2], &[2], &[], &[], AutoPad::NotSet, false);
    assert_eq!(run1(&Op::Pool(a), &[&xu]), Tensor::from_vec(&[1, 1, 2], vec![200u8, 7]).unwrap());
}

#[test]
fn avg_pool_pads_and_ceil_mode() {
    let x5 = arange(&[1, 1, 5, 5]);
    let excl = [3.0, 4.5, 6.0, 10.5, 12.0, 13.5, 18.0, 19.5, 21.0];
    let incl = [1.3333333730697632, 3.0, 2.6666667461395264, 7.0, 12.0, 9.0, 8.0, 13.0, 9.333333015441895];
    for ceil in [false, true] {
        for (cip, want) in [(false, &excl), (true, &incl)] {
            let a = pa(
                PoolKind::Avg { count_include_pad: cip },
                &[3, 3],
                &[2, 2],
                &[],
                &[1, 1, 1, 1],
                AutoPad::NotSet,
                ceil,
            );
            assert_close(&run1(&Op::Pool(a), &[&x5]), &[1, 1, 3, 3], want);
        }
    }
    // A window that would start in the end padding is dropped in ceil mode (4x4 → 2x2, not 3x3).
    let x4 = arange(&[1, 1, 4, 4]);
    for cip in [false, true] {
        let a =
            pa(PoolKind::Avg { count_include_pad: cip }, &[2, 2], &[2, 2], &[], &[0, 0, 1, 1], AutoPad::NotSet, true);
        assert_close(&run1(&Op::Pool(a), &[&x4]), &[1, 1, 2, 2], &[2.5, 4.5, 10.5, 12.5]);
    }
    let a = pa(PoolKind::Max, &[3, 3], &[2, 2], &[], &[], AutoPad::NotSet, true);
    assert_close(&run1(&Op::Pool(a), &[&x4]), &[1, 1, 2, 2], &[10.0, 11.0, 14.0, 15.0]);
    let lower = pa(PoolKind::Avg { count_include_pad: false }, &[2, 2], &[], &[], &[], AutoPad::SameLower, false);
    let want_lower = [
        0.0, 0.5, 1.5, 2.5, 3.5, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0, 9.0, 10.0, 11.0, 12.5, 13.0, 14.0, 15.0, 16.0,
        17.5, 18.0, 19.0, 20.0, 21.0,
    ];
    assert_close(&run1(&Op::Pool(lower), &[&x5]), &[1, 1, 5, 5], &want_lower);
    let upper = pa(PoolKind::Avg { count_include_pad: false }, &[2, 2], &[], &[], &[], AutoPad::SameUpper, false);
    let want_upper = [
        3.0, 4.0, 5.0, 6.0, 6.5, 8.0, 9.0, 10.0, 11.0, 11.5, 13.0, 14.0, 15.0, 16.0, 16.5, 18.0, 19.0, 20.0, 21.0,
        21.5, 20.5, 21.5, 22.5, 23.5, 24.0,
    ];
    assert_close(&run1(&Op::Pool(upper), &[&x5]), &[1, 1, 5, 5], &want_upper);
}

#[test]
fn lp_pool() {
    let x = f32t(&[1, 2, 4, 5], &XP);
    let a = pa(PoolKind::Lp { p: 3 }, &[2, 3], &[], &[], &[1, 1, 0, 1], AutoPad::NotSet, false);
    let want = [
        14.209436416625977,
        14.209436416625977,
        10.400419235229492,
        11.47758674621582,
        11.47758674621582,
        24.463781356811523,
        28.28993034362793,
        25.32118797302246,
        23.77391815185547,
        17.58408546447754,
        25.194746017456055,
        28.842185974121094,
        26.8098201751709,
        26.12025260925293,
        21.415023803710938,
        17.184833526611328,
        17.185962677001953,
        16.253767013549805,
        22.11646270751953,
        22.115781784057617,
        13.493824005126953,
        13.878194808959961,
        21.50405502319336,
        20.280221939086914,
        20.103628158569336,
        17.33477210998535,
        23.073488235473633,
        26.115365982055664,
        25.676969528198242,
        21.438983917236328,
        19.26139259338379,
        26.645572662353516,
        26.07130241394043,
        28.942811965942383,
        23.191221237182617,
        21.035465240478516,
        24.634687423706055,
        24.93154525756836,
        25.43299102783203,
        22.110326766967773,
    ];
    assert_close(&run1(&Op::Pool(a), &[&x]), &[1, 2, 4, 5], &want);
    // p = 2 on a 1-D window: sqrt(3² + 4²).
    let x = f32t(&[1, 1, 2], &[3.0, -4.0]);
    let a = pa(PoolKind::Lp { p: 2 }, &[2], &[], &[], &[], AutoPad::NotSet, false);
    assert_close(&run1(&Op::Pool(a), &[&x]), &[1, 1, 1], &[5.0]);
}

#[test]
fn pool_3d_and_errors() {
    // 3-D max pool with dilation against a direct loop.
    let x = rnd(&[1, 2, 5, 4, 6], 11);
    let a = pa(PoolKind::Max, &[2, 2, 3], &[2, 1, 2], &[2, 1, 1], &[1, 0, 1, 0, 1, 1], AutoPad::NotSet, false);
    let got = run1(&Op::Pool(a), &[&Tensor::F64(x.clone())]);
    let out_sp = [(5 + 1 - 3) / 2 + 1, (4 + 1 - 2) + 1, (6 + 2 - 3) / 2 + 1];
    assert_eq!(got.shape(), &[1, 2, out_sp[0], out_sp[1], out_sp[2]]);
    let g = got.to_f64_vec();
    let (k, s, d, p) = ([2, 2, 3], [2, 1, 2], [2, 1, 1], [1, 0, 1]);
    let mut i = 0;
    for c in 0..2 {
        for o in indices(&out_sp) {
            let mut best = f64::NEG_INFINITY;
            for kk in indices(&k) {
                let pos: Vec<i64> = (0..3).map(|j| (o[j] * s[j] + kk[j] * d[j]) as i64 - p[j] as i64).collect();
                if pos.iter().zip([5, 4, 6]).all(|(&q, n)| q >= 0 && q < n) {
                    best = best.max(x[[0, c, pos[0] as usize, pos[1] as usize, pos[2] as usize]]);
                }
            }
            assert_eq!(g[i], best);
            i += 1;
        }
    }
    let x = arange(&[1, 1, 4, 4]);
    let no_kernel = pa(PoolKind::Max, &[], &[], &[], &[], AutoPad::NotSet, false);
    assert!(run(&Op::Pool(no_kernel), &[Some(&x)]).is_err());
    let too_big = pa(PoolKind::Max, &[5, 5], &[], &[], &[], AutoPad::NotSet, false);
    assert!(run(&Op::Pool(too_big), &[Some(&x)]).is_err());
    let lp0 = pa(PoolKind::Lp { p: 0 }, &[2, 2], &[], &[], &[], AutoPad::NotSet, false);
    assert!(run(&Op::Pool(lp0), &[Some(&x)]).is_err());
    let mut avg_idx = pa(PoolKind::Avg { count_include_pad: false }, &[2, 2], &[], &[], &[], AutoPad::NotSet, false);
    avg_idx.with_indices = true;
    assert!(run(&Op::Pool(avg_idx), &[Some(&x)]).is_err());
    let xi = Tensor::from_vec(&[1, 1, 2, 2], vec![1i32; 4]).unwrap();
    let avg = pa(PoolKind::Avg { count_include_pad: false }, &[2, 2], &[], &[], &[], AutoPad::NotSet, false);
    assert!(run(&Op::Pool(avg), &[Some(&xi)]).is_err(), "integer average pool");
    let xb = Tensor::from_vec(&[1, 1, 2, 2], vec![true; 4]).unwrap();
    let mx = pa(PoolKind::Max, &[2, 2], &[], &[], &[], AutoPad::NotSet, false);
    assert!(run(&Op::Pool(mx), &[Some(&xb)]).is_err(), "bool max pool");
}

#[test]
fn col2im() {
    let op = Op::Col2Im { dilations: vec![], pads: vec![], strides: vec![] };
    let x = arange(&[1, 8, 6]);
    let img = Tensor::from_vec(&[2], vec![3i64, 4]).unwrap();
    let blk = Tensor::from_vec(&[2], vec![2i64, 2]).unwrap();
    let want = [
        0.0, 7.0, 9.0, 8.0, 15.0, 44.0, 48.0, 31.0, 15.0, 37.0, 39.0, 23.0, 24.0, 55.0, 57.0, 32.0, 63.0, 140.0, 144.0,
        79.0, 39.0, 85.0, 87.0, 47.0,
    ];
    assert_close(&run1(&op, &[&x, &img, &blk]), &[1, 2, 3, 4], &want);
    let op2 = Op::Col2Im { dilations: vec![2, 1], pads: vec![1, 0, 0, 1], strides: vec![1, 2] };
    let x2 = arange(&[1, 4, 9]);
    let img2 = Tensor::from_vec(&[2], vec![4i64, 5]).unwrap();
    let want2 = [
        3.0, 12.0, 4.0, 13.0, 5.0, 24.0, 42.0, 26.0, 44.0, 28.0, 21.0, 30.0, 22.0, 31.0, 23.0, 24.0, 33.0, 25.0, 34.0,
        26.0,
    ];
    assert_close(&run1(&op2, &[&x2, &img2, &blk]), &[1, 1, 4, 5], &want2);
    // Wrong number of blocks, channels not a multiple of the block size.
    assert!(run(&op, &[Some(&arange(&[1, 8, 5])), Some(&img), Some(&blk)]).is_err());
    assert!(run(&op, &[Some(&arange(&[1, 7, 6])), Some(&img), Some(&blk)]).is_err());
    let neg = Tensor::from_vec(&[2], vec![-3i64, 4]).unwrap();
    assert!(run(&op, &[Some(&x), Some(&neg), Some(&blk)]).is_err());
    // Without constant shapes the output rank is still known.
    let t = infer(&op, &[Some(&x.ty()), Some(&img.ty()), Some(&blk.ty())], &[None, None, None]).unwrap();
    assert_eq!(t[0].rank(), 4);
}

#[test]
fn random_attributes_never_panic() {
    let mut g = lcg(12345);
    let mut pick = |n: usize| -> usize { (g() + 5.0) as usize % n.max(1) };
    let autos = [AutoPad::NotSet, AutoPad::SameUpper, AutoPad::SameLower, AutoPad::Valid];
    let mut ok = 0;
    for it in 0..600 {
        let nsp = 1 + pick(3);
        let list = |pick: &mut dyn FnMut(usize) -> usize, len: usize, max: usize| -> Vec<usize> {
            if pick(5) == 0 {
                return vec![];
            }
            let len = if pick(10) == 0 { len + 1 } else { len };
            (0..len).map(|_| pick(max)).collect()
        };
        let group = if pick(8) == 0 { pick(3) } else { 1 + pick(2) };
        let c = group.max(1) * (1 + pick(2)) + usize::from(pick(8) == 0);
        let xs: Vec<usize> = [1 + pick(2), c].into_iter().chain((0..nsp).map(|_| pick(7))).collect();
        let ks: Vec<usize> = (0..nsp).map(|_| 1 + pick(3)).collect();
        let small = |pick: &mut dyn FnMut(usize) -> usize, n: usize| -> Vec<usize> {
            (0..n).map(|_| if pick(10) == 0 { pick(3) } else { 1 + pick(2) }).collect()
        };
        let kshape: Vec<usize> = if pick(2) == 0 { ks.clone() } else { list(&mut pick, nsp, 4) };
        let (strides, dilations) = (small(&mut pick, nsp), small(&mut pick, nsp));
        let conv = ca(&kshape, &strides, &dilations, &list(&mut pick, 2 * nsp, 3), autos[pick(4)], group);
        let x = Tensor::F32(rnd(&xs, it).mapv(|v| v as f32));
        let mut ws = vec![group.max(1) * (1 + pick(2)), c / group.max(1)];
        ws.extend(&ks);
        let w = Tensor::F32(rnd(&ws, it + 1).mapv(|v| v as f32));
        let ops = [
            Op::Conv(conv.clone()),
            Op::ConvTranspose(ConvTransposeAttrs {
                conv: conv.clone(),
                output_padding: list(&mut pick, nsp, 2),
                output_shape: if pick(4) == 0 { Some(list(&mut pick, nsp, 9)) } else { None },
            }),
            Op::Pool(PoolAttrs {
                kind: [PoolKind::Max, PoolKind::Avg { count_include_pad: true }, PoolKind::Lp { p: 2 }][pick(3)],
                kernel_shape: conv.kernel_shape.clone(),
                strides: conv.strides.clone(),
                dilations: conv.dilations.clone(),
                pads: conv.pads.clone(),
                auto_pad: conv.auto_pad,
                ceil_mode: pick(2) == 0,
                with_indices: pick(3) == 0,
                column_major_indices: pick(2) == 0,
            }),
        ];
        for op in &ops {
            if run(op, &[Some(&x), Some(&w)]).is_ok() {
                ok += 1;
            }
        }
    }
    assert!(ok > 100, "only {ok} random cases were valid");
}
