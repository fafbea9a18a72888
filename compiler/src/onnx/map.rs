//! Mapping one ONNX node onto IR nodes: the per-node context (`Cx`) shared by the op-family
//! files, and the dispatch by domain and op type.

use super::builder::Builder;
use super::node::OnnxNode;
use super::{map_elementwise, map_loss, map_misc, map_nn, map_reduce, map_rnn, map_shape, ImportError};
use ir::{DType, Op, Tensor, TensorType, ValueId};
use std::sync::Arc;

/// Result of mapping one node: one IR value per ONNX output, in order.
pub type Outs = Result<Vec<ValueId>, ImportError>;

/// The context of one node's mapping.
pub struct Cx<'a, 'm> {
    pub b: &'a mut Builder<'m>,
    pub n: &'a OnnxNode<'a>,
    ins: Vec<Option<ValueId>>,
    /// IR name reserved for the node that takes the ONNX node's place.
    base: String,
    main_used: bool,
}

impl<'a, 'm> Cx<'a, 'm> {
    pub fn new(b: &'a mut Builder<'m>, n: &'a OnnxNode<'a>, ins: Vec<Option<ValueId>>, base: String) -> Self {
        Cx { b, n, ins, base, main_used: false }
    }

    pub fn opset(&self) -> i64 {
        self.n.opset
    }

    pub fn num_inputs(&self) -> usize {
        self.ins.len()
    }

    /// All input slots (None for omitted optional inputs).
    pub fn inputs(&self) -> Vec<Option<ValueId>> {
        self.ins.clone()
    }

    /// Input `i` if given.
    pub fn input(&self, i: usize) -> Option<ValueId> {
        self.ins.get(i).copied().flatten()
    }

    /// Input `i`, which the op requires.
    pub fn req(&self, i: usize, what: &str) -> Result<ValueId, ImportError> {
        self.input(i).ok_or_else(|| self.n.invalid(format!("missing required input {i} ({what})")))
    }

    /// Inputs 0..k as they are, padded with None to `k` slots; extra inputs are an error.
    pub fn inputs_upto(&self, k: usize) -> Result<Vec<Option<ValueId>>, ImportError> {
        if self.ins.len() > k && self.ins[k..].iter().any(|v| v.is_some()) {
            return Err(self.n.invalid(format!("has {} inputs, the op takes at most {k}", self.ins.len())));
        }
        Ok((0..k).map(|i| self.input(i)).collect())
    }

    /// Add the node that stands for the ONNX node (it gets the node's name).
    pub fn main(&mut self, op: Op, ins: &[Option<ValueId>], nout: usize) -> Result<Vec<ValueId>, ImportError> {
        let name = if self.main_used { self.b.unique_name(&self.base) } else { self.base.clone() };
        self.main_used = true;
        self.b.emit(name, op, ins, nout)
    }

    pub fn main1(&mut self, op: Op, ins: &[Option<ValueId>]) -> Result<ValueId, ImportError> {
        Ok(self.main(op, ins, 1)?[0])
    }

    /// The main node with as many outputs as the model uses (at least one).
    pub fn main_used(&mut self, op: Op, ins: &[Option<ValueId>]) -> Result<Vec<ValueId>, ImportError> {
        let k = self.n.used_outputs().max(1);
        self.main(op, ins, k)
    }

    /// Add a helper node (named after the ONNX node and the op).
    pub fn aux(&mut self, op: Op, ins: &[Option<ValueId>], nout: usize) -> Result<Vec<ValueId>, ImportError> {
        let name = self.b.unique_name(&format!("{}/{}", self.base, op.name()));
        self.b.emit(name, op, ins, nout)
    }

    pub fn aux1(&mut self, op: Op, ins: &[Option<ValueId>]) -> Result<ValueId, ImportError> {
        Ok(self.aux(op, ins, 1)?[0])
    }

    /// A constant that stands for the ONNX node (it gets the node's name).
    pub fn main_const(&mut self, t: Tensor) -> ValueId {
        let name = if self.main_used { self.b.unique_name(&self.base) } else { self.base.clone() };
        self.main_used = true;
        self.b.g.add_const(name, Arc::new(t))
    }

