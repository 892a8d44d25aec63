//! Serving: owning bus names, exporting objects described by introspection XML, and answering
//! the method calls they receive — pulled by the application as events (see [`crate::event`]).
//!
//! # Names
//!
//! `RequestName`/`ReleaseName` go to the bus driver directly and return its answer. The bus'
//! `NameAcquired`/`NameLost` signals for well-known names become `name_acquired`/`name_lost`
//! events.
//!
//! # Exported objects
//!
//! An object path is exported with introspection XML (`<node><interface>...</interface></node>`;
//! nested `<node>`s are ignored). Only what the XML declares is callable, and member names are
//! matched exactly (case-sensitively). The library answers by itself, in the background, even
//! while the application is busy:
//!
//! - `org.freedesktop.DBus.Introspectable.Introspect` on every exported path and on every parent
//!   of one (which lists its children as `<node name=".."/>`);
//! - `org.freedesktop.DBus.Peer.Ping` and `GetMachineId`;
//! - `org.freedesktop.DBus.Properties.Get` and `GetAll` (from the property store, below);
//! - standard errors: `UnknownObject` (path not exported), `UnknownInterface`,
//!   `UnknownMethod` (not declared, or wrong case), `InvalidArgs` (the body's signature is not
//!   the declared one), `UnknownProperty`, `PropertyReadOnly`, `AccessDenied` (reading a
//!   write-only property), `LimitsExceeded` (too many unanswered calls).
//!
//! Calls without an interface header are resolved to the first declared interface (in XML order)
//! that has the member, then to the standard interfaces.
//!
//! Every other call is queued as a `call` event with a handle; the application answers with
//! [`reply`] (arguments typed by the declared out signature) or [`reply_error`]. A handle lives
//! until it is answered, the connection closes, or `call_timeout_ms` passes (then the library
//! answers `org.freedesktop.DBus.Error.NoReply`). Calls sent with the no-reply flag still get a
//! handle (`"no_reply": true`), so every call is handled the same way; answering one sends
//! nothing.
//!
//! # Properties: a library-held store
//!
//! Property values live in the library, set by the application with [`set_property`] (or
//! initially in the export options). `Get`/`GetAll` are answered from the store without the
//! application, so they work while it is busy; a property without a value yet is left out of
//! `GetAll` and fails `Get` with `org.freedesktop.DBus.Error.Failed`. Declared access is honoured:
//! `read` properties cannot be set remotely (`PropertyReadOnly`), `write` properties cannot be
//! read (`AccessDenied`). A remote `Set` of a writable property is a `set_property` event: the
//! application accepts it with `skypebus_reply` (the value is stored) or refuses it with
//! `skypebus_reply_error`. Whenever a stored value changes, by either way, the library emits
//! `org.freedesktop.DBus.Properties.PropertiesChanged` as the property's
//! `org.freedesktop.DBus.Property.EmitsChangedSignal` annotation says (`true`, the default:
//! with the value; `invalidates`: name only; `const`/`false`: no signal).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::Instant;

use serde_json::{Map, Value, json};
use zbus::Message;
use zbus::names::{ErrorName, WellKnownName};

use crate::call::{check_keys, json_kind, parse_value_options};
use crate::connection::Connection;
use crate::error::{Error, Kind, Result};
use crate::event::{Hub, no_reply_expected, push_str_field};
use crate::json::{self, DecodeOptions, EncodeOptions};
use crate::message;
use crate::signal::driver_call;
use crate::signature::{self, Type};

const PEER: &str = "org.freedesktop.DBus.Peer";
const INTROSPECTABLE: &str = "org.freedesktop.DBus.Introspectable";
const PROPERTIES: &str = "org.freedesktop.DBus.Properties";
const EMITS_CHANGED: &str = "org.freedesktop.DBus.Property.EmitsChangedSignal";

const E_UNKNOWN_INTERFACE: &str = "org.freedesktop.DBus.Error.UnknownInterface";
const E_UNKNOWN_METHOD: &str = "org.freedesktop.DBus.Error.UnknownMethod";
const E_UNKNOWN_PROPERTY: &str = "org.freedesktop.DBus.Error.UnknownProperty";
const E_INVALID_ARGS: &str = "org.freedesktop.DBus.Error.InvalidArgs";
const E_READ_ONLY: &str = "org.freedesktop.DBus.Error.PropertyReadOnly";
const E_ACCESS_DENIED: &str = "org.freedesktop.DBus.Error.AccessDenied";
const E_FAILED: &str = "org.freedesktop.DBus.Error.Failed";
const E_LIMITS: &str = "org.freedesktop.DBus.Error.LimitsExceeded";
const E_NO_REPLY: &str = "org.freedesktop.DBus.Error.NoReply";
const E_NOT_SUPPORTED: &str = "org.freedesktop.DBus.Error.NotSupported";

// ---------------------------------------------------------------------------------------------
// Names

/// Flags of `RequestName` (combine with `|`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum skypebus_name_flag {
    /// Let another connection that asks with `SKYPEBUS_NAME_REPLACE_EXISTING` take the name.
    SKYPEBUS_NAME_ALLOW_REPLACEMENT = 1,
    /// Take the name from its owner if that owner allowed replacement.
    SKYPEBUS_NAME_REPLACE_EXISTING = 2,
    /// Do not wait in the queue when the name is owned: fail with `SKYPEBUS_NAME_EXISTS`.
    SKYPEBUS_NAME_DO_NOT_QUEUE = 4,
}

/// The bus' answers to `RequestName`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum skypebus_request_name_reply {
    /// We are now the primary owner.
    SKYPEBUS_NAME_PRIMARY_OWNER = 1,
    /// The name is owned; we wait in its queue (a `name_acquired` event follows if we get it).
    SKYPEBUS_NAME_IN_QUEUE = 2,
    /// The name is owned and we asked not to queue.
    SKYPEBUS_NAME_EXISTS = 3,
    /// We already own the name.
    SKYPEBUS_NAME_ALREADY_OWNER = 4,
}

/// The bus' answers to `ReleaseName`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum skypebus_release_name_reply {
    /// We owned or queued for the name and no longer do.
    SKYPEBUS_NAME_RELEASED = 1,
    /// Nobody owns the name.
    SKYPEBUS_NAME_NON_EXISTENT = 2,
    /// Someone else owns the name and we are not in its queue.
    SKYPEBUS_NAME_NOT_OWNER = 3,
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

