"""The hourly PostgreSQL job end to end: a private PostgreSQL started by
the test, real forkbulk processes, the project's es-test-server; exact
counts, checksums computed independently of the loader, exit codes, the
ledger and the lock."""
import datetime
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import (FORKBULK, PG_BIN, LoaderTest, Server, children_of,
                     clear_of_the_hour_boundary, docsum, flows_ddl,
                     run_forkbulk)
from pgcluster import PgTest

ROWS_PER_HOUR = 20000
# The three hours loaded: the last three complete hours before the test
# starts, so that --catch-up (which looks back from now) sees them.
clear_of_the_hour_boundary()
BASE = (datetime.datetime.now(datetime.timezone.utc)
        .replace(minute=0, second=0, microsecond=0)
        - datetime.timedelta(hours=3))
HOUR_STARTS = [BASE + datetime.timedelta(hours=h) for h in range(3)]
HOURS = tuple(t.strftime("%Y-%m-%dT%H") for t in HOUR_STARTS)
INDICES = tuple(t.strftime("flows-%Y.%m.%d.%H") for t in HOUR_STARTS)
AFTER = (BASE + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H")
COLUMNS = ("id", "ts", "src_ip", "dst_ip", "src_port", "dst_port", "proto",
           "bytes", "packets", "tcp_flags", "in_if", "out_if")
NUMERIC = {"id", "src_port", "dst_port", "proto", "bytes", "packets",
           "tcp_flags", "in_if", "out_if"}


def insert_hour(pg, hour_index, n=ROWS_PER_HOUR, first_id=None):
    """n flows evenly over hour 03+hour_index, deterministic values; every
    tenth tcp_flags is NULL (omitted from the document)."""
    first = first_id if first_id is not None else hour_index * n + 1
    pg.psql("""
INSERT INTO flows
SELECT g,
       '%s'::timestamptz + interval '%d hour'
         + (g - %d) * interval '1 microsecond' * (3600000000 / %d),
       ('10.' || (g %% 256) || '.' || ((g / 256) %% 256) || '.1')::inet,
       CASE WHEN g %% 7 = 0 THEN ('2001:db8::' || to_hex(g %% 65536))::inet
            ELSE '192.0.2.9'::inet END,
       1024 + g %% 60000, (ARRAY[53, 80, 443])[1 + g %% 3], 6, g * 13,
       g %% 1000, CASE WHEN g %% 10 = 0 THEN NULL ELSE g %% 64 END,
       g %% 48, (g + 1) %% 48
FROM generate_series(%d, %d) g;""" % (BASE.isoformat(), hour_index, first,
                                       n, first, first + n - 1))


def expected_docs(pg, where, path):
    """Writes the documents the rows must become, rendered here from
    PostgreSQL's text output by the documented rules (columns in table
    order, NULL omitted, timestamptz in ISO 8601 UTC with Z, inet as
    text, integers as numbers), one per line; returns the row count."""
    rows = pg.psql("SET TimeZone = 'UTC'; SELECT %s FROM flows WHERE %s "
                   "ORDER BY id" % (", ".join(
                       "CASE WHEN %s IS NULL THEN '\\N' ELSE format('%%s', %s) END"
                       % (c, c) for c in COLUMNS),
                       where))
    with open(path, "w") as f:
        for row in rows:
            parts = []
            for col, val in zip(COLUMNS, row):
                if val == "\\N":
                    continue
                if col == "ts":
                    val = '"%s"' % val.replace(" ", "T").replace("+00", "Z")
                elif col not in NUMERIC:
                    val = json.dumps(val)
                parts.append('"%s":%s' % (col, val))
            f.write("{" + ",".join(parts) + "}\n")
    return len(rows)


def lock_key(job):
    """The job's advisory lock key (lock.h): FNV-1a 64 of "forkbulk:" +
    job, as a signed bigint."""
    h = 14695981039346656037
    for b in b"forkbulk:" + job.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h - (1 << 64) if h >= 1 << 63 else h


def hour_where(h):
    return ("ts >= '%s'::timestamptz + interval '%d hour' AND ts < "
            "'%s'::timestamptz + interval '%d hour'"
            % (BASE.isoformat(), h, BASE.isoformat(), h + 1))


class PgJobTest(PgTest, LoaderTest):

    @classmethod
    def setUpCluster(cls):
        cls.dir = tempfile.mkdtemp(prefix="fb-pgjob-")
        cls.pg.psql(flows_ddl())
        for h in range(3):
            insert_hour(cls.pg, h)
        cls.pg.psql("ANALYZE flows")
        cls.expect = []
        for h in range(3):
            path = os.path.join(cls.dir, "expect-%d.ndjson" % h)
            expected_docs(cls.pg, hour_where(h), path)
            cls.expect.append(docsum(path, "id"))

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.pg.psql("DROP TABLE IF EXISTS forkbulk_ledger_ranges, "
                     "forkbulk_ledger CASCADE")

    def args(self, es, job, *extra):
        return ["--pg", self.pg.conninfo, "--table", "flows",
                "--time-column", "ts", "--es", es.url, "--job", job,
                "--lock-file", os.path.join(self.dir, job + ".lock"),
                "--workers", "3"] + list(extra)

    def ledger(self, job):
        return self.pg.psql(
            "SELECT to_char(hour_start AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24'), "
            "status, loaded FROM forkbulk_ledger WHERE job = '%s' "
            "ORDER BY id" % job)

    def test_three_hours_three_indices_exact(self):
        summary = os.path.join(self.dir, "three.json")
        with Server() as es:
            rc, err = run_forkbulk(self.args(
                es, "three", "--from", HOURS[0], "--to", AFTER,
                "--summary-json", summary))
            self.assertEqual(rc, 0, err)
            for h in range(3):
                self.assertIndexHolds(es, INDICES[h], self.expect[h])
        with open(summary) as f:
            s = json.load(f)
        self.assertEqual([x["hour"] for x in s["hours"]],
                         [h + ":00:00Z" for h in HOURS])
        self.assertEqual([x["loaded"] for x in s["hours"]],
                         [ROWS_PER_HOUR] * 3)
        self.assertEqual(s["loaded"], 3 * ROWS_PER_HOUR)
        self.assertEqual(self.ledger("three"),
                         [[h, "done", str(ROWS_PER_HOUR)]
                          for h in HOURS])

    def test_split_strategies_identical(self):
        with Server() as es:
            for split in ("key:id", "time:7m", "ctid", "auto"):
                index = "split-" + split.split(":")[0]
                rc, err = run_forkbulk(self.args(
                    es, "split-" + index, "--hour", HOURS[1], "--split",
                    split, "--index", index))
                self.assertEqual(rc, 0, err)
                self.assertIndexHolds(es, index, self.expect[1])

    def test_rows_inserted_during_load_do_not_appear(self):
        """The load reads one snapshot: rows committed while it runs are
        not in the index, and none of the snapshot's rows go missing."""
        extra_id = 10 ** 8
        with Server("--delay-ms", "30") as es:
            proc = subprocess.Popen(
                [FORKBULK] + self.args(es, "snap", "--hour", HOURS[2],
                                       "--batch-docs", "300"),
                stderr=subprocess.PIPE)
            es.wait_created(INDICES[2], 300)
            first = 2 * ROWS_PER_HOUR + 1
            insert_hour(self.pg, 2, n=500, first_id=extra_id)
            self.pg.psql("CREATE TABLE saved AS SELECT * FROM flows WHERE id "
                         "BETWEEN %d AND %d; DELETE FROM flows WHERE id "
                         "BETWEEN %d AND %d" % (first, first + 99, first,
                                                first + 99))
            _, err = proc.communicate(timeout=120)
            try:
                self.assertEqual(proc.returncode, 0, err.decode())
                self.assertIndexHolds(es, INDICES[2], self.expect[2])
            finally:
                self.pg.psql("DELETE FROM flows WHERE id >= %d; INSERT INTO "
                             "flows SELECT * FROM saved; DROP TABLE saved"
                             % extra_id)

    def test_sigkill_parent_then_catch_up(self):
        """The 03:00 incident: the run dies mid-hour; the next run with
        --catch-up loads what is missing, and the ledger tells the story."""
        with Server("--delay-ms", "30") as es:
            proc = subprocess.Popen(
                [FORKBULK] + self.args(es, "incident", "--from", HOURS[0],
                                       "--to", AFTER,
                                       "--batch-docs", "300"),
                stderr=subprocess.DEVNULL)
            es.wait_created(INDICES[0], 2000)
            kids = children_of(proc.pid)
            proc.kill()
            proc.wait()
            for pid in kids:
                for _ in range(200):
                    if not os.path.exists("/proc/%d" % pid):
                        break
                    time.sleep(0.02)
            self.assertEqual(self.ledger("incident")[0][:2],
                             [HOURS[0], "running"])
            rc, err = run_forkbulk(self.args(
                es, "incident", "--catch-up", "--lookback", "6h"))
            self.assertEqual(rc, 0, err)
            self.assertIn("marked interrupted", err)
            for h in range(3):
                self.assertIndexHolds(es, INDICES[h], self.expect[h])
            rows = self.ledger("incident")
            self.assertEqual(rows[0][:2], [HOURS[0], "interrupted"])
            done = [r[0] for r in rows if r[1] == "done"]
            # Our three hours, once each; the lookback's earlier hours hold
            # no rows and are done with 0 loaded.
            self.assertEqual(sorted(h for h in done if h in HOURS),
                             list(HOURS))
            self.assertEqual(sum(int(r[2]) for r in rows if r[1] == "done"),
                             3 * ROWS_PER_HOUR)
            # A second catch-up finds nothing to do.
            rc, err = run_forkbulk(self.args(
                es, "incident", "--catch-up", "--lookback", "6h"))
            self.assertEqual(rc, 0, err)
            self.assertEqual(len(self.ledger("incident")), len(rows))

    def test_sigterm_mid_hour_interrupted_then_caught_up(self):
        with Server("--delay-ms", "30") as es:
            proc = subprocess.Popen(
                [FORKBULK] + self.args(es, "term", "--hour", HOURS[1],
                                       "--batch-docs", "300",
                                       "--grace", "5000"),
                stderr=subprocess.PIPE)
            es.wait_created(INDICES[1], 1000)
            kids = children_of(proc.pid)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
            # Ends by the signal itself, after its cleanup: a shell
            # reports 143.
            self.assertEqual(proc.returncode, -signal.SIGTERM, err.decode())
            for pid in kids:
                self.assertFalse(os.path.exists("/proc/%d/status" % pid)
                                 and "State:\tZ" not in
                                 open("/proc/%d/status" % pid).read())
            self.assertEqual(self.ledger("term"),
                             [[HOURS[1], "interrupted",
                               self.ledger("term")[0][2]]])
            self.assertLess(int(self.ledger("term")[0][2]), ROWS_PER_HOUR)
            rc, err = run_forkbulk(self.args(es, "term", "--catch-up",
                                             "--lookback", "6h"))
            self.assertEqual(rc, 0, err)
            self.assertIndexHolds(es, INDICES[1], self.expect[1])
            self.assertEqual([r[1] for r in self.ledger("term")
                              if r[0] == HOURS[1]], ["interrupted", "done"])

    def test_lost_connection_retried_in_same_snapshot(self):
        """Workers' PostgreSQL connections killed mid-range: each range is
        read again on a new connection in the same snapshot; the hour
        ends complete and exact."""
        with Server("--delay-ms", "30") as es:
            proc = subprocess.Popen(
                [FORKBULK] + self.args(es, "lost", "--hour", HOURS[0],
                                       "--batch-docs", "300"),
                stderr=subprocess.PIPE)
            es.wait_created(INDICES[0], 1500)
            killed = self.pg.psql(
                "SELECT count(pg_terminate_backend(pid)) FROM "
                "pg_stat_activity WHERE application_name = "
                "'forkbulk worker'")
            _, err = proc.communicate(timeout=120)
            err = err.decode()
            self.assertEqual(proc.returncode, 0, err)
            self.assertGreater(int(killed[0][0]), 0)
            self.assertIn("retrying the range on a new connection", err)
            self.assertIndexHolds(es, INDICES[0], self.expect[0])
            self.assertEqual(self.ledger("lost"),
                             [[HOURS[0], "done", str(ROWS_PER_HOUR)]])

    def test_postgres_restarted_mid_hour(self):
        """PostgreSQL restarts under the load: the exported snapshot is
        gone, so the hour fails with a clear message and a 'failed' ledger
        row (or completes, if it was already read); --catch-up then loads
        it exactly."""
        with Server("--delay-ms", "30") as es:
            proc = subprocess.Popen(
                [FORKBULK] + self.args(es, "restart", "--hour", HOURS[0],
                                       "--batch-docs", "300",
                                       "--retries", "2"),
                stderr=subprocess.PIPE)
            es.wait_created(INDICES[0], 1500)
            self.pg.restart()
            _, err = proc.communicate(timeout=120)
            err = err.decode()
            rows = self.ledger("restart")
            if proc.returncode == 0:
                self.assertEqual(rows, [[HOURS[0], "done",
                                         str(ROWS_PER_HOUR)]])
            else:
                self.assertEqual(proc.returncode, 69, err)
                self.assertIn("PostgreSQL", err)
                self.assertEqual([r[:2] for r in rows],
                                 [[HOURS[0], "failed"]], err)
            rc, err = run_forkbulk(self.args(es, "restart", "--catch-up",
                                             "--lookback", "6h"))
            self.assertEqual(rc, 0, err)
            self.assertIndexHolds(es, INDICES[0], self.expect[0])
            self.assertEqual(self.ledger("restart")[-1][:2] if
                             proc.returncode == 0 else
                             [r[:2] for r in self.ledger("restart")
                              if r[0] == HOURS[0]][-1],
                             [HOURS[0], "done"])

    def test_lock_session_lost_between_hours(self):
        """The advisory lock lives in a PostgreSQL session.  When that
        session is lost (a restart, a dropped connection) the next hour
        takes the lock again; if another run took it meanwhile, the run
        stops with 75 before loading anything more."""
        for stolen in (False, True):
            job = "lost%d" % stolen
            holder = None
            with self.subTest(stolen=stolen), Server("--delay-ms", "20") as es:
                proc = subprocess.Popen(
                    [FORKBULK] + self.args(es, job, "--from", HOURS[0],
                                           "--to", AFTER,
                                           "--batch-docs", "300"),
                    stderr=subprocess.PIPE)
                try:
                    es.wait_created(INDICES[0], 1500)
                    killed = self.pg.psql(
                        "SELECT pg_terminate_backend(pid) FROM "
                        "pg_stat_activity WHERE application_name "
                        "LIKE 'forkbulk %d %%'" % proc.pid)
                    self.assertEqual(killed, [["t"]])
                    if stolen:
                        holder = subprocess.Popen(
                            [os.path.join(PG_BIN, "psql"), "-X", "-q", "-A",
                             "-t", "-d", self.pg.conninfo],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
                        holder.stdin.write(
                            "SELECT pg_advisory_lock(%d);\nSELECT 'held';\n"
                            % lock_key(job))
                        holder.stdin.flush()
                        while holder.stdout.readline().strip() != "held":
                            pass
                    _, err = proc.communicate(timeout=120)
                    err = err.decode()
                finally:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
                    if holder is not None:
                        holder.stdin.close()
                        holder.wait(timeout=30)
                        holder.stdout.close()
                rows = [r[:2] for r in self.ledger(job)]
                if stolen:
                    self.assertEqual(proc.returncode, 75, err)
                    self.assertIn("our session holding the lock was lost",
                                  err)
                    self.assertEqual(rows, [[HOURS[0], "done"]])
                    self.assertIsNone(es.index_stats(INDICES[1]))
                else:
                    self.assertEqual(proc.returncode, 0, err)
                    self.assertIn("the lock is taken again", err)
                    self.assertEqual(rows, [[h, "done"] for h in HOURS])
                for h in range(1 if stolen else 3):
                    self.assertIndexHolds(es, INDICES[h], self.expect[h])

    def test_lock_second_run_exits_75(self):
        with Server("--delay-ms", "200") as es:
            proc = subprocess.Popen(
                [FORKBULK] + self.args(es, "locked", "--hour", HOURS[0],
                                       "--batch-docs", "200"),
                stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 30
                while (time.monotonic() < deadline and
                       es.stats()["bulk_requests"] == 0):
                    time.sleep(0.02)
                before = es.stats()["bulk_requests"]
                rc, err = run_forkbulk(self.args(
                    es, "locked", "--hour", HOURS[1], "--index", "second"))
                self.assertEqual(rc, 75, err)
                self.assertIn("pid %d" % proc.pid, err)
                self.assertIsNone(es.index_stats("second"))
                self.assertGreaterEqual(es.stats()["bulk_requests"], before)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)

    def test_source_errors(self):
        with Server() as es:
            rc, err = run_forkbulk(
                ["--pg", "host=127.0.0.1 port=1 dbname=x connect_timeout=2",
                 "--table", "flows", "--time-column", "ts", "--hour",
                 HOURS[0], "--es", es.url, "--lock-file",
                 os.path.join(self.dir, "bad.lock")])
            self.assertEqual(rc, 69, err)
            rc, err = run_forkbulk(self.args(es, "e1", "--hour", HOURS[0])
                                   [:2] + ["--table", "nope",
                                           "--time-column", "ts", "--hour",
                                           HOURS[0], "--es", es.url,
                                           "--lock-file",
                                           os.path.join(self.dir, "e1")])
            self.assertEqual(rc, 78, err)
            self.assertIn("nope", err)
            rc, err = run_forkbulk(self.args(es, "e2", "--hour", HOURS[0])
                                   [:4] + ["--time-column", "nope",
                                           "--hour", HOURS[0], "--es",
                                           es.url, "--lock-file",
                                           os.path.join(self.dir, "e2")])
            self.assertEqual(rc, 78, err)
            self.assertIn("nope", err)
            rc, err = run_forkbulk(
                ["--pg", self.pg.conninfo, "--query", "SELEC * FROM public.flows",
                 "--hour", HOURS[0], "--es", es.url, "--job", "e3",
                 "--lock-file", os.path.join(self.dir, "e3")])
            self.assertEqual(rc, 78, err)
            self.assertIn("syntax error", err)
            # A window with no rows: exit 0, nothing loaded, said clearly.
            summary = os.path.join(self.dir, "empty.json")
            rc, err = run_forkbulk(self.args(es, "empty", "--hour",
                                             "2025-01-01T03",
                                             "--summary-json", summary))
            self.assertEqual(rc, 0, err)
            self.assertIn("no rows", err)
            with open(summary) as f:
                self.assertEqual(json.load(f)["loaded"], 0)


if __name__ == "__main__":
    unittest.main()
