#!/usr/bin/python3
"""Splits a `dbus-monitor --binary` capture (messages back to back, as a bus delivers them) into
seed files for the `incoming` fuzz target: at most two messages of each kind (message type,
interface, member, signature) one file each, named by their SHA-1 as libFuzzer names its corpus,
and a few files of three consecutive messages, for the framing.

    split_capture.py CAPTURE OUT_DIR
"""

import hashlib
import os
import struct
import sys


def messages(data):
    pos = 0
    while pos + 16 <= len(data):
        e = "<" if data[pos:pos + 1] == b"l" else ">"
        body_len, _, fields_len = struct.unpack(e + "III", data[pos + 4:pos + 16])
        header = 16 + fields_len
        total = header + (-header % 8) + body_len
        yield data[pos:pos + total]
        pos += total


def kind(msg):
    """(type, interface, member, signature) from the header fields."""
    e = "<" if msg[:1] == b"l" else ">"
    (fields_len,) = struct.unpack(e + "I", msg[12:16])
    fields, pos, end = {}, 16, 16 + fields_len
    while pos < end:
        pos += -pos % 8
        code, t = msg[pos], chr(msg[pos + 2])
        pos += 4
        if t in "so":
            (n,) = struct.unpack(e + "I", msg[pos:pos + 4])
            fields[code] = msg[pos + 4:pos + 4 + n]
            pos += 4 + n + 1
        elif t == "g":
            n = msg[pos]
            fields[code] = msg[pos + 1:pos + 1 + n]
            pos += 1 + n + 1
        else:
            pos += 4
    return (msg[1], fields.get(2), fields.get(3), fields.get(8))


def write(out, data):
    with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def main():
    capture, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with open(capture, "rb") as f:
        all_messages = list(messages(f.read()))
    seen = {}
    for msg in all_messages:
        k = kind(msg)
        if seen.get(k, 0) < 2:
            seen[k] = seen.get(k, 0) + 1
            write(out, msg)
    step = max(1, len(all_messages) // 10)
    for i in range(0, len(all_messages) - 2, step):
        write(out, b"".join(all_messages[i:i + 3]))
    print(f"{len(all_messages)} messages captured, {len(os.listdir(out))} seed files in {out}")


if __name__ == "__main__":
    main()
