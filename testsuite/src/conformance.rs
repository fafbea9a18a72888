//! The ONNX node-test conformance runner: import + run every case, compare, summarise, and
//! check against the committed list of cases expected to pass.
//!
//! Two backends: the reference interpreter, and the compiled path (`Backend::Compiled(target)`:
//! import with the test data's input shapes, compile in-process with codegen, link with the
//! harness, run natively or under qemu-user, compare with the same tolerance).
//!
//! Specialisation (compiled backend only): node tests often feed shape-defining operands
//! (Reshape's shape, Slice's starts/ends/axes, Pad's pads, TopK's k, Expand's shape…) as graph
//! inputs, which an ahead-of-time compiler needs constant. When the imported graph is not fully
//! static after folding, or code generation reports `Unsupported` for it, the runner re-imports
//! the model with integer (i32/i64) graph inputs of at most 64 elements bound to their test
//! values (`ImportOptions::bind_inputs`) and compiles that: first only those that feed operand
//! slots (input 1 and later of every user), so data inputs stay run-time values, then, if that
//! is not enough, all of them. Graphs that compile as they are never get specialised, and
//! MLIR/LLVM/link errors are reported, not retried, so bugs stay visible. A specialisation that
//! folds every output to a constant does not count (nothing would be left to compile). A case
//! with several data sets is recompiled when the bound values differ between them.
//!
//! Outcomes: pass; fail (wrong numbers or output shape/dtype); unsupported (import or codegen
//! reports a limitation, or shapes stay dynamic); error (any other failure of the compiled path:
//! MLIR/LLVM errors, link failures, a crash of the compiled program, a panic: bugs).

use edgec::compare::{compare, Tolerance};
use edgec::onnx::{load_model, read_tensor_file, ImportOptions};
use ir::Tensor;
use crate::native::{self, NativeError};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What runs the imported graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The reference interpreter.
    Interp,
    /// Compiled for this target profile (`host`, `cortex-a76`, `rv64gcv`, …), linked and run.
    Compiled(String),
}

