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
//! reply), `many` (`call_many`, pipelined), and here the request type and the call itself.

mod many;
mod parse;
mod reply;
mod typing;

pub use many::{DEFAULT_IN_FLIGHT, MAX_IN_FLIGHT, call_many, error_json, parse_many};
pub use reply::reply_envelope;
pub use typing::{ArgumentTypes, SignatureSource, argument_types, build_call};

use reply::envelope;
pub(crate) use typing::argument_types_by;

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
pub fn call(conn: &Connection, req: &CallRequest) -> Result<String> {
    match call_message(conn, req)? {
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
pub fn call_bytes(conn: &Connection, req: &CallRequest) -> Result<BytesOrJson> {
    let Some(reply) = call_message(conn, req)? else {
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
}

/// The empty list in [`ReplyFormat::Php`]: the reply of a `no_reply` call.
const NO_REPLY_PHP: &[u8] = b"a:0:{}";

/// Performs a call and returns the reply in `format`.
pub fn call_into(conn: &Connection, req: &CallRequest, format: ReplyFormat) -> Result<Vec<u8>> {
    if format == ReplyFormat::Json {
        return call(conn, req).map(String::into_bytes);
    }
    let Some(reply) = call_message(conn, req)? else {
        return Ok(NO_REPLY_PHP.to_vec());
    };
    if reply.message_type() == MsgType::Error {
        return Err(message::error_from_reply(&reply));
    }
    message::body_php(&reply, &message::body_signature(&reply)?, req.arrays_base64)
}

/// Performs a call and returns its reply message (`None` for a `no_reply` call).
fn call_message(conn: &Connection, req: &CallRequest) -> Result<Option<Message>> {
    conn.check_usable()?;
    validate_names(req)?;
    let timeout = req.timeout.unwrap_or_else(|| conn.default_timeout());
    let reply = conn.process().block_on(async {
        let deadline = tokio::time::Instant::now() + timeout;
        let types = argument_types_by(conn, req, deadline, timeout).await?;
        let msg = build_call(req, &types)?;
        typing::check_fd_passing(conn, req, &types, &msg)?;
        if req.no_reply {
            conn.send(&msg).await?;
            return Ok(None);
        }
        conn.start_call(&msg)
            .await?
            .reply(deadline, timeout)
            .await
            .map(Some)
    })?;
    Ok(reply)
}

// ---------------------------------------------------------------------------------------------
// C ABI

use std::ffi::c_char;

use crate::connection::skypebus_connection;
use crate::error::{skypebus_error, skypebus_result};
use crate::ffi::{self, ffi_boundary};

/// The connection and the parsed request of `skypebus_call` and `skypebus_call_bytes`, with
/// their pointers checked.
fn call_arguments<'a>(
    conn: *const skypebus_connection,
    request_json: *const c_char,
    reply_json_out: *mut *mut c_char,
) -> Result<(&'a skypebus_connection, CallRequest)> {
    let conn = ffi::try_ref(conn, "conn")?;
    let text = crate::error::str_from_c(request_json, "request_json")?;
    ffi::non_null(reply_json_out, "reply_json_out")?;
    Ok((conn, CallRequest::parse(text)?))
}

/// Calls a D-Bus method described by the JSON text `request_json` and writes the reply envelope
/// `{"type": "<body signature>", "data": [...]}` to `*reply_json_out`, a new string the caller
/// frees with `skypebus_string_free`.
///
/// The request is an object with `path` and `method` and optionally `destination`,
/// `interface`, `signature`, `args` (array), `timeout_ms` (0 = the connection's default,
/// otherwise 1 to 2147483647), `variants` (`"typed"`), `no_reply` (bool), `no_auto_start`
/// (bool: the bus must not start the destination through service activation),
/// `allow_interactive_authorization` (bool: the caller can wait for an authorization prompt),
/// `bytes` (`"base64"`) and `arrays` (`"base64"`: reply arrays of `n q i u x t d` as base64 of
/// their packed little-endian elements); any other key or option value is an error. A
/// `no_reply` call returns as soon as the message is sent, with the reply
/// `{"type":"","data":[]}`. See docs/mapping.md for values.
///
/// **File descriptors** (`h`, docs/fds.md): an `h` argument is the number of an open descriptor
/// that the caller keeps (the library sends a duplicate); an `h` in the reply is a new
/// descriptor (close-on-exec) that the caller owns and must `close()`. On a connection that
/// cannot pass descriptors (`tcp:`, or a bus that refused `NEGOTIATE_UNIX_FD`), a call with `h`
/// arguments, or without a signature whose reply the peer's introspection data types with `h`,
/// fails before it is sent with `SKYPEBUS_NOT_SUPPORTED`, name
/// `net.skypebus.Error.FdPassingUnsupported`.
///
/// A D-Bus error reply gives `SKYPEBUS_DBUS_ERROR` with its exact name and message; no reply in
/// time gives `SKYPEBUS_TIMEOUT` (name `org.freedesktop.DBus.Error.NoReply`). The strings are
/// borrowed for the duration of the call. Thread-safe: several threads may call at once on one
/// connection.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_call(
    conn: *const skypebus_connection,
    request_json: *const c_char,
    reply_json_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let (conn, req) = call_arguments(conn, request_json, reply_json_out)?;
        let reply = call(&conn.inner, &req)?;
        ffi::write_out(reply_json_out, ffi::c_string(reply)?);
        Ok(())
    })
}

