//! Serving on a private bus: names, exported objects called by clients we did not write
//! (gdbus, busctl, dbus-send), introspection, properties, errors, call handles.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skypebus::connection::Connection;
use skypebus::driver;
use skypebus::error::{Error, Kind};
use skypebus::event::Options;
use skypebus::hub;
use skypebus::signal::MatchRule;
use support::{Block, PrivateBus, Transport, call_json, driver};

const XML: &str = r#"<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="com.example.Calc">
    <method name="Add">
      <arg name="a" type="i" direction="in"/>
      <arg name="b" type="i" direction="in"/>
      <arg name="sum" type="i" direction="out"/>
    </method>
    <method name="Echo">
      <arg type="s" direction="in"/>
      <arg type="s" direction="out"/>
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
    <method name="Nothing"/>
    <signal name="Changed">
      <arg name="what" type="s"/>
    </signal>
    <property name="Version" type="s" access="read"/>
    <property name="Volume" type="u" access="readwrite"/>
    <property name="Secret" type="s" access="write"/>
    <property name="Limits" type="a{sv}" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="invalidates"/>
    </property>
  </interface>
  <interface name="com.example.Other">
    <method name="Add">
      <arg type="s" direction="in"/>
      <arg type="s" direction="out"/>
    </method>
  </interface>
</node>"#;

const NAME: &str = "com.example.Served";
const PATH: &str = "/com/example/Obj";

fn next(conn: &Connection, ms: u64) -> Option<Value> {
    hub::next_event(conn, Duration::from_millis(ms))
        .block()
        .expect("next_event")
        .map(|s| serde_json::from_str(&s).expect("event JSON"))
}

/// A serving connection owning NAME with the Calc object exported at PATH.
fn server(bus: &PrivateBus) -> Connection {
    let conn = bus.connect();
    assert_eq!(driver::request_name(&conn, NAME, 0).block().unwrap(), 1);
    hub::export(
        &conn,
        PATH,
        XML,
        Some(
            r#"{"variants": "typed",
                 "properties": {"com.example.Calc": {"Version": "1.0", "Volume": 5}}}"#,
        ),
    )
    .block()
    .unwrap();
    // The same object with the default (plain) variants.
    hub::export(&conn, "/plain", XML, None).block().unwrap();
    assert_eq!(
        next(&conn, 5000).unwrap(),
        json!({"kind": "name_acquired", "name": NAME})
    );
    conn
}

/// The application's handler for the Calc object, as a PHP handler would be.
fn handle(conn: &Connection, e: &Value) {
    let Some(id) = e["call"].as_u64() else {
        return;
    };
    let d = &e["data"];
    let r = match (
        e["kind"].as_str().unwrap(),
        e["interface"].as_str().unwrap(),
    ) {
        ("set_property", _) => {
            if e["data"].as_u64().unwrap_or(0) > 100 {
                hub::reply_error(
                    conn,
                    id,
                    "org.freedesktop.DBus.Error.InvalidArgs",
                    "volume above 100",
                )
                .block()
            } else {
                hub::reply(conn, id, None).block()
            }
        }
        (_, "com.example.Other") => hub::reply(
            conn,
            id,
            Some(
                &json!([format!(
                    "{}{}",
                    d[0].as_str().unwrap(),
                    d[0].as_str().unwrap()
                )])
                .to_string(),
            ),
        )
        .block(),
        _ => match e["member"].as_str().unwrap() {
            "Add" => hub::reply(
                conn,
                id,
                Some(&json!([d[0].as_i64().unwrap() + d[1].as_i64().unwrap()]).to_string()),
            )
            .block(),
            "Echo" => hub::reply(conn, id, Some(&json!({"args": [d[0]]}).to_string())).block(),
            "Mix" => hub::reply(
                conn,
                id,
                Some(&json!([u64::MAX, d[0], d[2], d[1]]).to_string()),
            )
            .block(),
            "Fail" => hub::reply_error(
                conn,
                id,
                "com.example.Error.Custom",
                &format!("failed: {}", d[0].as_str().unwrap()),
            )
            .block(),
            "Nothing" => hub::reply(conn, id, None).block(),
            other => panic!("unexpected member {other}"),
        },
    };
    r.expect("answering works");
}

/// Runs `body` while a thread serves `conn` with [`handle`]; returns what `body` returned.
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

