//! The introspection schema: what an introspection XML document declares, parsed once (with
//! `zbus_xml`) into one model used everywhere the library needs it:
//!
//! - typing calls without a signature and property writes (`crate::introspect`,
//!   `crate::property`), from a peer's `Introspect` answer ([`Mode::Peer`]);
//! - serving (`crate::serve`), from the XML an object is exported with ([`Mode::Export`]);
//! - the JSON handed to callers: `skypebus_introspect` and `skypebus_export_schema` describe
//!   interfaces in the same shape ([`Interface::to_json`], docs/introspection.md).
//!
//! Everything is kept in XML order: interfaces, members, arguments and annotations.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::signature::{self, Type};

/// `org.freedesktop.DBus.Peer`.
pub const PEER: &str = "org.freedesktop.DBus.Peer";
/// `org.freedesktop.DBus.Introspectable`.
pub const INTROSPECTABLE: &str = "org.freedesktop.DBus.Introspectable";
/// `org.freedesktop.DBus.Properties`.
pub const PROPERTIES: &str = "org.freedesktop.DBus.Properties";
/// The annotation saying how a property announces changes.
pub const EMITS_CHANGED: &str = "org.freedesktop.DBus.Property.EmitsChangedSignal";

/// The interfaces every object has; the library answers them itself when serving.
pub const STANDARD: [&str; 3] = [PEER, INTROSPECTABLE, PROPERTIES];

/// Annotations as (name, value), in XML order.
pub type Annotations = Vec<(String, String)>;

/// How strictly a document is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A peer's answer: taken as it is (standard interfaces kept, duplicates tolerated, an
    /// unknown `EmitsChangedSignal` value ignored); errors are `InvalidMessage`.
    Peer,
    /// The document an object is exported with: standard interfaces are left out (the library
    /// implements them), anything declared twice or an unknown `EmitsChangedSignal` value is
    /// refused; errors are `InvalidRequest`.
    Export,
}

/// One argument of a method or signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Option<String>,
    /// One complete type.
    pub sig: String,
    /// A method's output (signal arguments are outputs too).
    pub out: bool,
}

/// A method.
#[derive(Debug, Clone, PartialEq)]
pub struct Method {
    pub name: String,
    /// Inputs and outputs in XML order.
    pub args: Vec<Arg>,
    pub in_sig: String,
    pub out_sig: String,
    pub in_types: Vec<Type>,
    pub out_types: Vec<Type>,
    pub annotations: Annotations,
}

impl Method {
    pub fn in_args(&self) -> impl Iterator<Item = &Arg> {
        self.args.iter().filter(|a| !a.out)
    }
    pub fn out_args(&self) -> impl Iterator<Item = &Arg> {
        self.args.iter().filter(|a| a.out)
    }
}

/// A signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub name: String,
    pub args: Vec<Arg>,
    pub annotations: Annotations,
}

/// How a property may be used remotely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    ReadWrite,
}

impl Access {
    pub fn readable(self) -> bool {
        self != Access::Write
    }
    pub fn writable(self) -> bool {
        self != Access::Read
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::ReadWrite => "readwrite",
        }
    }
}

/// How a property announces changes (`org.freedesktop.DBus.Property.EmitsChangedSignal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emits {
    /// `PropertiesChanged` with the new value (the default).
    True,
    /// `PropertiesChanged` with the name only.
    Invalidates,
    /// Never changes.
    Const,
    /// Changes without a signal.
    False,
}

impl Emits {
    pub fn as_str(self) -> &'static str {
        match self {
            Emits::True => "true",
            Emits::Invalidates => "invalidates",
            Emits::Const => "const",
            Emits::False => "false",
        }
    }
    fn parse(s: &str) -> Option<Emits> {
        Some(match s {
            "true" => Emits::True,
            "invalidates" => Emits::Invalidates,
            "const" => Emits::Const,
            "false" => Emits::False,
            _ => return None,
        })
    }
}

