//! Resize tests: expected values generated with the ONNX reference implementation
//! (onnx 1.22 `ReferenceEvaluator`, opset 19) on the inputs shown.
#![allow(unused_mut)]

use super::super::tests::attrs;
use super::*;
use crate::{KeepAspect, TensorType, F32};

fn check(
    a: &ResizeAttrs,
    x: &Tensor,
    roi: Option<&[f32]>,
    scales: Option<&[f32]>,
    sizes: Option<&[i64]>,
    shape: &[usize],
    expect: &[f64],
) {
    let vec1 = |v: &[f32]| Tensor::from_vec(&[v.len()], v.to_vec()).unwrap();
    let roi = roi.map(vec1);
    let scales = scales.map(vec1);
    let sizes = sizes.map(|v| Tensor::from_vec(&[v.len()], v.to_vec()).unwrap());
    let ins = [Some(x), roi.as_ref(), scales.as_ref(), sizes.as_ref()];
    let y = eval_resize(a, &ins).unwrap().remove(0);
    assert_eq!(y.shape(), shape);
    assert_eq!(y.dtype(), x.dtype());
    assert_eq!(y.len(), expect.len());
    for (i, (got, want)) in y.to_f64_vec().iter().zip(expect).enumerate() {
        assert!(
            (got - want).abs() <= 1e-5 * want.abs().max(1.0),
            "element {i}: got {got}, want {want}"
        );
    }
    // Inference with constant operands gives the evaluated type.
    let tys: Vec<Option<TensorType>> = ins.iter().map(|t| t.map(Tensor::ty)).collect();
    let refs: Vec<Option<&TensorType>> = tys.iter().map(Option::as_ref).collect();
    let consts = [None, ins[1], ins[2], ins[3]];
    assert_eq!(super::super::infer_resize(a, &refs, &consts).unwrap()[0], y.ty());
}

