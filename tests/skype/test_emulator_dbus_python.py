#!/usr/bin/python3
"""The Skype API emulator checked against a client we did not write: dbus-python.

Each test starts its own private dbus-daemon (never the machine's buses) and its own
skypebus-skype-emulator, and kills both at the end. The Skype client keeps ONE connection, replays
the exact lines of the scenarios of docs/skype-protocol.md (section 7), and exports a dbusmock object at
/com/Skype/Client (interface com.Skype.API.Client, method Notify(s)) on that same connection;
the mock's call log shows the N lines.

In the scenario tables, an id from those scenarios' examples is written in angle brackets
(<290>, <ea753190f0a3e49b>): the first time it appears in a reply or notification it is bound to
the real id (any decimal number, or any 16 lowercase hex digits), and every later appearance must
be that same id (in a command, the real id is sent). Distinct example ids must bind to distinct
real ids.

Run:  /usr/bin/python3 tests/skype/test_emulator_dbus_python.py
 or:  /usr/bin/python3 -m pytest tests/skype -q
Needs Debian's python3-dbus, python3-dbusmock, python3-gi and dbus-daemon; the emulator binary
is $SKYPEBUS_EMULATOR or target/debug/skypebus-skype-emulator (cargo build -p
skypebus-skype-emulator; the package is emulator/ of the Cargo workspace).
"""

import ctypes
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

import dbus
import dbus.bus
import dbus.lowlevel
import dbus.mainloop.glib
import dbusmock.mockobject
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR = os.environ.get('SKYPEBUS_EMULATOR') or os.path.join(
    REPO, 'target', 'debug', 'skypebus-skype-emulator')

SKYPE = 'com.Skype.API'
CONTROL_PATH = '/net/skypebus/SkypeEmulator'
CONTROL_IFACE = 'net.skypebus.SkypeEmulator'
DBUS = ('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus')


def pump(seconds=0.0):
    """Run the GLib main loop for a while, so incoming Notify calls are dispatched."""
    ctx = GLib.MainContext.default()
    end = time.monotonic() + seconds
    while True:
        while ctx.pending():
            ctx.iteration(False)
        if time.monotonic() >= end:
            return
        time.sleep(0.005)


def _die_with_parent():
    """In the child: get SIGTERM if the test process dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Processes:
    """Every process a test starts; all are killed at the end, whatever happens."""

    def __init__(self):
        self.procs = []

    def start(self, argv, **kw):
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent, **kw)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(3)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(3)
            for f in (p.stdout, p.stderr):
                if f:
                    f.close()
        self.procs = []


def read_line(proc, timeout):
    """One line of proc's stdout, or None after timeout."""
    end = time.monotonic() + timeout
    buf = b''
    fd = proc.stdout.fileno()
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        if not r:
            break
        chunk = os.read(fd, 1)
        if not chunk:
            break
        if chunk == b'\n':
            return buf.decode()
        buf += chunk
    return None


class SkypeClient:
    """A Skype API client on one private-bus connection, with a dbusmock /com/Skype/Client."""

    def __init__(self, address, export=True):
        self.bus = dbus.bus.BusConnection(address)
        self.unique = self.bus.get_unique_name()
        self.cursor = 0
        self.mock = None
        if export:
            self.mock = dbusmock.mockobject.DBusMockObject(
                self.bus, '/com/Skype/Client', 'com.Skype.API.Client', {}, logfile=os.devnull)
            self.mock.AddMethod('', 'Notify', 's', '', '')

    def invoke(self, command, timeout=10.0):
        reply = self.bus.call_blocking(SKYPE, '/com/Skype', 'com.Skype.API', 'Invoke', 's',
                                       (command,), timeout=timeout)
        return str(reply)

    def notes(self):
        """Every Notify received so far, in order."""
        pump()
        return [str(args[0]) for _ts, args in self.mock.GetMethodCalls('Notify')]

    def wait_notes(self, count, timeout=5.0):
        end = time.monotonic() + timeout
        while len(self.notes()) < count and time.monotonic() < end:
            pump(0.01)
        return self.notes()

    def wait_for(self, text, timeout=5.0):
        """Wait until the notification text has arrived; return all notifications."""
        end = time.monotonic() + timeout
        while text not in self.notes() and time.monotonic() < end:
            pump(0.01)
        return self.notes()

    def close(self):
        if self.mock is not None:
            self.mock.remove_from_connection()
        self.bus.close()


