//! Unix file descriptors (`h`) end to end, against peers we did not write: dbusmock's logind
//! template (`Inhibit` hands out the write end of a pipe and drops the inhibitor when every copy
//! is closed) and a GDBus service in python3-gi that reads the file a descriptor names and hands
//! out descriptors of its own, in replies and in signals.

mod support;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skypebus::connection::Connection;
use skypebus::error::Kind;
use skypebus::hub;
use skypebus::signal::MatchRule;
use support::{Block, PYTHON, PrivateBus, Transport, call_json, repo_root};

const LOGIND: &str = "org.freedesktop.login1";
const FDS: &str = "net.skypebus.Fds";

fn logind_bus(t: Transport) -> PrivateBus {
    let mut bus = PrivateBus::on(t);
    bus.spawn(
        PYTHON,
        &["-m", "dbusmock", "--session", "--template", "logind"],
    );
    bus.wait_for_name(LOGIND);
    bus
}

fn fd_service_bus(t: Transport) -> PrivateBus {
    let mut bus = PrivateBus::on(t);
    let script = repo_root().join("tests/support/fd_service.py");
    bus.spawn(PYTHON, &[script.to_str().unwrap(), FDS]);
    bus.wait_for_name(FDS);
    bus
}

fn manager(method: &str, signature: Option<&str>, args: Value) -> Value {
    let mut req = json!({"destination": LOGIND, "path": "/org/freedesktop/login1",
                         "interface": "org.freedesktop.login1.Manager", "method": method,
                         "args": args});
    if let Some(s) = signature {
        req["signature"] = json!(s);
    }
    req
}

fn fds_call(method: &str, args: Value) -> Value {
    json!({"destination": FDS, "path": "/net/skypebus/Fds", "interface": FDS,
           "method": method, "args": args})
}

fn inhibitors(conn: &Connection) -> Value {
    call_json(conn, manager("ListInhibitors", None, json!([]))).expect("ListInhibitors")["data"][0]
        .clone()
}

/// Takes ownership of a descriptor number the library handed out, checking that it is open and
/// close-on-exec.
fn owned(n: &Value) -> OwnedFd {
    let raw = i32::try_from(n.as_i64().expect("a descriptor number")).unwrap();
    // SAFETY: F_GETFD only reads the descriptor table.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFD) };
    assert!(flags >= 0, "{raw} is an open descriptor");
    assert!(flags & libc::FD_CLOEXEC != 0, "{raw} is close-on-exec");
    // SAFETY: the library handed this descriptor to the caller, who owns it now.
    unsafe { OwnedFd::from_raw_fd(raw) }
}

/// The tests of this file run one at a time: one of them counts the process' descriptors.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn the_bus_agrees_to_pass_descriptors_on_unix_only() {
    let _serial = serial();
    let unix = PrivateBus::on(Transport::Unix);
    assert_eq!(unix.connect().can_pass_fds(), Some(true));
    let tcp = PrivateBus::on(Transport::Tcp);
    assert_eq!(tcp.connect().can_pass_fds(), Some(false));
}

