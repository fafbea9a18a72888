//! ONNX import: the protobuf schema (prost) and the translation of ONNX graphs into edgec IR.
//!
//! Public API (used by the CLI and the testsuite):
//! - `load_model(path, &ImportOptions) -> Result<Model, ImportError>`: read, import, infer, fold.
//! - `inspect_model(path) -> Result<ModelInfo, ImportError>`: what `edgec inspect` prints,
//!   including every node edgec cannot handle (collected, not stopping at the first).
//! - `read_tensor_file(path) -> Result<(String, Tensor), ImportError>`: a serialized TensorProto
//!   (the ONNX test-data `input_0.pb` format).
//! - `load_model_bytes(bytes, base_dir, &ImportOptions)`: `load_model` on bytes in memory.
//! - `proto`: the ONNX protobuf messages (prost), to read and also write ONNX files;
//!   `tensor`: conversions between ONNX tensors/element types and IR tensors/dtypes.
//!
//! Import conventions (see `import.rs`): a graph input that also has an initializer is the
//! constant; missing dims become symbols; IR node names are the ONNX names when unique.

mod builder;
mod external;
mod functions;
mod import;
mod inspect;
mod load;
mod map;
mod map_elementwise;
mod map_function_ops;
mod map_loss;
mod map_misc;
mod map_nn;
mod map_qlinear;
mod map_reduce;
mod map_rnn;
mod map_attention;
mod map_shape;
mod node;
mod order;
pub mod proto;
pub mod tensor;

use ir::{Graph, Tensor};
use std::collections::HashMap;
use std::path::Path;

/// Errors of import. All are "bad input" (exit code 2 in the CLI); each names the node or field.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {msg}")]
    Io { path: String, msg: String },
    /// The bytes are not a valid protobuf of the expected message.
    #[error("malformed ONNX protobuf: {0}")]
    Decode(String),
    /// A field or node is invalid (names the node or field).
    #[error("{0}")]
    Invalid(String),
    /// Valid ONNX that edgec does not support (names the node and op type).
    #[error("node `{node}` ({op_type}): unsupported: {msg}")]
    Unsupported { node: String, op_type: String, msg: String },
    #[error(transparent)]
    Ir(#[from] ir::IrError),
}

impl ImportError {
    /// Whether this error means "not supported" rather than "invalid input".
    pub fn is_unsupported(&self) -> bool {
        match self {
            ImportError::Unsupported { .. } => true,
            ImportError::Ir(e) => e.is_unsupported(),
            _ => false,
        }
    }
}

/// Options of import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Replace the shapes of these graph inputs (e.g. bind symbolic dims to the test data's shapes).
    pub input_shapes: HashMap<String, Vec<usize>>,
    /// Largest tensor (initializer, constant, external data) accepted, in bytes.
    pub max_tensor_bytes: u64,
    /// Run constant folding after import.
    pub fold: bool,
    /// Specialise the model on these values: each named graph input becomes a constant with this
    /// value (and is no longer a graph input). Used to make shape-defining operands (Reshape's
    /// shape, Slice's starts, TopK's k…) static for ahead-of-time compilation.
    pub bind_inputs: HashMap<String, Tensor>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { input_shapes: HashMap::new(), max_tensor_bytes: 8 << 30, fold: true, bind_inputs: HashMap::new() }
    }
}

/// An imported model.
#[derive(Debug)]
pub struct Model {
    pub graph: Graph,
    /// Version of the default ("" / "ai.onnx") opset.
    pub opset: i64,
    pub ir_version: i64,
    pub producer: String,
}

/// One node edgec cannot handle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsupportedNode {
    pub node: String,
    pub op_type: String,
    pub reason: String,
}

/// A named, typed graph input or output as ONNX declares it (dims: numbers or dim_param names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueInfo {
    pub name: String,
    pub dtype: String,
    pub dims: Vec<String>,
}

/// What `edgec inspect` reports.
#[derive(Clone, Debug)]
pub struct ModelInfo {
    pub ir_version: i64,
    pub producer: String,
    /// (domain, version); "" is the default domain.
    pub opsets: Vec<(String, i64)>,
    pub inputs: Vec<ValueInfo>,
    pub outputs: Vec<ValueInfo>,
    /// ONNX op type → count, sorted by op type.
    pub op_histogram: Vec<(String, usize)>,
    pub node_count: usize,
    /// Elements and bytes of all initializers (and Constant nodes).
    pub param_count: u64,
    pub param_bytes: u64,
    pub unsupported: Vec<UnsupportedNode>,
}

/// Read, decode and import the ONNX model at `path` (external data relative to its folder).
pub fn load_model(path: &Path, opts: &ImportOptions) -> Result<Model, ImportError> {
    let bytes = load::read_file(path)?;
    load_model_bytes(&bytes, Some(load::model_dir(path)), opts)
}

/// Decode and import a serialized ModelProto. `base_dir` is the folder external data is read
/// from (None: external data is rejected).
pub fn load_model_bytes(bytes: &[u8], base_dir: Option<&Path>, opts: &ImportOptions) -> Result<Model, ImportError> {
    let model = load::decode_model(bytes)?;
    let src = tensor::TensorSource { base_dir, max_bytes: opts.max_tensor_bytes };
    import::import_model(&model, src, opts)
}

/// Describe the model at `path`, listing every node edgec cannot import.
pub fn inspect_model(path: &Path) -> Result<ModelInfo, ImportError> {
    let bytes = load::read_file(path)?;
    let model = load::decode_model(&bytes)?;
    inspect::inspect(&model, Some(load::model_dir(path)))
}

/// Read a serialized TensorProto (name and value), e.g. ONNX test data `input_0.pb`.
pub fn read_tensor_file(path: &Path) -> Result<(String, Tensor), ImportError> {
    let bytes = load::read_file(path)?;
    let t = load::decode_tensor(&bytes)?;
    let src = tensor::TensorSource { base_dir: Some(load::model_dir(path)), max_bytes: ImportOptions::default().max_tensor_bytes };
    let name = if t.name.is_empty() { path.display().to_string() } else { t.name.clone() };
    let value = tensor::tensor_from_proto(&t, &name, src)?;
    Ok((t.name, value))
}
