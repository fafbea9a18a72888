//! Round-trip tests of the IR text form: random graphs over the whole op set print, parse back to
//! a structurally equal graph and print identically; parse errors are precise; mutated text never
//! panics the parser.

use half::{bf16, f16};
use ir::text::{self, PrintOptions};
use ir::*;
use proptest::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;

const FULL: PrintOptions = PrintOptions { elide_above: None };

// ---------------------------------------------------------------------------------------------
// Random graphs, generated from a list of choices (proptest shrinks the list: fewer and smaller
// choices give smaller graphs with simpler attributes).

struct Rng {
    v: Vec<u64>,
    i: usize,
}

impl Rng {
    fn next(&mut self) -> u64 {
        let x = self.v.get(self.i).copied().unwrap_or(0);
        self.i += 1;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())].clone()
    }
    fn i64(&mut self) -> i64 {
        match self.below(8) {
            0 => i64::MIN,
            1 => i64::MAX,
            2 => self.next() as i64,
            _ => self.below(9) as i64 - 4,
        }
    }
    fn usize(&mut self) -> usize {
        match self.below(10) {
            0 => usize::MAX,
            _ => self.below(8),
        }
    }
    fn usizes(&mut self) -> Vec<usize> {
        (0..self.below(5)).map(|_| self.usize()).collect()
    }
    fn f32(&mut self) -> f32 {
        const SPECIAL: [f32; 12] = [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            1e-45,
            f32::MAX,
            f32::MIN_POSITIVE,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1e30,
        ];
        match self.below(4) {
            0 => f32::from_bits(self.next() as u32),
            1 => f32::from_bits(0x7f80_0000 | (self.next() as u32 & 0x807f_ffff) | 1), // NaN with payload
            _ => self.pick(&SPECIAL),
        }
    }
    fn f64(&mut self) -> f64 {
        match self.below(3) {
            0 => f64::from_bits(self.next()),
            1 => self.pick(&[0.0, -0.0, f64::NAN, -f64::INFINITY, 0.30000000000000004, 5e-324]),
            _ => self.f32() as f64,
        }
    }
    fn f(&mut self) -> F32 {
        F32(self.f32())
    }
    fn string(&mut self) -> String {
        const POOL: [char; 30] = [
            'a', 'Z', '0', '9', '_', '.', '/', ':', '"', '\\', '\n', '\t', '\r', ' ', 'é', '中', '🦀', '\u{1}',
            '\u{7f}', '%', '#', '-', '{', '}', '(', ')', ',', '=', '?', '\'',
        ];
        (0..self.below(9)).map(|_| self.pick(&POOL)).collect()
    }
    fn name(&mut self, i: usize) -> String {
        match self.below(6) {
            0 => format!("x{i}"),
            1 => format!("/layers.{i}/Add_output_0"),
            2 => format!("onnx::MatMul_{i}"),
            3 => format!("{i}"),
            _ => self.string(),
        }
    }
    fn dtype(&mut self) -> DType {
        self.pick(&DType::ALL)
    }
    fn dim(&mut self) -> Dim {
        match self.below(8) {
            0 => Dim::Sym("batch".into()),
            1 => Dim::Sym(format!("?{}", self.below(20))),
            2 => Dim::Sym(self.pick(&["seq len", "max(a,b)", "", "3", "N", "none"]).to_string()),
            3 => Dim::Sym(self.string()),
            _ => Dim::Static(self.pick(&[0, 1, 3, 784, usize::MAX])),
        }
    }
    fn ty(&mut self) -> TensorType {
        TensorType::new(self.dtype(), (0..self.below(5)).map(|_| self.dim()).collect())
    }
    fn tensor(&mut self) -> Tensor {
        let rank = self.below(4);
        let mut shape: Vec<usize> = (0..rank).map(|_| self.below(6)).collect();
        if self.below(4) == 0 {
            shape = vec![17 + self.below(30)]; // hex form
        }
        let n: usize = shape.iter().product();
        let dt = self.pick(&[
            DType::F32,
            DType::F64,
            DType::F16,
            DType::BF16,
            DType::I8,
            DType::I16,
            DType::I32,
            DType::I64,
            DType::U8,
            DType::U16,
            DType::U32,
            DType::U64,
            DType::Bool,
        ]);
        macro_rules! t {
            ($f:expr) => {
                Tensor::from_vec(&shape, (0..n).map(|_| $f).collect()).unwrap()
            };
        }
        match dt {
            DType::F32 => t!(self.f32()),
            DType::F64 => t!(self.f64()),
            DType::F16 => t!(if self.bool() { f16::from_bits(self.next() as u16) } else { f16::from_f32(self.f32()) }),
            DType::BF16 => {
                t!(if self.bool() { bf16::from_bits(self.next() as u16) } else { bf16::from_f32(self.f32()) })
            }
            DType::I8 => t!(self.next() as i8),
            DType::I16 => t!(self.next() as i16),
            DType::I32 => t!(self.next() as i32),
            DType::I64 => t!(self.i64()),
            DType::U8 => t!(self.next() as u8),
            DType::U16 => t!(self.next() as u16),
            DType::U32 => t!(self.next() as u32),
            DType::U64 => t!(self.next()),
            _ => t!(self.bool()),
        }
    }

    fn fused_arg(&mut self, step: usize) -> FusedArg {
        match self.below(3) {
            0 => FusedArg::In(self.below(3)),
            1 if step > 0 => FusedArg::Step(self.below(step)),
            _ => FusedArg::Const(F32(self.f32())),
        }
    }

    /// A fused expression (text round trip only: it need not type-check).
    fn fused(&mut self) -> FusedExpr {
        let n = self.below(4);
        let steps = (0..n)
            .map(|i| match self.below(4) {
                0 => FusedStep::Unary(self.unary(), self.fused_arg(i)),
                1 => FusedStep::Binary(self.binary(), self.fused_arg(i), self.fused_arg(i)),
                2 => FusedStep::Where(self.fused_arg(i), self.fused_arg(i), self.fused_arg(i)),
                _ => FusedStep::Cast(self.dtype(), self.fused_arg(i)),
            })
            .collect();
        FusedExpr { steps }
    }

    fn unary(&mut self) -> UnaryOp {
        use UnaryOp::*;
        let units = [
            Abs, Neg, Exp, Log, Sqrt, Reciprocal, Floor, Ceil, Round, Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh,
            Asinh, Acosh, Atanh, Tanh, Sigmoid, Erf, Sign, Not, BitwiseNot, Relu, Softplus, Softsign, Mish, HardSwish,
            IsNaN,
        ];
        match self.below(units.len() + 11) {
            0 => IsInf { detect_positive: self.bool(), detect_negative: self.bool() },
            1 => LeakyRelu { alpha: self.f() },
            2 => Elu { alpha: self.f() },
            3 => Selu { alpha: self.f(), gamma: self.f() },
            4 => Celu { alpha: self.f() },
            5 => HardSigmoid { alpha: self.f(), beta: self.f() },
            6 => ThresholdedRelu { alpha: self.f() },
            7 => Shrink { bias: self.f(), lambd: self.f() },
            8 => Swish { alpha: self.f() },
            9 | 10 => Gelu { tanh: self.bool() },
            k => units[k - 11].clone(),
        }
    }
    fn binary(&mut self) -> BinaryOp {
        use BinaryOp::*;
        let units = [
            Add,
            Sub,
            Mul,
            Div,
            Pow,
            Max,
            Min,
            And,
            Or,
            Xor,
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
            PRelu,
        ];
        match self.below(units.len() + 2) {
            0 | 1 => Mod { fmod: self.bool() },
            k => units[k - 2].clone(),
        }
    }
    fn auto_pad(&mut self) -> AutoPad {
        self.pick(&[AutoPad::NotSet, AutoPad::SameUpper, AutoPad::SameLower, AutoPad::Valid])
    }
    fn conv(&mut self) -> ConvAttrs {
        ConvAttrs {
            kernel_shape: self.usizes(),
            strides: self.usizes(),
            dilations: self.usizes(),
            pads: self.usizes(),
            auto_pad: self.auto_pad(),
            group: self.usize(),
        }
    }
    fn scatter(&mut self) -> ScatterReduction {
        use ScatterReduction::*;
        self.pick(&[None, Add, Mul, Max, Min])
    }
    fn resize_mode(&mut self) -> ResizeMode {
        self.pick(&[ResizeMode::Nearest, ResizeMode::Linear, ResizeMode::Cubic])
    }
    fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        if self.bool() {
            Some(f(self))
        } else {
            None
        }
    }
    fn activation(&mut self) -> RnnActivation {
        use RnnActivation::*;
        match self.below(11) {
            0 => Relu,
            1 => Tanh,
            2 => Sigmoid,
            3 => Affine { alpha: self.f(), beta: self.f() },
            4 => LeakyRelu { alpha: self.f() },
            5 => ThresholdedRelu { alpha: self.f() },
            6 => ScaledTanh { alpha: self.f(), beta: self.f() },
            7 => HardSigmoid { alpha: self.f(), beta: self.f() },
            8 => Elu { alpha: self.f() },
            9 => Softsign,
            _ => Softplus,
        }
    }

    /// Any op, with random attributes. The match must list every `Op` variant (see `all_ops_are_generated`).
    fn op(&mut self) -> Op {
        match self.below(71) {
            0 => Op::Input,
            1 => Op::Const(Arc::new(self.tensor())),
            2..=4 => Op::Unary(self.unary()),
            5..=6 => Op::Binary(self.binary()),
            7 => Op::Where,
            8 => Op::Clip,
            9 => Op::Cast { to: self.dtype(), saturate: self.bool() },
            10 => Op::MatMul { trans_a: self.bool(), trans_b: self.bool() },
            11 => Op::MatMulInteger,
            12 => Op::QuantizeLinear {
                axis: self.i64(),
                block_size: self.usize(),
                to: self.dtype(),
                saturate: self.bool(),
            },
            13 => Op::DequantizeLinear { axis: self.i64(), block_size: self.usize(), to: self.opt(|r| r.dtype()) },
            14 => Op::Conv(self.conv()),
            15 => Op::ConvInteger(self.conv()),
            16 => Op::ConvTranspose(ConvTransposeAttrs {
                conv: self.conv(),
                output_padding: self.usizes(),
                output_shape: self.opt(|r| r.usizes()),
            }),
            17 => Op::Pool(PoolAttrs {
                kind: match self.below(3) {
                    0 => PoolKind::Max,
                    1 => PoolKind::Avg { count_include_pad: self.bool() },
                    _ => PoolKind::Lp { p: self.next() as u32 },
                },
                kernel_shape: self.usizes(),
                strides: self.usizes(),
                dilations: self.usizes(),
                pads: self.usizes(),
                auto_pad: self.auto_pad(),
                ceil_mode: self.bool(),
                with_indices: self.bool(),
                column_major_indices: self.bool(),
            }),
            18 => {
                use ReduceKind::*;
                let kind = self.pick(&[Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare]);
                Op::Reduce { kind, keepdims: self.bool(), noop_with_empty_axes: self.bool() }
            }
            19 => Op::ArgReduce {
                max: self.bool(),
                axis: self.i64(),
                keepdims: self.bool(),
                select_last_index: self.bool(),
            },
            20 => {
                let kind = self.pick(&[SoftmaxKind::Softmax, SoftmaxKind::LogSoftmax, SoftmaxKind::Hardmax]);
                Op::Softmax { kind, axis: self.i64() }
            }
            21 => Op::BatchNorm { epsilon: self.f() },
            22 => Op::LayerNorm { axis: self.i64(), epsilon: self.f() },
            23 => Op::RmsNorm { axis: self.i64(), epsilon: self.f() },
            24 => Op::InstanceNorm { epsilon: self.f() },
            25 => Op::GroupNorm { num_groups: self.usize(), epsilon: self.f() },
            26 => Op::LpNorm { axis: self.i64(), p: self.next() as u32 },
            27 => Op::Lrn { alpha: self.f(), beta: self.f(), bias: self.f(), size: self.usize() },
            28 => Op::Reshape { allowzero: self.bool() },
            29 => Op::Transpose { perm: self.usizes() },
            30 => Op::Squeeze,
            31 => Op::Unsqueeze,
            32 => Op::Flatten { axis: self.i64() },
            33 => Op::Concat { axis: self.i64() },
            34 => Op::Split { axis: self.i64(), num_outputs: self.usize() },
            35 => Op::Slice,
            36 => Op::Gather { axis: self.i64() },
            37 => Op::GatherElements { axis: self.i64() },
            38 => Op::GatherNd { batch_dims: self.usize() },
            39 => Op::ScatterElements { axis: self.i64(), reduction: self.scatter() },
            40 => Op::ScatterNd { reduction: self.scatter() },
            41 => Op::Expand,
            42 => Op::Tile,
            43 => Op::Pad { mode: self.pick(&[PadMode::Constant, PadMode::Reflect, PadMode::Edge, PadMode::Wrap]) },
            44 => Op::Shape { start: self.i64(), end: self.opt(|r| r.i64()) },
            45 => Op::Size,
            46 => Op::ConstantOfShape { value: Arc::new(self.tensor()) },
            47 => Op::Range,
            48 => Op::OneHot { axis: self.i64() },
            49 => Op::EyeLike { k: self.i64(), dtype: self.opt(|r| r.dtype()) },
            50 => Op::Trilu { upper: self.bool() },
            51 => Op::DepthToSpace { blocksize: self.usize(), crd: self.bool() },
            52 => Op::SpaceToDepth { blocksize: self.usize() },
            53 => Op::NonZero,
            54 => Op::TopK { axis: self.i64(), largest: self.bool(), sorted: self.bool() },
            55 => Op::CumSum { exclusive: self.bool(), reverse: self.bool() },
            56 => Op::CumProd { exclusive: self.bool(), reverse: self.bool() },
            57 => Op::ReverseSequence { batch_axis: self.usize(), time_axis: self.usize() },
            58 => Op::Einsum { equation: if self.bool() { "bij,bjk->bik".into() } else { self.string() } },
            59 => Op::Resize(ResizeAttrs {
                mode: self.resize_mode(),
                coord: {
                    use CoordTransform::*;
                    self.pick(&[
                        HalfPixel,
                        HalfPixelSymmetric,
                        PytorchHalfPixel,
                        AlignCorners,
                        Asymmetric,
                        TfCropAndResize,
                    ])
                },
                nearest: {
                    use NearestMode::*;
                    self.pick(&[RoundPreferFloor, RoundPreferCeil, Floor, Ceil])
                },
                cubic_coeff_a: self.f(),
                exclude_outside: self.bool(),
                extrapolation_value: self.f(),
                antialias: self.bool(),
                keep_aspect: self.pick(&[KeepAspect::Stretch, KeepAspect::NotLarger, KeepAspect::NotSmaller]),
                axes: self.opt(|r| (0..r.below(4)).map(|_| r.i64()).collect()),
            }),
            60 => Op::Compress { axis: self.opt(|r| r.i64()) },
            61 => Op::Unique { axis: self.opt(|r| r.i64()), sorted: self.bool() },
            62 => Op::Det,
            63 => Op::GridSample {
                mode: self.resize_mode(),
                padding: self.pick(&[GridPadding::Zeros, GridPadding::Border, GridPadding::Reflection]),
                align_corners: self.bool(),
            },
            64 => Op::Rnn(RnnAttrs {
                kind: match self.below(3) {
                    0 => RnnKind::Rnn,
                    1 => RnnKind::Gru { linear_before_reset: self.bool() },
                    _ => RnnKind::Lstm { input_forget: self.bool() },
                },
                direction: self.pick(&[RnnDirection::Forward, RnnDirection::Reverse, RnnDirection::Bidirectional]),
                hidden_size: self.usize(),
                activations: (0..self.below(7)).map(|_| self.activation()).collect(),
                clip: self.opt(|r| r.f()),
                batch_major: self.bool(),
            }),
            65 => Op::Attention(AttentionAttrs { scale: self.opt(|r| r.f()), causal: self.bool(), softcap: self.f() }),
            66 => Op::RotaryEmbedding { interleaved: self.bool(), rotary_dim: self.usize(), num_heads: self.usize() },
            68 => Op::Fused(self.fused()),
            69 => Op::MatMulFused { trans_a: self.bool(), trans_b: self.bool(), epilogue: self.fused() },
            70 => Op::ConvFused { attrs: self.conv(), epilogue: self.fused() },
            _ => Op::Col2Im { dilations: self.usizes(), pads: self.usizes(), strides: self.usizes() },
        }
    }
}

