//! Elementwise views and their composition, shared by the fusion builtins: any unary,
//! binary, Where, Clip (constant bounds), Cast or `Fused` node reads as a `FusedExpr` over its
//! sources; a consumer composed with a producer is one expression that computes the
//! producer's steps, then the consumer's, reading the producer's result where the consumer
//! read its class. Scalar f32 constants become `FusedArg::Const`.

use crate::egraph::analysis::EG;
use crate::egraph::lang::TNode;
use egg::Id;
use ir::{BinaryOp, DType, FusedArg, FusedExpr, FusedStep, Op, F32};

/// Longest fused expression the builtins build.
pub const MAX_STEPS: usize = 16;
/// Most distinct inputs of a fused kernel.
pub const MAX_INPUTS: usize = 8;

/// Where a fused input comes from: an e-class, or the product of the op an epilogue follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Src {
    Class(Id),
    Product,
}

/// An elementwise computation over sources.
#[derive(Clone, Debug)]
pub struct Ew {
    pub expr: FusedExpr,
    pub inputs: Vec<Src>,
}

impl Ew {
    /// The argument that holds the result (no steps: input 0 unchanged).
    fn result(&self) -> FusedArg {
        match self.expr.steps.len() {
            0 => FusedArg::In(0),
            n => FusedArg::Step(n - 1),
        }
    }
}

/// A rank-0 f32 constant's value.
fn f32_scalar(eg: &EG, c: Id) -> Option<f32> {
    let k = eg[c].data.konst.as_ref()?;
    let a = k.as_array::<f32>()?;
    k.shape().is_empty().then(|| a.iter().next().copied()).flatten()
}

/// Operands: a class becomes an input (deduplicated), an f32 scalar constant an inline
/// constant when `inline` (its siblings are then f32 too).
fn operands(eg: &EG, args: &[Id], inline: bool) -> (Vec<FusedArg>, Vec<Src>) {
    let mut inputs: Vec<Src> = Vec::new();
    let fargs = args
        .iter()
        .map(|&a| {
            if let (true, Some(v)) = (inline, f32_scalar(eg, a)) {
                return FusedArg::Const(F32(v));
            }
            let s = Src::Class(eg.find(a));
            let i = inputs.iter().position(|x| *x == s).unwrap_or_else(|| {
                inputs.push(s);
                inputs.len() - 1
            });
            FusedArg::In(i)
        })
        .collect();
    (fargs, inputs)
}

fn is_f32(eg: &EG, c: Id) -> bool {
    eg[c].data.ty().is_some_and(|t| t.dtype == DType::F32)
}

/// The elementwise view of an e-node, if it is elementwise.
pub fn view(eg: &EG, n: &TNode) -> Option<Ew> {
    let op = n.ir_op()?;
    let one = |step: FusedStep, inputs: Vec<Src>| Some(Ew { expr: FusedExpr { steps: vec![step] }, inputs });
    match op {
        Op::Unary(u) => {
            let (a, ins) = operands(eg, &n.args, false);
            one(FusedStep::Unary(u.clone(), a[0].clone()), ins)
        }
        Op::Binary(b) if n.args.len() == 2 => {
            let inline = n.args.iter().all(|&a| is_f32(eg, a));
            let (a, ins) = operands(eg, &n.args, inline);
            if ins.is_empty() {
                return None;
            }
            one(FusedStep::Binary(b.clone(), a[0].clone(), a[1].clone()), ins)
        }
        Op::Where if n.args.len() == 3 => {
            let inline = is_f32(eg, n.args[1]) && is_f32(eg, n.args[2]);
            let (mut a, ins) = operands(eg, &n.args[1..], inline);
            let (c, cins) = operands(eg, &n.args[..1], false);
            // Condition first: shift x/y inputs after it.
            let mut inputs = cins;
            for arg in &mut a {
                if let FusedArg::In(i) = arg {
                    let s = ins[*i];
                    *i = inputs.iter().position(|x| *x == s).unwrap_or_else(|| {
                        inputs.push(s);
                        inputs.len() - 1
                    });
                }
            }
            if a.iter().all(|x| matches!(x, FusedArg::Const(_))) {
                return None;
            }
            one(FusedStep::Where(c[0].clone(), a[0].clone(), a[1].clone()), inputs)
        }
        Op::Clip if !n.args.is_empty() && is_f32(eg, n.args[0]) => {
            let x = Src::Class(eg.find(n.args[0]));
            let mut steps = Vec::new();
            for (i, b) in [(1, BinaryOp::Max), (2, BinaryOp::Min)] {
                let Some(&c) = n.args.get(i) else { continue };
                if eg[c].data.is_absent() {
                    continue;
                }
                let k = eg[c].data.konst.as_ref().filter(|k| k.len() == 1)?;
                let prev = if steps.is_empty() { FusedArg::In(0) } else { FusedArg::Step(steps.len() - 1) };
                steps.push(FusedStep::Binary(b, prev, FusedArg::Const(F32(k.to_f64_vec()[0] as f32))));
            }
            if steps.is_empty() {
                return None;
            }
            Some(Ew { expr: FusedExpr { steps }, inputs: vec![x] })
        }
        Op::Cast { to, saturate: true } => {
            let (a, ins) = operands(eg, &n.args, false);
            one(FusedStep::Cast(*to, a[0].clone()), ins)
        }
        Op::Fused(e) if !e.steps.is_empty() => Some(Ew { expr: e.clone(), inputs: n.args.iter().map(|&a| Src::Class(eg.find(a))).collect() }),
        _ => None,
    }
}

