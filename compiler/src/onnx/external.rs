//! External tensor data: `location` resolved inside the model's folder (no absolute paths, no
//! `..`, no symlink escapes), `offset`/`length` honoured and checked, the bytes memory-mapped.

use super::proto::TensorProto;
use super::tensor::TensorSource;
use super::ImportError;
use std::ops::Deref;
use std::path::{Component, Path, PathBuf};

/// Bytes of one external tensor (memory-mapped, or empty).
pub enum ExternalBytes {
    Mapped(memmap2::Mmap),
    Empty,
}

impl Deref for ExternalBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            ExternalBytes::Mapped(m) => m,
            ExternalBytes::Empty => &[],
        }
    }
}

/// The path of `location` inside `base_dir`, refusing anything that could leave that folder.
pub fn resolve_location(base_dir: &Path, location: &str, what: &str) -> Result<PathBuf, ImportError> {
    let bad = |why: &str| {
        ImportError::Invalid(format!("tensor `{what}`: external data location `{location}` {why}"))
    };
    if location.is_empty() {
        return Err(bad("is empty"));
    }
    if location.contains('\0') {
        return Err(bad("contains a NUL byte"));
    }
    let rel = Path::new(location);
    // A Windows drive or UNC prefix would also make `join` replace the base folder.
    if rel.is_absolute() || location.starts_with('/') || location.starts_with('\\') || has_drive_prefix(location) {
        return Err(bad("is an absolute path (it must be relative to the model's folder)"));
    }
    for c in rel.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err(bad("contains `..` (it must stay inside the model's folder)")),
            Component::RootDir | Component::Prefix(_) => return Err(bad("is an absolute path")),
        }
    }
    if location.split(['/', '\\']).any(|p| p == "..") {
        return Err(bad("contains `..` (it must stay inside the model's folder)"));
    }
    let base = base_dir.canonicalize().map_err(|e| ImportError::Io {
        path: base_dir.display().to_string(),
        msg: format!("model folder (for external data of tensor `{what}`): {e}"),
    })?;
    let full = base.join(rel);
    let canon = full.canonicalize().map_err(|e| ImportError::Io {
        path: full.display().to_string(),
        msg: format!("external data of tensor `{what}`: {e}"),
    })?;
    if !canon.starts_with(&base) {
        return Err(bad(&format!(
            "resolves to {}, outside the model's folder {} (symlink escape)",
            canon.display(),
            base.display()
        )));
    }
    Ok(canon)
}

fn has_drive_prefix(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Read the `bytes` bytes of an external tensor, checking location, offset, length and file size.
pub fn read_external(t: &TensorProto, what: &str, bytes: usize, src: TensorSource) -> Result<ExternalBytes, ImportError> {
    let invalid = |msg: String| ImportError::Invalid(format!("tensor `{what}`: external data {msg}"));
    let mut location = None;
    let mut offset: u64 = 0;
    let mut length: Option<u64> = None;
    for e in &t.external_data {
        let num = |v: &str| {
            v.trim().parse::<u64>().map_err(|_| invalid(format!("`{}` is `{v}`, not a non-negative integer", e.key)))
        };
        match e.key.as_str() {
            "location" => location = Some(e.value.as_str()),
            "offset" => offset = num(&e.value)?,
            "length" => length = Some(num(&e.value)?),
            _ => {} // checksum and unknown keys are informative only
        }
    }
    let location = location.ok_or_else(|| invalid("has no `location`".into()))?;
    let base_dir = src.base_dir.ok_or_else(|| {
        invalid(format!("`{location}` cannot be resolved: the model was not loaded from a folder"))
    })?;
    let path = resolve_location(base_dir, location, what)?;
    let io = |e: std::io::Error| ImportError::Io { path: path.display().to_string(), msg: format!("external data of tensor `{what}`: {e}") };
    let file = std::fs::File::open(&path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(invalid(format!("`{location}` is not a regular file")));
    }
    let file_len = meta.len();
    let len = length.unwrap_or_else(|| file_len.saturating_sub(offset));
    if len != bytes as u64 {
        return Err(invalid(format!("`{location}` provides {len} bytes (offset {offset}), but the tensor needs {bytes}")));
    }
    if len > src.max_bytes {
        return Err(invalid(format!("of {len} bytes is above the limit of {} bytes", src.max_bytes)));
    }
    let end = offset.checked_add(len).ok_or_else(|| invalid(format!("offset {offset} + length {len} overflows")))?;
    if end > file_len {
        return Err(invalid(format!(
            "`{location}` is {file_len} bytes long, too short for offset {offset} + length {len}"
        )));
    }
    if len == 0 {
        return Ok(ExternalBytes::Empty);
    }
    let len_usize = usize::try_from(len).map_err(|_| invalid(format!("length {len} does not fit in memory")))?;
    // SAFETY: the mapping is read-only; the model's files must not be truncated while loading
    // (the same assumption every mmap-based model loader makes).
    let map = unsafe { memmap2::MmapOptions::new().offset(offset).len(len_usize).map(&file) }.map_err(io)?;
    Ok(ExternalBytes::Mapped(map))
}
