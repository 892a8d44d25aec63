//! The reply format `SKYPEBUS_REPLY_BODY` (`ReplyFormat::Body`, `call::call_body`,
//! `call::call_packed_body`): the reply's body itself behind a header of its length, descriptor
//! count and signature. Against a dbusmock echo (little endian), a GDBus echo that answers big
//! endian (`tests/support/gdbus_echo.py --big-endian`), a GDBus service that hands out descriptors and
//! the scripted hostile peer; the split between the caller's buffer and `big_out` through the
//! C functions themselves.

mod support;

use std::ffi::{CString, c_char};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use serde_json::{Value, json};
use skypebus::call::{
    BodyReply, CallRequest, ReplyFormat, call_body, call_into, call_packed_body, call_packed_into,
};
use skypebus::connection::{Connection, Target};
use skypebus::error::Kind;
use skypebus::json::{DecodeOptions, EncodeOptions, decode_body, encode_body};
use skypebus::signature::parse_signature;
use support::hostile::HostilePeer;
use support::{
    Block, PYTHON, PrivateBus, Transport, add_echo, basic_type_cases, call_json, repo_root,
};

const NAME: &str = "net.skypebus.Body";
const PATH: &str = "/net/skypebus/Body";
const IFACE: &str = "net.skypebus.Body";
const BIG: &str = "net.skypebus.BigEndian";
const FDS: &str = "net.skypebus.Fds";

/// A reply in the body format, taken apart, every byte of its layout checked: the header, the
/// zero padding, the body at an 8-aligned offset, the descriptors after 4-aligned padding.
#[derive(Debug)]
struct Parsed {
    sig: String,
    body: Vec<u8>,
    fds: Vec<i32>,
}

fn parse(reply: &[u8]) -> Parsed {
    let word = |at: usize| u32::from_le_bytes(reply[at..at + 4].try_into().unwrap()) as usize;
    let (b, f, s) = (word(0), word(4), usize::from(reply[8]));
    let sig = std::str::from_utf8(&reply[9..9 + s]).unwrap().to_owned();
    assert_eq!(reply[9 + s], 0, "the signature's NUL");
    let body_at = (9 + s + 1).next_multiple_of(8);
    assert!(
        reply[9 + s..body_at].iter().all(|&x| x == 0),
        "header padding"
    );
    let body = reply[body_at..body_at + b].to_vec();
    let fds_at = (body_at + b).next_multiple_of(4);
    assert!(
        reply[body_at + b..fds_at].iter().all(|&x| x == 0),
        "padding"
    );
    assert_eq!(reply.len(), fds_at + 4 * f, "length of {sig}");
    let fds = (0..f)
        .map(|i| word(fds_at + 4 * i) as i32)
        .collect::<Vec<_>>();
    Parsed { sig, body, fds }
}

/// The values of a parsed reply as the JSON path writes them (typed variants).
fn values(p: &Parsed) -> Value {
    let opts = DecodeOptions {
        typed_variants: true,
        ..DecodeOptions::default()
    };
    decode_body(&p.sig, &p.body, false, opts).unwrap()
}

fn request(dest: &str, method: &str, sig: &str) -> CallRequest {
    CallRequest::from_value(
        json!({"destination": dest, "path": PATH, "interface": IFACE,
        "method": method, "signature": sig}),
    )
    .unwrap()
}

fn body_of(sig: &str, args: &Value) -> Vec<u8> {
    let types = parse_signature(sig).unwrap();
    encode_body(&types, args.as_array().unwrap(), EncodeOptions::default()).unwrap()
}

fn packed_body(conn: &Connection, dest: &str, method: &str, sig: &str, body: &[u8]) -> Parsed {
    let reply = call_packed_into(conn, &request(dest, method, sig), body, ReplyFormat::Body)
        .block()
        .unwrap_or_else(|e| panic!("{sig}: {e}"));
    parse(&reply)
}

