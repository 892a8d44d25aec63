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
//! File descriptors (the D-Bus type `h`) travel with the bytes as `SCM_RIGHTS` ancillary data.
//! Both halves say they can pass them, so zbus' handshake asks for `NEGOTIATE_UNIX_FD`; what
//! the bus answers is read off the handshake lines as they go by ([`FdPassing`]), since zbus
//! keeps it to itself. Every read is a `recvmsg` with room for ancillary data (one system call,
//! as the `recv` it replaces), and descriptors arrive close-on-exec (`MSG_CMSG_CLOEXEC`). They
//! wait in a queue until the message they came with is complete; each message then takes as many
//! as its `UNIX_FDS` header field says (fewer is an error that ends the connection), and any left
//! over once the buffer holds no further message are closed. A message that carries descriptors
//! starts a `sendmsg` of its own, with the descriptors attached; others are written together as
//! before.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use zbus::Message;
use zbus::connection::socket::{ReadHalf, Socket, Split, WriteHalf};
use zbus::wire::Endian;
use zbus::wire::serialized::{Context, Data};

use crate::handshake::{self, ClientLines, ServerLines};

/// How many bytes one read may take at most into the buffer.
const READ_BUFFER: usize = 64 * 1024;

/// Most buffers one `sendmsg` takes (the kernel's `IOV_MAX` is 1024).
const MAX_IOV: usize = 512;

use crate::limits::{MAX_FDS_PER_WRITE, MAX_QUEUED_FDS};

/// Room for the ancillary data of one `recvmsg`: `CMSG_SPACE` of `MAX_FDS_PER_WRITE`
/// descriptors, in words so that the buffer is aligned for a `cmsghdr`.
const CMSG_WORDS: usize = (MAX_FDS_PER_WRITE * 4 + 2 * std::mem::size_of::<libc::cmsghdr>())
    .div_ceil(std::mem::size_of::<u64>());

/// Whether the bus agreed to pass file descriptors on this connection (its answer to
/// `NEGOTIATE_UNIX_FD`), known once the connection is open.
#[derive(Debug, Clone, Default)]
pub struct FdPassing(Arc<AtomicBool>);

