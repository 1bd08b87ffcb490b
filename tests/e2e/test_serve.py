"""End to end: `plumbline serve` as a user runs it (issue: foundation)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import unittest

from harness import Server, http, run_cli


def raw_request(port, data, timeout=20):
    """Sends raw bytes (possibly huge) and returns everything the server answered until it
    closed the connection. If the server answers early and stops reading, the rest of the
    upload fails quietly and the answer is still read: that is what a real client sees."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        s.close()


def status_of(response):
    line = response.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


class ServeTest(unittest.TestCase):
    def setUp(self):
        self.server = Server().start()
        self.addCleanup(self.server.close)

    def test_ready_healthy_and_metrics_lint_clean(self):
        status, _, body = http("GET", self.server.url + "/-/ready")
        self.assertEqual(status, 200)
        self.assertIn(b"Ready", body)
        status, _, _ = http("GET", self.server.url + "/-/healthy")
        self.assertEqual(status, 200)
        status, headers, body = http("GET", self.server.url + "/metrics")
        self.assertEqual(status, 200)
        self.assertIn("text/plain", headers.get("Content-Type", ""))
        text = body.decode()
        for name in ("plumbline_build_info{", "plumbline_uptime_seconds",
                     "plumbline_http_requests_total{", "plumbline_http_request_duration_seconds_bucket{",
                     "process_resident_memory_bytes", "plumbline_storage_sst_bytes{"):
            self.assertIn(name, text)
        self.assertRegex(text, r'plumbline_http_requests_total\{[^}]*code="200"[^}]*handler="/-/ready"[^}]*\} [1-9]')
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool (Debian package prometheus) is required")
        check = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout.decode() + check.stderr.decode())

    def test_the_server_stores_its_own_metrics(self):
        server = Server(extra_args=["--self-scrape-interval", "1s"]).start()
        self.addCleanup(server.close)
        deadline = time.monotonic() + 20
        result = []
        while time.monotonic() < deadline and len(result) < 1:
            status, _, body = http("GET", server.url + "/api/v1/query?query=plumbline_build_info")
            self.assertEqual(status, 200, body)
            result = json.loads(body)["data"]["result"]
            time.sleep(0.2)
        self.assertEqual(len(result), 1, "plumbline_build_info never stored")
        self.assertEqual(result[0]["value"][1], "1")
        # A later scrape holds the requests of this test, with the family's metadata.
        metadata = {}
        while time.monotonic() < deadline and not metadata:
            status, _, body = http("GET", server.url + "/api/v1/metadata?metric=plumbline_http_requests_total")
            self.assertEqual(status, 200, body)
            metadata = json.loads(body)["data"]
            time.sleep(0.2)
        self.assertEqual(metadata.get("plumbline_http_requests_total", [{}])[0].get("type"), "counter",
                         metadata)

    def test_sigterm_exits_zero(self):
        code = self.server.stop(signal.SIGTERM)
        self.assertEqual(code, 0, self.server.log())
        self.assertIn("stopped cleanly", self.server.log())

    def test_sigint_exits_zero(self):
        code = self.server.stop(signal.SIGINT)
        self.assertEqual(code, 0, self.server.log())

    def test_second_signal_exits_at_once_while_shutdown_waits(self):
        # A slow upload keeps a request in flight, so the graceful shutdown waits for it.
        s = socket.create_connection(("127.0.0.1", self.server.http_port), timeout=10)
        self.addCleanup(s.close)
        s.sendall(b"POST /api/v1/import/prometheus HTTP/1.1\r\nHost: x\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        line = b'slow{a="1"} 1\n'
        s.sendall(b"%x\r\n%s\r\n" % (len(line), line))
        time.sleep(0.3)
        self.server.proc.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        self.assertIsNone(self.server.proc.poll(), "exited before the in-flight request ended")
        start = time.monotonic()
        self.server.proc.send_signal(signal.SIGTERM)
        code = self.server.proc.wait(timeout=10)
        self.assertEqual(code, 1)
        self.assertLess(time.monotonic() - start, 3.0)
        self.assertIn("again: exiting at once", self.server.log())

    def test_second_instance_on_same_data_dir_is_refused(self):
        other = Server(data_dir=self.server.data_dir)
        self.addCleanup(other.close)
        other.start(wait_ready=False)
        code = other.proc.wait(timeout=30)
        self.assertNotEqual(code, 0)
        self.assertIn("in use by another process", other.log())
        # The first server is unharmed.
        self.assertEqual(http("GET", self.server.url + "/-/ready")[0], 200)

    def test_bad_requests_get_the_right_status_and_server_keeps_serving(self):
        port = self.server.http_port
        cases = [
            ("huge header", b"GET /-/ready HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (10 << 20) + b"\r\n\r\n", 431),
            ("huge body", b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (10 << 20)
             + b"b" * (10 << 20), 413),
            ("malformed request line", b"THIS IS NOT HTTP\r\n\r\n", 400),
            ("unknown path", b"GET /no/such/path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
            ("wrong method", b"DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
        ]
        for name, data, want in cases:
            with self.subTest(name):
                response = raw_request(port, data)
                self.assertEqual(status_of(response), want, response[:200])
                if want == 405:
                    self.assertIn(b"allow:", response.lower())
                self.assertEqual(http("GET", self.server.url + "/-/ready")[0], 200)

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        s = socket.create_connection(("127.0.0.1", self.server.http_port), timeout=10)
        try:
            s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n" * 3)
            data = b""
            deadline = time.monotonic() + 10
            while data.count(b"HTTP/1.1 200") < 3 and time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.assertEqual(data.count(b"HTTP/1.1 200"), 3, data)
        finally:
            s.close()


class StartupErrorsTest(unittest.TestCase):
    def test_bad_flag_value_names_the_flag(self):
        r = run_cli("serve", "--flush-interval", "soon", "--data-dir", "/nonexistent/x")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"--flush-interval", r.stderr)
        self.assertIn(b"soon", r.stderr)

    def test_unknown_flag_is_refused(self):
        r = run_cli("serve", "--no-such-flag", "1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"no-such-flag", r.stderr + r.stdout)

    def test_bad_config_key_names_file_line_and_key(self):
        with Server(config="data-dir: ./x\nflush-intervall: 10s\n") as server:
            server.start(wait_ready=False)
            code = server.proc.wait(timeout=30)
            self.assertNotEqual(code, 0)
            self.assertIn('line 2: unknown key \\"flush-intervall\\"', server.log())

    def test_bad_mapping_file_names_file_line_and_rule(self):
        with Server() as server:
            rules = os.path.join(server._tmp.name, "rules.yaml")
            with open(rules, "w") as f:
                f.write("mappings:\n- match: api.*\n  name: api_$2\n")
            server.args += ["--mapping-file", rules]
            server.start(wait_ready=False)
            code = server.proc.wait(timeout=30)
            self.assertNotEqual(code, 0)
            self.assertIn("rules.yaml:3:9: name: reference $2 but the match has 1 capture", server.log())

    def assert_refused_when_taken(self, flag):
        """`flag` names a port another socket holds: the server exits non-zero and says so."""
        blocker = socket.socket()  # TCP: the StatsD TCP listener shares the UDP port number
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        try:
            with Server() as server:
                server.args[server.args.index(flag) + 1] = "127.0.0.1:%d" % blocker.getsockname()[1]
                server.start(wait_ready=False)
                code = server.proc.wait(timeout=30)
                self.assertNotEqual(code, 0)
                self.assertIn("Address already in use", server.log())
        finally:
            blocker.close()

    def test_statsd_port_in_use_is_a_clear_error(self):
        self.assert_refused_when_taken("--statsd-listen")

    def test_flags_win_over_config_file(self):
        # The file asks for port 1 (not ours to bind); the harness' --http-listen flag wins.
        with Server(config="http-listen: 127.0.0.1:1\nlog-level: debug\n") as server:
            server.start()
            self.assertEqual(http("GET", server.url + "/-/ready")[0], 200)
            self.assertIn("level=debug", server.log())

    def test_http_port_in_use_is_a_clear_error(self):
        self.assert_refused_when_taken("--http-listen")

if __name__ == "__main__":
    unittest.main()
