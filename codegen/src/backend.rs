//! The back end: MLIR text → LLVM dialect (an MLIR pass pipeline) → LLVM IR (mlir-sys
//! translation into an inkwell context) → entry points added with inkwell → LLVM's O3 pipeline →
//! object code or assembly for the profile's target machine.

use crate::error::{CodegenError, Result};
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{
    CodeModel, FileType, InitializationConfig, RelocMode, Target, TargetMachine, TargetTriple,
};
use inkwell::OptimizationLevel;
use melior::dialect::DialectRegistry;
use melior::ir::operation::OperationLike;
use melior::ir::Module as MlirModule;
use melior::pass::PassManager;
use melior::utility::{
    parse_pass_pipeline, register_all_dialects, register_all_llvm_translations, register_all_passes,
};
use std::cell::RefCell;
use std::sync::Once;

/// What LLVM needs to know about the device (taken from a `targets::Profile`).
#[derive(Clone, Debug)]
pub struct TargetSpec {
    pub triple: String,
    pub cpu: String,
    pub features: String,
    /// Widest vector the kernels should use, in bits (sets x86's prefer-vector-width).
    pub vector_bits: u32,
}

/// Which text forms to keep besides the object code.
#[derive(Clone, Copy, Debug, Default)]
pub struct Keep {
    pub llvm_dialect: bool,
    pub llvm_ir: bool,
    pub asm: bool,
}

#[derive(Debug, Default)]
pub struct Lowered {
    pub object: Vec<u8>,
    pub llvm_dialect: Option<String>,
    pub llvm_ir: Option<String>,
    pub asm: Option<String>,
}

/// The MLIR pass pipeline, in order:
/// - linalg → scf loops first, while ops still carry their structure (canonicalize + cse tidy
///   the index arithmetic the loops introduce);
/// - scf → cf and affine → arith before any LLVM conversion, because the *-to-llvm patterns
///   expect flat control flow;
/// - math.ipowi → generated functions (math-to-funcs), then math → LLVM intrinsics before math → libm so only what has no intrinsic (erf, tan, …)
///   becomes a libm call (intrinsics vectorize, calls do not);
/// - memref last among the data conversions (it needs expanded strided metadata), then
///   functions with the bare-pointer convention so the C entry points take plain pointers;
/// - reconcile-unrealized-casts removes the casts the partial conversions left behind.
pub const MLIR_PIPELINE: &str = "builtin.module(\
func.func(convert-linalg-to-loops),canonicalize,cse,\
convert-vector-to-scf,convert-scf-to-cf,lower-affine,arith-expand,\
convert-vector-to-llvm,convert-math-to-funcs,convert-math-to-llvm,convert-math-to-libm,\
expand-strided-metadata,finalize-memref-to-llvm,convert-arith-to-llvm,convert-index-to-llvm,\
convert-cf-to-llvm,convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},\
reconcile-unrealized-casts)";

fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        register_all_passes();
        Target::initialize_all(&InitializationConfig::default());
    });
}

fn mlir_context() -> melior::Context {
    let registry = DialectRegistry::new();
    register_all_dialects(&registry);
    let context = melior::Context::new();
    context.append_dialect_registry(&registry);
    context.load_all_available_dialects();
    register_all_llvm_translations(&context);
    // Single-threaded: callers compile in parallel at a coarser grain.
    context.enable_multi_threading(false);
    context
}

/// Create the target machine for a spec (also used to check a profile before compiling).
pub fn target_machine(spec: &TargetSpec) -> Result<TargetMachine> {
    init();
    let llvm_err = |message: String| CodegenError::Llvm { stage: "target", message };
    let triple = TargetTriple::create(&spec.triple);
    let target = Target::from_triple(&triple)
        .map_err(|e| llvm_err(format!("unknown triple '{}': {e}", spec.triple)))?;
    target
        .create_target_machine(
            &triple,
            &spec.cpu,
            &spec.features,
            OptimizationLevel::Aggressive,
            RelocMode::PIC,
            CodeModel::Default,
        )
        .ok_or_else(|| llvm_err(format!("cannot create a target machine for {spec:?}")))
}

