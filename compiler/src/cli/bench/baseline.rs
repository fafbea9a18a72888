//! `--baseline FILE --max-regression P%`: compares this run's ratios (time / reference time
//! measured in the same run) with an earlier report's, entry by entry (the latency and each
//! kernel, keyed by node), and flags every entry whose ratio grew by more than P percent.

use super::report::{Report, SCHEMA};

/// Entries faster than this (median, in either run) are listed but not judged: timer
/// resolution and call overhead dominate them.
pub const MIN_JUDGED_S: f64 = 2e-6;

/// `10%`, `10` or `2.5%` → 0.10, 0.10, 0.025 (the number is always a percentage).
pub fn parse_max_regression(s: &str) -> Result<f64, String> {
    let num = s.trim().strip_suffix('%').unwrap_or(s.trim());
    match num.trim().parse::<f64>() {
        Ok(p) if p.is_finite() && p >= 0.0 => Ok(p / 100.0),
        _ => Err(format!("--max-regression `{s}`: expected a non-negative percentage like 10%")),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Ok,
    Regressed,
    /// Too fast to judge (see `MIN_JUDGED_S`).
    TooFast,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// `latency` or `kernel NODE (op)`.
    pub key: String,
    pub old_ratio: f64,
    pub new_ratio: f64,
    /// new_ratio / old_ratio − 1 (0.2 = 20% slower relative to the reference).
    pub change: f64,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BaselineComparison {
    pub findings: Vec<Finding>,
    /// Keys in only one of the two reports (not judged).
    pub only_in_baseline: Vec<String>,
    pub only_in_run: Vec<String>,
}

impl BaselineComparison {
    pub fn regressions(&self) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.verdict == Verdict::Regressed).collect()
    }

    /// Text for stdout: every compared entry, then the verdict.
    pub fn text(&self, max_regression: f64) -> String {
        let mut o = format!(
            "\nbaseline comparison (ratios to the reference, max regression {:.1}%):\n",
            max_regression * 100.0
        );
        for f in &self.findings {
            let v = match f.verdict {
                Verdict::Ok => "ok",
                Verdict::Regressed => "REGRESSED",
                Verdict::TooFast => "not judged (under 2 us)",
            };
            o += &format!(
                "  {:<48} {:>10.4} -> {:>10.4} {:>+8.1}%  {v}\n",
                f.key,
                f.old_ratio,
                f.new_ratio,
                f.change * 100.0
            );
        }
        for k in &self.only_in_baseline {
            o += &format!("  {k:<48} only in the baseline (not judged)\n");
        }
        for k in &self.only_in_run {
            o += &format!("  {k:<48} not in the baseline (not judged)\n");
        }
        let r = self.regressions();
        if r.is_empty() {
            o += "no regression\n";
        } else {
            o += &format!(
                "{} regression(s): {}\n",
                r.len(),
                r.iter().map(|f| f.key.as_str()).collect::<Vec<_>>().join(", ")
            );
        }
        o
    }
}

/// (key, median seconds, ratio) of every entry of a report.
fn entries(r: &Report) -> Vec<(String, f64, f64)> {
    let mut v = vec![("latency".to_string(), r.latency.median_s, r.latency.ratio)];
    for k in &r.kernels {
        v.push((format!("kernel {} ({})", k.node, k.op), k.timing.median_s, k.timing.ratio));
    }
    v
}

/// Compare `new` with `old`. Errors when the two are not comparable (other schema, reference
/// workload, subject or target triple).
pub fn compare(old: &Report, new: &Report, max_regression: f64) -> Result<BaselineComparison, String> {
    if old.schema != SCHEMA {
        return Err(format!(
            "--baseline: schema {} but this edgec writes schema {SCHEMA}; re-measure the baseline",
            old.schema
        ));
    }
    if old.reference.workload != new.reference.workload {
        return Err(format!(
            "--baseline: measured against reference `{}`, this run against `{}`; ratios are not comparable",
            old.reference.workload, new.reference.workload
        ));
    }
    if old.subject.name != new.subject.name {
        return Err(format!("--baseline: it benchmarks `{}`, this run `{}`", old.subject.name, new.subject.name));
    }
    if old.target.triple != new.target.triple {
        return Err(format!("--baseline: measured for {}, this run for {}", old.target.triple, new.target.triple));
    }
    let old_e = entries(old);
    let new_e = entries(new);
    let mut c = BaselineComparison::default();
    for (key, new_s, new_ratio) in &new_e {
        let Some((_, old_s, old_ratio)) = old_e.iter().find(|(k, _, _)| k == key) else {
            c.only_in_run.push(key.clone());
            continue;
        };
        let change = new_ratio / old_ratio - 1.0;
        let verdict = if *old_s < MIN_JUDGED_S || *new_s < MIN_JUDGED_S {
            Verdict::TooFast
        } else if change > max_regression || !change.is_finite() {
            Verdict::Regressed
        } else {
            Verdict::Ok
        };
        c.findings.push(Finding { key: key.clone(), old_ratio: *old_ratio, new_ratio: *new_ratio, change, verdict });
    }
    for (key, _, _) in &old_e {
        if !new_e.iter().any(|(k, _, _)| k == key) {
            c.only_in_baseline.push(key.clone());
        }
    }
    Ok(c)
}
