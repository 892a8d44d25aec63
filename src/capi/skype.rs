//! The Skype helper: attach, commands, chat messages, notifications.

use std::ffi::c_char;

use super::events::next_text;
use super::{
    Handle, boundary, drop_unless_forked, millis, non_null, run, skypebus_error, str_from_c,
    write_out, write_string,
};
use crate::error::skypebus_result;
use crate::runtime;
use crate::skype::Skype;

/// An application attached to Skype (opaque), from `skypebus_skype_attach`.
#[allow(non_camel_case_types)]
pub struct skypebus_skype {
    _private: [u8; 0],
}

impl Handle for skypebus_skype {
    type Rust = Skype;

    /// In a forked child the connection is the parent's: only the handle goes, the connection
    /// is kept (never closed from here).
    fn release(value: Box<Skype>) {
        let owned = value.connection().owned_by_this_process();
        drop_unless_forked(value, owned);
    }
}

/// Attaches to Skype as the application `app_name`: opens a private connection to the bus at
/// `address` (`"session"`, `"system"` or a D-Bus address such as `unix:path=...`), exports
/// `/com/Skype/Client` (interface `com.Skype.API.Client`, method `Notify(s)`) on it, then sends
/// `NAME <app_name>` and `PROTOCOL <protocol>` to `com.Skype.API`. `protocol` 0 asks for 8;
/// `skypebus_skype_protocol` tells what Skype agreed to.
///
/// `timeout_ms` bounds each of these calls (0: 25 s) and is the default timeout of later
/// commands. While Skype asks the user to allow the application, `NAME` does not return: an
/// answer slower than the timeout gives `SKYPEBUS_TIMEOUT`.
///
/// Errors: the user refused -> `SKYPEBUS_SKYPE_ERROR` with Skype code 68 (message "access denied
/// by the user"); Skype running but not signed in -> `SKYPEBUS_SKYPE_ERROR`, name
/// `net.skypebus.Error.SkypeNotSignedIn`, Skype code 0: try again later; Skype not running ->
/// `SKYPEBUS_DBUS_ERROR` named `org.freedesktop.DBus.Error.ServiceUnknown` ("Skype is not
/// running: ..."); the bus cannot be reached -> `SKYPEBUS_CONNECT_FAILED`; an empty
/// `app_name` or one with line breaks -> `SKYPEBUS_INVALID_REQUEST`.
///
/// On success `*out` receives a new handle that the caller frees with `skypebus_skype_free`; on
/// failure `*out` is left alone. The strings are borrowed for the call. NULL `address`,
/// `app_name` or `out` gives `SKYPEBUS_NULL_ARGUMENT`. The handle may be used from several
/// threads at once; after `fork()` it is unusable in the child (`SKYPEBUS_DISCONNECTED`).
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_skype_attach(
    address: *const c_char,
    app_name: *const c_char,
    protocol: u32,
    timeout_ms: u32,
    out: *mut *mut skypebus_skype,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let address = str_from_c(address, "address")?;
        let app_name = str_from_c(app_name, "app_name")?;
        non_null(out, "out")?;
        let inner = runtime::block_on(Skype::attach(
            address,
            app_name,
            protocol,
            millis(timeout_ms),
        ))??;
        write_out(out, skypebus_skype::into_raw(inner));
        Ok(())
    })
}

/// The protocol version Skype agreed to (the reply to `PROTOCOL` at the last attach or the last
/// `PROTOCOL` command), 0 for NULL. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_skype_protocol(skype: *const skypebus_skype) -> u32 {
    boundary!(or = 0, {
        skypebus_skype::borrow(skype).map_or(0, Skype::protocol)
    })
}

/// Detaches from Skype and frees the handle: its connection is closed, so Skype forgets the
/// application. `skypebus_skype_free(NULL)` is a no-op; freeing twice, or while another thread
/// still uses the handle, is undefined behaviour. In a process forked after the attach, this only
/// releases the handle and leaks the connection (the parent's socket is never touched).
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_skype_free(skype: *mut skypebus_skype) {
    boundary!(or = (), { skypebus_skype::free(skype) })
}

