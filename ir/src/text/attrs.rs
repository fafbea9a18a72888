//! Op spellings and attributes. One exhaustive description per op (`visit_op`) drives both the
//! printer and the parser, so every field of every attribute struct prints and parses back, and a
//! new `Op` variant or kind does not compile until it is given a spelling here.

use super::cursor::Cursor;
use super::lexer::{Tok, Token};
use super::literal::{fmt_float, fmt_tensor, parse_bool, parse_float, parse_int, parse_tensor, quote};
use super::PrintOptions;
use crate::op::*;
use crate::{DType, IrError, Tensor};
use std::sync::Arc;

/// An enum spelled as one lower-case keyword (fields, if any, are visited separately).
pub trait Keyword: Sized {
    /// What the keyword names, for error messages.
    const WHAT: &'static str;
    const ALL: &'static [&'static str];
    fn keyword(&self) -> &'static str;
    /// The variant with placeholder field values (the visitor fills them in).
    fn from_keyword(s: &str) -> Option<Self>;
}

macro_rules! keywords {
    ($ty:ident, $what:literal, [$($kw:literal => $v:ident $({ $($f:ident : $d:expr),* })?),* $(,)?]) => {
        impl Keyword for $ty {
            const WHAT: &'static str = $what;
            const ALL: &'static [&'static str] = &[$($kw),*];
            fn keyword(&self) -> &'static str {
                match self {
                    $($ty::$v $({ $($f: _),* })? => $kw,)*
                }
            }
            fn from_keyword(s: &str) -> Option<Self> {
                match s {
                    $($kw => Some($ty::$v $({ $($f: $d),* })?),)*
                    _ => None,
                }
            }
        }
    };
}

const Z: F32 = F32(0.0);

keywords!(UnaryOp, "unary op", [
    "abs" => Abs, "neg" => Neg, "exp" => Exp, "log" => Log, "sqrt" => Sqrt,
    "reciprocal" => Reciprocal, "floor" => Floor, "ceil" => Ceil, "round" => Round,
    "sin" => Sin, "cos" => Cos, "tan" => Tan, "asin" => Asin, "acos" => Acos, "atan" => Atan,
    "sinh" => Sinh, "cosh" => Cosh, "asinh" => Asinh, "acosh" => Acosh, "atanh" => Atanh,
    "tanh" => Tanh, "sigmoid" => Sigmoid, "erf" => Erf, "sign" => Sign, "not" => Not,
    "bitwise_not" => BitwiseNot, "relu" => Relu, "softplus" => Softplus, "softsign" => Softsign,
    "mish" => Mish, "hard_swish" => HardSwish, "is_nan" => IsNaN,
    "is_inf" => IsInf { detect_positive: false, detect_negative: false },
    "leaky_relu" => LeakyRelu { alpha: Z },
    "elu" => Elu { alpha: Z },
    "selu" => Selu { alpha: Z, gamma: Z },
    "celu" => Celu { alpha: Z },
    "hard_sigmoid" => HardSigmoid { alpha: Z, beta: Z },
    "thresholded_relu" => ThresholdedRelu { alpha: Z },
    "shrink" => Shrink { bias: Z, lambd: Z },
    "swish" => Swish { alpha: Z },
    "gelu" => Gelu { tanh: false },
]);

keywords!(BinaryOp, "binary op", [
    "add" => Add, "sub" => Sub, "mul" => Mul, "div" => Div, "pow" => Pow, "max" => Max,
    "min" => Min, "mod" => Mod { fmod: false }, "and" => And, "or" => Or, "xor" => Xor,
    "equal" => Equal, "less" => Less, "less_or_equal" => LessOrEqual, "greater" => Greater,
    "greater_or_equal" => GreaterOrEqual, "bit_shift_left" => BitShiftLeft,
    "bit_shift_right" => BitShiftRight, "bitwise_and" => BitwiseAnd, "bitwise_or" => BitwiseOr,
    "bitwise_xor" => BitwiseXor, "prelu" => PRelu,
]);

keywords!(ReduceKind, "reduction", [
    "sum" => Sum, "mean" => Mean, "max" => Max, "min" => Min, "prod" => Prod, "l1" => L1,
    "l2" => L2, "log_sum" => LogSum, "log_sum_exp" => LogSumExp, "sum_square" => SumSquare,
]);

keywords!(PoolKind, "pooling", ["max" => Max, "avg" => Avg { count_include_pad: false }, "lp" => Lp { p: 0 }]);

keywords!(AutoPad, "auto_pad", ["notset" => NotSet, "same_upper" => SameUpper, "same_lower" => SameLower, "valid" => Valid]);

keywords!(ScatterReduction, "reduction", ["none" => None, "add" => Add, "mul" => Mul, "max" => Max, "min" => Min]);

keywords!(PadMode, "pad mode", ["constant" => Constant, "reflect" => Reflect, "edge" => Edge, "wrap" => Wrap]);

keywords!(ResizeMode, "mode", ["nearest" => Nearest, "linear" => Linear, "cubic" => Cubic]);

keywords!(CoordTransform, "coordinate transform", [
    "half_pixel" => HalfPixel, "half_pixel_symmetric" => HalfPixelSymmetric,
    "pytorch_half_pixel" => PytorchHalfPixel, "align_corners" => AlignCorners,
    "asymmetric" => Asymmetric, "tf_crop_and_resize" => TfCropAndResize,
]);

keywords!(NearestMode, "nearest mode", [
    "round_prefer_floor" => RoundPreferFloor, "round_prefer_ceil" => RoundPreferCeil,
    "floor" => Floor, "ceil" => Ceil,
]);

