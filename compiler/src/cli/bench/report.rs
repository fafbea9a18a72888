//! The result of `edgec bench`: the JSON document `--json` writes (schema in docs/bench.md),
//! built from the harness's samples, and its text form.

use crate::native::bench::{Samples, REFERENCE_FLOPS, REFERENCE_WORKLOAD};
use serde::{Deserialize, Serialize};

/// Version of the JSON layout below; bump on incompatible changes.
pub const SCHEMA: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub schema: u32,
    pub edgec_version: String,
    pub subject: Subject,
    pub target: Target,
    pub threads: u32,
    pub iters: usize,
    pub warmup: usize,
    /// Where the inputs came from: `random (seed N)` or `test data DIR`.
    pub inputs: String,
    pub reference: Reference,
    /// The plain build: what a user of the compiled model gets.
    pub latency: Timing,
    /// The instrumented build (the same code plus one clock read per kernel boundary).
    pub profiled_latency: Timing,
    pub kernels: Vec<KernelTiming>,
    /// Median over instrumented runs of (run time − sum of its kernel times): entry checks,
    /// output copies and the hook itself.
    pub other_s: f64,
    /// What an empty kernel measures between two hook calls (wall clock), already subtracted
    /// from every kernel time.
    pub hook_s: f64,
    #[serde(default)]
    pub ort: Option<OrtTiming>,
    #[serde(default)]
    pub unfused: Option<UnfusedTiming>,
}

