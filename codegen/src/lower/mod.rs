//! Lowering one IR node to one MLIR kernel function. A kernel takes its present inputs, then
//! its outputs, then (if it asked for one) a scratch buffer, all as statically shaped memrefs;
//! constant inputs are also visible at compile time (shapes, axes, pads, …).

mod attention;
mod elementwise;
mod fused;
mod concat;
mod det;
mod einsum;
mod expand;
mod gather;
mod generate;
mod loops;
mod operands;
mod pad;
mod scatter;
mod select;
mod slice;
mod topk;
mod view;
mod matmul;
mod matmul_f32;
mod movement;
mod quant;
mod rnn;
mod rotary;
mod lanes;
mod reduce;
mod argreduce;
mod softmax;
mod scan;
mod norm;
mod layernorm;
mod lpnorm;
mod lrn;
mod fastexp;
pub(crate) use fastexp::exp_f32;
#[cfg(test)]
mod reduce_tests;
mod conv;
mod conv_fast;
mod conv_geom;
mod gemm_tiles;
mod ix;
mod pool;
mod matmul_int;
mod space_depth;
mod resize;
mod resize_plan;
mod grid_sample;

use crate::error::{CodegenError, Result};
use crate::mlir::{memref_type, Func};
use ir::{DType, Graph, Node, NodeId, Op, Tensor, ValueId};
use std::sync::Arc;

/// What kernels know of the device.
#[derive(Clone, Debug)]
pub struct KernelTarget {
    /// f32 lanes in one vector register.
    pub f32_lanes: usize,
    pub vector_registers: usize,
    pub l1_bytes: usize,
    pub l2_bytes: usize,
}

/// A kernel argument.
#[derive(Clone, Debug)]
pub struct Operand {
    /// SSA name of the memref argument.
    pub mem: String,
    /// Its MLIR type.
    pub mty: String,
    pub shape: Vec<usize>,
    pub dt: DType,
    /// The value, when it is a constant known at compile time.
    pub konst: Option<Arc<Tensor>>,
}

impl Operand {
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

pub struct Kernel<'a> {
    pub f: Func,
    pub node: &'a Node,
    pub ins: Vec<Option<Operand>>,
    pub outs: Vec<Operand>,
    pub scratch: Option<(String, usize)>,
    pub target: &'a KernelTarget,
}

impl Kernel<'_> {
    /// Input `i`, which must be present.
    pub fn input(&self, i: usize) -> Result<&Operand> {
        self.ins.get(i).and_then(|o| o.as_ref()).ok_or_else(|| CodegenError::Unsupported {
            node: self.node.name.clone(),
            op: self.node.op.name().into(),
            reason: format!("input {i} is missing"),
        })
    }

    pub fn unsupported<T>(&self, reason: impl Into<String>) -> Result<T> {
        Err(CodegenError::Unsupported {
            node: self.node.name.clone(),
            op: self.node.op.name().into(),
            reason: reason.into(),
        })
    }

    /// A constant input as i64 values (shapes, axes, …), or an error naming it.
    pub fn const_i64(&self, i: usize, what: &str) -> Result<Option<Vec<i64>>> {
        match self.ins.get(i).and_then(|o| o.as_ref()) {
            None => Ok(None),
            Some(o) => match &o.konst {
                Some(t) => Ok(Some(t.to_i64_vec())),
                None => self.unsupported(format!("{what} (input {i}) must be a constant to compile")),
            },
        }
    }
}

fn static_shape(g: &Graph, v: ValueId, node: &Node) -> Result<Vec<usize>> {
    g.value_type(v).static_shape().ok_or_else(|| CodegenError::Unsupported {
        node: node.name.clone(),
        op: node.op.name().into(),
        reason: format!(
            "shape {:?} is not static; give the model's inputs fixed shapes (--input-shape)",
            g.value_type(v).dims
        ),
    })
}

