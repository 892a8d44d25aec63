//! The library's version and ABI version.

use std::ffi::c_char;

use super::boundary;
use crate::ABI_VERSION;

/// The library version, e.g. `"0.1.0"`: a static NUL-terminated string that must not be freed.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_version() -> *const c_char {
    boundary!(or = std::ptr::null(), {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

/// The ABI version, equal to the SONAME major of the library (`libskypebus.so.<ABI>`). A caller
/// built against a header with another `SKYPEBUS_ABI_VERSION` must not use this library.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_abi_version() -> u32 {
    boundary!(or = ABI_VERSION, { ABI_VERSION })
}
