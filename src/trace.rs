//! The message trace: with the environment variable `SKYPEBUS_TRACE` set, every message the
//! library sends or receives on any connection is written as one busctl-like line
//! (docs/c.md, "Tracing"):
//!
//! ```text
//! skypebus[4242] -> method_call cookie=5 sender=:1.3 destination=org.freedesktop.DBus path=/org/freedesktop/DBus interface=org.freedesktop.DBus member=GetNameOwner signature=s ["org.freedesktop.DBus"]
//! skypebus[4242] <- error cookie=9 reply_cookie=5 sender=org.freedesktop.DBus destination=:1.3 error_name=org.freedesktop.DBus.Error.NameHasNoOwner signature=s ["..."]
//! ```
//!
//! The value is `1` or `stderr` (standard error), or a file path (created if needed, appended
//! to); unset, empty or `0` is off. It is read once per process, when the first connection is
//! opened; a file that cannot be opened fails that open (and every later one) with an error
//! naming it. A child after `fork()` keeps its parent's setting and destination (a file is
//! opened for appending, so the lines of both processes interleave whole).
//!
//! Off, the cost is one check of a field the connection keeps. On, each line is written with
//! one `write` call; its values are the body as JSON ([`crate::json`]), cut at 512 bytes.

use std::fs::File;
use std::io::Write;
use std::sync::OnceLock;

use zbus::Message;
use zbus::message::Type as MsgType;

use crate::error::{Error, Result};
use crate::json::DecodeOptions;

/// The environment variable of the switch.
pub const ENVIRONMENT: &str = "SKYPEBUS_TRACE";

/// Longest text of a message's values in a line; longer ones are cut and end with `...`.
const MAX_VALUES: usize = 512;

/// Where the lines go.
#[derive(Debug)]
pub enum Trace {
    Stderr,
    File(File),
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Out,
    In,
}

static TRACE: OnceLock<std::result::Result<Option<Trace>, String>> = OnceLock::new();

/// The process' trace (None: off), read from the environment the first time.
pub fn get() -> Result<Option<&'static Trace>> {
    match TRACE.get_or_init(|| from_value(std::env::var_os(ENVIRONMENT))) {
        Ok(trace) => Ok(trace.as_ref()),
        Err(message) => Err(Error::invalid_request(message.clone())),
    }
}

/// The trace a value of the variable asks for.
fn from_value(value: Option<std::ffi::OsString>) -> std::result::Result<Option<Trace>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    match value.to_str() {
        Some("" | "0") => Ok(None),
        Some("1" | "stderr") => Ok(Some(Trace::Stderr)),
        _ => std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&value)
            .map(|f| Some(Trace::File(f)))
            .map_err(|e| {
                format!(
                    "{ENVIRONMENT}={}: the trace file cannot be opened for appending: {e} (use 1 for standard error)",
                    value.to_string_lossy()
                )
            }),
    }
}

impl Trace {
    /// Writes the line of `msg`; `own_name` (the connection's unique name) stands for the sender
    /// of outgoing messages, which the bus stamps only on the way.
    pub fn message(&self, direction: Direction, msg: &Message, own_name: Option<&str>) {
        let mut line = describe(direction, msg, own_name);
        line.push('\n');
        // A failed write must not fail the message: the trace is a diagnostic.
        let _ = match self {
            Trace::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
            Trace::File(f) => (&*f).write_all(line.as_bytes()),
        };
    }
}

