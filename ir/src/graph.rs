//! The dataflow graph: op nodes on a petgraph `StableDiGraph`, edges carrying (output port → input slot).

use crate::{IrError, Op, Tensor, TensorType};
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::collections::HashMap;
use std::sync::Arc;

pub type NodeId = NodeIndex<u32>;

/// One output of one node.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueId {
    pub node: NodeId,
    pub port: u32,
}

impl ValueId {
    pub fn new(node: NodeId, port: u32) -> Self {
        ValueId { node, port }
    }
}

/// A node: an op, its name (from the model, unique in the graph), the number of input slots
/// (optional inputs may be empty slots), and the type of each output.
#[derive(Clone, Debug)]
pub struct Node {
    pub name: String,
    pub op: Op,
    pub num_inputs: usize,
    pub outputs: Vec<TensorType>,
}

/// Edge weight: which output of the source feeds which input slot of the target.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub src_port: u32,
    pub dst_slot: u32,
}

/// A typed dataflow graph. Graph inputs are `Op::Input` nodes, constants `Op::Const` nodes;
/// graph outputs are named references to values.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub name: String,
    g: StableDiGraph<Node, Edge>,
    inputs: Vec<NodeId>,
    outputs: Vec<(String, ValueId)>,
}

impl Graph {
    pub fn new(name: impl Into<String>) -> Self {
        Graph { name: name.into(), ..Default::default() }
    }

    /// Add a graph input.
    pub fn add_input(&mut self, name: impl Into<String>, ty: TensorType) -> ValueId {
        let id = self.g.add_node(Node { name: name.into(), op: Op::Input, num_inputs: 0, outputs: vec![ty] });
        self.inputs.push(id);
        ValueId::new(id, 0)
    }

    /// Add a constant.
    pub fn add_const(&mut self, name: impl Into<String>, t: impl Into<Arc<Tensor>>) -> ValueId {
        let t: Arc<Tensor> = t.into();
        let ty = t.ty();
        let id = self.g.add_node(Node { name: name.into(), op: Op::Const(t), num_inputs: 0, outputs: vec![ty] });
        ValueId::new(id, 0)
    }

    /// Add an op node with explicit output types (see `infer` to compute them).
    pub fn add_node(
        &mut self,
        name: impl Into<String>,
        op: Op,
        inputs: &[Option<ValueId>],
        outputs: Vec<TensorType>,
    ) -> Result<NodeId, IrError> {
        let name = name.into();
        for (slot, v) in inputs.iter().enumerate() {
            if let Some(v) = v {
                self.check_value(*v).map_err(|m| IrError::Graph(format!("node `{name}` input {slot}: {m}")))?;
            }
        }
        let id = self.g.add_node(Node { name, op, num_inputs: inputs.len(), outputs });
        for (slot, v) in inputs.iter().enumerate() {
            if let Some(v) = v {
                self.g.add_edge(v.node, id, Edge { src_port: v.port, dst_slot: slot as u32 });
            }
        }
        Ok(id)
    }

    fn check_value(&self, v: ValueId) -> Result<(), String> {
        match self.g.node_weight(v.node) {
            None => Err(format!("refers to a removed or unknown node #{}", v.node.index())),
            Some(n) if v.port as usize >= n.outputs.len() => {
                Err(format!("refers to output {} of `{}`, which has {}", v.port, n.name, n.outputs.len()))
            }
            Some(_) => Ok(()),
        }
    }

    pub fn add_output(&mut self, name: impl Into<String>, v: ValueId) -> Result<(), IrError> {
        let name = name.into();
        self.check_value(v).map_err(|m| IrError::Graph(format!("output `{name}`: {m}")))?;
        self.outputs.push((name, v));
        Ok(())
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.g[id]
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.g[id]
    }

    pub fn contains(&self, id: NodeId) -> bool {
        self.g.contains_node(id)
    }

    pub fn node_count(&self) -> usize {
        self.g.node_count()
    }

    /// All node ids (in insertion order, not necessarily topological).
    pub fn node_ids(&self) -> Vec<NodeId> {
        self.g.node_indices().collect()
    }

    pub fn inputs(&self) -> &[NodeId] {
        &self.inputs
    }

    pub fn outputs(&self) -> &[(String, ValueId)] {
        &self.outputs
    }

    pub fn outputs_mut(&mut self) -> &mut Vec<(String, ValueId)> {
        &mut self.outputs
    }

    /// The type of a value.
    pub fn value_type(&self, v: ValueId) -> &TensorType {
        &self.g[v.node].outputs[v.port as usize]
    }

    /// The input slots of a node, `None` for empty optional slots.
    pub fn node_inputs(&self, id: NodeId) -> Vec<Option<ValueId>> {
        let mut ins = vec![None; self.g[id].num_inputs];
        for e in self.g.edges_directed(id, Direction::Incoming) {
            let w = e.weight();
            if let Some(slot) = ins.get_mut(w.dst_slot as usize) {
                *slot = Some(ValueId::new(e.source(), w.src_port));
            }
        }
        ins
    }

    /// Every incoming edge of `id` as (source value, slot), including edges into slots beyond
    /// `num_inputs` that `node_inputs` does not show; for the verifier.
    pub fn input_edges(&self, id: NodeId) -> Vec<(ValueId, usize)> {
        let mut v: Vec<_> = self
            .g
            .edges_directed(id, Direction::Incoming)
            .map(|e| (ValueId::new(e.source(), e.weight().src_port), e.weight().dst_slot as usize))
            .collect();
        v.sort_by_key(|&(v, slot)| (slot, v));
        v
    }

