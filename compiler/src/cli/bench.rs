//! `edgec bench`: compiles a model (or one generated kernel) for a device, runs it after warm-up
//! and reports its latency and per-kernel times and rates; optionally writes them as JSON,
//! checks them against a baseline, and times ONNX Runtime on the same model and inputs.
//! JSON schema and method: docs/bench.md.

pub mod baseline;
pub mod inputs;
pub mod kernel;
pub mod ort;
pub mod report;

use crate::onnx::{load_model, ImportOptions};
use clap::ValueEnum;
use ir::{Graph, Tensor};
use report::{OrtTiming, Report, Subject, Target};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompareWith {
    /// ONNX Runtime (the onnxruntime Python package of the project venv, one thread).
    Ort,
    /// The same model compiled without the e-graph optimizer (`--disable-pass egraph`: no
    /// fusion), timed in the same run on the same inputs.
    Unfused,
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// The ONNX model file (omit it with --kernel).
    pub model: Option<PathBuf>,
    /// Device profile: a name from `edgec targets`, `host`, or a .toml file. Other ISAs run
    /// under qemu-user, whose times say nothing about the device.
    #[arg(long, default_value = "host")]
    pub target: String,
    /// Threads the generated code may use (only 1: the code is single-threaded for now).
    #[arg(long, default_value_t = 1)]
    pub threads: u32,
    /// Timed iterations (of each build: plain and instrumented).
    #[arg(long, default_value_t = 30)]
    pub iters: usize,
    /// Untimed iterations before the timed ones.
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// Write the results as JSON (schema in docs/bench.md).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Benchmark one generated kernel instead of a model: matmul, conv, or an elementwise op
    /// (add sub mul div max min relu sigmoid tanh exp erf abs neg sqrt).
    #[arg(long, value_name = "OP", conflicts_with_all = ["model", "test_data", "input_shape"])]
    pub kernel: Option<String>,
    /// The kernel's shape: matmul MxKxN (A is MxK, B is KxN); conv
    /// NxCxHxW,COUTxKHxKW[,s=S][,p=P][,g=G]; elementwise the tensor's dims (1x1024x1024).
    #[arg(long, value_name = "SPEC", requires = "kernel")]
    pub shape: Option<String>,
    /// An earlier --json report: exit with code 1 when an entry's ratio to the reference grew
    /// by more than --max-regression.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Largest allowed slow-down against --baseline, in percent [default: 10%].
    #[arg(long, value_name = "PERCENT", requires = "baseline")]
    pub max_regression: Option<String>,
    /// Also time a peer on the same model and inputs and print the ratios (repeatable:
    /// `--compare ort --compare unfused`).
    #[arg(long, value_enum)]
    pub compare: Vec<CompareWith>,
    /// Feed DIR/input_N.pb (ONNX test data) instead of random inputs.
    #[arg(long, value_name = "DIR")]
    pub test_data: Option<PathBuf>,
    /// Fix an input's shape, as NAME=1x3x224x224 (repeatable); needed for dynamic dims.
    #[arg(long = "input-shape", value_name = "NAME=DIMS")]
    pub input_shape: Vec<String>,
    /// Seed of the random inputs (and of a kernel benchmark's constants).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The optimizer runs before code generation, as in `edgec compile` (`--disable-pass egraph`
    /// measures the model without fusion).
    #[command(flatten)]
    pub opt: super::optimize::OptArgs,
}

/// Check the flags that need no model; returns the max regression as a fraction.
pub fn check_args(a: &BenchArgs) -> Result<f64, String> {
    if a.threads != 1 {
        return Err(format!(
            "--threads {}: multi-threaded execution is not implemented yet; the generated code runs on one thread (use --threads 1)",
            a.threads
        ));
    }
    if a.iters == 0 {
        return Err("--iters 0: need at least one timed iteration".into());
    }
    match (&a.model, &a.kernel, &a.shape) {
        (None, None, _) => return Err("give a MODEL to benchmark, or --kernel OP --shape SPEC".into()),
        (None, Some(_), None) => {
            return Err(format!(
                "--kernel needs --shape (matmul MxKxN, conv NxCxHxW,COUTxKHxKW, elementwise dims); kernels: {}",
                kernel::KERNELS
            ))
        }
        _ => {}
    }
    if a.kernel.is_some() && !a.compare.is_empty() {
        return Err("--compare needs a MODEL (ONNX Runtime runs ONNX files; a single kernel has nothing to fuse)".into());
    }
    if a.compare.contains(&CompareWith::Unfused) && a.opt.disable_pass.iter().any(|p| p == "egraph") {
        return Err("--compare unfused with --disable-pass egraph would compare the unfused build with itself".into());
    }
    baseline::parse_max_regression(a.max_regression.as_deref().unwrap_or("10%"))
}

