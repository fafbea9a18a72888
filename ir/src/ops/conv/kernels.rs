//! N-d convolution kernels on flat row-major buffers: the sliding-window walk shared by im2col,
//! direct (depthwise) convolution and col2im, and the forward / transposed convolutions built on
//! it with the strided gemm of ops::linalg::gemm.

use crate::ops::linalg::gemm::{gemm, Gemm, GemmElem, Layout};
use crate::OpResult;

/// A sliding window between an image and its grid of window positions ("columns"): column
/// position `o` with kernel tap `k` reads image position `o*stride + k*dilation - pad_begin`.
#[derive(Clone, Debug)]
pub struct Window {
    pub img: Vec<usize>,
    pub cols: Vec<usize>,
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    pub pad_begin: Vec<usize>,
}

pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Advance a row-major multi-index over `shape`; false once it wraps around.
pub fn next_index(idx: &mut [usize], shape: &[usize]) -> bool {
    for d in (0..idx.len()).rev() {
        idx[d] += 1;
        if idx[d] < shape[d] {
            return true;
        }
        idx[d] = 0;
    }
    false
}

impl Window {
    pub fn img_size(&self) -> usize {
        self.img.iter().product()
    }
    pub fn col_size(&self) -> usize {
        self.cols.iter().product()
    }
    pub fn taps(&self) -> usize {
        self.kernel.iter().product()
    }
    /// Image step between consecutive columns along the last dim.
    pub fn step(&self) -> usize {
        self.strides.last().copied().unwrap_or(1)
    }

    /// For kernel tap `kk`, call `f(col_offset, img_offset, len)` for every run of columns along
    /// the last dim whose image positions lie inside the image; column `col_offset + j` reads
    /// image element `img_offset + j * self.step()`. Columns outside the image are skipped.
    pub fn runs(&self, kk: &[usize], mut f: impl FnMut(usize, usize, usize)) {
        let nd = self.img.len();
        if nd == 0 || self.cols.contains(&0) || self.img.contains(&0) {
            return;
        }
        let last = nd - 1;
        let s = self.strides[last] as isize;
        let start = (kk[last] * self.dilations[last]) as isize - self.pad_begin[last] as isize;
        let img_last = self.img[last] as isize;
        let lo = if start >= 0 { 0 } else { (-start + s - 1) / s };
        let hi = if img_last <= start { 0 } else { ((img_last - start + s - 1) / s).min(self.cols[last] as isize) };
        if lo >= hi {
            return;
        }
        let img_st = contiguous_strides(&self.img);
        let col_st = contiguous_strides(&self.cols);
        let outer = &self.cols[..last];
        let mut oo = vec![0usize; last];
        loop {
            let mut img_off = 0usize;
            let mut inside = true;
            for d in 0..last {
                let p = (oo[d] * self.strides[d] + kk[d] * self.dilations[d]) as isize - self.pad_begin[d] as isize;
                if p < 0 || p >= self.img[d] as isize {
                    inside = false;
                    break;
                }
                img_off += p as usize * img_st[d];
            }
            if inside {
                let col_off: usize = oo.iter().zip(&col_st).map(|(i, s)| i * s).sum::<usize>() + lo as usize;
                f(col_off, img_off + (lo * s + start) as usize, (hi - lo) as usize);
            }
            if !next_index(&mut oo, outer) {
                return;
            }
        }
    }

    /// Call `f(tap_index, kernel_multi_index)` for each kernel tap in row-major order.
    pub fn for_each_tap(&self, mut f: impl FnMut(usize, &[usize])) {
        if self.kernel.contains(&0) {
            return;
        }
        let mut kk = vec![0usize; self.kernel.len()];
        let mut t = 0;
        loop {
            f(t, &kk);
            t += 1;
            if !next_index(&mut kk, &self.kernel) {
                return;
            }
        }
    }

    /// im2col of `channels` consecutive image planes into `buf` ([channels*taps, cols]).
    pub fn im2col<T: Copy + Default>(&self, img: &[T], channels: usize, buf: &mut [T]) {
        let (isz, csz, taps, step) = (self.img_size(), self.col_size(), self.taps(), self.step());
        buf.iter_mut().for_each(|v| *v = T::default());
        for c in 0..channels {
            let plane = &img[c * isz..(c + 1) * isz];
            self.for_each_tap(|t, kk| {
                let row = &mut buf[(c * taps + t) * csz..(c * taps + t + 1) * csz];
                self.runs(kk, |co, io, len| {
                    if step == 1 {
                        row[co..co + len].copy_from_slice(&plane[io..io + len]);
                    } else {
                        for j in 0..len {
                            row[co + j] = plane[io + j * step];
                        }
                    }
                });
            });
        }
    }

    /// col2im: add each row of `cols` ([channels*taps, cols]) into `channels` image planes.
    pub fn col2im<T: GemmElem>(&self, cols: &[T], channels: usize, img: &mut [T]) {
        let (isz, csz, taps, step) = (self.img_size(), self.col_size(), self.taps(), self.step());
        for c in 0..channels {
            let plane = &mut img[c * isz..(c + 1) * isz];
            self.for_each_tap(|t, kk| {
                let row = &cols[(c * taps + t) * csz..(c * taps + t + 1) * csz];
                self.runs(kk, |co, io, len| {
                    for j in 0..len {
                        let p = &mut plane[io + j * step];
                        *p = p.add(row[co + j]);
                    }
                });
            });
        }
    }
}

