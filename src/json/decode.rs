//! D-Bus wire format -> JSON, driven by the signature. The input comes from untrusted peers:
//! every read is bounds checked, every rule of the wire format is validated, nesting is bounded,
//! and nothing panics.

use std::collections::HashSet;

use serde_json::ser::{CompactFormatter, Formatter};

use super::DecodeOptions;
use super::fds::ReceivedFds;
use super::sink::Sink;
use crate::error::{Error, Kind, Result};
use crate::signature::{
    Depth, MAX_ARRAY_LEN, MAX_MESSAGE_LEN, Type, is_valid_object_path, parse_signature,
    parse_single,
};

pub(crate) fn decode_body<S: Sink>(
    sig: &str,
    body: &[u8],
    big_endian: bool,
    opts: DecodeOptions,
    fds: &mut ReceivedFds<'_>,
    sink: &mut S,
) -> Result<()> {
    let types = parse_signature(sig)?;
    if body.len() > MAX_MESSAGE_LEN {
        return Err(Error::limit(format!(
            "message body of {} bytes exceeds the D-Bus maximum of {MAX_MESSAGE_LEN}",
            body.len()
        )));
    }
    let mut r = Reader {
        b: body,
        pos: 0,
        end: body.len(),
        big: big_endian,
        opts,
        fds,
        sink,
        keys: Vec::new(),
        scratch: Vec::new(),
    };
    r.sink.begin_array(types.len());
    for (i, t) in types.iter().enumerate() {
        r.value(t, Depth::default())
            .map_err(|e| e.context(format_args!("arg {i}")))?;
    }
    if r.pos != body.len() {
        return Err(Error::invalid_message(format!(
            "{} trailing bytes after the last argument of signature '{sig}'",
            body.len() - r.pos
        )));
    }
    r.sink.end_array();
    Ok(())
}

/// Identity of a dict key, for duplicate detection: the raw bytes of a string key, or the value
/// bits of a fixed-size key (NaN canonicalised, since every NaN prints as `"NaN"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum KeyId<'a> {
    Bytes(&'a [u8]),
    Num(u64),
}

/// Dicts with more keys than this switch from a linear scan to a hash set. Up to 32 the scan is
/// the cheaper (an `a{sv}` of 20 entries: about 5k instructions less per dict than the set).
const LINEAR_KEYS: usize = 32;

struct Reader<'a, 's, 'f, S: Sink> {
    b: &'a [u8],
    pos: usize,
    /// Reads may not go past this offset (the end of the enclosing array, or of the body).
    end: usize,
    big: bool,
    opts: DecodeOptions,
    /// Where `h` values become descriptor numbers.
    fds: &'s mut ReceivedFds<'f>,
    sink: &'s mut S,
    /// Keys of the dicts being read, innermost last.
    keys: Vec<KeyId<'a>>,
    scratch: Vec<u8>,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::invalid_message(msg)
}

impl<'a, S: Sink> Reader<'a, '_, '_, S> {
    fn truncated(&self, what: &str) -> Error {
        bad(format!(
            "truncated body: {what} at offset {} runs past the end of {}",
            self.pos,
            if self.end == self.b.len() {
                "the body"
            } else {
                "its array"
            }
        ))
    }

