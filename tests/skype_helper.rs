//! The Skype helper (`skypebus::skype`) against the emulator on a private bus: attach, commands,
//! chat messages, notifications, every documented failure, and the transparent re-attach after
//! Skype restarts. Ids are matched by pattern (`{n}`: digits, `{hex}`: 16 lowercase hex digits).

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use skypebus::error::{Error, Kind};
use skypebus::skype::{NOT_RUNNING, NOT_SIGNED_IN, Skype};
use support::{Block, Emulator, PrivateBus};

const T: Duration = Duration::from_secs(10);

/// Whether `text` matches `pattern`, where `{n}` stands for one or more digits and `{hex}` for
/// exactly 16 lowercase hex digits; everything else is literal.
fn matches(pattern: &str, text: &str) -> bool {
    if let Some(rest) = pattern.strip_prefix("{n}") {
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        return digits > 0 && matches(rest, &text[digits..]);
    }
    if let Some(rest) = pattern.strip_prefix("{hex}") {
        return text.len() >= 16
            && text[..16]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && matches(rest, &text[16..]);
    }
    match (pattern.chars().next(), text.chars().next()) {
        (None, None) => true,
        (Some(p), Some(t)) if p == t => matches(&pattern[p.len_utf8()..], &text[t.len_utf8()..]),
        _ => false,
    }
}

fn assert_matches(pattern: &str, text: &str) {
    assert!(
        matches(pattern, text),
        "{text:?} does not match {pattern:?}"
    );
}

fn attach(bus: &PrivateBus, protocol: u32) -> Skype {
    Skype::attach(&bus.address, "php", protocol, T)
        .block()
        .expect("attach")
}

/// Notifications until `want` arrives (or 10 s pass); returns all seen, `want` last.
fn notifications_until(skype: &Skype, want: &str) -> Vec<String> {
    let deadline = Instant::now() + T;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Some(n) = skype
            .next_notification(Duration::from_millis(200))
            .block()
            .expect("next_notification")
        {
            let done = matches(want, &n);
            seen.push(n);
            if done {
                return seen;
            }
        }
    }
    panic!("no notification matching {want:?}; got {seen:?}");
}

fn skype_error(e: &Error, code: i64, text: &str) {
    assert_eq!(e.kind, Kind::Skype, "{e}");
    assert_eq!(e.name, "net.skypebus.Error.Skype");
    assert_eq!((e.skype_code, e.message.as_str()), (code, text), "{e}");
}

#[test]
fn attach_send_and_sent_notification() {
    let bus = PrivateBus::start();
    let _emu = Emulator::start(&bus, &[]);
    let skype = attach(&bus, 8);
    assert_eq!(skype.protocol(), 8);
    // The attach notifications (scenario 1).
    let first = notifications_until(&skype, "USERSTATUS ONLINE");
    assert_eq!(
        first,
        [
            "CONNSTATUS ONLINE",
            "CURRENTUSERHANDLE alice",
            "USERSTATUS ONLINE"
        ]
    );
    let sent = skype
        .send_chat_message("bob", "hello")
        .block()
        .expect("send");
    assert_matches("#alice/$bob;{hex}", &sent.chat);
    assert_matches("{n}", &sent.message);
    let json: serde_json::Value = serde_json::from_str(&sent.to_json()).unwrap();
    assert_eq!(json, json!({"chat": sent.chat, "message": sent.message}));
    let seen = notifications_until(&skype, &format!("CHATMESSAGE {} STATUS SENT", sent.message));
    assert_matches(
        &format!("CHAT {} ACTIVITY_TIMESTAMP {{n}}", sent.chat),
        &seen[0],
    );

    // What Skype saw: our id prefixes, NAME, PROTOCOL, CHAT CREATE, CHATMESSAGE.
    let conn = bus.connect();
    let me = skype.connection().unique_name().unwrap().unwrap();
    let lines: Vec<String> = Emulator::transcript(&conn)
        .into_iter()
        .filter(|l| l.starts_with(&format!("C {me} ")))
        .map(|l| l[me.len() + 3..].to_owned())
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_matches("#{n} NAME php", &lines[0]);
    assert_matches("#{n} PROTOCOL 8", &lines[1]);
    assert_matches("#{n} CHAT CREATE bob", &lines[2]);
    assert_matches(
        &format!("#{{n}} CHATMESSAGE {} hello", sent.chat),
        &lines[3],
    );
}

