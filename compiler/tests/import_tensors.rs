//! Tensor decoding: raw_data and typed fields agree for every dtype, external data (offset and
//! length, path escapes rejected), sparse initializers, tensor files.

#[path = "import_helpers.rs"]
mod helpers;

use edgec::onnx::proto::*;
use edgec::onnx::tensor::{dtype_to_onnx, tensor_from_proto, TensorSource};
use edgec::onnx::{read_tensor_file, ImportOptions};
use half::{bf16, f16};
use helpers::*;
use ir::{DType, Tensor};
use prost::Message;
use std::path::Path;

const SRC: TensorSource = TensorSource { base_dir: None, max_bytes: 1 << 30 };

fn raw(dtype: DType, dims: &[i64], t: &Tensor) -> TensorProto {
    TensorProto { name: "t".into(), dims: dims.to_vec(), data_type: dtype_to_onnx(dtype), raw_data: t.to_le_bytes(), ..Default::default() }
}

fn typed(dtype: DType, dims: &[i64]) -> TensorProto {
    TensorProto { name: "t".into(), dims: dims.to_vec(), data_type: dtype_to_onnx(dtype), ..Default::default() }
}

#[test]
fn raw_and_typed_fields_agree() {
    let dims = [2i64, 2];
    let shape = [2usize, 2];
    let cases: Vec<(Tensor, TensorProto)> = vec![
        (Tensor::from_vec(&shape, vec![1.5f32, -2.0, 0.0, 7.25]).unwrap(), TensorProto { float_data: vec![1.5, -2.0, 0.0, 7.25], ..typed(DType::F32, &dims) }),
        (Tensor::from_vec(&shape, vec![1.5f64, -2.0, 1e300, 7.25]).unwrap(), TensorProto { double_data: vec![1.5, -2.0, 1e300, 7.25], ..typed(DType::F64, &dims) }),
        (Tensor::from_vec(&shape, vec![1i64, -2, i64::MAX, 0]).unwrap(), TensorProto { int64_data: vec![1, -2, i64::MAX, 0], ..typed(DType::I64, &dims) }),
        (Tensor::from_vec(&shape, vec![1i32, -2, i32::MIN, 0]).unwrap(), TensorProto { int32_data: vec![1, -2, i32::MIN, 0], ..typed(DType::I32, &dims) }),
        (Tensor::from_vec(&shape, vec![1i16, -2, 300, 0]).unwrap(), TensorProto { int32_data: vec![1, -2, 300, 0], ..typed(DType::I16, &dims) }),
        (Tensor::from_vec(&shape, vec![1i8, -2, 127, -128]).unwrap(), TensorProto { int32_data: vec![1, -2, 127, -128], ..typed(DType::I8, &dims) }),
        (Tensor::from_vec(&shape, vec![1u8, 2, 255, 0]).unwrap(), TensorProto { int32_data: vec![1, 2, 255, 0], ..typed(DType::U8, &dims) }),
        (Tensor::from_vec(&shape, vec![1u16, 2, 65535, 0]).unwrap(), TensorProto { int32_data: vec![1, 2, 65535, 0], ..typed(DType::U16, &dims) }),
        (Tensor::from_vec(&shape, vec![1u32, 2, u32::MAX, 0]).unwrap(), TensorProto { uint64_data: vec![1, 2, u32::MAX as u64, 0], ..typed(DType::U32, &dims) }),
        (Tensor::from_vec(&shape, vec![1u64, 2, u64::MAX, 0]).unwrap(), TensorProto { uint64_data: vec![1, 2, u64::MAX, 0], ..typed(DType::U64, &dims) }),
        (Tensor::from_vec(&shape, vec![true, false, true, true]).unwrap(), TensorProto { int32_data: vec![1, 0, 1, 1], ..typed(DType::Bool, &dims) }),
        (
            Tensor::from_vec(&shape, vec![f16::from_f32(1.5), f16::from_f32(-2.0), f16::from_f32(0.1), f16::from_f32(65504.0)]).unwrap(),
            TensorProto {
                int32_data: [1.5f32, -2.0, 0.1, 65504.0].iter().map(|&x| f16::from_f32(x).to_bits() as i32).collect(),
                ..typed(DType::F16, &dims)
            },
        ),
        (
            Tensor::from_vec(&shape, vec![bf16::from_f32(1.5), bf16::from_f32(-2.0), bf16::from_f32(0.1), bf16::from_f32(3e38)]).unwrap(),
            TensorProto {
                int32_data: [1.5f32, -2.0, 0.1, 3e38].iter().map(|&x| bf16::from_f32(x).to_bits() as i32).collect(),
                ..typed(DType::BF16, &dims)
            },
        ),
    ];
    for (expected, typed_proto) in cases {
        let d = expected.dtype();
        let from_typed = tensor_from_proto(&typed_proto, "t", SRC).unwrap_or_else(|e| panic!("{d}: {e}"));
        let from_raw = tensor_from_proto(&raw(d, &dims, &expected), "t", SRC).unwrap_or_else(|e| panic!("{d}: {e}"));
        assert_eq!(from_typed, expected, "{d} typed");
        assert_eq!(from_raw, expected, "{d} raw");
    }
}

