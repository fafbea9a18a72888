//! `constant-fold`: evaluates nodes whose inputs are all constants with the reference
//! semantics (`ir::ops::eval`), and `Shape`/`Size` of statically shaped values. Import already
//! folds shape subgraphs; this pass catches what other passes expose.
//!
//! Size rule, so that folding never duplicates big weights: a result is folded when it takes
//! at most `fold_limit_bytes`, or when it is no bigger than the constants that only this node
//! reads (those die with the node, so the weights do not grow: `Transpose(W)` with W used
//! nowhere else folds, `DequantizeLinear` of int8 weights does not).

use super::Pass;
use crate::rewrite::{reinfer, replace_node};
use crate::{PassContext, PassError, PassStats};
use ir::{Dim, Graph, NodeId, Op, Tensor, TensorType, ValueId};
use std::collections::HashSet;
use std::sync::Arc;

pub struct ConstantFold;

impl Pass for ConstantFold {
    fn name(&self) -> &'static str {
        "constant-fold"
    }

    fn description(&self) -> &'static str {
        "evaluate nodes whose inputs are all constants (size-limited so weights are not duplicated)"
    }

    fn run(&self, g: &mut Graph, cx: &PassContext) -> Result<PassStats, PassError> {
        let mut stats = PassStats::new();
        for id in g.topo_order().map_err(|e| PassError::ir(self.name(), e))? {
            let Some(values) = self.try_fold(g, id, cx, &mut stats)? else { continue };
            let name = g.node(id).name.clone();
            let mut with = Vec::with_capacity(values.len());
            for (port, t) in values.into_iter().enumerate() {
                let cname = g.fresh_name(&format!("{name}.folded{port}"));
                with.push(g.add_const(cname, Arc::new(t)));
            }
            replace_node(g, id, &with);
            // The first result keeps the node's name, so the text still reads `%y = const …`.
            g.node_mut(with[0].node).name = name;
            stats.add("folded", 1);
        }
        if stats.changed() {
            // Consumers of folded values may now infer static shapes.
            reinfer(g, self.name())?;
        }
        Ok(stats)
    }
}

impl ConstantFold {
    /// The values of node `id` if it should be folded.
    fn try_fold(
        &self,
        g: &Graph,
        id: NodeId,
        cx: &PassContext,
        stats: &mut PassStats,
    ) -> Result<Option<Vec<Tensor>>, PassError> {
        let node = g.node(id);
        if matches!(node.op, Op::Input | Op::Const(_)) || node.outputs.is_empty() {
            return Ok(None);
        }
        let ins = g.node_inputs(id);
        if let Op::Shape { .. } | Op::Size = node.op {
            let Some(shape) = ins.first().copied().flatten().and_then(|x| g.value_type(x).static_shape()) else {
                return Ok(None);
            };
            return Ok(Some(vec![shape_value(&node.op, &shape)]));
        }
        let mut vals = Vec::with_capacity(ins.len());
        for v in &ins {
            match v {
                None => vals.push(None),
                Some(v) => match g.const_value(*v) {
                    Some(t) => vals.push(Some(&**t)),
                    None => return Ok(None),
                },
            }
        }
        let limit = cx.options.fold_limit_bytes.max(exclusive_const_bytes(g, id, &ins));
        if let Some(bytes) = declared_bytes(&node.outputs) {
            if bytes > limit {
                stats.note("too big", 1);
                return Ok(None);
            }
        }
        let mut out = match ir::ops::eval(&node.op, &vals) {
            Ok(out) => out,
            // Not evaluable here (not implemented, or invalid for these constants): the node
            // stays, and whatever runs it later reports the problem with the node's name.
            Err(_) => {
                stats.note("not evaluable", 1);
                return Ok(None);
            }
        };
        if out.len() < node.outputs.len() {
            return Err(PassError::Failed {
                pass: self.name().into(),
                msg: format!(
                    "node `{}` ({}) evaluated to {} values, it has {} outputs",
                    node.name,
                    node.op.name(),
                    out.len(),
                    node.outputs.len()
                ),
            });
        }
        out.truncate(node.outputs.len());
        if out.iter().map(|t| t.byte_size()).sum::<usize>() > limit {
            stats.note("too big", 1);
            return Ok(None);
        }
        for (port, (t, ty)) in out.iter().zip(&node.outputs).enumerate() {
            if !fits(ty, t) {
                return Err(PassError::Failed {
                    pass: self.name().into(),
                    msg: format!("node `{}` output {port} is typed {ty} but evaluates to {}", node.name, t.ty()),
                });
            }
        }
        Ok(Some(out))
    }
}

/// Bytes of the declared outputs, if all are statically shaped.
fn declared_bytes(types: &[TensorType]) -> Option<usize> {
    types.iter().map(|t| Some(t.dtype.bytes_for(t.num_elements()?))).try_fold(0usize, |a, b| a.checked_add(b?))
}

/// Bytes of the constants read by `id` and by nothing else (freed when `id` is folded).
fn exclusive_const_bytes(g: &Graph, id: NodeId, ins: &[Option<ValueId>]) -> usize {
    let distinct: HashSet<ValueId> = ins.iter().flatten().copied().collect();
    distinct
        .into_iter()
        .filter(|&v| !g.is_output(v) && g.users(v).iter().all(|&(user, _)| user == id))
        .filter_map(|v| g.const_value(v).map(|t| t.byte_size()))
        .sum()
}

/// A value matches a declared type: same dtype and rank, equal where the type is static.
fn fits(ty: &TensorType, t: &Tensor) -> bool {
    ty.dtype == t.dtype()
        && ty.rank() == t.shape().len()
        && ty.dims.iter().zip(t.shape()).all(|(d, &n)| !matches!(d, Dim::Static(s) if *s != n))
}

/// `Shape`/`Size` of a static shape.
fn shape_value(op: &Op, shape: &[usize]) -> Tensor {
    match op {
        Op::Shape { start, end } => {
            let r = shape.len() as i64;
            let clamp = |x: i64| (if x < 0 { x + r } else { x }).clamp(0, r) as usize;
            let (s, e) = (clamp(*start), clamp(end.unwrap_or(r)));
            let dims: Vec<i64> = if s < e { shape[s..e].iter().map(|&d| d as i64).collect() } else { vec![] };
            let n = dims.len();
            Tensor::from_vec(&[n], dims).expect("length matches")
        }
        _ => Tensor::scalar(shape.iter().product::<usize>() as i64),
    }
}
