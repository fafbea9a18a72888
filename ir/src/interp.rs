//! The reference interpreter: runs a graph on concrete tensors. It defines what every op
//! means; every fast path in edgec is tested against it.

use crate::{ops, Dim, Graph, IrError, NodeId, Op, Tensor, TensorType, ValueId};
use std::collections::HashMap;
use std::sync::Arc;

/// A graph prepared for repeated runs (topological order and use counts computed once).
pub struct Interpreter<'g> {
    graph: &'g Graph,
    order: Vec<NodeId>,
    uses: HashMap<ValueId, usize>,
}

impl<'g> Interpreter<'g> {
    pub fn new(graph: &'g Graph) -> Result<Self, IrError> {
        let order = graph.topo_order()?;
        let mut uses: HashMap<ValueId, usize> = HashMap::new();
        for &id in &order {
            for v in graph.node_inputs(id).into_iter().flatten() {
                *uses.entry(v).or_default() += 1;
            }
        }
        for (_, v) in graph.outputs() {
            *uses.entry(*v).or_default() += 1;
        }
        Ok(Interpreter { graph, order, uses })
    }

    /// Run with inputs bound by name; returns the graph outputs in order.
    pub fn run(&self, inputs: &[(String, Tensor)]) -> Result<Vec<(String, Tensor)>, IrError> {
        let g = self.graph;
        let mut bound: HashMap<&str, &Tensor> = HashMap::new();
        for (name, t) in inputs {
            if !g.inputs().iter().any(|&i| g.node(i).name == *name) {
                return Err(IrError::Graph(format!("`{name}` is not an input of the graph")));
            }
            bound.insert(name.as_str(), t);
        }
        let mut values: HashMap<ValueId, Arc<Tensor>> = HashMap::new();
        let mut remaining = self.uses.clone();
        let mut syms: HashMap<String, usize> = HashMap::new();
        for &id in &self.order {
            let node = g.node(id);
            let outs: Vec<Arc<Tensor>> = match &node.op {
                Op::Input => {
                    let t = bound
                        .get(node.name.as_str())
                        .ok_or_else(|| IrError::Graph(format!("input `{}` was not given a value", node.name)))?;
                    check_type(&node.name, "input", &node.outputs[0], t, &mut syms)?;
                    vec![Arc::new((*t).clone())]
                }
                Op::Const(t) => vec![t.clone()],
                op => {
                    let ins = g.node_inputs(id);
                    let args: Vec<Option<&Tensor>> =
                        ins.iter().map(|v| v.map(|v| &*values[&v])).collect();
                    let out = ops::eval(op, &args).map_err(|e| e.at(&node.name, op.name()))?;
                    if out.len() < node.outputs.len() {
                        return Err(IrError::Node {
                            node: node.name.clone(),
                            op: op.name().into(),
                            msg: format!("produced {} outputs, expected {}", out.len(), node.outputs.len()),
                        });
                    }
                    let mut outs = Vec::with_capacity(node.outputs.len());
                    for (t, ty) in out.into_iter().zip(&node.outputs) {
                        check_type(&node.name, op.name(), ty, &t, &mut syms)?;
                        outs.push(Arc::new(t));
                    }
                    // Release inputs whose last use this was.
                    for v in ins.into_iter().flatten() {
                        let r = remaining.get_mut(&v).expect("counted");
                        *r -= 1;
                        if *r == 0 {
                            values.remove(&v);
                        }
                    }
                    outs
                }
            };
            for (port, t) in outs.into_iter().enumerate() {
                let v = ValueId::new(id, port as u32);
                if remaining.get(&v).copied().unwrap_or(0) > 0 {
                    values.insert(v, t);
                }
            }
        }
        g.outputs()
            .iter()
            .map(|(name, v)| {
                let t = values.get(v).ok_or_else(|| IrError::Graph(format!("output `{name}` was not computed")))?;
                Ok((name.clone(), (**t).clone()))
            })
            .collect()
    }
}

/// Run `graph` once (see `Interpreter::run`).
pub fn run(graph: &Graph, inputs: &[(String, Tensor)]) -> Result<Vec<(String, Tensor)>, IrError> {
    Interpreter::new(graph)?.run(inputs)
}

/// A value must match its inferred type: same dtype and rank, equal static dims, and each symbol
/// bound to one size throughout the run. A mismatch is a bug in an inference rule or a kernel
/// (or, for inputs, a wrong input), and is reported rather than ignored.
fn check_type(node: &str, op: &str, ty: &TensorType, t: &Tensor, syms: &mut HashMap<String, usize>) -> Result<(), IrError> {
    let err = |msg: String| IrError::Node { node: node.into(), op: op.into(), msg };
    if t.dtype() != ty.dtype || t.shape().len() != ty.rank() {
        return Err(err(format!("value is {} but its type is {ty}", t.ty())));
    }
    for (d, &n) in ty.dims.iter().zip(t.shape()) {
        match d {
            Dim::Static(s) if *s != n => return Err(err(format!("value is {} but its type is {ty}", t.ty()))),
            Dim::Sym(s) if !s.starts_with('?') => {
                let b = *syms.entry(s.clone()).or_insert(n);
                if b != n {
                    return Err(err(format!("dim `{s}` is {n} here but was {b} before")));
                }
            }
            _ => {}
        }
    }
    Ok(())
}
