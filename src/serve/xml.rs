//! The introspection document the library serves for an exported object (or for a parent of
//! one), written from the object's schema: the standard interfaces the library implements,
//! the declared interfaces with their annotations, and the child nodes.

use std::fmt::Write as _;

use crate::schema::{Annotations, Arg, Interface};

use super::registry::Object;

const STANDARD_XML: &str = r#"  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg type="s" name="machine_uuid" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg type="s" name="xml_data" direction="out"/>
    </method>
  </interface>
"#;

const PROPERTIES_XML: &str = r#"  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="out"/>
    </method>
    <method name="GetAll">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="a{sv}" name="properties" direction="out"/>
    </method>
    <method name="Set">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg type="s" name="interface_name"/>
      <arg type="a{sv}" name="changed_properties"/>
      <arg type="as" name="invalidated_properties"/>
    </signal>
  </interface>
"#;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn write_annotations(out: &mut String, list: &Annotations, indent: &str) {
    for (n, v) in list {
        let _ = writeln!(
            out,
            "{indent}<annotation name=\"{}\" value=\"{}\"/>",
            esc(n),
            esc(v)
        );
    }
}

fn write_member(
    out: &mut String,
    tag: &str,
    name: &str,
    args: &[Arg],
    ann: &Annotations,
    with_direction: bool,
) {
    if args.is_empty() && ann.is_empty() {
        let _ = writeln!(out, "    <{tag} name=\"{}\"/>", esc(name));
        return;
    }
    let _ = writeln!(out, "    <{tag} name=\"{}\">", esc(name));
    for a in args {
        let _ = write!(out, "      <arg type=\"{}\"", esc(&a.sig));
        if let Some(n) = &a.name {
            let _ = write!(out, " name=\"{}\"", esc(n));
        }
        if with_direction {
            let _ = write!(out, " direction=\"{}\"", if a.out { "out" } else { "in" });
        }
        out.push_str("/>\n");
    }
    write_annotations(out, ann, "      ");
    let _ = writeln!(out, "    </{tag}>");
}

fn write_interface(out: &mut String, i: &Interface) {
    let _ = writeln!(out, "  <interface name=\"{}\">", esc(&i.name));
    for m in &i.methods {
        write_member(out, "method", &m.name, &m.args, &m.annotations, true);
    }
    for s in &i.signals {
        write_member(out, "signal", &s.name, &s.args, &s.annotations, false);
    }
    for p in &i.properties {
        let _ = write!(
            out,
            "    <property name=\"{}\" type=\"{}\" access=\"{}\"",
            esc(&p.name),
            esc(&p.sig),
            p.access.as_str()
        );
        if p.annotations.is_empty() {
            out.push_str("/>\n");
        } else {
            out.push_str(">\n");
            write_annotations(out, &p.annotations, "      ");
            out.push_str("    </property>\n");
        }
    }
    write_annotations(out, &i.annotations, "    ");
    out.push_str("  </interface>\n");
}

/// The introspection document of an exported object (or of a parent node, `obj` None).
pub(crate) fn document(obj: Option<&Object>, children: &[String]) -> String {
    let mut out = String::from(
        "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n \
         \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n<node>\n",
    );
    out.push_str(STANDARD_XML);
    if let Some(obj) = obj {
        out.push_str(PROPERTIES_XML);
        if obj.opts.object_manager {
            out.push_str(super::manager::OBJECT_MANAGER_XML);
        }
        for i in &obj.interfaces {
            write_interface(&mut out, i);
        }
    }
    for c in children {
        let _ = writeln!(out, "  <node name=\"{}\"/>", esc(c));
    }
    out.push_str("</node>\n");
    out
}
