//! Signals: subscriptions with D-Bus match rules, matched exactly by the library, and emitting.
//!
//! # Subscribing
//!
//! A subscription is a match written as JSON:
//!
//! ```json
//! {"sender": "org.example.Service", "path": "/org/example/Obj", "interface": "org.example.If",
//!  "member": "Changed", "arg0": "text", "arg1path": "/a/", "arg0namespace": "org.example",
//!  "path_namespace": "/org/example", "destination": ":1.42",
//!  "variants": "typed", "bytes": "base64"}
//! ```
//!
//! Every key is optional (`{}` matches every signal this connection receives); `path` and
//! `path_namespace` exclude each other; `argN` and `argNpath` take N from 0 to 63;
//! `arg0namespace` exists for arg 0 only; `variants` and `bytes` choose how the signal's values
//! are written (as for calls). The rule is sent to the bus with `AddMatch` (and removed with
//! `RemoveMatch` on unsubscribe) so the bus routes the signals to us, and every incoming signal is
//! matched again locally against each subscription, following the D-Bus specification:
//!
//! - `argN` matches a string argument (`s`) equal to the value;
//! - `argNpath` matches a string or object path argument equal to the value, or where one of
//!   the two ends with `/` and is a prefix of the other;
//! - `arg0namespace` matches a string argument equal to the value or starting with it and `.`;
//! - `path_namespace` matches the path itself and every path below it;
//! - `sender`, when a well-known name, matches signals sent by the name's **current owner**:
//!   the library tracks the owner (`GetNameOwner` at subscribe time, then `NameOwnerChanged`
//!   from the bus, applied in the order the bus sent them), since signals carry the unique name
//!   of their sender. Two subscriptions that differ only in a well-known sender therefore see
//!   only their own sender's signals.
//!
//! A signal matched by several subscriptions is queued once, listing every matching id. Signals
//! go into the connection's bounded event queue (see [`crate::event`]).
//!
//! # Emitting
//!
//! `{"path", "interface", "member", "destination"?, "signature"?, "args"?, "bytes"?}`: the
//! signature is explicit or inferred from the values (docs/mapping.md); with `destination` the
//! signal is unicast to that name.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use serde_json::{Map, Value};
use zbus::Message;
use zbus::message::Type as MsgType;
use zbus::names::{BusName, InterfaceName, MemberName};

use crate::call::{check_keys, json_kind, parse_value_options};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::event::{Hub, Note};
use crate::json::{self, DecodeOptions, EncodeOptions};
use crate::message;
use crate::signature::{self, Type};

/// The bus driver's name, path and interface.
pub(crate) const DRIVER: &str = "org.freedesktop.DBus";
pub(crate) const DRIVER_PATH: &str = "/org/freedesktop/DBus";

/// Highest argument index a match may name (the specification's limit).
pub const MAX_ARG_INDEX: u8 = 63;

/// How an argument is matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgMatch {
    /// `argN`: a string argument equal to the value.
    Equal(String),
    /// `argNpath`: path-prefix matching on a string or object path argument.
    Path(String),
    /// `arg0namespace`: a string argument in the namespace.
    Namespace(String),
}

/// A parsed match rule (signals only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchRule {
    pub sender: Option<String>,
    pub path: Option<String>,
    pub path_namespace: Option<String>,
    pub interface: Option<String>,
    pub member: Option<String>,
    pub destination: Option<String>,
    /// (argument index, how), sorted by index.
    pub args: Vec<(u8, ArgMatch)>,
}

/// Parses `argN`, `argNpath` and `arg0namespace` keys; None for any other key.
fn arg_key(key: &str) -> Option<(u8, &'static str)> {
    let rest = key.strip_prefix("arg")?;
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (digits, suffix) = rest.split_at(digits_end);
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    let n: u8 = digits.parse().ok()?;
    if n > MAX_ARG_INDEX {
        return None;
    }
    match suffix {
        "" => Some((n, "")),
        "path" => Some((n, "path")),
        "namespace" if n == 0 => Some((n, "namespace")),
        _ => None,
    }
}

