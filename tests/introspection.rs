//! Calls without signatures: typed by the peer's introspection data, cached per owner and
//! interface, re-read when a name changes owner; properties typed by their declared types.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skypebus::error::Kind;
use skypebus::property::{PropertyRequest, properties};
use support::{Block, PYTHON, PrivateBus, call_json, driver, repo_root};

/// Starts a helper service script and waits for its READY line.
fn start_service(bus: &PrivateBus, script: &str, args: &[&str]) -> Child {
    let path = repo_root().join("tests/support").join(script);
    let mut child = bus
        .command(PYTHON)
        .arg(path)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start service");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "READY", "{script} did not start");
    child
}

struct Service(Child);
impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn prop(
    conn: &skypebus::connection::Connection,
    req: Value,
) -> Result<Value, skypebus::error::Error> {
    let r = PropertyRequest::parse(&req.to_string())?;
    Ok(serde_json::from_str(&properties(conn, &r).block()?).unwrap())
}

/// `busctl monitor` on the private bus, collecting the JSON of every message it sees.
struct Monitor {
    child: Child,
    reader: Option<std::thread::JoinHandle<Vec<Value>>>,
}

impl Monitor {
    fn start(bus: &PrivateBus) -> Monitor {
        let mut child = bus
            .command("busctl")
            .args(["--user", "monitor", "--json=short"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("busctl monitor");
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(|l| l.ok())
                .filter_map(|l| serde_json::from_str(&l).ok())
                .collect()
        });
        // Give it time to become a monitor.
        std::thread::sleep(Duration::from_millis(500));
        Monitor {
            child,
            reader: Some(reader),
        }
    }

    /// Stops and returns the messages seen.
    fn finish(mut self) -> Vec<Value> {
        std::thread::sleep(Duration::from_millis(300));
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.reader.take().unwrap().join().unwrap()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn count_member(messages: &[Value], member: &str) -> usize {
    messages
        .iter()
        .filter(|m| m["type"] == "method_call" && m["member"] == member)
        .count()
}

fn payload_type<'a>(messages: &'a [Value], member: &str) -> Vec<&'a str> {
    messages
        .iter()
        .filter(|m| m["type"] == "method_call" && m["member"] == member)
        .filter_map(|m| m["payload"]["type"].as_str())
        .collect()
}

#[test]
fn notification_with_hints_typed_by_introspection_and_by_the_user() {
    let mut bus = PrivateBus::start();
    bus.start_template("notification_daemon", "org.freedesktop.Notifications");
    let conn = bus.connect();
    let monitor = Monitor::start(&bus);
    let notify = |hints: Value| {
        call_json(
            &conn,
            json!({"destination": "org.freedesktop.Notifications",
                   "path": "/org/freedesktop/Notifications",
                   "interface": "org.freedesktop.Notifications", "method": "Notify",
                   "args": ["skypebus", 0, "", "Hello", "From PHP", ["ok", "OK"], hints, 5000]}),
        )
        .unwrap()
    };
    let r = notify(json!({"urgency": {"type": "y", "data": 2}, "category": "im"}));
    assert_eq!(r["type"], "u");
    notify(json!({"urgency": 2}));
    let seen = monitor.finish();
    // The outer types came from introspection: `u` and `i` though plain JSON integers were given.
    assert_eq!(
        payload_type(&seen, "Notify"),
        vec!["susssasa{sv}i", "susssasa{sv}i"]
    );

    // The mock's call log, with typed variants: urgency is a byte where the user said so, and
    // the documented inferred type (`i`) where a plain integer was given.
    let log = call_json(
        &conn,
        json!({"destination": "org.freedesktop.Notifications",
               "path": "/org/freedesktop/Notifications",
               "interface": "org.freedesktop.DBus.Mock", "method": "GetMethodCalls",
               "args": ["Notify"], "variants": "typed"}),
    )
    .unwrap();
    let calls = log["data"][0].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    let hints_of = |i: usize| calls[i][1][6]["data"].clone();
    let h0 = hints_of(0);
    assert_eq!(h0["urgency"], json!({"type": "y", "data": 2}), "{h0}");
    assert_eq!(h0["category"], json!({"type": "s", "data": "im"}));
    assert_eq!(hints_of(1)["urgency"], json!({"type": "i", "data": 2}));
    // The u argument (replaces_id) and the i argument (timeout) in the log.
    assert_eq!(calls[0][1][1], json!({"type": "u", "data": 0}));
    assert_eq!(calls[0][1][7], json!({"type": "i", "data": 5000}));
}

