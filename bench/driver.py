#!/usr/bin/python3
"""The bench driver: runs every client against the bus and echo services that bench/run.sh
started, interleaved, and prints the table; writes the results as JSON. See bench/README.md.

Every client is a long-lived process speaking one line protocol: it prints a {"ready": true, ...}
line once connected, then answers each "<workload> <seconds>" line on its stdin with one JSON line
{"workload", "calls", "seconds", "cpu_seconds"} (or {"skip": why} / {"error": what}). Each round
visits every workload, and inside a workload every client in turn (the starting client rotates
from round to round), so slow drifts of the machine hit all clients alike.

usage: driver.py ADDRESS [--driving]   (run by bench/run.sh, which sets the paths)
"""
import json
import os
import platform
import select
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def env(name, default, kind=str):
    value = os.environ.get(name, "")
    return kind(value) if value != "" else default


ROUNDS = env("SKYPEBUS_BENCH_ROUNDS", 7, int)
SECONDS = env("SKYPEBUS_BENCH_SECONDS", 0.4, float)
GDBUS_SECONDS = env("SKYPEBUS_BENCH_GDBUS_SECONDS", 1.0, float)
SLICES = max(1, env("SKYPEBUS_BENCH_SLICES", 4, int))
RSS_CALLS = env("SKYPEBUS_BENCH_RSS_CALLS", 1_000_000, int)
PECL = env("SKYPEBUS_BENCH_PECL_DBUS", "")
# Why there is no pecl/dbus to measure, when bench/run.sh found or built none.
PECL_WHY = env("SKYPEBUS_BENCH_PECL_WHY", "")
PHP_ARGS = env("SKYPEBUS_BENCH_PHP_ARGS", "").split()
ONLY_CLIENTS = [c for c in env("SKYPEBUS_BENCH_CLIENTS", "").split(",") if c]
ONLY_WORKLOADS = [w for w in env("SKYPEBUS_BENCH_WORKLOADS", "").split(",") if w]
RESULTS = env("SKYPEBUS_BENCH_RESULTS", os.path.join(ROOT, "bench", "results"))
ZBUS_BIN = os.path.join(ROOT, "target", "bench-zbus", "release", "skypebus-bench-zbus-client")
C_BIN = os.path.join(ROOT, "target", "bench", "call_loop")
# The same client linked to the library built with the io-experiments feature (bench/run.sh --driving).
C_EXPERIMENTS_BIN = os.path.join(ROOT, "target", "bench", "call_loop_experiments")
PHP = ["php", "-d", "ffi.enable=1", "-d", "memory_limit=1G", "-d", "display_errors=stderr"] + PHP_ARGS

# Workloads in table order: name, what it is.
WORKLOADS = [
    ("ping", "Peer.Ping to the bus driver (one hop)"),
    ("echo", "Echo(s), a short string, through the native zbus echo service"),
    ("echo_nosig", "Echo(s) without a signature: typed from introspection (C and PHP)"),
    ("echo_py", "Echo(s) through the dbus-python echo service"),
    ("dict20", "EchoDict: a{sv} with 20 entries"),
    ("struct", "EchoStruct: (sa{sv}as), 5 entries, 10 strings"),
    ("ai100k", "EchoAi: ai of 100,000 int32"),
    ("ay1m", "EchoAy: ay of 1 MiB"),
    ("ping_many", "callMany of 100 Pings (calls/s counts single calls)"),
    ("echo_many", "callMany of 100 Echo(s) (calls/s counts single calls)"),
    ("ping_async", "100 callAsync Pings settled by one stream_select loop (calls/s counts single calls)"),
    ("echo_async", "100 callAsync Echo(s) settled by one stream_select loop (calls/s counts single calls)"),
]
# Workloads of several calls at once, compared with the same client's sequential calls.
BATCHED = {"ping_many": "ping", "echo_many": "echo", "ping_async": "ping", "echo_async": "echo"}
SINGLE = ["ping", "echo", "echo_py", "dict20", "struct", "ai100k", "ay1m"]
# Only our own clients can leave the signature out.
OURS = {"echo_nosig": "echo_nosig"}


