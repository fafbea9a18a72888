//! The IR text form: `print` writes a graph, `parse` reads it back (round-trip tested).
//!
//! ```text
//! graph main(%x: f32[batch,4], %"onnx::ids": i64[batch]) {
//!   %w = const f32[4,2] dense<[1.0, 0.5, -0.0, nan, inf, 2.0, 3.0, 1e-7]>
//!   %mm = matmul(%x, %w) {trans_a = false, trans_b = false} : f32[batch,2]
//!   %s:2 = split(%mm, _) {axis = 1, num_outputs = 2} : f32[batch,1], f32[batch,1]
//!   %r = unary.relu(%s#0) : f32[batch,1]
//!   return %r as "y", %s#1 as "z"
//! }
//! ```
//! The grammar is described in docs/ir-text-format.md. Files:
//! `lexer` (tokens), `cursor` (token positions), `literal` (names, floats, types, constants),
//! `attrs` (op spellings and attributes), `arity` (input/output counts), `print`, `parse`.

mod arity;
mod attrs;
mod cursor;
mod fused;
mod lexer;
mod literal;
mod parse;
mod print;

pub use arity::{arity, Arity};

use crate::{Graph, IrError, Op, TensorType};

/// Print options.
#[derive(Clone, Copy, Debug, Default)]
pub struct PrintOptions {
    /// Constants with more elements than this print as `dense<...>` (not parseable); None: all data.
    pub elide_above: Option<usize>,
}

/// The text of `g`. With `elide_above: None` the text parses back to an equal graph.
pub fn print(g: &Graph, opts: PrintOptions) -> String {
    print::print_graph(g, &opts)
}

/// Read a graph. Output types are taken as written (no inference is run); errors are
/// `IrError::Parse` with the line number.
pub fn parse(s: &str) -> Result<Graph, IrError> {
    parse::parse_graph(s)
}

/// An op as the text form spells it, with its attributes: `unary.leaky_relu {alpha = 0.01}`.
pub fn op_to_string(op: &Op, opts: PrintOptions) -> String {
    let (name, attrs) = attrs::spell(op, &opts);
    if attrs.is_empty() {
        name
    } else {
        format!("{name} {{{}}}", attrs.join(", "))
    }
}

/// The op name alone: `matmul`, `unary.relu`, `reduce.mean`, `lstm`.
pub fn op_name(op: &Op) -> String {
    attrs::spell(op, &PrintOptions { elide_above: Some(0) }).0
}

/// Every op name of the text form, in a stable order.
pub fn op_names() -> Vec<String> {
    attrs::op_names()
}

/// A type as the text form spells it (symbolic dims that are not plain words are quoted).
pub fn type_to_string(t: &TensorType) -> String {
    literal::fmt_type(t)
}