const MATCH_KEYS: &[&str] = &[
    "sender",
    "path",
    "path_namespace",
    "interface",
    "member",
    "destination",
    "variants",
    "bytes",
];

fn valid_namespace(ns: &str) -> bool {
    !ns.is_empty()
        && ns.len() <= 255
        && ns.split('.').all(|e| {
            !e.is_empty()
                && e.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

impl MatchRule {
    /// Parses a match from JSON text; also returns the value options it asks for.
    pub fn parse(text: &str) -> Result<(MatchRule, DecodeOptions)> {
        let v = json::parse_json_strict(text)?;
        Self::from_value(&v)
    }

    /// Parses a match from a JSON value.
    pub fn from_value(v: &Value) -> Result<(MatchRule, DecodeOptions)> {
        let Value::Object(map) = v else {
            return Err(Error::invalid_request(format!(
                "a match must be a JSON object, not {}",
                json_kind(v)
            )));
        };
        let mut rule = MatchRule::default();
        for key in map.keys() {
            if MATCH_KEYS.contains(&key.as_str()) {
                continue;
            }
            let Some((n, how)) = arg_key(key) else {
                return Err(Error::invalid_request(format!(
                    "unknown key \"{key}\" in a match (allowed: {}, arg0..arg63, arg0path..arg63path, arg0namespace)",
                    MATCH_KEYS.join(", ")
                )));
            };
            let value = crate::call::string_key(map, key)?.unwrap_or_default();
            if value.contains('\0') {
                return Err(Error::invalid_request(format!(
                    "match key \"{key}\" must not contain a NUL character"
                )));
            }
            let m = match how {
                "" => ArgMatch::Equal(value),
                "path" => ArgMatch::Path(value),
                _ => {
                    if !valid_namespace(&value) {
                        return Err(Error::invalid_name(format!(
                            "\"arg0namespace\" must be a bus or interface name namespace, not {}",
                            Value::from(value)
                        )));
                    }
                    ArgMatch::Namespace(value)
                }
            };
            rule.args.push((n, m));
        }
        rule.args.sort_by_key(|(n, _)| *n);
        for w in rule.args.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(Error::invalid_request(format!(
                    "a match may constrain argument {} only once",
                    w[0].0
                )));
            }
        }
        rule.sender = crate::call::string_key(map, "sender")?;
        if let Some(s) = &rule.sender {
            BusName::try_from(s.as_str())
                .map_err(|e| Error::invalid_name(format!("\"sender\" {s:?}: {e}")))?;
        }
        rule.destination = crate::call::string_key(map, "destination")?;
        if let Some(s) = &rule.destination {
            BusName::try_from(s.as_str())
                .map_err(|e| Error::invalid_name(format!("\"destination\" {s:?}: {e}")))?;
        }
        rule.path = crate::call::string_key(map, "path")?;
        rule.path_namespace = crate::call::string_key(map, "path_namespace")?;
        for (key, p) in [
            ("path", &rule.path),
            ("path_namespace", &rule.path_namespace),
        ] {
            if let Some(p) = p
                && !signature::is_valid_object_path(p)
            {
                return Err(Error::invalid_name(format!(
                    "\"{key}\" is not a valid object path: {p:?}"
                )));
            }
        }
        if rule.path.is_some() && rule.path_namespace.is_some() {
            return Err(Error::invalid_request(
                "a match cannot have both \"path\" and \"path_namespace\"",
            ));
        }
        rule.interface = crate::call::string_key(map, "interface")?;
        if let Some(s) = &rule.interface {
            InterfaceName::try_from(s.as_str())
                .map_err(|e| Error::invalid_name(format!("\"interface\" {s:?}: {e}")))?;
        }
        rule.member = crate::call::string_key(map, "member")?;
        if let Some(s) = &rule.member {
            MemberName::try_from(s.as_str())
                .map_err(|e| Error::invalid_name(format!("\"member\" {s:?}: {e}")))?;
        }
        let (typed_variants, bytes_base64) = parse_value_options(map)?;
        Ok((
            rule,
            DecodeOptions {
                typed_variants,
                bytes_base64,
                arrays_base64: false,
            },
        ))
    }

    /// The rule in the bus' text form, for `AddMatch`/`RemoveMatch`.
    pub fn to_bus_rule(&self) -> String {
        fn quote(out: &mut String, key: &str, value: &str) {
            out.push(',');
            out.push_str(key);
            out.push_str("='");
            // Inside quotes a backslash is literal; an apostrophe closes the quote, is written
            // escaped, and the quote reopens.
            out.push_str(&value.replace('\'', "'\\''"));
            out.push('\'');
        }
        let mut out = String::from("type='signal'");
        let fields = [
            ("sender", &self.sender),
            ("path", &self.path),
            ("path_namespace", &self.path_namespace),
            ("interface", &self.interface),
            ("member", &self.member),
            ("destination", &self.destination),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                quote(&mut out, k, v);
            }
        }
        for (n, m) in &self.args {
            match m {
                ArgMatch::Equal(v) => quote(&mut out, &format!("arg{n}"), v),
                ArgMatch::Path(v) => quote(&mut out, &format!("arg{n}path"), v),
                ArgMatch::Namespace(v) => quote(&mut out, "arg0namespace", v),
            }
        }
        out
    }

    /// Whether the sender is a well-known name whose owner must be tracked.
    fn tracked_sender(&self) -> Option<&str> {
        self.sender
            .as_deref()
            .filter(|s| !s.starts_with(':') && *s != DRIVER)
    }

    /// Matches everything but the arguments.
    fn matches_header(&self, h: &SignalHeader<'_>, owners: &HashMap<String, Tracked>) -> bool {
        if let Some(want) = &self.sender {
            let Some(sender) = h.sender else { return false };
            if sender != want {
                let owner = owners.get(want).and_then(|t| t.owner.as_deref());
                if owner != Some(sender) {
                    return false;
                }
            }
        }
        if let Some(p) = &self.path
            && h.path != Some(p.as_str())
        {
            return false;
        }
        if let Some(ns) = &self.path_namespace {
            let Some(path) = h.path else { return false };
            let inside = ns == "/"
                || path == ns
                || (path.starts_with(ns.as_str()) && path.as_bytes().get(ns.len()) == Some(&b'/'));
            if !inside {
                return false;
            }
        }
        if let Some(i) = &self.interface
            && h.interface != Some(i.as_str())
        {
            return false;
        }
        if let Some(m) = &self.member
            && h.member != Some(m.as_str())
        {
            return false;
        }
        if let Some(d) = &self.destination
            && h.destination != Some(d.as_str())
        {
            return false;
        }
        true
    }

    /// Matches the argument constraints against the string-like arguments of a signal.
    fn matches_args(&self, args: &[Option<(char, String)>]) -> bool {
        self.args.iter().all(|(n, how)| {
            let Some(Some((code, value))) = args.get(usize::from(*n)) else {
                return false;
            };
            match how {
                ArgMatch::Equal(want) => *code == 's' && value == want,
                ArgMatch::Path(want) => {
                    (*code == 's' || *code == 'o')
                        && (value == want
                            || (want.ends_with('/') && value.starts_with(want.as_str()))
                            || (value.ends_with('/') && want.starts_with(value.as_str())))
                }
                ArgMatch::Namespace(ns) => {
                    *code == 's'
                        && (value == ns
                            || (value.starts_with(ns.as_str())
                                && value.as_bytes().get(ns.len()) == Some(&b'.')))
                }
            }
        })
    }
}