#[test]
fn commands_prefixes_and_queries() {
    let bus = PrivateBus::start();
    let _emu = Emulator::start(&bus, &[]);
    let skype = attach(&bus, 9999);
    // Scenario 2: the protocol is capped.
    assert_eq!(skype.protocol(), 8);
    // Scenario 14.
    assert_eq!(
        skype.command("PING", Duration::ZERO).block().unwrap(),
        "PONG"
    );
    assert_eq!(
        skype
            .command("GET CURRENTUSERHANDLE", Duration::ZERO)
            .block()
            .unwrap(),
        "CURRENTUSERHANDLE alice"
    );
    assert_eq!(
        skype
            .command("SEARCH FRIENDS", Duration::ZERO)
            .block()
            .unwrap(),
        "USERS echo123, bob"
    );
    assert_eq!(
        skype
            .command("GET USER echo123 FULLNAME", Duration::ZERO)
            .block()
            .unwrap(),
        "USER echo123 FULLNAME Echo / Sound Test Service"
    );
    let e = skype.command("GET USER bob COLOUR", T).block().unwrap_err();
    skype_error(&e, 10, "Invalid PROP");
    // Scenario 13.
    skype_error(
        &skype.command("FOO", T).block().unwrap_err(),
        2,
        "Unknown command",
    );
    // Our own prefixes only.
    let e = skype.command("#9 FOO", T).block().unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
    // A later PROTOCOL command is what protocol() reports.
    assert_eq!(
        skype.command("PROTOCOL 5", T).block().unwrap(),
        "PROTOCOL 5"
    );
    assert_eq!(skype.protocol(), 5);
    // Scenario 10 at protocol 5.
    skype_error(
        &skype.command("CHAT CREATE", T).block().unwrap_err(),
        507,
        "CHAT: CREATE: invalid/missing user handle(s) as argument",
    );
}

#[test]
fn unknown_chat_and_empty_message() {
    let bus = PrivateBus::start();
    let _emu = Emulator::start(&bus, &[]);
    let skype = attach(&bus, 8);
    skype_error(
        &skype
            .command("CHATMESSAGE #alice/$nobody;0000000000000000 hi", T)
            .block()
            .unwrap_err(),
        510,
        "Invalid/unknown chat name given",
    );
    skype_error(
        &skype.send_chat_message("bob", "").block().unwrap_err(),
        43,
        "cannot send empty message",
    );
    for bad in ["", "bob carol", "bob,carol"] {
        let e = skype.send_chat_message(bad, "hi").block().unwrap_err();
        assert_eq!(e.kind, Kind::InvalidRequest, "{bad:?}");
    }
}

#[test]
fn multi_line_utf8_message_kept() {
    let bus = PrivateBus::start();
    let _emu = Emulator::start(&bus, &[]);
    let skype = attach(&bus, 8);
    // Leading and trailing spaces, tabs, line feeds, any UTF-8; a text that looks like a
    // command id is just text.
    for text in [" héllo\nwörld ✓\ttab ", "#1 tag"] {
        let sent = skype.send_chat_message("bob", text).block().unwrap();
        assert_eq!(
            skype
                .command(&format!("GET CHATMESSAGE {} BODY", sent.message), T)
                .block()
                .unwrap(),
            format!("CHATMESSAGE {} BODY {text}", sent.message)
        );
    }
}

#[test]
fn incoming_message_notified() {
    let bus = PrivateBus::start();
    let _emu = Emulator::start(&bus, &[]);
    let skype = attach(&bus, 8);
    let conn = bus.connect();
    let id = Emulator::control(&conn, "InjectMessage", "ss", json!(["bob", "héllo\nwörld"]));
    let id = id["data"][0].as_str().unwrap().to_owned();
    notifications_until(&skype, &format!("CHATMESSAGE {id} STATUS RECEIVED"));
    assert_eq!(
        skype
            .command(&format!("GET CHATMESSAGE {id} BODY"), T)
            .block()
            .unwrap(),
        format!("CHATMESSAGE {id} BODY héllo\nwörld")
    );
    assert_eq!(
        skype
            .command(&format!("SET CHATMESSAGE {id} SEEN"), T)
            .block()
            .unwrap(),
        format!("CHATMESSAGE {id} STATUS READ")
    );
}

#[test]
fn refused() {
    let bus = PrivateBus::start();
    let _emu = Emulator::start(&bus, &["--auth", "refuse"]);
    let e = Skype::attach(&bus.address, "php", 8, T)
        .block()
        .err()
        .unwrap();
    skype_error(&e, 68, "access denied by the user");
}

