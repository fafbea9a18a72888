//! Einsum: equation parsing (explicit/implicit output, ellipsis, repeated labels) and evaluation
//! by taking diagonals, summing private labels and contracting operands pairwise as batched
//! matrix products.

use super::gemm::{self, Gemm, GemmElem, Layout};
use crate::{invalid, Dim, OpResult, Tensor, TensorType};
use half::{bf16, f16};
use ndarray::{ArrayD, IxDyn};
use std::collections::BTreeMap;

/// A dimension label: ASCII letters are their code; the j-th ellipsis dim is `ELLIPSIS + j`.
type Id = u16;
const ELLIPSIS: Id = 256;

/// One term of the equation: letters with an optional ellipsis at position `ellipsis`.
#[derive(Debug, Clone, PartialEq)]
struct Term {
    letters: Vec<u8>,
    ellipsis: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
struct Equation {
    inputs: Vec<Term>,
    /// None: implicit output.
    output: Option<Term>,
}

fn parse_term(s: &str, what: &str) -> OpResult<Term> {
    let b = s.as_bytes();
    let mut letters = Vec::new();
    let mut ellipsis = None;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_alphabetic() => {
                letters.push(c);
                i += 1;
            }
            b'.' => {
                if b.get(i..i + 3) != Some(b"...") {
                    invalid!("einsum {what} `{s}`: a `.` that is not part of `...`");
                }
                if ellipsis.is_some() {
                    invalid!("einsum {what} `{s}` has more than one ellipsis");
                }
                ellipsis = Some(letters.len());
                i += 3;
            }
            c => invalid!("einsum {what} `{s}`: unexpected character `{}`", c as char),
        }
    }
    Ok(Term { letters, ellipsis })
}

fn parse(equation: &str) -> OpResult<Equation> {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    if rhs.is_some_and(|r| r.contains("->")) {
        invalid!("einsum equation `{equation}` has more than one `->`");
    }
    let inputs = lhs.split(',').map(|t| parse_term(t, "term")).collect::<OpResult<Vec<_>>>()?;
    let output = rhs.map(|r| parse_term(r, "output")).transpose()?;
    if let Some(out) = &output {
        for (i, &c) in out.letters.iter().enumerate() {
            if out.letters[..i].contains(&c) {
                invalid!("einsum output repeats label `{}`", c as char);
            }
            if !inputs.iter().any(|t| t.letters.contains(&c)) {
                invalid!("einsum output label `{}` does not appear in any input", c as char);
            }
        }
    }
    Ok(Equation { inputs, output })
}

/// Labels of every operand dim and of the output, with ellipses expanded.
#[derive(Debug)]
struct Labels {
    inputs: Vec<Vec<Id>>,
    output: Vec<Id>,
}

fn resolve(eq: &Equation, ranks: &[usize]) -> OpResult<Labels> {
    if ranks.len() != eq.inputs.len() {
        invalid!("einsum equation has {} terms but {} operands are given", eq.inputs.len(), ranks.len());
    }
    // Number of dims each ellipsis covers.
    let mut ell = Vec::with_capacity(ranks.len());
    for (i, (t, &r)) in eq.inputs.iter().zip(ranks).enumerate() {
        match t.ellipsis {
            None if r != t.letters.len() => {
                invalid!("einsum operand {i} has rank {r} but its term has {} labels", t.letters.len())
            }
            Some(_) if r < t.letters.len() => {
                invalid!("einsum operand {i} has rank {r}, fewer than the {} labels of its term", t.letters.len())
            }
            _ => ell.push(r - t.letters.len()),
        }
    }
    let e = ell.iter().copied().max().unwrap_or(0);
    let expand = |t: &Term, n: usize| -> Vec<Id> {
        let mut ids: Vec<Id> = t.letters.iter().map(|&c| c as Id).collect();
        if let Some(p) = t.ellipsis {
            let dims = (e - n..e).map(|j| ELLIPSIS + j as Id);
            ids.splice(p..p, dims);
        }
        ids
    };
    let inputs: Vec<Vec<Id>> = eq.inputs.iter().zip(&ell).map(|(t, &n)| expand(t, n)).collect();
    let output = match &eq.output {
        Some(t) => {
            if t.ellipsis.is_none() && e > 0 {
                invalid!("einsum output has no `...` but the operands' ellipses cover {e} dims");
            }
            expand(t, e)
        }
        None => {
            let mut counts: BTreeMap<u8, usize> = BTreeMap::new();
            for t in &eq.inputs {
                for &c in &t.letters {
                    *counts.entry(c).or_default() += 1;
                }
            }
            let mut out: Vec<Id> = (0..e).map(|j| ELLIPSIS + j as Id).collect();
            out.extend(counts.into_iter().filter(|&(_, n)| n == 1).map(|(c, _)| c as Id));
            out
        }
    };
    Ok(Labels { inputs, output })
}

