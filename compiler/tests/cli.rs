//! The `edgec` binary end to end: exit codes 0 (ok), 1 (comparison failed), 2 (bad input/flags),
//! and clear messages, never a panic.

use edgec::onnx::proto::{
    tensor_proto::DataType, tensor_shape_proto, type_proto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
    StringStringEntryProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use prost::Message;
use std::path::Path;
use std::process::{Command, Output};

fn edgec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgec")).args(args).output().expect("run edgec")
}

fn vi(name: &str, dims: &[i64]) -> ValueInfoProto {
    ValueInfoProto {
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
    }
}

fn f32_tensor(name: &str, dims: &[i64], v: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        raw_data: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ..Default::default()
    }
}

/// y = relu(x + w), x: f32[4]; `w` optionally stored as external data at `external`.
fn model(external: Option<&str>) -> ModelProto {
    let mut w = f32_tensor("w", &[4], &[1.0, -2.0, 3.0, -4.0]);
    if let Some(loc) = external {
        w.raw_data.clear();
        w.data_location = 1;
        w.external_data = vec![StringStringEntryProto { key: "location".into(), value: loc.into() }];
    }
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 17 }],
        graph: Some(GraphProto {
            name: "g".into(),
            node: vec![
                NodeProto { op_type: "Add".into(), input: vec!["x".into(), "w".into()], output: vec!["s".into()], ..Default::default() },
                NodeProto { op_type: "Relu".into(), input: vec!["s".into()], output: vec!["y".into()], ..Default::default() },
            ],
            initializer: vec![w],
            input: vec![vi("x", &[4])],
            output: vec![vi("y", &[4])],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn write_case(dir: &Path, m: &ModelProto, expected: &[f32]) {
    std::fs::write(dir.join("model.onnx"), m.encode_to_vec()).unwrap();
    let d = dir.join("test_data_set_0");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("input_0.pb"), f32_tensor("x", &[4], &[0.5, 0.5, 0.5, 0.5]).encode_to_vec()).unwrap();
    std::fs::write(d.join("output_0.pb"), f32_tensor("y", &[4], expected).encode_to_vec()).unwrap();
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn version_and_help() {
    let o = edgec(&["--version"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains(env!("CARGO_PKG_VERSION")));
    for sub in ["inspect", "run"] {
        let o = edgec(&[sub, "--help"]);
        assert!(o.status.success(), "{sub} --help");
    }
}

#[test]
fn run_pass_and_fail_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), &model(None), &[1.5, 0.0, 3.5, 0.0]);
    let m = dir.path().join("model.onnx");
    let td = dir.path().join("test_data_set_0");
    let o = edgec(&["run", s(&m), "--test-data", s(&td)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("PASS"));
    // A wrong reference must fail with exit code 1.
    write_case(dir.path(), &model(None), &[1.5, 0.0, 3.6, 0.0]);
    let o = edgec(&["run", s(&m), "--test-data", s(&td)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("FAIL"));
}

#[test]
fn run_npy_inputs_and_outputs() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), &model(None), &[1.5, 0.0, 3.5, 0.0]);
    let x = dir.path().join("x.npy");
    edgec::npy::write_npy(&x, &ir::Tensor::from_vec(&[4], vec![0.5f32, 0.5, 0.5, 0.5]).unwrap()).unwrap();
    let out = dir.path().join("out");
    let o = edgec(&["run", s(&dir.path().join("model.onnx")), "--input", &format!("x={}", s(&x)), "--output-dir", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let y = edgec::npy::read_npy(&out.join("y.npy")).unwrap();
    assert_eq!(y.to_f64_vec(), vec![1.5, 0.0, 3.5, 0.0]);
    // Unknown input name: exit 2 with a message naming it.
    let o = edgec(&["run", s(&dir.path().join("model.onnx")), "--input", &format!("nope={}", s(&x))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope"));
}

#[test]
fn bad_models_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let good = model(None).encode_to_vec();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"\xff\xfe this is not a protobuf \x00\x01".to_vec()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("empty", vec![]),
    ];
    for (name, bytes) in cases {
        let p = dir.path().join(format!("{name}.onnx"));
        std::fs::write(&p, bytes).unwrap();
        for sub in ["inspect", "run"] {
            let o = edgec(&[sub, s(&p)]);
            assert_eq!(o.status.code(), Some(2), "{sub} {name}: {}", stderr(&o));
            let e = stderr(&o);
            assert!(e.starts_with("error:") && !e.contains("panicked"), "{sub} {name}: {e}");
        }
    }
    let o = edgec(&["inspect", s(&dir.path().join("missing.onnx"))]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn external_data_escaping_the_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for loc in ["../../etc/passwd", "/etc/passwd"] {
        write_case(dir.path(), &model(Some(loc)), &[1.5, 0.0, 3.5, 0.0]);
        let o = edgec(&["run", s(&dir.path().join("model.onnx")), "--test-data", s(&dir.path().join("test_data_set_0"))]);
        assert_eq!(o.status.code(), Some(2), "{loc}");
        let e = stderr(&o);
        assert!(e.contains("`w`") || e.contains("w"), "error should name the tensor: {e}");
        assert!(e.contains("passwd"), "error should name the path: {e}");
    }
}

#[test]
fn bad_flags_exit_2() {
    assert_eq!(edgec(&["run"]).status.code(), Some(2));
    assert_eq!(edgec(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(edgec(&["run", "m.onnx", "--atol", "abc"]).status.code(), Some(2));
}
