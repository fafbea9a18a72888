//! Every profile's LLVM triple/cpu/features is accepted by LLVM 22's `llc` without a warning
//! (an unknown cpu or feature is only a warning to llc, so stderr must be empty).
//! `EDGEC_LLC` overrides the llc path; without llc the test says so and checks nothing else.

use std::path::PathBuf;
use std::process::Command;
use targets::{
    aarch64_host_profile, arm_cpu_name, x86_host_profile, Aarch64Features, HostInfo, Profile, X86Features, X86Vendor,
    BUILTIN_PROFILES,
};

const IR: &str = "define <4 x float> @f(<4 x float> %a, <4 x float> %b) {\n  %c = fadd <4 x float> %a, %b\n  ret <4 x float> %c\n}\n";

fn llc() -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var("EDGEC_LLC").unwrap_or_else(|_| "/usr/lib/llvm-22/bin/llc".into()));
    p.exists().then_some(p)
}

fn check(llc: &PathBuf, ir: &PathBuf, p: &Profile) {
    let out = Command::new(llc)
        .arg(format!("-mtriple={}", p.llvm.triple))
        .arg(format!("-mcpu={}", p.llvm.cpu))
        .arg(format!("-mattr={}", p.llvm.features))
        .args(["-o", "/dev/null"])
        .arg(ir)
        .output()
        .expect("run llc");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "llc rejects or warns about profile `{}` ({} / {} / {}):\n{stderr}",
        p.name,
        p.llvm.triple,
        p.llvm.cpu,
        p.llvm.features
    );
}

#[test]
fn llc_accepts_every_profile() {
    let Some(llc) = llc() else {
        eprintln!("llc not found (set EDGEC_LLC); skipping the LLVM check");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ir = dir.path().join("t.ll");
    std::fs::write(&ir, IR).unwrap();
    for (name, _) in BUILTIN_PROFILES {
        check(&llc, &ir, &Profile::builtin(name).unwrap());
    }
    check(&llc, &ir, &Profile::host().unwrap());

    // Synthetic hosts: every feature on, every feature off, and each Arm core name.
    let info = HostInfo { cores: 4, ..HostInfo::default() };
    let all = X86Features {
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
        avx512f: true,
        avx512cd: true,
        avx512bw: true,
        avx512dq: true,
        avx512vl: true,
        avx512vnni: true,
        avx512bf16: true,
        avx512fp16: true,
        avx512vbmi: true,
        avx512vbmi2: true,
        avx512ifma: true,
        avx512bitalg: true,
        avx512vpopcntdq: true,
        avxvnni: true,
    };
    for vendor in [X86Vendor::Amd, X86Vendor::Intel] {
        check(&llc, &ir, &x86_host_profile(&all, vendor, &info).unwrap());
    }
    check(&llc, &ir, &x86_host_profile(&X86Features::default(), X86Vendor::Other, &info).unwrap());
    let arm_all = Aarch64Features { fp16: true, dotprod: true, bf16: true, i8mm: true, sve: true };
    for part in (0xd00..0xd90).filter(|&p| arm_cpu_name(p).is_some()).map(Some).chain([None]) {
        check(&llc, &ir, &aarch64_host_profile(&arm_all, part, &info).unwrap());
        check(&llc, &ir, &aarch64_host_profile(&Aarch64Features::default(), part, &info).unwrap());
    }
    check(&llc, &ir, &targets::riscv_host_profile("rv64imafdcv", &info).unwrap());
}
