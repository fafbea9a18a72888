//! The e-graph optimizer on small graphs: conversion to the e-graph and back keeps values,
//! sharing, multi-output nodes, empty optional slots and constant storage; fusion and
//! recognition happen and keep results equal under the interpreter.

use ir::{BinaryOp, DType, Graph, Op, Tensor, TensorType, UnaryOp, ValueId};
use passes::egraph::{optimize, EgraphOptions};
use std::sync::Arc;

/// Add a node with inferred output types.
fn node(g: &mut Graph, name: &str, op: Op, ins: &[Option<ValueId>]) -> ValueId {
    let types: Vec<Option<&TensorType>> = ins.iter().map(|v| v.map(|v| g.value_type(v))).collect();
    let consts: Vec<Option<&Tensor>> = ins.iter().map(|v| v.and_then(|v| g.const_value(v)).map(|t| &**t)).collect();
    let outs = ir::ops::infer(&op, &types, &consts).expect("infer");
    ValueId::new(g.add_node(name, op, ins, outs).expect("add"), 0)
}

fn rand_tensor(shape: &[usize], seed: u64) -> Tensor {
    let mut r = passes::egraph::soundness::Rng::new(seed);
    let n = shape.iter().product();
    Tensor::from_vec(shape, (0..n).map(|_| r.uniform(-1.0, 1.0) as f32).collect()).unwrap()
}

fn run(g: &Graph, inputs: &[(String, Tensor)]) -> Vec<Tensor> {
    ir::interp::run(g, inputs).expect("run").into_iter().map(|(_, t)| t).collect()
}

fn close(a: &[Tensor], b: &[Tensor]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.ty(), y.ty());
        for (p, q) in x.to_f64_vec().iter().zip(y.to_f64_vec()) {
            assert!((p - q).abs() <= 1e-5 + 1e-5 * q.abs(), "{p} vs {q}");
        }
    }
}

fn profile() -> targets::Profile {
    targets::Profile::builtin("cortex-a76").unwrap()
}

fn count(g: &Graph, f: impl Fn(&Op) -> bool) -> usize {
    g.node_ids().into_iter().filter(|&n| f(&g.node(n).op)).count()
}

const ALL_THEMES: [&str; 5] = ["algebra", "activations", "norms", "attention", "fusion"];

#[test]
fn round_trip_without_rules_keeps_the_graph() {
    let mut g = Graph::new("t");
    let x = g.add_input("x", TensorType::fixed(DType::F32, &[4, 6]));
    let w = Arc::new(rand_tensor(&[6, 6], 1));
    let wv = g.add_const("w", w.clone());
    let mm = node(&mut g, "mm", Op::MatMul { trans_a: false, trans_b: false }, &[Some(x), Some(wv)]);
    let split = Tensor::from_vec(&[2], vec![2i64, 4]).unwrap();
    let sv = g.add_const("split", split);
    let types: Vec<TensorType> = vec![TensorType::fixed(DType::F32, &[4, 2]), TensorType::fixed(DType::F32, &[4, 4])];
    let sp = g.add_node("sp", Op::Split { axis: 1, num_outputs: 2 }, &[Some(mm), Some(sv)], types).unwrap();
    let lo = g.add_const("lo", Tensor::scalar(0.0f32));
    // Clip with an empty `min`… slot and a set `max`: (x, None, hi) and (x, lo, None).
    let a = node(&mut g, "a", Op::Clip, &[Some(ValueId::new(sp, 0)), Some(lo), None]);
    let b = node(&mut g, "b", Op::Unary(UnaryOp::Exp), &[Some(ValueId::new(sp, 1))]);
    // `b` is shared by two consumers and an output.
    let c = node(&mut g, "c", Op::Binary(BinaryOp::Mul), &[Some(b), Some(b)]);
    g.add_output("a", a).unwrap();
    g.add_output("b", b).unwrap();
    g.add_output("c", c).unwrap();
    let inputs = vec![("x".to_string(), rand_tensor(&[4, 6], 2))];
    let before = run(&g, &inputs);
    let n = g.node_count();
    let opts = EgraphOptions { disabled: ALL_THEMES.iter().map(|s| s.to_string()).collect(), ..Default::default() };
    let stats = optimize(&mut g, &profile(), &opts).expect("optimize");
    assert_eq!(g.node_count(), n, "{}", ir::text::print(&g, Default::default()));
    assert_eq!((stats.nodes_before, stats.nodes_after), (n, n));
    assert!(stats.applied.is_empty());
    close(&run(&g, &inputs), &before);
    // Names and constant storage survive.
    let w2 = g.find_node("w").expect("w kept");
    assert!(matches!(&g.node(w2).op, Op::Const(t) if Arc::ptr_eq(t, &w)), "the weight was copied");
    assert!(g.find_node("sp").is_some() && g.find_node("c").is_some());
    assert_eq!(count(&g, |o| matches!(o, Op::Unary(UnaryOp::Exp))), 1, "a shared value is computed once");
    let names: Vec<&str> = g.outputs().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
}

