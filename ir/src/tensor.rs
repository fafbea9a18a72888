//! Concrete tensor values (constants, interpreter values): one ndarray per supported dtype.

use crate::{DType, Dim, TensorType};
use half::{bf16, f16};
use ndarray::{ArrayD, IxDyn};

/// A dense tensor of one of the interpreter-supported dtypes (`DType::is_supported`).
#[derive(Clone, Debug, PartialEq)]
pub enum Tensor {
    F32(ArrayD<f32>),
    F64(ArrayD<f64>),
    F16(ArrayD<f16>),
    BF16(ArrayD<bf16>),
    I8(ArrayD<i8>),
    I16(ArrayD<i16>),
    I32(ArrayD<i32>),
    I64(ArrayD<i64>),
    U8(ArrayD<u8>),
    U16(ArrayD<u16>),
    U32(ArrayD<u32>),
    U64(ArrayD<u64>),
    Bool(ArrayD<bool>),
}

/// Run `$body` with `$a` bound to the inner array of any variant; the result is not re-wrapped.
#[macro_export]
macro_rules! with_tensor {
    ($t:expr, $a:ident => $body:expr) => {
        match $t {
            $crate::Tensor::F32($a) => $body,
            $crate::Tensor::F64($a) => $body,
            $crate::Tensor::F16($a) => $body,
            $crate::Tensor::BF16($a) => $body,
            $crate::Tensor::I8($a) => $body,
            $crate::Tensor::I16($a) => $body,
            $crate::Tensor::I32($a) => $body,
            $crate::Tensor::I64($a) => $body,
            $crate::Tensor::U8($a) => $body,
            $crate::Tensor::U16($a) => $body,
            $crate::Tensor::U32($a) => $body,
            $crate::Tensor::U64($a) => $body,
            $crate::Tensor::Bool($a) => $body,
        }
    };
}

/// Like `with_tensor!`, but re-wraps an `ArrayD` of the same element type into the same variant.
#[macro_export]
macro_rules! map_tensor {
    ($t:expr, $a:ident => $body:expr) => {
        match $t {
            $crate::Tensor::F32($a) => $crate::Tensor::F32($body),
            $crate::Tensor::F64($a) => $crate::Tensor::F64($body),
            $crate::Tensor::F16($a) => $crate::Tensor::F16($body),
            $crate::Tensor::BF16($a) => $crate::Tensor::BF16($body),
            $crate::Tensor::I8($a) => $crate::Tensor::I8($body),
            $crate::Tensor::I16($a) => $crate::Tensor::I16($body),
            $crate::Tensor::I32($a) => $crate::Tensor::I32($body),
            $crate::Tensor::I64($a) => $crate::Tensor::I64($body),
            $crate::Tensor::U8($a) => $crate::Tensor::U8($body),
            $crate::Tensor::U16($a) => $crate::Tensor::U16($body),
            $crate::Tensor::U32($a) => $crate::Tensor::U32($body),
            $crate::Tensor::U64($a) => $crate::Tensor::U64($body),
            $crate::Tensor::Bool($a) => $crate::Tensor::Bool($body),
        }
    };
}

/// Element types a `Tensor` can hold, with conversions used by casts and generic kernels.
pub trait Element: Copy + Default + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    const DTYPE: DType;
    fn wrap(a: ArrayD<Self>) -> Tensor;
    fn view(t: &Tensor) -> Option<&ArrayD<Self>>;
    fn to_f64(self) -> f64;
    /// Conversion from f64 with `as`-cast semantics (saturating for ints, NaN → 0).
    fn from_f64(v: f64) -> Self;
    fn to_i64(self) -> i64;
    fn from_i64(v: i64) -> Self;
}

