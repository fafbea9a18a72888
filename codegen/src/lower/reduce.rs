//! Reduce (Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare) over constant axes,
//! as `ir::ops::reduce`: floats accumulate in f64 (Max/Min are exact in the compute type),
//! integers wrap in their own width (Mean sums in i64/i128 and truncates; L2, LogSum and
//! LogSumExp go through f64 and saturate back), bool has Max = any and Min = all, and empty
//! groups give the identities (0, 1, ±inf, NaN mean, -inf log-sums).
//!
//! Size-1 dims are dropped and neighbours merged into alternating kept/reduced groups. When the
//! reduced groups trail, each output element is one carried loop nest over contiguous memory
//! (its f64 adds may be reassociated, so LLVM vectorizes it). Otherwise the input is walked once
//! in row-major order accumulating into the output (when the accumulator is the output's own
//! type) or an f64/i64 arena buffer, which a last loop finishes into the output.

use super::lanes::{self, add_r, nest, nest_iter, to_f64, Carver, View};
use super::Kernel;
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::{DType, Graph, NodeId, Op, ReduceKind};

/// Dims merged into groups: (size, reduced), size-1 dims dropped, never empty of reduced groups.
#[derive(Debug, PartialEq)]
struct Groups(Vec<(usize, bool)>);

impl Groups {
    fn new(shape: &[usize], reduced: &[bool]) -> Groups {
        let mut g: Vec<(usize, bool)> = vec![];
        for (&d, &r) in shape.iter().zip(reduced) {
            if d == 1 {
                continue;
            }
            match g.last_mut() {
                Some((n, lr)) if *lr == r => *n *= d,
                _ => g.push((d, r)),
            }
        }
        if !g.iter().any(|&(_, r)| r) {
            // Nothing (or only size-1 dims) reduced: each group has one element.
            g.push((1, true));
        }
        Groups(g)
    }
    fn trailing(&self) -> bool {
        self.0.last().is_some_and(|&(_, r)| r)
    }
    fn sizes(&self) -> Vec<usize> {
        self.0.iter().map(|&(d, _)| d).collect()
    }
    fn kept(&self) -> Vec<usize> {
        self.0.iter().filter(|g| !g.1).map(|&(d, _)| d).collect()
    }
    fn red(&self) -> Vec<usize> {
        self.0.iter().filter(|g| g.1).map(|&(d, _)| d).collect()
    }
    /// The input index from kept and reduced induction variables.
    fn index(&self, kept: &[String], red: &[String]) -> Vec<String> {
        let (mut k, mut r) = (kept.iter(), red.iter());
        self.0.iter().map(|&(_, is_r)| if is_r { r.next() } else { k.next() }.cloned().unwrap_or_default()).collect()
    }
}

/// How one kind accumulates for one dtype.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Acc {
    /// In the compute type of the dtype (Max/Min of anything, wrapping integer Sum/Prod/L1/
    /// SumSquare, bool any/all): the output itself can be the accumulator.
    Native,
    /// In f64 (float sums, products, norms; integer L2/LogSum/LogSumExp).
    F64,
    /// Integer Mean: a sum in a wider integer of this many bits, divided at the end.
    Wide(u32),
}

fn acc_of(kind: ReduceKind, dt: DType) -> std::result::Result<Acc, String> {
    use ReduceKind::*;
    let s = lanes::scalar(dt)?;
    Ok(match (s, kind) {
        (_, Max | Min) => Acc::Native,
        (Scalar::Bool, _) => return Err(format!("Reduce{kind:?} is not defined for bool")),
        (Scalar::Float(_), _) => Acc::F64,
        (Scalar::Int { .. }, Sum | Prod | L1 | SumSquare) => Acc::Native,
        (Scalar::Int { bits, .. }, Mean) => Acc::Wide(if bits == 64 { 128 } else { 64 }),
        (Scalar::Int { .. }, L2 | LogSum | LogSumExp) => Acc::F64,
    })
}

