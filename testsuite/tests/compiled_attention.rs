//! The FlashAttention-style kernel agrees with the interpreter on the host and under qemu over
//! shapes that hit its edges: query tails shorter than a tile, key counts that are not a whole
//! block or vector, head dims that are not a whole vector, grouped KV heads, causal masks with
//! more or fewer queries than keys, bool and additive masks of several broadcast shapes,
//! softcap, and a decode step (one query).

use edgec::compare::{compare, Tolerance};
use ir::*;
use testsuite::native::{self, require_toolchain};

/// Deterministic values in [-amp, amp).
fn rand(shape: &[usize], seed: u64, amp: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let n: usize = shape.iter().product();
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32 * amp
        })
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Mask {
    None,
    /// Bool [Sq, Skv], about a fifth of the keys hidden (never a whole row).
    Bool2d,
    /// Additive f32 [B, 1, Sq, Skv].
    Add4d,
    /// Additive f32 [Skv] (the same for every query).
    AddKeys,
    /// Bool [B, 1, 1, 1]: all visible (broadcast along the key axis).
    BoolScalar,
}

#[derive(Clone, Copy, Debug)]
struct Case {
    b: usize,
    hq: usize,
    hk: usize,
    sq: usize,
    skv: usize,
    d: usize,
    dv: usize,
    causal: bool,
    softcap: f32,
    mask: Mask,
}

fn graph(c: Case, seed: u64) -> (Graph, Vec<(String, Tensor)>) {
    let mut g = Graph::new("att");
    let qs = [c.b, c.hq, c.sq, c.d];
    let ks = [c.b, c.hk, c.skv, c.d];
    let vs = [c.b, c.hk, c.skv, c.dv];
    let q = g.add_input("q", TensorType::fixed(DType::F32, &qs));
    let k = g.add_input("k", TensorType::fixed(DType::F32, &ks));
    let v = g.add_input("v", TensorType::fixed(DType::F32, &vs));
    let mut inputs = vec![
        ("q".to_string(), Tensor::from_vec(&qs, rand(&qs, seed, 2.0)).unwrap()),
        ("k".to_string(), Tensor::from_vec(&ks, rand(&ks, seed + 1, 2.0)).unwrap()),
        ("v".to_string(), Tensor::from_vec(&vs, rand(&vs, seed + 2, 1.0)).unwrap()),
    ];
    let mask = match c.mask {
        Mask::None => None,
        Mask::Bool2d => {
            let shape = [c.sq, c.skv];
            // Key 0 always stays visible so no row is fully masked.
            let keep: Vec<bool> = rand(&shape, seed + 3, 1.0)
                .iter()
                .enumerate()
                .map(|(i, &x)| i % c.skv == 0 || x > -0.6)
                .collect();
            Some(Tensor::from_vec(&shape, keep).unwrap())
        }
        Mask::Add4d => {
            let shape = [c.b, 1, c.sq, c.skv];
            Some(Tensor::from_vec(&shape, rand(&shape, seed + 3, 3.0)).unwrap())
        }
        Mask::AddKeys => Some(Tensor::from_vec(&[c.skv], rand(&[c.skv], seed + 3, 3.0)).unwrap()),
        Mask::BoolScalar => Some(Tensor::from_vec(&[c.b, 1, 1, 1], vec![true; c.b]).unwrap()),
    };
    let m = mask.map(|t| {
        let id = g.add_input("mask", TensorType::fixed(t.dtype(), t.shape()));
        inputs.push(("mask".into(), t));
        id
    });
    let attrs = AttentionAttrs { scale: None, causal: c.causal, softcap: F32(c.softcap) };
    let y = g
        .add_node("y", Op::Attention(attrs), &[Some(q), Some(k), Some(v), m], vec![TensorType::fixed(DType::F32, &[c.b, c.hq, c.sq, c.dv])])
        .unwrap();
    g.add_output("y", ValueId::new(y, 0)).unwrap();
    (g, inputs)
}

fn cases() -> Vec<Case> {
    let base = Case { b: 1, hq: 2, hk: 2, sq: 13, skv: 13, d: 16, dv: 16, causal: false, softcap: 0.0, mask: Mask::None };
    vec![
        // The shared attention model's shape, one head.
        Case { hq: 1, hk: 1, sq: 256, skv: 256, d: 64, dv: 64, causal: true, ..base },
        // Ragged everything, causal with fewer queries than keys (bottom-right aligned).
        Case { b: 2, hq: 4, hk: 2, sq: 7, skv: 75, d: 20, dv: 9, causal: true, ..base },
        // More queries than keys: the first rows see nothing → NaN in both.
        Case { sq: 9, skv: 5, d: 8, dv: 24, causal: true, ..base },
        // Decode: one query over a long cache, grouped heads.
        Case { hq: 8, hk: 2, sq: 1, skv: 133, d: 64, dv: 64, causal: true, ..base },
        Case { b: 2, sq: 19, skv: 70, d: 33, dv: 31, mask: Mask::Bool2d, ..base },
        Case { b: 2, sq: 6, skv: 129, d: 16, dv: 70, mask: Mask::Add4d, causal: true, ..base },
        Case { sq: 31, skv: 40, mask: Mask::AddKeys, softcap: 2.5, ..base },
        Case { b: 2, sq: 3, skv: 1, d: 5, dv: 3, mask: Mask::BoolScalar, ..base },
        Case { sq: 40, skv: 64, d: 128, dv: 128, ..base },
    ]
}

#[test]
fn attention_kernel_matches_the_interpreter() {
    let all = cases();
    for target in ["host", "cortex-a76", "rv64gcv"] {
        if !require_toolchain(target, "compiled attention") {
            continue;
        }
        let p = native::profile(target).unwrap();
        // Under qemu the largest case alone is enough to show the big-tile path.
        let run: Vec<&Case> = if target == "host" { all.iter().collect() } else { all[1..].iter().collect() };
        for (i, c) in run.into_iter().enumerate() {
            let (g, ins) = graph(*c, 10 * i as u64 + 1);
            let want = interp::run(&g, &ins).unwrap();
            let got = native::compile_and_run(&g, &p, "k", &ins).unwrap_or_else(|e| panic!("{target} {c:?}: {e}"));
            let cmp = compare(&got[0].1, &want[0].1, Tolerance { atol: 1e-5, rtol: 1e-4 });
            assert!(cmp.passed(), "{target} {c:?}: max abs {:e}, {} mismatches", cmp.max_abs, cmp.mismatches);
        }
    }
}