impl FdPassing {
    /// True when the bus answered `AGREE_UNIX_FD`.
    pub fn agreed(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// A connected unix socket, registered on the current runtime for reading only.
#[derive(Debug)]
pub struct ReadOnlyWatched {
    out: Sender,
    fd_passing: FdPassing,
    tap: Option<Arc<dyn Tap>>,
}

/// What the reader shows each message to before it hands it to zbus: the tap may take the
/// message (the connection's own use of the reply to one of its calls) instead.
pub trait Tap: Send + Sync + std::fmt::Debug {
    /// Takes `msg` (None) or gives it back to be handed to zbus.
    fn take(&self, msg: Message) -> Option<Message>;
}

impl ReadOnlyWatched {
    /// Takes over `stream` (switched to non-blocking mode); must run inside the runtime.
    pub fn new(stream: UnixStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(ReadOnlyWatched {
            out: Sender {
                io: Arc::new(watch(OwnedFd::from(stream), Interest::READABLE)?),
                lock: Arc::new(tokio::sync::Mutex::new(())),
            },
            fd_passing: FdPassing::default(),
            tap: None,
        })
    }

    /// Shows every message read to `tap` first ([`Tap`]).
    pub fn set_tap(&mut self, tap: Arc<dyn Tap>) {
        self.tap = Some(tap);
    }

    /// A sender of whole messages on this socket, for the library's own use next to zbus'
    /// write half ([`Sender::send`]).
    pub fn sender(&self) -> Sender {
        self.out.clone()
    }

    /// What the bus will have answered to `NEGOTIATE_UNIX_FD` once the handshake is done.
    pub fn fd_passing(&self) -> FdPassing {
        self.fd_passing.clone()
    }
}

impl Socket for ReadOnlyWatched {
    type ReadHalf = Reader;
    type WriteHalf = Writer;

    fn split(self) -> Split<Reader, Writer> {
        let answers = handshake::answers();
        Split::new(
            Reader {
                io: self.out.io.clone(),
                buffer: vec![0; READ_BUFFER].into_boxed_slice(),
                start: 0,
                end: 0,
                fds: VecDeque::new(),
                handshake: Some(HandshakeLines {
                    agreed: self.fd_passing,
                    line: Vec::new(),
                    answers: 0,
                }),
                sasl: Some(ServerLines::new(answers.clone())),
                tap: self.tap,
            },
            Writer {
                out: self.out,
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

/// Watches the bus' side of the handshake for its answer to `NEGOTIATE_UNIX_FD`: the second
/// line it sends (the first answers `AUTH`).
#[derive(Debug)]
struct HandshakeLines {
    agreed: FdPassing,
    line: Vec<u8>,
    answers: u8,
}

impl HandshakeLines {
    /// Reads `bytes` handed to the handshake; false once the answer is known (or the lines stop
    /// making sense), when there is nothing more to watch.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            self.line.push(b);
            if b != b'\n' {
                if self.line.len() > 1024 {
                    return false;
                }
                continue;
            }
            self.answers += 1;
            if self.answers == 2 {
                let agreed = self.line == b"AGREE_UNIX_FD\r\n";
                self.agreed.0.store(agreed, Ordering::Release);
                return false;
            }
            self.line.clear();
        }
        true
    }
}

/// The read half: a buffer of what the socket held and zbus has not taken yet, and the
/// descriptors received with it that no message has taken yet.
#[derive(Debug)]
pub struct Reader {
    io: Arc<AsyncFd<OwnedFd>>,
    buffer: Box<[u8]>,
    start: usize,
    end: usize,
    fds: VecDeque<OwnedFd>,
    /// Until the server has said whether it passes descriptors.
    handshake: Option<HandshakeLines>,
    /// The server's authentication lines, until the server has answered them all.
    sasl: Option<ServerLines>,
    /// Sees every message before zbus does.
    tap: Option<Arc<dyn Tap>>,
}

impl Reader {
    /// Fills the buffer when it is empty; false at the end of the stream.
    async fn fill(&mut self) -> io::Result<bool> {
        if self.start == self.end {
            let n = read_into(&self.io, &mut self.buffer, &mut self.fds).await?;
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
        if let Some(watch) = &mut self.handshake
            && !watch.feed(&out[..n])
        {
            self.handshake = None;
        }
        Ok((n, Vec::new()))
    }
}

/// One `recvmsg` into `buf` as soon as the socket is readable; descriptors that came with the
/// bytes go to the end of `fds`. A read that does not fill `buf` and brought no descriptors took
/// everything the socket held, so the readiness is cleared without another read (tokio keeps any
/// readiness that arrived after the wait returned, so no wake-up is lost).
async fn read_into(
    io: &AsyncFd<OwnedFd>,
    buf: &mut [u8],
    fds: &mut VecDeque<OwnedFd>,
) -> io::Result<usize> {
    loop {
        let mut guard = io.readable().await?;
        let queued = fds.len();
        let result = guard.try_io(|fd| recv_with_fds(fd.as_raw_fd(), buf, fds));
        match result {
            Ok(Ok(n)) => {
                // The kernel ends a read after the bytes that came with descriptors, so a short
                // read that brought some may have left more behind.
                if n > 0 && n < buf.len() && fds.len() == queued {
                    guard.clear_ready();
                }
                if fds.len() > MAX_QUEUED_FDS {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "the peer sent more than {MAX_QUEUED_FDS} file descriptors that no \
                             message claims"
                        ),
                    ));
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

/// One non-blocking `recvmsg` of `fd` into `buf`, taking the descriptors of an `SCM_RIGHTS`
/// message into `fds` (close-on-exec).
fn recv_with_fds(fd: i32, buf: &mut [u8], fds: &mut VecDeque<OwnedFd>) -> io::Result<usize> {
    let mut control = [MaybeUninit::<u64>::uninit(); CMSG_WORDS];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: an all-zero msghdr is valid; the iovec points into `buf` and the control buffer
    // is ours, both valid for the lengths given and alive during the call.
    let (n, msg) = unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        let n = libc::recvmsg(fd, &mut msg, libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC);
        (n, msg)
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    if msg.msg_controllen > 0 {
        take_fds(&msg, fds);
        if msg.msg_flags & libc::MSG_CTRUNC != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the peer sent more file descriptors at once than a message may carry; \
                 some were lost",
            ));
        }
    }
    Ok(n as usize)
}

/// Takes ownership of the descriptors of every `SCM_RIGHTS` message of `msg`.
fn take_fds(msg: &libc::msghdr, fds: &mut VecDeque<OwnedFd>) {
    // SAFETY: `msg` was filled by `recvmsg`, so the CMSG_* walk stays inside its control
    // buffer; each descriptor of an SCM_RIGHTS message is a new one this process now owns.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(msg);
        while !cmsg.is_null() {
            let header = &*cmsg;
            if header.cmsg_level == libc::SOL_SOCKET && header.cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg).cast::<i32>();
                let count = (header.cmsg_len as usize - libc::CMSG_LEN(0) as usize) / 4;
                for i in 0..count {
                    fds.push_back(OwnedFd::from_raw_fd(data.add(i).read_unaligned()));
                }
            }
            cmsg = libc::CMSG_NXTHDR(msg, cmsg);
        }
    }
}

impl Reader {
    /// Fills all of `out`, from the buffer first, then from the socket (a part as large as the
    /// buffer is read straight into `out`).
    async fn read_exact(&mut self, mut out: &mut [u8]) -> io::Result<()> {
        while !out.is_empty() {
            if self.start == self.end {
                let n = if out.len() >= self.buffer.len() {
                    read_into(&self.io, out, &mut self.fds).await?
                } else {
                    let n = read_into(&self.io, &mut self.buffer, &mut self.fds).await?;
                    self.start = 0;
                    self.end = n;
                    0
                };
                if n == 0 && self.start == self.end {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the connection was closed in the middle of a message",
                    ));
                }
                out = &mut out[n..];
                continue;
            }
            let n = out.len().min(self.end - self.start);
            out[..n].copy_from_slice(&self.buffer[self.start..self.start + n]);
            self.start += n;
            out = &mut out[n..];
        }
        Ok(())
    }

    /// Puts what the handshake read past its end (the start of the first messages) back in
    /// front of the buffer.
    fn unread(&mut self, bytes: &mut Vec<u8>, fds: &mut Vec<OwnedFd>) {
        for fd in fds.drain(..).rev() {
            self.fds.push_front(fd);
        }
        if bytes.is_empty() {
            return;
        }
        let held = self.end - self.start;
        let mut joined = Vec::with_capacity((bytes.len() + held).max(READ_BUFFER));
        joined.append(bytes);
        joined.extend_from_slice(&self.buffer[self.start..self.end]);
        self.start = 0;
        self.end = joined.len();
        joined.resize(joined.capacity().max(READ_BUFFER), 0);
        self.buffer = joined.into_boxed_slice();
    }

    /// The descriptors of a message, as many as its `UNIX_FDS` header field says, from the front
    /// of the queue.
    fn message_fds(&mut self, bytes: &[u8], ctxt: Context) -> zbus::Result<Vec<OwnedFd>> {
        let data = Data::new(bytes, ctxt);
        let (header, _) = data.deserialize::<zbus::message::Header<'_>>()?;
        let wanted = header.unix_fds().unwrap_or(0) as usize;
        if wanted > self.fds.len() {
            return Err(zbus::Error::InputOutput(Arc::new(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a message declares {wanted} file descriptors but {} arrived with it",
                    self.fds.len()
                ),
            ))));
        }
        Ok(self.fds.drain(..wanted).collect())
    }
}

