//! edgec's graph IR: types, tensors, the op set, the graph, shape inference, constant folding,
//! the text form, the verifier and the reference interpreter. Knows nothing of ONNX or LLVM.

pub mod dtype;
pub mod error;
pub mod fold;
pub mod graph;
pub mod infer;
pub mod interp;
pub mod op;
pub mod ops;
pub mod shape;
pub mod tensor;
pub mod text;
pub mod verify;

pub use dtype::DType;
pub use error::{IrError, OpError, OpResult};
pub use graph::{Edge, Graph, Node, NodeId, ValueId};
pub use op::*;
pub use shape::{broadcast_dims, broadcast_shapes, norm_axis, Dim, TensorType};
pub use tensor::{Element, Tensor};
