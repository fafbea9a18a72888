//! Pipelines: plain functions returning the passes to run, in order, with the reasons for the
//! order next to them.

use crate::pass::{Canonicalize, ConstantFold, Cse, Dce, Egraph, Pass};

/// What `edgec compile` and `edgec run --target` run before code generation.
pub fn default_pipeline() -> Vec<&'static dyn Pass> {
    vec![
        // No-op casts/reshapes/transposes hide structure: two `Reshape`s of the same value
        // through a no-op `Cast` only look equal to CSE once the cast is gone, and a merged
        // reshape chain leaves a constant shape that folding and CSE can use.
        &Canonicalize,
        // Evaluate what became constant (import folded the shape subgraphs already; this
        // catches constants exposed by canonicalization), before CSE so that equal folded
        // results are merged too.
        &ConstantFold,
        // Merge duplicate constants by value, then the nodes reading them (exporters repeat
        // the same axes/shape/scale constants per layer, and RoPE tables per attention block).
        &Cse,
        // Drop what the passes above left unused (bypassed shape constants, folded inputs).
        &Dce,
        // The e-graph optimizer (algebra, op recognition, fusion into Fused/MatMulFused/
        // ConvFused, extracted by the device's roofline cost). After the clean-up so that it
        // sees one node per distinct computation: a smaller e-graph, and no duplicate
        // subgraphs fused twice.
        &Egraph,
        // Extraction rebuilds the graph; merge what it may have duplicated and drop what it
        // left unused.
        &Cse,
        &Dce,
    ]
}

/// Run the default pipeline on `g` for `profile` with default options (no dumps, no
/// verbosity): what the tests and library users call; the CLI builds its own manager to honour
/// its flags.
pub fn optimize(g: &mut ir::Graph, profile: &targets::Profile) -> Result<crate::PipelineReport, crate::PassError> {
    let cx = crate::PassContext::with_options(profile, crate::PassOptions::default());
    crate::PassManager::new(default_pipeline()).run(g, &cx)
}
