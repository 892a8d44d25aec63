//! The event queue: taking events, its pollable descriptor, statistics and options.

use std::ffi::c_char;

use super::{
    Handle, boundary, millis, non_null, run, skypebus_connection, skypebus_error, str_from_c,
    write_out, write_string,
};
use crate::error::{Result, skypebus_result};
use crate::event::Options;
use crate::hub;

/// The outcome of a `..._next` function: the text written to `out`, or `SKYPEBUS_EMPTY` (no
/// error, `out` untouched) when nothing came in time.
pub(crate) fn next_text(text: Option<String>, out: *mut *mut c_char) -> Result<skypebus_result> {
    match text {
        Some(text) => {
            write_string(out, text)?;
            Ok(skypebus_result::SKYPEBUS_OK)
        }
        None => Ok(skypebus_result::SKYPEBUS_EMPTY),
    }
}

/// Takes the next event of the connection — a signal, an incoming method call, a property
/// write, or a name acquired/lost — whichever arrived first, waiting up to `timeout_ms`
/// milliseconds (0: return at once with what is already queued).
///
/// On success `*event_json_out` receives a new string (free it with `skypebus_string_free`):
/// - `{"kind":"signal","sender":..,"destination":..,"path":..,"interface":..,"member":..,
///   "type":"<body signature>","data":[...],"subscriptions":[ids]}` (a signal matched by several
///   subscriptions comes once, listing every id; `destination` is null for broadcasts);
/// - `{"kind":"call","call":<handle>,"sender":..,"path":..,"interface":..,"member":..,
///   "type":..,"data":[...],"no_reply":false}`: answer it with `skypebus_reply` or
///   `skypebus_reply_error`;
/// - `{"kind":"set_property","call":<handle>,"sender":..,"path":..,"interface":..,"name":..,
///   "type":"<property signature>","data":<value>,"no_reply":false}`: a remote
///   `Properties.Set` of a writable property; `skypebus_reply(conn, call, NULL, ..)` accepts it
///   (the library stores the value and emits `PropertiesChanged`), `skypebus_reply_error`
///   refuses it;
/// - `{"kind":"name_acquired","name":..}` / `{"kind":"name_lost","name":..}`;
/// - `{"kind":"call_finished","id":<id>}`: the asynchronous call `id` (`skypebus_call_start`,
///   `skypebus_pending_call_id`) has its result; take it with `skypebus_pending_call_wait(pending,
///   0, ..)`. Such events are never dropped; taking the result first, or freeing the handle,
///   removes the event.
///
/// Values follow the reply mapping (docs/mapping.md), with the `variants`/`bytes` options of the
/// subscription (the oldest matching one) or of the export. An `h` in an event is a new
/// descriptor (close-on-exec) that the caller owns and must `close()`; the descriptors of events
/// never taken (dropped from a full queue, or queued when the connection is freed) are closed
/// by the library.
///
/// **Nothing in time**: returns `SKYPEBUS_EMPTY` and leaves both `*event_json_out` and `*err`
/// alone: EMPTY is no error, and no error object is made for it. A closed or lost connection
/// gives `SKYPEBUS_DISCONNECTED` once the events queued before the loss are taken.
///
/// Waits are done in slices of at most 50 ms inside the library, so other threads using the
/// connection keep being served; while the caller is outside the library the connection is
/// still read and events are queued. Thread-safe: several threads may wait at once; each event
/// goes to one of them. `event_json_out` must not be NULL.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_next_event(
    conn: *const skypebus_connection,
    timeout_ms: u32,
    event_json_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        non_null(event_json_out, "event_json_out")?;
        next_text(
            run(
                &conn.inner,
                hub::next_event(&conn.inner, millis(timeout_ms)),
            )??,
            event_json_out,
        )
    })
}

