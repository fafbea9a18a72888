//! `cse`: common-subexpression elimination. Two nodes with the same op (attributes included)
//! reading the same values become one; constants with at most `cse_const_elements` elements
//! are compared by value (dtype, shape and bits), bigger ones only by shared storage, so nodes
//! reading equal small constants (axes, shapes, scalars) merge too.

use super::Pass;
use crate::rewrite::{reinfer, replace_node};
use crate::{PassContext, PassError, PassStats};
use ir::{DType, Graph, NodeId, Op, Tensor, ValueId};
use std::collections::HashMap;
use std::sync::Arc;

pub struct Cse;

impl Pass for Cse {
    fn name(&self) -> &'static str {
        "cse"
    }

    fn description(&self) -> &'static str {
        "merge nodes that compute the same op on the same values (small constants compared by value)"
    }

    fn run(&self, g: &mut Graph, cx: &PassContext) -> Result<PassStats, PassError> {
        let mut stats = PassStats::new();
        let limit = cx.options.cse_const_elements;
        let mut small_consts: HashMap<(DType, Vec<usize>, Vec<u8>), NodeId> = HashMap::new();
        let mut shared_consts: HashMap<*const Tensor, NodeId> = HashMap::new();
        // (op name, inputs, output count) → earlier nodes with that key; the op itself is
        // compared with `==` among them (attributes included).
        let mut seen: HashMap<(&'static str, Vec<Option<ValueId>>, usize), Vec<NodeId>> = HashMap::new();
        // Topological order: a node's inputs are already merged when it is looked at, and the
        // node kept is the earlier one, so every use of the later one can read it.
        for id in g.topo_order().map_err(|e| PassError::ir(self.name(), e))? {
            let node = g.node(id);
            let rep = match &node.op {
                Op::Input => continue,
                Op::Const(t) => {
                    let found = if t.len() <= limit {
                        *small_consts.entry((t.dtype(), t.shape().to_vec(), t.to_le_bytes())).or_insert(id)
                    } else {
                        *shared_consts.entry(Arc::as_ptr(t)).or_insert(id)
                    };
                    // A const node declared with another type than its tensor's is left alone.
                    (found != id && g.node(found).outputs == node.outputs).then_some(found)
                }
                op => {
                    let key = (op.name(), g.node_inputs(id), node.outputs.len());
                    let candidates = seen.entry(key).or_default();
                    match candidates.iter().copied().find(|&c| g.node(c).op == *op) {
                        Some(c) => Some(c),
                        None => {
                            candidates.push(id);
                            None
                        }
                    }
                }
            };
            if let Some(rep) = rep {
                let n = g.node(id).outputs.len();
                let with: Vec<ValueId> = (0..n as u32).map(|p| ValueId::new(rep, p)).collect();
                replace_node(g, id, &with);
                stats.add("merged", 1);
            }
        }
        if stats.changed() {
            // Merged values may have carried different names for the same unknown dims.
            reinfer(g, self.name())?;
        }
        Ok(stats)
    }
}
