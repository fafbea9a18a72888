//! Randomised robustness tests for the shape, index and resize families: arbitrary shapes,
//! operands and attributes must never panic, and whenever evaluation succeeds, inference on the
//! same (constant) inputs must give exactly the produced types.

use crate::ops::{eval, infer};
use crate::{
    CoordTransform, DType, GridPadding, KeepAspect, NearestMode, Op, PadMode, ResizeAttrs, ResizeMode,
    ScatterReduction, Tensor, TensorType, F32,
};
use proptest::prelude::*;
use std::sync::Arc;

/// A small deterministic generator driven by the proptest seed.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    /// A small integer, occasionally extreme.
    fn operand(&mut self) -> i64 {
        match self.below(12) {
            0 => i64::MAX,
            1 => i64::MIN,
            2 => 1 << 40,
            _ => self.int(-3, 4),
        }
    }
    fn shape(&mut self, max_rank: u64) -> Vec<usize> {
        let r = self.below(max_rank + 1) as usize;
        (0..r).map(|_| self.below(4) as usize).collect()
    }
    fn data(&mut self, shape: &[usize], int: bool) -> Tensor {
        let n: usize = shape.iter().product();
        if int {
            Tensor::from_vec(shape, (0..n).map(|_| self.int(-4, 4)).collect::<Vec<i64>>()).unwrap()
        } else {
            Tensor::from_vec(shape, (0..n).map(|_| self.int(-8, 8) as f32 * 0.5).collect::<Vec<f32>>()).unwrap()
        }
    }
    fn ints(&mut self, len: usize) -> Tensor {
        Tensor::from_vec(&[len], (0..len).map(|_| self.operand()).collect::<Vec<i64>>()).unwrap()
    }
    fn ints_len(&mut self, near: usize) -> Tensor {
        let len = if self.below(4) == 0 { self.below(5) as usize } else { near };
        self.ints(len)
    }
    fn floats(&mut self, len: usize) -> Tensor {
        let pool = [0.5f32, 1.0, 2.0, 1.5, 0.25, 3.0, -1.0, 0.0];
        Tensor::from_vec(&[len], (0..len).map(|_| pool[self.below(8) as usize]).collect::<Vec<f32>>()).unwrap()
    }
    fn ranged(&mut self, len: usize, lo: i64, hi: i64) -> Tensor {
        Tensor::from_vec(&[len], (0..len).map(|_| self.int(lo, hi)).collect::<Vec<i64>>()).unwrap()
    }
    fn maybe(&mut self, t: Tensor) -> Option<Tensor> {
        self.coin().then_some(t)
    }
}

