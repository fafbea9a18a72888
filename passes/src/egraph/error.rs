//! Errors of the e-graph optimizer; each names the rule, node or output concerned.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum EgraphError {
    /// A rule file is malformed (a bug in passes/rules/, caught by the tests).
    #[error("rule file {file}.rules, line {line}: {msg}")]
    RuleFile { file: String, line: usize, msg: String },
    #[error("rule `{rule}`: {msg}")]
    Rule { rule: String, msg: String },
    #[error("cannot convert node `{node}` to the e-graph: {msg}")]
    Import { node: String, msg: String },
    #[error("extraction found no computable term for {what}")]
    Extract { what: String },
    #[error("cannot convert the optimized term back to IR: {0}")]
    Export(String),
    #[error("the optimized graph is invalid ({0}); the graph was left unchanged")]
    Verify(ir::IrError),
    #[error(transparent)]
    Ir(#[from] ir::IrError),
}
