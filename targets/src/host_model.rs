//! Turning detected host facts into a profile: pick the closest built-in as the base, then set
//! the real LLVM cpu (never `native`), an explicit feature string (+ for present, - for absent
//! features, so a VM that hides a feature gets code it can run), vector width, peaks, cores,
//! caches and clock. Pure functions, so every branch is testable on any machine.

use crate::profile::Profile;
use crate::{Result, TargetError};

/// Facts about this machine read from the OS (`/proc/cpuinfo`, `/sys`); `None` when unknown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostInfo {
    /// Threads one program may use (`available_parallelism`).
    pub cores: u32,
    /// `model name` (x86) or similar, for the description.
    pub model: Option<String>,
    pub l1d_bytes: Option<u64>,
    pub l2_bytes: Option<u64>,
    pub l3_bytes: Option<u64>,
    pub max_clock_ghz: Option<f64>,
}

/// x86 CPU vendor (from `vendor_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum X86Vendor {
    Amd,
    Intel,
    Other,
}

/// The x86 features the profile cares about, by their LLVM names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct X86Features {
    pub sse42: bool,
    pub popcnt: bool,
    pub avx: bool,
    pub avx2: bool,
    pub fma: bool,
    pub f16c: bool,
    pub bmi: bool,
    pub bmi2: bool,
    pub lzcnt: bool,
    pub movbe: bool,
    pub avx512f: bool,
    pub avx512cd: bool,
    pub avx512bw: bool,
    pub avx512dq: bool,
    pub avx512vl: bool,
    pub avx512vnni: bool,
    pub avx512bf16: bool,
    pub avx512fp16: bool,
    pub avx512vbmi: bool,
    pub avx512vbmi2: bool,
    pub avx512ifma: bool,
    pub avx512bitalg: bool,
    pub avx512vpopcntdq: bool,
    pub avxvnni: bool,
}

impl X86Features {
    /// (LLVM feature name, present) for every field.
    pub fn llvm_flags(&self) -> [(&'static str, bool); 24] {
        [
            ("sse4.2", self.sse42),
            ("popcnt", self.popcnt),
            ("avx", self.avx),
            ("avx2", self.avx2),
            ("fma", self.fma),
            ("f16c", self.f16c),
            ("bmi", self.bmi),
            ("bmi2", self.bmi2),
            ("lzcnt", self.lzcnt),
            ("movbe", self.movbe),
            ("avx512f", self.avx512f),
            ("avx512cd", self.avx512cd),
            ("avx512bw", self.avx512bw),
            ("avx512dq", self.avx512dq),
            ("avx512vl", self.avx512vl),
            ("avx512vnni", self.avx512vnni),
            ("avx512bf16", self.avx512bf16),
            ("avx512fp16", self.avx512fp16),
            ("avx512vbmi", self.avx512vbmi),
            ("avx512vbmi2", self.avx512vbmi2),
            ("avx512ifma", self.avx512ifma),
            ("avx512bitalg", self.avx512bitalg),
            ("avx512vpopcntdq", self.avx512vpopcntdq),
            ("avxvnni", self.avxvnni),
        ]
    }
}

/// The AArch64 features the profile cares about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Aarch64Features {
    pub fp16: bool,
    pub dotprod: bool,
    pub bf16: bool,
    pub i8mm: bool,
    pub sve: bool,
}

fn feature_string(flags: &[(&str, bool)]) -> String {
    flags.iter().map(|(n, on)| format!("{}{n}", if *on { '+' } else { '-' })).collect::<Vec<_>>().join(",")
}

