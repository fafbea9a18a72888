//! Constant operands in the layout the kernels want, decided before memory planning: a
//! MatMul whose B is a constant read transposed (ONNX Gemm with transB, PyTorch Linear) gets
//! the transposed constant instead, so the tiled kernel streams contiguous rows of B and never
//! packs at run time. The graph's meaning is unchanged (the interpreter agrees on both forms).

use ir::{Graph, Op, Tensor};
use std::sync::Arc;

/// Swap the last two axes of a constant (rank ≥ 2).
fn transpose_last2(t: &Tensor) -> Tensor {
    let r = t.shape().len();
    ir::map_tensor!(t, a => {
        let mut v = a.view();
        v.swap_axes(r - 2, r - 1);
        v.as_standard_layout().into_owned()
    })
}

/// Rewrite constant transposed B operands; returns how many MatMuls changed.
pub fn pretranspose_constant_weights(g: &mut Graph) -> usize {
    let mut n = 0;
    for id in g.node_ids() {
        let trans_b = match &g.node(id).op {
            Op::MatMul { trans_b: true, .. } | Op::MatMulFused { trans_b: true, .. } => true,
            _ => false,
        };
        if !trans_b {
            continue;
        }
        let Some(b) = g.node_inputs(id).get(1).copied().flatten() else { continue };
        let Some(t) = g.const_value(b).cloned() else { continue };
        if t.shape().len() < 2 {
            continue;
        }
        let name = g.fresh_name(&format!("{}_t", g.node(b.node).name));
        let nb = g.add_const(name, Arc::new(transpose_last2(&t)));
        g.set_input(id, 1, Some(nb));
        match &mut g.node_mut(id).op {
            Op::MatMul { trans_b, .. } | Op::MatMulFused { trans_b, .. } => *trans_b = false,
            _ => {}
        }
        n += 1;
    }
    if n > 0 {
        g.dce();
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use ir::{DType, TensorType, ValueId};

    #[test]
    fn transposed_constant_b_is_stored_transposed_with_the_same_meaning() {
        let mut g = Graph::new("t");
        let a = g.add_input("a", TensorType::fixed(DType::F32, &[2, 3]));
        let b = g.add_const("b", Tensor::from_vec(&[4, 3], (0..12).map(|x| x as f32).collect::<Vec<_>>()).unwrap());
        let y = g
            .add_node("y", Op::MatMul { trans_a: false, trans_b: true }, &[Some(a), Some(b)], vec![TensorType::fixed(DType::F32, &[2, 4])])
            .unwrap();
        g.add_output("y", ValueId::new(y, 0)).unwrap();
        let x = Tensor::from_vec(&[2, 3], vec![1.0f32, -2.0, 0.5, 3.0, 0.0, -1.0]).unwrap();
        let before = ir::interp::run(&g, &[("a".into(), x.clone())]).unwrap();
        assert_eq!(pretranspose_constant_weights(&mut g), 1);
        assert_eq!(g.node(y).op, Op::MatMul { trans_a: false, trans_b: false });
        let after = ir::interp::run(&g, &[("a".into(), x)]).unwrap();
        assert_eq!(before, after);
    }
}