/// Asks the bus for a well-known name; returns its answer (1 primary owner, 2 in queue,
/// 3 exists, 4 already owner).
pub fn request_name(conn: &Connection, name: &str, flags: u32) -> Result<u32> {
    check_well_known(name)?;
    if flags & !7 != 0 {
        return Err(Error::invalid_request(format!(
            "unknown name flags {flags:#x} (allowed: 1 allow replacement, 2 replace existing, 4 do not queue)"
        )));
    }
    bus_only(conn)?;
    let reply =
        conn.process()
            .block_on(driver_call(conn, "RequestName", &(name, flags), |_| {}))?;
    reply
        .body()
        .deserialize::<u32>()
        .map_err(|e| Error::invalid_message(format!("RequestName reply: {e}")))
}

/// Gives a well-known name back to the bus (through the bus driver directly); returns its answer
/// (1 released, 2 non-existent, 3 not owner).
pub fn release_name(conn: &Connection, name: &str) -> Result<u32> {
    check_well_known(name)?;
    bus_only(conn)?;
    let reply = conn
        .process()
        .block_on(driver_call(conn, "ReleaseName", &(name,), |_| {}))?;
    reply
        .body()
        .deserialize::<u32>()
        .map_err(|e| Error::invalid_message(format!("ReleaseName reply: {e}")))
}

// ---------------------------------------------------------------------------------------------
// The object model

#[derive(Debug, Clone)]
struct ArgDecl {
    name: Option<String>,
    sig: String,
    out: bool,
}

#[derive(Debug, Clone)]
struct Method {
    name: String,
    args: Vec<ArgDecl>,
    in_sig: String,
    out_types: Vec<Type>,
    annotations: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct SignalDecl {
    name: String,
    args: Vec<ArgDecl>,
    annotations: Vec<(String, String)>,
}

/// How a property announces changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Emits {
    True,
    Invalidates,
    Const,
    False,
}

#[derive(Debug, Clone)]
struct Property {
    name: String,
    sig: String,
    ty: Type,
    read: bool,
    write: bool,
    emits: Emits,
    annotations: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct Interface {
    name: String,
    methods: Vec<Method>,
    signals: Vec<SignalDecl>,
    properties: Vec<Property>,
    annotations: Vec<(String, String)>,
}

impl Interface {
    fn method(&self, name: &str) -> Option<&Method> {
        self.methods.iter().find(|m| m.name == name)
    }
    fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }
}

/// Per-export value options.
#[derive(Debug, Clone, Copy, Default)]
struct ExportOptions {
    decode: DecodeOptions,
    bytes_base64: bool,
}

/// Stored property values: (interface, property) -> canonical value.
type Values = HashMap<(String, String), Value>;

/// An exported object.
#[derive(Debug)]
struct Object {
    interfaces: Vec<Interface>,
    opts: ExportOptions,
    /// (interface, property) -> canonical value (typed variants, bytes as arrays).
    values: Values,
}

impl Object {
    fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == name)
    }
}

