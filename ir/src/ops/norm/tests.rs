//! Tests of the normalisation family against values produced by the ONNX reference
//! implementation (onnx 1.22 `ReferenceEvaluator`), and for LRN by a direct numpy transcription
//! of the spec (the reference's LRN loops over N instead of C).

use super::*;
use crate::F32;

fn t<T: crate::Element>(shape: &[usize], v: Vec<T>) -> Tensor {
    Tensor::from_vec(shape, v).unwrap()
}
fn v<T: crate::Element>(v: Vec<T>) -> Tensor {
    t(&[v.len()], v)
}

fn run(op: Op, ins: &[Option<&Tensor>]) -> Result<Vec<Tensor>, OpError> {
    let types: Vec<Option<TensorType>> = ins.iter().map(|i| i.map(|t| t.ty())).collect();
    let trefs: Vec<Option<&TensorType>> = types.iter().map(|t| t.as_ref()).collect();
    let inferred = infer(&op, &trefs, &vec![None; ins.len()]);
    let out = eval(&op, ins);
    match (inferred, out) {
        (Ok(ty), Ok(out)) => {
            assert_eq!(ty.len(), out.len());
            for (ty, o) in ty.iter().zip(&out) {
                assert_eq!(*ty, o.ty(), "infer and eval disagree for {op:?}");
            }
            Ok(out)
        }
        (Err(e), Err(_)) => Err(e),
        (i, o) => panic!("infer {i:?} and eval {o:?} disagree on validity for {op:?}"),
    }
}

fn assert_close(got: &Tensor, want: &[f64], tol: f64) {
    let g = got.to_f64_vec();
    assert_eq!(g.len(), want.len(), "got {g:?}, want {want:?}");
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol * (1.0 + b.abs()), "element {i}: got {a}, want {b} (all: {g:?})");
    }
}

fn x223() -> Tensor {
    t(&[2, 2, 3], vec![1.0f32, -2.0, 3.0, 0.5, 4.0, -1.5, 2.0, 2.0, -3.0, 1.0, 0.0, 6.0])
}

fn x4() -> Tensor {
    let v: Vec<f32> = (0..24).map(|i| (i as f32).powf(1.5) / 7.0).collect();
    t(&[1, 4, 3, 2], v)
}

#[test]
fn batch_norm() {
    let x = x223();
    let (s, b) = (v(vec![0.5f32, 2.0]), v(vec![0.1f32, -0.2]));
    let (m, var) = (v(vec![0.3f32, 1.0]), v(vec![2.0f32, 0.5]));
    let r = run(Op::BatchNorm { epsilon: F32(1e-3) }, &[Some(&x), Some(&s), Some(&b), Some(&m), Some(&var)]).unwrap();
    assert_close(
        &r[0],
        &[
            0.34742555, -0.7129696, 1.0543556, -1.6128016, 8.2768097, -7.2640076, 0.70089066, 0.70089066, -1.0664346,
            -0.2, -3.025603, 13.928016,
        ],
        1e-6,
    );
    // Parameters of the wrong length or rank.
    let bad = v(vec![1.0f32, 2.0, 3.0]);
    assert!(run(Op::BatchNorm { epsilon: F32(1e-3) }, &[Some(&x), Some(&bad), Some(&b), Some(&m), Some(&var)]).is_err());
    assert!(run(Op::BatchNorm { epsilon: F32(1e-3) }, &[Some(&x), Some(&s), Some(&b), Some(&m), None]).is_err());
    let v1 = v(vec![1.0f32]);
    assert!(run(Op::BatchNorm { epsilon: F32(1e-3) }, &[Some(&v1), Some(&v1), Some(&v1), Some(&v1), Some(&v1)]).is_err());
}

