#!/usr/bin/python3
"""A D-Bus service written with GLib's GDBus, whose introspection data declares real types.

dbusmock guesses property types from stored values and accepts any type on Set; GDBus checks
every call and every Set against the declared types, so what it accepts proves what was sent.

Usage: typed_service.py [BUS_NAME]   (on DBUS_SESSION_BUS_ADDRESS)

Object /net/skypebus/Test/Typed, interface net.skypebus.Test.Typed:
  properties  Count u (readwrite), Volume d (readwrite), Tags as (readwrite), Name s (read)
  Sum(u, u) -> u
  Describe(v) -> s          the type signature inside the variant received
  EchoBytes(ay) -> ay       replies with the bytes received (without unpacking them)
  Touch()                   replies with nothing
  Pair() -> (s, u)          replies with two values
  Fail(s name, s message)   replies with that D-Bus error
  Hang()                    never replies (the invocation is kept, so no error is sent either)
  Exit()                    the process exits without replying (the bus then sends NoReply)
"""

import os
import sys

from gi.repository import Gio, GLib

NAME = sys.argv[1] if len(sys.argv) > 1 else 'net.skypebus.Test.Typed'
PATH = '/net/skypebus/Test/Typed'
XML = '''
<node>
  <interface name="net.skypebus.Test.Typed">
    <property name="Count" type="u" access="readwrite"/>
    <property name="Volume" type="d" access="readwrite"/>
    <property name="Tags" type="as" access="readwrite"/>
    <property name="Name" type="s" access="read"/>
    <method name="Sum">
      <arg name="a" type="u" direction="in"/>
      <arg name="b" type="u" direction="in"/>
      <arg name="sum" type="u" direction="out"/>
    </method>
    <method name="Describe">
      <arg name="value" type="v" direction="in"/>
      <arg name="type" type="s" direction="out"/>
    </method>
    <method name="Fail">
      <arg name="name" type="s" direction="in"/>
      <arg name="message" type="s" direction="in"/>
    </method>
    <method name="EchoBytes">
      <arg name="bytes" type="ay" direction="in"/>
      <arg name="same" type="ay" direction="out"/>
    </method>
    <method name="Touch"/>
    <method name="Pair">
      <arg name="text" type="s" direction="out"/>
      <arg name="number" type="u" direction="out"/>
    </method>
    <method name="Hang"/>
    <method name="Exit"/>
  </interface>
</node>
'''

properties = {
    'Count': GLib.Variant('u', 1),
    'Volume': GLib.Variant('d', 0.25),
    'Tags': GLib.Variant('as', ['a']),
    'Name': GLib.Variant('s', 'typed'),
}
hanging = []


def on_call(connection, sender, path, interface, method, params, invocation):
    if method == 'Sum':
        a, b = params.unpack()
        invocation.return_value(GLib.Variant('(u)', ((a + b) & 0xffffffff,)))
    elif method == 'Describe':
        invocation.return_value(GLib.Variant('(s)', (params.get_child_value(0).get_variant().get_type_string(),)))
    elif method == 'Fail':
        name, message = params.unpack()
        invocation.return_dbus_error(name, message)
    elif method == 'EchoBytes':
        invocation.return_value(params)
    elif method == 'Touch':
        invocation.return_value(None)
    elif method == 'Pair':
        invocation.return_value(GLib.Variant('(su)', ('two', 2)))
    elif method == 'Hang':
        hanging.append(invocation)
    elif method == 'Exit':
        connection.flush_sync(None)
        os._exit(0)


def on_get(connection, sender, path, interface, name):
    return properties[name]


def on_set(connection, sender, path, interface, name, value):
    properties[name] = value
    return True


def main():
    loop = GLib.MainLoop()
    connection = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    info = Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0]
    connection.register_object(PATH, info, on_call, on_get, on_set)
    # The object is in place before the name is: whoever sees the name can call it.
    Gio.bus_own_name_on_connection(connection, NAME, Gio.BusNameOwnerFlags.NONE, None, lambda *a: loop.quit())
    connection.connect('closed', lambda *a: loop.quit())
    loop.run()


if __name__ == '__main__':
    main()