keywords!(KeepAspect, "keep_aspect_ratio_policy", ["stretch" => Stretch, "not_larger" => NotLarger, "not_smaller" => NotSmaller]);

keywords!(RnnDirection, "direction", ["forward" => Forward, "reverse" => Reverse, "bidirectional" => Bidirectional]);

keywords!(GridPadding, "padding mode", ["zeros" => Zeros, "border" => Border, "reflection" => Reflection]);

keywords!(RnnActivation, "activation", [
    "relu" => Relu, "tanh" => Tanh, "sigmoid" => Sigmoid,
    "affine" => Affine { alpha: Z, beta: Z },
    "leaky_relu" => LeakyRelu { alpha: Z },
    "thresholded_relu" => ThresholdedRelu { alpha: Z },
    "scaled_tanh" => ScaledTanh { alpha: Z, beta: Z },
    "hard_sigmoid" => HardSigmoid { alpha: Z, beta: Z },
    "elu" => Elu { alpha: Z },
    "softsign" => Softsign, "softplus" => Softplus,
]);

/// Walks the fields of an op: the printer reads them, the parser overwrites them.
pub trait Visitor {
    /// The op's kind, spelled as a `.kind` suffix of the op name (`unary.relu`).
    fn kind<K: Keyword>(&mut self, k: &mut K) -> Result<(), IrError>;
    fn attr<T: AttrValue>(&mut self, key: &'static str, v: &mut T) -> Result<(), IrError>;
}

/// A value that can appear after `key =` in an attribute list.
pub trait AttrValue: Sized {
    fn print(&self, opts: &PrintOptions, out: &mut String);
    fn parse(c: &mut Cursor) -> Result<Self, IrError>;
}

impl AttrValue for bool {
    fn print(&self, _: &PrintOptions, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
    fn parse(c: &mut Cursor) -> Result<Self, IrError> {
        parse_bool(c)
    }
}

macro_rules! int_attr {
    ($($t:ty => $what:literal),*) => {$(
        impl AttrValue for $t {
            fn print(&self, _: &PrintOptions, out: &mut String) {
                out.push_str(&self.to_string());
            }
            fn parse(c: &mut Cursor) -> Result<Self, IrError> {
                parse_int(c, $what)
            }
        }
    )*};
}
int_attr!(i64 => "an integer", usize => "a non-negative integer", u32 => "a non-negative integer");

impl AttrValue for F32 {
    fn print(&self, _: &PrintOptions, out: &mut String) {
        out.push_str(&fmt_float(self.0));
    }
    fn parse(c: &mut Cursor) -> Result<Self, IrError> {
        parse_float(c).map(F32)
    }
}

impl AttrValue for DType {
    fn print(&self, _: &PrintOptions, out: &mut String) {
        out.push_str(self.name());
    }
    fn parse(c: &mut Cursor) -> Result<Self, IrError> {
        match c.next_tok() {
            Some(Tok::Ident(s)) => s.parse().map_err(|e| c.err_prev(e)),
            other => Err(c.err_prev(format!("expected a dtype, found {}", Cursor::show(other)))),
        }
    }
}

impl AttrValue for String {
    fn print(&self, _: &PrintOptions, out: &mut String) {
        out.push_str(&quote(self));
    }
    fn parse(c: &mut Cursor) -> Result<Self, IrError> {
        match c.next_tok() {
            Some(Tok::Str(s)) => Ok(s),
            other => Err(c.err_prev(format!("expected a quoted string, found {}", Cursor::show(other)))),
        }
    }
}

impl AttrValue for Arc<Tensor> {
    fn print(&self, opts: &PrintOptions, out: &mut String) {
        fmt_tensor(self, opts, out);
    }
    fn parse(c: &mut Cursor) -> Result<Self, IrError> {
        parse_tensor(c).map(Arc::new)
    }
}

impl<T: AttrValue> AttrValue for Vec<T> {
    fn print(&self, opts: &PrintOptions, out: &mut String) {
        out.push('[');
        for (i, x) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            x.print(opts, out);
        }
        out.push(']');
    }
    fn parse(c: &mut Cursor) -> Result<Self, IrError> {
        c.expect('[', "to open a list")?;
        let mut v = Vec::new();
        if c.eat(']') {
            return Ok(v);
        }
        loop {
            v.push(T::parse(c)?);
            if c.eat(']') {
                return Ok(v);
            }
            c.expect(',', "between list items")?;
        }
    }
}

impl<T: AttrValue> AttrValue for Option<T> {
    fn print(&self, opts: &PrintOptions, out: &mut String) {
        match self {
            None => out.push_str("none"),
            Some(x) => x.print(opts, out),
        }
    }
    fn parse(c: &mut Cursor) -> Result<Self, IrError> {
        if c.eat_ident("none") {
            Ok(None)
        } else {
            T::parse(c).map(Some)
        }
    }
}

fn parse_keyword<K: Keyword>(c: &mut Cursor) -> Result<K, IrError> {
    match c.next_tok() {
        Some(Tok::Ident(s)) => K::from_keyword(&s)
            .ok_or_else(|| c.err_prev(format!("unknown {} `{s}`; expected one of: {}", K::WHAT, K::ALL.join(", ")))),
        other => {
            Err(c.err_prev(format!("expected a {} ({}), found {}", K::WHAT, K::ALL.join(", "), Cursor::show(other))))
        }
    }
}

macro_rules! keyword_attr {
    ($($t:ty),*) => {$(
        impl AttrValue for $t {
            fn print(&self, _: &PrintOptions, out: &mut String) {
                out.push_str(self.keyword());
            }
            fn parse(c: &mut Cursor) -> Result<Self, IrError> {
                parse_keyword(c)
            }
        }
    )*};
}
keyword_attr!(
    AutoPad,
    ScatterReduction,
    PadMode,
    ResizeMode,
    CoordTransform,
    NearestMode,
    KeepAspect,
    RnnDirection,
    GridPadding
);

/// `tanh`, `leaky_relu(alpha = 0.01)`, `affine(alpha = 1.0, beta = 0.0)`.
impl AttrValue for RnnActivation {
    fn print(&self, opts: &PrintOptions, out: &mut String) {
        let mut a = *self;
        let mut p = PrintVisitor::new(opts);
        let _ = visit_activation(&mut a, &mut p);
        out.push_str(self.keyword());
        if !p.attrs.is_empty() {
            out.push('(');
            out.push_str(&p.attrs.join(", "));
            out.push(')');
        }
    }
    fn parse(c: &mut Cursor) -> Result<Self, IrError> {
        let line = c.line();
        let mut a: RnnActivation = parse_keyword(c)?;
        let entries = if c.eat('(') { collect_entries(c, ')')? } else { Vec::new() };
        let what = format!("activation `{}`", a.keyword());
        let mut v = ParseVisitor::new(what, None, entries, line);
        visit_activation(&mut a, &mut v)?;
        v.finish()?;
        Ok(a)
    }
}

fn visit_activation<V: Visitor>(a: &mut RnnActivation, v: &mut V) -> Result<(), IrError> {
    use RnnActivation as A;
    match a {
        A::Relu | A::Tanh | A::Sigmoid | A::Softsign | A::Softplus => Ok(()),
        A::Affine { alpha, beta } | A::ScaledTanh { alpha, beta } | A::HardSigmoid { alpha, beta } => {
            v.attr("alpha", alpha)?;
            v.attr("beta", beta)
        }
        A::LeakyRelu { alpha } | A::ThresholdedRelu { alpha } | A::Elu { alpha } => v.attr("alpha", alpha),
    }
}

macro_rules! heads {
    ($($name:literal : $pat:pat => $ctor:expr),* $(,)?) => {
        /// The op name without its `.kind` suffix.
        pub fn head(op: &Op) -> &'static str {
            match op {
                $($pat => $name,)*
            }
        }
        /// The op for a head name, with placeholder fields (the visitor fills them in).
        fn proto(name: &str) -> Option<Op> {
            match name {
                $($name => Some($ctor),)*
                _ => None,
            }
        }
        const HEADS: &[&str] = &[$($name),*];
    };
}

