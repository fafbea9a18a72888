//! The e-class analysis: each class knows the types of its outputs (dtype and shape) and, when
//! it is a compile-time constant, its value. Constants live once in a side table (`consts`)
//! and e-nodes refer to them by index, so big weights are never copied or hashed; small ones
//! are deduplicated by content. Nodes whose inputs are all constant fold when the result is
//! small (the attribute arithmetic of rule right-hand sides, e.g. composing permutations).

use super::irop;
use super::lang::{EOp, MetaOp, TNode};
use super::meta;
use egg::{Analysis, DidMerge, EGraph, Id};
use ir::{DType, Dim, Op, Tensor, TensorType};
use std::collections::HashMap;
use std::sync::Arc;

/// Constants with at most this many elements are deduplicated by content.
const DEDUP_ELEMENTS: usize = 4096;
/// Nodes fold to a constant when all inputs are constant and the result has at most this many
/// elements.
pub const FOLD_ELEMENTS: usize = 4096;

pub type EG = EGraph<TNode, TensorAnalysis>;

/// Per-class facts.
#[derive(Debug, Clone, Default)]
pub struct Data {
    /// Output types (one per output; empty for `Absent`); None when inference failed.
    pub types: Option<Vec<TensorType>>,
    /// The value, when the class is a compile-time constant.
    pub konst: Option<Arc<Tensor>>,
    /// The value is read by several nodes of the graph the e-graph was built from (or is a
    /// graph output): it is materialised anyway, so fusing its computation into one consumer
    /// would compute it twice. Set at import; merged by "or".
    pub shared: bool,
}

impl Data {
    /// The type of a single-output class.
    pub fn ty(&self) -> Option<&TensorType> {
        match &self.types {
            Some(v) if v.len() == 1 => Some(&v[0]),
            _ => None,
        }
    }

    /// Whether the class is the empty optional slot.
    pub fn is_absent(&self) -> bool {
        matches!(&self.types, Some(v) if v.is_empty())
    }
}

#[derive(Hash, PartialEq, Eq)]
struct ContentKey(DType, Vec<usize>, Vec<u8>);

/// The analysis state: the side tables and counters.
#[derive(Default)]
pub struct TensorAnalysis {
    /// Constants by id (`EOp::Const(id)`).
    pub consts: Vec<Arc<Tensor>>,
    by_content: HashMap<ContentKey, u32>,
    by_ptr: HashMap<usize, u32>,
    /// Types of the graph inputs (`EOp::Input(i)`).
    pub inputs: Vec<TensorType>,
    /// Merges of classes whose types disagreed (a rule bug; typed unions prevent them).
    pub type_conflicts: usize,
    /// Rule applications refused because the new term's type differs from the matched one's.
    pub rejected: usize,
    /// Constants computed by builtins, keyed by what they were computed from (so applying a
    /// builtin again finds the same constant instead of adding a copy).
    derived: HashMap<Vec<usize>, u32>,
}

impl TensorAnalysis {
    pub fn new(inputs: Vec<TensorType>) -> Self {
        TensorAnalysis { inputs, ..Default::default() }
    }

    /// The side-table id of `t`: the same id for equal small constants or the same storage.
    pub fn intern(&mut self, t: Arc<Tensor>) -> u32 {
        let id = self.consts.len() as u32;
        if t.len() <= DEDUP_ELEMENTS {
            let key = ContentKey(t.dtype(), t.shape().to_vec(), t.to_le_bytes());
            if let Some(&i) = self.by_content.get(&key) {
                return i;
            }
            self.by_content.insert(key, id);
        } else {
            let p = Arc::as_ptr(&t) as usize;
            if let Some(&i) = self.by_ptr.get(&p) {
                return i;
            }
            self.by_ptr.insert(p, id);
        }
        self.consts.push(t);
        id
    }

