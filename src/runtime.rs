//! How connections are driven: one async runtime per process, run by the calling thread while it
//! is inside the library and by a helper thread while it is not.
//!
//! # Design (measured; see docs/driving.md)
//!
//! All connections of a process live on one single-threaded Tokio runtime. Whoever runs it drives
//! every socket: zbus' reader tasks and our dispatcher tasks run there.
//!
//! - A thread inside the library (a call, or a wait for an event) runs the runtime itself through
//!   `block_on`: the reply is read by the very thread that waits for it, so a tight loop of calls
//!   pays no thread hand-off per call.
//! - When no thread has been inside the library for [`IDLE`], a helper thread takes the runtime
//!   over, so signals are queued, `Peer.Ping` is answered and replies are collected while the
//!   caller is busy elsewhere. The next caller asks the helper to let go (one hand-off at the start
//!   of a burst of calls, none after). While callers keep coming back, the helper looks again
//!   after naps that double up to [`NAP_MAX`], so a long burst of calls wakes it about 20 times a
//!   second rather than 500 (each wake-up can move the caller to the other CPU); it takes over
//!   at most [`NAP_MAX`] after the last call of a burst.
//!
//! The other design measured, a helper thread that always drives while callers wait for it, pays
//! a wake-up of another thread on every call. It exists only in a build with the
//! `io-experiments` cargo feature (`Mode::Background`, selected there with
//! `SKYPEBUS_DRIVE=background`), which the benchmarks use to compare the two; a default build has
//! the caller-driven design only and reads no environment variable.
//!
//! # Fork safety
//!
//! The runtime belongs to the process that created it. After `fork()`, the child finds a process
//! id that differs from the one recorded here, leaks the parent's runtime (never drops, closes or
//! shuts it down: its helper thread does not exist in the child and its sockets are the parent's)
//! and builds a fresh one. Connections remember the process that opened them and refuse to work,
//! or to be freed, anywhere else.

use std::future::Future;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::error::{Error, Kind, Result};

/// How long the library must have been left alone before the helper thread takes over.
pub const IDLE: Duration = Duration::from_millis(2);

/// The longest nap of the helper while callers keep coming back.
pub const NAP_MAX: Duration = Duration::from_millis(50);

/// The driving designs of this build: the chosen one, and with the `io-experiments` feature the
/// one it was measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Callers drive while inside the library; the helper drives when they are away.
    CallerDriven,
    /// The helper always drives; callers wait for it (a thread hand-off per call).
    #[cfg(feature = "io-experiments")]
    Background,
}

impl Mode {
    /// The design of this process: always [`Mode::CallerDriven`], unless the build has the
    /// `io-experiments` feature and `SKYPEBUS_DRIVE=background` is set.
    fn of_this_build() -> Mode {
        #[cfg(feature = "io-experiments")]
        if std::env::var("SKYPEBUS_DRIVE").as_deref() == Ok("background") {
            return Mode::Background;
        }
        Mode::CallerDriven
    }

    /// Whether the helper always drives.
    fn is_background(self) -> bool {
        self != Mode::CallerDriven
    }
}

/// The runtime of this process and its helper.
pub struct Process {
    pid: u32,
    rt: tokio::runtime::Runtime,
    mode: Mode,
    /// Threads inside `block_on` right now.
    active: AtomicUsize,
    /// When the last caller left, in nanoseconds since `epoch`.
    last_exit: AtomicU64,
    epoch: Instant,
    /// Tells the helper to let go of the runtime.
    release: Notify,
    /// Lets the helper sleep between checks for idleness.
    helper_wake: (Mutex<bool>, Condvar),
    /// The runtime of the parent process, after fork(): kept reachable (never used or dropped)
    /// so that leak checkers see it as deliberately kept, not lost.
    _parent: Option<&'static Process>,
}

static PROCESS: Mutex<Option<&'static Process>> = Mutex::new(None);

/// Keeps `value` reachable for the rest of the process without ever dropping it: what a forked
/// child does with handles it inherited. A lock-free stack, as a lock held by a parent's thread
/// at fork() time would never be released in the child.
pub fn keep_forever<T: Send + 'static>(value: T) {
    struct Node {
        _value: Box<dyn Send>,
        next: *mut Node,
    }
    static KEPT: AtomicPtr<Node> = AtomicPtr::new(std::ptr::null_mut());
    let node = Box::into_raw(Box::new(Node {
        _value: Box::new(value),
        next: std::ptr::null_mut(),
    }));
    let mut head = KEPT.load(Ordering::Acquire);
    loop {
        // SAFETY: `node` is ours until the exchange publishes it.
        unsafe { (*node).next = head };
        match KEPT.compare_exchange(head, node, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return,
            Err(h) => head = h,
        }
    }
}

/// Forks seen in this process tree: a child's `pthread_atfork` handler counts one more.
static FORKS: AtomicU64 = AtomicU64::new(0);
/// The process id last looked up, with the fork count it was looked up at (`count << 32 | pid`),
/// or 0 before the first look-up.
static PID_CACHE: AtomicU64 = AtomicU64::new(0);

