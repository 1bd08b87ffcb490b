#!/usr/bin/env python3
"""Rule evaluation side by side: Plumbline vs Prometheus 2.42 on the standard data set.

Loads the standard data set (bench/gen_dataset.py) into both engines - Plumbline by an offline
`plumbline import` (then `plumbline compact`), Prometheus by `promtool tsdb create-blocks-from
openmetrics` (then its own compactions) - and starts both with the same rule file: one group,
interval 1 s, holding

  * the six standard queries Q1-Q6 of bench/query_compare.py as recording rules bench:q1 ..
    bench:q6, every selector and range pinned with the @ modifier to the data set's end, so that
    both engines evaluate over the loaded data whatever the wall clock says;
  * two alerting rules over the recorded series, with a `for` and annotations templated with
    $labels and `$value | humanize`: BenchHostSlow (bench:q5 > 300, fires for part of the hosts)
    and BenchServiceNoTraffic (bench:q2 == 0, never fires).

The file is checked with `promtool check rules` and `plumbline check rules` first. Once both
engines are loaded and quiet, the script samples /api/v1/rules on both every second for
--seconds (default 30) and prints, per engine, the median and p90 of the group's
evaluationTime and of each rule's (each evaluation counted once, by its lastEvaluation), the
ratio Plumbline/Prometheus, and the CPU seconds each process used in that window (evaluations
plus answering the sampling requests). Then it checks that the answers agree:

  * each recorded series, queried by name (/api/v1/query at the engine's latest evaluation),
    same series and values within 1e-6 relative (as bench/query_compare.py);
  * the same alerts firing in /api/v1/alerts, with the same rendered annotations and values.

The pinned time is END - 5 s by default: half the data set's 10 s sample interval off the
sample grid, where no sample sits on a window's boundary, so the answers must agree. With
--on-grid it is END itself (a multiple of the grid); there Prometheus 2.42's closed range
windows [t - r, t] hold one sample more than Plumbline's left-open (t - r, t] ones, and the
range-window rules (Q1-Q4) are expected to differ: reported as expected, not as disagreements.
Disagreements are reported, never fatal: the exit status is non-zero only when the harness
itself fails (a rule file refused, an engine that does not start, data that does not load).

Default size: --hours 24 --hosts 50 (1,000 series, 8.64 M samples), the standard data set of
bench/query_compare.py. Only the last 10 minutes before the pinned time are read by the rules, so
evaluation cost follows the series count (--hosts), not --hours; fewer hours would only shorten
promtool's backfill (~55 s of the run for 24 h on 2 cores; Plumbline's import takes ~1.5 s) and
leave Prometheus fewer blocks to compact into the layout a long-running server has. Measured on
a shared 2-core machine, a full default run takes about 2.5 minutes: data set ~15 s, backfill
~55 s, Prometheus' start-up compactions and the wait for them to settle ~25 s, the rules loaded
and both engines quiet ~15 s, the --seconds window, the checks ~1 s. Measured: --hours 2 gives
the same group evaluation times (within noise) in under a minute, for a quick check; the default
stays at the standard 24 h, which fits the budget and keeps the data and block layout of the other
side-by-side benchmarks. Fewer than 50 hosts make the per-rule times (down to ~0.1 ms) mostly
fixed overhead (at --hosts 10 both engines take ~7 ms per group evaluation).

  bench/rules_compare.py [--plumbline build/plumbline] [--hours 24] [--hosts 50] [--seconds 30]
                         [--on-grid] [--workdir DIR] [--keep]

Prometheus 2.42 + promtool come from Debian (scripts/bench-setup). Everything listens on
127.0.0.1 on free ports and is stopped by PID before the script ends, also on errors and
Ctrl-C / SIGTERM.
"""
import argparse
import datetime
import http.client
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from peers_common import (HERE, Server, free_port, generate_dataset, plumbline_args, plumbline_import_offline,
                          proc_cpu_seconds, prometheus_args, prometheus_wait_compacted, promtool_create_blocks,
                          wait_http)
from query_compare import (EXPECTED_PROM_CLOSED, OFF_GRID_S, QUERIES, REL_TOL, Engine, HarnessError, close,
                           fmt_labels, get, machine_info, version_of, wait_quiet)

