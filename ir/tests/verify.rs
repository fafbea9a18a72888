//! Tests of `ir::verify::verify` and `Graph::topo_order` on bad graphs built with the Graph API:
//! each problem must be reported as an error that names it (and never as a panic).

use ir::verify::verify;
use ir::*;
use std::sync::Arc;

fn f32t(dims: &[usize]) -> TensorType {
    TensorType::fixed(DType::F32, dims)
}

fn relu() -> Op {
    Op::Unary(UnaryOp::Relu)
}

fn graph_error(r: Result<(), IrError>) -> String {
    match r {
        Err(IrError::Graph(m)) => m,
        other => panic!("expected a graph error, got {other:?}"),
    }
}

/// A graph that only has inputs, constants and outputs verifies without any op inference.
fn small() -> (Graph, ValueId, ValueId) {
    let mut g = Graph::new("g");
    let x = g.add_input("x", f32t(&[2]));
    let c = g.add_const("c", Arc::new(Tensor::from_vec(&[2], vec![1.0f32, 2.0]).unwrap()));
    g.add_output("y", x).unwrap();
    g.add_output("k", c).unwrap();
    (g, x, c)
}

#[test]
fn valid_graph_verifies() {
    let (g, _, _) = small();
    verify(&g).unwrap();
}

#[test]
fn cycle_via_set_input() {
    let mut g = Graph::new("g");
    let x = g.add_input("x", f32t(&[2]));
    let a = g.add_node("a", relu(), &[Some(x)], vec![f32t(&[2])]).unwrap();
    let b = g.add_node("b", relu(), &[Some(ValueId::new(a, 0))], vec![f32t(&[2])]).unwrap();
    let c = g.add_node("c", relu(), &[Some(ValueId::new(b, 0))], vec![f32t(&[2])]).unwrap();
    g.add_output("y", ValueId::new(c, 0)).unwrap();
    g.topo_order().unwrap();
    g.set_input(a, 0, Some(ValueId::new(b, 0)));
    // The names come in node order: the cycle (a, b) and what depends on it (c).
    assert_eq!(g.topo_order().unwrap_err(), IrError::Graph("the graph has a cycle through a, b, c".into()));
    assert_eq!(graph_error(verify(&g)), "the graph has a cycle through a, b, c");
}

#[test]
fn self_loop() {
    let mut g = Graph::new("g");
    let x = g.add_input("x", f32t(&[2]));
    let a = g.add_node("a", Op::Binary(BinaryOp::Add), &[Some(x), Some(x)], vec![f32t(&[2])]).unwrap();
    g.set_input(a, 1, Some(ValueId::new(a, 0)));
    assert!(graph_error(verify(&g)).contains("cycle through a"));
}

#[test]
fn duplicate_names() {
    let (mut g, _, _) = small();
    g.add_input("x", f32t(&[3]));
    assert_eq!(graph_error(verify(&g)), "two nodes are named `x`");
    let (mut g, _, _) = small();
    g.add_const("x", Arc::new(Tensor::scalar(1i64)));
    assert_eq!(graph_error(verify(&g)), "two nodes are named `x`");
}

#[test]
fn output_of_removed_node() {
    let (mut g, _, c) = small();
    g.remove_node(c.node);
    assert_eq!(graph_error(verify(&g)), "output `k` refers to a missing value");
}

#[test]
fn output_port_out_of_range() {
    let (mut g, x, _) = small();
    g.outputs_mut().push(("z".into(), ValueId::new(x.node, 1)));
    assert_eq!(graph_error(verify(&g)), "output `z` refers to a missing value");
}

#[test]
fn duplicate_output_names() {
    let (mut g, _, c) = small();
    g.add_output("y", c).unwrap();
    assert_eq!(graph_error(verify(&g)), "two outputs are named `y`");
}

#[test]
fn input_op_that_is_not_a_graph_input() {
    let (mut g, _, _) = small();
    g.add_node("z", Op::Input, &[], vec![f32t(&[1])]).unwrap();
    assert!(graph_error(verify(&g)).contains("node `z` is an input op but not a graph input"));
}

#[test]
fn edge_beyond_input_slots() {
    let (mut g, x, c) = small();
    let a = g.add_node("a", Op::Binary(BinaryOp::Add), &[Some(x), Some(c)], vec![f32t(&[2])]).unwrap();
    g.node_mut(a).num_inputs = 1;
    assert_eq!(graph_error(verify(&g)), "node `a` has an edge into slot 1, beyond its 1 input slots");
}

#[test]
fn input_reads_a_missing_output() {
    // `a` reads output 1 of `x`, then `x` loses that output: an error, not an index panic.
    let (mut g, x, _) = small();
    g.node_mut(x.node).outputs.push(f32t(&[5]));
    g.add_node("a", relu(), &[Some(ValueId::new(x.node, 1))], vec![f32t(&[5])]).unwrap();
    g.node_mut(x.node).outputs.truncate(1);
    assert_eq!(graph_error(verify(&g)), "node `a` input 0 reads output 1 of `x`, which has 1 outputs");
}

#[test]
fn stored_type_disagrees_with_inference() {
    let (mut g, _, c) = small();
    g.node_mut(c.node).outputs = vec![f32t(&[3])];
    assert_eq!(graph_error(verify(&g)), "node `c` output 0 is typed f32[3] but infers to f32[2]");
    g.node_mut(c.node).outputs = vec![TensorType::fixed(DType::I64, &[2])];
    assert!(graph_error(verify(&g)).contains("typed i64[2] but infers to f32[2]"));
    g.node_mut(c.node).outputs = vec![f32t(&[2]), f32t(&[2])];
    assert_eq!(graph_error(verify(&g)), "node `c` declares 2 outputs but its op gives 1");
}

#[test]
fn topo_order_follows_edges_not_insertion() {
    let mut g = Graph::new("g");
    // `b` is created before its input exists, then connected.
    let b = g.add_node("b", relu(), &[None], vec![f32t(&[2])]).unwrap();
    let x = g.add_input("x", f32t(&[2]));
    let a = g.add_node("a", relu(), &[Some(x)], vec![f32t(&[2])]).unwrap();
    g.set_input(b, 0, Some(ValueId::new(a, 0)));
    let order: Vec<&str> = g.topo_order().unwrap().into_iter().map(|id| g.node(id).name.as_str()).collect();
    assert_eq!(order, ["x", "a", "b"]);
}

#[test]
fn topo_order_is_deterministic_and_skips_removed_nodes() {
    let mut g = Graph::new("g");
    let x = g.add_input("x", f32t(&[2]));
    let a = g.add_node("a", relu(), &[Some(x)], vec![f32t(&[2])]).unwrap();
    let dead = g.add_node("dead", relu(), &[Some(x)], vec![f32t(&[2])]).unwrap();
    let b = g.add_node("b", relu(), &[Some(x)], vec![f32t(&[2])]).unwrap();
    let v = |id| Some(ValueId::new(id, 0));
    g.add_node("c", Op::Binary(BinaryOp::Add), &[v(b), v(a)], vec![f32t(&[2])]).unwrap();
    g.remove_node(dead);
    for _ in 0..3 {
        let order: Vec<&str> = g.topo_order().unwrap().into_iter().map(|id| g.node(id).name.as_str()).collect();
        assert_eq!(order, ["x", "a", "b", "c"]);
    }
}
