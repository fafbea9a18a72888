//! Literals of the text form: names and strings, exact floats, types and tensor constants.

use super::cursor::Cursor;
use super::lexer::{is_ident_char, is_name_char, Tok};
use super::PrintOptions;
use crate::{DType, Dim, IrError, Tensor, TensorType};
use half::{bf16, f16};
use std::fmt::Write;

/// Constants with at most this many elements print as a list; larger ones as hex bytes.
pub const LIST_MAX: usize = 16;

/// `"…"` with `\\`, `\"`, `\n`, `\t`, `\r` and `\u{…}` (other control characters) escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value name without its `%`: bare if it is `[A-Za-z0-9_][A-Za-z0-9_.]*`, quoted otherwise.
pub fn fmt_name(name: &str) -> String {
    let bare = name.chars().next().is_some_and(|c| c != '.' && is_name_char(c)) && name.chars().all(is_name_char);
    if bare {
        name.to_string()
    } else {
        quote(name)
    }
}

/// A word (graph name, symbolic dim): bare if it lexes as one identifier, quoted otherwise.
pub fn fmt_word(s: &str) -> String {
    let bare = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '?')
        && s.chars().all(is_ident_char);
    if bare {
        s.to_string()
    } else {
        quote(s)
    }
}

/// `f32[1,?3,batch]`; symbolic dims that are not plain words are quoted.
pub fn fmt_type(t: &TensorType) -> String {
    let dims: Vec<String> = t
        .dims
        .iter()
        .map(|d| match d {
            Dim::Static(n) => n.to_string(),
            Dim::Sym(s) => fmt_word(s),
        })
        .collect();
    format!("{}[{}]", t.dtype, dims.join(","))
}

pub fn parse_type(c: &mut Cursor) -> Result<TensorType, IrError> {
    let dtype = match c.next_tok() {
        Some(Tok::Ident(s)) => s.parse::<DType>().map_err(|e| c.err_prev(format!("bad type: {e}")))?,
        other => return Err(c.err_prev(format!("expected a type like f32[1,3], found {}", Cursor::show(other)))),
    };
    c.expect('[', "after the dtype of a type")?;
    let mut dims = Vec::new();
    c.skip_newlines();
    if !c.eat(']') {
        loop {
            c.skip_newlines();
            let d = match c.next_tok() {
                Some(Tok::Num(s)) => Dim::Static(
                    s.parse::<usize>()
                        .map_err(|_| c.err_prev(format!("bad dimension `{s}` (want a size or a name)")))?,
                ),
                Some(Tok::Ident(s)) => Dim::Sym(s),
                Some(Tok::Str(s)) => Dim::Sym(s),
                other => return Err(c.err_prev(format!("expected a dimension, found {}", Cursor::show(other)))),
            };
            dims.push(d);
            c.skip_newlines();
            if c.eat(']') {
                break;
            }
            c.expect(',', "between dimensions")?;
        }
    }
    Ok(TensorType { dtype, dims })
}

/// Float types of tensors, printed exactly: the shortest decimal that parses back to the same
/// bits, `inf`/`-inf`, `nan` for the canonical NaN and `nan(0x…)` (all bits) for any other.
pub trait Float: Copy {
    const HEX_DIGITS: usize;
    fn bits(self) -> u64;
    fn from_bits(b: u64) -> Self;
    fn nan_bits() -> u64;
    fn is_nan(self) -> bool;
    fn is_infinite(self) -> bool;
    fn is_sign_negative(self) -> bool;
    fn infinity(neg: bool) -> Self;
    /// Parse a decimal (already known not to be inf/nan).
    fn from_decimal(s: &str) -> Option<Self>;
    /// The shortest decimal that `from_decimal` maps back to `self` (finite values).
    fn shortest(self) -> String;
}

