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
    exp_in(f, d, None, true)
}

/// exp(d) lane-wise for a `vector<VLxf32>` `d` whose lanes are ≤ 0 or NaN (a softmax shift
/// x − max): the clamp and selects above 0 are left out.
pub fn exp_nonpos_vec(f: &mut Func, d: &str, vl: usize) -> String {
    exp_in(f, d, Some(vl), false)
}

fn exp_in(f: &mut Func, d: &str, lanes: Option<usize>, above_zero: bool) -> String {
    let s = Scalar::Float(32);
    let (fty, ity) = match lanes {
        None => ("f32".to_string(), "i32".to_string()),
        Some(n) => (format!("vector<{n}xf32>"), format!("vector<{n}xi32>")),
    };
    let (fty, ity) = (fty.as_str(), ity.as_str());
    let mut c = |v: f64| match lanes {
        None => f.fconst(v, s),
        Some(_) => f.cst(format!("dense<0x{:08X}>", (v as f32).to_bits()), fty),
    };
    let (lo, hi, l2e, magic, c1, c2) = (c(LOW), c(HIGH), c(LOG2E), c(MAGIC), c(C1), c(C2));
    let p: Vec<String> = P.iter().map(|&v| c(v)).collect();
    let (one, zero, max, inf, f64o) = (c(1.0), c(0.0), c(f32::MAX as f64), c(f64::INFINITY), c(F64_OVERFLOW));
    // `contract` lets LLVM fuse the multiply-adds (more accurate, not less).
    let op = |f: &mut Func, o: &str, a: &str, b: &str| {
        let fm = if matches!(o, "mulf" | "addf" | "subf") { " fastmath<contract>" } else { "" };
        f.op(format!("arith.{o} {a}, {b}{fm} : {fty}"))
    };
    let sel = |f: &mut Func, pred: &str, a: &str, b: &str, t: &str, e: &str| {
        let c = f.op(format!("arith.cmpf {pred}, {a}, {b} : {fty}"));
        let cty = fty.replace("f32", "i1");
        let sel_ty = if lanes.is_some() { format!("{cty}, {fty}") } else { fty.to_string() };
        f.op(format!("arith.select {c}, {t}, {e} : {sel_ty}"))
    };
    // Clamp. A NaN stays NaN through the arithmetic and the last select returns d for it.
    let x = if above_zero { sel(f, "ogt", d, &hi, &hi, d) } else { d.to_string() };
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
    let tb = f.op(format!("arith.bitcast {t} : {fty} to {ity}"));
    let kbits = 127i64 - (MAGIC as f32).to_bits() as i64;
    let (k, sh) = match lanes {
        None => (f.cst(kbits.to_string(), ity), f.cst("23", ity)),
        Some(_) => (f.cst(format!("dense<{kbits}>"), ity), f.cst("dense<23>", ity)),
    };
    let e = f.op(format!("arith.addi {tb}, {k} : {ity}"));
    let e = f.op(format!("arith.shli {e}, {sh} : {ity}"));
    let sc = f.op(format!("arith.bitcast {e} : {ity} to {fty}"));
    let y = op(f, "mulf", &y, &sc);
    let y = sel(f, "olt", d, &lo, &zero, &y);
    if !above_zero {
        return y;
    }
    let y = sel(f, "ogt", d, &hi, &max, &y);
    let y = sel(f, "ogt", d, &f64o, &inf, &y);
    sel(f, "uno", d, d, d, &y)
}
