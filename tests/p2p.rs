//! Peer to peer (zbus' socket, no bus): two of the library's connections face to face
//! (tests/support/p2p.rs). One exports an object and answers; the other calls it, reads its
//! properties and introspection, and receives its signals. The call, signal and serve suites of
//! the bus (tests/call_*.rs, tests/signals.rs, tests/serve.rs) need a bus driver and peers we did
//! not write; these are their counterparts for what a peer-to-peer connection can do.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use skypebus::connection::Connection;
use skypebus::error::Kind;
use skypebus::hub;
use skypebus::signal::{self, MatchRule, SignalRequest};
use support::p2p::pair;
use support::{Block, call_json};

const PATH: &str = "/com/example/Obj";

const XML: &str = r#"<node>
  <interface name="com.example.Peer">
    <method name="Add">
      <arg name="a" type="i" direction="in"/>
      <arg name="b" type="i" direction="in"/>
      <arg name="sum" type="i" direction="out"/>
    </method>
    <method name="Mix">
      <arg name="dict" type="a{sv}" direction="in"/>
      <arg name="bytes" type="ay" direction="in"/>
      <arg name="pair" type="(sd)" direction="in"/>
      <arg type="t" direction="out"/>
      <arg type="a{sv}" direction="out"/>
      <arg type="(sd)" direction="out"/>
      <arg type="ay" direction="out"/>
    </method>
    <method name="Fail">
      <arg type="s" direction="in"/>
    </method>
    <method name="Never"/>
    <signal name="Changed">
      <arg name="what" type="s"/>
    </signal>
    <property name="Version" type="s" access="read"/>
    <property name="Volume" type="u" access="readwrite"/>
  </interface>
</node>"#;

fn next(conn: &Connection, ms: u64) -> Option<Value> {
    hub::next_event(conn, Duration::from_millis(ms))
        .block()
        .expect("next_event")
        .map(|s| serde_json::from_str(&s).expect("event JSON"))
}

/// The pair, with the object exported on the first (the server).
fn served_pair() -> (Connection, Connection) {
    let (server, client) = pair();
    hub::export(
        &server,
        PATH,
        XML,
        Some(r#"{"properties": {"com.example.Peer": {"Version": "1.0", "Volume": 5}}}"#),
    )
    .block()
    .unwrap();
    (server, client)
}

/// The application's answers (`Never` is left unanswered).
fn handle(conn: &Connection, e: &Value) {
    let Some(id) = e["call"].as_u64() else {
        return;
    };
    let d = &e["data"];
    let r = match (e["kind"].as_str().unwrap(), e["member"].as_str()) {
        ("set_property", _) => hub::reply(conn, id, None).block(),
        (_, Some("Add")) => hub::reply(
            conn,
            id,
            Some(&json!([d[0].as_i64().unwrap() + d[1].as_i64().unwrap()]).to_string()),
        )
        .block(),
        (_, Some("Mix")) => hub::reply(
            conn,
            id,
            Some(&json!([u64::MAX, d[0], d[2], d[1]]).to_string()),
        )
        .block(),
        (_, Some("Fail")) => hub::reply_error(
            conn,
            id,
            "com.example.Error.Custom",
            &format!("failed: {}", d[0].as_str().unwrap()),
        )
        .block(),
        (_, Some("Never")) => return,
        other => panic!("unexpected call {other:?}: {e}"),
    };
    r.expect("answering works");
}

/// Runs `body` while a thread serves `conn` with [`handle`].
fn while_serving<T>(conn: &Connection, body: impl FnOnce() -> T) -> T {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                if let Some(e) = next(conn, 50) {
                    handle(conn, &e);
                }
            }
        });
        /// Stops the server thread however `body` ends, so a failed assertion cannot hang.
        struct Stop<'a>(&'a AtomicBool);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let _stop = Stop(&stop);
        body()
    })
}

fn call(conn: &Connection, method: &str, extra: Value) -> Result<Value, skypebus::error::Error> {
    let mut req = json!({"path": PATH, "interface": "com.example.Peer", "method": method});
    for (k, v) in extra.as_object().unwrap() {
        req[k] = v.clone();
    }
    call_json(conn, req)
}

#[test]
fn peers_have_no_unique_name_and_no_bus() {
    let (a, b) = pair();
    assert_eq!(a.unique_name().unwrap(), None);
    assert_eq!(b.unique_name().unwrap(), None);
    assert!(!a.is_bus());
    // Owning a name needs a bus: a clear error at once.
    let e = skypebus::driver::request_name(&a, "com.example.Name", 0)
        .block()
        .unwrap_err();
    assert_eq!(e.kind, Kind::NotSupported, "{e}");
}

#[test]
fn calls_to_an_exported_object_come_back_typed() {
    let (server, client) = served_pair();
    while_serving(&server, || {
        let r = call(&client, "Add", json!({"args": [40, 2]})).unwrap();
        assert_eq!(r, json!({"type": "i", "data": [42]}));
        // Typed by the server's introspection, as on a bus.
        let r = call(
            &client,
            "Mix",
            json!({"args": [{"k": 1, "s": "v"}, "AQID", ["x", 0.5]], "bytes": "base64"}),
        )
        .unwrap();
        assert_eq!(r["type"], "ta{sv}(sd)ay");
        assert_eq!(
            r["data"],
            json!([u64::MAX, {"k": 1, "s": "v"}, ["x", 0.5], "AQID"])
        );
        let e = call(&client, "Fail", json!({"args": ["why"]})).unwrap_err();
        assert_eq!(e.kind, Kind::DBus, "{e}");
        assert_eq!(e.name, "com.example.Error.Custom");
        assert_eq!(e.message, "failed: why");
        let e = call(&client, "Missing", json!({})).unwrap_err();
        assert_eq!(e.name, "org.freedesktop.DBus.Error.UnknownMethod", "{e}");
    });
}

