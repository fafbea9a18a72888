//! Inference and evaluation of the index op family (see ops/mod.rs for the contract): gathers,
//! scatters, one-hot, non-zero, compress, unique and reverse-sequence. Indices may be negative
//! (counted from the end); out-of-range indices are invalid-input errors.

mod gather;
mod scatter;
mod select;
mod unique;

use crate::{Op, OpResult, Tensor, TensorType};

pub fn infer(op: &Op, inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    match op {
        Op::Gather { axis } => gather::infer_gather(*axis, inputs),
        Op::GatherElements { axis } => gather::infer_gather_elements(*axis, inputs),
        Op::GatherNd { batch_dims } => gather::infer_gather_nd(*batch_dims, inputs),
        Op::ScatterElements { axis, .. } => scatter::infer_scatter_elements(*axis, inputs),
        Op::ScatterNd { .. } => scatter::infer_scatter_nd(inputs),
        Op::OneHot { axis } => select::infer_one_hot(*axis, inputs, consts),
        Op::NonZero => select::infer_non_zero(inputs, consts),
        Op::Compress { axis } => select::infer_compress(*axis, inputs, consts),
        Op::Unique { axis, .. } => unique::infer_unique(*axis, inputs),
        Op::ReverseSequence { batch_axis, time_axis } => {
            select::infer_reverse_sequence(*batch_axis, *time_axis, inputs)
        }
        _ => crate::invalid!("{} is not an index op", op.name()),
    }
}

pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    match op {
        Op::Gather { axis } => gather::eval_gather(*axis, inputs),
        Op::GatherElements { axis } => gather::eval_gather_elements(*axis, inputs),
        Op::GatherNd { batch_dims } => gather::eval_gather_nd(*batch_dims, inputs),
        Op::ScatterElements { axis, reduction } => scatter::eval_scatter_elements(*axis, *reduction, inputs),
        Op::ScatterNd { reduction } => scatter::eval_scatter_nd(*reduction, inputs),
        Op::OneHot { axis } => select::eval_one_hot(*axis, inputs),
        Op::NonZero => select::eval_non_zero(inputs),
        Op::Compress { axis } => select::eval_compress(*axis, inputs),
        Op::Unique { axis, sorted } => unique::eval_unique(*axis, *sorted, inputs),
        Op::ReverseSequence { batch_axis, time_axis } => select::eval_reverse_sequence(*batch_axis, *time_axis, inputs),
        _ => crate::invalid!("{} is not an index op", op.name()),
    }
}
