//! Exporting objects and answering the calls they receive: the serve registry's functions,
//! under the hub's lock, with what they return sent outside it.

use std::sync::atomic::Ordering;

use serde_json::Value;
use zbus::Message;

use super::{Hub, of};
use crate::connection::Connection;
use crate::error::Result;
use crate::serve::{self, CallSnapshot};

impl Hub {
    /// A snapshot of call `id`, or the error for an unknown handle.
    fn snapshot(&self, id: u64) -> Result<CallSnapshot> {
        let st = self.lock();
        let c = st
            .serve
            .calls
            .get(&id)
            .ok_or_else(|| serve::unknown_handle(id))?;
        Ok(c.snapshot())
    }

    /// Releases handle `id` (after its answer was built, outside the lock); returns the
    /// `PropertiesChanged` signal an accepted write announces.
    fn release(
        &self,
        id: u64,
        snap: &CallSnapshot,
        accepted: Option<serve::Accepted>,
    ) -> Result<Option<Message>> {
        let mut st = self.lock();
        let signal = serve::release(&mut st.serve, id, snap, accepted)?;
        self.released(&mut st, 1);
        Ok(signal)
    }
}

/// Exports an object at `path` with the interfaces `xml` declares.
pub async fn export(conn: &Connection, path: &str, xml: &str, options: Option<&str>) -> Result<()> {
    conn.check_usable()?;
    let obj = serve::object_at(path, xml, options)?;
    let hub = of(conn)?;
    let added = {
        let mut st = hub.lock();
        st.serve.export(path, obj)?;
        hub.exporting.store(true, Ordering::Release);
        serve::interfaces_added(&st.serve, path)
    };
    announce(conn, added).await
}

/// Sends an `InterfacesAdded`/`InterfacesRemoved` signal, if there is one (the object is
/// exported or unexported whether it can be sent or not).
async fn announce(conn: &Connection, signal: Result<Option<Message>>) -> Result<()> {
    if let Some(signal) = signal? {
        conn.send(&signal).await?;
    }
    Ok(())
}

/// Stops exporting `path`. Handles of calls already received stay answerable.
pub async fn unexport(conn: &Connection, path: &str) -> Result<()> {
    let hub = of(conn)?;
    let removed = {
        let mut st = hub.lock();
        let obj = st.serve.unexport(path)?;
        if st.serve.objects.is_empty() {
            hub.exporting.store(false, Ordering::Release);
        }
        serve::interfaces_removed(&st.serve, path, &obj)
    };
    if conn.check_usable().is_err() {
        return Ok(());
    }
    announce(conn, removed).await
}

/// Stores a property value (typed by its declared type) and emits `PropertiesChanged` when it
/// changed.
pub async fn set_property(
    conn: &Connection,
    path: &str,
    iface: &str,
    name: &str,
    value: &Value,
    bytes_base64: Option<bool>,
) -> Result<()> {
    conn.check_usable()?;
    let signal = {
        let mut st = of(conn)?.lock();
        serve::set_property(&mut st.serve, path, iface, name, value, bytes_base64)?
    };
    if let Some(signal) = signal {
        conn.send(&signal).await?;
    }
    Ok(())
}

/// Answers call `id` with return values (`reply_json` as for `skypebus_reply`). On an error the
/// handle stays valid, so the application can still answer with an error.
pub async fn reply(conn: &Connection, id: u64, reply_json: Option<&str>) -> Result<()> {
    conn.check_usable()?;
    let hub = of(conn)?;
    let (args, b64) = serve::parse_reply(reply_json)?;
    let snap = hub.snapshot(id)?;
    let answer = serve::answer(&snap, &args, b64)?;
    let signal = hub.release(id, &snap, answer.accepted)?;
    if !snap.no_reply {
        conn.send(&answer.reply).await?;
    }
    if let Some(s) = signal {
        conn.send(&s).await?;
    }
    Ok(())
}

/// Answers call `id` with a D-Bus error.
pub async fn reply_error(conn: &Connection, id: u64, name: &str, text: &str) -> Result<()> {
    conn.check_usable()?;
    serve::check_error_name(name)?;
    let hub = of(conn)?;
    let snap = hub.snapshot(id)?;
    let msg = serve::error_reply(&snap.msg, name, text)?;
    hub.release(id, &snap, None)?;
    if snap.no_reply {
        return Ok(());
    }
    conn.send(&msg).await
}
