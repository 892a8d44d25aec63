//! The arguments of a request encoded straight from their JSON text (json::Args, with its
//! scanner for integer lists) give exactly the bytes, or exactly the error, that the encoder
//! gives for the parsed values.

use proptest::prelude::*;
use skypebus::error::Error;
use skypebus::json::{self, Args, EncodeOptions};
use skypebus::signature::parse_signature;

fn count_error(n: usize) -> Error {
    Error::type_mismatch(format!("count {n}"))
}

/// Encodes `text` (a JSON array of arguments) for `sig` both ways and checks they agree.
fn check(sig: &str, text: &str) {
    check_with(sig, text, EncodeOptions::default());
    check_with(sig, text, EncodeOptions { bytes_base64: true });
}

fn check_with(sig: &str, text: &str, opts: EncodeOptions) {
    let types = parse_signature(sig).unwrap();
    let fast = Args::from_text(text)
        .expect("test texts are JSON arrays")
        .encode(&types, opts, count_error);
    // The values as a request parsed as a whole would have them (duplicate keys refused).
    let slow = json::parse_json_strict(text).and_then(|values| {
        let values = values.as_array().unwrap().clone();
        Args::from_values(values).encode(&types, opts, count_error)
    });
    match (fast, slow) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{sig} {text}"),
        // A syntax-level error names a position, in the argument's text or the whole text.
        (Err(a), Err(b)) if a.kind == skypebus::error::Kind::InvalidJson => {
            assert_eq!(a.kind, b.kind, "{sig} {text}");
            assert!(a.message.contains("duplicate key"), "{}", a.message);
        }
        (Err(a), Err(b)) => {
            assert_eq!((a.kind, &a.message), (b.kind, &b.message), "{sig} {text}")
        }
        (a, b) => panic!("{sig} {text}: fast {a:?}, values {b:?}"),
    }
}

#[test]
fn edge_cases() {
    for (sig, text) in [
        ("ai", "[[]]"),
        ("ai", "[ [ 1 , -2 ,3 ] ]"),
        ("ai", "[[2147483647,-2147483648]]"),
        ("ai", "[[2147483648]]"),
        ("ai", "[[-2147483649]]"),
        ("ai", "[[1.0]]"),
        ("ai", "[[1.5]]"),
        ("ai", "[[1e3]]"),
        ("ai", "[[\"7\"]]"),
        ("ai", "[[null]]"),
        ("ai", "[[-0]]"),
        ("ai", "[{\"type\":\"ai\",\"data\":[1,2]}]"),
        ("ai", "[\"nope\"]"),
        ("ay", "[[0,255]]"),
        ("ay", "[[256]]"),
        ("ay", "[[-1]]"),
        ("an", "[[-32768,32767]]"),
        ("aq", "[[65535,65536]]"),
        ("au", "[[4294967295]]"),
        ("ax", "[[-9223372036854775808,9223372036854775807]]"),
        ("ax", "[[9223372036854775808]]"),
        ("at", "[[18446744073709551615]]"),
        ("at", "[[18446744073709551616]]"),
        ("at", "[[123456789012345678901234]]"),
        ("sai", "[\"x\",[1,2,3]]"),
        ("yai", "[7,[1,2,3]]"),
        ("aiai", "[[1],[2,3]]"),
        ("ad", "[[1,2.5]]"),
        ("aai", "[[[1],[2]]]"),
        ("ai", "[[1],[2]]"),
        ("ai", "[]"),
        ("a{sv}", "[{\"a\":1,\"a\":2}]"),
        ("ay", r#"[{"type":"ay","data":"AP8K"}]"#),
        ("ay", r#"[{"type":"ay","data":""}]"#),
        ("ay", r#"[{"type":"ay","data":"AP8"}]"#),
        ("ay", r#"[{"type":"ay","data":"AP8K","x":"y"}]"#),
        ("ay", r#"[{"type":"ay","data":"AP8K","data":"AA=="}]"#),
        ("ay", r#"[{"type":"ay","data":"A\u0050"}]"#),
        ("ay", r#"[{ "type": "ay", "data": "AP8K" }]"#),
        ("ay", r#"[{"data":"AP8K","type":"ay"}]"#),
        ("ay", r#"["AP8K"]"#),
        ("ay", r#"["not base64!"]"#),
        ("v", r#"[{"type":"ay","data":"AP8K"}]"#),
        ("ayay", r#"[{"type":"ay","data":"AQ=="},[2,3]]"#),
        ("ai", "[[1,{\"a\":1,\"a\":2}]]"),
    ] {
        check(sig, text);
    }
}

fn int_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (-300i64..300).prop_map(|n| n.to_string()),
        (-300i64..300).prop_map(|n| format!("{n}.0")),
        Just("1.5".to_owned()),
        Just("\"12\"".to_owned()),
        Just("true".to_owned()),
        Just("1e2".to_owned()),
    ]
}

proptest! {
    #[test]
    fn same_as_the_values(
        sig in prop::sample::select(vec!["ay", "an", "aq", "ai", "au", "ax", "at", "sai", "aix"]),
        items in prop::collection::vec(int_text(), 0..40),
        spaces in any::<bool>(),
    ) {
        let sep = if spaces { " , " } else { "," };
        let list = format!("[{}]", items.join(sep));
        let text = match sig {
            "sai" => format!("[\"s\",{list}]"),
            "aix" => format!("[{list}, 5]"),
            _ => format!("[{list}]"),
        };
        check(sig, &text);
    }
}
