"""PostgreSQL hardening of the hourly job, against a private PostgreSQL 15
and es-test-server, with real forkbulk runs.

- The search_path trap (CVE-2018-1058): the role that owns schema public
  defines operators and functions there that shadow PostgreSQL's own for a
  role whose search_path puts public first, each recording its calls.
  forkbulk loads three hours as that role (table source, ledger, lock),
  then catches up: every row arrives and no trap is ever called.
- The ledger without DDL: tables created by a DBA, the loader granted
  only SELECT, INSERT, UPDATE and the sequence: the job runs; without
  INSERT it stops with 78 naming the table and the privilege.
- A --query source names its tables by schema: an unqualified name fails
  with a hint saying why.
"""
import datetime
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import (LEDGER_CHECK, Server, clear_of_the_hour_boundary,
                     flows_ddl, run_forkbulk)
from pgcluster import PgTest

ROWS_PER_HOUR = 600
clear_of_the_hour_boundary()
BASE = (datetime.datetime.now(datetime.timezone.utc)
        .replace(minute=0, second=0, microsecond=0)
        - datetime.timedelta(hours=3))
HOURS = tuple((BASE + datetime.timedelta(hours=h)).strftime("%Y-%m-%dT%H")
              for h in range(3))
INDICES = tuple((BASE + datetime.timedelta(hours=h)).strftime(
    "flows-%Y.%m.%d.%H") for h in range(3))
