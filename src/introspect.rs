//! Introspection: reading a peer's `org.freedesktop.DBus.Introspectable` XML, caching what it
//! says, and using it to type the arguments of calls that carry no signature.
//!
//! # Caches
//!
//! - Owners: a well-known name -> its current unique owner, from the connection's one owner
//!   tracker (`crate::driver::Owners`, shared with subscriptions to well-known senders).
//!   The first lookup of a name adds a match rule for its `NameOwnerChanged` signal and asks
//!   `GetNameOwner`; from then on the dispatcher keeps the owner current in the background (also
//!   while the caller is outside the library), so later calls cost no round trip and see a
//!   restarted peer.
//! - Interfaces: (unique owner, interface) -> the interface's definition. Every path of a peer that
//!   implements an interface shares one entry, so a thousand object paths of one interface cost
//!   one introspection when the call names the interface.
//! - Paths: (unique owner, path) -> the interfaces found there, needed only for calls that name no
//!   interface; failures (peer not introspectable, malformed XML) are remembered for
//!   [`FAILURE_TTL`] so a peer without introspection is not asked on every call.
//!
//! All three are bounded ([`MAX_ENTRIES`] each; interfaces and paths evict their oldest entries;
//! beyond its bound the owner tracker asks the bus each time instead). Unique names are never
//! reused on a bus, so an entry of an owner that left is merely dead weight until evicted.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zbus::Message;

use crate::connection::Connection;
use crate::driver::{DRIVER, Owners};
use crate::error::{Error, Kind, Result};
use crate::json::DecodeOptions;
use crate::schema;
use crate::signature::{self, Type};

/// How long a failed introspection is remembered.
pub const FAILURE_TTL: Duration = Duration::from_secs(5);
/// Bound of each cache.
pub const MAX_ENTRIES: usize = 1024;

pub use crate::schema::{Interface as InterfaceInfo, Method as MethodInfo, Node as NodeInfo};

/// Parses a peer's introspection XML.
pub fn parse_xml(xml: &str) -> Result<NodeInfo> {
    schema::parse(xml, schema::Mode::Peer)
}

/// A map that forgets its oldest entries beyond a bound.
struct Bounded<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    fn new() -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }
    fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k)
    }
    fn insert(&mut self, k: K, v: V) {
        if self.map.insert(k.clone(), v).is_none() {
            self.order.push_back(k);
            while self.order.len() > MAX_ENTRIES {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
    }
    fn len(&self) -> usize {
        self.map.len()
    }
}

type PathEntry = std::result::Result<Arc<NodeInfo>, (Instant, Error)>;

#[derive(Default)]
struct Inner {
    ifaces: Option<Bounded<(String, String), Arc<InterfaceInfo>>>,
    paths: Option<Bounded<(String, String), PathEntry>>,
}

impl Inner {
    fn ifaces(&mut self) -> &mut Bounded<(String, String), Arc<InterfaceInfo>> {
        self.ifaces.get_or_insert_with(Bounded::new)
    }
    fn paths(&mut self) -> &mut Bounded<(String, String), PathEntry> {
        self.paths.get_or_insert_with(Bounded::new)
    }
}

/// The per-connection introspection caches.
#[derive(Default)]
pub struct Cache {
    inner: Mutex<Inner>,
    /// Introspect calls made (for tests and statistics).
    introspections: std::sync::atomic::AtomicU64,
}

impl Cache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of Introspect calls this connection made.
    pub fn introspections(&self) -> u64 {
        self.introspections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Number of cached interface definitions.
    pub fn cached_interfaces(&self) -> usize {
        self.lock().ifaces.as_ref().map_or(0, Bounded::len)
    }

    fn node(&self, owner: &str, path: &str) -> Option<PathEntry> {
        let inner = self.lock();
        let entry = inner
            .paths
            .as_ref()?
            .get(&(owner.to_owned(), path.to_owned()))?;
        match entry {
            Err((when, _)) if when.elapsed() > FAILURE_TTL => None,
            other => Some(other.clone()),
        }
    }

    fn store_node(&self, owner: &str, path: &str, entry: PathEntry) {
        let mut inner = self.lock();
        if let Ok(node) = &entry {
            for i in &node.interfaces {
                inner
                    .ifaces()
                    .insert((owner.to_owned(), i.name.clone()), i.clone());
            }
        }
        inner
            .paths()
            .insert((owner.to_owned(), path.to_owned()), entry);
    }

    fn iface(&self, owner: &str, iface: &str) -> Option<Arc<InterfaceInfo>> {
        let inner = self.lock();
        inner
            .ifaces
            .as_ref()?
            .get(&(owner.to_owned(), iface.to_owned()))
            .cloned()
    }
}

/// What introspecting needs of a connection: the connection to ask, and the caches and owner
/// tracker its hub keeps (`crate::hub::lookup` gives it).
pub struct Lookup<'a> {
    pub conn: &'a Connection,
    pub cache: &'a Cache,
    pub owners: &'a Owners,
}