#[test]
fn scalars_and_empty_tensors() {
    let t = tensor_from_proto(&TensorProto { float_data: vec![3.0], ..typed(DType::F32, &[]) }, "t", SRC).unwrap();
    assert_eq!(t, Tensor::scalar(3.0f32));
    let t = tensor_from_proto(&typed(DType::F32, &[0, 3]), "t", SRC).unwrap();
    assert_eq!(t.shape(), &[0, 3]);
    // A scalar with no data is an error.
    let e = tensor_from_proto(&typed(DType::F32, &[]), "s", SRC).unwrap_err().to_string();
    assert!(e.contains("`s`"), "{e}");
}

fn external(name: &str, location: &str, offset: Option<u64>, length: Option<u64>, dims: &[i64]) -> TensorProto {
    let mut ext = vec![StringStringEntryProto { key: "location".into(), value: location.into() }];
    if let Some(o) = offset {
        ext.push(StringStringEntryProto { key: "offset".into(), value: o.to_string() });
    }
    if let Some(l) = length {
        ext.push(StringStringEntryProto { key: "length".into(), value: l.to_string() });
    }
    TensorProto { name: name.into(), dims: dims.to_vec(), data_type: FLOAT, external_data: ext, data_location: 1, ..Default::default() }
}

fn ext_model(t: TensorProto) -> ModelProto {
    model(17, vec![named(node("Add", &["x", "w"], &["y"]), "add0")], vec![vi("x", FLOAT, &[3])], vec![vi("y", FLOAT, &[3])], vec![t])
}

fn write_weights(dir: &Path, name: &str) {
    // 4 bytes of padding, then [1, 2, 3], then [10, 20, 30].
    let mut b = vec![0xAAu8; 4];
    for v in [1.0f32, 2.0, 3.0, 10.0, 20.0, 30.0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(dir.join(name), b).unwrap();
}

fn weight_of(m: &edgec::onnx::Model) -> Vec<f64> {
    let g = &m.graph;
    let id = g.node_ids().into_iter().find(|&i| matches!(g.node(i).op, ir::Op::Const(_))).expect("a constant");
    g.const_value(ir::ValueId::new(id, 0)).unwrap().to_f64_vec()
}

#[test]
fn external_data_with_offset_and_length() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    write_weights(&dir.path().join("data"), "w.bin");
    let opts = edgec::onnx::ImportOptions { fold: false, ..Default::default() };
    let load = |t: TensorProto| {
        let path = dir.path().join("model.onnx");
        std::fs::write(&path, encode(&ext_model(t))).unwrap();
        edgec::onnx::load_model(&path, &opts)
    };
    let m = load(external("w", "data/w.bin", Some(4), Some(12), &[3])).unwrap();
    assert_eq!(weight_of(&m), vec![1.0, 2.0, 3.0]);
    let m = load(external("w", "./data/w.bin", Some(16), Some(12), &[3])).unwrap();
    assert_eq!(weight_of(&m), vec![10.0, 20.0, 30.0]);
    // Without length: the rest of the file from the offset.
    let m = load(external("w", "data/w.bin", Some(16), None, &[3])).unwrap();
    assert_eq!(weight_of(&m), vec![10.0, 20.0, 30.0]);
    // The file is too short for offset + length.
    let e = load(external("w", "data/w.bin", Some(20), Some(12), &[3])).unwrap_err().to_string();
    assert!(e.contains("`w`") && e.contains("too short"), "{e}");
    // Length disagrees with the dims.
    let e = load(external("w", "data/w.bin", Some(4), Some(8), &[3])).unwrap_err().to_string();
    assert!(e.contains("`w`") && e.contains("needs 12"), "{e}");
    // Missing file.
    let e = load(external("w", "data/nope.bin", None, None, &[3])).unwrap_err().to_string();
    assert!(e.contains("`w`") && e.contains("nope.bin"), "{e}");
    // Garbage offset.
    let mut t = external("w", "data/w.bin", None, None, &[3]);
    t.external_data.push(StringStringEntryProto { key: "offset".into(), value: "-4".into() });
    let e = load(t).unwrap_err().to_string();
    assert!(e.contains("`w`") && e.contains("offset"), "{e}");
}

