//! Calls: the generic call (JSON or bytes), `call_many`, properties and introspection.

use std::ffi::c_char;

use super::connection::ConnectionHandle;
use super::{
    Handle, boundary, bytes_into_raw, copy_into, non_null, run, skypebus_connection,
    skypebus_error, str_from_c, write_out, write_string,
};
use crate::call::{self, BytesOrJson, CallRequest};
use crate::error::{Result, skypebus_result};
use crate::introspect::{self, IntrospectRequest};
use crate::property::{self, PropertyRequest};

/// The connection and the parsed request of `skypebus_call` and `skypebus_call_bytes`, with
/// their pointers checked.
fn call_arguments<'a>(
    conn: *const skypebus_connection,
    request_json: *const c_char,
    reply_json_out: *mut *mut c_char,
) -> Result<(&'a ConnectionHandle, CallRequest)> {
    let conn = skypebus_connection::try_ref(conn, "conn")?;
    let text = str_from_c(request_json, "request_json")?;
    non_null(reply_json_out, "reply_json_out")?;
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
    boundary!(err = err, {
        let (conn, req) = call_arguments(conn, request_json, reply_json_out)?;
        let reply = run(&conn.inner, call::call(&conn.inner, &req))??;
        write_string(reply_json_out, reply)?;
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
    boundary!(err = err, {
        non_null(bytes_out, "bytes_out")?;
        non_null(bytes_len_out, "bytes_len_out")?;
        let (conn, req) = call_arguments(conn, request_json, reply_json_out)?;
        match run(&conn.inner, call::call_bytes(&conn.inner, &req))?? {
            BytesOrJson::Bytes(bytes) => {
                let (ptr, len) = bytes_into_raw(bytes);
                write_out(reply_json_out, std::ptr::null_mut());
                write_out(bytes_out, ptr);
                write_out(bytes_len_out, len);
            }
            BytesOrJson::Json(json) => {
                write_string(reply_json_out, json)?;
                write_out(bytes_out, std::ptr::null_mut());
                write_out(bytes_len_out, 0);
            }
        }
        Ok(())
    })
}

/// The forms `skypebus_call_into` writes a reply in (its `format`, a `uint32_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types, dead_code)] // constants for C; the function takes a uint32_t
pub enum skypebus_reply_format {
    /// The reply envelope of `skypebus_call` (type and data), as JSON text.
    SKYPEBUS_REPLY_JSON = 0,
    /// The list of the reply's values as the text of PHP's `serialize()`, which PHP's
    /// `unserialize()` reads: variants unwrapped to their value, `ay` as a binary
    /// string, arrays of numbers as lists, `d` as a float (NAN, INF and -INF included), `t`
    /// above 2^63-1 as a decimal string, dict keys as PHP keys an array (decimal integers as
    /// ints, booleans as 1 and 0, other keys as strings). With the request's `"arrays":
    /// "base64"`, a reply that is exactly one array of `y n q i u x t d` comes instead as `P`,
    /// the element's type code and the elements packed little endian (for `unpack()`; the bytes
    /// of an `ay` as they are). A unix fd
    /// (`h`, a descriptor the caller owns) is an object of the PHP package's class
    /// `SkypeBus\Type\Fd` whose one property `fd` is the number, and a reply with any is marked
    /// with a leading `F` before the text. The request's `variants` and `bytes` options (for the
    /// reply) shape only the JSON format.
    SKYPEBUS_REPLY_PHP = 1,
    /// The reply's body itself, in the D-Bus wire format, for a caller that reads the values
    /// in place, behind a header (offsets in bytes from the start of the reply):
    ///
    /// ```text
    /// 0..4   uint32 LE  B: body length
    /// 4..8   uint32 LE  F: number of unix fds that follow the body
    /// 8      uint8      S: signature length (0..255)
    /// 9..    the body signature (S bytes) and a NUL
    ///        zero padding to a multiple of 8
    ///        the body: B bytes, D-Bus wire format, LITTLE endian, laid out as from an
    ///        8-aligned offset (so a caller whose buffer is 8-aligned can read `ai`/`ad`
    ///        elements in place)
    ///        zero padding to a multiple of 4, then F int32 LE: new descriptors
    ///        (close-on-exec) the caller owns and must close; the body's `h` values are
    ///        indices into them
    /// ```
    ///
    /// The body starts at offset `(9 + S + 1)` rounded up to a multiple of 8. A `no_reply`
    /// call gives B = 0, F = 0, S = 0 (16 bytes, all zero). The body is checked with every rule
    /// the other formats apply before it is handed over (a malformed body from a peer is
    /// `SKYPEBUS_INVALID_MESSAGE`, never passed through; an `h` must index a descriptor that
    /// came with the reply), and a big-endian reply is rewritten little endian. The request's
    /// `variants`, `bytes` and `arrays` options shape only the JSON format.
    SKYPEBUS_REPLY_BODY = 2,
}

/// Calls a D-Bus method like `skypebus_call` and writes the reply in `format`
/// (`SKYPEBUS_REPLY_JSON`, `SKYPEBUS_REPLY_PHP` or `SKYPEBUS_REPLY_BODY`) into memory the caller owns and can reuse
/// call after call: when the reply's `*len_out` bytes fit in the `capacity` bytes at `buf`, they
/// are written there and `*big_out` is set to NULL (the common case: no allocation the caller
/// frees, no second call); otherwise they are written to `*big_out`, a new buffer of `*len_out`
/// bytes the caller frees with `skypebus_bytes_free`, and `buf` is left alone. The reply is not
/// NUL-terminated, and in the PHP and body formats it may contain NUL bytes. For the body
/// format, an 8-aligned `buf` lets the caller read 8-byte values of the body in place.
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
    boundary!(err = err, {
        let format = reply_format(format, buf, capacity, len_out, big_out)?;
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let text = str_from_c(request_json, "request_json")?;
        let req = CallRequest::parse(text)?;
        if format == call::ReplyFormat::Body {
            let reply = run(&conn.inner, call::call_body(&conn.inner, &req))??;
            write_body(reply, buf, capacity, len_out, big_out);
        } else {
            let reply = run(&conn.inner, call::call_into(&conn.inner, &req, format))??;
            write_reply(reply, buf, capacity, len_out, big_out);
        }
        Ok(())
    })
}

/// Checks the reply format and out-parameters of `skypebus_call_into` and
/// `skypebus_call_packed_into`.
fn reply_format(
    format: u32,
    buf: *mut u8,
    capacity: usize,
    len_out: *mut usize,
    big_out: *mut *mut u8,
) -> Result<call::ReplyFormat> {
    non_null(len_out, "len_out")?;
    non_null(big_out, "big_out")?;
    if capacity > 0 {
        non_null(buf, "buf")?;
    }
    match format {
        f if f == skypebus_reply_format::SKYPEBUS_REPLY_JSON as u32 => Ok(call::ReplyFormat::Json),
        f if f == skypebus_reply_format::SKYPEBUS_REPLY_PHP as u32 => Ok(call::ReplyFormat::Php),
        f if f == skypebus_reply_format::SKYPEBUS_REPLY_BODY as u32 => Ok(call::ReplyFormat::Body),
        other => Err(crate::error::Error::invalid_request(format!(
            "reply format {other} is none of SKYPEBUS_REPLY_JSON (0), SKYPEBUS_REPLY_PHP (1) and \
             SKYPEBUS_REPLY_BODY (2)"
        ))),
    }
}

/// Writes a reply into the caller's buffer when it fits, else hands it over in `*big_out`.
fn write_reply(
    reply: Vec<u8>,
    buf: *mut u8,
    capacity: usize,
    len_out: *mut usize,
    big_out: *mut *mut u8,
) {
    let len = reply.len();
    if copy_into(buf, capacity, &reply) {
        write_out(big_out, std::ptr::null_mut());
        crate::spare::give_back(reply);
    } else {
        let (ptr, _) = bytes_into_raw(reply);
        write_out(big_out, ptr);
    }
    write_out(len_out, len);
}

/// Writes a reply in the body format into the caller's buffer when it fits (each byte copied
/// once, from the message), else hands it over in `*big_out`; its descriptors go to the caller.
fn write_body(
    reply: call::BodyReply,
    buf: *mut u8,
    capacity: usize,
    len_out: *mut usize,
    big_out: *mut *mut u8,
) {
    let len = reply.len();
    if len <= capacity {
        let mut at = 0;
        for piece in reply.pieces() {
            // `len` <= `capacity`: every piece fits at its offset.
            copy_into(buf.wrapping_add(at), capacity - at, piece);
            at += piece.len();
        }
        reply.release();
        write_out(big_out, std::ptr::null_mut());
    } else {
        let (ptr, _) = bytes_into_raw(reply.into_vec());
        write_out(big_out, ptr);
    }
    write_out(len_out, len);
}

/// Calls a D-Bus method like `skypebus_call_into`, with the arguments given as the message body
/// itself: `body_len` bytes at `body`, in the D-Bus wire format, little endian, laid out as from
/// an 8-aligned offset, for the request's `signature` (which the request must have; it must
/// have no `args`). No JSON is read or written for the arguments: a binding that can pack
/// values (PHP's `pack()`) sends them as they are.
///
/// The body is checked before anything is sent, with every rule the library applies to a body
/// received from a peer: lengths within their bounds, zero padding, booleans 0 or 1, strings
/// UTF-8 without NUL and NUL-terminated, object paths and signatures valid, variants' types,
/// nesting depth, no duplicate dict key, no trailing bytes. A body that breaks one is refused
/// with nothing sent: a string that is not UTF-8 is `SKYPEBUS_INVALID_UTF8`; a string with a NUL
/// inside, an object path or a signature of the wrong syntax `SKYPEBUS_TYPE_MISMATCH`; a length
/// over a D-Bus maximum `SKYPEBUS_LIMIT_EXCEEDED`; any other fault of the layout
/// `SKYPEBUS_INVALID_REQUEST`. File descriptors (`h`)
/// cannot be given this way (an `h` value is refused as an index out of range): use
/// `skypebus_call_into` for them.
///
/// The request is that of `skypebus_call` without `args`; the reply, the formats, `buf`,
/// `capacity`, `*len_out`, `*big_out` and the errors are those of `skypebus_call_into`. NULL
/// `conn`, `request_json`, `len_out` or `big_out`, or NULL `body` with a `body_len` above 0,
/// gives `SKYPEBUS_NULL_ARGUMENT`. `request_json`, `body` and `buf` are borrowed for the
/// duration of the call (the body is copied into the message once). Thread-safe as
/// `skypebus_call` (each thread with its own `buf`).
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_call_packed_into(
    conn: *const skypebus_connection,
    request_json: *const c_char,
    body: *const c_char,
    body_len: usize,
    format: u32,
    buf: *mut u8,
    capacity: usize,
    len_out: *mut usize,
    big_out: *mut *mut u8,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let format = reply_format(format, buf, capacity, len_out, big_out)?;
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let text = str_from_c(request_json, "request_json")?;
        let body: &[u8] = if body_len == 0 {
            &[]
        } else {
            non_null(body, "body")?;
            // SAFETY: the caller gives `body_len` readable bytes at the non-NULL `body`, which
            // live for the duration of the call.
            unsafe { std::slice::from_raw_parts(body.cast::<u8>(), body_len) }
        };
        let req = call::parse_packed_request(text)?;
        if format == call::ReplyFormat::Body {
            let reply = run(&conn.inner, call::call_packed_body(&conn.inner, &req, body))??;
            write_body(reply, buf, capacity, len_out, big_out);
        } else {
            let reply = run(
                &conn.inner,
                call::call_packed_into(&conn.inner, &req, body, format),
            )??;
            write_reply(reply, buf, capacity, len_out, big_out);
        }
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
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let text = str_from_c(requests_json, "requests_json")?;
        non_null(replies_json_out, "replies_json_out")?;
        let (requests, max) = call::parse_many(text)?;
        let out = run(&conn.inner, call::call_many(&conn.inner, requests, max))??;
        write_string(replies_json_out, out)?;
        Ok(())
    })
}