/// Writes to `*fd_out` a file descriptor that is readable exactly while an event is waiting in
/// the connection's queue (or the connection is closed), for `poll`/`select`/`epoll` loops and
/// PHP's `stream_select` (open it as `php://fd/<n>`). Wait for readability, then take events
/// with `skypebus_next_event(conn, 0, ...)` until `SKYPEBUS_EMPTY`.
///
/// Every kind of event counts: a signal, a call to serve, a property write, a name event, a
/// finished asynchronous call (`skypebus_call_start`). It is level-triggered: it stays readable
/// until the last waiting event is taken (or removed by taking a call's result first), and is
/// not readable otherwise, so a loop that sleeps on it wakes for nothing else and spends no CPU
/// while idle. The connection is read in the background while the application sleeps.
///
/// The descriptor belongs to the connection: do not read, write or close it; it stays valid
/// until `skypebus_connection_free`. Every call returns the same descriptor (created with
/// `EFD_CLOEXEC`: not inherited by `exec`). **After `fork()`** the child inherits it, but it
/// remains the parent's: the child's copy keeps showing the parent's readiness, the child must
/// not wait on it (its events are the parent's; `skypebus_next_event` there fails with
/// `SKYPEBUS_DISCONNECTED`) and should close its copy; a connection opened in the child has its
/// own descriptor. NULL `conn` or `fd_out` gives `SKYPEBUS_NULL_ARGUMENT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_connection_event_fd(
    conn: *const skypebus_connection,
    fd_out: *mut i32,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        non_null(fd_out, "fd_out")?;
        let fd = hub::event_fd(&conn.inner)?;
        write_out(fd_out, fd);
        Ok(())
    })
}

/// Writes to `*count_out` how many signals (and name events) were dropped since the connection
/// was opened because the event queue was full; the oldest are dropped first. The count only
/// grows; nothing is allocated. NULL `conn` or `count_out` gives `SKYPEBUS_NULL_ARGUMENT`.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_dropped_signals(
    conn: *const skypebus_connection,
    count_out: *mut u64,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        non_null(count_out, "count_out")?;
        write_out(count_out, hub::stats(&conn.inner)?.dropped_signals);
        Ok(())
    })
}

/// Writes to `*stats_json_out` a new string (free it with `skypebus_string_free`) describing
/// the event machinery: `{"queued_signals","queued_calls","pending_calls","subscriptions",
/// "exports","dropped_signals","refused_calls","expired_calls","queue_limit","queue_bytes",
/// "call_timeout_ms","max_pending_calls","async_calls","finished_calls","max_async_calls"}`
/// (all integers). `pending_calls` counts call handles not yet answered or expired, pulled or
/// not; `async_calls` the asynchronous calls of ours in flight (`skypebus_call_start`),
/// `finished_calls` their `call_finished` events waiting in the queue. NULL `conn` or `stats_json_out` gives
/// `SKYPEBUS_NULL_ARGUMENT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_event_stats(
    conn: *const skypebus_connection,
    stats_json_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        non_null(stats_json_out, "stats_json_out")?;
        let json = hub::stats_json(&conn.inner)?;
        write_string(stats_json_out, json)?;
        Ok(())
    })
}

/// Sets bounds of the connection's event machinery from the JSON object `options_json`; absent
/// keys keep their values:
/// - `queue_limit` (default 4096): queued signals and name events kept at most;
/// - `queue_bytes` (default 67108864): total raw size of those kept at most (the newest one is
///   always kept);
/// - `call_timeout_ms` (default 25000): how long a received call's handle lives unanswered;
///   after it the library answers the caller `org.freedesktop.DBus.Error.NoReply` and the
///   handle is released;
/// - `max_pending_calls` (default 1024): call handles alive at once; further calls are answered
///   `org.freedesktop.DBus.Error.LimitsExceeded` at once;
/// - `max_async_calls` (default 1024, at most 65536): asynchronous calls of ours
///   (`skypebus_call_start`) in flight at once; further starts fail with
///   `SKYPEBUS_LIMIT_EXCEEDED`.
///
/// A smaller queue bound drops the oldest queued signals at once (counted). The string is
/// borrowed for the call; NULL `conn` or `options_json` gives `SKYPEBUS_NULL_ARGUMENT`.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_connection_set_event_options(
    conn: *const skypebus_connection,
    options_json: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let text = str_from_c(options_json, "options_json")?;
        hub::set_options(&conn.inner, &Options::parse(text)?)
    })
}
