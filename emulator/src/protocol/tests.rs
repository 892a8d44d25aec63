//! The scenarios of `docs/skype-protocol.md` 7 and every error code, against the pure protocol.
//! Ids (message numbers, the 16-hex chat suffixes) are matched by pattern: `{n}` is a decimal
//! number, `{hex}` 16 lowercase hex digits, `{any}` any text.

use super::*;

const C1: &str = ":1.1";
const C2: &str = ":1.2";
const NOW: u64 = 1_175_093_328;

/// Match `text` against `pattern`; return the captured `{n}`/`{hex}`/`{any}` pieces.
fn capture(pattern: &str, text: &str) -> Option<Vec<String>> {
    fn go(p: &str, t: &str, out: &mut Vec<String>) -> bool {
        if p.is_empty() {
            return t.is_empty();
        }
        for (ph, ok) in [
            ("{n}", (|c: char| c.is_ascii_digit()) as fn(char) -> bool),
            ("{hex}", |c: char| {
                c.is_ascii_digit() || ('a'..='f').contains(&c)
            }),
            ("{any}", |_| true),
        ] {
            if let Some(rest) = p.strip_prefix(ph) {
                let max = t.find(|c: char| !ok(c)).unwrap_or(t.len());
                let lens: Vec<usize> = if ph == "{hex}" {
                    vec![16]
                } else {
                    (1..=max).rev().collect()
                };
                for len in lens {
                    if len > max || !t.is_char_boundary(len) {
                        continue;
                    }
                    out.push(t[..len].to_string());
                    if go(rest, &t[len..], out) {
                        return true;
                    }
                    out.pop();
                }
                return false;
            }
        }
        let c = p.chars().next().expect("non-empty");
        match t.strip_prefix(c) {
            Some(t_rest) => go(&p[c.len_utf8()..], t_rest, out),
            None => false,
        }
    }
    let mut out = Vec::new();
    go(pattern, text, &mut out).then_some(out)
}

#[track_caller]
fn assert_match(pattern: &str, text: &str) -> Vec<String> {
    capture(pattern, text).unwrap_or_else(|| panic!("{text:?} does not match {pattern:?}"))
}

fn emu() -> Emulator {
    Emulator::new(Config::default())
}

fn emu_with(f: impl FnOnce(&mut Config)) -> Emulator {
    let mut c = Config::default();
    f(&mut c);
    Emulator::new(c)
}

/// The single reply among `actions`.
#[track_caller]
fn reply(actions: &[Action]) -> String {
    let r: Vec<&String> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Reply(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(r.len(), 1, "expected one reply in {actions:?}");
    r[0].clone()
}

fn notes(actions: &[Action], to: &str) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Notify { to: t, text } if t == to => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// Send one command and return its reply.
fn cmd(e: &mut Emulator, client: &str, command: &str) -> String {
    reply(&e.invoke(client, command, NOW))
}

/// NAME + PROTOCOL, asserting the handshake.
fn attach(e: &mut Emulator, client: &str, protocol: u32) {
    assert_eq!(cmd(e, client, "NAME php"), "OK");
    let a = e.invoke(client, &format!("PROTOCOL {protocol}"), NOW);
    assert_eq!(reply(&a), format!("PROTOCOL {protocol}"));
}

const ATTACH_NOTES: [&str; 3] = [
    "CONNSTATUS ONLINE",
    "CURRENTUSERHANDLE alice",
    "USERSTATUS ONLINE",
];

#[test]
fn pattern_helper_works() {
    assert_eq!(
        assert_match(
            "CHAT #alice/$bob;{hex} STATUS DIALOG",
            "CHAT #alice/$bob;ea753190f0a3e49b STATUS DIALOG"
        ),
        vec!["ea753190f0a3e49b"]
    );
    assert!(capture("X {n}", "X 12a").is_none());
    assert!(capture("{hex}", "ea753190f0a3e49").is_none());
    assert_eq!(assert_match("A {any} B", "A x y B"), vec!["x y"]);
}

// ----- scenarios 1-16 ---------------------------------------------------------------------

#[test]
fn scenario_01_handshake_2007_flow() {
    let mut e = emu();
    let a = e.invoke(C1, "NAME php", NOW);
    assert_eq!(a[0], Action::Reply("OK".into()));
    assert!(
        notes(&a, C1).is_empty(),
        "nothing is notified before PROTOCOL"
    );
    assert!(matches!(&a[1], Action::HandshakeTimer { client, delay_ms: 100, .. } if client == C1));
    let a = e.invoke(C1, "PROTOCOL 2", NOW);
    // The reply comes first, then the three notifications, in this order.
    assert_eq!(a[0], Action::Reply("PROTOCOL 2".into()));
    assert_eq!(notes(&a, C1), ATTACH_NOTES);
    assert_eq!(a.len(), 4);
}

#[test]
fn scenario_01_attach_notifications_without_protocol() {
    let mut e = emu();
    let a = e.invoke(C1, "NAME php", NOW);
    let Action::HandshakeTimer { epoch, .. } = a[1].clone() else {
        panic!("no timer in {a:?}");
    };
    assert_eq!(notes(&e.handshake_timer(C1, epoch, NOW), C1), ATTACH_NOTES);
    // Only once.
    assert!(e.handshake_timer(C1, epoch, NOW).is_empty());
    // A PROTOCOL after that does not repeat them.
    assert_eq!(e.invoke(C1, "PROTOCOL 5", NOW).len(), 1);
}

#[test]
fn scenario_01_other_command_first_flushes_notifications_before_its_reply() {
    let mut e = emu();
    let a = e.invoke(C1, "NAME php", NOW);
    let Action::HandshakeTimer { epoch, .. } = a[1].clone() else {
        panic!("no timer");
    };
    let a = e.invoke(C1, "PING", NOW);
    assert_eq!(notes(&a[..3], C1), ATTACH_NOTES);
    assert_eq!(a[3], Action::Reply("PONG".into()));
    assert!(e.handshake_timer(C1, epoch, NOW).is_empty());
}

#[test]
fn scenario_01_second_name_is_accepted_and_reattaches() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    let a = e.invoke(C1, "NAME Skype4Py", NOW);
    assert_eq!(reply(&a), "OK");
    let Action::HandshakeTimer { epoch, .. } = a[1].clone() else {
        panic!("no timer");
    };
    assert_eq!(notes(&e.handshake_timer(C1, epoch, NOW), C1), ATTACH_NOTES);
    assert_eq!(cmd(&mut e, C1, "GET USERSTATUS"), "USERSTATUS ONLINE");
}

