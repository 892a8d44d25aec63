//! Shared by the codec's property and fuzz tests: random D-Bus types and, for each, random JSON
//! values in the canonical typed form (exactly what `decode_body` with typed variants prints).

#![allow(dead_code)]

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use skypebus::signature::{Type, parse_single, signature_of};

/// Every basic type but `h` (not supported yet).
pub fn basic_type() -> BoxedStrategy<Type> {
    prop_oneof![
        Just(Type::Byte),
        Just(Type::Bool),
        Just(Type::Int16),
        Just(Type::UInt16),
        Just(Type::Int32),
        Just(Type::UInt32),
        Just(Type::Int64),
        Just(Type::UInt64),
        Just(Type::Double),
        Just(Type::String),
        Just(Type::ObjectPath),
        Just(Type::Signature),
    ]
    .boxed()
}

/// A complete type nested at most `depth` containers deep (variants not counted).
pub fn any_type(depth: u32) -> BoxedStrategy<Type> {
    let leaf = prop_oneof![5 => basic_type(), 1 => Just(Type::Variant)];
    leaf.prop_recursive(depth, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| Type::Array(Box::new(t))),
            (basic_type(), inner.clone()).prop_map(|(k, v)| Type::Dict(Box::new(k), Box::new(v))),
            prop::collection::vec(inner, 1..4).prop_map(Type::Struct),
        ]
    })
    .boxed()
}

/// How a double is written: NaN and the infinities as strings.
pub fn canon_double(f: f64) -> Value {
    if f.is_nan() {
        json!("NaN")
    } else if f == f64::INFINITY {
        json!("Infinity")
    } else if f == f64::NEG_INFINITY {
        json!("-Infinity")
    } else {
        Value::from(f)
    }
}

fn double() -> BoxedStrategy<f64> {
    prop_oneof![
        Just(0.0),
        Just(-0.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(5e-324),
        Just(f64::MIN_POSITIVE / 3.0),
        Just(f64::MAX),
        Just(f64::MIN),
        Just(1e20),
        Just(2.0),
        any::<f64>(),
    ]
    .boxed()
}

macro_rules! int_strategy {
    ($t:ty) => {
        prop_oneof![
            Just(<$t>::MIN),
            Just(<$t>::MAX),
            Just(0 as $t),
            Just(1 as $t),
            any::<$t>(),
        ]
        .prop_map(Value::from)
        .boxed()
    };
}

fn string() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        Just("type".to_owned()),
        Just("data".to_owned()),
        Just("q\"\\\u{1}\u{8}\u{c}\r\t\u{1f}\u{7f}é😀\n/".to_owned()),
        any::<String>().prop_map(|s| s.replace('\0', "")),
    ]
    .boxed()
}

fn object_path() -> BoxedStrategy<String> {
    prop::collection::vec("[A-Za-z0-9_]{1,6}", 0..4)
        .prop_map(|els| format!("/{}", els.join("/")))
        .boxed()
}

fn signature_value() -> BoxedStrategy<String> {
    prop::collection::vec(any_type(2), 0..3)
        .prop_map(|ts| signature_of(&ts))
        .boxed()
}

/// A dict key of type `k`, as its JSON text.
pub fn key_text(k: &Type) -> BoxedStrategy<String> {
    match k {
        Type::String => string(),
        Type::ObjectPath => object_path(),
        Type::Signature => signature_value(),
        Type::Bool => any::<bool>().prop_map(|b| b.to_string()).boxed(),
        Type::Double => double()
            .prop_map(|f| match canon_double(f) {
                Value::String(s) => s,
                v => v.to_string(),
            })
            .boxed(),
        t => value_for(t, 0).prop_map(|v| v.to_string()).boxed(),
    }
}

/// A random value of type `t` in the canonical typed form; variants nest at most `vdepth` deep.
pub fn value_for(t: &Type, vdepth: u32) -> BoxedStrategy<Value> {
    match t {
        Type::Byte => int_strategy!(u8),
        Type::Int16 => int_strategy!(i16),
        Type::UInt16 => int_strategy!(u16),
        Type::Int32 => int_strategy!(i32),
        Type::UInt32 => int_strategy!(u32),
        Type::Int64 => int_strategy!(i64),
        Type::UInt64 => int_strategy!(u64),
        Type::Double => double().prop_map(canon_double).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::from).boxed(),
        Type::String => string().prop_map(Value::from).boxed(),
        Type::ObjectPath => object_path().prop_map(Value::from).boxed(),
        Type::Signature => signature_value().prop_map(Value::from).boxed(),
        Type::UnixFd => Just(json!(0)).boxed(),
        Type::Variant => {
            let inner = if vdepth == 0 {
                basic_type()
            } else {
                any_type(2)
            };
            inner
                .prop_flat_map(move |t| {
                    let sig = t.signature();
                    value_for(&t, vdepth.saturating_sub(1))
                        .prop_map(move |v| json!({"type": sig.clone(), "data": v}))
                })
                .boxed()
        }
        Type::Array(e) => prop::collection::vec(value_for(e, vdepth), 0..5)
            .prop_map(Value::Array)
            .boxed(),
        Type::Dict(k, v) => prop::collection::vec((key_text(k), value_for(v, vdepth)), 0..4)
            .prop_map(|entries| {
                let mut m = Map::new();
                for (k, v) in entries {
                    m.insert(k, v);
                }
                Value::Object(m)
            })
            .boxed(),
        Type::Struct(fields) => fields
            .iter()
            .map(|f| value_for(f, vdepth))
            .collect::<Vec<_>>()
            .prop_map(Value::Array)
            .boxed(),
    }
}

/// A body signature (0 to 3 complete types) and matching arguments.
pub fn body() -> BoxedStrategy<(Vec<Type>, Vec<Value>)> {
    prop::collection::vec(any_type(3), 0..4)
        .prop_flat_map(|types| {
            let values: Vec<_> = types.iter().map(|t| value_for(t, 2)).collect();
            (Just(types), values)
        })
        .boxed()
}

/// The untyped form of a canonical typed value: every variant replaced by its data.
pub fn strip(t: &Type, v: &Value) -> Value {
    match (t, v) {
        (Type::Variant, Value::Object(m)) => {
            let sig = m.get("type").and_then(Value::as_str).unwrap_or("");
            let inner = parse_single(sig).expect("canonical variant");
            strip(&inner, m.get("data").unwrap_or(&Value::Null))
        }
        (Type::Array(e), Value::Array(items)) => {
            Value::Array(items.iter().map(|i| strip(e, i)).collect())
        }
        (Type::Dict(_, vt), Value::Object(m)) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), strip(vt, v))).collect())
        }
        (Type::Struct(fs), Value::Array(items)) => {
            Value::Array(fs.iter().zip(items).map(|(f, i)| strip(f, i)).collect())
        }
        _ => v.clone(),
    }
}

/// Whether a type contains a variant anywhere.
pub fn has_variant(t: &Type) -> bool {
    match t {
        Type::Variant => true,
        Type::Array(e) => has_variant(e),
        Type::Dict(k, v) => has_variant(k) || has_variant(v),
        Type::Struct(fs) => fs.iter().any(has_variant),
        _ => false,
    }
}
