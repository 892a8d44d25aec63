//! Pipelined calls: results in order, one failure never fails the batch, timeouts per call.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skypebus::call::{call_many, parse_many};
use support::{Block, PrivateBus, Transport, call_json};

fn many(conn: &skypebus::connection::Connection, requests: Value) -> Vec<Value> {
    let (reqs, max) = parse_many(&requests.to_string()).unwrap();
    let out = call_many(conn, reqs, max).block().unwrap();
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn driver_req(method: &str, args: Value) -> Value {
    json!({"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
           "interface": "org.freedesktop.DBus", "method": method, "args": args})
}

fn results_come_back_in_order_with_errors_in_place(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let mut reqs = Vec::new();
    for i in 0..150 {
        reqs.push(match i % 5 {
            0 => driver_req("NameHasOwner", json!([format!("com.example.N{i}")])),
            1 => driver_req("GetNameOwner", json!([format!("com.example.Missing{i}")])),
            2 => json!({"path": "/", "method": "X", "bogus": true}),
            3 => driver_req("RequestName", json!([format!("com.example.N{}", i - 3), 4])),
            _ => driver_req("GetId", json!([])),
        });
    }
    let results = many(&conn, Value::Array(reqs));
    assert_eq!(results.len(), 150);
    for (i, r) in results.iter().enumerate() {
        match i % 5 {
            0 => assert_eq!(r, &json!({"type": "b", "data": [false]}), "{i}"),
            1 => assert_eq!(
                r["error"]["name"], "org.freedesktop.DBus.Error.NameHasNoOwner",
                "{i}"
            ),
            2 => {
                assert_eq!(
                    r["error"]["name"], "net.skypebus.Error.InvalidRequest",
                    "{i}"
                );
                assert_eq!(r["error"]["code"], 4);
            }
            3 => assert_eq!(r, &json!({"type": "u", "data": [1]}), "{i}"),
            _ => assert_eq!(r["type"], "s", "{i}"),
        }
    }
    // The batch form with a bound.
    let results = many(
        &conn,
        json!({"requests": [driver_req("GetId", json!([])), driver_req("ListNames", json!([]))],
               "max_in_flight": 1}),
    );
    assert_eq!(results[1]["type"], "as");
    // A malformed batch is an error of its own.
    assert!(parse_many("{\"requests\": 5}").is_err());
    assert!(parse_many("{\"requests\": [], \"max_in_flight\": 0}").is_err());
    assert!(parse_many("7").is_err());
    assert_eq!(many(&conn, json!([])), Vec::<Value>::new());
}

fn timeouts_apply_per_call(t: Transport) {
    let mut bus = PrivateBus::on(t);
    bus.start_dbusmock("com.example.Slow", "/slow", "com.example.Slow");
    let conn = bus.connect();
    call_json(
        &conn,
        json!({"destination": "com.example.Slow", "path": "/slow",
               "interface": "org.freedesktop.DBus.Mock", "method": "AddMethod",
               "signature": "sssss",
               "args": ["com.example.Slow", "Hang", "", "", "import time; time.sleep(3)"]}),
    )
    .unwrap();
    let slow = json!({"destination": "com.example.Slow", "path": "/slow",
                      "interface": "com.example.Slow", "method": "Hang", "timeout_ms": 300});
    let started = Instant::now();
    let results = many(
        &conn,
        json!([
            slow,
            driver_req("GetId", json!([])),
            driver_req("GetId", json!([]))
        ]),
    );
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(results[0]["error"]["code"], 2);
    assert_eq!(
        results[0]["error"]["name"],
        "org.freedesktop.DBus.Error.NoReply"
    );
    assert_eq!(results[1]["type"], "s");
    assert_eq!(results[2]["type"], "s");
}

fn pipelining_speed_is_reported_not_asserted(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let ping = json!({"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
                      "interface": "org.freedesktop.DBus.Peer", "method": "Ping"});
    let batch = Value::Array(vec![ping.clone(); 100]);
    let t = Instant::now();
    for _ in 0..20 {
        for _ in 0..100 {
            call_json(&conn, ping.clone()).unwrap();
        }
    }
    let sequential = t.elapsed();
    let t = Instant::now();
    for _ in 0..20 {
        let r = many(&conn, batch.clone());
        assert_eq!(r.len(), 100);
        assert!(r.iter().all(|x| x["type"] == ""));
    }
    let pipelined = t.elapsed();
    println!(
        "2000 pings: sequential {sequential:?}, call_many {pipelined:?} ({:.2}x)",
        sequential.as_secs_f64() / pipelined.as_secs_f64()
    );
}

per_transport!(
    results_come_back_in_order_with_errors_in_place,
    timeouts_apply_per_call,
    pipelining_speed_is_reported_not_asserted,
);
