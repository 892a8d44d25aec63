//! Subscribing: the signal registry's entries and the bus' match rules kept in step.

use std::sync::atomic::Ordering;

use super::{Hub, of};
use crate::connection::Connection;
use crate::driver;
use crate::error::Result;
use crate::json::DecodeOptions;
use crate::signal::MatchRule;

impl Hub {
    /// Marks whether any subscription exists (lock held).
    pub(super) fn set_subscribed(&self, st: &super::State) {
        self.subscribed
            .store(st.signals.subscription_count() > 0, Ordering::Release);
    }

    /// Removes a subscription locally; returns its bus rule and, when it was the last one
    /// tracking its sender, that sender's name.
    fn unsubscribe_local(&self, id: u64) -> Result<(String, Option<String>)> {
        let mut st = self.lock();
        let removed = st.signals.remove(id)?;
        self.set_subscribed(&st);
        st.queue.forget_subscription(id);
        self.sync_fd(&st);
        drop(st);
        let untracked = removed.sender.filter(|name| self.owners.release_ref(name));
        Ok((removed.bus_rule, untracked))
    }
}

/// Subscribes to the signals `rule` matches; returns the subscription id (1, 2, ...). The
/// subscription matches at once (so no signal routed to us after `AddMatch` is missed); the call
/// returns once the bus has the rule (and, for a well-known sender, its current owner).
pub async fn subscribe(conn: &Connection, rule: MatchRule, opts: DecodeOptions) -> Result<u64> {
    conn.check_usable()?;
    let hub = of(conn)?;
    let on_bus = conn.unique_name()?.is_some();
    let tracked = rule.tracked_sender().map(str::to_owned);
    let bus_rule = rule.to_bus_rule();
    let id = {
        let mut st = hub.lock();
        let id = st.signals.add(rule, opts);
        hub.set_subscribed(&st);
        id
    };
    let first_tracker = tracked.as_deref().is_some_and(|n| hub.owners.add_ref(n));
    let result = async {
        if !on_bus {
            return Ok(());
        }
        if let (Some(name), true) = (&tracked, first_tracker) {
            hub.owners.query(conn, name).await?;
        }
        driver::add_match(conn, &bus_rule).await
    }
    .await;
    if let Err(e) = result {
        // A query whose reply never came (timeout, disconnect) is forgotten.
        if let Some(name) = &tracked {
            hub.owners.query_failed(name);
        }
        let _ = hub.unsubscribe_local(id);
        return Err(e);
    }
    Ok(id)
}

/// Removes a subscription: it stops matching at once, its queued signals that matched no other
/// subscription are discarded, and its rule is removed from the bus (bus errors are ignored,
/// so unsubscribing works on a lost connection too).
pub async fn unsubscribe(conn: &Connection, id: u64) -> Result<()> {
    let (rule, untracked) = of(conn)?.unsubscribe_local(id)?;
    if conn.check_usable().is_err() || conn.unique_name().ok().flatten().is_none() {
        return Ok(());
    }
    let _ = driver::remove_match(conn, &rule).await;
    if let Some(name) = untracked {
        let _ = driver::remove_match(conn, &driver::owner_rule(&name)).await;
    }
    Ok(())
}
