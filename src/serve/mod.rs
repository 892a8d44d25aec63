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
use crate::json::DecodeOptions;
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