/// Like `skypebus_call`, with a binary side path for byte strings: when the reply's body is
/// exactly one byte array (signature `ay`), its bytes are written raw to `*bytes_out` (a new
/// buffer of `*bytes_len_out` bytes, never NULL, which the caller frees with
/// `skypebus_bytes_free`) and `*reply_json_out` is set to NULL; any other reply (a `no_reply`
/// call's too) is written to `*reply_json_out` exactly as `skypebus_call` writes it, with
/// `*bytes_out` set to NULL and `*bytes_len_out` to 0. A megabyte comes back as itself, not as
/// a JSON string of base64 to be copied and decoded again.
///
/// The request is that of `skypebus_call`; errors are those of `skypebus_call`, and on error
/// nothing is written to the three out-parameters. NULL `conn`, `request_json` or any out
/// pointer gives `SKYPEBUS_NULL_ARGUMENT`. The strings are borrowed for the duration of the call.
/// Thread-safe as `skypebus_call`.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_call_bytes(
    conn: *const skypebus_connection,
    request_json: *const c_char,
    reply_json_out: *mut *mut c_char,
    bytes_out: *mut *mut u8,
    bytes_len_out: *mut usize,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        ffi::non_null(bytes_out, "bytes_out")?;
        ffi::non_null(bytes_len_out, "bytes_len_out")?;
        let (conn, req) = call_arguments(conn, request_json, reply_json_out)?;
        match call_bytes(&conn.inner, &req)? {
            BytesOrJson::Bytes(bytes) => {
                let (ptr, len) = ffi::bytes_into_raw(bytes);
                ffi::write_out(reply_json_out, std::ptr::null_mut());
                ffi::write_out(bytes_out, ptr);
                ffi::write_out(bytes_len_out, len);
            }
            BytesOrJson::Json(json) => {
                ffi::write_out(reply_json_out, ffi::c_string(json)?);
                ffi::write_out(bytes_out, std::ptr::null_mut());
                ffi::write_out(bytes_len_out, 0);
            }
        }
        Ok(())
    })
}

/// The forms `skypebus_call_into` writes a reply in (its `format`, a `uint32_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum skypebus_reply_format {
    /// The reply envelope of `skypebus_call` (type and data), as JSON text.
    SKYPEBUS_REPLY_JSON = 0,
    /// The list of the reply's values as the text of PHP's `serialize()`, which PHP's
    /// `unserialize()` reads: variants unwrapped to their value, `ay` as a binary
    /// string, arrays of numbers as lists, `d` as a float (NAN, INF and -INF included), `t`
    /// above 2^63-1 as a decimal string, dict keys as PHP keys an array (decimal integers as
    /// ints, booleans as 1 and 0, other keys as strings). With the request's `"arrays":
    /// "base64"`, a reply that is exactly one array of `n q i u x t d` comes instead as `P`, the
    /// element's type code and the elements packed little endian (for `unpack()`). The
    /// request's `variants` and `bytes` options (for the reply) shape only the JSON format.
    SKYPEBUS_REPLY_PHP = 1,
}