fn conv0() -> ConvAttrs {
    ConvAttrs {
        kernel_shape: vec![],
        strides: vec![],
        dilations: vec![],
        pads: vec![],
        auto_pad: AutoPad::NotSet,
        group: 1,
    }
}

fn rnn0(kind: RnnKind) -> Op {
    Op::Rnn(RnnAttrs {
        kind,
        direction: RnnDirection::Forward,
        hidden_size: 0,
        activations: vec![],
        clip: None,
        batch_major: false,
    })
}

fn softmax0(kind: SoftmaxKind) -> Op {
    Op::Softmax { kind, axis: -1 }
}

fn arg0(max: bool) -> Op {
    Op::ArgReduce { max, axis: 0, keepdims: true, select_last_index: false }
}

heads! {
    "input": Op::Input => Op::Input,
    "const": Op::Const(_) => Op::Const(Arc::new(Tensor::scalar(0f32))),
    "unary": Op::Unary(_) => Op::Unary(UnaryOp::Abs),
    "binary": Op::Binary(_) => Op::Binary(BinaryOp::Add),
    "where": Op::Where => Op::Where,
    "clip": Op::Clip => Op::Clip,
    "cast": Op::Cast { .. } => Op::Cast { to: DType::F32, saturate: true },
    "matmul": Op::MatMul { .. } => Op::MatMul { trans_a: false, trans_b: false },
    "matmul_integer": Op::MatMulInteger => Op::MatMulInteger,
    "quantize_linear": Op::QuantizeLinear { .. } => Op::QuantizeLinear { axis: 1, block_size: 0, to: DType::U8, saturate: true },
    "dequantize_linear": Op::DequantizeLinear { .. } => Op::DequantizeLinear { axis: 1, block_size: 0, to: None },
    "conv": Op::Conv(_) => Op::Conv(conv0()),
    "conv_integer": Op::ConvInteger(_) => Op::ConvInteger(conv0()),
    "conv_transpose": Op::ConvTranspose(_) => Op::ConvTranspose(ConvTransposeAttrs { conv: conv0(), output_padding: vec![], output_shape: None }),
    "pool": Op::Pool(_) => Op::Pool(PoolAttrs {
        kind: PoolKind::Max, kernel_shape: vec![], strides: vec![], dilations: vec![], pads: vec![],
        auto_pad: AutoPad::NotSet, ceil_mode: false, with_indices: false, column_major_indices: false,
    }),
    "reduce": Op::Reduce { .. } => Op::Reduce { kind: ReduceKind::Sum, keepdims: true, noop_with_empty_axes: false },
    "arg_max": Op::ArgReduce { max: true, .. } => arg0(true),
    "arg_min": Op::ArgReduce { max: false, .. } => arg0(false),
    "softmax": Op::Softmax { kind: SoftmaxKind::Softmax, .. } => softmax0(SoftmaxKind::Softmax),
    "log_softmax": Op::Softmax { kind: SoftmaxKind::LogSoftmax, .. } => softmax0(SoftmaxKind::LogSoftmax),
    "hardmax": Op::Softmax { kind: SoftmaxKind::Hardmax, .. } => softmax0(SoftmaxKind::Hardmax),
    "batch_norm": Op::BatchNorm { .. } => Op::BatchNorm { epsilon: Z },
    "layer_norm": Op::LayerNorm { .. } => Op::LayerNorm { axis: -1, epsilon: Z },
    "rms_norm": Op::RmsNorm { .. } => Op::RmsNorm { axis: -1, epsilon: Z },
    "instance_norm": Op::InstanceNorm { .. } => Op::InstanceNorm { epsilon: Z },
    "group_norm": Op::GroupNorm { .. } => Op::GroupNorm { num_groups: 1, epsilon: Z },
    "lp_norm": Op::LpNorm { .. } => Op::LpNorm { axis: -1, p: 2 },
    "lrn": Op::Lrn { .. } => Op::Lrn { alpha: Z, beta: Z, bias: Z, size: 1 },
    "reshape": Op::Reshape { .. } => Op::Reshape { allowzero: false },
    "transpose": Op::Transpose { .. } => Op::Transpose { perm: vec![] },
    "squeeze": Op::Squeeze => Op::Squeeze,
    "unsqueeze": Op::Unsqueeze => Op::Unsqueeze,
    "flatten": Op::Flatten { .. } => Op::Flatten { axis: 1 },
    "concat": Op::Concat { .. } => Op::Concat { axis: 0 },
    "split": Op::Split { .. } => Op::Split { axis: 0, num_outputs: 1 },
    "slice": Op::Slice => Op::Slice,
    "gather": Op::Gather { .. } => Op::Gather { axis: 0 },
    "gather_elements": Op::GatherElements { .. } => Op::GatherElements { axis: 0 },
    "gather_nd": Op::GatherNd { .. } => Op::GatherNd { batch_dims: 0 },
    "scatter_elements": Op::ScatterElements { .. } => Op::ScatterElements { axis: 0, reduction: ScatterReduction::None },
    "scatter_nd": Op::ScatterNd { .. } => Op::ScatterNd { reduction: ScatterReduction::None },
    "expand": Op::Expand => Op::Expand,
    "tile": Op::Tile => Op::Tile,
    "pad": Op::Pad { .. } => Op::Pad { mode: PadMode::Constant },
    "shape": Op::Shape { .. } => Op::Shape { start: 0, end: None },
    "size": Op::Size => Op::Size,
    "constant_of_shape": Op::ConstantOfShape { .. } => Op::ConstantOfShape { value: Arc::new(Tensor::scalar(0f32)) },
    "range": Op::Range => Op::Range,
    "one_hot": Op::OneHot { .. } => Op::OneHot { axis: -1 },
    "eye_like": Op::EyeLike { .. } => Op::EyeLike { k: 0, dtype: None },
    "trilu": Op::Trilu { .. } => Op::Trilu { upper: true },
    "depth_to_space": Op::DepthToSpace { .. } => Op::DepthToSpace { blocksize: 1, crd: false },
    "space_to_depth": Op::SpaceToDepth { .. } => Op::SpaceToDepth { blocksize: 1 },
    "non_zero": Op::NonZero => Op::NonZero,
    "top_k": Op::TopK { .. } => Op::TopK { axis: -1, largest: true, sorted: true },
    "cum_sum": Op::CumSum { .. } => Op::CumSum { exclusive: false, reverse: false },
    "cum_prod": Op::CumProd { .. } => Op::CumProd { exclusive: false, reverse: false },
    "reverse_sequence": Op::ReverseSequence { .. } => Op::ReverseSequence { batch_axis: 1, time_axis: 0 },
    "einsum": Op::Einsum { .. } => Op::Einsum { equation: String::new() },
    "resize": Op::Resize(_) => Op::Resize(ResizeAttrs {
        mode: ResizeMode::Nearest, coord: CoordTransform::HalfPixel, nearest: NearestMode::RoundPreferFloor,
        cubic_coeff_a: F32(-0.75), exclude_outside: false, extrapolation_value: Z, antialias: false,
        keep_aspect: KeepAspect::Stretch, axes: None,
    }),
    "compress": Op::Compress { .. } => Op::Compress { axis: None },
    "unique": Op::Unique { .. } => Op::Unique { axis: None, sorted: true },
    "det": Op::Det => Op::Det,
    "grid_sample": Op::GridSample { .. } => Op::GridSample { mode: ResizeMode::Linear, padding: GridPadding::Zeros, align_corners: false },
    "rnn": Op::Rnn(RnnAttrs { kind: RnnKind::Rnn, .. }) => rnn0(RnnKind::Rnn),
    "gru": Op::Rnn(RnnAttrs { kind: RnnKind::Gru { .. }, .. }) => rnn0(RnnKind::Gru { linear_before_reset: false }),
    "lstm": Op::Rnn(RnnAttrs { kind: RnnKind::Lstm { .. }, .. }) => rnn0(RnnKind::Lstm { input_forget: false }),
    "attention": Op::Attention(_) => Op::Attention(AttentionAttrs { scale: None, causal: false, softcap: Z }),
    "rotary_embedding": Op::RotaryEmbedding { .. } => Op::RotaryEmbedding { interleaved: false, rotary_dim: 0, num_heads: 0 },
    "col2im": Op::Col2Im { .. } => Op::Col2Im { dilations: vec![], pads: vec![], strides: vec![] },
    "fused": Op::Fused(_) => Op::Fused(FusedExpr::default()),
    "matmul_fused": Op::MatMulFused { .. } => Op::MatMulFused { trans_a: false, trans_b: false, epilogue: FusedExpr::default() },
    "conv_fused": Op::ConvFused { .. } => Op::ConvFused { attrs: conv0(), epilogue: FusedExpr::default() },
}

