//! Constant folding during import: evaluates nodes whose inputs are all constant and the
//! Shape/Size of statically shaped values, so that static models end fully static.

use crate::infer::{infer_node, FreshDims};
use crate::{ops, Dim, Graph, IrError, NodeId, Op, Tensor, ValueId};
use std::sync::Arc;

/// Largest output (in elements) that folding may create; bigger results stay as ops.
pub const FOLD_LIMIT_ELEMENTS: usize = 1 << 24;

/// Statistics of one folding run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FoldStats {
    pub folded: usize,
    pub removed: usize,
}

/// Infer types and fold constants in one topological sweep, then remove dead nodes.
///
/// Each node is re-inferred first (its inputs may just have become constants, which makes
/// shapes static), then folded if its value is known at compile time.
pub fn infer_and_fold(g: &mut Graph) -> Result<FoldStats, IrError> {
    let mut stats = FoldStats::default();
    let mut fresh = FreshDims::for_graph(g);
    for id in g.topo_order()? {
        let op = g.node(id).op.clone();
        if matches!(op, Op::Input | Op::Const(_)) {
            continue;
        }
        let mut types = infer_node(g, id)?;
        fresh.name(&mut types);
        let declared = g.node(id).outputs.len();
        if declared > 0 && declared < types.len() {
            types.truncate(declared);
        }
        g.node_mut(id).outputs = types;
        if let Some(values) = try_fold(g, id, &op)? {
            let name = g.node(id).name.clone();
            for (port, t) in values.into_iter().enumerate() {
                let cname = if port == 0 { g.fresh_name(&format!("{name}.folded")) } else { g.fresh_name(&format!("{name}.folded{port}")) };
                let c = g.add_const(cname, Arc::new(t));
                g.replace_uses(ValueId::new(id, port as u32), c);
            }
            g.remove_node(id);
            stats.folded += 1;
        }
    }
    stats.removed = g.dce();
    Ok(stats)
}

fn try_fold(g: &Graph, id: NodeId, op: &Op) -> Result<Option<Vec<Tensor>>, IrError> {
    let node = g.node(id);
    // Shape and Size only need a static input shape.
    if let Op::Shape { .. } | Op::Size = op {
        let ins = g.node_inputs(id);
        if let Some(Some(x)) = ins.first() {
            if let Some(shape) = g.value_type(*x).static_shape() {
                let dummy_shape_only = ShapeOnly(shape);
                return Ok(Some(dummy_shape_only.eval(op).map_err(|e| e.at(&node.name, op.name()))?));
            }
        }
        return Ok(None);
    }
    let ins = g.node_inputs(id);
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
    let total: Option<usize> = node.outputs.iter().map(|t| t.num_elements()).try_fold(0usize, |a, n| a.checked_add(n?));
    if total.is_none_or(|n| n > FOLD_LIMIT_ELEMENTS) {
        return Ok(None);
    }
    match ops::eval(op, &vals) {
        Ok(mut out) => {
            out.truncate(node.outputs.len());
            Ok(Some(out))
        }
        // Not implemented: leave the node for a later stage to report or handle.
        Err(crate::OpError::Unsupported(_)) => Ok(None),
        Err(e) => Err(e.at(&node.name, op.name())),
    }
}

/// Evaluates Shape/Size from a static shape without materialising the input.
struct ShapeOnly(Vec<usize>);

impl ShapeOnly {
    fn eval(&self, op: &Op) -> crate::OpResult<Vec<Tensor>> {
        match op {
            Op::Size => Ok(vec![Tensor::scalar(self.0.iter().product::<usize>() as i64)]),
            Op::Shape { start, end } => {
                let r = self.0.len() as i64;
                let clamp = |x: i64| (if x < 0 { x + r } else { x }).clamp(0, r) as usize;
                let s = clamp(*start);
                let e = clamp(end.unwrap_or(r));
                let dims: Vec<i64> = if s < e { self.0[s..e].iter().map(|&d| d as i64).collect() } else { vec![] };
                Ok(vec![Tensor::from_vec(&[dims.len()], dims)?])
            }
            _ => unreachable!("ShapeOnly handles Shape and Size"),
        }
    }
}

/// Whether every value in the graph has a static shape.
pub fn is_fully_static(g: &Graph) -> bool {
    g.node_ids().iter().all(|&id| g.node(id).outputs.iter().all(|t| t.dims.iter().all(|d| matches!(d, Dim::Static(_)))))
}
