//! What a pass reports: counters of changes (`removed`, `folded`, `merged`…) and of notes
//! (things looked at but left alone, e.g. `too big`), each in the order first set, and free-text
//! detail lines.

use std::fmt;

/// Counters of one pass run. The pass changed the graph iff some change counter is non-zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassStats {
    changes: Vec<(&'static str, usize)>,
    notes: Vec<(&'static str, usize)>,
    details: Vec<String>,
}

fn bump(list: &mut Vec<(&'static str, usize)>, what: &'static str, n: usize) {
    match list.iter_mut().find(|(k, _)| *k == what) {
        Some((_, v)) => *v += n,
        None => list.push((what, n)),
    }
}

impl PassStats {
    pub fn new() -> Self {
        Self::default()
    }

    /// Count `n` changes of kind `what` (e.g. `folded`).
    pub fn add(&mut self, what: &'static str, n: usize) {
        bump(&mut self.changes, what, n);
    }

    /// Count `n` cases of `what` that were left unchanged (e.g. `too big`).
    pub fn note(&mut self, what: &'static str, n: usize) {
        bump(&mut self.notes, what, n);
    }

    /// A free-text line for `-v` (e.g. the e-graph's cost estimate and rules applied).
    pub fn detail(&mut self, line: String) {
        self.details.push(line);
    }

    pub fn details(&self) -> &[String] {
        &self.details
    }

    /// The value of change or note counter `what` (0 if never set).
    pub fn get(&self, what: &str) -> usize {
        self.changes.iter().chain(&self.notes).find(|(k, _)| *k == what).map_or(0, |(_, v)| *v)
    }

    pub fn changes(&self) -> &[(&'static str, usize)] {
        &self.changes
    }

    pub fn notes(&self) -> &[(&'static str, usize)] {
        &self.notes
    }

    /// Whether the pass changed anything.
    pub fn changed(&self) -> bool {
        self.changes.iter().any(|(_, v)| *v > 0)
    }
}

fn join(list: &[(&'static str, usize)]) -> String {
    list.iter().filter(|(_, v)| *v > 0).map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for PassStats {
    /// `folded 3, removed 5 (left: too big 2)`; zero counters are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (c, n) = (join(&self.changes), join(&self.notes));
        match (c.is_empty(), n.is_empty()) {
            (true, true) => write!(f, "no change"),
            (false, true) => write!(f, "{c}"),
            (true, false) => write!(f, "no change (left: {n})"),
            (false, false) => write!(f, "{c} (left: {n})"),
        }
    }
}
