//! Connections: the transport. Opening a bus (or a peer-to-peer socket), sending, the table of
//! calls waiting for their replies, and the dispatcher task that reads every incoming message and
//! hands it to the connection's installed [`Handler`].
//!
//! This module knows nothing above it: what happens to a method call, a signal or a closed
//! connection is the handler's business (the library installs [`crate::hub`]'s `Hub`, see
//! docs/architecture.md). The handler trait is the only way from here up.
//!
//! Each connection has one dispatcher task on the process runtime (see [`crate::runtime`]). It
//! drains zbus' unfiltered message stream at once, so zbus' bounded queue never stops the socket
//! reader: replies go to the waiting caller by reply serial (then to [`Handler::on_reply`]),
//! method calls to [`Handler::on_call`] (whose answer the dispatcher sends), signals to
//! [`Handler::on_signal`]; while [`Handler::tick_interval`] asks for it, [`Handler::on_tick`]
//! runs between messages. When the socket closes or the dispatcher dies (even by a panic), the
//! connection is marked disconnected, every waiting caller gets a `Disconnected` error at once
//! and [`Handler::on_closed`] runs.

use std::any::Any;
use std::collections::HashMap;
use std::future::poll_fn;
use std::mem::ManuallyDrop;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_core::Stream;
use tokio::sync::oneshot;
use zbus::message::Type as MsgType;
use zbus::{Message, MessageStream};

use crate::error::{Error, Kind, Result};
use crate::runtime::{self, Process};
use crate::trace::{Direction, Trace};

use crate::limits::READER_QUEUE as ZBUS_QUEUE;
pub use crate::limits::{CONNECT_TIMEOUT, DEFAULT_TIMEOUT};

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Session,
    System,
    /// A D-Bus address of a bus daemon (`unix:path=...`, `unix:abstract=...`, `tcp:...`).
    Bus(String),
    /// A D-Bus address of a peer that is not a bus: no `Hello`, no unique name.
    Peer(String),
}

impl Target {
    /// `"session"`, `"system"`, or a D-Bus address of a bus.
    pub fn parse(address: &str) -> Target {
        match address {
            "session" => Target::Session,
            "system" => Target::System,
            other => Target::Bus(other.to_owned()),
        }
    }
}

/// The shared connections of this process, by address, with the process id they belong to.
type Registry = (
    u32,
    std::collections::BTreeMap<String, std::sync::Weak<Connection>>,
);
static SHARED: Mutex<Registry> = Mutex::new((0, std::collections::BTreeMap::new()));

/// The registry of shared connections, locked; emptied first in a child after fork(), so a
/// child never gets its parent's connections.
fn shared_registry() -> std::sync::MutexGuard<'static, Registry> {
    let pid = runtime::current_pid();
    let mut registry = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if registry.0 != pid {
        let inherited = std::mem::take(&mut registry.1);
        runtime::keep_forever(inherited);
        registry.0 = pid;
    }
    registry
}

/// The usable shared connection registered for `key`, if any.
fn shared_connection(key: &str) -> Option<Arc<Connection>> {
    shared_registry()
        .1
        .get(key)
        .and_then(std::sync::Weak::upgrade)
        .filter(|c| c.check_usable().is_ok())
}

/// What a connection hands its incoming messages to (installed when it is opened). Every method
/// runs on the dispatcher task, in the order the messages arrived, and must not block: take
/// short locks, queue, and return what is to be sent.
pub trait Handler: Any + Send + Sync {
    /// A method return or error, just before it goes to the waiting caller (so what the handler
    /// records from it is in place when that caller wakes up).
    fn on_reply(&self, msg: &Message);
    /// A method call addressed to this connection; the answer to send, if any.
    /// `caller_blocked` is true when the call comes from this very connection and the thread
    /// that made it is blocked waiting for the reply (a synchronous call to an object this
    /// connection exports), so nobody may be free to take it as an event.
    fn on_call(&self, msg: &Message, caller_blocked: bool) -> Option<Message>;
    /// A signal.
    fn on_signal(&self, msg: &Message);
    /// The connection was closed or lost (called once, also when the dispatcher panicked).
    fn on_closed(&self);
    /// How often [`Handler::on_tick`] should run from now on; None while nothing needs it.
    /// Asked before every wait for a message, so keep it cheap.
    fn tick_interval(&self) -> Option<Duration>;
    /// Periodic work (e.g. expiring unanswered calls); the messages to send.
    fn on_tick(&self) -> Vec<Message>;
}

