"""Starts the real `plumbline` binary on free loopback ports for end-to-end tests.

Every server a test starts is stopped by its PID when the test ends; loops are bounded.
Standard library only.
"""
import contextlib
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BIN = os.environ.get("PLUMBLINE_BIN", os.path.join(os.path.dirname(__file__), "../../build/plumbline"))


_ISSUED = set()


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port(kind=socket.SOCK_STREAM):
    """A port that is free for both TCP and UDP right now, never handed out before in this
    process, and outside the kernel's ephemeral range (so that no client connection of a test
    running in parallel takes it between this check and the server's bind)."""
    low, high = _ephemeral_range()
    candidates = list(range(20000, low)) if low > 21000 else list(range(high + 1, 65535))
    random.shuffle(candidates)
    for port in candidates[:200]:
        if port in _ISSUED:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", port))
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
        except OSError:
            continue
        _ISSUED.add(port)
        return port
    raise RuntimeError("no free port")


def http(method, url, body=None, headers=None, timeout=10):
    """Returns (status, headers, body bytes) without raising on HTTP errors."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def wait_for(what, fn, timeout=60):
    """fn's first truthy result, polled every 0.1 s; fails naming `what` (and fn's last result)
    after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def _thread_stacks(pid):
    """Every thread's stack of a hung process, when gdb is there (for the failure message)."""
    try:
        r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt"],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        return r.stdout[-12000:]
    except (OSError, subprocess.TimeoutExpired) as e:
        return "(no stacks: %s)" % e


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
        # The server's own metrics stay out of the store, so that tests see only what they
        # wrote, unless the test sets the interval itself.
        if "--self-scrape-interval" not in extra_args and "self-scrape-interval" not in (config or ""):
            self.args += ["--self-scrape-interval", "off"]
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
        """Starts the server; with wait_ready, until /-/ready answers. Should another process
        take one of its ports first (tests run in parallel), starts again on new ports."""
        for attempt in range(3):
            self._log = open(self.log_path, "wb")
            self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            if not wait_ready:
                return self
            try:
                self.wait_ready()
                return self
            except AssertionError:
                if attempt == 2 or self.proc.poll() is None or "Address already in use" not in self.log():
                    raise
                self._log.close()
                self._reassign_ports()
        return self

    def _reassign_ports(self):
        for flag, attr in (("--http-listen", "http_port"), ("--statsd-listen", "statsd_port"),
                           ("--graphite-listen", "graphite_port")):
            if flag not in self.args:
                continue
            i = self.args.index(flag) + 1
            if self.args[i] == "127.0.0.1:%d" % getattr(self, attr):
                setattr(self, attr, free_port())
                self.args[i] = "127.0.0.1:%d" % getattr(self, attr)

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
            stacks = _thread_stacks(self.proc.pid)
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("server did not exit within %ds after %s\n--- log:\n%s\n--- threads:\n%s"
                                 % (timeout, sig, self.log()[-4000:], stacks))

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
