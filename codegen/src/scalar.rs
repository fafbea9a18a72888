//! Scalar semantics of elementwise ops as MLIR arith/math code, matching the interpreter
//! (`ir::ops::elementwise`): NaN-propagating max/min, C or Python modulo, integer division
//! by zero giving 0, out-of-range shifts giving 0. Used by every kernel that applies an
//! elementwise function (plain elementwise ops today, fused epilogues later).

use crate::mlir::{Func, Scalar};
use ir::{BinaryOp, DType, UnaryOp};

/// The reason an op/dtype pair has no scalar lowering.
pub type Why = String;

fn fty(s: Scalar) -> String {
    s.ty()
}

/// `select(c, a, b)`.
pub fn select(f: &mut Func, c: &str, a: &str, b: &str, s: Scalar) -> String {
    f.op(format!("arith.select {c}, {a}, {b} : {}", s.ty()))
}

pub fn cmpf(f: &mut Func, pred: &str, a: &str, b: &str, s: Scalar) -> String {
    f.op(format!("arith.cmpf {pred}, {a}, {b} : {}", fty(s)))
}

pub fn fbin(f: &mut Func, op: &str, a: &str, b: &str, s: Scalar) -> String {
    f.op(format!("arith.{op} {a}, {b} : {}", fty(s)))
}

pub fn math1(f: &mut Func, op: &str, a: &str, s: Scalar) -> String {
    f.op(format!("math.{op} {a} : {}", fty(s)))
}

/// 1 / (1 + exp(-x))
pub fn sigmoid(f: &mut Func, x: &str, s: Scalar) -> String {
    let one = f.fconst(1.0, s);
    let n = f.op(format!("arith.negf {x} : {}", s.ty()));
    let e = math1(f, "exp", &n, s);
    let d = fbin(f, "addf", &one, &e, s);
    fbin(f, "divf", &one, &d, s)
}

/// tanh: in f32 Cephes' tanhf, as plain arith so loops around it vectorize (`math.tanh`
/// becomes one libm call per element): an odd polynomial for |x| ≤ 0.625, else
/// 1 − 2 / (exp(2|x|) + 1) with the sign of x; within 2 ulp. NaN stays NaN. f64: `math.tanh`.
pub fn tanh(f: &mut Func, x: &str, s: Scalar) -> String {
    if s != Scalar::Float(32) {
        return math1(f, "tanh", x, s);
    }
    const P: [f64; 5] = [-5.704_988_727_45e-3, 2.063_908_879_54e-2, -5.373_971_555_31e-2, 1.333_144_220_36e-1, -3.333_328_194_22e-1];
    let c = |f: &mut Func, v: f64| f.fconst(v, s);
    let ax = math1(f, "absf", x, s);
    // Small |x|: x + x·z·P(z), z = x².
    let z = fbin(f, "mulf", x, x, s);
    let mut p = c(f, P[0]);
    for &k in &P[1..] {
        p = fbin(f, "mulf", &p, &z, s);
        let kc = c(f, k);
        p = fbin(f, "addf", &p, &kc, s);
    }
    let p = fbin(f, "mulf", &p, &z, s);
    let p = fbin(f, "mulf", &p, x, s);
    let small = fbin(f, "addf", &p, x, s);
    // Large |x|: 1 − 2 / (exp(2|x|) + 1), then the sign of x.
    let two = c(f, 2.0);
    let one = c(f, 1.0);
    let e = fbin(f, "mulf", &ax, &two, s);
    let e = crate::lower::exp_f32(f, &e);
    let d = fbin(f, "addf", &e, &one, s);
    let q = fbin(f, "divf", &two, &d, s);
    let big = fbin(f, "subf", &one, &q, s);
    let big = f.op(format!("math.copysign {big}, {x} : f32"));
    let lim = c(f, 0.625);
    let is_small = cmpf(f, "ole", &ax, &lim, s);
    // NaN: `ole` is false and `big` is NaN (exp of NaN is NaN).
    select(f, &is_small, &small, &big, s)
}

