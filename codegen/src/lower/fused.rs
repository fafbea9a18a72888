//! Fused elementwise expressions (`Op::Fused`) as one `linalg.generic`, and the epilogues of
//! `MatMulFused` / `ConvFused`: the same expression evaluated on each output element right
//! after it is produced (for the tiled f32 matmul, on the tile while it is in L1), so the
//! product is never written out as a separate tensor.

use super::{Kernel, Operand};
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use crate::scalar;
use ir::{DType, FusedArg, FusedExpr, FusedStep, UnaryOp};

/// The dtype a step produces, given its operands' dtypes.
fn step_dtype(s: &FusedStep, args: &[DType]) -> DType {
    match s {
        FusedStep::Unary(UnaryOp::IsNaN | UnaryOp::IsInf { .. }, _) => DType::Bool,
        FusedStep::Unary(..) => args[0],
        FusedStep::Binary(b, ..) if b.is_comparison() => DType::Bool,
        FusedStep::Binary(..) => args[0],
        FusedStep::Where(..) => args[1],
        FusedStep::Cast(to, _) => *to,
    }
}

/// Evaluate `e` on compute scalars `inputs` (value, dtype); returns (value, dtype).
pub fn eval_expr(f: &mut Func, e: &FusedExpr, inputs: &[(String, DType)]) -> std::result::Result<(String, DType), String> {
    let mut steps: Vec<(String, DType)> = vec![];
    for (si, s) in e.steps.iter().enumerate() {
        let args: Vec<&FusedArg> = match s {
            FusedStep::Unary(_, a) | FusedStep::Cast(_, a) => vec![a],
            FusedStep::Binary(_, a, b) => vec![a, b],
            FusedStep::Where(c, a, b) => vec![c, a, b],
        };
        let get = |a: &FusedArg, steps: &[(String, DType)]| -> Option<(String, DType)> {
            match a {
                FusedArg::In(i) => inputs.get(*i).cloned(),
                FusedArg::Step(j) => steps.get(*j).cloned(),
                FusedArg::Const(_) => None,
            }
        };
        // A constant takes the dtype of its first non-constant sibling (Where: of x / y).
        let skip = matches!(s, FusedStep::Where(..)) as usize;
        let like = args
            .iter()
            .skip(skip)
            .find_map(|a| get(a, &steps))
            .map(|(_, d)| d)
            .ok_or_else(|| format!("fused step {si} has no non-constant operand"))?;
        let mut vals = vec![];
        for a in &args {
            vals.push(match a {
                FusedArg::Const(x) => {
                    let sc = Scalar::of(like).ok_or_else(|| format!("dtype {like} is not compilable"))?;
                    let v = match sc {
                        Scalar::Float(_) => f.fconst(x.0 as f64, sc),
                        _ => f.iconst(x.0 as i64, sc),
                    };
                    (v, like)
                }
                _ => get(a, &steps).ok_or_else(|| format!("fused step {si} reads a missing operand"))?,
            });
        }
        let dts: Vec<DType> = vals.iter().map(|v| v.1).collect();
        let out_dt = step_dtype(s, &dts);
        let v = match s {
            FusedStep::Unary(u, _) => scalar::unary(f, u, &vals[0].0, vals[0].1)?,
            FusedStep::Binary(b, ..) => scalar::binary(f, b, &vals[0].0, &vals[1].0, vals[0].1, vals[1].1)?,
            FusedStep::Where(..) => {
                let sc = Scalar::of(out_dt).ok_or_else(|| format!("dtype {out_dt} is not compilable"))?;
                scalar::select(f, &vals[0].0, &vals[1].0, &vals[2].0, sc)
            }
            FusedStep::Cast(to, _) => scalar::convert(f, &vals[0].0, vals[0].1, *to)?,
        };
        steps.push((v, out_dt));
    }
    Ok(steps.pop().unwrap_or_else(|| inputs[0].clone()))
}

/// `Op::Fused`: one generic over the output with every input broadcast.
pub fn lower(k: &mut Kernel) -> Result<()> {
    let ir::Op::Fused(e) = k.node.op.clone() else { unreachable!() };
    let out = k.outs[0].clone();
    let present: Vec<Operand> = k.ins.iter().flatten().cloned().collect();
    let refs: Vec<&Operand> = present.iter().collect();
    let dts: Vec<DType> = present.iter().map(|o| o.dt).collect();
    let r = super::elementwise::generic(&mut k.f, &refs, &out, |f, v| {
        let ins: Vec<(String, DType)> = v.iter().cloned().zip(dts.iter().copied()).collect();
        let (y, yd) = eval_expr(f, &e, &ins)?;
        if yd != out.dt {
            return Err(format!("fused expression yields {yd}, the node's output is {}", out.dt));
        }
        Ok(y)
    });
    r.or_else(|why| k.unsupported(why))
}

