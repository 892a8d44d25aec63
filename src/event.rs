//! The per-connection event queue: signals, incoming method calls and name events, pulled one at
//! a time by the application with [`next_event`] (no callbacks ever cross into the caller).
//!
//! # Design
//!
//! Every connection has one `Hub`, owned by its shared state and fed by the connection's
//! dispatcher task (see [`crate::connection`]). The dispatcher's hooks (`Hub::on_reply`,
//! `crate::signal::on_signal`, `crate::serve::on_call`) run in the background, on whichever
//! thread drives the runtime; they only take the hub's mutex for short, non-blocking work and never
//! wait for the application. The application pulls with [`next_event`].
//!
//! The queue is split in two, ordered together by arrival:
//!
//! - **Notifications** (signals and name acquired/lost events) are bounded by a count and a byte
//!   size ([`Limits`]); when either bound is exceeded the *oldest* notifications are dropped and
//!   counted (`dropped_signals`). A subscription nobody pulls therefore costs bounded memory and
//!   never stops the socket reader, so method replies keep flowing.
//! - **Calls** (method calls to exported objects and property writes) are never dropped: each one
//!   holds a call handle until it is answered or expires ([`Limits::call_timeout`], 25 s by
//!   default, the usual client timeout, after which the library answers
//!   `org.freedesktop.DBus.Error.NoReply` itself). At most [`Limits::max_pending_calls`] handles
//!   exist at once; further calls are refused at once with
//!   `org.freedesktop.DBus.Error.LimitsExceeded`.
//!
//! Bodies are decoded to JSON when pulled, on the pulling thread, so dropped signals cost no
//! decoding and the dispatcher stays fast.
//!
//! # Event JSON
//!
//! - `{"kind": "signal", "sender", "destination", "path", "interface", "member", "type", "data",
//!   "subscriptions": [ids]}`; on a body that cannot be decoded, `"data": null` and
//!   `"error": {"name", "message"}`.
//! - `{"kind": "call", "call": <handle>, "sender", "path", "interface", "member", "type", "data",
//!   "no_reply": bool}`; `interface` is the interface the call was resolved to (also when the
//!   caller sent none).
//! - `{"kind": "set_property", "call": <handle>, "sender", "path", "interface", "name", "type",
//!   "data": <value>, "no_reply": bool}`.
//! - `{"kind": "name_acquired", "name"}` / `{"kind": "name_lost", "name"}`.
//!
//! # Pollable descriptor
//!
//! `Hub::event_fd` creates (once) an `eventfd` that is readable exactly while an event is
//! waiting or the connection is closed; the library reads and writes it under the hub's lock, so
//! readiness always agrees with the queue.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::Notify;
use zbus::message::Flags;
use zbus::{Message, MessageStream};

use crate::connection::Connection;
use crate::error::{Error, Kind, Result};
use crate::json::DecodeOptions;
use crate::message;

/// Default bound on queued notifications (signals and name events).
pub const DEFAULT_QUEUE_LIMIT: usize = 4096;
/// Default bound on the bytes of queued notifications (their raw message sizes).
pub const DEFAULT_QUEUE_BYTES: usize = 64 << 20;
/// Default lifetime of an unanswered call handle: the usual D-Bus client timeout.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(25);
/// Default bound on call handles alive at once.
pub const DEFAULT_MAX_PENDING_CALLS: usize = 1024;
/// Longest wait inside the runtime in one go: longer waits are done in slices of this length.
pub const WAIT_SLICE: Duration = Duration::from_millis(50);
/// How often the dispatcher checks for expired call handles while some exist.
const EXPIRY_TICK: Duration = Duration::from_millis(250);

/// Bounds of one connection's queue, set with `skypebus_connection_set_event_options`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub queue_limit: usize,
    pub queue_bytes: usize,
    pub call_timeout: Duration,
    pub max_pending_calls: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            queue_limit: DEFAULT_QUEUE_LIMIT,
            queue_bytes: DEFAULT_QUEUE_BYTES,
            call_timeout: DEFAULT_CALL_TIMEOUT,
            max_pending_calls: DEFAULT_MAX_PENDING_CALLS,
        }
    }
}

