//! The e-graph language: an e-node applies an IR op to e-classes, plus the leaves (graph
//! inputs, constants by side-table id, f32 scalar literals, empty optional slots), `Get` to pick
//! one output of a multi-output op, and compile-time-only `Meta` functions of constants.
//!
//! IR ops are carried whole (`IrOp` wraps `ir::Op`), compared by their canonical text form, so
//! every op converts to the e-graph and back without a per-op table. A few attributes that
//! rules must read or compute are moved into a trailing child instead (see `irop.rs`).

use egg::{Id, Language};
use ir::Op;
use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// An IR op in canonical form with the number of outputs its node declares. Equality, order
/// and hash come from the canonical text (`ir::text::op_to_string`), computed once.
#[derive(Clone)]
pub struct IrOp {
    hash: u64,
    key: Arc<str>,
    op: Arc<Op>,
    outputs: u8,
}

impl IrOp {
    /// Wrap `op` (already canonical, see `irop::canonical`) declaring `outputs` outputs.
    pub fn new(op: Op, outputs: usize) -> IrOp {
        let key = ir::text::op_to_string(&op, ir::text::PrintOptions { elide_above: None });
        let outputs = outputs.min(u8::MAX as usize) as u8;
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        outputs.hash(&mut h);
        IrOp { hash: h.finish(), key: key.into(), op: Arc::new(op), outputs }
    }

    pub fn op(&self) -> &Op {
        &self.op
    }

    /// The canonical text of the op (with its attributes).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// How many outputs the node declares (optional trailing outputs may be left out).
    pub fn outputs(&self) -> usize {
        self.outputs as usize
    }
}

impl PartialEq for IrOp {
    fn eq(&self, o: &Self) -> bool {
        self.hash == o.hash && self.outputs == o.outputs && self.key == o.key
    }
}
impl Eq for IrOp {}
impl Hash for IrOp {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.hash.hash(h)
    }
}
impl PartialOrd for IrOp {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for IrOp {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.hash, self.outputs, &*self.key).cmp(&(o.hash, o.outputs, &*o.key))
    }
}
impl fmt::Debug for IrOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.key)
    }
}

/// Functions of constants that exist only to compute attributes on a rule's right-hand side.
/// Their class always folds to a constant; extraction never picks them (infinite cost).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetaOp {
    /// A permutation with its last two entries swapped (`p ∘ swap-last`).
    PermSwapLast,
}

/// What an e-node does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EOp {
    /// Graph input number `i` (leaf).
    Input(u32),
    /// Constant number `i` of the analysis' side table (leaf).
    Const(u32),
    /// An f32 scalar, by its bits (leaf). Every f32 rank-0 constant class gets one, so rule
    /// patterns can name literal values.
    Lit(u32),
    /// An empty optional input slot (leaf).
    Absent,
    /// Output `port` of the multi-output node in its only child.
    Get(u32),
    Meta(MetaOp),
    Ir(IrOp),
}

/// An e-node: an op and its children (inputs, then any attribute child, see `irop.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TNode {
    pub op: EOp,
    pub args: Vec<Id>,
}

impl TNode {
    pub fn leaf(op: EOp) -> TNode {
        TNode { op, args: Vec::new() }
    }

    pub fn new(op: EOp, args: Vec<Id>) -> TNode {
        TNode { op, args }
    }

    pub fn lit(v: f32) -> TNode {
        TNode::leaf(EOp::Lit(v.to_bits()))
    }

    pub fn ir(op: Op, outputs: usize, args: Vec<Id>) -> TNode {
        TNode { op: EOp::Ir(IrOp::new(op, outputs)), args }
    }

    /// The IR op, for `Ir` nodes.
    pub fn ir_op(&self) -> Option<&Op> {
        match &self.op {
            EOp::Ir(o) => Some(o.op()),
            _ => None,
        }
    }
}

impl Language for TNode {
    type Discriminant = u64;

    fn discriminant(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.op.hash(&mut h);
        h.finish()
    }

    fn matches(&self, other: &Self) -> bool {
        self.op == other.op && self.args.len() == other.args.len()
    }

    fn children(&self) -> &[Id] {
        &self.args
    }

    fn children_mut(&mut self) -> &mut [Id] {
        &mut self.args
    }
}

impl egg::FromOp for TNode {
    type Error = String;

    fn from_op(op: &str, children: Vec<Id>) -> Result<Self, String> {
        Ok(TNode { op: super::spell::parse_token(op)?, args: children })
    }
}

impl fmt::Display for TNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", super::spell::token(&self.op))
    }
}