/// The length of a whole message from its 16-byte primary header, and its byte order; the
/// errors zbus' own reader gives (an unknown byte order, a message longer than the D-Bus
/// maximum).
fn message_length(header: &[u8; 16]) -> zbus::Result<(usize, Endian)> {
    // The same framing as the `incoming` fuzz target's (`message::frame_len`).
    let total = crate::message::frame_len(header)?.unwrap_or(header.len());
    let endian = if header[0] == b'B' {
        Endian::Big
    } else {
        Endian::Little
    };
    Ok((total, endian))
}

#[async_trait::async_trait]
impl ReadHalf for Reader {
    /// The handshake's reads: raw bytes (descriptors stay queued for the messages after it).
    async fn recvmsg(&mut self, out: &mut [u8]) -> io::Result<(usize, Vec<OwnedFd>)> {
        if out.is_empty() {
            return Ok((0, Vec::new()));
        }
        if self.sasl.is_some() {
            return self.recv_handshake(out).await;
        }
        if !self.fill().await? {
            return Ok((0, Vec::new()));
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buffer[self.start..self.start + n]);
        self.start += n;
        Ok((n, Vec::new()))
    }

    /// One whole message: its primary header, then the rest into a buffer of its exact length,
    /// with the descriptors its header declares.
    async fn receive_message(
        &mut self,
        _seq: u64,
        already_received_bytes: &mut Vec<u8>,
        already_received_fds: &mut Vec<OwnedFd>,
    ) -> zbus::Result<Message> {
        self.handshake = None;
        if !already_received_bytes.is_empty() || !already_received_fds.is_empty() {
            self.unread(already_received_bytes, already_received_fds);
        }
        loop {
            let msg = self.read_message().await?;
            match &self.tap {
                Some(tap) => {
                    if let Some(msg) = tap.take(msg) {
                        return Ok(msg);
                    }
                }
                None => return Ok(msg),
            }
        }
    }

