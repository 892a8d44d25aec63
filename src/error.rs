//! Errors: the library's own error type and the stable result codes of the C ABI (the error
//! object C callers get is made from an [`Error`] in `capi/error.rs`).
//!
//! A D-Bus error reply keeps its exact error name and message ([`Kind::DBus`]). Every class of the
//! library's own errors has its own result code and an error name under [`OWN_PREFIX`]. A local
//! timeout has its own code but the name libdbus uses for it,
//! `org.freedesktop.DBus.Error.NoReply`, so callers can tell "slow" (code
//! [`skypebus_result::SKYPEBUS_TIMEOUT`]) from "gone" (a `NoReply` error reply sent by the bus,
//! code [`skypebus_result::SKYPEBUS_DBUS_ERROR`]).

use std::fmt;

/// Prefix of the error names of the library's own errors.
pub const OWN_PREFIX: &str = "net.skypebus.Error.";

/// Result codes of every fallible exported function. Success is 0; the numbers are stable.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum skypebus_result {
    /// Success.
    SKYPEBUS_OK = 0,
    /// The peer or the bus answered with a D-Bus error reply; its name and message are kept.
    SKYPEBUS_DBUS_ERROR = 1,
    /// No reply within the call's timeout (name `org.freedesktop.DBus.Error.NoReply`).
    SKYPEBUS_TIMEOUT = 2,
    /// A JSON text could not be parsed (`net.skypebus.Error.InvalidJson`).
    SKYPEBUS_INVALID_JSON = 3,
    /// A request is malformed: unknown key, wrong field type, bad option value
    /// (`net.skypebus.Error.InvalidRequest`).
    SKYPEBUS_INVALID_REQUEST = 4,
    /// A value does not fit the signature (`net.skypebus.Error.TypeMismatch`).
    SKYPEBUS_TYPE_MISMATCH = 5,
    /// A D-Bus type signature is invalid (`net.skypebus.Error.InvalidSignature`).
    SKYPEBUS_INVALID_SIGNATURE = 6,
    /// A bus name, object path, interface, member or error name is invalid
    /// (`net.skypebus.Error.InvalidName`).
    SKYPEBUS_INVALID_NAME = 7,
    /// A C string given to the library is not valid UTF-8 (`net.skypebus.Error.InvalidUtf8`).
    SKYPEBUS_INVALID_UTF8 = 8,
    /// A required pointer argument was NULL (`net.skypebus.Error.NullArgument`).
    SKYPEBUS_NULL_ARGUMENT = 9,
    /// The connection is closed, was lost, or belongs to another process
    /// (`net.skypebus.Error.Disconnected`).
    SKYPEBUS_DISCONNECTED = 10,
    /// Connecting or authenticating failed (`net.skypebus.Error.ConnectFailed`).
    SKYPEBUS_CONNECT_FAILED = 11,
    /// A message exceeds a D-Bus limit: nesting depth, array or message size
    /// (`net.skypebus.Error.LimitExceeded`).
    SKYPEBUS_LIMIT_EXCEEDED = 12,
    /// A received message is malformed (`net.skypebus.Error.InvalidMessage`).
    SKYPEBUS_INVALID_MESSAGE = 13,
    /// Something is not supported (yet), such as a type this build cannot carry
    /// (`net.skypebus.Error.NotSupported`).
    SKYPEBUS_NOT_SUPPORTED = 14,
    /// An I/O error (`net.skypebus.Error.IO`).
    SKYPEBUS_IO_ERROR = 15,
    /// A panic inside the library was caught at the boundary (`net.skypebus.Error.Panic`).
    SKYPEBUS_PANIC = 16,
    /// A Skype API `ERROR <code> <text>` reply (`net.skypebus.Error.Skype`); the Skype code is
    /// available with `skypebus_error_skype_code`.
    SKYPEBUS_SKYPE_ERROR = 17,
    /// Nothing arrived within the timeout of a `..._next` function. Not an error: no error
    /// object is made (`*err` is left alone) and the caller may simply try again.
    SKYPEBUS_EMPTY = 18,
}

use skypebus_result as R;

