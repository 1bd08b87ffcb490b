#!/usr/bin/env python3
"""Remote-write sender throughput: agent-mode Plumbline -> VictoriaMetrics 1.79 on loopback,
against VictoriaMetrics' own import rate of the same number of samples, in one run.

1. Start an agent-mode Plumbline (`--storage none`, flush interval 1 s) whose
   --remote-write-url points at a VictoriaMetrics that is not running yet, and send it
   --series StatsD gauges (tagged host and service): every flush writes one sample per series,
   which piles up in the remote-write queue on disk for --outage seconds.
2. Start VictoriaMetrics. Once the first request is accepted, measure until the backlog is
   gone (queue back under two flushes): samples/s sent (plumbline_remote_write_samples_sent_total)
   and CPU seconds per million samples sent, of Plumbline (the whole process: flushes, queue,
   protobuf, snappy, HTTP) and of VictoriaMetrics (taking them in). This is the sender at full
   speed with the flushes still running beside it.
3. Steady state for --steady seconds: the flushes alone (one sample per series per second),
   sent as they come: samples/s and Plumbline's CPU per million.
4. VictoriaMetrics' own import rate: the same number of samples as step 2, as Prometheus text
   with millisecond timestamps (built before timing), POSTed to /api/v1/import/prometheus in
   --import-chunk-line bodies on one connection, then /internal/force_flush: samples/s and its
   CPU per million.
5. Prints the figures and the ratio sender samples/s / VictoriaMetrics import samples/s.

CPU is read from /proc/<pid>/stat (utime + stime). Both servers are stopped by PID. Standard
library only.

  cmake --build build -j2 --target plumbline
  python3 bench/remote_write_compare.py [--binary build/plumbline] [--series 50000]
"""
import argparse
import http.client
import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers_common import Server, free_port, metric_value, proc_cpu_seconds, wait_http  # noqa: E402


