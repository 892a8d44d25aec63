//! Signals in and out on a private bus: peers we did not write (dbus-send, gdbus, the bus
//! driver) emit, our subscriptions filter exactly, the bounded queue drops the oldest.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skypebus::connection::Connection;
use skypebus::error::Kind;
use skypebus::event;
use skypebus::event::Options;
use skypebus::hub;
use skypebus::signal::{self, MatchRule, SignalRequest};
use support::{Block, PrivateBus, Transport, driver};

/// Takes the next event (waiting up to `ms`), parsed.
fn next(conn: &Connection, ms: u64) -> Option<Value> {
    hub::next_event(conn, Duration::from_millis(ms))
        .block()
        .expect("next_event")
        .map(|s| serde_json::from_str(&s).expect("event JSON"))
}

/// Takes every event arriving within `ms` of quiet.
fn drain(conn: &Connection, ms: u64) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(e) = next(conn, ms) {
        out.push(e);
    }
    out
}

fn subscribe(conn: &Connection, m: Value) -> u64 {
    let (rule, opts) = MatchRule::from_value(&m).expect("valid match");
    hub::subscribe(conn, rule, opts).block().expect("subscribe")
}

fn emit(conn: &Connection, s: Value) {
    let req = SignalRequest::parse(&s.to_string()).expect("valid signal");
    signal::emit(conn, &req).block().expect("emit");
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "command failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A round trip to the bus: every message the bus routed to `conn` before it is read by then.
fn sync(conn: &Connection) {
    driver(conn, "GetId", None, json!([])).unwrap();
}

fn dbus_send_signal_arrives_with_values_and_types(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let id = subscribe(&conn, json!({"interface": "com.example.Sig"}));
    let typed = subscribe(
        &conn,
        json!({"interface": "com.example.Sig", "member": "Variant", "variants": "typed"}),
    );
    ok(bus.run(
        "dbus-send",
        &[
            "--session",
            "--type=signal",
            "/com/example/Obj",
            "com.example.Sig.Hello",
            "string:héllo",
            "int32:-5",
            "uint64:18446744073709551615",
            "array:string:a,b",
            "dict:string:int32:x,1,y,2",
            "objpath:/a/b",
            "boolean:true",
            "byte:255",
            "double:-0.5",
        ],
    ));
    let e = next(&conn, 5000).expect("the signal arrives");
    assert_eq!(e["kind"], "signal");
    assert_eq!(e["path"], "/com/example/Obj");
    assert_eq!(e["interface"], "com.example.Sig");
    assert_eq!(e["member"], "Hello");
    assert_eq!(e["destination"], Value::Null);
    assert!(e["sender"].as_str().unwrap().starts_with(':'));
    assert_eq!(e["type"], "sitasa{si}obyd");
    assert_eq!(
        e["data"],
        json!(["héllo", -5, 18446744073709551615u64, ["a", "b"], {"x": 1, "y": 2}, "/a/b", true, 255, -0.5])
    );
    assert_eq!(e["subscriptions"], json!([id]));

    // A variant: plain for the first subscription... and the oldest matching subscription's
    // options apply, so a typed-only subscription sees typed values when it matches alone.
    ok(bus.run(
        "dbus-send",
        &[
            "--session",
            "--type=signal",
            "/",
            "com.example.Sig.Variant",
            "variant:uint32:7",
        ],
    ));
    let e = next(&conn, 5000).unwrap();
    assert_eq!(e["type"], "v");
    assert_eq!(e["data"], json!([7]));
    assert_eq!(e["subscriptions"], json!([id, typed]));
    hub::unsubscribe(&conn, id).block().unwrap();
    ok(bus.run(
        "dbus-send",
        &[
            "--session",
            "--type=signal",
            "/",
            "com.example.Sig.Variant",
            "variant:uint32:7",
        ],
    ));
    let e = next(&conn, 5000).unwrap();
    assert_eq!(e["data"], json!([{"type": "u", "data": 7}]));
    assert_eq!(e["subscriptions"], json!([typed]));
}

fn gdbus_emit_arrives(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let id = subscribe(&conn, json!({"member": "Emitted"}));
    ok(bus.run(
        "gdbus",
        &[
            "emit",
            "--session",
            "--object-path",
            "/org/gtk/Test",
            "--signal",
            "org.gtk.Test.Emitted",
            "'text'",
            "42",
            "<int64 -7>",
            "@ay [1, 2]",
            "('s', 1.5)",
        ],
    ));
    let e = next(&conn, 5000).expect("the signal arrives");
    assert_eq!(e["type"], "sivay(sd)");
    assert_eq!(e["data"], json!(["text", 42, -7, [1, 2], ["s", 1.5]]));
    assert_eq!(e["subscriptions"], json!([id]));
}

fn name_owner_changed_from_the_bus_driver(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let id = subscribe(
        &conn,
        json!({"sender": "org.freedesktop.DBus", "interface": "org.freedesktop.DBus",
               "member": "NameOwnerChanged", "arg0": "com.example.Watched"}),
    );
    let other = bus.connect();
    let other_name = other.unique_name().unwrap().unwrap();
    driver(
        &other,
        "RequestName",
        Some("su"),
        json!(["com.example.Unwatched", 0]),
    )
    .unwrap();
    driver(
        &other,
        "RequestName",
        Some("su"),
        json!(["com.example.Watched", 0]),
    )
    .unwrap();
    let e = next(&conn, 5000).expect("NameOwnerChanged arrives");
    assert_eq!(e["sender"], "org.freedesktop.DBus");
    assert_eq!(e["path"], "/org/freedesktop/DBus");
    assert_eq!(e["type"], "sss");
    assert_eq!(e["data"], json!(["com.example.Watched", "", other_name]));
    assert_eq!(e["subscriptions"], json!([id]));
    drop(other);
    let e = next(&conn, 5000).expect("the name goes with its owner");
    assert_eq!(e["data"], json!(["com.example.Watched", other_name, ""]));
    // Nothing about the unwatched name.
    assert!(drain(&conn, 200).is_empty());
}

fn match_filters_really_filter(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let emitter = bus.connect();
    let by_path = subscribe(&conn, json!({"path": "/a/b"}));
    let by_ns = subscribe(&conn, json!({"path_namespace": "/a"}));
    let by_member = subscribe(
        &conn,
        json!({"interface": "com.example.F", "member": "Two"}),
    );
    let by_arg0 = subscribe(&conn, json!({"interface": "com.example.F", "arg0": "x'y"}));
    let by_arg1path = subscribe(
        &conn,
        json!({"interface": "com.example.F", "arg1path": "/p/"}),
    );
    let by_ns0 = subscribe(
        &conn,
        json!({"interface": "com.example.F", "arg0namespace": "org.ex"}),
    );
    let sig = |path: &str, member: &str, args: Value| json!({"path": path, "interface": "com.example.F", "member": member, "args": args});
    let cases: Vec<(Value, Vec<u64>)> = vec![
        (sig("/a/b", "One", json!([])), vec![by_path, by_ns]),
        (sig("/a", "One", json!([])), vec![by_ns]),
        (sig("/ab", "One", json!([])), vec![]),
        (sig("/a/b/c", "Two", json!([])), vec![by_ns, by_member]),
        (sig("/z", "One", json!(["x'y"])), vec![by_arg0]),
        (sig("/z", "One", json!(["x'yz"])), vec![]),
        (sig("/z", "One", json!(["s", "/p/q"])), vec![by_arg1path]),
        (sig("/z", "One", json!(["s", "/"])), vec![by_arg1path]),
        (sig("/z", "One", json!(["s", "/pq"])), vec![]),
        (
            json!({"path": "/z", "interface": "com.example.F", "member": "One",
                   "signature": "so", "args": ["s", "/p/q"]}),
            vec![by_arg1path],
        ),
        (sig("/z", "One", json!(["org.ex"])), vec![by_ns0]),
        (sig("/z", "One", json!(["org.ex.Sub"])), vec![by_ns0]),
        (sig("/z", "One", json!(["org.example"])), vec![]),
        // arg0 matches strings only, not object paths.
        (
            json!({"path": "/z", "interface": "com.example.F", "member": "One",
                   "signature": "o", "args": ["/x"]}),
            vec![],
        ),
    ];
    for (s, _) in &cases {
        emit(&emitter, s.clone());
    }
    sync(&emitter);
    sync(&conn);
    let got = drain(&conn, 300);
    let expected: Vec<(&Value, &Vec<u64>)> = cases
        .iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(s, ids)| (s, ids))
        .collect();
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (e, (s, ids)) in got.iter().zip(expected) {
        assert_eq!(e["path"], s["path"], "{e}");
        assert_eq!(e["data"], s["args"], "{e}");
        assert_eq!(e["subscriptions"], json!(ids), "{e} for {s}");
    }
}

