//! Generic calls against a peer we did not write: dbus-daemon's own `org.freedesktop.DBus`.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use skypebus::error::Kind;
use support::{PrivateBus, Transport, call_json, driver};

fn get_id_and_list_names(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let id = driver(&conn, "GetId", None, json!([])).unwrap();
    assert_eq!(id["type"], "s");
    let id = id["data"][0].as_str().unwrap();
    assert_eq!(id.len(), 32);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");

    let names = driver(&conn, "ListNames", None, json!([])).unwrap();
    assert_eq!(names["type"], "as");
    let me = conn.unique_name().unwrap().unwrap();
    let list = names["data"][0].as_array().unwrap();
    assert!(list.contains(&json!("org.freedesktop.DBus")));
    assert!(list.contains(&json!(me)));
}

fn request_name_with_explicit_signature_and_inferred(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let r = driver(
        &conn,
        "RequestName",
        Some("su"),
        json!(["com.example.X", 4]),
    )
    .unwrap();
    assert_eq!(r, json!({"type": "u", "data": [1]}));
    // Already the owner: 4 (DBUS_REQUEST_NAME_REPLY_ALREADY_OWNER).
    let r = driver(
        &conn,
        "RequestName",
        Some("su"),
        json!(["com.example.X", "4"]),
    )
    .unwrap();
    assert_eq!(r["data"][0], 4);
    // Without a signature the driver's introspection data types it as `su`.
    let r = driver(&conn, "RequestName", None, json!(["com.example.Y", 4])).unwrap();
    assert_eq!(r, json!({"type": "u", "data": [1]}));
    // An explicit signature wins, even a wrong one: a real D-Bus error with its exact name.
    let e = driver(
        &conn,
        "RequestName",
        Some("si"),
        json!(["com.example.Z", 4]),
    )
    .unwrap_err();
    assert_eq!(e.kind, Kind::DBus);
    assert_eq!(e.name, "org.freedesktop.DBus.Error.InvalidArgs");
}

/// The connection takes the transport asked for: over tcp the bus knows no credentials of ours.
fn connections_take_the_transport_asked_for(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let me = conn.unique_name().unwrap().unwrap();
    let r = driver(&conn, "GetConnectionCredentials", Some("s"), json!([me])).unwrap();
    let creds = r["data"][0].as_object().unwrap();
    assert_eq!(
        creds.contains_key("UnixUserID"),
        t == Transport::Unix,
        "{creds:?}"
    );
}

// Unix only: over tcp the bus knows no credentials of the caller.
#[test]
fn connection_credentials_are_a_dict_of_variants() {
    let bus = PrivateBus::start();
    let conn = bus.connect();
    let me = conn.unique_name().unwrap().unwrap();
    let r = driver(&conn, "GetConnectionCredentials", Some("s"), json!([me])).unwrap();
    assert_eq!(r["type"], "a{sv}");
    let creds = &r["data"][0];
    assert_eq!(creds["ProcessID"], json!(std::process::id()));
    assert_eq!(creds["UnixUserID"], json!(unsafe { libc::getuid() }));
    // Typed variants keep the inner types, as busctl writes them.
    let r = call_json(
        &conn,
        json!({"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
               "interface": "org.freedesktop.DBus", "method": "GetConnectionCredentials",
               "signature": "s", "args": [me], "variants": "typed"}),
    )
    .unwrap();
    assert_eq!(
        r["data"][0]["ProcessID"],
        json!({"type": "u", "data": std::process::id()})
    );
}

// Unix only: the bus allows this only to a caller of known uid, which tcp cannot tell.
#[test]
fn update_activation_environment_takes_a_string_dict() {
    let bus = PrivateBus::start();
    let conn = bus.connect();
    let r = driver(
        &conn,
        "UpdateActivationEnvironment",
        Some("a{ss}"),
        json!([{"SKYPEBUS_TEST": "1", "LANG": "C.UTF-8"}]),
    )
    .unwrap();
    assert_eq!(r, json!({"type": "", "data": []}));
    // PHP's json_encode([]) for an empty dict.
    let r = driver(
        &conn,
        "UpdateActivationEnvironment",
        Some("a{ss}"),
        json!([[]]),
    )
    .unwrap();
    assert_eq!(r["type"], "");
}