fn remap(a: &FusedArg, ins: &[FusedArg], step_offset: usize) -> FusedArg {
    match a {
        FusedArg::In(i) => ins[*i].clone(),
        FusedArg::Step(s) => FusedArg::Step(s + step_offset),
        FusedArg::Const(c) => FusedArg::Const(*c),
    }
}

fn remap_step(s: &FusedStep, ins: &[FusedArg], off: usize) -> FusedStep {
    match s {
        FusedStep::Unary(u, a) => FusedStep::Unary(u.clone(), remap(a, ins, off)),
        FusedStep::Binary(b, x, y) => FusedStep::Binary(b.clone(), remap(x, ins, off), remap(y, ins, off)),
        FusedStep::Where(c, x, y) => FusedStep::Where(remap(c, ins, off), remap(x, ins, off), remap(y, ins, off)),
        FusedStep::Cast(t, a) => FusedStep::Cast(*t, remap(a, ins, off)),
    }
}

/// `consumer` with every read of source `slot` replaced by `producer`'s result.
pub fn compose(consumer: &Ew, slot: Src, producer: &Ew) -> Option<Ew> {
    let mut inputs = producer.inputs.clone();
    let np = producer.expr.steps.len();
    let prod_ins: Vec<FusedArg> = (0..inputs.len()).map(FusedArg::In).collect();
    let mut steps: Vec<FusedStep> = producer.expr.steps.iter().map(|s| remap_step(s, &prod_ins, 0)).collect();
    let result = producer.result();
    let cons_ins: Vec<FusedArg> = consumer
        .inputs
        .iter()
        .map(|&s| {
            if s == slot {
                result.clone()
            } else {
                FusedArg::In(inputs.iter().position(|x| *x == s).unwrap_or_else(|| {
                    inputs.push(s);
                    inputs.len() - 1
                }))
            }
        })
        .collect();
    steps.extend(consumer.expr.steps.iter().map(|s| remap_step(s, &cons_ins, np)));
    (steps.len() <= MAX_STEPS && inputs.len() <= MAX_INPUTS).then_some(Ew { expr: FusedExpr { steps }, inputs })
}