extern "C" fn forked_child() {
    FORKS.fetch_add(1, Ordering::AcqRel);
}

/// The current process id, without a system call per use (glibc does not cache `getpid`, and
/// every call checks it): a `pthread_atfork` child handler marks the cached id stale.
pub fn current_pid() -> u32 {
    static AT_FORK: std::sync::Once = std::sync::Once::new();
    AT_FORK.call_once(|| {
        // SAFETY: registers a handler that only touches an atomic, which is async-signal-safe
        // and valid in a child of a multi-threaded process.
        unsafe { libc::pthread_atfork(None, None, Some(forked_child)) };
    });
    let forks = FORKS.load(Ordering::Acquire) & 0xffff_ffff;
    let cached = PID_CACHE.load(Ordering::Acquire);
    if cached != 0 && cached >> 32 == forks {
        return cached as u32;
    }
    let pid = std::process::id();
    PID_CACHE.store(forks << 32 | u64::from(pid), Ordering::Release);
    pid
}

/// The runtime of the calling process, created on first use and again in a forked child.
pub fn process() -> Result<&'static Process> {
    let pid = current_pid();
    let mut guard = PROCESS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = *guard
        && p.pid == pid
    {
        return Ok(p);
    }
    // Either the first use, or a child after fork(): the parent's runtime (if any) is leaked on
    // purpose, it is `&'static` and never dropped.
    let p: &'static Process = Box::leak(Box::new(Process::new(pid, *guard)?));
    *guard = Some(p);
    drop(guard);
    p.start_helper()?;
    Ok(p)
}

/// Runs `fut` to completion on the runtime of the calling process (see [`Process::block_on`]):
/// how a synchronous caller runs the library's async API. Must not be called from inside the
/// runtime (from async code).
pub fn block_on<F: Future>(fut: F) -> Result<F::Output> {
    Ok(process()?.block_on(fut))
}

impl Process {
    fn new(pid: u32, parent: Option<&'static Process>) -> Result<Self> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| Error::new(Kind::Io, format!("cannot create the runtime: {e}")))?;
        Ok(Process {
            pid,
            rt,
            mode: Mode::of_this_build(),
            active: AtomicUsize::new(0),
            last_exit: AtomicU64::new(0),
            epoch: Instant::now(),
            release: Notify::new(),
            helper_wake: (Mutex::new(false), Condvar::new()),
            _parent: parent,
        })
    }

    /// The process this runtime belongs to.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The driving design in use.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    fn start_helper(&'static self) -> Result<()> {
        thread::Builder::new()
            .name("skypebus-driver".into())
            .spawn(move || self.helper_loop())
            .map(|_| ())
            .map_err(|e| Error::new(Kind::Io, format!("cannot start the helper thread: {e}")))
    }

    fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    fn helper_loop(&'static self) {
        loop {
            if !self.mode.is_background() {
                // Wait until no caller has been inside for IDLE. Sleeping in steps rather than
                // being woken by every caller keeps the callers' fast path free of wake-ups.
                let mut nap = IDLE;
                loop {
                    let active = self.active.load(Ordering::Acquire);
                    let since = self
                        .now_ns()
                        .saturating_sub(self.last_exit.load(Ordering::Acquire));
                    if active == 0 && since >= IDLE.as_nanos() as u64 {
                        break;
                    }
                    let wait = if active > 0 {
                        nap
                    } else {
                        nap.max(IDLE.saturating_sub(Duration::from_nanos(since)))
                    };
                    nap = (nap * 2).min(NAP_MAX);
                    let (lock, cv) = &self.helper_wake;
                    let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                    let _ = cv.wait_timeout(guard, wait.max(Duration::from_micros(200)));
                }
            }
            // Drive until a caller wants the runtime (in Background mode: forever).
            self.rt.block_on(async {
                if !self.mode.is_background() {
                    self.release.notified().await;
                } else {
                    std::future::pending::<()>().await;
                }
            });
        }
    }

    /// Runs `fut` to completion on the calling thread (which must not be a thread of the
    /// runtime), driving all connections while it waits. In Background mode the helper keeps the
    /// runtime and the caller is woken by it when `fut` can make progress.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        if self.mode.is_background() {
            return self.rt.block_on(fut);
        }
        /// Leaves the caller count right even if `fut` panics.
        struct Inside<'a>(&'a Process);
        impl Drop for Inside<'_> {
            fn drop(&mut self) {
                self.0.last_exit.store(self.0.now_ns(), Ordering::Release);
                self.0.active.fetch_sub(1, Ordering::AcqRel);
            }
        }
        self.active.fetch_add(1, Ordering::AcqRel);
        let _inside = Inside(self);
        // Ask the helper to let go; a stored permit is harmless (it drives again later).
        self.release.notify_one();
        self.rt.block_on(fut)
    }

    /// Spawns a background task on the runtime.
    pub fn spawn<F>(&self, fut: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.rt.spawn(fut)
    }

    /// A handle to enter the runtime's context (needed to build zbus connections on it).
    pub fn handle(&self) -> &tokio::runtime::Handle {
        self.rt.handle()
    }
}
