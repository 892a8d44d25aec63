#!/usr/bin/python3
"""A dbus-python service whose Introspect returns malformed XML (usage: NAME).

Method net.skypebus.Bad.Take accepts any arguments and replies with their wire signature.
Prints READY once the name is owned."""
import sys

import dbus
import dbus.lowlevel
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib


class Bad(dbus.service.Object):
    @dbus.service.method("org.freedesktop.DBus.Introspectable", in_signature="", out_signature="s")
    def Introspect(self):
        return '<node><interface name="net.skypebus.Bad"><method name="Take"><arg type="u'



def take(conn, msg):
    """Answers net.skypebus.Bad.Take with the wire signature of whatever it was sent."""
    if msg.get_type() == 1 and msg.get_member() == "Take" and msg.get_path() == "/bad":
        reply = dbus.lowlevel.MethodReturnMessage(msg)
        reply.append(msg.get_signature() or "", signature="s")
        conn.send_message(reply)
        return dbus.lowlevel.HANDLER_RESULT_HANDLED
    return dbus.lowlevel.HANDLER_RESULT_NOT_YET_HANDLED


DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
name = dbus.service.BusName(sys.argv[1], bus)
Bad(bus, "/bad")
bus.add_message_filter(take)
print("READY", flush=True)
GLib.MainLoop().run()
