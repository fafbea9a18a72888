//! Helpers for the importer tests: build ONNX models in Rust with `edgec::onnx::proto` and load
//! them. Included by the `import_*` tests with `#[path = "import_helpers.rs"] mod helpers;`.
#![allow(dead_code)]

use edgec::onnx::proto::*;
use edgec::onnx::{load_model_bytes, ImportError, ImportOptions, Model};
use ir::{Graph, Op};
use prost::Message;
use std::path::Path;

pub const FLOAT: i32 = 1;
pub const UINT8: i32 = 2;
pub const INT8: i32 = 3;
pub const INT32: i32 = 6;
pub const INT64: i32 = 7;
pub const STRING: i32 = 8;
pub const BOOL: i32 = 9;
pub const FLOAT16: i32 = 10;
pub const DOUBLE: i32 = 11;

/// A tensor value info with static dims.
pub fn vi(name: &str, elem_type: i32, dims: &[i64]) -> ValueInfoProto {
    let dims = dims
        .iter()
        .map(|&d| tensor_shape_proto::Dimension {
            value: Some(tensor_shape_proto::dimension::Value::DimValue(d)),
            denotation: String::new(),
        })
        .collect();
    vi_dims(name, elem_type, Some(dims))
}

/// A tensor value info with symbolic dims (`""` = absent dim).
pub fn vi_sym(name: &str, elem_type: i32, dims: &[&str]) -> ValueInfoProto {
    let dims = dims
        .iter()
        .map(|&d| tensor_shape_proto::Dimension {
            value: if d.is_empty() { None } else { Some(tensor_shape_proto::dimension::Value::DimParam(d.into())) },
            denotation: String::new(),
        })
        .collect();
    vi_dims(name, elem_type, Some(dims))
}

pub fn vi_dims(name: &str, elem_type: i32, dims: Option<Vec<tensor_shape_proto::Dimension>>) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type,
                shape: dims.map(|dim| TensorShapeProto { dim }),
            })),
            denotation: String::new(),
        }),
        ..Default::default()
    }
}

pub fn f32_tensor(name: &str, dims: &[i64], v: &[f32]) -> TensorProto {
    TensorProto { name: name.into(), dims: dims.to_vec(), data_type: FLOAT, float_data: v.to_vec(), ..Default::default() }
}

pub fn f32_raw(name: &str, dims: &[i64], v: &[f32]) -> TensorProto {
    let raw = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    TensorProto { name: name.into(), dims: dims.to_vec(), data_type: FLOAT, raw_data: raw, ..Default::default() }
}

pub fn i64_tensor(name: &str, dims: &[i64], v: &[i64]) -> TensorProto {
    TensorProto { name: name.into(), dims: dims.to_vec(), data_type: INT64, int64_data: v.to_vec(), ..Default::default() }
}

pub fn node(op: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

pub fn named(mut n: NodeProto, name: &str) -> NodeProto {
    n.name = name.into();
    n
}

pub fn attr_i(mut n: NodeProto, name: &str, v: i64) -> NodeProto {
    n.attribute.push(AttributeProto { name: name.into(), r#type: 2, i: v, ..Default::default() });
    n
}

pub fn attr_f(mut n: NodeProto, name: &str, v: f32) -> NodeProto {
    n.attribute.push(AttributeProto { name: name.into(), r#type: 1, f: v, ..Default::default() });
    n
}

pub fn attr_ints(mut n: NodeProto, name: &str, v: &[i64]) -> NodeProto {
    n.attribute.push(AttributeProto { name: name.into(), r#type: 7, ints: v.to_vec(), ..Default::default() });
    n
}

pub fn attr_floats(mut n: NodeProto, name: &str, v: &[f32]) -> NodeProto {
    n.attribute.push(AttributeProto { name: name.into(), r#type: 6, floats: v.to_vec(), ..Default::default() });
    n
}

pub fn attr_s(mut n: NodeProto, name: &str, v: &str) -> NodeProto {
    n.attribute.push(AttributeProto { name: name.into(), r#type: 3, s: v.as_bytes().to_vec(), ..Default::default() });
    n
}

pub fn attr_t(mut n: NodeProto, name: &str, t: TensorProto) -> NodeProto {
    n.attribute.push(AttributeProto { name: name.into(), r#type: 4, t: Some(t), ..Default::default() });
    n
}

/// A model of the default domain at `opset`.
pub fn model(
    opset: i64,
    nodes: Vec<NodeProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
    inits: Vec<TensorProto>,
) -> ModelProto {
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: opset }],
        producer_name: "edgec-tests".into(),
        graph: Some(GraphProto {
            name: "g".into(),
            node: nodes,
            input: inputs,
            output: outputs,
            initializer: inits,
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn encode(m: &ModelProto) -> Vec<u8> {
    m.encode_to_vec()
}

pub fn load(m: &ModelProto) -> Result<Model, ImportError> {
    load_with(m, &ImportOptions::default())
}

pub fn load_with(m: &ModelProto, opts: &ImportOptions) -> Result<Model, ImportError> {
    load_model_bytes(&encode(m), None, opts)
}

pub fn load_in(m: &ModelProto, dir: &Path) -> Result<Model, ImportError> {
    let path = dir.join("model.onnx");
    std::fs::write(&path, encode(m)).unwrap();
    edgec::onnx::load_model(&path, &ImportOptions::default())
}

pub fn no_fold() -> ImportOptions {
    ImportOptions { fold: false, ..Default::default() }
}

/// The error's message, which must exist.
pub fn err_of(r: Result<Model, ImportError>) -> String {
    match r {
        Ok(_) => panic!("expected an import error"),
        Err(e) => e.to_string(),
    }
}

/// A name-independent description of a graph: each output as an expression tree of ops
/// (constants by value, inputs by name, value types included).
pub fn signature(g: &Graph) -> Vec<String> {
    fn describe(g: &Graph, v: ir::ValueId) -> String {
        let n = g.node(v.node);
        let ty = &n.outputs[v.port as usize];
        match &n.op {
            Op::Input => format!("input {}: {ty}", n.name),
            Op::Const(t) => format!("const {t:?}"),
            op => {
                let ins: Vec<String> = g.node_inputs(v.node).iter().map(|i| i.map_or("_".into(), |i| describe(g, i))).collect();
                format!("{op:?}#{}: {ty}({})", v.port, ins.join(", "))
            }
        }
    }
    g.outputs().iter().map(|(name, v)| format!("{name} = {}", describe(g, *v))).collect()
}

/// Run a model's graph on named inputs.
pub fn run(m: &Model, inputs: &[(&str, ir::Tensor)]) -> Vec<ir::Tensor> {
    let ins: Vec<(String, ir::Tensor)> = inputs.iter().map(|(n, t)| (n.to_string(), t.clone())).collect();
    ir::interp::run(&m.graph, &ins).unwrap().into_iter().map(|(_, t)| t).collect()
}

pub fn count_ops(g: &Graph, name: &str) -> usize {
    g.node_ids().iter().filter(|&&id| g.node(id).op.name() == name).count()
}
