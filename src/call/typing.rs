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
    /// The reply's types, when introspection told them.
    pub reply_types: Option<Vec<Type>>,
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
            reply_types: None,
        });
    }
    match introspected_method(conn, req, timeout).await? {
        Some((method, interface)) => Ok(ArgumentTypes {
            types: method.in_types,
            source: SignatureSource::Introspection,
            interface: Some(interface),
            reply_types: Some(method.out_types),
        }),
        None => Ok(ArgumentTypes {
            types: json::infer_signature(req.args.values()?)?,
            source: SignatureSource::Inferred,
            interface: None,
            reply_types: None,
        }),
    }
}

/// The method `req` calls, from the peer's introspection data (see
/// [`crate::introspect::method_info`]).
async fn introspected_method(
    conn: &Connection,
    req: &CallRequest,
    timeout: Duration,
) -> Result<Option<(crate::introspect::MethodInfo, String)>> {
    crate::introspect::method_info(
        &crate::hub::lookup(conn)?,
        req.destination.as_deref(),
        &req.path,
        req.interface.as_deref(),
        &req.method,
        timeout,
    )
    .await
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

/// Refuses, before anything is sent, a call that needs unix file descriptors on a connection that
/// cannot pass them: arguments of type `h`, or a reply that the peer's introspection data (read
/// when the request has no signature) says holds some, which the bus would never deliver: the
/// call would only time out after the peer acted.
pub(crate) fn check_fd_passing(
    conn: &Connection,
    req: &CallRequest,
    args: &ArgumentTypes,
    msg: &Message,
) -> Result<()> {
    if conn.can_pass_fds() != Some(false) {
        return Ok(());
    }
    if !msg.data().fds().is_empty() {
        return conn.require_fd_passing("the call's arguments");
    }
    let reply_sig = args
        .reply_types
        .as_deref()
        .map(signature::signature_of)
        .unwrap_or_default();
    if reply_sig.contains('h') {
        return conn.require_fd_passing(&format!(
            "the replies of {} (signature '{reply_sig}', from the peer's introspection data)",
            req.method
        ));
    }
    Ok(())
}
