//! The socket of a bus connection over a unix address: watched for reading only.
//!
//! zbus registers the sockets it opens for both reading and writing readiness, edge-triggered.
//! A unix socket then reports "writable" each time the peer takes bytes out of it, so a client
//! that has written a call and waits for its reply is woken first when the bus daemon reads the
//! call, goes back to sleep, and is woken again by the reply: one more wake-up and two more
//! `epoll_wait`s per call. On a machine whose cores are shared by the client, the bus daemon and
//! the service, that extra wake-up competes with the service for a core and lengthens every
//! round trip (bench/README.md, docs/driving.md).
//!
//! This socket registers for readability only. Writes go straight to the non-blocking socket; in
//! the rare case that the socket buffer is full (a message of hundreds of KiB, or a peer that
//! does not read), a second registration of a duplicate descriptor waits for writability and is
//! dropped once the write went through. Reads take as much as the socket holds into a buffer and
//! hand it out to zbus' message reader, so one `recv` usually brings a whole message, and a short
//! read ends the wait for more without a further `recv` that would only say "nothing left".
//!
//! While the client authenticates, the reader hands zbus the server's bytes one line at a time
//! and checks them (`crate::handshake`): zbus' own reading of those lines has no bound and
//! panics on a bare line feed.
//!
//! File descriptors are not passed (the mapping's `h` is not supported), so the connection does
//! not negotiate them.

use std::io::{self, IoSlice};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use zbus::Message;
use zbus::connection::socket::{ReadHalf, Socket, Split, WriteHalf};

use crate::handshake::{self, ClientLines, ServerLines};

/// How many bytes one read may take at most into the buffer.
const READ_BUFFER: usize = 64 * 1024;

/// Most buffers one `sendmsg` takes (the kernel's `IOV_MAX` is 1024).
const MAX_IOV: usize = 512;

/// A connected unix socket, registered on the current runtime for reading only.
#[derive(Debug)]
pub struct ReadOnlyWatched {
    io: Arc<AsyncFd<OwnedFd>>,
}

impl ReadOnlyWatched {
    /// Takes over `stream` (switched to non-blocking mode); must run inside the runtime.
    pub fn new(stream: UnixStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(ReadOnlyWatched {
            io: Arc::new(watch(OwnedFd::from(stream), Interest::READABLE)?),
        })
    }
}

impl Socket for ReadOnlyWatched {
    type ReadHalf = Reader;
    type WriteHalf = Writer;

    fn split(self) -> Split<Reader, Writer> {
        let answers = handshake::answers();
        Split::new(
            Reader {
                io: self.io.clone(),
                buffer: vec![0; READ_BUFFER].into_boxed_slice(),
                start: 0,
                end: 0,
                sasl: Some(ServerLines::new(answers.clone())),
            },
            Writer {
                io: self.io,
                sasl: Some(ClientLines::new(answers)),
            },
        )
    }
}

/// Registers `fd` on the current runtime for `interest`.
fn watch(fd: OwnedFd, interest: Interest) -> io::Result<AsyncFd<OwnedFd>> {
    // SAFETY: the `AsyncFd` owns `fd`, so the descriptor stays open and the same for as long
    // as the registration lives.
    Ok(unsafe { AsyncFd::register_with_interest(fd, interest) }?)
}

/// The read half: a buffer of what the socket held and zbus has not taken yet.
#[derive(Debug)]
pub struct Reader {
    io: Arc<AsyncFd<OwnedFd>>,
    buffer: Box<[u8]>,
    start: usize,
    end: usize,
    /// The server's authentication lines, until the server has answered them all.
    sasl: Option<ServerLines>,
}

impl Reader {
    /// Fills the buffer when it is empty; false at the end of the stream.
    async fn fill(&mut self) -> io::Result<bool> {
        if self.start == self.end {
            let n = read_into(&self.io, &mut self.buffer).await?;
            if n == 0 {
                return Ok(false);
            }
            self.start = 0;
            self.end = n;
        }
        Ok(true)
    }

    /// [`ReadHalf::recvmsg`] while the client authenticates: at most the rest of one line of
    /// the server's, checked.
    async fn recv_handshake(&mut self, out: &mut [u8]) -> io::Result<(usize, Vec<OwnedFd>)> {
        if !self.fill().await? {
            return Ok((0, Vec::new()));
        }
        let limit = out.len().min(self.end - self.start);
        let Some(lines) = &mut self.sasl else {
            return Ok((0, Vec::new()));
        };
        let n = lines.take(&self.buffer[self.start..self.start + limit])?;
        if lines.done() {
            self.sasl = None;
        }
        out[..n].copy_from_slice(&self.buffer[self.start..self.start + n]);
        self.start += n;
        Ok((n, Vec::new()))
    }
}

