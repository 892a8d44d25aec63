//! The JSON <-> D-Bus value mapping (docs/mapping.md), as a signature-driven codec that goes
//! straight between `serde_json` values and D-Bus wire bytes, with no intermediate tree of boxed
//! variants.
//!
//! - [`encode_body`]: JSON arguments + signature -> message body (little endian).
//! - [`decode_body`] / [`decode_body_to_string`]: message body + raw header signature -> the JSON
//!   array of arguments, as a `serde_json::Value` or written straight as JSON text;
//!   [`decode_body_php`]: the same values as the text of PHP's `serialize()` (`php.rs`).
//! - [`infer_signature`] / [`infer_type`]: the inference rules used when no signature is known,
//!   and for plain JSON values sent as variants.
//!
//! # The mapping
//!
//! | D-Bus | JSON output | JSON input accepted |
//! |---|---|---|
//! | `y n q i u x t` | integer, exact over the full 64-bit ranges | integer; decimal string (optional sign, ASCII digits only: `"-5"`, `"18446744073709551615"`); integral float (`2.0`); out of range is `TypeMismatch` naming the range |
//! | `d` | number (shortest round-trip form, `-0.0` keeps its sign); `"NaN"`, `"Infinity"`, `"-Infinity"` | number (integers too) or one of those three strings |
//! | `b` | `true` / `false` | `true` / `false` only |
//! | `s` | string | string without NUL |
//! | `o` | string | string with object path syntax |
//! | `g` | string | string with signature syntax |
//! | `h` | integer: a new descriptor number the receiver owns (and closes) | integer: an open descriptor of the caller, who keeps it (the message carries a duplicate) |
//! | `ay` | array of integers; base64 string with `bytes_base64` | array of 0..=255; typed form with base64 or array `data`; plain base64 string only with `EncodeOptions::bytes_base64` |
//! | `aT` | array | array |
//! | `a{KV}` | object in received order, keys as JSON text (`"42"`, `"true"`, `"1.5"`, `"NaN"`) | object, keys parsed through `K`; `[]` is an empty dict; a list is keys 0..n-1 when `K` is an integer type |
//! | `(...)` | array | array of exactly the number of fields |
//! | `v` | the inner value; with `typed_variants` `{"type": "<sig>", "data": value}`, nested variants typed again | the typed form, or a plain value whose type is inferred ([`infer_type`]) |
//! | anything | | `null` is always `TypeMismatch` |
//!
//! The typed form `{"type": "<one complete type>", "data": value}` is accepted wherever a value is
//! expected; its type must then equal the expected type. Typed output is accepted back as input
//! and gives the same bytes (checked by the property tests), except that every NaN payload
//! becomes the one NaN `"NaN"` stands for.
//!
//! Decisions taken where the contract left room (all documented here so the docs can quote them):
//! - `h` (unix fd) is a descriptor number of this process in both directions, never the wire
//!   index ([`fds`]): decoded ones are duplicates the receiver owns, encoded ones are duplicated
//!   into the message. A dict key of type `h` is `NotSupported`.
//! - Inference: every JSON float (a number written with a fraction or exponent, `2.0` included)
//!   is `d`, so a typed `d` value printed as `2.0` infers back to `d`. An array mixing integers
//!   and floats is `ad` when every integer is exactly representable as a double (|n| <= 2^53),
//!   otherwise an error. An empty array next to non-empty arrays or objects takes their type
//!   (`[[], [1]]` is `aai`, `[[], {"a": 1}]` is `aa{sv}`), since PHP writes an empty array as `[]`.
//! - Any JSON object with exactly the keys `type` and `data` whose `type` is a string is the typed
//!   form, wherever a variant or a non-dict value is expected; an invalid `type` there is an
//!   error, not a fall back to a dict. The `data` of a typed form is taken literally: to send such
//!   an object as a variant holding a dict, wrap it:
//!   `{"type": "a{ss}", "data": {"type": "x", "data": "y"}}`.
//!   Where the signature expects a dict, such an object is the typed form only if its `type` is
//!   exactly that dict type and its `data` is an object or array; otherwise it is the dict itself.
//!   This keeps typed output round-tripping: `a{ss}` output `{"type": "x", "data": "y"}` is read
//!   back as the same dict.
//! - Dict keys on input are parsed through the key type; two JSON keys that denote the same D-Bus
//!   key (`"1"` and `"01"` for `a{is}`) are a `TypeMismatch` error, since the peer would get a
//!   duplicate key. `serde_json::Value` itself cannot show duplicate keys of the JSON text; use
//!   [`parse_json_strict`] to reject those while parsing. Duplicate keys received from a peer are
//!   `InvalidMessage`.
//! - Nesting is counted like zbus: arrays and structs (dict entries included) across variants,
//!   at most 32 each, and at most 64 containers in total including variants.
//! - Error paths are 0-based: `arg 0` is the first argument, `[3]` the fourth element of an
//!   array or field of a struct, `["foo"]` the value under key `foo`, `key "foo"` the key itself.