/// The header fields a match looks at.
struct SignalHeader<'a> {
    sender: Option<&'a str>,
    path: Option<&'a str>,
    interface: Option<&'a str>,
    member: Option<&'a str>,
    destination: Option<&'a str>,
}

/// The top-level `s` and `o` arguments of a signal, as (type code, text); None for others.
fn string_args(msg: &Message) -> Vec<Option<(char, String)>> {
    let Ok((sig, Value::Array(values))) = message::body_value(msg, DecodeOptions::default()) else {
        return Vec::new();
    };
    let Ok(types) = signature::parse_signature(&sig) else {
        return Vec::new();
    };
    types
        .iter()
        .zip(values)
        .map(|(t, v)| match (t, v) {
            (Type::String, Value::String(s)) => Some(('s', s)),
            (Type::ObjectPath, Value::String(s)) => Some(('o', s)),
            _ => None,
        })
        .collect()
}

/// A subscription.
#[derive(Debug)]
struct Subscription {
    id: u64,
    rule: MatchRule,
    opts: DecodeOptions,
}

/// The tracked owner of a well-known name: a subscription's sender, or a destination whose
/// introspection data the library caches (pinned).
#[derive(Debug, Default)]
pub(crate) struct Tracked {
    /// Subscriptions naming this sender.
    refs: usize,
    /// Tracked for the life of the connection (see [`current_owner`]).
    pinned: bool,
    owner: Option<String>,
}

