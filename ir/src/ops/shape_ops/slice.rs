//! Slice: starts/ends/axes/steps operands with ONNX clamping, negative steps and INT_MAX ends.

use super::common::{axes_unique, const_ints};
use crate::ops::util::{ints, opt, req, unknown};
use crate::{invalid, map_tensor, Dim, OpResult, Tensor, TensorType};
use ndarray::{Axis, Slice};

/// Ends at or beyond this (or starts at or below its negation) mean "to the edge" for any
/// realistic dimension; used to keep symbolic dims through full-range slices.
const BIG: i64 = i32::MAX as i64;

/// One axis of a slice, resolved against a concrete dim: first index, step and length.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Range1 {
    start: i64,
    step: i64,
    len: usize,
}

fn resolve(dim: usize, start: i64, end: i64, step: i64) -> Range1 {
    let (start, len) = resolve_axis(dim, start, end, step);
    Range1 { start, step, len }
}

/// One Slice axis against a concrete dim, by ONNX's clamping rules: the first index and the
/// number of elements selected. Shared with code generation, which must select the same ones.
pub fn resolve_axis(dim: usize, start: i64, end: i64, step: i64) -> (i64, usize) {
    let d = dim as i128;
    let (mut s, mut e, st) = (start as i128, end as i128, step as i128);
    if s < 0 {
        s += d;
    }
    if e < 0 {
        e += d;
    }
    let len = if d == 0 {
        s = 0;
        0
    } else if st > 0 {
        s = s.clamp(0, d);
        e = e.clamp(0, d);
        if e > s {
            (e - s + st - 1) / st
        } else {
            0
        }
    } else {
        s = s.clamp(0, (d - 1).max(0));
        e = e.clamp(-1, d - 1);
        if s > e {
            (s - e + (-st) - 1) / (-st)
        } else {
            0
        }
    };
    (s as i64, len as usize)
}

/// The ndarray slice selecting `r` (ndarray walks negative steps from the end of the range).
fn to_slice(r: Range1) -> Slice {
    if r.len == 0 {
        return Slice::new(0, Some(0), 1);
    }
    let last = r.start + (r.len as i64 - 1) * r.step;
    if r.step > 0 {
        Slice::new(r.start as isize, Some(last as isize + 1), r.step as isize)
    } else {
        Slice::new(last as isize, Some(r.start as isize + 1), r.step as isize)
    }
}

/// Validated operands: per sliced axis (axis, start, end, step).
fn operands(
    rank: usize,
    starts: &[i64],
    ends: &[i64],
    axes: Option<&[i64]>,
    steps: Option<&[i64]>,
) -> OpResult<Vec<(usize, i64, i64, i64)>> {
    let k = starts.len();
    if ends.len() != k {
        invalid!("slice: starts {starts:?} and ends {ends:?} differ in length");
    }
    let axes = match axes {
        Some(a) if a.len() != k => invalid!("slice: axes {a:?} and starts {starts:?} differ in length"),
        Some(a) => axes_unique(a, rank, "slice")?,
        None if k > rank => invalid!("slice: {k} starts for a rank-{rank} input"),
        None => (0..k).collect(),
    };
    let steps = match steps {
        Some(s) if s.len() != k => invalid!("slice: steps {s:?} and starts {starts:?} differ in length"),
        Some(s) if s.contains(&0) => invalid!("slice: steps {s:?} contain 0"),
        Some(s) => s.to_vec(),
        None => vec![1; k],
    };
    Ok((0..k).map(|i| (axes[i], starts[i], ends[i], steps[i])).collect())
}

fn slice_dim(d: &Dim, start: i64, end: i64, step: i64) -> Dim {
    match d {
        Dim::Static(n) => Dim::Static(resolve(*n, start, end, step).len),
        _ => {
            let whole_fwd = step == 1 && (start == 0 || start <= -BIG) && end >= BIG;
            let whole_rev = step == -1 && (start == -1 || start >= BIG) && end <= -BIG;
            if whole_fwd || whole_rev {
                d.clone()
            } else {
                unknown()
            }
        }
    }
}

