"""The deploy log end to end: the real binary, its CLI, its HTTP API and Graphite's events API,
auth with a real auth file, and chat webhooks delivered to loopback receivers this test starts.

Every server and receiver is started on a free 127.0.0.1 port and stopped when its test ends;
every wait is bounded.
"""
import hashlib
import json
import os
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import Server, free_port, http, run_cli

WAIT_S = 20


class Receiver:
    """A loopback HTTP server recording what is posted to it. Paths: /ok answers 200, /fail
    500, /hang holds the request until release() (or the test's end)."""

    def __init__(self):
        self.bodies = {}  # path -> [body, ...]
        self.cond = threading.Condition()
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.cond:
                    receiver.bodies.setdefault(self.path, []).append(
                        (self.headers.get("Content-Type"), body))
                    receiver.cond.notify_all()
                if self.path == "/hang":
                    receiver.released.wait(WAIT_S)
                status = 500 if self.path == "/fail" else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def wait(self, path, count):
        """The bodies posted to `path` once there are `count` of them (fails after WAIT_S)."""
        deadline = time.monotonic() + WAIT_S
        with self.cond:
            while len(self.bodies.get(path, [])) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("%s got %d posts, expected %d" %
                                         (path, len(self.bodies.get(path, [])), count))
                self.cond.wait(left)
            return list(self.bodies[path])

    def count(self, path):
        with self.cond:
            return len(self.bodies.get(path, []))

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def sha256(token):
    return hashlib.sha256(token.encode()).hexdigest()


