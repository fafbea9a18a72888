//! The edgec op set: a smaller, regular core that ONNX maps onto (see docs/ARCHITECTURE.md).
//!
//! Conventions every op follows:
//! - Operands that ONNX made inputs in recent opsets (shapes, axes, pads, starts, sizes…) are
//!   *inputs* here too, whatever the model's opset: the importer turns older attribute forms into
//!   `Const` inputs. So there is one form per op, and the interpreter also runs dynamic cases;
//!   passes read constant operands through `Graph::const_value`.
//! - Optional inputs are `None` slots in the node's input list.
//! - Axes in attributes may be negative (ONNX convention) unless a field says otherwise.
//! - Ops whose ONNX form is a composition (Gemm, Sum, Mean, GlobalAveragePool, CastLike,
//!   Dropout in inference, Identity…) are rewritten by the importer into these.

use crate::{DType, Tensor};
use std::fmt;
use std::sync::Arc;

/// An f32 attribute with bitwise equality, so that ops can be compared and hashed.
#[derive(Copy, Clone, Debug)]
pub struct F32(pub f32);
impl PartialEq for F32 {
    fn eq(&self, o: &Self) -> bool {
        self.0.to_bits() == o.0.to_bits()
    }
}
impl Eq for F32 {}
impl std::hash::Hash for F32 {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.to_bits().hash(h)
    }
}
impl fmt::Display for F32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug formatting of f32 is the shortest string that parses back exactly.
        write!(f, "{:?}", self.0)
    }
}

/// One-input elementwise ops (output shape = input shape).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Abs,
    Neg,
    Exp,
    Log,
    Sqrt,
    Reciprocal,
    Floor,
    Ceil,
    /// Round half to even.
    Round,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Asinh,
    Acosh,
    Atanh,
    Tanh,
    Sigmoid,
    Erf,
    Sign,
    /// Logical not (bool).
    Not,
    BitwiseNot,
    Relu,
    Softplus,
    Softsign,
    Mish,
    HardSwish,
    /// Output bool.
    IsNaN,
    /// Output bool.
    IsInf { detect_positive: bool, detect_negative: bool },
    LeakyRelu { alpha: F32 },
    Elu { alpha: F32 },
    Selu { alpha: F32, gamma: F32 },
    Celu { alpha: F32 },
    HardSigmoid { alpha: F32, beta: F32 },
    ThresholdedRelu { alpha: F32 },
    Shrink { bias: F32, lambd: F32 },
    /// x * sigmoid(alpha * x)
    Swish { alpha: F32 },
    /// `tanh`: the tanh approximation; otherwise the exact erf form.
    Gelu { tanh: bool },
}

/// Two-input elementwise ops with numpy broadcasting.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    /// Integer division truncates toward zero (C semantics, as ONNX Runtime).
    Div,
    Pow,
    Max,
    Min,
    /// `fmod`: C fmod (sign of dividend); otherwise Python modulo (sign of divisor).
    Mod { fmod: bool },
    /// bool ops
    And,
    Or,
    Xor,
    /// Comparisons: output bool.
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    BitShiftLeft,
    BitShiftRight,
    BitwiseAnd,
    BitwiseOr,
    BitwiseXor,
    /// x if x >= 0 else slope * x (inputs: x, slope).
    PRelu,
}