    /// The constant computed by `f` from the constants `from` (by identity), computed once.
    pub fn derived(&mut self, tag: usize, from: &[&Arc<Tensor>], f: impl FnOnce() -> Option<Tensor>) -> Option<u32> {
        let mut key = vec![tag];
        key.extend(from.iter().map(|t| Arc::as_ptr(t) as usize));
        if let Some(&c) = self.derived.get(&key) {
            return Some(c);
        }
        let c = self.intern(Arc::new(f()?));
        self.derived.insert(key, c);
        Some(c)
    }
}

/// Whether two type lists agree: same dtypes and ranks, equal static dims, equal symbols (a
/// symbol `?…` from inference matches anything).
pub fn same_types(a: &[TensorType], b: &[TensorType]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.dtype == y.dtype
                && x.dims.len() == y.dims.len()
                && x.dims.iter().zip(&y.dims).all(|(p, q)| match (p, q) {
                    (Dim::Static(m), Dim::Static(n)) => m == n,
                    (Dim::Sym(s), Dim::Sym(t)) => s == t || s.starts_with('?') || t.starts_with('?'),
                    (Dim::Sym(s), _) | (_, Dim::Sym(s)) => s.starts_with('?'),
                })
        })
}

fn konst_data(t: Arc<Tensor>) -> Data {
    Data { types: Some(vec![t.ty()]), konst: Some(t), shared: false }
}

/// The IR op of an `Ir` e-node with its input slots, reading attribute children from `eg`.
pub fn decode_node(eg: &EG, n: &TNode) -> Option<(Op, Vec<Option<Id>>)> {
    let EOp::Ir(op) = &n.op else { return None };
    irop::decode(op.op(), &n.args, |i| eg[i].data.konst.clone(), |i| eg[i].data.is_absent())
}

/// Shape's value for a statically shaped input.
fn fold_shape(op: &Op, t: &TensorType) -> Option<Tensor> {
    let Op::Shape { start, end } = op else { return None };
    let dims = t.static_shape()?;
    let r = dims.len() as i64;
    let clamp = |x: i64| (if x < 0 { x + r } else { x }).clamp(0, r) as usize;
    let (s, e) = (clamp(*start), clamp(end.unwrap_or(r)));
    let v: Vec<i64> = dims.get(s..e.max(s)).unwrap_or(&[]).iter().map(|&d| d as i64).collect();
    Tensor::from_vec(&[v.len()], v).ok()
}

fn make_ir(eg: &EG, n: &TNode) -> Data {
    let Some((op, slots)) = decode_node(eg, n) else { return Data::default() };
    let outputs = match &n.op {
        EOp::Ir(o) => o.outputs(),
        _ => 1,
    };
    let mut tys = Vec::with_capacity(slots.len());
    for s in &slots {
        match s {
            Some(i) => match eg[*i].data.ty() {
                Some(t) => tys.push(Some(t)),
                None => return Data::default(),
            },
            None => tys.push(None),
        }
    }
    let consts: Vec<Option<&Tensor>> = slots.iter().map(|s| s.and_then(|i| eg[i].data.konst.as_deref())).collect();
    let Ok(mut types) = ir::ops::infer(&op, &tys, &consts) else { return Data::default() };
    if types.len() < outputs {
        return Data::default();
    }
    types.truncate(outputs.max(1));
    let mut konst = None;
    if let (1, Some(t)) = (types.len(), tys.first().copied().flatten()) {
        konst = fold_shape(&op, t).map(Arc::new);
    }
    let all_const = !slots.is_empty() && slots.iter().zip(&consts).all(|(s, c)| s.is_none() || c.is_some());
    let small = types.len() == 1 && types[0].num_elements().is_some_and(|n| n <= FOLD_ELEMENTS);
    if konst.is_none() && all_const && small && op.is_pure() {
        if let Ok(mut v) = ir::ops::eval(&op, &consts) {
            if v.len() == 1 && v[0].ty() == types[0] {
                konst = Some(Arc::new(v.remove(0)));
            }
        }
    }
    Data { types: Some(types), konst, shared: false }
}

