//! A hostile peer on the other end of the socket (issue 18): every case of
//! `tests/support/hostile_peer.py`, on both wire paths (a unix address: the library's own
//! socket; tcp: zbus' socket), ends in a clean, named error within the call's timeout; the table
//! below says which, and whether the connection survives it. After each case a new connection
//! to a real private dbus-daemon must work. docs/limits.md has the same table in prose.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skypebus::connection::{Connection, Target};
use skypebus::error::{Error, Kind};
use skypebus::signal::MatchRule;
use support::hostile::HostilePeer;
use support::{Block, PrivateBus, Transport, call_json, driver};

/// The timeout of the test's call.
const TIMEOUT_MS: u64 = 2000;

/// What the test's call (or, for the `sasl-*` cases, the connect) ends with.
enum Expect {
    /// An error of this kind whose text contains this.
    Fails(Kind, &'static str),
    /// A reply whose first value is this string.
    Replies(&'static str),
}

use Expect::{Fails, Replies};

/// Whether the connection is still usable after the case.
#[derive(PartialEq, Debug)]
enum After {
    Kept,
    Closed,
    /// The peer stopped in the middle of a message: nothing more can be read.
    Stuck,
}

fn expected(case: &str) -> (Expect, After) {
    use After::*;
    use Kind::*;
    match case {
        "short-body" => (Fails(Disconnected, "the connection was lost"), Closed),
        "signature-mismatch" => (Fails(InvalidMessage, "truncated body"), Kept),
        "invalid-utf8" => (Fails(InvalidMessage, "is not valid UTF-8"), Kept),
        "missing-nul" => (Fails(InvalidMessage, "is not NUL-terminated"), Kept),
        "invalid-object-path" => (Fails(InvalidMessage, "invalid object path"), Kept),
        "invalid-signature" => (Fails(InvalidMessage, "invalid signature value"), Kept),
        "arrays-too-deep" => (Fails(LimitExceeded, "nests more than 32 arrays"), Kept),
        "structs-too-deep" => (Fails(LimitExceeded, "more than 32 structs"), Kept),
        "variants-too-deep" => (Fails(LimitExceeded, "deeper than 64 containers"), Kept),
        "array-over-64-mib" => (Fails(LimitExceeded, "the D-Bus maximum is 67108864"), Kept),
        "message-over-128-mib" => (Fails(Disconnected, "longer than the D-Bus maximum"), Closed),
        "wrong-endianness" => (Fails(Disconnected, "unknown endianness byte"), Closed),
        "wrong-version" | "wrong-type" => (
            Fails(Disconnected, "message type or protocol version"),
            Closed,
        ),
        "reply-for-no-call" => (Replies("real"), Kept),
        "duplicate-reply" => (Replies("first"), Kept),
        "error-without-name" | "call-without-path" | "call-without-member" => (
            Fails(Disconnected, "without a header field its type requires"),
            Closed,
        ),
        "fds-never-came" => (
            Fails(Disconnected, "claims file descriptors that did not come"),
            Closed,
        ),
        "fd-index-out-of-range" => (
            Fails(InvalidMessage, "unix fd index 3 is out of range"),
            Kept,
        ),
        "half-message" => (Fails(Timeout, "no reply within 2000 ms"), Stuck),
        "sasl-close" => (
            Fails(ConnectFailed, "Unexpected EOF during handshake"),
            Closed,
        ),
        "sasl-garbage" => (Fails(ConnectFailed, "Unknown command: WELCOME"), Closed),
        other => panic!("no expectation for {other}"),
    }
}

fn go(conn: &Connection, method: &str) -> Result<Value, Error> {
    call_json(
        conn,
        json!({"destination": "net.hostile.Peer", "path": "/", "interface": "net.hostile.Peer",
               "method": method, "signature": "", "args": [], "timeout_ms": TIMEOUT_MS}),
    )
}

fn check(result: Result<Value, Error>, expect: &Expect, case: &str, t: Transport) {
    match (expect, result) {
        (Fails(kind, text), Err(e)) => {
            assert_eq!(e.kind, *kind, "{case} over {t:?}: {e}");
            assert!(e.to_string().contains(text), "{case} over {t:?}: {e}");
        }
        (Replies(value), Ok(v)) => assert_eq!(v["data"][0], *value, "{case} over {t:?}: {v}"),
        (_, other) => panic!("{case} over {t:?}: unexpected {other:?}"),
    }
}

/// The connection afterwards of a real private bus in this same process works.
fn a_real_bus_still_works(t: Transport) {
    let bus = PrivateBus::on(t);
    let conn = bus.connect();
    let id = driver(&conn, "GetId", None, json!([])).expect("GetId on a real bus");
    assert_eq!(id["type"], "s");
}

/// Runs one case: the call ends as the table says, within a loose bound of its timeout; the
/// next call shows whether the connection was kept.
fn run(case: &str, t: Transport) {
    let (expect, after) = expected(case);
    let peer = HostilePeer::start(case, t);
    let start = Instant::now();
    let conn = skypebus::hub::open(Target::Bus(peer.address.clone())).block();
    let conn = match (case.starts_with("sasl-"), conn) {
        (true, conn) => {
            check(conn.map(|_| Value::Null), &expect, case, t);
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{case}: took {:?}",
                start.elapsed()
            );
            return a_real_bus_still_works(t);
        }
        (false, conn) => conn.unwrap_or_else(|e| panic!("{case} over {t:?}: connect: {e}")),
    };
    let start = Instant::now();
    check(go(&conn, "Go"), &expect, case, t);
    assert!(
        start.elapsed() < Duration::from_millis(5 * TIMEOUT_MS),
        "{case} over {t:?}: the call took {:?}",
        start.elapsed()
    );
    let again = go(&conn, "Again");
    match after {
        After::Kept => assert_eq!(again.expect("the connection was kept")["type"], ""),
        After::Closed => assert_eq!(again.unwrap_err().kind, Kind::Disconnected),
        After::Stuck => assert_eq!(again.unwrap_err().kind, Kind::Timeout),
    }
    drop(conn);
    a_real_bus_still_works(t);
}

/// One test per case and wire path: `case_name::unix`, `case_name::tcp`.
macro_rules! cases {
    ($($name:ident => $case:literal),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[test]
            fn unix() {
                run($case, Transport::Unix)
            }
            #[test]
            fn tcp() {
                run($case, Transport::Tcp)
            }
        }
    )*};
}