/// Calls a D-Bus method like `skypebus_call` and writes the reply in `format`
/// (`SKYPEBUS_REPLY_JSON` or `SKYPEBUS_REPLY_PHP`) into memory the caller owns and can reuse
/// call after call: when the reply's `*len_out` bytes fit in the `capacity` bytes at `buf`, they
/// are written there and `*big_out` is set to NULL (the common case: no allocation the caller
/// frees, no second call); otherwise they are written to `*big_out`, a new buffer of `*len_out`
/// bytes the caller frees with `skypebus_bytes_free`, and `buf` is left alone. The reply is not
/// NUL-terminated, and in the PHP format it may contain NUL bytes.
///
/// The request is that of `skypebus_call`, and so are the errors; another `format` is
/// `SKYPEBUS_INVALID_REQUEST`. On error nothing is written to `buf`, `*len_out` or `*big_out`,
/// and `*err` is written as usual (success never touches `*err`). NULL `conn`, `request_json`,
/// `len_out` or `big_out` gives `SKYPEBUS_NULL_ARGUMENT`; `buf` may be NULL when `capacity` is
/// 0. `request_json` and `buf` are borrowed for the duration of the call. Thread-safe as
/// `skypebus_call` (each thread with its own `buf`).
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_call_into(
    conn: *const skypebus_connection,
    request_json: *const c_char,
    format: u32,
    buf: *mut u8,
    capacity: usize,
    len_out: *mut usize,
    big_out: *mut *mut u8,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        ffi::non_null(len_out, "len_out")?;
        ffi::non_null(big_out, "big_out")?;
        if capacity > 0 {
            ffi::non_null(buf, "buf")?;
        }
        let format = match format {
            f if f == skypebus_reply_format::SKYPEBUS_REPLY_JSON as u32 => ReplyFormat::Json,
            f if f == skypebus_reply_format::SKYPEBUS_REPLY_PHP as u32 => ReplyFormat::Php,
            other => {
                return Err(Error::invalid_request(format!(
                    "reply format {other} is neither SKYPEBUS_REPLY_JSON (0) nor SKYPEBUS_REPLY_PHP (1)"
                )));
            }
        };
        let conn = ffi::try_ref(conn, "conn")?;
        let text = crate::error::str_from_c(request_json, "request_json")?;
        let reply = call_into(&conn.inner, &CallRequest::parse(text)?, format)?;
        let len = reply.len();
        if ffi::copy_into(buf, capacity, &reply) {
            ffi::write_out(big_out, std::ptr::null_mut());
        } else {
            let (ptr, _) = ffi::bytes_into_raw(reply);
            ffi::write_out(big_out, ptr);
        }
        ffi::write_out(len_out, len);
        Ok(())
    })
}

/// Performs many calls, pipelined: up to 64 (or `max_in_flight`) are in flight at once, each with
/// its own timeout. `requests_json` is a JSON array of call requests (each as for
/// `skypebus_call`), or `{"requests": [...], "max_in_flight": N}` with N from 1 to 1024. Writes
/// to `*replies_json_out` a JSON array with one entry per request, in order: the reply envelope,
/// or `{"error": {"code": <skypebus_result>, "name": "...", "message": "..."}}`. A failed entry
/// never fails the whole call; only a malformed batch (not an array, bad `max_in_flight`), NULL
/// arguments or a closed connection do.
///
/// The string is freed with `skypebus_string_free`. Strings are borrowed for the duration of the
/// call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_call_many(
    conn: *const skypebus_connection,
    requests_json: *const c_char,
    replies_json_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let text = crate::error::str_from_c(requests_json, "requests_json")?;
        ffi::non_null(replies_json_out, "replies_json_out")?;
        let (requests, max) = parse_many(text)?;
        let out = call_many(&conn.inner, requests, max)?;
        ffi::write_out(replies_json_out, ffi::c_string(out)?);
        Ok(())
    })
}