#[test]
fn scenario_02_protocol_cap() {
    let mut e = emu();
    assert_eq!(cmd(&mut e, C1, "NAME php"), "OK");
    assert_eq!(cmd(&mut e, C1, "PROTOCOL 9999"), "PROTOCOL 8");
    assert_eq!(cmd(&mut e, C1, "PROTOCOL 99"), "PROTOCOL 8");
    assert_eq!(
        cmd(&mut e, C1, "PROTOCOL 99999999999999999999"),
        "PROTOCOL 8"
    );
    assert_eq!(cmd(&mut e, C1, "PROTOCOL 1"), "PROTOCOL 1");
    let mut e = emu_with(|c| c.protocol_max = 5);
    assert_eq!(cmd(&mut e, C1, "NAME php"), "OK");
    assert_eq!(cmd(&mut e, C1, "PROTOCOL 7"), "PROTOCOL 5");
}

#[test]
fn scenario_03_send_message() {
    let mut e = emu();
    attach(&mut e, C1, 2);
    let r = cmd(&mut e, C1, "CHAT CREATE bob");
    assert_match("CHAT #alice/$bob;{hex} STATUS DIALOG", &r);
    let chat = r.split(' ').nth(1).unwrap().to_string();
    let a = e.invoke(C1, &format!("CHATMESSAGE {chat} hello"), NOW);
    assert!(
        matches!(a[0], Action::Reply(_)),
        "the reply comes before the notifications"
    );
    let id = assert_match("CHATMESSAGE {n} STATUS SENDING", &reply(&a)).remove(0);
    let n = notes(&a, C1);
    assert_eq!(
        n,
        vec![
            format!("{chat} ACTIVITY_TIMESTAMP {NOW}").replacen('#', "CHAT #", 1),
            format!("CHATMESSAGE {id} STATUS SENT"),
        ]
    );
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHATMESSAGE {id} STATUS")),
        format!("CHATMESSAGE {id} STATUS SENT")
    );
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHATMESSAGE {id} BODY")),
        format!("CHATMESSAGE {id} BODY hello")
    );
}

#[test]
fn scenario_04_id_prefixes() {
    let mut e = emu();
    let a = e.invoke(C1, "#0 NAME php", NOW);
    assert_eq!(reply(&a), "#0 OK");
    let a = e.invoke(C1, "#1 PROTOCOL 7", NOW);
    assert_eq!(reply(&a), "#1 PROTOCOL 7");
    assert_eq!(notes(&a, C1), ATTACH_NOTES, "notifications carry no prefix");
    let r = cmd(&mut e, C1, "#2 CHAT CREATE bob");
    let hex = assert_match("#2 CHAT #alice/$bob;{hex} STATUS DIALOG", &r).remove(0);
    let a = e.invoke(C1, &format!("#3 CHATMESSAGE #alice/$bob;{hex} hi"), NOW);
    let id = assert_match("#3 CHATMESSAGE {n} STATUS SENDING", &reply(&a)).remove(0);
    assert_eq!(
        notes(&a, C1).last().unwrap(),
        &format!("CHATMESSAGE {id} STATUS SENT")
    );
    assert!(notes(&a, C1).iter().all(|n| !n.starts_with('#')));
    // Errors keep the prefix too.
    assert_eq!(
        cmd(&mut e, C1, "#12 GET CHAT"),
        "#12 ERROR 105 Invalid chat name"
    );
}

#[test]
fn scenario_05_user_refuses() {
    let mut e = emu_with(|c| c.auth = AuthMode::Refuse);
    assert_eq!(cmd(&mut e, C1, "NAME php"), "ERROR 68");
    assert_eq!(cmd(&mut e, C1, "GET USERSTATUS"), "ERROR 68");
    assert_eq!(cmd(&mut e, C1, "#0 NAME php"), "#0 ERROR 68");
    assert_eq!(cmd(&mut e, C1, "#5 PING"), "#5 ERROR 68");
}