/// log(1 + u) accurate for tiny u (MLIR lowers `math.log1p` to log(1 + u), which loses the
/// digits of u below the unit's ulp): w = 1 + u; u when w = 1, else log(w) · u / (w − 1)
/// (Goldberg, "What every computer scientist should know about floating-point", thm. 4).
fn log1p(f: &mut Func, u: &str, s: Scalar) -> String {
    let one = f.fconst(1.0, s);
    let w = fbin(f, "addf", &one, u, s);
    let lw = math1(f, "log", &w, s);
    let d = fbin(f, "subf", &w, &one, s);
    let r = fbin(f, "divf", u, &d, s);
    let v = fbin(f, "mulf", &lw, &r, s);
    let exact = cmpf(f, "oeq", &w, &one, s);
    select(f, &exact, u, &v, s)
}

fn softplus(f: &mut Func, x: &str, s: Scalar) -> String {
    // max(x, 0) + log1p(exp(-|x|)): the stable form of log(1 + exp(x)).
    let zero = f.fconst(0.0, s);
    let ax = math1(f, "absf", x, s);
    let nax = f.op(format!("arith.negf {ax} : {}", s.ty()));
    let e = math1(f, "exp", &nax, s);
    let l = log1p(f, &e, s);
    let xp = fbin(f, "maximumf", x, &zero, s);
    fbin(f, "addf", &xp, &l, s)
}

