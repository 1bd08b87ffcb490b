"""Alert rules end to end: a rule over data arriving by StatsD fires, reaches a real
Alertmanager 0.25 (Debian's prometheus-alertmanager, started here on loopback) and a chat
webhook with the recent deploy named, and resolves. Also: reload (SIGHUP and POST /-/reload
with an admin token, a bad reload keeping the old rules), a broken rule file refusing the start
with file and line, and `plumbline drill`."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest
import urllib.parse

from harness import BIN, Server, free_port, http, wait_for
from test_events import Receiver, sha256

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"

RULES = """groups:
  - name: api
    interval: 1s
    rules:
      - record: service:api_error_ratio:max
        expr: max by (service) (api_error_ratio)
      - alert: HighErrorRate
        expr: service:api_error_ratio:max > 0.1
        for: 2s
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.service }} fails {{ $value | humanizePercentage }} of requests"
"""


class Alertmanager:
    """A real Alertmanager on a free loopback port, clustering off, routing everything to a
    webhook receiver with group_wait and group_interval of 1s."""

    def __init__(self, webhook_url):
        self.dir = tempfile.mkdtemp(prefix="plumbline_am_")
        self.port = free_port()
        config = os.path.join(self.dir, "alertmanager.yml")
        with open(config, "w") as f:
            f.write("""route:
  receiver: hook
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %s
        send_resolved: true
""" % webhook_url)
        self.log_path = os.path.join(self.dir, "alertmanager.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [ALERTMANAGER, "--config.file", config, "--storage.path", os.path.join(self.dir, "data"),
             "--web.listen-address", "127.0.0.1:%d" % self.port, "--cluster.listen-address=",
             "--log.level", "warn"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for("Alertmanager to be ready", lambda: self._ready())

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("alertmanager exited: %s" % open(self.log_path).read())
        try:
            return http("GET", self.url + "/-/ready", timeout=2)[0] == 200
        except OSError:
            return False

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def alerts(self):
        """The alerts Alertmanager holds as active (not resolved), through its API v2."""
        status, _, body = http("GET", self.url + "/api/v2/alerts")
        assert status == 200, body
        return json.loads(body)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class AlertsTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="plumbline_rules_")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def receiver(self):
        r = Receiver()
        self.addCleanup(r.close)
        return r

    def alertmanager(self, webhook_url):
        am = Alertmanager(webhook_url)
        self.addCleanup(am.close)
        return am

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, extra_args=(), config=None, wait_ready=True):
        server = Server(extra_args=list(extra_args), config=config)
        self.addCleanup(server.close)
        return server.start(wait_ready=wait_ready)

    def get(self, server, path):
        status, _, body = http("GET", server.url + path)
        self.assertEqual(status, 200, body)
        return json.loads(body)["data"]

    def promql(self, server, expr):
        return self.get(server, "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))["result"]

    def statsd(self, server, line):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(line.encode(), ("127.0.0.1", server.statsd_port))

    def cli(self, *args, env=None):
        full_env = dict(os.environ, USER="alice")
        full_env.pop("PLUMBLINE_TOKEN", None)
        full_env.update(env or {})
        return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120,
                              env=full_env, stdin=subprocess.DEVNULL)


class AlertPathTest(AlertsTestCase):
    def test_a_rule_over_statsd_data_fires_to_alertmanager_and_chat_naming_the_deploy(self):
        hooks = self.receiver()
        am = self.alertmanager(hooks.url("/am"))
        config = """
flush-interval: 1s
notifiers:
  - name: team-chat
    url: %s
    format: slack
    types: [alert]