class EventsTestCase(unittest.TestCase):
    def start(self, extra_args=(), config=None):
        server = Server(extra_args=extra_args, config=config)
        self.addCleanup(server.close)
        return server.start()

    def receiver(self):
        r = Receiver()
        self.addCleanup(r.close)
        return r

    def post(self, server, body, path="/api/v1/events", headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        status, _, answer = http("POST", server.url + path, data,
                                 {"Content-Type": "application/json", **(headers or {})})
        return status, json.loads(answer) if answer else None

    def events(self, server, query=""):
        status, _, body = http("GET", server.url + "/api/v1/events" + query)
        self.assertEqual(status, 200, body)
        return json.loads(body)["data"]

    def promql(self, server, expr):
        status, _, body = http("GET", server.url + "/api/v1/query?" +
                               urllib.parse.urlencode({"query": expr}))
        self.assertEqual(status, 200, body)
        return json.loads(body)["data"]["result"]

    def cli(self, server_url, *args, cwd=None, env=None):
        full_env = dict(os.environ, USER="alice")
        full_env.pop("PLUMBLINE_TOKEN", None)
        full_env.update(env or {})
        from harness import BIN
        return subprocess.run([BIN, *args, "--server", server_url], capture_output=True, text=True,
                              timeout=60, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL)


class DeployEndToEndTest(EventsTestCase):
    def test_a_cli_deploy_shows_in_the_api_in_promql_and_in_chat(self):
        chat = self.receiver()
        config = """
flush-interval: 1s
notifiers:
  - name: team-chat
    url: %s
    format: slack
    types: [deploy]
  - name: audit
    url: %s
    format: json
  - name: stuck
    url: %s
    format: slack
    timeout: 15s
  - name: broken
    url: %s
    format: slack
  - name: web-only
    url: %s
    format: slack
    services: [web]
""" % (chat.url("/ok"), chat.url("/json"), chat.url("/hang"), chat.url("/fail"),
       chat.url("/web"))
        server = self.start(config=config)
        # A receiver that hangs and one that answers 500 are in the way from the start.
        r = self.cli(server.url, "deploy", "--service", "api", "--what", "a1b2c3 fix login",
                     "--env", "prod", "--url", "https://ci.example/run/7", "--tag", "region=eu")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("recorded deploy 1: alice deployed api a1b2c3 fix login (prod)", r.stdout)

        # The write did not wait for the hanging receiver, which still holds its request.
        chat.wait("/hang", 1)
        self.assertFalse(chat.released.is_set())
        r = self.cli(server.url, "event", "--type", "flag", "--service", "checkout",
                     "--what", "checkout_v2 → 10 %", "--who", "bob")
        self.assertEqual(r.returncode, 0, r.stderr)

        # In the API.
        deploy = self.events(server, "?type=deploy")
        self.assertEqual(len(deploy), 1)
        self.assertEqual({k: deploy[0][k] for k in ("id", "type", "service", "who", "what", "env",
                                                     "url", "tags")},
                         {"id": 1, "type": "deploy", "service": "api", "who": "alice",
                          "what": "a1b2c3 fix login", "env": "prod",
                          "url": "https://ci.example/run/7", "tags": {"region": "eu"}})

        # In chat: slack text as a person would write it, json as the raw event; filters hold.
        content_type, body = chat.wait("/ok", 1)[0]
        self.assertEqual(content_type, "application/json")
        self.assertEqual(json.loads(body),
                         {"text": "alice deployed api a1b2c3 fix login (prod) — "
                                  "https://ci.example/run/7"})
        posted = [json.loads(b) for _, b in chat.wait("/json", 2)]
        self.assertEqual(posted[0], deploy[0])
        self.assertEqual((posted[1]["type"], posted[1]["what"]), ("flag", "checkout_v2 → 10 %"))
        chat.wait("/fail", 1)
        self.assertEqual(chat.count("/ok"), 1)   # the flag was not for team-chat
        self.assertEqual(chat.count("/web"), 0)  # nor any of it for web-only

        # In PromQL, through the two series.
        deadline = time.monotonic() + WAIT_S
        while True:
            marked = self.promql(server, "changes(plumbline_event_last_timestamp_seconds[5m]) > 0")
            if marked or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(sorted((m["metric"]["type"], m["metric"]["service"]) for m in marked),
                         [("deploy", "api"), ("flag", "checkout")])
        totals = {m["metric"]["service"]: m["value"][1]
                  for m in self.promql(server, "plumbline_events_total")}
        self.assertEqual(totals, {"api": "1", "checkout": "1"})
        # The 500 receiver is tried 3 times (backoff 1 s, 2 s), then counted as failed.
        self.assertEqual(self.wait_notifications(server, "broken", "failed", 2), 2)
        self.assertEqual(chat.count("/fail"), 6)
        self.assertEqual(self.wait_notifications(server, "team-chat", "sent", 1), 1)
        chat.released.set()
        self.assertEqual(self.wait_notifications(server, "stuck", "sent", 2), 2)
        self.assertEqual(server.stop(), 0, server.log())
        # Failures are logged by the notifier's name, never its URL (webhook URLs are secrets).
        self.assertIn('notifier \\"broken\\": delivery failed after 3', server.log())
        self.assertNotIn("127.0.0.1:%d" % chat.port, server.log())

    def wait_notifications(self, server, notifier, result, want):
        """plumbline_notifications_total{notifier,result} once it reaches `want` (bounded)."""
        line = 'plumbline_notifications_total{notifier="%s",result="%s"} ' % (notifier, result)
        deadline = time.monotonic() + WAIT_S
        value = None
        while time.monotonic() < deadline:
            _, _, body = http("GET", server.url + "/metrics")
            for text in body.decode().splitlines():
                if text.startswith(line):
                    value = float(text[len(line):])
            if value is not None and value >= want:
                return value
            time.sleep(0.1)
        return value

    def test_what_defaults_to_the_git_commit_and_who_to_the_user(self):
        server = self.start()
        repo = tempfile.mkdtemp(prefix="plumbline_git_")
        self.addCleanup(subprocess.run, ["rm", "-rf", repo])
        git = ["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com"]
        subprocess.run(["git", "init", "-q", repo], check=True)
        with open(os.path.join(repo, "f"), "w") as f:
            f.write("x")
        subprocess.run(git + ["add", "f"], check=True)
        subprocess.run(git + ["commit", "-q", "-m", "fix the login page"], check=True)
        sha = subprocess.run(["git", "-C", repo, "log", "-1", "--format=%h"], capture_output=True,
                             text=True, check=True).stdout.strip()
        r = self.cli(server.url, "deploy", "--service", "web", cwd=repo, env={"USER": "carol"})
        self.assertEqual(r.returncode, 0, r.stderr)
        [event] = self.events(server)
        self.assertEqual((event["who"], event["what"]), ("carol", sha + " fix the login page"))
        # Outside a checkout, --what is required: bad usage, nothing sent.
        r = self.cli(server.url, "deploy", "--service", "web", cwd=tempfile.gettempdir())
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--what", r.stderr)
        self.assertEqual(len(self.events(server)), 1)


class RefusalTest(EventsTestCase):
    TOKENS = {"ci": ("deployer", "s3cret-deploy"), "grafana": ("viewer", "s3cret-view"),
              "root": ("admin", "s3cret-admin")}

    def start_with_auth(self):
        path = os.path.join(tempfile.mkdtemp(prefix="plumbline_auth_"), "auth.yaml")
        self.addCleanup(subprocess.run, ["rm", "-rf", os.path.dirname(path)])
        with open(path, "w") as f:
            f.write("tokens:\n")
            for name, (role, token) in self.TOKENS.items():
                f.write("  - name: %s\n    role: %s\n    sha256: %s\n" % (name, role, sha256(token)))
        return self.start(extra_args=["--auth-file", path])

    def test_cli_exit_codes_and_messages(self):
        server = self.start_with_auth()
        r = self.cli(server.url, "deploy", "--service", "api", "--what", "x")
        self.assertEqual(r.returncode, 1)
        self.assertIn("HTTP 401", r.stderr)
        self.assertIn("token", r.stderr)
        r = self.cli(server.url, "deploy", "--service", "api", "--what", "x", "--token", "wrong")
        self.assertEqual(r.returncode, 1)
        self.assertIn("HTTP 401", r.stderr)
        r = self.cli(server.url, "deploy", "--service", "api", "--what", "x",
                     "--token", "s3cret-view")
        self.assertEqual(r.returncode, 1)
        self.assertIn("HTTP 403", r.stderr)
        self.assertIn("viewer", r.stderr)
        r = self.cli(server.url, "deploy", "--service", "api", "--what", "x", "--time", "soon",
                     "--token", "s3cret-deploy")
        self.assertEqual(r.returncode, 1)
        self.assertIn("time: expected unix seconds or an RFC 3339 time", r.stderr)
        self.assertEqual(self.events(server), [])
        # The token from the environment; then a good one on the command line.
        r = self.cli(server.url, "deploy", "--service", "api", "--what", "v1",
                     env={"PLUMBLINE_TOKEN": "s3cret-deploy"})
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.cli(server.url, "event", "--type", "incident", "--service", "db", "--what", "down",
                     "--token", "s3cret-admin")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([e["what"] for e in self.events(server)], ["down", "v1"])
        for secret in ("s3cret-deploy", "s3cret-view", "s3cret-admin", "wrong"):
            self.assertNotIn(secret, server.log())
        # Bad usage and an unreachable server.
        r = self.cli(server.url, "event", "--what", "x")
        self.assertEqual(r.returncode, 2)
        r = self.cli(server.url, "deploy", "--what", "x", "--tag", "novalue")
        self.assertEqual(r.returncode, 2)
        down = "http://127.0.0.1:%d" % free_port()
        r = self.cli(down, "deploy", "--service", "api", "--what", "x")
        self.assertEqual(r.returncode, 3)
        self.assertIn("cannot reach", r.stderr)

    def test_every_write_endpoint_refuses_without_a_deployer_token(self):
        server = self.start_with_auth()
        event = {"type": "deploy", "service": "api", "what": "x"}
        graphite = {"what": "x", "tags": "deploy"}
        text = b"refused_metric 1 %d\n" % (int(time.time()) * 1000 - 60_000)
        writes = [("/api/v1/events", json.dumps(event).encode()),
                  ("/events/", json.dumps(graphite).encode()),
                  ("/api/v1/import/prometheus", text)]
        for path, body in writes:
            for headers, status, error_type in (
                    ({}, 401, "unauthorized"),
                    ({"Authorization": "Bearer wrong"}, 401, "unauthorized"),
                    ({"Authorization": "Basic czNjcmV0"}, 401, "unauthorized"),
                    ({"Authorization": "Bearer s3cret-view"}, 403, "forbidden")):
                got, hdrs, answer = http("POST", server.url + path, body, headers)
                self.assertEqual(got, status, (path, headers, answer))
                self.assertEqual(json.loads(answer)["errorType"], error_type)
                if status == 401:
                    self.assertEqual(hdrs.get("WWW-Authenticate"), 'Bearer realm="plumbline"')
        self.assertEqual(self.events(server), [])
        self.assertEqual(self.promql(server, "refused_metric"), [])
        # Reading stays open.
        status, _, _ = http("GET", server.url + "/events/get_data?from=-1h&until=now")
        self.assertEqual(status, 200)
        # A deployer may write each.
        ok = {"Authorization": "Bearer s3cret-deploy"}
        for path, body in writes:
            got, _, answer = http("POST", server.url + path, body, ok)
            self.assertIn(got, (200, 201, 204), (path, answer))
        self.assertEqual(len(self.events(server)), 2)
        self.assertEqual(len(self.promql(server, "refused_metric")), 1)

    def test_without_an_auth_file_cross_site_browser_writes_are_refused(self):
        server = self.start()
        got, answer = self.post(server, {"type": "note", "what": "x"},
                                headers={"Origin": "https://evil.example"})
        self.assertEqual(got, 403, answer)
        got, answer = self.post(server, {"type": "note", "what": "x"},
                                headers={"Origin": server.url})
        self.assertEqual(got, 201, answer)

    def test_bad_input_is_refused_with_the_reason_and_nothing_is_stored(self):
        server = self.start()
        self.assertEqual(self.post(server, {"type": "deploy", "what": "kept"})[0], 201)
        cases = [
            (b'{"type":"deploy","what":', "body: not valid JSON"),
            (json.dumps({"type": "deploy", "what": "x" * 70000}).encode(), "body: larger than"),
            (json.dumps({"type": "rollout", "what": "x"}).encode(), "type: expected one of"),
            (b'{"type":"deploy","what":"caf\xe9"}', "not valid JSON"),
            (json.dumps({"type": "deploy", "what": "x", "time": 99999999999}).encode(),
             "time: out of range"),
            (json.dumps({"type": "deploy", "what": "x", "time": 1000}).encode(),
             "time: older than the events retention"),
            (json.dumps({"type": "deploy", "what": "x", "servce": "api"}).encode(),
             "servce: unknown field"),
        ]
        for body, reason in cases:
            status, answer = self.post(server, body)
            self.assertEqual(status, 400, (body[:60], answer))
            self.assertEqual(answer["errorType"], "bad_data")
            self.assertIn(reason, answer["error"])
        status, _, _ = http("POST", server.url + "/api/v1/events", b"x" * (2 << 20),
                            {"Content-Type": "application/json"})
        self.assertEqual(status, 413)
        for path in ("/api/v1/events?start=yesterday", "/api/v1/events?limit=0",
                     "/api/v1/events/abc", "/events/get_data?from=soon"):
            status, _, body = http("GET", server.url + path)
            self.assertEqual(status, 400, (path, body))
        self.assertEqual([e["what"] for e in self.events(server)], ["kept"])


class ApiTest(EventsTestCase):
    def test_filters_limits_regions_and_ids(self):
        server = self.start()
        now = int(time.time())
        posted = [
            {"type": "deploy", "service": "api", "env": "prod", "what": "a1", "time": now - 3600},
            {"type": "deploy", "service": "web", "env": "prod", "what": "w1", "time": now - 1800},
            {"type": "flag", "service": "api", "env": "staging", "what": "f1", "time": now - 900},
            {"type": "deploy", "service": "api", "env": "prod", "what": "a2",
             "time": now - 600, "end": now - 480},
            {"type": "incident", "service": "db", "what": "i1",
             "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 300))},
        ]
        ids = []
        for body in posted:
            status, answer = self.post(server, body)
            self.assertEqual(status, 201, answer)
            ids.append(answer["data"]["id"])
        self.assertEqual(ids, [1, 2, 3, 4, 5])
        whats = lambda q: [e["what"] for e in self.events(server, q)]
        self.assertEqual(whats(""), ["i1", "a2", "f1", "w1", "a1"])  # newest first
        self.assertEqual(whats("?type=deploy"), ["a2", "w1", "a1"])
        self.assertEqual(whats("?type=deploy&service=api"), ["a2", "a1"])
        self.assertEqual(whats("?env=staging"), ["f1"])
        self.assertEqual(whats("?limit=2"), ["i1", "a2"])
        self.assertEqual(whats("?start=%d&end=%d" % (now - 2000, now - 700)), ["f1", "w1"])
        # A region overlapping the window is in it, though it began before.
        self.assertEqual(whats("?start=%d&end=%d" % (now - 500, now - 400)), ["a2"])
        rfc = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        self.assertEqual(whats("?start=%s&end=%s" % (rfc(now - 350), rfc(now))), ["i1"])
        status, _, body = http("GET", server.url + "/api/v1/events/4")
        self.assertEqual(status, 200)
        event = json.loads(body)["data"]
        self.assertEqual((event["what"], event["time"], event["end"]), ("a2", now - 600, now - 480))
        status, _, body = http("GET", server.url + "/api/v1/events/99")
        self.assertEqual((status, json.loads(body)["errorType"]), (404, "not_found"))

    def test_graphite_events_api_as_grafana_uses_it(self):
        server = self.start()
        now = int(time.time())
        status, _, body = http("POST", server.url + "/events/", json.dumps(
            {"what": "deploy api", "tags": ["deploy", "service:api"], "when": now - 60,
             "data": "a1b2c3 fix login"}).encode())
        self.assertEqual(status, 200, body)
        status, _, body = http("POST", server.url + "/events/", json.dumps(
            {"what": "cache flush", "tags": "ops web"}).encode())
        self.assertEqual(status, 200, body)
        self.assertEqual(self.post(server, {"type": "deploy", "service": "web", "what": "w9",
                                            "time": now - 7200})[0], 201)
        # Grafana's Graphite annotations: from/until relative or unix seconds, tags space-separated.
        def get_data(query):
            status, _, body = http("GET", server.url + "/events/get_data?" + query)
            self.assertEqual(status, 200, body)
            return json.loads(body)
        got = get_data("from=-6h&until=now&tags=deploy")
        self.assertEqual([(e["what"], e["data"]) for e in got],
                         [("w9", ""), ("deploy api", "a1b2c3 fix login")])  # oldest first
        self.assertEqual(got[1]["when"], now - 60)
        self.assertEqual(got[1]["tags"], ["deploy", "api"])
        self.assertEqual([e["what"] for e in get_data("from=-1h&until=now&tags=deploy")],
                         ["deploy api"])
        self.assertEqual([e["what"] for e in get_data("from=%d&until=%d&tags=ops%%20web"
                                                      % (now - 600, now + 60))], ["cache flush"])
        self.assertEqual([e["what"] for e in get_data("from=-6h&until=now&tags=deploy&tags=web")],
                         ["w9"])
        # The same events through our API.
        [flush] = self.events(server, "?type=note")
        self.assertEqual(flush["tags"], {"ops": "", "web": ""})


if __name__ == "__main__":
    unittest.main()
