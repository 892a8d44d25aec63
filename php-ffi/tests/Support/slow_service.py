#!/usr/bin/python3
"""A busy peer: it answers Introspect and every call only after a delay.

Usage: slow_service.py BUS_NAME DELAY_MS   (on DBUS_SESSION_BUS_ADDRESS)

Every object path (a fallback object at /), interface net.skypebus.Test.Slow:
  Echo(u) -> u     replies with its argument, DELAY_MS after the call arrived
Introspect replies DELAY_MS after it arrived, too. The replies are scheduled on the main loop,
so calls that overlap do not add up their delays.
"""

import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

NAME = sys.argv[1]
DELAY_MS = int(sys.argv[2])
INTERFACE = 'net.skypebus.Test.Slow'
XML = '''<node>
  <interface name="net.skypebus.Test.Slow">
    <method name="Echo">
      <arg name="value" type="u" direction="in"/>
      <arg name="same" type="u" direction="out"/>
    </method>
  </interface>
</node>'''


def later(callback, *args):
    GLib.timeout_add(DELAY_MS, lambda: callback(*args) and False)


class Slow(dbus.service.FallbackObject):
    @dbus.service.method(dbus.INTROSPECTABLE_IFACE, in_signature='', out_signature='s',
                         async_callbacks=('reply', 'error'))
    def Introspect(self, reply, error):  # noqa: N802 (the D-Bus name)
        later(reply, XML)

    @dbus.service.method(INTERFACE, in_signature='u', out_signature='u',
                         async_callbacks=('reply', 'error'))
    def Echo(self, value, reply, error):  # noqa: N802
        later(reply, value)


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    Slow(bus, '/')
    service = dbus.service.BusName(NAME, bus, do_not_queue=True)
    GLib.MainLoop().run()
    del service


if __name__ == '__main__':
    main()
