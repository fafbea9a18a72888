//! What one optimizer run did, printable for `-v`.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct EgraphStats {
    /// Runner iterations over both phases.
    pub iterations: usize,
    /// Size of the largest e-graph (over the stages).
    pub enodes: usize,
    pub eclasses: usize,
    /// Successful applications per rule (rules that never applied are left out).
    pub applied: BTreeMap<String, usize>,
    /// Rule applications refused because the new term's type differed from the matched one.
    pub rejected: usize,
    /// Why each phase stopped (`saturated`, `node limit`…).
    pub stop_reasons: Vec<String>,
    pub nodes_before: usize,
    pub nodes_after: usize,
    /// Estimated run time of the graph on the profile (roofline, seconds) before and after.
    pub cost_before: f64,
    pub cost_after: f64,
    /// Class switches the DAG-cost improvement made after the greedy extraction.
    pub improved: usize,
    /// The ILP extractor's report per stage, when it ran.
    pub ilp: Vec<crate::egraph::IlpReport>,
    pub saturate_time: Duration,
    pub extract_time: Duration,
    pub total_time: Duration,
}

/// Seconds as ms, or µs below a millisecond.
fn secs(t: f64) -> String {
    if t >= 1e-3 {
        format!("{:.3} ms", t * 1e3)
    } else {
        format!("{:.2} µs", t * 1e6)
    }
}

impl fmt::Display for EgraphStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "egraph: {} -> {} nodes, est. {} -> {}; {} iterations ({}), {} e-nodes, {} e-classes",
            self.nodes_before,
            self.nodes_after,
            secs(self.cost_before),
            secs(self.cost_after),
            self.iterations,
            self.stop_reasons.join(", "),
            self.enodes,
            self.eclasses
        )?;
        writeln!(
            f,
            "egraph: saturate {:.1} ms, extract {:.1} ms, total {:.1} ms; {} unions refused (type mismatch), {} DAG improvements",
            self.saturate_time.as_secs_f64() * 1e3,
            self.extract_time.as_secs_f64() * 1e3,
            self.total_time.as_secs_f64() * 1e3,
            self.rejected,
            self.improved
        )?;
        for (i, r) in self.ilp.iter().enumerate() {
            writeln!(
                f,
                "egraph ilp (stage {}): {} in {:.1} ms, {} variables, {} constraints; est. {} (greedy) -> {}",
                i + 1,
                r.status,
                r.time.as_secs_f64() * 1e3,
                r.variables,
                r.constraints,
                secs(r.warm_cost),
                secs(r.cost)
            )?;
        }
        let rules: Vec<String> = self.applied.iter().map(|(r, n)| format!("{r} {n}")).collect();
        write!(f, "egraph rules applied: {}", if rules.is_empty() { "none".into() } else { rules.join(", ") })
    }
}
