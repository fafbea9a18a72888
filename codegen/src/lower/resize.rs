//! Resize. All geometry is known at compile time (scales / sizes / roi must be constants), so
//! the taps of every output position are computed here (`resize_plan`, the interpreter's
//! arithmetic) and stored as constant tables; the kernels only gather and weigh:
//! - nearest (without exclude_outside or tf_crop_and_resize): one gather in the input's own
//!   type, a table of source indices per resized axis;
//! - otherwise separable passes in f64, one per resized axis in the interpreter's order,
//!   through f64 scratch buffers; the last pass rounds (integers: half to even, saturating) into
//!   the output.

use super::resize_plan::{self, AxisTaps, Plan, Target};
use super::{ix, Kernel, KernelTarget};
use crate::error::Result;
use crate::mlir::{Func, Scalar};
use ir::{CoordTransform, DType, Graph, NodeId, Op, ResizeAttrs, ResizeMode, Tensor};

fn present(t: Option<&Tensor>) -> Option<&Tensor> {
    t.filter(|t| !t.shape().contains(&0))
}

/// The plan from the constant operands (roi, scales, sizes).
fn plan_of(attrs: &ResizeAttrs, xs: &[usize], roi: Option<&Tensor>, scales: Option<&Tensor>, sizes: Option<&Tensor>) -> std::result::Result<Plan, String> {
    let target = match (present(scales), present(sizes)) {
        (Some(s), None) => Target::Scales(s.to_f64_vec()),
        (None, Some(s)) => Target::Sizes(s.to_i64_vec()),
        (Some(_), Some(_)) => return Err("only one of scales and sizes may be given".into()),
        (None, None) => return Err("one of scales and sizes must be given".into()),
    };
    let roi = roi.map(|t| t.to_f64_vec());
    resize_plan::plan(attrs, xs, &target, roi.as_deref())
}

fn fast_nearest(a: &ResizeAttrs) -> bool {
    a.mode == ResizeMode::Nearest && !a.exclude_outside && a.coord != CoordTransform::TfCropAndResize
}

/// Axes resampled by the general path, with the shape before each pass.
fn passes(p: &Plan, xs: &[usize]) -> Vec<(usize, Vec<usize>)> {
    let mut shape = xs.to_vec();
    let mut v = vec![];
    for &a in &p.axes {
        if p.is_identity(a, shape[a]) {
            continue;
        }
        v.push((a, shape.clone()));
        shape[a] = p.out[a];
    }
    v
}

/// f64 elements of the largest intermediate (between two passes) of the general path.
fn intermediate(p: &Plan, xs: &[usize]) -> usize {
    let ps = passes(p, xs);
    ps.iter().skip(1).map(|(_, s)| s.iter().product::<usize>()).max().unwrap_or(0)
}

pub fn scratch_bytes(g: &Graph, id: NodeId, _t: &KernelTarget) -> usize {
    let node = g.node(id);
    let Op::Resize(a) = &node.op else { return 0 };
    if fast_nearest(a) {
        return 0;
    }
    let ins = g.node_inputs(id);
    let konst = |i: usize| ins.get(i).copied().flatten().and_then(|v| g.const_value(v)).map(|t| &**t);
    let Some(xs) = ins.first().copied().flatten().and_then(|v| g.value_type(v).static_shape()) else { return 0 };
    match plan_of(a, &xs, konst(1), konst(2), konst(3)) {
        Ok(p) => {
            let n = intermediate(&p, &xs);
            let bufs = if passes(&p, &xs).len() > 2 { 2 } else { 1 };
            n * 8 * bufs
        }
        Err(_) => 0,
    }
}

pub fn lower(k: &mut Kernel) -> Result<()> {
    let Op::Resize(a) = &k.node.op else { unreachable!() };
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    let mut consts = vec![];
    for (i, what) in [(1, "roi"), (2, "scales"), (3, "sizes")] {
        match k.ins.get(i).cloned().flatten() {
            None => consts.push(None),
            Some(o) => match o.konst {
                Some(t) => consts.push(Some(t)),
                None => return k.unsupported(format!("{what} (input {i}) must be a constant to compile")),
            },
        }
    }
    if a.antialias && a.mode == ResizeMode::Nearest {
        return k.unsupported("antialias is not defined for nearest mode");
    }
    let p = plan_of(a, &x.shape, consts[0].as_deref(), consts[1].as_deref(), consts[2].as_deref())
        .or_else(|e| k.unsupported(e))?;
    if p.out != y.shape {
        return k.unsupported(format!("planned output {:?} differs from the inferred {:?}", p.out, y.shape));
    }
    if y.numel() == 0 {
        return Ok(());
    }
    if x.numel() == 0 {
        return k.unsupported("resize of an empty input to a non-empty output");
    }
    if fast_nearest(a) {
        return nearest(k, a, &p);
    }
    if x.dt == DType::Bool {
        return k.unsupported(format!("{:?} resize of bool tensors", a.mode));
    }
    general(k, a, &p)
}