/// An epilogue: the expression and its extra operands (input i + 1 of the expression).
#[derive(Clone, Debug)]
pub struct Epilogue {
    pub expr: FusedExpr,
    pub extras: Vec<Operand>,
}

impl Epilogue {
    pub fn is_identity(&self) -> bool {
        self.expr.steps.is_empty()
    }

    /// Apply in place to `y[idx]` (holding the product, dtype `pd`), reading each extra operand
    /// broadcast against y's shape.
    pub fn apply_at(&self, f: &mut Func, y: &Operand, pd: DType, idx: &[String]) -> std::result::Result<(), String> {
        let v = f.load(&y.mem, &y.mty, idx, pd);
        let mut ins = vec![(v, pd)];
        for o in &self.extras {
            let off = y.shape.len() - o.shape.len();
            let oi: Vec<String> = o
                .shape
                .iter()
                .enumerate()
                .map(|(i, &d)| if d == 1 && y.shape[off + i] != 1 { f.idx(0) } else { idx[off + i].clone() })
                .collect();
            let x = f.load(&o.mem, &o.mty, &oi, o.dt);
            ins.push((x, o.dt));
        }
        let (r, rd) = eval_expr(f, &self.expr, &ins)?;
        if rd != y.dt {
            return Err(format!("epilogue yields {rd}, the output is {}", y.dt));
        }
        f.store(&r, &y.mem, &y.mty, idx, y.dt);
        Ok(())
    }

    /// Check the expression compiles for this output (before emitting anything).
    pub fn check(&self, y: &Operand, pd: DType) -> std::result::Result<(), String> {
        let mut f = Func::new("check");
        let mut ins = vec![("%p".to_string(), pd)];
        ins.extend(self.extras.iter().map(|o| ("%x".to_string(), o.dt)));
        let (_, rd) = eval_expr(&mut f, &self.expr, &ins)?;
        if rd != y.dt {
            return Err(format!("epilogue yields {rd}, the output is {}", y.dt));
        }
        Ok(())
    }

    /// Apply over the whole output in place (one pass, after the producer wrote it).
    pub fn apply_all(&self, f: &mut Func, y: &Operand, pd: DType) -> std::result::Result<(), String> {
        if self.is_identity() {
            return Ok(());
        }
        let mut res = Ok(());
        let shape = y.shape.clone();
        f.nest(&shape, |f, ivs| res = self.apply_at(f, y, pd, ivs));
        res
    }
}

/// How an extra operand of an epilogue is read at an element of an [N, C, spatial…] output.
#[derive(Clone, Debug)]
enum At {
    /// Same shape as the output: the output's flat index.
    Elem,
    /// Constant over the spatial dims: n · n_stride + c · c_stride (a stride of 0 broadcasts).
    Nc { n_stride: usize, c_stride: usize },
}

/// An epilogue applied at flat indices of an [N, C, spatial…] output, as the convolution
/// kernels call it on each finished tile row (still in L1) instead of a pass over the output.
pub struct FlatEpilogue {
    expr: FusedExpr,
    /// Flat view of the output and its type.
    y: (String, String),
    ydt: DType,
    /// The product's dtype.
    pd: DType,
    extras: Vec<(String, String, DType, At)>,
}

impl Epilogue {
    /// The flat form for an output `y` of rank ≥ 3 whose extras each have y's shape or are
    /// constant over its spatial dims (bias, per-channel scale, residual, scalars); `None`
    /// otherwise (the caller then applies the epilogue over the whole output).
    pub fn flat(&self, f: &mut Func, y: &Operand, pd: DType) -> Option<FlatEpilogue> {
        let r = y.shape.len();
        if r < 3 || self.is_identity() {
            return None;
        }
        let mut extras = vec![];
        for o in &self.extras {
            if o.shape.len() > r {
                return None;
            }
            let mut e = vec![1usize; r - o.shape.len()];
            e.extend(&o.shape);
            let at = if e == y.shape {
                At::Elem
            } else if e[2..].iter().all(|&d| d == 1) && (e[0] == 1 || e[0] == y.shape[0]) && (e[1] == 1 || e[1] == y.shape[1]) {
                At::Nc { n_stride: if e[0] == 1 { 0 } else { e[1] }, c_stride: (e[1] != 1) as usize }
            } else {
                return None;
            };
            let el = crate::mlir::elem_type(o.dt)?;
            let mem = super::ix::flat(f, &o.mem, &o.mty, o.numel(), el);
            extras.push((mem, format!("memref<{}x{el}>", o.numel()), o.dt, at));
        }
        let el = crate::mlir::elem_type(y.dt)?;
        let ym = super::ix::flat(f, &y.mem, &y.mty, y.numel(), el);
        Some(FlatEpilogue { expr: self.expr.clone(), y: (ym, format!("memref<{}x{el}>", y.numel())), ydt: y.dt, pd, extras })
    }
}