    fn can_pass_unix_fd(&self) -> bool {
        true
    }
}

impl Reader {
    /// One whole message: its primary header, then the rest into a buffer of its exact length,
    /// with the descriptors its header declares.
    async fn read_message(&mut self) -> zbus::Result<Message> {
        let mut header = [0u8; 16];
        self.read_exact(&mut header).await?;
        let (total, endian) = message_length(&header)?;
        let mut bytes = Vec::with_capacity(total);
        bytes.extend_from_slice(&header);
        bytes.resize(total, 0);
        self.read_exact(&mut bytes[16..]).await?;
        let ctxt = Context::new(endian, 0);
        let data = if self.fds.is_empty() {
            Data::new(bytes, ctxt)
        } else {
            let fds = self.message_fds(&bytes, ctxt)?;
            if self.start == self.end {
                // Nothing of a further message has arrived, so no further message can claim
                // the descriptors still queued: close them.
                self.fds.clear();
            }
            Data::new_fds(bytes, ctxt, fds)
        };
        // SAFETY: `from_bytes` parses and checks the header as zbus' own reader does; the body is
        // only ever read through checked decoders.
        unsafe { Message::from_bytes(data) }
    }
}

/// The write half: writes straight to the socket.
#[derive(Debug)]
pub struct Writer {
    out: Sender,
    /// The client's authentication commands, until `BEGIN` is written.
    sasl: Option<ClientLines>,
}

