//! TopK along one axis by insertion: each lane's output row is kept sorted while the lane is
//! scanned in index order; an element moves in front only of strictly worse ones, so equal
//! values keep index order (the interpreter's stable sort). NaN counts as the largest value.
//! k comes from the static output shape. O(n·k) per lane, no scratch memory.

use super::loops::{for_iter_dyn, if_else, if_then, if_then_else};
use super::operands::axis_of;
use super::{Kernel, Operand};
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::Op;

/// `a` comes strictly before `b` in the output order.
fn better(f: &mut Func, a: &str, b: &str, s: Scalar, largest: bool) -> String {
    let t = s.ty();
    match s {
        Scalar::Float(_) => {
            let na = f.op(format!("arith.cmpf uno, {a}, {a} : {t}"));
            let nb = f.op(format!("arith.cmpf uno, {b}, {b} : {t}"));
            let tr = f.cst("1", "i1");
            let (p, q) = if largest { (na.clone(), nb.clone()) } else { (nb.clone(), na.clone()) };
            let nq = f.op(format!("arith.xori {q}, {tr} : i1"));
            let nan_order = f.op(format!("arith.andi {p}, {nq} : i1"));
            let c = f.op(format!("arith.cmpf {}, {a}, {b} : {t}", if largest { "ogt" } else { "olt" }));
            f.op(format!("arith.ori {nan_order}, {c} : i1"))
        }
        Scalar::Int { signed, .. } => {
            let p = match (largest, signed) {
                (true, true) => "sgt",
                (true, false) => "ugt",
                (false, true) => "slt",
                (false, false) => "ult",
            };
            f.op(format!("arith.cmpi {p}, {a}, {b} : {t}"))
        }
        Scalar::Bool => f.cst("0", "i1"),
    }
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::TopK { axis, largest, .. } = k.node.op else { unreachable!() };
    let x = k.input(0)?.clone();
    let (yv, yi) = (k.outs[0].clone(), k.outs[1].clone());
    let r = x.shape.len();
    let a = axis_of(k, axis, r)?;
    let kk = yv.shape[a];
    let n = x.shape[a];
    let s = match Scalar::of(x.dt) {
        Some(s @ (Scalar::Float(_) | Scalar::Int { .. })) => s,
        _ => return k.unsupported(format!("TopK of {}", x.dt)),
    };
    if kk > n || yi.shape != yv.shape {
        return k.unsupported(format!("k = {kk} exceeds the axis size {n}"));
    }
    if yv.numel() == 0 {
        return Ok(());
    }
    let outer: Vec<usize> = x.shape.iter().enumerate().filter(|&(i, _)| i != a).map(|(_, &d)| d).collect();
    k.f.nest(&outer, |f, ivs| {
        let at = |pos: &str| -> Vec<String> {
            let mut v = ivs[..a].to_vec();
            v.push(pos.to_string());
            v.extend(ivs[a..].iter().cloned());
            v
        };
        let lane = Lane { yv: &yv, yi: &yi, s, largest };
        let (zero, nn) = (f.idx(0), f.idx(n));
        let z = f.idx(0);
        for_iter_dyn(f, &zero, &nn, &[(z, "index".into())], |f, j, c| {
            let cnt = &c[0];
            let v = f.load(&x.mem, &x.mty, &at(j), x.dt);
            let kc = f.idx(kk);
            let last = f.idx(kk - 1);
            let not_full = f.op(format!("arith.cmpi ult, {cnt}, {kc} : index"));
            if_then_else(
                f,
                &not_full,
                |f| lane.insert(f, &at, cnt, &v, j),
                |f| {
                    let lv = f.load(&yv.mem, &yv.mty, &at(&last), yv.dt);
                    let b = better(f, &v, &lv, s, largest);
                    if_then(f, &b, |f| lane.insert(f, &at, &last, &v, j));
                },
            );
            let one = f.idx(1);
            let c1 = f.op(format!("arith.addi {cnt}, {one} : index"));
            vec![f.op(format!("arith.minui {c1}, {kc} : index"))]
        });
    });
    Ok(())
}

struct Lane<'a> {
    yv: &'a Operand,
    yi: &'a Operand,
    s: Scalar,
    largest: bool,
}

impl Lane<'_> {
    /// Insert value `v` (source index `j`) at or before slot `from`, shifting worse entries.
    fn insert(&self, f: &mut Func, at: &dyn Fn(&str) -> Vec<String>, from: &str, v: &str, j: &str) {
        let (yv, yi) = (self.yv, self.yi);
        let q = f.fresh();
        let qa = f.fresh();
        let p = f.fresh();
        f.line(format!("{p} = scf.while ({q} = {from}) : (index) -> index {{"));
        f.enter();
        let zero = f.idx(0);
        let pos = f.op(format!("arith.cmpi ugt, {q}, {zero} : index"));
        let c = if_else(
            f,
            &pos,
            &["i1".to_string()],
            |f| {
                let one = f.idx(1);
                let q1 = f.op(format!("arith.subi {q}, {one} : index"));
                let prev = f.load(&yv.mem, &yv.mty, &at(&q1), yv.dt);
                vec![better(f, v, &prev, self.s, self.largest)]
            },
            |f| vec![f.cst("0", "i1")],
        );
        f.line(format!("scf.condition({}) {q} : index", c[0]));
        f.leave();
        f.line("} do {");
        f.line(format!("^bb0({qa}: index):"));
        f.enter();
        let one = f.idx(1);
        let q1 = f.op(format!("arith.subi {qa}, {one} : index"));
        let pv = f.op(format!("memref.load {}[{}] : {}", yv.mem, at(&q1).join(", "), yv.mty));
        f.line(format!("memref.store {pv}, {}[{}] : {}", yv.mem, at(&qa).join(", "), yv.mty));
        let pi = f.op(format!("memref.load {}[{}] : {}", yi.mem, at(&q1).join(", "), yi.mty));
        f.line(format!("memref.store {pi}, {}[{}] : {}", yi.mem, at(&qa).join(", "), yi.mty));
        f.line(format!("scf.yield {q1} : index"));
        f.leave();
        f.line("}");
        f.store(v, &yv.mem, &yv.mty, &at(&p), yv.dt);
        let ji = f.op(format!("arith.index_cast {j} : index to i64"));
        f.line(format!("memref.store {ji}, {}[{}] : {}", yi.mem, at(&p).join(", "), yi.mty));
    }
}
