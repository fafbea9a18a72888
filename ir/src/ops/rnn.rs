//! Inference and evaluation of the rnn op family (ONNX RNN, GRU, LSTM; see ops/mod.rs for the contract).
//!
//! Evaluation runs in f64 per batch row and per direction, following the ONNX operator spec
//! (gate order: GRU z,r,h; LSTM i,o,f,c; peepholes i,o,f), with `clip` applied to the gate
//! pre-activations and `sequence_lens` freezing the state and zeroing `Y` past each row's length.

use crate::ops::util::{ints, opt, req};
use crate::{
    invalid, DType, Dim, Op, OpResult, RnnActivation, RnnAttrs, RnnDirection, RnnKind, Tensor,
    TensorType,
};
use half::{bf16, f16};

const FLOATS: [DType; 4] = [DType::F32, DType::F64, DType::F16, DType::BF16];

pub fn infer(
    op: &Op,
    inputs: &[Option<&TensorType>],
    _consts: &[Option<&Tensor>],
) -> OpResult<Vec<TensorType>> {
    let Op::Rnn(a) = op else {
        invalid!("not an rnn op: {}", op.name())
    };
    let x = req(inputs, 0, "X")?;
    if !FLOATS.contains(&x.dtype) {
        invalid!("X has dtype {}, expected a float type", x.dtype);
    }
    if x.rank() != 3 {
        invalid!("X must be 3-D, got {x}");
    }
    let (gates, _) = layout(a);
    let ndir = num_dirs(a);
    let h = a.hidden_size;
    for (i, what, rows, cols) in [(1, "W", gates * h, None), (2, "R", gates * h, Some(h))] {
        let t = req(inputs, i, what)?;
        if t.dtype != x.dtype || t.rank() != 3 {
            invalid!("{what} must be a 3-D {} tensor, got {t}", x.dtype);
        }
        let expect = [Some(ndir), Some(rows), cols.or(x.dims[2].as_static())];
        for (d, e) in t.dims.iter().zip(expect) {
            if let (Some(d), Some(e)) = (d.as_static(), e) {
                if d != e {
                    invalid!("{what} has shape {t}, expected [{ndir}, {rows}, …]");
                }
            }
        }
    }
    let (seq, batch) = if a.batch_major {
        (&x.dims[1], &x.dims[0])
    } else {
        (&x.dims[0], &x.dims[1])
    };
    let (seq, batch) = (seq.clone(), batch.clone());
    let nd = Dim::Static(ndir);
    let hd = Dim::Static(h);
    let y = if a.batch_major {
        vec![batch.clone(), seq, nd.clone(), hd.clone()]
    } else {
        vec![seq, nd.clone(), batch.clone(), hd.clone()]
    };
    let state = if a.batch_major {
        vec![batch, nd, hd]
    } else {
        vec![nd, batch, hd]
    };
    let mut out = vec![
        TensorType::new(x.dtype, y),
        TensorType::new(x.dtype, state.clone()),
    ];
    if matches!(a.kind, RnnKind::Lstm { .. }) {
        out.push(TensorType::new(x.dtype, state));
    }
    Ok(out)
}

/// (gates, activation slots per direction)
fn layout(a: &RnnAttrs) -> (usize, usize) {
    match a.kind {
        RnnKind::Rnn => (1, 1),
        RnnKind::Gru { .. } => (3, 2),
        RnnKind::Lstm { .. } => (4, 3),
    }
}

fn num_dirs(a: &RnnAttrs) -> usize {
    if a.direction == RnnDirection::Bidirectional {
        2
    } else {
        1
    }
}

fn apply(a: &RnnActivation, x: f64) -> f64 {
    use RnnActivation as A;
    match *a {
        A::Relu => x.max(0.0),
        A::Tanh => x.tanh(),
        A::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        A::Affine { alpha, beta } => alpha.0 as f64 * x + beta.0 as f64,
        A::LeakyRelu { alpha } => {
            if x >= 0.0 {
                x
            } else {
                alpha.0 as f64 * x
            }
        }
        A::ThresholdedRelu { alpha } => {
            if x > alpha.0 as f64 {
                x
            } else {
                0.0
            }
        }
        A::ScaledTanh { alpha, beta } => alpha.0 as f64 * (beta.0 as f64 * x).tanh(),
        A::HardSigmoid { alpha, beta } => (alpha.0 as f64 * x + beta.0 as f64).clamp(0.0, 1.0),
        A::Elu { alpha } => {
            if x >= 0.0 {
                x
            } else {
                alpha.0 as f64 * (x.exp() - 1.0)
            }
        }
        A::Softsign => x / (1.0 + x.abs()),
        A::Softplus => {
            // log(1 + e^x) without overflow for large x.
            if x > 0.0 {
                x + (-x).exp().ln_1p()
            } else {
                x.exp().ln_1p()
            }
        }
    }
}

