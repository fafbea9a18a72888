//! Bad inputs to the importer: each gives an error that names the node or field, never a panic.

#[path = "import_helpers.rs"]
mod helpers;

use edgec::onnx::proto::*;
use edgec::onnx::{load_model_bytes, ImportError, ImportOptions};
use helpers::*;

fn add_model() -> ModelProto {
    model(
        17,
        vec![named(node("Add", &["x", "w"], &["y"]), "add0")],
        vec![vi("x", FLOAT, &[2, 3])],
        vec![vi("y", FLOAT, &[2, 3])],
        vec![f32_tensor("w", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])],
    )
}

#[test]
fn valid_model_loads() {
    let m = load(&add_model()).unwrap();
    assert_eq!(m.opset, 17);
    assert_eq!(m.ir_version, 8);
    assert_eq!(m.producer, "edgec-tests");
}

#[test]
fn garbage_and_empty_bytes() {
    let opts = ImportOptions::default();
    let e = load_model_bytes(&[], None, &opts).unwrap_err();
    assert!(matches!(e, ImportError::Decode(_)), "{e}");
    let e = load_model_bytes(&[0xff; 64], None, &opts).unwrap_err();
    assert!(matches!(e, ImportError::Decode(_)), "{e}");
    assert!(e.to_string().contains("malformed ONNX protobuf"), "{e}");
}

#[test]
fn truncated_model_never_panics() {
    let bytes = encode(&add_model());
    for len in 0..bytes.len() {
        // Every prefix either decodes to something importable or gives an error.
        let _ = load_model_bytes(&bytes[..len], None, &ImportOptions::default());
    }
    let e = load_model_bytes(&bytes[..bytes.len() - 3], None, &ImportOptions::default()).unwrap_err();
    assert!(matches!(e, ImportError::Decode(_) | ImportError::Invalid(_)), "{e}");
}

/// Random byte flips, insertions and garbage appended to a valid model never panic.
#[test]
fn mutated_models_never_panic() {
    let bytes = encode(&add_model());
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let mut b = bytes.clone();
        for _ in 0..(1 + rnd() % 4) {
            let i = (rnd() as usize) % b.len();
            match rnd() % 3 {
                0 => b[i] = rnd() as u8,
                1 => b.insert(i, rnd() as u8),
                _ => {
                    b.remove(i);
                }
            }
        }
        let _ = load_model_bytes(&b, None, &ImportOptions::default());
        let _ = load_model_bytes(&b, None, &ImportOptions { fold: false, ..Default::default() });
    }
}

#[test]
fn missing_ir_version_opset_or_graph() {
    let mut m = add_model();
    m.ir_version = 0;
    assert!(err_of(load(&m)).contains("ir_version"));
    let mut m = add_model();
    m.opset_import.clear();
    assert!(err_of(load(&m)).contains("opset_import"));
    let mut m = add_model();
    m.graph = None;
    assert!(err_of(load(&m)).contains("no graph"));
}

#[test]
fn unsupported_dtypes_name_the_tensor() {
    let mut m = add_model();
    let g = m.graph.as_mut().unwrap();
    g.initializer[0] = TensorProto { name: "w".into(), dims: vec![1], data_type: STRING, string_data: vec![b"a".to_vec()], ..Default::default() };
    let e = load(&m).unwrap_err();
    assert!(e.is_unsupported(), "{e}");
    assert!(e.to_string().contains("`w`") && e.to_string().contains("string"), "{e}");

    let mut m = add_model();
    m.graph.as_mut().unwrap().initializer[0].data_type = 17; // float8e4m3fn
    let e = load(&m).unwrap_err();
    assert!(e.is_unsupported() && e.to_string().contains("`w`"), "{e}");

    let mut m = add_model();
    m.graph.as_mut().unwrap().initializer[0].data_type = 99;
    let e = err_of(load(&m));
    assert!(e.contains("`w`") && e.contains("99"), "{e}");

    let mut m = add_model();
    m.graph.as_mut().unwrap().input[0] = vi("x", STRING, &[2, 3]);
    let e = load(&m).unwrap_err();
    assert!(e.is_unsupported() && e.to_string().contains("`x`"), "{e}");
}

#[test]
fn dtype_mismatch_between_operands() {
    let mut m = add_model();
    m.graph.as_mut().unwrap().input[0] = vi("x", INT64, &[2, 3]);
    let e = err_of(load(&m));
    assert!(e.contains("add0"), "{e}");
}