AFTER = (BASE + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H")


def trap(signature, returns, result, label):
    """SQL for public.<signature>: records a call as label, then returns
    result (an expression over $1.., or RETURN QUERY's query for a SETOF
    function) as PostgreSQL's own would."""
    ret = ("RETURN QUERY SELECT %s" if returns.startswith("SETOF")
           else "RETURN %s") % result
    return ("CREATE FUNCTION public.%s RETURNS %s LANGUAGE plpgsql"
            " SET search_path = pg_catalog AS $$ BEGIN"
            " PERFORM public.trap('%s'); %s; END $$;\n"
            % (signature, returns, label, ret))


def trap_operator(op, left, right, result):
    """A trap operator public.<op>(left, right) over a function of its
    own."""
    fn = "trap_%s_%s" % ({"*": "mul", "=": "eq", ">=": "ge"}[op], left)
    return (trap("%s(%s, %s)" % (fn, left, right), result[0], result[1],
                 "%s(%s, %s)" % (op, left, right))
            + "CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s,"
              " FUNCTION = public.%s);\n" % (op, left, right, fn))


# Each trap records its call, then does what PostgreSQL's own would.  A
# call inside a read-only transaction (the planner's, the readers') cannot
# insert: it says so in the server log, which the test reads too.  The
# traps are made by trapper, the owner of schema public.
TRAPS = r"""
CREATE ROLE trapper NOLOGIN;
CREATE ROLE loader LOGIN;
ALTER SCHEMA public OWNER TO trapper;
GRANT USAGE, CREATE ON SCHEMA public TO loader;
ALTER ROLE loader SET search_path = public, pg_catalog;
SET ROLE trapper;
CREATE TABLE public.trap_calls (what text, at timestamptz DEFAULT now());
GRANT INSERT ON public.trap_calls TO PUBLIC;
CREATE FUNCTION public.trap(w text) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog AS $$
BEGIN
  RAISE WARNING 'forkbulk trap: %', w;
  IF current_setting('transaction_read_only') = 'off' THEN
    INSERT INTO public.trap_calls (what) VALUES (w);
  END IF;
END $$;
""" + "".join([
    trap_operator("*", "bigint", "interval", ("interval", "$1::float8 * $2")),
    trap_operator("=", "text", "text", ("boolean", "texteq($1, $2)")),
    trap_operator("=", "bigint", "bigint", ("boolean", "int8eq($1, $2)")),
    trap_operator(">=", "timestamptz", "timestamptz",
                  ("boolean", "timestamptz_ge($1, $2)")),
    trap("pg_try_advisory_lock(bigint)", "boolean",
         "pg_catalog.pg_try_advisory_lock($1)", "pg_try_advisory_lock"),
    trap("pg_export_snapshot()", "text", "pg_catalog.pg_export_snapshot()",
         "pg_export_snapshot"),
    trap("clock_timestamp()", "timestamptz", "pg_catalog.clock_timestamp()",
         "clock_timestamp"),
    trap("hashtextextended(text, bigint)", "bigint",
         "pg_catalog.hashtextextended($1, $2)", "hashtextextended"),
    trap("generate_series(bigint, bigint, bigint)", "SETOF bigint",
         "pg_catalog.generate_series($1, $2, $3)", "generate_series(bigint)"),
    trap("generate_series(timestamptz, timestamptz, interval)",
         "SETOF timestamptz", "pg_catalog.generate_series($1, $2, $3)",
         "generate_series(timestamptz)"),
    trap("trap_tsmax(timestamptz, timestamptz)", "timestamptz",
         "timestamptz_larger($1, $2)", "max(timestamptz)"),
    "CREATE AGGREGATE public.max(timestamptz) (SFUNC = public.trap_tsmax,"
    " STYPE = timestamptz);\n",
    trap("to_regclass(text)", "regclass", "pg_catalog.to_regclass($1)",
         "to_regclass"),
    trap("current_schema()", "name", "pg_catalog.current_schema()",
         "current_schema"),
    "RESET ROLE;\n"])


def insert_hours(pg):
    """ROWS_PER_HOUR flows in each of the three hours, ids 1..3N."""
    pg.psql(
        "INSERT INTO public.flows SELECT g, '%s'::timestamptz"
        " + (g - 1) * interval '1 second' * (10800.0 / %d),"
        " '10.0.0.1', '192.0.2.9', 1024, 443, 6, g * 13, 1, 2, 3, 4"
        " FROM generate_series(1, %d) g"
        % (BASE.isoformat(), 3 * ROWS_PER_HOUR, 3 * ROWS_PER_HOUR))


class PgHardeningTest(PgTest):

    @classmethod
    def setUpCluster(cls):
        cls.dir = tempfile.mkdtemp(prefix="fb-pghard-")
        cls.pg.psql(flows_ddl())
        insert_hours(cls.pg)
        cls.pg.psql("ANALYZE flows")
        cls.pg.psql(TRAPS)
        cls.pg.psql("GRANT SELECT ON public.flows TO loader")

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def conninfo(self, user):
        return self.pg.conninfo.replace("user=postgres", "user=" + user)

    def args(self, es, user, job, *extra):
        return ["--pg", self.conninfo(user), "--table", "flows",
                "--time-column", "ts", "--es", es.url, "--job", job,
                "--lock-file", os.path.join(self.dir, job + ".lock"),
                "--workers", "2"] + list(extra)

    def trap_calls(self):
        """(calls recorded in trap_calls, WARNING lines in the server
        log): both are zero when nothing shadowed PostgreSQL's own."""
        rows = self.pg.psql("SELECT what, count(*) FROM public.trap_calls"
                            " GROUP BY what ORDER BY what")
        with open(os.path.join(self.pg.dir, "log"), errors="replace") as f:
            logged = [m.group(1) for m in
                      re.finditer(r"WARNING:  forkbulk trap: (.*)", f.read())]
        return rows, logged

    def assert_hours_loaded(self, es, hours):
        for h in hours:
            st = es.index_stats(INDICES[h])
            self.assertIsNotNone(st, INDICES[h])
            self.assertEqual(st["docs"], ROWS_PER_HOUR, INDICES[h])

    def test_search_path_traps_never_called(self):
        # The traps work: the loader's own unqualified SQL meets them.
        self.assertEqual(self.pg.psql(
            "SET ROLE loader; SET search_path = public, pg_catalog;"
            " SELECT 'a' = 'a', 2::bigint * interval '1 second'"), [
            ["t", "00:00:02"]])
        rows, _ = self.trap_calls()
        self.assertEqual(rows, [["*(bigint, interval)", "1"],
                                ["=(text, text)", "1"]])
        self.pg.psql("TRUNCATE public.trap_calls")
        _, logged_before = self.trap_calls()

        with Server() as es:
            rc, err = run_forkbulk(self.args(es, "loader", "trap", "--hour",
                                             HOURS[0]))
            self.assertEqual(rc, 0, err)
            rc, err = run_forkbulk(self.args(es, "loader", "trap",
                                             "--catch-up", "--lookback",
                                             "3h"))
            self.assertEqual(rc, 0, err)
            self.assert_hours_loaded(es, range(3))
        rows, logged = self.trap_calls()
        self.assertEqual((rows, logged[len(logged_before):]), ([], []))
        # The ledger went where the loader's search_path puts new tables,
        # and says every hour is done.
        self.assertEqual(self.pg.psql(
            "SELECT to_char(hour_start AT TIME ZONE 'UTC',"
            " 'YYYY-MM-DD\"T\"HH24'), status, loaded"
            " FROM public.forkbulk_ledger WHERE job = 'trap' ORDER BY id"),
            [[h, "done", str(ROWS_PER_HOUR)] for h in HOURS])

    def test_ledger_without_ddl(self):
        """A DBA creates the ledger; the loader may only use it."""
        self.pg.psql("CREATE ROLE dml LOGIN; GRANT SELECT ON public.flows"
                     " TO dml; CREATE SCHEMA ops")
        r = subprocess.run([LEDGER_CHECK, "open", self.pg.conninfo, "ops",
                            "ledger"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.pg.psql("GRANT USAGE ON SCHEMA ops TO dml; GRANT SELECT, INSERT,"
                     " UPDATE ON ops.ledger, ops.ledger_ranges TO dml;"
                     " GRANT USAGE ON SEQUENCE ops.ledger_id_seq TO dml")
        self.assertEqual(self.pg.psql(
            "SELECT has_schema_privilege('dml', 'ops', 'CREATE'),"
            " has_schema_privilege('dml', 'public', 'CREATE')"), [["f", "f"]])
        with Server() as es:
            rc, err = run_forkbulk(self.args(
                es, "dml", "ddlfree", "--hour", HOURS[1], "--ledger-table",
                "ops.ledger"))
            self.assertEqual(rc, 0, err)
            self.assert_hours_loaded(es, [1])
            self.pg.psql("REVOKE INSERT ON ops.ledger FROM dml")
            rc, err = run_forkbulk(self.args(
                es, "dml", "ddlfree", "--hour", HOURS[2], "--ledger-table",
                "ops.ledger"))
            self.assertEqual(rc, 78, err)
            self.assertIn('ledger: role "dml" lacks INSERT on table '
                          'ops.ledger (GRANT INSERT ON ops.ledger TO dml)',
                          err)
            self.assertIsNone(es.index_stats(INDICES[2]))
            self.pg.psql("GRANT INSERT ON ops.ledger TO dml;"
                         " REVOKE USAGE ON SCHEMA ops FROM dml")
            rc, err = run_forkbulk(self.args(
                es, "dml", "ddlfree", "--hour", HOURS[2], "--ledger-table",
                "ops.ledger"))
            self.assertEqual(rc, 78, err)
            self.assertIn('ledger: role "dml" lacks USAGE on schema ops '
                          '(GRANT USAGE ON SCHEMA ops TO dml)', err)
            self.assertIsNone(es.index_stats(INDICES[2]))
        self.assertEqual(self.pg.psql(
            "SELECT status, loaded FROM ops.ledger WHERE job = 'ddlfree'"),
            [["done", str(ROWS_PER_HOUR)]])

    def test_query_needs_qualified_names(self):
        with Server() as es:
            rc, err = run_forkbulk(
                ["--pg", self.pg.conninfo, "--query",
                 "SELECT * FROM flows WHERE ts >= $1 AND ts < $2",
                 "--hour", HOURS[0], "--es", es.url, "--job", "q1",
                 "--ledger-table", "q_ledger",
                 "--lock-file", os.path.join(self.dir, "q1.lock")])
            self.assertEqual(rc, 78, err)
            self.assertIn('relation "flows" does not exist (forkbulk runs '
                          'sessions with search_path = pg_catalog, pg_temp: '
                          'write schema-qualified names, e.g. public.flows)',
                          err)
            rc, err = run_forkbulk(
                ["--pg", self.pg.conninfo, "--query",
                 "SELECT * FROM public.flows WHERE ts >= $1 AND ts < $2",
                 "--id-column", "id", "--hour", HOURS[0], "--es", es.url,
                 "--job", "q2", "--index", "q2", "--ledger-table", "q_ledger",
                 "--lock-file", os.path.join(self.dir, "q2.lock")])
            self.assertEqual(rc, 0, err)
            self.assertEqual(es.index_stats("q2")["docs"], ROWS_PER_HOUR)


if __name__ == "__main__":
    unittest.main()
