//! Calls whose body the caller packed (`skypebus_call_packed_into`, `call::call_packed_into`):
//! a valid body reaches a peer we did not write (a dbusmock echo that replies with the wire
//! signature it received) exactly as the JSON path's body does, and every malformed body is
//! refused with a clear error before anything is sent (the mock's record of calls stays empty).

mod support;

use serde_json::{Value, json};
use skypebus::call::{CallRequest, ReplyFormat, call_into, call_packed_into};
use skypebus::connection::Connection;
use skypebus::error::{Error, Kind};
use skypebus::json::{EncodeOptions, encode_body};
use skypebus::signature::parse_signature;
use support::{Block, PrivateBus, add_echo, basic_type_cases, call_json};

const NAME: &str = "net.skypebus.Packed";
const PATH: &str = "/net/skypebus/Packed";
const IFACE: &str = "net.skypebus.Packed";

fn echo_bus() -> (PrivateBus, Connection) {
    let mut bus = PrivateBus::start();
    bus.start_dbusmock(NAME, PATH, IFACE);
    let conn = bus.connect();
    (bus, conn)
}

/// The request of a packed call to `method` with `sig` (no `args`).
fn request(method: &str, sig: &str) -> CallRequest {
    CallRequest::from_value(
        json!({"destination": NAME, "path": PATH, "interface": IFACE,
        "method": method, "signature": sig, "variants": "typed"}),
    )
    .unwrap()
}

fn packed(conn: &Connection, method: &str, sig: &str, body: &[u8]) -> Result<Vec<u8>, Error> {
    call_packed_into(conn, &request(method, sig), body, ReplyFormat::Json).block()
}

/// The calls the mock received for `method`.
fn calls_of(conn: &Connection, method: &str) -> usize {
    let r = call_json(
        conn,
        json!({"destination": NAME, "path": PATH, "interface": "org.freedesktop.DBus.Mock",
               "method": "GetMethodCalls", "signature": "s", "args": [method]}),
    )
    .expect("GetMethodCalls");
    r["data"][0].as_array().map_or(0, Vec::len)
}

/// A valid body gives the peer the same wire signature and values, and the caller the same
/// reply, in both formats, as the same values sent as JSON.
#[test]
fn packed_bodies_arrive_as_the_json_path_sends_them() {
    let (_bus, conn) = echo_bus();
    let mut cases = basic_type_cases();
    cases.extend([
        (
            "ybnqiuxtdsog",
            json!([1, false, -2, 3, -4, 5, -6, 7, 8.25, "s", "/o", "g"]),
        ),
        ("ay", json!([{"type": "ay", "data": [0, 1, 254, 255]}])),
        ("ai", json!([[1, -2, 2147483647]])),
        ("ax", json!([[i64::MIN, 0, i64::MAX]])),
        ("ad", json!([[0.5, -1e300]])),
        ("as", json!([["a", "", "ü"]])),
        ("ao", json!([["/", "/x"]])),
        (
            "a{sv}",
            json!([{"k": {"type": "i", "data": 1}, "l": {"type": "s", "data": "v"}}]),
        ),
        ("(is)a(yd)", json!([[1, "x"], [[1, 0.5], [2, 1.5]]])),
    ]);
    for (i, (sig, args)) in cases.iter().enumerate() {
        let method = format!("Same{i}");
        add_echo(&conn, NAME, PATH, IFACE, &method, sig);
        let types = parse_signature(sig).unwrap();
        let body = encode_body(&types, args.as_array().unwrap(), EncodeOptions::default()).unwrap();
        let mut req = json!({"destination": NAME, "path": PATH, "interface": IFACE,
            "method": method, "signature": sig, "args": args, "variants": "typed"});
        let json_reply = call_json(&conn, req.clone()).unwrap();
        let packed_reply: Value =
            serde_json::from_slice(&packed(&conn, &method, sig, &body).unwrap()).unwrap();
        assert_eq!(packed_reply, json_reply, "{sig}");
        assert_eq!(
            packed_reply["data"][0],
            json!(sig),
            "wire signature of {sig}"
        );
        // The PHP format too.
        req.as_object_mut().unwrap().remove("args");
        let with_args = CallRequest::from_value(json!({"destination": NAME, "path": PATH,
            "interface": IFACE, "method": method, "signature": sig, "args": args}))
        .unwrap();
        let php_json = call_into(&conn, &with_args, ReplyFormat::Php)
            .block()
            .unwrap();
        let php_packed = call_packed_into(&conn, &request(&method, sig), &body, ReplyFormat::Php)
            .block()
            .unwrap();
        assert_eq!(php_packed, php_json, "{sig}");
    }
}