fn read_baseline(p: &Path) -> Result<Report, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("--baseline {}: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("--baseline {}: not an edgec bench report: {e}", p.display()))
}

/// What is benchmarked: the graph, its name, inputs in graph order and where they came from.
struct Job {
    graph: Graph,
    name: String,
    subject: Subject,
    inputs: Vec<Tensor>,
    inputs_from: String,
    /// Reference outputs of --test-data, by name.
    expected: Vec<(String, Tensor)>,
    /// With --compare unfused: the model optimized without the e-graph pass.
    unfused: Option<Graph>,
}

fn model_job(a: &BenchArgs, model: &Path) -> Result<Job, String> {
    let mut opts = ImportOptions::default();
    super::compile::parse_input_shapes(&a.input_shape, &mut opts)?;
    let mut test = None;
    if let Some(dir) = &a.test_data {
        let names: Vec<String> =
            crate::onnx::inspect_model(model).map_err(|e| e.to_string())?.inputs.into_iter().map(|v| v.name).collect();
        let td = inputs::read_test_data(dir, &names)?;
        for (n, t) in &td.inputs {
            opts.input_shapes.insert(n.clone(), t.shape().to_vec());
        }
        test = Some(td);
    }
    let mut graph = load_model(model, &opts).map_err(|e| e.to_string())?.graph;
    let profile = targets::Profile::resolve(&a.target).map_err(|e| e.to_string())?;
    let unfused = match a.compare.contains(&CompareWith::Unfused) {
        true => {
            let mut g = graph.clone();
            let mut o = a.opt.clone();
            o.disable_pass.push("egraph".into());
            o.verbose = false;
            o.print_after.clear();
            o.print_before.clear();
            super::optimize::optimize(&mut g, &profile, &o)?;
            Some(g)
        }
        false => None,
    };
    super::optimize::optimize(&mut graph, &profile, &a.opt)?;
    let (ins, from, expected) = match test {
        Some(td) => (
            inputs::in_graph_order(&graph, &td.inputs)?,
            format!("test data {}", a.test_data.as_ref().unwrap().display()),
            td.outputs,
        ),
        None => (inputs::random_inputs(&graph, a.seed)?, format!("random (seed {})", a.seed), vec![]),
    };
    let name = crate::native::default_name(model);
    Ok(Job {
        subject: Subject {
            kind: "model".into(),
            name: name.clone(),
            path: Some(model.display().to_string()),
            kernel: None,
            shape: None,
        },
        graph,
        name,
        inputs: ins,
        inputs_from: from,
        expected,
        unfused,
    })
}

fn kernel_job(a: &BenchArgs, k: &str, shape: &str) -> Result<Job, String> {
    let graph = kernel::graph(k, shape, a.seed)?;
    let ins = inputs::random_inputs(&graph, a.seed)?;
    let name = kernel::bench_name(k, shape);
    Ok(Job {
        subject: Subject {
            kind: "kernel".into(),
            name: name.clone(),
            path: None,
            kernel: Some(k.into()),
            shape: Some(shape.into()),
        },
        graph,
        name,
        inputs: ins,
        inputs_from: format!("random (seed {})", a.seed),
        expected: vec![],
        unfused: None,
    })
}

/// Largest |a − b| over the outputs both have (matched by name), and how many were compared.
/// NaN against NaN counts as equal, NaN against a number as an infinite difference.
fn max_abs_diff(ours: &[(String, Tensor)], theirs: &[(String, Tensor)]) -> Result<(f64, usize), String> {
    let mut worst = 0.0f64;
    let mut n = 0;
    for (name, t) in ours {
        let Some((_, o)) = theirs.iter().find(|(m, _)| m == name) else { continue };
        if t.shape() != o.shape() {
            return Err(format!("output `{name}`: shape {:?} here but {:?} in the reference", t.shape(), o.shape()));
        }
        for (p, q) in t.to_f64_vec().into_iter().zip(o.to_f64_vec()) {
            let d = match (p.is_nan(), q.is_nan()) {
                (true, true) => 0.0,
                (false, false) if p == q => 0.0,
                (false, false) => (p - q).abs(),
                _ => f64::INFINITY,
            };
            worst = worst.max(d);
        }
        n += 1;
    }
    Ok((worst, n))
}

