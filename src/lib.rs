//! libskypebus: a generic D-Bus bridge with a C ABI.
//!
//! Call any D-Bus method with JSON arguments and get a JSON reply, receive and emit signals, own
//! names and answer calls, and talk to the Skype desktop API (`com.Skype.API`). The D-Bus logic is
//! plain, typed Rust: `async` functions where the bus is involved, which never enter the runtime
//! themselves (a synchronous caller runs them with [`runtime::block_on`]). The `extern "C"`
//! functions are a thin layer over it in `src/capi/`: each parses its JSON, checks its pointers
//! behind one panic boundary, and enters the runtime once.
//!
//! Modules, one per concept, lowest layer first (docs/architecture.md has the map; no module
//! imports one below it, `scripts/check-modules.py` checks it):
//! - [`error`]: the error type and the result codes.
//! - [`limits`]: every limit, the specification's and the library's, in one place.
//! - [`signature`]: D-Bus type signatures, parsed and checked against the spec's limits.
//! - [`runtime`]: how connections are driven (caller-driven with a helper thread), fork safety.
//! - [`handshake`]: checks on what a server sends during authentication (the own socket).
//! - [`socket`]: the library's own unix socket.
//! - [`json`]: the JSON <-> D-Bus value mapping, straight to and from the wire format.
//! - [`schema`]: the one model of introspection data (interfaces, members, access, annotations).
//! - [`request`]: what every JSON request kind shares (keys, kinds, timeouts, value options).
//! - [`message`]: building messages from JSON and reading received ones back.
//! - [`trace`]: `SKYPEBUS_TRACE`, one line per message sent or received.
//! - [`connection`]: opening buses and peers, the dispatcher, waiting for replies; its
//!   [`connection::Handler`] is its only way up.
//! - [`event`]: the per-connection event queue (signals, incoming calls, name events), pulled.
//! - [`action`]: what a spoke asks the hub to do.
//! - [`driver`]: the bus driver, owning names, name events, the owner tracker.
//! - [`introspect`]: introspection data, its caches, and typing calls without a signature.
//! - [`serve`]: exporting objects from introspection XML, the one object server.
//! - [`signal`]: subscriptions with exactly matched rules, and emitting signals.
//! - [`hub`]: a connection's state above the transport and the routing of what arrives.
//! - [`call`]: the generic JSON method call and `call_many`.
//! - [`pending`]: asynchronous calls (a handle now, the result as an event later).
//! - [`skype`]: the Skype desktop API helper (attach, commands, chat messages, notifications).
//! - [`property`]: Get, Set and GetAll of properties, typed by introspection.
//! - `capi` (private): the C ABI.

pub mod action;
pub mod call;
mod capi;
pub mod connection;
pub mod driver;
pub mod error;
pub mod event;
pub mod handshake;
pub mod hub;
pub mod introspect;
pub mod json;
pub mod limits;
pub mod message;
pub mod pending;
pub mod property;
pub mod request;
pub mod runtime;
pub mod schema;
pub mod serve;
pub mod signal;
pub mod signature;
pub mod skype;
pub mod socket;
pub mod spare;
pub mod trace;

/// The ABI version; equals the SONAME major (`libskypebus.so.0`).
pub const ABI_VERSION: u32 = 0;
