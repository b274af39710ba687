"""The PostgreSQL source against a real, private PostgreSQL 15.

Every type's rendering, ids, the three splits giving the same documents,
the snapshot hiding rows inserted after the plan, and the error exit
codes.  Runs pg_source_check (harness.PG_SOURCE_CHECK).
"""
import os
import subprocess
import time
import unittest

from harness import PG_SOURCE_CHECK as CHECK
from pgcluster import PgTest

# 2026-11-27T03:00:00Z and one hour later, in microseconds.
H0 = 1795748400 * 1000000
H1 = H0 + 3600 * 1000000

TYPES_SQL = r"""
CREATE TABLE types (
  id int PRIMARY KEY, ts timestamptz, s smallint, i int, b bigint,
  r real, d double precision, n numeric, ok boolean, t text,
  v varchar(10), c char(3), tsn timestamp, dt date, ip inet, net cidr,
  u uuid, j json, jb jsonb, ia int[], ta text[], ma int[][], tza timestamptz[],
  nul text);
INSERT INTO types VALUES
 (1, '2026-11-27 03:00:00.123456+00', -32768, 2147483647,
  -9223372036854775808, 1.5, 0.1, 123.4500, true, E'q"b\\s\n\té€😀',
  'vc', 'ab', '2026-11-27 03:04:05.5', '2026-11-27', '2001:db8::1',
  '10.0.0.0/8', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  E'{\n "k" : [1, 2]}', '{"b": {"c": null}, "a": 1}', '{1,NULL,3}',
  '{"x y",NULL,"NULL","q\"z"}', '{{1,2},{3,4}}',
  '{"2026-11-27 03:00:00+00"}', NULL),
 (2, '2026-11-27 03:30:00+00', 0, 0, 0, 'NaN', 1e100, 0, false, '', '', '',
  NULL, NULL, NULL, NULL, NULL, 'null', '[]', '{}', '{}', NULL, NULL, NULL),
 (3, '2026-11-27 04:00:00+00', 1, 1, 1, 1, 1, 'NaN', true, 'out of window',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL);
"""

ROW1 = ('{"id":1,"ts":"2026-11-27T03:00:00.123456Z","s":-32768,'
        '"i":2147483647,"b":-9223372036854775808,"r":1.5,"d":0.1,'
        '"n":123.4500,"ok":true,"t":"q\\"b\\\\s\\n\\té€😀","v":"vc",'
        '"c":"ab ","tsn":"2026-11-27T03:04:05.5Z","dt":"2026-11-27",'
        '"ip":"2001:db8::1","net":"10.0.0.0/8",'
        '"u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","j":{"k":[1,2]},'
        '"jb":{"a":1,"b":{"c":null}},"ia":[1,null,3],'
        '"ta":["x y",null,"NULL","q\\"z"],"ma":[[1,2],[3,4]],'
        '"tza":["2026-11-27T03:00:00Z"]}')
ROW2_ERR = ('!column [r] is NaN: JSON has no NaN\t'
            '{"id":2,"ts":"2026-11-27T03:30:00Z","s":0,"i":0,"b":0,'
            '"r":"NaN","d":1e+100,"n":0,"ok":false,"t":"","v":"","c":"   ",'
            '"j":null,"jb":[],"ia":[],"ta":[]}')


def run_check(pg, *args, conninfo=None, env=None):
    cmd = [CHECK, "--pg", conninfo or pg.conninfo, "--start", str(H0),
           "--end", str(H1)] + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60, env=env)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


