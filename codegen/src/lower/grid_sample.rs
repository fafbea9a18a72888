//! GridSample in N-d (X: [N, C, D1..Dn], grid: [N, O1..On, n], coordinates in x, y, z order):
//! nearest / linear / cubic, zeros / border / reflection padding, align_corners. Per output
//! location the taps of each axis are computed from the grid in f64 exactly as the interpreter
//! does (coordinates rounded through f32 as the ONNX reference); the channel loop then sums the
//! weighted taps in f64. Zero-padding taps are skipped (their loads are clamped, never used).

use super::resize::{cast_f64, to_f64};
use super::Kernel;
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::{GridPadding, Op, ResizeMode};

struct Sampler {
    mode: ResizeMode,
    padding: GridPadding,
    align: bool,
}

const D64: Scalar = Scalar::Float(64);

fn c64(f: &mut Func, x: f64) -> String {
    f.fconst(x, D64)
}

fn bin(f: &mut Func, op: &str, a: &str, b: &str) -> String {
    f.op(format!("arith.{op} {a}, {b} : f64"))
}

fn sel(f: &mut Func, c: &str, a: &str, b: &str) -> String {
    f.op(format!("arith.select {c}, {a}, {b} : f64"))
}

impl Sampler {
    fn borders(&self, d: usize) -> (f64, f64) {
        if self.align {
            (0.0, d as f64 - 1.0)
        } else {
            (-0.5, d as f64 - 0.5)
        }
    }

    /// The interpreter's `reflect(x, lo, hi)`.
    fn reflect(&self, f: &mut Func, x: &str, d: usize) -> String {
        let (lo, hi) = self.borders(d);
        let rng = hi - lo;
        let l = c64(f, lo);
        if rng <= 0.0 {
            return l;
        }
        let (h, r) = (c64(f, hi), c64(f, rng));
        let two = c64(f, 2.0);
        let zero = c64(f, 0.0);
        // Below lo: dx = lo - x; above hi: dx = x - hi.
        let below = f.op(format!("arith.cmpf olt, {x}, {l} : f64"));
        let above = f.op(format!("arith.cmpf ogt, {x}, {h} : f64"));
        let dxb = bin(f, "subf", &l, x);
        let dxa = bin(f, "subf", x, &h);
        let dx = sel(f, &below, &dxb, &dxa);
        let q = bin(f, "divf", &dx, &r);
        let n = f.op(format!("math.trunc {q} : f64"));
        let nr = bin(f, "mulf", &n, &r);
        let rem = bin(f, "subf", &dx, &nr);
        let par = bin(f, "remf", &n, &two);
        let even = f.op(format!("arith.cmpf oeq, {par}, {zero} : f64"));
        let lo_r = bin(f, "addf", &l, &rem);
        let hi_r = bin(f, "subf", &h, &rem);
        // below: even → lo + r, odd → hi - r; above: even → hi - r, odd → lo + r.
        let vb = sel(f, &even, &lo_r, &hi_r);
        let va = sel(f, &even, &hi_r, &lo_r);
        let v = sel(f, &above, &va, x);
        sel(f, &below, &vb, &v)
    }

    /// f64 → i64 as Rust's `as` (saturating, NaN → 0), kept in a safe range.
    fn to_i64(f: &mut Func, x: &str) -> String {
        let (lo, hi) = (c64(f, -1e15), c64(f, 1e15));
        let c = bin(f, "maximumf", x, &lo);
        let c = bin(f, "minimumf", &c, &hi);
        let nan = f.op(format!("arith.cmpf uno, {x}, {x} : f64"));
        let z = c64(f, 0.0);
        let c = sel(f, &nan, &z, &c);
        f.op(format!("arith.fptosi {c} : f64 to i64"))
    }

    /// Source index (clamped into the axis, as `index`) and validity of integer position `i`.
    fn pixel(&self, f: &mut Func, i: &str, d: usize) -> (String, Option<String>) {
        let (z, top) = (f.cst("0", "i64"), f.cst(format!("{}", d as i64 - 1), "i64"));
        let clamp = |f: &mut Func, v: &str| {
            let a = f.op(format!("arith.maxsi {v}, {z} : i64"));
            let b = f.op(format!("arith.minsi {a}, {top} : i64"));
            f.op(format!("arith.index_cast {b} : i64 to index"))
        };
        match self.padding {
            GridPadding::Zeros => {
                let ge = f.op(format!("arith.cmpi sge, {i}, {z} : i64"));
                let le = f.op(format!("arith.cmpi sle, {i}, {top} : i64"));
                let ok = f.op(format!("arith.andi {ge}, {le} : i1"));
                (clamp(f, i), Some(ok))
            }
            GridPadding::Border => (clamp(f, i), None),
            GridPadding::Reflection => {
                let x = f.op(format!("arith.sitofp {i} : i64 to f64"));
                let r = self.reflect(f, &x, d);
                let ri = Self::to_i64(f, &r);
                (clamp(f, &ri), None)
            }
        }
    }

