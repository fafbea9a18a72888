//! DepthToSpace (DCR and CRD) and SpaceToDepth: both memrefs are expanded to 6-D views
//! (`memref.expand_shape`, no copy) and one `linalg.transpose` moves the data, the same
//! reshape-permute-reshape recipe as the interpreter.

use super::Kernel;
use crate::error::Result;
use crate::mlir::elem_type;
use ir::Op;

fn dims(v: &[usize]) -> String {
    v.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
}

fn ty(v: &[usize], e: &str) -> String {
    let d: Vec<String> = v.iter().map(|d| d.to_string()).collect();
    format!("memref<{}x{e}>", d.join("x"))
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    if x.shape.len() != 4 || y.shape.len() != 4 {
        return k.unsupported(format!("input {:?} is not 4-D", x.shape));
    }
    let e = elem_type(x.dt).unwrap_or("i8");
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
    // (x view, its grouping, y view, its grouping, permutation)
    let depth_group = "[[0], [1, 2, 3], [4], [5]]";
    let space_group = "[[0], [1], [2, 3], [4, 5]]";
    let (xv, xg, yv, yg, perm): (Vec<usize>, &str, Vec<usize>, &str, [usize; 6]) = match k.node.op {
        Op::DepthToSpace { blocksize: b, crd } => {
            let c2 = y.shape[1];
            if b == 0 || c != c2 * b * b {
                return k.unsupported(format!("blocksize {b} for {c} channels"));
            }
            let yv = vec![n, c2, h, b, w, b];
            if crd {
                (vec![n, c2, b, b, h, w], depth_group, yv, space_group, [0, 1, 4, 2, 5, 3])
            } else {
                (vec![n, b, b, c2, h, w], depth_group, yv, space_group, [0, 3, 4, 1, 5, 2])
            }
        }
        Op::SpaceToDepth { blocksize: b } => {
            if b == 0 || h % b != 0 || w % b != 0 {
                return k.unsupported(format!("blocksize {b} for {h}x{w}"));
            }
            (vec![n, c, h / b, b, w / b, b], space_group, vec![n, b, b, c, h / b, w / b], depth_group, [0, 3, 5, 1, 2, 4])
        }
        _ => unreachable!(),
    };
    let (xt, yt) = (ty(&xv, e), ty(&yv, e));
    let f = &mut k.f;
    let x6 = f.op(format!("memref.expand_shape {} {xg} output_shape [{}] : {} into {xt}", x.mem, dims(&xv), x.mty));
    let y6 = f.op(format!("memref.expand_shape {} {yg} output_shape [{}] : {} into {yt}", y.mem, dims(&yv), y.mty));
    f.line(format!("linalg.transpose ins({x6} : {xt}) outs({y6} : {yt}) permutation = [{}]", dims(&perm)));
    Ok(())
}
