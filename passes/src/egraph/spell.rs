//! How rule files spell e-graph ops: short snake_case tokens for the IR ops rules use (`add`,
//! `matmul_tb`, `softmax`, `rms_norm`…), numbers for f32 scalar literals, `absent` for an empty
//! optional slot, and the meta functions. Any other IR op prints as its canonical text form.

use super::irop::canonical;
use super::lang::{EOp, IrOp, MetaOp};
use ir::{AttentionAttrs, AutoPad, BinaryOp, ConvAttrs, DType, Op, ReduceKind, SoftmaxKind, UnaryOp, F32};
use std::collections::HashMap;
use std::sync::OnceLock;

const NO_ATTN_SCALE: Option<F32> = None;

/// Every op token with the op it stands for (single-output).
fn table() -> Vec<(&'static str, Op)> {
    use BinaryOp as B;
    use UnaryOp as U;
    let mut t: Vec<(&'static str, Op)> = vec![
        ("add", Op::Binary(B::Add)),
        ("sub", Op::Binary(B::Sub)),
        ("mul", Op::Binary(B::Mul)),
        ("div", Op::Binary(B::Div)),
        ("pow", Op::Binary(B::Pow)),
        ("max", Op::Binary(B::Max)),
        ("min", Op::Binary(B::Min)),
        ("silu", Op::Unary(U::Swish { alpha: F32(1.0) })),
        ("gelu", Op::Unary(U::Gelu { tanh: false })),
        ("gelu_tanh", Op::Unary(U::Gelu { tanh: true })),
        ("matmul", Op::MatMul { trans_a: false, trans_b: false }),
        ("matmul_ta", Op::MatMul { trans_a: true, trans_b: false }),
        ("matmul_tb", Op::MatMul { trans_a: false, trans_b: true }),
        ("matmul_tab", Op::MatMul { trans_a: true, trans_b: true }),
        ("transpose", Op::Transpose { perm: vec![] }),
        ("reshape", Op::Reshape { allowzero: false }),
        ("squeeze", Op::Squeeze),
        ("unsqueeze", Op::Unsqueeze),
        ("expand", Op::Expand),
        ("where", Op::Where),
        ("clip", Op::Clip),
        ("gather", Op::Gather { axis: 0 }),
        ("shape", Op::Shape { start: 0, end: None }),
        ("cast_f32", Op::Cast { to: DType::F32, saturate: true }),
        ("softmax", Op::Softmax { kind: SoftmaxKind::Softmax, axis: -1 }),
        ("reduce_mean", Op::Reduce { kind: ReduceKind::Mean, keepdims: true, noop_with_empty_axes: false }),
        ("reduce_sum", Op::Reduce { kind: ReduceKind::Sum, keepdims: true, noop_with_empty_axes: false }),
        ("rms_norm", Op::RmsNorm { axis: -1, epsilon: F32(0.0) }),
        ("layer_norm", Op::LayerNorm { axis: -1, epsilon: F32(0.0) }),
        (
            "attention",
            Op::Attention(AttentionAttrs { scale: NO_ATTN_SCALE, causal: false, softcap: F32(0.0) }),
        ),
        (
            "attention_causal",
            Op::Attention(AttentionAttrs { scale: NO_ATTN_SCALE, causal: true, softcap: F32(0.0) }),
        ),
    ];
    // Fixed-attribute convolutions for rule examples (rules cannot bind Conv's attributes).
    let conv = |k: usize, pad: usize| {
        Op::Conv(ConvAttrs {
            kernel_shape: vec![k, k],
            strides: vec![1, 1],
            dilations: vec![1, 1],
            pads: vec![pad; 4],
            auto_pad: AutoPad::NotSet,
            group: 1,
        })
    };
    t.push(("conv1x1", conv(1, 0)));
    t.push(("conv3x3", conv(3, 1)));
    t.push(("batch_norm", Op::BatchNorm { epsilon: F32(1e-5) }));
    let unary = [
        ("abs", U::Abs),
        ("neg", U::Neg),
        ("exp", U::Exp),
        ("log", U::Log),
        ("sqrt", U::Sqrt),
        ("reciprocal", U::Reciprocal),
        ("relu", U::Relu),
        ("sigmoid", U::Sigmoid),
        ("tanh", U::Tanh),
        ("erf", U::Erf),
        ("softplus", U::Softplus),
        ("hard_swish", U::HardSwish),
        ("sin", U::Sin),
        ("cos", U::Cos),
    ];
    t.extend(unary.into_iter().map(|(n, u)| (n, Op::Unary(u))));
    t
}

const META: &[(&str, MetaOp)] = &[("perm_swap_last", MetaOp::PermSwapLast)];

struct Tables {
    by_token: HashMap<&'static str, IrOp>,
    by_key: HashMap<String, &'static str>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut by_token = HashMap::new();
        let mut by_key = HashMap::new();
        for (name, op) in table() {
            let ir = IrOp::new(canonical(op), 1);
            by_key.insert(ir.key().to_string(), name);
            by_token.insert(name, ir);
        }
        Tables { by_token, by_key }
    })
}

/// The op a rule-file token names.
pub fn parse_token(tok: &str) -> Result<EOp, String> {
    if tok == "absent" {
        return Ok(EOp::Absent);
    }
    if let Some((_, m)) = META.iter().find(|(n, _)| *n == tok) {
        return Ok(EOp::Meta(*m));
    }
    if let Some(op) = tables().by_token.get(tok) {
        return Ok(EOp::Ir(op.clone()));
    }
    if tok.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.') {
        if let Ok(v) = tok.parse::<f32>() {
            return Ok(EOp::Lit(v.to_bits()));
        }
    }
    Err(format!("unknown op `{tok}` in a rule pattern; known: absent, numbers, {}, {}", 
        META.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        {
            let mut v: Vec<&str> = tables().by_token.keys().copied().collect();
            v.sort();
            v.join(", ")
        }))
}

/// How an op prints: its token when it has one, else its canonical IR text.
pub fn token(op: &EOp) -> String {
    match op {
        EOp::Input(i) => format!("input#{i}"),
        EOp::Const(i) => format!("const#{i}"),
        EOp::Lit(b) => format!("{:?}", f32::from_bits(*b)),
        EOp::Absent => "absent".into(),
        EOp::Get(p) => format!("get#{p}"),
        EOp::Meta(m) => META.iter().find(|(_, x)| x == m).map(|(n, _)| n.to_string()).unwrap_or_default(),
        EOp::Ir(o) => match (o.outputs(), tables().by_key.get(o.key())) {
            (1, Some(n)) => n.to_string(),
            _ => format!("{{{}}}", o.key()),
        },
    }
}
