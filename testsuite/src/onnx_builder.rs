//! A small builder for writing ONNX models from Rust (examples and tests; no model files in git).

use edgec::onnx::proto::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto, type_proto, AttributeProto,
    GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, TensorShapeProto, TypeProto,
    ValueInfoProto,
};
use prost::Message;

/// Builds one ONNX graph in the default domain.
pub struct OnnxBuilder {
    graph: GraphProto,
    opset: i64,
    next: usize,
}

fn value_info(name: &str, dtype: DataType, dims: &[i64]) -> ValueInfoProto {
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
                elem_type: dtype as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            denotation: String::new(),
        }),
        ..Default::default()
    }
}

/// A float tensor proto (raw little-endian data).
pub fn tensor_f32(name: &str, dims: &[i64], data: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        raw_data: data.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ..Default::default()
    }
}

/// An int64 tensor proto (typed field).
pub fn tensor_i64(name: &str, dims: &[i64], data: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Int64 as i32,
        int64_data: data.to_vec(),
        ..Default::default()
    }
}

pub fn attr_int(name: &str, v: i64) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i: v, ..Default::default() }
}

pub fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Ints as i32, ints: v.to_vec(), ..Default::default() }
}

pub fn attr_float(name: &str, v: f32) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Float as i32, f: v, ..Default::default() }
}

pub fn attr_str(name: &str, v: &str) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::String as i32, s: v.as_bytes().to_vec(), ..Default::default() }
}

impl OnnxBuilder {
    pub fn new(name: &str, opset: i64) -> Self {
        OnnxBuilder { graph: GraphProto { name: name.into(), ..Default::default() }, opset, next: 0 }
    }

    pub fn input(&mut self, name: &str, dtype: DataType, dims: &[i64]) -> String {
        self.graph.input.push(value_info(name, dtype, dims));
        name.into()
    }

    /// A float initializer; returns its name.
    pub fn weight(&mut self, name: &str, dims: &[i64], data: &[f32]) -> String {
        self.graph.initializer.push(tensor_f32(name, dims, data));
        name.into()
    }

    /// An int64 initializer; returns its name.
    pub fn ints(&mut self, name: &str, data: &[i64]) -> String {
        self.graph.initializer.push(tensor_i64(name, &[data.len() as i64], data));
        name.into()
    }

    /// A node with one output; returns the output's name.
    pub fn node(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>) -> String {
        self.node_n(op, inputs, 1, attrs).remove(0)
    }

    /// A node with `n` outputs.
    pub fn node_n(&mut self, op: &str, inputs: &[&str], n: usize, attrs: Vec<AttributeProto>) -> Vec<String> {
        let id = self.next;
        self.next += 1;
        let name = format!("{op}_{id}");
        let outputs: Vec<String> = (0..n).map(|k| format!("{name}_out{k}")).collect();
        self.graph.node.push(NodeProto {
            name,
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.clone(),
            attribute: attrs,
            ..Default::default()
        });
        outputs
    }

    /// Declare `value` as a graph output named `name` (renaming the producing node's output).
    pub fn output(&mut self, value: &str, name: &str, dtype: DataType, dims: &[i64]) {
        for n in &mut self.graph.node {
            for o in &mut n.output {
                if o == value {
                    *o = name.into();
                }
            }
            for i in &mut n.input {
                if i == value {
                    *i = name.into();
                }
            }
        }
        self.graph.output.push(value_info(name, dtype, dims));
    }

    pub fn build(self) -> ModelProto {
        ModelProto {
            ir_version: 8,
            producer_name: "edgec-testsuite".into(),
            producer_version: env!("CARGO_PKG_VERSION").into(),
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: self.opset }],
            graph: Some(self.graph),
            ..Default::default()
        }
    }
}

/// Serialize a model.
pub fn encode(m: &ModelProto) -> Vec<u8> {
    m.encode_to_vec()
}

/// Deterministic pseudo-random numbers (SplitMix64) so that generated models are reproducible
/// byte for byte across platforms and crate versions.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    /// `n` values uniform in [-scale, scale).
    pub fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform() * scale).collect()
    }
}
