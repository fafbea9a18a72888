//! Semantic checks of a parsed profile (types and unknown/missing keys are serde's job): every
//! error names the file and the field.

use crate::profile::{Isa, Profile};
use crate::{Result, TargetError};

fn invalid(file: &str, field: &str, reason: impl Into<String>) -> TargetError {
    TargetError::Invalid { file: file.to_string(), field: field.to_string(), reason: reason.into() }
}

fn non_empty(file: &str, field: &str, v: &str) -> Result<()> {
    if v.trim().is_empty() {
        return Err(invalid(file, field, "must not be empty"));
    }
    if v.trim() != v {
        return Err(invalid(file, field, format!("has leading or trailing spaces: {v:?}")));
    }
    Ok(())
}

fn positive(file: &str, field: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        return Err(invalid(file, field, format!("must be a positive number (got {v})")));
    }
    Ok(())
}

fn non_negative(file: &str, field: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && v >= 0.0) {
        return Err(invalid(file, field, format!("must be 0 or a positive number (got {v})")));
    }
    Ok(())
}

fn nonzero(file: &str, field: &str, v: u64) -> Result<()> {
    if v == 0 {
        return Err(invalid(file, field, "must be greater than 0"));
    }
    Ok(())
}

impl Profile {
    /// Checks every field; `file` names the source in error messages. Loading calls this; call it
    /// again after changing a profile's fields by hand.
    pub fn validate(&self, file: &str) -> Result<()> {
        let f = file;
        non_empty(f, "name", &self.name)?;
        if let Some(c) = self.name.chars().find(|c| !(c.is_ascii_alphanumeric() || "-_.".contains(*c))) {
            return Err(invalid(f, "name", format!("`{}` has character {c:?}; use letters, digits, - _ .", self.name)));
        }
        non_empty(f, "description", &self.description)?;
        nonzero(f, "cores", self.cores.into())?;
        positive(f, "clock_ghz", self.clock_ghz)?;
        if self.clock_ghz > 10.0 {
            return Err(invalid(
                f,
                "clock_ghz",
                format!("{} GHz is not a plausible clock (GHz, not MHz)", self.clock_ghz),
            ));
        }
        for (i, d) in self.dot_instructions.iter().enumerate() {
            non_empty(f, &format!("dot_instructions[{i}]"), d)?;
        }

        non_empty(f, "llvm.triple", &self.llvm.triple)?;
        let isa = Isa::from_triple(&self.llvm.triple).ok_or_else(|| {
            invalid(
                f,
                "llvm.triple",
                format!("`{}`: the architecture must be x86_64, aarch64 or riscv64", self.llvm.triple),
            )
        })?;
        non_empty(f, "llvm.cpu", &self.llvm.cpu)?;
        if self.llvm.cpu == "native" {
            return Err(invalid(f, "llvm.cpu", "`native` is not allowed: name a concrete LLVM cpu (e.g. znver5)"));
        }
        if !self.llvm.features.is_empty() {
            for feat in self.llvm.features.split(',') {
                let name = feat.strip_prefix(['+', '-']).unwrap_or("");
                if name.is_empty() || name.contains(char::is_whitespace) {
                    return Err(invalid(
                        f,
                        "llvm.features",
                        format!("`{feat}` is not +name or -name (write e.g. \"+neon,+dotprod\")"),
                    ));
                }
            }
        }

        nonzero(f, "vector.bits", self.vector.bits.into())?;
        #[allow(clippy::manual_is_multiple_of)] // is_multiple_of needs Rust 1.87; the workspace allows 1.85
        if self.vector.bits % 64 != 0 {
            return Err(invalid(f, "vector.bits", format!("must be a multiple of 64 (got {})", self.vector.bits)));
        }
        nonzero(f, "vector.registers", self.vector.registers.into())?;

        let c = &self.cache;
        nonzero(f, "cache.l1d_bytes", c.l1d_bytes)?;
        nonzero(f, "cache.l2_bytes", c.l2_bytes)?;
        if c.l2_bytes < c.l1d_bytes {
            return Err(invalid(
                f,
                "cache.l2_bytes",
                format!("{} is smaller than l1d_bytes ({})", c.l2_bytes, c.l1d_bytes),
            ));
        }
        if let Some(l3) = c.l3_bytes {
            nonzero(f, "cache.l3_bytes", l3)?;
            if l3 < c.l2_bytes {
                return Err(invalid(f, "cache.l3_bytes", format!("{l3} is smaller than l2_bytes ({})", c.l2_bytes)));
            }
        }

        let p = &self.peak_ops_per_cycle;
        positive(f, "peak_ops_per_cycle.f32", p.f32)?;
        non_negative(f, "peak_ops_per_cycle.f16", p.f16)?;
        non_negative(f, "peak_ops_per_cycle.bf16", p.bf16)?;
        non_negative(f, "peak_ops_per_cycle.int8_dot", p.int8_dot)?;

        let m = &self.memory;
        positive(f, "memory.dram_gbs", m.dram_gbs)?;
        positive(f, "memory.l2_bytes_per_cycle", m.l2_bytes_per_cycle)?;
        match (m.l3_bytes_per_cycle, c.l3_bytes) {
            (Some(bw), Some(_)) => positive(f, "memory.l3_bytes_per_cycle", bw)?,
            (Some(_), None) => {
                return Err(invalid(f, "memory.l3_bytes_per_cycle", "given, but the profile has no cache.l3_bytes"))
            }
            (None, _) => {}
        }

        let r = &self.run;
        non_empty(f, "run.cc", &r.cc)?;
        if let Some(q) = &r.qemu {
            non_empty(f, "run.qemu", q)?;
            let base = std::path::Path::new(q).file_name().and_then(|s| s.to_str()).unwrap_or("");
            let want = format!("qemu-{}", isa.qemu_arch());
            if !base.starts_with(&want) {
                return Err(invalid(f, "run.qemu", format!("`{q}` does not run {isa} code (expected {want})")));
            }
        } else if r.qemu_cpu.is_some() || r.sysroot.is_some() {
            let field = if r.qemu_cpu.is_some() { "run.qemu_cpu" } else { "run.sysroot" };
            return Err(invalid(f, field, "given, but run.qemu is not"));
        }
        if let Some(cpu) = &r.qemu_cpu {
            non_empty(f, "run.qemu_cpu", cpu)?;
        }
        if let Some(root) = &r.sysroot {
            non_empty(f, "run.sysroot", root)?;
        }
        Ok(())
    }
}
