"""End to end: Plumbline's PromQL answers equal Prometheus 2.42's on the same data.

A small deterministic data set (4 hosts x 3 services: a counter with resets, float and integer
gauges, classic histogram buckets, an info metric and a series that stops; 2 h at 10 s) is
loaded into the real `plumbline serve` (POST /api/v1/import/prometheus) and into a real
Prometheus (`promtool tsdb create-blocks-from openmetrics`, then `prometheus` on a free
loopback port). Every query of QUERIES runs as an instant query at several times and as a
range query on both, and the answers must be equal: same result type, same label sets, same
timestamps, values within 1e-9 relative (NaN equals NaN).

Plumbline follows Prometheus 3; the data and times are chosen so that the answers of the two
versions cannot differ:
  * range windows are left-open in 3, (t - r, t], closed in 2.42: every sample sits between
    3.125 s and 4.375 s or 7.625 s and 8.875 s past a multiple of 10 s, and every evaluation
    time is 17 s or 47 s past a whole minute (so every window and lookback edge is 7 s past a
    multiple of 10 s, and no subquery step point sits on a subquery's left edge);
  * the zero point of a counter's extrapolation (moved behind the threshold test in 3) only
    matters where a series starts inside the window with a value near zero: counters and
    histogram buckets start far from zero;
  * no holt_winters (renamed in 3), no experimental functions, no names that 3 keeps and 2.42
    drops.

promtool and prometheus come from Debian's `prometheus` package (scripts/setup installs it);
without them the test fails, it is not skipped.
"""
import atexit
import ctypes
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

from harness import Server, free_port, http

START = 1767225600          # 2026-01-01T00:00:00Z, a multiple of 2 h (both keep 3650 days)
STEPS = 720                 # 2 h at 10 s
END = START + STEPS * 10
HOSTS = ["h1", "h2", "h3", "h4"]
SERVICES = ["api", "web", "db"]
REGION = {"h1": "eu", "h2": "eu", "h3": "us", "h4": "us"}
LE = ["0.05", "0.1", "0.25", "0.5", "1.5", "2.5", "7.5", "+Inf"]
REL_TOL = 1e-9

T1, T2, T3, T4, T5 = START + 137, START + 1817, START + 3617, START + 5417, START + 7217
INSTANT_TIMES = [T1, T2, T3, T4, T5]
RANGE = (START + 17, START + 7217, 60)  # 121 steps, each 17 s past a whole minute
RANGE_30S = (START + 3617, START + 5417, 30)  # 17 s and 47 s past

