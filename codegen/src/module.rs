//! Assembling the MLIR module: one kernel function per step, and the body function that
//! carves every value out of its buffer (weights, arena, caller inputs/outputs) with
//! `memref.view` and calls the kernels in order.

use crate::error::Result;
use crate::lower::{self, KernelTarget};
use crate::mlir::memref_type;
use crate::plan::{Buffer, Place, Plan, Step};
use ir::{Graph, ValueId};
use std::collections::HashMap;
use std::fmt::Write;

/// One kernel in the module (for the manifest and for per-kernel benchmarks).
#[derive(Clone, Debug)]
pub struct KernelInfo {
    pub func: String,
    pub node: String,
    pub op: String,
    pub work: crate::work::Work,
}

pub struct MlirModule {
    pub text: String,
    pub body: String,
    pub kernels: Vec<KernelInfo>,
}

fn buf_arg(b: Buffer) -> String {
    match b {
        Buffer::Weights => "%weights".into(),
        Buffer::Arena => "%arena".into(),
        Buffer::Input(i) => format!("%in{i}"),
        Buffer::Output(i) => format!("%out{i}"),
    }
}

fn buf_ty(plan: &Plan, b: Buffer) -> String {
    let n = match b {
        Buffer::Weights => plan.weights.len(),
        Buffer::Arena => plan.arena_bytes,
        Buffer::Input(i) => plan.input_bytes[i],
        Buffer::Output(i) => plan.output_bytes[i],
    };
    format!("memref<{}xi8>", n.max(1))
}

/// `memref.view`s of values into their buffers, made once each.
struct Views<'a> {
    g: &'a Graph,
    plan: &'a Plan,
    offs: HashMap<usize, String>,
    views: HashMap<ValueId, (String, String)>,
    nv: usize,
}

impl Views<'_> {
    fn fresh(&mut self) -> String {
        self.nv += 1;
        format!("%t{}", self.nv)
    }

    fn off(&mut self, body: &mut String, o: usize) -> String {
        self.offs
            .entry(o)
            .or_insert_with(|| {
                let n = format!("%off{o}");
                let _ = writeln!(body, "  {n} = arith.constant {o} : index");
                n
            })
            .clone()
    }

    fn view(&mut self, body: &mut String, v: ValueId) -> (String, String) {
        if let Some(x) = self.views.get(&v) {
            return x.clone();
        }
        let ty = self.g.value_type(v);
        let shape = ty.static_shape().unwrap_or_default();
        let mty = memref_type(&shape, ty.dtype);
        let Place { buf, offset } = self.plan.place[&v];
        let o = self.off(body, offset);
        let name = self.fresh();
        let _ = writeln!(body, "  {name} = memref.view {}[{o}][] : {} to {mty}", buf_arg(buf), buf_ty(self.plan, buf));
        self.views.insert(v, (name.clone(), mty.clone()));
        (name, mty)
    }
}

/// An empty operand as the kernel takes it (`lower::empty_arg_type`), or unchanged.
fn empty_cast(body: &mut String, vw: &mut Views, n: String, t: String) -> (String, String) {
    let Some(aty) = lower::empty_arg_type(&t) else { return (n, t) };
    let c = vw.fresh();
    let _ = writeln!(body, "  {c} = memref.reinterpret_cast {n} to offset: [0], sizes: [0], strides: [1] : {t} to {aty}");
    (c, aty)
}

/// The external hook a profiling build calls (see `Options::profile`).
pub const PROFILE_HOOK: &str = "edgec_prof_mark";

/// `func.call @edgec_prof_mark(index)` in the body.
fn prof_mark(body: &mut String, index: usize) {
    let _ = writeln!(body, "  %prof{index} = arith.constant {index} : i32");
    let _ = writeln!(body, "  func.call @{PROFILE_HOOK}(%prof{index}) : (i32) -> ()");
}

