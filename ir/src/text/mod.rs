//! The IR text form: `print` writes a graph, `parse` reads it back (round-trip tested).

use crate::{Graph, IrError};

/// Print options.
#[derive(Clone, Copy, Debug, Default)]
pub struct PrintOptions {
    /// Constants with more elements than this print as `dense<...>` (not parseable); None: all data.
    pub elide_above: Option<usize>,
}

pub fn print(_g: &Graph, _opts: PrintOptions) -> String {
    String::from("<text form not implemented yet>")
}

pub fn parse(_s: &str) -> Result<Graph, IrError> {
    Err(IrError::Parse { line: 0, msg: "text form not implemented yet".into() })
}
