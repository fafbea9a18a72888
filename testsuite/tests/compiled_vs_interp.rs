//! Property test: random small graphs (DAGs of elementwise unary/binary ops with broadcasting,
//! MatMul with batch broadcasting, transposed and 1-D operands, Transpose, Reshape, Reduce,
//! Softmax, Concat, Slice with negative steps, Gather, Expand, Where, Pad in every mode, Clip) on
//! random f32 inputs give the same outputs compiled as in the reference
//! interpreter, on the host and under qemu for cortex-a76 and rv64gcv (fewer cases there).
//! A failure prints the shrunk graph in the IR text form. PROPTEST_CASES=N runs N cases per
//! target instead of the defaults (40 host, 10 per qemu target).

use edgec::compare::{compare, Tolerance};
use ir::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use testsuite::native::{self, require_toolchain};

/// Choices drawn by proptest, consumed in order (0 when exhausted, so shrinking gives simpler graphs).
struct Choices {
    v: Vec<u64>,
    i: usize,
}

impl Choices {
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
}

const UNARY: &[UnaryOp] = &[
    UnaryOp::Relu,
    UnaryOp::Neg,
    UnaryOp::Abs,
    UnaryOp::Tanh,
    UnaryOp::Sigmoid,
    UnaryOp::Sin,
    UnaryOp::Cos,
    UnaryOp::Erf,
    UnaryOp::Softsign,
    UnaryOp::Floor,
    UnaryOp::Gelu { tanh: false },
    UnaryOp::LeakyRelu { alpha: F32(0.1) },
    UnaryOp::Elu { alpha: F32(1.0) },
    UnaryOp::HardSigmoid { alpha: F32(0.2), beta: F32(0.5) },
];

const BINARY: &[BinaryOp] = &[BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Max, BinaryOp::Min];

const REDUCE: &[ReduceKind] = &[ReduceKind::Sum, ReduceKind::Mean, ReduceKind::Max, ReduceKind::Min];

/// Builds a graph from choices, keeping every value's static shape.
struct Build {
    c: Choices,
    g: Graph,
    vals: Vec<(ValueId, Vec<usize>)>,
    inputs: Vec<(String, Tensor)>,
    seed: u64,
    nodes: usize,
}

impl Build {
    fn new(v: Vec<u64>) -> Self {
        Build { c: Choices { v, i: 0 }, g: Graph::new("prop"), vals: vec![], inputs: vec![], seed: 0x9e37_79b9_7f4a_7c15, nodes: 0 }
    }

