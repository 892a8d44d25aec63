//! JSON -> D-Bus wire format (little endian), driven by the signature.

use std::collections::HashSet;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::{Body, EncodeOptions, PResult, PathError, Seg, as_typed, describe, infer, type_desc};
use crate::error::{Error, Result};
use crate::signature::{
    Depth, MAX_ARRAY_LEN, MAX_MESSAGE_LEN, MAX_SIGNATURE_LEN, Type, is_valid_object_path,
    parse_signature, parse_single, signature_of,
};

pub(crate) fn encode_body(sig: &[Type], args: &[Value], opts: EncodeOptions) -> Result<Body> {
    encode_body_into(sig, args, opts, Vec::with_capacity(64))
}

/// Like [`encode_body`], appending the body to `buf`, whose length must be a multiple of 8 (a
/// message header): alignment inside the body is the same as from offset 0.
pub(crate) fn encode_body_into(
    sig: &[Type],
    args: &[Value],
    opts: EncodeOptions,
    buf: Vec<u8>,
) -> Result<Body> {
    if sig.len() != args.len() {
        return Err(Error::type_mismatch(format!(
            "signature '{}' takes {} argument{}, got {}",
            signature_of(sig),
            sig.len(),
            if sig.len() == 1 { "" } else { "s" },
            args.len()
        )));
    }
    encode_each(sig, opts, buf, |enc, i, t| {
        enc.value(t, &args[i], Depth::default(), false)
    })
}

/// Like [`encode_body`], from the JSON texts of the arguments (one per type of `sig`; the caller
/// checked the count): an integer array given as a plain list of integers is scanned straight
/// into the body (`super::args`), anything else is parsed strictly and encoded as a value.
pub(crate) fn encode_body_parts(
    sig: &[Type],
    parts: &[&str],
    opts: EncodeOptions,
    buf: Vec<u8>,
) -> Result<Body> {
    encode_each(sig, opts, buf, |enc, i, t| {
        if enc.int_list(t, parts[i])? || enc.bytes_text(t, parts[i]) {
            return Ok(());
        }
        let v = super::parse_json_strict(parts[i])?;
        enc.value(t, &v, Depth::default(), false)
    })
}

/// The body of the arguments `sig`, the `i`-th written by `one`, with the limits checked,
/// appended to `buf` (whose length is a multiple of 8).
fn encode_each(
    sig: &[Type],
    opts: EncodeOptions,
    buf: Vec<u8>,
    mut one: impl FnMut(&mut Encoder, usize, &Type) -> PResult<()>,
) -> Result<Body> {
    let sig_len: usize = sig.iter().map(Type::signature_len).sum();
    if sig_len > MAX_SIGNATURE_LEN {
        return Err(Error::limit(format!(
            "body signature is {sig_len} bytes long, the maximum is {MAX_SIGNATURE_LEN}"
        )));
    }
    debug_assert!(buf.len().is_multiple_of(8));
    let start = buf.len();
    let mut enc = Encoder {
        buf,
        opts,
        fds: Vec::new(),
    };
    for (i, t) in sig.iter().enumerate() {
        one(&mut enc, i, t).map_err(|e| e.into_error(i))?;
    }
    if enc.buf.len() - start > MAX_MESSAGE_LEN {
        return Err(Error::limit(format!(
            "message body of {} bytes exceeds the D-Bus maximum of {MAX_MESSAGE_LEN}",
            enc.buf.len() - start
        )));
    }
    Ok(Body {
        bytes: enc.buf,
        fds: enc.fds,
    })
}

fn mismatch(t: &Type, v: &Value) -> PathError {
    Error::type_mismatch(format!("expected {}, got {}", type_desc(t), describe(v))).into()
}

/// The integer a JSON value denotes for an integer type: a JSON integer, an integral float, or a
/// decimal string. Errors name the type and its range.
fn int_value(t: &Type, v: &Value) -> PResult<i128> {
    let (lo, hi) = t.int_range().unwrap_or((0, 0));
    let n: i128 = match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i as i128
            } else if let Some(u) = n.as_u64() {
                u as i128
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                float_to_int(f).ok_or_else(|| range_err(t, lo, hi, &n.to_string()))?
            }
        }
        Value::String(s) => parse_int_str(s).ok_or_else(|| {
            PathError::from(Error::type_mismatch(format!(
                "expected {} ({lo} to {hi}), got {} which is not a decimal integer",
                type_desc(t),
                describe(v)
            )))
        })?,
        _ => return Err(mismatch(t, v)),
    };
    if n < lo || n > hi {
        let got = match v {
            Value::String(s) => super::quote_short(s),
            _ => n.to_string(),
        };
        return Err(range_err(t, lo, hi, &got));
    }
    Ok(n)
}