class Monitor:
    """A bus monitor (BecomeMonitor): the order in which the bus routed every message."""

    def __init__(self, address):
        self.bus = dbus.bus.BusConnection(address)
        self.log = []
        self.bus.add_message_filter(self._filter)
        self.bus.call_blocking(DBUS[0], DBUS[1], 'org.freedesktop.DBus.Monitoring',
                               'BecomeMonitor', 'asu', ([], 0))

    def _filter(self, _conn, msg):
        self.log.append(msg)
        return dbus.lowlevel.HANDLER_RESULT_HANDLED

    def close(self):
        self.bus.close()


class Bindings:
    """Example ids bound to real ids during one replay."""

    TOKEN = re.compile(r'<([^<>]+)>')

    def __init__(self):
        self.values = {}

    def command(self, text):
        def sub(m):
            key = m.group(1)
            if key not in self.values:
                raise AssertionError(f'example id <{key}> used in a command before it was seen')
            return self.values[key]
        return self.TOKEN.sub(sub, text)

    def match(self, pattern, actual):
        """Match actual against a scenario line; bind new example ids. Returns True/False."""
        regex, keys, pos = '', [], 0
        for m in self.TOKEN.finditer(pattern):
            regex += re.escape(pattern[pos:m.start()])
            key = m.group(1)
            if key in self.values:
                regex += re.escape(self.values[key])
            elif key in keys:
                regex += f'(?P=k{keys.index(key)})'
            else:
                cls = r'\d+' if key.isdigit() else r'[0-9a-f]{16}'
                regex += f'(?P<k{len(keys)}>{cls})'
                keys.append(key)
            pos = m.end()
        regex += re.escape(pattern[pos:])
        m = re.fullmatch(regex, actual, re.S)
        if not m:
            return False
        for i, key in enumerate(keys):
            value = m.group(f'k{i}')
            for other, v in self.values.items():
                if v == value and other != key:
                    raise AssertionError(
                        f'<{key}> and <{other}> are different example ids but both are {value}')
            self.values[key] = value
        return True