class PgSourceTest(PgTest):
    @classmethod
    def setUpCluster(cls):
        cls.pg.psql(TYPES_SQL)
        cls.pg.psql(
            "CREATE TABLE flows (id bigint PRIMARY KEY, ts timestamptz,"
            " bytes bigint, src inet);"
            "INSERT INTO flows SELECT g, '2026-11-27 03:00:00+00'::"
            "timestamptz + g * interval '1 second', g * 10,"
            " '10.0.0.1' FROM generate_series(-100, 4000) g;"
            "CREATE TABLE nokey (a int, b text, ts timestamptz);"
            "INSERT INTO nokey SELECT g % 7, 'v' || g, "
            "'2026-11-27 03:00:00+00'::timestamptz + g * interval '1 s'"
            " FROM generate_series(0, 999) g;"
            "CREATE TABLE nulls (k int, ts timestamptz);"
            "INSERT INTO nulls VALUES (NULL, '2026-11-27 03:00:00+00');")

    def lines(self, *args):
        rc, out, err = run_check(self.pg, *args)
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("#plan "), out)
        return lines[0], lines[1:]

    def test_types_exact(self):
        for fetch in ("default", "copy", "singlerow"):
            plan, rows = self.lines("--table", "types", "--time-column", "ts",
                                    "--fetch", fetch)
            self.assertIn("split=key", plan)
            self.assertIn("ids_stable=1", plan)
            self.assertEqual(sorted(rows), sorted(["1\t" + ROW1, ROW2_ERR]))

    def test_null_as_null(self):
        _, rows = self.lines("--table", "types", "--time-column", "ts",
                             "--null-as-null", "--split", "time:3600000000")
        row2 = [r for r in rows if r.startswith("!")][0]
        self.assertIn('"tsn":null,"dt":null', row2)
        self.assertIn('"nul":null}', row2)

    def test_max_doc_bytes(self):
        _, rows = self.lines("--table", "types", "--time-column", "ts",
                             "--max-doc-bytes", "200")
        self.assertEqual(len(rows), 2)
        big = [r for r in rows if r.startswith("!document is more than")]
        self.assertEqual(len(big), 1)
        self.assertTrue(big[0].startswith(
            "!document is more than 200 bytes\t{\"id\":1,"))

    def test_splits_identical(self):
        want = None
        for split, fetch in (("key", "copy"), ("key", "singlerow"),
                             ("key:bytes", "copy"), ("ctid", "copy"),
                             ("ctid", "singlerow"), ("time:600000000", "copy"),
                             ("time:600000000", "singlerow"),
                             ("auto", "default")):
            plan, rows = self.lines("--table", "flows", "--time-column", "ts",
                                    "--split", split, "--workers", "3",
                                    "--fetch", fetch)
            self.assertEqual(len(rows), 3600, split)
            self.assertEqual(len(set(rows)), 3600, split)
            if split.startswith("time:"):
                self.assertIn("ranges=6 ", plan)
            elif split == "ctid":
                # blocks / 12 rounded up: as many ranges as the table's
                # block count allows, at most 12, and more than one
                blocks = int(self.pg.psql(
                    "SELECT pg_relation_size('flows') / 8192")[0][0])
                step = -(-blocks // 12)
                self.assertIn("ranges=%d " % -(-blocks // step), plan)
                self.assertGreater(blocks, 12)
            else:
                self.assertIn("ranges=12 ", plan)
            if want is None:
                want = sorted(rows)
            self.assertEqual(sorted(rows), want, split)
        self.assertIn('1\t{"id":1,"ts":"2026-11-27T03:00:01Z","bytes":10,'
                      '"src":"10.0.0.1"}', want)

    def test_odd_identifiers(self):
        """Names holding '$1', '"' and spaces stay names: COPY's range
        values are written into the SQL as literals, and only the
        placeholders outside quoted identifiers become values."""
        self.pg.psql(
            'CREATE TABLE "odd""t$1" ("k$3" bigint PRIMARY KEY,'
            ' "t$2 ""s" timestamptz, "v$4" text);'
            'INSERT INTO "odd""t$1" SELECT g, \'2026-11-27 03:00:00+00\''
            '::timestamptz + g * interval \'1 minute\', \'$1\' || g'
            ' FROM generate_series(0, 99) g')
        for split, fetch in (("key", "copy"), ("time:600000000", "copy"),
                             ("ctid", "copy"), ("key", "singlerow")):
            plan, rows = self.lines("--table", 'odd"t$1', "--time-column",
                                    't$2 "s', "--split", split,
                                    "--workers", "2", "--fetch", fetch)
            self.assertEqual(len(rows), 60, (split, plan))
            self.assertIn('7\t{"k$3":7,"t$2 \\"s":"2026-11-27T03:07:00Z",'
                          '"v$4":"$17"}', rows)

    def test_query_source(self):
        plan, rows = self.lines(
            "--query", "SELECT id, bytes FROM public.flows WHERE ts >= $1 AND "
            "ts < $2 AND id % 100 = 0;", "--id-column", "id")
        self.assertIn("split=time", plan)
        self.assertEqual(sorted(rows), sorted(
            '%d\t{"id":%d,"bytes":%d}' % (i, i, i * 10)
            for i in range(0, 3600, 100)))

    def test_ids_hash_and_none(self):
        plan, rows = self.lines("--table", "nokey", "--time-column", "ts")
        self.assertIn("split=ctid", plan)
        self.assertIn("ids_stable=0", plan)
        self.assertEqual(len(rows), 1000)
        self.assertTrue(all(r.startswith("-\t") for r in rows))
        plan, rows = self.lines("--table", "nokey", "--time-column", "ts",
                                "--id-columns", "a,b")
        self.assertIn("ids_stable=1", plan)
        ids = [r.split("\t")[0] for r in rows]
        self.assertEqual(len(set(ids)), 1000)
        # a=0, b='v0': FNV-1a 128 of "1:0,2:v0,"
        h = 0x6c62272e07bb014262b821756295c58d
        for c in b"1:0,2:v0,":
            h = ((h ^ c) * ((1 << 88) + 0x13b)) % (1 << 128)
        self.assertIn('%032x\t{"a":0,"b":"v0","ts":"2026-11-27T03:00:00Z"}'
                      % h, rows)

    def test_snapshot_hides_later_rows(self):
        # Key ranges would exclude id 100000 anyway; ctid's open last range
        # and time sub-windows would not, so only the snapshot hides it.
        for fetch, split in (("copy", "ctid"), ("singlerow", "ctid"),
                             ("copy", "time:600000000"),
                             ("singlerow", "time:600000000"), ("copy", "key")):
            self.snapshot_case(fetch, split)

    def snapshot_case(self, fetch, split):
        plan, rows = self.lines(
            "--table", "flows", "--time-column", "ts", "--fetch", fetch,
            "--split", split, "--insert-during",
            "INSERT INTO flows VALUES (100000, '2026-11-27 03:10:00+00', 1,"
            " '10.0.0.2'); DELETE FROM flows WHERE id = 5")
        self.assertEqual(len(rows), 3600, (fetch, split))
        self.assertFalse(any(r.startswith("100000\t") for r in rows))
        self.assertTrue(any(r.startswith("5\t") for r in rows))
        self.pg.psql("DELETE FROM flows WHERE id = 100000; INSERT INTO flows"
                     " VALUES (5, '2026-11-27 03:00:05+00', 50, '10.0.0.1')"
                     " ON CONFLICT DO NOTHING")
        self.assertEqual(self.pg.psql("SELECT count(*) FROM flows"),
                         [["4101"]])

    def test_empty_window(self):
        rc, out, err = run_check(self.pg, "--table", "flows",
                                 "--time-column", "ts", "--start", "0",
                                 "--end", "3600000000")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), [
            out.splitlines()[0]])
        self.assertIn("ranges=0 ", out)

    def test_errors(self):
        cases = [
            (["--table", "nope", "--time-column", "ts"], 78,
             'relation "nope" does not exist'),
            (["--table", "flows", "--time-column", "tss"], 78,
             'column "tss" does not exist'),
            (["--query", "SELEC 1"], 78, 'syntax error at or near "1"'),
            (["--table", "flows", "--time-column", "ts", "--split",
              "key:src"], 78, "split key [src] is not an integer column"),
            (["--table", "flows", "--time-column", "ts", "--id-column",
              "nope"], 78, "id column [nope] is not a column of the source"),
            (["--table", "nulls", "--time-column", "ts", "--split", "key:k"],
             78, "split key [k] is NULL in some rows of the window"),
            (["--table", "nokey", "--time-column", "ts", "--split", "key"],
             78, "the source has no integer primary key"),
        ]
        for args, code, msg in cases:
            rc, out, err = run_check(self.pg, *args)
            self.assertEqual(rc, code, (args, err))
            self.assertIn(msg, err, args)
        port = self.pg.port
        rc, out, err = run_check(
            self.pg, "--table", "flows", "--time-column", "ts",
            conninfo="host=127.0.0.1 port=%d user=postgres connect_timeout=5"
            % (port + 1 if port < 65535 else port - 1))
        self.assertEqual(rc, 69, err)
        self.assertIn("cannot connect to PostgreSQL", err)

    def test_count_window(self):
        """fb_pg_count_window: the window's rows now, each call in a fresh
        snapshot of its own."""
        def count(*args, **kw):
            rc, out, err = run_check(self.pg, *args, "--count-window", **kw)
            return rc, out, err

        table = ("--table", "flows", "--time-column", "ts")
        self.assertEqual(count(*table), (0, "#count 3600\n", ""))
        self.assertEqual(count(
            "--query", "SELECT id FROM public.flows WHERE ts >= $1 AND ts < $2"
            " AND id % 100 = 0"), (0, "#count 36\n", ""))
        self.pg.psql("INSERT INTO flows VALUES (100001, '2026-11-27 03:59:59"
                     ".999999+00', 1, '10.0.0.2'), (100002, '2026-11-27"
                     " 04:00:00+00', 1, '10.0.0.2')")
        try:
            self.assertEqual(count(*table), (0, "#count 3601\n", ""))
        finally:
            self.pg.psql("DELETE FROM flows WHERE id > 100000")
        self.assertEqual(count(*table, "--start", str(H1), "--end",
                               str(H1 + 3600 * 1000000)),
                         (0, "#count 401\n", ""))
        self.assertEqual(count("--table", "nope", "--time-column", "ts"), (
            78, "", 'PostgreSQL: table: relation "nope" does not exist\n'))
        self.assertEqual(count("--query", "SELECT * FROM flows"), (
            78, "", 'count: relation "flows" does not exist (forkbulk runs '
            "sessions with search_path = pg_catalog, pg_temp: write "
            "schema-qualified names, e.g. public.flows)\n"))
        rc, out, err = count(*table, conninfo="host=127.0.0.1 port=1 "
                             "connect_timeout=5")
        self.assertEqual((rc, out), (69, ""))
        self.assertTrue(err.startswith("cannot connect to PostgreSQL: "), err)

    def test_query_names_resolve_in_pg_catalog_only(self):
        """A query runs under the pinned search_path: its unqualified names
        fail, with a hint; the table source resolves --table with the
        role's own path, once."""
        rc, out, err = run_check(
            self.pg, "--query", "SELECT * FROM flows WHERE ts >= $1"
            " AND ts < $2")
        self.assertEqual((rc, out), (78, ""))
        self.assertIn('relation "flows" does not exist (forkbulk runs '
                      'sessions with search_path = pg_catalog, pg_temp: '
                      'write schema-qualified names, e.g. public.flows)', err)
        self.pg.psql("CREATE SCHEMA other; CREATE TABLE other.flows"
                     " (id bigint PRIMARY KEY, ts timestamptz);"
                     " INSERT INTO other.flows VALUES (7, '2026-11-27"
                     " 03:00:01+00')")
        try:
            plan, rows = self.lines("--table", "other.flows", "--time-column",
                                    "ts")
            self.assertEqual(rows, ['7\t{"id":7,"ts":"2026-11-27T03:00:01Z"}'])
            plan, rows = self.lines("--table", "flows", "--time-column", "ts")
            self.assertEqual(len(rows), 3600)
            # A role whose search_path finds other.flows first: the planner
            # and the reader both read that one.
            self.pg.psql("CREATE ROLE pathy LOGIN; GRANT USAGE ON SCHEMA"
                         " other TO pathy; GRANT SELECT ON other.flows,"
                         " public.flows TO pathy; ALTER ROLE pathy SET"
                         " search_path = other, public")
            for split in ("key", "time:600000000", "ctid"):
                rc, out, err = run_check(
                    self.pg, "--table", "flows", "--time-column", "ts",
                    "--split", split, conninfo=self.pg.conninfo.replace(
                        "user=postgres", "user=pathy"))
                self.assertEqual(rc, 0, err)
                self.assertEqual(out.splitlines()[1:], [
                    '7\t{"id":7,"ts":"2026-11-27T03:00:01Z"}'], split)
        finally:
            self.pg.psql("DROP SCHEMA other CASCADE; DROP OWNED BY pathy;"
                         " DROP ROLE IF EXISTS pathy")

    def test_password_parameter(self):
        """A password given as a parameter (spec.password) reaches libpq
        without the environment or the conninfo, spaces and all."""
        self.pg.psql("CREATE ROLE fb_pw LOGIN PASSWORD 'pw secret';"
                     " GRANT SELECT ON flows TO fb_pw")
        hba = os.path.join(self.pg.dir, "data", "pg_hba.conf")
        with open(hba) as f:
            trust = f.read()

        def restore():
            with open(hba, "w") as f:
                f.write(trust)
            self.pg.psql("SELECT pg_reload_conf()")
        self.addCleanup(restore)
        with open(hba, "w") as f:
            f.write("host all fb_pw 127.0.0.1/32 scram-sha-256\n" + trust)
        self.pg.psql("SELECT pg_reload_conf()")
        conninfo = ("host=127.0.0.1 port=%d user=fb_pw dbname=postgres"
                    " connect_timeout=5" % self.pg.port)
        env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
        env["PGPASSFILE"] = os.devnull
        args = ("--table", "flows", "--time-column", "ts", "--count")
        # The reload is asynchronous: wait until the role needs a password.
        deadline = time.monotonic() + 10
        while True:
            rc, out, err = run_check(self.pg, *args, conninfo=conninfo,
                                     env=env)
            if rc != 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(rc, 69, err)
        self.assertIn("cannot connect to PostgreSQL", err)
        self.assertIn("no password supplied", err)
        rc, out, err = run_check(self.pg, *args, "--password", "wrong",
                                 conninfo=conninfo, env=env)
        self.assertEqual(rc, 69, err)
        self.assertIn('password authentication failed for user "fb_pw"', err)
        rc, out, err = run_check(self.pg, *args, "--password", "pw secret",
                                 conninfo=conninfo, env=env)
        self.assertEqual((rc, out), (0, "#plan split=key ranges=4 "
                                        "ids_stable=1 snapshot=%s\n"
                                        "#rows 3600 errors 0\n"
                         % out.split("snapshot=")[1].split("\n")[0]), err)


if __name__ == "__main__":
    unittest.main()
