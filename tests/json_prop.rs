//! Property tests of the codec: random signature + matching random JSON value -> body -> JSON,
//! both sinks, typed and untyped variants, base64 bytes, and against zbus' serializer.

mod json_support;

use json_support::{body, has_variant, strip};
use proptest::prelude::*;
use serde_json::Value;
use skypebus::json::{
    DecodeOptions, EncodeOptions, decode_body, decode_body_to_string, encode_body,
};
use skypebus::signature::{Type, parse_single, signature_of};
use zbus::wire::{
    self, Array, BE, Dict, LE, ObjectPath, Signature, StructureBuilder, Variant,
    serialized::Context,
};

const TYPED: DecodeOptions = DecodeOptions {
    typed_variants: true,
    bytes_base64: false,
    arrays_base64: false,
};
const PLAIN: DecodeOptions = DecodeOptions {
    typed_variants: false,
    bytes_base64: false,
    arrays_base64: false,
};

/// Decodes with both sinks, checks they print the same text, returns it.
fn decode_text(sig: &str, body: &[u8], big: bool, opts: DecodeOptions) -> String {
    let v = decode_body(sig, body, big, opts).unwrap_or_else(|e| panic!("decode {sig}: {e}"));
    let mut s = String::new();
    decode_body_to_string(sig, body, big, opts, &mut s).unwrap();
    assert_eq!(v.to_string(), s, "Value and text sinks disagree for {sig}");
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn typed_round_trip((types, args) in body()) {
        let sig = signature_of(&types);
        let bytes = encode_body(&types, &args, EncodeOptions::default())
            .unwrap_or_else(|e| panic!("encode {sig} {args:?}: {e}"));
        // Typed output is exactly the canonical input (text comparison: order, -0.0, ...).
        let typed = decode_text(&sig, &bytes, false, TYPED);
        let expected = Value::Array(args.clone()).to_string();
        prop_assert_eq!(&typed, &expected);
        // And it is accepted back as input, giving the same bytes.
        let again: Value = serde_json::from_str(&typed).unwrap();
        let again = encode_body(&types, again.as_array().unwrap(), EncodeOptions::default())
            .unwrap();
        prop_assert_eq!(&again, &bytes);

        // Untyped variants: the inner values; lossless (== input) without variants.
        let plain = decode_text(&sig, &bytes, false, PLAIN);
        let stripped: Vec<Value> =
            types.iter().zip(&args).map(|(t, v)| strip(t, v)).collect();
        prop_assert_eq!(&plain, &Value::Array(stripped).to_string());
        if !types.iter().any(has_variant) {
            prop_assert_eq!(&plain, &expected);
        }

        // Base64 bytes: output accepted back with "bytes": "base64".
        let b64 = DecodeOptions { typed_variants: true, bytes_base64: true, arrays_base64: false };
        let text = decode_text(&sig, &bytes, false, b64);
        let v: Value = serde_json::from_str(&text).unwrap();
        let again = encode_body(&types, v.as_array().unwrap(), EncodeOptions { bytes_base64: true })
            .unwrap();
        prop_assert_eq!(&again, &bytes);
    }

    #[test]
    fn same_as_zbus((types, args) in body()) {
        if args.is_empty() || !types.iter().zip(&args).all(|(t, v)| zbus_can(t, v)) {
            return Ok(());
        }
        let sig = signature_of(&types);
        let mut sb = StructureBuilder::new();
        for (t, v) in types.iter().zip(&args) {
            sb = sb.append_field(to_zbus(t, v));
        }
        let st = sb.build().unwrap();
        let expected = Value::Array(args.clone());
        for big in [false, true] {
            let ctxt = Context::new(if big { BE } else { LE }, 0);
            let theirs = wire::to_bytes(ctxt, &st).unwrap().to_vec();
            // zbus sorts dict entries, so compare as values (key order ignored) ...
            let back = decode_body(&sig, &theirs, big, TYPED)
                .unwrap_or_else(|e| panic!("decode zbus bytes of {sig} (big={big}): {e}"));
            prop_assert_eq!(&back, &expected);
            // ... and byte for byte where no dict has more than one entry.
            if !big && !types.iter().zip(&args).any(|(t, v)| multi_entry_dict(t, v)) {
                let ours = encode_body(&types, &args, EncodeOptions::default()).unwrap();
                prop_assert_eq!(ours, theirs);
            }
        }
    }
}

fn zsig(t: &Type) -> Signature {
    Signature::try_from(t.signature().as_str()).unwrap()
}

