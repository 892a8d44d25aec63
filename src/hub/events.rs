//! Pulling events: [`next_event`], the statistics and options of the queue, and the pollable
//! descriptor.

use std::os::fd::RawFd;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{Hub, of};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::event::{self, Event, Limits, Options, Stats};
use crate::serve;

/// Longest wait inside the runtime in one go: longer waits are done in slices of this length,
/// so other threads using the connection keep being served.
pub const WAIT_SLICE: Duration = Duration::from_millis(50);

/// An event taken from the queue, rendered to JSON outside the lock.
enum Pulled {
    Note(Event),
    Call(u64, serve::CallSnapshot),
}

/// How [`next_taken`] hands out what it takes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every event as its JSON text (what `skypebus_next_event` returns).
    Json,
    /// Method calls to our objects as their handle and message (the caller answers them with
    /// [`super::reply`]); every other event as its JSON text.
    Calls,
}

/// An event handed out by [`next_taken`].
pub enum Taken {
    /// The event's JSON text.
    Json(String),
    /// A method call to one of our objects (in [`Mode::Calls`]): its handle and message.
    Call(u64, zbus::Message),
}

impl Hub {
    /// Takes the oldest waiting event (call handles that no longer exist are skipped).
    fn pop(&self, st: &mut super::State) -> Option<Pulled> {
        loop {
            match st.queue.pop()? {
                Event::Call(id) => {
                    if let Some(call) = st.serve.calls.get_mut(&id) {
                        call.pulled = true;
                        return Some(Pulled::Call(id, call.snapshot()));
                    }
                }
                note => return Some(Pulled::Note(note)),
            }
        }
    }

    /// Takes the next event, waiting up to `timeout`, in the form `mode` asks for. `Ok(None)`
    /// when nothing arrived in time.
    async fn next(
        &self,
        conn: &Connection,
        timeout: Duration,
        mode: Mode,
    ) -> Result<Option<Taken>> {
        if timeout.is_zero() {
            return self.next_until(conn, Instant::now(), mode).await;
        }
        /// Counts the thread among the pullers while it may wait.
        struct Pulling<'a>(&'a Hub);
        impl Drop for Pulling<'_> {
            fn drop(&mut self) {
                self.0.pullers.fetch_sub(1, Ordering::AcqRel);
            }
        }
        self.pullers.fetch_add(1, Ordering::AcqRel);
        let _pulling = Pulling(self);
        self.next_until(conn, Instant::now() + timeout, mode).await
    }

    /// [`Hub::next`] with its deadline.
    async fn next_until(
        &self,
        conn: &Connection,
        deadline: Instant,
        mode: Mode,
    ) -> Result<Option<Taken>> {
        loop {
            let pulled = {
                let mut st = self.lock();
                let p = self.pop(&mut st);
                self.sync_fd(&st);
                if p.is_none() && st.closed {
                    drop(st);
                    conn.check_usable()?;
                    return Err(Error::disconnected("the connection is closed"));
                }
                p
            };
            if let Some(p) = pulled {
                let taken = match (mode, p) {
                    (Mode::Calls, Pulled::Call(id, snap)) => Some(Taken::Call(id, snap.msg)),
                    (_, p) => self.render(conn, p).await.map(Taken::Json),
                };
                match taken {
                    Some(taken) => return Ok(Some(taken)),
                    None => continue,
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            conn.check_usable()?;
            let slice = (deadline - now).min(WAIT_SLICE);
            self.wait(slice).await;
        }
    }

    /// Waits up to `slice` for an event to be queued (or the connection to close).
    async fn wait(&self, slice: Duration) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let st = self.lock();
            if st.queue.has_event() || st.closed {
                return;
            }
        }
        let _ = tokio::time::timeout(slice, notified).await;
    }

    /// Renders a pulled event; None when it was consumed without an event for the caller (a
    /// call whose body could not be decoded is answered with an error by the library).
    async fn render(&self, conn: &Connection, pulled: Pulled) -> Option<String> {
        match pulled {
            Pulled::Note(Event::Name { acquired, name }) => {
                Some(event::render_name(acquired, name))
            }
            Pulled::Note(Event::Signal {
                msg,
                subscriptions,
                opts,
            }) => Some(event::render_signal(&msg, &subscriptions, opts)),
            Pulled::Note(Event::Finished(id)) => Some(event::render_finished(id)),
            Pulled::Note(Event::Call(_)) => None,
            Pulled::Call(id, snap) => match serve::render_call(id, &snap) {
                Ok(json) => Some(json),
                Err(e) => {
                    let reply = {
                        let mut st = self.lock();
                        let (released, reply) =
                            serve::fail_undecodable(&mut st.serve, id, &snap, &e);
                        if released {
                            self.released(&mut st, 1);
                        }
                        reply
                    };
                    if let Some(reply) = reply {
                        let _ = conn.send(&reply).await;
                    }
                    None
                }
            },
        }
    }
}

