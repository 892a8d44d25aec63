//! libskypebus: a generic D-Bus bridge with a C ABI.
//!
//! Call any D-Bus method with JSON arguments and get a JSON reply, receive and emit signals, own
//! names and answer calls, and talk to the Skype desktop API (`com.Skype.API`). The D-Bus logic is
//! plain Rust; the `extern "C"` functions are a thin layer over it (see `ffi`).
//!
//! Modules, one per concept:
//! - [`error`]: the error type, result codes and the C error object.
//! - [`signature`]: D-Bus type signatures, parsed and checked against the spec's limits.
//! - [`limits`]: every limit, the specification's and the library's, in one place.
//! - [`json`]: the JSON <-> D-Bus value mapping, straight to and from the wire format.
//! - [`runtime`]: how connections are driven (caller-driven with a helper thread), fork safety.
//! - [`handshake`]: checks on what a server sends during authentication (the own socket).
//! - [`connection`]: opening buses and peers, the dispatcher, waiting for replies.
//! - [`message`]: building messages from JSON and reading received ones back.
//! - [`call`]: the generic JSON method call.
//! - [`pending`]: asynchronous calls (a handle now, the result as an event later).
//! - [`property`]: Get, Set and GetAll of properties, typed by introspection.
//! - [`schema`]: the one model of introspection data (interfaces, members, access, annotations).
//! - [`introspect`]: introspection data, its caches, and typing calls without a signature.
//! - [`event`]: the per-connection event queue (signals, incoming calls, name events), pulled.
//! - [`signal`]: subscriptions with exactly matched rules, and emitting signals.
//! - [`serve`]: owning names, exporting objects from introspection XML, the one object server.
//! - [`skype`]: the Skype desktop API helper (attach, commands, chat messages, notifications).

pub mod action;
pub mod call;
pub mod connection;
pub mod driver;
pub mod error;
pub mod event;
mod ffi;
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
pub mod trace;

use std::ffi::c_char;

/// The ABI version; equals the SONAME major (`libskypebus.so.0`).
pub const ABI_VERSION: u32 = 0;

/// The library version, e.g. `"0.1.0"`: a static NUL-terminated string that must not be freed.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version, equal to the SONAME major of the library (`libskypebus.so.<ABI>`). A caller
/// built against a header with another `SKYPEBUS_ABI_VERSION` must not use this library.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_abi_version() -> u32 {
    ABI_VERSION
}
