//! Static window geometry of the conv family (Conv, ConvInteger, ConvTranspose, pooling,
//! Col2Im) from attributes and shapes, following the interpreter's shape rules
//! (ir/src/ops/conv/shape.rs) so compiled kernels see the same pads and kernel sizes.

use ir::{AutoPad, ConvAttrs, ConvTransposeAttrs, PoolAttrs};

/// A sliding window between an image and its grid of window positions ("columns"): column
/// `o` with kernel tap `k` reads image position `o*stride + k*dilation - pad_begin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub img: Vec<usize>,
    pub cols: Vec<usize>,
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    pub pad_begin: Vec<usize>,
    /// End pads (pooling's count_include_pad needs them).
    pub pad_end: Vec<usize>,
}

impl Window {
    pub fn taps(&self) -> usize {
        self.kernel.iter().product()
    }
    pub fn img_size(&self) -> usize {
        self.img.iter().product()
    }
    pub fn col_size(&self) -> usize {
        self.cols.iter().product()
    }
    /// Range of columns `[lo, hi)` along dim `d` whose tap `k` lands inside the image.
    pub fn valid_cols(&self, d: usize, k: usize) -> (usize, usize) {
        let s = self.strides[d] as i64;
        let start = (k * self.dilations[d]) as i64 - self.pad_begin[d] as i64;
        let img = self.img[d] as i64;
        let lo = if start >= 0 { 0 } else { (-start + s - 1) / s };
        let hi = if img <= start { 0 } else { ((img - start + s - 1) / s).min(self.cols[d] as i64) };
        (lo as usize, (hi.max(lo)) as usize)
    }
}

type Geo<T> = std::result::Result<T, String>;

fn list(v: &[usize], n: usize, per: usize, default: usize, what: &str) -> Geo<Vec<usize>> {
    if v.is_empty() {
        return Ok(vec![default; n * per]);
    }
    if v.len() != n * per {
        return Err(format!("{what} has {} entries, expected {}", v.len(), n * per));
    }
    Ok(v.to_vec())
}

fn extent(k: usize, d: usize) -> usize {
    (k.max(1) - 1) * d + 1
}

/// Output size and (begin, end) pads of one dim (the interpreter's `window_out`).
#[allow(clippy::too_many_arguments)]
fn window_out(input: usize, k: usize, s: usize, d: usize, pb: usize, pe: usize, auto: AutoPad, ceil: bool) -> Geo<(usize, usize, usize)> {
    let ek = extent(k, d);
    if s == 0 {
        return Err("strides must be >= 1".into());
    }
    match auto {
        AutoPad::NotSet => {
            let padded = input + pb + pe;
            if padded < ek {
                return Err(format!("kernel extent {ek} is larger than the padded input {padded}"));
            }
            let num = padded - ek;
            let mut out = if ceil { num.div_ceil(s) + 1 } else { num / s + 1 };
            if ceil && (out - 1) * s >= input + pb {
                out -= 1;
            }
            Ok((out, pb, pe))
        }
        AutoPad::Valid => {
            if input < ek {
                return Err(format!("kernel extent {ek} is larger than the input {input}"));
            }
            Ok(((input - ek) / s + 1, 0, 0))
        }
        AutoPad::SameUpper | AutoPad::SameLower => {
            let out = input.div_ceil(s);
            let total = ((out.max(1) - 1) * s + ek).saturating_sub(input);
            let small = total / 2;
            Ok(if auto == AutoPad::SameUpper { (out, small, total - small) } else { (out, total - small, small) })
        }
    }
}

struct Attrs {
    kernel: Vec<usize>,
    strides: Vec<usize>,
    dilations: Vec<usize>,
    pads: Vec<usize>,
}

