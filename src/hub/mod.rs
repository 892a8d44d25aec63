//! The hub: the per-connection state above the transport, and the routing of every incoming
//! message to the spokes.
//!
//! A connection (`crate::connection`) knows only its [`Handler`]; [`open`] installs a [`Hub`]
//! as that handler. The hub owns everything a connection accumulates above the socket: the
//! event queue (`crate::event`), the signal registry (`crate::signal`), the serve registry
//! (`crate::serve`), the owner tracker (`crate::driver`) and the introspection caches
//! (`crate::introspect`). The spokes are functions over their own registry that return
//! [`Action`]s; the hub calls them under its lock, applies what they return (queueing events,
//! counting, waking pullers and the pollable descriptor) and has the dispatcher send the rest.
//!
//! Routing, by message type (on the dispatcher task, never waiting for the application):
//! - method return / error: the owner tracker's `GetNameOwner` replies ([`driver::Owners`]);
//! - method call: `serve::handle_call`, the connection's one object server (answers `Peer`,
//!   `Introspectable`, `Properties` and the standard errors itself; gives calls for the
//!   application a handle and a queued event);
//! - signal: owner changes and name events ([`crate::driver`]), then the subscriptions
//!   ([`signal::Registry::on_signal`]);
//! - tick (every [`EXPIRY_TICK`] while call handles exist): expiry of unanswered calls;
//! - closed: handles released, pullers woken.
//!
//! The API that needs this state, for the layers above, is here too: `events` ([`next_event`],
//! statistics, options, the pollable descriptor), `signals` ([`subscribe`]) and `serving`
//! ([`export`], [`reply`]). docs/architecture.md follows a call and a signal through it.
//!
//! Locks: the hub's state lock is short and never held across an `await`; the owner tracker's
//! lock is taken after it, never before.

mod asyncs;
mod events;
mod serving;
mod signals;
#[cfg(test)]
mod tests;

pub use asyncs::Slot;
pub use events::{
    Mode, Taken, event_fd, limits, next_event, next_taken, set_options, stats, stats_json,
};
pub use serving::{export, reply, reply_error, set_property, unexport};
pub use signals::{subscribe, unsubscribe};

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use zbus::Message;

use crate::action::Action;
use crate::connection::{Connection, Handler, Target};
use crate::driver;
use crate::error::{Error, Result};
use crate::event::{Event, EventFd, Limits, Queue, Stats};
use crate::introspect;
use crate::serve;
use crate::signal;

/// How often the dispatcher checks for expired call handles while some exist.
pub const EXPIRY_TICK: Duration = Duration::from_millis(250);

/// Opens a connection with a hub installed (what every connection of the library is).
pub async fn open(target: Target) -> Result<Connection> {
    Connection::open(target, Arc::new(Hub::new())).await
}

/// The process-wide shared connection to `target` (see [`Connection::open_shared`]), with a
/// hub installed.
pub async fn open_shared(target: Target) -> Result<Arc<Connection>> {
    Connection::open_shared(target, || Arc::new(Hub::new())).await
}

/// The hub of a connection opened by [`open`] or [`open_shared`].
pub fn of(conn: &Connection) -> Result<&Hub> {
    of_handler(conn.handler())
}

/// The hub behind a connection's handler.
pub fn of_handler(handler: &dyn Handler) -> Result<&Hub> {
    let handler: &dyn Any = handler;
    handler.downcast_ref::<Hub>().ok_or_else(|| {
        Error::invalid_request("this connection was opened without the library's hub")
    })
}

/// What introspecting on `conn` needs: the connection, its caches and its owner tracker.
pub fn lookup(conn: &Connection) -> Result<introspect::Lookup<'_>> {
    let hub = of(conn)?;
    Ok(introspect::Lookup {
        conn,
        cache: &hub.introspection,
        owners: &hub.owners,
    })
}

/// Everything behind the hub's lock.
pub(crate) struct State {
    pub(crate) queue: Queue,
    pub(crate) signals: signal::Registry,
    pub(crate) serve: serve::Registry,
    pub(crate) limits: Limits,
    /// Refused and expired calls (dropped signals are the queue's count).
    counts: Stats,
    closed: bool,
    /// Asynchronous calls of ours in flight (bounded by `limits.max_async_calls`).
    async_in_flight: usize,
    /// The id of the last asynchronous call started.
    async_last_id: u64,
}

impl State {
    pub(crate) fn stats(&self) -> Stats {
        Stats {
            dropped_signals: self.queue.dropped(),
            ..self.counts
        }
    }

    /// Forgets queued calls whose handles no longer exist.
    fn forget_calls(&mut self) {
        let calls = &self.serve.calls;
        self.queue.retain_calls(|id| calls.contains_key(&id));
    }
}