fn subscriptions_differing_only_in_a_well_known_sender(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let a = bus.connect();
    let b = bus.connect();
    driver(&a, "RequestName", Some("su"), json!(["com.example.A", 0])).unwrap();
    driver(&b, "RequestName", Some("su"), json!(["com.example.B", 0])).unwrap();
    let sub_a = subscribe(
        &conn,
        json!({"sender": "com.example.A", "interface": "com.example.S"}),
    );
    let sub_b = subscribe(
        &conn,
        json!({"sender": "com.example.B", "interface": "com.example.S"}),
    );
    let sub_all = subscribe(&conn, json!({"interface": "com.example.S"}));
    let s = |m: &str| json!({"path": "/", "interface": "com.example.S", "member": m});
    emit(&a, s("FromA"));
    emit(&b, s("FromB"));
    sync(&a);
    sync(&b);
    sync(&conn);
    let got = drain(&conn, 300);
    let find = |m: &str| got.iter().find(|e| e["member"] == m).cloned().unwrap();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(find("FromA")["subscriptions"], json!([sub_a, sub_all]));
    assert_eq!(find("FromB")["subscriptions"], json!([sub_b, sub_all]));

    // The name changes owner: the library follows the current owner.
    driver(&a, "ReleaseName", Some("s"), json!(["com.example.A"])).unwrap();
    driver(&b, "RequestName", Some("su"), json!(["com.example.A", 0])).unwrap();
    sync(&conn);
    emit(&a, s("OldOwner"));
    emit(&b, s("NewOwner"));
    sync(&a);
    sync(&b);
    sync(&conn);
    let got = drain(&conn, 300);
    let find = |m: &str| got.iter().find(|e| e["member"] == m).cloned().unwrap();
    assert_eq!(find("OldOwner")["subscriptions"], json!([sub_all]));
    assert_eq!(
        find("NewOwner")["subscriptions"],
        json!([sub_a, sub_b, sub_all])
    );

    // A name that has no owner yet at subscribe time.
    let sub_c = subscribe(
        &conn,
        json!({"sender": "com.example.C", "interface": "com.example.S"}),
    );
    let c = bus.connect();
    driver(&c, "RequestName", Some("su"), json!(["com.example.C", 0])).unwrap();
    sync(&conn);
    emit(&c, s("FromC"));
    sync(&c);
    sync(&conn);
    let got = drain(&conn, 300);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0]["subscriptions"], json!([sub_all, sub_c]));
}