/// A call waiting for its reply: where the reply goes, and whether a thread is blocked on it
/// (false for asynchronous calls, whose callers go on with their work).
struct Waiter {
    tx: oneshot::Sender<Message>,
    blocking: bool,
}

/// State shared between a connection handle and its dispatcher task.
pub(crate) struct Shared {
    pending: Mutex<HashMap<u32, Waiter>>,
    closed: AtomicBool,
    close_reason: Mutex<Option<String>>,
    default_timeout_ms: AtomicU64,
    /// What every incoming message is handed to.
    handler: Arc<dyn Handler>,
    /// Where every message in and out is told (`SKYPEBUS_TRACE`); None: off.
    trace: Option<&'static Trace>,
    /// Messages the library's socket handed to zbus, and messages the dispatcher has finished
    /// with since it started ([`ReplyTap`]).
    handed: AtomicU64,
    dispatched: AtomicU64,
}

impl Shared {
    fn new(handler: Arc<dyn Handler>, trace: Option<&'static Trace>) -> Self {
        Shared {
            pending: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
            close_reason: Mutex::new(None),
            default_timeout_ms: AtomicU64::new(DEFAULT_TIMEOUT.as_millis() as u64),
            handler,
            trace,
            handed: AtomicU64::new(0),
            dispatched: AtomicU64::new(u64::MAX),
        }
    }

    /// Marks the connection dead and fails every waiting call (their senders are dropped).
    fn mark_closed(&self, reason: &str) {
        {
            let mut r = self.close_reason.lock().unwrap_or_else(|p| p.into_inner());
            if r.is_none() {
                *r = Some(reason.to_owned());
            }
        }
        self.closed.store(true, Ordering::Release);
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.handler.on_closed();
    }

    pub(crate) fn disconnected_error(&self) -> Error {
        let reason = self
            .close_reason
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| "the connection is closed".to_owned());
        Error::disconnected(reason)
    }

    fn complete(&self, msg: Message) {
        let Some(serial) = msg.header().reply_serial() else {
            return;
        };
        let waiter = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&serial.get());
        if let Some(w) = waiter {
            let _ = w.tx.send(msg);
        }
    }

    /// Whether a call of ours waits for the reply `serial`.
    fn awaits(&self, serial: u32) -> bool {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(&serial)
    }

    /// Whether a thread is blocked waiting for the reply to our call `serial`.
    fn blocked_on(&self, serial: u32) -> bool {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&serial)
            .is_some_and(|w| w.blocking)
    }
}

/// The tap on the library's socket ([`crate::socket::Tap`]): a method return or error for a
/// call of ours that waits is handed to it right where the socket reader read it, without going
/// through zbus' message broadcast and the dispatcher task, but only when the dispatcher has
/// finished with every message read before it, so that a caller never gets its reply before an
/// earlier signal or call was dispatched (messages keep their order). Off while messages are
/// traced (the dispatcher tells the trace what comes in).
#[derive(Debug)]
struct ReplyTap(Arc<Shared>);

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl crate::socket::Tap for ReplyTap {
    fn take(&self, msg: Message) -> Option<Message> {
        let shared = &*self.0;
        if shared.trace.is_none()
            && matches!(msg.message_type(), MsgType::MethodReturn | MsgType::Error)
            && shared.handed.load(Ordering::Acquire) == shared.dispatched.load(Ordering::Acquire)
            && msg
                .header()
                .reply_serial()
                .is_some_and(|s| shared.awaits(s.get()))
        {
            shared.handler.on_reply(&msg);
            shared.complete(msg);
            return None;
        }
        shared.handed.fetch_add(1, Ordering::AcqRel);
        Some(msg)
    }
}