/// Most names [`current_owner`] keeps tracked; each costs a match rule on the bus.
pub(crate) const MAX_PINNED: usize = 1024;

/// Subscriptions and sender tracking of one connection (inside the hub's state).
#[derive(Debug, Default)]
pub(crate) struct Registry {
    subs: Vec<Subscription>,
    owners: HashMap<String, Tracked>,
    /// Serial of an outstanding `GetNameOwner` call -> the name it asks about.
    queries: HashMap<u32, String>,
    /// How many names are pinned.
    pinned: usize,
    next_id: u64,
}

impl Registry {
    pub(crate) fn subscription_count(&self) -> usize {
        self.subs.len()
    }
}

/// The match rule of the bus driver's `NameOwnerChanged` for one name.
fn owner_rule(name: &str) -> String {
    MatchRule {
        sender: Some(DRIVER.into()),
        path: Some(DRIVER_PATH.into()),
        interface: Some(DRIVER.into()),
        member: Some("NameOwnerChanged".into()),
        args: vec![(0, ArgMatch::Equal(name.into()))],
        ..Default::default()
    }
    .to_bus_rule()
}

/// Dispatcher hook for every incoming signal: tracks owners, queues name events, and queues the
/// signal once for all matching subscriptions. Never blocks.
pub(crate) fn on_signal(hub: &Hub, msg: &Message) {
    let header = msg.header();
    let h = SignalHeader {
        sender: header.sender().map(|s| s.as_str()),
        path: header.path().map(|s| s.as_str()),
        interface: header.interface().map(|s| s.as_str()),
        member: header.member().map(|s| s.as_str()),
        destination: header.destination().map(|s| s.as_str()),
    };
    let from_driver = h.sender == Some(DRIVER) && h.interface == Some(DRIVER);
    let name_event = from_driver
        && h.destination.is_some()
        && matches!(h.member, Some("NameAcquired" | "NameLost"));
    if !name_event && !hub.listening.load(Ordering::Acquire) {
        return;
    }
    let mut st = hub.lock();
    if from_driver
        && h.member == Some("NameOwnerChanged")
        && !st.signals.owners.is_empty()
        && let Ok((name, _old, new)) = msg.body().deserialize::<(String, String, String)>()
        && let Some(t) = st.signals.owners.get_mut(&name)
    {
        t.owner = (!new.is_empty()).then_some(new);
    }
    if name_event
        && let Ok(name) = msg.body().deserialize::<String>()
        && !name.starts_with(':')
    {
        st.push_note(Note::Name {
            acquired: h.member == Some("NameAcquired"),
            name,
        });
    }
    let mut ids = Vec::new();
    let mut opts = None;
    let mut args: Option<Vec<Option<(char, String)>>> = None;
    let reg = &st.signals;
    for sub in &reg.subs {
        if !sub.rule.matches_header(&h, &reg.owners) {
            continue;
        }
        if !sub.rule.args.is_empty() {
            let a = args.get_or_insert_with(|| string_args(msg));
            if !sub.rule.matches_args(a) {
                continue;
            }
        }
        ids.push(sub.id);
        opts.get_or_insert(sub.opts);
    }
    if !ids.is_empty() {
        st.push_note(Note::Signal {
            msg: msg.clone(),
            subscriptions: ids,
            opts: opts.unwrap_or_default(),
        });
    }
    hub.wake(&mut st);
}

