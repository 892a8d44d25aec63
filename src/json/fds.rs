//! Unix file descriptors (`h`) in the mapping. On the wire an `h` is an index into the
//! descriptors that travel with the message; in JSON it is a descriptor number of the process.
//!
//! - Sending: a JSON integer is a descriptor the caller keeps; the encoder duplicates it
//!   (close-on-exec) into the message's list ([`dup`]), and the duplicates close with the
//!   message.
//! - Receiving: the message owns what arrived with it; each `h` decoded is duplicated
//!   (close-on-exec) and the duplicate's number written. [`ReceivedFds`] holds the duplicates
//!   until [`ReceivedFds::release`] hands them to whoever gets the JSON: if decoding fails or the
//!   JSON is never handed out, they are closed.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};

use crate::error::{Error, Result};

/// Most descriptors one message may carry (Linux' `SCM_MAX_FD`).
pub const MAX_MESSAGE_FDS: usize = 253;

/// A close-on-exec duplicate of the descriptor `fd` (a number the caller keeps).
pub fn dup(fd: i64) -> Result<OwnedFd> {
    let raw = raw(fd)?;
    // SAFETY: F_DUPFD_CLOEXEC only reads the descriptor table; a number that is not open fails
    // with EBADF and touches nothing.
    let new = unsafe { libc::fcntl(raw, libc::F_DUPFD_CLOEXEC, 0) };
    if new < 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EBADF) {
            return Err(not_open(fd));
        }
        return Err(Error::new(
            crate::error::Kind::Io,
            format!("cannot duplicate file descriptor {fd}: {e}"),
        ));
    }
    // SAFETY: `new` is a descriptor fcntl just created, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// `fd` as a descriptor number: 0 to `i32::MAX`.
fn raw(fd: i64) -> Result<i32> {
    match i32::try_from(fd) {
        Ok(raw) if raw >= 0 => Ok(raw),
        _ => Err(not_open(fd)),
    }
}

fn not_open(fd: i64) -> Error {
    Error::type_mismatch(format!(
        "expected unix fd 'h' (an open file descriptor), got {fd} which is not an open file \
         descriptor of this process"
    ))
}

/// The descriptors a received message carries, for decoding its `h` values.
#[derive(Debug, Default)]
pub struct ReceivedFds<'m> {
    fds: Vec<BorrowedFd<'m>>,
    /// False: write the index itself (for looking into a body, or handing it over as it is).
    duplicate: bool,
    /// With `duplicate` false: the number of descriptors an index must be below (None: any).
    bound: Option<usize>,
    taken: Vec<OwnedFd>,
}

impl<'m> ReceivedFds<'m> {
    /// Decoding for output: every `h` becomes a new descriptor of the receiver.
    pub fn duplicating(fds: Vec<BorrowedFd<'m>>) -> Self {
        ReceivedFds {
            fds,
            duplicate: true,
            bound: None,
            taken: Vec::new(),
        }
    }

    /// Decoding to look into a body (matching, checking): an `h` is written as its index.
    pub fn indexes() -> Self {
        ReceivedFds::default()
    }

    /// Decoding to hand a body over as it is, with its descriptors beside it: an `h` is
    /// written as its index, which must be below `count` (the descriptors the message carries).
    pub fn checking(count: usize) -> Self {
        ReceivedFds {
            bound: Some(count),
            ..ReceivedFds::default()
        }
    }

    /// The JSON number for the `h` with wire index `index`.
    pub(crate) fn take(&mut self, index: u32) -> Result<i64> {
        if !self.duplicate {
            return match self.bound {
                Some(count) if index as usize >= count => Err(out_of_range(index, count)),
                _ => Ok(i64::from(index)),
            };
        }
        let Some(fd) = self.fds.get(index as usize) else {
            return Err(out_of_range(index, self.fds.len()));
        };
        let owned = dup(i64::from(fd.as_raw_fd()))?;
        let n = i64::from(owned.as_raw_fd());
        self.taken.push(owned);
        Ok(n)
    }

    /// Whether any descriptor was duplicated.
    pub fn is_empty(&self) -> bool {
        self.taken.is_empty()
    }

    /// Hands the duplicates to the receiver of the decoded JSON: from now on they are its to
    /// close.
    pub fn release(self) {
        release(self.taken);
    }

    /// The duplicates, still owned: for a text handed out later (or never, and then they
    /// close), with [`release`] when it is.
    pub fn into_owned(self) -> Vec<OwnedFd> {
        self.taken
    }
}

fn out_of_range(index: u32, count: usize) -> Error {
    Error::invalid_message(format!(
        "unix fd index {index} is out of range: the message carries {count} file descriptor{}",
        if count == 1 { "" } else { "s" }
    ))
}

/// Hands descriptors kept with a decoded text ([`ReceivedFds::into_owned`]) to its receiver.
pub fn release(fds: Vec<OwnedFd>) {
    for fd in fds {
        let _ = fd.into_raw_fd();
    }
}

