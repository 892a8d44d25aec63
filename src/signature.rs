//! D-Bus type signatures: parsed into [`Type`] trees and checked against the limits of the
//! D-Bus specification.
//!
//! Limits enforced (the same as libdbus and zbus):
//! - a signature is at most [`MAX_SIGNATURE_LEN`] (255) bytes;
//! - at most [`MAX_ARRAY_DEPTH`] (32) nested arrays and [`MAX_STRUCT_DEPTH`] (32) nested structs,
//!   where a dict entry counts as a struct (so `a{sv}` is one array and one struct deep);
//! - at most [`MAX_TOTAL_DEPTH`] (64) nested containers in a value, counting variants as well.
//!   The last limit can only be exceeded at run time, through variants; the codec checks it with
//!   [`Depth`].
//!
//! Exceeding a limit is a [`Kind::LimitExceeded`](crate::error::Kind::LimitExceeded) error; any
//! other problem is [`Kind::InvalidSignature`](crate::error::Kind::InvalidSignature).

use std::fmt;

use crate::error::{Error, Result};

pub use crate::limits::{
    MAX_ARRAY_DEPTH, MAX_ARRAY_LEN, MAX_MESSAGE_LEN, MAX_SIGNATURE_LEN, MAX_STRUCT_DEPTH,
    MAX_TOTAL_DEPTH,
};

/// One complete D-Bus type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    Byte,
    Bool,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Double,
    String,
    ObjectPath,
    Signature,
    UnixFd,
    Variant,
    /// `aT` (never `a{..}`: that is [`Type::Dict`]).
    Array(Box<Type>),
    /// `a{KV}`: the key is always a basic type.
    Dict(Box<Type>, Box<Type>),
    /// `(T...)`, at least one field.
    Struct(Vec<Type>),
}

impl Type {
    /// The signature of this type, e.g. `a{sv}`.
    pub fn signature(&self) -> String {
        let mut s = String::new();
        self.write_signature(&mut s);
        s
    }

    /// Appends the signature of this type to `out`.
    pub fn write_signature(&self, out: &mut String) {
        match self {
            Type::Array(t) => {
                out.push('a');
                t.write_signature(out);
            }
            Type::Dict(k, v) => {
                out.push_str("a{");
                k.write_signature(out);
                v.write_signature(out);
                out.push('}');
            }
            Type::Struct(fields) => {
                out.push('(');
                for f in fields {
                    f.write_signature(out);
                }
                out.push(')');
            }
            basic => out.push(basic.code().map_or('?', char::from)),
        }
    }

    /// The type code of a non-container type, e.g. `b'i'` for `Int32`.
    pub fn code(&self) -> Option<u8> {
        Some(match self {
            Type::Byte => b'y',
            Type::Bool => b'b',
            Type::Int16 => b'n',
            Type::UInt16 => b'q',
            Type::Int32 => b'i',
            Type::UInt32 => b'u',
            Type::Int64 => b'x',
            Type::UInt64 => b't',
            Type::Double => b'd',
            Type::String => b's',
            Type::ObjectPath => b'o',
            Type::Signature => b'g',
            Type::UnixFd => b'h',
            Type::Variant => b'v',
            Type::Array(_) | Type::Dict(..) | Type::Struct(_) => return None,
        })
    }

    /// The alignment of this type on the wire, in bytes.
    pub fn alignment(&self) -> usize {
        match self {
            Type::Byte | Type::Signature | Type::Variant => 1,
            Type::Int16 | Type::UInt16 => 2,
            Type::Bool
            | Type::Int32
            | Type::UInt32
            | Type::UnixFd
            | Type::String
            | Type::ObjectPath
            | Type::Array(_)
            | Type::Dict(..) => 4,
            Type::Int64 | Type::UInt64 | Type::Double | Type::Struct(_) => 8,
        }
    }

    /// Whether this is a basic type (usable as a dict key).
    pub fn is_basic(&self) -> bool {
        !matches!(
            self,
            Type::Variant | Type::Array(_) | Type::Dict(..) | Type::Struct(_)
        )
    }