    /// Taps (index, weight, validity) along an axis of size `d` for grid coordinate `g` (f64).
    fn taps(&self, f: &mut Func, g: &str, d: usize) -> Vec<(String, String, Option<String>)> {
        let len = d as f64;
        let one = c64(f, 1.0);
        let two = c64(f, 2.0);
        let g1 = bin(f, "addf", g, &one);
        let x = if self.align {
            let a = bin(f, "divf", &g1, &two);
            let lm = c64(f, len - 1.0);
            bin(f, "mulf", &a, &lm)
        } else {
            let l = c64(f, len);
            let a = bin(f, "mulf", &g1, &l);
            let b = bin(f, "subf", &a, &one);
            bin(f, "divf", &b, &two)
        };
        let t32 = f.op(format!("arith.truncf {x} : f64 to f32"));
        let mut x = f.op(format!("arith.extf {t32} : f32 to f64"));
        if self.mode == ResizeMode::Nearest {
            x = f.op(format!("math.roundeven {x} : f64"));
        }
        let (lo, hi) = self.borders(d);
        let (l, h) = (c64(f, lo), c64(f, hi));
        let below = f.op(format!("arith.cmpf olt, {x}, {l} : f64"));
        let above = f.op(format!("arith.cmpf ogt, {x}, {h} : f64"));
        let oob = f.op(format!("arith.ori {below}, {above} : i1"));
        match self.padding {
            GridPadding::Border => {
                let (z, top) = (c64(f, 0.0), c64(f, len - 1.0));
                // f64::clamp(0, len - 1): below 0 → 0, above → len - 1.
                let lt = f.op(format!("arith.cmpf olt, {x}, {z} : f64"));
                let gt = f.op(format!("arith.cmpf ogt, {x}, {top} : f64"));
                let c = sel(f, &gt, &top, &x);
                let c = sel(f, &lt, &z, &c);
                x = sel(f, &oob, &c, &x);
            }
            GridPadding::Reflection => {
                let r = self.reflect(f, &x, d);
                let r32 = f.op(format!("arith.truncf {r} : f64 to f32"));
                let r = f.op(format!("arith.extf {r32} : f32 to f64"));
                x = sel(f, &oob, &r, &x);
            }
            GridPadding::Zeros => {}
        }
        match self.mode {
            ResizeMode::Nearest => {
                let i = Self::to_i64(f, &x);
                let (p, ok) = self.pixel(f, &i, d);
                vec![(p, one, ok)]
            }
            ResizeMode::Linear => {
                let x0 = f.op(format!("math.floor {x} : f64"));
                let t = bin(f, "subf", &x, &x0);
                let w0 = bin(f, "subf", &one, &t);
                let i0 = Self::to_i64(f, &x0);
                let c1 = f.cst("1", "i64");
                let i1 = f.op(format!("arith.addi {i0}, {c1} : i64"));
                let (p0, ok0) = self.pixel(f, &i0, d);
                let (p1, ok1) = self.pixel(f, &i1, d);
                vec![(p0, w0, ok0), (p1, t, ok1)]
            }
            ResizeMode::Cubic => {
                let x0 = f.op(format!("math.floor {x} : f64"));
                let t = bin(f, "subf", &x, &x0);
                let c = cubic_coeffs(f, &t);
                let i0 = Self::to_i64(f, &x0);
                c.into_iter()
                    .enumerate()
                    .map(|(k, w)| {
                        let o = f.cst(format!("{}", k as i64 - 1), "i64");
                        let i = f.op(format!("arith.addi {i0}, {o} : i64"));
                        let (p, ok) = self.pixel(f, &i, d);
                        (p, w, ok)
                    })
                    .collect()
            }
        }
    }
}

