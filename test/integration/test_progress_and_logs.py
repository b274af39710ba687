"""Progress for people and logs where services look (issue #12, items 4
and 6): the status line on a terminal and only there, --progress lines,
the journal's priority prefixes, syslog, and the cron wrapper's lines per
failed hour."""
import datetime
import fcntl
import os
import pty
import re
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import termios
import time
import unittest

from harness import FORKBULK, SOURCE_DIR, FlowFileTest, Server, run_forkbulk

ERASE = b"\r\x1b[K"
# The time stamp that starts a line in today's format.
STAMP = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
# A redraw of the status line: back to the start, the text, erase the rest.
STATUS = re.compile(rb"\r([^\r\n\x1b]*docs/s[^\r\n\x1b]*)\x1b\[K")


def run_on_terminal(args, columns=200, timeout=120):
    """Runs forkbulk with stderr a pseudo-terminal of that many columns;
    returns (exit code, every byte it wrote there)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ,
                struct.pack("HHHH", 24, columns, 0, 0))
    env = dict(os.environ, TERM="xterm")
    proc = subprocess.Popen([FORKBULK] + list(args), env=env,
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            out += chunk
        else:
            proc.kill()
    finally:
        os.close(master)
    return proc.wait(timeout=30), out


class ProgressTest(FlowFileTest):
    """A load slow enough (the server answers 150 ms late) to be watched:
    40 requests of 500 documents over 2 workers, about 3 s."""

    N = 20000

    def args(self, es, index, *extra):
        return ["--input", self.flows, "--index", index, "--es", es.url,
                "--workers", "2", "--batch-docs", "500",
                "--range-bytes", "256KiB"] + list(extra)

    def test_status_line_on_a_terminal(self):
        with Server("--delay-ms", "150") as es:
            rc, out = run_on_terminal(self.args(es, "tty"))
        self.assertEqual(rc, 0, out)
        lines = [m.group(1) for m in STATUS.finditer(out)]
        self.assertGreaterEqual(len(lines), 3, out)
        for line in lines:
            self.assertRegex(line, rb"^\S*flows\.ndjson: ranges \d+/\d+, "
                             rb"\d+ docs, \d+ docs/s, ETA (\?|[\dhms>]+), "
                             rb"\d+ rejects, \d+ retries$")
        # Ranges finish while it is watched; the line ends erased, before
        # the summary.
        self.assertNotEqual(lines[0], lines[-1])
        self.assertIn(b"forkbulk summary", out)
        before, _, _ = out.partition(b"forkbulk summary")
        self.assertTrue(before.endswith(ERASE), before[-200:])
        self.assertNotIn(b"\x1b", out.partition(b"forkbulk summary")[2])

    def test_log_lines_replace_the_status_line(self):
        """Lines of the parent (--progress 1) and of the workers (retries
        of 503s) erase the status line first, in the same write: none is
        glued to its end."""
        with Server("--delay-ms", "150", "--request-503-rate", "0.2") as es:
            rc, out = run_on_terminal(self.args(es, "tty-logs", "--progress",
                                                "1", "--retries", "20"))
        self.assertEqual(rc, 0, out)
        self.assertTrue(STATUS.search(out), out)
        stamps = [m.start() for m in re.finditer(STAMP, out)]
        self.assertGreater(len(stamps), 3, out)
        for at in stamps:
            ok = at == 0 or out[:at].endswith((ERASE, b"\n"))
            self.assertTrue(ok, out[max(0, at - 120):at + 80])
        text = out.decode(errors="replace")
        self.assertRegex(text, r"\r\x1b\[K" + STAMP.decode()
                         + r" INFO  main\[\d+\] progress: ")
        self.assertRegex(text, r"\r\x1b\[K" + STAMP.decode()
                         + r" WARN  worker \d+\[\d+\] bulk request failed")

    def test_no_progress_on_a_terminal(self):
        with Server("--delay-ms", "150") as es:
            rc, out = run_on_terminal(self.args(es, "tty-off",
                                                "--no-progress"))
        self.assertEqual(rc, 0, out)
        self.assertNotIn(b"\x1b", out)
        self.assertNotIn(b"docs/s,", out)

    def test_nothing_on_a_pipe(self):
        with Server("--delay-ms", "150") as es:
            rc, err = run_forkbulk(self.args(es, "pipe"))
        self.assertEqual(rc, 0, err)
        self.assertNotIn("\r", err)
        self.assertNotIn("\x1b", err)
        self.assertNotIn("progress:", err)

    def test_progress_seconds_on_a_pipe(self):
        with Server("--delay-ms", "150") as es:
            rc, err = run_forkbulk(self.args(es, "pipe-log", "--progress",
                                             "1"))
        self.assertEqual(rc, 0, err)
        self.assertNotIn("\x1b", err)
        found = re.findall(r"^(\S+)Z INFO  main\[\d+\] progress: (.*)$",
                           err, re.M)
        self.assertGreaterEqual(len(found), 2, err)
        times = []
        for stamp, text in found:
            self.assertRegex(text, r"^\S*flows\.ndjson: ranges \d+/\d+, "
                             r"\d+ docs, \d+ docs/s, ETA ")
            times.append(datetime.datetime.strptime(
                stamp, "%Y-%m-%dT%H:%M:%S.%f").timestamp())
        for a, b in zip(times, times[1:]):
            self.assertTrue(0.7 <= b - a <= 1.6, (times, err))


class JournalTest(FlowFileTest):
    """JOURNAL_STREAM naming stderr (as systemd sets it) gives sd-daemon
    priority prefixes and no time stamp; naming anything else, today's
    format."""

    N = 4000

    def run_to_file(self, es_url, *extra, stream=None):
        err = self.path("stderr")
        with open(err, "wb") as f:
            st = os.fstat(f.fileno())
            env = dict(os.environ, JOURNAL_STREAM=stream or "%d:%d" % (
                st.st_dev, st.st_ino))
            proc = subprocess.run(
                [FORKBULK, "--input", self.flows, "--index", "j", "--es",
                 es_url, "--workers", "2", "--batch-docs", "200"]
                + list(extra), env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=f, timeout=120)
        with open(err) as f:
            return proc.returncode, proc.args, f.read()

    def test_priorities_and_no_time(self):
        with Server("--request-503-rate", "0.3") as es:
            rc, _, err = self.run_to_file(es.url, "--retries", "20")
        self.assertEqual(rc, 0, err)
        self.assertNotRegex(err, STAMP.decode())
        self.assertRegex(err, r"(?m)^<6>main\[\d+\] cluster at ")
        self.assertRegex(err, r"(?m)^<4>worker \d+\[\d+\] bulk request "
                         r"failed")
        for line in err.splitlines():
            if not line.startswith(("forkbulk summary", "  ")):
                self.assertRegex(line, r"^<[3467]>(main|worker \d+)\[\d+\] ")

    def test_error_priority(self):
        with socket.socket() as s:  # a loopback port nobody listens on
            s.bind(("127.0.0.1", 0))
            url = "http://127.0.0.1:%d" % s.getsockname()[1]
        rc, _, err = self.run_to_file(url, "--retries", "0")
        self.assertEqual(rc, 69, err)
        self.assertRegex(err, r"(?m)^<3>main\[\d+\] cannot reach the "
                         r"cluster at ")

    def test_another_stream_is_not_the_journal(self):
        other = self.path("other")
        open(other, "w").close()
        st = os.stat(other)
        with Server() as es:
            rc, _, err = self.run_to_file(
                es.url, stream="%d:%d" % (st.st_dev, st.st_ino))
        self.assertEqual(rc, 0, err)
        self.assertNotIn("<6>", err)
        self.assertRegex(err, "(?m)^" + STAMP.decode()
                         + r" INFO  main\[\d+\] cluster at ")


# Runs "$@" in a mount namespace of its own (unshare -m: private
# propagation, nothing reaches the host) where /dev is a fresh tmpfs with
# the usual devices bound in from the real one and $2 bound at /dev/log,
# where glibc's syslog(3) sends.
IN_NAMESPACE = r'''
set -e
dir=$1 sock=$2
shift 2
mkdir -p "$dir/dev"
mount --rbind /dev "$dir/dev"
mount -t tmpfs -o mode=0755 fb-dev /dev
for n in null zero full random urandom tty; do
    if [ -e "$dir/dev/$n" ]; then
        : > "/dev/$n"
        mount --bind "$dir/dev/$n" "/dev/$n"
    fi
done
ln -s /proc/self/fd /dev/fd
: > /dev/log
mount --bind "$sock" /dev/log
exec "$@"
'''


class SyslogTest(FlowFileTest):
    """--syslog: datagrams at the socket /dev/log names, facility daemon,
    "forkbulk[pid]", from the parent and from its workers; a --log-file
    gets the same lines, stderr none."""

    N = 4000

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root for a mount namespace")
        probe = subprocess.run(["unshare", "-m", "true"],
                               stderr=subprocess.PIPE)
        if probe.returncode != 0:
            raise unittest.SkipTest("unshare -m: %s" % probe.stderr.decode())
        super().setUpClass()

    def test_syslog_daemon_from_parent_and_workers(self):
        sock_path = self.path("log.sock")
        log_file = self.path("forkbulk.log")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock, \
                Server("--request-503-rate", "0.3") as es:
            sock.bind(sock_path)
            proc = subprocess.Popen(
                ["unshare", "-m", "sh", "-c", IN_NAMESPACE, "sh",
                 self.path("ns"), sock_path, FORKBULK, "--input", self.flows,
                 "--index", "s", "--es", es.url, "--workers", "2",
                 "--batch-docs", "200", "--retries", "20", "--syslog",
                 "--log-file", log_file],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
            _, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, err)
            sock.settimeout(0.5)
            grams = []
            try:
                while True:
                    grams.append(sock.recv(65536).decode())
            except socket.timeout:
                pass
        pid = proc.pid  # unshare execs sh, which execs forkbulk
        self.assertGreater(len(grams), 2, grams)
        pids = set()
        for g in grams:
            m = re.match(r"^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d "
                         r"forkbulk\[(\d+)\]: (main|worker \d+): ", g)
            self.assertIsNotNone(m, g)
            self.assertEqual(int(m.group(1)) >> 3, 3, g)  # LOG_DAEMON
            pids.add(int(m.group(2)))
            if m.group(3) == "main":
                self.assertEqual(int(m.group(2)), pid, g)
        self.assertTrue(any(g.startswith("<30>") and ": main: cluster at "
                            in g for g in grams), grams)
        self.assertTrue(any(g.startswith("<28>") and ": worker " in g
                            for g in grams), grams)
        self.assertGreater(len(pids), 1, grams)  # the workers' own
        # Nothing logged on stderr: only the summary.
        self.assertNotIn(b"cluster at", err)
        self.assertIn(b"forkbulk summary", err)
        # The file got every line too, in its own format.
        with open(log_file) as f:
            logged = f.read()
        self.assertRegex(logged, "(?m)^" + STAMP.decode()
                         + r" INFO  main\[%d\] cluster at " % pid)
        self.assertEqual(len(logged.splitlines()), len(grams))


class CronWrapperHoursTest(unittest.TestCase):
    """scripts/forkbulk-cron under dash, with a stand-in forkbulk that
    writes a summary of four hours (done, failed, interrupted, not
    loaded) and a stand-in logger: a line at err per failed or
    interrupted hour, then the run's line; --metrics-file exactly when its
    directory exists."""

    SUMMARY = """{
  "source": "public.flows",
  "exit_code": 65,
  "exit_meaning": "an hour is incomplete: rejects over the budget",
  "hours": [
    {
      "hour": "2026-11-27T01",
      "index": "flows-2026.11.27.01",
      "outcome": "done",
      "loaded_to_end": true,
      "read": 10,
      "loaded": 10,
      "rejected": 0,
      "exit_code": 0
    },
    {
      "hour": "2026-11-27T02",
      "index": "flows-2026.11.27.02",
      "outcome": "failed",
      "loaded_to_end": true,
      "read": 10,
      "loaded": 7,
      "rejected": 3,
      "exit_code": 65
    },
    {
      "hour": "2026-11-27T03",
      "index": "flows-2026.11.27.03",
      "outcome": "interrupted",
      "loaded_to_end": true,
      "read": 4,
      "loaded": 4,
      "rejected": 0,
      "exit_code": 143
    },
    {
      "hour": "2026-11-27T04",
      "index": "flows-2026.11.27.04",
      "outcome": "not loaded",
      "loaded_to_end": false,
      "read": 0,
      "loaded": 0,
      "rejected": 0,
      "exit_code": -1
    }
  ],
  "stale_documents": 0
}
"""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="fb-cron-hours-")
        bindir = os.path.join(self.dir, "bin")
        os.mkdir(bindir)
        self.logged = os.path.join(self.dir, "logged")
        self.argv = os.path.join(self.dir, "argv")
        summary = os.path.join(self.dir, "summary.json")
        with open(summary, "w") as f:
            f.write(self.SUMMARY)
        self.script(bindir, "logger",
                    'printf \'%%s\\n\' "$*" >> %s\n' % self.logged)
        fake = self.script(self.dir, "forkbulk", """\