/// An open connection.
pub struct Connection {
    process: &'static Process,
    pid: u32,
    conn: ManuallyDrop<zbus::Connection>,
    shared: Arc<Shared>,
    dispatcher: ManuallyDrop<tokio::task::AbortHandle>,
    fds: FdSupport,
    /// The library's socket (not zbus'), written to directly by [`Connection::start_call_direct`].
    direct: Option<crate::socket::Sender>,
}

/// Whether a connection passes unix file descriptors (the D-Bus type `h`).
#[derive(Debug, Clone)]
enum FdSupport {
    /// The library's socket: the bus' answer to `NEGOTIATE_UNIX_FD`.
    Negotiated(crate::socket::FdPassing),
    /// zbus' socket on a unix address negotiated on its own and does not tell: a message that
    /// carries descriptors is refused by zbus before it is sent if the peer said no.
    Unknown,
    /// A transport that cannot carry descriptors (`tcp:`, ...).
    Never,
}

impl Connection {
    /// Opens a connection with `handler` installed and starts its dispatcher. (The library's
    /// connections are opened by `crate::hub::open`, which installs the hub.)
    /// Run it on the process runtime ([`runtime::process`]).
    pub async fn open(target: Target, handler: Arc<dyn Handler>) -> Result<Connection> {
        let process = runtime::process()?;
        let shared = Arc::new(Shared::new(handler, crate::trace::get()?));
        let (builder, what, fds, direct) = builder_for(&target, &shared)?;
        let mut builder =
            builder.max_queued(NonZeroUsize::new(ZBUS_QUEUE).unwrap_or(NonZeroUsize::MIN));
        if matches!(target, Target::Peer(_)) {
            builder = builder.p2p();
        }
        let conn = match tokio::time::timeout(CONNECT_TIMEOUT, catch_panic(builder.build())).await {
            Ok(Ok(Ok(c))) => c,
            Ok(Ok(Err(e))) => return Err(connect_error(&what, e)),
            Ok(Err(panic)) => {
                return Err(Error::new(
                    Kind::ConnectFailed,
                    format!(
                        "cannot connect to {what}: the peer broke the authentication protocol ({panic})"
                    ),
                ));
            }
            Err(_) => {
                return Err(Error::new(
                    Kind::ConnectFailed,
                    format!(
                        "connecting to {what} did not complete within {} s",
                        CONNECT_TIMEOUT.as_secs()
                    ),
                ));
            }
        };
        // Everything the socket hands zbus from here on reaches this stream; what it handed
        // before (while zbus connected) does not, so the dispatcher's count starts there. A
        // message handed in between is counted and never dispatched, which only keeps the tap
        // from taking replies (ReplyTap).
        let handed = shared.handed.load(Ordering::Acquire);
        let stream = MessageStream::from(&conn);
        shared.dispatched.store(handed, Ordering::Release);
        let dispatcher = {
            let shared = shared.clone();
            let conn = conn.clone();
            let inner = process.spawn(dispatch(stream, shared.clone(), conn));
            let abort = inner.abort_handle();
            // A watcher marks the connection closed however the dispatcher ends, panics included.
            process.spawn(async move {
                let reason = match inner.await {
                    Ok(()) => "the connection was closed by the peer".to_owned(),
                    Err(e) if e.is_panic() => {
                        "internal error: the connection's dispatcher panicked".to_owned()
                    }
                    Err(_) => "the connection was closed".to_owned(),
                };
                shared.mark_closed(&reason);
            });
            abort
        };
        Ok(Connection {
            process,
            pid: process.pid(),
            conn: ManuallyDrop::new(conn),
            shared,
            dispatcher: ManuallyDrop::new(dispatcher),
            fds,
            direct,
        })
    }