""" % hooks.url("/chat")
        server = self.start(["--rule-files", self.write("api.rules.yaml", RULES),
                             "--alertmanager-url", am.url, "--external-label", "cluster=e2e"],
                            config=config)

        deploy = self.cli("deploy", "--service", "api", "--what", "a1b2c3 fix login",
                          "--server", server.url)
        self.assertEqual(deploy.returncode, 0, deploy.stderr)
        self.statsd(server, "api.error_ratio:0.25|g|#service:api")

        # Chat hears it fire, with its value and the deploy that came before.
        chat = hooks.wait("/chat", 1)
        text = json.loads(chat[0][1])["text"]
        self.assertIn("[FIRING] HighErrorRate on api: value 0.25. api fails 25% of requests", text)
        self.assertIn("Recent changes: alice deployed api a1b2c3 fix login", text)

        # Alertmanager holds it, with the annotation and the external label.
        alerts = wait_for("the alert in Alertmanager", lambda: [
            a for a in am.alerts() if a["labels"].get("alertname") == "HighErrorRate"])
        self.assertEqual(alerts[0]["labels"]["service"], "api")
        self.assertEqual(alerts[0]["labels"]["severity"], "page")
        self.assertEqual(alerts[0]["labels"]["cluster"], "e2e")
        self.assertIn("alice deployed api a1b2c3 fix login",
                      alerts[0]["annotations"]["recent_changes"])
        self.assertEqual(alerts[0]["annotations"]["summary"], "api fails 25% of requests")
        self.assertTrue(alerts[0]["generatorURL"].startswith(server.url + "/#/explore?expr="))
        firing_hook = json.loads(hooks.wait("/am", 1)[0][1])
        self.assertEqual(firing_hook["status"], "firing")

        # Plumbline's own API and PromQL agree.
        api_alerts = self.get(server, "/api/v1/alerts")["alerts"]
        self.assertEqual([(a["labels"]["alertname"], a["state"]) for a in api_alerts],
                         [("HighErrorRate", "firing")])
        self.assertEqual(api_alerts[0]["value"], "2.5e-01")
        rules = self.get(server, "/api/v1/rules")["groups"][0]["rules"]
        self.assertEqual([(r["name"], r["type"], r["health"]) for r in rules],
                         [("service:api_error_ratio:max", "recording", "ok"),
                          ("HighErrorRate", "alerting", "ok")])
        self.assertEqual(rules[1]["state"], "firing")
        self.assertEqual(len(self.promql(server, 'ALERTS{alertname="HighErrorRate",alertstate="firing"}')), 1)
        recorded = self.promql(server, "service:api_error_ratio:max")
        direct = self.promql(server, "max by (service) (api_error_ratio)")
        self.assertEqual([r["value"][1] for r in recorded], [d["value"][1] for d in direct])

        # The error ratio drops: resolved in chat, in Alertmanager and through its webhook.
        self.statsd(server, "api.error_ratio:0|g|#service:api")
        chat = hooks.wait("/chat", 2)
        self.assertIn("[RESOLVED] HighErrorRate on api", json.loads(chat[1][1])["text"])
        wait_for("Alertmanager to see it resolved", lambda: not [
            a for a in am.alerts() if a["labels"].get("alertname") == "HighErrorRate"])
        resolved = wait_for("the resolved webhook", lambda: [
            b for _, b in hooks.bodies.get("/am", []) if json.loads(b)["status"] == "resolved"])
        self.assertEqual(json.loads(resolved[0])["alerts"][0]["labels"]["alertname"], "HighErrorRate")
        self.assertEqual(self.get(server, "/api/v1/alerts")["alerts"], [])
        self.assertEqual(server.stop(), 0, server.log())


class ReloadTest(AlertsTestCase):
    TOKENS = {"ops": ("admin", "s3cret-admin"), "ci": ("deployer", "s3cret-deploy")}

    def test_reload_by_signal_and_by_admin_request_and_a_bad_reload_keeps_the_old_rules(self):
        auth = self.write("auth.yaml", "tokens:\n" + "".join(
            "  - name: %s\n    role: %s\n    sha256: %s\n" % (n, r, sha256(t))
            for n, (r, t) in self.TOKENS.items()))
        rules = self.write("r.yaml", "groups:\n  - name: g\n    rules:\n"
                                     "      - record: one\n        expr: vector(1)\n")
        server = self.start(["--rule-files", rules, "--auth-file", auth,
                             "--evaluation-interval", "1s"])

        def names():
            return [r["name"] for g in self.get(server, "/api/v1/rules")["groups"] for r in g["rules"]]

        self.assertEqual(names(), ["one"])
        self.write("r.yaml", "groups:\n  - name: g\n    rules:\n"
                             "      - record: two\n        expr: vector(2)\n")
        server.proc.send_signal(signal.SIGHUP)
        wait_for("SIGHUP to reload", lambda: names() == ["two"])

        # POST /-/reload needs an admin token.
        self.write("r.yaml", "groups:\n  - name: g\n    rules:\n"
                             "      - record: three\n        expr: vector(3)\n")
        for headers, status in (({}, 401), ({"Authorization": "Bearer s3cret-deploy"}, 403)):
            self.assertEqual(http("POST", server.url + "/-/reload", b"", headers)[0], status)
        self.assertEqual(names(), ["two"])
        status, _, body = http("POST", server.url + "/-/reload", b"",
                               {"Authorization": "Bearer s3cret-admin"})
        self.assertEqual(status, 200, body)
        self.assertEqual(names(), ["three"])

        # A broken file: 500 naming file, line and rule; the old rules keep running.
        self.write("r.yaml", "groups:\n  - name: g\n    rules:\n"
                             "      - record: four\n        expr: sum(\n")
        status, _, body = http("POST", server.url + "/-/reload", b"",
                               {"Authorization": "Bearer s3cret-admin"})
        self.assertEqual(status, 500)
        self.assertIn("failed to reload config: ", body.decode())
        self.assertIn("r.yaml:5:", body.decode())
        self.assertIn('"four"', body.decode())
        self.assertEqual(names(), ["three"])
        wait_for("the recording rule to keep running",
                 lambda: [r["value"][1] for r in self.promql(server, "three")] == ["3"])
        server.proc.send_signal(signal.SIGHUP)  # refused too, logged, still running
        wait_for("the refused SIGHUP reload in the log", lambda: "reload refused" in server.log())
        self.assertEqual(names(), ["three"])
        self.assertEqual(server.stop(), 0, server.log())

    def test_a_broken_rule_file_refuses_the_start_naming_file_line_and_rule(self):
        rules = self.write("bad.yaml", "groups:\n  - name: g\n    rules:\n"
                                       "      - alert: Bad\n        expr: up ==\n")
        server = self.start(["--rule-files", rules], wait_ready=False)
        self.assertEqual(server.proc.wait(timeout=30), 1)
        self.assertIn("bad.yaml:5:15: group", server.log())
        self.assertIn('Bad', server.log())
        self.assertIn("could not parse expression", server.log())
        self.assertNotIn("StatsD UDP on", server.log(), "refused before anything starts")


class DrillTest(AlertsTestCase):
    def test_a_drill_goes_through_every_notifier_and_reports_each(self):
        hooks = self.receiver()
        am = self.alertmanager(hooks.url("/am"))
        config = """