/// Apply a unary op to a compute scalar of dtype `dt`.
pub fn unary(f: &mut Func, op: &UnaryOp, x: &str, dt: DType) -> Result<String, Why> {
    use UnaryOp::*;
    let s = Scalar::of(dt).ok_or_else(|| format!("dtype {dt} is not compilable"))?;
    let t = s.ty();
    if let Scalar::Float(_) = s {
        let c = |f: &mut Func, v: f64| f.fconst(v, s);
        return Ok(match op {
            Abs => math1(f, "absf", x, s),
            Neg => f.op(format!("arith.negf {x} : {t}")),
            Exp => math1(f, "exp", x, s),
            Log => math1(f, "log", x, s),
            Sqrt => math1(f, "sqrt", x, s),
            Reciprocal => {
                let one = c(f, 1.0);
                fbin(f, "divf", &one, x, s)
            }
            Floor => math1(f, "floor", x, s),
            Ceil => math1(f, "ceil", x, s),
            Round => math1(f, "roundeven", x, s),
            Sin => math1(f, "sin", x, s),
            Cos => math1(f, "cos", x, s),
            Tan => math1(f, "tan", x, s),
            Asin => math1(f, "asin", x, s),
            Acos => math1(f, "acos", x, s),
            Atan => math1(f, "atan", x, s),
            Sinh => math1(f, "sinh", x, s),
            Cosh => math1(f, "cosh", x, s),
            Asinh => math1(f, "asinh", x, s),
            Acosh => math1(f, "acosh", x, s),
            Atanh => math1(f, "atanh", x, s),
            Tanh => tanh(f, x, s),
            Sigmoid => sigmoid(f, x, s),
            Erf => math1(f, "erf", x, s),
            Sign => {
                let (z, one, m1) = (c(f, 0.0), c(f, 1.0), c(f, -1.0));
                let gt = cmpf(f, "ogt", x, &z, s);
                let lt = cmpf(f, "olt", x, &z, s);
                let a = select(f, &lt, &m1, x, s);
                select(f, &gt, &one, &a, s)
            }
            Relu => {
                let z = c(f, 0.0);
                let lt = cmpf(f, "olt", x, &z, s);
                select(f, &lt, &z, x, s)
            }
            Softplus => softplus(f, x, s),
            Softsign => {
                let one = c(f, 1.0);
                let a = math1(f, "absf", x, s);
                let d = fbin(f, "addf", &one, &a, s);
                fbin(f, "divf", x, &d, s)
            }
            Mish => {
                let sp = softplus(f, x, s);
                let th = tanh(f, &sp, s);
                fbin(f, "mulf", x, &th, s)
            }
            HardSwish => {
                let (z, one, sixth, half) = (c(f, 0.0), c(f, 1.0), c(f, 1.0 / 6.0), c(f, 0.5));
                let a = fbin(f, "mulf", x, &sixth, s);
                let a = fbin(f, "addf", &a, &half, s);
                let a = fbin(f, "maximumf", &a, &z, s);
                let a = fbin(f, "minimumf", &a, &one, s);
                fbin(f, "mulf", x, &a, s)
            }
            IsNaN => cmpf(f, "uno", x, x, s),
            IsInf { detect_positive, detect_negative } => {
                let inf = c(f, f64::INFINITY);
                let ninf = c(f, f64::NEG_INFINITY);
                let p = cmpf(f, "oeq", x, &inf, s);
                let n = cmpf(f, "oeq", x, &ninf, s);
                match (detect_positive, detect_negative) {
                    (true, true) => f.op(format!("arith.ori {p}, {n} : i1")),
                    (true, false) => p,
                    (false, true) => n,
                    (false, false) => f.cst("0", "i1"),
                }
            }
            LeakyRelu { alpha } => {
                let (z, a) = (c(f, 0.0), c(f, alpha.0 as f64));
                let lt = cmpf(f, "olt", x, &z, s);
                let m = fbin(f, "mulf", &a, x, s);
                select(f, &lt, &m, x, s)
            }
            Elu { alpha } => {
                let (z, a) = (c(f, 0.0), c(f, alpha.0 as f64));
                let lt = cmpf(f, "olt", x, &z, s);
                let e = math1(f, "expm1", x, s);
                let m = fbin(f, "mulf", &a, &e, s);
                select(f, &lt, &m, x, s)
            }
            Selu { alpha, gamma } => {
                let (z, a, g) = (c(f, 0.0), c(f, alpha.0 as f64), c(f, gamma.0 as f64));
                let gt = cmpf(f, "ogt", x, &z, s);
                let e = math1(f, "exp", x, s);
                let ae = fbin(f, "mulf", &a, &e, s);
                let neg = fbin(f, "subf", &ae, &a, s);
                let v = select(f, &gt, x, &neg, s);
                fbin(f, "mulf", &g, &v, s)
            }
            Celu { alpha } => {
                let (z, a) = (c(f, 0.0), c(f, alpha.0 as f64));
                let p = fbin(f, "maximumf", x, &z, s);
                let d = fbin(f, "divf", x, &a, s);
                let e = math1(f, "expm1", &d, s);
                let m = fbin(f, "mulf", &a, &e, s);
                let m = fbin(f, "minimumf", &m, &z, s);
                fbin(f, "addf", &p, &m, s)
            }
            HardSigmoid { alpha, beta } => {
                let (z, one, a, b) = (c(f, 0.0), c(f, 1.0), c(f, alpha.0 as f64), c(f, beta.0 as f64));
                let v = fbin(f, "mulf", &a, x, s);
                let v = fbin(f, "addf", &v, &b, s);
                let v = fbin(f, "maximumf", &v, &z, s);
                fbin(f, "minimumf", &v, &one, s)
            }
            ThresholdedRelu { alpha } => {
                let (z, a) = (c(f, 0.0), c(f, alpha.0 as f64));
                let gt = cmpf(f, "ogt", x, &a, s);
                select(f, &gt, x, &z, s)
            }
            Shrink { bias, lambd } => {
                let (z, b, l, nl) =
                    (c(f, 0.0), c(f, bias.0 as f64), c(f, lambd.0 as f64), c(f, -(lambd.0 as f64)));
                let lo = cmpf(f, "olt", x, &nl, s);
                let hi = cmpf(f, "ogt", x, &l, s);
                let xp = fbin(f, "addf", x, &b, s);
                let xm = fbin(f, "subf", x, &b, s);
                let v = select(f, &hi, &xm, &z, s);
                select(f, &lo, &xp, &v, s)
            }
            Swish { alpha } => {
                let a = c(f, alpha.0 as f64);
                let ax = fbin(f, "mulf", &a, x, s);
                let sg = sigmoid(f, &ax, s);
                fbin(f, "mulf", x, &sg, s)
            }
            Gelu { tanh: false } => {
                let (half, one, r2) = (c(f, 0.5), c(f, 1.0), c(f, std::f64::consts::FRAC_1_SQRT_2));
                let v = fbin(f, "mulf", x, &r2, s);
                let e = math1(f, "erf", &v, s);
                let e = fbin(f, "addf", &one, &e, s);
                let hx = fbin(f, "mulf", &half, x, s);
                fbin(f, "mulf", &hx, &e, s)
            }
            Gelu { tanh: true } => {
                let (half, one, k, a) = (
                    c(f, 0.5),
                    c(f, 1.0),
                    c(f, (2.0 / std::f64::consts::PI).sqrt()),
                    c(f, 0.044715),
                );
                let x3 = fbin(f, "mulf", x, x, s);
                let x3 = fbin(f, "mulf", &x3, x, s);
                let v = fbin(f, "mulf", &a, &x3, s);
                let v = fbin(f, "addf", x, &v, s);
                let v = fbin(f, "mulf", &k, &v, s);
                let th = tanh(f, &v, s);
                let th = fbin(f, "addf", &one, &th, s);
                let hx = fbin(f, "mulf", &half, x, s);
                fbin(f, "mulf", &hx, &th, s)
            }
            Not | BitwiseNot => return Err(format!("{op:?} is not defined for {dt}")),
        });
    }
    if let Scalar::Bool = s {
        return match op {
            Not => {
                let t1 = f.cst("1", "i1");
                Ok(f.op(format!("arith.xori {x}, {t1} : i1")))
            }
            _ => Err(format!("{op:?} is not defined for bool")),
        };
    }
    let Scalar::Int { signed, .. } = s else { unreachable!() };
    let z = f.iconst(0, s);
    Ok(match op {
        Abs if signed => f.op(format!("math.absi {x} : {t}")),
        Abs => x.to_string(),
        Neg => f.op(format!("arith.subi {z}, {x} : {t}")),
        Relu if signed => f.op(format!("arith.maxsi {x}, {z} : {t}")),
        Sign => {
            let one = f.iconst(1, s);
            let gt = f.op(format!("arith.cmpi {}, {x}, {z} : {t}", if signed { "sgt" } else { "ugt" }));
            if signed {
                let m1 = f.iconst(-1, s);
                let lt = f.op(format!("arith.cmpi slt, {x}, {z} : {t}"));
                let a = select(f, &lt, &m1, &z, s);
                select(f, &gt, &one, &a, s)
            } else {
                select(f, &gt, &one, &z, s)
            }
        }
        BitwiseNot => {
            let m1 = f.iconst(-1, s);
            f.op(format!("arith.xori {x}, {m1} : {t}"))
        }
        _ => return Err(format!("{op:?} is not defined for {dt}")),
    })
}

