//! ONNX import: the protobuf schema (prost) and the translation of ONNX graphs into edgec IR.
