//! The arguments of a request: either JSON values, or the JSON text of the argument array, kept
//! as it came and parsed only as far as it has to be.
//!
//! A request with known argument types (an explicit signature, or introspection data) is encoded
//! straight from the text: each argument whose type is an array of an integer type and whose text
//! is a plain list of JSON integers (`[0,1,2]`) is written to the wire by a scanner over the
//! text, with no `serde_json::Value` per element; any other argument, and any such argument the
//! scanner does not take (a float, a string, a typed form, a number out of range), goes through
//! the strict parser and the general encoder, which also produce every error. So the bytes and
//! the errors are exactly those of [`super::encode_body`] over the parsed values, and an `ai` of
//! 100,000 elements costs a scan instead of a tree of 100,000 values (tests/args_fast_path.rs).

use std::sync::OnceLock;

use serde_json::Value;
use serde_json::value::RawValue;

use super::{EncodeOptions, encode};
use crate::error::{Error, Result};
use crate::signature::Type;

/// The arguments of a request (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct Args {
    /// The JSON texts of the arguments, one per argument.
    parts: Option<Vec<Box<RawValue>>>,
    /// The parsed values: given, or parsed from `parts` on first use.
    values: OnceLock<Vec<Value>>,
}

impl Args {
    /// Arguments given as values.
    pub fn from_values(values: Vec<Value>) -> Args {
        Args {
            parts: None,
            values: OnceLock::from(values),
        }
    }

    /// Arguments given as the JSON texts of the elements of the argument array.
    pub fn from_parts(parts: Vec<Box<RawValue>>) -> Args {
        Args {
            parts: Some(parts),
            values: OnceLock::new(),
        }
    }

    /// Arguments given as the JSON text of an array.
    pub fn from_text(text: &str) -> Result<Args> {
        let parts: Vec<&RawValue> = serde_json::from_str(text)?;
        Ok(Args::from_parts(
            parts.into_iter().map(ToOwned::to_owned).collect(),
        ))
    }

    /// The arguments as JSON values, parsed from their texts (strictly: a duplicate key in an
    /// object is `InvalidJson`) on first use.
    pub fn values(&self) -> Result<&[Value]> {
        if let Some(v) = self.values.get() {
            return Ok(v);
        }
        let mut parsed = Vec::new();
        for (i, part) in self.parts.iter().flatten().enumerate() {
            parsed.push(
                super::parse_json_strict(part.get())
                    .map_err(|e| e.context(format_args!("arg {i}")))?,
            );
        }
        Ok(self.values.get_or_init(|| parsed))
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        match (self.values.get(), &self.parts) {
            (Some(v), _) => v.len(),
            (None, Some(parts)) => parts.len(),
            (None, None) => 0,
        }
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The message body for the argument types `sig`, exactly as [`super::encode_body`] writes
    /// it for [`Args::values`]. `count_error` gives the error for a number of arguments that
    /// differs from `sig`'s (it gets the number given).
    pub fn encode(
        &self,
        sig: &[Type],
        opts: EncodeOptions,
        count_error: impl FnOnce(usize) -> Error,
    ) -> Result<Vec<u8>> {
        self.encode_into(sig, opts, count_error, Vec::with_capacity(64))
            .map(|body| body.bytes)
    }

    /// Like [`Args::encode`], appending the body to `buf`, whose length must be a multiple of 8
    /// (a message header written before it).
    pub fn encode_into(
        &self,
        sig: &[Type],
        opts: EncodeOptions,
        count_error: impl FnOnce(usize) -> Error,
        buf: Vec<u8>,
    ) -> Result<super::Body> {
        if self.len() != sig.len() {
            return Err(count_error(self.len()));
        }
        match (&self.parts, self.values.get()) {
            (Some(parts), None) => {
                let texts: Vec<&str> = parts.iter().map(|p| p.get()).collect();
                encode::encode_body_parts(sig, &texts, opts, buf)
            }
            _ => encode::encode_body_into(sig, self.values()?, opts, buf),
        }
    }
}

impl PartialEq for Args {
    fn eq(&self, other: &Args) -> bool {
        match (self.values(), other.values()) {
            (Ok(a), Ok(b)) => a == b,
            _ => {
                let texts = |a: &Args| {
                    a.parts
                        .as_ref()
                        .map(|p| p.iter().map(|t| t.get().to_owned()).collect::<Vec<_>>())
                };
                texts(self) == texts(other)
            }
        }
    }
}

/// The base64 text of a bytes argument written exactly as the typed form
/// `{"type":"ay","data":"<text>"}` (no white space, the keys in that order), or, when
/// `plain_string` (the request's `"bytes": "base64"`), as a plain string `"<text>"`; `None` for
/// any other text. Only the shape is checked: the caller decodes the text as base64, which
/// fails for anything else (a quote, an escape) and then takes the general way.
pub(crate) fn bytes_base64_text(text: &str, plain_string: bool) -> Option<&str> {
    if let Some(rest) = text.strip_prefix(r#"{"type":"ay","data":""#) {
        return rest.strip_suffix(r#""}"#);
    }
    if plain_string {
        return text.strip_prefix('"')?.strip_suffix('"');
    }
    None
}

/// Scans `text` as a plain JSON list of integers, each within `lo..=hi`, calling `put` for each;
/// `None` for anything else (whitespace is allowed where JSON allows it). `text` is valid JSON.
pub(crate) fn scan_int_list(
    text: &str,
    lo: i128,
    hi: i128,
    mut put: impl FnMut(i128),
) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = 0;
    let ws = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\t' | b'\n' | b'\r') {
            *i += 1;
        }
    };
    ws(&mut i);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    ws(&mut i);
    let mut count = 0;
    if b.get(i) == Some(&b']') {
        i += 1;
        ws(&mut i);
        return (i == b.len()).then_some(0);
    }
    loop {
        let negative = b.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let start = i;
        let mut n: i128 = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start >= 20 {
                return None;
            }
            n = n * 10 + i128::from(b[i] - b'0');
            i += 1;
        }
        if i == start || matches!(b.get(i), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        if negative {
            n = -n;
        }
        if n < lo || n > hi {
            return None;
        }
        put(n);
        count += 1;
        ws(&mut i);
        match b.get(i) {
            Some(b',') => {
                i += 1;
                ws(&mut i);
            }
            Some(b']') => {
                i += 1;
                ws(&mut i);
                return (i == b.len()).then_some(count);
            }
            _ => return None,
        }
    }
}
