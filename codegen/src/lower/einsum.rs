//! Einsum as one `linalg.generic` over every label: output labels are parallel loops, the
//! others reductions; an operand reads each of its dims at its label's loop index (a repeated
//! label reads the diagonal, a size-1 dim broadcast against a larger label reads index 0). The
//! body multiplies the operands and adds into the output (zero-filled first). The equation is
//! resolved as `ir`'s einsum does (implicit output, ellipsis, broadcasting). f16/bf16 operands
//! accumulate in an f32 scratch buffer and are rounded once, like the interpreter.

use super::{Kernel, KernelTarget};
use crate::error::Result;
use crate::mlir::{elem_type, memref_type, Scalar};
use ir::{DType, Graph, NodeId, Op};
use std::collections::BTreeMap;

/// A label: an ASCII letter's code, or `ELLIPSIS + j` for the j-th ellipsis dim.
type Id = u16;
const ELLIPSIS: Id = 256;

struct Term {
    letters: Vec<u8>,
    ellipsis: Option<usize>,
}

fn parse_term(s: &str) -> std::result::Result<Term, String> {
    let b = s.as_bytes();
    let (mut letters, mut ellipsis, mut i) = (vec![], None, 0);
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_alphabetic() => {
                letters.push(c);
                i += 1;
            }
            b'.' if b.get(i..i + 3) == Some(b"...") && ellipsis.is_none() => {
                ellipsis = Some(letters.len());
                i += 3;
            }
            c => return Err(format!("unexpected `{}` in term `{s}`", c as char)),
        }
    }
    Ok(Term { letters, ellipsis })
}

/// Labels of each operand's dims and of the output, for operands of ranks `ranks`.
fn labels(equation: &str, ranks: &[usize]) -> std::result::Result<(Vec<Vec<Id>>, Vec<Id>), String> {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let terms = lhs.split(',').map(parse_term).collect::<std::result::Result<Vec<_>, _>>()?;
    if terms.len() != ranks.len() {
        return Err(format!("{} terms for {} operands", terms.len(), ranks.len()));
    }
    let mut ell = vec![];
    for (t, &r) in terms.iter().zip(ranks) {
        if (t.ellipsis.is_none() && r != t.letters.len()) || r < t.letters.len() {
            return Err(format!("an operand of rank {r} for a term of {} labels", t.letters.len()));
        }
        ell.push(r - t.letters.len());
    }
    let e = ell.iter().copied().max().unwrap_or(0);
    let expand = |t: &Term, n: usize| -> Vec<Id> {
        let mut ids: Vec<Id> = t.letters.iter().map(|&c| c as Id).collect();
        if let Some(p) = t.ellipsis {
            ids.splice(p..p, (e - n..e).map(|j| ELLIPSIS + j as Id));
        }
        ids
    };
    let inputs: Vec<Vec<Id>> = terms.iter().zip(&ell).map(|(t, &n)| expand(t, n)).collect();
    let output = match rhs {
        Some(r) => {
            let t = parse_term(r)?;
            if t.ellipsis.is_none() && e > 0 {
                return Err("the output has no `...` but the operands' ellipses cover dims".into());
            }
            expand(&t, e)
        }
        None => {
            let mut counts: BTreeMap<u8, usize> = BTreeMap::new();
            for t in &terms {
                for &c in &t.letters {
                    *counts.entry(c).or_default() += 1;
                }
            }
            let mut out: Vec<Id> = (0..e).map(|j| ELLIPSIS + j as Id).collect();
            out.extend(counts.into_iter().filter(|&(_, n)| n == 1).map(|(c, _)| c as Id));
            out
        }
    };
    Ok((inputs, output))
}

/// f16/bf16 results accumulate in f32 scratch.
fn widened(dt: DType) -> bool {
    matches!(dt, DType::F16 | DType::BF16)
}