/// A property.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub name: String,
    pub sig: String,
    pub ty: Type,
    pub access: Access,
    /// The effective value: the property's annotation, else its interface's, else `True`.
    pub emits: Emits,
    pub annotations: Annotations,
}

/// One interface.
#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    pub name: String,
    pub methods: Vec<Method>,
    pub signals: Vec<Signal>,
    pub properties: Vec<Property>,
    pub annotations: Annotations,
}

impl Interface {
    pub fn method(&self, name: &str) -> Option<&Method> {
        self.methods.iter().find(|m| m.name == name)
    }
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The documented JSON form of the interface (docs/introspection.md).
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "methods": self.methods.iter().map(|m| json!({
                "name": m.name,
                "in_signature": m.in_sig,
                "out_signature": m.out_sig,
                "in": args_json(m.in_args()),
                "out": args_json(m.out_args()),
                "annotations": annotations_json(&m.annotations),
            })).collect::<Vec<_>>(),
            "properties": self.properties.iter().map(|p| json!({
                "name": p.name,
                "type": p.sig,
                "access": p.access.as_str(),
                "emits_changed": p.emits.as_str(),
                "annotations": annotations_json(&p.annotations),
            })).collect::<Vec<_>>(),
            "signals": self.signals.iter().map(|s| json!({
                "name": s.name,
                "signature": s.args.iter().map(|a| a.sig.as_str()).collect::<String>(),
                "args": args_json(s.args.iter()),
                "annotations": annotations_json(&s.annotations),
            })).collect::<Vec<_>>(),
            "annotations": annotations_json(&self.annotations),
        })
    }
}

/// A parsed document: the root node's interfaces and the names of its child nodes (their
/// contents are not read).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub interfaces: Vec<Arc<Interface>>,
    pub nodes: Vec<String>,
}

impl Node {
    /// The JSON form: `{"interfaces": [...]}`, with `"nodes"` for a peer's document.
    pub fn to_json(&self, with_nodes: bool) -> Value {
        let mut v = json!({
            "interfaces": self.interfaces.iter().map(|i| i.to_json()).collect::<Vec<_>>(),
        });
        if with_nodes {
            v["nodes"] = json!(self.nodes);
        }
        v
    }
}

fn args_json<'a>(args: impl Iterator<Item = &'a Arg>) -> Value {
    Value::Array(
        args.map(|a| json!({"name": a.name, "type": a.sig}))
            .collect(),
    )
}

fn annotations_json(list: &Annotations) -> Value {
    let mut map = Map::new();
    for (n, v) in list {
        map.insert(n.clone(), Value::String(v.clone()));
    }
    Value::Object(map)
}

/// Parses an introspection document.
pub fn parse(xml: &str, mode: Mode) -> Result<Node> {
    let node = zbus_xml::Node::from_reader(xml.as_bytes()).map_err(|e| match mode {
        Mode::Peer => Error::invalid_message(format!("malformed introspection XML: {e}")),
        Mode::Export => Error::invalid_request(format!("invalid introspection XML: {e}")),
    })?;
    let mut interfaces: Vec<Arc<Interface>> = Vec::new();
    for iface in node.interfaces() {
        let name = iface.name().to_string();
        if mode == Mode::Export {
            if STANDARD.contains(&name.as_str()) {
                continue;
            }
            if interfaces.iter().any(|i| i.name == name) {
                return Err(declared_twice("interface", &name));
            }
        }
        interfaces.push(Arc::new(interface(iface, mode)?));
    }
    let nodes = node
        .nodes()
        .iter()
        .filter_map(|n| n.name().map(str::to_owned))
        .collect();
    Ok(Node { interfaces, nodes })
}

fn declared_twice(what: &str, name: &str) -> Error {
    Error::invalid_request(format!("{what} {name} is declared twice"))
}