#[test]
fn scenario_06_not_signed_in() {
    let mut e = emu_with(|c| c.auth = AuthMode::Offline);
    assert_eq!(cmd(&mut e, C1, "NAME php"), "CONNSTATUS OFFLINE");
    assert_eq!(cmd(&mut e, C1, "#0 NAME php"), "#0 CONNSTATUS OFFLINE");
    assert_eq!(cmd(&mut e, C1, "GET USERSTATUS"), "ERROR 68");
    e.sign_in();
    assert_eq!(cmd(&mut e, C1, "NAME php"), "OK");
    assert_eq!(cmd(&mut e, C1, "GET CONNSTATUS"), "CONNSTATUS ONLINE");
}

#[test]
fn scenario_07_authorisation_pending() {
    let mut e = emu_with(|c| {
        c.auth = AuthMode::Pending;
        c.auth_delay_ms = 1500;
    });
    let a = e.invoke(C1, "#0 NAME php", NOW);
    let [Action::DeferReply { ticket, delay_ms }] = a[..] else {
        panic!("expected a deferred reply, got {a:?}");
    };
    assert_eq!(delay_ms, 1500);
    // Until the user answers, the client is not authorised.
    assert_eq!(cmd(&mut e, C1, "GET USERSTATUS"), "ERROR 68");
    let a = e.finish_pending_name(ticket);
    assert_eq!(a[0], Action::Reply("#0 OK".into()));
    assert!(matches!(a[1], Action::HandshakeTimer { .. }));
    assert!(
        e.finish_pending_name(ticket).is_empty(),
        "a ticket is answered once"
    );
    assert_eq!(cmd(&mut e, C1, "PROTOCOL 5"), "PROTOCOL 5");
    assert_eq!(cmd(&mut e, C1, "GET USERSTATUS"), "USERSTATUS ONLINE");
}

// Scenario 8 (Skype absent: ServiceUnknown) is a bus-level outcome with no emulator running;
// tests/skype/test_emulator_dbus_python.py covers it.

#[test]
fn scenario_09_unknown_chat() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    assert_eq!(
        cmd(&mut e, C1, "CHATMESSAGE #alice/$nobody;0000000000000000 hi"),
        "ERROR 510 Invalid/unknown chat name given"
    );
    assert_eq!(
        cmd(&mut e, C1, "CHATMESSAGE"),
        "ERROR 510 Invalid/unknown chat name given"
    );
}

#[test]
fn scenario_10_chat_create_without_handles() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    assert_eq!(
        cmd(&mut e, C1, "CHAT CREATE"),
        "ERROR 507 CHAT: CREATE: invalid/missing user handle(s) as argument"
    );
    assert_eq!(cmd(&mut e, C1, "PROTOCOL 7"), "PROTOCOL 7");
    let r1 = cmd(&mut e, C1, "CHAT CREATE");
    assert_match("CHAT #alice/${hex} STATUS MULTI_SUBSCRIBED", &r1);
    let r2 = cmd(&mut e, C1, "CHAT CREATE");
    assert_match("CHAT #alice/${hex} STATUS MULTI_SUBSCRIBED", &r2);
    assert_ne!(r1, r2, "each blank multichat is a new chat");
    let id = r1.split(' ').nth(1).unwrap();
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHAT {id} MEMBERS")),
        format!("CHAT {id} MEMBERS alice")
    );
}

#[test]
fn scenario_11_empty_text() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    assert_eq!(
        cmd(&mut e, C1, "MESSAGE bob"),
        "ERROR 43 cannot send empty message"
    );
    assert_eq!(
        cmd(&mut e, C1, "MESSAGE bob "),
        "ERROR 43 cannot send empty message"
    );
    let chat = dialog_id("alice", "bob");
    // Whether or not the chat exists yet.
    assert_eq!(
        cmd(&mut e, C1, &format!("CHATMESSAGE {chat}")),
        "ERROR 43 cannot send empty message"
    );
    cmd(&mut e, C1, "CHAT CREATE bob");
    assert_eq!(
        cmd(&mut e, C1, &format!("CHATMESSAGE {chat}")),
        "ERROR 43 cannot send empty message"
    );
    assert_eq!(
        cmd(&mut e, C1, &format!("CHATMESSAGE {chat} ")),
        "ERROR 43 cannot send empty message"
    );
}

#[test]
fn scenario_12_legacy_message() {
    let mut e = emu();
    attach(&mut e, C1, 2);
    let a = e.invoke(C1, "MESSAGE bob hi", NOW);
    let id = assert_match("MESSAGE {n} STATUS SENDING", &reply(&a)).remove(0);
    assert_eq!(notes(&a, C1), vec![format!("MESSAGE {id} STATUS SENT")]);
    assert_eq!(
        cmd(&mut e, C1, &format!("GET MESSAGE {id} PARTNER_HANDLE")),
        format!("MESSAGE {id} PARTNER_HANDLE bob")
    );
    assert_eq!(cmd(&mut e, C1, "PROTOCOL 5"), "PROTOCOL 5");
    let a = e.invoke(C1, "MESSAGE bob hi", NOW);
    let id2 = assert_match("CHATMESSAGE {n} STATUS SENDING", &reply(&a)).remove(0);
    assert_eq!(id2.parse::<u64>().unwrap(), id.parse::<u64>().unwrap() + 1);
    assert_eq!(
        notes(&a, C1).last().unwrap(),
        &format!("CHATMESSAGE {id2} STATUS SENT")
    );
    // Both went to the dialog with bob.
    let chat = dialog_id("alice", "bob");
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHAT {chat} CHATMESSAGES")),
        format!("CHAT {chat} CHATMESSAGES {id}, {id2}")
    );
}

