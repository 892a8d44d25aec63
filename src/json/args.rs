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
    /// The JSON text of the argument array (checked to be JSON, starting with `[`).
    text: Option<Box<RawValue>>,
    /// The parsed values: given, or parsed from `text` on first use.
    values: OnceLock<Vec<Value>>,
}

impl Args {
    /// Arguments given as values.
    pub fn from_values(values: Vec<Value>) -> Args {
        Args {
            text: None,
            values: OnceLock::from(values),
        }
    }

    /// Arguments given as the JSON text of an array (the caller checked that `text` is an
    /// array).
    pub fn from_text(text: Box<RawValue>) -> Args {
        Args {
            text: Some(text),
            values: OnceLock::new(),
        }
    }

    /// The arguments as JSON values, parsed from the text (strictly: a duplicate key in an
    /// object is `InvalidJson`) on first use.
    pub fn values(&self) -> Result<&[Value]> {
        if let Some(v) = self.values.get() {
            return Ok(v);
        }
        let parsed = match &self.text {
            None => Vec::new(),
            Some(text) => match super::parse_json_strict(text.get())? {
                Value::Array(a) => a,
                _ => return Err(Error::invalid_request("\"args\" must be an array")),
            },
        };
        Ok(self.values.get_or_init(|| parsed))
    }

    /// The number of arguments.
    pub fn len(&self) -> Result<usize> {
        match (self.values.get(), &self.text) {
            (Some(v), _) => Ok(v.len()),
            (None, Some(text)) => Ok(elements(text.get())?.len()),
            (None, None) => Ok(0),
        }
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
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
        let text = match (&self.text, self.values.get()) {
            (Some(text), None) => text.get(),
            _ => {
                let values = self.values()?;
                if values.len() != sig.len() {
                    return Err(count_error(values.len()));
                }
                return encode::encode_body(sig, values, opts);
            }
        };
        let parts = elements(text)?;
        if parts.len() != sig.len() {
            return Err(count_error(parts.len()));
        }
        encode::encode_body_parts(sig, &parts, opts)
    }
}

impl PartialEq for Args {
    fn eq(&self, other: &Args) -> bool {
        match (self.values(), other.values()) {
            (Ok(a), Ok(b)) => a == b,
            _ => self.text.as_ref().map(|t| t.get()) == other.text.as_ref().map(|t| t.get()),
        }
    }
}

/// The texts of the elements of a JSON array text.
fn elements(text: &str) -> Result<Vec<&str>> {
    let parts: Vec<&RawValue> = serde_json::from_str(text)?;
    Ok(parts.into_iter().map(RawValue::get).collect())
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