/// `Inhibit` answers at once with a descriptor the caller owns; `ListInhibitors` shows the
/// inhibitor until the caller closes it (with and without a signature in the request).
#[test]
fn logind_inhibit_returns_a_descriptor_and_closing_it_releases_the_inhibitor() {
    let _serial = serial();
    let bus = logind_bus(Transport::Unix);
    let conn = bus.connect();
    for signature in [Some("ssss"), None] {
        let started = Instant::now();
        let reply = call_json(
            &conn,
            manager(
                "Inhibit",
                signature,
                json!(["sleep", "skypebus-test", "testing fds", "delay"]),
            ),
        )
        .expect("Inhibit");
        assert!(started.elapsed() < Duration::from_secs(10), "no timeout");
        assert_eq!(reply["type"], "h");
        let fd = owned(&reply["data"][0]);
        assert_eq!(
            inhibitors(&conn),
            json!([[
                "sleep",
                "skypebus-test",
                "testing fds",
                "delay",
                1000,
                123456
            ]])
        );
        drop(fd);
        let deadline = Instant::now() + Duration::from_secs(10);
        while inhibitors(&conn) != json!([]) {
            assert!(
                Instant::now() < deadline,
                "the inhibitor outlived its descriptor"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A descriptor sent by number is read back by the GDBus service; the caller keeps its own.
#[test]
fn a_file_sent_by_descriptor_is_read_by_a_gdbus_service() {
    let _serial = serial();
    let bus = fd_service_bus(Transport::Unix);
    let conn = bus.connect();
    let path = std::env::temp_dir().join(format!("skypebus-fds-{}", std::process::id()));
    std::fs::write(&path, "read through a descriptor\n").unwrap();
    let file = std::fs::File::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let fd = file.as_raw_fd();
    for args in [json!([fd]), json!([{"type": "h", "data": fd}])] {
        let reply = call_json(&conn, fds_call("ReadFd", args)).expect("ReadFd");
        assert_eq!(reply["data"], json!(["read through a descriptor\n"]));
    }
    // SAFETY: F_GETFD only reads the descriptor table.
    assert!(
        unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0,
        "the caller keeps its descriptor"
    );
    let err = call_json(&conn, fds_call("ReadFd", json!([999_999]))).unwrap_err();
    assert_eq!(err.kind, Kind::TypeMismatch, "{err}");
    assert!(err.message.contains("not an open file descriptor"), "{err}");
}

/// Replies and signals that carry descriptors, 1,000 calls and 200 signals (half of them never
/// taken: dropped with the connection), leave the process' descriptor count where it was.
#[test]
fn descriptors_nobody_takes_are_closed() {
    let _serial = serial();
    let bus = fd_service_bus(Transport::Unix);
    let conn = bus.connect();
    call_json(&conn, fds_call("OpenFd", json!(["warm up"]))).expect("OpenFd");
    let before = open_fds();
    for i in 0..1000 {
        let text = format!("call {i}");
        let reply = call_json(&conn, fds_call("OpenFd", json!([text]))).expect("OpenFd");
        let fd = owned(&reply["data"][0]);
        if i % 100 == 0 {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::fs::File::from(fd), &mut s).unwrap();
            assert_eq!(s, text);
        }
    }
    let (rule, opts) = MatchRule::from_value(&json!({"interface": FDS, "member": "Fd"})).unwrap();
    hub::subscribe(&conn, rule, opts).block().unwrap();
    for i in 0..200 {
        call_json(&conn, fds_call("EmitFd", json!([format!("signal {i}")]))).expect("EmitFd");
    }
    for _ in 0..100 {
        let event = hub::next_event(&conn, Duration::from_secs(10))
            .block()
            .unwrap()
            .expect("a signal");
        let event: Value = serde_json::from_str(&event).unwrap();
        drop(owned(&event["data"][0]));
    }
    drop(conn);
    let deadline = Instant::now() + Duration::from_secs(10);
    while open_fds() > before {
        assert!(
            Instant::now() < deadline,
            "{} descriptors open, {before} before",
            open_fds()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asynchronous calls: a result taken hands its descriptor over (once, however often it is
/// taken: the same number), and the descriptors of finished calls whose result nobody takes are
/// closed with their handle.
#[test]
fn async_results_nobody_takes_close_their_descriptors() {
    let _serial = serial();
    let bus = fd_service_bus(Transport::Unix);
    let conn = std::sync::Arc::new(bus.connect());
    let start = |text: &str| {
        let req = skypebus::call::CallRequest::from_value(fds_call("OpenFd", json!([text])));
        skypebus::pending::start(&conn, req.unwrap())
            .block()
            .unwrap()
    };
    let wait = |p: &skypebus::pending::PendingCall| -> Value {
        let text = p.wait(Duration::from_secs(10)).block().unwrap().unwrap();
        serde_json::from_str(&text).unwrap()
    };
    wait(&start("warm up"));
    let before = open_fds();
    let taken = start("taken");
    let first = wait(&taken);
    assert_eq!(wait(&taken), first, "taken again: the same result");
    let fd = owned(&first["data"][0]);
    let mut s = String::new();
    std::io::Read::read_to_string(&mut std::fs::File::from(fd), &mut s).unwrap();
    assert_eq!(s, "taken");
    drop(taken);
    let untaken: Vec<_> = (0..50).map(|i| start(&format!("untaken {i}"))).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !untaken.iter().all(|p| p.is_ready()) {
        assert!(Instant::now() < deadline, "the calls finish");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        open_fds() >= before + 50,
        "the finished calls hold their descriptors"
    );
    drop(untaken);
    assert_eq!(
        open_fds(),
        before,
        "freed unread, their descriptors are closed"
    );
}

/// Over tcp the bus cannot pass descriptors: a call with an `h` argument, or whose reply the
/// peer's introspection data types `h` (a request without a signature), fails at once with the
/// clear error, and the peer never acted (no inhibitor was taken).
#[test]
fn over_tcp_a_call_with_descriptors_is_refused_before_it_is_sent() {
    let _serial = serial();
    let bus = logind_bus(Transport::Tcp);
    let conn = bus.connect();
    let started = Instant::now();
    let err = call_json(
        &conn,
        manager("Inhibit", None, json!(["sleep", "t", "over tcp", "delay"])),
    )
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "no timeout");
    assert_eq!(err.kind, Kind::NotSupported, "{err}");
    assert_eq!(err.name, "net.skypebus.Error.FdPassingUnsupported", "{err}");
    assert!(err.message.contains("'h'"), "{err}");
    assert_eq!(inhibitors(&conn), json!([]), "the peer never acted");
    let file = std::fs::File::open("/dev/null").unwrap();
    let err = call_json(
        &conn,
        json!({"destination": LOGIND, "path": "/", "interface": "x.y", "method": "Take",
               "signature": "h", "args": [file.as_raw_fd()]}),
    )
    .unwrap_err();
    assert_eq!(err.name, "net.skypebus.Error.FdPassingUnsupported", "{err}");
}

/// The refusal over tcp holds for pipelined (`call_many`) and asynchronous calls as well: each
/// fails at once with the clear error, and the peer never acted.
#[test]
fn over_tcp_call_many_and_async_calls_with_descriptors_are_refused() {
    let _serial = serial();
    let bus = logind_bus(Transport::Tcp);
    let conn = std::sync::Arc::new(bus.connect());
    let file = std::fs::File::open("/dev/null").unwrap();
    let inhibit = manager("Inhibit", None, json!(["sleep", "t", "over tcp", "delay"]));
    let take = json!({"destination": LOGIND, "path": "/", "interface": "x.y", "method": "Take",
                      "signature": "h", "args": [file.as_raw_fd()]});
    let started = Instant::now();
    let requests = json!([inhibit, take, manager("ListInhibitors", None, json!([]))]);
    let (reqs, max) = skypebus::call::parse_many(&requests.to_string()).unwrap();
    let out = skypebus::call::call_many(&conn, reqs, max).block().unwrap();
    let results: Value = serde_json::from_str(&out).unwrap();
    for i in 0..2 {
        assert_eq!(
            results[i]["error"]["name"], "net.skypebus.Error.FdPassingUnsupported",
            "{results}"
        );
    }
    assert_eq!(
        results[2]["data"][0],
        json!([]),
        "the peer never acted: {results}"
    );
    for request in [inhibit, take] {
        let request = skypebus::call::CallRequest::from_value(request).unwrap();
        let pending = skypebus::pending::start(&conn, request).block().unwrap();
        let err = pending.wait(Duration::from_secs(10)).block().unwrap_err();
        assert_eq!(err.name, "net.skypebus.Error.FdPassingUnsupported", "{err}");
    }
    assert!(started.elapsed() < Duration::from_secs(10), "no timeout");
    assert_eq!(inhibitors(&conn), json!([]), "the peer never acted");
}
