//! Shared by the reduction, scan, softmax and normalisation kernels: row-major views of a
//! memref under another static shape ([outer, n, inner] around an axis, merged groups), typed
//! views carved from the kernel's scratch bytes, loop nests that carry values, and the f64
//! accumulation type (widening from every dtype, rounding back once as the interpreter does).

use super::{Kernel, Operand};
use crate::error::Result;
use crate::mlir::{elem_type, memref_type, Func, Scalar};
use ir::{DType, Graph, NodeId};

/// A statically shaped memref holding elements of `dt`.
#[derive(Clone, Debug)]
pub struct View {
    pub mem: String,
    pub mty: String,
    pub shape: Vec<usize>,
    pub dt: DType,
}

impl View {
    /// An operand as it is.
    pub fn of(o: &Operand) -> View {
        View { mem: o.mem.clone(), mty: o.mty.clone(), shape: o.shape.clone(), dt: o.dt }
    }

    /// `self[idx]` as its compute scalar.
    pub fn load(&self, f: &mut Func, idx: &[String]) -> String {
        f.load(&self.mem, &self.mty, idx, self.dt)
    }

    /// Store a compute scalar of `self.dt`.
    pub fn store(&self, f: &mut Func, v: &str, idx: &[String]) {
        f.store(v, &self.mem, &self.mty, idx, self.dt)
    }

    /// Store an f64 value, rounded once to `self.dt` (see `from_f64`).
    pub fn store_f64(&self, f: &mut Func, v: &str, idx: &[String]) {
        let c = from_f64(f, v, self.dt);
        self.store(f, &c, idx)
    }
}

/// Input `i` of a kernel, which must be a compilable float tensor (else Unsupported naming `what`).
pub fn float_input(k: &Kernel, i: usize, what: &str) -> Result<Operand> {
    let o = k.input(i)?.clone();
    if !matches!(Scalar::of(o.dt), Some(Scalar::Float(_))) {
        return k.unsupported(format!("{what} of dtype {}", o.dt));
    }
    Ok(o)
}

/// Row-major strides of `shape`.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// `o` seen as a row-major memref of `shape` (same element count; rank 0 becomes `[1]`).
pub fn view(f: &mut Func, o: &Operand, shape: &[usize]) -> View {
    let shape: Vec<usize> = if shape.is_empty() { vec![1] } else { shape.to_vec() };
    let mty = memref_type(&shape, o.dt);
    if mty == o.mty {
        return View { mem: o.mem.clone(), mty, shape, dt: o.dt };
    }
    let list = |v: &[usize]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
    let mem = f.op(format!(
        "memref.reinterpret_cast {} to offset: [0], sizes: [{}], strides: [{}] : {} to {mty}",
        o.mem,
        list(&shape),
        list(&strides(&shape)),
        o.mty
    ));
    View { mem, mty, shape, dt: o.dt }
}

/// `o` as [outer, n, inner] around `axis`.
pub fn around_axis(f: &mut Func, o: &Operand, axis: usize) -> (View, usize, usize, usize) {
    let outer: usize = o.shape[..axis].iter().product();
    let n = o.shape[axis];
    let inner: usize = o.shape[axis + 1..].iter().product();
    (view(f, o, &[outer, n, inner]), outer, n, inner)
}

/// Static shape and dtype of input `i` of node `id` (for scratch planning).
pub fn input_type(g: &Graph, id: NodeId, i: usize) -> Option<(Vec<usize>, DType)> {
    let v = g.node_inputs(id).get(i).copied().flatten()?;
    let t = g.value_type(v);
    Some((t.static_shape()?, t.dtype))
}

/// The constant value of input `i` of node `id` as i64s.
pub fn input_const(g: &Graph, id: NodeId, i: usize) -> Option<Vec<i64>> {
    let v = g.node_inputs(id).get(i).copied().flatten()?;
    g.const_value(v).map(|c| c.to_i64_vec())
}

/// `shape` as [outer, n, inner] around `axis` (negative axes count from the end).
pub fn split_at_axis(shape: &[usize], axis: i64) -> Option<(usize, usize, usize)> {
    let ax = ir::norm_axis(axis, shape.len()).ok()?;
    Some((shape[..ax].iter().product(), shape[ax], shape[ax + 1..].iter().product()))
}