/// Scratch bytes a node's kernel needs (asked before memory planning).
pub fn scratch_bytes(g: &Graph, id: NodeId, t: &KernelTarget) -> usize {
    let node = g.node(id);
    match &node.op {
        Op::MatMul { .. } | Op::MatMulFused { .. } => matmul::scratch_bytes(g, id, t),
        Op::ConvFused { .. } => fused::conv_scratch_bytes(g, id, t),
        Op::Rnn(_) => rnn::scratch_bytes(g, id),
        Op::Attention(_) => attention::scratch_bytes(g, id, t),
        Op::Reduce { .. } => reduce::scratch_bytes(g, id),
        Op::ArgReduce { .. } => argreduce::scratch_bytes(g, id),
        Op::Softmax { .. } => softmax::scratch_bytes(g, id),
        Op::CumSum { .. } | Op::CumProd { .. } => scan::scratch_bytes(g, id),
        Op::LpNorm { .. } => lpnorm::scratch_bytes(g, id),
        Op::Lrn { .. } => lrn::scratch_bytes(g, id),
        Op::Conv(_) => conv::scratch_bytes(g, id, t),
        Op::Resize(_) => resize::scratch_bytes(g, id, t),
        Op::Einsum { .. } => einsum::scratch_bytes(g, id, t),
        Op::Det => det::scratch_bytes(g, id, t),
        _ => 0,
    }
}

/// Lower node `id` into a kernel function named `name`.
pub fn lower(g: &Graph, id: NodeId, name: &str, t: &KernelTarget, scratch: usize) -> Result<String> {
    let node = g.node(id);
    let mut f = Func::new(name);
    let mut ins = vec![];
    for v in g.node_inputs(id) {
        ins.push(match v {
            None => None,
            Some(v) => {
                let shape = static_shape(g, v, node)?;
                let dt = g.value_type(v).dtype;
                check_dtype(node, dt)?;
                let mty = memref_type(&shape, dt);
                Some(Operand { mem: shaped_arg(&mut f, &mty), mty, shape, dt, konst: g.const_value(v).cloned() })
            }
        });
    }
    let mut outs = vec![];
    for (port, ty) in node.outputs.iter().enumerate() {
        let shape = static_shape(g, ValueId::new(id, port as u32), node)?;
        check_dtype(node, ty.dtype)?;
        let mty = memref_type(&shape, ty.dtype);
        outs.push(Operand { mem: shaped_arg(&mut f, &mty), mty, shape, dt: ty.dtype, konst: None });
    }
    let scratch = (scratch > 0).then(|| (f.arg(format!("memref<{scratch}xi8>")), scratch));
    let mut k = Kernel { f, node, ins, outs, scratch, target: t };
    dispatch(&mut k)?;
    Ok(k.f.finish())
}

/// The argument type of a kernel operand of memref type `mty`, when it is not `mty` itself:
/// MLIR's bare-pointer calling convention rejects identity memrefs whose shape has a 0 after
/// the first dim (their canonical strides contain 0), so empty operands of rank >= 2 are passed
/// as `memref<0xE>` and reshaped inside the kernel (the caller casts to match).
pub fn empty_arg_type(mty: &str) -> Option<String> {
    let inner = mty.strip_prefix("memref<")?.strip_suffix('>')?;
    let parts: Vec<&str> = inner.split('x').collect();
    let (elem, dims) = parts.split_last()?;
    (dims.len() >= 2 && dims.contains(&"0")).then(|| format!("memref<0x{elem}>"))
}

/// A kernel argument holding a memref of type `mty` (see `empty_arg_type`).
fn shaped_arg(f: &mut Func, mty: &str) -> String {
    let Some(aty) = empty_arg_type(mty) else { return f.arg(mty) };
    let a = f.arg(&aty);
    let dims: Vec<usize> = mty["memref<".len()..].split('x').filter_map(|d| d.parse().ok()).collect();
    let mut strides = vec![1usize; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * dims[i + 1];
    }
    let list = |v: &[usize]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
    f.op(format!(
        "memref.reinterpret_cast {a} to offset: [0], sizes: [{}], strides: [{}] : {aty} to {mty}",
        list(&dims),
        list(&strides)
    ))
}

