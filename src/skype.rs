//! The Skype desktop API helper: attach to Skype (`com.Skype.API`) as an application, run any
//! Skype command, send a chat message in one call, and read Skype's notifications.
//!
//! # Protocol (see docs/skype-protocol.md and docs/skype.md)
//!
//! Skype owns `com.Skype.API` on the session bus; commands are strings sent with
//! `com.Skype.API.Invoke(s) -> s` to `/com/Skype`, and the reply is Invoke's return value.
//! Everything else arrives as `com.Skype.API.Client.Notify(s)` *method calls* that Skype sends to
//! `/com/Skype/Client` of the connection whose `NAME` it accepted.
//!
//! # Design
//!
//! A [`Skype`] owns one **private** connection: the Invoke calls and the exported
//! `/com/Skype/Client` object must share one unique name, because Skype authorises, and notifies,
//! per connection. The object is exported (with the serving machinery of [`crate::serve`])
//! *before* `NAME` is sent, so no notification is lost. Incoming `Notify` calls are events of the
//! connection's queue; the helper takes them, releases their handles (Skype sends them with
//! NO_REPLY_EXPECTED; a Notify that wants a reply gets an empty one) and keeps the text in a
//! bounded buffer of its own ([`NOTIFICATION_BACKLOG`], oldest dropped first and counted), filled
//! whenever the helper is entered and emptied by [`Skype::next_notification`].
//!
//! Every command is sent with a `#<n> ` prefix of the helper's own; the reply must carry the same
//! prefix, which is stripped. `ERROR <code> <text>` replies become [`Kind::Skype`] errors with
//! the code in [`Error::skype_code`] and the text as message.
//!
//! The owner of `com.Skype.API` is tracked in the background (the owner table of
//! [`crate::introspect`], kept current from `NameOwnerChanged`). Before each command the helper
//! compares the current owner with the one it attached to: a new owner (Skype restarted) means
//! `NAME` and `PROTOCOL` are sent again first; no owner means "Skype is not running". A bare
//! `ERROR 68` reply to a command (Skype forgot us in a way the owner table did not show yet)
//! also re-attaches once and repeats the command.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::connection::{Connection, Target};
use crate::error::{Error, Kind, Result};
use crate::hub::{Mode, Taken};
use crate::introspect::{self, call_typed, first_arg};
use crate::signature::Type;

/// Skype's well-known bus name.
pub const SKYPE_NAME: &str = "com.Skype.API";
/// Skype's object.
pub const SKYPE_PATH: &str = "/com/Skype";
/// Skype's interface (method `Invoke(s) -> s`).
pub const SKYPE_INTERFACE: &str = "com.Skype.API";
/// The client's callback object, exported by the helper.
pub const CLIENT_PATH: &str = "/com/Skype/Client";
/// The client's callback interface (method `Notify(s)`).
pub const CLIENT_INTERFACE: &str = "com.Skype.API.Client";
/// The protocol version asked for when the caller names none: the highest of Skype for Linux.
pub const DEFAULT_PROTOCOL: u32 = 8;
/// Notifications kept for the caller at most; beyond, the oldest are dropped (and counted).
pub const NOTIFICATION_BACKLOG: usize = 4096;
/// Error name of "Skype is running but not signed in" (result code `SKYPEBUS_SKYPE_ERROR`, Skype
/// code 0): retry after about a second, as Skype clients did.
pub const NOT_SIGNED_IN: &str = "net.skypebus.Error.SkypeNotSignedIn";
/// Error name of "Skype is not running": the bus' own name for an unowned destination.
pub const NOT_RUNNING: &str = "org.freedesktop.DBus.Error.ServiceUnknown";
/// Skype's error code for "access denied" (NAME refused, or a command without an accepted NAME).
pub const ACCESS_DENIED: i64 = 68;

const CLIENT_XML: &str = r#"<node>
  <interface name="com.Skype.API.Client">
    <method name="Notify"><arg name="notification" type="s" direction="in"/></method>
  </interface>
</node>"#;

/// Skype notifications may also sit in the connection's queue until the helper takes them; this
/// many at most (further ones are dropped by the serving machinery and counted there).
const QUEUED_NOTIFY_CALLS: usize = 4096;

