//! The optimizer step of the driver (between import and codegen): the flags shared by
//! `edgec compile` and `edgec run --target` (`--print-before/--print-after/--disable-pass/-v`),
//! `edgec compile --list-passes`, and `edgec inspect --optimized`.
//!
//! IR dumps go to stderr, each under a header line `// ----- IR after cse (3/4) -----`, with
//! constants above 16 elements elided (`dense<...>`); stdout keeps the command's own output.

use crate::onnx::{load_model, ImportOptions};
use ir::Graph;
use passes::{PassContext, PassManager, PassOptions, PipelineReport};
use std::path::Path;
use targets::Profile;

#[derive(clap::Args, Debug, Clone, Default, PartialEq)]
pub struct OptArgs {
    /// Print the IR to stderr before this optimizer pass (repeatable; `all`: every pass).
    #[arg(long = "print-before", value_name = "PASS")]
    pub print_before: Vec<String>,
    /// Print the IR to stderr after this optimizer pass (repeatable; `all`: every pass).
    #[arg(long = "print-after", value_name = "PASS")]
    pub print_after: Vec<String>,
    /// Skip this pass of the default optimizer pipeline (repeatable; see `edgec compile --list-passes`).
    #[arg(long = "disable-pass", value_name = "PASS")]
    pub disable_pass: Vec<String>,
    /// Print each optimizer pass's time and node counts before/after, and the total (stderr).
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// How the e-graph optimizer picks the graph: `greedy` (default: egg's extractor by
    /// roofline cost, then hill climbing on the DAG cost) or `ilp` (the DAG-cost optimum by an
    /// integer program, microlp, warm-started from greedy; slower).
    #[arg(long, value_enum, default_value = "greedy")]
    pub extractor: Extractor,
    /// E-graph growth limit: e-nodes per saturation stage (default 100000).
    #[arg(long = "egraph-node-limit", value_name = "N")]
    pub egraph_node_limit: Option<usize>,
    /// E-graph iteration limit per saturation stage (default 30).
    #[arg(long = "egraph-iter-limit", value_name = "N")]
    pub egraph_iter_limit: Option<usize>,
    /// Wall-clock budget of equality saturation in seconds (default 10).
    #[arg(long = "egraph-time-limit", value_name = "SECONDS")]
    pub egraph_time_limit: Option<f64>,
    /// Leave out an e-graph rule (by name) or a whole theme (`algebra`, `activations`, `norms`,
    /// `attention`, `fusion`); repeatable.
    #[arg(long = "disable-rule", value_name = "RULE")]
    pub disable_rule: Vec<String>,
}

/// `--extractor`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Extractor {
    #[default]
    Greedy,
    Ilp,
}

impl OptArgs {
    /// The pass options these flags ask for.
    pub fn pass_options(&self) -> Result<PassOptions, String> {
        let mut o = PassOptions { verbosity: self.verbose as u8, ..Default::default() };
        let e = &mut o.egraph;
        e.extractor = match self.extractor {
            Extractor::Greedy => passes::egraph::ExtractorKind::Greedy,
            Extractor::Ilp => passes::egraph::ExtractorKind::Ilp,
        };
        if let Some(n) = self.egraph_node_limit {
            e.node_limit = n;
        }
        if let Some(n) = self.egraph_iter_limit {
            e.iter_limit = n;
        }
        if let Some(t) = self.egraph_time_limit {
            if !(t.is_finite() && t > 0.0 && t <= 3600.0) {
                return Err(format!("--egraph-time-limit: {t} is not a number of seconds in (0, 3600]"));
            }
            e.time_limit = std::time::Duration::from_secs_f64(t);
        }
        for r in &self.disable_rule {
            passes::egraph::check_rule_name(r).map_err(|e| format!("--disable-rule: {e}"))?;
            e.disabled.push(r.clone());
        }
        Ok(o)
    }
}

impl OptArgs {
    /// Whether any optimizer flag was given (they only apply where the optimizer runs): the
    /// flags differ from their defaults (clap's defaults are the `Default` values).
    pub fn any(&self) -> bool {
        *self != OptArgs::default()
    }
}

