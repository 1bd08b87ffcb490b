#!/usr/bin/env python3
"""The StatsD ingest matrix: Plumbline vs Etsy StatsD 0.9.0 vs collectd 5.12 (statsd plugin).

/work/shared/bench/README.md, "Ingest: the StatsD matrix". For every cell and server, in one run
on this machine, one after another: start the server on free 127.0.0.1 ports, blast it with
bench/statsd_loadgen (one sender thread, sendmmsg) for --seconds, wait until what the server
counted stops growing, and stop it by PID. Printed per cell and server: lines sent, lines the
server counted, loss %, server CPU-seconds (/proc/PID/stat, all threads, from just before the
load to the end of the wait), CPU-s per million lines counted, peak RSS (VmHWM), kernel drops
(Udp RcvbufErrors delta in /proc/net/snmp); then Plumbline's ratios to each peer.

  bench/ingest_matrix.py [--seconds 10] [--cells 1,3,unthrottled] [--servers plumbline,etsy]
                         [--build-dir build] [--workdir DIR]

What each server counts:
  Plumbline  plumbline_statsd_lines_total (all transports) in /metrics, published every flush.
  Etsy       the sum of statsd.metrics_received over its console flush output (every non-empty
             line, bad ones too); config exactly as the bench README gives it.
  collectd   the sum over keys of the last cumulative DERIVE value in its csv files: counter
             lines only. In the mixed cell its loss is over the counter lines sent ("c only");
             it refuses DogStatsD tags ("Unable to parse line"), so the tags cell counts nothing.
Peers: scripts/bench-setup installs collectd-core (Debian) and Etsy StatsD (bench/peers, npm ci).
Plumbline runs with its defaults (receivers = cores, SO_RCVBUF 32 MiB) and --flush-interval 2s,
Etsy's flushInterval; the peers keep their default socket buffers, as the README specifies.
"""
import argparse
import glob
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

from peers_common import proc_cpu_seconds, proc_peak_rss_mb

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PEERS = os.path.join(HERE, "peers")

# name, lines per datagram K, target lines/s (0: unthrottled), distinct keys, type mix, tags
CELLS = [
    ("100k dgram/s K=1", 1, 100_000, 1000, "c=1", 0),
    ("200k dgram/s K=1", 1, 200_000, 1000, "c=1", 0),
    ("1M lines/s K=10", 10, 1_000_000, 1000, "c=1", 0),
    ("unthrottled K=10", 10, 0, 1000, "c=1", 0),
    ("200k keys 500k lines/s K=10", 10, 500_000, 200_000, "c=1", 0),
    ("mixed c/ms/g/s 500k lines/s K=10", 10, 500_000, 1000, "c=4,ms=2,g=1,s=1", 0),
    ("DogStatsD 3 tags 500k lines/s K=10", 10, 500_000, 1000, "c=1", 3),
]
CELL_KEYS = ["100k", "200k", "1m", "unthrottled", "200k-keys", "mixed", "tags"]
SERVERS = ["plumbline", "etsy", "collectd"]
SETTLE_MAX_S = 90  # bound on waiting for a server's count to stop growing


def free_port():
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


def udp_rcvbuf_errors():
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("RcvbufErrors")])


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError("timed out waiting for " + what)


class Server:
    """One peer process, started on free ports and stopped by its PID."""

    name = ""

    def __init__(self, workdir):
        self.dir = tempfile.mkdtemp(prefix=self.name + "_", dir=workdir)
        self.port = free_port()
        self.proc = None
        self.out = None

    def spawn(self, argv, cwd=None):
        self.out = open(os.path.join(self.dir, "stdout.log"), "wb")
        self.proc = subprocess.Popen(argv, cwd=cwd, stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited with %d; see %s" % (self.name, self.proc.returncode, self.dir))
        return True

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.out:
            self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def counted(self):
        raise NotImplementedError

    # How long the count may sit still before it is taken as final (one flush and a half).
    stable_s = 3.0


class Plumbline(Server):
    name = "plumbline"
    stable_s = 3.5

    def __init__(self, workdir, binary):
        super().__init__(workdir)
        self.http_port = free_port()
        self.spawn([binary, "serve", "--data-dir", os.path.join(self.dir, "data"),
                    "--http-listen", "127.0.0.1:%d" % self.http_port,
                    "--statsd-listen", "127.0.0.1:%d" % self.port,
                    "--graphite-listen", "off", "--flush-interval", "2s"])
        wait_until(lambda: self.alive() and self._ready(), 30, "plumbline ready")

    def _get(self, path):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.http_port, path), timeout=10) as r:
            return r.status, r.read().decode()

    def _ready(self):
        try:
            return self._get("/-/ready")[0] == 200
        except OSError:
            return False

    def counted(self):
        _, text = self._get("/metrics")
        return int(sum(float(v) for v in re.findall(
            r'^plumbline_statsd_lines_total\{[^}]*\} (\S+)$', text, re.M)))