fn run_ok(bus: &PrivateBus, program: &str, args: &[&str]) -> String {
    let out = bus.run(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs a command that must fail; returns its stderr.
fn run_err(bus: &PrivateBus, program: &str, args: &[&str]) -> String {
    let out = bus.run(program, args);
    assert!(
        !out.status.success(),
        "{program} {args:?} should fail: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn gdbus_call(method: &str, args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "call",
        "--session",
        "--dest",
        NAME,
        "--object-path",
        PATH,
        "--timeout",
        "10",
        "--method",
        method,
        "--",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(args.iter().map(|s| s.to_string()));
    v
}

/// `gdbus introspect` of `path` on our served name.
fn gdbus_introspect(bus: &PrivateBus, path: &str) -> String {
    run_ok(
        bus,
        "gdbus",
        &[
            "introspect",
            "--session",
            "--dest",
            NAME,
            "--object-path",
            path,
        ],
    )
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn gdbus_and_busctl_call_an_exported_object_with_typed_values(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = server(&bus);
    while_serving(&conn, || {
        let out = run_ok(
            &bus,
            "gdbus",
            &strs(&gdbus_call("com.example.Calc.Add", &["2", "-7"])),
        );
        assert_eq!(out, "(-5,)");
        let out = run_ok(
            &bus,
            "gdbus",
            &strs(&gdbus_call("com.example.Calc.Echo", &["'héllo wörld'"])),
        );
        assert_eq!(out, "('héllo wörld',)");
        let out = run_ok(
            &bus,
            "gdbus",
            &strs(&gdbus_call(
                "com.example.Calc.Mix",
                &[
                    "{'k': <int64 -9>, 'n': <'x'>}",
                    "[byte 0, 255]",
                    "('s', 2.5)",
                ],
            )),
        );
        assert_eq!(
            out,
            "(uint64 18446744073709551615, {'k': <int64 -9>, 'n': <'x'>}, ('s', 2.5), [byte 0x00, 0xff])"
        );
        // With plain variants the handler sees bare values, so an echo re-infers their types.
        let mut plain = gdbus_call(
            "com.example.Calc.Mix",
            &[
                "{'k': <int64 -9>, 'n': <'x'>}",
                "[byte 0, 255]",
                "('s', 2.5)",
            ],
        );
        plain[5] = "/plain".to_owned();
        let out = run_ok(&bus, "gdbus", &strs(&plain));
        assert_eq!(
            out,
            "(uint64 18446744073709551615, {'k': <-9>, 'n': <'x'>}, ('s', 2.5), [byte 0x00, 0xff])"
        );
        let out = run_ok(
            &bus,
            "gdbus",
            &strs(&gdbus_call("com.example.Calc.Nothing", &[])),
        );
        assert_eq!(out, "()");
        let out = run_ok(
            &bus,
            "gdbus",
            &strs(&gdbus_call("com.example.Other.Add", &["'ab'"])),
        );
        assert_eq!(out, "('abab',)");

        // busctl, plain and as JSON.
        let out = run_ok(
            &bus,
            "busctl",
            &[
                "--user",
                "call",
                NAME,
                PATH,
                "com.example.Calc",
                "Add",
                "ii",
                "40",
                "2",
            ],
        );
        assert_eq!(out, "i 42");
        let out = run_ok(
            &bus,
            "busctl",
            &[
                "--user",
                "--json=short",
                "call",
                NAME,
                PATH,
                "com.example.Calc",
                "Mix",
                "a{sv}ay(sd)",
                "1",
                "k",
                "u",
                "7",
                "2",
                "1",
                "2",
                "s",
                "0.5",
            ],
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["type"], "ta{sv}(sd)ay");
        assert_eq!(
            v["data"],
            json!([18446744073709551615u64, {"k": {"type": "u", "data": 7}}, ["s", 0.5], [1, 2]])
        );
        // An error chosen by the application keeps its name and message.
        let err = run_err(
            &bus,
            "gdbus",
            &strs(&gdbus_call("com.example.Calc.Fail", &["'why'"])),
        );
        assert!(
            err.contains("com.example.Error.Custom: failed: why"),
            "{err}"
        );
        let err = run_err(
            &bus,
            "busctl",
            &[
                "--user",
                "call",
                NAME,
                PATH,
                "com.example.Calc",
                "Fail",
                "s",
                "b",
            ],
        );
        assert!(err.contains("failed: b"), "{err}");
    });
    assert_eq!(hub::stats(&conn).unwrap().expired_calls, 0);
}

fn introspection_of_exported_paths_and_their_parents(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = server(&bus);
    hub::export(&conn, "/com/example/Obj/Child", "<node/>", None)
        .block()
        .unwrap();
    // Nobody is inside the library: the library answers from the background.
    let out = gdbus_introspect(&bus, PATH);
    for want in [
        "interface com.example.Calc {",
        "Add(in  i a,",
        "out i sum);",
        "Mix(in  a{sv} dict,",
        "Changed(s what);",
        "readonly s Version = '1.0';",
        "readwrite u Volume = 5;",
        "writeonly s Secret;",
        "interface com.example.Other {",
        "interface org.freedesktop.DBus.Properties {",
        "node Child {",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let out = run_ok(
        &bus,
        "gdbus",
        &[
            "introspect",
            "--session",
            "--dest",
            NAME,
            "--object-path",
            "/com/example",
            "--recurse",
        ],
    );
    assert!(out.contains("node /com/example {"), "{out}");
    assert!(out.contains("node /com/example/Obj {"), "{out}");
    assert!(out.contains("node /com/example/Obj/Child {"), "{out}");
    assert!(out.contains("interface com.example.Calc {"), "{out}");
    // A parent node has no properties interface of its own.
    let parent = &out[..out.find("node /com/example/Obj {").unwrap()];
    assert!(
        !parent.contains("org.freedesktop.DBus.Properties"),
        "{parent}"
    );
    let out = run_ok(
        &bus,
        "gdbus",
        &[
            "introspect",
            "--session",
            "--dest",
            NAME,
            "--object-path",
            "/",
        ],
    );
    assert!(out.contains("node com {"), "{out}");
    // busctl tree walks it too.
    let out = run_ok(&bus, "busctl", &["--user", "tree", "--list", NAME]);
    for p in ["/", "/com", "/com/example", PATH, "/com/example/Obj/Child"] {
        assert!(out.lines().any(|l| l.trim() == p), "{p} missing in\n{out}");
    }
}

fn library_answers_while_the_application_sleeps_outside(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = server(&bus);
    // No thread of ours is in the library during any of these.
    let out = run_ok(
        &bus,
        "gdbus",
        &strs(&gdbus_call("org.freedesktop.DBus.Peer.Ping", &[])),
    );
    assert_eq!(out, "()");
    let out = run_ok(
        &bus,
        "busctl",
        &[
            "--user",
            "call",
            NAME,
            "/com/example",
            "org.freedesktop.DBus.Peer",
            "Ping",
        ],
    );
    assert_eq!(out, "");
    let out = run_ok(
        &bus,
        "gdbus",
        &strs(&gdbus_call(
            "org.freedesktop.DBus.Properties.Get",
            &["com.example.Calc", "Version"],
        )),
    );
    assert_eq!(out, "(<'1.0'>,)");
    let out = run_ok(
        &bus,
        "busctl",
        &[
            "--user",
            "get-property",
            NAME,
            PATH,
            "com.example.Calc",
            "Volume",
        ],
    );
    assert_eq!(out, "u 5");
    // Standard errors, each with its name.
    let err_of = |path: &str, method: &str, args: &[&str]| {
        let mut a = vec![
            "call",
            "--session",
            "--dest",
            NAME,
            "--object-path",
            path,
            "--timeout",
            "10",
            "--method",
            method,
            "--",
        ];
        a.extend_from_slice(args);
        run_err(&bus, "gdbus", &a)
    };
    let e = err_of("/nowhere", "com.example.Calc.Add", &["1", "2"]);
    assert!(
        e.contains("org.freedesktop.DBus.Error.UnknownObject"),
        "{e}"
    );
    let e = err_of(PATH, "com.example.Nope.Add", &["1", "2"]);
    assert!(
        e.contains("org.freedesktop.DBus.Error.UnknownInterface"),
        "{e}"
    );
    let e = err_of(PATH, "com.example.Calc.Subtract", &["1", "2"]);
    assert!(
        e.contains("org.freedesktop.DBus.Error.UnknownMethod"),
        "{e}"
    );
    // Exact case: PHP would find `add`, D-Bus must not.
    let e = err_of(PATH, "com.example.Calc.add", &["1", "2"]);
    assert!(
        e.contains("org.freedesktop.DBus.Error.UnknownMethod"),
        "{e}"
    );
    // gdbus types arguments by our introspection data; dbus-send lets us send wrong ones.
    let e = run_err(
        &bus,
        "dbus-send",
        &[
            "--session",
            "--print-reply",
            &format!("--dest={NAME}"),
            PATH,
            "com.example.Calc.Add",
            "string:one",
            "int32:2",
        ],
    );
    assert!(e.contains("org.freedesktop.DBus.Error.InvalidArgs"), "{e}");
    assert!(e.contains("expected signature 'ii', got 'si'"), "{e}");
    let e = err_of(
        PATH,
        "org.freedesktop.DBus.Properties.Get",
        &["com.example.Calc", "Nope"],
    );
    assert!(
        e.contains("org.freedesktop.DBus.Error.UnknownProperty"),
        "{e}"
    );
    let e = err_of(
        PATH,
        "org.freedesktop.DBus.Properties.Get",
        &["com.example.Calc", "Secret"],
    );
    assert!(e.contains("org.freedesktop.DBus.Error.AccessDenied"), "{e}");
    let e = err_of(
        PATH,
        "org.freedesktop.DBus.Properties.Set",
        &["com.example.Calc", "Version", "<'2.0'>"],
    );
    assert!(
        e.contains("org.freedesktop.DBus.Error.PropertyReadOnly"),
        "{e}"
    );
    let e = err_of(
        PATH,
        "org.freedesktop.DBus.Properties.Set",
        &["com.example.Calc", "Volume", "<'loud'>"],
    );
    assert!(e.contains("org.freedesktop.DBus.Error.InvalidArgs"), "{e}");
    let e = err_of("/com/example", "com.example.Calc.Add", &["1", "2"]);
    assert!(
        e.contains("org.freedesktop.DBus.Error.UnknownInterface"),
        "{e}"
    );
    // None of these reached the application.
    assert!(next(&conn, 0).is_none());
    assert_eq!(hub::stats(&conn).unwrap().expired_calls, 0);
}

fn calls_without_an_interface_and_exact_member_names(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = server(&bus);
    let client = bus.connect();
    let call = |req: Value| call_json(&client, req);
    let base = json!({"destination": NAME, "path": PATH});
    let with = |extra: Value| {
        let mut r = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        r
    };
    while_serving(&conn, || {
        // No interface: the first declared interface with the member answers.
        let r = call(with(
            json!({"method": "Add", "signature": "ii", "args": [1, 2]}),
        ))
        .unwrap();
        assert_eq!(r, json!({"type": "i", "data": [3]}));
        let r = call(with(
            json!({"method": "Add", "interface": "com.example.Other",
                                  "args": ["x"]}),
        ))
        .unwrap();
        assert_eq!(r, json!({"type": "s", "data": ["xx"]}));
        // Standard methods without an interface.
        let r = call(with(json!({"method": "Ping"}))).unwrap();
        assert_eq!(r["type"], "");
        let r = call(with(json!({"method": "Introspect"}))).unwrap();
        assert!(r["data"][0].as_str().unwrap().contains("com.example.Calc"));
        let r = call(with(json!({"method": "Get", "args": ["", "Version"]}))).unwrap();
        assert_eq!(r, json!({"type": "v", "data": ["1.0"]}));
        let r = call(with(
            json!({"method": "GetAll", "args": ["com.example.Calc"],
                                  "variants": "typed"}),
        ))
        .unwrap();
        assert_eq!(
            r["data"][0],
            json!({"Version": {"type": "s", "data": "1.0"}, "Volume": {"type": "u", "data": 5}})
        );
        let e = call(with(
            json!({"method": "ADD", "signature": "ii", "args": [1, 2]}),
        ))
        .unwrap_err();
        assert_eq!(e.name, "org.freedesktop.DBus.Error.UnknownMethod");
        let e = call(with(
            json!({"method": "echo", "interface": "com.example.Calc",
                                  "args": ["x"]}),
        ))
        .unwrap_err();
        assert_eq!(e.name, "org.freedesktop.DBus.Error.UnknownMethod");
    });
}

fn events_carry_the_call_as_json(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = server(&bus);
    hub::export(
        &conn,
        "/typed",
        XML,
        Some(r#"{"variants": "typed", "bytes": "base64"}"#),
    )
    .block()
    .unwrap();
    let client = bus.connect();
    let me = client.unique_name().unwrap().unwrap();
    let c = std::thread::spawn({
        let target = bus.target();
        move || {
            let client = skypebus::hub::open(target).block().unwrap();
            let r = call_json(
                &client,
                json!({"destination": NAME, "path": "/typed", "interface": "com.example.Calc",
                       "method": "Mix", "signature": "a{sv}ay(sd)",
                       "args": [{"a": 1}, {"type": "ay", "data": "AAE="}, ["s", 1.0]]}),
            );
            (r, client.unique_name().unwrap().unwrap())
        }
    });
    let e = next(&conn, 5000).expect("the call arrives");
    assert_eq!(e["kind"], "call");
    assert_eq!(e["path"], "/typed");
    assert_eq!(e["interface"], "com.example.Calc");
    assert_eq!(e["member"], "Mix");
    assert_eq!(e["type"], "a{sv}ay(sd)");
    assert_eq!(
        e["data"],
        json!([{"a": {"type": "i", "data": 1}}, "AAE=", ["s", 1.0]])
    );
    assert_eq!(e["no_reply"], false);
    let id = e["call"].as_u64().unwrap();
    // Values that do not fit the declared out signature: an error, and the handle stays.
    let bad = hub::reply(&conn, id, Some("[1, 2]")).block().unwrap_err();
    assert_eq!(bad.kind, Kind::TypeMismatch);
    let bad = hub::reply(&conn, id, Some(r#"[-1, {}, ["s", 1], ""]"#))
        .block()
        .unwrap_err();
    assert_eq!(bad.kind, Kind::TypeMismatch);
    let bad = hub::reply(&conn, id, Some("{")).block().unwrap_err();
    assert_eq!(bad.kind, Kind::InvalidJson);
    let bad = hub::reply_error(&conn, id, "not an error name", "x")
        .block()
        .unwrap_err();
    assert_eq!(bad.kind, Kind::InvalidName);
    hub::reply(
        &conn,
        id,
        Some(r#"{"args": [1, {"b": true}, ["t", 2], "/w8="]}"#),
    )
    .block()
    .unwrap();
    let (r, caller) = c.join().unwrap();
    assert_eq!(e["sender"], json!(caller));
    assert_ne!(caller, me);
    assert_eq!(
        r.unwrap(),
        json!({"type": "ta{sv}(sd)ay", "data": [1, {"b": true}, ["t", 2.0], [255, 15]]})
    );
    // Answered once only.
    let again = hub::reply(&conn, id, None).block().unwrap_err();
    assert_eq!(again.kind, Kind::InvalidRequest);
    assert_eq!(hub::stats(&conn).unwrap().expired_calls, 0);
}

fn skype_shaped_notify_calls_arrive_in_order(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let me = conn.unique_name().unwrap().unwrap();
    hub::export(
        &conn,
        "/com/Skype/Client",
        r#"<node><interface name="com.Skype.API.Client">
             <method name="Notify"><arg type="s" name="message" direction="in"/></method>
           </interface></node>"#,
        None,
    )
    .block()
    .unwrap();
    const N: usize = 25;
    for i in 0..N {
        // Fire and forget, as Skype does: dbus-send without --print-reply does not wait.
        run_ok(
            &bus,
            "dbus-send",
            &[
                "--session",
                "--type=method_call",
                &format!("--dest={me}"),
                "/com/Skype/Client",
                "com.Skype.API.Client.Notify",
                &format!("string:CHATMESSAGE {i} STATUS RECEIVED"),
            ],
        );
    }
    for i in 0..N {
        let e = next(&conn, 5000).expect("a notification");
        assert_eq!(e["kind"], "call");
        assert_eq!(e["path"], "/com/Skype/Client");
        assert_eq!(e["interface"], "com.Skype.API.Client");
        assert_eq!(e["member"], "Notify");
        assert_eq!(
            e["data"],
            json!([format!("CHATMESSAGE {i} STATUS RECEIVED")])
        );
        hub::reply(&conn, e["call"].as_u64().unwrap(), None)
            .block()
            .unwrap();
    }
    assert!(next(&conn, 0).is_none());
    let stats: Value = serde_json::from_str(&hub::stats_json(&conn).unwrap()).unwrap();
    assert_eq!(stats["pending_calls"], 0);
}

fn unanswered_call_handles_expire_and_are_released(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = server(&bus);
    hub::set_options(
        &conn,
        &Options::parse(r#"{"call_timeout_ms": 300}"#).unwrap(),
    )
    .unwrap();
    let target = bus.target();
    let caller = std::thread::spawn(move || {
        let client = skypebus::hub::open(target).block().unwrap();
        let started = Instant::now();
        let mut results = Vec::new();
        for _ in 0..2 {
            results.push(call_json(
                &client,
                json!({"destination": NAME, "path": PATH, "interface": "com.example.Calc",
                       "method": "Echo", "args": ["x"], "timeout_ms": 20000}),
            ));
        }
        (results, started.elapsed())
    });
    // The first call is pulled and never answered; the second is never even pulled.
    let e = next(&conn, 5000).expect("the call arrives");
    let id = e["call"].as_u64().unwrap();
    let (results, took) = caller.join().unwrap();
    for r in results {
        let e: Error = r.unwrap_err();
        assert_eq!(e.kind, Kind::DBus);
        assert_eq!(e.name, "org.freedesktop.DBus.Error.NoReply");
    }
    assert!(took < Duration::from_secs(10), "liveness bound: {took:?}");
    let stats: Value = serde_json::from_str(&hub::stats_json(&conn).unwrap()).unwrap();
    assert_eq!(stats["pending_calls"], 0, "{stats}");
    assert_eq!(stats["queued_calls"], 0, "{stats}");
    assert_eq!(stats["expired_calls"], 2, "{stats}");
    let late = hub::reply(&conn, id, Some(r#"["x"]"#)).block().unwrap_err();
    assert_eq!(late.kind, Kind::InvalidRequest);
    assert!(next(&conn, 0).is_none());
}

fn too_many_unanswered_calls_are_refused_not_queued(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = server(&bus);
    hub::set_options(
        &conn,
        &Options::parse(r#"{"max_pending_calls": 2}"#).unwrap(),
    )
    .unwrap();
    let client = bus.connect();
    let mut pending = Vec::new();
    for i in 0..2 {
        // No-reply calls hold handles too.
        call_json(
            &client,
            json!({"destination": NAME, "path": PATH, "interface": "com.example.Calc",
                   "method": "Echo", "args": [format!("{i}")], "no_reply": true}),
        )
        .unwrap();
        pending.push(next(&conn, 5000).unwrap());
    }
    let e = call_json(
        &client,
        json!({"destination": NAME, "path": PATH, "interface": "com.example.Calc",
               "method": "Echo", "args": ["refused"]}),
    )
    .unwrap_err();
    assert_eq!(e.name, "org.freedesktop.DBus.Error.LimitsExceeded");
    assert_eq!(hub::stats(&conn).unwrap().refused_calls, 1);
    for p in pending {
        hub::reply(&conn, p["call"].as_u64().unwrap(), Some(r#"["ok"]"#))
            .block()
            .unwrap();
    }
    let r = while_serving(&conn, || {
        call_json(
            &client,
            json!({"destination": NAME, "path": PATH, "interface": "com.example.Calc",
                   "method": "Echo", "args": ["served"]}),
        )
    });
    assert_eq!(r.unwrap()["data"], json!(["served"]));
}

fn properties_from_the_store_and_written_through_the_application(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = server(&bus);
    let watcher = bus.connect();
    let (rule, opts) = MatchRule::from_value(&json!({
        "interface": "org.freedesktop.DBus.Properties", "member": "PropertiesChanged",
        "path": PATH, "variants": "typed"}))
    .unwrap();
    hub::subscribe(&watcher, rule, opts).block().unwrap();
    // A remote write goes through the application, which accepts or refuses it.
    while_serving(&conn, || {
        let out = run_ok(
            &bus,
            "gdbus",
            &strs(&gdbus_call(
                "org.freedesktop.DBus.Properties.Set",
                &["com.example.Calc", "Volume", "<uint32 42>"],
            )),
        );
        assert_eq!(out, "()");
        let e = run_err(
            &bus,
            "busctl",
            &[
                "--user",
                "set-property",
                NAME,
                PATH,
                "com.example.Calc",
                "Volume",
                "u",
                "200",
            ],
        );
        assert!(e.contains("volume above 100"), "{e}");
        // Write-only: writable, not readable.
        run_ok(
            &bus,
            "busctl",
            &[
                "--user",
                "set-property",
                NAME,
                PATH,
                "com.example.Calc",
                "Secret",
                "s",
                "pw",
            ],
        );
    });
    let out = run_ok(
        &bus,
        "busctl",
        &[
            "--user",
            "get-property",
            NAME,
            PATH,
            "com.example.Calc",
            "Volume",
        ],
    );
    assert_eq!(out, "u 42");
    // Local changes: with value, invalidation only, and unchanged values emit nothing.
    hub::set_property(
        &conn,
        PATH,
        "com.example.Calc",
        "Version",
        &json!("2.0"),
        None,
    )
    .block()
    .unwrap();
    hub::set_property(
        &conn,
        PATH,
        "com.example.Calc",
        "Version",
        &json!("2.0"),
        None,
    )
    .block()
    .unwrap();
    hub::set_property(
        &conn,
        PATH,
        "com.example.Calc",
        "Limits",
        &json!({"max": {"type": "t", "data": 9}}),
        None,
    )
    .block()
    .unwrap();
    let e = hub::set_property(&conn, PATH, "com.example.Calc", "Volume", &json!(-1), None)
        .block()
        .unwrap_err();
    assert_eq!(e.kind, Kind::TypeMismatch);
    let e = hub::set_property(&conn, PATH, "com.example.Calc", "Nope", &json!(1), None)
        .block()
        .unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
    driver(&conn, "GetId", None, json!([])).unwrap();
    driver(&watcher, "GetId", None, json!([])).unwrap();
    let mut changes = Vec::new();
    while let Some(e) = next(&watcher, 300) {
        changes.push(e["data"].clone());
    }
    assert_eq!(
        changes,
        vec![
            json!(["com.example.Calc", {"Volume": {"type": "u", "data": 42}}, []]),
            json!(["com.example.Calc", {"Secret": {"type": "s", "data": "pw"}}, []]),
            json!(["com.example.Calc", {"Version": {"type": "s", "data": "2.0"}}, []]),
            json!(["com.example.Calc", {}, ["Limits"]]),
        ]
    );
    let out = run_ok(
        &bus,
        "busctl",
        &[
            "--user",
            "--json=short",
            "get-property",
            NAME,
            PATH,
            "com.example.Calc",
            "Limits",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        json!({"type": "a{sv}", "data": {"max": {"type": "t", "data": 9}}})
    );
}

fn names_requests_answers_and_events(t: Transport) {
    let bus = PrivateBus::on(t);
    let first = bus.connect();
    let second = bus.connect();
    let n = "com.example.Owned";
    // 1 primary owner, 4 already owner.
    assert_eq!(driver::request_name(&first, n, 1).block().unwrap(), 1);
    assert_eq!(driver::request_name(&first, n, 1).block().unwrap(), 4);
    assert_eq!(
        next(&first, 5000).unwrap(),
        json!({"kind": "name_acquired", "name": n})
    );
    // 3 exists (do not queue), 2 in queue.
    assert_eq!(driver::request_name(&second, n, 4).block().unwrap(), 3);
    assert_eq!(driver::request_name(&second, n, 0).block().unwrap(), 2);
    // Release: 1 released; the queued connection gets the name.
    assert_eq!(driver::release_name(&first, n).block().unwrap(), 1);
    assert_eq!(
        next(&first, 5000).unwrap(),
        json!({"kind": "name_lost", "name": n})
    );
    assert_eq!(
        next(&second, 5000).unwrap(),
        json!({"kind": "name_acquired", "name": n})
    );
    // 3 not owner, 2 non-existent.
    assert_eq!(driver::release_name(&first, n).block().unwrap(), 3);
    assert_eq!(
        driver::release_name(&first, "com.example.Nobody")
            .block()
            .unwrap(),
        2
    );
    // Replacement: `second` allowed it? No (flags 0): replacing fails into the queue.
    assert_eq!(driver::request_name(&first, n, 2 | 4).block().unwrap(), 3);
    assert_eq!(driver::request_name(&second, n, 1).block().unwrap(), 4);
    assert_eq!(driver::request_name(&first, n, 2).block().unwrap(), 1);
    assert_eq!(
        next(&second, 5000).unwrap(),
        json!({"kind": "name_lost", "name": n})
    );
    assert_eq!(
        next(&first, 5000).unwrap(),
        json!({"kind": "name_acquired", "name": n})
    );
    // The name really is ours: the bus driver says so.
    let owner = driver(&second, "GetNameOwner", None, json!([n])).unwrap();
    assert_eq!(
        owner["data"][0],
        json!(first.unique_name().unwrap().unwrap())
    );
    // Bad input.
    assert_eq!(
        driver::request_name(&first, ":1.5", 0)
            .block()
            .unwrap_err()
            .kind,
        Kind::InvalidName
    );
    assert_eq!(
        driver::request_name(&first, "nodots", 0)
            .block()
            .unwrap_err()
            .kind,
        Kind::InvalidName
    );
    assert_eq!(
        driver::request_name(&first, "a.b", 8)
            .block()
            .unwrap_err()
            .kind,
        Kind::InvalidRequest
    );
    assert!(next(&first, 0).is_none());
}

fn export_errors(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let cases: Vec<(&str, &str, Option<&str>, Kind)> = vec![
        ("/x", "<node><interface", None, Kind::InvalidRequest),
        ("x", "<node/>", None, Kind::InvalidName),
        (
            "/x",
            r#"<node><interface name="a.b"><method name="M"/><method name="M"/></interface></node>"#,
            None,
            Kind::InvalidRequest,
        ),
        (
            "/x",
            "<node/>",
            Some(r#"{"bogus": 1}"#),
            Kind::InvalidRequest,
        ),
        (
            "/x",
            r#"<node><interface name="a.b"><property name="P" type="u" access="read"/></interface></node>"#,
            Some(r#"{"properties": {"a.b": {"P": "x"}}}"#),
            Kind::TypeMismatch,
        ),
        (
            "/x",
            r#"<node><interface name="a.b"/></node>"#,
            Some(r#"{"properties": {"a.b": {"P": 1}}}"#),
            Kind::InvalidRequest,
        ),
    ];
    for (path, xml, opts, kind) in cases {
        let e = hub::export(&conn, path, xml, opts).block().unwrap_err();
        assert_eq!(e.kind, kind, "{path} {xml} {opts:?}: {e}");
    }
    hub::export(&conn, "/x", "<node/>", None).block().unwrap();
    assert_eq!(
        hub::export(&conn, "/x", "<node/>", None)
            .block()
            .unwrap_err()
            .kind,
        Kind::InvalidRequest
    );
    hub::unexport(&conn, "/x").block().unwrap();
    assert_eq!(
        hub::unexport(&conn, "/x").block().unwrap_err().kind,
        Kind::InvalidRequest
    );
    // After unexport the path is unknown again (the default handling answers).
    let me = conn.unique_name().unwrap().unwrap();
    let e = call_json(
        &bus.connect(),
        json!({"destination": me, "path": "/x", "method": "Introspect",
               "interface": "org.freedesktop.DBus.Introspectable"}),
    )
    .unwrap_err();
    assert_eq!(e.name, "org.freedesktop.DBus.Error.UnknownObject");
}

fn closing_the_serving_connection_releases_its_handles(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = server(&bus);
    let target = bus.target();
    let caller = std::thread::spawn(move || {
        let client = skypebus::hub::open(target).block().unwrap();
        call_json(
            &client,
            json!({"destination": NAME, "path": PATH, "interface": "com.example.Calc",
                   "method": "Echo", "args": ["x"], "timeout_ms": 20000}),
        )
    });
    let e = next(&conn, 5000).expect("the call arrives");
    assert!(e["call"].as_u64().is_some());
    drop(conn);
    // The bus tells the caller that we left without answering.
    let e = caller.join().unwrap().unwrap_err();
    assert_eq!(e.kind, Kind::DBus, "{e}");
    assert_eq!(e.name, "org.freedesktop.DBus.Error.NoReply");
}

/// An exported ObjectManager: gdbus reads the objects below it with GetManagedObjects, and a
/// subscriber sees InterfacesAdded and InterfacesRemoved as objects come and go below it (not
/// for objects elsewhere).
fn an_object_manager_publishes_the_objects_below_it(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = server(&bus);
    let manager = "/com/example";
    hub::export(
        &conn,
        manager,
        "<node/>",
        Some(r#"{"object_manager": true}"#),
    )
    .block()
    .unwrap();
    let watcher = bus.connect();
    let (rule, opts) = MatchRule::from_value(&json!({
        "sender": NAME, "interface": "org.freedesktop.DBus.ObjectManager"}))
    .unwrap();
    hub::subscribe(&watcher, rule, opts).block().unwrap();
    let managed = || {
        run_ok(
            &bus,
            "gdbus",
            &[
                "call",
                "--session",
                "--dest",
                NAME,
                "--object-path",
                manager,
                "--method",
                "org.freedesktop.DBus.ObjectManager.GetManagedObjects",
            ],
        )
    };
    assert_eq!(
        managed(),
        "({objectpath '/com/example/Obj': {'com.example.Calc': {'Version': <'1.0'>, \
         'Volume': <uint32 5>}, 'com.example.Other': {}}},)"
    );
    let introspected = gdbus_introspect(&bus, manager);
    assert!(
        introspected.contains("interface org.freedesktop.DBus.ObjectManager"),
        "{introspected}"
    );
    // Exported below the manager: announced with its interfaces and stored properties.
    let xml = r#"<node><interface name="com.example.Thing">
        <property name="Name" type="s" access="read"/></interface></node>"#;
    hub::export(
        &conn,
        "/com/example/things/t1",
        xml,
        Some(r#"{"properties": {"com.example.Thing": {"Name": "first"}}}"#),
    )
    .block()
    .unwrap();
    // Elsewhere: not announced.
    hub::export(&conn, "/org/elsewhere", xml, None)
        .block()
        .unwrap();
    hub::unexport(&conn, "/com/example/things/t1")
        .block()
        .unwrap();
    let added = next(&watcher, 5000).expect("InterfacesAdded");
    assert_eq!(added["member"], "InterfacesAdded");
    assert_eq!(added["path"], manager);
    assert_eq!(
        added["data"],
        json!(["/com/example/things/t1", {"com.example.Thing": {"Name": "first"}}])
    );
    let removed = next(&watcher, 5000).expect("InterfacesRemoved");
    assert_eq!(removed["member"], "InterfacesRemoved");
    assert_eq!(
        removed["data"],
        json!(["/com/example/things/t1", ["com.example.Thing"]])
    );
    assert!(next(&watcher, 200).is_none());
    assert!(!managed().contains("things"));
    let e = hub::export(&conn, "/x", "<node/>", Some(r#"{"object_manager": 1}"#))
        .block()
        .unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
}

per_transport!(
    an_object_manager_publishes_the_objects_below_it,
    gdbus_and_busctl_call_an_exported_object_with_typed_values,
    introspection_of_exported_paths_and_their_parents,
    library_answers_while_the_application_sleeps_outside,
    calls_without_an_interface_and_exact_member_names,
    events_carry_the_call_as_json,
    skype_shaped_notify_calls_arrive_in_order,
    unanswered_call_handles_expire_and_are_released,
    too_many_unanswered_calls_are_refused_not_queued,
    properties_from_the_store_and_written_through_the_application,
    names_requests_answers_and_events,
    export_errors,
    closing_the_serving_connection_releases_its_handles,
);
