//! Signals: subscribing, unsubscribing, emitting.

use std::ffi::c_char;

use super::{
    Handle, boundary, non_null, run, skypebus_connection, skypebus_error, str_from_c, write_out,
};
use crate::error::skypebus_result;
use crate::hub;
use crate::signal::{self, MatchRule, SignalRequest};

/// Subscribes to signals matching `match_json` and writes the new subscription's id (1 or more)
/// to `*id_out`.
///
/// `match_json` is an object whose keys are all optional: `sender` (a unique or well-known
/// name; a well-known name matches its *current* owner, tracked by the library), `path` or
/// `path_namespace`, `interface`, `member`, `destination`, `arg0`..`arg63` (string argument
/// equals), `arg0path`..`arg63path` (path-prefix match on a string or object path argument),
/// `arg0namespace` (string argument in a dotted namespace), and the output options `variants`
/// (`"typed"`) and `bytes` (`"base64"`). `{}` matches every signal. Unknown keys, malformed names
/// and paths are errors.
///
/// Matching signals are taken with `skypebus_next_event`. Needs a private connection
/// (`skypebus_connection_open_private`): on the shared handle of `skypebus_connection_open` it
/// gives `SKYPEBUS_INVALID_REQUEST`, since other users of that connection would take its events.
/// The subscription lasts until `skypebus_unsubscribe` or until the connection is freed. The
/// string is borrowed for the call; NULL `conn`, `match_json` or `id_out` gives
/// `SKYPEBUS_NULL_ARGUMENT`. The call waits for the bus to confirm the rule (a round trip or
/// three). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_subscribe(
    conn: *const skypebus_connection,
    match_json: *const c_char,
    id_out: *mut u64,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let text = str_from_c(match_json, "match_json")?;
        non_null(id_out, "id_out")?;
        let (rule, opts) = MatchRule::parse(text)?;
        let private = conn.private("subscribing to signals")?;
        let id = run(private, hub::subscribe(private, rule, opts))??;
        write_out(id_out, id);
        Ok(())
    })
}

/// Ends subscription `id`: no further signal matches it, and queued signals that matched only
/// it are discarded. An unknown id (never returned, or already unsubscribed) gives
/// `SKYPEBUS_INVALID_REQUEST`, a NULL `conn` `SKYPEBUS_NULL_ARGUMENT`. Works on a lost connection
/// too. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_unsubscribe(
    conn: *const skypebus_connection,
    id: u64,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        run(&conn.inner, hub::unsubscribe(&conn.inner, id))?
    })
}

/// Emits a signal described by `signal_json`: `{"path", "interface", "member"}` and optionally
/// `destination` (unicast to that name; otherwise broadcast), `signature` (otherwise inferred
/// from the values), `args` (array) and `bytes` (`"base64"`). Returns once the message is sent.
/// The string is borrowed for the call; NULL `conn` or `signal_json` gives
/// `SKYPEBUS_NULL_ARGUMENT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_emit(
    conn: *const skypebus_connection,
    signal_json: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let text = str_from_c(signal_json, "signal_json")?;
        let req = SignalRequest::parse(text)?;
        run(&conn.inner, signal::emit(&conn.inner, &req))?
    })
}