mod args;
mod decode;
mod encode;
pub mod fds;
mod infer;
mod php;
mod sink;
mod strict;

use std::fmt::Write as _;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::signature::Type;

pub use args::Args;
pub(crate) use args::bytes_base64_text;
pub use fds::ReceivedFds;
pub use infer::{infer_signature, infer_type};
pub use strict::parse_json_strict;

/// Options for encoding JSON into D-Bus values.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// The request said `"bytes": "base64"`: a plain JSON string is accepted where `ay` is
    /// expected, and decoded as standard base64 (with padding).
    pub bytes_base64: bool,
}

/// Options for decoding D-Bus values into JSON.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Write variants as `{"type": "<sig>", "data": value}` (as `busctl --json` does) instead of
    /// the bare inner value.
    pub typed_variants: bool,
    /// Write `ay` as a base64 string (standard alphabet, padded) instead of an array of integers.
    pub bytes_base64: bool,
    /// Write arrays of `n q i u x t d` as a base64 string of their elements, little endian and
    /// packed (2, 4 or 8 bytes each), instead of an array of numbers: a side path for bindings
    /// that unpack binary faster than they parse JSON numbers (PHP's `unpack`).
    pub arrays_base64: bool,
}

/// An encoded message body: its bytes and the descriptors its `h` values index (duplicates,
/// closed when dropped).
#[derive(Debug, Default)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub fds: Vec<std::os::fd::OwnedFd>,
}

/// Serializes `args` (one JSON value per complete type of `sig`) as a D-Bus message body, little
/// endian, the body starting at an 8-aligned offset 0. The descriptors of `h` values are not
/// kept (their indexes are written): [`encode_body_with_fds`] keeps them.
pub fn encode_body(sig: &[Type], args: &[Value], opts: EncodeOptions) -> Result<Vec<u8>> {
    encode::encode_body(sig, args, opts).map(|body| body.bytes)
}

/// Like [`encode_body`], with the duplicates of the descriptors the `h` values name.
pub fn encode_body_with_fds(sig: &[Type], args: &[Value], opts: EncodeOptions) -> Result<Body> {
    encode::encode_body(sig, args, opts)
}

/// Like [`encode_body`], appending the body to `buf`, whose length must be a multiple of 8 (the
/// message header written before it), so that alignment is the same as from offset 0.
pub fn encode_body_into(
    sig: &[Type],
    args: &[Value],
    opts: EncodeOptions,
    buf: Vec<u8>,
) -> Result<Body> {
    encode::encode_body_into(sig, args, opts, buf)
}

/// Reads a message body (the bytes after the header padding) with the header's raw signature
/// string, and returns the arguments as a JSON array (an `h` as its wire index:
/// [`decode_body_with_fds`] gives descriptors).
pub fn decode_body(sig: &str, body: &[u8], big_endian: bool, opts: DecodeOptions) -> Result<Value> {
    decode_body_with_fds(sig, body, big_endian, opts, &mut ReceivedFds::indexes())
}

/// Like [`decode_body`], with the `h` values from `fds`.
pub fn decode_body_with_fds(
    sig: &str,
    body: &[u8],
    big_endian: bool,
    opts: DecodeOptions,
    fds: &mut ReceivedFds<'_>,
) -> Result<Value> {
    let mut sink = sink::ValueSink::new();
    decode::decode_body(sig, body, big_endian, opts, fds, &mut sink)?;
    Ok(sink.finish())
}