    #[inline]
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let b: &'a [u8] = self.b;
        let s = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.end)
            .and_then(|e| b.get(self.pos..e))
            .ok_or_else(|| self.truncated(what))?;
        self.pos += n;
        Ok(s)
    }

    #[inline]
    fn align(&mut self, a: usize) -> Result<()> {
        let rem = self.pos % a;
        if rem != 0 {
            let pad = self.take(a - rem, "padding")?;
            if pad.iter().any(|&x| x != 0) {
                return Err(bad(format!(
                    "non-zero padding byte before offset {}",
                    self.pos
                )));
            }
        }
        Ok(())
    }

    #[inline]
    fn fixed<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        self.align(N)?;
        self.sink.wire_scalar(self.pos, N);
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    #[inline]
    fn u16(&mut self) -> Result<u16> {
        let a = self.fixed::<2>("16-bit integer")?;
        Ok(if self.big {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    }

    #[inline]
    fn u32(&mut self, what: &str) -> Result<u32> {
        let a = self.fixed::<4>(what)?;
        Ok(if self.big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }

    #[inline]
    fn u64(&mut self) -> Result<u64> {
        let a = self.fixed::<8>("64-bit value")?;
        Ok(if self.big {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        })
    }

    fn bool(&mut self) -> Result<bool> {
        match self.u32("boolean")? {
            0 => Ok(false),
            1 => Ok(true),
            n => Err(bad(format!(
                "boolean at offset {} is {n}, not 0 or 1",
                self.pos - 4
            ))),
        }
    }

    /// The text of a string after its length, checking the NUL terminator, that there is no
    /// interior NUL, and UTF-8.
    fn text(&mut self, len: usize, what: &str) -> Result<&'a str> {
        let start = self.pos;
        let with_nul = self.take(len.saturating_add(1), what)?;
        let (bytes, nul) = with_nul.split_at(len);
        if nul != [0] {
            return Err(bad(format!(
                "{what} at offset {start} is not NUL-terminated"
            )));
        }
        if bytes.contains(&0) {
            return Err(bad(format!("{what} at offset {start} contains a NUL byte")));
        }
        std::str::from_utf8(bytes)
            .map_err(|e| bad(format!("{what} at offset {start} is not valid UTF-8: {e}")))
    }

    fn string(&mut self, what: &str) -> Result<&'a str> {
        let len = self.u32(what)? as usize;
        self.text(len, what)
    }

    fn signature(&mut self) -> Result<&'a str> {
        let len = usize::from(self.take(1, "signature")?.first().copied().unwrap_or(0));
        self.text(len, "signature")
    }

    fn object_path(&mut self) -> Result<&'a str> {
        let start = self.pos;
        let s = self.string("object path")?;
        if !is_valid_object_path(s) {
            return Err(bad(format!(
                "invalid object path {} at offset {start}",
                serde_json::Value::from(s)
            )));
        }
        Ok(s)
    }

    fn signature_value(&mut self) -> Result<&'a str> {
        let start = self.pos;
        let s = self.signature()?;
        parse_signature(s).map_err(|e| {
            bad(format!(
                "invalid signature value at offset {start}: {}",
                e.message
            ))
        })?;
        Ok(s)
    }

    fn value(&mut self, t: &Type, depth: Depth) -> Result<()> {
        match t {
            Type::Byte => {
                let b = self.take(1, "byte")?.first().copied().unwrap_or(0);
                self.sink.uint(u64::from(b));
            }
            Type::Bool => {
                let b = self.bool()?;
                self.sink.boolean(b);
            }
            Type::Int16 => {
                let v = self.u16()? as i16;
                self.sink.int(i64::from(v));
            }
            Type::UInt16 => {
                let v = self.u16()?;
                self.sink.uint(u64::from(v));
            }
            Type::Int32 => {
                let v = self.u32("int32")? as i32;
                self.sink.int(i64::from(v));
            }
            Type::UInt32 => {
                let v = self.u32("uint32")?;
                self.sink.uint(u64::from(v));
            }
            Type::Int64 => {
                let v = self.u64()? as i64;
                self.sink.int(v);
            }
            Type::UInt64 => {
                let v = self.u64()?;
                self.sink.uint(v);
            }
            Type::Double => {
                let v = f64::from_bits(self.u64()?);
                self.sink.double(v);
            }
            Type::String => {
                let s = self.string("string")?;
                self.sink.string(s);
            }
            Type::ObjectPath => {
                let s = self.object_path()?;
                self.sink.string(s);
            }
            Type::Signature => {
                let s = self.signature_value()?;
                self.sink.string(s);
            }
            Type::UnixFd => {
                let index = self.u32("unix fd index")?;
                let n = self.fds.take(index)?;
                self.sink.fd(n);
            }
            Type::Variant => self.variant(depth)?,
            Type::Array(elem) => self.array(elem, depth)?,
            Type::Dict(k, v) => self.dict(k, v, depth)?,
            Type::Struct(fields) => {
                let d = depth.enter_struct()?;
                self.align(8)?;
                self.sink.begin_array(fields.len());
                for f in fields {
                    self.value(f, d)?;
                }
                self.sink.end_array();
            }
        }
        Ok(())
    }

    fn variant(&mut self, depth: Depth) -> Result<()> {
        let d = depth.enter_variant()?;
        let start = self.pos;
        let sig = self.signature()?;
        let inner = parse_single(sig).map_err(|e| {
            let msg = format!("variant signature at offset {start}: {}", e.message);
            if e.kind == Kind::LimitExceeded {
                Error::limit(msg)
            } else {
                bad(msg)
            }
        })?;
        if self.opts.typed_variants {
            self.sink.begin_object();
            self.sink.key("type");
            self.sink.string(sig);
            self.sink.key("data");
            self.value(&inner, d)?;
            self.sink.end_object();
        } else {
            self.value(&inner, d)?;
        }
        Ok(())
    }

    /// Reads an array's length and padding; returns the end offset of its data.
    fn array_header(&mut self, elem_align: usize) -> Result<usize> {
        let at = self.pos;
        let len = self.u32("array length")? as usize;
        if len > MAX_ARRAY_LEN {
            return Err(Error::limit(format!(
                "array at offset {at} claims {len} bytes, the D-Bus maximum is {MAX_ARRAY_LEN}"
            )));
        }
        self.align(elem_align)?;
        let end = self.pos + len;
        if end > self.end {
            return Err(self.truncated("array"));
        }
        Ok(end)
    }

    fn array(&mut self, elem: &Type, depth: Depth) -> Result<()> {
        let d = depth.enter_array()?;
        let end = self.array_header(elem.alignment())?;
        if let Some(size) = elem.fixed_size()
            && !matches!(elem, Type::UnixFd)
        {
            return self.fixed_array(elem, size, end);
        }
        let outer_end = std::mem::replace(&mut self.end, end);
        self.sink.begin_array(0);
        while self.pos < end {
            self.value(elem, d)?;
        }
        self.sink.end_array();
        self.end = outer_end;
        Ok(())
    }

    /// Arrays of fixed-size types: a direct loop over the data.
    fn fixed_array(&mut self, elem: &Type, size: usize, end: usize) -> Result<()> {
        let start = self.pos;
        let data = self.take(end - start, "array")?;
        if data.len() % size != 0 {
            return Err(bad(format!(
                "array of {} at offset {start} has {} bytes, not a multiple of {size}",
                elem.signature(),
                data.len()
            )));
        }
        self.sink.wire_array(start, data.len(), size);
        let big = self.big;
        if self.opts.arrays_base64 && !matches!(elem, Type::Byte | Type::Bool) {
            if big {
                let mut le = data.to_vec();
                for c in le.chunks_exact_mut(size) {
                    c.reverse();
                }
                self.sink.base64(&le);
            } else {
                self.sink.base64(data);
            }
            return Ok(());
        }
        macro_rules! each {
            ($n:literal, $conv:expr) => {{
                self.sink.begin_array(data.len() / $n);
                self.sink.reserve(data.len() / $n * 12);
                for c in data.chunks_exact($n) {
                    let mut a = [0u8; $n];
                    a.copy_from_slice(c);
                    #[allow(clippy::redundant_closure_call)]
                    ($conv)(&mut *self.sink, a, big)?;
                }
                self.sink.end_array();
            }};
        }
        match elem {
            Type::Byte => {
                if self.opts.bytes_base64 {
                    self.sink.base64(data);
                } else {
                    self.sink.byte_array(data);
                }
            }
            Type::Int16 => each!(2, |s: &mut S, a, big| -> Result<()> {
                s.int(i64::from(if big {
                    i16::from_be_bytes(a)
                } else {
                    i16::from_le_bytes(a)
                }));
                Ok(())
            }),
            Type::UInt16 => each!(2, |s: &mut S, a, big| -> Result<()> {
                s.uint(u64::from(if big {
                    u16::from_be_bytes(a)
                } else {
                    u16::from_le_bytes(a)
                }));
                Ok(())
            }),
            Type::Int32 => each!(4, |s: &mut S, a, big| -> Result<()> {
                s.int(i64::from(if big {
                    i32::from_be_bytes(a)
                } else {
                    i32::from_le_bytes(a)
                }));
                Ok(())
            }),
            Type::UInt32 => each!(4, |s: &mut S, a, big| -> Result<()> {
                s.uint(u64::from(if big {
                    u32::from_be_bytes(a)
                } else {
                    u32::from_le_bytes(a)
                }));
                Ok(())
            }),
            Type::Bool => each!(4, |s: &mut S, a, big| -> Result<()> {
                match if big {
                    u32::from_be_bytes(a)
                } else {
                    u32::from_le_bytes(a)
                } {
                    0 => s.boolean(false),
                    1 => s.boolean(true),
                    n => {
                        return Err(bad(format!(
                            "boolean in array at offset {start} is {n}, not 0 or 1"
                        )));
                    }
                }
                Ok(())
            }),
            Type::Int64 => each!(8, |s: &mut S, a, big| -> Result<()> {
                s.int(if big {
                    i64::from_be_bytes(a)
                } else {
                    i64::from_le_bytes(a)
                });
                Ok(())
            }),
            Type::UInt64 => each!(8, |s: &mut S, a, big| -> Result<()> {
                s.uint(if big {
                    u64::from_be_bytes(a)
                } else {
                    u64::from_le_bytes(a)
                });
                Ok(())
            }),
            Type::Double => each!(8, |s: &mut S, a, big| -> Result<()> {
                s.double(f64::from_bits(if big {
                    u64::from_be_bytes(a)
                } else {
                    u64::from_le_bytes(a)
                }));
                Ok(())
            }),
            _ => return Err(bad("internal error: no direct loop for this array type")),
        }
        Ok(())
    }

    fn dict(&mut self, kt: &Type, vt: &Type, depth: Depth) -> Result<()> {
        let d = depth.enter_array()?.enter_struct()?;
        let end = self.array_header(8)?;
        let outer_end = std::mem::replace(&mut self.end, end);
        let base = self.keys.len();
        let mut set: Option<HashSet<KeyId<'a>>> = None;
        self.sink.begin_object();
        while self.pos < end {
            self.align(8)?;
            let at = self.pos;
            let id = self.key(kt)?;
            let dup = match set.as_mut() {
                Some(set) => !set.insert(id),
                None => {
                    let dup = self.keys.get(base..).is_some_and(|k| k.contains(&id));
                    self.keys.push(id);
                    if self.keys.len() - base > LINEAR_KEYS {
                        set = Some(self.keys.drain(base..).collect());
                    }
                    dup
                }
            };
            if dup {
                return Err(bad(format!(
                    "duplicate dict key {} at offset {at}",
                    serde_json::Value::from(self.key_text())
                )));
            }
            match (kt, id) {
                (Type::Bool, KeyId::Num(b)) => self.sink.bool_key(b != 0),
                _ => self
                    .sink
                    .key(std::str::from_utf8(&self.scratch).unwrap_or("")),
            }
            self.value(vt, d)?;
        }
        self.sink.end_object();
        self.keys.truncate(base);
        self.end = outer_end;
        Ok(())
    }

    fn key_text(&self) -> &str {
        std::str::from_utf8(&self.scratch).unwrap_or("")
    }

    /// Reads a dict key, leaving its JSON key text in `scratch`.
    fn key(&mut self, kt: &Type) -> Result<KeyId<'a>> {
        self.scratch.clear();
        let f = &mut CompactFormatter;
        let id = match kt {
            Type::String | Type::ObjectPath | Type::Signature => {
                let s = match kt {
                    Type::String => self.string("string")?,
                    Type::ObjectPath => self.object_path()?,
                    _ => self.signature_value()?,
                };
                self.scratch.extend_from_slice(s.as_bytes());
                return Ok(KeyId::Bytes(s.as_bytes()));
            }
            Type::Bool => {
                let b = self.bool()?;
                self.scratch
                    .extend_from_slice(if b { b"true" } else { b"false" });
                u64::from(b)
            }
            Type::Byte => {
                let b = self.take(1, "byte")?.first().copied().unwrap_or(0);
                let _ = f.write_u8(&mut self.scratch, b);
                u64::from(b)
            }
            Type::Int16 => {
                let v = self.u16()?;
                let _ = f.write_i16(&mut self.scratch, v as i16);
                u64::from(v)
            }
            Type::UInt16 => {
                let v = self.u16()?;
                let _ = f.write_u16(&mut self.scratch, v);
                u64::from(v)
            }
            Type::Int32 => {
                let v = self.u32("int32")?;
                let _ = f.write_i32(&mut self.scratch, v as i32);
                u64::from(v)
            }
            Type::UInt32 => {
                let v = self.u32("uint32")?;
                let _ = f.write_u32(&mut self.scratch, v);
                u64::from(v)
            }
            Type::Int64 => {
                let v = self.u64()?;
                let _ = f.write_i64(&mut self.scratch, v as i64);
                v
            }
            Type::UInt64 => {
                let v = self.u64()?;
                let _ = f.write_u64(&mut self.scratch, v);
                v
            }
            Type::Double => {
                let v = f64::from_bits(self.u64()?);
                if v.is_nan() {
                    self.scratch.extend_from_slice(b"NaN");
                    f64::NAN.to_bits()
                } else if v.is_infinite() {
                    self.scratch.extend_from_slice(if v > 0.0 {
                        b"Infinity".as_slice()
                    } else {
                        b"-Infinity".as_slice()
                    });
                    v.to_bits()
                } else {
                    let _ = f.write_f64(&mut self.scratch, v);
                    v.to_bits()
                }
            }
            Type::UnixFd => {
                return Err(Error::not_supported(
                    "dict keys of type unix fd 'h' are not supported",
                ));
            }
            // The signature parser only allows basic key types.
            _ => return Err(bad("dict key of a container type")),
        };
        Ok(KeyId::Num(id))
    }
}