fn visit_conv<V: Visitor>(c: &mut ConvAttrs, v: &mut V) -> Result<(), IrError> {
    v.attr("kernel_shape", &mut c.kernel_shape)?;
    v.attr("strides", &mut c.strides)?;
    v.attr("dilations", &mut c.dilations)?;
    v.attr("pads", &mut c.pads)?;
    v.attr("auto_pad", &mut c.auto_pad)?;
    v.attr("group", &mut c.group)
}

/// Every field of `op`, in declaration order (the kind first).
pub fn visit_op<V: Visitor>(op: &mut Op, v: &mut V) -> Result<(), IrError> {
    match op {
        Op::Input
        | Op::Const(_)
        | Op::Where
        | Op::Clip
        | Op::MatMulInteger
        | Op::Squeeze
        | Op::Unsqueeze
        | Op::Slice
        | Op::Expand
        | Op::Tile
        | Op::Size
        | Op::Range
        | Op::NonZero
        | Op::Det => Ok(()),
        Op::Unary(u) => {
            v.kind(u)?;
            use UnaryOp as U;
            match u {
                U::Abs
                | U::Neg
                | U::Exp
                | U::Log
                | U::Sqrt
                | U::Reciprocal
                | U::Floor
                | U::Ceil
                | U::Round
                | U::Sin
                | U::Cos
                | U::Tan
                | U::Asin
                | U::Acos
                | U::Atan
                | U::Sinh
                | U::Cosh
                | U::Asinh
                | U::Acosh
                | U::Atanh
                | U::Tanh
                | U::Sigmoid
                | U::Erf
                | U::Sign
                | U::Not
                | U::BitwiseNot
                | U::Relu
                | U::Softplus
                | U::Softsign
                | U::Mish
                | U::HardSwish
                | U::IsNaN => Ok(()),
                U::IsInf { detect_positive, detect_negative } => {
                    v.attr("detect_positive", detect_positive)?;
                    v.attr("detect_negative", detect_negative)
                }
                U::LeakyRelu { alpha }
                | U::Elu { alpha }
                | U::Celu { alpha }
                | U::ThresholdedRelu { alpha }
                | U::Swish { alpha } => v.attr("alpha", alpha),
                U::Selu { alpha, gamma } => {
                    v.attr("alpha", alpha)?;
                    v.attr("gamma", gamma)
                }
                U::HardSigmoid { alpha, beta } => {
                    v.attr("alpha", alpha)?;
                    v.attr("beta", beta)
                }
                U::Shrink { bias, lambd } => {
                    v.attr("bias", bias)?;
                    v.attr("lambd", lambd)
                }
                U::Gelu { tanh } => v.attr("tanh", tanh),
            }
        }
        Op::Binary(b) => {
            v.kind(b)?;
            use BinaryOp as B;
            match b {
                B::Mod { fmod } => v.attr("fmod", fmod),
                B::Add
                | B::Sub
                | B::Mul
                | B::Div
                | B::Pow
                | B::Max
                | B::Min
                | B::And
                | B::Or
                | B::Xor
                | B::Equal
                | B::Less
                | B::LessOrEqual
                | B::Greater
                | B::GreaterOrEqual
                | B::BitShiftLeft
                | B::BitShiftRight
                | B::BitwiseAnd
                | B::BitwiseOr
                | B::BitwiseXor
                | B::PRelu => Ok(()),
            }
        }
        Op::Cast { to, saturate } => {
            v.attr("to", to)?;
            v.attr("saturate", saturate)
        }
        Op::MatMul { trans_a, trans_b } => {
            v.attr("trans_a", trans_a)?;
            v.attr("trans_b", trans_b)
        }
        Op::QuantizeLinear { axis, block_size, to, saturate } => {
            v.attr("axis", axis)?;
            v.attr("block_size", block_size)?;
            v.attr("to", to)?;
            v.attr("saturate", saturate)
        }
        Op::DequantizeLinear { axis, block_size, to } => {
            v.attr("axis", axis)?;
            v.attr("block_size", block_size)?;
            v.attr("to", to)
        }
        Op::Conv(c) | Op::ConvInteger(c) => visit_conv(c, v),
        Op::ConvTranspose(ct) => {
            visit_conv(&mut ct.conv, v)?;
            v.attr("output_padding", &mut ct.output_padding)?;
            v.attr("output_shape", &mut ct.output_shape)
        }
        Op::Pool(p) => {
            v.kind(&mut p.kind)?;
            match &mut p.kind {
                PoolKind::Max => {}
                PoolKind::Avg { count_include_pad } => v.attr("count_include_pad", count_include_pad)?,
                PoolKind::Lp { p } => v.attr("p", p)?,
            }
            v.attr("kernel_shape", &mut p.kernel_shape)?;
            v.attr("strides", &mut p.strides)?;
            v.attr("dilations", &mut p.dilations)?;
            v.attr("pads", &mut p.pads)?;
            v.attr("auto_pad", &mut p.auto_pad)?;
            v.attr("ceil_mode", &mut p.ceil_mode)?;
            v.attr("with_indices", &mut p.with_indices)?;
            v.attr("column_major_indices", &mut p.column_major_indices)
        }
        Op::Reduce { kind, keepdims, noop_with_empty_axes } => {
            v.kind(kind)?;
            v.attr("keepdims", keepdims)?;
            v.attr("noop_with_empty_axes", noop_with_empty_axes)
        }
        // `max` is spelled by the op name (arg_max / arg_min).
        Op::ArgReduce { max: _, axis, keepdims, select_last_index } => {
            v.attr("axis", axis)?;
            v.attr("keepdims", keepdims)?;
            v.attr("select_last_index", select_last_index)
        }
        // `kind` is spelled by the op name (softmax / log_softmax / hardmax).
        Op::Softmax { kind: _, axis } => v.attr("axis", axis),
        Op::BatchNorm { epsilon } | Op::InstanceNorm { epsilon } => v.attr("epsilon", epsilon),
        Op::LayerNorm { axis, epsilon } | Op::RmsNorm { axis, epsilon } => {
            v.attr("axis", axis)?;
            v.attr("epsilon", epsilon)
        }
        Op::GroupNorm { num_groups, epsilon } => {
            v.attr("num_groups", num_groups)?;
            v.attr("epsilon", epsilon)
        }
        Op::LpNorm { axis, p } => {
            v.attr("axis", axis)?;
            v.attr("p", p)
        }
        Op::Lrn { alpha, beta, bias, size } => {
            v.attr("alpha", alpha)?;
            v.attr("beta", beta)?;
            v.attr("bias", bias)?;
            v.attr("size", size)
        }
        Op::Reshape { allowzero } => v.attr("allowzero", allowzero),
        Op::Transpose { perm } => v.attr("perm", perm),
        Op::Flatten { axis }
        | Op::Concat { axis }
        | Op::Gather { axis }
        | Op::GatherElements { axis }
        | Op::OneHot { axis } => v.attr("axis", axis),
        Op::Split { axis, num_outputs } => {
            v.attr("axis", axis)?;
            v.attr("num_outputs", num_outputs)
        }
        Op::GatherNd { batch_dims } => v.attr("batch_dims", batch_dims),
        Op::ScatterElements { axis, reduction } => {
            v.attr("axis", axis)?;
            v.attr("reduction", reduction)
        }
        Op::ScatterNd { reduction } => v.attr("reduction", reduction),
        Op::Pad { mode } => v.attr("mode", mode),
        Op::Shape { start, end } => {
            v.attr("start", start)?;
            v.attr("end", end)
        }
        Op::ConstantOfShape { value } => v.attr("value", value),
        Op::EyeLike { k, dtype } => {
            v.attr("k", k)?;
            v.attr("dtype", dtype)
        }
        Op::Trilu { upper } => v.attr("upper", upper),
        Op::DepthToSpace { blocksize, crd } => {
            v.attr("blocksize", blocksize)?;
            v.attr("crd", crd)
        }
        Op::SpaceToDepth { blocksize } => v.attr("blocksize", blocksize),
        Op::TopK { axis, largest, sorted } => {
            v.attr("axis", axis)?;
            v.attr("largest", largest)?;
            v.attr("sorted", sorted)
        }
        Op::CumSum { exclusive, reverse } | Op::CumProd { exclusive, reverse } => {
            v.attr("exclusive", exclusive)?;
            v.attr("reverse", reverse)
        }
        Op::ReverseSequence { batch_axis, time_axis } => {
            v.attr("batch_axis", batch_axis)?;
            v.attr("time_axis", time_axis)
        }
        Op::Einsum { equation } => v.attr("equation", equation),
        Op::Resize(r) => {
            v.attr("mode", &mut r.mode)?;
            v.attr("coord", &mut r.coord)?;
            v.attr("nearest", &mut r.nearest)?;
            v.attr("cubic_coeff_a", &mut r.cubic_coeff_a)?;
            v.attr("exclude_outside", &mut r.exclude_outside)?;
            v.attr("extrapolation_value", &mut r.extrapolation_value)?;
            v.attr("antialias", &mut r.antialias)?;
            v.attr("keep_aspect", &mut r.keep_aspect)?;
            v.attr("axes", &mut r.axes)
        }
        Op::Compress { axis } => v.attr("axis", axis),
        Op::Unique { axis, sorted } => {
            v.attr("axis", axis)?;
            v.attr("sorted", sorted)
        }
        Op::GridSample { mode, padding, align_corners } => {
            v.attr("mode", mode)?;
            v.attr("padding", padding)?;
            v.attr("align_corners", align_corners)
        }
        // The kind is spelled by the op name (rnn / gru / lstm); its fields are attributes.
        Op::Rnn(r) => {
            match &mut r.kind {
                RnnKind::Rnn => {}
                RnnKind::Gru { linear_before_reset } => v.attr("linear_before_reset", linear_before_reset)?,
                RnnKind::Lstm { input_forget } => v.attr("input_forget", input_forget)?,
            }
            v.attr("direction", &mut r.direction)?;
            v.attr("hidden_size", &mut r.hidden_size)?;
            v.attr("activations", &mut r.activations)?;
            v.attr("clip", &mut r.clip)?;
            v.attr("batch_major", &mut r.batch_major)
        }
        Op::Attention(a) => {
            v.attr("scale", &mut a.scale)?;
            v.attr("causal", &mut a.causal)?;
            v.attr("softcap", &mut a.softcap)
        }
        Op::RotaryEmbedding { interleaved, rotary_dim, num_heads } => {
            v.attr("interleaved", interleaved)?;
            v.attr("rotary_dim", rotary_dim)?;
            v.attr("num_heads", num_heads)
        }
        Op::Col2Im { dilations, pads, strides } => {
            v.attr("dilations", dilations)?;
            v.attr("pads", pads)?;
            v.attr("strides", strides)
        }
        Op::Fused(e) => v.attr("steps", &mut e.steps),
        Op::MatMulFused { trans_a, trans_b, epilogue } => {
            v.attr("trans_a", trans_a)?;
            v.attr("trans_b", trans_b)?;
            v.attr("epilogue", &mut epilogue.steps)
        }
        Op::ConvFused { attrs, epilogue } => {
            visit_conv(attrs, v)?;
            v.attr("epilogue", &mut epilogue.steps)
        }
    }
}