/// Counters since the connection was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Notifications dropped because the queue was full (oldest first).
    pub dropped_signals: u64,
    /// Calls refused because `max_pending_calls` handles existed (answered `LimitsExceeded`;
    /// no-reply calls are dropped silently and counted here too).
    pub refused_calls: u64,
    /// Call handles released because they were not answered within `call_timeout`.
    pub expired_calls: u64,
}

/// A queued notification.
pub(crate) enum Note {
    Signal {
        msg: Message,
        subscriptions: Vec<u64>,
        opts: DecodeOptions,
    },
    Name {
        acquired: bool,
        name: String,
    },
}

impl Note {
    fn size(&self) -> usize {
        match self {
            Note::Signal { msg, .. } => msg.data().bytes().len(),
            Note::Name { name, .. } => name.len() + 64,
        }
    }
}

/// The two queues, ordered together by a sequence number.
#[derive(Default)]
pub(crate) struct Queue {
    notes: VecDeque<(u64, Note)>,
    calls: VecDeque<(u64, u64)>,
    seq: u64,
    note_bytes: usize,
}

/// Everything behind the hub's mutex.
pub(crate) struct State {
    pub(crate) queue: Queue,
    pub(crate) signals: crate::signal::Registry,
    pub(crate) serve: crate::serve::Registry,
    pub(crate) limits: Limits,
    pub(crate) stats: Stats,
    closed: bool,
    /// Whether the eventfd currently holds a count (is readable).
    fd_ready: bool,
}

impl State {
    /// Whether an event is waiting.
    pub(crate) fn has_event(&self) -> bool {
        !self.queue.notes.is_empty() || !self.queue.calls.is_empty()
    }

    /// Queues a notification, dropping the oldest ones beyond the bounds.
    pub(crate) fn push_note(&mut self, note: Note) {
        let q = &mut self.queue;
        q.seq += 1;
        q.note_bytes += note.size();
        q.notes.push_back((q.seq, note));
        self.trim_notes();
    }

    /// Drops the oldest notifications until both bounds hold (the newest one always stays).
    pub(crate) fn trim_notes(&mut self) {
        let q = &mut self.queue;
        while q.notes.len() > 1
            && (q.notes.len() > self.limits.queue_limit || q.note_bytes > self.limits.queue_bytes)
        {
            if let Some((_, old)) = q.notes.pop_front() {
                q.note_bytes -= old.size();
                self.stats.dropped_signals += 1;
            }
        }
    }

    /// Queues the handle of a received call (its details live in the serve registry).
    pub(crate) fn push_call(&mut self, id: u64) {
        let q = &mut self.queue;
        q.seq += 1;
        q.calls.push_back((q.seq, id));
    }

    /// Forgets queued calls whose handles no longer exist.
    pub(crate) fn forget_calls(&mut self) {
        let calls = &self.serve.calls;
        self.queue.calls.retain(|(_, id)| calls.contains_key(id));
    }

    /// Removes subscription `id` from queued signals; signals left with no subscription go.
    pub(crate) fn forget_subscription(&mut self, id: u64) {
        let q = &mut self.queue;
        let mut freed = 0;
        q.notes.retain_mut(|(_, note)| match note {
            Note::Signal { subscriptions, .. } => {
                subscriptions.retain(|s| *s != id);
                if subscriptions.is_empty() {
                    freed += note.size();
                    false
                } else {
                    true
                }
            }
            Note::Name { .. } => true,
        });
        q.note_bytes -= freed;
    }

    /// Takes the oldest waiting event.
    fn pop(&mut self) -> Option<Pulled> {
        loop {
            let q = &mut self.queue;
            let take_call = match (q.notes.front(), q.calls.front()) {
                (None, None) => return None,
                (Some((n, _)), Some((c, _))) => c < n,
                (None, Some(_)) => true,
                (Some(_), None) => false,
            };
            if take_call {
                let (_, id) = q.calls.pop_front()?;
                if let Some(call) = self.serve.calls.get_mut(&id) {
                    call.pulled = true;
                    return Some(Pulled::Call(id, call.snapshot()));
                }
            } else {
                let (_, note) = q.notes.pop_front()?;
                q.note_bytes -= note.size();
                return Some(Pulled::Note(note));
            }
        }
    }
}

