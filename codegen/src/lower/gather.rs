//! Gather, GatherElements and GatherNd as loop nests over the output that read their indices
//! at run time. Negative indices wrap like the interpreter; out-of-range indices, which the
//! interpreter rejects, are clamped into range (a kernel cannot report errors yet).

use super::loops::load_index;
use super::operands::axis_of;
use super::Kernel;
use crate::error::Result;
use ir::Op;

/// y[pre, idx…, post] = x[pre, wrap(indices[idx…]), post].
pub fn gather(k: &mut Kernel) -> Result<()> {
    let Op::Gather { axis } = k.node.op else { unreachable!() };
    let (x, ind, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
    let a = axis_of(k, axis, x.shape.len())?;
    let q = ind.shape.len();
    if y.shape.len() != x.shape.len() - 1 + q {
        return k.unsupported("output rank does not match data and indices");
    }
    if y.numel() == 0 {
        return Ok(());
    }
    let d = x.shape[a];
    if d == 0 {
        return k.unsupported("gather from an empty axis");
    }
    // Outer loops over (pre, idx…) read the index once; the inner nest copies a contiguous row.
    let outer = y.shape[..a + q].to_vec();
    let inner = y.shape[a + q..].to_vec();
    k.f.nest(&outer, |f, ov| {
        let j = load_index(f, &ind.mem, &ind.mty, &ov[a..], ind.dt, d);
        f.nest(&inner, |f, iv| {
            let mut xi: Vec<String> = ov[..a].to_vec();
            xi.push(j.clone());
            xi.extend(iv.iter().cloned());
            let mut yi = ov.to_vec();
            yi.extend(iv.iter().cloned());
            let v = f.op(format!("memref.load {}[{}] : {}", x.mem, xi.join(", "), x.mty));
            f.line(format!("memref.store {v}, {}[{}] : {}", y.mem, yi.join(", "), y.mty));
        });
    });
    Ok(())
}

/// y[p] = x[p with p[axis] replaced by wrap(indices[p])].
pub fn gather_elements(k: &mut Kernel) -> Result<()> {
    let Op::GatherElements { axis } = k.node.op else { unreachable!() };
    let (x, ind, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
    let r = x.shape.len();
    let a = axis_of(k, axis, r)?;
    if ind.shape.len() != r || y.shape != ind.shape {
        return k.unsupported("indices must have the rank of data and the shape of the output");
    }
    if (0..r).any(|i| i != a && ind.shape[i] > x.shape[i]) {
        return k.unsupported("indices exceed data off the axis");
    }
    if y.numel() == 0 {
        return Ok(());
    }
    let d = x.shape[a];
    if d == 0 {
        return k.unsupported("gather from an empty axis");
    }
    k.f.nest(&y.shape.clone(), |f, ivs| {
        let j = load_index(f, &ind.mem, &ind.mty, ivs, ind.dt, d);
        let mut xi = ivs.to_vec();
        xi[a] = j;
        let v = f.op(format!("memref.load {}[{}] : {}", x.mem, xi.join(", "), x.mty));
        f.line(format!("memref.store {v}, {}[{}] : {}", y.mem, ivs.join(", "), y.mty));
    });
    Ok(())
}

/// y[batch…, tuple…, chunk…] = x[batch…, wrap(indices[batch…, tuple…, 0..m])…, chunk…].
pub fn gather_nd(k: &mut Kernel) -> Result<()> {
    let Op::GatherNd { batch_dims: b } = k.node.op else { unreachable!() };
    let (x, ind, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
    let (r, q) = (x.shape.len(), ind.shape.len());
    if q == 0 || r == 0 || b >= r.min(q) {
        return k.unsupported("batch_dims needs data and indices of larger rank");
    }
    let m = ind.shape[q - 1];
    if m < 1 || b + m > r || y.shape.len() != q - 1 + r - b - m {
        return k.unsupported(format!("index tuples of length {m} do not fit data {:?}", x.shape));
    }
    if (0..b).any(|i| ind.shape[i] != x.shape[i]) {
        return k.unsupported("batch dims of indices and data differ");
    }
    if y.numel() == 0 {
        return Ok(());
    }
    if x.shape[b..b + m].contains(&0) {
        return k.unsupported("gather from an empty axis");
    }
    // Outer loops over the index tuples resolve them once; the inner nest copies a chunk.
    let chunk = y.shape[q - 1..].to_vec();
    k.f.nest(&y.shape[..q - 1], |f, lead| {
        let mut xi: Vec<String> = lead[..b].to_vec();
        for j in 0..m {
            let mut ii = lead.to_vec();
            ii.push(f.idx(j));
            xi.push(load_index(f, &ind.mem, &ind.mty, &ii, ind.dt, x.shape[b + j]));
        }
        f.nest(&chunk, |f, cv| {
            let mut xa = xi.clone();
            xa.extend(cv.iter().cloned());
            let mut ya = lead.to_vec();
            ya.extend(cv.iter().cloned());
            let v = f.op(format!("memref.load {}[{}] : {}", x.mem, xa.join(", "), x.mty));
            f.line(format!("memref.store {v}, {}[{}] : {}", y.mem, ya.join(", "), y.mty));
        });
    });
    Ok(())
}
