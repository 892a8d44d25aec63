//! The C ABI: every `extern "C"` function of the library, one file per handle type, over the
//! typed Rust API of the domain modules. Nothing below imports this module.
//!
//! Every exported function has the same shape:
//!
//! - its body runs inside [`boundary!`]: a panic never crosses into C. A function with a
//!   `skypebus_error **err` out-parameter returns a [`skypebus_result`] and reports an error
//!   through `*err` (when `err` is not NULL); one without returns a fixed value on a panic (NULL,
//!   0, false, or nothing for the `*_free` functions);
//! - pointers are checked before use: handles through their [`Handle`] type
//!   ([`Handle::try_ref`], [`Handle::try_box`], [`Handle::free`]), strings with [`str_from_c`],
//!   out-parameters with [`non_null`], and outputs are written only on success ([`write_out`]);
//! - it parses the JSON it is given into a typed request, enters the runtime at most once
//!   ([`crate::runtime::Process::block_on`]) to run the domain's function, and renders the
//!   result back to JSON or a number.
//!
//! Files: `connection` (open, free, timeout, unique name), `call` (call, call_bytes,
//! call_many, properties, introspect), `events` (next_event, the event descriptor, statistics,
//! options), `signal` (subscribe, unsubscribe, emit), `serve` (names, export, reply, properties
//! of exported objects), `skype` (the Skype helper), `fd` (open, duplicate and close
//! descriptors), `error` (the result codes' error object,
//! the strings and buffers the library hands out), `version`.

mod call;
mod connection;
mod error;
mod events;
mod fd;
mod pending;
mod serve;
mod signal;
mod skype;
mod version;

use connection::skypebus_connection;
use error::skypebus_error;

use std::ffi::{CStr, CString, c_char};

use crate::error::{Error, Kind, Result, skypebus_result};

/// Runs the body of an exported function behind the panic boundary.
///
/// - `boundary!(err = err, { ... })`: the body is a `Result<T>` where `T` is `()` (success,
///   `SKYPEBUS_OK`) or a [`skypebus_result`] that is no error (`SKYPEBUS_EMPTY`); an `Err`, or a
///   caught panic, is returned as its result code and written to `*err` when `err` is not NULL.
/// - `boundary!(or = value, { ... })`: for functions without `err`; a panic gives `value`.
macro_rules! boundary {
    (err = $err:expr, $body:block) => {{
        let err: *mut *mut $crate::capi::skypebus_error = $err;
        let outcome = $crate::error::catch_panic(|| -> $crate::error::Result<_> { $body });
        $crate::capi::finish(outcome, err)
    }};
    (or = $default:expr, $body:block) => {{ $crate::error::catch_panic(|| $body).unwrap_or($default) }};
}
pub(crate) use boundary;

/// A C handle type: an opaque struct C only ever sees behind a pointer, which stands for a
/// boxed value of the Rust type [`Handle::Rust`] handed out with [`Handle::into_raw`].
pub(crate) trait Handle: Sized {
    /// The Rust value behind a pointer to this C type.
    type Rust;

    /// Gives `value` to the caller as a new handle, freed with [`Handle::free`].
    fn into_raw(value: Self::Rust) -> *mut Self {
        Box::into_raw(Box::new(value)).cast()
    }

    /// Borrows the value behind a handle, or None for NULL.
    fn borrow<'a>(ptr: *const Self) -> Option<&'a Self::Rust> {
        // SAFETY: a non-NULL handle came from `into_raw` (a `Box<Self::Rust>`) and is not freed
        // yet: the caller's promise, stated in every function's documentation.
        unsafe { ptr.cast::<Self::Rust>().as_ref() }
    }

    /// Borrows the value behind a handle; NULL is a `NullArgument` error naming `what`.
    fn try_ref<'a>(ptr: *const Self, what: &str) -> Result<&'a Self::Rust> {
        Self::borrow(ptr).ok_or_else(|| null_argument(what))
    }

    /// Takes back ownership of the value behind a handle, or None for NULL.
    fn try_box(ptr: *mut Self) -> Option<Box<Self::Rust>> {
        if ptr.is_null() {
            return None;
        }
        // SAFETY: as in `borrow`; the caller also promises the handle is freed only once.
        Some(unsafe { Box::from_raw(ptr.cast::<Self::Rust>()) })
    }

    /// What freeing does with the value (by default: drops it).
    fn release(value: Box<Self::Rust>) {
        drop(value);
    }

    /// Frees a handle; NULL is a no-op.
    fn free(ptr: *mut Self) {
        if let Some(value) = Self::try_box(ptr) {
            Self::release(value);
        }
    }
}

impl From<()> for skypebus_result {
    fn from(_: ()) -> Self {
        skypebus_result::SKYPEBUS_OK
    }
}

