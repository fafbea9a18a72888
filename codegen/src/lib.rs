//! Native code generation from the IR: the only crate that links LLVM/MLIR. A static graph is
//! planned into buffers (`plan`), each node is lowered to an MLIR kernel (`lower`), the module
//! is lowered to LLVM IR, entry points are added with inkwell (`entry`), and LLVM emits an
//! object for the device profile's target machine (`backend`).

pub mod backend;
mod entry;
pub mod error;
pub mod header;
pub mod layout;
pub mod lower;
pub mod manifest;
pub mod mlir;
mod module;
pub mod plan;
pub mod scalar;
pub mod work;

pub use backend::{Keep, TargetSpec};
pub use error::{CodegenError, Result};
pub use lower::KernelTarget;
pub use manifest::Manifest;
pub use module::PROFILE_HOOK;

use ir::Graph;
use manifest::{KernelEntry, TargetInfo, TensorInfo};

/// What a compilation produces.
#[derive(Debug)]
pub struct Artifacts {
    pub object: Vec<u8>,
    pub header: String,
    pub manifest: Manifest,
    /// The generated MLIR (upstream dialects, before lowering).
    pub mlir: String,
    pub llvm_dialect: Option<String>,
    pub llvm_ir: Option<String>,
    pub asm: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// C identifier prefixing every exported symbol.
    pub name: String,
    /// Name of the device profile (recorded in the manifest).
    pub target_name: String,
    pub keep: Keep,
    /// Instrumented build for `edgec bench`: the body calls the external C function
    /// `void edgec_prof_mark(int32_t index)` with 0 before the first kernel and k + 1 after
    /// kernel k, so the caller must define it. Normal builds have no hook.
    pub profile: bool,
}

/// Turn a model name into a C identifier (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn c_identifier(s: &str) -> String {
    let mut o: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    if o.is_empty() || o.starts_with(|c: char| c.is_ascii_digit()) {
        o.insert(0, '_');
    }
    o
}

fn unique_c_names(names: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .map(|n| {
            let base = c_identifier(n);
            let mut c = base.clone();
            let mut k = 1;
            while !seen.insert(c.clone()) {
                k += 1;
                c = format!("{base}_{k}");
            }
            c
        })
        .collect()
}

/// Compile a graph whose shapes are all static.
pub fn compile(g: &Graph, spec: &TargetSpec, kt: &KernelTarget, opts: &Options) -> Result<Artifacts> {
    let prefix = c_identifier(&opts.name);
    let mut owned = g.clone();
    layout::pretranspose_constant_weights(&mut owned);
    let g = &owned;
    let plan = plan::plan(g, &|id| lower::scratch_bytes(g, id, kt))?;
    let m = module::build(g, &plan, kt, &prefix, opts.profile)?;
    let body = m.body.clone();
    // Only the entry points are exported: the body and the kernels (whose names carry no
    // prefix) become internal, so several compiled models link into one program.
    let mut internal = vec![body.as_str()];
    internal.extend(m.kernels.iter().map(|k| k.func.as_str()));
    let lowered = backend::lower(&m.text, spec, opts.keep, &internal, &|ctx, llm| {
        entry::add_entry_points(ctx, llm, &plan, &prefix, &body)
    })?;

    let tensor = |name: &str, v: ir::ValueId, c_name: String| -> TensorInfo {
        let t = g.value_type(v);
        let shape = t.static_shape().unwrap_or_default();
        TensorInfo {
            name: name.to_string(),
            c_name,
            dtype: t.dtype.name().to_string(),
            bytes: t.dtype.bytes_for(shape.iter().product()),
            shape,
        }
    };
    let in_names: Vec<String> = g.inputs().iter().map(|&id| g.node(id).name.clone()).collect();
    let out_names: Vec<String> = g.outputs().iter().map(|(n, _)| n.clone()).collect();
    let mut all = in_names.clone();
    all.extend(out_names.iter().cloned());
    let c_names = unique_c_names(&all);
    let inputs = g
        .inputs()
        .iter()
        .enumerate()
        .map(|(i, &id)| tensor(&in_names[i], ir::ValueId::new(id, 0), c_names[i].clone()))
        .collect();
    let outputs = g
        .outputs()
        .iter()
        .enumerate()
        .map(|(j, (n, v))| tensor(n, *v, c_names[in_names.len() + j].clone()))
        .collect();
    let manifest = Manifest {
        schema: 1,
        name: prefix.clone(),
        edgec_version: env!("CARGO_PKG_VERSION").to_string(),
        target: TargetInfo {
            name: opts.target_name.clone(),
            triple: spec.triple.clone(),
            cpu: spec.cpu.clone(),
            features: spec.features.clone(),
        },
        inputs,
        outputs,
        workspace_bytes: plan.arena_bytes,
        weights_bytes: plan.weights.len(),
        kernels: m
            .kernels
            .iter()
            .map(|k| KernelEntry {
                func: k.func.clone(),
                node: k.node.clone(),
                op: k.op.clone(),
                flops: k.work.flops,
                bytes: k.work.bytes,
            })
            .collect(),
    };
    Ok(Artifacts {
        object: lowered.object,
        header: header::header(&manifest),
        manifest,
        mlir: m.text,
        llvm_dialect: lowered.llvm_dialect,
        llvm_ir: lowered.llvm_ir,
        asm: lowered.asm,
    })
}