#[test]
fn declared_output_dtype_must_match() {
    let mut m = add_model();
    m.graph.as_mut().unwrap().output[0] = vi("y", INT32, &[2, 3]);
    let e = err_of(load(&m));
    assert!(e.contains("`y`") && e.contains("i32") && e.contains("f32"), "{e}");
}

#[test]
fn missing_required_input() {
    let m = model(
        17,
        vec![named(node("Gemm", &["x"], &["y"]), "gemm0")],
        vec![vi("x", FLOAT, &[2, 3])],
        vec![vi("y", FLOAT, &[2, 3])],
        vec![],
    );
    let e = err_of(load(&m));
    assert!(e.contains("gemm0") && e.contains("missing required input 1"), "{e}");
}

#[test]
fn dangling_edge() {
    let m = model(
        17,
        vec![named(node("Relu", &["nope"], &["y"]), "relu0")],
        vec![vi("x", FLOAT, &[2])],
        vec![vi("y", FLOAT, &[2])],
        vec![],
    );
    let e = err_of(load(&m));
    assert!(e.contains("relu0") && e.contains("`nope`"), "{e}");
    // A graph output nobody produces.
    let m = model(17, vec![], vec![vi("x", FLOAT, &[2])], vec![vi("z", FLOAT, &[2])], vec![]);
    let e = err_of(load(&m));
    assert!(e.contains("`z`"), "{e}");
}

#[test]
fn cycles_are_reported() {
    let m = model(
        17,
        vec![
            named(node("Add", &["x", "b"], &["a"]), "first"),
            named(node("Relu", &["a"], &["b"]), "second"),
            node("Relu", &["a"], &["y"]),
        ],
        vec![vi("x", FLOAT, &[2])],
        vec![vi("y", FLOAT, &[2])],
        vec![],
    );
    let e = err_of(load(&m));
    assert!(e.contains("cycle") && e.contains("first") && e.contains("second"), "{e}");
}

#[test]
fn values_defined_twice() {
    let m = model(
        17,
        vec![named(node("Relu", &["x"], &["y"]), "r1"), named(node("Neg", &["x"], &["y"]), "r2")],
        vec![vi("x", FLOAT, &[2])],
        vec![vi("y", FLOAT, &[2])],
        vec![],
    );
    let e = err_of(load(&m));
    assert!(e.contains("`y`") && e.contains("r1") && e.contains("r2"), "{e}");
    // A node output that shadows a graph input.
    let m = model(17, vec![named(node("Relu", &["x"], &["x"]), "r")], vec![vi("x", FLOAT, &[2])], vec![vi("x", FLOAT, &[2])], vec![]);
    let e = err_of(load(&m));
    assert!(e.contains("`x`") && e.contains("`r`"), "{e}");
}

#[test]
fn unknown_ops_and_domains() {
    let m = model(17, vec![named(node("FooBar", &["x"], &["y"]), "foo")], vec![vi("x", FLOAT, &[2])], vec![vi("y", FLOAT, &[2])], vec![]);
    let e = load(&m).unwrap_err();
    assert!(e.is_unsupported(), "{e}");
    match e {
        ImportError::Unsupported { node, op_type, .. } => {
            assert_eq!(node, "foo");
            assert_eq!(op_type, "FooBar");
        }
        other => panic!("{other}"),
    }
    let mut n = node("FusedGemm", &["x"], &["y"]);
    n.domain = "com.microsoft".into();
    let m = model(17, vec![n], vec![vi("x", FLOAT, &[2])], vec![vi("y", FLOAT, &[2])], vec![]);
    let e = load(&m).unwrap_err();
    assert!(e.is_unsupported() && e.to_string().contains("com.microsoft") && e.to_string().contains("FusedGemm_0"), "{e}");
}

