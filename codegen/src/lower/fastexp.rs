//! exp(d) for softmax, in f32 with plain arith ops so LLVM vectorizes the loops around it
//! (`math.exp` becomes one scalar libm call per element). Cephes' expf: d = n·ln2 + r with
//! |r| ≤ ln2/2 (ln2 split in two constants so n·C1 is exact), a degree-5 polynomial for e^r,
//! and 2^n built from exponent bits in two halves so subnormal results come out too; within
//! 2 ulp of the correctly rounded value.
//!
//! Its overflow mimics f64, the type the interpreter computes softmax in: the result is +inf
//! only above ln(f64::MAX) (or for +inf), and the largest finite f32 in between. Softmax only
//! sees d > 0 when the row max is +inf (the shift is then 0), where every finite exponential
//! must divide the infinite sum to 0 and only those that overflow f64 give NaN.

use crate::mlir::{Func, Scalar};

const LOG2E: f64 = std::f64::consts::LOG2_E;
const C1: f64 = 0.693_359_375;
const C2: f64 = -2.121_944_400_546_905_8e-4;
/// Cephes expf coefficients, highest degree first.
const P: [f64; 6] = [1.987_569_15e-4, 1.398_199_950_7e-3, 8.333_451_907_3e-3, 4.166_579_589_4e-2, 1.666_666_545_9e-1, 5.000_000_120_1e-1];
/// Above: the f32 result overflows (f32 ln(MAX)).
const F32_OVERFLOW: f64 = 88.722_839_05;
/// Above: the f64 result overflows.
const F64_OVERFLOW: f64 = 709.782_712_893_384;
/// Clamp below: p(r)·2^-150 with r ≈ -0.028 rounds to 0, so smaller inputs (and -inf) give 0
/// without a select.
const LOW: f64 = -104.0;

/// exp(d) for an f32 `d` (see the module doc for the range conventions).
pub fn exp_f32(f: &mut Func, d: &str) -> String {
    let s = Scalar::Float(32);
    let mut c = |v: f64| f.fconst(v, s);
    let (lo, hi, l2e, half, c1, c2) = (c(LOW), c(F32_OVERFLOW + 0.5), c(LOG2E), c(0.5), c(C1), c(C2));
    let p: Vec<String> = P.iter().map(|&v| c(v)).collect();
    let (one, max, inf, f64o, f32o) = (c(1.0), c(f32::MAX as f64), c(f64::INFINITY), c(F64_OVERFLOW), c(F32_OVERFLOW));
    // `contract` lets LLVM fuse the polynomial's multiply-adds (more accurate, not less).
    let op = |f: &mut Func, o: &str, a: &str, b: &str| {
        let fm = if matches!(o, "mulf" | "addf" | "subf") { " fastmath<contract>" } else { "" };
        f.op(format!("arith.{o} {a}, {b}{fm} : f32"))
    };
    let sel = |f: &mut Func, pred: &str, a: &str, b: &str, t: &str, e: &str| {
        let c = f.op(format!("arith.cmpf {pred}, {a}, {b} : f32"));
        f.op(format!("arith.select {c}, {t}, {e} : f32"))
    };
    // Clamp. A NaN stays NaN (the integer conversion below is then poison), and the last select
    // returns d itself for it, so no lane ever uses that value.
    let x = sel(f, "ogt", d, &hi, &hi, d);
    let x = sel(f, "olt", d, &lo, &lo, &x);
    let t = op(f, "mulf", &x, &l2e);
    let t = op(f, "addf", &t, &half);
    let n = f.op(format!("math.floor {t} : f32"));
    let r = op(f, "mulf", &n, &c1);
    let r = op(f, "subf", &x, &r);
    let r2 = op(f, "mulf", &n, &c2);
    let r = op(f, "subf", &r, &r2);
    let rr = op(f, "mulf", &r, &r);
    let mut y = p[0].clone();
    for k in &p[1..] {
        y = op(f, "mulf", &y, &r);
        y = op(f, "addf", &y, k);
    }
    let y = op(f, "mulf", &y, &rr);
    let y = op(f, "addf", &y, &r);
    let y = op(f, "addf", &y, &one);
    // 2^n = 2^a · 2^b with a = n >> 1, b = n - a, each a normal f32 (n ∈ [-150, 129]).
    let ni = f.op(format!("arith.fptosi {n} : f32 to i32"));
    let one_i = f.cst("1", "i32");
    let a = f.op(format!("arith.shrsi {ni}, {one_i} : i32"));
    let b = f.op(format!("arith.subi {ni}, {a} : i32"));
    let (bias, sh) = (f.cst("127", "i32"), f.cst("23", "i32"));
    let mut y = y;
    for e in [a, b] {
        let e = f.op(format!("arith.addi {e}, {bias} : i32"));
        let e = f.op(format!("arith.shli {e}, {sh} : i32"));
        let sc = f.op(format!("arith.bitcast {e} : i32 to f32"));
        y = op(f, "mulf", &y, &sc);
    }
    let y = sel(f, "ogt", d, &f32o, &max, &y);
    let y = sel(f, "ogt", d, &f64o, &inf, &y);
    sel(f, "uno", d, d, d, &y)
}
