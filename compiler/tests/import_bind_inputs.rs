//! `ImportOptions::bind_inputs`: graph inputs specialised to constant values at import (how the
//! compiled conformance backend makes shape operands static).

#[path = "import_helpers.rs"]
mod helpers;

use edgec::onnx::ImportOptions;
use helpers::*;
use ir::{DType, Tensor, TensorType};

fn reshape_model() -> edgec::onnx::proto::ModelProto {
    model(
        14,
        vec![node("Reshape", &["x", "shape"], &["y"])],
        vec![vi("x", FLOAT, &[2, 3]), vi("shape", INT64, &[2])],
        vec![vi_sym("y", FLOAT, &["", ""])],
        vec![],
    )
}

#[test]
fn bound_shape_input_becomes_a_constant_and_makes_shapes_static() {
    let m = reshape_model();
    let im = load(&m).unwrap();
    assert_eq!(im.graph.inputs().len(), 2);
    assert!(!ir::fold::is_fully_static(&im.graph));

    let mut opts = ImportOptions::default();
    opts.bind_inputs.insert("shape".into(), Tensor::from_vec(&[2], vec![3i64, -1]).unwrap());
    let im = load_with(&m, &opts).unwrap();
    let g = &im.graph;
    assert_eq!(g.inputs().len(), 1, "the bound input is no longer a graph input");
    assert_eq!(g.node(g.inputs()[0]).name, "x");
    assert!(ir::fold::is_fully_static(g));
    let (_, out) = &g.outputs()[0];
    assert_eq!(g.value_type(*out), &TensorType::fixed(DType::F32, &[3, 2]));
    let x = Tensor::from_vec(&[2, 3], vec![1f32, 2., 3., 4., 5., 6.]).unwrap();
    let y = run(&im, &[("x", x)]);
    assert_eq!(y[0].shape(), &[3, 2]);
}

#[test]
fn bind_inputs_rejects_unknown_names_and_wrong_types() {
    let m = reshape_model();
    let mut opts = ImportOptions::default();
    opts.bind_inputs.insert("nope".into(), Tensor::from_vec(&[1], vec![1i64]).unwrap());
    let e = err_of(load_with(&m, &opts));
    assert!(e.contains("`nope`") && e.contains("bind_inputs"), "{e}");

    let mut opts = ImportOptions::default();
    opts.bind_inputs.insert("shape".into(), Tensor::from_vec(&[2], vec![3i32, 2]).unwrap());
    let e = err_of(load_with(&m, &opts));
    assert!(e.contains("`shape`") && e.contains("i32"), "{e}");

    let mut opts = ImportOptions::default();
    opts.bind_inputs.insert("shape".into(), Tensor::from_vec(&[3], vec![1i64, 3, 2]).unwrap());
    let e = err_of(load_with(&m, &opts));
    assert!(e.contains("`shape`") && e.contains("declared shape"), "{e}");
}
