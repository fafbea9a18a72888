//! Max / average / Lp pooling over N-d windows (with MaxPool's flat indices output).

use super::kernels::{contiguous_strides, next_index};
use crate::{invalid, OpResult, PoolKind, Tensor};
use half::{bf16, f16};
use ndarray::{ArrayD, IxDyn};

/// Static geometry of one pooling: windows over `img` (input spatial dims) giving `out`.
#[derive(Clone, Debug)]
pub struct PoolGeom {
    pub batch: usize,
    pub channels: usize,
    pub img: Vec<usize>,
    pub out: Vec<usize>,
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    pub pad_begin: Vec<usize>,
    pub pad_end: Vec<usize>,
}

/// For every output position, the input positions (flat, row-major) of its window that lie
/// inside the image, and how many window taps lie inside the explicitly padded image.
struct Windows {
    /// CSR: taps of output position o are `flat[start[o]..start[o + 1]]`.
    start: Vec<usize>,
    flat: Vec<usize>,
    /// The same taps as column-major flat indices (storage_order = 1).
    flat_col_major: Vec<usize>,
    padded_count: Vec<usize>,
}

fn windows(g: &PoolGeom) -> Windows {
    let nd = g.img.len();
    // Per dim and output index: valid input coords and count of taps inside the padded range.
    let mut coords: Vec<Vec<Vec<usize>>> = Vec::with_capacity(nd);
    let mut padded: Vec<Vec<usize>> = Vec::with_capacity(nd);
    for d in 0..nd {
        let (mut cd, mut pd) = (Vec::new(), Vec::new());
        for o in 0..g.out[d] {
            let mut c = Vec::new();
            let mut count = 0;
            for t in 0..g.kernel[d] {
                let p = (o * g.strides[d] + t * g.dilations[d]) as i64 - g.pad_begin[d] as i64;
                if p >= 0 && p < g.img[d] as i64 {
                    c.push(p as usize);
                }
                if p >= -(g.pad_begin[d] as i64) && p < g.img[d].saturating_add(g.pad_end[d]) as i64 {
                    count += 1;
                }
            }
            cd.push(c);
            pd.push(count);
        }
        coords.push(cd);
        padded.push(pd);
    }
    let row_st = contiguous_strides(&g.img);
    let mut col_st = vec![1usize; nd];
    for d in 1..nd {
        col_st[d] = col_st[d - 1] * g.img[d - 1];
    }
    let mut w = Windows { start: vec![0], flat: Vec::new(), flat_col_major: Vec::new(), padded_count: Vec::new() };
    let total: usize = g.out.iter().product();
    if total == 0 {
        return w;
    }
    let mut oi = vec![0usize; nd];
    loop {
        let lists: Vec<&Vec<usize>> = (0..nd).map(|d| &coords[d][oi[d]]).collect();
        w.padded_count.push((0..nd).map(|d| padded[d][oi[d]]).product());
        if lists.iter().all(|l| !l.is_empty()) {
            let lens: Vec<usize> = lists.iter().map(|l| l.len()).collect();
            let mut ti = vec![0usize; nd];
            loop {
                let (mut r, mut c) = (0, 0);
                for d in 0..nd {
                    let p = lists[d][ti[d]];
                    r += p * row_st[d];
                    c += p * col_st[d];
                }
                w.flat.push(r);
                w.flat_col_major.push(c);
                if !next_index(&mut ti, &lens) {
                    break;
                }
            }
        }
        w.start.push(w.flat.len());
        if !next_index(&mut oi, &g.out) {
            return w;
        }
    }
}

#[allow(clippy::eq_op)]
fn is_nan<T: PartialEq>(v: T) -> bool {
    v != v
}

/// Max pooling of any ordered element type; NaNs are skipped unless a window holds only NaNs.
/// Returns values and (if asked) i64 indices flat over N, C and the spatial dims.
fn max_pool<T: Copy + PartialOrd + Default>(
    x: &[T],
    g: &PoolGeom,
    w: &Windows,
    indices: bool,
    col_major: bool,
) -> (Vec<T>, Vec<i64>) {
    let isz: usize = g.img.iter().product();
    let osz = w.padded_count.len();
    let planes = g.batch * g.channels;
    let mut y = Vec::with_capacity(planes * osz);
    let mut idx = Vec::with_capacity(if indices { planes * osz } else { 0 });
    let flat_for_index = if col_major { &w.flat_col_major } else { &w.flat };
    for p in 0..planes {
        let plane = &x[p * isz..(p + 1) * isz];
        for o in 0..osz {
            let taps = &w.flat[w.start[o]..w.start[o + 1]];
            let mut best: Option<(T, usize)> = None;
            for (t, &i) in taps.iter().enumerate() {
                let v = plane[i];
                match best {
                    None => best = Some((v, t)),
                    Some((b, _)) if !is_nan(v) && (is_nan(b) || v > b) => best = Some((v, t)),
                    _ => {}
                }
            }
            match best {
                Some((v, t)) => {
                    y.push(v);
                    if indices {
                        idx.push((p * isz + flat_for_index[w.start[o] + t]) as i64);
                    }
                }
                None => {
                    y.push(T::default());
                    if indices {
                        idx.push(-1);
                    }
                }
            }
        }
    }
    (y, idx)
}