/// A random graph: inputs, constants, op nodes with holes and several outputs, graph outputs.
fn random_graph(choices: Vec<u64>) -> Graph {
    let mut r = Rng { v: choices, i: 0 };
    let mut g = Graph::new(if r.bool() { "main".to_string() } else { r.string() });
    let mut used = HashSet::new();
    let mut fresh = |r: &mut Rng, i: usize| {
        let mut n = r.name(i);
        while !used.insert(n.clone()) {
            n.push('~');
        }
        n
    };
    let mut values: Vec<ValueId> = Vec::new();
    for i in 0..1 + r.below(3) {
        let name = fresh(&mut r, i);
        values.push(g.add_input(name, r.ty()));
    }
    for i in 0..r.below(3) {
        let name = fresh(&mut r, 100 + i);
        values.push(g.add_const(name, Arc::new(r.tensor())));
    }
    for i in 0..r.below(12) {
        let op = r.op();
        let ar = text::arity(&op);
        let max = ar.max_inputs.unwrap_or(ar.min_inputs + 3);
        let n_in = ar.min_inputs + r.below(max - ar.min_inputs + 1);
        let required = if ar.max_inputs.is_none() { n_in } else { ar.min_inputs };
        let ins: Vec<Option<ValueId>> =
            (0..n_in).map(|s| if s < required || r.bool() { Some(r.pick(&values)) } else { None }).collect();
        let max_out = ar.max_outputs.unwrap_or(4).min(4);
        // Nodes without outputs (before inference) are rare; most have 1..=max.
        let n_out = if r.below(8) == 0 { 0 } else { 1 + r.below(max_out) };
        let outs: Vec<TensorType> = (0..n_out).map(|_| r.ty()).collect();
        let name = fresh(&mut r, 200 + i);
        let id = g.add_node(name, op, &ins, outs).unwrap();
        values.extend((0..n_out as u32).map(|p| ValueId::new(id, p)));
    }
    let mut out_names = HashSet::new();
    for i in 0..r.below(4) {
        let v = r.pick(&values);
        let name = if r.bool() { g.node(v.node).name.clone() } else { r.name(300 + i) };
        if out_names.insert(name.clone()) {
            g.add_output(name, v).unwrap();
        }
    }
    g
}

