//! Arbitrary request texts for calls, batches and property requests: parsing must return a
//! request or an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = skypebus::call::CallRequest::parse(text);
    let _ = skypebus::call::parse_many(text);
    let _ = skypebus::property::PropertyRequest::parse(text);
    let _ = skypebus::introspect::parse_xml(text);
});
