"""The files that keep evidence, the lock, and the wrapper under cron.

Reject files, the log, the summary and the lock file refuse what another
user could have put at their names (a symbolic link, a hard link, a file
of someone else, a lock others may write): exit 73 naming the file, and
the file left as it was.  A reject file is never emptied, not even by a
run that fails at once.  The lock lives in the state directory.  The
shipped configuration and scripts/forkbulk-cron run as cron runs them, as
an unprivileged user, against a real PostgreSQL and es-test-server; the
wrapper turns an hour of 75s in a row into an error.  Real processes.
"""
import datetime
import json
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
import unittest

from harness import (FORKBULK, SOURCE_DIR, FlowFileTest, Server, flows_ddl,
                     run_forkbulk)
from pgcluster import PgTest

WRAPPER = os.path.join(SOURCE_DIR, "scripts", "forkbulk-cron")
SHIPPED = os.path.join(SOURCE_DIR, "etc", "forkbulk.conf")
ROOT = os.geteuid() == 0


def nobody():
    """(uid, gid) of the unprivileged user the tests give files to."""
    pw = pwd.getpwnam("nobody")
    return pw.pw_uid, pw.pw_gid


def me():
    return pwd.getpwuid(os.geteuid()).pw_name


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data, mode=0o600):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


class RefusedFileTest(FlowFileTest):
    """Reject file, log file and summary: what is not our own regular file
    is refused before (or instead of) being written."""
    N = 200

    def refused(self, rc, err, path, reason):
        self.assertEqual(rc, 73, err)
        self.assertIn("%s %s" % (path, reason), err)

    def assert_reject_file_refused(self, name, plant, reason):
        """plant(path) puts something at the reject file's name and returns
        the file it leads to: the run is refused before any work, and
        that file is left as it was."""
        path = self.path(name + ".rejects")
        victim = plant(path)
        before = read(victim)
        with Server() as es:
            rc, err, _ = self.load(es, name, "--reject-file", path)
            self.assertIsNone(es.index_stats(name))  # before any work
        self.refused(rc, err, "reject file " + path, reason)
        self.assertEqual(read(victim), before)

    def test_reject_file_symlink_refused_target_unchanged(self):
        def plant(path):
            target = write(self.path("precious"), b"not forkbulk's\n")
            os.symlink(target, path)
            return target
        self.assert_reject_file_refused("symlinked", plant,
                                        "is a symbolic link")

    def test_reject_file_hard_link_refused(self):
        def plant(path):
            target = write(self.path("other-evidence"), b"keep\n")
            os.link(target, path)
            return target
        self.assert_reject_file_refused("hardlinked", plant, "has 2 links")

    @unittest.skipUnless(ROOT, "giving a file to another user needs root")
    def test_reject_file_of_another_user_refused(self):
        def plant(path):
            write(path, b"theirs\n")
            os.chown(path, *nobody())
            return path
        self.assert_reject_file_refused("theirs", plant,
                                        "is owned by nobody, not %s" % me())

    def test_log_file_symlink_refused(self):
        target = write(self.path("log-target"), b"")
        link = self.path("forkbulk.log")
        os.symlink(target, link)
        rc, err = run_forkbulk(["--input", self.flows, "--index", "x",
                                "--log-file", link])
        self.refused(rc, err, "log file " + link, "is a symbolic link")
        self.assertEqual(read(target), b"")

    def test_summary_symlink_refused_target_unchanged(self):
        target = write(self.path("summary-target"), b"{}\n")
        link = self.path("summary-link.json")
        os.symlink(target, link)
        with Server() as es:
            rc, err = run_forkbulk(["--input", self.flows, "--index", "sl",
                                    "--es", es.url, "--summary-json", link])
        self.refused(rc, err, "summary " + link, "is a symbolic link")
        self.assertEqual(read(target), b"{}\n")
        self.assertTrue(os.path.islink(link))

    def test_reject_file_kept_across_runs(self):
        """A run that ends at once with 69 (cluster down) leaves the last
        run's reject file byte for byte; the next run with rejects adds
        to it.  The file is created 0600."""
        src = self.path("two-bad.ndjson")
        with open(src, "w") as f:
            for i in range(100):
                f.write('{"id":%d}\n' % i if i not in (10, 60) else "{bad\n")
        rejects = self.path("kept.rejects.ndjson")
        with Server() as es:
            rc, err, _ = self.load(es, "kept", "--id-field", "id",
                                   "--max-rejects", "10",
                                   "--reject-file", rejects, input=src)
            url = es.url
        self.assertEqual(rc, 0, err)  # within the budget
        first = read(rejects)
        self.assertEqual(len(first.splitlines()), 2)
        self.assertEqual(stat.S_IMODE(os.stat(rejects).st_mode), 0o600)
        rc, err = run_forkbulk(["--input", src, "--index", "kept",
                                "--es", url, "--retries", "0",
                                "--max-rejects", "10",
                                "--reject-file", rejects])
        self.assertEqual(rc, 69, err)
        self.assertEqual(read(rejects), first)
        with Server() as es:
            rc, err, _ = self.load(es, "kept", "--id-field", "id",
                                   "--max-rejects", "10",
                                   "--reject-file", rejects, input=src)
        self.assertEqual(rc, 0, err)
        both = read(rejects)
        self.assertTrue(both.startswith(first))
        self.assertEqual(len(both.splitlines()), 4)


