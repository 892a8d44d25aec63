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
    let Ok(raw) = i32::try_from(fd) else {
        return Err(not_open(fd));
    };
    if raw < 0 {
        return Err(not_open(fd));
    }
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
    /// False: write the index itself (for looking into a body, never for output to users).
    duplicate: bool,
    taken: Vec<OwnedFd>,
}

impl<'m> ReceivedFds<'m> {
    /// Decoding for output: every `h` becomes a new descriptor of the receiver.
    pub fn duplicating(fds: Vec<BorrowedFd<'m>>) -> Self {
        ReceivedFds {
            fds,
            duplicate: true,
            taken: Vec::new(),
        }
    }

    /// Decoding to look into a body (matching, checking): an `h` is written as its index.
    pub fn indexes() -> Self {
        ReceivedFds::default()
    }

    /// The JSON number for the `h` with wire index `index`.
    pub(crate) fn take(&mut self, index: u32) -> Result<i64> {
        if !self.duplicate {
            return Ok(i64::from(index));
        }
        let Some(fd) = self.fds.get(index as usize) else {
            return Err(Error::invalid_message(format!(
                "unix fd index {index} is out of range: the message carries {} file descriptor{}",
                self.fds.len(),
                if self.fds.len() == 1 { "" } else { "s" }
            )));
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
    pub fn release(mut self) {
        for fd in self.taken.drain(..) {
            let _ = fd.into_raw_fd();
        }
    }
}
