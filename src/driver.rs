//! The bus driver (`org.freedesktop.DBus`): calls to it, owning names (`RequestName` /
//! `ReleaseName`), the name events it sends us, and [`Owners`], the connection's one tracker of
//! who owns a well-known name now (used by subscriptions to well-known senders and by
//! introspection's caches).
//!
//! Owner tracking: the first time a name is tracked, a match rule for its `NameOwnerChanged`
//! is added and `GetNameOwner` asked; from then on the dispatcher keeps the owner current
//! ([`Owners::on_reply`], [`Owners::on_signal`]), applying the `GetNameOwner` reply and every
//! later change in the order the bus sent them, so no change is lost between the two and none is
//! overtaken.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;
use zbus::Message;
use zbus::message::Type as MsgType;
use zbus::names::WellKnownName;

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::message::{self, CallHeader};
use crate::signature::Type;

/// The bus driver's name (also its interface).
pub const DRIVER: &str = "org.freedesktop.DBus";
/// The bus driver's object path.
pub const DRIVER_PATH: &str = "/org/freedesktop/DBus";

const E_NAME_HAS_NO_OWNER: &str = "org.freedesktop.DBus.Error.NameHasNoOwner";

/// Most names [`Owners::current_owner`] keeps tracked; each costs a match rule on the bus.
pub const MAX_PINNED: usize = 1024;

/// Calls the bus driver's `member` with string arguments (and a `u32` after them when `flags`
/// is given); `before_send` gets the call's serial before it is sent. Returns the reply, or the
/// D-Bus error it carried.
pub async fn call(
    conn: &Connection,
    member: &str,
    strings: &[&str],
    flags: Option<u32>,
    before_send: impl FnOnce(u32),
) -> Result<Message> {
    let mut types = vec![Type::String; strings.len()];
    let mut args: Vec<Value> = strings.iter().map(|s| Value::from(*s)).collect();
    if let Some(f) = flags {
        types.push(Type::UInt32);
        args.push(Value::from(f));
    }
    let header = CallHeader {
        destination: Some(DRIVER),
        path: DRIVER_PATH,
        interface: Some(DRIVER),
        member,
        no_reply: false,
        flags: 0,
    };
    let msg = message::method_call(&header, &types, &args, Default::default())?;
    before_send(msg.primary_header().serial_num().get());
    conn.call_checked(&msg, conn.default_timeout()).await
}

/// Adds a match rule (text form) on the bus.
pub async fn add_match(conn: &Connection, rule: &str) -> Result<()> {
    call(conn, "AddMatch", &[rule], None, |_| {})
        .await
        .map(drop)
}

/// Removes a match rule (text form) from the bus.
pub async fn remove_match(conn: &Connection, rule: &str) -> Result<()> {
    call(conn, "RemoveMatch", &[rule], None, |_| {})
        .await
        .map(drop)
}

fn check_well_known(name: &str) -> Result<()> {
    WellKnownName::try_from(name)
        .map(|_| ())
        .map_err(|e| Error::invalid_name(format!("{name:?} is not a well-known bus name: {e}")))
}

fn bus_only(conn: &Connection) -> Result<()> {
    conn.check_usable()?;
    if conn.unique_name()?.is_none() {
        return Err(Error::not_supported(
            "a peer-to-peer connection has no bus to own names on",
        ));
    }
    Ok(())
}

fn u32_reply(reply: &Message, what: &str) -> Result<u32> {
    reply
        .body()
        .deserialize::<u32>()
        .map_err(|e| Error::invalid_message(format!("{what} reply: {e}")))
}

/// Asks the bus for a well-known name; returns its answer (1 primary owner, 2 in queue,
/// 3 exists, 4 already owner).
pub async fn request_name(conn: &Connection, name: &str, flags: u32) -> Result<u32> {
    check_well_known(name)?;
    if flags & !7 != 0 {
        return Err(Error::invalid_request(format!(
            "unknown name flags {flags:#x} (allowed: 1 allow replacement, 2 replace existing, 4 do not queue)"
        )));
    }
    bus_only(conn)?;
    let reply = call(conn, "RequestName", &[name], Some(flags), |_| {}).await?;
    u32_reply(&reply, "RequestName")
}

/// Gives a well-known name back to the bus (through the bus driver directly); returns its answer
/// (1 released, 2 non-existent, 3 not owner).
pub async fn release_name(conn: &Connection, name: &str) -> Result<u32> {
    check_well_known(name)?;
    bus_only(conn)?;
    let reply = call(conn, "ReleaseName", &[name], None, |_| {}).await?;
    u32_reply(&reply, "ReleaseName")
}

/// Whether `msg` is a signal of the bus driver's own interface.
fn from_driver(msg: &Message) -> bool {
    let header = msg.header();
    header.sender().is_some_and(|s| s.as_str() == DRIVER)
        && header.interface().is_some_and(|i| i.as_str() == DRIVER)
}