#[test]
fn instance_and_group_norm() {
    let x = x223();
    let (s, b) = (v(vec![0.5f32, 2.0]), v(vec![0.1f32, -0.2]));
    let r = run(Op::InstanceNorm { epsilon: F32(1e-3) }, &[Some(&x), Some(&s), Some(&b)]).unwrap();
    assert_close(
        &r[0],
        &[
            0.18110111, -0.54880887, 0.66770774, -0.63989878, 2.4393928, -2.3994942, 0.45352155, 0.45352155, -0.60704309,
            -1.2159272, -1.9778727, 2.5938001,
        ],
        1e-5,
    );
    let x = x4();
    let s = v(vec![1.0f32, 0.5, -1.0, 2.0]);
    let b = v(vec![0.0f32, 0.1, 0.2, 0.3]);
    let op = Op::GroupNorm { num_groups: 2, epsilon: F32(1e-2) };
    let r = run(op, &[Some(&x), Some(&s), Some(&b)]).unwrap();
    assert_close(
        &r[0],
        &[
            -1.2590994, -1.1747636, -1.0205617, -0.82087779, -0.58441311, -0.31619668, 0.090189196, 0.25141054,
            0.42460075, 0.6089834, 0.8039161, 1.0088561, 1.7123116, 1.4671471, 1.2123621, 0.94830698, 0.67529649,
            0.39361563, 0.49295270, 1.089486, 1.7019317, 2.329886, 2.9729757, 3.6308510,
        ],
        1e-5,
    );
    assert!(run(Op::GroupNorm { num_groups: 3, epsilon: F32(1e-2) }, &[Some(&x), Some(&s), Some(&b)]).is_err());
    assert!(run(Op::GroupNorm { num_groups: 0, epsilon: F32(1e-2) }, &[Some(&x), Some(&s), Some(&b)]).is_err());
}

#[test]
fn layer_norm() {
    let x = x223();
    let w = v(vec![1.0f32, 0.5, 2.0]);
    let b = v(vec![0.0f32, 1.0, -1.0]);
    let r = run(Op::LayerNorm { axis: -1, epsilon: F32(1e-5) }, &[Some(&x), Some(&w), Some(&b)]).unwrap();
    assert_close(
        &r[0],
        &[
            0.16222121, 0.35111511, 1.2710969, -0.21997046, 1.6599114, -3.1997046, 0.70710611, 1.3535531, -3.8284245,
            -0.50800008, 0.55549991, 1.7940009,
        ],
        1e-5,
    );
    assert_eq!(r[1].shape(), &[2, 2, 1]);
    assert_eq!(r[1].dtype(), DType::F32);
    assert_close(&r[1], &[0.66666669, 1.0, 0.33333334, 2.3333333], 1e-6);
    assert_close(&r[2], &[0.48666367, 0.43994093, 0.42426369, 0.3810001], 1e-6);
    // Axis 1, a 2-D scale, no bias.
    let w2 = t(&[2, 3], vec![1.0f32, 0.5, 2.0, 1.5, 1.0, 1.0]);
    let r = run(Op::LayerNorm { axis: 1, epsilon: F32(1e-5) }, &[Some(&x), Some(&w2), None]).unwrap();
    assert_close(
        &r[0],
        &[
            0.076696433, -0.65191954, 1.994107, -0.23008925, 1.457232, -1.0737499, 0.24806927, 0.12403464, -3.2249007,
            -0.18605199, -0.49613857, 1.736485,
        ],
        1e-5,
    );
    assert_eq!(r[1].shape(), &[2, 1, 1]);
    assert_close(&r[1], &[0.83333331, 1.3333334], 1e-6);
    assert_close(&r[2], &[0.46017852, 0.37210393], 1e-6);
    // f16 input: y is f16, the statistics stay f32.
    let h = Tensor::from_vec(&[1, 2], vec![half::f16::from_f32(1.0), half::f16::from_f32(3.0)]).unwrap();
    let hw = v(vec![half::f16::ONE, half::f16::ONE]);
    let r = run(Op::LayerNorm { axis: -1, epsilon: F32(0.0) }, &[Some(&h), Some(&hw), None]).unwrap();
    assert_close(&r[0], &[-1.0, 1.0], 1e-3);
    assert_eq!(r[1].dtype(), DType::F32);
    // A scale that does not broadcast to x.
    let bad = v(vec![1.0f32, 2.0]);
    assert!(run(Op::LayerNorm { axis: -1, epsilon: F32(1e-5) }, &[Some(&x), Some(&bad), None]).is_err());
    assert!(run(Op::LayerNorm { axis: 3, epsilon: F32(1e-5) }, &[Some(&x), Some(&w), None]).is_err());
}

