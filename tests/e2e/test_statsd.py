"""End to end: StatsD, DogStatsD and Graphite into the real binary, from real client libraries.

Clients: hot-shots and statsd-client (npm, pinned in package.json, run with `node` from
clients/), and Debian's python3-statsd (run with /usr/bin/python3). Raw sockets cover what
clients cannot send on purpose: exact sample rates, bad bytes, split and oversized datagrams.

Every test: start a server with a 1 s flush grid, send, wait (bounded) until /metrics counts
every line, stop it with SIGTERM (the final flush writes the rest), read the store with
`plumbline export`, and compare exact values: the LAST sample of cumulative series (counters,
timer count/sum/buckets), the held value of gauges, the one non-zero window of sets. Senders
start just after a grid tick so that one flush window holds all they send (window-scoped
figures, set sizes and quantiles, depend on it).
"""
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import time
import unittest

from harness import Server, http, run_cli

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = os.path.join(HERE, "clients")
NODE_MODULES = os.path.join(HERE, "node_modules")
DEBIAN_PYTHON = "/usr/bin/python3"  # python3-statsd lives there, not in a pyenv python3
FLUSH_MS = 1000
WAIT_S = 20  # bound on every wait for the server

DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
DEFAULT_QUANTILES = (0.5, 0.9, 0.99)
BAD_REASONS = ("no_value", "bad_name", "bad_value", "no_type", "bad_type", "bad_rate", "bad_tags",
               "bad_timestamp", "bad_field", "bad_event", "bad_service_check", "bad_graphite",
               "too_long")

EXPORT_LINE = re.compile(r'^(\S+?)(\{.*\})? (\S+) (-?\d+)$')
METRICS_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')


# --- expected series -------------------------------------------------------------------------

def _escape(value):
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def series(name, labels=None):
    """The text `plumbline export` prints for a series: labels sorted by name."""
    if not labels:
        return name
    return name + "{" + ",".join('%s="%s"' % (k, _escape(v)) for k, v in sorted(labels.items())) + "}"


