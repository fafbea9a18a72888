//! The exact extractor (`ExtractorKind::Ilp`): the DAG-cost-optimal choice as an integer
//! linear program, solved with microlp (pure Rust), warm-started from the greedy + hill
//! climbing choice and bounded in time (the best solution found is used; the warm start if
//! none is better).
//!
//! Model, over the classes reachable from the roots:
//! - `x_n` ∈ {0,1} per node (nodes of infinite cost, or reading their own class, are left out),
//!   `a_c` ∈ {0,1} per class: `Σ_{n∈c} x_n = a_c`, roots active, `x_n ≤ a_k` for each child k;
//! - acyclicity by levels `0 ≤ L_c ≤ K`: `L_c − L_k ≥ 1 − (K+1)(1 − x_n)` for each child k;
//! - minimise `Σ t_n x_n` (kernel times in µs, each chosen kernel counted once).

use super::extract::Dag;
use microlp::{ComparisonOp, OptimizationDirection, Problem, SolveOptions, Variable};
use std::time::{Duration, Instant};

/// What the ILP solve did.
#[derive(Clone, Debug)]
pub struct IlpReport {
    /// `optimal`, `feasible (time limit)`, `no solution in time`, or the solver's error.
    pub status: String,
    /// DAG cost of the warm start (greedy + hill climbing) and of the result, in seconds.
    pub warm_cost: f64,
    pub cost: f64,
    pub time: Duration,
    pub variables: usize,
    pub constraints: usize,
}

/// Times below this (in µs) are raised to it, keeping the objective's coefficients within
/// the solver's recommended range.
const MIN_US: f64 = 1e-3;

/// Solve; returns the report and, when it found a cheaper acyclic choice, that choice and its
/// cost.
pub fn solve(dag: &Dag, warm: &[usize], warm_cost: f64, limit: Duration) -> (IlpReport, Option<(Vec<usize>, f64)>) {
    let t0 = Instant::now();
    let n = dag.nodes.len();
    // Classes reachable from the roots through any node.
    let mut live = vec![false; n];
    let mut stack = dag.roots.clone();
    while let Some(c) = stack.pop() {
        if std::mem::replace(&mut live[c], true) {
            continue;
        }
        for (kids, t) in &dag.nodes[c] {
            if t.is_finite() {
                stack.extend(kids.iter().copied().filter(|&k| !live[k]));
            }
        }
    }
    let k = live.iter().filter(|&&l| l).count() as f64;
    let mut p = Problem::new(OptimizationDirection::Minimize);
    let mut constraints = 0;
    let active: Vec<Option<Variable>> = (0..n).map(|c| live[c].then(|| p.add_binary_var(0.0))).collect();
    let level: Vec<Option<Variable>> = (0..n).map(|c| live[c].then(|| p.add_var(0.0, (0.0, k)))).collect();
    let mut x: Vec<Vec<Option<Variable>>> = Vec::with_capacity(n);
    for (c, nodes) in dag.nodes.iter().enumerate() {
        let mut row = Vec::new();
        for (kids, t) in nodes {
            let usable = live[c] && t.is_finite() && !kids.contains(&c);
            row.push(usable.then(|| p.add_binary_var((t * 1e6).max(MIN_US))));
        }
        x.push(row);
    }
    for c in (0..n).filter(|&c| live[c]) {
        let (Some(a), Some(lc)) = (active[c], level[c]) else { continue };
        let mut sum: Vec<(Variable, f64)> = x[c].iter().flatten().map(|&v| (v, 1.0)).collect();
        sum.push((a, -1.0));
        p.add_constraint(sum, ComparisonOp::Eq, 0.0);
        constraints += 1;
        for (i, (kids, _)) in dag.nodes[c].iter().enumerate() {
            let Some(xv) = x[c][i] else { continue };
            let mut seen = Vec::new();
            for &kid in kids {
                if seen.contains(&kid) {
                    continue;
                }
                seen.push(kid);
                let (Some(ak), Some(lk)) = (active[kid], level[kid]) else { continue };
                p.add_constraint([(xv, 1.0), (ak, -1.0)], ComparisonOp::Le, 0.0);
                p.add_constraint([(lc, 1.0), (lk, -1.0), (xv, -(k + 1.0))], ComparisonOp::Ge, -k);
                constraints += 2;
            }
        }
    }
    for &r in &dag.roots {
        if let Some(a) = active[r] {
            p.add_constraint([(a, 1.0)], ComparisonOp::Ge, 1.0);
            constraints += 1;
        }
    }
    let variables = active.iter().flatten().count() * 2 + x.iter().flatten().flatten().count();
    let hint = warm_hint(dag, warm, &active, &level, &x);
    let mut options = SolveOptions::default();
    options.time_limit = Some(limit);
    options.warm_start = hint;
    let mut report = IlpReport { status: String::new(), warm_cost, cost: warm_cost, time: Duration::ZERO, variables, constraints };
    let outcome = p.solve_with(options);
    report.time = t0.elapsed();
    let solution = match outcome {
        Err(e) => {
            report.status = format!("solver error: {e}");
            return (report, None);
        }
        Ok(o) => match o.into_solution() {
            Ok(s) => s,
            Err(_) => {
                report.status = "no solution in time".into();
                return (report, None);
            }
        },
    };
    report.status = if matches!(solution.status(), microlp::SolutionStatus::Optimal) {
        "optimal".into()
    } else {
        "feasible (time limit)".into()
    };
    let mut choice = warm.to_vec();
    for c in (0..n).filter(|&c| live[c]) {
        if let Some(i) = x[c].iter().position(|v| v.is_some_and(|v| solution.var_value(v) > 0.5)) {
            choice[c] = i;
        }
    }
    let mut mark = vec![0u8; n];
    match dag.cost(&choice, &mut mark) {
        Some(t) if t < warm_cost => {
            report.cost = t;
            (report, Some((choice, t)))
        }
        _ => (report, None),
    }
}

/// The warm start: the chosen nodes and active classes of `warm`, levels by depth.
fn warm_hint(
    dag: &Dag,
    warm: &[usize],
    active: &[Option<Variable>],
    level: &[Option<Variable>],
    x: &[Vec<Option<Variable>>],
) -> Option<Vec<(Variable, f64)>> {
    let n = dag.nodes.len();
    let mut mark = vec![0u8; n];
    dag.cost(warm, &mut mark)?;
    // Level = 1 + the highest level of its children (post-order over the used classes).
    let mut lv = vec![0.0f64; n];
    let mut done = vec![false; n];
    let mut stack: Vec<(usize, bool)> = dag.roots.iter().map(|&r| (r, false)).collect();
    while let Some((c, exp)) = stack.pop() {
        if done[c] {
            continue;
        }
        let kids = &dag.nodes[c][warm[c]].0;
        if exp {
            lv[c] = kids.iter().map(|&k| lv[k] + 1.0).fold(0.0, f64::max);
            done[c] = true;
        } else {
            stack.push((c, true));
            stack.extend(kids.iter().filter(|&&k| !done[k]).map(|&k| (k, false)));
        }
    }
    let mut hint = Vec::new();
    for c in 0..n {
        let used = mark[c] == 2;
        if let Some(a) = active[c] {
            hint.push((a, if used { 1.0 } else { 0.0 }));
        }
        if let Some(l) = level[c] {
            hint.push((l, lv[c]));
        }
        for (i, v) in x[c].iter().enumerate() {
            if let Some(v) = v {
                hint.push((*v, if used && warm[c] == i { 1.0 } else { 0.0 }));
            }
        }
    }
    Some(hint)
}
