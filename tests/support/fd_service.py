#!/usr/bin/python3
"""A small GDBus service (python3-gi, a peer we did not write) that takes and hands out unix
file descriptors (D-Bus type h).

usage: fd_service.py NAME
  ReadFd(h fd) -> s     the text of the file fd names, read from its start
  OpenFd(s text) -> h   a new descriptor of an in-memory file holding text
  EmitFd(s text)        emits the signal Fd(h) carrying such a descriptor
Prints READY once the name is owned.
"""
import os
import sys

from gi.repository import Gio, GLib

NAME = sys.argv[1]
PATH = "/net/skypebus/Fds"
IFACE = "net.skypebus.Fds"
XML = f"""<node>
  <interface name="{IFACE}">
    <method name="ReadFd"><arg name="fd" type="h" direction="in"/>
      <arg name="text" type="s" direction="out"/></method>
    <method name="OpenFd"><arg name="text" type="s" direction="in"/>
      <arg name="fd" type="h" direction="out"/></method>
    <method name="EmitFd"><arg name="text" type="s" direction="in"/></method>
    <signal name="Fd"><arg name="fd" type="h"/></signal>
  </interface>
</node>"""


def memfile(text):
    fd = os.memfd_create("skypebus-test")
    os.write(fd, text.encode())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def on_call(conn, sender, path, iface, method, params, invocation):
    fds = invocation.get_message().get_unix_fd_list()
    if method == "ReadFd":
        fd = fds.get(params.unpack()[0])
        os.lseek(fd, 0, os.SEEK_SET)
        with os.fdopen(fd, "rb") as f:
            text = f.read().decode()
        invocation.return_value(GLib.Variant("(s)", (text,)))
    elif method == "OpenFd":
        out = Gio.UnixFDList.new_from_array([memfile(params.unpack()[0])])
        invocation.return_value_with_unix_fd_list(GLib.Variant("(h)", (0,)), out)
    elif method == "EmitFd":
        msg = Gio.DBusMessage.new_signal(PATH, IFACE, "Fd")
        msg.set_body(GLib.Variant("(h)", (0,)))
        msg.set_unix_fd_list(Gio.UnixFDList.new_from_array([memfile(params.unpack()[0])]))
        conn.send_message(msg, Gio.DBusSendMessageFlags.NONE)
        invocation.return_value(None)


node = Gio.DBusNodeInfo.new_for_xml(XML)
loop = GLib.MainLoop()


def on_bus(conn, name):
    conn.register_object(PATH, node.interfaces[0], on_call, None, None)


def on_name(conn, name):
    print("READY", flush=True)


Gio.bus_own_name(Gio.BusType.SESSION, NAME, Gio.BusNameOwnerFlags.NONE, on_bus, on_name,
                 lambda *a: loop.quit())
loop.run()