fn label_name(id: Id) -> String {
    if id >= ELLIPSIS {
        format!("...[{}]", id - ELLIPSIS)
    } else {
        (id as u8 as char).to_string()
    }
}

/// Size of each label: equal sizes, except that 1 broadcasts against any size.
fn label_sizes(l: &Labels, shapes: &[&[usize]]) -> OpResult<BTreeMap<Id, usize>> {
    let mut sizes: BTreeMap<Id, usize> = BTreeMap::new();
    for (ids, shape) in l.inputs.iter().zip(shapes) {
        for (i, (&id, &d)) in ids.iter().zip(shape.iter()).enumerate() {
            if ids[..i].contains(&id) {
                let first = ids.iter().position(|&x| x == id).map(|p| shape[p]);
                if first != Some(d) {
                    invalid!("einsum label `{}` repeated in one term with sizes {first:?} and {d}", label_name(id));
                }
            }
            let s = sizes.entry(id).or_insert(d);
            if *s == 1 {
                *s = d;
            } else if d != 1 && d != *s {
                invalid!("einsum label `{}` has sizes {} and {d}", label_name(id), *s);
            }
        }
    }
    Ok(sizes)
}

pub fn infer(equation: &str, inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    let eq = parse(equation)?;
    let types: Vec<&TensorType> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| t.ok_or_else(|| format!("einsum operand {i} is missing").into()))
        .collect::<OpResult<_>>()?;
    let Some(first) = types.first() else { invalid!("einsum needs at least one operand") };
    let dtype = first.dtype;
    if types.iter().any(|t| t.dtype != dtype) {
        invalid!("einsum operands have different dtypes");
    }
    if dtype == crate::DType::Bool || !dtype.is_supported() {
        invalid!("einsum does not take {dtype} operands");
    }
    let ranks: Vec<usize> = types.iter().map(|t| t.rank()).collect();
    let l = resolve(&eq, &ranks)?;
    // Like `label_sizes`, on possibly symbolic dims.
    let mut sizes: BTreeMap<Id, Dim> = BTreeMap::new();
    for (ids, t) in l.inputs.iter().zip(&types) {
        for (&id, d) in ids.iter().zip(&t.dims) {
            let cur = sizes.entry(id).or_insert_with(|| d.clone());
            *cur = match (&*cur, d) {
                (Dim::Static(1), o) | (o, Dim::Static(1)) => o.clone(),
                (Dim::Static(p), Dim::Static(q)) if p != q => {
                    invalid!("einsum label `{}` has sizes {p} and {q}", label_name(id))
                }
                (Dim::Static(p), _) | (_, Dim::Static(p)) => Dim::Static(*p),
                (Dim::Sym(a), Dim::Sym(b)) if a == b => Dim::Sym(a.clone()),
                _ => crate::ops::util::unknown(),
            };
        }
    }
    let dims = l.output.iter().map(|id| sizes.get(id).cloned().unwrap_or(Dim::Static(1))).collect();
    Ok(vec![TensorType::new(dtype, dims)])
}

pub fn eval(equation: &str, xs: &[&Tensor]) -> OpResult<Tensor> {
    let Some(first) = xs.first() else { invalid!("einsum needs at least one operand") };
    macro_rules! native {
        ($($v:ident),*) => {
            match first {
                $(Tensor::$v(_) => {
                    let arrays = xs.iter().map(|t| match t {
                        Tensor::$v(a) => Ok(a),
                        _ => invalid!("einsum operands have different dtypes"),
                    }).collect::<OpResult<Vec<_>>>()?;
                    return Ok(Tensor::$v(einsum_arrays(equation, &arrays)?));
                })*
                _ => {}
            }
        };
    }
    native!(F32, F64, I8, I16, I32, I64, U8, U16, U32, U64);
    macro_rules! via_f32 {
        ($($v:ident: $t:ty),*) => {
            match first {
                $(Tensor::$v(_) => {
                    let arrays = xs.iter().map(|t| match t {
                        Tensor::$v(a) => Ok(a.mapv(<$t>::to_f32)),
                        _ => invalid!("einsum operands have different dtypes"),
                    }).collect::<OpResult<Vec<_>>>()?;
                    let refs: Vec<&ArrayD<f32>> = arrays.iter().collect();
                    return Ok(Tensor::$v(einsum_arrays(equation, &refs)?.mapv(<$t>::from_f32)));
                })*
                _ => {}
            }
        };
    }
    via_f32!(F16: f16, BF16: bf16);
    invalid!("einsum does not take {} operands", first.dtype())
}

