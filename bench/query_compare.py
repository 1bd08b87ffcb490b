#!/usr/bin/env python3
"""Query latency side by side: Plumbline vs VictoriaMetrics vs Prometheus on the standard data set.

Loads the standard data set (bench/gen_dataset.py, as bench/storage_compare.py does) into all
three engines, then runs the six standard queries Q1-Q6 as /api/v1/query_range over the data's
24 h with step 60 s against each: one warm-up call, then the median of --runs calls (wall time
of the HTTP request, body included). Prints a table with Plumbline's ratio to each peer, then
whether the engines' answers agree (same series, values within 1e-6 relative):

  * on the standard grid (the timed answers). Two differences are expected there and are
    reported as such: VictoriaMetrics' rate() does not extrapolate (it takes the last sample
    before the window as its first point), and Prometheus 2.42's range windows are closed,
    [t - r, t], so on data sitting exactly on the 60 s step grid they hold one sample more than
    the left-open (t - r, t] windows of Prometheus 3, VictoriaMetrics and Plumbline.
  * once more with every evaluation time moved half a sample interval (5 s) off the sample
    grid, where no sample sits on a window boundary: there Plumbline must agree with
    Prometheus, and with VictoriaMetrics on everything but rate().

Disagreements are reported, never fatal: the exit status is non-zero only when the harness
itself fails (an engine does not start, the data does not load).

  bench/query_compare.py [--plumbline build/plumbline] [--hours 24] [--hosts 50] [--runs 7]
                         [--skip-prometheus] [--skip-vm] [--workdir DIR] [--keep]

Peers come from Debian (scripts/bench-setup): victoria-metrics 1.79, prometheus 2.42 + promtool.
Everything listens on 127.0.0.1 on free ports and is stopped by PID before the script ends,
also on errors and Ctrl-C / SIGTERM.
"""
import argparse
import datetime
import http.client
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from peers_common import (HERE, Server, free_port, generate_dataset, post_file, proc_cpu_seconds, prometheus_args,
                          prometheus_wait_compacted, promtool_create_blocks, victoriametrics_args,
                          victoriametrics_force_merge, wait_http)

# (name, query, uses a range window, uses rate()) - the six standard queries of
# /work/shared/bench/README.md.
QUERIES = [
    ("Q1", "sum(rate(statsd_requests_total[5m])) + sum(rate(statsd_errors[5m])) + "
           "sum(rate(statsd_queue_depth[5m])) + sum(rate(statsd_latency_ms[5m]))", True, True),
    ("Q2", "sum by (service) (rate(statsd_requests_total[5m]))", True, True),
    ("Q3", 'sum(rate(statsd_requests_total{host=~"h0[0-2].*"}[5m]))', True, True),
    ("Q4", "sum by (service) (avg_over_time(statsd_queue_depth[10m]))", True, False),
    ("Q5", "max by (host) (statsd_latency_ms)", False, False),
    ("Q6", 'statsd_requests_total{host="h007",service="api"}', False, False),
]
STEP = 60
REL_TOL = 1e-6
OFF_GRID_S = 5  # half the data set's 10 s sample interval

EXPECTED_VM_RATE = "expected: VictoriaMetrics' rate() does not extrapolate"
EXPECTED_PROM_CLOSED = "expected: Prometheus 2.42 windows [t-r, t] include the sample on t-r"
# Prometheus 3 caps rate()'s extrapolation at the counter's zero point after the threshold test,
# 2.42 before it: answers differ only where a series starts inside the window (the data's
# first RATE_WINDOW_MS).
EXPECTED_PROM_ZERO_POINT = ("expected (only in the first 5 min): Prometheus 3 applies rate()'s zero-point "
                            "cap after the extrapolation threshold, 2.42 before it")
RATE_WINDOW_MS = 5 * 60 * 1000  # Q1-Q3's [5m]


class HarnessError(Exception):
    pass


def machine_info():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%d cores (nproc), %s, %s %s" % (os.cpu_count() or 0, model, platform.system(), platform.release())


def version_of(args, package=None):
    """The first line a binary prints for its version, else its Debian package's version."""
    for cmd in (args, ["dpkg-query", "-W", "-f", "${Package} ${Version}", package or "-"]):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
            text = (r.stdout + r.stderr).strip()
            if r.returncode == 0 and text:
                return text.splitlines()[0]
        except (OSError, subprocess.TimeoutExpired):
            pass
        if package is None:
            break
    return "?"


def get(port, path, params, timeout=300):
    """GET path?params on 127.0.0.1:port: (status, body bytes, wall ms)."""
    url = path + "?" + urllib.parse.urlencode(params)
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", url)
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    return resp.status, body, (time.perf_counter() - start) * 1000


