//! The e-graph optimizer (egg): the graph becomes an e-graph (`from_ir`), rewrite rules from
//! passes/rules/*.rules grow it with equivalent forms (`rules`, `builtin`), and the cheapest
//! form for the device is extracted with the roofline cost model (`cost`, `extract`) and
//! converted back (`to_ir`).
//!
//! Saturation runs in two phases on one e-graph: first the algebraic and pattern-recognition
//! themes (algebra, activations, norms, attention), then the same plus the fusion theme, so
//! fusion sees the recognised ops (a GELU becomes one epilogue step, not eight).
//!
//! The language (`lang`) wraps IR ops whole; the analysis (`analysis`) types every class and
//! tracks constants (stored once in a side table); unions are typed (a rule whose result
//! would have another type than its match is refused and counted). Adding a rule:
//! docs/adding-a-rule.md. Every rule is checked against the interpreter by the soundness test
//! (passes/tests/egraph_soundness.rs) on its own examples.

pub mod analysis;
pub mod builtin;
pub mod cost;
mod error;
pub mod extract;
pub mod from_ir;
pub mod irop;
pub mod lang;
mod meta;
mod options;
pub mod rules;
pub mod soundness;
mod spell;
mod stats;
pub mod to_ir;

pub use error::EgraphError;
pub use options::{EgraphOptions, ExtractorKind};
pub use stats::EgraphStats;

use analysis::TensorAnalysis;
use egg::{BackoffScheduler, Rewrite, Runner, StopReason};
use lang::TNode;
use std::time::Instant;
use targets::Profile;

fn stop_reason(r: &Option<StopReason>) -> String {
    match r {
        Some(StopReason::Saturated) => "saturated".into(),
        Some(StopReason::IterationLimit(n)) => format!("iteration limit {n}"),
        Some(StopReason::NodeLimit(n)) => format!("node limit {n}"),
        Some(StopReason::TimeLimit(t)) => format!("time limit {t:.1}s"),
        Some(StopReason::Other(s)) => s.clone(),
        None => "not run".into(),
    }
}

/// The rewrites of the enabled rules: (first phase, fusion phase additions).
type Phases = (Vec<Rewrite<TNode, TensorAnalysis>>, Vec<Rewrite<TNode, TensorAnalysis>>);

fn enabled_rules(opts: &EgraphOptions) -> Result<Phases, EgraphError> {
    let (mut first, mut fusion) = (Vec::new(), Vec::new());
    for r in rules::rules()? {
        if opts.disabled.iter().any(|d| *d == r.name || *d == r.theme) {
            continue;
        }
        if r.is_fusion() {
            fusion.push(r.rewrite()?);
        } else {
            first.push(r.rewrite()?);
        }
    }
    Ok((first, fusion))
}

/// Optimize `g` for `profile`: saturate with the rules, extract the cheapest equivalent graph
/// and replace `g` with it. On error `g` is left unchanged.
pub fn optimize(g: &mut ir::Graph, profile: &Profile, opts: &EgraphOptions) -> Result<EgraphStats, EgraphError> {
    let t0 = Instant::now();
    let (first, fusion) = enabled_rules(opts)?;
    let imported = from_ir::import(g)?;
    let mut stats = EgraphStats { nodes_before: g.node_count(), ..Default::default() };
    let initial = extract::greedy(&imported.egraph, &imported.roots, profile)?;
    stats.cost_before = initial.cost;

    let from_ir::Imported { egraph, roots, names, const_names } = imported;
    let mut eg = egraph;
    let all: Vec<&Rewrite<TNode, TensorAnalysis>> = first.iter().chain(&fusion).collect();
    for phase in [first.iter().collect::<Vec<_>>(), all] {
        let left = opts.time_limit.saturating_sub(t0.elapsed());
        let runner: Runner<TNode, TensorAnalysis> = Runner::new(TensorAnalysis::default())
            .with_egraph(eg)
            .with_node_limit(opts.node_limit)
            .with_iter_limit(opts.iter_limit)
            .with_time_limit(left)
            .with_scheduler(BackoffScheduler::default().with_initial_match_limit(20_000))
            .run(phase);
        stats.iterations += runner.iterations.len();
        for it in &runner.iterations {
            for (rule, n) in &it.applied {
                *stats.applied.entry(rule.to_string()).or_default() += n;
            }
        }
        stats.stop_reasons.push(stop_reason(&runner.stop_reason));
        eg = runner.egraph;
    }
    stats.saturate_time = t0.elapsed();
    stats.enodes = eg.total_number_of_nodes();
    stats.eclasses = eg.number_of_classes();
    stats.rejected = eg.analysis.rejected;

    let t1 = Instant::now();
    let roots: Vec<_> = roots.iter().map(|&r| eg.find(r)).collect();
    let ex = extract::greedy(&eg, &roots, profile)?;
    stats.cost_after = ex.cost;
    stats.repaired = ex.repaired;
    let new = to_ir::export(g, &eg, &ex.choice, &roots, &names, &const_names)?;
    ir::verify::verify(&new).map_err(EgraphError::Verify)?;
    stats.extract_time = t1.elapsed();
    stats.nodes_after = new.node_count();
    *g = new;
    stats.total_time = t0.elapsed();
    Ok(stats)
}