/// Convert a compute scalar of dtype `from` to dtype `to` (ONNX Cast semantics).
pub fn convert(f: &mut Func, x: &str, from: DType, to: DType) -> Result<String, Why> {
    let a = Scalar::of(from).ok_or_else(|| format!("dtype {from} is not compilable"))?;
    let b = Scalar::of(to).ok_or_else(|| format!("dtype {to} is not compilable"))?;
    let (ta, tb) = (a.ty(), b.ty());
    Ok(match (a, b) {
        _ if a == b => x.to_string(),
        (Scalar::Float(p), Scalar::Float(q)) if p < q => f.op(format!("arith.extf {x} : {ta} to {tb}")),
        (Scalar::Float(_), Scalar::Float(_)) => f.op(format!("arith.truncf {x} : {ta} to {tb}")),
        (Scalar::Float(_), Scalar::Int { signed, .. }) => {
            // Saturating, NaN → 0: the interpreter's Rust `as` casts (arith.fptosi/fptoui
            // are poison out of range, so only in-range values reach them).
            let Scalar::Int { bits, .. } = b else { unreachable!() };
            let (lo, hi) = if signed {
                (-(2f64.powi(bits as i32 - 1)), 2f64.powi(bits as i32 - 1))
            } else {
                (0.0, 2f64.powi(bits as i32))
            };
            let (lo_f, hi_f) = (f.fconst(lo, a), f.fconst(hi, a));
            let below = cmpf(f, "olt", x, &lo_f, a);
            let above = cmpf(f, "oge", x, &hi_f, a);
            let zf = f.fconst(0.0, a);
            let out = f.op(format!("arith.ori {below}, {above} : i1"));
            let nan = cmpf(f, "uno", x, x, a);
            let out = f.op(format!("arith.ori {out}, {nan} : i1"));
            let safe = select(f, &out, &zf, x, a);
            let o = if signed { "fptosi" } else { "fptoui" };
            let r = f.op(format!("arith.{o} {safe} : {ta} to {tb}"));
            let (min, max) = if signed {
                (f.cst(format!("{}", i64::MIN >> (64 - bits)), &tb), f.cst(format!("{}", i64::MAX >> (64 - bits)), &tb))
            } else {
                (f.cst("0", &tb), f.cst("-1", &tb))
            };
            let r = select(f, &below, &min, &r, b);
            select(f, &above, &max, &r, b)
        }
        (Scalar::Float(_), Scalar::Bool) => {
            let z = f.fconst(0.0, a);
            cmpf(f, "une", x, &z, a)
        }
        (Scalar::Int { signed, .. }, Scalar::Float(_)) => {
            let o = if signed { "sitofp" } else { "uitofp" };
            f.op(format!("arith.{o} {x} : {ta} to {tb}"))
        }
        (Scalar::Int { bits: p, signed }, Scalar::Int { bits: q, .. }) => {
            if p < q {
                let o = if signed { "extsi" } else { "extui" };
                f.op(format!("arith.{o} {x} : {ta} to {tb}"))
            } else if p > q {
                f.op(format!("arith.trunci {x} : {ta} to {tb}"))
            } else {
                x.to_string()
            }
        }
        (Scalar::Int { .. }, Scalar::Bool) => {
            let z = f.iconst(0, a);
            f.op(format!("arith.cmpi ne, {x}, {z} : {ta}"))
        }
        (Scalar::Bool, Scalar::Float(_)) => f.op(format!("arith.uitofp {x} : i1 to {tb}")),
        (Scalar::Bool, Scalar::Int { .. }) => f.op(format!("arith.extui {x} : i1 to {tb}")),
        (Scalar::Bool, Scalar::Bool) => x.to_string(),
    })
}

