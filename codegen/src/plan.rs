//! The memory plan: where every value lives. Graph inputs and outputs are the caller's
//! buffers, constants are packed into one read-only weights blob, and everything else shares
//! one activation arena whose offsets come from liveness (two values overlap in memory only if
//! their lifetimes do not). Reshape-like ops are aliases: their result is the input's bytes.

use crate::error::{CodegenError, Result};
use ir::{Graph, NodeId, Op, ValueId};
use std::collections::HashMap;

/// Alignment of every arena slot and weight (bytes): a cache line, and a full AVX-512 vector.
pub const ALIGN: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Buffer {
    Weights,
    Arena,
    Input(usize),
    Output(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    pub buf: Buffer,
    pub offset: usize,
}

/// One step of the program: run a node's kernel, or copy a value into a graph output.
#[derive(Clone, Debug)]
pub enum Step {
    Kernel(NodeId),
    CopyToOutput { value: ValueId, output: usize },
}

#[derive(Debug, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub place: HashMap<ValueId, Place>,
    /// Arena offset of each kernel's scratch space (packing buffers and the like).
    pub scratch: HashMap<NodeId, (usize, usize)>,
    pub arena_bytes: usize,
    pub weights: Vec<u8>,
    /// Byte size of each graph input / output, in order.
    pub input_bytes: Vec<usize>,
    pub output_bytes: Vec<usize>,
}

/// Ops whose output is the input's bytes reinterpreted with another shape.
pub fn is_alias(op: &Op) -> bool {
    matches!(op, Op::Reshape { .. } | Op::Squeeze | Op::Unsqueeze | Op::Flatten { .. })
}

fn bytes_of(g: &Graph, v: ValueId) -> Result<usize> {
    let t = g.value_type(v);
    let n = t.num_elements().ok_or_else(|| {
        CodegenError::Graph(format!(
            "value {} of node '{}' has a dynamic shape; pass --input-shape to fix it",
            v.port,
            g.node(v.node).name
        ))
    })?;
    Ok(t.dtype.bytes_for(n))
}

fn align(n: usize) -> usize {
    n.div_ceil(ALIGN) * ALIGN
}

struct Interval {
    key: Key,
    size: usize,
    start: usize,
    end: usize,
}

#[derive(Clone, Copy)]
enum Key {
    Value(ValueId),
    Scratch(NodeId),
}

