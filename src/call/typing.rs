//! The argument types of a call: the request's signature, else the peer's introspection data,
//! else inferred from the values; and the call message built with them.

use std::time::Duration;

use zbus::Message;

use super::CallRequest;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::json::{self, EncodeOptions};
use crate::message;
use crate::signature::{self, Type};

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
/// beforehand with [`validate_names`](super::validate_names)).
pub fn build_call(req: &CallRequest, args: &ArgumentTypes) -> Result<Message> {
    let (types, source) = (&args.types[..], args.source);
    let header = message::CallHeader {
        destination: req.destination.as_deref(),
        path: &req.path,
        interface: req.interface.as_deref().or(args.interface.as_deref()),
        member: &req.method,
        no_reply: req.no_reply,
        flags: req.header_flags(),
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
