//! The documented exceptions of a compiled-backend run: the cases the interpreter passes
//! (testsuite/conformance/expected-pass-interp.txt) that the compiled backend does not, grouped by
//! the op that stops them, rendered as Markdown (`compiled-exceptions-<target>.md`, written by
//! `onnx-conformance --backend compiled --bless`).

use crate::conformance::{Outcome, Summary};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Ops whose output shape depends on input values: an ahead-of-time compiler with static
/// buffers cannot run them (a permanent exception).
pub const DATA_DEPENDENT: &[&str] = &["unique", "non_zero", "compress"];

/// Where the exceptions of `target` are written.
pub fn exceptions_path(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("conformance/compiled-exceptions-{target}.md"))
}

/// Why a case is an exception: a heading (the group) and a category.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Group {
    pub category: Category,
    /// The IR op named by the reason (`reduce`, `unique`…), or the ONNX op types of the model.
    pub op: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// The output shape depends on input data (NonZero, Unique, Compress).
    DataDependentShape,
    /// A shape is set by a run-time input that is not specialised (float scales, depth, limits).
    RuntimeShapeOperand,
    /// Every input is a shape operand: specialised, the whole test folds to constants.
    NothingToCompile,
    /// Code generation has no kernel for the op yet.
    NoKernel,
    /// Code generation rejects this form of the op.
    CodegenLimit,
    /// Import rejects the (specialised) model.
    Import,
    /// Wrong results.
    Fail,
    /// A bug of the compiled path (MLIR/LLVM/link/crash).
    Error,
}

impl Category {
    pub fn title(self) -> &'static str {
        match self {
            Category::DataDependentShape => "output shape depends on input data (permanent)",
            Category::RuntimeShapeOperand => "shape set by a run-time input that is not specialised",
            Category::NothingToCompile => "nothing left to compile once specialised",
            Category::NoKernel => "no code-generation kernel yet",
            Category::CodegenLimit => "code generation does not support this form yet",
            Category::Import => "import rejects the (specialised) model",
            Category::Fail => "wrong results (bug)",
            Category::Error => "compiler, link or run error (bug)",
        }
    }
}

/// `(op)` right after `marker` in a reason, e.g. "codegen: node 'Sum_0' (reduce): …" → reduce.
fn op_after(reason: &str, marker: &str) -> Option<String> {
    let rest = &reason[reason.find(marker)? + marker.len()..];
    let open = rest.find(" (")? + 2;
    let close = rest[open..].find(')')? + open;
    Some(rest[open..close].to_string())
}

/// The ONNX op types of a case's model, joined with `+`.
fn model_ops(case_dir: &Path) -> String {
    match edgec::onnx::inspect_model(&case_dir.join("model.onnx")) {
        Ok(info) => info.op_histogram.iter().map(|(op, _)| op.as_str()).collect::<Vec<_>>().join("+"),
        Err(_) => "?".into(),
    }
}

/// Classify one non-passing outcome.
pub fn group(outcome: &Outcome, case_dir: &Path) -> Group {
    let reason = outcome.reason().unwrap_or("");
    let (category, op) = match outcome {
        Outcome::Pass => unreachable!("only non-passing cases are exceptions"),
        Outcome::Fail(_) => (Category::Fail, None),
        Outcome::Error(_) if reason.starts_with("import:") => (Category::Import, op_after(reason, "node `")),
        Outcome::Error(_) => (Category::Error, op_after(reason, "node '")),
        Outcome::Unsupported(_) if reason.contains("folds every output to a constant") => {
            (Category::NothingToCompile, op_after(reason, "folding: `").or_else(|| op_after(reason, "node '")))
        }
        Outcome::Unsupported(_) if reason.starts_with("dynamic shapes after folding:") => {
            let op = op_after(reason, "folding: `");
            let c = if op.as_deref().is_some_and(|o| DATA_DEPENDENT.contains(&o)) {
                Category::DataDependentShape
            } else {
                Category::RuntimeShapeOperand
            };
            (c, op)
        }
        Outcome::Unsupported(_) if reason.starts_with("codegen:") => {
            let c = if reason.contains("no kernel for") { Category::NoKernel } else { Category::CodegenLimit };
            (c, op_after(reason, "node '"))
        }
        Outcome::Unsupported(_) => (Category::Import, op_after(reason, "node `")),
    };
    Group { category, op: op.unwrap_or_else(|| model_ops(case_dir)) }
}