fn annotations(list: &[zbus_xml::Annotation<'_>]) -> Vec<(String, String)> {
    list.iter()
        .map(|a| (a.name().to_owned(), a.value().to_owned()))
        .collect()
}

fn arg_decls(args: &[zbus_xml::Arg<'_>], default_out: bool) -> Result<Vec<ArgDecl>> {
    args.iter()
        .map(|a| {
            let sig = a.ty().to_string();
            signature::parse_single(&sig)?;
            Ok(ArgDecl {
                name: a.name().map(str::to_owned),
                sig,
                out: match a.direction() {
                    Some(zbus_xml::ArgDirection::In) => false,
                    Some(zbus_xml::ArgDirection::Out) => true,
                    None => default_out,
                },
            })
        })
        .collect()
}

fn emits_of(list: &[(String, String)], inherited: Emits) -> Result<Emits> {
    match list.iter().find(|(n, _)| n == EMITS_CHANGED) {
        None => Ok(inherited),
        Some((_, v)) => match v.as_str() {
            "true" => Ok(Emits::True),
            "invalidates" => Ok(Emits::Invalidates),
            "const" => Ok(Emits::Const),
            "false" => Ok(Emits::False),
            other => Err(Error::invalid_request(format!(
                "{EMITS_CHANGED} must be true, invalidates, const or false, not {other:?}"
            ))),
        },
    }
}

/// Parses introspection XML into the interfaces to export (standard interfaces are skipped:
/// the library implements them).
fn parse_interfaces(xml: &str) -> Result<Vec<Interface>> {
    let node = zbus_xml::Node::from_reader(xml.as_bytes())
        .map_err(|e| Error::invalid_request(format!("invalid introspection XML: {e}")))?;
    let mut out: Vec<Interface> = Vec::new();
    for iface in node.interfaces() {
        let name = iface.name().to_string();
        if [PEER, INTROSPECTABLE, PROPERTIES].contains(&name.as_str()) {
            continue;
        }
        if out.iter().any(|i| i.name == name) {
            return Err(Error::invalid_request(format!(
                "interface {name} is declared twice"
            )));
        }
        let iface_ann = annotations(&iface.annotations().cloned().collect::<Vec<_>>());
        let iface_emits = emits_of(&iface_ann, Emits::True)?;
        let mut methods: Vec<Method> = Vec::new();
        for m in iface.methods() {
            let args = arg_decls(m.args(), false)
                .map_err(|e| e.context(format!("method {name}.{}", m.name())))?;
            let in_sig: String = args
                .iter()
                .filter(|a| !a.out)
                .map(|a| a.sig.as_str())
                .collect();
            let out_sig: String = args
                .iter()
                .filter(|a| a.out)
                .map(|a| a.sig.as_str())
                .collect();
            let out_types = signature::parse_signature(&out_sig)?;
            signature::parse_signature(&in_sig)?;
            let mname = m.name().to_string();
            if methods.iter().any(|x| x.name == mname) {
                return Err(Error::invalid_request(format!(
                    "method {name}.{mname} is declared twice"
                )));
            }
            methods.push(Method {
                name: mname,
                args,
                in_sig,
                out_types,
                annotations: annotations(m.annotations()),
            });
        }
        let mut signals = Vec::new();
        for s in iface.signals() {
            signals.push(SignalDecl {
                name: s.name().to_string(),
                args: arg_decls(s.args(), true)
                    .map_err(|e| e.context(format!("signal {name}.{}", s.name())))?,
                annotations: annotations(s.annotations()),
            });
        }
        let mut properties: Vec<Property> = Vec::new();
        for p in iface.properties() {
            let pname = p.name().to_string();
            let sig = p.ty().to_string();
            let ty = signature::parse_single(&sig)
                .map_err(|e| e.context(format!("property {name}.{pname}")))?;
            let ann = annotations(p.annotations());
            if properties.iter().any(|x| x.name == pname) {
                return Err(Error::invalid_request(format!(
                    "property {name}.{pname} is declared twice"
                )));
            }
            properties.push(Property {
                emits: emits_of(&ann, iface_emits)?,
                name: pname,
                sig,
                ty,
                read: p.access().read(),
                write: p.access().write(),
                annotations: ann,
            });
        }
        out.push(Interface {
            name,
            methods,
            signals,
            properties,
            annotations: iface_ann,
        });
    }
    Ok(out)
}

/// The canonical stored form of a property value: encoded for `ty` (so it is known to fit),
/// then decoded with typed variants and byte arrays, which encodes back unchanged.
fn canonical(ty: &Type, value: &Value, bytes_base64: bool) -> Result<Value> {
    let types = std::slice::from_ref(ty);
    let body = json::encode_body(
        types,
        std::slice::from_ref(value),
        EncodeOptions { bytes_base64 },
    )
    .map_err(|e| e.context("property value"))?;
    let decoded = json::decode_body(
        &ty.signature(),
        &body,
        false,
        DecodeOptions {
            typed_variants: true,
            bytes_base64: false,
            arrays_base64: false,
        },
    )?;
    match decoded {
        Value::Array(mut a) if a.len() == 1 => Ok(a.remove(0)),
        _ => Err(Error::invalid_message("internal error: canonical value")),
    }
}

// ---------------------------------------------------------------------------------------------
// Pending calls

/// What a call handle answers.
#[derive(Debug, Clone)]
pub(crate) enum CallWhat {
    Method {
        member: String,
        sig: String,
        out: Vec<Type>,
    },
    SetProperty {
        name: String,
        sig: String,
        emits: Emits,
    },
}

/// A call waiting for the application's answer.
pub(crate) struct PendingCall {
    msg: Message,
    interface: String,
    what: CallWhat,
    opts: ExportOptions,
    deadline: Instant,
    pub(crate) pulled: bool,
    no_reply: bool,
}

/// What the pulling thread needs to render a call event.
pub(crate) struct CallSnapshot {
    msg: Message,
    interface: String,
    what: CallWhat,
    opts: DecodeOptions,
    no_reply: bool,
}

impl PendingCall {
    pub(crate) fn snapshot(&self) -> CallSnapshot {
        CallSnapshot {
            msg: self.msg.clone(),
            interface: self.interface.clone(),
            what: self.what.clone(),
            opts: self.opts.decode,
            no_reply: self.no_reply,
        }
    }
}

/// Exports and call handles of one connection (inside the hub's state).
#[derive(Default)]
pub(crate) struct Registry {
    objects: BTreeMap<String, Object>,
    pub(crate) calls: HashMap<u64, PendingCall>,
    next_call: u64,
}

impl Registry {
    pub(crate) fn export_count(&self) -> usize {
        self.objects.len()
    }

    /// The names of the direct children of `path` in the exported tree.
    fn children(&self, path: &str) -> Vec<String> {
        let prefix = if path == "/" {
            "/".to_owned()
        } else {
            format!("{path}/")
        };
        let mut out: Vec<String> = Vec::new();
        for p in self.objects.range(prefix.clone()..).map(|(p, _)| p) {
            let Some(rest) = p.strip_prefix(prefix.as_str()) else {
                break;
            };
            let Some(seg) = rest.split('/').next().filter(|s| !s.is_empty()) else {
                continue;
            };
            if out.last().map(String::as_str) != Some(seg) {
                out.push(seg.to_owned());
            }
        }
        out
    }
}

/// Renders a pulled call as event JSON.
pub(crate) fn render_call(id: u64, snap: &CallSnapshot) -> Result<String> {
    let header = snap.msg.header();
    let mut out = String::with_capacity(snap.msg.data().bytes().len() + 200);
    let kind = match snap.what {
        CallWhat::Method { .. } => "call",
        CallWhat::SetProperty { .. } => "set_property",
    };
    let _ = write!(out, "{{\"kind\":\"{kind}\",\"call\":{id},");
    push_str_field(&mut out, "sender", header.sender().map(|s| s.as_str()));
    push_str_field(&mut out, "path", header.path().map(|s| s.as_str()));
    push_str_field(&mut out, "interface", Some(&snap.interface));
    match &snap.what {
        CallWhat::Method { member, sig, .. } => {
            push_str_field(&mut out, "member", Some(member));
            push_str_field(&mut out, "type", Some(sig));
            out.push_str("\"data\":");
            message::body_json_into(&snap.msg, snap.opts, &mut out)?;
        }
        CallWhat::SetProperty { name, sig, .. } => {
            push_str_field(&mut out, "name", Some(name));
            push_str_field(&mut out, "type", Some(sig));
            let (_, v) = message::body_value(&snap.msg, snap.opts)?;
            let value = match v {
                Value::Array(mut a) if a.len() == 3 => {
                    let v = a.remove(2);
                    if snap.opts.typed_variants {
                        v.get("data").cloned().unwrap_or(Value::Null)
                    } else {
                        v
                    }
                }
                _ => return Err(Error::invalid_message("a Set call without 3 arguments")),
            };
            out.push_str("\"data\":");
            out.push_str(&value.to_string());
        }
    }
    let _ = write!(out, ",\"no_reply\":{}}}", snap.no_reply);
    Ok(out)
}

/// A pulled call whose body could not be decoded: the library answers it with an error and
/// releases the handle.
pub(crate) fn fail_undecodable(conn: &Connection, id: u64, snap: &CallSnapshot, e: &Error) {
    let hub = conn.hub();
    {
        let mut st = hub.lock();
        if st.serve.calls.remove(&id).is_none() {
            return;
        }
        hub.pending_calls.fetch_sub(1, Ordering::AcqRel);
    }
    if snap.no_reply {
        return;
    }
    let name = if e.kind == Kind::NotSupported {
        E_NOT_SUPPORTED
    } else {
        E_INVALID_ARGS
    };
    if let Ok(reply) = error_reply(&snap.msg, name, &e.message) {
        let _ = conn.process().block_on(conn.send(&reply));
    }
}

/// Releases handles older than the call timeout, answering their callers `NoReply`.
pub(crate) async fn expire_calls(hub: &Hub, conn: &zbus::Connection) {
    let now = Instant::now();
    let expired: Vec<PendingCall> = {
        let mut st = hub.lock();
        let ids: Vec<u64> = st
            .serve
            .calls
            .iter()
            .filter(|(_, c)| c.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        if ids.is_empty() {
            return;
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(c) = st.serve.calls.remove(&id) {
                out.push(c);
            }
        }
        st.stats.expired_calls += out.len() as u64;
        hub.pending_calls.fetch_sub(out.len(), Ordering::AcqRel);
        st.forget_calls();
        hub.sync_fd(&mut st);
        out
    };
    for c in expired {
        if c.no_reply {
            continue;
        }
        let text = format!(
            "the service did not answer {}.{} within its call timeout",
            c.interface,
            match &c.what {
                CallWhat::Method { member, .. } => member.as_str(),
                CallWhat::SetProperty { .. } => "Set",
            }
        );
        if let Ok(reply) = error_reply(&c.msg, E_NO_REPLY, &text) {
            let _ = conn.send(&reply).await;
        }
    }
}

fn error_reply(call: &Message, name: &str, text: &str) -> Result<Message> {
    Message::error(&call.header(), name)
        .build(&(text,))
        .map_err(message::build_error)
}

// ---------------------------------------------------------------------------------------------
// The dispatcher hook

/// What the dispatcher does with a call.
enum Action {
    /// Not ours: the connection's default handling answers it.
    NotMine,
    /// Handled; send this reply (unless the caller asked for none).
    Reply(Result<Message>),
    /// Handled, nothing to send (queued for the application, or dropped).
    Done,
}

/// Dispatcher hook for every incoming method call. Returns false when the call is not for an
/// exported object (or a parent of one), so the default handling answers it. Never waits for
/// the application.
pub(crate) async fn on_call(hub: &Hub, conn: &zbus::Connection, msg: &Message) -> bool {
    if !hub.exporting.load(Ordering::Acquire) {
        return false;
    }
    match decide(hub, msg) {
        Action::NotMine => false,
        Action::Done => true,
        Action::Reply(reply) => {
            if no_reply_expected(msg) {
                return true;
            }
            let reply = reply.or_else(|e| error_reply(msg, E_FAILED, &e.to_string()));
            if let Ok(reply) = reply {
                let _ = conn.send(&reply).await;
            }
            true
        }
    }
}

fn decide(hub: &Hub, msg: &Message) -> Action {
    let header = msg.header();
    let (Some(path), Some(member)) = (header.path(), header.member()) else {
        return Action::NotMine;
    };
    let path = path.as_str();
    let member = member.as_str();
    let iface = header.interface().map(|i| i.as_str());
    let mut st = hub.lock();
    let children = st.serve.children(path);
    let exported = st.serve.objects.contains_key(path);
    if !exported && children.is_empty() {
        return Action::NotMine;
    }
    let sig = match message::body_signature(msg) {
        Ok(s) => s,
        Err(e) => return Action::Reply(error_reply(msg, E_INVALID_ARGS, &e.message)),
    };
    let err = |name: &str, text: String| Action::Reply(error_reply(msg, name, &text));
    let bad_args = |want: &str| {
        err(
            E_INVALID_ARGS,
            format!("Invalid arguments for {member}: expected signature '{want}', got '{sig}'"),
        )
    };
    let no_method = |i: &str| {
        err(
            E_UNKNOWN_METHOD,
            format!(
                "No such method '{member}' in interface '{i}' at object path '{path}' (signature '{sig}')"
            ),
        )
    };
    // Declared interfaces first (also for calls without an interface).
    if exported {
        let obj = &st.serve.objects[path];
        let found = match iface {
            Some(i) if [PEER, INTROSPECTABLE, PROPERTIES].contains(&i) => None,
            Some(i) => match obj.interface(i) {
                None => {
                    return err(
                        E_UNKNOWN_INTERFACE,
                        format!("No such interface '{i}' at object path '{path}'"),
                    );
                }
                Some(decl) => match decl.method(member) {
                    None => return no_method(i),
                    Some(m) => Some((decl, m)),
                },
            },
            None => obj
                .interfaces
                .iter()
                .find_map(|d| d.method(member).map(|m| (d, m))),
        };
        if let Some((decl, m)) = found {
            if m.in_sig != sig {
                return bad_args(&m.in_sig);
            }
            let what = CallWhat::Method {
                member: m.name.clone(),
                sig: m.in_sig.clone(),
                out: m.out_types.clone(),
            };
            let iface_name = decl.name.clone();
            let opts = obj.opts;
            return queue_call(hub, &mut st, msg, iface_name, what, opts);
        }
    }
    let standard =
        |i: &str, names: &[&str]| iface == Some(i) || (iface.is_none() && names.contains(&member));
    if standard(PEER, &["Ping", "GetMachineId"]) {
        return match member {
            "Ping" if sig.is_empty() => Action::Reply(
                Message::method_return(&header)
                    .build(&())
                    .map_err(message::build_error),
            ),
            "GetMachineId" if sig.is_empty() => Action::Reply(match machine_id() {
                Some(id) => Message::method_return(&header)
                    .build(&(id,))
                    .map_err(message::build_error),
                None => error_reply(msg, E_FAILED, "no machine id is available"),
            }),
            "Ping" | "GetMachineId" => bad_args(""),
            _ => no_method(PEER),
        };
    }
    if standard(INTROSPECTABLE, &["Introspect"]) {
        return match member {
            "Introspect" if sig.is_empty() => {
                let xml = introspect_xml(st.serve.objects.get(path), &children);
                Action::Reply(
                    Message::method_return(&header)
                        .build(&(xml,))
                        .map_err(message::build_error),
                )
            }
            "Introspect" => bad_args(""),
            _ => no_method(INTROSPECTABLE),
        };
    }
    if exported && standard(PROPERTIES, &["Get", "GetAll", "Set"]) {
        return properties_call(hub, &mut st, msg, path, member, &sig);
    }
    match iface {
        Some(i) if exported || i == PROPERTIES => err(
            E_UNKNOWN_INTERFACE,
            format!("No such interface '{i}' at object path '{path}'"),
        ),
        Some(i) => err(
            E_UNKNOWN_INTERFACE,
            format!("No such interface '{i}' at object path '{path}' (it only has children)"),
        ),
        None => err(
            E_UNKNOWN_METHOD,
            format!("No such method '{member}' at object path '{path}' (signature '{sig}')"),
        ),
    }
}

fn queue_call(
    hub: &Hub,
    st: &mut crate::event::State,
    msg: &Message,
    interface: String,
    what: CallWhat,
    opts: ExportOptions,
) -> Action {
    let no_reply = no_reply_expected(msg);
    if st.serve.calls.len() >= st.limits.max_pending_calls {
        st.stats.refused_calls += 1;
        if no_reply {
            return Action::Done;
        }
        return Action::Reply(error_reply(
            msg,
            E_LIMITS,
            &format!(
                "the service has {} unanswered calls; try again later",
                st.serve.calls.len()
            ),
        ));
    }
    st.serve.next_call += 1;
    let id = st.serve.next_call;
    st.serve.calls.insert(
        id,
        PendingCall {
            msg: msg.clone(),
            interface,
            what,
            opts,
            deadline: Instant::now() + st.limits.call_timeout,
            pulled: false,
            no_reply,
        },
    );
    hub.pending_calls.fetch_add(1, Ordering::AcqRel);
    st.push_call(id);
    hub.wake(st);
    Action::Done
}

fn properties_call(
    hub: &Hub,
    st: &mut crate::event::State,
    msg: &Message,
    path: &str,
    member: &str,
    sig: &str,
) -> Action {
    let header = msg.header();
    let err = |name: &str, text: String| Action::Reply(error_reply(msg, name, &text));
    let want = match member {
        "Get" => "ss",
        "GetAll" => "s",
        "Set" => "ssv",
        _ => {
            return err(
                E_UNKNOWN_METHOD,
                format!(
                    "No such method '{member}' in interface '{PROPERTIES}' (signature '{sig}')"
                ),
            );
        }
    };
    if sig != want {
        return err(
            E_INVALID_ARGS,
            format!("Invalid arguments for {member}: expected signature '{want}', got '{sig}'"),
        );
    }
    let args = match message::body_value(
        msg,
        DecodeOptions {
            typed_variants: true,
            bytes_base64: false,
            arrays_base64: false,
        },
    ) {
        Ok((_, Value::Array(a))) => a,
        Ok(_) => Vec::new(),
        Err(e) => return err(E_INVALID_ARGS, e.message),
    };
    let text = |i: usize| args.get(i).and_then(Value::as_str).unwrap_or("");
    let obj = &st.serve.objects[path];
    let iface_name = text(0);
    // An empty interface name means "any interface" (Get, Set) or "all of them" (GetAll).
    let ifaces: Vec<&Interface> = if iface_name.is_empty() {
        obj.interfaces.iter().collect()
    } else {
        match obj.interface(iface_name) {
            Some(i) => vec![i],
            None => {
                return err(
                    E_UNKNOWN_INTERFACE,
                    format!("No such interface '{iface_name}' at object path '{path}'"),
                );
            }
        }
    };
    if member == "GetAll" {
        let mut all = Map::new();
        for i in &ifaces {
            for p in i.properties.iter().filter(|p| p.read) {
                if let Some(v) = obj.values.get(&(i.name.clone(), p.name.clone())) {
                    all.insert(p.name.clone(), json!({"type": p.sig, "data": v}));
                }
            }
        }
        let t = Type::Dict(Box::new(Type::String), Box::new(Type::Variant));
        return Action::Reply(message::build_with_body(
            Message::method_return(&header),
            &[t],
            &[Value::Object(all)],
            EncodeOptions::default(),
        ));
    }
    let pname = text(1);
    let Some((decl, prop)) = ifaces
        .iter()
        .find_map(|i| i.property(pname).map(|p| (*i, p)))
    else {
        return err(
            E_UNKNOWN_PROPERTY,
            format!(
                "No such property '{pname}' in interface '{iface_name}' at object path '{path}'"
            ),
        );
    };
    if member == "Get" {
        if !prop.read {
            return err(
                E_ACCESS_DENIED,
                format!("Property '{}.{pname}' is write-only", decl.name),
            );
        }
        return match obj.values.get(&(decl.name.clone(), prop.name.clone())) {
            None => err(
                E_FAILED,
                format!("Property '{}.{pname}' has no value yet", decl.name),
            ),
            Some(v) => Action::Reply(message::build_with_body(
                Message::method_return(&header),
                &[Type::Variant],
                &[json!({"type": prop.sig, "data": v})],
                EncodeOptions::default(),
            )),
        };
    }
    // Set
    if !prop.write {
        return err(
            E_READ_ONLY,
            format!("Property '{}.{pname}' is read-only", decl.name),
        );
    }
    let got = args
        .get(2)
        .and_then(|v| v.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if got != prop.sig {
        return err(
            E_INVALID_ARGS,
            format!(
                "Property '{}.{pname}' has type '{}', not '{got}'",
                decl.name, prop.sig
            ),
        );
    }
    let what = CallWhat::SetProperty {
        name: prop.name.clone(),
        sig: prop.sig.clone(),
        emits: prop.emits,
    };
    let iface = decl.name.clone();
    let opts = obj.opts;
    queue_call(hub, st, msg, iface, what, opts)
}

fn machine_id() -> Option<String> {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| s.len() == 32)
}

// ---------------------------------------------------------------------------------------------
// Introspection XML

const STANDARD_XML: &str = r#"  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg type="s" name="machine_uuid" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg type="s" name="xml_data" direction="out"/>
    </method>
  </interface>
"#;

const PROPERTIES_XML: &str = r#"  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="out"/>
    </method>
    <method name="GetAll">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="a{sv}" name="properties" direction="out"/>
    </method>
    <method name="Set">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg type="s" name="interface_name"/>
      <arg type="a{sv}" name="changed_properties"/>
      <arg type="as" name="invalidated_properties"/>
    </signal>
  </interface>
"#;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn write_annotations(out: &mut String, list: &[(String, String)], indent: &str) {
    for (n, v) in list {
        let _ = writeln!(
            out,
            "{indent}<annotation name=\"{}\" value=\"{}\"/>",
            esc(n),
            esc(v)
        );
    }
}

fn write_member(
    out: &mut String,
    tag: &str,
    name: &str,
    args: &[ArgDecl],
    ann: &[(String, String)],
    with_direction: bool,
) {
    if args.is_empty() && ann.is_empty() {
        let _ = writeln!(out, "    <{tag} name=\"{}\"/>", esc(name));
        return;
    }
    let _ = writeln!(out, "    <{tag} name=\"{}\">", esc(name));
    for a in args {
        let _ = write!(out, "      <arg type=\"{}\"", esc(&a.sig));
        if let Some(n) = &a.name {
            let _ = write!(out, " name=\"{}\"", esc(n));
        }
        if with_direction {
            let _ = write!(out, " direction=\"{}\"", if a.out { "out" } else { "in" });
        }
        out.push_str("/>\n");
    }
    write_annotations(out, ann, "      ");
    let _ = writeln!(out, "    </{tag}>");
}

/// The introspection document of an exported object (or of a parent node, `obj` None).
fn introspect_xml(obj: Option<&Object>, children: &[String]) -> String {
    let mut out = String::from(
        "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n \
         \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n<node>\n",
    );
    out.push_str(STANDARD_XML);
    if let Some(obj) = obj {
        out.push_str(PROPERTIES_XML);
        for i in &obj.interfaces {
            let _ = writeln!(out, "  <interface name=\"{}\">", esc(&i.name));
            for m in &i.methods {
                write_member(&mut out, "method", &m.name, &m.args, &m.annotations, true);
            }
            for s in &i.signals {
                write_member(&mut out, "signal", &s.name, &s.args, &s.annotations, false);
            }
            for p in &i.properties {
                let access = match (p.read, p.write) {
                    (true, true) => "readwrite",
                    (false, true) => "write",
                    _ => "read",
                };
                if p.annotations.is_empty() {
                    let _ = writeln!(
                        out,
                        "    <property name=\"{}\" type=\"{}\" access=\"{access}\"/>",
                        esc(&p.name),
                        esc(&p.sig)
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "    <property name=\"{}\" type=\"{}\" access=\"{access}\">",
                        esc(&p.name),
                        esc(&p.sig)
                    );
                    write_annotations(&mut out, &p.annotations, "      ");
                    out.push_str("    </property>\n");
                }
            }
            write_annotations(&mut out, &i.annotations, "    ");
            out.push_str("  </interface>\n");
        }
    }
    for c in children {
        let _ = writeln!(out, "  <node name=\"{}\"/>", esc(c));
    }
    out.push_str("</node>\n");
    out
}

// ---------------------------------------------------------------------------------------------
// Exporting, answering, properties (Rust API)

fn parse_export_options(
    text: Option<&str>,
    interfaces: &[Interface],
) -> Result<(ExportOptions, Values)> {
    let mut values = HashMap::new();
    let Some(text) = text else {
        return Ok((ExportOptions::default(), values));
    };
    let v = json::parse_json_strict(text)?;
    let Value::Object(map) = v else {
        return Err(Error::invalid_request(format!(
            "export options must be a JSON object, not {}",
            json_kind(&v)
        )));
    };
    check_keys(&map, &["variants", "bytes", "properties"], "export options")?;
    let (typed_variants, bytes_base64) = parse_value_options(&map)?;
    let opts = ExportOptions {
        decode: DecodeOptions {
            typed_variants,
            bytes_base64,
            arrays_base64: false,
        },
        bytes_base64,
    };
    match map.get("properties") {
        None => {}
        Some(Value::Object(by_iface)) => {
            for (iname, props) in by_iface {
                let decl = interfaces
                    .iter()
                    .find(|i| &i.name == iname)
                    .ok_or_else(|| {
                        Error::invalid_request(format!(
                            "\"properties\" names interface {iname}, which the XML does not declare"
                        ))
                    })?;
                let Value::Object(props) = props else {
                    return Err(Error::invalid_request(format!(
                        "\"properties\".{iname} must be an object of property values"
                    )));
                };
                for (pname, value) in props {
                    let p = decl.property(pname).ok_or_else(|| {
                        Error::invalid_request(format!(
                            "\"properties\" names {iname}.{pname}, which the XML does not declare"
                        ))
                    })?;
                    let c = canonical(&p.ty, value, bytes_base64)
                        .map_err(|e| e.context(format!("{iname}.{pname}")))?;
                    values.insert((iname.clone(), pname.clone()), c);
                }
            }
        }
        Some(other) => {
            return Err(Error::invalid_request(format!(
                "\"properties\" must be an object, not {}",
                json_kind(other)
            )));
        }
    }
    Ok((opts, values))
}

/// Exports an object at `path` with the interfaces `xml` declares.
pub fn export(conn: &Connection, path: &str, xml: &str, options: Option<&str>) -> Result<()> {
    conn.check_usable()?;
    if !signature::is_valid_object_path(path) {
        return Err(Error::invalid_name(format!(
            "{path:?} is not a valid object path"
        )));
    }
    let interfaces = parse_interfaces(xml)?;
    let (opts, values) = parse_export_options(options, &interfaces)?;
    let hub = conn.hub();
    let mut st = hub.lock();
    if st.serve.objects.contains_key(path) {
        return Err(Error::invalid_request(format!(
            "{path} is already exported on this connection; unexport it first"
        )));
    }
    st.serve.objects.insert(
        path.to_owned(),
        Object {
            interfaces,
            opts,
            values,
        },
    );
    hub.exporting.store(true, Ordering::Release);
    Ok(())
}

/// Stops exporting `path`. Handles of calls already received stay answerable.
pub fn unexport(conn: &Connection, path: &str) -> Result<()> {
    let hub = conn.hub();
    let mut st = hub.lock();
    if st.serve.objects.remove(path).is_none() {
        return Err(Error::invalid_request(format!(
            "{path} is not exported on this connection"
        )));
    }
    if st.serve.objects.is_empty() {
        hub.exporting.store(false, Ordering::Release);
    }
    Ok(())
}

/// The `PropertiesChanged` signal for one property, or None when it announces nothing.
fn properties_changed(
    path: &str,
    iface: &str,
    name: &str,
    sig: &str,
    emits: Emits,
    value: &Value,
) -> Result<Option<Message>> {
    let (changed, invalidated) = match emits {
        Emits::True => (json!({ name: {"type": sig, "data": value} }), json!([])),
        Emits::Invalidates => (json!({}), json!([name])),
        Emits::Const | Emits::False => return Ok(None),
    };
    let types = signature::parse_signature("sa{sv}as")?;
    message::build_with_body(
        Message::signal(path, PROPERTIES, "PropertiesChanged"),
        &types,
        &[json!(iface), changed, invalidated],
        EncodeOptions::default(),
    )
    .map(Some)
}

/// Stores a property value (typed by its declared type) and emits `PropertiesChanged` when it
/// changed.
pub fn set_property(
    conn: &Connection,
    path: &str,
    iface: &str,
    name: &str,
    value: &Value,
    bytes_base64: Option<bool>,
) -> Result<()> {
    conn.check_usable()?;
    let hub = conn.hub();
    let signal = {
        let mut st = hub.lock();
        let obj = st.serve.objects.get_mut(path).ok_or_else(|| {
            Error::invalid_request(format!("{path} is not exported on this connection"))
        })?;
        let decl = obj
            .interface(iface)
            .ok_or_else(|| Error::invalid_request(format!("{path} has no interface {iface}")))?;
        let prop = decl.property(name).ok_or_else(|| {
            Error::invalid_request(format!("interface {iface} declares no property {name}"))
        })?;
        let (sig, emits) = (prop.sig.clone(), prop.emits);
        let c = canonical(
            &prop.ty,
            value,
            bytes_base64.unwrap_or(obj.opts.bytes_base64),
        )?;
        let key = (iface.to_owned(), name.to_owned());
        if obj.values.get(&key) == Some(&c) {
            None
        } else {
            let signal = properties_changed(path, iface, name, &sig, emits, &c)?;
            obj.values.insert(key, c);
            signal
        }
    };
    if let Some(signal) = signal {
        conn.process().block_on(conn.send(&signal))?;
    }
    Ok(())
}

fn unknown_handle(id: u64) -> Error {
    Error::invalid_request(format!(
        "no call handle {id} on this connection (already answered, expired, or never given)"
    ))
}

/// Parses a reply: NULL/absent, a JSON array of arguments, or `{"args": [...], "bytes": ..}`.
fn parse_reply(text: Option<&str>) -> Result<(Vec<Value>, Option<bool>)> {
    let Some(text) = text else {
        return Ok((Vec::new(), None));
    };
    match json::parse_json_strict(text)? {
        Value::Array(a) => Ok((a, None)),
        Value::Object(mut map) => {
            check_keys(&map, &["args", "bytes"], "a reply")?;
            if map.contains_key("variants") {
                return Err(Error::invalid_request(
                    "\"variants\" applies to output only",
                ));
            }
            let (_, b64) = parse_value_options(&map)?;
            let b64 = map.contains_key("bytes").then_some(b64);
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
            Ok((args, b64))
        }
        other => Err(Error::invalid_request(format!(
            "a reply must be a JSON array or object, not {}",
            json_kind(&other)
        ))),
    }
}

/// Answers call `id` with return values (`reply_json` as for `skypebus_reply`). On an error the
/// handle stays valid, so the application can still answer with an error.
pub fn reply(conn: &Connection, id: u64, reply_json: Option<&str>) -> Result<()> {
    conn.check_usable()?;
    let hub = conn.hub();
    let (args, b64) = parse_reply(reply_json)?;
    let (call_msg, interface, what, opts, no_reply) = {
        let st = hub.lock();
        let c = st.serve.calls.get(&id).ok_or_else(|| unknown_handle(id))?;
        (
            c.msg.clone(),
            c.interface.clone(),
            c.what.clone(),
            c.opts,
            c.no_reply,
        )
    };
    let header = call_msg.header();
    let enc = EncodeOptions {
        bytes_base64: b64.unwrap_or(opts.bytes_base64),
    };
    let mut stored: Option<(String, String, Emits, Value)> = None;
    let msg = match &what {
        CallWhat::Method { member, out, .. } => {
            if out.len() != args.len() {
                return Err(Error::type_mismatch(format!(
                    "{interface}.{member} returns \"{}\" ({} value(s)), but {} were given",
                    signature::signature_of(out),
                    out.len(),
                    args.len()
                )));
            }
            message::build_with_body(Message::method_return(&header), out, &args, enc)
                .map_err(|e| e.context(format!("reply of {interface}.{member}")))?
        }
        CallWhat::SetProperty { name, sig, emits } => {
            if !args.is_empty() {
                return Err(Error::type_mismatch(
                    "a property write is accepted with no values",
                ));
            }
            let (_, v) = message::body_value(
                &call_msg,
                DecodeOptions {
                    typed_variants: true,
                    bytes_base64: false,
                    arrays_base64: false,
                },
            )?;
            let value = v
                .get(2)
                .and_then(|v| v.get("data"))
                .cloned()
                .ok_or_else(|| Error::invalid_message("a Set call without a value"))?;
            stored = Some((name.clone(), sig.clone(), *emits, value));
            Message::method_return(&header)
                .build(&())
                .map_err(message::build_error)?
        }
    };
    let path = header.path().map(|p| p.to_string()).unwrap_or_default();
    let signal = {
        let mut st = hub.lock();
        if st.serve.calls.remove(&id).is_none() {
            return Err(unknown_handle(id));
        }
        hub.pending_calls.fetch_sub(1, Ordering::AcqRel);
        st.forget_calls();
        hub.sync_fd(&mut st);
        match (stored, st.serve.objects.get_mut(&path)) {
            (Some((name, sig, emits, value)), Some(obj)) => {
                let key = (interface.clone(), name.clone());
                if obj.values.get(&key) == Some(&value) {
                    None
                } else {
                    let s = properties_changed(&path, &interface, &name, &sig, emits, &value)
                        .ok()
                        .flatten();
                    obj.values.insert(key, value);
                    s
                }
            }
            _ => None,
        }
    };
    conn.process().block_on(async {
        if !no_reply {
            conn.send(&msg).await?;
        }
        if let Some(s) = signal {
            conn.send(&s).await?;
        }
        Ok(())
    })
}

/// Answers call `id` with a D-Bus error.
pub fn reply_error(conn: &Connection, id: u64, name: &str, text: &str) -> Result<()> {
    conn.check_usable()?;
    ErrorName::try_from(name)
        .map_err(|e| Error::invalid_name(format!("{name:?} is not a valid error name: {e}")))?;
    let hub = conn.hub();
    let (call_msg, no_reply) = {
        let st = hub.lock();
        let c = st.serve.calls.get(&id).ok_or_else(|| unknown_handle(id))?;
        (c.msg.clone(), c.no_reply)
    };
    let msg = error_reply(&call_msg, name, text)?;
    {
        let mut st = hub.lock();
        if st.serve.calls.remove(&id).is_none() {
            return Err(unknown_handle(id));
        }
        hub.pending_calls.fetch_sub(1, Ordering::AcqRel);
        st.forget_calls();
        hub.sync_fd(&mut st);
    }
    if no_reply {
        return Ok(());
    }
    conn.process().block_on(conn.send(&msg))
}

// ---------------------------------------------------------------------------------------------
// C ABI

use std::ffi::c_char;

use crate::connection::skypebus_connection;
use crate::error::{skypebus_error, skypebus_result, str_from_c};
use crate::ffi::{self, ffi_boundary};

fn opt_str<'a>(ptr: *const c_char, what: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        str_from_c(ptr, what).map(Some)
    }
}

