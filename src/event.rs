//! The per-connection event queue: signals, incoming method calls and name events, pulled one at
//! a time by the application with [`crate::hub::next_event`] (no callbacks ever cross into the caller).
//!
//! # Design
//!
//! This module is the queue itself: [`Queue`], its [`Limits`] and [`Stats`], the rendering of
//! queued signals and name events as JSON, and the pollable [`EventFd`]. Nothing here locks,
//! sends or knows a connection. Every connection's `crate::hub::Hub` keeps one queue behind its
//! lock, fills it from the dispatcher with what the spokes (`crate::signal`, `crate::serve`,
//! `crate::driver`) return, and answers `crate::hub::next_event` from it; the dispatcher's side
//! never waits for the application.
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
//! - `{"kind": "call_finished", "id": <id>}`: an asynchronous call of ours (`crate::pending`)
//!   has its result; never dropped, forgotten once the result is taken or the handle freed.
//!
//! # Pollable descriptor
//!
//! [`EventFd`] is an `eventfd`, created on first use, that is readable exactly while an event is
//! waiting or the connection is closed (level-triggered: it stays readable until the last event
//! is taken); the hub sets it under its lock, so readiness always agrees with the queue.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Map, Value};
use zbus::Message;
use zbus::message::Flags;

use crate::error::{Error, Kind, Result};
use crate::json::DecodeOptions;
use crate::message;
use crate::request::{MAX_TIMEOUT_MS, check_keys, json_object};

pub use crate::limits::{
    DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_ASYNC_CALLS, DEFAULT_MAX_PENDING_CALLS, DEFAULT_QUEUE_BYTES,
    DEFAULT_QUEUE_LIMIT,
};

/// Bounds of one connection's queue, set with `skypebus_connection_set_event_options`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub queue_limit: usize,
    pub queue_bytes: usize,
    pub call_timeout: Duration,
    pub max_pending_calls: usize,
    pub max_async_calls: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            queue_limit: DEFAULT_QUEUE_LIMIT,
            queue_bytes: DEFAULT_QUEUE_BYTES,
            call_timeout: DEFAULT_CALL_TIMEOUT,
            max_pending_calls: DEFAULT_MAX_PENDING_CALLS,
            max_async_calls: DEFAULT_MAX_ASYNC_CALLS,
        }
    }
}

/// Changes to a connection's [`Limits`] (`skypebus_connection_set_event_options`): each field
/// that is set replaces its bound, the others keep theirs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub queue_limit: Option<usize>,
    pub queue_bytes: Option<usize>,
    pub call_timeout: Option<Duration>,
    pub max_pending_calls: Option<usize>,
    pub max_async_calls: Option<usize>,
}

/// Largest `queue_limit`.
pub const MAX_QUEUE_LIMIT: u64 = 1 << 24;
/// Largest `queue_bytes`.
pub const MAX_QUEUE_BYTES: u64 = 1 << 40;
/// Largest `max_pending_calls`.
pub const MAX_PENDING_CALLS: u64 = 1 << 20;
/// Largest `max_async_calls`.
pub const MAX_ASYNC_CALLS: u64 = 1 << 16;

