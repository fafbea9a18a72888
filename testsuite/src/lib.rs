//! edgec's end-to-end test support: the ONNX conformance runner, an ONNX model builder, and the
//! bundled example models.

pub mod conformance;
pub mod example;
pub mod onnx_builder;