/// Lower `mlir` (a module in upstream dialects) to an object for `spec`. `entry` adds the
/// C-callable entry points to the translated LLVM module; `internal` names the functions that
/// become internal once the entry points exist (so LLVM may inline them away).
pub fn lower(
    mlir: &str,
    spec: &TargetSpec,
    keep: Keep,
    internal: &[&str],
    entry: &dyn for<'c> Fn(&'c Context, &Module<'c>) -> Result<()>,
) -> Result<Lowered> {
    init();
    let tm = target_machine(spec)?;
    let mctx = mlir_context();
    let diags = RefCell::new(Vec::<String>::new());
    let handler = mctx.attach_diagnostic_handler(|d| {
        diags.borrow_mut().push(format!("{}: {}", d.location(), d));
        true
    });
    let mut module = MlirModule::parse(&mctx, mlir).ok_or_else(|| CodegenError::Mlir {
        stage: "parse",
        message: with_source_lines(&diags.borrow(), mlir),
    })?;
    if !module.as_operation().verify() {
        return Err(CodegenError::Mlir { stage: "verify", message: with_source_lines(&diags.borrow(), mlir) });
    }
    let pm = PassManager::new(&mctx);
    parse_pass_pipeline(pm.as_operation_pass_manager(), MLIR_PIPELINE)
        .map_err(|e| CodegenError::Mlir { stage: "pipeline parse", message: e.to_string() })?;
    pm.run(&mut module).map_err(|e| CodegenError::Mlir {
        stage: "lowering to the LLVM dialect",
        message: format!("{e}\n{}", diags.borrow().join("\n")),
    })?;
    let mut out = Lowered::default();
    if keep.llvm_dialect {
        out.llvm_dialect = Some(module.as_operation().to_string());
    }

    let ctx = Context::create();
    // SAFETY: melior and inkwell link the same LLVM; the translation creates the module in
    // `ctx`, and the inkwell Module takes ownership of it (dropped before `ctx`).
    let raw = unsafe {
        mlir_sys::mlirTranslateModuleToLLVMIR(
            module.as_operation().to_raw(),
            ctx.raw() as mlir_sys::LLVMContextRef,
        )
    };
    mctx.detach_diagnostic_handler(handler);
    if raw.is_null() {
        return Err(CodegenError::Mlir {
            stage: "translation to LLVM IR",
            message: diags.borrow().join("\n"),
        });
    }
    let llmod: Module = unsafe { Module::new(raw as inkwell::llvm_sys::prelude::LLVMModuleRef) };
    drop(module);
    let triple = TargetTriple::create(&spec.triple);
    llmod.set_triple(&triple);
    llmod.set_data_layout(&tm.get_target_data().get_data_layout());
    entry(&ctx, &llmod)?;
    for name in internal {
        if let Some(f) = llmod.get_function(name) {
            f.set_linkage(Linkage::Internal);
        }
    }
    set_function_attributes(&ctx, &llmod, spec);
    llmod
        .verify()
        .map_err(|e| CodegenError::Llvm { stage: "verify", message: e.to_string() })?;
    llmod
        .run_passes("default<O3>", &tm, PassBuilderOptions::create())
        .map_err(|e| CodegenError::Llvm { stage: "O3", message: e.to_string() })?;
    if keep.llvm_ir {
        out.llvm_ir = Some(llmod.print_to_string().to_string());
    }
    if keep.asm {
        let buf = tm
            .write_to_memory_buffer(&llmod, FileType::Assembly)
            .map_err(|e| CodegenError::Llvm { stage: "asm emission", message: e.to_string() })?;
        out.asm = Some(String::from_utf8_lossy(buf.as_slice()).into_owned());
    }
    let buf = tm
        .write_to_memory_buffer(&llmod, FileType::Object)
        .map_err(|e| CodegenError::Llvm { stage: "object emission", message: e.to_string() })?;
    out.object = buf.as_slice().to_vec();
    Ok(out)
}

/// Every defined function gets the profile's cpu/features (so the vectorizer's cost model is
/// the device's) and, on x86, the preferred vector width (LLVM otherwise caps AVX-512 at 256).
fn set_function_attributes(ctx: &Context, m: &Module, spec: &TargetSpec) {
    let is_x86 = spec.triple.starts_with("x86_64");
    let mut f = m.get_first_function();
    while let Some(func) = f {
        if func.count_basic_blocks() > 0 {
            let idx = inkwell::attributes::AttributeLoc::Function;
            func.add_attribute(idx, ctx.create_string_attribute("target-cpu", &spec.cpu));
            if !spec.features.is_empty() {
                func.add_attribute(
                    idx,
                    ctx.create_string_attribute("target-features", &spec.features),
                );
            }
            if is_x86 {
                let w = spec.vector_bits.to_string();
                func.add_attribute(idx, ctx.create_string_attribute("prefer-vector-width", &w));
                func.add_attribute(idx, ctx.create_string_attribute("min-legal-vector-width", &w));
            }
            func.add_attribute(idx, ctx.create_string_attribute("frame-pointer", "none"));
            let nounwind = inkwell::attributes::Attribute::get_named_enum_kind_id("nounwind");
            func.add_attribute(idx, ctx.create_enum_attribute(nounwind, 0));
        }
        f = func.get_next_function();
    }
}

/// Diagnostics with the generated source line each one points at (`loc("-":LINE:COL)`).
fn with_source_lines(diags: &[String], src: &str) -> String {
    let lines: Vec<&str> = src.lines().collect();
    let mut out = vec![];
    for d in diags {
        out.push(d.clone());
        if let Some(rest) = d.split("loc(\"-\":").nth(1) {
            if let Some(n) = rest.split(':').next().and_then(|n| n.parse::<usize>().ok()) {
                if let Some(l) = lines.get(n.wrapping_sub(1)) {
                    out.push(format!("  at line {n}: {}", l.trim()));
                }
            }
        }
    }
    out.join("\n")
}
