//! Tests of the reduction / softmax / normalisation kernels' MLIR: it parses and verifies, has
//! the structure the performance notes promise, and unsupported dtypes are reported as such.
//! (End-to-end numerics are covered by the ONNX conformance suite.)

use super::{lower, KernelTarget};
use crate::CodegenError;
use ir::{DType, Graph, NodeId, Op, SoftmaxKind, Tensor, TensorType, F32};
use melior::dialect::DialectRegistry;
use melior::ir::operation::OperationLike;
use melior::ir::Module;
use melior::utility::register_all_dialects;

fn target() -> KernelTarget {
    KernelTarget { f32_lanes: 8, vector_registers: 16, l1_bytes: 32 << 10, l2_bytes: 1 << 20 }
}

/// One node on input `x` (plus constant inputs), with explicit output types.
fn graph(op: Op, x: TensorType, consts: Vec<Tensor>, outs: Vec<TensorType>) -> (Graph, NodeId) {
    let mut g = Graph::new("t");
    let xv = g.add_input("x", x);
    let mut ins = vec![Some(xv)];
    for (i, c) in consts.into_iter().enumerate() {
        ins.push(Some(g.add_const(format!("c{i}"), c)));
    }
    let id = g.add_node("n", op, &ins, outs).unwrap();
    (g, id)
}

/// The kernel text parsed and verified as an MLIR module.
fn parses(text: &str) -> bool {
    let registry = DialectRegistry::new();
    register_all_dialects(&registry);
    let ctx = melior::Context::new();
    ctx.append_dialect_registry(&registry);
    ctx.load_all_available_dialects();
    Module::parse(&ctx, &format!("module {{\n{text}}}\n")).is_some_and(|m| m.as_operation().verify())
}

fn f32s(dims: &[usize]) -> TensorType {
    TensorType::fixed(DType::F32, dims)
}

#[test]
fn softmax_over_the_last_axis_is_valid_mlir_with_contiguous_passes() {
    let op = Op::Softmax { kind: SoftmaxKind::Softmax, axis: -1 };
    let (g, id) = graph(op, f32s(&[4, 33]), vec![], vec![f32s(&[4, 33])]);
    let text = lower(&g, id, "k_softmax", &target(), 0).unwrap();
    assert!(parses(&text), "invalid MLIR:\n{text}");
    assert!(!parses("func.func @bad() {\n  %x = arith.addf\n  return\n}\n"), "the checker must reject bad MLIR");
    // Max (hand-vectorized: 16 lanes, 2 chunks + 1 tail element), sum of exp (the vectorizable
    // f32 exp, f64 adds reassociable), normalise.
    assert!(text.contains("vector.load") && text.contains("arith.maxnumf"), "{text}");
    assert!(!text.contains("math.exp"), "f32 softmax uses fastexp, not libm:\n{text}");
    assert!(text.contains("fastmath<reassoc>"), "{text}");
    let steps = text.matches(" step ").count();
    assert_eq!(steps, 5, "outer loop, vector + tail max loops, sum and normalise passes:\n{text}");
}

#[test]
fn softmax_over_a_middle_axis_uses_arena_rows() {
    let op = Op::Softmax { kind: SoftmaxKind::LogSoftmax, axis: 1 };
    let x = f32s(&[2, 5, 7]);
    let (g, id) = graph(op, x.clone(), vec![], vec![x]);
    let bytes = super::scratch_bytes(&g, id, &target());
    assert_eq!(bytes, 128, "a 7-wide f32 max row and f64 sum row, 64-byte aligned");
    let text = lower(&g, id, "k_logsoftmax", &target(), bytes).unwrap();
    assert!(parses(&text), "invalid MLIR:\n{text}");
    assert!(text.contains("memref.view"), "{text}");
}

#[test]
fn reductions_layernorm_and_scans_are_valid_mlir() {
    let axes = Tensor::from_vec(&[2], vec![0i64, 2]).unwrap();
    let cases: Vec<(Op, TensorType, Vec<Tensor>, Vec<TensorType>)> = vec![
        (
            Op::Reduce { kind: ir::ReduceKind::LogSumExp, keepdims: false, noop_with_empty_axes: false },
            f32s(&[3, 4, 5]),
            vec![axes.clone()],
            vec![f32s(&[4])],
        ),
        (
            Op::Reduce { kind: ir::ReduceKind::Mean, keepdims: true, noop_with_empty_axes: false },
            TensorType::fixed(DType::I64, &[3, 4, 5]),
            vec![Tensor::from_vec(&[1], vec![0i64]).unwrap()],
            vec![TensorType::fixed(DType::I64, &[1, 4, 5])],
        ),
        (
            Op::LayerNorm { axis: -1, epsilon: F32(1e-5) },
            TensorType::fixed(DType::F16, &[2, 8]),
            vec![Tensor::from_vec(&[8], vec![half::f16::ONE; 8]).unwrap()],
            vec![TensorType::fixed(DType::F16, &[2, 8]), f32s(&[2, 1]), f32s(&[2, 1])],
        ),
        (
            Op::CumSum { exclusive: true, reverse: true },
            TensorType::fixed(DType::I32, &[3, 4]),
            vec![Tensor::scalar(1i64)],
            vec![TensorType::fixed(DType::I32, &[3, 4])],
        ),
    ];
    for (op, x, consts, outs) in cases {
        let name = op.name();
        let (g, id) = graph(op, x, consts, outs);
        let bytes = super::scratch_bytes(&g, id, &target());
        let text = lower(&g, id, "k", &target(), bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(parses(&text), "{name}: invalid MLIR:\n{text}");
    }
}

#[test]
fn unsupported_dtypes_are_reported_not_miscompiled() {
    let i32s = TensorType::fixed(DType::I32, &[2, 3]);
    let op = Op::Softmax { kind: SoftmaxKind::Softmax, axis: -1 };
    let (g, id) = graph(op, i32s.clone(), vec![], vec![i32s.clone()]);
    match lower(&g, id, "k", &target(), 0) {
        Err(CodegenError::Unsupported { node, reason, .. }) => {
            assert_eq!(node, "n");
            assert!(reason.contains("int32") || reason.contains("i32"), "{reason}");
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    let bools = TensorType::fixed(DType::Bool, &[2, 3]);
    let op = Op::Reduce { kind: ir::ReduceKind::Sum, keepdims: true, noop_with_empty_axes: false };
    let (g, id) = graph(op, bools, vec![], vec![TensorType::fixed(DType::Bool, &[1, 1])]);
    assert!(matches!(lower(&g, id, "k", &target(), 0), Err(CodegenError::Unsupported { .. })));
    let op = Op::LayerNorm { axis: -1, epsilon: F32(1e-5) };
    let (g, id) = graph(op, i32s.clone(), vec![Tensor::from_vec(&[3], vec![1i32; 3]).unwrap()], vec![i32s]);
    assert!(matches!(lower(&g, id, "k", &target(), 0), Err(CodegenError::Unsupported { .. })));
}
