#!/usr/bin/python3
"""The dbus-python echo service of the benchmarks: owns net.skypebus.Bench.Python on the bus at
the address given, serves net.skypebus.Bench at /net/skypebus/Bench with the same methods as the
native zbus echo service (Echo, EchoAi, EchoAy, EchoDict, EchoStruct), prints READY and runs until
killed. Run it with Debian's /usr/bin/python3 (it has dbus-python).

usage: echo_service.py ADDRESS
"""
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = "net.skypebus.Bench.Python"
PATH = "/net/skypebus/Bench"
IFACE = "net.skypebus.Bench"


class Echo(dbus.service.Object):
    @dbus.service.method(IFACE, in_signature="s", out_signature="s")
    def Echo(self, s):
        return s

    @dbus.service.method(IFACE, in_signature="ai", out_signature="ai")
    def EchoAi(self, a):
        return a

    @dbus.service.method(IFACE, in_signature="ay", out_signature="ay", byte_arrays=True)
    def EchoAy(self, a):
        return a

    @dbus.service.method(IFACE, in_signature="a{sv}", out_signature="a{sv}")
    def EchoDict(self, d):
        return d

    @dbus.service.method(IFACE, in_signature="(sa{sv}as)", out_signature="(sa{sv}as)")
    def EchoStruct(self, s):
        return s


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(sys.argv[1])
    name = dbus.service.BusName(NAME, bus, do_not_queue=True)
    Echo(bus, PATH)
    print("READY", flush=True)
    try:
        GLib.MainLoop().run()
    finally:
        del name


if __name__ == "__main__":
    main()
