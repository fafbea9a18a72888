//! Compiled window ops against the reference interpreter: random Conv geometries (1-D/2-D/3-D,
//! groups including depthwise, strides, dilations, explicit and automatic pads, bias) that reach
//! every f32 kernel shape (pointwise GEMM, im2col GEMM, depthwise phase planes, the generic
//! loop nest), plus fixed cases of ConvTranspose, pooling (max with indices, average, Lp, ceil
//! mode) and Resize. Host runs more cases; cortex-a76 and rv64gcv run a few under qemu.
//! PROPTEST_CASES=N overrides the number of random convolutions per target.

use edgec::compare::{compare, Tolerance};
use ir::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use testsuite::native::{self, require_toolchain};

/// Deterministic values uniform in [-1, 1).
fn values(n: usize, seed: &mut u64) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *seed ^= *seed >> 12;
            *seed ^= *seed << 25;
            *seed ^= *seed >> 27;
            let r = seed.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40;
            (r as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// A one-node graph: input `x` of `xs`, constants, the op; outputs named y0, y1…
fn one_node(op: Op, xs: &[usize], consts: Vec<Option<Tensor>>, seed: u64) -> Result<(Graph, Vec<(String, Tensor)>), String> {
    let mut g = Graph::new("w");
    let mut s = seed | 1;
    let x = g.add_input("x", TensorType::fixed(DType::F32, xs));
    let xt = Tensor::from_vec(xs, values(xs.iter().product(), &mut s)).map_err(|e| e.to_string())?;
    let mut ins = vec![Some(x)];
    for (i, c) in consts.into_iter().enumerate() {
        ins.push(c.map(|t| g.add_const(format!("c{i}"), t)));
    }
    let id = g.add_node("n", op, &ins, vec![TensorType::fixed(DType::F32, &[])]).map_err(|e| e.to_string())?;
    let types = ir::infer::infer_node(&g, id).map_err(|e| format!("inference: {e}"))?;
    let outs = types.len();
    g.node_mut(id).outputs = types;
    for p in 0..outs {
        g.add_output(format!("y{p}"), ValueId::new(id, p as u32)).map_err(|e| e.to_string())?;
    }
    ir::verify::verify(&g).map_err(|e| format!("graph does not verify: {e}"))?;
    Ok((g, vec![("x".into(), xt)]))
}

fn f32s(shape: &[usize], seed: &mut u64) -> Tensor {
    Tensor::from_vec(shape, values(shape.iter().product(), seed)).expect("tensor")
}

/// Compile and run on `target`; outputs must match the interpreter within 1e-4 of their scale.
fn check(g: &Graph, inputs: &[(String, Tensor)], profile: &targets::Profile) -> Result<(), String> {
    let text = || ir::text::print(g, ir::text::PrintOptions { elide_above: Some(8) });
    let want = ir::interp::run(g, inputs).map_err(|e| format!("interpreter: {e}\n{}", text()))?;
    let got = native::compile_and_run(g, profile, "win", inputs).map_err(|e| format!("{}: {e}\n{}", profile.name, text()))?;
    if got.len() != want.len() {
        return Err(format!("{} outputs, expected {}", got.len(), want.len()));
    }
    for ((name, w), (_, c)) in want.iter().zip(&got) {
        let scale = w.to_f64_vec().into_iter().filter(|x| x.is_finite()).fold(1.0f64, |m, x| m.max(x.abs()));
        let cmp = compare(c, w, Tolerance { atol: 1e-4 * scale, rtol: 1e-4 });
        if !cmp.passed() {
            return Err(format!(
                "{}: output {name}: {} {} of {} elements off, max abs {:.3e}\n{}",
                profile.name,
                cmp.structural.unwrap_or_default(),
                cmp.mismatches,
                w.len(),
                cmp.max_abs,
                text()
            ));
        }
    }
    Ok(())
}

/// A random valid Conv (graph and input) from proptest's choices.
fn random_conv(c: &[u64]) -> Result<(Graph, Vec<(String, Tensor)>), String> {
    let mut i = 0;
    let mut next = |n: u64| {
        let v = c.get(i).copied().unwrap_or(0) % n.max(1);
        i += 1;
        v as usize
    };
    let nd = [2, 2, 2, 1, 3][next(5)];
    let batch = 1 + next(2);
    let group_kind = next(3); // 0: 1, 1: depthwise, 2: two groups
    let cg = 1 + next(4);
    let group = match group_kind {
        0 => 1,
        1 => 2 + next(6),
        _ => 2,
    };
    let cg = if group_kind == 1 { 1 } else { cg };
    let c_in = cg * group;
    let m = group * (1 + next(if group_kind == 1 { 2 } else { 9 }));
    let mut kernel = vec![];
    let mut strides = vec![];
    let mut dil = vec![];
    let mut pads = vec![0; 2 * nd];
    let mut img = vec![];
    let big = if nd == 3 { 6 } else { 24 };
    for d in 0..nd {
        let k = 1 + next(if nd == 3 { 3 } else { 5 });
        let s = 1 + next(3);
        let dl = 1 + next(2) * next(2);
        let ext = (k - 1) * dl + 1;
        let pb = next(k as u64);
        let pe = next(k as u64);
        pads[d] = pb;
        pads[nd + d] = pe;
        let size = (ext.saturating_sub(pb + pe)).max(1) + next(big);
        kernel.push(k);
        strides.push(s);
        dil.push(dl);
        img.push(size);
    }
    let auto_pad = match next(8) {
        0 => AutoPad::SameUpper,
        1 => AutoPad::SameLower,
        _ => AutoPad::NotSet,
    };
    if auto_pad != AutoPad::NotSet {
        pads = vec![];
    }
    let mut xs = vec![batch, c_in];
    xs.extend(&img);
    let mut ws = vec![m, cg];
    ws.extend(&kernel);
    let mut seed = 0x1234_5678 ^ c.first().copied().unwrap_or(7);
    let w = f32s(&ws, &mut seed);
    let bias = (next(2) == 1).then(|| f32s(&[m], &mut seed));
    let attrs = ConvAttrs { kernel_shape: kernel, strides, dilations: dil, pads, auto_pad, group };
    one_node(Op::Conv(attrs), &xs, vec![Some(w), bias], seed)
}

fn run_random_convs(target: &str, cases: u32) {
    if !require_toolchain(target, "compiled window-op tests") {
        return;
    }
    let profile = native::profile(target).expect("profile");
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(cases);
    let mut runner = TestRunner::new(Config { cases, max_shrink_iters: 32, ..Config::default() });
    let result = runner.run(&prop::collection::vec(any::<u64>(), 40), |c| {
        let (g, inputs) = random_conv(&c).map_err(TestCaseError::fail)?;
        check(&g, &inputs, &profile).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{target}: {e}");
    }
}

fn conv_attrs(k: &[usize], s: &[usize], pads: &[usize], group: usize) -> ConvAttrs {
    ConvAttrs {
        kernel_shape: k.to_vec(),
        strides: s.to_vec(),
        dilations: vec![1; k.len()],
        pads: pads.to_vec(),
        auto_pad: AutoPad::NotSet,
        group,
    }
}

fn pool(kind: PoolKind, k: &[usize], s: &[usize], pads: &[usize], ceil: bool, idx: bool) -> Op {
    Op::Pool(PoolAttrs {
        kind,
        kernel_shape: k.to_vec(),
        strides: s.to_vec(),
        dilations: vec![],
        pads: pads.to_vec(),
        auto_pad: AutoPad::NotSet,
        ceil_mode: ceil,
        with_indices: idx,
        column_major_indices: false,
    })
}

fn resize(mode: ResizeMode, coord: CoordTransform) -> Op {
    Op::Resize(ResizeAttrs {
        mode,
        coord,
        nearest: NearestMode::RoundPreferFloor,
        cubic_coeff_a: F32(-0.75),
        exclude_outside: false,
        extrapolation_value: F32(0.0),
        antialias: false,
        keep_aspect: KeepAspect::Stretch,
        axes: None,
    })
}

/// A named graph with its inputs.
type Case = (&'static str, Graph, Vec<(String, Tensor)>);

/// Fixed cases: the mobilenet-like conv shapes and the other window ops.
fn fixed_cases() -> Vec<Case> {
    let mut s = 99u64;
    let mut v = vec![];
    let mut add = |name: &'static str, r: Result<(Graph, Vec<(String, Tensor)>), String>| {
        let (g, i) = r.unwrap_or_else(|e| panic!("{name}: {e}"));
        v.push((name, g, i));
    };
    add("pointwise", one_node(Op::Conv(conv_attrs(&[1, 1], &[1, 1], &[0; 4], 1)), &[1, 24, 9, 13], vec![Some(f32s(&[40, 24, 1, 1], &mut s)), Some(f32s(&[40], &mut s))], 1));
    add("first_conv", one_node(Op::Conv(conv_attrs(&[3, 3], &[2, 2], &[1; 4], 1)), &[1, 3, 33, 35], vec![Some(f32s(&[16, 3, 3, 3], &mut s)), Some(f32s(&[16], &mut s))], 2));
    add("depthwise_s1", one_node(Op::Conv(conv_attrs(&[3, 3], &[1, 1], &[1; 4], 12)), &[1, 12, 19, 37], vec![Some(f32s(&[12, 1, 3, 3], &mut s)), Some(f32s(&[12], &mut s))], 3));
    add("depthwise_s2", one_node(Op::Conv(conv_attrs(&[3, 3], &[2, 2], &[1; 4], 12)), &[1, 12, 40, 75], vec![Some(f32s(&[12, 1, 3, 3], &mut s)), None], 4));
    let mut ct = ConvTransposeAttrs { conv: conv_attrs(&[3, 3], &[2, 2], &[1, 0, 1, 2], 2), output_padding: vec![1, 0], output_shape: None };
    ct.conv.dilations = vec![1, 2];
    add("conv_transpose", one_node(Op::ConvTranspose(ct), &[1, 4, 5, 6], vec![Some(f32s(&[4, 3, 3, 3], &mut s)), Some(f32s(&[6], &mut s))], 5));
    add("maxpool_indices_ceil", one_node(pool(PoolKind::Max, &[3, 3], &[2, 2], &[0, 1, 1, 0], true, true), &[2, 3, 11, 12], vec![], 6));
    add("avgpool_include_pad", one_node(pool(PoolKind::Avg { count_include_pad: true }, &[3, 2], &[2, 1], &[1, 1, 1, 0], false, false), &[1, 2, 9, 8], vec![], 7));
    add("avgpool_exclude_pad_3d", one_node(pool(PoolKind::Avg { count_include_pad: false }, &[2, 3, 2], &[1, 2, 2], &[1, 1, 0, 0, 1, 1], true, false), &[1, 2, 5, 7, 6], vec![], 8));
    add("lppool3", one_node(pool(PoolKind::Lp { p: 3 }, &[2, 2], &[1, 1], &[0; 4], false, false), &[1, 3, 6, 5], vec![], 9));
    let scales = |v: Vec<f32>| Some(Tensor::from_vec(&[v.len()], v).expect("scales"));
    add("resize_linear", one_node(resize(ResizeMode::Linear, CoordTransform::HalfPixel), &[1, 2, 5, 7], vec![None, scales(vec![1.0, 1.0, 2.0, 1.5])], 10));
    add("resize_cubic_down", one_node(resize(ResizeMode::Cubic, CoordTransform::AlignCorners), &[1, 1, 9, 8], vec![None, scales(vec![1.0, 1.0, 0.5, 0.75])], 11));
    add("resize_nearest", one_node(resize(ResizeMode::Nearest, CoordTransform::Asymmetric), &[1, 3, 4, 5], vec![None, scales(vec![1.0, 1.0, 2.0, 3.0])], 12));
    v
}

fn run_fixed(target: &str) {
    if !require_toolchain(target, "compiled window-op tests") {
        return;
    }
    let profile = native::profile(target).expect("profile");
    let failures: Vec<String> =
        fixed_cases().into_iter().filter_map(|(name, g, i)| check(&g, &i, &profile).err().map(|e| format!("{name}: {e}"))).collect();
    assert!(failures.is_empty(), "{} of the fixed cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn random_convs_host() {
    run_random_convs("host", 40);
}

#[test]
fn fixed_window_ops_host() {
    run_fixed("host");
}

#[test]
fn random_convs_cortex_a76() {
    run_random_convs("cortex-a76", 6);
}

#[test]
fn fixed_window_ops_cortex_a76() {
    run_fixed("cortex-a76");
}

#[test]
fn random_convs_rv64gcv() {
    run_random_convs("rv64gcv", 6);
}

/// The generator reaches every kernel shape: depthwise, grouped and plain convolutions, 1-D to
/// 3-D, with and without bias and automatic pads.
#[test]
fn random_conv_generator_is_varied() {
    let mut runner = TestRunner::deterministic();
    let (mut depthwise, mut grouped, mut plain, mut ranks) = (0, 0, 0, std::collections::BTreeSet::new());
    for _ in 0..300 {
        let c = prop::collection::vec(any::<u64>(), 40).new_tree(&mut runner).expect("tree").current();
        let (g, _) = random_conv(&c).expect("valid conv");
        let id = g.node_ids().into_iter().find(|&id| matches!(g.node(id).op, Op::Conv(_))).expect("conv node");
        let Op::Conv(a) = &g.node(id).op else { unreachable!() };
        let x = g.value_type(g.node_inputs(id)[0].expect("x")).static_shape().expect("static");
        ranks.insert(x.len());
        match (a.group, x[1] / a.group) {
            (1, _) => plain += 1,
            (_, 1) => depthwise += 1,
            _ => grouped += 1,
        }
    }
    assert!(depthwise > 20 && grouped > 20 && plain > 20, "depthwise {depthwise}, grouped {grouped}, plain {plain}");
    assert_eq!(ranks.into_iter().collect::<Vec<_>>(), vec![3, 4, 5]);
}
