//! The compiled kernels of the shape and index op families (Concat, Split, Slice, Expand, Tile,
//! Pad, generators, gathers, scatters, OneHot, ReverseSequence, Compress, TopK, Einsum, Det)
//! against the reference interpreter, on single-node graphs whose index operands arrive at run
//! time, with the awkward cases the ONNX node tests miss: negative steps, cropping pads, wrap
//! pads wider than the axis, duplicate scatter indices, NaN and ties in TopK, f16 accumulation,
//! singular matrices, and out-of-range indices (clamped by the compiled code; the interpreter
//! rejects them, so those cases compare against the clamped result written out by hand).

use edgec::compare::{compare, Tolerance};
use ir::*;
use testsuite::native::{self, require_toolchain};

/// One single-node (or few-node) graph and its inputs.
struct Case {
    name: &'static str,
    g: Graph,
    inputs: Vec<(String, Tensor)>,
    /// Expected outputs when the interpreter cannot be the reference (clamped indices).
    expect: Option<Vec<Tensor>>,
}

impl Case {
    fn new(name: &'static str) -> Case {
        Case { name, g: Graph::new(name), inputs: vec![], expect: None }
    }

    fn input(&mut self, t: Tensor) -> ValueId {
        let name = format!("in{}", self.inputs.len());
        let v = self.g.add_input(&name, t.ty());
        self.inputs.push((name, t));
        v
    }

    fn konst(&mut self, t: Tensor) -> ValueId {
        let name = format!("c{}", self.g.node_ids().len());
        self.g.add_const(name, t)
    }

    /// Add a node with inferred (static) output types.
    fn node(&mut self, op: Op, ins: &[Option<ValueId>]) -> Vec<ValueId> {
        let name = format!("n{}_{}", self.g.node_ids().len(), op.name());
        let id = self.g.add_node(&name, op, ins, vec![]).expect("node");
        let types = ir::infer::infer_node(&self.g, id).expect("inference");
        for t in &types {
            assert!(t.static_shape().is_some(), "{}: `{name}` has a dynamic output {t}", self.name);
        }
        self.g.node_mut(id).outputs = types;
        (0..self.g.node(id).outputs.len()).map(|p| ValueId::new(id, p as u32)).collect()
    }

    /// Add a node whose output types are given (data-dependent shapes made static by hand).
    fn node_typed(&mut self, op: Op, ins: &[Option<ValueId>], types: Vec<TensorType>) -> Vec<ValueId> {
        let name = format!("n{}_{}", self.g.node_ids().len(), op.name());
        let id = self.g.add_node(&name, op, ins, types).expect("node");
        (0..self.g.node(id).outputs.len()).map(|p| ValueId::new(id, p as u32)).collect()
    }

    fn outputs(mut self, vs: &[ValueId]) -> Case {
        for (i, &v) in vs.iter().enumerate() {
            self.g.add_output(format!("y{i}"), v).expect("output");
        }
        self
    }

    fn expect(mut self, ts: Vec<Tensor>) -> Case {
        self.expect = Some(ts);
        self
    }
}

fn t<T: Element>(shape: &[usize], v: Vec<T>) -> Tensor {
    Tensor::from_vec(shape, v).expect("tensor")
}

/// `n` deterministic f32 values in [-2, 2) with a few repeats.
fn vals(n: usize, seed: u32) -> Vec<f32> {
    (0..n).map(|i| (((i as u32).wrapping_mul(2654435761u32) ^ seed) % 17) as f32 / 4.0 - 2.0).collect()
}

fn f32s(shape: &[usize], seed: u32) -> Tensor {
    t(shape, vals(shape.iter().product(), seed))
}

fn iota_i64(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    t(shape, (0..n as i64).collect())
}

fn i64s(v: &[i64]) -> Tensor {
    t(&[v.len()], v.to_vec())
}

/// Cast a value (graph-side) to `to`.
fn cast(c: &mut Case, x: ValueId, to: DType) -> ValueId {
    c.node(Op::Cast { to, saturate: true }, &[Some(x)])[0]
}

