//! The pass manager: runs a pipeline on a graph, verifying between passes (debug builds, or
//! when asked), timing each pass, counting nodes before/after, dumping the IR before/after
//! chosen passes, and skipping disabled passes.

use crate::pass::Pass;
use crate::{registry, PassContext, PassError, PassStats};
use ir::text::PrintOptions;
use ir::Graph;
use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, Instant};

/// Whether a dump was taken before or after its pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Before,
    After,
}

/// The IR text around one pass.
#[derive(Clone, Debug)]
pub struct IrDump {
    pub when: When,
    pub pass: &'static str,
    /// Position of the pass in the pipeline (0-based).
    pub index: usize,
    pub text: String,
}

impl IrDump {
    /// `// ----- IR after cse (3/4) -----`: the header line printed above the text.
    pub fn header(&self, total: usize) -> String {
        let when = match self.when {
            When::Before => "before",
            When::After => "after",
        };
        format!("// ----- IR {when} {} ({}/{total}) -----", self.pass, self.index + 1)
    }
}

/// What one pass did.
#[derive(Clone, Debug)]
pub struct PassRecord {
    pub name: &'static str,
    /// False when the pass was disabled (then the other fields are zero/equal).
    pub ran: bool,
    /// Time inside the pass (the verifier excluded).
    pub time: Duration,
    pub nodes_before: usize,
    pub nodes_after: usize,
    pub stats: PassStats,
}

/// What a pipeline run did.
#[derive(Clone, Debug, Default)]
pub struct PipelineReport {
    pub records: Vec<PassRecord>,
    /// Dumps, when no dump callback was set.
    pub dumps: Vec<IrDump>,
    /// Time inside passes.
    pub pass_time: Duration,
    /// Time spent verifying (zero when not verifying).
    pub verify_time: Duration,
    pub nodes_before: usize,
    pub nodes_after: usize,
}

impl fmt::Display for PipelineReport {
    /// One line per pass (time, nodes before → after, counters) and a total line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.records.iter().map(|r| r.name.len()).max().unwrap_or(0);
        for r in &self.records {
            if r.ran {
                writeln!(
                    f,
                    "  {:<width$}  {:>9.3} ms  {:>6} → {:<6} nodes  {}",
                    r.name,
                    r.time.as_secs_f64() * 1e3,
                    r.nodes_before,
                    r.nodes_after,
                    r.stats
                )?;
                for line in r.stats.details() {
                    writeln!(f, "      {line}")?;
                }
            } else {
                writeln!(f, "  {:<width$}  disabled", r.name)?;
            }
        }
        let ran = self.records.iter().filter(|r| r.ran).count();
        write!(
            f,
            "optimizer: {ran} passes, {} → {} nodes in {:.3} ms",
            self.nodes_before,
            self.nodes_after,
            self.pass_time.as_secs_f64() * 1e3
        )?;
        if !self.verify_time.is_zero() {
            write!(f, " (+ {:.3} ms verifying)", self.verify_time.as_secs_f64() * 1e3)?;
        }
        Ok(())
    }
}

/// Which passes to dump around.
#[derive(Clone, Debug, Default)]
enum Selection {
    #[default]
    Nothing,
    All,
    Names(BTreeSet<&'static str>),
}

impl Selection {
    fn add(&mut self, name: &str) -> Result<(), PassError> {
        if name == "all" {
            *self = Selection::All;
            return Ok(());
        }
        let p = registry::lookup(name)?;
        match self {
            Selection::All => {}
            Selection::Nothing => *self = Selection::Names(BTreeSet::from([p.name()])),
            Selection::Names(s) => {
                s.insert(p.name());
            }
        }
        Ok(())
    }

    fn has(&self, name: &str) -> bool {
        match self {
            Selection::Nothing => false,
            Selection::All => true,
            Selection::Names(s) => s.contains(name),
        }
    }
}

type DumpFn<'a> = Box<dyn FnMut(&IrDump) + 'a>;

/// Runs a pipeline; configure, then `run`.
pub struct PassManager<'a> {
    passes: Vec<&'static dyn Pass>,
    disabled: BTreeSet<&'static str>,
    verify_each: bool,
    before: Selection,
    after: Selection,
    print_options: PrintOptions,
    on_dump: Option<DumpFn<'a>>,
}

