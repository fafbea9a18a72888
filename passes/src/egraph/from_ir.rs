//! IR graph → e-graph. Every IR value becomes one e-class, so shared values stay shared (the
//! e-graph holds the DAG, not a tree): graph inputs and constants become leaves (constants by
//! side-table id), multi-output nodes one class for the node plus one `Get` class per output.
//! Each class remembers the IR name of the value it came from, to name nodes on the way back.

use super::analysis::{TensorAnalysis, EG};
use super::error::EgraphError;
use super::irop::{encode, AttrValue};
use super::lang::{EOp, TNode};
use egg::Id;
use ir::{Graph, Op, ValueId};
use std::collections::HashMap;
use std::sync::Arc;

/// The e-graph of a graph, with what is needed to convert back.
pub struct Imported {
    pub egraph: EG,
    /// The class of each graph output, in order.
    pub roots: Vec<Id>,
    /// Class → IR name of the value it came from, in topological order (earlier names win).
    pub names: Vec<(Id, String)>,
    /// Side-table constant → the IR name of the constant node it came from.
    pub const_names: HashMap<u32, String>,
}

/// Add the leaf holding constant `v` (by side-table id; the analysis adds a `Lit` to f32 scalars).
pub fn add_const(eg: &mut EG, v: Arc<ir::Tensor>) -> Id {
    let c = eg.analysis.intern(v);
    eg.add(TNode::leaf(EOp::Const(c)))
}

pub fn import(g: &Graph) -> Result<Imported, EgraphError> {
    let inputs = g.inputs().iter().map(|&i| g.node(i).outputs[0].clone()).collect();
    let mut eg = EG::new(TensorAnalysis::new(inputs));
    let mut class: HashMap<ValueId, Id> = HashMap::new();
    let mut names = Vec::new();
    let mut const_names = HashMap::new();
    for id in g.topo_order()? {
        let node = g.node(id);
        let c = match &node.op {
            Op::Input => {
                let i = g.inputs().iter().position(|&x| x == id).unwrap_or_default();
                eg.add(TNode::leaf(EOp::Input(i as u32)))
            }
            Op::Const(t) => {
                let c = eg.analysis.intern(t.clone());
                const_names.entry(c).or_insert_with(|| node.name.clone());
                eg.add(TNode::leaf(EOp::Const(c)))
            }
            op => {
                let ins = g.node_inputs(id);
                let mut args = Vec::with_capacity(ins.len() + 1);
                for v in &ins {
                    args.push(match v {
                        Some(v) => *class.get(v).ok_or_else(|| EgraphError::Import {
                            node: node.name.clone(),
                            msg: format!("input `{}` was not converted", g.node(v.node).name),
                        })?,
                        None => eg.add(TNode::leaf(EOp::Absent)),
                    });
                }
                let rank = ins.first().copied().flatten().map(|v| g.value_type(v).rank());
                let (canon, attr) = encode(op, rank);
                match attr {
                    Some(AttrValue::Tensor(t)) => args.push(add_const(&mut eg, Arc::new(t))),
                    Some(AttrValue::Absent) => args.push(eg.add(TNode::leaf(EOp::Absent))),
                    None => {}
                }
                let n = eg.add(TNode::ir(canon, node.outputs.len(), args));
                // The IR's types are authoritative (they keep the names of symbolic dims).
                eg[n].data.types = Some(node.outputs.clone());
                n
            }
        };
        let shared = |v: ValueId| {
            let mut readers: Vec<_> = g.users(v).into_iter().map(|(n, _)| n).collect();
            readers.dedup();
            readers.len() + usize::from(g.is_output(v)) > 1
        };
        if node.outputs.len() > 1 {
            for (p, t) in node.outputs.iter().enumerate() {
                let gc = eg.add(TNode::new(EOp::Get(p as u32), vec![c]));
                eg[gc].data.types = Some(vec![t.clone()]);
                eg[gc].data.shared |= shared(ValueId::new(id, p as u32));
                class.insert(ValueId::new(id, p as u32), gc);
            }
        } else {
            eg[c].data.shared |= shared(ValueId::new(id, 0));
            class.insert(ValueId::new(id, 0), c);
        }
        names.push((c, node.name.clone()));
    }
    eg.rebuild();
    let roots = g
        .outputs()
        .iter()
        .map(|(n, v)| {
            class.get(v).map(|&c| eg.find(c)).ok_or_else(|| EgraphError::Import {
                node: n.clone(),
                msg: "graph output was not converted".into(),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Imported { egraph: eg, roots, names, const_names })
}
