//! `egraph`: the e-graph optimizer (`crate::egraph`) as a pass: algebraic rewrites, pattern
//! recognition and fusion into `Fused`/`MatMulFused`/`ConvFused`, extracted with the target's
//! roofline cost model. Its options are `PassOptions::egraph`.

use super::Pass;
use crate::{PassContext, PassError, PassStats};

pub struct Egraph;

impl Pass for Egraph {
    fn name(&self) -> &'static str {
        "egraph"
    }

    fn description(&self) -> &'static str {
        "e-graph rewriting: algebra, op recognition and fusion, extracted by the device's cost model"
    }

    fn run(&self, g: &mut ir::Graph, cx: &PassContext) -> Result<PassStats, PassError> {
        let s = crate::egraph::optimize(g, cx.profile, &cx.options.egraph)
            .map_err(|e| PassError::Failed { pass: self.name().into(), msg: e.to_string() })?;
        let mut stats = PassStats::new();
        stats.add("rewrites", s.applied.values().sum());
        stats.note("unions refused", s.rejected);
        for line in s.to_string().lines() {
            stats.detail(line.to_string());
        }
        Ok(stats)
    }
}