/// A 1-D integer operand's length, if known.
fn operand_len(t: Option<&TensorType>, what: &str) -> OpResult<Option<usize>> {
    match t {
        None => Ok(None),
        Some(t) if !t.dtype.is_int() || t.rank() != 1 => {
            invalid!("slice: {what} must be a 1-D integer tensor, got {t}")
        }
        Some(t) => Ok(t.dims[0].as_static()),
    }
}

pub(super) fn infer_slice(inputs: &[Option<&TensorType>], consts: &[Option<&Tensor>]) -> OpResult<Vec<TensorType>> {
    let x = req(inputs, 0, "data")?;
    let n_starts = operand_len(Some(req(inputs, 1, "starts")?), "starts")?;
    operand_len(Some(req(inputs, 2, "ends")?), "ends")?;
    operand_len(opt(inputs, 3), "axes")?;
    operand_len(opt(inputs, 4), "steps")?;
    let starts = const_ints(consts, 1, "slice starts")?;
    let ends = const_ints(consts, 2, "slice ends")?;
    let axes = const_ints(consts, 3, "slice axes")?;
    let steps = const_ints(consts, 4, "slice steps")?;
    let axes_known = opt(inputs, 3).is_none() || axes.is_some();
    let steps_known = opt(inputs, 4).is_none() || steps.is_some();
    let mut dims = x.dims.clone();
    if let (Some(s), Some(e), true, true) = (&starts, &ends, axes_known, steps_known) {
        for (a, s, e, st) in operands(x.rank(), s, e, axes.as_deref(), steps.as_deref())? {
            dims[a] = slice_dim(&x.dims[a], s, e, st);
        }
    } else if axes_known {
        // Which axes are sliced is known, not by how much.
        let sliced: Vec<usize> = match &axes {
            Some(a) => axes_unique(a, x.rank(), "slice")?,
            None => match n_starts.or(starts.as_ref().map(Vec::len)) {
                Some(k) if k <= x.rank() => (0..k).collect(),
                Some(k) => invalid!("slice: {k} starts for a rank-{} input", x.rank()),
                None => (0..x.rank()).collect(),
            },
        };
        for a in sliced {
            dims[a] = unknown();
        }
    } else {
        dims = vec![unknown(); x.rank()];
    }
    Ok(vec![TensorType::new(x.dtype, dims)])
}

