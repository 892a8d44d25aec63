//! Hand-picked edge cases of the JSON <-> D-Bus mapping: input JSON + signature -> exact bytes
//! or exact error kind, and hostile bodies -> exact error kind, never a panic.

use serde_json::{Value, json};
use skypebus::error::{Kind, Result};
use skypebus::json::{
    DecodeOptions, EncodeOptions, decode_body, decode_body_to_string, encode_body,
    parse_json_strict,
};
use skypebus::signature::parse_signature;

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
const B64: EncodeOptions = EncodeOptions { bytes_base64: true };

fn enc_opts(sig: &str, args: Value, opts: EncodeOptions) -> Result<Vec<u8>> {
    let types = parse_signature(sig)?;
    let Value::Array(args) = args else {
        panic!("test args must be a JSON array")
    };
    encode_body(&types, &args, opts)
}

fn enc(sig: &str, args: Value) -> Result<Vec<u8>> {
    enc_opts(sig, args, EncodeOptions::default())
}

fn err_kind<T: std::fmt::Debug>(r: Result<T>) -> Kind {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.kind,
    }
}

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

/// Decodes with both sinks and checks they agree; returns the JSON text.
fn dec_text(sig: &str, body: &[u8], big: bool, opts: DecodeOptions) -> Result<String> {
    let v = decode_body(sig, body, big, opts);
    let mut s = String::from("prefix ");
    let t = decode_body_to_string(sig, body, big, opts, &mut s);
    match (v, t) {
        (Ok(v), Ok(())) => {
            let text = s.strip_prefix("prefix ").expect("prefix kept").to_owned();
            assert_eq!(v.to_string(), text, "Value and text sinks disagree");
            Ok(text)
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "sinks fail differently");
            assert_eq!(s, "prefix ", "out must be left as it was on error");
            Err(a)
        }
        (a, b) => panic!("sinks disagree: {a:?} vs {b:?}"),
    }
}

/// Encodes, checks the exact bytes, decodes (typed) and checks the JSON text.
fn check(sig: &str, args: Value, bytes: &str, typed_back: &str) {
    let body = enc(sig, args.clone()).unwrap_or_else(|e| panic!("{sig} {args}: {e}"));
    assert_eq!(body, hex(bytes), "bytes of {sig} {args}");
    let back = dec_text(sig, &body, false, TYPED).unwrap_or_else(|e| panic!("{sig}: {e}"));
    assert_eq!(back, typed_back, "decoded {sig}");
}

#[test]
fn integers_full_range() {
    check(
        "t",
        json!([u64::MAX]),
        "ff ff ff ff ff ff ff ff",
        "[18446744073709551615]",
    );
    check(
        "x",
        json!([i64::MIN]),
        "00 00 00 00 00 00 00 80",
        "[-9223372036854775808]",
    );
    check(
        "t",
        json!(["18446744073709551615"]),
        "ff ff ff ff ff ff ff ff",
        "[18446744073709551615]",
    );
    check(
        "x",
        json!(["-9223372036854775808"]),
        "00 00 00 00 00 00 00 80",
        "[-9223372036854775808]",
    );
    check("n", json!(["-5"]), "fb ff", "[-5]");
    check("i", json!([2.0]), "02 00 00 00", "[2]");
    check("u", json!([1e3]), "e8 03 00 00", "[1000]");
    check("q", json!([65535]), "ff ff", "[65535]");
    check("y", json!([255]), "ff", "[255]");
    // y n: 1 + pad 1 + 2
    check("yn", json!([1, -2]), "01 00 fe ff", "[1,-2]");
    check(
        "yx",
        json!([1, 2]),
        "01 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00",
        "[1,2]",
    );
}

