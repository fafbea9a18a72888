//! Host detection on this machine, and the host model on synthetic feature sets of other
//! machines (AMD/Intel AVX-512, AVX2-only, SSE-only, Arm cores).

use targets::{
    aarch64_host_profile, arm_cpu_name, riscv_host_profile, x86_host_profile, Aarch64Features, HostInfo, Isa, PeakKind,
    Profile, X86Features, X86Vendor,
};

#[test]
fn host_profile_is_consistent_with_this_machine() {
    let p = Profile::host().expect("host detection");
    assert_eq!(p.name, "host");
    p.validate("host").unwrap();
    assert_eq!(p.isa().qemu_arch(), std::env::consts::ARCH);
    assert_ne!(p.llvm.cpu, "native");
    let threads = std::thread::available_parallelism().unwrap().get() as u32;
    assert_eq!(p.cores, threads);
    assert!(p.runner().is_empty(), "host code runs natively");
    assert_eq!(Profile::builtin("host").unwrap(), p);
    assert_eq!(Profile::resolve("host").unwrap(), p);
    #[cfg(target_arch = "x86_64")]
    {
        assert_eq!(p.has_feature("avx2"), std::arch::is_x86_feature_detected!("avx2"));
        assert_eq!(p.has_feature("avx512f"), std::arch::is_x86_feature_detected!("avx512f"));
        assert_eq!(p.has_feature("avx512vnni"), std::arch::is_x86_feature_detected!("avx512vnni"));
        let width = if std::arch::is_x86_feature_detected!("avx512f") {
            512
        } else if std::arch::is_x86_feature_detected!("avx") {
            256
        } else {
            128
        };
        assert_eq!(p.vector.bits, width);
    }
}

fn info() -> HostInfo {
    HostInfo { cores: 16, model: Some("test cpu".into()), ..HostInfo::default() }
}

fn avx2() -> X86Features {
    X86Features {
        sse42: true,
        popcnt: true,
        avx: true,
        avx2: true,
        fma: true,
        f16c: true,
        bmi: true,
        bmi2: true,
        lzcnt: true,
        movbe: true,
        ..X86Features::default()
    }
}

fn avx512() -> X86Features {
    X86Features { avx512f: true, avx512cd: true, avx512bw: true, avx512dq: true, avx512vl: true, ..avx2() }
}

fn zen5_like() -> X86Features {
    X86Features { avx512vnni: true, avx512bf16: true, avxvnni: true, ..avx512() }
}

#[test]
fn amd_with_vnni_and_bf16_is_znver5_and_intel_is_sapphirerapids() {
    let amd = x86_host_profile(&zen5_like(), X86Vendor::Amd, &info()).unwrap();
    assert_eq!((amd.llvm.cpu.as_str(), amd.vector.bits, amd.cores), ("znver5", 512, 16));
    assert!(amd.has_feature("avx512bf16") && amd.has_feature("avx512vnni"));
    assert!(amd.llvm.features.contains("-avx512fp16"), "absent features are turned off: {}", amd.llvm.features);
    assert_eq!(amd.peak_ops_per_cycle(PeakKind::Int8Dot), 256.0);
    assert!(amd.dot_instructions.iter().any(|d| d == "vdpbf16ps"));
    assert!(amd.description.contains("test cpu"));

    let spr = X86Features { avx512fp16: true, ..zen5_like() };
    let intel = x86_host_profile(&spr, X86Vendor::Intel, &info()).unwrap();
    assert_eq!(intel.llvm.cpu, "sapphirerapids");
    assert!(intel.peak_ops_per_cycle(PeakKind::F16) > 0.0);
}

#[test]
fn plain_avx512_is_v4_and_avx2_is_v3() {
    let v4 = x86_host_profile(&avx512(), X86Vendor::Intel, &info()).unwrap();
    assert_eq!((v4.llvm.cpu.as_str(), v4.vector.bits, v4.vector.registers), ("x86-64-v4", 512, 32));
    assert_eq!(v4.peak_ops_per_cycle(PeakKind::Bf16), 0.0);
    let v3 = x86_host_profile(&avx2(), X86Vendor::Amd, &info()).unwrap();
    assert_eq!((v3.llvm.cpu.as_str(), v3.vector.bits, v3.vector.registers), ("x86-64-v3", 256, 16));
    assert!(v3.llvm.features.contains("-avx512f"));
    let sse = X86Features { sse42: true, popcnt: true, ..X86Features::default() };
    let v2 = x86_host_profile(&sse, X86Vendor::Other, &info()).unwrap();
    assert_eq!((v2.llvm.cpu.as_str(), v2.vector.bits), ("x86-64-v2", 128));
    assert_eq!(v2.peak_ops_per_cycle(PeakKind::F32), 8.0);
}

#[test]
fn detected_caches_and_clock_replace_the_base_figures() {
    let i = HostInfo {
        cores: 2,
        model: None,
        l1d_bytes: Some(48 << 10),
        l2_bytes: Some(2 << 20),
        l3_bytes: None,
        max_clock_ghz: Some(3.1),
    };
    let p = x86_host_profile(&zen5_like(), X86Vendor::Intel, &i).unwrap();
    assert_eq!((p.cache.l1d_bytes, p.cache.l2_bytes, p.cache.l3_bytes), (48 << 10, 2 << 20, None));
    assert_eq!(p.memory.l3_bytes_per_cycle, None);
    assert_eq!(p.clock_ghz, 3.1);
    // Implausible sysfs values are ignored.
    let bad = HostInfo { l1d_bytes: Some(1 << 20), l2_bytes: Some(1024), max_clock_ghz: Some(0.0), ..i };
    let q = x86_host_profile(&zen5_like(), X86Vendor::Intel, &bad).unwrap();
    assert_eq!(q.cache, Profile::builtin("znver5").unwrap().cache);
    assert_eq!(q.clock_ghz, 3.6);
}

#[test]
fn arm_hosts() {
    let pi5 = Aarch64Features { fp16: true, dotprod: true, ..Aarch64Features::default() };
    let p = aarch64_host_profile(&pi5, Some(0xd0b), &info()).unwrap();
    assert_eq!((p.isa(), p.llvm.cpu.as_str()), (Isa::AArch64, "cortex-a76"));
    assert!(p.has_feature("dotprod") && !p.has_feature("i8mm"));
    assert_eq!(p.peak_ops_per_cycle(PeakKind::Int8Dot), 64.0);
    assert!(p.runner().is_empty());
    let pi4 = aarch64_host_profile(&Aarch64Features::default(), Some(0xd08), &info()).unwrap();
    assert_eq!(pi4.llvm.cpu, "cortex-a72");
    assert_eq!(pi4.peak_ops_per_cycle(PeakKind::F32), 8.0);
    assert!(pi4.dot_instructions.is_empty());
    let apple = aarch64_host_profile(&pi5, None, &info()).unwrap();
    assert_eq!(apple.llvm.cpu, "generic");
    assert_eq!(arm_cpu_name(0xd05), Some("cortex-a55"));
    assert_eq!(arm_cpu_name(0x123), None);
}

#[test]
fn riscv_hosts_need_v() {
    let p = riscv_host_profile("rv64imafdcv_zicsr_zifencei", &info()).unwrap();
    assert_eq!((p.isa(), p.vector.bits), (Isa::RiscV64, 128));
    assert!(p.has_feature("v"));
    assert!(riscv_host_profile("rv64imafdc_zicsr", &info()).is_err());
}
