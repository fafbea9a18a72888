//! The canonical form of fused expressions: the fusion builtins compose one producer at a
//! time, so the same kernel can be built in many orders; canonicalising makes those one
//! expression (one e-node), which keeps the e-graph small.

use super::fuse::{Ew, Src};
use ir::{BinaryOp, FusedArg, FusedExpr, FusedStep};

/// The emitter of `canonical`.
struct Canon<'a> {
    ew: &'a Ew,
    /// Operands of each step in canonical order.
    order: &'a [Vec<FusedArg>],
    out: Vec<FusedStep>,
    inputs: Vec<Src>,
    /// The argument each original step became.
    done: Vec<Option<FusedArg>>,
}

impl Canon<'_> {
    /// Emit step `s` after its operands (once per structure); the argument naming it.
    fn visit(&mut self, s: usize) -> FusedArg {
        if let Some(a) = &self.done[s] {
            return a.clone();
        }
        let args: Vec<FusedArg> = self.order[s]
            .iter()
            .map(|a| match a {
                FusedArg::Step(t) => self.visit(*t),
                FusedArg::In(i) => {
                    let src = self.ew.inputs[*i];
                    FusedArg::In(self.inputs.iter().position(|x| *x == src).unwrap_or_else(|| {
                        self.inputs.push(src);
                        self.inputs.len() - 1
                    }))
                }
                FusedArg::Const(c) => FusedArg::Const(*c),
            })
            .collect();
        let step = match &self.ew.expr.steps[s] {
            FusedStep::Unary(u, _) => FusedStep::Unary(u.clone(), args[0].clone()),
            FusedStep::Binary(b, _, _) => FusedStep::Binary(b.clone(), args[0].clone(), args[1].clone()),
            FusedStep::Where(..) => FusedStep::Where(args[0].clone(), args[1].clone(), args[2].clone()),
            FusedStep::Cast(t, _) => FusedStep::Cast(*t, args[0].clone()),
        };
        // Equal steps (same op on the same canonical operands) are emitted once.
        let i = self.out.iter().position(|x| *x == step).unwrap_or_else(|| {
            self.out.push(step);
            self.out.len() - 1
        });
        self.done[s] = Some(FusedArg::Step(i));
        FusedArg::Step(i)
    }
}

/// A canonical form of `ew`: equal computations give equal expressions whatever order they
/// were composed in. Steps are listed in post-order from the result, the operands of
/// commutative ops ordered by a structural hash (the hash only orders; equality of steps is
/// exact), equal steps emitted once, and inputs renumbered by first use. So the builtins, which compose one producer at a time, reach each fused kernel once.
pub fn canonical(ew: &Ew) -> Ew {
    use std::collections::hash_map::DefaultHasher;
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
    if steps.is_empty() {
        return ew.clone();
    }
    // Emit in post-order from the result, deduplicating equal steps and inputs.
    let mut canon = Canon { ew, order: &order, out: Vec::new(), inputs: Vec::new(), done: vec![None; steps.len()] };
    canon.visit(steps.len() - 1);
    let (mut out_steps, mut inputs) = (canon.out, canon.inputs);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::egraph::builtin::fuse::{compose, MAX_STEPS};
    use egg::Id;
    use ir::UnaryOp;

    fn class(i: usize) -> Src {
        Src::Class(Id::from(i))
    }

    fn ew(steps: Vec<FusedStep>, inputs: Vec<Src>) -> Ew {
        Ew { expr: FusedExpr { steps }, inputs }
    }

    #[test]
    fn composition_order_does_not_matter() {
        use FusedArg::{In, Step};
        // k = relu(a) + exp(b), with a = x·y and b = neg(y), composed a-first or b-first.
        let k = ew(
            vec![
                FusedStep::Unary(UnaryOp::Relu, In(0)),
                FusedStep::Unary(UnaryOp::Exp, In(1)),
                FusedStep::Binary(BinaryOp::Add, Step(0), Step(1)),
            ],
            vec![class(10), class(11)],
        );
        let a = ew(vec![FusedStep::Binary(BinaryOp::Mul, In(0), In(1))], vec![class(1), class(2)]);
        let b = ew(vec![FusedStep::Unary(UnaryOp::Neg, In(0))], vec![class(2)]);
        let ab = canonical(&compose(&compose(&k, class(10), &a).unwrap(), class(11), &b).unwrap());
        let ba = canonical(&compose(&compose(&k, class(11), &b).unwrap(), class(10), &a).unwrap());
        assert_eq!(ab.expr, ba.expr);
        assert_eq!(ab.inputs, ba.inputs);
        assert_eq!(ab.expr.steps.len(), 5);
        assert_eq!(ab.inputs.len(), 2, "y is one input, read twice");
    }

    #[test]
    fn equal_steps_are_emitted_once_and_the_product_stays_first() {
        use FusedArg::{In, Step};
        // sigmoid(p) computed twice, then multiplied: one sigmoid step remains.
        let e = ew(
            vec![
                FusedStep::Unary(UnaryOp::Sigmoid, In(1)),
                FusedStep::Unary(UnaryOp::Sigmoid, In(1)),
                FusedStep::Binary(BinaryOp::Mul, Step(0), Step(1)),
                FusedStep::Binary(BinaryOp::Add, Step(2), In(0)),
            ],
            vec![Src::Product, class(3)],
        );
        let c = canonical(&e);
        assert_eq!(c.expr.steps.len(), 3);
        assert_eq!(c.inputs[0], Src::Product);
        assert!(c.expr.steps.iter().any(|s| matches!(s, FusedStep::Binary(BinaryOp::Add, _, _))));
    }

    #[test]
    fn limits_are_respected() {
        use FusedArg::In;
        let one = ew(vec![FusedStep::Unary(UnaryOp::Neg, In(0))], vec![class(1)]);
        let mut chain = one.clone();
        for _ in 0..MAX_STEPS - 1 {
            chain = compose(&one, class(1), &chain).unwrap();
        }
        assert_eq!(chain.expr.steps.len(), MAX_STEPS);
        assert!(compose(&one, class(1), &chain).is_none());
    }
}
