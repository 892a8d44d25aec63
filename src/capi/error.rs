//! The error object of `*err`, and freeing what the library hands out (strings, buffers).

use std::ffi::{CString, c_char};

use super::{Handle, boundary};
use crate::error::{Error, skypebus_result};

/// The opaque error object handed to C callers. Created by the library, freed by the caller with
/// `skypebus_error_free`.
#[allow(non_camel_case_types)]
pub struct skypebus_error {
    _private: [u8; 0],
}

/// What a `skypebus_error` is: an [`Error`] with its strings ready for C.
pub(crate) struct ErrorObject {
    code: skypebus_result,
    name: CString,
    message: CString,
    skype_code: i64,
}

impl Handle for skypebus_error {
    type Rust = ErrorObject;
}

/// A C string from Rust text; interior NUL bytes (which D-Bus strings cannot carry, but our own
/// messages might quote) are replaced so nothing is cut off silently.
fn lossless_cstring(s: &str) -> CString {
    match CString::new(s) {
        Ok(c) => c,
        Err(_) => CString::new(s.replace('\0', "\\0")).unwrap_or_default(),
    }
}

impl From<&Error> for ErrorObject {
    fn from(e: &Error) -> Self {
        ErrorObject {
            code: e.code(),
            name: lossless_cstring(&e.name),
            message: lossless_cstring(&e.message),
            skype_code: e.skype_code,
        }
    }
}

/// The result code of an error. Returns `SKYPEBUS_NULL_ARGUMENT` for a NULL `err` (and
/// `SKYPEBUS_PANIC` should the library panic).
///
/// `err` is borrowed for the duration of the call. Thread-safe: an error may be read from any
/// thread, but must not be freed concurrently.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_error_code(err: *const skypebus_error) -> skypebus_result {
    boundary!(or = skypebus_result::SKYPEBUS_PANIC, {
        skypebus_error::borrow(err).map_or(skypebus_result::SKYPEBUS_NULL_ARGUMENT, |e| e.code)
    })
}

/// The D-Bus error name, e.g. `org.freedesktop.DBus.Error.ServiceUnknown` or
/// `net.skypebus.Error.TypeMismatch`. Returns NULL for a NULL `err` (and should the library
/// panic).
///
/// The returned string is borrowed from `err` and valid until `skypebus_error_free(err)`; do not
/// free it. Thread-safe as `skypebus_error_code`.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_error_name(err: *const skypebus_error) -> *const c_char {
    boundary!(or = std::ptr::null(), {
        skypebus_error::borrow(err).map_or(std::ptr::null(), |e| e.name.as_ptr())
    })
}

/// The human-readable error message (for a D-Bus error reply, its exact message). Returns NULL
/// for a NULL `err` (and should the library panic).
///
/// The returned string is borrowed from `err` and valid until `skypebus_error_free(err)`; do not
/// free it. Thread-safe as `skypebus_error_code`.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_error_message(err: *const skypebus_error) -> *const c_char {
    boundary!(or = std::ptr::null(), {
        skypebus_error::borrow(err).map_or(std::ptr::null(), |e| e.message.as_ptr())
    })
}

/// The Skype API error code (`ERROR <code> <text>`) of a `SKYPEBUS_SKYPE_ERROR`, 0 for every
/// other error, for a NULL `err` (and should the library panic). Thread-safe as
/// `skypebus_error_code`.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_error_skype_code(err: *const skypebus_error) -> i64 {
    boundary!(or = 0, {
        skypebus_error::borrow(err).map_or(0, |e| e.skype_code)
    })
}

/// Frees an error. `skypebus_error_free(NULL)` is a no-op; freeing twice is undefined behaviour.
/// Strings borrowed from the error become invalid.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_error_free(err: *mut skypebus_error) {
    boundary!(or = (), { skypebus_error::free(err) })
}

/// Frees a byte buffer returned by the library (`skypebus_call_bytes`, `skypebus_call_into`),
/// given with the length the library wrote with it. NULL is a no-op; freeing a buffer twice,
/// with another length, or one not returned by this library is undefined behaviour.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_bytes_free(bytes: *mut u8, len: usize) {
    boundary!(or = (), {
        if !bytes.is_null() {
            // SAFETY: `bytes` and `len` came from `bytes_into_raw`, a leaked `Box<[u8]>` of
            // `len` bytes.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(bytes, len)) });
        }
    })
}

/// Frees a string returned by the library. `skypebus_string_free(NULL)` is a no-op; freeing a
/// string twice, or one not returned by this library, is undefined behaviour. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_string_free(s: *mut c_char) {
    boundary!(or = (), {
        if !s.is_null() {
            // SAFETY: `s` came from `CString::into_raw` in `c_string`.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}
