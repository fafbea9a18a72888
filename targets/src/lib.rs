//! Device profiles (one TOML file per device) and the roofline cost API that passes and the
//! autotuner use to see a device.
//!
//! A [`Profile`] says how to generate code for a device (LLVM triple, cpu, features), how to run
//! that code here (cross C compiler, QEMU), and how fast the device is (vector width, caches,
//! peak ops per cycle per dtype, memory bandwidth). Built-in profiles live in
//! `targets/profiles/*.toml` and are compiled into the crate; users can load their own files,
//! optionally starting from a built-in with `base = "cortex-a76"`. The format is described in
//! `docs/targets.md`.
//!
//! ```
//! use targets::{OpCost, PeakKind, Profile};
//! let pi5 = Profile::builtin("cortex-a76").unwrap();
//! assert_eq!(pi5.vector_lanes(32), 4);
//! let matmul = OpCost { flops: 2.0 * 256.0 * 256.0 * 256.0, bytes: 3.0 * 256.0 * 256.0 * 4.0,
//!                       kind: PeakKind::F32, kernel_launches: 1 };
//! assert!(pi5.time_seconds(&matmul) > 0.0);
//! ```

mod builtin;
mod cost;
mod error;
mod host;
mod host_model;
mod load;
mod profile;
mod validate;

pub use builtin::{builtin_names, BUILTIN_PROFILES};
pub use cost::{OpCost, KERNEL_OVERHEAD_CYCLES};
pub use error::TargetError;
pub use host_model::{
    aarch64_host_profile, arm_cpu_name, riscv_host_profile, x86_host_profile, Aarch64Features, HostInfo, X86Features,
    X86Vendor,
};
pub use profile::{Caches, Isa, LlvmTarget, Memory, PeakKind, Peaks, Profile, RunConfig, VectorUnit};

/// Result type of this crate.
pub type Result<T, E = TargetError> = std::result::Result<T, E>;
