//! The generic method call: a JSON request in, a JSON reply out.
//!
//! Request (every key but `path` and `method` optional; any other key is an error):
//!
//! ```json
//! {"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
//!  "interface": "org.freedesktop.DBus", "method": "GetNameOwner", "signature": "s",
//!  "args": ["org.freedesktop.DBus"], "timeout_ms": 1000, "variants": "typed",
//!  "no_reply": false, "no_auto_start": false, "allow_interactive_authorization": false,
//!  "bytes": "base64"}
//! ```
//!
//! Reply: `{"type": "<body signature>", "data": [arg, ...]}`, the envelope of
//! `busctl --json=short`. See docs/call.md for every rule.
//!
//! Layout: `parse` (the request text, read in one pass), `typing` (the argument types: the
//! request's signature, the peer's introspection data, or inference), `reply` (the envelope of a
//! reply), `many` (`call_many`, pipelined), `packed` (a call whose body the caller wrote, checked
//! before it is sent), `body` (a reply as its body itself, `SKYPEBUS_REPLY_BODY`), and here the
//! request type and the call itself.

mod body;
mod many;
mod packed;
mod parse;
mod reply;
mod typing;

pub use body::BodyReply;
pub use many::{DEFAULT_IN_FLIGHT, MAX_IN_FLIGHT, call_many, error_json, parse_many};
pub use packed::{build_packed_call, call_packed_body, call_packed_into, parse_packed_request};
pub use reply::{reply_envelope, reply_envelope_held};
pub use typing::{ArgumentTypes, SignatureSource, argument_types, build_call};

use reply::envelope;
pub(crate) use typing::{argument_types_by, check_fd_passing};

use std::time::Duration;

use zbus::Message;
use zbus::message::Type as MsgType;

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::json::{self, DecodeOptions};
use crate::message;
use crate::signature;

pub use crate::request::MAX_TIMEOUT_MS;

/// The reply envelope of a `no_reply` call: nothing is known about the outcome.
pub const NO_REPLY_ENVELOPE: &str = r#"{"type":"","data":[]}"#;

/// A parsed call request.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRequest {
    pub destination: Option<String>,
    pub path: String,
    pub interface: Option<String>,
    pub method: String,
    pub signature: Option<String>,
    /// The arguments, kept as JSON text until they are encoded or inspected.
    pub args: json::Args,
    /// None: the connection's default.
    pub timeout: Option<Duration>,
    pub typed_variants: bool,
    pub no_reply: bool,
    /// The `NO_AUTO_START` header flag: the bus does not start the destination.
    pub no_auto_start: bool,
    /// The `ALLOW_INTERACTIVE_AUTHORIZATION` header flag.
    pub allow_interactive_authorization: bool,
    pub bytes_base64: bool,
    /// `"arrays": "base64"`: reply arrays of `n q i u x t d` as base64 of packed little-endian
    /// elements (DecodeOptions::arrays_base64).
    pub arrays_base64: bool,
}

impl CallRequest {
    /// The header flags the request asks for, beside `no_reply`.
    pub fn header_flags(&self) -> u8 {
        let mut flags = 0;
        if self.no_auto_start {
            flags |= message::NO_AUTO_START;
        }
        if self.allow_interactive_authorization {
            flags |= message::ALLOW_INTERACTIVE_AUTHORIZATION;
        }
        flags
    }

    pub(crate) fn decode_options(&self) -> DecodeOptions {
        DecodeOptions {
            typed_variants: self.typed_variants,
            bytes_base64: self.bytes_base64,
            arrays_base64: self.arrays_base64,
        }
    }
}

/// Checks the names of a request before anything is sent or looked up.
pub fn validate_names(req: &CallRequest) -> Result<()> {
    // Names are valid or not by their text alone, and a program calls the same method again and
    // again: the last valid set of this thread is not checked twice in a row.
    thread_local! {
        static LAST_VALID: std::cell::RefCell<Option<[Option<String>; 4]>> =
            const { std::cell::RefCell::new(None) };
    }
    let names = [
        req.destination.as_deref(),
        Some(req.path.as_str()),
        req.interface.as_deref(),
        Some(req.method.as_str()),
    ];
    let same = |last: &[Option<String>; 4]| last.iter().zip(names).all(|(l, n)| l.as_deref() == n);
    if LAST_VALID.with(|l| l.borrow().as_ref().is_some_and(same)) {
        return Ok(());
    }
    check_names(req)?;
    LAST_VALID.with(|l| {
        *l.borrow_mut() = Some(names.map(|n| n.map(str::to_owned)));
    });
    Ok(())
}

/// The checks of [`validate_names`].
fn check_names(req: &CallRequest) -> Result<()> {
    use zbus::names::{BusName, InterfaceName, MemberName};
    let bad = |what: &str, value: &str, e: zbus::Error| {
        Error::invalid_name(format!("invalid {what} \"{value}\": {e}"))
    };
    if let Some(d) = &req.destination {
        BusName::try_from(d.as_str()).map_err(|e| bad("destination", d, e))?;
    }
    if !signature::is_valid_object_path(&req.path) {
        return Err(Error::invalid_name(format!(
            "invalid object path \"{}\"",
            req.path
        )));
    }
    if let Some(i) = &req.interface {
        InterfaceName::try_from(i.as_str()).map_err(|e| bad("interface", i, e))?;
    }
    MemberName::try_from(req.method.as_str()).map_err(|e| bad("method", &req.method, e))?;
    Ok(())
}

