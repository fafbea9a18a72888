//! The ONNX node-test conformance runner: import + run every case, compare, summarise, and
//! check against the committed list of cases expected to pass.

use edgec::compare::{compare, Tolerance};
use edgec::onnx::{load_model, read_tensor_file, ImportOptions};
use ir::Tensor;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What runs the imported graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The reference interpreter.
    Interp,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Interp => "interp",
        }
    }
}

/// How one case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// Wrong result, an error on valid input, or a panic (a bug either way).
    Fail(String),
    /// Valid ONNX that edgec does not support (with the reason).
    Unsupported(String),
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "fail",
            Outcome::Unsupported(_) => "unsupported",
        }
    }
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Pass => None,
            Outcome::Fail(r) | Outcome::Unsupported(r) => Some(r),
        }
    }
}

/// Results of a run, by case name.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub cases: BTreeMap<String, Outcome>,
    pub times: BTreeMap<String, Duration>,
}

impl Summary {
    pub fn count(&self, label: &str) -> usize {
        self.cases.values().filter(|o| o.label() == label).count()
    }

    /// The JSON summary: `{"passed":N,"failed":N,"unsupported":N,"cases":{...},"reasons":{...}}`.
    pub fn to_json(&self, backend: Backend) -> serde_json::Value {
        let cases: serde_json::Map<String, serde_json::Value> =
            self.cases.iter().map(|(k, v)| (k.clone(), v.label().into())).collect();
        let reasons: serde_json::Map<String, serde_json::Value> = self
            .cases
            .iter()
            .filter_map(|(k, v)| v.reason().map(|r| (k.clone(), r.into())))
            .collect();
        serde_json::json!({
            "backend": backend.name(),
            "passed": self.count("pass"),
            "failed": self.count("fail"),
            "unsupported": self.count("unsupported"),
            "cases": cases,
            "reasons": reasons,
        })
    }

    pub fn passed_names(&self) -> BTreeSet<String> {
        self.cases.iter().filter(|(_, o)| **o == Outcome::Pass).map(|(k, _)| k.clone()).collect()
    }
}

/// Where `scripts/setup.sh` puts the onnx wheel's node tests, if present.
pub fn default_data_dir() -> Option<PathBuf> {
    if let Ok(d) = std::env::var("EDGEC_ONNX_NODE_TESTS") {
        return Some(PathBuf::from(d));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.to_path_buf();
    let lib = root.join(".venv/lib");
    let entries = std::fs::read_dir(&lib).ok()?;
    for e in entries.flatten() {
        let d = e.path().join("site-packages/onnx/backend/test/data/node");
        if d.is_dir() {
            return Some(d);
        }
    }
    None
}

/// The committed list of cases expected to pass with `backend`.
pub fn expected_list_path(backend: Backend) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("conformance/expected-pass-{}.txt", backend.name()))
}

pub fn read_expected(path: &Path) -> Result<BTreeSet<String>, String> {
    let s = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(s.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect())
}

pub fn write_expected(path: &Path, names: &BTreeSet<String>, backend: Backend) -> Result<(), String> {
    let mut s = format!(
        "# ONNX node tests (onnx 1.22.0) that pass with the `{}` backend.\n# Regenerate with: cargo run --release -p testsuite --bin onnx-conformance -- --backend {} --bless\n",
        backend.name(),
        backend.name()
    );
    for n in names {
        s.push_str(n);
        s.push('\n');
    }
    std::fs::write(path, s).map_err(|e| format!("{}: {e}", path.display()))
}

/// The case folders under `dir` whose names contain `filter` (all when empty), sorted.
pub fn list_cases(dir: &Path, filter: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let p = e.map_err(|e| e.to_string())?.path();
        if !p.join("model.onnx").is_file() {
            continue;
        }
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str())) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

fn data_sets(case: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(case)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("test_data_set_")))
        .collect();
    v.sort();
    v
}

/// Tensors `prefix_0.pb`, `prefix_1.pb`, … of a data set, in order.
pub fn read_numbered(dir: &Path, prefix: &str) -> Result<Vec<(String, Tensor)>, edgec::onnx::ImportError> {
    let mut out = Vec::new();
    for i in 0.. {
        let p = dir.join(format!("{prefix}_{i}.pb"));
        if !p.is_file() {
            break;
        }
        out.push(read_tensor_file(&p)?);
    }
    Ok(out)
}

fn classify(e: edgec::onnx::ImportError) -> Outcome {
    if e.is_unsupported() {
        Outcome::Unsupported(e.to_string())
    } else {
        Outcome::Fail(e.to_string())
    }
}

