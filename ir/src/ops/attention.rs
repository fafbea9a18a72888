//! Inference and evaluation of the attention op family: scaled dot-product attention (4-D,
//! grouped KV heads, causal, softcap, boolean/additive mask) and rotary position embedding.
//! Evaluation computes in f64 and follows the ONNX reference (onnx/reference/ops/op_attention.py,
//! op_rotary_embedding.py), except that `causal` is bottom-right aligned as the IR documents.

use crate::ops::rnn::float_tensor;
use crate::ops::util::{ints, opt, req};
use crate::{invalid, AttentionAttrs, DType, Dim, Op, OpResult, Tensor, TensorType};

const FLOATS: [DType; 4] = [DType::F32, DType::F64, DType::F16, DType::BF16];

pub fn infer(
    op: &Op,
    inputs: &[Option<&TensorType>],
    _consts: &[Option<&Tensor>],
) -> OpResult<Vec<TensorType>> {
    match op {
        Op::Attention(_) => infer_attention(inputs),
        Op::RotaryEmbedding { num_heads, .. } => {
            let x = req(inputs, 0, "x")?;
            if !FLOATS.contains(&x.dtype) {
                invalid!("x has dtype {}, expected a float type", x.dtype);
            }
            if x.rank() == 3 && *num_heads == 0 {
                invalid!("3-D input needs num_heads");
            }
            if x.rank() != 3 && x.rank() != 4 {
                invalid!("x must be 3-D or 4-D, got {x}");
            }
            for (i, what) in [(1, "cos_cache"), (2, "sin_cache")] {
                let t = req(inputs, i, what)?;
                if t.dtype != x.dtype {
                    invalid!("{what} has dtype {}, expected {}", t.dtype, x.dtype);
                }
            }
            Ok(vec![x.clone()])
        }
        _ => invalid!("not an attention op: {}", op.name()),
    }
}

/// Two dims that must agree when both are static.
fn same(a: &Dim, b: &Dim, what: &str) -> OpResult<()> {
    if let (Some(x), Some(y)) = (a.as_static(), b.as_static()) {
        if x != y {
            invalid!("{what}: {x} vs {y}");
        }
    }
    Ok(())
}

fn infer_attention(inputs: &[Option<&TensorType>]) -> OpResult<Vec<TensorType>> {
    let q = req(inputs, 0, "q")?;
    let k = req(inputs, 1, "k")?;
    let v = req(inputs, 2, "v")?;
    if !FLOATS.contains(&q.dtype) {
        invalid!("q has dtype {}, expected a float type", q.dtype);
    }
    for (t, what) in [(q, "q"), (k, "k"), (v, "v")] {
        if t.dtype != q.dtype || t.rank() != 4 {
            invalid!("{what} must be a 4-D {} tensor, got {t}", q.dtype);
        }
    }
    same(&q.dims[0], &k.dims[0], "q/k batch")?;
    same(&q.dims[0], &v.dims[0], "q/v batch")?;
    same(&k.dims[1], &v.dims[1], "k/v heads")?;
    same(&k.dims[2], &v.dims[2], "k/v sequence")?;
    same(&q.dims[3], &k.dims[3], "q/k head size")?;
    if let (Some(hq), Some(hk)) = (q.dims[1].as_static(), k.dims[1].as_static()) {
        if hk == 0 || hq % hk != 0 {
            invalid!("{hk} kv heads do not divide {hq} query heads");
        }
    }
    if let Some(m) = opt(inputs, 3) {
        if m.dtype != DType::Bool && m.dtype != q.dtype {
            invalid!("mask has dtype {}, expected bool or {}", m.dtype, q.dtype);
        }
        if m.rank() > 4 {
            invalid!("mask rank {} > 4", m.rank());
        }
    }
    Ok(vec![TensorType::new(
        q.dtype,
        vec![
            q.dims[0].clone(),
            q.dims[1].clone(),
            q.dims[2].clone(),
            v.dims[3].clone(),
        ],
    )])
}

pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    match op {
        Op::Attention(a) => attention(a, inputs),
        Op::RotaryEmbedding {
            interleaved,
            rotary_dim,
            num_heads,
        } => rotary(inputs, *interleaved, *rotary_dim, *num_heads),
        _ => invalid!("not an attention op: {}", op.name()),
    }
}

