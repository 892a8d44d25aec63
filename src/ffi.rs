//! The plumbing every exported function goes through: the panic boundary, NULL checks, error
//! reporting through the `skypebus_error **err` out-parameter, and string ownership.
//!
//! Every `extern "C"` function body is wrapped in [`ffi_boundary!`], which runs it under
//! `catch_unwind`, turns a `Result` into a `skypebus_result`, and writes `*err` on failure (when
//! `err` is not NULL). Outputs are written only on success, through [`write_out`].

use std::any::Any;
use std::ffi::{CString, c_char};

use crate::error::{Error, Kind, Result, skypebus_error, skypebus_result};

/// Runs `$body` (an expression of type `Result<()>`) behind the panic boundary and reports its
/// error through `$err` (a `*mut *mut skypebus_error`, may be NULL).
macro_rules! ffi_boundary {
    ($err:expr, $body:expr) => {{
        let err: *mut *mut $crate::error::skypebus_error = $err;
        let outcome = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> $crate::error::Result<()> { $body },
        ));
        $crate::ffi::finish(outcome, err)
    }};
}
pub(crate) use ffi_boundary;

/// Turns the outcome of a boundary-wrapped body into a result code, reporting errors.
pub(crate) fn finish(
    outcome: std::thread::Result<Result<()>>,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    let e = match outcome {
        Ok(Ok(())) => return skypebus_result::SKYPEBUS_OK,
        Ok(Err(e)) => e,
        Err(panic) => panic_error(panic),
    };
    let code = e.code();
    if !err.is_null() {
        let boxed = Box::new(skypebus_error::from(&e));
        // SAFETY: the caller promises `err` is NULL or points to writable storage.
        unsafe { *err = Box::into_raw(boxed) };
    }
    code
}

/// An error describing a caught panic.
pub(crate) fn panic_error(panic: Box<dyn Any + Send>) -> Error {
    let what = panic_message(&*panic);
    Error::new(
        Kind::Panic,
        format!("internal error (panic caught): {what}"),
    )
}

/// The message a panic was raised with.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Fails with a NullArgument error when `ptr` is NULL.
pub(crate) fn non_null<T>(ptr: *const T, what: &str) -> Result<()> {
    if ptr.is_null() {
        Err(Error::new(
            Kind::NullArgument,
            format!("{what} must not be NULL"),
        ))
    } else {
        Ok(())
    }
}

/// Borrows the object behind a handle, or fails with NullArgument.
pub(crate) fn try_ref<'a, T>(ptr: *const T, what: &str) -> Result<&'a T> {
    // SAFETY: the caller promises a non-NULL handle is a live one from this library.
    unsafe { ptr.as_ref() }
        .ok_or_else(|| Error::new(Kind::NullArgument, format!("{what} must not be NULL")))
}

/// Borrows the object behind a possibly-NULL pointer.
pub(crate) fn borrow<'a, T>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: the caller promises a non-NULL pointer is a live object from this library.
    unsafe { ptr.as_ref() }
}

/// Takes back ownership of a box handed out with `Box::into_raw`; None for NULL.
pub(crate) fn take_box<T>(ptr: *mut T) -> Option<Box<T>> {
    if ptr.is_null() {
        None
    } else {
        // SAFETY: the caller promises `ptr` came from `Box::into_raw` and is released once.
        Some(unsafe { Box::from_raw(ptr) })
    }
}

/// Writes `value` to the out-pointer `out` (checked non-NULL beforehand with [`non_null`]).
pub(crate) fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: checked non-NULL by the caller of this helper; the C caller promises it is
    // writable.
    unsafe { out.write(value) }
}

/// A newly allocated C string for the caller, freed with `skypebus_string_free`.
pub(crate) fn c_string(s: String) -> Result<*mut c_char> {
    CString::new(s)
        .map(CString::into_raw)
        .map_err(|_| Error::new(Kind::Io, "a returned string contains a NUL byte"))
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

/// Frees a byte buffer returned by the library (`skypebus_call_bytes`, `skypebus_call_into`),
/// given with the length the library wrote with it. NULL is a no-op; freeing a buffer twice,
/// with another length, or one not returned by this library is undefined behaviour.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_bytes_free(bytes: *mut u8, len: usize) {
    if !bytes.is_null() {
        // SAFETY: `bytes` and `len` came from `bytes_into_raw`, a leaked `Box<[u8]>` of `len`.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(bytes, len)) });
    }
}

/// Frees a string returned by the library. `skypebus_string_free(NULL)` is a no-op; freeing a
/// string twice, or one not returned by this library, is undefined behaviour. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: `s` came from `CString::into_raw` in `c_string`.
        drop(unsafe { CString::from_raw(s) });
    }
}