/// Whom the helper is attached to, and with which protocol.
#[derive(Debug, Default)]
struct Attachment {
    /// The unique name of the Skype instance that accepted our `NAME`.
    owner: Option<String>,
    /// The protocol Skype agreed to.
    protocol: u32,
    /// The protocol to ask for on (re-)attach.
    requested: u32,
    /// Attaches done so far (so that threads that noticed a restart together attach once).
    generation: u64,
}

/// An application attached to Skype. Thread-safe: commands may be sent from several threads at
/// once (each gets its own id); notifications go to whichever thread takes them.
pub struct Skype {
    conn: Connection,
    app_name: String,
    timeout: Duration,
    next_id: AtomicU64,
    state: Mutex<Attachment>,
    /// Held while (re-)attaching, so one thread does it and the others wait for its outcome.
    attaching: tokio::sync::Mutex<()>,
    notifications: Mutex<VecDeque<String>>,
    dropped: AtomicU64,
}

/// A chat message sent with [`Skype::send_chat_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The chat id, e.g. `#alice/$bob;ea753190f0a3e49b`.
    pub chat: String,
    /// The chat message id, e.g. `290`.
    pub message: String,
}

impl SentMessage {
    /// `{"chat": "...", "message": "..."}`.
    pub fn to_json(&self) -> String {
        json!({"chat": self.chat, "message": self.message}).to_string()
    }
}

/// "Skype is not running", keeping the bus' error name.
fn not_running(detail: &str) -> Error {
    Error::dbus(NOT_RUNNING, format!("Skype is not running: {detail}"))
}

