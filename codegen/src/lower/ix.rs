//! Small emitters shared by the window kernels (conv, pool, resize…): index arithmetic with
//! compile-time constants folded, comparisons, `scf.if` with and without results, loop nests
//! that carry values, and flat 1-D views of memrefs.

use crate::mlir::{Func, Scalar};

/// `a + b` on `index`.
pub fn add(f: &mut Func, a: &str, b: &str) -> String {
    f.op(format!("arith.addi {a}, {b} : index"))
}

/// `Σ ivᵢ·cᵢ + c0` on `index` (terms with a zero coefficient are skipped; no op for 1 or 0).
pub fn lin(f: &mut Func, terms: &[(&str, i64)], c0: i64) -> String {
    let mut acc: Option<String> = None;
    for &(v, c) in terms {
        if c == 0 {
            continue;
        }
        let t = if c == 1 {
            v.to_string()
        } else {
            let k = f.cst(c.to_string(), "index");
            f.op(format!("arith.muli {v}, {k} : index"))
        };
        acc = Some(match acc {
            None => t,
            Some(a) => add(f, &a, &t),
        });
    }
    match acc {
        None => f.cst(c0.to_string(), "index"),
        Some(a) if c0 == 0 => a,
        Some(a) => {
            let k = f.cst(c0.to_string(), "index");
            add(f, &a, &k)
        }
    }
}

/// Signed comparison of two `index` values (`pred`: slt, sge, eq, …) → i1.
pub fn cmp(f: &mut Func, pred: &str, a: &str, b: &str) -> String {
    f.op(format!("arith.cmpi {pred}, {a}, {b} : index"))
}

/// Conjunction of i1 values (`true` when empty).
pub fn and_all(f: &mut Func, conds: &[String]) -> String {
    let mut it = conds.iter();
    let Some(first) = it.next() else { return f.cst("1", "i1") };
    let mut acc = first.clone();
    for c in it {
        acc = f.op(format!("arith.andi {acc}, {c} : i1"));
    }
    acc
}

/// `scf.if cond -> (tys) { then } else { els }`; returns the results.
pub fn if_else(
    f: &mut Func,
    cond: &str,
    tys: &[String],
    then: impl FnOnce(&mut Func) -> Vec<String>,
    els: impl FnOnce(&mut Func) -> Vec<String>,
) -> Vec<String> {
    let base = f.fresh();
    let (head, outs) = if tys.len() == 1 {
        (base.clone(), vec![base])
    } else {
        let b = base.replace("%v", "%r");
        let outs = (0..tys.len()).map(|i| format!("{b}#{i}")).collect();
        (format!("{b}:{}", tys.len()), outs)
    };
    let tl = tys.join(", ");
    f.line(format!("{head} = scf.if {cond} -> ({tl}) {{"));
    f.enter();
    let a = then(f);
    f.line(format!("scf.yield {} : {tl}", a.join(", ")));
    f.leave();
    f.line("} else {");
    f.enter();
    let b = els(f);
    f.line(format!("scf.yield {} : {tl}", b.join(", ")));
    f.leave();
    f.line("}");
    outs
}

/// The body of `fold_nest`: (func, indices, carried values) → new carried values.
pub type FoldBody<'a> = dyn FnMut(&mut Func, &[String], &[String]) -> Vec<String> + 'a;

/// A loop nest over `dims` carrying `inits` (value, type) through every level; `body` gets the
/// indices and the carried values and returns the new ones. Returns the final values.
pub fn fold_nest(
    f: &mut Func,
    dims: &[usize],
    inits: &[(String, String)],
    body: &mut FoldBody,
) -> Vec<String> {
    fn go(
        f: &mut Func,
        dims: &[usize],
        ivs: &mut Vec<String>,
        inits: &[(String, String)],
        body: &mut FoldBody,
    ) -> Vec<String> {
        if ivs.len() == dims.len() {
            let vals: Vec<String> = inits.iter().map(|(v, _)| v.clone()).collect();
            let iv = ivs.clone();
            return body(f, &iv, &vals);
        }
        let d = dims[ivs.len()];
        let tys: Vec<String> = inits.iter().map(|(_, t)| t.clone()).collect();
        f.for_iter(0, d, 1, inits, |f, iv, carried| {
            ivs.push(iv.to_string());
            let next: Vec<(String, String)> = carried.iter().cloned().zip(tys.iter().cloned()).collect();
            let r = go(f, dims, ivs, &next, body);
            ivs.pop();
            r
        })
    }
    let mut ivs = vec![];
    go(f, dims, &mut ivs, inits, body)
}

/// A flat 1-D view (`memref<n x e>`) of memref `mem` of type `mty`.
pub fn flat(f: &mut Func, mem: &str, mty: &str, n: usize, e: &str) -> String {
    f.op(format!(
        "memref.reinterpret_cast {mem} to offset: [0], sizes: [{n}], strides: [1] : {mty} to memref<{n}x{e}>"
    ))
}

/// A typed view `memref<n x e>` of scratch bytes at byte offset `off` (must be aligned).
pub fn scratch_view(f: &mut Func, scratch: &(String, usize), off: usize, n: usize, e: &str) -> String {
    let (s, bytes) = scratch;
    let o = f.idx(off);
    f.op(format!("memref.view {s}[{o}][] : memref<{bytes}xi8> to memref<{n}x{e}>"))
}

/// `a + b·c` in a compute scalar type (fma-free: matches a separate multiply and add).
pub fn mul_add(f: &mut Func, acc: &str, a: &str, b: &str, s: Scalar) -> String {
    let t = s.ty();
    if s.is_float() {
        let p = f.op(format!("arith.mulf {a}, {b} : {t}"));
        f.op(format!("arith.addf {acc}, {p} : {t}"))
    } else {
        let p = f.op(format!("arith.muli {a}, {b} : {t}"));
        f.op(format!("arith.addi {acc}, {p} : {t}"))
    }
}

/// `a + b` in a compute scalar type.
pub fn sadd(f: &mut Func, a: &str, b: &str, s: Scalar) -> String {
    let t = s.ty();
    if s.is_float() {
        f.op(format!("arith.addf {a}, {b} : {t}"))
    } else {
        f.op(format!("arith.addi {a}, {b} : {t}"))
    }
}
