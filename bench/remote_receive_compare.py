#!/usr/bin/env python3
"""Remote write receivers side by side: Plumbline's POST /api/v1/write against VictoriaMetrics'
(1.79, Debian), and against VictoriaMetrics' own text import of the same samples.

bench/remote_write_loadgen (built with the project) generates --series series x --samples
samples (10 s apart, ending now), encodes every request (protobuf + snappy, --batch samples
each, time step after time step as a scraping Prometheus sends them) before its clock starts,
and sends them over --connections keep-alive connections, each series on one connection in
time order. Each receiver gets a fresh data directory and process, and the same samples:

  plumbline rw     Plumbline, remote write           (the figure of this benchmark)
  vm rw            VictoriaMetrics, remote write     (the same protocol, the peer)
  vm import        VictoriaMetrics, /api/v1/import/prometheus of the same samples as text
  plumbline import Plumbline, the same text import   (for reference)

Per receiver: wall seconds from the first request to the last answer, samples/s, and the
server's CPU seconds per million samples (utime + stime from /proc, measured from before the
load to 3 s after it, so background work the load caused is counted). Then every receiver is
asked `sum(count_over_time({__name__=~"rw_bench_.+"}[W]))` over the whole span: each must hold
every sample. Prints a table and the ratios Plumbline / VictoriaMetrics.

  python3 bench/remote_receive_compare.py [--plumbline build/plumbline]
      [--loadgen build/bench/remote_write_loadgen] [--series 1000] [--samples 8640]
      [--batch 2000] [--connections 2]
Standard library only. Servers run on loopback free ports and are stopped by PID.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers_common import (Server, free_port, plumbline_args, post_file, proc_cpu_seconds,  # noqa: E402
                          victoriametrics_args, wait_http)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def count_samples(base, end_ms, window_s):
    q = 'sum(count_over_time({__name__=~"rw_bench_.+"}[%ds]))' % window_s
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": "%.3f" % (end_ms / 1000)})
    with urllib.request.urlopen(url, timeout=120) as r:
        result = json.load(r)["data"]["result"]
    return int(float(result[0]["value"][1])) if result else 0


def run_one(name, work, args, end_ms, load):
    data = os.path.join(work, name.replace(" ", "_"))
    port = free_port()
    server = Server(SERVERS[name.split()[0]](data, port), os.path.join(work, name.replace(" ", "_") + ".log"))
    base = "http://127.0.0.1:%d" % port
    try:
        wait_http(base + ("/-/ready" if name.startswith("plumbline") else "/health"))
        time.sleep(1)
        cpu0 = proc_cpu_seconds(server.proc.pid)
        wall = load(base, port)
        time.sleep(3)
        cpu = proc_cpu_seconds(server.proc.pid) - cpu0
        if name.startswith("vm"):
            urllib.request.urlopen(base + "/internal/force_flush", timeout=60).read()
        window_s = args.samples * 10
        deadline = time.monotonic() + 60
        while True:
            held = count_samples(base, end_ms, window_s)
            if held == args.series * args.samples or time.monotonic() > deadline:
                break
            time.sleep(1)
        return {"wall": wall, "cpu": cpu, "held": held}
    finally:
        server.stop()


SERVERS = {}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plumbline", default=os.path.join(ROOT, "build/plumbline"))
    ap.add_argument("--loadgen", default=os.path.join(ROOT, "build/bench/remote_write_loadgen"))
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=8640)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--connections", type=int, default=2)
    args = ap.parse_args()

    SERVERS["plumbline"] = lambda data, port: plumbline_args(args.plumbline, data, port)
    SERVERS["vm"] = lambda data, port: victoriametrics_args(data, port) + ["-search.latencyOffset=0s"]
    end_ms = int(time.time() * 1000) // 10000 * 10000 - 60000
    total = args.series * args.samples

    with tempfile.TemporaryDirectory(prefix="plumbline_rw_bench_") as work:
        text = os.path.join(work, "samples.prom.txt")
        subprocess.run([args.loadgen, "--series", str(args.series), "--samples", str(args.samples),
                        "--end-ms", str(end_ms), "--write-text", text], check=True)

        def remote_write(base, port):
            out = subprocess.run([args.loadgen, "--url", base + "/api/v1/write", "--series", str(args.series),
                                  "--samples", str(args.samples), "--batch", str(args.batch),
                                  "--connections", str(args.connections), "--end-ms", str(end_ms)],
                                 capture_output=True, text=True)
            fields = dict(kv.split("=", 1) for kv in out.stdout.split() if "=" in kv)
            if out.returncode != 0:
                raise RuntimeError("remote_write_loadgen: %s %s" % (out.stdout, out.stderr))
            return float(fields["seconds"])

        def text_import(base, port):
            start = time.monotonic()
            post_file(port, "/api/v1/import/prometheus", text)
            return time.monotonic() - start

        results = {}
        for name, load in (("plumbline rw", remote_write), ("vm rw", remote_write),
                           ("vm import", text_import), ("plumbline import", text_import)):
            results[name] = run_one(name, work, args, end_ms, load)

    print("remote write receivers: %d series x %d samples = %.2f M samples, %d samples/request, "
          "%d connections" % (args.series, args.samples, total / 1e6, args.batch, args.connections))
    print("%-18s %12s %14s %18s %14s" % ("receiver", "wall s", "samples/s", "CPU s / M samples", "samples held"))
    for name, r in results.items():
        print("%-18s %12.2f %14.0f %18.3f %14d%s" % (name, r["wall"], total / r["wall"], r["cpu"] / (total / 1e6),
                                                   r["held"], "" if r["held"] == total else "  MISSING"))
    p, v, vi = results["plumbline rw"], results["vm rw"], results["vm import"]
    print("plumbline rw / vm rw:      samples/s %.2f   CPU per sample %.2f" %
          (v["wall"] / p["wall"], p["cpu"] / v["cpu"]))
    print("plumbline rw / vm import:  samples/s %.2f   CPU per sample %.2f" %
          (vi["wall"] / p["wall"], p["cpu"] / vi["cpu"]))
    return 0 if all(r["held"] == total for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
