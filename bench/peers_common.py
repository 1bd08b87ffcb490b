"""What the side-by-side benchmarks share: the standard data set, loopback servers stopped by
PID, process measurements, and the peers' load/flush/compaction steps.

Used by bench/storage_compare.py, bench/query_compare.py and bench/rules_compare.py. Standard
library only.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
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


def generate_dataset(work, hours, hosts):
    """Writes the standard data set (bench/gen_dataset.py, ending 2 h before the last 2 h boundary)
    into `work`: (Prometheus text path, OpenMetrics path, {"START", "END", "SERIES", "SAMPLES"})."""
    prom, om = os.path.join(work, "data.prom.txt"), os.path.join(work, "data.om.txt")
    end = (int(time.time()) // 7200) * 7200 - 7200
    gen = subprocess.run([sys.executable, os.path.join(HERE, "gen_dataset.py"), "--hours", str(hours),
                          "--hosts", str(hosts), "--end", str(end), "--prom", prom, "--om", om],
                         capture_output=True, text=True, check=True)
    return prom, om, dict(kv.split("=") for kv in gen.stdout.split())


def victoriametrics_args(data, port):
    return ["victoria-metrics", "-storageDataPath=" + data, "-httpListenAddr=127.0.0.1:%d" % port,
            "-retentionPeriod=10y", "-search.disableCache"]


def victoriametrics_force_merge(base):
    """Merges VictoriaMetrics' partitions of the last two days, then waits for its merges to end."""
    for part in sorted({time.strftime("%Y_%m", time.gmtime(t)) for t in (time.time() - 2 * 86400, time.time())}):
        urllib.request.urlopen(base + "/internal/force_merge?partition_prefix=" + part, timeout=600).read()
    time.sleep(2)
    deadline = time.monotonic() + 600
    while metric_value(base + "/metrics", "vm_active_merges") > 0 and time.monotonic() < deadline:
        time.sleep(1)


def promtool_create_blocks(om_file, data):
    """Backfills OpenMetrics text into a Prometheus data dir: (wall s, cpu s, peak RSS MB)."""
    os.makedirs(data, exist_ok=True)
    wall, cpu, rss, proc = run_measured(["promtool", "tsdb", "create-blocks-from", "openmetrics", om_file, data],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RuntimeError("promtool failed: %s" % proc.stderr.read().decode())
    return wall, cpu, rss


def plumbline_import_offline(binary, prom_file, data):
    """Bulk-loads Prometheus text (ms timestamps) into a stopped Plumbline store, then fully compacts
    it: (wall s, cpu s, peak RSS MB) of the import."""
    wall, cpu, rss, proc = run_measured([binary, "import", "--retention", "3650d", "--data-dir", data, prom_file],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RuntimeError("plumbline import failed: %s" % proc.stderr.read().decode())
    compact = subprocess.run([binary, "compact", "--data-dir", data], capture_output=True, text=True)
    if compact.returncode != 0:
        raise RuntimeError("plumbline compact failed: %s" % compact.stderr)
    return wall, cpu, rss


def plumbline_args(binary, data, port, extra=()):
    """The command line of a loopback Plumbline on `data` that listens for nothing but HTTP and
    stores none of its own metrics (only the data set in the store), plus `extra` flags."""
    return [binary, "serve", "--data-dir", data, "--retention", "3650d", "--http-listen", "127.0.0.1:%d" % port,
            "--statsd-listen", "off", "--graphite-listen", "off", "--self-scrape-interval", "off"] + list(extra)


def prometheus_args(work, data, port, rule_files=(), evaluation_interval=None):
    """Writes a config that scrapes nothing (and evaluates `rule_files`, every `evaluation_interval`
    if given) and returns the command line of a loopback Prometheus."""
    config = os.path.join(work, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1h\n")
        if evaluation_interval:
            f.write("  evaluation_interval: %s\n" % evaluation_interval)
        if rule_files:
            f.write("rule_files:\n" + "".join("  - %s\n" % json.dumps(os.path.abspath(r)) for r in rule_files))
    return ["prometheus", "--config.file=" + config, "--storage.tsdb.path=" + data,
            "--storage.tsdb.retention.time=3650d", "--web.listen-address=127.0.0.1:%d" % port]


def prometheus_wait_compacted(base, none_after=None):
    """Waits for the compactions that merge promtool's 2 h blocks, then for quiet (at most 5 min).
    With `none_after` (seconds), also stops when nothing was compacted that long after the call
    (too few blocks to merge: Prometheus' compactor first looks a minute after start)."""
    start = deadline = time.monotonic()
    deadline += 300
    last, stable_since = None, time.monotonic()
    while time.monotonic() < deadline:
        n = metric_value(base + "/metrics", "prometheus_tsdb_compactions_total")
        blocks = metric_value(base + "/metrics", "prometheus_tsdb_blocks_loaded")
        if (n, blocks) != last:
            last, stable_since = (n, blocks), time.monotonic()
        elif n > 0 and time.monotonic() - stable_since > 20:
            break
        elif n == 0 and none_after is not None and time.monotonic() - start > none_after:
            break
        time.sleep(2)
