//! Writing MLIR as text: a function builder with SSA naming and structured loops, and the
//! mapping of edgec dtypes/shapes onto MLIR types. The text is parsed by melior (and is what
//! `--emit mlir` prints), so every kernel can be read and diffed.

pub mod func;
pub mod types;

pub use func::Func;
pub use types::{elem_type, memref_type, Scalar};
