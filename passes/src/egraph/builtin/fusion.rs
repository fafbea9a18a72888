//! The fusion builtins: `fuse-elementwise` (consumer ∘ producer → one Fused kernel) and
//! `fuse-epilogue` (elementwise consumer of a MatMul/Conv → MatMulFused/ConvFused epilogue).
//!
//! Both compose one producer at a time and canonicalise the result, so a kernel is reached
//! once whatever the order; producers are primitive ops (a fused producer is reached by
//! composing its parts). A producer whose value is shared (read by several nodes of the
//! graph, see `Data::shared`) is never absorbed: it is computed anyway, so fusing it would
//! compute it twice.

use super::canon::canonical;
use super::fuse::{compose, view, Ew, Src};
use crate::egraph::analysis::{same_types, EG};
use crate::egraph::lang::TNode;
use egg::Id;
use ir::{FusedExpr, Op};

/// The distinct input classes of a view (other than `c` itself).
fn input_classes(ew: &Ew, c: Id) -> Vec<Id> {
    let mut v: Vec<Id> = ew.inputs.iter().filter_map(|s| if let Src::Class(i) = s { Some(*i) } else { None }).collect();
    v.sort();
    v.dedup();
    v.retain(|&i| i != c);
    v
}

fn classes(ins: &[Src]) -> Option<Vec<Id>> {
    ins.iter().map(|s| if let Src::Class(i) = s { Some(*i) } else { None }).collect()
}

pub fn elementwise(eg: &mut EG, c: Id) -> Vec<TNode> {
    let c = eg.find(c);
    let mut out = Vec::new();
    for k in eg[c].nodes.clone() {
        let Some(kv) = view(eg, &k) else { continue };
        for s in input_classes(&kv, c) {
            if eg[s].data.shared {
                continue;
            }
            for p in &eg[s].nodes {
                if matches!(p.ir_op(), Some(Op::Fused(_))) {
                    continue;
                }
                let Some(pv) = view(eg, p) else { continue };
                if pv.inputs.contains(&Src::Class(c)) {
                    continue;
                }
                if let Some(f) = compose(&kv, Src::Class(s), &pv).map(|f| canonical(&f)) {
                    if let Some(args) = classes(&f.inputs) {
                        out.push(TNode::ir(Op::Fused(f.expr), 1, args));
                    }
                }
            }
        }
    }
    out
}

/// A head: an op an epilogue can follow. Returns (its op without epilogue, its first two
/// inputs, its epilogue view over [product, epilogue inputs…]).
fn head(eg: &EG, n: &TNode) -> Option<(Op, [Id; 2], Ew)> {
    let op = n.ir_op()?;
    let (bare, epi, rest) = match op {
        Op::MatMul { .. } if n.args.len() == 2 => (op.clone(), FusedExpr::default(), &n.args[2..]),
        Op::Conv(_) if n.args.len() == 2 || (n.args.len() == 3 && eg[n.args[2]].data.is_absent()) => {
            (op.clone(), FusedExpr::default(), &n.args[..0])
        }
        Op::MatMulFused { trans_a, trans_b, epilogue } if n.args.len() >= 2 => {
            (Op::MatMul { trans_a: *trans_a, trans_b: *trans_b }, epilogue.clone(), &n.args[2..])
        }
        Op::ConvFused { attrs, epilogue } if n.args.len() >= 2 => (Op::Conv(attrs.clone()), epilogue.clone(), &n.args[2..]),
        _ => return None,
    };
    let mut inputs = vec![Src::Product];
    inputs.extend(rest.iter().map(|&i| Src::Class(eg.find(i))));
    Some((bare, [n.args[0], n.args[1]], Ew { expr: epi, inputs }))
}

pub fn epilogue(eg: &mut EG, c: Id) -> Vec<TNode> {
    let c = eg.find(c);
    let Some(cty) = eg[c].data.types.clone() else { return vec![] };
    let mut out = Vec::new();
    for k in eg[c].nodes.clone() {
        let Some(kv) = view(eg, &k) else { continue };
        for s in input_classes(&kv, c) {
            // The epilogue cannot change the product's shape, nor its dtype: the kernels
            // apply it in place in the output buffer (a comparison ending in bool stays a
            // separate node, or goes into an elementwise Fused).
            let same_type = eg[s].data.types.as_ref().is_some_and(|t| t.len() == 1 && same_types(t, &cty));
            if !same_type || eg[s].data.shared {
                continue;
            }
            for h in &eg[s].nodes {
                let Some((bare, [a, b], hv)) = head(eg, h) else { continue };
                if hv.inputs.contains(&Src::Class(c)) || a == c || b == c {
                    continue;
                }
                let Some(f) = compose(&kv, Src::Class(s), &hv).map(|f| canonical(&f)) else { continue };
                if f.inputs.first() != Some(&Src::Product) || f.inputs[1..].contains(&Src::Product) {
                    continue;
                }
                let Some(extra) = classes(&f.inputs[1..]) else { continue };
                let op = match bare {
                    Op::MatMul { trans_a, trans_b } => Op::MatMulFused { trans_a, trans_b, epilogue: f.expr },
                    Op::Conv(attrs) => Op::ConvFused { attrs, epilogue: f.expr },
                    _ => continue,
                };
                let mut args = vec![a, b];
                args.extend(extra);
                out.push(TNode::ir(op, 1, args));
            }
        }
    }
    out
}
