//! The `Profile` data model (one device) and its derived views: ISA, vector lanes, peak rates.
//! Field meanings and units are documented in `docs/targets.md`; the TOML files mirror these
//! structs one to one.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One device: how to generate code for it, how to run that code here, and how fast it is.
///
/// Fields are in the order they are written to TOML (scalars first, then tables).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short name, e.g. `cortex-a76`; what `edgec --target` takes.
    pub name: String,
    /// One line for humans: board, core, clock, notable features.
    pub description: String,
    /// Cores usable by one program.
    pub cores: u32,
    /// Sustained clock in GHz used by the cost model.
    pub clock_ghz: f64,
    /// Dot-product / matrix / widening-MAC instructions the code generator may use
    /// (e.g. `sdot`, `vpdpbusd`, `vfwmacc`); empty when there are none.
    pub dot_instructions: Vec<String>,
    pub llvm: LlvmTarget,
    pub vector: VectorUnit,
    pub cache: Caches,
    pub peak_ops_per_cycle: Peaks,
    pub memory: Memory,
    pub run: RunConfig,
}

/// What LLVM needs to generate code for the device. `cpu` is a concrete name (never `native`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlvmTarget {
    /// e.g. `aarch64-unknown-linux-gnu`.
    pub triple: String,
    /// An LLVM CPU name, e.g. `cortex-a76`, `znver5`, `spacemit-x60`.
    pub cpu: String,
    /// An LLVM feature string, e.g. `+neon,+fullfp16,+dotprod` (may be empty).
    pub features: String,
}

/// The SIMD register file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorUnit {
    /// Register width in bits (RVV: VLEN); a multiple of 64.
    pub bits: u32,
    /// Architectural vector registers.
    pub registers: u32,
}

/// Cache sizes in bytes. `l2_bytes` is the second level a core sees (private or shared);
/// `l3_bytes` is absent when there is no third level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caches {
    pub l1d_bytes: u64,
    pub l2_bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l3_bytes: Option<u64>,
}

/// Peak arithmetic throughput per core per cycle, an FMA counting as 2 ops; 0 when the device
/// has no instruction for that kind (the cost model then uses the f32 rate, see
/// [`Profile::effective_peak_ops_per_cycle`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peaks {
    pub f32: f64,
    pub f16: f64,
    pub bf16: f64,
    /// int8 multiply-accumulate into wider accumulators with the best instruction in
    /// `dot_instructions`.
    pub int8_dot: f64,
}

/// Memory bandwidths used by the roofline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Memory {
    /// Sustained DRAM bandwidth of the whole chip, GB/s (1e9 bytes/s).
    pub dram_gbs: f64,
    /// Sustained L2 -> core bandwidth per core, bytes per cycle.
    pub l2_bytes_per_cycle: f64,
    /// Sustained L3 -> core bandwidth per core, bytes per cycle (absent without an L3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l3_bytes_per_cycle: Option<f64>,
}

/// How to build and run code for the device on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// C compiler/linker for the device (`aarch64-linux-gnu-gcc`, `cc` for native x86).
    pub cc: String,
    /// User-mode emulator, e.g. `qemu-aarch64`; absent when the code runs natively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qemu: Option<String>,
    /// QEMU `-cpu` argument, e.g. `cortex-a76` or `rv64,v=true,vlen=256,vext_spec=v1.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qemu_cpu: Option<String>,
    /// QEMU `-L` sysroot for the dynamic loader and libc, e.g. `/usr/aarch64-linux-gnu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysroot: Option<String>,
}

/// Instruction set family, from the LLVM triple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    X86_64,
    AArch64,
    RiscV64,
}

impl Isa {
    /// The ISA of an LLVM triple, by its architecture component.
    pub fn from_triple(triple: &str) -> Option<Isa> {
        match triple.split('-').next()? {
            "x86_64" => Some(Isa::X86_64),
            "aarch64" => Some(Isa::AArch64),
            "riscv64" => Some(Isa::RiscV64),
            _ => None,
        }
    }