/// A random op with random inputs (None slots are absent optional inputs).
fn case(g: &mut Gen) -> (Op, Vec<Option<Tensor>>) {
    let shape = g.shape(4);
    let rank = shape.len();
    let int = g.coin();
    let x = g.data(&shape, int);
    let ax = g.int(-5, 5);
    match g.below(33) {
        0 => (Op::Reshape { allowzero: g.coin() }, vec![Some(x), Some(g.ints_len(rank))]),
        1 => {
            let mut perm: Vec<usize> = (0..rank).collect();
            for i in (1..perm.len()).rev() {
                perm.swap(i, g.below(i as u64 + 1) as usize);
            }
            if g.below(5) == 0 && !perm.is_empty() {
                perm[0] = g.below(rank as u64 + 1) as usize;
            }
            (Op::Transpose { perm }, vec![Some(x)])
        }
        2 => {
            let axes = g.ranged(1, -4, 4);
            (Op::Squeeze, vec![Some(x), g.maybe(axes)])
        }
        3 => (Op::Unsqueeze, vec![Some(x), Some(g.ints_len(1))]),
        4 => (Op::Flatten { axis: ax }, vec![Some(x)]),
        5 => {
            let mut s2 = shape.clone();
            if !s2.is_empty() && g.coin() {
                let k = g.below(rank as u64) as usize;
                s2[k] = g.below(4) as usize;
            }
            let y = g.data(&s2, int);
            (Op::Concat { axis: ax }, vec![Some(x), Some(y)])
        }
        6 => {
            let n = g.int(1, 3) as usize;
            let split = g.ranged(n, -1, 3);
            let split = g.maybe(split);
            (Op::Split { axis: ax, num_outputs: n }, vec![Some(x), split])
        }
        7 => {
            let k = g.below(rank as u64 + 1) as usize;
            let (s, e) = (g.ints(k), g.ints(k));
            let axes = g.ranged(k, -4, 4);
            let axes = g.maybe(axes);
            let steps = g.ints(k);
            let steps = g.maybe(steps);
            (Op::Slice, vec![Some(x), Some(s), Some(e), axes, steps])
        }
        8 => (Op::Expand, vec![Some(x), Some(g.ints_len(rank))]),
        9 => (Op::Tile, vec![Some(x), Some(g.ints_len(rank))]),
        10 => {
            let mode = [PadMode::Constant, PadMode::Reflect, PadMode::Edge, PadMode::Wrap][g.below(4) as usize];
            let use_axes = g.coin();
            let k = if use_axes { g.below(rank as u64 + 1) as usize } else { rank };
            let pads = g.ranged(2 * k, -3, 4);
            let axes = g.ranged(k, -4, 3);
            let axes = use_axes.then_some(axes);
            let cv = if int { Tensor::scalar(7i64) } else { Tensor::scalar(7f32) };
            (Op::Pad { mode }, vec![Some(x), Some(pads), g.maybe(cv), axes])
        }
        11 => (Op::Shape { start: g.int(-5, 5), end: g.coin().then(|| g.int(-5, 5)) }, vec![Some(x)]),
        12 => (Op::Size, vec![Some(x)]),
        13 => {
            let v = if int { Tensor::scalar(3i32) } else { Tensor::from_vec(&[1], vec![2.5f32]).unwrap() };
            (Op::ConstantOfShape { value: Arc::new(v) }, vec![Some(g.ints_len(2))])
        }
        14 => {
            let v = [g.int(-5, 5), g.int(-5, 5), g.int(-3, 3)];
            let ts: Vec<Option<Tensor>> = if int {
                v.iter().map(|&a| Some(Tensor::scalar(a))).collect()
            } else {
                v.iter().map(|&a| Some(Tensor::scalar(a as f32 * 0.75))).collect()
            };
            (Op::Range, ts)
        }
        15 => (Op::EyeLike { k: g.int(-3, 3), dtype: g.coin().then_some(DType::I32) }, vec![Some(x)]),
        16 => {
            let k = Tensor::scalar(g.int(-3, 3));
            (Op::Trilu { upper: g.coin() }, vec![Some(x), g.maybe(k)])
        }
        17 => (Op::DepthToSpace { blocksize: g.below(3) as usize, crd: g.coin() }, vec![Some(x)]),
        18 => (Op::SpaceToDepth { blocksize: g.below(3) as usize }, vec![Some(x)]),
        19 => {
            let ish = g.shape(2);
            let idx = g.data(&ish, true);
            (Op::Gather { axis: ax }, vec![Some(x), Some(idx)])
        }
        20 => {
            let ish: Vec<usize> = shape.iter().map(|&d| g.below(d as u64 + 2) as usize).collect();
            let idx = g.data(&ish, true);
            (Op::GatherElements { axis: ax }, vec![Some(x), Some(idx)])
        }
        21 => {
            let mut ish = g.shape(2);
            ish.push(g.int(0, 3) as usize);
            let idx = g.data(&ish, true);
            (Op::GatherNd { batch_dims: g.below(2) as usize }, vec![Some(x), Some(idx)])
        }
        22 => {
            let ish: Vec<usize> = shape.iter().map(|&d| g.below(d as u64 + 1) as usize).collect();
            let idx = g.data(&ish, true);
            let upd = g.data(&ish, int);
            let r = [ScatterReduction::None, ScatterReduction::Add, ScatterReduction::Max][g.below(3) as usize];
            (Op::ScatterElements { axis: ax, reduction: r }, vec![Some(x), Some(idx), Some(upd)])
        }
        23 => {
            let k = g.below(rank as u64 + 1) as usize;
            let mut ish = g.shape(1);
            ish.push(k);
            let idx = g.data(&ish, true);
            let mut ush = ish[..ish.len() - 1].to_vec();
            ush.extend_from_slice(&shape[k.min(rank)..]);
            let upd = g.data(&ush, int);
            (Op::ScatterNd { reduction: ScatterReduction::Mul }, vec![Some(x), Some(idx), Some(upd)])
        }
        24 => {
            let vals = if g.coin() { g.floats(2) } else { g.floats(3) };
            (Op::OneHot { axis: ax }, vec![Some(x), Some(Tensor::scalar(g.int(-1, 4))), Some(vals)])
        }
        25 => (Op::NonZero, vec![Some(x)]),
        26 => {
            let n = g.below(5) as usize;
            let c = Tensor::from_vec(&[n], (0..n).map(|_| g.coin()).collect::<Vec<bool>>()).unwrap();
            (Op::Compress { axis: g.coin().then_some(ax) }, vec![Some(x), Some(c)])
        }
        27 => (Op::Unique { axis: g.coin().then_some(ax), sorted: g.coin() }, vec![Some(x)]),
        28 => {
            let n = shape.get(1).copied().unwrap_or(0);
            let lens = g.ranged(n, -1, 4);
            (Op::ReverseSequence { batch_axis: 1, time_axis: 0 }, vec![Some(x), Some(lens)])
        }
        29..=31 => {
            let modes = [ResizeMode::Nearest, ResizeMode::Linear, ResizeMode::Cubic];
            let coords = [
                CoordTransform::HalfPixel,
                CoordTransform::HalfPixelSymmetric,
                CoordTransform::PytorchHalfPixel,
                CoordTransform::AlignCorners,
                CoordTransform::Asymmetric,
                CoordTransform::TfCropAndResize,
            ];
            let use_axes = g.coin();
            let axes: Option<Vec<i64>> =
                use_axes.then(|| (0..g.below(rank as u64 + 1)).map(|_| g.int(-4, 3)).collect());
            let k = axes.as_ref().map_or(rank, Vec::len);
            let attrs = ResizeAttrs {
                mode: modes[g.below(3) as usize],
                coord: coords[g.below(6) as usize],
                nearest: [NearestMode::RoundPreferFloor, NearestMode::Ceil][g.below(2) as usize],
                cubic_coeff_a: F32(-0.75),
                exclude_outside: g.coin(),
                extrapolation_value: F32(-1.0),
                antialias: g.below(3) == 0,
                keep_aspect: [KeepAspect::Stretch, KeepAspect::NotLarger, KeepAspect::NotSmaller][g.below(3) as usize],
                axes,
            };
            let roi = g.floats(2 * k);
            let roi = g.maybe(roi);
            let (scales, sizes) = if g.coin() {
                (Some(g.floats(k)), None)
            } else {
                (None, Some(g.ranged(k, -1, 5)))
            };
            (Op::Resize(attrs), vec![Some(x), roi, scales, sizes])
        }
        _ => {
            let n = rank.saturating_sub(2);
            let mut gsh = vec![shape.first().copied().unwrap_or(1)];
            gsh.extend((0..n).map(|_| g.below(3) as usize));
            gsh.push(if g.below(6) == 0 { n + 1 } else { n });
            let grid = g.data(&gsh, false);
            let mode = [ResizeMode::Nearest, ResizeMode::Linear, ResizeMode::Cubic][g.below(3) as usize];
            let padding = [GridPadding::Zeros, GridPadding::Border, GridPadding::Reflection][g.below(3) as usize];
            let x = g.data(&shape, false);
            (Op::GridSample { mode, padding, align_corners: g.coin() }, vec![Some(x), Some(grid)])
        }
    }
}