/// `scf.for %iv = lo to hi` with SSA (index) bounds.
pub fn for_dyn(f: &mut Func, lo: &str, hi: &str, body: impl FnOnce(&mut Func, &str)) {
    let one = f.idx(1);
    let iv = f.fresh();
    f.line(format!("scf.for {iv} = {lo} to {hi} step {one} {{"));
    f.enter();
    body(f, &iv);
    f.leave();
    f.line("}");
}

/// `isfinite(v)` for a float of MLIR type `ty`.
pub fn is_finite(f: &mut Func, v: &str, s: Scalar) -> String {
    let inf = f.fconst(f64::INFINITY, s);
    let t = s.ty();
    let a = f.op(format!("math.absf {v} : {t}"));
    f.op(format!("arith.cmpf olt, {a}, {inf} : {t}"))
}

/// Byte size of one element of `dt` in a scratch view.
pub fn elem_bytes(dt: DType) -> usize {
    match elem_type(dt) {
        Some("f64" | "i64") => 8,
        Some("f32" | "i32") => 4,
        Some("f16" | "bf16" | "i16") => 2,
        _ => 1,
    }
}

/// Hands out typed views of a kernel's scratch bytes, each 64-byte aligned.
pub struct Carver {
    scratch: Option<(String, usize)>,
    used: usize,
}

impl Carver {
    pub fn new(scratch: Option<(String, usize)>) -> Self {
        Carver { scratch, used: 0 }
    }

    /// Bytes `views` (element count, dtype) take when carved in order.
    pub fn bytes(views: &[(usize, DType)]) -> usize {
        views.iter().map(|&(n, dt)| (n * elem_bytes(dt)).div_ceil(64) * 64).sum()
    }

    /// A row-major view of `shape` holding `dt`; `None` when the scratch is missing or too
    /// small (a planning bug the caller reports).
    pub fn take(&mut self, f: &mut Func, shape: &[usize], dt: DType) -> Option<View> {
        let (mem, total) = self.scratch.clone()?;
        let shape: Vec<usize> = if shape.is_empty() { vec![1] } else { shape.to_vec() };
        let bytes = Carver::bytes(&[(shape.iter().product(), dt)]);
        if self.used + bytes > total {
            return None;
        }
        let off = f.idx(self.used);
        self.used += bytes;
        let mty = memref_type(&shape, dt);
        let v = f.op(format!("memref.view {mem}[{off}][] : memref<{total}xi8> to {mty}"));
        Some(View { mem: v, mty, shape, dt })
    }
}

/// The body of a carried loop nest: gets the induction variables and the carried values,
/// returns the next values.
pub type CarryBody<'a> = dyn FnMut(&mut Func, &[String], &[String]) -> Vec<String> + 'a;

/// A loop nest over `dims` carrying `inits` (value, type). Returns the final values.
pub fn nest_iter(f: &mut Func, dims: &[usize], inits: &[(String, String)], body: &mut CarryBody) -> Vec<String> {
    fn go(f: &mut Func, dims: &[usize], ivs: &mut Vec<String>, inits: &[(String, String)], body: &mut CarryBody) -> Vec<String> {
        if ivs.len() == dims.len() {
            let vals: Vec<String> = inits.iter().map(|(v, _)| v.clone()).collect();
            let iv = ivs.clone();
            return body(f, &iv, &vals);
        }
        let d = dims[ivs.len()];
        let tys: Vec<String> = inits.iter().map(|(_, t)| t.clone()).collect();
        f.for_iter(0, d, 1, inits, |f, iv, carried| {
            ivs.push(iv.to_string());
            let inner: Vec<(String, String)> = carried.iter().cloned().zip(tys.iter().cloned()).collect();
            let r = go(f, dims, ivs, &inner, body);
            ivs.pop();
            r
        })
    }
    go(f, dims, &mut vec![], inits, body)
}

/// A plain loop nest over `dims` (no carried values); `body` gets the induction variables.
pub fn nest(f: &mut Func, dims: &[usize], body: &mut dyn FnMut(&mut Func, &[String])) {
    fn go(f: &mut Func, dims: &[usize], ivs: &mut Vec<String>, body: &mut dyn FnMut(&mut Func, &[String])) {
        if ivs.len() == dims.len() {
            let iv = ivs.clone();
            body(f, &iv);
            return;
        }
        let d = dims[ivs.len()];
        f.for_range(0, d, |f, iv| {
            ivs.push(iv.to_string());
            go(f, dims, ivs, body);
            ivs.pop();
        });
    }
    go(f, dims, &mut vec![], body)
}

