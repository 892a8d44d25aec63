//! Calls handed to the application: rendering a pulled call as event JSON, and turning the
//! application's answer into the reply to send (pure functions over a call's snapshot and the
//! registry).

use std::fmt::Write as _;

use serde_json::Value;
use zbus::Message;

use crate::error::{Error, Result};
use crate::event::push_str_field;
use crate::json::{self, EncodeOptions};
use crate::message;
use crate::request::{check_keys, json_kind, parse_value_options};
use crate::schema::Emits;
use crate::signature;

use super::properties;
use super::registry::{CallSnapshot, CallWhat, Registry};

/// Renders a pulled call as event JSON.
pub(crate) fn render(id: u64, snap: &CallSnapshot) -> Result<String> {
    let header = snap.msg.header();
    let opts = snap.call.opts.decode;
    let mut out = String::with_capacity(snap.msg.data().bytes().len() + 200);
    let kind = match snap.call.what {
        CallWhat::Method { .. } => "call",
        CallWhat::SetProperty { .. } => "set_property",
    };
    let _ = write!(out, "{{\"kind\":\"{kind}\",\"call\":{id},");
    push_str_field(&mut out, "sender", header.sender().map(|s| s.as_str()));
    push_str_field(&mut out, "path", header.path().map(|s| s.as_str()));
    push_str_field(&mut out, "interface", Some(&snap.call.interface));
    match &snap.call.what {
        CallWhat::Method { member, sig, .. } => {
            push_str_field(&mut out, "member", Some(member));
            push_str_field(&mut out, "type", Some(sig));
            out.push_str("\"data\":");
            message::body_json_into(&snap.msg, opts, message::Fds::Give, &mut out)?;
        }
        CallWhat::SetProperty { name, sig, .. } => {
            push_str_field(&mut out, "name", Some(name));
            push_str_field(&mut out, "type", Some(sig));
            let (_, v) = message::body_value(&snap.msg, opts, message::Fds::Give)?;
            let value = match v {
                Value::Array(mut a) if a.len() == 3 => {
                    let v = a.remove(2);
                    if opts.typed_variants {
                        v.get("data").cloned().unwrap_or(Value::Null)
                    } else {
                        v
                    }
                }
                _ => return Err(Error::invalid_message("a Set call without 3 arguments")),
            };
            out.push_str("\"data\":");
            out.push_str(&value.to_string());
        }
    }
    let _ = write!(out, ",\"no_reply\":{}}}", snap.no_reply);
    Ok(out)
}

/// Parses a reply: NULL/absent, a JSON array of arguments, or `{"args": [...], "bytes": ..}`.
pub(crate) fn parse_reply(text: Option<&str>) -> Result<(Vec<Value>, Option<bool>)> {
    let Some(text) = text else {
        return Ok((Vec::new(), None));
    };
    match json::parse_json_strict(text)? {
        Value::Array(a) => Ok((a, None)),
        Value::Object(mut map) => {
            check_keys(&map, &["args", "bytes"], "a reply")?;
            if map.contains_key("variants") {
                return Err(Error::invalid_request(
                    "\"variants\" applies to output only",
                ));
            }
            let (_, b64) = parse_value_options(&map)?;
            let b64 = map.contains_key("bytes").then_some(b64);
            let args = match map.remove("args") {
                None => Vec::new(),
                Some(Value::Array(a)) => a,
                Some(other) => {
                    return Err(Error::invalid_request(format!(
                        "\"args\" must be an array of arguments, not {}",
                        json_kind(&other)
                    )));
                }
            };
            Ok((args, b64))
        }
        other => Err(Error::invalid_request(format!(
            "a reply must be a JSON array or object, not {}",
            json_kind(&other)
        ))),
    }
}

/// A property value a `Set` call carries, to store once the application accepted it.
pub(crate) struct Accepted {
    name: String,
    sig: String,
    emits: Emits,
    value: Value,
}

/// The application's answer built into a message.
pub(crate) struct Answer {
    pub(crate) reply: Message,
    pub(crate) accepted: Option<Accepted>,
}

/// Builds the reply to a call from the application's values (typed by the declared out
/// signature; a property write is accepted with none).
pub(crate) fn answer(snap: &CallSnapshot, args: &[Value], b64: Option<bool>) -> Result<Answer> {
    let header = snap.msg.header();
    let interface = &snap.call.interface;
    let enc = EncodeOptions {
        bytes_base64: b64.unwrap_or(snap.call.opts.bytes_base64),
    };
    match &snap.call.what {
        CallWhat::Method { member, out, .. } => {
            if out.len() != args.len() {
                return Err(Error::type_mismatch(format!(
                    "{interface}.{member} returns \"{}\" ({} value(s)), but {} were given",
                    signature::signature_of(out),
                    out.len(),
                    args.len()
                )));
            }
            let reply = message::build_with_body(Message::method_return(&header), out, args, enc)
                .map_err(|e| e.context(format!("reply of {interface}.{member}")))?;
            Ok(Answer {
                reply,
                accepted: None,
            })
        }
        CallWhat::SetProperty { name, sig, emits } => {
            if !args.is_empty() {
                return Err(Error::type_mismatch(
                    "a property write is accepted with no values",
                ));
            }
            let value = properties::set_call_value(&snap.msg)?;
            let reply = Message::method_return(&header)
                .build(&())
                .map_err(message::build_error)?;
            Ok(Answer {
                reply,
                accepted: Some(Accepted {
                    name: name.clone(),
                    sig: sig.clone(),
                    emits: *emits,
                    value,
                }),
            })
        }
    }
}

pub(crate) fn unknown_handle(id: u64) -> Error {
    Error::invalid_request(format!(
        "no call handle {id} on this connection (already answered, expired, or never given)"
    ))
}

/// Releases handle `id` after its answer was built; stores an accepted property value and
/// returns the `PropertiesChanged` signal it announces, if any.
pub(crate) fn release(
    reg: &mut Registry,
    id: u64,
    snap: &CallSnapshot,
    accepted: Option<Accepted>,
) -> Result<Option<Message>> {
    if reg.calls.remove(&id).is_none() {
        return Err(unknown_handle(id));
    }
    let Some(a) = accepted else {
        return Ok(None);
    };
    let path = snap.msg.header().path().map(|p| p.to_string());
    let path = path.unwrap_or_default();
    let iface = &snap.call.interface;
    // The handle is released either way; a signal that cannot be built is not sent.
    Ok(
        properties::store_canonical(reg, &path, iface, &a.name, &a.sig, a.emits, a.value)
            .ok()
            .flatten(),
    )
}