def bound(x):
    """A bucket bound or quantile as the collector writes it: shortest form, "1" not "1.0"."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


class Approx:
    """A value derived from ms -> s (the collector multiplies by 0.001): equal to within 1e-12."""

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return math.isclose(other, self.value, rel_tol=1e-12, abs_tol=1e-15)

    def __repr__(self):
        return "~%r" % self.value


class SetSize:
    """A set: written every flush, the distinct members of that window; all arrived in one."""

    def __init__(self, size):
        self.size = size

    def __repr__(self):
        return "set of %d" % self.size


class WindowQuantile:
    """A per-flush quantile of values sent one after another: a loaded machine can delay the
    client across a flush tick, and then the last window holds only the last values sent. Which
    ones is known exactly: the cumulative _count's rise at the quantile's last timestamp. The
    expectation is the nearest-rank quantile of those values (all of them when not split)."""

    def __init__(self, values, q, count_key, weighted, approx):
        self.values, self.q, self.count_key, self.weighted, self.approx = values, q, count_key, weighted, approx

    def expected(self, exported, t_last):
        tail = self.values
        counts = exported.get(self.count_key, [])
        at = [v for t, v in counts if t == t_last]
        before = [v for t, v in counts if t < t_last]
        if not self.weighted and at:
            k = int(round(at[0] - (before[-1] if before else 0)))
            if 1 <= k < len(self.values):
                tail = self.values[-k:]
        ordered = sorted(tail)
        v = ordered[max(math.ceil(self.q * len(ordered)), 1) - 1]
        return Approx(v) if self.approx else v

    def __repr__(self):
        return "quantile %s of the last window of %r" % (bound(self.q), self.values)


def observer(name, values, labels=None, weights=None, buckets=DEFAULT_BUCKETS,
             quantiles=DEFAULT_QUANTILES, approx=False):
    """Expected last samples of a timer/histogram/distribution fed `values` (in the written unit,
    in the order sent): cumulative _count, _sum, _bucket{le} (+Inf) and nearest-rank quantiles of
    the last window (WindowQuantile)."""
    labels = dict(labels or {})
    weights = list(weights) if weights else [1.0] * len(values)
    out = {
        series(name + "_count", labels): sum(weights),
        series(name + "_sum", labels): Approx(sum(v * w for v, w in zip(values, weights))),
    }
    for b in buckets:
        out[series(name + "_bucket", dict(labels, le=bound(b)))] = sum(
            w for v, w in zip(values, weights) if v <= b)
    out[series(name + "_bucket", dict(labels, le="+Inf"))] = sum(weights)
    for q in quantiles:
        out[series(name, dict(labels, quantile=bound(q)))] = WindowQuantile(
            list(values), q, series(name + "_count", labels), any(w != 1 for w in weights), approx)
    return out


def timer_ms(name, values_ms, labels=None, weights=None):
    """A StatsD `ms` timer: written in seconds."""
    return observer(name, [v / 1000 for v in values_ms], labels, weights, approx=True)


# --- the server and what it wrote -------------------------------------------------------------

def parse_export(text):
    out = {}
    for line in text.splitlines():
        m = EXPORT_LINE.match(line)
        assert m, "unparsable export line: %r" % line
        out.setdefault(m.group(1) + (m.group(2) or ""), []).append((int(m.group(4)), float(m.group(3))))
    return out


def parse_metrics(text):
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = METRICS_LINE.match(line)
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


class StatsdServer(Server):
    """A `plumbline serve` with a 1 s flush grid and helpers to read its StatsD counters."""

    def __init__(self, extra_args=(), flush_ms=FLUSH_MS):
        super().__init__(extra_args=["--flush-interval", "%dms" % flush_ms,
                                     "--statsd-receivers", "2", *extra_args])
        self.flush_ms = flush_ms

    def metrics(self):
        status, _, body = http("GET", self.url + "/metrics")
        assert status == 200, status
        return parse_metrics(body.decode())

    def counted(self, m=None):
        """(valid lines by transport, bad lines by reason) from /metrics."""
        m = m or self.metrics()
        lines = {t: m.get('plumbline_statsd_lines_total{transport="%s"}' % t, 0) for t in ("udp", "tcp")}
        bad = {r: m.get('plumbline_statsd_bad_lines_total{reason="%s"}' % r, 0) for r in BAD_REASONS}
        return lines, bad

    def wait_counted(self, total):
        """Waits until /metrics counts `total` lines, valid or bad, on all transports; returns
        the metrics then. Fails if it does not get there, or goes past it."""
        deadline = time.monotonic() + WAIT_S
        while True:
            m = self.metrics()
            lines, bad = self.counted(m)
            seen = sum(lines.values()) + sum(bad.values())
            if seen == total:
                return m
            if seen > total or time.monotonic() > deadline:
                raise AssertionError("server counted %d lines, expected %d: %r %r\n%s"
                                     % (seen, total, lines, bad, self.log()))
            time.sleep(0.1)

    def wait_metric(self, name, value):
        """Waits until /metrics shows `name` at `value` (figures the flusher sets, such as events
        written: the line counts are published at a tick, possibly before their window is
        flushed)."""
        deadline = time.monotonic() + WAIT_S
        while True:
            m = self.metrics()
            if m.get(name) == value:
                return m
            if time.monotonic() > deadline:
                raise AssertionError("%s is %r, expected %r" % (name, m.get(name), value))
            time.sleep(0.1)

    def stop_and_export(self):
        code = self.stop()
        assert code == 0, "exit %r\n%s" % (code, self.log())
        r = run_cli("export", "--data-dir", self.data_dir, timeout=120)
        assert r.returncode == 0, r.stderr.decode()
        return parse_export(r.stdout.decode())


def send_udp(port, datagrams, sock=None):
    own = sock is None
    sock = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for d in datagrams:
            sock.sendto(d, ("127.0.0.1", port))
    finally:
        if own:
            sock.close()


def send_tcp(port, chunks, pause=0.0):
    """One connection; each chunk is one send (with `pause` between them); then close."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        for i, c in enumerate(chunks):
            if i and pause:
                time.sleep(pause)
            s.sendall(c)