    /// The architecture name QEMU uses in its user-mode binary (`qemu-<arch>`).
    pub fn qemu_arch(self) -> &'static str {
        match self {
            Isa::X86_64 => "x86_64",
            Isa::AArch64 => "aarch64",
            Isa::RiscV64 => "riscv64",
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.qemu_arch())
    }
}

/// The arithmetic kinds a profile gives peak rates for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeakKind {
    F32,
    F16,
    Bf16,
    Int8Dot,
}

impl PeakKind {
    pub const ALL: [PeakKind; 4] = [PeakKind::F32, PeakKind::F16, PeakKind::Bf16, PeakKind::Int8Dot];

    /// The key in `[peak_ops_per_cycle]`.
    pub fn key(self) -> &'static str {
        match self {
            PeakKind::F32 => "f32",
            PeakKind::F16 => "f16",
            PeakKind::Bf16 => "bf16",
            PeakKind::Int8Dot => "int8_dot",
        }
    }
}

impl fmt::Display for PeakKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.key())
    }
}

impl Profile {
    /// The instruction set family (validated at load, so always known). Panics only if
    /// `llvm.triple` was edited by hand to an unsupported architecture without [`Profile::validate`].
    pub fn isa(&self) -> Isa {
        Isa::from_triple(&self.llvm.triple)
            .unwrap_or_else(|| unreachable!("profile `{}` was validated with triple `{}`", self.name, self.llvm.triple))
    }

    /// Elements of `dtype_bits` bits in one vector register (e.g. 4 f32 lanes in NEON);
    /// 0 for a 0-bit or wider-than-register type.
    pub fn vector_lanes(&self, dtype_bits: u32) -> u32 {
        self.vector.bits.checked_div(dtype_bits).unwrap_or(0)
    }

    /// Whether the LLVM feature string turns `feature` on (`+feature`), e.g. `has_feature("dotprod")`.
    /// Features implied by the cpu name alone are not seen.
    pub fn has_feature(&self, feature: &str) -> bool {
        let mut on = false;
        for f in self.llvm.features.split(',').map(str::trim) {
            if f.strip_prefix('+') == Some(feature) {
                on = true;
            } else if f.strip_prefix('-') == Some(feature) {
                on = false;
            }
        }
        on
    }

    /// The peak ops per cycle per core as written in the profile (0 when absent).
    pub fn peak_ops_per_cycle(&self, kind: PeakKind) -> f64 {
        let p = &self.peak_ops_per_cycle;
        match kind {
            PeakKind::F32 => p.f32,
            PeakKind::F16 => p.f16,
            PeakKind::Bf16 => p.bf16,
            PeakKind::Int8Dot => p.int8_dot,
        }
    }

    /// The rate the cost model uses: the kind's own peak, or the f32 peak when the device has no
    /// instruction for the kind (the code generator then converts to f32 and computes there).
    pub fn effective_peak_ops_per_cycle(&self, kind: PeakKind) -> f64 {
        match self.peak_ops_per_cycle(kind) {
            p if p > 0.0 => p,
            _ => self.peak_ops_per_cycle.f32,
        }
    }

    /// Effective peak ops per second of one core.
    pub fn peak_ops_per_second(&self, kind: PeakKind) -> f64 {
        self.effective_peak_ops_per_cycle(kind) * self.clock_ghz * 1e9
    }

    /// The argv prefix that runs a device binary here: `[qemu, -cpu, X, -L, sysroot]`, or empty
    /// when the profile runs natively (no `run.qemu`).
    pub fn runner(&self) -> Vec<String> {
        let Some(qemu) = &self.run.qemu else { return Vec::new() };
        let mut argv = vec![qemu.clone()];
        if let Some(cpu) = &self.run.qemu_cpu {
            argv.extend(["-cpu".to_string(), cpu.clone()]);
        }
        if let Some(root) = &self.run.sysroot {
            argv.extend(["-L".to_string(), root.clone()]);
        }
        argv
    }
}
