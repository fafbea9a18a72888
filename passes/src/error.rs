//! The error type of the optimizer: every failure names the pass (and, through the IR error,
//! the node) it concerns.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum PassError {
    /// A pass failed while rewriting (an IR operation it relies on returned an error).
    #[error("pass `{pass}`: {source}")]
    Ir { pass: String, source: ir::IrError },
    /// The verifier rejected the graph after a pass: a bug in that pass.
    #[error("the graph is invalid after pass `{pass}` (a bug in the pass): {source}")]
    Verify { pass: String, source: ir::IrError },
    /// The graph given to the pass manager was already invalid.
    #[error("the graph is invalid before the first pass: {0}")]
    InvalidInput(ir::IrError),
    /// A pass name that is not registered.
    #[error("unknown pass `{name}` (known passes: {known})")]
    UnknownPass { name: String, known: String },
    /// A pass found something it cannot handle (message names the node).
    #[error("pass `{pass}`: {msg}")]
    Failed { pass: String, msg: String },
}

impl PassError {
    /// Wrap an IR error raised inside pass `pass`.
    pub fn ir(pass: &str, source: ir::IrError) -> Self {
        PassError::Ir { pass: pass.to_string(), source }
    }
}