/// An event taken from the queue, rendered to JSON outside the lock.
enum Pulled {
    Note(Note),
    Call(u64, crate::serve::CallSnapshot),
}

/// The event machinery of one connection.
pub(crate) struct Hub {
    state: Mutex<State>,
    notify: Notify,
    /// Outstanding `GetNameOwner` queries the dispatcher must apply in order (fast path).
    pub(crate) owner_queries: AtomicUsize,
    /// Call handles alive (fast path for the expiry timer).
    pub(crate) pending_calls: AtomicUsize,
    /// Whether any object is exported (fast path for incoming method calls).
    pub(crate) exporting: AtomicBool,
    /// Whether any subscription exists or names are tracked (fast path for signals).
    pub(crate) listening: AtomicBool,
    fd: OnceLock<OwnedFd>,
}

impl Hub {
    pub(crate) fn new() -> Hub {
        Hub {
            state: Mutex::new(State {
                queue: Queue::default(),
                signals: Default::default(),
                serve: Default::default(),
                limits: Limits::default(),
                stats: Stats::default(),
                closed: false,
                fd_ready: false,
            }),
            notify: Notify::new(),
            owner_queries: AtomicUsize::new(0),
            pending_calls: AtomicUsize::new(0),
            exporting: AtomicBool::new(false),
            listening: AtomicBool::new(false),
            fd: OnceLock::new(),
        }
    }

    /// Locks the state. Never held across an `await`.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes waiters and updates the pollable descriptor after events were queued. Call with the
    /// lock held (pass the guard) so readiness matches the queue.
    pub(crate) fn wake(&self, st: &mut State) {
        self.sync_fd(st);
        if st.has_event() || st.closed {
            self.notify.notify_waiters();
        }
    }

    /// Makes the pollable descriptor readable exactly when an event waits or the connection is
    /// closed. Call with the lock held.
    pub(crate) fn sync_fd(&self, st: &mut State) {
        let ready = st.has_event() || st.closed;
        self.set_fd_ready(st, ready);
    }

    fn set_fd_ready(&self, st: &mut State, ready: bool) {
        let Some(fd) = self.fd.get() else { return };
        if st.fd_ready == ready {
            return;
        }
        let raw = fd.as_raw_fd();
        if ready {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a live u64 to our own eventfd.
            unsafe { libc::write(raw, (&one as *const u64).cast(), 8) };
        } else {
            let mut buf: u64 = 0;
            // SAFETY: reads 8 bytes into a live u64 from our own non-blocking eventfd.
            unsafe { libc::read(raw, (&mut buf as *mut u64).cast(), 8) };
        }
        st.fd_ready = ready;
    }

    /// The pollable descriptor, created on first use.
    pub(crate) fn event_fd(&self) -> Result<RawFd> {
        if let Some(fd) = self.fd.get() {
            return Ok(fd.as_raw_fd());
        }
        // SAFETY: plain syscall; the result is checked.
        let raw = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if raw < 0 {
            return Err(Error::new(
                Kind::Io,
                format!(
                    "cannot create an eventfd: {}",
                    std::io::Error::last_os_error()
                ),
            ));
        }
        // SAFETY: `raw` is a new descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut st = self.lock();
        if self.fd.set(fd).is_ok() {
            st.fd_ready = false;
            self.sync_fd(&mut st);
        }
        Ok(self.fd.get().map(|f| f.as_raw_fd()).unwrap_or(-1))
    }

    /// Called when the connection is closed or lost: call handles are released (they cannot be
    /// answered any more); queued notifications stay readable; waiters wake up.
    pub(crate) fn on_closed(&self) {
        let mut st = self.lock();
        st.closed = true;
        st.serve.calls.clear();
        st.queue.calls.clear();
        self.pending_calls.store(0, Ordering::Release);
        self.wake(&mut st);
    }