// ---------------------------------------------------------------------------------------------
// Structural equality, with constants compared bit for bit.

fn same_tensor(a: &Tensor, b: &Tensor) -> bool {
    a.dtype() == b.dtype() && a.shape() == b.shape() && a.to_le_bytes() == b.to_le_bytes()
}

fn same_op(a: &Op, b: &Op) -> bool {
    match (a, b) {
        (Op::Const(x), Op::Const(y)) => same_tensor(x, y),
        (Op::ConstantOfShape { value: x }, Op::ConstantOfShape { value: y }) => same_tensor(x, y),
        _ => a == b,
    }
}

fn value_key(g: &Graph, v: ValueId) -> (String, u32) {
    (g.node(v.node).name.clone(), v.port)
}

fn assert_same(a: &Graph, b: &Graph) {
    assert_eq!(a.name, b.name);
    assert_eq!(a.node_count(), b.node_count());
    let names =
        |g: &Graph| g.inputs().iter().map(|&i| (g.node(i).name.clone(), g.node(i).outputs.clone())).collect::<Vec<_>>();
    assert_eq!(names(a), names(b));
    for id in a.node_ids() {
        let n = a.node(id);
        let bid = b.find_node(&n.name).unwrap_or_else(|| panic!("node {:?} lost", n.name));
        let m = b.node(bid);
        assert!(same_op(&n.op, &m.op), "{:?}: {:?} vs {:?}", n.name, n.op, m.op);
        assert_eq!(n.num_inputs, m.num_inputs, "{:?}", n.name);
        assert_eq!(n.outputs, m.outputs, "{:?}", n.name);
        let ia: Vec<_> = a.node_inputs(id).into_iter().map(|v| v.map(|v| value_key(a, v))).collect();
        let ib: Vec<_> = b.node_inputs(bid).into_iter().map(|v| v.map(|v| value_key(b, v))).collect();
        assert_eq!(ia, ib, "{:?}", n.name);
    }
    let outs = |g: &Graph| g.outputs().iter().map(|(n, v)| (n.clone(), value_key(g, *v))).collect::<Vec<_>>();
    assert_eq!(outs(a), outs(b));
}