class Client:
    """One client process. `workloads` maps the table's workload names to the names the process
    knows (gdbus_ping for the gdbus client's ping, ...)."""

    def __init__(self, key, label, argv, workloads, seconds=SECONDS, extra_env=None):
        self.key, self.label, self.argv = key, label, argv
        self.workloads = dict(workloads)
        self.seconds = seconds
        self.extra_env = extra_env or {}
        self.proc = None
        self.info = {}
        self.unavailable = None  # why this client cannot run at all

    def start(self):
        e = dict(os.environ, **self.extra_env)
        # stderr goes to a file: a client that writes much there must never block on a full pipe.
        self.stderr = tempfile.TemporaryFile(mode="w+")
        try:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                env=e, cwd=ROOT, text=True, bufsize=1,
            )
        except OSError as err:
            self.unavailable = f"cannot start {self.argv[0]}: {err}"
            return
        line = self.read_line(30)
        if line is None:
            self.unavailable = "did not start: " + self.stop()
            return
        try:
            self.info = json.loads(line)
        except ValueError:
            self.unavailable = f"did not start: {line.strip()[:200]}"
            self.stop()

    def read_line(self, timeout):
        """The next line on the client's stdout that is a JSON object (anything else, such as a
        stray PHP warning, is skipped), or None after `timeout` seconds or at EOF."""
        deadline = time.monotonic() + timeout
        while True:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0, deadline - time.monotonic()))
            if not ready:
                return None
            line = self.proc.stdout.readline()
            if not line:
                return None
            if line.startswith("{"):
                return line

    def run(self, workload, fraction=1.0):
        """One measurement of `fraction` of this client's measuring time: a result dict."""
        if self.unavailable:
            return {"skip": self.unavailable}
        try:
            self.proc.stdin.write(f"{self.workloads[workload]} {self.seconds * fraction:.4f}\n")
            self.proc.stdin.flush()
        except OSError:
            self.unavailable = "exited: " + self.stop()
            return {"error": self.unavailable}
        line = self.read_line(self.seconds * 20 + 120)
        if line is None:
            self.unavailable = "no answer: " + self.stop()
            return {"error": self.unavailable}
        return json.loads(line)

    def stop(self):
        """Ends the process; returns the end of its stderr."""
        if not self.proc:
            return ""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.seek(0)
        err = self.stderr.read().strip()
        self.stderr.close()
        self.proc = None
        return err[-500:] or "(no message)"


def clients_for(address, call_many_c):
    same = {w: w for w in SINGLE}
    many = {"ping_many": "ping_many", "echo_many": "echo_many"}
    clients = [
        Client("zbus", "native zbus (typed, block_on per call)", [ZBUS_BIN, address], same),
        Client("c", "C ABI from C", [C_BIN, address],
               dict(same, **OURS, **(many if call_many_c else {}))),
        Client("php", "PHP package (FFI)", PHP + ["bench/php/client.php", address],
               dict(same, **OURS, **many, ping_async="ping_async", echo_async="echo_async")),
        Client("python", "dbus-python", ["/usr/bin/python3", "bench/python/client.py", address], same),
        Client("gdbus", "gdbus call per process (from PHP)", PHP + ["bench/php/client.php", address],
               {"ping": "gdbus_ping", "echo": "gdbus_echo"}, seconds=GDBUS_SECONDS),
    ]
    if PECL or PECL_WHY:
        clients.append(Client(
            "pecl", "pecl/dbus", PHP + ["-d", f"extension={PECL}", "bench/php/pecl_client.php"], same,
            extra_env={"DBUS_SESSION_BUS_ADDRESS": address},
        ))
        if not PECL:
            clients[-1].unavailable = PECL_WHY
    if ONLY_CLIENTS:
        clients = [c for c in clients if c.key in ONLY_CLIENTS]
    return clients


def quantiles(xs):
    """(q1, q3) of a sample (inclusive method; both the value itself for one sample)."""
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def summarize(rounds):
    """Statistics of one client's rounds of one workload, or why nothing was measured."""
    ok = [r for r in rounds if "calls" in r]
    if not ok:
        reasons = [r.get("skip") or r.get("error") for r in rounds]
        return {"measured": False, "why": next((x for x in reasons if x), "not run"),
                "error": any("error" in r for r in rounds)}
    rates = [r["calls"] / r["seconds"] for r in ok]
    cpu = [r["cpu_seconds"] / r["calls"] * 1e6 for r in ok]
    q1, q3 = quantiles(rates)
    return {
        "measured": True,
        "rounds": len(ok),
        "failed_rounds": len(rounds) - len(ok),
        "calls_per_s": {"median": statistics.median(rates), "min": min(rates), "max": max(rates),
                        "q1": q1, "q3": q3},
        "cpu_us_per_call": {"median": statistics.median(cpu), "min": min(cpu), "max": max(cpu)},
        "ms_per_call": 1000 / statistics.median(rates),
    }


