//! `edgec bench --kernel OP --shape SPEC`: the one-node graph that benchmarks a single generated
//! kernel. Shape specs (all f32):
//! - `matmul`: `MxKxN` (A[M,K] · B[K,N] = Y[M,N]; B is a constant, like a layer's weights),
//!   or `B1x…xMxKxN` with leading batch dims on A (B is shared across the batch);
//! - `conv`: `NxCxHxW,COUTxKHxKW[,s=STRIDE][,p=PAD][,g=GROUP]` (2-D, NCHW, constant weights and
//!   bias, the same stride/pad on every side);
//! - elementwise (`add sub mul div max min` on two inputs of the same shape,
//!   `relu sigmoid tanh exp erf abs neg sqrt` on one): the tensor's dims, like `1x1024x1024`.

use super::inputs::random_tensor;
use ir::{AutoPad, BinaryOp, ConvAttrs, DType, Graph, Op, TensorType, UnaryOp, ValueId};

/// The ops `--kernel` accepts, for messages.
pub const KERNELS: &str = "matmul, conv, add, sub, mul, div, max, min, relu, sigmoid, tanh, exp, erf, abs, neg, sqrt";

fn binary(name: &str) -> Option<BinaryOp> {
    Some(match name {
        "add" => BinaryOp::Add,
        "sub" => BinaryOp::Sub,
        "mul" => BinaryOp::Mul,
        "div" => BinaryOp::Div,
        "max" => BinaryOp::Max,
        "min" => BinaryOp::Min,
        _ => return None,
    })
}

fn unary(name: &str) -> Option<UnaryOp> {
    Some(match name {
        "relu" => UnaryOp::Relu,
        "sigmoid" => UnaryOp::Sigmoid,
        "tanh" => UnaryOp::Tanh,
        "exp" => UnaryOp::Exp,
        "erf" => UnaryOp::Erf,
        "abs" => UnaryOp::Abs,
        "neg" => UnaryOp::Neg,
        "sqrt" => UnaryOp::Sqrt,
        _ => return None,
    })
}

/// `8x3x224` → [8, 3, 224]; every dim must be a positive integer.
fn dims(s: &str, what: &str) -> Result<Vec<usize>, String> {
    let d: Result<Vec<usize>, _> = s.split('x').map(|d| d.trim().parse::<usize>()).collect();
    match d {
        Ok(d) if !d.is_empty() && d.iter().all(|&x| x > 0) => Ok(d),
        _ => Err(format!("--shape `{s}`: {what} must be positive integers separated by `x`")),
    }
}

/// Output types of `op` on these inputs (the IR's own inference), or an error naming the spec.
fn infer(g: &Graph, op: &Op, ins: &[Option<ValueId>]) -> Result<Vec<TensorType>, String> {
    let types: Vec<Option<&TensorType>> = ins.iter().map(|v| v.map(|v| g.value_type(v))).collect();
    let consts: Vec<Option<&ir::Tensor>> = ins.iter().map(|v| v.and_then(|v| g.const_value(v)).map(|t| &**t)).collect();
    ir::ops::infer(op, &types, &consts).map_err(|e| format!("--shape: {}", e.at(op.name(), op.name())))
}

fn add(g: &mut Graph, name: &str, op: Op, ins: &[Option<ValueId>]) -> Result<(), String> {
    let outs = infer(g, &op, ins)?;
    let id = g.add_node(name, op, ins, outs).map_err(|e| e.to_string())?;
    g.add_output("y", ValueId::new(id, 0)).map_err(|e| e.to_string())?;
    ir::verify::verify(g).map_err(|e| e.to_string())
}

/// A C-identifier-friendly name for the benchmark: `matmul_256x1024x1024`.
pub fn bench_name(kernel: &str, shape: &str) -> String {
    codegen::c_identifier(&format!("{kernel}_{shape}"))
}