fn error_paths(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    // Unknown service.
    let e = call_json(
        &conn,
        json!({"destination": "com.example.Nobody", "path": "/", "method": "Nothing"}),
    )
    .unwrap_err();
    assert_eq!(e.kind, Kind::DBus);
    assert_eq!(e.name, "org.freedesktop.DBus.Error.ServiceUnknown");
    assert!(e.message.contains("com.example.Nobody"), "{}", e.message);
    // Unknown method.
    let e = driver(&conn, "NoSuchMethod", None, json!([])).unwrap_err();
    assert_eq!(e.name, "org.freedesktop.DBus.Error.UnknownMethod");
    // Wrong argument types sent to a real method.
    let e = driver(&conn, "GetNameOwner", Some("u"), json!([5])).unwrap_err();
    assert_eq!(e.name, "org.freedesktop.DBus.Error.InvalidArgs");
    // Out of range for the signature: our own error, nothing sent.
    let e = driver(&conn, "RequestName", Some("su"), json!(["a.b", -1])).unwrap_err();
    assert_eq!(e.kind, Kind::TypeMismatch);
    let e = driver(
        &conn,
        "RequestName",
        Some("su"),
        json!(["a.b", 4294967296u64]),
    )
    .unwrap_err();
    assert_eq!(e.kind, Kind::TypeMismatch);
    // Malformed JSON and a wrongly typed request field.
    let e = skypebus::call::CallRequest::parse("{\"path\": ").unwrap_err();
    assert_eq!(e.kind, Kind::InvalidJson);
    let e = call_json(&conn, json!({"path": 5, "method": "X"})).unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
    let e = call_json(&conn, json!({"path": "/", "method": "X", "bogus": 1})).unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
    assert!(e.message.contains("bogus"));
    let e = call_json(&conn, json!({"path": "/", "method": "X", "timeout_ms": -1})).unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
    let e = call_json(
        &conn,
        json!({"path": "/", "method": "X", "variants": "boxed"}),
    )
    .unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
    // Bad names and paths.
    let e = call_json(&conn, json!({"path": "no/slash", "method": "X"})).unwrap_err();
    assert_eq!(e.kind, Kind::InvalidName, "{e}");
    let e = call_json(
        &conn,
        json!({"destination": "not a name", "path": "/", "method": "X"}),
    )
    .unwrap_err();
    assert_eq!(e.kind, Kind::InvalidName, "{e}");
    let e = call_json(&conn, json!({"path": "/", "method": "Bad.Member"})).unwrap_err();
    assert_eq!(e.kind, Kind::InvalidName, "{e}");
    // A bad signature.
    let e = driver(&conn, "GetId", Some("a{vs}"), json!([{}])).unwrap_err();
    assert_eq!(e.kind, Kind::InvalidSignature);
    // null is never a guess.
    let e = driver(&conn, "GetNameOwner", None, json!([null])).unwrap_err();
    assert_eq!(e.kind, Kind::TypeMismatch);
}

fn a_peer_that_never_answers_times_out_with_its_own_code(t: Transport) {
    let mut bus = PrivateBus::on(t);
    // A dbusmock method that sleeps longer than our timeout.
    bus.start_dbusmock("com.example.Slow", "/slow", "com.example.Slow");
    let conn = bus.connect();
    call_json(
        &conn,
        json!({"destination": "com.example.Slow", "path": "/slow",
               "interface": "org.freedesktop.DBus.Mock", "method": "AddMethod",
               "signature": "sssss",
               "args": ["com.example.Slow", "Hang", "", "", "import time; time.sleep(5)"]}),
    )
    .unwrap();
    let started = Instant::now();
    let e = call_json(
        &conn,
        json!({"destination": "com.example.Slow", "path": "/slow", "interface": "com.example.Slow",
               "method": "Hang", "timeout_ms": 300}),
    )
    .unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind, Kind::Timeout);
    assert_eq!(e.name, "org.freedesktop.DBus.Error.NoReply");
    assert!(took >= Duration::from_millis(290), "{took:?}");
    assert!(
        took < Duration::from_millis(1500),
        "liveness bound: {took:?}"
    );
    // The connection is still fine afterwards.
    driver(&conn, "GetId", None, json!([])).unwrap();
}