cases! {
    short_body => "short-body",
    signature_mismatch => "signature-mismatch",
    invalid_utf8 => "invalid-utf8",
    missing_nul => "missing-nul",
    invalid_object_path => "invalid-object-path",
    invalid_signature => "invalid-signature",
    arrays_too_deep => "arrays-too-deep",
    structs_too_deep => "structs-too-deep",
    variants_too_deep => "variants-too-deep",
    array_over_64_mib => "array-over-64-mib",
    message_over_128_mib => "message-over-128-mib",
    wrong_endianness => "wrong-endianness",
    wrong_version => "wrong-version",
    wrong_type => "wrong-type",
    reply_for_no_call => "reply-for-no-call",
    duplicate_reply => "duplicate-reply",
    error_without_name => "error-without-name",
    half_message => "half-message",
    call_without_path => "call-without-path",
    call_without_member => "call-without-member",
    fds_never_came => "fds-never-came",
    fd_index_out_of_range => "fd-index-out-of-range",
    sasl_close => "sasl-close",
    sasl_garbage => "sasl-garbage",
}

/// A connect that fails with `ConnectFailed` saying `text`, within `bound`.
fn connect_fails(case: &str, t: Transport, text: &str, bound: Duration) {
    let peer = HostilePeer::start(case, t);
    let start = Instant::now();
    let e = skypebus::hub::open(Target::Bus(peer.address.clone()))
        .block()
        .err();
    let e = e.unwrap_or_else(|| panic!("{case} over {t:?}: the connect succeeded"));
    assert_eq!(e.kind, Kind::ConnectFailed, "{case} over {t:?}: {e}");
    assert!(e.to_string().contains(text), "{case} over {t:?}: {e}");
    assert!(
        start.elapsed() < bound,
        "{case} over {t:?}: took {:?}",
        start.elapsed()
    );
    a_real_bus_still_works(t);
}

