//! The object tree the emulator serves, its introspection XML, and the routing of a method call
//! (path, interface, member, signature) to what it means or to the D-Bus error it gets.

pub const SKYPE_NAME: &str = "com.Skype.API";
pub const SKYPE_PATH: &str = "/com/Skype";
pub const SKYPE_IFACE: &str = "com.Skype.API";
pub const CLIENT_PATH: &str = "/com/Skype/Client";
pub const CLIENT_IFACE: &str = "com.Skype.API.Client";
pub const CONTROL_PATH: &str = "/net/skypebus/SkypeEmulator";
pub const CONTROL_IFACE: &str = "net.skypebus.SkypeEmulator";

const INTROSPECTABLE: &str = "org.freedesktop.DBus.Introspectable";
const PEER: &str = "org.freedesktop.DBus.Peer";

/// The objects, each with its interfaces, and the intermediate nodes.
const OBJECTS: &[(&str, &[&str])] = &[
    ("/", &[INTROSPECTABLE, PEER]),
    ("/com", &[INTROSPECTABLE, PEER]),
    (SKYPE_PATH, &[SKYPE_IFACE, INTROSPECTABLE, PEER]),
    ("/net", &[INTROSPECTABLE, PEER]),
    ("/net/skypebus", &[INTROSPECTABLE, PEER]),
    (CONTROL_PATH, &[CONTROL_IFACE, INTROSPECTABLE, PEER]),
];

/// Methods per interface: (name, in signature, out signature, [(arg name, type, direction)]).
type Method = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static str)],
);

fn methods(iface: &str) -> &'static [Method] {
    match iface {
        SKYPE_IFACE => &[(
            "Invoke",
            "s",
            "s",
            &[("command", "s", "in"), ("reply", "s", "out")],
        )],
        INTROSPECTABLE => &[("Introspect", "", "s", &[("xml_data", "s", "out")])],
        PEER => &[
            ("Ping", "", "", &[]),
            ("GetMachineId", "", "s", &[("machine_uuid", "s", "out")]),
        ],
        CONTROL_IFACE => &[
            (
                "InjectMessage",
                "ss",
                "s",
                &[
                    ("from_handle", "s", "in"),
                    ("body", "s", "in"),
                    ("message_id", "s", "out"),
                ],
            ),
            ("SignIn", "", "", &[]),
            ("SetAuthMode", "s", "", &[("mode", "s", "in")]),
            ("SetAuthDelayMs", "t", "", &[("delay_ms", "t", "in")]),
            ("Clients", "", "as", &[("unique_names", "as", "out")]),
            ("Transcript", "", "as", &[("lines", "as", "out")]),
            ("Quit", "", "", &[]),
        ],
        _ => &[],
    }
}

/// What a method call asks for, once routed.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    Invoke,
    Introspect(String),
    Ping,
    GetMachineId,
    Control(&'static str),
    /// A D-Bus error: name and message.
    Error(&'static str, String),
}

fn interfaces_at(path: &str) -> Option<&'static [&'static str]> {
    OBJECTS.iter().find(|(p, _)| *p == path).map(|(_, i)| *i)
}

/// Route a call. `signature` is the body's signature as received.
pub fn route(path: &str, iface: Option<&str>, member: &str, signature: &str) -> Route {
    // Peer works on any path, as libdbus and zbus do it.
    let ifaces: &[&str] = match interfaces_at(path) {
        Some(i) => i,
        None if iface == Some(PEER) => &[PEER],
        None => {
            return Route::Error(
                "org.freedesktop.DBus.Error.UnknownObject",
                format!("No such object path '{path}'"),
            );
        }
    };
    let candidates: Vec<&str> = match iface {
        Some(i) if ifaces.contains(&i) => vec![i],
        Some(i) => {
            return Route::Error(
                "org.freedesktop.DBus.Error.UnknownInterface",
                format!("No such interface '{i}' at object path '{path}'"),
            );
        }
        None => ifaces.to_vec(),
    };
    for i in candidates {
        let Some(m) = methods(i).iter().find(|m| m.0 == member) else {
            continue;
        };
        if m.1 != signature {
            return Route::Error(
                "org.freedesktop.DBus.Error.InvalidArgs",
                format!(
                    "Invalid arguments for {i}.{member}: expected signature '{}', got '{signature}'",
                    m.1
                ),
            );
        }
        return match (i, member) {
            (SKYPE_IFACE, _) => Route::Invoke,
            (INTROSPECTABLE, _) => Route::Introspect(introspect(path)),
            (PEER, "Ping") => Route::Ping,
            (PEER, _) => Route::GetMachineId,
            (_, _) => Route::Control(m.0),
        };
    }
    let shown = iface.map_or(String::new(), |i| format!(" in interface '{i}'"));
    Route::Error(
        "org.freedesktop.DBus.Error.UnknownMethod",
        format!(
            "No such method '{member}'{shown} at object path '{path}' (signature '{signature}')"
        ),
    )
}