fn queue_bound_drops_the_oldest_and_counts(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let emitter = bus.connect();
    hub::set_options(&conn, &Options::parse(r#"{"queue_limit": 10}"#).unwrap()).unwrap();
    subscribe(&conn, json!({"interface": "com.example.Q"}));
    for i in 0..25 {
        emit(
            &emitter,
            json!({"path": "/", "interface": "com.example.Q", "member": "N", "args": [i]}),
        );
    }
    sync(&emitter);
    sync(&conn);
    assert_eq!(hub::stats(&conn).unwrap().dropped_signals, 15);
    let got: Vec<i64> = drain(&conn, 100)
        .iter()
        .map(|e| e["data"][0].as_i64().unwrap())
        .collect();
    assert_eq!(got, (15..25).collect::<Vec<_>>());
    // A byte bound too: each message is well over 100 bytes, so only the newest stays.
    hub::set_options(
        &conn,
        &Options::parse(r#"{"queue_limit": 1000, "queue_bytes": 100}"#).unwrap(),
    )
    .unwrap();
    for i in 0..5 {
        emit(
            &emitter,
            json!({"path": "/", "interface": "com.example.Q", "member": "N", "args": [i]}),
        );
    }
    sync(&emitter);
    sync(&conn);
    let got = drain(&conn, 100);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["data"], json!([4]));
    assert_eq!(hub::stats(&conn).unwrap().dropped_signals, 19);
    // Options are checked.
    for bad in [
        r#"{"queue_limit": 0}"#,
        r#"{"x": 1}"#,
        r#"[]"#,
        r#"{"queue_limit": 1.5}"#,
    ] {
        let e = Options::parse(bad).unwrap_err();
        assert_eq!(e.kind, Kind::InvalidRequest, "{bad}");
    }
}

fn thousands_of_unpulled_signals_do_not_delay_a_method_call(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let emitter = bus.connect();
    hub::set_options(&conn, &Options::parse(r#"{"queue_limit": 256}"#).unwrap()).unwrap();
    subscribe(&conn, json!({"interface": "com.example.Flood"}));
    // More than zbus' own queue (1024) and more than our bound.
    const N: usize = 5000;
    for i in 0..N {
        emit(
            &emitter,
            json!({"path": "/", "interface": "com.example.Flood", "member": "N", "args": [i]}),
        );
    }
    sync(&emitter);
    // Every signal is now ahead of this call's reply on our socket.
    let started = Instant::now();
    sync(&conn);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "liveness bound: {took:?}");
    let st = hub::stats(&conn).unwrap();
    assert_eq!(st.dropped_signals, (N - 256) as u64);
    let first = next(&conn, 0).unwrap();
    assert_eq!(first["data"], json!([N - 256]));
}

fn unsubscribe_stops_delivery_and_discards_queued_signals(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let emitter = bus.connect();
    let one = subscribe(&conn, json!({"interface": "com.example.U", "member": "A"}));
    let two = subscribe(&conn, json!({"interface": "com.example.U"}));
    let s = |m: &str| json!({"path": "/", "interface": "com.example.U", "member": m});
    emit(&emitter, s("A"));
    emit(&emitter, s("B"));
    sync(&emitter);
    sync(&conn);
    hub::unsubscribe(&conn, two).block().unwrap();
    let got = drain(&conn, 100);
    // B matched only `two`: gone. A stays, for `one` only.
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["member"], "A");
    assert_eq!(got[0]["subscriptions"], json!([one]));
    emit(&emitter, s("B"));
    sync(&emitter);
    sync(&conn);
    assert!(drain(&conn, 100).is_empty());
    let e = hub::unsubscribe(&conn, two).block().unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
    hub::unsubscribe(&conn, one).block().unwrap();
    assert_eq!(hub::stats(&conn).unwrap(), event::Stats::default());
}

fn unicast_signals_reach_only_their_destination(t: Transport) {
    let bus = PrivateBus::on(t);
    let target = bus.connect();
    let bystander = bus.connect();
    let emitter = bus.connect();
    let me = target.unique_name().unwrap().unwrap();
    subscribe(&target, json!({"interface": "com.example.Uni"}));
    let only_to_me = subscribe(
        &target,
        json!({"interface": "com.example.Uni", "destination": me}),
    );
    subscribe(&bystander, json!({"interface": "com.example.Uni"}));
    emit(
        &emitter,
        json!({"destination": me, "path": "/", "interface": "com.example.Uni", "member": "Hi",
               "signature": "ay", "args": [[1, 2, 3]]}),
    );
    emit(
        &emitter,
        json!({"path": "/", "interface": "com.example.Uni", "member": "All",
               "args": ["AQID"], "signature": "ay", "bytes": "base64"}),
    );
    sync(&emitter);
    sync(&target);
    sync(&bystander);
    let got = drain(&target, 200);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0]["member"], "Hi");
    assert_eq!(got[0]["destination"], json!(me));
    assert_eq!(got[0]["data"], json!([[1, 2, 3]]));
    assert!(
        got[0]["subscriptions"]
            .as_array()
            .unwrap()
            .contains(&json!(only_to_me))
    );
    assert_eq!(got[1]["member"], "All");
    assert_eq!(got[1]["data"], json!([[1, 2, 3]]));
    let seen: Vec<Value> = drain(&bystander, 200);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["member"], "All");
}