fn has_big_const(g: &Graph, n: usize) -> bool {
    g.node_ids().iter().any(|&id| match &g.node(id).op {
        Op::Const(t) | Op::ConstantOfShape { value: t } => t.len() > n,
        _ => false,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn print_parse_print(choices in prop::collection::vec(any::<u64>(), 0..600)) {
        let g = random_graph(choices);
        let t1 = text::print(&g, FULL);
        let g2 = match text::parse(&t1) {
            Ok(g2) => g2,
            Err(e) => panic!("{e}\n{t1}"),
        };
        let t2 = text::print(&g2, FULL);
        prop_assert_eq!(&t1, &t2);
        assert_same(&g, &g2);
        // Elided dumps parse only when nothing was elided.
        let elided = text::print(&g, PrintOptions { elide_above: Some(4) });
        match text::parse(&elided) {
            Ok(_) => prop_assert!(!has_big_const(&g, 4)),
            Err(e) => prop_assert!(has_big_const(&g, 4) && e.to_string().contains("elided"), "{}", e),
        }
    }

    #[test]
    fn mutated_text_never_panics(choices in prop::collection::vec(any::<u64>(), 0..300), edits in prop::collection::vec(any::<u64>(), 1..6)) {
        let t = text::print(&random_graph(choices), FULL);
        let mut chars: Vec<char> = t.chars().collect();
        const POOL: [char; 24] = ['%', '#', ':', '=', '(', ')', '[', ']', '{', '}', '<', '>', ',', '"', '\\', '\n', '_', '0', '9', '-', '.', 'e', 'x', 'é'];
        for e in edits {
            if chars.is_empty() {
                break;
            }
            let at = (e >> 8) as usize % chars.len();
            match e % 6 {
                0 => { chars.remove(at); }
                1 => chars.insert(at, POOL[(e >> 40) as usize % POOL.len()]),
                2 => chars[at] = POOL[(e >> 40) as usize % POOL.len()],
                3 => chars.truncate(at),
                4 => { let end = (at + (e >> 40) as usize % 20).min(chars.len()); chars.drain(at..end); }
                _ => { let end = (at + (e >> 40) as usize % 30).min(chars.len()); let dup: Vec<char> = chars[at..end].to_vec(); chars.splice(at..at, dup); }
            }
        }
        let s: String = chars.into_iter().collect();
        if let Ok(g) = text::parse(&s) {
            // Whatever parses prints and parses again to the same text.
            let t1 = text::print(&g, FULL);
            let t2 = text::print(&text::parse(&t1).unwrap(), FULL);
            prop_assert_eq!(t1, t2);
        }
    }
}

#[test]
fn all_ops_are_generated() {
    // The generator above covers every op name of the text form (so the round trip covers them).
    let mut seen = HashSet::new();
    for seed in 0u64..20_000 {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let v: Vec<u64> = (0..64)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            })
            .collect();
        seen.insert(text::op_name(&Rng { v, i: 0 }.op()));
    }
    let missing: Vec<String> = text::op_names().into_iter().filter(|n| !seen.contains(n)).collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}

