//! The bundled example models, written as ONNX by our own builder (random, reproducible weights).

use crate::onnx_builder::{attr_float, attr_int, attr_ints, tensor_f32, OnnxBuilder, Rng};
use edgec::onnx::proto::{tensor_proto::DataType, ModelProto, TensorProto};

/// Names of the example models `build` knows.
pub const EXAMPLES: &[&str] = &["tiny-cnn", "tiny-transformer"];

/// Build an example model and one input set for it.
pub fn build(name: &str) -> Option<(ModelProto, Vec<TensorProto>)> {
    match name {
        "tiny-cnn" => Some(tiny_cnn()),
        "tiny-transformer" => Some(tiny_transformer()),
        _ => None,
    }
}

/// A MobileNet-like CNN: conv+relu, maxpool, strided conv+relu6, depthwise conv with a residual,
/// global average pool, classifier, softmax. Input `image` f32[1,3,32,32] → `probs` f32[1,10].
fn tiny_cnn() -> (ModelProto, Vec<TensorProto>) {
    let mut r = Rng::new(0xED6E_C001);
    let mut b = OnnxBuilder::new("tiny_cnn", 17);
    let x = b.input("image", DataType::Float, &[1, 3, 32, 32]);
    let w1 = b.weight("conv1.w", &[8, 3, 3, 3], &r.vec(8 * 27, 0.3));
    let b1 = b.weight("conv1.b", &[8], &r.vec(8, 0.1));
    let c1 = b.node("Conv", &[&x, &w1, &b1], vec![attr_ints("pads", &[1, 1, 1, 1])]);
    let a1 = b.node("Relu", &[&c1], vec![]);
    let p1 = b.node("MaxPool", &[&a1], vec![attr_ints("kernel_shape", &[2, 2]), attr_ints("strides", &[2, 2])]);
    let w2 = b.weight("conv2.w", &[16, 8, 3, 3], &r.vec(16 * 72, 0.2));
    let b2 = b.weight("conv2.b", &[16], &r.vec(16, 0.1));
    let c2 = b.node("Conv", &[&p1, &w2, &b2], vec![attr_ints("pads", &[1, 1, 1, 1]), attr_ints("strides", &[2, 2])]);
    let zero = b.weight("zero", &[], &[0.0]);
    let six = b.weight("six", &[], &[6.0]);
    let a2 = b.node("Clip", &[&c2, &zero, &six], vec![]);
    let w3 = b.weight("dw.w", &[16, 1, 3, 3], &r.vec(16 * 9, 0.3));
    let c3 = b.node("Conv", &[&a2, &w3], vec![attr_ints("pads", &[1, 1, 1, 1]), attr_int("group", 16)]);
    let res = b.node("Add", &[&c3, &a2], vec![]);
    let gap = b.node("GlobalAveragePool", &[&res], vec![]);
    let flat = b.node("Flatten", &[&gap], vec![]);
    let wf = b.weight("fc.w", &[10, 16], &r.vec(160, 0.3));
    let bf = b.weight("fc.b", &[10], &r.vec(10, 0.1));
    let fc = b.node("Gemm", &[&flat, &wf, &bf], vec![attr_int("transB", 1)]);
    let sm = b.node("Softmax", &[&fc], vec![attr_int("axis", 1)]);
    b.output(&sm, "probs", DataType::Float, &[1, 10]);
    let input = tensor_f32("image", &[1, 3, 32, 32], &r.vec(3 * 32 * 32, 1.0));
    (b.build(), vec![input])
}

