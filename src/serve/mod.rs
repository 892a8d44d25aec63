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
//! An object exported with the option `"object_manager": true` is also an
//! `org.freedesktop.DBus.ObjectManager`: it answers `GetManagedObjects` with the objects
//! exported below it (their interfaces and readable stored properties), and every object
//! exported or unexported below it is announced with `InterfacesAdded`/`InterfacesRemoved`
//! (objects below a nested manager belong to the nearest one).
//!
//! Calls without an interface header are resolved to the first declared interface (in XML order)
//! that has the member, then to the standard interfaces.
//!
//! Every other call is queued as a `call` event with a handle; the application answers with
//! [`crate::hub::reply`] (arguments typed by the declared out signature) or [`crate::hub::reply_error`]. A handle lives
//! until it is answered, the connection closes, or `call_timeout_ms` passes (then the library
//! answers `org.freedesktop.DBus.Error.NoReply`). Calls sent with the no-reply flag still get a
//! handle (`"no_reply": true`), so every call is handled the same way; answering one sends
//! nothing.
//!
//! # Properties: a library-held store
//!
//! Property values live in the library, set by the application with [`crate::hub::set_property`] (or
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

mod calls;
mod manager;
mod properties;
mod registry;
mod router;
mod xml;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use zbus::Message;
use zbus::names::ErrorName;

use crate::action::Action;
use crate::error::{Error, Kind, Result};
use crate::event::{Event, Limits, no_reply_expected};
use crate::json::{self, DecodeOptions};
use crate::request::{bool_key, check_keys, json_kind, json_object, parse_value_options};
use crate::schema::{self, Interface, Mode};
use crate::signature;

use registry::{ExportOptions, Object, Queued, Values};
use router::Route;

const E_UNKNOWN_INTERFACE: &str = "org.freedesktop.DBus.Error.UnknownInterface";
const E_UNKNOWN_METHOD: &str = "org.freedesktop.DBus.Error.UnknownMethod";
const E_INVALID_ARGS: &str = "org.freedesktop.DBus.Error.InvalidArgs";
const E_FAILED: &str = "org.freedesktop.DBus.Error.Failed";
const E_NOT_SUPPORTED: &str = "org.freedesktop.DBus.Error.NotSupported";
/// The error a synchronous call to an object of the calling connection itself gets when nobody
/// can take it as an event (the calling thread is the one that would).
pub(crate) const E_CALL_TO_SELF: &str = "net.skypebus.Error.CallToSelf";

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

// ---------------------------------------------------------------------------------------------
// Applying the actions (the connection's side)

pub(crate) use calls::render as render_call;
pub(crate) use registry::{CallSnapshot, Registry};

pub(crate) use crate::message::error_reply;

/// Handles one incoming method call over the registry: routes it and gives it a handle when
/// it is for the application. Pure: the caller applies the returned actions.
pub(crate) fn handle_call(
    reg: &mut Registry,
    limits: &Limits,
    msg: &Message,
    now: Instant,
) -> Vec<Action> {
    handle_call_from(reg, limits, msg, now, false)
}

/// [`handle_call`]; with `caller_blocked`, a call that would go to the application is answered
/// `net.skypebus.Error.CallToSelf` at once instead: it comes from this connection's own thread
/// blocked waiting for it, which would wait for its whole timeout (the library's own answers,
/// `Introspect`, `Properties`, `Peer` and the standard errors, still work).
pub(crate) fn handle_call_from(
    reg: &mut Registry,
    limits: &Limits,
    msg: &Message,
    now: Instant,
    caller_blocked: bool,
) -> Vec<Action> {
    let no_reply = no_reply_expected(msg);
    let send = |m: Result<Message>| match m {
        _ if no_reply => Vec::new(),
        Ok(m) => vec![Action::Send(m)],
        Err(e) => error_reply(msg, E_FAILED, &e.to_string())
            .map(|m| vec![Action::Send(m)])
            .unwrap_or_default(),
    };
    match router::route(reg, msg) {
        Ok(Route::Reply(m)) => send(Ok(m)),
        Err(e) => send(Err(e)),
        Ok(Route::Call(_)) if caller_blocked => {
            let header = msg.header();
            let text = format!(
                "{}.{} on {} is served by this same connection, whose only thread able to take it \
                 as an event is blocked waiting for this reply; make the call asynchronously \
                 (skypebus_call_start; PHP: callAsync) and serve it from the event loop",
                header
                    .interface()
                    .map(|i| i.as_str())
                    .unwrap_or("(no interface)"),
                header.member().map(|m| m.as_str()).unwrap_or(""),
                header.path().map(|p| p.as_str()).unwrap_or(""),
            );
            if no_reply {
                return Vec::new();
            }
            error_reply(msg, E_CALL_TO_SELF, &text)
                .map(|m| vec![Action::Send(m)])
                .unwrap_or_default()
        }
        Ok(Route::Call(call)) => match reg.queue(
            msg,
            call,
            no_reply,
            limits.max_pending_calls,
            now + limits.call_timeout,
        ) {
            Ok(Queued::Handle(id)) => vec![Action::Queue(Event::Call(id))],
            Ok(Queued::Refused(reply)) => {
                let mut out = vec![Action::Refused];
                out.extend(reply.map(Action::Send));
                out
            }
            Err(e) => send(Err(e)),
        },
    }
}