#[test]
fn the_library_answers_peer_introspection_and_properties_itself() {
    let (server, client) = served_pair();
    // Nobody pulls the server's events: these are answered by the library alone.
    let std_call = |interface: &str, method: &str, args: Value| {
        call_json(
            &client,
            json!({"path": PATH, "interface": interface, "method": method, "args": args}),
        )
    };
    let r = std_call("org.freedesktop.DBus.Peer", "Ping", json!([])).unwrap();
    assert_eq!(r["type"], "");
    let r = std_call(
        "org.freedesktop.DBus.Introspectable",
        "Introspect",
        json!([]),
    )
    .unwrap();
    let xml = r["data"][0].as_str().unwrap();
    assert!(
        xml.contains(r#"<interface name="com.example.Peer">"#),
        "{xml}"
    );
    let r = std_call(
        "org.freedesktop.DBus.Properties",
        "Get",
        json!(["com.example.Peer", "Version"]),
    )
    .unwrap();
    assert_eq!(r, json!({"type": "v", "data": ["1.0"]}));
    let r = std_call(
        "org.freedesktop.DBus.Properties",
        "GetAll",
        json!(["com.example.Peer"]),
    )
    .unwrap();
    assert_eq!(r["data"][0], json!({"Version": "1.0", "Volume": 5}));
    // Writing goes through the application.
    while_serving(&server, || {
        std_call(
            "org.freedesktop.DBus.Properties",
            "Set",
            json!(["com.example.Peer", "Volume", {"type": "u", "data": 7}]),
        )
        .unwrap();
    });
    drop(server);
}

#[test]
fn an_unanswered_call_times_out_and_a_closed_peer_disconnects() {
    let (server, client) = served_pair();
    while_serving(&server, || {
        let e = call(&client, "Never", json!({"timeout_ms": 300})).unwrap_err();
        assert_eq!(e.kind, Kind::Timeout, "{e}");
    });
    // A call waiting when the other end goes away fails at once with Disconnected.
    let waiting = std::thread::spawn(move || {
        let r = call(&client, "Never", json!({"timeout_ms": 60000}));
        (r, client)
    });
    let e = next(&server, 10000).expect("the second call arrives");
    assert_eq!(e["member"], "Never");
    drop(server);
    let (r, client) = waiting.join().unwrap();
    let e = r.unwrap_err();
    // Disconnected, not the timeout 60 s later.
    assert_eq!(e.kind, Kind::Disconnected, "{e}");
    let e = call(&client, "Add", json!({"args": [1, 2]})).unwrap_err();
    assert_eq!(e.kind, Kind::Disconnected, "{e}");
}

#[test]
fn signals_go_straight_to_the_peer_and_subscriptions_filter() {
    let (a, b) = pair();
    let subscribe = |m: Value| {
        let (rule, opts) = MatchRule::from_value(&m).expect("valid match");
        hub::subscribe(&b, rule, opts).block().expect("subscribe")
    };
    let emit = |s: Value| {
        let req = SignalRequest::parse(&s.to_string()).expect("valid signal");
        signal::emit(&a, &req).block().expect("emit");
    };
    let changed = subscribe(json!({"interface": "com.example.Peer", "member": "Changed"}));
    let by_path = subscribe(json!({"path_namespace": "/other"}));
    emit(
        json!({"path": PATH, "interface": "com.example.Peer", "member": "Changed",
                "args": ["volume"]}),
    );
    emit(
        json!({"path": PATH, "interface": "com.example.Peer", "member": "Unwatched",
                "args": ["no"]}),
    );
    emit(
        json!({"path": "/other/x", "interface": "com.example.Else", "member": "Moved",
                "signature": "ux", "args": [1, -2]}),
    );
    let e = next(&b, 5000).expect("the Changed signal");
    assert_eq!(e["kind"], "signal");
    assert_eq!(e["member"], "Changed");
    assert_eq!(e["path"], PATH);
    assert_eq!(e["data"], json!(["volume"]));
    assert_eq!(e["subscriptions"], json!([changed]));
    let e = next(&b, 5000).expect("the Moved signal");
    assert_eq!(e["member"], "Moved");
    assert_eq!(e["type"], "ux");
    assert_eq!(e["data"], json!([1, -2]));
    assert_eq!(e["subscriptions"], json!([by_path]));
    assert_eq!(next(&b, 300), None, "the unwatched signal is filtered out");
    // After unsubscribing, nothing more arrives.
    hub::unsubscribe(&b, changed).block().unwrap();
    emit(
        json!({"path": PATH, "interface": "com.example.Peer", "member": "Changed",
                "args": ["again"]}),
    );
    assert_eq!(next(&b, 300), None);
}
