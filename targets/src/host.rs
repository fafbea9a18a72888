//! `Profile::host()`: detect this machine (CPU features, vendor, cores, caches, clock) and build
//! its profile with `host_model`. Linux facts come from /proc/cpuinfo and /sys; anything
//! unreadable falls back to the base profile's figure.

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64"))]
use crate::host_model;
use crate::host_model::HostInfo;
use crate::profile::Profile;
use crate::Result;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64")))]
use crate::TargetError;

/// The first value of `key` in /proc/cpuinfo-style text (`key<tabs>: value`).
pub(crate) fn cpuinfo_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}

/// A sysfs cache size such as `48K`, `2048K`, `105M` in bytes.
pub(crate) fn parse_cache_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'K' => (&s[..s.len() - 1], 1u64 << 10),
        'M' => (&s[..s.len() - 1], 1 << 20),
        'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Cores, model name, cache sizes of cpu0 and max clock, from the OS.
fn host_info(cpuinfo: &str) -> HostInfo {
    let mut info = HostInfo {
        cores: std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap_or(u32::MAX)),
        model: cpuinfo_value(cpuinfo, "model name").or_else(|| cpuinfo_value(cpuinfo, "uarch")),
        ..HostInfo::default()
    };
    for i in 0..8 {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
        let (Some(level), Some(kind), Some(size)) =
            (read(&format!("{dir}/level")), read(&format!("{dir}/type")), read(&format!("{dir}/size")))
        else {
            continue;
        };
        let Some(bytes) = parse_cache_size(&size) else { continue };
        match (level.trim(), kind.trim()) {
            ("1", "Data" | "Unified") => info.l1d_bytes = Some(bytes),
            ("2", "Unified" | "Data") => info.l2_bytes = Some(bytes),
            ("3", "Unified" | "Data") => info.l3_bytes = Some(bytes),
            _ => {}
        }
    }
    info.max_clock_ghz = read("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
        .and_then(|s| s.trim().parse::<f64>().ok())
        .map(|khz| khz / 1e6);
    info
}

#[cfg(target_arch = "x86_64")]
fn detect(cpuinfo: &str, info: &HostInfo) -> Result<Profile> {
    use host_model::{X86Features, X86Vendor};
    use std::arch::is_x86_feature_detected as has;
    let f = X86Features {
        sse42: has!("sse4.2"),
        popcnt: has!("popcnt"),
        avx: has!("avx"),
        avx2: has!("avx2"),
        fma: has!("fma"),
        f16c: has!("f16c"),
        bmi: has!("bmi1"),
        bmi2: has!("bmi2"),
        lzcnt: has!("lzcnt"),
        movbe: has!("movbe"),
        avx512f: has!("avx512f"),
        avx512cd: has!("avx512cd"),
        avx512bw: has!("avx512bw"),
        avx512dq: has!("avx512dq"),
        avx512vl: has!("avx512vl"),
        avx512vnni: has!("avx512vnni"),
        avx512bf16: has!("avx512bf16"),
        avx512fp16: has!("avx512fp16"),
        avx512vbmi: has!("avx512vbmi"),
        avx512vbmi2: has!("avx512vbmi2"),
        avx512ifma: has!("avx512ifma"),
        avx512bitalg: has!("avx512bitalg"),
        avx512vpopcntdq: has!("avx512vpopcntdq"),
        avxvnni: has!("avxvnni"),
    };
    let vendor = match cpuinfo_value(cpuinfo, "vendor_id").as_deref() {
        Some("AuthenticAMD") => X86Vendor::Amd,
        Some("GenuineIntel") => X86Vendor::Intel,
        _ => X86Vendor::Other,
    };
    host_model::x86_host_profile(&f, vendor, info)
}

#[cfg(target_arch = "aarch64")]
fn detect(cpuinfo: &str, info: &HostInfo) -> Result<Profile> {
    use std::arch::is_aarch64_feature_detected as has;
    let f = host_model::Aarch64Features {
        fp16: has!("fp16"),
        dotprod: has!("dotprod"),
        bf16: has!("bf16"),
        i8mm: has!("i8mm"),
        sve: has!("sve"),
    };
    let hex =
        |key: &str| cpuinfo_value(cpuinfo, key).and_then(|v| u32::from_str_radix(v.trim_start_matches("0x"), 16).ok());
    let arm_part = if hex("CPU implementer") == Some(0x41) { hex("CPU part") } else { None };
    host_model::aarch64_host_profile(&f, arm_part, info)
}

#[cfg(target_arch = "riscv64")]
fn detect(cpuinfo: &str, info: &HostInfo) -> Result<Profile> {
    let isa = cpuinfo_value(cpuinfo, "isa").unwrap_or_default();
    host_model::riscv_host_profile(&isa, info)
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64")))]
fn detect(_cpuinfo: &str, _info: &HostInfo) -> Result<Profile> {
    Err(TargetError::Host(format!("edgec cannot target this host's architecture ({})", std::env::consts::ARCH)))
}

impl Profile {
    /// This machine's profile, named `host`: the closest built-in profile as the base, with the
    /// detected LLVM cpu and an explicit feature string (never `native`), vector width, peaks,
    /// thread count, cache sizes and clock where the OS reports them.
    pub fn host() -> Result<Profile> {
        let cpuinfo = read("/proc/cpuinfo").unwrap_or_default();
        let info = host_info(&cpuinfo);
        detect(&cpuinfo, &info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_sizes_parse_with_units() {
        assert_eq!(parse_cache_size("48K\n"), Some(48 * 1024));
        assert_eq!(parse_cache_size("105M"), Some(105 << 20));
        assert_eq!(parse_cache_size("512"), Some(512));
        assert_eq!(parse_cache_size(""), None);
        assert_eq!(parse_cache_size("12X"), None);
    }

    #[test]
    fn cpuinfo_values_are_found_by_key() {
        let text = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9555\nCPU part\t: 0xd0b\n";
        assert_eq!(cpuinfo_value(text, "vendor_id").as_deref(), Some("AuthenticAMD"));
        assert_eq!(cpuinfo_value(text, "model name").as_deref(), Some("AMD EPYC 9555"));
        assert_eq!(cpuinfo_value(text, "CPU part").as_deref(), Some("0xd0b"));
        assert_eq!(cpuinfo_value(text, "flags"), None);
    }
}
