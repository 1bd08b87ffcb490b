"""`--query-backend` end to end: a real VictoriaMetrics (Debian's 1.79, started here on
loopback) holds the data; Plumbline with `--query-backend` pointed at it answers the
Prometheus API exactly as VictoriaMetrics does itself (GET and POST, gzip and CORS as for
the local store), evaluates rules there and records their output in its own store, keeps
the deploy log and buildinfo local, and says 503 unavailable when the backend is gone."""
import gzip
import json
import os
import re
import shutil
import tempfile
import time
import unittest
import urllib.parse

from harness import Server, free_port, http, run_cli, wait_for
from victoria import VictoriaMetrics

STEP_S = 10


def dataset(now):
    """Prometheus text (ms timestamps) over the hour before `now` and a minute after, every
    10 s: three constant gauges and a counter of 5/s."""
    start = (now - 3600) // STEP_S * STEP_S
    lines = []
    for t in range(start, now + 60, STEP_S):
        ms = t * 1000
        lines.append('remote_value{job="a",instance="1"} 3 %d' % ms)
        lines.append('remote_value{job="a",instance="2"} 4 %d' % ms)
        lines.append('remote_value{job="b",instance="1"} 10 %d' % ms)
        lines.append('remote_requests_total{job="a"} %d %d' % (5 * (t - start), ms))
    return "\n".join(lines) + "\n", start


RULES = """groups:
  - name: remote
    interval: 1s
    rules:
      - record: job:remote_value:sum
        expr: sum by (job) (remote_value)
      - alert: RemoteHigh
        expr: sum by (job) (remote_value) > 8
        annotations:
          summary: '{{ $value }} of {{ with query "sum(remote_value)" }}{{ . | first | value }}{{ end }}'
"""


class QueryBackendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.vm = VictoriaMetrics()
        cls.now = int(time.time())
        text, cls.start = dataset(cls.now)
        cls.vm.import_text(text)

    @classmethod
    def tearDownClass(cls):
        cls.vm.close()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="plumbline_qb_")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def serve(self, backend, extra_args=()):
        server = Server(extra_args=["--query-backend", backend, *extra_args])
        self.addCleanup(server.close)
        return server.start()

    def rules_file(self):
        path = os.path.join(self.tmp, "remote.rules.yaml")
        with open(path, "w") as f:
            f.write(RULES)
        return path

    def vm_answer(self, path, params):
        status, _, body = http("GET", self.vm.url + path + "?" + urllib.parse.urlencode(params))
        return status, json.loads(body)

    def test_prometheus_api_answers_are_victoria_metrics_own(self):
        server = self.serve(self.vm.url)
        t = self.now - 600
        cases = [
            ("/api/v1/query", [("query", "sum by (job) (remote_value)"), ("time", t)]),
            ("/api/v1/query", [("query", "rate(remote_requests_total[5m])"), ("time", t)]),
            ("/api/v1/query", [("query", "scalar(sum(remote_value))"), ("time", t)]),
            ("/api/v1/query_range", [("query", "sum by (job) (rate(remote_requests_total[5m]))"),
                                     ("start", self.start + 600), ("end", t), ("step", 30)]),
            ("/api/v1/query_range", [("query", "remote_value"), ("start", t - 300), ("end", t),
                                     ("step", "15s")]),
            ("/api/v1/series", [("match[]", "remote_value{job='a'}"),
                                ("match[]", "remote_requests_total"),
                                ("start", self.start), ("end", t)]),
            ("/api/v1/labels", [("start", self.start), ("end", t)]),
            ("/api/v1/labels", [("match[]", "remote_requests_total")]),
            ("/api/v1/label/job/values", [("start", self.start), ("end", t)]),
            ("/api/v1/label/instance/values", [("match[]", "remote_value{job='b'}")]),
            ("/api/v1/metadata", []),
            # The backend's own errors, status and body unchanged.
            ("/api/v1/query", [("query", "sum(remote_value"), ("time", t)]),
            ("/api/v1/query_range", [("query", "remote_value"), ("start", t), ("end", t - 60),
                                     ("step", 30)]),
        ]
        for path, params in cases:
            with self.subTest(path=path, params=params):
                want_status, want = self.vm_answer(path, params)
                query = urllib.parse.urlencode(params)
                status, headers, body = http("GET", server.url + path + "?" + query)
                self.assertEqual(status, want_status, body)
                self.assertEqual(headers.get("Content-Type"), "application/json")
                self.assertEqual(json.loads(body), want)
                status, _, body = http(
                    "POST", server.url + path, query.encode(),
                    {"Content-Type": "application/x-www-form-urlencoded"})
                self.assertEqual(status, want_status, body)
                self.assertEqual(json.loads(body), want)
                if want_status == 200 and path != "/api/v1/metadata":
                    data = want["data"]
                    self.assertTrue(data["result"] if isinstance(data, dict) else data,
                                    "an empty answer proves nothing: %r" % want)

        # The values are the data's: sum by job a = 3 + 4, b = 10; the counter's rate 5/s.
        _, want = self.vm_answer("/api/v1/query", {"query": "sum by (job) (remote_value)", "time": t})
        self.assertEqual(sorted((r["metric"]["job"], r["value"][1]) for r in want["data"]["result"]),
                         [("a", "7"), ("b", "10")])

    def test_gzip_and_cors_as_for_the_local_store(self):
        server = self.serve(self.vm.url)
        params = {"query": "remote_value", "time": self.now - 600}
        _, want = self.vm_answer("/api/v1/query", params)
        status, headers, body = http(
            "GET", server.url + "/api/v1/query?" + urllib.parse.urlencode(params),
            headers={"Accept-Encoding": "gzip", "Origin": "http://grafana.example"})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("Content-Encoding"), "gzip")
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), "*")
        self.assertEqual(json.loads(gzip.decompress(body)), want)
        status, headers, _ = http("OPTIONS", server.url + "/api/v1/query_range",
                                  headers={"Origin": "http://grafana.example"})
        self.assertEqual(status, 204)
        self.assertEqual(headers.get("Access-Control-Allow-Methods"), "GET, POST, OPTIONS")

    def test_deploy_log_and_buildinfo_stay_local(self):
        server = self.serve(self.vm.url)
        event = {"type": "deploy", "service": "api", "who": "alice", "what": "a1b2c3",
                 "time": self.now - 300}
        status, _, body = http("POST", server.url + "/api/v1/events", json.dumps(event).encode(),
                               {"Content-Type": "application/json"})
        self.assertEqual(status, 201, body)
        event_id = json.loads(body)["data"]["id"]
        status, _, body = http("GET", server.url + "/api/v1/events?" + urllib.parse.urlencode(
            {"start": self.now - 3600, "end": self.now + 60}))
        self.assertEqual(status, 200, body)
        events = json.loads(body)["data"]
        self.assertEqual([(e["id"], e["who"], e["what"]) for e in events],
                         [(event_id, "alice", "a1b2c3")])
        # VictoriaMetrics has no deploy log: the answer can only be Plumbline's.
        self.assertNotEqual(http("GET", self.vm.url + "/api/v1/events")[0], 200)

        status, _, body = http("GET", server.url + "/api/v1/status/buildinfo")
        self.assertEqual(status, 200, body)
        version = run_cli("--version").stdout.decode()
        self.assertIn(json.loads(body)["data"]["version"], version)

    def test_rules_query_the_backend_and_record_locally(self):
        server = self.serve(self.vm.url, ["--rule-files", self.rules_file()])

        def rules():
            status, _, body = http("GET", server.url + "/api/v1/rules")
            self.assertEqual(status, 200, body)
            return json.loads(body)["data"]["groups"][0]["rules"]

        def evaluated_ok():
            rs = rules()
            return all(r["health"] == "ok" for r in rs) and rs

        wait_for("the rules to evaluate without error", evaluated_ok)
        # The alert's value and its template's `query` come from the backend too.
        alerts = wait_for("RemoteHigh in /api/v1/alerts", lambda: [
            a for a in json.loads(http("GET", server.url + "/api/v1/alerts")[2])["data"]["alerts"]
            if a["labels"].get("alertname") == "RemoteHigh"])
        self.assertEqual([(a["labels"]["job"], a["annotations"]["summary"]) for a in alerts],
                         [("b", "10 of 17")])
        # ALERTS is written from the evaluation after the first (which restores `for` state).
        first = rules()[0]["lastEvaluation"]
        wait_for("another evaluation", lambda: rules()[0]["lastEvaluation"] != first)
        self.assertEqual(server.stop(), 0, server.log())

        # What the recording rule wrote is in Plumbline's own store, equal to the backend's
        # answer for its expression (the data are constant over the last hour).
        _, want = self.vm_answer("/api/v1/query", {"query": "sum by (job) (remote_value)"})
        expected = {r["metric"]["job"]: float(r["value"][1]) for r in want["data"]["result"]}
        self.assertEqual(expected, {"a": 7.0, "b": 10.0})
        exported = run_cli("export", "--data-dir", server.data_dir, "--metric", "job:remote_value:sum")
        self.assertEqual(exported.returncode, 0, exported.stderr)
        got = {}
        for line in exported.stdout.decode().splitlines():
            m = re.fullmatch(r'job:remote_value:sum\{job="(\w+)"\} (\S+) (\d+)', line)
            self.assertIsNotNone(m, line)
            got.setdefault(m.group(1), set()).add(float(m.group(2)))
        self.assertEqual(got, {job: {v} for job, v in expected.items()})
        # ALERTS too; the source data never entered the local store.
        everything = run_cli("export", "--data-dir", server.data_dir).stdout.decode()
        self.assertIn('ALERTS{alertname="RemoteHigh"', everything)
        self.assertNotIn("remote_value{", everything)

    def test_an_unreachable_backend_is_503_unavailable(self):
        port = free_port()  # nothing listens there
        backend = "http://127.0.0.1:%d" % port
        server = self.serve(backend, ["--rule-files", self.rules_file()])
        prefix = "query backend %s: " % backend
        for path in ["/api/v1/query?query=up", "/api/v1/query_range?query=up&start=1&end=2&step=1",
                     "/api/v1/series?match[]=up", "/api/v1/labels", "/api/v1/label/job/values",
                     "/api/v1/metadata"]:
            with self.subTest(path=path):
                status, headers, body = http("GET", server.url + path)
                self.assertEqual(status, 503, body)
                self.assertEqual(headers.get("Content-Type"), "application/json")
                answer = json.loads(body)
                self.assertEqual((answer["status"], answer["errorType"]), ("error", "unavailable"))
                self.assertTrue(answer["error"].startswith(prefix) and len(answer["error"]) > len(prefix),
                                answer["error"])
        # What stays local still answers.
        self.assertEqual(http("GET", server.url + "/api/v1/status/buildinfo")[0], 200)
        self.assertEqual(http("GET", server.url + "/api/v1/events")[0], 200)
        # Rules fail with the reason, naming the backend.

        def failing():
            status, _, body = http("GET", server.url + "/api/v1/rules")
            rs = json.loads(body)["data"]["groups"][0]["rules"]
            return all(r["health"] == "err" for r in rs) and rs

        for r in wait_for("the rules to fail", failing):
            self.assertTrue(r["lastError"].startswith(prefix), r["lastError"])
        self.assertEqual(server.stop(), 0, server.log())

    def test_a_bad_url_refuses_the_start_naming_the_setting(self):
        data = os.path.join(self.tmp, "data")
        r = run_cli("serve", "--data-dir", data, "--http-listen", "127.0.0.1:%d" % free_port(),
                    "--statsd-listen", "off", "--graphite-listen", "off",
                    "--query-backend", "127.0.0.1:8428", timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--query-backend", r.stderr.decode())
        self.assertIn("http:// or https://", r.stderr.decode())
        config = os.path.join(self.tmp, "plumbline.yaml")
        with open(config, "w") as f:
            f.write("query-backend: ftp://vm:8428\n")
        r = run_cli("serve", "--config", config, "--data-dir", data, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("query-backend", r.stderr.decode())


if __name__ == "__main__":
    unittest.main()