fn attrs(kernel_shape: &[usize], w_kernel: Option<&[usize]>, strides: &[usize], dilations: &[usize], pads: &[usize], n: usize) -> Geo<Attrs> {
    let kernel = if kernel_shape.is_empty() {
        w_kernel.ok_or("kernel_shape is required")?.to_vec()
    } else if kernel_shape.len() != n {
        return Err(format!("kernel_shape {kernel_shape:?} does not have {n} entries"));
    } else {
        kernel_shape.to_vec()
    };
    if kernel.contains(&0) {
        return Err(format!("kernel sizes must be >= 1, got {kernel:?}"));
    }
    Ok(Attrs {
        kernel,
        strides: list(strides, n, 1, 1, "strides")?,
        dilations: list(dilations, n, 1, 1, "dilations")?,
        pads: list(pads, n, 2, 0, "pads")?,
    })
}

/// Forward convolution: image = x's spatial dims, columns = y's.
pub fn conv(a: &ConvAttrs, xs: &[usize], ws: &[usize], ys: &[usize]) -> Geo<Window> {
    let n = xs.len() - 2;
    let at = attrs(&a.kernel_shape, Some(&ws[2..]), &a.strides, &a.dilations, &a.pads, n)?;
    let mut pad_begin = vec![];
    let mut pad_end = vec![];
    for i in 0..n {
        let (_, pb, pe) =
            window_out(xs[2 + i], at.kernel[i], at.strides[i], at.dilations[i], at.pads[i], at.pads[n + i], a.auto_pad, false)?;
        pad_begin.push(pb);
        pad_end.push(pe);
    }
    Ok(Window {
        img: xs[2..].to_vec(),
        cols: ys[2..].to_vec(),
        kernel: at.kernel,
        strides: at.strides,
        dilations: at.dilations,
        pad_begin,
        pad_end,
    })
}

/// Pooling: image = x's spatial dims, columns = y's.
pub fn pool(a: &PoolAttrs, xs: &[usize], ys: &[usize]) -> Geo<Window> {
    let n = xs.len() - 2;
    let at = attrs(&a.kernel_shape, None, &a.strides, &a.dilations, &a.pads, n)?;
    let mut pad_begin = vec![];
    let mut pad_end = vec![];
    for i in 0..n {
        let (_, pb, pe) = window_out(
            xs[2 + i],
            at.kernel[i],
            at.strides[i],
            at.dilations[i],
            at.pads[i],
            at.pads[n + i],
            a.auto_pad,
            a.ceil_mode,
        )?;
        pad_begin.push(pb);
        pad_end.push(pe);
    }
    Ok(Window {
        img: xs[2..].to_vec(),
        cols: ys[2..].to_vec(),
        kernel: at.kernel,
        strides: at.strides,
        dilations: at.dilations,
        pad_begin,
        pad_end,
    })
}

/// Begin pad of one dim of a transposed convolution (the interpreter's `transpose_out`).
#[allow(clippy::too_many_arguments)]
fn transpose_pad(input: usize, k: usize, s: usize, d: usize, pb: usize, out_pad: usize, auto: AutoPad, given: Option<usize>) -> usize {
    let ek = extent(k, d) as i128;
    let natural = s as i128 * (input as i128 - 1) + out_pad as i128 + ek;
    let split = |out: i128| -> usize {
        let total = (natural - out).max(0) as usize;
        if auto == AutoPad::SameUpper {
            total / 2
        } else {
            total - total / 2
        }
    };
    match (given, auto) {
        (Some(g), AutoPad::SameUpper | AutoPad::SameLower) => split(g as i128),
        (Some(_), AutoPad::Valid) => 0,
        (Some(_), AutoPad::NotSet) => pb,
        (None, AutoPad::SameUpper | AutoPad::SameLower) => split(input as i128 * s as i128),
        (None, AutoPad::Valid) => split(natural),
        (None, AutoPad::NotSet) => pb,
    }
}