# The scenarios of docs/skype-protocol.md section 7, as C (command), R (reply), N (notification) lines.
# Extra steps marked "precondition" are what the scenario's text states in words ("at
# protocol 2", "after sign-in", "emulator injects").
SCENARIOS = {
    1: ['C NAME php', 'R OK', 'C PROTOCOL 2', 'R PROTOCOL 2',
        'N CONNSTATUS ONLINE', 'N CURRENTUSERHANDLE alice', 'N USERSTATUS ONLINE'],
    2: ['C PROTOCOL 9999', 'R PROTOCOL 8'],
    3: ['C CHAT CREATE bob', 'R CHAT #alice/$bob;<ea753190f0a3e49b> STATUS DIALOG',
        'C CHATMESSAGE #alice/$bob;<ea753190f0a3e49b> hello',
        'R CHATMESSAGE <290> STATUS SENDING',
        'N CHATMESSAGE <290> STATUS SENT'],
    4: ['C #0 NAME php', 'R #0 OK', 'C #1 PROTOCOL 7', 'R #1 PROTOCOL 7',
        'C #2 CHAT CREATE bob', 'R #2 CHAT #alice/$bob;<ea753190f0a3e49b> STATUS DIALOG',
        'C #3 CHATMESSAGE #alice/$bob;<ea753190f0a3e49b> hi',
        'R #3 CHATMESSAGE <291> STATUS SENDING',
        'N CHATMESSAGE <291> STATUS SENT'],
    5: ['C NAME php', 'R ERROR 68', 'C GET USERSTATUS', 'R ERROR 68'],
    6: ['C NAME php', 'R CONNSTATUS OFFLINE',
        'X SignIn',  # precondition: "after sign-in"
        'C NAME php', 'R OK'],
    9: ['C CHATMESSAGE #alice/$nobody;0000000000000000 hi',
        'R ERROR 510 Invalid/unknown chat name given'],
    10: ['C PROTOCOL 5', 'R PROTOCOL 5', 'C CHAT CREATE',
         'R ERROR 507 CHAT: CREATE: invalid/missing user handle(s) as argument',
         # "at protocol 7 it would create an empty multichat instead"
         'C PROTOCOL 7', 'R PROTOCOL 7', 'C CHAT CREATE',
         'R CHAT #alice/$<0123456789abcdef> STATUS MULTI_SUBSCRIBED'],
    11: ['C MESSAGE bob', 'R ERROR 43 cannot send empty message',
         'C CHATMESSAGE #alice/$bob;<ea753190f0a3e49b>', 'R ERROR 43 cannot send empty message'],
    12: ['C PROTOCOL 2', 'R PROTOCOL 2',  # precondition: "at protocol 2"
         'C MESSAGE bob hi', 'R MESSAGE <982> STATUS SENDING', 'N MESSAGE <982> STATUS SENT',
         'C PROTOCOL 5', 'R PROTOCOL 5',  # precondition: "at protocol 5"
         'C MESSAGE bob hi', 'R CHATMESSAGE <983> STATUS SENDING'],
    13: ['C FOO', 'R ERROR 2 Unknown command', 'C #9 FOO', 'R #9 ERROR 2 Unknown command'],
    14: ['C PING', 'R PONG', 'C GET CURRENTUSERHANDLE', 'R CURRENTUSERHANDLE alice',
         'C SEARCH FRIENDS', 'R USERS echo123, bob',
         'C GET USER echo123 FULLNAME', 'R USER echo123 FULLNAME Echo / Sound Test Service',
         'C GET USER bob COLOUR', 'R ERROR 10 Invalid PROP'],
    15: ['I bob h\u00e9llo\nw\u00f6rld <293>',  # precondition: "emulator injects"
         'N CHATMESSAGE <293> STATUS RECEIVED',
         'C GET CHATMESSAGE <293> BODY', 'R CHATMESSAGE <293> BODY h\u00e9llo\nw\u00f6rld',
         'C SET CHATMESSAGE <293> SEEN', 'R CHATMESSAGE <293> STATUS READ'],
    16: ['C CHAT CREATE bob, carol',
         'R CHAT #alice/$<8c9e3bb94643d668> STATUS MULTI_SUBSCRIBED',
         'C GET CHAT #alice/$<8c9e3bb94643d668> MEMBERS',
         'R CHAT #alice/$<8c9e3bb94643d668> MEMBERS alice bob carol'],
}