/// The cases both echoes get: every basic type, and the containers the bench and PHP use.
fn cases() -> Vec<(&'static str, Value)> {
    let mut cases = basic_type_cases();
    cases.extend([
        ("", json!([])),
        ("s", json!(["Hello from the skypebus bench"])),
        ("ai", json!([[0, 1, -2, 2147483647, i32::MIN]])),
        ("ay", json!([{"type": "ay", "data": [0, 1, 2, 254, 255]}])),
        ("ad", json!([[0.5, -1e300, 3.25]])),
        ("an", json!([[1, -2, 3]])),
        ("aq", json!([[1, 65535]])),
        ("ax", json!([[i64::MIN, 0, i64::MAX]])),
        ("at", json!([[0, u64::MAX]])),
        ("ab", json!([[true, false, true]])),
        ("as", json!([["a", "", "ü"]])),
        ("ybnqiuxtdsog", json!([1, false, -2, 3, -4, 5, -6, 7, 8.25, "s", "/o", "g"])),
        (
            "a{sv}",
            json!([{"k": {"type": "i", "data": 1}, "l": {"type": "s", "data": "v"},
                    "m": {"type": "ad", "data": [1.5]}, "n": {"type": "v", "data": {"type": "x", "data": -9}}}]),
        ),
        ("a{iq}", json!([{"1": 2, "-3": 4}])),
        (
            "(sa{sv}as)",
            json!([["bench-struct", {"key00": {"type": "s", "data": "value 00"},
                    "key01": {"type": "i", "data": 1}}, ["item0", "item1"]]]),
        ),
        ("(is)a(yd)", json!([[1, "x"], [[1, 0.5], [2, 1.5]]])),
    ]);
    cases
}

fn echo_bus() -> (PrivateBus, Connection) {
    let mut bus = PrivateBus::start();
    bus.start_dbusmock(NAME, PATH, IFACE);
    let script = repo_root().join("tests/support/gdbus_echo.py");
    bus.spawn(PYTHON, &[script.to_str().unwrap(), BIG, "--big-endian"]);
    bus.wait_for_name(BIG);
    let conn = bus.connect();
    (bus, conn)
}

/// A little-endian reply comes as the peer sent it: the dbusmock echo's reply (the wire
/// signature it received, then the values) is exactly the body of those values, and reads back
/// as the JSON format's values; the packed and JSON requests, the buffer and the Rust value
/// agree.
#[test]
fn little_endian_bodies_come_as_sent() {
    let (_bus, conn) = echo_bus();
    // (The mock cannot echo an empty body: its reply would be one string, not a list.)
    for (i, (sig, args)) in cases()
        .iter()
        .enumerate()
        .filter(|(_, (s, _))| !s.is_empty())
    {
        let method = format!("Echo{i}");
        add_echo(&conn, NAME, PATH, IFACE, &method, sig);
        let p = packed_body(&conn, NAME, &method, sig, &body_of(sig, args));
        let reply_sig = format!("s{sig}");
        assert_eq!(p.sig, reply_sig);
        assert!(p.fds.is_empty());
        let mut expected = vec![json!(sig)];
        expected.extend(args.as_array().unwrap().iter().cloned());
        assert_eq!(p.body, body_of(&reply_sig, &json!(expected)), "{sig}");
        let json_reply = call_json(
            &conn,
            json!({"destination": NAME, "path": PATH, "interface": IFACE, "method": method,
                   "signature": sig, "args": args, "variants": "typed"}),
        )
        .unwrap();
        assert_eq!(values(&p), json_reply["data"], "{sig}");
        // The JSON request, the unwritten reply and its Vec give the same bytes.
        let with_args = CallRequest::from_value(json!({"destination": NAME, "path": PATH,
            "interface": IFACE, "method": method, "signature": sig, "args": args}))
        .unwrap();
        let from_json = call_into(&conn, &with_args, ReplyFormat::Body)
            .block()
            .unwrap();
        assert_eq!(parse(&from_json).body, p.body, "{sig}");
        let unwritten: BodyReply = call_body(&conn, &with_args).block().unwrap();
        assert_eq!(unwritten.len(), from_json.len());
        assert_eq!(unwritten.pieces().concat(), from_json);
    }
}

