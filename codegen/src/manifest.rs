//! `<name>.json`: what a compiled model expects and provides (tensors, buffer sizes, target,
//! kernels), for build systems, harnesses and `edgec bench`. Schema in docs/c-api.md.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TensorInfo {
    /// Name in the model.
    pub name: String,
    /// C identifier used in the header.
    pub c_name: String,
    pub dtype: String,
    pub shape: Vec<usize>,
    pub bytes: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TargetInfo {
    pub name: String,
    pub triple: String,
    pub cpu: String,
    pub features: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct KernelEntry {
    pub func: String,
    pub node: String,
    pub op: String,
    /// Floating-point operations of one run (MatMul, Conv; 0 for the others).
    #[serde(default)]
    pub flops: u64,
    /// Bytes the kernel reads and writes (inputs, constants included, plus outputs).
    #[serde(default)]
    pub bytes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Schema version of this file.
    pub schema: u32,
    pub name: String,
    pub edgec_version: String,
    pub target: TargetInfo,
    pub inputs: Vec<TensorInfo>,
    pub outputs: Vec<TensorInfo>,
    /// Bytes of caller-provided workspace (`<name>_workspace_size()`), 64-byte aligned.
    pub workspace_bytes: usize,
    /// Bytes of weights embedded in the object as read-only data.
    pub weights_bytes: usize,
    pub kernels: Vec<KernelEntry>,
}
