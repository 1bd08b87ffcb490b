"""A real Prometheus 2.42 (Debian's `prometheus`) scrapes a loopback target and sends what it
scrapes to Plumbline's POST /api/v1/write with `remote_write` and a bearer token: every sample
Prometheus stored is queryable in Plumbline, identical (labels, timestamps, values), and the
metadata came along. Servers run on free loopback ports and are stopped by PID.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import Server, free_port, http
from test_events import sha256

TOKEN = "remote-write-token-0123456789"


class Target(ThreadingHTTPServer):
    """A scrape target: a counter that grows by 7 each scrape, a fixed gauge."""

    def __init__(self):
        self.scrapes = 0
        super().__init__(("127.0.0.1", 0), TargetHandler)


class TargetHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.scrapes += 1
        body = ("# HELP demo_requests_total Requests served.\n# TYPE demo_requests_total counter\n"
                'demo_requests_total{path="/a"} %d\n' % (7 * self.server.scrapes) +
                "# HELP demo_temperature_celsius Room temperature.\n# TYPE demo_temperature_celsius gauge\n"
                "demo_temperature_celsius 21.5\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def query(url, expr, t):
    status, _, body = http("GET", url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr, "time": t}))
    if status != 200:
        raise AssertionError("%s answered %d: %s" % (url, status, body[:500]))
    return json.loads(body)["data"]["result"]


def raw_samples(url, expr, t):
    """{labels as a sorted tuple: [(t, value text), ...]} of a range selector at time t."""
    return {tuple(sorted(r["metric"].items())): [tuple(v) for v in r["values"]] for r in query(url, expr, t)}


class RemoteWriteReceiverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("prometheus") is None:
            raise AssertionError("prometheus is missing: install Debian's `prometheus` package "
                                 "(scripts/setup installs it)")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="plumbline_rw_")
        self.addCleanup(self.tmp.cleanup)
        self.target = Target()
        threading.Thread(target=self.target.serve_forever, daemon=True).start()
        self.addCleanup(self.target.server_close)
        self.addCleanup(self.target.shutdown)

        auth = os.path.join(self.tmp.name, "auth.yaml")
        with open(auth, "w") as f:
            f.write("tokens:\n  - name: prometheus\n    role: deployer\n    sha256: %s\n" % sha256(TOKEN))
        self.plumbline = Server(extra_args=["--auth-file", auth])
        self.addCleanup(self.plumbline.close)
        self.plumbline.start()

    def start_prometheus(self):
        config = os.path.join(self.tmp.name, "prometheus.yml")
        with open(config, "w") as f:
            f.write("""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: demo
    static_configs:
      - targets: ['127.0.0.1:%d']
remote_write:
  - url: %s/api/v1/write
    authorization:
      credentials: %s
    queue_config:
      batch_send_deadline: 1s
      min_backoff: 100ms
      max_backoff: 1s
    metadata_config:
      send_interval: 1s
""" % (self.target.server_address[1], self.plumbline.url, TOKEN))
        log_path = os.path.join(self.tmp.name, "prometheus.log")
        for _ in range(3):
            port = free_port()
            url = "http://127.0.0.1:%d" % port
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(
                    ["prometheus", "--config.file=" + config,
                     "--storage.tsdb.path=" + os.path.join(self.tmp.name, "prometheus-data"),
                     "--web.listen-address=127.0.0.1:%d" % port],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            self.addCleanup(self.stop, proc)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if http("GET", url + "/-/ready", timeout=2)[0] == 200:
                        return url, log_path
                except OSError:
                    pass
                time.sleep(0.1)
            with open(log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            if "address already in use" not in text:
                raise AssertionError("prometheus did not become ready:\n" + text[-4000:])
        raise AssertionError("prometheus found no free port")

    @staticmethod
    def stop(proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def test_what_prometheus_scrapes_arrives_identical(self):
        prom, log_path = self.start_prometheus()
        # Until Prometheus holds 6 scrapes and Plumbline has received everything up to then.
        deadline = time.monotonic() + 60
        expected = got = None
        while time.monotonic() < deadline:
            at = time.time() - 1.5
            expected = raw_samples(prom, '{job="demo"}[5m]', at)
            counter = [v for k, v in expected.items() if ("__name__", "demo_requests_total") in k]
            if counter and len(counter[0]) >= 6:
                got = raw_samples(self.plumbline.url, '{job="demo"}[5m]', at)
                if got == expected:
                    break
            time.sleep(0.5)
        with open(log_path, "rb") as f:
            prom_log = f.read().decode("utf-8", "replace")[-3000:]
        self.assertTrue(expected, "prometheus scraped nothing:\n" + prom_log)
        self.assertEqual(got, expected, "plumbline's samples differ from prometheus':\n" + prom_log +
                         "\n--- plumbline:\n" + self.plumbline.log()[-3000:])
        names = {dict(k)["__name__"] for k in got}
        self.assertLessEqual({"demo_requests_total", "demo_temperature_celsius", "up"}, names)
        series = [v for k, v in got.items() if dict(k)["__name__"] == "demo_requests_total"][0]
        values = [float(v) for _, v in series]
        self.assertEqual(values, [7.0 * (i + 1) + values[0] - 7.0 for i in range(len(values))])

        # Metadata travels on its own interval.
        deadline = time.monotonic() + 30
        metadata = {}
        while time.monotonic() < deadline:
            status, _, body = http("GET", self.plumbline.url + "/api/v1/metadata?metric=demo_requests_total")
            metadata = json.loads(body)["data"] if status == 200 else {}
            if metadata:
                break
            time.sleep(0.5)
        self.assertEqual(metadata.get("demo_requests_total"),
                         [{"type": "counter", "help": "Requests served.", "unit": ""}])

        status, _, body = http("GET", self.plumbline.url + "/metrics")
        received = [line for line in body.decode().splitlines()
                    if line.startswith("plumbline_remote_write_received_samples_total")]
        self.assertTrue(received and float(received[0].split()[-1]) >= 18, received)

    def test_a_write_without_the_token_is_refused_and_stores_nothing(self):
        status, headers, body = http("POST", self.plumbline.url + "/api/v1/write", b"\x00",
                                     {"Content-Encoding": "snappy"})
        self.assertEqual(status, 401, body)
        self.assertIn("Bearer", headers.get("WWW-Authenticate", ""))
        status, _, body = http("POST", self.plumbline.url + "/api/v1/write", b"not snappy",
                               {"Authorization": "Bearer " + TOKEN})
        self.assertEqual(status, 400)
        self.assertIn("snappy", json.loads(body)["error"])


if __name__ == "__main__":
    unittest.main()
