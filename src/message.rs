//! Building messages from JSON bodies and reading received ones back as JSON. Every message
//! the library builds is built here: method calls ([`method_call`], header written by this
//! module), method returns ([`method_return`]), error replies ([`error_reply`]) and signals
//! ([`signal`]).
//!
//! zbus parses a body signature of `si` and of `(si)` to the same `Signature`, so the exact body
//! signature of a received message is read here from the raw header bytes, and an outgoing
//! body's signature is built so that the header carries exactly the string the caller meant.

use serde_json::Value;
use zbus::Message;
use zbus::message::Builder;

use crate::error::{Error, Result};
use crate::json::{self, Body, DecodeOptions, EncodeOptions, ReceivedFds};
use crate::signature::Type;

/// Field code of the SIGNATURE header field.
const FIELD_SIGNATURE: u8 = 8;

/// Field code of the UNIX_FDS header field.
const FIELD_UNIX_FDS: u8 = 9;

/// The exact body signature of a received message, read from its raw header.
pub fn body_signature(msg: &Message) -> Result<String> {
    raw_body_signature(msg.data().bytes())
}

/// The `u32` at `offset` of `bytes` in the given byte order; None past the end.
pub fn u32_at(bytes: &[u8], offset: usize, big_endian: bool) -> Option<u32> {
    let b: [u8; 4] = bytes.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

/// Reads the SIGNATURE header field from the raw bytes of a whole message.
pub fn raw_body_signature(bytes: &[u8]) -> Result<String> {
    let bad = |what: &str| Error::invalid_message(format!("malformed message header: {what}"));
    let big = match bytes.first() {
        Some(b'l') => false,
        Some(b'B') => true,
        _ => return Err(bad("unknown endianness")),
    };
    let fields_len = u32_at(bytes, 12, big).ok_or_else(|| bad("truncated"))? as usize;
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
                let len = u32_at(bytes, pos, big).ok_or_else(|| bad("truncated"))? as usize;
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

/// The length of the message that `bytes` starts with (`bytes` being what a connection receives
/// after authentication), read from its primary header as zbus' socket reader reads it before
/// it allocates the message (the library's socket frames with it): None while the 16 bytes of
/// the primary header are not all there; the errors zbus' reader gives for an unknown
/// endianness byte and for a length over [`crate::limits::MAX_MESSAGE_LEN`].
pub fn frame_len(bytes: &[u8]) -> zbus::Result<Option<usize>> {
    const PRIMARY: usize = 16;
    if bytes.len() < PRIMARY {
        return Ok(None);
    }
    let big = match bytes[0] {
        b'l' => false,
        b'B' => true,
        _ => return Err(zbus::Error::IncorrectEndian),
    };
    let word = |at| u64::from(u32_at(bytes, at, big).unwrap_or(0));
    let header = PRIMARY as u64 + word(12);
    let total = header + (header.wrapping_neg() & 7) + word(4);
    if total > crate::limits::MAX_MESSAGE_LEN as u64 {
        return Err(zbus::Error::ExcessData);
    }
    Ok(Some(total as usize))
}

/// A received message from its bytes (one whole message, as [`frame_len`] cut it), checked as
/// zbus' socket reader checks every message it reads: the primary header, every header field,
/// the fields its type requires, the protocol version, the padding before the body.
pub fn parse_received(bytes: Vec<u8>) -> Result<Message> {
    let endian = match bytes.first() {
        Some(b'B') => zbus::wire::Endian::Big,
        _ => zbus::wire::Endian::Little,
    };
    let data =
        zbus::wire::serialized::Data::new(bytes, zbus::wire::serialized::Context::new(endian, 0));
    // SAFETY: `from_bytes` checks the header as the socket reader does; the body is only ever
    // read by this library's own decoder, which checks every byte.
    unsafe { Message::from_bytes(data) }
        .map_err(|e| Error::invalid_message(format!("malformed message: {e}")))
}

/// Whether a received message is big-endian.
pub fn is_big_endian(msg: &Message) -> bool {
    msg.data().bytes().first() == Some(&b'B')
}

/// What becomes of the `h` values of a received message that is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fds {
    /// Each is duplicated and the duplicate's number written: the receiver of the decoded
    /// values owns it (and on an error, nobody does: the duplicates are closed).
    Give,
    /// The wire index is written: for looking into a body (matching, tracing), never for output.
    Index,
}

impl Fds {
    fn of(self, msg: &Message) -> ReceivedFds<'_> {
        use std::os::fd::AsFd;
        match self {
            Fds::Give => {
                ReceivedFds::duplicating(msg.data().fds().iter().map(AsFd::as_fd).collect())
            }
            Fds::Index => ReceivedFds::indexes(),
        }
    }
}

