//! The compiled path as the tests use it: compile an IR graph for a device profile in-process,
//! link it with the harness (system cc, or cross gcc + qemu-user), run it, and sort failures into
//! "not supported" and "bug" so runners can count them apart.

use codegen::CodegenError;
use edgec::native::Linked;
use ir::{Graph, Tensor};
use std::process::Command;
use targets::Profile;

/// Why the compiled path did not produce outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NativeError {
    /// Valid input the code generator does not handle (`CodegenError::Unsupported`, dynamic shapes).
    Unsupported(String),
    /// Anything else: MLIR/LLVM failures, an invalid graph, link failures, a crash of the compiled
    /// program. These are bugs.
    Error(String),
}

impl std::fmt::Display for NativeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NativeError::Unsupported(m) => write!(f, "unsupported: {m}"),
            NativeError::Error(m) => write!(f, "error: {m}"),
        }
    }
}

/// Resolve a profile name (`host`, `cortex-a76`, `rv64gcv`, …) or file.
pub fn profile(target: &str) -> Result<Profile, NativeError> {
    Profile::resolve(target).map_err(|e| NativeError::Error(format!("target `{target}`: {e}")))
}

/// Compile `g` (all shapes static) for `p` with exported symbols prefixed by `name`.
pub fn compile(g: &Graph, p: &Profile, name: &str) -> Result<codegen::Artifacts, CodegenError> {
    edgec::native::compile_typed(g, p, name, codegen::Keep::default())
}

/// Run the default optimizer pipeline for `p` on `g`, as `edgec compile` does before codegen.
/// Returns the op histogram of what it made (`attention 1, matmul_fused 3, …`) for messages.
pub fn optimize(g: &mut Graph, p: &Profile) -> Result<String, NativeError> {
    passes::optimize(g, p).map_err(|e| NativeError::Error(format!("optimizer: {e}")))?;
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for id in g.node_ids() {
        let n = g.node(id).op.name();
        if n.contains("fused") || n == "attention" || n.ends_with("norm") {
            *counts.entry(n.to_string()).or_default() += 1;
        }
    }
    Ok(counts.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "))
}

/// Sort a code-generation error: `Unsupported` is a limitation, the rest are bugs.
pub fn classify(e: CodegenError) -> NativeError {
    match e {
        CodegenError::Unsupported { .. } => NativeError::Unsupported(format!("codegen: {e}")),
        other => NativeError::Error(format!("codegen: {other}")),
    }
}

/// Compile and link `g` for `p`, ready to run.
pub fn build(g: &Graph, p: &Profile, name: &str) -> Result<Linked, NativeError> {
    if !ir::fold::is_fully_static(g) {
        return Err(NativeError::Unsupported(format!("dynamic shapes after folding: {}", first_dynamic(g))));
    }
    let art = compile(g, p, name).map_err(classify)?;
    edgec::native::link(&art, p).map_err(|e| NativeError::Error(format!("link: {e}")))
}

/// The first value without a static shape, for messages.
pub fn first_dynamic(g: &Graph) -> String {
    for id in g.node_ids() {
        let n = g.node(id);
        for t in &n.outputs {
            if t.static_shape().is_none() {
                return format!("`{}` ({}) has type {t}", n.name, n.op.name());
            }
        }
    }
    "none".into()
}

/// Run a linked model on named inputs (taken in graph-input order); outputs named as the graph's.
pub fn run(linked: &Linked, g: &Graph, inputs: &[(String, Tensor)]) -> Result<Vec<(String, Tensor)>, NativeError> {
    let mut ordered = Vec::with_capacity(g.inputs().len());
    for &id in g.inputs() {
        let n = &g.node(id).name;
        let t = inputs
            .iter()
            .find(|(m, _)| m == n)
            .ok_or_else(|| NativeError::Error(format!("no value for graph input `{n}`")))?;
        ordered.push(t.1.clone());
    }
    let outs = linked.run(&ordered).map_err(|e| NativeError::Error(format!("run: {e}")))?;
    Ok(g.outputs().iter().map(|(n, _)| n.clone()).zip(outs).collect())
}

/// Compile, link and run in one go.
pub fn compile_and_run(g: &Graph, p: &Profile, name: &str, inputs: &[(String, Tensor)]) -> Result<Vec<(String, Tensor)>, NativeError> {
    let linked = build(g, p, name)?;
    run(&linked, g, inputs)
}

/// Whether the C compiler (and, for a foreign ISA, qemu and the sysroot) that `target` needs are
/// installed; `Err` names what is missing.
pub fn toolchain_available(target: &str) -> Result<(), String> {
    let p = Profile::resolve(target).map_err(|e| e.to_string())?;
    let have = |cmd: &str| Command::new(cmd).arg("--version").output().is_ok();
    let native = matches!(
        (std::env::consts::ARCH, p.isa()),
        ("x86_64", targets::Isa::X86_64) | ("aarch64", targets::Isa::AArch64) | ("riscv64", targets::Isa::RiscV64)
    );
    if native {
        return if have(&p.run.cc) || have("cc") { Ok(()) } else { Err(format!("no C compiler (`{}` or `cc`)", p.run.cc)) };
    }
    if !have(&p.run.cc) {
        return Err(format!("cross compiler `{}` not installed", p.run.cc));
    }
    let Some(q) = &p.run.qemu else { return Err(format!("profile {} names no qemu", p.name)) };
    if !have(q) {
        return Err(format!("`{q}` not installed"));
    }
    if let Some(root) = &p.run.sysroot {
        if !std::path::Path::new(root).is_dir() {
            return Err(format!("sysroot {root} missing"));
        }
    }
    Ok(())
}

/// For tests: `true` when `target`'s toolchain is present; otherwise prints a SKIPPED line and
/// returns `false`, or panics when the environment variable `CI` is set (CI must run them).
pub fn require_toolchain(target: &str, what: &str) -> bool {
    match toolchain_available(target) {
        Ok(()) => true,
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "{what} for {target}: {e} (CI is set: scripts/install-deps.sh should install it)");
            eprintln!("SKIPPED {what} for {target}: {e} (run scripts/install-deps.sh)");
            false
        }
    }
}

/// Whether a tensor is a small integer operand the compiled backend may specialise on.
pub fn bindable(t: &Tensor) -> bool {
    matches!(t.dtype(), ir::DType::I32 | ir::DType::I64) && t.len() <= 64
}
