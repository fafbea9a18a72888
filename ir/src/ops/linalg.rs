//! Inference and evaluation of the linalg op family (see ops/mod.rs for the contract):
//! MatMul (numpy semantics with transposes), MatMulInteger, Einsum and Det.

pub mod einsum;
pub mod gemm;

use crate::ops::util::{opt, req};
use crate::{broadcast_dims, broadcast_shapes, invalid, DType, Dim, Op, OpResult, Tensor, TensorType};
use gemm::{Gemm, GemmElem, Layout};
use half::{bf16, f16};
use ndarray::{ArrayD, IxDyn};

pub fn infer(op: &Op, inputs: &[Option<&TensorType>], _consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    match op {
        Op::MatMul { trans_a, trans_b } => {
            let a = req(inputs, 0, "A")?;
            let b = req(inputs, 1, "B")?;
            if a.dtype != b.dtype {
                invalid!("MatMul operands have different dtypes {} and {}", a.dtype, b.dtype);
            }
            check_matmul_dtype(a.dtype)?;
            Ok(vec![TensorType::new(a.dtype, matmul_dims(&a.dims, &b.dims, *trans_a, *trans_b)?)])
        }
        Op::MatMulInteger => {
            let a = req(inputs, 0, "A")?;
            let b = req(inputs, 1, "B")?;
            for (t, what) in [(a, "A"), (b, "B")] {
                if !matches!(t.dtype, DType::I8 | DType::U8) {
                    invalid!("MatMulInteger input {what} must be i8 or u8, got {}", t.dtype);
                }
            }
            for (i, x) in [(2, a), (3, b)] {
                if let Some(zp) = opt(inputs, i) {
                    if zp.dtype != x.dtype {
                        invalid!("MatMulInteger zero point {i} has dtype {}, its operand {}", zp.dtype, x.dtype);
                    }
                }
            }
            Ok(vec![TensorType::new(DType::I32, matmul_dims(&a.dims, &b.dims, false, false)?)])
        }
        Op::Einsum { equation } => einsum::infer(equation, inputs),
        Op::Det => {
            let x = req(inputs, 0, "X")?;
            if !x.dtype.is_float() || !x.dtype.is_supported() {
                invalid!("Det needs a float tensor, got {}", x.dtype);
            }
            let r = x.rank();
            if r < 2 {
                invalid!("Det needs a tensor of rank >= 2, got {x}");
            }
            if let (Dim::Static(p), Dim::Static(q)) = (&x.dims[r - 2], &x.dims[r - 1]) {
                if p != q {
                    invalid!("Det needs square matrices, got {x}");
                }
            }
            Ok(vec![TensorType::new(x.dtype, x.dims[..r - 2].to_vec())])
        }
        _ => invalid!("{} is not a linalg op", op.name()),
    }
}

pub fn eval(op: &Op, inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    match op {
        Op::MatMul { trans_a, trans_b } => {
            let a = req(inputs, 0, "A")?;
            let b = req(inputs, 1, "B")?;
            Ok(vec![matmul(a, b, *trans_a, *trans_b)?])
        }
        Op::MatMulInteger => Ok(vec![matmul_integer(inputs)?]),
        Op::Einsum { equation } => {
            let xs: Vec<&Tensor> =
                inputs.iter().enumerate().map(|(i, _)| req(inputs, i, "operand")).collect::<OpResult<_>>()?;
            Ok(vec![einsum::eval(equation, &xs)?])
        }
        Op::Det => Ok(vec![det(req(inputs, 0, "X")?)?]),
        _ => invalid!("{} is not a linalg op", op.name()),
    }
}

fn check_matmul_dtype(d: DType) -> OpResult<()> {
    if d == DType::Bool || !d.is_supported() {
        invalid!("MatMul does not take {d} operands");
    }
    Ok(())
}

