#!/usr/bin/python3
"""Emits N signals as fast as dbus-python can, for the bench's signals/s: N times
net.skypebus.Test.Flood.Tick(u index, s text) from /net/skypebus/Test/Flood, then Done(u N).

Usage: emit_signals.py N   (on DBUS_SESSION_BUS_ADDRESS)
"""

import sys

import dbus
import dbus.lowlevel

count = int(sys.argv[1])
bus = dbus.SessionBus()
for i in range(count):
    message = dbus.lowlevel.SignalMessage('/net/skypebus/Test/Flood', 'net.skypebus.Test.Flood', 'Tick')
    message.append(dbus.UInt32(i), 'tick %d' % i)
    bus.send_message(message)
done = dbus.lowlevel.SignalMessage('/net/skypebus/Test/Flood', 'net.skypebus.Test.Flood', 'Done')
done.append(dbus.UInt32(count))
bus.send_message(done)
bus.flush()
