//! The benchmark build behind `edgec bench`: the model compiled twice (plain, and instrumented
//! with the `edgec_prof_mark` hook under the name `<name>_prof`), both linked into one C
//! harness that also times a fixed reference workload, so every number of a run comes from the
//! same process on the same machine state.

use super::{read_outputs, toolchain, write, write_io_files, Runner};
use codegen::{Artifacts, Keep, Manifest};
use ir::{Graph, Tensor};
use std::path::PathBuf;
use targets::Profile;

/// Identifies the reference workload in `reference()` below; bump it whenever that loop
/// changes, so baselines measured against another reference are refused.
pub const REFERENCE_WORKLOAD: &str = "fma-chain-v1";

/// Floating-point operations of one reference run (4 chains × 256 × 256 multiply-adds).
pub const REFERENCE_FLOPS: u64 = 2 * 256 * 1024;

/// The plain and the instrumented build of one graph.
pub struct BenchBuild {
    pub plain: Artifacts,
    pub profiled: Artifacts,
}

/// Compile `g` for `p` twice: as `name`, and with the profiling hook as `name_prof`.
pub fn compile(g: &Graph, p: &Profile, name: &str) -> Result<BenchBuild, String> {
    let (spec, kt) = super::spec(p);
    let mut opts =
        codegen::Options { name: name.to_string(), target_name: p.name.clone(), keep: Keep::default(), profile: false };
    let plain = codegen::compile(g, &spec, &kt, &opts).map_err(|e| e.to_string())?;
    opts.name = format!("{name}_prof");
    opts.profile = true;
    let profiled = codegen::compile(g, &spec, &kt, &opts).map_err(|e| e.to_string())?;
    Ok(BenchBuild { plain, profiled })
}

/// Timings of one harness run, in seconds: wall-clock (`CLOCK_MONOTONIC`) and the thread's CPU
/// time (`CLOCK_THREAD_CPUTIME_ID`, which does not advance while the process is descheduled).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Samples {
    /// One reference workload run before each timed model run (plain phase, then profiled).
    pub reference: Vec<f64>,
    pub reference_cpu: Vec<f64>,
    /// Each timed run of the plain build.
    pub total: Vec<f64>,
    pub total_cpu: Vec<f64>,
    /// Each timed run of the instrumented build.
    pub profiled_total: Vec<f64>,
    pub profiled_total_cpu: Vec<f64>,
    /// `kernels[k][i]`: kernel k in instrumented run i, less the hook's own cost.
    pub kernels: Vec<Vec<f64>>,
    pub kernels_cpu: Vec<Vec<f64>>,
    /// What an empty kernel measures (wall, CPU), found at start-up and subtracted from every
    /// kernel.
    pub hook: f64,
    pub hook_cpu: f64,
}

/// Both builds linked into the benchmark harness.
pub struct BenchLinked {
    _dir: tempfile::TempDir,
    exe: PathBuf,
    runner: Runner,
    manifest: Manifest,
    kernels: usize,
}

/// Link both builds with the benchmark harness for profile `p`.
pub fn link(b: &BenchBuild, p: &Profile) -> Result<BenchLinked, String> {
    let runner = toolchain::runner(p)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut sources = vec![];
    for a in [&b.plain, &b.profiled] {
        let n = &a.manifest.name;
        write(&dir.path().join(format!("{n}.h")), a.header.as_bytes())?;
        sources.push(write(&dir.path().join(format!("{n}.o")), &a.object)?);
    }
    let c = write(&dir.path().join("bench.c"), harness_source(&b.plain.manifest, &b.profiled.manifest).as_bytes())?;
    sources.insert(0, c);
    let exe = dir.path().join("bench");
    runner.link(&sources, &exe)?;
    Ok(BenchLinked {
        _dir: dir,
        exe,
        runner,
        manifest: b.plain.manifest.clone(),
        kernels: b.profiled.manifest.kernels.len(),
    })
}

impl BenchLinked {
    /// Whether the harness runs under qemu (its timings then say nothing about the device).
    pub fn emulated(&self) -> bool {
        self.runner.emulated()
    }

    /// Run `warmup` untimed then `iters` timed iterations of each build on `inputs` (graph-input
    /// order); returns the outputs of the plain build and the timings.
    pub fn run(&self, inputs: &[Tensor], iters: usize, warmup: usize) -> Result<(Vec<Tensor>, Samples), String> {
        let m = &self.manifest;
        let dir = self.exe.parent().ok_or("harness has no folder")?;
        let (args, outs) = write_io_files(dir, m, inputs)?;
        let stdout = self.runner.run(&self.exe, &args, &[iters.to_string(), warmup.to_string()])?;
        let samples = parse_samples(&stdout, self.kernels)?;
        if samples.total.len() != iters || samples.profiled_total.len() != iters {
            return Err(format!("the harness reported {} timed runs, expected {iters}", samples.total.len()));
        }
        let result = read_outputs(&outs, m)?;
        Ok((result, samples))
    }
}

