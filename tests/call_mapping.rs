//! The value mapping end to end, against peers we did not write: a dbusmock echo whose method
//! replies with the wire signature it received (so a value converted by dbusmock cannot hide a
//! wrong type), and `busctl --json=short`, whose output our typed replies must equal.

mod support;

use serde_json::{Value, json};
use skypebus::connection::Connection;
use skypebus::error::Kind;
use support::{Block, PrivateBus, Transport, add_echo, basic_type_cases, call_json};

const NAME: &str = "net.skypebus.Echo";
const PATH: &str = "/net/skypebus/Echo";
const IFACE: &str = "net.skypebus.Echo";

fn echo_bus(t: Transport) -> (PrivateBus, Connection) {
    let mut bus = PrivateBus::on(t);
    bus.start_dbusmock(NAME, PATH, IFACE);
    let conn = bus.connect();
    (bus, conn)
}

/// Sends `args` with `sig` to a fresh echo method and returns (wire signature seen, reply).
fn echo(conn: &Connection, method: &str, sig: &str, args: Value, extra: Value) -> (String, Value) {
    add_echo(conn, NAME, PATH, IFACE, method, sig);
    let mut req = json!({"destination": NAME, "path": PATH, "interface": IFACE, "method": method,
                         "signature": sig, "args": args, "variants": "typed"});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            req[k] = v;
        }
    }
    let r = call_json(conn, req).unwrap_or_else(|e| panic!("{method} {sig}: {e}"));
    assert_eq!(r["type"], format!("s{sig}"));
    let data = r["data"].as_array().unwrap();
    (
        data[0].as_str().unwrap().to_owned(),
        Value::Array(data[1..].to_vec()),
    )
}

fn every_basic_type_arrives_with_its_exact_wire_type(t: Transport) {
    let (_bus, conn) = echo_bus(t);
    let cases = basic_type_cases();
    for (i, (sig, args)) in cases.iter().enumerate() {
        let (wire, back) = echo(&conn, &format!("Basic{i}"), sig, args.clone(), json!({}));
        assert_eq!(&wire, sig);
        assert_eq!(&back, args, "{sig}");
    }
}

fn integers_come_in_many_shapes_and_keep_their_full_range(t: Transport) {
    let (_bus, conn) = echo_bus(t);
    let (wire, back) = echo(
        &conn,
        "Ints",
        "txiu",
        json!(["18446744073709551615", "-9223372036854775808", 2.0, "7"]),
        json!({}),
    );
    assert_eq!(wire, "txiu");
    assert_eq!(
        back,
        json!([u64::MAX, i64::MIN, 2, 7]),
        "decimal strings and integral floats accepted, full range kept"
    );
}

fn doubles_keep_nan_infinities_and_negative_zero(t: Transport) {
    let (_bus, conn) = echo_bus(t);
    let (wire, back) = echo(
        &conn,
        "Doubles",
        "dddd",
        json!(["NaN", "Infinity", "-Infinity", -0.0]),
        json!({}),
    );
    assert_eq!(wire, "dddd");
    assert_eq!(back[0], "NaN");
    assert_eq!(back[1], "Infinity");
    assert_eq!(back[2], "-Infinity");
    let z = back[3].as_f64().unwrap();
    assert!(z == 0.0 && z.is_sign_negative(), "{}", back[3]);
}

fn containers_round_trip(t: Transport) {
    let (_bus, conn) = echo_bus(t);
    // Dicts with non-string keys, in received order.
    let (wire, back) = echo(
        &conn,
        "Dicts",
        "a{is}a{bd}a{ts}",
        json!([{"3": "c", "1": "a", "2": "b"}, {"true": 1.5}, {"18446744073709551615": "max"}]),
        json!({}),
    );
    assert_eq!(wire, "a{is}a{bd}a{ts}");
    assert_eq!(
        back,
        json!([{"3": "c", "1": "a", "2": "b"}, {"true": 1.5}, {"18446744073709551615": "max"}])
    );
    // PHP's shapes: [] for an empty dict, a list for an integer-keyed dict.
    let (wire, back) = echo(
        &conn,
        "PhpDicts",
        "a{sv}a{us}",
        json!([[], ["x", "y"]]),
        json!({}),
    );
    assert_eq!(wire, "a{sv}a{us}");
    assert_eq!(back, json!([{}, {"0": "x", "1": "y"}]));
    // A single struct argument is not two arguments.
    let (wire, back) = echo(&conn, "OneStruct", "(si)", json!([["a", 1]]), json!({}));
    assert_eq!(wire, "(si)");
    assert_eq!(back, json!([["a", 1]]));
    let (wire, back) = echo(&conn, "TwoArgs", "si", json!(["a", 1]), json!({}));
    assert_eq!(wire, "si");
    assert_eq!(back, json!(["a", 1]));
    // Empty arrays, nested arrays, arrays of structs.
    let (wire, back) = echo(
        &conn,
        "Nested",
        "asaaia(yb)",
        json!([[], [[1, 2], [], [3]], [[1, true], [2, false]]]),
        json!({}),
    );
    assert_eq!(wire, "asaaia(yb)");
    assert_eq!(
        back,
        json!([[], [[1, 2], [], [3]], [[1, true], [2, false]]])
    );
}

