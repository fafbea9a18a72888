//! Inference and evaluation of the index op family (see ops/mod.rs for the contract).

use crate::{Op, OpResult, Tensor, TensorType};

pub fn infer(op: &Op, _inputs: &[Option<&TensorType>], _consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    crate::unsupported!("{} is not implemented yet", op.name())
}

pub fn eval(op: &Op, _inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    crate::unsupported!("{} is not implemented yet", op.name())
}