/// Plan memory for `g` in topological order; `scratch(node)` gives each kernel's scratch bytes.
pub fn plan(g: &Graph, scratch: &dyn Fn(NodeId) -> usize) -> Result<Plan> {
    let order = g.topo_order().map_err(|e| CodegenError::Graph(e.to_string()))?;
    let mut p = Plan::default();
    let mut root: HashMap<ValueId, ValueId> = HashMap::new();

    for (i, &id) in g.inputs().iter().enumerate() {
        let v = ValueId::new(id, 0);
        p.place.insert(v, Place { buf: Buffer::Input(i), offset: 0 });
        p.input_bytes.push(bytes_of(g, v)?);
    }
    // Graph outputs: the first output slot a computed value appears in is written in place.
    let mut out_slot: HashMap<ValueId, usize> = HashMap::new();
    let mut copies = vec![];
    for (j, (_, v)) in g.outputs().iter().enumerate() {
        p.output_bytes.push(bytes_of(g, *v)?);
        let computed = !matches!(g.node(v.node).op, Op::Input | Op::Const(_))
            && !is_alias(&g.node(v.node).op);
        if computed && !out_slot.contains_key(v) {
            out_slot.insert(*v, j);
        } else {
            copies.push(Step::CopyToOutput { value: *v, output: j });
        }
    }

    // Steps in order; lifetimes of arena values.
    let mut def: HashMap<ValueId, usize> = HashMap::new();
    let mut last: HashMap<ValueId, usize> = HashMap::new();
    let mut step_of: HashMap<NodeId, usize> = HashMap::new();
    for &id in &order {
        let node = g.node(id);
        match &node.op {
            Op::Input => continue,
            Op::Const(t) => {
                if g.users(ValueId::new(id, 0)).is_empty() && !g.is_output(ValueId::new(id, 0)) {
                    continue;
                }
                let off = align(p.weights.len());
                p.weights.resize(off, 0);
                p.weights.extend_from_slice(&t.to_le_bytes());
                p.place.insert(ValueId::new(id, 0), Place { buf: Buffer::Weights, offset: off });
                continue;
            }
            op if is_alias(op) && !g.is_output(ValueId::new(id, 0)) => {
                let src = g.node_inputs(id)[0].ok_or_else(|| {
                    CodegenError::Graph(format!("node '{}' has no data input", node.name))
                })?;
                let r = *root.get(&src).unwrap_or(&src);
                root.insert(ValueId::new(id, 0), r);
                continue;
            }
            _ => {}
        }
        let s = p.steps.len();
        step_of.insert(id, s);
        p.steps.push(Step::Kernel(id));
        for port in 0..node.outputs.len() {
            let v = ValueId::new(id, port as u32);
            def.insert(v, s);
            last.insert(v, s);
        }
        for v in g.node_inputs(id).into_iter().flatten() {
            let r = *root.get(&v).unwrap_or(&v);
            if let Some(l) = last.get_mut(&r) {
                *l = (*l).max(s);
            }
        }
    }
    // Uses by output copies happen after every kernel.
    let end = p.steps.len();
    for c in &copies {
        if let Step::CopyToOutput { value, .. } = c {
            let r = *root.get(value).unwrap_or(value);
            if let Some(l) = last.get_mut(&r) {
                *l = end;
            }
        }
    }
    p.steps.extend(copies);

    // Arena intervals: computed values not written straight into an output, plus scratch.
    let mut ivs = vec![];
    for (&v, &d) in &def {
        if let Some(&j) = out_slot.get(&v) {
            p.place.insert(v, Place { buf: Buffer::Output(j), offset: 0 });
            continue;
        }
        ivs.push(Interval { key: Key::Value(v), size: align(bytes_of(g, v)?.max(1)), start: d, end: last[&v] });
    }
    for (&id, &s) in &step_of {
        let n = scratch(id);
        if n > 0 {
            ivs.push(Interval { key: Key::Scratch(id), size: align(n), start: s, end: s });
        }
    }
    // Largest first, each at the lowest offset free for its whole lifetime.
    ivs.sort_by(|a, b| b.size.cmp(&a.size).then(a.start.cmp(&b.start)));
    let mut placed: Vec<(usize, usize, usize, usize)> = vec![]; // (offset, size, start, end)
    for iv in &ivs {
        let mut busy: Vec<(usize, usize)> = placed
            .iter()
            .filter(|&&(_, _, s, e)| s <= iv.end && iv.start <= e)
            .map(|&(o, sz, _, _)| (o, o + sz))
            .collect();
        busy.sort();
        let mut off = 0;
        for (b0, b1) in busy {
            if off + iv.size <= b0 {
                break;
            }
            off = off.max(b1);
        }
        placed.push((off, iv.size, iv.start, iv.end));
        p.arena_bytes = p.arena_bytes.max(off + iv.size);
        match iv.key {
            Key::Value(v) => {
                p.place.insert(v, Place { buf: Buffer::Arena, offset: off });
            }
            Key::Scratch(id) => {
                p.scratch.insert(id, (off, iv.size));
            }
        }
    }
    // Aliases share their root's place.
    for (v, r) in root {
        let pl = *p.place.get(&r).ok_or_else(|| {
            CodegenError::Graph(format!("alias of unplaced value in node '{}'", g.node(v.node).name))
        })?;
        p.place.insert(v, pl);
    }
    Ok(p)
}