/// The interpreter's cubic weights (A = -0.75) for fractional offset `t`.
fn cubic_coeffs(f: &mut Func, t: &str) -> Vec<String> {
    let a = -0.75f64;
    let x = f.op(format!("math.absf {t} : f64"));
    let k = |f: &mut Func, v: f64| c64(f, v);
    let (ca, c5a, c8a, c4a, ca2, ca3) = (k(f, a), k(f, 5.0 * a), k(f, 8.0 * a), k(f, 4.0 * a), k(f, a + 2.0), k(f, a + 3.0));
    let (one, two) = (k(f, 1.0), k(f, 2.0));
    // ((a·u - 5a)·u + 8a)·u - 4a
    let outer = |f: &mut Func, u: &str| {
        let p = bin(f, "mulf", &ca, u);
        let p = bin(f, "subf", &p, &c5a);
        let p = bin(f, "mulf", &p, u);
        let p = bin(f, "addf", &p, &c8a);
        let p = bin(f, "mulf", &p, u);
        bin(f, "subf", &p, &c4a)
    };
    // ((a+2)·u - (a+3))·u·u + 1
    let inner = |f: &mut Func, u: &str| {
        let p = bin(f, "mulf", &ca2, u);
        let p = bin(f, "subf", &p, &ca3);
        let p = bin(f, "mulf", &p, u);
        let p = bin(f, "mulf", &p, u);
        bin(f, "addf", &p, &one)
    };
    let x1 = bin(f, "addf", &x, &one);
    let mx = bin(f, "subf", &one, &x);
    let x2 = bin(f, "subf", &two, &x);
    vec![outer(f, &x1), inner(f, &x), inner(f, &mx), outer(f, &x2)]
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::GridSample { mode, padding, align_corners } = k.node.op else { unreachable!() };
    let (x, g, y) = (k.input(0)?.clone(), k.input(1)?.clone(), k.outs[0].clone());
    let n = x.shape.len().saturating_sub(2);
    if n == 0 || g.shape.len() != n + 2 || g.shape[n + 1] != n {
        return k.unsupported(format!("grid {:?} for input {:?}", g.shape, x.shape));
    }
    if !matches!(Scalar::of(x.dt), Some(Scalar::Float(_) | Scalar::Int { .. })) {
        return k.unsupported(format!("GridSample of {}", x.dt));
    }
    if y.numel() == 0 {
        return Ok(());
    }
    if x.numel() == 0 {
        return k.unsupported("GridSample from an empty input");
    }
    let s = Sampler { mode, padding, align: align_corners };
    let spatial = x.shape[2..].to_vec();
    let (nb, ch) = (x.shape[0], x.shape[1]);
    let out_sp = y.shape[2..].to_vec();
    let f = &mut k.f;
    f.for_range(0, nb, |f, b| {
        f.nest(&out_sp, |f, o| {
            // Per spatial axis i, the grid coordinate g[.., n-1-i].
            let mut axes = vec![];
            for (i, &d) in spatial.iter().enumerate() {
                let mut gi = vec![b.to_string()];
                gi.extend(o.iter().cloned());
                gi.push(f.idx(n - 1 - i));
                let gv = f.load(&g.mem, &g.mty, &gi, g.dt);
                let gv = to_f64(f, &gv, g.dt);
                axes.push(s.taps(f, &gv, d));
            }
            // All tap combinations, axis 0 outermost; weights multiplied in axis order.
            let mut combos: Vec<(Vec<String>, Option<String>, Option<String>)> = vec![(vec![], None, None)];
            for at in &axes {
                let mut next = vec![];
                for (idx, w, ok) in &combos {
                    for (p, wi, oki) in at {
                        let mut idx2 = idx.clone();
                        idx2.push(p.clone());
                        let w2 = match w {
                            None => wi.clone(),
                            Some(w) => bin(f, "mulf", w, wi),
                        };
                        let ok2 = match (ok, oki) {
                            (None, o) | (o, None) => o.clone(),
                            (Some(a), Some(c)) => Some(f.op(format!("arith.andi {a}, {c} : i1"))),
                        };
                        next.push((idx2, Some(w2), ok2));
                    }
                }
                combos = next;
            }
            f.for_range(0, ch, |f, c| {
                let mut acc = c64(f, 0.0);
                for (idx, w, ok) in &combos {
                    let mut xi = vec![b.to_string(), c.to_string()];
                    xi.extend(idx.iter().cloned());
                    let v = f.load(&x.mem, &x.mty, &xi, x.dt);
                    let v = to_f64(f, &v, x.dt);
                    let w = w.clone().unwrap_or_else(|| c64(f, 1.0));
                    let p = bin(f, "mulf", &w, &v);
                    let sum = bin(f, "addf", &acc, &p);
                    acc = match ok {
                        None => sum,
                        Some(ok) => sel(f, ok, &sum, &acc),
                    };
                }
                let v = cast_f64(f, &acc, y.dt, false);
                let mut yi = vec![b.to_string(), c.to_string()];
                yi.extend(o.iter().cloned());
                f.store(&v, &y.mem, &y.mty, &yi, y.dt);
            });
        });
    });
    Ok(())
}
