"""The hourly job as cron runs it for a year (issue #11): a bad row fails
its own hour only, rejects within the budget are reported but no failure,
rows that commit late are loaded by --verify, hours missed for longer than
--lookback are still caught up, --max-hours spreads a long catch-up over
runs, and --skip-hour ends the retries of an hour that cannot load.  A
real PostgreSQL, real forkbulk processes, the project's test server;
exact counts, exit codes and ledger rows."""
import datetime
import json
import os
import shutil
import tempfile
import unittest

from harness import (LoaderTest, Server, clear_of_the_hour_boundary,
                     run_forkbulk)
from pgcluster import PgTest

ROWS = 120  # per hour
clear_of_the_hour_boundary()
NOW = datetime.datetime.now(datetime.timezone.utc)
TOP = NOW.replace(minute=0, second=0, microsecond=0)


def hour(k):
    """The start of the hour k hours before the last complete one (k = 0
    is the last complete hour)."""
    return TOP - datetime.timedelta(hours=k + 1)


def label(t):
    return t.strftime("%Y-%m-%dT%H")


def index(t):
    return t.strftime("read-%Y.%m.%d.%H")


class HourlyProductionTest(PgTest, LoaderTest):

    @classmethod
    def setUpCluster(cls):
        cls.dir = tempfile.mkdtemp(prefix="fb-hourly-")

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.pg.psql("DROP TABLE IF EXISTS readings, forkbulk_ledger_ranges,"
                     " forkbulk_ledger CASCADE; CREATE TABLE readings (id "
                     "bigint PRIMARY KEY, ts timestamptz NOT NULL, v double "
                     "precision); CREATE INDEX ON readings (ts)")
        self.state = tempfile.mkdtemp(dir=self.dir)

    def fill(self, k, n=ROWS, first=None, bad=()):
        """n readings spread over hour k; the i-th (1-based) of them in
        bad gets v = NaN, which JSON cannot carry: a reject."""
        first = first if first is not None else k * 100000 + 1
        start = hour(k)
        rows = []
        for i in range(n):
            ts = start + datetime.timedelta(seconds=i * 3600 // n)
            v = "'NaN'" if (i + 1) in bad else str(i)
            rows.append("(%d, '%s', %s)" % (first + i, ts.isoformat(), v))
        self.pg.psql("INSERT INTO readings VALUES %s" % ", ".join(rows))

    def run_job(self, es, *extra):
        summary = os.path.join(self.state, "summary.json")
        if os.path.exists(summary):
            os.unlink(summary)
        rc, err = run_forkbulk(
            ["--pg", self.pg.conninfo, "--table", "readings",
             "--time-column", "ts", "--es", es.url, "--job", "readings",
             "--index", "read-%Y.%m.%d.%H", "--state-dir", self.state,
             "--settle", "0", "--workers", "2", "--summary-json", summary]
            + list(extra))
        s = None
        if os.path.exists(summary):
            with open(summary) as f:
                s = json.load(f)
        return rc, err, s

    def ledger(self):
        """{hour label: [statuses of its runs, oldest first]}."""
        rows = self.pg.psql(
            "SELECT to_char(hour_start AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24'), status FROM forkbulk_ledger "
            "ORDER BY id")
        runs = {}
        for h, st in rows:
            runs.setdefault(h, []).append(st)
        return runs

    def docs(self, es, t):
        st = es.index_stats(index(t))
        return st["docs"] if st else 0

    def test_bad_row_fails_its_own_hour_only(self):
        """A NaN in the middle hour of three with the default budget (0):
        hours 1 and 3 load exactly, hour 2 is failed in the ledger, the
        run ends 65, and hour 2's reject file holds exactly its reject."""
        for k in (2, 1, 0):
            self.fill(k, bad=(7,) if k == 1 else ())
        rejects = os.path.join(self.state, "rejects-%Y%m%d%H.ndjson")
        with Server() as es:
            rc, err, s = self.run_job(es, "--from", label(hour(2)), "--to",
                                      label(TOP), "--reject-file", rejects)
            self.assertEqual(rc, 65, err)
            self.assertEqual(self.docs(es, hour(2)), ROWS)
            self.assertEqual(self.docs(es, hour(0)), ROWS)
            self.assertIn("is incomplete", err)
        runs = self.ledger()
        self.assertEqual(runs[label(hour(2))], ["done"])
        self.assertEqual(runs[label(hour(1))], ["failed"])
        self.assertEqual(runs[label(hour(0))], ["done"])
        self.assertEqual([h["outcome"] for h in s["hours"]],
                         ["done", "failed", "done"])
        files = sorted(os.listdir(self.state))
        bad_file = hour(1).strftime("rejects-%Y%m%d%H.ndjson")
        self.assertIn(bad_file, files)
        for k in (2, 0):
            self.assertNotIn(hour(k).strftime("rejects-%Y%m%d%H.ndjson"),
                             files)
        with open(os.path.join(self.state, bad_file)) as f:
            lines = [json.loads(x) for x in f]
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0]["error"]["type"], "invalid_row")
        self.assertIn('"id":100007', lines[0]["record"])

    def test_rejects_within_the_budget_are_no_failure(self):
        """A budget of 10 with 5 rejects: exit 0, 5 reject lines, the hour
        done, a warning naming the reject file."""
        self.fill(0, bad=(3, 30, 60, 90, 120))
        rejects = os.path.join(self.state, "rejects.ndjson")
        with Server() as es:
            rc, err, s = self.run_job(es, "--hour", "last", "--max-rejects",
                                      "10", "--reject-file", rejects)
            self.assertEqual(rc, 0, err)
            self.assertEqual(self.docs(es, hour(0)), ROWS - 5)
            self.assertIn("5 record(s) rejected, within --max-rejects", err)
        with open(rejects) as f:
            self.assertEqual(len(f.readlines()), 5)
        self.assertEqual(self.ledger()[label(hour(0))], ["done"])
        self.assertEqual(s["rejected"], 5)

    def test_rows_that_commit_late_are_loaded_by_verify(self):
        """An hour is loaded, then rows of it commit late: a later
        --catch-up --verify counts the hour again and loads it again."""
        self.fill(1)
        self.fill(0)
        with Server() as es:
            rc, err, _ = self.run_job(es, "--catch-up", "--lookback", "2h")
            self.assertEqual(rc, 0, err)
            self.fill(1, n=7, first=900001)  # late rows of a done hour
            rc, err, _ = self.run_job(es, "--catch-up", "--lookback", "2h")
            self.assertEqual(rc, 0, err)
            self.assertEqual(self.docs(es, hour(1)), ROWS)  # not looked at
            rc, err, s = self.run_job(es, "--catch-up", "--lookback", "2h",
                                      "--verify", "6h")
            self.assertEqual(rc, 0, err)
            self.assertIn("source now %d rows, ledger %d read"
                          % (ROWS + 7, ROWS), err)
            self.assertIn("reloading", err)
            self.assertEqual(self.docs(es, hour(1)), ROWS + 7)
            self.assertEqual(self.docs(es, hour(0)), ROWS)
            self.assertEqual([h["hour"][:13] for h in s["hours"]],
                             [label(hour(1))])
        self.assertEqual(self.ledger()[label(hour(1))], ["done", "done"])

    def test_hours_missed_longer_than_the_lookback_are_caught_up(self):
        """The job could not run for six hours (lock held, database down):
        the next --catch-up loads every missed hour, not only those of its
        one-hour --lookback; --max-hours spreads them over runs."""
        for k in range(7):
            self.fill(k)
        with Server() as es:
            rc, err, _ = self.run_job(es, "--hour", label(hour(6)))
            self.assertEqual(rc, 0, err)
            rc, err, s = self.run_job(es, "--catch-up", "--lookback", "1h",
                                      "--max-hours", "4")
            self.assertEqual(rc, 0, err)
            self.assertIn("4 hour(s) to load now, 2 more wait for the next "
                          "run", err)
            self.assertEqual([h["hour"][:13] for h in s["hours"]],
                             [label(hour(k)) for k in (5, 4, 3, 2)])
            rc, err, s = self.run_job(es, "--catch-up", "--lookback", "1h")
            self.assertEqual(rc, 0, err)
            self.assertEqual([h["hour"][:13] for h in s["hours"]],
                             [label(hour(1)), label(hour(0))])
            for k in range(7):
                self.assertEqual(self.docs(es, hour(k)), ROWS, k)
            rc, err, s = self.run_job(es, "--catch-up", "--lookback", "1h")
            self.assertEqual(rc, 0, err)
            self.assertEqual(s["hours"], [])

    def test_failed_hour_is_retried_until_skipped(self):
        """An hour that cannot load is retried by every catch-up, also
        once it is older than the lookback, until an operator skips it."""
        self.fill(3, bad=(1,))
        self.fill(0)
        with Server() as es:
            rc, err, _ = self.run_job(es, "--hour", label(hour(3)))
            self.assertEqual(rc, 65, err)
            rc, err, s = self.run_job(es, "--catch-up", "--lookback", "1h")
            self.assertEqual(rc, 65, err)
            self.assertEqual([h["hour"][:13] for h in s["hours"]],
                             [label(hour(3)), label(hour(0))])
            self.assertIn("--skip-hour %s" % label(hour(3)), err)
            rc, err, _ = self.run_job(es, "--skip-hour", label(hour(3)))
            self.assertEqual(rc, 64, err)  # a reason is required
            rc, err, _ = self.run_job(es, "--skip-hour", label(hour(3)),
                                      "--reason", "sensor 7 wrote NaN")
            self.assertEqual(rc, 0, err)
            rc, err, s = self.run_job(es, "--catch-up", "--lookback", "1h")
            self.assertEqual(rc, 0, err)
            self.assertEqual(s["hours"], [])
        self.assertEqual(self.ledger()[label(hour(3))],
                         ["failed", "failed", "skipped"])
        reason = self.pg.psql("SELECT reason FROM forkbulk_ledger WHERE "
                              "status = 'skipped'")
        self.assertEqual(reason, [["sensor 7 wrote NaN"]])


if __name__ == "__main__":
    unittest.main()
