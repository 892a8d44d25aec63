//! Inference of D-Bus types from JSON values, used when no signature is known and for plain JSON
//! values sent as variants (issue 3 item 2). The rules, in full:
//!
//! | JSON | D-Bus |
//! |---|---|
//! | `true` / `false` | `b` |
//! | string | `s` |
//! | integer | `i` if it fits int32, else `x` if it fits int64, else `t` |
//! | float (written with a fraction or exponent, `2.0` included) | `d` |
//! | typed form `{"type": T, "data": ...}` | `T` |
//! | any other object | `a{sv}`, each value a variant inferred by these rules |
//! | empty array | `av` |
//! | non-empty array | `aT`, where all elements must infer to one type `T` |
//! | `null` | error |
//!
//! Within an array: integers of different ranges widen to the smallest of `i`, `x`, `t` that holds
//! them all (error if none does: a negative number beside one above int64's range); integers beside
//! floats make `ad` if every integer is exactly representable as a double (|n| <= 2^53), else an
//! error; an empty array beside arrays or objects takes their type (PHP writes an empty array as
//! `[]`, whether it was meant as a list or a map); a typed element fixes the type, and the other
//! elements must infer to exactly that type. Any other mix (a string beside a number, ...) is an
//! error.

use serde_json::Value;

use super::{as_typed, describe};
use crate::error::{Error, Result};
use crate::signature::{MAX_ARRAY_DEPTH, Type, parse_single};

/// Infers the signature of a list of arguments (one complete type per argument).
pub fn infer_signature(args: &[Value]) -> Result<Vec<Type>> {
    args.iter()
        .enumerate()
        .map(|(i, v)| infer_type(v).map_err(|e| e.context(format_args!("arg {i}"))))
        .collect()
}

/// Infers the D-Bus type of one JSON value (see the module documentation for the rules).
pub fn infer_type(value: &Value) -> Result<Type> {
    Ok(infer(value, 0)?.finish())
}

/// What an array's elements have shown so far.
#[derive(Debug, Clone, PartialEq)]
enum Inf {
    Int {
        min: i128,
        max: i128,
    },
    Float,
    Bool,
    Str,
    /// An empty array: `av` unless its siblings say otherwise.
    Empty,
    Array(Box<Inf>),
    /// A plain object: `a{sv}`.
    Dict,
    /// A typed form.
    Exact(Type),
}

const MAX_EXACT_DOUBLE: i128 = 1 << 53;

impl Inf {
    fn finish(self) -> Type {
        match self {
            Inf::Int { min, max } => {
                if min >= i128::from(i32::MIN) && max <= i128::from(i32::MAX) {
                    Type::Int32
                } else if min >= i128::from(i64::MIN) && max <= i128::from(i64::MAX) {
                    Type::Int64
                } else {
                    Type::UInt64
                }
            }
            Inf::Float => Type::Double,
            Inf::Bool => Type::Bool,
            Inf::Str => Type::String,
            Inf::Empty => Type::Array(Box::new(Type::Variant)),
            Inf::Array(e) => Type::Array(Box::new(e.finish())),
            Inf::Dict => Type::Dict(Box::new(Type::String), Box::new(Type::Variant)),
            Inf::Exact(t) => t,
        }
    }

    fn fits_double(min: i128, max: i128) -> bool {
        min >= -MAX_EXACT_DOUBLE && max <= MAX_EXACT_DOUBLE
    }

    /// The type of two array elements together, if they have one.
    fn join(self, other: Inf) -> Option<Inf> {
        use Inf::*;
        Some(match (self, other) {
            (Int { min: a, max: b }, Int { min: c, max: d }) => {
                let (min, max) = (a.min(c), b.max(d));
                // No D-Bus integer type holds both a negative number and one above int64's range.
                if min < 0 && max > i128::from(i64::MAX) {
                    return None;
                }
                Int { min, max }
            }
            (Int { min, max }, Float) | (Float, Int { min, max }) => {
                if !Self::fits_double(min, max) {
                    return None;
                }
                Float
            }
            (Empty, Empty) => Empty,
            (Empty, Array(e)) | (Array(e), Empty) => Array(e),
            (Empty, Dict) | (Dict, Empty) => Dict,
            (Array(a), Array(b)) => Array(Box::new(a.join(*b)?)),
            (Exact(t), other) | (other, Exact(t)) => {
                let compatible = match (&t, &other) {
                    (Type::Array(_) | Type::Dict(..), Empty) => true,
                    _ => other.finish() == t,
                };
                if !compatible {
                    return None;
                }
                Exact(t)
            }
            (a, b) if a == b => a,
            _ => return None,
        })
    }
}