/// Writes whole messages to the socket. The write half zbus holds and the library's direct
/// sends (method calls written without a zbus `Message`, see `Connection::start_call_direct`)
/// share one, and its lock, held for the whole of each write of messages, keeps a message from
/// one from being cut by a message from the other.
#[derive(Debug, Clone)]
pub struct Sender {
    io: Arc<AsyncFd<OwnedFd>>,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Sender {
    /// Writes `message`, the bytes of one complete message (without file descriptors), whole,
    /// after any message being written now; waits while the socket is full. Call it only once
    /// the connection is open (its authentication is over).
    pub async fn send(&self, message: &[u8]) -> io::Result<()> {
        let _whole = self.lock.lock().await;
        self.write_all(&[message], &[]).await
    }

    /// Writes as much of `bufs` as the socket takes now, with `fds` attached (as `SCM_RIGHTS`)
    /// when there are any, waiting for room if it takes nothing.
    async fn write_some(&self, bufs: &[IoSlice<'_>], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
        if fds.len() > MAX_FDS_PER_WRITE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a message may carry at most {MAX_FDS_PER_WRITE} file descriptors"),
            ));
        }
        let mut control = [0u64; CMSG_WORDS];
        loop {
            // SAFETY: an all-zero msghdr is valid; the iovecs point into `bufs`, which outlive
            // the call (IoSlice is ABI-compatible with iovec on unix); the control buffer is
            // ours and large enough for `fds.len()` descriptors (checked above).
            let n = unsafe {
                let mut msg: libc::msghdr = std::mem::zeroed();
                msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
                msg.msg_iovlen = bufs.len() as _;
                if !fds.is_empty() {
                    let len = std::mem::size_of_val(fds) as u32;
                    msg.msg_control = control.as_mut_ptr().cast();
                    msg.msg_controllen = libc::CMSG_SPACE(len) as _;
                    let cmsg = libc::CMSG_FIRSTHDR(&msg);
                    (*cmsg).cmsg_level = libc::SOL_SOCKET;
                    (*cmsg).cmsg_type = libc::SCM_RIGHTS;
                    (*cmsg).cmsg_len = libc::CMSG_LEN(len) as _;
                    let data = libc::CMSG_DATA(cmsg).cast::<i32>();
                    for (i, fd) in fds.iter().enumerate() {
                        data.add(i).write_unaligned(fd.as_raw_fd());
                    }
                }
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

    /// Writes all of `parts`, in order, with as few `sendmsg` calls as the socket allows; `fds`
    /// go with the first byte.
    async fn write_all(&self, parts: &[&[u8]], mut fds: &[BorrowedFd<'_>]) -> io::Result<()> {
        let mut index = 0;
        let mut offset = 0;
        while index < parts.len() {
            let mut slices = Vec::with_capacity((parts.len() - index).min(MAX_IOV));
            slices.push(IoSlice::new(&parts[index][offset..]));
            for part in parts.iter().skip(index + 1).take(MAX_IOV - 1) {
                slices.push(IoSlice::new(part));
            }
            let mut written = self.write_some(&slices, fds).await?;
            if written == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the socket took no bytes",
                ));
            }
            fds = &[];
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
        let n = self.out.write_some(&[IoSlice::new(buffer)], fds).await?;
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

    /// Messages without descriptors go out together; one with descriptors starts a write of its
    /// own, which carries them.
    async fn send_messages(&mut self, msgs: &[Message]) -> zbus::Result<()> {
        let _whole = self.out.lock.lock().await;
        let mut first = 0;
        while first < msgs.len() {
            let run = msgs[first + 1..]
                .iter()
                .position(|m| !m.data().fds().is_empty())
                .map_or(msgs.len(), |p| first + 1 + p);
            let fds: Vec<BorrowedFd<'_>> =
                msgs[first].data().fds().iter().map(AsFd::as_fd).collect();
            let parts: Vec<&[u8]> = msgs[first..run].iter().map(|m| &**m.data()).collect();
            self.out.write_all(&parts, &fds).await?;
            first = run;
        }
        Ok(())
    }

    async fn close(&mut self) -> io::Result<()> {
        // SAFETY: shutting down an open descriptor; the descriptor itself stays open (and
        // registered) until the last half is dropped.
        if unsafe { libc::shutdown(self.out.io.as_raw_fd(), libc::SHUT_RDWR) } < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::ENOTCONN) {
                return Err(e);
            }
        }
        Ok(())
    }

    fn can_pass_unix_fd(&self) -> bool {
        true
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

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek, Write};
    use std::os::fd::{AsFd, OwnedFd};
    use std::os::unix::net::UnixStream;

    use zbus::Message;
    use zbus::connection::socket::{ReadHalf, Socket, WriteHalf};
    use zbus::wire::Fd;

    use super::ReadOnlyWatched;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A file holding `text`, rewound.
    fn file_with(text: &str) -> std::fs::File {
        let path = std::env::temp_dir().join(format!(
            "skypebus-socket-test-{}-{text}",
            std::process::id()
        ));
        let mut f = std::fs::File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f.rewind().unwrap();
        f
    }

    fn call_with(fds: &[&std::fs::File]) -> Message {
        let body: Vec<Fd<'_>> = fds.iter().map(|f| Fd::from(f.as_fd())).collect();
        Message::method_call("/", "Take").build(&(body,)).unwrap()
    }

    fn plain_call() -> Message {
        Message::method_call("/", "Plain").build(&()).unwrap()
    }

    fn read_all(fd: &OwnedFd) -> String {
        let mut f = std::fs::File::from(fd.try_clone().unwrap());
        f.rewind().unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        s
    }

    fn is_cloexec(fd: std::os::fd::BorrowedFd<'_>) -> bool {
        use std::os::fd::AsRawFd;
        // SAFETY: F_GETFD on an open descriptor.
        let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
        flags & libc::FD_CLOEXEC != 0
    }