fn annotations<'a>(list: impl Iterator<Item = &'a zbus_xml::Annotation<'a>>) -> Annotations {
    list.map(|a| (a.name().to_owned(), a.value().to_owned()))
        .collect()
}

fn emits_of(list: &Annotations, inherited: Emits, mode: Mode) -> Result<Emits> {
    match list.iter().find(|(n, _)| n == EMITS_CHANGED) {
        None => Ok(inherited),
        Some((_, v)) => match (Emits::parse(v), mode) {
            (Some(e), _) => Ok(e),
            (None, Mode::Peer) => Ok(inherited),
            (None, Mode::Export) => Err(Error::invalid_request(format!(
                "{EMITS_CHANGED} must be true, invalidates, const or false, not {v:?}"
            ))),
        },
    }
}

fn args(list: &[zbus_xml::Arg<'_>], default_out: bool) -> Result<Vec<Arg>> {
    list.iter()
        .map(|a| {
            let sig = a.ty().to_string();
            signature::parse_single(&sig)?;
            Ok(Arg {
                name: a.name().map(str::to_owned),
                sig,
                out: match a.direction() {
                    Some(zbus_xml::ArgDirection::In) => false,
                    Some(zbus_xml::ArgDirection::Out) => true,
                    None => default_out,
                },
            })
        })
        .collect()
}

fn interface(iface: &zbus_xml::Interface<'_>, mode: Mode) -> Result<Interface> {
    let name = iface.name().to_string();
    let iface_ann = annotations(iface.annotations());
    let iface_emits = emits_of(&iface_ann, Emits::True, mode)?;
    let context = |what: &str, member: &str| match mode {
        Mode::Peer => format!("introspection of {what} {member}"),
        Mode::Export => format!("{what} {name}.{member}"),
    };
    let mut methods: Vec<Method> = Vec::new();
    for m in iface.methods() {
        let mname = m.name().to_string();
        let args = args(m.args(), false).map_err(|e| e.context(context("method", &mname)))?;
        let in_sig: String = args.iter().filter(|a| !a.out).map(|a| &*a.sig).collect();
        let out_sig: String = args.iter().filter(|a| a.out).map(|a| &*a.sig).collect();
        let in_types = signature::parse_signature(&in_sig)
            .map_err(|e| e.context(context("method", &mname)))?;
        let out_types = signature::parse_signature(&out_sig)
            .map_err(|e| e.context(context("method", &mname)))?;
        if mode == Mode::Export && methods.iter().any(|x| x.name == mname) {
            return Err(declared_twice("method", &format!("{name}.{mname}")));
        }
        methods.push(Method {
            name: mname,
            args,
            in_sig,
            out_sig,
            in_types,
            out_types,
            annotations: annotations(m.annotations().iter()),
        });
    }
    let mut signals = Vec::new();
    for s in iface.signals() {
        let sname = s.name().to_string();
        signals.push(Signal {
            args: args(s.args(), true).map_err(|e| e.context(context("signal", &sname)))?,
            name: sname,
            annotations: annotations(s.annotations().iter()),
        });
    }
    let mut properties: Vec<Property> = Vec::new();
    for p in iface.properties() {
        let pname = p.name().to_string();
        let sig = p.ty().to_string();
        let ty =
            signature::parse_single(&sig).map_err(|e| e.context(context("property", &pname)))?;
        if mode == Mode::Export && properties.iter().any(|x| x.name == pname) {
            return Err(declared_twice("property", &format!("{name}.{pname}")));
        }
        let ann = annotations(p.annotations().iter());
        properties.push(Property {
            emits: emits_of(&ann, iface_emits, mode)?,
            name: pname,
            sig,
            ty,
            access: match p.access() {
                zbus_xml::PropertyAccess::Read => Access::Read,
                zbus_xml::PropertyAccess::Write => Access::Write,
                zbus_xml::PropertyAccess::ReadWrite => Access::ReadWrite,
            },
            annotations: ann,
        });
    }
    Ok(Interface {
        name,
        methods,
        signals,
        properties,
        annotations: iface_ann,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<node>
  <interface name="org.freedesktop.DBus.Properties"><method name="Get"/></interface>
  <interface name="org.example.A">
    <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="invalidates"/>
    <method name="Sum"><arg name="a" type="u"/><arg type="u" direction="out"/><arg name="b" type="u" direction="in"/></method>
    <method name="Quiet"><annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/></method>
    <signal name="Changed"><arg name="what" type="s"/></signal>
    <property name="Level" type="y" access="read"/>
    <property name="Name" type="s" access="readwrite">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
  </interface>
  <node name="child"/>
</node>"#;

    #[test]
    fn export_mode_leaves_out_standard_interfaces_and_keeps_order() {
        let node = parse(XML, Mode::Export).unwrap();
        assert_eq!(node.interfaces.len(), 1);
        let i = &node.interfaces[0];
        let sum = i.method("Sum").unwrap();
        assert_eq!((sum.in_sig.as_str(), sum.out_sig.as_str()), ("uu", "u"));
        assert_eq!(
            sum.args.iter().map(|a| a.out).collect::<Vec<_>>(),
            [false, true, false]
        );
        assert_eq!(i.property("Level").unwrap().emits, Emits::Invalidates);
        assert_eq!(i.property("Name").unwrap().emits, Emits::Const);
        assert!(!i.property("Level").unwrap().access.writable());
        assert_eq!(node.nodes, ["child"]);
    }

    #[test]
    fn peer_mode_keeps_standard_interfaces() {
        let node = parse(XML, Mode::Peer).unwrap();
        assert_eq!(node.interfaces[0].name, PROPERTIES);
    }

    #[test]
    fn json_form() {
        let node = parse(XML, Mode::Export).unwrap();
        let v = node.to_json(false);
        assert!(v.get("nodes").is_none());
        let i = &v["interfaces"][0];
        assert_eq!(
            i["annotations"],
            json!({"org.freedesktop.DBus.Property.EmitsChangedSignal": "invalidates"})
        );
        assert_eq!(
            i["methods"][0],
            json!({"name": "Sum", "in_signature": "uu", "out_signature": "u",
                   "in": [{"name": "a", "type": "u"}, {"name": "b", "type": "u"}],
                   "out": [{"name": null, "type": "u"}], "annotations": {}})
        );
        assert_eq!(
            i["methods"][1]["annotations"],
            json!({"org.freedesktop.DBus.Method.NoReply": "true"})
        );
        assert_eq!(
            i["properties"][1],
            json!({"name": "Name", "type": "s", "access": "readwrite", "emits_changed": "const",
                   "annotations": {"org.freedesktop.DBus.Property.EmitsChangedSignal": "const"}})
        );
        assert_eq!(
            i["signals"][0],
            json!({"name": "Changed", "signature": "s", "args": [{"name": "what", "type": "s"}],
                   "annotations": {}})
        );
    }

    #[test]
    fn export_mode_refuses_what_peer_mode_tolerates() {
        let twice = r#"<node><interface name="a.B"><method name="M"/><method name="M"/></interface></node>"#;
        assert!(parse(twice, Mode::Peer).is_ok());
        let e = parse(twice, Mode::Export).unwrap_err();
        assert!(e.message.contains("method a.B.M is declared twice"), "{e}");
        let bad = r#"<node><interface name="a.B"><property name="P" type="s" access="read"><annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="sometimes"/></property></interface></node>"#;
        assert_eq!(
            parse(bad, Mode::Peer).unwrap().interfaces[0].properties[0].emits,
            Emits::True
        );
        assert!(parse(bad, Mode::Export).is_err());
        let e = parse("<node><interface", Mode::Export).unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::InvalidRequest);
        let e = parse("<node><interface", Mode::Peer).unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::InvalidMessage);
    }
}
