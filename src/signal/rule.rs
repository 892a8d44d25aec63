//! Match rules: parsing a subscription's JSON match, writing it in the bus' text form, and
//! matching a signal against it exactly as the D-Bus specification says. Pure: nothing here
//! knows a connection.

use serde_json::Value;
use zbus::Message;
use zbus::names::{BusName, InterfaceName, MemberName};

use crate::driver::{DRIVER, Table};
use crate::error::{Error, Result};
use crate::json::{self, DecodeOptions};
use crate::message;
use crate::request::{json_kind, parse_value_options, string_key};
use crate::signature::{self, Type};

/// Highest argument index a match may name (the specification's limit).
pub const MAX_ARG_INDEX: u8 = 63;

/// How an argument is matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgMatch {
    /// `argN`: a string argument equal to the value.
    Equal(String),
    /// `argNpath`: path-prefix matching on a string or object path argument.
    Path(String),
    /// `arg0namespace`: a string argument in the namespace.
    Namespace(String),
}

/// A parsed match rule (signals only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchRule {
    pub sender: Option<String>,
    pub path: Option<String>,
    pub path_namespace: Option<String>,
    pub interface: Option<String>,
    pub member: Option<String>,
    pub destination: Option<String>,
    /// (argument index, how), sorted by index.
    pub args: Vec<(u8, ArgMatch)>,
}

/// Parses `argN`, `argNpath` and `arg0namespace` keys; None for any other key.
fn arg_key(key: &str) -> Option<(u8, &'static str)> {
    let rest = key.strip_prefix("arg")?;
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (digits, suffix) = rest.split_at(digits_end);
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    let n: u8 = digits.parse().ok()?;
    if n > MAX_ARG_INDEX {
        return None;
    }
    match suffix {
        "" => Some((n, "")),
        "path" => Some((n, "path")),
        "namespace" if n == 0 => Some((n, "namespace")),
        _ => None,
    }
}

const MATCH_KEYS: &[&str] = &[
    "sender",
    "path",
    "path_namespace",
    "interface",
    "member",
    "destination",
    "variants",
    "bytes",
];