/// Opens `path` the way `fopen(path, mode)` would (`r`, `r+`, `w`, `w+`, `a`, `a+`, `x`, `x+`,
/// `c`, `c+`; `b`, `t` and `e` are accepted and change nothing), close-on-exec, created files
/// with mode 0666 less the umask. The caller owns the descriptor.
pub fn open(path: &str, mode: &str) -> Result<OwnedFd> {
    let flags = open_flags(mode)?;
    let c_path = std::ffi::CString::new(path)
        .map_err(|_| Error::invalid_request(format!("path {path:?} contains a NUL byte")))?;
    // SAFETY: `c_path` is a NUL-terminated string that lives for the call; open() only reads it.
    let fd = unsafe {
        libc::open(
            c_path.as_ptr(),
            flags | libc::O_CLOEXEC,
            0o666 as libc::c_uint,
        )
    };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        return Err(Error::new(
            crate::error::Kind::Io,
            format!("cannot open {path:?} (mode {mode:?}): {e}"),
        ));
    }
    // SAFETY: `fd` is a descriptor open() just created, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The open(2) flags of an fopen(3) mode.
fn open_flags(mode: &str) -> Result<libc::c_int> {
    let bad = || {
        Error::invalid_request(format!(
            "mode {mode:?} is not a mode of fopen: r, r+, w, w+, a, a+, x, x+, c or c+ (with b, t \
             or e)"
        ))
    };
    let mut chars = mode.chars();
    let base = match chars.next() {
        Some('r') => 0,
        Some('w') => libc::O_CREAT | libc::O_TRUNC,
        Some('a') => libc::O_CREAT | libc::O_APPEND,
        Some('x') => libc::O_CREAT | libc::O_EXCL,
        Some('c') => libc::O_CREAT,
        _ => return Err(bad()),
    };
    let mut plus = false;
    for c in chars {
        match c {
            '+' if !plus => plus = true,
            'b' | 't' | 'e' => {}
            _ => return Err(bad()),
        }
    }
    let access = match (plus, mode.starts_with('r')) {
        (true, _) => libc::O_RDWR,
        (false, true) => libc::O_RDONLY,
        (false, false) => libc::O_WRONLY,
    };
    Ok(base | access)
}

/// Closes the descriptor `fd` of the caller (a number it owns).
pub fn close(fd: i64) -> Result<()> {
    let raw = raw(fd)?;
    // SAFETY: the caller hands over a descriptor it owns; close() of a number that is not open
    // fails with EBADF and touches nothing.
    if unsafe { libc::close(raw) } < 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EBADF) {
            return Err(not_open(fd));
        }
        // Any other error (EINTR, EIO): Linux has released the number already.
        return Err(Error::new(
            crate::error::Kind::Io,
            format!("closing file descriptor {fd}: {e}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fopen_modes_give_open_flags() {
        use libc::{
            O_APPEND as A, O_CREAT as C, O_EXCL as X, O_RDONLY, O_RDWR, O_TRUNC as T, O_WRONLY,
        };
        for (mode, want) in [
            ("r", O_RDONLY),
            ("rb", O_RDONLY),
            ("r+", O_RDWR),
            ("r+b", O_RDWR),
            ("rb+", O_RDWR),
            ("w", O_WRONLY | C | T),
            ("w+", O_RDWR | C | T),
            ("a", O_WRONLY | C | A),
            ("a+", O_RDWR | C | A),
            ("x", O_WRONLY | C | X),
            ("c+e", O_RDWR | C),
        ] {
            assert_eq!(open_flags(mode).unwrap(), want, "{mode}");
        }
        for mode in ["", "q", "r++", "+r", "rw", "R"] {
            assert!(open_flags(mode).is_err(), "{mode:?}");
        }
    }

    #[test]
    fn open_dup_close() {
        let dir = std::env::temp_dir().join(format!("skypebus-fds-{}", std::process::id()));
        let path = dir.to_str().unwrap().to_owned();
        let fd = open(&path, "w").unwrap();
        // SAFETY: F_GETFD only reads the descriptor's flags.
        assert_eq!(
            unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) },
            libc::FD_CLOEXEC
        );
        let copy = dup(i64::from(fd.as_raw_fd())).unwrap();
        close(i64::from(copy.into_raw_fd())).unwrap();
        let n = i64::from(fd.into_raw_fd());
        close(n).unwrap();
        assert_eq!(close(n).unwrap_err().kind, crate::error::Kind::TypeMismatch);
        assert_eq!(
            close(-1).unwrap_err().kind,
            crate::error::Kind::TypeMismatch
        );
        assert_eq!(open(&path, "x").unwrap_err().kind, crate::error::Kind::Io);
        assert_eq!(
            open("a\0b", "r").unwrap_err().kind,
            crate::error::Kind::InvalidRequest
        );
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(open(&path, "r").unwrap_err().kind, crate::error::Kind::Io);
    }
}