/// `--list-passes`: every pass, sorted by name, with its description; then the default pipeline.
pub fn list_passes() -> String {
    let all = passes::registry();
    let width = all.iter().map(|p| p.name().len()).max().unwrap_or(0);
    let mut s = String::new();
    for p in &all {
        s.push_str(&format!("{:<width$}  {}\n", p.name(), p.description()));
    }
    let default: Vec<&str> = passes::default_pipeline().iter().map(|p| p.name()).collect();
    s.push_str(&format!("\ndefault pipeline: {}\n", default.join(", ")));
    s
}

/// Run the default pipeline on `g` for `profile`, as the flags say.
pub fn optimize(g: &mut Graph, profile: &Profile, a: &OptArgs) -> Result<PipelineReport, String> {
    let mut pm = PassManager::new(passes::default_pipeline());
    for n in &a.disable_pass {
        pm.disable(n).map_err(|e| format!("--disable-pass: {e}"))?;
    }
    for n in &a.print_before {
        pm.print_before(n).map_err(|e| format!("--print-before: {e}"))?;
    }
    for n in &a.print_after {
        pm.print_after(n).map_err(|e| format!("--print-after: {e}"))?;
    }
    let total = pm.passes().len();
    pm.on_dump(move |d| eprintln!("{}\n{}", d.header(total), d.text));
    let cx = PassContext::with_options(profile, a.pass_options()?);
    let report = pm.run(g, &cx).map_err(|e| format!("optimizer: {e} (`--disable-pass NAME` skips a pass)"))?;
    if a.verbose {
        eprintln!("{report}");
    }
    Ok(report)
}

/// `edgec inspect MODEL --optimized --target T`: the op histogram before and after the default
/// pipeline, the ops inside every fused node, and the composite ops (attention, norms, GELU,
/// SiLU) recognized from their decomposed forms.
pub fn inspect_optimized(model: &Path, target: &str) -> Result<(), String> {
    let profile = Profile::resolve(target).map_err(|e| e.to_string())?;
    let mut g = load_model(model, &ImportOptions::default()).map_err(|e| e.to_string())?.graph;
    let before = passes::summary::op_histogram(&g);
    let report = optimize(&mut g, &profile, &OptArgs::default())?;
    let after = passes::summary::op_histogram(&g);
    let names: Vec<&str> = report.records.iter().map(|r| r.name).collect();
    println!(
        "\noptimized for {} ({}): {} → {} nodes in {:.1} ms",
        profile.name,
        names.join(", "),
        report.nodes_before,
        report.nodes_after,
        report.pass_time.as_secs_f64() * 1e3
    );
    let mut ops: Vec<&String> = before.keys().chain(after.keys()).collect();
    ops.sort();
    ops.dedup();
    let width = ops.iter().map(|o| o.len()).max().unwrap_or(0).max(2);
    println!("  {:<width$}  {:>6}  {:>6}", "op", "before", "after");
    for op in ops {
        let (b, a) = (before.get(op).copied().unwrap_or(0), after.get(op).copied().unwrap_or(0));
        println!("  {op:<width$}  {b:>6}  {a:>6}{}", if a != b { "  *" } else { "" });
    }
    let fused = passes::summary::fused_nodes(&g);
    if fused.is_empty() {
        println!("fused: none");
    } else {
        println!("fused: {} nodes", fused.len());
        for f in fused {
            println!("  {} ({}): {}", f.node, f.op, f.inner.join(" → "));
        }
    }
    let composite = passes::summary::composite_nodes(&g);
    if composite.is_empty() {
        println!("composite ops: none");
    } else {
        println!("composite ops: {} (recognized from decomposed forms, or imported as such)", composite.len());
        for c in composite {
            println!("  {} ({}): {}", c.node, c.op, c.detail);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::OptArgs;
    use clap::Parser;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        opt: OptArgs,
    }

    #[test]
    fn no_flags_is_the_default_and_any_flag_counts() {
        assert!(!Cmd::parse_from(["x"]).opt.any());
        for flags in [&["--extractor", "ilp"][..], &["-v"], &["--disable-rule", "fusion"], &["--egraph-iter-limit", "3"]] {
            let mut args = vec!["x"];
            args.extend_from_slice(flags);
            assert!(Cmd::parse_from(args).opt.any(), "{flags:?}");
        }
    }
}