fn variants_plain_and_typed_nested(t: Transport) {
    let (_bus, conn) = echo_bus(t);
    let args = json!([{
        "plain": "s",
        "int": 7,
        "big": 5000000000u64,
        "typed": {"type": "y", "data": 2},
        "nested": {"type": "v", "data": {"type": "ai", "data": [1, 2]}},
        "dict": {"a": true},
        "bytes": {"type": "ay", "data": "AP8K"}
    }]);
    let (wire, back) = echo(&conn, "Variants", "a{sv}", args, json!({}));
    assert_eq!(wire, "a{sv}");
    let d = &back[0];
    assert_eq!(d["plain"], json!({"type": "s", "data": "s"}));
    assert_eq!(d["int"], json!({"type": "i", "data": 7}));
    assert_eq!(d["big"], json!({"type": "x", "data": 5000000000u64}));
    assert_eq!(d["typed"], json!({"type": "y", "data": 2}));
    assert_eq!(
        d["nested"],
        json!({"type": "v", "data": {"type": "ai", "data": [1, 2]}})
    );
    assert_eq!(
        d["dict"],
        json!({"type": "a{sv}", "data": {"a": {"type": "b", "data": true}}})
    );
    assert_eq!(d["bytes"], json!({"type": "ay", "data": [0, 255, 10]}));
    // Typed output is accepted back as input unchanged.
    let (wire2, back2) = echo(&conn, "Variants2", "a{sv}", back.clone(), json!({}));
    assert_eq!(wire2, "a{sv}");
    assert_eq!(back2, back);
}

fn bytes_as_base64_on_request(t: Transport) {
    let (_bus, conn) = echo_bus(t);
    let (wire, back) = echo(
        &conn,
        "Bytes",
        "ay",
        json!(["AP8KAA=="]),
        json!({"bytes": "base64"}),
    );
    assert_eq!(wire, "ay");
    assert_eq!(back, json!(["AP8KAA=="]));
    // Without the option a plain string is never bytes.
    add_echo(&conn, NAME, PATH, IFACE, "Bytes2", "ay");
    let e = call_json(
        &conn,
        json!({"destination": NAME, "path": PATH, "interface": IFACE, "method": "Bytes2",
               "signature": "ay", "args": ["AP8K"]}),
    )
    .unwrap_err();
    assert_eq!(e.kind, Kind::TypeMismatch);
}

fn inference_without_a_signature(t: Transport) {
    let (_bus, conn) = echo_bus(t);
    // dbusmock's declared in-signature does not matter: the wire signature is what we sent.
    add_echo(&conn, NAME, PATH, IFACE, "Infer", "sbixtdasa{sv}");
    let r = call_json(
        &conn,
        json!({"destination": NAME, "path": PATH, "interface": IFACE, "method": "Infer",
               "args": ["s", true, 1, 5000000000u64, u64::MAX, 1.5, ["a"], {"k": 1}]}),
    )
    .unwrap();
    assert_eq!(r["data"][0], "sbixtdasa{sv}");
}

fn nesting_limits_are_errors_not_crashes(t: Transport) {
    let (_bus, conn) = echo_bus(t);
    let deep_sig = format!("{}i", "a".repeat(33));
    let e = call_json(
        &conn,
        json!({"destination": NAME, "path": PATH, "method": "X", "signature": deep_sig,
               "args": [[]]}),
    )
    .unwrap_err();
    assert!(
        matches!(e.kind, Kind::InvalidSignature | Kind::LimitExceeded),
        "{e}"
    );
    // A deeply nested JSON text for a variant: an error, no stack overflow.
    let deep = format!(
        "{{\"destination\":\"{NAME}\",\"path\":\"{PATH}\",\"method\":\"X\",\"signature\":\"v\",\"args\":[{}1{}]}}",
        "{\"type\":\"v\",\"data\":".repeat(10_000),
        "}".repeat(10_000)
    );
    let e = skypebus::call::CallRequest::parse(&deep).unwrap_err();
    assert!(
        matches!(e.kind, Kind::InvalidJson | Kind::LimitExceeded),
        "{e}"
    );
    // Within JSON's limits but beyond D-Bus' (64 levels of variants): an error from the encoder.
    let nested = format!(
        "{{\"destination\":\"{NAME}\",\"path\":\"{PATH}\",\"method\":\"X\",\"signature\":\"v\",\"args\":[{}1{}]}}",
        "{\"type\":\"v\",\"data\":".repeat(100),
        "}".repeat(100)
    );
    let req = skypebus::call::CallRequest::parse(&nested).unwrap();
    let e = skypebus::call::call(&conn, &req).block().unwrap_err();
    assert!(
        matches!(e.kind, Kind::LimitExceeded | Kind::TypeMismatch),
        "{e}"
    );
}