/// Applies the reply to a `GetNameOwner` query of sender tracking (called by the dispatcher, in
/// the order messages arrived, so a later `NameOwnerChanged` always wins).
pub(crate) fn apply_owner_reply(hub: &Hub, msg: &Message) {
    let Some(serial) = msg.header().reply_serial() else {
        return;
    };
    let mut st = hub.lock();
    let Some(name) = st.signals.queries.remove(&serial.get()) else {
        return;
    };
    hub.owner_queries.fetch_sub(1, Ordering::AcqRel);
    let owner = match msg.message_type() {
        MsgType::MethodReturn => msg.body().deserialize::<String>().ok(),
        _ => None,
    };
    if let Some(t) = st.signals.owners.get_mut(&name) {
        t.owner = owner;
    }
}

/// A call to the bus driver; returns the reply or the D-Bus error it carried.
pub(crate) async fn driver_call<B>(
    conn: &Connection,
    member: &str,
    body: &B,
    before_send: impl FnOnce(u32),
) -> Result<Message>
where
    B: serde::ser::Serialize + zbus::DynamicType,
{
    let msg = Message::method_call(DRIVER_PATH, member)
        .destination(DRIVER)
        .interface(DRIVER)
        .build(body)
        .map_err(message::build_error)?;
    before_send(msg.primary_header().serial_num().get());
    let reply = conn.call_raw(&msg, conn.default_timeout()).await?;
    match reply.message_type() {
        MsgType::Error => Err(message::error_from_reply(&reply)),
        _ => Ok(reply),
    }
}

/// Subscribes to the signals `rule` matches; returns the subscription id (1, 2, ...).
pub fn subscribe(conn: &Connection, rule: MatchRule, opts: DecodeOptions) -> Result<u64> {
    conn.check_usable()?;
    let hub = conn.hub();
    let on_bus = conn.unique_name()?.is_some();
    let tracked = rule.tracked_sender().map(str::to_owned);
    let bus_rule = rule.to_bus_rule();
    // Register locally first, so no signal routed to us after AddMatch can be missed.
    let (id, first_tracker) = {
        let mut st = hub.lock();
        st.signals.next_id += 1;
        let id = st.signals.next_id;
        let mut first = false;
        if let Some(name) = &tracked {
            let t = st.signals.owners.entry(name.clone()).or_default();
            t.refs += 1;
            first = t.refs == 1;
        }
        st.signals.subs.push(Subscription { id, rule, opts });
        hub.listening.store(true, Ordering::Release);
        (id, first)
    };
    let result = conn.process().block_on(async {
        if !on_bus {
            return Ok(());
        }
        if let (Some(name), true) = (&tracked, first_tracker) {
            // Owner changes first, then the current owner: the reply to GetNameOwner is applied
            // in arrival order, before any later NameOwnerChanged.
            driver_call(conn, "AddMatch", &(owner_rule(name),), |_| {}).await?;
            let query = driver_call(conn, "GetNameOwner", &(name.as_str(),), |serial| {
                hub.lock().signals.queries.insert(serial, name.clone());
                hub.owner_queries.fetch_add(1, Ordering::AcqRel);
            })
            .await;
            match query {
                Ok(_) => {}
                Err(e) if e.name == "org.freedesktop.DBus.Error.NameHasNoOwner" => {}
                Err(e) => return Err(e),
            }
        }
        driver_call(conn, "AddMatch", &(bus_rule.as_str(),), |_| {}).await?;
        Ok(())
    });
    if let Err(e) = result {
        // A query whose reply never came (timeout, disconnect) is forgotten.
        if let Some(name) = &tracked {
            let mut st = hub.lock();
            let before = st.signals.queries.len();
            st.signals.queries.retain(|_, n| n != name);
            let removed = before - st.signals.queries.len();
            hub.owner_queries.fetch_sub(removed, Ordering::AcqRel);
        }
        let _ = unsubscribe_local(hub, id);
        return Err(e);
    }
    Ok(id)
}

