//! The soundness checker behind the rule test: instantiate one example of a rule on given
//! dims and random values, let the rule rewrite it, then evaluate every e-node of the e-graph
//! with the reference interpreter and check it computes its class's value. A wrong rule puts
//! a node that computes something else into a class, so any wrong rewrite shows up, whatever
//! the rule (pattern or builtin). Tolerance: |a − b| ≤ 1e-4 + 1e-4·|b| (fusion reorders f32
//! arithmetic; some fused ops compute in f64).

use super::analysis::{decode_node, eval_meta, same_types, TensorAnalysis, EG};
use super::from_ir::add_const;
use super::lang::{EOp, TNode};
use super::rules::example::{DimExpr, Example, Factor, Range, ValueExpr, Values, VarSpec};
use super::rules::RuleDef;
use egg::{Id, Runner, Subst, Var};
use ir::{DType, Tensor, TensorType};
use std::collections::HashMap;
use std::sync::Arc;

/// A small deterministic generator (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn dim(d: &DimExpr, letters: &HashMap<String, usize>) -> Result<usize, String> {
    d.0.iter().try_fold(1usize, |acc, f| match f {
        Factor::Int(n) => Ok(acc * n),
        Factor::Letter(l) => letters.get(l).map(|v| acc * v).ok_or_else(|| format!("no value for dim `{l}`")),
    })
}

fn tensor(dtype: DType, shape: &[usize], v: Vec<f64>) -> Result<Tensor, String> {
    let t = Tensor::from_vec(shape, v)?;
    if dtype == DType::F64 {
        return Ok(t);
    }
    ir::ops::eval(&ir::Op::Cast { to: dtype, saturate: true }, &[Some(&t)])
        .map_err(|e| format!("{e:?}"))?
        .pop()
        .ok_or_else(|| "cast produced nothing".to_string())
}

/// The value of one example variable.
enum Bound {
    Input(Tensor),
    Const(Tensor),
    Absent,
}

fn bind(spec: &VarSpec, letters: &HashMap<String, usize>, rng: &mut Rng) -> Result<Bound, String> {
    Ok(match spec {
        VarSpec::Absent => Bound::Absent,
        VarSpec::Perm { given, rank } => {
            let p: Vec<i64> = match given {
                Some(g) => g.iter().map(|&x| x as i64).collect(),
                None => {
                    let mut p: Vec<i64> = (0..*rank as i64).collect();
                    for i in (1..p.len()).rev() {
                        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                        p.swap(i, j);
                    }
                    p
                }
            };
            Bound::Const(Tensor::from_vec(&[p.len()], p)?)
        }
        VarSpec::CausalMask { dtype, dims } => {
            let shape: Vec<usize> = dims.iter().map(|d| dim(d, letters)).collect::<Result<_, _>>()?;
            let [.., s, t] = shape[..] else { return Err("a causal mask needs rank ≥ 2".into()) };
            let n: usize = shape.iter().product();
            let v = (0..n)
                .map(|k| {
                    let (i, j) = ((k / t) % s, k % t);
                    if j + s <= i + t {
                        0.0
                    } else {
                        f32::MIN as f64
                    }
                })
                .collect();
            Bound::Const(tensor(*dtype, &shape, v)?)
        }
        VarSpec::Tensor { konst, dtype, dims, values, range } => {
            let shape: Vec<usize> = dims.iter().map(|d| dim(d, letters)).collect::<Result<_, _>>()?;
            let n: usize = shape.iter().product();
            let v: Vec<f64> = match values {
                Some(Values::Fill(x)) => vec![*x; n],
                Some(Values::List(l)) => {
                    let v: Vec<f64> = l
                        .iter()
                        .map(|e| match e {
                            ValueExpr::Num(x) => Ok(*x),
                            ValueExpr::Dims(d) => dim(d, letters).map(|x| x as f64),
                        })
                        .collect::<Result<_, _>>()?;
                    if v.len() != n {
                        return Err(format!("{} values for a tensor of {n} elements", v.len()));
                    }
                    v
                }
                None if dtype.is_float() => {
                    let (lo, hi) = match range {
                        Range::Normal => (-2.0, 2.0),
                        Range::Positive => (0.5, 2.5),
                        Range::Wide => (-8.0, 8.0),
                    };
                    (0..n).map(|_| rng.uniform(lo, hi)).collect()
                }
                None if *dtype == DType::Bool => (0..n).map(|_| (rng.next_u64() & 1) as f64).collect(),
                None => (0..n).map(|_| (rng.next_u64() % 7) as f64 - 3.0).collect(),
            };
            let t = tensor(*dtype, &shape, v)?;
            if *konst {
                Bound::Const(t)
            } else {
                Bound::Input(t)
            }
        }
    })
}