/// The class of an error; each maps to one result code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    DBus,
    Timeout,
    InvalidJson,
    InvalidRequest,
    TypeMismatch,
    InvalidSignature,
    InvalidName,
    InvalidUtf8,
    NullArgument,
    Disconnected,
    ConnectFailed,
    LimitExceeded,
    InvalidMessage,
    NotSupported,
    Io,
    Panic,
    Skype,
}

impl Kind {
    /// The C result code of this class.
    pub fn code(self) -> skypebus_result {
        match self {
            Kind::DBus => R::SKYPEBUS_DBUS_ERROR,
            Kind::Timeout => R::SKYPEBUS_TIMEOUT,
            Kind::InvalidJson => R::SKYPEBUS_INVALID_JSON,
            Kind::InvalidRequest => R::SKYPEBUS_INVALID_REQUEST,
            Kind::TypeMismatch => R::SKYPEBUS_TYPE_MISMATCH,
            Kind::InvalidSignature => R::SKYPEBUS_INVALID_SIGNATURE,
            Kind::InvalidName => R::SKYPEBUS_INVALID_NAME,
            Kind::InvalidUtf8 => R::SKYPEBUS_INVALID_UTF8,
            Kind::NullArgument => R::SKYPEBUS_NULL_ARGUMENT,
            Kind::Disconnected => R::SKYPEBUS_DISCONNECTED,
            Kind::ConnectFailed => R::SKYPEBUS_CONNECT_FAILED,
            Kind::LimitExceeded => R::SKYPEBUS_LIMIT_EXCEEDED,
            Kind::InvalidMessage => R::SKYPEBUS_INVALID_MESSAGE,
            Kind::NotSupported => R::SKYPEBUS_NOT_SUPPORTED,
            Kind::Io => R::SKYPEBUS_IO_ERROR,
            Kind::Panic => R::SKYPEBUS_PANIC,
            Kind::Skype => R::SKYPEBUS_SKYPE_ERROR,
        }
    }

    /// The error name of the library's own errors of this class.
    pub fn own_name(self) -> &'static str {
        match self {
            Kind::DBus => "org.freedesktop.DBus.Error.Failed",
            Kind::Timeout => "org.freedesktop.DBus.Error.NoReply",
            Kind::InvalidJson => "net.skypebus.Error.InvalidJson",
            Kind::InvalidRequest => "net.skypebus.Error.InvalidRequest",
            Kind::TypeMismatch => "net.skypebus.Error.TypeMismatch",
            Kind::InvalidSignature => "net.skypebus.Error.InvalidSignature",
            Kind::InvalidName => "net.skypebus.Error.InvalidName",
            Kind::InvalidUtf8 => "net.skypebus.Error.InvalidUtf8",
            Kind::NullArgument => "net.skypebus.Error.NullArgument",
            Kind::Disconnected => "net.skypebus.Error.Disconnected",
            Kind::ConnectFailed => "net.skypebus.Error.ConnectFailed",
            Kind::LimitExceeded => "net.skypebus.Error.LimitExceeded",
            Kind::InvalidMessage => "net.skypebus.Error.InvalidMessage",
            Kind::NotSupported => "net.skypebus.Error.NotSupported",
            Kind::Io => "net.skypebus.Error.IO",
            Kind::Panic => "net.skypebus.Error.Panic",
            Kind::Skype => "net.skypebus.Error.Skype",
        }
    }
}

