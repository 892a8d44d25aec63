//! The hub without a bus: messages built here are handed to the handler as the dispatcher
//! would, and what it queues, answers and counts is checked.

use std::sync::atomic::Ordering;

use zbus::Message;
use zbus::message::Type as MsgType;

use super::*;
use crate::event::Event;

const XML: &str = r#"<node><interface name="org.example.Calc">
  <method name="Add"><arg type="i" direction="in"/><arg type="i" direction="in"/>
    <arg type="i" direction="out"/></method>
</interface></node>"#;

fn call(path: &str, iface: &str, member: &str) -> Message {
    Message::method_call(path, member)
        .interface(iface)
        .sender(":1.9")
        .build(&(1i32, 2i32))
        .unwrap()
}

fn exported() -> Hub {
    let hub = Hub::new();
    let obj = serve::object_at("/calc", XML, None).unwrap();
    hub.lock().serve.export("/calc", obj).unwrap();
    hub.exporting.store(true, Ordering::Release);
    hub
}

#[test]
fn a_ping_is_answered_with_nothing_exported() {
    let hub = Hub::new();
    let ping = Message::method_call("/", "Ping")
        .interface("org.freedesktop.DBus.Peer")
        .build(&())
        .unwrap();
    let reply = hub.on_call(&ping, false).expect("a reply");
    assert_eq!(reply.message_type(), MsgType::MethodReturn);
    assert!(!hub.lock().queue.has_event());
}

#[test]
fn a_call_for_the_application_gets_a_handle_an_event_and_expiry_ticks() {
    let hub = exported();
    assert_eq!(hub.tick_interval(), None);
    assert!(
        hub.on_call(&call("/calc", "org.example.Calc", "Add"), false)
            .is_none()
    );
    assert_eq!(hub.tick_interval(), Some(EXPIRY_TICK));
    {
        let mut st = hub.lock();
        assert_eq!(st.serve.calls.len(), 1);
        assert!(matches!(st.queue.pop(), Some(Event::Call(1))));
    }
    // Nothing is due yet.
    assert!(hub.on_tick().is_empty());
    hub.on_closed();
    assert_eq!(hub.tick_interval(), None);
    assert!(hub.lock().serve.calls.is_empty());
}

#[test]
fn an_unknown_method_is_answered_by_the_router_and_nothing_is_queued() {
    let hub = exported();
    let reply = hub
        .on_call(&call("/calc", "org.example.Calc", "Sub"), false)
        .expect("an error reply");
    assert_eq!(reply.message_type(), MsgType::Error);
    assert!(!hub.lock().queue.has_event());
}

#[test]
fn the_limit_on_handles_refuses_and_counts() {
    let hub = exported();
    hub.lock().limits.max_pending_calls = 1;
    assert!(
        hub.on_call(&call("/calc", "org.example.Calc", "Add"), false)
            .is_none()
    );
    let refused = hub
        .on_call(&call("/calc", "org.example.Calc", "Add"), false)
        .expect("LimitsExceeded");
    assert_eq!(
        refused.header().error_name().map(|n| n.as_str()),
        Some("org.freedesktop.DBus.Error.LimitsExceeded")
    );
    assert_eq!(hub.lock().stats().refused_calls, 1);
}

#[test]
fn a_call_from_our_own_blocked_thread_is_refused_unless_someone_takes_events() {
    let hub = exported();
    let refused = hub
        .on_call(&call("/calc", "org.example.Calc", "Add"), true)
        .expect("CallToSelf");
    assert_eq!(
        refused.header().error_name().map(|n| n.as_str()),
        Some("net.skypebus.Error.CallToSelf")
    );
    assert!(!hub.lock().queue.has_event());
    // What the library answers itself is answered as usual.
    let ping = Message::method_call("/calc", "Ping")
        .interface("org.freedesktop.DBus.Peer")
        .build(&())
        .unwrap();
    let reply = hub.on_call(&ping, true).expect("a reply");
    assert_eq!(reply.message_type(), MsgType::MethodReturn);
    // With a thread waiting for events, the call is queued for it.
    hub.pullers.fetch_add(1, Ordering::AcqRel);
    assert!(
        hub.on_call(&call("/calc", "org.example.Calc", "Add"), true)
            .is_none()
    );
    assert!(hub.lock().queue.has_event());
}

fn signal(member: &str) -> Message {
    Message::signal("/o", "org.example.If", member)
        .sender(":1.4")
        .build(&("x",))
        .unwrap()
}

#[test]
fn signals_are_queued_for_subscriptions_only() {
    let hub = Hub::new();
    hub.on_signal(&signal("Changed"));
    assert!(!hub.lock().queue.has_event());
    let (rule, opts) = crate::signal::MatchRule::parse(r#"{"member": "Changed"}"#).unwrap();
    {
        let mut st = hub.lock();
        st.signals.add(rule, opts);
        hub.set_subscribed(&st);
    }
    hub.on_signal(&signal("Other"));
    hub.on_signal(&signal("Changed"));
    let mut st = hub.lock();
    assert!(matches!(
        st.queue.pop(),
        Some(Event::Signal { subscriptions, .. }) if subscriptions == [1]
    ));
    assert!(st.queue.pop().is_none());
}

#[test]
fn name_events_from_the_driver_are_queued_without_a_subscription() {
    let hub = Hub::new();
    let acquired = Message::signal(driver::DRIVER_PATH, driver::DRIVER, "NameAcquired")
        .sender(driver::DRIVER)
        .destination(":1.4")
        .build(&("org.example.Name",))
        .unwrap();
    hub.on_signal(&acquired);
    let mut st = hub.lock();
    assert!(matches!(
        st.queue.pop(),
        Some(Event::Name { acquired: true, name }) if name == "org.example.Name"
    ));
}
