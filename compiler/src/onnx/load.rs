//! Reading model and tensor files (memory-mapped when large) and decoding their protobufs.

use super::proto::{ModelProto, TensorProto};
use super::ImportError;
use prost::Message;
use std::ops::Deref;
use std::path::Path;

/// Files at least this large are memory-mapped rather than read.
const MMAP_THRESHOLD: u64 = 1 << 20;

/// The bytes of a file: read into memory or memory-mapped.
pub enum FileBytes {
    Read(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Read(v) => v,
            FileBytes::Mapped(m) => m,
        }
    }
}

pub fn read_file(path: &Path) -> Result<FileBytes, ImportError> {
    let io = |e: std::io::Error| ImportError::Io { path: path.display().to_string(), msg: e.to_string() };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(ImportError::Io { path: path.display().to_string(), msg: "is a directory, not a file".into() });
    }
    if meta.len() < MMAP_THRESHOLD {
        return std::fs::read(path).map(FileBytes::Read).map_err(io);
    }
    // SAFETY: read-only mapping; the file must not be truncated while it is being decoded.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
    Ok(FileBytes::Mapped(map))
}

/// The folder of a model file (external data locations are relative to it).
pub fn model_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

pub fn decode_model(bytes: &[u8]) -> Result<ModelProto, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Decode("the file is empty".into()));
    }
    ModelProto::decode(bytes).map_err(|e| ImportError::Decode(e.to_string()))
}

pub fn decode_tensor(bytes: &[u8]) -> Result<TensorProto, ImportError> {
    TensorProto::decode(bytes).map_err(|e| ImportError::Decode(format!("tensor: {e}")))
}