# Instant-vector or scalar expressions whose meaning is the same in Prometheus 2.42 and 3.
QUERIES = [
    # counters
    "rate(app_requests_total[5m])",
    "increase(app_requests_total[10m])",
    "irate(app_requests_total[1m])",
    "resets(app_requests_total[30m])",
    'rate(app_requests_total{host=~"h[12]",service!="db"}[90s])',
    "sum by (service) (rate(app_requests_total[5m]))",
    "sum without (host) (increase(app_requests_total[1h]))",
    # gauges over windows
    "delta(app_temperature_celsius[10m])",
    "idelta(app_queue_length[2m])",
    "deriv(app_temperature_celsius[20m])",
    "predict_linear(app_temperature_celsius[30m], 3600)",
    "changes(app_queue_length[15m])",
    "avg_over_time(app_temperature_celsius[10m])",
    "min_over_time(app_queue_length[7m])",
    "max_over_time(app_temperature_celsius[7m])",
    "sum_over_time(app_queue_length[5m])",
    "count_over_time(app_temperature_celsius[3m])",
    "stddev_over_time(app_temperature_celsius[15m])",
    "stdvar_over_time(app_queue_length[15m])",
    "quantile_over_time(0.9, app_temperature_celsius[20m])",
    "last_over_time(app_jobs_running[10m])",
    "present_over_time(app_jobs_running[10m])",
    "absent_over_time(app_jobs_running[10m])",
    # aggregations
    "avg without (host) (app_temperature_celsius)",
    "min by (host) (app_temperature_celsius)",
    "max by (service) (app_queue_length) - min by (service) (app_queue_length)",
    "count by (service) (app_temperature_celsius > 20)",
    "stddev by (service) (app_temperature_celsius)",
    "stdvar without (service) (app_queue_length)",
    "topk(3, app_temperature_celsius)",
    "bottomk by (service) (1, app_temperature_celsius)",
    "quantile by (service) (0.75, app_temperature_celsius)",
    'count_values("qlen", app_queue_length)',
    'count_values by (service) ("qlen", app_queue_length)',
    "group by (host) (app_requests_total)",
    "count(count by (host) (app_queue_length))",
    "quantile(0.5, rate(app_requests_total[5m]))",
    "topk by (host) (1, rate(app_requests_total[5m]))",
    "bottomk(2, increase(app_request_duration_seconds_count[1h]))",
    "sum(rate(app_requests_total[5m])) without (service)",
    "count by (region) (machine_info)",
    # binary operators, vector matching, comparisons, set operators
    "app_queue_length * on(host) group_left(region) machine_info",
    "app_queue_length / ignoring(service) group_left sum without (service) (app_queue_length)",
    "sum by (host) (app_queue_length) / on(host) group_right app_queue_length",
    "app_temperature_celsius > 25",
    "app_temperature_celsius > bool 25",
    "25 < app_temperature_celsius",
    "app_queue_length == bool 10",
    "app_temperature_celsius > on(host, service) avg_over_time(app_temperature_celsius[30m])",
    "app_queue_length > 10 and app_temperature_celsius > 20",
    "rate(app_requests_total[5m]) > 30 or app_queue_length",
    "app_queue_length unless on(host, service) (app_temperature_celsius > 30)",
    "app_queue_length / (app_queue_length - app_queue_length)",
    "(app_temperature_celsius * 9 / 5 + 32) % 7",
    "2 ^ (app_queue_length / 10)",
    "app_temperature_celsius atan2 on(host, service) app_queue_length",
    "-app_temperature_celsius + 0.5",
    "app_temperature_celsius - app_temperature_celsius offset 10m",
    "app_queue_length / on() group_left sum(app_queue_length)",
    "1 + 2 * 3 - 4 / 2 % 3",
    # classic histograms
    "histogram_quantile(0.9, sum by (service, le) (rate(app_request_duration_seconds_bucket[5m])))",
    "histogram_quantile(0.5, rate(app_request_duration_seconds_bucket[10m]))",
    "histogram_quantile(0.99, sum by (le) (increase(app_request_duration_seconds_bucket[30m])))",
    "rate(app_request_duration_seconds_sum[5m]) / rate(app_request_duration_seconds_count[5m])",
    # labels
    r'label_replace(app_queue_length, "shard", "s$1", "host", "h(\\d+)")',
    'label_join(app_temperature_celsius, "id", "/", "host", "service")',
    # math
    "clamp(app_temperature_celsius, 10, 30)",
    "clamp_min(app_queue_length, 5) + clamp_max(app_queue_length, 15)",
    "round(app_temperature_celsius, 0.5)",
    "round(app_temperature_celsius)",
    "abs(app_temperature_celsius - 20)",
    "sqrt(app_temperature_celsius)",
    "ceil(app_temperature_celsius) - floor(app_temperature_celsius)",
    "exp(app_temperature_celsius / 10)",
    "ln(app_queue_length)",
    "log2(app_queue_length + 1) + log10(app_queue_length + 1)",
    "sgn(app_temperature_celsius - 25)",
    # offset, @, subqueries
    "rate(app_requests_total[5m] offset 10m)",
    "app_temperature_celsius offset 1h",
    "app_temperature_celsius @ %d" % T3,
    "sum(app_queue_length @ end())",
    "rate(app_requests_total[5m] @ start())",
    "max_over_time(rate(app_requests_total[5m])[30m:1m])",
    "avg_over_time(app_temperature_celsius[20m:2m] offset 5m)",
    "min_over_time(deriv(app_temperature_celsius[10m])[15m:30s])",
    "sum_over_time(app_queue_length[10m:])",
    "app_temperature_celsius offset -10m",
    "max_over_time(app_temperature_celsius[1h] @ %d)" % T3,
    "count_over_time(app_jobs_running[30m:1m])",
    "stddev_over_time(rate(app_requests_total[5m])[20m:1m])",
    'irate(app_request_duration_seconds_bucket{le="0.5"}[2m])',
    # absent, time, scalar, vector
    'absent(app_jobs_running{host="h2"})',
    "absent(app_requests_total)",
    'absent(nonexistent{job="x", instance=~"y.*"})',
    "time() - timestamp(app_temperature_celsius)",
    "vector(1) + scalar(sum(app_queue_length))",
    "scalar(app_jobs_running)",
    "time()",
    "hour() + minute(vector(%d))" % T4,
]


