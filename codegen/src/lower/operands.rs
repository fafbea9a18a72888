//! Reading a node's operands for the kernels of the shape and index families: attribute axes
//! normalised against a rank, and one-element operands (scalars or shape [1]) loaded at run
//! time so that constant and computed operands take the same path.

use super::{Kernel, Operand};
use crate::error::Result;
use crate::mlir::Func;

/// Normalise a possibly negative axis of a rank-`rank` tensor, or an error naming the node.
pub fn axis_of(k: &Kernel, axis: i64, rank: usize) -> Result<usize> {
    match ir::norm_axis(axis, rank) {
        Ok(a) => Ok(a),
        Err(e) => k.unsupported(format!("axis {axis}: {e}")),
    }
}

/// Load the first element of a one-element operand as its compute scalar.
pub fn load_scalar(f: &mut Func, o: &Operand) -> String {
    let zeros: Vec<String> = o.shape.iter().map(|_| f.idx(0)).collect();
    f.load(&o.mem, &o.mty, &zeros, o.dt)
}

/// Check that an operand holds exactly one element.
pub fn one_element(k: &Kernel, o: &Operand, what: &str) -> Result<()> {
    if o.numel() != 1 {
        return k.unsupported(format!("{what} must hold one element, got shape {:?}", o.shape));
    }
    Ok(())
}