/// Sends the Skype command `command` (e.g. `GET USERSTATUS`, `CHAT CREATE bob`) and writes
/// Skype's reply (e.g. `USERSTATUS ONLINE`) to `*reply_out`, a new string the caller frees with
/// `skypebus_string_free`.
///
/// The helper prefixes the command with an id (`#<n> `), matches the reply by it and strips it,
/// so `command` must not start with `#` (`SKYPEBUS_INVALID_REQUEST`). A reply `ERROR <code>
/// <text>` gives `SKYPEBUS_SKYPE_ERROR`: `skypebus_error_skype_code` is the code and the message
/// is the text. If Skype restarted since the last command, the helper first attaches again
/// (`NAME` and `PROTOCOL`, with the errors of `skypebus_skype_attach`); if Skype is gone, the
/// result is `SKYPEBUS_DBUS_ERROR` named `org.freedesktop.DBus.Error.ServiceUnknown`.
///
/// `timeout_ms` 0 uses the attach timeout; no reply in time gives `SKYPEBUS_TIMEOUT`. The string
/// is borrowed for the call. Thread-safe: several threads may send commands at once.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_skype_command(
    skype: *const skypebus_skype,
    command: *const c_char,
    timeout_ms: u32,
    reply_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let skype = skypebus_skype::try_ref(skype, "skype")?;
        let command = str_from_c(command, "command")?;
        non_null(reply_out, "reply_out")?;
        let reply = run(
            skype.connection(),
            skype.command(command, millis(timeout_ms)),
        )??;
        write_string(reply_out, reply)?;
        Ok(())
    })
}

/// Sends the chat message `text` to the contact `handle`: `CHAT CREATE <handle>`, then
/// `CHATMESSAGE <chat> <text>`. `text` is sent verbatim (line breaks and any UTF-8 are kept).
/// Writes `{"chat": "<chat id>", "message": "<chat message id>"}` to `*result_json_out`, a new
/// string the caller frees with `skypebus_string_free`. Skype reports the message `SENDING`;
/// `CHATMESSAGE <id> STATUS SENT` follows as a notification.
///
/// A handle that is empty or has spaces or commas gives `SKYPEBUS_INVALID_REQUEST`; Skype's
/// refusals give `SKYPEBUS_SKYPE_ERROR` (e.g. code 43 for an empty text). Each command uses the
/// attach timeout and re-attaches as `skypebus_skype_command` does. The strings are borrowed
/// for the call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_skype_send_chat_message(
    skype: *const skypebus_skype,
    handle: *const c_char,
    text: *const c_char,
    result_json_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let skype = skypebus_skype::try_ref(skype, "skype")?;
        let handle = str_from_c(handle, "handle")?;
        let text = str_from_c(text, "text")?;
        non_null(result_json_out, "result_json_out")?;
        let sent = run(skype.connection(), skype.send_chat_message(handle, text))??;
        write_string(result_json_out, sent.to_json())?;
        Ok(())
    })
}

/// Takes the next notification Skype sent (a `Notify` call, e.g. `CHATMESSAGE 290 STATUS SENT`),
/// waiting up to `timeout_ms` milliseconds (0: only what has already arrived), and writes its
/// text to `*notification_out`, a new string the caller frees with `skypebus_string_free`.
///
/// Notifications arrive in the background, also while the caller is elsewhere, and wait until
/// taken (at most 4096: see docs/skype.md for which are dropped beyond). **Nothing in time** gives `SKYPEBUS_EMPTY` and leaves `*notification_out` and
/// `*err` alone (EMPTY is no error: no error object is made).
/// If Skype restarted, the helper attaches again first, so notifications keep coming (its
/// errors are those of `skypebus_skype_attach`); while Skype is not running it just waits.
///
/// The wait is done in slices inside the library, so other threads using the handle are served
/// meanwhile. Thread-safe: several threads may wait; each notification goes to one of them.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_skype_next_notification(
    skype: *const skypebus_skype,
    timeout_ms: u32,
    notification_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let skype = skypebus_skype::try_ref(skype, "skype")?;
        non_null(notification_out, "notification_out")?;
        next_text(
            run(
                skype.connection(),
                skype.next_notification(millis(timeout_ms)),
            )??,
            notification_out,
        )
    })
}