#[test]
fn bus_driver_without_signatures_and_its_properties() {
    let bus = PrivateBus::start();
    let conn = bus.connect();
    let r = driver(&conn, "RequestName", None, json!(["com.example.X", 4])).unwrap();
    assert_eq!(r, json!({"type": "u", "data": [1]}));
    let base = json!({"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
                      "interface": "org.freedesktop.DBus"});
    let mut req = base.clone();
    req["op"] = json!("get");
    req["name"] = json!("Features");
    let r = prop(&conn, req).unwrap();
    assert_eq!(r["type"], "as");
    assert!(r["data"].is_array());
    let mut req = base.clone();
    req["op"] = json!("get");
    req["name"] = json!("Interfaces");
    let r = prop(&conn, req).unwrap();
    assert_eq!(r["type"], "as");
    let mut req = base.clone();
    req["op"] = json!("get_all");
    let r = prop(&conn, req).unwrap();
    assert_eq!(r["type"], "a{sv}");
    assert!(r["data"]["Features"].is_array());
}

#[test]
fn property_set_uses_the_declared_type() {
    let bus = PrivateBus::start();
    let _svc = Service(start_service(
        &bus,
        "typed_service.py",
        &["net.skypebus.Typed"],
    ));
    let conn = bus.connect();
    let base = json!({"destination": "net.skypebus.Typed", "path": "/net/skypebus/Typed",
                      "interface": "net.skypebus.Typed"});
    let set = |name: &str, value: Value| {
        let mut r = base.clone();
        r["op"] = json!("set");
        r["name"] = json!(name);
        r["value"] = value;
        prop(&conn, r)
    };
    let get = |name: &str| {
        let mut r = base.clone();
        r["op"] = json!("get");
        r["name"] = json!(name);
        prop(&conn, r).unwrap()
    };
    // GDBus refuses a Set whose variant type differs from the declared one, so success proves it.
    set("Level", json!(0.5)).unwrap();
    assert_eq!(get("Level"), json!({"type": "d", "data": 0.5}));
    set("Level", json!(2)).unwrap();
    assert_eq!(get("Level"), json!({"type": "d", "data": 2.0}));
    set("Count", json!(7)).unwrap();
    assert_eq!(get("Count"), json!({"type": "u", "data": 7}));
    set("Tags", json!(["x", "y"])).unwrap();
    assert_eq!(get("Tags"), json!({"type": "as", "data": ["x", "y"]}));
    set("Tags", json!([])).unwrap();
    assert_eq!(get("Tags"), json!({"type": "as", "data": []}));
    // A value that cannot have the declared type is our error; a read-only property the peer's.
    let e = set("Count", json!(-1)).unwrap_err();
    assert_eq!(e.kind, Kind::TypeMismatch, "{e}");
    let e = set("Name", json!("x")).unwrap_err();
    assert_eq!(e.kind, Kind::DBus, "{e}");
    // A value in the typed form says its own type.
    set("Count", json!({"type": "u", "data": 9})).unwrap();
    assert_eq!(get("Count"), json!({"type": "u", "data": 9}));
    // An explicit signature still wins (and GDBus then refuses the wrong type).
    let mut r = base.clone();
    r["op"] = json!("set");
    r["name"] = json!("Count");
    r["value"] = json!(7);
    r["signature"] = json!("i");
    let e = prop(&conn, r).unwrap_err();
    assert_eq!(e.name, "org.freedesktop.DBus.Error.InvalidArgs", "{e}");
}

