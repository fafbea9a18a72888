//! How many input slots and outputs each op takes (from ir/src/op.rs; the parser checks them).

use crate::op::{Op, PoolKind, RnnKind};

/// Input slots `min_inputs..=max_inputs` (None: variadic); the first `min_inputs` slots must be
/// filled (all of them for variadic ops). A node declares at most `max_outputs` outputs (it may
/// declare fewer: unused optional outputs, or none before inference has run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arity {
    pub min_inputs: usize,
    pub max_inputs: Option<usize>,
    pub max_outputs: Option<usize>,
}

const fn a(min: usize, max: usize, outs: usize) -> Arity {
    Arity { min_inputs: min, max_inputs: Some(max), max_outputs: Some(outs) }
}

pub fn arity(op: &Op) -> Arity {
    match op {
        Op::Input | Op::Const(_) => a(0, 0, 1),
        Op::Unary(_) | Op::Cast { .. } | Op::ArgReduce { .. } | Op::Softmax { .. } => a(1, 1, 1),
        Op::LpNorm { .. } | Op::Lrn { .. } | Op::Transpose { .. } | Op::Flatten { .. } => a(1, 1, 1),
        Op::Shape { .. } | Op::Size | Op::ConstantOfShape { .. } | Op::EyeLike { .. } => a(1, 1, 1),
        Op::DepthToSpace { .. } | Op::SpaceToDepth { .. } | Op::NonZero | Op::Det => a(1, 1, 1),
        Op::Binary(_) | Op::MatMul { .. } | Op::Reshape { .. } | Op::Unsqueeze => a(2, 2, 1),
        Op::Gather { .. } | Op::GatherElements { .. } | Op::GatherNd { .. } | Op::Expand | Op::Tile => a(2, 2, 1),
        Op::CumSum { .. } | Op::CumProd { .. } | Op::ReverseSequence { .. } | Op::Compress { .. } => a(2, 2, 1),
        Op::GridSample { .. } | Op::RmsNorm { .. } => a(2, 2, 1),
        Op::Where | Op::ScatterElements { .. } | Op::ScatterNd { .. } | Op::Range | Op::OneHot { .. } => a(3, 3, 1),
        Op::InstanceNorm { .. } | Op::GroupNorm { .. } | Op::Col2Im { .. } => a(3, 3, 1),
        Op::Clip => a(1, 3, 1),
        Op::MatMulInteger | Op::ConvInteger(_) => a(2, 4, 1),
        Op::QuantizeLinear { .. } | Op::DequantizeLinear { .. } => a(2, 3, 1),
        Op::Conv(_) | Op::ConvTranspose(_) => a(2, 3, 1),
        Op::Pool(p) => a(1, 1, if matches!(p.kind, PoolKind::Max) { 2 } else { 1 }),
        Op::Reduce { .. } | Op::Squeeze | Op::Trilu { .. } => a(1, 2, 1),
        Op::BatchNorm { .. } => a(5, 5, 1),
        Op::LayerNorm { .. } => a(2, 3, 3),
        Op::Concat { .. } | Op::Einsum { .. } => Arity { min_inputs: 1, max_inputs: None, max_outputs: Some(1) },
        Op::Split { .. } => Arity { min_inputs: 1, max_inputs: Some(2), max_outputs: None },
        Op::Slice => a(3, 5, 1),
        Op::Pad { .. } => a(2, 4, 1),
        Op::TopK { .. } => a(2, 2, 2),
        Op::Resize(_) => a(1, 4, 1),
        Op::Unique { .. } => a(1, 1, 4),
        Op::Rnn(r) => match r.kind {
            RnnKind::Rnn | RnnKind::Gru { .. } => a(3, 6, 2),
            RnnKind::Lstm { .. } => a(3, 8, 3),
        },
        Op::Attention(_) => a(3, 4, 1),
        Op::RotaryEmbedding { .. } => a(3, 4, 1),
        Op::Fused(_) => Arity { min_inputs: 1, max_inputs: None, max_outputs: Some(1) },
        Op::MatMulFused { .. } | Op::ConvFused { .. } => Arity { min_inputs: 2, max_inputs: None, max_outputs: Some(1) },
    }
}

impl Arity {
    /// Why `inputs` (filled or empty slots) and `outputs` do not fit, if they do not.
    pub fn check(&self, inputs: &[bool], outputs: usize) -> Result<(), String> {
        let n = inputs.len();
        let range = match self.max_inputs {
            Some(m) if m == self.min_inputs => format!("{m}"),
            Some(m) => format!("{} to {m}", self.min_inputs),
            None => format!("at least {}", self.min_inputs),
        };
        if n < self.min_inputs || self.max_inputs.is_some_and(|m| n > m) {
            return Err(format!("takes {range} inputs, got {n}"));
        }
        let required = if self.max_inputs.is_none() { n } else { self.min_inputs };
        if let Some(i) = inputs.iter().take(required).position(|filled| !filled) {
            return Err(format!("input {i} is required but empty (`_`)"));
        }
        if let Some(m) = self.max_outputs {
            if outputs > m {
                return Err(format!("has at most {m} outputs, got {outputs}"));
            }
        }
        Ok(())
    }
}