/// The scalar type `dt` is computed in (an error message for dtypes with none).
pub fn scalar(dt: DType) -> std::result::Result<Scalar, String> {
    Scalar::of(dt).ok_or_else(|| format!("dtype {dt} is not compiled"))
}

/// A compute scalar of dtype `dt` as f64.
pub fn to_f64(f: &mut Func, v: &str, dt: DType) -> String {
    match Scalar::of(dt) {
        Some(Scalar::Float(64)) => v.to_string(),
        Some(Scalar::Float(_)) => f.op(format!("arith.extf {v} : f32 to f64")),
        Some(Scalar::Int { bits, signed }) => {
            let o = if signed { "sitofp" } else { "uitofp" };
            f.op(format!("arith.{o} {v} : i{bits} to f64"))
        }
        _ => f.op(format!("arith.uitofp {v} : i1 to f64")),
    }
}

/// An f64 value as a compute scalar of `dt`, rounded once as `ir`'s `from_f64r` / `from_f64`:
/// f32 rounds to nearest; f16/bf16 get f32 rounded to odd (so the store's narrowing is the
/// single correct rounding); integers saturate with NaN → 0 (Rust `as`); bool is `!= 0`.
pub fn from_f64(f: &mut Func, v: &str, dt: DType) -> String {
    match dt {
        DType::F64 => v.to_string(),
        DType::F32 => f.op(format!("arith.truncf {v} : f64 to f32")),
        DType::F16 | DType::BF16 => round_to_odd_f32(f, v),
        DType::Bool => {
            let z = f.fconst(0.0, Scalar::Float(64));
            f.op(format!("arith.cmpf une, {v}, {z} : f64"))
        }
        _ => match Scalar::of(dt) {
            Some(Scalar::Int { bits, signed }) => saturate(f, v, bits, signed),
            _ => v.to_string(),
        },
    }
}

/// f64 → f32 rounding to odd (`ir::ops::elementwise::num::f64_to_f32_odd`).
fn round_to_odd_f32(f: &mut Func, x: &str) -> String {
    let r = f.op(format!("arith.truncf {x} : f64 to f32"));
    let back = f.op(format!("arith.extf {r} : f32 to f64"));
    let exact = f.op(format!("arith.cmpf oeq, {back}, {x} : f64"));
    let inf = f.fconst(f64::INFINITY, Scalar::Float(32));
    let ar = f.op(format!("math.absf {r} : f32"));
    let finite = f.op(format!("arith.cmpf one, {ar}, {inf} : f32"));
    let t = f.cst("1", "i1");
    let inexact = f.op(format!("arith.xori {exact}, {t} : i1"));
    let fix = f.op(format!("arith.andi {inexact}, {finite} : i1"));
    let bits = f.op(format!("arith.bitcast {r} : f32 to i32"));
    let ab = f.op(format!("math.absf {back} : f64"));
    let ax = f.op(format!("math.absf {x} : f64"));
    let away = f.op(format!("arith.cmpf ogt, {ab}, {ax} : f64"));
    let one = f.cst("1", "i32");
    let dec = f.op(format!("arith.subi {bits}, {one} : i32"));
    let b1 = f.op(format!("arith.select {away}, {dec}, {bits} : i32"));
    let b2 = f.op(format!("arith.ori {b1}, {one} : i32"));
    let odd = f.op(format!("arith.bitcast {b2} : i32 to f32"));
    f.op(format!("arith.select {fix}, {odd}, {r} : f32"))
}

