//! Timing printouts, never assertions on speed. Run with
//! `cargo test --release --test json_perf -- --ignored --nocapture`.

use std::time::Instant;

use serde_json::{Value, json};
use skypebus::json::{
    DecodeOptions, EncodeOptions, decode_body, decode_body_to_string, encode_body,
};
use skypebus::signature::parse_signature;

fn time<T>(label: &str, rounds: u32, mut f: impl FnMut() -> T) -> T {
    let mut best = f64::MAX;
    let mut out = f();
    for _ in 0..rounds {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!("{label:<44} best of {rounds}: {:>9.1} µs", best * 1e6);
    out
}

#[test]
#[ignore]
fn timings() {
    let ints: Vec<Value> = (0..100_000i64)
        .map(|i| json!(i * 7919 - 300_000_000))
        .collect();
    let args = vec![Value::Array(ints)];
    let sig = parse_signature("ai").unwrap();
    let body = time("encode ai x100k", 20, || {
        encode_body(&sig, &args, EncodeOptions::default()).unwrap()
    });
    let mut s = String::new();
    time("decode ai x100k -> text", 20, || {
        s.clear();
        decode_body_to_string("ai", &body, false, DecodeOptions::default(), &mut s).unwrap();
    });
    time("decode ai x100k -> Value", 20, || {
        decode_body("ai", &body, false, DecodeOptions::default()).unwrap()
    });
    let v: Value = time("serde_json::from_str of that text (reference)", 20, || {
        serde_json::from_str::<Value>(&s).unwrap()
    });
    assert_eq!(
        v,
        decode_body("ai", &body, false, DecodeOptions::default()).unwrap()
    );

    let bytes: Vec<u8> = (0..1 << 20).map(|i| (i * 31 % 251) as u8).collect();
    let b64 = base64_of(&bytes);
    let sig = parse_signature("ay").unwrap();
    let args = vec![json!({"type": "ay", "data": b64})];
    let body = time("encode ay 1 MiB from base64", 20, || {
        encode_body(&sig, &args, EncodeOptions::default()).unwrap()
    });
    let opts = DecodeOptions {
        typed_variants: false,
        bytes_base64: true,
        arrays_base64: false,
    };
    time("decode ay 1 MiB -> base64 text", 20, || {
        s.clear();
        decode_body_to_string("ay", &body, false, opts, &mut s).unwrap();
    });
    time("decode ay 1 MiB -> int array text", 20, || {
        s.clear();
        decode_body_to_string("ay", &body, false, DecodeOptions::default(), &mut s).unwrap();
    });

    let mut m = serde_json::Map::new();
    for i in 0..20 {
        m.insert(
            format!("key{i}"),
            if i % 2 == 0 {
                json!(i)
            } else {
                json!(format!("value {i}"))
            },
        );
    }
    let sig = parse_signature("a{sv}").unwrap();
    let args = vec![Value::Object(m)];
    let body = time("encode a{sv} x20", 2000, || {
        encode_body(&sig, &args, EncodeOptions::default()).unwrap()
    });
    let typed = DecodeOptions {
        typed_variants: true,
        bytes_base64: false,
        arrays_base64: false,
    };
    time("decode a{sv} x20 -> typed text", 2000, || {
        s.clear();
        decode_body_to_string("a{sv}", &body, false, typed, &mut s).unwrap();
    });
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}
