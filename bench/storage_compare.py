#!/usr/bin/env python3
"""Storage side by side: Plumbline vs VictoriaMetrics vs Prometheus on the standard data set.

For each engine, in one run on this machine: import wall time and CPU seconds, peak RSS, and
on-disk bytes per sample (data + index) after full compaction; then Plumbline's ratio to each.

  bench/storage_compare.py [--plumbline build/plumbline] [--workdir DIR] [--keep]
                           [--skip-prometheus] [--hours 24] [--hosts 50]

Peers come from Debian (scripts/bench-setup installs them): victoria-metrics 1.79,
prometheus 2.42 + promtool. Everything listens on 127.0.0.1 on free ports and is stopped by
PID before the script ends.
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

from peers_common import (HERE, Server, dir_bytes, free_port, generate_dataset, post_file, proc_cpu_seconds,
                          proc_peak_rss_mb, prometheus_args, prometheus_wait_compacted, promtool_create_blocks,
                          run_measured, victoriametrics_args, victoriametrics_force_merge, wait_http)


def bench_plumbline(binary, work, prom_file, samples):
    out = {}
    # Offline import into a stopped store (the backfill path), then full compaction.
    data = os.path.join(work, "plumbline-offline")
    wall, cpu, rss, proc = run_measured([binary, "import", "--retention", "3650d", "--data-dir", data, prom_file],
                                        stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RuntimeError("plumbline import failed: %s" % proc.stderr.read().decode())
    out["offline_import_s"], out["offline_import_cpu_s"], out["offline_import_rss_mb"] = wall, cpu, rss
    wall, _, _, proc = run_measured([binary, "compact", "--data-dir", data], stderr=subprocess.DEVNULL)
    out["bytes"] = dir_bytes(data)
    # Over HTTP into a running server, as VictoriaMetrics is measured.
    data = os.path.join(work, "plumbline-http")
    port = free_port()
    server = Server([binary, "serve", "--data-dir", data, "--retention", "3650d",
                     "--http-listen", "127.0.0.1:%d" % port,
                     "--statsd-listen", "127.0.0.1:%d" % free_port(),
                     "--graphite-listen", "127.0.0.1:%d" % free_port(),
                     # only the standard data set in the store: no self-scraped series
                     "--self-scrape-interval", "off"],
                    os.path.join(work, "plumbline.log"))
    try:
        wait_http("http://127.0.0.1:%d/-/ready" % port)
        cpu0 = proc_cpu_seconds(server.proc.pid)
        start = time.monotonic()
        post_file(port, "/api/v1/import/prometheus", prom_file)
        out["import_s"] = time.monotonic() - start
        out["import_cpu_s"] = proc_cpu_seconds(server.proc.pid) - cpu0
        out["rss_mb"] = proc_peak_rss_mb(server.proc.pid)
    finally:
        server.stop()
    out["samples_per_s"] = samples / out["import_s"]
    return out


def bench_victoriametrics(work, prom_file, samples):
    out = {}
    data = os.path.join(work, "vm")
    port = free_port()
    server = Server(victoriametrics_args(data, port), os.path.join(work, "vm.log"))
    base = "http://127.0.0.1:%d" % port
    try:
        wait_http(base + "/health")
        cpu0 = proc_cpu_seconds(server.proc.pid)
        start = time.monotonic()
        post_file(port, "/api/v1/import/prometheus", prom_file)
        urllib.request.urlopen(base + "/internal/force_flush", timeout=120).read()
        out["import_s"] = time.monotonic() - start
        out["import_cpu_s"] = proc_cpu_seconds(server.proc.pid) - cpu0
        victoriametrics_force_merge(base)
        out["rss_mb"] = proc_peak_rss_mb(server.proc.pid)
    finally:
        server.stop()
    # data + index, as VictoriaMetrics reports its own size; its cache/ (persisted lookup
    # caches, rebuilt when missing) is not counted.
    out["bytes"] = dir_bytes(data) - dir_bytes(os.path.join(data, "cache"))
    out["samples_per_s"] = samples / out["import_s"]
    return out


def bench_prometheus(work, om_file, samples):
    out = {}
    data = os.path.join(work, "prom")
    os.makedirs(data)
    out["import_s"], out["import_cpu_s"], out["import_rss_mb"] = promtool_create_blocks(om_file, data)
    port = free_port()
    server = Server(prometheus_args(work, data, port), os.path.join(work, "prometheus.log"))
    base = "http://127.0.0.1:%d" % port
    try:
        wait_http(base + "/-/ready", timeout=120)
        # Wait for the compactions that merge promtool's 2 h blocks, then for quiet.
        prometheus_wait_compacted(base)
        out["rss_mb"] = proc_peak_rss_mb(server.proc.pid)
    finally:
        server.stop()
    # blocks (data + index); the WAL is empty for backfilled blocks and not counted.
    out["bytes"] = dir_bytes(data) - dir_bytes(os.path.join(data, "wal"))
    out["samples_per_s"] = samples / out["import_s"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plumbline", default=os.path.join(HERE, "..", "build", "plumbline"))
    ap.add_argument("--workdir")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--skip-prometheus", action="store_true")
    ap.add_argument("--hours", default="24")
    ap.add_argument("--hosts", default="50")
    a = ap.parse_args()
    work = a.workdir or tempfile.mkdtemp(prefix="plumbline_storage_bench_")
    os.makedirs(work, exist_ok=True)
    prom, om, info = generate_dataset(work, a.hours, a.hosts)
    samples = int(info["SAMPLES"])
    print("data set: %s series, %d samples, %.0f MB of text" % (info["SERIES"], samples, os.path.getsize(prom) / 1e6))
    results = {"plumbline": bench_plumbline(os.path.abspath(a.plumbline), work, prom, samples),
               "victoriametrics": bench_victoriametrics(work, prom, samples)}
    if not a.skip_prometheus:
        results["prometheus"] = bench_prometheus(work, om, samples)
    for r in results.values():
        r["bytes_per_sample"] = r["bytes"] / samples
    pl = results["plumbline"]
    print("\n%-16s %12s %14s %12s %10s %9s" % ("engine", "bytes/sample", "import s", "samples/s", "CPU s", "RSS MB"))
    for name, r in results.items():
        print("%-16s %12.3f %14.2f %12.2fM %10.2f %9.0f" % (name, r["bytes_per_sample"], r["import_s"],
                                                          r["samples_per_s"] / 1e6, r["import_cpu_s"], r["rss_mb"]))
    print("  plumbline offline import (stopped store): %.2f s, %.2f CPU s, %.0f MB peak RSS, %.2fM samples/s"
          % (pl["offline_import_s"], pl["offline_import_cpu_s"], pl["offline_import_rss_mb"],
             samples / pl["offline_import_s"] / 1e6))
    for name, r in results.items():
        if name == "plumbline":
            continue
        print("plumbline / %-15s bytes/sample %.2fx   import rate %.2fx   import CPU %.2fx"
              % (name, pl["bytes_per_sample"] / r["bytes_per_sample"], pl["samples_per_s"] / r["samples_per_s"],
                 pl["import_cpu_s"] / max(r["import_cpu_s"], 1e-9)))
    print(json.dumps(results, indent=1, sort_keys=True))
    if not a.keep and not a.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
