//! `inspect_model`: what a model declares (opsets, inputs, outputs, op histogram, parameter
//! size) and every node edgec cannot import, collected rather than stopping at the first.

use super::import::{build, declared_type, default_opset, Collect};
use super::proto::{ModelProto, TensorProto, ValueInfoProto};
use super::tensor::{dtype_from_onnx, onnx_type_name, TensorSource};
use super::{ImportError, ImportOptions, ModelInfo, ValueInfo};
use ir::Dim;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

pub fn inspect(model: &ModelProto, base_dir: Option<&Path>) -> Result<ModelInfo, ImportError> {
    let opset = default_opset(model)?;
    let graph = model.graph.as_ref().ok_or_else(|| ImportError::Invalid("model has no graph".into()))?;
    let opts = ImportOptions::default();
    let src = TensorSource { base_dir, max_bytes: opts.max_tensor_bytes };
    let mut unsupported = Vec::new();
    build(model, graph, opset, src, &opts, true, Collect::Into(&mut unsupported))?;

    let mut hist: BTreeMap<String, usize> = BTreeMap::new();
    let (mut param_count, mut param_bytes) = (0u64, 0u64);
    for n in &graph.node {
        let key = if super::node::is_default_domain(&n.domain) { n.op_type.clone() } else { format!("{}.{}", n.domain, n.op_type) };
        *hist.entry(key).or_default() += 1;
        if n.op_type == "Constant" && super::node::is_default_domain(&n.domain) {
            for a in &n.attribute {
                let (c, b) = match a.name.as_str() {
                    "value" => a.t.as_ref().map_or((0, 0), tensor_size),
                    "sparse_value" => a.sparse_tensor.as_ref().and_then(|s| s.values.as_ref()).map_or((0, 0), tensor_size),
                    "value_float" | "value_int" => (1, if a.name == "value_int" { 8 } else { 4 }),
                    "value_floats" => (a.floats.len() as u64, 4 * a.floats.len() as u64),
                    "value_ints" => (a.ints.len() as u64, 8 * a.ints.len() as u64),
                    _ => (0, 0),
                };
                param_count += c;
                param_bytes += b;
            }
        }
    }
    for t in &graph.initializer {
        let (c, b) = tensor_size(t);
        param_count += c;
        param_bytes += b;
    }
    for s in &graph.sparse_initializer {
        if let Some(v) = &s.values {
            let (c, b) = tensor_size(v);
            param_count += c;
            param_bytes += b;
        }
    }
    let inits: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    Ok(ModelInfo {
        ir_version: model.ir_version,
        producer: model.producer_name.clone(),
        opsets: model.opset_import.iter().map(|o| (o.domain.clone(), o.version)).collect(),
        inputs: graph.input.iter().filter(|i| !inits.contains(i.name.as_str())).map(value_info).collect(),
        outputs: graph.output.iter().map(value_info).collect(),
        op_histogram: hist.into_iter().collect(),
        node_count: graph.node.len(),
        param_count,
        param_bytes,
        unsupported,
    })
}

/// Elements and bytes a tensor declares (saturating on absurd dims).
fn tensor_size(t: &TensorProto) -> (u64, u64) {
    let n = t.dims.iter().fold(1u64, |a, &d| a.saturating_mul(u64::try_from(d).unwrap_or(0)));
    let bits = dtype_from_onnx(t.data_type).map_or(0, |d| d.bits() as u64);
    (n, n.saturating_mul(bits).div_ceil(8))
}

fn value_info(vi: &ValueInfoProto) -> ValueInfo {
    let (dtype, dims) = match declared_type(vi, "value") {
        Ok((d, dims)) => (
            d.map(|d| d.name().to_string()).unwrap_or_else(|| "?".into()),
            dims.map(|d| d.iter().map(dim_str).collect()).unwrap_or_default(),
        ),
        Err(_) => (raw_type_name(vi), Vec::new()),
    };
    ValueInfo { name: vi.name.clone(), dtype, dims }
}

fn dim_str(d: &Dim) -> String {
    match d {
        Dim::Static(n) => n.to_string(),
        Dim::Sym(s) => s.clone(),
    }
}

fn raw_type_name(vi: &ValueInfoProto) -> String {
    use super::proto::type_proto::Value;
    match vi.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(Value::TensorType(t)) => onnx_type_name(t.elem_type),
        Some(Value::SequenceType(_)) => "sequence".into(),
        Some(Value::MapType(_)) => "map".into(),
        Some(Value::OptionalType(_)) => "optional".into(),
        Some(Value::SparseTensorType(_)) => "sparse_tensor".into(),
        None => "?".into(),
    }
}
