//! ONNX RNN, GRU and LSTM → `Op::Rnn`: direction, hidden size (from R when absent), layout,
//! clip, and the activation list with ONNX defaults and its alpha/beta parameters.

use super::map::{Cx, Outs};
use super::ImportError;
use ir::{Op, RnnActivation, RnnAttrs, RnnDirection, RnnKind, F32};

pub fn map(cx: &mut Cx, op: &str) -> Option<Outs> {
    let kind = match op {
        "RNN" => Ok(RnnKind::Rnn),
        "GRU" => cx.n.flag("linear_before_reset", false).map(|l| RnnKind::Gru { linear_before_reset: l }),
        "LSTM" => cx.n.flag("input_forget", false).map(|f| RnnKind::Lstm { input_forget: f }),
        _ => return None,
    };
    Some(kind.and_then(|k| rnn(cx, k)))
}

fn rnn(cx: &mut Cx, kind: RnnKind) -> Outs {
    let n = cx.n;
    let max_inputs = if matches!(kind, RnnKind::Lstm { .. }) { 8 } else { 6 };
    let mut ins = cx.inputs_upto(max_inputs)?;
    ins[0] = Some(cx.req(0, "X")?);
    ins[1] = Some(cx.req(1, "W")?);
    let r = cx.req(2, "R")?;
    ins[2] = Some(r);
    let direction = match n.string_or("direction", "forward")?.as_str() {
        "forward" => RnnDirection::Forward,
        "reverse" => RnnDirection::Reverse,
        "bidirectional" => RnnDirection::Bidirectional,
        d => return Err(n.invalid(format!("unknown direction `{d}`"))),
    };
    let hidden_size = match n.int("hidden_size")? {
        Some(h) => usize::try_from(h).ok().filter(|&h| h > 0).ok_or_else(|| n.invalid(format!("hidden_size must be positive, got {h}")))?,
        None => {
            let t = cx.ty(r)?;
            t.dims.get(2).and_then(|d| d.as_static()).ok_or_else(|| {
                n.invalid(format!("no hidden_size attribute and it cannot be read from R's shape {t}"))
            })?
        }
    };
    let ndir = if direction == RnnDirection::Bidirectional { 2 } else { 1 };
    let activations = activations(cx, kind, ndir)?;
    let clip = n.float("clip")?.map(F32);
    let batch_major = n.flag("layout", false)?;
    let attrs = RnnAttrs { kind, direction, hidden_size, activations, clip, batch_major };
    let outs = cx.main_used(Op::Rnn(attrs), &ins)?;
    Ok(outs)
}

/// The activation functions, `ndir` × slots long, with alpha/beta consumed in order by the
/// functions that take them (as ONNX Runtime does).
fn activations(cx: &Cx, kind: RnnKind, ndir: usize) -> Result<Vec<RnnActivation>, ImportError> {
    let n = cx.n;
    let defaults: &[&str] = match kind {
        RnnKind::Rnn => &["Tanh"],
        RnnKind::Gru { .. } => &["Sigmoid", "Tanh"],
        RnnKind::Lstm { .. } => &["Sigmoid", "Tanh", "Tanh"],
    };
    let slots = defaults.len();
    let mut names: Vec<String> = match n.strings("activations")? {
        Some(v) if !v.is_empty() => v,
        _ => defaults.iter().map(|s| s.to_string()).collect(),
    };
    if names.len() == slots && ndir == 2 {
        names.extend(names.clone());
    }
    if names.len() != slots * ndir {
        return Err(n.invalid(format!(
            "{} activations given, expected {} ({slots} per direction × {ndir})",
            names.len(),
            slots * ndir
        )));
    }
    let alphas = n.floats("activation_alpha")?.unwrap_or(&[]).to_vec();
    let betas = n.floats("activation_beta")?.unwrap_or(&[]).to_vec();
    let (mut ai, mut bi) = (0, 0);
    let next = |list: &[f32], i: &mut usize, default: f32| {
        let v = list.get(*i).copied().unwrap_or(default);
        *i += 1;
        F32(v)
    };
    let mut out = Vec::with_capacity(names.len());
    for name in &names {
        let a = match name.to_ascii_lowercase().as_str() {
            "relu" => RnnActivation::Relu,
            "tanh" => RnnActivation::Tanh,
            "sigmoid" => RnnActivation::Sigmoid,
            "softsign" => RnnActivation::Softsign,
            "softplus" => RnnActivation::Softplus,
            "affine" => RnnActivation::Affine { alpha: next(&alphas, &mut ai, 1.0), beta: next(&betas, &mut bi, 0.0) },
            "leakyrelu" => RnnActivation::LeakyRelu { alpha: next(&alphas, &mut ai, 0.01) },
            "thresholdedrelu" => RnnActivation::ThresholdedRelu { alpha: next(&alphas, &mut ai, 1.0) },
            "scaledtanh" => {
                RnnActivation::ScaledTanh { alpha: next(&alphas, &mut ai, 1.0), beta: next(&betas, &mut bi, 1.0) }
            }
            "hardsigmoid" => {
                RnnActivation::HardSigmoid { alpha: next(&alphas, &mut ai, 0.2), beta: next(&betas, &mut bi, 0.5) }
            }
            "elu" => RnnActivation::Elu { alpha: next(&alphas, &mut ai, 1.0) },
            other => return Err(n.unsupported(format!("activation function `{other}`"))),
        };
        out.push(a);
    }
    Ok(out)
}
