//! Routing an incoming method call: the one object server of a connection. Every method call
//! addressed to the connection comes here, exported object or not: the declared methods of
//! exported objects become calls for the application; `Peer`, `Introspectable` and
//! `Properties` are answered from the registry; everything else gets its standard error.
//! [`route`] is a pure function of the registry and the message.

use zbus::Message;

use crate::error::Result;
use crate::message;
use crate::schema::{INTROSPECTABLE, PEER, PROPERTIES};

use super::manager::OBJECT_MANAGER;
use super::registry::{CallWhat, Incoming, Registry};
use super::{E_FAILED, E_INVALID_ARGS, E_UNKNOWN_INTERFACE, E_UNKNOWN_METHOD, error_reply};

pub(crate) const E_UNKNOWN_OBJECT: &str = "org.freedesktop.DBus.Error.UnknownObject";

/// What to do with an incoming call.
#[derive(Debug)]
pub(crate) enum Route {
    /// Answer the caller with this message (unless it asked for no reply).
    Reply(Message),
    /// Hand the call to the application (a `call` or `set_property` event).
    Call(Incoming),
}

fn reply(m: Result<Message>) -> Result<Route> {
    m.map(Route::Reply)
}

/// Routes one incoming method call.
pub(crate) fn route(reg: &Registry, msg: &Message) -> Result<Route> {
    let header = msg.header();
    let path = header.path().map(|p| p.as_str()).unwrap_or("/");
    let member = header.member().map(|m| m.as_str()).unwrap_or("");
    let iface = header.interface().map(|i| i.as_str());
    let obj = reg.objects.get(path);
    let children = if obj.is_some() || !reg.objects.is_empty() {
        reg.children(path)
    } else {
        Vec::new()
    };
    let served = obj.is_some() || !children.is_empty();
    let sig = match message::body_signature(msg) {
        Ok(s) => s,
        Err(e) => return reply(error_reply(msg, E_INVALID_ARGS, &e.message)),
    };
    let err = |name: &str, text: String| reply(error_reply(msg, name, &text));
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
    if let Some(obj) = obj {
        if obj.opts.object_manager
            && (iface == Some(OBJECT_MANAGER) || (iface.is_none() && member == "GetManagedObjects"))
        {
            return match member {
                "GetManagedObjects" if sig.is_empty() => {
                    reply(super::manager::managed_objects(reg, path, msg))
                }
                "GetManagedObjects" => bad_args(""),
                _ => no_method(OBJECT_MANAGER),
            };
        }
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
                .find_map(|d| d.method(member).map(|m| (&**d, m))),
        };
        if let Some((decl, m)) = found {
            if m.in_sig != sig {
                return bad_args(&m.in_sig);
            }
            return Ok(Route::Call(Incoming {
                interface: decl.name.clone(),
                what: CallWhat::Method {
                    member: m.name.clone(),
                    sig: m.in_sig.clone(),
                    out: m.out_types.clone(),
                },
                opts: obj.opts,
            }));
        }
    }
    let standard =
        |i: &str, names: &[&str]| iface == Some(i) || (iface.is_none() && names.contains(&member));
    // Peer methods are answered on every path, served or not.
    if standard(PEER, &["Ping", "GetMachineId"]) {
        return match member {
            "Ping" if sig.is_empty() => reply(
                Message::method_return(&header)
                    .build(&())
                    .map_err(message::build_error),
            ),
            "GetMachineId" if sig.is_empty() => match machine_id() {
                Some(id) => reply(
                    Message::method_return(&header)
                        .build(&(id,))
                        .map_err(message::build_error),
                ),
                None => err(E_FAILED, "no machine id is available".to_owned()),
            },
            "Ping" | "GetMachineId" => bad_args(""),
            _ => no_method(PEER),
        };
    }
    if !served {
        return err(E_UNKNOWN_OBJECT, format!("No such object path '{path}'"));
    }
    if standard(INTROSPECTABLE, &["Introspect"]) {
        return match member {
            "Introspect" if sig.is_empty() => {
                let xml = super::xml::document(obj, &children);
                reply(
                    Message::method_return(&header)
                        .build(&(xml,))
                        .map_err(message::build_error),
                )
            }
            "Introspect" => bad_args(""),
            _ => no_method(INTROSPECTABLE),
        };
    }
    if let Some(obj) = obj
        && standard(PROPERTIES, &["Get", "GetAll", "Set"])
    {
        return super::properties::route(obj, msg, path, member, &sig);
    }
    match iface {
        Some(i) if obj.is_some() || i == PROPERTIES => err(
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

/// This machine's D-Bus machine id, if it has one.
fn machine_id() -> Option<String> {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| s.len() == 32)
}