pub fn scratch_bytes(g: &Graph, id: NodeId, _t: &KernelTarget) -> usize {
    let ty = &g.node(id).outputs[0];
    match ty.static_shape() {
        Some(s) if widened(ty.dtype) => 4 * s.iter().product::<usize>().max(1),
        _ => 0,
    }
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::Einsum { equation } = &k.node.op else { unreachable!() };
    let ins: Vec<_> = k.ins.iter().flatten().cloned().collect();
    let y = k.outs[0].clone();
    let s = match Scalar::of(y.dt) {
        Some(s @ (Scalar::Float(_) | Scalar::Int { .. })) => s,
        _ => return k.unsupported(format!("einsum of {}", y.dt)),
    };
    let ranks: Vec<usize> = ins.iter().map(|o| o.shape.len()).collect();
    let (inputs, output) = match labels(equation, &ranks) {
        Ok(l) => l,
        Err(e) => return k.unsupported(format!("equation `{equation}`: {e}")),
    };
    // Label sizes (1 broadcasts against any size).
    let mut sizes: BTreeMap<Id, usize> = BTreeMap::new();
    for (ids, o) in inputs.iter().zip(&ins) {
        for (&id, &d) in ids.iter().zip(&o.shape) {
            let cur = sizes.entry(id).or_insert(d);
            if *cur == 1 {
                *cur = d;
            } else if d != 1 && d != *cur {
                return k.unsupported(format!("label sizes {} and {d} differ", *cur));
            }
        }
    }
    let out_shape: Vec<usize> = output.iter().map(|id| sizes.get(id).copied().unwrap_or(1)).collect();
    if out_shape != y.shape {
        return k.unsupported(format!("output shape {:?} differs from {:?}", out_shape, y.shape));
    }
    // Loop dims: the output labels, then the summed ones.
    let mut loops: Vec<Id> = output.clone();
    loops.extend(sizes.keys().copied().filter(|id| !output.contains(id)));
    let pos = |id: &Id| loops.iter().position(|x| x == id).unwrap_or(0);
    let dims: Vec<String> = (0..loops.len()).map(|i| format!("d{i}")).collect();
    let map = |e: &[String]| format!("affine_map<({}) -> ({})>", dims.join(", "), e.join(", "));
    let mut maps: Vec<String> = inputs
        .iter()
        .zip(&ins)
        .map(|(ids, o)| {
            let e: Vec<String> = ids
                .iter()
                .zip(&o.shape)
                .map(|(id, &d)| if d == 1 && sizes[id] != 1 { "0".into() } else { format!("d{}", pos(id)) })
                .collect();
            map(&e)
        })
        .collect();
    let oe: Vec<String> = (0..output.len()).map(|i| format!("d{i}")).collect();
    maps.push(map(&oe));
    let iters: Vec<&str> =
        (0..loops.len()).map(|i| if i < output.len() { "\"parallel\"" } else { "\"reduction\"" }).collect();

    // Accumulator: the output itself, or an f32 view of the scratch for f16/bf16.
    let (acc, acc_ty, acc_e) = if widened(y.dt) {
        let Some((sm, bytes)) = k.scratch.clone() else {
            return k.unsupported("missing scratch for the f32 accumulator");
        };
        let ty = memref_type(&y.shape, DType::F32);
        let z = k.f.idx(0);
        let v = k.f.op(format!("memref.view {sm}[{z}][] : memref<{bytes}xi8> to {ty}"));
        (v, ty, "f32")
    } else {
        (y.mem.clone(), y.mty.clone(), elem_type(y.dt).unwrap_or("i8"))
    };
    let zero = k.f.fconst(0.0, s);
    k.f.line(format!("linalg.fill ins({zero} : {acc_e}) outs({acc} : {acc_ty})"));
    if ins.iter().any(|o| o.numel() == 0) || y.numel() == 0 && !y.shape.is_empty() {
        // Empty sum: zeros.
        return finish(k, &acc, &acc_ty);
    }
    let names: Vec<&str> = ins.iter().map(|o| o.mem.as_str()).collect();
    let tys: Vec<&str> = ins.iter().map(|o| o.mty.as_str()).collect();
    k.f.line(format!(
        "linalg.generic {{indexing_maps = [{}], iterator_types = [{}]}} ins({} : {}) outs({acc} : {acc_ty}) {{",
        maps.join(", "),
        iters.join(", "),
        names.join(", "),
        tys.join(", ")
    ));
    let args: Vec<String> = ins.iter().map(|_| k.f.fresh()).collect();
    let yarg = k.f.fresh();
    let mut decl: Vec<String> =
        ins.iter().zip(&args).map(|(o, a)| format!("{a}: {}", elem_type(o.dt).unwrap_or("i8"))).collect();
    decl.push(format!("{yarg}: {acc_e}"));
    k.f.line(format!("^bb0({}):", decl.join(", ")));
    k.f.enter();
    let vals: Vec<String> = ins.iter().zip(&args).map(|(o, a)| k.f.widen(a, o.dt)).collect();
    let t = s.ty();
    let (mul, add) = if s.is_float() { ("mulf", "addf") } else { ("muli", "addi") };
    let mut p = vals[0].clone();
    for v in &vals[1..] {
        p = k.f.op(format!("arith.{mul} {p}, {v} : {t}"));
    }
    let r = k.f.op(format!("arith.{add} {yarg}, {p} : {t}"));
    k.f.line(format!("linalg.yield {r} : {acc_e}"));
    k.f.leave();
    k.f.line("}");
    finish(k, &acc, &acc_ty)
}

/// Round the f32 accumulator into an f16/bf16 output (nothing to do otherwise).
fn finish(k: &mut Kernel, acc: &str, acc_ty: &str) -> Result<()> {
    let y = k.outs[0].clone();
    if !widened(y.dt) {
        return Ok(());
    }
    let src = super::Operand { mem: acc.into(), mty: acc_ty.into(), shape: y.shape.clone(), dt: DType::F32, konst: None };
    let r = super::elementwise::generic(&mut k.f, &[&src], &y, |_, v| Ok(v[0].clone()));
    r.or_else(|w| k.unsupported(w))
}

#[cfg(test)]
mod tests {
    use super::{labels, ELLIPSIS};

    #[test]
    fn implicit_output_and_ellipsis() {
        let (ins, out) = labels("ij,jk", &[2, 2]).unwrap();
        assert_eq!(ins, vec![vec![b'i' as u16, b'j' as u16], vec![b'j' as u16, b'k' as u16]]);
        assert_eq!(out, vec![b'i' as u16, b'k' as u16]);
        // The implicit output of a trace is a scalar.
        assert_eq!(labels("ii", &[2]).unwrap().1, Vec::<u16>::new());
        // Ellipses right-align: the rank-2 operand covers only the last ellipsis dim.
        let (ins, out) = labels("...ij,...j->...i", &[4, 2]).unwrap();
        assert_eq!(ins[0][..2], [ELLIPSIS, ELLIPSIS + 1]);
        assert_eq!(ins[1][..1], [ELLIPSIS + 1]);
        assert_eq!(out, vec![ELLIPSIS, ELLIPSIS + 1, b'i' as u16]);
        assert!(labels("ij,jk", &[2]).is_err());
        assert!(labels("ij", &[3]).is_err());
        assert!(labels("i$", &[2]).is_err());
    }
}