def ratio(raw, a, b, workload_a, workload_b=None):
    """Median over rounds of (calls/s of a) / (calls/s of b), each pair from one round."""
    workload_b = workload_b or workload_a
    ra, rb = raw.get(a, {}).get(workload_a, []), raw.get(b, {}).get(workload_b, [])
    pairs = [x["calls"] / x["seconds"] / (y["calls"] / y["seconds"])
             for x, y in zip(ra, rb) if "calls" in x and "calls" in y]
    return statistics.median(pairs) if pairs else None


def add_up(slices):
    """One round's result from its slices: the sums, or the first skip or error."""
    bad = next((x for x in slices if "calls" not in x), None)
    if bad:
        return bad
    return {k: sum(x[k] for x in slices) for k in ("calls", "seconds", "cpu_seconds")}


def run_rounds(clients, workloads):
    raw = {c.key: {w: [] for w in workloads if w in c.workloads} for c in clients}
    for r in range(ROUNDS):
        t = time.monotonic()
        for w in workloads:
            takers = [c for c in clients if w in c.workloads]
            k = r % len(takers) if takers else 0
            takers = takers[k:] + takers[:k]
            # The clients take turns slice by slice, so that a burst of load elsewhere on the
            # machine hits them alike. `gdbus call` per process runs after the others, not among
            # them: the hundreds of processes it starts leave the machine in a state that sped up
            # (or slowed down) whichever client came next (bench/README.md, "How").
            slices = {c.key: [] for c in takers}
            turns = [c for c in takers if c.key != "gdbus"]
            for _ in range(SLICES):
                for c in turns:
                    slices[c.key].append(c.run(w, 1 / SLICES))
            for c in takers:
                if c.key == "gdbus":
                    for _ in range(SLICES):
                        slices[c.key].append(c.run(w, 1 / SLICES))
            for c in takers:
                raw[c.key][w].append(add_up(slices[c.key]))
        print(f"  round {r + 1}/{ROUNDS} done in {time.monotonic() - t:.0f} s", file=sys.stderr, flush=True)
    return raw