class EmulatorTestCase(unittest.TestCase):
    """Private bus + emulator per test."""

    def setUp(self):
        if not os.access(EMULATOR, os.X_OK):
            self.fail(f'emulator binary not found at {EMULATOR}; run '
                      'cargo build -p skypebus-skype-emulator or set SKYPEBUS_EMULATOR')
        self.tmp = tempfile.mkdtemp(prefix='skype-emu-test-')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.procs = Processes()
        self.addCleanup(self.procs.stop_all)
        self.clients = []
        self.addCleanup(self._close_clients)
        daemon = self.procs.start(
            ['dbus-daemon', '--session', '--nofork', '--print-address',
             f'--address=unix:dir={self.tmp}'],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.address = read_line(daemon, 10)
        self.assertTrue(self.address, 'the private dbus-daemon did not print its address')
        self.env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address)
        self.env.pop('DBUS_SYSTEM_BUS_ADDRESS', None)
        self.transcript = os.path.join(self.tmp, 'transcript.txt')
        self.control_bus = None

    def _close_clients(self):
        for c in self.clients:
            try:
                c.close()
            except Exception:  # pylint: disable=broad-except
                pass

    def start_emulator(self, *args, use_address=True, wait=True):
        argv = [EMULATOR]
        if use_address:
            argv += ['--address', self.address]
        argv += ['--transcript', self.transcript, *args]
        proc = self.procs.start(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.env)
        if wait:
            line = read_line(proc, 10)
            self.assertIsNotNone(line, 'the emulator did not print READY')
            self.assertRegex(line, r'^READY :\d+\.\d+$')
        return proc

    def client(self, export=True):
        c = SkypeClient(self.address, export)
        self.clients.append(c)
        return c

    def control(self, method, sig='', args=()):
        if self.control_bus is None:
            self.control_bus = dbus.bus.BusConnection(self.address)
            self.addCleanup(self.control_bus.close)
        return self.control_bus.call_blocking(SKYPE, CONTROL_PATH, CONTROL_IFACE, method, sig,
                                              args, timeout=10)

    def has_owner(self, name):
        bus = dbus.bus.BusConnection(self.address)
        try:
            return bool(bus.call_blocking(*DBUS, 'NameHasOwner', 's', (name,)))
        finally:
            bus.close()

    def replay(self, client, numbers, bindings=None):
        """Replay scenarios on one client connection."""
        b = bindings or Bindings()
        for n in numbers:
            reply = None
            for step in SCENARIOS[n]:
                kind, text = step[0], step[2:]
                where = f'scenario {n}, step {step!r}'
                if kind == 'C':
                    reply = client.invoke(b.command(text))
                elif kind == 'R':
                    self.assertTrue(b.match(text, reply), f'{where}: got reply {reply!r}')
                elif kind == 'N':
                    end = time.monotonic() + 5
                    found = False
                    while not found and time.monotonic() < end:
                        notes = client.notes()
                        for i in range(client.cursor, len(notes)):
                            if b.match(text, notes[i]):
                                client.cursor = i + 1
                                found = True
                                break
                        else:
                            pump(0.01)
                    self.assertTrue(found, f'{where}: not notified; got {client.notes()!r}')
                elif kind == 'I':
                    sender, rest = text.split(' ', 1)
                    body, example = rest.rsplit(' ', 1)
                    msg_id = str(self.control('InjectMessage', 'ss', (sender, body)))
                    self.assertTrue(b.match(example, msg_id), where)
                elif kind == 'X':
                    self.control(text)
                else:
                    raise ValueError(step)
        return b

    def transcript_lines(self):
        with open(self.transcript, encoding='utf-8') as f:
            return f.read().splitlines()


