//! How much work one kernel does, from its node's static shapes: floating-point operations for
//! the compute-bound ops (MatMul, Conv) and bytes moved (inputs + outputs) for every kernel.
//! Recorded in the manifest so `edgec bench` can report GFLOP/s or GB/s per kernel.

use ir::{Graph, NodeId, Op, ValueId};

/// Work of one kernel. `flops` is 0 for ops that are not counted as compute (their rate is
/// reported as bandwidth: `bytes` per second).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    pub flops: u64,
    pub bytes: u64,
}

fn shape(g: &Graph, v: ValueId) -> Option<Vec<usize>> {
    g.value_type(v).static_shape()
}

fn product(dims: &[usize]) -> u64 {
    dims.iter().map(|&d| d as u64).product()
}

/// Bytes read and written: every present input (constants included) plus every output.
fn bytes_moved(g: &Graph, id: NodeId) -> u64 {
    let node = g.node(id);
    let mut total = 0u64;
    let values =
        g.node_inputs(id).into_iter().flatten().chain((0..node.outputs.len()).map(|p| ValueId::new(id, p as u32)));
    for v in values {
        let t = g.value_type(v);
        if let Some(s) = t.static_shape() {
            total += t.dtype.bytes_for(s.iter().product()) as u64;
        }
    }
    total
}

/// MatMul: 2·M·N·K per matrix, times the (broadcast) batch of the output.
fn matmul_flops(g: &Graph, id: NodeId, trans_a: bool) -> Option<u64> {
    let a = shape(g, g.node_inputs(id).first().copied().flatten()?)?;
    let y = shape(g, ValueId::new(id, 0))?;
    // K is A's contracted dim (last, or second to last when A is transposed); a 1-D A is [K].
    let k = match a.len() {
        0 => return None,
        1 => a[0],
        r if trans_a => a[r - 2],
        r => a[r - 1],
    };
    Some(2 * product(&y) * k as u64)
}

/// Conv: 2·N·Cout·(output spatial)·(Cin/group)·(kernel spatial) = 2·|Y|·|W|/Cout.
fn conv_flops(g: &Graph, id: NodeId) -> Option<u64> {
    let w = shape(g, g.node_inputs(id).get(1).copied().flatten()?)?;
    let y = shape(g, ValueId::new(id, 0))?;
    let cout = *w.first()? as u64;
    if cout == 0 {
        return Some(0);
    }
    Some(2 * product(&y) * (product(&w) / cout))
}

/// The work of node `id`'s kernel (zero when shapes are not static).
pub fn work(g: &Graph, id: NodeId) -> Work {
    let flops = match &g.node(id).op {
        Op::MatMul { trans_a, .. } => matmul_flops(g, id, *trans_a),
        Op::Conv(_) => conv_flops(g, id),
        _ => None,
    };
    Work { flops: flops.unwrap_or(0), bytes: bytes_moved(g, id) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ir::{AutoPad, ConvAttrs, DType, Tensor, TensorType};

    #[test]
    fn matmul_counts_batch_and_k() {
        let mut g = Graph::new("m");
        let a = g.add_input("a", TensorType::fixed(DType::F32, &[3, 4, 5]));
        let b = g.add_input("b", TensorType::fixed(DType::F32, &[5, 6]));
        let y = g
            .add_node(
                "mm",
                Op::MatMul { trans_a: false, trans_b: false },
                &[Some(a), Some(b)],
                vec![TensorType::fixed(DType::F32, &[3, 4, 6])],
            )
            .unwrap();
        let w = work(&g, y);
        assert_eq!(w.flops, 2 * 3 * 4 * 6 * 5);
        assert_eq!(w.bytes, 4 * (60 + 30 + 72));
    }

    #[test]
    fn conv_counts_grouped_kernel() {
        let mut g = Graph::new("c");
        let x = g.add_input("x", TensorType::fixed(DType::F32, &[1, 8, 10, 10]));
        let wt = g.add_const("w", Tensor::zeros(DType::F32, &[16, 4, 3, 3]).unwrap());
        let attrs = ConvAttrs {
            kernel_shape: vec![3, 3],
            strides: vec![1, 1],
            dilations: vec![1, 1],
            pads: vec![1, 1, 1, 1],
            auto_pad: AutoPad::NotSet,
            group: 2,
        };
        let y = g
            .add_node(
                "conv",
                Op::Conv(attrs),
                &[Some(x), Some(wt), None],
                vec![TensorType::fixed(DType::F32, &[1, 16, 10, 10])],
            )
            .unwrap();
        // 2 · N·Cout·H·W · Cin/g·kH·kW
        assert_eq!(work(&g, y).flops, 2 * 16 * 100 * 4 * 9);
    }

    #[test]
    fn elementwise_counts_bytes_only() {
        let mut g = Graph::new("e");
        let x = g.add_input("x", TensorType::fixed(DType::F32, &[2, 3]));
        let y = g
            .add_node("r", Op::Unary(ir::UnaryOp::Relu), &[Some(x)], vec![TensorType::fixed(DType::F32, &[2, 3])])
            .unwrap();
        assert_eq!(work(&g, y), Work { flops: 0, bytes: 48 });
    }
}