/// Collects the spelling of an op: the `.kind` suffix and `key = value` strings.
pub struct PrintVisitor<'o> {
    opts: &'o PrintOptions,
    pub kind: Option<&'static str>,
    pub attrs: Vec<String>,
}

impl<'o> PrintVisitor<'o> {
    pub fn new(opts: &'o PrintOptions) -> Self {
        PrintVisitor { opts, kind: None, attrs: Vec::new() }
    }
}

impl Visitor for PrintVisitor<'_> {
    fn kind<K: Keyword>(&mut self, k: &mut K) -> Result<(), IrError> {
        self.kind = Some(k.keyword());
        Ok(())
    }
    fn attr<T: AttrValue>(&mut self, key: &'static str, v: &mut T) -> Result<(), IrError> {
        let mut s = format!("{key} = ");
        v.print(self.opts, &mut s);
        self.attrs.push(s);
        Ok(())
    }
}

/// The op name (`matmul`, `unary.relu`) and its attribute strings.
pub fn spell(op: &Op, opts: &PrintOptions) -> (String, Vec<String>) {
    let mut op = op.clone();
    let mut p = PrintVisitor::new(opts);
    let _ = visit_op(&mut op, &mut p);
    let name = match p.kind {
        Some(k) => format!("{}.{k}", head(&op)),
        None => head(&op).to_string(),
    };
    (name, p.attrs)
}