    /// Whether this is one of the integer types `y n q i u x t`.
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            Type::Byte
                | Type::Int16
                | Type::UInt16
                | Type::Int32
                | Type::UInt32
                | Type::Int64
                | Type::UInt64
        )
    }

    /// The wire size of a fixed-size basic type (`y b n q i u x t d h`), `None` for the others.
    pub fn fixed_size(&self) -> Option<usize> {
        match self {
            Type::Byte => Some(1),
            Type::Int16 | Type::UInt16 => Some(2),
            Type::Bool | Type::Int32 | Type::UInt32 | Type::UnixFd => Some(4),
            Type::Int64 | Type::UInt64 | Type::Double => Some(8),
            _ => None,
        }
    }

    /// A short human name of the kind of type, for error messages: `uint32`, `array`, `dict`...
    pub fn name(&self) -> &'static str {
        match self {
            Type::Byte => "byte",
            Type::Bool => "boolean",
            Type::Int16 => "int16",
            Type::UInt16 => "uint16",
            Type::Int32 => "int32",
            Type::UInt32 => "uint32",
            Type::Int64 => "int64",
            Type::UInt64 => "uint64",
            Type::Double => "double",
            Type::String => "string",
            Type::ObjectPath => "object path",
            Type::Signature => "signature",
            Type::UnixFd => "unix fd",
            Type::Variant => "variant",
            Type::Array(_) => "array",
            Type::Dict(..) => "dict",
            Type::Struct(_) => "struct",
        }
    }

    /// The inclusive value range of an integer type.
    pub fn int_range(&self) -> Option<(i128, i128)> {
        Some(match self {
            Type::Byte => (0, u8::MAX as i128),
            Type::Int16 => (i16::MIN as i128, i16::MAX as i128),
            Type::UInt16 => (0, u16::MAX as i128),
            Type::Int32 => (i32::MIN as i128, i32::MAX as i128),
            Type::UInt32 => (0, u32::MAX as i128),
            Type::Int64 => (i64::MIN as i128, i64::MAX as i128),
            Type::UInt64 => (0, u64::MAX as i128),
            _ => return None,
        })
    }

    /// Whether the signature of this type fits in [`MAX_SIGNATURE_LEN`] bytes and, on its own,
    /// within the nesting limits. Types built by hand (e.g. by inference) may not.
    pub fn signature_len(&self) -> usize {
        match self {
            Type::Array(t) => 1 + t.signature_len(),
            Type::Dict(k, v) => 3 + k.signature_len() + v.signature_len(),
            Type::Struct(f) => 2 + f.iter().map(Type::signature_len).sum::<usize>(),
            _ => 1,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.signature())
    }
}

/// The concatenated signature of a list of types (a message body signature).
pub fn signature_of(types: &[Type]) -> String {
    let mut s = String::new();
    for t in types {
        t.write_signature(&mut s);
    }
    s
}

/// Nesting depth of a value being encoded or decoded. Every container entered (array, struct,
/// dict entry, variant) goes through one of the `enter_*` methods, which fail with
/// `LimitExceeded` beyond the D-Bus limits. Arrays and structs are counted across variants (as
/// zbus does), so a value accepted here is accepted by zbus and libdbus peers alike.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Depth {
    pub arrays: u8,
    pub structs: u8,
    pub total: u8,
}

impl Depth {
    fn total_plus_one(self) -> Result<u8> {
        if self.total >= MAX_TOTAL_DEPTH {
            return Err(Error::limit(format!(
                "value nested deeper than {MAX_TOTAL_DEPTH} containers"
            )));
        }
        Ok(self.total + 1)
    }

    /// Enters an array (or the array part of a dict).
    pub fn enter_array(self) -> Result<Depth> {
        if self.arrays >= MAX_ARRAY_DEPTH {
            return Err(Error::limit(format!(
                "more than {MAX_ARRAY_DEPTH} nested arrays"
            )));
        }
        Ok(Depth {
            arrays: self.arrays + 1,
            total: self.total_plus_one()?,
            ..self
        })
    }

    /// Enters a struct or a dict entry.
    pub fn enter_struct(self) -> Result<Depth> {
        if self.structs >= MAX_STRUCT_DEPTH {
            return Err(Error::limit(format!(
                "more than {MAX_STRUCT_DEPTH} nested structs or dict entries"
            )));
        }
        Ok(Depth {
            structs: self.structs + 1,
            total: self.total_plus_one()?,
            ..self
        })
    }

