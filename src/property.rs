//! Properties: `Get`, `Set` and `GetAll` of `org.freedesktop.DBus.Properties` as one JSON request
//! kind.
//!
//! ```json
//! {"destination": "org.example", "path": "/org/example", "interface": "org.example.Iface",
//!  "op": "get" | "set" | "get_all", "name": "Volume", "value": 0.5, "signature": "d",
//!  "timeout_ms": 0, "variants": "typed", "bytes": "base64", "no_auto_start": false,
//!  "allow_interactive_authorization": false}
//! ```
//!
//! - `get` replies `{"type": "<the property's type>", "data": value}`, as
//!   `busctl --json=short get-property` prints it.
//! - `get_all` replies `{"type": "a{sv}", "data": {name: value, ...}}`.
//! - `set` wraps `value` in a variant of the property's type: the request's `signature` if given,
//!   else the type the peer's introspection data declares, else the type inferred from the value.
//!   So `0.5` sent to a `d` property is a `d`, and `7` sent to a `u` property is a `u`, not an
//!   `i`. It replies `{"type": "", "data": []}`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::introspect::{self, Target};
use crate::json::{DecodeOptions, EncodeOptions};
use crate::request::{
    bool_key, check_keys, json_object, parse_timeout, parse_value_options, string_key,
};
use crate::signature::{self, Type};

const PROPERTIES: &str = "org.freedesktop.DBus.Properties";

/// What to do with properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Get,
    Set,
    GetAll,
}

/// A parsed property request.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyRequest {
    pub destination: Option<String>,
    pub path: String,
    pub interface: String,
    pub op: Op,
    pub name: Option<String>,
    pub value: Option<Value>,
    pub signature: Option<String>,
    pub timeout: Option<Duration>,
    pub typed_variants: bool,
    pub bytes_base64: bool,
    /// Header flags of the call (`no_auto_start`, `allow_interactive_authorization`).
    pub flags: u8,
}

const KEYS: &[&str] = &[
    "destination",
    "path",
    "interface",
    "op",
    "name",
    "value",
    "signature",
    "timeout_ms",
    "variants",
    "bytes",
    "no_auto_start",
    "allow_interactive_authorization",
];

impl PropertyRequest {
    /// Parses a request from JSON text.
    pub fn parse(text: &str) -> Result<PropertyRequest> {
        let mut map = json_object(text, "a property request")?;
        check_keys(&map, KEYS, "a property request")?;
        let op = match string_key(&map, "op")?.as_deref() {
            Some("get") => Op::Get,
            Some("set") => Op::Set,
            Some("get_all") => Op::GetAll,
            other => {
                return Err(Error::invalid_request(format!(
                    "\"op\" must be \"get\", \"set\" or \"get_all\", not {other:?}"
                )));
            }
        };
        let need = |key: &str| -> Result<String> {
            string_key(&map, key)?.ok_or_else(|| {
                Error::invalid_request(format!("a property request needs \"{key}\""))
            })
        };
        let path = need("path")?;
        let interface = need("interface")?;
        let name = match op {
            Op::GetAll => {
                if map.contains_key("name") {
                    return Err(Error::invalid_request("\"get_all\" takes no \"name\""));
                }
                None
            }
            _ => Some(need("name")?),
        };
        let value = map.remove("value");
        match (op, &value) {
            (Op::Set, None) => return Err(Error::invalid_request("\"set\" needs \"value\"")),
            (Op::Get | Op::GetAll, Some(_)) => {
                return Err(Error::invalid_request("only \"set\" takes a \"value\""));
            }
            _ => {}
        }
        let (typed_variants, bytes_base64) = parse_value_options(&map)?;
        let mut flags = 0;
        for (key, flag) in [
            ("no_auto_start", crate::message::NO_AUTO_START),
            (
                "allow_interactive_authorization",
                crate::message::ALLOW_INTERACTIVE_AUTHORIZATION,
            ),
        ] {
            if let Some(value) = map.get(key)
                && bool_key(key, value)?
            {
                flags |= flag;
            }
        }
        Ok(PropertyRequest {
            destination: string_key(&map, "destination")?,
            path,
            interface,
            op,
            name,
            value,
            signature: string_key(&map, "signature")?,
            timeout: parse_timeout(map.get("timeout_ms"))?,
            typed_variants,
            bytes_base64,
            flags,
        })
    }
}

