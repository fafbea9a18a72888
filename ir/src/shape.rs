//! Tensor types: a dtype plus a ranked shape whose dims are static sizes or named symbols.

use crate::DType;
use std::fmt;

/// One dimension of a shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// A size known at compile time.
    Static(usize),
    /// A size known only at run time, named (ONNX `dim_param`, or a fresh `?N` from inference).
    Sym(String),
}

impl Dim {
    pub fn as_static(&self) -> Option<usize> {
        match self {
            Dim::Static(n) => Some(*n),
            Dim::Sym(_) => None,
        }
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Static(n) => write!(f, "{n}"),
            Dim::Sym(s) => write!(f, "{s}"),
        }
    }
}

impl From<usize> for Dim {
    fn from(n: usize) -> Dim {
        Dim::Static(n)
    }
}

/// Type of a value in the graph: element type and ranked shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TensorType {
    pub dtype: DType,
    pub dims: Vec<Dim>,
}

impl TensorType {
    pub fn new(dtype: DType, dims: Vec<Dim>) -> Self {
        TensorType { dtype, dims }
    }

    /// A type with all-static dims.
    pub fn fixed(dtype: DType, dims: &[usize]) -> Self {
        TensorType { dtype, dims: dims.iter().map(|&d| Dim::Static(d)).collect() }
    }

    pub fn scalar(dtype: DType) -> Self {
        TensorType { dtype, dims: vec![] }
    }

    pub fn rank(&self) -> usize {
        self.dims.len()
    }

    /// The static shape, if every dim is static.
    pub fn static_shape(&self) -> Option<Vec<usize>> {
        self.dims.iter().map(Dim::as_static).collect()
    }

    pub fn is_static(&self) -> bool {
        self.dims.iter().all(|d| matches!(d, Dim::Static(_)))
    }

    /// Number of elements, if static (None also on overflow).
    pub fn num_elements(&self) -> Option<usize> {
        self.dims.iter().try_fold(1usize, |acc, d| acc.checked_mul(d.as_static()?))
    }

    pub fn with_dtype(&self, dtype: DType) -> Self {
        TensorType { dtype, dims: self.dims.clone() }
    }
}

impl fmt::Display for TensorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[", self.dtype)?;
        for (i, d) in self.dims.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}

/// Multidirectional (numpy) broadcasting of two shapes.
///
/// Static dims broadcast as numpy does; a symbolic dim against 1 gives the symbol, two equal
/// symbols give that symbol, and a symbol against a static size > 1 gives the static size
/// (ONNX requires the symbol to equal it or be 1 at run time).
pub fn broadcast_dims(a: &[Dim], b: &[Dim]) -> Result<Vec<Dim>, String> {
    let rank = a.len().max(b.len());
    let mut out = Vec::with_capacity(rank);
    for i in 0..rank {
        let da = if i + a.len() >= rank { Some(&a[i + a.len() - rank]) } else { None };
        let db = if i + b.len() >= rank { Some(&b[i + b.len() - rank]) } else { None };
        let d = match (da, db) {
            (Some(x), None) | (None, Some(x)) => x.clone(),
            (Some(x), Some(y)) => match (x, y) {
                (Dim::Static(1), o) | (o, Dim::Static(1)) => o.clone(),
                (Dim::Static(p), Dim::Static(q)) if p == q => Dim::Static(*p),
                (Dim::Static(p), Dim::Static(q)) => {
                    return Err(format!("shapes {} and {} do not broadcast ({p} vs {q})", fmt_dims(a), fmt_dims(b)))
                }
                (Dim::Sym(s), Dim::Sym(t)) if s == t => Dim::Sym(s.clone()),
                (Dim::Static(p), Dim::Sym(_)) | (Dim::Sym(_), Dim::Static(p)) => Dim::Static(*p),
                (Dim::Sym(s), Dim::Sym(t)) => Dim::Sym(format!("max({s},{t})")),
            },
            (None, None) => unreachable!(),
        };
        out.push(d);
    }
    Ok(out)
}

/// Broadcast of static shapes.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let x = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let y = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        out[i] = if x == y || y == 1 {
            x
        } else if x == 1 {
            y
        } else {
            return Err(format!("shapes {a:?} and {b:?} do not broadcast ({x} vs {y})"));
        };
    }
    Ok(out)
}

pub fn fmt_dims(d: &[Dim]) -> String {
    let parts: Vec<String> = d.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(","))
}

/// Normalise a possibly negative axis against `rank` (ONNX convention: -1 is the last axis).
pub fn norm_axis(axis: i64, rank: usize) -> Result<usize, String> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        return Err(format!("axis {axis} out of range for rank {rank}"));
    }
    Ok(a as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn broadcasting() {
        assert_eq!(broadcast_shapes(&[2, 1, 3], &[4, 1]).unwrap(), vec![2, 4, 3]);
        assert!(broadcast_shapes(&[2, 3], &[4, 3]).is_err());
        let s = Dim::Sym("n".into());
        assert_eq!(broadcast_dims(&[s.clone(), 1.into()], &[5.into()]).unwrap(), vec![s, 5.into()]);
    }
    #[test]
    fn axes() {
        assert_eq!(norm_axis(-1, 3).unwrap(), 2);
        assert!(norm_axis(3, 3).is_err());
        assert!(norm_axis(-4, 3).is_err());
    }
}