/// The state of one connection above its transport (see the module documentation).
pub struct Hub {
    state: Mutex<State>,
    notify: Notify,
    owners: driver::Owners,
    introspection: introspect::Cache,
    fd: EventFd,
    /// Call handles alive (fast path of the expiry tick).
    pending_calls: AtomicUsize,
    /// Whether any object is exported (fast path for incoming method calls).
    exporting: AtomicBool,
    /// Whether any subscription exists (fast path for signals).
    subscribed: AtomicBool,
    /// Threads waiting in [`next_event`] right now (who could take a call to ourselves).
    pullers: AtomicUsize,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    /// An empty hub: nothing subscribed or exported, default limits.
    pub fn new() -> Hub {
        Hub {
            state: Mutex::new(State {
                queue: Queue::default(),
                signals: Default::default(),
                serve: Default::default(),
                limits: Limits::default(),
                counts: Stats::default(),
                closed: false,
                async_in_flight: 0,
                async_last_id: 0,
            }),
            notify: Notify::new(),
            owners: Default::default(),
            introspection: Default::default(),
            fd: EventFd::default(),
            pending_calls: AtomicUsize::new(0),
            exporting: AtomicBool::new(false),
            subscribed: AtomicBool::new(false),
            pullers: AtomicUsize::new(0),
        }
    }

    /// The introspection caches of this connection.
    pub fn introspection(&self) -> &introspect::Cache {
        &self.introspection
    }

    /// The owner tracker of this connection.
    pub fn owners(&self) -> &driver::Owners {
        &self.owners
    }

    /// Locks the state. Never held across an `await`.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes the pollable descriptor readable exactly when an event waits or the connection is
    /// closed. Call with the lock held (pass the state) so readiness matches the queue.
    fn sync_fd(&self, st: &State) {
        self.fd.set_ready(st.queue.has_event() || st.closed);
    }

    /// Updates the descriptor and wakes pullers after events were queued (lock held).
    fn wake(&self, st: &State) {
        self.sync_fd(st);
        if st.queue.has_event() || st.closed {
            self.notify.notify_waiters();
        }
    }

    /// Applies a spoke's actions under the lock; returns the messages to send.
    fn apply(&self, st: &mut State, actions: impl IntoIterator<Item = Action>) -> Vec<Message> {
        let mut send = Vec::new();
        let mut queued = false;
        for a in actions {
            match a {
                Action::Send(m) => send.push(m),
                Action::Queue(ev) => {
                    if matches!(ev, Event::Call(_)) {
                        self.pending_calls.fetch_add(1, Ordering::AcqRel);
                    }
                    st.queue.push(ev, &st.limits);
                    queued = true;
                }
                Action::Refused => st.counts.refused_calls += 1,
            }
        }
        if queued {
            self.wake(st);
        }
        send
    }

    /// Releases `count` call handles (answered, expired or failed) and keeps the queue and the
    /// descriptor in step (lock held).
    fn released(&self, st: &mut State, count: usize) {
        self.pending_calls.fetch_sub(count, Ordering::AcqRel);
        st.forget_calls();
        self.sync_fd(st);
    }
}

impl Handler for Hub {
    fn on_reply(&self, msg: &Message) {
        self.owners.on_reply(msg);
    }

    fn on_call(&self, msg: &Message, caller_blocked: bool) -> Option<Message> {
        let actions = if self.exporting.load(Ordering::Acquire) {
            // A call from our own blocked thread can be served only by another thread waiting
            // for events; with none, it is refused at once rather than left to time out.
            let refuse = caller_blocked && self.pullers.load(Ordering::Acquire) == 0;
            let mut st = self.lock();
            let st = &mut *st;
            let actions =
                serve::handle_call_from(&mut st.serve, &st.limits, msg, Instant::now(), refuse);
            self.apply(st, actions)
        } else {
            // Nothing exported: no handle can be made, so the lock is not needed.
            let actions = serve::handle_call(
                &mut serve::Registry::default(),
                &Limits::default(),
                msg,
                Instant::now(),
            );
            actions
                .into_iter()
                .filter_map(|a| match a {
                    Action::Send(m) => Some(m),
                    _ => None,
                })
                .collect()
        };
        actions.into_iter().next()
    }

    fn on_signal(&self, msg: &Message) {
        self.owners.on_signal(msg);
        let name = driver::name_event(msg);
        if name.is_none() && !self.subscribed.load(Ordering::Acquire) {
            return;
        }
        let mut st = self.lock();
        let matched = st.signals.on_signal(&self.owners.lock(), msg);
        let actions = name.map(Action::Queue).into_iter().chain(matched);
        self.apply(&mut st, actions);
    }

    fn on_closed(&self) {
        let mut st = self.lock();
        st.closed = true;
        st.serve.calls.clear();
        st.queue.clear_calls();
        self.pending_calls.store(0, Ordering::Release);
        self.wake(&st);
    }

    fn tick_interval(&self) -> Option<Duration> {
        (self.pending_calls.load(Ordering::Acquire) > 0).then_some(EXPIRY_TICK)
    }

    fn on_tick(&self) -> Vec<Message> {
        let mut st = self.lock();
        let (count, errors) = st.serve.expire(Instant::now());
        if count > 0 {
            st.counts.expired_calls += count as u64;
            self.released(&mut st, count);
        }
        errors
    }
}
