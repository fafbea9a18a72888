//! The kernels of fused ops (`Fused`, `MatMulFused`) agree with the interpreter on the host and
//! under qemu: epilogues with bias, residual and activations, on the register-tiled f32 path
//! (N ≥ one vector, with edge tiles and several K blocks) and on the generic path (small N);
//! ConvFused on the im2col, pointwise and depthwise kernels with per-channel, elementwise and
//! spatial-only epilogue operands.

use edgec::compare::{compare, Tolerance};
use ir::*;
use testsuite::native::{self, require_toolchain};

fn rand(shape: &[usize], seed: u64) -> Tensor {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32
        })
        .collect();
    Tensor::from_vec(shape, v).unwrap()
}

/// bias add, then GELU, then a residual add.
fn epilogue() -> FusedExpr {
    FusedExpr {
        steps: vec![
            FusedStep::Binary(BinaryOp::Add, FusedArg::In(0), FusedArg::In(1)),
            FusedStep::Unary(UnaryOp::Gelu { tanh: false }, FusedArg::Step(0)),
            FusedStep::Binary(BinaryOp::Mul, FusedArg::Step(1), FusedArg::Const(F32(0.5))),
            FusedStep::Binary(BinaryOp::Add, FusedArg::Step(2), FusedArg::In(2)),
        ],
    }
}

fn matmul_fused(m: usize, k: usize, n: usize, trans_b: bool) -> (Graph, Vec<(String, Tensor)>) {
    let mut g = Graph::new("mmf");
    let a = g.add_input("a", TensorType::fixed(DType::F32, &[m, k]));
    let bshape = if trans_b { [n, k] } else { [k, n] };
    let b = g.add_const("b", rand(&bshape, 2));
    let bias = g.add_const("bias", rand(&[n], 3));
    let res = g.add_input("res", TensorType::fixed(DType::F32, &[m, n]));
    let op = Op::MatMulFused { trans_a: false, trans_b, epilogue: epilogue() };
    let y = g.add_node("y", op, &[Some(a), Some(b), Some(bias), Some(res)], vec![TensorType::fixed(DType::F32, &[m, n])]).unwrap();
    g.add_output("y", ValueId::new(y, 0)).unwrap();
    (g, vec![("a".into(), rand(&[m, k], 4)), ("res".into(), rand(&[m, n], 5))])
}

fn fused_chain() -> (Graph, Vec<(String, Tensor)>) {
    let mut g = Graph::new("fz");
    let x = g.add_input("x", TensorType::fixed(DType::F32, &[3, 37]));
    let s = g.add_input("s", TensorType::fixed(DType::F32, &[37]));
    let e = FusedExpr {
        steps: vec![
            FusedStep::Unary(UnaryOp::Sigmoid, FusedArg::In(0)),
            FusedStep::Binary(BinaryOp::Mul, FusedArg::In(0), FusedArg::Step(0)),
            FusedStep::Binary(BinaryOp::Mul, FusedArg::Step(1), FusedArg::In(1)),
            FusedStep::Binary(BinaryOp::Greater, FusedArg::Step(2), FusedArg::Const(F32(0.1))),
            FusedStep::Where(FusedArg::Step(3), FusedArg::Step(2), FusedArg::Const(F32(-2.0))),
        ],
    };
    let y = g.add_node("y", Op::Fused(e), &[Some(x), Some(s)], vec![TensorType::fixed(DType::F32, &[3, 37])]).unwrap();
    g.add_output("y", ValueId::new(y, 0)).unwrap();
    (g, vec![("x".into(), rand(&[3, 37], 6)), ("s".into(), rand(&[37], 7))])
}

/// Conv (k×k, pad k/2, optionally depthwise) + bias + ReLU6 as a ConvFused; `extra` adds one
/// more epilogue operand: a residual of the output's shape (applied per tile row) or one that
/// varies along the spatial dims only (applied in a pass after the conv).
fn conv_fused(c: usize, m: usize, group: usize, k: usize, extra: Option<&[usize]>) -> (Graph, Vec<(String, Tensor)>) {
    let mut g = Graph::new("cf");
    let x = g.add_input("x", TensorType::fixed(DType::F32, &[1, c, 10, 9]));
    let w = g.add_const("w", rand(&[m, c / group, k, k], 8));
    let bias = g.add_const("bias", rand(&[m, 1, 1], 9));
    let p = k / 2;
    let attrs = ConvAttrs {
        kernel_shape: vec![k, k],
        strides: vec![1, 1],
        dilations: vec![1, 1],
        pads: vec![p, p, p, p],
        auto_pad: AutoPad::NotSet,
        group,
    };
    let mut steps = vec![
        FusedStep::Binary(BinaryOp::Add, FusedArg::In(0), FusedArg::In(1)),
        FusedStep::Binary(BinaryOp::Max, FusedArg::Step(0), FusedArg::Const(F32(0.0))),
        FusedStep::Binary(BinaryOp::Min, FusedArg::Step(1), FusedArg::Const(F32(0.25))),
    ];
    let mut ins = vec![Some(x), Some(w), Some(bias)];
    let mut feeds = vec![("x".to_string(), rand(&[1, c, 10, 9], 10))];
    if let Some(shape) = extra {
        steps.push(FusedStep::Binary(BinaryOp::Add, FusedArg::Step(2), FusedArg::In(2)));
        ins.push(Some(g.add_input("r", TensorType::fixed(DType::F32, shape))));
        feeds.push(("r".to_string(), rand(shape, 11)));
    }
    let e = FusedExpr { steps };
    let y = g.add_node("y", Op::ConvFused { attrs, epilogue: e }, &ins, vec![TensorType::fixed(DType::F32, &[1, m, 10, 9])]).unwrap();
    g.add_output("y", ValueId::new(y, 0)).unwrap();
    (g, feeds)
}

