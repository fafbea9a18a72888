//! The native path of the driver: compile a graph for a device profile, write the product
//! files (`.o`, `.a`, `.h`, `.json`, emitted stages), and link + run a compiled model (natively
//! or under qemu-user) so its outputs can be compared with the reference.

mod archive;
pub mod bench;
mod harness;
mod toolchain;

pub use toolchain::Runner;

use codegen::{Artifacts, Keep, KernelTarget, TargetSpec};
use ir::{Graph, Tensor};
use std::path::{Path, PathBuf};
use targets::Profile;

/// What LLVM and the kernels need from a profile.
pub fn spec(p: &Profile) -> (TargetSpec, KernelTarget) {
    let spec = TargetSpec {
        triple: p.llvm.triple.clone(),
        cpu: p.llvm.cpu.clone(),
        features: p.llvm.features.clone(),
        vector_bits: p.vector.bits,
    };
    let kt = KernelTarget {
        f32_lanes: (p.vector.bits / 32).max(1) as usize,
        vector_registers: p.vector.registers as usize,
        l1_bytes: p.cache.l1d_bytes as usize,
        l2_bytes: p.cache.l2_bytes as usize,
    };
    (spec, kt)
}

/// Default model name: the file stem, or the folder name for the ONNX test layout's
/// `model.onnx`.
pub fn default_name(model: &Path) -> String {
    let stem = model.file_stem().and_then(|s| s.to_str()).unwrap_or("model");
    let name = if stem == "model" {
        model
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().and_then(|d| d.file_name()).map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| stem.to_string())
    } else {
        stem.to_string()
    };
    codegen::c_identifier(&name)
}

pub fn compile(g: &Graph, p: &Profile, name: &str, keep: Keep) -> Result<Artifacts, String> {
    compile_typed(g, p, name, keep).map_err(|e| e.to_string())
}

/// `compile` keeping the typed error (tests tell `Unsupported` from MLIR/LLVM bugs).
pub fn compile_typed(g: &Graph, p: &Profile, name: &str, keep: Keep) -> codegen::Result<Artifacts> {
    let (spec, kt) = spec(p);
    let opts = codegen::Options { name: name.to_string(), target_name: p.name.clone(), keep, profile: false };
    codegen::compile(g, &spec, &kt, &opts)
}

fn write(path: &Path, data: &[u8]) -> Result<PathBuf, String> {
    std::fs::write(path, data).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.to_path_buf())
}

/// Write `<name>.o`, `lib<name>.a`, `<name>.h`, `<name>.json` and any emitted stages into `dir`.
pub fn write_artifacts(dir: &Path, a: &Artifacts, ir_text: Option<&str>) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let n = &a.manifest.name;
    let mut files = vec![
        write(&dir.join(format!("{n}.o")), &a.object)?,
        write(
            &dir.join(format!("lib{n}.a")),
            &archive::archive(&format!("{n}.o"), &a.object, &[format!("{n}_run"), format!("{n}_workspace_size")]),
        )?,
        write(&dir.join(format!("{n}.h")), a.header.as_bytes())?,
    ];
    let json = serde_json::to_string_pretty(&a.manifest).map_err(|e| e.to_string())?;
    files.push(write(&dir.join(format!("{n}.json")), json.as_bytes())?);
    if let Some(t) = ir_text {
        files.push(write(&dir.join(format!("{n}.ir")), t.as_bytes())?);
    }
    let stages = [
        ("mlir", Some(&a.mlir)),
        ("llvm.mlir", a.llvm_dialect.as_ref()),
        ("ll", a.llvm_ir.as_ref()),
        ("s", a.asm.as_ref()),
    ];
    for (ext, text) in stages {
        if let Some(t) = text {
            if ext == "mlir" && a.llvm_dialect.is_none() && a.llvm_ir.is_none() && a.asm.is_none() && ir_text.is_none() {
                // Only written when asked for (see the CLI's --emit).
                continue;
            }
            files.push(write(&dir.join(format!("{n}.{ext}")), t.as_bytes())?);
        }
    }
    Ok(files)
}

/// A compiled model linked into the test harness, ready to run.
pub struct Linked {
    _dir: tempfile::TempDir,
    exe: PathBuf,
    runner: Runner,
    manifest: codegen::Manifest,
}

/// Link `a` with the harness for profile `p` (system cc, or the cross gcc + qemu).
pub fn link(a: &Artifacts, p: &Profile) -> Result<Linked, String> {
    let runner = toolchain::runner(p)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let n = &a.manifest.name;
    write(&dir.path().join(format!("{n}.o")), &a.object)?;
    write(&dir.path().join(format!("{n}.h")), a.header.as_bytes())?;
    let c = dir.path().join("harness.c");
    write(&c, harness::source(&a.manifest).as_bytes())?;
    let exe = dir.path().join("harness");
    runner.link(&[c, dir.path().join(format!("{n}.o"))], &exe)?;
    Ok(Linked { _dir: dir, exe, runner, manifest: a.manifest.clone() })
}

/// Write `inputs` (checked against the manifest) as in0.bin… into `dir`; returns the harness
/// arguments (input files, then output files) and the output files.
fn write_io_files(dir: &Path, m: &codegen::Manifest, inputs: &[Tensor]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    if inputs.len() != m.inputs.len() {
        return Err(format!("the compiled model takes {} inputs, got {}", m.inputs.len(), inputs.len()));
    }
    let mut args = vec![];
    for (i, (t, info)) in inputs.iter().zip(&m.inputs).enumerate() {
        if t.shape() != info.shape.as_slice() || t.dtype().name() != info.dtype {
            return Err(format!(
                "input '{}': the model was compiled for {} {:?}, got {} {:?}",
                info.name,
                info.dtype,
                info.shape,
                t.dtype(),
                t.shape()
            ));
        }
        let p = dir.join(format!("in{i}.bin"));
        write(&p, &t.to_le_bytes())?;
        args.push(p);
    }
    let outs: Vec<PathBuf> = (0..m.outputs.len()).map(|i| dir.join(format!("out{i}.bin"))).collect();
    args.extend(outs.iter().cloned());
    Ok((args, outs))
}

/// Read the output files the harness wrote, typed by the manifest.
fn read_outputs(outs: &[PathBuf], m: &codegen::Manifest) -> Result<Vec<Tensor>, String> {
    let mut result = vec![];
    for (p, info) in outs.iter().zip(&m.outputs) {
        let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
        let dt = ir::DType::ALL
            .into_iter()
            .find(|d| d.name() == info.dtype)
            .ok_or_else(|| format!("unknown dtype {}", info.dtype))?;
        result.push(Tensor::from_le_bytes(dt, &info.shape, &bytes)?);
    }
    Ok(result)
}

impl Linked {
    /// Run once on `inputs` (in graph-input order); returns the outputs. (Timing lives in
    /// `bench`, which links its own harness.)
    pub fn run(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>, String> {
        let (args, outs) = write_io_files(self.exe.parent().unwrap(), &self.manifest, inputs)?;
        self.runner.run(&self.exe, &args, &[])?;
        read_outputs(&outs, &self.manifest)
    }

    pub fn manifest(&self) -> &codegen::Manifest {
        &self.manifest
    }
}
