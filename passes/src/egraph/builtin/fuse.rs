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