/// Average or Lp pooling computed in f64.
fn avg_lp_pool(x: &[f64], g: &PoolGeom, w: &Windows, kind: PoolKind) -> Vec<f64> {
    let isz: usize = g.img.iter().product();
    let osz = w.padded_count.len();
    let mut y = Vec::with_capacity(g.batch * g.channels * osz);
    for p in 0..g.batch * g.channels {
        let plane = &x[p * isz..(p + 1) * isz];
        for o in 0..osz {
            let taps = &w.flat[w.start[o]..w.start[o + 1]];
            let v = match kind {
                PoolKind::Avg { count_include_pad } => {
                    let n = if count_include_pad { w.padded_count[o] } else { taps.len() };
                    if n == 0 {
                        0.0
                    } else {
                        taps.iter().map(|&i| plane[i]).sum::<f64>() / n as f64
                    }
                }
                PoolKind::Lp { p } => {
                    let pf = p as f64;
                    let s: f64 = taps
                        .iter()
                        .map(|&i| {
                            if p == 1 {
                                plane[i].abs()
                            } else if p == 2 {
                                plane[i] * plane[i]
                            } else {
                                plane[i].abs().powf(pf)
                            }
                        })
                        .sum();
                    if p == 1 {
                        s
                    } else if p == 2 {
                        s.sqrt()
                    } else {
                        s.powf(1.0 / pf)
                    }
                }
                PoolKind::Max => f64::NAN,
            };
            y.push(v);
        }
    }
    y
}

fn arr<T>(shape: &[usize], v: Vec<T>) -> OpResult<ArrayD<T>> {
    ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| format!("internal: {e}").into())
}

/// Run a pooling on `x` (shape [N, C, img...]); returns y and, for MaxPool with indices, the indices.
pub fn pool(x: &Tensor, g: &PoolGeom, kind: PoolKind, with_indices: bool, col_major: bool) -> OpResult<Vec<Tensor>> {
    let w = windows(g);
    let mut shape = vec![g.batch, g.channels];
    shape.extend(&g.out);
    if let PoolKind::Max = kind {
        macro_rules! maxp {
            ($($v:ident),*) => {
                match x {
                    $(Tensor::$v(a) => {
                        let a = a.as_standard_layout();
                        let (y, idx) = max_pool(a.as_slice().unwrap_or(&[]), g, &w, with_indices, col_major);
                        let mut out = vec![Tensor::$v(arr(&shape, y)?)];
                        if with_indices {
                            out.push(Tensor::I64(arr(&shape, idx)?));
                        }
                        return Ok(out);
                    })*
                    _ => invalid!("MaxPool does not take {} input", x.dtype()),
                }
            };
        }
        maxp!(F32, F64, F16, BF16, I8, I16, I32, I64, U8, U16, U32, U64)
    }
    if let PoolKind::Lp { p: 0 } = kind {
        invalid!("LpPool needs p >= 1");
    }
    let xs: Vec<f64> = match x {
        Tensor::F32(_) | Tensor::F64(_) | Tensor::F16(_) | Tensor::BF16(_) => x.to_f64_vec(),
        _ => invalid!("average and Lp pooling need a float input, got {}", x.dtype()),
    };
    let y = avg_lp_pool(&xs, g, &w, kind);
    Ok(vec![match x {
        Tensor::F32(_) => Tensor::F32(arr(&shape, y.iter().map(|&v| v as f32).collect())?),
        Tensor::F16(_) => Tensor::F16(arr(&shape, y.iter().map(|&v| f16::from_f64(v)).collect())?),
        Tensor::BF16(_) => Tensor::BF16(arr(&shape, y.iter().map(|&v| bf16::from_f64(v)).collect())?),
        _ => Tensor::F64(arr(&shape, y)?),
    }])
}