/// Asks the bus for the well-known name `name` with `flags` (an OR of `skypebus_name_flag`
/// values, 0 for none) and writes the bus' answer, a `skypebus_request_name_reply` value, to
/// `*answer_out`: `SKYPEBUS_NAME_PRIMARY_OWNER` (1), `SKYPEBUS_NAME_IN_QUEUE` (2),
/// `SKYPEBUS_NAME_EXISTS` (3) or `SKYPEBUS_NAME_ALREADY_OWNER` (4). Only 1 and 4 mean the name
/// is ours now; getting it later, or losing it, comes as a `name_acquired`/`name_lost` event.
///
/// An invalid name gives `SKYPEBUS_INVALID_NAME`, unknown flag bits `SKYPEBUS_INVALID_REQUEST`,
/// a refusal by the bus (e.g. policy) `SKYPEBUS_DBUS_ERROR`. Not available on peer-to-peer
/// connections, nor on the shared handle of `skypebus_connection_open` (`SKYPEBUS_INVALID_REQUEST`:
/// use `skypebus_connection_open_private`). `name` is borrowed for the call; NULL `conn`, `name`
/// or `answer_out` gives `SKYPEBUS_NULL_ARGUMENT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_request_name(
    conn: *const skypebus_connection,
    name: *const c_char,
    flags: u32,
    answer_out: *mut u32,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let name = str_from_c(name, "name")?;
        ffi::non_null(answer_out, "answer_out")?;
        let answer = request_name(conn.private("owning a name")?, name, flags)?;
        ffi::write_out(answer_out, answer);
        Ok(())
    })
}