/// The header flags of property requests, seen on the wire by `busctl monitor`.
#[test]
fn property_requests_carry_the_header_flags_they_ask_for() {
    let bus = PrivateBus::start();
    let _svc = Service(start_service(
        &bus,
        "typed_service.py",
        &["net.skypebus.Typed"],
    ));
    let conn = bus.connect();
    let monitor = Monitor::start(&bus);
    let base = json!({"destination": "net.skypebus.Typed", "path": "/net/skypebus/Typed",
                      "interface": "net.skypebus.Typed", "name": "Count"});
    let mut get = base.clone();
    get["op"] = json!("get");
    get["no_auto_start"] = json!(true);
    prop(&conn, get).unwrap();
    let mut set = base.clone();
    set["op"] = json!("set");
    set["value"] = json!(3);
    set["allow_interactive_authorization"] = json!(true);
    prop(&conn, set).unwrap();
    let mut all = base.clone();
    all.as_object_mut().unwrap().remove("name");
    all["op"] = json!("get_all");
    prop(&conn, all).unwrap();
    let mut bad = base.clone();
    bad["op"] = json!("get");
    bad["no_auto_start"] = json!("yes");
    assert_eq!(prop(&conn, bad).unwrap_err().kind, Kind::InvalidRequest);
    let seen = monitor.finish();
    let flags = |member: &str| -> Vec<u64> {
        seen.iter()
            .filter(|m| {
                m["type"] == "method_call"
                    && m["member"] == member
                    && m["interface"] == "org.freedesktop.DBus.Properties"
            })
            .filter_map(|m| m["flags"].as_u64())
            .collect()
    };
    assert_eq!(flags("Get"), [2]);
    assert_eq!(flags("Set"), [4]);
    assert_eq!(flags("GetAll"), [0]);
}

#[test]
fn one_introspection_per_owner_and_interface() {
    let bus = PrivateBus::start();
    let _svc = Service(start_service(
        &bus,
        "typed_service.py",
        &["net.skypebus.Many", "u", "20"],
    ));
    let conn = bus.connect();
    let monitor = Monitor::start(&bus);
    for n in 0..20 {
        let r = call_json(
            &conn,
            json!({"destination": "net.skypebus.Many", "path": format!("/net/skypebus/Typed/{n}"),
                   "interface": "net.skypebus.Typed", "method": "Take", "args": [n]}),
        )
        .unwrap();
        assert_eq!(r["data"][0], "u");
    }
    let seen = monitor.finish();
    assert_eq!(
        count_member(&seen, "Introspect"),
        1,
        "one per owner and interface"
    );
    assert_eq!(
        count_member(&seen, "GetNameOwner"),
        1,
        "the owner is tracked, not asked again"
    );
    assert_eq!(count_member(&seen, "Take"), 20);
    assert_eq!(
        skypebus::hub::of(&conn)
            .unwrap()
            .introspection()
            .introspections(),
        1
    );
}

#[test]
fn a_restarted_peer_is_reintrospected() {
    let bus = PrivateBus::start();
    let conn = bus.connect();
    let take = |arg: Value| {
        call_json(
            &conn,
            json!({"destination": "net.skypebus.Restart", "path": "/net/skypebus/Typed",
                   "interface": "net.skypebus.Typed", "method": "Take", "args": [arg]}),
        )
    };
    {
        let _svc = Service(start_service(
            &bus,
            "typed_service.py",
            &["net.skypebus.Restart", "t"],
        ));
        assert_eq!(take(json!(5)).unwrap()["data"][0], "t");
    }
    // The caller is outside the library while the peer goes and comes back.
    let _svc = Service(start_service(
        &bus,
        "typed_service.py",
        &["net.skypebus.Restart", "n"],
    ));
    assert_eq!(take(json!(5)).unwrap()["data"][0], "n");
}