#[test]
fn gemm_bias_relu_becomes_one_matmul_fused() {
    let mut g = Graph::new("t");
    let x = g.add_input("x", TensorType::fixed(DType::F32, &[8, 16]));
    let w = g.add_const("w", rand_tensor(&[16, 32], 3));
    let bias = g.add_const("b", rand_tensor(&[32], 4));
    let mm = node(&mut g, "mm", Op::MatMul { trans_a: false, trans_b: false }, &[Some(x), Some(w)]);
    let add = node(&mut g, "add", Op::Binary(BinaryOp::Add), &[Some(mm), Some(bias)]);
    let r = node(&mut g, "relu", Op::Unary(UnaryOp::Relu), &[Some(add)]);
    g.add_output("y", r).unwrap();
    let inputs = vec![("x".to_string(), rand_tensor(&[8, 16], 5))];
    let before = run(&g, &inputs);
    let stats = optimize(&mut g, &profile(), &EgraphOptions::default()).expect("optimize");
    assert_eq!(count(&g, |o| matches!(o, Op::MatMulFused { epilogue, .. } if epilogue.steps.len() == 2)), 1);
    assert_eq!(count(&g, |o| matches!(o, Op::Binary(_) | Op::Unary(_) | Op::MatMul { .. })), 0);
    assert!(stats.cost_after < stats.cost_before, "{stats}");
    assert!(stats.applied.get("fuse-epilogue").is_some_and(|&n| n >= 2), "{stats}");
    close(&run(&g, &inputs), &before);
    // The fused node keeps the name of the value it computes.
    assert!(g.find_node("relu").is_some());
}

#[test]
fn a_value_used_twice_is_not_fused_into_both_users() {
    // t = exp(x) feeds two consumers: fusing it into each would compute it twice.
    let mut g = Graph::new("t");
    let x = g.add_input("x", TensorType::fixed(DType::F32, &[64, 64]));
    let t = node(&mut g, "t", Op::Unary(UnaryOp::Exp), &[Some(x)]);
    let a = node(&mut g, "a", Op::Unary(UnaryOp::Neg), &[Some(t)]);
    let b = node(&mut g, "b", Op::Unary(UnaryOp::Tanh), &[Some(t)]);
    let s = node(&mut g, "s", Op::Binary(BinaryOp::Add), &[Some(a), Some(b)]);
    g.add_output("s", s).unwrap();
    let inputs = vec![("x".to_string(), rand_tensor(&[64, 64], 6))];
    let before = run(&g, &inputs);
    optimize(&mut g, &profile(), &EgraphOptions::default()).expect("optimize");
    close(&run(&g, &inputs), &before);
    let exps: usize = g
        .node_ids()
        .into_iter()
        .map(|n| match &g.node(n).op {
            Op::Unary(UnaryOp::Exp) => 1,
            Op::Fused(e) => e.steps.iter().filter(|s| matches!(s, ir::FusedStep::Unary(UnaryOp::Exp, _))).count(),
            _ => 0,
        })
        .sum();
    assert_eq!(exps, 1, "{}", ir::text::print(&g, Default::default()));
    // neg, tanh and add are one kernel reading t.
    assert_eq!(count(&g, |o| matches!(o, Op::Fused(e) if e.steps.len() == 3)), 1, "{}", ir::text::print(&g, Default::default()));
}