fn infer(v: &Value, arrays: u8) -> Result<Inf> {
    Ok(match v {
        Value::Null => {
            return Err(Error::type_mismatch(
                "cannot infer a D-Bus type for null; give a signature or use the typed form",
            ));
        }
        Value::Bool(_) => Inf::Bool,
        Value::String(_) => Inf::Str,
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Inf::Int {
                    min: i.into(),
                    max: i.into(),
                }
            } else if let Some(u) = n.as_u64() {
                Inf::Int {
                    min: u.into(),
                    max: u.into(),
                }
            } else {
                Inf::Float
            }
        }
        Value::Object(_) => match as_typed(v) {
            Some((sig, _)) => Inf::Exact(parse_single(sig).map_err(|e| {
                Error::new(
                    e.kind,
                    format!(
                        "typed value {{\"type\": {}, ...}}: {}",
                        Value::from(sig),
                        e.message
                    ),
                )
            })?),
            None => Inf::Dict,
        },
        Value::Array(items) => {
            if arrays >= MAX_ARRAY_DEPTH {
                return Err(Error::limit(format!(
                    "cannot infer a type for more than {MAX_ARRAY_DEPTH} nested arrays"
                )));
            }
            let mut acc: Option<Inf> = None;
            for (i, item) in items.iter().enumerate() {
                let t = infer(item, arrays + 1).map_err(|e| e.context(format_args!("[{i}]")))?;
                acc = Some(match acc {
                    None => t,
                    Some(prev) => {
                        let prev_sig = prev.clone().finish().signature();
                        let this_sig = t.clone().finish().signature();
                        prev.join(t).ok_or_else(|| {
                            Error::type_mismatch(format!(
                                "cannot infer one D-Bus type for the array: element {i} ({}) is \
                                 '{this_sig}' but the elements before it are '{prev_sig}'; give \
                                 a signature or use the typed form",
                                describe(item)
                            ))
                        })?
                    }
                });
            }
            match acc {
                None => Inf::Empty,
                Some(e) => Inf::Array(Box::new(e)),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sig(v: Value) -> String {
        infer_type(&v)
            .map(|t| t.signature())
            .unwrap_or_else(|e| format!("error {:?}", e.kind))
    }

    #[test]
    fn rules() {
        assert_eq!(sig(json!("x")), "s");
        assert_eq!(sig(json!(true)), "b");
        assert_eq!(sig(json!(1)), "i");
        assert_eq!(sig(json!(-2147483648i64)), "i");
        assert_eq!(sig(json!(2147483648i64)), "x");
        assert_eq!(sig(json!(i64::MIN)), "x");
        assert_eq!(sig(json!(u64::MAX)), "t");
        assert_eq!(sig(json!(2.5)), "d");
        assert_eq!(sig(json!(2.0)), "d");
        assert_eq!(sig(json!([])), "av");
        assert_eq!(sig(json!([1, 2])), "ai");
        assert_eq!(sig(json!([1, 5000000000i64])), "ax");
        assert_eq!(sig(json!([1, u64::MAX])), "at");
        assert_eq!(sig(json!([-1, u64::MAX])), "error TypeMismatch");
        assert_eq!(sig(json!([1, 2.5])), "ad");
        assert_eq!(sig(json!([9007199254740993i64, 2.5])), "error TypeMismatch");
        assert_eq!(sig(json!([1, "a"])), "error TypeMismatch");
        assert_eq!(sig(json!([[1], [2, 3]])), "aai");
        assert_eq!(sig(json!([[], [2, 3]])), "aai");
        assert_eq!(sig(json!([[], {"a": 1}])), "aa{sv}");
        assert_eq!(sig(json!([[], []])), "aav");
        assert_eq!(sig(json!({"a": 1})), "a{sv}");
        assert_eq!(sig(json!({})), "a{sv}");
        assert_eq!(sig(json!({"type": "u", "data": 1})), "u");
        assert_eq!(
            sig(json!([{"type": "u", "data": 1}, 2])),
            "error TypeMismatch"
        );
        assert_eq!(
            sig(json!([{"type": "y", "data": 1}, {"type": "y", "data": 2}])),
            "ay"
        );
        assert_eq!(sig(json!([{"type": "as", "data": []}, []])), "aas");
        assert_eq!(sig(json!([{"type": "as", "data": []}, ["x"]])), "aas");
        assert_eq!(
            sig(json!({"type": "zz", "data": 1})),
            "error InvalidSignature"
        );
        assert_eq!(sig(json!(null)), "error TypeMismatch");
        assert_eq!(sig(json!([null])), "error TypeMismatch");
    }

    #[test]
    fn deep_arrays_are_an_error() {
        let mut v = json!(1);
        for _ in 0..40 {
            v = Value::Array(vec![v]);
        }
        assert_eq!(
            infer_type(&v).unwrap_err().kind,
            crate::error::Kind::LimitExceeded
        );
    }

    #[test]
    fn signature_of_args() {
        let t = infer_signature(&[json!("a"), json!(1), json!({"k": [1.5]})]).unwrap();
        assert_eq!(crate::signature::signature_of(&t), "sia{sv}");
        let e = infer_signature(&[json!("a"), json!(null)]).unwrap_err();
        assert!(e.message.starts_with("arg 1"), "{}", e.message);
    }
}