/// Applies what is common to every ISA: name, description, cores, caches, clock, checks.
fn finish(mut p: Profile, info: &HostInfo, base: &str, what: String) -> Result<Profile> {
    p.name = "host".into();
    p.cores = info.cores.max(1);
    if let Some(ghz) = info.max_clock_ghz.filter(|g| g.is_finite() && *g > 0.1 && *g < 10.0) {
        p.clock_ghz = ghz;
    }
    if let (Some(l1), Some(l2)) = (info.l1d_bytes, info.l2_bytes) {
        if l1 > 0 && l2 >= l1 {
            p.cache.l1d_bytes = l1;
            p.cache.l2_bytes = l2;
            p.cache.l3_bytes = info.l3_bytes.filter(|&l3| l3 >= l2);
            // Without an L3 there is no L3 bandwidth; a base without an L3 figure keeps none
            // (the model then charges the L3 like DRAM rather than invent a number).
            if p.cache.l3_bytes.is_none() {
                p.memory.l3_bytes_per_cycle = None;
            }
        }
    }
    let model = info.model.as_deref().unwrap_or("unknown model");
    p.description = format!("this machine ({model}, {} threads): {what}; speeds from `{base}`", p.cores);
    p.validate("host (detected)")?;
    Ok(p)
}

/// The host profile of an x86-64 machine with features `f`.
pub fn x86_host_profile(f: &X86Features, vendor: X86Vendor, info: &HostInfo) -> Result<Profile> {
    let avx512 = f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.avx512cd;
    let (base, cpu) = if avx512 && f.avx512vnni && f.avx512bf16 {
        ("znver5", if vendor == X86Vendor::Amd { "znver5" } else { "sapphirerapids" })
    } else if avx512 {
        ("x86-64-v4", "x86-64-v4")
    } else if f.avx2 && f.fma && f.bmi && f.bmi2 && f.lzcnt && f.movbe && f.f16c {
        ("x86-64-v3", "x86-64-v3")
    } else if f.sse42 && f.popcnt {
        ("x86-64-v3", "x86-64-v2")
    } else {
        ("x86-64-v3", "x86-64")
    };
    let mut p = Profile::builtin(base)?;
    p.llvm.cpu = cpu.into();
    p.llvm.features = feature_string(&f.llvm_flags());
    (p.vector.bits, p.vector.registers) = match () {
        _ if f.avx512f => (512, 32),
        _ if f.avx => (256, 16),
        _ => (128, 16),
    };
    // Built-in peaks are 2 FMA pipes at the full width; scale for narrower or FMA-less hosts.
    if !(f.avx2 && f.fma) {
        p.peak_ops_per_cycle.f32 = if f.avx { 16.0 } else { 8.0 };
    }
    let f32 = p.peak_ops_per_cycle.f32;
    p.peak_ops_per_cycle.f16 = if f.avx512fp16 { 2.0 * f32 } else { 0.0 };
    p.peak_ops_per_cycle.bf16 = if f.avx512bf16 { 2.0 * f32 } else { 0.0 };
    let vnni = (f.avx512vnni && f.avx512f) || f.avxvnni;
    p.peak_ops_per_cycle.int8_dot = if vnni {
        4.0 * f32
    } else if f.avx2 {
        2.0 * f32
    } else {
        0.0
    };
    p.dot_instructions = if vnni {
        vec!["vpdpbusd".into(), "vpdpbusds".into(), "vpdpwssd".into()]
    } else if f.avx2 {
        vec!["vpmaddubsw".into(), "vpmaddwd".into()]
    } else {
        Vec::new()
    };
    if f.avx512bf16 {
        p.dot_instructions.push("vdpbf16ps".into());
    }
    let what = format!("x86-64 {}-bit vectors, LLVM cpu {cpu}", p.vector.bits);
    finish(p, info, base, what)
}

/// The LLVM cpu name of an Arm-designed core by its MIDR part number (`CPU part` in
/// /proc/cpuinfo, implementer 0x41); `None` for other parts.
pub fn arm_cpu_name(part: u32) -> Option<&'static str> {
    Some(match part {
        0xd03 => "cortex-a53",
        0xd04 => "cortex-a35",
        0xd05 => "cortex-a55",
        0xd07 => "cortex-a57",
        0xd08 => "cortex-a72",
        0xd09 => "cortex-a73",
        0xd0a => "cortex-a75",
        0xd0b => "cortex-a76",
        0xd0c => "neoverse-n1",
        0xd0d => "cortex-a77",
        0xd40 => "neoverse-v1",
        0xd41 => "cortex-a78",
        0xd44 => "cortex-x1",
        0xd46 => "cortex-a510",
        0xd47 => "cortex-a710",
        0xd48 => "cortex-x2",
        0xd49 => "neoverse-n2",
        0xd4f => "neoverse-v2",
        0xd80 => "cortex-a520",
        0xd81 => "cortex-a720",
        _ => return None,
    })
}

