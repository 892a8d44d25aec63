//! Method calls whose header the library writes itself: zbus parses them to the same header and
//! body as a message zbus' own builder makes from the same parts.

use serde_json::json;
use skypebus::json::EncodeOptions;
use skypebus::message::{
    ALLOW_INTERACTIVE_AUTHORIZATION, CallHeader, NO_AUTO_START, body_signature, method_call,
};
use skypebus::signature::parse_signature;
use zbus::Message;
use zbus::message::Flags;

fn ours(header: &CallHeader<'_>, sig: &str, args: serde_json::Value) -> Message {
    let types = parse_signature(sig).unwrap();
    method_call(
        header,
        &types,
        args.as_array().unwrap(),
        EncodeOptions::default(),
    )
    .unwrap()
}

#[test]
fn headers_parse_back_to_their_parts() {
    let cases: Vec<(CallHeader<'_>, &str, serde_json::Value)> = vec![
        (
            CallHeader {
                destination: Some("org.freedesktop.DBus"),
                path: "/org/freedesktop/DBus",
                interface: Some("org.freedesktop.DBus"),
                member: "RequestName",
                no_reply: false,
                flags: 0,
            },
            "su",
            json!(["com.example.A", 4]),
        ),
        (
            CallHeader {
                destination: None,
                path: "/",
                interface: None,
                member: "Ping",
                no_reply: true,
                flags: 0,
            },
            "",
            json!([]),
        ),
        (
            CallHeader {
                destination: Some(":1.42"),
                path: "/a/b_c/d1",
                interface: Some("a.b"),
                member: "M",
                no_reply: false,
                flags: NO_AUTO_START | ALLOW_INTERACTIVE_AUTHORIZATION,
            },
            "(si)a{sv}ay",
            json!([["x", 1], {"k": {"type": "y", "data": 2}}, [1, 2, 3]]),
        ),
    ];
    for (h, sig, args) in cases {
        let msg = ours(&h, sig, args.clone());
        let header = msg.header();
        assert_eq!(header.path().map(|p| p.as_str()), Some(h.path));
        assert_eq!(header.interface().map(|i| i.as_str()), h.interface);
        assert_eq!(header.member().map(|m| m.as_str()), Some(h.member));
        assert_eq!(header.destination().map(|d| d.as_str()), h.destination);
        assert_eq!(
            header.primary().flags().contains(Flags::NO_REPLY_EXPECTED),
            h.no_reply
        );
        assert_eq!(
            header.primary().flags().contains(Flags::NO_AUTO_START),
            h.flags & NO_AUTO_START != 0
        );
        assert_eq!(
            header
                .primary()
                .flags()
                .contains(Flags::ALLOW_INTERACTIVE_AUTH),
            h.flags & ALLOW_INTERACTIVE_AUTHORIZATION != 0
        );
        assert_eq!(msg.message_type(), zbus::message::Type::MethodCall);
        // The exact signature string, `(si)` kept apart from `si`.
        assert_eq!(body_signature(&msg).unwrap(), sig);
        // The same body zbus' builder gets from the same parts.
        let types = parse_signature(sig).unwrap();
        let mut b = Message::method_call(h.path, h.member);
        if let Some(d) = h.destination {
            b = b.destination(d);
        }
        if let Some(i) = h.interface {
            b = b.interface(i);
        }
        let theirs = skypebus::message::build_with_body(
            b,
            &types,
            args.as_array().unwrap(),
            EncodeOptions::default(),
        )
        .unwrap();
        assert_eq!(msg.body().data().bytes(), theirs.body().data().bytes());
        assert_eq!(body_signature(&theirs).unwrap(), sig);
    }
}

#[test]
fn serials_are_unique_and_in_the_upper_half() {
    let h = CallHeader {
        destination: None,
        path: "/",
        interface: None,
        member: "M",
        no_reply: false,
        flags: 0,
    };
    let a = ours(&h, "", json!([])).primary_header().serial_num().get();
    let b = ours(&h, "", json!([])).primary_header().serial_num().get();
    assert_ne!(a, b);
    assert!(a >= 0x8000_0000 && b >= 0x8000_0000);
}
