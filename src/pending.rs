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
    CallRequest, NO_REPLY_ENVELOPE, argument_types_by, build_call, check_fd_passing,
    reply_envelope_held, validate_names,
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
pub async fn start(conn: &Arc<Connection>, req: CallRequest) -> Result<PendingCall> {
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
    tokio::task::yield_now().await;
    Ok(PendingCall {
        slot,
        handler,
        process,
        pid: process.pid(),
        task: task.abort_handle(),
    })
}

/// The call itself: its reply envelope (with the descriptors of its `h` values, kept until the
/// result is taken), or its error.
async fn run(
    conn: Weak<Connection>,
    req: CallRequest,
    timeout: Duration,
) -> Result<(String, Vec<std::os::fd::OwnedFd>)> {
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
        None => Ok((NO_REPLY_ENVELOPE.to_owned(), Vec::new())),
        Some(w) => reply_envelope_held(&w.reply(deadline, timeout).await?, req.decode_options()),
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
    check_fd_passing(conn, req, &types, &msg)?;
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

    /// The runtime the call runs on.
    pub(crate) fn process(&self) -> &'static Process {
        self.process
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
    pub async fn wait(&self, timeout: Duration) -> Result<Option<String>> {
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
            let settled = self.slot.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if self.slot.is_settled() {
                continue;
            }
            let _ = tokio::time::timeout(slice, settled).await;
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