/// Checks that `body` (little endian, starting at an 8-aligned offset) is a valid D-Bus body for
/// the signature `sig`, with every rule the decoder applies to a body received from a peer:
/// lengths and bounds, zero padding, booleans 0 or 1, UTF-8 strings without NUL, object paths,
/// signatures, variants, nesting depth, duplicate dict keys, no trailing bytes. `h` values are
/// refused (the body carries no descriptors). Nothing is built: the values are only read.
pub fn check_body(sig: &str, body: &[u8]) -> Result<()> {
    let mut no_fds = ReceivedFds::duplicating(Vec::new());
    decode::decode_body(sig, body, false, RAW, &mut no_fds, &mut sink::NullSink)
}

/// The decoder's options where no JSON is written: `ay` passed whole to the sink.
const RAW: DecodeOptions = DecodeOptions {
    typed_variants: false,
    bytes_base64: true,
    arrays_base64: false,
};

/// Checks a received body (in its message's byte order) with every rule of the decoder, to hand
/// it over as it is: an `h` must index one of the `fd_count` descriptors its message carries.
/// A little-endian body is good as it is (None); a big-endian one comes back rewritten little
/// endian, value by value.
pub fn check_received_body(
    sig: &str,
    body: &[u8],
    big_endian: bool,
    fd_count: usize,
) -> Result<Option<Vec<u8>>> {
    let mut fds = ReceivedFds::checking(fd_count);
    if !big_endian {
        decode::decode_body(sig, body, false, RAW, &mut fds, &mut sink::NullSink)?;
        return Ok(None);
    }
    let mut swap = sink::SwapSink::new(body);
    decode::decode_body(sig, body, true, RAW, &mut fds, &mut swap)?;
    Ok(Some(swap.into_bytes()))
}

/// Reads a message body like [`decode_body`] and returns the list of its values as the text of
/// PHP's `serialize()` (see `php.rs`): variants unwrapped, `ay` as binary strings, arrays of
/// numbers as lists, whatever the options say about the JSON form.
///
/// With `packed`, a body that is exactly one array of `y n q i u x t d` (signature `ay` ...
/// `ad`) is written instead as `P`, the element's type code, and the elements packed little
/// endian (1, 2, 4 or 8 bytes each, IEEE 754 for `d`: for `ay` the bytes as they are), for
/// PHP's `unpack()` or a plain string; `P` never starts the text of `serialize()`. `h` values come from `fds`; a text with any is marked with a leading `F`
/// (see `php.rs`), which starts no text of `serialize()` either.
pub fn decode_body_php(
    sig: &str,
    body: &[u8],
    big_endian: bool,
    packed: bool,
    fds: &mut ReceivedFds<'_>,
) -> Result<Vec<u8>> {
    if packed && let Some(out) = php::packed_array(sig, body, big_endian) {
        return Ok(out);
    }
    let mut sink = php::PhpSink::new(crate::spare::take(), body.len());
    decode::decode_body(sig, body, big_endian, RAW, fds, &mut sink)?;
    let marked = sink.has_fds();
    let mut out = sink.into_bytes();
    if marked {
        out.insert(0, b'F');
    }
    Ok(out)
}

/// Like [`decode_body`], but appends the JSON text of the argument array (`[...]`) to `out`. The
/// text is exactly what `serde_json::to_string` would print for [`decode_body`]'s value. On error,
/// `out` is left as it was.
pub fn decode_body_to_string(
    sig: &str,
    body: &[u8],
    big_endian: bool,
    opts: DecodeOptions,
    out: &mut String,
) -> Result<()> {
    decode_body_to_string_with_fds(
        sig,
        body,
        big_endian,
        opts,
        &mut ReceivedFds::indexes(),
        out,
    )
}

