//! Options of the e-graph optimizer: runner limits, extractor choice and rule selection.

use std::time::Duration;

/// How the optimized graph is chosen from the saturated e-graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExtractorKind {
    /// egg's bottom-up extractor with the roofline cost of each node (tree cost), then hill
    /// climbing on the DAG cost (each chosen kernel counted once).
    #[default]
    Greedy,
    /// The greedy choice, then the DAG-cost-optimal one from an integer linear program
    /// (microlp, pure Rust) warm-started from it, within `ilp_time_limit` per stage.
    Ilp,
}

#[derive(Clone, Debug)]
pub struct EgraphOptions {
    /// Stop growing the e-graph beyond this many e-nodes (per phase).
    pub node_limit: usize,
    /// Stop after this many iterations (per phase).
    pub iter_limit: usize,
    /// Wall-clock budget of equality saturation (all stages together; extraction not counted).
    pub time_limit: Duration,
    pub extractor: ExtractorKind,
    /// Time budget of each ILP solve (`ExtractorKind::Ilp`).
    pub ilp_time_limit: Duration,
    /// Rules (by name) or themes (by file name: `algebra`, `fusion`…) to leave out.
    pub disabled: Vec<String>,
}

impl Default for EgraphOptions {
    fn default() -> Self {
        EgraphOptions {
            node_limit: 100_000,
            iter_limit: 30,
            time_limit: Duration::from_secs(10),
            extractor: ExtractorKind::Greedy,
            ilp_time_limit: Duration::from_secs(5),
            disabled: Vec::new(),
        }
    }
}