#[test]
fn scenario_12_default_protocol_is_1() {
    let mut e = emu();
    assert_eq!(cmd(&mut e, C1, "NAME php"), "OK");
    assert_match(
        "MESSAGE {n} STATUS SENDING",
        &cmd(&mut e, C1, "MESSAGE bob hi"),
    );
}

#[test]
fn scenario_13_unknown_command() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    assert_eq!(cmd(&mut e, C1, "FOO"), "ERROR 2 Unknown command");
    assert_eq!(cmd(&mut e, C1, "#9 FOO"), "#9 ERROR 2 Unknown command");
    assert_eq!(cmd(&mut e, C1, "CHAT FROB"), "ERROR 2 Unknown command");
}

#[test]
fn scenario_14_queries() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    assert_eq!(cmd(&mut e, C1, "PING"), "PONG");
    assert_eq!(
        cmd(&mut e, C1, "GET CURRENTUSERHANDLE"),
        "CURRENTUSERHANDLE alice"
    );
    assert_eq!(cmd(&mut e, C1, "SEARCH FRIENDS"), "USERS echo123, bob");
    assert_eq!(
        cmd(&mut e, C1, "GET USER echo123 FULLNAME"),
        "USER echo123 FULLNAME Echo / Sound Test Service"
    );
    assert_eq!(
        cmd(&mut e, C1, "GET USER bob COLOUR"),
        "ERROR 10 Invalid PROP"
    );
    assert_eq!(cmd(&mut e, C1, "GET USERSTATUS"), "USERSTATUS ONLINE");
    assert_eq!(cmd(&mut e, C1, "GET CONNSTATUS"), "CONNSTATUS ONLINE");
    assert_eq!(
        cmd(&mut e, C1, "GET SKYPEVERSION"),
        format!("SKYPEVERSION {SKYPE_VERSION}")
    );
    assert_eq!(
        cmd(&mut e, C1, "GET USER bob ONLINESTATUS"),
        "USER bob ONLINESTATUS ONLINE"
    );
    assert_eq!(
        cmd(&mut e, C1, "GET USER bob HANDLE"),
        "USER bob HANDLE bob"
    );
    assert_eq!(
        cmd(&mut e, C1, "GET USER alice ONLINESTATUS"),
        "USER alice ONLINESTATUS ONLINE"
    );
    assert_eq!(
        cmd(&mut e, C1, "GET USER bob MOOD_TEXT"),
        "USER bob MOOD_TEXT "
    );
}

#[test]
fn scenario_15_incoming_utf8_multiline() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    let (id, a) = e
        .inject_message("bob", "h\u{e9}llo\nw\u{f6}rld", NOW)
        .unwrap();
    let chat = dialog_id("alice", "bob");
    assert_eq!(
        notes(&a, C1),
        vec![
            format!("CHAT {chat} ACTIVITY_TIMESTAMP {NOW}"),
            format!("CHATMESSAGE {id} STATUS RECEIVED"),
        ]
    );
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHATMESSAGE {id} BODY")),
        format!("CHATMESSAGE {id} BODY h\u{e9}llo\nw\u{f6}rld")
    );
    for (prop, value) in [
        ("FROM_HANDLE", "bob".to_string()),
        ("FROM_DISPNAME", "Bob".to_string()),
        ("TYPE", "SAID".to_string()),
        ("CHATNAME", chat.clone()),
        ("TIMESTAMP", NOW.to_string()),
        ("STATUS", "RECEIVED".to_string()),
    ] {
        assert_eq!(
            cmd(&mut e, C1, &format!("GET CHATMESSAGE {id} {prop}")),
            format!("CHATMESSAGE {id} {prop} {value}")
        );
    }
    assert_eq!(
        cmd(&mut e, C1, "SEARCH MISSEDCHATMESSAGES"),
        format!("CHATMESSAGES {id}")
    );
    assert_eq!(
        cmd(&mut e, C1, &format!("SET CHATMESSAGE {id} SEEN")),
        format!("CHATMESSAGE {id} STATUS READ")
    );
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHATMESSAGE {id} STATUS")),
        format!("CHATMESSAGE {id} STATUS READ")
    );
    assert_eq!(
        cmd(&mut e, C1, "SEARCH MISSEDCHATMESSAGES"),
        "CHATMESSAGES "
    );
}

#[test]
fn scenario_15_incoming_seen_by_legacy_client_and_others() {
    let mut e = emu();
    attach(&mut e, C1, 2);
    attach(&mut e, C2, 5);
    let (id, a) = e.inject_message("carol", "yo", NOW).unwrap();
    assert_eq!(notes(&a, C1), vec![format!("MESSAGE {id} STATUS RECEIVED")]);
    assert_eq!(
        notes(&a, C2).last().unwrap(),
        &format!("CHATMESSAGE {id} STATUS RECEIVED")
    );
    assert_eq!(
        cmd(&mut e, C1, &format!("GET MESSAGE {id} PARTNER_HANDLE")),
        format!("MESSAGE {id} PARTNER_HANDLE carol")
    );
    // The sender became a known user.
    assert_eq!(
        cmd(&mut e, C1, "GET USER carol FULLNAME"),
        "USER carol FULLNAME carol"
    );
    // Marking it seen tells the other client.
    let a = e.invoke(C1, &format!("SET MESSAGE {id} SEEN"), NOW);
    assert_eq!(reply(&a), format!("MESSAGE {id} STATUS READ"));
    assert!(notes(&a, C1).is_empty());
    assert_eq!(notes(&a, C2), vec![format!("CHATMESSAGE {id} STATUS READ")]);
}

