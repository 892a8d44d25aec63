#!/usr/bin/python3
"""A hostile D-Bus peer for the tests: a server that authenticates and answers `Hello` the way
dbus-daemon does, and then sends exactly the bytes that one scripted case names.

    hostile_peer.py CASE [--tcp]

It listens on a fresh unix socket (or, with --tcp, on a tcp port of 127.0.0.1, where it expects
the ANONYMOUS mechanism), prints the D-Bus address to connect to on one line of stdout and serves
one client. The SASL cases (`sasl-*`) misbehave during authentication. Every other case runs when
the first method call that is not addressed to org.freedesktop.DBus arrives (the test's call);
afterwards the peer answers every call with an empty method return, so a test can tell whether the
library kept the connection. CASES below lists them, each with what it sends.

Only the standard library: the messages are written byte by byte here, so that they can be
wrong in exactly the way a case wants.
"""

import os
import socket
import struct
import sys
import tempfile
import time

# Header field codes.
PATH, INTERFACE, MEMBER, ERROR_NAME, REPLY_SERIAL, DESTINATION, SENDER, SIGNATURE, UNIX_FDS = range(1, 10)
METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL = 1, 2, 3, 4
CLIENT = ":1.1"
SELF = ":1.0"


def pad(n, to):
    return (-n) % to


def message(mtype, serial, fields, body=b"", *, endian=b"l", version=1, flags=0, body_len=None):
    """A message with `fields` [(code, type char, value)] around `body`; `body_len` overrides the
    length the header claims."""
    e = "<" if endian == b"l" else ">"
    head = bytearray(endian + bytes([mtype, flags, version]))
    head += struct.pack(e + "II", len(body) if body_len is None else body_len, serial)
    fields_bytes = bytearray()
    for code, t, value in fields:
        fields_bytes += b"\0" * pad(16 + len(fields_bytes), 8)
        fields_bytes += bytes([code, 1, ord(t), 0])
        if t in "so":
            raw = value.encode() if isinstance(value, str) else value
            fields_bytes += struct.pack(e + "I", len(raw)) + raw + b"\0"
        elif t == "g":
            raw = value.encode() if isinstance(value, str) else value
            fields_bytes += bytes([len(raw)]) + raw + b"\0"
        else:
            fields_bytes += struct.pack(e + "I", value)
    head += struct.pack(e + "I", len(fields_bytes)) + fields_bytes
    head += b"\0" * pad(len(head), 8)
    return bytes(head) + body


def string(text, nul=b"\0"):
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<I", len(raw)) + raw + nul


def signature(sig):
    raw = sig.encode() if isinstance(sig, str) else sig
    return bytes([len(raw)]) + raw + b"\0"