/// Gives the well-known name `name` back to the bus (a `ReleaseName` sent to the bus driver
/// directly, whoever requested the name) and writes the bus' answer, a
/// `skypebus_release_name_reply` value, to `*answer_out`: `SKYPEBUS_NAME_RELEASED` (1),
/// `SKYPEBUS_NAME_NON_EXISTENT` (2) or `SKYPEBUS_NAME_NOT_OWNER` (3). `name` is borrowed for the
/// call; NULL `conn`, `name` or `answer_out` gives `SKYPEBUS_NULL_ARGUMENT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_release_name(
    conn: *const skypebus_connection,
    name: *const c_char,
    answer_out: *mut u32,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let name = str_from_c(name, "name")?;
        ffi::non_null(answer_out, "answer_out")?;
        let answer = release_name(&conn.inner, name)?;
        ffi::write_out(answer_out, answer);
        Ok(())
    })
}

/// Exports an object at `path` with the interfaces declared by `introspection_xml` (a
/// `<node>` document; nested nodes are ignored, and declarations of the standard `Peer`,
/// `Introspectable` and `Properties` interfaces are skipped because the library implements
/// them).
///
/// Only declared methods are callable, with exactly the declared names and in-signatures;
/// calls to them arrive as `call` events (`skypebus_next_event`). The library answers
/// `Introspect` (here and on parent paths), `Peer` methods, property reads and the standard
/// errors by itself, also while the application is busy.
///
/// `options_json` may be NULL, or an object with `variants` (`"typed"`: variants in call
/// events as `{"type","data"}`), `bytes` (`"base64"`: `ay` as base64 both in events and in
/// replies) and `properties` (initial values: `{"<interface>": {"<property>": value}}`).
///
/// Needs a private connection (`skypebus_connection_open_private`); on the shared handle of
/// `skypebus_connection_open` it gives `SKYPEBUS_INVALID_REQUEST`.
///
/// Exporting a path twice gives `SKYPEBUS_INVALID_REQUEST`; invalid XML
/// `SKYPEBUS_INVALID_REQUEST`; an invalid path `SKYPEBUS_INVALID_NAME`. The strings are borrowed
/// for the call (the library keeps its own copy of what it needs). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_export(
    conn: *const skypebus_connection,
    path: *const c_char,
    introspection_xml: *const c_char,
    options_json: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let path = str_from_c(path, "path")?;
        let xml = str_from_c(introspection_xml, "introspection_xml")?;
        let options = opt_str(options_json, "options_json")?;
        export(conn.private("exporting an object")?, path, xml, options)
    })
}