def send_gauges(port, series, value):
    """One gauge line per series, ~40 lines per datagram, paced to stay clear of UDP drops."""
    lines = ["bench.rw.g%d:%d|g|#host:h%d,service:s%d" % (i, value, i % 200, i % 13)
             for i in range(series)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(0, len(lines), 40):
            s.sendto("\n".join(lines[i:i + 40]).encode(), ("127.0.0.1", port))
            if i % 4000 == 0:
                time.sleep(0.002)


def wait_until(what, fn, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def import_bodies(series, samples, chunk_lines):
    """Prometheus text with ms timestamps, `samples` lines over `series` series, in bodies."""
    now_ms = int(time.time() * 1000)
    steps = (samples + series - 1) // series
    bodies, lines = [], []
    n = 0
    for step in range(steps):
        t = now_ms - (steps - step) * 1000
        for i in range(series):
            if n == samples:
                break
            lines.append('bench_import_g%d{host="h%d",service="s%d"} %d %d' % (i, i % 200, i % 13, step, t))
            n += 1
            if len(lines) == chunk_lines:
                bodies.append(("\n".join(lines) + "\n").encode())
                lines = []
    if lines:
        bodies.append(("\n".join(lines) + "\n").encode())
    return bodies


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "../build/plumbline"))
    ap.add_argument("--victoria-metrics", default=shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics")
    ap.add_argument("--series", type=int, default=50_000)
    ap.add_argument("--outage", type=int, default=20, help="seconds of backlog before VictoriaMetrics starts")
    ap.add_argument("--steady", type=int, default=10)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--import-chunk-lines", type=int, default=50_000)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="plumbline_rwbench_")
    vm_port, http_port, statsd_port = free_port(), free_port(), free_port()
    vm_base = "http://127.0.0.1:%d" % vm_port
    agent_metrics = "http://127.0.0.1:%d/metrics" % http_port
    servers = []
    try:
        agent = Server([args.binary, "serve", "--storage", "none", "--data-dir", os.path.join(work, "agent"),
                        "--http-listen", "127.0.0.1:%d" % http_port,
                        "--statsd-listen", "127.0.0.1:%d" % statsd_port, "--graphite-listen", "off",
                        "--flush-interval", "1s", "--self-scrape-interval", "off",
                        "--remote-write-shards", str(args.shards),
                        "--remote-write-url", vm_base + "/api/v1/write"], os.path.join(work, "agent.log"))
        servers.append(agent)
        wait_http("http://127.0.0.1:%d/-/ready" % http_port)
        send_gauges(statsd_port, args.series, 1)
        wait_until("every series in a flush",
                   lambda: metric_value(agent_metrics, "plumbline_statsd_flush_series") >= args.series, 60)
        time.sleep(args.outage)
        backlog = metric_value(agent_metrics, "plumbline_remote_write_queue_samples")

        vm = Server([args.victoria_metrics, "-httpListenAddr", "127.0.0.1:%d" % vm_port,
                     "-storageDataPath", os.path.join(work, "vm"), "-loggerLevel", "WARN",
                     "-search.disableCache"], os.path.join(work, "vm.log"))
        servers.append(vm)
        wait_http(vm_base + "/health")
        # From the first accepted request (the sender may be in a backoff when VM comes up).
        wait_until("the first accepted request",
                   lambda: metric_value(agent_metrics, "plumbline_remote_write_samples_sent_total") > 0, 60)
        t0 = time.monotonic()
        sent0 = metric_value(agent_metrics, "plumbline_remote_write_samples_sent_total")
        cpu0, vm_cpu0 = proc_cpu_seconds(agent.proc.pid), proc_cpu_seconds(vm.proc.pid)
        wait_until("the backlog to drain",
                   lambda: metric_value(agent_metrics, "plumbline_remote_write_queue_samples") <= 2 * args.series,
                   600)
        drain_s = time.monotonic() - t0
        drained = metric_value(agent_metrics, "plumbline_remote_write_samples_sent_total") - sent0
        drain_cpu = proc_cpu_seconds(agent.proc.pid) - cpu0
        drain_vm_cpu = proc_cpu_seconds(vm.proc.pid) - vm_cpu0

        sent1 = metric_value(agent_metrics, "plumbline_remote_write_samples_sent_total")
        cpu1 = proc_cpu_seconds(agent.proc.pid)
        t1 = time.monotonic()
        time.sleep(args.steady)
        steady_s = time.monotonic() - t1
        steady = metric_value(agent_metrics, "plumbline_remote_write_samples_sent_total") - sent1
        steady_cpu = proc_cpu_seconds(agent.proc.pid) - cpu1
        dropped = metric_value(agent_metrics, "plumbline_remote_write_samples_dropped_total")
        retried = metric_value(agent_metrics, "plumbline_remote_write_samples_retried_total")
        agent.stop()

        # VictoriaMetrics' own import of as many samples as the drain sent.
        n_import = int(drained)
        bodies = import_bodies(args.series, n_import, args.import_chunk_lines)
        vm_cpu2 = proc_cpu_seconds(vm.proc.pid)
        t2 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", vm_port, timeout=600)
        for body in bodies:
            conn.request("POST", "/api/v1/import/prometheus", body=body)
            resp = conn.getresponse()
            resp.read()
            if resp.status // 100 != 2:
                raise RuntimeError("import: HTTP %d" % resp.status)
        conn.request("GET", "/internal/force_flush")
        conn.getresponse().read()
        conn.close()
        import_s = time.monotonic() - t2
        import_cpu = proc_cpu_seconds(vm.proc.pid) - vm_cpu2

        sender_rate = drained / drain_s
        import_rate = n_import / import_s
        print("series %d, flush 1 s, %d shards, backlog after %d s outage: %d samples"
              % (args.series, args.shards, args.outage, backlog))
        print("sender, backlog drain : %9.0f samples/s  (%d samples in %.1f s); Plumbline CPU %.2f s per M samples; "
              "VictoriaMetrics CPU %.2f s per M taking them" % (sender_rate, drained, drain_s,
                                                                 drain_cpu / drained * 1e6, drain_vm_cpu / drained * 1e6))
        if steady > 0:
            print("sender, steady state  : %9.0f samples/s  (offered %d/s); Plumbline CPU %.2f s per M samples"
                  % (steady / steady_s, args.series, steady_cpu / steady * 1e6))
        print("VictoriaMetrics import: %9.0f samples/s  (%d samples in %.1f s, /api/v1/import/prometheus); "
              "its CPU %.2f s per M samples" % (import_rate, n_import, import_s, import_cpu / n_import * 1e6))
        print("ratio sender / VictoriaMetrics import: %.2f" % (sender_rate / import_rate))
        print("dropped %d, retried %d (the retries are the outage)" % (dropped, retried))
    finally:
        for s in reversed(servers):
            s.stop()
        if args.keep:
            print("work dir:", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