#[test]
fn integer_errors() {
    assert_eq!(err_kind(enc("i", json!([2.5]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("y", json!([256]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("y", json!([-1]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("u", json!([-1]))), Kind::TypeMismatch);
    assert_eq!(
        err_kind(enc("i", json!([2147483648i64]))),
        Kind::TypeMismatch
    );
    assert_eq!(err_kind(enc("x", json!([u64::MAX]))), Kind::TypeMismatch);
    assert_eq!(
        err_kind(enc("t", json!(["18446744073709551616"]))),
        Kind::TypeMismatch
    );
    assert_eq!(
        err_kind(enc("t", json!([1.8446744073709552e19]))),
        Kind::TypeMismatch
    );
    assert_eq!(err_kind(enc("i", json!(["5.0"]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("i", json!([" 5"]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("i", json!(["0x10"]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("i", json!(["NaN"]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("i", json!([""]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("i", json!([true]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("i", json!([[1]]))), Kind::TypeMismatch);
    let e = enc("y", json!([256])).unwrap_err();
    assert_eq!(e.message, "arg 0: expected byte 'y' (0 to 255), got 256");
    let e = enc("su", json!(["a", -1])).unwrap_err();
    assert_eq!(
        e.message,
        "arg 1: expected uint32 'u' (0 to 4294967295), got -1"
    );
}

#[test]
fn doubles() {
    check("d", json!(["NaN"]), "00 00 00 00 00 00 f8 7f", r#"["NaN"]"#);
    check(
        "d",
        json!(["Infinity"]),
        "00 00 00 00 00 00 f0 7f",
        r#"["Infinity"]"#,
    );
    check(
        "d",
        json!(["-Infinity"]),
        "00 00 00 00 00 00 f0 ff",
        r#"["-Infinity"]"#,
    );
    check("d", json!([-0.0]), "00 00 00 00 00 00 00 80", "[-0.0]");
    check("d", json!([3]), "00 00 00 00 00 00 08 40", "[3.0]");
    check("d", json!([1.5]), "00 00 00 00 00 00 f8 3f", "[1.5]");
    check("d", json!([5e-324]), "01 00 00 00 00 00 00 00", "[5e-324]");
    assert_eq!(err_kind(enc("d", json!(["nan"]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("d", json!(["1.5"]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("d", json!([true]))), Kind::TypeMismatch);
}

#[test]
fn strings_paths_signatures_bools() {
    check("s", json!(["ab"]), "02 00 00 00 61 62 00", r#"["ab"]"#);
    check("s", json!([""]), "00 00 00 00 00", r#"[""]"#);
    check("o", json!(["/a"]), "02 00 00 00 2f 61 00", r#"["/a"]"#);
    check(
        "g",
        json!(["a{sv}"]),
        "05 61 7b 73 76 7d 00",
        r#"["a{sv}"]"#,
    );
    check("g", json!([""]), "00 00", r#"[""]"#);
    check(
        "bb",
        json!([true, false]),
        "01 00 00 00 00 00 00 00",
        "[true,false]",
    );
    check(
        "s",
        json!(["q\"\\\n\t\u{1}\u{7f}é"]),
        "09 00 00 00 71 22 5c 0a 09 01 7f c3 a9 00",
        "[\"q\\\"\\\\\\n\\t\\u0001\u{7f}é\"]",
    );
    assert_eq!(err_kind(enc("s", json!(["a\u{0}b"]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("o", json!(["a/b"]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("o", json!(["/a/"]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("g", json!(["a{vs}"]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("b", json!([1]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("b", json!(["true"]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("s", json!([1]))), Kind::TypeMismatch);
}

#[test]
fn null_is_always_an_error() {
    for sig in [
        "y", "b", "i", "t", "d", "s", "o", "g", "v", "ai", "a{sv}", "(i)",
    ] {
        assert_eq!(
            err_kind(enc(sig, json!([null]))),
            Kind::TypeMismatch,
            "{sig}"
        );
    }
    assert_eq!(err_kind(enc("ai", json!([[1, null]]))), Kind::TypeMismatch);
    assert_eq!(
        err_kind(enc("a{sv}", json!([{"a": null}]))),
        Kind::TypeMismatch
    );
    assert_eq!(err_kind(enc("v", json!([[null]]))), Kind::TypeMismatch);
}

#[test]
fn dicts_and_php_shapes() {
    // a{sv} with one entry: length 16, padding to 8, key "a", variant 'i' 1.
    check(
        "a{sv}",
        json!([{"a": 1}]),
        "10 00 00 00 00 00 00 00 01 00 00 00 61 00 01 69 00 00 00 00 01 00 00 00",
        r#"[{"a":{"type":"i","data":1}}]"#,
    );
    // Empty JSON array as an empty dict (PHP json_encode([])): length 0, padding to 8.
    check("a{sv}", json!([[]]), "00 00 00 00 00 00 00 00", "[{}]");
    check("a{sv}", json!([{}]), "00 00 00 00 00 00 00 00", "[{}]");
    // A PHP list for an integer-keyed dict: keys 0..n-1.
    check(
        "a{us}",
        json!([["a", "b"]]),
        "1a 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 61 00 00 00 00 00 00 00 \
         01 00 00 00 01 00 00 00 62 00",
        r#"[{"0":"a","1":"b"}]"#,
    );
    check(
        "a{yi}",
        json!([[10, 20]]),
        "10 00 00 00 00 00 00 00 00 00 00 00 0a 00 00 00 01 00 00 00 14 00 00 00",
        r#"[{"0":10,"1":20}]"#,
    );
    // Non-string keys as their JSON text, parsed back through the key type.
    check(
        "a{is}",
        json!([{"1": "a"}]),
        "0a 00 00 00 00 00 00 00 01 00 00 00 01 00 00 00 61 00",
        r#"[{"1":"a"}]"#,
    );
    check(
        "a{bi}",
        json!([{"true": 1}]),
        "08 00 00 00 00 00 00 00 01 00 00 00 01 00 00 00",
        r#"[{"true":1}]"#,
    );
    check(
        "a{di}",
        json!([{"1.5": 1, "-0.0": 2, "NaN": 3, "-Infinity": 4, "1e20": 5}]),
        "4c 00 00 00 00 00 00 00 \
         00 00 00 00 00 00 f8 3f 01 00 00 00 00 00 00 00 \
         00 00 00 00 00 00 00 80 02 00 00 00 00 00 00 00 \
         00 00 00 00 00 00 f8 7f 03 00 00 00 00 00 00 00 \
         00 00 00 00 00 00 f0 ff 04 00 00 00 00 00 00 00 \
         40 8c b5 78 1d af 15 44 05 00 00 00",
        r#"[{"1.5":1,"-0.0":2,"NaN":3,"-Infinity":4,"1e+20":5}]"#,
    );
    check(
        "a{ts}",
        json!([{"18446744073709551615": ""}]),
        "0d 00 00 00 00 00 00 00 ff ff ff ff ff ff ff ff 00 00 00 00 00",
        r#"[{"18446744073709551615":""}]"#,
    );
    // Keys keep the received order.
    let body = enc("a{ss}", json!([{"z": "1", "a": "2", "m": "3"}])).unwrap();
    assert_eq!(
        dec_text("a{ss}", &body, false, PLAIN).unwrap(),
        r#"[{"z":"1","a":"2","m":"3"}]"#
    );
    // Errors.
    assert_eq!(err_kind(enc("a{ss}", json!([["a"]]))), Kind::TypeMismatch);
    assert_eq!(
        err_kind(enc("a{is}", json!([{"x": "a"}]))),
        Kind::TypeMismatch
    );
    assert_eq!(
        err_kind(enc("a{is}", json!([{"1.0": "a"}]))),
        Kind::TypeMismatch
    );
    assert_eq!(
        err_kind(enc("a{bi}", json!([{"1": 1}]))),
        Kind::TypeMismatch
    );
    assert_eq!(
        err_kind(enc("a{yi}", json!([{"256": 1}]))),
        Kind::TypeMismatch
    );
    assert_eq!(
        err_kind(enc("a{di}", json!([{"inf": 1}]))),
        Kind::TypeMismatch
    );
    assert_eq!(
        err_kind(enc("a{oi}", json!([{"x": 1}]))),
        Kind::TypeMismatch
    );
    assert_eq!(
        err_kind(enc("a{hi}", json!([{"1": 1}]))),
        Kind::NotSupported
    );
    let long_list = Value::Array(vec![json!(1); 257]);
    assert_eq!(
        err_kind(enc("a{yi}", json!([long_list]))),
        Kind::TypeMismatch
    );
    let e = enc("a{is}", json!([{"1": "a", "x": "b"}])).unwrap_err();
    assert_eq!(
        e.message,
        "arg 0: key \"x\": expected dict key of type int32 'i' (a decimal integer), got string \"x\""
    );
}

#[test]
fn duplicate_keys() {
    // Two JSON keys naming the same D-Bus key.
    assert_eq!(
        err_kind(enc("a{is}", json!([{"1": "a", "01": "b"}]))),
        Kind::TypeMismatch
    );
    assert_eq!(
        err_kind(enc("a{ts}", json!([{"5": "a", "+5": "b"}]))),
        Kind::TypeMismatch
    );
    assert_eq!(
        err_kind(enc("a{ds}", json!([{"1": "a", "1.0": "b"}]))),
        Kind::TypeMismatch
    );
    // Duplicates in the JSON text itself, seen by the strict parser.
    let e = parse_json_strict(r#"[{"a": 1, "a": 2}]"#).unwrap_err();
    assert_eq!(e.kind, Kind::InvalidJson);
    // A peer sending the same key twice: a{ss} {"a": "x", "a": "y"}.
    let body = hex(
        "1a 00 00 00 00 00 00 00 01 00 00 00 61 00 00 00 01 00 00 00 78 00 00 00 \
                    00 00 00 00 01 00 00 00 61 00 00 00 01 00 00 00 79 00",
    );
    assert_eq!(
        err_kind(dec_text("a{ss}", &body, false, PLAIN)),
        Kind::InvalidMessage
    );
    // Same for integer keys, and NaN keys (all print as "NaN").
    let body = hex("10 00 00 00 00 00 00 00 07 00 00 00 01 00 00 00 07 00 00 00 02 00 00 00");
    assert_eq!(
        err_kind(dec_text("a{ii}", &body, false, PLAIN)),
        Kind::InvalidMessage
    );
    let body = hex(
        "18 00 00 00 00 00 00 00 00 00 00 00 00 00 f8 7f 01 00 00 00 00 00 00 00 \
                    01 00 00 00 00 00 f8 7f 02 00 00 00",
    );
    assert_eq!(
        err_kind(dec_text("a{di}", &body, false, PLAIN)),
        Kind::InvalidMessage
    );
    // Many keys (past the linear-scan threshold), the last one duplicated.
    let mut m = serde_json::Map::new();
    for i in 0..40 {
        m.insert(format!("{i}"), json!(i));
    }
    let mut body = enc("a{ii}", json!([m])).unwrap();
    let n = body.len();
    body[n - 8..n - 4].copy_from_slice(&3i32.to_le_bytes());
    assert_eq!(
        err_kind(dec_text("a{ii}", &body, false, PLAIN)),
        Kind::InvalidMessage
    );
    // Equal keys in different dicts are fine.
    let body = enc("aa{ii}", json!([[{"1": 1}, {"1": 2}]])).unwrap();
    assert_eq!(
        dec_text("aa{ii}", &body, false, PLAIN).unwrap(),
        r#"[[{"1":1},{"1":2}]]"#
    );
}

#[test]
fn single_struct_vs_two_args() {
    let two = enc("si", json!(["x", 1])).unwrap();
    let one = enc("(si)", json!([["x", 1]])).unwrap();
    // A struct at offset 0 needs no padding, so the bytes are the same...
    assert_eq!(two, one);
    assert_eq!(two, hex("01 00 00 00 78 00 00 00 01 00 00 00"));
    // ...and only the raw signature tells them apart.
    assert_eq!(dec_text("si", &two, false, PLAIN).unwrap(), r#"["x",1]"#);
    assert_eq!(
        dec_text("(si)", &one, false, PLAIN).unwrap(),
        r#"[["x",1]]"#
    );
    assert_eq!(err_kind(enc("(si)", json!(["x", 1]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("(si)", json!([["x"]]))), Kind::TypeMismatch);
    assert_eq!(
        err_kind(enc("(si)", json!([["x", 1, 2]]))),
        Kind::TypeMismatch
    );
    assert_eq!(err_kind(enc("si", json!([["x", 1]]))), Kind::TypeMismatch);
    assert_eq!(err_kind(enc("si", json!(["x"]))), Kind::TypeMismatch);
    check("", json!([]), "", "[]");
}

#[test]
fn bytes() {
    check(
        "ay",
        json!([[0, 255, 10]]),
        "03 00 00 00 00 ff 0a",
        "[[0,255,10]]",
    );
    check(
        "ay",
        json!([{"type": "ay", "data": "AP8K"}]),
        "03 00 00 00 00 ff 0a",
        "[[0,255,10]]",
    );
    check(
        "ay",
        json!([{"type": "ay", "data": [0, 255, 10]}]),
        "03 00 00 00 00 ff 0a",
        "[[0,255,10]]",
    );
    // A plain string is bytes only with "bytes": "base64".
    assert_eq!(err_kind(enc("ay", json!(["AP8K"]))), Kind::TypeMismatch);
    assert_eq!(
        enc_opts("ay", json!(["AP8K"]), B64).unwrap(),
        hex("03 00 00 00 00 ff 0a")
    );
    assert_eq!(
        err_kind(enc_opts("ay", json!(["AP8"]), B64)),
        Kind::TypeMismatch
    );
    assert_eq!(
        err_kind(enc_opts("ay", json!(["!!!!"]), B64)),
        Kind::TypeMismatch
    );
    assert_eq!(err_kind(enc("ay", json!([[256]]))), Kind::TypeMismatch);
    assert_eq!(
        err_kind(enc("ay", json!([{"type": "ay", "data": "@@"}]))),
        Kind::TypeMismatch
    );
    // Base64 output on request, also nested and inside variants.
    let body = enc(
        "aayv",
        json!([[[1, 2], []], {"type": "ay", "data": "/w=="}]),
    )
    .unwrap();
    let opts = DecodeOptions {
        typed_variants: true,
        bytes_base64: true,
        arrays_base64: false,
    };
    let text = dec_text("aayv", &body, false, opts).unwrap();
    assert_eq!(text, r#"[["AQI=",""],{"type":"ay","data":"/w=="}]"#);
    // ...and that output is accepted back as input.
    let again = enc_opts("aayv", serde_json::from_str(&text).unwrap(), B64).unwrap();
    assert_eq!(again, body);
}

#[test]
fn variants_plain_and_typed() {
    // Plain values are inferred.
    check(
        "v",
        json!([1]),
        "01 69 00 00 01 00 00 00",
        r#"[{"type":"i","data":1}]"#,
    );
    check(
        "v",
        json!(["s"]),
        "01 73 00 00 01 00 00 00 73 00",
        r#"[{"type":"s","data":"s"}]"#,
    );
    check(
        "v",
        json!([{"type": "y", "data": 2}]),
        "01 79 00 02",
        r#"[{"type":"y","data":2}]"#,
    );
    // Nested variants: typed all the way down.
    check(
        "v",
        json!([{"type": "v", "data": {"type": "t", "data": 7}}]),
        "01 76 00 01 74 00 00 00 07 00 00 00 00 00 00 00",
        r#"[{"type":"v","data":{"type":"t","data":7}}]"#,
    );
    let body = enc("v", json!([{"type": "v", "data": 5}])).unwrap();
    assert_eq!(dec_text("v", &body, false, PLAIN).unwrap(), "[5]");
    // A plain object is a{sv}.
    let body = enc("v", json!([{"k": [1, 2]}])).unwrap();
    assert_eq!(
        dec_text("v", &body, false, TYPED).unwrap(),
        r#"[{"type":"a{sv}","data":{"k":{"type":"ai","data":[1,2]}}}]"#
    );
    assert_eq!(
        dec_text("v", &body, false, PLAIN).unwrap(),
        r#"[{"k":[1,2]}]"#
    );
    // The typed form where a non-variant is expected: the type must match.
    check("u", json!([{"type": "u", "data": 5}]), "05 00 00 00", "[5]");
    assert_eq!(
        err_kind(enc("u", json!([{"type": "i", "data": 5}]))),
        Kind::TypeMismatch
    );
    assert_eq!(
        err_kind(enc("v", json!([{"type": "zz", "data": 5}]))),
        Kind::InvalidSignature
    );
    assert_eq!(
        err_kind(enc("v", json!([{"type": "ii", "data": 5}]))),
        Kind::InvalidSignature
    );
    assert_eq!(
        err_kind(enc("v", json!([{"type": "u", "data": -5}]))),
        Kind::TypeMismatch
    );
    // A dict that has exactly the keys type/data: wrapped in the typed form.
    let wrapped = json!({"type": "a{ss}", "data": {"type": "x", "data": "y"}});
    let body = enc("v", json!([wrapped.clone()])).unwrap();
    assert_eq!(
        dec_text("v", &body, false, TYPED).unwrap(),
        format!("[{wrapped}]")
    );
    let body2 = enc("a{ss}", json!([wrapped])).unwrap();
    assert_eq!(
        dec_text("a{ss}", &body2, false, PLAIN).unwrap(),
        r#"[{"type":"x","data":"y"}]"#
    );
    // Where a dict is expected, it is the dict itself unless its "type" is that dict type and
    // its "data" an object or array: typed output of such a dict reads back unchanged.
    let body3 = enc("a{ss}", json!([{"type": "x", "data": "y"}])).unwrap();
    assert_eq!(body3, body2);
    let body = enc("a{ss}", json!([{"type": "a{ss}", "data": "y"}])).unwrap();
    assert_eq!(
        dec_text("a{ss}", &body, false, PLAIN).unwrap(),
        r#"[{"type":"a{ss}","data":"y"}]"#
    );
    let body = enc("a{ss}", json!([{"type": "a{ss}", "data": {"k": "v"}}])).unwrap();
    assert_eq!(
        dec_text("a{ss}", &body, false, PLAIN).unwrap(),
        r#"[{"k":"v"}]"#
    );
    let body = enc("a{sv}", json!([{"type": "s", "data": "y"}])).unwrap();
    assert_eq!(
        dec_text("a{sv}", &body, false, PLAIN).unwrap(),
        r#"[{"type":"s","data":"y"}]"#
    );
    // In a variant, the typed form always wins.
    let body = enc("v", json!([{"type": "s", "data": "y"}])).unwrap();
    assert_eq!(
        dec_text("v", &body, false, TYPED).unwrap(),
        r#"[{"type":"s","data":"y"}]"#
    );
    // An object whose "type" is not a string is an ordinary dict.
    let body = enc("v", json!([{"type": 1, "data": 2}])).unwrap();
    assert_eq!(
        dec_text("v", &body, false, PLAIN).unwrap(),
        r#"[{"type":1,"data":2}]"#
    );
    // Inference errors inside a variant.
    assert_eq!(err_kind(enc("v", json!([[1, "a"]]))), Kind::TypeMismatch);
    // Variants of containers inferred from PHP shapes.
    let body = enc("v", json!([[[], {"a": true}]])).unwrap();
    assert_eq!(
        dec_text("v", &body, false, TYPED).unwrap(),
        r#"[{"type":"aa{sv}","data":[{},{"a":{"type":"b","data":true}}]}]"#
    );
}

#[test]
fn error_paths_say_where() {
    let e = enc(
        "sa(ia{su})",
        json!(["x", [[1, {}], [2, {"ok": 1, "bad": "no"}]]]),
    )
    .unwrap_err();
    assert_eq!(e.kind, Kind::TypeMismatch);
    assert_eq!(
        e.message,
        "arg 1: [1][1][\"bad\"]: expected uint32 'u' (0 to 4294967295), got string \"no\" \
         which is not a decimal integer"
    );
    let e = enc("a{sv}", json!([{"k": {"type": "u", "data": "x"}}])).unwrap_err();
    assert_eq!(
        e.message,
        "arg 0: [\"k\"]: expected uint32 'u' (0 to 4294967295), got string \"x\" which is not a decimal integer"
    );
    let long = "x".repeat(100);
    let e = enc("i", json!([long])).unwrap_err();
    assert!(e.message.len() < 200, "{}", e.message);
    let e = enc("a{sa{yb}}", json!([{"k": {"1": true, "300": false}}])).unwrap_err();
    assert_eq!(
        e.message,
        "arg 0: [\"k\"] key \"300\": expected dict key of type byte 'y' (0 to 255), got string \"300\""
    );
    let e = enc("ai", json!([[1, 2, [3]]])).unwrap_err();
    assert_eq!(
        e.message,
        "arg 0: [2]: expected int32 'i', got an array of 1 element"
    );
}

#[test]
fn unix_fds_are_descriptor_numbers() {
    use std::os::fd::AsFd;
    let file = std::fs::File::open("/dev/null").unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    // Encoding duplicates the descriptors into the body's list; the body holds their indexes.
    let types = skypebus::signature::parse_signature("hah").unwrap();
    let body = skypebus::json::encode_body_with_fds(
        &types,
        &[json!(fd), json!([fd, {"type": "h", "data": fd}])],
        EncodeOptions::default(),
    )
    .unwrap();
    assert_eq!(
        body.bytes,
        hex("00 00 00 00 08 00 00 00 01 00 00 00 02 00 00 00")
    );
    assert_eq!(body.fds.len(), 3);
    assert!(
        body.fds
            .iter()
            .all(|d| std::os::fd::AsRawFd::as_raw_fd(d) != fd)
    );
    for bad in [json!(-1), json!(999_999), json!(1.5), json!("3")] {
        let e = enc("h", json!([bad])).unwrap_err();
        assert_eq!(e.kind, Kind::TypeMismatch, "{bad}: {e}");
    }
    assert_eq!(
        err_kind(enc("a{hi}", json!([{"1": 1}]))),
        Kind::NotSupported
    );
    // Decoding without the message's descriptors writes indexes; with them, new descriptors.
    assert_eq!(
        decode_body(
            "ah",
            &hex("08 00 00 00 01 00 00 00 00 00 00 00"),
            false,
            PLAIN
        )
        .unwrap(),
        json!([[1, 0]])
    );
    let mut received = skypebus::json::ReceivedFds::duplicating(vec![file.as_fd()]);
    let v = skypebus::json::decode_body_with_fds("h", &[0, 0, 0, 0], false, PLAIN, &mut received)
        .unwrap();
    let got = v[0].as_i64().unwrap() as i32;
    assert_ne!(got, fd);
    drop(received);
    // SAFETY: F_GETFD only reads the descriptor table: the duplicate was closed with `received`,
    // since nobody took it.
    assert!(unsafe { libc::fcntl(got, libc::F_GETFD) } < 0);
    let mut received = skypebus::json::ReceivedFds::duplicating(vec![file.as_fd()]);
    let e = skypebus::json::decode_body_with_fds("h", &[1, 0, 0, 0], false, PLAIN, &mut received)
        .unwrap_err();
    assert_eq!(e.kind, Kind::InvalidMessage, "{e}");
}

#[test]
fn nesting_limits() {
    // 33 nested arrays in a signature.
    let sig = format!("{}i", "a".repeat(33));
    assert_eq!(err_kind(parse_signature(&sig)), Kind::LimitExceeded);
    assert_eq!(
        err_kind(dec_text(&sig, &[0, 0, 0, 0], false, PLAIN)),
        Kind::LimitExceeded
    );
    // 32 is fine: an empty outer array.
    let sig = format!("{}i", "a".repeat(32));
    assert_eq!(dec_text(&sig, &[0, 0, 0, 0], false, PLAIN).unwrap(), "[[]]");
    // 33 nested JSON arrays inferred for a variant.
    let mut v = json!(1);
    for _ in 0..33 {
        v = Value::Array(vec![v]);
    }
    assert_eq!(err_kind(enc("v", json!([v]))), Kind::LimitExceeded);
    // 70 nested typed variants.
    let mut v = json!(1);
    for _ in 0..70 {
        v = json!({"type": "v", "data": v});
    }
    assert_eq!(err_kind(enc("v", json!([v]))), Kind::LimitExceeded);
    // 64 nested variants are fine (64 containers).
    let mut v = json!({"type": "i", "data": 1});
    for _ in 0..63 {
        v = json!({"type": "v", "data": v});
    }
    let body = enc("v", json!([v.clone()])).unwrap();
    assert_eq!(
        dec_text("v", &body, false, TYPED).unwrap(),
        format!("[{v}]")
    );
    // Arrays across variants count towards 32: aav holding aav holding ... (34 arrays in 51
    // containers).
    let mut v = json!([1]);
    for _ in 0..17 {
        v = json!({"type": "aav", "data": [[v]]});
    }
    assert_eq!(err_kind(enc("v", json!([v]))), Kind::LimitExceeded);
}

#[test]
fn signature_length_limit() {
    let args: Vec<Value> = (0..60).map(|_| json!({"k": 1})).collect();
    let types = skypebus::json::infer_signature(&args).unwrap();
    assert_eq!(
        err_kind(encode_body(&types, &args, EncodeOptions::default())),
        Kind::LimitExceeded
    );
    // A variant whose inferred type signature is too long: 3 arrays around a 254-byte type.
    let long_sig = format!("({})", "y".repeat(252));
    let inner = json!({"type": long_sig, "data": vec![0; 252]});
    assert!(enc("v", json!([inner.clone()])).is_ok());
    assert_eq!(
        err_kind(enc("v", json!([[[[inner]]]]))),
        Kind::LimitExceeded
    );
}

#[test]
fn hostile_deep_variants() {
    // 10,000 nested variants, crafted by hand: each is signature "v" (01 76 00).
    let mut body = Vec::new();
    for _ in 0..10_000 {
        body.extend_from_slice(&[1, b'v', 0]);
    }
    body.extend_from_slice(&[1, b'y', 0, 7]);
    assert_eq!(
        err_kind(dec_text("v", &body, false, TYPED)),
        Kind::LimitExceeded
    );
    assert_eq!(
        err_kind(dec_text("v", &body, false, PLAIN)),
        Kind::LimitExceeded
    );
    // Nested arrays of variants of arrays...: "av" over and over.
    let mut body = Vec::new();
    for _ in 0..10_000 {
        body.extend_from_slice(&[0xff, 0xff, 0, 0, 2, b'a', b'v', 0]);
    }
    assert!(dec_text("av", &body, false, TYPED).is_err());
    // A variant whose signature holds 33 nested arrays.
    let mut body = vec![34];
    body.extend_from_slice(&[b'a'; 33]);
    body.extend_from_slice(&[b'y', 0]);
    assert_eq!(
        err_kind(dec_text("v", &body, false, TYPED)),
        Kind::LimitExceeded
    );
}

#[test]
fn invalid_bodies() {
    let cases: &[(&str, &str, Kind)] = &[
        ("b", "02 00 00 00", Kind::InvalidMessage), // bool 2
        ("ab", "04 00 00 00 05 00 00 00", Kind::InvalidMessage), // bool 5 in array
        ("yi", "01 01 00 00 05 00 00 00", Kind::InvalidMessage), // non-zero padding
        ("i", "01 00 00 00 00", Kind::InvalidMessage), // trailing byte
        ("s", "02 00 00 00 61 62 63", Kind::InvalidMessage), // no NUL
        ("s", "02 00 00 00 61 00 00", Kind::InvalidMessage), // interior NUL
        ("s", "02 00 00 00 c3 28 00", Kind::InvalidMessage), // bad UTF-8
        ("s", "ff ff ff ff 61 00", Kind::InvalidMessage), // length past the end
        ("o", "03 00 00 00 61 2f 62 00", Kind::InvalidMessage), // bad object path
        ("g", "02 61 7b 00", Kind::InvalidMessage), // bad signature value
        ("v", "02 69 69 00 00 00 00 00", Kind::InvalidMessage), // two types in variant
        ("v", "00 00", Kind::InvalidMessage),       // empty variant signature
        ("v", "01 7a 00", Kind::InvalidMessage),    // unknown type code
        ("ai", "06 00 00 00 01 00 00 00 02 00", Kind::InvalidMessage), // not a multiple
        (
            "as",
            "06 00 00 00 01 00 00 00 61 00 00 00 00 00",
            Kind::InvalidMessage,
        ), // overrun
        ("ai", "00 00 00 05", Kind::LimitExceeded), // 80 MiB array
        ("ai", "08 00 00 00 01 00 00 00", Kind::InvalidMessage), // shorter than length
        ("ax", "00 00 00 00 01 00 00 00", Kind::InvalidMessage), // non-zero array padding
        ("i", "", Kind::InvalidMessage),
        ("(yy)", "01", Kind::InvalidMessage),
        ("a{sv}", "00 00 00 00", Kind::InvalidMessage), // missing dict padding
    ];
    for (sig, bytes, kind) in cases {
        let r = dec_text(sig, &hex(bytes), false, PLAIN);
        assert_eq!(err_kind(r), *kind, "{sig} {bytes}");
    }
    // An invalid header signature.
    assert_eq!(
        err_kind(dec_text("a", &[], false, PLAIN)),
        Kind::InvalidSignature
    );
}

#[test]
fn truncated_bodies_at_every_offset() {
    let sig = "ya{sv}(nqiuxtd)asagoaybv(a{is}ad)";
    let args = json!([
        7,
        {"a": 1, "b": {"type": "(si)", "data": ["x", 2]}, "c": {"type": "ad", "data": [1.5, "NaN"]}},
        [-1, 2, -3, 4, -5, 6, 0.25],
        ["one", "", "three"],
        ["a{sv}", ""],
        "/org/example",
        [1, 2, 3],
        true,
        {"type": "aai", "data": [[1], [], [2, 3]]},
        [{"1": "x", "-2": "y"}, [0.5, -0.0]]
    ]);
    let body = enc(sig, args.clone()).unwrap();
    let full = dec_text(sig, &body, false, PLAIN).unwrap();
    assert!(full.starts_with("[7,"));
    for len in 0..body.len() {
        let r = dec_text(sig, &body[..len], false, TYPED);
        assert!(r.is_err(), "prefix of {len} bytes decoded");
    }
    // Flipping each byte must never panic (the result may or may not be an error).
    for i in 0..body.len() {
        for x in [0x00, 0x01, 0x80, 0xff] {
            let mut b = body.clone();
            b[i] ^= x;
            let _ = dec_text(sig, &b, false, TYPED);
            let _ = dec_text(sig, &b, true, PLAIN);
        }
    }
}

#[test]
fn big_endian_bodies() {
    // 'B' endianness: y n q i u x t d b s g o v ai, laid out by hand.
    let body = hex("07 00 ff fe ff fe 00 00 \
         ff ff fe ff 00 00 00 00 \
         ff ff ff ff ff ff ff fe \
         80 00 00 00 00 00 00 00 \
         3f f8 00 00 00 00 00 00 \
         00 00 00 01 \
         00 00 00 02 68 69 00 \
         02 61 69 00 00 \
         00 00 00 02 2f 61 00 \
         01 71 00 00 01 \
         00 00 00 08 00 00 00 01 ff ff ff ff");
    let expected = r#"[7,-2,65534,-257,-2,9223372036854775808,1.5,true,"hi","ai","/a",{"type":"q","data":1},[1,-1]]"#;
    let text = dec_text("ynqixtdbsgovai", &body, true, TYPED).unwrap();
    assert_eq!(text, expected);
    // The same values through the (little endian) encoder give the byte-swapped layout.
    let le = enc("ynqixtdbsgovai", serde_json::from_str(expected).unwrap()).unwrap();
    assert_eq!(le.len(), body.len());
    assert_eq!(
        dec_text("ynqixtdbsgovai", &le, false, TYPED).unwrap(),
        expected
    );
    // Read as little endian, the big endian body is different values or invalid.
    assert_ne!(
        dec_text("ynqixtdbsgovai", &body, false, TYPED)
            .ok()
            .as_deref(),
        Some(expected)
    );
}

#[test]
fn out_is_appended_to() {
    let body = enc("s", json!(["x"])).unwrap();
    let mut out = String::from("{\"data\":");
    decode_body_to_string("s", &body, false, PLAIN, &mut out).unwrap();
    out.push('}');
    assert_eq!(out, r#"{"data":["x"]}"#);
}

#[test]
fn deepest_values_fit_a_small_stack() {
    // 32 arrays and 32 structs interleaved (64 containers), each holding one element, and 64
    // nested variants. The JSON values are built (and dropped) on this thread; only encoding
    // and decoding run on a thread with a small stack.
    let sig = format!("{}y{}", "a(".repeat(32), ")".repeat(32));
    let mut v = json!(7);
    for _ in 0..32 {
        v = json!([[v]]);
    }
    let deep_arrays = json!([v]);
    let mut v = json!({"type": "y", "data": 1});
    for _ in 0..63 {
        v = json!({"type": "v", "data": v});
    }
    let deep_variants = json!([v]);
    let too_deep = json!([{"type": "v", "data": v}]);
    let mut hostile = vec![];
    for _ in 0..100 {
        hostile.extend_from_slice(&[1, b'v', 0]);
    }
    hostile.extend_from_slice(&[1, b'y', 0, 1]);

    let deep_arrays_c = deep_arrays.clone();
    let deep_variants_c = deep_variants.clone();
    let sig_c = sig.clone();
    let out = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let b1 = enc(&sig_c, deep_arrays_c).unwrap();
            let t1 = decode_body(&sig_c, &b1, false, TYPED).unwrap();
            let mut s1 = String::new();
            decode_body_to_string(&sig_c, &b1, false, TYPED, &mut s1).unwrap();
            let b2 = enc("v", deep_variants_c).unwrap();
            let mut s2 = String::new();
            decode_body_to_string("v", &b2, false, TYPED, &mut s2).unwrap();
            let t2 = decode_body("v", &b2, false, TYPED).unwrap();
            let e1 = enc("v", too_deep).unwrap_err().kind;
            let e2 = decode_body("v", &hostile, false, TYPED).unwrap_err().kind;
            (t1, s1, t2, s2, e1, e2)
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(out.0, deep_arrays);
    assert_eq!(out.1, deep_arrays.to_string());
    assert_eq!(out.2, deep_variants);
    assert_eq!(out.3, deep_variants.to_string());
    assert_eq!(out.4, Kind::LimitExceeded);
    assert_eq!(out.5, Kind::LimitExceeded);
}

/// Stack for the deepest values. Measured: release needs under 64 KiB, debug 256 to 512 KiB
/// (unoptimised frames); both far below the 2 MiB of a default Rust thread or 8 MiB of a C one.
const STACK: usize = if cfg!(debug_assertions) {
    512 * 1024
} else {
    128 * 1024
};

/// `"arrays": "base64"`: arrays of n q i u x t d come as base64 of their packed little-endian
/// elements, from little- and big-endian bodies alike; `ay`, `ab` and other arrays are unchanged.
#[test]
fn arrays_as_base64() {
    use base64::Engine as _;
    let opts = DecodeOptions {
        typed_variants: true,
        bytes_base64: false,
        arrays_base64: true,
    };
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let cases: Vec<(&str, Value, Vec<u8>)> = vec![
        (
            "ai",
            json!([1, -2]),
            [1i32.to_le_bytes(), (-2i32).to_le_bytes()].concat(),
        ),
        (
            "an",
            json!([-1, 300]),
            [(-1i16).to_le_bytes(), 300i16.to_le_bytes()].concat(),
        ),
        ("aq", json!([65535]), 65535u16.to_le_bytes().to_vec()),
        (
            "au",
            json!([4294967295u32]),
            u32::MAX.to_le_bytes().to_vec(),
        ),
        ("ax", json!([i64::MIN]), i64::MIN.to_le_bytes().to_vec()),
        ("at", json!([u64::MAX]), u64::MAX.to_le_bytes().to_vec()),
        (
            "ad",
            json!([1.5, -0.0]),
            [1.5f64.to_le_bytes(), (-0.0f64).to_le_bytes()].concat(),
        ),
        ("ai", json!([]), vec![]),
    ];
    for (sig, value, packed) in cases {
        let types = parse_signature(sig).unwrap();
        let body = encode_body(
            &types,
            std::slice::from_ref(&value),
            EncodeOptions::default(),
        )
        .unwrap();
        let got = decode_body(sig, &body, false, opts).unwrap();
        assert_eq!(got, json!([b64(&packed)]), "{sig}");
    }
    // A big-endian body: ai [1, -2] and ad [1.5], each element reversed on the wire.
    let mut be = 8u32.to_be_bytes().to_vec();
    be.extend_from_slice(&1i32.to_be_bytes());
    be.extend_from_slice(&(-2i32).to_be_bytes());
    let got = decode_body("ai", &be, true, opts).unwrap();
    assert_eq!(
        got,
        json!([b64(&[1i32.to_le_bytes(), (-2i32).to_le_bytes()].concat())])
    );
    let mut be = 8u32.to_be_bytes().to_vec();
    be.extend_from_slice(&[0; 4]);
    be.extend_from_slice(&1.5f64.to_be_bytes());
    let got = decode_body("ad", &be, true, opts).unwrap();
    assert_eq!(got, json!([b64(&1.5f64.to_le_bytes())]));
    // Bytes, booleans, strings and arrays of containers keep their forms; so do variants'
    // insides only through their own arrays.
    let types = parse_signature("ayabasaaiv").unwrap();
    let args = [
        json!([1, 2]),
        json!([true]),
        json!(["x"]),
        json!([[7]]),
        json!({"type": "ai", "data": [3]}),
    ];
    let body = encode_body(&types, &args, EncodeOptions::default()).unwrap();
    let got = decode_body("ayabasaaiv", &body, false, opts).unwrap();
    assert_eq!(
        got,
        json!([
            [1, 2],
            [true],
            ["x"],
            [b64(&7i32.to_le_bytes())],
            {"type": "ai", "data": b64(&3i32.to_le_bytes())}
        ])
    );
}
