//! The reply envelope `{"type": "<body signature>", "data": [...]}`, written straight from the
//! reply's body.

use serde_json::Value;
use zbus::Message;
use zbus::message::Type as MsgType;

use crate::error::Result;
use crate::json::DecodeOptions;
use crate::message;

/// The `{"type": ..., "data": [...]}` envelope of a reply, or the error it carries.
pub fn reply_envelope(reply: &Message, opts: DecodeOptions) -> Result<String> {
    match reply.message_type() {
        MsgType::Error => Err(message::error_from_reply(reply)),
        _ => envelope(reply, &message::body_signature(reply)?, opts),
    }
}

/// As [`reply_envelope`], with the descriptors of the reply's `h` values duplicated for the
/// receiver but still owned (closed unless handed over with [`crate::json::fds::release`]): for
/// a result that is kept until someone takes it.
pub fn reply_envelope_held(
    reply: &Message,
    opts: DecodeOptions,
) -> Result<(String, Vec<std::os::fd::OwnedFd>)> {
    match reply.message_type() {
        MsgType::Error => Err(message::error_from_reply(reply)),
        _ => {
            let sig = message::body_signature(reply)?;
            envelope_with(reply, &sig, |out| {
                message::body_json_append_held(reply, &sig, opts, out)
            })
        }
    }
}

/// The envelope of a reply whose body signature `sig` was read already.
pub(super) fn envelope(reply: &Message, sig: &str, opts: DecodeOptions) -> Result<String> {
    envelope_with(reply, sig, |out| {
        message::body_json_append(reply, sig, opts, message::Fds::Give, out)
    })
    .map(|(text, ())| text)
}

/// The envelope of a reply, its data written by `body` (which returns what goes with the text).
fn envelope_with<T>(
    reply: &Message,
    sig: &str,
    body: impl FnOnce(&mut String) -> Result<T>,
) -> Result<(String, T)> {
    // Written in one buffer: the signature (type codes only, which JSON needs no escapes for;
    // the header's signature was validated when the message was read) first, then the body
    // straight after it.
    let mut out = String::with_capacity(reply.data().bytes().len() + sig.len() + 64);
    out.push_str("{\"type\":");
    if sig
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    {
        out.push('"');
        out.push_str(sig);
        out.push('"');
    } else {
        out.push_str(&Value::from(sig).to_string());
    }
    out.push_str(",\"data\":");
    let kept = body(&mut out)?;
    out.push('}');
    Ok((out, kept))
}