/// An error of the library: its class, its D-Bus style name, a message, and (for Skype errors)
/// the Skype error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    pub name: String,
    pub message: String,
    pub skype_code: i64,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of the library's own, named after its class.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            name: kind.own_name().to_owned(),
            message: message.into(),
            skype_code: 0,
        }
    }

    /// A D-Bus error reply, keeping its name and message exactly.
    pub fn dbus(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            kind: Kind::DBus,
            name: name.into(),
            message: message.into(),
            skype_code: 0,
        }
    }

    pub fn type_mismatch(message: impl Into<String>) -> Self {
        Self::new(Kind::TypeMismatch, message)
    }
    pub fn invalid_signature(message: impl Into<String>) -> Self {
        Self::new(Kind::InvalidSignature, message)
    }
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(Kind::InvalidRequest, message)
    }
    pub fn invalid_json(message: impl Into<String>) -> Self {
        Self::new(Kind::InvalidJson, message)
    }
    pub fn invalid_name(message: impl Into<String>) -> Self {
        Self::new(Kind::InvalidName, message)
    }
    pub fn invalid_message(message: impl Into<String>) -> Self {
        Self::new(Kind::InvalidMessage, message)
    }
    pub fn limit(message: impl Into<String>) -> Self {
        Self::new(Kind::LimitExceeded, message)
    }
    /// A message needs unix file descriptors on a connection that cannot pass them
    /// (`NotSupported`, named `net.skypebus.Error.FdPassingUnsupported`).
    pub fn fd_passing_unsupported(message: impl Into<String>) -> Self {
        Error {
            name: format!("{OWN_PREFIX}FdPassingUnsupported"),
            ..Self::new(Kind::NotSupported, message)
        }
    }
    pub fn disconnected(message: impl Into<String>) -> Self {
        Self::new(Kind::Disconnected, message)
    }
    pub fn not_supported(message: impl Into<String>) -> Self {
        Self::new(Kind::NotSupported, message)
    }

    /// The result code for this error.
    pub fn code(&self) -> skypebus_result {
        self.kind.code()
    }

    /// Adds context in front of the message, keeping class and name.
    pub fn context(mut self, prefix: impl fmt::Display) -> Self {
        self.message = format!("{prefix}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl std::error::Error for Error {}

/// The message a panic was raised with.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

thread_local! {
    /// How many [`catch_panic`] calls are running on this thread.
    static CATCHING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// Where the last panic caught on this thread was raised (`file:line`).
    static CAUGHT_AT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f`, turning a panic into `Err` with its message and the place it was raised.
///
/// A panic caught here is reported to the caller as an error (`SKYPEBUS_PANIC`, or the error of
/// the connect it happened in), so it is not also printed to the process' stderr: the library
/// installs, once, a panic hook that only notes where such a panic was raised and hands every
/// other panic to the hook that was there before (the standard one prints it). The hook is the
/// library's own: a Rust library linked as a C library has its own copy of the standard library.
pub fn catch_panic<R>(f: impl FnOnce() -> R) -> std::result::Result<R, String> {
    install_panic_hook();
    let _ = CATCHING.try_with(|c| c.set(c.get() + 1));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let _ = CATCHING.try_with(|c| c.set(c.get() - 1));
    outcome.map_err(|panic| {
        let what = panic_message(&*panic);
        match CAUGHT_AT.try_with(|c| c.borrow_mut().take()).ok().flatten() {
            Some(place) => format!("{what} (at {place})"),
            None => what,
        }
    })
}

/// A dependency's source file without the path of cargo's registry on the building machine.
fn short_path(file: &str) -> &str {
    file.rsplit_once("/registry/src/")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map_or(file, |(_, rest)| rest)
}

fn install_panic_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CATCHING.try_with(|c| c.get() > 0).unwrap_or(false) {
                let place = info
                    .location()
                    .map(|l| format!("{}:{}", short_path(l.file()), l.line()));
                let _ = CAUGHT_AT.try_with(|c| c.replace(place));
            } else {
                previous(info);
            }
        }));
    });
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::invalid_json(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::catch_panic;

    #[test]
    fn a_caught_panic_gives_its_message_and_place() {
        let err = catch_panic(|| -> u8 { panic!("boom {}", 7) }).unwrap_err();
        assert!(err.starts_with("boom 7 (at src/error.rs:"), "{err}");
        let slice: &[u8] = &[];
        let err = catch_panic(|| slice[usize::MAX]).unwrap_err();
        assert!(err.contains("index out of bounds"), "{err}");
        assert_eq!(catch_panic(|| 5), Ok(5));
        assert_eq!(
            super::short_path("/root/.cargo/registry/src/index.crates.io-1/zbus-6.2.1/src/a.rs"),
            "zbus-6.2.1/src/a.rs"
        );
        // Nested: the inner catch reports its own panic, the outer sees none.
        assert_eq!(
            catch_panic(|| catch_panic(|| -> u8 { panic!("inner") }).is_err()),
            Ok(true)
        );
    }
}
