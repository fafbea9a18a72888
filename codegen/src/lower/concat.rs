//! Concat (each input copied into its slab of the output through a strided subview) and Split
//! (each output copied from its slab of the input). Piece sizes come from the static shapes, so
//! Split's sizes operand need not be a compile-time constant.

use super::operands::axis_of;
use super::view::{copy_same, subview};
use super::Kernel;
use crate::error::Result;
use ir::Op;

pub fn concat(k: &mut Kernel) -> Result<()> {
    let Op::Concat { axis } = k.node.op else { unreachable!() };
    let out = k.outs[0].clone();
    let rank = out.shape.len();
    if rank == 0 {
        return k.unsupported("concat of scalars");
    }
    let a = axis_of(k, axis, rank)?;
    let ins: Vec<_> = k.ins.iter().flatten().cloned().collect();
    let total: usize = ins.iter().map(|i| i.shape.get(a).copied().unwrap_or(0)).sum();
    if total != out.shape[a] || ins.iter().any(|i| i.shape.len() != rank || i.dt != out.dt) {
        return k.unsupported("inputs do not match the output shape");
    }
    let mut off = 0;
    for i in &ins {
        let len = i.shape[a];
        if i.numel() > 0 {
            let mut offsets = vec![0; rank];
            offsets[a] = off;
            let (v, vt) = subview(&mut k.f, &out.mem, &out.mty, &out.shape, out.dt, &offsets, &i.shape);
            copy_same(&mut k.f, (&i.mem, &i.mty), (&v, &vt), rank, out.dt);
        }
        off += len;
    }
    Ok(())
}

pub fn split(k: &mut Kernel) -> Result<()> {
    let Op::Split { axis, .. } = k.node.op else { unreachable!() };
    let x = k.input(0)?.clone();
    let rank = x.shape.len();
    let a = axis_of(k, axis, rank)?;
    let outs = k.outs.clone();
    let total: usize = outs.iter().map(|o| o.shape[a]).sum();
    if total != x.shape[a] {
        return k.unsupported(format!("pieces of {total} along axis {a} for an axis of {}", x.shape[a]));
    }
    let mut off = 0;
    for o in &outs {
        if o.numel() > 0 {
            let mut offsets = vec![0; rank];
            offsets[a] = off;
            let (v, vt) = subview(&mut k.f, &x.mem, &x.mty, &x.shape, x.dt, &offsets, &o.shape);
            copy_same(&mut k.f, (&v, &vt), (&o.mem, &o.mty), rank, x.dt);
        }
        off += o.shape[a];
    }
    Ok(())
}