impl Float for f32 {
    const HEX_DIGITS: usize = 8;
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    fn from_bits(b: u64) -> Self {
        f32::from_bits(b as u32)
    }
    fn nan_bits() -> u64 {
        f32::NAN.to_bits() as u64
    }
    fn is_nan(self) -> bool {
        self.is_nan()
    }
    fn is_infinite(self) -> bool {
        self.is_infinite()
    }
    fn is_sign_negative(self) -> bool {
        self.is_sign_negative()
    }
    fn infinity(neg: bool) -> Self {
        if neg {
            f32::NEG_INFINITY
        } else {
            f32::INFINITY
        }
    }
    fn from_decimal(s: &str) -> Option<Self> {
        s.parse().ok()
    }
    fn shortest(self) -> String {
        // Debug formatting is the shortest round-tripping form ("1.0", "1e-7").
        format!("{self:?}")
    }
}

impl Float for f64 {
    const HEX_DIGITS: usize = 16;
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn from_bits(b: u64) -> Self {
        f64::from_bits(b)
    }
    fn nan_bits() -> u64 {
        f64::NAN.to_bits()
    }
    fn is_nan(self) -> bool {
        self.is_nan()
    }
    fn is_infinite(self) -> bool {
        self.is_infinite()
    }
    fn is_sign_negative(self) -> bool {
        self.is_sign_negative()
    }
    fn infinity(neg: bool) -> Self {
        if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }
    }
    fn from_decimal(s: &str) -> Option<Self> {
        s.parse().ok()
    }
    fn shortest(self) -> String {
        format!("{self:?}")
    }
}

/// 16-bit floats go through f64: print the fewest significant digits that map back.
macro_rules! half_float {
    ($t:ty) => {
        impl Float for $t {
            const HEX_DIGITS: usize = 4;
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
            fn from_bits(b: u64) -> Self {
                <$t>::from_bits(b as u16)
            }
            fn nan_bits() -> u64 {
                <$t>::NAN.to_bits() as u64
            }
            fn is_nan(self) -> bool {
                self.is_nan()
            }
            fn is_infinite(self) -> bool {
                self.is_infinite()
            }
            fn is_sign_negative(self) -> bool {
                self.is_sign_negative()
            }
            fn infinity(neg: bool) -> Self {
                if neg {
                    <$t>::NEG_INFINITY
                } else {
                    <$t>::INFINITY
                }
            }
            fn from_decimal(s: &str) -> Option<Self> {
                s.parse::<f64>().ok().map(<$t>::from_f64)
            }
            fn shortest(self) -> String {
                let x = self.to_f64();
                for digits in 0..17 {
                    let s = format!("{x:.digits$e}");
                    if let Ok(y) = s.parse::<f64>() {
                        if <$t>::from_f64(y).to_bits() == self.to_bits() {
                            // `y` printed in Rust's plain style ("0.1", "65504.0") parses to `y`.
                            return format!("{y:?}");
                        }
                    }
                }
                format!("{x:?}")
            }
        }
    };
}
half_float!(f16);
half_float!(bf16);

pub fn fmt_float<F: Float>(x: F) -> String {
    if x.is_nan() {
        if x.bits() == F::nan_bits() {
            "nan".to_string()
        } else {
            format!("nan(0x{:0w$x})", x.bits(), w = F::HEX_DIGITS)
        }
    } else if x.is_infinite() {
        if x.is_sign_negative() { "-inf" } else { "inf" }.to_string()
    } else {
        x.shortest()
    }
}

/// A float: decimal, `inf`, `-inf`, `nan` or `nan(0x<bits>)`.
pub fn parse_float<F: Float>(c: &mut Cursor) -> Result<F, IrError> {
    match c.next_tok() {
        Some(Tok::Ident(s)) if s == "inf" => Ok(F::infinity(false)),
        Some(Tok::Ident(s)) if s == "nan" => {
            if !c.eat('(') {
                return Ok(F::from_bits(F::nan_bits()));
            }
            let bits = match c.next_tok() {
                Some(Tok::Num(h)) => h
                    .strip_prefix("0x")
                    .filter(|h| !h.is_empty() && h.len() <= F::HEX_DIGITS)
                    .and_then(|h| u64::from_str_radix(h, 16).ok()),
                _ => None,
            };
            let bits = bits.ok_or_else(|| {
                c.err_prev(format!("expected NaN bits as nan(0x…) with at most {} hex digits", F::HEX_DIGITS))
            })?;
            c.expect(')', "after NaN bits")?;
            let x = F::from_bits(bits);
            if !x.is_nan() {
                return Err(c.err_prev(format!("nan(0x{bits:x}) is not a NaN bit pattern")));
            }
            Ok(x)
        }
        Some(Tok::Num(s)) => match s.as_str() {
            "-inf" => Ok(F::infinity(true)),
            "+inf" => Ok(F::infinity(false)),
            _ if s.contains("inf") || s.contains("nan") || s.contains("NaN") || s.contains('x') => {
                Err(c.err_prev(format!("bad float `{s}`")))
            }
            _ => F::from_decimal(&s).ok_or_else(|| c.err_prev(format!("bad float `{s}`"))),
        },
        other => Err(c.err_prev(format!("expected a float, found {}", Cursor::show(other)))),
    }
}