/// Output dims of a numpy matmul of `a` and `b` (transposes applied to 2-D+ operands).
pub fn matmul_dims(a: &[Dim], b: &[Dim], trans_a: bool, trans_b: bool) -> OpResult<Vec<Dim>> {
    // A gives (batch, rows kept in the output, inner dim); a 1-D A is one row that is dropped.
    let (batch_a, m, ka) = match a.len() {
        0 => invalid!("MatMul operands must have rank >= 1, got a scalar"),
        1 => (&a[..0], None, &a[0]),
        r if trans_a => (&a[..r - 2], Some(a[r - 1].clone()), &a[r - 2]),
        r => (&a[..r - 2], Some(a[r - 2].clone()), &a[r - 1]),
    };
    // B gives (batch, inner dim, columns kept); a 1-D B is one column that is dropped.
    let (batch_b, kb, n) = match b.len() {
        0 => invalid!("MatMul operands must have rank >= 1, got a scalar"),
        1 => (&b[..0], &b[0], None),
        r if trans_b => (&b[..r - 2], &b[r - 1], Some(b[r - 2].clone())),
        r => (&b[..r - 2], &b[r - 2], Some(b[r - 1].clone())),
    };
    if let (Dim::Static(p), Dim::Static(q)) = (ka, kb) {
        if p != q {
            invalid!(
                "MatMul inner dimensions differ: {p} vs {q} (shapes {} and {}, trans_a={trans_a}, trans_b={trans_b})",
                crate::shape::fmt_dims(a),
                crate::shape::fmt_dims(b)
            );
        }
    }
    let mut out = broadcast_dims(batch_a, batch_b)?;
    out.extend(m);
    out.extend(n);
    Ok(out)
}

/// Geometry of a static matmul: batch broadcasting and matrix layouts in standard-layout data.
#[derive(Debug)]
struct Plan {
    out_shape: Vec<usize>,
    batch: Vec<usize>,
    m: usize,
    k: usize,
    n: usize,
    a_batch_strides: Vec<usize>,
    b_batch_strides: Vec<usize>,
    a: Layout,
    b: Layout,
    /// A is not broadcast over the batch and not transposed: batch and rows fold into one product.
    a_foldable: bool,
}

/// Per output batch dim, the element stride of an operand's batch dims (0 where broadcast).
fn batch_strides(own: &[usize], out: &[usize], mat_size: usize) -> Vec<usize> {
    let mut strides = vec![0; out.len()];
    let mut s = mat_size;
    for (i, &d) in own.iter().enumerate().rev() {
        let oi = out.len() - (own.len() - i);
        strides[oi] = if d == 1 { 0 } else { s };
        s = s.saturating_mul(d);
    }
    strides
}

fn plan(a: &[usize], b: &[usize], trans_a: bool, trans_b: bool) -> OpResult<Plan> {
    let (batch_a, m, ka, a_lay, a_mat) = match a.len() {
        0 => invalid!("MatMul operands must have rank >= 1, got a scalar"),
        1 => (&a[..0], 1, a[0], Layout::new(0, a[0], 1), a[0]),
        r => {
            let (p, q) = (a[r - 2], a[r - 1]);
            let l = if trans_a { Layout::new(0, 1, q) } else { Layout::new(0, q, 1) };
            let (m, k) = if trans_a { (q, p) } else { (p, q) };
            (&a[..r - 2], m, k, l, p.saturating_mul(q))
        }
    };
    let (batch_b, kb, n, b_lay, b_mat) = match b.len() {
        0 => invalid!("MatMul operands must have rank >= 1, got a scalar"),
        1 => (&b[..0], b[0], 1, Layout::new(0, 1, 1), b[0]),
        r => {
            let (p, q) = (b[r - 2], b[r - 1]);
            let l = if trans_b { Layout::new(0, 1, q) } else { Layout::new(0, q, 1) };
            let (k, n) = if trans_b { (q, p) } else { (p, q) };
            (&b[..r - 2], k, n, l, p.saturating_mul(q))
        }
    };
    if ka != kb {
        invalid!("MatMul inner dimensions differ: {ka} vs {kb} (shapes {a:?} and {b:?}, trans_a={trans_a}, trans_b={trans_b})");
    }
    let batch = broadcast_shapes(batch_a, batch_b)?;
    let mut out_shape = batch.clone();
    if a.len() >= 2 {
        out_shape.push(m);
    }
    if b.len() >= 2 {
        out_shape.push(n);
    }
    let a_batch_strides = batch_strides(batch_a, &batch, a_mat);
    let b_batch_strides = batch_strides(batch_b, &batch, b_mat);
    let a_foldable = !trans_a && a.len() >= 2 && batch_a == batch.as_slice() && b_batch_strides.iter().all(|&s| s == 0);
    Ok(Plan { out_shape, batch, m, k: ka, n, a_batch_strides, b_batch_strides, a: a_lay, b: b_lay, a_foldable })
}