macro_rules! impl_element_num {
    ($t:ty, $variant:ident, $dt:expr) => {
        impl Element for $t {
            const DTYPE: DType = $dt;
            fn wrap(a: ArrayD<Self>) -> Tensor {
                Tensor::$variant(a)
            }
            fn view(t: &Tensor) -> Option<&ArrayD<Self>> {
                match t {
                    Tensor::$variant(a) => Some(a),
                    _ => None,
                }
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn to_i64(self) -> i64 {
                self as i64
            }
            fn from_i64(v: i64) -> Self {
                v as $t
            }
        }
    };
}
impl_element_num!(f32, F32, DType::F32);
impl_element_num!(f64, F64, DType::F64);
impl_element_num!(i8, I8, DType::I8);
impl_element_num!(i16, I16, DType::I16);
impl_element_num!(i32, I32, DType::I32);
impl_element_num!(i64, I64, DType::I64);
impl_element_num!(u8, U8, DType::U8);
impl_element_num!(u16, U16, DType::U16);
impl_element_num!(u32, U32, DType::U32);
impl_element_num!(u64, U64, DType::U64);

macro_rules! impl_element_half {
    ($t:ty, $variant:ident, $dt:expr) => {
        impl Element for $t {
            const DTYPE: DType = $dt;
            fn wrap(a: ArrayD<Self>) -> Tensor {
                Tensor::$variant(a)
            }
            fn view(t: &Tensor) -> Option<&ArrayD<Self>> {
                match t {
                    Tensor::$variant(a) => Some(a),
                    _ => None,
                }
            }
            fn to_f64(self) -> f64 {
                self.to_f64()
            }
            fn from_f64(v: f64) -> Self {
                <$t>::from_f64(v)
            }
            fn to_i64(self) -> i64 {
                self.to_f64() as i64
            }
            fn from_i64(v: i64) -> Self {
                <$t>::from_f64(v as f64)
            }
        }
    };
}
impl_element_half!(f16, F16, DType::F16);
impl_element_half!(bf16, BF16, DType::BF16);

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    fn wrap(a: ArrayD<Self>) -> Tensor {
        Tensor::Bool(a)
    }
    fn view(t: &Tensor) -> Option<&ArrayD<Self>> {
        match t {
            Tensor::Bool(a) => Some(a),
            _ => None,
        }
    }
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    fn to_i64(self) -> i64 {
        self as i64
    }
    fn from_i64(v: i64) -> Self {
        v != 0
    }
}

impl Tensor {
    pub fn dtype(&self) -> DType {
        match self {
            Tensor::F32(_) => DType::F32,
            Tensor::F64(_) => DType::F64,
            Tensor::F16(_) => DType::F16,
            Tensor::BF16(_) => DType::BF16,
            Tensor::I8(_) => DType::I8,
            Tensor::I16(_) => DType::I16,
            Tensor::I32(_) => DType::I32,
            Tensor::I64(_) => DType::I64,
            Tensor::U8(_) => DType::U8,
            Tensor::U16(_) => DType::U16,
            Tensor::U32(_) => DType::U32,
            Tensor::U64(_) => DType::U64,
            Tensor::Bool(_) => DType::Bool,
        }
    }

    pub fn shape(&self) -> &[usize] {
        with_tensor!(self, a => a.shape())
    }

