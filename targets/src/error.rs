//! Errors of profile loading and validation; each names the profile file and, where it applies,
//! the field.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("unknown target profile `{name}`; known profiles: {known} (or give a path to a .toml file)")]
    UnknownProfile { name: String, known: String },
    #[error("cannot read target profile {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax, a missing or unknown field, or a value of the wrong type.
    #[error("target profile {file}: {message}")]
    Parse { file: String, message: String },
    /// A field whose value is well-typed but not acceptable.
    #[error("target profile {file}: field `{field}`: {reason}")]
    Invalid { file: String, field: String, reason: String },
    /// `Profile::host()` on an architecture edgec cannot target.
    #[error("host detection: {0}")]
    Host(String),
}