/// Removes a subscription locally; returns its bus rule and, when it was the last one tracking
/// its sender, that sender's name.
fn unsubscribe_local(hub: &Hub, id: u64) -> Result<(String, Option<String>)> {
    let mut st = hub.lock();
    let pos = st
        .signals
        .subs
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| {
            Error::invalid_request(format!(
                "no subscription {id} on this connection (never made, or already removed)"
            ))
        })?;
    let sub = st.signals.subs.remove(pos);
    let mut untracked = None;
    if let Some(name) = sub.rule.tracked_sender()
        && let Some(t) = st.signals.owners.get_mut(name)
    {
        t.refs -= 1;
        if t.refs == 0 && !t.pinned {
            st.signals.owners.remove(name);
            untracked = Some(name.to_owned());
        }
    }
    if st.signals.subs.is_empty() && st.signals.owners.is_empty() {
        hub.listening.store(false, Ordering::Release);
    }
    st.forget_subscription(id);
    hub.sync_fd(&mut st);
    Ok((sub.rule.to_bus_rule(), untracked))
}

/// Removes a subscription: it stops matching at once, its queued signals that matched no other
/// subscription are discarded, and its rule is removed from the bus (bus errors are ignored,
/// so unsubscribing works on a lost connection too).
pub fn unsubscribe(conn: &Connection, id: u64) -> Result<()> {
    let (rule, untracked) = unsubscribe_local(conn.hub(), id)?;
    if conn.check_usable().is_err() || conn.unique_name().ok().flatten().is_none() {
        return Ok(());
    }
    conn.process().block_on(async {
        let _ = driver_call(conn, "RemoveMatch", &(rule.as_str(),), |_| {}).await;
        if let Some(name) = untracked {
            let _ = driver_call(conn, "RemoveMatch", &(owner_rule(&name),), |_| {}).await;
        }
    });
    Ok(())
}

