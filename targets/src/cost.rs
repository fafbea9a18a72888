//! The roofline cost model: time of a kernel on one core from its op count, bytes moved and
//! arithmetic kind.
//!
//! Model (single core, everything per kernel sequence described by one [`OpCost`]):
//!
//! ```text
//! compute  = flops / (effective_peak_ops_per_cycle(kind) * clock_ghz * 1e9)
//! memory   = bytes / bandwidth
//! overhead = kernel_launches * KERNEL_OVERHEAD_CYCLES / (clock_ghz * 1e9)
//! time     = max(compute, memory) + overhead
//! ```
//!
//! [`Profile::time_seconds`] uses the DRAM bandwidth (`memory.dram_gbs`): right for tensors that
//! stream from memory. [`Profile::time_seconds_cached`] takes the kernel's working set and uses
//! the bandwidth of the smallest cache level that holds it: L2 (`memory.l2_bytes_per_cycle` ×
//! clock) when it fits in `cache.l2_bytes`, L3 (`memory.l3_bytes_per_cycle` × clock, when the
//! profile gives one) when it fits in `cache.l3_bytes`, else DRAM. L1-resident sets are charged
//! at the L2 rate (operands stream through L1 anyway; L1 bandwidth is rarely what limits a
//! kernel that is not already compute-bound). A cache level is never charged slower than DRAM.
//! Kinds the device has no instruction for (peak 0) run at the f32 rate, as the code generator
//! converts them to f32.

use crate::profile::{PeakKind, Profile};

/// Fixed cost of one kernel (one generated loop nest) in core cycles: call, prologue, loop
/// setup and the cold misses of its first iterations. An estimate; it only matters for
/// deciding whether fusing tiny ops pays off (1000 cycles ≈ 0.4 µs at 2.4 GHz).
pub const KERNEL_OVERHEAD_CYCLES: f64 = 1000.0;

/// What a kernel (or a group of kernels) costs in abstract terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpCost {
    /// Arithmetic operations, an FMA counting as 2 (for int8 dot products: multiply-adds × 2).
    pub flops: f64,
    /// Bytes read and written from/to memory.
    pub bytes: f64,
    /// Which peak rate the arithmetic runs at.
    pub kind: PeakKind,
    /// Kernels launched (each pays [`KERNEL_OVERHEAD_CYCLES`]).
    pub kernel_launches: u32,
}

/// Negative or NaN inputs count as 0 so a bad estimate cannot produce a negative time.
fn clean(x: f64) -> f64 {
    x.max(0.0)
}

impl Profile {
    fn cycles_per_second(&self) -> f64 {
        self.clock_ghz * 1e9
    }

    /// Sustained DRAM bandwidth in bytes per second.
    pub fn dram_bytes_per_second(&self) -> f64 {
        self.memory.dram_gbs * 1e9
    }

    /// Seconds of fixed overhead per kernel launch.
    pub fn kernel_overhead_seconds(&self) -> f64 {
        KERNEL_OVERHEAD_CYCLES / self.cycles_per_second()
    }

    /// Seconds the arithmetic alone takes on one core at peak.
    pub fn compute_seconds(&self, cost: &OpCost) -> f64 {
        clean(cost.flops) / self.peak_ops_per_second(cost.kind)
    }

    /// Bandwidth in bytes per second for a kernel whose working set is `working_set_bytes`
    /// (see the module doc for the levels).
    pub fn bandwidth_for_working_set(&self, working_set_bytes: f64) -> f64 {
        let ws = clean(working_set_bytes);
        let dram = self.dram_bytes_per_second();
        let level = if ws <= self.cache.l2_bytes as f64 {
            Some(self.memory.l2_bytes_per_cycle)
        } else {
            match (self.cache.l3_bytes, self.memory.l3_bytes_per_cycle) {
                (Some(l3), Some(bw)) if ws <= l3 as f64 => Some(bw),
                _ => None,
            }
        };
        level.map_or(dram, |bpc| (bpc * self.cycles_per_second()).max(dram))
    }

    fn roofline(&self, cost: &OpCost, bandwidth: f64) -> f64 {
        let memory = clean(cost.bytes) / bandwidth;
        self.compute_seconds(cost).max(memory) + f64::from(cost.kernel_launches) * self.kernel_overhead_seconds()
    }

    /// Roofline time on one core with operands streaming from DRAM.
    pub fn time_seconds(&self, cost: &OpCost) -> f64 {
        self.roofline(cost, self.dram_bytes_per_second())
    }

    /// Roofline time on one core when the kernel's working set is `working_set_bytes`: bytes
    /// move at the bandwidth of the smallest cache level holding it.
    pub fn time_seconds_cached(&self, cost: &OpCost, working_set_bytes: f64) -> f64 {
        self.roofline(cost, self.bandwidth_for_working_set(working_set_bytes))
    }

    /// Arithmetic intensity (ops per DRAM byte) above which a `kind` kernel is compute-bound.
    pub fn ridge_point(&self, kind: PeakKind) -> f64 {
        self.peak_ops_per_second(kind) / self.dram_bytes_per_second()
    }
}