impl Backend {
    /// `interp` or `compiled`.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Interp => "interp",
            Backend::Compiled(_) => "compiled",
        }
    }

    /// The name used in file names and summaries: `interp`, `compiled-<target>`.
    pub fn label(&self) -> String {
        match self {
            Backend::Interp => "interp".into(),
            Backend::Compiled(t) => format!("compiled-{t}"),
        }
    }

    /// The command-line arguments that select this backend.
    pub fn cli_args(&self) -> String {
        match self {
            Backend::Interp => "--backend interp".into(),
            Backend::Compiled(t) => format!("--backend compiled --target {t}"),
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
    /// The compiled path broke (MLIR/LLVM error, link failure, crash, panic): a bug.
    Error(String),
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "fail",
            Outcome::Unsupported(_) => "unsupported",
            Outcome::Error(_) => "error",
        }
    }
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Pass => None,
            Outcome::Fail(r) | Outcome::Unsupported(r) | Outcome::Error(r) => Some(r),
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

    /// The JSON summary:
    /// `{"backend":..,"passed":N,"failed":N,"unsupported":N,"errors":N,"cases":{...},"reasons":{...}}`.
    pub fn to_json(&self, backend: &Backend) -> serde_json::Value {
        let cases: serde_json::Map<String, serde_json::Value> =
            self.cases.iter().map(|(k, v)| (k.clone(), v.label().into())).collect();
        let reasons: serde_json::Map<String, serde_json::Value> = self
            .cases
            .iter()
            .filter_map(|(k, v)| v.reason().map(|r| (k.clone(), r.into())))
            .collect();
        serde_json::json!({
            "backend": backend.label(),
            "passed": self.count("pass"),
            "failed": self.count("fail"),
            "unsupported": self.count("unsupported"),
            "errors": self.count("error"),
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
pub fn expected_list_path(backend: &Backend) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("conformance/expected-pass-{}.txt", backend.label()))
}

pub fn read_expected(path: &Path) -> Result<BTreeSet<String>, String> {
    let s = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(s.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect())
}

pub fn write_expected(path: &Path, names: &BTreeSet<String>, backend: &Backend) -> Result<(), String> {
    let mut s = format!(
        "# ONNX node tests (onnx 1.22.0) that pass with the `{}` backend.\n# Regenerate with: cargo run --release -p testsuite --bin onnx-conformance -- {} --bless\n",
        backend.label(),
        backend.cli_args()
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

/// Import errors on the compiled backend: invalid input is not a numeric failure, so it is an error.
fn classify_compiled(e: edgec::onnx::ImportError) -> Outcome {
    if e.is_unsupported() {
        Outcome::Unsupported(format!("import: {e}"))
    } else {
        Outcome::Error(format!("import: {e}"))
    }
}

fn native_outcome(e: NativeError) -> Outcome {
    match e {
        NativeError::Unsupported(m) => Outcome::Unsupported(m),
        NativeError::Error(m) => Outcome::Error(m),
    }
}

/// One data set: named inputs and expected outputs.
type DataSet = (Vec<(String, Tensor)>, Vec<(String, Tensor)>);

/// The case's data sets with inputs named after the graph inputs (test data files name their
/// tensor after the graph input; unnamed ones bind by position).
fn read_case(case: &Path, on_import_error: fn(edgec::onnx::ImportError) -> Outcome) -> Result<Vec<DataSet>, Outcome> {
    let sets = data_sets(case);
    if sets.is_empty() {
        return Err(Outcome::Unsupported("no test_data_set_* folder".into()));
    }
    let info = edgec::onnx::inspect_model(&case.join("model.onnx")).map_err(on_import_error)?;
    if let Some(u) = info.unsupported.first() {
        return Err(Outcome::Unsupported(format!("node `{}` ({}): {}", u.node, u.op_type, u.reason)));
    }
    let names: Vec<String> = info.inputs.iter().map(|v| v.name.clone()).collect();
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
    let mut out = Vec::with_capacity(sets.len());
    for set in &sets {
        let inputs = read_numbered(set, "input").map_err(on_import_error)?;
        let expected = read_numbered(set, "output").map_err(on_import_error)?;
        out.push((bind(inputs), expected));
    }
    Ok(out)
}

/// Compare outputs with the expected ones (ONNX node-test tolerance).
fn check_outputs(got: &[(String, Tensor)], expected: &[(String, Tensor)]) -> Outcome {
    if got.len() != expected.len() {
        return Outcome::Fail(format!("{} outputs, expected {}", got.len(), expected.len()));
    }
    for ((name, g), (_, want)) in got.iter().zip(expected) {
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
    Outcome::Pass
}

fn shapes_of(inputs: &[(String, Tensor)]) -> HashMap<String, Vec<usize>> {
    inputs.iter().map(|(n, t)| (n.clone(), t.shape().to_vec())).collect()
}

/// Run one case folder.
pub fn run_case(case: &Path, backend: &Backend) -> Outcome {
    match backend {
        Backend::Interp => run_case_interp(case),
        Backend::Compiled(target) => run_case_compiled(case, target),
    }
}

fn run_case_interp(case: &Path) -> Outcome {
    let sets = match read_case(case, classify) {
        Ok(s) => s,
        Err(o) => return o,
    };
    // Bind the graph inputs' shapes to the first data set, so that inference sees static shapes.
    let opts = ImportOptions { input_shapes: shapes_of(&sets[0].0), ..Default::default() };
    let model = match load_model(&case.join("model.onnx"), &opts) {
        Ok(m) => m,
        Err(e) => return classify(e),
    };
    for (inputs, expected) in &sets {
        let got = match ir::interp::run(&model.graph, inputs) {
            Ok(g) => g,
            Err(e) if e.is_unsupported() => return Outcome::Unsupported(e.to_string()),
            Err(e) => return Outcome::Fail(e.to_string()),
        };
        let o = check_outputs(&got, expected);
        if o != Outcome::Pass {
            return o;
        }
    }
    Outcome::Pass
}

/// A compiled case: the graph it was built from, the linked program, and the input values it
/// was specialised on (empty when it was not).
struct Built {
    graph: ir::Graph,
    linked: edgec::native::Linked,
    bound: Vec<(String, Tensor)>,
}

/// Import and compile for `inputs`' shapes; specialise on small integer inputs when the graph
/// does not compile as it is (see the module doc).
fn build_case(model_path: &Path, inputs: &[(String, Tensor)], profile: &targets::Profile, name: &str) -> Result<Built, Outcome> {
    let base = ImportOptions { input_shapes: shapes_of(inputs), ..Default::default() };
    let model = load_model(model_path, &base).map_err(classify_compiled)?;
    let first = match native::build(&model.graph, profile, name) {
        Ok(linked) => return Ok(Built { graph: model.graph, linked, bound: vec![] }),
        // Bugs are reported, not hidden by specialising.
        Err(e @ NativeError::Error(_)) => return Err(native_outcome(e)),
        Err(e) => e,
    };
    // First the small integer inputs that only feed operand slots (shape, axes, pads, k…: input
    // 1 and later), so that data inputs stay run-time values; then all small integer inputs.
    let all: Vec<(String, Tensor)> = inputs.iter().filter(|(_, t)| native::bindable(t)).cloned().collect();
    let operands: Vec<(String, Tensor)> =
        all.iter().filter(|(n, _)| only_operand_slots(&model.graph, n)).cloned().collect();
    let mut last = first.clone();
    let mut tried: Vec<String> = vec![];
    for binding in [operands, all] {
        let key = names(&binding);
        if binding.is_empty() || tried.contains(&key) {
            continue;
        }
        tried.push(key);
        let opts = ImportOptions { bind_inputs: binding.iter().cloned().collect(), ..base.clone() };
        let model = load_model(model_path, &opts).map_err(classify_compiled)?;
        if model.graph.outputs().iter().all(|(_, v)| model.graph.const_value(*v).is_some()) {
            // Nothing would be left for the compiled code to compute: not a test of codegen.
            last = NativeError::Unsupported(format!(
                "{} (specialising on {} folds every output to a constant)",
                unsupported_msg(&first),
                names(&binding)
            ));
            continue;
        }
        match native::build(&model.graph, profile, name) {
            Ok(linked) => return Ok(Built { graph: model.graph, linked, bound: binding }),
            Err(NativeError::Error(m)) => return Err(Outcome::Error(format!("{m} (specialised on {})", names(&binding)))),
            Err(NativeError::Unsupported(m)) => {
                last = NativeError::Unsupported(format!("{m} (specialised on {})", names(&binding)))
            }
        }
    }
    Err(native_outcome(last))
}

fn unsupported_msg(e: &NativeError) -> &str {
    match e {
        NativeError::Unsupported(m) | NativeError::Error(m) => m,
    }
}

/// Whether graph input `name` feeds only input slots ≥ 1 of its users (or has none).
fn only_operand_slots(g: &ir::Graph, name: &str) -> bool {
    g.inputs()
        .iter()
        .find(|&&id| g.node(id).name == name)
        .is_some_and(|&id| g.users(ir::ValueId::new(id, 0)).iter().all(|&(_, slot)| slot >= 1))
}

fn names(v: &[(String, Tensor)]) -> String {
    v.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

fn run_case_compiled(case: &Path, target: &str) -> Outcome {
    let profile = match native::profile(target) {
        Ok(p) => p,
        Err(e) => return native_outcome(e),
    };
    let sets = match read_case(case, classify_compiled) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let name = codegen::c_identifier(&case.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    let model_path = case.join("model.onnx");
    let mut built: Option<Built> = None;
    for (inputs, expected) in &sets {
        // Reuse the program unless this data set has other shapes or other bound values.
        let reusable = built.as_ref().is_some_and(|b| {
            b.graph.inputs().iter().all(|&id| {
                let n = &b.graph.node(id).name;
                let ty = &b.graph.node(id).outputs[0];
                inputs.iter().any(|(m, t)| m == n && ty.static_shape().as_deref() == Some(t.shape()))
            }) && b.bound.iter().all(|(n, v)| inputs.iter().any(|(m, t)| m == n && t == v))
        });
        if !reusable {
            built = match build_case(&model_path, inputs, &profile, &name) {
                Ok(b) => Some(b),
                Err(o) => return o,
            };
        }
        let b = built.as_ref().expect("built above");
        let got = match native::run(&b.linked, &b.graph, inputs) {
            Ok(g) => g,
            Err(e) => return native_outcome(e),
        };
        let o = check_outputs(&got, expected);
        if o != Outcome::Pass {
            return o;
        }
    }
    Outcome::Pass
}

/// Run the cases on `jobs` threads. A panic in a case is caught and counted as a failure
/// (interpreter) or an error (compiled backend).
pub fn run_suite(cases: &[PathBuf], backend: &Backend, jobs: usize, progress: bool) -> Summary {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let summary = Mutex::new(Summary::default());
    // The panic hook is process-wide: suites running on several test threads take turns, so
    // that each restores the hook it found.
    static SUITE: Mutex<()> = Mutex::new(());
    let _turn = SUITE.lock().unwrap_or_else(|e| e.into_inner());
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
                        match backend {
                            Backend::Interp => Outcome::Fail(format!("panic: {msg}")),
                            Backend::Compiled(_) => Outcome::Error(format!("panic: {msg}")),
                        }
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

/// The case folders under `dir` named in `names`; `Err` lists names with no folder.
pub fn cases_named(dir: &Path, names: &BTreeSet<String>) -> Result<Vec<PathBuf>, String> {
    let all = list_cases(dir, &[])?;
    let found: Vec<PathBuf> =
        all.into_iter().filter(|p| p.file_name().is_some_and(|n| names.contains(n.to_string_lossy().as_ref()))).collect();
    if found.len() != names.len() {
        let have: BTreeSet<String> = found.iter().filter_map(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).collect();
        let missing: Vec<&String> = names.iter().filter(|n| !have.contains(*n)).collect();
        return Err(format!("no case folder for {missing:?} in {}", dir.display()));
    }
    Ok(found)
}

/// The representative cases the cross-ISA tests run under qemu (testsuite/conformance/cross-subset.txt).
pub fn cross_subset_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/cross-subset.txt")
}

/// Compare a run with the expected-pass list: (regressions, new passes).
pub fn check(summary: &Summary, expected: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
    let passed = summary.passed_names();
    let ran: BTreeSet<&String> = summary.cases.keys().collect();
    let regressions = expected.iter().filter(|n| ran.contains(n) && !passed.contains(*n)).cloned().collect();
    let new = passed.iter().filter(|n| !expected.contains(*n)).cloned().collect();
    (regressions, new)
}
