//! The IR graph under construction: ONNX value names → IR values, unique node names, and
//! incremental type inference (and optional constant folding) so that op mappings can ask for
//! the types of their inputs.

use super::tensor::TensorSource;
use super::ImportError;
use ir::infer::{infer_node, FreshDims};
use ir::{DType, Graph, IrError, NodeId, Op, Tensor, TensorType, ValueId};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Why a node's output types are unknown.
#[derive(Clone, Debug)]
pub struct Untyped {
    pub err: IrError,
    /// The node's own inference failed (rather than an input's being unknown).
    pub own: bool,
}

pub struct Builder<'m> {
    pub g: Graph,
    values: HashMap<String, ValueId>,
    untyped: HashMap<NodeId, Untyped>,
    names: HashSet<String>,
    fresh: FreshDims,
    pub src: TensorSource<'m>,
    /// Fold nodes whose inputs are all constant as they are added.
    pub fold: bool,
    /// Set when a mapping asked for a type that is unknown (see `ty`).
    pub asked_untyped: bool,
    /// Nodes added since the last `take_emitted`.
    emitted: Vec<NodeId>,
}

impl<'m> Builder<'m> {
    pub fn new(name: &str, src: TensorSource<'m>, fold: bool) -> Self {
        let g = Graph::new(name);
        let fresh = FreshDims::for_graph(&g);
        Builder {
            g,
            values: HashMap::new(),
            untyped: HashMap::new(),
            names: HashSet::new(),
            fresh,
            src,
            fold,
            asked_untyped: false,
            emitted: Vec::new(),
        }
    }

    /// A node name not used yet, derived from `base`, and reserve it.
    pub fn unique_name(&mut self, base: &str) -> String {
        let name = if !self.names.contains(base) {
            base.to_string()
        } else {
            (1..).map(|i| format!("{base}_{i}")).find(|n| !self.names.contains(n)).unwrap_or_default()
        };
        self.names.insert(name.clone());
        name
    }

