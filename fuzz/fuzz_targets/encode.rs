//! Arbitrary JSON values against arbitrary signatures: encoding must return bytes or an error,
//! and whatever encodes must decode again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skypebus::json::{DecodeOptions, EncodeOptions, decode_body, encode_body};
use skypebus::signature::{parse_signature, signature_of};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some((sig, json)) = text.split_once('\n') else {
        return;
    };
    let Ok(types) = parse_signature(sig) else {
        return;
    };
    let Ok(serde_json::Value::Array(args)) = serde_json::from_str::<serde_json::Value>(json) else {
        return;
    };
    if let Ok(body) = encode_body(&types, &args, EncodeOptions::default()) {
        decode_body(
            &signature_of(&types),
            &body,
            false,
            DecodeOptions::default(),
        )
        .expect("what we encode decodes");
    }
});
