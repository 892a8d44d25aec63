//! Wire compatibility with a serializer we did not write: the bytes of our encoder equal what
//! zbus' own serializer produces for the same typed Rust value, and our decoder reads zbus' bytes
//! (little and big endian) back to the expected JSON. Hand-picked values here; random ones in
//! `json_prop.rs`.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};
use skypebus::json::{DecodeOptions, EncodeOptions, decode_body, encode_body};
use skypebus::signature::parse_signature;
use zbus::wire::{self, BE, DynamicType, LE, ObjectPath, Signature, Variant, serialized::Context};

const TYPED: DecodeOptions = DecodeOptions {
    typed_variants: true,
    bytes_base64: false,
    arrays_base64: false,
};

fn zbus_bytes<T: Serialize + DynamicType + ?Sized>(v: &T, big: bool) -> Vec<u8> {
    let ctxt = Context::new(if big { BE } else { LE }, 0);
    wire::to_bytes(ctxt, v).expect("zbus serializes").to_vec()
}

fn ours(sig: &str, args: Value) -> Vec<u8> {
    let types = parse_signature(sig).unwrap();
    let Value::Array(args) = args else { panic!() };
    encode_body(&types, &args, EncodeOptions::default()).unwrap()
}

/// Our bytes equal zbus' (little endian), and our decoder reads zbus' bytes in both byte orders
/// back to `typed` (the canonical typed JSON of the arguments).
fn same<T: Serialize + DynamicType + ?Sized>(sig: &str, zv: &T, typed: Value) {
    let mine = ours(sig, typed.clone());
    let theirs = zbus_bytes(zv, false);
    assert_eq!(mine, theirs, "bytes of {sig} {typed}");
    for big in [false, true] {
        let b = zbus_bytes(zv, big);
        let back = decode_body(sig, &b, big, TYPED).unwrap_or_else(|e| panic!("{sig}: {e}"));
        assert_eq!(
            back.to_string(),
            typed.to_string(),
            "{sig} big_endian={big}"
        );
    }
}

#[test]
fn a_sv_with_one_entry() {
    let mut m: HashMap<&str, Variant<'_>> = HashMap::new();
    m.insert("a", Variant::I32(1));
    same("a{sv}", &m, json!([{"a": {"type": "i", "data": 1}}]));
    // And the same thing written by hand, as a check of the check.
    assert_eq!(
        zbus_bytes(&m, false),
        [
            0x10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, b'a', 0, 1, b'i', 0, 0, 0, 0, 1, 0, 0, 0
        ]
    );
}

#[test]
fn struct_padding() {
    same("(yx)", &(1u8, -2i64), json!([[1, -2]]));
    // A body "yx" is the struct's fields at offset 0: identical bytes.
    same("yx", &(1u8, -2i64), json!([1, -2]));
    same("(y(yx))", &(1u8, (2u8, 3i64)), json!([[1, [2, 3]]]));
}

#[test]
fn basic_types_at_their_limits() {
    same(
        "ynqiuxtdbs",
        &(
            255u8,
            i16::MIN,
            u16::MAX,
            i32::MIN,
            u32::MAX,
            i64::MIN,
            u64::MAX,
            -0.5f64,
            true,
            "héllo \"q\"",
        ),
        json!([
            255,
            i16::MIN,
            u16::MAX,
            i32::MIN,
            u32::MAX,
            i64::MIN,
            u64::MAX,
            -0.5,
            true,
            "héllo \"q\""
        ]),
    );
    same(
        "og",
        &(
            ObjectPath::try_from("/org/ex_1").unwrap(),
            Signature::try_from("a{sv}").unwrap(),
        ),
        json!(["/org/ex_1", "a{sv}"]),
    );
}

#[test]
fn arrays() {
    same("ay", &vec![0u8, 255, 10], json!([[0, 255, 10]]));
    same("ad", &vec![1.5f64, -2.0], json!([[1.5, -2.0]]));
    same("ai", &Vec::<i32>::new(), json!([[]]));
    same("ax", &Vec::<i64>::new(), json!([[]]));
    same("a(yx)", &Vec::<(u8, i64)>::new(), json!([[]]));
    same(
        "a(yx)",
        &vec![(1u8, 2i64), (3, 4)],
        json!([[[1, 2], [3, 4]]]),
    );
    same("as", &vec!["a", "", "ccc"], json!([["a", "", "ccc"]]));
    same(
        "aai",
        &vec![vec![1i32], vec![], vec![2, 3]],
        json!([[[1], [], [2, 3]]]),
    );
    same("(yad)", &(7u8, vec![0.5f64]), json!([[7, [0.5]]]));
}

#[test]
fn dicts_with_basic_keys() {
    let mut m: HashMap<i32, &str> = HashMap::new();
    m.insert(-42, "a");
    same("a{is}", &m, json!([{"-42": "a"}]));
    let mut m: HashMap<u64, bool> = HashMap::new();
    m.insert(u64::MAX, true);
    same("a{tb}", &m, json!([{"18446744073709551615": true}]));
    let mut m: HashMap<bool, u8> = HashMap::new();
    m.insert(false, 9);
    same("a{by}", &m, json!([{"false": 9}]));
    let mut m: HashMap<ObjectPath<'_>, i16> = HashMap::new();
    m.insert(ObjectPath::try_from("/a").unwrap(), -1);
    same("a{on}", &m, json!([{"/a": -1}]));
    let empty: HashMap<&str, Variant<'_>> = HashMap::new();
    same("a{sv}", &empty, json!([{}]));
    let mut inner: HashMap<&str, Variant<'_>> = HashMap::new();
    inner.insert("k", Variant::from("v"));
    let mut outer: HashMap<u8, HashMap<&str, Variant<'_>>> = HashMap::new();
    outer.insert(3, inner);
    same(
        "a{ya{sv}}",
        &outer,
        json!([{"3": {"k": {"type": "s", "data": "v"}}}]),
    );
}

#[test]
fn variants() {
    same("v", &Variant::U8(2), json!([{"type": "y", "data": 2}]));
    same(
        "v",
        &Variant::Variant(Box::new(Variant::U64(7))),
        json!([{"type": "v", "data": {"type": "t", "data": 7}}]),
    );
    same(
        "v",
        &Variant::from(vec![1i32, 2]),
        json!([{"type": "ai", "data": [1, 2]}]),
    );
    same(
        "v",
        &Variant::F64(f64::NAN),
        json!([{"type": "d", "data": "NaN"}]),
    );
    same(
        "(sv)",
        &("a", Variant::from((1u8, "x"))),
        json!([["a", {"type": "(ys)", "data": [1, "x"]}]]),
    );
    same(
        "av",
        &vec![Variant::from(1u16), Variant::from("s")],
        json!([[{"type": "q", "data": 1}, {"type": "s", "data": "s"}]]),
    );
}

#[test]
fn a_typical_reply() {
    // (sa{sv}as), the shape of many real replies.
    let mut props: HashMap<&str, Variant<'_>> = HashMap::new();
    props.insert("Volume", Variant::F64(0.75));
    same(
        "(sa{sv}as)",
        &("name", props, vec!["x", "y"]),
        json!([["name", {"Volume": {"type": "d", "data": 0.75}}, ["x", "y"]]]),
    );
}
