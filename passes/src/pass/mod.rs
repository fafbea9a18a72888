//! The `Pass` trait and the classic passes, one file per pass named after it
//! (`constant-fold` lives in `constant_fold.rs`).

mod canonicalize;
mod constant_fold;
mod cse;
mod dce;
mod egraph;

pub use canonicalize::Canonicalize;
pub use constant_fold::ConstantFold;
pub use cse::Cse;
pub use dce::Dce;
pub use egraph::Egraph;

use crate::{PassContext, PassError, PassStats};

/// A graph-to-graph rewrite. A pass must leave the graph valid for `ir::verify::verify`
/// (structure and stored types agreeing with inference) and must not change what the graph
/// computes; the pass manager verifies after each pass in debug builds.
pub trait Pass: Sync {
    /// Kebab-case name used on the command line and in pipelines (`constant-fold`).
    fn name(&self) -> &'static str;
    /// One line saying what the pass does (shown by `edgec compile --list-passes`).
    fn description(&self) -> &'static str;
    /// Rewrite `g` in place and report what changed.
    fn run(&self, g: &mut ir::Graph, cx: &PassContext) -> Result<PassStats, PassError>;
}

impl std::fmt::Debug for dyn Pass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pass({})", self.name())
    }
}
