//! Reading a call request: one pass over the text, each key checked once.

use std::time::Duration;

use serde_json::Value;

use super::CallRequest;
use crate::error::{Error, Result};
use crate::json;
use crate::request::{bool_key, json_kind, parse_timeout, value_options};

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
    "no_auto_start",
    "allow_interactive_authorization",
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
    no_auto_start: bool,
    allow_interactive_authorization: bool,
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
            "no_reply" => self.no_reply = bool_key(key, &value)?,
            "no_auto_start" => self.no_auto_start = bool_key(key, &value)?,
            "allow_interactive_authorization" => {
                self.allow_interactive_authorization = bool_key(key, &value)?
            }
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
            no_auto_start: self.no_auto_start,
            allow_interactive_authorization: self.allow_interactive_authorization,
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
