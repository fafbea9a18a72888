//! CumSum and CumProd along a constant axis, with `exclusive` and `reverse`, as
//! `ir::ops::reduce::scan`: floats accumulate in f64 and each output is rounded once, integers
//! wrap in their own width. The input is seen as [outer, n, inner]: with inner = 1 each lane is
//! one carried loop; otherwise a row of running values in the arena (f64 for floats) advances one
//! [inner] slice at a time, the innermost loop over contiguous memory.

use super::lanes::{self, to_f64, Carver, View};
use super::Kernel;
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::{DType, Graph, NodeId, Op};

/// The running value's dtype.
fn acc_dtype(dt: DType) -> DType {
    if dt.is_float() {
        DType::F64
    } else {
        dt
    }
}

fn axis_of(c: Option<Vec<i64>>) -> Option<i64> {
    match c.as_deref() {
        Some([a]) => Some(*a),
        _ => None,
    }
}

pub fn scratch_bytes(g: &Graph, id: NodeId) -> usize {
    let Some((shape, dt)) = lanes::input_type(g, id, 0) else { return 0 };
    let Some(axis) = axis_of(lanes::input_const(g, id, 1)) else { return 0 };
    match lanes::split_at_axis(&shape, axis) {
        Some((_, _, inner)) if inner > 1 => Carver::bytes(&[(inner, acc_dtype(dt))]),
        _ => 0,
    }
}

struct Scan {
    x: View,
    y: View,
    dt: DType,
    s: Scalar,
    n: usize,
    prod: bool,
    exclusive: bool,
    reverse: bool,
}

impl Scan {
    fn acc_ty(&self) -> String {
        if self.s.is_float() {
            "f64".into()
        } else {
            self.s.ty()
        }
    }

    fn init(&self, f: &mut Func) -> String {
        let v = if self.prod { 1 } else { 0 };
        if self.s.is_float() {
            f.fconst(v as f64, Scalar::Float(64))
        } else {
            f.iconst(v, self.s)
        }
    }

    fn step(&self, f: &mut Func, a: &str, x: &str) -> String {
        let (op, t, v) = if self.s.is_float() {
            (if self.prod { "mulf" } else { "addf" }, "f64".to_string(), to_f64(f, x, self.dt))
        } else {
            (if self.prod { "muli" } else { "addi" }, self.s.ty(), x.to_string())
        };
        f.op(format!("arith.{op} {a}, {v} : {t}"))
    }

    fn out(&self, f: &mut Func, a: &str) -> String {
        if self.s.is_float() {
            lanes::from_f64(f, a, self.dt)
        } else {
            a.to_string()
        }
    }

    /// The lane position of step `k`.
    fn pos(&self, f: &mut Func, k: &str) -> String {
        if self.reverse {
            let last = f.idx(self.n - 1);
            f.op(format!("arith.subi {last}, {k} : index"))
        } else {
            k.to_string()
        }
    }

    /// Consume x at `at`: returns the new running value, storing the output.
    fn visit(&self, f: &mut Func, a: &str, at: &[String]) -> String {
        let v = self.x.load(f, at);
        let next = self.step(f, a, &v);
        let shown = if self.exclusive { a } else { &next };
        let o = self.out(f, shown);
        self.y.store(f, &o, at);
        next
    }
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let (exclusive, reverse, prod) = match k.node.op {
        Op::CumSum { exclusive, reverse } => (exclusive, reverse, false),
        Op::CumProd { exclusive, reverse } => (exclusive, reverse, true),
        _ => unreachable!(),
    };
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    let s = match Scalar::of(x.dt) {
        Some(s @ (Scalar::Float(_) | Scalar::Int { .. })) => s,
        _ => return k.unsupported(format!("{} of {}", k.node.op.name(), x.dt)),
    };
    let Some(axis) = axis_of(k.const_i64(1, "axis")?) else {
        return k.unsupported("axis must be one constant value");
    };
    let ax = match ir::norm_axis(axis, x.shape.len()) {
        Ok(a) => a,
        Err(e) => return k.unsupported(e),
    };
    let (xv, outer, n, inner) = lanes::around_axis(&mut k.f, &x, ax);
    let yv = lanes::view(&mut k.f, &y, &[outer, n, inner]);
    if outer * n * inner == 0 {
        return Ok(());
    }
    let sc = Scan { x: xv, y: yv, dt: x.dt, s, n, prod, exclusive, reverse };
    if inner == 1 {
        lanes::nest(&mut k.f, &[outer], &mut |f, o| {
            let c0 = f.idx(0);
            let init = sc.init(f);
            f.for_iter(0, n, 1, &[(init, sc.acc_ty())], |f, kk, c| {
                let p = sc.pos(f, kk);
                vec![sc.visit(f, &c[0], &[o[0].clone(), p, c0.clone()])]
            });
        });
        return Ok(());
    }
    let mut c = Carver::new(k.scratch.clone());
    let Some(row) = c.take(&mut k.f, &[inner], acc_dtype(x.dt)) else {
        return k.unsupported("the running row was not planned (scratch too small)");
    };
    lanes::nest(&mut k.f, &[outer], &mut |f, o| {
        f.for_range(0, inner, |f, i| {
            let init = sc.init(f);
            row.store(f, &init, &[i.to_string()]);
        });
        f.for_range(0, n, |f, kk| {
            let p = sc.pos(f, kk);
            f.for_range(0, inner, |f, i| {
                let a = row.load(f, &[i.to_string()]);
                let next = sc.visit(f, &a, &[o[0].clone(), p.clone(), i.to_string()]);
                row.store(f, &next, &[i.to_string()]);
            });
        });
    });
    Ok(())
}