/// Takes the next event of `conn` as JSON, waiting up to `timeout` (zero: only what is already
/// queued). `Ok(None)` when nothing arrived in time.
pub async fn next_event(conn: &Connection, timeout: Duration) -> Result<Option<String>> {
    Ok(next_taken(conn, timeout, Mode::Json)
        .await?
        .map(|taken| match taken {
            Taken::Json(json) => json,
            Taken::Call(..) => unreachable!("Mode::Json renders every call"),
        }))
}

/// Takes the next event of `conn` in the form `mode` asks for, waiting up to `timeout` (zero:
/// only what is already queued). `Ok(None)` when nothing arrived in time.
pub async fn next_taken(conn: &Connection, timeout: Duration, mode: Mode) -> Result<Option<Taken>> {
    if !conn.owned_by_this_process() {
        conn.check_usable()?;
    }
    of(conn)?.next(conn, timeout, mode).await
}

/// The counters of `conn`'s queue.
pub fn stats(conn: &Connection) -> Result<Stats> {
    Ok(of(conn)?.lock().stats())
}

/// The current bounds of `conn`'s queue.
pub fn limits(conn: &Connection) -> Result<Limits> {
    Ok(of(conn)?.lock().limits)
}

/// The pollable descriptor of `conn`'s queue (see `crate::event::EventFd`), created on first use.
pub fn event_fd(conn: &Connection) -> Result<RawFd> {
    conn.check_usable()?;
    let hub = of(conn)?;
    let (fd, created) = hub.fd.get_or_create()?;
    if created {
        let st = hub.lock();
        hub.sync_fd(&st);
    }
    Ok(fd)
}

/// Applies event options to `conn`'s queue (absent fields keep their value); a smaller queue
/// bound drops the oldest queued notifications at once (counted).
pub fn set_options(conn: &Connection, options: &Options) -> Result<()> {
    let hub = of(conn)?;
    let mut st = hub.lock();
    let st = &mut *st;
    options.apply(&mut st.limits);
    st.queue.trim(&st.limits);
    Ok(())
}

/// The statistics object of `skypebus_event_stats`.
pub fn stats_json(conn: &Connection) -> Result<String> {
    let st = of(conn)?.lock();
    let stats = st.stats();
    Ok(serde_json::json!({
        "queued_signals": st.queue.notes(),
        "queued_calls": st.queue.calls(),
        "pending_calls": st.serve.calls.len(),
        "subscriptions": st.signals.subscription_count(),
        "exports": st.serve.export_count(),
        "dropped_signals": stats.dropped_signals,
        "refused_calls": stats.refused_calls,
        "expired_calls": stats.expired_calls,
        "queue_limit": st.limits.queue_limit,
        "queue_bytes": st.limits.queue_bytes,
        "call_timeout_ms": st.limits.call_timeout.as_millis() as u64,
        "max_pending_calls": st.limits.max_pending_calls,
        "async_calls": st.async_in_flight,
        "finished_calls": st.queue.finished(),
        "max_async_calls": st.limits.max_async_calls,
    })
    .to_string())
}