class Etsy(Server):
    name = "etsy"
    stable_s = 4.5  # flushInterval 2 s

    def __init__(self, workdir):
        super().__init__(workdir)
        stats_js = os.path.join(PEERS, "node_modules", "statsd", "stats.js")
        if not os.path.exists(stats_js):
            raise RuntimeError("Etsy StatsD missing: run scripts/bench-setup")
        config = os.path.join(self.dir, "config.js")
        with open(config, "w") as f:
            f.write('{address:"127.0.0.1", port:%d, mgmt_address:"127.0.0.1", mgmt_port:%d, '
                    'flushInterval:2000, backends:["./backends/console"], '
                    'console:{prettyprint:false}, deleteIdleStats:false}\n' % (self.port, free_port()))
        self.spawn(["node", stats_js, config], cwd=os.path.dirname(stats_js))
        self.log = os.path.join(self.dir, "stdout.log")
        wait_until(lambda: self.alive() and b"server is up" in open(self.log, "rb").read(), 30,
                   "Etsy StatsD up")

    def counted(self):
        with open(self.log, "rb") as f:
            text = f.read()
        # In the counters object of each flush (counter_rates repeats the key as a rate).
        return sum(int(n) for n in re.findall(
            rb"counters: \{[^}]*?'statsd\.metrics_received': (\d+)", text))


class Collectd(Server):
    name = "collectd"
    stable_s = 3.0

    def __init__(self, workdir):
        super().__init__(workdir)
        if shutil.which("collectd") is None:
            raise RuntimeError("collectd missing: run scripts/bench-setup")
        self.csv = os.path.join(self.dir, "csv")
        self.log = os.path.join(self.dir, "collectd.log")
        config = os.path.join(self.dir, "collectd.conf")
        with open(config, "w") as f:
            f.write('Interval 1\nHostname "bench"\nFQDNLookup false\n'
                    'BaseDir "%s"\nPIDFile "%s/collectd.pid"\n'
                    'PluginDir "/usr/lib/collectd"\nTypesDB "/usr/share/collectd/types.db"\n'
                    'LoadPlugin logfile\n<Plugin logfile>\n  LogLevel "info"\n  File "%s"\n</Plugin>\n'
                    'LoadPlugin statsd\n<Plugin statsd>\n  Host "127.0.0.1"\n  Port "%d"\n'
                    '  DeleteCounters false\n</Plugin>\n'
                    'LoadPlugin csv\n<Plugin csv>\n  DataDir "%s"\n  StoreRates false\n</Plugin>\n'
                    % (self.dir, self.dir, self.log, self.port, self.csv))
        self.spawn(["collectd", "-f", "-C", config])
        wait_until(lambda: self.alive() and os.path.exists(self.log)
                   and b"Listening on" in open(self.log, "rb").read(), 30, "collectd listening")

    def counted(self):
        # derive-<key>-<date>: "epoch,value" lines, cumulative; the last value of each key (the
        # largest, should a run cross midnight and open a second file).
        last = {}
        for path in glob.glob(os.path.join(self.csv, "*", "statsd", "derive-*")):
            key = path.rsplit("-", 3)[0]
            with open(path, "rb") as f:
                f.seek(max(0, os.path.getsize(path) - 256))
                tail = f.read().strip().rsplit(b"\n", 1)[-1]
            try:
                value = float(tail.split(b",")[1])
            except (IndexError, ValueError):
                continue
            last[key] = max(last.get(key, 0.0), value)
        return int(sum(last.values()))


def start(name, args, workdir):
    if name == "plumbline":
        return Plumbline(workdir, args.plumbline)
    if name == "etsy":
        return Etsy(workdir)
    return Collectd(workdir)


def run_loadgen(args, port, cell):
    _, k, rate, keys, mix, tags = cell
    argv = [args.loadgen, "--target", "127.0.0.1:%d" % port, "--lines-per-datagram", str(k),
            "--rate", str(rate), "--seconds", str(args.seconds), "--keys", str(keys), "--mix", mix,
            "--tags", str(tags)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=args.seconds + 60, check=True)
    return {k: float(v) for k, v in (kv.split("=") for kv in r.stdout.split())}


