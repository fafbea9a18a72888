//! Data movement: copies (reshape-like ops whose result must land in another buffer) and
//! transposes.

use super::Kernel;
use crate::error::Result;
use crate::mlir::elem_type;
use ir::Op;

/// View a memref as 1-D of `n` elements.
pub fn flat(k: &mut Kernel, mem: &str, mty: &str, n: usize, e: &str) -> String {
    k.f.op(format!(
        "memref.reinterpret_cast {mem} to offset: [0], sizes: [{n}], strides: [1] : {mty} to memref<{n}x{e}>"
    ))
}

/// Copy input 0 into output 0 element by element in row-major order (same element count).
pub fn copy(k: &mut Kernel) -> Result<()> {
    let (i, o) = (k.input(0)?.clone(), k.outs[0].clone());
    let n = o.numel();
    if i.numel() != n {
        return k.unsupported(format!("copy of {} elements into {n}", i.numel()));
    }
    let e = elem_type(o.dt).unwrap_or("i8");
    let a = flat(k, &i.mem, &i.mty, n, e);
    let b = flat(k, &o.mem, &o.mty, n, e);
    k.f.line(format!("memref.copy {a}, {b} : memref<{n}x{e}> to memref<{n}x{e}>"));
    Ok(())
}

pub fn transpose(k: &mut Kernel) -> Result<()> {
    let Op::Transpose { perm } = &k.node.op else { unreachable!() };
    let (i, o) = (k.input(0)?.clone(), k.outs[0].clone());
    if i.shape.is_empty() {
        return copy(k);
    }
    let p: Vec<String> = perm.iter().map(|x| x.to_string()).collect();
    k.f.line(format!(
        "linalg.transpose ins({} : {}) outs({} : {}) permutation = [{}]",
        i.mem,
        i.mty,
        o.mem,
        o.mty,
        p.join(", ")
    ));
    Ok(())
}
