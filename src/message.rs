//! Building messages from JSON bodies and reading received ones back as JSON.
//!
//! zbus parses a body signature of `si` and of `(si)` to the same `Signature`, so the exact body
//! signature of a received message is read here from the raw header bytes, and an outgoing
//! body's signature is built so that the header carries exactly the string the caller meant.

use serde_json::Value;
use zbus::Message;
use zbus::message::Builder;

use crate::error::{Error, Result};
use crate::json::{self, DecodeOptions, EncodeOptions};
use crate::signature::Type;

/// Field code of the SIGNATURE header field.
const FIELD_SIGNATURE: u8 = 8;

/// The exact body signature of a received message, read from its raw header.
pub fn body_signature(msg: &Message) -> Result<String> {
    raw_body_signature(msg.data().bytes())
}

/// Reads the SIGNATURE header field from the raw bytes of a whole message.
pub fn raw_body_signature(bytes: &[u8]) -> Result<String> {
    let bad = |what: &str| Error::invalid_message(format!("malformed message header: {what}"));
    let big = match bytes.first() {
        Some(b'l') => false,
        Some(b'B') => true,
        _ => return Err(bad("unknown endianness")),
    };
    let u32_at = |off: usize| -> Result<u32> {
        let b: [u8; 4] = bytes
            .get(off..off + 4)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| bad("truncated"))?;
        Ok(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let fields_len = u32_at(12)? as usize;
    let end = 16usize
        .checked_add(fields_len)
        .filter(|e| *e <= bytes.len())
        .ok_or_else(|| bad("header fields exceed the message"))?;
    let mut pos = 16usize;
    while pos < end {
        pos = align(pos, 8);
        if pos >= end {
            break;
        }
        let code = bytes[pos];
        let sig_len = *bytes.get(pos + 1).ok_or_else(|| bad("truncated field"))? as usize;
        let sig = bytes
            .get(pos + 2..pos + 2 + sig_len)
            .ok_or_else(|| bad("truncated field signature"))?;
        pos += 2 + sig_len + 1;
        match sig {
            b"g" => {
                let len = *bytes.get(pos).ok_or_else(|| bad("truncated signature"))? as usize;
                let val = bytes
                    .get(pos + 1..pos + 1 + len)
                    .ok_or_else(|| bad("truncated signature"))?;
                if code == FIELD_SIGNATURE {
                    return std::str::from_utf8(val)
                        .map(str::to_owned)
                        .map_err(|_| bad("signature is not ASCII"));
                }
                pos += 1 + len + 1;
            }
            b"s" | b"o" => {
                pos = align(pos, 4);
                let len = u32_at(pos)? as usize;
                pos = pos
                    .checked_add(4 + len + 1)
                    .ok_or_else(|| bad("string length overflows"))?;
            }
            b"u" => {
                pos = align(pos, 4) + 4;
            }
            _ => return Err(bad("unexpected header field type")),
        }
    }
    Ok(String::new())
}

fn align(pos: usize, n: usize) -> usize {
    (pos + n - 1) & !(n - 1)
}

/// Whether a received message is big-endian.
pub fn is_big_endian(msg: &Message) -> bool {
    msg.data().bytes().first() == Some(&b'B')
}

/// The body of a received message as the JSON array of its arguments, written into `out`.
pub fn body_json_into(msg: &Message, opts: DecodeOptions, out: &mut String) -> Result<String> {
    let sig = body_signature(msg)?;
    let body = msg.body();
    json::decode_body_to_string(&sig, body.data().bytes(), is_big_endian(msg), opts, out)?;
    Ok(sig)
}

/// The body of a received message as a JSON array value.
pub fn body_value(msg: &Message, opts: DecodeOptions) -> Result<(String, Value)> {
    let sig = body_signature(msg)?;
    let body = msg.body();
    let v = json::decode_body(&sig, body.data().bytes(), is_big_endian(msg), opts)?;
    Ok((sig, v))
}

/// The zbus signature whose header form (written without outer parentheses) is exactly the
/// concatenation of `types`.
pub fn zbus_signature(types: &[Type]) -> Result<zbus::Signature> {
    let one = |t: &Type| {
        zbus::Signature::try_from(t.signature().as_str())
            .map_err(|e| Error::invalid_signature(format!("{}: {e}", t.signature())))
    };
    match types {
        [] => Ok(zbus::Signature::Unit),
        [t] if !matches!(t, Type::Struct(_)) => one(t),
        many => {
            let fields = many.iter().map(one).collect::<Result<Vec<_>>>()?;
            Ok(zbus::Signature::structure(fields))
        }
    }
}

/// Finishes `builder` with `args` encoded for `types`.
pub fn build_with_body(
    builder: Builder<'_>,
    types: &[Type],
    args: &[Value],
    opts: EncodeOptions,
) -> Result<Message> {
    let body = json::encode_body(types, args, opts)?;
    let sig = zbus_signature(types)?;
    // SAFETY: the body was produced by our encoder for exactly these types, so it is a valid
    // D-Bus body for the signature written into the header.
    unsafe { builder.build_raw_body(&body, sig, Vec::new()) }.map_err(build_error)
}

/// Maps an error from a zbus message builder.
pub fn build_error(e: zbus::Error) -> Error {
    match e {
        zbus::Error::ExcessData => {
            Error::limit("the message exceeds the D-Bus maximum message size (128 MiB)")
        }
        zbus::Error::InvalidName(_)
        | zbus::Error::InvalidObjectPath
        | zbus::Error::InvalidNameConversion { .. } => Error::invalid_name(e.to_string()),
        zbus::Error::SignatureParse(_) => Error::invalid_signature(e.to_string()),
        other => Error::invalid_request(format!("cannot build the message: {other}")),
    }
}

/// The error name and message of a received error reply.
pub fn error_from_reply(msg: &Message) -> Error {
    let header = msg.header();
    let name = header
        .error_name()
        .map(|n| n.to_string())
        .unwrap_or_else(|| "org.freedesktop.DBus.Error.Failed".to_owned());
    // By convention the first argument, if a string, is the message.
    let text = match body_value(msg, DecodeOptions::default()) {
        Ok((sig, Value::Array(items))) if sig.starts_with('s') => match items.first() {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    Error::dbus(name, text)
}
