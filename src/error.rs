//! Errors: the library's own error type, the stable result codes of the C ABI, and the opaque
//! `skypebus_error` object handed to C callers.
//!
//! A D-Bus error reply keeps its exact error name and message ([`Kind::DBus`]). Every class of the
//! library's own errors has its own result code and an error name under [`OWN_PREFIX`]. A local
//! timeout has its own code but the name libdbus uses for it,
//! `org.freedesktop.DBus.Error.NoReply`, so callers can tell "slow" (code
//! [`skypebus_result::SKYPEBUS_TIMEOUT`]) from "gone" (a `NoReply` error reply sent by the bus,
//! code [`skypebus_result::SKYPEBUS_DBUS_ERROR`]).

use std::ffi::{CStr, CString, c_char};
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
    /// Nothing arrived within the timeout of a `..._next` function. Not an error of the call
    /// itself: the caller may simply try again (`net.skypebus.Error.Empty`).
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
    Empty,
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
            Kind::Empty => R::SKYPEBUS_EMPTY,
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
            Kind::Empty => "net.skypebus.Error.Empty",
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

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::invalid_json(e.to_string())
    }
}

/// The opaque error object handed to C callers. Created by the library, freed by the caller with
/// `skypebus_error_free`.
#[allow(non_camel_case_types)]
pub struct skypebus_error {
    pub(crate) code: skypebus_result,
    pub(crate) name: CString,
    pub(crate) message: CString,
    pub(crate) skype_code: i64,
}

/// A C string from Rust text; interior NUL bytes (which D-Bus strings cannot carry, but our own
/// messages might quote) are replaced so nothing is cut off silently.
pub(crate) fn lossless_cstring(s: &str) -> CString {
    match CString::new(s) {
        Ok(c) => c,
        Err(_) => CString::new(s.replace('\0', "\\0")).unwrap_or_default(),
    }
}

impl From<&Error> for skypebus_error {
    fn from(e: &Error) -> Self {
        skypebus_error {
            code: e.code(),
            name: lossless_cstring(&e.name),
            message: lossless_cstring(&e.message),
            skype_code: e.skype_code,
        }
    }
}

/// The result code of an error. Returns `SKYPEBUS_NULL_ARGUMENT` for a NULL `err`.
///
/// `err` is borrowed for the duration of the call. Thread-safe: an error may be read from any
/// thread, but must not be freed concurrently.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_error_code(err: *const skypebus_error) -> skypebus_result {
    match crate::ffi::borrow(err) {
        Some(e) => e.code,
        None => R::SKYPEBUS_NULL_ARGUMENT,
    }
}

/// The D-Bus error name, e.g. `org.freedesktop.DBus.Error.ServiceUnknown` or
/// `net.skypebus.Error.TypeMismatch`. Returns NULL for a NULL `err`.
///
/// The returned string is borrowed from `err` and valid until `skypebus_error_free(err)`; do not
/// free it. Thread-safe as `skypebus_error_code`.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_error_name(err: *const skypebus_error) -> *const c_char {
    match crate::ffi::borrow(err) {
        Some(e) => e.name.as_ptr(),
        None => std::ptr::null(),
    }
}

/// The human-readable error message (for a D-Bus error reply, its exact message). Returns NULL
/// for a NULL `err`.
///
/// The returned string is borrowed from `err` and valid until `skypebus_error_free(err)`; do not
/// free it. Thread-safe as `skypebus_error_code`.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_error_message(err: *const skypebus_error) -> *const c_char {
    match crate::ffi::borrow(err) {
        Some(e) => e.message.as_ptr(),
        None => std::ptr::null(),
    }
}

/// The Skype API error code (`ERROR <code> <text>`) of a `SKYPEBUS_SKYPE_ERROR`, 0 for every
/// other error and for a NULL `err`. Thread-safe as `skypebus_error_code`.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_error_skype_code(err: *const skypebus_error) -> i64 {
    match crate::ffi::borrow(err) {
        Some(e) => e.skype_code,
        None => 0,
    }
}

/// Frees an error. `skypebus_error_free(NULL)` is a no-op; freeing twice is undefined behaviour.
/// Strings borrowed from the error become invalid.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_error_free(err: *mut skypebus_error) {
    drop(crate::ffi::take_box(err));
}

/// Reads a borrowed C string as UTF-8.
pub(crate) fn str_from_c<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::new(
            Kind::NullArgument,
            format!("{what} must not be NULL"),
        ));
    }
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map_err(|e| Error::new(Kind::InvalidUtf8, format!("{what} is not valid UTF-8: {e}")))
}