fn valid_namespace(ns: &str) -> bool {
    !ns.is_empty()
        && ns.len() <= 255
        && ns.split('.').all(|e| {
            !e.is_empty()
                && e.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

impl MatchRule {
    /// Parses a match from JSON text; also returns the value options it asks for.
    pub fn parse(text: &str) -> Result<(MatchRule, DecodeOptions)> {
        let v = json::parse_json_strict(text)?;
        Self::from_value(&v)
    }

    /// Parses a match from a JSON value.
    pub fn from_value(v: &Value) -> Result<(MatchRule, DecodeOptions)> {
        let Value::Object(map) = v else {
            return Err(Error::invalid_request(format!(
                "a match must be a JSON object, not {}",
                json_kind(v)
            )));
        };
        let mut rule = MatchRule::default();
        for key in map.keys() {
            if MATCH_KEYS.contains(&key.as_str()) {
                continue;
            }
            let Some((n, how)) = arg_key(key) else {
                return Err(Error::invalid_request(format!(
                    "unknown key \"{key}\" in a match (allowed: {}, arg0..arg63, arg0path..arg63path, arg0namespace)",
                    MATCH_KEYS.join(", ")
                )));
            };
            let value = string_key(map, key)?.unwrap_or_default();
            if value.contains('\0') {
                return Err(Error::invalid_request(format!(
                    "match key \"{key}\" must not contain a NUL character"
                )));
            }
            let m = match how {
                "" => ArgMatch::Equal(value),
                "path" => ArgMatch::Path(value),
                _ => {
                    if !valid_namespace(&value) {
                        return Err(Error::invalid_name(format!(
                            "\"arg0namespace\" must be a bus or interface name namespace, not {}",
                            Value::from(value)
                        )));
                    }
                    ArgMatch::Namespace(value)
                }
            };
            rule.args.push((n, m));
        }
        rule.args.sort_by_key(|(n, _)| *n);
        for w in rule.args.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(Error::invalid_request(format!(
                    "a match may constrain argument {} only once",
                    w[0].0
                )));
            }
        }
        rule.sender = string_key(map, "sender")?;
        if let Some(s) = &rule.sender {
            BusName::try_from(s.as_str())
                .map_err(|e| Error::invalid_name(format!("\"sender\" {s:?}: {e}")))?;
        }
        rule.destination = string_key(map, "destination")?;
        if let Some(s) = &rule.destination {
            BusName::try_from(s.as_str())
                .map_err(|e| Error::invalid_name(format!("\"destination\" {s:?}: {e}")))?;
        }
        rule.path = string_key(map, "path")?;
        rule.path_namespace = string_key(map, "path_namespace")?;
        for (key, p) in [
            ("path", &rule.path),
            ("path_namespace", &rule.path_namespace),
        ] {
            if let Some(p) = p
                && !signature::is_valid_object_path(p)
            {
                return Err(Error::invalid_name(format!(
                    "\"{key}\" is not a valid object path: {p:?}"
                )));
            }
        }
        if rule.path.is_some() && rule.path_namespace.is_some() {
            return Err(Error::invalid_request(
                "a match cannot have both \"path\" and \"path_namespace\"",
            ));
        }
        rule.interface = string_key(map, "interface")?;
        if let Some(s) = &rule.interface {
            InterfaceName::try_from(s.as_str())
                .map_err(|e| Error::invalid_name(format!("\"interface\" {s:?}: {e}")))?;
        }
        rule.member = string_key(map, "member")?;
        if let Some(s) = &rule.member {
            MemberName::try_from(s.as_str())
                .map_err(|e| Error::invalid_name(format!("\"member\" {s:?}: {e}")))?;
        }
        let (typed_variants, bytes_base64) = parse_value_options(map)?;
        Ok((
            rule,
            DecodeOptions {
                typed_variants,
                bytes_base64,
                arrays_base64: false,
            },
        ))
    }

    /// The rule in the bus' text form, for `AddMatch`/`RemoveMatch`.
    pub fn to_bus_rule(&self) -> String {
        fn quote(out: &mut String, key: &str, value: &str) {
            out.push(',');
            out.push_str(key);
            out.push_str("='");
            // Inside quotes a backslash is literal; an apostrophe closes the quote, is written
            // escaped, and the quote reopens.
            out.push_str(&value.replace('\'', "'\\''"));
            out.push('\'');
        }
        let mut out = String::from("type='signal'");
        let fields = [
            ("sender", &self.sender),
            ("path", &self.path),
            ("path_namespace", &self.path_namespace),
            ("interface", &self.interface),
            ("member", &self.member),
            ("destination", &self.destination),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                quote(&mut out, k, v);
            }
        }
        for (n, m) in &self.args {
            match m {
                ArgMatch::Equal(v) => quote(&mut out, &format!("arg{n}"), v),
                ArgMatch::Path(v) => quote(&mut out, &format!("arg{n}path"), v),
                ArgMatch::Namespace(v) => quote(&mut out, "arg0namespace", v),
            }
        }
        out
    }

    /// Whether the sender is a well-known name whose owner must be tracked.
    pub(crate) fn tracked_sender(&self) -> Option<&str> {
        self.sender
            .as_deref()
            .filter(|s| !s.starts_with(':') && *s != DRIVER)
    }

    /// Matches everything but the arguments.
    pub(crate) fn matches_header(&self, h: &SignalHeader<'_>, owners: &Table) -> bool {
        if let Some(want) = &self.sender {
            let Some(sender) = h.sender else { return false };
            if sender != want {
                let owner = owners.owner(want);
                if owner != Some(sender) {
                    return false;
                }
            }
        }
        if let Some(p) = &self.path
            && h.path != Some(p.as_str())
        {
            return false;
        }
        if let Some(ns) = &self.path_namespace {
            let Some(path) = h.path else { return false };
            let inside = ns == "/"
                || path == ns
                || (path.starts_with(ns.as_str()) && path.as_bytes().get(ns.len()) == Some(&b'/'));
            if !inside {
                return false;
            }
        }
        if let Some(i) = &self.interface
            && h.interface != Some(i.as_str())
        {
            return false;
        }
        if let Some(m) = &self.member
            && h.member != Some(m.as_str())
        {
            return false;
        }
        if let Some(d) = &self.destination
            && h.destination != Some(d.as_str())
        {
            return false;
        }
        true
    }

    /// Matches the argument constraints against the string-like arguments of a signal.
    pub(crate) fn matches_args(&self, args: &[Option<(char, String)>]) -> bool {
        self.args.iter().all(|(n, how)| {
            let Some(Some((code, value))) = args.get(usize::from(*n)) else {
                return false;
            };
            match how {
                ArgMatch::Equal(want) => *code == 's' && value == want,
                ArgMatch::Path(want) => {
                    (*code == 's' || *code == 'o')
                        && (value == want
                            || (want.ends_with('/') && value.starts_with(want.as_str()))
                            || (value.ends_with('/') && want.starts_with(value.as_str())))
                }
                ArgMatch::Namespace(ns) => {
                    *code == 's'
                        && (value == ns
                            || (value.starts_with(ns.as_str())
                                && value.as_bytes().get(ns.len()) == Some(&b'.')))
                }
            }
        })
    }
}

/// The header fields a match looks at.
pub(crate) struct SignalHeader<'a> {
    pub(crate) sender: Option<&'a str>,
    pub(crate) path: Option<&'a str>,
    pub(crate) interface: Option<&'a str>,
    pub(crate) member: Option<&'a str>,
    pub(crate) destination: Option<&'a str>,
}

/// The top-level `s` and `o` arguments of a signal, as (type code, text); None for others.
pub(crate) fn string_args(msg: &Message) -> Vec<Option<(char, String)>> {
    let Ok((sig, Value::Array(values))) =
        message::body_value(msg, DecodeOptions::default(), message::Fds::Index)
    else {
        return Vec::new();
    };
    let Ok(types) = signature::parse_signature(&sig) else {
        return Vec::new();
    };
    types
        .iter()
        .zip(values)
        .map(|(t, v)| match (t, v) {
            (Type::String, Value::String(s)) => Some(('s', s)),
            (Type::ObjectPath, Value::String(s)) => Some(('o', s)),
            _ => None,
        })
        .collect()
}
