//! edgec's optimizer: the `Pass` trait, the pass registry, the pass manager, pipelines, and the
//! classic passes (`pass/`, one file per pass). Passes see a device only through `targets`.
//! Adding a pass: docs/adding-a-pass.md.

pub mod context;
pub mod egraph;
pub mod error;
pub mod manager;
pub mod pass;
pub mod pipeline;
pub mod registry;
mod rewrite;
pub mod stats;
pub mod summary;

pub use context::{PassContext, PassOptions};
pub use error::PassError;
pub use manager::{IrDump, PassManager, PassRecord, PipelineReport, When};
pub use pass::Pass;
pub use pipeline::{default_pipeline, optimize};
pub use registry::{lookup, registry};
pub use stats::PassStats;

pub use ir;
pub use targets;