/// The current owner of the well-known name `name` (None when nobody owns it), tracked for the
/// life of the connection: the first time, a match rule for the name's `NameOwnerChanged` is
/// added and `GetNameOwner` asked; from then on the dispatcher keeps the owner current, applying
/// the `GetNameOwner` reply and every later change in the order the bus sent them (so no change
/// is lost between the two, and none overtaken). A name with no owner is asked again. Beyond
/// [`MAX_PINNED`] names the bus is asked each time instead. One tracker serves subscriptions
/// (senders) and introspection (destinations). Must run inside the connection's runtime.
pub(crate) async fn current_owner(conn: &Connection, name: &str) -> Result<Option<String>> {
    enum Step {
        Known(String),
        Ask { add_match: bool },
        Untracked,
    }
    let hub = conn.hub();
    let step = {
        let mut st = hub.lock();
        let reg = &mut st.signals;
        let room = reg.pinned < MAX_PINNED;
        match reg.owners.get_mut(name) {
            Some(t) => {
                if !t.pinned {
                    // Tracked for a subscription already: its match rule is in place.
                    t.pinned = true;
                    reg.pinned += 1;
                }
                match &t.owner {
                    Some(owner) => Step::Known(owner.clone()),
                    None => Step::Ask { add_match: false },
                }
            }
            None if room => {
                reg.owners.insert(
                    name.to_owned(),
                    Tracked {
                        refs: 0,
                        pinned: true,
                        owner: None,
                    },
                );
                reg.pinned += 1;
                hub.listening.store(true, Ordering::Release);
                Step::Ask { add_match: true }
            }
            None => Step::Untracked,
        }
    };
    let body = (name,);
    let ask = |register: bool| {
        driver_call(conn, "GetNameOwner", &body, move |serial| {
            if register {
                hub.lock().signals.queries.insert(serial, name.to_owned());
                hub.owner_queries.fetch_add(1, Ordering::AcqRel);
            }
        })
    };
    match step {
        Step::Known(owner) => Ok(Some(owner)),
        Step::Untracked => match ask(false).await {
            Ok(reply) => Ok(reply.body().deserialize::<String>().ok()),
            Err(e) if e.name == "org.freedesktop.DBus.Error.NameHasNoOwner" => Ok(None),
            Err(e) => Err(e),
        },
        Step::Ask { add_match } => {
            let asked = async {
                if add_match {
                    driver_call(conn, "AddMatch", &(owner_rule(name),), |_| {}).await?;
                }
                match ask(true).await {
                    Ok(_) => Ok(()),
                    Err(e) if e.name == "org.freedesktop.DBus.Error.NameHasNoOwner" => Ok(()),
                    Err(e) => Err(e),
                }
            }
            .await;
            let mut st = hub.lock();
            if let Err(e) = asked {
                // Forget a query whose reply never came, and a pin whose rule is not in place.
                let before = st.signals.queries.len();
                st.signals.queries.retain(|_, n| n != name);
                let removed = before - st.signals.queries.len();
                hub.owner_queries.fetch_sub(removed, Ordering::AcqRel);
                if add_match && st.signals.owners.get(name).is_some_and(|t| t.refs == 0) {
                    st.signals.owners.remove(name);
                    st.signals.pinned -= 1;
                }
                return Err(e);
            }
            // The dispatcher applied the reply before the call returned.
            Ok(st.signals.owners.get(name).and_then(|t| t.owner.clone()))
        }
    }
}

/// A signal to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalRequest {
    pub destination: Option<String>,
    pub path: String,
    pub interface: String,
    pub member: String,
    pub signature: Option<String>,
    pub args: Vec<Value>,
    pub bytes_base64: bool,
}

impl SignalRequest {
    /// Parses `{"path","interface","member","destination"?,"signature"?,"args"?,"bytes"?}`.
    pub fn parse(text: &str) -> Result<SignalRequest> {
        let v = json::parse_json_strict(text)?;
        let Value::Object(mut map) = v else {
            return Err(Error::invalid_request(format!(
                "a signal must be a JSON object, not {}",
                json_kind(&v)
            )));
        };
        check_keys(
            &map,
            &[
                "destination",
                "path",
                "interface",
                "member",
                "signature",
                "args",
                "bytes",
            ],
            "a signal",
        )?;
        let need = |map: &Map<String, Value>, key: &str| -> Result<String> {
            crate::call::string_key(map, key)?
                .ok_or_else(|| Error::invalid_request(format!("a signal needs \"{key}\"")))
        };
        let args = match map.remove("args") {
            None => Vec::new(),
            Some(Value::Array(a)) => a,
            Some(other) => {
                return Err(Error::invalid_request(format!(
                    "\"args\" must be an array of arguments, not {}",
                    json_kind(&other)
                )));
            }
        };
        if map.contains_key("variants") {
            return Err(Error::invalid_request(
                "\"variants\" applies to output only",
            ));
        }
        let (_, bytes_base64) = parse_value_options(&map)?;
        Ok(SignalRequest {
            destination: crate::call::string_key(&map, "destination")?,
            path: need(&map, "path")?,
            interface: need(&map, "interface")?,
            member: need(&map, "member")?,
            signature: crate::call::string_key(&map, "signature")?,
            args,
            bytes_base64,
        })
    }
}

