//! Finding the C compiler and emulator a profile needs to link and run code, with a clear
//! message naming what to install when they are missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use targets::Profile;

/// How to link and run programs for one profile.
pub struct Runner {
    cc: String,
    /// Empty when the code runs natively.
    prefix: Vec<String>,
}

fn have(cmd: &str) -> bool {
    Command::new(cmd).arg("--version").output().is_ok()
}

fn native_isa() -> Option<targets::Isa> {
    match std::env::consts::ARCH {
        "x86_64" => Some(targets::Isa::X86_64),
        "aarch64" => Some(targets::Isa::AArch64),
        "riscv64" => Some(targets::Isa::RiscV64),
        _ => None,
    }
}

pub fn runner(p: &Profile) -> Result<Runner, String> {
    let isa = p.isa();
    let native = native_isa() == Some(isa);
    let cc = if native && !have(&p.run.cc) { "cc".to_string() } else { p.run.cc.clone() };
    if !have(&cc) {
        return Err(format!(
            "target {}: the C compiler `{cc}` is not installed (Debian: apt install {}; or run scripts/install-deps.sh)",
            p.name,
            debian_cc_package(&cc)
        ));
    }
    let mut prefix = vec![];
    if !native {
        let q = p.run.qemu.clone().ok_or_else(|| {
            format!("target {}: code for {isa} cannot run on this {} machine and the profile names no qemu", p.name, std::env::consts::ARCH)
        })?;
        if !have(&q) {
            return Err(format!(
                "target {}: `{q}` is not installed (Debian: apt install qemu-user; or run scripts/install-deps.sh)",
                p.name
            ));
        }
        prefix.push(q);
        if let Some(cpu) = &p.run.qemu_cpu {
            prefix.extend(["-cpu".to_string(), cpu.clone()]);
        }
        if let Some(root) = &p.run.sysroot {
            if !Path::new(root).is_dir() {
                return Err(format!(
                    "target {}: sysroot {root} is missing (Debian: apt install {})",
                    p.name,
                    debian_libc_package(isa)
                ));
            }
            prefix.extend(["-L".to_string(), root.clone()]);
        }
    }
    Ok(Runner { cc, prefix })
}

fn debian_cc_package(cc: &str) -> String {
    match cc.strip_suffix("-gcc") {
        Some(t) if t.contains("linux-gnu") => format!("gcc-{t}"),
        _ => "gcc".into(),
    }
}

fn debian_libc_package(isa: targets::Isa) -> &'static str {
    match isa {
        targets::Isa::AArch64 => "libc6-dev-arm64-cross",
        targets::Isa::RiscV64 => "libc6-dev-riscv64-cross",
        targets::Isa::X86_64 => "libc6-dev-amd64-cross",
    }
}

impl Runner {
    pub fn link(&self, sources: &[PathBuf], exe: &Path) -> Result<(), String> {
        let out = Command::new(&self.cc)
            .arg("-O2")
            .args(sources)
            .arg("-o")
            .arg(exe)
            .arg("-lm")
            .output()
            .map_err(|e| format!("{}: {e}", self.cc))?;
        if !out.status.success() {
            return Err(format!("linking with {} failed:\n{}", self.cc, String::from_utf8_lossy(&out.stderr)));
        }
        Ok(())
    }

    /// Run `exe args extra`; returns its stdout.
    pub fn run(&self, exe: &Path, args: &[PathBuf], extra: &[String]) -> Result<String, String> {
        let mut cmd = if self.prefix.is_empty() {
            Command::new(exe)
        } else {
            let mut c = Command::new(&self.prefix[0]);
            c.args(&self.prefix[1..]).arg(exe);
            c
        };
        let out = cmd.args(args).args(extra).output().map_err(|e| format!("{}: {e}", exe.display()))?;
        if !out.status.success() {
            return Err(format!(
                "the compiled model failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    pub fn emulated(&self) -> bool {
        !self.prefix.is_empty()
    }
}