/// One `key = value` of an attribute list, as tokens (parsed once its type is known).
pub struct Entry {
    key: String,
    toks: Vec<Token>,
    line: usize,
    used: bool,
}

/// `key = value, …` up to and including `close`; values are balanced token runs.
pub fn collect_entries(c: &mut Cursor, close: char) -> Result<Vec<Entry>, IrError> {
    let mut entries: Vec<Entry> = Vec::new();
    c.skip_newlines();
    if c.eat(close) {
        return Ok(entries);
    }
    loop {
        c.skip_newlines();
        let line = c.line();
        let key = match c.next_tok() {
            Some(Tok::Ident(k)) => k,
            other => return Err(c.err_prev(format!("expected an attribute name, found {}", Cursor::show(other)))),
        };
        if entries.iter().any(|e| e.key == key) {
            return Err(c.err_prev(format!("attribute `{key}` is given twice")));
        }
        c.expect('=', &format!("after attribute `{key}`"))?;
        let mut toks = Vec::new();
        let mut depth = 0usize;
        loop {
            let t = match c.peek() {
                None => return Err(c.err_here(format!("unterminated attribute list (missing `{close}`)"))),
                Some(t) => t.clone(),
            };
            match t {
                Tok::Punct('(' | '[' | '{' | '<') => depth += 1,
                Tok::Punct(p @ (')' | ']' | '}' | '>')) => {
                    if depth == 0 {
                        if p == close {
                            break;
                        }
                        return Err(c.err_here(format!("unbalanced `{p}` in attribute `{key}`")));
                    }
                    depth -= 1;
                }
                Tok::Punct(',') if depth == 0 => break,
                _ => {}
            }
            let line = c.line();
            c.next_tok();
            if t != Tok::Newline {
                toks.push(Token { tok: t, line });
            }
        }
        if toks.is_empty() {
            return Err(c.err_here(format!("attribute `{key}` has no value")));
        }
        entries.push(Entry { key, toks, line, used: false });
        c.skip_newlines();
        if c.eat(close) {
            return Ok(entries);
        }
        c.expect(',', "between attributes")?;
        c.skip_newlines();
        if c.eat(close) {
            return Ok(entries);
        }
    }
}

