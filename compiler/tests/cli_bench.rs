//! `edgec bench`: the JSON report's structure, the baseline comparison (on synthetic numbers),
//! exit codes and the messages for bad flags. No test passes or fails on how fast anything runs.

use edgec::cli::bench::baseline::{compare, parse_max_regression, Verdict, MIN_JUDGED_S};
use edgec::cli::bench::report::{KernelTiming, Reference, Report, Subject, Target, Timing, SCHEMA};
use edgec::onnx::proto::{
    tensor_proto::DataType, tensor_shape_proto, type_proto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
    TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use prost::Message;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn edgec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgec")).args(args).output().expect("run edgec")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

// ---- the baseline comparison, on synthetic reports ----

fn timing(median_s: f64, ratio: f64) -> Timing {
    Timing { median_s, min_s: median_s, max_s: median_s, mean_s: median_s, cpu_median_s: median_s, ratio }
}

/// A report whose latency has `lat` as ratio and one kernel per (node, ratio).
fn synthetic(lat: f64, kernels: &[(&str, f64)]) -> Report {
    Report {
        schema: SCHEMA,
        edgec_version: "test".into(),
        subject: Subject { kind: "model".into(), name: "m".into(), path: None, kernel: None, shape: None },
        target: Target {
            name: "host".into(),
            triple: "x86_64-unknown-linux-gnu".into(),
            cpu: "x".into(),
            emulated: false,
        },
        threads: 1,
        iters: 10,
        warmup: 1,
        inputs: "random (seed 0)".into(),
        reference: Reference {
            workload: "fma-chain-v1".into(),
            flops: 1,
            median_s: 1e-4,
            min_s: 1e-4,
            max_s: 1e-4,
            cpu_median_s: 1e-4,
        },
        latency: timing(lat * 1e-4, lat),
        profiled_latency: timing(lat * 1e-4, lat),
        kernels: kernels
            .iter()
            .enumerate()
            .map(|(index, (node, r))| KernelTiming {
                index,
                func: format!("k{index}_matmul"),
                node: node.to_string(),
                op: "matmul".into(),
                flops: 100,
                bytes: 100,
                timing: timing(r * 1e-4, *r),
                share: 0.5,
                gflops: Some(1.0),
                gbps: Some(1.0),
            })
            .collect(),
        other_s: 0.0,
        hook_s: 0.0,
        ort: None,
        unfused: None,
    }
}

#[test]
fn twenty_percent_slower_fails_at_ten_percent() {
    let old = synthetic(10.0, &[("a", 4.0), ("b", 6.0)]);
    let new = synthetic(10.0, &[("a", 4.8), ("b", 6.0)]);
    let c = compare(&old, &new, parse_max_regression("10%").unwrap()).unwrap();
    let r = c.regressions();
    assert_eq!(r.len(), 1, "{c:?}");
    assert_eq!(r[0].key, "kernel a (matmul)");
    assert!((r[0].change - 0.2).abs() < 1e-9);
    assert!(c.text(0.1).contains("REGRESSED"));
    // The same run passes at 25%.
    assert!(compare(&old, &new, 0.25).unwrap().regressions().is_empty());
}

#[test]
fn five_percent_slower_passes_at_ten_percent() {
    let old = synthetic(10.0, &[("a", 4.0)]);
    let new = synthetic(10.5, &[("a", 4.2)]);
    let c = compare(&old, &new, 0.10).unwrap();
    assert!(c.regressions().is_empty(), "{c:?}");
    assert_eq!(c.findings.len(), 2);
    assert!(c.findings.iter().all(|f| f.verdict == Verdict::Ok));
    assert!(c.text(0.1).contains("no regression"));
    // Faster is never a regression.
    assert!(compare(&old, &synthetic(5.0, &[("a", 1.0)]), 0.0).unwrap().regressions().is_empty());
}

#[test]
fn ratios_not_seconds_are_compared() {
    // Twice the seconds on a machine half as fast: the same ratio, no regression.
    let old = synthetic(10.0, &[]);
    let mut new = synthetic(10.0, &[]);
    new.latency.median_s *= 2.0;
    new.reference.median_s *= 2.0;
    assert!(compare(&old, &new, 0.10).unwrap().regressions().is_empty());
    // The same seconds but a larger ratio (the machine got faster, the model did not).
    let mut new = synthetic(12.0, &[]);
    new.latency.median_s = old.latency.median_s;
    assert_eq!(compare(&old, &new, 0.10).unwrap().regressions().len(), 1);
}

#[test]
fn unmatched_and_tiny_entries_are_not_judged() {
    let mut old = synthetic(10.0, &[("gone", 1.0), ("tiny", 1.0)]);
    let mut new = synthetic(10.0, &[("added", 1.0), ("tiny", 5.0)]);
    old.kernels[1].timing.median_s = MIN_JUDGED_S / 2.0;
    new.kernels[1].timing.median_s = MIN_JUDGED_S / 2.0;
    let c = compare(&old, &new, 0.10).unwrap();
    assert!(c.regressions().is_empty(), "{c:?}");
    assert_eq!(c.only_in_baseline, vec!["kernel gone (matmul)".to_string()]);
    assert_eq!(c.only_in_run, vec!["kernel added (matmul)".to_string()]);
    assert_eq!(c.findings.iter().find(|f| f.key == "kernel tiny (matmul)").unwrap().verdict, Verdict::TooFast);
}

#[test]
fn incomparable_baselines_are_errors() {
    let new = synthetic(10.0, &[]);
    let mut old = new.clone();
    old.reference.workload = "other-v9".into();
    assert!(compare(&old, &new, 0.1).unwrap_err().contains("not comparable"));
    let mut old = new.clone();
    old.subject.name = "other".into();
    assert!(compare(&old, &new, 0.1).unwrap_err().contains("`other`"));
    let mut old = new.clone();
    old.schema = 99;
    assert!(compare(&old, &new, 0.1).unwrap_err().contains("schema 99"));
}

#[test]
fn max_regression_parsing() {
    assert_eq!(parse_max_regression("10%").unwrap(), 0.10);
    assert_eq!(parse_max_regression("10").unwrap(), 0.10);
    assert_eq!(parse_max_regression("2.5%").unwrap(), 0.025);
    for bad in ["-5%", "ten", "", "nan%"] {
        assert!(parse_max_regression(bad).unwrap_err().contains("percentage"), "{bad}");
    }
}

// ---- the binary ----

#[test]
fn bad_flags_have_clear_messages() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["bench", "--kernel", "relu", "--shape", "16", "--threads", "4"],
            "multi-threaded execution is not implemented yet",
        ),
        (&["bench"], "give a MODEL"),
        (&["bench", "--kernel", "matmul"], "--kernel needs --shape"),
        (&["bench", "--kernel", "softmaxx", "--shape", "16"], "unknown kernel"),
        (&["bench", "--kernel", "matmul", "--shape", "16x16"], "MxKxN"),
        (&["bench", "--kernel", "conv", "--shape", "1x3x8x8"], "COUTxKHxKW"),
        (&["bench", "--kernel", "add", "--shape", "4xfour"], "positive integers"),
        (&["bench", "--kernel", "relu", "--shape", "16", "--iters", "0"], "--iters 0"),
        (&["bench", "--kernel", "relu", "--shape", "16", "--compare", "ort"], "--compare needs a MODEL"),
        (&["bench", "--kernel", "relu", "--shape", "16", "--compare", "unfused"], "--compare needs a MODEL"),
        (&["bench", "m.onnx", "--compare", "unfused", "--disable-pass", "egraph"], "with itself"),
        (&["bench", "--kernel", "relu", "--shape", "16", "--baseline", "/nonexistent/b.json"], "/nonexistent/b.json"),
        (
            &[
                "bench",
                "--kernel",
                "relu",
                "--shape",
                "16",
                "--baseline",
                "/nonexistent/b.json",
                "--max-regression",
                "lots",
            ],
            "percentage",
        ),
    ];
    for (args, want) in cases {
        let o = edgec(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: expected `{want}` in: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}");
    }
    // clap's own checks: --max-regression without --baseline, a model and --kernel together.
    for args in [
        &["bench", "--kernel", "relu", "--shape", "16", "--max-regression", "5%"][..],
        &["bench", "m.onnx", "--kernel", "relu", "--shape", "16"][..],
    ] {
        let o = edgec(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("--"), "{args:?}: {}", stderr(&o));
    }
}