#[test]
fn linear_half_pixel_up() {
    let mut a = attrs(ResizeMode::Linear, CoordTransform::HalfPixel);
    let x = Tensor::from_vec(&[1, 1, 2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let expect: Vec<f64> = vec![
        1.0, 1.25, 1.75, 2.0, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3.0, 3.25, 3.75, 4.0,
    ];
    check(
        &a,
        &x,
        None,
        Some(&[1.0, 1.0, 2.0, 2.0][..]),
        None,
        &[1, 1, 4, 4],
        &expect,
    );
}

#[test]
fn cubic_align_corners_down() {
    let mut a = attrs(ResizeMode::Cubic, CoordTransform::AlignCorners);
    let x = Tensor::from_vec(
        &[1, 1, 4, 4],
        vec![
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0,
        ],
    )
    .unwrap();
    let expect: Vec<f64> = vec![
        1.0,
        2.3951897621154785,
        3.79038405418396,
        6.580760955810547,
        7.975947380065918,
        9.371145248413086,
        12.161535263061523,
        13.556720733642578,
        14.951922416687012,
    ];
    check(
        &a,
        &x,
        None,
        Some(&[1.0, 1.0, 0.8, 0.8][..]),
        None,
        &[1, 1, 3, 3],
        &expect,
    );
}

#[test]
fn nearest_ceil_asymmetric() {
    let mut a = attrs(ResizeMode::Nearest, CoordTransform::Asymmetric);
    a.nearest = NearestMode::RoundPreferCeil;
    let x = Tensor::from_vec(&[1, 1, 2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let expect: Vec<f64> = vec![
        1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 4.0, 3.0, 3.0, 4.0, 4.0, 4.0,
    ];
    check(&a, &x, None, None, Some(&[1, 1, 3, 5][..]), &[1, 1, 3, 5], &expect);
}

#[test]
fn linear_antialias_down() {
    let mut a = attrs(ResizeMode::Linear, CoordTransform::HalfPixel);
    a.antialias = true;
    let x = Tensor::from_vec(
        &[1, 1, 4, 4],
        vec![
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0,
        ],
    )
    .unwrap();
    let expect: Vec<f64> = vec![2.875, 4.5, 9.375, 11.0];
    check(
        &a,
        &x,
        None,
        Some(&[1.0, 1.0, 0.6, 0.6][..]),
        None,
        &[1, 1, 2, 2],
        &expect,
    );
}

#[test]
fn cubic_antialias_exclude() {
    let mut a = attrs(ResizeMode::Cubic, CoordTransform::HalfPixel);
    a.antialias = true;
    a.exclude_outside = true;
    a.cubic_coeff_a = F32(-0.5);
    let x = Tensor::from_vec(
        &[1, 1, 3, 5],
        vec![
            0.0,
            1.0,
            2.8284270763397217,
            5.196152687072754,
            8.0,
            11.180339813232422,
            14.696938514709473,
            18.5202579498291,
            22.627416610717773,
            27.0,
            31.62277603149414,
            36.482872009277344,
            41.56922149658203,
            46.87216567993164,
            52.383201599121094,
        ],
    )
    .unwrap();
    let expect: Vec<f64> = vec![
        3.6843984127044678,
        7.434042453765869,
        12.422464370727539,
        26.48587417602539,
        34.156253814697266,
        42.411495208740234,
    ];
    check(&a, &x, None, None, Some(&[1, 1, 2, 3][..]), &[1, 1, 2, 3], &expect);
}

#[test]
fn tf_crop_extrapolate() {
    let mut a = attrs(ResizeMode::Linear, CoordTransform::TfCropAndResize);
    a.extrapolation_value = F32(10.0);
    let x = Tensor::from_vec(
        &[1, 1, 4, 4],
        vec![
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0,
        ],
    )
    .unwrap();
    let expect: Vec<f64> = vec![
        7.600000381469727,
        10.0,
        10.0,
        12.40000057220459,
        10.0,
        10.0,
        10.0,
        10.0,
        10.0,
    ];
    check(
        &a,
        &x,
        Some(&[0.0, 0.0, 0.4, 0.6, 1.0, 1.0, 1.2, 1.7][..]),
        None,
        Some(&[1, 1, 3, 3][..]),
        &[1, 1, 3, 3],
        &expect,
    );
}

#[test]
fn linear_half_pixel_symmetric() {
    let mut a = attrs(ResizeMode::Linear, CoordTransform::HalfPixelSymmetric);
    let x = Tensor::from_vec(
        &[1, 1, 4, 4],
        vec![
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0,
        ],
    )
    .unwrap();
    let expect: Vec<f64> = vec![
        3.6960785388946533,
        4.284313678741455,
        4.872549057006836,
        5.460784435272217,
        6.049019813537598,
        6.6372551918029785,
        10.36274528503418,
        10.950980186462402,
        11.539215087890625,
        12.127450942993164,
        12.715685844421387,
        13.303921699523926,
    ];
    check(
        &a,
        &x,
        None,
        Some(&[1.0, 1.0, 0.6, 1.7][..]),
        None,
        &[1, 1, 2, 6],
        &expect,
    );
}

#[test]
fn cubic_pytorch_to_one() {
    let mut a = attrs(ResizeMode::Cubic, CoordTransform::PytorchHalfPixel);
    let x = Tensor::from_vec(
        &[1, 1, 3, 5],
        vec![
            0.0,
            1.0,
            2.8284270763397217,
            5.196152687072754,
            8.0,
            11.180339813232422,
            14.696938514709473,
            18.5202579498291,
            22.627416610717773,
            27.0,
            31.62277603149414,
            36.482872009277344,
            41.56922149658203,
            46.87216567993164,
            52.383201599121094,
        ],
    )
    .unwrap();
    let expect: Vec<f64> = vec![
        -0.9851484298706055,
        0.24601201713085175,
        2.5838370323181152,
        5.963743686676025,
    ];
    check(&a, &x, None, None, Some(&[1, 1, 1, 4][..]), &[1, 1, 1, 4], &expect);
}

#[test]
fn nearest_axes_not_smaller() {
    let mut a = attrs(ResizeMode::Nearest, CoordTransform::HalfPixel);
    a.axes = Some(vec![3, 2]);
    a.keep_aspect = KeepAspect::NotSmaller;
    a.nearest = NearestMode::Floor;
    let x = Tensor::from_vec(
        &[1, 1, 3, 5],
        vec![
            0.0,
            1.0,
            2.8284270763397217,
            5.196152687072754,
            8.0,
            11.180339813232422,
            14.696938514709473,
            18.5202579498291,
            22.627416610717773,
            27.0,
            31.62277603149414,
            36.482872009277344,
            41.56922149658203,
            46.87216567993164,
            52.383201599121094,
        ],
    )
    .unwrap();
    let expect: Vec<f64> = vec![
        0.0,
        0.0,
        1.0,
        2.8284270763397217,
        2.8284270763397217,
        5.196152687072754,
        8.0,
        0.0,
        0.0,
        1.0,
        2.8284270763397217,
        2.8284270763397217,
        5.196152687072754,
        8.0,
        11.180339813232422,
        11.180339813232422,
        14.696938514709473,
        18.5202579498291,
        18.5202579498291,
        22.627416610717773,
        27.0,
        31.62277603149414,
        31.62277603149414,
        36.482872009277344,
        41.56922149658203,
        41.56922149658203,
        46.87216567993164,
        52.383201599121094,
    ];
    check(&a, &x, None, None, Some(&[7, 4][..]), &[1, 1, 4, 7], &expect);
}

#[test]
fn cubic_asymmetric_up() {
    let mut a = attrs(ResizeMode::Cubic, CoordTransform::Asymmetric);
    let x = Tensor::from_vec(&[1, 1, 2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let expect: Vec<f64> = vec![
        1.0,
        1.6851848363876343,
        2.1111106872558594,
        2.0,
        2.6851844787597656,
        3.111110210418701,
        3.0,
        3.6851842403411865,
        4.111109733581543,
        3.1875,
        3.8726842403411865,
        4.298609733581543,
    ];
    check(
        &a,
        &x,
        None,
        Some(&[1.0, 1.0, 2.0, 1.5][..]),
        None,
        &[1, 1, 4, 3],
        &expect,
    );
}

#[test]
fn cubic_u8_saturates() {
    let mut a = attrs(ResizeMode::Cubic, CoordTransform::HalfPixel);
    let x = Tensor::from_vec(&[1, 1, 2, 2], vec![0u8, 100, 255, 30]).unwrap();
    let expect: Vec<f64> = vec![
        0., 0., 42., 96., 120., 134., 122., 96., 70., 58., 255., 255., 151., 45., 0.,
    ];
    check(
        &a,
        &x,
        None,
        Some(&[1.0, 1.0, 1.5, 2.5][..]),
        None,
        &[1, 1, 3, 5],
        &expect,
    );
}

#[test]
fn nearest_keeps_exact_integers() {
    // i64 values beyond f64's exact range survive nearest resizing unchanged.
    let a = attrs(ResizeMode::Nearest, CoordTransform::Asymmetric);
    let big = (1i64 << 60) + 1;
    let x = Tensor::from_vec(&[1, 2], vec![big, -big]).unwrap();
    let s = Tensor::from_vec(&[2], vec![1f32, 2.]).unwrap();
    let y = eval_resize(&a, &[Some(&x), None, Some(&s)]).unwrap();
    assert_eq!(y[0], Tensor::from_vec(&[1, 4], vec![big, big, -big, -big]).unwrap());
}

#[test]
fn invalid_operands() {
    let a = attrs(ResizeMode::Linear, CoordTransform::HalfPixel);
    let x = Tensor::from_vec(&[1, 2], vec![1f32, 2.]).unwrap();
    let s = Tensor::from_vec(&[2], vec![1f32, 2.]).unwrap();
    let z = Tensor::from_vec(&[2], vec![1i64, 4]).unwrap();
    assert!(eval_resize(&a, &[Some(&x)]).is_err());
    assert!(eval_resize(&a, &[Some(&x), None, Some(&s), Some(&z)]).is_err());
    assert!(eval_resize(&a, &[Some(&x), None, Some(&z)]).is_err());
    let mut n = attrs(ResizeMode::Nearest, CoordTransform::HalfPixel);
    n.antialias = true;
    assert!(eval_resize(&n, &[Some(&x), None, Some(&s)]).is_err());
    let e = Tensor::from_vec(&[0], Vec::<f32>::new()).unwrap();
    // An empty scales placeholder next to sizes is the opset-11 convention.
    let y = eval_resize(&a, &[Some(&x), None, Some(&e), Some(&z)]).unwrap();
    assert_eq!(y[0].shape(), &[1, 4]);
}