/// Values zbus cannot write the way D-Bus does: multi-type `g` values (zbus wraps them in a
/// struct signature), NaN dict keys and -0.0 beside 0.0 as dict keys (its ordered map takes
/// them for one key), and signature dict keys (its map takes "y" and "b" for one key).
fn zbus_can(t: &Type, v: &Value) -> bool {
    match (t, v) {
        (Type::Signature, Value::String(s)) => parse_single(s).is_ok(),
        (Type::Variant, Value::Object(m)) => {
            let inner = parse_single(m["type"].as_str().unwrap()).unwrap();
            zbus_can(&inner, &m["data"])
        }
        (Type::Array(e), Value::Array(items)) => items.iter().all(|i| zbus_can(e, i)),
        (Type::Dict(k, _), _) if **k == Type::Signature => false,
        (Type::Dict(k, vt), Value::Object(m)) => m.iter().all(|(key, val)| {
            zbus_can(k, &key_value(k, key)) && key != "NaN" && key != "-0.0" && zbus_can(vt, val)
        }),
        (Type::Struct(fs), Value::Array(items)) => {
            fs.iter().zip(items).all(|(f, i)| zbus_can(f, i))
        }
        _ => true,
    }
}

fn multi_entry_dict(t: &Type, v: &Value) -> bool {
    match (t, v) {
        (Type::Variant, Value::Object(m)) => {
            let inner = parse_single(m["type"].as_str().unwrap()).unwrap();
            multi_entry_dict(&inner, &m["data"])
        }
        (Type::Array(e), Value::Array(items)) => items.iter().any(|i| multi_entry_dict(e, i)),
        (Type::Dict(_, vt), Value::Object(m)) => {
            m.len() > 1 || m.values().any(|val| multi_entry_dict(vt, val))
        }
        (Type::Struct(fs), Value::Array(items)) => {
            fs.iter().zip(items).any(|(f, i)| multi_entry_dict(f, i))
        }
        _ => false,
    }
}

/// The JSON value a dict key's text stands for.
fn key_value(k: &Type, text: &str) -> Value {
    match k {
        Type::String | Type::ObjectPath | Type::Signature => Value::from(text),
        Type::Double if matches!(text, "NaN" | "Infinity" | "-Infinity") => Value::from(text),
        _ => serde_json::from_str(text).unwrap(),
    }
}

fn f64_of(v: &Value) -> f64 {
    match v {
        Value::String(s) if s == "NaN" => f64::NAN,
        Value::String(s) if s == "Infinity" => f64::INFINITY,
        Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
        _ => v.as_f64().unwrap(),
    }
}

/// The same value as a zbus dynamic value, built from the canonical typed JSON.
fn to_zbus(t: &Type, v: &Value) -> Variant<'static> {
    match t {
        Type::Byte => Variant::U8(v.as_u64().unwrap() as u8),
        Type::Bool => Variant::Bool(v.as_bool().unwrap()),
        Type::Int16 => Variant::I16(v.as_i64().unwrap() as i16),
        Type::UInt16 => Variant::U16(v.as_u64().unwrap() as u16),
        Type::Int32 => Variant::I32(v.as_i64().unwrap() as i32),
        Type::UInt32 => Variant::U32(v.as_u64().unwrap() as u32),
        Type::Int64 => Variant::I64(v.as_i64().unwrap()),
        Type::UInt64 => Variant::U64(v.as_u64().unwrap()),
        Type::Double => Variant::F64(f64_of(v)),
        Type::String => Variant::from(v.as_str().unwrap().to_owned()),
        Type::ObjectPath => {
            Variant::ObjectPath(ObjectPath::try_from(v.as_str().unwrap().to_owned()).unwrap())
        }
        Type::Signature => Variant::Signature(Signature::try_from(v.as_str().unwrap()).unwrap()),
        Type::UnixFd => unreachable!("not generated"),
        Type::Variant => {
            let inner = parse_single(v["type"].as_str().unwrap()).unwrap();
            Variant::Variant(Box::new(to_zbus(&inner, &v["data"])))
        }
        Type::Array(e) => {
            let mut a = Array::new(&zsig(e));
            for item in v.as_array().unwrap() {
                a.append(to_zbus(e, item)).unwrap();
            }
            Variant::Array(a)
        }
        Type::Dict(k, vt) => {
            let mut d = Dict::new(&zsig(k), &zsig(vt));
            for (key, val) in v.as_object().unwrap() {
                d.append(to_zbus(k, &key_value(k, key)), to_zbus(vt, val))
                    .unwrap();
            }
            Variant::Dict(d)
        }
        Type::Struct(fs) => {
            let mut sb = StructureBuilder::new();
            for (f, item) in fs.iter().zip(v.as_array().unwrap()) {
                sb = sb.append_field(to_zbus(f, item));
            }
            Variant::Structure(sb.build().unwrap())
        }
    }
}
