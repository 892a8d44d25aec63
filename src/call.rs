//! The generic method call: a JSON request in, a JSON reply out.
//!
//! Request (every key but `path` and `method` optional; any other key is an error):
//!
//! ```json
//! {"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
//!  "interface": "org.freedesktop.DBus", "method": "GetNameOwner", "signature": "s",
//!  "args": ["org.freedesktop.DBus"], "timeout_ms": 1000, "variants": "typed",
//!  "no_reply": false, "bytes": "base64"}
//! ```
//!
//! Reply: `{"type": "<body signature>", "data": [arg, ...]}`, the envelope of
//! `busctl --json=short`. See docs/call.md for every rule.

use std::time::Duration;

use serde_json::{Map, Value};
use zbus::Message;
use zbus::message::Type as MsgType;

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::json::{self, DecodeOptions, EncodeOptions};
use crate::message;
use crate::signature::{self, Type};

/// The reply envelope of a `no_reply` call: nothing is known about the outcome.
pub const NO_REPLY_ENVELOPE: &str = r#"{"type":"","data":[]}"#;

/// Largest accepted `timeout_ms`: about 24.8 days, as libdbus' maximum.
pub const MAX_TIMEOUT_MS: u64 = i32::MAX as u64;

/// A parsed call request.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRequest {
    pub destination: Option<String>,
    pub path: String,
    pub interface: Option<String>,
    pub method: String,
    pub signature: Option<String>,
    /// The arguments, kept as JSON text until they are encoded or inspected.
    pub args: json::Args,
    /// None: the connection's default.
    pub timeout: Option<Duration>,
    pub typed_variants: bool,
    pub no_reply: bool,
    pub bytes_base64: bool,
    /// `"arrays": "base64"`: reply arrays of `n q i u x t d` as base64 of packed little-endian
    /// elements (DecodeOptions::arrays_base64).
    pub arrays_base64: bool,
}

/// The string value of an optional key of a JSON request object; any other type is an
/// `InvalidRequest` error naming the key. Shared by every JSON request kind.
pub(crate) fn string_key(map: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::invalid_request(format!(
            "key \"{key}\" must be a string, not {}",
            json_kind(other)
        ))),
    }
}

/// A short description of a JSON value's kind for error messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses the `timeout_ms` value: a positive integer of milliseconds, or 0 for the connection's
/// default. Negative, fractional and larger-than-`MAX_TIMEOUT_MS` values are errors.
pub fn parse_timeout(v: Option<&Value>) -> Result<Option<Duration>> {
    let Some(v) = v else { return Ok(None) };
    let ms = match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= MAX_TIMEOUT_MS as f64)
                .map(|f| f as u64)
        }),
        _ => None,
    };
    match ms {
        Some(0) => Ok(None),
        Some(ms) if ms <= MAX_TIMEOUT_MS => Ok(Some(Duration::from_millis(ms))),
        _ => Err(Error::invalid_request(format!(
            "\"timeout_ms\" must be an integer from 0 (the connection's default) to {MAX_TIMEOUT_MS}, not {v}"
        ))),
    }
}

/// Parses the shared option keys `variants` and `bytes`.
pub fn parse_value_options(map: &Map<String, Value>) -> Result<(bool, bool)> {
    value_options(
        string_key(map, "variants")?.as_deref(),
        string_key(map, "bytes")?.as_deref(),
    )
}

/// The meaning of the option values `variants` and `bytes`: (typed variants, base64 bytes).
fn value_options(variants: Option<&str>, bytes: Option<&str>) -> Result<(bool, bool)> {
    let typed = match variants {
        None | Some("plain") => false,
        Some("typed") => true,
        Some(other) => {
            return Err(Error::invalid_request(format!(
                "\"variants\" must be \"typed\" or \"plain\", not \"{other}\""
            )));
        }
    };
    let base64 = match bytes {
        None | Some("array") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(Error::invalid_request(format!(
                "\"bytes\" must be \"base64\" or \"array\", not \"{other}\""
            )));
        }
    };
    Ok((typed, base64))
}

