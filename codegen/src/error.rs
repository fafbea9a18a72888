//! Code-generation errors: every one names the node or stage it came from.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CodegenError {
    /// The graph cannot be compiled as it is (dynamic shape, unsupported dtype or op form).
    #[error("node '{node}' ({op}): {reason}")]
    Unsupported { node: String, op: String, reason: String },
    /// The graph itself is malformed (should have been caught by the verifier).
    #[error("invalid graph: {0}")]
    Graph(String),
    /// MLIR rejected what we generated, or a pass failed: a bug in edgec.
    #[error("MLIR {stage} failed: {message}")]
    Mlir { stage: &'static str, message: String },
    /// LLVM failed (target lookup, optimisation, emission).
    #[error("LLVM {stage} failed: {message}")]
    Llvm { stage: &'static str, message: String },
}

pub type Result<T> = std::result::Result<T, CodegenError>;

/// `Err(Unsupported)` for a node, with a formatted reason.
#[macro_export]
macro_rules! unsupported {
    ($node:expr, $($arg:tt)*) => {
        return Err($crate::CodegenError::Unsupported {
            node: $node.name.clone(),
            op: $node.op.name().to_string(),
            reason: format!($($arg)*),
        })
    };
}