fn check_dtype(node: &Node, dt: DType) -> Result<()> {
    if crate::mlir::elem_type(dt).is_none() {
        return Err(CodegenError::Unsupported {
            node: node.name.clone(),
            op: node.op.name().into(),
            reason: format!("dtype {dt} is not compiled"),
        });
    }
    Ok(())
}

fn dispatch(k: &mut Kernel) -> Result<()> {
    match &k.node.op {
        Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Clip | Op::Cast { .. } => elementwise::lower(k),
        Op::MatMul { .. } | Op::MatMulFused { .. } => matmul::lower(k),
        Op::Fused(_) => fused::lower(k),
        Op::ConvFused { .. } => fused::lower_conv(k),
        Op::Reshape { .. } | Op::Squeeze | Op::Unsqueeze | Op::Flatten { .. } => movement::copy(k),
        Op::Transpose { .. } => movement::transpose(k),
        Op::QuantizeLinear { .. } | Op::DequantizeLinear { .. } => quant::lower(k),
        Op::Attention(_) => attention::lower(k),
        Op::RotaryEmbedding { .. } => rotary::lower(k),
        Op::Rnn(_) => rnn::lower(k),
        Op::Reduce { .. } => reduce::lower(k),
        Op::ArgReduce { .. } => argreduce::lower(k),
        Op::Softmax { .. } => softmax::lower(k),
        Op::CumSum { .. } | Op::CumProd { .. } => scan::lower(k),
        Op::BatchNorm { .. } | Op::InstanceNorm { .. } | Op::GroupNorm { .. } => norm::lower(k),
        Op::LayerNorm { .. } | Op::RmsNorm { .. } => layernorm::lower(k),
        Op::LpNorm { .. } => lpnorm::lower(k),
        Op::Lrn { .. } => lrn::lower(k),
        Op::Conv(_) | Op::ConvInteger(_) | Op::ConvTranspose(_) | Op::Col2Im { .. } => conv::lower(k),
        Op::Pool(_) => pool::lower(k),
        Op::MatMulInteger => matmul_int::lower(k),
        Op::Resize(_) => resize::lower(k),
        Op::GridSample { .. } => grid_sample::lower(k),
        Op::DepthToSpace { .. } | Op::SpaceToDepth { .. } => space_depth::lower(k),
        Op::Concat { .. } => concat::concat(k),
        Op::Split { .. } => concat::split(k),
        Op::Slice => slice::lower(k),
        Op::Expand => expand::expand(k),
        Op::Tile => expand::tile(k),
        Op::Pad { .. } => pad::lower(k),
        Op::Shape { .. } => generate::shape(k),
        Op::Size => generate::size(k),
        Op::ConstantOfShape { .. } => generate::constant_of_shape(k),
        Op::Range => generate::range(k),
        Op::EyeLike { .. } => generate::eye_like(k),
        Op::Trilu { .. } => generate::trilu(k),
        Op::Gather { .. } => gather::gather(k),
        Op::GatherElements { .. } => gather::gather_elements(k),
        Op::GatherNd { .. } => gather::gather_nd(k),
        Op::ScatterElements { .. } => scatter::scatter_elements(k),
        Op::ScatterNd { .. } => scatter::scatter_nd(k),
        Op::OneHot { .. } => select::one_hot(k),
        Op::ReverseSequence { .. } => select::reverse_sequence(k),
        Op::Compress { .. } => select::compress(k),
        Op::NonZero | Op::Unique { .. } => select::data_dependent(k),
        Op::TopK { .. } => topk::lower(k),
        Op::Einsum { .. } => einsum::lower(k),
        Op::Det => det::lower(k),
        op => k.unsupported(format!("no kernel for {} yet", op.name())),
    }
}
