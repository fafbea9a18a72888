//! `edgec compile`: ONNX model → native code for a device profile, plus the C header and the
//! JSON manifest; `--emit` also writes the intermediate stages as text.

use crate::onnx::{load_model, ImportOptions};
use clap::ValueEnum;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// The edgec IR that is compiled (<name>.ir).
    Ir,
    /// The generated MLIR (<name>.mlir) and its LLVM-dialect form (<name>.llvm.mlir).
    Mlir,
    /// Optimised LLVM IR (<name>.ll).
    Llvm,
    /// Assembly for the target (<name>.s).
    Asm,
}

#[derive(clap::Args, Debug)]
pub struct CompileArgs {
    /// The ONNX model file.
    #[arg(required_unless_present = "list_passes")]
    pub model: Option<PathBuf>,
    /// Device profile: a name from `edgec targets`, `host`, or a path to a .toml profile.
    #[arg(long, default_value = "host")]
    pub target: String,
    /// Output folder (created if missing).
    #[arg(short = 'o', long = "out-dir", required_unless_present = "list_passes")]
    pub out_dir: Option<PathBuf>,
    /// Name of the compiled model: prefix of every C symbol and file name (default: the file
    /// stem, or the folder name for `model.onnx`).
    #[arg(long)]
    pub name: Option<String>,
    /// Also write these stages as text (repeatable).
    #[arg(long, value_enum)]
    pub emit: Vec<Emit>,
    /// Fix an input's shape, as NAME=1x3x224x224 (repeatable); needed for dynamic dims.
    #[arg(long = "input-shape", value_name = "NAME=DIMS")]
    pub input_shape: Vec<String>,
    /// List the optimizer passes (name and description) and the default pipeline, and exit.
    #[arg(long)]
    pub list_passes: bool,
    #[command(flatten)]
    pub opt: super::optimize::OptArgs,
}

pub fn parse_input_shapes(specs: &[String], opts: &mut ImportOptions) -> Result<(), String> {
    for s in specs {
        let (name, dims) = s.split_once('=').ok_or_else(|| format!("--input-shape `{s}`: expected NAME=DIMS"))?;
        let dims: Result<Vec<usize>, _> =
            if dims.is_empty() { Ok(vec![]) } else { dims.split(['x', ',']).map(|d| d.trim().parse::<usize>()).collect() };
        let dims = dims.map_err(|_| format!("--input-shape `{s}`: dims must be non-negative integers like 1x3x224x224"))?;
        opts.input_shapes.insert(name.to_string(), dims);
    }
    Ok(())
}

pub fn compile(a: &CompileArgs) -> Result<ExitCode, String> {
    if a.list_passes {
        print!("{}", super::optimize::list_passes());
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(model_path), Some(out_dir)) = (&a.model, &a.out_dir) else {
        return Err("compile needs a MODEL and --out-dir".into());
    };
    let profile = targets::Profile::resolve(&a.target).map_err(|e| e.to_string())?;
    let mut opts = ImportOptions::default();
    parse_input_shapes(&a.input_shape, &mut opts)?;
    let mut model = load_model(model_path, &opts).map_err(|e| e.to_string())?;
    let name = match &a.name {
        Some(n) => codegen::c_identifier(n),
        None => crate::native::default_name(model_path),
    };
    super::optimize::optimize(&mut model.graph, &profile, &a.opt)?;
    let keep = codegen::Keep {
        llvm_dialect: a.emit.contains(&Emit::Mlir),
        llvm_ir: a.emit.contains(&Emit::Llvm),
        asm: a.emit.contains(&Emit::Asm),
    };
    let t0 = std::time::Instant::now();
    let art = crate::native::compile(&model.graph, &profile, &name, keep)?;
    let ir_text = a.emit.contains(&Emit::Ir).then(|| ir::text::print(&model.graph, ir::text::PrintOptions { elide_above: Some(16) }));
    let files = crate::native::write_artifacts(out_dir, &art, ir_text.as_deref())?;
    eprintln!(
        "compiled {} for {} ({}) in {:.2}s: workspace {} B, weights {} B",
        model_path.display(),
        profile.name,
        profile.llvm.triple,
        t0.elapsed().as_secs_f64(),
        art.manifest.workspace_bytes,
        art.manifest.weights_bytes
    );
    for f in files {
        println!("{}", f.display());
    }
    Ok(ExitCode::SUCCESS)
}
