//! Reading JSON requests: the helpers every request kind shares (`call`, `property`,
//! `signal`, `serve`, `introspect`, the event options), so the rules and the wording of their
//! errors are the same everywhere. Below every module that reads requests; it knows no
//! connection.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

pub use crate::limits::MAX_TIMEOUT_MS;

/// The string value of an optional key of a JSON request object; any other type is an
/// `InvalidRequest` error naming the key. Shared by every JSON request kind.
pub fn string_key(map: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::invalid_request(format!(
            "key \"{key}\" must be a string, not {}",
            json_kind(other)
        ))),
    }
}

/// A boolean request key's value; anything but `true` or `false` is an `InvalidRequest` error
/// naming the key.
pub fn bool_key(key: &str, value: &Value) -> Result<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        other => Err(Error::invalid_request(format!(
            "request key \"{key}\" must be true or false, not {}",
            json_kind(other)
        ))),
    }
}

/// A short description of a JSON value's kind for error messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses the `timeout_ms` value: a positive integer of milliseconds, or 0 for the connection's
/// default. Negative, fractional and larger-than-`MAX_TIMEOUT_MS` values are errors.
pub fn parse_timeout(v: Option<&Value>) -> Result<Option<Duration>> {
    let Some(v) = v else { return Ok(None) };
    let ms = match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= MAX_TIMEOUT_MS as f64)
                .map(|f| f as u64)
        }),
        _ => None,
    };
    match ms {
        Some(0) => Ok(None),
        Some(ms) if ms <= MAX_TIMEOUT_MS => Ok(Some(Duration::from_millis(ms))),
        _ => Err(Error::invalid_request(format!(
            "\"timeout_ms\" must be an integer from 0 (the connection's default) to {MAX_TIMEOUT_MS}, not {v}"
        ))),
    }
}

/// Parses the shared option keys `variants` and `bytes`.
pub fn parse_value_options(map: &Map<String, Value>) -> Result<(bool, bool)> {
    value_options(
        string_key(map, "variants")?.as_deref(),
        string_key(map, "bytes")?.as_deref(),
    )
}

/// The meaning of the option values `variants` and `bytes`: (typed variants, base64 bytes).
pub(crate) fn value_options(variants: Option<&str>, bytes: Option<&str>) -> Result<(bool, bool)> {
    let typed = match variants {
        None | Some("plain") => false,
        Some("typed") => true,
        Some(other) => {
            return Err(Error::invalid_request(format!(
                "\"variants\" must be \"typed\" or \"plain\", not \"{other}\""
            )));
        }
    };
    let base64 = match bytes {
        None | Some("array") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(Error::invalid_request(format!(
                "\"bytes\" must be \"base64\" or \"array\", not \"{other}\""
            )));
        }
    };
    Ok((typed, base64))
}

/// Rejects keys outside `allowed`.
pub fn check_keys(map: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<()> {
    for k in map.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::invalid_request(format!(
                "unknown key \"{k}\" in {what} (allowed: {})",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

/// Parses `text` strictly (duplicate keys refused) as a JSON object; any other JSON value is an
/// `InvalidRequest` error saying what `what` must be.
pub fn json_object(text: &str, what: &str) -> Result<Map<String, Value>> {
    match crate::json::parse_json_strict(text)? {
        Value::Object(map) => Ok(map),
        other => Err(Error::invalid_request(format!(
            "{what} must be a JSON object, not {}",
            json_kind(&other)
        ))),
    }
}
