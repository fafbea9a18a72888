//! Example specs of rule files: how the soundness test instantiates a rule's variables.
//!
//! ```text
//! example ?x: f32[a,b]; ?c: const f32[b] positive; ?s: f32[] = 0.5; ?r: i64[2] = [a*b, 1]
//! example ?p: perm 3; ?q: perm [0,2,1]; ?m: causal-mask f32[1,1,s,s]; ?n: absent
//! example (relu (matmul ?a ?b)) where ?a: f32[m,k]; ?b: const f32[k,n]
//! ```
//! Dims are products of integers and letters; each letter is drawn at random (1 to 4) per
//! test case, the same everywhere in one example. A tensor is a graph input unless it is
//! `const` or given values (`= v` fills, `= [..]` lists values, which may be dim products).
//! `positive` draws values in [0.5, 2.5), `wide` in [-8, 8), instead of [-2, 2).

use crate::egraph::lang::TNode;
use egg::PatternAst;
use ir::DType;

/// A product of integers and dim letters.
#[derive(Clone, Debug, PartialEq)]
pub struct DimExpr(pub Vec<Factor>);

#[derive(Clone, Debug, PartialEq)]
pub enum Factor {
    Int(usize),
    Letter(String),
}

/// The range random float values are drawn from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Range {
    /// [-2, 2)
    Normal,
    /// [0.5, 2.5)
    Positive,
    /// [-8, 8)
    Wide,
}

/// Explicit values of a constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    Fill(f64),
    List(Vec<ValueExpr>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueExpr {
    Num(f64),
    Dims(DimExpr),
}

#[derive(Clone, Debug, PartialEq)]
pub enum VarSpec {
    Tensor { konst: bool, dtype: DType, dims: Vec<DimExpr>, values: Option<Values>, range: Range },
    /// A constant i64 permutation: given, or random of this rank.
    Perm { given: Option<Vec<usize>>, rank: usize },
    /// A constant additive causal mask (0 allowed, f32::MIN masked; bottom-right aligned).
    CausalMask { dtype: DType, dims: Vec<DimExpr> },
    Absent,
}

#[derive(Clone, Debug)]
pub struct Example {
    /// The term to instantiate (default: the rule's lhs).
    pub term: Option<PatternAst<TNode>>,
    pub vars: Vec<(String, VarSpec)>,
}

impl Example {
    /// The dim letters used, sorted (the order the test draws them in).
    pub fn letters(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        let mut add = |d: &DimExpr| {
            for f in &d.0 {
                if let Factor::Letter(l) = f {
                    v.push(l.clone());
                }
            }
        };
        for (_, s) in &self.vars {
            match s {
                VarSpec::Tensor { dims, values, .. } => {
                    dims.iter().for_each(&mut add);
                    if let Some(Values::List(l)) = values {
                        for e in l {
                            if let ValueExpr::Dims(d) = e {
                                add(d);
                            }
                        }
                    }
                }
                VarSpec::CausalMask { dims, .. } => dims.iter().for_each(&mut add),
                _ => {}
            }
        }
        v.sort();
        v.dedup();
        v
    }
}

fn dtype(s: &str) -> Result<DType, String> {
    Ok(match s {
        "f32" => DType::F32,
        "f64" => DType::F64,
        "f16" => DType::F16,
        "i64" => DType::I64,
        "i32" => DType::I32,
        "bool" => DType::Bool,
        _ => return Err(format!("unknown dtype `{s}` (f32, f64, f16, i64, i32, bool)")),
    })
}

fn dim_expr(s: &str) -> Result<DimExpr, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty dim".into());
    }
    s.split('*')
        .map(|f| {
            let f = f.trim();
            if let Ok(n) = f.parse::<usize>() {
                Ok(Factor::Int(n))
            } else if !f.is_empty() && f.chars().all(|c| c.is_ascii_lowercase()) {
                Ok(Factor::Letter(f.to_string()))
            } else {
                Err(format!("bad dim `{f}` (an integer or lower-case letters)"))
            }
        })
        .collect::<Result<_, _>>()
        .map(DimExpr)
}

/// `f32[a,b*2]` → (dtype, dims).
fn typed(s: &str) -> Result<(DType, Vec<DimExpr>), String> {
    let (dt, rest) = s.split_once('[').ok_or_else(|| format!("expected `dtype[dims]`, got `{s}`"))?;
    let inner = rest.strip_suffix(']').ok_or_else(|| format!("missing `]` in `{s}`"))?;
    let dims = if inner.trim().is_empty() { vec![] } else { inner.split(',').map(dim_expr).collect::<Result<_, _>>()? };
    Ok((dtype(dt.trim())?, dims))
}

fn values(s: &str) -> Result<Values, String> {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let items = inner
            .split(',')
            .map(|x| {
                let x = x.trim();
                match x.parse::<f64>() {
                    Ok(v) => Ok(ValueExpr::Num(v)),
                    Err(_) => dim_expr(x).map(ValueExpr::Dims),
                }
            })
            .collect::<Result<_, _>>()?;
        return Ok(Values::List(items));
    }
    s.parse::<f64>().map(Values::Fill).map_err(|_| format!("bad value `{s}`"))
}

fn spec(s: &str) -> Result<VarSpec, String> {
    let s = s.trim();
    if s == "absent" {
        return Ok(VarSpec::Absent);
    }
    if let Some(rest) = s.strip_prefix("perm") {
        let rest = rest.trim();
        if rest.starts_with('[') {
            let Values::List(l) = values(rest)? else { return Err("perm [..] needs a list".into()) };
            let given: Vec<usize> = l
                .iter()
                .map(|v| match v {
                    ValueExpr::Num(x) if *x >= 0.0 => Ok(*x as usize),
                    _ => Err(format!("bad permutation `{rest}`")),
                })
                .collect::<Result<_, _>>()?;
            return Ok(VarSpec::Perm { rank: given.len(), given: Some(given) });
        }
        let rank = rest.parse().map_err(|_| format!("expected `perm <rank>` or `perm [..]`, got `{s}`"))?;
        return Ok(VarSpec::Perm { given: None, rank });
    }
    if let Some(rest) = s.strip_prefix("causal-mask") {
        let (dtype, dims) = typed(rest.trim())?;
        return Ok(VarSpec::CausalMask { dtype, dims });
    }
    let (konst, rest) = match s.strip_prefix("const ") {
        Some(r) => (true, r.trim()),
        None => (false, s),
    };
    let (rest, range) = if let Some(r) = rest.strip_suffix("positive") {
        (r.trim(), Range::Positive)
    } else if let Some(r) = rest.strip_suffix("wide") {
        (r.trim(), Range::Wide)
    } else {
        (rest, Range::Normal)
    };
    let (ty, vals) = match rest.split_once('=') {
        Some((t, v)) => (t.trim(), Some(values(v)?)),
        None => (rest, None),
    };
    let (dtype, dims) = typed(ty)?;
    Ok(VarSpec::Tensor { konst: konst || vals.is_some(), dtype, dims, values: vals, range })
}

/// Parse the specs part of an `example` clause: `?x: spec; ?y: spec`.
pub fn parse_specs(s: &str) -> Result<Vec<(String, VarSpec)>, String> {
    s.split(';')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (v, sp) = p.split_once(':').ok_or_else(|| format!("expected `?var: spec`, got `{}`", p.trim()))?;
            let v = v.trim();
            if !v.starts_with('?') {
                return Err(format!("`{v}` is not a ?variable"));
            }
            Ok((v.to_string(), spec(sp).map_err(|e| format!("{v}: {e}"))?))
        })
        .collect()
}