def parse_answer(status, body):
    """A query_range answer as {labels tuple: {t: v}}, or raises ValueError with the error."""
    try:
        doc = json.loads(body)
    except ValueError:
        raise ValueError("HTTP %d, not JSON: %r" % (status, body[:200]))
    if status != 200 or doc.get("status") != "success":
        raise ValueError("HTTP %d: %s: %s" % (status, doc.get("errorType"), doc.get("error")))
    data = doc["data"]
    if data["resultType"] != "matrix":
        raise ValueError("resultType %s, not matrix" % data["resultType"])
    out = {}
    for s in data["result"]:
        key = tuple(sorted(s["metric"].items()))
        out[key] = {round(float(t) * 1000): float(v) for t, v in s.get("values", [])}
    return out


def close(a, b, rel):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def fmt_labels(key):
    return "{" + ",".join('%s="%s"' % kv for kv in key) + "}"


def compare(a, b, rel=REL_TOL, from_ms=None):
    """None when the two answers agree (at and after from_ms, if given), else a one-line summary
    of how they differ."""
    if from_ms is not None:
        a = {k: {t: v for t, v in p.items() if t >= from_ms} for k, p in a.items()}
        b = {k: {t: v for t, v in p.items() if t >= from_ms} for k, p in b.items()}
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    points = differing = missing = 0
    worst, example = 0.0, None
    for key in sorted(set(a) & set(b)):
        pa, pb = a[key], b[key]
        missing += len(set(pa) ^ set(pb))
        for t in sorted(set(pa) & set(pb)):
            points += 1
            va, vb = pa[t], pb[t]
            if not close(va, vb, rel):
                differing += 1
                d = abs(va - vb) / max(abs(va), abs(vb)) if not (math.isnan(va) or math.isnan(vb)) else math.inf
                if d > worst or example is None:
                    worst, example = d, (key, t, va, vb)
    if not (only_a or only_b or differing or missing):
        return None
    parts = []
    if only_a:
        parts.append("%d series only in the first (e.g. %s)" % (len(only_a), fmt_labels(only_a[0])))
    if only_b:
        parts.append("%d series only in the second (e.g. %s)" % (len(only_b), fmt_labels(only_b[0])))
    if missing:
        parts.append("%d timestamps in one only" % missing)
    if differing:
        key, t, va, vb = example
        parts.append("%d of %d points differ, worst rel %.3g: %s @%.3f %r vs %r"
                     % (differing, points, worst, fmt_labels(key), t / 1000, va, vb))
    return "; ".join(parts)


def wait_quiet(pid, timeout=180, window=3.0, max_cpu=0.05):
    """Waits until process `pid` uses less than max_cpu cores over `window` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c0 = proc_cpu_seconds(pid)
        time.sleep(window)
        if (proc_cpu_seconds(pid) - c0) / window < max_cpu:
            return
    print("  (still busy after %d s; measuring anyway)" % timeout)


class Engine:
    def __init__(self, name, server, port):
        # server: the peers_common.Server holding the process; port: its HTTP API on 127.0.0.1.
        self.name, self.server, self.port = name, server, port

    def check_loaded(self, series, end_s, timeout=120):
        """Waits until all `series` of the data set answer an instant query at the data's end."""
        q = 'count({__name__=~"statsd_.+"})'
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            if self.server.proc.poll() is not None:
                raise HarnessError("%s exited with %d" % (self.name, self.server.proc.returncode))
            try:
                status, body, _ = get(self.port, "/api/v1/query", {"query": q, "time": end_s - 10}, timeout=60)
                doc = json.loads(body)
                if status == 200 and doc.get("status") == "success":
                    result = doc["data"]["result"]
                    got = int(float(result[0]["value"][1])) if result else 0
                    if got == series:
                        return
            except (OSError, ValueError, KeyError, http.client.HTTPException):
                pass
            time.sleep(1)
        raise HarnessError("%s: %s series visible after %d s, want %d" % (self.name, got, timeout, series))


def start_plumbline(binary, work, prom_file, servers):
    port = free_port()
    server = Server([binary, "serve", "--data-dir", os.path.join(work, "plumbline"), "--retention", "3650d",
                     "--http-listen", "127.0.0.1:%d" % port,
                     "--statsd-listen", "127.0.0.1:%d" % free_port(),
                     "--graphite-listen", "127.0.0.1:%d" % free_port(),
                     # only the standard data set in the store: no self-scraped series
                     "--self-scrape-interval", "off"],
                    os.path.join(work, "plumbline.log"))
    servers.append(server)
    wait_http("http://127.0.0.1:%d/-/ready" % port)
    start = time.monotonic()
    post_file(port, "/api/v1/import/prometheus", prom_file)
    print("  plumbline: imported over HTTP in %.2f s" % (time.monotonic() - start))
    wait_quiet(server.proc.pid)
    return Engine("plumbline", server, port)


