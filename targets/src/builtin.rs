//! The built-in profiles: `targets/profiles/*.toml` compiled into the crate, plus `host`.

use crate::load::unknown;
use crate::profile::Profile;
use crate::Result;

/// (name, TOML text) of every built-in profile file, in listing order. The file's `name` field
/// equals the key (checked by tests).
pub const BUILTIN_PROFILES: &[(&str, &str)] = &[
    ("cortex-a76", include_str!("../profiles/cortex-a76.toml")),
    ("cortex-a72", include_str!("../profiles/cortex-a72.toml")),
    ("cortex-a55", include_str!("../profiles/cortex-a55.toml")),
    ("x86-64-v3", include_str!("../profiles/x86-64-v3.toml")),
    ("x86-64-v4", include_str!("../profiles/x86-64-v4.toml")),
    ("znver5", include_str!("../profiles/znver5.toml")),
    ("rv64gcv", include_str!("../profiles/rv64gcv.toml")),
    ("sifive-x280", include_str!("../profiles/sifive-x280.toml")),
];

/// Every name `Profile::builtin` accepts: the profile files, then `host`.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN_PROFILES.iter().map(|(n, _)| *n).chain(["host"]).collect()
}

impl Profile {
    /// A built-in profile by name; `host` detects this machine (see [`Profile::host`]).
    pub fn builtin(name: &str) -> Result<Profile> {
        if name == "host" {
            return Profile::host();
        }
        let (_, text) = BUILTIN_PROFILES.iter().find(|(n, _)| *n == name).ok_or_else(|| unknown(name))?;
        Profile::from_toml_str(text, &format!("built-in `{name}` (targets/profiles/{name}.toml)"))
    }
}