/// Turns the outcome of a [`boundary!`] body into a result code, reporting errors.
pub(crate) fn finish<T: Into<skypebus_result>>(
    outcome: std::result::Result<Result<T>, String>,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    let e = match outcome {
        Ok(Ok(status)) => return status.into(),
        Ok(Err(e)) => e,
        Err(panic) => panic_error(panic),
    };
    let code = e.code();
    if !err.is_null() {
        // SAFETY: the caller promises `err` is NULL or points to writable storage.
        unsafe { *err = skypebus_error::into_raw(error::ErrorObject::from(&e)) };
    }
    code
}

/// An error describing a caught panic.
fn panic_error(what: String) -> Error {
    Error::new(
        Kind::Panic,
        format!("internal error (panic caught): {what}"),
    )
}

fn null_argument(what: &str) -> Error {
    Error::new(Kind::NullArgument, format!("{what} must not be NULL"))
}

/// Fails with a NullArgument error when `ptr` is NULL.
pub(crate) fn non_null<T>(ptr: *const T, what: &str) -> Result<()> {
    if ptr.is_null() {
        Err(null_argument(what))
    } else {
        Ok(())
    }
}

/// Writes `value` to the out-pointer `out` (checked non-NULL beforehand with [`non_null`]).
pub(crate) fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: checked non-NULL by the caller of this helper; the C caller promises it is
    // writable.
    unsafe { out.write(value) }
}

/// Reads a borrowed C string as UTF-8; NULL is a NullArgument error naming `what`.
pub(crate) fn str_from_c<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(null_argument(what));
    }
    // SAFETY: the caller promises a non-NULL string is NUL-terminated and lives for the call.
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map_err(|e| Error::new(Kind::InvalidUtf8, format!("{what} is not valid UTF-8: {e}")))
}

/// As [`str_from_c`], with NULL read as "not given".
pub(crate) fn opt_str_from_c<'a>(ptr: *const c_char, what: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        str_from_c(ptr, what).map(Some)
    }
}

/// A newly allocated C string for the caller, freed with `skypebus_string_free`.
pub(crate) fn c_string(s: String) -> Result<*mut c_char> {
    CString::new(s)
        .map(CString::into_raw)
        .map_err(|_| Error::new(Kind::Io, "a returned string contains a NUL byte"))
}

/// Writes a new C string for the caller to the out-pointer `out` (checked non-NULL).
pub(crate) fn write_string(out: *mut *mut c_char, s: String) -> Result<()> {
    write_out(out, c_string(s)?);
    Ok(())
}

/// Copies `bytes` into the caller's buffer of `capacity` bytes at `buf` when they fit (true), or
/// leaves it alone (false). `buf` may be NULL only when `bytes` is empty.
pub(crate) fn copy_into(buf: *mut u8, capacity: usize, bytes: &[u8]) -> bool {
    if bytes.len() > capacity {
        return false;
    }
    if !bytes.is_empty() && !buf.is_null() {
        // SAFETY: the caller gives `capacity` >= `bytes.len()` writable bytes at `buf`, which
        // do not overlap a slice the library made.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len()) };
    }
    true
}

/// A buffer for the caller: the bytes, leaked as a boxed slice, with their length; freed with
/// `skypebus_bytes_free`. Never NULL (an empty buffer is a dangling, non-NULL pointer of length
/// 0, which `skypebus_bytes_free` accepts).
pub(crate) fn bytes_into_raw(bytes: Vec<u8>) -> (*mut u8, usize) {
    let boxed = bytes.into_boxed_slice();
    let len = boxed.len();
    (Box::into_raw(boxed).cast::<u8>(), len)
}

/// Drops what a handle owned, unless the process is a child forked after the handle was made
/// (`owned` false): then it is kept forever, so the parent's socket and runtime are never
/// touched from the child.
pub(crate) fn drop_unless_forked<T: Send + 'static>(value: T, owned: bool) {
    if owned {
        drop(value);
    } else {
        crate::runtime::keep_forever(value);
    }
}

/// Runs `fut`, an operation of the typed API on `conn`, to completion: the one place an
/// exported function enters the runtime. `conn`'s own runtime, unless the process is a child
/// forked after `conn` was opened: then the child's runtime, where the operation fails with
/// `SKYPEBUS_DISCONNECTED` (or, like unsubscribing, does nothing) without touching the
/// parent's.
pub(crate) fn run<F: std::future::Future>(
    conn: &crate::connection::Connection,
    fut: F,
) -> Result<F::Output> {
    run_on(conn.process(), conn.owned_by_this_process(), fut)
}

/// [`run`] for what lives on `process` (`owned`: in the process that made it).
pub(crate) fn run_on<F: std::future::Future>(
    process: &'static crate::runtime::Process,
    owned: bool,
    fut: F,
) -> Result<F::Output> {
    if owned {
        Ok(process.block_on(fut))
    } else {
        crate::runtime::block_on(fut)
    }
}

/// A timeout given in milliseconds.
pub(crate) fn millis(ms: u32) -> std::time::Duration {
    std::time::Duration::from_millis(u64::from(ms))
}
