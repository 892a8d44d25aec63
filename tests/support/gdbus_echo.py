#!/usr/bin/python3
"""A GDBus echo (python3-gi, a peer we did not write).

usage: gdbus_echo.py NAME [--big-endian]
Every method call to NAME (any path, interface and method) gets a method return with the call's
own body and descriptors, serialized by GDBus; with --big-endian, in BIG-endian messages. Prints
READY once the name is owned.
"""
import sys

from gi.repository import Gio, GLib

NAME = sys.argv[1]
BIG = sys.argv[2:] == ["--big-endian"]
loop = GLib.MainLoop()


def echo(conn, msg, incoming):
    if not incoming or msg.get_message_type() != Gio.DBusMessageType.METHOD_CALL:
        return msg
    if msg.get_interface() and msg.get_interface().startswith("org.freedesktop.DBus"):
        return msg
    reply = Gio.DBusMessage.new_method_reply(msg)
    if msg.get_body() is not None:
        reply.set_body(msg.get_body())
    fds = msg.get_unix_fd_list()
    if fds is not None:
        reply.set_unix_fd_list(fds)
    if BIG:
        reply.set_byte_order(Gio.DBusMessageByteOrder.BIG_ENDIAN)
    conn.send_message(reply, Gio.DBusSendMessageFlags.NONE)
    return None


def on_bus(conn, name):
    conn.add_filter(echo)


def on_name(conn, name):
    print("READY", flush=True)


Gio.bus_own_name(Gio.BusType.SESSION, NAME, Gio.BusNameOwnerFlags.NONE, on_bus, on_name,
                 lambda *a: loop.quit())
loop.run()
