//! Graph-to-graph passes and pipelines (the e-graph optimizer arrives with the optimizer issue).
//! Passes see a device only through the `targets` API.

pub use ir;
