"""Starts the real `plumbline` binary on free loopback ports for end-to-end tests.

Every server a test starts is stopped by its PID when the test ends; loops are bounded.
Standard library only.
"""
import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BIN = os.environ.get("PLUMBLINE_BIN", os.path.join(os.path.dirname(__file__), "../../build/plumbline"))


def free_port(kind=socket.SOCK_STREAM):
    """A port that is free for both TCP and UDP right now (bind to 0 and release)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


def http(method, url, body=None, headers=None, timeout=10):
    """Returns (status, headers, body bytes) without raising on HTTP errors."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class Server:
    """One `plumbline serve` process with its own data dir and ports."""

    def __init__(self, data_dir=None, extra_args=(), config=None):
        self._tmp = tempfile.TemporaryDirectory(prefix="plumbline_e2e_")
        self.data_dir = data_dir or os.path.join(self._tmp.name, "data")
        self.http_port = free_port()
        self.statsd_port = free_port()
        self.graphite_port = free_port()
        self.log_path = os.path.join(self._tmp.name, "server.log")
        self.args = [BIN, "serve", "--data-dir", self.data_dir,
                     "--http-listen", "127.0.0.1:%d" % self.http_port,
                     "--statsd-listen", "127.0.0.1:%d" % self.statsd_port,
                     "--graphite-listen", "127.0.0.1:%d" % self.graphite_port]
        if config is not None:
            path = os.path.join(self._tmp.name, "plumbline.yaml")
            with open(path, "w") as f:
                f.write(config)
            self.args += ["--config", path]
        self.args += list(extra_args)
        self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.http_port

    def start(self, wait_ready=True):
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if wait_ready:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited with %d:\n%s" % (self.proc.returncode, self.log()))
            try:
                status, _, _ = http("GET", self.url + "/-/ready", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("server not ready after %ds:\n%s" % (timeout, self.log()))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Sends `sig` and waits; returns the exit code (kills after the timeout)."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("server did not exit within %ds after %s" % (timeout, sig))

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        with contextlib.suppress(Exception):
            self.kill9()
        with contextlib.suppress(Exception):
            self._log.close()
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_cli(*args, timeout=60, input_bytes=None):
    """Runs the binary with `args`; returns CompletedProcess with text output."""
    return subprocess.run([BIN, *args], capture_output=True, timeout=timeout, input=input_bytes)