#[test]
fn attention_from_explicit_ops_with_transposed_keys() {
    // softmax(q · transpose(k, [0,1,3,2]) / 8) · v, the BERT/GPT-2 export form.
    let mut g = Graph::new("t");
    let ty = TensorType::fixed(DType::F32, &[1, 2, 5, 4]);
    let (q, k, v) = (g.add_input("q", ty.clone()), g.add_input("k", ty.clone()), g.add_input("v", ty));
    let kt = node(&mut g, "kt", Op::Transpose { perm: vec![0, 1, 3, 2] }, &[Some(k)]);
    let s = node(&mut g, "s", Op::MatMul { trans_a: false, trans_b: false }, &[Some(q), Some(kt)]);
    let c = g.add_const("c", Tensor::scalar(8.0f32));
    let d = node(&mut g, "d", Op::Binary(BinaryOp::Div), &[Some(s), Some(c)]);
    let p = node(&mut g, "p", Op::Softmax { kind: ir::SoftmaxKind::Softmax, axis: 3 }, &[Some(d)]);
    let o = node(&mut g, "o", Op::MatMul { trans_a: false, trans_b: false }, &[Some(p), Some(v)]);
    g.add_output("o", o).unwrap();
    let inputs: Vec<(String, Tensor)> =
        ["q", "k", "v"].iter().enumerate().map(|(i, n)| (n.to_string(), rand_tensor(&[1, 2, 5, 4], 10 + i as u64))).collect();
    let before = run(&g, &inputs);
    optimize(&mut g, &profile(), &EgraphOptions::default()).expect("optimize");
    close(&run(&g, &inputs), &before);
    let attn: Vec<_> = g.node_ids().into_iter().filter(|&n| matches!(g.node(n).op, Op::Attention(_))).collect();
    assert_eq!(attn.len(), 1, "{}", ir::text::print(&g, Default::default()));
    assert!(matches!(&g.node(attn[0]).op, Op::Attention(a) if a.scale.is_some_and(|s| s.0 == 0.125) && !a.causal));
    assert_eq!(g.node_count(), 4, "q, k, v, the attention and nothing else");
}

#[test]
fn rule_selection_and_statistics() {
    let mut g = Graph::new("t");
    let x = g.add_input("x", TensorType::fixed(DType::F32, &[3, 5]));
    let sig = node(&mut g, "sig", Op::Unary(UnaryOp::Sigmoid), &[Some(x)]);
    let y = node(&mut g, "y", Op::Binary(BinaryOp::Mul), &[Some(x), Some(sig)]);
    g.add_output("y", y).unwrap();
    let mut h = g.clone();
    let opts = EgraphOptions { disabled: vec!["silu".into(), "fusion".into()], ..Default::default() };
    let stats = optimize(&mut g, &profile(), &opts).expect("optimize");
    assert!(!stats.applied.contains_key("silu"));
    assert_eq!(count(&g, |o| matches!(o, Op::Unary(UnaryOp::Swish { .. }))), 0);
    let stats = optimize(&mut h, &profile(), &EgraphOptions::default()).expect("optimize");
    assert_eq!(stats.applied.get("silu"), Some(&1));
    assert_eq!(count(&h, |o| matches!(o, Op::Unary(UnaryOp::Swish { .. }))), 1);
    let text = stats.to_string();
    for part in ["3 -> 2 nodes", "iterations", "e-nodes", "silu 1", "est."] {
        assert!(text.contains(part), "`{part}` missing from:\n{text}");
    }
}

#[test]
fn symbolic_dims_and_pass_through_outputs() {
    use ir::Dim;
    let mut g = Graph::new("t");
    let x = g.add_input("x", TensorType::new(DType::F32, vec![Dim::Sym("batch".into()), Dim::Static(8)]));
    g.add_input("unused", TensorType::fixed(DType::F32, &[2]));
    let w = g.add_const("w", rand_tensor(&[8, 4], 7));
    let b = g.add_const("b", rand_tensor(&[4], 8));
    let mm = node(&mut g, "mm", Op::MatMul { trans_a: false, trans_b: false }, &[Some(x), Some(w)]);
    let add = node(&mut g, "add", Op::Binary(BinaryOp::Add), &[Some(mm), Some(b)]);
    let y = node(&mut g, "y", Op::Unary(UnaryOp::Tanh), &[Some(add)]);
    g.add_output("y", y).unwrap();
    g.add_output("x_again", x).unwrap();
    g.add_output("w_out", w).unwrap();
    let inputs = vec![("x".to_string(), rand_tensor(&[3, 8], 9)), ("unused".to_string(), rand_tensor(&[2], 1))];
    let before = run(&g, &inputs);
    optimize(&mut g, &profile(), &EgraphOptions::default()).expect("optimize");
    ir::verify::verify(&g).expect("valid");
    assert_eq!(g.inputs().len(), 2, "unused inputs are kept");
    assert_eq!(g.value_type(g.outputs()[0].1).dims[0], Dim::Sym("batch".into()));
    assert_eq!(count(&g, |o| matches!(o, Op::MatMulFused { .. })), 1);
    close(&run(&g, &inputs), &before);
}
