//! Hostile message bodies: the first byte picks an endianness and options, the bytes up to the
//! first NUL are the signature, the rest is the body. Decoding must return, never panic, and the
//! two outputs (Value and text) must agree; for a little-endian body, `check_body` (the check of
//! a body a caller packed, before it is sent) must accept exactly what the decoder accepts; and
//! `check_received_body` (the check of a reply handed to C as its body) must accept exactly what
//! the decoder accepts, a big-endian body rewritten little endian decoding to the same values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skypebus::json::{
    DecodeOptions, check_body, check_received_body, decode_body, decode_body_to_string,
};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some(nul) = rest.iter().position(|b| *b == 0) else {
        return;
    };
    let Ok(sig) = std::str::from_utf8(&rest[..nul]) else {
        return;
    };
    let body = &rest[nul + 1..];
    let opts = DecodeOptions {
        typed_variants: flags & 1 != 0,
        bytes_base64: flags & 2 != 0,
        arrays_base64: false,
    };
    let big = flags & 4 != 0;
    let value = decode_body(sig, body, big, opts);
    let mut text = String::new();
    let as_text = decode_body_to_string(sig, body, big, opts, &mut text);
    if !big {
        let checked = check_body(sig, body);
        // A packed body carries no descriptors, so check_body refuses every `h`, which the
        // decoder reads here as a bare index.
        let fd_refused = matches!(&checked, Err(e) if e.to_string().contains("unix fd index"));
        assert!(
            fd_refused || checked.is_ok() == value.is_ok(),
            "check_body and the decoder disagree: {checked:?} vs {value:?}"
        );
    }
    // Every `h` index is in range here (the decoder reads it as a bare index).
    let received = check_received_body(sig, body, big, usize::MAX);
    assert_eq!(
        received.is_ok(),
        value.is_ok(),
        "check_received_body and the decoder disagree: {received:?} vs {value:?}"
    );
    if let (Ok(Some(little)), Ok(v)) = (&received, &value) {
        let again = decode_body(sig, little, false, opts);
        assert_eq!(
            again.as_ref().ok(),
            Some(v),
            "the body rewritten little endian reads differently: {again:?}"
        );
    }
    match (value, as_text) {
        (Ok(v), Ok(())) => assert_eq!(serde_json::to_string(&v).unwrap(), text),
        (Err(_), Err(_)) => {}
        (v, t) => panic!("outputs disagree: {v:?} vs {t:?}"),
    }
});
