//! Subcommands of the `edgec` command line (argument definitions and dispatch).

pub mod bench;
mod compile;
mod inspect;
pub mod optimize;
mod run;
mod targets;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// edgec: an ahead-of-time ML compiler for edge CPUs.
#[derive(Parser, Debug)]
#[command(name = "edgec", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show a model's inputs, outputs, opsets, op histogram, parameters, and every node edgec
    /// cannot handle yet.
    Inspect(InspectArgs),
    /// Run a model with the reference interpreter, on ONNX test data or .npy inputs.
    Run(RunArgs),
    /// List the device profiles, or show one (a built-in name, `host`, or a .toml file) in full.
    Targets(targets::TargetsArgs),
    /// Compile a model to native code for a device: <name>.o, lib<name>.a, <name>.h, <name>.json.
    Compile(compile::CompileArgs),
    /// Compile and time a model (or one generated kernel): latency, per-kernel time and
    /// GFLOP/s, JSON reports, baseline regression checks, ONNX Runtime comparison.
    Bench(bench::BenchArgs),
}

#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    /// The ONNX model file.
    pub model: PathBuf,
    /// Also print the imported IR in text form (large constants elided).
    #[arg(long)]
    pub ir: bool,
    /// Also run the optimizer for --target and print the op histogram before/after and the
    /// ops inside each fused node.
    #[arg(long, requires = "target")]
    pub optimized: bool,
    /// Device profile for --optimized (a name from `edgec targets`, `host`, or a .toml file).
    #[arg(long)]
    pub target: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The ONNX model file.
    pub model: PathBuf,
    /// A folder of ONNX test data: input_N.pb are fed, output_N.pb are the reference; prints
    /// per-output errors and PASS/FAIL (exit code 1 on FAIL), like onnx_test_runner.
    #[arg(long, conflicts_with_all = ["input", "output_dir"])]
    pub test_data: Option<PathBuf>,
    /// An input as NAME=FILE.npy (repeatable).
    #[arg(long, value_name = "NAME=FILE.npy")]
    pub input: Vec<String>,
    /// Write each output as OUTPUT_NAME.npy into this folder.
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// Absolute tolerance for --test-data: |y - ref| <= atol + rtol * |ref|.
    #[arg(long, default_value_t = 1e-4)]
    pub atol: f64,
    /// Relative tolerance for --test-data.
    #[arg(long, default_value_t = 1e-4)]
    pub rtol: f64,
    /// Compile for this device profile (a name from `edgec targets`, `host`, or a .toml file) and
    /// run the native code (under qemu-user for other ISAs) instead of the interpreter.
    #[arg(long)]
    pub target: Option<String>,
    /// Optimizer flags (with --target; the interpreter runs the graph as imported).
    #[command(flatten)]
    pub opt: optimize::OptArgs,
}

/// Run a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Inspect(a) => inspect::inspect(&a),
        Command::Run(a) => run::run(&a),
        Command::Targets(a) => targets::targets(&a),
        Command::Compile(a) => compile::compile(&a),
        Command::Bench(a) => bench::bench(&a),
    }
}