GROUP = "rules_compare"
INTERVAL = "1s"
# The data set's metric names, each optionally with matchers and a range: what gets "@ T".
SELECTOR = re.compile(r"statsd_[a-z_]+(?:\{[^}]*\})?(?:\[[^\]]+\])?")
# (alert, expr over the recorded series, fires on the standard data set, annotation templates)
ALERTS = [
    ("BenchHostSlow", "bench:q5 > 300", True,
     {"summary": "host {{ $labels.host }} is slow",
      "description": "p95 latency {{ $value | humanize }} ms on {{ $labels.host }} (over 300 ms)"}),
    ("BenchServiceNoTraffic", "bench:q2 == 0", False,
     {"summary": "service {{ $labels.service }} gets no requests",
      "description": "{{ $labels.service }}: {{ $value | humanize }} requests/s"}),
]
FOR = "5s"


def record_name(qname):
    return "bench:" + qname.lower()


def pin(query, at):
    """`query` with " @ at" after every selector and range of the data set's metrics."""
    pinned, n = SELECTOR.subn(lambda m: "%s @ %s" % (m.group(0), at), query)
    if n == 0:
        raise HarnessError("no selector to pin in %s" % query)
    return pinned


def yaml_str(s):
    return json.dumps(s)  # a JSON string is a YAML double-quoted scalar