/// A bare line feed from the server: the library's socket refuses the line; zbus' handshake
/// panics on it, which the connect catches.
#[test]
fn sasl_bare_newline_unix() {
    let text = "the server ended an authentication line without \\r\\n";
    connect_fails(
        "sasl-bare-newline",
        Transport::Unix,
        text,
        Duration::from_secs(5),
    );
}

#[test]
fn sasl_bare_newline_tcp() {
    let text = "the peer broke the authentication protocol";
    connect_fails(
        "sasl-bare-newline",
        Transport::Tcp,
        text,
        Duration::from_secs(5),
    );
}

/// 1 MiB without a line feed: the library's socket refuses the line at 16 KiB; over zbus'
/// socket the connect ends at its timeout (25 s).
#[test]
fn sasl_huge_line_unix() {
    let text = "longer than 16384 bytes";
    connect_fails(
        "sasl-huge-line",
        Transport::Unix,
        text,
        Duration::from_secs(5),
    );
}

#[test]
fn sasl_huge_line_tcp() {
    let text = "did not complete within 25 s";
    connect_fails(
        "sasl-huge-line",
        Transport::Tcp,
        text,
        Duration::from_secs(40),
    );
}

/// The peak resident memory of this process, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// Lengths over the limits are refused before anything is allocated: the peak memory of the
/// process grows by far less than the 64 MiB and 200 MiB the peer claims.
#[test]
fn claimed_lengths_allocate_nothing() {
    for t in [Transport::Unix, Transport::Tcp] {
        for case in ["array-over-64-mib", "message-over-128-mib"] {
            let before = peak_rss_kib();
            run(case, t);
            let grown = peak_rss_kib().saturating_sub(before);
            assert!(
                grown < 32 * 1024,
                "{case} over {t:?}: the peak RSS grew by {grown} KiB"
            );
        }
    }
}

/// 100,000 signals while a call is in flight: the call completes, the queue stays bounded and
/// the dropped signals are counted in the event statistics.
fn signal_flood(t: Transport) {
    let peer = HostilePeer::start("signal-flood", t);
    let conn = skypebus::hub::open(Target::Bus(peer.address.clone()))
        .block()
        .expect("connect");
    let (rule, opts) =
        MatchRule::from_value(&json!({"interface": "net.hostile.Peer"})).expect("rule");
    skypebus::hub::subscribe(&conn, rule, opts)
        .block()
        .expect("subscribe");
    let before = peak_rss_kib();
    let reply = call_json(
        &conn,
        json!({"destination": "net.hostile.Peer", "path": "/", "interface": "net.hostile.Peer",
               "method": "Go", "signature": "", "args": [], "timeout_ms": 60000}),
    )
    .expect("the call completes during the flood");
    assert_eq!(reply["data"][0], "after the flood");
    let stats = skypebus::hub::stats(&conn).expect("stats");
    let limit = skypebus::limits::DEFAULT_QUEUE_LIMIT as u64;
    assert_eq!(stats.dropped_signals, 100_000 - limit, "{stats:?}");
    let grown = peak_rss_kib().saturating_sub(before);
    assert!(
        grown < 64 * 1024,
        "over {t:?}: the peak RSS grew by {grown} KiB"
    );
    let first = skypebus::hub::next_event(&conn, Duration::from_secs(1))
        .block()
        .expect("next_event")
        .expect("a queued signal");
    assert!(first.contains("\"tick\""), "{first}");
    drop(conn);
    a_real_bus_still_works(t);
}

per_transport!(signal_flood);
