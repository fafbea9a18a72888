//! Applying a rule: check its conditions, build the right-hand side, and union it with the
//! match only if the two have the same types (a typed union). A refused union means a rule
//! whose conditions are too weak; it is counted, never silently merged.

use super::cond::Cond;
use crate::egraph::analysis::{same_types, TensorAnalysis, EG};
use crate::egraph::lang::TNode;
use egg::{Applier, Id, Pattern, PatternAst, Subst, Symbol, Var};

/// Union `new` into `class` if their types agree; returns the changed class.
pub fn typed_union(eg: &mut EG, class: Id, new: Id) -> Vec<Id> {
    if eg.find(class) == eg.find(new) {
        return vec![];
    }
    let ok = matches!((&eg[class].data.types, &eg[new].data.types), (Some(a), Some(b)) if same_types(a, b));
    if !ok {
        eg.analysis.rejected += 1;
        return vec![];
    }
    eg.union(class, new);
    vec![eg.find(class)]
}

/// The applier of a pattern rule.
pub struct PatternApplier {
    pub rhs: Pattern<TNode>,
    pub conds: Vec<Cond>,
    pub root: Var,
}

impl Applier<TNode, TensorAnalysis> for PatternApplier {
    fn apply_one(
        &self,
        eg: &mut EG,
        class: Id,
        subst: &Subst,
        _ast: Option<&PatternAst<TNode>>,
        _rule: Symbol,
    ) -> Vec<Id> {
        if !self.conds.iter().all(|c| c.check(eg, class, subst)) {
            return vec![];
        }
        let mut s = subst.clone();
        s.insert(self.root, class);
        let new = eg.add_instantiation(&self.rhs.ast, &s);
        typed_union(eg, class, new)
    }

    fn vars(&self) -> Vec<Var> {
        self.rhs.vars().into_iter().filter(|v| *v != self.root).collect()
    }
}