def fmt_rate(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def fmt_ratio(x):
    if x is None:
        return "-"
    return f"{x:.2f}x" if x >= 0.1 else f"{x:.2g}x"


def table(headers, rows, align):
    widths = [max(len(str(row[i])) for row in [headers] + rows) for i in range(len(headers))]
    def line(row):
        return "  ".join(str(v).rjust(wd) if a == "r" else str(v).ljust(wd) for v, wd, a in zip(row, widths, align))
    out = [line(headers), "  ".join("-" * wd for wd in widths)]
    out += [line(row) for row in rows]
    return "\n".join(out)


def main_table(clients, summary, raw, workloads, base_key="zbus", base_header="vs zbus"):
    """The main table; the last column compares with `base_key`'s calls/s (for *_many and *_async
    workloads, with the same client's sequential calls)."""
    rows, notes = [], {}
    for w, _ in WORKLOADS:
        if w not in workloads:
            continue
        base = base_key if w not in BATCHED else None
        for c in clients:
            if w not in c.workloads:
                continue
            s = summary[c.key][w]
            if not s["measured"]:
                reason = s["why"].strip().splitlines()[0][:160] if s["why"].strip() else "not run"
                n = notes.setdefault(reason, len(notes) + 1)
                rows.append([w, c.label, f"not measured [{n}]", "", "", "", "", ""])
                continue
            cps, cpu = s["calls_per_s"], s["cpu_us_per_call"]
            if base:
                vs = ratio(raw, c.key, base, w)
            else:
                vs = ratio(raw, c.key, c.key, w, BATCHED[w])
            rows.append([
                w, c.label, fmt_rate(cps["median"]), f"{fmt_rate(cps['min'])} - {fmt_rate(cps['max'])}",
                f"{fmt_rate(cps['q1'])} - {fmt_rate(cps['q3'])}", f"{cpu['median']:.1f}",
                f"{s['ms_per_call']:.3f}", fmt_ratio(vs),
            ])
    out = table(
        ["workload", "client", "calls/s (median)", "min - max", "IQR", "CPU us/call", "ms/call", base_header],
        rows, "llrrrrrr",
    )
    return out + "".join(f"\n[{n}] {reason}" for reason, n in notes.items())


class Targets:
    """Targets of an issue (bench, not tests), each judged on the median of the per-round values;
    "best" gives the same comparison between each side's best round (highest calls/s, lowest
    CPU), which a busy machine disturbs least."""

    def __init__(self, summary, raw):
        self.summary, self.raw, self.rows = summary, raw, []

    def stat(self, client, w):
        s = self.summary.get(client, {}).get(w, {})
        return s if s.get("measured") else None

    def add(self, what, value, best, goal, met, unit):
        row = {"target": what, "goal": goal, "measured": None, "best": None, "verdict": "not measured"}
        if value is not None:
            show = {"x": lambda v: f"{v:.3g}x", "KiB": lambda v: f"{v:,.0f} KiB"}.get(unit, lambda v: f"{v:.2f}{unit}")
            verdict = "-" if met is None else "met" if met(value) else "NOT met"
            row.update(measured=show(value), best=show(best), verdict=verdict)
        self.rows.append(row)

    def rate_ratio(self, what, a, wa, b, wb, goal, minimum):
        sa, sb = self.stat(a, wa), self.stat(b, wb)
        value = ratio(self.raw, a, b, wa, wb) if sa and sb else None
        best = sa["calls_per_s"]["max"] / sb["calls_per_s"]["max"] if value is not None else None
        self.add(what, value, best, goal, None if minimum is None else lambda v: v >= minimum, "x")

    def cpu_ratio(self, what, a, b, w, goal, maximum):
        """Client CPU per call of a over b's (medians; best: each side's lowest)."""
        sa, sb = self.stat(a, w), self.stat(b, w)
        if sa and sb:
            cpu = sa["cpu_us_per_call"]["median"] / sb["cpu_us_per_call"]["median"]
            best = sa["cpu_us_per_call"]["min"] / sb["cpu_us_per_call"]["min"]
            self.add(what, cpu, best, goal, lambda v: v <= maximum, "x")
        else:
            self.add(what, None, None, goal, None, "x")


def targets(summary, raw, rss):
    """The targets of issue 7 (the first round)."""
    t = Targets(summary, raw)
    t.rate_ratio("PHP Ping vs native zbus loop", "php", "ping", "zbus", "ping", ">= 0.85x", 0.85)
    t.cpu_ratio("PHP Ping client CPU/call vs native", "php", "zbus", "ping", "<= 1.5x", 1.5)
    t.rate_ratio("PHP Echo vs dbus-python (native echo service)", "php", "echo", "python", "echo", ">= 0.95x", 0.95)
    t.rate_ratio("PHP ai 100k vs native typed loop", "php", "ai100k", "zbus", "ai100k", ">= 0.4x", 0.4)
    s = t.stat("php", "ay1m")
    t.add("PHP ay 1 MiB round trip", s and s["ms_per_call"], s and 1000 / s["calls_per_s"]["max"], "< 10 ms",
          lambda v: v < 10, " ms")
    for client, name in (("php", "PHP"), ("c", "C")):
        for w in ("ping", "echo"):
            if client == "c" and not t.stat("c", w + "_many"):
                continue
            t.rate_ratio(f"{name} callMany of 100 vs sequential, {w}", client, w + "_many", client, w, ">= 1.5x", 1.5)
    for w in ("ping", "echo"):
        t.rate_ratio(f"PHP vs gdbus call per process, {w}", "php", w, "gdbus", w, ">= 25x", 25)
    # Issue 3: the second call to the same interface costs no extra round trip, so a call without
    # a signature (typed from cached introspection data) runs about as fast as one with it.
    for client, name in (("c", "C"), ("php", "PHP")):
        t.rate_ratio(f"{name} Echo without signature vs with", client, "echo_nosig", client, "echo",
                     "(information)", None)
    growth = rss.get("rss_growth_kib") if rss else None
    calls = rss.get("calls", RSS_CALLS) if rss else RSS_CALLS
    t.add(f"PHP RSS after {calls:,} calls minus after 10k", growth, growth, "<= 1024 KiB", lambda v: v <= 1024, "KiB")
    return t.rows


def targets_round2(summary, raw):
    """The targets of issue 16 (performance, round 2): PHP at least as fast as pecl/dbus and
    dbus-python, close to the native loop; C at least as fast as native. (callMany, gdbus and RSS
    are the first round's, above.)"""
    t = Targets(summary, raw)
    for w in ("ping", "echo", "echo_py", "dict20"):
        t.rate_ratio(f"PHP vs pecl/dbus, {w}", "php", w, "pecl", w, ">= 1.0x", 1.0)
        t.cpu_ratio(f"PHP client CPU/call vs pecl/dbus, {w}", "php", "pecl", w, "<= 1.0x", 1.0)
    for w in SINGLE:
        t.rate_ratio(f"PHP vs dbus-python, {w}", "php", w, "python", w, ">= 1.0x", 1.0)
    for w, minimum in (("ping", 0.95), ("ai100k", 0.5), ("ay1m", 0.85)):
        t.rate_ratio(f"PHP vs native zbus loop, {w}", "php", w, "zbus", w, f">= {minimum}x", minimum)
    for w in SINGLE:
        t.rate_ratio(f"C vs native zbus loop, {w}", "c", w, "zbus", w, ">= 1.0x", 1.0)
    return t.rows


def peers_table(clients, raw, workloads):
    """PHP and C against each peer, workload by workload (median of per-round ratios)."""
    keys = [c.key for c in clients]
    rows = []
    for w in SINGLE:
        if w not in workloads:
            continue
        row = [w]
        for a, b in (("php", "zbus"), ("php", "python"), ("php", "pecl"), ("c", "zbus"), ("php", "c")):
            row.append(fmt_ratio(ratio(raw, a, b, w)) if a in keys and b in keys else "-")
        rows.append(row)
    return table(["workload", "PHP/zbus", "PHP/dbus-python", "PHP/pecl", "C/zbus", "PHP/C"], rows, "lrrrrr")


def run_rss(address):
    if RSS_CALLS <= 0 or (ONLY_CLIENTS and "php" not in ONLY_CLIENTS):
        return None
    print(f"  RSS run: {RSS_CALLS:,} Echo calls from PHP", file=sys.stderr, flush=True)
    p = subprocess.run(PHP + ["bench/php/rss.php", address, str(RSS_CALLS)], cwd=ROOT,
                       capture_output=True, text=True)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": (p.stderr or p.stdout).strip()[-500:] or f"exit status {p.returncode}"}


def cpu_ticks():
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def machine():
    def load():
        with open("/proc/loadavg") as f:
            return f.read().split()[:3]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "kernel": platform.release(), "commit": commit, "loadavg_start": load(),
            "cpu_affinity": sorted(os.sched_getaffinity(0))}


