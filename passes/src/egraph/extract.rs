//! Choosing the optimized graph: one e-node per needed class.
//!
//! egg's greedy extractor minimises each class's *tree* cost (roofline time, `cost.rs`),
//! which counts a shared value once per use and cannot see that a value computed anyway is
//! free to reuse: it may pick, for two classes equal up to a reshape, two kernels, or fuse a
//! copy of a shared producer into a consumer. So the greedy choice is then improved on the
//! true objective, the DAG cost (every chosen kernel once): hill climbing that switches one
//! class at a time to another of its nodes when that lowers the DAG cost and keeps the term
//! acyclic, until no switch helps.

use super::analysis::EG;
use super::cost::{node_time, RooflineCost, INFEASIBLE};
use super::error::EgraphError;
use super::ilp;
use super::lang::TNode;
use super::options::ExtractorKind;
use egg::{Extractor, Id};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use targets::Profile;

/// Rounds of hill climbing over all classes.
const ROUNDS: usize = 8;
/// Wall-clock budget of the hill climbing.
const BUDGET: Duration = Duration::from_secs(2);

/// The chosen node of every class the roots need, and the DAG's estimated time.
pub struct Extraction {
    pub choice: HashMap<Id, TNode>,
    /// Sum of the kernel times of the chosen DAG (each class once), in seconds.
    pub cost: f64,
    /// Class switches the DAG-cost improvement made after the greedy choice.
    pub improved: usize,
    /// What the ILP extractor did, when it was asked for.
    pub ilp: Option<ilp::IlpReport>,
}

/// The kernel time of every e-node.
fn node_times(eg: &EG, profile: &Profile) -> HashMap<TNode, f64> {
    eg.classes().flat_map(|c| c.nodes.iter().map(|n| (n.clone(), node_time(eg, profile, n)))).collect()
}

/// Index-based view of the e-graph for extraction: classes by dense index.
pub struct Dag {
    /// Per class: its nodes' (children as class indices, time).
    pub nodes: Vec<Vec<(Vec<usize>, f64)>>,
    pub roots: Vec<usize>,
}

impl Dag {
    fn new(eg: &EG, roots: &[Id], times: &HashMap<TNode, f64>) -> Self {
        let index: HashMap<Id, usize> = eg.classes().enumerate().map(|(i, c)| (c.id, i)).collect();
        let nodes = eg
            .classes()
            .map(|c| {
                c.nodes
                    .iter()
                    .map(|n| {
                        let kids = n.args.iter().map(|a| index[&eg.find(*a)]).collect();
                        (kids, times.get(n).copied().unwrap_or(INFEASIBLE))
                    })
                    .collect()
            })
            .collect();
        let roots = roots.iter().map(|r| index[&eg.find(*r)]).collect();
        Dag { nodes, roots }
    }

    /// DAG cost of `choice` (node index per class), or None if the chosen term has a cycle.
    /// Afterwards `mark[c] == 2` exactly for the classes the term uses.
    pub fn cost(&self, choice: &[usize], mark: &mut [u8]) -> Option<f64> {
        mark.iter_mut().for_each(|m| *m = 0);
        let mut total = 0.0;
        let mut stack: Vec<(usize, bool)> = self.roots.iter().map(|&r| (r, false)).collect();
        while let Some((c, done)) = stack.pop() {
            if done {
                mark[c] = 2;
                continue;
            }
            match mark[c] {
                2 => continue,
                1 => {
                    // Reached again while its subtree is open: a cycle, unless it was only
                    // pushed twice before being expanded (then it is finished by now).
                    return None;
                }
                _ => {}
            }
            mark[c] = 1;
            let (kids, t) = &self.nodes[c][choice[c]];
            total += t;
            stack.push((c, true));
            for &k in kids {
                match mark[k] {
                    0 => stack.push((k, false)),
                    1 => return None,
                    _ => {}
                }
            }
        }
        Some(total)
    }
}

/// Extract with `kind` (see the module doc); `ilp_time` bounds the ILP solve.
pub fn extract(eg: &EG, roots: &[Id], profile: &Profile, kind: ExtractorKind, ilp_time: Duration) -> Result<Extraction, EgraphError> {
    let times = node_times(eg, profile);
    let ex = Extractor::new(eg, RooflineCost::new(&times));
    for (i, &r) in roots.iter().enumerate() {
        if ex.find_best_cost(r) >= INFEASIBLE {
            return Err(EgraphError::Extract { what: format!("graph output #{i}") });
        }
    }
    let dag = Dag::new(eg, roots, &times);
    let classes: Vec<Id> = eg.classes().map(|c| c.id).collect();
    let mut choice: Vec<usize> = classes
        .iter()
        .map(|&c| {
            let best = ex.find_best_node(c);
            eg[c].nodes.iter().position(|n| n == best).unwrap_or(0)
        })
        .collect();
    let mut mark = vec![0u8; classes.len()];
    let mut best = dag.cost(&choice, &mut mark).ok_or_else(|| EgraphError::Extract { what: "an acyclic term".into() })?;
    let start = Instant::now();
    let mut improved = 0;
    'rounds: for _ in 0..ROUNDS {
        let mut any = false;
        for c in 0..classes.len() {
            for alt in 0..dag.nodes[c].len() {
                if alt == choice[c] || dag.nodes[c][alt].1 >= INFEASIBLE {
                    continue;
                }
                let old = std::mem::replace(&mut choice[c], alt);
                match dag.cost(&choice, &mut mark) {
                    Some(t) if t < best * (1.0 - 1e-9) => {
                        best = t;
                        any = true;
                        improved += 1;
                    }
                    _ => choice[c] = old,
                }
            }
            if start.elapsed() > BUDGET {
                break 'rounds;
            }
        }
        if !any {
            break;
        }
    }
    let mut report = None;
    if kind == ExtractorKind::Ilp {
        let (r, better) = ilp::solve(&dag, &choice, best, ilp_time);
        if let Some((c, t)) = better {
            choice = c;
            best = t;
        }
        report = Some(r);
    }
    // Keep the reachable classes only.
    dag.cost(&choice, &mut mark);
    let choice: HashMap<Id, TNode> = classes
        .iter()
        .enumerate()
        .filter(|&(i, _)| mark[i] == 2)
        .map(|(i, &c)| (c, eg[c].nodes[choice[i]].clone()))
        .collect();
    Ok(Extraction { choice, cost: best, improved, ilp: report })
}

/// The greedy extraction (used for the cost of the unoptimized graph, too).
pub fn greedy(eg: &EG, roots: &[Id], profile: &Profile) -> Result<Extraction, EgraphError> {
    extract(eg, roots, profile, ExtractorKind::Greedy, Duration::ZERO)
}