impl Options {
    /// Parses `{"queue_limit", "queue_bytes", "call_timeout_ms", "max_pending_calls",
    /// "max_async_calls"}`, every key optional, each a positive integer up to its bound.
    pub fn parse(text: &str) -> Result<Options> {
        let map = json_object(text, "event options")?;
        check_keys(
            &map,
            &[
                "queue_limit",
                "queue_bytes",
                "call_timeout_ms",
                "max_pending_calls",
                "max_async_calls",
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
        Ok(Options {
            queue_limit: int("queue_limit", MAX_QUEUE_LIMIT)?.map(|n| n as usize),
            queue_bytes: int("queue_bytes", MAX_QUEUE_BYTES)?.map(|n| n as usize),
            call_timeout: int("call_timeout_ms", MAX_TIMEOUT_MS)?.map(Duration::from_millis),
            max_pending_calls: int("max_pending_calls", MAX_PENDING_CALLS)?.map(|n| n as usize),
            max_async_calls: int("max_async_calls", MAX_ASYNC_CALLS)?.map(|n| n as usize),
        })
    }

    /// The bounds `limits` become with these options.
    pub fn apply(&self, limits: &mut Limits) {
        if let Some(n) = self.queue_limit {
            limits.queue_limit = n;
        }
        if let Some(n) = self.queue_bytes {
            limits.queue_bytes = n;
        }
        if let Some(t) = self.call_timeout {
            limits.call_timeout = t;
        }
        if let Some(n) = self.max_pending_calls {
            limits.max_pending_calls = n;
        }
        if let Some(n) = self.max_async_calls {
            limits.max_async_calls = n;
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

/// A queued event.
#[derive(Debug)]
pub enum Event {
    /// A signal, once for every subscription that matched it; decoded when pulled.
    Signal {
        msg: Message,
        subscriptions: Vec<u64>,
        opts: DecodeOptions,
    },
    /// A well-known name of ours acquired or lost.
    Name { acquired: bool, name: String },
    /// A received call, by its handle (its details live in the serve registry). Never dropped.
    Call(u64),
    /// An asynchronous call of ours finished, by its id (the result waits in its handle).
    /// Never dropped; forgotten when the result is taken or the handle freed.
    Finished(u64),
}

impl Event {
    /// The bytes a notification counts against [`Limits::queue_bytes`].
    fn size(&self) -> usize {
        match self {
            Event::Signal { msg, .. } => msg.data().bytes().len(),
            Event::Name { name, .. } => name.len() + 64,
            Event::Call(_) | Event::Finished(_) => 0,
        }
    }
}

/// An event that is never dropped: a received call's handle or a finished call of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kept {
    Call(u64),
    Finished(u64),
}

/// The queue: notifications (bounded, drop-oldest) and call handles and finished calls (never
/// dropped), taken together in arrival order.
#[derive(Debug, Default)]
pub struct Queue {
    notes: VecDeque<(u64, Event)>,
    calls: VecDeque<(u64, Kept)>,
    seq: u64,
    note_bytes: usize,
    dropped: u64,
}

impl Queue {
    /// Whether an event is waiting.
    pub fn has_event(&self) -> bool {
        !self.notes.is_empty() || !self.calls.is_empty()
    }

    /// Queued notifications.
    pub fn notes(&self) -> usize {
        self.notes.len()
    }

    /// Queued call handles.
    pub fn calls(&self) -> usize {
        self.calls
            .iter()
            .filter(|(_, k)| matches!(k, Kept::Call(_)))
            .count()
    }

    /// Queued finished calls of ours.
    pub fn finished(&self) -> usize {
        self.calls.len() - self.calls()
    }

    /// Notifications dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Queues an event; notifications beyond the bounds drop the oldest ones.
    pub fn push(&mut self, event: Event, limits: &Limits) {
        self.seq += 1;
        match event {
            Event::Call(id) => self.calls.push_back((self.seq, Kept::Call(id))),
            Event::Finished(id) => self.calls.push_back((self.seq, Kept::Finished(id))),
            note => {
                self.note_bytes += note.size();
                self.notes.push_back((self.seq, note));
                self.trim(limits);
            }
        }
    }

    /// Drops the oldest notifications until both bounds hold (the newest one always stays).
    pub fn trim(&mut self, limits: &Limits) {
        while self.notes.len() > 1
            && (self.notes.len() > limits.queue_limit || self.note_bytes > limits.queue_bytes)
        {
            if let Some((_, old)) = self.notes.pop_front() {
                self.note_bytes -= old.size();
                self.dropped += 1;
            }
        }
    }

    /// Keeps only the queued calls whose handle `alive` says still exists.
    pub fn retain_calls(&mut self, alive: impl Fn(u64) -> bool) {
        self.calls.retain(|(_, k)| match k {
            Kept::Call(id) => alive(*id),
            Kept::Finished(_) => true,
        });
    }

    /// Forgets every queued call handle (finished calls of ours stay).
    pub fn clear_calls(&mut self) {
        self.retain_calls(|_| false);
    }

    /// Forgets the finished event of our call `id` (its result was taken or its handle freed);
    /// whether one was queued.
    pub fn forget_finished(&mut self, id: u64) -> bool {
        let before = self.calls.len();
        self.calls.retain(|(_, k)| *k != Kept::Finished(id));
        self.calls.len() != before
    }

    /// Removes subscription `id` from queued signals; signals left with no subscription go.
    pub fn forget_subscription(&mut self, id: u64) {
        let mut freed = 0;
        self.notes.retain_mut(|(_, note)| match note {
            Event::Signal { subscriptions, .. } => {
                subscriptions.retain(|s| *s != id);
                if subscriptions.is_empty() {
                    freed += note.size();
                    false
                } else {
                    true
                }
            }
            _ => true,
        });
        self.note_bytes -= freed;
    }

    /// Takes the oldest waiting event.
    pub fn pop(&mut self) -> Option<Event> {
        let take_call = match (self.notes.front(), self.calls.front()) {
            (None, None) => return None,
            (Some((n, _)), Some((c, _))) => c < n,
            (None, Some(_)) => true,
            (Some(_), None) => false,
        };
        if take_call {
            self.calls.pop_front().map(|(_, k)| match k {
                Kept::Call(id) => Event::Call(id),
                Kept::Finished(id) => Event::Finished(id),
            })
        } else {
            let (_, note) = self.notes.pop_front()?;
            self.note_bytes -= note.size();
            Some(note)
        }
    }
}

/// The pollable descriptor of a queue: an `eventfd` created on first use. Its owner keeps it
/// in step with the queue under the owner's lock ([`EventFd::set_ready`]).
#[derive(Debug, Default)]
pub struct EventFd {
    fd: OnceLock<OwnedFd>,
    /// Whether the eventfd currently holds a count (is readable); changed under the owner's lock.
    ready: std::sync::atomic::AtomicBool,
}

impl EventFd {
    /// Makes the descriptor readable or not (nothing before it exists).
    pub fn set_ready(&self, ready: bool) {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(fd) = self.fd.get() else { return };
        if self.ready.load(Relaxed) == ready {
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
        self.ready.store(ready, Relaxed);
    }

    /// The descriptor, created on first use; the flag tells whether this call created it (the
    /// caller then sets its readiness).
    pub fn get_or_create(&self) -> Result<(RawFd, bool)> {
        if let Some(fd) = self.fd.get() {
            return Ok((fd.as_raw_fd(), false));
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
        let created = self.fd.set(fd).is_ok();
        Ok((self.fd.get().map(|f| f.as_raw_fd()).unwrap_or(-1), created))
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

/// The JSON of a name event.
pub fn render_name(acquired: bool, name: String) -> String {
    let kind = if acquired {
        "name_acquired"
    } else {
        "name_lost"
    };
    let mut m = Map::new();
    m.insert("kind".into(), kind.into());
    m.insert("name".into(), name.into());
    Value::Object(m).to_string()
}

/// The JSON of a finished asynchronous call's event.
pub fn render_finished(id: u64) -> String {
    format!("{{\"kind\":\"call_finished\",\"id\":{id}}}")
}

/// The JSON of a signal event.
pub fn render_signal(msg: &Message, subscriptions: &[u64], opts: DecodeOptions) -> String {
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
    match message::body_json_into(msg, opts, message::Fds::Give, &mut out) {
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

/// Whether a received message asks for no reply.
pub(crate) fn no_reply_expected(msg: &Message) -> bool {
    msg.primary_header()
        .flags()
        .contains(Flags::NO_REPLY_EXPECTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Event {
        Event::Name {
            acquired: true,
            name: n.into(),
        }
    }

    #[test]
    fn calls_and_notes_come_in_arrival_order_and_calls_are_never_dropped() {
        let limits = Limits {
            queue_limit: 1,
            ..Limits::default()
        };
        let mut q = Queue::default();
        q.push(Event::Call(7), &limits);
        q.push(name("a"), &limits);
        q.push(name("b"), &limits);
        q.push(Event::Call(8), &limits);
        q.push(Event::Finished(3), &limits);
        q.push(Event::Finished(4), &limits);
        assert_eq!(q.dropped(), 1);
        assert_eq!((q.calls(), q.finished()), (2, 2));
        q.clear_calls();
        assert_eq!((q.calls(), q.finished()), (0, 2));
        assert!(q.forget_finished(3));
        assert!(!q.forget_finished(3));
        q.push(Event::Call(7), &limits);
        q.push(Event::Call(8), &limits);
        assert!(matches!(q.pop(), Some(Event::Name { name, .. }) if name == "b"));
        assert!(matches!(q.pop(), Some(Event::Finished(4))));
        assert!(matches!(q.pop(), Some(Event::Call(7))));
        assert!(matches!(q.pop(), Some(Event::Call(8))));
        assert!(q.pop().is_none());
        assert!(!q.has_event());
    }

    #[test]
    fn the_byte_bound_keeps_the_newest_notification() {
        let limits = Limits {
            queue_bytes: 10,
            ..Limits::default()
        };
        let mut q = Queue::default();
        q.push(name("first"), &limits);
        q.push(name("second"), &limits);
        assert_eq!((q.notes(), q.dropped()), (1, 1));
        q.retain_calls(|_| false);
        assert!(matches!(q.pop(), Some(Event::Name { name, .. }) if name == "second"));
    }
}
