//! Choosing the optimized graph: one e-node per needed class. egg's greedy extractor
//! minimises each class's tree cost (roofline time, see `cost.rs`); a tree cost cannot see
//! that two consumers of one value both fused a copy of its (heavy) producer, so after
//! extraction the chosen DAG is checked for MatMul/Conv/Attention kernels computed twice on
//! the same inputs, the fused variants that caused it are banned, and extraction reruns.

use super::analysis::{decode_node, EG};
use super::cost::{node_time, RooflineCost, INFEASIBLE};
use super::error::EgraphError;
use super::lang::TNode;
use egg::{Extractor, Id};
use ir::Op;
use std::collections::{HashMap, HashSet};
use targets::Profile;

/// Repair rounds before keeping a duplication.
const REPAIR_ROUNDS: usize = 4;

/// The chosen node of every class the roots need, and the DAG's estimated time.
pub struct Extraction {
    pub choice: HashMap<Id, TNode>,
    /// Sum of the kernel times of the chosen DAG (each class once).
    pub cost: f64,
    /// Heavy kernels the repair rounds stopped duplicating.
    pub repaired: usize,
}

/// Walk the chosen nodes from the roots; every reachable class once.
fn walk(eg: &EG, roots: &[Id], best: impl Fn(Id) -> TNode) -> Result<HashMap<Id, TNode>, EgraphError> {
    let mut choice: HashMap<Id, TNode> = HashMap::new();
    let mut stack: Vec<Id> = roots.iter().map(|&r| eg.find(r)).collect();
    while let Some(c) = stack.pop() {
        if choice.contains_key(&c) {
            continue;
        }
        let n = best(c);
        stack.extend(n.args.iter().map(|&a| eg.find(a)));
        choice.insert(c, n);
    }
    Ok(choice)
}

/// What makes two heavy kernels the same computation: op kind and their main inputs.
fn heavy_key(eg: &EG, n: &TNode) -> Option<(String, Vec<Id>)> {
    let (op, slots) = decode_node(eg, n)?;
    let main = |k: usize| slots.iter().take(k).map(|s| s.map_or(Id::from(usize::MAX >> 33), |i| eg.find(i))).collect();
    match op {
        Op::MatMul { trans_a, trans_b } | Op::MatMulFused { trans_a, trans_b, .. } => {
            Some((format!("matmul {trans_a} {trans_b}"), main(2)))
        }
        Op::Conv(a) | Op::ConvFused { attrs: a, .. } => Some((format!("conv {a:?}"), main(2))),
        _ => None,
    }
}

fn is_fused_head(n: &TNode) -> bool {
    matches!(n.ir_op(), Some(Op::MatMulFused { .. } | Op::ConvFused { .. }))
}

/// The kernel time of every e-node.
fn node_times(eg: &EG, profile: &Profile) -> HashMap<TNode, f64> {
    eg.classes().flat_map(|c| c.nodes.iter().map(|n| (n.clone(), node_time(eg, profile, n)))).collect()
}

/// Sum of the chosen kernels' times.
pub fn dag_cost(eg: &EG, profile: &Profile, choice: &HashMap<Id, TNode>) -> f64 {
    choice.values().map(|n| node_time(eg, profile, n)).sum()
}

pub fn greedy(eg: &EG, roots: &[Id], profile: &Profile) -> Result<Extraction, EgraphError> {
    let mut banned: HashSet<TNode> = HashSet::new();
    let mut repaired = 0;
    let mut times = node_times(eg, profile);
    for round in 0..=REPAIR_ROUNDS {
        let ex = Extractor::new(eg, RooflineCost::new(&times));
        for (i, &r) in roots.iter().enumerate() {
            if ex.find_best_cost(r) >= INFEASIBLE {
                return Err(EgraphError::Extract { what: format!("graph output #{i}") });
            }
        }
        let choice = walk(eg, roots, |c| ex.find_best_node(c).clone())?;
        let mut by_key: HashMap<(String, Vec<Id>), Vec<&TNode>> = HashMap::new();
        for n in choice.values() {
            if let Some(k) = heavy_key(eg, n) {
                by_key.entry(k).or_default().push(n);
            }
        }
        let dups: Vec<TNode> = by_key
            .values()
            .filter(|v| v.len() > 1)
            .flat_map(|v| v.iter().copied().filter(|n| is_fused_head(n)).cloned())
            .collect();
        drop(ex);
        if dups.is_empty() || round == REPAIR_ROUNDS {
            let cost = dag_cost(eg, profile, &choice);
            return Ok(Extraction { choice, cost, repaired });
        }
        repaired += dups.len();
        for n in &dups {
            times.insert(n.clone(), INFEASIBLE);
        }
        banned.extend(dups);
    }
    Err(EgraphError::Extract { what: "the graph outputs (repair rounds exhausted)".into() })
}