#[derive(Clone)]
enum ClassVal {
    Absent,
    Vals(Vec<Arc<Tensor>>),
}

/// Evaluate one e-node from its children's values; None when a child has no value yet.
fn eval_node(eg: &EG, n: &TNode, vals: &HashMap<Id, ClassVal>, inputs: &[Tensor]) -> Option<Result<ClassVal, String>> {
    let one = |t: Tensor| Some(Ok(ClassVal::Vals(vec![Arc::new(t)])));
    let single = |c: Id| match vals.get(&eg.find(c))? {
        ClassVal::Vals(v) if v.len() == 1 => Some(Some(v[0].clone())),
        ClassVal::Absent => Some(None),
        ClassVal::Vals(_) => Some(None),
    };
    match &n.op {
        EOp::Input(i) => one(inputs.get(*i as usize)?.clone()),
        EOp::Const(c) => Some(Ok(ClassVal::Vals(vec![eg.analysis.consts[*c as usize].clone()]))),
        EOp::Lit(b) => one(Tensor::scalar(f32::from_bits(*b))),
        EOp::Absent => Some(Ok(ClassVal::Absent)),
        EOp::Get(p) => match vals.get(&eg.find(n.args[0]))? {
            ClassVal::Vals(v) => Some(v.get(*p as usize).cloned().map(|t| ClassVal::Vals(vec![t])).ok_or("bad port".into())),
            ClassVal::Absent => Some(Err("get of an absent value".into())),
        },
        EOp::Meta(m) => {
            let mut args = Vec::new();
            for &a in &n.args {
                args.push(single(a)?.ok_or_else(|| "meta of a non-value".to_string()));
            }
            let args: Result<Vec<_>, String> = args.into_iter().collect();
            Some(args.and_then(|a| eval_meta(*m, &a).ok_or("meta function failed".into())).map(|t| ClassVal::Vals(vec![Arc::new(t)])))
        }
        EOp::Ir(o) => {
            let Some((op, slots)) = decode_node(eg, n) else {
                return Some(Err(format!("`{}` has a non-constant attribute", o.key())));
            };
            let mut args: Vec<Option<Arc<Tensor>>> = Vec::new();
            for s in &slots {
                args.push(match s {
                    None => None,
                    Some(s) => single(*s)?,
                });
            }
            let refs: Vec<Option<&Tensor>> = args.iter().map(|a| a.as_deref()).collect();
            Some(match ir::ops::eval(&op, &refs) {
                Ok(mut v) => {
                    v.truncate(o.outputs().max(1));
                    Ok(ClassVal::Vals(v.into_iter().map(Arc::new).collect()))
                }
                Err(e) => Err(format!("`{}` fails to evaluate: {e:?}", o.key())),
            })
        }
    }
}

/// Largest |a − b| beyond tolerance, as a message; None when close.
fn differs(a: &Tensor, b: &Tensor) -> Option<String> {
    if a.dtype() != b.dtype() || a.shape() != b.shape() {
        return Some(format!("{} vs {}", a.ty(), b.ty()));
    }
    let (x, y) = (a.to_f64_vec(), b.to_f64_vec());
    let float = a.dtype().is_float();
    for (i, (p, q)) in x.iter().zip(&y).enumerate() {
        let same = if float {
            (p.is_nan() && q.is_nan()) || p == q || (p - q).abs() <= 1e-4 + 1e-4 * q.abs()
        } else {
            p == q
        };
        if !same {
            return Some(format!("element {i}: {p} vs {q}"));
        }
    }
    None
}

