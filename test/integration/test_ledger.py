"""The run ledger and the job lock against a real, private PostgreSQL 15.

Drives ledger_check (harness.LEDGER_CHECK), one operation per process,
and reads the tables back with psql: rows exact, pending hours after a
mix of done, failed, interrupted, dead and never-run hours, and a second
run refused with the holder named (lock file and advisory lock), then
let in after the holder releases or dies.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import LEDGER_CHECK as CHECK
from harness import PG_BIN
from pgcluster import PgTest

HOST = socket.gethostname()
ENV = dict(os.environ, LC_ALL="C", LANG="C")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# 2026-11-27T00:00:00Z in seconds.
DAY = 1795737600


def _project_version():
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "CMakeLists.txt")
    with open(top) as f:
        m = re.search(r"project\(forkbulk VERSION (\S+)", f.read())
    return m.group(1)


def fnv1a64(data):
    h = 14695981039346656037
    for b in data:
        h ^= b
        h = (h * 1099511628211) % (1 << 64)
    return h - (1 << 64) if h >= (1 << 63) else h


def hour_us(h):
    """Microseconds of 2026-11-27T<h>:00Z."""
    return (DAY + h * 3600) * 1000000


def run(*args, timeout=60):
    """ledger_check args -> (exit code, stdout, stderr, pid)."""
    p = subprocess.Popen([CHECK] + list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=ENV, text=True)
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err, p.pid


class Holder:
    """A ledger_check lock process holding the job lock."""

    def __init__(self, job, path, conninfo, fork_child=False):
        args = [CHECK, "lock", job, path, conninfo]
        if fork_child:
            args.append("fork-child")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=ENV,
                                     text=True)
        line = self.proc.stdout.readline()
        if line != "acquired %d\n" % self.proc.pid:
            self.proc.kill()
            raise AssertionError("holder did not acquire: %r %r" % (
                line, self.proc.stderr.read()))
        self.child = None
        if fork_child:
            m = re.match(r"^child (\d+)\n$", self.proc.stdout.readline())
            self.child = int(m.group(1))

    @property
    def pid(self):
        return self.proc.pid

    def release(self):
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()


class LedgerTest(PgTest):
    @classmethod
    def setUpCluster(cls):
        cls.pg.wait_ready()

    def holder(self, *args, **kw):
        """A Holder that is killed at the end of the test whatever
        happens, so that a failure does not leave the job locked."""
        h = Holder(*args, **kw)
        self.addCleanup(h.kill)
        return h

    def ledger(self, op, *args, schema="-", table="-"):
        return run(op, self.pg.conninfo, schema, table, *args)

    def ok(self, op, *args, **kw):
        rc, out, err, pid = self.ledger(op, *args, **kw)
        self.assertEqual((rc, err), (0, ""), "%s %r" % (op, args))
        return out, pid

    def begin(self, job, hour, table, snapshot="-"):
        out, pid = self.ok("begin", job, hour, "flows-" + hour, snapshot,
                           table=table)
        return int(out), pid

    # -- tables and rows -------------------------------------------------
    def test_rows_exact(self):
        t = "rows_exact"
        run_id, pid = self.begin("flows", "2026-11-27T03", t,
                                 snapshot="00000003-0000001B-1")
        self.assertEqual(run_id, 1)
        cols = ("id, job, (extract(epoch FROM hour_start) * 1000000)::bigint,"
                " index_name, status, run_end IS NULL, loaded, rejected, read,"
                " snapshot, version, host, pid")
        self.assertEqual(self.pg.psql("SELECT %s FROM %s" % (cols, t)), [[
            "1", "flows", str(hour_us(3)), "flows-2026-11-27T03", "running",
            "t", "0", "0", "0", "00000003-0000001B-1", _project_version(),
            HOST, str(pid)]])

        self.ok("range", "1", "0", "0", "100", "98", "2", table=t)
        self.ok("range", "1", "2", "200", "250", "50", "0", table=t)
        self.ok("range", "1", "1", "100", "200", "100", "0", table=t)
        rc, out, err, _ = self.ledger("range", "1", "1", "100", "200", "7",
                                      "0", table=t)
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(err, "cannot record range 1 of run 1: duplicate key "
                         "value violates unique constraint "
                         "\"rows_exact_ranges_pkey\"\n")
        self.assertEqual(self.pg.psql(
            "SELECT r.run_id, r.range_no, r.lo, r.hi, r.loaded, r.rejected,"
            " r.finished_at >= l.run_start FROM %s_ranges r JOIN %s l"
            " ON l.id = r.run_id ORDER BY r.range_no" % (t, t)), [
            ["1", "0", "0", "100", "98", "2", "t"],
            ["1", "1", "100", "200", "100", "0", "t"],
            ["1", "2", "200", "250", "50", "0", "t"]])

        self.ok("end", "1", "done", "248", "2", "250", table=t)
        self.assertEqual(self.pg.psql(
            "SELECT status, loaded, rejected, read, run_end >= run_start"
            " FROM %s" % t), [["done", "248", "2", "250", "t"]])

        # An ended run takes no more ranges and ends only once.
        rc, out, err, _ = self.ledger("range", "1", "3", "250", "300", "1",
                                      "0", table=t)
        self.assertEqual((rc, err), (1, "cannot record range 3 of run 1: "
                                        "the run is not running\n"))
        rc, out, err, _ = self.ledger("end", "1", "failed", "0", "0", "0",
                                      table=t)
        self.assertEqual((rc, err), (1, "cannot end run 1: the run is not "
                                        "running\n"))
        rc, out, err, _ = self.ledger("end", "99", "done", "0", "0", "0",
                                      table=t)
        self.assertEqual((rc, err), (1, "cannot end run 99: the run is not "
                                        "running\n"))
        rc, out, err, _ = self.ledger("end", "1", "running", "0", "0", "0",
                                      table=t)
        self.assertEqual((rc, err), (1, "cannot end run 1: a run ends done, "
                                        "failed or interrupted\n"))
        self.assertEqual(self.pg.psql(
            "SELECT status, loaded FROM %s" % t), [["done", "248"]])
        self.assertEqual(self.pg.psql(
            "SELECT count(*) FROM %s_ranges" % t), [["3"]])

    def test_schema_and_quoted_names(self):
        self.pg.psql('CREATE SCHEMA "ops""x"')
        table = 'Run "Ledger"'
        q = dict(schema='ops"x', table=table)
        rc, out, err, _ = self.ledger("begin", "flows", "2026-11-27T05",
                                      "i", "-", **q)
        self.assertEqual((rc, out, err), (0, "1\n", ""))
        self.ok("range", "1", "0", "1", "2", "3", "4", **q)
        # Opening again is quiet: the tables exist, no notices.
        self.ok("range", "1", "1", "2", "3", "4", "5", **q)
        self.assertEqual(self.pg.psql(
            'SELECT id, index_name, snapshot IS NULL FROM "ops""x"."Run '
            '""Ledger""" ORDER BY id'), [["1", "i", "t"]])
        self.assertEqual(self.pg.psql(
            'SELECT run_id, range_no FROM "ops""x"."Run ""Ledger""_ranges"'
            " ORDER BY range_no"), [["1", "0"], ["1", "1"]])
        # Without a schema: the connection's default schema, apart.
        run_id, _ = self.begin("flows", "2026-11-27T05", table)
        self.assertEqual(run_id, 1)
        self.assertEqual(self.pg.psql(
            'SELECT count(*) FROM public."Run ""Ledger"""'), [["1"]])
        self.assertEqual(self.pg.psql(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'ops\"x'"
            " ORDER BY indexname"), [
            ['Run "Ledger"_hours'], ['Run "Ledger"_pkey'],
            ['Run "Ledger"_ranges_pkey']])

        rc, out, err, _ = self.ledger("reap", "flows", schema="nosuch")
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(err, "cannot create the ledger tables: schema "
                         "\"nosuch\" does not exist\n")
        long = "t" * 55
        rc, out, err, _ = self.ledger("reap", "flows", table=long)
        self.assertEqual((rc, err), (1, "ledger table name \"%s\" is longer "
                                        "than 54 bytes\n" % long))
        rc, out, err, _ = run("reap", "host=127.0.0.1 port=1", "-", "-",
                              "flows")
        self.assertEqual((rc, err), (
            1, "cannot connect to the ledger: connection to server at "
               "\"127.0.0.1\", port 1 failed: Connection refused Is the "
               "server running on that host and accepting TCP/IP "
               "connections?\n"))

    # -- pending hours ---------------------------------------------------
    def test_pending_mix(self):
        t = "pending_mix"

        def runs_of(job, hour, *statuses):
            for st in statuses:
                rid, _ = self.begin(job, hour, t)
                if st != "running":
                    self.ok("end", str(rid), st, "1", "0", "1", table=t)

        # Window 00..07 of 2026-11-27; 01 never runs.
        runs_of("flows", "2026-11-27T00", "done")
        runs_of("flows", "2026-11-27T02", "failed")
        runs_of("flows", "2026-11-27T03", "interrupted")
        runs_of("flows", "2026-11-27T04", "failed", "done")
        runs_of("flows", "2026-11-27T05", "done", "failed")
        runs_of("flows", "2026-11-27T06", "running")  # died: never ended
        runs_of("flows", "2026-11-27T07", "done")
        runs_of("flows", "2026-11-27T08", "failed")  # outside the window
        runs_of("flows", "2026-11-26T23", "failed")  # outside the window
        # Another job's runs change nothing for flows.
        runs_of("other", "2026-11-27T00", "failed")
        runs_of("other", "2026-11-27T01", "done")
        runs_of("other", "2026-11-27T02", "done")
        runs_of("other", "2026-11-27T03", "running")

        window = ("2026-11-27T00", "2026-11-27T08")
        want = ["2026-11-27T01:00:00Z", "2026-11-27T02:00:00Z",
                "2026-11-27T03:00:00Z", "2026-11-27T05:00:00Z",
                "2026-11-27T06:00:00Z"]
        out, _ = self.ok("pending", "flows", *window, "8", table=t)
        self.assertEqual(out.splitlines(), want)
        out, _ = self.ok("pending", "other", *window, "8", table=t)
        self.assertEqual(out.splitlines(), [
            "2026-11-27T00:00:00Z", "2026-11-27T03:00:00Z",
            "2026-11-27T04:00:00Z", "2026-11-27T05:00:00Z",
            "2026-11-27T06:00:00Z", "2026-11-27T07:00:00Z"])
        out, _ = self.ok("pending", "flows", "2026-11-27T04",
                         "2026-11-27T05", "1", table=t)
        self.assertEqual(out, "")
        out, _ = self.ok("pending", "nobody", "2026-11-27T04",
                         "2026-11-27T06", "2", table=t)
        self.assertEqual(out.splitlines(), ["2026-11-27T04:00:00Z",
                                            "2026-11-27T05:00:00Z"])
        rc, out, err, _ = self.ledger("pending", "flows", *window, "7",
                                      table=t)
        self.assertEqual((rc, out, err), (
            1, "", "pending hours: the window holds 8 hours, more than the "
                   "7 allowed\n"))
        rc, out, err, _ = self.ledger("pending", "flows", "2026-11-27T05",
                                      "2026-11-27T05", "7", table=t)
        self.assertEqual((rc, err), (
            1, "pending hours: [%d, %d) is not a window of whole hours\n"
               % (hour_us(5), hour_us(5))))

        # The next run (holding the lock) reaps the dead 06 run of flows
        # only, then loads 06 again: the ledger shows both runs.
        out, _ = self.ok("reap", "flows", table=t)
        self.assertEqual(out, "1\n")
        out, _ = self.ok("reap", "flows", table=t)
        self.assertEqual(out, "0\n")
        self.assertEqual(self.pg.psql(
            "SELECT job, status, run_end IS NULL FROM %s WHERE hour_start ="
            " '2026-11-27 06:00Z' OR (job = 'other' AND hour_start ="
            " '2026-11-27 03:00Z') ORDER BY id" % t), [
            ["flows", "interrupted", "f"], ["other", "running", "t"]])
        out, _ = self.ok("pending", "flows", *window, "8", table=t)
        self.assertEqual(out.splitlines(), want)
        rid, _ = self.begin("flows", "2026-11-27T06", t)
        self.ok("range", str(rid), "0", "0", "10", "10", "0", table=t)
        self.ok("end", str(rid), "done", "10", "0", "10", table=t)
        out, _ = self.ok("pending", "flows", *window, "8", table=t)
        self.assertEqual(out.splitlines(), want[:4])
        self.assertEqual(self.pg.psql(
            "SELECT status, loaded FROM %s WHERE job = 'flows' AND"
            " hour_start = '2026-11-27 06:00Z' ORDER BY id" % t), [
            ["interrupted", "0"], ["done", "10"]])

    # -- catch-up: what fb_ledger_pending returns --------------------------
    def runs_of(self, t, job, hour, *statuses):
        """One run of job's hour per status, in order (running: left
        running; skipped: an operator's skip)."""
        for st in statuses:
            if st == "skipped":
                self.ok("skip", job, hour, "flows-" + hour, "bad disk",
                        table=t)
                continue
            rid, _ = self.begin(job, hour, t)
            if st != "running":
                self.ok("end", str(rid), st, "1", "0", "1", table=t)

    def catchup(self, t, job, lookback_from, last, max_hours):
        out, _ = self.ok("catchup", job, lookback_from, last, str(max_hours),
                         table=t)
        lines = out.splitlines()
        self.assertTrue(lines[-1].startswith("remaining "), out)
        return lines[:-1], int(lines[-1].split()[1])

    @staticmethod
    def hours(first, n):
        """n hour strings from first (an ISO hour), as ledger_check
        prints them."""
        import datetime
        t = datetime.datetime.strptime(first, "%Y-%m-%dT%H")
        return [(t + datetime.timedelta(hours=i)).strftime(
            "%Y-%m-%dT%H:00:00Z") for i in range(n)]

    def test_catchup_gap_longer_than_lookback(self):
        """The job last loaded 25T00; the lookback starts at 27T00: every
        hour since 25T00 is pending, oldest first, max at a time."""
        t = "gap"
        self.runs_of(t, "flows", "2026-11-24T23", "done")
        self.runs_of(t, "flows", "2026-11-25T00", "done")
        want = self.hours("2026-11-25T01", 23 + 24 + 6)  # up to 27T05
        got, rest = self.catchup(t, "flows", "2026-11-27T00",
                                 "2026-11-27T05", 100)
        self.assertEqual((got, rest), (want, 0))
        got, rest = self.catchup(t, "flows", "2026-11-27T00",
                                 "2026-11-27T05", 10)
        self.assertEqual((got, rest), (want[:10], 43))
        got, rest = self.catchup(t, "flows", "2026-11-27T00",
                                 "2026-11-27T05", 0)
        self.assertEqual((got, rest), ([], 53))
        # Loaded in order, the pending hours shrink from the front.
        for h in want[:10]:
            self.runs_of(t, "flows", h[:13], "done")
        got, rest = self.catchup(t, "flows", "2026-11-27T00",
                                 "2026-11-27T05", 10)
        self.assertEqual((got, rest), (want[10:20], 33))
        # A job never loaded: the lookback only.
        got, rest = self.catchup(t, "new", "2026-11-27T00", "2026-11-27T05",
                                 100)
        self.assertEqual((got, rest), (self.hours("2026-11-27T00", 6), 0))

    def test_catchup_failed_hours_of_any_age(self):
        t = "anyage"
        self.runs_of(t, "flows", "2026-11-01T03", "failed")
        self.runs_of(t, "flows", "2026-11-10T04", "done", "interrupted")
        self.runs_of(t, "flows", "2026-11-12T05", "running")  # died
        self.runs_of(t, "flows", "2026-11-13T06", "failed", "done")
        self.runs_of(t, "flows", "2026-11-14T07", "failed", "skipped")
        for h in self.hours("2026-11-26T00", 30):
            self.runs_of(t, "flows", h[:13], "done")
        self.runs_of(t, "flows", "2026-11-27T02", "failed")
        self.runs_of(t, "flows", "2026-11-27T03", "done", "failed")
        # After last: not yet.
        self.runs_of(t, "flows", "2026-11-27T09", "failed")
        want = ["2026-11-01T03:00:00Z", "2026-11-10T04:00:00Z",
                "2026-11-12T05:00:00Z", "2026-11-27T02:00:00Z",
                "2026-11-27T03:00:00Z"] + self.hours("2026-11-27T06", 3)
        got, rest = self.catchup(t, "flows", "2026-11-27T00",
                                 "2026-11-27T08", 50)
        self.assertEqual((got, rest), (want, 0))
        got, rest = self.catchup(t, "flows", "2026-11-27T00",
                                 "2026-11-27T08", 2)
        self.assertEqual((got, rest), (want[:2], 6))
        # The older pending hours keep their place: they are retried by
        # each run until they load or are skipped.
        self.runs_of(t, "flows", "2026-11-01T03", "skipped")
        self.runs_of(t, "flows", "2026-11-10T04", "done")
        got, rest = self.catchup(t, "flows", "2026-11-27T00",
                                 "2026-11-27T08", 50)
        self.assertEqual((got, rest), (want[2:], 0))

    def test_catchup_skipped_hours_never_returned(self):
        t = "skipped"
        # 27T00 done; 01 skipped without a run; 02 failed then skipped;
        # 03 never run; 04 skipped: the newest finished hour.
        self.runs_of(t, "flows", "2026-11-27T00", "done")
        self.runs_of(t, "flows", "2026-11-27T01", "skipped")
        self.runs_of(t, "flows", "2026-11-27T02", "failed", "skipped")
        self.runs_of(t, "flows", "2026-11-27T04", "skipped")
        got, rest = self.catchup(t, "flows", "2026-11-27T00",
                                 "2026-11-27T06", 50)
        self.assertEqual((got, rest), (["2026-11-27T03:00:00Z",
                                        "2026-11-27T05:00:00Z",
                                        "2026-11-27T06:00:00Z"], 0))
        # A skipped hour is as good as done for a gap too.
        self.runs_of(t, "gap", "2026-11-20T00", "skipped")
        got, rest = self.catchup(t, "gap", "2026-11-27T00", "2026-11-27T00",
                                 500)
        self.assertEqual((got, rest), (self.hours("2026-11-20T01", 7 * 24),
                                       0))
        out, _ = self.ok("pending", "flows", "2026-11-27T00",
                         "2026-11-27T05", "5", table=t)
        self.assertEqual(out.splitlines(), ["2026-11-27T03:00:00Z"])
        self.assertEqual(self.pg.psql(
            "SELECT status, reason, run_end IS NOT NULL, run_end >= run_start,"
            " snapshot IS NULL, loaded, index_name, version FROM %s"
            " WHERE job = 'flows' AND hour_start = '2026-11-27 02:00Z'"
            " ORDER BY id" % t), [
            ["failed", "", "t", "t", "t", "1", "flows-2026-11-27T02",
             _project_version()],
            ["skipped", "bad disk", "t", "t", "t", "0",
             "flows-2026-11-27T02", _project_version()]])
        # No reason is no reason.
        self.ok("skip", "flows", "2026-11-27T03", "i", "-", table=t)
        self.assertEqual(self.pg.psql(
            "SELECT reason IS NULL FROM %s WHERE hour_start ="
            " '2026-11-27 03:00Z'" % t), [["t"]])
        rc, out, err, _ = self.ledger("end", "1", "skipped", "0", "0", "0",
                                      table=t)
        self.assertEqual((rc, err), (1, "cannot end run 1: a run ends done, "
                                        "failed or interrupted\n"))

    def test_done_hours(self):
        t = "donehours"
        self.runs_of(t, "flows", "2026-11-27T00", "done")          # id 1
        self.runs_of(t, "flows", "2026-11-27T01", "failed", "done")  # 2, 3
        self.runs_of(t, "flows", "2026-11-27T02", "done", "failed")  # 4, 5
        self.runs_of(t, "flows", "2026-11-27T03", "skipped")         # 6
        self.runs_of(t, "flows", "2026-11-27T05", "done")          # 7
        self.runs_of(t, "other", "2026-11-27T04", "done")          # 8
        rid, _ = self.begin("flows", "2026-11-27T04", t)            # 9
        self.ok("end", str(rid), "done", "7850484", "2", "7850486", table=t)
        out, _ = self.ok("done", "flows", "2026-11-27T00", "2026-11-27T05",
                         "10", table=t)
        self.assertEqual(out.splitlines(), [
            "2026-11-27T00:00:00Z", "  1 1 flows-2026-11-27T00",
            "2026-11-27T01:00:00Z", "  1 3 flows-2026-11-27T01",
            "2026-11-27T04:00:00Z", "  7850484 9 flows-2026-11-27T04"])
        out, _ = self.ok("done", "flows", "2026-11-27T01", "2026-11-27T02",
                         "10", table=t)
        self.assertEqual(out.splitlines(), [
            "2026-11-27T01:00:00Z", "  1 3 flows-2026-11-27T01"])
        rc, out, err, _ = self.ledger("done", "flows", "2026-11-27T00",
                                      "2026-11-27T06", "3", table=t)
        self.assertEqual((rc, out, err), (
            1, "", "cannot read done hours: more than 3\n"))

    # -- no DDL when the tables are ready; the role's privileges -----------
    def as_loader(self, op, *args, table):
        return run(op, self.pg.conninfo.replace("user=postgres",
                                                "user=loader"),
                   "-", table, *args)

    def dba_tables(self, t):
        """The tables created by the DBA (postgres), the loader granted
        what the ledger's statements need and nothing more."""
        rc, out, err, _ = self.ledger("open", table=t)
        self.assertEqual((rc, err), (0, ""))
        self.pg.psql("GRANT SELECT, INSERT, UPDATE ON %s, %s_ranges TO loader;"
                     " GRANT USAGE ON SEQUENCE %s_id_seq TO loader"
                     % (t, t, t))

    def test_dml_only_role_runs_without_ddl(self):
        self.pg.psql("DO $$ BEGIN CREATE ROLE loader LOGIN;"
                     " EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        t = "dbaowned"
        self.dba_tables(t)
        before = self.pg.psql(
            "SELECT c.oid, c.relowner::regrole FROM pg_class c"
            " WHERE c.relname LIKE 'dbaowned%' ORDER BY c.relname")
        rc, out, err, _ = self.as_loader("begin", "flows", "2026-11-27T03",
                                         "i", "-", table=t)
        self.assertEqual((rc, out, err), (0, "1\n", ""))
        for args in (("range", "1", "0", "0", "10", "10", "0"),
                     ("end", "1", "done", "10", "0", "10"),
                     ("reap", "flows"),
                     ("skip", "flows", "2026-11-27T04", "i", "why"),
                     ("catchup", "flows", "2026-11-27T03", "2026-11-27T05",
                      "5"),
                     ("done", "flows", "2026-11-27T03", "2026-11-27T05",
                      "5")):
            rc, out, err, _ = self.as_loader(*args, table=t)
            self.assertEqual((rc, err), (0, ""), args)
        self.assertEqual(out, "2026-11-27T03:00:00Z\n  10 1 i\n")
        # Not one object created or changed: the loader may not anyway.
        self.assertEqual(self.pg.psql(
            "SELECT c.oid, c.relowner::regrole FROM pg_class c"
            " WHERE c.relname LIKE 'dbaowned%' ORDER BY c.relname"), before)
        self.assertEqual(self.pg.psql(
            "SELECT has_schema_privilege('loader', 'public', 'CREATE')"),
            [["f"]])

        def refused(msg):
            rc, out, err, _ = self.as_loader("open", table=t)
            self.assertEqual((rc, out, err), (78, "", msg + "\n"))

        self.pg.psql("REVOKE INSERT ON %s FROM loader" % t)
        refused('ledger: role "loader" lacks INSERT on table public.dbaowned '
                '(GRANT INSERT ON public.dbaowned TO loader)')
        rc, out, err, _ = self.as_loader("reap", "flows", table=t)
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("lacks INSERT on table public.dbaowned", err)
        self.pg.psql("REVOKE UPDATE ON %s FROM loader; REVOKE INSERT ON"
                     " %s_ranges FROM loader; REVOKE USAGE ON SEQUENCE"
                     " %s_id_seq FROM loader" % (t, t, t))
        refused('ledger: role "loader" lacks INSERT, UPDATE on table '
                'public.dbaowned (GRANT INSERT, UPDATE ON public.dbaowned TO '
                'loader); lacks INSERT on table public.dbaowned_ranges (GRANT '
                'INSERT ON public.dbaowned_ranges TO loader); lacks USAGE on '
                'sequence public.dbaowned_id_seq (GRANT USAGE ON SEQUENCE '
                'public.dbaowned_id_seq TO loader)')
        self.pg.psql("GRANT INSERT, UPDATE ON %s TO loader; GRANT INSERT ON"
                     " %s_ranges TO loader; GRANT UPDATE ON SEQUENCE"
                     " %s_id_seq TO loader" % (t, t, t))
        rc, out, err, _ = self.as_loader("open", table=t)
        self.assertEqual((rc, err), (0, ""))

        # Tables missing, and no CREATE on the schema: the DDL it would
        # need, and the grant.
        refused_new = ('ledger: role "loader" lacks CREATE on schema public '
                       'to run CREATE TABLE public.%s%s: GRANT CREATE ON '
                       'SCHEMA public TO loader, or run forkbulk once as a '
                       'role that has it')
        rc, out, err, _ = self.as_loader("open", table="nocreate")
        self.assertEqual((rc, err), (78, refused_new % (
            "nocreate", ", CREATE TABLE public.nocreate_ranges") + "\n"))
        self.pg.psql("CREATE TABLE halfmade (id bigserial)")
        rc, out, err, _ = self.as_loader("open", table="halfmade")
        self.assertEqual((rc, err), (78, refused_new % (
            "halfmade_ranges", "") + "\n"))

    # -- a ledger of an earlier forkbulk ---------------------------------
    OLD_DDL = """
CREATE TABLE {t} (
 id bigserial PRIMARY KEY, job text NOT NULL,
 hour_start timestamptz NOT NULL, index_name text NOT NULL,
 run_start timestamptz NOT NULL DEFAULT clock_timestamp(),
 run_end timestamptz,
 status text NOT NULL CHECK (status IN
  ('running', 'done', 'failed', 'interrupted')),
 loaded bigint NOT NULL DEFAULT 0, rejected bigint NOT NULL DEFAULT 0,
 read bigint NOT NULL DEFAULT 0, snapshot text, version text NOT NULL,
 host text NOT NULL, pid integer NOT NULL);
CREATE INDEX {t}_hours ON {t} (job, hour_start, id);
CREATE TABLE {t}_ranges (
 run_id bigint NOT NULL REFERENCES {t} (id) ON DELETE CASCADE,
 range_no integer NOT NULL, lo bigint NOT NULL, hi bigint NOT NULL,
 loaded bigint NOT NULL, rejected bigint NOT NULL,
 finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
 PRIMARY KEY (run_id, range_no));
INSERT INTO {t} (job, hour_start, index_name, status, version, host, pid)
 VALUES ('flows', '2026-11-27 03:00Z', 'i', 'done', '0.1', 'h', 1);
"""
    SHAPE = ("SELECT (SELECT string_agg(attname, ',' ORDER BY attnum)"
             " FROM pg_attribute WHERE attrelid = '{t}'::regclass"
             " AND attnum > 0 AND NOT attisdropped),"
             " (SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid),"
             " ',') FROM pg_constraint WHERE conrelid = '{t}'::regclass"
             " AND contype = 'c')")
    COLUMNS = ("id,job,hour_start,index_name,run_start,run_end,status,loaded,"
               "rejected,read,snapshot,version,host,pid,reason")
    CHECK = ("{t}_status CHECK ((status = ANY (ARRAY['running'::text, "
             "'done'::text, 'failed'::text, 'interrupted'::text, "
             "'skipped'::text])))")

    def test_old_ledger_migrated_once_by_its_owner(self):
        t = "oldfmt"
        self.pg.psql(self.OLD_DDL.format(t=t))
        out, _ = self.ok("skip", "flows", "2026-11-27T04", "i", "why",
                         table=t)
        self.assertEqual(self.pg.psql(self.SHAPE.format(t=t)), [
            [self.COLUMNS, self.CHECK.format(t=t)]])
        self.assertEqual(self.pg.psql(
            "SELECT id, status, reason FROM %s ORDER BY id" % t),
            [["1", "done", ""], ["2", "skipped", "why"]])
        # A new table is the same shape; neither is changed again.
        self.ok("reap", "flows", table="newfmt")
        self.assertEqual(self.pg.psql(self.SHAPE.format(t="newfmt")), [
            [self.COLUMNS, self.CHECK.format(t="newfmt")]])
        oids = self.pg.psql("SELECT oid FROM pg_constraint WHERE conname"
                            " IN ('oldfmt_status', 'newfmt_status')"
                            " ORDER BY conname")
        self.ok("reap", "flows", table=t)
        self.ok("reap", "flows", table="newfmt")
        self.assertEqual(self.pg.psql(
            "SELECT oid FROM pg_constraint WHERE conname IN"
            " ('oldfmt_status', 'newfmt_status') ORDER BY conname"), oids)

    def test_old_ledger_of_another_owner(self):
        self.pg.psql("DO $$ BEGIN CREATE ROLE loader LOGIN;"
                     " EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        t = "oldother"
        self.pg.psql(self.OLD_DDL.format(t=t))
        self.pg.psql("GRANT SELECT, INSERT, UPDATE ON %s, %s_ranges TO loader;"
                     " GRANT USAGE ON SEQUENCE %s_id_seq TO loader"
                     % (t, t, t))
        alter = ("ALTER TABLE public.{t} ADD COLUMN IF NOT EXISTS reason "
                 "pg_catalog.text, DROP CONSTRAINT {t}_status_check, ADD "
                 "CONSTRAINT {t}_status CHECK (status OPERATOR(pg_catalog.=) "
                 "ANY (ARRAY['running', 'done', 'failed', 'interrupted', "
                 "'skipped']::pg_catalog.text[]))").format(t=t)
        rc, out, err, _ = self.as_loader("open", table=t)
        self.assertEqual((rc, out, err), (
            78, "", "ledger: table public.%s predates status 'skipped' and "
                    "role \"loader\" does not own it; its owner must run: %s\n"
                    % (t, alter)))
        # What it says to run is what makes it current.
        self.pg.psql(alter)
        rc, out, err, _ = self.as_loader("skip", "flows", "2026-11-27T05",
                                         "i", "-", table=t)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(self.pg.psql(self.SHAPE.format(t=t)), [
            [self.COLUMNS, self.CHECK.format(t=t)]])

    # -- the lock --------------------------------------------------------
    def test_key_is_fnv1a_of_job(self):
        for job in ("flows", "", "ünïcode job"):
            rc, out, err, _ = run("key", job)
            self.assertEqual((rc, err), (0, ""))
            self.assertEqual(int(out),
                             fnv1a64(("forkbulk:" + job).encode()))
        self.assertEqual(run("key", "flows")[1], "-2650377894175927954\n")

    def lockfile(self):
        d = tempfile.mkdtemp(prefix="fb-lock-")
        self.addCleanup(shutil.rmtree, d, True)
        return os.path.join(d, "flows.lock")

    def test_lock_file(self):
        path = self.lockfile()
        h = self.holder("flows", path, "-")
        with open(path) as f:
            content = f.read()
        m = re.match(r"^%d %s (\S+)\n$" % (h.pid, re.escape(HOST)), content)
        self.assertIsNotNone(m, content)
        start = m.group(1)
        self.assertRegex(start, ISO)
        rc, out, err, _ = run("lock", "flows", path, "-")
        self.assertEqual((rc, out), (75, ""))
        self.assertEqual(err, "job \"flows\" is already running: pid %d on "
                         "host %s since %s (lock file %s)\n"
                         % (h.pid, HOST, start, path))
        # Released: the file names nobody and the next run gets in.
        self.assertEqual(h.release(), 0)
        with open(path) as f:
            self.assertEqual(f.read(), "")
        h2 = self.holder("flows", path, "-")
        # Holder killed: flock dies with it, at once.
        h2.kill()
        h3 = self.holder("flows", path, "-")
        self.assertEqual(h3.release(), 0)

        rc, out, err, _ = run("lock", "flows", "/nonexistent/dir/x.lock", "-")
        self.assertEqual((rc, err), (73, "cannot open lock file "
                                         "/nonexistent/dir/x.lock: No such "
                                         "file or directory\n"))
        rc, out, err, _ = run("lock", "flows", "-", "-")
        self.assertEqual((rc, err), (78, "job \"flows\": no lock file and no "
                                         "PostgreSQL lock: refusing to run "
                                         "unlocked\n"))
        rc, out, err, _ = run("lock", "", path, "-")
        self.assertEqual((rc, err), (78, "the job name must be 1 to 200 "
                                         "bytes\n"))

    def acquire_eventually(self, path, conninfo, deadline=10):
        """The session of a killed holder ends when the server reads EOF:
        give it a moment, then the lock must be free."""
        end = time.monotonic() + deadline
        while True:
            rc, out, err, pid = run("lock", "flows", path, conninfo,
                                    timeout=30)
            if rc != 75 or time.monotonic() > end:
                return rc, out, err, pid
            time.sleep(0.1)

    def test_advisory_lock(self):
        c = self.pg.conninfo
        key = fnv1a64(b"forkbulk:flows")
        h = self.holder("flows", "-", c)
        app = self.pg.psql("SELECT application_name FROM pg_stat_activity"
                           " WHERE application_name LIKE 'forkbulk %'")
        m = re.match(r"^forkbulk %d (\S+) %s$" % (h.pid, re.escape(HOST)),
                     app[0][0])
        self.assertIsNotNone(m, app)
        start = m.group(1)
        self.assertRegex(start, ISO)
        self.assertEqual(self.pg.psql(
            "SELECT classid::bigint::numeric * 4294967296 + objid::bigint,"
            " objsubid, granted FROM pg_locks WHERE locktype = 'advisory'"),
            [[str(key % (1 << 64)), "1", "t"]])
        msg = ("job \"flows\" is already running: pid %d on host %s since %s "
               "(PostgreSQL advisory lock %d)\n" % (h.pid, HOST, start, key))
        rc, out, err, _ = run("lock", "flows", "-", c)
        self.assertEqual((rc, out, err), (75, "", msg))
        # A lock file of its own does not help: PostgreSQL still refuses,
        # and the refused run leaves its lock file unlocked and empty.
        path = self.lockfile()
        rc, out, err, _ = run("lock", "flows", path, c)
        self.assertEqual((rc, out, err), (75, "", msg))
        with open(path) as f:
            self.assertEqual(f.read(), "")
        h_file = self.holder("flows", path, "-")
        self.assertEqual(h_file.release(), 0)
        # Another job is not blocked.
        h_other = self.holder("other", "-", c)
        self.assertEqual(h_other.release(), 0)
        # Released: the session ends, the next run gets in.
        self.assertEqual(h.release(), 0)
        h2 = self.holder("flows", "-", c)
        h2.kill()
        rc, out, err, pid = self.acquire_eventually("-", c)
        self.assertEqual((rc, out, err), (0, "acquired %d\n" % pid, ""))

        rc, out, err, _ = run("lock", "flows", "-", "host=127.0.0.1 port=1")
        self.assertEqual((rc, err), (
            69, "cannot connect to PostgreSQL for the job lock: connection "
                "to server at \"127.0.0.1\", port 1 failed: Connection "
                "refused Is the server running on that host and accepting "
                "TCP/IP connections?\n"))

    def test_advisory_lock_held_by_other_client(self):
        """A session that is not forkbulk is named by its backend."""
        c = self.pg.conninfo
        key = fnv1a64(b"forkbulk:flows")
        psql = subprocess.Popen(
            [os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-d", c],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=ENV)
        try:
            psql.stdin.write("SELECT pg_advisory_lock(%d);\n"
                             "SELECT pg_backend_pid();\n" % key)
            psql.stdin.flush()
            psql.stdout.readline()  # the lock call's empty result
            backend = int(psql.stdout.readline())
            since = self.pg.psql(
                "SELECT to_char(backend_start AT TIME ZONE 'UTC',"
                " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM pg_stat_activity"
                " WHERE pid = %d" % backend)[0][0]
            rc, out, err, _ = run("lock", "flows", "-", c)
            self.assertEqual((rc, out), (75, ""))
            self.assertEqual(err, "job \"flows\" is already running: "
                             "PostgreSQL backend %d holds advisory lock %d "
                             "(application \"psql\", connected since %s)\n"
                             % (backend, key, since))
        finally:
            psql.stdin.close()
            psql.wait(timeout=30)
            psql.stdout.close()
        rc, out, err, pid = self.acquire_eventually("-", c)
        self.assertEqual((rc, err), (0, ""))

    def test_both_locks_and_detached_child(self):
        """A worker forked by the holder detaches: when the holder dies,
        its child still running does not keep the job locked."""
        c = self.pg.conninfo
        path = self.lockfile()
        h = self.holder("flows", path, c, fork_child=True)
        try:
            # The file is checked first: its message names the holder.
            rc, out, err, _ = run("lock", "flows", path, c)
            self.assertEqual(rc, 75)
            self.assertRegex(err, r"^job \"flows\" is already running: pid "
                             r"%d on host %s since \S+ \(lock file %s\)\n$"
                             % (h.pid, re.escape(HOST), re.escape(path)))
            h.kill()
            rc, out, err, pid = self.acquire_eventually(path, c)
            self.assertEqual((rc, out, err), (0, "acquired %d\n" % pid, ""))
            # The child was alive all along.
            os.kill(h.child, 0)
        finally:
            try:
                os.kill(h.child, signal.SIGKILL)
            except ProcessLookupError:
                pass


if __name__ == "__main__":
    unittest.main()