    /// The process-wide shared connection to `target`, opened (or replaced, when the previous
    /// one is closed) as needed with the handler `make` gives. Peer-to-peer targets are never
    /// shared.
    ///
    /// Run it on the process runtime ([`runtime::process`]).
    pub async fn open_shared(
        target: Target,
        make: impl FnOnce() -> Arc<dyn Handler>,
    ) -> Result<Arc<Connection>> {
        let key = match &target {
            Target::Session => "session".to_owned(),
            Target::System => "system".to_owned(),
            Target::Bus(a) => format!("bus:{a}"),
            Target::Peer(_) => return Connection::open(target, make()).await.map(Arc::new),
        };
        if let Some(existing) = shared_connection(&key) {
            return Ok(existing);
        }
        // The registry is not locked while connecting: if another thread opened the same
        // address meanwhile, the first one registered is kept and the other dropped.
        let fresh = Arc::new(Connection::open(target, make()).await?);
        let mut registry = shared_registry();
        if let Some(existing) = registry.1.get(&key).and_then(std::sync::Weak::upgrade)
            && existing.check_usable().is_ok()
        {
            // `fresh` is dropped, after the lock (its Drop enters the runtime).
            drop(registry);
            drop(fresh);
            return Ok(existing);
        }
        registry.1.insert(key, Arc::downgrade(&fresh));
        Ok(fresh)
    }