def write_rule_file(path, at):
    lines = ["groups:", "  - name: %s" % GROUP, "    interval: %s" % INTERVAL, "    rules:"]
    for qname, query, _, _ in QUERIES:
        lines += ["      - record: %s" % record_name(qname), "        expr: %s" % yaml_str(pin(query, at))]
    for alert, expr, _, annotations in ALERTS:
        lines += ["      - alert: %s" % alert, "        expr: %s" % yaml_str(expr), "        for: %s" % FOR,
                  "        labels:", "          severity: info", "        annotations:"]
        lines += ["          %s: %s" % (k, yaml_str(v)) for k, v in annotations.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def check_rule_file(args, path):
    try:
        r = subprocess.run(args + [path], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise HarnessError("%s: %s" % (" ".join(args), e))
    if r.returncode != 0:
        raise HarnessError("%s refuses %s:\n%s" % (" ".join(args), path, (r.stdout + r.stderr).strip()))
    return (r.stdout + r.stderr).strip().splitlines()[-1:] or [""]


def parse_time(s):
    """RFC 3339 (any fraction of a second) as unix seconds; None for Go's zero time (never)."""
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", s or "")
    if not m or m.group(1) == "0001":
        return None
    tz = datetime.timezone.utc if m.group(8) == "Z" else datetime.datetime.strptime(m.group(8), "%z").tzinfo
    t = datetime.datetime(*(int(g) for g in m.groups()[:6]), tzinfo=tz).timestamp()
    return t + float("0." + (m.group(7) or "0"))


def api(engine, path, params=None, timeout=10):
    """GET an API path, returns its "data"; raises ValueError or OSError."""
    try:
        status, body, _ = get(engine.port, path, params or {}, timeout=timeout)
    except http.client.HTTPException as e:
        raise OSError(str(e))
    doc = json.loads(body)
    if status != 200 or doc.get("status") != "success":
        raise ValueError("%s: HTTP %d: %s: %s" % (path, status, doc.get("errorType"), doc.get("error")))
    return doc["data"]


def the_group(engine):
    for g in api(engine, "/api/v1/rules").get("groups", []):
        if g.get("name") == GROUP:
            return g
    raise ValueError("no group %s in /api/v1/rules" % GROUP)


class Samples:
    """One engine's evaluation times (seconds), each evaluation once, keyed by its lastEvaluation."""

    def __init__(self):
        self.group = {}   # lastEvaluation -> evaluationTime
        self.rules = {}   # rule name -> {lastEvaluation: evaluationTime}
        self.health = {}  # rule name -> last (health, lastError)
        self.errors = 0

    def add(self, group):
        if parse_time(group.get("lastEvaluation")) is not None:
            self.group[group["lastEvaluation"]] = float(group["evaluationTime"])
        for r in group.get("rules", []):
            if parse_time(r.get("lastEvaluation")) is not None:
                self.rules.setdefault(r["name"], {})[r["lastEvaluation"]] = float(r["evaluationTime"])
            self.health[r["name"]] = (r.get("health"), r.get("lastError") or "")


def p90(xs):
    s = sorted(xs)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


def start_plumbline(binary, work, prom_file, rule_file, servers):
    data = os.path.join(work, "plumbline")
    wall, _, _ = plumbline_import_offline(binary, prom_file, data)
    port = free_port()
    server = Server(plumbline_args(binary, data, port, ["--rule-files", rule_file, "--evaluation-interval", INTERVAL]),
                    os.path.join(work, "plumbline.log"))
    servers.append(server)
    wait_http("http://127.0.0.1:%d/-/ready" % port)
    print("  plumbline: offline import + compact %.1f s" % wall)
    return Engine("plumbline", server, port)


def start_prometheus(work, om_file, rule_file, servers):
    data = os.path.join(work, "prom")
    wall, _, _ = promtool_create_blocks(om_file, data)
    port = free_port()
    server = Server(prometheus_args(work, data, port, rule_files=[rule_file], evaluation_interval=INTERVAL),
                    os.path.join(work, "prometheus.log"))
    servers.append(server)
    base = "http://127.0.0.1:%d" % port
    wait_http(base + "/-/ready", timeout=120)
    start = time.monotonic()
    prometheus_wait_compacted(base, none_after=90)
    print("  prometheus: promtool backfill %.1f s, compactions %.1f s" % (wall, time.monotonic() - start))
    return Engine("prometheus", server, port)


def alive(engine):
    if engine.server.proc.poll() is not None:
        raise HarnessError("%s exited with %d" % (engine.name, engine.server.proc.returncode))


def measure(engines, seconds):
    """Samples /api/v1/rules on every engine once a second for `seconds`: ({name: Samples},
    {name: CPU seconds used in the window}, window wall seconds, (load average at start, at end))."""
    samples = {e.name: Samples() for e in engines}
    load0 = loadavg()
    cpu0 = {e.name: proc_cpu_seconds(e.server.proc.pid) for e in engines}
    start = time.monotonic()
    for i in range(int(seconds)):
        for e in engines:
            alive(e)
            try:
                samples[e.name].add(the_group(e))
            except (OSError, ValueError, KeyError, TypeError):
                samples[e.name].errors += 1
        time.sleep(max(0.0, start + i + 1 - time.monotonic()))
    wall = time.monotonic() - start
    cpu = {e.name: proc_cpu_seconds(e.server.proc.pid) - cpu0[e.name] for e in engines}
    return samples, cpu, wall, (load0, loadavg())


def loadavg():
    """The machine's 1-minute load average (other users' work shares the cores)."""
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return math.nan


def wait_evaluating(engine, timeout=60):
    """Waits until the engine has evaluated the group at least twice (its rules are loaded)."""
    deadline = time.monotonic() + timeout
    seen = set()
    while time.monotonic() < deadline:
        alive(engine)
        try:
            seen.add(the_group(engine).get("lastEvaluation"))
        except (OSError, ValueError, KeyError):
            pass
        if len({s for s in seen if parse_time(s) is not None}) >= 2:
            return
        time.sleep(0.5)
    raise HarnessError("%s: group %s not evaluated within %d s" % (engine.name, GROUP, timeout))


def recorded(engine, name, at):
    """A recorded series queried by name at `at`: {labels tuple: value}, or an error string."""
    try:
        data = api(engine, "/api/v1/query", {"query": name, "time": "%.3f" % at}, timeout=60)
    except (OSError, ValueError) as e:
        return "error: %s" % e
    if data.get("resultType") != "vector":
        return "error: resultType %s" % data.get("resultType")
    return {tuple(sorted(s["metric"].items())): float(s["value"][1]) for s in data["result"]}


def compare_vectors(a, b):
    """None when two {labels: value} answers agree, else a one-line summary of how they differ."""
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    differing, worst, example = 0, -1.0, None
    for key in sorted(set(a) & set(b)):
        va, vb = a[key], b[key]
        if not close(va, vb, REL_TOL):
            differing += 1
            d = abs(va - vb) / max(abs(va), abs(vb)) if not (math.isnan(va) or math.isnan(vb)) else math.inf
            if d > worst:
                worst, example = d, (key, va, vb)
    parts = []
    if only_a:
        parts.append("%d series only in plumbline (e.g. %s)" % (len(only_a), fmt_labels(only_a[0])))
    if only_b:
        parts.append("%d series only in prometheus (e.g. %s)" % (len(only_b), fmt_labels(only_b[0])))
    if differing:
        key, va, vb = example
        parts.append("%d of %d values differ, worst rel %.3g: %s %r vs %r"
                     % (differing, len(set(a) & set(b)), worst, fmt_labels(key), va, vb))
    return "; ".join(parts) or None


def active_alerts(engine):
    """{labels tuple: (state, annotations dict, value float)}, or an error string."""
    try:
        data = api(engine, "/api/v1/alerts")
    except (OSError, ValueError) as e:
        return "error: %s" % e
    out = {}
    for a in data.get("alerts", []):
        try:
            value = float(a.get("value"))
        except (TypeError, ValueError):
            value = math.nan
        out[tuple(sorted(a["labels"].items()))] = (a.get("state"), a.get("annotations", {}), value)
    return out


def check_alerts(engines):
    """Lines comparing the engines' firing alerts; the count of unexpected findings."""
    got = {e.name: active_alerts(e) for e in engines}
    pl, pr = got["plumbline"], got["prometheus"]
    if isinstance(pl, str) or isinstance(pr, str):
        return ["alerts: CANNOT COMPARE: plumbline %s; prometheus %s"
                % (pl if isinstance(pl, str) else "ok", pr if isinstance(pr, str) else "ok")], 1
    lines, bad = [], 0
    for alert, _, fires, _ in ALERTS:
        firing = {n: {k: v for k, v in got[n].items() if dict(k).get("alertname") == alert and v[0] == "firing"}
                  for n in got}
        other = {n: sum(1 for k, v in got[n].items() if dict(k).get("alertname") == alert and v[0] != "firing")
                 for n in got}
        a, b = firing["plumbline"], firing["prometheus"]
        parts = []
        if set(a) - set(b):
            parts.append("%d firing only in plumbline (e.g. %s)" % (len(set(a) - set(b)), fmt_labels(min(set(a) - set(b)))))
        if set(b) - set(a):
            parts.append("%d firing only in prometheus (e.g. %s)" % (len(set(b) - set(a)), fmt_labels(min(set(b) - set(a)))))
        ann = [k for k in set(a) & set(b) if a[k][1] != b[k][1]]
        if ann:
            k = min(ann)
            parts.append("%d with other annotations, e.g. %s: %r vs %r" % (len(ann), fmt_labels(k), a[k][1], b[k][1]))
        val = [k for k in set(a) & set(b) if not close(a[k][2], b[k][2], REL_TOL)]
        if val:
            k = min(val)
            parts.append("%d with other values, e.g. %s: %r vs %r" % (len(val), fmt_labels(k), a[k][2], b[k][2]))
        if fires and not a and not b:
            parts.append("fires on neither engine, expected to fire")
        if not fires and (a or b):
            parts.append("fires, expected not to")
        pending = ""
        if other["plumbline"] or other["prometheus"]:
            pending = " (not firing yet: plumbline %d, prometheus %d)" % (other["plumbline"], other["prometheus"])
        if parts:
            bad += 1
            lines.append("%-22s DISAGREE: %s%s" % (alert, "; ".join(parts), pending))
        else:
            example = ""
            if a:
                k = min(a)
                example = ", e.g. %s: %s" % (dict(k).get("host") or dict(k).get("service"),
                                             json.dumps(a[k][1].get("description")))
            lines.append("%-22s agree: %d firing on both, same labels, values and annotations%s%s"
                         % (alert, len(a), example, pending))
    return lines, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plumbline", default=os.path.join(HERE, "..", "build", "plumbline"))
    ap.add_argument("--workdir")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (data, rule file and logs)")
    ap.add_argument("--hours", default="24")
    ap.add_argument("--hosts", default="50")
    ap.add_argument("--seconds", type=int, default=30, help="length of the measured window (one sample a second)")
    ap.add_argument("--on-grid", action="store_true",
                    help="pin the rules to the data's end itself, on the sample grid (expect Prometheus 2.42's "
                         "closed windows to differ), not half a sample interval before it")
    a = ap.parse_args()
    binary = os.path.abspath(a.plumbline)
    if not os.access(binary, os.X_OK):
        raise HarnessError("no plumbline binary at %s (build it, or pass --plumbline)" % binary)
    for tool in ("prometheus", "promtool"):
        if shutil.which(tool) is None:
            raise HarnessError("%s not found (scripts/bench-setup installs it)" % tool)
    if a.seconds < 3:
        raise HarnessError("--seconds must be at least 3")

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt("SIGTERM")
    signal.signal(signal.SIGTERM, on_sigterm)

    print("date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))
    print("machine: %s" % machine_info())
    print("plumbline: %s" % version_of([binary, "--version"]))
    print("prometheus: %s" % version_of(["prometheus", "--version"]))

    work = a.workdir or tempfile.mkdtemp(prefix="plumbline_rules_bench_")
    os.makedirs(work, exist_ok=True)
    servers = []
    try:
        prom, om, info = generate_dataset(work, a.hours, a.hosts)
        start_s, end_s, series = int(info["START"]), int(info["END"]), int(info["SERIES"])
        print("data set: %s series, %s samples, %s .. %s (%.0f h)"
              % (series, info["SAMPLES"], time.strftime("%Y-%m-%d %H:%M", time.gmtime(start_s)),
                 time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(end_s)), (end_s - start_s) / 3600))
        at = end_s if a.on_grid else end_s - OFF_GRID_S
        rule_file = os.path.join(work, "rules.yml")
        write_rule_file(rule_file, at)
        check_rule_file(["promtool", "check", "rules"], rule_file)
        check_rule_file([binary, "check", "rules"], rule_file)
        print("rules: group %s, interval %s, pinned @ %d (%s), accepted by promtool check rules and plumbline "
              "check rules:" % (GROUP, INTERVAL, at, "END, on the sample grid" if a.on_grid
                                else "END - %d s, off the sample grid" % OFF_GRID_S))
        for qname, query, _, _ in QUERIES:
            print("  %-8s = %s" % (record_name(qname), pin(query, "T")))
        for alert, expr, _, _ in ALERTS:
            print("  %-8s   alert %s: %s for %s" % ("", alert, expr, FOR))

        print("loading:")
        engines = [start_plumbline(binary, work, prom, rule_file, servers),
                   start_prometheus(work, om, rule_file, servers)]
        for e in engines:
            e.check_loaded(series, end_s)
            wait_evaluating(e)
        for e in engines:  # after loading: only the rule evaluations should be left (a few % of a core)
            wait_quiet(e.server.proc.pid, timeout=60, max_cpu=0.3)

        print("\nmeasuring: /api/v1/rules on both every second for %d s" % a.seconds)
        samples, cpu, wall, load = measure(engines, a.seconds)
        pl, pr = samples["plumbline"], samples["prometheus"]
        for name, s in samples.items():
            if not s.group:
                raise HarnessError("%s: no evaluation of group %s sampled (%d failed requests)"
                                   % (name, GROUP, s.errors))

        def stats(xs):
            return (statistics.median(xs) * 1000, p90(xs) * 1000) if xs else (None, None)

        def cell(ms):
            return "-" if ms is None else "%.3f" % ms

        def ratio(x, y):
            return "-" if x is None or not y else "%.2fx" % (x / y)
        rows = [("group " + GROUP, list(pl.group.values()), list(pr.group.values()))]
        for qname, _, _, _ in QUERIES:
            n = record_name(qname)
            rows.append(("%s (%s)" % (n, qname), list(pl.rules.get(n, {}).values()),
                         list(pr.rules.get(n, {}).values())))
        for alert, _, _, _ in ALERTS:
            rows.append((alert, list(pl.rules.get(alert, {}).values()), list(pr.rules.get(alert, {}).values())))
        print("\nevaluationTime, ms over the evaluations sampled (plumbline %d, prometheus %d in %.0f s):"
              % (len(pl.group), len(pr.group), wall))
        print("%-24s %-21s  %-21s  %s" % ("", "plumbline ms", "prometheus ms", "plumbline/prometheus"))
        print("%-24s %10s %10s  %10s %10s  %9s %9s" % ("rule", "median", "p90", "median", "p90", "median", "p90"))
        for label, xs, ys in rows:
            (m1, q1), (m2, q2) = stats(xs), stats(ys)
            print("%-24s %10s %10s  %10s %10s  %9s %9s" % (label, cell(m1), cell(q1), cell(m2), cell(q2),
                                                         ratio(m1, m2), ratio(q1, q2)))
        print("(a ratio below 1: Plumbline is faster; '-': no evaluation sampled)")
        print("\nCPU seconds in the %.0f s window (evaluations every %s, and answering /api/v1/rules once a second):"
              % (wall, INTERVAL))
        print("  plumbline %.2f s (%.1f%% of a core), prometheus %.2f s (%.1f%% of a core), plumbline/prometheus %s"
              % (cpu["plumbline"], 100 * cpu["plumbline"] / wall, cpu["prometheus"], 100 * cpu["prometheus"] / wall,
                 ratio(cpu["plumbline"], cpu["prometheus"])))
        for name, s in samples.items():
            evals = wall / float(INTERVAL.rstrip("s"))
            print("  %-10s %.1f ms CPU per evaluation (window CPU / %.0f evaluations) vs a mean group "
                  "evaluationTime of %.1f ms" % (name, 1000 * cpu[name] / evals, evals,
                                                1000 * statistics.mean(s.group.values())))
        print("  machine load average (1 min) at the window's start and end: %.2f, %.2f on %d cores"
              % (load[0], load[1], os.cpu_count() or 0))

        unexpected = 0
        for name, s in samples.items():
            for rule, (health, err) in sorted(s.health.items()):
                if health != "ok" or err:
                    unexpected += 1
                    print("ERROR %s: rule %s health %s: %s" % (name, rule, health, err))
            if s.errors:
                print("note: %s: %d of %d /api/v1/rules requests failed" % (name, s.errors, a.seconds))

        print("\nanswers, Plumbline vs Prometheus (each recorded series by name at the engine's latest evaluation, "
              "values within %g relative):" % REL_TOL)
        latest = {e.name: parse_time(the_group(e).get("lastEvaluation")) for e in engines}
        for qname, _, uses_window, _ in QUERIES:
            n = record_name(qname)
            got = {e.name: recorded(e, n, latest[e.name]) for e in engines}
            x, y = got["plumbline"], got["prometheus"]
            if isinstance(x, str) or isinstance(y, str):
                verdict = "CANNOT COMPARE: plumbline %s; prometheus %s" % (x if isinstance(x, str) else "ok",
                                                                          y if isinstance(y, str) else "ok")
            elif not x and not y:
                verdict = "EMPTY on both (nothing recorded)"
            else:
                diff = compare_vectors(x, y)
                if diff is None:
                    verdict = "agree (%d series)" % len(x)
                elif a.on_grid and uses_window:
                    verdict = "differ, %s: %s" % (EXPECTED_PROM_CLOSED, diff)
                else:
                    verdict = "DISAGREE: %s" % diff
            if verdict.startswith(("CANNOT", "EMPTY", "DISAGREE")):
                unexpected += 1
            print("  %-8s %s" % (n, verdict))
        print("\nalerts, Plumbline vs Prometheus (/api/v1/alerts, firing):")
        lines, bad = check_alerts(engines)
        for line in lines:
            print("  " + line)
        unexpected += bad
        print("\n%d unexpected disagreement(s) or failed rules" % unexpected)
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
    except (HarnessError, RuntimeError, subprocess.CalledProcessError) as e:
        print("rules_compare: %s" % e, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("rules_compare: interrupted", file=sys.stderr)
        sys.exit(130)