    /// A new graph input of `shape` with values uniform in [-1, 1).
    fn input(&mut self, shape: &[usize]) -> ValueId {
        let name = format!("x{}", self.inputs.len());
        let n: usize = shape.iter().product();
        let data: Vec<f32> = (0..n)
            .map(|_| {
                // xorshift64*: deterministic per graph.
                self.seed ^= self.seed >> 12;
                self.seed ^= self.seed << 25;
                self.seed ^= self.seed >> 27;
                let r = self.seed.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40;
                (r as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect();
        let t = Tensor::from_vec(shape, data).expect("input tensor");
        let v = self.g.add_input(&name, TensorType::fixed(DType::F32, shape));
        self.inputs.push((name, t));
        self.vals.push((v, shape.to_vec()));
        v
    }

    fn random_shape(&mut self, max_rank: usize) -> Vec<usize> {
        let rank = self.c.below(max_rank + 1);
        (0..rank).map(|_| 1 + self.c.below(4)).collect()
    }

    fn pick(&mut self) -> (ValueId, Vec<usize>) {
        let i = self.c.below(self.vals.len());
        self.vals[i].clone()
    }

    /// Add a node, infer its (single) output type, remember the value.
    fn node(&mut self, op: Op, ins: &[ValueId]) -> Result<(ValueId, Vec<usize>), String> {
        let name = format!("n{}_{}", self.nodes, op.name());
        self.nodes += 1;
        let ins: Vec<Option<ValueId>> = ins.iter().map(|&v| Some(v)).collect();
        let id = self.g.add_node(&name, op, &ins, vec![TensorType::fixed(DType::F32, &[])]).map_err(|e| e.to_string())?;
        let types = ir::infer::infer_node(&self.g, id).map_err(|e| format!("inference: {e}"))?;
        let shape = types[0].static_shape().ok_or_else(|| format!("`{name}`: dynamic output {}", types[0]))?;
        self.g.node_mut(id).outputs = types;
        let v = ValueId::new(id, 0);
        self.vals.push((v, shape.clone()));
        Ok((v, shape))
    }

    fn konst_i64(&mut self, vals: Vec<i64>) -> ValueId {
        let name = format!("c{}", self.nodes);
        self.nodes += 1;
        self.g.add_const(name, Tensor::from_vec(&[vals.len()], vals).expect("const"))
    }

    /// A shape that broadcasts against `s`: some dims set to 1, maybe fewer leading dims.
    fn broadcast_variant(&mut self, s: &[usize]) -> Vec<usize> {
        let drop = self.c.below(s.len() + 1).min(if self.c.bool() { s.len() } else { 0 });
        s[drop..].iter().map(|&d| if self.c.below(3) == 0 { 1 } else { d }).collect()
    }

    fn konst_f32(&mut self, v: f32) -> ValueId {
        let name = format!("c{}", self.nodes);
        self.nodes += 1;
        self.g.add_const(name, Tensor::from_vec(&[], vec![v]).expect("const"))
    }

    /// A value from the pool whose shape broadcasts with `s`, or a new input that does.
    fn partner(&mut self, s: &[usize]) -> ValueId {
        let (v, sv) = self.pick();
        if broadcast_shapes(s, &sv).is_ok() && self.c.bool() {
            v
        } else {
            let t = self.broadcast_variant(s);
            self.input(&t)
        }
    }

    fn step(&mut self) -> Result<(), String> {
        match self.c.below(15) {
            9 => self.slice()?,
            10 => {
                let (x, s) = self.pick();
                if !s.is_empty() {
                    let axis = self.c.below(s.len());
                    let d = s[axis] as i64;
                    let shape: Vec<usize> = (0..self.c.below(3)).map(|_| 1 + self.c.below(3)).collect();
                    let n: usize = shape.iter().product();
                    let idx: Vec<i64> = (0..n).map(|_| self.c.below(2 * d as usize) as i64 - d).collect();
                    let name = format!("c{}", self.nodes);
                    self.nodes += 1;
                    let i = self.g.add_const(name, Tensor::from_vec(&shape, idx).expect("indices"));
                    let axis = if self.c.bool() { axis as i64 - s.len() as i64 } else { axis as i64 };
                    self.node(Op::Gather { axis }, &[x, i])?;
                }
            }
            11 => {
                let (x, s) = self.pick();
                let mut t: Vec<i64> = s.iter().map(|&d| if d == 1 { 1 + self.c.below(3) as i64 } else { d as i64 }).collect();
                if self.c.below(3) == 0 {
                    t.insert(0, 1 + self.c.below(3) as i64);
                }
                let shape = self.konst_i64(t);
                self.node(Op::Expand, &[x, shape])?;
            }
            12 => {
                let (a, sa) = self.pick();
                let b = self.partner(&sa);
                let (cond, sc) = self.node(Op::Binary(BinaryOp::Greater), &[a, b])?;
                self.vals.pop(); // bool: not an operand for the float ops
                let x = self.partner(&sc);
                let st = self.g.value_type(x).static_shape().expect("static");
                let y = self.partner(&broadcast_shapes(&sc, &st).expect("broadcast"));
                self.node(Op::Where, &[cond, x, y])?;
            }
            13 => {
                let (x, s) = self.pick();
                if !s.is_empty() {
                    let mode = [PadMode::Constant, PadMode::Reflect, PadMode::Edge, PadMode::Wrap][self.c.below(4)];
                    let mut pads = vec![0i64; 2 * s.len()];
                    for (i, &d) in s.iter().enumerate() {
                        let most = if mode == PadMode::Constant || mode == PadMode::Edge { 2 } else { (d - 1).min(2) };
                        pads[i] = self.c.below(most + 1) as i64;
                        pads[s.len() + i] = self.c.below(most + 1) as i64;
                    }
                    let p = self.konst_i64(pads);
                    let cv = self.konst_f32(0.5);
                    self.node(Op::Pad { mode }, &[x, p, cv])?;
                }
            }
            14 => {
                let (x, _) = self.pick();
                let lo = self.konst_f32(-0.25);
                let hi = self.konst_f32(0.5);
                self.node(Op::Clip, &[x, lo, hi])?;
            }
            _ => self.step_basic()?,
        }
        Ok(())
    }

    /// Slice along one or more axes with random (clamped, negative, reversed) bounds; never empty.
    fn slice(&mut self) -> Result<(), String> {
        let (x, s) = self.pick();
        if s.is_empty() {
            return Ok(());
        }
        let (mut starts, mut ends, mut axes, mut steps) = (vec![], vec![], vec![], vec![]);
        for (a, &d) in s.iter().enumerate() {
            if self.c.below(2) == 0 && !(a + 1 == s.len() && axes.is_empty()) {
                continue;
            }
            let d = d as i64;
            let step = [1i64, 2, -1, -2][self.c.below(4)];
            let start = self.c.below(d as usize) as i64;
            let (start, end) = if step > 0 {
                let end = start + 1 + self.c.below((d - start) as usize + 2) as i64; // may exceed d: clamped
                (start, end)
            } else {
                let end = start - 1 - self.c.below(start as usize + 1) as i64;
                // Through index 0: spelled -d-1 or less (clamped), or INT64_MIN.
                let end = if end >= 0 {
                    end
                } else if self.c.bool() {
                    i64::MIN
                } else {
                    -d - 1 - self.c.below(2) as i64
                };
                (start, end)
            };
            // Negative spellings of in-range indices.
            let neg = |v: i64, c: &mut Choices| if v >= 0 && v < d && c.bool() { v - d } else { v };
            starts.push(neg(start, &mut self.c));
            ends.push(if end >= 0 { neg(end, &mut self.c) } else { end });
            axes.push(if self.c.bool() { a as i64 - s.len() as i64 } else { a as i64 });
            steps.push(step);
        }
        let ins = [self.konst_i64(starts), self.konst_i64(ends), self.konst_i64(axes), self.konst_i64(steps)];
        self.node(Op::Slice, &[x, ins[0], ins[1], ins[2], ins[3]])?;
        Ok(())
    }

    fn step_basic(&mut self) -> Result<(), String> {
        match self.c.below(9) {
            0 | 1 => {
                let (x, _) = self.pick();
                let op = UNARY[self.c.below(UNARY.len())].clone();
                self.node(Op::Unary(op), &[x])?;
            }
            2 | 3 => {
                let (a, sa) = self.pick();
                let (mut b, sb) = self.pick();
                if broadcast_shapes(&sa, &sb).is_err() || self.c.below(3) == 0 {
                    let s = self.broadcast_variant(&sa);
                    b = self.input(&s);
                }
                let op = BINARY[self.c.below(BINARY.len())].clone();
                let ins = if self.c.bool() { [a, b] } else { [b, a] };
                self.node(Op::Binary(op), &ins)?;
            }
            4 => self.matmul()?,
            5 => {
                let (x, s) = self.pick();
                if s.len() >= 2 {
                    let mut perm: Vec<usize> = (0..s.len()).collect();
                    for i in (1..perm.len()).rev() {
                        let j = self.c.below(i + 1);
                        perm.swap(i, j);
                    }
                    self.node(Op::Transpose { perm }, &[x])?;
                }
            }
            6 => self.reshape()?,
            7 => {
                let (x, s) = self.pick();
                if !s.is_empty() {
                    let kind = REDUCE[self.c.below(REDUCE.len())];
                    let axis = self.c.below(s.len()) as i64 - if self.c.bool() { s.len() as i64 } else { 0 };
                    let axes = self.konst_i64(vec![axis]);
                    let keepdims = self.c.bool();
                    self.node(Op::Reduce { kind, keepdims, noop_with_empty_axes: false }, &[x, axes])?;
                }
            }
            _ => {
                let (x, s) = self.pick();
                if !s.is_empty() {
                    let axis = self.c.below(s.len()) as i64;
                    if self.c.bool() {
                        self.node(Op::Softmax { kind: SoftmaxKind::Softmax, axis }, &[x])?;
                    } else {
                        let mut t = s.clone();
                        t[axis as usize] = 1 + self.c.below(3);
                        let y = self.input(&t);
                        self.node(Op::Concat { axis }, &[x, y])?;
                    }
                }
            }
        }
        Ok(())
    }

    /// MatMul of an existing value with a new input (batch broadcasting, 1-D and transposed
    /// operands), or a new 1-D input times an existing matrix.
    fn matmul(&mut self) -> Result<(), String> {
        let (a, sa) = self.pick();
        let n = 1 + self.c.below(5);
        if sa.is_empty() {
            return Ok(());
        }
        if sa.len() >= 2 && self.c.below(4) == 0 {
            // [k] @ [..., k, n]
            let k = sa[sa.len() - 2];
            let v = self.input(&[k]);
            self.node(Op::MatMul { trans_a: false, trans_b: false }, &[v, a])?;
            return Ok(());
        }
        let trans_a = sa.len() >= 2 && self.c.below(4) == 0;
        let k = if trans_a { sa[sa.len() - 2] } else { sa[sa.len() - 1] };
        let (sb, trans_b) = match self.c.below(3) {
            0 => (vec![k], false),
            1 => {
                let t = self.c.bool();
                (if t { vec![n, k] } else { vec![k, n] }, t)
            }
            _ => {
                let a_batch = if sa.len() > 2 { &sa[..sa.len() - 2] } else { &[][..] };
                let mut batch = self.broadcast_variant(a_batch);
                if self.c.below(3) == 0 {
                    // An extra leading batch dim: any size beyond a's rank, else 1.
                    let d = if batch.len() == a_batch.len() { 1 + self.c.below(2) } else { 1 };
                    batch.insert(0, d);
                }
                let t = self.c.bool();
                batch.extend(if t { [n, k] } else { [k, n] });
                (batch, t)
            }
        };
        let b = self.input(&sb);
        self.node(Op::MatMul { trans_a, trans_b }, &[a, b])?;
        Ok(())
    }

    /// Reshape to a random factorisation of the element count (with -1 or 0 sometimes).
    fn reshape(&mut self) -> Result<(), String> {
        let (x, s) = self.pick();
        let total: usize = s.iter().product();
        let mut dims = vec![];
        let mut left = total;
        for _ in 0..self.c.below(3) {
            let divisors: Vec<usize> = (1..=left).filter(|d| left % d == 0).collect();
            let d = divisors[self.c.below(divisors.len())];
            dims.push(d as i64);
            left /= d;
        }
        dims.push(left as i64);
        if dims.len() > 1 && self.c.below(3) == 0 {
            let i = self.c.below(dims.len());
            dims[i] = -1;
        } else if !s.is_empty() && dims.len() > 1 && dims[0] == s[0] as i64 && self.c.bool() {
            dims[0] = 0;
        }
        let shape = self.konst_i64(dims);
        self.node(Op::Reshape { allowzero: false }, &[x, shape])?;
        Ok(())
    }
}

/// A random graph and its inputs (the outputs: the last value, sometimes an earlier one too).
fn random_graph(choices: Vec<u64>) -> Result<(Graph, Vec<(String, Tensor)>), String> {
    let mut b = Build::new(choices);
    b.seed ^= b.c.next();
    let s = b.random_shape(4);
    b.input(&s);
    if b.c.bool() {
        let s = b.random_shape(3);
        b.input(&s);
    }
    let steps = 1 + b.c.below(6);
    for _ in 0..steps {
        b.step()?;
    }
    if b.vals.len() == b.inputs.len() {
        // No op landed (e.g. only rank-0 picks): add one.
        let (x, _) = b.pick();
        b.node(Op::Unary(UnaryOp::Tanh), &[x])?;
    }
    let last = b.vals.last().expect("a value").0;
    b.g.add_output("y0", last).map_err(|e| e.to_string())?;
    let ops: Vec<ValueId> =
        b.vals.iter().map(|(v, _)| *v).filter(|v| !b.g.inputs().contains(&v.node) && *v != last).collect();
    if !ops.is_empty() && b.c.bool() {
        let v = ops[b.c.below(ops.len())];
        b.g.add_output("y1", v).map_err(|e| e.to_string())?;
    }
    ir::verify::verify(&b.g).map_err(|e| format!("generated graph does not verify: {e}"))?;
    Ok((b.g, b.inputs))
}

fn check(choices: Vec<u64>, profile: &targets::Profile) -> Result<(), TestCaseError> {
    let (g, inputs) = random_graph(choices).map_err(TestCaseError::fail)?;
    let text = || ir::text::print(&g, ir::text::PrintOptions { elide_above: Some(16) });
    let want = ir::interp::run(&g, &inputs).map_err(|e| TestCaseError::fail(format!("interpreter: {e}\n{}", text())))?;
    let got = native::compile_and_run(&g, profile, "prop", &inputs)
        .map_err(|e| TestCaseError::fail(format!("{}: {e}\n{}", profile.name, text())))?;
    agree(&want, &got, profile, "", &text)?;
    // The same graph through the optimizer (fusion, algebra) when it changes anything.
    let mut opt = g.clone();
    native::optimize(&mut opt, profile).map_err(|e| TestCaseError::fail(format!("{e}\n{}", text())))?;
    let opt_text = ir::text::print(&opt, ir::text::PrintOptions { elide_above: Some(16) });
    if opt_text != text() {
        let got = native::compile_and_run(&opt, profile, "prop", &inputs)
            .map_err(|e| TestCaseError::fail(format!("{} (optimized): {e}\n{opt_text}", profile.name)))?;
        agree(&want, &got, profile, " (optimized)", &|| format!("{}\noptimized:\n{opt_text}", text()))?;
    }
    Ok(())
}

fn agree(
    want: &[(String, Tensor)],
    got: &[(String, Tensor)],
    profile: &targets::Profile,
    what: &str,
    text: &dyn Fn() -> String,
) -> Result<(), TestCaseError> {
    for ((name, w), (_, c)) in want.iter().zip(got) {
        // Summation order differs (vectorised reductions, FMA): allow 1e-4 of the output's scale.
        let scale = w.to_f64_vec().into_iter().filter(|x| x.is_finite()).fold(1.0f64, |m, x| m.max(x.abs()));
        let cmp = compare(c, w, Tolerance { atol: 1e-4 * scale, rtol: 1e-4 });
        if !cmp.passed() {
            return Err(TestCaseError::fail(format!(
                "{}{what}: output {name}: {} {} of {} elements off, max abs {:.3e}, max rel {:.3e}\n{}",
                profile.name,
                cmp.structural.unwrap_or_default(),
                cmp.mismatches,
                w.len(),
                cmp.max_abs,
                cmp.max_rel,
                text()
            )));
        }
    }
    Ok(())
}

fn run(target: &str, cases: u32) {
    if !require_toolchain(target, "compiled-vs-interpreter property test") {
        return;
    }
    let profile = native::profile(target).expect("profile");
    // PROPTEST_CASES overrides the count (e.g. for a longer local bug hunt).
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(cases);
    let mut runner = TestRunner::new(Config { cases, max_shrink_iters: 64, ..Config::default() });
    let result = runner.run(&prop::collection::vec(any::<u64>(), 0..120), |choices| check(choices, &profile));
    if let Err(e) = result {
        panic!("{target}: {e}");
    }
}

/// The generator itself: graphs verify, and cover the op kinds it claims to.
#[test]
fn generator_builds_valid_varied_graphs() {
    let mut kinds = std::collections::BTreeSet::new();
    let mut runner = TestRunner::deterministic();
    for _ in 0..2000 {
        let choices = prop::collection::vec(any::<u64>(), 0..120).new_tree(&mut runner).expect("tree").current();
        let (g, _) = random_graph(choices).expect("graph");
        for id in g.node_ids() {
            kinds.insert(g.node(id).op.name().to_string());
        }
    }
    for k in [
        "unary", "binary", "matmul", "transpose", "reshape", "reduce", "softmax", "concat", "slice", "gather", "expand",
        "where", "pad", "clip",
    ] {
        assert!(kinds.contains(k), "no `{k}` node in 2000 random graphs (saw {kinds:?})");
    }
}

#[test]
fn compiled_matches_interpreter_host() {
    run("host", 40);
}

#[test]
fn compiled_matches_interpreter_cortex_a76() {
    run("cortex-a76", 10);
}

#[test]
fn compiled_matches_interpreter_rv64gcv() {
    run("rv64gcv", 10);
}
