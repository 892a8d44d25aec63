//! `org.freedesktop.DBus.ObjectManager` for exported objects: an object exported with the
//! option `"object_manager": true` answers `GetManagedObjects` with every exported object below
//! its path (their declared interfaces and the stored values of their readable properties), and
//! announces objects exported and unexported below it with `InterfacesAdded` and
//! `InterfacesRemoved`. Objects below a nested manager belong to the nearest one. Pure functions
//! over the registry; `crate::hub` sends the signals they return.

use serde_json::{Map, Value};
use zbus::Message;

use crate::error::Result;
use crate::json::EncodeOptions;
use crate::message;
use crate::signature;

use super::properties::readable_values;
use super::registry::{Object, Registry};

/// The ObjectManager interface.
pub(crate) const OBJECT_MANAGER: &str = "org.freedesktop.DBus.ObjectManager";

/// Its introspection XML, served on manager objects.
pub(crate) const OBJECT_MANAGER_XML: &str = r#"  <interface name="org.freedesktop.DBus.ObjectManager">
    <method name="GetManagedObjects">
      <arg type="a{oa{sa{sv}}}" name="object_paths_interfaces_and_properties" direction="out"/>
    </method>
    <signal name="InterfacesAdded">
      <arg type="o" name="object_path"/>
      <arg type="a{sa{sv}}" name="interfaces_and_properties"/>
    </signal>
    <signal name="InterfacesRemoved">
      <arg type="o" name="object_path"/>
      <arg type="as" name="interfaces"/>
    </signal>
  </interface>
"#;

/// Whether `path` is strictly below `manager`.
fn below(manager: &str, path: &str) -> bool {
    path != manager
        && (manager == "/"
            || path
                .strip_prefix(manager)
                .is_some_and(|rest| rest.starts_with('/')))
}

/// The path of the manager `path` belongs to: the nearest exported ancestor that is one.
pub(crate) fn manager_of<'a>(reg: &'a Registry, path: &str) -> Option<&'a str> {
    reg.objects
        .iter()
        .filter(|(p, o)| o.opts.object_manager && below(p, path))
        .map(|(p, _)| p.as_str())
        .max_by_key(|p| p.len())
}

/// An object's interfaces as `a{sa{sv}}` JSON.
fn interfaces(obj: &Object) -> Value {
    let mut out = Map::new();
    for i in &obj.interfaces {
        out.insert(i.name.clone(), Value::Object(readable_values(obj, i)));
    }
    Value::Object(out)
}

/// The reply to `GetManagedObjects` on the manager at `path`.
pub(crate) fn managed_objects(reg: &Registry, path: &str, call: &Message) -> Result<Message> {
    let mut all = Map::new();
    for (p, obj) in &reg.objects {
        if below(path, p) && manager_of(reg, p) == Some(path) {
            all.insert(p.clone(), interfaces(obj));
        }
    }
    message::build_with_body(
        Message::method_return(&call.header()),
        &signature::parse_signature("a{oa{sa{sv}}}")?,
        &[Value::Object(all)],
        EncodeOptions::default(),
    )
}

/// `InterfacesAdded` for the object just exported at `path`, when a manager has it.
pub(crate) fn interfaces_added(reg: &Registry, path: &str) -> Result<Option<Message>> {
    let (Some(manager), Some(obj)) = (manager_of(reg, path), reg.objects.get(path)) else {
        return Ok(None);
    };
    message::build_with_body(
        Message::signal(manager, OBJECT_MANAGER, "InterfacesAdded"),
        &signature::parse_signature("oa{sa{sv}}")?,
        &[Value::from(path), interfaces(obj)],
        EncodeOptions::default(),
    )
    .map(Some)
}

/// `InterfacesRemoved` for `obj`, just unexported from `path`, when a manager had it (`reg`
/// without the object).
pub(crate) fn interfaces_removed(
    reg: &Registry,
    path: &str,
    obj: &Object,
) -> Result<Option<Message>> {
    let Some(manager) = manager_of(reg, path) else {
        return Ok(None);
    };
    let names: Vec<Value> = obj
        .interfaces
        .iter()
        .map(|i| Value::from(i.name.as_str()))
        .collect();
    message::build_with_body(
        Message::signal(manager, OBJECT_MANAGER, "InterfacesRemoved"),
        &signature::parse_signature("oas")?,
        &[Value::from(path), Value::Array(names)],
        EncodeOptions::default(),
    )
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::below;

    #[test]
    fn objects_below_a_manager() {
        assert!(below("/", "/a"));
        assert!(below("/a", "/a/b"));
        assert!(below("/a", "/a/b/c"));
        assert!(!below("/a", "/a"));
        assert!(!below("/a", "/ab"));
        assert!(!below("/a/b", "/a"));
    }
}