fn range_err(t: &Type, lo: i128, hi: i128, got: &str) -> PathError {
    Error::type_mismatch(format!(
        "expected {} ({lo} to {hi}), got {got}",
        type_desc(t)
    ))
    .into()
}

/// An integral, finite float within the 64-bit ranges as an exact integer.
fn float_to_int(f: f64) -> Option<i128> {
    // 2^64 and -2^63 bound every D-Bus integer type; the checked range keeps the cast exact.
    if f.is_finite() && f.fract() == 0.0 && (-9.3e18..=1.9e19).contains(&f) {
        Some(f as i128)
    } else {
        None
    }
}

/// A decimal integer string: optional sign, then ASCII digits only.
pub(crate) fn parse_int_str(s: &str) -> Option<i128> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i128>().ok()
}

/// A double from a dict key's text: a JSON number, or `NaN`, `Infinity`, `-Infinity`.
pub(crate) fn parse_double_str(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => {
            let ok = !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
            if !ok {
                return None;
            }
            s.parse::<f64>().ok().filter(|f| f.is_finite())
        }
    }
}

/// Whether an object shaped like the typed form is one where a value of type `t` is expected.
/// Always, except where a dict is expected: a dict may itself have exactly the keys `type` and
/// `data` (typed output of `a{ss}` can be `{"type": "x", "data": "y"}`), so there the object is
/// the typed form only if its `type` is exactly the expected dict type and its `data` has a dict's
/// JSON shape (an object, or an array); otherwise it is the dict itself.
fn typed_applies(t: &Type, sig: &str, data: &Value) -> bool {
    match t {
        Type::Dict(..) => {
            matches!(data, Value::Object(_) | Value::Array(_))
                && parse_single(sig).is_ok_and(|declared| declared == *t)
        }
        _ => true,
    }
}

struct Encoder {
    buf: Vec<u8>,
    opts: EncodeOptions,
    /// Duplicates of the descriptors the `h` values name, in index order.
    fds: Vec<std::os::fd::OwnedFd>,
}

impl Encoder {
    #[inline]
    fn pad(&mut self, align: usize) {
        let rem = self.buf.len() % align;
        if rem != 0 {
            self.buf.resize(self.buf.len() + align - rem, 0);
        }
    }