/// A dense row-major operand with a label per dim.
struct Operand<T> {
    data: Vec<T>,
    shape: Vec<usize>,
    ids: Vec<Id>,
}

fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Copy the strided view (`shape`, `strides` over `data`) into a new row-major buffer.
fn gather<T: Copy>(data: &[T], shape: &[usize], strides: &[usize]) -> Vec<T> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let Some((&last, outer)) = shape.split_last() else {
        out.push(data[0]);
        return out;
    };
    let ls = strides[shape.len() - 1];
    let mut idx = vec![0usize; outer.len()];
    loop {
        let base: usize = idx.iter().zip(strides).map(|(i, s)| i * s).sum();
        out.extend((0..last).map(|j| data[base + j * ls]));
        let mut d = outer.len();
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < outer[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

impl<T: GemmElem> Operand<T> {
    /// Merge repeated labels into their diagonal.
    fn diagonal(self) -> Operand<T> {
        let strides = contiguous_strides(&self.shape);
        let mut ids = Vec::new();
        let mut shape = Vec::new();
        let mut st: Vec<usize> = Vec::new();
        for (i, &id) in self.ids.iter().enumerate() {
            match ids.iter().position(|&x| x == id) {
                Some(p) => st[p] += strides[i],
                None => {
                    ids.push(id);
                    shape.push(self.shape[i]);
                    st.push(strides[i]);
                }
            }
        }
        if ids.len() == self.ids.len() {
            return self;
        }
        Operand { data: gather(&self.data, &shape, &st), shape, ids }
    }

    /// Drop size-1 dims whose label has a larger size elsewhere (broadcast).
    fn squeeze_broadcast(mut self, sizes: &BTreeMap<Id, usize>) -> Operand<T> {
        let keep: Vec<bool> = self
            .ids
            .iter()
            .zip(&self.shape)
            .map(|(id, &d)| !(d == 1 && sizes.get(id).is_some_and(|&s| s != 1)))
            .collect();
        let mut k = keep.iter();
        self.ids.retain(|_| *k.next().unwrap_or(&true));
        let mut k = keep.iter();
        self.shape.retain(|_| *k.next().unwrap_or(&true));
        self
    }

    /// Reorder dims to the labels `keep` (each present once) and sum over all other labels.
    fn rearrange(&self, keep: &[Id]) -> OpResult<Operand<T>> {
        let strides = contiguous_strides(&self.shape);
        let mut perm = Vec::with_capacity(self.ids.len());
        for id in keep {
            match self.ids.iter().position(|x| x == id) {
                Some(p) => perm.push(p),
                None => invalid!("internal: einsum label `{}` missing", label_name(*id)),
            }
        }
        let kept = perm.len();
        perm.extend((0..self.ids.len()).filter(|p| !keep.contains(&self.ids[*p])));
        let shape: Vec<usize> = perm.iter().map(|&p| self.shape[p]).collect();
        let st: Vec<usize> = perm.iter().map(|&p| strides[p]).collect();
        let identity = perm.iter().enumerate().all(|(i, &p)| i == p);
        let data = if identity { self.data.clone() } else { gather(&self.data, &shape, &st) };
        let inner: usize = shape[kept..].iter().product();
        let data = if inner == 1 {
            data
        } else if inner == 0 {
            vec![T::default(); shape[..kept].iter().product()]
        } else {
            data.chunks(inner).map(|c| c.iter().fold(T::default(), |a, &x| a.add(x))).collect()
        };
        Ok(Operand { data, shape: shape[..kept].to_vec(), ids: keep.to_vec() })
    }
}

/// Contract two operands, keeping the labels in `later` (needed by the output or later operands).
fn contract<T: GemmElem>(a: &Operand<T>, b: &Operand<T>, later: &[Id]) -> OpResult<Operand<T>> {
    let in_a = |id: &Id| a.ids.contains(id);
    let in_b = |id: &Id| b.ids.contains(id);
    let batch: Vec<Id> = a.ids.iter().copied().filter(|id| in_b(id) && later.contains(id)).collect();
    let inner: Vec<Id> = a.ids.iter().copied().filter(|id| in_b(id) && !later.contains(id)).collect();
    let a_only: Vec<Id> = a.ids.iter().copied().filter(|id| !in_b(id) && later.contains(id)).collect();
    let b_only: Vec<Id> = b.ids.iter().copied().filter(|id| !in_a(id) && later.contains(id)).collect();
    let size = |o: &Operand<T>, id: &Id| o.ids.iter().position(|x| x == id).map_or(1, |p| o.shape[p]);
    let prod = |o: &Operand<T>, ids: &[Id]| ids.iter().map(|id| size(o, id)).product::<usize>();
    let (nb, m, k, n) = (prod(a, &batch), prod(a, &a_only), prod(a, &inner), prod(b, &b_only));
    let ra = a.rearrange(&[batch.as_slice(), &a_only, &inner].concat())?;
    let rb = b.rearrange(&[batch.as_slice(), &inner, &b_only].concat())?;
    let mut out = vec![T::default(); nb * m * n];
    for i in 0..nb {
        let g = Gemm {
            m,
            k,
            n,
            a: Layout::new(i * m * k, k, 1),
            b: Layout::new(i * k * n, n, 1),
            c: Layout::new(i * m * n, n, 1),
            accumulate: false,
        };
        gemm::gemm(&g, &ra.data, &rb.data, &mut out)?;
    }
    let ids = [batch.as_slice(), &a_only, &b_only].concat();
    let shape = batch
        .iter()
        .map(|id| size(a, id))
        .chain(a_only.iter().map(|id| size(a, id)))
        .chain(b_only.iter().map(|id| size(b, id)))
        .collect();
    Ok(Operand { data: out, shape, ids })
}

pub fn einsum_arrays<T: GemmElem>(equation: &str, xs: &[&ArrayD<T>]) -> OpResult<ArrayD<T>> {
    let eq = parse(equation)?;
    let ranks: Vec<usize> = xs.iter().map(|x| x.ndim()).collect();
    let l = resolve(&eq, &ranks)?;
    let shapes: Vec<&[usize]> = xs.iter().map(|x| x.shape()).collect();
    let sizes = label_sizes(&l, &shapes)?;
    let mut ops: Vec<Operand<T>> = xs
        .iter()
        .zip(&l.inputs)
        .map(|(x, ids)| {
            let data = x.as_standard_layout().iter().copied().collect();
            Operand { data, shape: x.shape().to_vec(), ids: ids.clone() }.diagonal().squeeze_broadcast(&sizes)
        })
        .collect();
    // Labels needed after operand i: the output's and those of operands after i.
    let needed_after = |ops: &[Operand<T>], i: usize| -> Vec<Id> {
        let mut v = l.output.clone();
        for o in &ops[i + 1..] {
            v.extend(&o.ids);
        }
        v
    };
    let mut acc = {
        let rest = needed_after(&ops, 0);
        let o = &ops[0];
        let keep: Vec<Id> = o.ids.iter().copied().filter(|id| rest.contains(id)).collect();
        o.rearrange(&keep)?
    };
    for i in 1..ops.len() {
        let later = needed_after(&ops, i);
        let b = std::mem::replace(&mut ops[i], Operand { data: vec![], shape: vec![], ids: vec![] });
        // Sum labels private to one side first, so the product only sees shared or kept labels.
        let a_keep: Vec<Id> = acc.ids.iter().copied().filter(|id| later.contains(id) || b.ids.contains(id)).collect();
        let b_keep: Vec<Id> = b.ids.iter().copied().filter(|id| later.contains(id) || acc.ids.contains(id)).collect();
        let a2 = if a_keep.len() == acc.ids.len() { acc } else { acc.rearrange(&a_keep)? };
        let b2 = if b_keep.len() == b.ids.len() { b } else { b.rearrange(&b_keep)? };
        acc = contract(&a2, &b2, &later)?;
    }
    // Output labels all broadcast away (size 1 everywhere) come back as size-1 dims.
    let present: Vec<Id> = l.output.iter().copied().filter(|id| acc.ids.contains(id)).collect();
    let res = acc.rearrange(&present)?;
    let shape: Vec<usize> = l.output.iter().map(|id| sizes.get(id).copied().unwrap_or(1)).collect();
    if shape.iter().product::<usize>() != res.data.len() {
        invalid!("internal: einsum result has {} elements for shape {shape:?}", res.data.len());
    }
    ArrayD::from_shape_vec(IxDyn(&shape), res.data).map_err(|e| format!("internal: {e}").into())
}

#[cfg(test)]
#[path = "einsum_tests.rs"]
mod tests;
