//! Asynchronous calls and the pollable descriptor: results as `call_finished` events, a slow
//! peer (dbusmock sleeping 2 s) delaying nothing else, level-triggered readiness for every kind
//! of event, cancel, free, the bound, and calls to an object of the calling connection itself.
//! (The CPU an idle loop spends is measured by the PHP suite, in a process of its own.)

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skypebus::call::CallRequest;
use skypebus::connection::Connection;
use skypebus::error::Kind;
use skypebus::event::Options;
use skypebus::hub;
use skypebus::pending::{self, PendingCall};
use skypebus::signal::{MatchRule, SignalRequest};
use support::{Block, PrivateBus, Transport, call_json};

fn start(conn: &Arc<Connection>, request: Value) -> PendingCall {
    pending::start(conn, CallRequest::from_value(request).unwrap())
        .block()
        .expect("start")
}

fn get_id() -> Value {
    json!({"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
           "interface": "org.freedesktop.DBus", "method": "GetId"})
}

/// Whether `fd` is readable, waiting up to `ms`.
fn readable(fd: i32, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    n == 1 && p.revents & libc::POLLIN != 0
}

fn next(conn: &Connection) -> Option<Value> {
    hub::next_event(conn, Duration::ZERO)
        .block()
        .expect("next_event")
        .map(|s| serde_json::from_str(&s).unwrap())
}

fn result(p: &PendingCall) -> Value {
    serde_json::from_str(&p.wait(Duration::ZERO).block().unwrap().expect("finished")).unwrap()
}

/// A dbusmock peer whose `Sleep` takes 2 s.
fn slow_peer(bus: &mut PrivateBus, conn: &Connection) -> Value {
    bus.start_dbusmock("com.example.Slow", "/slow", "com.example.Slow");
    call_json(
        conn,
        json!({"destination": "com.example.Slow", "path": "/slow",
               "interface": "org.freedesktop.DBus.Mock", "method": "AddMethod",
               "signature": "sssss",
               "args": ["com.example.Slow", "Sleep", "", "s", "import time; time.sleep(2); ret = 'slept'"]}),
    )
    .unwrap();
    json!({"destination": "com.example.Slow", "path": "/slow",
           "interface": "com.example.Slow", "method": "Sleep", "signature": ""})
}

fn a_slow_peer_delays_nothing_else(t: Transport) {
    let mut bus = PrivateBus::on(t);
    let conn = Arc::new(bus.connect());
    let sleep = slow_peer(&mut bus, &conn);
    let fd = hub::event_fd(&conn).unwrap();
    let began = Instant::now();
    let slow = start(&conn, sleep);
    let calls: Vec<PendingCall> = (0..100).map(|_| start(&conn, get_id())).collect();
    assert!(began.elapsed() < Duration::from_secs(1), "starting blocked");
    // Take the 100 finished calls through the descriptor, as an event loop does.
    let mut finished = std::collections::BTreeSet::new();
    while finished.len() < 100 {
        assert!(readable(fd, 5000), "the descriptor never became readable");
        while let Some(ev) = next(&conn) {
            assert_eq!(ev["kind"], "call_finished", "{ev}");
            finished.insert(ev["id"].as_u64().unwrap());
        }
    }
    let fast = began.elapsed();
    assert!(
        fast < Duration::from_millis(1900),
        "fast calls took {fast:?}"
    );
    assert!(!slow.is_ready(), "the slow call finished too early");
    let ids: std::collections::BTreeSet<u64> = calls.iter().map(PendingCall::id).collect();
    assert_eq!(finished, ids);
    for c in &calls {
        assert_eq!(result(c)["type"], "s");
    }
    assert!(!readable(fd, 0), "readable with nothing waiting");
    // The slow one finishes on its own, about 2 s after it started.
    assert!(readable(fd, 10_000));
    assert_eq!(next(&conn).unwrap()["id"], slow.id());
    assert_eq!(result(&slow), json!({"type": "s", "data": ["slept"]}));
    assert!(began.elapsed() >= Duration::from_millis(1900));
}