/// Like [`decode_body_to_string`], with the `h` values from `fds`.
pub fn decode_body_to_string_with_fds(
    sig: &str,
    body: &[u8],
    big_endian: bool,
    opts: DecodeOptions,
    fds: &mut ReceivedFds<'_>,
    out: &mut String,
) -> Result<()> {
    let mut sink = sink::TextSink::new(std::mem::take(out).into_bytes(), body.len());
    let start = sink.len();
    let res = decode::decode_body(sig, body, big_endian, opts, fds, &mut sink);
    let mut bytes = sink.into_bytes();
    if res.is_err() {
        bytes.truncate(start);
    }
    match String::from_utf8(bytes) {
        Ok(s) => *out = s,
        // Cannot happen: everything written is valid UTF-8. Keep `out` valid regardless.
        Err(e) => {
            let mut bytes = e.into_bytes();
            bytes.truncate(start);
            *out = String::from_utf8(bytes).unwrap_or_default();
            return Err(Error::invalid_message(
                "internal error: decoded text is not UTF-8",
            ));
        }
    }
    res
}

/// The typed form `{"type": "<sig>", "data": value}`: an object with exactly these two keys whose
/// `type` is a string. Returns the signature text and the data.
pub(crate) fn as_typed(v: &Value) -> Option<(&str, &Value)> {
    let Value::Object(m) = v else { return None };
    if m.len() != 2 {
        return None;
    }
    let Some(Value::String(t)) = m.get("type") else {
        return None;
    };
    let data = m.get("data")?;
    Some((t.as_str(), data))
}

/// A short description of a JSON value for error messages (cheap even for huge values).
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote_short(s),
        Value::Array(a) => match a.len() {
            0 => "an empty array".to_owned(),
            1 => "an array of 1 element".to_owned(),
            n => format!("an array of {n} elements"),
        },
        Value::Object(m) => match m.len() {
            0 => "an empty object".to_owned(),
            1 => "an object with 1 key".to_owned(),
            n => format!("an object with {n} keys"),
        },
    }
}

/// A JSON-quoted string, shortened to about 40 characters.
pub(crate) fn quote_short(s: &str) -> String {
    const MAX: usize = 40;
    let mut out = String::from("string ");
    if s.chars().count() <= MAX {
        out.push_str(&Value::from(s).to_string());
    } else {
        let cut: String = s.chars().take(MAX).collect();
        let q = Value::from(cut).to_string();
        out.push_str(&q[..q.len() - 1]);
        out.push_str("...\"");
    }
    out
}

/// `uint32 'u'`, `dict 'a{sv}'`: how an expected type is named in messages.
pub(crate) fn type_desc(t: &Type) -> String {
    format!("{} '{}'", t.name(), t.signature())
}

/// One step of the path to a value inside an argument, for error messages.
#[derive(Debug)]
pub(crate) enum Seg {
    /// An array element or struct field.
    Index(usize),
    /// The value under a dict key.
    Key(String),
    /// A dict key itself.
    KeyItself(String),
}

/// An error while encoding, with the path to the offending value, innermost step first. Boxed so
/// results stay one pointer wide on the happy path.
#[derive(Debug)]
pub(crate) struct PathError(Box<(Error, Vec<Seg>)>);

pub(crate) type PResult<T> = std::result::Result<T, PathError>;

impl From<Error> for PathError {
    fn from(e: Error) -> Self {
        PathError(Box::new((e, Vec::new())))
    }
}

impl PathError {
    pub(crate) fn at(mut self, seg: Seg) -> Self {
        self.0.1.push(seg);
        self
    }

    /// The final error: `arg 2: [3]["foo"]: expected uint32 'u', got string "abc"`.
    pub(crate) fn into_error(self, arg: usize) -> Error {
        let (mut err, path) = *self.0;
        let mut where_ = String::new();
        for seg in path.iter().rev() {
            let _ = match seg {
                Seg::Index(i) => write!(where_, "[{i}]"),
                Seg::Key(k) => write!(where_, "[{}]", Value::from(k.as_str())),
                Seg::KeyItself(k) => write!(where_, " key {}", Value::from(k.as_str())),
            };
        }
        err.message = if where_.is_empty() {
            format!("arg {arg}: {}", err.message)
        } else {
            format!("arg {arg}: {}: {}", where_.trim_start(), err.message)
        };
        err
    }
}

#[cfg(test)]
mod tests;