fn dbus_monitor_sees_our_emitted_signal_with_its_types(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    // The signal as another client (gdbus monitor would need a name) receives it: a second
    // connection of ours subscribed with typed variants, which shows the wire types.
    let rx = bus.connect();
    subscribe(
        &rx,
        json!({"interface": "com.example.Out", "variants": "typed"}),
    );
    emit(
        &conn,
        json!({"path": "/com/example", "interface": "com.example.Out", "member": "Data",
               "args": ["s", 1, 2.5, true, {"k": "v"}, [1, 2]]}),
    );
    emit(
        &conn,
        json!({"path": "/com/example", "interface": "com.example.Out", "member": "Data",
               "signature": "qv", "args": [7, {"type": "t", "data": "18446744073709551615"}]}),
    );
    sync(&conn);
    sync(&rx);
    let got = drain(&rx, 200);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["type"], "sidba{sv}ai");
    assert_eq!(
        got[0]["data"],
        json!(["s", 1, 2.5, true, {"k": {"type": "s", "data": "v"}}, [1, 2]])
    );
    assert_eq!(got[1]["type"], "qv");
    assert_eq!(
        got[1]["data"],
        json!([7, {"type": "t", "data": 18446744073709551615u64}])
    );
}

fn bad_matches_and_signals_are_refused(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let cases = [
        (json!({"bogus": 1}), Kind::InvalidRequest),
        (json!({"arg64": "x"}), Kind::InvalidRequest),
        (json!({"arg1namespace": "x"}), Kind::InvalidRequest),
        (json!({"arg01": "x"}), Kind::InvalidRequest),
        (json!({"arg0": 5}), Kind::InvalidRequest),
        (
            json!({"path": "/a", "path_namespace": "/"}),
            Kind::InvalidRequest,
        ),
        (json!({"path": "a/b"}), Kind::InvalidName),
        (json!({"sender": "not a name"}), Kind::InvalidName),
        (json!({"interface": "nodots"}), Kind::InvalidName),
        (json!({"member": "a.b"}), Kind::InvalidName),
        (json!({"arg0namespace": "a..b"}), Kind::InvalidName),
        (json!({"variants": "boxed"}), Kind::InvalidRequest),
        (json!([]), Kind::InvalidRequest),
    ];
    for (m, kind) in cases {
        let e = MatchRule::from_value(&m).unwrap_err();
        assert_eq!(e.kind, kind, "{m}: {e}");
    }
    assert_eq!(MatchRule::parse("{").unwrap_err().kind, Kind::InvalidJson);
    // The bus' text form quotes apostrophes.
    let (rule, _) = MatchRule::from_value(&json!({"member": "M", "arg2": "it's"})).unwrap();
    assert_eq!(
        rule.to_bus_rule(),
        r"type='signal',member='M',arg2='it'\''s'"
    );
    // Signals.
    for (s, kind) in [
        (
            json!({"interface": "a.b", "member": "M"}),
            Kind::InvalidRequest,
        ),
        (
            json!({"path": "/", "interface": "a.b", "member": "M", "x": 1}),
            Kind::InvalidRequest,
        ),
        (
            json!({"path": "/", "interface": "ab", "member": "M"}),
            Kind::InvalidName,
        ),
        (
            json!({"path": "/", "interface": "a.b", "member": "M", "signature": "u", "args": [-1]}),
            Kind::TypeMismatch,
        ),
        (
            json!({"path": "/", "interface": "a.b", "member": "M", "signature": "uu", "args": [1]}),
            Kind::TypeMismatch,
        ),
    ] {
        let e = SignalRequest::parse(&s.to_string())
            .and_then(|r| signal::emit(&conn, &r).block())
            .unwrap_err();
        assert_eq!(e.kind, kind, "{s}: {e}");
    }
    // Nothing queued: an empty poll.
    assert!(next(&conn, 0).is_none());
}