    /// Messages with and without descriptors, written in one go, come out each with exactly
    /// its own descriptors (close-on-exec), whatever the reads brought them with.
    #[test]
    fn descriptors_travel_with_their_messages() {
        runtime().block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            let (_, mut writer) = ReadOnlyWatched::new(a).unwrap().split().take();
            let (mut reader, _) = ReadOnlyWatched::new(b).unwrap().split().take();
            let (one, two, three) = (file_with("one"), file_with("two"), file_with("three"));
            let msgs = [
                plain_call(),
                call_with(&[&one]),
                plain_call(),
                call_with(&[&two, &three]),
                call_with(&[&one]),
            ];
            writer.send_messages(&msgs).await.unwrap();
            let mut got = Vec::new();
            for _ in 0..msgs.len() {
                // A read ends after the bytes that came with descriptors: the rest must still be
                // read without a new wake-up of the socket.
                let (mut early, mut early_fds) = (Vec::new(), Vec::new());
                let next = reader.receive_message(0, &mut early, &mut early_fds);
                let m = tokio::time::timeout(std::time::Duration::from_secs(10), next)
                    .await
                    .expect("every message arrives")
                    .unwrap();
                let texts: Vec<String> = m
                    .data()
                    .fds()
                    .iter()
                    .map(|fd| {
                        assert!(
                            is_cloexec(fd.as_fd()),
                            "received descriptors are close-on-exec"
                        );
                        read_all(&fd.as_fd().try_clone_to_owned().unwrap())
                    })
                    .collect();
                got.push(texts);
            }
            assert_eq!(
                got,
                vec![
                    vec![],
                    vec!["one".to_owned()],
                    vec![],
                    vec!["two".to_owned(), "three".to_owned()],
                    vec!["one".to_owned()],
                ]
            );
        });
    }
}

#[cfg(test)]
mod bad_peers {
    use std::io::Read;
    use std::os::fd::{AsFd, BorrowedFd};
    use std::os::unix::net::UnixStream;

    use zbus::Message;
    use zbus::connection::socket::{ReadHalf, Socket};
    use zbus::wire::Fd;

    use super::{ReadOnlyWatched, Writer};

    fn pair() -> (Writer, super::Reader) {
        let (a, b) = UnixStream::pair().unwrap();
        let (_, writer) = ReadOnlyWatched::new(a).unwrap().split().take();
        let (reader, _) = ReadOnlyWatched::new(b).unwrap().split().take();
        (writer, reader)
    }

    fn with_fds(n: usize, fd: BorrowedFd<'_>) -> Message {
        let body: Vec<Fd<'_>> = (0..n).map(|_| Fd::from(fd)).collect();
        Message::method_call("/", "Take").build(&(body,)).unwrap()
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A message that declares more descriptors than came with it is an error.
    #[test]
    fn missing_descriptors_are_an_error() {
        runtime().block_on(async {
            let (writer, mut reader) = pair();
            let (r, _w) = std::io::pipe().unwrap();
            let msg = with_fds(2, r.as_fd());
            writer
                .out
                .write_all(&[&**msg.data()], &[r.as_fd()])
                .await
                .unwrap();
            let err = reader
                .receive_message(0, &mut Vec::new(), &mut Vec::new())
                .await
                .unwrap_err();
            assert!(
                err.to_string()
                    .contains("declares 2 file descriptors but 1 arrived"),
                "{err}"
            );
        });
    }

    /// Descriptors that no message claims are closed once nothing further has arrived: the
    /// write end of a pipe sent along with a plain message is closed, so the read end sees the
    /// end of the pipe once the test drops its own write end.
    #[test]
    fn unclaimed_descriptors_are_closed() {
        runtime().block_on(async {
            let (writer, mut reader) = pair();
            let (mut r, w) = std::io::pipe().unwrap();
            let plain = Message::method_call("/", "Plain").build(&()).unwrap();
            writer
                .out
                .write_all(&[&**plain.data()], &[w.as_fd()])
                .await
                .unwrap();
            drop(w);
            let got = reader
                .receive_message(0, &mut Vec::new(), &mut Vec::new())
                .await
                .unwrap();
            assert!(got.data().fds().is_empty());
            use std::os::fd::AsRawFd;
            // SAFETY: F_SETFL on an open descriptor: a read of a pipe still open fails at once
            // (WouldBlock) instead of hanging the test.
            unsafe { libc::fcntl(r.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
            let mut rest = [0u8; 1];
            assert_eq!(r.read(&mut rest).unwrap(), 0, "the pipe is at its end");
        });
    }
}