pub(super) fn eval_slice(inputs: &[Option<&Tensor>]) -> OpResult<Vec<Tensor>> {
    let x = req(inputs, 0, "data")?;
    let starts = ints(req(inputs, 1, "starts")?, "slice starts")?;
    let ends = ints(req(inputs, 2, "ends")?, "slice ends")?;
    let axes = opt(inputs, 3).map(|t| ints(t, "slice axes")).transpose()?;
    let steps = opt(inputs, 4).map(|t| ints(t, "slice steps")).transpose()?;
    let shape = x.shape().to_vec();
    let ops = operands(shape.len(), &starts, &ends, axes.as_deref(), steps.as_deref())?;
    let y = map_tensor!(x, a => {
        let mut v = a.view();
        for &(ax, s, e, st) in &ops {
            v.slice_axis_inplace(Axis(ax), to_slice(resolve(shape[ax], s, e, st)));
        }
        super::common::std_owned(v)
    });
    Ok(vec![y])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    fn i64s(v: &[i64]) -> Tensor {
        Tensor::from_vec(&[v.len()], v.to_vec()).unwrap()
    }
    fn iota(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_vec(shape, (0..n as i64).collect::<Vec<_>>()).unwrap()
    }
    fn run(x: &Tensor, s: &[i64], e: &[i64], a: Option<&[i64]>, st: Option<&[i64]>) -> OpResult<Tensor> {
        let (s, e) = (i64s(s), i64s(e));
        let a = a.map(i64s);
        let st = st.map(i64s);
        let y = eval_slice(&[Some(x), Some(&s), Some(&e), a.as_ref(), st.as_ref()])?;
        // Inference with every operand constant must give exactly the evaluated shape.
        let tys: Vec<Option<TensorType>> = [Some(x), Some(&s), Some(&e), a.as_ref(), st.as_ref()]
            .iter()
            .map(|t| t.map(Tensor::ty))
            .collect();
        let refs: Vec<Option<&TensorType>> = tys.iter().map(Option::as_ref).collect();
        let consts = [None, Some(&s), Some(&e), a.as_ref(), st.as_ref()];
        let t = infer_slice(&refs, &consts)?;
        assert_eq!(t[0], y[0].ty());
        Ok(y.into_iter().next().unwrap())
    }
    fn vals(t: &Tensor) -> Vec<i64> {
        t.to_i64_vec()
    }

    #[test]
    fn clamping_rules() {
        let x = iota(&[10]);
        assert_eq!(vals(&run(&x, &[2], &[5], None, None).unwrap()), vec![2, 3, 4]);
        assert_eq!(vals(&run(&x, &[-3], &[i64::MAX], None, None).unwrap()), vec![7, 8, 9]);
        assert_eq!(vals(&run(&x, &[-100], &[2], None, None).unwrap()), vec![0, 1]);
        assert_eq!(vals(&run(&x, &[20], &[30], None, None).unwrap()), Vec::<i64>::new());
        assert_eq!(vals(&run(&x, &[1], &[8], None, Some(&[3])).unwrap()), vec![1, 4, 7]);
        // Negative steps: numpy x[8:2:-2], x[::-1], x[-1:-11:-3] (INT_MIN end).
        assert_eq!(vals(&run(&x, &[8], &[2], None, Some(&[-2])).unwrap()), vec![8, 6, 4]);
        assert_eq!(
            vals(&run(&x, &[-1], &[i64::MIN], None, Some(&[-1])).unwrap()),
            (0..10).rev().collect::<Vec<_>>()
        );
        assert_eq!(
            vals(&run(&x, &[i64::MAX], &[i64::MIN], None, Some(&[-3])).unwrap()),
            vec![9, 6, 3, 0]
        );
        assert_eq!(
            vals(&run(&x, &[2], &[8], None, Some(&[-1])).unwrap()),
            Vec::<i64>::new()
        );
        assert_eq!(
            vals(&run(&x, &[100], &[-100], None, Some(&[-4])).unwrap()),
            vec![9, 5, 1]
        );
        assert!(run(&x, &[0], &[1], None, Some(&[0])).is_err());
        assert!(run(&x, &[0, 0], &[1], None, None).is_err());
        assert!(run(&x, &[0], &[1], Some(&[1]), None).is_err());
    }

    #[test]
    fn multi_axis() {
        // x = arange(24).reshape(2,3,4); x[:, ::-1, 1:3] (generated with numpy).
        let x = iota(&[2, 3, 4]);
        let y = run(&x, &[-1, 1], &[i64::MIN, 3], Some(&[1, -1]), Some(&[-1, 1])).unwrap();
        assert_eq!(y.shape(), &[2, 3, 2]);
        assert_eq!(vals(&y), vec![9, 10, 5, 6, 1, 2, 21, 22, 17, 18, 13, 14]);
        assert!(run(&x, &[0, 0], &[1, 1], Some(&[1, -2]), None).is_err());
    }

    #[test]
    fn symbolic_inference() {
        let n = Dim::Sym("N".into());
        let x = TensorType::new(DType::F32, vec![n.clone(), Dim::Static(8)]);
        let ity = TensorType::fixed(DType::I64, &[2]);
        let s = i64s(&[0, 2]);
        let e = i64s(&[i64::MAX, -1]);
        let t = infer_slice(&[Some(&x), Some(&ity), Some(&ity)], &[None, Some(&s), Some(&e)]).unwrap();
        assert_eq!(t[0].dims, vec![n.clone(), Dim::Static(5)]);
        let s1 = TensorType::fixed(DType::I64, &[1]);
        let t = infer_slice(&[Some(&x), Some(&s1), Some(&s1)], &[None, None, None]).unwrap();
        assert_eq!(t[0].dims, vec![unknown(), Dim::Static(8)]);
        let e = i64s(&[3, 4]);
        let t = infer_slice(&[Some(&x), Some(&ity), Some(&ity)], &[None, Some(&s), Some(&e)]).unwrap();
        assert_eq!(t[0].dims, vec![unknown(), Dim::Static(2)]);
    }
}
