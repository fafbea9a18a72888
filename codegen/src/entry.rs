//! The C entry points, written with inkwell into the translated module: the weights blob as
//! read-only data, `<name>_workspace_size()`, and `<name>_run(inputs, outputs, workspace)`,
//! which checks its pointers and calls the MLIR body.

use crate::error::{CodegenError, Result};
use crate::plan::{Plan, ALIGN};
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::AddressSpace;
use inkwell::IntPredicate;

fn e<T>(r: std::result::Result<T, inkwell::builder::BuilderError>) -> Result<T> {
    r.map_err(|x| CodegenError::Llvm { stage: "entry points", message: x.to_string() })
}

/// Error codes returned by `<name>_run` (also in the generated header).
pub const OK: u64 = 0;
pub const ERR_NULL: u64 = 1;
pub const ERR_ALIGN: u64 = 2;

pub fn add_entry_points<'c>(ctx: &'c Context, m: &Module<'c>, plan: &Plan, prefix: &str, body: &str) -> Result<()> {
    let err = |message: String| CodegenError::Llvm { stage: "entry points", message };
    let i8t = ctx.i8_type();
    let i32t = ctx.i32_type();
    let i64t = ctx.i64_type();
    let ptr = ctx.ptr_type(AddressSpace::default());
    let b = ctx.create_builder();

    // Weights: one read-only, 64-byte aligned blob.
    let bytes: &[u8] = if plan.weights.is_empty() { &[0] } else { &plan.weights };
    let init = ctx.const_string(bytes, false);
    let w = m.add_global(init.get_type(), None, &format!("{prefix}_weights"));
    w.set_initializer(&init);
    w.set_constant(true);
    w.set_linkage(Linkage::Private);
    w.set_alignment(ALIGN as u32);

    // size_t <name>_workspace_size(void)
    let ws_fn = m.add_function(&format!("{prefix}_workspace_size"), i64t.fn_type(&[], false), None);
    b.position_at_end(ctx.append_basic_block(ws_fn, "entry"));
    b.build_return(Some(&i64t.const_int(plan.arena_bytes as u64, false))).map_err(|e| err(e.to_string()))?;

    // int <name>_run(const void *const *inputs, void *const *outputs, void *workspace)
    let body_fn = m.get_function(body).ok_or_else(|| err(format!("body function {body} missing")))?;
    let run = m.add_function(&format!("{prefix}_run"), i32t.fn_type(&[ptr.into(), ptr.into(), ptr.into()], false), None);
    let entry = ctx.append_basic_block(run, "entry");
    let fail_null = ctx.append_basic_block(run, "null");
    let fail_align = ctx.append_basic_block(run, "misaligned");
    b.position_at_end(fail_null);
    b.build_return(Some(&i32t.const_int(ERR_NULL, false))).map_err(|e| err(e.to_string()))?;
    b.position_at_end(fail_align);
    b.build_return(Some(&i32t.const_int(ERR_ALIGN, false))).map_err(|e| err(e.to_string()))?;

    b.position_at_end(entry);
    let ins = run.get_nth_param(0).unwrap().into_pointer_value();
    let outs = run.get_nth_param(1).unwrap().into_pointer_value();
    let ws = run.get_nth_param(2).unwrap().into_pointer_value();
    // Check a pointer is non-null, continuing in a fresh block.
    let check_null = |p: inkwell::values::PointerValue<'c>, what: &str| -> Result<()> {
        let is_null = e(b.build_is_null(p, what))?;
        let next = ctx.append_basic_block(run, "ok");
        e(b.build_conditional_branch(is_null, fail_null, next))?;
        b.position_at_end(next);
        Ok(())
    };
    let mut args: Vec<inkwell::values::BasicMetadataValueEnum<'c>> = vec![w.as_pointer_value().into()];
    if plan.arena_bytes > 0 {
        check_null(ws, "ws_null")?;
        let addr = e(b.build_ptr_to_int(ws, i64t, "ws_addr"))?;
        let low = e(b.build_and(addr, i64t.const_int(ALIGN as u64 - 1, false), "low"))?;
        let bad = e(b.build_int_compare(IntPredicate::NE, low, i64t.const_zero(), "bad"))?;
        let next = ctx.append_basic_block(run, "aligned");
        e(b.build_conditional_branch(bad, fail_align, next))?;
        b.position_at_end(next);
    }
    args.push(ws.into());
    let load_each = |arr: inkwell::values::PointerValue<'c>, n: usize, what: &str, args: &mut Vec<inkwell::values::BasicMetadataValueEnum<'c>>| -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        check_null(arr, what)?;
        for i in 0..n {
            let slot = unsafe { e(b.build_in_bounds_gep(ptr, arr, &[i64t.const_int(i as u64, false)], "slot"))? };
            let p = e(b.build_load(ptr, slot, &format!("{what}{i}")))?.into_pointer_value();
            check_null(p, what)?;
            args.push(p.into());
        }
        Ok(())
    };
    load_each(ins, plan.input_bytes.len(), "in", &mut args)?;
    load_each(outs, plan.output_bytes.len(), "out", &mut args)?;
    e(b.build_call(body_fn, &args, ""))?;
    e(b.build_return(Some(&i32t.const_int(OK, false))))?;
    let _ = i8t;
    Ok(())
}
