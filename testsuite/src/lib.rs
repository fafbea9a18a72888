//! edgec's end-to-end test support: the ONNX conformance runner, an ONNX model builder, the
//! bundled example models, and the compiled path as tests use it (`native`).

pub mod conformance;
pub mod example;
pub mod exceptions;
pub mod native;
pub mod onnx_builder;
