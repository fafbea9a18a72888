//! The registry: every pass by name, sorted, for the command line and textual pipelines.

use crate::pass::{Canonicalize, ConstantFold, Cse, Dce, Egraph, Pass};
use crate::PassError;

/// Every pass, in any order (`registry()` sorts). A new pass is added here.
static PASSES: &[&dyn Pass] = &[&Canonicalize, &ConstantFold, &Cse, &Dce, &Egraph];

/// All passes, sorted by name.
pub fn registry() -> Vec<&'static dyn Pass> {
    let mut v = PASSES.to_vec();
    v.sort_by_key(|p| p.name());
    v
}

/// The names of all passes, sorted, comma-separated (for error messages).
pub fn known_names() -> String {
    registry().iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
}

/// The pass called `name`; the error lists the known names.
pub fn lookup(name: &str) -> Result<&'static dyn Pass, PassError> {
    PASSES
        .iter()
        .copied()
        .find(|p| p.name() == name)
        .ok_or_else(|| PassError::UnknownPass { name: name.to_string(), known: known_names() })
}

/// A pipeline written as comma-separated names: `canonicalize,cse,dce` (spaces allowed).
pub fn parse_pipeline(spec: &str) -> Result<Vec<&'static dyn Pass>, PassError> {
    spec.split(',').map(str::trim).filter(|s| !s.is_empty()).map(lookup).collect()
}
