//! RotaryEmbedding: y = x, then each rotated pair (x1, x2) of the first `rotary_dim` features
//! of every head becomes (c·x1 − s·x2, s·x1 + c·x2) with c, s from the caches at the token's
//! position (given by position_ids, clamped into the cache, or the token's own index).

use super::Kernel;
use crate::error::Result;
use crate::mlir::Func;
use ir::Op;

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::RotaryEmbedding { interleaved, rotary_dim, num_heads } = k.node.op.clone() else { unreachable!() };
    let x = k.input(0)?.clone();
    let (cos, sin) = (k.input(1)?.clone(), k.input(2)?.clone());
    let pos = k.ins.get(3).cloned().flatten();
    let y = k.outs[0].clone();
    let (b, s, nh, hs, four_d) = match x.shape[..] {
        [b, nh, s, hs] => (b, s, nh, hs, true),
        [b, s, hidden] if num_heads > 0 && hidden % num_heads == 0 => (b, s, num_heads, hidden / num_heads, false),
        _ => return k.unsupported(format!("x of shape {:?}", x.shape)),
    };
    let rd = if rotary_dim == 0 { hs } else { rotary_dim };
    if rd > hs || rd % 2 != 0 {
        return k.unsupported(format!("rotary_dim {rd} with head size {hs}"));
    }
    let half = rd / 2;
    let rows = cos.shape.first().copied().unwrap_or(0);
    if pos.is_some() && rows == 0 {
        return k.unsupported("empty caches");
    }
    let f = &mut k.f;
    f.line(format!("memref.copy {}, {} : {} to {}", x.mem, y.mem, x.mty, y.mty));
    if half == 0 {
        return Ok(());
    }
    f.nest(&[b, s], |f, bs| {
        let (bi, si) = (bs[0].clone(), bs[1].clone());
        // Cache row of this token.
        let cache_idx = |i: &str| -> Vec<String> {
            match &pos {
                Some(_) => vec![String::new(), i.to_string()],
                None => vec![bi.clone(), si.clone(), i.to_string()],
            }
        };
        let row = pos.as_ref().map(|p| {
            let raw = f.op(format!("memref.load {}[{bi}, {si}] : {}", p.mem, p.mty));
            let w = crate::mlir::elem_type(p.dt).unwrap_or("i64");
            let i = f.op(format!("arith.index_cast {raw} : {w} to index"));
            // Clamp into [0, rows): the interpreter rejects out-of-range ids; compiled code
            // cannot return an error from inside a kernel.
            let hi = f.idx(rows - 1);
            let z = f.idx(0);
            let zw = f.cst("0", w);
            let neg = f.op(format!("arith.cmpi slt, {raw}, {zw} : {w}"));
            let i = f.op(format!("arith.minui {i}, {hi} : index"));
            f.op(format!("arith.select {neg}, {z}, {i} : index"))
        });
        f.nest(&[nh, half], |f, hi| {
            let (h, i) = (hi[0].clone(), hi[1].clone());
            let mut ci = cache_idx(&i);
            if let Some(r) = &row {
                ci[0] = r.clone();
            }
            let c = f.load(&cos.mem, &cos.mty, &ci, cos.dt);
            let sn = f.load(&sin.mem, &sin.mty, &ci, sin.dt);
            let (o1, o2) = if interleaved {
                let two = f.idx(2);
                let a = f.op(format!("arith.muli {i}, {two} : index"));
                let one = f.idx(1);
                let b2 = f.op(format!("arith.addi {a}, {one} : index"));
                (a, b2)
            } else {
                let hc = f.idx(half);
                (i.clone(), f.op(format!("arith.addi {i}, {hc} : index")))
            };
            let at = |f: &mut Func, o: &str| -> Vec<String> {
                if four_d {
                    vec![bi.clone(), h.clone(), si.clone(), o.to_string()]
                } else {
                    let hsc = f.idx(hs);
                    let base = f.op(format!("arith.muli {h}, {hsc} : index"));
                    vec![bi.clone(), si.clone(), f.op(format!("arith.addi {base}, {o} : index"))]
                }
            };
            let (i1, i2) = (at(f, &o1), at(f, &o2));
            let x1 = f.load(&x.mem, &x.mty, &i1, x.dt);
            let x2 = f.load(&x.mem, &x.mty, &i2, x.dt);
            let a = f.op(format!("arith.mulf {c}, {x1} : f32"));
            let bb = f.op(format!("arith.mulf {sn}, {x2} : f32"));
            let y1 = f.op(format!("arith.subf {a}, {bb} : f32"));
            let a = f.op(format!("arith.mulf {sn}, {x1} : f32"));
            let bb = f.op(format!("arith.mulf {c}, {x2} : f32"));
            let y2 = f.op(format!("arith.addf {a}, {bb} : f32"));
            f.store(&y1, &y.mem, &y.mty, &i1, y.dt);
            f.store(&y2, &y.mem, &y.mty, &i2, y.dt);
        });
    });
    Ok(())
}