/// A big-endian reply (GDBus with the big-endian byte order) comes rewritten little endian: the
/// echo of a packed body is that body, byte for byte.
#[test]
fn big_endian_replies_come_little_endian() {
    let (_bus, conn) = echo_bus();
    for (sig, args) in cases() {
        let body = body_of(sig, &args);
        let p = packed_body(&conn, BIG, "Echo", sig, &body);
        assert_eq!(p.sig, sig);
        assert_eq!(p.body, body, "{sig}");
    }
    // A megabyte of ai and of ay.
    let ints: Vec<i32> = (0..250_000).map(|i| i * 7 - 1_000_000).collect();
    let mut body = ((ints.len() * 4) as u32).to_le_bytes().to_vec();
    for v in &ints {
        body.extend_from_slice(&v.to_le_bytes());
    }
    assert_eq!(packed_body(&conn, BIG, "Echo", "ai", &body).body, body);
    let mut bytes = (1u32 << 20).to_le_bytes().to_vec();
    bytes.extend((0..1 << 20).map(|i| (i % 251) as u8));
    assert_eq!(packed_body(&conn, BIG, "Echo", "ay", &bytes).body, bytes);
}

/// Owns a descriptor number the library handed out, checking it is open and close-on-exec.
fn own(fd: i32) -> OwnedFd {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert_eq!(flags, libc::FD_CLOEXEC, "descriptor {fd}");
    // SAFETY: the library handed the descriptor to the caller, which is this test.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn read_all(fd: &OwnedFd) -> String {
    let file = std::fs::File::from(fd.try_clone().unwrap());
    use std::io::{Read, Seek};
    let mut file = file;
    file.seek(std::io::SeekFrom::Start(0)).unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

/// `h` values are indices into the descriptors after the body, new ones the caller owns: from
/// a GDBus service that opens a file, and from the big-endian echo, which sends back the ones it
/// got.
#[test]
fn descriptors_follow_the_body() {
    let (mut bus, conn) = echo_bus();
    let script = repo_root().join("tests/support/fd_service.py");
    bus.spawn(PYTHON, &[script.to_str().unwrap(), FDS]);
    bus.wait_for_name(FDS);
    let open = CallRequest::from_value(json!({"destination": FDS, "path": "/net/skypebus/Fds",
        "interface": FDS, "method": "OpenFd", "signature": "s"}))
    .unwrap();
    let text = "in a file";
    let mut arg = (text.len() as u32).to_le_bytes().to_vec();
    arg.extend_from_slice(text.as_bytes());
    arg.push(0);
    let p = parse(
        &call_packed_into(&conn, &open, &arg, ReplyFormat::Body)
            .block()
            .unwrap(),
    );
    assert_eq!(
        (p.sig.as_str(), p.body.as_slice()),
        ("h", &[0u8, 0, 0, 0][..])
    );
    assert_eq!(p.fds.len(), 1);
    assert_eq!(read_all(&own(p.fds[0])), text);

    // Two descriptors to the big-endian echo and back, in a struct with a string.
    let file = |t: &str| {
        let path = std::env::temp_dir().join(format!("skypebus-body-{}-{t}", std::process::id()));
        std::fs::write(&path, t).unwrap();
        let f = std::fs::File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        OwnedFd::from(f)
    };
    let (a, b) = (file("first"), file("second"));
    let req = CallRequest::from_value(json!({"destination": BIG, "path": PATH, "interface": IFACE,
        "method": "Echo", "signature": "(hsh)",
        "args": [[a.as_raw_fd(), "between", b.as_raw_fd()]]}))
    .unwrap();
    let reply = call_body(&conn, &req).block().unwrap();
    let p = parse(&reply.into_vec());
    assert_eq!(p.sig, "(hsh)");
    assert_eq!(p.fds.len(), 2);
    let index = |at: usize| u32::from_le_bytes(p.body[at..at + 4].try_into().unwrap()) as usize;
    let (first, second) = (index(0), index(p.body.len() - 4));
    let owned: Vec<OwnedFd> = p.fds.iter().map(|&fd| own(fd)).collect();
    assert_eq!(read_all(&owned[first]), "first");
    assert_eq!(read_all(&owned[second]), "second");
}

/// A `no_reply` call gives the empty header; an error reply is its error.
#[test]
fn no_reply_and_errors() {
    let (_bus, conn) = echo_bus();
    add_echo(&conn, NAME, PATH, IFACE, "Quiet", "u");
    let quiet = CallRequest::from_value(json!({"destination": NAME, "path": PATH,
        "interface": IFACE, "method": "Quiet", "signature": "u", "no_reply": true}))
    .unwrap();
    let r = call_packed_into(&conn, &quiet, &7u32.to_le_bytes(), ReplyFormat::Body)
        .block()
        .unwrap();
    assert_eq!(r, [0; 16]);
    let p = parse(&r);
    assert_eq!((p.sig.as_str(), p.body.len(), p.fds.len()), ("", 0, 0));
    let owner = CallRequest::from_value(json!({"destination": "org.freedesktop.DBus",
        "path": "/org/freedesktop/DBus", "interface": "org.freedesktop.DBus",
        "method": "GetNameOwner", "signature": "s", "args": ["net.skypebus.Nobody"]}))
    .unwrap();
    let e = call_body(&conn, &owner).block().unwrap_err();
    assert_eq!(e.kind, Kind::DBus);
    assert_eq!(e.name, "org.freedesktop.DBus.Error.NameHasNoOwner");
    let empty = request(NAME, "Nope", "");
    let e = call_packed_body(&conn, &empty, &[]).block().unwrap_err();
    assert_eq!(e.kind, Kind::DBus, "{e}");
}

/// A malformed body from a peer is an error, never handed over; the connection stays usable.
#[test]
fn malformed_bodies_from_a_peer_are_errors() {
    for (case, kind, text) in [
        ("invalid-utf8", Kind::InvalidMessage, "is not valid UTF-8"),
        ("missing-nul", Kind::InvalidMessage, "is not NUL-terminated"),
        (
            "invalid-object-path",
            Kind::InvalidMessage,
            "invalid object path",
        ),
        (
            "invalid-signature",
            Kind::InvalidMessage,
            "invalid signature value",
        ),
        ("signature-mismatch", Kind::InvalidMessage, "truncated body"),
        (
            "arrays-too-deep",
            Kind::LimitExceeded,
            "nests more than 32 arrays",
        ),
        (
            "fd-index-out-of-range",
            Kind::InvalidMessage,
            "unix fd index 3 is out of range",
        ),
    ] {
        let peer = HostilePeer::start(case, Transport::Unix);
        let conn = skypebus::hub::open(Target::Bus(peer.address.clone()))
            .block()
            .unwrap();
        let go = |method: &str| {
            CallRequest::from_value(json!({"destination": "net.hostile.Peer", "path": "/",
                "interface": "net.hostile.Peer", "method": method, "signature": "",
                "timeout_ms": 2000}))
            .unwrap()
        };
        let e = call_packed_body(&conn, &go("Go"), &[]).block().unwrap_err();
        assert_eq!(e.kind, kind, "{case}: {e}");
        assert!(e.to_string().contains(text), "{case}: {e}");
        let again = call_packed_into(&conn, &go("Again"), &[], ReplyFormat::Body)
            .block()
            .unwrap();
        assert_eq!(parse(&again).sig, "", "{case}: the connection was kept");
    }
}

// The C functions, as a C caller has them.
#[allow(non_camel_case_types)]
type conn_t = std::ffi::c_void;
unsafe extern "C" {
    fn skypebus_connection_open(
        address: *const c_char,
        out: *mut *mut conn_t,
        err: *mut *mut u8,
    ) -> i32;
    fn skypebus_connection_free(conn: *mut conn_t);
    fn skypebus_call_packed_into(
        conn: *const conn_t,
        request_json: *const c_char,
        body: *const c_char,
        body_len: usize,
        format: u32,
        buf: *mut u8,
        capacity: usize,
        len_out: *mut usize,
        big_out: *mut *mut u8,
        err: *mut *mut u8,
    ) -> i32;
    fn skypebus_bytes_free(bytes: *mut u8, len: usize);
    fn skypebus_error_free(err: *mut u8);
}

/// What `skypebus_call_packed_into` wrote: (bytes, whether they came in `big_out`), or the
/// result code.
fn c_call(
    conn: *mut conn_t,
    request: &str,
    body: &[u8],
    format: u32,
    buf: &mut [u64],
) -> Result<(Vec<u8>, bool), i32> {
    let request = CString::new(request).unwrap();
    let (mut len, mut big, mut err) = (
        usize::MAX,
        std::ptr::dangling_mut::<u8>(),
        std::ptr::null_mut(),
    );
    // SAFETY: every pointer is valid for the call; `buf` has `8 * buf.len()` writable bytes.
    let r = unsafe {
        skypebus_call_packed_into(
            conn,
            request.as_ptr(),
            body.as_ptr().cast(),
            body.len(),
            format,
            buf.as_mut_ptr().cast(),
            buf.len() * 8,
            &mut len,
            &mut big,
            &mut err,
        )
    };
    if r != 0 {
        assert!(!err.is_null());
        // SAFETY: the error the call wrote.
        unsafe { skypebus_error_free(err) };
        assert_eq!(len, usize::MAX, "nothing written on error");
        return Err(r);
    }
    assert!(err.is_null());
    if big.is_null() {
        // SAFETY: the call wrote `len` bytes into `buf`.
        let bytes = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), len) };
        Ok((bytes.to_vec(), false))
    } else {
        // SAFETY: `big` holds `len` bytes the caller frees with skypebus_bytes_free.
        let bytes = unsafe { std::slice::from_raw_parts(big, len) }.to_vec();
        unsafe { skypebus_bytes_free(big, len) };
        Ok((bytes, true))
    }
}