/// A string body: its length, the bytes, a NUL.
fn string_body(bytes: &[u8]) -> Vec<u8> {
    let mut b = (bytes.len() as u32).to_le_bytes().to_vec();
    b.extend_from_slice(bytes);
    b.push(0);
    b
}

/// Every malformed body is refused with its error, and nothing reaches the peer.
#[test]
fn malformed_bodies_are_refused_and_nothing_is_sent() {
    let (_bus, conn) = echo_bus();
    add_echo(&conn, NAME, PATH, IFACE, "Never", "s");
    let dup_dict = {
        // a{su} with the key "k" twice: entries at 8 and 20 (4-aligned values, 8-aligned entries)
        let mut b = Vec::new();
        b.extend_from_slice(&28u32.to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&string_body(b"k"));
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&string_body(b"k"));
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&2u32.to_le_bytes());
        assert_eq!(b.len(), 8 + 28);
        b
    };
    let mut deep_variants = Vec::new();
    for _ in 0..65 {
        deep_variants.extend_from_slice(&[1, b'v', 0]);
    }
    deep_variants.extend_from_slice(&[1, b'y', 0, 7]);
    let cases: Vec<(&str, Vec<u8>, Kind, &str)> = vec![
        (
            "s",
            vec![9, 0, 0, 0, b'a', 0],
            Kind::InvalidRequest,
            "truncated",
        ),
        (
            "s",
            vec![1, 0, 0, 0, b'a', b'b'],
            Kind::InvalidRequest,
            "NUL-terminated",
        ),
        ("s", string_body(b"a\0b"), Kind::TypeMismatch, "NUL byte"),
        ("s", string_body(b"\xff\xfe"), Kind::InvalidUtf8, "UTF-8"),
        ("o", string_body(b"a/b"), Kind::TypeMismatch, "object path"),
        ("o", string_body(b"/a/"), Kind::TypeMismatch, "object path"),
        ("g", vec![1, b'a', 0], Kind::TypeMismatch, "signature"),
        (
            "g",
            vec![1, b'a', b'x'],
            Kind::InvalidRequest,
            "NUL-terminated",
        ),
        ("b", vec![2, 0, 0, 0], Kind::InvalidRequest, "boolean"),
        (
            "yi",
            vec![1, 0, 9, 0, 5, 0, 0, 0],
            Kind::InvalidRequest,
            "padding",
        ),
        ("i", vec![1, 0, 0, 0, 0], Kind::InvalidRequest, "trailing"),
        ("x", vec![1, 0, 0, 0], Kind::InvalidRequest, "truncated"),
        ("ai", vec![3, 0, 0, 0, 1, 0, 0], Kind::InvalidRequest, ""),
        ("ai", vec![0, 0, 0, 8], Kind::LimitExceeded, ""),
        ("v", vec![2, b'(', b'i', 0], Kind::InvalidRequest, "variant"),
        ("a{su}", dup_dict, Kind::InvalidRequest, "duplicate"),
        ("v", deep_variants, Kind::LimitExceeded, ""),
        ("h", vec![0, 0, 0, 0], Kind::InvalidRequest, "out of range"),
        (
            "v",
            vec![1, b'h', 0, 0, 0, 0, 0, 0],
            Kind::InvalidRequest,
            "out of range",
        ),
        ("s", Vec::new(), Kind::InvalidRequest, "truncated"),
        ("", vec![0], Kind::InvalidRequest, "trailing"),
    ];
    for (sig, body, kind, words) in &cases {
        let e = packed(&conn, "Never", sig, body).expect_err(sig);
        assert_eq!(e.kind, *kind, "{sig} {body:?}: {e}");
        assert!(
            e.message.contains("not a valid body of signature") && e.message.contains(words),
            "{sig} {body:?}: {e}"
        );
    }
    // The request must give the signature, and no arguments.
    let no_sig = CallRequest::from_value(
        json!({"destination": NAME, "path": PATH, "interface": IFACE, "method": "Never"}),
    )
    .unwrap();
    let e = call_packed_into(&conn, &no_sig, &[], ReplyFormat::Php)
        .block()
        .unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
    assert!(e.message.contains("signature"), "{e}");
    let with_args = CallRequest::from_value(json!({"destination": NAME, "path": PATH,
        "interface": IFACE, "method": "Never", "signature": "s", "args": ["x"]}))
    .unwrap();
    let e = call_packed_into(&conn, &with_args, &string_body(b"x"), ReplyFormat::Php)
        .block()
        .unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
    assert!(e.message.contains("args"), "{e}");
    // A bad name is refused as in the JSON path.
    let bad_path = CallRequest::from_value(json!({"destination": NAME, "path": "nope",
        "method": "Never", "signature": "s"}))
    .unwrap();
    let e = call_packed_into(&conn, &bad_path, &string_body(b"x"), ReplyFormat::Php)
        .block()
        .unwrap_err();
    assert_eq!(e.kind, Kind::InvalidName);
    assert_eq!(calls_of(&conn, "Never"), 0, "nothing was sent");
    // The same method does receive a valid body.
    packed(&conn, "Never", "s", &string_body(b"ok")).unwrap();
    assert_eq!(calls_of(&conn, "Never"), 1);
}