/// The introspection XML of a served path.
pub fn introspect(path: &str) -> String {
    let mut xml = String::from(
        "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n \
         \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n<node>\n",
    );
    for iface in interfaces_at(path).unwrap_or(&[]) {
        xml.push_str(&format!("  <interface name=\"{iface}\">\n"));
        for (name, _, _, args) in methods(iface) {
            if args.is_empty() {
                xml.push_str(&format!("    <method name=\"{name}\"/>\n"));
                continue;
            }
            xml.push_str(&format!("    <method name=\"{name}\">\n"));
            for (arg, ty, dir) in *args {
                xml.push_str(&format!(
                    "      <arg name=\"{arg}\" type=\"{ty}\" direction=\"{dir}\"/>\n"
                ));
            }
            xml.push_str("    </method>\n");
        }
        xml.push_str("  </interface>\n");
    }
    let prefix = if path == "/" {
        "/".to_string()
    } else {
        format!("{path}/")
    };
    let mut children: Vec<&str> = Vec::new();
    for (p, _) in OBJECTS {
        if let Some(rest) = p.strip_prefix(&prefix)
            && !rest.is_empty()
            && !rest.contains('/')
        {
            children.push(rest);
        }
    }
    for c in children {
        xml.push_str(&format!("  <node name=\"{c}\"/>\n"));
    }
    xml.push_str("</node>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_invoke_with_and_without_interface() {
        assert_eq!(
            route("/com/Skype", Some(SKYPE_IFACE), "Invoke", "s"),
            Route::Invoke
        );
        assert_eq!(route("/com/Skype", None, "Invoke", "s"), Route::Invoke);
    }

    #[test]
    fn errors_for_unknown_things() {
        let name = |r: Route| match r {
            Route::Error(n, _) => n,
            other => panic!("expected an error, got {other:?}"),
        };
        assert_eq!(
            name(route("/nope", Some(SKYPE_IFACE), "Invoke", "s")),
            "org.freedesktop.DBus.Error.UnknownObject"
        );
        assert_eq!(
            name(route("/com/Skype", Some("org.example.X"), "Invoke", "s")),
            "org.freedesktop.DBus.Error.UnknownInterface"
        );
        assert_eq!(
            name(route("/com/Skype", Some(SKYPE_IFACE), "Frob", "")),
            "org.freedesktop.DBus.Error.UnknownMethod"
        );
        assert_eq!(
            name(route("/com", None, "Invoke", "s")),
            "org.freedesktop.DBus.Error.UnknownMethod"
        );
        assert_eq!(
            name(route("/com/Skype", Some(SKYPE_IFACE), "Invoke", "i")),
            "org.freedesktop.DBus.Error.InvalidArgs"
        );
    }

    #[test]
    fn peer_anywhere() {
        assert_eq!(route("/", Some(PEER), "Ping", ""), Route::Ping);
        assert_eq!(route("/what/ever", Some(PEER), "Ping", ""), Route::Ping);
        assert_eq!(
            route("/com/Skype", Some(PEER), "GetMachineId", ""),
            Route::GetMachineId
        );
    }

    #[test]
    fn control_methods() {
        assert_eq!(
            route(CONTROL_PATH, Some(CONTROL_IFACE), "InjectMessage", "ss"),
            Route::Control("InjectMessage")
        );
        assert_eq!(
            route(CONTROL_PATH, None, "Quit", ""),
            Route::Control("Quit")
        );
    }

    #[test]
    fn introspection_tree() {
        let root = introspect("/");
        assert!(root.contains("<node name=\"com\"/>"));
        assert!(root.contains("<node name=\"net\"/>"));
        assert!(!root.contains(SKYPE_IFACE));
        let com = introspect("/com");
        assert!(com.contains("<node name=\"Skype\"/>"));
        let skype = introspect("/com/Skype");
        assert!(skype.contains("<interface name=\"com.Skype.API\">"));
        assert!(skype.contains("<method name=\"Invoke\">"));
        assert!(skype.contains("<arg name=\"command\" type=\"s\" direction=\"in\"/>"));
        assert!(skype.contains("<arg name=\"reply\" type=\"s\" direction=\"out\"/>"));
        assert!(skype.contains("org.freedesktop.DBus.Introspectable"));
        assert!(!skype.contains("<node name="));
        let control = introspect(CONTROL_PATH);
        assert!(control.contains("<method name=\"InjectMessage\">"));
    }
}
