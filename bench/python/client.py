#!/usr/bin/python3
"""The dbus-python client of the benchmarks: blocking calls with explicit signatures, the way a
dbus-python program makes them (call_blocking; byte_arrays for ay). Speaks the bench driver's line
protocol: a {"ready": ...} line, then for each "<workload> <seconds>" line on stdin one JSON
result line. Run it with Debian's /usr/bin/python3 (it has dbus-python).

usage: client.py ADDRESS
"""
import json
import resource
import sys
import time

import dbus

ZBUS = "net.skypebus.Bench.Zbus"
PYTHON = "net.skypebus.Bench.Python"
PATH = "/net/skypebus/Bench"
IFACE = "net.skypebus.Bench"
ECHO_TEXT = "Hello from the skypebus bench"


def bench_dict(n):
    return {f"key{i:02d}": (f"value {i:02d}" if i % 2 == 0 else i) for i in range(n)}


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    bus = dbus.bus.BusConnection(sys.argv[1])

    def call(dest, path, iface, method, sig, args, byte_arrays=False):
        return bus.call_blocking(dest, path, iface, method, sig, args, byte_arrays=byte_arrays)

    def echo(dest, method, sig, value, byte_arrays=False):
        def op(check):
            back = call(dest, PATH, IFACE, method, sig, [value], byte_arrays)
            if check and back != value:
                raise RuntimeError(f"{method} through {dest}: the reply differs from the argument")
            return 1
        return op

    struct = ("bench-struct", bench_dict(5), [f"item{i}" for i in range(10)])
    workloads = {
        "ping": lambda: lambda check: call(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.Peer", "Ping", "", []
        ) or 1,
        "echo": lambda: echo(ZBUS, "Echo", "s", ECHO_TEXT),
        "echo_py": lambda: echo(PYTHON, "Echo", "s", ECHO_TEXT),
        "dict20": lambda: echo(ZBUS, "EchoDict", "a{sv}", bench_dict(20)),
        "ai100k": lambda: echo(ZBUS, "EchoAi", "ai", list(range(100_000))),
        "ay1m": lambda: echo(ZBUS, "EchoAy", "ay", bytes(i % 256 for i in range(1 << 20)), True),
        # dbus-python gives a struct back as a tuple and takes one as a tuple.
        "struct": lambda: echo(ZBUS, "EchoStruct", "(sa{sv}as)", struct),
    }

    print(json.dumps({"ready": True, "dbus_python": dbus.__version__}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if len(words) != 2:
            continue
        workload, seconds = words[0], float(words[1])
        if workload not in workloads:
            print(json.dumps({"workload": workload, "skip": "not a workload of this client"}), flush=True)
            continue
        try:
            op = workloads[workload]()
            start = time.monotonic()
            op(True)
            while time.monotonic() - start < min(seconds, 1.0) / 10:
                op(False)
            t0, c0 = time.monotonic(), cpu()
            calls = ops = 0
            while ops < 3 or time.monotonic() - t0 < seconds:
                calls += op(False)
                ops += 1
            result = {"workload": workload, "calls": calls, "seconds": time.monotonic() - t0,
                      "cpu_seconds": cpu() - c0}
        except Exception as e:  # reported to the driver, which shows it in the table
            result = {"workload": workload, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
