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
mod ilp;
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
pub use ilp::IlpReport;
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

/// Whether `name` names a rule or a theme (for `EgraphOptions::disabled`); the error lists the
/// themes and says where the rule names are.
pub fn check_rule_name(name: &str) -> Result<(), String> {
    let all = rules::rules().map_err(|e| e.to_string())?;
    if all.iter().any(|r| r.name == name || r.theme == name) {
        return Ok(());
    }
    let mut themes: Vec<&str> = all.iter().map(|r| r.theme.as_str()).collect();
    themes.sort();
    themes.dedup();
    Err(format!(
        "no rule or theme `{name}` (themes: {}; rule names are in passes/rules/*.rules)",
        themes.join(", ")
    ))
}

/// The enabled rules whose theme passes `keep`.
fn select(opts: &EgraphOptions, keep: impl Fn(&rules::RuleDef) -> bool) -> Result<Vec<Rewrite<TNode, TensorAnalysis>>, EgraphError> {
    let mut out = Vec::new();
    for r in rules::rules()? {
        if keep(r) && !opts.disabled.iter().any(|d| *d == r.name || *d == r.theme) {
            out.push(r.rewrite()?);
        }
    }
    Ok(out)
}

/// One stage: import `g`, saturate with each rule set in turn (on the same e-graph), extract,
/// and return the new graph.
fn stage(
    g: &ir::Graph,
    profile: &Profile,
    opts: &EgraphOptions,
    phases: &[&[Rewrite<TNode, TensorAnalysis>]],
    stats: &mut EgraphStats,
) -> Result<ir::Graph, EgraphError> {
    let t0 = Instant::now();
    let from_ir::Imported { egraph, roots, names, const_names } = from_ir::import(g)?;
    let mut eg = egraph;
    for rules in phases {
        let left = opts.time_limit.saturating_sub(stats.saturate_time + t0.elapsed());
        let runner: Runner<TNode, TensorAnalysis> = Runner::new(TensorAnalysis::default())
            .with_egraph(eg)
            .with_node_limit(opts.node_limit)
            .with_iter_limit(opts.iter_limit)
            .with_time_limit(left)
            .with_scheduler(BackoffScheduler::default().with_initial_match_limit(20_000))
            .run(rules.iter());
        stats.iterations += runner.iterations.len();
        for it in &runner.iterations {
            for (rule, n) in &it.applied {
                *stats.applied.entry(rule.to_string()).or_default() += n;
            }
        }
        stats.stop_reasons.push(stop_reason(&runner.stop_reason));
        eg = runner.egraph;
    }
    stats.enodes = stats.enodes.max(eg.total_number_of_nodes());
    stats.eclasses = stats.eclasses.max(eg.number_of_classes());
    stats.rejected += eg.analysis.rejected;
    stats.saturate_time += t0.elapsed();

    let t1 = Instant::now();
    let roots: Vec<_> = roots.iter().map(|&r| eg.find(r)).collect();
    let ex = extract::extract(&eg, &roots, profile, opts.extractor, opts.ilp_time_limit)?;
    stats.cost_after = ex.cost;
    stats.improved += ex.improved;
    stats.ilp.extend(ex.ilp);
    let new = to_ir::export(g, &eg, &ex.choice, &roots, &names, &const_names)?;
    ir::verify::verify(&new).map_err(EgraphError::Verify)?;
    stats.extract_time += t1.elapsed();
    Ok(new)
}

/// Optimize `g` for `profile`: saturate with the rules, extract the cheapest equivalent graph
/// and replace `g` with it. On error `g` is left unchanged.
///
/// Two stages, each on a fresh e-graph of the previous stage's result: first the algebra and
/// recognition themes; then algebra alone (so every value's sharing is known), then algebra
/// and fusion. Rebuilding between the stages drops the alternatives the first extraction
/// rejected (a recognised GELU's decomposed form), so fusion sees only the graph as it will
/// run.
pub fn optimize(g: &mut ir::Graph, profile: &Profile, opts: &EgraphOptions) -> Result<EgraphStats, EgraphError> {
    let t0 = Instant::now();
    let always = |r: &rules::RuleDef| rules::ALWAYS_THEMES.contains(&r.theme.as_str());
    let recognise = select(opts, |r| !r.is_fusion())?;
    let algebra = select(opts, always)?;
    let fuse = select(opts, |r| r.is_fusion() || always(r))?;
    let mut stats = EgraphStats { nodes_before: g.node_count(), ..Default::default() };
    let initial = from_ir::import(g)?;
    stats.cost_before = extract::greedy(&initial.egraph, &initial.roots, profile)?.cost;
    let mid = stage(g, profile, opts, &[&recognise], &mut stats)?;
    let last = stage(&mid, profile, opts, &[&algebra, &fuse], &mut stats)?;
    stats.nodes_after = last.node_count();
    *g = last;
    stats.total_time = t0.elapsed();
    Ok(stats)
}