fn cases() -> Vec<Case> {
    let mut v = vec![];

    // Concat of three pieces along the middle axis; Split into uneven pieces with runtime sizes.
    let mut c = Case::new("concat_split");
    let a = c.input(f32s(&[2, 1, 3], 1));
    let b = c.input(f32s(&[2, 4, 3], 2));
    let d = c.input(f32s(&[2, 2, 3], 3));
    let y = c.node(Op::Concat { axis: -2 }, &[Some(a), Some(b), Some(d)])[0];
    let sizes = c.konst(i64s(&[3, 4]));
    let parts = c.node(Op::Split { axis: 1, num_outputs: 2 }, &[Some(y), Some(sizes)]);
    v.push(c.outputs(&[y, parts[0], parts[1]]));

    // Slice with negative steps on two axes and a clamped, stepped third axis (i32 data).
    let mut c = Case::new("slice_steps");
    let x = c.input(f32s(&[5, 6, 7], 4));
    let xi = cast(&mut c, x, DType::I32);
    let s = c.konst(i64s(&[-1, 4, 1]));
    let e = c.konst(i64s(&[-100, 0, 100]));
    let ax = c.konst(i64s(&[0, 1, 2]));
    let st = c.konst(i64s(&[-2, -1, 3]));
    let y = c.node(Op::Slice, &[Some(xi), Some(s), Some(e), Some(ax), Some(st)])[0];
    v.push(c.outputs(&[y]));

    // Expand (rank grows, bool) and Tile (u16).
    let mut c = Case::new("expand_tile");
    let x = c.input(t(&[3, 1], vec![true, false, true]));
    let shape = c.konst(i64s(&[2, 3, 4]));
    let y = c.node(Op::Expand, &[Some(x), Some(shape)])[0];
    let zu = c.input(t(&[2, 3], vec![1u16, 65535, 7, 0, 300, 2]));
    let reps = c.konst(i64s(&[3, 2]));
    let w = c.node(Op::Tile, &[Some(zu), Some(reps)])[0];
    v.push(c.outputs(&[y, w]));

    // Pad in every mode with a cropping pad, and wrap/reflect pads wider than the axis.
    for mode in [PadMode::Constant, PadMode::Edge, PadMode::Reflect, PadMode::Wrap] {
        let mut c = Case::new("pad_modes");
        let x = c.input(f32s(&[3, 4], 6));
        let pads = c.konst(i64s(&[5, -1, 2, 6]));
        let cv = c.input(Tensor::scalar(7.5f32));
        let y = c.node(Op::Pad { mode }, &[Some(x), Some(pads), Some(cv)])[0];
        v.push(c.outputs(&[y]));
    }
    let mut c = Case::new("pad_axes_i64");
    let x = c.input(iota_i64(&[2, 3, 2]));
    let pads = c.konst(i64s(&[1, 2]));
    let axes = c.konst(i64s(&[-2]));
    let y = c.node(Op::Pad { mode: PadMode::Constant }, &[Some(x), Some(pads), None, Some(axes)])[0];
    v.push(c.outputs(&[y]));

    // Gathers with run-time indices (negative ones wrap).
    let mut c = Case::new("gather");
    let x = c.input(f32s(&[3, 4, 5], 7));
    let xh = cast(&mut c, x, DType::F16);
    let i = c.input(t(&[2, 2], vec![-1i32, 0, 3, -4]));
    let y = c.node(Op::Gather { axis: 1 }, &[Some(xh), Some(i)])[0];
    let s = c.input(Tensor::scalar(-3i64));
    let z = c.node(Op::Gather { axis: 0 }, &[Some(x), Some(s)])[0];
    v.push(c.outputs(&[y, z]));

    let mut c = Case::new("gather_elements_bool");
    let x = c.input(t(&[2, 3], vec![true, false, false, true, true, false]));
    let i = c.input(t(&[3, 2], vec![-1i64, 0, 1, 1, 0, -2]));
    let y = c.node(Op::GatherElements { axis: 0 }, &[Some(x), Some(i)])[0];
    v.push(c.outputs(&[y]));

    let mut c = Case::new("gather_nd_batch");
    let x = c.input(f32s(&[2, 3, 4], 8));
    let xu = c.input(t(&[2, 3, 4], (0..24u8).map(|i| i.wrapping_mul(37)).collect()));
    let i = c.input(t(&[2, 2, 1], vec![2i64, -3, 0, 1]));
    let y = c.node(Op::GatherNd { batch_dims: 1 }, &[Some(xu), Some(i)])[0];
    let i2 = c.input(t(&[3, 2], vec![1i32, 2, -1, -1, 0, 0]));
    let z = c.node(Op::GatherNd { batch_dims: 0 }, &[Some(x), Some(i2)])[0];
    v.push(c.outputs(&[y, z]));

    // Out-of-range indices: clamped into range by the compiled code.
    let mut c = Case::new("gather_clamped");
    let x = c.input(t(&[3], vec![10f32, 20., 30.]));
    let i = c.input(i64s(&[5, -7, 1]));
    let y = c.node(Op::Gather { axis: 0 }, &[Some(x), Some(i)])[0];
    v.push(c.outputs(&[y]).expect(vec![t(&[3], vec![30f32, 10., 20.])]));

    // Scatters with duplicates and every reduction.
    for reduction in [
        ScatterReduction::None,
        ScatterReduction::Add,
        ScatterReduction::Mul,
        ScatterReduction::Max,
        ScatterReduction::Min,
    ] {
        let mut c = Case::new("scatter_elements");
        let x = c.input(f32s(&[3, 4], 9));
        let i = c.input(t(&[2, 4], vec![0i64, -1, 2, 2, 0, 1, -1, 2]));
        let mut u = vals(8, 10);
        u[3] = f32::NAN;
        let u = c.input(t(&[2, 4], u));
        let y = c.node(Op::ScatterElements { axis: 0, reduction }, &[Some(x), Some(i), Some(u)])[0];
        let xi = cast(&mut c, x, DType::I32);
        let ui = c.input(t(&[2, 4], vec![5i32, -3, 7, 1, 2, 2, -8, 4]));
        let z = c.node(Op::ScatterElements { axis: 1, reduction }, &[Some(xi), Some(i), Some(ui)])[0];
        v.push(c.outputs(&[y, z]));

        let mut c = Case::new("scatter_nd");
        let x = c.input(f32s(&[4, 3, 2], 11));
        let xh = cast(&mut c, x, DType::F16);
        let i = c.input(t(&[3, 1], vec![1i64, -1, 1]));
        let u = c.input(f32s(&[3, 3, 2], 12));
        let uh = cast(&mut c, u, DType::F16);
        let y = c.node(Op::ScatterNd { reduction }, &[Some(xh), Some(i), Some(uh)])[0];
        let b = c.input(t(&[2, 2], vec![true, false, false, true]));
        let bi = c.input(t(&[2, 2], vec![0i64, 1, 0, 1]));
        let bu = c.input(t(&[2], vec![true, true]));
        let z = c.node(Op::ScatterNd { reduction }, &[Some(b), Some(bi), Some(bu)])[0];
        v.push(c.outputs(&[y, z]));
    }

    // TopK: ties keep index order, NaN is the largest; integer smallest; k = n.
    for largest in [true, false] {
        let mut c = Case::new("top_k");
        let mut xv = vals(15, 13);
        xv[4] = f32::NAN;
        xv[9] = f32::NAN;
        let x = c.input(t(&[5, 3], xv));
        let k = c.konst(t(&[1], vec![3i64]));
        let y = c.node(Op::TopK { axis: 0, largest, sorted: true }, &[Some(x), Some(k)]);
        let xi = c.input(t(&[2, 6], vec![3i64, -1, 3, 7, -1, 0, 5, 5, 5, 5, 5, 5]));
        let k6 = c.konst(t(&[1], vec![6i64]));
        let z = c.node(Op::TopK { axis: -1, largest, sorted: true }, &[Some(xi), Some(k6)]);
        v.push(c.outputs(&[y[0], y[1], z[0], z[1]]));
    }

    // Einsum: matmul, diagonal, implicit scalar, broadcast ellipsis, sum, ints, f16.
    for (eq, shapes) in [
        ("bij,bjk->bik", vec![vec![2, 3, 4], vec![2, 4, 5]]),
        ("ii->i", vec![vec![4, 4]]),
        ("i,i", vec![vec![6], vec![6]]),
        ("...ij,...jk->...ik", vec![vec![2, 1, 3, 4], vec![3, 4, 2]]),
        ("ij->", vec![vec![3, 5]]),
        ("ijk,ik->kj", vec![vec![2, 3, 4], vec![2, 4]]),
    ] {
        let mut c = Case::new("einsum");
        let xs: Vec<Option<ValueId>> =
            shapes.iter().enumerate().map(|(i, s)| Some(c.input(f32s(s, 20 + i as u32)))).collect();
        let y = c.node(Op::Einsum { equation: eq.into() }, &xs)[0];
        let hs: Vec<Option<ValueId>> = xs.iter().map(|x| Some(cast(&mut c, x.unwrap(), DType::F16))).collect();
        let yh = c.node(Op::Einsum { equation: eq.into() }, &hs)[0];
        let is: Vec<Option<ValueId>> = xs.iter().map(|x| Some(cast(&mut c, x.unwrap(), DType::I32))).collect();
        let yi = c.node(Op::Einsum { equation: eq.into() }, &is)[0];
        v.push(c.outputs(&[y, yh, yi]));
    }

    // Det: a batch with a singular matrix (zero pivot), and f64.
    let mut c = Case::new("det");
    let mut m = vals(18, 30);
    m[9..12].copy_from_slice(&[1.0, 2.0, 3.0]);
    m[12..15].copy_from_slice(&[2.0, 4.0, 6.0]);
    let x = c.input(t(&[2, 3, 3], m));
    let y = c.node(Op::Det, &[Some(x)])[0];
    let x4 = c.input(f32s(&[4, 4], 31));
    let x64 = cast(&mut c, x4, DType::F64);
    let z = c.node(Op::Det, &[Some(x64)])[0];
    v.push(c.outputs(&[y, z]));

    // OneHot with negative and out-of-range float indices; integer indices on axis 0.
    let mut c = Case::new("one_hot");
    let i = c.input(t(&[2, 3], vec![0.7f32, -1.2, 5.0, -4.0, 2.9, -3.0]));
    let depth = c.konst(Tensor::scalar(4i64));
    let onoff = c.input(t(&[2], vec![-1f32, 3.5]));
    let y = c.node(Op::OneHot { axis: -1 }, &[Some(i), Some(depth), Some(onoff)])[0];
    let ii = c.input(t(&[3], vec![2i32, -1, 0]));
    let d3 = c.konst(t(&[1], vec![3i64]));
    let oi = c.input(t(&[2], vec![0i64, 9]));
    let z = c.node(Op::OneHot { axis: 0 }, &[Some(ii), Some(d3), Some(oi)])[0];
    v.push(c.outputs(&[y, z]));

    for (b, tm) in [(0usize, 1usize), (1, 0)] {
        let mut c = Case::new("reverse_sequence");
        let x = c.input(f32s(&[3, 4, 2], 40));
        let lens = c.input(i64s(&[4, 1, 3]));
        let xx = if b == 0 { x } else { c.node(Op::Transpose { perm: vec![1, 0, 2] }, &[Some(x)])[0] };
        let y = c.node(Op::ReverseSequence { batch_axis: b, time_axis: tm }, &[Some(xx), Some(lens)])[0];
        v.push(c.outputs(&[y]));
    }

    // Generators: Trilu with a run-time k, EyeLike, Shape/Size, Range and ConstantOfShape
    // (given static types by hand: their inputs are not all constants here).
    let mut c = Case::new("generators");
    let x = c.input(f32s(&[2, 3, 5], 50));
    let k = c.input(Tensor::scalar(-1i64));
    let up = c.node(Op::Trilu { upper: true }, &[Some(x), Some(k)])[0];
    let lo = c.node(Op::Trilu { upper: false }, &[Some(x), None])[0];
    let m = c.input(f32s(&[3, 5], 51));
    let eye = c.node(Op::EyeLike { k: 2, dtype: Some(DType::I32) }, &[Some(m)])[0];
    let sh = c.node(Op::Shape { start: -2, end: None }, &[Some(x)])[0];
    let sz = c.node(Op::Size, &[Some(x)])[0];
    let st = c.input(Tensor::scalar(1.5f32));
    let lim = c.input(Tensor::scalar(-2.0f32));
    let de = c.input(Tensor::scalar(-0.75f32));
    let r = c.node_typed(Op::Range, &[Some(st), Some(lim), Some(de)], vec![TensorType::fixed(DType::F32, &[5])])[0];
    let sti = c.input(Tensor::scalar(7i32));
    let limi = c.input(Tensor::scalar(20i32));
    let dei = c.input(Tensor::scalar(4i32));
    let ri = c.node_typed(Op::Range, &[Some(sti), Some(limi), Some(dei)], vec![TensorType::fixed(DType::I32, &[4])])[0];
    let shp = c.input(i64s(&[2, 3]));
    let value = std::sync::Arc::new(t(&[1], vec![-4i64]));
    let cs = c.node_typed(
        Op::ConstantOfShape { value },
        &[Some(shp)],
        vec![TensorType::fixed(DType::I64, &[2, 3])],
    )[0];
    v.push(c.outputs(&[up, lo, eye, sh, sz, r, ri, cs]));

    // Compress with a constant condition, with and without an axis.
    let mut c = Case::new("compress");
    let x = c.input(f32s(&[3, 4], 60));
    let cond = c.konst(t(&[4], vec![true, true, false, true]));
    let y = c.node(Op::Compress { axis: Some(-1) }, &[Some(x), Some(cond)])[0];
    let cond2 = c.konst(t(&[12], vec![false, true, true, false, false, false, true, true, true, false, false, true]));
    let z = c.node(Op::Compress { axis: None }, &[Some(x), Some(cond2)])[0];
    v.push(c.outputs(&[y, z]));

    v
}

