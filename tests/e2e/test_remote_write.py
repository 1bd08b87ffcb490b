"""Remote write out of Plumbline into real receivers from Debian, started here on loopback:
Prometheus 2.42 (`--web.enable-remote-write-receiver`) and VictoriaMetrics 1.79
(`/api/v1/write`).

- Agent mode (`storage: none`): StatsD counters, gauges and timers sent to Plumbline are
  queryable in both receivers with their exact values, identical in both.
- Outage: both receivers stop under StatsD load, Plumbline is killed (-9) and restarted during
  the outage, the receivers come back: every sample Plumbline stored arrives exactly once
  (VictoriaMetrics keeps duplicates, so one would show) and in order per series (Prometheus
  refuses out-of-order samples, so a reordered one would be missing).

Every process is stopped by its PID; every wait is bounded.
"""
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

from harness import Server, free_port, http, wait_for

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
VICTORIA_METRICS = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"
WAIT_S = 60


class Receiver:
    """A receiver process on a fixed loopback port and storage dir, so that it can be stopped
    and started again as the same receiver."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="plumbline_rw_")
        self.port = free_port()
        self.proc = None
        self._log = None

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def args(self):
        raise NotImplementedError

    def ready_path(self):
        raise NotImplementedError

    def start(self):
        self._log = open(os.path.join(self.dir, "receiver.log"), "ab")
        self.proc = subprocess.Popen(self.args(), stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited: %s" % (self.args()[0], self.log()[-3000:]))
            try:
                if http("GET", self.base + self.ready_path(), timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("%s not ready: %s" % (self.args()[0], self.log()[-3000:]))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self):
        try:
            with open(os.path.join(self.dir, "receiver.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Prometheus(Receiver):
    def __init__(self):
        super().__init__()
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write("global:\n  scrape_interval: 1h\n")

    def args(self):
        return [PROMETHEUS, "--web.enable-remote-write-receiver", "--config.file", self.config,
                "--storage.tsdb.path", os.path.join(self.dir, "tsdb"),
                "--web.listen-address", "127.0.0.1:%d" % self.port, "--log.level", "warn"]

    def ready_path(self):
        return "/-/ready"

    @property
    def write_url(self):
        return self.base + "/api/v1/write"

    def samples(self, selector, t):
        """{labels: [(t_ms, value text)]} of every raw sample of `selector` in the last hour."""
        return range_samples(self.base, selector, t)


class VictoriaMetrics(Receiver):
    def args(self):
        # latencyOffset 0: instant queries see the newest samples; disableCache: never an
        # answer cached before the data arrived.
        return [VICTORIA_METRICS, "-httpListenAddr", "127.0.0.1:%d" % self.port,
                "-storageDataPath", os.path.join(self.dir, "data"), "-search.latencyOffset=0s",
                "-search.disableCache", "-loggerLevel", "WARN"]

    def ready_path(self):
        return "/health"

    @property
    def write_url(self):
        return self.base + "/api/v1/write"

    def samples(self, selector, _t=None):
        """{labels: [(t_ms, value text)]}: every raw sample stored, duplicates included."""
        status, _, body = http("GET", self.base + "/internal/force_flush")
        assert status == 200, (status, body)
        status, _, body = http("GET", self.base + "/api/v1/export?" +
                               urllib.parse.urlencode({"match[]": selector}))
        assert status == 200, (status, body)
        out = {}
        for line in body.decode().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            key = tuple(sorted(row["metric"].items()))
            out.setdefault(key, []).extend(
                (t, float(v)) for t, v in zip(row["timestamps"], row["values"]))
        for key in out:
            out[key].sort(key=lambda p: p[0])
        return out


def range_samples(base, selector, t):
    status, _, body = http("GET", base + "/api/v1/query?" + urllib.parse.urlencode(
        {"query": "%s[1h]" % selector, "time": "%.3f" % t}))
    assert status == 200, (base, status, body[:500])
    out = {}
    for r in json.loads(body)["data"]["result"]:
        out[tuple(sorted(r["metric"].items()))] = [(int(round(ts * 1000)), float(v))
                                                   for ts, v in r["values"]]
    return out


def instant(base, expr):
    status, _, body = http("GET", base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    assert status == 200, (base, status, body[:500])
    return {tuple(sorted(r["metric"].items())): r["value"][1] for r in json.loads(body)["data"]["result"]}


def metric(server, name, labels=""):
    """The sum of a /metrics family's samples whose label text contains `labels`."""
    _, _, body = http("GET", server.url + "/metrics")
    total = 0.0
    for line in body.decode().splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if labels in line:
                total += float(line.rsplit(" ", 1)[1])
    return total


def drained(server):
    """True once the queue is empty; what a final flush queues at stop is sent by the next
    start (the callers restart or compare after this)."""
    return metric(server, "plumbline_remote_write_queue_entries") == 0


def statsd(server, lines):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto("\n".join(lines).encode(), ("127.0.0.1", server.statsd_port))


class RemoteWriteTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.closers = []

    def tearDown(self):
        for close in reversed(self.closers):
            close()

    def receiver(self, cls):
        r = cls()
        self.closers.append(r.close)
        return r.start()

    def plumbline(self, *args, data_dir=None):
        s = Server(data_dir=data_dir, extra_args=["--flush-interval", "1s",
                                                  *args])
        self.closers.append(s.close)
        return s.start()

    def test_agent_mode_statsd_metrics_are_queryable_in_prometheus_and_victoriametrics(self):
        prom = self.receiver(Prometheus)
        vm = self.receiver(VictoriaMetrics)
        agent = self.plumbline("--storage", "none", "--remote-write-url", prom.write_url,
                               "--remote-write-url", vm.write_url)
        # One datagram, so one flush window holds all of it.
        statsd(agent, ["checkout.orders:3|c|#env:prod"] * 5 + [
            "checkout.orders:2|c|@0.5|#env:dev",
            "checkout.temperature:21.5|g",
            "checkout.latency:10|ms", "checkout.latency:20|ms", "checkout.latency:30|ms",
        ])
        want = {
            'checkout_orders{env="prod"}': "15",
            'checkout_orders{env="dev"}': "4",
            "checkout_temperature": "21.5",
            "checkout_latency_count": "3",
            "checkout_latency_sum": "0.06",  # timers are stored in seconds
            'checkout_latency_bucket{le="+Inf"}': "3",
        }
        for receiver in (prom, vm):
            for expr, value in want.items():
                got = wait_for("%s in %s" % (expr, receiver.__class__.__name__),
                               lambda: instant(receiver.base, expr))
                self.assertEqual(list(got.values()), [value], (receiver.__class__.__name__, expr, got))
        # Nothing stays local in agent mode: the query API finds nothing.
        self.assertEqual(instant(agent.url, "checkout_temperature"), {})
        # Both receivers hold the same samples: stop sending, wait until the queue is empty,
        # then compare.
        self.assertEqual(metric(agent, "plumbline_remote_write_samples_dropped_total"), 0)
        self.assertGreater(metric(agent, "plumbline_remote_write_samples_sent_total"), 0)
        agent.stop()
        agent = self.plumbline("--storage", "none", "--remote-write-url", prom.write_url,
                               "--remote-write-url", vm.write_url, data_dir=agent.data_dir)
        wait_for("the queue to drain", lambda: drained(agent))
        now = time.time()
        for name in ("checkout_orders", "checkout_temperature", "checkout_latency_sum",
                     "checkout_latency_bucket"):
            from_prom = prom.samples(name, now)
            self.assertTrue(from_prom, name)
            # VictoriaMetrics makes a write searchable a moment after answering it.
            wait_for("VictoriaMetrics to hold what Prometheus holds of %s" % name,
                     lambda: vm.samples(name) == from_prom, timeout=20)

    def test_receiver_outage_and_a_plumbline_kill_lose_nothing_and_duplicate_nothing(self):
        prom = self.receiver(Prometheus)
        vm = self.receiver(VictoriaMetrics)
        data_dir = tempfile.mkdtemp(prefix="plumbline_rw_data_")
        self.closers.append(lambda: shutil.rmtree(data_dir, ignore_errors=True))
        args = ["--remote-write-url", prom.write_url, "--remote-write-url", vm.write_url,
                "--remote-write-shards", "3"]
        server = self.plumbline(*args, data_dir=data_dir)

        stop_load = threading.Event()
        target = {"server": server}

        def load():
            rng = random.Random(7)
            i = 0
            while not stop_load.is_set():
                i += 1
                lines = ["outage.hits:%d|c|#series:s%d" % (rng.randint(1, 9), n) for n in range(30)]
                lines += ["outage.level:%d|g|#series:s%d" % (i, n) for n in range(30)]
                try:
                    statsd(target["server"], lines)
                except OSError:
                    pass
                time.sleep(0.02)

        loader = threading.Thread(target=load)
        loader.start()
        try:
            wait_for("samples to reach VictoriaMetrics",
                     lambda: instant(vm.base, "count(outage_level)").get((), None) == "30")
            prom.stop()
            vm.stop()
            wait_for("retries during the outage",
                     lambda: metric(server, "plumbline_remote_write_samples_retried_total") > 0)
            time.sleep(2)  # more flushes queue up
            queued = metric(server, "plumbline_remote_write_queue_samples")
            self.assertGreater(queued, 0)
            server.kill9()
            server = self.plumbline(*args, data_dir=data_dir)
            target["server"] = server
            # What the killed process had queued is still there (plus what came since).
            self.assertGreaterEqual(metric(server, "plumbline_remote_write_queue_samples"), queued)
            time.sleep(2)
            prom.start()
            vm.start()
            time.sleep(2)
        finally:
            stop_load.set()
            loader.join()
        time.sleep(1.5)  # the flush after the load stopped is queued too
        wait_for("the queue to drain after the outage", lambda: drained(server))
        self.assertEqual(metric(server, "plumbline_remote_write_samples_dropped_total"), 0)
        server.stop()
        # Started again for its local store, the reference; it sends what the final flush of
        # the previous run queued.
        server = self.plumbline(*args, data_dir=data_dir)
        wait_for("the final flush to be sent", lambda: drained(server))
        now = time.time()
        for name in ("outage_hits", "outage_level"):
            local = range_samples(server.url, name, now)
            self.assertEqual(len(local), 30, name)
            for want in local.values():
                self.assertGreater(len(want), 10, name)
            self.assertEqual(prom.samples(name, now), local, ("Prometheus", name))
            # Equal means once each (VictoriaMetrics keeps duplicates); it makes a write
            # searchable a moment after answering it.
            wait_for("VictoriaMetrics to hold exactly the samples stored of %s" % name,
                     lambda: vm.samples(name) == local, timeout=20)


if __name__ == "__main__":
    unittest.main()