/// A pulled call whose body could not be decoded: releases its handle (true when it still
/// existed) and gives the error to answer it with (none for a no-reply call).
pub(crate) fn fail_undecodable(
    reg: &mut Registry,
    id: u64,
    snap: &CallSnapshot,
    e: &Error,
) -> (bool, Option<Message>) {
    if reg.calls.remove(&id).is_none() {
        return (false, None);
    }
    if snap.no_reply {
        return (true, None);
    }
    let name = if e.kind == Kind::NotSupported {
        E_NOT_SUPPORTED
    } else {
        E_INVALID_ARGS
    };
    (true, error_reply(&snap.msg, name, &e.message).ok())
}

// ---------------------------------------------------------------------------------------------
// Exporting, answering, properties (Rust API)

fn parse_export_options(
    text: Option<&str>,
    interfaces: &[Arc<Interface>],
) -> Result<(ExportOptions, Values)> {
    let mut values = HashMap::new();
    let Some(text) = text else {
        return Ok((ExportOptions::default(), values));
    };
    let map = json_object(text, "export options")?;
    check_keys(
        &map,
        &["variants", "bytes", "properties", "object_manager"],
        "export options",
    )?;
    let (typed_variants, bytes_base64) = parse_value_options(&map)?;
    let object_manager = match map.get("object_manager") {
        None => false,
        Some(v) => bool_key("object_manager", v)?,
    };
    let opts = ExportOptions {
        decode: DecodeOptions {
            typed_variants,
            bytes_base64,
            arrays_base64: false,
        },
        bytes_base64,
        object_manager,
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
                    let c = properties::canonical(&p.ty, value, bytes_base64)
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

/// The object `xml` and `options` describe, ready to export (pure).
pub(crate) fn parse_object(xml: &str, options: Option<&str>) -> Result<Object> {
    let interfaces = schema::parse(xml, Mode::Export)?.interfaces;
    let (opts, values) = parse_export_options(options, &interfaces)?;
    Ok(Object {
        interfaces,
        opts,
        values,
    })
}

/// The schema `export` would serve for `xml`, as JSON text (`{"interfaces": [...]}`, the shape
/// of docs/introspection.md). Pure: no connection.
pub fn export_schema(xml: &str) -> Result<String> {
    Ok(schema::parse(xml, Mode::Export)?.to_json(false).to_string())
}

/// Checks `path` and parses the object to export there (pure; `crate::hub::export` adds it).
pub(crate) fn object_at(path: &str, xml: &str, options: Option<&str>) -> Result<Object> {
    if !signature::is_valid_object_path(path) {
        return Err(Error::invalid_name(format!(
            "{path:?} is not a valid object path"
        )));
    }
    parse_object(xml, options)
}

/// Checks an error name an application answers with.
pub(crate) fn check_error_name(name: &str) -> Result<()> {
    ErrorName::try_from(name)
        .map(|_| ())
        .map_err(|e| Error::invalid_name(format!("{name:?} is not a valid error name: {e}")))
}

pub(crate) use calls::{Accepted, answer, parse_reply, release, unknown_handle};
pub(crate) use manager::{interfaces_added, interfaces_removed};
pub(crate) use properties::set as set_property;

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
        let answer = crate::driver::request_name(conn.private("owning a name")?, name, flags)?;
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
        let answer = crate::driver::release_name(&conn.inner, name)?;
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
/// replies), `properties` (initial values: `{"<interface>": {"<property>": value}}`) and
/// `object_manager` (`true`: the object is an `org.freedesktop.DBus.ObjectManager` whose
/// `GetManagedObjects` the library answers with the objects exported below it; exporting and
/// unexporting an object below it emits `InterfacesAdded`/`InterfacesRemoved`).
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
        crate::hub::export(conn.private("exporting an object")?, path, xml, options)
    })
}

/// Parses `introspection_xml` exactly as `skypebus_export` does and writes the schema it would
/// serve, as JSON, to `*schema_out`: a new string the caller frees with `skypebus_string_free`.
/// Needs no connection, so a binding can read the declared methods and properties (to bind them
/// to its handler) before exporting, without an XML parser of its own.
///
/// The JSON is `{"interfaces": [...]}`, each interface in the shape `skypebus_introspect` uses
/// (docs/introspection.md): `{"name", "methods": [{"name", "in_signature", "out_signature",
/// "in": [{"name", "type"}], "out": [...], "annotations"}], "properties": [{"name", "type",
/// "access", "emits_changed", "annotations"}], "signals": [{"name", "signature", "args",
/// "annotations"}], "annotations"}`, everything in XML order. `access` is `read`, `write` or
/// `readwrite`; `emits_changed` is the effective `EmitsChangedSignal` value (`true`,
/// `invalidates`, `const` or `false`); `annotations` is an object of name to value; an
/// argument's `name` is null where the XML gives none. The standard `Peer`, `Introspectable`
/// and `Properties` interfaces are left out and nested nodes ignored, as by `skypebus_export`.
///
/// XML that `skypebus_export` would refuse gives the same error (`SKYPEBUS_INVALID_REQUEST`);
/// NULL `introspection_xml` or `schema_out` gives `SKYPEBUS_NULL_ARGUMENT`. The string is
/// borrowed for the call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_export_schema(
    introspection_xml: *const c_char,
    schema_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let xml = str_from_c(introspection_xml, "introspection_xml")?;
        ffi::non_null(schema_out, "schema_out")?;
        let out = export_schema(xml)?;
        ffi::write_out(schema_out, ffi::c_string(out)?);
        Ok(())
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
        crate::hub::unexport(&conn.inner, path)
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
        crate::hub::set_property(&conn.inner, path, iface, name, &value, None)
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
        crate::hub::reply(&conn.inner, call, text)
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
        crate::hub::reply_error(&conn.inner, call, name, text)
    })
}
