//! Asynchronous calls: [`start`] returns at once with a [`PendingCall`]; the call itself (typing
//! its arguments, possibly reading the peer's introspection data, sending, waiting for the
//! reply) runs as a task on the process runtime. When it finishes, its result waits in the
//! hub's [`Slot`] and a `call_finished` event makes the connection's queue, and so its pollable
//! descriptor, ready. The handle can also be polled ([`PendingCall::is_ready`]), waited on
//! ([`PendingCall::wait`]) or cancelled.
//!
//! # Design
//!
//! - The result is the very JSON (or error) of a synchronous call (`crate::call`): the same
//!   typing, building and reply envelope.
//! - Bounded: at most `max_async_calls` (an event option, 1024 by default) calls in flight per
//!   connection; [`start`] fails with `LimitExceeded` beyond that, at once, rather than queueing
//!   without bound (back-pressure for the caller).
//! - The task never keeps the connection open: it holds it weakly, and strongly only while
//!   typing and sending; the reply is awaited through the connection's shared state. Freeing
//!   the connection therefore closes it, and calls still waiting finish with `Disconnected`.
//! - Fork: a handle belongs to the process that started the call; in a forked child it reports
//!   `Disconnected` and freeing it there touches nothing of the parent's.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::call::{
    CallRequest, NO_REPLY_ENVELOPE, argument_types_by, build_call, reply_envelope, validate_names,
};
use crate::connection::{Connection, Handler, PendingReply};
use crate::error::{Error, Result};
use crate::hub::{self, Hub, Slot};
use crate::runtime::{self, Process};

/// Longest wait inside the runtime in one go (as for events), so other threads keep being
/// served.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// An asynchronous call started with [`start`].
pub struct PendingCall {
    slot: Arc<Slot>,
    /// The connection's hub (kept alive by this handle, not the connection).
    handler: Arc<dyn Handler>,
    process: &'static Process,
    pid: u32,
    task: tokio::task::AbortHandle,
}

/// Starts the call `req` on `conn` and returns at once. Malformed names fail here; everything
/// else (typing, sending, the reply) is the call's result.
pub fn start(conn: &Arc<Connection>, req: CallRequest) -> Result<PendingCall> {
    conn.check_usable()?;
    validate_names(&req)?;
    let hub = hub::of(conn)?;
    let slot = hub.begin_async()?;
    let handler = conn.handler_arc();
    let timeout = req.timeout.unwrap_or_else(|| conn.default_timeout());
    let process = conn.process();
    let task = {
        let slot = slot.clone();
        let handler = handler.clone();
        let weak = Arc::downgrade(conn);
        process.spawn(async move {
            let result = run(weak, req, timeout).await;
            if let Ok(hub) = hub::of_handler(&*handler) {
                hub.finish_async(&slot, result);
            }
        })
    };
    // Let the task run up to its first wait, so the call leaves now and calls leave in the
    // order they were started (when its argument types are known without a round trip).
    process.block_on(tokio::task::yield_now());
    Ok(PendingCall {
        slot,
        handler,
        process,
        pid: process.pid(),
        task: task.abort_handle(),
    })
}

/// The call itself: its reply envelope, or its error.
async fn run(conn: Weak<Connection>, req: CallRequest, timeout: Duration) -> Result<String> {
    let deadline = tokio::time::Instant::now() + timeout;
    let waiter = {
        let Some(conn) = conn.upgrade() else {
            return Err(Error::disconnected("the connection was freed"));
        };
        let sent = send(&conn, &req, deadline, timeout).await;
        release(conn);
        sent?
    };
    match waiter {
        None => Ok(NO_REPLY_ENVELOPE.to_owned()),
        Some(w) => reply_envelope(&w.reply(deadline, timeout).await?, req.decode_options()),
    }
}

/// Types, builds and sends the call; the waiter for its reply (None for a no-reply call).
async fn send(
    conn: &Connection,
    req: &CallRequest,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Result<Option<PendingReply<'static>>> {
    let types = argument_types_by(conn, req, deadline, timeout).await?;
    let msg = build_call(req, &types)?;
    if req.no_reply {
        conn.send(&msg).await?;
        return Ok(None);
    }
    let waiter = conn.register_detached(&msg)?;
    conn.send(&msg).await?;
    Ok(Some(waiter))
}

/// Lets go of a task's strong reference to its connection. When it is the last one (the
/// application freed the connection meanwhile) the connection is closed on a thread of its
/// own: closing drives the runtime, which a task running on it must not do.
fn release(conn: Arc<Connection>) {
    let Some(last) = Arc::into_inner(conn) else {
        return;
    };
    let holder = Arc::new(std::sync::Mutex::new(Some(last)));
    let theirs = holder.clone();
    let spawned = std::thread::Builder::new()
        .name("skypebus-close".into())
        .spawn(move || drop(theirs.lock().map(|mut c| c.take())));
    if spawned.is_err() {
        // No thread to close it on: keep it rather than close it here.
        let kept = holder.lock().ok().and_then(|mut c| c.take());
        runtime::keep_forever(kept);
    }
}

impl PendingCall {
    /// The id the connection's `call_finished` event names.
    pub fn id(&self) -> u64 {
        self.slot.id()
    }

    /// Whether the calling process is the one that started the call.
    pub fn owned_by_this_process(&self) -> bool {
        self.pid == runtime::current_pid()
    }

    fn hub(&self) -> Result<&Hub> {
        if !self.owned_by_this_process() {
            return Err(Error::disconnected(
                "this call was started by the parent process before fork(); it has no result here",
            ));
        }
        hub::of_handler(&*self.handler)
    }