fn as_f64(v: &Value, what: &str) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

fn check_timing(t: &Value, what: &str) {
    let (med, min, max) = (as_f64(&t["median_s"], what), as_f64(&t["min_s"], what), as_f64(&t["max_s"], what));
    assert!(min > 0.0 && min <= med && med <= max, "{what}: {t}");
    assert!(as_f64(&t["ratio"], what) > 0.0, "{what}");
    assert!(t["mean_s"].is_number() && as_f64(&t["cpu_median_s"], what) > 0.0, "{what}");
}

#[test]
fn kernel_bench_writes_the_documented_json_and_checks_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("b.json");
    let o = edgec(&[
        "bench",
        "--kernel",
        "matmul",
        "--shape",
        "64x128x96",
        "--iters",
        "3",
        "--warmup",
        "1",
        "--json",
        s(&json),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("GFLOP/s"), "{}", stdout(&o));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["subject"]["kind"], "kernel");
    assert_eq!(v["subject"]["name"], "matmul_64x128x96");
    assert_eq!(v["subject"]["shape"], "64x128x96");
    assert_eq!(v["threads"], 1);
    assert_eq!(v["iters"], 3);
    assert_eq!(v["reference"]["workload"], "fma-chain-v1");
    assert!(as_f64(&v["reference"]["median_s"], "reference") > 0.0);
    assert!(as_f64(&v["reference"]["cpu_median_s"], "reference") > 0.0);
    assert!(as_f64(&v["hook_s"], "hook_s") >= 0.0);
    check_timing(&v["latency"], "latency");
    check_timing(&v["profiled_latency"], "profiled_latency");
    let ks = v["kernels"].as_array().expect("kernels");
    assert_eq!(ks.len(), 1);
    let k = &ks[0];
    check_timing(k, "kernel");
    assert_eq!(k["op"], "matmul");
    assert_eq!(k["flops"], 2 * 64 * 128 * 96);
    assert_eq!(k["bytes"], 4 * (64 * 128 + 128 * 96 + 64 * 96));
    let gflops = as_f64(&k["gflops"], "gflops");
    assert!((gflops - 2.0 * 64.0 * 128.0 * 96.0 / as_f64(&k["median_s"], "median") / 1e9).abs() < 1e-6 * gflops);
    assert!(v["ort"].is_null());
    // The report parses back into the documented structure.
    let rep: Report = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(rep.kernels[0].func, "k0_matmul");

    // Baseline against itself with a huge allowance: compared entries are listed, exit 0.
    let o = edgec(&[
        "bench",
        "--kernel",
        "matmul",
        "--shape",
        "64x128x96",
        "--iters",
        "3",
        "--baseline",
        s(&json),
        "--max-regression",
        "1000000%",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("baseline comparison") && stdout(&o).contains("latency"), "{}", stdout(&o));

    // A baseline for another subject is refused (exit 2).
    let o = edgec(&["bench", "--kernel", "matmul", "--shape", "64x128x80", "--iters", "1", "--baseline", s(&json)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("matmul_64x128x96"), "{}", stderr(&o));
}

#[test]
fn regression_against_a_baseline_exits_1_naming_the_entry() {
    // Elementwise add of 2^20 floats: 12 MiB moved, far above the 2 us judging floor on any
    // machine. The baseline's ratios are set absurdly small, so any run is a regression.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("b.json");
    let o = edgec(&[
        "bench",
        "--kernel",
        "add",
        "--shape",
        "1024x1024",
        "--iters",
        "2",
        "--warmup",
        "1",
        "--json",
        s(&json),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut rep: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(rep.kernels[0].op, "binary.add");
    assert_eq!(rep.kernels[0].flops, 0);
    assert!(rep.kernels[0].gflops.is_none() && rep.kernels[0].gbps.is_some());
    rep.latency.ratio = 1e-30;
    rep.latency.median_s = 1.0;
    rep.kernels[0].timing.ratio = 1e-30;
    rep.kernels[0].timing.median_s = 1.0;
    std::fs::write(&json, serde_json::to_string(&rep).unwrap()).unwrap();
    let o = edgec(&[
        "bench",
        "--kernel",
        "add",
        "--shape",
        "1024x1024",
        "--iters",
        "2",
        "--baseline",
        s(&json),
        "--max-regression",
        "10%",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}\n{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("REGRESSED") && out.contains("2 regression(s): latency, kernel add (binary.add)"), "{out}");
}

/// y = relu(x + w), x: f32[1,64] (a model small enough to compile anywhere).
fn tiny_model(dir: &Path) -> std::path::PathBuf {
    let vi = |name: &str, dims: &[i64]| ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| tensor_shape_proto::Dimension {
                            value: Some(tensor_shape_proto::dimension::Value::DimValue(d)),
                            denotation: String::new(),
                        })
                        .collect(),
                }),
            })),
            denotation: String::new(),
        }),
        ..Default::default()
    };
    let w = TensorProto {
        name: "w".into(),
        dims: vec![1, 64],
        data_type: DataType::Float as i32,
        raw_data: (0..64).flat_map(|i| (i as f32 * 0.1 - 3.0).to_le_bytes()).collect(),
        ..Default::default()
    };
    let m = ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 17 }],
        graph: Some(GraphProto {
            name: "g".into(),
            node: vec![
                NodeProto {
                    op_type: "Add".into(),
                    input: vec!["x".into(), "w".into()],
                    output: vec!["s".into()],
                    ..Default::default()
                },
                NodeProto {
                    op_type: "Relu".into(),
                    input: vec!["s".into()],
                    output: vec!["y".into()],
                    ..Default::default()
                },
            ],
            initializer: vec![w],
            input: vec![vi("x", &[1, 64])],
            output: vec![vi("y", &[1, 64])],
            ..Default::default()
        }),
        ..Default::default()
    };
    let p = dir.join("tiny.onnx");
    std::fs::write(&p, m.encode_to_vec()).unwrap();
    p
}