/// Where a library-internal call goes.
pub(crate) struct Target<'a> {
    pub destination: Option<&'a str>,
    pub path: &'a str,
    pub interface: &'a str,
    pub method: &'a str,
    /// Header flags beside no-reply (`crate::message::NO_AUTO_START`, ...).
    pub flags: u8,
}

/// A method call with its arguments already typed, for the library's own calls (built like user
/// calls, by `message::method_call`; the names must be valid); an error reply becomes an `Err`.
pub(crate) async fn call_typed(
    conn: &Connection,
    to: Target<'_>,
    types: &[Type],
    args: &[Value],
    timeout: Duration,
) -> Result<Message> {
    let header = crate::message::CallHeader {
        destination: to.destination,
        path: to.path,
        interface: Some(to.interface),
        member: to.method,
        no_reply: false,
        flags: to.flags,
    };
    let msg = crate::message::method_call(&header, types, args, Default::default())?;
    conn.call_checked(&msg, timeout).await
}

/// The first argument of a reply, as JSON.
pub(crate) fn first_arg(reply: &Message, opts: DecodeOptions) -> Result<Value> {
    let (_, v) = crate::message::body_value(reply, opts, crate::message::Fds::Index)?;
    match v {
        Value::Array(mut items) if !items.is_empty() => Ok(items.swap_remove(0)),
        _ => Err(Error::invalid_message("the reply has no arguments")),
    }
}

/// The unique owner of `destination`, as a cache key: the name itself for unique names and the
/// bus driver, `""` for a peer-to-peer connection without destination, otherwise the tracked
/// owner (None if the name has no owner now).
pub(crate) async fn resolve_owner(
    look: &Lookup<'_>,
    destination: Option<&str>,
    timeout: Duration,
) -> Result<Option<String>> {
    let Some(dest) = destination else {
        return Ok(Some(String::new()));
    };
    if dest.starts_with(':') || dest == DRIVER {
        return Ok(Some(dest.to_owned()));
    }
    // Let the dispatcher take in what is already on the socket (a NameOwnerChanged that arrived
    // just now) before the owner is read.
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    match tokio::time::timeout(timeout, look.owners.current_owner(look.conn, dest)).await {
        Ok(owner) => owner,
        Err(_) => Err(Error::new(
            Kind::Timeout,
            format!(
                "no owner of {dest} known within {} ms (local timeout)",
                timeout.as_millis()
            ),
        )),
    }
}

/// Introspects `path` of `destination` (cached per owner and path).
pub(crate) async fn node_info(
    look: &Lookup<'_>,
    destination: Option<&str>,
    owner: &str,
    path: &str,
    timeout: Duration,
    fresh: bool,
) -> Result<Arc<NodeInfo>> {
    let cache = look.cache;
    if !fresh && let Some(entry) = cache.node(owner, path) {
        return entry.map_err(|(_, e)| e);
    }
    cache
        .introspections
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let fetched = async {
        let reply = call_typed(
            look.conn,
            Target {
                destination,
                path,
                interface: "org.freedesktop.DBus.Introspectable",
                method: "Introspect",
                flags: 0,
            },
            &[],
            &[],
            timeout,
        )
        .await?;
        match first_arg(&reply, DecodeOptions::default())? {
            Value::String(xml) => parse_xml(&xml).map(Arc::new),
            _ => Err(Error::invalid_message("Introspect did not return a string")),
        }
    }
    .await;
    match fetched {
        Ok(node) => {
            cache.store_node(owner, path, Ok(node.clone()));
            Ok(node)
        }
        Err(e) if matches!(e.kind, Kind::Timeout | Kind::Disconnected) => Err(e),
        Err(e) => {
            cache.store_node(owner, path, Err((Instant::now(), e.clone())));
            Err(e)
        }
    }
}

/// The definition of `interface` at `path` of `destination`: from the cache when the owner's
/// interface is known, else by introspecting the path.
pub(crate) async fn interface_info(
    look: &Lookup<'_>,
    destination: Option<&str>,
    owner: &str,
    path: &str,
    interface: &str,
    timeout: Duration,
) -> Result<Option<Arc<InterfaceInfo>>> {
    if let Some(i) = look.cache.iface(owner, interface) {
        return Ok(Some(i));
    }
    let node = node_info(look, destination, owner, path, timeout, false).await?;
    Ok(node
        .interfaces
        .iter()
        .find(|i| i.name == interface)
        .cloned())
}

