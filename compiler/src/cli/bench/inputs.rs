//! Inputs for `edgec bench`: seeded random tensors of each graph input's dtype and shape, or the
//! `input_N.pb` files of an ONNX test-data folder (with its `output_N.pb` references, if any).

use crate::onnx::read_tensor_file;
use ir::{DType, Graph, Tensor, ValueId};
use std::path::Path;

/// A tensor of random values: floats uniform in [-1, 1), integers in [0, 8), bools 0/1
/// (small integers keep index-like inputs in range for most models).
pub fn random_tensor(dt: DType, shape: &[usize], rng: &mut fastrand::Rng) -> Result<Tensor, String> {
    let t = Tensor::zeros(dt, shape)?;
    let rng = std::cell::RefCell::new(rng);
    Ok(if dt.is_float() {
        t.map_f64(|_| rng.borrow_mut().f64() * 2.0 - 1.0)
    } else if dt == DType::Bool {
        t.map_f64(|_| rng.borrow_mut().u8(0..2) as f64)
    } else {
        t.map_f64(|_| rng.borrow_mut().u8(0..8) as f64)
    })
}

/// One random tensor per graph input (in graph-input order), from `seed`.
pub fn random_inputs(g: &Graph, seed: u64) -> Result<Vec<Tensor>, String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    g.inputs()
        .iter()
        .map(|&id| {
            let node = g.node(id);
            let ty = g.value_type(ValueId::new(id, 0));
            let shape = ty.static_shape().ok_or_else(|| {
                format!(
                    "input `{}` has dynamic shape {}; fix it with --input-shape {}=DIMS or use --test-data",
                    node.name,
                    ir::shape::fmt_dims(&ty.dims),
                    node.name
                )
            })?;
            random_tensor(ty.dtype, &shape, &mut rng)
        })
        .collect()
}

/// `input_0.pb`, `input_1.pb`… (or `output_N.pb`) of an ONNX test-data folder.
fn read_numbered(dir: &Path, prefix: &str) -> Result<Vec<(String, Tensor)>, String> {
    let mut out = Vec::new();
    for i in 0.. {
        let p = dir.join(format!("{prefix}_{i}.pb"));
        if !p.is_file() {
            break;
        }
        out.push(read_tensor_file(&p).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// Test data bound to the model's input names: (inputs by name, reference outputs).
pub struct TestData {
    pub inputs: Vec<(String, Tensor)>,
    pub outputs: Vec<(String, Tensor)>,
}

/// Read a test-data folder; files naming no model input bind by position.
pub fn read_test_data(dir: &Path, model_inputs: &[String]) -> Result<TestData, String> {
    if !dir.is_dir() {
        return Err(format!("--test-data {}: not a folder", dir.display()));
    }
    let ins = read_numbered(dir, "input")?;
    if ins.is_empty() {
        return Err(format!("--test-data {}: no input_0.pb", dir.display()));
    }
    let inputs = ins
        .into_iter()
        .enumerate()
        .map(|(i, (n, t))| {
            if model_inputs.contains(&n) {
                Ok((n, t))
            } else {
                model_inputs
                    .get(i)
                    .map(|m| (m.clone(), t))
                    .ok_or_else(|| format!("input_{i}.pb: the model has only {} inputs", model_inputs.len()))
            }
        })
        .collect::<Result<Vec<_>, String>>()?;
    for m in model_inputs {
        if !inputs.iter().any(|(n, _)| n == m) {
            return Err(format!("--test-data {}: no tensor for model input `{m}`", dir.display()));
        }
    }
    Ok(TestData { inputs, outputs: read_numbered(dir, "output")? })
}

/// The given tensors in graph-input order.
pub fn in_graph_order(g: &Graph, given: &[(String, Tensor)]) -> Result<Vec<Tensor>, String> {
    g.inputs()
        .iter()
        .map(|&id| {
            let n = &g.node(id).name;
            given
                .iter()
                .find(|(m, _)| m == n)
                .map(|(_, t)| t.clone())
                .ok_or_else(|| format!("no value for input `{n}`"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ir::TensorType;

    #[test]
    fn random_inputs_are_seeded_and_typed() {
        let mut g = Graph::new("g");
        g.add_input("x", TensorType::fixed(DType::F32, &[2, 3]));
        g.add_input("i", TensorType::fixed(DType::I64, &[4]));
        let a = random_inputs(&g, 7).unwrap();
        let b = random_inputs(&g, 7).unwrap();
        let c = random_inputs(&g, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a[0].dtype(), DType::F32);
        assert_eq!(a[1].shape(), &[4]);
        assert!(a[0].to_f64_vec().iter().all(|v| (-1.0..1.0).contains(v)));
        assert!(a[1].to_i64_vec().iter().all(|v| (0..8).contains(v)));
    }
}
