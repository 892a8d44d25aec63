//! Huge messages: errors where D-Bus' limits are exceeded, and large payloads that fit go through.

mod support;

use base64::Engine as _;
use serde_json::json;
use skypebus::error::Kind;
use support::{PrivateBus, add_echo, call_json};

#[test]
fn arrays_beyond_64_mib_are_refused_before_sending() {
    let bus = PrivateBus::start();
    let conn = bus.connect();
    let big = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 65 * 1024 * 1024]);
    let e = call_json(
        &conn,
        json!({"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
               "method": "GetId", "signature": "ay", "args": [{"type": "ay", "data": big}]}),
    )
    .unwrap_err();
    assert_eq!(e.kind, Kind::LimitExceeded, "{e}");
    // The connection is unharmed.
    call_json(
        &conn,
        json!({"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
               "interface": "org.freedesktop.DBus", "method": "GetId"}),
    )
    .unwrap();
}

#[test]
fn large_payloads_round_trip() {
    let mut bus = PrivateBus::start();
    bus.start_dbusmock("net.skypebus.Big", "/big", "net.skypebus.Big");
    let conn = bus.connect();
    add_echo(
        &conn,
        "net.skypebus.Big",
        "/big",
        "net.skypebus.Big",
        "Bytes",
        "ay",
    );
    let payload: Vec<u8> = (0..4 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&payload);
    let r = call_json(
        &conn,
        json!({"destination": "net.skypebus.Big", "path": "/big", "interface": "net.skypebus.Big",
               "method": "Bytes", "args": [b64], "bytes": "base64", "timeout_ms": 60000}),
    )
    .unwrap();
    assert_eq!(r["data"][0], "ay");
    assert_eq!(r["data"][1], b64.as_str());
    add_echo(
        &conn,
        "net.skypebus.Big",
        "/big",
        "net.skypebus.Big",
        "Strings",
        "as",
    );
    let strings: Vec<String> = (0..20_000).map(|i| format!("string number {i}")).collect();
    let r = call_json(
        &conn,
        json!({"destination": "net.skypebus.Big", "path": "/big", "interface": "net.skypebus.Big",
               "method": "Strings", "args": [strings], "timeout_ms": 60000}),
    )
    .unwrap();
    assert_eq!(r["data"][1].as_array().unwrap().len(), 20_000);
    assert_eq!(r["data"][1][19_999], "string number 19999");
}