pub fn parse_int<T: std::str::FromStr>(c: &mut Cursor, what: &str) -> Result<T, IrError> {
    match c.next_tok() {
        Some(Tok::Num(s)) => s.parse::<T>().map_err(|_| c.err_prev(format!("bad {what} `{s}`"))),
        other => Err(c.err_prev(format!("expected {what}, found {}", Cursor::show(other)))),
    }
}

pub fn parse_bool(c: &mut Cursor) -> Result<bool, IrError> {
    match c.next_tok() {
        Some(Tok::Ident(s)) if s == "true" => Ok(true),
        Some(Tok::Ident(s)) if s == "false" => Ok(false),
        other => Err(c.err_prev(format!("expected true or false, found {}", Cursor::show(other)))),
    }
}

/// `f32[2,2] dense<[1.0, 2.0, 3.0, 4.0]>`, `u8[32] dense<0x00…>`, or `dense<...>` when elided.
pub fn fmt_tensor(t: &Tensor, opts: &PrintOptions, out: &mut String) {
    out.push_str(&fmt_type(&t.ty()));
    out.push_str(" dense<");
    let n = t.len();
    if opts.elide_above.is_some_and(|m| n > m) {
        out.push_str("...");
    } else if n <= LIST_MAX {
        out.push('[');
        fn list<T: Copy>(a: &ndarray::ArrayD<T>, out: &mut String, f: impl Fn(T) -> String) {
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&f(*x));
            }
        }
        match t {
            Tensor::F32(a) => list(a, out, fmt_float),
            Tensor::F64(a) => list(a, out, fmt_float),
            Tensor::F16(a) => list(a, out, fmt_float),
            Tensor::BF16(a) => list(a, out, fmt_float),
            Tensor::I8(a) => list(a, out, |x| x.to_string()),
            Tensor::I16(a) => list(a, out, |x| x.to_string()),
            Tensor::I32(a) => list(a, out, |x| x.to_string()),
            Tensor::I64(a) => list(a, out, |x| x.to_string()),
            Tensor::U8(a) => list(a, out, |x| x.to_string()),
            Tensor::U16(a) => list(a, out, |x| x.to_string()),
            Tensor::U32(a) => list(a, out, |x| x.to_string()),
            Tensor::U64(a) => list(a, out, |x| x.to_string()),
            Tensor::Bool(a) => list(a, out, |x| x.to_string()),
        }
        out.push(']');
    } else {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let bytes = t.to_le_bytes();
        out.reserve(2 + 2 * bytes.len());
        out.push_str("0x");
        for b in bytes {
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
    out.push('>');
}

pub fn parse_tensor(c: &mut Cursor) -> Result<Tensor, IrError> {
    let ty = parse_type(c)?;
    let shape: Vec<usize> =
        ty.static_shape().ok_or_else(|| c.err_prev(format!("constants need a static shape, got {}", fmt_type(&ty))))?;
    if !ty.dtype.is_supported() {
        return Err(c.err_prev(format!("constants of dtype {} are not supported", ty.dtype)));
    }
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| c.err_prev(format!("shape {} has too many elements", fmt_type(&ty))))?;
    match c.next_tok() {
        Some(Tok::Ident(s)) if s == "dense" => {}
        other => {
            return Err(
                c.err_prev(format!("expected `dense<…>` after the constant's type, found {}", Cursor::show(other)))
            )
        }
    }
    c.expect('<', "after `dense`")?;
    let t = match c.peek() {
        Some(Tok::Ellipsis) => {
            return Err(c.err_here(
                "this constant was printed with its data elided (`dense<...>`), which cannot be parsed; \
                 print with PrintOptions { elide_above: None }"
                    .into(),
            ))
        }
        Some(Tok::Num(h)) if h.starts_with("0x") => {
            let h = h[2..].to_string();
            c.next_tok();
            let bytes =
                decode_hex(&h).ok_or_else(|| c.err_prev("bad hex data: want an even number of hex digits".into()))?;
            if ty.dtype == DType::Bool && bytes.iter().any(|&b| b > 1) {
                return Err(c.err_prev("bad bool data: bytes must be 00 or 01".into()));
            }
            Tensor::from_le_bytes(ty.dtype, &shape, &bytes).map_err(|e| c.err_prev(e))?
        }
        _ => {
            c.expect('[', "to open the constant's element list (or use 0x… hex bytes)")?;
            let t = parse_elements(c, ty.dtype, &shape, n)?;
            c.expect(']', "to close the constant's element list")?;
            t
        }
    };
    c.expect('>', "to close `dense<…>`")?;
    Ok(t)
}