/// Build the module. With `profile`, the body calls `edgec_prof_mark(0)` before the first
/// kernel and `edgec_prof_mark(k + 1)` after kernel `k` (output copies follow the last mark).
pub fn build(g: &Graph, plan: &Plan, t: &KernelTarget, prefix: &str, profile: bool) -> Result<MlirModule> {
    let mut text = String::from("module {\n");
    if profile {
        let _ = writeln!(text, "func.func private @{PROFILE_HOOK}(i32)");
    }
    let mut kernels = vec![];

    let body_name = format!("{prefix}_body");
    let mut body = String::new();
    let mut sig = vec![
        format!("%weights: {}", buf_ty(plan, Buffer::Weights)),
        format!("%arena: {}", buf_ty(plan, Buffer::Arena)),
    ];
    for i in 0..plan.input_bytes.len() {
        sig.push(format!("%in{i}: {}", buf_ty(plan, Buffer::Input(i))));
    }
    for i in 0..plan.output_bytes.len() {
        sig.push(format!("%out{i}: {}", buf_ty(plan, Buffer::Output(i))));
    }
    let _ = writeln!(body, "func.func @{body_name}({}) {{", sig.join(", "));
    let mut vw = Views { g, plan, offs: HashMap::new(), views: HashMap::new(), nv: 0 };
    if profile {
        prof_mark(&mut body, 0);
    }
    for (si, step) in plan.steps.iter().enumerate() {
        match step {
            Step::Kernel(id) => {
                let node = g.node(*id);
                let fname = format!("k{si}_{}", node.op.name().replace(['-', '.'], "_"));
                let scratch = plan.scratch.get(id).map(|&(_, n)| n).unwrap_or(0);
                let ktext = lower::lower(g, *id, &fname, t, scratch)?;
                text.push_str(&ktext);
                let mut args = vec![];
                let mut tys = vec![];
                for v in g.node_inputs(*id).into_iter().flatten() {
                    let (n, t) = vw.view(&mut body, v);
                    let (n, t) = empty_cast(&mut body, &mut vw, n, t);
                    args.push(n);
                    tys.push(t);
                }
                for port in 0..node.outputs.len() {
                    let (n, t) = vw.view(&mut body, ValueId::new(*id, port as u32));
                    let (n, t) = empty_cast(&mut body, &mut vw, n, t);
                    args.push(n);
                    tys.push(t);
                }
                if let Some(&(off, n)) = plan.scratch.get(id) {
                    let o = vw.off(&mut body, off);
                    let name = vw.fresh();
                    let st = format!("memref<{n}xi8>");
                    let _ = writeln!(body, "  {name} = memref.view %arena[{o}][] : {} to {st}", buf_ty(plan, Buffer::Arena));
                    args.push(name);
                    tys.push(st);
                }
                let _ = writeln!(body, "  func.call @{fname}({}) : ({}) -> ()", args.join(", "), tys.join(", "));
                kernels.push(KernelInfo {
                    func: fname,
                    node: node.name.clone(),
                    op: node.op.name().into(),
                    work: crate::work::work(g, *id),
                });
                if profile {
                    prof_mark(&mut body, kernels.len());
                }
            }
            Step::CopyToOutput { value, output } => {
                let (src, sty) = vw.view(&mut body, *value);
                let ty = g.value_type(*value);
                let dst_ty = memref_type(&ty.static_shape().unwrap_or_default(), ty.dtype);
                let o = vw.off(&mut body, 0);
                let dst = vw.fresh();
                let b = Buffer::Output(*output);
                let _ = writeln!(body, "  {dst} = memref.view {}[{o}][] : {} to {dst_ty}", buf_arg(b), buf_ty(plan, b));
                let _ = writeln!(body, "  memref.copy {src}, {dst} : {sty} to {dst_ty}");
            }
        }
    }
    body.push_str("  return\n}\n");
    text.push_str(&body);
    text.push_str("}\n");
    Ok(MlirModule { text, body: body_name, kernels })
}
