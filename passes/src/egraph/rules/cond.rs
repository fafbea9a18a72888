//! Rule conditions: named predicates over the analysis data of the classes a match binds
//! (types, shapes, broadcast legality, constant values). `?root` names the matched class.
//! Conditions never look for the absence of a node.

use crate::egraph::analysis::{same_types, Data, EG};
use egg::{Id, Subst, Var};
use ir::{broadcast_dims, Dim, Tensor, TensorType};
use std::sync::Arc;

/// An argument of a condition.
#[derive(Clone, Debug)]
pub enum Arg {
    Var(Var),
    Root,
    Num(f64),
}

/// One parsed condition: `(name arg…)`.
#[derive(Clone, Debug)]
pub struct Cond {
    pub name: String,
    pub args: Vec<Arg>,
}

/// Every condition: its name, its argument kinds (`c` a class, `n` a number), and its law.
pub const CONDITIONS: &[(&str, &str, &str)] = &[
    ("same-type", "cc", "a and b have the same dtype and shape"),
    ("const", "c", "a is a compile-time constant"),
    ("scalar", "c", "a is a constant with one element"),
    ("fill", "cn", "a is a constant whose every element equals n"),
    ("near", "cn", "a is a one-element constant within 1e-4 (relative) of n"),
    ("rank", "cn", "a has rank n"),
    ("min-rank", "cn", "a has rank at least n"),
    ("float", "c", "a has a float dtype"),
    ("identity-perm", "c", "a is the constant permutation 0, 1, …, n-1"),
    ("last-axis", "cc", "axes a is the one constant axis naming the last axis of x"),
    ("broadcasts-into", "cc", "a has x's dtype and broadcasts to x's shape without changing it"),
    ("no-zero", "c", "a is an integer constant with no 0 entry (Reshape copies no dim)"),
    ("attention-qkv", "ccc", "q, k, v are 4-D [B,H,S,D] of one float dtype; k and v share heads, which equal q's or are 1"),
    ("attention-mask", "ccc", "mask m (rank ≤ 4, q's dtype) broadcasts to [B, Hq, Sq, Skv] one dim at a time"),
    ("causal-mask", "ccc", "m is a constant additive mask: 0 where key j ≤ i + Skv − Sq, ≤ −1e20 elsewhere (Skv ≥ Sq)"),
    ("repeat-kv", "cccc", "Reshape(Expand(Unsqueeze(k, [2]), [B,G,R,S,D]), [B,G·R,S,D]) repeats each of k's G heads R times"),
];

impl Cond {
    /// Check the argument count and kinds against the table.
    pub fn validate(&self) -> Result<(), String> {
        let Some((_, kinds, _)) = CONDITIONS.iter().find(|(n, _, _)| *n == self.name) else {
            let names: Vec<&str> = CONDITIONS.iter().map(|(n, _, _)| *n).collect();
            return Err(format!("unknown condition `{}`; known: {}", self.name, names.join(", ")));
        };
        if kinds.len() != self.args.len() {
            return Err(format!("condition `{}` takes {} arguments, got {}", self.name, kinds.len(), self.args.len()));
        }
        for (k, a) in kinds.chars().zip(&self.args) {
            let ok = matches!((k, a), ('c', Arg::Var(_) | Arg::Root) | ('n', Arg::Num(_)));
            if !ok {
                return Err(format!("condition `{}`: argument kinds are `{kinds}` (c: a ?variable, n: a number)", self.name));
            }
        }
        Ok(())
    }

    /// Whether the condition holds for a match of `root` with `subst`.
    pub fn check(&self, eg: &EG, root: Id, subst: &Subst) -> bool {
        let class = |i: usize| -> Option<&Data> {
            match self.args.get(i)? {
                Arg::Var(v) => Some(&eg[*subst.get(*v)?].data),
                Arg::Root => Some(&eg[root].data),
                Arg::Num(_) => None,
            }
        };
        let num = |i: usize| match self.args.get(i) {
            Some(Arg::Num(x)) => Some(*x),
            _ => None,
        };
        let c = |i| class(i).unwrap_or(&EMPTY);
        let n = |i| num(i).unwrap_or(f64::NAN);
        match self.name.as_str() {
            "same-type" => matches!((&c(0).types, &c(1).types), (Some(a), Some(b)) if same_types(a, b)),
            "const" => c(0).konst.is_some(),
            "scalar" => konst(c(0)).is_some_and(|t| t.len() == 1),
            "fill" => konst(c(0)).is_some_and(|t| !t.is_empty() && t.to_f64_vec().iter().all(|&v| v == n(1))),
            "near" => scalar(c(0)).is_some_and(|v| (v - n(1)).abs() <= 1e-4 * n(1).abs().max(1e-30)),
            "rank" => ty(c(0)).is_some_and(|t| t.rank() as f64 == n(1)),
            "min-rank" => ty(c(0)).is_some_and(|t| t.rank() as f64 >= n(1)),
            "float" => ty(c(0)).is_some_and(|t| t.dtype.is_float()),
            "identity-perm" => konst(c(0)).is_some_and(|t| t.to_i64_vec().iter().enumerate().all(|(i, &p)| p == i as i64)),
            "last-axis" => last_axis(c(0), c(1)),
            "broadcasts-into" => broadcasts_into(c(0), c(1)),
            "no-zero" => konst(c(0)).is_some_and(|t| t.dtype().is_int() && t.to_i64_vec().iter().all(|&v| v != 0)),
            "attention-qkv" => attention_qkv(c(0), c(1), c(2)),
            "attention-mask" => attention_mask(c(0), c(1), c(2)).is_some(),
            "causal-mask" => causal_mask(c(0), c(1), c(2)),
            "repeat-kv" => repeat_kv(c(0), c(1), c(2), c(3)),
            _ => false,
        }
    }
}