fn nearest(k: &mut Kernel, a: &ResizeAttrs, p: &Plan) -> Result<()> {
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    let f = &mut k.f;
    let tables: Vec<Option<(String, String)>> = (0..x.shape.len())
        .map(|d| {
            if p.is_identity(d, x.shape[d]) || !p.axes.contains(&d) {
                return None;
            }
            let idx = resize_plan::nearest_indices(a, x.shape[d], p.out[d], p.scales[d]);
            let vals: Vec<String> = idx.iter().map(|v| v.to_string()).collect();
            Some(f.global_table("i32", &vals))
        })
        .collect();
    f.nest(&y.shape, |f, o| {
        let mut xi = vec![];
        for (d, t) in tables.iter().enumerate() {
            xi.push(match t {
                None => o[d].clone(),
                Some((m, ty)) => {
                    let v = f.op(format!("memref.load {m}[{}] : {ty}", o[d]));
                    f.op(format!("arith.index_cast {v} : i32 to index"))
                }
            });
        }
        let v = f.op(format!("memref.load {}[{}] : {}", x.mem, xi.join(", "), x.mty));
        f.line(format!("memref.store {v}, {}[{}] : {}", y.mem, o.join(", "), y.mty));
    });
    Ok(())
}

/// Input element (compute scalar of dtype `dt`) → f64.
pub(super) fn to_f64(f: &mut Func, v: &str, dt: DType) -> String {
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

/// f64 → compute scalar of `dt` (integers: round half to even, saturate, NaN → 0, like the
/// interpreter's `as` cast after `round_ties_even`).
fn from_f64(f: &mut Func, v: &str, dt: DType) -> String {
    cast_f64(f, v, dt, true)
}

/// f64 → compute scalar of `dt` with Rust `as` semantics for integers (saturating, NaN → 0),
/// after rounding half to even when `round`, else truncating toward zero.
pub(super) fn cast_f64(f: &mut Func, v: &str, dt: DType, round: bool) -> String {
    match Scalar::of(dt) {
        Some(Scalar::Float(64)) => v.to_string(),
        Some(Scalar::Float(_)) => f.op(format!("arith.truncf {v} : f64 to f32")),
        Some(Scalar::Int { bits, signed }) => {
            let r = if round { f.op(format!("math.roundeven {v} : f64")) } else { f.op(format!("math.trunc {v} : f64")) };
            let (lo, hi) = if signed {
                (-(2f64.powi(bits as i32 - 1)), 2f64.powi(bits as i32 - 1) - 1.0)
            } else {
                (0.0, 2f64.powi(bits as i32) - 1.0)
            };
            // The largest f64 below 2^bits (2^63 for i64) when the bound itself is not exact.
            let hi = if hi + 1.0 == hi { f64::from_bits(hi.to_bits() - 1) } else { hi };
            let (l, h) = (f.fconst(lo, Scalar::Float(64)), f.fconst(hi, Scalar::Float(64)));
            let c = f.op(format!("arith.maximumf {r}, {l} : f64"));
            let c = f.op(format!("arith.minimumf {c}, {h} : f64"));
            let nan = f.op(format!("arith.cmpf uno, {v}, {v} : f64"));
            let z = f.fconst(0.0, Scalar::Float(64));
            let c = f.op(format!("arith.select {nan}, {z}, {c} : f64"));
            let o = if signed { "fptosi" } else { "fptoui" };
            f.op(format!("arith.{o} {c} : f64 to i{bits}"))
        }
        _ => {
            let z = f.fconst(0.0, Scalar::Float(64));
            f.op(format!("arith.cmpf une, {v}, {z} : f64"))
        }
    }
}

/// Where a pass reads or writes: the input, the output, or an f64 scratch buffer.
#[derive(Clone)]
struct Buf {
    mem: String,
    mty: String,
    dt: DType,
}

fn general(k: &mut Kernel, a: &ResizeAttrs, p: &Plan) -> Result<()> {
    let (x, y) = (k.input(0)?.clone(), k.outs[0].clone());
    let ps = passes(p, &x.shape);
    let f = &mut k.f;
    let e = crate::mlir::elem_type(x.dt).unwrap_or("i8");
    let xb = Buf { mem: ix::flat(f, &x.mem, &x.mty, x.numel(), e), mty: format!("memref<{}x{e}>", x.numel()), dt: x.dt };
    let yb = Buf { mem: ix::flat(f, &y.mem, &y.mty, y.numel(), e), mty: format!("memref<{}x{e}>", y.numel()), dt: y.dt };
    if ps.is_empty() {
        // Every axis is the identity: the values pass through f64 unchanged.
        f.for_range(0, x.numel(), |f, i| {
            let v = f.load(&xb.mem, &xb.mty, &[i.to_string()], x.dt);
            let v = to_f64(f, &v, x.dt);
            let v = from_f64(f, &v, y.dt);
            f.store(&v, &yb.mem, &yb.mty, &[i.to_string()], y.dt);
        });
        return Ok(());
    }
    let n_mid = intermediate(p, &x.shape);
    let mids: Vec<Buf> = if ps.len() > 1 {
        let Some(sc) = k.scratch.clone() else { return k.unsupported("resize needs scratch") };
        let nbufs = if ps.len() > 2 { 2 } else { 1 };
        if sc.1 < n_mid * 8 * nbufs {
            return k.unsupported("resize scratch is too small");
        }
        (0..nbufs)
            .map(|i| Buf {
                mem: ix::scratch_view(&mut k.f, &sc, i * n_mid * 8, n_mid, "f64"),
                mty: format!("memref<{n_mid}xf64>"),
                dt: DType::F64,
            })
            .collect()
    } else {
        vec![]
    };
    let f = &mut k.f;
    let ev = a.extrapolation_value.0 as f64;
    for (i, (ax, shape)) in ps.iter().enumerate() {
        let src = if i == 0 { xb.clone() } else { mids[(i - 1) % 2].clone() };
        let dst = if i + 1 == ps.len() { yb.clone() } else { mids[i % 2].clone() };
        let taps = resize_plan::axis_taps(a, shape[*ax], p.out[*ax], p.scales[*ax], p.roi_of(*ax));
        pass(f, &src, &dst, shape, *ax, p.out[*ax], &taps, ev);
    }
    Ok(())
}

/// Resample `src` (of `shape`) along `axis` to `out_w` positions into `dst`.
#[allow(clippy::too_many_arguments)]
fn pass(f: &mut Func, src: &Buf, dst: &Buf, shape: &[usize], axis: usize, out_w: usize, t: &AxisTaps, ev: f64) {
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let in_w = shape[axis];
    let n = t.n;
    let (im, ity) = f.global_table("i32", &t.idx.iter().map(|v| v.to_string()).collect::<Vec<_>>());
    let (wm, wty) = f.global_table("f64", &t.w.iter().map(|v| format!("0x{:016X}", v.to_bits())).collect::<Vec<_>>());
    let ext = t.extrapolated.iter().any(|&b| b).then(|| {
        f.global_table("i8", &t.extrapolated.iter().map(|&b| (b as u8).to_string()).collect::<Vec<_>>())
    });
    let d64 = Scalar::Float(64);
    f.nest(&[outer, out_w], |f, ivs| {
        let (o, j) = (&ivs[0], &ivs[1]);
        let mut taps = vec![];
        for kx in 0..n {
            let ti = ix::lin(f, &[(j, n as i64)], kx as i64);
            let iv = f.op(format!("memref.load {im}[{ti}] : {ity}"));
            let iv = f.op(format!("arith.index_cast {iv} : i32 to index"));
            let wv = f.op(format!("memref.load {wm}[{ti}] : {wty}"));
            // Row start of source index iv: (o·in_w + iv)·inner.
            let row = ix::lin(f, &[(o, (in_w * inner) as i64), (&iv, inner as i64)], 0);
            taps.push((row, wv));
        }
        let flag = ext.as_ref().map(|(m, ty)| {
            let b = f.op(format!("memref.load {m}[{j}] : {ty}"));
            let z = f.cst("0", "i8");
            f.op(format!("arith.cmpi ne, {b}, {z} : i8"))
        });
        let drow = ix::lin(f, &[(o, (out_w * inner) as i64), (j, inner as i64)], 0);
        f.for_range(0, inner, |f, i| {
            let mut acc: Option<String> = None;
            for (row, wv) in &taps {
                let si = ix::add(f, row, i);
                let v = f.load(&src.mem, &src.mty, &[si], src.dt);
                let v = to_f64(f, &v, src.dt);
                let p = f.op(format!("arith.mulf {wv}, {v} : f64"));
                acc = Some(match acc {
                    None => p,
                    Some(a) => f.op(format!("arith.addf {a}, {p} : f64")),
                });
            }
            let mut v = acc.unwrap_or_else(|| f.fconst(0.0, d64));
            if let Some(fl) = &flag {
                let e = f.fconst(ev, d64);
                v = f.op(format!("arith.select {fl}, {e}, {v} : f64"));
            }
            let di = ix::add(f, &drow, i);
            let v = if dst.dt == DType::F64 { v } else { from_f64(f, &v, dst.dt) };
            f.store(&v, &dst.mem, &dst.mty, &[di], dst.dt);
        });
    });
}