/// A float tensor of `dtype` from f64 values (row-major).
pub(crate) fn float_tensor(dtype: DType, shape: &[usize], v: Vec<f64>) -> OpResult<Tensor> {
    let t = match dtype {
        DType::F32 => Tensor::from_vec(shape, v.into_iter().map(|x| x as f32).collect()),
        DType::F64 => Tensor::from_vec(shape, v),
        DType::F16 => Tensor::from_vec(shape, v.into_iter().map(f16::from_f64).collect()),
        DType::BF16 => Tensor::from_vec(shape, v.into_iter().map(bf16::from_f64).collect()),
        d => invalid!("expected a float dtype, got {d}"),
    };
    Ok(t?)
}

/// Check `t` has exactly `shape`, and return its values as f64.
fn values(t: &Tensor, dtype: DType, shape: &[usize], what: &str) -> OpResult<Vec<f64>> {
    if t.dtype() != dtype {
        invalid!("{what} has dtype {}, expected {dtype}", t.dtype());
    }
    if t.shape() != shape {
        invalid!("{what} has shape {:?}, expected {shape:?}", t.shape());
    }
    Ok(t.to_f64_vec())
}

pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let Op::Rnn(a) = op else {
        invalid!("not an rnn op: {}", op.name())
    };
    let xt = req(inputs, 0, "X")?;
    let dt = xt.dtype();
    if !FLOATS.contains(&dt) {
        invalid!("X has dtype {dt}, expected a float type");
    }
    let &[d0, d1, input] = xt.shape() else {
        invalid!("X must be 3-D, got shape {:?}", xt.shape())
    };
    let (seq, batch) = if a.batch_major { (d1, d0) } else { (d0, d1) };
    let (gates, slots) = layout(a);
    let ndir = num_dirs(a);
    let h = a.hidden_size;
    let gh = gates * h;
    let acts: Vec<RnnActivation> = if a.activations.is_empty() {
        let d: &[RnnActivation] = match a.kind {
            RnnKind::Rnn => &[RnnActivation::Tanh],
            RnnKind::Gru { .. } => &[RnnActivation::Sigmoid, RnnActivation::Tanh],
            RnnKind::Lstm { .. } => &[
                RnnActivation::Sigmoid,
                RnnActivation::Tanh,
                RnnActivation::Tanh,
            ],
        };
        d.iter().cycle().take(slots * ndir).copied().collect()
    } else {
        a.activations.clone()
    };
    if acts.len() != slots * ndir {
        invalid!(
            "{} activations given, expected {}",
            acts.len(),
            slots * ndir
        );
    }
    let x = xt.to_f64_vec();
    let w = values(req(inputs, 1, "W")?, dt, &[ndir, gh, input], "W")?;
    let r = values(req(inputs, 2, "R")?, dt, &[ndir, gh, h], "R")?;
    let b = match opt(inputs, 3) {
        Some(t) => values(t, dt, &[ndir, 2 * gh], "B")?,
        None => vec![0.0; ndir * 2 * gh],
    };
    let lens: Vec<usize> = match opt(inputs, 4) {
        Some(t) => {
            if t.shape() != [batch] {
                invalid!(
                    "sequence_lens has shape {:?}, expected [{batch}]",
                    t.shape()
                );
            }
            let v = ints(t, "sequence_lens")?;
            let mut out = Vec::with_capacity(batch);
            for l in v {
                match usize::try_from(l) {
                    Ok(l) if l <= seq => out.push(l),
                    _ => invalid!("sequence_lens value {l} outside [0, {seq}]"),
                }
            }
            out
        }
        None => vec![seq; batch],
    };
    let state_shape: [usize; 3] = if a.batch_major {
        [batch, ndir, h]
    } else {
        [ndir, batch, h]
    };
    // Index of state element (dir, batch, j) in the output layout.
    let sidx = |d: usize, bi: usize, j: usize| {
        if a.batch_major {
            (bi * ndir + d) * h + j
        } else {
            (d * batch + bi) * h + j
        }
    };
    let init = |i: usize, what: &str| -> OpResult<Option<Vec<f64>>> {
        opt(inputs, i)
            .map(|t| values(t, dt, &state_shape, what))
            .transpose()
    };
    let h0 = init(5, "initial_h")?;
    let is_lstm = matches!(a.kind, RnnKind::Lstm { .. });
    let (c0, p) = if is_lstm {
        let p = match opt(inputs, 7) {
            Some(t) => Some(values(t, dt, &[ndir, 3 * h], "P")?),
            None => None,
        };
        (init(6, "initial_c")?, p)
    } else {
        (None, None)
    };
    let clip = |v: f64| match a.clip {
        Some(c) => v.clamp(-(c.0 as f64).abs(), (c.0 as f64).abs()),
        None => v,
    };
    let xidx = |t: usize, bi: usize| {
        if a.batch_major {
            (bi * seq + t) * input
        } else {
            (t * batch + bi) * input
        }
    };
    let yidx = |t: usize, d: usize, bi: usize| {
        if a.batch_major {
            ((bi * seq + t) * ndir + d) * h
        } else {
            ((t * ndir + d) * batch + bi) * h
        }
    };
    let mut y = vec![0.0; seq * ndir * batch * h];
    let mut yh = vec![0.0; ndir * batch * h];
    let mut yc = vec![0.0; ndir * batch * h];
    let mut xw = vec![0.0; gh];
    let mut hr = vec![0.0; gh];
    for d in 0..ndir {
        let reverse = a.direction == RnnDirection::Reverse || d == 1;
        let f = &acts[d * slots..(d + 1) * slots];
        let wd = &w[d * gh * input..(d + 1) * gh * input];
        let rd = &r[d * gh * h..(d + 1) * gh * h];
        let (wb, rb) = b[d * 2 * gh..(d + 1) * 2 * gh].split_at(gh);
        for bi in 0..batch {
            let mut hs: Vec<f64> = (0..h)
                .map(|j| h0.as_ref().map_or(0.0, |v| v[sidx(d, bi, j)]))
                .collect();
            let mut cs: Vec<f64> = (0..h)
                .map(|j| c0.as_ref().map_or(0.0, |v| v[sidx(d, bi, j)]))
                .collect();
            let len = lens[bi];
            for step in 0..len {
                let t = if reverse { len - 1 - step } else { step };
                let xr = &x[xidx(t, bi)..xidx(t, bi) + input];
                for g in 0..gh {
                    xw[g] = wd[g * input..(g + 1) * input]
                        .iter()
                        .zip(xr)
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                        + wb[g];
                    hr[g] = rd[g * h..(g + 1) * h]
                        .iter()
                        .zip(&hs)
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                        + rb[g];
                }
                match a.kind {
                    RnnKind::Rnn => {
                        for j in 0..h {
                            hs[j] = apply(&f[0], clip(xw[j] + hr[j]));
                        }
                    }
                    RnnKind::Gru {
                        linear_before_reset,
                    } => {
                        // The reset gate multiplies the whole state vector, so compute z and r first.
                        let zv: Vec<f64> =
                            (0..h).map(|j| apply(&f[0], clip(xw[j] + hr[j]))).collect();
                        let rv: Vec<f64> = (0..h)
                            .map(|j| apply(&f[0], clip(xw[h + j] + hr[h + j])))
                            .collect();
                        let mut hn = vec![0.0; h];
                        for j in 0..h {
                            let g = 2 * h + j;
                            let pre = if linear_before_reset {
                                xw[g] + rv[j] * hr[g]
                            } else {
                                let row = &rd[g * h..(g + 1) * h];
                                xw[g]
                                    + row
                                        .iter()
                                        .zip(hs.iter().zip(&rv))
                                        .map(|(w, (hv, r))| w * r * hv)
                                        .sum::<f64>()
                                    + rb[g]
                            };
                            let ht = apply(&f[1], clip(pre));
                            hn[j] = (1.0 - zv[j]) * ht + zv[j] * hs[j];
                        }
                        hs = hn;
                    }
                    RnnKind::Lstm { input_forget } => {
                        let pv = |k: usize, j: usize| {
                            p.as_ref().map_or(0.0, |p| p[d * 3 * h + k * h + j])
                        };
                        for j in 0..h {
                            let pre = |g: usize| xw[g * h + j] + hr[g * h + j];
                            let i = apply(&f[0], clip(pre(0) + pv(0, j) * cs[j]));
                            let fg = if input_forget {
                                1.0 - i
                            } else {
                                apply(&f[0], clip(pre(2) + pv(2, j) * cs[j]))
                            };
                            let c = apply(&f[1], clip(pre(3)));
                            let cn = fg * cs[j] + i * c;
                            let o = apply(&f[0], clip(pre(1) + pv(1, j) * cn));
                            cs[j] = cn;
                            hs[j] = o * apply(&f[2], cn);
                        }
                    }
                }
                let yi = yidx(t, d, bi);
                y[yi..yi + h].copy_from_slice(&hs);
            }
            for j in 0..h {
                yh[sidx(d, bi, j)] = hs[j];
                yc[sidx(d, bi, j)] = cs[j];
            }
        }
    }
    let y_shape: Vec<usize> = if a.batch_major {
        vec![batch, seq, ndir, h]
    } else {
        vec![seq, ndir, batch, h]
    };
    let mut out = vec![
        float_tensor(dt, &y_shape, y)?,
        float_tensor(dt, &state_shape, yh)?,
    ];
    if is_lstm {
        out.push(float_tensor(dt, &state_shape, yc)?);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "rnn_tests.rs"]
mod tests;