/// busctl's JSON of a call on the private bus.
fn busctl_json(bus: &PrivateBus, args: &[&str]) -> Value {
    let mut full = vec!["--user", "--json=short", "call"];
    full.extend_from_slice(args);
    let out = bus.run("busctl", &full);
    assert!(
        out.status.success(),
        "busctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("busctl printed JSON")
}

fn typed_replies_equal_busctl_json(t: Transport) {
    let mut bus = PrivateBus::on(t);
    bus.start_dbusmock(NAME, PATH, IFACE);
    let conn = bus.connect();
    let me = conn.unique_name().unwrap().unwrap();
    // Driver calls.
    let cases: Vec<(Vec<&str>, Value)> = vec![
        (
            vec![
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "GetNameOwner",
                "s",
                "org.freedesktop.DBus",
            ],
            json!({"method": "GetNameOwner", "signature": "s", "args": ["org.freedesktop.DBus"]}),
        ),
        (
            vec![
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "GetConnectionCredentials",
                "s",
                &me,
            ],
            json!({"method": "GetConnectionCredentials", "signature": "s", "args": [me]}),
        ),
        (
            vec![
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "NameHasOwner",
                "s",
                NAME,
            ],
            json!({"method": "NameHasOwner", "signature": "s", "args": [NAME]}),
        ),
        (
            vec![
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.Properties",
                "GetAll",
                "s",
                "org.freedesktop.DBus",
            ],
            json!({"interface": "org.freedesktop.DBus.Properties", "method": "GetAll", "signature": "s", "args": ["org.freedesktop.DBus"]}),
        ),
    ];
    for (bargs, mut req) in cases {
        req["destination"] = json!("org.freedesktop.DBus");
        req["path"] = json!("/org/freedesktop/DBus");
        if req.get("interface").is_none() {
            req["interface"] = json!("org.freedesktop.DBus");
        }
        req["variants"] = json!("typed");
        let ours = call_json(&conn, req).unwrap();
        let theirs = busctl_json(&bus, &bargs);
        assert_eq!(ours, theirs, "{bargs:?}");
    }
    // A mock method returning many types at once, including a nested variant and a struct.
    call_json(
        &conn,
        json!({"destination": NAME, "path": PATH, "interface": "org.freedesktop.DBus.Mock",
               "method": "AddMethod", "signature": "sssss",
               "args": [IFACE, "Many", "", "ytxda{sv}(sai)aay",
                        "ret = (dbus.Byte(7), dbus.UInt64(18446744073709551615), dbus.Int64(-9223372036854775808), 2.5, {'k': dbus.String('v', variant_level=1), 'n': dbus.Array([dbus.Int32(1)], signature='i', variant_level=1)}, ('s', [1, 2]), [dbus.ByteArray(b'ab'), dbus.ByteArray(b'')])"]}),
    )
    .unwrap();
    let ours = call_json(
        &conn,
        json!({"destination": NAME, "path": PATH, "interface": IFACE, "method": "Many",
               "variants": "typed"}),
    )
    .unwrap();
    let theirs = busctl_json(&bus, &[NAME, PATH, IFACE, "Many"]);
    assert_eq!(ours, theirs);
}

/// skypebus_call_bytes' path: a reply that is exactly one byte array comes back as its bytes,
/// any other reply as the envelope `call` gives.
fn a_byte_array_reply_comes_back_raw(t: Transport) {
    use skypebus::call::{BytesOrJson, CallRequest, call, call_bytes};
    let (_bus, conn) = echo_bus(t);
    let add = |method: &str, in_sig: &str, out_sig: &str, code: &str| {
        call_json(
            &conn,
            json!({"destination": NAME, "path": PATH, "interface": "org.freedesktop.DBus.Mock",
                   "method": "AddMethod", "signature": "sssss",
                   "args": [IFACE, method, in_sig, out_sig, code]}),
        )
        .expect("AddMethod");
    };
    add("Raw", "ay", "ay", "ret = args[0]");
    add("Two", "ay", "ayay", "ret = (args[0], args[0])");
    add(
        "Fail",
        "ay",
        "ay",
        "raise dbus.exceptions.DBusException('no', name='net.skypebus.Echo.Error.No')",
    );
    let request = |method: &str, bytes: &[u8], extra: &str| {
        let list: Vec<String> = bytes.iter().map(u8::to_string).collect();
        CallRequest::parse(&format!(
            r#"{{"destination":"{NAME}","path":"{PATH}","interface":"{IFACE}","method":"{method}","signature":"ay","args":[[{}]]{extra}}}"#,
            list.join(",")
        ))
        .unwrap()
    };
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
    assert_eq!(
        call_bytes(&conn, &request("Raw", &bytes, ""))
            .block()
            .unwrap(),
        BytesOrJson::Bytes(bytes.clone())
    );
    assert_eq!(
        call_bytes(&conn, &request("Raw", &[], "")).block().unwrap(),
        BytesOrJson::Bytes(vec![])
    );
    let two = request("Two", &[1, 2], r#","bytes":"base64""#);
    assert_eq!(
        call_bytes(&conn, &two).block().unwrap(),
        BytesOrJson::Json(call(&conn, &two).block().unwrap())
    );
    let quiet = request("Raw", &[1], r#","no_reply":true"#);
    assert_eq!(
        call_bytes(&conn, &quiet).block().unwrap(),
        BytesOrJson::Json(r#"{"type":"","data":[]}"#.to_owned())
    );
    let e = call_bytes(&conn, &request("Fail", &[1], ""))
        .block()
        .unwrap_err();
    assert_eq!(e.name, "net.skypebus.Echo.Error.No");
}

/// skypebus_call_into's PHP format: the reply's values as the text of PHP's `serialize()`, with
/// what the PHP package would otherwise convert after `json_decode` already converted: variants
/// unwrapped, bytes raw, NaN/INF as doubles, `t` above 2^63-1 as a string, integer and boolean
/// dict keys as PHP keys arrays (docs/php.md). (The PHP suite unserializes it for every call.)
fn php_replies_are_serialize_text(t: Transport) {
    use skypebus::call::{CallRequest, ReplyFormat, call_into};
    let (_bus, conn) = echo_bus(t);
    let sig = "sva{bi}a{xs}a{sd}(dt)aiayb";
    add_echo(&conn, NAME, PATH, IFACE, "Php", sig);
    let req = json!({"destination": NAME, "path": PATH, "interface": IFACE, "method": "Php",
        "signature": sig, "args": ["h\";é", {"type": "ay", "data": [0, 255]}, {"true": 7},
        {"-3": "a"}, {"07": "Infinity"}, ["NaN", 18446744073709551615u64], [1, -2], [0, 34, 255],
        true]});
    let req = CallRequest::from_value(req).unwrap();
    let php = call_into(&conn, &req, ReplyFormat::Php).block().unwrap();
    let mut want = Vec::new();
    want.extend_from_slice(format!("a:00000010:{{i:0;s:{}:\"{sig}\";", sig.len()).as_bytes());
    want.extend_from_slice("i:1;s:5:\"h\";é\";".as_bytes());
    want.extend_from_slice(b"i:2;s:2:\"\x00\xff\";");
    want.extend_from_slice(b"i:3;a:00000001:{i:1;i:7;}i:4;a:00000001:{i:-3;s:1:\"a\";}");
    want.extend_from_slice(b"i:5;a:00000001:{s:2:\"07\";d:INF;}");
    want.extend_from_slice(b"i:6;a:00000002:{i:0;d:NAN;i:1;s:20:\"18446744073709551615\";}");
    want.extend_from_slice(b"i:7;a:00000002:{i:0;i:1;i:1;i:-2;}i:8;s:3:\"\x00\"\xff\";i:9;b:1;}");
    assert_eq!(
        String::from_utf8_lossy(&php),
        String::from_utf8_lossy(&want)
    );
    assert_eq!(php, want);
    // The JSON format is skypebus_call's envelope.
    let ping = CallRequest::parse(
        r#"{"destination":"org.freedesktop.DBus","path":"/org/freedesktop/DBus","interface":"org.freedesktop.DBus","method":"ListNames"}"#,
    )
    .unwrap();
    let json = call_into(&conn, &ping, ReplyFormat::Json).block().unwrap();
    assert!(json.starts_with(br#"{"type":"as","data":[["#));
    assert!(
        String::from_utf8(json)
            .unwrap()
            .contains(r#""org.freedesktop.DBus""#)
    );
}

per_transport!(
    php_replies_are_serialize_text,
    every_basic_type_arrives_with_its_exact_wire_type,
    integers_come_in_many_shapes_and_keep_their_full_range,
    doubles_keep_nan_infinities_and_negative_zero,
    containers_round_trip,
    variants_plain_and_typed_nested,
    bytes_as_base64_on_request,
    inference_without_a_signature,
    nesting_limits_are_errors_not_crashes,
    typed_replies_equal_busctl_json,
    a_byte_array_reply_comes_back_raw,
);