/// Parse the harness's `H wall cpu`, `R wall cpu`, `T wall cpu` and `P wall cpu k0w k0c k1w k1c …`
/// lines.
fn parse_samples(stdout: &str, kernels: usize) -> Result<Samples, String> {
    let mut s = Samples { kernels: vec![vec![]; kernels], kernels_cpu: vec![vec![]; kernels], ..Default::default() };
    let mut raw_p = vec![];
    for line in stdout.lines() {
        let mut f = line.split_whitespace();
        let tag = f.next().unwrap_or("");
        let nums: Result<Vec<f64>, _> = f.map(str::parse::<f64>).collect();
        let nums = nums.map_err(|_| format!("bad harness line `{line}`"))?;
        match (tag, nums.as_slice()) {
            ("H", [h, c]) => (s.hook, s.hook_cpu) = (*h, *c),
            ("R", [w, c]) => {
                s.reference.push(*w);
                s.reference_cpu.push(*c);
            }
            ("T", [w, c]) => {
                s.total.push(*w);
                s.total_cpu.push(*c);
            }
            ("P", [w, c, ks @ ..]) if ks.len() == 2 * kernels => {
                s.profiled_total.push(*w);
                s.profiled_total_cpu.push(*c);
                raw_p.push(ks.to_vec());
            }
            _ => return Err(format!("bad harness line `{line}`")),
        }
    }
    for ks in raw_p {
        for k in 0..kernels {
            s.kernels[k].push((ks[2 * k] - s.hook).max(0.0));
            s.kernels_cpu[k].push((ks[2 * k + 1] - s.hook_cpu).max(0.0));
        }
    }
    Ok(s)
}

fn list(it: impl Iterator<Item = usize>) -> String {
    let v: Vec<String> = it.map(|b| b.to_string()).collect();
    if v.is_empty() {
        "0".into()
    } else {
        v.join(", ")
    }
}