#[test]
fn scenario_16_multichat() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    let r = cmd(&mut e, C1, "CHAT CREATE bob, carol");
    let hex = assert_match("CHAT #alice/${hex} STATUS MULTI_SUBSCRIBED", &r).remove(0);
    let id = format!("#alice/${hex}");
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHAT {id} MEMBERS")),
        format!("CHAT {id} MEMBERS alice bob carol")
    );
    // Same member set, any order or spacing: the same chat.
    assert_eq!(cmd(&mut e, C1, "CHAT CREATE carol,bob"), r);
    assert_eq!(cmd(&mut e, C1, "chat create Bob, carol, bob"), r);
    // Deterministic across runs.
    let mut e2 = emu();
    attach(&mut e2, C1, 5);
    assert_eq!(cmd(&mut e2, C1, "CHAT CREATE bob, carol"), r);
    assert_eq!(multichat_id("alice", &["bob".into(), "carol".into()]), id);
}

// ----- error codes ------------------------------------------------------------------------

#[test]
fn every_error_code() {
    let mut e = emu();
    // 68 before NAME.
    assert_eq!(cmd(&mut e, C1, "PING"), "ERROR 68");
    assert_eq!(cmd(&mut e, C1, ""), "ERROR 68");
    attach(&mut e, C1, 8);
    let dialog = cmd(&mut e, C1, "CHAT CREATE bob")
        .split(' ')
        .nth(1)
        .unwrap()
        .to_string();
    let msg = assert_match(
        "CHATMESSAGE {n} STATUS SENDING",
        &cmd(&mut e, C1, &format!("CHATMESSAGE {dialog} hi")),
    )
    .remove(0);
    let cases: &[(&str, &str)] = &[
        ("", "ERROR 1 General syntax error"),
        ("#4", "#4 ERROR 1 General syntax error"),
        ("#4 ", "#4 ERROR 1 General syntax error"),
        ("NAME", "ERROR 1 General syntax error"),
        ("FOO", "ERROR 2 Unknown command"),
        ("#abc PING", "ERROR 2 Unknown command"),
        ("SEARCH FOO", "ERROR 3 SEARCH: unknown WHAT"),
        ("GET", "ERROR 7 GET: invalid WHAT"),
        ("GET FOO", "ERROR 7 GET: invalid WHAT"),
        ("GET USER", "ERROR 8 Invalid user handle"),
        ("GET USER b!b FULLNAME", "ERROR 8 Invalid user handle"),
        ("GET USER nobody FULLNAME", "ERROR 9 Unknown user"),
        ("GET USER bob COLOUR", "ERROR 10 Invalid PROP"),
        ("GET USER bob", "ERROR 10 Invalid PROP"),
        ("SET FOO BAR", "ERROR 18 SET: invalid WHAT"),
        ("MESSAGE", "ERROR 26 Invalid user handle"),
        ("MESSAGE alice hi", "ERROR 26 Invalid user handle"),
        ("MESSAGE b!b hi", "ERROR 26 Invalid user handle"),
        ("PROTOCOL", "ERROR 27 Invalid version number"),
        ("PROTOCOL abc", "ERROR 27 Invalid version number"),
        ("PROTOCOL 0", "ERROR 27 Invalid version number"),
        ("PROTOCOL -1", "ERROR 27 Invalid version number"),
        ("SET USERSTATUS FOO", "ERROR 28 Unknown userstatus"),
        ("SET USERSTATUS LOGGEDOUT", "ERROR 28 Unknown userstatus"),
        ("SET USERSTATUS", "ERROR 28 Unknown userstatus"),
        ("GET CHATMESSAGE abc BODY", "ERROR 30 Invalid message id"),
        ("GET CHATMESSAGE", "ERROR 30 Invalid message id"),
        ("SET CHATMESSAGE x SEEN", "ERROR 30 Invalid message id"),
        ("GET CHATMESSAGE 99999 BODY", "ERROR 31 Unknown message id"),
        ("SET CHATMESSAGE 99999 SEEN", "ERROR 31 Unknown message id"),
        ("MESSAGE bob", "ERROR 43 cannot send empty message"),
        (
            "SEARCH FRIENDS bob",
            "ERROR 67 Target not allowed with SEARCH FRIENDS",
        ),
        ("GET CHAT", "ERROR 105 Invalid chat name"),
        ("GET CHAT nohash NAME", "ERROR 105 Invalid chat name"),
        (
            "GET CHAT #alice/$nobody;0000000000000000 CHATMESSAGES",
            "ERROR 501 CHAT: No chat found for given chat",
        ),
        (
            "CHAT CREATE b!b",
            "ERROR 507 CHAT: CREATE: invalid/missing user handle(s) as argument",
        ),
        (
            "CHAT CREATE alice",
            "ERROR 507 CHAT: CREATE: invalid/missing user handle(s) as argument",
        ),
        (
            "CHAT CREATE bob carol",
            "ERROR 507 CHAT: CREATE: invalid/missing user handle(s) as argument",
        ),
        (
            "CHATMESSAGE #alice/$nobody;0000000000000000 hi",
            "ERROR 510 Invalid/unknown chat name given",
        ),
    ];
    for (command, expected) in cases {
        assert_eq!(&cmd(&mut e, C1, command), expected, "command {command:?}");
    }
    // Those needing an existing object.
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHAT {dialog} COLOUR")),
        "ERROR 106 Invalid PROP"
    );
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHAT {dialog}")),
        "ERROR 106 Invalid PROP"
    );
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHATMESSAGE {msg} COLOUR")),
        "ERROR 10 Invalid PROP"
    );
    assert_eq!(
        cmd(&mut e, C1, &format!("SET CHATMESSAGE {msg} COLOUR red")),
        "ERROR 10 Invalid PROP"
    );
    // 68 after a refusal of a later NAME.
    e.set_auth_mode(AuthMode::Refuse);
    assert_eq!(cmd(&mut e, C1, "NAME php"), "ERROR 68");
    assert_eq!(cmd(&mut e, C1, "PING"), "ERROR 68");
}