/// A method from introspection (its input and output types), with the interface that declares
/// it, or None when introspection cannot tell (the caller then infers). Errors only when the
/// data is there but ambiguous.
pub(crate) async fn method_info(
    look: &Lookup<'_>,
    destination: Option<&str>,
    path: &str,
    interface: Option<&str>,
    method: &str,
    timeout: Duration,
) -> Result<Option<(MethodInfo, String)>> {
    if destination.is_none() && look.conn.is_bus() {
        return Ok(None);
    }
    let owner = match resolve_owner(look, destination, timeout).await {
        Ok(Some(o)) => o,
        Ok(None) => return Ok(None),
        Err(e) if e.kind == Kind::Disconnected => return Err(e),
        Err(_) => return Ok(None),
    };
    match interface {
        Some(iface) => {
            match interface_info(look, destination, &owner, path, iface, timeout).await {
                Ok(Some(info)) => Ok(info.method(method).map(|m| (m.clone(), info.name.clone()))),
                Ok(None) => Ok(None),
                Err(e) if matches!(e.kind, Kind::Timeout | Kind::Disconnected) => Err(e),
                Err(_) => Ok(None),
            }
        }
        None => {
            let node = match node_info(look, destination, &owner, path, timeout, false).await {
                Ok(n) => n,
                Err(e) if matches!(e.kind, Kind::Timeout | Kind::Disconnected) => return Err(e),
                Err(_) => return Ok(None),
            };
            let found: Vec<(&str, &MethodInfo)> = node
                .interfaces
                .iter()
                .filter_map(|i| i.method(method).map(|m| (i.name.as_str(), m)))
                .collect();
            match found.as_slice() {
                [] => Ok(None),
                [(i, m)] => Ok(Some(((*m).clone(), (*i).to_owned()))),
                many => Err(Error::invalid_request(format!(
                    "method {method} at {path} is ambiguous: it exists in {}; name the interface",
                    many.iter()
                        .map(|(i, m)| format!("{i} ({})", signature::signature_of(&m.in_types)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        }
    }
}

/// A parsed introspection request: `{"destination", "path", "timeout_ms"}` (`destination` and
/// `timeout_ms` optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrospectRequest {
    pub destination: Option<String>,
    pub path: String,
    /// None: the connection's default.
    pub timeout: Option<Duration>,
}

impl IntrospectRequest {
    /// Parses a request from JSON text.
    pub fn parse(text: &str) -> Result<IntrospectRequest> {
        let map = crate::request::json_object(text, "an introspect request")?;
        crate::request::check_keys(
            &map,
            &["destination", "path", "timeout_ms"],
            "an introspect request",
        )?;
        let path = crate::request::string_key(&map, "path")?.ok_or_else(|| {
            Error::invalid_request("an introspect request needs \"path\" (a string)")
        })?;
        Ok(IntrospectRequest {
            destination: crate::request::string_key(&map, "destination")?,
            path,
            timeout: crate::request::parse_timeout(map.get("timeout_ms"))?,
        })
    }
}

/// Introspects a path and returns the documented JSON form (docs/introspection.md). Always asks
/// the peer (and refreshes the caches with the answer).
pub async fn introspect_json(
    look: &Lookup<'_>,
    destination: Option<&str>,
    path: &str,
    timeout: Duration,
) -> Result<String> {
    let conn = look.conn;
    conn.check_usable()?;
    if let Some(d) = destination {
        zbus::names::BusName::try_from(d)
            .map_err(|e| Error::invalid_name(format!("invalid destination \"{d}\": {e}")))?;
    }
    if !signature::is_valid_object_path(path) {
        return Err(Error::invalid_name(format!(
            "invalid object path \"{path}\""
        )));
    }
    {
        let owner = resolve_owner(look, destination, timeout)
            .await?
            .ok_or_else(|| {
                Error::dbus(
                    "org.freedesktop.DBus.Error.ServiceUnknown",
                    format!(
                        "The name {} is not owned by anyone",
                        destination.unwrap_or_default()
                    ),
                )
            })?;
        let node = node_info(look, destination, &owner, path, timeout, true).await?;
        let mut v = node.to_json(true);
        v["destination"] = json!(destination);
        v["path"] = json!(path);
        Ok(v.to_string())
    }
}