/// Performs a call and returns the reply envelope as JSON text.
pub async fn call(conn: &Connection, req: &CallRequest) -> Result<String> {
    match call_message(conn, req).await? {
        None => Ok(NO_REPLY_ENVELOPE.to_owned()),
        Some(reply) => reply_envelope(&reply, req.decode_options()),
    }
}

/// What [`call_bytes`] gives: the bytes of a reply that is one byte array, else its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BytesOrJson {
    Bytes(Vec<u8>),
    Json(String),
}

/// Performs a call; a reply whose body is exactly one byte array (`ay`) comes back as its
/// bytes, any other as the reply envelope [`call`] gives.
pub async fn call_bytes(conn: &Connection, req: &CallRequest) -> Result<BytesOrJson> {
    let Some(reply) = call_message(conn, req).await? else {
        return Ok(BytesOrJson::Json(NO_REPLY_ENVELOPE.to_owned()));
    };
    if reply.message_type() == MsgType::Error {
        return Err(message::error_from_reply(&reply));
    }
    let sig = message::body_signature(&reply)?;
    if sig == "ay" {
        let body = reply.body();
        let data = body.data().bytes();
        // The array must fill the body exactly; anything else is a malformed message, which
        // the JSON path reports.
        if let Some(len) = message::u32_at(data, 0, message::is_big_endian(&reply))
            && data.len() == 4 + len as usize
        {
            return Ok(BytesOrJson::Bytes(data[4..].to_vec()));
        }
    }
    envelope(&reply, &sig, req.decode_options()).map(BytesOrJson::Json)
}

/// The forms [`call_into`] writes a reply in (`skypebus_call_into`'s `format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyFormat {
    /// The envelope [`call`] returns.
    Json,
    /// The text of PHP's `serialize()` of the list of the reply's values
    /// ([`json::decode_body_php`]).
    Php,
    /// The body itself, little endian, behind a header of its length, descriptor count and
    /// signature ([`BodyReply`], whose module has the layout).
    Body,
}

/// The empty list in [`ReplyFormat::Php`]: the reply of a `no_reply` call.
const NO_REPLY_PHP: &[u8] = b"a:0:{}";

/// Performs a call and returns the reply in `format`.
pub async fn call_into(
    conn: &Connection,
    req: &CallRequest,
    format: ReplyFormat,
) -> Result<Vec<u8>> {
    if format == ReplyFormat::Json {
        return call(conn, req).await.map(String::into_bytes);
    }
    reply_in(call_message(conn, req).await?, req, format)
}

/// A call's reply (None: a `no_reply` call) in `format`.
fn reply_in(reply: Option<Message>, req: &CallRequest, format: ReplyFormat) -> Result<Vec<u8>> {
    let Some(reply) = reply else {
        return Ok(match format {
            ReplyFormat::Json => NO_REPLY_ENVELOPE.as_bytes().to_vec(),
            ReplyFormat::Php => NO_REPLY_PHP.to_vec(),
            ReplyFormat::Body => BodyReply::new(None)?.into_vec(),
        });
    };
    if reply.message_type() == MsgType::Error {
        return Err(message::error_from_reply(&reply));
    }
    match format {
        ReplyFormat::Json => envelope(
            &reply,
            &message::body_signature(&reply)?,
            req.decode_options(),
        )
        .map(String::into_bytes),
        ReplyFormat::Php => {
            message::body_php(&reply, &message::body_signature(&reply)?, req.arrays_base64)
        }
        ReplyFormat::Body => BodyReply::new(Some(reply)).map(BodyReply::into_vec),
    }
}

/// Performs a call and returns its reply in [`ReplyFormat::Body`], checked but not yet written,
/// for a caller that writes it where it wants ([`BodyReply::pieces`]).
pub async fn call_body(conn: &Connection, req: &CallRequest) -> Result<BodyReply> {
    BodyReply::new(call_message(conn, req).await?)
}

/// Performs a call and returns its reply message (`None` for a `no_reply` call).
async fn call_message(conn: &Connection, req: &CallRequest) -> Result<Option<Message>> {
    conn.check_usable()?;
    validate_names(req)?;
    let timeout = req.timeout.unwrap_or_else(|| conn.default_timeout());
    let deadline = tokio::time::Instant::now() + timeout;
    let types = argument_types_by(conn, req, deadline, timeout).await?;
    let msg = build_call(req, &types)?;
    typing::check_fd_passing(conn, req, &types, &msg)?;
    send_call(conn, req, &msg, deadline, timeout).await
}

/// Sends a built call and waits for its reply until `deadline` (None for a `no_reply` call).
async fn send_call(
    conn: &Connection,
    req: &CallRequest,
    msg: &Message,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Result<Option<Message>> {
    if req.no_reply {
        conn.send(msg).await?;
        return Ok(None);
    }
    conn.start_call(msg)
        .await?
        .reply(deadline, timeout)
        .await
        .map(Some)
}