def write_json(doc):
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, time.strftime("%Y%m%d-%H%M%S") + ("-driving" if doc["mode"] == "driving" else "") + ".json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return path


def main():
    address = sys.argv[1]
    driving = "--driving" in sys.argv[2:]
    meta = machine()
    meta.update(rounds=ROUNDS, seconds_per_measurement=SECONDS, slices=SLICES, gdbus_seconds=GDBUS_SECONDS)
    ticks = cpu_ticks()
    started = time.monotonic()
    if driving:
        workloads = [w for w in ("ping", "echo", "echo_py") if not ONLY_WORKLOADS or w in ONLY_WORKLOADS]
        clients = [
            Client("caller", "C, SKYPEBUS_DRIVE unset (caller drives)", [C_EXPERIMENTS_BIN, address], {w: w for w in workloads},
                   extra_env={"SKYPEBUS_DRIVE": "", "SKYPEBUS_SOCKET": ""}),
            Client("background", "C, SKYPEBUS_DRIVE=background", [C_EXPERIMENTS_BIN, address], {w: w for w in workloads},
                   extra_env={"SKYPEBUS_DRIVE": "background", "SKYPEBUS_SOCKET": ""}),
            Client("zbus_socket", "C, caller drives, SKYPEBUS_SOCKET=zbus (zbus' socket)", [C_EXPERIMENTS_BIN, address],
                   {w: w for w in workloads}, extra_env={"SKYPEBUS_DRIVE": "", "SKYPEBUS_SOCKET": "zbus"}),
        ]
    else:
        call_many_c = os.environ.get("SKYPEBUS_BENCH_C_CALL_MANY") == "1"
        clients = clients_for(address, call_many_c)
        workloads = [w for w, _ in WORKLOADS if not ONLY_WORKLOADS or w in ONLY_WORKLOADS]
    try:
        for c in clients:
            if not c.unavailable:
                c.start()
            state = c.unavailable or "ready " + json.dumps({k: v for k, v in c.info.items() if k != "ready"})
            print(f"  {c.label}: {state}", file=sys.stderr, flush=True)
        raw = run_rounds(clients, workloads)
    finally:
        for c in clients:
            c.stop()
    summary = {c.key: {w: summarize(raw[c.key][w]) for w in raw[c.key]} for c in clients}
    rss = None if driving else run_rss(address)
    meta["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    busy, total = (b - a for a, b in zip(ticks, cpu_ticks()))
    meta["cpu_busy_percent"] = round(100 * busy / max(total, 1), 1)
    meta["wall_seconds"] = round(time.monotonic() - started, 1)

    print()
    print(f"skypebus bench, {ROUNDS} interleaved rounds of {SECONDS} s per measurement in {SLICES} slices "
          f"(commit {meta['commit']})")
    print(f"machine: {meta['cpus']} CPUs, {meta['cpu_busy_percent']}% busy during the run (the bench's own "
          f"processes take about one CPU), load average {' '.join(meta['loadavg_start'])} at start, "
          f"{' '.join(meta['loadavg_end'])} at end")
    if len(meta["cpu_affinity"]) < (meta["cpus"] or 0):
        print(f"placement: the bus, the services and every client on CPU {','.join(map(str, meta['cpu_affinity']))} "
              f"only (SKYPEBUS_BENCH_CPUS)")
    print()
    doc = {"mode": "driving" if driving else "full", "meta": meta,
           "clients": {c.key: {"label": c.label, "info": c.info, "unavailable": c.unavailable} for c in clients},
           "workloads": dict(WORKLOADS), "summary": summary, "raw": raw}
    if driving:
        print(main_table(clients, summary, raw, workloads, "caller", "vs caller-driven"))
        r = {w: ratio(raw, "caller", "background", w) for w in workloads}
        print()
        for w in workloads:
            print(f"caller-driven vs background-driven, {w}: {fmt_ratio(r[w])} the calls/s (median of per-round ratios)")
        doc["ratios"] = {f"caller_vs_background_{w}": v for w, v in r.items()}
        s = {w: ratio(raw, "caller", "zbus_socket", w) for w in workloads}
        for w in workloads:
            print(f"library's read-only-watched socket vs zbus' socket, {w}: {fmt_ratio(s[w])} the calls/s")
        doc["ratios"].update({f"own_socket_vs_zbus_socket_{w}": v for w, v in s.items()})
    else:
        print(main_table(clients, summary, raw, workloads, "zbus", "vs zbus (*_many, *_async: vs sequential)"))
        print()
        print("Ratios of calls/s, median of the per-round ratios:")
        print(peers_table(clients, raw, workloads))
        print()
        if rss is None:
            print("RSS: not measured (SKYPEBUS_BENCH_RSS_CALLS=0 or PHP not selected)")
        elif "after_n" in rss:
            print(f"RSS of the PHP process (Echo calls): {rss['after_10k']['rss_kib']:,} KiB after 10k, "
                  f"{rss['after_n']['rss_kib']:,} KiB after {rss['calls']:,}: growth {rss['rss_growth_kib']:,} KiB "
                  f"(PHP heap {rss['after_10k']['php_heap_kib']:,} -> {rss['after_n']['php_heap_kib']:,} KiB; "
                  f"{rss['calls'] / rss['seconds']:,.0f} calls/s)")
        else:
            print(f"RSS: not measured: {rss.get('skip') or rss.get('error')}")
        doc["rss"] = rss
        t = targets(summary, raw, rss)
        t2 = targets_round2(summary, raw)
        doc["targets"] = t
        doc["targets_round2"] = t2
        for title, rows in (("Targets of issue 7 (bench, not tests):", t),
                            ("Targets of issue 16, round 2 (bench, not tests):", t2)):
            print()
            print(title)
            print(table(["target", "median", "best rounds", "goal", "verdict (on the median)"],
                        [[x["target"], x["measured"] or "-", x["best"] or "-", x["goal"], x["verdict"]] for x in rows],
                        "lrrll"))
            met = sum(x["verdict"] == "met" for x in rows)
            judged = sum(x["verdict"] in ("met", "NOT met") for x in rows)
            print(f"{met} of {judged} judged targets met")
    path = write_json(doc)
    print()
    print(f"results: {os.path.relpath(path, ROOT)} (wall time {meta['wall_seconds']} s)")
    failed = [f"{c.key}/{w}" for c in clients for w, s in summary[c.key].items() if not s["measured"] and s["error"]]
    if failed:
        print("errors in: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
