"""An hourly job over a table of readings, for the tests of what a run
says about itself and about what it would do (test_metrics.py,
test_dry_run.py): the table, hours of rows in it, forkbulk run as the
job with its stdout, stderr and summary, and the job's ledger.

Hours are counted back from the last complete one when this module is
loaded: hour_start(0) is that hour, hour_start(1) the one before."""
import json
import os
import shutil
import subprocess
import tempfile
import time

from harness import FORKBULK, clear_of_the_hour_boundary
from pgcluster import PgTest

HOUR = 3600
ROWS = 60  # per hour
JOB = "readings"
clear_of_the_hour_boundary()
_LAST = (int(time.time()) // HOUR - 1) * HOUR


def hour_start(k):
    """Epoch seconds of the start of the hour k hours before the last
    complete one."""
    return _LAST - k * HOUR


def hour_label(k):
    return time.strftime("%Y-%m-%dT%H", time.gmtime(hour_start(k)))


def hour_index(k):
    return time.strftime("read-%Y.%m.%d.%H", time.gmtime(hour_start(k)))


class ReadingsJobTest(PgTest):
    """A fresh readings table and state directory for every test; the
    ledger of the last test is dropped."""

    @classmethod
    def setUpCluster(cls):
        cls.dir = tempfile.mkdtemp(prefix="fb-%s-" % cls.__name__.lower())
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)

    def setUp(self):
        for sql in ("DROP TABLE IF EXISTS forkbulk_ledger_ranges, "
                    "forkbulk_ledger, readings",
                    "CREATE TABLE readings (id int8 PRIMARY KEY, ts "
                    "timestamptz NOT NULL, v float8)",
                    "CREATE INDEX readings_ts ON readings (ts)"):
            self.pg.psql(sql)
        self.state = tempfile.mkdtemp(dir=self.dir)

    def path(self, name):
        return os.path.join(self.state, name)

    def fill(self, k, rows=ROWS, bad=()):
        """rows readings spread over hour k, ids k * 100000 + 1...; those
        numbered (1-based) in bad get v = NaN, which JSON cannot carry:
        rejects."""
        bad_list = ",".join(str(b) for b in bad) or "0"
        self.pg.psql(
            "INSERT INTO readings SELECT %d + i, to_timestamp(%d) + (i - 1)"
            " * interval '1 second' * %d, CASE WHEN i IN (%s) THEN"
            " 'NaN'::float8 ELSE i END FROM generate_series(1, %d) AS i"
            % (k * 100000, hour_start(k), HOUR // rows, bad_list, rows))

    def forkbulk(self, es_url, *extra, job=True, timeout=300):
        """Runs forkbulk (as the readings job unless job is False, when
        extra says everything); returns (exit code, stdout, stderr, the
        --summary-json object or None)."""
        summary = self.path("summary.json")
        if os.path.exists(summary):
            os.unlink(summary)
        args = list(extra)
        if job:
            args = ["--pg", self.pg.conninfo, "--table", "readings",
                    "--time-column", "ts", "--es", es_url, "--job", JOB,
                    "--index", "read-%Y.%m.%d.%H", "--state-dir", self.state,
                    "--settle", "0", "--workers", "2", "--summary-json",
                    summary] + args
        proc = subprocess.run([FORKBULK] + args, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
        s = None
        if os.path.exists(summary):
            with open(summary) as f:
                s = json.load(f)
        return (proc.returncode, proc.stdout.decode(errors="replace"),
                proc.stderr.decode(errors="replace"), s)

    def ledger_rows(self):
        """(runs, ranges) rows of the ledger; (None, None) when it does
        not exist."""
        exists = self.pg.psql("SELECT to_regclass('forkbulk_ledger') IS NOT "
                              "NULL")[0][0]
        if exists != "t":
            return None, None
        runs = self.pg.psql("SELECT count(*) FROM forkbulk_ledger")[0][0]
        ranges = self.pg.psql("SELECT count(*) FROM forkbulk_ledger_ranges")
        return int(runs), int(ranges[0][0])
