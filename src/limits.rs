//! Every limit in one place: the D-Bus specification's, which the library enforces on what it
//! sends and on what it receives, and the library's own bounds on queues, waits and buffers.
//! docs/limits.md says what happens at each; the C header carries the numbers as
//! [`skypebus_limit`].
//!
//! Received data is checked before anything is allocated for it: a length in a header or a body
//! is compared with its limit before a buffer of that length is made, so a peer that claims
//! 4 GiB costs nothing.

use std::time::Duration;

// --- The D-Bus specification ----------------------------------------------------------------

/// Longest message, header and body together, in bytes (128 MiB). Sending: `LimitExceeded`,
/// nothing sent. Receiving: the header that claims more ends the connection before the body is
/// read.
pub const MAX_MESSAGE_LEN: usize = 128 << 20;
/// Longest array data, in bytes (64 MiB). Sending: `LimitExceeded`. Receiving: the value's
/// message is refused (`LimitExceeded` for a reply; a signal's event carries the error).
pub const MAX_ARRAY_LEN: usize = 64 << 20;
/// Longest signature, in bytes.
pub const MAX_SIGNATURE_LEN: usize = 255;
/// Most nested arrays in a type.
pub const MAX_ARRAY_DEPTH: u8 = 32;
/// Most nested structs (dict entries count as structs) in a type.
pub const MAX_STRUCT_DEPTH: u8 = 32;
/// Most nested containers of any kind in a value, variants included.
pub const MAX_TOTAL_DEPTH: u8 = 64;
/// Longest bus name, interface, member or error name, in bytes.
pub const MAX_NAME_LEN: usize = 255;

// --- The library's own ----------------------------------------------------------------------

/// Default method-call timeout, as libdbus has it (set per call with `timeout_ms`, per
/// connection with `skypebus_connection_set_timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(25);
/// Largest accepted `timeout_ms`: about 24.8 days, as libdbus' maximum.
pub const MAX_TIMEOUT_MS: u64 = i32::MAX as u64;
/// How long connecting, authenticating and `Hello` may take together.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(25);
/// Longest line a server may send while the client authenticates on the library's own socket,
/// line feed included (libdbus bounds its authentication buffer at 16 KiB too).
pub const MAX_AUTH_LINE: usize = 16 * 1024;
/// Messages zbus' reader may hold for the connection's dispatcher, which drains them at once.
pub const READER_QUEUE: usize = 1024;
/// Default bound on queued notifications (signals, name events) of a connection.
pub const DEFAULT_QUEUE_LIMIT: usize = 4096;
/// Default bound on the bytes of queued notifications (their raw message sizes).
pub const DEFAULT_QUEUE_BYTES: usize = 64 << 20;
/// Default lifetime of an unanswered incoming call's handle.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(25);
/// Default bound on incoming calls' handles alive at once.
pub const DEFAULT_MAX_PENDING_CALLS: usize = 1024;
/// Default bound on asynchronous calls of ours (`skypebus_call_start`) in flight at once, as
/// `call_many`'s largest `max_in_flight`; one more is refused at once with `LimitExceeded`.
pub const DEFAULT_MAX_ASYNC_CALLS: usize = 1024;
/// Most file descriptors one write carries on Linux (`SCM_MAX_FD`); also what one read makes
/// room for. A message with more cannot be sent.
pub const MAX_FDS_PER_WRITE: usize = 253;
/// Most received descriptors that may wait for the message that claims them (the library's
/// socket); more ends the connection. A message whose `UNIX_FDS` claims more descriptors than
/// arrived with it ends the connection too.
pub const MAX_QUEUED_FDS: usize = 1024;

/// The limits, for C (docs/limits.md says what happens at each).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum skypebus_limit {
    /// Longest message in bytes (128 MiB, the D-Bus specification's). A longer one is refused
    /// before it is sent (`SKYPEBUS_LIMIT_EXCEEDED`); a received header that claims more ends
    /// the connection before anything is allocated (`SKYPEBUS_DISCONNECTED` for waiting calls).
    SKYPEBUS_MAX_MESSAGE_BYTES = 134217728,
    /// Longest array in bytes (64 MiB). Sending: `SKYPEBUS_LIMIT_EXCEEDED`; receiving: the
    /// reply is refused with `SKYPEBUS_LIMIT_EXCEEDED`, the connection stays.
    SKYPEBUS_MAX_ARRAY_BYTES = 67108864,
    /// Longest signature, and longest bus name, interface, member or error name, in bytes.
    SKYPEBUS_MAX_SIGNATURE_BYTES = 255,
    /// Most nested arrays, and most nested structs, in a type
    /// (`SKYPEBUS_LIMIT_EXCEEDED`).
    SKYPEBUS_MAX_NESTING = 32,
    /// Most nested containers of a value, variants included (`SKYPEBUS_LIMIT_EXCEEDED`).
    SKYPEBUS_MAX_TOTAL_NESTING = 64,
    /// Longest line a server may send during authentication on a unix socket (a longer one
    /// fails the connect with `SKYPEBUS_CONNECT_FAILED`).
    SKYPEBUS_MAX_AUTH_LINE_BYTES = 16384,
    /// Default bound on queued signals and name events; the oldest are dropped and counted.
    SKYPEBUS_DEFAULT_QUEUE_LIMIT = 4096,
    /// Default bound on incoming calls waiting for `skypebus_reply`; further calls are answered
    /// `org.freedesktop.DBus.Error.LimitsExceeded` and counted.
    SKYPEBUS_DEFAULT_MAX_PENDING_CALLS = 1024,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_c_enum_says_what_the_constants_say() {
        use skypebus_limit as L;
        assert_eq!(L::SKYPEBUS_MAX_MESSAGE_BYTES as usize, MAX_MESSAGE_LEN);
        assert_eq!(L::SKYPEBUS_MAX_ARRAY_BYTES as usize, MAX_ARRAY_LEN);
        assert_eq!(L::SKYPEBUS_MAX_SIGNATURE_BYTES as usize, MAX_SIGNATURE_LEN);
        assert_eq!(L::SKYPEBUS_MAX_SIGNATURE_BYTES as usize, MAX_NAME_LEN);
        assert_eq!(L::SKYPEBUS_MAX_NESTING as u8, MAX_ARRAY_DEPTH);
        assert_eq!(L::SKYPEBUS_MAX_NESTING as u8, MAX_STRUCT_DEPTH);
        assert_eq!(L::SKYPEBUS_MAX_TOTAL_NESTING as u8, MAX_TOTAL_DEPTH);
        assert_eq!(L::SKYPEBUS_MAX_AUTH_LINE_BYTES as usize, MAX_AUTH_LINE);
        assert_eq!(
            L::SKYPEBUS_DEFAULT_QUEUE_LIMIT as usize,
            DEFAULT_QUEUE_LIMIT
        );
        assert_eq!(
            L::SKYPEBUS_DEFAULT_MAX_PENDING_CALLS as usize,
            DEFAULT_MAX_PENDING_CALLS
        );
    }
}