# ---------------------------------------------------------------- data


def generate():
    """{labels tuple (name first, then sorted): [(t ms, value text)]}, deterministic."""
    rng = random.Random(20260101)
    series = {}

    def times():
        # 3.125..4.375 s or 7.625..8.875 s past each multiple of 10 s, in 125 ms steps (exact
        # as float seconds in OpenMetrics text).
        base = rng.choice((3750, 8250))
        return [START * 1000 + k * 10000 + base + 125 * rng.randint(-5, 5) for k in range(STEPS)]

    def key(name, **labels):
        return tuple(sorted(dict(labels, __name__=name).items()))

    for h in HOSTS:
        series[key("machine_info", host=h, region=REGION[h])] = [(t, "1") for t in times()]
    for i, (h, s) in enumerate((h, s) for h in HOSTS for s in SERVICES):
        # Counter: far from zero at the start, one reset on two series, two on another.
        ts, v, per_step = times(), rng.randint(50000, 500000), rng.randint(5, 60)
        resets = {1: (300,), 6: (555,), 9: (200, 230)}.get(i, ())
        pts = []
        for k, t in enumerate(ts):
            v += rng.randint(0, 2 * per_step)
            if k in resets:
                v = rng.randint(0, per_step)
            pts.append((t, str(v)))
        series[key("app_requests_total", host=h, service=s)] = pts
        # Float gauge: a random walk with 6 decimals (no ties for topk/bottomk), may go below 0.
        ts, x = times(), rng.uniform(5, 45)
        pts = []
        for t in ts:
            x += rng.gauss(0, 0.4)
            pts.append((t, "%.6f" % x))
        series[key("app_temperature_celsius", host=h, service=s)] = pts
        # Integer gauge: often unchanged, sometimes 0.
        ts, q = times(), rng.randint(0, 20)
        pts = []
        for t in ts:
            if rng.random() < 0.3:
                q = max(0, q + rng.choice((-3, -2, -1, 1, 2, 3)))
            pts.append((t, str(q)))
        series[key("app_queue_length", host=h, service=s)] = pts
        # Classic histogram: cumulative buckets far from zero at the start; one series resets.
        ts = times()
        median, sigma = rng.uniform(0.1, 1.0), rng.uniform(0.5, 1.2)

        def observe(n):
            return [rng.lognormvariate(math.log(median), sigma) for _ in range(n)]
        first = observe(2000)
        counts = [10 * sum(1 for o in first if le == "+Inf" or o <= float(le)) for le in LE]
        total = 10 * sum(first)
        buckets = {le: [] for le in LE}
        sums, cnts = [], []
        for k, t in enumerate(ts):
            if i == 4 and k == 400:
                counts, total = [0] * len(LE), 0.0
            obs = observe(rng.randint(0, 20))
            for j, le in enumerate(LE):
                counts[j] += sum(1 for o in obs if le == "+Inf" or o <= float(le))
                buckets[le].append((t, str(counts[j])))
            total += sum(obs)
            sums.append((t, repr(round(total, 6))))
            cnts.append((t, str(counts[-1])))
        for le in LE:
            series[key("app_request_duration_seconds_bucket", host=h, service=s, le=le)] = buckets[le]
        series[key("app_request_duration_seconds_sum", host=h, service=s)] = sums
        series[key("app_request_duration_seconds_count", host=h, service=s)] = cnts
    # A series that stops after 50 minutes.
    series[key("app_jobs_running", host="h1")] = [(t, str(rng.randint(0, 5))) for t in times()[:300]]
    return series


