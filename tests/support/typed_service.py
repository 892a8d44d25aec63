#!/usr/bin/python3
"""A small D-Bus service built on GLib's GDBus (a peer we did not write) whose introspection
data declares real types, unlike dbusmock's guesses. GDBus checks every incoming call and
property Set against the declared types, so a wrong wire type is an error, not a silent
conversion.

usage: typed_service.py NAME [TAKE_SIGNATURE] [PATHS]
  NAME            well-known name to own
  TAKE_SIGNATURE  the in-signature of method Take (default: u); Take replies with the wire
                  signature of the arguments it received
  PATHS           how many extra objects /net/skypebus/Typed/<n> to export (default: 0)
Prints READY once the name is owned.
"""
import sys

from gi.repository import Gio, GLib

NAME = sys.argv[1]
TAKE = sys.argv[2] if len(sys.argv) > 2 else "u"
PATHS = int(sys.argv[3]) if len(sys.argv) > 3 else 0

take_args = "".join(
    f'<arg name="a{i}" type="{t}" direction="in"/>'
    for i, t in enumerate(GLib.Variant.split_signature(f"({TAKE})"))
)
XML = f"""<node>
  <interface name="net.skypebus.Typed">
    <method name="Take">{take_args}<arg name="seen" type="s" direction="out"/></method>
    <method name="Twin"><arg name="x" type="s" direction="in"/></method>
    <property name="Count" type="u" access="readwrite"/>
    <property name="Level" type="d" access="readwrite"/>
    <property name="Tags" type="as" access="readwrite"/>
    <property name="Name" type="s" access="read"/>
    <signal name="Changed"><arg name="what" type="s"/></signal>
  </interface>
  <interface name="net.skypebus.Other">
    <method name="Twin"><arg name="x" type="i" direction="in"/></method>
  </interface>
</node>"""

props = {
    "Count": GLib.Variant("u", 1),
    "Level": GLib.Variant("d", 0.25),
    "Tags": GLib.Variant("as", ["a"]),
    "Name": GLib.Variant("s", "typed"),
}


def on_call(conn, sender, path, iface, method, params, invocation):
    if method == "Take":
        invocation.return_value(GLib.Variant("(s)", (params.get_type_string()[1:-1],)))
    else:
        invocation.return_value(None)


def on_get(conn, sender, path, iface, prop):
    return props[prop]


def on_set(conn, sender, path, iface, prop, value):
    props[prop] = value
    return True


node = Gio.DBusNodeInfo.new_for_xml(XML)
loop = GLib.MainLoop()


def on_bus(conn, name):
    for i, iface in enumerate(node.interfaces):
        conn.register_object("/net/skypebus/Typed", iface, on_call, on_get, on_set)
        for n in range(PATHS):
            conn.register_object(f"/net/skypebus/Typed/{n}", iface, on_call, on_get, on_set)


def on_name(conn, name):
    print("READY", flush=True)


Gio.bus_own_name(Gio.BusType.SESSION, NAME, Gio.BusNameOwnerFlags.NONE, on_bus, on_name,
                 lambda *a: loop.quit())
loop.run()
