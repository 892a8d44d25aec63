//! Asynchronous calls: start, poll, wait, cancel, free.

use std::ffi::c_char;

use super::events::next_text;
use super::{
    Handle, boundary, drop_unless_forked, millis, non_null, run, run_on, skypebus_connection,
    skypebus_error, str_from_c, write_out,
};
use crate::call::CallRequest;
use crate::error::skypebus_result;
use crate::pending::{self, PendingCall};

/// An asynchronous call started with `skypebus_call_start` (opaque).
#[allow(non_camel_case_types)]
pub struct skypebus_pending_call {
    _private: [u8; 0],
}

impl Handle for skypebus_pending_call {
    type Rust = PendingCall;

    /// In a forked child only the handle's bookkeeping goes: nothing of the parent's.
    fn release(value: Box<PendingCall>) {
        let owned = value.owned_by_this_process();
        drop_unless_forked(value, owned);
    }
}

/// Starts the call described by `request_json` (exactly as for `skypebus_call`) and returns at
/// once: `*pending_out` receives a new handle, freed with `skypebus_pending_call_free`.
///
/// The call runs in the background (typing its arguments, reading the peer's introspection data
/// when it needs to, sending, waiting for the reply within its timeout). When it finishes, the
/// connection queues the event `{"kind":"call_finished","id":<id>}` (see
/// `skypebus_pending_call_id`), so the descriptor of `skypebus_connection_event_fd` becomes
/// readable; take the result with `skypebus_pending_call_wait(pending, 0, ...)`. The handle can
/// also be polled (`skypebus_pending_call_ready`) or waited on with a timeout. Its result is the
/// reply envelope, or the error, that `skypebus_call` would have given.
///
/// **Back-pressure**: at most `max_async_calls` calls (1024 by default; an option of
/// `skypebus_connection_set_event_options`, up to 65536) are in flight per connection at once;
/// beyond that this function fails at once with `SKYPEBUS_LIMIT_EXCEEDED` and nothing is sent:
/// take finished results and start again. A call counts until it finishes or is cancelled.
/// (The system bus itself allows 128 pending replies per connection.) A finished call's result
/// is kept by its handle until the handle is freed.
///
/// Errors at once: malformed JSON or names, a closed connection, the bound above. NULL `conn`,
/// `request_json` or `pending_out` gives `SKYPEBUS_NULL_ARGUMENT`; on failure `*pending_out` is
/// left alone. The string is borrowed for the call. Works on shared and private connections.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_call_start(
    conn: *const skypebus_connection,
    request_json: *const c_char,
    pending_out: *mut *mut skypebus_pending_call,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let text = str_from_c(request_json, "request_json")?;
        non_null(pending_out, "pending_out")?;
        let req = CallRequest::parse(text)?;
        let pending = run(&conn.inner, pending::start(&conn.inner, req))??;
        write_out(pending_out, skypebus_pending_call::into_raw(pending));
        Ok(())
    })
}

/// The id of the call, as the connection's `{"kind":"call_finished","id":<id>}` event names it
/// (unique per connection, from 1). 0 for NULL. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_pending_call_id(pending: *const skypebus_pending_call) -> u64 {
    boundary!(or = 0, {
        skypebus_pending_call::borrow(pending).map_or(0, PendingCall::id)
    })
}

/// Whether the call has finished (or was cancelled), so that `skypebus_pending_call_wait` with
/// a timeout of 0 gives its result without waiting. Never blocks, never drives the connection.
/// False for NULL; true in a process forked after the call was started (where waiting fails
/// at once with `SKYPEBUS_DISCONNECTED`). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_pending_call_ready(pending: *const skypebus_pending_call) -> bool {
    boundary!(or = false, {
        skypebus_pending_call::borrow(pending).is_some_and(PendingCall::is_ready)
    })
}

/// Waits up to `timeout_ms` milliseconds (0: not at all) for the call's result and writes it:
/// the reply envelope `{"type":..,"data":[..]}` to `*reply_json_out` (a new string, freed with
/// `skypebus_string_free`), or the call's error as `skypebus_call` gives it (e.g.
/// `SKYPEBUS_DBUS_ERROR`, `SKYPEBUS_TIMEOUT`, `SKYPEBUS_DISCONNECTED` when the connection was
/// freed or lost meanwhile). The result stays with the handle and may be taken again; taking it
/// removes the call's `call_finished` event from the connection's queue if it is still there.
/// The descriptors of its `h` values are the caller's (to close) from the first time it is
/// taken; taken again, the result names the same descriptors.
///
/// Not finished in time: `SKYPEBUS_EMPTY` (no output, and `*err` left alone: EMPTY is no error,
/// no error object is made). A cancelled call: `SKYPEBUS_INVALID_REQUEST`. In a process forked after
/// the call was started: `SKYPEBUS_DISCONNECTED` at once. Waiting drives the connection (the
/// reply is read by the waiting thread). NULL `pending` or `reply_json_out` gives
/// `SKYPEBUS_NULL_ARGUMENT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_pending_call_wait(
    pending: *const skypebus_pending_call,
    timeout_ms: u32,
    reply_json_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let pending = skypebus_pending_call::try_ref(pending, "pending")?;
        non_null(reply_json_out, "reply_json_out")?;
        let result = run_on(
            pending.process(),
            pending.owned_by_this_process(),
            pending.wait(millis(timeout_ms)),
        )??;
        next_text(result, reply_json_out)
    })
}

/// Cancels the call if it is still in flight: its reply, if one comes, is ignored, it gets no
/// `call_finished` event, and waiting for it gives `SKYPEBUS_INVALID_REQUEST`. The peer still
/// runs the method (D-Bus has no way to take a call back). Returns true when the call was in
/// flight and is now cancelled; false when it had finished already (it keeps its result), was
/// cancelled before, for NULL, and in a process forked after the call was started. The handle
/// must still be freed. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_pending_call_cancel(pending: *const skypebus_pending_call) -> bool {
    boundary!(or = false, {
        skypebus_pending_call::borrow(pending).is_some_and(|p| p.cancel().unwrap_or(false))
    })
}

/// Frees the handle, cancelling the call if it is still in flight (as
/// `skypebus_pending_call_cancel`) and removing its `call_finished` event from the queue if it
/// is there; the descriptors of a result never taken are closed. May be called before or after
/// `skypebus_connection_free` of its connection.
/// `skypebus_pending_call_free(NULL)` is a no-op; freeing twice, or while another thread uses
/// the handle, is undefined behaviour. In a process forked after the call was started, only the
/// handle's bookkeeping is released: nothing of the parent's is touched.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_pending_call_free(pending: *mut skypebus_pending_call) {
    boundary!(or = (), { skypebus_pending_call::free(pending) })
}