    /// Dispatcher hook for every method return and error: applies `GetNameOwner` replies of
    /// sender tracking in arrival order (see [`crate::signal`]).
    pub(crate) fn on_reply(&self, msg: &Message) {
        if self.owner_queries.load(Ordering::Acquire) == 0 {
            return;
        }
        crate::signal::apply_owner_reply(self, msg);
    }

    /// Takes the next event, waiting up to `timeout`, and renders it as JSON. `Ok(None)` when
    /// nothing arrived in time.
    pub(crate) fn next(&self, conn: &Connection, timeout: Duration) -> Result<Option<String>> {
        let deadline = Instant::now() + timeout;
        loop {
            let pulled = {
                let mut st = self.lock();
                let p = st.pop();
                self.sync_fd(&mut st);
                if p.is_none() && st.closed {
                    drop(st);
                    conn.check_usable()?;
                    return Err(Error::disconnected("the connection is closed"));
                }
                p
            };
            if let Some(p) = pulled {
                match self.render(conn, p) {
                    Some(json) => return Ok(Some(json)),
                    None => continue,
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            conn.check_usable()?;
            let slice = (deadline - now).min(WAIT_SLICE);
            conn.process().block_on(async {
                let notified = self.notify.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                {
                    let st = self.lock();
                    if st.has_event() || st.closed {
                        return;
                    }
                }
                let _ = tokio::time::timeout(slice, notified).await;
            });
        }
    }

    /// Renders a pulled event; None when it was consumed without an event for the caller (a
    /// call whose body could not be decoded is answered with an error by the library).
    fn render(&self, conn: &Connection, pulled: Pulled) -> Option<String> {
        match pulled {
            Pulled::Note(Note::Name { acquired, name }) => {
                let kind = if acquired {
                    "name_acquired"
                } else {
                    "name_lost"
                };
                let mut m = Map::new();
                m.insert("kind".into(), kind.into());
                m.insert("name".into(), name.into());
                Some(Value::Object(m).to_string())
            }
            Pulled::Note(Note::Signal {
                msg,
                subscriptions,
                opts,
            }) => Some(render_signal(&msg, &subscriptions, opts)),
            Pulled::Call(id, snap) => match crate::serve::render_call(id, &snap) {
                Ok(json) => Some(json),
                Err(e) => {
                    crate::serve::fail_undecodable(conn, id, &snap, &e);
                    None
                }
            },
        }
    }
}

/// `"key":<json string or null>,`
pub(crate) fn push_str_field(out: &mut String, key: &str, value: Option<&str>) {
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
    match value {
        Some(v) => out.push_str(&Value::from(v).to_string()),
        None => out.push_str("null"),
    }
    out.push(',');
}

fn render_signal(msg: &Message, subscriptions: &[u64], opts: DecodeOptions) -> String {
    let header = msg.header();
    let mut out = String::with_capacity(msg.data().bytes().len() + 160);
    out.push_str("{\"kind\":\"signal\",");
    push_str_field(&mut out, "sender", header.sender().map(|s| s.as_str()));
    push_str_field(
        &mut out,
        "destination",
        header.destination().map(|s| s.as_str()),
    );
    push_str_field(&mut out, "path", header.path().map(|s| s.as_str()));
    push_str_field(
        &mut out,
        "interface",
        header.interface().map(|s| s.as_str()),
    );
    push_str_field(&mut out, "member", header.member().map(|s| s.as_str()));
    let sig = message::body_signature(msg).unwrap_or_default();
    push_str_field(&mut out, "type", Some(&sig));
    out.push_str("\"data\":");
    match message::body_json_into(msg, opts, &mut out) {
        Ok(_) => {}
        Err(e) => {
            out.push_str("null,\"error\":");
            let mut m = Map::new();
            m.insert("name".into(), e.name.into());
            m.insert("message".into(), e.message.into());
            out.push_str(&Value::Object(m).to_string());
        }
    }
    out.push_str(",\"subscriptions\":");
    out.push_str(&Value::from(subscriptions.to_vec()).to_string());
    out.push('}');
    out
}

/// The dispatcher's read loop step: the next incoming message, while expiring unanswered call
/// handles every [`EXPIRY_TICK`] as long as some exist.
pub(crate) async fn next_incoming(
    stream: &mut MessageStream,
    hub: &Hub,
    conn: &zbus::Connection,
    next_sweep: &mut Option<tokio::time::Instant>,
) -> Option<zbus::Result<Message>> {
    let next = crate::connection::next_message(stream);
    if hub.pending_calls.load(Ordering::Acquire) == 0 {
        *next_sweep = None;
        return next.await;
    }
    let now = tokio::time::Instant::now();
    let due = *next_sweep.get_or_insert(now + EXPIRY_TICK);
    if now >= due {
        *next_sweep = Some(now + EXPIRY_TICK);
        crate::serve::expire_calls(hub, conn).await;
    }
    tokio::pin!(next);
    loop {
        let due = next_sweep.unwrap_or_else(|| tokio::time::Instant::now() + EXPIRY_TICK);
        tokio::select! {
            biased;
            m = &mut next => return m,
            _ = tokio::time::sleep_until(due) => {
                *next_sweep = Some(tokio::time::Instant::now() + EXPIRY_TICK);
                crate::serve::expire_calls(hub, conn).await;
                if hub.pending_calls.load(Ordering::Acquire) == 0 {
                    *next_sweep = None;
                    return next.await;
                }
            }
        }
    }
}

/// Whether a received message asks for no reply.
pub(crate) fn no_reply_expected(msg: &Message) -> bool {
    msg.primary_header()
        .flags()
        .contains(Flags::NO_REPLY_EXPECTED)
}

// ---------------------------------------------------------------------------------------------
// Rust API

/// Takes the next event of `conn` as JSON, waiting up to `timeout` (zero: only what is already
/// queued). `Ok(None)` when nothing arrived in time.
pub fn next_event(conn: &Connection, timeout: Duration) -> Result<Option<String>> {
    if !conn.owned_by_this_process() {
        conn.check_usable()?;
    }
    conn.hub().next(conn, timeout)
}

/// The counters of `conn`'s queue.
pub fn stats(conn: &Connection) -> Stats {
    conn.hub().lock().stats
}

/// The current bounds of `conn`'s queue.
pub fn limits(conn: &Connection) -> Limits {
    conn.hub().lock().limits
}

/// Parses and applies event options: `queue_limit`, `queue_bytes`, `call_timeout_ms`,
/// `max_pending_calls` (all positive integers; absent keys keep their value).
pub fn set_options(conn: &Connection, json: &str) -> Result<()> {
    let v = crate::json::parse_json_strict(json)?;
    let Value::Object(map) = v else {
        return Err(Error::invalid_request(format!(
            "event options must be a JSON object, not {}",
            crate::call::json_kind(&v)
        )));
    };
    crate::call::check_keys(
        &map,
        &[
            "queue_limit",
            "queue_bytes",
            "call_timeout_ms",
            "max_pending_calls",
        ],
        "event options",
    )?;
    let int = |key: &str, max: u64| -> Result<Option<u64>> {
        match map.get(key) {
            None => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if n >= 1 && n <= max => Ok(Some(n)),
                _ => Err(Error::invalid_request(format!(
                    "\"{key}\" must be an integer from 1 to {max}, not {v}"
                ))),
            },
        }
    };
    let queue_limit = int("queue_limit", 1 << 24)?;
    let queue_bytes = int("queue_bytes", 1 << 40)?;
    let call_timeout = int("call_timeout_ms", crate::call::MAX_TIMEOUT_MS)?;
    let max_pending = int("max_pending_calls", 1 << 20)?;
    let hub = conn.hub();
    let mut st = hub.lock();
    if let Some(n) = queue_limit {
        st.limits.queue_limit = n as usize;
    }
    if let Some(n) = queue_bytes {
        st.limits.queue_bytes = n as usize;
    }
    if let Some(n) = call_timeout {
        st.limits.call_timeout = Duration::from_millis(n);
    }
    if let Some(n) = max_pending {
        st.limits.max_pending_calls = n as usize;
    }
    st.trim_notes();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// C ABI

use std::ffi::c_char;

use crate::connection::skypebus_connection;
use crate::error::{skypebus_error, skypebus_result};
use crate::ffi::{self, ffi_boundary};

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
/// - `{"kind":"name_acquired","name":..}` / `{"kind":"name_lost","name":..}`.
///
/// Values follow the reply mapping (docs/mapping.md), with the `variants`/`bytes` options of the
/// subscription (the oldest matching one) or of the export.
///
/// **Nothing in time**: returns `SKYPEBUS_EMPTY` and leaves `*event_json_out` alone. Like every
/// non-OK result, `*err` then receives an error object (name `net.skypebus.Error.Empty`) when
/// `err` is not NULL, which the caller frees; pass `err = NULL` in a polling loop that does not
/// need it. A closed or lost connection gives `SKYPEBUS_DISCONNECTED` once the events queued
/// before the loss are taken.
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
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        ffi::non_null(event_json_out, "event_json_out")?;
        match next_event(&conn.inner, Duration::from_millis(u64::from(timeout_ms)))? {
            Some(json) => {
                ffi::write_out(event_json_out, ffi::c_string(json)?);
                Ok(())
            }
            None => Err(Error::new(
                Kind::Empty,
                format!("no event within {timeout_ms} ms"),
            )),
        }
    })
}