class Scenarios(EmulatorTestCase):
    """docs/skype-protocol.md section 7, scenarios 1-16."""

    def test_scenarios_on_one_connection(self):
        """1, 2, 3, 4, 9, 10, 11, 12, 13, 14, 15, 16 replayed on ONE connection, in order."""
        self.start_emulator()
        c = self.client()
        b = self.replay(c, [1, 2, 3, 4, 9, 10, 11, 12, 13, 14, 15, 16])
        # The chat ids are the documented shapes and stable: CHAT CREATE again gives the same.
        self.assertEqual(c.invoke('CHAT CREATE carol, bob'),
                         f'CHAT #alice/${b.values["8c9e3bb94643d668"]} STATUS MULTI_SUBSCRIBED')
        self.assertEqual(c.invoke('CHAT CREATE bob'),
                         f'CHAT #alice/$bob;{b.values["ea753190f0a3e49b"]} STATUS DIALOG')

    def test_scenario_01_attach_notifications_exactly(self):
        self.start_emulator()
        c = self.client()
        self.replay(c, [1])
        pump(0.3)
        self.assertEqual(c.notes(),
                         ['CONNSTATUS ONLINE', 'CURRENTUSERHANDLE alice', 'USERSTATUS ONLINE'])

    def test_scenario_01_notifications_without_protocol(self):
        """No PROTOCOL: the three notifications come by themselves ~100 ms after OK."""
        self.start_emulator()
        c = self.client()
        self.assertEqual(c.invoke('NAME php'), 'OK')
        self.assertEqual(c.wait_notes(3, 3),
                         ['CONNSTATUS ONLINE', 'CURRENTUSERHANDLE alice', 'USERSTATUS ONLINE'])

    def test_scenario_05_refusal(self):
        self.start_emulator('--auth', 'refuse')
        c = self.client()
        self.replay(c, [5])
        pump(0.3)
        self.assertEqual(c.notes(), [])

    def test_scenario_06_offline_then_sign_in(self):
        self.start_emulator('--auth', 'offline')
        c = self.client()
        self.replay(c, [6])
        self.assertEqual(c.invoke('GET CONNSTATUS'), 'CONNSTATUS ONLINE')

    def test_scenario_07_pending_authorisation(self):
        self.start_emulator('--auth', 'pending', '--auth-delay-ms', '1500')
        c = self.client()
        # Slower than the client's timeout: the client reports NoReply.
        t0 = time.monotonic()
        with self.assertRaises(dbus.exceptions.DBusException) as cm:
            c.invoke('NAME php', timeout=0.5)
        self.assertEqual(cm.exception.get_dbus_name(), 'org.freedesktop.DBus.Error.NoReply')
        self.assertLess(time.monotonic() - t0, 1.4)
        # Faster than the timeout: NAME blocks, then OK.
        self.control('SetAuthDelayMs', 't', (400,))
        c2 = self.client()
        t0 = time.monotonic()
        self.assertEqual(c2.invoke('#0 NAME php', timeout=5), '#0 OK')
        self.assertGreaterEqual(time.monotonic() - t0, 0.35)
        self.assertEqual(c2.invoke('PROTOCOL 7'), 'PROTOCOL 7')
        self.assertEqual(c2.wait_notes(3),
                         ['CONNSTATUS ONLINE', 'CURRENTUSERHANDLE alice', 'USERSTATUS ONLINE'])

    def test_scenario_08_skype_absent(self):
        c = self.client()
        with self.assertRaises(dbus.exceptions.DBusException) as cm:
            c.invoke('NAME php')
        self.assertEqual(cm.exception.get_dbus_name(),
                         'org.freedesktop.DBus.Error.ServiceUnknown')
        self.assertIn('com.Skype.API', cm.exception.get_dbus_message())
        # And again once the emulator has come and gone.
        proc = self.start_emulator()
        self.assertEqual(c.invoke('NAME php'), 'OK')
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(5), 0)
        with self.assertRaises(dbus.exceptions.DBusException) as cm:
            c.invoke('PING')
        self.assertEqual(cm.exception.get_dbus_name(),
                         'org.freedesktop.DBus.Error.ServiceUnknown')