/// A Skype `ERROR <code> [<text>]` reply as an error, or None when `reply` is no error.
pub fn error_from_reply(reply: &str) -> Option<Error> {
    let rest = reply.strip_prefix("ERROR")?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let rest = rest.trim_start_matches(' ');
    let (code, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let Ok(code) = code.parse::<i64>() else {
        return Some(Error::invalid_message(format!(
            "Skype sent a malformed error reply: {reply:?}"
        )));
    };
    let message = match (code, text) {
        (ACCESS_DENIED, "") => "access denied by the user".to_owned(),
        (_, "") => format!("Skype error {code}"),
        (_, t) => t.to_owned(),
    };
    Some(Error {
        kind: Kind::Skype,
        name: Kind::Skype.own_name().to_owned(),
        message,
        skype_code: code,
    })
}

/// A reply that is not what the command calls for.
fn unexpected(command: &str, reply: &str) -> Error {
    Error::invalid_message(format!(
        "unexpected reply from Skype to {command:?}: {reply:?}"
    ))
}

/// Checks a command given by the caller.
fn check_command(command: &str) -> Result<()> {
    if command.starts_with('#') {
        return Err(Error::invalid_request(
            "send Skype commands without a \"#<n> \" prefix: the helper adds its own and strips it from the reply",
        ));
    }
    check_no_nul(command, "a Skype command")
}

/// D-Bus strings cannot carry NUL.
fn check_no_nul(text: &str, what: &str) -> Result<()> {
    if text.contains('\0') {
        return Err(Error::invalid_request(format!(
            "{what} cannot contain a NUL character"
        )));
    }
    Ok(())
}

/// The version in a `PROTOCOL <n>` reply.
fn protocol_of(reply: &str) -> Option<u32> {
    reply.strip_prefix("PROTOCOL ")?.parse().ok()
}

/// Checks a contact handle for [`Skype::send_chat_message`].
fn check_handle(handle: &str) -> Result<()> {
    if handle.is_empty() || handle.contains(|c: char| c.is_whitespace() || c == ',') {
        return Err(Error::invalid_request(format!(
            "{handle:?} is not a Skype handle (one contact: not empty, no spaces or commas)"
        )));
    }
    Ok(())
}

/// The first word of a command, upper-cased.
fn keyword(command: &str) -> String {
    command
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase()
}

impl Skype {
    /// Attaches to Skype on the bus at `address` (`"session"`, `"system"` or a D-Bus address)
    /// as the application `app_name`, asking for protocol `protocol` (0: [`DEFAULT_PROTOCOL`]).
    /// `timeout` bounds each step (0: the library's 25 s) and is the default of later commands.
    pub async fn attach(
        address: &str,
        app_name: &str,
        protocol: u32,
        timeout: Duration,
    ) -> Result<Skype> {
        if app_name.trim().is_empty() || app_name.contains(['\0', '\n', '\r']) {
            return Err(Error::invalid_request(
                "the application name must not be empty or contain line breaks or NUL",
            ));
        }
        let conn = crate::hub::open(Target::parse(address)).await?;
        let timeout = if timeout.is_zero() {
            conn.default_timeout()
        } else {
            timeout
        };
        // Notifications wait unanswered in the connection's queue until the helper takes them:
        // they must not expire meanwhile.
        crate::hub::set_options(
            &conn,
            &crate::event::Options {
                call_timeout: Some(Duration::from_millis(crate::request::MAX_TIMEOUT_MS)),
                max_pending_calls: Some(QUEUED_NOTIFY_CALLS),
                ..Default::default()
            },
        )?;
        crate::hub::export(&conn, CLIENT_PATH, CLIENT_XML, None).await?;
        let protocol = if protocol == 0 {
            DEFAULT_PROTOCOL
        } else {
            protocol
        };
        let skype = Skype {
            conn,
            app_name: app_name.to_owned(),
            timeout,
            next_id: AtomicU64::new(0),
            state: Mutex::new(Attachment {
                requested: protocol,
                ..Default::default()
            }),
            attaching: tokio::sync::Mutex::new(()),
            notifications: Mutex::new(VecDeque::new()),
            dropped: AtomicU64::new(0),
        };
        skype.attach_now(0, timeout).await?;
        Ok(skype)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Attachment> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The protocol version Skype agreed to (at the last attach, or the last `PROTOCOL` command).
    pub fn protocol(&self) -> u32 {
        self.state().protocol
    }

    /// The application name given to Skype.
    pub fn app_name(&self) -> &str {
        &self.app_name
    }

    /// The connection of this helper (private to it).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Notifications dropped so far because more than [`NOTIFICATION_BACKLOG`] were waiting.
    pub fn dropped_notifications(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn timeout_or_default(&self, timeout: Duration) -> Duration {
        if timeout.is_zero() {
            self.timeout
        } else {
            timeout
        }
    }

    /// The current owner of `com.Skype.API` (tracked in the background).
    async fn skype_owner(&self, timeout: Duration) -> Result<Option<String>> {
        introspect::resolve_owner(&crate::hub::lookup(&self.conn)?, Some(SKYPE_NAME), timeout).await
    }

    /// Sends `#<n> <command>` and returns the reply without its prefix.
    async fn invoke(&self, command: &str, timeout: Duration) -> Result<String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let prefix = format!("#{id} ");
        let reply = call_typed(
            &self.conn,
            introspect::Target {
                destination: Some(SKYPE_NAME),
                path: SKYPE_PATH,
                interface: SKYPE_INTERFACE,
                method: "Invoke",
                flags: 0,
            },
            &[Type::String],
            &[Value::String(format!("{prefix}{command}"))],
            timeout,
        )
        .await
        .map_err(|e| match e.kind {
            Kind::DBus if e.name == NOT_RUNNING => not_running(&e.message),
            Kind::Timeout => e.context(format!(
                "Skype did not answer {:?}",
                command.chars().take(80).collect::<String>()
            )),
            _ => e,
        })?;
        let text = match first_arg(&reply, Default::default())? {
            Value::String(s) => s,
            other => {
                return Err(Error::invalid_message(format!(
                    "Skype's Invoke returned {other} instead of a string"
                )));
            }
        };
        match text.strip_prefix(&prefix) {
            Some(rest) => Ok(rest.to_owned()),
            None if text == prefix.trim_end() => Ok(String::new()),
            None => Err(Error::invalid_message(format!(
                "Skype's reply does not carry the command id #{id}: {text:?}"
            ))),
        }
    }

    /// Sends `NAME` and `PROTOCOL`, unless another thread attached to the current owner since
    /// the caller saw attach number `seen`.
    async fn attach_now(&self, seen: u64, timeout: Duration) -> Result<()> {
        let _guard = self.attaching.lock().await;
        let owner = self
            .skype_owner(timeout)
            .await?
            .ok_or_else(|| not_running(&format!("nobody owns {SKYPE_NAME} on the bus")))?;
        {
            let mut st = self.state();
            if st.generation != seen && st.owner.as_deref() == Some(owner.as_str()) {
                return Ok(());
            }
            st.owner = None;
        }
        let name = format!("NAME {}", self.app_name);
        let reply = self.invoke(&name, timeout).await?;
        match reply.as_str() {
            "OK" => {}
            r if r.starts_with("CONNSTATUS ") => {
                return Err(Error {
                    kind: Kind::Skype,
                    name: NOT_SIGNED_IN.to_owned(),
                    message: format!(
                        "Skype is not signed in ({r}); try again once the user has signed in"
                    ),
                    skype_code: 0,
                });
            }
            r => return Err(error_from_reply(r).unwrap_or_else(|| unexpected(&name, r))),
        }
        let requested = self.state().requested;
        let protocol = self.protocol_command(requested, timeout).await?;
        let mut st = self.state();
        st.owner = Some(owner);
        st.protocol = protocol;
        st.generation += 1;
        Ok(())
    }

    /// Sends `PROTOCOL <n>` and returns the version Skype agreed to.
    async fn protocol_command(&self, requested: u32, timeout: Duration) -> Result<u32> {
        let command = format!("PROTOCOL {requested}");
        let reply = self.invoke(&command, timeout).await?;
        if let Some(e) = error_from_reply(&reply) {
            return Err(e);
        }
        protocol_of(&reply).ok_or_else(|| unexpected(&command, &reply))
    }

    /// Re-attaches first when Skype's owner changed since we attached.
    async fn ensure_attached(&self, timeout: Duration) -> Result<()> {
        let owner = self
            .skype_owner(timeout)
            .await?
            .ok_or_else(|| not_running(&format!("nobody owns {SKYPE_NAME} on the bus")))?;
        let seen = {
            let st = self.state();
            if st.owner.as_deref() == Some(owner.as_str()) {
                return Ok(());
            }
            st.generation
        };
        self.attach_now(seen, timeout).await
    }

    async fn command_async(&self, command: &str, timeout: Duration) -> Result<String> {
        self.ensure_attached(timeout).await?;
        let seen = self.state().generation;
        let mut reply = self.invoke(command, timeout).await?;
        if reply == "ERROR 68" && keyword(command) != "NAME" {
            // Skype no longer knows us (restarted before we noticed): attach again, once.
            self.attach_now(seen, timeout).await?;
            reply = self.invoke(command, timeout).await?;
        }
        if let Some(e) = error_from_reply(&reply) {
            return Err(e);
        }
        if keyword(command) == "PROTOCOL"
            && let Some(n) = protocol_of(&reply)
        {
            // Later re-attaches ask for what the caller asked for last.
            let asked = command.split_once(' ').map(|(_, n)| n.trim().parse());
            let mut st = self.state();
            st.protocol = n;
            st.requested = match asked {
                Some(Ok(asked)) => asked,
                _ => n,
            };
        }
        Ok(reply)
    }

    /// Sends any Skype command (without a `#n ` prefix: the helper adds and strips its own) and
    /// returns the reply. `ERROR <code> <text>` replies are errors of [`Kind::Skype`]. When Skype
    /// restarted since the last command, the helper attaches again first. `timeout` zero: the
    /// default given at attach.
    pub async fn command(&self, command: &str, timeout: Duration) -> Result<String> {
        check_command(command)?;
        self.conn.check_usable()?;
        let timeout = self.timeout_or_default(timeout);
        let reply = self.command_async(command, timeout).await;
        self.take_queued().await;
        reply
    }

    /// Sends `text` to the contact `handle`: `CHAT CREATE <handle>`, then
    /// `CHATMESSAGE <chat> <text>` (the text verbatim: line breaks, any UTF-8).
    pub async fn send_chat_message(&self, handle: &str, text: &str) -> Result<SentMessage> {
        check_handle(handle)?;
        check_no_nul(text, "a chat message")?;
        let create = format!("CHAT CREATE {handle}");
        let reply = self.command(&create, Duration::ZERO).await?;
        let chat = reply
            .strip_prefix("CHAT ")
            .and_then(|r| r.split_once(" STATUS "))
            .map(|(id, _)| id.to_owned())
            .filter(|id| !id.is_empty() && !id.contains(' '))
            .ok_or_else(|| unexpected(&create, &reply))?;
        let send = format!("CHATMESSAGE {chat} {text}");
        let reply = self.command(&send, Duration::ZERO).await?;
        let message = reply
            .strip_prefix("CHATMESSAGE ")
            .or_else(|| reply.strip_prefix("MESSAGE "))
            .and_then(|r| r.split_once(' '))
            .map(|(id, _)| id.to_owned())
            .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| unexpected(&format!("CHATMESSAGE {chat} ..."), &reply))?;
        Ok(SentMessage { chat, message })
    }

    /// Takes a queued event: a notification's text, or None when the event was something else
    /// (answered and consumed here).
    async fn take_event(&self, event: Taken) -> Option<String> {
        let Taken::Call(id, msg) = event else {
            return None;
        };
        let text = if msg.header().member().map(|m| m.as_str()) == Some("Notify") {
            msg.body().deserialize::<String>().ok()
        } else {
            None
        };
        // Releases the handle; sends an empty reply only if Skype wanted one.
        let _ = crate::hub::reply(&self.conn, id, None).await;
        // A late reply of a command (`#<n> ...`) delivered through Notify is no notification:
        // its command has already failed with a timeout.
        text.filter(|t| !is_prefixed_reply(t))
    }

    /// Moves every notification already queued on the connection into the helper's buffer.
    async fn take_queued(&self) {
        while let Ok(Some(event)) =
            crate::hub::next_taken(&self.conn, Duration::ZERO, Mode::Calls).await
        {
            if let Some(text) = self.take_event(event).await {
                self.buffer(text);
            }
        }
    }

    fn buffer(&self, text: String) {
        let mut q = self.notifications.lock().unwrap_or_else(|p| p.into_inner());
        q.push_back(text);
        while q.len() > NOTIFICATION_BACKLOG {
            q.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The next notification from Skype (e.g. `CHATMESSAGE 290 STATUS SENT`), waiting up to
    /// `timeout`; `Ok(None)` when none came in time. When Skype restarted, the helper attaches
    /// again first (so that notifications keep coming); while Skype is not running it just
    /// waits.
    pub async fn next_notification(&self, timeout: Duration) -> Result<Option<String>> {
        self.conn.check_usable()?;
        let deadline = Instant::now() + timeout;
        if let Some(text) = self.pop_buffered() {
            return Ok(Some(text));
        }
        let step = self.timeout;
        if self.skype_owner(step).await?.is_some() {
            self.ensure_attached(step).await?;
        }
        loop {
            if let Some(text) = self.pop_buffered() {
                return Ok(Some(text));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match crate::hub::next_taken(&self.conn, left, Mode::Calls).await? {
                Some(event) => {
                    if let Some(text) = self.take_event(event).await {
                        return Ok(Some(text));
                    }
                }
                None => return Ok(None),
            }
        }
    }

    fn pop_buffered(&self) -> Option<String> {
        self.notifications
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
    }
}

/// Whether `text` starts with a command id prefix `#<digits>` (then a space or the end).
fn is_prefixed_reply(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('#') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(rest.as_bytes().get(digits), None | Some(b' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_replies() {
        let e = error_from_reply("ERROR 510 Invalid/unknown chat name given").unwrap();
        assert_eq!(e.kind, Kind::Skype);
        assert_eq!(e.name, "net.skypebus.Error.Skype");
        assert_eq!(e.skype_code, 510);
        assert_eq!(e.message, "Invalid/unknown chat name given");
        let e = error_from_reply("ERROR 68").unwrap();
        assert_eq!(
            (e.skype_code, e.message.as_str()),
            (68, "access denied by the user")
        );
        let e = error_from_reply("ERROR 9901").unwrap();
        assert_eq!(
            (e.skype_code, e.message.as_str()),
            (9901, "Skype error 9901")
        );
        assert_eq!(
            error_from_reply("ERROR x").unwrap().kind,
            Kind::InvalidMessage
        );
        assert!(error_from_reply("ERRORS 1").is_none());
        assert!(error_from_reply("CHATMESSAGE 1 BODY ERROR 2").is_none());
    }

    #[test]
    fn command_checks() {
        assert!(check_command("#1 PING").is_err());
        assert!(check_command("PI\0NG").is_err());
        assert!(check_command("").is_ok());
        assert!(check_handle("bob").is_ok());
        for bad in ["", "bob carol", "bob,carol", "bob\n"] {
            assert!(check_handle(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn prefixed_replies() {
        assert!(is_prefixed_reply("#3 USERSTATUS ONLINE"));
        assert!(is_prefixed_reply("#3"));
        assert!(!is_prefixed_reply("#alice/$bob;1 x"));
        assert!(!is_prefixed_reply("CHATMESSAGE 1 STATUS SENT"));
    }
}