class Peer:
    def __init__(self, conn, tcp):
        self.conn = conn
        self.tcp = tcp
        self.serial = 0
        self.buffer = b""

    def next_serial(self):
        self.serial += 1
        return self.serial

    def send(self, data):
        self.conn.sendall(data)

    def reply(self, to, sig="", body=b"", sender=SELF, **kw):
        fields = [(REPLY_SERIAL, "u", to), (DESTINATION, "s", CLIENT), (SENDER, "s", sender)]
        if sig:
            fields.append((SIGNATURE, "g", sig))
        return message(METHOD_RETURN, self.next_serial(), fields, body, **kw)

    def error(self, to, name, text):
        fields = [(REPLY_SERIAL, "u", to), (DESTINATION, "s", CLIENT), (SENDER, "s", SELF),
                  (ERROR_NAME, "s", name), (SIGNATURE, "g", "s")]
        return message(ERROR, self.next_serial(), fields, string(text))

    def signal(self, member, sig, body):
        fields = [(PATH, "o", "/net/hostile/Peer"), (INTERFACE, "s", "net.hostile.Peer"),
                  (MEMBER, "s", member), (SENDER, "s", SELF), (SIGNATURE, "g", sig)]
        return message(SIGNAL, self.next_serial(), fields, body)

    # --- reading -------------------------------------------------------------------------------

    def read_exact(self, n):
        while len(self.buffer) < n:
            chunk = self.conn.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.conn.recv(4096)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line.lstrip(b"\0").decode(errors="replace")

    def read_message(self):
        """The next message as (type, serial, flags, {code: value}); None at EOF."""
        head = self.read_exact(16)
        if head is None:
            return None
        e = "<" if head[:1] == b"l" else ">"
        body_len, serial, fields_len = struct.unpack(e + "III", head[4:16])
        rest = self.read_exact(fields_len + pad(16 + fields_len, 8) + body_len)
        if rest is None:
            return None
        fields, pos, raw = {}, 0, rest[:fields_len]
        while pos < fields_len:
            pos += pad(16 + pos, 8)
            code, t = raw[pos], chr(raw[pos + 2])
            pos += 4
            if t in "so":
                (n,) = struct.unpack(e + "I", raw[pos:pos + 4])
                fields[code] = raw[pos + 4:pos + 4 + n].decode()
                pos += 4 + n + 1
            elif t == "g":
                n = raw[pos]
                fields[code] = raw[pos + 1:pos + 1 + n].decode()
                pos += 1 + n + 1
            else:
                (fields[code],) = struct.unpack(e + "I", raw[pos:pos + 4])
                pos += 4
        return head[1], serial, head[2], fields

    # --- the conversation ---------------------------------------------------------------------

    def authenticate(self, case):
        """The SASL exchange as dbus-daemon has it, or the way `case` breaks it. False when the
        case ended the conversation."""
        while True:
            line = self.read_line()
            if line is None:
                return False
            if line.startswith("AUTH"):
                if case == "sasl-close":
                    return False
                if case == "sasl-garbage":
                    self.send(b"WELCOME TO THE MACHINE\r\n")
                    time.sleep(5)
                    return False
                if case == "sasl-bare-newline":
                    self.send(b"\n")
                    time.sleep(5)
                    return False
                if case == "sasl-huge-line":
                    self.send(b"O" * (1 << 20))
                    time.sleep(30)
                    return False
                self.send(b"OK 0123456789abcdef0123456789abcdef\r\n")
            elif line == "NEGOTIATE_UNIX_FD":
                self.send(b"ERROR not over tcp\r\n" if self.tcp else b"AGREE_UNIX_FD\r\n")
            elif line == "BEGIN":
                return True
            else:
                self.send(b"ERROR unknown command\r\n")

    def serve(self, case):
        ran = False
        while True:
            msg = self.read_message()
            if msg is None:
                return
            mtype, serial, flags, fields = msg
            if mtype != METHOD_CALL:
                continue
            if fields.get(DESTINATION) == "org.freedesktop.DBus":
                member = fields.get(MEMBER)
                if member == "Hello":
                    self.send(self.reply(serial, "s", string(CLIENT), sender="org.freedesktop.DBus"))
                elif member == "GetNameOwner":
                    self.send(self.reply(serial, "s", string(SELF), sender="org.freedesktop.DBus"))
                else:
                    self.send(self.reply(serial, sender="org.freedesktop.DBus"))
                continue
            if not ran:
                ran = True
                if CASES[case](self, serial) == "close":
                    return
                continue
            if not flags & 1:
                self.send(self.reply(serial))


def replying(sig, body):
    """A case that answers the call with `body` under the signature `sig`."""
    return lambda p, s: p.send(p.reply(s, sig, body))


def variant(sig, align, value):
    """A variant of signature `sig` holding `value`, which is aligned to `align`."""
    head = signature(sig)
    return head + b"\0" * pad(len(head), align) + value


def nested_variants(levels):
    """`levels` variants, each holding the next, around a byte."""
    out = b""
    for _ in range(levels):
        out += signature("v")
    out += signature("y") + b"\x07"
    return out


def short_body(p, s):
    p.send(p.reply(s, "s", string("abc"), body_len=100))
    return "close"


def huge_array(p, s):
    # An array that claims 64 MiB + 1 byte, in a body of 8 bytes.
    p.send(p.reply(s, "ay", struct.pack("<I", (64 << 20) + 1) + b"\0" * 4))


def huge_message(p, s):
    # A header that claims a body of 200 MiB; nothing of it follows.
    p.send(p.reply(s, "ay", b"", body_len=200 << 20))
    time.sleep(5)
    return "close"


