//! The graph printer: header with the graph inputs, one line per node in topological order, `return`.

use super::attrs::spell;
use super::literal::{fmt_name, fmt_tensor, fmt_type, fmt_word, quote};
use super::PrintOptions;
use crate::{Graph, NodeId, Op, ValueId};
use std::collections::HashSet;
use std::fmt::Write;

pub fn print_graph(g: &Graph, opts: &PrintOptions) -> String {
    let mut out = String::new();
    let order = match g.topo_order() {
        Ok(o) => o,
        Err(e) => {
            let _ = writeln!(out, "// invalid graph ({e}); nodes are in insertion order");
            g.node_ids()
        }
    };
    let inputs: HashSet<NodeId> = g.inputs().iter().copied().collect();
    let _ = write!(out, "graph {}(", fmt_word(&g.name));
    for (i, &id) in g.inputs().iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if !g.contains(id) {
            let _ = write!(out, "<removed node #{}>", id.index());
            continue;
        }
        let n = g.node(id);
        let _ = write!(out, "%{}: ", fmt_name(&n.name));
        match n.outputs.as_slice() {
            [t] => out.push_str(&fmt_type(t)),
            other => {
                let _ = write!(out, "<invalid: {} types>", other.len());
            }
        }
    }
    out.push_str(") {\n");
    for id in order {
        if !inputs.contains(&id) {
            print_node(g, id, opts, &mut out);
        }
    }
    out.push_str("  return");
    for (i, (name, v)) in g.outputs().iter().enumerate() {
        out.push_str(if i == 0 { " " } else { ", " });
        out.push_str(&fmt_ref(g, *v));
        if !g.contains(v.node) || g.node(v.node).name != *name {
            let _ = write!(out, " as {}", quote(name));
        }
    }
    out.push_str("\n}\n");
    out
}

/// `%name` for a single-output node, `%name#k` otherwise.
pub fn fmt_ref(g: &Graph, v: ValueId) -> String {
    if !g.contains(v.node) {
        return format!("<removed node #{}>", v.node.index());
    }
    let n = g.node(v.node);
    if n.outputs.len() == 1 && v.port == 0 {
        format!("%{}", fmt_name(&n.name))
    } else {
        format!("%{}#{}", fmt_name(&n.name), v.port)
    }
}

fn print_node(g: &Graph, id: NodeId, opts: &PrintOptions, out: &mut String) {
    let n = g.node(id);
    let _ = write!(out, "  %{}", fmt_name(&n.name));
    if n.outputs.len() != 1 {
        let _ = write!(out, ":{}", n.outputs.len());
    }
    out.push_str(" = ");
    let mut types_needed = !n.outputs.is_empty();
    if let Op::Const(t) = &n.op {
        out.push_str("const ");
        fmt_tensor(t, opts, out);
        types_needed = !n.outputs.is_empty() && (n.outputs.len() != 1 || n.outputs[0] != t.ty());
    } else {
        let (name, attrs) = spell(&n.op, opts);
        out.push_str(&name);
        out.push('(');
        for (i, v) in g.node_inputs(id).into_iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            match v {
                Some(v) => out.push_str(&fmt_ref(g, v)),
                None => out.push('_'),
            }
        }
        out.push(')');
        if !attrs.is_empty() {
            let _ = write!(out, " {{{}}}", attrs.join(", "));
        }
    }
    if types_needed {
        out.push_str(" : ");
        let types: Vec<String> = n.outputs.iter().map(fmt_type).collect();
        out.push_str(&types.join(", "));
    }
    out.push('\n');
}