def hour_to_load():
    """The last complete hour that has settled (ended 2 minutes ago, the
    default --settle) with some minutes to spare for the test itself."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return ((now - datetime.timedelta(minutes=5))
            .replace(minute=0, second=0, microsecond=0)
            - datetime.timedelta(hours=1))


def insert_rows(pg, start, n):
    """n flows spread over the hour that begins at start."""
    pg.psql("""
INSERT INTO flows (id, ts, src_ip, dst_ip, src_port, dst_port, proto, bytes,
                   packets)
SELECT g, '%s'::timestamptz + (g - 1) * (interval '1 hour' / %d),
       '10.0.0.1', '192.0.2.9', 1024 + g, 443, 6, g * 10, 1
FROM generate_series(1, %d) g""" % (start.isoformat(), n, n))


class FlowsHourTest(PgTest):
    """A flows table with ROWS rows in HOUR, and a scratch folder
    self.dir for each test."""

    HOUR = hour_to_load()
    ROWS = 500

    @classmethod
    def setUpCluster(cls):
        cls.pg.psql(flows_ddl())
        insert_rows(cls.pg, cls.HOUR, cls.ROWS)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="fb-%s-" % type(self).__name__)
        self.addCleanup(shutil.rmtree, self.dir, True)


class LockFileTest(FlowsHourTest):
    """The job's lock file, in the state directory by default."""

    def setUp(self):
        super().setUp()
        self.state = os.path.join(self.dir, "state")

    def run_job(self, es_url, *extra, job="flows"):
        return run_forkbulk(["--pg", self.pg.conninfo, "--table", "flows",
                             "--time-column", "ts", "--es", es_url,
                             "--job", job, "--state-dir", self.state,
                             "--hour", self.HOUR.strftime("%Y-%m-%dT%H"),
                             "--workers", "2"] + list(extra))

    def test_default_lock_in_state_dir(self):
        with Server() as es:
            rc, err = self.run_job(es.url, job="flows hourly/1")
            self.assertEqual(rc, 0, err)
            index = self.HOUR.strftime("flows-%Y.%m.%d.%H")
            self.assertEqual(es.index_stats(index)["docs"], self.ROWS)
        st = os.stat(self.state)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        lock = os.path.join(self.state, "flows_hourly_1.lock")
        st = os.lstat(lock)
        self.assertTrue(stat.S_ISREG(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(read(lock), b"")  # released: names nobody

    def test_state_dir_parent_must_exist(self):
        self.state = os.path.join(self.dir, "no", "state")
        rc, err = self.run_job("http://127.0.0.1:9")
        self.assertEqual(rc, 73, err)
        self.assertIn("cannot create state directory %s: No such file or "
                      "directory" % self.state, err)

    def lock(self):
        os.mkdir(self.state, 0o700)
        return os.path.join(self.state, "flows.lock")

    @unittest.skipUnless(ROOT, "giving a file to another user needs root")
    def test_lock_owned_by_another_user(self):
        path = write(self.lock(), b"", 0o600)
        os.chown(path, *nobody())
        rc, err = self.run_job("http://127.0.0.1:9")
        self.assertEqual(rc, 73, err)
        self.assertIn("lock file %s is owned by nobody, not %s"
                      % (path, me()), err)

    def test_symlinked_lock_refused(self):
        target = write(os.path.join(self.dir, "target"), b"keep\n")
        path = self.lock()
        os.symlink(target, path)
        rc, err = self.run_job("http://127.0.0.1:9")
        self.assertEqual(rc, 73, err)
        self.assertIn("lock file %s is a symbolic link" % path, err)
        self.assertEqual(read(target), b"keep\n")

    def test_lock_writable_by_others_refused(self):
        path = write(self.lock(), b"", 0o666)
        rc, err = self.run_job("http://127.0.0.1:9")
        self.assertEqual(rc, 73, err)
        self.assertIn("lock file %s is writable by group or others "
                      "(mode 0666)" % path, err)

    def test_lock_readable_by_others_made_private(self):
        """Any user who can read the lock file can flock it: a lock file
        of ours that others may read is made 0600 and used."""
        path = write(self.lock(), b"", 0o644)
        with Server() as es:
            rc, err = self.run_job(es.url)
        self.assertEqual(rc, 0, err)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)


def cron_env(extra=None):
    """cron's environment: nothing but these (no HOME, no LOGNAME)."""
    env = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh"}
    env.update(extra or {})
    return env


@unittest.skipUnless(ROOT, "running as an unprivileged user needs root")
class CronAsUserTest(FlowsHourTest):
    """etc/forkbulk.conf as shipped (only pg and url changed) and the
    wrapper, run as cron runs them: sh, PATH=/usr/bin:/bin, no HOME,
    cwd /, as the unprivileged user nobody."""

    ROWS = 3000

    @classmethod
    def setUpCluster(cls):
        super().setUpCluster()
        # A row in each neighbouring hour: not in the hour's index.
        cls.pg.psql("INSERT INTO flows (id, ts, src_ip, dst_ip) VALUES "
                    "(-1, '%s'::timestamptz - interval '1 microsecond', "
                    "'10.0.0.2', '192.0.2.1'), (-2, '%s'::timestamptz + "
                    "interval '1 hour', '10.0.0.2', '192.0.2.1')"
                    % (cls.HOUR.isoformat(), cls.HOUR.isoformat()))

    def shipped_config(self, es_url):
        """The shipped file with the connection lines pointed at the test's
        PostgreSQL and es-test-server; all else as shipped."""
        with open(SHIPPED) as f:
            lines = f.read().splitlines(True)
        changed = 0
        for i, line in enumerate(lines):
            if line.startswith("pg = "):
                lines[i] = "pg = %s\n" % self.pg.conninfo
                changed += 1
            elif line.startswith("url = "):
                lines[i] = "url = %s\n" % es_url
                changed += 1
        self.assertEqual(changed, 2)
        text = "".join(lines)
        self.assertIn("\ntable = public.flows\n", text)
        self.assertIn("\ntime_column = ts\n", text)
        self.assertNotIn("\nlock_file =", text)
        return write(os.path.join(self.dir, "forkbulk.conf"), text.encode(),
                     0o644)

    def installed(self, path):
        """A copy of a program where the unprivileged user can run it, as
        an install would put it: the checkout and the build tree may be
        in a folder only root can enter (a CI clone under mkdtemp)."""
        bin_dir = os.path.join(self.dir, "bin")
        os.makedirs(bin_dir, 0o755, exist_ok=True)
        copy = os.path.join(bin_dir, os.path.basename(path))
        shutil.copy(path, copy)
        os.chmod(copy, 0o755)
        return copy

    def test_shipped_config_and_wrapper_under_cron(self):
        uid, gid = nobody()
        state = os.path.join(self.dir, "state")
        os.mkdir(state, 0o700)
        os.chown(state, uid, gid)
        os.chmod(self.dir, 0o755)
        wrapper, forkbulk = self.installed(WRAPPER), self.installed(FORKBULK)
        with Server() as es:
            conf = self.shipped_config(es.url)
            proc = subprocess.run(
                ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid,
                 "--clear-groups", "--", "sh", wrapper, conf],
                env=cron_env({"FORKBULK_BIN": forkbulk,
                              "FORKBULK_STATE_DIR": state}),
                cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                timeout=600)
            err = proc.stderr.decode(errors="replace")
            self.assertEqual(proc.returncode, 0, err)
            index = self.HOUR.strftime("flows-%Y.%m.%d.%H")
            self.assertEqual(es.index_stats(index)["docs"], self.ROWS)
        with open(os.path.join(state, "last-summary.json")) as f:
            self.assertEqual(json.load(f)["exit_code"], 0)
        for name in ("flows-hourly.lock", "last-summary.json"):
            st = os.lstat(os.path.join(state, name))
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)),
                             (uid, 0o600), name)


