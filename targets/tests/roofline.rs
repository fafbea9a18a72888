//! The roofline cost model on hand-computed numbers: compute-bound, memory-bound, kernel
//! overhead, cache-resident working sets and kinds a device lacks.

use targets::{OpCost, PeakKind, Profile, KERNEL_OVERHEAD_CYCLES};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-30)
}

fn cost(flops: f64, bytes: f64, kind: PeakKind, kernel_launches: u32) -> OpCost {
    OpCost { flops, bytes, kind, kernel_launches }
}

#[test]
fn compute_bound_matmul_on_pi5() {
    let p = Profile::builtin("cortex-a76").unwrap();
    // 512^3 matmul: 2.68e8 flops, 3 MiB moved. Peak: 16 ops/cycle x 2.4 GHz = 38.4 GFLOP/s.
    let c = cost(2.0 * 512f64.powi(3), 3.0 * 512.0 * 512.0 * 4.0, PeakKind::F32, 1);
    let compute = c.flops / 38.4e9;
    let memory = c.bytes / 10e9;
    assert!(compute > memory, "this case must be compute-bound");
    let overhead = KERNEL_OVERHEAD_CYCLES / 2.4e9;
    assert!(close(p.time_seconds(&c), compute + overhead), "{} vs {}", p.time_seconds(&c), compute + overhead);
    assert!(close(p.compute_seconds(&c), compute));
}

#[test]
fn memory_bound_elementwise_on_pi5() {
    let p = Profile::builtin("cortex-a76").unwrap();
    // Add of two 1M-element f32 tensors: 1e6 flops, 12 MB moved at 10 GB/s = 1.2 ms.
    let c = cost(1e6, 12e6, PeakKind::F32, 1);
    let expect = 12e6 / 10e9 + 1000.0 / 2.4e9;
    assert!(close(p.time_seconds(&c), expect), "{}", p.time_seconds(&c));
    assert!(p.time_seconds(&c) > p.compute_seconds(&c) * 10.0);
}

#[test]
fn kernel_launches_add_fixed_overhead() {
    let p = Profile::builtin("znver5").unwrap();
    let one = p.time_seconds(&cost(0.0, 0.0, PeakKind::F32, 1));
    let ten = p.time_seconds(&cost(0.0, 0.0, PeakKind::F32, 10));
    assert!(close(one, KERNEL_OVERHEAD_CYCLES / 3.6e9));
    assert!(close(ten, 10.0 * one));
    assert_eq!(p.time_seconds(&cost(0.0, 0.0, PeakKind::F32, 0)), 0.0);
}

#[test]
fn int8_dot_is_faster_where_the_device_has_it_and_falls_back_to_f32_where_not() {
    let work = |k| cost(1e9, 0.0, k, 0);
    let a76 = Profile::builtin("cortex-a76").unwrap();
    assert!(close(a76.time_seconds(&work(PeakKind::F32)) / a76.time_seconds(&work(PeakKind::Int8Dot)), 4.0));
    let a72 = Profile::builtin("cortex-a72").unwrap();
    assert_eq!(a72.peak_ops_per_cycle(PeakKind::Int8Dot), 0.0);
    assert_eq!(a72.effective_peak_ops_per_cycle(PeakKind::Int8Dot), 8.0);
    assert!(close(a72.time_seconds(&work(PeakKind::Int8Dot)), a72.time_seconds(&work(PeakKind::F32))));
    assert!(a72.time_seconds(&work(PeakKind::Bf16)).is_finite());
}

#[test]
fn cache_resident_working_sets_use_cache_bandwidth() {
    let p = Profile::builtin("cortex-a76").unwrap();
    let c = cost(0.0, 1e6, PeakKind::F32, 0);
    // Fits in the 512 KiB L2: 32 B/cycle x 2.4 GHz = 76.8 GB/s.
    assert!(close(p.time_seconds_cached(&c, 256.0 * 1024.0), 1e6 / 76.8e9));
    // Fits in the 2 MiB L3 but not L2: 16 B/cycle x 2.4 GHz = 38.4 GB/s.
    assert!(close(p.time_seconds_cached(&c, 1024.0 * 1024.0), 1e6 / 38.4e9));
    // Larger than every cache: DRAM, the same as time_seconds.
    assert!(close(p.time_seconds_cached(&c, 64e6), p.time_seconds(&c)));
    // Without an L3 (Pi 4) a set larger than L2 goes to DRAM.
    let a72 = Profile::builtin("cortex-a72").unwrap();
    assert!(close(a72.bandwidth_for_working_set(2e6), 5.5e9));
    assert!(close(a72.bandwidth_for_working_set(1e5), 16.0 * 1.8e9));
    // A cache-resident compute-bound kernel is still compute-bound.
    let mm = cost(1e9, 1e5, PeakKind::F32, 0);
    assert!(close(p.time_seconds_cached(&mm, 1e5), 1e9 / 38.4e9));
}

#[test]
fn ridge_point_and_bad_inputs() {
    let p = Profile::builtin("cortex-a76").unwrap();
    assert!(close(p.ridge_point(PeakKind::F32), 38.4e9 / 10e9));
    // Negative or NaN estimates never produce a negative or NaN time.
    let t = p.time_seconds(&cost(-5.0, f64::NAN, PeakKind::F32, 0));
    assert_eq!(t, 0.0);
}
