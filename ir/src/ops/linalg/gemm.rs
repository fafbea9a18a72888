//! Strided matrix-product kernels shared by matmul, einsum and conv: `matrixmultiply` for
//! f32/f64, a plain loop nest with wrapping arithmetic for the integer types.

use crate::tensor::Element;
use crate::{invalid, OpResult};

/// Where a matrix lives in a flat slice: element (i, j) is at `off + i*rs + j*cs`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub off: usize,
    pub rs: usize,
    pub cs: usize,
}

impl Layout {
    pub fn new(off: usize, rs: usize, cs: usize) -> Self {
        Layout { off, rs, cs }
    }

    /// Whether a `rows × cols` matrix with this layout lies inside a slice of `len` elements.
    fn fits(&self, rows: usize, cols: usize, len: usize) -> bool {
        if rows == 0 || cols == 0 {
            return true;
        }
        let last = (rows - 1)
            .checked_mul(self.rs)
            .and_then(|r| (cols - 1).checked_mul(self.cs).and_then(|c| r.checked_add(c)))
            .and_then(|x| x.checked_add(self.off));
        matches!(last, Some(l) if l < len)
    }
}

/// One product C (m×n) = A (m×k) · B (k×n), or C += A·B when `accumulate`.
#[derive(Copy, Clone, Debug)]
pub struct Gemm {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub a: Layout,
    pub b: Layout,
    pub c: Layout,
    pub accumulate: bool,
}

/// Element types with a matrix product. Integer arithmetic wraps (ONNX leaves overflow of
/// integer products undefined; wrapping is what two's-complement hardware does).
pub trait GemmElem: Element + Default {
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;

    /// Run `g` on the slices (bounds are checked by `gemm`, so this may assume they hold).
    fn kernel(g: &Gemm, a: &[Self], b: &[Self], c: &mut [Self]) {
        naive(g, a, b, c)
    }
}

/// The loop-nest product (i, p, j order so that row-major B and C stream).
fn naive<T: GemmElem>(g: &Gemm, a: &[T], b: &[T], c: &mut [T]) {
    for i in 0..g.m {
        let crow = g.c.off + i * g.c.rs;
        if !g.accumulate {
            for j in 0..g.n {
                c[crow + j * g.c.cs] = T::default();
            }
        }
        for p in 0..g.k {
            let av = a[g.a.off + i * g.a.rs + p * g.a.cs];
            let brow = g.b.off + p * g.b.rs;
            for j in 0..g.n {
                let ci = crow + j * g.c.cs;
                c[ci] = c[ci].add(av.mul(b[brow + j * g.b.cs]));
            }
        }
    }
}

/// Checked entry point: C = A·B (or C += A·B) for matrices laid out in the given slices.
pub fn gemm<T: GemmElem>(g: &Gemm, a: &[T], b: &[T], c: &mut [T]) -> OpResult<()> {
    if !g.a.fits(g.m, g.k, a.len()) || !g.b.fits(g.k, g.n, b.len()) || !g.c.fits(g.m, g.n, c.len()) {
        invalid!("internal: matrix product {}x{}x{} out of the bounds of its operands", g.m, g.k, g.n);
    }
    if g.m == 0 || g.n == 0 {
        return Ok(());
    }
    if (g.m > 1 && g.n > 1 && g.c.rs == g.c.cs) || (g.m > 1 && g.c.rs == 0) || (g.n > 1 && g.c.cs == 0) {
        invalid!("internal: aliasing output layout in matrix product");
    }
    if g.k == 0 {
        if !g.accumulate {
            for i in 0..g.m {
                for j in 0..g.n {
                    c[g.c.off + i * g.c.rs + j * g.c.cs] = T::default();
                }
            }
        }
        return Ok(());
    }
    T::kernel(g, a, b, c);
    Ok(())
}

fn is_ok_stride(s: usize) -> bool {
    isize::try_from(s).is_ok()
}