class Protocol(EmulatorTestCase):
    """Protocol rules beyond the scenarios, seen from dbus-python."""

    def test_authorisation_is_per_connection(self):
        self.start_emulator()
        a, b = self.client(), self.client()
        self.replay(a, [1])
        self.assertEqual(b.invoke('GET USERSTATUS'), 'ERROR 68')
        self.assertEqual(b.invoke('#7 PING'), '#7 ERROR 68')
        self.assertEqual(a.invoke('PING'), 'PONG')

    def test_departed_client_is_forgotten(self):
        self.start_emulator()
        a, b = self.client(), self.client()
        self.assertEqual(a.invoke('NAME php'), 'OK')
        self.assertEqual(b.invoke('NAME php'), 'OK')
        self.assertEqual(sorted(self.control('Clients')), sorted([a.unique, b.unique]))
        a.close()
        self.clients.remove(a)
        end = time.monotonic() + 5
        while a.unique in self.control('Clients') and time.monotonic() < end:
            time.sleep(0.02)
        self.assertEqual(list(self.control('Clients')), [b.unique])

    def test_message_text_verbatim_utf8_and_notify_order(self):
        self.start_emulator()
        monitor = Monitor(self.address)
        self.addCleanup(monitor.close)
        c = self.client()
        self.replay(c, [1])
        chat = c.invoke('CHAT CREATE bob').split(' ')[1]
        text = '  Gr\u00fc\u00dfe \U0001F600\nsecond line\n  '
        reply = c.invoke(f'CHATMESSAGE {chat} {text}')
        msg_id = re.fullmatch(r'CHATMESSAGE (\d+) STATUS SENDING', reply).group(1)
        self.assertEqual(c.invoke(f'GET CHATMESSAGE {msg_id} BODY'),
                         f'CHATMESSAGE {msg_id} BODY {text}')
        self.assertEqual(c.invoke(f'GET CHATMESSAGE {msg_id} FROM_HANDLE'),
                         f'CHATMESSAGE {msg_id} FROM_HANDLE alice')
        sent = f'CHATMESSAGE {msg_id} STATUS SENT'
        self.assertIn(sent, c.wait_for(sent))
        # On the wire: the SENDING reply is routed before the SENT notification, which is a
        # method call (not a signal) to the client's unique name, flagged no-reply-expected.
        pump(0.2)
        log = monitor.log
        i_reply = next(i for i, m in enumerate(log)
                       if isinstance(m, dbus.lowlevel.MethodReturnMessage)
                       and [str(a) for a in m.get_args_list()] == [reply])
        i_note, note = next((i, m) for i, m in enumerate(log)
                            if isinstance(m, dbus.lowlevel.MethodCallMessage)
                            and m.get_member() == 'Notify'
                            and [str(a) for a in m.get_args_list()] == [sent])
        self.assertLess(i_reply, i_note)
        self.assertEqual(note.get_destination(), c.unique)
        self.assertEqual(note.get_path(), '/com/Skype/Client')
        self.assertEqual(note.get_interface(), 'com.Skype.API.Client')
        self.assertEqual(note.get_signature(), 's')
        self.assertTrue(note.get_no_reply())
        # The client did not answer any Notify (no-reply-expected), and nothing is a signal.
        self.assertFalse(any(isinstance(m, dbus.lowlevel.SignalMessage)
                             and m.get_member() == 'Notify' for m in log))

    def test_other_client_sees_notifications(self):
        self.start_emulator()
        a, b = self.client(), self.client()
        self.replay(a, [1])
        self.replay(b, [1])
        reply = a.invoke('SET USERSTATUS AWAY')
        self.assertEqual(reply, 'USERSTATUS AWAY')
        end = time.monotonic() + 5
        while time.monotonic() < end and not (
                'USERSTATUS AWAY' in b.notes() and 'USERSTATUS AWAY' in a.notes()):
            pump(0.01)
        self.assertIn('USERSTATUS AWAY', b.notes())
        self.assertIn('USERSTATUS AWAY', a.notes())
        # b was not the actor: no reply, only the notification.
        self.assertEqual(b.notes()[3:], ['USERSTATUS AWAY'])

    def test_inject_from_command_line(self):
        self.start_emulator('--inject', 'bob:hi\\nthere \u00e9')
        c = self.client()
        self.assertEqual(c.invoke('NAME php'), 'OK')
        self.assertEqual(c.invoke('PROTOCOL 8'), 'PROTOCOL 8')
        end = time.monotonic() + 5
        got = None
        while got is None and time.monotonic() < end:
            for n in c.notes():
                m = re.fullmatch(r'CHATMESSAGE (\d+) STATUS RECEIVED', n)
                if m:
                    got = m.group(1)
            pump(0.01)
        self.assertIsNotNone(got, c.notes())
        self.assertEqual(c.invoke(f'GET CHATMESSAGE {got} BODY'),
                         f'CHATMESSAGE {got} BODY hi\nthere \u00e9')
        self.assertEqual(c.invoke(f'GET CHATMESSAGE {got} FROM_HANDLE'),
                         f'CHATMESSAGE {got} FROM_HANDLE bob')

    def test_options(self):
        self.start_emulator('--user', 'carol', '--contacts', 'dave:Dave D,erin:Erin',
                            '--first-id', '500', '--protocol-max', '6')
        c = self.client()
        self.assertEqual(c.invoke('NAME php'), 'OK')
        self.assertEqual(c.invoke('PROTOCOL 99'), 'PROTOCOL 6')
        self.assertEqual(c.invoke('GET CURRENTUSERHANDLE'), 'CURRENTUSERHANDLE carol')
        self.assertEqual(c.invoke('SEARCH FRIENDS'), 'USERS dave, erin')
        self.assertEqual(c.invoke('GET USER dave FULLNAME'), 'USER dave FULLNAME Dave D')
        self.assertEqual(c.wait_notes(3)[1], 'CURRENTUSERHANDLE carol')
        chat = c.invoke('CHAT CREATE dave')
        self.assertRegex(chat, r'^CHAT #carol/\$dave;[0-9a-f]{16} STATUS DIALOG$')
        # Two CHATMEMBER objects took 500 and 501.
        self.assertEqual(c.invoke(f'CHATMESSAGE {chat.split(" ")[1]} x'),
                         'CHATMESSAGE 502 STATUS SENDING')

    def test_strict_mode(self):
        self.start_emulator('--strict')
        c = self.client()
        self.assertEqual(c.invoke('NAME php'), 'OK')
        self.assertEqual(c.invoke('PROTOCOL 2'), 'PROTOCOL 2')
        self.assertEqual(c.invoke('CHAT CREATE bob'), 'ERROR 2 Unknown command')
        self.assertEqual(c.invoke('PROTOCOL 5'), 'PROTOCOL 5')
        self.assertRegex(c.invoke('CHAT CREATE bob'), r'^CHAT #alice/\$bob;[0-9a-f]{16} ')