fn run(target: &str, every: usize) {
    if !require_toolchain(target, "shape/index kernels") {
        return;
    }
    let p = native::profile(target).expect("profile");
    let mut failures = vec![];
    let mut ran = 0;
    for (n, c) in cases().into_iter().enumerate() {
        if n % every != 0 {
            continue;
        }
        ran += 1;
        let want: Vec<Tensor> = match &c.expect {
            Some(e) => e.clone(),
            None => match ir::interp::run(&c.g, &c.inputs) {
                Ok(o) => o.into_iter().map(|(_, t)| t).collect(),
                Err(e) => panic!("{}: the interpreter failed: {e}", c.name),
            },
        };
        let got = match native::compile_and_run(&c.g, &p, &format!("case{n}"), &c.inputs) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{} (#{n}): {e}", c.name));
                continue;
            }
        };
        for (i, ((name, g), w)) in got.iter().zip(&want).enumerate() {
            let r = compare(g, w, Tolerance::ONNX_NODE_TESTS);
            if !r.passed() {
                failures.push(format!(
                    "{} (#{n}) output {i} `{name}`: {r:?}\n  got  {:?}\n  want {:?}",
                    c.name,
                    g.to_f64_vec(),
                    w.to_f64_vec()
                ));
            }
        }
    }
    assert!(ran > 0);
    assert!(failures.is_empty(), "{} of {ran} cases failed on {target}:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn shape_index_kernels_match_interpreter_host() {
    run("host", 1);
}

#[test]
fn shape_index_kernels_match_interpreter_cortex_a76() {
    run("cortex-a76", 1);
}

#[test]
fn shape_index_kernels_match_interpreter_rv64gcv() {
    run("rv64gcv", 1);
}