/// Which axes are reduced (as `ir::ops::reduce::resolve_axes`).
fn reduced_axes(axes: Option<Vec<i64>>, rank: usize, noop: bool) -> std::result::Result<Vec<bool>, String> {
    let axes = axes.unwrap_or_default();
    if axes.is_empty() {
        return Ok(vec![!noop; rank]);
    }
    let mut r = vec![false; rank];
    for &a in &axes {
        let i = ir::norm_axis(a, rank)?;
        if r[i] {
            return Err(format!("axis {a} is repeated in {axes:?}"));
        }
        r[i] = true;
    }
    Ok(r)
}

/// Whether the kernel walks the input row-major into a buffer, and that buffer's element dtype
/// when it is not the output.
fn buffer(groups: &Groups, kind: ReduceKind, dt: DType, acc: Acc) -> Option<Option<DType>> {
    if groups.trailing() || kind == ReduceKind::LogSumExp {
        return None;
    }
    Some(match acc {
        Acc::Native => None,
        Acc::F64 if dt == DType::F64 && matches!(kind, ReduceKind::Sum | ReduceKind::Prod | ReduceKind::L1 | ReduceKind::SumSquare) => None,
        Acc::F64 => Some(DType::F64),
        Acc::Wide(64) => Some(DType::I64),
        // i128 sums of 64-bit integers: per-output carried loops instead.
        Acc::Wide(_) => return None,
    })
}

pub fn scratch_bytes(g: &Graph, id: NodeId) -> usize {
    let node = g.node(id);
    let Op::Reduce { kind, noop_with_empty_axes, .. } = node.op else { return 0 };
    let ins = g.node_inputs(id);
    let Some(Some(x)) = ins.first().copied() else { return 0 };
    let t = g.value_type(x);
    let Some(shape) = t.static_shape() else { return 0 };
    let axes = ins.get(1).copied().flatten().and_then(|v| g.const_value(v)).map(|c| c.to_i64_vec());
    let Ok(red) = reduced_axes(axes, shape.len(), noop_with_empty_axes) else { return 0 };
    let groups = Groups::new(&shape, &red);
    let Ok(acc) = acc_of(kind, t.dtype) else { return 0 };
    match buffer(&groups, kind, t.dtype, acc) {
        Some(Some(bt)) => Carver::bytes(&[(groups.kept().iter().product(), bt)]),
        _ => 0,
    }
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::Reduce { kind, noop_with_empty_axes, .. } = k.node.op else { unreachable!() };
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    let axes = k.const_i64(1, "axes")?;
    let red = match reduced_axes(axes, x.shape.len(), noop_with_empty_axes) {
        Ok(r) => r,
        Err(e) => return k.unsupported(e),
    };
    let acc = match acc_of(kind, x.dt) {
        Ok(a) => a,
        Err(e) => return k.unsupported(e),
    };
    let groups = Groups::new(&x.shape, &red);
    let r = Red { kind, dt: x.dt, acc, n: groups.red().iter().product(), lanes: lanes::fold_lanes(k.target.f32_lanes, x.dt) };
    let xv = lanes::view(&mut k.f, &x, &groups.sizes());
    let yv = lanes::view(&mut k.f, &y, &groups.kept());
    match buffer(&groups, kind, x.dt, acc) {
        None => per_output(&mut k.f, &r, &groups, &xv, &yv),
        Some(bt) => {
            let kept = groups.kept();
            let buf = match bt {
                None => yv.clone(),
                Some(bt) => {
                    let mut c = Carver::new(k.scratch.clone());
                    match c.take(&mut k.f, &kept, bt) {
                        Some(b) => b,
                        None => return k.unsupported("the reduction buffer was not planned (scratch too small)"),
                    }
                }
            };
            row_major(&mut k.f, &r, &groups, &xv, &yv, &buf);
        }
    }
    Ok(())
}

/// One reduction's semantics.
struct Red {
    kind: ReduceKind,
    dt: DType,
    acc: Acc,
    /// Elements per group.
    n: usize,
    /// Vector width for hand-vectorized float Max/Min.
    lanes: usize,
}

