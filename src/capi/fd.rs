//! File descriptors for bindings that cannot make them (PHP has no call that gives a
//! descriptor number): open a path, duplicate and close a number. The numbers are the ones `h`
//! values carry in JSON (docs/fds.md).

use std::ffi::c_char;
use std::os::fd::IntoRawFd;

use super::{boundary, non_null, str_from_c, write_out};
use crate::error::skypebus_result;
use crate::json::fds;

use super::error::skypebus_error;

/// Opens the file at `path` as `fopen(path, mode)` would and writes the new descriptor to
/// `*fd_out`: `mode` is `r`, `r+`, `w`, `w+`, `a`, `a+`, `x`, `x+`, `c` or `c+` (`b`, `t`, `e`
/// accepted, without effect); the descriptor is close-on-exec, a created file gets mode 0666
/// less the umask. The caller owns the descriptor and closes it (`close()` or
/// `skypebus_fd_close`). `path` and `mode` are borrowed for the call. A mode that is none of
/// these gives `SKYPEBUS_INVALID_REQUEST`, a file that cannot be opened `SKYPEBUS_IO_ERROR`
/// (the message says why); NULL `path`, `mode` or `fd_out` gives `SKYPEBUS_NULL_ARGUMENT`.
/// `*fd_out` is written only on success. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_fd_open(
    path: *const c_char,
    mode: *const c_char,
    fd_out: *mut i32,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let path = str_from_c(path, "path")?;
        let mode = str_from_c(mode, "mode")?;
        non_null(fd_out, "fd_out")?;
        let fd = fds::open(path, mode)?;
        write_out(fd_out, fd.into_raw_fd());
        Ok(())
    })
}

/// Duplicates the descriptor `fd` (close-on-exec, the lowest free number) and writes the new
/// one to `*fd_out`; `fd` stays the caller's, and so is the duplicate, to close. A number that
/// is not an open descriptor gives `SKYPEBUS_TYPE_MISMATCH`, a full descriptor table
/// `SKYPEBUS_IO_ERROR`; NULL `fd_out` gives `SKYPEBUS_NULL_ARGUMENT`. `*fd_out` is written only
/// on success. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_fd_dup(
    fd: i32,
    fd_out: *mut i32,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        non_null(fd_out, "fd_out")?;
        let copy = fds::dup(i64::from(fd))?;
        write_out(fd_out, copy.into_raw_fd());
        Ok(())
    })
}

/// Closes the descriptor `fd`, which the caller owns (one the library handed out in an `h`
/// value, or one from `skypebus_fd_open` or `skypebus_fd_dup`). A number that is not an open
/// descriptor gives `SKYPEBUS_TYPE_MISMATCH`; another failure of close(2) gives
/// `SKYPEBUS_IO_ERROR` (the number is released all the same, as Linux does). Thread-safe, but
/// as with close(2), a number must be closed once: another thread may be given it again at once.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_fd_close(fd: i32, err: *mut *mut skypebus_error) -> skypebus_result {
    boundary!(err = err, { fds::close(i64::from(fd)) })
}
