//! Fuzz-style tests of the decoder: random bytes with random signatures, and randomly damaged
//! valid bodies. The decoder must never panic, both sinks must agree on success or failure, and
//! whatever decodes must encode back to the same bytes (nothing invalid slips through). Also the
//! encoder with random JSON against random signatures: errors, never panics.

mod json_support;

use json_support::{any_type, body};
use proptest::prelude::*;
use serde_json::Value;
use skypebus::json::{
    DecodeOptions, EncodeOptions, decode_body, decode_body_to_string, encode_body,
};
use skypebus::signature::{parse_signature, signature_of};

fn decode_both(sig: &str, bytes: &[u8], big: bool, typed: bool) -> Option<Value> {
    let opts = DecodeOptions {
        typed_variants: typed,
        bytes_base64: false,
        arrays_base64: false,
    };
    let v = decode_body(sig, bytes, big, opts);
    let mut s = String::new();
    let t = decode_body_to_string(sig, bytes, big, opts, &mut s);
    match (v, t) {
        (Ok(v), Ok(())) => {
            assert_eq!(v.to_string(), s);
            Some(v)
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            assert!(s.is_empty());
            None
        }
        (a, b) => panic!("sinks disagree on {sig}: {a:?} / {b:?}"),
    }
}

/// A typed decode of little endian bytes that succeeded must encode back to the same bytes:
/// anything the decoder accepts is a valid body. (The one loss: every NaN payload is "NaN".)
fn check_reencode(sig: &str, bytes: &[u8]) {
    if let Some(decoded) = decode_both(sig, bytes, false, true) {
        let types = parse_signature(sig).unwrap();
        let args = decoded.as_array().unwrap();
        let again = encode_body(&types, args, EncodeOptions::default())
            .unwrap_or_else(|e| panic!("accepted {sig} {bytes:?} but cannot re-encode: {e}"));
        if again != bytes {
            assert!(decoded.to_string().contains("\"NaN\""), "{sig} {bytes:?}");
            assert_eq!(again.len(), bytes.len());
            assert_eq!(decode_both(sig, &again, false, true), Some(decoded));
        }
    }
}

#[derive(Debug, Clone)]
enum Damage {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
    SetU32(usize, u32),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Damage::Flip(i, x)),
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Damage::Insert(i, x)),
        any::<usize>().prop_map(Damage::Remove),
        (
            any::<usize>(),
            prop_oneof![
                Just(0u32),
                Just(1),
                Just(0xffff_ffff),
                Just(0x0400_0001),
                any::<u32>()
            ]
        )
            .prop_map(|(i, x)| Damage::SetU32(i, x)),
    ]
}

fn apply(bytes: &mut Vec<u8>, d: &Damage) {
    let n = bytes.len();
    match *d {
        Damage::Flip(i, x) if n > 0 => bytes[i % n] ^= x,
        Damage::Truncate(i) => bytes.truncate(i % (n + 1)),
        Damage::Insert(i, x) => bytes.insert(i % (n + 1), x),
        Damage::Remove(i) if n > 0 => {
            bytes.remove(i % n);
        }
        Damage::SetU32(i, x) if n >= 4 => {
            let at = (i % (n - 3)) & !3;
            bytes[at..at + 4].copy_from_slice(&x.to_le_bytes());
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_random_signature(
        types in prop::collection::vec(any_type(4), 0..4),
        bytes in prop::collection::vec(
            prop_oneof![3 => any::<u8>(), 1 => Just(0u8), 1 => prop::sample::select(b"ybnqiuxtdsogva{}()".to_vec())],
            0..160,
        ),
        big in any::<bool>(),
        typed in any::<bool>(),
    ) {
        let sig = signature_of(&types);
        decode_both(&sig, &bytes, big, typed);
        check_reencode(&sig, &bytes);
    }

    #[test]
    fn random_signature_strings(
        sig in "[ybnqiuxtdsoghva{}()m]{0,40}",
        bytes in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        decode_both(&sig, &bytes, false, true);
    }

    #[test]
    fn damaged_valid_bodies(
        (types, args) in body(),
        damages in prop::collection::vec(damage(), 1..4),
        big in any::<bool>(),
    ) {
        let sig = signature_of(&types);
        let mut bytes = encode_body(&types, &args, EncodeOptions::default()).unwrap();
        for d in &damages {
            apply(&mut bytes, d);
        }
        decode_both(&sig, &bytes, big, false);
        check_reencode(&sig, &bytes);
    }

    #[test]
    fn encoder_never_panics(
        types in prop::collection::vec(any_type(3), 0..3),
        args in prop::collection::vec(json_value(), 0..3),
        b64 in any::<bool>(),
    ) {
        let _ = encode_body(&types, &args, EncodeOptions { bytes_base64: b64 });
    }
}

/// Arbitrary JSON, with a bias towards the shapes the codec looks at.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(vec![
            "NaN",
            "Infinity",
            "-Infinity",
            "1",
            "-1",
            "/",
            "/a",
            "a{sv}",
            "s",
            "v",
            "ay",
            "AP8K",
            "",
            "18446744073709551615",
            "type",
            "data",
        ])
        .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec!["type", "data", "a", "1", "true", "1.5"]),
                    inner.clone()
                ),
                0..3
            )
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
            (
                prop::sample::select(vec!["v", "s", "i", "ay", "a{sv}", "(si)", "av", "zz"]),
                inner
            )
                .prop_map(|(t, d)| serde_json::json!({"type": t, "data": d})),
        ]
    })
}
