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

pub mod error;
pub mod json;
pub mod signature;