#[test]
fn ambiguous_missing_uninstrospectable_and_malformed() {
    let bus = PrivateBus::start();
    let _svc = Service(start_service(
        &bus,
        "typed_service.py",
        &["net.skypebus.Amb"],
    ));
    let _bad = Service(start_service(
        &bus,
        "bad_introspection.py",
        &["net.skypebus.Bad"],
    ));
    let conn = bus.connect();
    // Twin exists in two interfaces at the path: an error naming both.
    let e = call_json(
        &conn,
        json!({"destination": "net.skypebus.Amb", "path": "/net/skypebus/Typed", "method": "Twin",
               "args": ["x"]}),
    )
    .unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
    assert!(
        e.message.contains("net.skypebus.Typed") && e.message.contains("net.skypebus.Other"),
        "{e}"
    );
    // A method found in one interface without naming it: the message carries that interface
    // (GDBus refuses calls without one).
    let r = call_json(
        &conn,
        json!({"destination": "net.skypebus.Amb", "path": "/net/skypebus/Typed", "method": "Take",
               "args": [5]}),
    )
    .unwrap();
    assert_eq!(r["data"][0], "u");
    // Naming the interface resolves it.
    call_json(
        &conn,
        json!({"destination": "net.skypebus.Amb", "path": "/net/skypebus/Typed",
               "interface": "net.skypebus.Other", "method": "Twin", "args": [1]}),
    )
    .unwrap();
    // A missing method falls back to inference, and the peer says it does not exist.
    let e = call_json(
        &conn,
        json!({"destination": "net.skypebus.Amb", "path": "/net/skypebus/Typed",
               "interface": "net.skypebus.Typed", "method": "Nope", "args": [1]}),
    )
    .unwrap_err();
    assert_eq!(e.name, "org.freedesktop.DBus.Error.UnknownMethod", "{e}");
    // Malformed XML: inference (the peer echoes the wire signature), and a clear error when
    // introspection is asked for directly.
    let r = call_json(
        &conn,
        json!({"destination": "net.skypebus.Bad", "path": "/bad", "interface": "net.skypebus.Bad",
               "method": "Take", "args": [7, "x"]}),
    )
    .unwrap();
    assert_eq!(r["data"][0], "is");
    let e = skypebus::introspect::introspect_json(
        &skypebus::hub::lookup(&conn).unwrap(),
        Some("net.skypebus.Bad"),
        "/bad",
        Duration::from_secs(5),
    )
    .block()
    .unwrap_err();
    assert_eq!(e.kind, Kind::InvalidMessage);
    assert!(e.message.contains("introspection XML"), "{e}");
    // A peer that cannot introspect at all (our own connection): inference, then its error.
    let other = bus.connect();
    let name = other.unique_name().unwrap().unwrap();
    let started = Instant::now();
    let e = call_json(
        &conn,
        json!({"destination": name, "path": "/x", "interface": "com.example.X", "method": "Y",
               "args": [1]}),
    )
    .unwrap_err();
    assert_eq!(e.name, "org.freedesktop.DBus.Error.UnknownObject", "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn introspection_as_data() {
    let bus = PrivateBus::start();
    let _svc = Service(start_service(
        &bus,
        "typed_service.py",
        &["net.skypebus.Data", "sa{sv}", "2"],
    ));
    let conn = bus.connect();
    let text = skypebus::introspect::introspect_json(
        &skypebus::hub::lookup(&conn).unwrap(),
        Some("net.skypebus.Data"),
        "/net/skypebus/Typed",
        Duration::from_secs(5),
    )
    .block()
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let typed = v["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "net.skypebus.Typed")
        .unwrap();
    let take = typed["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Take")
        .unwrap();
    assert_eq!(take["in_signature"], "sa{sv}");
    assert_eq!(take["out_signature"], "s");
    assert_eq!(take["in"][1], json!({"name": "a1", "type": "a{sv}"}));
    let count = typed["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Count")
        .unwrap();
    assert_eq!(
        count,
        &json!({"name": "Count", "type": "u", "access": "readwrite",
                "emits_changed": "true", "annotations": {}})
    );
    let changed = &typed["signals"][0];
    assert_eq!(changed["name"], "Changed");
    assert_eq!(changed["signature"], "s");
    assert_eq!(v["nodes"], json!(["0", "1"]));
}
