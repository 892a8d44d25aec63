//! The serve registry of one connection: exported objects (their schema, options and stored
//! property values) and the handles of calls waiting for the application. Pure data: nothing
//! here sends or locks; `crate::serve` applies the actions these functions return.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use zbus::Message;

use crate::error::{Error, Result};
use crate::json::DecodeOptions;
use crate::schema::{Emits, Interface};
use crate::signature::Type;

use super::error_reply;

pub(crate) const E_NO_REPLY: &str = "org.freedesktop.DBus.Error.NoReply";
pub(crate) const E_LIMITS: &str = "org.freedesktop.DBus.Error.LimitsExceeded";

/// Per-export value options.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ExportOptions {
    pub(crate) decode: DecodeOptions,
    pub(crate) bytes_base64: bool,
    /// Serve `org.freedesktop.DBus.ObjectManager` for the objects below.
    pub(crate) object_manager: bool,
}

/// Stored property values: (interface, property) -> canonical value (typed variants, bytes as
/// arrays).
pub(crate) type Values = HashMap<(String, String), Value>;

/// An exported object.
#[derive(Debug)]
pub(crate) struct Object {
    pub(crate) interfaces: Vec<Arc<Interface>>,
    pub(crate) opts: ExportOptions,
    pub(crate) values: Values,
}

impl Object {
    pub(crate) fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces
            .iter()
            .find(|i| i.name == name)
            .map(|i| &**i)
    }
}

/// What a call handle answers.
#[derive(Debug, Clone)]
pub(crate) enum CallWhat {
    Method {
        member: String,
        sig: String,
        out: Vec<Type>,
    },
    SetProperty {
        name: String,
        sig: String,
        emits: Emits,
    },
}

/// A call the router hands to the application.
#[derive(Debug, Clone)]
pub(crate) struct Incoming {
    pub(crate) interface: String,
    pub(crate) what: CallWhat,
    pub(crate) opts: ExportOptions,
}

/// A call waiting for the application's answer.
pub(crate) struct PendingCall {
    pub(crate) msg: Message,
    pub(crate) call: Incoming,
    pub(crate) deadline: Instant,
    pub(crate) pulled: bool,
    pub(crate) no_reply: bool,
}

/// What the pulling thread needs to render a call event, or the answering thread to build
/// the answer.
#[derive(Clone)]
pub(crate) struct CallSnapshot {
    pub(crate) msg: Message,
    pub(crate) call: Incoming,
    pub(crate) no_reply: bool,
}

impl PendingCall {
    pub(crate) fn snapshot(&self) -> CallSnapshot {
        CallSnapshot {
            msg: self.msg.clone(),
            call: self.call.clone(),
            no_reply: self.no_reply,
        }
    }
}

/// Exports and call handles of one connection.
#[derive(Default)]
pub(crate) struct Registry {
    pub(crate) objects: BTreeMap<String, Object>,
    pub(crate) calls: HashMap<u64, PendingCall>,
    next_call: u64,
}

/// The outcome of [`Registry::queue`].
#[derive(Debug)]
pub(crate) enum Queued {
    /// A new handle: queue a `call` event for it.
    Handle(u64),
    /// Refused: `max_pending` handles exist. The error to send, unless the caller wants none.
    Refused(Option<Message>),
}

impl Registry {
    pub(crate) fn export_count(&self) -> usize {
        self.objects.len()
    }

    /// Adds an export; refuses a path exported already.
    pub(crate) fn export(&mut self, path: &str, obj: Object) -> Result<()> {
        if self.objects.contains_key(path) {
            return Err(Error::invalid_request(format!(
                "{path} is already exported on this connection; unexport it first"
            )));
        }
        self.objects.insert(path.to_owned(), obj);
        Ok(())
    }

    /// Removes an export (its stored values go with it); returns it.
    pub(crate) fn unexport(&mut self, path: &str) -> Result<Object> {
        match self.objects.remove(path) {
            Some(obj) => Ok(obj),
            None => Err(Error::invalid_request(format!(
                "{path} is not exported on this connection"
            ))),
        }
    }

    /// The names of the direct children of `path` in the exported tree.
    pub(crate) fn children(&self, path: &str) -> Vec<String> {
        let prefix = if path == "/" {
            "/".to_owned()
        } else {
            format!("{path}/")
        };
        let mut out: Vec<String> = Vec::new();
        for p in self.objects.range(prefix.clone()..).map(|(p, _)| p) {
            let Some(rest) = p.strip_prefix(prefix.as_str()) else {
                break;
            };
            let Some(seg) = rest.split('/').next().filter(|s| !s.is_empty()) else {
                continue;
            };
            if out.last().map(String::as_str) != Some(seg) {
                out.push(seg.to_owned());
            }
        }
        out
    }

    /// Gives `msg` a handle, unless `max_pending` handles exist already.
    pub(crate) fn queue(
        &mut self,
        msg: &Message,
        call: Incoming,
        no_reply: bool,
        max_pending: usize,
        deadline: Instant,
    ) -> Result<Queued> {
        if self.calls.len() >= max_pending {
            if no_reply {
                return Ok(Queued::Refused(None));
            }
            let text = format!(
                "the service has {} unanswered calls; try again later",
                self.calls.len()
            );
            return error_reply(msg, E_LIMITS, &text).map(|m| Queued::Refused(Some(m)));
        }
        self.next_call += 1;
        let id = self.next_call;
        self.calls.insert(
            id,
            PendingCall {
                msg: msg.clone(),
                call,
                deadline,
                pulled: false,
                no_reply,
            },
        );
        Ok(Queued::Handle(id))
    }

    /// Releases handles whose deadline passed; returns how many, and the `NoReply` errors to
    /// send to their callers.
    pub(crate) fn expire(&mut self, now: Instant) -> (usize, Vec<Message>) {
        let ids: Vec<u64> = self
            .calls
            .iter()
            .filter(|(_, c)| c.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        let mut errors = Vec::new();
        for id in &ids {
            let Some(c) = self.calls.remove(id) else {
                continue;
            };
            if c.no_reply {
                continue;
            }
            let text = format!(
                "the service did not answer {}.{} within its call timeout",
                c.call.interface,
                match &c.call.what {
                    CallWhat::Method { member, .. } => member.as_str(),
                    CallWhat::SetProperty { .. } => "Set",
                }
            );
            if let Ok(reply) = error_reply(&c.msg, E_NO_REPLY, &text) {
                errors.push(reply);
            }
        }
        (ids.len(), errors)
    }
}
