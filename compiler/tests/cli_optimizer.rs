//! The optimizer flags of `edgec compile`, `edgec run --target` and `edgec inspect --optimized`:
//! pass listing, per-pass reports, IR dumps, disabling, and clear errors for bad pass names.

use edgec::onnx::proto::{
    tensor_proto::DataType, tensor_shape_proto, type_proto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
    TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use prost::Message;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn edgec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgec")).args(args).output().expect("run edgec")
}

fn vi(name: &str, dims: &[i64]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|&d| tensor_shape_proto::Dimension {
            value: Some(tensor_shape_proto::dimension::Value::DimValue(d)),
            denotation: String::new(),
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            denotation: String::new(),
        }),
        ..Default::default()
    }
}

fn node(op: &str, ins: &[&str], out: &str, to: Option<i64>) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        input: ins.iter().map(|s| s.to_string()).collect(),
        output: vec![out.into()],
        attribute: to
            .map(|t| edgec::onnx::proto::AttributeProto {
                name: "to".into(),
                i: t,
                r#type: edgec::onnx::proto::attribute_proto::AttributeType::Int as i32,
                ..Default::default()
            })
            .into_iter()
            .collect(),
        ..Default::default()
    }
}

/// y = relu(cast_f32(x) + w) + relu(cast_f32(x) + w): a no-op cast and a duplicated subgraph.
fn write_model(dir: &Path) -> PathBuf {
    let w = TensorProto {
        name: "w".into(),
        dims: vec![4],
        data_type: DataType::Float as i32,
        raw_data: [1.0f32, -2.0, 3.0, -4.0].iter().flat_map(|x| x.to_le_bytes()).collect(),
        ..Default::default()
    };
    let m = ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 17 }],
        graph: Some(GraphProto {
            name: "g".into(),
            node: vec![
                node("Cast", &["x"], "c", Some(DataType::Float as i64)),
                node("Add", &["c", "w"], "s1", None),
                node("Relu", &["s1"], "r1", None),
                node("Add", &["c", "w"], "s2", None),
                node("Relu", &["s2"], "r2", None),
                node("Add", &["r1", "r2"], "y", None),
            ],
            initializer: vec![w],
            input: vec![vi("x", &[4])],
            output: vec![vi("y", &[4])],
            ..Default::default()
        }),
        ..Default::default()
    };
    let p = dir.join("model.onnx");
    std::fs::write(&p, m.encode_to_vec()).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn list_passes_is_sorted_and_needs_no_model() {
    let o = edgec(&["compile", "--list-passes"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let names: Vec<&str> =
        out.lines().take_while(|l| !l.is_empty()).filter_map(|l| l.split_whitespace().next()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    for n in ["canonicalize", "constant-fold", "cse", "dce"] {
        assert!(names.contains(&n), "{out}");
    }
    assert!(out.contains("default pipeline: "), "{out}");
    // Without --list-passes the model and --out-dir are still required.
    assert_eq!(edgec(&["compile"]).status.code(), Some(2));
}

#[test]
fn bad_pass_names_exit_2_listing_known_passes() {
    let dir = tempfile::tempdir().unwrap();
    let m = write_model(dir.path());
    let out = dir.path().join("out");
    for flag in ["--disable-pass", "--print-after", "--print-before"] {
        let o = edgec(&["compile", s(&m), "-o", s(&out), flag, "nope"]);
        assert_eq!(o.status.code(), Some(2), "{flag}");
        let e = text(&o.stderr);
        assert!(
            e.contains(flag)
                && e.contains("unknown pass `nope`")
                && e.contains("canonicalize, constant-fold, cse, dce"),
            "{e}"
        );
    }
    // Optimizer flags without --target do nothing for the interpreter: refused, not ignored.
    let o = edgec(&["run", s(&m), "-v"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("need --target"));
}

#[test]
fn compile_reports_passes_and_dumps_ir() {
    let dir = tempfile::tempdir().unwrap();
    let m = write_model(dir.path());
    let out = dir.path().join("out");
    let o = edgec(&[
        "compile",
        s(&m),
        "-o",
        s(&out),
        "-v",
        "--print-after",
        "cse",
        "--print-before",
        "canonicalize",
        "--emit",
        "ir",
        "--name",
        "m",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let e = text(&o.stderr);
    // -v: one line per pass with node counts, then the total.
    assert!(e.lines().any(|l| l.trim_start().starts_with("canonicalize") && l.contains("no-op cast 1")), "{e}");
    assert!(e.lines().any(|l| l.trim_start().starts_with("cse") && l.contains("merged 2")), "{e}");
    let total = passes::default_pipeline().len();
    assert!(e.contains(&format!("optimizer: {total} passes")), "{e}");
    // Dumps: before canonicalize has the cast, after the first cse the duplicate relu is gone.
    let before = e.split(&format!("// ----- IR before canonicalize (1/{total}) -----")).nth(1).expect("before dump");
    assert!(before.split("// -----").next().unwrap().contains("cast("), "{e}");
    let after = e.split(&format!("// ----- IR after cse (3/{total}) -----")).nth(1).expect("after dump");
    assert_eq!(after.split("// -----").next().unwrap().matches("unary.relu").count(), 1, "{e}");
    // The emitted IR is the optimized graph.
    let ir = std::fs::read_to_string(out.join("m.ir")).unwrap();
    assert!(!ir.contains("cast(") && ir.matches("unary.relu").count() == 1, "{ir}");

    // Disabling cse (and egraph, whose e-graph merges equal terms too) keeps both relus.
    let o = edgec(&[
        "compile",
        s(&m),
        "-o",
        s(&out),
        "-v",
        "--disable-pass",
        "cse",
        "--disable-pass",
        "egraph",
        "--emit",
        "ir",
        "--name",
        "m",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).lines().any(|l| l.trim_start().starts_with("cse") && l.contains("disabled")));
    assert_eq!(std::fs::read_to_string(out.join("m.ir")).unwrap().matches("unary.relu").count(), 2);
}

#[test]
fn inspect_optimized_prints_histograms() {
    let dir = tempfile::tempdir().unwrap();
    let m = write_model(dir.path());
    let o = edgec(&["inspect", s(&m), "--optimized", "--target", "cortex-a76"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let row = |op: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(op))
            .map(|l| l.split_whitespace().skip(1).take(2).collect::<Vec<_>>())
    };
    assert_eq!(row("cast"), Some(vec!["1", "0"]), "{out}");
    // The duplicate relu goes (cse); with the egraph pass the rest may fuse into one node,
    // listed with the ops inside it.
    let relu = row("unary.relu").expect("relu row");
    assert_eq!(relu[0], "2", "{out}");
    assert!(relu[1] == "0" || relu[1] == "1", "{out}");
    let fused_after: usize = row("fused").map_or(0, |r| r[1].parse().unwrap());
    if fused_after == 0 {
        assert!(out.contains("fused: none"), "{out}");
    } else {
        assert!(out.contains(&format!("fused: {fused_after} nodes")), "{out}");
        assert!(out.lines().any(|l| l.contains("(fused): ") && l.contains("unary.relu")), "{out}");
    }
    // --optimized needs a target.
    assert_eq!(edgec(&["inspect", s(&m), "--optimized"]).status.code(), Some(2));
}

#[test]
fn egraph_flags_choose_extractor_limits_and_rules() {
    let dir = tempfile::tempdir().unwrap();
    let m = write_model(dir.path());
    let out = dir.path().join("out");
    let compile = |extra: &[&str]| {
        let mut a = vec!["compile", s(&m), "--target", "cortex-a76", "-o", s(&out), "--emit", "ir", "--name", "m", "-v"];
        a.extend_from_slice(extra);
        let o = edgec(&a);
        let ir = std::fs::read_to_string(out.join("m.ir")).unwrap_or_default();
        (o, ir)
    };
    // The ILP extractor solves (and says so under -v) and fuses the add + relu chain as greedy does.
    let (o, ir) = compile(&["--extractor", "ilp"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("egraph ilp (stage 1)"), "{}", text(&o.stderr));
    let (g, greedy_ir) = compile(&[]);
    assert_eq!(g.status.code(), Some(0), "{}", text(&g.stderr));
    assert!(!text(&g.stderr).contains("egraph ilp"));
    assert_eq!(ir.matches("fused(").count(), greedy_ir.matches("fused(").count(), "{ir}\n{greedy_ir}");
    assert!(greedy_ir.contains("fused("), "{greedy_ir}");
    // Without the fusion theme nothing fuses.
    let (o, ir) = compile(&["--disable-rule", "fusion"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!ir.contains("fused("), "{ir}");
    // Limits are read: one iteration is reported as the stop reason.
    let (o, _) = compile(&["--egraph-iter-limit", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("1 iterations") || text(&o.stderr).contains("iteration limit 1"), "{}", text(&o.stderr));
    // Bad values: exit 2 naming the flag.
    for bad in [&["--disable-rule", "no-such-rule"][..], &["--extractor", "exact"], &["--egraph-time-limit", "0"]] {
        let (o, _) = compile(bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains(bad[0]) || text(&o.stderr).contains(bad[1]), "{bad:?}: {}", text(&o.stderr));
    }
}