fn the_descriptor_is_readable_exactly_while_something_waits(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = Arc::new(bus.connect());
    let other = bus.connect();
    let fd = hub::event_fd(&conn).unwrap();
    assert!(!readable(fd, 0));
    // A finished call: readable until its event is taken, then not; level-triggered.
    let p = start(&conn, get_id());
    assert!(readable(fd, 5000));
    assert!(
        readable(fd, 0),
        "readiness must stay until the event is taken"
    );
    assert_eq!(next(&conn).unwrap()["kind"], "call_finished");
    assert!(!readable(fd, 0));
    assert_eq!(result(&p)["type"], "s");
    // Taking the result first forgets the event: nothing stays readable for it.
    let p = start(&conn, get_id());
    assert_eq!(
        serde_json::from_str::<Value>(&p.wait(Duration::from_secs(5)).block().unwrap().unwrap())
            .unwrap()["type"],
        "s"
    );
    assert!(!readable(fd, 0));
    assert!(next(&conn).is_none());
    // A signal.
    let (rule, opts) = MatchRule::from_value(&json!({"interface": "com.example.Sig"})).unwrap();
    hub::subscribe(&conn, rule, opts).block().unwrap();
    let emit = SignalRequest::parse(
        r#"{"path":"/s","interface":"com.example.Sig","member":"Ping","args":["x"]}"#,
    )
    .unwrap();
    skypebus::signal::emit(&other, &emit).block().unwrap();
    assert!(readable(fd, 5000));
    assert_eq!(next(&conn).unwrap()["kind"], "signal");
    assert!(!readable(fd, 0));
    // A call to serve.
    hub::export(&conn, "/obj", XML, None).block().unwrap();
    let me = conn.unique_name().unwrap().unwrap();
    let caller = std::thread::spawn({
        let address = bus.target();
        move || {
            let c = hub::open(address).block().unwrap();
            call_json(
                &c,
                json!({"destination": me, "path": "/obj", "interface": "com.example.Echo",
                       "method": "Echo", "args": ["hi"]}),
            )
        }
    });
    assert!(readable(fd, 5000));
    let ev = next(&conn).unwrap();
    assert_eq!(ev["kind"], "call");
    assert!(!readable(fd, 0));
    hub::reply(&conn, ev["call"].as_u64().unwrap(), Some(r#"["hi"]"#))
        .block()
        .unwrap();
    assert_eq!(caller.join().unwrap().unwrap()["data"], json!(["hi"]));
    // A name event.
    support::driver(
        &conn,
        "RequestName",
        Some("su"),
        json!(["com.example.Named", 4]),
    )
    .unwrap();
    assert!(readable(fd, 5000));
    assert_eq!(next(&conn).unwrap()["kind"], "name_acquired");
    assert!(!readable(fd, 0));
}

fn cancel_free_and_the_bound(t: Transport) {
    let mut bus = PrivateBus::on(t);
    let conn = Arc::new(bus.connect());
    let sleep = slow_peer(&mut bus, &conn);
    let fd = hub::event_fd(&conn).unwrap();
    // Cancel: no result, no event, and the slot is free again.
    hub::set_options(&conn, &Options::parse(r#"{"max_async_calls": 2}"#).unwrap()).unwrap();
    let a = start(&conn, sleep.clone());
    let b = start(&conn, sleep.clone());
    let refused = pending::start(&conn, CallRequest::from_value(get_id()).unwrap()).block();
    let e = refused.err().expect("a third call is refused");
    assert_eq!(e.kind, Kind::LimitExceeded, "{e}");
    assert!(e.message.contains("max_async_calls"), "{e}");
    assert!(a.cancel().unwrap());
    assert!(a.is_ready());
    assert_eq!(
        a.wait(Duration::ZERO).block().unwrap_err().kind,
        Kind::InvalidRequest
    );
    let c = start(&conn, get_id());
    assert_eq!(
        serde_json::from_str::<Value>(&c.wait(Duration::from_secs(5)).block().unwrap().unwrap())
            .unwrap()["type"],
        "s"
    );
    assert!(!c.cancel().unwrap(), "a finished call is not cancelled");
    assert_eq!(result(&c)["type"], "s");
    // Freeing a handle in flight cancels it and leaves no event.
    drop(b);
    std::thread::sleep(Duration::from_millis(2500));
    assert!(!readable(fd, 0));
    assert!(next(&conn).is_none());
    let stats: Value = serde_json::from_str(&hub::stats_json(&conn).unwrap()).unwrap();
    assert_eq!(stats["async_calls"], 0, "{stats}");
    // Bad requests fail at once.
    let bad = pending::start(
        &conn,
        CallRequest::from_value(json!({"destination": "no..name", "path": "/", "method": "X"}))
            .unwrap(),
    )
    .block();
    assert_eq!(bad.err().unwrap().kind, Kind::InvalidName);
    // Freeing the connection with a call in flight: the call ends with Disconnected.
    let pending = start(&conn, sleep);
    drop(conn);
    let e = pending.wait(Duration::from_secs(5)).block().unwrap_err();
    assert_eq!(e.kind, Kind::Disconnected, "{e}");
}

fn calls_to_ourselves(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = Arc::new(bus.connect());
    hub::export(&conn, "/obj", XML, None).block().unwrap();
    let me = conn.unique_name().unwrap().unwrap();
    let echo = json!({"destination": me, "path": "/obj", "interface": "com.example.Echo",
                      "method": "Echo", "args": ["me"], "timeout_ms": 20000});
    // A blocking call would wait for itself: refused at once, naming the object.
    let began = Instant::now();
    let e = call_json(&conn, echo.clone()).unwrap_err();
    assert!(began.elapsed() < Duration::from_secs(5));
    assert_eq!(e.name, "net.skypebus.Error.CallToSelf", "{e}");
    assert!(e.message.contains("com.example.Echo.Echo on /obj"), "{e}");
    // What the library answers itself still works.
    let intro = call_json(
        &conn,
        json!({"destination": me, "path": "/obj",
               "interface": "org.freedesktop.DBus.Introspectable", "method": "Introspect"}),
    )
    .unwrap();
    assert!(
        intro["data"][0]
            .as_str()
            .unwrap()
            .contains("com.example.Echo")
    );
    // Asynchronously, the call is served from the event loop like any other.
    let p = start(&conn, echo);
    let ev = loop {
        let ev = hub::next_event(&conn, Duration::from_secs(5))
            .block()
            .unwrap()
            .unwrap();
        let ev: Value = serde_json::from_str(&ev).unwrap();
        if ev["kind"] == "call" {
            break ev;
        }
    };
    hub::reply(&conn, ev["call"].as_u64().unwrap(), Some(r#"["back"]"#))
        .block()
        .unwrap();
    let done: Value = serde_json::from_str(
        &hub::next_event(&conn, Duration::from_secs(5))
            .block()
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(done, json!({"kind": "call_finished", "id": p.id()}));
    assert_eq!(result(&p), json!({"type": "s", "data": ["back"]}));
    // With another thread waiting for events, a blocking call to ourselves is served by it.
    let server = std::thread::spawn({
        let conn = conn.clone();
        move || {
            let ev = hub::next_event(&conn, Duration::from_secs(10))
                .block()
                .unwrap()
                .unwrap();
            let ev: Value = serde_json::from_str(&ev).unwrap();
            hub::reply(&conn, ev["call"].as_u64().unwrap(), Some(r#"["served"]"#))
                .block()
                .unwrap();
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    let r = call_json(
        &conn,
        json!({"destination": me, "path": "/obj", "interface": "com.example.Echo",
               "method": "Echo", "args": ["x"]}),
    )
    .unwrap();
    assert_eq!(r["data"], json!(["served"]));
    server.join().unwrap();
}

const XML: &str = r#"<node><interface name="com.example.Echo">
  <method name="Echo"><arg type="s" direction="in"/><arg type="s" direction="out"/></method>
</interface></node>"#;

per_transport!(a_slow_peer_delays_nothing_else);
per_transport!(the_descriptor_is_readable_exactly_while_something_waits);
per_transport!(cancel_free_and_the_bound);
per_transport!(calls_to_ourselves);
