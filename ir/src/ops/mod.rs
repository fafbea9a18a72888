//! Per-op semantics: type/shape inference and reference evaluation, routed by op family.
//!
//! Each family module exposes
//! `infer(op, &[Option<&TensorType>], &[Option<&Tensor>]) -> OpResult<Vec<TensorType>>` — the second
//! slice holds the constant value of an input when it is known at compile time — and
//! `eval(op, &[Option<&Tensor>]) -> OpResult<Vec<Tensor>>`.
//! Inference returns `Dim::Sym("?")` for a size it cannot know (data-dependent); the graph-level
//! inference gives each such dim a fresh name.

use crate::{Op, OpResult, Tensor, TensorType};

pub mod attention;
pub mod conv;
pub mod elementwise;
pub mod fused;
pub mod index;
pub mod linalg;
pub mod norm;
pub mod quant;
pub mod reduce;
pub mod resize;
pub mod rnn;
pub mod shape_ops;
pub mod util;

/// Which family module implements `op`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Family {
    Source,
    Elementwise,
    Linalg,
    Conv,
    Reduce,
    Norm,
    Quant,
    ShapeOps,
    Index,
    Resize,
    Rnn,
    Attention,
    Fused,
}

fn family(op: &Op) -> Family {
    use Op::*;
    match op {
        Input | Const(_) => Family::Source,
        Unary(_) | Binary(_) | Where | Clip | Cast { .. } => Family::Elementwise,
        MatMul { .. } | MatMulInteger | Einsum { .. } | Det => Family::Linalg,
        Conv(_) | ConvInteger(_) | ConvTranspose(_) | Pool(_) | Col2Im { .. } => Family::Conv,
        Reduce { .. } | ArgReduce { .. } | Softmax { .. } | CumSum { .. } | CumProd { .. } | TopK { .. } => {
            Family::Reduce
        }
        BatchNorm { .. } | LayerNorm { .. } | RmsNorm { .. } | InstanceNorm { .. } | GroupNorm { .. }
        | LpNorm { .. } | Lrn { .. } => Family::Norm,
        QuantizeLinear { .. } | DequantizeLinear { .. } => Family::Quant,
        Reshape { .. } | Transpose { .. } | Squeeze | Unsqueeze | Flatten { .. } | Concat { .. } | Split { .. }
        | Slice | Expand | Tile | Pad { .. } | Shape { .. } | Size | ConstantOfShape { .. } | Range
        | EyeLike { .. } | Trilu { .. } | DepthToSpace { .. } | SpaceToDepth { .. } => Family::ShapeOps,
        Gather { .. } | GatherElements { .. } | GatherNd { .. } | ScatterElements { .. } | ScatterNd { .. }
        | OneHot { .. } | NonZero | Compress { .. } | Unique { .. } | ReverseSequence { .. } => Family::Index,
        Resize(_) | GridSample { .. } => Family::Resize,
        Rnn(_) => Family::Rnn,
        Attention(_) | RotaryEmbedding { .. } => Family::Attention,
        Fused(_) | MatMulFused { .. } | ConvFused { .. } => Family::Fused,
    }
}

/// Output types of `op` applied to inputs of these types (and, where known, constant values).
pub fn infer(op: &Op, inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    match family(op) {
        Family::Source => match op {
            Op::Const(t) => Ok(vec![t.ty()]),
            _ => Err(crate::OpError::Invalid("graph inputs have no inference rule".into())),
        },
        Family::Elementwise => elementwise::infer(op, inputs, consts),
        Family::Linalg => linalg::infer(op, inputs, consts),
        Family::Conv => conv::infer(op, inputs, consts),
        Family::Reduce => reduce::infer(op, inputs, consts),
        Family::Norm => norm::infer(op, inputs, consts),
        Family::Quant => quant::infer(op, inputs, consts),
        Family::ShapeOps => shape_ops::infer(op, inputs, consts),
        Family::Index => index::infer(op, inputs, consts),
        Family::Resize => resize::infer(op, inputs, consts),
        Family::Rnn => rnn::infer(op, inputs, consts),
        Family::Attention => attention::infer(op, inputs, consts),
        Family::Fused => fused::infer(op, inputs, consts),
    }
}

/// Evaluate `op` on concrete inputs (the reference semantics).
pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    match family(op) {
        Family::Source => match op {
            Op::Const(t) => Ok(vec![(**t).clone()]),
            _ => Err(crate::OpError::Invalid("graph inputs are bound by the caller".into())),
        },
        Family::Elementwise => elementwise::eval(op, inputs),
        Family::Linalg => linalg::eval(op, inputs),
        Family::Conv => conv::eval(op, inputs),
        Family::Reduce => reduce::eval(op, inputs),
        Family::Norm => norm::eval(op, inputs),
        Family::Quant => quant::eval(op, inputs),
        Family::ShapeOps => shape_ops::eval(op, inputs),
        Family::Index => index::eval(op, inputs),
        Family::Resize => resize::eval(op, inputs),
        Family::Rnn => rnn::eval(op, inputs),
        Family::Attention => attention::eval(op, inputs),
        Family::Fused => fused::eval(op, inputs),
    }
}