#[test]
fn model_bench_reports_every_kernel() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let json = dir.path().join("m.json");
    // Without the e-graph pass each op is its own kernel (with it, add+relu fuse into one).
    let o = edgec(&["bench", s(&model), "--iters", "3", "--json", s(&json), "--disable-pass", "egraph"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rep: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(rep.subject.kind, "model");
    assert_eq!(rep.subject.name, "tiny");
    let ops: Vec<&str> = rep.kernels.iter().map(|k| k.op.as_str()).collect();
    assert_eq!(ops, ["binary.add", "unary.relu"]);
    assert!(rep.kernels.iter().all(|k| k.bytes == 3 * 64 * 4 || k.bytes == 2 * 64 * 4), "{:?}", rep.kernels);
    assert_eq!(rep.inputs, "random (seed 0)");
    let o = edgec(&["bench", s(&model), "--iters", "3", "--json", s(&json)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rep: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let ops: Vec<&str> = rep.kernels.iter().map(|k| k.op.as_str()).collect();
    assert_eq!(ops, ["fused"]);
}

/// `--compare unfused`: the model is also built with `--disable-pass egraph` (two kernels
/// instead of one fused) and timed in the same run; same outputs, a positive speed-up.
#[test]
fn compare_unfused_times_the_build_without_fusion() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let json = dir.path().join("u.json");
    let o = edgec(&["bench", s(&model), "--iters", "3", "--compare", "unfused", "--json", s(&json)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rep: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(rep.kernels.len(), 1, "the optimized build fuses add + relu");
    let u = rep.unfused.expect("unfused section");
    assert_eq!(u.kernels, 2);
    assert_eq!(u.max_abs_diff, 0.0);
    assert!(u.speedup > 0.0 && u.latency.median_s > 0.0);
    assert!(stdout(&o).contains("fusion speed-up"), "{}", stdout(&o));
    assert!(rep.ort.is_none());
}

/// `--compare ort` when the project venv has onnxruntime (skipped with a message otherwise):
/// ORT's outputs must match edgec's.
#[test]
fn compare_ort_matches_outputs() {
    let py = std::env::var("EDGEC_PYTHON")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python").into());
    let has_ort =
        Command::new(&py).args(["-c", "import onnxruntime"]).output().map(|o| o.status.success()).unwrap_or(false);
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let json = dir.path().join("o.json");
    let o = Command::new(env!("CARGO_BIN_EXE_edgec"))
        .args(["bench", s(&model), "--iters", "3", "--compare", "ort", "--json", s(&json)])
        .env("EDGEC_PYTHON", &py)
        .output()
        .unwrap();
    if !has_ort {
        eprintln!("skipped: {py} has no onnxruntime");
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("pip install onnxruntime"), "{}", stderr(&o));
        return;
    }
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rep: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let ort = rep.ort.expect("ort section");
    assert_eq!(ort.threads, 1);
    assert_eq!(ort.outputs_compared, 1);
    assert!(ort.max_abs_diff < 1e-6, "{}", ort.max_abs_diff);
    assert!(ort.edgec_over_ort > 0.0);
    assert!(stdout(&o).contains("edgec/ORT latency ratio"));
}