fn check(g: &Graph, inputs: &[(String, Tensor)], target: &str) {
    let want = interp::run(g, inputs).unwrap();
    let p = native::profile(target).unwrap();
    let got = native::compile_and_run(g, &p, "k", inputs).unwrap_or_else(|e| panic!("{target}: {e}"));
    for ((n, w), (_, o)) in want.iter().zip(&got) {
        let c = compare(o, w, Tolerance { atol: 1e-5, rtol: 1e-4 });
        assert!(c.passed(), "{target}: output {n}: max abs {:e}, {} mismatches", c.max_abs, c.mismatches);
    }
}

#[test]
fn fused_kernels_match_the_interpreter() {
    let mut cases = vec![fused_chain()];
    // Tiled path: full tiles, edge rows/cols, several K blocks (K = 700), transposed B.
    // Wide B (rows of 4 KiB or more, several row tiles): packed into panels per K block and
    // column chunk, with a partial last panel and several chunks.
    for (m, k, n, tb) in [(9, 40, 35, false), (17, 700, 70, true), (1, 64, 48, false), (19, 700, 3001, false), (10, 300, 1500, true)] {
        cases.push(matmul_fused(m, k, n, tb));
    }
    // Generic path (N smaller than a vector).
    cases.push(matmul_fused(5, 7, 3, false));
    // im2col GEMM, depthwise, pointwise GEMM; residual of y's shape; a spatial-only operand.
    cases.push(conv_fused(8, 16, 1, 3, None));
    cases.push(conv_fused(8, 8, 8, 3, None));
    cases.push(conv_fused(8, 16, 1, 1, Some(&[1, 16, 10, 9])));
    cases.push(conv_fused(8, 8, 8, 3, Some(&[1, 8, 10, 9])));
    cases.push(conv_fused(8, 16, 1, 1, Some(&[10, 1])));
    for target in ["host", "cortex-a76", "rv64gcv"] {
        if !require_toolchain(target, "fused kernels") {
            continue;
        }
        for (g, ins) in &cases {
            check(g, ins, target);
        }
    }
}

/// The f32 tanh (Cephes' tanhf in plain arith, so epilogues and elementwise loops vectorize)
/// and the activations built on it agree with the interpreter's f64 tanh to within a few ulp,
/// across both branches (|x| ≤ 0.625 and above), tiny and huge values, ±inf and NaN.
#[test]
fn tanh_family_matches_the_interpreter_closely() {
    let mut xs: Vec<f32> = (0..=2400).map(|i| -12.0 + i as f32 * 0.01).collect();
    xs.extend([0.0, -0.0, 1e-30, -1e-30, 1e-7, -3e-4, 0.625, -0.625, 0.6250001, 44.0, 100.0, -1e30, f32::INFINITY, f32::NEG_INFINITY, f32::NAN]);
    let n = xs.len();
    let ops = [UnaryOp::Tanh, UnaryOp::Gelu { tanh: true }, UnaryOp::Mish];
    for target in ["host", "cortex-a76", "rv64gcv"] {
        if !require_toolchain(target, "tanh family") {
            continue;
        }
        for op in &ops {
            let mut g = Graph::new("th");
            let x = g.add_input("x", TensorType::fixed(DType::F32, &[n]));
            let y = g.add_node("y", Op::Unary(op.clone()), &[Some(x)], vec![TensorType::fixed(DType::F32, &[n])]).unwrap();
            g.add_output("y", ValueId::new(y, 0)).unwrap();
            let ins = vec![("x".to_string(), Tensor::from_vec(&[n], xs.clone()).unwrap())];
            let want = interp::run(&g, &ins).unwrap();
            let p = native::profile(target).unwrap();
            let got = native::compile_and_run(&g, &p, "k", &ins).unwrap_or_else(|e| panic!("{target} {op:?}: {e}"));
            let c = compare(&got[0].1, &want[0].1, Tolerance { atol: 1e-7, rtol: 1e-6 });
            if !c.passed() {
                let (gv, wv) = (got[0].1.to_f64_vec(), want[0].1.to_f64_vec());
                let mut worst: Vec<(f64, usize)> = (0..n).map(|i| (((gv[i] - wv[i]).abs() / wv[i].abs().max(1e-30)), i)).filter(|p| p.0.is_finite()).collect();
                worst.sort_by(|a, b| b.0.total_cmp(&a.0));
                for &(r, i) in worst.iter().take(5) {
                    eprintln!("{target} {op:?}: x = {}: got {}, want {} (rel {r:e})", xs[i], gv[i], wv[i]);
                }
            }
            assert!(c.passed(), "{target} {op:?}: max abs {:e}, max rel {:e}, {} mismatches", c.max_abs, c.max_rel, c.mismatches);
        }
    }
}