/// The C benchmark program for `plain` and its instrumented twin `prof`.
fn harness_source(plain: &Manifest, prof: &Manifest) -> String {
    let n = &plain.name;
    let p = &prof.name;
    let up = n.to_uppercase();
    let nk = prof.kernels.len();
    let hook = codegen::PROFILE_HOOK;
    format!(
        r#"/* edgec benchmark harness for {n} (generated). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "{n}.h"
#include "{p}.h"

static const size_t in_bytes[] = {{{in_bytes}}};
static const size_t out_bytes[] = {{{out_bytes}}};
#define NK {nk}

static void *xalloc(size_t n) {{
  void *q = aligned_alloc(64, (n + 63) / 64 * 64 + 64);
  if (!q) {{ fprintf(stderr, "out of memory\n"); exit(4); }}
  memset(q, 0, (n + 63) / 64 * 64 + 64);
  return q;
}}

static double now(void) {{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}}

/* CPU time of this thread: does not advance while other processes have the CPU. */
static double cpu_now(void) {{
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}}

/* The hook the instrumented build calls: 0 before the first kernel, k + 1 after kernel k. The
   wall clock is read before and after the CPU clock (a system call, slow in a VM), so a
   kernel's wall interval, marks_a[k + 1] - marks_b[k], excludes the CPU clock read. */
static double marks_a[NK + 2], marks_b[NK + 2], marks_c[NK + 2];
void {hook}(int32_t i) {{
  if (i >= 0 && i <= NK + 1) {{
    marks_a[i] = now();
    marks_c[i] = cpu_now();
    marks_b[i] = now();
  }}
}}

static int cmp_double(const void *x, const void *y) {{
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}}

/* What an empty kernel would measure (the median of 1001 back-to-back hook pairs), wall and
   CPU: subtracted from every kernel. */
static void hook_cost(double *wall, double *cpu) {{
  enum {{ N = 1001 }};
  static double w[N], c[N];
  for (int i = 0; i < N; i++) {{
    {hook}(NK + 1);
    {hook}(0);
    w[i] = marks_a[0] - marks_b[NK + 1];
    c[i] = marks_c[0] - marks_c[NK + 1];
  }}
  qsort(w, N, sizeof w[0], cmp_double);
  qsort(c, N, sizeof c[0], cmp_double);
  *wall = w[N / 2];
  *cpu = c[N / 2];
}}

/* The reference workload ({reference}): four chains of 65536 dependent multiply-adds over a
   4 KiB array (L1-resident, scalar): it tracks the machine's current speed, not the model. */
static float ref_data[1024];
static volatile float ref_sink;
static double ref_cpu;
static double reference(void) {{
  double c0 = cpu_now(), t0 = now();
  float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int r = 0; r < 256; r++)
    for (int i = 0; i < 1024; i += 4) {{
      a0 = a0 * 0.5f + ref_data[i];
      a1 = a1 * 0.5f + ref_data[i + 1];
      a2 = a2 * 0.5f + ref_data[i + 2];
      a3 = a3 * 0.5f + ref_data[i + 3];
    }}
  ref_sink = a0 + a1 + a2 + a3;
  double t1 = now();
  ref_cpu = cpu_now() - c0;
  return t1 - t0;
}}

static void check(int rc, const char *what) {{
  if (rc) {{ fprintf(stderr, "%s returned %d\n", what, rc); exit(3); }}
}}

/* usage: bench IN... OUT... ITERS WARMUP */
int main(int argc, char **argv) {{
  const int ni = EDGEC_{up}_NUM_INPUTS, no = EDGEC_{up}_NUM_OUTPUTS;
  if (argc != 3 + ni + no) {{
    fprintf(stderr, "usage: %s IN*%d OUT*%d ITERS WARMUP\n", argv[0], ni, no);
    return 2;
  }}
  const void *ins[{ni1}];
  void *outs[{no1}];
  for (int i = 0; i < ni; i++) {{
    void *q = xalloc(in_bytes[i]);
    FILE *f = fopen(argv[1 + i], "rb");
    if (!f) {{ perror(argv[1 + i]); return 2; }}
    size_t got = fread(q, 1, in_bytes[i], f);
    int extra = fgetc(f);
    fclose(f);
    if (got != in_bytes[i] || extra != EOF) {{
      fprintf(stderr, "%s: expected %zu bytes\n", argv[1 + i], in_bytes[i]);
      return 2;
    }}
    ins[i] = q;
  }}
  for (int i = 0; i < no; i++) outs[i] = xalloc(out_bytes[i]);
  size_t wn = {n}_workspace_size(), wp = {p}_workspace_size();
  void *ws = xalloc(wn > wp ? wn : wp);
  int iters = atoi(argv[1 + ni + no]), warmup = atoi(argv[2 + ni + no]);
  if (iters < 1 || warmup < 0) {{ fprintf(stderr, "bad ITERS/WARMUP\n"); return 2; }}
  for (int i = 0; i < 1024; i++) ref_data[i] = (float)((i * 37) % 101) / 101.0f;
  for (int i = 0; i < 3; i++) reference();
  double hw, hc;
  hook_cost(&hw, &hc);
  printf("H %.9f %.9f\n", hw, hc);

  /* Phase 1: the plain build (the latency a user gets). */
  for (int i = 0; i < warmup; i++) check({n}_run(ins, outs, ws), "{n}_run");
  for (int i = 0; i < iters; i++) {{
    double r = reference();
    printf("R %.9f %.9f\n", r, ref_cpu);
    double c0 = cpu_now(), t0 = now();
    int rc = {n}_run(ins, outs, ws);
    double t1 = now(), c1 = cpu_now();
    check(rc, "{n}_run");
    printf("T %.9f %.9f\n", t1 - t0, c1 - c0);
  }}
  for (int i = 0; i < no; i++) {{
    FILE *f = fopen(argv[1 + ni + i], "wb");
    if (!f || fwrite(outs[i], 1, out_bytes[i], f) != out_bytes[i]) {{ perror(argv[1 + ni + i]); return 2; }}
    fclose(f);
  }}

  /* Phase 2: the instrumented build (per-kernel times). */
  for (int i = 0; i < warmup; i++) check({p}_run(ins, outs, ws), "{p}_run");
  for (int i = 0; i < iters; i++) {{
    double r = reference();
    printf("R %.9f %.9f\n", r, ref_cpu);
    double c0 = cpu_now(), t0 = now();
    int rc = {p}_run(ins, outs, ws);
    double t1 = now(), c1 = cpu_now();
    check(rc, "{p}_run");
    printf("P %.9f %.9f", t1 - t0, c1 - c0);
    for (int k = 0; k < NK; k++) printf(" %.9f %.9f", marks_a[k + 1] - marks_b[k], marks_c[k + 1] - marks_c[k]);
    printf("\n");
  }}
  return 0;
}}
"#,
        reference = REFERENCE_WORKLOAD,
        in_bytes = list(plain.inputs.iter().map(|t| t.bytes)),
        out_bytes = list(plain.outputs.iter().map(|t| t.bytes)),
        ni1 = plain.inputs.len().max(1),
        no1 = plain.outputs.len().max(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_harness_lines() {
        let s =
            parse_samples("H 0.125 0.25\nR 0.5 0.4\nT 1.0 0.9\nR 0.25 0.2\nP 2.0 1.5 0.5 0.375 1.5 1.25\n", 2).unwrap();
        assert_eq!((s.hook, s.hook_cpu), (0.125, 0.25));
        assert_eq!((s.reference, s.reference_cpu), (vec![0.5, 0.25], vec![0.4, 0.2]));
        assert_eq!((s.total, s.total_cpu), (vec![1.0], vec![0.9]));
        assert_eq!((s.profiled_total, s.profiled_total_cpu), (vec![2.0], vec![1.5]));
        // The hook's cost is taken off every kernel.
        assert_eq!(s.kernels, vec![vec![0.375], vec![1.375]]);
        assert_eq!(s.kernels_cpu, vec![vec![0.125], vec![1.0]]);
    }

    #[test]
    fn rejects_wrong_kernel_count() {
        assert!(parse_samples("P 2.0 1.0 0.5 0.5\n", 2).is_err());
        assert!(parse_samples("T 1.0\n", 0).is_err());
        assert!(parse_samples("X 1\n", 0).is_err());
    }
}
