"""End to end: the Prometheus HTTP API and `plumbline query`, checked with the real promtool.

A server is started once, a few series are imported over HTTP, and the answers are compared
exactly: with Debian's promtool (a Go client of the same API), with the raw JSON, and with
the `plumbline query` table.
"""
import decimal
import gzip
import json
import os
import shutil
import subprocess
import time
import unittest
import urllib.parse
import zlib

from harness import Server, http, run_cli

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
POINTS = 30  # one sample a minute


def go_float(v):
    """Go's strconv.FormatFloat(v, 'f', -1, 64), which promtool prints values with."""
    return format(decimal.Decimal(repr(float(v))), "f")


class QueryApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        # Samples on whole minutes, the last (T) one to two minutes ago.
        cls.T = (int(time.time()) // 60) * 60 - 60
        base = cls.T - (POINTS - 1) * 60
        lines = ["# HELP http_requests_total Requests served.", "# TYPE http_requests_total counter",
                 "# HELP up Target up.", "# TYPE up gauge"]
        for i in range(POINTS):
            t = (base + 60 * i) * 1000
            lines += ['http_requests_total{job="api",code="200"} %d %d' % (10 * i, t),
                      'http_requests_total{job="api",code="500"} %d %d' % (i, t),
                      'http_requests_total{job="web",code="200"} %d %d' % (5 * i, t),
                      'up{job="api",instance="a:1"} 1 %d' % t,
                      'up{job="web",instance="b:2"} 0 %d' % t]
        status, _, body = http("POST", cls.server.url + "/api/v1/import/prometheus",
                               ("\n".join(lines) + "\n").encode())
        assert status == 204, (status, body)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    # ---- helpers

    def promtool(self, *args):
        r = subprocess.run([PROMTOOL, "query", *args], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, "promtool %s: %s%s" % (args, r.stdout, r.stderr))
        return r.stdout.rstrip("\n")

    def get(self, path, params=(), headers=None):
        url = self.server.url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        return http("GET", url, headers=headers)

    def get_json(self, path, params=()):
        status, headers, body = self.get(path, params)
        self.assertIn("application/json", headers.get("Content-Type", ""))
        return status, json.loads(body)

    def assertError(self, path, params, status, error_type, message):
        got_status, body = self.get_json(path, params)
        self.assertEqual((got_status, body), (status, {"status": "error", "errorType": error_type,
                                                       "error": message}))

    # ---- promtool

    def test_promtool_instant(self):
        T = self.T
        self.assertEqual(sorted(self.promtool("instant", "--time=%d" % T, self.server.url, "up").splitlines()),
                         ['up{instance="a:1", job="api"} => 1 @[%d]' % T,
                          'up{instance="b:2", job="web"} => 0 @[%d]' % T])
        last = POINTS - 1
        self.assertEqual(
            sorted(self.promtool("instant", "--time=%d" % T, self.server.url,
                                 "sum by (job) (http_requests_total)").splitlines()),
            ['{job="api"} => %d @[%d]' % (11 * last, T), '{job="web"} => %d @[%d]' % (5 * last, T)])
        self.assertEqual(
            sorted(self.promtool("instant", "--time=%d" % T, self.server.url,
                                 "http_requests_total / 4").splitlines()),
            ['{code="200", job="api"} => %s @[%d]' % (go_float(10 * last / 4), T),
             '{code="200", job="web"} => %s @[%d]' % (go_float(5 * last / 4), T),
             '{code="500", job="api"} => %s @[%d]' % (go_float(last / 4), T)])
        # rate() over 5 samples a minute apart in a 5m window, extrapolated to its start as
        # Prometheus does: (delta) * ((240 + 60) / 240) / 300.
        factor = 300.0 / 240.0
        factor /= 300.0
        self.assertEqual(
            self.promtool("instant", "--time=%d" % T, self.server.url,
                          'rate(http_requests_total{job="api",code="200"}[5m])'),
            '{code="200", job="api"} => %s @[%d]' % (go_float(40.0 * factor), T))
        self.assertEqual(self.promtool("instant", "--time=4", self.server.url, "1+1"),
                         "scalar: 2 @[4]")

    def test_promtool_range(self):
        T = self.T
        out = self.promtool("range", "--start=%d" % (T - 240), "--end=%d" % T, "--step=1m",
                            self.server.url, 'http_requests_total{job="web"}')
        want = ['http_requests_total{code="200", job="web"} =>']
        want += ["%d @[%d]" % (5 * (POINTS - 5 + k), T - 240 + 60 * k) for k in range(5)]
        self.assertEqual(out, "\n".join(want))
        out = self.promtool("range", "--start=%d" % (T - 60), "--end=%d" % T, "--step=30s",
                            self.server.url, "sum by (job) (http_requests_total)")
        last = POINTS - 1
        self.assertEqual(out, "\n".join([
            '{job="api"} =>', "%d @[%d]" % (11 * (last - 1), T - 60),
            "%d @[%d]" % (11 * (last - 1), T - 30), "%d @[%d]" % (11 * last, T),
            '{job="web"} =>', "%d @[%d]" % (5 * (last - 1), T - 60),
            "%d @[%d]" % (5 * (last - 1), T - 30), "%d @[%d]" % (5 * last, T)]))

    def test_promtool_series_and_labels(self):
        self.assertEqual(self.promtool("series", "--match=up", self.server.url).splitlines(),
                         ['{__name__="up", instance="a:1", job="api"}',
                          '{__name__="up", instance="b:2", job="web"}'])
        self.assertEqual(
            self.promtool("series", "--match=up", '--match={job="api"}', self.server.url).splitlines(),
            ['{__name__="http_requests_total", code="200", job="api"}',
             '{__name__="http_requests_total", code="500", job="api"}',
             '{__name__="up", instance="a:1", job="api"}',
             '{__name__="up", instance="b:2", job="web"}'])
        self.assertEqual(self.promtool("labels", self.server.url, "job").splitlines(), ["api", "web"])
        self.assertEqual(self.promtool("labels", self.server.url, "__name__").splitlines(),
                         ["http_requests_total", "up"])

    # ---- the JSON itself

    def test_json_shapes(self):
        T = self.T
        status, _, body = self.get("/api/v1/query", {"query": "up", "time": T})
        self.assertEqual(status, 200)
        self.assertEqual(body.decode(), (
            '{"status":"success","data":{"resultType":"vector","result":['
            '{"metric":{"__name__":"up","instance":"a:1","job":"api"},"value":[%d,"1"]},'
            '{"metric":{"__name__":"up","instance":"b:2","job":"web"},"value":[%d,"0"]}]}}') % (T, T))
        # Grafana's health check.
        status, _, body = self.get("/api/v1/query", {"query": "1+1", "time": "4"})
        self.assertEqual((status, body),
                         (200, b'{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}'))
        status, _, body = self.get("/api/v1/query_range", {
            "query": 'up{job="web"}', "start": "%d.5" % (T - 60), "end": T, "step": "30"})
        self.assertEqual(body.decode(), (
            '{"status":"success","data":{"resultType":"matrix","result":['
            '{"metric":{"__name__":"up","instance":"b:2","job":"web"},'
            '"values":[[%d.500,"0"],[%d.500,"0"]]}]}}') % (T - 60, T - 30))
        status, body = self.get_json("/api/v1/labels")
        self.assertEqual(body, {"status": "success", "data": ["__name__", "code", "instance", "job"]})
        status, body = self.get_json("/api/v1/metadata")
        self.assertEqual(body, {"status": "success", "data": {
            "http_requests_total": [{"type": "counter", "help": "Requests served.", "unit": ""}],
            "up": [{"type": "gauge", "help": "Target up.", "unit": ""}]}})
        status, body = self.get_json("/api/v1/query_exemplars", {"query": "up"})
        self.assertEqual((status, body), (200, {"status": "success", "data": []}))
        status, body = self.get_json("/api/v1/series", {"match[]": "up", "limit": "1"})
        self.assertEqual(body, {"status": "success",
                                "data": [{"__name__": "up", "instance": "a:1", "job": "api"}],
                                "warnings": ["results truncated due to limit"]})

    def test_buildinfo(self):
        status, _, body = self.get("/api/v1/status/buildinfo")
        self.assertEqual(status, 200)
        doc = json.loads(body)
        self.assertEqual(doc["status"], "success")
        self.assertEqual(list(doc["data"]),
                         ["version", "revision", "branch", "buildUser", "buildDate", "goVersion"])
        self.assertNotIn("features", doc["data"])
        version = run_cli("--version").stdout.decode()
        self.assertIn(doc["data"]["version"], version)
        self.assertIn(doc["data"]["revision"], version)

    def test_errors(self):
        self.assertError("/api/v1/query_range", {"query": "up"}, 400, "bad_data",
                         'invalid parameter "start": cannot parse "" to a valid timestamp')
        self.assertError("/api/v1/query_range", {"query": "up", "start": 0, "end": 60, "step": "0"},
                         400, "bad_data", 'invalid parameter "step": zero or negative query '
                         'resolution step widths are not accepted. Try a positive integer')
        self.assertError("/api/v1/query_range", {"query": "up", "start": 0, "end": 11001, "step": 1},
                         400, "bad_data", "exceeded maximum resolution of 11,000 points per "
                         "timeseries. Try decreasing the query resolution (?step=XX)")
        self.assertError("/api/v1/query", {"query": "up", "time": "soon"}, 400, "bad_data",
                         "invalid parameter \"time\": invalid time value for 'time': cannot parse "
                         "\"soon\" to a valid timestamp")
        self.assertError("/api/v1/query", {"query": "sum("}, 400, "bad_data",
                         'invalid parameter "query": 1:5: parse error: unclosed left parenthesis')
        self.assertError("/api/v1/series", {}, 400, "bad_data", "no match[] parameter provided")
        self.assertError("/api/v1/query", {"query": "up", "timeout": "0"}, 503, "timeout",
                         "query timed out in expression evaluation")
        status, body = self.get_json("/api/v1/query", {"query": "http_requests_total + on() up"})
        self.assertEqual((status, body["errorType"]), (422, "execution"))
        status, _, _ = self.get("/api/v1/label/a/b/values")
        self.assertEqual(status, 404)

    # ---- HTTP: POST forms, compression

    def test_post_form_merges_body_before_url(self):
        T = self.T
        get_status, _, get_body = self.get("/api/v1/query", {"query": "up", "time": T})
        form = urllib.parse.urlencode({"query": "up", "time": T}).encode()
        status, _, body = http("POST", self.server.url + "/api/v1/query", form,
                               {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((status, body), (get_status, get_body))
        # The body's value is the one read; the URL's comes second, as in Go's r.Form.
        status, _, body = http("POST", self.server.url + "/api/v1/query?time=1&query=nothing",
                               form, {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(body, get_body)
        status, _, body = http("POST", self.server.url + "/api/v1/series",
                               b"match%5B%5D=up&match%5B%5D=nothing",
                               {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(len(json.loads(body)["data"]), 2)

    def test_compression(self):
        params = {"query": "http_requests_total", "start": self.T - 600, "end": self.T, "step": 15}
        _, plain_headers, plain = self.get("/api/v1/query_range", params)
        self.assertNotIn("Content-Encoding", plain_headers)
        status, headers, body = self.get("/api/v1/query_range", params,
                                         {"Accept-Encoding": "gzip"})
        self.assertEqual((status, headers.get("Content-Encoding")), (200, "gzip"))
        self.assertEqual(gzip.decompress(body), plain)
        self.assertLess(len(body), len(plain))
        status, headers, body = self.get("/api/v1/query_range", params,
                                         {"Accept-Encoding": "deflate, gzip"})
        self.assertEqual(headers.get("Content-Encoding"), "deflate")
        self.assertEqual(zlib.decompress(body), plain)
        # Errors are compressed too.
        status, headers, body = self.get("/api/v1/series", {}, {"Accept-Encoding": "gzip"})
        self.assertEqual((status, headers.get("Content-Encoding")), (400, "gzip"))
        self.assertEqual(json.loads(gzip.decompress(body))["error"], "no match[] parameter provided")

    # ---- plumbline query

    def test_plumbline_query(self):
        T = self.T
        r = run_cli("query", "--server", self.server.url, "--time", str(T), "up")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(), 'up{instance="a:1", job="api"}  1\n'
                                            'up{instance="b:2", job="web"}  0\n')
        r = run_cli("query", "--server", self.server.url, "--time", str(T),
                    "sum by (job) (http_requests_total) > 200")
        self.assertEqual(r.stdout.decode(), '{job="api"}  %d\n' % (11 * (POINTS - 1)))
        r = run_cli("query", "--server", self.server.url, "--start", str(T - 120), "--end", str(T),
                    "--step", "60", 'http_requests_total{job="web"}')
        self.assertEqual(r.returncode, 0, r.stderr)
        last = POINTS - 1
        self.assertEqual(r.stdout.decode(),
                         'http_requests_total{code="200", job="web"}\n'
                         "  %d  %d\n  %d  %d\n  %d  %d\n" % (T - 120, 5 * (last - 2), T - 60,
                                                             5 * (last - 1), T, 5 * last))
        r = run_cli("query", "--server", self.server.url, "1+1")
        self.assertEqual((r.returncode, r.stdout), (0, b"2\n"))
        r = run_cli("query", "--server", self.server.url, "sum(")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.decode(),
                         'query: invalid parameter "query": 1:5: parse error: unclosed left parenthesis\n')
        r = run_cli("query", "--server", self.server.url, "--start", "x", "up")
        self.assertEqual(r.returncode, 1)
        self.assertIn('invalid parameter "start": cannot parse "x" to a valid timestamp',
                      r.stderr.decode())


if __name__ == "__main__":
    unittest.main()