fn a_signal_that_cannot_be_decoded_still_arrives_with_an_error(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    subscribe(&conn, json!({"interface": "com.example.H"}));
    // A file descriptor (`h`) index that gdbus sends without the descriptor itself: the index is
    // out of range for the message (which carries none), so only this signal is refused.
    ok(bus.run(
        "gdbus",
        &[
            "emit",
            "--session",
            "--object-path",
            "/x",
            "--signal",
            "com.example.H.Fd",
            "@h 0",
        ],
    ));
    ok(bus.run(
        "gdbus",
        &[
            "emit",
            "--session",
            "--object-path",
            "/x",
            "--signal",
            "com.example.H.Next",
            "1",
        ],
    ));
    let e = next(&conn, 5000).expect("the signal arrives");
    assert_eq!(e["member"], "Fd");
    assert_eq!(e["type"], "h");
    assert_eq!(e["data"], Value::Null);
    assert_eq!(
        e["error"]["name"], "net.skypebus.Error.InvalidMessage",
        "{e}"
    );
    let message = e["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("out of range"), "{e}");
    // The stream goes on.
    let e = next(&conn, 5000).expect("the next signal arrives");
    assert_eq!(e["data"], json!([1]));
}

fn several_threads_pulling_get_each_signal_exactly_once(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let emitter = bus.connect();
    subscribe(&conn, json!({"interface": "com.example.Par"}));
    const N: i64 = 2000;
    let seen = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while let Some(e) = next(&conn, 1000) {
                    seen.lock().unwrap().push(e["data"][0].as_i64().unwrap());
                }
            });
        }
        for i in 0..N {
            emit(
                &emitter,
                json!({"path": "/", "interface": "com.example.Par", "member": "N", "args": [i]}),
            );
        }
    });
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    assert_eq!(seen, (0..N).collect::<Vec<_>>());
    assert_eq!(hub::stats(&conn).unwrap().dropped_signals, 0);
}

