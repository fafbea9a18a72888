//! Unit tests of einsum: hand-computed values, a full loop-nest reference, bad equations.

use super::*;

fn arr(shape: &[usize], v: Vec<f64>) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

/// Reference: a full loop over all label values, multiplying and summing.
fn naive(equation: &str, xs: &[&ArrayD<f64>]) -> ArrayD<f64> {
    let eq = parse(equation).unwrap();
    let l = resolve(&eq, &xs.iter().map(|x| x.ndim()).collect::<Vec<_>>()).unwrap();
    let shapes: Vec<&[usize]> = xs.iter().map(|x| x.shape()).collect();
    let sizes = label_sizes(&l, &shapes).unwrap();
    let all: Vec<Id> = sizes.keys().copied().collect();
    let oshape: Vec<usize> = l.output.iter().map(|id| sizes[id]).collect();
    let mut out = ArrayD::<f64>::zeros(IxDyn(&oshape));
    let total: usize = all.iter().map(|id| sizes[id]).product();
    for flat in 0..total {
        let mut rem = flat;
        let mut val: BTreeMap<Id, usize> = BTreeMap::new();
        for id in all.iter().rev() {
            val.insert(*id, rem % sizes[id]);
            rem /= sizes[id];
        }
        let mut p = 1.0;
        for (x, ids) in xs.iter().zip(&l.inputs) {
            let idx: Vec<usize> = ids.iter().zip(x.shape()).map(|(id, &d)| if d == 1 { 0 } else { val[id] }).collect();
            p *= x[IxDyn(&idx)];
        }
        let oidx: Vec<usize> = l.output.iter().map(|id| val[id]).collect();
        out[IxDyn(&oidx)] += p;
    }
    out
}

fn rnd(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let n = shape.iter().product();
    arr(
        shape,
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 33) % 17) as f64 - 8.0
            })
            .collect(),
    )
}

#[test]
fn hand_computed() {
    let a = arr(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]);
    let b = arr(&[2, 2], vec![5.0, 6.0, 7.0, 8.0]);
    assert_eq!(
        einsum_arrays("ij,jk->ik", &[&a, &b]).unwrap().into_raw_vec_and_offset().0,
        vec![19.0, 22.0, 43.0, 50.0]
    );
    assert_eq!(einsum_arrays("ii", &[&a]).unwrap().into_raw_vec_and_offset().0, vec![5.0]);
    assert_eq!(einsum_arrays("ii->i", &[&a]).unwrap().into_raw_vec_and_offset().0, vec![1.0, 4.0]);
    assert_eq!(einsum_arrays("ij", &[&a]).unwrap(), a);
    assert_eq!(einsum_arrays("ji", &[&a]).unwrap().into_raw_vec_and_offset().0, vec![1.0, 3.0, 2.0, 4.0]);
    assert_eq!(einsum_arrays("ij->", &[&a]).unwrap().into_raw_vec_and_offset().0, vec![10.0]);
    assert_eq!(einsum_arrays(" i j , i j -> ", &[&a, &b]).unwrap().into_raw_vec_and_offset().0, vec![70.0]);
}

#[test]
fn matches_naive_loops() {
    let cases: &[(&str, &[&[usize]])] = &[
        ("ij,jk->ik", &[&[3, 4], &[4, 5]]),
        ("bij,bjk->bik", &[&[2, 3, 4], &[2, 4, 5]]),
        ("bhqd,bhkd->bhqk", &[&[2, 3, 4, 5], &[2, 3, 6, 5]]),
        ("...ij,...jk", &[&[2, 1, 3, 4], &[5, 4, 2]]),
        ("i,i", &[&[7], &[7]]),
        ("i,j->ij", &[&[3], &[4]]),
        ("bii->bi", &[&[2, 3, 3]]),
        ("iij,jk,kl->il", &[&[3, 3, 2], &[2, 4], &[4, 2]]),
        ("abc,cd,de->ae", &[&[2, 3, 4], &[4, 2], &[2, 3]]),
        ("ij,ij->ij", &[&[1, 3], &[2, 3]]),
        ("Ba,ab", &[&[2, 3], &[3, 4]]),
        ("...ii->...i", &[&[2, 3, 3]]),
        ("ijk,kj->i", &[&[2, 3, 4], &[4, 3]]),
        (",ij->ij", &[&[], &[2, 2]]),
        ("ab,bc,cd,ad->", &[&[2, 3], &[3, 2], &[2, 2], &[2, 2]]),
    ];
    for (k, (eq, shapes)) in cases.iter().enumerate() {
        let xs: Vec<ArrayD<f64>> = shapes.iter().enumerate().map(|(i, s)| rnd(s, (k * 10 + i) as u64)).collect();
        let refs: Vec<&ArrayD<f64>> = xs.iter().collect();
        let got = einsum_arrays(eq, &refs).unwrap();
        assert_eq!(got, naive(eq, &refs), "{eq}");
        // Inference agrees with evaluation.
        let ts: Vec<TensorType> = xs.iter().map(|x| Tensor::F64(x.clone()).ty()).collect();
        let tr: Vec<Option<&TensorType>> = ts.iter().map(Some).collect();
        assert_eq!(infer(eq, &tr).unwrap()[0], Tensor::F64(got).ty(), "{eq}");
    }
}

#[test]
fn bad_equations_are_errors() {
    let a = arr(&[2, 3], vec![0.0; 6]);
    for eq in ["ij,jk", "ijk", "ij->k", "ij->ii", "i.j", "i...j...", "i$j", "ij->i->j"] {
        assert!(einsum_arrays(eq, &[&a]).is_err(), "{eq}");
    }
    let b = arr(&[4, 3], vec![0.0; 12]);
    assert!(einsum_arrays("ij,ij->ij", &[&a, &b]).is_err());
    assert!(einsum_arrays("ii", &[&a]).is_err());
    let c = arr(&[2, 3, 4], vec![0.0; 24]);
    assert!(einsum_arrays("...ij->ij", &[&c]).is_err());
}

#[test]
fn integer_and_half_operands() {
    let a = Tensor::from_vec(&[3], vec![1i64, 2, 3]).unwrap();
    assert_eq!(eval("i,i", &[&a, &a]).unwrap(), Tensor::scalar(14i64));
    let h = Tensor::from_vec(&[2], vec![f16::from_f32(1.5), f16::from_f32(2.0)]).unwrap();
    assert_eq!(eval("i->", &[&h]).unwrap(), Tensor::scalar(f16::from_f32(3.5)));
    assert!(eval("i,i", &[&a, &h]).is_err());
}

#[test]
fn random_equations_never_panic() {
    let alphabet = b"abcA.,-> ";
    let mut s = 99u64;
    let mut next = |n: usize| {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 33) as usize % n
    };
    let mut ok = 0;
    for _ in 0..3000 {
        let len = next(12);
        let eq: String = (0..len).map(|_| alphabet[next(alphabet.len())] as char).collect();
        let n_ops = 1 + next(3);
        let xs: Vec<ArrayD<f64>> = (0..n_ops)
            .map(|_| {
                let shape: Vec<usize> = (0..next(4)).map(|_| 1 + next(3)).collect();
                rnd(&shape, 1)
            })
            .collect();
        let refs: Vec<&ArrayD<f64>> = xs.iter().collect();
        if let Ok(r) = einsum_arrays(&eq, &refs) {
            ok += 1;
            assert_eq!(r, naive(&eq, &refs), "{eq}");
        }
    }
    assert!(ok > 20, "{ok}");
}
