//! Op mapping: older opset forms import to the same IR as the newest form, and decompositions
//! (Gemm, Softmax < 13, Sum/Mean, MVN, losses, …) compute what ONNX defines (checked with the
//! reference interpreter against hand-computed values).

#[path = "import_helpers.rs"]
mod helpers;

use edgec::onnx::proto::*;
use edgec::onnx::ImportOptions;
use helpers::*;
use ir::{BinaryOp, DType, Dim, Op, ReduceKind, Tensor};

fn t32(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape, v.to_vec()).unwrap()
}

fn iota(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    t32(shape, &(0..n).map(|i| i as f32).collect::<Vec<_>>())
}

fn close(a: &Tensor, b: &Tensor) {
    assert_eq!(a.shape(), b.shape(), "{a:?} vs {b:?}");
    for (x, y) in a.to_f64_vec().iter().zip(b.to_f64_vec()) {
        assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}

/// Both models import to the same IR (with and without folding) and give the same values.
fn same_ir(a: &ModelProto, b: &ModelProto, inputs: &[(&str, Tensor)]) -> Vec<Tensor> {
    for opts in [no_fold(), ImportOptions::default()] {
        let ma = load_with(a, &opts).unwrap_or_else(|e| panic!("old form: {e}"));
        let mb = load_with(b, &opts).unwrap_or_else(|e| panic!("new form: {e}"));
        assert_eq!(signature(&ma.graph), signature(&mb.graph), "fold = {}", opts.fold);
    }
    let ma = load(a).unwrap();
    let mb = load(b).unwrap();
    let (ra, rb) = (run(&ma, inputs), run(&mb, inputs));
    assert_eq!(ra, rb);
    ra
}

fn unary_model(opset: i64, n: NodeProto, x: &[i64], y: &[i64], inits: Vec<TensorProto>) -> ModelProto {
    model(opset, vec![n], vec![vi("x", FLOAT, x)], vec![vi("y", FLOAT, y)], inits)
}

#[test]
fn squeeze_attr_and_input_forms() {
    let old = unary_model(11, attr_ints(node("Squeeze", &["x"], &["y"]), "axes", &[0, 2]), &[1, 3, 1, 2], &[3, 2], vec![]);
    let new = unary_model(13, node("Squeeze", &["x", "axes"], &["y"]), &[1, 3, 1, 2], &[3, 2], vec![i64_tensor("axes", &[2], &[0, 2])]);
    let y = same_ir(&old, &new, &[("x", iota(&[1, 3, 1, 2]))]);
    assert_eq!(y[0], iota(&[3, 2]));
}

#[test]
fn unsqueeze_attr_and_input_forms() {
    let old = unary_model(11, attr_ints(node("Unsqueeze", &["x"], &["y"]), "axes", &[0, 3]), &[3, 2], &[1, 3, 2, 1], vec![]);
    let new = unary_model(13, node("Unsqueeze", &["x", "axes"], &["y"]), &[3, 2], &[1, 3, 2, 1], vec![i64_tensor("axes", &[2], &[0, 3])]);
    let y = same_ir(&old, &new, &[("x", iota(&[3, 2]))]);
    assert_eq!(y[0], iota(&[1, 3, 2, 1]));
}

#[test]
fn reshape_attr_and_input_forms() {
    let old = unary_model(1, attr_ints(node("Reshape", &["x"], &["y"]), "shape", &[3, -1]), &[2, 3], &[3, 2], vec![]);
    let new = unary_model(14, node("Reshape", &["x", "s"], &["y"]), &[2, 3], &[3, 2], vec![i64_tensor("s", &[2], &[3, -1])]);
    let y = same_ir(&old, &new, &[("x", iota(&[2, 3]))]);
    assert_eq!(y[0], iota(&[3, 2]));
}

#[test]
fn slice_attr_and_input_forms() {
    let n = attr_ints(attr_ints(attr_ints(node("Slice", &["x"], &["y"]), "starts", &[1]), "ends", &[3]), "axes", &[1]);
    let old = unary_model(9, n, &[2, 4], &[2, 2], vec![]);
    let new = unary_model(
        13,
        node("Slice", &["x", "s", "e", "a"], &["y"]),
        &[2, 4],
        &[2, 2],
        vec![i64_tensor("s", &[1], &[1]), i64_tensor("e", &[1], &[3]), i64_tensor("a", &[1], &[1])],
    );
    let y = same_ir(&old, &new, &[("x", iota(&[2, 4]))]);
    assert_eq!(y[0], t32(&[2, 2], &[1.0, 2.0, 5.0, 6.0]));
}

#[test]
fn pad_attr_and_input_forms() {
    let n = attr_f(attr_ints(node("Pad", &["x"], &["y"]), "pads", &[0, 1, 0, 2]), "value", 9.0);
    let old = unary_model(2, n, &[1, 2], &[1, 5], vec![]);
    let new = unary_model(13, node("Pad", &["x", "p", "v"], &["y"]), &[1, 2], &[1, 5], vec![i64_tensor("p", &[4], &[0, 1, 0, 2]), f32_tensor("v", &[], &[9.0])]);
    let y = same_ir(&old, &new, &[("x", t32(&[1, 2], &[1.0, 2.0]))]);
    assert_eq!(y[0], t32(&[1, 5], &[9.0, 1.0, 2.0, 9.0, 9.0]));
}

#[test]
fn clip_attr_and_input_forms() {
    let n = attr_f(attr_f(node("Clip", &["x"], &["y"]), "min", -1.0), "max", 2.0);
    let old = unary_model(6, n, &[4], &[4], vec![]);
    let new = unary_model(13, node("Clip", &["x", "lo", "hi"], &["y"]), &[4], &[4], vec![f32_tensor("lo", &[], &[-1.0]), f32_tensor("hi", &[], &[2.0])]);
    let y = same_ir(&old, &new, &[("x", t32(&[4], &[-3.0, 0.5, 1.5, 7.0]))]);
    assert_eq!(y[0], t32(&[4], &[-1.0, 0.5, 1.5, 2.0]));
    // Only max: the min slot stays empty.
    let old = unary_model(6, attr_f(node("Clip", &["x"], &["y"]), "max", 2.0), &[4], &[4], vec![]);
    let new = unary_model(13, node("Clip", &["x", "", "hi"], &["y"]), &[4], &[4], vec![f32_tensor("hi", &[], &[2.0])]);
    same_ir(&old, &new, &[("x", t32(&[4], &[-3.0, 0.5, 1.5, 7.0]))]);
}

#[test]
fn topk_attr_and_input_forms() {
    let outs = vec![vi("v", FLOAT, &[2]), vi("i", INT64, &[2])];
    let old = model(1, vec![attr_i(node("TopK", &["x"], &["v", "i"]), "k", 2)], vec![vi("x", FLOAT, &[4])], outs.clone(), vec![]);
    let new = model(11, vec![node("TopK", &["x", "k"], &["v", "i"])], vec![vi("x", FLOAT, &[4])], outs, vec![i64_tensor("k", &[1], &[2])]);
    let y = same_ir(&old, &new, &[("x", t32(&[4], &[3.0, 9.0, 1.0, 5.0]))]);
    assert_eq!(y[0], t32(&[2], &[9.0, 5.0]));
    assert_eq!(y[1], Tensor::from_vec(&[2], vec![1i64, 3]).unwrap());
}

#[test]
fn reduce_attr_and_input_forms() {
    let old = unary_model(11, attr_ints(node("ReduceSum", &["x"], &["y"]), "axes", &[1]), &[2, 3], &[2, 1], vec![]);
    let new = unary_model(13, node("ReduceSum", &["x", "a"], &["y"]), &[2, 3], &[2, 1], vec![i64_tensor("a", &[1], &[1])]);
    let y = same_ir(&old, &new, &[("x", iota(&[2, 3]))]);
    assert_eq!(y[0], t32(&[2, 1], &[3.0, 12.0]));
    let old = unary_model(13, attr_i(attr_ints(node("ReduceMean", &["x"], &["y"]), "axes", &[0]), "keepdims", 0), &[2, 3], &[3], vec![]);
    let new = unary_model(18, attr_i(node("ReduceMean", &["x", "a"], &["y"]), "keepdims", 0), &[2, 3], &[3], vec![i64_tensor("a", &[1], &[0])]);
    let y = same_ir(&old, &new, &[("x", iota(&[2, 3]))]);
    assert_eq!(y[0], t32(&[3], &[1.5, 2.5, 3.5]));
}

#[test]
fn split_forms() {
    let outs = vec![vi("a", FLOAT, &[2, 1]), vi("b", FLOAT, &[2, 3])];
    let ins = vec![vi("x", FLOAT, &[2, 4])];
    let v11 = model(11, vec![attr_ints(attr_i(node("Split", &["x"], &["a", "b"]), "axis", 1), "split", &[1, 3])], ins.clone(), outs.clone(), vec![]);
    let v13 = model(13, vec![attr_i(node("Split", &["x", "s"], &["a", "b"]), "axis", 1)], ins.clone(), outs, vec![i64_tensor("s", &[2], &[1, 3])]);
    let y = same_ir(&v11, &v13, &[("x", iota(&[2, 4]))]);
    assert_eq!(y[0], t32(&[2, 1], &[0.0, 4.0]));
    // Equal split: attribute-free v11 and num_outputs of v18.
    let outs = vec![vi("a", FLOAT, &[2, 2]), vi("b", FLOAT, &[2, 2])];
    let v11 = model(11, vec![attr_i(node("Split", &["x"], &["a", "b"]), "axis", 1)], ins.clone(), outs.clone(), vec![]);
    let v18 = model(18, vec![attr_i(attr_i(node("Split", &["x"], &["a", "b"]), "axis", 1), "num_outputs", 2)], ins.clone(), outs.clone(), vec![]);
    let y = same_ir(&v11, &v18, &[("x", iota(&[2, 4]))]);
    assert_eq!(y[1], t32(&[2, 2], &[2.0, 3.0, 6.0, 7.0]));
    // num_outputs that disagrees with the outputs is an error naming the node.
    let bad = model(18, vec![named(attr_i(node("Split", &["x"], &["a", "b"]), "num_outputs", 3), "sp")], ins, outs, vec![]);
    let e = err_of(load(&bad));
    assert!(e.contains("sp") && e.contains("num_outputs"), "{e}");
}

/// Softmax-11 with axis=1 on a rank-3 input normalises over the flattened dims 1 and 2.
#[test]
fn softmax_coerced_to_2d_before_opset_13() {
    let m = unary_model(11, attr_i(node("Softmax", &["x"], &["y"]), "axis", 1), &[2, 2, 2], &[2, 2, 2], vec![]);
    let x = t32(&[2, 2, 2], &[0.0, 1.0, 2.0, 3.0, 1.0, 1.0, 1.0, 1.0]);
    let y = run(&load(&m).unwrap(), &[("x", x)]);
    let e: Vec<f32> = [0.0f32, 1.0, 2.0, 3.0].iter().map(|v| v.exp()).collect();
    let s: f32 = e.iter().sum();
    let mut want: Vec<f32> = e.iter().map(|v| v / s).collect();
    want.extend([0.25f32; 4]);
    close(&y[0], &t32(&[2, 2, 2], &want));
    // The same model at opset 13 normalises over axis 1 only: different values.
    let m13 = unary_model(13, attr_i(node("Softmax", &["x"], &["y"]), "axis", 1), &[2, 2, 2], &[2, 2, 2], vec![]);
    let y13 = run(&load(&m13).unwrap(), &[("x", t32(&[2, 2, 2], &[0.0, 1.0, 2.0, 3.0, 1.0, 1.0, 1.0, 1.0]))]);
    assert_ne!(y13[0], y[0]);
    // On the last axis both forms are one Softmax node.
    let last = unary_model(11, attr_i(node("LogSoftmax", &["x"], &["y"]), "axis", 2), &[2, 2, 2], &[2, 2, 2], vec![]);
    let g = load_with(&last, &no_fold()).unwrap().graph;
    assert_eq!(count_ops(&g, "softmax"), 1);
    assert_eq!(count_ops(&g, "reshape"), 0);
}

#[test]
fn gemm_decomposition() {
    let n = attr_i(attr_f(attr_f(named(node("Gemm", &["a", "b", "c"], &["y"]), "gemm"), "alpha", 2.0), "beta", 0.5), "transB", 1);
    let m = model(
        13,
        vec![n],
        vec![vi("a", FLOAT, &[2, 3]), vi("b", FLOAT, &[4, 3]), vi("c", FLOAT, &[4])],
        vec![vi("y", FLOAT, &[2, 4])],
        vec![],
    );
    let im = load_with(&m, &no_fold()).unwrap();
    let g = &im.graph;
    let ops: Vec<&Op> = g.node_ids().iter().map(|&i| &g.node(i).op).collect();
    assert!(ops.contains(&&Op::MatMul { trans_a: false, trans_b: true }), "{ops:?}");
    assert_eq!(ops.iter().filter(|o| ***o == Op::Binary(BinaryOp::Mul)).count(), 2);
    assert_eq!(ops.iter().filter(|o| ***o == Op::Binary(BinaryOp::Add)).count(), 1);
    // The node producing the output keeps the ONNX name.
    let (_, out) = &g.outputs()[0];
    assert_eq!(g.node(out.node).name, "gemm");
    let a = iota(&[2, 3]);
    let b = t32(&[4, 3], &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    let c = t32(&[4], &[10.0, 20.0, 30.0, 40.0]);
    let y = run(&load(&m).unwrap(), &[("a", a), ("b", b), ("c", c)]);
    // a·bᵀ rows: [0,1,2,3] and [3,4,5,12]; ×2, + c/2.
    assert_eq!(y[0], t32(&[2, 4], &[5.0, 12.0, 19.0, 26.0, 11.0, 18.0, 25.0, 44.0]));
    // Plain Gemm is one MatMul.
    let m = model(13, vec![node("Gemm", &["a", "b"], &["y"])], vec![vi("a", FLOAT, &[2, 3]), vi("b", FLOAT, &[3, 4])], vec![vi("y", FLOAT, &[2, 4])], vec![]);
    let g = load_with(&m, &no_fold()).unwrap().graph;
    assert_eq!(count_ops(&g, "matmul"), 1);
    assert_eq!(count_ops(&g, "binary"), 0);
}

#[test]
fn identity_and_dropout_are_rewired() {
    let m = model(
        13,
        vec![node("Identity", &["x"], &["a"]), node("Dropout", &["a"], &["b", "mask"]), node("Relu", &["b"], &["y"])],
        vec![vi("x", FLOAT, &[2, 2])],
        vec![vi("y", FLOAT, &[2, 2]), vi("mask", BOOL, &[2, 2])],
        vec![],
    );
    let im = load(&m).unwrap();
    assert_eq!(count_ops(&im.graph, "unary"), 1);
    let y = run(&im, &[("x", t32(&[2, 2], &[-1.0, 2.0, -3.0, 4.0]))]);
    assert_eq!(y[0], t32(&[2, 2], &[0.0, 2.0, 0.0, 4.0]));
    assert_eq!(y[1], Tensor::from_vec(&[2, 2], vec![true; 4]).unwrap());
    // An output that is just an input under another name.
    let m = model(13, vec![node("Identity", &["x"], &["y"])], vec![vi("x", FLOAT, &[2])], vec![vi("y", FLOAT, &[2])], vec![]);
    let y = run(&load(&m).unwrap(), &[("x", t32(&[2], &[1.0, 2.0]))]);
    assert_eq!(y[0], t32(&[2], &[1.0, 2.0]));
}

#[test]
fn variadic_sum_mean_max() {
    let ins = vec![vi("a", FLOAT, &[2]), vi("b", FLOAT, &[2]), vi("c", FLOAT, &[1])];
    let data = [("a", t32(&[2], &[1.0, 5.0])), ("b", t32(&[2], &[2.0, -1.0])), ("c", t32(&[1], &[6.0]))];
    for (op, want) in [("Sum", [9.0, 10.0]), ("Mean", [3.0, 10.0 / 3.0]), ("Max", [6.0, 6.0]), ("Min", [1.0, -1.0])] {
        let m = model(13, vec![node(op, &["a", "b", "c"], &["y"])], ins.clone(), vec![vi("y", FLOAT, &[2])], vec![]);
        let y = run(&load(&m).unwrap(), &data);
        close(&y[0], &t32(&[2], &want));
    }
    let m = model(13, vec![node("Mean", &["a"], &["y"])], ins, vec![vi("y", FLOAT, &[2])], vec![]);
    let y = run(&load(&m).unwrap(), &data);
    assert_eq!(y[0], t32(&[2], &[1.0, 5.0]));
}

#[test]
fn castlike_casts_to_the_second_input_type() {
    let m = model(15, vec![node("CastLike", &["x", "like"], &["y"])], vec![vi("x", FLOAT, &[3]), vi("like", INT32, &[1])], vec![vi("y", INT32, &[3])], vec![]);
    let im = load_with(&m, &no_fold()).unwrap();
    let g = &im.graph;
    assert!(g.node_ids().iter().any(|&i| matches!(g.node(i).op, Op::Cast { to: DType::I32, .. })));
}

#[test]
fn global_pools_are_reductions() {
    let m = model(13, vec![node("GlobalAveragePool", &["x"], &["y"])], vec![vi("x", FLOAT, &[1, 2, 2, 2])], vec![vi("y", FLOAT, &[1, 2, 1, 1])], vec![]);
    let im = load_with(&m, &no_fold()).unwrap();
    let g = &im.graph;
    assert!(g.node_ids().iter().any(|&i| matches!(g.node(i).op, Op::Reduce { kind: ReduceKind::Mean, keepdims: true, .. })));
    let y = run(&load(&m).unwrap(), &[("x", iota(&[1, 2, 2, 2]))]);
    assert_eq!(y[0], t32(&[1, 2, 1, 1], &[1.5, 5.5]));
    let m = model(13, vec![node("GlobalLpPool", &["x"], &["y"])], vec![vi("x", FLOAT, &[1, 1, 2])], vec![vi("y", FLOAT, &[1, 1, 1])], vec![]);
    let y = run(&load(&m).unwrap(), &[("x", t32(&[1, 1, 2], &[3.0, 4.0]))]);
    close(&y[0], &t32(&[1, 1, 1], &[5.0]));
}

#[test]
fn constant_forms() {
    let cases: Vec<(NodeProto, Tensor)> = vec![
        (attr_f(node("Constant", &[], &["c"]), "value_float", 2.5), Tensor::scalar(2.5f32)),
        (attr_i(node("Constant", &[], &["c"]), "value_int", 7), Tensor::scalar(7i64)),
        (attr_ints(node("Constant", &[], &["c"]), "value_ints", &[1, 2]), Tensor::from_vec(&[2], vec![1i64, 2]).unwrap()),
        (attr_floats(node("Constant", &[], &["c"]), "value_floats", &[0.5]), t32(&[1], &[0.5])),
        (attr_t(node("Constant", &[], &["c"]), "value", f32_raw("", &[2], &[1.0, 2.0])), t32(&[2], &[1.0, 2.0])),
    ];
    for (n, want) in cases {
        let m = model(13, vec![n], vec![], vec![vi_dims("c", 0, None)], vec![]);
        let m = load(&m).unwrap();
        let y = run(&m, &[]);
        assert_eq!(y[0], want);
    }
    let m = model(13, vec![named(attr_s(node("Constant", &[], &["c"]), "value_string", "hi"), "k")], vec![], vec![vi_dims("c", 0, None)], vec![]);
    let e = load(&m).unwrap_err();
    assert!(e.is_unsupported() && e.to_string().contains("`k`"), "{e}");
}

#[test]
fn symbolic_dims_and_input_shapes() {
    let m = model(13, vec![node("Relu", &["x"], &["y"])], vec![vi_sym("x", FLOAT, &["batch", ""])], vec![vi_sym("y", FLOAT, &["batch", ""])], vec![]);
    let im = load(&m).unwrap();
    let g = &im.graph;
    let ty = &g.node(g.inputs()[0]).outputs[0];
    assert_eq!(ty.dims[0], Dim::Sym("batch".into()));
    assert!(matches!(&ty.dims[1], Dim::Sym(s) if s.starts_with('?') && s.len() > 1), "{ty}");
    let mut opts = ImportOptions::default();
    opts.input_shapes.insert("x".into(), vec![3, 4]);
    let im = load_with(&m, &opts).unwrap();
    let (_, out) = &im.graph.outputs()[0];
    assert_eq!(im.graph.value_type(*out), &ir::TensorType::fixed(DType::F32, &[3, 4]));
}

#[test]
fn input_with_initializer_is_a_constant() {
    let m = model(
        13,
        vec![node("Add", &["x", "w"], &["y"])],
        vec![vi("x", FLOAT, &[2]), vi("w", FLOAT, &[2])],
        vec![vi("y", FLOAT, &[2])],
        vec![f32_tensor("w", &[2], &[10.0, 20.0])],
    );
    let im = load(&m).unwrap();
    let names: Vec<&str> = im.graph.inputs().iter().map(|&i| im.graph.node(i).name.as_str()).collect();
    assert_eq!(names, vec!["x"]);
    let y = run(&im, &[("x", t32(&[2], &[1.0, 2.0]))]);
    assert_eq!(y[0], t32(&[2], &[11.0, 22.0]));
}

#[test]
fn conv_kernel_shape_defaults_from_the_weight() {
    let m = model(
        13,
        vec![node("Conv", &["x", "w"], &["y"])],
        vec![vi("x", FLOAT, &[1, 1, 3, 3])],
        vec![vi("y", FLOAT, &[1, 1, 2, 2])],
        vec![f32_tensor("w", &[1, 1, 2, 2], &[1.0, 1.0, 1.0, 1.0])],
    );
    let im = load(&m).unwrap();
    let g = &im.graph;
    let conv = g.node_ids().into_iter().find_map(|i| match &g.node(i).op {
        Op::Conv(a) => Some(a.clone()),
        _ => None,
    });
    let a = conv.expect("a conv");
    assert_eq!((a.kernel_shape, a.strides, a.dilations, a.pads, a.group), (vec![2, 2], vec![1, 1], vec![1, 1], vec![0; 4], 1));
    let y = run(&im, &[("x", iota(&[1, 1, 3, 3]))]);
    assert_eq!(y[0], t32(&[1, 1, 2, 2], &[8.0, 12.0, 20.0, 24.0]));
}

#[test]
fn mean_variance_normalization() {
    let m = model(13, vec![attr_ints(node("MeanVarianceNormalization", &["x"], &["y"]), "axes", &[1])], vec![vi("x", FLOAT, &[1, 4])], vec![vi("y", FLOAT, &[1, 4])], vec![]);
    let y = run(&load(&m).unwrap(), &[("x", t32(&[1, 4], &[1.0, 2.0, 3.0, 4.0]))]);
    // mean 2.5, population std sqrt(1.25).
    let s = 1.25f32.sqrt() + 1e-9;
    close(&y[0], &t32(&[1, 4], &[-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]));
}

#[test]
fn negative_log_likelihood_loss() {
    let x = t32(&[2, 3], &[-1.0, -2.0, -3.0, -4.0, -5.0, -6.0]);
    let target = Tensor::from_vec(&[2], vec![2i64, 0]).unwrap();
    let mk = |reduction: &str, weight: bool, ignore: Option<i64>| {
        let mut n = attr_s(node("NegativeLogLikelihoodLoss", &["x", "t", if weight { "w" } else { "" }], &["y"]), "reduction", reduction);
        if let Some(i) = ignore {
            n = attr_i(n, "ignore_index", i);
        }
        let ins = vec![vi("x", FLOAT, &[2, 3]), vi("t", INT64, &[2])];
        let yshape: &[i64] = if reduction == "none" { &[2] } else { &[] };
        model(13, vec![n], ins, vec![vi("y", FLOAT, yshape)], vec![f32_tensor("w", &[3], &[1.0, 2.0, 0.5])])
    };
    let go = |m: &ModelProto| run(&load(m).unwrap(), &[("x", x.clone()), ("t", target.clone())]).remove(0);
    close(&go(&mk("none", false, None)), &t32(&[2], &[3.0, 4.0]));
    close(&go(&mk("sum", false, None)), &Tensor::scalar(7.0f32));
    close(&go(&mk("mean", false, None)), &Tensor::scalar(3.5f32));
    // Weighted mean: (3·0.5 + 4·1) / (0.5 + 1).
    close(&go(&mk("mean", true, None)), &Tensor::scalar(5.5f32 / 1.5));
    // Ignoring class 0 drops the second sample.
    close(&go(&mk("mean", true, Some(0))), &Tensor::scalar(3.0f32));
    close(&go(&mk("none", false, Some(0))), &t32(&[2], &[3.0, 0.0]));
}

#[test]
fn model_local_functions_are_inlined() {
    let body = vec![
        NodeProto {
            attribute: vec![AttributeProto { name: "alpha".into(), r#type: 1, ref_attr_name: "slope".into(), ..Default::default() }],
            ..node("LeakyRelu", &["inp"], &["t"])
        },
        node("Add", &["t", "inp"], &["out"]),
    ];
    let f = FunctionProto {
        name: "LeakyAdd".into(),
        domain: "my.domain".into(),
        input: vec!["inp".into()],
        output: vec!["out".into()],
        attribute: vec!["slope".into()],
        node: body,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 17 }],
        ..Default::default()
    };
    let mut call = attr_f(node("LeakyAdd", &["x"], &["y"]), "slope", 0.5);
    call.domain = "my.domain".into();
    let mut m = model(17, vec![call], vec![vi("x", FLOAT, &[2])], vec![vi("y", FLOAT, &[2])], vec![]);
    m.opset_import.push(OperatorSetIdProto { domain: "my.domain".into(), version: 1 });
    m.functions.push(f.clone());
    let y = run(&load(&m).unwrap(), &[("x", t32(&[2], &[-2.0, 3.0]))]);
    assert_eq!(y[0], t32(&[2], &[-3.0, 6.0]));
    // A recursive function is an error, not a stack overflow.
    let mut rec = f;
    rec.node = vec![NodeProto { domain: "my.domain".into(), ..node("LeakyAdd", &["inp"], &["out"]) }];
    m.functions = vec![rec];
    let e = err_of(load(&m));
    assert!(e.contains("recursive"), "{e}");
}

#[test]
fn upsample_and_resize_10_use_asymmetric_nearest() {
    let old = model(9, vec![node("Upsample", &["x", "s"], &["y"])], vec![vi("x", FLOAT, &[1, 1, 2])], vec![vi("y", FLOAT, &[1, 1, 4])], vec![f32_tensor("s", &[3], &[1.0, 1.0, 2.0])]);
    let new = model(10, vec![node("Resize", &["x", "s"], &["y"])], vec![vi("x", FLOAT, &[1, 1, 2])], vec![vi("y", FLOAT, &[1, 1, 4])], vec![f32_tensor("s", &[3], &[1.0, 1.0, 2.0])]);
    let y = same_ir(&old, &new, &[("x", t32(&[1, 1, 2], &[1.0, 2.0]))]);
    assert_eq!(y[0], t32(&[1, 1, 4], &[1.0, 1.0, 2.0, 2.0]));
    let v7 = model(7, vec![attr_floats(node("Upsample", &["x"], &["y"]), "scales", &[1.0, 1.0, 2.0])], vec![vi("x", FLOAT, &[1, 1, 2])], vec![vi("y", FLOAT, &[1, 1, 4])], vec![]);
    same_ir(&v7, &new, &[("x", t32(&[1, 1, 2], &[1.0, 2.0]))]);
}

#[test]
fn old_broadcast_with_axis() {
    // Add-6 with broadcast=1, axis=1: B [3] aligns with dim 1 of A [2, 3, 2].
    let n = attr_i(attr_i(node("Add", &["a", "b"], &["y"]), "broadcast", 1), "axis", 1);
    let m = model(6, vec![n], vec![vi("a", FLOAT, &[2, 3, 2]), vi("b", FLOAT, &[3])], vec![vi("y", FLOAT, &[2, 3, 2])], vec![]);
    let y = run(&load(&m).unwrap(), &[("a", Tensor::zeros(DType::F32, &[2, 3, 2]).unwrap()), ("b", t32(&[3], &[1.0, 2.0, 3.0]))]);
    assert_eq!(y[0], t32(&[2, 3, 2], &[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]));
}

#[test]
fn group_norm_18_repeats_per_group_parameters() {
    // Two groups of two channels: scale [2, 3] per group, bias [0, 1].
    let n = attr_i(node("GroupNormalization", &["x", "s", "b"], &["y"]), "num_groups", 2);
    let inits = vec![f32_tensor("s", &[2], &[2.0, 3.0]), f32_tensor("b", &[2], &[0.0, 1.0])];
    let m = model(18, vec![n.clone()], vec![vi("x", FLOAT, &[1, 4, 1])], vec![vi("y", FLOAT, &[1, 4, 1])], inits);
    let x = t32(&[1, 4, 1], &[1.0, 3.0, 5.0, 5.0]);
    let y = run(&load(&m).unwrap(), &[("x", x.clone())]);
    // Group 0: values 1, 3 → ±1 (up to epsilon); group 1: constant → 0.
    let k = 1.0 / (1.0f32 + 1e-5).sqrt();
    close(&y[0], &t32(&[1, 4, 1], &[-2.0 * k, 2.0 * k, 1.0, 1.0]));
    // The same with per-channel parameters at opset 21.
    let inits = vec![f32_tensor("s", &[4], &[2.0, 2.0, 3.0, 3.0]), f32_tensor("b", &[4], &[0.0, 0.0, 1.0, 1.0])];
    let m21 = model(21, vec![n], vec![vi("x", FLOAT, &[1, 4, 1])], vec![vi("y", FLOAT, &[1, 4, 1])], inits);
    assert_eq!(run(&load(&m21).unwrap(), &[("x", x)]), y);
}

#[test]
fn rnn_default_activations() {
    let m = model(
        14,
        vec![attr_s(attr_i(node("LSTM", &["x", "w", "r"], &["", "h"]), "hidden_size", 2), "direction", "bidirectional")],
        vec![vi("x", FLOAT, &[1, 1, 3]), vi("w", FLOAT, &[2, 8, 3]), vi("r", FLOAT, &[2, 8, 2])],
        vec![vi("h", FLOAT, &[2, 1, 2])],
        vec![],
    );
    let im = load(&m).unwrap();
    let g = &im.graph;
    let attrs = g.node_ids().into_iter().find_map(|i| match &g.node(i).op {
        Op::Rnn(a) => Some(a.clone()),
        _ => None,
    });
    let a = attrs.expect("an rnn node");
    use ir::RnnActivation::*;
    assert_eq!(a.activations, vec![Sigmoid, Tanh, Tanh, Sigmoid, Tanh, Tanh]);
    assert_eq!(a.hidden_size, 2);
}
