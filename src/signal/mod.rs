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
//! # Layout
//!
//! - `rule`: the pure [`MatchRule`] (parsing, the bus' text form, matching);
//! - `registry`: the subscriptions of one connection and the dispatcher's matching, as
//!   functions that return [`crate::action::Action`]s; `crate::hub` owns the registry, adds the
//!   bus' match rules (`crate::hub::subscribe`) and applies the actions;
//! - here: emitting.
//!
//! # Emitting
//!
//! `{"path", "interface", "member", "destination"?, "signature"?, "args"?, "bytes"?}`: the
//! signature is explicit or inferred from the values (docs/mapping.md); with `destination` the
//! signal is unicast to that name.

mod registry;
mod rule;

pub use registry::Registry;
pub use rule::{ArgMatch, MAX_ARG_INDEX, MatchRule};

use serde_json::{Map, Value};
use zbus::Message;

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::json::{self, EncodeOptions};
use crate::message;
use crate::request::{check_keys, json_kind, json_object, parse_value_options, string_key};
use crate::signature;

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
        let mut map = json_object(text, "a signal")?;
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
            string_key(map, key)?
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
            destination: string_key(&map, "destination")?,
            path: need(&map, "path")?,
            interface: need(&map, "interface")?,
            member: need(&map, "member")?,
            signature: string_key(&map, "signature")?,
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
    message::signal(
        req.destination.as_deref(),
        &req.path,
        &req.interface,
        &req.member,
        &types,
        &req.args,
        EncodeOptions {
            bytes_base64: req.bytes_base64,
        },
    )
}

/// Emits a signal.
pub async fn emit(conn: &Connection, req: &SignalRequest) -> Result<()> {
    conn.check_usable()?;
    let msg = build_signal(req)?;
    conn.send(&msg).await
}