// ----- other rules ------------------------------------------------------------------------

#[test]
fn keywords_are_case_insensitive_and_replies_uppercase() {
    let mut e = emu();
    assert_eq!(cmd(&mut e, C1, "name php"), "OK");
    assert_eq!(cmd(&mut e, C1, "protocol 5"), "PROTOCOL 5");
    assert_eq!(cmd(&mut e, C1, "ping"), "PONG");
    assert_eq!(cmd(&mut e, C1, "Get UserStatus"), "USERSTATUS ONLINE");
    assert_eq!(
        cmd(&mut e, C1, "get user BOB fullname"),
        "USER bob FULLNAME Bob"
    );
    assert_eq!(cmd(&mut e, C1, "set userstatus away"), "USERSTATUS AWAY");
    assert_match(
        "CHAT #alice/$bob;{hex} STATUS DIALOG",
        &cmd(&mut e, C1, "chat create bob"),
    );
}

#[test]
fn message_text_is_verbatim() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    let chat = cmd(&mut e, C1, "CHAT CREATE bob")
        .split(' ')
        .nth(1)
        .unwrap()
        .to_string();
    for text in [
        "  two leading, two trailing  ",
        "line 1\nline 2\n",
        "\u{1F600} \u{e9}\t#x",
        " ",
    ] {
        let r = cmd(&mut e, C1, &format!("CHATMESSAGE {chat} {text}"));
        let id = assert_match("CHATMESSAGE {n} STATUS SENDING", &r).remove(0);
        assert_eq!(
            cmd(&mut e, C1, &format!("GET CHATMESSAGE {id} BODY")),
            format!("CHATMESSAGE {id} BODY {text}")
        );
    }
    let r = cmd(&mut e, C1, "MESSAGE bob  spaced\n");
    let id = assert_match("CHATMESSAGE {n} STATUS SENDING", &r).remove(0);
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHATMESSAGE {id} BODY")),
        format!("CHATMESSAGE {id} BODY  spaced\n")
    );
}

#[test]
fn authorisation_is_per_connection() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    assert_eq!(cmd(&mut e, C2, "GET USERSTATUS"), "ERROR 68");
    assert_eq!(cmd(&mut e, C1, "GET USERSTATUS"), "USERSTATUS ONLINE");
    assert!(e.forget_client(C1));
    assert_eq!(cmd(&mut e, C1, "GET USERSTATUS"), "ERROR 68");
    assert!(!e.forget_client(C1));
}

#[test]
fn notifications_reach_every_attached_client_in_their_form() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    attach(&mut e, C2, 2);
    assert_eq!(cmd(&mut e, ":1.9", "NAME other"), "OK");
    e.forget_client(":1.9");
    let chat = cmd(&mut e, C1, "CHAT CREATE bob")
        .split(' ')
        .nth(1)
        .unwrap()
        .to_string();
    let a = e.invoke(C1, &format!("CHATMESSAGE {chat} hi"), NOW);
    let id = assert_match("CHATMESSAGE {n} STATUS SENDING", &reply(&a)).remove(0);
    // A message sent with CHATMESSAGE is a CHATMESSAGE object for everyone.
    assert_eq!(
        notes(&a, C2).last().unwrap(),
        &format!("CHATMESSAGE {id} STATUS SENT")
    );
    assert!(notes(&a, ":1.9").is_empty());
    // A legacy MESSAGE sent by the protocol-2 client looks legacy only to itself.
    let a = e.invoke(C2, "MESSAGE bob yo", NOW);
    let id = assert_match("MESSAGE {n} STATUS SENDING", &reply(&a)).remove(0);
    assert_eq!(notes(&a, C2), vec![format!("MESSAGE {id} STATUS SENT")]);
    assert_eq!(
        notes(&a, C1).last().unwrap(),
        &format!("CHATMESSAGE {id} STATUS SENT")
    );
    // The sender's notifications come first.
    assert!(matches!(&a[1], Action::Notify { to, .. } if to == C2));
}

#[test]
fn set_userstatus_notifies_everyone() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    attach(&mut e, C2, 5);
    let a = e.invoke(C1, "SET USERSTATUS DND", NOW);
    assert_eq!(a[0], Action::Reply("USERSTATUS DND".into()));
    assert_eq!(notes(&a, C1), vec!["USERSTATUS DND"]);
    assert_eq!(notes(&a, C2), vec!["USERSTATUS DND"]);
    assert_eq!(cmd(&mut e, C2, "GET USERSTATUS"), "USERSTATUS DND");
    assert_eq!(
        cmd(&mut e, C2, "GET USER alice ONLINESTATUS"),
        "USER alice ONLINESTATUS DND"
    );
    for s in SETTABLE_USERSTATUS {
        assert_eq!(
            cmd(&mut e, C1, &format!("SET USERSTATUS {s}")),
            format!("USERSTATUS {s}")
        );
    }
}