/// Writes to `*fd_out` a file descriptor that is readable exactly while an event is waiting in
/// the connection's queue (or the connection is closed), for `poll`/`select`/`epoll` loops and
/// PHP's `stream_select` (open it as `php://fd/<n>`). Wait for readability, then take events
/// with `skypebus_next_event(conn, 0, ...)` until `SKYPEBUS_EMPTY`.
///
/// The descriptor belongs to the connection: do not read, write or close it; it stays valid
/// until `skypebus_connection_free`. Every call returns the same descriptor. NULL `conn` or
/// `fd_out` gives `SKYPEBUS_NULL_ARGUMENT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_connection_event_fd(
    conn: *const skypebus_connection,
    fd_out: *mut i32,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        ffi::non_null(fd_out, "fd_out")?;
        conn.inner.check_usable()?;
        let fd = conn.inner.hub().event_fd()?;
        ffi::write_out(fd_out, fd);
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
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        ffi::non_null(count_out, "count_out")?;
        ffi::write_out(count_out, stats(&conn.inner).dropped_signals);
        Ok(())
    })
}

/// Writes to `*stats_json_out` a new string (free it with `skypebus_string_free`) describing
/// the event machinery: `{"queued_signals","queued_calls","pending_calls","subscriptions",
/// "exports","dropped_signals","refused_calls","expired_calls","queue_limit","queue_bytes",
/// "call_timeout_ms","max_pending_calls"}` (all integers). `pending_calls` counts call handles
/// not yet answered or expired, pulled or not. NULL `conn` or `stats_json_out` gives
/// `SKYPEBUS_NULL_ARGUMENT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_event_stats(
    conn: *const skypebus_connection,
    stats_json_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        ffi::non_null(stats_json_out, "stats_json_out")?;
        let json = stats_json(&conn.inner);
        ffi::write_out(stats_json_out, ffi::c_string(json)?);
        Ok(())
    })
}

/// The statistics object of `skypebus_event_stats`.
pub fn stats_json(conn: &Connection) -> String {
    let st = conn.hub().lock();
    serde_json::json!({
        "queued_signals": st.queue.notes.len(),
        "queued_calls": st.queue.calls.len(),
        "pending_calls": st.serve.calls.len(),
        "subscriptions": st.signals.subscription_count(),
        "exports": st.serve.export_count(),
        "dropped_signals": st.stats.dropped_signals,
        "refused_calls": st.stats.refused_calls,
        "expired_calls": st.stats.expired_calls,
        "queue_limit": st.limits.queue_limit,
        "queue_bytes": st.limits.queue_bytes,
        "call_timeout_ms": st.limits.call_timeout.as_millis() as u64,
        "max_pending_calls": st.limits.max_pending_calls,
    })
    .to_string()
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
///   `org.freedesktop.DBus.Error.LimitsExceeded` at once.
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
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let text = crate::error::str_from_c(options_json, "options_json")?;
        set_options(&conn.inner, text)
    })
}
