//! Reading and writing tensors as NumPy `.npy` files (via the npyz crate).

use half::f16;
use ir::Tensor;
use npyz::WriterBuilder;
use std::io::Read;
use std::path::Path;

fn err(path: &Path, msg: impl std::fmt::Display) -> String {
    format!("{}: {msg}", path.display())
}

/// Read a `.npy` file (C order; little- or big-endian numeric dtypes and bool).
pub fn read_npy(path: &Path) -> Result<Tensor, String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| err(path, e))?;
    let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| err(path, format!("not a valid .npy file: {e}")))?;
    if npy.order() != npyz::Order::C {
        return Err(err(path, "Fortran-order arrays are not supported; save with np.ascontiguousarray"));
    }
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let descr = match npy.dtype() {
        npyz::DType::Plain(ts) => ts.to_string(),
        other => return Err(err(path, format!("unsupported .npy dtype {}", other.descr()))),
    };
    let kind = descr.trim_start_matches(['<', '>', '|', '=']);
    macro_rules! get {
        ($t:ty) => {{
            let v: Vec<$t> = npy.into_vec().map_err(|e| err(path, format!("bad data: {e}")))?;
            Tensor::from_vec(&shape, v).map_err(|e| err(path, e))
        }};
    }
    match kind {
        "f4" => get!(f32),
        "f8" => get!(f64),
        "f2" => get!(f16),
        "i1" => get!(i8),
        "i2" => get!(i16),
        "i4" => get!(i32),
        "i8" => get!(i64),
        "u1" => get!(u8),
        "u2" => get!(u16),
        "u4" => get!(u32),
        "u8" => get!(u64),
        "b1" => get!(bool),
        other => Err(err(path, format!("unsupported .npy dtype `{other}`"))),
    }
}

/// Write a tensor as `.npy` (little-endian). bf16 has no NumPy dtype and is written as f32.
pub fn write_npy(path: &Path, t: &Tensor) -> Result<(), String> {
    let shape: Vec<u64> = t.shape().iter().map(|&d| d as u64).collect();
    let file = std::fs::File::create(path).map_err(|e| err(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    macro_rules! put {
        ($t:ty, $it:expr) => {{
            let mut wr = npyz::WriteOptions::<$t>::new()
                .default_dtype()
                .shape(&shape)
                .writer(&mut w)
                .begin_nd()
                .map_err(|e| err(path, e))?;
            wr.extend($it).map_err(|e| err(path, e))?;
            wr.finish().map_err(|e| err(path, e))?;
        }};
    }
    match t {
        Tensor::F32(a) => put!(f32, a.iter().copied()),
        Tensor::F64(a) => put!(f64, a.iter().copied()),
        Tensor::F16(a) => put!(f16, a.iter().copied()),
        Tensor::BF16(a) => put!(f32, a.iter().map(|x| x.to_f32())),
        Tensor::I8(a) => put!(i8, a.iter().copied()),
        Tensor::I16(a) => put!(i16, a.iter().copied()),
        Tensor::I32(a) => put!(i32, a.iter().copied()),
        Tensor::I64(a) => put!(i64, a.iter().copied()),
        Tensor::U8(a) => put!(u8, a.iter().copied()),
        Tensor::U16(a) => put!(u16, a.iter().copied()),
        Tensor::U32(a) => put!(u32, a.iter().copied()),
        Tensor::U64(a) => put!(u64, a.iter().copied()),
        Tensor::Bool(a) => put!(bool, a.iter().copied()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn round_trip_all_dtypes() {
        let dir = tempfile::tempdir().unwrap();
        let cases = vec![
            Tensor::from_vec(&[2, 3], vec![1.5f32, -2.0, 0.0, 7.25, f32::NAN, 1e30]).unwrap(),
            Tensor::from_vec(&[3], vec![1i64, -5, i64::MAX]).unwrap(),
            Tensor::from_vec(&[2, 2], vec![true, false, false, true]).unwrap(),
            Tensor::from_vec(&[], vec![3u8]).unwrap(),
            Tensor::from_vec(&[2], vec![f16::from_f32(0.5), f16::from_f32(-3.0)]).unwrap(),
        ];
        for (i, t) in cases.into_iter().enumerate() {
            let p = dir.path().join(format!("t{i}.npy"));
            write_npy(&p, &t).unwrap();
            let back = read_npy(&p).unwrap();
            assert_eq!(back.dtype(), t.dtype());
            assert_eq!(back.shape(), t.shape());
            assert_eq!(back.to_le_bytes(), t.to_le_bytes());
        }
    }
    #[test]
    fn garbage_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.npy");
        std::fs::write(&p, b"\x93NUMPY\x01\x00garbage").unwrap();
        assert!(read_npy(&p).is_err());
        assert!(read_npy(&dir.path().join("missing.npy")).is_err());
    }
}