/// Static geometry of one convolution (forward or transposed).
#[derive(Clone, Debug)]
pub struct ConvGeom {
    pub batch: usize,
    pub c_in: usize,
    pub c_out: usize,
    pub group: usize,
    /// Forward: image = input, columns = output. Transposed: image = output, columns = input.
    pub win: Window,
}

/// Forward convolution: x [N, C, in...], w [M, C/g, k...] → [N, M, out...].
pub fn conv_forward<T: GemmElem>(x: &[T], w: &[T], bias: Option<&[T]>, g: &ConvGeom) -> OpResult<Vec<T>> {
    let win = &g.win;
    let (isz, osz, taps) = (win.img_size(), win.col_size(), win.taps());
    let (cg, mg) = (g.c_in / g.group, g.c_out / g.group);
    let mut out = vec![T::default(); checked_len(&[g.batch, g.c_out, osz])?];
    let pointwise = taps == 1
        && win.img == win.cols
        && win.strides.iter().all(|&s| s == 1)
        && win.pad_begin.iter().all(|&p| p == 0);
    let mut cols = if pointwise || cg == 1 { Vec::new() } else { vec![T::default(); checked_len(&[cg, taps, osz])?] };
    let step = win.step();
    for n in 0..g.batch {
        for grp in 0..g.group {
            let x_off = (n * g.c_in + grp * cg) * isz;
            let o_off = (n * g.c_out + grp * mg) * osz;
            let w_off = grp * mg * cg * taps;
            if cg == 1 && !pointwise {
                // Depthwise-like: one input plane per group, accumulate each tap directly.
                let plane = &x[x_off..x_off + isz];
                for oc in 0..mg {
                    let row = &mut out[o_off + oc * osz..o_off + (oc + 1) * osz];
                    win.for_each_tap(|t, kk| {
                        let wv = w[w_off + oc * taps + t];
                        win.runs(kk, |co, io, len| {
                            for j in 0..len {
                                row[co + j] = row[co + j].add(wv.mul(plane[io + j * step]));
                            }
                        });
                    });
                }
                continue;
            }
            let (b, b_lay): (&[T], Layout) = if pointwise {
                (x, Layout::new(x_off, isz, 1))
            } else {
                win.im2col(&x[x_off..x_off + cg * isz], cg, &mut cols);
                (&cols, Layout::new(0, osz, 1))
            };
            let gm = Gemm {
                m: mg,
                k: cg * taps,
                n: osz,
                a: Layout::new(w_off, cg * taps, 1),
                b: b_lay,
                c: Layout::new(o_off, osz, 1),
                accumulate: false,
            };
            gemm(&gm, w, b, &mut out)?;
        }
    }
    add_bias(&mut out, bias, g.c_out, osz);
    Ok(out)
}

/// Transposed convolution: x [N, C, in...], w [C, M/g, k...] → [N, M, out...].
pub fn conv_transpose<T: GemmElem>(x: &[T], w: &[T], bias: Option<&[T]>, g: &ConvGeom) -> OpResult<Vec<T>> {
    let win = &g.win;
    let (osz, isz, taps) = (win.img_size(), win.col_size(), win.taps());
    let (cg, mg) = (g.c_in / g.group, g.c_out / g.group);
    let mut out = vec![T::default(); checked_len(&[g.batch, g.c_out, osz])?];
    let mut cols = vec![T::default(); checked_len(&[mg, taps, isz])?];
    for n in 0..g.batch {
        for grp in 0..g.group {
            // cols [mg*taps, in] = W_gᵀ [mg*taps, cg] · X_g [cg, in]
            let gm = Gemm {
                m: mg * taps,
                k: cg,
                n: isz,
                a: Layout::new(grp * cg * mg * taps, 1, mg * taps),
                b: Layout::new((n * g.c_in + grp * cg) * isz, isz, 1),
                c: Layout::new(0, isz, 1),
                accumulate: false,
            };
            gemm(&gm, w, x, &mut cols)?;
            let o_off = (n * g.c_out + grp * mg) * osz;
            win.col2im(&cols, mg, &mut out[o_off..o_off + mg * osz]);
        }
    }
    add_bias(&mut out, bias, g.c_out, osz);
    Ok(out)
}

/// Product of sizes for a buffer, or an error if it overflows.
fn checked_len(dims: &[usize]) -> OpResult<usize> {
    match dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) {
        Some(n) if n <= isize::MAX as usize / 16 => Ok(n),
        _ => crate::invalid!("convolution buffer of {dims:?} elements is too large"),
    }
}

fn add_bias<T: GemmElem>(out: &mut [T], bias: Option<&[T]>, channels: usize, plane: usize) {
    let Some(b) = bias else { return };
    if plane == 0 || channels == 0 {
        return;
    }
    for (i, chunk) in out.chunks_mut(plane).enumerate() {
        let bv = b[i % channels];
        chunk.iter_mut().for_each(|v| *v = v.add(bv));
    }
}