/// The host profile of an AArch64 machine; `arm_part` is the MIDR part number when the
/// implementer is Arm (0x41).
pub fn aarch64_host_profile(f: &Aarch64Features, arm_part: Option<u32>, info: &HostInfo) -> Result<Profile> {
    let cpu = arm_part.and_then(arm_cpu_name).unwrap_or("generic");
    let base = match cpu {
        "cortex-a53" | "cortex-a55" | "cortex-a35" | "cortex-a510" | "cortex-a520" => "cortex-a55",
        "cortex-a57" | "cortex-a72" | "cortex-a73" => "cortex-a72",
        _ => "cortex-a76",
    };
    let mut p = Profile::builtin(base)?;
    p.llvm.cpu = cpu.into();
    p.llvm.features = format!(
        "+neon,{}",
        feature_string(&[
            ("fullfp16", f.fp16),
            ("dotprod", f.dotprod),
            ("bf16", f.bf16),
            ("i8mm", f.i8mm),
            ("sve", f.sve)
        ])
    );
    let f32 = p.peak_ops_per_cycle.f32;
    p.peak_ops_per_cycle.f16 = if f.fp16 { 2.0 * f32 } else { 0.0 };
    p.peak_ops_per_cycle.bf16 = if f.bf16 { 2.0 * f32 } else { 0.0 };
    p.peak_ops_per_cycle.int8_dot = if f.i8mm {
        8.0 * f32
    } else if f.dotprod {
        4.0 * f32
    } else {
        0.0
    };
    p.dot_instructions.clear();
    if f.dotprod {
        p.dot_instructions.extend(["sdot".into(), "udot".into()]);
    }
    if f.i8mm {
        p.dot_instructions.extend(["smmla".into(), "ummla".into(), "usmmla".into()]);
    }
    if f.bf16 {
        p.dot_instructions.extend(["bfdot".into(), "bfmmla".into()]);
    }
    // The code runs natively: no emulator.
    p.run.cc = "cc".into();
    (p.run.qemu, p.run.qemu_cpu, p.run.sysroot) = (None, None, None);
    finish(p, info, base, format!("AArch64 NEON, LLVM cpu {cpu}"))
}

/// The host profile of a RISC-V machine whose /proc/cpuinfo `isa` line is `isa`
/// (e.g. `rv64imafdcv_zicsr...`). VLEN cannot be read from /proc, so only the minimum the V
/// extension guarantees (128 bits) is assumed.
pub fn riscv_host_profile(isa: &str, info: &HostInfo) -> Result<Profile> {
    let single = isa.trim().strip_prefix("rv64").unwrap_or("").split('_').next().unwrap_or("");
    if !single.contains('v') {
        return Err(TargetError::Host(format!("RISC-V host without the V extension (isa `{isa}`) is not supported")));
    }
    let mut p = Profile::builtin("rv64gcv")?;
    p.llvm.cpu = "generic-rv64".into();
    p.llvm.features = "+m,+a,+f,+d,+c,+v".into();
    p.vector.bits = 128;
    p.peak_ops_per_cycle.f32 = 8.0;
    p.peak_ops_per_cycle.f16 = 0.0;
    p.peak_ops_per_cycle.int8_dot = 0.0;
    p.dot_instructions = vec!["vwmacc".into()];
    p.run.cc = "cc".into();
    (p.run.qemu, p.run.qemu_cpu, p.run.sysroot) = (None, None, None);
    finish(p, info, "rv64gcv", "RISC-V RVV (VLEN >= 128 assumed), LLVM cpu generic-rv64".into())
}