#[test]
fn strict_mode_gates_by_protocol() {
    let mut e = emu_with(|c| c.strict = true);
    attach(&mut e, C1, 1);
    assert_eq!(
        cmd(&mut e, C1, "SET USERSTATUS SKYPEME"),
        "ERROR 28 Unknown userstatus"
    );
    assert_eq!(cmd(&mut e, C1, "PROTOCOL 2"), "PROTOCOL 2");
    assert_eq!(
        cmd(&mut e, C1, "SET USERSTATUS SKYPEME"),
        "USERSTATUS SKYPEME"
    );
    assert_eq!(
        cmd(&mut e, C1, "CHAT CREATE bob"),
        "ERROR 2 Unknown command"
    );
    assert_eq!(
        cmd(&mut e, C1, "CHATMESSAGE #x hi"),
        "ERROR 2 Unknown command"
    );
    assert_eq!(
        cmd(&mut e, C1, "GET CHAT #x NAME"),
        "ERROR 7 GET: invalid WHAT"
    );
    assert_eq!(
        cmd(&mut e, C1, "GET CHATMESSAGE 1 BODY"),
        "ERROR 7 GET: invalid WHAT"
    );
    assert_eq!(
        cmd(&mut e, C1, "SET CHATMESSAGE 1 SEEN"),
        "ERROR 18 SET: invalid WHAT"
    );
    assert_eq!(
        cmd(&mut e, C1, "SEARCH CHATS"),
        "ERROR 3 SEARCH: unknown WHAT"
    );
    assert_match(
        "MESSAGE {n} STATUS SENDING",
        &cmd(&mut e, C1, "MESSAGE bob hi"),
    );
    assert_eq!(cmd(&mut e, C1, "PROTOCOL 3"), "PROTOCOL 3");
    assert_eq!(
        cmd(&mut e, C1, "CHAT CREATE bob"),
        "ERROR 2 Unknown command"
    );
    assert_match(
        "CHATMESSAGE {n} STATUS SENDING",
        &cmd(&mut e, C1, "MESSAGE bob hi"),
    );
    assert_eq!(cmd(&mut e, C1, "PROTOCOL 5"), "PROTOCOL 5");
    assert_match(
        "CHAT #alice/$bob;{hex} STATUS DIALOG",
        &cmd(&mut e, C1, "CHAT CREATE bob"),
    );
    // Lenient (default): CHAT CREATE at protocol 2, as the 2007 extension does.
    let mut e = emu();
    attach(&mut e, C1, 2);
    assert_match(
        "CHAT #alice/$bob;{hex} STATUS DIALOG",
        &cmd(&mut e, C1, "CHAT CREATE bob"),
    );
}

#[test]
fn ids_share_one_counter_from_first_id() {
    let mut e = emu_with(|c| c.first_id = 287);
    attach(&mut e, C1, 7);
    let chat = cmd(&mut e, C1, "CHAT CREATE bob")
        .split(' ')
        .nth(1)
        .unwrap()
        .to_string();
    // Two CHATMEMBER objects: alice 287, bob 288.
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHAT {chat} MEMBEROBJECTS")),
        format!("CHAT {chat} MEMBEROBJECTS 287, 288")
    );
    assert_eq!(
        cmd(&mut e, C1, "GET CHATMEMBER 288 IDENTITY"),
        "CHATMEMBER 288 IDENTITY bob"
    );
    assert_eq!(
        cmd(&mut e, C1, "GET CHATMEMBER 288 ROLE"),
        "CHATMEMBER 288 ROLE USER"
    );
    assert_eq!(
        cmd(&mut e, C1, "GET CHATMEMBER 287 CHATNAME"),
        format!("CHATMEMBER 287 CHATNAME {chat}")
    );
    assert_eq!(
        cmd(&mut e, C1, &format!("CHATMESSAGE {chat} a")),
        "CHATMESSAGE 289 STATUS SENDING"
    );
    assert_eq!(
        cmd(&mut e, C1, "MESSAGE bob b"),
        "CHATMESSAGE 290 STATUS SENDING"
    );
    assert_eq!(e.inject_message("bob", "c", NOW).unwrap().0, 291);
}