notifiers:
  - name: team-chat
    url: %s
    format: slack
  - name: deploys-only
    url: %s
    types: [deploy]
""" % (hooks.url("/chat"), hooks.url("/deploys"))
        server = self.start(["--alertmanager-url", am.url], config=config)
        result = self.cli("drill", "--service", "api", "--server", server.url)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("ok      alertmanager:127.0.0.1:%d: sent (HTTP 200)" % am.port, result.stdout)
        self.assertIn("ok      team-chat: sent (HTTP 200)", result.stdout)
        self.assertIn("deploys-only: skipped", result.stdout)
        text = json.loads(hooks.wait("/chat", 1)[0][1])["text"]
        self.assertTrue(text.startswith("[FIRE DRILL] [FIRING] PlumblineFireDrill on api"), text)
        self.assertIn("No action is needed", text)
        drill = wait_for("the drill alert in Alertmanager", lambda: [
            a for a in am.alerts() if a["labels"].get("alertname") == "PlumblineFireDrill"])
        self.assertEqual(drill[0]["labels"]["drill"], "true")
        self.assertEqual(drill[0]["labels"]["service"], "api")
        self.assertEqual(hooks.count("/deploys"), 0)

    def test_a_failing_destination_fails_the_drill(self):
        hooks = self.receiver()
        config = """
notifiers:
  - name: broken-chat
    url: %s
""" % hooks.url("/fail")
        server = self.start(["--alertmanager-url", "http://127.0.0.1:%d" % free_port()],
                            config=config)
        result = self.cli("drill", "--server", server.url)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("FAILED  broken-chat: failed: the receiver answered HTTP 500", result.stdout)
        self.assertRegex(result.stdout, r"FAILED  alertmanager:127\.0\.0\.1:\d+: failed: cannot reach")
        unreachable = self.cli("drill", "--server", "http://127.0.0.1:%d" % free_port())
        self.assertEqual(unreachable.returncode, 3)


if __name__ == "__main__":
    unittest.main()