/// Builds the signal message of a request.
pub fn build_signal(req: &SignalRequest) -> Result<Message> {
    let types = match &req.signature {
        Some(s) => signature::parse_signature(s)?,
        None => json::infer_signature(&req.args)?,
    };
    if types.len() != req.args.len() {
        return Err(Error::type_mismatch(format!(
            "the signature \"{}\" takes {} argument(s), but {} were given",
            signature::signature_of(&types),
            types.len(),
            req.args.len()
        )));
    }
    let mut b = Message::signal(
        req.path.as_str(),
        req.interface.as_str(),
        req.member.as_str(),
    );
    if let Some(d) = &req.destination {
        b = b.destination(d.as_str());
    }
    message::build_with_body(
        b,
        &types,
        &req.args,
        EncodeOptions {
            bytes_base64: req.bytes_base64,
        },
    )
}

/// Emits a signal.
pub fn emit(conn: &Connection, req: &SignalRequest) -> Result<()> {
    conn.check_usable()?;
    let msg = build_signal(req)?;
    conn.process().block_on(conn.send(&msg))
}

// ---------------------------------------------------------------------------------------------
// C ABI

use std::ffi::c_char;

use crate::connection::skypebus_connection;
use crate::error::{skypebus_error, skypebus_result};
use crate::ffi::{self, ffi_boundary};

/// Subscribes to signals matching `match_json` and writes the new subscription's id (1 or more)
/// to `*id_out`.
///
/// `match_json` is an object whose keys are all optional: `sender` (a unique or well-known
/// name; a well-known name matches its *current* owner, tracked by the library), `path` or
/// `path_namespace`, `interface`, `member`, `destination`, `arg0`..`arg63` (string argument
/// equals), `arg0path`..`arg63path` (path-prefix match on a string or object path argument),
/// `arg0namespace` (string argument in a dotted namespace), and the output options `variants`
/// (`"typed"`) and `bytes` (`"base64"`). `{}` matches every signal. Unknown keys, malformed names
/// and paths are errors.
///
/// Matching signals are taken with `skypebus_next_event`. Needs a private connection
/// (`skypebus_connection_open_private`): on the shared handle of `skypebus_connection_open` it
/// gives `SKYPEBUS_INVALID_REQUEST`, since other users of that connection would take its events.
/// The subscription lasts until `skypebus_unsubscribe` or until the connection is freed. The
/// string is borrowed for the call; NULL `conn`, `match_json` or `id_out` gives
/// `SKYPEBUS_NULL_ARGUMENT`. The call waits for the bus to confirm the rule (a round trip or
/// three). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_subscribe(
    conn: *const skypebus_connection,
    match_json: *const c_char,
    id_out: *mut u64,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let text = crate::error::str_from_c(match_json, "match_json")?;
        ffi::non_null(id_out, "id_out")?;
        let (rule, opts) = MatchRule::parse(text)?;
        let id = subscribe(conn.private("subscribing to signals")?, rule, opts)?;
        ffi::write_out(id_out, id);
        Ok(())
    })
}

/// Ends subscription `id`: no further signal matches it, and queued signals that matched only
/// it are discarded. An unknown id (never returned, or already unsubscribed) gives
/// `SKYPEBUS_INVALID_REQUEST`, a NULL `conn` `SKYPEBUS_NULL_ARGUMENT`. Works on a lost connection
/// too. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_unsubscribe(
    conn: *const skypebus_connection,
    id: u64,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        unsubscribe(&conn.inner, id)
    })
}

/// Emits a signal described by `signal_json`: `{"path", "interface", "member"}` and optionally
/// `destination` (unicast to that name; otherwise broadcast), `signature` (otherwise inferred
/// from the values), `args` (array) and `bytes` (`"base64"`). Returns once the message is sent.
/// The string is borrowed for the call; NULL `conn` or `signal_json` gives
/// `SKYPEBUS_NULL_ARGUMENT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_emit(
    conn: *const skypebus_connection,
    signal_json: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let text = crate::error::str_from_c(signal_json, "signal_json")?;
        let req = SignalRequest::parse(text)?;
        emit(&conn.inner, &req)
    })
}
