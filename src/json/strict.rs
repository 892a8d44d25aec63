//! Parsing JSON text into a `serde_json::Value` while rejecting duplicate object keys, which
//! `serde_json::from_str` silently collapses (keeping the last). A request's arguments parsed this
//! way cannot lose a dict entry without an error.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::Result;

/// Parses JSON text like `serde_json::from_str::<Value>`, but a duplicate key in any object is an
/// `InvalidJson` error naming the key.
pub fn parse_json_strict(text: &str) -> Result<Value> {
    let Strict(v) = serde_json::from_str(text)?;
    Ok(v)
}

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        Strict::deserialize(d).map(|s| s.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(de::Error::custom(format_args!(
                    "duplicate key {}",
                    Value::from(k)
                )));
            }
            let Strict(v) = map.next_value()?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    #[test]
    fn rejects_duplicates_at_any_depth() {
        let v = parse_json_strict(r#"[{"a":1,"b":[1,2.5,"x",null,true]}]"#).unwrap();
        assert_eq!(v, serde_json::json!([{"a":1,"b":[1,2.5,"x",null,true]}]));
        let e = parse_json_strict(r#"[1, {"x": {"a": 1, "a": 2}}]"#).unwrap_err();
        assert_eq!(e.kind, Kind::InvalidJson);
        assert!(e.message.contains("duplicate key \"a\""), "{}", e.message);
        assert!(parse_json_strict("[1,").is_err());
        // Key order and big integers survive.
        let v =
            parse_json_strict(r#"{"z":18446744073709551615,"a":-9223372036854775808}"#).unwrap();
        assert_eq!(
            v.to_string(),
            r#"{"z":18446744073709551615,"a":-9223372036854775808}"#
        );
    }
}