fn dims4(t: &Tensor, what: &str) -> OpResult<[usize; 4]> {
    match *t.shape() {
        [a, b, c, d] => Ok([a, b, c, d]),
        _ => invalid!("{what} must be 4-D, got shape {:?}", t.shape()),
    }
}

fn attention(a: &AttentionAttrs, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let (qt, kt, vt) = (
        req(inputs, 0, "q")?,
        req(inputs, 1, "k")?,
        req(inputs, 2, "v")?,
    );
    let dt = qt.dtype();
    if !FLOATS.contains(&dt) || kt.dtype() != dt || vt.dtype() != dt {
        invalid!(
            "q, k, v must share a float dtype, got {}, {}, {}",
            dt,
            kt.dtype(),
            vt.dtype()
        );
    }
    let [b, hq, sq, dk] = dims4(qt, "q")?;
    let [kb, hk, skv, kdk] = dims4(kt, "k")?;
    let [vb, vh, vs, dv] = dims4(vt, "v")?;
    if kb != b || vb != b || vh != hk || vs != skv || kdk != dk {
        invalid!(
            "incompatible q {:?}, k {:?}, v {:?}",
            qt.shape(),
            kt.shape(),
            vt.shape()
        );
    }
    if hk == 0 || hq % hk != 0 {
        invalid!("{hk} kv heads do not divide {hq} query heads");
    }
    let reps = hq / hk;
    let (q, k, v) = (qt.to_f64_vec(), kt.to_f64_vec(), vt.to_f64_vec());
    // Mask as additive f64 values with broadcast strides over [b, hq, sq, skv].
    let mask = match opt(inputs, 3) {
        Some(m) => {
            if m.dtype() != DType::Bool && m.dtype() != dt {
                invalid!("mask has dtype {}, expected bool or {dt}", m.dtype());
            }
            let shape = m.shape();
            if shape.len() > 4 {
                invalid!("mask rank {} > 4", shape.len());
            }
            let full = [b, hq, sq, skv];
            let mut padded = [1usize; 4];
            padded[4 - shape.len()..].copy_from_slice(shape);
            let mut strides = [0usize; 4];
            let mut s = 1;
            for i in (0..4).rev() {
                if padded[i] != 1 && padded[i] != full[i] {
                    invalid!("mask shape {shape:?} does not broadcast to {full:?}");
                }
                strides[i] = if padded[i] == 1 { 0 } else { s };
                s *= padded[i];
            }
            let vals: Vec<f64> = match m.as_array::<bool>() {
                Some(arr) => arr
                    .iter()
                    .map(|&keep| if keep { 0.0 } else { f64::NEG_INFINITY })
                    .collect(),
                None => m.to_f64_vec(),
            };
            Some((vals, strides))
        }
        None => None,
    };
    let scale = a.scale.map_or(1.0 / (dk as f64).sqrt(), |s| s.0 as f64);
    let cap = a.softcap.0 as f64;
    let mut out = vec![0.0; b * hq * sq * dv];
    let mut scores = vec![0.0; skv];
    for bi in 0..b {
        for h in 0..hq {
            let kh = h / reps;
            let kbase = (bi * hk + kh) * skv;
            for i in 0..sq {
                let qrow = &q[((bi * hq + h) * sq + i) * dk..][..dk];
                for (j, s) in scores.iter_mut().enumerate() {
                    let krow = &k[(kbase + j) * dk..][..dk];
                    let mut x = scale * qrow.iter().zip(krow).map(|(a, b)| a * b).sum::<f64>();
                    if cap > 0.0 {
                        x = cap * (x / cap).tanh();
                    }
                    if let Some((m, st)) = &mask {
                        x += m[bi * st[0] + h * st[1] + i * st[2] + j * st[3]];
                    }
                    // Bottom-right aligned causal mask.
                    if a.causal && j + sq > i + skv {
                        x = f64::NEG_INFINITY;
                    }
                    *s = x;
                }
                let mx = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut sum = 0.0;
                for s in scores.iter_mut() {
                    *s = (*s - mx).exp();
                    sum += *s;
                }
                let orow = &mut out[((bi * hq + h) * sq + i) * dv..][..dv];
                for (j, s) in scores.iter().enumerate() {
                    let p = s / sum;
                    let vrow = &v[(kbase + j) * dv..][..dv];
                    for (o, vv) in orow.iter_mut().zip(vrow) {
                        *o += p * vv;
                    }
                }
            }
        }
    }
    Ok(vec![float_tensor(dt, &[b, hq, sq, dv], out)?])
}

