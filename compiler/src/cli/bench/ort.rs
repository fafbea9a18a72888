//! `edgec bench --compare ort`: runs ONNX Runtime (the Python package, single-threaded) on the
//! same model and inputs through scripts/ort_bench.py (embedded), and reads back its timings
//! and outputs.

use ir::Tensor;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The script, embedded so the installed `edgec` needs no source tree.
const SCRIPT: &str = include_str!("../../../../scripts/ort_bench.py");

/// The onnxruntime release pinned in scripts/requirements.txt.
pub const ORT_VERSION: &str = "1.31.1";

#[derive(Debug, Deserialize)]
struct Reply {
    version: String,
    threads: u32,
    times: Vec<f64>,
    outputs: Vec<String>,
}

/// What ONNX Runtime measured and computed.
pub struct OrtRun {
    pub python: PathBuf,
    pub version: String,
    pub threads: u32,
    pub times: Vec<f64>,
    /// Outputs by name.
    pub outputs: Vec<(String, Tensor)>,
}

/// `$EDGEC_PYTHON`, else `.venv/bin/python` in the current folder or one above it, or beside
/// the `edgec` executable's checkout (target/<profile>/edgec → ../../.venv).
pub fn find_python() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("EDGEC_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let mut starts = vec![];
    if let Ok(d) = std::env::current_dir() {
        starts.push(d);
    }
    if let Ok(e) = std::env::current_exe() {
        if let Some(d) = e.parent() {
            starts.push(d.to_path_buf());
        }
    }
    for s in starts {
        for dir in s.ancestors() {
            let p = dir.join(".venv/bin/python");
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err("--compare ort: no project venv found (.venv/bin/python in this folder or above it); \
         create it with scripts/install-deps.sh or point EDGEC_PYTHON at a Python with onnxruntime"
        .into())
}

/// Run ONNX Runtime on `model` with `inputs` (by name): `warmup` untimed, `iters` timed runs.
pub fn run(model: &Path, inputs: &[(String, Tensor)], iters: usize, warmup: usize) -> Result<OrtRun, String> {
    let python = find_python()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let script = dir.path().join("ort_bench.py");
    std::fs::write(&script, SCRIPT).map_err(|e| format!("{}: {e}", script.display()))?;
    let mut cmd = Command::new(&python);
    cmd.arg(&script).arg(model);
    for (i, (name, t)) in inputs.iter().enumerate() {
        let p = dir.path().join(format!("in{i}.npy"));
        crate::npy::write_npy(&p, t)?;
        cmd.arg("--input").arg(format!("{name}={}", p.display()));
    }
    cmd.args(["--iters", &iters.to_string(), "--warmup", &warmup.to_string(), "--out-dir"]).arg(dir.path());
    let out = cmd.output().map_err(|e| format!("--compare ort: cannot run {}: {e}", python.display()))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(3) => {
            return Err(format!(
                "--compare ort: onnxruntime is not installed in {py}; install it with `{py} -m pip install onnxruntime=={ORT_VERSION}` \
                 (pinned in scripts/requirements.txt)",
                py = python.display()
            ))
        }
        _ => return Err(format!("--compare ort: {} failed ({}): {}", python.display(), out.status, stderr.trim())),
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).unwrap_or("");
    let reply: Reply =
        serde_json::from_str(line).map_err(|e| format!("--compare ort: unreadable reply `{line}`: {e}"))?;
    let mut outputs = vec![];
    for (i, name) in reply.outputs.iter().enumerate() {
        let t = crate::npy::read_npy(&dir.path().join(format!("out{i}.npy")))?;
        outputs.push((name.clone(), t));
    }
    Ok(OrtRun { python, version: reply.version, threads: reply.threads, times: reply.times, outputs })
}
