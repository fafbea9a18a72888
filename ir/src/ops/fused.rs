//! Fused ops (`Fused`, `MatMulFused`, `ConvFused`): their meaning is the composition of the
//! ops they fuse, so inference and evaluation run the existing elementwise, MatMul and Conv
//! rules step by step. This keeps the interpreter the oracle for every fusion rule.

use super::{conv, elementwise, linalg};
use crate::{invalid, ConvAttrs, FusedArg, FusedExpr, FusedStep, Op, OpResult, Tensor, TensorType};

/// The op a step applies (Const operands become scalar inputs of the sibling's dtype).
fn step_op(s: &FusedStep) -> (Op, Vec<&FusedArg>) {
    match s {
        FusedStep::Unary(u, a) => (Op::Unary(u.clone()), vec![a]),
        FusedStep::Binary(b, x, y) => (Op::Binary(b.clone()), vec![x, y]),
        FusedStep::Where(c, x, y) => (Op::Where, vec![c, x, y]),
        FusedStep::Cast(to, a) => (Op::Cast { to: *to, saturate: true }, vec![a]),
    }
}

/// Check the expression is well formed for `n_inputs` inputs.
pub fn check(e: &FusedExpr, n_inputs: usize) -> OpResult<()> {
    for (i, s) in e.steps.iter().enumerate() {
        let (_, args) = step_op(s);
        if args.iter().all(|a| matches!(a, FusedArg::Const(_))) {
            invalid!("fused step {i} has only constant operands");
        }
        if matches!(s, FusedStep::Where(FusedArg::Const(_), _, _)) {
            invalid!("fused step {i}: a Where condition cannot be a constant");
        }
        for a in args {
            match a {
                FusedArg::In(j) if *j >= n_inputs => invalid!("fused step {i} reads input {j} of {n_inputs}"),
                FusedArg::Step(j) if *j >= i => invalid!("fused step {i} reads step {j}, which is not earlier"),
                _ => {}
            }
        }
    }
    if e.steps.is_empty() && n_inputs == 0 {
        invalid!("an empty fused expression needs an input");
    }
    Ok(())
}

/// Evaluate `e` on its inputs (generic over what a "value" is: types or tensors).
fn run<V: Clone>(
    e: &FusedExpr,
    inputs: &[V],
    konst: impl Fn(f32, &V) -> V,
    apply: impl Fn(&Op, &[&V]) -> OpResult<V>,
) -> OpResult<V> {
    check(e, inputs.len())?;
    let mut steps: Vec<V> = Vec::with_capacity(e.steps.len());
    for s in &e.steps {
        let (op, args) = step_op(s);
        // A constant takes the type of the first non-constant operand (Where: of x or y).
        let like = args
            .iter()
            .skip(if matches!(s, FusedStep::Where(..)) { 1 } else { 0 })
            .find_map(|a| match a {
                FusedArg::In(j) => Some(inputs[*j].clone()),
                FusedArg::Step(j) => Some(steps[*j].clone()),
                FusedArg::Const(_) => None,
            })
            .unwrap_or_else(|| inputs[0].clone());
        let vals: Vec<V> = args
            .iter()
            .map(|a| match a {
                FusedArg::In(j) => inputs[*j].clone(),
                FusedArg::Step(j) => steps[*j].clone(),
                FusedArg::Const(x) => konst(x.0, &like),
            })
            .collect();
        let refs: Vec<&V> = vals.iter().collect();
        steps.push(apply(&op, &refs)?);
    }
    Ok(steps.pop().unwrap_or_else(|| inputs[0].clone()))
}

/// Output type of an expression over inputs of these types.
pub fn infer_expr(e: &FusedExpr, inputs: &[TensorType]) -> OpResult<TensorType> {
    run(
        e,
        inputs,
        |_, like| TensorType::new(like.dtype, vec![]),
        |op, args| {
            let a: Vec<Option<&TensorType>> = args.iter().map(|t| Some(*t)).collect();
            let n = a.len();
            Ok(elementwise::infer(op, &a, &vec![None; n])?.remove(0))
        },
    )
}

/// Value of an expression over these tensors.
pub fn eval_expr(e: &FusedExpr, inputs: &[Tensor]) -> OpResult<Tensor> {
    run(
        e,
        inputs,
        |x, like| Tensor::full(like.dtype(), &[], x as f64).unwrap_or_else(|_| Tensor::scalar(x)),
        |op, args| {
            let a: Vec<Option<&Tensor>> = args.iter().map(|t| Some(*t)).collect();
            Ok(elementwise::eval(op, &a)?.remove(0))
        },
    )
}

fn all<'a, T>(inputs: &[Option<&'a T>], what: &str) -> OpResult<Vec<&'a T>> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, x)| x.ok_or_else(|| crate::OpError::Invalid(format!("{what}: input {i} is missing"))))
        .collect()
}

fn conv_op(attrs: &ConvAttrs) -> Op {
    Op::Conv(attrs.clone())
}