#[test]
fn control_flow_is_unsupported() {
    let mut n = node("If", &["c"], &["y"]);
    n.attribute.push(AttributeProto { name: "then_branch".into(), r#type: 5, g: Some(GraphProto::default()), ..Default::default() });
    let m = model(17, vec![n], vec![vi("c", BOOL, &[])], vec![vi("y", FLOAT, &[2])], vec![]);
    let e = load(&m).unwrap_err();
    assert!(e.is_unsupported() && e.to_string().contains("then_branch"), "{e}");
}

#[test]
fn inconsistent_shapes() {
    let m = model(
        17,
        vec![named(node("MatMul", &["a", "b"], &["y"]), "mm")],
        vec![vi("a", FLOAT, &[2, 3]), vi("b", FLOAT, &[4, 5])],
        vec![vi("y", FLOAT, &[2, 5])],
        vec![],
    );
    let e = err_of(load(&m));
    assert!(e.contains("mm"), "{e}");
    let m = model(
        17,
        vec![named(node("Add", &["a", "b"], &["y"]), "add")],
        vec![vi("a", FLOAT, &[2, 3]), vi("b", FLOAT, &[4])],
        vec![vi("y", FLOAT, &[2, 3])],
        vec![],
    );
    let e = err_of(load(&m));
    assert!(e.contains("add"), "{e}");
}

#[test]
fn negative_and_overflowing_dims() {
    let mut m = add_model();
    m.graph.as_mut().unwrap().initializer[0].dims = vec![-2, 3];
    let e = err_of(load(&m));
    assert!(e.contains("`w`") && e.contains("negative"), "{e}");

    let mut m = add_model();
    m.graph.as_mut().unwrap().initializer[0].dims = vec![1 << 40, 1 << 40, 1 << 40];
    let e = err_of(load(&m));
    assert!(e.contains("`w`") && e.contains("overflow"), "{e}");

    let mut m = add_model();
    m.graph.as_mut().unwrap().input[0] = vi("x", FLOAT, &[-1, 3]);
    let e = err_of(load(&m));
    assert!(e.contains("`x`") && e.contains("negative"), "{e}");
}

#[test]
fn data_size_must_match_dims() {
    // Typed field too short.
    let mut m = add_model();
    m.graph.as_mut().unwrap().initializer[0].float_data.pop();
    let e = err_of(load(&m));
    assert!(e.contains("`w`") && e.contains("float_data") && e.contains("5"), "{e}");
    // raw_data too short.
    let mut m = add_model();
    m.graph.as_mut().unwrap().initializer[0] = f32_raw("w", &[2, 3], &[1.0, 2.0]);
    let e = err_of(load(&m));
    assert!(e.contains("`w`") && e.contains("raw_data"), "{e}");
    // Data in the wrong typed field.
    let mut m = add_model();
    m.graph.as_mut().unwrap().initializer[0] = TensorProto { name: "w".into(), dims: vec![2, 3], data_type: FLOAT, int64_data: vec![1; 6], ..Default::default() };
    let e = err_of(load(&m));
    assert!(e.contains("`w`") && e.contains("another field"), "{e}");
    // Declared huge, no data.
    let mut m = add_model();
    m.graph.as_mut().unwrap().initializer[0] = TensorProto { name: "w".into(), dims: vec![1 << 20, 1 << 10], data_type: FLOAT, ..Default::default() };
    let e = err_of(load(&m));
    assert!(e.contains("`w`"), "{e}");
}

#[test]
fn tensor_size_cap() {
    let m = add_model();
    let opts = ImportOptions { max_tensor_bytes: 16, ..Default::default() };
    let e = err_of(load_with(&m, &opts));
    assert!(e.contains("`w`") && e.contains("limit"), "{e}");
    let opts = ImportOptions { max_tensor_bytes: 24, ..Default::default() };
    load_with(&m, &opts).unwrap();
}

#[test]
fn out_of_range_typed_values() {
    let mut m = add_model();
    let g = m.graph.as_mut().unwrap();
    g.initializer[0] = TensorProto { name: "w".into(), dims: vec![2], data_type: UINT8, int32_data: vec![3, 300], ..Default::default() };
    let e = err_of(load(&m));
    assert!(e.contains("`w`") && e.contains("300"), "{e}");
}

#[test]
fn unknown_rank_input_needs_input_shapes() {
    let mut m = add_model();
    m.graph.as_mut().unwrap().input[0] = vi_dims("x", FLOAT, None);
    let e = err_of(load(&m));
    assert!(e.contains("`x`") && e.contains("input_shapes"), "{e}");
    let mut opts = ImportOptions::default();
    opts.input_shapes.insert("x".into(), vec![2, 3]);
    let imported = load_with(&m, &opts).unwrap();
    let x = imported.graph.inputs()[0];
    assert_eq!(imported.graph.node(x).outputs[0], ir::TensorType::fixed(ir::DType::F32, &[2, 3]));
    // Unknown names in input_shapes are errors.
    let mut opts = ImportOptions::default();
    opts.input_shapes.insert("nope".into(), vec![2, 3]);
    assert!(err_of(load_with(&add_model(), &opts)).contains("`nope`"));
}

#[test]
fn bad_attributes_name_node_and_attribute() {
    let n = attr_s(named(node("Transpose", &["x"], &["y"]), "tr"), "perm", "0,1");
    let m = model(17, vec![n], vec![vi("x", FLOAT, &[2, 3])], vec![vi("y", FLOAT, &[3, 2])], vec![]);
    let e = err_of(load(&m));
    assert!(e.contains("tr") && e.contains("`perm`"), "{e}");
    let n = attr_s(named(node("Gelu", &["x"], &["y"]), "ge"), "approximate", "fast");
    let m = model(20, vec![n], vec![vi("x", FLOAT, &[2])], vec![vi("y", FLOAT, &[2])], vec![]);
    let e = err_of(load(&m));
    assert!(e.contains("ge") && e.contains("fast"), "{e}");
}

#[test]
fn batchnorm_training_mode_is_rejected() {
    let inits = vec![
        f32_tensor("s", &[2], &[1.0, 1.0]),
        f32_tensor("b", &[2], &[0.0, 0.0]),
        f32_tensor("m", &[2], &[0.0, 0.0]),
        f32_tensor("v", &[2], &[1.0, 1.0]),
    ];
    let n = attr_i(named(node("BatchNormalization", &["x", "s", "b", "m", "v"], &["y", "rm", "rv"]), "bn"), "training_mode", 1);
    let m = model(15, vec![n], vec![vi("x", FLOAT, &[1, 2, 2])], vec![vi("y", FLOAT, &[1, 2, 2])], inits);
    let e = load(&m).unwrap_err();
    assert!(e.is_unsupported() && e.to_string().contains("bn") && e.to_string().contains("training"), "{e}");
}

#[test]
fn unnamed_and_duplicate_node_names() {
    // Two nodes named alike and one unnamed: the graph still imports with unique IR names.
    let m = model(
        17,
        vec![named(node("Relu", &["x"], &["a"]), "dup"), named(node("Neg", &["a"], &["b"]), "dup"), node("Abs", &["b"], &["y"])],
        vec![vi("x", FLOAT, &[2])],
        vec![vi("y", FLOAT, &[2])],
        vec![],
    );
    let imported = load_with(&m, &no_fold()).unwrap();
    let g = &imported.graph;
    let names: Vec<String> = g.node_ids().iter().map(|&i| g.node(i).name.clone()).collect();
    assert!(names.contains(&"Relu_0".to_string()) && names.contains(&"Neg_1".to_string()), "{names:?}");
    assert!(names.contains(&"Abs_2".to_string()), "{names:?}");
    // An unsupported unnamed node is named by op type and index.
    let m = model(17, vec![node("Relu", &["x"], &["a"]), node("Nope", &["a"], &["y"])], vec![vi("x", FLOAT, &[2])], vec![vi("y", FLOAT, &[2])], vec![]);
    assert!(err_of(load(&m)).contains("Nope_1"));
}

#[test]
fn inspect_collects_every_unsupported_node() {
    let dir = tempfile::tempdir().unwrap();
    let mut ms = node("Foo", &["a"], &["b"]);
    ms.domain = "com.microsoft".into();
    let m = model(
        17,
        vec![
            named(node("Relu", &["x"], &["a"]), "ok"),
            ms,
            named(node("Bar", &["b"], &["c"]), "bar"),
            named(node("Relu", &["c"], &["d"]), "after"),
            named(node("Loop", &["x"], &["y"]), "loop"),
        ],
        vec![vi("x", FLOAT, &[2])],
        vec![vi("d", FLOAT, &[2]), vi("y", FLOAT, &[2])],
        vec![f32_tensor("w", &[3], &[1.0, 2.0, 3.0])],
    );
    let path = dir.path().join("m.onnx");
    std::fs::write(&path, encode(&m)).unwrap();
    let info = edgec::onnx::inspect_model(&path).unwrap();
    let bad: Vec<(&str, &str)> = info.unsupported.iter().map(|u| (u.node.as_str(), u.op_type.as_str())).collect();
    assert_eq!(bad, vec![("Foo_1", "Foo"), ("bar", "Bar"), ("loop", "Loop")], "{:#?}", info.unsupported);
    assert!(info.unsupported[0].reason.contains("com.microsoft"));
    assert_eq!(info.node_count, 5);
    assert_eq!(info.param_count, 3);
    assert_eq!(info.param_bytes, 12);
    assert_eq!(info.op_histogram.iter().find(|(o, _)| o == "Relu").map(|(_, c)| *c), Some(2));
    assert!(info.op_histogram.iter().any(|(o, _)| o == "com.microsoft.Foo"));
    assert_eq!(info.inputs.len(), 1);
    assert_eq!(info.inputs[0].dtype, "f32");
    assert_eq!(info.inputs[0].dims, vec!["2".to_string()]);
    assert_eq!(info.outputs.len(), 2);
    assert_eq!(info.opsets, vec![(String::new(), 17)]);
}