def start_victoriametrics(work, prom_file, servers):
    port = free_port()
    server = Server(victoriametrics_args(os.path.join(work, "vm"), port), os.path.join(work, "vm.log"))
    servers.append(server)
    base = "http://127.0.0.1:%d" % port
    wait_http(base + "/health")
    start = time.monotonic()
    post_file(port, "/api/v1/import/prometheus", prom_file)
    urllib.request.urlopen(base + "/internal/force_flush", timeout=120).read()
    victoriametrics_force_merge(base)
    print("  victoriametrics: imported, flushed and merged in %.1f s" % (time.monotonic() - start))
    wait_quiet(server.proc.pid)
    return Engine("victoriametrics", server, port)


def start_prometheus(work, om_file, servers):
    data = os.path.join(work, "prom")
    wall, _, _ = promtool_create_blocks(om_file, data)
    port = free_port()
    server = Server(prometheus_args(work, data, port), os.path.join(work, "prometheus.log"))
    servers.append(server)
    base = "http://127.0.0.1:%d" % port
    wait_http(base + "/-/ready", timeout=120)
    start = time.monotonic()
    prometheus_wait_compacted(base, none_after=90)
    print("  prometheus: promtool backfill %.1f s, compactions %.1f s" % (wall, time.monotonic() - start))
    wait_quiet(server.proc.pid)
    return Engine("prometheus", server, port)


def time_query(engine, query, start_s, end_s, runs):
    """(median ms or None, parsed answer or error text)."""
    params = {"query": query, "start": start_s, "end": end_s, "step": STEP}
    if engine.name == "victoriametrics":
        params["nocache"] = 1
    times, last = [], None
    for _ in range(runs + 1):  # the first call warms up
        try:
            status, body, ms = get(engine.port, "/api/v1/query_range", params)
        except (OSError, http.client.HTTPException) as e:
            if engine.server.proc.poll() is not None:
                raise HarnessError("%s exited with %d during %s" % (engine.name, engine.server.proc.returncode,
                                                                     query))
            return None, "request failed: %s" % e
        times.append(ms)
        last = (status, body)
    try:
        answer = parse_answer(*last)
    except ValueError as e:
        return None, str(e)
    return statistics.median(times[1:]), answer


def one_answer(engine, query, start_s, end_s):
    params = {"query": query, "start": start_s, "end": end_s, "step": STEP}
    if engine.name == "victoriametrics":
        params["nocache"] = 1
    try:
        return parse_answer(*get(engine.port, "/api/v1/query_range", params)[:2])
    except (OSError, http.client.HTTPException, ValueError) as e:
        return "error: %s" % e