    pub fn len(&self) -> usize {
        with_tensor!(self, a => a.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn ty(&self) -> TensorType {
        TensorType { dtype: self.dtype(), dims: self.shape().iter().map(|&d| Dim::Static(d)).collect() }
    }

    /// Build from a flat vector in row-major order.
    pub fn from_vec<T: Element>(shape: &[usize], data: Vec<T>) -> Result<Tensor, String> {
        ArrayD::from_shape_vec(IxDyn(shape), data)
            .map(T::wrap)
            .map_err(|e| format!("tensor of shape {shape:?}: {e}"))
    }

    pub fn scalar<T: Element>(v: T) -> Tensor {
        T::wrap(ArrayD::from_elem(IxDyn(&[]), v))
    }

    /// A tensor of zeros (false for bool).
    pub fn zeros(dtype: DType, shape: &[usize]) -> Result<Tensor, String> {
        fn z<T: Element>(shape: &[usize]) -> Tensor {
            T::wrap(ArrayD::from_elem(IxDyn(shape), T::default()))
        }
        Ok(match dtype {
            DType::F32 => z::<f32>(shape),
            DType::F64 => z::<f64>(shape),
            DType::F16 => z::<f16>(shape),
            DType::BF16 => z::<bf16>(shape),
            DType::I8 => z::<i8>(shape),
            DType::I16 => z::<i16>(shape),
            DType::I32 => z::<i32>(shape),
            DType::I64 => z::<i64>(shape),
            DType::U8 => z::<u8>(shape),
            DType::U16 => z::<u16>(shape),
            DType::U32 => z::<u32>(shape),
            DType::U64 => z::<u64>(shape),
            DType::Bool => z::<bool>(shape),
            other => return Err(format!("dtype {other} is not supported by the interpreter")),
        })
    }

    /// A tensor filled with `v` converted (as-cast) to `dtype`.
    pub fn full(dtype: DType, shape: &[usize], v: f64) -> Result<Tensor, String> {
        Ok(Tensor::zeros(dtype, shape)?.map_f64(|_| v))
    }

    /// The array of element type `T`, or None if the dtype differs.
    pub fn as_array<T: Element>(&self) -> Option<&ArrayD<T>> {
        T::view(self)
    }

    /// Every element converted to f64 (row-major).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        with_tensor!(self, a => a.iter().map(|x| Element::to_f64(*x)).collect())
    }

    /// Every element converted to i64 (row-major); floats truncate.
    pub fn to_i64_vec(&self) -> Vec<i64> {
        with_tensor!(self, a => a.iter().map(|x| Element::to_i64(*x)).collect())
    }

    /// Elementwise map through f64, keeping the dtype.
    pub fn map_f64(&self, f: impl Fn(f64) -> f64) -> Tensor {
        map_tensor!(self, a => a.mapv(|x| Element::from_f64(f(Element::to_f64(x)))))
    }

    /// Reshape (same number of elements), row-major.
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor, String> {
        let n: usize = shape.iter().product();
        if n != self.len() {
            return Err(format!("cannot reshape {:?} ({} elements) to {shape:?}", self.shape(), self.len()));
        }
        Ok(map_tensor!(self, a => {
            let v: Vec<_> = a.iter().cloned().collect();
            ArrayD::from_shape_vec(IxDyn(shape), v).expect("size checked")
        }))
    }

    /// Size in bytes of the dense data.
    pub fn byte_size(&self) -> usize {
        self.dtype().bytes_for(self.len())
    }

    /// Little-endian bytes of the elements in row-major order (bool as one byte).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        fn le<T: Copy, const N: usize>(a: &ArrayD<T>, f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
            let mut out = Vec::with_capacity(a.len() * N);
            for x in a.iter() {
                out.extend_from_slice(&f(*x));
            }
            out
        }
        match self {
            Tensor::F32(a) => le(a, f32::to_le_bytes),
            Tensor::F64(a) => le(a, f64::to_le_bytes),
            Tensor::F16(a) => le(a, f16::to_le_bytes),
            Tensor::BF16(a) => le(a, bf16::to_le_bytes),
            Tensor::I8(a) => le(a, i8::to_le_bytes),
            Tensor::I16(a) => le(a, i16::to_le_bytes),
            Tensor::I32(a) => le(a, i32::to_le_bytes),
            Tensor::I64(a) => le(a, i64::to_le_bytes),
            Tensor::U8(a) => le(a, u8::to_le_bytes),
            Tensor::U16(a) => le(a, u16::to_le_bytes),
            Tensor::U32(a) => le(a, u32::to_le_bytes),
            Tensor::U64(a) => le(a, u64::to_le_bytes),
            Tensor::Bool(a) => le(a, |b| [b as u8]),
        }
    }

    /// Decode little-endian bytes (the inverse of `to_le_bytes`).
    pub fn from_le_bytes(dtype: DType, shape: &[usize], bytes: &[u8]) -> Result<Tensor, String> {
        let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or("shape overflows")?;
        let need = dtype.bytes_for(n);
        if bytes.len() != need {
            return Err(format!(
                "{dtype} tensor of shape {shape:?} needs {need} bytes of data, got {}",
                bytes.len()
            ));
        }
        fn de<T: Element, const N: usize>(shape: &[usize], b: &[u8], f: impl Fn([u8; N]) -> T) -> Result<Tensor, String> {
            let v: Vec<T> = b.chunks_exact(N).map(|c| f(c.try_into().expect("chunk"))).collect();
            Tensor::from_vec(shape, v)
        }
        match dtype {
            DType::F32 => de(shape, bytes, f32::from_le_bytes),
            DType::F64 => de(shape, bytes, f64::from_le_bytes),
            DType::F16 => de(shape, bytes, f16::from_le_bytes),
            DType::BF16 => de(shape, bytes, bf16::from_le_bytes),
            DType::I8 => de(shape, bytes, i8::from_le_bytes),
            DType::I16 => de(shape, bytes, i16::from_le_bytes),
            DType::I32 => de(shape, bytes, i32::from_le_bytes),
            DType::I64 => de(shape, bytes, i64::from_le_bytes),
            DType::U8 => de(shape, bytes, u8::from_le_bytes),
            DType::U16 => de(shape, bytes, u16::from_le_bytes),
            DType::U32 => de(shape, bytes, u32::from_le_bytes),
            DType::U64 => de(shape, bytes, u64::from_le_bytes),
            DType::Bool => de(shape, bytes, |[b]: [u8; 1]| b != 0),
            other => Err(format!("dtype {other} is not supported by the interpreter")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn bytes_round_trip() {
        let t = Tensor::from_vec(&[2, 2], vec![1.5f32, -2.0, 0.0, 7.25]).unwrap();
        let b = t.to_le_bytes();
        assert_eq!(Tensor::from_le_bytes(DType::F32, &[2, 2], &b).unwrap(), t);
        assert!(Tensor::from_le_bytes(DType::F32, &[2, 3], &b).is_err());
    }
}