/// f64 → iN with Rust `as` semantics: NaN → 0, out of range → the nearest bound.
fn saturate(f: &mut Func, x: &str, bits: u32, signed: bool) -> String {
    let t = format!("i{bits}");
    let s = Scalar::Int { bits, signed };
    let f64s = Scalar::Float(64);
    // Bounds as f64: lo = MIN (exact), hi = MAX + 1 (a power of two, exact).
    let (lo, hi) = if signed {
        (-(2f64.powi(bits as i32 - 1)), 2f64.powi(bits as i32 - 1))
    } else {
        (0.0, 2f64.powi(bits as i32))
    };
    let (clo, chi) = (f.fconst(lo, f64s), f.fconst(hi, f64s));
    let clamped = f.op(format!("arith.maximumf {x}, {clo} : f64"));
    let big = f.op(format!("arith.cmpf oge, {x}, {chi} : f64"));
    let nan = f.op(format!("arith.cmpf uno, {x}, {x} : f64"));
    // In range now (NaN and too-big lanes are replaced below): convert the clamped value or 0.
    let zero = f.fconst(0.0, f64s);
    let bad = f.op(format!("arith.ori {big}, {nan} : i1"));
    let safe = f.op(format!("arith.select {bad}, {zero}, {clamped} : f64"));
    let o = if signed { "fptosi" } else { "fptoui" };
    let c = f.op(format!("arith.{o} {safe} : f64 to {t}"));
    let max = if signed { f.iconst(i64::MAX >> (64 - bits), s) } else { f.iconst(-1, s) };
    let z = f.iconst(0, s);
    let r = f.op(format!("arith.select {big}, {max}, {c} : {t}"));
    f.op(format!("arith.select {nan}, {z}, {r} : {t}"))
}

/// `a + b` on f64 that LLVM may reassociate (so a reduction loop over it vectorizes).
pub fn add_r(f: &mut Func, a: &str, b: &str, ty: &str) -> String {
    f.op(format!("arith.addf {a}, {b} fastmath<reassoc> : {ty}"))
}

/// A NaN-exact float fold: `op` is `maximumf`, `minimumf`, `maxnumf` or `minnumf` (exact and
/// order-independent, so any order gives the interpreter's sequential result), `init` a
/// compute scalar of `s`, `lanes` the vector width.
pub struct Fold<'a> {
    pub op: &'a str,
    pub init: &'a str,
    pub s: Scalar,
    pub lanes: usize,
}

/// Fold the contiguous run `x[prefix…, 0..n]` (x's innermost dim). LLVM does not vectorize
/// these reductions itself (they are expanded into compare/select chains), so the body is
/// written with `vector` ops, then the lanes and the tail are folded in scalar.
pub fn vec_fold(f: &mut Func, x: &View, prefix: &[String], n: usize, fold: &Fold) -> String {
    let Fold { op, init, s, lanes } = *fold;
    let t = s.ty();
    let e = elem_type(x.dt).unwrap_or("f32");
    let at = |j: &str| {
        let mut v = prefix.to_vec();
        v.push(j.to_string());
        v
    };
    let chunks = if lanes > 1 { n / lanes } else { 0 };
    let mut acc = init.to_string();
    if chunks > 0 {
        let vt = format!("vector<{lanes}x{t}>");
        let splat = f.op(format!("vector.broadcast {init} : {t} to {vt}"));
        let r = f.for_iter(0, chunks * lanes, lanes, &[(splat, vt.clone())], |f, j, c| {
            let v = f.op(format!("vector.load {}[{}] : {}, vector<{lanes}x{e}>", x.mem, at(j).join(", "), x.mty));
            let v = if e == t { v } else { f.op(format!("arith.extf {v} : vector<{lanes}x{e}> to {vt}")) };
            vec![f.op(format!("arith.{op} {}, {v} : {vt}", c[0]))]
        });
        for i in 0..lanes {
            let l = f.op(format!("vector.extract {}[{i}] : {t} from {vt}", r[0]));
            acc = f.op(format!("arith.{op} {acc}, {l} : {t}"));
        }
    }
    if chunks * lanes < n {
        let r = f.for_iter(chunks * lanes, n, 1, &[(acc.clone(), t.clone())], |f, j, c| {
            let v = x.load(f, &at(j));
            vec![f.op(format!("arith.{op} {}, {v} : {t}", c[0]))]
        });
        acc = r[0].clone();
    }
    acc
}

/// Vector width for `vec_fold` on dtype `dt`: two registers' worth (two independent chains).
pub fn fold_lanes(f32_lanes: usize, dt: DType) -> usize {
    let per_reg = if dt == DType::F64 { f32_lanes / 2 } else { f32_lanes };
    (per_reg * 2).max(1)
}