/// The `name_acquired`/`name_lost` event of a driver signal addressed to us about a well-known
/// name, if `msg` is one.
pub fn name_event(msg: &Message) -> Option<Event> {
    let header = msg.header();
    let acquired = match header.member().map(|m| m.as_str()) {
        Some("NameAcquired") => true,
        Some("NameLost") => false,
        _ => return None,
    };
    if header.destination().is_none() || !from_driver(msg) {
        return None;
    }
    let name = msg.body().deserialize::<String>().ok()?;
    (!name.starts_with(':')).then_some(Event::Name { acquired, name })
}

/// The match rule of the bus driver's `NameOwnerChanged` for one name.
pub fn owner_rule(name: &str) -> String {
    format!(
        "type='signal',sender='{DRIVER}',path='{DRIVER_PATH}',interface='{DRIVER}',\
         member='NameOwnerChanged',arg0='{}'",
        name.replace('\'', "'\\''")
    )
}

/// One tracked well-known name.
#[derive(Debug, Default)]
struct Tracked {
    /// Subscriptions naming this sender.
    refs: usize,
    /// Tracked for the life of the connection (see [`Owners::current_owner`]).
    pinned: bool,
    owner: Option<String>,
}

/// The tracked names of one connection, behind [`Owners::lock`].
#[derive(Debug, Default)]
pub struct Table {
    names: HashMap<String, Tracked>,
    /// Serial of an outstanding `GetNameOwner` call -> the name it asks about.
    queries: HashMap<u32, String>,
    /// How many names are pinned.
    pinned: usize,
}

impl Table {
    /// The current owner of a tracked name (None: untracked, or nobody owns it).
    pub fn owner(&self, name: &str) -> Option<&str> {
        self.names.get(name).and_then(|t| t.owner.as_deref())
    }

    /// Sets the owner of a name as the dispatcher would (unit tests of matching).
    #[cfg(test)]
    pub(crate) fn set_owner(&mut self, name: &str, owner: Option<&str>) {
        self.names.entry(name.to_owned()).or_default().owner = owner.map(str::to_owned);
    }
}

/// The owner tracker of one connection (see the module documentation).
#[derive(Debug, Default)]
pub struct Owners {
    table: Mutex<Table>,
    /// Outstanding `GetNameOwner` queries (fast path of [`Owners::on_reply`]).
    queries: AtomicUsize,
    /// Whether any name is tracked (fast path for signals).
    tracking: AtomicBool,
}

impl Owners {
    /// Locks the table (never across an `await`). Taken after the hub's lock, never before.
    pub fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether any name is tracked.
    pub fn is_tracking(&self) -> bool {
        self.tracking.load(Ordering::Acquire)
    }

    fn set_tracking(&self, t: &Table) {
        self.tracking.store(!t.names.is_empty(), Ordering::Release);
    }

    /// Dispatcher hook for every method return and error: applies `GetNameOwner` replies in
    /// arrival order (so a later `NameOwnerChanged` always wins).
    pub fn on_reply(&self, msg: &Message) {
        if self.queries.load(Ordering::Acquire) == 0 {
            return;
        }
        let Some(serial) = msg.header().reply_serial() else {
            return;
        };
        let mut t = self.lock();
        let Some(name) = t.queries.remove(&serial.get()) else {
            return;
        };
        self.queries.fetch_sub(1, Ordering::AcqRel);
        let owner = match msg.message_type() {
            MsgType::MethodReturn => msg.body().deserialize::<String>().ok(),
            _ => None,
        };
        if let Some(tr) = t.names.get_mut(&name) {
            tr.owner = owner;
        }
    }

    /// Dispatcher hook for every signal: applies the driver's `NameOwnerChanged` to a tracked
    /// name.
    pub fn on_signal(&self, msg: &Message) {
        if !self.is_tracking()
            || msg.header().member().map(|m| m.as_str()) != Some("NameOwnerChanged")
            || !from_driver(msg)
        {
            return;
        }
        let Ok((name, _old, new)) = msg.body().deserialize::<(String, String, String)>() else {
            return;
        };
        if let Some(tr) = self.lock().names.get_mut(&name) {
            tr.owner = (!new.is_empty()).then_some(new);
        }
    }

    /// Counts a subscription naming `name`; true when it is the first reference (the caller
    /// then runs [`Owners::query`]).
    pub fn add_ref(&self, name: &str) -> bool {
        let mut t = self.lock();
        let tr = t.names.entry(name.to_owned()).or_default();
        tr.refs += 1;
        let first = tr.refs == 1;
        self.set_tracking(&t);
        first
    }

