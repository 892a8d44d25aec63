//! libskypebus: a generic D-Bus bridge with a C ABI.
//!
//! Call any D-Bus method with JSON arguments and get a JSON reply, receive and emit signals, own
//! names and answer calls, and talk to the Skype desktop API (`com.Skype.API`). The D-Bus logic is
//! plain Rust; the `extern "C"` functions are a thin layer over it (see `ffi`).
//!
//! Modules, one per concept:
//! - [`error`]: the error type, result codes and the C error object.
//! - [`signature`]: D-Bus type signatures, parsed and checked against the spec's limits.
//! - [`json`]: the JSON <-> D-Bus value mapping, straight to and from the wire format.
//! - [`runtime`]: how connections are driven (caller-driven with a helper thread), fork safety.
//! - [`connection`]: opening buses and peers, the dispatcher, waiting for replies.
//! - [`message`]: building messages from JSON and reading received ones back.
//! - [`call`]: the generic JSON method call.
//! - [`property`]: Get, Set and GetAll of properties, typed by introspection.
//! - [`schema`]: the one model of introspection data (interfaces, members, access, annotations).
//! - [`introspect`]: introspection data, its caches, and typing calls without a signature.
//! - [`event`]: the per-connection event queue (signals, incoming calls, name events), pulled.
//! - [`signal`]: subscriptions with exactly matched rules, and emitting signals.
//! - [`serve`]: owning names, exporting objects from introspection XML, the one object server.
//! - [`skype`]: the Skype desktop API helper (attach, commands, chat messages, notifications).

pub mod action;
pub mod call;
mod capi;
pub mod connection;
pub mod driver;
pub mod error;
pub mod event;
pub mod hub;
pub mod introspect;
pub mod json;
pub mod message;
pub mod property;
pub mod request;
pub mod runtime;
pub mod schema;
pub mod serve;
pub mod signal;
pub mod signature;
pub mod skype;
pub mod socket;

/// The ABI version; equals the SONAME major (`libskypebus.so.0`).
pub const ABI_VERSION: u32 = 0;