/// Check one example of `rule` on these dims (one per letter, in `Example::letters` order)
/// and random values from `seed`. Returns how many times the rule applied.
pub fn check_example(rule: &RuleDef, ex: &Example, dims: &[usize], seed: u64) -> Result<usize, String> {
    let names = ex.letters();
    if names.len() != dims.len() {
        return Err(format!("{} dims for letters {names:?}", dims.len()));
    }
    let letters: HashMap<String, usize> = names.into_iter().zip(dims.iter().copied()).collect();
    let mut rng = Rng::new(seed);
    let mut bound = Vec::new();
    for (v, spec) in &ex.vars {
        bound.push((v.clone(), bind(spec, &letters, &mut rng).map_err(|e| format!("{v}: {e}"))?));
    }
    let input_types: Vec<TensorType> =
        bound.iter().filter_map(|(_, b)| if let Bound::Input(t) = b { Some(t.ty()) } else { None }).collect();
    let inputs: Vec<Tensor> = bound.iter().filter_map(|(_, b)| if let Bound::Input(t) = b { Some(t.clone()) } else { None }).collect();
    let mut eg = EG::new(TensorAnalysis::new(input_types));
    let mut subst = Subst::with_capacity(bound.len());
    let mut k = 0;
    for (v, b) in bound {
        let id = match b {
            Bound::Input(_) => {
                k += 1;
                eg.add(TNode::leaf(EOp::Input(k as u32 - 1)))
            }
            Bound::Const(t) => add_const(&mut eg, Arc::new(t)),
            Bound::Absent => eg.add(TNode::leaf(EOp::Absent)),
        };
        subst.insert(v.parse::<Var>().map_err(|e| format!("{e:?}"))?, id);
    }
    let term = ex.term.as_ref().unwrap_or(&rule.lhs.ast);
    let root = eg.add_instantiation(term, &subst);
    eg.rebuild();
    if eg[root].data.types.is_none() {
        return Err("the example term does not type-check".into());
    }
    let rw = rule.rewrite().map_err(|e| e.to_string())?;
    let runner: Runner<TNode, TensorAnalysis> = Runner::default().with_egraph(eg).with_iter_limit(3).with_node_limit(20_000).run([&rw]);
    let fired: usize = runner.iterations.iter().filter_map(|it| it.applied.get(&rw.name)).sum();
    let eg = runner.egraph;
    if fired == 0 {
        return Err(format!("the rule did not apply to its example ({} refused as ill-typed)", eg.analysis.rejected));
    }
    if eg.analysis.type_conflicts > 0 {
        return Err("classes with different types were merged".into());
    }
    // Values of every class, from any computable node, to a fixpoint.
    let mut vals: HashMap<Id, ClassVal> = HashMap::new();
    loop {
        let mut progress = false;
        for class in eg.classes() {
            if vals.contains_key(&class.id) {
                continue;
            }
            for n in &class.nodes {
                if let Some(r) = eval_node(&eg, n, &vals, &inputs) {
                    vals.insert(class.id, r.map_err(|e| format!("class {}: {e}", class.id))?);
                    progress = true;
                    break;
                }
            }
        }
        if !progress {
            break;
        }
    }
    if !vals.contains_key(&eg.find(root)) {
        return Err("the root class has no computable node".into());
    }
    // Every computable node must agree with its class's value and type.
    for class in eg.classes() {
        let Some(ClassVal::Vals(want)) = vals.get(&class.id) else { continue };
        if let Some(types) = &class.data.types {
            let got: Vec<TensorType> = want.iter().map(|t| t.ty()).collect();
            if !same_types(types, &got) {
                return Err(format!("class {}: the analysis says {types:?}, the value is {got:?}", class.id));
            }
        }
        for n in &class.nodes {
            let Some(r) = eval_node(&eg, n, &vals, &inputs) else { continue };
            let got = match r.map_err(|e| format!("class {}: {e}", class.id))? {
                ClassVal::Vals(v) => v,
                ClassVal::Absent => return Err(format!("class {}: absent and not absent", class.id)),
            };
            for (g, w) in got.iter().zip(want.iter()) {
                if let Some(d) = differs(g, w) {
                    let first = class.nodes.iter().find(|m| eval_node(&eg, m, &vals, &inputs).is_some());
                    return Err(format!(
                        "class {}: `{}` disagrees with `{}`: {d}",
                        class.id,
                        n,
                        first.map(|f| f.to_string()).unwrap_or_default()
                    ));
                }
            }
        }
    }
    Ok(fired)
}