/// Through the C function: a reply that fits goes into the caller's (8-aligned) buffer, one
/// that does not into `big_out`, with the same bytes; an unknown format is refused.
#[test]
fn the_callers_buffer_or_big_out() {
    let (bus, _conn) = echo_bus();
    let address = CString::new(bus.address.clone()).unwrap();
    let mut conn = std::ptr::null_mut();
    // SAFETY: valid pointers; the connection is freed below.
    assert_eq!(
        unsafe { skypebus_connection_open(address.as_ptr(), &mut conn, std::ptr::null_mut()) },
        0
    );
    let request = format!(
        r#"{{"destination":"{BIG}","path":"{PATH}","interface":"{IFACE}","method":"Echo","signature":"ay"}}"#
    );
    for n in [0usize, 1, 3, 1000, 1 << 20] {
        let mut body = (n as u32).to_le_bytes().to_vec();
        body.extend((0..n).map(|i| i as u8));
        let want = 8 + 8 + body.len().next_multiple_of(4);
        let mut small = vec![0u64; 2];
        let (bytes, in_big) = c_call(conn, &request, &body, 2, &mut small).unwrap();
        assert_eq!((bytes.len(), in_big), (want, true), "{n}");
        let mut large = vec![u64::MAX; want.div_ceil(8)];
        let (same, in_big) = c_call(conn, &request, &body, 2, &mut large).unwrap();
        assert_eq!((same.len(), in_big), (want, false), "{n}");
        assert_eq!(same, bytes, "{n}");
        let p = parse(&bytes);
        assert_eq!((p.sig.as_str(), p.body), ("ay", body), "{n}");
    }
    let e = c_call(conn, &request, &[0, 0, 0, 0], 3, &mut [0u64; 4]).unwrap_err();
    assert_eq!(e, Kind::InvalidRequest.code() as i32);
    // SAFETY: opened above, freed once.
    unsafe { skypebus_connection_free(conn) };
}
