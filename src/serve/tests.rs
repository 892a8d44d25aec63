//! The object server without a bus: routing, exact binding, the property store, the standard
//! errors and the served introspection XML, all as pure functions over a registry.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zbus::Message;
use zbus::message::{Flags, Type as MsgType};

use super::registry::{CallWhat, Registry};
use super::router::{Route, route};
use super::*;
use crate::json::DecodeOptions;
use crate::schema::{Emits, INTROSPECTABLE, PEER, PROPERTIES};

const XML: &str = r#"<node>
  <interface name="org.freedesktop.DBus.Peer"><method name="Ping"/></interface>
  <interface name="org.example.First">
    <method name="Sum"><arg name="a" type="u"/><arg name="b" type="u"/><arg name="sum" type="u" direction="out"/></method>
    <method name="Echo"><arg type="s"/><arg type="s" direction="out"/>
      <annotation name="org.example.Note" value="a &amp; b"/></method>
    <signal name="Changed"><arg name="what" type="s"/></signal>
    <property name="Volume" type="d" access="readwrite"/>
    <property name="Level" type="y" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="invalidates"/>
    </property>
    <property name="Secret" type="s" access="write"/>
    <property name="Fixed" type="s" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
  </interface>
  <interface name="org.example.Second">
    <method name="Sum"><arg type="x"/><arg type="x" direction="out"/></method>
  </interface>
</node>"#;

const TYPED: DecodeOptions = DecodeOptions {
    typed_variants: true,
    bytes_base64: false,
    arrays_base64: false,
};

fn registry(options: Option<&str>) -> Registry {
    let mut reg = Registry::default();
    reg.export("/org/example/Obj", parse_object(XML, options).unwrap())
        .unwrap();
    reg
}

fn call<B>(path: &str, iface: Option<&str>, member: &str, body: &B) -> Message
where
    B: serde::Serialize + zbus::zvariant::DynamicType,
{
    let b = Message::method_call(path, member).sender(":1.7");
    let b = match iface {
        Some(i) => b.interface(i),
        None => b,
    };
    b.build(body).unwrap()
}

fn reply_of(r: Result<Route>) -> Message {
    match r.unwrap() {
        Route::Reply(m) => m,
        Route::Call(c) => panic!("expected a reply, got a call for {}", c.interface),
    }
}

/// The error name and text of an error reply.
fn error_of(r: Result<Route>) -> (String, String) {
    let m = reply_of(r);
    assert_eq!(m.message_type(), MsgType::Error);
    let name = m.header().error_name().unwrap().to_string();
    (name, m.body().deserialize::<String>().unwrap())
}

fn values_of(m: &Message) -> Value {
    assert_eq!(m.message_type(), MsgType::MethodReturn);
    crate::message::body_value(m, TYPED, crate::message::Fds::Index)
        .unwrap()
        .1
}

const OBJ: &str = "/org/example/Obj";