fn no_reply_calls_return_at_once(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let r = call_json(
        &conn,
        json!({"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
               "interface": "org.freedesktop.DBus", "method": "GetId", "no_reply": true}),
    )
    .unwrap();
    assert_eq!(r, json!({"type": "", "data": []}));
}

fn ping_is_answered_while_the_caller_is_outside_the_library(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let me = conn.unique_name().unwrap().unwrap();
    // We now sleep outside the library while another client pings us.
    let out = bus.run(
        "dbus-send",
        &[
            "--session",
            "--print-reply",
            "--reply-timeout=5000",
            &format!("--dest={me}"),
            "/",
            "org.freedesktop.DBus.Peer.Ping",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bus.run(
        "gdbus",
        &[
            "call",
            "--session",
            "--dest",
            &me,
            "--object-path",
            "/anything",
            "--method",
            "org.freedesktop.DBus.Peer.Ping",
            "--timeout",
            "5",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Unknown things get standard errors, not silence.
    let out = bus.run(
        "dbus-send",
        &[
            "--session",
            "--print-reply",
            "--reply-timeout=5000",
            &format!("--dest={me}"),
            "/x",
            "com.example.Nope.Method",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("org.freedesktop.DBus.Error.UnknownObject"),
        "{err}"
    );
    drop(conn);
}

fn a_bus_that_dies_gives_disconnected_not_a_hang(t: Transport) {
    let mut bus = PrivateBus::on(t);
    bus.start_dbusmock("com.example.Slow2", "/slow", "com.example.Slow2");
    let conn = bus.connect();
    call_json(
        &conn,
        json!({"destination": "com.example.Slow2", "path": "/slow",
               "interface": "org.freedesktop.DBus.Mock", "method": "AddMethod",
               "signature": "sssss",
               "args": ["com.example.Slow2", "Hang", "", "", "import time; time.sleep(30)"]}),
    )
    .unwrap();
    let killer = {
        let started = Instant::now();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            bus.kill_daemon();
            (started, bus)
        })
    };
    let started = Instant::now();
    let e = call_json(
        &conn,
        json!({"destination": "com.example.Slow2", "path": "/slow",
               "interface": "com.example.Slow2", "method": "Hang", "timeout_ms": 20000}),
    )
    .unwrap_err();
    killer.join().unwrap();
    assert_eq!(e.kind, Kind::Disconnected, "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Later calls fail at once with the same class.
    let e = driver(&conn, "GetId", None, json!([])).unwrap_err();
    assert_eq!(e.kind, Kind::Disconnected);
}

#[test]
fn request_texts_are_checked_key_by_key() {
    use skypebus::call::CallRequest;
    let kind = |text: &str| CallRequest::parse(text).unwrap_err().kind;
    assert_eq!(
        kind(r#"{"path":"/","method":"X","path":"/y"}"#),
        Kind::InvalidJson
    );
    assert_eq!(
        kind(r#"{"path":"/","method":"X","args":[{"a":1,"a":2}]}"#),
        Kind::InvalidJson
    );
    assert_eq!(
        kind(r#"{"path":"/","method":"X","destination":null}"#),
        Kind::InvalidRequest
    );
    assert_eq!(
        kind(r#"{"path":"/","method":"X","args":{"a":1}}"#),
        Kind::InvalidRequest
    );
    assert_eq!(
        kind(r#"{"path":"/","method":"X","no_reply":1}"#),
        Kind::InvalidRequest
    );
    assert_eq!(kind(r#"{"path":"/"}"#), Kind::InvalidRequest);
    assert_eq!(kind(r#"[1, 2]"#), Kind::InvalidRequest);
    assert_eq!(
        kind(r#"{"path":"/","method":"X"} trailing"#),
        Kind::InvalidJson
    );
    assert_eq!(
        kind(r#"{"path":"/","method":"X","bogus":1,"#),
        Kind::InvalidJson
    );
    let r = CallRequest::parse(
        r#"{"path":"/a","method":"M","args":[1,"\u00e9"],"timeout_ms":0,"no_reply":true,"variants":"typed"}"#,
    )
    .unwrap();
    assert_eq!((r.path.as_str(), r.method.as_str()), ("/a", "M"));
    assert_eq!(r.args.values().unwrap(), &[json!(1), json!("é")][..]);
    assert!(r.no_reply && r.typed_variants && r.timeout.is_none());
    assert_eq!(r.header_flags(), 0);
    // The header flags of a system bus call.
    let r = CallRequest::parse(
        r#"{"path":"/a","method":"M","no_auto_start":true,"allow_interactive_authorization":true}"#,
    )
    .unwrap();
    assert_eq!(
        r.header_flags(),
        skypebus::message::NO_AUTO_START | skypebus::message::ALLOW_INTERACTIVE_AUTHORIZATION
    );
    assert_eq!(
        kind(r#"{"path":"/","method":"X","allow_interactive_authorization":"yes"}"#),
        Kind::InvalidRequest
    );
    // The same rules through the Value form (used by call_many).
    let e = CallRequest::from_value(json!({"path": "/", "method": "X", "bogus": 1})).unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
}

/// validate_names keeps the last valid set of names per thread: a repeated valid set passes, and
/// an invalid name is refused whatever came before it.
#[test]
fn name_checks_are_exact_after_a_valid_call() {
    use skypebus::call::{CallRequest, validate_names};
    let req = |text: &str| CallRequest::parse(text).unwrap();
    let valid = req(
        r#"{"destination":"org.example.A","path":"/a","interface":"org.example.I","method":"M"}"#,
    );
    assert!(validate_names(&valid).is_ok());
    assert!(validate_names(&valid).is_ok());
    for bad in [
        r#"{"destination":"org.example.A","path":"/a","interface":"org.example.I","method":"M-"}"#,
        r#"{"destination":"org.example.A","path":"a","interface":"org.example.I","method":"M"}"#,
        r#"{"destination":"org..A","path":"/a","interface":"org.example.I","method":"M"}"#,
        r#"{"destination":"org.example.A","path":"/a","interface":"I","method":"M"}"#,
        r#"{"destination":"","path":"/a","interface":"org.example.I","method":"M"}"#,
    ] {
        let bad = req(bad);
        assert_eq!(
            validate_names(&bad).unwrap_err().kind,
            Kind::InvalidName,
            "{bad:?}"
        );
        assert_eq!(
            validate_names(&bad).unwrap_err().kind,
            Kind::InvalidName,
            "{bad:?}"
        );
        assert!(validate_names(&valid).is_ok());
    }
    // An absent name is not a present one.
    let without = req(r#"{"path":"/a","method":"M"}"#);
    assert!(validate_names(&without).is_ok());
    let empty_interface = req(r#"{"path":"/a","interface":"","method":"M"}"#);
    assert_eq!(
        validate_names(&empty_interface).unwrap_err().kind,
        Kind::InvalidName
    );
}

per_transport!(
    get_id_and_list_names,
    connections_take_the_transport_asked_for,
    request_name_with_explicit_signature_and_inferred,
    error_paths,
    a_peer_that_never_answers_times_out_with_its_own_code,
    no_reply_calls_return_at_once,
    ping_is_answered_while_the_caller_is_outside_the_library,
    a_bus_that_dies_gives_disconnected_not_a_hang,
);
