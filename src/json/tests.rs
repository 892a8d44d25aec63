//! Unit tests of the codec internals; the full tables and property tests live in
//! `tests/json_*.rs`.

use serde_json::json;

use super::*;
use crate::signature::parse_signature;

fn enc(sig: &str, args: serde_json::Value) -> Result<Vec<u8>> {
    let types = parse_signature(sig)?;
    let serde_json::Value::Array(args) = args else {
        panic!("args must be an array")
    };
    encode_body(&types, &args, EncodeOptions::default())
}

#[test]
fn simple_round_trip() {
    let args = json!(["hello", 42, [1, 2, 3], {"a": 1, "b": "x"}]);
    let body = enc("sia{sv}", json!(["hello", 42, {"a": 1, "b": "x"}])).unwrap();
    let back = decode_body("sia{sv}", &body, false, DecodeOptions::default()).unwrap();
    assert_eq!(back, json!(["hello", 42, {"a": 1, "b": "x"}]));
    let body = enc("siaia{sv}", args.clone()).unwrap();
    let mut text = String::new();
    decode_body_to_string(
        "siaia{sv}",
        &body,
        false,
        DecodeOptions::default(),
        &mut text,
    )
    .unwrap();
    assert_eq!(text, args.to_string());
}