    /// Whether the result is there (or the call was cancelled): [`PendingCall::wait`] with a
    /// zero timeout then gives it. Always true in a forked child (where waiting fails at once).
    pub fn is_ready(&self) -> bool {
        !self.owned_by_this_process() || self.slot.is_settled()
    }

    /// The result, waiting up to `timeout` for it (zero: only if it is there already); `Ok(None)`
    /// when it did not come in time. The result stays: it can be taken again. Taking it
    /// forgets the call's `call_finished` event.
    pub fn wait(&self, timeout: Duration) -> Result<Option<String>> {
        let hub = self.hub()?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(result) = hub.take_async(&self.slot) {
                return result.map(Some);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let slice = (deadline - now).min(WAIT_SLICE);
            self.process.block_on(async {
                let settled = self.slot.settled.notified();
                tokio::pin!(settled);
                settled.as_mut().enable();
                if self.slot.is_settled() {
                    return;
                }
                let _ = tokio::time::timeout(slice, settled).await;
            });
        }
    }

    /// Stops waiting for the reply (the peer still runs the method: D-Bus cannot take a call
    /// back); the call then has no result and no `call_finished` event. True when the call was
    /// still in flight; a finished call keeps its result.
    pub fn cancel(&self) -> Result<bool> {
        let cancelled = self.hub()?.cancel_async(&self.slot);
        if cancelled {
            self.task.abort();
        }
        Ok(cancelled)
    }
}

impl Drop for PendingCall {
    fn drop(&mut self) {
        if let Ok(hub) = self.hub() {
            hub.forget_async(&self.slot);
            self.task.abort();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// C ABI (until it moves to `src/capi/`)

use std::ffi::c_char;

use crate::connection::skypebus_connection;
use crate::error::{Kind, skypebus_error, skypebus_result};
use crate::ffi::{self, ffi_boundary};

/// An asynchronous call started with `skypebus_call_start` (opaque).
#[allow(non_camel_case_types)]
pub struct skypebus_pending_call {
    inner: PendingCall,
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
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let text = crate::error::str_from_c(request_json, "request_json")?;
        ffi::non_null(pending_out, "pending_out")?;
        let inner = start(&conn.inner, CallRequest::parse(text)?)?;
        ffi::write_out(
            pending_out,
            Box::into_raw(Box::new(skypebus_pending_call { inner })),
        );
        Ok(())
    })
}

/// The id of the call, as the connection's `{"kind":"call_finished","id":<id>}` event names it
/// (unique per connection, from 1). 0 for NULL. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_pending_call_id(pending: *const skypebus_pending_call) -> u64 {
    ffi::borrow(pending).map_or(0, |p| p.inner.id())
}

/// Whether the call has finished (or was cancelled), so that `skypebus_pending_call_wait` with
/// a timeout of 0 gives its result without waiting. Never blocks, never drives the connection.
/// False for NULL; true in a process forked after the call was started (where waiting fails
/// at once with `SKYPEBUS_DISCONNECTED`). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_pending_call_ready(pending: *const skypebus_pending_call) -> bool {
    ffi::borrow(pending).is_some_and(|p| p.inner.is_ready())
}

/// Waits up to `timeout_ms` milliseconds (0: not at all) for the call's result and writes it:
/// the reply envelope `{"type":..,"data":[..]}` to `*reply_json_out` (a new string, freed with
/// `skypebus_string_free`), or the call's error as `skypebus_call` gives it (e.g.
/// `SKYPEBUS_DBUS_ERROR`, `SKYPEBUS_TIMEOUT`, `SKYPEBUS_DISCONNECTED` when the connection was
/// freed or lost meanwhile). The result stays with the handle and may be taken again; taking it
/// removes the call's `call_finished` event from the connection's queue if it is still there.
///
/// Not finished in time: `SKYPEBUS_EMPTY` (no output; `*err` as for every non-OK result, pass
/// NULL to skip it). A cancelled call: `SKYPEBUS_INVALID_REQUEST`. In a process forked after
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
    ffi_boundary!(err, {
        let pending = ffi::try_ref(pending, "pending")?;
        ffi::non_null(reply_json_out, "reply_json_out")?;
        match pending
            .inner
            .wait(Duration::from_millis(u64::from(timeout_ms)))?
        {
            Some(json) => {
                ffi::write_out(reply_json_out, ffi::c_string(json)?);
                Ok(())
            }
            None => Err(Error::new(
                Kind::Empty,
                format!("the call did not finish within {timeout_ms} ms"),
            )),
        }
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
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ffi::borrow(pending).is_some_and(|p| p.inner.cancel().unwrap_or(false))
    }))
    .unwrap_or(false)
}

/// Frees the handle, cancelling the call if it is still in flight (as
/// `skypebus_pending_call_cancel`) and removing its `call_finished` event from the queue if it
/// is there. May be called before or after `skypebus_connection_free` of its connection.
/// `skypebus_pending_call_free(NULL)` is a no-op; freeing twice, or while another thread uses
/// the handle, is undefined behaviour. In a process forked after the call was started, only the
/// handle's bookkeeping is released: nothing of the parent's is touched.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_pending_call_free(pending: *mut skypebus_pending_call) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let Some(boxed) = ffi::take_box(pending) else {
            return;
        };
        if boxed.inner.owned_by_this_process() {
            drop(boxed);
        } else {
            runtime::keep_forever(boxed);
        }
    }));
}