impl Red {
    fn s(&self) -> Scalar {
        Scalar::of(self.dt).unwrap_or(Scalar::Float(32))
    }

    /// The accumulator's MLIR type.
    fn ty(&self) -> String {
        match self.acc {
            Acc::Native => self.s().ty(),
            Acc::F64 => "f64".into(),
            Acc::Wide(b) => format!("i{b}"),
        }
    }

    fn init(&self, f: &mut Func) -> String {
        use ReduceKind::*;
        let s = self.s();
        match (self.acc, s) {
            (Acc::F64, _) => f.fconst(if self.kind == Prod { 1.0 } else { 0.0 }, Scalar::Float(64)),
            (Acc::Wide(b), _) => f.cst("0", &format!("i{b}")),
            (Acc::Native, Scalar::Float(_)) => {
                f.fconst(if self.kind == Max { f64::NEG_INFINITY } else { f64::INFINITY }, s)
            }
            (Acc::Native, Scalar::Bool) => f.cst(if self.kind == Min { "1" } else { "0" }, "i1"),
            (Acc::Native, Scalar::Int { bits, signed }) => {
                let v = match (self.kind, signed) {
                    (Prod, _) => 1,
                    (Max, true) => i64::MIN >> (64 - bits),
                    (Min, true) => i64::MAX >> (64 - bits),
                    (Max, false) => 0,
                    (Min, false) => -1,
                    _ => 0,
                };
                f.iconst(v, s)
            }
        }
    }

    /// Fold the compute scalar `x` into `a`.
    fn step(&self, f: &mut Func, a: &str, x: &str) -> String {
        use ReduceKind::*;
        let s = self.s();
        let t = s.ty();
        match (self.acc, s) {
            (Acc::F64, _) => {
                let v = to_f64(f, x, self.dt);
                let v = match self.kind {
                    L1 => f.op(format!("math.absf {v} : f64")),
                    L2 | SumSquare => f.op(format!("arith.mulf {v}, {v} : f64")),
                    _ => v,
                };
                if self.kind == Prod {
                    f.op(format!("arith.mulf {a}, {v} : f64"))
                } else {
                    add_r(f, a, &v, "f64")
                }
            }
            (Acc::Wide(b), Scalar::Int { bits, signed }) => {
                let e = if signed { "extsi" } else { "extui" };
                let v = f.op(format!("arith.{e} {x} : i{bits} to i{b}"));
                f.op(format!("arith.addi {a}, {v} : i{b}"))
            }
            (Acc::Native, Scalar::Float(_)) => {
                let o = if self.kind == Max { "maximumf" } else { "minimumf" };
                f.op(format!("arith.{o} {a}, {x} : {t}"))
            }
            (Acc::Native, Scalar::Bool) => {
                let o = if self.kind == Max { "ori" } else { "andi" };
                f.op(format!("arith.{o} {a}, {x} : i1"))
            }
            (_, Scalar::Int { signed, .. }) => {
                let sg = if signed { "s" } else { "u" };
                match self.kind {
                    Max => f.op(format!("arith.max{sg}i {a}, {x} : {t}")),
                    Min => f.op(format!("arith.min{sg}i {a}, {x} : {t}")),
                    Prod => f.op(format!("arith.muli {a}, {x} : {t}")),
                    L1 => {
                        let v = if signed { f.op(format!("math.absi {x} : {t}")) } else { x.to_string() };
                        f.op(format!("arith.addi {a}, {v} : {t}"))
                    }
                    SumSquare => {
                        let v = f.op(format!("arith.muli {x}, {x} : {t}"));
                        f.op(format!("arith.addi {a}, {v} : {t}"))
                    }
                    _ => f.op(format!("arith.addi {a}, {x} : {t}")),
                }
            }
            // Unreachable combinations (acc_of never builds them): keep the accumulator.
            _ => a.to_string(),
        }
    }