impl Analysis<TNode> for TensorAnalysis {
    type Data = Data;

    fn make(eg: &mut EG, n: &TNode, _id: Id) -> Data {
        match &n.op {
            EOp::Input(i) => Data { types: eg.analysis.inputs.get(*i as usize).map(|t| vec![t.clone()]), ..Data::default() },
            EOp::Const(c) => konst_data(eg.analysis.consts[*c as usize].clone()),
            EOp::Lit(bits) => konst_data(Arc::new(Tensor::scalar(f32::from_bits(*bits)))),
            EOp::Absent => Data { types: Some(vec![]), ..Data::default() },
            EOp::Get(p) => {
                let t = n.args.first().and_then(|&c| eg[c].data.types.as_ref()?.get(*p as usize).cloned());
                Data { types: t.map(|t| vec![t]), ..Data::default() }
            }
            EOp::Meta(m) => {
                let args: Option<Vec<Arc<Tensor>>> = n.args.iter().map(|&c| eg[c].data.konst.clone()).collect();
                match args.and_then(|a| meta::eval(*m, &a)) {
                    Some(t) => konst_data(Arc::new(t)),
                    None => Data::default(),
                }
            }
            EOp::Ir(_) => make_ir(eg, n),
        }
    }

    fn merge(&mut self, a: &mut Data, b: Data) -> DidMerge {
        let (mut ca, mut cb) = (false, false);
        match (&a.types, b.types) {
            (None, Some(t)) => {
                a.types = Some(t);
                ca = true;
            }
            (Some(_), None) => cb = true,
            (Some(x), Some(y)) => {
                if !same_types(x, &y) {
                    self.type_conflicts += 1;
                    cb = true;
                }
            }
            (None, None) => {}
        }
        if b.shared && !a.shared {
            a.shared = true;
            ca = true;
        } else if a.shared && !b.shared {
            cb = true;
        }
        match (&a.konst, b.konst) {
            (None, Some(k)) => {
                a.konst = Some(k);
                ca = true;
            }
            (Some(_), None) => cb = true,
            _ => {}
        }
        DidMerge(ca, cb)
    }

    fn modify(eg: &mut EG, id: Id) {
        propagate_shared(eg, id);
        let Some(k) = eg[id].data.konst.clone() else { return };
        if let (Some(a), true) = (k.as_array::<f32>(), k.shape().is_empty()) {
            let v = a.iter().next().copied().unwrap_or(0.0);
            let lit = eg.add(TNode::lit(v));
            eg.union(id, lit);
        } else if !eg[id].nodes.iter().any(|n| matches!(n.op, EOp::Const(_))) {
            let c = eg.analysis.intern(k);
            let leaf = eg.add(TNode::leaf(EOp::Const(c)));
            eg.union(id, leaf);
        }
    }
}

/// A shared class's reshape-like nodes alias their input, so the input is materialised (and
/// shared) too: mark it, transitively.
fn propagate_shared(eg: &mut EG, id: Id) {
    let mut todo = vec![id];
    while let Some(c) = todo.pop() {
        if !eg[c].data.shared {
            continue;
        }
        let inner: Vec<Id> = eg[c]
            .nodes
            .iter()
            .filter(|n| matches!(n.ir_op(), Some(Op::Reshape { .. } | Op::Squeeze | Op::Unsqueeze | Op::Flatten { .. })))
            .filter_map(|n| n.args.first().copied())
            .collect();
        for x in inner {
            let x = eg.find(x);
            if !eg[x].data.shared {
                eg[x].data.shared = true;
                todo.push(x);
            }
        }
    }
}

/// Evaluate a meta op (also used by the soundness checker).
pub fn eval_meta(m: MetaOp, args: &[Arc<Tensor>]) -> Option<Tensor> {
    meta::eval(m, args)
}