/// Run one case folder.
pub fn run_case(case: &Path, backend: Backend) -> Outcome {
    let sets = data_sets(case);
    let Some(first) = sets.first() else {
        return Outcome::Unsupported("no test_data_set_* folder".into());
    };
    // Bind the graph inputs' shapes to the test data, so that inference sees static shapes.
    // Test data files name their tensor after the graph input; unnamed ones bind by position.
    let model_path = case.join("model.onnx");
    let info = match edgec::onnx::inspect_model(&model_path) {
        Ok(i) => i,
        Err(e) => return classify(e),
    };
    if let Some(u) = info.unsupported.first() {
        return Outcome::Unsupported(format!("node `{}` ({}): {}", u.node, u.op_type, u.reason));
    }
    let names: Vec<String> = info.inputs.iter().map(|v| v.name.clone()).collect();
    let first_inputs = match read_numbered(first, "input") {
        Ok(v) => v,
        Err(e) => return classify(e),
    };
    let bind = |inputs: Vec<(String, Tensor)>| -> Vec<(String, Tensor)> {
        inputs
            .into_iter()
            .enumerate()
            .map(|(i, (n, t))| {
                let n = if names.contains(&n) { n } else { names.get(i).cloned().unwrap_or(n) };
                (n, t)
            })
            .collect()
    };
    let first_inputs = bind(first_inputs);
    let mut opts = ImportOptions::default();
    for (n, t) in &first_inputs {
        opts.input_shapes.insert(n.clone(), t.shape().to_vec());
    }
    let model = match load_model(&model_path, &opts) {
        Ok(m) => m,
        Err(e) => return classify(e),
    };
    let run = |inputs: &[(String, Tensor)]| -> Result<Vec<(String, Tensor)>, Outcome> {
        match backend {
            Backend::Interp => ir::interp::run(&model.graph, inputs).map_err(|e| {
                if e.is_unsupported() {
                    Outcome::Unsupported(e.to_string())
                } else {
                    Outcome::Fail(e.to_string())
                }
            }),
        }
    };
    for (k, set) in sets.iter().enumerate() {
        let inputs = if k == 0 {
            first_inputs.clone()
        } else {
            match read_numbered(set, "input") {
                Ok(v) => bind(v),
                Err(e) => return classify(e),
            }
        };
        let expected = match read_numbered(set, "output") {
            Ok(v) => v,
            Err(e) => return classify(e),
        };
        let got = match run(&inputs) {
            Ok(g) => g,
            Err(o) => return o,
        };
        if got.len() != expected.len() {
            return Outcome::Fail(format!("{} outputs, expected {}", got.len(), expected.len()));
        }
        for ((name, g), (_, want)) in got.iter().zip(&expected) {
            let c = compare(g, want, Tolerance::ONNX_NODE_TESTS);
            if let Some(s) = c.structural {
                return Outcome::Fail(format!("output `{name}`: {s}"));
            }
            if c.mismatches > 0 {
                return Outcome::Fail(format!(
                    "output `{name}`: {} of {} elements off (max abs {:.3e}, max rel {:.3e})",
                    c.mismatches,
                    want.len(),
                    c.max_abs,
                    c.max_rel
                ));
            }
        }
    }
    Outcome::Pass
}

/// Run the cases on `jobs` threads. A panic in a case is caught and counted as a failure.
pub fn run_suite(cases: &[PathBuf], backend: Backend, jobs: usize, progress: bool) -> Summary {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let summary = Mutex::new(Summary::default());
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(case) = cases.get(i) else { break };
                let name = case.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let t0 = Instant::now();
                let outcome = match std::panic::catch_unwind(|| run_case(case, backend)) {
                    Ok(o) => o,
                    Err(p) => {
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        Outcome::Fail(format!("panic: {msg}"))
                    }
                };
                let dt = t0.elapsed();
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                if progress && (n % 200 == 0 || n == cases.len()) {
                    eprintln!("  {n}/{} cases", cases.len());
                }
                let mut sm = summary.lock().unwrap_or_else(|e| e.into_inner());
                sm.cases.insert(name.clone(), outcome);
                sm.times.insert(name, dt);
            });
        }
    });
    std::panic::set_hook(prev_hook);
    summary.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Compare a run with the expected-pass list: (regressions, new passes).
pub fn check(summary: &Summary, expected: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
    let passed = summary.passed_names();
    let ran: BTreeSet<&String> = summary.cases.keys().collect();
    let regressions = expected.iter().filter(|n| ran.contains(n) && !passed.contains(*n)).cloned().collect();
    let new = passed.iter().filter(|n| !expected.contains(*n)).cloned().collect();
    (regressions, new)
}