/// Transposed convolution: image = y's spatial dims, columns = x's.
pub fn conv_transpose(a: &ConvTransposeAttrs, xs: &[usize], ws: &[usize], ys: &[usize]) -> Geo<Window> {
    let c = &a.conv;
    let n = xs.len() - 2;
    let at = attrs(&c.kernel_shape, Some(&ws[2..]), &c.strides, &c.dilations, &c.pads, n)?;
    let out_pad = list(&a.output_padding, n, 1, 0, "output_padding")?;
    let given: Option<Vec<usize>> = match &a.output_shape {
        None => None,
        Some(v) if v.len() == n => Some(v.clone()),
        Some(v) if v.len() == n + 2 => Some(v[2..].to_vec()),
        Some(v) => return Err(format!("output_shape {v:?} does not have {n} spatial entries")),
    };
    let pad_begin = (0..n)
        .map(|i| {
            transpose_pad(
                xs[2 + i],
                at.kernel[i],
                at.strides[i],
                at.dilations[i],
                at.pads[i],
                out_pad[i],
                c.auto_pad,
                given.as_ref().map(|g| g[i]),
            )
        })
        .collect();
    Ok(Window {
        img: ys[2..].to_vec(),
        cols: xs[2..].to_vec(),
        kernel: at.kernel,
        strides: at.strides,
        dilations: at.dilations,
        pad_begin,
        pad_end: vec![0; n],
    })
}

/// Col2Im: image = `image` (the output's spatial dims), columns from the window arithmetic.
pub fn col2im(dilations: &[usize], pads: &[usize], strides: &[usize], image: &[usize], block: &[usize]) -> Geo<Window> {
    let n = image.len();
    let at = attrs(block, None, strides, dilations, pads, n)?;
    let mut cols = vec![];
    for (i, &size) in image.iter().enumerate() {
        let (o, _, _) =
            window_out(size, at.kernel[i], at.strides[i], at.dilations[i], at.pads[i], at.pads[n + i], AutoPad::NotSet, false)?;
        cols.push(o);
    }
    Ok(Window {
        img: image.to_vec(),
        cols,
        kernel: at.kernel,
        strides: at.strides,
        dilations: at.dilations,
        pad_begin: at.pads[..n].to_vec(),
        pad_end: at.pads[n..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_upper_pads_split_low_first() {
        let (o, pb, pe) = window_out(5, 3, 2, 1, 0, 0, AutoPad::SameUpper, false).unwrap();
        assert_eq!((o, pb, pe), (3, 1, 1));
        let (o, pb, pe) = window_out(4, 2, 1, 1, 0, 0, AutoPad::SameLower, false).unwrap();
        assert_eq!((o, pb, pe), (4, 1, 0));
    }

    #[test]
    fn ceil_mode_drops_a_window_starting_in_the_end_pad() {
        // 5 wide, kernel 2, stride 2, pad end 1: ceil gives 3 windows, the last starts at 4 < 5.
        assert_eq!(window_out(5, 2, 2, 1, 0, 1, AutoPad::NotSet, true).unwrap().0, 3);
        assert_eq!(window_out(4, 2, 2, 1, 1, 1, AutoPad::NotSet, true).unwrap().0, 3);
        // 4 wide, kernel 1, stride 2, pad end 1: ceil would give 3 but the third starts in the pad.
        assert_eq!(window_out(4, 1, 2, 1, 0, 1, AutoPad::NotSet, true).unwrap().0, 2);
    }

    #[test]
    fn valid_columns_of_a_padded_tap() {
        let w = Window {
            img: vec![5],
            cols: vec![5],
            kernel: vec![3],
            strides: vec![1],
            dilations: vec![1],
            pad_begin: vec![1],
            pad_end: vec![1],
        };
        assert_eq!(w.valid_cols(0, 0), (1, 5));
        assert_eq!(w.valid_cols(0, 1), (0, 5));
        assert_eq!(w.valid_cols(0, 2), (0, 4));
    }
}