    #[inline]
    fn put_u32(&mut self, v: u32) {
        self.pad(4);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    fn put_str(&mut self, s: &str) -> PResult<()> {
        let len = u32::try_from(s.len()).map_err(|_| Error::limit("string longer than 4 GiB"))?;
        self.put_u32(len);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
        Ok(())
    }

    fn put_sig(&mut self, s: &str) {
        // Callers guarantee s.len() <= 255.
        self.buf.push(s.len() as u8);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }

    /// Writes a fixed-size integer type (`y n q i u x t`) from its checked value.
    #[inline]
    fn put_int(&mut self, t: &Type, n: i128) {
        match t {
            Type::Byte => self.buf.push(n as u8),
            Type::Int16 | Type::UInt16 => {
                self.pad(2);
                self.buf.extend_from_slice(&(n as u16).to_le_bytes());
            }
            Type::Int32 | Type::UInt32 => {
                self.pad(4);
                self.buf.extend_from_slice(&(n as u32).to_le_bytes());
            }
            _ => {
                self.pad(8);
                self.buf.extend_from_slice(&(n as u64).to_le_bytes());
            }
        }
    }

    fn double(&mut self, t: &Type, v: &Value) -> PResult<()> {
        let f = match v {
            Value::Number(n) => n.as_f64().ok_or_else(|| mismatch(t, v))?,
            Value::String(s) => match s.as_str() {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                _ => {
                    return Err(Error::type_mismatch(format!(
                        "expected {} (a number, or \"NaN\", \"Infinity\", \"-Infinity\"), got {}",
                        type_desc(t),
                        describe(v)
                    ))
                    .into());
                }
            },
            _ => return Err(mismatch(t, v)),
        };
        self.pad(8);
        self.buf.extend_from_slice(&f.to_le_bytes());
        Ok(())
    }

    /// Writes an `h`: the index of a duplicate of the descriptor `v` names (the caller keeps
    /// its own).
    fn unix_fd(&mut self, t: &Type, v: &Value) -> PResult<()> {
        let Value::Number(n) = v else {
            return Err(mismatch(t, v));
        };
        let Some(fd) = n.as_i64() else {
            return Err(mismatch(t, v));
        };
        if self.fds.len() >= super::fds::MAX_MESSAGE_FDS {
            return Err(Error::limit(format!(
                "a message may carry at most {} file descriptors",
                super::fds::MAX_MESSAGE_FDS
            ))
            .into());
        }
        let owned = super::fds::dup(fd)?;
        let index = self.fds.len() as u32;
        self.fds.push(owned);
        self.put_u32(index);
        Ok(())
    }

    /// Writes a checked `s`, `o` or `g`.
    fn string_like(&mut self, t: &Type, s: &str) -> PResult<()> {
        match t {
            Type::ObjectPath if !is_valid_object_path(s) => Err(Error::type_mismatch(format!(
                "expected object path 'o', got {} which is not a valid object path",
                super::quote_short(s)
            ))
            .into()),
            Type::ObjectPath => self.put_str(s),
            Type::Signature => match parse_signature(s) {
                Ok(_) => {
                    self.put_sig(s);
                    Ok(())
                }
                Err(e) => Err(Error::type_mismatch(format!(
                    "expected signature 'g', got {} which is not a valid signature ({})",
                    super::quote_short(s),
                    e.message
                ))
                .into()),
            },
            _ if s.contains('\0') => Err(Error::type_mismatch(
                "expected string 's', got a string containing a NUL character",
            )
            .into()),
            _ => self.put_str(s),
        }
    }

    /// Encodes `v` as type `t`. `literal` is set for the `data` of a typed form: it is then not
    /// itself checked for being a typed form (this is how a dict with exactly the keys
    /// `type`/`data` is sent).
    fn value(&mut self, t: &Type, v: &Value, depth: Depth, literal: bool) -> PResult<()> {
        if !literal
            && let Some((sig, data)) = as_typed(v)
            && typed_applies(t, sig, data)
        {
            return self.typed(t, sig, data, depth);
        }
        match t {
            Type::Byte
            | Type::Int16
            | Type::UInt16
            | Type::Int32
            | Type::UInt32
            | Type::Int64
            | Type::UInt64 => {
                let n = int_value(t, v)?;
                self.put_int(t, n);
            }
            Type::Double => self.double(t, v)?,
            Type::Bool => {
                let Value::Bool(b) = v else {
                    return Err(mismatch(t, v));
                };
                self.put_u32(u32::from(*b));
            }
            Type::String | Type::ObjectPath | Type::Signature => {
                let Value::String(s) = v else {
                    return Err(mismatch(t, v));
                };
                self.string_like(t, s)?;
            }
            Type::UnixFd => self.unix_fd(t, v)?,
            Type::Variant => {
                // A plain JSON value: its type is inferred (a typed form was handled above).
                let inner = infer::infer_type(v).map_err(PathError::from)?;
                self.variant(&inner, v, depth, true)?;
            }
            Type::Array(elem) => self.array(t, elem, v, depth, literal)?,
            Type::Dict(k, val) => self.dict(t, k, val, v, depth)?,
            Type::Struct(fields) => {
                let Value::Array(items) = v else {
                    return Err(mismatch(t, v));
                };
                if items.len() != fields.len() {
                    return Err(Error::type_mismatch(format!(
                        "expected {} of {} fields, got {}",
                        type_desc(t),
                        fields.len(),
                        describe(v)
                    ))
                    .into());
                }
                let d = depth.enter_struct()?;
                self.pad(8);
                for (i, (ft, fv)) in fields.iter().zip(items).enumerate() {
                    self.value(ft, fv, d, false)
                        .map_err(|e| e.at(Seg::Index(i)))?;
                }
            }
        }
        Ok(())
    }

    /// A typed form `{"type": sig, "data": data}` where a value of type `t` is expected.
    fn typed(&mut self, t: &Type, sig: &str, data: &Value, depth: Depth) -> PResult<()> {
        let declared = parse_single(sig).map_err(|e| {
            PathError::from(Error::new(
                e.kind,
                format!(
                    "typed value {{\"type\": {}, ...}}: {} (an object with exactly the keys \
                     \"type\" and \"data\" is the typed form; to send it as a dict, wrap it in \
                     a typed form)",
                    Value::from(sig),
                    e.message
                ),
            ))
        })?;
        if *t == Type::Variant {
            return self.variant(&declared, data, depth, declared != Type::Variant);
        }
        if declared != *t {
            return Err(Error::type_mismatch(format!(
                "expected {}, got a typed value of type '{}'",
                type_desc(t),
                declared.signature()
            ))
            .into());
        }
        self.value(t, data, depth, true)
    }

    /// A variant holding `v` as type `inner`.
    fn variant(&mut self, inner: &Type, v: &Value, depth: Depth, literal: bool) -> PResult<()> {
        let d = depth.enter_variant()?;
        let len = inner.signature_len();
        if len > MAX_SIGNATURE_LEN {
            return Err(Error::limit(format!(
                "variant type signature is {len} bytes long, the maximum is {MAX_SIGNATURE_LEN}"
            ))
            .into());
        }
        self.buf.push(len as u8);
        let mut s = String::with_capacity(len);
        inner.write_signature(&mut s);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
        self.value(inner, v, d, literal)
    }

    /// An argument of an integer array type whose JSON text is a plain list of integers in the
    /// element type's range, written straight from the text. `false` (and nothing written) for
    /// any other type or text, which the general path then encodes (and reports errors of).
    fn int_list(&mut self, t: &Type, text: &str) -> PResult<bool> {
        let Type::Array(elem) = t else {
            return Ok(false);
        };
        let Some((lo, hi)) = elem.int_range() else {
            return Ok(false);
        };
        let saved = self.buf.len();
        Depth::default().enter_array()?;
        let (len_at, start) = self.begin_array(elem.alignment());
        let elem_size = elem.fixed_size().unwrap_or(1);
        self.buf.reserve(text.len() / 2 * elem_size);
        let buf = &mut self.buf;
        let scanned = match **elem {
            Type::Byte => super::args::scan_int_list(text, lo, hi, |n| buf.push(n as u8)),
            Type::Int16 | Type::UInt16 => super::args::scan_int_list(text, lo, hi, |n| {
                buf.extend_from_slice(&(n as u16).to_le_bytes())
            }),
            Type::Int32 | Type::UInt32 => super::args::scan_int_list(text, lo, hi, |n| {
                buf.extend_from_slice(&(n as u32).to_le_bytes())
            }),
            _ => super::args::scan_int_list(text, lo, hi, |n| {
                buf.extend_from_slice(&(n as u64).to_le_bytes())
            }),
        };
        if scanned.is_none() {
            self.buf.truncate(saved);
            return Ok(false);
        }
        self.end_array(len_at, start)?;
        Ok(true)
    }

    /// An `ay` argument whose JSON text is the typed form with base64 data (or, with
    /// `"bytes": "base64"`, a plain string), decoded straight from the text: no JSON string
    /// value of a megabyte is built. `false` (and nothing written) for anything else, including
    /// text that is not valid base64, which the general path then encodes or reports.
    fn bytes_text(&mut self, t: &Type, text: &str) -> bool {
        if !matches!(t, Type::Array(e) if **e == Type::Byte) {
            return false;
        }
        let Some(b64) = super::args::bytes_base64_text(text, self.opts.bytes_base64) else {
            return false;
        };
        let saved = self.buf.len();
        if self.base64_bytes(b64, Depth::default()).is_ok() {
            return true;
        }
        self.buf.truncate(saved);
        false
    }

    /// Starts an array: length placeholder and padding. Returns (length offset, data start).
    fn begin_array(&mut self, elem_align: usize) -> (usize, usize) {
        self.put_u32(0);
        let len_at = self.buf.len() - 4;
        self.pad(elem_align);
        (len_at, self.buf.len())
    }

    fn end_array(&mut self, len_at: usize, start: usize) -> PResult<()> {
        let len = self.buf.len() - start;
        if len > MAX_ARRAY_LEN {
            return Err(Error::limit(format!(
                "array of {len} bytes exceeds the D-Bus maximum of {MAX_ARRAY_LEN}"
            ))
            .into());
        }
        if let Some(slot) = self.buf.get_mut(len_at..len_at + 4) {
            slot.copy_from_slice(&(len as u32).to_le_bytes());
        }
        Ok(())
    }

    fn base64_bytes(&mut self, s: &str, depth: Depth) -> PResult<()> {
        depth.enter_array()?;
        let (len_at, start) = self.begin_array(1);
        base64::engine::general_purpose::STANDARD
            .decode_vec(s, &mut self.buf)
            .map_err(|e| {
                PathError::from(Error::type_mismatch(format!(
                    "expected array 'ay' as base64, got {} which is not valid base64 ({e})",
                    super::quote_short(s)
                )))
            })?;
        self.end_array(len_at, start)
    }

    /// An array; `typed` is set for the data of a typed form, where `ay` may be a base64 string.
    fn array(
        &mut self,
        t: &Type,
        elem: &Type,
        v: &Value,
        depth: Depth,
        typed: bool,
    ) -> PResult<()> {
        let items = match v {
            Value::Array(items) => items,
            Value::String(s) if *elem == Type::Byte && (typed || self.opts.bytes_base64) => {
                return self.base64_bytes(s, depth);
            }
            Value::String(_) if *elem == Type::Byte => {
                return Err(Error::type_mismatch(format!(
                    "expected array 'ay', got {}: a plain string is bytes only with \
                     \"bytes\": \"base64\"; otherwise use an array of integers or \
                     {{\"type\": \"ay\", \"data\": \"<base64>\"}}",
                    describe(v)
                ))
                .into());
            }
            _ => return Err(mismatch(t, v)),
        };
        let d = depth.enter_array()?;
        let (len_at, start) = self.begin_array(elem.alignment());
        if let Some(size) = elem.fixed_size() {
            // Direct loops for arrays of fixed-size types: the data starts aligned and every
            // element has the same size, so no padding between elements. Anything unusual (a
            // string, a typed form, an out-of-range number) goes the general way, which also
            // produces the error.
            self.buf.reserve(items.len().saturating_mul(size));
            macro_rules! direct {
                ($fast:expr) => {
                    for (i, item) in items.iter().enumerate() {
                        #[allow(clippy::redundant_closure_call)]
                        match ($fast)(item) {
                            Some(bytes) => self.buf.extend_from_slice(&bytes),
                            None => self
                                .value(elem, item, d, false)
                                .map_err(|e| e.at(Seg::Index(i)))?,
                        }
                    }
                };
            }
            macro_rules! int {
                ($t:ty) => {
                    direct!(|item: &Value| match item {
                        Value::Number(n) => n
                            .as_i64()
                            .and_then(|x| <$t>::try_from(x).ok())
                            .or_else(|| n.as_u64().and_then(|x| <$t>::try_from(x).ok()))
                            .map(<$t>::to_le_bytes),
                        _ => None,
                    })
                };
            }
            match elem {
                Type::Byte => int!(u8),
                Type::Int16 => int!(i16),
                Type::UInt16 => int!(u16),
                Type::Int32 => int!(i32),
                Type::UInt32 => int!(u32),
                Type::Int64 => int!(i64),
                Type::UInt64 => int!(u64),
                Type::Double => direct!(|item: &Value| match item {
                    Value::Number(n) => n.as_f64().map(f64::to_le_bytes),
                    _ => None,
                }),
                Type::Bool => direct!(|item: &Value| match item {
                    Value::Bool(b) => Some(u32::from(*b).to_le_bytes()),
                    _ => None,
                }),
                _ => {
                    for (i, item) in items.iter().enumerate() {
                        self.value(elem, item, d, false)
                            .map_err(|e| e.at(Seg::Index(i)))?;
                    }
                }
            }
        } else {
            for (i, item) in items.iter().enumerate() {
                self.value(elem, item, d, false)
                    .map_err(|e| e.at(Seg::Index(i)))?;
            }
        }
        self.end_array(len_at, start)
    }

    fn dict(&mut self, t: &Type, kt: &Type, vt: &Type, v: &Value, depth: Depth) -> PResult<()> {
        let d = depth.enter_array()?.enter_struct()?;
        match v {
            Value::Object(m) => {
                let (len_at, start) = self.begin_array(8);
                self.dict_entries(kt, vt, m, d)?;
                self.end_array(len_at, start)
            }
            // PHP writes an empty array as `[]` and a list as a JSON array: keys 0..n-1.
            Value::Array(items) if items.is_empty() || kt.is_integer() => {
                let (len_at, start) = self.begin_array(8);
                let (_, hi) = kt.int_range().unwrap_or((0, 0));
                for (i, item) in items.iter().enumerate() {
                    if i as i128 > hi {
                        return Err(Error::type_mismatch(format!(
                            "expected {}, got a list of {} elements whose indexes do not fit \
                             the key type",
                            type_desc(t),
                            items.len()
                        ))
                        .into());
                    }
                    self.pad(8);
                    self.put_int(kt, i as i128);
                    self.value(vt, item, d, false)
                        .map_err(|e| e.at(Seg::Index(i)))?;
                }
                self.end_array(len_at, start)
            }
            Value::Array(_) => Err(Error::type_mismatch(format!(
                "expected {}, got {} (a list is a dict only for integer keys)",
                type_desc(t),
                describe(v)
            ))
            .into()),
            _ => Err(mismatch(t, v)),
        }
    }

    fn dict_entries(
        &mut self,
        kt: &Type,
        vt: &Type,
        m: &Map<String, Value>,
        d: Depth,
    ) -> PResult<()> {
        // serde_json keys are unique as strings; keys parsed through a non-string type may still
        // collide ("1" and "01"), which the peer would see as a duplicate key.
        let mut seen: Option<HashSet<u64>> =
            (!matches!(kt, Type::String | Type::ObjectPath | Type::Signature) && m.len() > 1)
                .then(|| HashSet::with_capacity(m.len()));
        for (k, val) in m {
            self.pad(8);
            let id = self
                .key(kt, k)
                .map_err(|e| e.at(Seg::KeyItself(k.clone())))?;
            if let Some(seen) = seen.as_mut()
                && !seen.insert(id)
            {
                return Err(PathError::from(Error::type_mismatch(format!(
                    "duplicate dict key: another key denotes the same {}",
                    type_desc(kt)
                )))
                .at(Seg::KeyItself(k.clone())));
            }
            self.value(vt, val, d, false)
                .map_err(|e| e.at(Seg::Key(k.clone())))?;
        }
        Ok(())
    }

    /// Writes a dict key from its JSON text. Returns an identity of the key's value for
    /// duplicate detection (only meaningful for non-string keys).
    fn key(&mut self, kt: &Type, k: &str) -> PResult<u64> {
        let bad = |what: &str| -> PathError {
            Error::type_mismatch(format!(
                "expected dict key of type {}{what}, got {}",
                type_desc(kt),
                super::quote_short(k)
            ))
            .into()
        };
        match kt {
            Type::String | Type::ObjectPath | Type::Signature => {
                self.string_like(kt, k)?;
                Ok(0)
            }
            Type::Bool => {
                let b = match k {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad(" (\"true\" or \"false\")")),
                };
                self.put_u32(u32::from(b));
                Ok(u64::from(b))
            }
            Type::Double => {
                let f = parse_double_str(k)
                    .ok_or_else(|| bad(" (a number, \"NaN\", \"Infinity\" or \"-Infinity\")"))?;
                self.pad(8);
                self.buf.extend_from_slice(&f.to_le_bytes());
                Ok(if f.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    f.to_bits()
                })
            }
            Type::UnixFd => {
                Err(Error::not_supported("dict keys of type unix fd 'h' are not supported").into())
            }
            _ => {
                let (lo, hi) = kt.int_range().unwrap_or((0, 0));
                let n = parse_int_str(k).ok_or_else(|| bad(" (a decimal integer)"))?;
                if n < lo || n > hi {
                    return Err(bad(&format!(" ({lo} to {hi})")));
                }
                self.put_int(kt, n);
                Ok(n as u64)
            }
        }
    }
}
