//! Conv builtins: `conv-bias-epilogue` (Conv(x, w, b) = ConvFused(x, w, b as [C,1,…]) with
//! `In(0) + In(1)`) and `conv-bn-fold` (BatchNorm(Conv(x, w, b)) = Conv(x, w·s, (b−mean)·s +
//! beta) with s = gamma / √(var + ε), per output channel, on constant weights).

use crate::egraph::analysis::EG;
use crate::egraph::from_ir::add_const;
use crate::egraph::lang::{EOp, TNode};
use egg::Id;
use ir::{BinaryOp, DType, FusedArg, FusedExpr, FusedStep, Op, Tensor};
use std::sync::Arc;

pub fn bias_epilogue(eg: &mut EG, c: Id) -> Vec<TNode> {
    let c = eg.find(c);
    let Some(rank) = eg[c].data.ty().map(|t| t.rank()) else { return vec![] };
    let mut out = Vec::new();
    for n in eg[c].nodes.clone() {
        let Some(Op::Conv(attrs)) = n.ir_op() else { continue };
        let [x, w, b] = n.args[..] else { continue };
        let Some(bt) = eg[b].data.ty().cloned() else { continue };
        if bt.rank() != 1 || rank < 3 {
            continue;
        }
        // [C] → [C, 1, …, 1] so it broadcasts over the spatial dims of [N, C, …].
        let mut shape = vec![bt.dims[0].as_static().map_or(-1, |d| d as i64)];
        shape.extend(std::iter::repeat_n(1i64, rank - 2));
        let bias = match eg[b].data.konst.clone() {
            Some(k) => {
                let dims: Vec<usize> = shape.iter().map(|&d| d.max(1) as usize).collect();
                let Some(t) = eg.analysis.derived(0, &[&k], || k.reshape(&dims).ok()) else { continue };
                eg.add(TNode::leaf(EOp::Const(t)))
            }
            None => {
                let Ok(s) = Tensor::from_vec(&[shape.len()], shape.clone()) else { continue };
                let s = add_const(eg, Arc::new(s));
                eg.add(TNode::ir(Op::Reshape { allowzero: false }, 1, vec![b, s]))
            }
        };
        let epilogue = FusedExpr { steps: vec![FusedStep::Binary(BinaryOp::Add, FusedArg::In(0), FusedArg::In(1))] };
        out.push(TNode::ir(Op::ConvFused { attrs: attrs.clone(), epilogue }, 1, vec![x, w, bias]));
    }
    out
}

/// A float tensor of `dtype` from f64 values.
fn float_tensor(dtype: DType, shape: &[usize], v: Vec<f64>) -> Option<Tensor> {
    match dtype {
        DType::F32 => Tensor::from_vec(shape, v.into_iter().map(|x| x as f32).collect()).ok(),
        DType::F64 => Tensor::from_vec(shape, v).ok(),
        _ => None,
    }
}

pub fn bn_fold(eg: &mut EG, c: Id) -> Vec<TNode> {
    let c = eg.find(c);
    let mut out = Vec::new();
    for n in eg[c].nodes.clone() {
        let Some(Op::BatchNorm { epsilon }) = n.ir_op() else { continue };
        let [y, gamma, beta, mean, var] = n.args[..] else { continue };
        let ks: Option<Vec<Arc<Tensor>>> = [gamma, beta, mean, var].iter().map(|&i| eg[i].data.konst.clone()).collect();
        let Some(ks) = ks else { continue };
        let [g, be, m, v] = [0, 1, 2, 3].map(|i| ks[i].to_f64_vec());
        let s: Vec<f64> = g.iter().zip(&v).map(|(g, v)| g / (v + epsilon.0 as f64).sqrt()).collect();
        for conv in eg[y].nodes.clone() {
            let Some(Op::Conv(attrs)) = conv.ir_op() else { continue };
            let (x, w) = (conv.args[0], conv.args[1]);
            let Some(wt) = eg[w].data.konst.clone() else { continue };
            let oc = wt.shape().first().copied().unwrap_or(0);
            if oc != s.len() || oc == 0 || m.len() != oc || be.len() != oc {
                continue;
            }
            // No bias reads as zeros (and is keyed apart from any constant).
            let bt: Option<Arc<Tensor>> = match conv.args.get(2) {
                Some(&b) if !eg[b].data.is_absent() => match eg[b].data.konst.clone() {
                    Some(t) if t.len() == oc => Some(t),
                    _ => continue,
                },
                _ => None,
            };
            let per = wt.len() / oc;
            let mut from = vec![&wt, &ks[0], &ks[1], &ks[2], &ks[3]];
            from.extend(bt.as_ref());
            let tag = if bt.is_some() { 1 } else { 3 };
            let (dt, shape) = (wt.dtype(), wt.shape().to_vec());
            let w2 = eg.analysis.derived(tag, &from, || {
                let wv: Vec<f64> = wt.to_f64_vec().iter().enumerate().map(|(i, x)| x * s[i / per]).collect();
                float_tensor(dt, &shape, wv)
            });
            let b2 = eg.analysis.derived(tag + 1, &from, || {
                let b = bt.as_ref().map_or(vec![0.0; oc], |t| t.to_f64_vec());
                float_tensor(dt, &[oc], (0..oc).map(|o| (b[o] - m[o]) * s[o] + be[o]).collect())
            });
            let (Some(w2), Some(b2)) = (w2, b2) else { continue };
            let (w2, b2) = (eg.add(TNode::leaf(EOp::Const(w2))), eg.add(TNode::leaf(EOp::Const(b2))));
            out.push(TNode::ir(Op::Conv(attrs.clone()), 1, vec![x, w2, b2]));
        }
    }
    out
}