#[test]
fn rms_norm() {
    let x = x223();
    let w = v(vec![1.0f32, 0.5, 2.0]);
    let r = run(Op::RmsNorm { axis: -1, epsilon: F32(1e-5) }, &[Some(&x), Some(&w)]).unwrap();
    assert_close(
        &r[0],
        &[
            0.46290955, -0.46290955, 2.7774572, 0.20134665, 0.8053866, -1.2080799, 0.84016734, 0.42008367, -2.5205021,
            0.2847473, 0.0, 3.4169676,
        ],
        1e-5,
    );
    assert_eq!(r.len(), 1);
}

#[test]
fn lp_norm() {
    let x = x223();
    let r = run(Op::LpNorm { axis: 1, p: 2 }, &[Some(&x)]).unwrap();
    assert_close(
        &r[0],
        &[0.89442718, -0.44721359, 0.89442718, 0.44721359, 0.89442718, -0.44721359, 0.89442718, 1.0, -0.44721359, 0.44721359, 0.0, 0.89442718],
        1e-6,
    );
    // L1 divides by Σ|x| (the ONNX reference divides by Σx, which is not a norm).
    let r = run(Op::LpNorm { axis: -1, p: 1 }, &[Some(&x)]).unwrap();
    let want = [1.0, -2.0, 3.0, 0.5, 4.0, -1.5, 2.0, 2.0, -3.0, 1.0, 0.0, 6.0];
    let l1 = [6.0, 6.0, 7.0, 7.0];
    let want: Vec<f64> = want.iter().enumerate().map(|(i, v)| v / l1[i / 3]).collect();
    assert_close(&r[0], &want, 1e-6);
    // A zero lane stays zero.
    let z = v(vec![0.0f32, 0.0]);
    assert_close(&run(Op::LpNorm { axis: 0, p: 2 }, &[Some(&z)]).unwrap()[0], &[0.0, 0.0], 0.0);
    assert!(run(Op::LpNorm { axis: 0, p: 3 }, &[Some(&z)]).is_err());
}

#[test]
fn lrn() {
    let x = x4();
    let op = Op::Lrn { alpha: F32(0.01), beta: F32(0.75), bias: F32(1.5), size: 3 };
    let r = run(op, &[Some(&x)]).unwrap();
    assert_close(
        &r[0],
        &[
            0.0, 0.10418165, 0.29294513, 0.53399235, 0.81390485, 1.1232099, 1.4539178, 1.798684, 2.1503263, 2.5018661,
            2.8467121, 3.1788671, 3.4931369, 3.785296, 4.0521932, 4.2917695, 4.5030088, 4.6858233, 6.4523794, 6.7435291,
            6.999857, 7.2210981, 7.4078339, 7.5613495,
        ],
        1e-6,
    );
    // An even size: the window reaches one channel further forward than back.
    let op = Op::Lrn { alpha: F32(0.02), beta: F32(0.5), bias: F32(1.0), size: 2 };
    let r = run(op, &[Some(&x)]).unwrap();
    assert_close(
        &r[0],
        &[
            0.0, 0.13809205, 0.38418938, 0.69091912, 1.035908, 1.4023715, 1.7765272, 2.1471411, 2.5055114, 2.8454177,
            3.1629102, 3.4559579, 3.7240275, 3.9676608, 4.1881105, 4.38704, 4.5663061, 4.7278051, 7.371713, 7.6373941,
            7.8749924, 8.0868983, 8.275548, 8.4433182,
        ],
        1e-6,
    );
    assert!(run(Op::Lrn { alpha: F32(0.01), beta: F32(0.75), bias: F32(1.0), size: 0 }, &[Some(&x)]).is_err());
}

#[test]
fn non_float_inputs_are_invalid() {
    let i = t(&[1, 2], vec![1i32, 2]);
    assert!(run(Op::LpNorm { axis: 0, p: 2 }, &[Some(&i)]).is_err());
    assert!(run(Op::RmsNorm { axis: 0, epsilon: F32(1e-5) }, &[Some(&i), Some(&i)]).is_err());
}
