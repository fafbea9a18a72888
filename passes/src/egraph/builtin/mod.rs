//! Rules implemented in code, for rewrites a pattern cannot express: those over ops with a
//! variable number of inputs (fused kernels and epilogues) and those that carry attributes a
//! pattern cannot bind (Conv's). Rule files list them with their law and examples
//! (`builtin <name>`), so they are scheduled, counted and soundness-tested like the others.

pub mod canon;
mod conv;
pub mod fuse;
mod fusion;

use super::analysis::{TensorAnalysis, EG};
use super::lang::TNode;
use super::rules::typed_union;
use egg::{Applier, Id, PatternAst, SearchMatches, Searcher, Subst, Symbol, Var};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// An elementwise consumer of an elementwise producer → one `Fused` kernel.
    FuseElementwise,
    /// An elementwise consumer of a MatMul/Conv (fused or not) → its epilogue.
    FuseEpilogue,
    /// Conv with a bias → ConvFused with the bias added in the epilogue.
    ConvBiasEpilogue,
    /// BatchNorm of a Conv with constant weights → Conv with scaled weights and bias.
    ConvBnFold,
}

impl Builtin {
    pub const ALL: [(&'static str, Builtin); 4] = [
        ("fuse-elementwise", Builtin::FuseElementwise),
        ("fuse-epilogue", Builtin::FuseEpilogue),
        ("conv-bias-epilogue", Builtin::ConvBiasEpilogue),
        ("conv-bn-fold", Builtin::ConvBnFold),
    ];

    pub fn from_name(s: &str) -> Option<Builtin> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, b)| *b)
    }

    /// The new e-nodes equal to class `c`.
    fn candidates(self, eg: &mut EG, c: Id) -> Vec<TNode> {
        match self {
            Builtin::FuseElementwise => fusion::elementwise(eg, c),
            Builtin::FuseEpilogue => fusion::epilogue(eg, c),
            Builtin::ConvBiasEpilogue => conv::bias_epilogue(eg, c),
            Builtin::ConvBnFold => conv::bn_fold(eg, c),
        }
    }

    /// Cheap test: may class `c` match?
    fn may_match(self, eg: &EG, c: Id) -> bool {
        let nodes = &eg[c].nodes;
        match self {
            Builtin::FuseElementwise | Builtin::FuseEpilogue => nodes.iter().any(|n| fuse::view(eg, n).is_some()),
            Builtin::ConvBiasEpilogue => nodes.iter().any(|n| matches!(n.ir_op(), Some(ir::Op::Conv(_)))),
            Builtin::ConvBnFold => nodes.iter().any(|n| matches!(n.ir_op(), Some(ir::Op::BatchNorm { .. }))),
        }
    }
}

/// Matches every class where the builtin may apply (with an empty substitution).
pub struct BuiltinSearcher(pub Builtin);

impl Searcher<TNode, TensorAnalysis> for BuiltinSearcher {
    fn search_eclass_with_limit(&self, eg: &EG, c: Id, limit: usize) -> Option<SearchMatches<'_, TNode>> {
        (limit > 0 && self.0.may_match(eg, c)).then(|| SearchMatches { eclass: c, substs: vec![Subst::with_capacity(0)], ast: None })
    }

    fn vars(&self) -> Vec<Var> {
        vec![]
    }
}

/// Adds the builtin's new nodes to the matched class (typed unions).
pub struct BuiltinApplier(pub Builtin);

impl Applier<TNode, TensorAnalysis> for BuiltinApplier {
    fn apply_one(&self, eg: &mut EG, c: Id, _s: &Subst, _a: Option<&PatternAst<TNode>>, _r: Symbol) -> Vec<Id> {
        let mut changed = Vec::new();
        for n in self.0.candidates(eg, c) {
            if eg.lookup(n.clone()).map(|i| eg.find(i)) == Some(eg.find(c)) {
                continue;
            }
            let id = eg.add(n);
            changed.extend(typed_union(eg, c, id));
        }
        changed
    }
}
