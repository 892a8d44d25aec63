//! The incoming path as the socket sees it: raw bytes after authentication are cut into
//! messages by their primary headers (the framing of zbus' reader, with its length limit), each
//! message's header is parsed and checked as the reader does, and the message goes where the
//! dispatcher sends it: a connection's hub (owner tracking, the object server's answers, name
//! events), then the JSON the library makes of it (a reply's envelope or error, a signal's
//! event, a call's arguments). Nothing may panic; framing errors end the stream as they end a
//! connection.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skypebus::connection::Handler;
use skypebus::json::DecodeOptions;
use skypebus::message;
use zbus::message::Type;

fuzz_target!(|data: &[u8]| {
    let hub = skypebus::hub::Hub::new();
    let mut rest = data;
    while let Ok(Some(len)) = message::frame_len(rest) {
        let Some(bytes) = rest.get(..len) else { return };
        rest = &rest[len..];
        let Ok(msg) = message::parse_received(bytes.to_vec()) else {
            return;
        };
        let opts = DecodeOptions::default();
        match msg.message_type() {
            Type::MethodReturn | Type::Error => {
                hub.on_reply(&msg);
                let _ = skypebus::call::reply_envelope(&msg, opts);
            }
            Type::MethodCall => {
                let _ = hub.on_call(&msg, false);
                let mut out = String::new();
                let _ = message::body_json_into(&msg, opts, message::Fds::Index, &mut out);
            }
            Type::Signal => {
                hub.on_signal(&msg);
                let _ = skypebus::event::render_signal(&msg, &[1], opts);
            }
        }
    }
});
