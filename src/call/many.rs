//! `call_many`: many calls pipelined, each with its own timeout, one result each.

use std::time::Duration;

use serde_json::Value;
use zbus::Message;

use super::typing::{argument_types_by, build_call, check_fd_passing};
use super::{CallRequest, NO_REPLY_ENVELOPE, reply_envelope, validate_names};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::json::{self, DecodeOptions};
use crate::request::{check_keys, json_kind};

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
pub async fn call_many(
    conn: &Connection,
    requests: Vec<Result<CallRequest>>,
    max_in_flight: usize,
) -> Result<String> {
    conn.check_usable()?;
    let n = requests.len();
    let mut results: Vec<Option<Result<String>>> = (0..n).map(|_| None).collect();
    {
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
                    let msg = build_call(&req, &types)?;
                    check_fd_passing(conn, &req, &types, &msg)?;
                    Ok(msg)
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
    }
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
