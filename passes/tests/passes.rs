//! Pass behaviour the filetests (testsuite/filetests/) cannot show: counters, nodes left alone
//! when evaluation fails, re-inferred types, and the summaries used by `edgec inspect`.

use ir::Graph;
use passes::PassContext;

fn profile() -> targets::Profile {
    targets::Profile::builtin("cortex-a76").expect("built-in profile")
}

fn parse(s: &str) -> Graph {
    ir::text::parse(s).expect("parse")
}

fn run(pass: &str, g: &mut Graph) -> passes::PassStats {
    let p = profile();
    let stats = passes::lookup(pass).unwrap().run(g, &PassContext::new(&p)).expect("pass");
    ir::verify::verify(g).expect("verified after the pass");
    stats
}

#[test]
fn canonicalize_counts_each_rule() {
    let mut g = parse(
        "graph g(%x: f32[2,3]) {
           %c = cast(%x) {to = f32, saturate = true} : f32[2,3]
           %t = transpose(%c) {perm = [1, 0]} : f32[3,2]
           %u = transpose(%t) {perm = [1, 0]} : f32[2,3]
           %y = unary.relu(%u) : f32[2,3]
           return %y
         }",
    );
    let s = run("canonicalize", &mut g);
    assert_eq!(s.get("no-op cast"), 1, "{s}");
    assert_eq!(s.get("merged transpose"), 1, "{s}");
    assert_eq!(s.get("no-op transpose"), 1, "{s}");
    assert_eq!(g.node_count(), 2, "x and y remain:\n{}", ir::text::print(&g, Default::default()));
    // A second run finds nothing.
    assert!(!run("canonicalize", &mut g).changed());
}

#[test]
fn constant_fold_leaves_unevaluable_nodes() {
    // The index is out of range: inference accepts it, evaluation does not. The node stays
    // (whatever runs it reports the error with the node's name) and the pass says why.
    let mut g = parse(
        "graph g(%x: f32[3]) {
           %d = const f32[3] dense<[1.0, 2.0, 3.0]>
           %i = const i64[1] dense<[7]>
           %bad = gather(%d, %i) {axis = 0} : f32[1]
           %y = binary.add(%x, %bad) : f32[3]
           return %y
         }",
    );
    let s = run("constant-fold", &mut g);
    assert!(!s.changed(), "{s}");
    assert_eq!(s.get("not evaluable"), 1, "{s}");
    assert!(g.find_node("bad").is_some());
}

#[test]
fn constant_fold_refines_downstream_types() {
    // The reshape's target shape is computed; once folded, the reshape infers a static type.
    let mut g = parse(
        "graph g(%x: f32[6]) {
           %a = const i64[1] dense<[2]>
           %b = const i64[1] dense<[3]>
           %sh = concat(%a, %b) {axis = 0} : i64[2]
           %r = reshape(%x, %sh) {allowzero = false} : f32[p,q]
           return %r
         }",
    );
    assert_eq!(run("constant-fold", &mut g).get("folded"), 1);
    let r = g.find_node("r").unwrap();
    assert_eq!(g.node(r).outputs[0], ir::TensorType::fixed(ir::DType::F32, &[2, 3]));
}

#[test]
fn cse_merges_equal_constants_then_their_users() {
    let mut g = parse(
        "graph g(%x: f32[2]) {
           %k1 = const f32[] dense<[3.0]>
           %k2 = const f32[] dense<[3.0]>
           %a = binary.mul(%x, %k1) : f32[2]
           %b = binary.mul(%x, %k2) : f32[2]
           %y = binary.sub(%a, %b) : f32[2]
           return %y
         }",
    );
    let s = run("cse", &mut g);
    assert_eq!(s.get("merged"), 2, "one constant and one mul: {s}");
    let y = g.find_node("y").unwrap();
    let ins = g.node_inputs(y);
    assert_eq!(ins[0], ins[1]);
}

#[test]
fn summaries_count_ops_and_list_fused_contents() {
    let g = parse(
        "graph g(%x: f32[2,4], %w: f32[4,3], %bias: f32[3]) {
           %m = matmul_fused(%x, %w, %bias) {trans_a = false, trans_b = false, epilogue = [binary.add(in0, in1), unary.relu(s0)]} : f32[2,3]
           %f = fused(%m) {steps = [unary.neg(in0), unary.exp(s0)]} : f32[2,3]
           %y = unary.relu(%f) : f32[2,3]
           return %y
         }",
    );
    let h = passes::summary::op_histogram(&g);
    assert_eq!(h.get("input"), Some(&3));
    assert_eq!(h.get("unary.relu"), Some(&1));
    assert_eq!(h.get("matmul_fused"), Some(&1));
    let f = passes::summary::fused_nodes(&g);
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].node.as_str(), f[0].op.as_str()), ("m", "matmul_fused"));
    assert_eq!(f[0].inner, ["matmul", "binary.add", "unary.relu"]);
    assert_eq!(f[1].inner, ["unary.neg", "unary.exp"]);
}