#[test]
fn external_data_cannot_escape_the_model_folder() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("model");
    std::fs::create_dir(&dir).unwrap();
    write_weights(root.path(), "outside.bin");
    let load = |loc: &str| {
        let path = dir.join("model.onnx");
        std::fs::write(&path, encode(&ext_model(external("w", loc, Some(4), Some(12), &[3])))).unwrap();
        edgec::onnx::load_model(&path, &ImportOptions::default()).unwrap_err().to_string()
    };
    for loc in ["../../etc/passwd", "../outside.bin", "data/../../outside.bin"] {
        let e = load(loc);
        assert!(e.contains("`w`") && e.contains(loc) && e.contains(".."), "{loc}: {e}");
    }
    let abs = root.path().join("outside.bin");
    let abs = abs.to_str().unwrap();
    let e = load(abs);
    assert!(e.contains("`w`") && e.contains("absolute"), "{e}");
    let e = load("/etc/passwd");
    assert!(e.contains("`w`") && e.contains("absolute"), "{e}");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.path().join("outside.bin"), dir.join("link.bin")).unwrap();
        let e = load("link.bin");
        assert!(e.contains("`w`") && e.contains("link.bin") && e.contains("outside"), "{e}");
        std::os::unix::fs::symlink(root.path(), dir.join("up")).unwrap();
        let e = load("up/outside.bin");
        assert!(e.contains("`w`") && e.contains("outside"), "{e}");
    }
    // From bytes without a folder, external data cannot be resolved.
    let e = load_with(&ext_model(external("w", "w.bin", None, None, &[3])), &ImportOptions::default()).unwrap_err().to_string();
    assert!(e.contains("`w`") && e.contains("w.bin"), "{e}");
}

#[test]
fn external_data_respects_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    write_weights(dir.path(), "w.bin");
    let path = dir.path().join("model.onnx");
    std::fs::write(&path, encode(&ext_model(external("w", "w.bin", Some(4), Some(12), &[3])))).unwrap();
    let opts = ImportOptions { max_tensor_bytes: 8, ..Default::default() };
    let e = edgec::onnx::load_model(&path, &opts).unwrap_err().to_string();
    assert!(e.contains("`w`") && e.contains("limit"), "{e}");
}

#[test]
fn sparse_initializer_is_densified() {
    let mut m = model(17, vec![named(node("Add", &["x", "w"], &["y"]), "add0")], vec![vi("x", FLOAT, &[2, 3])], vec![vi("y", FLOAT, &[2, 3])], vec![]);
    m.graph.as_mut().unwrap().sparse_initializer.push(SparseTensorProto {
        values: Some(f32_tensor("w", &[2], &[5.0, 7.0])),
        indices: Some(i64_tensor("", &[2, 2], &[0, 1, 1, 2])),
        dims: vec![2, 3],
    });
    let imported = load_with(&m, &no_fold()).unwrap();
    assert_eq!(weight_of(&imported), vec![0.0, 5.0, 0.0, 0.0, 0.0, 7.0]);
    // Linearized indices, one out of range.
    let g = m.graph.as_mut().unwrap();
    g.sparse_initializer[0].indices = Some(i64_tensor("", &[2], &[1, 6]));
    let e = err_of(load(&m));
    assert!(e.contains("`w`") && e.contains("6"), "{e}");
}

#[test]
fn tensor_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("input_0.pb");
    std::fs::write(&p, f32_raw("x", &[2], &[1.0, -1.0]).encode_to_vec()).unwrap();
    let (name, t) = read_tensor_file(&p).unwrap();
    assert_eq!(name, "x");
    assert_eq!(t, Tensor::from_vec(&[2], vec![1.0f32, -1.0]).unwrap());
    std::fs::write(&p, [0xffu8; 10]).unwrap();
    assert!(read_tensor_file(&p).is_err());
    let e = read_tensor_file(&dir.path().join("missing.pb")).unwrap_err().to_string();
    assert!(e.contains("missing.pb"), "{e}");
}

#[test]
fn the_real_test_data_reads() {
    let p = Path::new("/work/shared/models/mlp/test_data_set_0/input_0.pb");
    if !p.exists() {
        return;
    }
    let (name, t) = read_tensor_file(p).unwrap();
    assert_eq!(name, "x");
    assert_eq!(t.shape(), &[1, 784]);
    assert_eq!(t.dtype(), DType::F32);
}
