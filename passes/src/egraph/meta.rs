//! Meta functions: compile-time functions of constants that rule right-hand sides use to
//! compute attributes (see `MetaOp`). They never reach the IR.

use super::lang::MetaOp;
use ir::Tensor;
use std::sync::Arc;

/// The value of `m` applied to constant arguments; None when the arguments do not fit.
pub fn eval(m: MetaOp, args: &[Arc<Tensor>]) -> Option<Tensor> {
    match m {
        MetaOp::PermSwapLast => {
            let [p] = args else { return None };
            if p.shape().len() != 1 || !p.dtype().is_int() || p.len() < 2 {
                return None;
            }
            let mut v = p.to_i64_vec();
            let n = v.len();
            v.swap(n - 1, n - 2);
            Tensor::from_vec(&[n], v).ok()
        }
    }
}