/// Gets, sets or gets all properties of an object, as described by the JSON text
/// `request_json`: `{"destination", "path", "interface", "op": "get"|"set"|"get_all", "name",
/// "value", "signature", "timeout_ms", "variants", "bytes"}` (see docs/properties.md). Writes the
/// reply envelope to `*reply_out`, a new string the caller frees with `skypebus_string_free`:
/// `get` gives `{"type": "<property type>", "data": value}`, `get_all`
/// `{"type": "a{sv}", "data": {...}}`, `set` `{"type": "", "data": []}`.
///
/// `set` sends the value in a variant of the property's declared type (from the request's
/// `signature`, else the peer's introspection data, else inferred). Errors as `skypebus_call`.
/// Strings are borrowed for the duration of the call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_properties(
    conn: *const skypebus_connection,
    request_json: *const c_char,
    reply_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let text = str_from_c(request_json, "request_json")?;
        non_null(reply_out, "reply_out")?;
        let req = PropertyRequest::parse(text)?;
        let out = run(&conn.inner, property::properties(&conn.inner, &req))??;
        write_string(reply_out, out)?;
        Ok(())
    })
}

/// Introspects an object and writes its interfaces, methods (with in/out signatures and
/// argument names), properties (type, access), signals and child nodes as JSON to `*reply_out`,
/// a new string the caller frees with `skypebus_string_free`. The request is
/// `{"destination": "...", "path": "/...", "timeout_ms": 0}` (`destination` optional on a
/// peer-to-peer connection, `timeout_ms` optional); the schema is in docs/introspection.md.
///
/// The peer is always asked (the answer also refreshes the connection's introspection cache).
/// Strings are borrowed for the duration of the call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_introspect(
    conn: *const skypebus_connection,
    request_json: *const c_char,
    reply_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let text = str_from_c(request_json, "request_json")?;
        non_null(reply_out, "reply_out")?;
        let req = IntrospectRequest::parse(text)?;
        let timeout = req.timeout.unwrap_or_else(|| conn.inner.default_timeout());
        let look = crate::hub::lookup(&conn.inner)?;
        let out = run(
            &conn.inner,
            introspect::introspect_json(&look, req.destination.as_deref(), &req.path, timeout),
        )??;
        write_string(reply_out, out)?;
        Ok(())
    })
}