static EMPTY: Data = Data { types: None, konst: None, shared: false };

fn konst(d: &Data) -> Option<&Arc<Tensor>> {
    d.konst.as_ref()
}

fn scalar(d: &Data) -> Option<f64> {
    konst(d).filter(|t| t.len() == 1).map(|t| t.to_f64_vec()[0])
}

fn ty(d: &Data) -> Option<&TensorType> {
    d.ty()
}

fn dims(d: &Data) -> Option<Vec<usize>> {
    ty(d)?.static_shape()
}

fn last_axis(axes: &Data, x: &Data) -> bool {
    let (Some(a), Some(x)) = (konst(axes), ty(x)) else { return false };
    let v = a.to_i64_vec();
    a.dtype().is_int() && v.len() == 1 && (v[0] == -1 || v[0] == x.rank() as i64 - 1) && x.rank() > 0
}

fn broadcasts_into(a: &Data, x: &Data) -> bool {
    let (Some(a), Some(x)) = (ty(a), ty(x)) else { return false };
    a.dtype == x.dtype
        && a.rank() <= x.rank()
        && broadcast_dims(&x.dims, &a.dims).is_ok_and(|out| {
            out.iter().zip(&x.dims).all(|(o, d)| matches!((o, d), (Dim::Static(p), Dim::Static(q)) if p == q) || o == d)
        })
}

fn attention_qkv(q: &Data, k: &Data, v: &Data) -> bool {
    let (Some(qt), Some(kt), Some(vt)) = (ty(q), ty(k), ty(v)) else { return false };
    let (Some(qd), Some(kd), Some(vd)) = (dims(q), dims(k), dims(v)) else { return false };
    qt.dtype.is_float()
        && qt.dtype == kt.dtype
        && qt.dtype == vt.dtype
        && qd.len() == 4
        && kd.len() == 4
        && vd.len() == 4
        && qd[0] == kd[0]
        && qd[0] == vd[0]
        && kd[1] == vd[1]
        && (kd[1] == qd[1] || kd[1] == 1)
        && kd[2] == vd[2]
        && qd[3] == kd[3]
}

/// The mask's dims padded to rank 4, when it broadcasts to [B, Hq, Sq, Skv] dim by dim.
fn attention_mask(m: &Data, q: &Data, k: &Data) -> Option<[usize; 4]> {
    let (mt, qt) = (ty(m)?, ty(q)?);
    let (md, qd, kd) = (dims(m)?, dims(q)?, dims(k)?);
    if mt.dtype != qt.dtype || md.len() > 4 || qd.len() != 4 || kd.len() != 4 {
        return None;
    }
    let full = [qd[0], qd[1], qd[2], kd[2]];
    let mut p = [1usize; 4];
    p[4 - md.len()..].copy_from_slice(&md);
    p.iter().zip(&full).all(|(a, b)| *a == 1 || a == b).then_some(p)
}

fn causal_mask(m: &Data, q: &Data, k: &Data) -> bool {
    let Some(p) = attention_mask(m, q, k) else { return false };
    let (Some(t), Some(qd), Some(kd)) = (konst(m), dims(q), dims(k)) else { return false };
    let (sq, skv) = (qd[2], kd[2]);
    if skv < sq || p[2] != sq || p[3] != skv {
        return false;
    }
    let v = t.to_f64_vec();
    v.chunks(sq * skv).all(|plane| {
        plane.iter().enumerate().all(|(idx, &x)| {
            let (i, j) = (idx / skv, idx % skv);
            if j <= i + skv - sq {
                x == 0.0
            } else {
                x <= -1e20
            }
        })
    })
}

fn repeat_kv(k: &Data, axes: &Data, expand: &Data, shape: &Data) -> bool {
    let (Some(kd), Some(a), Some(e), Some(s)) = (dims(k), konst(axes), konst(expand), konst(shape)) else {
        return false;
    };
    if kd.len() != 4 || !a.dtype().is_int() || !e.dtype().is_int() || !s.dtype().is_int() {
        return false;
    }
    let (a, e, s) = (a.to_i64_vec(), e.to_i64_vec(), s.to_i64_vec());
    if a != [2] && a != [-3] {
        return false;
    }
    let (b, g, sl, d) = (kd[0] as i64, kd[1] as i64, kd[2] as i64, kd[3] as i64);
    let [eb, eg, r, es, ed] = e[..] else { return false };
    if eb != b || eg != g || es != sl || ed != d || r < 1 {
        return false;
    }
    reshape_result(&[b, g, r, sl, d], &s).is_some_and(|out| out == [b, g * r, sl, d])
}

/// The output dims of Reshape (allowzero = false) of an input of dims `input` to `target`.
pub fn reshape_result(input: &[i64], target: &[i64]) -> Option<Vec<i64>> {
    let total: i64 = input.iter().product();
    let mut out: Vec<i64> = Vec::with_capacity(target.len());
    let mut infer = None;
    for (i, &t) in target.iter().enumerate() {
        match t {
            0 => out.push(*input.get(i)?),
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            t if t > 0 => out.push(t),
            _ => return None,
        }
    }
    let known: i64 = out.iter().product();
    if let Some(i) = infer {
        if known == 0 || total % known != 0 {
            return None;
        }
        out[i] = total / known;
    }
    (out.iter().product::<i64>() == total).then_some(out)
}