/// A D-Bus error reply and a `no_reply` call behave as in the JSON path.
#[test]
fn errors_and_no_reply_as_the_json_path() {
    let (_bus, conn) = echo_bus();
    let req = CallRequest::from_value(json!({"destination": "org.freedesktop.DBus",
        "path": "/org/freedesktop/DBus", "interface": "org.freedesktop.DBus",
        "method": "GetNameOwner", "signature": "s"}))
    .unwrap();
    let e = call_packed_into(
        &conn,
        &req,
        &string_body(b"net.skypebus.Nobody"),
        ReplyFormat::Php,
    )
    .block()
    .unwrap_err();
    assert_eq!(e.kind, Kind::DBus);
    assert_eq!(e.name, "org.freedesktop.DBus.Error.NameHasNoOwner");
    let owner = call_packed_into(&conn, &req, &string_body(NAME.as_bytes()), ReplyFormat::Php)
        .block()
        .unwrap();
    assert!(owner.starts_with(b"a:00000001:{i:0;s:"), "{owner:?}");
    add_echo(&conn, NAME, PATH, IFACE, "Quiet", "u");
    let quiet = CallRequest::from_value(json!({"destination": NAME, "path": PATH,
        "interface": IFACE, "method": "Quiet", "signature": "u", "no_reply": true}))
    .unwrap();
    let r = call_packed_into(&conn, &quiet, &7u32.to_le_bytes(), ReplyFormat::Php)
        .block()
        .unwrap();
    assert_eq!(r, b"a:0:{}");
}

/// On the library's socket a packed call goes out as bytes written straight to it, next to
/// zbus' own writes of every other message: messages large enough to fill the socket (and so
/// wait halfway through their write) from several threads on both paths at once must each
/// reach the bus whole. The bus daemon checks every message it reads and would drop the
/// connection for a cut one; each call must get its own answer (false: the name is
/// owned by nobody) and the connection must work afterwards.
#[test]
fn direct_and_zbus_sends_keep_their_messages_whole() {
    let (_bus, conn) = echo_bus();
    let driver = |sig: &str| {
        CallRequest::from_value(json!({"destination": "org.freedesktop.DBus",
            "path": "/org/freedesktop/DBus", "interface": "org.freedesktop.DBus",
            "method": "NameHasOwner", "signature": sig}))
        .unwrap()
    };
    let packed_req = driver("s");
    const FALSE: &[u8] = br#"{"type":"b","data":[false]}"#;
    let long_name = |thread: usize, i: usize| format!("{thread}x{i}.{}", "n".repeat(300_000));
    std::thread::scope(|s| {
        for thread in 0..4 {
            let (conn, packed_req) = (&conn, &packed_req);
            s.spawn(move || {
                for i in 0..15 {
                    let name = long_name(thread, i);
                    let reply = call_packed_into(
                        conn,
                        packed_req,
                        &string_body(name.as_bytes()),
                        ReplyFormat::Json,
                    )
                    .block()
                    .expect("the bus answers");
                    assert_eq!(reply, FALSE, "packed call {thread}/{i}");
                }
            });
        }
        for thread in 4..6 {
            let conn = &conn;
            s.spawn(move || {
                for i in 0..15 {
                    let name = long_name(thread, i);
                    let reply = call_json(
                        conn,
                        json!({"destination": "org.freedesktop.DBus",
                        "path": "/org/freedesktop/DBus", "interface": "org.freedesktop.DBus",
                        "method": "NameHasOwner", "signature": "s", "args": [name]}),
                    )
                    .expect("the bus answers");
                    assert_eq!(
                        reply,
                        json!({"type": "b", "data": [false]}),
                        "JSON call {thread}/{i}"
                    );
                }
            });
        }
    });
    let reply = call_packed_into(
        &conn,
        &driver("s"),
        &string_body(b"org.freedesktop.DBus"),
        ReplyFormat::Json,
    )
    .block()
    .expect("the connection still works");
    assert_eq!(
        serde_json::from_slice::<Value>(&reply).unwrap()["data"],
        json!([true])
    );
}
