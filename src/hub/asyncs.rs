//! The hub's side of asynchronous calls of ours (`crate::pending` has the task and the handle):
//! the bound on calls in flight, where each call's result waits ([`Slot`]), and the
//! `call_finished` event that makes the queue, and so the pollable descriptor, ready.
//!
//! A slot goes from in flight to done (its result stored, a `call_finished` event queued) or to
//! cancelled, exactly once, under the hub's lock; either transition frees its place among the
//! calls in flight. Taking the result or forgetting the slot removes its event from the queue,
//! so the descriptor never reports a finished call that was dealt with another way.

use std::os::fd::OwnedFd;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;

use super::Hub;
use crate::error::{Error, Kind, Result};
use crate::event::Event;

/// Where an asynchronous call stands.
#[derive(Debug)]
enum Outcome {
    InFlight,
    /// The result, and the descriptors of its `h` values until it is first taken (closed with
    /// the slot if it never is).
    Done(Result<String>, Vec<OwnedFd>),
    Cancelled,
}

/// One asynchronous call's place in the hub: its id and, once finished, its result.
#[derive(Debug)]
pub struct Slot {
    id: u64,
    outcome: Mutex<Outcome>,
    /// Woken when the call finishes or is cancelled.
    pub(crate) settled: Notify,
}

impl Slot {
    /// The id `call_finished` events name.
    pub fn id(&self) -> u64 {
        self.id
    }

    fn outcome(&self) -> MutexGuard<'_, Outcome> {
        self.outcome.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the call finished or was cancelled (no lock of the hub needed).
    pub fn is_settled(&self) -> bool {
        !matches!(*self.outcome(), Outcome::InFlight)
    }
}

impl Hub {
    /// Reserves a place for a new asynchronous call; fails with `LimitExceeded` when
    /// `max_async_calls` calls are in flight already, and with `Disconnected` once the
    /// connection is closed.
    pub(crate) fn begin_async(&self) -> Result<std::sync::Arc<Slot>> {
        let mut st = self.lock();
        if st.closed {
            return Err(Error::disconnected("the connection is closed"));
        }
        if st.async_in_flight >= st.limits.max_async_calls {
            return Err(Error::limit(format!(
                "{} asynchronous calls are in flight on this connection, the most allowed \
                 (max_async_calls); take the results of finished ones, or raise the bound with \
                 the event option \"max_async_calls\"",
                st.async_in_flight
            )));
        }
        st.async_in_flight += 1;
        st.async_last_id += 1;
        Ok(std::sync::Arc::new(Slot {
            id: st.async_last_id,
            outcome: Mutex::new(Outcome::InFlight),
            settled: Notify::new(),
        }))
    }

    /// Stores the result of a call that was in flight and queues its `call_finished` event
    /// (nothing happens to a cancelled one).
    pub(crate) fn finish_async(&self, slot: &Slot, result: Result<(String, Vec<OwnedFd>)>) {
        let mut st = self.lock();
        {
            let mut outcome = slot.outcome();
            if !matches!(*outcome, Outcome::InFlight) {
                return;
            }
            *outcome = match result {
                Ok((text, fds)) => Outcome::Done(Ok(text), fds),
                Err(e) => Outcome::Done(Err(e), Vec::new()),
            };
        }
        let st = &mut *st;
        st.async_in_flight -= 1;
        st.queue.push(Event::Finished(slot.id), &st.limits);
        self.wake(st);
        slot.settled.notify_waiters();
    }

    /// Cancels a call in flight; true when it was (a finished call keeps its result).
    pub(crate) fn cancel_async(&self, slot: &Slot) -> bool {
        let mut st = self.lock();
        {
            let mut outcome = slot.outcome();
            if !matches!(*outcome, Outcome::InFlight) {
                return false;
            }
            *outcome = Outcome::Cancelled;
        }
        st.async_in_flight -= 1;
        drop(st);
        slot.settled.notify_waiters();
        true
    }

    /// The result of a settled call (a copy: it may be taken again; the descriptors of its `h`
    /// values are the caller's from the first time on), and its `call_finished` event is
    /// forgotten; None while the call is in flight.
    pub(crate) fn take_async(&self, slot: &Slot) -> Option<Result<String>> {
        let mut st = self.lock();
        let result = match &mut *slot.outcome() {
            Outcome::InFlight => return None,
            Outcome::Done(r, fds) => {
                crate::json::fds::release(std::mem::take(fds));
                r.clone()
            }
            Outcome::Cancelled => Err(Error::new(
                Kind::InvalidRequest,
                "the call was cancelled (skypebus_pending_call_cancel): it has no result",
            )),
        };
        if st.queue.forget_finished(slot.id) {
            self.sync_fd(&st);
        }
        Some(result)
    }

    /// Cancels the call if it is in flight and forgets its event: its handle is being freed.
    pub(crate) fn forget_async(&self, slot: &Slot) {
        self.cancel_async(slot);
        let mut st = self.lock();
        if st.queue.forget_finished(slot.id) {
            self.sync_fd(&st);
        }
    }
}