    /// Fails unless this connection belongs to the calling process and is still open.
    pub(crate) fn check_usable(&self) -> Result<()> {
        if self.pid != runtime::current_pid() {
            return Err(Error::disconnected(
                "this connection was opened by the parent process before fork(); open a new one in the child",
            ));
        }
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(self.shared.disconnected_error());
        }
        Ok(())
    }

    /// Whether the calling process is the one that opened this connection.
    pub fn owned_by_this_process(&self) -> bool {
        self.pid == runtime::current_pid()
    }

    /// The unique bus name, or None on a peer-to-peer connection.
    pub fn unique_name(&self) -> Result<Option<String>> {
        self.check_usable()?;
        Ok(self.conn.unique_name().map(|n| n.to_string()))
    }

    /// Whether this is a connection to a message bus (not peer-to-peer).
    pub fn is_bus(&self) -> bool {
        self.conn.unique_name().is_some()
    }

    /// Whether messages carrying unix file descriptors may be sent and received: `Some(false)`
    /// on a transport that cannot pass them (`tcp:`) or when the bus refused
    /// `NEGOTIATE_UNIX_FD`, `None` where zbus' own socket negotiated without telling (then zbus
    /// refuses a message with descriptors before sending it).
    pub fn can_pass_fds(&self) -> Option<bool> {
        match &self.fds {
            FdSupport::Negotiated(passing) => Some(passing.agreed()),
            FdSupport::Unknown => None,
            FdSupport::Never => Some(false),
        }
    }

    /// Fails with `FdPassingUnsupported` when this connection cannot pass descriptors and
    /// `what` (a call, a reply, a signal: "the call's arguments", ...) needs them.
    pub fn require_fd_passing(&self, what: &str) -> Result<()> {
        if self.can_pass_fds() == Some(false) {
            return Err(Error::fd_passing_unsupported(format!(
                "{what} carry unix file descriptors (D-Bus type 'h'), which this connection \
                 cannot pass ({})",
                self.fd_refusal_reason()
            )));
        }
        Ok(())
    }

    fn fd_refusal_reason(&self) -> &'static str {
        match self.fds {
            FdSupport::Never => "its transport is not a unix socket",
            _ => "the bus did not agree to NEGOTIATE_UNIX_FD",
        }
    }

    /// The default timeout of calls that name none.
    pub fn default_timeout(&self) -> Duration {
        Duration::from_millis(self.shared.default_timeout_ms.load(Ordering::Relaxed))
    }

    /// Sets the default timeout of calls that name none.
    pub fn set_default_timeout(&self, timeout: Duration) -> Result<()> {
        if timeout.is_zero() {
            return Err(Error::invalid_request(
                "the default timeout must be positive",
            ));
        }
        self.shared.default_timeout_ms.store(
            timeout.as_millis().min(u64::MAX as u128) as u64,
            Ordering::Relaxed,
        );
        Ok(())
    }

    /// The process runtime this connection lives on.
    pub(crate) fn process(&self) -> &'static Process {
        self.process
    }

    /// The handler installed when the connection was opened.
    pub fn handler(&self) -> &dyn Handler {
        &*self.shared.handler
    }

    /// Sends a message that expects no reply.
    pub async fn send(&self, msg: &Message) -> Result<()> {
        trace_out(self.shared.trace, &self.conn, msg);
        self.conn.send(msg).await.map_err(|e| self.send_error(e))
    }

    fn send_error(&self, e: zbus::Error) -> Error {
        if self.shared.closed.load(Ordering::Acquire) {
            return self.shared.disconnected_error();
        }
        match e {
            zbus::Error::InputOutput(io) => {
                Error::disconnected(format!("cannot send on the connection: {io}"))
            }
            zbus::Error::ExcessData => {
                Error::limit("the message exceeds the D-Bus maximum message size (128 MiB)")
            }
            zbus::Error::Unsupported => Error::fd_passing_unsupported(
                "the message carries unix file descriptors (D-Bus type 'h'), which the peer did \
                 not agree to receive on this connection; nothing was sent",
            ),
            other => Error::new(Kind::Io, format!("cannot send the message: {other}")),
        }
    }

    /// Sends a method call and waits for its reply (a method return or an error message) for at
    /// most `timeout`. The reply is returned as received; error replies are not converted here.
    pub async fn call_raw(&self, msg: &Message, timeout: Duration) -> Result<Message> {
        let deadline = tokio::time::Instant::now() + timeout;
        self.start_call(msg).await?.reply(deadline, timeout).await
    }

    /// As [`Connection::call_raw`], with an error reply turned into its `Err` (for the
    /// library's own calls).
    pub async fn call_checked(&self, msg: &Message, timeout: Duration) -> Result<Message> {
        let reply = self.call_raw(msg, timeout).await?;
        if reply.message_type() == MsgType::Error {
            return Err(crate::message::error_from_reply(&reply));
        }
        Ok(reply)
    }

    /// Registers a method call for its reply and sends it; the reply is awaited with
    /// [`PendingReply::reply`]. Several calls may be in flight at once (pipelining).
    pub async fn start_call(&self, msg: &Message) -> Result<PendingReply<'_>> {
        let waiter = self.register_call(msg)?;
        self.send(msg).await?;
        Ok(waiter)
    }

    /// Whether [`Connection::start_call_direct`] can send here: on the library's own socket,
    /// when messages are not traced (the trace reads zbus messages).
    pub fn sends_direct(&self) -> bool {
        self.direct.is_some() && self.shared.trace.is_none()
    }

    /// [`Connection::start_call`] of a method call given as its bytes (a complete little-endian
    /// message without file descriptors, whose serial is `serial`), written straight to the
    /// library's socket: no zbus `Message` is made of it, which would read the header again.
    /// Only where [`Connection::sends_direct`] says so.
    pub async fn start_call_direct(&self, serial: u32, bytes: &[u8]) -> Result<PendingReply<'_>> {
        let waiter = self.register_blocking(serial)?;
        self.send_direct(bytes).await?;
        Ok(waiter)
    }

    /// Sends a message given as its bytes straight to the library's socket (see
    /// [`Connection::start_call_direct`]).
    pub async fn send_direct(&self, bytes: &[u8]) -> Result<()> {
        let Some(direct) = &self.direct else {
            return Err(Error::new(
                Kind::Io,
                "internal error: a direct send on a connection without the library's socket",
            ));
        };
        direct
            .send(bytes)
            .await
            .map_err(|e| self.send_error(zbus::Error::InputOutput(Arc::new(e))))
    }

    /// Registers a method call for its reply without sending it (send it with
    /// [`Connection::send_all`] or [`Connection::send`]); the calling thread will wait for it.
    pub fn register_call(&self, msg: &Message) -> Result<PendingReply<'_>> {
        self.register_blocking(msg.primary_header().serial_num().get())
    }

    /// [`Connection::register_call`] of the call whose serial is `serial`.
    fn register_blocking(&self, serial: u32) -> Result<PendingReply<'_>> {
        let rx = self.register(serial, true)?;
        Ok(PendingReply {
            shared: SharedRef::Borrowed(&self.shared),
            serial,
            rx,
        })
    }

    /// Registers an asynchronous method call for its reply (nobody blocks on it): the waiter
    /// holds the connection's shared state rather than borrowing the connection, so it may
    /// outlive the handle (when the connection closes, it gets a `Disconnected` error).
    pub fn register_detached(&self, msg: &Message) -> Result<PendingReply<'static>> {
        let serial = msg.primary_header().serial_num().get();
        let rx = self.register(serial, false)?;
        Ok(PendingReply {
            shared: SharedRef::Owned(self.shared.clone()),
            serial,
            rx,
        })
    }

    /// Enters the call `serial` in the pending table, for its reply.
    fn register(&self, serial: u32, blocking: bool) -> Result<oneshot::Receiver<Message>> {
        let (tx, rx) = oneshot::channel();
        let mut pending = self
            .shared
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(self.shared.disconnected_error());
        }
        pending.insert(serial, Waiter { tx, blocking });
        Ok(rx)
    }

    /// The handler installed when the connection was opened, shared (it outlives the
    /// connection as long as someone holds it).
    pub fn handler_arc(&self) -> Arc<dyn Handler> {
        self.shared.handler.clone()
    }

    /// Sends several messages with as few writes as the socket allows.
    pub async fn send_all(&self, msgs: &[Message]) -> Result<()> {
        for msg in msgs {
            trace_out(self.shared.trace, &self.conn, msg);
        }
        self.conn
            .send_all(msgs)
            .await
            .map_err(|e| self.send_error(e))
    }
}