/// Rejects keys outside `allowed`.
pub fn check_keys(map: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<()> {
    for k in map.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::invalid_request(format!(
                "unknown key \"{k}\" in {what} (allowed: {})",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

const CALL_KEYS: &[&str] = &[
    "destination",
    "path",
    "interface",
    "method",
    "signature",
    "args",
    "timeout_ms",
    "variants",
    "no_reply",
    "bytes",
    "arrays",
];

impl CallRequest {
    /// Parses a request from JSON text.
    ///
    /// One pass over the text: each top-level key is checked and stored as it is read (no map
    /// of the request is built), and only `args` goes through the strict parser (which refuses
    /// duplicate keys inside it). The rules are those of [`CallRequest::from_value`].
    pub fn parse(text: &str) -> Result<CallRequest> {
        let mut de = serde_json::Deserializer::from_str(text);
        let fields = serde::Deserializer::deserialize_map(&mut de, RequestVisitor)
            .map_err(request_json_error)?;
        de.end().map_err(request_json_error)?;
        fields?.finish()
    }

    /// Parses a request from a JSON value.
    pub fn from_value(v: Value) -> Result<CallRequest> {
        let Value::Object(map) = v else {
            return Err(Error::invalid_request(format!(
                "a call request must be a JSON object, not {}",
                json_kind(&v)
            )));
        };
        let mut fields = RequestFields::default();
        for (key, value) in map {
            fields.set(&key, value)?;
        }
        fields.finish()
    }

    pub(crate) fn decode_options(&self) -> DecodeOptions {
        DecodeOptions {
            typed_variants: self.typed_variants,
            bytes_base64: self.bytes_base64,
            arrays_base64: self.arrays_base64,
        }
    }
}

/// The fields of a call request as its keys are read, each key checked once.
#[derive(Default)]
struct RequestFields {
    destination: Option<String>,
    path: Option<String>,
    interface: Option<String>,
    method: Option<String>,
    signature: Option<String>,
    args: Option<json::Args>,
    timeout: Option<Duration>,
    variants: Option<String>,
    bytes: Option<String>,
    arrays: Option<String>,
    no_reply: bool,
    /// Bit i set: `CALL_KEYS[i]` was seen.
    seen: u16,
}

impl RequestFields {
    /// Checks and stores the arguments of a request given as JSON text: an array is kept as
    /// text (see [`json::Args`]), anything else is the error [`RequestFields::set`] gives.
    fn set_args_text(&mut self, args: ArgsText<'_>) -> Result<()> {
        let parts = match args {
            ArgsText::Parts(parts) => parts,
            ArgsText::Other(value) => return self.set("args", value),
        };
        self.mark_seen("args")?;
        // Only an object can hold a duplicate key, which is refused with the request: arguments
        // with an object (or a '{' in a string) are parsed now, the others when encoded.
        let check_now = parts
            .iter()
            .any(|p| p.get().contains('{') && json::bytes_base64_text(p.get(), false).is_none());
        let args = json::Args::from_parts(parts.into_iter().map(ToOwned::to_owned).collect());
        if check_now {
            args.values()?;
        }
        self.args = Some(args);
        Ok(())
    }

    /// Records that `key` was read: an unknown key is `InvalidRequest`, a second one
    /// `InvalidJson`.
    fn mark_seen(&mut self, key: &str) -> Result<()> {
        let Some(i) = CALL_KEYS.iter().position(|k| *k == key) else {
            return Err(Error::invalid_request(format!(
                "unknown key \"{key}\" in a call request (allowed: {})",
                CALL_KEYS.join(", ")
            )));
        };
        if self.seen & (1 << i) != 0 {
            return Err(Error::invalid_json(format!(
                "duplicate key \"{key}\" in a call request"
            )));
        }
        self.seen |= 1 << i;
        Ok(())
    }

    /// Checks and stores one key of a request.
    fn set(&mut self, key: &str, value: Value) -> Result<()> {
        self.mark_seen(key)?;
        let string = |value: Value| match value {
            Value::String(s) => Ok(s),
            other => Err(Error::invalid_request(format!(
                "key \"{key}\" must be a string, not {}",
                json_kind(&other)
            ))),
        };
        match key {
            "destination" => self.destination = Some(string(value)?),
            "path" => self.path = Some(string(value)?),
            "interface" => self.interface = Some(string(value)?),
            "method" => self.method = Some(string(value)?),
            "signature" => self.signature = Some(string(value)?),
            "variants" => self.variants = Some(string(value)?),
            "bytes" => self.bytes = Some(string(value)?),
            "arrays" => self.arrays = Some(string(value)?),
            "args" => match value {
                Value::Array(a) => self.args = Some(json::Args::from_values(a)),
                other => {
                    return Err(Error::invalid_request(format!(
                        "\"args\" must be an array of arguments, not {}",
                        json_kind(&other)
                    )));
                }
            },
            "timeout_ms" => self.timeout = parse_timeout(Some(&value))?,
            "no_reply" => match value {
                Value::Bool(b) => self.no_reply = b,
                other => {
                    return Err(Error::invalid_request(format!(
                        "request key \"no_reply\" must be true or false, not {}",
                        json_kind(&other)
                    )));
                }
            },
            _ => unreachable!("every key of CALL_KEYS is handled"),
        }
        Ok(())
    }

    /// The request, once every key was read.
    fn finish(self) -> Result<CallRequest> {
        let path = self
            .path
            .ok_or_else(|| Error::invalid_request("a call request needs \"path\""))?;
        let method = self
            .method
            .ok_or_else(|| Error::invalid_request("a call request needs \"method\""))?;
        let (typed_variants, bytes_base64) =
            value_options(self.variants.as_deref(), self.bytes.as_deref())?;
        let arrays_base64 = match self.arrays.as_deref() {
            None | Some("list") => false,
            Some("base64") => true,
            Some(other) => {
                return Err(Error::invalid_request(format!(
                    "\"arrays\" must be \"base64\" or \"list\", not \"{other}\""
                )));
            }
        };
        Ok(CallRequest {
            destination: self.destination,
            path,
            interface: self.interface,
            method,
            signature: self.signature,
            args: self.args.unwrap_or_default(),
            timeout: self.timeout,
            typed_variants,
            no_reply: self.no_reply,
            bytes_base64,
            arrays_base64,
        })
    }
}

/// Reads a call request's top-level object straight into [`RequestFields`]; a semantic error is
/// kept aside while the rest of the text is still read (so syntax errors win).
struct RequestVisitor;

impl<'de> serde::de::Visitor<'de> for RequestVisitor {
    type Value = Result<RequestFields>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a call request object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut access: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut fields = RequestFields::default();
        let mut problem = None;
        while let Some(key) = access.next_key::<std::borrow::Cow<'de, str>>()? {
            let result = if key == "args" {
                let args = access.next_value::<ArgsText<'de>>()?;
                fields.set_args_text(args)
            } else {
                let value = access.next_value::<Value>()?;
                if problem.is_none() {
                    fields.set(&key, value)
                } else {
                    Ok(())
                }
            };
            if problem.is_none()
                && let Err(e) = result
            {
                problem = Some(e);
            }
        }
        Ok(match problem {
            Some(e) => Err(e),
            None => Ok(fields),
        })
    }
}

/// The `args` of a request text as read in the one pass over it: the texts of the elements of
/// an array (kept for [`json::Args`]), or any other value (an error, given by
/// [`RequestFields::set`]).
enum ArgsText<'de> {
    Parts(Vec<&'de serde_json::value::RawValue>),
    Other(Value),
}

impl<'de> serde::Deserialize<'de> for ArgsText<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ArgsText<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the arguments")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut parts = Vec::new();
                while let Some(p) = seq.next_element::<&'de serde_json::value::RawValue>()? {
                    parts.push(p);
                }
                Ok(ArgsText::Parts(parts))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                use serde::Deserialize as _;
                Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(ArgsText::Other)
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<Self::Value, E> {
                Ok(ArgsText::Other(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
                Ok(ArgsText::Other(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
                Ok(ArgsText::Other(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Self::Value, E> {
                Ok(ArgsText::Other(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(ArgsText::Other(v.into()))
            }
            fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
                Ok(ArgsText::Other(Value::Null))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON syntax error is `InvalidJson`; a well-formed text of the wrong shape (not an object)
/// is `InvalidRequest`.
fn request_json_error(e: serde_json::Error) -> Error {
    match e.classify() {
        serde_json::error::Category::Data => {
            Error::invalid_request(format!("a call request must be a JSON object: {e}"))
        }
        _ => Error::invalid_json(e.to_string()),
    }
}

/// Where the signature of a call's arguments came from (named in type-mismatch errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureSource {
    Explicit,
    Introspection,
    Inferred,
}

impl SignatureSource {
    pub fn describe(self) -> &'static str {
        match self {
            SignatureSource::Explicit => "the request's signature",
            SignatureSource::Introspection => "the peer's introspection data",
            SignatureSource::Inferred => "inference from the JSON values",
        }
    }
}

/// The argument types of a call, where they came from, and the interface that introspection
/// found the method in (used when the request names none: some peers, GDBus ones among them,
/// refuse calls without an interface).
#[derive(Debug, Clone, PartialEq)]
pub struct ArgumentTypes {
    pub types: Vec<Type>,
    pub source: SignatureSource,
    pub interface: Option<String>,
}

/// Builds the method-call message for `req` with the argument types `args` (names checked
/// beforehand with [`validate_names`]).
pub fn build_call(req: &CallRequest, args: &ArgumentTypes) -> Result<Message> {
    let (types, source) = (&args.types[..], args.source);
    let header = message::CallHeader {
        destination: req.destination.as_deref(),
        path: &req.path,
        interface: req.interface.as_deref().or(args.interface.as_deref()),
        member: &req.method,
        no_reply: req.no_reply,
    };
    let opts = EncodeOptions {
        bytes_base64: req.bytes_base64,
    };
    // The count error is final; encoding errors get where the signature came from.
    let miscounted = std::cell::Cell::new(false);
    let count_error = |given: usize| {
        miscounted.set(true);
        let sig: String = types.iter().map(Type::signature).collect();
        Error::type_mismatch(format!(
            "the signature \"{sig}\" (from {}) takes {} argument(s), but {given} were given",
            source.describe(),
            types.len(),
        ))
    };
    message::method_call_with(&header, types, |buf| {
        req.args
            .encode_into(types, opts, count_error, buf)
            .map_err(|e| match e.kind {
                crate::error::Kind::TypeMismatch if !miscounted.get() => e.context(format!(
                    "arguments do not fit the signature from {}",
                    source.describe()
                )),
                _ => e,
            })
    })
}

/// The argument types of a request: the explicit signature, else the peer's introspection data,
/// else inferred from the values.
pub async fn argument_types(
    conn: &Connection,
    req: &CallRequest,
    timeout: Duration,
) -> Result<ArgumentTypes> {
    if let Some(s) = &req.signature {
        return Ok(ArgumentTypes {
            types: signature::parse_signature(s)?,
            source: SignatureSource::Explicit,
            interface: None,
        });
    }
    let introspected = crate::introspect::method_in_types(
        &crate::hub::lookup(conn)?,
        req.destination.as_deref(),
        &req.path,
        req.interface.as_deref(),
        &req.method,
        timeout,
    )
    .await?;
    match introspected {
        Some((types, interface)) => Ok(ArgumentTypes {
            types,
            source: SignatureSource::Introspection,
            interface: Some(interface),
        }),
        None => Ok(ArgumentTypes {
            types: json::infer_signature(req.args.values()?)?,
            source: SignatureSource::Inferred,
            interface: None,
        }),
    }
}

/// Checks the names of a request before anything is sent or looked up.
pub fn validate_names(req: &CallRequest) -> Result<()> {
    // Names are valid or not by their text alone, and a program calls the same method again and
    // again: the last valid set of this thread is not checked twice in a row.
    thread_local! {
        static LAST_VALID: std::cell::RefCell<Option<[Option<String>; 4]>> =
            const { std::cell::RefCell::new(None) };
    }
    let names = [
        req.destination.as_deref(),
        Some(req.path.as_str()),
        req.interface.as_deref(),
        Some(req.method.as_str()),
    ];
    let same = |last: &[Option<String>; 4]| last.iter().zip(names).all(|(l, n)| l.as_deref() == n);
    if LAST_VALID.with(|l| l.borrow().as_ref().is_some_and(same)) {
        return Ok(());
    }
    check_names(req)?;
    LAST_VALID.with(|l| {
        *l.borrow_mut() = Some(names.map(|n| n.map(str::to_owned)));
    });
    Ok(())
}

/// The checks of [`validate_names`].
fn check_names(req: &CallRequest) -> Result<()> {
    use zbus::names::{BusName, InterfaceName, MemberName};
    let bad = |what: &str, value: &str, e: zbus::Error| {
        Error::invalid_name(format!("invalid {what} \"{value}\": {e}"))
    };
    if let Some(d) = &req.destination {
        BusName::try_from(d.as_str()).map_err(|e| bad("destination", d, e))?;
    }
    if !signature::is_valid_object_path(&req.path) {
        return Err(Error::invalid_name(format!(
            "invalid object path \"{}\"",
            req.path
        )));
    }
    if let Some(i) = &req.interface {
        InterfaceName::try_from(i.as_str()).map_err(|e| bad("interface", i, e))?;
    }
    MemberName::try_from(req.method.as_str()).map_err(|e| bad("method", &req.method, e))?;
    Ok(())
}

/// Performs a call and returns the reply envelope as JSON text.
pub fn call(conn: &Connection, req: &CallRequest) -> Result<String> {
    match call_message(conn, req)? {
        None => Ok(NO_REPLY_ENVELOPE.to_owned()),
        Some(reply) => reply_envelope(&reply, req.decode_options()),
    }
}

/// What [`call_bytes`] gives: the bytes of a reply that is one byte array, else its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BytesOrJson {
    Bytes(Vec<u8>),
    Json(String),
}

/// Performs a call; a reply whose body is exactly one byte array (`ay`) comes back as its
/// bytes, any other as the reply envelope [`call`] gives.
pub fn call_bytes(conn: &Connection, req: &CallRequest) -> Result<BytesOrJson> {
    let Some(reply) = call_message(conn, req)? else {
        return Ok(BytesOrJson::Json(NO_REPLY_ENVELOPE.to_owned()));
    };
    if reply.message_type() == MsgType::Error {
        return Err(message::error_from_reply(&reply));
    }
    let sig = message::body_signature(&reply)?;
    if sig == "ay" {
        let body = reply.body();
        let data = body.data().bytes();
        // The array must fill the body exactly; anything else is a malformed message, which
        // the JSON path reports.
        if let Some(len) = message::u32_at(data, 0, message::is_big_endian(&reply))
            && data.len() == 4 + len as usize
        {
            return Ok(BytesOrJson::Bytes(data[4..].to_vec()));
        }
    }
    envelope(&reply, &sig, req.decode_options()).map(BytesOrJson::Json)
}

/// Performs a call and returns its reply message (`None` for a `no_reply` call).
fn call_message(conn: &Connection, req: &CallRequest) -> Result<Option<Message>> {
    conn.check_usable()?;
    validate_names(req)?;
    let timeout = req.timeout.unwrap_or_else(|| conn.default_timeout());
    let reply = conn.process().block_on(async {
        let deadline = tokio::time::Instant::now() + timeout;
        let types = argument_types_by(conn, req, deadline, timeout).await?;
        let msg = build_call(req, &types)?;
        if req.no_reply {
            conn.send(&msg).await?;
            return Ok(None);
        }
        conn.start_call(&msg)
            .await?
            .reply(deadline, timeout)
            .await
            .map(Some)
    })?;
    Ok(reply)
}

/// [`argument_types`] within the deadline of the whole call: the round trips that read the
/// peer's introspection data spend the call's timeout, they do not get one of their own.
pub(crate) async fn argument_types_by(
    conn: &Connection,
    req: &CallRequest,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Result<ArgumentTypes> {
    match tokio::time::timeout_at(deadline, argument_types(conn, req, timeout)).await {
        Ok(types) => types,
        Err(_) => Err(Error::new(
            crate::error::Kind::Timeout,
            format!(
                "no reply within {} ms (local timeout), spent reading the peer's introspection data",
                timeout.as_millis()
            ),
        )),
    }
}

/// Calls in flight at once in [`call_many`] unless the request says otherwise. The system bus
/// refuses more than 128 pending replies per connection.
pub const DEFAULT_IN_FLIGHT: usize = 64;
/// Upper bound of `max_in_flight`.
pub const MAX_IN_FLIGHT: usize = 1024;

/// The JSON of a failed entry of [`call_many`].
pub fn error_json(e: &Error) -> Value {
    let mut v = serde_json::json!({"error": {"code": e.code() as i32, "name": e.name, "message": e.message}});
    if e.skype_code != 0 {
        v["error"]["skype_code"] = Value::from(e.skype_code);
    }
    v
}

/// Parses a `call_many` request: a JSON array of call requests, or
/// `{"requests": [...], "max_in_flight": N}`.
pub fn parse_many(text: &str) -> Result<(Vec<Result<CallRequest>>, usize)> {
    let v = json::parse_json_strict(text)?;
    let (list, max) = match v {
        Value::Array(list) => (list, DEFAULT_IN_FLIGHT),
        Value::Object(mut map) => {
            check_keys(&map, &["requests", "max_in_flight"], "a call_many request")?;
            let max = match map.get("max_in_flight") {
                None => DEFAULT_IN_FLIGHT,
                Some(n) => match n.as_u64() {
                    Some(n) if (1..=MAX_IN_FLIGHT as u64).contains(&n) => n as usize,
                    _ => {
                        return Err(Error::invalid_request(format!(
                            "\"max_in_flight\" must be an integer from 1 to {MAX_IN_FLIGHT}, not {n}"
                        )));
                    }
                },
            };
            match map.remove("requests") {
                Some(Value::Array(list)) => (list, max),
                _ => {
                    return Err(Error::invalid_request(
                        "a call_many request needs \"requests\", an array of call requests",
                    ));
                }
            }
        }
        other => {
            return Err(Error::invalid_request(format!(
                "a call_many request must be an array or an object, not {}",
                json_kind(&other)
            )));
        }
    };
    Ok((list.into_iter().map(CallRequest::from_value).collect(), max))
}

/// A call of a batch waiting for its reply: index, waiter, deadline, timeout, output options.
type InFlight<'c> = (
    usize,
    crate::connection::PendingReply<'c>,
    tokio::time::Instant,
    Duration,
    DecodeOptions,
);

/// Waits for one call of a batch.
async fn finish((i, pending, deadline, timeout, opts): InFlight<'_>) -> (usize, Result<String>) {
    let r = match pending.reply(deadline, timeout).await {
        Ok(reply) => reply_envelope(&reply, opts),
        Err(e) => Err(e),
    };
    (i, r)
}

/// Performs many calls with up to `max_in_flight` of them in flight at once, each with its own
/// timeout, and returns a JSON array of results in the order of the requests: each a reply
/// envelope or `{"error": {"code", "name", "message"}}`. One failed call never fails the batch.
pub fn call_many(
    conn: &Connection,
    requests: Vec<Result<CallRequest>>,
    max_in_flight: usize,
) -> Result<String> {
    conn.check_usable()?;
    let n = requests.len();
    let mut results: Vec<Option<Result<String>>> = (0..n).map(|_| None).collect();
    conn.process().block_on(async {
        let mut in_flight: std::collections::VecDeque<InFlight<'_>> = Default::default();
        let mut requests = requests.into_iter().enumerate().peekable();
        let mut batch: Vec<Message> = Vec::new();
        loop {
            // Fill the free slots, then send what was built in one go.
            while in_flight.len() < max_in_flight {
                let Some((i, req)) = requests.next() else {
                    break;
                };
                let req = match req {
                    Ok(r) => r,
                    Err(e) => {
                        results[i] = Some(Err(e));
                        continue;
                    }
                };
                let timeout = req.timeout.unwrap_or_else(|| conn.default_timeout());
                let deadline = tokio::time::Instant::now() + timeout;
                let built = async {
                    validate_names(&req)?;
                    let types = argument_types_by(conn, &req, deadline, timeout).await?;
                    build_call(&req, &types)
                }
                .await;
                let msg = match built {
                    Ok(m) => m,
                    Err(e) => {
                        results[i] = Some(Err(e));
                        continue;
                    }
                };
                if req.no_reply {
                    results[i] = Some(Ok(NO_REPLY_ENVELOPE.to_owned()));
                } else {
                    match conn.register_call(&msg) {
                        Ok(pending) => {
                            in_flight.push_back((
                                i,
                                pending,
                                deadline,
                                timeout,
                                req.decode_options(),
                            ));
                        }
                        Err(e) => {
                            results[i] = Some(Err(e));
                            continue;
                        }
                    }
                }
                batch.push(msg);
            }
            if !batch.is_empty() {
                let sent = conn.send_all(&batch).await;
                batch.clear();
                if let Err(e) = sent {
                    // Nothing more can be sent: every waiting call gets the error.
                    for (j, ..) in in_flight.drain(..) {
                        results[j] = Some(Err(e.clone()));
                    }
                    for (j, _) in requests.by_ref() {
                        results[j] = Some(Err(e.clone()));
                    }
                    break;
                }
            }
            // Wait for the oldest call, then collect every other one already answered.
            let Some(oldest) = in_flight.pop_front() else {
                if requests.peek().is_none() {
                    break;
                }
                continue;
            };
            let (j, r) = finish(oldest).await;
            results[j] = Some(r);
            let mut k = 0;
            while k < in_flight.len() {
                if in_flight[k].1.is_ready() {
                    if let Some(done) = in_flight.remove(k) {
                        let (j, r) = finish(done).await;
                        results[j] = Some(r);
                    }
                } else {
                    k += 1;
                }
            }
        }
    });
    let mut out = String::from("[");
    for (i, r) in results.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match r {
            Some(Ok(text)) => out.push_str(&text),
            Some(Err(e)) => out.push_str(&error_json(&e).to_string()),
            None => out.push_str(
                &error_json(&Error::new(crate::error::Kind::Panic, "no result")).to_string(),
            ),
        }
    }
    out.push(']');
    Ok(out)
}

/// The `{"type": ..., "data": [...]}` envelope of a reply, or the error it carries.
pub fn reply_envelope(reply: &Message, opts: DecodeOptions) -> Result<String> {
    match reply.message_type() {
        MsgType::Error => Err(message::error_from_reply(reply)),
        _ => envelope(reply, &message::body_signature(reply)?, opts),
    }
}

/// The envelope of a reply whose body signature `sig` was read already.
fn envelope(reply: &Message, sig: &str, opts: DecodeOptions) -> Result<String> {
    // Written in one buffer: the signature (type codes only, which JSON needs no escapes for;
    // the header's signature was validated when the message was read) first, then the body
    // straight after it.
    let mut out = String::with_capacity(reply.data().bytes().len() + sig.len() + 64);
    out.push_str("{\"type\":");
    if sig
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    {
        out.push('"');
        out.push_str(sig);
        out.push('"');
    } else {
        out.push_str(&Value::from(sig).to_string());
    }
    out.push_str(",\"data\":");
    message::body_json_append(reply, sig, opts, &mut out)?;
    out.push('}');
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// C ABI

use std::ffi::c_char;

use crate::connection::skypebus_connection;
use crate::error::{skypebus_error, skypebus_result};
use crate::ffi::{self, ffi_boundary};

/// The connection and the parsed request of `skypebus_call` and `skypebus_call_bytes`, with
/// their pointers checked.
fn call_arguments<'a>(
    conn: *const skypebus_connection,
    request_json: *const c_char,
    reply_json_out: *mut *mut c_char,
) -> Result<(&'a skypebus_connection, CallRequest)> {
    let conn = ffi::try_ref(conn, "conn")?;
    let text = crate::error::str_from_c(request_json, "request_json")?;
    ffi::non_null(reply_json_out, "reply_json_out")?;
    Ok((conn, CallRequest::parse(text)?))
}

/// Calls a D-Bus method described by the JSON text `request_json` and writes the reply envelope
/// `{"type": "<body signature>", "data": [...]}` to `*reply_json_out`, a new string the caller
/// frees with `skypebus_string_free`.
///
/// The request is an object with `path` and `method` and optionally `destination`,
/// `interface`, `signature`, `args` (array), `timeout_ms` (0 = the connection's default,
/// otherwise 1 to 2147483647), `variants` (`"typed"`), `no_reply` (bool), `bytes`
/// (`"base64"`) and `arrays` (`"base64"`: reply arrays of `n q i u x t d` as base64 of their
/// packed little-endian elements); any other key or option value is an error. A `no_reply` call
/// returns as soon as
/// the message is sent, with the reply `{"type":"","data":[]}`. See docs/mapping.md for values.
///
/// A D-Bus error reply gives `SKYPEBUS_DBUS_ERROR` with its exact name and message; no reply in
/// time gives `SKYPEBUS_TIMEOUT` (name `org.freedesktop.DBus.Error.NoReply`). The strings are
/// borrowed for the duration of the call. Thread-safe: several threads may call at once on one
/// connection.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_call(
    conn: *const skypebus_connection,
    request_json: *const c_char,
    reply_json_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let (conn, req) = call_arguments(conn, request_json, reply_json_out)?;
        let reply = call(&conn.inner, &req)?;
        ffi::write_out(reply_json_out, ffi::c_string(reply)?);
        Ok(())
    })
}

/// Like `skypebus_call`, with a binary side path for byte strings: when the reply's body is
/// exactly one byte array (signature `ay`), its bytes are written raw to `*bytes_out` (a new
/// buffer of `*bytes_len_out` bytes, never NULL, which the caller frees with
/// `skypebus_bytes_free`) and `*reply_json_out` is set to NULL; any other reply (a `no_reply`
/// call's too) is written to `*reply_json_out` exactly as `skypebus_call` writes it, with
/// `*bytes_out` set to NULL and `*bytes_len_out` to 0. A megabyte comes back as itself, not as
/// a JSON string of base64 to be copied and decoded again.
///
/// The request is that of `skypebus_call`; errors are those of `skypebus_call`, and on error
/// nothing is written to the three out-parameters. NULL `conn`, `request_json` or any out
/// pointer gives `SKYPEBUS_NULL_ARGUMENT`. The strings are borrowed for the duration of the call.
/// Thread-safe as `skypebus_call`.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_call_bytes(
    conn: *const skypebus_connection,
    request_json: *const c_char,
    reply_json_out: *mut *mut c_char,
    bytes_out: *mut *mut u8,
    bytes_len_out: *mut usize,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        ffi::non_null(bytes_out, "bytes_out")?;
        ffi::non_null(bytes_len_out, "bytes_len_out")?;
        let (conn, req) = call_arguments(conn, request_json, reply_json_out)?;
        match call_bytes(&conn.inner, &req)? {
            BytesOrJson::Bytes(bytes) => {
                let (ptr, len) = ffi::bytes_into_raw(bytes);
                ffi::write_out(reply_json_out, std::ptr::null_mut());
                ffi::write_out(bytes_out, ptr);
                ffi::write_out(bytes_len_out, len);
            }
            BytesOrJson::Json(json) => {
                ffi::write_out(reply_json_out, ffi::c_string(json)?);
                ffi::write_out(bytes_out, std::ptr::null_mut());
                ffi::write_out(bytes_len_out, 0);
            }
        }
        Ok(())
    })
}

/// Performs many calls, pipelined: up to 64 (or `max_in_flight`) are in flight at once, each with
/// its own timeout. `requests_json` is a JSON array of call requests (each as for
/// `skypebus_call`), or `{"requests": [...], "max_in_flight": N}` with N from 1 to 1024. Writes
/// to `*replies_json_out` a JSON array with one entry per request, in order: the reply envelope,
/// or `{"error": {"code": <skypebus_result>, "name": "...", "message": "..."}}`. A failed entry
/// never fails the whole call; only a malformed batch (not an array, bad `max_in_flight`), NULL
/// arguments or a closed connection do.
///
/// The string is freed with `skypebus_string_free`. Strings are borrowed for the duration of the
/// call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_call_many(
    conn: *const skypebus_connection,
    requests_json: *const c_char,
    replies_json_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    ffi_boundary!(err, {
        let conn = ffi::try_ref(conn, "conn")?;
        let text = crate::error::str_from_c(requests_json, "requests_json")?;
        ffi::non_null(replies_json_out, "replies_json_out")?;
        let (requests, max) = parse_many(text)?;
        let out = call_many(&conn.inner, requests, max)?;
        ffi::write_out(replies_json_out, ffi::c_string(out)?);
        Ok(())
    })
}
