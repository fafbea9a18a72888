//! `onnx-conformance`: runs the ONNX node test suite through edgec and checks it against the
//! committed expectation list.

use clap::{Parser, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use testsuite::conformance::{self, Backend};

#[derive(Copy, Clone, Debug, ValueEnum)]
enum BackendArg {
    /// The reference interpreter.
    Interp,
    /// Compile each case for --target (in-process codegen), link with the C harness, run
    /// natively or under qemu-user.
    Compiled,
}

/// Run the ONNX backend node tests (onnx 1.22.0 wheel: onnx/backend/test/data/node) through
/// edgec. Each case ends as pass, fail (numerics), unsupported, or error (compiled backend: MLIR/
/// LLVM/link failures and crashes, i.e. bugs). Exit code 1 when a case listed in
/// testsuite/conformance/expected-pass-<backend>.txt (compiled: expected-pass-compiled-<target>.txt)
/// no longer passes, 2 on bad arguments or missing data.
///
/// The compiled backend specialises a case on its small integer inputs (i32/i64, at most 64
/// elements: Reshape shapes, Slice starts, TopK's k…) when the graph is not fully static or
/// codegen reports it unsupported; see testsuite/src/conformance.rs. With the compiled backend,
/// --bless also writes testsuite/conformance/compiled-exceptions-<target>.md: the cases the
/// interpreter passes and this backend does not, grouped by op.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Folder of test cases (default: the project venv's onnx wheel, as set up by scripts/setup.sh,
    /// or $EDGEC_ONNX_NODE_TESTS).
    dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "interp")]
    backend: BackendArg,
    /// Device profile for --backend compiled (host, cortex-a76, rv64gcv, … or a .toml file;
    /// default: host).
    #[arg(long)]
    target: Option<String>,
    /// Write the JSON summary here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Only run cases whose name contains one of these substrings (repeatable).
    #[arg(long)]
    filter: Vec<String>,
    /// Worker threads (default: available cores).
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Print every non-passing case with its reason.
    #[arg(long, short)]
    verbose: bool,
    /// Rewrite the expectation list from this run (full runs only).
    #[arg(long)]
    bless: bool,
    /// Do not compare with the expectation list.
    #[arg(long)]
    no_check: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let backend = match args.backend {
        BackendArg::Interp if args.target.is_some() => {
            eprintln!("error: --target needs --backend compiled");
            return ExitCode::from(2);
        }
        BackendArg::Interp => Backend::Interp,
        BackendArg::Compiled => {
            let target = args.target.clone().unwrap_or_else(|| "host".into());
            if let Err(e) = testsuite::native::toolchain_available(&target) {
                eprintln!("error: target {target}: {e}");
                return ExitCode::from(2);
            }
            Backend::Compiled(target)
        }
    };
    let Some(dir) = args.dir.clone().or_else(conformance::default_data_dir) else {
        eprintln!("error: no test data: run scripts/setup.sh (installs onnx==1.22.0 into .venv) or pass DIR");
        return ExitCode::from(2);
    };
    let cases = match conformance::list_cases(&dir, &args.filter) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    eprintln!("running {} cases from {} with backend {} on {jobs} threads", cases.len(), dir.display(), backend.label());
    let t0 = std::time::Instant::now();
    let summary = conformance::run_suite(&cases, &backend, jobs, true);
    if args.verbose {
        for (name, o) in &summary.cases {
            if let Some(r) = o.reason() {
                println!("{:<12} {name}: {r}", o.label());
            }
        }
    }
    println!(
        "{} passed, {} failed, {} unsupported, {} errors ({} cases, {:.1}s)",
        summary.count("pass"),
        summary.count("fail"),
        summary.count("unsupported"),
        summary.count("error"),
        summary.cases.len(),
        t0.elapsed().as_secs_f64()
    );
    if let Some(p) = &args.json {
        let s = serde_json::to_string_pretty(&summary.to_json(&backend)).expect("json");
        if let Err(e) = std::fs::write(p, s) {
            eprintln!("error: {}: {e}", p.display());
            return ExitCode::from(2);
        }
    }
    let list = conformance::expected_list_path(&backend);
    if args.bless {
        if !args.filter.is_empty() {
            eprintln!("error: --bless needs a full run (no --filter)");
            return ExitCode::from(2);
        }
        if let Err(e) = conformance::write_expected(&list, &summary.passed_names(), &backend) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        println!("wrote {} ({} cases)", list.display(), summary.count("pass"));
        if let Backend::Compiled(target) = &backend {
            // The documented exceptions: what the interpreter passes and this backend does not.
            let interp = match conformance::read_expected(&conformance::expected_list_path(&Backend::Interp)) {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let path = testsuite::exceptions::exceptions_path(target);
            let md = testsuite::exceptions::render(&summary, &interp, target, &dir);
            if let Err(e) = std::fs::write(&path, md) {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
            let n = interp.iter().filter(|c| summary.cases.get(*c).is_some_and(|o| o.label() != "pass")).count();
            println!("wrote {} ({n} exceptions)", path.display());
        }
        return ExitCode::SUCCESS;
    }
    if args.no_check {
        return ExitCode::SUCCESS;
    }
    let expected = match conformance::read_expected(&list) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("note: no expectation list ({e}); run with --bless to create it");
            return ExitCode::SUCCESS;
        }
    };
    let (regressions, new) = conformance::check(&summary, &expected);
    if !new.is_empty() {
        println!("{} cases pass that the expectation list does not name yet (update with --bless)", new.len());
    }
    if !regressions.is_empty() {
        println!("REGRESSION: {} expected-pass cases do not pass:", regressions.len());
        for r in &regressions {
            println!("  {r}: {}", summary.cases[r].reason().unwrap_or(""));
        }
        return ExitCode::from(1);
    }
    println!("matches the expectation list ({} expected passes)", expected.len());
    ExitCode::SUCCESS
}