FAMILIES = [  # (OpenMetrics family, type, sample names)
    ("machine_info", "gauge", ("machine_info",)),
    ("app_requests", "counter", ("app_requests_total",)),
    ("app_temperature_celsius", "gauge", ("app_temperature_celsius",)),
    ("app_queue_length", "gauge", ("app_queue_length",)),
    ("app_request_duration_seconds", "histogram",
     ("app_request_duration_seconds_bucket", "app_request_duration_seconds_sum", "app_request_duration_seconds_count")),
    ("app_jobs_running", "gauge", ("app_jobs_running",)),
]


def selector(key):
    return key[0][1] + "{" + ",".join('%s="%s"' % kv for kv in key[1:]) + "}"


def write_files(series, prom_path, om_path):
    """The same samples as Prometheus text (ms) and as OpenMetrics text (s, # EOF)."""
    with open(prom_path, "w") as fp, open(om_path, "w") as fo:
        for family, typ, names in FAMILIES:
            fo.write("# TYPE %s %s\n" % (family, typ))
            fp.write("# TYPE %s %s\n" % (names[0] if typ == "counter" else family, typ))
            for key in sorted(k for k in series if k[0][1] in names):
                sel = selector(key)
                for t, v in series[key]:
                    fp.write("%s %s %d\n" % (sel, v, t))
                    fo.write("%s %s %d.%03d\n" % (sel, v, t // 1000, t % 1000))
        fo.write("# EOF\n")


# ---------------------------------------------------------------- Prometheus 2.42


def _die_with_parent():
    """In the child: SIGTERM when the test process dies, so that no Prometheus outlives it."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Prometheus:
    """promtool's blocks served by one `prometheus` on a free loopback port, stopped by PID."""

    def __init__(self, tmp, om_path):
        self.tmp, self.data = tmp, os.path.join(tmp, "prometheus-data")
        self.proc, self.port = None, None
        r = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", om_path, self.data],
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise AssertionError("promtool tsdb create-blocks-from openmetrics failed:\n%s%s" % (r.stdout, r.stderr))
        self.config = os.path.join(tmp, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write("global:\n  scrape_interval: 1h\n  evaluation_interval: 1m\n")
        self.log_path = os.path.join(tmp, "prometheus.log")

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def start(self):
        for _ in range(3):
            self.port = free_port()
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    ["prometheus", "--config.file=" + self.config, "--storage.tsdb.path=" + self.data,
                     "--storage.tsdb.retention.time=3650d", "--web.listen-address=127.0.0.1:%d" % self.port],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if http("GET", self.url + "/-/ready", timeout=2)[0] == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.1)
            if self.proc.poll() is None or "address already in use" not in self.log():
                self.stop()
                raise AssertionError("prometheus did not become ready:\n" + self.log())
        raise AssertionError("prometheus found no free port:\n" + self.log())

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------- answers


def fetch(base, path, params):
    """The `data` of a successful API answer; raises AssertionError with the error otherwise."""
    status, _, body = http("GET", base + path + "?" + urllib.parse.urlencode(params), timeout=60)
    try:
        doc = json.loads(body)
    except ValueError:
        raise AssertionError("HTTP %d, not JSON: %r" % (status, body[:300]))
    if status != 200 or doc.get("status") != "success":
        raise AssertionError("HTTP %d %s: %s" % (status, doc.get("errorType"), doc.get("error")))
    return doc["data"]


def normalize(data):
    """(result type, {labels tuple: [(t ms, value)]}) of a query answer."""
    typ, result = data["resultType"], data["result"]
    if typ in ("scalar", "string"):
        return typ, {(): [(round(float(result[0]) * 1000), result[1])]}
    out = {}
    for s in result:
        key = tuple(sorted(s["metric"].items()))
        if key in out:
            raise AssertionError("duplicate series %s in one answer" % fmt_labels(key))
        points = [s["value"]] if typ == "vector" else s.get("values", [])
        out[key] = [(round(float(t) * 1000), v) for t, v in points]
    return typ, out


def fmt_labels(key):
    name = dict(key).get("__name__", "")
    return name + "{" + ",".join('%s="%s"' % kv for kv in key if kv[0] != "__name__") + "}"


def same_value(want, got):
    a, b = float(want), float(got)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def diff(want, got, limit=8):
    """Lines describing how `got` (Plumbline) differs from `want` (Prometheus); [] if equal."""
    (wtype, w), (gtype, g) = want, got
    if wtype != gtype:
        return ["result type: want %s, got %s" % (wtype, gtype)]
    lines = []
    for key in sorted(set(w) - set(g)):
        lines.append("missing   %s %s" % (fmt_labels(key), _points(w[key])))
    for key in sorted(set(g) - set(w)):
        lines.append("extra     %s %s" % (fmt_labels(key), _points(g[key])))
    for key in sorted(set(w) & set(g)):
        wp, gp = dict(w[key]), dict(g[key])
        bad = [t for t in sorted(set(wp) | set(gp))
               if t not in wp or t not in gp or not same_value(wp[t], gp[t])]
        if bad:
            shown = ", ".join("@%.3f want %s got %s" % (t / 1000, wp.get(t, "-"), gp.get(t, "-")) for t in bad[:3])
            lines.append("differs   %s at %d of %d points: %s%s"
                         % (fmt_labels(key), len(bad), len(set(wp) | set(gp)), shown, " ..." if len(bad) > 3 else ""))
    if len(lines) > limit:
        lines = lines[:limit] + ["... and %d more series" % (len(lines) - limit)]
    return lines


def _points(points):
    shown = " ".join("%s@%.3f" % (v, t / 1000) for t, v in points[:3])
    return shown + (" ... (%d points)" % len(points) if len(points) > 3 else "")


# ---------------------------------------------------------------- the test


_STARTED = []


def _stop_all():
    for stop in reversed(_STARTED):
        try:
            stop()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    _STARTED.clear()


atexit.register(_stop_all)


def _interrupted(signum, frame):
    # Stop the servers before anything else: temporary directories are removed at exit, and
    # a server still writing into one would leave it behind.
    _stop_all()
    raise KeyboardInterrupt(signal.Signals(signum).name)


class DifferentialTest(unittest.TestCase):
    """Plumbline (the subject) against Prometheus 2.42 (the reference)."""

    evaluations = 0
    disagreements = []

    @classmethod
    def setUpClass(cls):
        missing = [tool for tool in ("promtool", "prometheus") if shutil.which(tool) is None]
        if missing:
            raise AssertionError("%s not found: the differential test needs Prometheus 2.42 from Debian's "
                                 "`prometheus` package (scripts/setup installs it)" % " and ".join(missing))
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, _interrupted)
        cls.tmp = tempfile.TemporaryDirectory(prefix="plumbline_differential_")
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.series = generate()
        cls.prom_path = os.path.join(cls.tmp.name, "data.prom.txt")
        cls.om_path = os.path.join(cls.tmp.name, "data.om.txt")
        write_files(cls.series, cls.prom_path, cls.om_path)

        cls.reference = Prometheus(cls.tmp.name, cls.om_path)
        _STARTED.append(cls.reference.stop)
        cls.addClassCleanup(cls.reference.stop)
        cls.reference.start()
        cls.subject_url = cls.start_subject()
        for name, url in (("prometheus", cls.reference.url), ("plumbline", cls.subject_url)):
            cls.wait_loaded(name, url)

    @classmethod
    def start_subject(cls):
        """Starts Plumbline, loads the data set over HTTP, returns its base URL."""
        server = Server(extra_args=["--retention", "3650d"])
        _STARTED.append(server.close)
        cls.addClassCleanup(server.close)
        server.start()
        with open(cls.prom_path, "rb") as f:
            status, _, body = http("POST", server.url + "/api/v1/import/prometheus", f.read(), timeout=120)
        if status // 100 != 2:
            raise AssertionError("plumbline import: HTTP %d %r\n%s" % (status, body[:300], server.log()[-3000:]))
        return server.url

    @classmethod
    def wait_loaded(cls, name, url, timeout=60):
        """Until every series answers an instant query (bounded)."""
        deadline, got = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            try:
                data = fetch(url, "/api/v1/query", {"query": 'count({__name__=~"app_.+|machine_info"} @ %d)' % T2,
                                                    "time": T2})
                got = int(float(data["result"][0]["value"][1])) if data["result"] else 0
                if got == len(cls.series):
                    return
            except (AssertionError, OSError, KeyError, IndexError, ValueError):
                pass
            time.sleep(0.5)
        raise AssertionError("%s: %s of %d series visible after %d s" % (name, got, len(cls.series), timeout))

    @classmethod
    def tearDownClass(cls):
        sys.stderr.write("\ndifferential: %d queries, %d evaluations on each side, %d disagreements\n"
                         % (len(QUERIES), cls.evaluations, len(cls.disagreements)))
        for line in cls.disagreements:
            sys.stderr.write("  " + line + "\n")

    # -------------------------------------------------------- helpers

    def evaluate(self, path, params):
        """Asks both; returns (Prometheus answer, Plumbline answer or an error text)."""
        try:
            want = normalize(fetch(self.reference.url, path, params))
        except AssertionError as e:
            raise AssertionError("Prometheus refused %s %s: %s (a bad test query?)" % (path, params, e))
        try:
            got = normalize(fetch(self.subject_url, path, params))
        except AssertionError as e:
            got = str(e)
        except (KeyError, IndexError, TypeError, ValueError) as e:
            got = "malformed answer (%s: %s)" % (type(e).__name__, e)
        type(self).evaluations += 1
        return want, got

    def check(self, query):
        problems = []
        cases = [("instant @%d (+%ds)" % (t, t - START), "/api/v1/query", {"query": query, "time": t})
                 for t in INSTANT_TIMES]
        for start, end, step in (RANGE, RANGE_30S):
            cases.append(("range %d..%d step %ds" % (start - START, end - START, step), "/api/v1/query_range",
                          {"query": query, "start": start, "end": end, "step": step}))
        for label, path, params in cases:
            want, got = self.evaluate(path, params)
            lines = ["plumbline error: " + got] if isinstance(got, str) else diff(want, got)
            if lines:
                problems.append("%s\n      %s" % (label, "\n      ".join(lines)))
                type(self).disagreements.append("%s | %s | %s" % (query, label, lines[0]))
        if problems:
            self.fail("%s\n    %s" % (query, "\n    ".join(problems)))

    # -------------------------------------------------------- tests

    def test_000_both_hold_exactly_the_generated_samples(self):
        # An instant query of a range vector returns the raw samples.
        params = {"query": '{__name__=~"app_.+|machine_info"}[%ds]' % (T5 - START + 60), "time": T5}
        for name, url in (("prometheus", self.reference.url), ("plumbline", self.subject_url)):
            lines = diff(("matrix", self.series), normalize(fetch(url, "/api/v1/query", params)))
            self.assertEqual(lines, [], "%s does not hold the generated samples:\n  %s" % (name, "\n  ".join(lines)))


def _make_test(query):
    def test(self):
        self.check(query)
    test.__doc__ = query
    return test


for _i, _query in enumerate(QUERIES):
    setattr(DifferentialTest, "test_%03d" % (_i + 1), _make_test(_query))


if __name__ == "__main__":
    unittest.main()
