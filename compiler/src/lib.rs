//! The edgec compiler library: ONNX import (`onnx`), tensor files (`tensorio`) and the driver
//! behind the `edgec` command.

pub mod onnx;
pub mod compare;
pub mod npy;
pub mod cli;
pub mod native;