#[test]
fn declared_method_becomes_a_call_with_its_interface() {
    let reg = registry(None);
    let msg = call(OBJ, Some("org.example.Second"), "Sum", &(5i64,));
    let Route::Call(c) = route(&reg, &msg).unwrap() else {
        panic!("not a call")
    };
    assert_eq!(c.interface, "org.example.Second");
    match c.what {
        CallWhat::Method { member, sig, out } => {
            assert_eq!((member.as_str(), sig.as_str()), ("Sum", "x"));
            assert_eq!(crate::signature::signature_of(&out), "x");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn without_an_interface_the_first_declaring_interface_answers() {
    let reg = registry(None);
    let msg = call(OBJ, None, "Sum", &(1u32, 2u32));
    let Route::Call(c) = route(&reg, &msg).unwrap() else {
        panic!("not a call")
    };
    assert_eq!(c.interface, "org.example.First");
    // The first declaring interface wants "uu": "x" is refused, not sent to Second.
    let (name, text) = error_of(route(&reg, &call(OBJ, None, "Sum", &(1i64,))));
    assert_eq!(name, "org.freedesktop.DBus.Error.InvalidArgs");
    assert!(text.contains("expected signature 'uu', got 'x'"), "{text}");
}

#[test]
fn names_are_matched_exactly() {
    let reg = registry(None);
    let (name, text) = error_of(route(
        &reg,
        &call(OBJ, Some("org.example.First"), "sum", &(1u32, 2u32)),
    ));
    assert_eq!(name, "org.freedesktop.DBus.Error.UnknownMethod");
    assert!(text.contains("No such method 'sum' in interface 'org.example.First'"));
    let (name, _) = error_of(route(
        &reg,
        &call(OBJ, Some("org.example.first"), "Sum", &(1u32, 2u32)),
    ));
    assert_eq!(name, "org.freedesktop.DBus.Error.UnknownInterface");
    let (name, text) = error_of(route(&reg, &call(OBJ, None, "Nope", &())));
    assert_eq!(name, "org.freedesktop.DBus.Error.UnknownMethod");
    assert!(text.contains("at object path '/org/example/Obj'"), "{text}");
}

#[test]
fn unknown_objects_and_parents() {
    let reg = registry(None);
    let (name, text) = error_of(route(&reg, &call("/nowhere", Some("a.B"), "M", &())));
    assert_eq!(name, "org.freedesktop.DBus.Error.UnknownObject");
    assert_eq!(text, "No such object path '/nowhere'");
    let (name, text) = error_of(route(&reg, &call("/org/example", Some("a.B"), "M", &())));
    assert_eq!(name, "org.freedesktop.DBus.Error.UnknownInterface");
    assert!(text.ends_with("(it only has children)"), "{text}");
    // Properties exist only on exported objects.
    let get = call("/org", Some(PROPERTIES), "GetAll", &("",));
    let (name, _) = error_of(route(&reg, &get));
    assert_eq!(name, "org.freedesktop.DBus.Error.UnknownInterface");
    // Nothing exported at all: the same one server answers.
    let empty = Registry::default();
    let (name, _) = error_of(route(
        &empty,
        &call(OBJ, Some("org.example.First"), "Sum", &()),
    ));
    assert_eq!(name, "org.freedesktop.DBus.Error.UnknownObject");
}

#[test]
fn peer_is_answered_on_every_path() {
    for reg in [registry(None), Registry::default()] {
        for path in [OBJ, "/", "/elsewhere"] {
            let m = reply_of(route(&reg, &call(path, Some(PEER), "Ping", &())));
            assert_eq!(m.message_type(), MsgType::MethodReturn);
            let m = reply_of(route(&reg, &call(path, None, "Ping", &())));
            assert_eq!(m.message_type(), MsgType::MethodReturn);
            let (name, _) = error_of(route(&reg, &call(path, Some(PEER), "Ping", &(1u8,))));
            assert_eq!(name, "org.freedesktop.DBus.Error.InvalidArgs");
            let (name, _) = error_of(route(&reg, &call(path, Some(PEER), "Pong", &())));
            assert_eq!(name, "org.freedesktop.DBus.Error.UnknownMethod");
        }
    }
}

fn get(reg: &Registry, iface: &str, name: &str) -> Result<Route> {
    route(reg, &call(OBJ, Some(PROPERTIES), "Get", &(iface, name)))
}

#[test]
fn property_reads_come_from_the_store() {
    let reg = registry(Some(
        r#"{"properties": {"org.example.First": {"Volume": 0.5, "Secret": "s3"}}}"#,
    ));
    let m = reply_of(get(&reg, "org.example.First", "Volume"));
    assert_eq!(values_of(&m), json!([{"type": "d", "data": 0.5}]));
    // An empty interface name means any interface.
    let m = reply_of(get(&reg, "", "Volume"));
    assert_eq!(values_of(&m), json!([{"type": "d", "data": 0.5}]));
    let (name, text) = error_of(get(&reg, "org.example.First", "Level"));
    assert_eq!(name, "org.freedesktop.DBus.Error.Failed");
    assert!(text.contains("has no value yet"), "{text}");
    let (name, _) = error_of(get(&reg, "org.example.First", "Secret"));
    assert_eq!(name, "org.freedesktop.DBus.Error.AccessDenied");
    let (name, _) = error_of(get(&reg, "org.example.First", "volume"));
    assert_eq!(name, "org.freedesktop.DBus.Error.UnknownProperty");
    let (name, _) = error_of(get(&reg, "org.example.Third", "Volume"));
    assert_eq!(name, "org.freedesktop.DBus.Error.UnknownInterface");
    let (name, _) = error_of(route(&reg, &call(OBJ, Some(PROPERTIES), "Get", &("x",))));
    assert_eq!(name, "org.freedesktop.DBus.Error.InvalidArgs");
    // GetAll: readable properties with a value only.
    let all = call(OBJ, Some(PROPERTIES), "GetAll", &("org.example.First",));
    let m = reply_of(route(&reg, &all));
    assert_eq!(
        values_of(&m),
        json!([{"Volume": {"type": "d", "data": 0.5}}])
    );
}

fn set(reg: &Registry, name: &str, value: zbus::Variant<'_>) -> Result<Route> {
    let msg = call(
        OBJ,
        Some(PROPERTIES),
        "Set",
        &("org.example.First", name, value),
    );
    route(reg, &msg)
}

#[test]
fn property_writes_are_checked_then_handed_to_the_application() {
    let reg = registry(None);
    let (name, _) = error_of(set(&reg, "Level", 3u8.into()));
    assert_eq!(name, "org.freedesktop.DBus.Error.PropertyReadOnly");
    let (name, text) = error_of(set(&reg, "Volume", "loud".into()));
    assert_eq!(name, "org.freedesktop.DBus.Error.InvalidArgs");
    assert!(text.contains("has type 'd', not 's'"), "{text}");
    let (name, _) = error_of(set(&reg, "Nope", 1.0f64.into()));
    assert_eq!(name, "org.freedesktop.DBus.Error.UnknownProperty");
    let Route::Call(c) = set(&reg, "Volume", 0.25f64.into()).unwrap() else {
        panic!("not a call")
    };
    assert_eq!(c.interface, "org.example.First");
    assert!(matches!(
        c.what,
        CallWhat::SetProperty { ref name, ref sig, emits: Emits::True } if name == "Volume" && sig == "d"
    ));
}

#[test]
fn handle_call_queues_refuses_and_keeps_quiet_for_no_reply() {
    let mut reg = registry(None);
    let limits = Limits {
        max_pending_calls: 1,
        ..Limits::default()
    };
    let now = Instant::now();
    let msg = call(OBJ, Some("org.example.First"), "Echo", &("hi",));
    let a = handle_call(&mut reg, &limits, &msg, now);
    assert!(
        matches!(a.as_slice(), [Action::Queue(Event::Call(1))]),
        "{a:?}"
    );
    let a = handle_call(&mut reg, &limits, &msg, now);
    match a.as_slice() {
        [Action::Refused, Action::Send(m)] => assert_eq!(
            m.header().error_name().unwrap().as_str(),
            "org.freedesktop.DBus.Error.LimitsExceeded"
        ),
        other => panic!("{other:?}"),
    }
    let quiet = Message::method_call(OBJ, "Nope")
        .with_flags(Flags::NO_REPLY_EXPECTED)
        .build(&())
        .unwrap();
    assert!(handle_call(&mut reg, &limits, &quiet, now).is_empty());
}

#[test]
fn handles_expire_with_no_reply_errors() {
    let mut reg = registry(None);
    let limits = Limits::default();
    let start = Instant::now();
    let msg = call(OBJ, Some("org.example.First"), "Echo", &("hi",));
    handle_call(&mut reg, &limits, &msg, start);
    assert_eq!(reg.expire(start).0, 0);
    let (n, errors) = reg.expire(start + limits.call_timeout + Duration::from_millis(1));
    assert_eq!(n, 1);
    assert_eq!(
        errors[0].header().error_name().unwrap().as_str(),
        "org.freedesktop.DBus.Error.NoReply"
    );
    assert!(reg.calls.is_empty());
}

#[test]
fn answers_are_typed_by_the_declared_out_signature() {
    let mut reg = registry(None);
    let msg = call(OBJ, None, "Sum", &(1u32, 2u32));
    handle_call(&mut reg, &Limits::default(), &msg, Instant::now());
    let snap = reg.calls[&1].snapshot();
    let e = calls::answer(&snap, &[json!(1), json!(2)], None)
        .err()
        .unwrap();
    assert_eq!(e.kind, Kind::TypeMismatch);
    assert!(calls::answer(&snap, &[json!(-1)], None).is_err());
    let a = calls::answer(&snap, &[json!(3)], None).unwrap();
    assert_eq!(values_of(&a.reply), json!([3]));
    assert_eq!(
        a.reply.header().reply_serial(),
        Some(msg.primary_header().serial_num())
    );
    assert!(
        calls::release(&mut reg, 1, &snap, a.accepted)
            .unwrap()
            .is_none()
    );
    assert!(calls::release(&mut reg, 1, &snap, None).is_err());
}

#[test]
fn an_accepted_write_is_stored_and_announced_once() {
    let mut reg = registry(None);
    let msg = call(
        OBJ,
        Some(PROPERTIES),
        "Set",
        &("org.example.First", "Volume", zbus::Variant::from(0.75f64)),
    );
    handle_call(&mut reg, &Limits::default(), &msg, Instant::now());
    let snap = reg.calls[&1].snapshot();
    assert!(calls::answer(&snap, &[json!(1)], None).is_err());
    let a = calls::answer(&snap, &[], None).unwrap();
    let signal = calls::release(&mut reg, 1, &snap, a.accepted)
        .unwrap()
        .unwrap();
    assert_eq!(
        signal.header().member().unwrap().as_str(),
        "PropertiesChanged"
    );
    let m = reply_of(get(&reg, "org.example.First", "Volume"));
    assert_eq!(values_of(&m), json!([{"type": "d", "data": 0.75}]));
    // The same value again announces nothing.
    assert!(
        properties::set(
            &mut reg,
            OBJ,
            "org.example.First",
            "Volume",
            &json!(0.75),
            None
        )
        .unwrap()
        .is_none()
    );
}

#[test]
fn local_sets_follow_emits_changed_signal() {
    let mut reg = registry(None);
    let signal = properties::set(&mut reg, OBJ, "org.example.First", "Level", &json!(7), None)
        .unwrap()
        .unwrap();
    assert_eq!(
        crate::message::body_value(&signal, TYPED, crate::message::Fds::Index)
            .unwrap()
            .1,
        json!(["org.example.First", {}, ["Level"]])
    );
    let none = properties::set(
        &mut reg,
        OBJ,
        "org.example.First",
        "Fixed",
        &json!("x"),
        None,
    );
    assert!(none.unwrap().is_none());
    let e = properties::set(
        &mut reg,
        OBJ,
        "org.example.First",
        "Level",
        &json!(300),
        None,
    );
    assert_eq!(e.unwrap_err().kind, Kind::TypeMismatch);
    let e = properties::set(
        &mut reg,
        "/other",
        "org.example.First",
        "Level",
        &json!(1),
        None,
    );
    assert_eq!(e.unwrap_err().kind, Kind::InvalidRequest);
}

#[test]
fn introspection_xml_is_written_from_the_schema() {
    let mut reg = registry(None);
    reg.export(
        "/org/example/Obj/child",
        parse_object("<node/>", None).unwrap(),
    )
    .unwrap();
    let m = reply_of(route(
        &reg,
        &call(OBJ, Some(INTROSPECTABLE), "Introspect", &()),
    ));
    let xml: String = m.body().deserialize().unwrap();
    assert!(xml.contains(r#"<annotation name="org.example.Note" value="a &amp; b"/>"#));
    assert!(xml.contains(r#"<property name="Secret" type="s" access="write"/>"#));
    assert!(xml.contains(r#"  <node name="child"/>"#));
    // Read back, the document declares what was exported, plus the standard interfaces.
    let node = crate::schema::parse(&xml, crate::schema::Mode::Peer).unwrap();
    let names: Vec<&str> = node.interfaces.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            PEER,
            INTROSPECTABLE,
            PROPERTIES,
            "org.example.First",
            "org.example.Second"
        ]
    );
    assert_eq!(node.nodes, ["child"]);
    let exported = &reg.objects[OBJ].interfaces;
    assert_eq!(&*node.interfaces[3], &*exported[0]);
    assert_eq!(&*node.interfaces[4], &*exported[1]);
    // A parent lists its children only.
    let m = reply_of(route(&reg, &call("/org", None, "Introspect", &())));
    let xml: String = m.body().deserialize().unwrap();
    assert!(xml.contains(r#"<node name="example"/>"#) && !xml.contains("org.example.First"));
}

#[test]
fn export_schema_is_the_served_schema_as_json() {
    let v: Value = serde_json::from_str(&export_schema(XML).unwrap()).unwrap();
    let names: Vec<&str> = v["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["org.example.First", "org.example.Second"]);
    assert_eq!(
        v["interfaces"][0]["properties"][1]["emits_changed"],
        "invalidates"
    );
    let e = export_schema(
        "<node><interface name=\"a.B\"><method name=\"M\"/><method name=\"M\"/></interface></node>",
    )
    .unwrap_err();
    assert_eq!(e.kind, Kind::InvalidRequest);
}