    /// Enters a variant.
    pub fn enter_variant(self) -> Result<Depth> {
        Ok(Depth {
            total: self.total_plus_one()?,
            ..self
        })
    }
}

struct Parser<'a> {
    sig: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> Error {
        Error::invalid_signature(format!(
            "invalid signature \"{}\": {what} at position {}",
            self.sig.escape_debug(),
            self.pos
        ))
    }

    fn complete_type(&mut self, arrays: u8, structs: u8) -> Result<Type> {
        let Some(&c) = self.bytes.get(self.pos) else {
            return Err(self.err("incomplete type"));
        };
        self.pos += 1;
        Ok(match c {
            b'y' => Type::Byte,
            b'b' => Type::Bool,
            b'n' => Type::Int16,
            b'q' => Type::UInt16,
            b'i' => Type::Int32,
            b'u' => Type::UInt32,
            b'x' => Type::Int64,
            b't' => Type::UInt64,
            b'd' => Type::Double,
            b's' => Type::String,
            b'o' => Type::ObjectPath,
            b'g' => Type::Signature,
            b'h' => Type::UnixFd,
            b'v' => Type::Variant,
            b'a' => {
                if arrays >= MAX_ARRAY_DEPTH {
                    return Err(Error::limit(format!(
                        "signature \"{}\" nests more than {MAX_ARRAY_DEPTH} arrays",
                        self.sig.escape_debug()
                    )));
                }
                if self.bytes.get(self.pos) == Some(&b'{') {
                    if structs >= MAX_STRUCT_DEPTH {
                        return Err(self.struct_limit());
                    }
                    self.pos += 1;
                    let key = self.complete_type(arrays + 1, structs + 1)?;
                    if !key.is_basic() {
                        self.pos -= 1;
                        return Err(self.err("dict key must be a basic type"));
                    }
                    let value = self.complete_type(arrays + 1, structs + 1)?;
                    if self.bytes.get(self.pos) != Some(&b'}') {
                        return Err(
                            self.err("dict entry must have exactly two types and end with '}'")
                        );
                    }
                    self.pos += 1;
                    Type::Dict(Box::new(key), Box::new(value))
                } else {
                    Type::Array(Box::new(self.complete_type(arrays + 1, structs)?))
                }
            }
            b'(' => {
                if structs >= MAX_STRUCT_DEPTH {
                    return Err(self.struct_limit());
                }
                let mut fields = Vec::new();
                loop {
                    match self.bytes.get(self.pos) {
                        Some(b')') => {
                            self.pos += 1;
                            break;
                        }
                        Some(_) => fields.push(self.complete_type(arrays, structs + 1)?),
                        None => return Err(self.err("unclosed struct")),
                    }
                }
                if fields.is_empty() {
                    self.pos -= 1;
                    return Err(self.err("empty struct"));
                }
                Type::Struct(fields)
            }
            b'{' => {
                self.pos -= 1;
                return Err(self.err("dict entry outside an array"));
            }
            b')' | b'}' => {
                self.pos -= 1;
                return Err(self.err("unexpected closing bracket"));
            }
            _ => {
                self.pos -= 1;
                return Err(self.err("unknown type code"));
            }
        })
    }

    fn struct_limit(&self) -> Error {
        Error::limit(format!(
            "signature \"{}\" nests more than {MAX_STRUCT_DEPTH} structs or dict entries",
            self.sig.escape_debug()
        ))
    }
}

fn parser(sig: &str) -> Result<Parser<'_>> {
    if sig.len() > MAX_SIGNATURE_LEN {
        return Err(Error::limit(format!(
            "signature is {} bytes long, the maximum is {MAX_SIGNATURE_LEN}",
            sig.len()
        )));
    }
    Ok(Parser {
        sig,
        bytes: sig.as_bytes(),
        pos: 0,
    })
}

/// Parses a body signature: zero or more complete types (`""` gives an empty list, `"si"` two
/// types, `"(si)"` one struct).
pub fn parse_signature(sig: &str) -> Result<Vec<Type>> {
    let mut p = parser(sig)?;
    let mut types = Vec::new();
    while p.pos < p.bytes.len() {
        types.push(p.complete_type(0, 0)?);
    }
    Ok(types)
}