    /// The finished accumulator as a compute scalar of the dtype.
    fn finish(&self, f: &mut Func, a: &str) -> String {
        use ReduceKind::*;
        match self.acc {
            Acc::Native => a.to_string(),
            Acc::F64 => {
                let v = match self.kind {
                    Mean => {
                        let n = f.fconst(self.n as f64, Scalar::Float(64));
                        f.op(format!("arith.divf {a}, {n} : f64"))
                    }
                    L2 => f.op(format!("math.sqrt {a} : f64")),
                    LogSum => f.op(format!("math.log {a} : f64")),
                    _ => a.to_string(),
                };
                lanes::from_f64(f, &v, self.dt)
            }
            Acc::Wide(b) => {
                let Scalar::Int { bits, .. } = self.s() else { return a.to_string() };
                let q = if self.n == 0 {
                    f.cst("0", &format!("i{b}"))
                } else {
                    let n = f.cst(self.n.to_string(), &format!("i{b}"));
                    f.op(format!("arith.divsi {a}, {n} : i{b}"))
                };
                f.op(format!("arith.trunci {q} : i{b} to i{bits}"))
            }
        }
    }
}

/// Each output element from a carried loop nest over its group (two for LogSumExp).
fn per_output(f: &mut Func, r: &Red, g: &Groups, x: &View, y: &View) {
    let (kept, red) = (g.kept(), g.red());
    nest(f, &kept, &mut |f, kiv| {
        let yi: Vec<String> = if kiv.is_empty() { vec![f.idx(0)] } else { kiv.to_vec() };
        if r.kind == ReduceKind::LogSumExp {
            let v = log_sum_exp(f, r, g, x, kiv, &red);
            let c = lanes::from_f64(f, &v, r.dt);
            y.store(f, &c, &yi);
            return;
        }
        let init = r.init(f);
        let s = r.s();
        if s.is_float() && r.acc == Acc::Native && red.len() == 1 && g.trailing() {
            // One contiguous run: fold it with vector ops (LLVM leaves max/min chains scalar).
            let op = if r.kind == ReduceKind::Max { "maximumf" } else { "minimumf" };
            let v = lanes::vec_fold(f, x, kiv, red[0], &lanes::Fold { op, init: &init, s, lanes: r.lanes });
            y.store(f, &v, &yi);
            return;
        }
        let a = nest_iter(f, &red, &[(init, r.ty())], &mut |f, riv, c| {
            let xv = x.load(f, &g.index(kiv, riv));
            vec![r.step(f, &c[0], &xv)]
        });
        let v = r.finish(f, &a[0]);
        y.store(f, &v, &yi);
    });
}

/// log Σ exp(x) over one group in f64, shifted by the largest finite element (0 if none).
fn log_sum_exp(f: &mut Func, r: &Red, g: &Groups, x: &View, kiv: &[String], red: &[usize]) -> String {
    let f64s = Scalar::Float(64);
    let ninf = f.fconst(f64::NEG_INFINITY, f64s);
    let inf = f.fconst(f64::INFINITY, f64s);
    let m = nest_iter(f, red, &[(ninf, "f64".into())], &mut |f, riv, c| {
        let v = x.load(f, &g.index(kiv, riv));
        let v = to_f64(f, &v, r.dt);
        let av = f.op(format!("math.absf {v} : f64"));
        let fin = f.op(format!("arith.cmpf olt, {av}, {inf} : f64"));
        let mx = f.op(format!("arith.maxnumf {}, {v} : f64", c[0]));
        vec![f.op(format!("arith.select {fin}, {mx}, {} : f64", c[0]))]
    });
    let zero = f.fconst(0.0, f64s);
    let am = f.op(format!("math.absf {} : f64", m[0]));
    let mfin = f.op(format!("arith.cmpf olt, {am}, {inf} : f64"));
    let m = f.op(format!("arith.select {mfin}, {}, {zero} : f64", m[0]));
    let s = nest_iter(f, red, &[(zero.clone(), "f64".into())], &mut |f, riv, c| {
        let v = x.load(f, &g.index(kiv, riv));
        let v = to_f64(f, &v, r.dt);
        let d = f.op(format!("arith.subf {v}, {m} : f64"));
        let e = f.op(format!("math.exp {d} : f64"));
        vec![add_r(f, &c[0], &e, "f64")]
    });
    let l = f.op(format!("math.log {} : f64", s[0]));
    f.op(format!("arith.addf {m}, {l} : f64"))
}