fn rotary(
    inputs: &[Option<&Tensor>],
    interleaved: bool,
    rotary_dim: usize,
    num_heads: usize,
) -> OpResult<Vec<Tensor>> {
    let xt = req(inputs, 0, "x")?;
    let dt = xt.dtype();
    if !FLOATS.contains(&dt) {
        invalid!("x has dtype {dt}, expected a float type");
    }
    // Logical layout [batch, seq, heads, head_size] with the element offset of each.
    let (b, s, nh, hs, four_d) = match *xt.shape() {
        [b, nh, s, hs] => (b, s, nh, hs, true),
        [b, s, hidden] => {
            if num_heads == 0 || hidden % num_heads != 0 {
                invalid!("hidden size {hidden} is not a multiple of num_heads {num_heads}");
            }
            (b, s, num_heads, hidden / num_heads, false)
        }
        _ => invalid!("x must be 3-D or 4-D, got shape {:?}", xt.shape()),
    };
    let off = |bi: usize, si: usize, h: usize| {
        if four_d {
            ((bi * nh + h) * s + si) * hs
        } else {
            ((bi * s + si) * nh + h) * hs
        }
    };
    let rd = if rotary_dim == 0 { hs } else { rotary_dim };
    if rd > hs || rd % 2 != 0 {
        invalid!("rotary_dim {rd} must be even and at most the head size {hs}");
    }
    let half = rd / 2;
    let (cos_t, sin_t) = (req(inputs, 1, "cos_cache")?, req(inputs, 2, "sin_cache")?);
    if cos_t.dtype() != dt || sin_t.dtype() != dt || cos_t.shape() != sin_t.shape() {
        invalid!(
            "cos/sin caches must be {dt} of the same shape, got {:?} and {:?}",
            cos_t.shape(),
            sin_t.shape()
        );
    }
    let (cos, sin) = (cos_t.to_f64_vec(), sin_t.to_f64_vec());
    // Row of the caches for (batch, position).
    let rows: Vec<usize> = match opt(inputs, 3) {
        Some(p) => {
            let &[rows, w] = cos_t.shape() else {
                invalid!(
                    "caches must be 2-D with position_ids, got {:?}",
                    cos_t.shape()
                )
            };
            if w != half {
                invalid!("cache width {w} != rotary_dim/2 = {half}");
            }
            if p.shape() != [b, s] {
                invalid!(
                    "position_ids has shape {:?}, expected [{b}, {s}]",
                    p.shape()
                );
            }
            let mut out = Vec::with_capacity(b * s);
            for id in ints(p, "position_ids")? {
                match usize::try_from(id) {
                    Ok(i) if i < rows => out.push(i),
                    _ => invalid!("position id {id} outside [0, {rows})"),
                }
            }
            out
        }
        None => {
            if cos_t.shape() != [b, s, half] {
                invalid!(
                    "caches have shape {:?}, expected [{b}, {s}, {half}]",
                    cos_t.shape()
                );
            }
            (0..b * s).collect()
        }
    };
    let x = xt.to_f64_vec();
    let mut y = x.clone();
    for bi in 0..b {
        for si in 0..s {
            let row = rows[bi * s + si] * half;
            let (c, sn) = (&cos[row..row + half], &sin[row..row + half]);
            for h in 0..nh {
                let o = off(bi, si, h);
                for i in 0..half {
                    let (i1, i2) = if interleaved {
                        (o + 2 * i, o + 2 * i + 1)
                    } else {
                        (o + i, o + half + i)
                    };
                    let (x1, x2) = (x[i1], x[i2]);
                    y[i1] = c[i] * x1 - sn[i] * x2;
                    y[i2] = sn[i] * x1 + c[i] * x2;
                }
            }
        }
    }
    Ok(vec![float_tensor(dt, xt.shape(), y)?])
}

#[cfg(test)]
#[path = "attention_tests.rs"]
mod tests;