/// Parses exactly one complete type (as in a variant's signature).
pub fn parse_single(sig: &str) -> Result<Type> {
    let mut p = parser(sig)?;
    if sig.is_empty() {
        return Err(p.err("empty signature where one complete type is required"));
    }
    let t = p.complete_type(0, 0)?;
    if p.pos != p.bytes.len() {
        return Err(p.err("more than one complete type"));
    }
    Ok(t)
}

/// Whether `s` is a valid signature (zero or more complete types, within the limits).
pub fn is_valid_signature(s: &str) -> bool {
    parse_signature(s).is_ok()
}

/// Whether `s` is a valid object path: `/`, or `/`-separated non-empty elements of
/// `[A-Za-z0-9_]` with no trailing slash.
pub fn is_valid_object_path(s: &str) -> bool {
    let b = s.as_bytes();
    if b == b"/" {
        return true;
    }
    if b.first() != Some(&b'/') || b.last() == Some(&b'/') {
        return false;
    }
    let mut prev_slash = false;
    for &c in b {
        if c == b'/' {
            if prev_slash {
                return false;
            }
            prev_slash = true;
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            prev_slash = false;
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    #[test]
    fn parses_and_prints() {
        for s in [
            "",
            "s",
            "si",
            "(si)",
            "a{sv}",
            "aa{s(iv)}",
            "a(yx)",
            "ybnqiuxtdsoghv",
            "a{ya{sv}}",
        ] {
            let types = parse_signature(s).unwrap();
            assert_eq!(signature_of(&types), s);
        }
        assert_eq!(parse_signature("si").unwrap().len(), 2);
        assert_eq!(parse_signature("(si)").unwrap().len(), 1);
        assert_eq!(
            parse_single("a{sv}").unwrap(),
            Type::Dict(Box::new(Type::String), Box::new(Type::Variant))
        );
    }

    #[test]
    fn rejects_invalid() {
        for s in [
            "a", "(", ")", "()", "{sv}", "a{vs}", "a{s}", "a{svs}", "a{(s)v}", "m", "(s", "z",
            "a{", "a{s", "aa", "\0",
        ] {
            let e = parse_signature(s).unwrap_err();
            assert_eq!(e.kind, Kind::InvalidSignature, "{s}: {e}");
        }
        assert_eq!(parse_single("").unwrap_err().kind, Kind::InvalidSignature);
        assert_eq!(parse_single("si").unwrap_err().kind, Kind::InvalidSignature);
    }

    #[test]
    fn limits() {
        let ok = format!("{}y", "a".repeat(32));
        assert!(parse_single(&ok).is_ok());
        let bad = format!("{}y", "a".repeat(33));
        assert_eq!(parse_single(&bad).unwrap_err().kind, Kind::LimitExceeded);
        let ok = format!("{}y{}", "(".repeat(32), ")".repeat(32));
        assert!(parse_single(&ok).is_ok());
        let bad = format!("{}y{}", "(".repeat(33), ")".repeat(33));
        assert_eq!(parse_single(&bad).unwrap_err().kind, Kind::LimitExceeded);
        // dict entries count as structs
        let bad = format!("{}{}", "a{s".repeat(33), "}".repeat(33));
        assert_eq!(parse_single(&bad).unwrap_err().kind, Kind::LimitExceeded);
        let long = "y".repeat(256);
        assert_eq!(
            parse_signature(&long).unwrap_err().kind,
            Kind::LimitExceeded
        );
        assert!(parse_signature(&"y".repeat(255)).is_ok());
    }

    #[test]
    fn depth_counts_variants() {
        let mut d = Depth::default();
        for _ in 0..64 {
            d = d.enter_variant().unwrap();
        }
        assert_eq!(d.enter_variant().unwrap_err().kind, Kind::LimitExceeded);
        let mut d = Depth::default();
        for _ in 0..32 {
            d = d.enter_array().unwrap();
        }
        assert_eq!(d.enter_array().unwrap_err().kind, Kind::LimitExceeded);
    }

    #[test]
    fn object_paths() {
        for p in ["/", "/a", "/a/b_c/D9"] {
            assert!(is_valid_object_path(p), "{p}");
        }
        for p in ["", "a", "/a/", "//", "/a//b", "/a-b", "/ä"] {
            assert!(!is_valid_object_path(p), "{p}");
        }
    }
}
