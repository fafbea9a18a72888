//! Inference and evaluation of the shape ops op family (see ops/mod.rs for the contract):
//! reshaping, concatenation/splitting, slicing, broadcasting, padding and tensor generators.
//! Inference uses constant operands to keep shapes static, and keeps symbolic dims where the
//! op passes them through.

pub(crate) mod common;
mod concat;
mod expand;
#[cfg(test)]
mod fuzz_tests;
mod generate;
mod pad;
mod reshape;
mod slice;
pub use slice::resolve_axis as resolve_slice_axis;

use crate::{Op, OpResult, Tensor, TensorType};

pub fn infer(op: &Op, inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    match op {
        Op::Reshape { allowzero } => reshape::infer_reshape(*allowzero, inputs, consts),
        Op::Transpose { perm } => reshape::infer_transpose(perm, inputs),
        Op::Squeeze => reshape::infer_squeeze(inputs, consts),
        Op::Unsqueeze => reshape::infer_unsqueeze(inputs, consts),
        Op::Flatten { axis } => reshape::infer_flatten(*axis, inputs),
        Op::DepthToSpace { blocksize, .. } => reshape::infer_space_depth(*blocksize, true, inputs),
        Op::SpaceToDepth { blocksize } => reshape::infer_space_depth(*blocksize, false, inputs),
        Op::Concat { axis } => concat::infer_concat(*axis, inputs),
        Op::Split { axis, num_outputs } => concat::infer_split(*axis, *num_outputs, inputs, consts),
        Op::Slice => slice::infer_slice(inputs, consts),
        Op::Expand => expand::infer_expand(inputs, consts),
        Op::Tile => expand::infer_tile(inputs, consts),
        Op::Pad { .. } => pad::infer_pad(inputs, consts),
        Op::Shape { start, end } => generate::infer_shape(*start, *end, inputs),
        Op::Size => generate::infer_size(inputs),
        Op::ConstantOfShape { value } => generate::infer_constant_of_shape(value, inputs, consts),
        Op::Range => generate::infer_range(inputs, consts),
        Op::EyeLike { dtype, .. } => generate::infer_eye_like(*dtype, inputs),
        Op::Trilu { .. } => generate::infer_trilu(inputs),
        _ => crate::invalid!("{} is not a shape op", op.name()),
    }
}

pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    match op {
        Op::Reshape { allowzero } => reshape::eval_reshape(*allowzero, inputs),
        Op::Transpose { perm } => reshape::eval_transpose(perm, inputs),
        Op::Squeeze => reshape::eval_squeeze(inputs),
        Op::Unsqueeze => reshape::eval_unsqueeze(inputs),
        Op::Flatten { axis } => reshape::eval_flatten(*axis, inputs),
        Op::DepthToSpace { blocksize, crd } => reshape::eval_space_depth(*blocksize, true, *crd, inputs),
        Op::SpaceToDepth { blocksize } => reshape::eval_space_depth(*blocksize, false, false, inputs),
        Op::Concat { axis } => concat::eval_concat(*axis, inputs),
        Op::Split { axis, num_outputs } => concat::eval_split(*axis, *num_outputs, inputs),
        Op::Slice => slice::eval_slice(inputs),
        Op::Expand => expand::eval_expand(inputs),
        Op::Tile => expand::eval_tile(inputs),
        Op::Pad { mode } => pad::eval_pad(*mode, inputs),
        Op::Shape { start, end } => generate::eval_shape(*start, *end, inputs),
        Op::Size => generate::eval_size(inputs),
        Op::ConstantOfShape { value } => generate::eval_constant_of_shape(value, inputs),
        Op::Range => generate::eval_range(inputs),
        Op::EyeLike { k, dtype } => generate::eval_eye_like(*k, *dtype, inputs),
        Op::Trilu { upper } => generate::eval_trilu(*upper, inputs),
        _ => crate::invalid!("{} is not a shape op", op.name()),
    }
}

#[cfg(test)]
mod tests {
    use crate::fold::infer_and_fold;
    use crate::{interp, DType, Dim, Graph, Op, Tensor, TensorType, ValueId};

    fn node(g: &mut Graph, name: &str, op: Op, ins: &[ValueId]) -> ValueId {
        let ins: Vec<Option<ValueId>> = ins.iter().copied().map(Some).collect();
        ValueId::new(g.add_node(name, op, &ins, vec![TensorType::scalar(DType::F32)]).unwrap(), 0)
    }

    /// The PyTorch export pattern Shape → Gather → Unsqueeze → Concat → Reshape folds to a
    /// static reshape when the input shape is static, and the interpreter agrees.
    #[test]
    fn shape_chain_folds_static() {
        let mut g = Graph::new("chain");
        let x = g.add_input("x", TensorType::fixed(DType::F32, &[2, 12, 64]));
        let s = node(&mut g, "shape", Op::Shape { start: 0, end: None }, &[x]);
        let zero = g.add_const("zero", Tensor::scalar(0i64));
        let b = node(&mut g, "gather", Op::Gather { axis: 0 }, &[s, zero]);
        let ax = g.add_const("ax", Tensor::from_vec(&[1], vec![0i64]).unwrap());
        let b1 = node(&mut g, "unsq", Op::Unsqueeze, &[b, ax]);
        let m1 = g.add_const("m1", Tensor::from_vec(&[1], vec![-1i64]).unwrap());
        let shp = node(&mut g, "cat", Op::Concat { axis: 0 }, &[b1, m1]);
        let y = node(&mut g, "reshape", Op::Reshape { allowzero: false }, &[x, shp]);
        g.add_output("y", y).unwrap();
        infer_and_fold(&mut g).unwrap();
        let r = g.find_node("reshape").unwrap();
        assert_eq!(g.node(r).outputs[0], TensorType::fixed(DType::F32, &[2, 768]));
        assert!(g.const_value(g.node_inputs(r)[1].unwrap()).is_some());
        let xv = Tensor::zeros(DType::F32, &[2, 12, 64]).unwrap();
        let out = interp::run(&g, &[("x".into(), xv)]).unwrap();
        assert_eq!(out[0].1.shape(), &[2, 768]);
    }

    /// Symbolic batch: a constant reshape target with 0 and -1 keeps the batch symbol.
    #[test]
    fn symbolic_batch_reshape_transpose() {
        let mut g = Graph::new("sym");
        let n = Dim::Sym("N".into());
        let x = g.add_input("x", TensorType::new(DType::F32, vec![n.clone(), Dim::Static(6), Dim::Static(4)]));
        let shp = g.add_const("shp", Tensor::from_vec(&[4], vec![0i64, -1, 2, 4]).unwrap());
        let y = node(&mut g, "reshape", Op::Reshape { allowzero: false }, &[x, shp]);
        let t = node(&mut g, "transpose", Op::Transpose { perm: vec![0, 2, 1, 3] }, &[y]);
        g.add_output("t", t).unwrap();
        infer_and_fold(&mut g).unwrap();
        let tn = g.find_node("transpose").unwrap();
        let want = vec![n, Dim::Static(2), Dim::Static(3), Dim::Static(4)];
        assert_eq!(g.node(tn).outputs[0].dims, want);
        let xv = Tensor::zeros(DType::F32, &[5, 6, 4]).unwrap();
        let out = interp::run(&g, &[("x".into(), xv)]).unwrap();
        assert_eq!(out[0].1.shape(), &[5, 2, 3, 4]);
    }
}