/// The line of one message, without its newline.
pub fn describe(direction: Direction, msg: &Message, own_name: Option<&str>) -> String {
    let header = msg.header();
    let kind = match msg.message_type() {
        MsgType::MethodCall => "method_call",
        MsgType::MethodReturn => "method_return",
        MsgType::Error => "error",
        MsgType::Signal => "signal",
    };
    let arrow = match direction {
        Direction::Out => "->",
        Direction::In => "<-",
    };
    let mut line = format!("skypebus[{}] {arrow} {kind}", std::process::id());
    let mut field = |key: &str, value: Option<String>| {
        if let Some(v) = value {
            line.push_str(&format!(" {key}={v}"));
        }
    };
    field(
        "cookie",
        Some(msg.primary_header().serial_num().to_string()),
    );
    field("reply_cookie", header.reply_serial().map(|s| s.to_string()));
    let sender = match (header.sender(), direction) {
        (Some(s), _) => Some(s.to_string()),
        (None, Direction::Out) => own_name.map(str::to_owned),
        (None, Direction::In) => None,
    };
    field("sender", sender);
    field("destination", header.destination().map(|d| d.to_string()));
    field("path", header.path().map(|p| p.to_string()));
    field("interface", header.interface().map(|i| i.to_string()));
    field("member", header.member().map(|m| m.to_string()));
    field("error_name", header.error_name().map(|e| e.to_string()));
    let mut values = String::new();
    match crate::message::body_json_into(
        msg,
        DecodeOptions::default(),
        crate::message::Fds::Index,
        &mut values,
    ) {
        Ok(signature) => {
            field("signature", (!signature.is_empty()).then_some(signature));
            line.push(' ');
            line.push_str(cut(&values));
            if values.len() > MAX_VALUES {
                line.push_str("...");
            }
        }
        Err(e) => line.push_str(&format!(" (body not decoded: {e})")),
    }
    line
}

/// The first [`MAX_VALUES`] bytes of `text`, at a character boundary.
fn cut(text: &str) -> &str {
    if text.len() <= MAX_VALUES {
        return text;
    }
    let mut end = MAX_VALUES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_syntax() {
        assert!(from_value(None).unwrap().is_none());
        assert!(from_value(Some("".into())).unwrap().is_none());
        assert!(from_value(Some("0".into())).unwrap().is_none());
        assert!(matches!(
            from_value(Some("1".into())),
            Ok(Some(Trace::Stderr))
        ));
        assert!(matches!(
            from_value(Some("stderr".into())),
            Ok(Some(Trace::Stderr))
        ));
        let e = from_value(Some("/nonexistent/dir/trace.log".into())).unwrap_err();
        assert!(e.starts_with("SKYPEBUS_TRACE=/nonexistent/dir/trace.log: the trace file cannot be opened for appending: "), "{e}");
        assert!(e.ends_with("(use 1 for standard error)"), "{e}");
    }

    #[test]
    fn a_call_and_an_error_reply() {
        let call = zbus::Message::method_call("/org/example/Obj", "Hello")
            .destination("org.example.Peer")
            .interface("org.example.Iface")
            .build(&("x", 7u32))
            .unwrap();
        let line = describe(Direction::Out, &call, Some(":1.5"));
        let cookie = call.primary_header().serial_num();
        assert_eq!(
            line,
            format!(
                "skypebus[{}] -> method_call cookie={cookie} sender=:1.5 destination=org.example.Peer \
                 path=/org/example/Obj interface=org.example.Iface member=Hello signature=su [\"x\",7]",
                std::process::id()
            )
        );
        let error = zbus::Message::error(&call.header(), "org.example.Error.Nope")
            .build(&("no",))
            .unwrap();
        let line = describe(Direction::In, &error, Some(":1.5"));
        assert!(
            line.ends_with(&format!(
                "<- error cookie={} reply_cookie={cookie} error_name=org.example.Error.Nope signature=s [\"no\"]",
                error.primary_header().serial_num()
            )),
            "{line}"
        );
    }

    #[test]
    fn long_values_are_cut_at_a_character_boundary() {
        let text = "é".repeat(MAX_VALUES);
        let cut = cut(&text);
        assert!(cut.len() <= MAX_VALUES && cut.len() >= MAX_VALUES - 1);
        assert!(text.starts_with(cut));
    }
}
