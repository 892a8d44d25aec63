//! The property store of exported objects: remote `Get`, `GetAll` and `Set` answered from the
//! registry, values stored in canonical form, and the `PropertiesChanged` signal a change
//! announces. Pure functions; `crate::serve` sends what they return.

use serde_json::{Map, Value, json};
use zbus::Message;

use crate::error::{Error, Result};
use crate::json::{self, DecodeOptions, EncodeOptions};
use crate::message;
use crate::schema::{Emits, Interface, PROPERTIES};
use crate::signature::{self, Type};

use super::registry::{CallWhat, Incoming, Object, Registry};
use super::router::Route;
use super::{E_FAILED, E_INVALID_ARGS, E_UNKNOWN_INTERFACE, E_UNKNOWN_METHOD, error_reply};

const E_UNKNOWN_PROPERTY: &str = "org.freedesktop.DBus.Error.UnknownProperty";
const E_READ_ONLY: &str = "org.freedesktop.DBus.Error.PropertyReadOnly";
const E_ACCESS_DENIED: &str = "org.freedesktop.DBus.Error.AccessDenied";

const TYPED: DecodeOptions = DecodeOptions {
    typed_variants: true,
    bytes_base64: false,
    arrays_base64: false,
};

/// Routes a `Properties` call to the exported object `obj`.
pub(crate) fn route(
    obj: &Object,
    msg: &Message,
    path: &str,
    member: &str,
    sig: &str,
) -> Result<Route> {
    let header = msg.header();
    let err = |name: &str, text: String| error_reply(msg, name, &text).map(Route::Reply);
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
    let args = match message::body_value(msg, TYPED, message::Fds::Index) {
        Ok((_, Value::Array(a))) => a,
        Ok(_) => Vec::new(),
        Err(e) => return err(E_INVALID_ARGS, e.message),
    };
    let text = |i: usize| args.get(i).and_then(Value::as_str).unwrap_or("");
    let iface_name = text(0);
    // An empty interface name means "any interface" (Get, Set) or "all of them" (GetAll).
    let ifaces: Vec<&Interface> = if iface_name.is_empty() {
        obj.interfaces.iter().map(|i| &**i).collect()
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
            all.extend(readable_values(obj, i));
        }
        let t = Type::Dict(Box::new(Type::String), Box::new(Type::Variant));
        return message::build_with_body(
            Message::method_return(&header),
            &[t],
            &[Value::Object(all)],
            EncodeOptions::default(),
        )
        .map(Route::Reply);
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
        if !prop.access.readable() {
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
            Some(v) => message::build_with_body(
                Message::method_return(&header),
                &[Type::Variant],
                &[json!({"type": prop.sig, "data": v})],
                EncodeOptions::default(),
            )
            .map(Route::Reply),
        };
    }
    // Set
    if !prop.access.writable() {
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
    Ok(Route::Call(Incoming {
        interface: decl.name.clone(),
        what: CallWhat::SetProperty {
            name: prop.name.clone(),
            sig: prop.sig.clone(),
            emits: prop.emits,
        },
        opts: obj.opts,
    }))
}

/// The stored values of the readable properties of interface `i` of `obj`, as `a{sv}` JSON
/// (name -> typed variant); properties without a value yet are left out.
pub(crate) fn readable_values(obj: &Object, i: &Interface) -> Map<String, Value> {
    let mut out = Map::new();
    for p in i.properties.iter().filter(|p| p.access.readable()) {
        if let Some(v) = obj.values.get(&(i.name.clone(), p.name.clone())) {
            out.insert(p.name.clone(), json!({"type": p.sig, "data": v}));
        }
    }
    out
}

/// The value a `Set` call carries (typed variant data).
pub(crate) fn set_call_value(call: &Message) -> Result<Value> {
    let (_, v) = message::body_value(call, TYPED, message::Fds::Index)?;
    v.get(2)
        .and_then(|v| v.get("data"))
        .cloned()
        .ok_or_else(|| Error::invalid_message("a Set call without a value"))
}

/// The canonical stored form of a property value: encoded for `ty` (so it is known to fit),
/// then decoded with typed variants and byte arrays, which encodes back unchanged.
pub(crate) fn canonical(ty: &Type, value: &Value, bytes_base64: bool) -> Result<Value> {
    let types = std::slice::from_ref(ty);
    let body = json::encode_body_with_fds(
        types,
        std::slice::from_ref(value),
        EncodeOptions { bytes_base64 },
    )
    .map_err(|e| e.context("property value"))?;
    if !body.fds.is_empty() {
        return Err(Error::not_supported(
            "property values that hold unix file descriptors (type 'h') are not supported",
        ));
    }
    let decoded = json::decode_body(&ty.signature(), &body.bytes, false, TYPED)?;
    match decoded {
        Value::Array(mut a) if a.len() == 1 => Ok(a.remove(0)),
        _ => Err(Error::invalid_message("internal error: canonical value")),
    }
}

/// The `PropertiesChanged` signal for one property, or None when it announces nothing.
pub(crate) fn properties_changed(
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

/// Stores the canonical value `value` (unchanged values are not stored again); returns the
/// `PropertiesChanged` signal to emit, if the value changed and the property announces it.
/// Does nothing when `path` is no longer exported.
pub(crate) fn store_canonical(
    reg: &mut Registry,
    path: &str,
    iface: &str,
    name: &str,
    sig: &str,
    emits: Emits,
    value: Value,
) -> Result<Option<Message>> {
    let Some(obj) = reg.objects.get_mut(path) else {
        return Ok(None);
    };
    let key = (iface.to_owned(), name.to_owned());
    if obj.values.get(&key) == Some(&value) {
        return Ok(None);
    }
    let signal = properties_changed(path, iface, name, sig, emits, &value);
    obj.values.insert(key, value);
    signal
}

/// Sets a declared property locally (typed by its declared type; read-only ones too); returns
/// the `PropertiesChanged` signal to emit, if any.
pub(crate) fn set(
    reg: &mut Registry,
    path: &str,
    iface: &str,
    name: &str,
    value: &Value,
    bytes_base64: Option<bool>,
) -> Result<Option<Message>> {
    let obj = reg.objects.get(path).ok_or_else(|| {
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
    // A local value that does not announce the change is still stored.
    store_canonical(reg, path, iface, name, &sig, emits, c)
}
