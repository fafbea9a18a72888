//! The error type of the IR crate: every failure names the node (or value) it concerns.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum IrError {
    /// A node's inputs, attributes or shapes are invalid for its op.
    #[error("node `{node}` ({op}): {msg}")]
    Node { node: String, op: String, msg: String },
    /// The op or dtype combination is valid but not implemented.
    #[error("node `{node}` ({op}): unsupported: {msg}")]
    Unsupported { node: String, op: String, msg: String },
    /// Structural problem of the graph (cycle, dangling edge, missing output…).
    #[error("graph: {0}")]
    Graph(String),
    /// Problem in text-form parsing.
    #[error("line {line}: {msg}")]
    Parse { line: usize, msg: String },
}

impl IrError {
    pub fn is_unsupported(&self) -> bool {
        matches!(self, IrError::Unsupported { .. })
    }
}

/// The error an op implementation returns; the caller attaches the node name and op name.
#[derive(Debug, Clone, PartialEq)]
pub enum OpError {
    Invalid(String),
    Unsupported(String),
}

impl OpError {
    pub fn at(self, node: &str, op: &str) -> IrError {
        match self {
            OpError::Invalid(msg) => IrError::Node { node: node.into(), op: op.into(), msg },
            OpError::Unsupported(msg) => IrError::Unsupported { node: node.into(), op: op.into(), msg },
        }
    }
}

impl From<String> for OpError {
    fn from(s: String) -> Self {
        OpError::Invalid(s)
    }
}
impl From<&str> for OpError {
    fn from(s: &str) -> Self {
        OpError::Invalid(s.to_string())
    }
}

pub type OpResult<T> = Result<T, OpError>;

/// `return Err(OpError::Invalid(format!(...)))`
#[macro_export]
macro_rules! invalid {
    ($($t:tt)*) => { return Err($crate::OpError::Invalid(format!($($t)*))) };
}
/// `return Err(OpError::Unsupported(format!(...)))`
#[macro_export]
macro_rules! unsupported {
    ($($t:tt)*) => { return Err($crate::OpError::Unsupported(format!($($t)*))) };
}
