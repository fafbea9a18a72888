//! Extracted e-graph → IR graph. Each chosen class becomes one node (so sharing survives),
//! named after the IR value the class came from when there is one; constants keep their
//! names and storage (`Arc`, no copy); graph inputs and outputs keep names and order.

use super::analysis::{decode_node, EG};
use super::error::EgraphError;
use super::lang::{EOp, TNode};
use egg::Id;
use ir::{Graph, NodeId, Tensor, ValueId};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[derive(Clone, Copy)]
enum Val {
    One(ValueId),
    Tuple(NodeId),
    Absent,
}

struct Namer {
    used: HashSet<String>,
    names: HashMap<Id, String>,
}

impl Namer {
    fn name(&mut self, class: Id, base: &str) -> String {
        let want = self.names.get(&class).cloned().unwrap_or_else(|| base.to_string());
        let mut n = want.clone();
        let mut i = 1;
        while self.used.contains(&n) {
            n = format!("{want}_{i}");
            i += 1;
        }
        self.used.insert(n.clone());
        n
    }
}

/// The classes a chosen node reads as values (attribute children are not values).
fn value_children(eg: &EG, n: &TNode) -> Vec<Id> {
    match &n.op {
        EOp::Ir(_) => decode_node(eg, n).map(|(_, s)| s.into_iter().flatten().collect()).unwrap_or_default(),
        EOp::Get(_) => n.args.clone(),
        _ => vec![],
    }
}

/// Build the graph for `choice` with the outputs of `old` bound to `roots`.
pub fn export(
    old: &Graph,
    eg: &EG,
    choice: &HashMap<Id, TNode>,
    roots: &[Id],
    names: &[(Id, String)],
    const_names: &HashMap<u32, String>,
) -> Result<Graph, EgraphError> {
    let mut g = Graph::new(old.name.clone());
    let mut inputs = Vec::new();
    let mut namer = Namer { used: HashSet::new(), names: HashMap::new() };
    for &i in old.inputs() {
        let n = old.node(i);
        inputs.push(g.add_input(n.name.clone(), n.outputs[0].clone()));
        namer.used.insert(n.name.clone());
    }
    for (c, n) in names {
        namer.names.entry(eg.find(*c)).or_insert_with(|| n.clone());
    }
    let mut vals: HashMap<Id, Val> = HashMap::new();
    // Iterative post-order: a class is emitted once all its value children are.
    let mut stack: Vec<(Id, bool)> = roots.iter().rev().map(|&r| (eg.find(r), false)).collect();
    let mut on_path: HashSet<Id> = HashSet::new();
    while let Some((c, expanded)) = stack.pop() {
        if vals.contains_key(&c) {
            continue;
        }
        let n = choice.get(&c).ok_or_else(|| EgraphError::Export(format!("class {c} has no chosen node")))?;
        if !expanded {
            if !on_path.insert(c) {
                return Err(EgraphError::Export(format!("the chosen term has a cycle through class {c}")));
            }
            stack.push((c, true));
            for k in value_children(eg, n).into_iter().rev() {
                let k = eg.find(k);
                if !vals.contains_key(&k) {
                    stack.push((k, false));
                }
            }
            continue;
        }
        on_path.remove(&c);
        let v = emit(&mut g, eg, c, n, &vals, &inputs, &mut namer, const_names)?;
        vals.insert(c, v);
    }
    for ((name, _), &r) in old.outputs().iter().zip(roots) {
        match vals.get(&eg.find(r)) {
            Some(Val::One(v)) => g.add_output(name.clone(), *v)?,
            _ => return Err(EgraphError::Export(format!("output `{name}` is not a single value"))),
        }
    }
    Ok(g)
}

#[allow(clippy::too_many_arguments)]
fn emit(
    g: &mut Graph,
    eg: &EG,
    c: Id,
    n: &TNode,
    vals: &HashMap<Id, Val>,
    inputs: &[ValueId],
    namer: &mut Namer,
    const_names: &HashMap<u32, String>,
) -> Result<Val, EgraphError> {
    let bad = |m: String| EgraphError::Export(m);
    Ok(match &n.op {
        EOp::Input(i) => Val::One(*inputs.get(*i as usize).ok_or_else(|| bad(format!("no graph input #{i}")))?),
        EOp::Const(k) => {
            let t = eg.analysis.consts[*k as usize].clone();
            let base = const_names.get(k).cloned().unwrap_or_else(|| "const".into());
            let name = match const_names.get(k) {
                Some(cn) if !namer.used.contains(cn) => {
                    namer.used.insert(cn.clone());
                    cn.clone()
                }
                _ => namer.name(c, &base),
            };
            Val::One(g.add_const(name, t))
        }
        EOp::Lit(b) => Val::One(g.add_const(namer.name(c, "scalar"), Arc::new(Tensor::scalar(f32::from_bits(*b))))),
        EOp::Absent => Val::Absent,
        EOp::Get(p) => match n.args.first().and_then(|a| vals.get(&eg.find(*a))) {
            Some(Val::Tuple(node)) => Val::One(ValueId::new(*node, *p)),
            _ => return Err(bad(format!("get#{p} of a value that is not a multi-output node"))),
        },
        EOp::Meta(_) => return Err(bad("a compile-time meta function was chosen".into())),
        EOp::Ir(o) => {
            let (op, slots) = decode_node(eg, n).ok_or_else(|| bad(format!("`{}` has a non-constant attribute", o.key())))?;
            let mut ins = Vec::with_capacity(slots.len());
            for s in slots {
                ins.push(match s {
                    None => None,
                    Some(s) => match vals.get(&eg.find(s)) {
                        Some(Val::One(v)) => Some(*v),
                        Some(Val::Absent) => None,
                        _ => return Err(bad(format!("an input of `{}` is not a single value", o.key()))),
                    },
                });
            }
            let types = eg[c].data.types.clone().ok_or_else(|| bad(format!("`{}` has no type", o.key())))?;
            let multi = o.outputs() > 1;
            let name = namer.name(c, op.name());
            let id = g.add_node(name, op, &ins, types)?;
            if multi {
                Val::Tuple(id)
            } else {
                Val::One(ValueId::new(id, 0))
            }
        }
    })
}