    pub fn konst(&mut self, what: &str, t: Tensor) -> ValueId {
        let name = format!("{}/{what}", self.base);
        self.b.add_const(&name, Arc::new(t))
    }

    /// A 1-D i64 constant.
    pub fn i64s(&mut self, what: &str, v: &[i64]) -> ValueId {
        let t = Tensor::from_vec(&[v.len()], v.to_vec()).unwrap_or_else(|_| Tensor::scalar(0i64));
        self.konst(what, t)
    }

    /// A scalar constant of `dtype` holding `v` (converted as by a cast).
    pub fn scalar(&mut self, what: &str, v: f64, dtype: DType) -> Result<ValueId, ImportError> {
        let t = Tensor::full(dtype, &[], v).map_err(|e| self.n.unsupported(format!("{what}: {e}")))?;
        Ok(self.konst(what, t))
    }

    pub fn ty(&mut self, v: ValueId) -> Result<TensorType, ImportError> {
        self.b.ty(v)
    }

    /// The type of `v` if known (no error when it is not).
    pub fn known_ty(&self, v: ValueId) -> Option<TensorType> {
        if self.b.is_untyped(v) {
            None
        } else {
            Some(self.b.g.value_type(v).clone())
        }
    }

    pub fn dtype(&mut self, v: ValueId) -> Result<DType, ImportError> {
        Ok(self.b.ty(v)?.dtype)
    }

    pub fn rank(&mut self, v: ValueId) -> Result<usize, ImportError> {
        Ok(self.b.ty(v)?.rank())
    }

    /// The value of `v` when it is a constant.
    pub fn const_of(&self, v: ValueId) -> Option<Arc<Tensor>> {
        self.b.const_value(v)
    }

    /// An attribute moved to an input in newer opsets: the input when given, else a constant
    /// made from the attribute (i64 list), else None.
    pub fn ints_input_or_attr(&mut self, input: usize, attr: &str) -> Result<Option<ValueId>, ImportError> {
        if let Some(v) = self.input(input) {
            return Ok(Some(v));
        }
        match self.n.ints(attr)? {
            Some(v) => {
                let v = v.to_vec();
                Ok(Some(self.i64s(attr, &v)))
            }
            None => Ok(None),
        }
    }
}

/// Map one node (any domain). Non-default domains and unknown ops are unsupported.
pub fn map_node(cx: &mut Cx) -> Outs {
    let n = cx.n;
    if !n.is_default_domain() {
        return Err(n.unsupported(format!(
            "operators of domain `{}` are not supported (only the default ONNX domain)",
            n.proto.domain
        )));
    }
    n.reject_subgraphs()?;
    let op = n.op_type().to_string();
    let op = op.as_str();
    let r = map_elementwise::map(cx, op)
        .or_else(|| map_shape::map(cx, op))
        .or_else(|| map_reduce::map(cx, op))
        .or_else(|| map_nn::map(cx, op))
        .or_else(|| map_rnn::map(cx, op))
        .or_else(|| super::map_attention::map(cx, op))
        .or_else(|| map_misc::map(cx, op))
        .or_else(|| map_loss::map(cx, op))
        .or_else(|| super::map_qlinear::map(cx, op))
        .or_else(|| super::map_function_ops::map(cx, op));
    match r {
        Some(r) => r,
        None => Err(n.unsupported(unsupported_reason(op))),
    }
}

fn unsupported_reason(op: &str) -> String {
    match op {
        "If" | "Loop" | "Scan" => "control flow is not supported".into(),
        "RotaryEmbedding" => "not supported by the importer yet".into(),
        s if s.starts_with("Sequence") || s == "SplitToSequence" || s == "ConcatFromSequence" => {
            "sequence values are not supported".into()
        }
        "Optional" | "OptionalGetElement" | "OptionalHasElement" => "optional values are not supported".into(),
        "StringConcat" | "StringNormalizer" | "StringSplit" | "RegexFullMatch" | "TfIdfVectorizer" => {
            "string values are not supported".into()
        }
        "RandomNormal" | "RandomNormalLike" | "RandomUniform" | "RandomUniformLike" | "Multinomial" | "Bernoulli" => {
            "random number generation is not supported".into()
        }
        _ => format!("operator `{op}` is not supported"),
    }
}