printf '%%s\\n' "$@" > %s
while [ $# -gt 1 ]; do
    [ "$1" = --summary-json ] && cp %s "$2"
    shift
done
exit 65
""" % (self.argv, summary))
        self.env = dict(os.environ, FORKBULK_BIN=fake,
                        FORKBULK_STATE_DIR=os.path.join(self.dir, "state"),
                        PATH=bindir + os.pathsep + os.environ["PATH"])

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def script(where, name, body):
        path = os.path.join(where, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)
        return path

    def cron(self, **env):
        shell = shutil.which("dash") or "sh"
        proc = subprocess.run(
            [shell, os.path.join(SOURCE_DIR, "scripts", "forkbulk-cron"),
             os.path.join(self.dir, "forkbulk.conf")],
            env=dict(self.env, **env), stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        with open(self.logged) as f:
            logged = f.read().splitlines()
        with open(self.argv) as f:
            argv = f.read().splitlines()
        return proc.returncode, logged, argv, proc.stderr.decode()

    def test_a_line_per_failed_hour(self):
        metrics = os.path.join(self.dir, "node-exporter", "forkbulk.prom")
        rc, logged, argv, err = self.cron(FORKBULK_METRICS_FILE=metrics)
        self.assertEqual(rc, 65, err)
        self.assertEqual(logged[:2], [
            "-t forkbulk -p user.err forkbulk-cron: hour 2026-11-27T02 -> "
            "flows-2026.11.27.02 failed: exit 65, 3 record(s) rejected",
            "-t forkbulk -p user.err forkbulk-cron: hour 2026-11-27T03 -> "
            "flows-2026.11.27.03 interrupted: exit 143, 0 record(s) "
            "rejected"])
        self.assertEqual(len(logged), 3, logged)
        self.assertTrue(logged[2].startswith(
            "-t forkbulk -p user.err forkbulk-cron: an hour is incomplete: "
            "rejects over the budget; the next run loads the incomplete "
            "hour again (exit 65, summary "), logged)
        # No directory for the metrics: no --metrics-file.
        self.assertNotIn("--metrics-file", argv)

    def test_metrics_file_when_its_directory_exists(self):
        metrics = os.path.join(self.dir, "node-exporter", "forkbulk.prom")
        os.mkdir(os.path.dirname(metrics))
        rc, logged, argv, err = self.cron(FORKBULK_METRICS_FILE=metrics)
        self.assertEqual(rc, 65, err)
        at = argv.index("--metrics-file")
        self.assertEqual(argv[at + 1], metrics)
        self.assertEqual(argv.count("--metrics-file"), 1)


if __name__ == "__main__":
    unittest.main()