def agreement(name, uses_window, uses_rate, answers, on_grid, data_start_ms):
    """Lines describing how Plumbline's answer compares with each peer's."""
    lines = []
    pl = answers.get("plumbline")
    for peer in ("victoriametrics", "prometheus"):
        if peer not in answers or pl is None:
            continue
        other = answers[peer]
        if isinstance(pl, str) or isinstance(other, str):
            lines.append("%s %-5s plumbline vs %-15s CANNOT COMPARE: plumbline %s; %s %s"
                         % (name, "grid" if on_grid else "off", peer,
                            pl if isinstance(pl, str) else "ok", peer, other if isinstance(other, str) else "ok"))
            continue
        diff = compare(pl, other)
        expected = None
        if peer == "victoriametrics" and uses_rate:
            expected = EXPECTED_VM_RATE
        elif peer == "prometheus" and uses_window and on_grid:
            expected = EXPECTED_PROM_CLOSED
        elif (peer == "prometheus" and uses_rate and diff
              and not compare(pl, other, from_ms=data_start_ms + RATE_WINDOW_MS)):
            expected = EXPECTED_PROM_ZERO_POINT
        if diff is None:
            verdict = "agree (%d series, %d points)" % (len(pl), sum(len(p) for p in pl.values()))
        elif expected:
            verdict = "differ, %s: %s" % (expected, diff)
        else:
            verdict = "DISAGREE: %s" % diff
        lines.append("%s %-5s plumbline vs %-15s %s" % (name, "grid" if on_grid else "off", peer, verdict))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plumbline", default=os.path.join(HERE, "..", "build", "plumbline"))
    ap.add_argument("--workdir")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (data and logs)")
    ap.add_argument("--skip-prometheus", action="store_true")
    ap.add_argument("--skip-vm", action="store_true")
    ap.add_argument("--hours", default="24")
    ap.add_argument("--hosts", default="50")
    ap.add_argument("--runs", type=int, default=7, help="timed calls per query and engine (after one warm-up)")
    a = ap.parse_args()
    binary = os.path.abspath(a.plumbline)
    if not os.access(binary, os.X_OK):
        raise HarnessError("no plumbline binary at %s (build it, or pass --plumbline)" % binary)
    for tool, skip in (("victoria-metrics", a.skip_vm), ("prometheus", a.skip_prometheus),
                       ("promtool", a.skip_prometheus)):
        if not skip and shutil.which(tool) is None:
            raise HarnessError("%s not found (scripts/bench-setup installs it)" % tool)

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt("SIGTERM")
    signal.signal(signal.SIGTERM, on_sigterm)

    print("date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))
    print("machine: %s" % machine_info())
    print("plumbline: %s" % version_of([binary, "--version"]))
    if not a.skip_vm:
        print("victoriametrics: %s" % version_of(["victoria-metrics", "-version"], "victoria-metrics"))
    if not a.skip_prometheus:
        print("prometheus: %s" % version_of(["prometheus", "--version"]))

    work = a.workdir or tempfile.mkdtemp(prefix="plumbline_query_bench_")
    os.makedirs(work, exist_ok=True)
    servers = []
    try:
        prom, om, info = generate_dataset(work, a.hours, a.hosts)
        start_s, end_s, series = int(info["START"]), int(info["END"]), int(info["SERIES"])
        print("data set: %s series, %s samples, %s .. %s (%.0f h)"
              % (series, info["SAMPLES"], time.strftime("%Y-%m-%d %H:%M", time.gmtime(start_s)),
                 time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(end_s)), (end_s - start_s) / 3600))
        print("loading:")
        engines = [start_plumbline(binary, work, prom, servers)]
        if not a.skip_vm:
            engines.append(start_victoriametrics(work, prom, servers))
        if not a.skip_prometheus:
            engines.append(start_prometheus(work, om, servers))
        for e in engines:
            e.check_loaded(series, end_s)

        medians, errors, notes = {}, [], []
        print("\nquery_range over the data's %.0f h, step %d s: one warm-up call, then the median of %d"
              % ((end_s - start_s) / 3600, STEP, a.runs))
        for name, query, uses_window, uses_rate in QUERIES:
            answers = {}
            for e in engines:
                medians[(name, e.name)], answers[e.name] = time_query(e, query, start_s, end_s, a.runs)
                if medians[(name, e.name)] is None:
                    errors.append("%s on %s: %s" % (name, e.name, answers[e.name]))
                    answers[e.name] = "error: " + answers[e.name]
            notes += agreement(name, uses_window, uses_rate, answers, True, start_s * 1000)
            off = {e.name: one_answer(e, query, start_s + OFF_GRID_S, end_s + OFF_GRID_S) for e in engines}
            notes += agreement(name, uses_window, uses_rate, off, False, start_s * 1000)

        def cell(ms):
            return "-" if ms is None else "%.1f" % ms

        def ratio(x, y):
            return "-" if x is None or not y else "%.2fx" % (x / y)
        print("\n%-5s %12s %16s %12s %14s %16s" % ("query", "plumbline ms", "victoriametrics ms", "prometheus ms",
                                                  "plumbline/vm", "plumbline/prom"))
        for name, _, _, _ in QUERIES:
            pl, vm, pr = (medians.get((name, n)) for n in ("plumbline", "victoriametrics", "prometheus"))
            print("%-5s %12s %18s %13s %14s %16s" % (name, cell(pl), cell(vm), cell(pr), ratio(pl, vm), ratio(pl, pr)))
        print("(median wall ms of one HTTP request; '-': skipped or failed; a ratio below 1: Plumbline is faster)")
        for line in errors:
            print("ERROR " + line)
        print("\nanswers, Plumbline vs each peer (values within %g relative; grid: the timed answers; off: every "
              "time %d s off the sample grid):" % (REL_TOL, OFF_GRID_S))
        for line in notes:
            print("  " + line)
        unexpected = len(errors) + sum(1 for n in notes if "DISAGREE" in n or "CANNOT COMPARE" in n)
        print("\n%d unexpected disagreement(s) or failed queries" % unexpected)
    finally:
        for s in reversed(servers):
            s.stop()
        if not a.keep and not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
        elif a.keep:
            print("work dir kept: %s" % work)


if __name__ == "__main__":
    try:
        main()
    except HarnessError as e:
        print("query_compare: %s" % e, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("query_compare: interrupted", file=sys.stderr)
        sys.exit(130)
