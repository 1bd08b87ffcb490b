"""End to end: bulk import (offline and over HTTP), export, compact, and kill -9 safety."""
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

from harness import Server, http, run_cli

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "..", "bench", "gen_dataset.py")
LINE = re.compile(r'^(\S+?)(\{.*\})? (\S+) (-?\d+)$')


def parse_export(text):
    """{series text: [(t, v), ...]} from `plumbline export` output."""
    out = {}
    for line in text.splitlines():
        m = LINE.match(line)
        assert m, "unparsable export line: %r" % line
        series = m.group(1) + (m.group(2) or "")
        out.setdefault(series, []).append((int(m.group(4)), float(m.group(3))))
    return out


def generate(tmp, hours=4, hosts=5):
    """Runs the standard generator (small) and returns (prom path, om path, per-series sums)."""
    prom = os.path.join(tmp, "d.prom")
    om = os.path.join(tmp, "d.om")
    end = (int(time.time()) // 7200) * 7200 - 7200
    r = subprocess.run([sys.executable, GEN, "--hosts", str(hosts), "--hours", str(hours),
                        "--end", str(end), "--prom", prom, "--om", om],
                       capture_output=True, text=True, check=True)
    counts = dict(kv.split("=") for kv in r.stdout.split())
    sums, n = {}, 0
    with open(prom) as f:
        for line in f:
            if line.startswith("#"):
                continue
            series, value, _ = line.rsplit(" ", 2)
            sums[series] = sums.get(series, 0.0) + float(value)
            n += 1
    assert n == int(counts["SAMPLES"])
    return prom, om, sums, int(counts["SAMPLES"]), int(counts["SERIES"])


def export(data_dir):
    r = run_cli("export", "--data-dir", data_dir, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    return parse_export(r.stdout.decode())


def sums_of(exported):
    return {s: sum(v for _, v in points) for s, points in exported.items()}


class ImportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="plumbline_import_")
        cls.prom, cls.om, cls.sums, cls.samples, cls.series = generate(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_offline_import_matches_generator_and_export_round_trips(self):
        data = os.path.join(self.tmp.name, "offline")
        r = run_cli("import", "--data-dir", data, self.prom, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn(b"imported %d samples of %d series" % (self.samples, self.series), r.stderr)
        exported = export(data)
        self.assertEqual(sum(len(p) for p in exported.values()), self.samples)
        self.assertTrue(sums_of(exported) == self.sums, "sums differ after import")
        # Export is import's format: a second store loaded from it exports the same.
        dump = os.path.join(self.tmp.name, "dump.prom")
        with open(dump, "w") as f:
            f.write(run_cli("export", "--data-dir", data).stdout.decode())
        data2 = os.path.join(self.tmp.name, "offline2")
        self.assertEqual(run_cli("import", "--data-dir", data2, dump).returncode, 0)
        self.assertTrue(export(data2) == exported, "re-imported export differs")
        # Compaction changes nothing visible.
        r = run_cli("compact", "--data-dir", data)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertTrue(export(data) == exported, "compaction changed the data")

    def test_openmetrics_from_stdin_gives_the_same_samples(self):
        data = os.path.join(self.tmp.name, "om")
        with open(self.om, "rb") as f:
            r = run_cli("import", "--data-dir", data, "-", input_bytes=f.read(), timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertTrue(sums_of(export(data)) == self.sums, "sums differ after OpenMetrics import")

    def test_bad_lines_are_reported_and_the_rest_is_kept(self):
        path = os.path.join(self.tmp.name, "bad.prom")
        t = (int(time.time()) - 3600) * 1000
        with open(path, "w") as f:
            f.write('good{a="1"} 1 %d\n' % t +
                    'bad{a="1" 2 %d\n' % (t + 10000) +
                    'good{a="1"} 3 %d\n' % (t + 20000) +
                    'good{a="1"} 4 %d\n' % (t + 10000) +   # out of order
                    '1bad 5 %d\n' % (t + 30000) +
                    'old 6 %d\n' % (t - 40 * 86400 * 1000))  # beyond the 15d retention
        data = os.path.join(self.tmp.name, "bad")
        r = run_cli("import", "--data-dir", data, path)
        self.assertEqual(r.returncode, 3, r.stderr.decode())
        err = r.stderr.decode()
        self.assertIn("line 2:", err)
        self.assertIn("line 5:", err)
        self.assertIn("1 samples out of order, 1 samples older than the retention", err)
        self.assertEqual(export(data), {'good{a="1"}': [(t, 1.0), (t + 20000, 3.0)]})

    def test_import_into_a_running_store_is_refused_clearly(self):
        with Server() as server:
            server.start()
            r = run_cli("import", "--data-dir", server.data_dir, self.prom)
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"in use by another process", r.stderr)

    def test_http_import_streams_into_a_running_server(self):
        with Server() as server:
            server.start()
            r = run_cli("import", "--server", server.url, self.prom, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            # Bad data over HTTP: 400 with the line, the valid rest kept.
            status, _, body = http("POST", server.url + "/api/v1/import/prometheus",
                                   body=b'late{a="1"} 1 %d\nnope{ 1\n' % (int(time.time()) * 1000))
            self.assertEqual(status, 400)
            self.assertIn(b'"errorType":"bad_data"', body)
            self.assertIn(b"line 2:", body)
            status, _, body = http("POST", server.url + "/api/v1/import/prometheus?format=xml", body=b"")
            self.assertEqual(status, 400)
            self.assertIn(b"format", body)
            self.assertEqual(server.stop(), 0)
            exported = export(server.data_dir)
            self.assertIn('late{a="1"}', list(exported))
            del exported['late{a="1"}']
            self.assertTrue(sums_of(exported) == self.sums, "sums differ after HTTP import")

    def test_import_to_a_server_that_is_down_fails_clearly(self):
        r = run_cli("import", "--server", "http://127.0.0.1:1", self.prom)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"cannot reach", r.stderr)


class FullDataSetTest(unittest.TestCase):
    """The whole standard data set (1,000 series, 8.64 M samples) imports exactly."""

    def test_standard_data_set_imports_with_matching_counts_and_sums(self):
        tmp = tempfile.TemporaryDirectory(prefix="plumbline_full_")
        self.addCleanup(tmp.cleanup)
        prom, _, sums, samples, series = generate(tmp.name, hours=24, hosts=50)
        self.assertEqual((samples, series), (8640000, 1000))
        data = os.path.join(tmp.name, "data")
        r = run_cli("import", "--data-dir", data, prom, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        exported = export(data)
        self.assertEqual(len(exported), series)
        self.assertEqual(sum(len(p) for p in exported.values()), samples)
        self.assertTrue(sums_of(exported) == sums, "per-series sums differ from the generator's")


class CrashTest(unittest.TestCase):
    """kill -9 the real server at random moments during HTTP imports: nothing acknowledged
    may be lost, nothing may be corrupt."""
    KILLS = int(os.environ.get("PLUMBLINE_CRASH_KILLS", "50"))

    def test_kill9_during_imports_loses_no_acknowledged_sample(self):
        tmp = tempfile.TemporaryDirectory(prefix="plumbline_crash_")
        self.addCleanup(tmp.cleanup)
        data = os.path.join(tmp.name, "data")
        rng = random.Random(42)
        step = 1000
        t0 = (int(time.time()) - 6 * 3600) * 1000
        state = {"next": t0, "acked": []}  # starts of acknowledged requests

        def value(series, t):
            return (t // step) * (series + 1) + 0.5

        for kill in range(self.KILLS):
            server = Server(data_dir=data)
            self.addCleanup(server.close)
            server.start()
            stop = threading.Event()

            def writer():
                while not stop.is_set():
                    start = state["next"]
                    lines = []
                    for k in range(50):
                        t = start + k * step
                        for s in range(10):
                            lines.append('crash{s="%d"} %r %d' % (s, value(s, t), t))
                    body = ("\n".join(lines) + "\n").encode()
                    state["next"] = start + 50 * step
                    try:
                        status, _, _ = http("POST", server.url + "/api/v1/import/prometheus", body=body,
                                            timeout=5)
                    except OSError:
                        return
                    if status != 204:
                        return
                    state["acked"].append(start)

            thread = threading.Thread(target=writer)
            thread.start()
            time.sleep(rng.uniform(0.02, 0.4))
            server.kill9()
            stop.set()
            thread.join(timeout=30)
            server.close()

        server = Server(data_dir=data)
        self.addCleanup(server.close)
        server.start()  # recovery after the last kill
        self.assertEqual(server.stop(), 0)
        exported = export(data)
        self.assertEqual(len(exported), 10)
        for s in range(10):
            points = exported['crash{s="%d"}' % s]
            ts = [t for t, _ in points]
            self.assertEqual(ts, sorted(set(ts)), "series %d not strictly increasing" % s)
            for t, v in points:
                self.assertEqual(v, value(s, t), "corrupt value at %d" % t)
            present = set(ts)
            # Every acknowledged sample is there.
            missing = [start + k * step for start in state["acked"] for k in range(50)
                       if start + k * step not in present]
            self.assertEqual(missing[:5], [], "series %d lost %d acknowledged samples" % (s, len(missing)))
        self.assertGreater(len(state["acked"]), self.KILLS, "the writer barely wrote anything")


if __name__ == "__main__":
    unittest.main()