macro_rules! float_gemm {
    ($t:ty, $f:ident) => {
        impl GemmElem for $t {
            fn add(self, o: Self) -> Self {
                self + o
            }
            fn mul(self, o: Self) -> Self {
                self * o
            }
            fn kernel(g: &Gemm, a: &[Self], b: &[Self], c: &mut [Self]) {
                let strides = [g.a.rs, g.a.cs, g.b.rs, g.b.cs, g.c.rs, g.c.cs];
                if !strides.iter().all(|&s| is_ok_stride(s)) {
                    return naive(g, a, b, c);
                }
                let beta = if g.accumulate { 1.0 } else { 0.0 };
                // SAFETY: `gemm` checked that every element addressed by the three layouts lies
                // inside its slice, that m, k, n > 0, and that C's elements do not alias; the
                // strides fit in isize (checked above). A and B are shared borrows distinct from
                // the exclusive borrow of C.
                unsafe {
                    matrixmultiply::$f(
                        g.m,
                        g.k,
                        g.n,
                        1.0,
                        a.as_ptr().add(g.a.off),
                        g.a.rs as isize,
                        g.a.cs as isize,
                        b.as_ptr().add(g.b.off),
                        g.b.rs as isize,
                        g.b.cs as isize,
                        beta,
                        c.as_mut_ptr().add(g.c.off),
                        g.c.rs as isize,
                        g.c.cs as isize,
                    );
                }
            }
        }
    };
}
float_gemm!(f32, sgemm);
float_gemm!(f64, dgemm);

macro_rules! int_gemm {
    ($($t:ty),*) => {$(
        impl GemmElem for $t {
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            fn mul(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
        }
    )*};
}
int_gemm!(i8, i16, i32, i64, u8, u16, u32, u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_products_match_loops() {
        // A is 2x3 stored transposed (column-major), B is 3x2 row-major, C row-major.
        let a_t = [1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0]; // A = [[1,2,3],[4,5,6]]
        let b = [7.0f32, 8.0, 9.0, 10.0, 11.0, 12.0];
        let mut c = [0.0f32; 4];
        let g = Gemm {
            m: 2,
            k: 3,
            n: 2,
            a: Layout::new(0, 1, 2),
            b: Layout::new(0, 2, 1),
            c: Layout::new(0, 2, 1),
            accumulate: false,
        };
        gemm(&g, &a_t, &b, &mut c).unwrap();
        assert_eq!(c, [58.0, 64.0, 139.0, 154.0]);
        let ai: Vec<i32> = a_t.iter().map(|&x| x as i32).collect();
        let bi: Vec<i32> = b.iter().map(|&x| x as i32).collect();
        let mut ci = [1i32; 4];
        gemm(&Gemm { accumulate: true, ..g }, &ai, &bi, &mut ci).unwrap();
        assert_eq!(ci, [59, 65, 140, 155]);
    }

    #[test]
    fn out_of_bounds_is_an_error_not_a_panic() {
        let a = [1.0f32; 3];
        let mut c = [0.0f32; 4];
        let g = Gemm {
            m: 2,
            k: 2,
            n: 2,
            a: Layout::new(0, 2, 1),
            b: Layout::new(0, 2, 1),
            c: Layout::new(0, 2, 1),
            accumulate: false,
        };
        assert!(gemm(&g, &a, &a, &mut c).is_err());
    }

    #[test]
    fn integer_products_wrap() {
        let a = [i32::MAX, 2];
        let b = [2, 1];
        let mut c = [0i32];
        let g = Gemm {
            m: 1,
            k: 2,
            n: 1,
            a: Layout::new(0, 2, 1),
            b: Layout::new(0, 1, 1),
            c: Layout::new(0, 1, 1),
            accumulate: false,
        };
        gemm(&g, &a, &b, &mut c).unwrap();
        assert_eq!(c[0], i32::MAX.wrapping_mul(2).wrapping_add(2));
    }
}