/// The one-node graph for `--kernel kernel --shape shape`; constants are seeded random data.
pub fn graph(kernel: &str, shape: &str, seed: u64) -> Result<Graph, String> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5EED_C0DE);
    let mut g = Graph::new(bench_name(kernel, shape));
    match kernel {
        "matmul" => {
            let d = dims(shape, "the dims (MxKxN, or batch dims then MxKxN)")?;
            if d.len() < 3 {
                return Err(format!("--shape `{shape}`: matmul needs MxKxN (A is MxK, B is KxN)"));
            }
            let (k, n) = (d[d.len() - 2], d[d.len() - 1]);
            let mut a_shape = d[..d.len() - 1].to_vec();
            let last = a_shape.len() - 1;
            a_shape[last] = k;
            let a = g.add_input("a", TensorType::fixed(DType::F32, &a_shape));
            let b = g.add_const("b", random_tensor(DType::F32, &[k, n], &mut rng)?);
            add(&mut g, "matmul", Op::MatMul { trans_a: false, trans_b: false }, &[Some(a), Some(b)])?;
        }
        "conv" => {
            let mut parts = shape.split(',');
            let x = dims(parts.next().unwrap_or(""), "the input dims (NxCxHxW)")?;
            let w = dims(parts.next().unwrap_or(""), "the weight dims (COUTxKHxKW)")?;
            let (mut stride, mut pad, mut group) = (1usize, 0usize, 1usize);
            for p in parts {
                let (key, v) =
                    p.split_once('=').ok_or_else(|| format!("--shape `{shape}`: `{p}` is not s=N, p=N or g=N"))?;
                let v: usize =
                    v.trim().parse().map_err(|_| format!("--shape `{shape}`: `{p}` needs a non-negative integer"))?;
                match key.trim() {
                    "s" => stride = v,
                    "p" => pad = v,
                    "g" => group = v,
                    other => return Err(format!("--shape `{shape}`: unknown conv key `{other}` (use s=, p=, g=)")),
                }
            }
            let ([n, c, h, wd], [cout, kh, kw]) = (x.as_slice(), w.as_slice()) else {
                return Err(format!("--shape `{shape}`: conv needs NxCxHxW,COUTxKHxKW[,s=S][,p=P][,g=G]"));
            };
            if stride == 0 || group == 0 || c % group != 0 || cout % group != 0 {
                return Err(format!(
                    "--shape `{shape}`: stride and group must be positive and the group ({group}) must divide C ({c}) and COUT ({cout})"
                ));
            }
            let xv = g.add_input("x", TensorType::fixed(DType::F32, &[*n, *c, *h, *wd]));
            let wv = g.add_const("w", random_tensor(DType::F32, &[*cout, c / group, *kh, *kw], &mut rng)?);
            let bv = g.add_const("bias", random_tensor(DType::F32, &[*cout], &mut rng)?);
            let attrs = ConvAttrs {
                kernel_shape: vec![*kh, *kw],
                strides: vec![stride, stride],
                dilations: vec![1, 1],
                pads: vec![pad; 4],
                auto_pad: AutoPad::NotSet,
                group,
            };
            add(&mut g, "conv", Op::Conv(attrs), &[Some(xv), Some(wv), Some(bv)])?;
        }
        k => {
            let d = dims(shape, "the tensor dims")?;
            if let Some(op) = binary(k) {
                let a = g.add_input("a", TensorType::fixed(DType::F32, &d));
                let b = g.add_input("b", TensorType::fixed(DType::F32, &d));
                add(&mut g, k, Op::Binary(op), &[Some(a), Some(b)])?;
            } else if let Some(op) = unary(k) {
                let x = g.add_input("x", TensorType::fixed(DType::F32, &d));
                add(&mut g, k, Op::Unary(op), &[Some(x)])?;
            } else {
                return Err(format!("--kernel `{k}`: unknown kernel (known: {KERNELS})"));
            }
        }
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out_shape(g: &Graph) -> Vec<usize> {
        g.value_type(g.outputs()[0].1).static_shape().unwrap()
    }

    #[test]
    fn matmul_shape_is_m_k_n() {
        let g = graph("matmul", "4x8x16", 0).unwrap();
        assert_eq!(g.value_type(ValueId::new(g.inputs()[0], 0)).static_shape().unwrap(), vec![4, 8]);
        assert_eq!(out_shape(&g), vec![4, 16]);
        let g = graph("matmul", "2x4x8x16", 0).unwrap();
        assert_eq!(out_shape(&g), vec![2, 4, 16]);
    }

    #[test]
    fn conv_shape_with_options() {
        let g = graph("conv", "1x8x10x10,16x3x3,s=2,p=1,g=2", 0).unwrap();
        assert_eq!(out_shape(&g), vec![1, 16, 5, 5]);
    }

    #[test]
    fn elementwise_and_errors() {
        assert_eq!(out_shape(&graph("add", "3x5", 0).unwrap()), vec![3, 5]);
        assert_eq!(out_shape(&graph("relu", "7", 0).unwrap()), vec![7]);
        assert!(graph("matmul", "4x8", 0).unwrap_err().contains("MxKxN"));
        assert!(graph("conv", "1x8x10x10,16x3x3,g=3", 0).unwrap_err().contains("group"));
        assert!(graph("softmaxx", "3", 0).unwrap_err().contains("unknown kernel"));
        assert!(graph("add", "3x0", 0).unwrap_err().contains("positive"));
    }
}