class LockStreakTest(unittest.TestCase):
    """scripts/forkbulk-cron: 75 (another run holds the lock) is a notice,
    until the first 75 of an unbroken run of them is an hour old; then
    each 75 is an error.  Any other exit ends the run of 75s."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="fb-streak-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        bindir = os.path.join(self.dir, "bin")
        os.mkdir(bindir)
        self.logged = os.path.join(self.dir, "logged")
        self.code = os.path.join(self.dir, "code")
        # forkbulk and logger(1) stand-ins: exit with the code in a file;
        # record what would go to syslog.
        write(os.path.join(bindir, "forkbulk"),
              b'#!/bin/sh\nexit $(cat %s)\n' % self.code.encode(), 0o755)
        write(os.path.join(bindir, "logger"),
              b'#!/bin/sh\nprintf \'%%s\\n\' "$*" >> %s\n'
              % self.logged.encode(), 0o755)
        self.state = os.path.join(self.dir, "state")
        self.busy = os.path.join(self.state, "lock-busy")
        self.env = cron_env({
            "PATH": bindir + ":/usr/bin:/bin",
            "FORKBULK_BIN": os.path.join(bindir, "forkbulk"),
            "FORKBULK_STATE_DIR": self.state})

    def cron(self, code):
        """One wrapper run with forkbulk exiting code; (exit, last line
        logged)."""
        write(self.code, b"%d\n" % code)
        proc = subprocess.run(["sh", WRAPPER, "/nonexistent.conf"],
                              env=self.env, cwd="/",
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)
        with open(self.logged) as f:
            return proc.returncode, f.read().splitlines()[-1]

    def streak(self):
        with open(self.busy) as f:
            first, count, since = f.read().split()
        return int(first), int(count), since

    def test_an_hour_of_75s_is_an_error(self):
        t0 = int(time.time())
        rc, line = self.cron(75)
        self.assertEqual(rc, 75)
        self.assertEqual(line, "-t forkbulk -p user.notice forkbulk-cron: "
                         "exit 75; the next run catches up (exit 75, "
                         "summary %s/last-summary.json)" % self.state)
        first, count, since = self.streak()
        self.assertLessEqual(abs(first - t0), 5)
        self.assertEqual(count, 1)
        self.assertEqual(since, time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                              time.gmtime(first)))
        # Still under an hour: still a notice.
        write(self.busy, b"%d 1 2026-11-27T03:05:00Z\n" % (t0 - 3500))
        rc, line = self.cron(75)
        self.assertIn("-p user.notice ", line)
        self.assertEqual(self.streak(), (t0 - 3500, 2,
                                         "2026-11-27T03:05:00Z"))
        # The first 75 of the run is an hour old: an error, saying so.
        write(self.busy, b"%d 2 2026-11-27T03:05:00Z\n" % (t0 - 3600))
        rc, line = self.cron(75)
        self.assertEqual(rc, 75)
        self.assertEqual(
            line, "-t forkbulk -p user.err forkbulk-cron: another run has "
            "held the lock for over an hour: 3 runs in a row since "
            "2026-11-27T03:05:00Z exited 75; forkbulk's message names the "
            "holder (exit 75, summary %s/last-summary.json)" % self.state)
        rc, line = self.cron(75)
        self.assertIn("-p user.err ", line)
        self.assertEqual(self.streak()[1], 4)
        # Any other exit ends the run of 75s: the next 75 is a notice.
        rc, line = self.cron(0)
        self.assertEqual(rc, 0)
        self.assertIn("-p user.info ", line)
        self.assertFalse(os.path.exists(self.busy))
        rc, line = self.cron(75)
        self.assertIn("-p user.notice ", line)
        self.assertEqual(self.streak()[1], 1)

    def test_unreadable_streak_starts_again(self):
        os.makedirs(self.state)
        write(self.busy, b"garbage\n")
        rc, line = self.cron(75)
        self.assertIn("-p user.notice ", line)
        self.assertEqual(self.streak()[1], 1)
        rc, line = self.cron(69)
        self.assertIn("-p user.err ", line)
        self.assertFalse(os.path.exists(self.busy))


if __name__ == "__main__":
    unittest.main()
