#!/usr/bin/python3
"""A GDBus service for the system-bus tests: policy, interactive authorization, activation.

Usage: guarded_service.py [BUS_NAME]   (on DBUS_STARTER_ADDRESS when the bus started it through
its .service file, else on DBUS_SESSION_BUS_ADDRESS)

Object /net/skypebus/Test/Guarded, interface net.skypebus.Test.Guarded:
  Allowed() -> s        "allowed"
  Forbidden() -> s      "forbidden" (the test bus's policy refuses calls to it)
  Privileged() -> s     "authorized" when the call allows interactive authorization, else the
                        error org.freedesktop.DBus.Error.InteractiveAuthorizationRequired, as a
                        polkit-checked method of a system service answers
  Pid() -> u            the process id of this service
"""

import os
import sys

from gi.repository import Gio, GLib

NAME = sys.argv[1] if len(sys.argv) > 1 else 'net.skypebus.Test.Guarded'
PATH = '/net/skypebus/Test/Guarded'
XML = '''
<node>
  <interface name="net.skypebus.Test.Guarded">
    <method name="Allowed"><arg type="s" direction="out"/></method>
    <method name="Forbidden"><arg type="s" direction="out"/></method>
    <method name="Privileged"><arg type="s" direction="out"/></method>
    <method name="Pid"><arg type="u" direction="out"/></method>
  </interface>
</node>
'''


def on_call(connection, sender, path, interface, method, params, invocation):
    if method == 'Allowed':
        invocation.return_value(GLib.Variant('(s)', ('allowed',)))
    elif method == 'Forbidden':
        invocation.return_value(GLib.Variant('(s)', ('forbidden',)))
    elif method == 'Privileged':
        flags = invocation.get_message().get_flags()
        if flags & Gio.DBusMessageFlags.ALLOW_INTERACTIVE_AUTHORIZATION:
            invocation.return_value(GLib.Variant('(s)', ('authorized',)))
        else:
            invocation.return_dbus_error('org.freedesktop.DBus.Error.InteractiveAuthorizationRequired',
                                         'Privileged needs an interactive authorization')
    elif method == 'Pid':
        invocation.return_value(GLib.Variant('(u)', (os.getpid(),)))


def main():
    bus_type = Gio.BusType.STARTER if os.environ.get('DBUS_STARTER_ADDRESS') else Gio.BusType.SESSION
    connection = Gio.bus_get_sync(bus_type, None)
    info = Gio.DBusNodeInfo.new_for_xml(XML)
    connection.register_object(PATH, info.interfaces[0], on_call, None, None)
    loop = GLib.MainLoop()
    Gio.bus_own_name_on_connection(connection, NAME, Gio.BusNameOwnerFlags.NONE,
                                   None, lambda *a: loop.quit())
    loop.run()


if __name__ == '__main__':
    main()