pub fn infer(op: &Op, inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    let ins = all(inputs, op.name())?;
    let (head, rest): (TensorType, &[&TensorType]) = match op {
        Op::Fused(e) => {
            let v: Vec<TensorType> = ins.iter().map(|t| (*t).clone()).collect();
            return Ok(vec![infer_expr(e, &v)?]);
        }
        Op::MatMulFused { trans_a, trans_b, .. } => {
            let mm = Op::MatMul { trans_a: *trans_a, trans_b: *trans_b };
            (linalg::infer(&mm, &inputs[..2], &consts[..2])?.remove(0), &ins[2..])
        }
        Op::ConvFused { attrs, .. } => (conv::infer(&conv_op(attrs), &inputs[..2], &consts[..2])?.remove(0), &ins[2..]),
        _ => invalid!("not a fused op: {}", op.name()),
    };
    let e = match op {
        Op::MatMulFused { epilogue, .. } | Op::ConvFused { epilogue, .. } => epilogue,
        _ => unreachable!(),
    };
    let mut v = vec![head.clone()];
    v.extend(rest.iter().map(|t| (*t).clone()));
    let out = infer_expr(e, &v)?;
    if out.dims != head.dims {
        invalid!("the epilogue changes the shape {} of the product to {}", head, out);
    }
    Ok(vec![out])
}

pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let ins = all(inputs, op.name())?;
    let (head, e) = match op {
        Op::Fused(e) => {
            let v: Vec<Tensor> = ins.iter().map(|t| (*t).clone()).collect();
            return Ok(vec![eval_expr(e, &v)?]);
        }
        Op::MatMulFused { trans_a, trans_b, epilogue } => {
            let mm = Op::MatMul { trans_a: *trans_a, trans_b: *trans_b };
            (linalg::eval(&mm, &inputs[..2])?.remove(0), epilogue)
        }
        Op::ConvFused { attrs, epilogue } => {
            let c = conv_op(attrs);
            (conv::eval(&c, &inputs[..2])?.remove(0), epilogue)
        }
        _ => invalid!("not a fused op: {}", op.name()),
    };
    let mut v = vec![head];
    v.extend(ins[2..].iter().map(|t| (*t).clone()));
    Ok(vec![eval_expr(e, &v)?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BinaryOp, DType, UnaryOp, F32};

    fn t(shape: &[usize], v: Vec<f32>) -> Tensor {
        Tensor::from_vec(shape, v).unwrap()
    }

    #[test]
    fn relu_of_sum_with_constant() {
        // s0 = in0 + in1 (broadcast), s1 = s0 * 2, s2 = relu(s1)
        let e = FusedExpr {
            steps: vec![
                FusedStep::Binary(BinaryOp::Add, FusedArg::In(0), FusedArg::In(1)),
                FusedStep::Binary(BinaryOp::Mul, FusedArg::Step(0), FusedArg::Const(F32(2.0))),
                FusedStep::Unary(UnaryOp::Relu, FusedArg::Step(1)),
            ],
        };
        let a = t(&[2, 2], vec![1.0, -3.0, 0.5, -0.25]);
        let b = t(&[2], vec![1.0, 2.0]);
        let y = eval(&Op::Fused(e.clone()), &[Some(&a), Some(&b)]).unwrap().remove(0);
        assert_eq!(y, t(&[2, 2], vec![4.0, 0.0, 3.0, 3.5]));
        let ty = infer(&Op::Fused(e), &[Some(&a.ty()), Some(&b.ty())], &[None, None]).unwrap();
        assert_eq!(ty[0], a.ty());
    }

    #[test]
    fn matmul_epilogue_is_matmul_then_expr() {
        let e = FusedExpr {
            steps: vec![
                FusedStep::Binary(BinaryOp::Add, FusedArg::In(0), FusedArg::In(1)),
                FusedStep::Cast(DType::F64, FusedArg::Step(0)),
            ],
        };
        let op = Op::MatMulFused { trans_a: false, trans_b: true, epilogue: e };
        let a = t(&[1, 2], vec![1.0, 2.0]);
        let b = t(&[3, 2], vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        let bias = t(&[3], vec![0.5, 0.5, -3.0]);
        let y = eval(&op, &[Some(&a), Some(&b), Some(&bias)]).unwrap().remove(0);
        assert_eq!(y.dtype(), DType::F64);
        assert_eq!(y.to_f64_vec(), vec![1.5, 2.5, 0.0]);
    }

    #[test]
    fn malformed_expressions_are_errors() {
        let bad = FusedExpr { steps: vec![FusedStep::Unary(UnaryOp::Relu, FusedArg::Step(0))] };
        let a = t(&[1], vec![1.0]);
        assert!(eval(&Op::Fused(bad), &[Some(&a)]).is_err());
        let bad = FusedExpr { steps: vec![FusedStep::Unary(UnaryOp::Relu, FusedArg::In(3))] };
        assert!(eval(&Op::Fused(bad), &[Some(&a)]).is_err());
        let shape_change = FusedExpr { steps: vec![FusedStep::Binary(BinaryOp::Add, FusedArg::In(0), FusedArg::In(1))] };
        let op = Op::MatMulFused { trans_a: false, trans_b: false, epilogue: shape_change };
        let (x, w, big) = (t(&[1, 1], vec![1.0]), t(&[1, 1], vec![1.0]), t(&[3, 1], vec![1.0; 3]));
        assert!(infer(&op, &[Some(&x.ty()), Some(&w.ty()), Some(&big.ty())], &[None, None, None]).is_err());
    }
}