/// A pre-norm transformer block: LayerNorm, single-head causal self-attention written out as
/// MatMul/Transpose/Softmax with an additive mask, residual, LayerNorm, GELU (erf) MLP, residual.
/// Input `x` f32[1,8,16] → `y` f32[1,8,16].
fn tiny_transformer() -> (ModelProto, Vec<TensorProto>) {
    let (s, d, f) = (8i64, 16i64, 32i64);
    let mut r = Rng::new(0xED6E_C002);
    let mut b = OnnxBuilder::new("tiny_transformer", 17);
    let x = b.input("x", DataType::Float, &[1, s, d]);
    let g1 = b.weight("ln1.g", &[d], &r.vec(d as usize, 0.2).iter().map(|v| v + 1.0).collect::<Vec<_>>());
    let be1 = b.weight("ln1.b", &[d], &r.vec(d as usize, 0.1));
    let n1 = b.node("LayerNormalization", &[&x, &g1, &be1], vec![attr_int("axis", -1), attr_float("epsilon", 1e-5)]);
    let wq = b.weight("wq", &[d, d], &r.vec((d * d) as usize, 0.25));
    let wk = b.weight("wk", &[d, d], &r.vec((d * d) as usize, 0.25));
    let wv = b.weight("wv", &[d, d], &r.vec((d * d) as usize, 0.25));
    let q = b.node("MatMul", &[&n1, &wq], vec![]);
    let k = b.node("MatMul", &[&n1, &wk], vec![]);
    let v = b.node("MatMul", &[&n1, &wv], vec![]);
    let kt = b.node("Transpose", &[&k], vec![attr_ints("perm", &[0, 2, 1])]);
    let sc = b.node("MatMul", &[&q, &kt], vec![]);
    let scale = b.weight("scale", &[], &[1.0 / (d as f32).sqrt()]);
    let scaled = b.node("Mul", &[&sc, &scale], vec![]);
    let mask: Vec<f32> = (0..s * s).map(|i| if i % s > i / s { -1e9 } else { 0.0 }).collect();
    let m = b.weight("causal_mask", &[s, s], &mask);
    let masked = b.node("Add", &[&scaled, &m], vec![]);
    let p = b.node("Softmax", &[&masked], vec![attr_int("axis", -1)]);
    let att = b.node("MatMul", &[&p, &v], vec![]);
    let h = b.node("Add", &[&x, &att], vec![]);
    let g2 = b.weight("ln2.g", &[d], &r.vec(d as usize, 0.2).iter().map(|v| v + 1.0).collect::<Vec<_>>());
    let be2 = b.weight("ln2.b", &[d], &r.vec(d as usize, 0.1));
    let n2 = b.node("LayerNormalization", &[&h, &g2, &be2], vec![attr_int("axis", -1), attr_float("epsilon", 1e-5)]);
    let w1 = b.weight("fc1.w", &[d, f], &r.vec((d * f) as usize, 0.25));
    let b1 = b.weight("fc1.b", &[f], &r.vec(f as usize, 0.1));
    let u = b.node("MatMul", &[&n2, &w1], vec![]);
    let u = b.node("Add", &[&u, &b1], vec![]);
    // GELU(u) = 0.5 * u * (1 + erf(u / sqrt(2))), as PyTorch exports it.
    let sqrt2 = b.weight("sqrt2", &[], &[std::f32::consts::SQRT_2]);
    let one = b.weight("one", &[], &[1.0]);
    let half = b.weight("half", &[], &[0.5]);
    let e = b.node("Div", &[&u, &sqrt2], vec![]);
    let e = b.node("Erf", &[&e], vec![]);
    let e = b.node("Add", &[&e, &one], vec![]);
    let gl = b.node("Mul", &[&u, &e], vec![]);
    let gl = b.node("Mul", &[&gl, &half], vec![]);
    let w2 = b.weight("fc2.w", &[f, d], &r.vec((f * d) as usize, 0.2));
    let b2 = b.weight("fc2.b", &[d], &r.vec(d as usize, 0.1));
    let o = b.node("MatMul", &[&gl, &w2], vec![]);
    let o = b.node("Add", &[&o, &b2], vec![]);
    let y = b.node("Add", &[&h, &o], vec![]);
    b.output(&y, "y", DataType::Float, &[1, s, d]);
    let input = tensor_f32("x", &[1, s, d], &r.vec((s * d) as usize, 1.0));
    (b.build(), vec![input])
}