impl<'a> PassManager<'a> {
    /// A manager for `passes` (see `pipeline::default_pipeline`). Verifies between passes in
    /// debug builds; dumps nothing; constants above 16 elements are elided in dumps.
    pub fn new(passes: Vec<&'static dyn Pass>) -> Self {
        PassManager {
            passes,
            disabled: BTreeSet::new(),
            verify_each: cfg!(debug_assertions),
            before: Selection::Nothing,
            after: Selection::Nothing,
            print_options: PrintOptions { elide_above: Some(16) },
            on_dump: None,
        }
    }

    /// Verify the graph before the first pass and after every pass also in release builds.
    pub fn verify_each(mut self, on: bool) -> Self {
        self.verify_each = on || cfg!(debug_assertions);
        self
    }

    /// Skip the pass called `name` (which must be a registered pass).
    pub fn disable(&mut self, name: &str) -> Result<(), PassError> {
        self.disabled.insert(registry::lookup(name)?.name());
        Ok(())
    }

    /// Dump the IR before pass `name` (`all`: before every pass).
    pub fn print_before(&mut self, name: &str) -> Result<(), PassError> {
        self.before.add(name)
    }

    /// Dump the IR after pass `name` (`all`: after every pass).
    pub fn print_after(&mut self, name: &str) -> Result<(), PassError> {
        self.after.add(name)
    }

    /// How dumps print constants (default: elide above 16 elements; `None` gives parseable text).
    pub fn print_options(&mut self, opts: PrintOptions) {
        self.print_options = opts;
    }

    /// Hand each dump to `f` as it is taken (e.g. print it), instead of collecting them in the
    /// report; dumps taken before a failing pass are then not lost.
    pub fn on_dump(&mut self, f: impl FnMut(&IrDump) + 'a) {
        self.on_dump = Some(Box::new(f));
    }

    /// The passes of the pipeline, in order.
    pub fn passes(&self) -> &[&'static dyn Pass] {
        &self.passes
    }

    fn dump(&mut self, report: &mut PipelineReport, g: &Graph, when: When, index: usize, pass: &'static str) {
        let d = IrDump { when, pass, index, text: ir::text::print(g, self.print_options) };
        match &mut self.on_dump {
            Some(f) => f(&d),
            None => report.dumps.push(d),
        }
    }

    /// Run the pipeline on `g`.
    pub fn run(&mut self, g: &mut Graph, cx: &PassContext) -> Result<PipelineReport, PassError> {
        let mut report = PipelineReport { nodes_before: g.node_count(), ..Default::default() };
        if self.verify_each {
            let t = Instant::now();
            ir::verify::verify(g).map_err(PassError::InvalidInput)?;
            report.verify_time += t.elapsed();
        }
        let passes = self.passes.clone();
        for (index, pass) in passes.into_iter().enumerate() {
            let name = pass.name();
            let nodes_before = g.node_count();
            if self.disabled.contains(name) {
                report.records.push(PassRecord {
                    name,
                    ran: false,
                    time: Duration::ZERO,
                    nodes_before,
                    nodes_after: nodes_before,
                    stats: PassStats::new(),
                });
                continue;
            }
            if self.before.has(name) {
                self.dump(&mut report, g, When::Before, index, name);
            }
            let t = Instant::now();
            let stats = pass.run(g, cx)?;
            let time = t.elapsed();
            report.pass_time += time;
            if self.verify_each {
                let t = Instant::now();
                ir::verify::verify(g).map_err(|source| PassError::Verify { pass: name.to_string(), source })?;
                report.verify_time += t.elapsed();
            }
            if self.after.has(name) {
                self.dump(&mut report, g, When::After, index, name);
            }
            report.records.push(PassRecord { name, ran: true, time, nodes_before, nodes_after: g.node_count(), stats });
        }
        report.nodes_after = g.node_count();
        Ok(report)
    }
}