    /// Nodes and slots that read `v`.
    pub fn users(&self, v: ValueId) -> Vec<(NodeId, usize)> {
        let mut u: Vec<_> = self
            .g
            .edges_directed(v.node, Direction::Outgoing)
            .filter(|e| e.weight().src_port == v.port)
            .map(|e| (e.target(), e.weight().dst_slot as usize))
            .collect();
        u.sort();
        u
    }

    /// Whether `v` is a graph output.
    pub fn is_output(&self, v: ValueId) -> bool {
        self.outputs.iter().any(|(_, o)| *o == v)
    }

    /// The constant behind `v`, if `v` is the output of a `Const` node.
    pub fn const_value(&self, v: ValueId) -> Option<&Arc<Tensor>> {
        match &self.g.node_weight(v.node)?.op {
            Op::Const(t) => Some(t),
            _ => None,
        }
    }

    /// Point every use of `old` (node inputs and graph outputs) at `new`.
    pub fn replace_uses(&mut self, old: ValueId, new: ValueId) {
        let edges: Vec<_> = self
            .g
            .edges_directed(old.node, Direction::Outgoing)
            .filter(|e| e.weight().src_port == old.port)
            .map(|e| (e.id(), e.target(), e.weight().dst_slot))
            .collect();
        for (eid, target, slot) in edges {
            self.g.remove_edge(eid);
            self.g.add_edge(new.node, target, Edge { src_port: new.port, dst_slot: slot });
        }
        for (_, o) in self.outputs.iter_mut() {
            if *o == old {
                *o = new;
            }
        }
    }

    /// Set input `slot` of `id` to `v` (or clear it).
    pub fn set_input(&mut self, id: NodeId, slot: usize, v: Option<ValueId>) {
        let old: Vec<_> = self
            .g
            .edges_directed(id, Direction::Incoming)
            .filter(|e| e.weight().dst_slot as usize == slot)
            .map(|e| e.id())
            .collect();
        for e in old {
            self.g.remove_edge(e);
        }
        if let Some(v) = v {
            self.g.add_edge(v.node, id, Edge { src_port: v.port, dst_slot: slot as u32 });
        }
        let n = &mut self.g[id];
        n.num_inputs = n.num_inputs.max(slot + 1);
    }

    /// Remove a node and its edges. Graph inputs are removed from the input list too.
    pub fn remove_node(&mut self, id: NodeId) {
        self.g.remove_node(id);
        self.inputs.retain(|&i| i != id);
    }

    /// Nodes in a topological order (inputs first, in graph-input order; ties by insertion order).
    pub fn topo_order(&self) -> Result<Vec<NodeId>, IrError> {
        let mut indeg: HashMap<NodeId, usize> = HashMap::new();
        for id in self.g.node_indices() {
            indeg.insert(id, 0);
        }
        for e in self.g.edge_indices() {
            let (_, t) = self.g.edge_endpoints(e).expect("edge");
            *indeg.get_mut(&t).expect("node") += 1;
        }
        // A min-heap on insertion index keeps the order deterministic and close to the source order.
        let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<NodeId>> =
            indeg.iter().filter(|(_, &d)| d == 0).map(|(&n, _)| std::cmp::Reverse(n)).collect();
        let mut order = Vec::with_capacity(self.g.node_count());
        while let Some(std::cmp::Reverse(n)) = ready.pop() {
            order.push(n);
            for e in self.g.edges_directed(n, Direction::Outgoing) {
                let d = indeg.get_mut(&e.target()).expect("node");
                *d -= 1;
                if *d == 0 {
                    ready.push(std::cmp::Reverse(e.target()));
                }
            }
        }
        if order.len() != self.g.node_count() {
            let done: std::collections::HashSet<NodeId> = order.iter().copied().collect();
            let stuck: Vec<&str> = self
                .g
                .node_indices()
                .filter(|n| !done.contains(n))
                .map(|n| self.g[n].name.as_str())
                .take(5)
                .collect();
            return Err(IrError::Graph(format!("the graph has a cycle through {}", stuck.join(", "))));
        }
        Ok(order)
    }

    /// Remove nodes that no graph output depends on (graph inputs are kept).
    pub fn dce(&mut self) -> usize {
        let mut live = std::collections::HashSet::new();
        let mut stack: Vec<NodeId> = self.outputs.iter().map(|(_, v)| v.node).collect();
        stack.extend(self.inputs.iter().copied());
        while let Some(n) = stack.pop() {
            if live.insert(n) {
                stack.extend(self.g.neighbors_directed(n, Direction::Incoming));
            }
        }
        let dead: Vec<_> = self.g.node_indices().filter(|n| !live.contains(n)).collect();
        for &n in &dead {
            self.g.remove_node(n);
        }
        dead.len()
    }

    /// The node with this name, if any.
    pub fn find_node(&self, name: &str) -> Option<NodeId> {
        self.g.node_indices().find(|&n| self.g[n].name == name)
    }

    /// A node name not used yet, derived from `base`.
    pub fn fresh_name(&self, base: &str) -> String {
        let names: std::collections::HashSet<&str> = self.g.node_weights().map(|n| n.name.as_str()).collect();
        if !names.contains(base) {
            return base.to_string();
        }
        (1..).map(|i| format!("{base}_{i}")).find(|n| !names.contains(n.as_str())).expect("infinite")
    }
}
