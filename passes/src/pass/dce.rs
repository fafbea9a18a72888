//! `dce`: removes nodes no graph output depends on (graph inputs are kept).

use super::Pass;
use crate::{PassContext, PassError, PassStats};

pub struct Dce;

impl Pass for Dce {
    fn name(&self) -> &'static str {
        "dce"
    }

    fn description(&self) -> &'static str {
        "remove nodes that no graph output depends on"
    }

    fn run(&self, g: &mut ir::Graph, _cx: &PassContext) -> Result<PassStats, PassError> {
        let mut stats = PassStats::new();
        stats.add("removed", g.dce());
        Ok(stats)
    }
}