/// Stops exporting `path` (its stored property values go with it). Calls already received
/// keep their handles and can still be answered. A path not exported gives
/// `SKYPEBUS_INVALID_REQUEST`; NULL `conn` or `path` `SKYPEBUS_NULL_ARGUMENT`. `path` is borrowed
/// for the call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_unexport(
    conn: *const skypebus_connection,
    path: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let path = str_from_c(path, "path")?;
        unexport(&conn.inner, path)
    })
}

/// Stores the value of property `name` of `interface` on the exported object `path`:
/// `value_json` is one JSON value, typed by the property's declared type (the typed form
/// `{"type","data"}` is accepted; a string is taken as base64 for `ay` when the export said
/// `"bytes": "base64"`). If the value changed, the library emits
/// `org.freedesktop.DBus.Properties.PropertiesChanged` as the property's `EmitsChangedSignal`
/// annotation says. Remote `Get`/`GetAll` are answered from these stored values.
///
/// Any declared property may be set locally, read-only ones included. An unknown path,
/// interface or property gives `SKYPEBUS_INVALID_REQUEST`; a value that does not fit,
/// `SKYPEBUS_TYPE_MISMATCH`; a NULL argument, `SKYPEBUS_NULL_ARGUMENT`. The strings are borrowed
/// for the call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_set_property(
    conn: *const skypebus_connection,
    path: *const c_char,
    interface: *const c_char,
    name: *const c_char,
    value_json: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let path = str_from_c(path, "path")?;
        let iface = str_from_c(interface, "interface")?;
        let name = str_from_c(name, "name")?;
        let value = json::parse_json_strict(str_from_c(value_json, "value_json")?)?;
        set_property(&conn.inner, path, iface, name, &value, None)
    })
}