class Bus(EmulatorTestCase):
    """D-Bus behaviour: introspection, Peer, errors, name ownership, lifecycle, transcript."""

    def test_introspection(self):
        self.start_emulator()
        c = self.client(export=False)

        def intro(path):
            xml = c.bus.call_blocking(SKYPE, path, 'org.freedesktop.DBus.Introspectable',
                                      'Introspect', '', ())
            return ET.fromstring(str(xml))

        root = intro('/')
        self.assertEqual({n.get('name') for n in root.findall('node')}, {'com', 'net'})
        com = intro('/com')
        self.assertEqual([n.get('name') for n in com.findall('node')], ['Skype'])
        skype = intro('/com/Skype')
        ifaces = {i.get('name'): i for i in skype.findall('interface')}
        self.assertIn('com.Skype.API', ifaces)
        self.assertIn('org.freedesktop.DBus.Introspectable', ifaces)
        self.assertIn('org.freedesktop.DBus.Peer', ifaces)
        invoke = ifaces['com.Skype.API'].find("method[@name='Invoke']")
        self.assertEqual([(a.get('type'), a.get('direction')) for a in invoke.findall('arg')],
                         [('s', 'in'), ('s', 'out')])
        control = intro(CONTROL_PATH)
        names = {m.get('name') for m in control.find(f"interface[@name='{CONTROL_IFACE}']")}
        self.assertLessEqual({'InjectMessage', 'SignIn', 'SetAuthMode', 'Transcript', 'Quit'},
                             names)
        # dbus-python's own introspecting proxy can call Invoke.
        proxy = c.bus.get_object(SKYPE, '/com/Skype')
        self.assertEqual(str(proxy.Invoke('PING', dbus_interface='com.Skype.API')), 'ERROR 68')

    def test_peer_and_errors(self):
        self.start_emulator()
        c = self.client(export=False)
        c.bus.call_blocking(SKYPE, '/com/Skype', 'org.freedesktop.DBus.Peer', 'Ping', '', ())
        mid = c.bus.call_blocking(SKYPE, '/', 'org.freedesktop.DBus.Peer', 'GetMachineId',
                                  '', ())
        self.assertRegex(str(mid), r'^[0-9a-f]{32}$')

        def error(path, iface, member, sig='', args=()):
            with self.assertRaises(dbus.exceptions.DBusException) as cm:
                c.bus.call_blocking(SKYPE, path, iface, member, sig, args)
            return cm.exception.get_dbus_name()

        self.assertEqual(error('/com/Skype', 'com.Skype.API', 'Frob'),
                         'org.freedesktop.DBus.Error.UnknownMethod')
        self.assertEqual(error('/com/Skype', 'org.example.Nope', 'Invoke', 's', ('PING',)),
                         'org.freedesktop.DBus.Error.UnknownInterface')
        self.assertEqual(error('/com/Skype/Nope', 'com.Skype.API', 'Invoke', 's', ('PING',)),
                         'org.freedesktop.DBus.Error.UnknownObject')
        self.assertEqual(error('/com/Skype', 'com.Skype.API', 'Invoke', 'i', (5,)),
                         'org.freedesktop.DBus.Error.InvalidArgs')
        # Invoke without an interface is routed too.
        self.assertEqual(str(c.bus.call_blocking(SKYPE, '/com/Skype', None, 'Invoke', 's',
                                                 ('NAME x',))), 'OK')

    def test_name_already_owned(self):
        self.start_emulator()
        second = self.start_emulator(wait=False)
        self.assertNotEqual(second.wait(10), 0)
        self.assertIn('com.Skype.API is already owned', second.stderr.read().decode())

    def test_sigterm_and_sigint_release_the_name(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            proc = self.start_emulator()
            self.assertTrue(self.has_owner(SKYPE))
            proc.send_signal(sig)
            self.assertEqual(proc.wait(5), 0)
            self.assertFalse(self.has_owner(SKYPE))

    def test_quit_method_and_idle_exit(self):
        proc = self.start_emulator()
        self.control('Quit')
        self.assertEqual(proc.wait(5), 0)
        self.control_bus.close()
        self.control_bus = None
        proc = self.start_emulator('--exit-when-idle-ms', '300')
        self.assertEqual(proc.wait(5), 0)
        self.assertFalse(self.has_owner(SKYPE))

    def test_session_bus_by_default(self):
        self.start_emulator(use_address=False)
        c = self.client()
        self.assertEqual(c.invoke('NAME php'), 'OK')
        self.assertEqual(c.invoke('PING'), 'PONG')

    def test_ready_file_and_help(self):
        ready = os.path.join(self.tmp, 'ready')
        self.start_emulator('--ready-file', ready)
        with open(ready, encoding='utf-8') as f:
            self.assertRegex(f.read(), r'^READY :\d+\.\d+\n$')
        out = subprocess.run([EMULATOR, '--help'], capture_output=True, check=True, text=True)
        self.assertIn('--auth', out.stdout)
        bad = subprocess.run([EMULATOR, '--auth', 'maybe'], capture_output=True, text=True,
                             check=False)
        self.assertEqual(bad.returncode, 2)

    def test_transcript(self):
        self.start_emulator()
        c = self.client()
        self.replay(c, [1, 3])
        chat = c.invoke('CHAT CREATE bob').split(' ')[1]
        c.invoke(f'CHATMESSAGE {chat} two\nlines\\')
        pump(0.3)
        u = c.unique
        lines = self.transcript_lines()
        for expected in [f'C {u} NAME php', f'R {u} OK', f'C {u} PROTOCOL 2',
                         f'R {u} PROTOCOL 2', f'N {u} CONNSTATUS ONLINE',
                         f'N {u} CURRENTUSERHANDLE alice', f'N {u} USERSTATUS ONLINE',
                         f'C {u} CHATMESSAGE {chat} two\\nlines\\\\']:
            self.assertIn(expected, lines)
        # Commands before their replies; the attach notifications after the PROTOCOL reply.
        self.assertLess(lines.index(f'C {u} NAME php'), lines.index(f'R {u} OK'))
        self.assertLess(lines.index(f'R {u} PROTOCOL 2'), lines.index(f'N {u} CONNSTATUS ONLINE'))
        self.assertTrue(any(re.fullmatch(rf'N {re.escape(u)} CHATMESSAGE \d+ STATUS SENT', l)
                            for l in lines))
        self.assertEqual([str(s) for s in self.control('Transcript')], lines)


if __name__ == '__main__':
    unittest.main(verbosity=2)
