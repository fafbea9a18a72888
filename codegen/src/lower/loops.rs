//! Control flow and index arithmetic for kernels whose loops depend on run-time values:
//! `scf.for` with SSA bounds (and carried values), `scf.if`, and turning integer tensor
//! elements into in-range `index` values (negative indices wrap, out-of-range ones clamp).

use crate::mlir::{Func, Scalar};
use ir::DType;

/// `scf.for %i = lo to hi step 1` where `lo` and `hi` are SSA `index` values.
pub fn for_dyn(f: &mut Func, lo: &str, hi: &str, body: impl FnOnce(&mut Func, &str)) {
    let one = f.idx(1);
    let iv = f.fresh();
    f.line(format!("scf.for {iv} = {lo} to {hi} step {one} {{"));
    f.enter();
    body(f, &iv);
    f.leave();
    f.line("}");
}

/// Like `for_dyn`, carrying `inits` (value, type); `body` returns the values to yield. Returns
/// the loop results.
pub fn for_iter_dyn(
    f: &mut Func,
    lo: &str,
    hi: &str,
    inits: &[(String, String)],
    body: impl FnOnce(&mut Func, &str, &[String]) -> Vec<String>,
) -> Vec<String> {
    let one = f.idx(1);
    let iv = f.fresh();
    let carried: Vec<String> = inits.iter().map(|_| f.fresh()).collect();
    let args: Vec<String> = carried.iter().zip(inits).map(|(c, (v, _))| format!("{c} = {v}")).collect();
    let tys: Vec<&str> = inits.iter().map(|(_, t)| t.as_str()).collect();
    let (head, outs) = results(f, inits.len());
    f.line(format!(
        "{head} = scf.for {iv} = {lo} to {hi} step {one} iter_args({}) -> ({}) {{",
        args.join(", "),
        tys.join(", ")
    ));
    f.enter();
    let ys = body(f, &iv, &carried);
    f.line(format!("scf.yield {} : {}", ys.join(", "), tys.join(", ")));
    f.leave();
    f.line("}");
    outs
}

/// Names for `n` results of one op: `%vN` for one, `%rN:n` read as `%rN#i` for several.
fn results(f: &mut Func, n: usize) -> (String, Vec<String>) {
    if n == 1 {
        let v = f.fresh();
        (v.clone(), vec![v])
    } else {
        let base = f.fresh().replace("%v", "%r");
        let outs = (0..n).map(|i| format!("{base}#{i}")).collect();
        (format!("{base}:{n}"), outs)
    }
}

/// `scf.if cond { then }` without results.
pub fn if_then(f: &mut Func, cond: &str, then: impl FnOnce(&mut Func)) {
    f.line(format!("scf.if {cond} {{"));
    f.enter();
    then(f);
    f.leave();
    f.line("}");
}

/// `scf.if cond { then } else { els }` without results.
pub fn if_then_else(f: &mut Func, cond: &str, then: impl FnOnce(&mut Func), els: impl FnOnce(&mut Func)) {
    f.line(format!("scf.if {cond} {{"));
    f.enter();
    then(f);
    f.leave();
    f.line("} else {");
    f.enter();
    els(f);
    f.leave();
    f.line("}");
}

/// `scf.if` yielding values from both branches.
pub use super::ix::if_else;

/// An integer compute scalar of dtype `dt` as an `index` (sign- or zero-extended by dtype).
pub fn to_index(f: &mut Func, v: &str, dt: DType) -> String {
    match Scalar::of(dt) {
        Some(Scalar::Int { bits, signed: true }) => f.op(format!("arith.index_cast {v} : i{bits} to index")),
        Some(Scalar::Int { bits, signed: false }) => f.op(format!("arith.index_castui {v} : i{bits} to index")),
        Some(Scalar::Bool) => f.op(format!("arith.index_castui {v} : i1 to index")),
        // Float indices are not produced by any caller; truncate toward zero like a cast.
        Some(Scalar::Float(b)) => {
            let i = f.op(format!("arith.fptosi {v} : f{b} to i64"));
            f.op(format!("arith.index_cast {i} : i64 to index"))
        }
        None => f.idx(0),
    }
}

/// Wrap a possibly negative index `i` by the dimension size `d` (> 0), then clamp it into
/// `[0, d)`. The interpreter rejects out-of-range indices; a compiled kernel cannot report
/// errors yet, so it clamps instead (documented divergence).
pub fn wrap_clamp(f: &mut Func, i: &str, d: usize) -> String {
    let zero = f.idx(0);
    let dd = f.idx(d);
    let last = f.idx(d.saturating_sub(1));
    let neg = f.op(format!("arith.cmpi slt, {i}, {zero} : index"));
    let plus = f.op(format!("arith.addi {i}, {dd} : index"));
    let w = f.op(format!("arith.select {neg}, {plus}, {i} : index"));
    let lo = f.op(format!("arith.maxsi {w}, {zero} : index"));
    f.op(format!("arith.minsi {lo}, {last} : index"))
}

/// Load an integer index element `mem[idx]` (dtype `dt`) and wrap/clamp it into `[0, d)`.
pub fn load_index(f: &mut Func, mem: &str, mty: &str, idx: &[String], dt: DType, d: usize) -> String {
    let v = f.load(mem, mty, idx, dt);
    let i = to_index(f, &v, dt);
    wrap_clamp(f, &i, d)
}

/// `a + b` on index values where `b` is a constant.
pub fn add_const(f: &mut Func, a: &str, b: i64) -> String {
    if b == 0 {
        return a.to_string();
    }
    let c = f.cst(b.to_string(), "index");
    f.op(format!("arith.addi {a}, {c} : index"))
}