/// Answers the call with handle `call` (from a `call` or `set_property` event) with return
/// values. `reply_json` is NULL (no values), a JSON array of the values, or
/// `{"args": [...], "bytes": "base64"}`; the values are typed by the method's declared out
/// signature. A `set_property` event is accepted with NULL (or `[]`): the value is stored and
/// `PropertiesChanged` emitted as declared. For a call sent with the no-reply flag nothing is
/// sent, but the handle is released all the same.
///
/// On success the handle is released. If the values do not fit (`SKYPEBUS_TYPE_MISMATCH`) or
/// the JSON is malformed, nothing is sent and the handle stays valid, so the application can
/// answer with `skypebus_reply_error` instead. An unknown handle (already answered, expired, or
/// released when the connection closed) gives `SKYPEBUS_INVALID_REQUEST`. The string is
/// borrowed for the call. Thread-safe; a handle may be answered from any thread, once.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_reply(
    conn: *const skypebus_connection,
    call: u64,
    reply_json: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let text = opt_str(reply_json, "reply_json")?;
        reply(&conn.inner, call, text)
    })
}

/// Answers the call with handle `call` with the D-Bus error `error_name` (e.g.
/// `org.freedesktop.DBus.Error.InvalidArgs` or `com.example.Error.NotFound`) and the message
/// `message` (NULL: an empty message). The caller receives exactly this name and message.
///
/// On success the handle is released. An invalid error name gives `SKYPEBUS_INVALID_NAME` and
/// keeps the handle valid; an unknown handle gives `SKYPEBUS_INVALID_REQUEST`. The strings are
/// borrowed for the call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_reply_error(
    conn: *const skypebus_connection,
    call: u64,
    error_name: *const c_char,
    message: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let name = str_from_c(error_name, "error_name")?;
        let text = opt_str(message, "message")?.unwrap_or("");
        reply_error(&conn.inner, call, name, text)
    })
}