/// Runs `decode` with the message's descriptors as `fds` says; on success the duplicates are
/// handed over.
fn with_fds<T>(
    msg: &Message,
    fds: Fds,
    decode: impl FnOnce(&mut ReceivedFds<'_>) -> Result<T>,
) -> Result<T> {
    let mut received = fds.of(msg);
    let out = decode(&mut received)?;
    received.release();
    Ok(out)
}

/// The body of a received message as the JSON array of its arguments, written into `out`.
pub fn body_json_into(
    msg: &Message,
    opts: DecodeOptions,
    fds: Fds,
    out: &mut String,
) -> Result<String> {
    let sig = body_signature(msg)?;
    body_json_append(msg, &sig, opts, fds, out)?;
    Ok(sig)
}

/// The body of a received message whose signature `sig` was read with [`body_signature`], as
/// the JSON array of its arguments appended to `out` (left as it was on error).
pub fn body_json_append(
    msg: &Message,
    sig: &str,
    opts: DecodeOptions,
    fds: Fds,
    out: &mut String,
) -> Result<()> {
    let body = msg.body();
    with_fds(msg, fds, |received| {
        json::decode_body_to_string_with_fds(
            sig,
            body.data().bytes(),
            is_big_endian(msg),
            opts,
            received,
            out,
        )
    })
}

/// As [`body_json_append`] with [`Fds::Give`], but the receiver's duplicates stay owned here
/// and are returned: the text goes to its receiver later, with them
/// ([`crate::json::fds::release`]), or never, and then they close.
pub fn body_json_append_held(
    msg: &Message,
    sig: &str,
    opts: DecodeOptions,
    out: &mut String,
) -> Result<Vec<std::os::fd::OwnedFd>> {
    let body = msg.body();
    let mut received = Fds::Give.of(msg);
    json::decode_body_to_string_with_fds(
        sig,
        body.data().bytes(),
        is_big_endian(msg),
        opts,
        &mut received,
        out,
    )?;
    Ok(received.into_owned())
}

/// The values of a received message's body as the text of PHP's `serialize()` of their list
/// ([`json::decode_body_php`], `packed` as there); `sig` is the body signature read already.
/// Descriptors (`h`) are the receiver's.
pub fn body_php(msg: &Message, sig: &str, packed: bool) -> Result<Vec<u8>> {
    let body = msg.body();
    with_fds(msg, Fds::Give, |received| {
        json::decode_body_php(
            sig,
            body.data().bytes(),
            is_big_endian(msg),
            packed,
            received,
        )
    })
}

/// The body of a received message as a JSON array value.
pub fn body_value(msg: &Message, opts: DecodeOptions, fds: Fds) -> Result<(String, Value)> {
    let sig = body_signature(msg)?;
    let body = msg.body();
    let v = with_fds(msg, fds, |received| {
        json::decode_body_with_fds(
            &sig,
            body.data().bytes(),
            is_big_endian(msg),
            opts,
            received,
        )
    })?;
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

/// Serials of the method calls this module writes: the upper half of the range, so they never
/// meet the serials zbus gives the messages it builds (a process-wide counter from 1).
static CALL_SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0x8000_0000);

fn next_call_serial() -> u32 {
    loop {
        let s = CALL_SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if s >= 0x8000_0000 {
            return s;
        }
        // Wrapped past u32::MAX into zbus' half: start the upper half again.
        let _ = CALL_SERIAL.compare_exchange(
            s.wrapping_add(1),
            0x8000_0000,
            std::sync::atomic::Ordering::Relaxed,
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

/// The parts of a method call's header.
pub struct CallHeader<'a> {
    pub destination: Option<&'a str>,
    pub path: &'a str,
    pub interface: Option<&'a str>,
    pub member: &'a str,
    pub no_reply: bool,
    /// Further header flags ([`NO_AUTO_START`], [`ALLOW_INTERACTIVE_AUTHORIZATION`]).
    pub flags: u8,
}

/// Header flag: do not start the destination through service activation (the bus answers
/// `ServiceUnknown` when nobody owns the name).
pub const NO_AUTO_START: u8 = 0x2;
/// Header flag: the caller is prepared to wait for an interactive authorization prompt.
pub const ALLOW_INTERACTIVE_AUTHORIZATION: u8 = 0x4;

/// Builds a method call whose header this module writes itself (little endian), around a body
/// from our encoder: zbus' generic header serializer costs about a quarter of a small call.
/// The names must have been validated (`crate::call::validate_names`); zbus parses the result
/// again as it does every received message, so a malformed header is an error, not a message.
pub fn method_call(
    header: &CallHeader<'_>,
    types: &[Type],
    args: &[Value],
    opts: EncodeOptions,
) -> Result<Message> {
    method_call_with(header, types, |buf| {
        json::encode_body_into(types, args, opts, buf)
    })
}

/// Builds a method call, as [`method_call`] does, with the body that `encode` appends to the
/// header it is given (8-aligned, so the body's alignment is the same as from offset 0): one
/// buffer for the whole message, with no copy of a large body.
pub fn method_call_with(
    header: &CallHeader<'_>,
    types: &[Type],
    encode: impl FnOnce(Vec<u8>) -> Result<Body>,
) -> Result<Message> {
    let Body { bytes, fds } = method_call_bytes(header, types, encode)?;
    let data = zbus::wire::serialized::Data::new_fds(
        bytes,
        zbus::wire::serialized::Context::new(zbus::wire::Endian::Little, 0),
        fds,
    );
    // SAFETY: the bytes are a complete method call written by method_call_bytes; zbus checks
    // the header as it parses it, and the body came from our encoder for exactly the signature
    // in the header.
    unsafe { Message::from_bytes(data) }
        .map_err(|e| Error::invalid_request(format!("cannot build the message: {e}")))
}

/// [`method_call_with`]'s message as its bytes (a complete little-endian message, its serial at
/// offset 8) and descriptors, without the zbus `Message` (see [`serial_of`]).
pub fn method_call_bytes(
    header: &CallHeader<'_>,
    types: &[Type],
    encode: impl FnOnce(Vec<u8>) -> Result<Body>,
) -> Result<Body> {
    let mut sig = String::new();
    for t in types {
        t.write_signature(&mut sig);
    }
    if sig.len() > 255 {
        // The encoder's own error about the arguments, if they have one, comes first.
        encode(Vec::new())?;
        return Err(Error::limit("the body signature is longer than 255 bytes"));
    }
    let mut m: Vec<u8> = Vec::with_capacity(256);
    m.extend_from_slice(&[b'l', 1, u8::from(header.no_reply) | header.flags, 1]);
    m.extend_from_slice(&[0; 4]); // body length, written below
    m.extend_from_slice(&next_call_serial().to_le_bytes());
    m.extend_from_slice(&[0; 4]); // header fields length, written below
    fn pad(m: &mut Vec<u8>, to: usize) {
        while !m.len().is_multiple_of(to) {
            m.push(0);
        }
    }
    fn string_field(m: &mut Vec<u8>, code: u8, ty: u8, value: &str) {
        pad(m, 8);
        m.extend_from_slice(&[code, 1, ty, 0]);
        m.extend_from_slice(&(value.len() as u32).to_le_bytes());
        m.extend_from_slice(value.as_bytes());
        m.push(0);
    }
    string_field(&mut m, 1, b'o', header.path);
    if let Some(i) = header.interface {
        string_field(&mut m, 2, b's', i);
    }
    string_field(&mut m, 3, b's', header.member);
    if let Some(d) = header.destination {
        string_field(&mut m, 6, b's', d);
    }
    if !sig.is_empty() {
        pad(&mut m, 8);
        m.extend_from_slice(&[FIELD_SIGNATURE, 1, b'g', 0, sig.len() as u8]);
        m.extend_from_slice(sig.as_bytes());
        m.push(0);
    }
    let fields_len = (m.len() - 16) as u32;
    m[12..16].copy_from_slice(&fields_len.to_le_bytes());
    pad(&mut m, 8);
    let mut body_start = m.len();
    let Body { bytes: mut m, fds } = encode(m)?;
    if !fds.is_empty() {
        // The UNIX_FDS field goes after the others, which moves the body: only calls that carry
        // descriptors pay for that copy.
        let body = m.split_off(body_start);
        m.truncate(16 + fields_len as usize);
        pad(&mut m, 8);
        m.extend_from_slice(&[FIELD_UNIX_FDS, 1, b'u', 0]);
        m.extend_from_slice(&(fds.len() as u32).to_le_bytes());
        let fields_len = (m.len() - 16) as u32;
        m[12..16].copy_from_slice(&fields_len.to_le_bytes());
        pad(&mut m, 8);
        body_start = m.len();
        m.extend_from_slice(&body);
    }
    if m.len() > crate::signature::MAX_MESSAGE_LEN {
        return Err(Error::limit(
            "the message exceeds the D-Bus maximum message size (128 MiB)",
        ));
    }
    let body_len =
        u32::try_from(m.len() - body_start).map_err(|_| Error::limit("the body exceeds 4 GiB"))?;
    m[4..8].copy_from_slice(&body_len.to_le_bytes());
    Ok(Body { bytes: m, fds })
}

/// The serial of a message written by [`method_call_bytes`].
pub fn serial_of(message: &[u8]) -> u32 {
    message
        .get(8..12)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

/// A method return to `call` with `args` encoded for `types`.
pub fn method_return(
    call: &Message,
    types: &[Type],
    args: &[Value],
    opts: EncodeOptions,
) -> Result<Message> {
    build_with_body(Message::method_return(&call.header()), types, args, opts)
}

/// A method return to `call` with no values.
pub fn empty_return(call: &Message) -> Result<Message> {
    method_return(call, &[], &[], EncodeOptions::default())
}

/// The error reply `name` to `call`, with `text` as its message.
pub fn error_reply(call: &Message, name: &str, text: &str) -> Result<Message> {
    Message::error(&call.header(), name)
        .build(&(text,))
        .map_err(build_error)
}

/// A signal (unicast to `destination` when given) with `args` encoded for `types`.
pub fn signal(
    destination: Option<&str>,
    path: &str,
    interface: &str,
    member: &str,
    types: &[Type],
    args: &[Value],
    opts: EncodeOptions,
) -> Result<Message> {
    let mut b = Message::signal(path, interface, member);
    if let Some(d) = destination {
        b = b.destination(d);
    }
    build_with_body(b, types, args, opts)
}

/// Finishes `builder` with `args` encoded for `types`.
pub fn build_with_body(
    builder: Builder<'_>,
    types: &[Type],
    args: &[Value],
    opts: EncodeOptions,
) -> Result<Message> {
    let body = json::encode_body_with_fds(types, args, opts)?;
    let sig = zbus_signature(types)?;
    let fds = body.fds.into_iter().map(zbus::OwnedFd::from).collect();
    // SAFETY: the body was produced by our encoder for exactly these types, so it is a valid
    // D-Bus body for the signature written into the header; its `h` values index `fds`.
    unsafe { builder.build_raw_body(&body.bytes, sig, fds) }.map_err(build_error)
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
    let text = match body_value(msg, DecodeOptions::default(), Fds::Index) {
        Ok((sig, Value::Array(items))) if sig.starts_with('s') => match items.first() {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    Error::dbus(name, text)
}