/// Numpy matmul of two arrays of one element type.
pub fn matmul_arrays<T: GemmElem>(a: &ArrayD<T>, b: &ArrayD<T>, trans_a: bool, trans_b: bool) -> OpResult<ArrayD<T>> {
    let p = plan(a.shape(), b.shape(), trans_a, trans_b)?;
    let total = p.out_shape.iter().try_fold(1usize, |x, &d| x.checked_mul(d));
    let Some(total) = total else { invalid!("MatMul output shape {:?} overflows", p.out_shape) };
    let a = a.as_standard_layout();
    let b = b.as_standard_layout();
    let (Some(asl), Some(bsl)) = (a.as_slice(), b.as_slice()) else {
        invalid!("internal: non-contiguous matmul operand");
    };
    let mut out = vec![T::default(); total];
    let nb: usize = p.batch.iter().product();
    if p.a_foldable && nb > 1 {
        let g = Gemm { m: p.m * nb, k: p.k, n: p.n, a: p.a, b: p.b, c: Layout::new(0, p.n, 1), accumulate: false };
        gemm::gemm(&g, asl, bsl, &mut out)?;
    } else {
        let mut idx = vec![0usize; p.batch.len()];
        for bi in 0..nb {
            let aoff: usize = idx.iter().zip(&p.a_batch_strides).map(|(i, s)| i * s).sum();
            let boff: usize = idx.iter().zip(&p.b_batch_strides).map(|(i, s)| i * s).sum();
            let g = Gemm {
                m: p.m,
                k: p.k,
                n: p.n,
                a: Layout { off: aoff, ..p.a },
                b: Layout { off: boff, ..p.b },
                c: Layout::new(bi * p.m * p.n, p.n, 1),
                accumulate: false,
            };
            gemm::gemm(&g, asl, bsl, &mut out)?;
            for d in (0..idx.len()).rev() {
                idx[d] += 1;
                if idx[d] < p.batch[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
    }
    ArrayD::from_shape_vec(IxDyn(&p.out_shape), out).map_err(|e| format!("internal: {e}").into())
}

/// MatMul of two tensors of one dtype; f16/bf16 are computed in f32.
pub fn matmul(a: &Tensor, b: &Tensor, trans_a: bool, trans_b: bool) -> OpResult<Tensor> {
    macro_rules! same {
        ($($v:ident),*) => {
            match (a, b) {
                $((Tensor::$v(x), Tensor::$v(y)) => return Ok(Tensor::$v(matmul_arrays(x, y, trans_a, trans_b)?)),)*
                _ => {}
            }
        };
    }
    same!(F32, F64, I8, I16, I32, I64, U8, U16, U32, U64);
    match (a, b) {
        (Tensor::F16(x), Tensor::F16(y)) => {
            let r = matmul_arrays(&x.mapv(f16::to_f32), &y.mapv(f16::to_f32), trans_a, trans_b)?;
            Ok(Tensor::F16(r.mapv(f16::from_f32)))
        }
        (Tensor::BF16(x), Tensor::BF16(y)) => {
            let r = matmul_arrays(&x.mapv(bf16::to_f32), &y.mapv(bf16::to_f32), trans_a, trans_b)?;
            Ok(Tensor::BF16(r.mapv(bf16::from_f32)))
        }
        _ => invalid!("MatMul operands must have one numeric dtype, got {} and {}", a.dtype(), b.dtype()),
    }
}

/// An i8/u8 tensor widened to i32.
fn widen(t: &Tensor, what: &str) -> OpResult<ArrayD<i32>> {
    match t {
        Tensor::I8(a) => Ok(a.mapv(i32::from)),
        Tensor::U8(a) => Ok(a.mapv(i32::from)),
        _ => invalid!("{what} must be i8 or u8, got {}", t.dtype()),
    }
}

/// `x - zp` where zp is a scalar, or per-row (A, `per_row`) / per-column (B) as MatMulInteger allows.
fn subtract_zero_point(x: ArrayD<i32>, zp: Option<&Tensor>, per_row: bool, what: &str) -> OpResult<ArrayD<i32>> {
    let Some(zp) = zp else { return Ok(x) };
    if zp.dtype() != DType::I8 && zp.dtype() != DType::U8 {
        invalid!("{what} zero point must be i8 or u8, got {}", zp.dtype());
    }
    let z = widen(zp, what)?;
    let r = x.ndim();
    let z = if z.len() == 1 {
        ArrayD::from_elem(IxDyn(&[]), z.iter().next().copied().unwrap_or(0))
    } else if z.ndim() == 1 && per_row && r >= 2 {
        // A [.., M, K] with an M-vector: one zero point per row.
        let m = x.shape()[r - 2];
        if z.len() != m {
            invalid!("{what} zero point has {} elements, expected 1 or {m} (one per row)", z.len());
        }
        z.into_shape_with_order(IxDyn(&[m, 1])).map_err(|e| format!("internal: {e}"))?
    } else {
        z
    };
    // The zero point must broadcast into x's shape without growing it.
    match broadcast_shapes(x.shape(), z.shape()) {
        Ok(s) if s == x.shape() => {}
        _ => invalid!("{what} zero point of shape {:?} does not fit its operand of shape {:?}", z.shape(), x.shape()),
    }
    let Some(zb) = z.broadcast(x.raw_dim()) else {
        invalid!("{what} zero point of shape {:?} does not fit its operand of shape {:?}", z.shape(), x.shape());
    };
    Ok(&x - &zb)
}

fn matmul_integer(inputs: &[Option<&Tensor>]) -> OpResult<Tensor> {
    let a = widen(req(inputs, 0, "A")?, "A")?;
    let b = widen(req(inputs, 1, "B")?, "B")?;
    for (i, x) in [(2, 0), (3, 1)] {
        if let (Some(z), Some(t)) = (opt(inputs, i), opt(inputs, x)) {
            if z.dtype() != t.dtype() {
                invalid!("MatMulInteger zero point {i} has dtype {}, its operand {}", z.dtype(), t.dtype());
            }
        }
    }
    let a = subtract_zero_point(a, opt(inputs, 2), true, "A")?;
    let b = subtract_zero_point(b, opt(inputs, 3), false, "B")?;
    Ok(Tensor::I32(matmul_arrays(&a, &b, false, false)?))
}

/// Determinant of one n×n row-major matrix by LU decomposition with partial pivoting.
pub fn det_lu(mut m: Vec<f64>, n: usize) -> f64 {
    let mut det = 1.0;
    for col in 0..n {
        let mut piv = col;
        for r in col + 1..n {
            if m[r * n + col].abs() > m[piv * n + col].abs() {
                piv = r;
            }
        }
        let p = m[piv * n + col];
        if p == 0.0 {
            return 0.0;
        }
        if piv != col {
            for j in 0..n {
                m.swap(col * n + j, piv * n + j);
            }
            det = -det;
        }
        det *= p;
        for r in col + 1..n {
            let f = m[r * n + col] / p;
            if f != 0.0 {
                for j in col + 1..n {
                    m[r * n + j] -= f * m[col * n + j];
                }
            }
        }
    }
    det
}

fn det(x: &Tensor) -> OpResult<Tensor> {
    let s = x.shape();
    let r = s.len();
    if r < 2 || s[r - 1] != s[r - 2] {
        invalid!("Det needs a tensor of square matrices (rank >= 2), got shape {s:?}");
    }
    if !x.dtype().is_float() {
        invalid!("Det needs a float tensor, got {}", x.dtype());
    }
    let n = s[r - 1];
    let vals = x.to_f64_vec();
    let dets: Vec<f64> = if n == 0 {
        vec![1.0; s[..r - 2].iter().product()]
    } else {
        vals.chunks(n * n).map(|c| det_lu(c.to_vec(), n)).collect()
    };
    let shape = &s[..r - 2];
    Ok(match x.dtype() {
        DType::F64 => Tensor::from_vec(shape, dets)?,
        DType::F32 => Tensor::from_vec(shape, dets.iter().map(|&v| v as f32).collect())?,
        DType::F16 => Tensor::from_vec(shape, dets.iter().map(|&v| f16::from_f64(v)).collect())?,
        DType::BF16 => Tensor::from_vec(shape, dets.iter().map(|&v| bf16::from_f64(v)).collect())?,
        d => invalid!("Det needs a float tensor, got {d}"),
    })
}

#[cfg(test)]
mod tests;
