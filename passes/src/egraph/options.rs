//! Options of the e-graph optimizer: runner limits, extractor choice and rule selection.

use std::time::Duration;

/// How the optimized graph is chosen from the saturated e-graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExtractorKind {
    /// egg's bottom-up extractor with the roofline cost of each node (tree cost), then hill
    /// climbing on the DAG cost (each chosen kernel counted once).
    #[default]
    Greedy,
}

#[derive(Clone, Debug)]
pub struct EgraphOptions {
    /// Stop growing the e-graph beyond this many e-nodes (per phase).
    pub node_limit: usize,
    /// Stop after this many iterations (per phase).
    pub iter_limit: usize,
    /// Wall-clock budget of the whole saturation (both phases).
    pub time_limit: Duration,
    pub extractor: ExtractorKind,
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
            disabled: Vec::new(),
        }
    }
}