/// A method call sent and waiting for its reply. Dropping it forgets the call.
pub struct PendingReply<'a> {
    shared: SharedRef<'a>,
    serial: u32,
    rx: oneshot::Receiver<Message>,
}

/// The connection state a waiter refers to: borrowed by a caller that holds the connection,
/// owned by an asynchronous call that may outlive it.
enum SharedRef<'a> {
    Borrowed(&'a Shared),
    Owned(Arc<Shared>),
}

impl std::ops::Deref for SharedRef<'_> {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        match self {
            SharedRef::Borrowed(s) => s,
            SharedRef::Owned(s) => s,
        }
    }
}

impl PendingReply<'_> {
    /// Whether the reply (or the connection's end) has arrived already.
    pub fn is_ready(&self) -> bool {
        !self.rx.is_empty() || self.rx.is_terminated()
    }

    /// Waits for the reply until `deadline` (`timeout` is only named in the error).
    pub async fn reply(
        mut self,
        deadline: tokio::time::Instant,
        timeout: Duration,
    ) -> Result<Message> {
        match tokio::time::timeout_at(deadline, &mut self.rx).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(_)) => Err(self.shared.disconnected_error()),
            Err(_) => Err(Error::new(
                Kind::Timeout,
                format!("no reply within {} ms (local timeout)", timeout.as_millis()),
            )),
        }
    }
}

impl Drop for PendingReply<'_> {
    fn drop(&mut self) {
        self.shared
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.serial);
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if !self.owned_by_this_process() {
            // A forked child must never touch its parent's socket or runtime: the zbus
            // connection and the dispatcher handle stay in their ManuallyDrop, leaked.
            return;
        }
        self.shared
            .mark_closed("the connection was closed by its owner");
        // SAFETY: both fields are taken exactly once, here, and never used again.
        let conn = unsafe { ManuallyDrop::take(&mut self.conn) };
        let dispatcher = unsafe { ManuallyDrop::take(&mut self.dispatcher) };
        dispatcher.abort();
        // Dropping the zbus connection closes the socket once its tasks are gone; run the
        // runtime briefly so they are cancelled on this thread rather than left to the helper.
        // Inside the runtime already (a connection dropped by async code, e.g. a failed
        // attach), whoever drives it goes on and cancels them.
        if tokio::runtime::Handle::try_current().is_ok() {
            drop(conn);
            return;
        }
        self.process.block_on(async move {
            drop(conn);
            tokio::task::yield_now().await;
        });
    }
}

/// The zbus builder for `target`, chosen by its address, and the target described with its
/// address for errors. A bus at a `unix:path=` or `unix:abstract=` address gets the library's
/// socket (src/socket.rs, docs/driving.md "The socket"); every other transport (`tcp:`,
/// `nonce-tcp:`, peer-to-peer, ...) gets zbus' own. An address that does not parse, or a unix
/// socket that cannot be connected, is an error naming the address: nothing falls back to the
/// other socket.
type Chosen = (
    zbus::connection::Builder<'static>,
    String,
    FdSupport,
    Option<crate::socket::Sender>,
);

