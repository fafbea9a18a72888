//! The e-graph optimizer on the shared models (../shared/models; skipped when absent): the
//! expected fusions appear (one Attention per layer, norms, GELU/SiLU, epilogues, Conv+Clip)
//! and the optimized graph still matches the reference outputs under the interpreter.

use edgec::compare::{compare, Tolerance};
use edgec::onnx::{load_model, ImportOptions};
use ir::{FusedExpr, FusedStep, Graph, Op, UnaryOp};
use passes::egraph::{optimize, EgraphOptions, EgraphStats};
use std::collections::BTreeMap;
use std::path::PathBuf;
use testsuite::conformance::read_numbered;

fn models_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/models");
    d.is_dir().then_some(d)
}

/// Op histogram by text-form name (`attention`, `matmul_fused`, `unary.gelu`…).
fn histogram(g: &Graph) -> BTreeMap<String, usize> {
    let mut h = BTreeMap::new();
    for id in g.node_ids() {
        *h.entry(ir::text::op_name(&g.node(id).op)).or_default() += 1;
    }
    h
}

fn count(g: &Graph, f: impl Fn(&Op) -> bool) -> usize {
    g.node_ids().into_iter().filter(|&id| f(&g.node(id).op)).count()
}

fn has_unary(e: &FusedExpr, f: impl Fn(&UnaryOp) -> bool) -> bool {
    e.steps.iter().any(|s| matches!(s, FusedStep::Unary(u, _) if f(u)))
}

fn epilogue(op: &Op) -> Option<&FusedExpr> {
    match op {
        Op::MatMulFused { epilogue, .. } | Op::ConvFused { epilogue, .. } => Some(epilogue),
        _ => None,
    }
}

/// Optimize one model, check it against its reference outputs, return the graph.
fn run_model(dir: &std::path::Path, name: &str) -> Graph {
    run_model_with(dir, name, &EgraphOptions::default()).0
}

fn run_model_with(dir: &std::path::Path, name: &str, eopts: &EgraphOptions) -> (Graph, EgraphStats) {
    let m = dir.join(name);
    let data = m.join("test_data_set_0");
    let inputs = read_numbered(&data, "input").unwrap_or_else(|e| panic!("{name}: {e}"));
    let expected = read_numbered(&data, "output").unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut opts = ImportOptions::default();
    for (n, t) in &inputs {
        opts.input_shapes.insert(n.clone(), t.shape().to_vec());
    }
    let mut g = load_model(&m.join("model.onnx"), &opts).unwrap_or_else(|e| panic!("{name}: {e}")).graph;
    let profile = targets::Profile::builtin("cortex-a76").expect("profile");
    let stats = optimize(&mut g, &profile, eopts).unwrap_or_else(|e| panic!("{name}: {e}"));
    eprintln!("== {name}\n{stats}\n{:?}", histogram(&g));
    if std::env::var("EGRAPH_DUMP").is_ok_and(|v| v == name) {
        eprintln!("{}", ir::text::print(&g, ir::text::PrintOptions { elide_above: Some(8) }));
    }
    assert_eq!(stats.rejected, 0, "{name}: a rule produced an ill-typed term");
    let got = ir::interp::run(&g, &inputs).unwrap_or_else(|e| panic!("{name}: run: {e}"));
    for ((oname, y), (_, want)) in got.iter().zip(&expected) {
        let c = compare(y, want, Tolerance::MODEL);
        assert!(c.passed(), "{name}: output {oname}: max abs {:.3e} max rel {:.3e}", c.max_abs, c.max_rel);
    }
    (g, stats)
}

#[test]
fn optimized_models_fuse_and_match_reference_outputs() {
    let Some(dir) = models_dir() else {
        eprintln!("SKIPPED: ../shared/models not found beside the checkout");
        return;
    };
    // llama_mini: 4 layers, 9 RMSNorms, SwiGLU in the gate projection's epilogue.
    let g = run_model(&dir, "llama_mini");
    assert_eq!(count(&g, |o| matches!(o, Op::Attention(a) if a.causal)), 4, "one causal Attention per layer");
    assert_eq!(count(&g, |o| matches!(o, Op::Softmax { .. })), 0);
    assert_eq!(count(&g, |o| matches!(o, Op::RmsNorm { .. })), 9);
    // SiLU(gate)·up: the SiLU in an epilogue, the product with up in the same or the up
    // projection's epilogue; nothing elementwise left outside a fused kernel.
    let swish = |o: &Op| epilogue(o).is_some_and(|e| has_unary(e, |u| matches!(u, UnaryOp::Swish { .. })));
    assert_eq!(count(&g, swish), 4, "SiLU in the gate projection's epilogue");
    assert_eq!(count(&g, |o| matches!(o, Op::Binary(_) | Op::Unary(UnaryOp::Sigmoid | UnaryOp::Swish { .. }))), 0);
    assert!(count(&g, |o| matches!(o, Op::MatMulFused { .. })) >= 12, "residual adds and SwiGLU in epilogues");

    // bert_tiny and gpt2_mini: Attention, LayerNorm, GELU.
    for (name, layers, norms, tanh) in [("bert_tiny", 2, 5, false), ("gpt2_mini", 4, 9, true)] {
        let g = run_model(&dir, name);
        assert_eq!(count(&g, |o| matches!(o, Op::Attention(_))), layers, "{name}: one Attention per layer");
        assert_eq!(count(&g, |o| matches!(o, Op::Softmax { .. })), 0, "{name}");
        assert_eq!(count(&g, |o| matches!(o, Op::LayerNorm { .. })), norms, "{name}");
        let gelu = |o: &Op| epilogue(o).is_some_and(|e| has_unary(e, |u| *u == UnaryOp::Gelu { tanh }));
        assert_eq!(count(&g, gelu), layers, "{name}: GELU in the FFN matmul's epilogue");
        assert_eq!(count(&g, |o| matches!(o, Op::Unary(UnaryOp::Erf | UnaryOp::Tanh))), 0, "{name}");
    }

    // mobilenet_v2: every Conv + Clip (ReLU6) is one ConvFused.
    let g = run_model(&dir, "mobilenet_v2");
    assert_eq!(count(&g, |o| matches!(o, Op::Clip)), 0, "mobilenet_v2: every Clip fused");
    let relu6 = |o: &Op| matches!(o, Op::ConvFused { epilogue, .. } if epilogue.steps.len() >= 3);
    assert_eq!(count(&g, relu6), 35, "mobilenet_v2: Conv + bias + Clip");

    for name in ["mlp", "attention", "squeezenet1_1"] {
        run_model(&dir, name);
    }
}

/// The exact extractor: never worse than the greedy one, and the results still match.
#[test]
fn ilp_extraction_matches_reference_outputs() {
    let Some(dir) = models_dir() else {
        eprintln!("SKIPPED: ../shared/models not found beside the checkout");
        return;
    };
    let opts = EgraphOptions {
        extractor: passes::egraph::ExtractorKind::Ilp,
        ilp_time_limit: std::time::Duration::from_secs(2),
        ..Default::default()
    };
    for name in ["mlp", "attention", "bert_tiny", "llama_mini"] {
        let (_, stats) = run_model_with(&dir, name, &opts);
        assert_eq!(stats.ilp.len(), 2, "{name}: one ILP solve per stage");
        for r in &stats.ilp {
            assert!(r.cost <= r.warm_cost, "{name}: the ILP result is worse than its warm start");
        }
    }
}
