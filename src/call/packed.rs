//! A call whose body the caller wrote in the D-Bus wire format (little endian) for the request's
//! signature: no JSON for the arguments. The library trusts nothing of it: the body is read with
//! every rule of the decoder that reads the bodies of peers ([`json::check_body`]) before the
//! message is built, and a body that breaks one is refused with nothing sent.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use zbus::Message;

use super::{BodyReply, CallRequest, ReplyFormat, reply_in, send_call, validate_names};
use crate::connection::Connection;
use crate::error::{Error, Kind, Result};
use crate::json::{self, Body};
use crate::message;
use crate::signature;

/// Builds the method call of `req` (names checked beforehand with
/// [`validate_names`](super::validate_names)) with `body` as its body, after checking that the
/// request has a signature and no `args`, and that `body` is a valid body for that signature.
pub fn build_packed_call(req: &CallRequest, body: &[u8]) -> Result<Message> {
    let (header, types) = packed_header(req, body)?;
    message::method_call_with(&header, &types, |buf| Ok(behind(buf, body)))
}

/// [`build_packed_call`]'s message as its bytes, without the zbus `Message`
/// ([`Connection::start_call_direct`]).
fn build_packed_bytes(req: &CallRequest, body: &[u8]) -> Result<Vec<u8>> {
    let (header, types) = packed_header(req, body)?;
    message::method_call_bytes(&header, &types, |buf| Ok(behind(buf, body))).map(|b| b.bytes)
}

/// The header already in `buf`, then `body`.
fn behind(mut buf: Vec<u8>, body: &[u8]) -> Body {
    buf.extend_from_slice(body);
    Body {
        bytes: buf,
        fds: Vec::new(),
    }
}

/// The header and the argument types of the packed call of `req` with `body`, after checking
/// that the request has a signature and no `args`, and that `body` is a valid body for it.
fn packed_header<'r>(
    req: &'r CallRequest,
    body: &[u8],
) -> Result<(message::CallHeader<'r>, Vec<signature::Type>)> {
    let Some(sig) = req.signature.as_deref() else {
        return Err(Error::invalid_request(
            "a call with a packed body needs the request's \"signature\": the body's types",
        ));
    };
    if !req.args.is_empty() {
        return Err(Error::invalid_request(
            "a call with a packed body takes its arguments from the body: the request must have no \"args\"",
        ));
    }
    let types = signature::parse_signature(sig)?;
    check_packed_body(sig, body)?;
    let header = message::CallHeader {
        destination: req.destination.as_deref(),
        path: &req.path,
        interface: req.interface.as_deref(),
        member: &req.method,
        no_reply: req.no_reply,
        flags: req.header_flags(),
    };
    Ok((header, types))
}

/// What the decoder says of a string whose text its type does not take (the layout of the body
/// being right): a NUL inside, an object path or a signature of the wrong syntax.
const BAD_TEXT: &[&str] = &[
    "contains a NUL byte",
    "invalid object path",
    "invalid signature value",
];

/// [`json::check_body`], its errors told as the caller's: a string that is not UTF-8 is
/// `InvalidUtf8`, the text of a string its type does not take ([`BAD_TEXT`]) `TypeMismatch`, a
/// limit stays `LimitExceeded`, and any other fault of the body (its layout: lengths, padding,
/// a boolean other than 0 or 1, trailing bytes) is `InvalidRequest`.
fn check_packed_body(sig: &str, body: &[u8]) -> Result<()> {
    json::check_body(sig, body).map_err(|e| {
        let kind = match e.kind {
            Kind::LimitExceeded => Kind::LimitExceeded,
            _ if e.message.contains("is not valid UTF-8") => Kind::InvalidUtf8,
            _ if BAD_TEXT.iter().any(|t| e.message.contains(t)) => Kind::TypeMismatch,
            _ => Kind::InvalidRequest,
        };
        Error::new(
            kind,
            format!(
                "the packed body is not a valid body of signature \"{sig}\": {}",
                e.message
            ),
        )
    })
}

/// Performs a call whose arguments are the packed body `body` ([`build_packed_call`]) and
/// returns the reply in `format`, as [`super::call_into`] does.
pub async fn call_packed_into(
    conn: &Connection,
    req: &CallRequest,
    body: &[u8],
    format: ReplyFormat,
) -> Result<Vec<u8>> {
    reply_in(packed_reply(conn, req, body).await?, req, format)
}

/// Performs a call whose arguments are the packed body `body`, as [`call_packed_into`], and
/// returns its reply as [`super::call_body`] does.
pub async fn call_packed_body(
    conn: &Connection,
    req: &CallRequest,
    body: &[u8],
) -> Result<BodyReply> {
    BodyReply::new(packed_reply(conn, req, body).await?)
}

/// The reply message of a packed call (None: a `no_reply` call).
async fn packed_reply(
    conn: &Connection,
    req: &CallRequest,
    body: &[u8],
) -> Result<Option<Message>> {
    conn.check_usable()?;
    validate_names(req)?;
    let timeout: Duration = req.timeout.unwrap_or_else(|| conn.default_timeout());
    let deadline = tokio::time::Instant::now() + timeout;
    if !conn.sends_direct() {
        let msg = build_packed_call(req, body)?;
        return send_call(conn, req, &msg, deadline, timeout).await;
    }
    // On the library's socket the message goes out as the bytes written here.
    let bytes = build_packed_bytes(req, body)?;
    if req.no_reply {
        conn.send_direct(&bytes).await?;
        return Ok(None);
    }
    let pending = conn
        .start_call_direct(message::serial_of(&bytes), &bytes)
        .await?;
    drop(bytes);
    pending.reply(deadline, timeout).await.map(Some)
}

/// [`CallRequest::parse`] of `text`, kept for the next call of this thread: the request of a
/// packed call holds no arguments, so a program that calls one method again and again sends the
/// same text every time, and it is read once.
pub fn parse_packed_request(text: &str) -> Result<Rc<CallRequest>> {
    thread_local! {
        static LAST: RefCell<Option<(Box<str>, Rc<CallRequest>)>> = const { RefCell::new(None) };
    }
    let cached = LAST.with(|l| {
        l.borrow()
            .as_ref()
            .filter(|(last, _)| **last == *text)
            .map(|(_, req)| Rc::clone(req))
    });
    if let Some(req) = cached {
        return Ok(req);
    }
    let req = Rc::new(CallRequest::parse(text)?);
    LAST.with(|l| *l.borrow_mut() = Some((text.into(), Rc::clone(&req))));
    Ok(req)
}
