//! IR ops ⇄ e-nodes. Most ops map one to one (inputs become children, empty optional slots
//! `Absent` leaves). Attributes that rules must read or compute live in a trailing child
//! instead, so a rule can bind them to a variable and the analysis can fold their values:
//! Transpose's `perm` (an i64 vector), Attention's `scale` (a scalar, or `Absent` for the
//! default 1/√d) and the `epsilon` of LayerNorm/RmsNorm (a scalar). Axes of Softmax,
//! LayerNorm and RmsNorm are stored negative (counted from the end), so one pattern matches
//! every rank.

use egg::Id;
use ir::{AttentionAttrs, Op, Tensor, F32};
use std::sync::Arc;

/// Which trailing child carries an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrChild {
    None,
    Perm,
    Scale,
    Eps,
}

pub fn attr_child(op: &Op) -> AttrChild {
    match op {
        Op::Transpose { .. } => AttrChild::Perm,
        Op::Attention(_) => AttrChild::Scale,
        Op::RmsNorm { .. } | Op::LayerNorm { .. } => AttrChild::Eps,
        _ => AttrChild::None,
    }
}

/// The op with the attributes that live in a child cleared (the form e-nodes carry).
pub fn canonical(op: Op) -> Op {
    match op {
        Op::Transpose { .. } => Op::Transpose { perm: vec![] },
        Op::Attention(a) => Op::Attention(AttentionAttrs { scale: None, ..a }),
        Op::RmsNorm { axis, .. } => Op::RmsNorm { axis, epsilon: F32(0.0) },
        Op::LayerNorm { axis, .. } => Op::LayerNorm { axis, epsilon: F32(0.0) },
        other => other,
    }
}

/// Negative form of a non-negative axis of a rank-`rank` input.
fn neg_axis(axis: i64, rank: Option<usize>) -> i64 {
    match rank {
        Some(r) if axis >= 0 => axis - r as i64,
        _ => axis,
    }
}

/// What the attribute child of an encoded op holds.
pub enum AttrValue {
    Tensor(Tensor),
    Absent,
}

/// Split an IR op into its canonical e-node form and the value of its attribute child, if it
/// has one. `rank` is the rank of input 0 (for axis normalisation).
pub fn encode(op: &Op, rank: Option<usize>) -> (Op, Option<AttrValue>) {
    let (op, attr) = match op {
        Op::Transpose { perm } => {
            let p: Vec<i64> = perm.iter().map(|&x| x as i64).collect();
            let t = Tensor::from_vec(&[p.len()], p).ok().map(AttrValue::Tensor);
            (op.clone(), t)
        }
        Op::Attention(a) => {
            let v = match a.scale {
                Some(s) => AttrValue::Tensor(Tensor::scalar(s.0)),
                None => AttrValue::Absent,
            };
            (op.clone(), Some(v))
        }
        Op::RmsNorm { axis, epsilon } => (
            Op::RmsNorm { axis: neg_axis(*axis, rank), epsilon: *epsilon },
            Some(AttrValue::Tensor(Tensor::scalar(epsilon.0))),
        ),
        Op::LayerNorm { axis, epsilon } => (
            Op::LayerNorm { axis: neg_axis(*axis, rank), epsilon: *epsilon },
            Some(AttrValue::Tensor(Tensor::scalar(epsilon.0))),
        ),
        Op::Softmax { kind, axis } => (Op::Softmax { kind: *kind, axis: neg_axis(*axis, rank) }, None),
        other => (other.clone(), None),
    };
    (canonical(op), attr)
}

/// The single value of a one-element tensor.
fn scalar_of(t: &Tensor) -> Option<f64> {
    (t.len() == 1).then(|| t.to_f64_vec()[0])
}

/// The IR op of an e-node with its input slots (attribute children read back into the op).
/// None when an attribute child has no constant value.
pub fn decode(
    op: &Op,
    args: &[Id],
    konst: impl Fn(Id) -> Option<Arc<Tensor>>,
    absent: impl Fn(Id) -> bool,
) -> Option<(Op, Vec<Option<Id>>)> {
    let slots = |ids: &[Id]| ids.iter().map(|&i| (!absent(i)).then_some(i)).collect::<Vec<_>>();
    let kind = attr_child(op);
    if kind == AttrChild::None {
        return Some((op.clone(), slots(args)));
    }
    let (&last, rest) = args.split_last()?;
    let op = match op {
        Op::Transpose { .. } => {
            let t = konst(last)?;
            if t.shape().len() != 1 || !t.dtype().is_int() {
                return None;
            }
            let p = t.to_i64_vec();
            let mut seen = vec![false; p.len()];
            for &x in &p {
                let i = usize::try_from(x).ok().filter(|&i| i < p.len())?;
                if std::mem::replace(&mut seen[i], true) {
                    return None;
                }
            }
            Op::Transpose { perm: p.into_iter().map(|x| x as usize).collect() }
        }
        Op::Attention(a) => {
            let scale = if absent(last) { None } else { Some(F32(scalar_of(&*konst(last)?)? as f32)) };
            Op::Attention(AttentionAttrs { scale, ..a.clone() })
        }
        Op::RmsNorm { axis, .. } => Op::RmsNorm { axis: *axis, epsilon: F32(scalar_of(&*konst(last)?)? as f32) },
        Op::LayerNorm { axis, .. } => Op::LayerNorm { axis: *axis, epsilon: F32(scalar_of(&*konst(last)?)? as f32) },
        _ => return None,
    };
    Some((op, slots(rest)))
}
