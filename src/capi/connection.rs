//! Connections: open (shared, private, peer-to-peer), free, the default timeout, the unique
//! name.

use std::ffi::c_char;
use std::sync::Arc;

use super::{
    Handle, boundary, c_string, drop_unless_forked, millis, non_null, str_from_c, write_out,
};
use crate::connection::{Connection, Target};
use crate::error::{Error, Result, skypebus_result};
use crate::runtime;

use super::skypebus_error;

/// An open D-Bus connection (opaque).
#[allow(non_camel_case_types)]
pub struct skypebus_connection {
    _private: [u8; 0],
}

/// What a `skypebus_connection` is: a handle to a connection, shared or private.
pub(crate) struct ConnectionHandle {
    pub(crate) inner: Arc<Connection>,
    /// Whether `inner` is the process-wide shared connection for its address.
    pub(crate) shared: bool,
}

impl Handle for skypebus_connection {
    type Rust = ConnectionHandle;

    /// In a forked child the connection is the parent's: only the handle goes, the connection
    /// is kept (never closed from here).
    fn release(value: Box<ConnectionHandle>) {
        // The connection closes when its last handle is gone.
        let owned = value.inner.owned_by_this_process();
        drop_unless_forked(value, owned);
    }
}

impl ConnectionHandle {
    /// The connection, for what only a private connection may do: subscribing, owning names,
    /// exporting objects. Those give a connection state (an event queue, a unique name that
    /// answers for objects) that the other users of a shared connection must not inherit.
    pub(crate) fn private(&self, what: &str) -> Result<&Connection> {
        if self.shared {
            return Err(Error::invalid_request(format!(
                "{what} needs a private connection: this handle is the process-wide shared one; \
                 open one with skypebus_connection_open_private"
            )));
        }
        Ok(&self.inner)
    }
}

fn open_into(target: Target, shared: bool, out: *mut *mut skypebus_connection) -> Result<()> {
    non_null(out, "out")?;
    let inner = if shared {
        runtime::block_on(crate::hub::open_shared(target))??
    } else {
        Arc::new(runtime::block_on(crate::hub::open(target))??)
    };
    write_out(
        out,
        skypebus_connection::into_raw(ConnectionHandle { inner, shared }),
    );
    Ok(())
}

/// Opens a connection to a message bus.
///
/// `address` is `"session"`, `"system"`, or a D-Bus server address such as
/// `unix:path=/run/user/1000/bus`, `unix:abstract=...` or `tcp:host=127.0.0.1,port=4000`
/// (`tcp:` only to servers that accept the ANONYMOUS mechanism). The string is borrowed for the
/// duration of the call. On success `*out` receives a new connection that the caller frees with
/// `skypebus_connection_free`; on failure `*out` is left alone.
///
/// The connection has a default method-call timeout of 25 s (see
/// `skypebus_connection_set_timeout`). It is read in the background: while the caller is outside
/// the library, incoming messages are still processed and `org.freedesktop.DBus.Peer.Ping` is
/// answered. A connection may be used from several threads at once.
///
/// After `fork()`, a connection opened by the parent is unusable in the child (calls fail with
/// `SKYPEBUS_DISCONNECTED`) and freeing it there only leaks it; the child opens its own.
///
/// Opening the same address again in a process returns a handle to the same shared connection
/// (reference counted: `skypebus_connection_free` releases only that handle; a shared connection
/// found closed is replaced by a new one). Use `skypebus_connection_open_private` for a
/// connection of your own (its own unique name), e.g. to own names, export objects or subscribe
/// to signals without affecting other users of the shared one. A forked child never gets its
/// parent's connection.
///
/// NULL `address` or `out` gives `SKYPEBUS_NULL_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_connection_open(
    address: *const c_char,
    out: *mut *mut skypebus_connection,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let address = str_from_c(address, "address")?;
        open_into(Target::parse(address), true, out)
    })
}

/// Opens a private connection to a message bus: never shared with other handles, so it has a
/// unique name of its own. Arguments, ownership, threads and fork behave as for
/// `skypebus_connection_open`.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_connection_open_private(
    address: *const c_char,
    out: *mut *mut skypebus_connection,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let address = str_from_c(address, "address")?;
        open_into(Target::parse(address), false, out)
    })
}

/// Opens a peer-to-peer connection: connects to `address` (a D-Bus address of a peer that is
/// not a message bus) and authenticates, without the `Hello` call a bus needs. Such a
/// connection has no unique name, and calls need no destination.
///
/// Ownership, borrowing, threads and fork behave as for `skypebus_connection_open`.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_connection_open_p2p(
    address: *const c_char,
    out: *mut *mut skypebus_connection,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let address = str_from_c(address, "address")?;
        open_into(Target::Peer(address.to_owned()), false, out)
    })
}

/// Closes and frees a connection. Calls still waiting on it in other threads fail with
/// `SKYPEBUS_DISCONNECTED`. `skypebus_connection_free(NULL)` is a no-op; freeing twice is
/// undefined behaviour, and so is freeing while another thread still uses the handle.
///
/// In a process forked after the connection was opened, this only releases the handle's memory
/// bookkeeping and leaks the connection: the parent's socket is never touched.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_connection_free(conn: *mut skypebus_connection) {
    boundary!(or = (), { skypebus_connection::free(conn) })
}

/// Writes the connection's unique bus name (e.g. `:1.42`) to `*out`, a new string the caller
/// frees with `skypebus_string_free`. A peer-to-peer connection has none: `*out` receives NULL.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_connection_unique_name(
    conn: *const skypebus_connection,
    out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        non_null(out, "out")?;
        let name = conn.inner.unique_name()?;
        let ptr = match name {
            Some(n) => c_string(n)?,
            None => std::ptr::null_mut(),
        };
        write_out(out, ptr);
        Ok(())
    })
}

/// Whether `conn` is a handle to the process-wide shared connection of its address (from
/// `skypebus_connection_open`) rather than a private one. False for NULL. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_connection_is_shared(conn: *const skypebus_connection) -> bool {
    boundary!(or = false, {
        skypebus_connection::borrow(conn).is_some_and(|c| c.shared)
    })
}

/// Sets the default timeout, in milliseconds (1 or more), of calls on this connection that do
/// not set `timeout_ms`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_connection_set_timeout(
    conn: *const skypebus_connection,
    timeout_ms: u32,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        conn.inner.set_default_timeout(millis(timeout_ms))
    })
}