    pub fn name_taken(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    pub fn lookup(&self, name: &str) -> Option<ValueId> {
        self.values.get(name).copied()
    }

    /// Bind an ONNX value name; a name defined twice is an error.
    pub fn define(&mut self, name: &str, v: ValueId, by: &str) -> Result<(), ImportError> {
        if self.values.insert(name.to_string(), v).is_some() {
            return Err(ImportError::Invalid(format!("value `{name}` is defined twice (again by {by})")));
        }
        Ok(())
    }

    /// A graph input with exactly this name (unknown dims `?` get fresh names).
    pub fn add_input(&mut self, name: &str, mut ty: TensorType) -> ValueId {
        self.names.insert(name.to_string());
        self.fresh.name(std::slice::from_mut(&mut ty));
        self.g.add_input(name, ty)
    }

    pub fn add_const(&mut self, base: &str, t: impl Into<Arc<Tensor>>) -> ValueId {
        let name = self.unique_name(base);
        self.g.add_const(name, t)
    }

    /// A placeholder for a value whose producer could not be imported (inspect mode).
    pub fn add_unknown(&mut self, base: &str, why: IrError) -> ValueId {
        let name = self.unique_name(base);
        let v = self.g.add_input(name, TensorType::scalar(DType::F32));
        self.untyped.insert(v.node, Untyped { err: why, own: false });
        v
    }

    /// Add a node with `nout` outputs, infer its output types (and fold it when its inputs are
    /// all constant). A failed inference leaves the node untyped; the final inference pass
    /// reports the error.
    pub fn emit(&mut self, name: String, op: Op, ins: &[Option<ValueId>], nout: usize) -> Result<Vec<ValueId>, ImportError> {
        let nout = nout.max(1);
        let id = self.g.add_node(name, op, ins, vec![TensorType::scalar(DType::F32); nout])?;
        self.emitted.push(id);
        let outs: Vec<ValueId> = (0..nout as u32).map(|p| ValueId::new(id, p)).collect();
        if let Some(u) = ins.iter().flatten().find_map(|v| self.untyped.get(&v.node)) {
            let u = Untyped { err: u.err.clone(), own: false };
            self.untyped.insert(id, u);
            return Ok(outs);
        }
        match infer_node(&self.g, id) {
            Ok(mut types) => {
                if types.len() < nout {
                    let n = self.g.node(id);
                    let err = IrError::Unsupported {
                        node: n.name.clone(),
                        op: n.op.name().into(),
                        msg: format!("the op gives {} outputs, the model uses {nout}", types.len()),
                    };
                    self.untyped.insert(id, Untyped { err, own: true });
                    return Ok(outs);
                }
                types.truncate(nout);
                self.fresh.name(&mut types);
                self.g.node_mut(id).outputs = types;
            }
            Err(err) => {
                self.untyped.insert(id, Untyped { err, own: true });
                return Ok(outs);
            }
        }
        if self.fold {
            if let Some(consts) = self.try_fold(id, ins) {
                return Ok(consts);
            }
        }
        Ok(outs)
    }

    /// Evaluate a freshly added node whose value is known at compile time and replace it by
    /// constants (it has no users yet).
    fn try_fold(&mut self, id: NodeId, ins: &[Option<ValueId>]) -> Option<Vec<ValueId>> {
        let node = self.g.node(id);
        let values: Vec<Tensor> = match &node.op {
            Op::Shape { start, end } => {
                let shape = self.g.value_type((*ins.first()?)?).static_shape()?;
                let r = shape.len() as i64;
                let clamp = |x: i64| (if x < 0 { x + r } else { x }).clamp(0, r) as usize;
                let (s, e) = (clamp(*start), clamp(end.unwrap_or(r)));
                let dims: Vec<i64> = shape.get(s..e.max(s))?.iter().map(|&d| d as i64).collect();
                vec![Tensor::from_vec(&[dims.len()], dims).ok()?]
            }
            Op::Size => {
                let shape = self.g.value_type((*ins.first()?)?).static_shape()?;
                vec![Tensor::scalar(shape.iter().product::<usize>() as i64)]
            }
            op if op.is_pure() => {
                let mut vals = Vec::with_capacity(ins.len());
                for v in ins {
                    match v {
                        None => vals.push(None),
                        Some(v) => vals.push(Some(&**self.g.const_value(*v)?)),
                    }
                }
                let total = node.outputs.iter().try_fold(0usize, |a, t| a.checked_add(t.num_elements()?))?;
                if total > ir::fold::FOLD_LIMIT_ELEMENTS {
                    return None;
                }
                let mut out = ir::ops::eval(op, &vals).ok()?;
                out.truncate(node.outputs.len());
                // A kernel disagreeing with inference is left for the final pass to report.
                if out.len() != node.outputs.len() || out.iter().zip(&node.outputs).any(|(t, ty)| &t.ty() != ty) {
                    return None;
                }
                out
            }
            _ => return None,
        };
        let name = node.name.clone();
        self.g.remove_node(id);
        self.names.remove(&name);
        let mut outs = Vec::with_capacity(values.len());
        for (port, t) in values.into_iter().enumerate() {
            let base = if port == 0 { name.clone() } else { format!("{name}.{port}") };
            outs.push(self.add_const(&base, t));
        }
        Some(outs)
    }

    /// The type of a value; an error if it could not be inferred.
    pub fn ty(&mut self, v: ValueId) -> Result<TensorType, ImportError> {
        if let Some(u) = self.untyped.get(&v.node) {
            self.asked_untyped = true;
            return Err(ImportError::Ir(u.err.clone()));
        }
        Ok(self.g.value_type(v).clone())
    }

    pub fn const_value(&self, v: ValueId) -> Option<Arc<Tensor>> {
        self.g.const_value(v).cloned()
    }

    /// Inference errors of the nodes in `ids` that are their own (not inherited from an input).
    pub fn own_inference_errors(&self, ids: &[NodeId]) -> Vec<IrError> {
        ids.iter().filter_map(|id| self.untyped.get(id)).filter(|u| u.own).map(|u| u.err.clone()).collect()
    }

    pub fn is_untyped(&self, v: ValueId) -> bool {
        self.untyped.contains_key(&v.node)
    }

    /// The nodes added since the last call (folded ones included: check `g.contains`).
    pub fn take_emitted(&mut self) -> Vec<NodeId> {
        std::mem::take(&mut self.emitted)
    }
}