    /// Drops a subscription's reference; true when `name` is no longer tracked (the caller
    /// then removes [`owner_rule`] from the bus).
    pub fn release_ref(&self, name: &str) -> bool {
        let mut t = self.lock();
        let Some(tr) = t.names.get_mut(name) else {
            return false;
        };
        tr.refs = tr.refs.saturating_sub(1);
        let gone = tr.refs == 0 && !tr.pinned;
        if gone {
            t.names.remove(name);
        }
        self.set_tracking(&t);
        gone
    }

    /// Forgets outstanding queries about `name` whose replies never came.
    fn forget_queries(&self, t: &mut Table, name: &str) {
        let before = t.queries.len();
        t.queries.retain(|_, n| n != name);
        self.queries
            .fetch_sub(before - t.queries.len(), Ordering::AcqRel);
    }

    /// `GetNameOwner` for a tracked name, its reply applied by the dispatcher in arrival order.
    async fn ask(&self, conn: &Connection, name: &str) -> Result<()> {
        let asked = call(conn, "GetNameOwner", &[name], None, |serial| {
            self.lock().queries.insert(serial, name.to_owned());
            self.queries.fetch_add(1, Ordering::AcqRel);
        })
        .await;
        match asked {
            Ok(_) => Ok(()),
            Err(e) if e.name == E_NAME_HAS_NO_OWNER => Ok(()),
            Err(e) => {
                let mut t = self.lock();
                self.forget_queries(&mut t, name);
                Err(e)
            }
        }
    }

    /// Starts following `name` on the bus: the owner-change rule first, then the current owner
    /// (applied before any later `NameOwnerChanged`).
    pub async fn query(&self, conn: &Connection, name: &str) -> Result<()> {
        add_match(conn, &owner_rule(name)).await?;
        self.ask(conn, name).await
    }

    /// The current owner of the well-known name `name` (None when nobody owns it), tracked for
    /// the life of the connection (pinned) from the first time on. A name with no owner is asked
    /// again. Beyond [`MAX_PINNED`] names the bus is asked each time instead. Must run inside
    /// the connection's runtime.
    pub async fn current_owner(&self, conn: &Connection, name: &str) -> Result<Option<String>> {
        enum Step {
            Known(String),
            Ask { add_match: bool },
            Untracked,
        }
        let step = {
            let mut t = self.lock();
            let room = t.pinned < MAX_PINNED;
            let t = &mut *t;
            match t.names.get_mut(name) {
                Some(tr) => {
                    if !tr.pinned {
                        // Tracked for a subscription already: its match rule is in place.
                        tr.pinned = true;
                        t.pinned += 1;
                    }
                    match &tr.owner {
                        Some(owner) => Step::Known(owner.clone()),
                        None => Step::Ask { add_match: false },
                    }
                }
                None if room => {
                    t.names.insert(
                        name.to_owned(),
                        Tracked {
                            refs: 0,
                            pinned: true,
                            owner: None,
                        },
                    );
                    t.pinned += 1;
                    self.set_tracking(t);
                    Step::Ask { add_match: true }
                }
                None => Step::Untracked,
            }
        };
        match step {
            Step::Known(owner) => Ok(Some(owner)),
            Step::Untracked => match call(conn, "GetNameOwner", &[name], None, |_| {}).await {
                Ok(reply) => Ok(reply.body().deserialize::<String>().ok()),
                Err(e) if e.name == E_NAME_HAS_NO_OWNER => Ok(None),
                Err(e) => Err(e),
            },
            Step::Ask { add_match } => {
                let asked = if add_match {
                    self.query(conn, name).await
                } else {
                    self.ask(conn, name).await
                };
                let mut t = self.lock();
                if let Err(e) = asked {
                    // Forget a pin whose rule is not in place.
                    if add_match && t.names.get(name).is_some_and(|tr| tr.refs == 0) {
                        t.names.remove(name);
                        t.pinned -= 1;
                        self.set_tracking(&t);
                    }
                    return Err(e);
                }
                // The dispatcher applied the reply before the call returned.
                Ok(t.owner(name).map(str::to_owned))
            }
        }
    }

    /// Forgets what a failed [`Owners::query`] left behind.
    pub fn query_failed(&self, name: &str) {
        let mut t = self.lock();
        self.forget_queries(&mut t, name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_track_a_name_until_the_last_goes() {
        let o = Owners::default();
        assert!(!o.is_tracking());
        assert!(o.add_ref("org.example.A"));
        assert!(!o.add_ref("org.example.A"));
        assert!(o.is_tracking());
        assert!(!o.release_ref("org.example.A"));
        assert!(o.release_ref("org.example.A"));
        assert!(!o.is_tracking());
        assert!(!o.release_ref("org.example.A"));
    }

    #[test]
    fn the_owner_rule_quotes_the_name() {
        assert_eq!(
            owner_rule("a.b"),
            "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',\
             interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='a.b'"
        );
    }
}