/// The Markdown document for a run of `target` over the cases in `dir`.
pub fn render(summary: &Summary, interp_expected: &BTreeSet<String>, target: &str, dir: &Path) -> String {
    let mut groups: BTreeMap<Group, Vec<(&String, &Outcome)>> = BTreeMap::new();
    for name in interp_expected {
        match summary.cases.get(name) {
            None | Some(Outcome::Pass) => {}
            Some(o) => groups.entry(group(o, &dir.join(name))).or_default().push((name, o)),
        }
    }
    let total: usize = groups.values().map(Vec::len).sum();
    let mut s = format!(
        "# Compiled backend exceptions: target `{target}`\n\n\
         Generated by `cargo run -p testsuite --bin onnx-conformance -- --backend compiled --target {target} --bless`;\n\
         do not edit by hand.\n\n\
         These are the {total} ONNX node tests that the interpreter passes (`expected-pass-interp.txt`,\n\
         {} cases) but the compiled backend does not ({} pass: `expected-pass-compiled-{target}.txt`).\n\n",
        interp_expected.len(),
        summary.count("pass"),
    );
    s.push_str(INTRO);
    s.push_str("\n## Counts by category\n\n| category | cases |\n|---|---|\n");
    let mut by_cat: BTreeMap<Category, usize> = BTreeMap::new();
    for (g, v) in &groups {
        *by_cat.entry(g.category).or_default() += v.len();
    }
    for (c, n) in &by_cat {
        s.push_str(&format!("| {} | {n} |\n", c.title()));
    }
    let mut cat = None;
    for (g, cases) in &groups {
        if cat != Some(g.category) {
            cat = Some(g.category);
            s.push_str(&format!("\n## {}\n", g.category.title()));
        }
        s.push_str(&format!("\n### {} ({} cases)\n\n", g.op, cases.len()));
        // Cases sharing a reason (modulo node names) are listed together.
        let mut by_reason: BTreeMap<String, Vec<&String>> = BTreeMap::new();
        for (name, o) in cases {
            by_reason.entry(normalise(o.reason().unwrap_or(""))).or_default().push(name);
        }
        for (reason, names) in by_reason {
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            s.push_str(&format!("- {}: {}\n", one_line(&reason), list.join(", ")));
        }
    }
    s
}

/// A reason without node names, so that equal causes group together.
fn normalise(reason: &str) -> String {
    strip_names(&strip_names(reason, '\''), '`')
}

fn strip_names(reason: &str, q: char) -> String {
    let marker = format!("node {q}");
    let mut out = String::new();
    let mut rest = reason;
    while let Some(i) = rest.find(&marker) {
        out.push_str(&rest[..i + 5]);
        let after = &rest[i + 6..];
        match after.find(q) {
            Some(j) => rest = &after[j + 1..],
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

fn one_line(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = s.replace('|', "\\|");
    if s.chars().count() > 300 {
        format!("{}…", s.chars().take(300).collect::<String>())
    } else {
        s
    }
}

const INTRO: &str = "\
How the compiled backend runs a case: import with the test data's input shapes, fold, compile
for the target, link with the C harness, run, compare with the interpreter's tolerance
(atol 1e-7, rtol 1e-3). When the graph is not fully static, or codegen reports a node
unsupported, the case is specialised: integer (i32/i64) graph inputs of at most 64 elements are
bound to their test values (`ImportOptions::bind_inputs`) and the model is compiled again.

Categories:

- **Output shape depends on input data** (NonZero, Unique, Compress): permanent. The compiled
  code has static buffers; these ops need a dynamic-shape runtime.
- **Shape set by a run-time input that is not specialised**: the output shape comes from a
  float input (Resize/Upsample `scales`, `roi`), or from an operand the runner does not bind
  (OneHot `depth` and Range limits given as floats). A deployed model has these as constants;
  the node tests pass them as inputs. Specialising float inputs would constant-fold the whole
  test (its data inputs are small floats too), so the runner does not.
- **Nothing left to compile once specialised**: every input of the test is a shape operand
  (ConstantOfShape's shape, Range's limits, a window op's size, TopK on small integer data):
  bound to its value, the whole graph folds to constants, so the case tests no generated code.
- **No code-generation kernel yet** / **does not support this form yet**: work to do in
  `codegen/src/lower/`; these shrink as kernels land.
- **Import rejects the (specialised) model**: binding an input made import fail (a bug in import
  or inference with that constant).
- **Wrong results** and **compiler, link or run errors**: bugs.
";
