//! The examples table of docs/mapping.md, checked row by row through the encoder and decoder:
//! the document and the code cannot drift apart.

use serde_json::Value;
use skypebus::error::Kind;
use skypebus::json::{DecodeOptions, EncodeOptions, decode_body_to_string, encode_body};
use skypebus::signature::parse_signature;

fn cell(s: &str) -> &str {
    s.trim().trim_start_matches('`').trim_end_matches('`')
}

fn roundtrip(sig: &str, input: &Value, typed: bool) -> String {
    let types = parse_signature(sig).unwrap_or_else(|e| panic!("{sig}: {e}"));
    let args = input.as_array().expect("the input column is a JSON array");
    let body = encode_body(&types, args, EncodeOptions::default())
        .unwrap_or_else(|e| panic!("{sig} {input}: {e}"));
    let mut out = String::new();
    decode_body_to_string(
        sig,
        &body,
        false,
        DecodeOptions {
            typed_variants: typed,
            bytes_base64: false,
            arrays_base64: false,
        },
        &mut out,
    )
    .unwrap_or_else(|e| panic!("{sig} {input}: {e}"));
    out
}

#[test]
fn every_example_row_holds() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/mapping.md")).unwrap();
    let start = doc.find("<!-- examples:begin -->").expect("begin marker");
    let end = doc.find("<!-- examples:end -->").expect("end marker");
    let mut rows = 0;
    for line in doc[start..end].lines().filter(|l| l.starts_with("| `")) {
        let cols: Vec<&str> = line.trim_matches('|').split(" | ").map(cell).collect();
        assert_eq!(cols.len(), 4, "{line}");
        let (sig, input, plain, typed) = (cols[0], cols[1], cols[2], cols[3]);
        let input: Value = serde_json::from_str(input).unwrap_or_else(|e| panic!("{line}: {e}"));
        let plain_expected: Value = serde_json::from_str(plain).unwrap();
        let typed_expected: Value = if typed == "=" {
            plain_expected.clone()
        } else {
            serde_json::from_str(typed).unwrap()
        };
        let got_plain: Value = serde_json::from_str(&roundtrip(sig, &input, false)).unwrap();
        let got_typed: Value = serde_json::from_str(&roundtrip(sig, &input, true)).unwrap();
        assert_eq!(got_plain, plain_expected, "plain: {line}");
        assert_eq!(got_typed, typed_expected, "typed: {line}");
        // Typed output is accepted back as input unchanged.
        let again: Value = serde_json::from_str(&roundtrip(sig, &got_typed, true)).unwrap();
        assert_eq!(again, got_typed, "typed round trip: {line}");
        rows += 1;
    }
    assert!(rows >= 20, "only {rows} example rows found");
}

#[test]
fn the_documented_errors_are_errors() {
    let cases: [(&str, &str, Kind); 6] = [
        ("y", "[256]", Kind::TypeMismatch),
        ("u", "[-1]", Kind::TypeMismatch),
        ("i", "[2.5]", Kind::TypeMismatch),
        ("ay", "[\"AP8K\"]", Kind::TypeMismatch),
        ("s", "[null]", Kind::TypeMismatch),
        ("(si)", "[[\"a\"]]", Kind::TypeMismatch),
    ];
    for (sig, input, kind) in cases {
        let types = parse_signature(sig).unwrap();
        let v: Value = serde_json::from_str(input).unwrap();
        let e = encode_body(&types, v.as_array().unwrap(), EncodeOptions::default()).unwrap_err();
        assert_eq!(e.kind, kind, "{sig} {input}: {e}");
    }
    let deep = format!("{}i", "a".repeat(33));
    assert_eq!(
        parse_signature(&deep).unwrap_err().kind,
        Kind::LimitExceeded
    );
}
