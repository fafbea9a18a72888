//! Dependency order of ONNX nodes (the file order need not be topological), with the structural
//! checks that come with it: values defined twice, dangling inputs and cycles.

use super::node::OnnxNode;
use super::ImportError;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

pub enum OrderProblem {
    /// The model cannot be imported at all.
    Fatal(ImportError),
    /// Node `i` cannot be imported (dangling input, part of a cycle).
    Node(usize, ImportError),
}

/// Nodes in an order where every input is defined before use (ties keep the file order), and
/// the problems found. `known` are the names defined outside the nodes (inputs, initializers).
pub fn order_nodes(nodes: &[OnnxNode], known: &HashSet<&str>) -> (Vec<usize>, Vec<OrderProblem>) {
    let mut problems = Vec::new();
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for o in n.proto.output.iter().filter(|o| !o.is_empty()) {
            if known.contains(o.as_str()) {
                problems.push(OrderProblem::Fatal(n.invalid(format!(
                    "output `{o}` is already defined as a graph input or initializer"
                ))));
            } else if let Some(&j) = producer.get(o.as_str()) {
                if j != i {
                    problems.push(OrderProblem::Fatal(n.invalid(format!(
                        "output `{o}` is already defined by node `{}`",
                        nodes[j].label
                    ))));
                } else {
                    problems.push(OrderProblem::Fatal(n.invalid(format!("output `{o}` is listed twice"))));
                }
            } else {
                producer.insert(o, i);
            }
        }
    }
    // deps[i]: producers node i waits for; users[j]: nodes waiting for j.
    let mut indeg = vec![0usize; nodes.len()];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let mut deps = HashSet::new();
        for name in n.proto.input.iter().filter(|s| !s.is_empty()) {
            match producer.get(name.as_str()) {
                Some(&j) => {
                    if deps.insert(j) {
                        users[j].push(i);
                        indeg[i] += 1;
                    }
                }
                None if known.contains(name.as_str()) => {}
                None => {
                    problems.push(OrderProblem::Node(
                        i,
                        n.invalid(format!(
                            "input `{name}` is not a graph input, an initializer or the output of any node"
                        )),
                    ));
                }
            }
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..nodes.len()).filter(|&i| indeg[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(nodes.len());
    let mut done = vec![false; nodes.len()];
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        done[i] = true;
        for &u in &users[i] {
            indeg[u] -= 1;
            if indeg[u] == 0 {
                ready.push(Reverse(u));
            }
        }
    }
    if order.len() < nodes.len() {
        let stuck: Vec<usize> = (0..nodes.len()).filter(|&i| !done[i]).collect();
        let labels: Vec<String> = stuck.iter().take(8).map(|&i| format!("`{}`", nodes[i].label)).collect();
        let msg = format!("the graph has a cycle through nodes {}", labels.join(", "));
        for &i in &stuck {
            problems.push(OrderProblem::Node(i, nodes[i].invalid(&msg)));
        }
        // When collecting, the stuck nodes still get visited (their inputs are then unknown).
        order.extend(stuck);
    }
    (order, problems)
}