/// One `recv` into `buf` as soon as the socket is readable. A read that does not fill `buf`
/// took everything the socket held, so the readiness is cleared without another `recv` (tokio
/// keeps any readiness that arrived after the wait returned, so no wake-up is lost).
async fn read_into(io: &AsyncFd<OwnedFd>, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        let mut guard = io.readable().await?;
        let result = guard.try_io(|fd| {
            // SAFETY: `buf` is valid for `buf.len()` writable bytes; the descriptor is open for
            // as long as `io` lives.
            let n = unsafe {
                libc::recv(
                    fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        });
        match result {
            Ok(Ok(n)) => {
                if n > 0 && n < buf.len() {
                    guard.clear_ready();
                }
                return Ok(n);
            }
            Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Ok(Err(e)) => return Err(e),
            // WouldBlock: the readiness was cleared by `try_io`; wait again.
            Err(_) => {}
        }
    }
}

#[async_trait::async_trait]
impl ReadHalf for Reader {
    async fn recvmsg(&mut self, out: &mut [u8]) -> io::Result<(usize, Vec<OwnedFd>)> {
        if out.is_empty() {
            return Ok((0, Vec::new()));
        }
        if self.sasl.is_some() {
            return self.recv_handshake(out).await;
        }
        // A large remainder of a message goes straight to its destination.
        if self.start == self.end && out.len() >= self.buffer.len() {
            let n = read_into(&self.io, out).await?;
            return Ok((n, Vec::new()));
        }
        if !self.fill().await? {
            return Ok((0, Vec::new()));
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buffer[self.start..self.start + n]);
        self.start += n;
        Ok((n, Vec::new()))
    }

    fn can_pass_unix_fd(&self) -> bool {
        false
    }
}

/// The write half: writes straight to the socket.
#[derive(Debug)]
pub struct Writer {
    io: Arc<AsyncFd<OwnedFd>>,
    /// The client's authentication commands, until `BEGIN` is written.
    sasl: Option<ClientLines>,
}

impl Writer {
    /// Writes as much of `bufs` as the socket takes now, waiting for room if it takes nothing.
    async fn write_some(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        loop {
            // SAFETY: an all-zero msghdr is valid; the iovecs point into `bufs`, which outlive
            // the call (IoSlice is ABI-compatible with iovec on unix).
            let n = unsafe {
                let mut msg: libc::msghdr = std::mem::zeroed();
                msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
                msg.msg_iovlen = bufs.len() as _;
                libc::sendmsg(
                    self.io.as_raw_fd(),
                    &msg,
                    libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::WouldBlock => self.wait_writable().await?,
                _ => return Err(e),
            }
        }
    }

    /// Waits until the socket has room, through a registration of a duplicate descriptor that
    /// lives only for this wait (registering reports a socket that is writable already).
    async fn wait_writable(&self) -> io::Result<()> {
        let dup = self.io.get_ref().try_clone()?;
        let writable = watch(dup, Interest::WRITABLE)?;
        let _ready = writable.writable().await?;
        Ok(())
    }

    /// Writes all of `parts`, in order, with as few `sendmsg` calls as the socket allows.
    async fn write_all(&self, parts: &[&[u8]]) -> io::Result<()> {
        let mut index = 0;
        let mut offset = 0;
        while index < parts.len() {
            let mut slices = Vec::with_capacity((parts.len() - index).min(MAX_IOV));
            slices.push(IoSlice::new(&parts[index][offset..]));
            for part in parts.iter().skip(index + 1).take(MAX_IOV - 1) {
                slices.push(IoSlice::new(part));
            }
            let mut written = self.write_some(&slices).await?;
            if written == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the socket took no bytes",
                ));
            }
            while index < parts.len() && written > 0 {
                let left = parts[index].len() - offset;
                if written >= left {
                    written -= left;
                    index += 1;
                    offset = 0;
                } else {
                    offset += written;
                    written = 0;
                }
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl WriteHalf for Writer {
    async fn sendmsg(&mut self, buffer: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
        if !fds.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "this connection does not pass file descriptors",
            ));
        }
        let n = self.write_some(&[IoSlice::new(buffer)]).await?;
        if let Some(lines) = &mut self.sasl {
            lines.wrote(&buffer[..n]);
            if lines.done() {
                self.sasl = None;
            }
        }
        Ok(n)
    }

    async fn send_message(&mut self, msg: &Message) -> zbus::Result<()> {
        self.send_messages(std::slice::from_ref(msg)).await
    }

    async fn send_messages(&mut self, msgs: &[Message]) -> zbus::Result<()> {
        if msgs.iter().any(|m| !m.data().fds().is_empty()) {
            return Err(zbus::Error::Unsupported);
        }
        let parts: Vec<&[u8]> = msgs.iter().map(|m| &**m.data()).collect();
        self.write_all(&parts).await?;
        Ok(())
    }

    async fn close(&mut self) -> io::Result<()> {
        // SAFETY: shutting down an open descriptor; the descriptor itself stays open (and
        // registered) until the last half is dropped.
        if unsafe { libc::shutdown(self.io.as_raw_fd(), libc::SHUT_RDWR) } < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::ENOTCONN) {
                return Err(e);
            }
        }
        Ok(())
    }

    fn can_pass_unix_fd(&self) -> bool {
        false
    }
}

/// Connects to a bus at a `unix:path=` or `unix:abstract=` address with a socket of this module.
/// `Ok(None)` for any other address (zbus' socket serves those); a connect that fails is the
/// error (the caller names the address in it).
pub fn connect(address: &zbus::Address) -> io::Result<Option<ReadOnlyWatched>> {
    use zbus::address::transport::{Transport, UnixSocket};
    let Transport::Unix(unix) = address.transport() else {
        return Ok(None);
    };
    let stream = match unix.path() {
        UnixSocket::File(path) => UnixStream::connect(path)?,
        UnixSocket::Abstract(name) => {
            use std::os::linux::net::SocketAddrExt;
            use std::os::unix::ffi::OsStrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            UnixStream::connect_addr(&addr)?
        }
        _ => return Ok(None),
    };
    ReadOnlyWatched::new(stream).map(Some)
}

/// Whether unix-address buses use zbus' socket instead of this one: only in a build with the
/// `io-experiments` cargo feature, with `SKYPEBUS_SOCKET=zbus` set (for the comparisons of
/// docs/driving.md). A default build reads no environment variable and always uses this one.
pub fn zbus_socket_selected() -> bool {
    #[cfg(feature = "io-experiments")]
    if std::env::var_os("SKYPEBUS_SOCKET").is_some_and(|v| v == "zbus") {
        return true;
    }
    false
}