/// Fills an op's fields from parsed attribute entries and its `.kind` suffix.
pub struct ParseVisitor {
    what: String,
    kind: Option<String>,
    kind_used: bool,
    entries: Vec<Entry>,
    requested: Vec<&'static str>,
    missing: Vec<&'static str>,
    line: usize,
}

impl ParseVisitor {
    pub fn new(what: String, kind: Option<String>, entries: Vec<Entry>, line: usize) -> Self {
        ParseVisitor { what, kind, kind_used: false, entries, requested: Vec::new(), missing: Vec::new(), line }
    }

    fn err(&self, line: usize, msg: String) -> IrError {
        IrError::Parse { line, msg }
    }

    /// Reject attributes the op does not have and a `.kind` it does not take.
    pub fn finish(self) -> Result<(), IrError> {
        if let (Some(k), false) = (&self.kind, self.kind_used) {
            return Err(self.err(self.line, format!("{} takes no `.{k}` suffix", self.what)));
        }
        if let Some(e) = self.entries.iter().find(|e| !e.used) {
            let takes = if self.requested.is_empty() {
                "it takes no attributes".to_string()
            } else {
                format!("it takes: {}", self.requested.join(", "))
            };
            return Err(self.err(e.line, format!("unknown attribute `{}` for {}; {takes}", e.key, self.what)));
        }
        if let Some(key) = self.missing.first() {
            return Err(self.err(self.line, format!("{} is missing attribute `{key}`", self.what)));
        }
        Ok(())
    }
}