/// Apply a binary op to compute scalars of dtypes `da`, `db`; returns the result (of the op's
/// output dtype, which callers get from the graph).
pub fn binary(f: &mut Func, op: &BinaryOp, a: &str, b: &str, da: DType, db: DType) -> Result<String, Why> {
    use BinaryOp::*;
    let s = Scalar::of(da).ok_or_else(|| format!("dtype {da} is not compilable"))?;
    let t = s.ty();
    if matches!(op, Pow) && da != db {
        // Mixed dtypes: the interpreter computes powf in f64 and converts back.
        let x = convert(f, a, da, DType::F64)?;
        let y = convert(f, b, db, DType::F64)?;
        let r = fbin_math(f, "powf", &x, &y, Scalar::Float(64));
        return convert(f, &r, DType::F64, da);
    }
    let b = if da != db { convert(f, b, db, da)? } else { b.to_string() };
    let b = b.as_str();
    let bad = || Err(format!("{op:?} is not defined for {da}"));
    match s {
        Scalar::Float(_) => Ok(match op {
            Add => fbin(f, "addf", a, b, s),
            Sub => fbin(f, "subf", a, b, s),
            Mul => fbin(f, "mulf", a, b, s),
            Div => fbin(f, "divf", a, b, s),
            Pow => fbin_math(f, "powf", a, b, s),
            Max => fbin(f, "maximumf", a, b, s),
            Min => fbin(f, "minimumf", a, b, s),
            Mod { fmod: true } => fbin(f, "remf", a, b, s),
            Mod { fmod: false } => {
                let z = f.fconst(0.0, s);
                let r = fbin(f, "remf", a, b, s);
                let nz = cmpf(f, "une", &r, &z, s);
                let rn = cmpf(f, "olt", &r, &z, s);
                let bn = cmpf(f, "olt", b, &z, s);
                let diff = f.op(format!("arith.xori {rn}, {bn} : i1"));
                let fix = f.op(format!("arith.andi {nz}, {diff} : i1"));
                let rb = fbin(f, "addf", &r, b, s);
                select(f, &fix, &rb, &r, s)
            }
            Equal => cmpf(f, "oeq", a, b, s),
            Less => cmpf(f, "olt", a, b, s),
            LessOrEqual => cmpf(f, "ole", a, b, s),
            Greater => cmpf(f, "ogt", a, b, s),
            GreaterOrEqual => cmpf(f, "oge", a, b, s),
            PRelu => {
                let z = f.fconst(0.0, s);
                let lt = cmpf(f, "olt", a, &z, s);
                let m = fbin(f, "mulf", a, b, s);
                select(f, &lt, &m, a, s)
            }
            _ => return bad(),
        }),
        Scalar::Bool => Ok(match op {
            And => f.op(format!("arith.andi {a}, {b} : i1")),
            Or => f.op(format!("arith.ori {a}, {b} : i1")),
            Xor => f.op(format!("arith.xori {a}, {b} : i1")),
            Equal => f.op(format!("arith.cmpi eq, {a}, {b} : i1")),
            _ => return bad(),
        }),
        Scalar::Int { bits, signed } => {
            let sg = |x: &str, y: &str| if signed { x.to_string() } else { y.to_string() };
            let z = f.iconst(0, s);
            let one = f.iconst(1, s);
            Ok(match op {
                Add => f.op(format!("arith.addi {a}, {b} : {t}")),
                Sub => f.op(format!("arith.subi {a}, {b} : {t}")),
                Mul => f.op(format!("arith.muli {a}, {b} : {t}")),
                Div | Mod { .. } => {
                    // Guard the UB cases: b == 0 gives 0; MIN / -1 wraps (Div) or gives 0 (Mod).
                    let bz = f.op(format!("arith.cmpi eq, {b}, {z} : {t}"));
                    let mut safe_b = select(f, &bz, &one, b, s);
                    let mut ovf = f.cst("0", "i1");
                    if signed {
                        let m1 = f.iconst(-1, s);
                        let min = f.cst(format!("{}", i64::MIN >> (64 - bits)), &t);
                        let am = f.op(format!("arith.cmpi eq, {a}, {min} : {t}"));
                        let bm = f.op(format!("arith.cmpi eq, {b}, {m1} : {t}"));
                        ovf = f.op(format!("arith.andi {am}, {bm} : i1"));
                        safe_b = select(f, &ovf, &one, &safe_b, s);
                    }
                    let r = match op {
                        Div => {
                            let q = f.op(format!("arith.{} {a}, {safe_b} : {t}", sg("divsi", "divui")));
                            let neg = f.op(format!("arith.subi {z}, {a} : {t}"));
                            select(f, &ovf, &neg, &q, s)
                        }
                        Mod { fmod } => {
                            let r = f.op(format!("arith.{} {a}, {safe_b} : {t}", sg("remsi", "remui")));
                            let r = select(f, &ovf, &z, &r, s);
                            if !*fmod && signed {
                                let nz = f.op(format!("arith.cmpi ne, {r}, {z} : {t}"));
                                let rn = f.op(format!("arith.cmpi slt, {r}, {z} : {t}"));
                                let bn = f.op(format!("arith.cmpi slt, {b}, {z} : {t}"));
                                let diff = f.op(format!("arith.xori {rn}, {bn} : i1"));
                                let fix = f.op(format!("arith.andi {nz}, {diff} : i1"));
                                let rb = f.op(format!("arith.addi {r}, {b} : {t}"));
                                select(f, &fix, &rb, &r, s)
                            } else {
                                r
                            }
                        }
                        _ => unreachable!(),
                    };
                    select(f, &bz, &z, &r, s)
                }
                Pow => {
                    // Integer power (math.ipowi, wrapping) for exponents ≥ 0; for negative
                    // exponents the interpreter gives 1 for base 1, ±1 for base -1, else 0.
                    let neg = f.op(format!("arith.cmpi slt, {b}, {z} : {t}"));
                    let eb = select(f, &neg, &z, b, s);
                    let p = f.op(format!("math.ipowi {a}, {eb} : {t}"));
                    let m1 = f.iconst(-1, s);
                    let is1 = f.op(format!("arith.cmpi eq, {a}, {one} : {t}"));
                    let ism1 = f.op(format!("arith.cmpi eq, {a}, {m1} : {t}"));
                    let odd = f.op(format!("arith.andi {b}, {one} : {t}"));
                    let odd = f.op(format!("arith.cmpi ne, {odd}, {z} : {t}"));
                    let pm = select(f, &odd, &m1, &one, s);
                    let r = select(f, &ism1, &pm, &z, s);
                    let r = select(f, &is1, &one, &r, s);
                    select(f, &neg, &r, &p, s)
                }
                Max => f.op(format!("arith.{} {a}, {b} : {t}", sg("maxsi", "maxui"))),
                Min => f.op(format!("arith.{} {a}, {b} : {t}", sg("minsi", "minui"))),
                Equal => f.op(format!("arith.cmpi eq, {a}, {b} : {t}")),
                Less => f.op(format!("arith.cmpi {}, {a}, {b} : {t}", sg("slt", "ult"))),
                LessOrEqual => f.op(format!("arith.cmpi {}, {a}, {b} : {t}", sg("sle", "ule"))),
                Greater => f.op(format!("arith.cmpi {}, {a}, {b} : {t}", sg("sgt", "ugt"))),
                GreaterOrEqual => f.op(format!("arith.cmpi {}, {a}, {b} : {t}", sg("sge", "uge"))),
                BitShiftLeft | BitShiftRight => {
                    let w = f.iconst(bits as i64, s);
                    let big = f.op(format!("arith.cmpi uge, {b}, {w} : {t}"));
                    let sb = select(f, &big, &z, b, s);
                    let o = if matches!(op, BitShiftLeft) { "shli" } else { "shrui" };
                    let r = f.op(format!("arith.{o} {a}, {sb} : {t}"));
                    select(f, &big, &z, &r, s)
                }
                BitwiseAnd => f.op(format!("arith.andi {a}, {b} : {t}")),
                BitwiseOr => f.op(format!("arith.ori {a}, {b} : {t}")),
                BitwiseXor => f.op(format!("arith.xori {a}, {b} : {t}")),
                PRelu => {
                    let lt = f.op(format!("arith.cmpi {}, {a}, {z} : {t}", sg("slt", "ult")));
                    let m = f.op(format!("arith.muli {a}, {b} : {t}"));
                    select(f, &lt, &m, a, s)
                }
                _ => return bad(),
            })
        }
    }
}

fn fbin_math(f: &mut Func, op: &str, a: &str, b: &str, s: Scalar) -> String {
    f.op(format!("math.{op} {a}, {b} : {}", s.ty()))
}