fn builder_for(target: &Target, shared: &Arc<Shared>) -> Result<Chosen> {
    use zbus::connection::Builder;
    let address = match target {
        Target::Session => zbus::Address::session(),
        Target::System => zbus::Address::system(),
        Target::Bus(a) => a.parse::<zbus::Address>(),
        Target::Peer(a) => a.parse::<zbus::Address>(),
    }
    .map_err(|e| connect_error(&describe(target), e))?;
    let what = match target {
        Target::Session | Target::System => format!("{} at {address}", describe(target)),
        _ => describe(target),
    };
    let own_socket = !matches!(target, Target::Peer(_)) && !crate::socket::zbus_socket_selected();
    if own_socket {
        match crate::socket::connect(&address) {
            Ok(Some(mut socket)) => {
                socket.set_tap(Arc::new(ReplyTap(shared.clone())));
                let fds = FdSupport::Negotiated(socket.fd_passing());
                let direct = socket.sender();
                return Ok((Builder::socket(socket), what, fds, Some(direct)));
            }
            Ok(None) => {}
            Err(e) => {
                return Err(Error::new(
                    Kind::ConnectFailed,
                    format!("cannot connect to {what}: {e}"),
                ));
            }
        }
    }
    let anonymous = matches!(address.transport(), zbus::address::Transport::Tcp(_));
    let fds = match address.transport() {
        zbus::address::Transport::Unix(_) => FdSupport::Unknown,
        _ => FdSupport::Never,
    };
    let mut builder = Builder::address(address);
    if anonymous {
        // The bus cannot check a remote user's credentials: tcp authenticates with ANONYMOUS.
        builder = builder.auth_mechanism(zbus::connection::AuthMechanism::Anonymous);
    }
    Ok((builder, what, fds, None))
}

fn describe(target: &Target) -> String {
    match target {
        Target::Session => "the session bus".to_owned(),
        Target::System => "the system bus".to_owned(),
        Target::Bus(a) => format!("the bus at {a}"),
        Target::Peer(a) => format!("the peer at {a}"),
    }
}

/// A failed connect to `what` (a target described with its address).
fn connect_error(what: &str, e: zbus::Error) -> Error {
    let kind = match &e {
        zbus::Error::Address(_) => Kind::InvalidName,
        _ => Kind::ConnectFailed,
    };
    Error::new(kind, format!("cannot connect to {what}: {e}"))
}

/// Runs `fut`, turning a panic while it is polled into `Err` with the panic's message. zbus'
/// handshake indexes the server's lines unchecked (a bare `\n` from the server panics it); a
/// hostile server must not be able to take the caller down.
async fn catch_panic<F: std::future::Future>(fut: F) -> std::result::Result<F::Output, String> {
    use std::task::Poll;
    let mut fut = std::pin::pin!(fut);
    poll_fn(
        |cx| match crate::error::catch_panic(|| fut.as_mut().poll(cx)) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(what) => Poll::Ready(Err(what)),
        },
    )
    .await
}

async fn next_message(stream: &mut MessageStream) -> Option<zbus::Result<Message>> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

/// The next incoming message, running the handler's tick at the interval it asks for meanwhile
/// (`next_tick` carries the due time from one message to the next).
async fn next_incoming(
    stream: &mut MessageStream,
    shared: &Shared,
    conn: &zbus::Connection,
    next_tick: &mut Option<tokio::time::Instant>,
) -> Option<zbus::Result<Message>> {
    let handler = &*shared.handler;
    let next = next_message(stream);
    let Some(interval) = handler.tick_interval() else {
        *next_tick = None;
        return next.await;
    };
    let now = tokio::time::Instant::now();
    let due = *next_tick.get_or_insert(now + interval);
    if now >= due {
        *next_tick = Some(now + interval);
        send_each(shared.trace, conn, handler.on_tick()).await;
    }
    tokio::pin!(next);
    loop {
        let due = next_tick.unwrap_or_else(|| tokio::time::Instant::now() + interval);
        tokio::select! {
            biased;
            m = &mut next => return m,
            _ = tokio::time::sleep_until(due) => {
                send_each(shared.trace, conn, handler.on_tick()).await;
                match handler.tick_interval() {
                    Some(i) => *next_tick = Some(tokio::time::Instant::now() + i),
                    None => {
                        *next_tick = None;
                        return next.await;
                    }
                }
            }
        }
    }
}

