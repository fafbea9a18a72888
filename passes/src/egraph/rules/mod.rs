//! The rules: data files under passes/rules/ (one per theme, compiled in with `include_str!`)
//! parsed once into `RuleDef`s. Each rule has a kebab-case name, a one-line law, a
//! left-hand side, either a right-hand side with conditions or a builtin (code in
//! `egraph/builtin/`), and examples the soundness test instantiates.

mod apply;
pub mod cond;
pub mod example;
mod parse;

pub use apply::typed_union;

use crate::egraph::analysis::TensorAnalysis;
use crate::egraph::builtin::{Builtin, BuiltinApplier, BuiltinSearcher};
use crate::egraph::error::EgraphError;
use crate::egraph::lang::TNode;
use apply::PatternApplier;
use cond::Cond;
use egg::{Pattern, Rewrite};
use example::Example;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The rule files, in the order their rules are tried.
pub const RULE_FILES: &[(&str, &str)] = &[
    ("algebra", include_str!("../../../rules/algebra.rules")),
    ("activations", include_str!("../../../rules/activations.rules")),
    ("norms", include_str!("../../../rules/norms.rules")),
    ("attention", include_str!("../../../rules/attention.rules")),
    ("fusion", include_str!("../../../rules/fusion.rules")),
];

/// Themes whose rules run in the second stage only (on the first stage's result).
pub const FUSION_THEMES: &[&str] = &["fusion"];
/// Themes that also run in the second stage (to expose fusion opportunities).
pub const ALWAYS_THEMES: &[&str] = &["algebra"];

pub enum Action {
    Rewrite { rhs: Pattern<TNode>, conds: Vec<Cond> },
    Builtin(Builtin),
}

/// One rule.
pub struct RuleDef {
    pub name: String,
    pub law: String,
    /// The file it comes from (without `.rules`).
    pub theme: String,
    pub line: usize,
    /// The pattern searched (for builtins: the typical match, used by the examples).
    pub lhs: Pattern<TNode>,
    pub action: Action,
    pub examples: Vec<Example>,
}

impl RuleDef {
    /// The egg rewrite.
    pub fn rewrite(&self) -> Result<Rewrite<TNode, TensorAnalysis>, EgraphError> {
        let err = |msg: String| EgraphError::Rule { rule: self.name.clone(), msg };
        match &self.action {
            Action::Rewrite { rhs, conds } => {
                let root = "?root".parse().map_err(|e| err(format!("{e:?}")))?;
                let app = PatternApplier { rhs: rhs.clone(), conds: conds.clone(), root };
                Rewrite::new(self.name.as_str(), self.lhs.clone(), app).map_err(err)
            }
            Action::Builtin(b) => Rewrite::new(self.name.as_str(), BuiltinSearcher(*b), BuiltinApplier(*b)).map_err(err),
        }
    }

    /// Whether the rule runs in the fusion phase.
    pub fn is_fusion(&self) -> bool {
        FUSION_THEMES.contains(&self.theme.as_str())
    }
}

fn load() -> Result<Vec<RuleDef>, EgraphError> {
    let mut all = Vec::new();
    let mut names = HashSet::new();
    for (theme, src) in RULE_FILES {
        for r in parse::parse_file(theme, src)? {
            if !names.insert(r.name.clone()) {
                return Err(EgraphError::RuleFile {
                    file: theme.to_string(),
                    line: r.line,
                    msg: format!("rule name `{}` is used twice", r.name),
                });
            }
            all.push(r);
        }
    }
    Ok(all)
}

/// Every rule of every file (parsed on first use).
pub fn rules() -> Result<&'static [RuleDef], EgraphError> {
    static RULES: OnceLock<Result<Vec<RuleDef>, String>> = OnceLock::new();
    match RULES.get_or_init(|| load().map_err(|e| e.to_string())) {
        Ok(v) => Ok(v),
        Err(e) => Err(EgraphError::Rule { rule: "(rule files)".into(), msg: e.clone() }),
    }
}

/// Parse a rule file's text (for tests of the format and of deliberately wrong rules).
pub fn parse_rules(theme: &str, src: &str) -> Result<Vec<RuleDef>, EgraphError> {
    parse::parse_file(theme, src)
}