impl Visitor for ParseVisitor {
    fn kind<K: Keyword>(&mut self, k: &mut K) -> Result<(), IrError> {
        self.kind_used = true;
        let Some(s) = &self.kind else {
            return Err(
                self.err(self.line, format!("{} needs a {} suffix, one of: {}", self.what, K::WHAT, K::ALL.join(", ")))
            );
        };
        *k = K::from_keyword(s).ok_or_else(|| {
            self.err(
                self.line,
                format!("unknown {} `{s}` in {}; expected one of: {}", K::WHAT, self.what, K::ALL.join(", ")),
            )
        })?;
        Ok(())
    }

    fn attr<T: AttrValue>(&mut self, key: &'static str, v: &mut T) -> Result<(), IrError> {
        self.requested.push(key);
        let what = &self.what;
        let Some(e) = self.entries.iter_mut().find(|e| e.key == key) else {
            // Reported by `finish`, after unknown attributes (a misspelling explains both).
            self.missing.push(key);
            return Ok(());
        };
        e.used = true;
        let mut c = Cursor::new(&e.toks);
        let wrap = |err: IrError| match err {
            IrError::Parse { line, msg } => IrError::Parse { line, msg: format!("attribute `{key}` of {what}: {msg}") },
            other => other,
        };
        *v = T::parse(&mut c).map_err(wrap)?;
        if let Some(t) = c.peek() {
            return Err(wrap(c.err_here(format!("unexpected {t} after the value"))));
        }
        Ok(())
    }
}

/// Build an op from its name (`unary.relu`) and attribute entries.
pub fn parse_op(name: &str, entries: Vec<Entry>, line: usize) -> Result<Op, IrError> {
    let (head_name, kind) = match name.split_once('.') {
        Some((h, k)) => (h, Some(k.to_string())),
        None => (name, None),
    };
    let Some(mut op) = proto(head_name) else {
        let hint = suggest(name).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
        return Err(IrError::Parse { line, msg: format!("unknown op `{name}`{hint}") });
    };
    let mut v = ParseVisitor::new(format!("`{name}`"), kind, entries, line);
    visit_op(&mut op, &mut v)?;
    v.finish()?;
    Ok(op)
}

/// Records the kinds an op takes (for `op_names`).
struct KindProbe(Option<&'static [&'static str]>);

impl Visitor for KindProbe {
    fn kind<K: Keyword>(&mut self, _: &mut K) -> Result<(), IrError> {
        self.0 = Some(K::ALL);
        Ok(())
    }
    fn attr<T: AttrValue>(&mut self, _: &'static str, _: &mut T) -> Result<(), IrError> {
        Ok(())
    }
}

/// Every op name of the text form (`input`, `const`, `unary.abs`, …, `col2im`).
pub fn op_names() -> Vec<String> {
    let mut names = Vec::new();
    for h in HEADS {
        let Some(mut op) = proto(h) else { continue };
        let mut probe = KindProbe(None);
        let _ = visit_op(&mut op, &mut probe);
        match probe.0 {
            Some(kinds) => names.extend(kinds.iter().map(|k| format!("{h}.{k}"))),
            None => names.push(h.to_string()),
        }
    }
    names
}

/// The closest op name to a misspelled one, if any is close.
fn suggest(name: &str) -> Option<String> {
    fn dist(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for j in 0..b.len() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != b[j])).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    }
    if name.len() > 64 {
        return None;
    }
    let names = op_names();
    let (best, d) = names.iter().map(|n| (n, dist(name, n))).min_by_key(|&(_, d)| d)?;
    // Also match a bare kind (`relu` → `unary.relu`).
    if let Some(n) = names.iter().find(|n| n.split_once('.').is_some_and(|(_, k)| k == name)) {
        return Some(n.clone());
    }
    (d <= 2.max(name.len() / 4)).then(|| best.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse() {
        let names = op_names();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert!(names.contains(&"unary.leaky_relu".to_string()));
        assert!(names.contains(&"pool.lp".to_string()));
        assert!(names.contains(&"lstm".to_string()));
        assert!(names.contains(&"log_softmax".to_string()));
        for n in &names {
            if n == "const" {
                continue;
            }
            match parse_op(n, vec![], 1) {
                Ok(op) => assert_eq!(spell(&op, &PrintOptions::default()).0, *n),
                Err(e) => assert!(e.to_string().contains("missing attribute"), "{n}: {e}"),
            }
        }
    }

    #[test]
    fn errors() {
        let e = parse_op("unary.rleu", vec![], 3).unwrap_err();
        assert_eq!(e, IrError::Parse { line: 3, msg: "unknown unary op `rleu` in `unary.rleu`; expected one of: abs, neg, exp, log, sqrt, reciprocal, floor, ceil, round, sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, tanh, sigmoid, erf, sign, not, bitwise_not, relu, softplus, softsign, mish, hard_swish, is_nan, is_inf, leaky_relu, elu, selu, celu, hard_sigmoid, thresholded_relu, shrink, swish, gelu".into() });
        assert!(parse_op("matmull", vec![], 1).unwrap_err().to_string().contains("did you mean `matmul`"));
        assert!(parse_op("relu", vec![], 1).unwrap_err().to_string().contains("did you mean `unary.relu`"));
        assert!(parse_op("unary", vec![], 1).unwrap_err().to_string().contains("needs a unary op suffix"));
        assert!(parse_op("where.x", vec![], 1).unwrap_err().to_string().contains("takes no `.x` suffix"));
    }
}
