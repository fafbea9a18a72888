//! One ONNX node as the importer sees it (its proto, position, label for errors and the opset
//! version its domain is at), with typed attribute access whose errors name node and attribute.

use super::proto::{attribute_proto::AttributeType, AttributeProto, NodeProto, TensorProto};
use super::ImportError;
use std::borrow::Cow;

/// A node of the (function-expanded) graph.
pub struct OnnxNode<'m> {
    pub proto: Cow<'m, NodeProto>,
    /// Position in the expanded node list.
    pub index: usize,
    /// How errors name the node: its ONNX name, or `{op_type}_{index}` when it has none.
    pub label: String,
    /// Version of the default-domain opset this node is read under.
    pub opset: i64,
}

impl<'m> OnnxNode<'m> {
    pub fn op_type(&self) -> &str {
        &self.proto.op_type
    }

    /// Whether the node is in the default ("" or "ai.onnx") domain.
    pub fn is_default_domain(&self) -> bool {
        is_default_domain(&self.proto.domain)
    }

    pub fn invalid(&self, msg: impl std::fmt::Display) -> ImportError {
        ImportError::Invalid(format!("node `{}` ({}): {msg}", self.label, self.proto.op_type))
    }

    pub fn unsupported(&self, msg: impl Into<String>) -> ImportError {
        ImportError::Unsupported { node: self.label.clone(), op_type: self.proto.op_type.clone(), msg: msg.into() }
    }

    /// Number of outputs the model uses, counting up to the last non-empty output name.
    pub fn used_outputs(&self) -> usize {
        self.proto.output.iter().rposition(|o| !o.is_empty()).map_or(0, |i| i + 1)
    }

    /// Whether output `i` is named (used by the model).
    pub fn has_output(&self, i: usize) -> bool {
        self.proto.output.get(i).is_some_and(|o| !o.is_empty())
    }

    pub fn attr(&self, name: &str) -> Option<&AttributeProto> {
        self.proto.attribute.iter().find(|a| a.name == name)
    }

    fn typed(&self, name: &str, want: AttributeType) -> Result<Option<&AttributeProto>, ImportError> {
        let Some(a) = self.attr(name) else { return Ok(None) };
        if a.r#type != AttributeType::Undefined as i32 && a.r#type != want as i32 {
            let have = AttributeType::try_from(a.r#type).map(|t| format!("{t:?}")).unwrap_or_else(|_| a.r#type.to_string());
            return Err(self.invalid(format!("attribute `{name}` has type {have}, expected {want:?}")));
        }
        Ok(Some(a))
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ImportError> {
        Ok(self.typed(name, AttributeType::Int)?.map(|a| a.i))
    }

    pub fn int_or(&self, name: &str, default: i64) -> Result<i64, ImportError> {
        Ok(self.int(name)?.unwrap_or(default))
    }

    /// A 0/1 flag attribute.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ImportError> {
        match self.int(name)? {
            None => Ok(default),
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            Some(v) => Err(self.invalid(format!("attribute `{name}` must be 0 or 1, got {v}"))),
        }
    }

    /// A non-negative int attribute as usize.
    pub fn usize_or(&self, name: &str, default: usize) -> Result<usize, ImportError> {
        match self.int(name)? {
            None => Ok(default),
            Some(v) => usize::try_from(v).map_err(|_| self.invalid(format!("attribute `{name}` must be ≥ 0, got {v}"))),
        }
    }

    pub fn float(&self, name: &str) -> Result<Option<f32>, ImportError> {
        Ok(self.typed(name, AttributeType::Float)?.map(|a| a.f))
    }

    pub fn float_or(&self, name: &str, default: f32) -> Result<f32, ImportError> {
        Ok(self.float(name)?.unwrap_or(default))
    }

    pub fn ints(&self, name: &str) -> Result<Option<&[i64]>, ImportError> {
        Ok(self.typed(name, AttributeType::Ints)?.map(|a| a.ints.as_slice()))
    }

    /// A list of non-negative ints as usizes.
    pub fn usizes(&self, name: &str) -> Result<Option<Vec<usize>>, ImportError> {
        match self.ints(name)? {
            None => Ok(None),
            Some(v) => v
                .iter()
                .map(|&x| usize::try_from(x).map_err(|_| self.invalid(format!("attribute `{name}` has a negative value {x}"))))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
        }
    }

    pub fn floats(&self, name: &str) -> Result<Option<&[f32]>, ImportError> {
        Ok(self.typed(name, AttributeType::Floats)?.map(|a| a.floats.as_slice()))
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, ImportError> {
        match self.typed(name, AttributeType::String)? {
            None => Ok(None),
            Some(a) => String::from_utf8(a.s.clone())
                .map(Some)
                .map_err(|_| self.invalid(format!("attribute `{name}` is not valid UTF-8"))),
        }
    }

    pub fn string_or(&self, name: &str, default: &str) -> Result<String, ImportError> {
        Ok(self.string(name)?.unwrap_or_else(|| default.to_string()))
    }

    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, ImportError> {
        match self.typed(name, AttributeType::Strings)? {
            None => Ok(None),
            Some(a) => a
                .strings
                .iter()
                .map(|s| String::from_utf8(s.clone()).map_err(|_| self.invalid(format!("attribute `{name}` is not valid UTF-8"))))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
        }
    }

    pub fn tensor(&self, name: &str) -> Result<Option<&TensorProto>, ImportError> {
        match self.typed(name, AttributeType::Tensor)? {
            None => Ok(None),
            Some(a) => a.t.as_ref().map(Some).ok_or_else(|| self.invalid(format!("attribute `{name}` holds no tensor"))),
        }
    }

    /// Reject graph-valued attributes (control flow bodies), which edgec does not import.
    pub fn reject_subgraphs(&self) -> Result<(), ImportError> {
        for a in &self.proto.attribute {
            if a.g.is_some() || !a.graphs.is_empty() || a.r#type == AttributeType::Graph as i32 || a.r#type == AttributeType::Graphs as i32 {
                return Err(self.unsupported(format!("subgraph attribute `{}` (control flow) is not supported", a.name)));
            }
        }
        Ok(())
    }
}

pub fn is_default_domain(d: &str) -> bool {
    d.is_empty() || d == "ai.onnx"
}