/// A canonical form of `ew`: equal computations give equal expressions whatever order they
/// were composed in. Steps are deduplicated, listed in post-order from the result with the
/// operands of commutative ops ordered by a structural hash, and inputs renumbered by first
/// use. So the builtins, which compose one producer at a time, reach each fused kernel once.
pub fn canonical(ew: &Ew) -> Ew {
    use std::collections::hash_map::DefaultHasher;
    use std::collections::HashMap;
    use std::hash::{Hash, Hasher};
    let steps = &ew.expr.steps;
    // Structural hash of every argument.
    let mut step_key: Vec<u64> = Vec::with_capacity(steps.len());
    let arg_key = |a: &FusedArg, step_key: &[u64]| -> u64 {
        let mut h = DefaultHasher::new();
        match a {
            FusedArg::In(i) => (0u8, ew.inputs[*i]).hash(&mut h),
            FusedArg::Const(c) => (1u8, c.0.to_bits()).hash(&mut h),
            FusedArg::Step(s) => (2u8, step_key[*s]).hash(&mut h),
        }
        h.finish()
    };
    let commutative = |b: &BinaryOp| matches!(b, BinaryOp::Add | BinaryOp::Mul | BinaryOp::Max | BinaryOp::Min);
    // Operand order of each step (commutative operands sorted by key).
    let mut order: Vec<Vec<FusedArg>> = Vec::with_capacity(steps.len());
    for s in steps {
        let mut h = DefaultHasher::new();
        let args: Vec<FusedArg> = match s {
            FusedStep::Unary(u, a) => {
                (0u8, format!("{u:?}")).hash(&mut h);
                vec![a.clone()]
            }
            FusedStep::Binary(b, x, y) => {
                (1u8, format!("{b:?}")).hash(&mut h);
                let (kx, ky) = (arg_key(x, &step_key), arg_key(y, &step_key));
                if commutative(b) && ky < kx {
                    vec![y.clone(), x.clone()]
                } else {
                    vec![x.clone(), y.clone()]
                }
            }
            FusedStep::Where(c, x, y) => {
                2u8.hash(&mut h);
                vec![c.clone(), x.clone(), y.clone()]
            }
            FusedStep::Cast(t, a) => {
                (3u8, format!("{t:?}")).hash(&mut h);
                vec![a.clone()]
            }
        };
        for a in &args {
            arg_key(a, &step_key).hash(&mut h);
        }
        step_key.push(h.finish());
        order.push(args);
    }
    // Emit in post-order from the result, deduplicating equal steps and inputs.
    let mut out_steps: Vec<FusedStep> = Vec::new();
    let mut inputs: Vec<Src> = Vec::new();
    let mut emitted: HashMap<u64, usize> = HashMap::new();
    fn visit(
        s: usize,
        steps: &[FusedStep],
        order: &[Vec<FusedArg>],
        keys: &[u64],
        ew: &Ew,
        out: &mut Vec<FusedStep>,
        inputs: &mut Vec<Src>,
        emitted: &mut HashMap<u64, usize>,
    ) -> FusedArg {
        if let Some(&i) = emitted.get(&keys[s]) {
            return FusedArg::Step(i);
        }
        let args: Vec<FusedArg> = order[s]
            .iter()
            .map(|a| match a {
                FusedArg::Step(t) => visit(*t, steps, order, keys, ew, out, inputs, emitted),
                FusedArg::In(i) => {
                    let src = ew.inputs[*i];
                    FusedArg::In(inputs.iter().position(|x| *x == src).unwrap_or_else(|| {
                        inputs.push(src);
                        inputs.len() - 1
                    }))
                }
                FusedArg::Const(c) => FusedArg::Const(*c),
            })
            .collect();
        let step = match &steps[s] {
            FusedStep::Unary(u, _) => FusedStep::Unary(u.clone(), args[0].clone()),
            FusedStep::Binary(b, _, _) => FusedStep::Binary(b.clone(), args[0].clone(), args[1].clone()),
            FusedStep::Where(..) => FusedStep::Where(args[0].clone(), args[1].clone(), args[2].clone()),
            FusedStep::Cast(t, _) => FusedStep::Cast(*t, args[0].clone()),
        };
        out.push(step);
        emitted.insert(keys[s], out.len() - 1);
        FusedArg::Step(out.len() - 1)
    }
    if steps.is_empty() {
        return ew.clone();
    }
    visit(steps.len() - 1, steps, &order, &step_key, ew, &mut out_steps, &mut inputs, &mut emitted);
    // An epilogue's product stays input 0.
    if ew.inputs.first() == Some(&Src::Product) && inputs.first() != Some(&Src::Product) {
        let Some(p) = inputs.iter().position(|x| *x == Src::Product) else {
            return Ew { expr: FusedExpr { steps: out_steps }, inputs };
        };
        inputs.swap(0, p);
        let fix = |a: &mut FusedArg| {
            if let FusedArg::In(i) = a {
                *i = if *i == 0 { p } else if *i == p { 0 } else { *i };
            }
        };
        for st in &mut out_steps {
            match st {
                FusedStep::Unary(_, a) | FusedStep::Cast(_, a) => fix(a),
                FusedStep::Binary(_, x, y) => {
                    fix(x);
                    fix(y);
                }
                FusedStep::Where(c, x, y) => {
                    fix(c);
                    fix(x);
                    fix(y);
                }
            }
        }
    }
    Ew { expr: FusedExpr { steps: out_steps }, inputs }
}