impl FlatEpilogue {
    /// Apply in place to the `len` outputs from flat index `yi`, all of batch `n`, channel `c`.
    pub fn apply_row(&self, f: &mut Func, n: &str, c: &str, yi: &str, len: usize) {
        // Per-row operands (bias, per-channel scale) are loaded once, outside the column loop.
        let mut row_vals: Vec<Option<(String, DType)>> = vec![];
        for (mem, mty, dt, at) in &self.extras {
            row_vals.push(match at {
                At::Elem => None,
                At::Nc { n_stride, c_stride } => {
                    let i = super::ix::lin(f, &[(n, *n_stride as i64), (c, *c_stride as i64)], 0);
                    Some((f.load(mem, mty, &[i], *dt), *dt))
                }
            });
        }
        let (ym, yty) = &self.y;
        f.for_range(0, len, |f, t| {
            let i = super::ix::add(f, yi, t);
            let mut ins = vec![(f.load(ym, yty, std::slice::from_ref(&i), self.pd), self.pd)];
            for ((mem, mty, dt, _), rv) in self.extras.iter().zip(&row_vals) {
                ins.push(match rv {
                    Some(v) => v.clone(),
                    None => (f.load(mem, mty, std::slice::from_ref(&i), *dt), *dt),
                });
            }
            // `Epilogue::check` ran first; should this still fail, emit an op MLIR rejects so
            // the error surfaces instead of wrong code.
            match eval_expr(f, &self.expr, &ins) {
                Ok((v, _)) => f.store(&v, ym, yty, &[i], self.ydt),
                Err(why) => f.line(format!("\"edgec.epilogue_error\"() {{reason = \"{}\"}} : () -> ()", why.replace('"', "'"))),
            }
        });
    }
}

/// The epilogue of a fused node: its expression and operands after the first `skip` inputs.
pub fn epilogue_of(k: &Kernel, expr: &FusedExpr, skip: usize) -> Epilogue {
    Epilogue { expr: expr.clone(), extras: k.ins.iter().skip(skip).flatten().cloned().collect() }
}

/// Scratch of a `ConvFused` node: what the plain Conv kernel for its attributes needs.
pub fn conv_scratch_bytes(g: &ir::Graph, id: ir::NodeId, t: &super::KernelTarget) -> usize {
    let node = g.node(id);
    let ir::Op::ConvFused { attrs, .. } = &node.op else { return 0 };
    let ins = g.node_inputs(id);
    let shape = |i: usize| ins.get(i).copied().flatten().and_then(|v| g.value_type(v).static_shape());
    let (Some(xs), Some(ws), Some(ys)) = (shape(0), shape(1), node.outputs[0].static_shape()) else { return 0 };
    if node.outputs[0].dtype != DType::F32 || xs.len() < 3 {
        return 0;
    }
    match super::conv_geom::conv(attrs, &xs, &ws, &ys) {
        Ok(win) => super::conv_fast::plan(&win, &xs, &ws, attrs.group, t).map_or(0, |p| p.scratch_bytes()),
        Err(_) => 0,
    }
}

/// `ConvFused`: the Conv kernel (no bias) computes the output and the epilogue runs on each
/// finished tile row while it is in L1 (the f32 GEMM and depthwise kernels, when the extras are
/// elementwise or constant over the spatial dims); otherwise it runs over the output in place
/// after the conv, in the same kernel. No intermediate tensor either way.
pub fn lower_conv(k: &mut Kernel) -> Result<()> {
    let ir::Op::ConvFused { attrs, epilogue } = k.node.op.clone() else { unreachable!() };
    let epi = epilogue_of(k, &epilogue, 2);
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    if x.dt != y.dt {
        return k.unsupported(format!("an epilogue that turns the {} convolution into {}", x.dt, y.dt));
    }
    epi.check(&y, x.dt).or_else(|why| k.unsupported(why))?;
    let flat = epi.flat(&mut k.f, &y, x.dt);
    let node = ir::Node { name: k.node.name.clone(), op: ir::Op::Conv(attrs), num_inputs: 2, outputs: k.node.outputs.clone() };
    let f = std::mem::replace(&mut k.f, Func::new("unused"));
    let mut sub = Kernel { f, node: &node, ins: k.ins[..2].to_vec(), outs: k.outs.clone(), scratch: k.scratch.clone(), target: k.target };
    let r = super::conv::lower_with_epilogue(&mut sub, flat.as_ref());
    k.f = sub.f;
    if r? {
        return Ok(());
    }
    epi.apply_all(&mut k.f, &y, x.dt).or_else(|why| k.unsupported(why))
}