/// `--compare unfused`: the same model built without the e-graph optimizer (no fusion), run in
/// the same process on the same inputs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UnfusedTiming {
    pub latency: Timing,
    /// Kernels in the unfused build.
    pub kernels: usize,
    /// Unfused latency median / the optimized build's (above 1: fusion pays).
    pub speedup: f64,
    /// Largest |optimized − unfused| over every element of every output.
    pub max_abs_diff: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Subject {
    /// `model` or `kernel`.
    pub kind: String,
    /// The compiled model's name (C prefix); baselines must match it.
    pub name: String,
    /// The ONNX file (kind `model`).
    #[serde(default)]
    pub path: Option<String>,
    /// `--kernel` and `--shape` (kind `kernel`).
    #[serde(default)]
    pub kernel: Option<String>,
    #[serde(default)]
    pub shape: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Target {
    pub name: String,
    pub triple: String,
    pub cpu: String,
    /// Ran under qemu-user: the times say nothing about the device.
    pub emulated: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Reference {
    /// Which fixed loop was timed (see docs/bench.md); baselines must match it.
    pub workload: String,
    pub flops: u64,
    pub median_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    pub cpu_median_s: f64,
}

/// Statistics of one timed quantity, in seconds (wall clock), and its ratio to the reference.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Timing {
    pub median_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    pub mean_s: f64,
    /// Median of the thread's CPU time (excludes time the process was descheduled).
    pub cpu_median_s: f64,
    /// Median over iterations of (CPU time of iteration i / CPU time of the reference run just
    /// before it).
    pub ratio: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct KernelTiming {
    pub index: usize,
    pub func: String,
    pub node: String,
    pub op: String,
    pub flops: u64,
    pub bytes: u64,
    #[serde(flatten)]
    pub timing: Timing,
    /// Fraction of the instrumented run's median spent in this kernel.
    pub share: f64,
    /// flops / median_s / 1e9, when the kernel counts flops.
    pub gflops: Option<f64>,
    /// bytes / median_s / 1e9.
    pub gbps: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OrtTiming {
    pub version: String,
    pub threads: u32,
    pub median_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    pub mean_s: f64,
    /// edgec's latency median / ORT's median (below 1: edgec is faster).
    pub edgec_over_ort: f64,
    /// Largest |edgec − ORT| over every element of every output compared.
    pub max_abs_diff: f64,
    /// Outputs found in both and compared.
    pub outputs_compared: usize,
}

/// The median (mean of the middle two for an even count); NaN when empty.
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Statistics of wall times `times` and CPU times `cpu`, each CPU time paired with the CPU time
/// `ref_cpu[i]` of the reference run measured just before it.
pub fn timing(times: &[f64], cpu: &[f64], ref_cpu: &[f64]) -> Timing {
    let ratios: Vec<f64> = cpu.iter().zip(ref_cpu).map(|(t, r)| t / r).collect();
    Timing {
        median_s: median(times),
        min_s: min(times),
        max_s: max(times),
        mean_s: mean(times),
        cpu_median_s: median(cpu),
        ratio: median(&ratios),
    }
}

/// Everything of a report that comes from the harness.
pub struct Measured {
    pub reference: Reference,
    pub hook_s: f64,
    pub latency: Timing,
    pub profiled_latency: Timing,
    pub kernels: Vec<KernelTiming>,
    pub other_s: f64,
}

/// Turn samples into timings; `kernels` are the instrumented build's manifest entries.
pub fn measure(s: &Samples, kernels: &[codegen::manifest::KernelEntry]) -> Measured {
    let iters = s.total.len();
    let (ref_plain, ref_prof) = s.reference_cpu.split_at(iters.min(s.reference_cpu.len()));
    let profiled_latency = timing(&s.profiled_total, &s.profiled_total_cpu, ref_prof);
    let kernels: Vec<KernelTiming> = kernels
        .iter()
        .zip(s.kernels.iter().zip(&s.kernels_cpu))
        .enumerate()
        .map(|(index, (k, (times, cpu)))| {
            let t = timing(times, cpu, ref_prof);
            let rate = |x: u64| (x > 0 && t.median_s > 0.0).then(|| x as f64 / t.median_s / 1e9);
            KernelTiming {
                index,
                // The instrumented build's functions carry the plain build's names.
                func: k.func.clone(),
                node: k.node.clone(),
                op: k.op.clone(),
                flops: k.flops,
                bytes: k.bytes,
                share: t.median_s / profiled_latency.median_s,
                gflops: rate(k.flops),
                gbps: rate(k.bytes),
                timing: t,
            }
        })
        .collect();
    let other: Vec<f64> = (0..s.profiled_total.len())
        .map(|i| s.profiled_total[i] - s.kernels.iter().map(|k| k[i]).sum::<f64>())
        .collect();
    Measured {
        reference: Reference {
            workload: REFERENCE_WORKLOAD.into(),
            flops: REFERENCE_FLOPS,
            median_s: median(&s.reference),
            min_s: min(&s.reference),
            max_s: max(&s.reference),
            cpu_median_s: median(&s.reference_cpu),
        },
        hook_s: s.hook,
        latency: timing(&s.total, &s.total_cpu, ref_plain),
        profiled_latency,
        kernels,
        other_s: if other.is_empty() { 0.0 } else { median(&other) },
    }
}

/// Seconds in a readable unit.
pub fn fmt_time(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.2} us", s * 1e6)
    }
}

/// The report as text (stdout of `edgec bench`).
pub fn text(r: &Report) -> String {
    let mut o = String::new();
    let what = match (&r.subject.kernel, &r.subject.shape) {
        (Some(k), Some(s)) => format!("kernel {k} {s}"),
        _ => r.subject.path.clone().unwrap_or_else(|| r.subject.name.clone()),
    };
    o += &format!(
        "{what} on {} ({}, cpu {}{}): {} thread, {} iterations after {} warm-up, inputs {}\n",
        r.target.name,
        r.target.triple,
        r.target.cpu,
        if r.target.emulated { ", EMULATED" } else { "" },
        r.threads,
        r.iters,
        r.warmup,
        r.inputs
    );
    let l = &r.latency;
    o += &format!(
        "latency: median {}  min {}  max {}  mean {}  (CPU time median {})\n",
        fmt_time(l.median_s),
        fmt_time(l.min_s),
        fmt_time(l.max_s),
        fmt_time(l.mean_s),
        fmt_time(l.cpu_median_s)
    );
    let flops: u64 = r.kernels.iter().map(|k| k.flops).sum();
    if flops > 0 && l.median_s > 0.0 {
        o += &format!(
            "work: {:.4} GFLOP per run (MatMul/Conv) -> {:.2} GFLOP/s at the median latency\n",
            flops as f64 / 1e9,
            flops as f64 / l.median_s / 1e9
        );
    }
    o += &format!(
        "reference ({}): median {} (CPU {}) -> latency ratio {:.3} (CPU time / reference CPU time)\n",
        r.reference.workload,
        fmt_time(r.reference.median_s),
        fmt_time(r.reference.cpu_median_s),
        l.ratio
    );
    o += &format!(
        "\nper kernel (instrumented build, median {}):\n{:>4}  {:<18} {:<10} {:>11} {:>6} {:>9} {:>8}  {}\n",
        fmt_time(r.profiled_latency.median_s),
        "#",
        "function",
        "op",
        "median",
        "share",
        "GFLOP/s",
        "GB/s",
        "node"
    );
    for k in &r.kernels {
        let gf = k.gflops.map(|g| format!("{g:.2}")).unwrap_or_else(|| "-".into());
        let gb = k.gbps.map(|g| format!("{g:.2}")).unwrap_or_else(|| "-".into());
        o += &format!(
            "{:>4}  {:<18} {:<10} {:>11} {:>5.1}% {:>9} {:>8}  {}\n",
            k.index,
            k.func,
            k.op,
            fmt_time(k.timing.median_s),
            k.share * 100.0,
            gf,
            gb,
            k.node
        );
    }
    o += &format!(
        "{:>4}  {:<29} {:>11}   (an empty kernel measures {}: subtracted from each)\n",
        "",
        "other (entry, copies, hooks)",
        fmt_time(r.other_s),
        fmt_time(r.hook_s)
    );
    if let Some(u) = &r.unfused {
        o += &format!(
            "\nunfused build (--disable-pass egraph, {} kernels): median {}  min {}  max {}\nfusion speed-up: {:.2}x (unfused/optimized latency); max |optimized - unfused|: {:.3e}\n",
            u.kernels,
            fmt_time(u.latency.median_s),
            fmt_time(u.latency.min_s),
            fmt_time(u.latency.max_s),
            u.speedup,
            u.max_abs_diff
        );
    }
    if let Some(ort) = &r.ort {
        o += &format!(
            "\nonnxruntime {} ({} thread): median {}  min {}  max {}\nedgec/ORT latency ratio: {:.3} ({}); max |edgec - ORT| over {} output(s): {:.3e}\n",
            ort.version,
            ort.threads,
            fmt_time(ort.median_s),
            fmt_time(ort.min_s),
            fmt_time(ort.max_s),
            ort.edgec_over_ort,
            if ort.edgec_over_ort < 1.0 { "edgec faster" } else { "edgec slower" },
            ort.outputs_compared,
            ort.max_abs_diff
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn timing_pairs_each_run_with_its_reference() {
        let t = timing(&[2.0, 4.0, 9.0], &[2.0, 4.0, 3.0], &[1.0, 2.0, 1.0]);
        assert_eq!(t.median_s, 4.0);
        assert_eq!(t.min_s, 2.0);
        assert_eq!(t.max_s, 9.0);
        assert_eq!(t.cpu_median_s, 3.0);
        // CPU ratios 2, 2, 3.
        assert_eq!(t.ratio, 2.0);
    }
}