/// Sends what the handler asked for (send errors end up as the connection's loss).
async fn send_each(trace: Option<&Trace>, conn: &zbus::Connection, msgs: Vec<Message>) {
    for m in msgs {
        trace_out(trace, conn, &m);
        let _ = conn.send(&m).await;
    }
}

/// Whether `msg` is a call this connection made to itself while a thread of ours is blocked
/// waiting for its reply (its serial is that of our call, in the pending table).
fn from_blocked_self(msg: &Message, conn: &zbus::Connection, shared: &Shared) -> bool {
    let header = msg.header();
    let (Some(sender), Some(own)) = (header.sender(), conn.unique_name()) else {
        return false;
    };
    sender.as_str() == own.as_str() && shared.blocked_on(msg.primary_header().serial_num().get())
}

/// Tells an outgoing message to the trace, when tracing is on.
fn trace_out(trace: Option<&Trace>, conn: &zbus::Connection, msg: &Message) {
    if let Some(trace) = trace {
        let own_name = conn.unique_name().map(|n| n.as_str());
        trace.message(Direction::Out, msg, own_name);
    }
}

/// What a read error of zbus' socket reader says about the peer. zbus checks the framing and
/// the header of every message it reads (the endianness byte, the message type, the protocol
/// version, the lengths against the specification's limits, each header field and the fields a
/// message type requires) and ends the connection at the first message that breaks them.
fn framing_error(e: &zbus::Error) -> String {
    let what = match e {
        zbus::Error::ExcessData => format!(
            "the peer sent a message longer than the D-Bus maximum of {} bytes",
            crate::limits::MAX_MESSAGE_LEN
        ),
        zbus::Error::IncorrectEndian => "the peer sent a message with an unknown endianness byte".to_owned(),
        zbus::Error::InvalidField => "the peer sent a message header with an invalid field, message type or protocol version".to_owned(),
        zbus::Error::MissingField => "the peer sent a message without a header field its type requires (PATH and MEMBER of a call; REPLY_SERIAL of a reply; ERROR_NAME of an error; PATH, INTERFACE and MEMBER of a signal)".to_owned(),
        zbus::Error::MissingParameter(_) => "the peer sent a message whose UNIX_FDS claims file descriptors that did not come with it".to_owned(),
        zbus::Error::InputOutput(_) => return e.to_string(),
        other => format!("the peer sent a malformed message ({other})"),
    };
    format!("{what} ({e})")
}

/// Reads every incoming message of one connection until it closes.
async fn dispatch(mut stream: MessageStream, shared: Arc<Shared>, conn: zbus::Connection) {
    let handler = &*shared.handler;
    let mut tick = None;
    while let Some(item) = next_incoming(&mut stream, &shared, &conn, &mut tick).await {
        let msg = match item {
            Ok(m) => m,
            Err(e) => {
                shared.mark_closed(&format!("the connection was lost: {}", framing_error(&e)));
                return;
            }
        };
        if let Some(trace) = shared.trace {
            trace.message(Direction::In, &msg, None);
        }
        match msg.message_type() {
            MsgType::MethodReturn | MsgType::Error => {
                handler.on_reply(&msg);
                shared.complete(msg)
            }
            MsgType::MethodCall => {
                let caller_blocked = from_blocked_self(&msg, &conn, &shared);
                if let Some(reply) = handler.on_call(&msg, caller_blocked) {
                    trace_out(shared.trace, &conn, &reply);
                    let _ = conn.send(&reply).await;
                }
            }
            MsgType::Signal => handler.on_signal(&msg),
        }
        shared.dispatched.fetch_add(1, Ordering::AcqRel);
    }
    shared.mark_closed("the connection was closed by the peer");
}