#[test]
fn not_signed_in_then_signed_in() {
    let bus = PrivateBus::start();
    let _emu = Emulator::start(&bus, &["--auth", "offline"]);
    let e = Skype::attach(&bus.address, "php", 8, T)
        .block()
        .err()
        .unwrap();
    assert_eq!(e.kind, Kind::Skype);
    assert_eq!(e.name, NOT_SIGNED_IN);
    assert_eq!(e.skype_code, 0);
    assert!(e.message.contains("not signed in"), "{e}");
    Emulator::control(&bus.connect(), "SignIn", "", json!([]));
    let skype = attach(&bus, 8);
    assert_eq!(skype.command("PING", T).block().unwrap(), "PONG");
}

#[test]
fn skype_absent() {
    let bus = PrivateBus::start();
    let e = Skype::attach(&bus.address, "php", 8, T)
        .block()
        .err()
        .unwrap();
    assert_eq!(e.kind, Kind::DBus);
    assert_eq!(e.name, NOT_RUNNING);
    assert!(e.message.starts_with("Skype is not running"), "{e}");
}

#[test]
fn authorisation_slower_than_the_timeout() {
    let bus = PrivateBus::start();
    let _emu = Emulator::start(&bus, &["--auth", "pending", "--auth-delay-ms", "3000"]);
    let started = Instant::now();
    let e = Skype::attach(&bus.address, "php", 8, Duration::from_millis(300))
        .block()
        .err()
        .unwrap();
    assert_eq!(e.kind, Kind::Timeout, "{e}");
    assert_eq!(e.name, "org.freedesktop.DBus.Error.NoReply");
    assert!(started.elapsed() < Duration::from_millis(1500));
    // Faster than the timeout: attached.
    let skype = Skype::attach(&bus.address, "php", 8, Duration::from_secs(10)).block();
    assert!(skype.is_ok());
}

#[test]
fn skype_restarted_between_two_messages() {
    let bus = PrivateBus::start();
    let mut emu = Emulator::start(&bus, &[]);
    let skype = attach(&bus, 7);
    let first = skype.send_chat_message("bob", "before").block().unwrap();
    emu.stop();
    // Skype gone: the documented error, not a hang.
    let e = skype
        .send_chat_message("bob", "while away")
        .block()
        .unwrap_err();
    assert_eq!(e.name, NOT_RUNNING, "{e}");
    let emu2 = Emulator::start(&bus, &[]);
    let second = skype.send_chat_message("bob", "after").block().unwrap();
    assert_eq!(second.chat, first.chat);
    assert_eq!(skype.protocol(), 7);
    notifications_until(
        &skype,
        &format!("CHATMESSAGE {} STATUS SENT", second.message),
    );
    let me = skype.connection().unique_name().unwrap().unwrap();
    let lines: Vec<String> = Emulator::transcript(&bus.connect())
        .into_iter()
        .filter(|l| l.starts_with(&format!("C {me} ")))
        .map(|l| l[me.len() + 3..].to_owned())
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_matches("#{n} NAME php", &lines[0]);
    assert_matches("#{n} PROTOCOL 7", &lines[1]);
    assert_matches("#{n} CHAT CREATE bob", &lines[2]);
    assert_matches("#{n} CHATMESSAGE #alice/$bob;{hex} after", &lines[3]);
    drop(emu2);
}

#[test]
fn command_right_after_a_restart() {
    // Whether the helper sees the new owner first or gets the new instance's bare ERROR 68, it
    // attaches again and the command succeeds.
    let bus = PrivateBus::start();
    let mut emu = Emulator::start(&bus, &[]);
    let skype = attach(&bus, 8);
    emu.stop();
    let _emu2 = Emulator::start(&bus, &[]);
    assert_eq!(
        skype.command("GET USERSTATUS", T).block().unwrap(),
        "USERSTATUS ONLINE"
    );
}

#[test]
fn notifications_empty_in_time() {
    let bus = PrivateBus::start();
    let _emu = Emulator::start(&bus, &[]);
    let skype = attach(&bus, 8);
    notifications_until(&skype, "USERSTATUS ONLINE");
    let started = Instant::now();
    assert_eq!(
        skype
            .next_notification(Duration::from_millis(150))
            .block()
            .unwrap(),
        None
    );
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn commands_from_several_threads() {
    let bus = PrivateBus::start();
    let _emu = Emulator::start(&bus, &[]);
    let skype = attach(&bus, 8);
    std::thread::scope(|s| {
        for i in 0..4 {
            let skype = &skype;
            s.spawn(move || {
                for j in 0..25 {
                    let sent = skype
                        .send_chat_message("bob", &format!("thread {i} message {j}"))
                        .block()
                        .unwrap();
                    assert_matches("{n}", &sent.message);
                }
            });
        }
    });
    assert_eq!(skype.dropped_notifications(), 0);
}
