//! Elementwise mapping with numpy broadcasting: contiguous and scalar fast paths, ndarray `Zip`
//! otherwise. Results are always in standard (row-major) layout.

use crate::{broadcast_shapes, OpError, OpResult};
use ndarray::{ArrayD, IxDyn, Zip};

/// `a` in standard layout (no copy when it already is).
pub fn std_layout<T: Clone>(a: ArrayD<T>) -> ArrayD<T> {
    if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    }
}

fn from_vec<T>(shape: &[usize], v: Vec<T>) -> OpResult<ArrayD<T>> {
    ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| OpError::Invalid(format!("internal shape error: {e}")))
}

/// `f` applied to every element.
#[inline]
pub fn map<T: Copy, U: Clone>(a: &ArrayD<T>, f: impl Fn(T) -> U) -> ArrayD<U> {
    std_layout(a.map(|&x| f(x)))
}

/// `f` applied elementwise to `a` and `b` broadcast together (numpy rules).
#[inline]
pub fn zip2<A: Copy, B: Copy, O: Clone>(a: &ArrayD<A>, b: &ArrayD<B>, f: impl Fn(A, B) -> O) -> OpResult<ArrayD<O>> {
    if a.shape() == b.shape() {
        if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
            let v: Vec<O> = x.iter().zip(y).map(|(&p, &q)| f(p, q)).collect();
            return from_vec(a.shape(), v);
        }
    }
    if b.len() == 1 && b.ndim() <= a.ndim() {
        if let Some(&s) = b.iter().next() {
            return Ok(map(a, |p| f(p, s)));
        }
    }
    if a.len() == 1 && a.ndim() <= b.ndim() {
        if let Some(&s) = a.iter().next() {
            return Ok(map(b, |q| f(s, q)));
        }
    }
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    let dim = IxDyn(&shape);
    let (Some(av), Some(bv)) = (a.broadcast(dim.clone()), b.broadcast(dim)) else {
        crate::invalid!("shapes {:?} and {:?} do not broadcast", a.shape(), b.shape())
    };
    Ok(std_layout(Zip::from(&av).and(&bv).map_collect(|&p, &q| f(p, q))))
}

/// `f` applied elementwise to three arrays broadcast together.
pub fn zip3<A: Copy, B: Copy, C: Copy, O: Clone>(
    a: &ArrayD<A>,
    b: &ArrayD<B>,
    c: &ArrayD<C>,
    f: impl Fn(A, B, C) -> O,
) -> OpResult<ArrayD<O>> {
    let shape = broadcast_shapes(&broadcast_shapes(a.shape(), b.shape())?, c.shape())?;
    let dim = IxDyn(&shape);
    let (Some(av), Some(bv), Some(cv)) = (a.broadcast(dim.clone()), b.broadcast(dim.clone()), c.broadcast(dim)) else {
        crate::invalid!("shapes {:?}, {:?} and {:?} do not broadcast", a.shape(), b.shape(), c.shape())
    };
    Ok(std_layout(Zip::from(&av).and(&bv).and(&cv).map_collect(|&p, &q, &r| f(p, q, r))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr1, arr2, ShapeBuilder};

    #[test]
    fn broadcasting_paths() {
        let a = arr2(&[[1, 2, 3], [4, 5, 6]]).into_dyn();
        let b = arr1(&[10, 20, 30]).into_dyn();
        let r = zip2(&a, &b, |x, y| x + y).unwrap();
        assert_eq!(r, arr2(&[[11, 22, 33], [14, 25, 36]]).into_dyn());
        let col = arr2(&[[100], [200]]).into_dyn();
        let r = zip2(&col, &b, |x, y| x - y).unwrap();
        assert_eq!(r, arr2(&[[90, 80, 70], [190, 180, 170]]).into_dyn());
        let s = ndarray::arr0(7).into_dyn();
        assert_eq!(zip2(&s, &a, |x, y| x * y).unwrap(), a.mapv(|v| v * 7));
        assert_eq!(zip2(&a, &a, |x, y| x * y).unwrap(), a.mapv(|v| v * v));
        assert!(zip2(&a, &arr1(&[1, 2]).into_dyn(), |x, y| x + y).is_err());
        // Rank-raising broadcast of a one-element tensor.
        let one = ndarray::ArrayD::from_elem(IxDyn(&[1, 1, 1]), 1);
        assert_eq!(zip2(&b, &one, |x, y| x + y).unwrap().shape(), &[1, 1, 3]);
    }

    #[test]
    fn non_standard_layouts() {
        let f = ndarray::Array::from_shape_vec((2, 3).f(), vec![1, 4, 2, 5, 3, 6]).unwrap().into_dyn();
        let c = arr2(&[[1, 2, 3], [4, 5, 6]]).into_dyn();
        let r = zip2(&f, &c, |x, y| x * 10 + y).unwrap();
        assert!(r.is_standard_layout());
        assert_eq!(r, arr2(&[[11, 22, 33], [44, 55, 66]]).into_dyn());
        let m = map(&f, |x| x + 1);
        assert!(m.is_standard_layout());
        assert_eq!(m.as_slice().unwrap(), &[2, 3, 4, 5, 6, 7]);
        let w = zip3(&arr1(&[true, false, true]).into_dyn(), &c, &ndarray::arr0(0).into_dyn(), |p, x, y| if p { x } else { y });
        assert_eq!(w.unwrap(), arr2(&[[1, 0, 3], [4, 0, 6]]).into_dyn());
    }
}
