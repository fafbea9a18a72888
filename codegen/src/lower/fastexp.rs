//! exp(d) for softmax, in f32 with plain arith ops so LLVM vectorizes the loops around it
//! (`math.exp` becomes one scalar libm call per element). Cephes' expf: d = n·ln2 + r with
//! |r| ≤ ln2/2 (n rounded with the 1.5·2^23 trick, ln2 split in two so n·C1 is exact), a
//! degree-5 polynomial for e^r (multiply-adds fused), and 2^n from exponent bits: within 2 ulp
//! of the correctly rounded value. Results below 2^-126 (d < -87.34) are flushed to 0, off by
//! less than 1.2e-38.
//!
//! Its overflow mimics f64, the type the interpreter computes softmax in: the result is +inf
//! only above ln(f64::MAX) (or for +inf), and the largest finite f32 above 88. Softmax only
//! sees d > 0 when the row max is +inf (the shift is then 0), where every finite exponential
//! must divide the infinite sum to 0 and only those that overflow f64 give NaN.

use crate::mlir::{Func, Scalar};

const LOG2E: f64 = std::f64::consts::LOG2_E;
const C1: f64 = 0.693_359_375;
const C2: f64 = -2.121_944_400_546_905_8e-4;
/// Cephes expf coefficients, highest degree first.
const P: [f64; 6] = [1.987_569_15e-4, 1.398_199_950_7e-3, 8.333_451_907_3e-3, 4.166_579_589_4e-2, 1.666_666_545_9e-1, 5.000_000_120_1e-1];
/// 1.5·2^23: adding it rounds to an integer held in the low mantissa bits.
const MAGIC: f64 = 12_582_912.0;
/// Clamp above (n ≤ 127); larger inputs give f32::MAX or +inf by the selects.
const HIGH: f64 = 88.0;
/// Clamp below (n ≥ -126); smaller inputs give 0.
const LOW: f64 = -87.336_544_750_553_1;
/// Above: the f64 result overflows.
const F64_OVERFLOW: f64 = 709.782_712_893_384;

/// exp(d) for an f32 `d` (see the module doc for the range conventions).
pub fn exp_f32(f: &mut Func, d: &str) -> String {
    let s = Scalar::Float(32);
    let mut c = |v: f64| f.fconst(v, s);
    let (lo, hi, l2e, magic, c1, c2) = (c(LOW), c(HIGH), c(LOG2E), c(MAGIC), c(C1), c(C2));
    let p: Vec<String> = P.iter().map(|&v| c(v)).collect();
    let (one, zero, max, inf, f64o) = (c(1.0), c(0.0), c(f32::MAX as f64), c(f64::INFINITY), c(F64_OVERFLOW));
    // `contract` lets LLVM fuse the multiply-adds (more accurate, not less).
    let op = |f: &mut Func, o: &str, a: &str, b: &str| {
        let fm = if matches!(o, "mulf" | "addf" | "subf") { " fastmath<contract>" } else { "" };
        f.op(format!("arith.{o} {a}, {b}{fm} : f32"))
    };
    let sel = |f: &mut Func, pred: &str, a: &str, b: &str, t: &str, e: &str| {
        let c = f.op(format!("arith.cmpf {pred}, {a}, {b} : f32"));
        f.op(format!("arith.select {c}, {t}, {e} : f32"))
    };
    // Clamp. A NaN stays NaN through the arithmetic and the last select returns d for it.
    let x = sel(f, "ogt", d, &hi, &hi, d);
    let x = sel(f, "olt", d, &lo, &lo, &x);
    let t = op(f, "mulf", &x, &l2e);
    let t = op(f, "addf", &t, &magic);
    let n = op(f, "subf", &t, &magic);
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
    // 2^n: t's bits are bits(MAGIC) + n; move n + 127 into the exponent field (wrapping).
    let tb = f.op(format!("arith.bitcast {t} : f32 to i32"));
    let k = f.cst((127i64 - (MAGIC as f32).to_bits() as i64).to_string(), "i32");
    let sh = f.cst("23", "i32");
    let e = f.op(format!("arith.addi {tb}, {k} : i32"));
    let e = f.op(format!("arith.shli {e}, {sh} : i32"));
    let sc = f.op(format!("arith.bitcast {e} : i32 to f32"));
    let y = op(f, "mulf", &y, &sc);
    let y = sel(f, "olt", d, &lo, &zero, &y);
    let y = sel(f, "ogt", d, &hi, &max, &y);
    let y = sel(f, "ogt", d, &f64o, &inf, &y);
    sel(f, "uno", d, d, d, &y)
}
