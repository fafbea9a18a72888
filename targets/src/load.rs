//! Reading profiles: TOML text → `Profile` (with an optional `base = "<built-in>"` whose fields
//! the file overrides), files by path, and name-or-path resolution.

use crate::builtin::builtin_names;
use crate::profile::Profile;
use crate::{Result, TargetError};
use std::path::Path;

/// Overlays `over` onto `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn parse_err(file: &str, e: impl std::fmt::Display) -> TargetError {
    TargetError::Parse { file: file.to_string(), message: e.to_string().trim_end().to_string() }
}

impl Profile {
    /// Parses and validates profile text; `file` names it in errors. With a top-level
    /// `base = "<name>"` the text starts from that built-in profile and overrides its fields
    /// (tables merge key by key); it must then give its own `name`.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Profile> {
        let mut table: toml::Table = text.parse().map_err(|e| parse_err(file, e))?;
        let profile = match table.remove("base") {
            None => toml::from_str::<Profile>(text).map_err(|e| parse_err(file, e))?,
            Some(toml::Value::String(base)) => {
                if !table.contains_key("name") {
                    return Err(TargetError::Invalid {
                        file: file.to_string(),
                        field: "name".into(),
                        reason: format!("a profile with base = \"{base}\" must give its own name"),
                    });
                }
                let base_profile = Profile::builtin(&base).map_err(|e| TargetError::Invalid {
                    file: file.to_string(),
                    field: "base".into(),
                    reason: e.to_string(),
                })?;
                let toml::Value::Table(mut merged) =
                    toml::Value::try_from(&base_profile).map_err(|e| parse_err(file, e))?
                else {
                    return Err(parse_err(file, "the base profile did not serialise to a table"));
                };
                merge(&mut merged, table);
                toml::Value::Table(merged).try_into::<Profile>().map_err(|e| parse_err(file, e))?
            }
            Some(other) => {
                return Err(TargetError::Invalid {
                    file: file.to_string(),
                    field: "base".into(),
                    reason: format!("must be a string naming a built-in profile, got {}", other.type_str()),
                })
            }
        };
        profile.validate(file)?;
        Ok(profile)
    }

    /// The profile as TOML text in the profile-file format (loads back to an equal profile).
    pub fn to_toml_string(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# cannot write profile `{}` as TOML: {e}\n", self.name))
    }

    /// Loads and validates a user profile file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Profile> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|source| TargetError::Io { path: path.to_path_buf(), source })?;
        Profile::from_toml_str(&text, &path.display().to_string())
    }

    /// A path when `name_or_path` ends in `.toml` or contains a path separator, else a built-in
    /// name (including `host`).
    pub fn resolve(name_or_path: &str) -> Result<Profile> {
        if is_path(name_or_path) {
            Profile::from_file(name_or_path)
        } else {
            Profile::builtin(name_or_path)
        }
    }
}

/// Whether `resolve` reads `s` as a file path.
pub(crate) fn is_path(s: &str) -> bool {
    s.ends_with(".toml") || s.contains('/') || s.contains(std::path::MAIN_SEPARATOR)
}

pub(crate) fn unknown(name: &str) -> TargetError {
    TargetError::UnknownProfile { name: name.to_string(), known: builtin_names().join(", ") }
}