/// Performs a property request and returns the reply envelope as JSON text.
pub async fn properties(conn: &Connection, req: &PropertyRequest) -> Result<String> {
    conn.check_usable()?;
    crate::call::validate_names(&crate::call::CallRequest {
        destination: req.destination.clone(),
        path: req.path.clone(),
        interface: Some(req.interface.clone()),
        method: "Get".to_owned(),
        signature: None,
        args: Default::default(),
        timeout: None,
        typed_variants: false,
        no_reply: false,
        no_auto_start: false,
        allow_interactive_authorization: false,
        bytes_base64: false,
        arrays_base64: false,
    })?;
    let timeout = req.timeout.unwrap_or_else(|| conn.default_timeout());
    let opts = DecodeOptions {
        typed_variants: req.typed_variants,
        bytes_base64: req.bytes_base64,
        arrays_base64: false,
    };
    let to = |method| Target {
        destination: req.destination.as_deref(),
        path: &req.path,
        interface: PROPERTIES,
        method,
        flags: req.flags,
    };
    let iface = Value::String(req.interface.clone());
    match req.op {
        Op::GetAll => {
            let reply =
                introspect::call_typed(conn, to("GetAll"), &[Type::String], &[iface], timeout)
                    .await?;
            let data = introspect::first_arg(&reply, opts)?;
            Ok(json!({"type": "a{sv}", "data": data}).to_string())
        }
        Op::Get => {
            let name = Value::String(req.name.clone().unwrap_or_default());
            let reply = introspect::call_typed(
                conn,
                to("Get"),
                &[Type::String, Type::String],
                &[iface, name],
                timeout,
            )
            .await?;
            // The variant's type, then its value with the caller's options.
            let typed = introspect::first_arg(
                &reply,
                DecodeOptions {
                    typed_variants: true,
                    bytes_base64: req.bytes_base64,
                    arrays_base64: false,
                },
            )?;
            let ty = typed.get("type").cloned().unwrap_or(Value::Null);
            let data = if req.typed_variants {
                typed.get("data").cloned().unwrap_or(Value::Null)
            } else {
                introspect::first_arg(&reply, opts)?
            };
            Ok(json!({"type": ty, "data": data}).to_string())
        }
        Op::Set => {
            let name = req.name.clone().unwrap_or_default();
            let value = req.value.clone().unwrap_or(Value::Null);
            let ty = match &req.signature {
                Some(s) => Some(signature::parse_single(s)?.signature()),
                None => declared_type(conn, req, &name, timeout).await?,
            };
            let variant = match ty {
                // A value in the typed form says its own type.
                _ if is_typed_form(&value) => value,
                Some(t) => json!({"type": t, "data": value}),
                // No declared type: the variant's type is inferred from the value.
                None => value,
            };
            let header = crate::message::CallHeader {
                destination: req.destination.as_deref(),
                path: &req.path,
                interface: Some(PROPERTIES),
                member: "Set",
                no_reply: false,
                flags: req.flags,
            };
            let msg = crate::message::method_call(
                &header,
                &[Type::String, Type::String, Type::Variant],
                &[iface, Value::String(name), variant],
                EncodeOptions {
                    bytes_base64: req.bytes_base64,
                },
            )?;
            conn.call_checked(&msg, timeout).await?;
            Ok(crate::call::NO_REPLY_ENVELOPE.to_owned())
        }
    }
}

/// Whether `v` is the typed form `{"type": "<signature>", "data": ...}`.
fn is_typed_form(v: &Value) -> bool {
    matches!(v, Value::Object(m) if m.len() == 2
        && m.get("type").and_then(Value::as_str).is_some_and(|t| signature::parse_single(t).is_ok())
        && m.contains_key("data"))
}

/// The declared type of a property from introspection, if the peer tells.
async fn declared_type(
    conn: &Connection,
    req: &PropertyRequest,
    name: &str,
    timeout: Duration,
) -> Result<Option<String>> {
    let look = crate::hub::lookup(conn)?;
    let owner = match introspect::resolve_owner(&look, req.destination.as_deref(), timeout).await {
        Ok(Some(o)) => o,
        _ => return Ok(None),
    };
    let info = introspect::interface_info(
        &look,
        req.destination.as_deref(),
        &owner,
        &req.path,
        &req.interface,
        timeout,
    )
    .await
    .unwrap_or(None);
    Ok(info.and_then(|i| i.property(name).map(|p| p.sig.clone())))
}