fn check_case(seed: u64) {
    let mut g = Gen(seed | 1);
    let (op, inputs) = case(&mut g);
    let args: Vec<Option<&Tensor>> = inputs.iter().map(Option::as_ref).collect();
    let tys: Vec<Option<TensorType>> = args.iter().map(|t| t.map(Tensor::ty)).collect();
    let trefs: Vec<Option<&TensorType>> = tys.iter().map(Option::as_ref).collect();
    let inferred = infer(&op, &trefs, &args);
    let evaluated = eval(&op, &args);
    if let Ok(outs) = &evaluated {
        let types = match &inferred {
            Ok(t) => t,
            Err(e) => panic!("seed {seed}: {op:?} evaluated but inference failed: {e:?}"),
        };
        assert!(types.len() >= outs.len(), "seed {seed}: {op:?}: {} types for {} outputs", types.len(), outs.len());
        for (t, o) in types.iter().zip(outs) {
            // Only Unique's sizes are data-dependent even with every input constant.
            let ok = if matches!(op, Op::Unique { .. }) {
                t.dtype == o.dtype()
                    && t.rank() == o.shape().len()
                    && t.dims.iter().zip(o.shape()).all(|(d, &n)| d.as_static().is_none_or(|m| m == n))
            } else {
                *t == o.ty()
            };
            assert!(ok, "seed {seed}: {op:?} on {tys:?}: inferred {t}, evaluated {}", o.ty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]
    // Seed 3259767694119808540 found ConstantOfShape panicking in ndarray on an empty shape whose
    // other dims overflow isize (check_size now bounds the non-zero dims too).
    // Seed 2043154826257811114 once found a panic: GridSample clamped taps to [0, size-1] on an
    // empty output with an empty spatial dim; it is kept in `regression_seeds` below.
    #[test]
    fn ops_never_panic_and_infer_matches_eval(seed in any::<u64>()) {
        check_case(seed);
    }
}

#[test]
fn regression_seeds() {
    for seed in [2043154826257811114u64, 3259767694119808540] {
        check_case(seed);
    }
}