fn decode_hex(h: &str) -> Option<Vec<u8>> {
    if h.len() % 2 != 0 {
        return None;
    }
    let b = h.as_bytes();
    let digit = |x: u8| (x as char).to_digit(16);
    (0..b.len() / 2).map(|i| Some((digit(b[2 * i])? * 16 + digit(b[2 * i + 1])?) as u8)).collect()
}

/// Comma-separated elements up to (not including) `]`; exactly `n` of them.
fn parse_elements(c: &mut Cursor, dtype: DType, shape: &[usize], n: usize) -> Result<Tensor, IrError> {
    fn items<T>(c: &mut Cursor, n: usize, f: impl Fn(&mut Cursor) -> Result<T, IrError>) -> Result<Vec<T>, IrError> {
        let mut v = Vec::new();
        c.skip_newlines();
        if c.peek() == Some(&Tok::Punct(']')) {
            return check_count(c, v, n);
        }
        loop {
            c.skip_newlines();
            v.push(f(c)?);
            if v.len() > n {
                return Err(c.err_prev(format!("too many elements: the type has {n}")));
            }
            c.skip_newlines();
            if c.peek() == Some(&Tok::Punct(']')) {
                return check_count(c, v, n);
            }
            c.expect(',', "between elements")?;
        }
    }
    fn check_count<T>(c: &Cursor, v: Vec<T>, n: usize) -> Result<Vec<T>, IrError> {
        if v.len() == n {
            Ok(v)
        } else {
            Err(c.err_here(format!("the constant has {} elements but its type has {n}", v.len())))
        }
    }
    let t = match dtype {
        DType::F32 => Tensor::from_vec(shape, items(c, n, parse_float::<f32>)?),
        DType::F64 => Tensor::from_vec(shape, items(c, n, parse_float::<f64>)?),
        DType::F16 => Tensor::from_vec(shape, items(c, n, parse_float::<f16>)?),
        DType::BF16 => Tensor::from_vec(shape, items(c, n, parse_float::<bf16>)?),
        DType::I8 => Tensor::from_vec(shape, items(c, n, |c| parse_int::<i8>(c, "i8"))?),
        DType::I16 => Tensor::from_vec(shape, items(c, n, |c| parse_int::<i16>(c, "i16"))?),
        DType::I32 => Tensor::from_vec(shape, items(c, n, |c| parse_int::<i32>(c, "i32"))?),
        DType::I64 => Tensor::from_vec(shape, items(c, n, |c| parse_int::<i64>(c, "i64"))?),
        DType::U8 => Tensor::from_vec(shape, items(c, n, |c| parse_int::<u8>(c, "u8"))?),
        DType::U16 => Tensor::from_vec(shape, items(c, n, |c| parse_int::<u16>(c, "u16"))?),
        DType::U32 => Tensor::from_vec(shape, items(c, n, |c| parse_int::<u32>(c, "u32"))?),
        DType::U64 => Tensor::from_vec(shape, items(c, n, |c| parse_int::<u64>(c, "u64"))?),
        DType::Bool => Tensor::from_vec(shape, items(c, n, parse_bool)?),
        other => return Err(c.err_prev(format!("constants of dtype {other} are not supported"))),
    };
    t.map_err(|e| c.err_prev(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::lexer::lex;

    fn float_round_trip<F: Float>(x: F) -> String {
        let s = fmt_float(x);
        let toks = lex(&s).unwrap();
        let mut c = Cursor::new(&toks);
        let y: F = parse_float(&mut c).unwrap();
        assert!(c.peek().is_none(), "{s}");
        assert_eq!(y.bits(), x.bits(), "{s}");
        s
    }

    #[test]
    fn floats_print_short_and_exact() {
        assert_eq!(float_round_trip(0.1f32), "0.1");
        assert_eq!(float_round_trip(-0.0f32), "-0.0");
        assert_eq!(float_round_trip(1e-7f32), "1e-7");
        assert_eq!(float_round_trip(f32::NAN), "nan");
        assert_eq!(float_round_trip(f32::from_bits(0xffc0_0001)), "nan(0xffc00001)");
        assert_eq!(float_round_trip(f32::NEG_INFINITY), "-inf");
        assert_eq!(float_round_trip(f16::from_f32(0.1)), "0.1");
        assert_eq!(float_round_trip(f16::MAX), "65500.0");
        assert_eq!(float_round_trip(bf16::from_f32(3.0)), "3.0");
        assert_eq!(float_round_trip(f16::from_bits(0x7e01)), "nan(0x7e01)");
        assert_eq!(float_round_trip(0.30000000000000004f64), "0.30000000000000004");
        for bits in (0..=u16::MAX).step_by(7) {
            float_round_trip(f16::from_bits(bits));
            float_round_trip(bf16::from_bits(bits));
        }
        for bits in (0..=u32::MAX).step_by(999_983) {
            float_round_trip(f32::from_bits(bits));
        }
    }

    #[test]
    fn names_and_words() {
        assert_eq!(fmt_name("x.1"), "x.1");
        assert_eq!(fmt_name("12"), "12");
        assert_eq!(fmt_name("onnx::MatMul_12"), "\"onnx::MatMul_12\"");
        assert_eq!(fmt_name(""), "\"\"");
        assert_eq!(fmt_name(".a"), "\".a\"");
        assert_eq!(fmt_word("?3"), "?3");
        assert_eq!(fmt_word("3"), "\"3\"");
        assert_eq!(fmt_word("max(a,b)"), "\"max(a,b)\"");
        assert_eq!(quote("a\"\\\n\u{1}é"), "\"a\\\"\\\\\\n\\u{1}é\"");
    }

    #[test]
    fn tensors() {
        let t = Tensor::from_vec(&[2], vec![1.5f32, f32::NAN]).unwrap();
        let mut s = String::new();
        fmt_tensor(&t, &PrintOptions::default(), &mut s);
        assert_eq!(s, "f32[2] dense<[1.5, nan]>");
        let big = Tensor::from_vec(&[17], vec![1u8; 17]).unwrap();
        let mut s = String::new();
        fmt_tensor(&big, &PrintOptions::default(), &mut s);
        assert_eq!(s, format!("u8[17] dense<0x{}>", "01".repeat(17)));
        let toks = lex(&s).unwrap();
        assert_eq!(parse_tensor(&mut Cursor::new(&toks)).unwrap(), big);
        let toks = lex("f32[3] dense<[1, 2]>").unwrap();
        assert!(parse_tensor(&mut Cursor::new(&toks)).unwrap_err().to_string().contains("2 elements"));
        let toks = lex("f32[3] dense<...>").unwrap();
        assert!(parse_tensor(&mut Cursor::new(&toks)).unwrap_err().to_string().contains("elided"));
    }
}