def wait_for_window_start(flush_ms=FLUSH_MS):
    """Sleeps to 30 ms after the next grid tick, so what follows lands in one flush window."""
    now = time.time() * 1000
    time.sleep(((now // flush_ms + 1) * flush_ms + 30 - now) / 1000)


def run_client(argv, plan, timeout=60):
    r = subprocess.run(argv, input=json.dumps(plan).encode(), capture_output=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(argv), r.returncode,
                                                        r.stdout.decode(), r.stderr.decode()))
    return r.stdout.decode()


def run_node(script, plan):
    node = shutil.which("node")
    if node is None or not os.path.isdir(NODE_MODULES):
        raise AssertionError("node or tests/e2e/node_modules missing: run scripts/setup")
    return run_client([node, os.path.join(CLIENTS, script)], plan)


class StatsdTestCase(unittest.TestCase):
    def start(self, extra_args=(), flush_ms=FLUSH_MS):
        server = StatsdServer(extra_args, flush_ms)
        self.addCleanup(server.close)
        return server.start()

    def assertWritten(self, exported, expected, prefixes=()):
        """Each expected series' last sample (or, for a set, its one non-zero window); and no
        series under `prefixes` beyond the expected ones."""
        problems = []
        for key, want in sorted(expected.items()):
            points = exported.get(key)
            if not points:
                problems.append("missing %s (want %r)" % (key, want))
                continue
            if isinstance(want, SetSize):
                nonzero = [v for _, v in points if v != 0]
                if nonzero != [want.size]:
                    problems.append("%s: non-zero windows %r, want [%d]" % (key, nonzero, want.size))
            elif isinstance(want, WindowQuantile):
                expected_value = want.expected(exported, points[-1][0])
                if not expected_value == points[-1][1]:
                    problems.append("%s: last %r, want %r (%r)" % (key, points[-1][1], expected_value, want))
            elif not want == points[-1][1]:
                problems.append("%s: last %r, want %r" % (key, points[-1][1], want))
        for key in sorted(exported):
            if key.startswith(tuple(prefixes)) and key not in expected:
                problems.append("unexpected series %s = %r" % (key, exported[key][-1][1]))
        if problems:
            problems.append("written: " + ", ".join(sorted(exported)[:80]))
        self.assertFalse(problems, "\n" + "\n".join(problems))

    def assertCounted(self, metrics, server, udp=None, tcp=None, bad=None):
        lines, bad_lines = server.counted(metrics)
        if udp is not None:
            self.assertEqual(lines["udp"], udp, "lines_total{udp}")
        if tcp is not None:
            self.assertEqual(lines["tcp"], tcp, "lines_total{tcp}")
        self.assertEqual({r: n for r, n in bad_lines.items() if n}, bad or {},
                         "bad_lines_total by reason")


# --- real clients -----------------------------------------------------------------------------

class ClientLibraryTest(StatsdTestCase):
    def test_hot_shots_dogstatsd_over_udp_every_type_tags_events_checks(self):
        server = self.start()
        latency_ms = [3, 5, 7, 12, 40, 90, 150, 300, 800, 2500, 12000]
        calls = (
            [["increment", "hs.requests", 1, None, ["route:/api", "canary"]]] * 3 +
            [["increment", "hs.requests", 5, None, {"route": "/login"}],
             ["decrement", "hs.requests", 2, None, {"route": "/login"}]] +
            [["increment", "hs.ratio", 0.25, None, None]] * 4 +
            [["gauge", "hs.queue", 10, None, None],
             ["gaugeDelta", "hs.queue", -3, None, None],
             ["gaugeDelta", "hs.queue", 5, None, None],
             # Etsy semantics: a signed gauge value is a delta, so 10 then "-4" is 6.
             ["gauge", "hs.balance", 10, None, None],
             ["gauge", "hs.balance", -4, None, None],
             ["gauge", "hs.temp", 20, None, {"room": "a"}],
             ["gauge", "hs.temp", 21.5, None, {"room": "a"}],
             ["gauge", "hs.temp", 18, None, {"room": "b"}]] +
            [["timing", "hs.latency", v, None, {"endpoint": "search"}] for v in latency_ms] +
            [["histogram", "hs.size", v, None, ["kind:img"]] for v in (0.003, 0.2, 7, 42)] +
            [["distribution", "hs.payload", v, None, None] for v in (1, 2, 3, 4, 5)] +
            [["set", "hs.users", m, None, None] for m in ("alice", "bob", "alice", "carol")] +
            [["unique", "hs.users", "bob", None, None],
             ["set", "hs.users", "zed", None, ["shard:2"]],
             ["event", "deploy api", "v1.2.3\nfixes login",
              {"alert_type": "success", "hostname": "web-1", "aggregation_key": "api-deploy",
               "priority": "normal", "source_type_name": "jenkins"},
              ["type:deploy", "service:api", "env:prod", "user:alice"]],
             ["event", "db failover", "primary lost", {"alert_type": "error"}, ["service:db"]],
             ["check", "hs.db", 1, {"hostname": "db-1", "message": "replication lag | 12s"},
              ["env:prod"]],
             ["check", "hs.cache", 2, None, ["env:prod"]],
             ["check", "hs.cache", 0, None, ["env:prod"]]])
        run_node("hot_shots.js", {"host": "127.0.0.1", "port": server.statsd_port, "protocol": "udp",
                                  "align_ms": FLUSH_MS, "calls": calls})
        m = server.wait_counted(len(calls))
        self.assertCounted(m, server, udp=len(calls), tcp=0)
        m = server.wait_metric("plumbline_statsd_events_written_total", 2)
        self.assertEqual(m["plumbline_statsd_events_failed_total"], 0)
        self.assertEqual(m['plumbline_statsd_datagrams_total{transport="udp"}'], len(calls))
        # The events are in the deploy log with title, text and tags, and counted in PromQL.
        status, _, body = http("GET", server.url + "/api/v1/events")
        self.assertEqual(status, 200, body)
        events = {e["type"]: e for e in json.loads(body)["data"]}
        self.assertEqual(sorted(events), ["deploy", "incident"])
        deploy = events["deploy"]
        self.assertEqual(deploy["what"], "deploy api\nv1.2.3\nfixes login")
        self.assertEqual((deploy["service"], deploy["env"], deploy["who"]), ("api", "prod", "alice"))
        self.assertEqual(deploy["tags"], {"aggregation_key": "api-deploy", "alert_type": "success",
                                          "host": "web-1", "priority": "normal",
                                          "source": "jenkins"})
        incident = events["incident"]
        self.assertEqual((incident["what"], incident["service"], incident["who"]),
                         ("db failover\nprimary lost", "db", ""))
        self.assertEqual(incident["tags"], {"alert_type": "error"})
        status, _, body = http("GET", server.url + "/api/v1/query?query=plumbline_events_total")
        self.assertEqual(status, 200, body)
        counted = {(r["metric"]["type"], r["metric"]["service"]): r["value"][1]
                   for r in json.loads(body)["data"]["result"]}
        self.assertEqual(counted, {("deploy", "api"): "1", ("incident", "db"): "1"})
        exported = server.stop_and_export()
        expected = {
            series("hs_requests", {"route": "/api", "canary": "true"}): 3,
            series("hs_requests", {"route": "/login"}): 3,
            series("hs_ratio"): 1,
            series("hs_queue"): 12,
            series("hs_balance"): 6,
            series("hs_temp", {"room": "a"}): 21.5,
            series("hs_temp", {"room": "b"}): 18,
            series("hs_users"): SetSize(3),
            series("hs_users", {"shard": "2"}): SetSize(1),
            series("statsd_service_check", {"check": "hs.db", "env": "prod"}): 1,
            series("statsd_service_check", {"check": "hs.cache", "env": "prod"}): 0,
        }
        expected.update(timer_ms("hs_latency", latency_ms, {"endpoint": "search"}))
        expected.update(observer("hs_size", [0.003, 0.2, 7, 42], {"kind": "img"}))
        expected.update(observer("hs_payload", [1, 2, 3, 4, 5]))
        self.assertWritten(exported, expected, prefixes=("hs_", "statsd_service_check"))

    def test_hot_shots_over_tcp_buffered(self):
        server = self.start()
        calls = ([["increment", "hst.jobs", 1, None, {"queue": "mail"}]] * 10 +
                 [["gauge", "hst.depth", 7, None, None],
                  ["gaugeDelta", "hst.depth", 2, None, None]] +
                 [["timing", "hst.run", v, None, None] for v in (20, 60, 2000)] +
                 [["set", "hst.workers", w, None, None] for w in ("w1", "w2", "w1")] +
                 [["distribution", "hst.bytes", 512, None, ["codec:gzip"]]])
        # maxBufferSize: several lines per TCP write, '\n'-joined.
        run_node("hot_shots.js", {"host": "127.0.0.1", "port": server.statsd_port, "protocol": "tcp",
                                  "options": {"maxBufferSize": 200, "bufferFlushInterval": 50},
                                  "align_ms": FLUSH_MS, "calls": calls})
        m = server.wait_counted(len(calls))
        self.assertCounted(m, server, udp=0, tcp=len(calls))
        exported = server.stop_and_export()
        expected = {
            series("hst_jobs", {"queue": "mail"}): 10,
            series("hst_depth"): 9,
            series("hst_workers"): SetSize(2),
        }
        expected.update(timer_ms("hst_run", [20, 60, 2000]))
        expected.update(observer("hst_bytes", [512], {"codec": "gzip"}))
        self.assertWritten(exported, expected, prefixes=("hst_",))

    def test_statsd_client_over_udp_and_tcp(self):
        server = self.start()

        def plan(prefix):
            return ([["increment", prefix + ".hits"]] +
                    [["increment", prefix + ".hits"]] * 3 +
                    [["increment", prefix + ".hits", 6],
                     ["decrement", prefix + ".hits", 3],
                     ["counter", prefix + ".bytes", 1024, {"dir": "in"}],
                     ["counter", prefix + ".bytes", 512, {"dir": "in"}],
                     ["gauge", prefix + ".conn", 50],
                     ["gaugeDelta", prefix + ".conn", -8],
                     ["gaugeDelta", prefix + ".conn", 3]] +
                    [["timing", prefix + ".db", v, {"db": "main"}] for v in (15, 25, 35, 45, 2600)] +
                    [["histogram", prefix + ".h", 300],
                     ["distribution", prefix + ".d", 0.5],
                     ["distribution", prefix + ".d", 1.5]] +
                    [["set", prefix + ".ips", ip] for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.1")])

        udp_calls = plan("scu")
        # TCP: one line first, so that the socket is connected before the buffer overflows.
        tcp_calls = plan("sct")
        tcp_calls.insert(1, ["sleep", 200])
        global_tags = {"tags": {"app": "shop"}}
        run_node("statsd_client.js", {"host": "127.0.0.1", "port": server.statsd_port,
                                      "options": global_tags, "align_ms": FLUSH_MS, "calls": udp_calls})
        run_node("statsd_client.js", {"host": "127.0.0.1", "port": server.statsd_port, "tcp": True,
                                      "options": global_tags, "align_ms": FLUSH_MS, "calls": tcp_calls})
        n = len(udp_calls)
        m = server.wait_counted(2 * n)
        self.assertCounted(m, server, udp=n, tcp=n)
        # statsd-client packs lines into datagrams of up to 1200 bytes.
        self.assertLess(m['plumbline_statsd_datagrams_total{transport="udp"}'], n)
        exported = server.stop_and_export()
        expected = {}
        for p in ("scu", "sct"):
            app = {"app": "shop"}
            expected.update({
                series(p + "_hits", app): 7,
                series(p + "_bytes", dict(app, dir="in")): 1536,
                series(p + "_conn", app): 45,
                series(p + "_ips", app): SetSize(2),
            })
            expected.update(timer_ms(p + "_db", [15, 25, 35, 45, 2600], dict(app, db="main")))
            expected.update(observer(p + "_h", [300], app))
            expected.update(observer(p + "_d", [0.5, 1.5], app))
        self.assertWritten(exported, expected, prefixes=("scu_", "sct_"))

    def test_python_statsd_over_udp_and_tcp(self):
        if not os.path.exists(DEBIAN_PYTHON) or subprocess.run(
                [DEBIAN_PYTHON, "-c", "import statsd"], capture_output=True).returncode != 0:
            raise AssertionError("Debian's python3-statsd is missing: run scripts/setup")
        server = self.start()

        def calls():
            return ([["incr", "hits"], ["incr", "hits", 4], ["decr", "hits", 2]] +
                    # The client samples with random(); seeded, and it reports what it kept.
                    [["incr", "sampled", 1, 0.5]] * 40 +
                    [["gauge", "temp", 20], ["gauge", "temp", 3, 1, True], ["gauge", "temp", -2, 1, True],
                     ["gauge", "neg", -5],  # sent as "neg:0|g\nneg:-5|g"
                     ["timing", "rt", 12.5], ["timing", "rt", 250], ["timing", "rt", 1000],
                     ["set", "visitors", "a"], ["set", "visitors", "b"], ["set", "visitors", "a"],
                     ["pipeline", [["incr", "batch"]] * 50]])

        sent = {}
        for transport, prefix in (("udp", "py"), ("tcp", "pyt")):
            out = run_client([DEBIAN_PYTHON, os.path.join(CLIENTS, "pystatsd.py")],
                             {"host": "127.0.0.1", "port": server.statsd_port, "transport": transport,
                              "prefix": prefix, "seed": 7, "align_ms": FLUSH_MS, "calls": calls()})
            sent[transport] = json.loads(out)["lines"]
        m = server.wait_counted(sum(sum(s.values()) for s in sent.values()))
        self.assertCounted(m, server, udp=sum(sent["udp"].values()), tcp=sum(sent["tcp"].values()))
        exported = server.stop_and_export()
        expected = {}
        for transport, p in (("udp", "py"), ("tcp", "pyt")):
            kept = sent[transport][p + ".sampled"]
            self.assertTrue(0 < kept < 40, kept)
            expected.update({
                series(p + "_hits"): 3,
                series(p + "_sampled"): kept * 2,  # each kept hit at @0.5 counts 2
                series(p + "_temp"): 21,
                series(p + "_neg"): -5,
                series(p + "_visitors"): SetSize(2),
                series(p + "_batch"): 50,
            })
            expected.update(timer_ms(p + "_rt", [12.5, 250, 1000]))
        self.assertWritten(exported, expected, prefixes=("py_", "pyt_"))


# --- the protocol, from raw sockets -----------------------------------------------------------

class RawProtocolTest(StatsdTestCase):
    def test_sample_rates_gauges_tags_and_packing(self):
        server = self.start()
        lines = [
            b"rate.c:1|c|@0.1",            # counts 10
            b"rate.c:2|c|@0.5",            # counts 4
            b"rate.packed:1:1:1|c|@0.25",  # DogStatsD packing: 3 values, each counts 4
            b"rate.t:100|ms|@0.5", b"rate.t:100|ms|@0.5", b"rate.t:300|ms",
            b"rate.h:4|h|@0.25",
            b"rate.g:7|g|@0.1",            # a rate means nothing to a gauge
            b"rate.s:u1|s|@0.5",           # nor to a set
            b"gauge.a:10|g", b"gauge.a:+5|g", b"gauge.a:-3|g",
            b"gauge.fresh:-3|g",           # a delta on a gauge not held yet: from 0
            b"gauge.neg:0|g\ngauge.neg:-7|g",
            b"gauge.packed:5:+1|g",
            b"tagged.c:1|c|#env:prod,canary,region:eu-west:1,my-tag:x",
            b"tagged.c:2|c|#region:eu-west:1,canary,env:prod,my-tag:x",  # same tags, other order
            b"set.m:1|s", b"set.m:01|s", b"set.m:1|s", b"set.m:a:b|s",  # members are text
        ]
        wait_for_window_start()
        send_udp(server.statsd_port, lines)
        # One counter from many source sockets, spread over both receivers (SO_REUSEPORT).
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(8)]
        try:
            for _ in range(25):
                for s in socks:
                    send_udp(server.statsd_port, [b"multi.c:1|c"], sock=s)
        finally:
            for s in socks:
                s.close()
        n_lines = sum(d.count(b"\n") + 1 for d in lines) + 200
        m = server.wait_counted(n_lines)
        self.assertCounted(m, server, udp=n_lines, tcp=0)
        exported = server.stop_and_export()
        expected = {
            series("rate_c"): 14,
            series("rate_packed"): 12,
            series("rate_h_count"): 4, series("rate_h_sum"): 16,
            series("rate_g"): 7,
            series("rate_s"): SetSize(1),
            series("gauge_a"): 12,
            series("gauge_fresh"): -3,
            series("gauge_neg"): -7,
            series("gauge_packed"): 6,
            series("tagged_c", {"env": "prod", "canary": "true", "region": "eu-west:1", "my_tag": "x"}): 3,
            series("set_m"): SetSize(3),
            series("multi_c"): 200,
        }
        # Quantiles are over the raw values; count, sum and buckets weigh each by 1/rate.
        expected.update(timer_ms("rate_t", [100, 100, 300], weights=[2, 2, 1]))
        for key, value in observer("rate_h", [4], weights=[4]).items():
            expected.setdefault(key, value)
        self.assertWritten(exported, expected,
                           prefixes=("rate_", "gauge_", "tagged_", "set_", "multi_"))

    def test_mapping_rules_glob_labels_and_drop(self):
        rules = os.path.join(self.start_tmp(), "rules.yaml")
        with open(rules, "w") as f:
            f.write('mappings:\n'
                    '- match: "svc.*.requests.*"\n'
                    '  name: "svc_requests_total"\n'
                    '  labels: {service: "$1", code: "$2"}\n'
                    '- match: "svc.*.latency"\n'
                    '  name: "svc_latency_seconds"\n'
                    '  labels: {service: "$1", job: "svc"}\n'
                    '- match: "debug.*"\n'
                    '  action: drop\n')
        server = self.start(["--mapping-file", rules])
        lines = [b"svc.api.requests.200:1|c"] * 3 + [
            b"svc.api.requests.500:1|c",
            b"svc.web.requests.200:2|c",
            b"svc.api.requests.200:1|c|#region:eu",     # tags add labels to the rule's
            b"svc.web.requests.404:1|c|#code:999",      # the rule's label wins over a tag
            b"svc.api.latency:120|ms", b"svc.api.latency:80|ms",
            b"debug.noise:1|c", b"debug.noise:5|c",     # dropped by the rule
            b"svc.api.requests:1|c",                    # 3 components: no rule, sanitised
            b"plain.name-x:1|c",
        ]
        wait_for_window_start()
        send_udp(server.statsd_port, lines)
        m = server.wait_counted(len(lines))
        self.assertCounted(m, server, udp=len(lines))
        server.wait_metric("plumbline_statsd_mapping_dropped_total", 1)  # one key, at its flush
        exported = server.stop_and_export()
        expected = {
            series("svc_requests_total", {"service": "api", "code": "200"}): 3,
            series("svc_requests_total", {"service": "api", "code": "500"}): 1,
            series("svc_requests_total", {"service": "web", "code": "200"}): 2,
            series("svc_requests_total", {"service": "api", "code": "200", "region": "eu"}): 1,
            series("svc_requests_total", {"service": "web", "code": "404"}): 1,
            series("svc_api_requests"): 1,
            series("plain_name_x"): 1,
        }
        expected.update(timer_ms("svc_latency_seconds", [120, 80], {"service": "api", "job": "svc"}))
        self.assertWritten(exported, expected, prefixes=("svc", "debug", "plain"))

    def start_tmp(self):
        import tempfile
        tmp = tempfile.TemporaryDirectory(prefix="plumbline_statsd_")
        self.addCleanup(tmp.cleanup)
        return tmp.name

    def test_graphite_plaintext_over_tcp_at_its_own_timestamps(self):
        flush_ms = 2000  # a 2 s grid, so snapping shows
        server = self.start(flush_ms=flush_ms)
        t0 = (int(time.time()) // 60) * 60 - 600  # a whole minute, 10 minutes ago
        send_tcp(server.graphite_port, [
            b"servers.web-1.cpu 42.5 %d\n" % t0,
            b"servers.web-1.cpu 43 %d\n" % (t0 + 61),       # its own slot: t0 + 60
            b"servers.web-2.cpu 7 %d.9\n" % (t0 + 1),        # fraction dropped, snapped to t0
            b"servers.web-1.mem 1024 -1\n",                  # now
            b"not a graphite line\n",
            b"servers.x notanumber %d\n" % t0,
        ])
        # A line split over two writes, and a last line without '\n' before close.
        send_tcp(server.graphite_port, [b"servers.web-3.cpu 1", b" %d\nservers.web-3.cpu 2 %d" % (t0, t0 + 120)],
                 pause=0.05)
        sent_at = int(time.time() * 1000)
        m = server.wait_counted(8)
        self.assertCounted(m, server, udp=0, tcp=6, bad={"bad_graphite": 2})
        exported = server.stop_and_export()
        t0_ms = t0 * 1000
        self.assertEqual(exported.get("servers_web_1_cpu"), [(t0_ms, 42.5), (t0_ms + 60000, 43)])
        self.assertEqual(exported.get("servers_web_2_cpu"), [(t0_ms, 7)])
        self.assertEqual(exported.get("servers_web_3_cpu"), [(t0_ms, 1), (t0_ms + 120000, 2)])
        mem = exported.get("servers_web_1_mem")
        self.assertEqual(len(mem or []), 1, mem)
        t, v = mem[0]
        self.assertEqual(v, 1024)
        self.assertEqual(t % flush_ms, 0, "a 'now' point is written on the grid")
        self.assertTrue(sent_at - flush_ms <= t <= sent_at + 3 * flush_ms, (t, sent_at))
        self.assertEqual(sorted(k for k in exported if k.startswith("servers")),
                         ["servers_web_1_cpu", "servers_web_1_mem", "servers_web_2_cpu", "servers_web_3_cpu"])

    def test_statsd_over_tcp_stream_framing(self):
        server = self.start()
        port = server.statsd_port
        wait_for_window_start()
        send_tcp(port, [b"tcp.c:1", b"|c\ntcp.c:2|c\n"], pause=0.05)     # a line split over writes
        send_tcp(port, [b"tcp.c:4|c\ntcp.g:5|g"])                         # last line without '\n'
        send_tcp(port, [b"tcp.long:" + b"x" * 70000 + b"|s\n", b"tcp.c:10|c\n"])  # over 64 KiB
        send_tcp(port, [b"tcp.c:100|c\r\n\r\n\n"])                        # CRLF and empty lines
        m = server.wait_counted(7)
        self.assertCounted(m, server, udp=0, tcp=6, bad={"too_long": 1})
        exported = server.stop_and_export()
        self.assertWritten(exported, {series("tcp_c"): 117, series("tcp_g"): 5}, prefixes=("tcp_",))

    def test_tcp_last_line_at_close_drops_its_cr_like_every_line(self):
        # Every line loses one trailing '\r' (CRLF senders); the last one of a stream, ended by
        # the close rather than by '\n', too.
        server = self.start()
        send_tcp(server.statsd_port, [b"cr.c:1|c\r\ncr.c:2|c\r"])
        send_tcp(server.graphite_port, [b"cr.g 3 -1\r\ncr.h 4 -1\r"])
        m = server.wait_counted(4)
        self.assertCounted(m, server, udp=0, tcp=4)
        exported = server.stop_and_export()
        self.assertWritten(exported, {series("cr_c"): 3, series("cr_g"): 3, series("cr_h"): 4},
                           prefixes=("cr_",))

    def test_names_and_tag_names_are_sanitised_per_character(self):
        # DESIGN.md: every CHARACTER outside [a-zA-Z0-9_:] becomes one '_' (statsd_exporter does
        # the same, rune by rune); a leading digit gets a '_' before it.
        server = self.start()
        lines = ["utf8.naïve:1|c", "日本.x:2|c", "9lives:3|c", "ns.x:4|c|#tägg:1,my-tag:y",
                 "a b/c-d:5|c"]
        send_udp(server.statsd_port, [l.encode() for l in lines])
        m = server.wait_counted(len(lines))
        self.assertCounted(m, server, udp=len(lines))
        exported = server.stop_and_export()
        self.assertWritten(exported, {
            series("utf8_na_ve"): 1,
            series("___x"): 2,
            series("_9lives"): 3,
            series("ns_x", {"t_gg": "1", "my_tag": "y"}): 4,
            series("a_b_c_d"): 5,
        })

    def test_udp_robustness_counts_every_line_exactly(self):
        server = self.start()
        port = server.statsd_port
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        valid, bad = 0, {}

        def expect(n_valid, **reasons):
            nonlocal valid
            valid += n_valid
            for r, n in reasons.items():
                bad[r] = bad.get(r, 0) + n

        # Short batches: one datagram alone (recvmmsg returns 1), then a burst mixing 20-line and
        # 1-line datagrams (short reads after long ones: stale buffer tails must not be parsed).
        send_udp(port, [b"short.c:1|c"], sock)
        expect(1)
        server.wait_counted(1)
        burst = []
        for i in range(300):
            burst.append(b"\n".join([b"short.c:1|c"] * 20) if i % 2 == 0 else b"short.c:1|c")
        send_udp(port, burst, sock)
        expect(150 * 20 + 150)
        # A line split over two datagrams is two bad lines, not one good one.
        send_udp(port, [b"split.a:1|c\nsplit.b:2", b"|c\nsplit.a:1|c"], sock)
        expect(2, no_type=1, no_value=1)
        # The largest UDP payload (65507 bytes): 6550 lines and 7 empty ones.
        big = b"big.c:1|c\n" * 6550 + b"\n" * 7
        self.assertEqual(len(big), 65507)
        send_udp(port, [big], sock)
        expect(6550)
        # Empty lines and empty datagrams.
        send_udp(port, [b"\n\n\nempty.c:1|c\n\n\r\n\n", b"", b"\n", b"\r\n"], sock)
        expect(1)
        # NUL bytes, invalid UTF-8, and every other reason, each beside a valid line.
        send_udp(port, [
            b"nul\x00name:1|c\nnul.ok:1|c\nnul.v:1\x00|c\nnul.s:a\x00b|s\nnul.t:1|c|#env:a\x00b",
            b"bad\xffname:1|c\nutf.set:\xc3\x28|s\nutf.ok:1|c\nutf.tag:1|c|#env:\xe2\x82\n"
            b"_e{3,2}:ab\xff|xy",
            b"\x00\x00\x00:1|c",
            b"nocolon\nx.nt:1\nx.bt:1|zz\nx.bv:abc|c\nx.br:1|c|@0\nx.br2:1|c|@2\nx.btag:1|c|#\n"
            b"x.bf:1|c|x:1\nx.bts:1|c|Tabc\n_sc|svc|7\n_e{5,2}:ab|cd\nx.ok:1|c",
        ], sock)
        expect(3, bad_name=3, bad_value=4, bad_tags=3, bad_event=2, no_value=1, no_type=1,
               bad_type=1, bad_rate=2, bad_field=1, bad_timestamp=1, bad_service_check=1)
        total = valid + sum(bad.values())
        m = server.wait_counted(total)
        self.assertCounted(m, server, udp=valid, tcp=0, bad=bad)
        self.assertEqual(m["plumbline_statsd_truncated_datagrams_total"], 0)
        self.assertEqual(m["plumbline_statsd_kernel_drops_total"], 0)
        self.assertEqual(http("GET", server.url + "/-/healthy")[0], 200)
        exported = server.stop_and_export()
        self.assertWritten(exported, {
            series("short_c"): 1 + 150 * 20 + 150,
            series("split_a"): 2,
            series("big_c"): 6550,
            series("empty_c"): 1,
            series("nul_ok"): 1,
            series("utf_ok"): 1,
            series("x_ok"): 1,
        }, prefixes=("short_", "split_", "big_", "empty_", "nul", "utf", "x_", "bad"))

    def test_random_bytes_never_crash_and_every_line_is_counted(self):
        server = self.start()
        rng = random.Random(42)
        alphabet = b"abc.:|@#,\n\r\x00\xff\xc3 -+0123456789cgmsdh_e{}T"

        def junk():
            return bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))

        def count_lines(data):
            """Lines the server must count: split at '\n', one trailing '\r' dropped, empty skipped."""
            return sum(1 for line in data.split(b"\n") if (line[:-1] if line.endswith(b"\r") else line))

        datagrams = [junk() for _ in range(500)]
        stream = b"".join(junk() for _ in range(200))
        send_udp(server.statsd_port, datagrams)
        send_tcp(server.statsd_port, [stream[i:i + 997] for i in range(0, len(stream), 997)])
        send_tcp(server.graphite_port, [stream])
        expected = sum(count_lines(d) for d in datagrams) + 2 * count_lines(stream)
        server.wait_counted(expected)
        send_udp(server.statsd_port, [b"after.c:5|c"])
        server.wait_counted(expected + 1)
        self.assertEqual(http("GET", server.url + "/-/healthy")[0], 200)
        exported = server.stop_and_export()
        self.assertEqual(exported["after_c"][-1][1], 5)


if __name__ == "__main__":
    unittest.main()