// ---------------------------------------------------------------------------------------------
// Hand-written text.

const EXAMPLE: &str = r#"graph main(%x: f32[1,4], %mask: i64[batch,"seq len"]) {
  %w = const f32[4,2] dense<[1.0, 2.5, -0.0, nan, inf, -inf, 1e-7, nan(0xffc00001)]>
  %big = const u8[17] dense<0x0102030405060708090A0B0C0D0E0F1011>
  %mm = matmul(%x, %w) {trans_a = false, trans_b = false} : f32[1,2]
  %s:2 = split(%mm, _) {axis = 1, num_outputs = 2} : f32[1,1], f32[1,1]
  %r = unary.leaky_relu(%s#0) {alpha = 0.01} : f32[1,1]
  %"onnx::Add_1" = binary.add(%r, %s#1) : f32[1,1]
  %p:2 = pool.max(%x) {kernel_shape = [2], strides = [1], dilations = [1], pads = [0, 0], auto_pad = notset, ceil_mode = false, with_indices = true, column_major_indices = false} : f32[1,3], i64[1,3]
  %l = lstm(%x, %x, %x, _, _, _, _, %x) {input_forget = false, direction = bidirectional, hidden_size = 3, activations = [sigmoid, tanh, affine(alpha = 1.0, beta = -0.5)], clip = none, batch_major = false} : f32[?1,2,1,3]
  %c = constant_of_shape(%mask) {value = f32[1] dense<[0.0]>} : f32[?2,?3]
  %e = einsum(%x, %x) {equation = "ij,ij->\"i\""} : f32[1]
  return %"onnx::Add_1" as "y", %p#1 as "indices", %l, %c, %e, %big
}
"#;

#[test]
fn example_is_canonical() {
    let g = text::parse(EXAMPLE).unwrap();
    assert_eq!(text::print(&g, FULL), EXAMPLE);
    assert_eq!(g.inputs().len(), 2);
    assert_eq!(g.node_count(), 12);
    let s = g.find_node("s").unwrap();
    let r = g.find_node("r").unwrap();
    assert_eq!(g.node_inputs(r), vec![Some(ValueId::new(s, 0))]);
    assert_eq!(g.node_inputs(s).len(), 2);
    assert_eq!(g.node_inputs(s)[1], None);
    assert_eq!(g.node(r).op, Op::Unary(UnaryOp::LeakyRelu { alpha: F32(0.01) }));
    let w = g.const_value(ValueId::new(g.find_node("w").unwrap(), 0)).unwrap();
    let w = w.as_array::<f32>().unwrap();
    assert_eq!(w.shape(), &[4, 2]);
    let bits: Vec<u32> = w.iter().map(|x| x.to_bits()).collect();
    assert_eq!(
        bits,
        vec![
            1.0f32.to_bits(),
            2.5f32.to_bits(),
            0x8000_0000,
            0x7fc0_0000,
            0x7f80_0000,
            0xff80_0000,
            1e-7f32.to_bits(),
            0xffc0_0001
        ]
    );
    let big = g.const_value(ValueId::new(g.find_node("big").unwrap(), 0)).unwrap();
    assert_eq!(big.to_le_bytes(), (1u8..=17).collect::<Vec<_>>());
    assert_eq!(g.value_type(ValueId::new(g.find_node("mask").unwrap(), 0)).dims[1], Dim::Sym("seq len".into()));
    let outs: Vec<&str> = g.outputs().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(outs, ["y", "indices", "l", "c", "e", "big"]);
    match &g.node(g.find_node("e").unwrap()).op {
        Op::Einsum { equation } => assert_eq!(equation, "ij,ij->\"i\""),
        other => panic!("{other:?}"),
    }
    match &g.node(g.find_node("l").unwrap()).op {
        Op::Rnn(a) => {
            assert_eq!(a.kind, RnnKind::Lstm { input_forget: false });
            assert_eq!(a.activations[2], RnnActivation::Affine { alpha: F32(1.0), beta: F32(-0.5) });
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn elided_dump() {
    let g = text::parse(EXAMPLE).unwrap();
    let t = text::print(&g, PrintOptions { elide_above: Some(4) });
    assert!(t.contains("%w = const f32[4,2] dense<...>\n"), "{t}");
    assert!(t.contains("{value = f32[1] dense<[0.0]>}"), "{t}");
    let e = text::parse(&t).unwrap_err();
    assert_eq!(e, IrError::Parse { line: 2, msg: e_msg(&e) });
    assert!(e.to_string().contains("elided"), "{e}");
}

fn e_msg(e: &IrError) -> String {
    match e {
        IrError::Parse { msg, .. } => msg.clone(),
        other => panic!("not a parse error: {other}"),
    }
}

#[test]
fn lenient_input_forms() {
    // Comments, blank lines, lists across lines, attributes in any order, `%s` for `%s#0`,
    // `return` without `as`, integers for float attributes.
    let src = "// a test\n\ngraph g(\n  %x: f32[2],\n  %y: f32[2]\n) {\n  %s:2 = split(%x) {num_outputs = 2, axis = 0} : f32[1], f32[1]  // halves\n  %a = unary.elu(%s) {alpha = 1} : f32[1]\n  %c = concat(\n    %a,\n    %s#1\n  ) {axis = 0} : f32[2]\n\n  return %c\n}\n";
    let g = text::parse(src).unwrap();
    let t = text::print(&g, FULL);
    assert_eq!(
        t,
        "graph g(%x: f32[2], %y: f32[2]) {\n  %s:2 = split(%x) {axis = 0, num_outputs = 2} : f32[1], f32[1]\n  %a = unary.elu(%s#0) {alpha = 1.0} : f32[1]\n  %c = concat(%a, %s#1) {axis = 0} : f32[2]\n  return %c\n}\n"
    );
}

/// Parse `body` inside a graph with inputs %x: f32[3] and %i: i64[2]; the error, with its line.
fn err(body: &str) -> (usize, String) {
    let src = format!("graph g(%x: f32[3], %i: i64[2]) {{\n{body}\n}}\n");
    match text::parse(&src) {
        Ok(_) => panic!("parsed:\n{src}"),
        Err(IrError::Parse { line, msg }) => (line, msg),
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn parse_errors_are_precise() {
    let cases: &[(&str, usize, &str)] = &[
        ("  %a = matmull(%x, %x) {trans_a = false, trans_b = false} : f32[3]\n  return %a", 2, "unknown op `matmull`; did you mean `matmul`?"),
        ("  %a = relu(%x) : f32[3]\n  return %a", 2, "did you mean `unary.relu`"),
        ("  %a = unary.relu(%x) {alpha = 1.0} : f32[3]\n  return %a", 2, "unknown attribute `alpha` for `unary.relu`; it takes no attributes"),
        ("  %a = matmul(%x, %x) {trans_a = false, trans_c = true} : f32[3]\n  return %a", 2, "unknown attribute `trans_c` for `matmul`; it takes: trans_a, trans_b"),
        ("  %a = matmul(%x, %x) {trans_a = false} : f32[3]\n  return %a", 2, "`matmul` is missing attribute `trans_b`"),
        ("  %a = matmul(%x, %x) {trans_a = false, trans_a = true} : f32[3]\n  return %a", 2, "attribute `trans_a` is given twice"),
        ("  %a = matmul(%x, %x) {trans_a = 1, trans_b = true} : f32[3]\n  return %a", 2, "attribute `trans_a` of `matmul`: expected true or false, found `1`"),
        ("  %a = pool.avg(%x) {count_include_pad = false, kernel_shape = [2], strides = [1], dilations = [1], pads = [0, 0], auto_pad = same, ceil_mode = false, with_indices = false, column_major_indices = false} : f32[3]\n  return %a", 2, "unknown auto_pad `same`; expected one of: notset, same_upper, same_lower, valid"),
        ("  %a = unary.relu(%x) : f33[3]\n  return %a", 2, "bad type: unknown dtype `f33`"),
        ("  %a = unary.relu(%x) : f32[-1]\n  return %a", 2, "bad dimension `-1`"),
        ("  %a = unary.relu(%x)\n  return %a", 2, "`%a` has no output types"),
        ("  %a = unary.relu(%z) : f32[3]\n  return %a", 2, "use of undefined value `%z`"),
        ("  %a = unary.relu(%b) : f32[3]\n  %b = unary.relu(%x) : f32[3]\n  return %a", 2, "`%b` is used before its definition (line 3)"),
        ("  %a = unary.relu(%x) : f32[3]\n  %a = unary.relu(%x) : f32[3]\n  return %a", 3, "`%a` is defined twice (first on line 2)"),
        ("  %x = unary.relu(%i) : f32[3]\n  return %x", 2, "`%x` is defined twice (first on line 1)"),
        ("  %a = binary.add(%x) : f32[3]\n  return %a", 2, "`binary.add` takes 2 inputs, got 1"),
        ("  %a = conv(%x, _, %x) {kernel_shape = [], strides = [], dilations = [], pads = [], auto_pad = valid, group = 1} : f32[3]\n  return %a", 2, "`conv` input 1 is required but empty"),
        ("  %a = concat() {axis = 0} : f32[3]\n  return %a", 2, "`concat` takes at least 1 inputs, got 0"),
        ("  %a:2 = unary.relu(%x) : f32[3], f32[3]\n  return %a#0", 2, "`unary.relu` has at most 1 outputs, got 2"),
        ("  %a:2 = split(%x) {axis = 0, num_outputs = 2} : f32[3]\n  return %a#0", 2, "`%a` declares 2 outputs but lists 1 types"),
        ("  %a:2 = split(%x) {axis = 0, num_outputs = 2} : f32[3], f32[3]\n  return %a#2", 3, "`%a` has 2 outputs; there is no output 2"),
        ("  %c = const f32[2] dense<[1.0]>\n  return %c", 2, "the constant has 1 elements but its type has 2"),
        ("  %c = const f32[2] dense<[1.0, 2.0, 3.0]>\n  return %c", 2, "too many elements: the type has 2"),
        ("  %c = const f32[2] dense<[1.0, abc]>\n  return %c", 2, "expected a float, found `abc`"),
        ("  %c = const i8[1] dense<[300]>\n  return %c", 2, "bad i8 `300`"),
        ("  %c = const f32[1] dense<0x0000>\n  return %c", 2, "f32 tensor of shape [1] needs 4 bytes of data, got 2"),
        ("  %c = const f32[n] dense<[1.0]>\n  return %c", 2, "constants need a static shape"),
        ("  %c = const string[1] dense<[1.0]>\n  return %c", 2, "constants of dtype string are not supported"),
        ("  %c = const f32[1] dense<[nan(0x3f800000)]>\n  return %c", 2, "nan(0x3f800000) is not a NaN bit pattern"),
        ("  %a = unary.relu(%x) : f32[3]\n  return %a as \"o\", %x as \"o\"", 3, "two graph outputs are named \"o\""),
        ("  %a = unary.relu(%x) : f32[3] f32[3]\n  return %a", 2, "expected end of line after the node, found `f32`"),
        ("  %a = unary.relu(%x) : f32[3]", 3, "the graph body has no `return`"),
        ("  %a = unary\n  return %a", 2, "expected `(` after op `unary`"),
        ("  %a = unary(%x) : f32[3]\n  return %a", 2, "`unary` needs a unary op suffix, one of: abs, neg"),
    ];
    for (body, line, msg) in cases {
        let (l, m) = err(body);
        assert!(m.contains(msg), "{body}\n  got: {m}\n  want: {msg}");
        assert_eq!(l, *line, "{body}: {m}");
    }
    assert!(text::parse("").unwrap_err().to_string().contains("expected `graph"));
    assert!(text::parse("graph g() {\n  return\n}\n}").unwrap_err().to_string().contains("after the end of the graph"));
    assert!(text::parse("graph g(%x: f32[1]) {\n  return %x\n").unwrap_err().to_string().contains("expected `}`"));
}

#[test]
fn weird_names_and_dims_round_trip() {
    let mut g = Graph::new("my model/v1");
    let x = g.add_input(
        "input:0",
        TensorType::new(DType::F32, vec![Dim::Sym("batch size".into()), Dim::Sym("?7".into()), 3.into()]),
    );
    let c = g.add_const("", Arc::new(Tensor::from_vec(&[0], Vec::<f32>::new()).unwrap()));
    let id = g
        .add_node("/layers.0/Add\n\"q\"", Op::Binary(BinaryOp::Add), &[Some(x), Some(c)], vec![g.value_type(x).clone()])
        .unwrap();
    g.add_output("out put", ValueId::new(id, 0)).unwrap();
    let t = text::print(&g, FULL);
    assert_eq!(
        t,
        "graph \"my model/v1\"(%\"input:0\": f32[\"batch size\",?7,3]) {\n  %\"\" = const f32[0] dense<[]>\n  %\"/layers.0/Add\\n\\\"q\\\"\" = binary.add(%\"input:0\", %\"\") : f32[\"batch size\",?7,3]\n  return %\"/layers.0/Add\\n\\\"q\\\"\" as \"out put\"\n}\n"
    );
    let g2 = text::parse(&t).unwrap();
    assert_same(&g, &g2);
}

#[test]
fn op_to_string_spells_attributes() {
    let op = Op::Reduce { kind: ReduceKind::Mean, keepdims: true, noop_with_empty_axes: false };
    assert_eq!(text::op_to_string(&op, FULL), "reduce.mean {keepdims = true, noop_with_empty_axes = false}");
    assert_eq!(text::op_name(&Op::Softmax { kind: SoftmaxKind::LogSoftmax, axis: -1 }), "log_softmax");
    assert_eq!(text::op_to_string(&Op::Where, FULL), "where");
}
