"""A real VictoriaMetrics (Debian's victoria-metrics) on a free loopback port, for tests of
`--query-backend`: started with its own temporary storage, loaded through its
/api/v1/import/prometheus, stopped by its PID. Every wait is bounded. Standard library only."""
import os
import shutil
import subprocess
import tempfile
import time

from harness import free_port, http

VICTORIA_METRICS = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"


class VictoriaMetrics:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="plumbline_vm_")
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "victoria-metrics.log")
        self._log = open(self.log_path, "wb")
        # -search.disableCache: answers straight from the data just imported, never from a
        # result cached before it arrived.
        self.proc = subprocess.Popen(
            [VICTORIA_METRICS, "-httpListenAddr", "127.0.0.1:%d" % self.port,
             "-storageDataPath", os.path.join(self.dir, "data"), "-search.disableCache",
             "-loggerLevel", "WARN"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("victoria-metrics exited: %s" % self.log())
            try:
                if http("GET", self.url + "/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.close()
        raise AssertionError("victoria-metrics not ready within 30 s")

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def import_text(self, text):
        """Loads Prometheus text with millisecond timestamps and makes it searchable at once."""
        status, _, body = http("POST", self.url + "/api/v1/import/prometheus", text.encode())
        assert status == 204, (status, body)
        status, _, body = http("GET", self.url + "/internal/force_flush")
        assert status == 200, (status, body)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