pub fn bench(a: &BenchArgs) -> Result<ExitCode, String> {
    let max_regression = check_args(a)?;
    let base = a.baseline.as_deref().map(read_baseline).transpose()?;
    let job = match (&a.model, &a.kernel, &a.shape) {
        (Some(m), _, _) => model_job(a, m)?,
        (None, Some(k), Some(s)) => kernel_job(a, k, s)?,
        _ => return Err("give a MODEL to benchmark, or --kernel OP --shape SPEC".into()),
    };
    let profile = targets::Profile::resolve(&a.target).map_err(|e| e.to_string())?;
    let t0 = std::time::Instant::now();
    let build = crate::native::bench::compile(&job.graph, &profile, &job.name)?;
    let linked = crate::native::bench::link(&build, &profile)?;
    if linked.emulated() {
        eprintln!(
            "warning: {} runs under qemu-user here: the times measure the emulator, not the device",
            profile.name
        );
    }
    eprintln!("compiled and linked both builds in {:.2}s; running…", t0.elapsed().as_secs_f64());
    let (outs, samples) = linked.run(&job.inputs, a.iters, a.warmup)?;
    let m = &build.plain.manifest;
    let ours: Vec<(String, Tensor)> = m.outputs.iter().map(|o| o.name.clone()).zip(outs).collect();
    let mut measured = report::measure(&samples, &build.profiled.manifest.kernels);
    // The manifest says `unary`/`binary`; the report names the op (`unary.relu`).
    for k in &mut measured.kernels {
        if let Some(id) = job.graph.find_node(&k.node) {
            k.op = ir::text::op_name(&job.graph.node(id).op);
        }
    }

    let named: Vec<(String, Tensor)> =
        job.graph.inputs().iter().map(|&id| job.graph.node(id).name.clone()).zip(job.inputs.iter().cloned()).collect();
    let mut unfused = None;
    if let Some(g) = &job.unfused {
        let b = crate::native::bench::compile(g, &profile, &job.name)?;
        let l = crate::native::bench::link(&b, &profile)?;
        let (outs, samples) = l.run(&inputs::in_graph_order(g, &named)?, a.iters, a.warmup)?;
        let theirs: Vec<(String, Tensor)> = b.plain.manifest.outputs.iter().map(|o| o.name.clone()).zip(outs).collect();
        let (diff, _) = max_abs_diff(&ours, &theirs)?;
        let lat = report::measure(&samples, &b.profiled.manifest.kernels).latency;
        unfused = Some(report::UnfusedTiming {
            kernels: b.plain.manifest.kernels.len(),
            speedup: lat.median_s / measured.latency.median_s,
            latency: lat,
            max_abs_diff: diff,
        });
    }

    let mut ort_timing = None;
    if a.compare.contains(&CompareWith::Ort) {
        let model = a.model.as_deref().ok_or("--compare ort needs a MODEL")?;
        let r = ort::run(model, &named, a.iters, a.warmup)?;
        let (diff, n) = max_abs_diff(&ours, &r.outputs)?;
        let med = report::median(&r.times);
        eprintln!("onnxruntime: {}", r.python.display());
        ort_timing = Some(OrtTiming {
            version: r.version,
            threads: r.threads,
            median_s: med,
            min_s: r.times.iter().copied().fold(f64::INFINITY, f64::min),
            max_s: r.times.iter().copied().fold(0.0, f64::max),
            mean_s: r.times.iter().sum::<f64>() / r.times.len().max(1) as f64,
            edgec_over_ort: measured.latency.median_s / med,
            max_abs_diff: diff,
            outputs_compared: n,
        });
    }

    let rep = Report {
        schema: report::SCHEMA,
        edgec_version: env!("CARGO_PKG_VERSION").into(),
        subject: job.subject,
        target: Target {
            name: profile.name.clone(),
            triple: m.target.triple.clone(),
            cpu: m.target.cpu.clone(),
            emulated: linked.emulated(),
        },
        threads: a.threads,
        iters: a.iters,
        warmup: a.warmup,
        inputs: job.inputs_from,
        reference: measured.reference,
        latency: measured.latency,
        profiled_latency: measured.profiled_latency,
        kernels: measured.kernels,
        other_s: measured.other_s,
        hook_s: measured.hook_s,
        ort: ort_timing,
        unfused,
    };
    print!("{}", report::text(&rep));
    if !job.expected.is_empty() {
        let (diff, n) = max_abs_diff(&ours, &job.expected)?;
        println!("test data: max |edgec - expected| over {n} output(s): {diff:.3e}");
    }
    if let Some(p) = &a.json {
        let text = serde_json::to_string_pretty(&rep).map_err(|e| e.to_string())?;
        std::fs::write(p, text + "\n").map_err(|e| format!("--json {}: {e}", p.display()))?;
        eprintln!("wrote {}", p.display());
    }
    if let Some(old) = &base {
        let c = baseline::compare(old, &rep, max_regression)?;
        print!("{}", c.text(max_regression));
        if !c.regressions().is_empty() {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}
