"""Rule files: `plumbline check rules` against `promtool check rules` (Prometheus 2.42), file by
file over the corpus in tests/query/rules.

For every file both tools must agree on pass or fail (exit code 0 or not), and the file's name
must say what promtool says: *.good.yaml pass, *.bad.yaml fail. A bad file starts with a header
`# expect line N: <names>`: Plumbline's message must name the file and that line
("FILE:N:COL: ...", N may be "any" for a YAML syntax error, then any line number will do) and,
when the fault is in a rule or group, name it as promtool does ("group \"x\", rule 2, \"Name\"").

promtool comes from Debian's `prometheus` package (scripts/setup installs it); without it the
test fails, it is not skipped. Standard library only; every process is bounded by a timeout.
"""
import os
import re
import shutil
import subprocess
import unittest

from harness import run_cli

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.normpath(os.path.join(HERE, "..", "query", "rules"))
HEADER = re.compile(r"^# expect line (\d+|any): (.*)$")
TIMEOUT_S = 60


def corpus():
    """Every rule file of the corpus, sorted, as absolute paths."""
    return sorted(os.path.join(RULES, f) for f in os.listdir(RULES) if f.endswith(".yaml"))


def promtool(path):
    return subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True,
                          timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)


def plumbline(path):
    r = run_cli("check", "rules", path, timeout=TIMEOUT_S)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


class RuleFilesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if shutil.which("promtool") is None:
            raise AssertionError("promtool not found: the rule file test needs Prometheus 2.42's "
                                 "promtool from Debian's `prometheus` package (scripts/setup)")

    def test_corpus_is_there(self):
        files = corpus()
        self.assertGreaterEqual(len([f for f in files if f.endswith(".good.yaml")]), 8)
        self.assertGreaterEqual(len([f for f in files if f.endswith(".bad.yaml")]), 30)

    def test_agrees_with_promtool(self):
        for path in corpus():
            name = os.path.basename(path)
            with self.subTest(file=name):
                theirs = promtool(path)
                code, out, err = plumbline(path)
                self.assertIn("Checking " + path, out)
                promtool_ok = theirs.returncode == 0
                self.assertEqual(promtool_ok, name.endswith(".good.yaml"),
                                 "promtool's verdict on %s:\n%s%s" % (name, theirs.stdout, theirs.stderr))
                self.assertEqual(code == 0, promtool_ok,
                                 "plumbline (exit %d) and promtool (exit %d) disagree on %s:\n"
                                 "plumbline: %s%s\npromtool: %s%s" % (
                                     code, theirs.returncode, name, out, err, theirs.stdout,
                                     theirs.stderr))
                if promtool_ok:
                    self.assertIn("SUCCESS:", out)
                    continue
                self.assertNotEqual(code, 0)
                self.assertIn("FAILED:", err)
                with open(path, encoding="utf-8") as f:
                    header = HEADER.match(f.readline().rstrip("\n"))
                self.assertIsNotNone(header, "%s has no '# expect line N: ...' header" % name)
                line, names = header.group(1), header.group(2)
                position = re.escape(path) + ":" + (r"\d+" if line == "any" else line) + r":\d+: "
                wanted = re.compile(r"^  " + position + r".*" + re.escape(names), re.M)
                self.assertRegex(err, wanted, "%s: want %s:%s: ... %s" % (name, path, line, names))


if __name__ == "__main__":
    unittest.main()