#[test]
fn chat_properties() {
    let mut e = emu();
    attach(&mut e, C1, 8);
    let dialog = cmd(&mut e, C1, "CHAT CREATE bob")
        .split(' ')
        .nth(1)
        .unwrap()
        .to_string();
    let multi = cmd(&mut e, C1, "CHAT CREATE bob, echo123")
        .split(' ')
        .nth(1)
        .unwrap()
        .to_string();
    let id = assert_match(
        "CHATMESSAGE {n} STATUS SENDING",
        &cmd(&mut e, C1, &format!("CHATMESSAGE {dialog} hi")),
    )
    .remove(0);
    let expect = |chat: &str, prop: &str, value: &str| {
        (chat.to_string(), prop.to_string(), value.to_string())
    };
    for (chat, prop, value) in [
        expect(&dialog, "NAME", &dialog),
        expect(&dialog, "STATUS", "DIALOG"),
        expect(&dialog, "TYPE", "DIALOG"),
        expect(&dialog, "MEMBERS", "alice bob"),
        expect(&dialog, "ACTIVEMEMBERS", "alice bob"),
        expect(&dialog, "FRIENDLYNAME", "Bob"),
        expect(&dialog, "DIALOG_PARTNER", "bob"),
        expect(&dialog, "TIMESTAMP", &NOW.to_string()),
        expect(&dialog, "ACTIVITY_TIMESTAMP", &NOW.to_string()),
        expect(&dialog, "TOPIC", ""),
        expect(&dialog, "CHATMESSAGES", &id),
        expect(&dialog, "POSTERS", "alice"),
        expect(&multi, "STATUS", "MULTI_SUBSCRIBED"),
        expect(&multi, "TYPE", "MULTICHAT"),
        expect(&multi, "MEMBERS", "alice bob echo123"),
        expect(&multi, "FRIENDLYNAME", "Bob, Echo / Sound Test Service"),
        expect(&multi, "DIALOG_PARTNER", ""),
        expect(&multi, "CHATMESSAGES", ""),
        expect(&multi, "MYROLE", "CREATOR"),
    ] {
        assert_eq!(
            cmd(
                &mut e,
                C1,
                &format!("get chat {chat} {}", prop.to_lowercase())
            ),
            format!("CHAT {chat} {prop} {value}")
        );
    }
    assert_eq!(
        cmd(&mut e, C1, "SEARCH CHATS"),
        format!("CHATS {dialog}, {multi}")
    );
}

#[test]
fn chat_ids_have_the_documented_shape() {
    let d = dialog_id("alice", "bob");
    assert_match("#alice/$bob;{hex}", &d);
    assert_eq!(d, dialog_id("alice", "bob"));
    assert_ne!(d, dialog_id("carol", "bob"));
    let m = multichat_id("alice", &["bob".into(), "carol".into()]);
    assert_match("#alice/${hex}", &m);
    assert_ne!(m, multichat_id("alice", &["bob".into(), "dave".into()]));
    assert!(!d.contains(' ') && !m.contains(' '));
}

#[test]
fn prefix_parsing() {
    assert_eq!(split_prefix("#3 GET USERSTATUS"), ("#3 ", "GET USERSTATUS"));
    assert_eq!(split_prefix("#3"), ("#3", ""));
    assert_eq!(split_prefix("#x GET"), ("", "#x GET"));
    assert_eq!(split_prefix("#3GET"), ("", "#3GET"));
    assert_eq!(split_prefix("GET"), ("", "GET"));
}

#[test]
fn injection_rules() {
    let mut e = emu();
    assert!(e.inject_message("alice", "x", NOW).is_err());
    assert!(e.inject_message("b b", "x", NOW).is_err());
    assert!(e.inject_message("bob", "", NOW).is_err());
    // Nobody attached: stored, nobody notified.
    let (id, a) = e.inject_message("bob", "x", NOW).unwrap();
    assert!(a.is_empty());
    attach(&mut e, C1, 5);
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHATMESSAGE {id} BODY")),
        format!("CHATMESSAGE {id} BODY x")
    );
}

#[test]
fn inject_on_attach_follows_the_attach_notifications() {
    let mut e = emu_with(|c| c.inject_on_attach = vec![("bob".into(), "hi\nthere".into())]);
    assert_eq!(cmd(&mut e, C1, "NAME php"), "OK");
    let a = e.invoke(C1, "PROTOCOL 5", NOW);
    let n = notes(&a, C1);
    assert_eq!(n[..3], ATTACH_NOTES);
    let id = assert_match("CHATMESSAGE {n} STATUS RECEIVED", &n[4]).remove(0);
    assert_eq!(
        cmd(&mut e, C1, &format!("GET CHATMESSAGE {id} BODY")),
        format!("CHATMESSAGE {id} BODY hi\nthere")
    );
    // Only once, not for the next client.
    assert_eq!(cmd(&mut e, C2, "NAME php"), "OK");
    assert_eq!(notes(&e.invoke(C2, "PROTOCOL 5", NOW), C2), ATTACH_NOTES);
}

#[test]
fn seen_on_own_message_keeps_its_status() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    let chat = cmd(&mut e, C1, "CHAT CREATE bob")
        .split(' ')
        .nth(1)
        .unwrap()
        .to_string();
    let id = assert_match(
        "CHATMESSAGE {n} STATUS SENDING",
        &cmd(&mut e, C1, &format!("CHATMESSAGE {chat} hi")),
    )
    .remove(0);
    assert_eq!(
        cmd(&mut e, C1, &format!("SET CHATMESSAGE {id} SEEN")),
        format!("CHATMESSAGE {id} STATUS SENT")
    );
}

#[test]
fn refusal_after_attach_deauthorises_and_mode_changes_apply_to_later_names() {
    let mut e = emu();
    attach(&mut e, C1, 5);
    e.set_auth_mode(AuthMode::Offline);
    assert_eq!(
        cmd(&mut e, C1, "PING"),
        "PONG",
        "attached clients stay attached"
    );
    assert_eq!(cmd(&mut e, C2, "NAME php"), "CONNSTATUS OFFLINE");
    e.sign_in();
    assert_eq!(cmd(&mut e, C2, "NAME php"), "OK");
    e.set_auth_mode(AuthMode::Pending);
    e.set_auth_delay_ms(10);
    assert!(matches!(
        e.invoke(C2, "NAME php", NOW)[..],
        [Action::DeferReply { delay_ms: 10, .. }]
    ));
}