def half_message(p, s):
    p.send(p.reply(s, "s", string("never finished"))[:20])
    time.sleep(30)
    return "close"


def stray_reply(p, s):
    p.send(p.reply(s + 1000, "s", string("for nobody")) + p.reply(s, "s", string("real")))


def duplicate_reply(p, s):
    p.send(p.reply(s, "s", string("first")) + p.reply(s, "s", string("second")))


def error_without_name(p, s):
    fields = [(REPLY_SERIAL, "u", s), (DESTINATION, "s", CLIENT), (SENDER, "s", SELF),
              (SIGNATURE, "g", "s")]
    p.send(message(ERROR, p.next_serial(), fields, string("no name")))


def call_without(code):
    def case(p, s):
        fields = [(PATH, "o", "/net/skypebus/hostile"), (INTERFACE, "s", "net.hostile.Peer"),
                  (MEMBER, "s", "Poke"), (DESTINATION, "s", CLIENT), (SENDER, "s", SELF)]
        fields = [f for f in fields if f[0] != code]
        p.send(message(METHOD_CALL, p.next_serial(), fields) + p.reply(s))
    return case


def fds_never_came(p, s):
    fields = [(REPLY_SERIAL, "u", s), (DESTINATION, "s", CLIENT), (SENDER, "s", SELF),
              (SIGNATURE, "g", "h"), (UNIX_FDS, "u", 1)]
    p.send(message(METHOD_RETURN, p.next_serial(), fields, struct.pack("<I", 0)))


def flood(p, s):
    # 100,000 signals (the test subscribed to them), then the reply.
    one = p.signal("Tick", "s", string("tick"))
    batch = one * 1000
    for _ in range(100):
        p.send(batch)
    p.send(p.reply(s, "s", string("after the flood")))


def header_broken(**kw):
    return lambda p, s: p.send(p.reply(s, "s", string("x"), **kw))


def bad_type(p, s):
    data = bytearray(p.reply(s, "s", string("x")))
    data[1] = 9
    p.send(bytes(data))


CASES = {
    "short-body": short_body,
    "signature-mismatch": replying("su", string("only a string")),
    "invalid-utf8": replying("s", string(b"\xff\xfe bad")),
    "missing-nul": replying("s", string("abc", nul=b"X")),
    "invalid-object-path": replying("o", string("/a//b")),
    "invalid-signature": replying("g", signature("a{vs}")),
    "arrays-too-deep": replying("v", variant("a" * 33 + "y", 4, struct.pack("<I", 0))),
    "structs-too-deep": replying("v", variant("(" * 33 + "y" + ")" * 33, 8, b"\x07")),
    "variants-too-deep": replying("v", nested_variants(65)),
    "array-over-64-mib": huge_array,
    "message-over-128-mib": huge_message,
    "wrong-endianness": lambda p, s: p.send(b"X" + p.reply(s, "s", string("x"))[1:]),
    "wrong-version": header_broken(version=2),
    "wrong-type": bad_type,
    "reply-for-no-call": stray_reply,
    "duplicate-reply": duplicate_reply,
    "error-without-name": error_without_name,
    "half-message": half_message,
    "call-without-path": call_without(PATH),
    "call-without-member": call_without(MEMBER),
    "signal-flood": flood,
    "fds-never-came": fds_never_came,
    "fd-index-out-of-range": replying("h", struct.pack("<I", 3)),
    "sasl-close": None,
    "sasl-garbage": None,
    "sasl-bare-newline": None,
    "sasl-huge-line": None,
}


def main():
    case = sys.argv[1]
    tcp = "--tcp" in sys.argv[2:]
    if case not in CASES:
        sys.exit(f"unknown case {case}")
    if tcp:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        address = "tcp:host=127.0.0.1,port=%d" % server.getsockname()[1]
    else:
        path = os.path.join(tempfile.mkdtemp(prefix="skypebus-hostile-"), "socket")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        address = "unix:path=" + path
    server.listen(1)
    print(address, flush=True)
    conn, _ = server.accept()
    peer = Peer(conn, tcp)
    try:
        if peer.authenticate(case):
            peer.serve(case)
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        conn.close()
        if not tcp:
            os.unlink(path)
            os.rmdir(os.path.dirname(path))


if __name__ == "__main__":
    main()