def settle(server):
    """Waits until the server's count stops growing; returns it."""
    deadline = time.monotonic() + SETTLE_MAX_S
    last, since = server.counted(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        server.alive()
        now = server.counted()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= server.stable_s:
            return last
    print("  (%s still counting after %d s; taking %d)" % (server.name, SETTLE_MAX_S, last), flush=True)
    return last


def measure(args, name, cell):
    server = start(name, args, args.workdir)
    try:
        time.sleep(0.5)  # let it settle into its idle loop
        cpu0, drops0 = proc_cpu_seconds(server.proc.pid), udp_rcvbuf_errors()
        sent = run_loadgen(args, server.port, cell)
        counted = settle(server)
        cpu = proc_cpu_seconds(server.proc.pid) - cpu0
        drops = udp_rcvbuf_errors() - drops0
        rss = proc_peak_rss_mb(server.proc.pid)
    finally:
        server.stop()
    # collectd counts counter lines only: measure its loss over those.
    offered = sent["lines_c"] if name == "collectd" else sent["lines_sent"]
    return {
        "sent": int(sent["lines_sent"]), "rate": sent["lines_per_s"], "offered": int(offered),
        "counted": counted, "loss": 100.0 * (offered - counted) / offered if offered else 0.0,
        "cpu": cpu, "cpu_per_m": cpu / (counted / 1e6) if counted else float("inf"),
        "rss": rss, "drops": drops,
        "note": "c only" if name == "collectd" and offered != sent["lines_sent"] else "",
    }


def fmt_ratio(a, b):
    if not b or b == float("inf") or a == float("inf"):
        return "n/a"
    return "%.2fx" % (a / b)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=10, help="send time per cell (default 10)")
    p.add_argument("--cells", default=",".join(CELL_KEYS),
                   help="comma-separated cells, by number (1-%d) or name: %s" % (len(CELLS), ",".join(CELL_KEYS)))
    p.add_argument("--servers", default=",".join(SERVERS), help="comma-separated: " + ",".join(SERVERS))
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build"),
                   help="where plumbline and bench/statsd_loadgen are built (default build/)")
    p.add_argument("--workdir", default=None, help="temporary data dirs go here (default: a new temp dir)")
    args = p.parse_args()
    args.plumbline = os.path.join(args.build_dir, "plumbline")
    args.loadgen = os.path.join(args.build_dir, "bench", "statsd_loadgen")
    for path in (args.plumbline, args.loadgen):
        if not os.access(path, os.X_OK):
            sys.exit("missing %s: cmake --build %s --target plumbline statsd_loadgen" % (path, args.build_dir))
    cells = []
    for c in args.cells.split(","):
        c = c.strip()
        index = int(c) - 1 if c.isdigit() else CELL_KEYS.index(c)
        cells.append(CELLS[index])
    servers = [s.strip() for s in args.servers.split(",")]
    own_workdir = args.workdir is None
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="ingest_matrix_")

    print("StatsD ingest matrix: %d s per cell, one sender thread, loopback, %d cores" % (args.seconds, os.cpu_count()))
    print("rmem_max %s, rmem_default %s" % (open("/proc/sys/net/core/rmem_max").read().strip(),
                                            open("/proc/sys/net/core/rmem_default").read().strip()))
    results = {}
    try:
        for cell in cells:
            for name in servers:
                print("%-36s %-9s ..." % (cell[0], name), end=" ", flush=True)
                r = measure(args, name, cell)
                results[(cell[0], name)] = r
                print("sent %d (%.0f lines/s), counted %d, loss %.2f%% %s" % (
                    r["sent"], r["rate"], r["counted"], r["loss"], r["note"]), flush=True)
    finally:
        if own_workdir:
            shutil.rmtree(args.workdir, ignore_errors=True)

    print()
    header = ("| cell | server | lines sent | lines/s sent | counted | loss % | CPU-s | CPU-s per M lines "
              "| peak RSS MB | kernel drops |")
    print(header)
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for cell in cells:
        for name in servers:
            r = results[(cell[0], name)]
            print("| %s | %s | %d | %.0f | %d%s | %.2f | %.2f | %s | %.0f | %d |" % (
                cell[0], name, r["sent"], r["rate"], r["counted"], " (%s)" % r["note"] if r["note"] else "",
                r["loss"], r["cpu"], "%.3f" % r["cpu_per_m"] if r["counted"] else "n/a", r["rss"], r["drops"]))
    if "plumbline" in servers and len(servers) > 1:
        print()
        print("Plumbline / peer (CPU-s per M lines counted, peak RSS; lower is better) and loss in "
              "percentage points (peer minus Plumbline):")
        print("| cell | peer | CPU-s/M ratio | RSS ratio | loss: peer - Plumbline (pp) |")
        print("|---|---|---:|---:|---:|")
        for cell in cells:
            mine = results[(cell[0], "plumbline")]
            for peer in servers:
                if peer == "plumbline":
                    continue
                r = results[(cell[0], peer)]
                print("| %s | %s | %s | %s | %+.2f |" % (
                    cell[0], peer, fmt_ratio(mine["cpu_per_m"], r["cpu_per_m"]),
                    fmt_ratio(mine["rss"], r["rss"]), r["loss"] - mine["loss"]))


if __name__ == "__main__":
    main()