/// Walk x row-major, folding each element into `buf[kept index]`; then finish into y.
fn row_major(f: &mut Func, r: &Red, g: &Groups, x: &View, y: &View, buf: &View) {
    let kept = g.kept();
    let in_y = buf.mem == y.mem;
    let raw = |f: &mut Func, b: &View, idx: &[String]| -> String {
        // The buffer holds the accumulator type itself (f64 / i64), or the output's dtype.
        if in_y {
            b.load(f, idx)
        } else {
            f.op(format!("memref.load {}[{}] : {}", b.mem, idx.join(", "), b.mty))
        }
    };
    nest(f, &kept, &mut |f, kiv| {
        let init = r.init(f);
        if in_y {
            buf.store(f, &init, kiv);
        } else {
            f.line(format!("memref.store {init}, {}[{}] : {}", buf.mem, kiv.join(", "), buf.mty));
        }
    });
    let kinds: Vec<bool> = g.0.iter().map(|&(_, red)| red).collect();
    nest(f, &g.sizes(), &mut |f, iv| {
        let kiv: Vec<String> = iv.iter().zip(&kinds).filter(|(_, &red)| !red).map(|(v, _)| v.clone()).collect();
        let a = raw(f, buf, &kiv);
        let xv = x.load(f, iv);
        let n = r.step(f, &a, &xv);
        if in_y {
            buf.store(f, &n, &kiv);
        } else {
            f.line(format!("memref.store {n}, {}[{}] : {}", buf.mem, kiv.join(", "), buf.mty));
        }
    });
    if in_y {
        return;
    }
    nest(f, &kept, &mut |f, kiv| {
        let a = raw(f, buf, kiv);
        let v = r.finish(f, &a);
        y.store(f, &v, kiv);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_merge_and_drop_unit_dims() {
        let g = Groups::new(&[2, 3, 1, 4, 5], &[false, false, true, true, true]);
        assert_eq!(g, Groups(vec![(6, false), (20, true)]));
        assert!(g.trailing());
        let g = Groups::new(&[2, 3, 4], &[true, false, false]);
        assert_eq!(g, Groups(vec![(2, true), (12, false)]));
        assert!(!g.trailing());
        // Nothing reduced (noop): one-element groups.
        let g = Groups::new(&[2, 3], &[false, false]);
        assert_eq!(g, Groups(vec![(6, false), (1, true)]));
        assert_eq!(g.index(&["%k".into()], &["%r".into()]), vec!["%k".to_string(), "%r".to_string()]);
    }

    #[test]
    fn accumulators_follow_the_interpreter() {
        assert_eq!(acc_of(ReduceKind::Sum, DType::F16), Ok(Acc::F64));
        assert_eq!(acc_of(ReduceKind::Max, DType::F32), Ok(Acc::Native));
        assert_eq!(acc_of(ReduceKind::Sum, DType::I32), Ok(Acc::Native));
        assert_eq!(acc_of(ReduceKind::Mean, DType::I64), Ok(Acc::Wide(128)));
        assert_eq!(acc_of(ReduceKind::L2, DType::U8), Ok(Acc::F64));
        assert!(acc_of(ReduceKind::Sum, DType::Bool).is_err());
        assert_eq!(reduced_axes(Some(vec![-1]), 3, false), Ok(vec![false, false, true]));
        assert_eq!(reduced_axes(None, 2, true), Ok(vec![false, false]));
        assert!(reduced_axes(Some(vec![0, 0]), 2, false).is_err());
    }
}
