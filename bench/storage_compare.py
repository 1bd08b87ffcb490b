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
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def proc_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def proc_peak_rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run_measured(args, **kw):
    """Runs a command to completion: (wall s, cpu s, peak rss MB, CompletedProcess-like)."""
    start = time.monotonic()
    proc = subprocess.Popen(args, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc


def wait_http(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("not ready: " + url)


def post_file(port, path, file_path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    with open(file_path, "rb") as f:
        conn.request("POST", path, body=f, headers={"Content-Length": str(os.path.getsize(file_path))})
        resp = conn.getresponse()
        body = resp.read()
    conn.close()
    if resp.status // 100 != 2:
        raise RuntimeError("POST %s: %d %s" % (path, resp.status, body[:300]))


def metric_value(url, name):
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (len(line) == len(name) or line[len(name)] in " {"):
            total += float(line.rsplit(" ", 1)[1])
    return total


class Server:
    def __init__(self, args, log_path):
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


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
                     "--graphite-listen", "127.0.0.1:%d" % free_port()],
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
    server = Server(["victoria-metrics", "-storageDataPath=" + data, "-httpListenAddr=127.0.0.1:%d" % port,
                     "-retentionPeriod=10y", "-search.disableCache"], os.path.join(work, "vm.log"))
    base = "http://127.0.0.1:%d" % port
    try:
        wait_http(base + "/health")
        cpu0 = proc_cpu_seconds(server.proc.pid)
        start = time.monotonic()
        post_file(port, "/api/v1/import/prometheus", prom_file)
        urllib.request.urlopen(base + "/internal/force_flush", timeout=120).read()
        out["import_s"] = time.monotonic() - start
        out["import_cpu_s"] = proc_cpu_seconds(server.proc.pid) - cpu0
        for part in sorted({time.strftime("%Y_%m", time.gmtime(t)) for t in (time.time() - 2 * 86400, time.time())}):
            urllib.request.urlopen(base + "/internal/force_merge?partition_prefix=" + part, timeout=600).read()
        time.sleep(2)
        deadline = time.monotonic() + 600
        while metric_value(base + "/metrics", "vm_active_merges") > 0 and time.monotonic() < deadline:
            time.sleep(1)
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
    wall, cpu, rss, proc = run_measured(["promtool", "tsdb", "create-blocks-from", "openmetrics", om_file, data],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RuntimeError("promtool failed: %s" % proc.stderr.read().decode())
    out["import_s"], out["import_cpu_s"], out["import_rss_mb"] = wall, cpu, rss
    config = os.path.join(work, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1h\n")
    port = free_port()
    server = Server(["prometheus", "--config.file=" + config, "--storage.tsdb.path=" + data,
                     "--storage.tsdb.retention.time=3650d", "--web.listen-address=127.0.0.1:%d" % port],
                    os.path.join(work, "prometheus.log"))
    base = "http://127.0.0.1:%d" % port
    try:
        wait_http(base + "/-/ready", timeout=120)
        # Wait for the compactions that merge promtool's 2 h blocks, then for quiet.
        deadline = time.monotonic() + 300
        last, stable_since = None, time.monotonic()
        while time.monotonic() < deadline:
            n = metric_value(base + "/metrics", "prometheus_tsdb_compactions_total")
            blocks = metric_value(base + "/metrics", "prometheus_tsdb_blocks_loaded")
            if (n, blocks) != last:
                last, stable_since = (n, blocks), time.monotonic()
            elif n > 0 and time.monotonic() - stable_since > 20:
                break
            time.sleep(2)
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
    prom, om = os.path.join(work, "data.prom.txt"), os.path.join(work, "data.om.txt")
    end = (int(time.time()) // 7200) * 7200 - 7200
    gen = subprocess.run([sys.executable, os.path.join(HERE, "gen_dataset.py"), "--hours", a.hours,
                          "--hosts", a.hosts, "--end", str(end), "--prom", prom, "--om", om],
                         capture_output=True, text=True, check=True)
    info = dict(kv.split("=") for kv in gen.stdout.split())
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