/// A peer that emits a signal and then replies: when the call returns, the signal is already
/// queued. D-Bus keeps the order of the messages on a connection, and so must the library,
/// however it hands a reply to its caller (the library's socket hands replies over itself when
/// nothing read before them waits for the dispatcher).
fn a_signal_sent_before_the_reply_is_queued_when_the_call_returns(t: Transport) {
    const NAME: &str = "net.skypebus.Order";
    let mut bus = PrivateBus::on(t);
    bus.start_dbusmock(NAME, "/net/skypebus/Order", NAME);
    let conn = bus.connect();
    support::call_json(
        &conn,
        json!({"destination": NAME, "path": "/net/skypebus/Order",
            "interface": "org.freedesktop.DBus.Mock", "method": "AddMethod", "signature": "sssss",
            "args": [NAME, "EmitThenReply", "u", "u",
                "self.EmitSignal('net.skypebus.Order', 'Before', 'u', [args[0]]); ret = args[0]"]}),
    )
    .expect("AddMethod");
    subscribe(&conn, json!({"interface": NAME, "member": "Before"}));
    sync(&conn);
    for i in 0..200u32 {
        let reply = support::call_json(
            &conn,
            json!({"destination": NAME, "path": "/net/skypebus/Order", "interface": NAME,
                "method": "EmitThenReply", "signature": "u", "args": [i]}),
        )
        .expect("EmitThenReply");
        assert_eq!(reply["data"], json!([i]));
        let e = next(&conn, 0)
            .unwrap_or_else(|| panic!("call {i}: the signal sent before the reply is not queued"));
        assert_eq!(e["data"], json!([i]), "{e}");
    }
}

per_transport!(
    dbus_send_signal_arrives_with_values_and_types,
    gdbus_emit_arrives,
    name_owner_changed_from_the_bus_driver,
    match_filters_really_filter,
    subscriptions_differing_only_in_a_well_known_sender,
    queue_bound_drops_the_oldest_and_counts,
    thousands_of_unpulled_signals_do_not_delay_a_method_call,
    unsubscribe_stops_delivery_and_discards_queued_signals,
    unicast_signals_reach_only_their_destination,
    dbus_monitor_sees_our_emitted_signal_with_its_types,
    bad_matches_and_signals_are_refused,
    a_signal_that_cannot_be_decoded_still_arrives_with_an_error,
    several_threads_pulling_get_each_signal_exactly_once,
    a_signal_sent_before_the_reply_is_queued_when_the_call_returns,
);