impl BinaryOp {
    pub fn is_comparison(&self) -> bool {
        matches!(
            self,
            BinaryOp::Equal | BinaryOp::Less | BinaryOp::LessOrEqual | BinaryOp::Greater | BinaryOp::GreaterOrEqual
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceKind {
    Sum,
    Mean,
    Max,
    Min,
    Prod,
    L1,
    L2,
    LogSum,
    LogSumExp,
    SumSquare,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SoftmaxKind {
    Softmax,
    LogSoftmax,
    Hardmax,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AutoPad {
    /// Explicit `pads` are used.
    NotSet,
    SameUpper,
    SameLower,
    Valid,
}

/// Convolution attributes (N-d, NCHW layout). Lists have one entry per spatial dim, already
/// filled with defaults by the importer when the model omitted them (needs the weight rank).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConvAttrs {
    pub kernel_shape: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    /// [begin_0, begin_1, …, end_0, end_1, …] as ONNX.
    pub pads: Vec<usize>,
    pub auto_pad: AutoPad,
    pub group: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConvTransposeAttrs {
    pub conv: ConvAttrs,
    pub output_padding: Vec<usize>,
    /// Explicit output spatial shape; when set, pads are computed from it.
    pub output_shape: Option<Vec<usize>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PoolKind {
    Max,
    Avg { count_include_pad: bool },
    /// Lp pooling with norm p.
    Lp { p: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolAttrs {
    pub kind: PoolKind,
    pub kernel_shape: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    pub pads: Vec<usize>,
    pub auto_pad: AutoPad,
    pub ceil_mode: bool,
    /// MaxPool's second output (flat indices, row-major over NCHW) is requested.
    pub with_indices: bool,
    /// MaxPool storage_order = 1 (column-major indices).
    pub column_major_indices: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScatterReduction {
    None,
    Add,
    Mul,
    Max,
    Min,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PadMode {
    Constant,
    Reflect,
    Edge,
    Wrap,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResizeMode {
    Nearest,
    Linear,
    Cubic,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoordTransform {
    HalfPixel,
    HalfPixelSymmetric,
    PytorchHalfPixel,
    AlignCorners,
    Asymmetric,
    TfCropAndResize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NearestMode {
    RoundPreferFloor,
    RoundPreferCeil,
    Floor,
    Ceil,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeepAspect {
    Stretch,
    NotLarger,
    NotSmaller,
}

/// Resize (inputs: x, roi?, scales?, sizes?).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResizeAttrs {
    pub mode: ResizeMode,
    pub coord: CoordTransform,
    pub nearest: NearestMode,
    pub cubic_coeff_a: F32,
    pub exclude_outside: bool,
    pub extrapolation_value: F32,
    pub antialias: bool,
    pub keep_aspect: KeepAspect,
    /// Axes the scales/sizes refer to (None: all).
    pub axes: Option<Vec<i64>>,
}

/// Recurrent cells (ONNX RNN/GRU/LSTM layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RnnKind {
    Rnn,
    Gru { linear_before_reset: bool },
    Lstm { input_forget: bool },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RnnDirection {
    Forward,
    Reverse,
    Bidirectional,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RnnActivation {
    Relu,
    Tanh,
    Sigmoid,
    Affine { alpha: F32, beta: F32 },
    LeakyRelu { alpha: F32 },
    ThresholdedRelu { alpha: F32 },
    ScaledTanh { alpha: F32, beta: F32 },
    HardSigmoid { alpha: F32, beta: F32 },
    Elu { alpha: F32 },
    Softsign,
    Softplus,
}

/// Inputs follow ONNX: X, W, R, B?, sequence_lens?, initial_h?, [initial_c?, P?] (LSTM).
/// Outputs: Y, Y_h (and Y_c for LSTM), all always produced.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RnnAttrs {
    pub kind: RnnKind,
    pub direction: RnnDirection,
    pub hidden_size: usize,
    /// Per gate-activation slot, per direction (ONNX order).
    pub activations: Vec<RnnActivation>,
    pub clip: Option<F32>,
    /// layout = 1: batch-major tensors.
    pub batch_major: bool,
}

/// Scaled dot-product attention over heads (inputs: Q, K, V, mask?; Q/K/V as
/// [batch, heads, seq, head_dim], K/V may have fewer heads that divide Q's (grouped KV)).
/// `mask` is additive (float) or boolean (true = keep), broadcast to [batch, heads, q_seq, kv_seq].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AttentionAttrs {
    /// Scale applied to Q·Kᵀ (None: 1/sqrt(head_dim)).
    pub scale: Option<F32>,
    /// Causal mask, aligned to the bottom right (query i sees keys ≤ i + kv_seq - q_seq).
    pub causal: bool,
    /// tanh soft-capping of the scores, 0 = off.
    pub softcap: F32,
}

/// An operand of a fused step: a node input, an earlier step, or a scalar constant (which
/// takes the dtype of the step's other operands).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FusedArg {
    In(usize),
    Step(usize),
    Const(F32),
}

/// One step of a fused elementwise expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FusedStep {
    Unary(UnaryOp, FusedArg),
    Binary(BinaryOp, FusedArg, FusedArg),
    /// (cond, x, y)
    Where(FusedArg, FusedArg, FusedArg),
    Cast(DType, FusedArg),
}

/// A fused elementwise expression in SSA order: steps read node inputs or earlier steps; the
/// result is the last step (no steps: input 0 unchanged). All operands broadcast together.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct FusedExpr {
    pub steps: Vec<FusedStep>,
}

/// An edgec operation. See the module docs for conventions; each variant lists its inputs.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// A graph input (its name is the node name).
    Input,
    /// A constant tensor.
    Const(Arc<Tensor>),
    /// (x)
    Unary(UnaryOp),
    /// (a, b) broadcasting.
    Binary(BinaryOp),
    /// (cond, x, y) broadcasting.
    Where,
    /// (x, min?, max?) with scalar bounds.
    Clip,
    /// (x) → `to`. `saturate` applies to float8 targets only.
    Cast { to: DType, saturate: bool },
    /// (a, b): numpy matmul with broadcasting batch dims; `trans_*` transpose the last two dims first.
    MatMul { trans_a: bool, trans_b: bool },
    /// (a, b, a_zero_point?, b_zero_point?) → i32.
    MatMulInteger,
    /// (x, scale, zero_point?) → `to`.
    QuantizeLinear { axis: i64, block_size: usize, to: DType, saturate: bool },
    /// (x, scale, zero_point?) → dtype of scale (or `to` if given).
    DequantizeLinear { axis: i64, block_size: usize, to: Option<DType> },
    /// (x, w, bias?)
    Conv(ConvAttrs),
    /// (x, w, x_zero_point?, w_zero_point?) → i32.
    ConvInteger(ConvAttrs),
    /// (x, w, bias?)
    ConvTranspose(ConvTransposeAttrs),
    /// (x) → y [, indices]
    Pool(PoolAttrs),
    /// (x, axes?). Empty/absent axes: all axes, unless `noop_with_empty_axes`.
    Reduce { kind: ReduceKind, keepdims: bool, noop_with_empty_axes: bool },
    /// (x) → i64 indices.
    ArgReduce { max: bool, axis: i64, keepdims: bool, select_last_index: bool },
    /// (x) along one axis (opset ≥ 13 semantics; the importer rewrites older coerced forms).
    Softmax { kind: SoftmaxKind, axis: i64 },
    /// (x, scale, bias, mean, var) inference mode.
    BatchNorm { epsilon: F32 },
    /// (x, scale, bias?) → y [, mean, inv_std_dev]; normalises axes [axis, rank).
    LayerNorm { axis: i64, epsilon: F32 },
    /// (x, scale) normalises axes [axis, rank) by root mean square.
    RmsNorm { axis: i64, epsilon: F32 },
    /// (x, scale, bias)
    InstanceNorm { epsilon: F32 },
    /// (x, scale, bias) with scale/bias per channel.
    GroupNorm { num_groups: usize, epsilon: F32 },
    /// (x)
    LpNorm { axis: i64, p: u32 },
    /// (x)
    Lrn { alpha: F32, beta: F32, bias: F32, size: usize },
    /// (x, shape)
    Reshape { allowzero: bool },
    /// (x) with a full permutation.
    Transpose { perm: Vec<usize> },
    /// (x, axes?)
    Squeeze,
    /// (x, axes)
    Unsqueeze,
    /// (x) → 2-D
    Flatten { axis: i64 },
    /// (x0, x1, …)
    Concat { axis: i64 },
    /// (x, split?) → `num_outputs` pieces.
    Split { axis: i64, num_outputs: usize },
    /// (x, starts, ends, axes?, steps?)
    Slice,
    /// (x, indices)
    Gather { axis: i64 },
    /// (x, indices)
    GatherElements { axis: i64 },
    /// (x, indices)
    GatherNd { batch_dims: usize },
    /// (x, indices, updates)
    ScatterElements { axis: i64, reduction: ScatterReduction },
    /// (x, indices, updates)
    ScatterNd { reduction: ScatterReduction },
    /// (x, shape)
    Expand,
    /// (x, repeats)
    Tile,
    /// (x, pads, constant_value?, axes?)
    Pad { mode: PadMode },
    /// (x) → i64[rank slice]
    Shape { start: i64, end: Option<i64> },
    /// (x) → i64 scalar
    Size,
    /// (shape) filled with the scalar `value`.
    ConstantOfShape { value: Arc<Tensor> },
    /// (start, limit, delta) scalars.
    Range,
    /// (indices, depth, values)
    OneHot { axis: i64 },
    /// (x) → 2-D identity-like of `dtype` (None: x's dtype).
    EyeLike { k: i64, dtype: Option<DType> },
    /// (x, k?)
    Trilu { upper: bool },
    DepthToSpace { blocksize: usize, crd: bool },
    SpaceToDepth { blocksize: usize },
    /// (x) → i64[rank, n]
    NonZero,
    /// (x, k) → values, i64 indices
    TopK { axis: i64, largest: bool, sorted: bool },
    /// (x, axis)
    CumSum { exclusive: bool, reverse: bool },
    /// (x, axis)
    CumProd { exclusive: bool, reverse: bool },
    /// (x, sequence_lens)
    ReverseSequence { batch_axis: usize, time_axis: usize },
    /// (x0, x1, …)
    Einsum { equation: String },
    /// (x, roi?, scales?, sizes?)
    Resize(ResizeAttrs),
    /// (x, condition)
    Compress { axis: Option<i64> },
    /// (x) → y, indices, inverse_indices, counts
    Unique { axis: Option<i64>, sorted: bool },
    /// (x)
    Det,
    /// (x, grid)
    GridSample { mode: ResizeMode, padding: GridPadding, align_corners: bool },
    /// (x) → y (+ per-direction final state(s)); see `RnnAttrs`.
    Rnn(RnnAttrs),
    /// (q, k, v, mask?) → y
    Attention(AttentionAttrs),
    /// (x, cos_cache, sin_cache, position_ids?) rotary position embedding.
    RotaryEmbedding { interleaved: bool, rotary_dim: usize, num_heads: usize },
    /// (x0, x1, …) broadcasting: a chain of elementwise ops fused into one kernel.
    Fused(FusedExpr),
    /// (a, b, e1, e2, …): MatMul, then the epilogue with `In(0)` = the product and `In(i)` =
    /// input i + 1 (bias, residual, …), so no intermediate tensor is written.
    MatMulFused { trans_a: bool, trans_b: bool, epilogue: FusedExpr },
    /// (x, w, e1, …): Conv without bias, then the epilogue as for `MatMulFused` (a bias is an
    /// epilogue input of shape [C, 1, …]).
    ConvFused { attrs: ConvAttrs, epilogue: FusedExpr },
    /// (x, mask, [values]) MaxUnpool / Col2Im and friends are not in the core set.
    Col2Im { dilations: Vec<usize>, pads: Vec<usize>, strides: Vec<usize> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GridPadding {
    Zeros,
    Border,
    Reflection,
}

impl Op {
    /// Short lower-case name used by the text form, histograms and error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Input => "input",
            Op::Const(_) => "const",
            Op::Unary(_) => "unary",
            Op::Binary(_) => "binary",
            Op::Where => "where",
            Op::Clip => "clip",
            Op::Cast { .. } => "cast",
            Op::MatMul { .. } => "matmul",
            Op::MatMulInteger => "matmul_integer",
            Op::QuantizeLinear { .. } => "quantize_linear",
            Op::DequantizeLinear { .. } => "dequantize_linear",
            Op::Conv(_) => "conv",
            Op::ConvInteger(_) => "conv_integer",
            Op::ConvTranspose(_) => "conv_transpose",
            Op::Pool(_) => "pool",
            Op::Reduce { .. } => "reduce",
            Op::ArgReduce { .. } => "arg_reduce",
            Op::Softmax { .. } => "softmax",
            Op::BatchNorm { .. } => "batch_norm",
            Op::LayerNorm { .. } => "layer_norm",
            Op::RmsNorm { .. } => "rms_norm",
            Op::InstanceNorm { .. } => "instance_norm",
            Op::GroupNorm { .. } => "group_norm",
            Op::LpNorm { .. } => "lp_norm",
            Op::Lrn { .. } => "lrn",
            Op::Reshape { .. } => "reshape",
            Op::Transpose { .. } => "transpose",
            Op::Squeeze => "squeeze",
            Op::Unsqueeze => "unsqueeze",
            Op::Flatten { .. } => "flatten",
            Op::Concat { .. } => "concat",
            Op::Split { .. } => "split",
            Op::Slice => "slice",
            Op::Gather { .. } => "gather",
            Op::GatherElements { .. } => "gather_elements",
            Op::GatherNd { .. } => "gather_nd",
            Op::ScatterElements { .. } => "scatter_elements",
            Op::ScatterNd { .. } => "scatter_nd",
            Op::Expand => "expand",
            Op::Tile => "tile",
            Op::Pad { .. } => "pad",
            Op::Shape { .. } => "shape",
            Op::Size => "size",
            Op::ConstantOfShape { .. } => "constant_of_shape",
            Op::Range => "range",
            Op::OneHot { .. } => "one_hot",
            Op::EyeLike { .. } => "eye_like",
            Op::Trilu { .. } => "trilu",
            Op::DepthToSpace { .. } => "depth_to_space",
            Op::SpaceToDepth { .. } => "space_to_depth",
            Op::NonZero => "non_zero",
            Op::TopK { .. } => "top_k",
            Op::CumSum { .. } => "cum_sum",
            Op::CumProd { .. } => "cum_prod",
            Op::ReverseSequence { .. } => "reverse_sequence",
            Op::Einsum { .. } => "einsum",
            Op::Resize(_) => "resize",
            Op::Compress { .. } => "compress",
            Op::Unique { .. } => "unique",
            Op::Det => "det",
            Op::GridSample { .. } => "grid_sample",
            Op::Rnn(_) => "rnn",
            Op::Attention(_) => "attention",
            Op::RotaryEmbedding { .. } => "rotary_embedding",
            Op::Col2Im { .. } => "col2im",
            Op::Fused(_) => "fused",
            Op::MatMulFused { .. } => "matmul_fused",
            Op::ConvFused { .. } => "conv_fused",
        }
    }

    /// Whether the op's outputs depend only on its inputs' values (all ops here are; kept for
    /// passes that must not fold random ops should any be added).
    pub fn is_pure(&self) -> bool {
        !matches!(self, Op::Input)
    }
}
