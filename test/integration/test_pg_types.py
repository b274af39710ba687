"""Every PostgreSQL type as the cluster receives it, and every source shape.

One table per category of types, with known values, each loaded by a real
forkbulk run (--from/--to over the hour the rows are in) into its own
index of es-test-server.  The documents are written here by the rules of
the README's type table, byte for byte, and compared twice:
- value by value with what the loader renders (pg_source_check, the
  worker's own reader, through COPY and through single-row results), so
  a difference names the row and the column;
- with what the server stored: its count and checksum over (id, source)
  against es-docsum of the expected NDJSON.
Then the source shapes: a view, a materialized view, a partitioned table
with every split, a schema and table whose names need quoting, a
generated column, each with its exact count; a column the role may not
read is 78 naming it.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import (PG_SOURCE_CHECK, LoaderTest, Server, docsum,
                     run_forkbulk)
from pgcluster import PgTest

HOUR_FROM, HOUR_TO = "2026-11-27T03", "2026-11-27T04"
# The hour in microseconds, for pg_source_check.
H0 = 1795748400 * 1000000
H1 = H0 + 3600 * 1000000

TYPES_SQL = r"""
SET lc_monetary = 'C';
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN year AS integer CHECK (VALUE > 0);
CREATE DOMAIN label AS text;
CREATE DOMAIN price AS numeric(10, 2);
CREATE DOMAIN day AS date;
CREATE DOMAIN intlist AS int[];
CREATE DOMAIN cash AS money;
CREATE TYPE pair AS (a int, b text);
CREATE DOMAIN pos_pair AS pair CHECK ((VALUE).a > 0);
CREATE TYPE nest AS (p pair, tags text[], r int4range, j jsonb, ps pair[],
                     y year, d day, ok boolean);
"""

# name: (columns, rows as SQL VALUES after (id), expected fields per id)
# Each table also has id int PRIMARY KEY and ts timestamptz, id minutes
# after the hour: every document starts {"id":N,"ts":"...03:0N:00Z".
CATEGORIES = {
    "numbers": (
        "i2 smallint, i4 int, i8 bigint, o oid, r real, d double precision,"
        " n numeric, b boolean, m money, ma money[], c cash",
        ["(1, -32768, 2147483647, -9223372036854775808, 4294967295, 1.5, 0.1,"
         " 123.4500, true, -1234.5, '{1,2.5}', 7)",
         "(2, 0, 0, 0, 0, -0.25, 1e100, -0.000000000000000000001, false,"
         " 0, '{}', NULL)",
         "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
         " NULL)"],
        {1: '"i2":-32768,"i4":2147483647,"i8":-9223372036854775808,'
            '"o":4294967295,"r":1.5,"d":0.1,"n":123.4500,"b":true,'
            '"m":-1234.50,"ma":[1.00,2.50],"c":7.00',
         2: '"i2":0,"i4":0,"i8":0,"o":0,"r":-0.25,"d":1e+100,'
            '"n":-0.000000000000000000001,"b":false,"m":0.00,"ma":[]',
         3: ''}),
    "times": (
        "d date, t timestamp, tz timestamptz, tm time, ttz timetz,"
        " iv interval",
        ["(1, '2026-11-27', '2026-11-27 03:04:05.5',"
         " '2026-11-27 03:00:00.123456+05:30', '04:05:06.789',"
         " '04:05:06+02', '1 year 2 months 3 days 04:05:06.5')",
         "(2, '0001-01-01', '1999-12-31 23:59:59', '2000-01-01 00:00:00+00',"
         " '00:00', '23:59:59.999999-11:30', '-1 day -02:00:00')",
         "(3, NULL, NULL, NULL, NULL, NULL, '0')"],
        {1: '"d":"2026-11-27","t":"2026-11-27T03:04:05.5Z",'
            '"tz":"2026-11-26T21:30:00.123456Z","tm":"04:05:06.789",'
            '"ttz":"04:05:06+02","iv":"P1Y2M3DT4H5M6.5S"',
         2: '"d":"0001-01-01","t":"1999-12-31T23:59:59Z",'
            '"tz":"2000-01-01T00:00:00Z","tm":"00:00:00",'
            '"ttz":"23:59:59.999999-11:30","iv":"P-1DT-2H"',
         3: '"iv":"PT0S"'}),
    "strings": (
        "t text, v varchar(5), c char(3), l label, e mood, u uuid, ip inet,"
        " net cidr, mac macaddr, bt bit(4), vb varbit, x xml, tsv tsvector,"
        " j json, jb jsonb, ba bytea, lsn pg_lsn",
        ["(1, E'q\"b\\\\s\\n\\t\u00e9\u20ac\U0001F600', 'vc', 'ab', 'lbl',"
         " 'happy', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2001:db8::1',"
         " '10.0.0.0/8', '08:00:2b:01:02:03', B'1010', B'101',"
         " '<a b=\"1\">t</a>', 'a fat cat', E'{\\n \"k\" : [1, 2]}',"
         " '{\"b\": {\"c\": null}, \"a\": 1}', '\\xdeadbeef00',"
         " '16/B374D848')",
         "(2, '', '', '', '', 'sad', NULL, '192.0.2.1/32', NULL, NULL, B'0000',"
         " B'', '', '', 'null', '[]', '\\x', NULL)"],
        {1: '"t":"q\\"b\\\\s\\n\\t\u00e9\u20ac\U0001F600","v":"vc","c":"ab ",'
            '"l":"lbl","e":"happy",'
            '"u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","ip":"2001:db8::1",'
            '"net":"10.0.0.0/8","mac":"08:00:2b:01:02:03","bt":"1010",'
            '"vb":"101","x":"<a b=\\"1\\">t</a>",'
            '"tsv":"\'a\' \'cat\' \'fat\'","j":{"k":[1,2]},'
            '"jb":{"a":1,"b":{"c":null}},"ba":"3q2+7wA=",'
            '"lsn":"16/B374D848"',
         2: '"t":"","v":"","c":"   ","l":"","e":"sad","ip":"192.0.2.1",'
            '"bt":"0000","vb":"","x":"","tsv":"","j":null,"jb":[],"ba":""'}),
    "geometry": (
        "p point, ln line, ls lseg, bx box, pa path, pg polygon, ci circle",
        ["(1, '(1,2)', '{1,-1,0}', '[(0,0),(1,1)]', '((0,0),(1,1))',"
         " '[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(1,0))', '<(0,0),1.5>')"],
        {1: '"p":"(1,2)","ln":"{1,-1,0}","ls":"[(0,0),(1,1)]",'
            '"bx":"(1,1),(0,0)","pa":"[(0,0),(1,1),(2,0)]",'
            '"pg":"((0,0),(1,1),(1,0))","ci":"<(0,0),1.5>"'}),
    "arrays": (
        "moods mood[], years year[], labels label[], pairs pair[],"
        " ranges tstzrange[], nums numeric[], flags boolean[],"
        " stamps timestamptz[], days day[], docs json[], bdocs jsonb[],"
        " texts text[], grid int[][], cube int[][][], shifted int[],"
        " blobs bytea[], boxes box[], il intlist, cash money[]",
        ["(1, '{sad,happy,NULL}', '{2001,2002}', '{\"a b\",\"\"}',"
         " ARRAY[ROW(1, 'x y')::pair, ROW(NULL, '')::pair, NULL],"
         " ARRAY[tstzrange('2024-01-01', '2024-02-01'), 'empty',"
         "  tstzrange(NULL, '2024-01-01', '(]')],"
         " '{1.50,NULL,-2}', '{t,f,NULL}',"
         " '{\"2026-11-27 03:00:00+00\",NULL}', '{2026-11-27,NULL}',"
         " ARRAY['{\"a\": 1}'::json, '{\"a\": [1, 2]}'],"
         " ARRAY['{\"b\": 2}'::jsonb],"
         " '{\"x y\",NULL,\"NULL\",\"q\\\"z\",\"back\\\\slash\","
         "  \"com,ma\",\"{}\"}',"
         " '{{1,2},{3,4}}', '{{{1,2},{3,NULL}},{{5,6},{7,8}}}',"
         " '[2:3]={7,8}', ARRAY['\\xdead'::bytea, NULL],"
         " ARRAY[box '((1,1),(0,0))', box '((2,2),(1,1))'], '{5,6}',"
         " '{1.5,-2}')",
         "(2, '{}', NULL, NULL, '{}', NULL, NULL, NULL, NULL, NULL, NULL,"
         " NULL, '{}', NULL, NULL, NULL, NULL, NULL, '{}', NULL)"],
        {1: '"moods":["sad","happy",null],"years":[2001,2002],'
            '"labels":["a b",""],'
            '"pairs":[{"a":1,"b":"x y"},{"b":""},null],'
            '"ranges":[{"gte":"2024-01-01T00:00:00Z",'
            '"lt":"2024-02-01T00:00:00Z"},null,'
            '{"lte":"2024-01-01T00:00:00Z"}],'
            '"nums":[1.50,null,-2],"flags":[true,false,null],'
            '"stamps":["2026-11-27T03:00:00Z",null],'
            '"days":["2026-11-27",null],"docs":[{"a":1},{"a":[1,2]}],'
            '"bdocs":[{"b":2}],'
            '"texts":["x y",null,"NULL","q\\"z","back\\\\slash","com,ma",'
            '"{}"],"grid":[[1,2],[3,4]],'
            '"cube":[[[1,2],[3,null]],[[5,6],[7,8]]],"shifted":[7,8],'
            '"blobs":["3q0=",null],"boxes":["(1,1),(0,0)","(2,2),(1,1)"],'
            '"il":[5,6],"cash":[1.50,-2.00]',
         2: '"moods":[],"pairs":[],"texts":[],"il":[]'}),
    "composites": (
        "p pair, pp pos_pair, n nest",
        ["(1, ROW(1, 'a\"b\\c (d)'), ROW(2, 'x'),"
         " ROW(ROW(3, 'y z'), '{q,\"r s\",NULL}', int4range(1, 5),"
         "  '{\"k\": [1, 2], \"l\": null}', ARRAY[ROW(4, ',')::pair, NULL],"
         "  2001, '2026-11-27', true))",
         "(2, ROW(NULL, NULL), NULL,"
         " ROW(NULL, '{}', 'empty', NULL, '{}', NULL, NULL, false))",
         "(3, ROW(NULL, ''), ROW(5, NULL),"
         " ROW(ROW(NULL, NULL), NULL, '(,7]', '{\"s\": \"t u\"}', NULL,"
         "  NULL, NULL, NULL))"],
        {1: '"p":{"a":1,"b":"a\\"b\\\\c (d)"},"pp":{"a":2,"b":"x"},'
            '"n":{"p":{"a":3,"b":"y z"},"tags":["q","r s",null],'
            '"r":{"gte":1,"lt":5},"j":{"k":[1,2],"l":null},'
            '"ps":[{"a":4,"b":","},null],"y":2001,"d":"2026-11-27",'
            '"ok":true}',
         2: '"p":{},"n":{"tags":[],"ps":[],"ok":false}',
         3: '"p":{"b":""},"pp":{"a":5},"n":{"p":{},"r":{"lt":8},'
            '"j":{"s":"t u"}}'}),
    "ranges": (
        "ir int4range, nr numrange, tr tstzrange, lr tsrange, dr daterange,"
        " mr int4multirange, e int4range",
        ["(1, '[1,5)', '(1.5,2.5]', '[2024-01-01 00:00+00,2024-02-01 00:00+00)',"
         " '[2024-01-01 10:00,)', '[2024-01-01,2024-02-01)',"
         " '{[1,3),[5,7)}', 'empty')",
         "(2, '(,5)', '(,)', '(,2024-01-01 00:00+00]', NULL, '(2024-01-01,)',"
         " '{}', NULL)"],
        {1: '"ir":{"gte":1,"lt":5},"nr":{"gt":1.5,"lte":2.5},'
            '"tr":{"gte":"2024-01-01T00:00:00Z","lt":"2024-02-01T00:00:00Z"},'
            '"lr":{"gte":"2024-01-01T10:00:00Z"},'
            '"dr":{"gte":"2024-01-01","lt":"2024-02-01"},'
            '"mr":[{"gte":1,"lt":3},{"gte":5,"lt":7}]',
         2: '"ir":{"lt":5},"nr":{},"tr":{"lte":"2024-01-01T00:00:00Z"},'
            '"dr":{"gte":"2024-01-02"},"mr":[]'}),
}

# Infinity: one rule for date, timestamp and timestamptz, also inside
# arrays and as a range's bound.
INFINITY = (
    "d date, t timestamp, tz timestamptz, da date[], dr daterange",
    ["(1, '2026-11-27', '2026-11-27 03:00', '2026-11-27 03:00+00',"
     " '{2026-11-27}', '[2026-11-27,2026-11-28)')",
     "(2, 'infinity', NULL, NULL, NULL, NULL)",
     "(3, NULL, '-infinity', NULL, NULL, NULL)",
     "(4, NULL, NULL, 'infinity', NULL, NULL)",
     "(5, NULL, NULL, NULL, '{-infinity,2026-11-27}', NULL)",
     "(6, NULL, NULL, NULL, NULL, '[2026-11-27,infinity)')"],
    {1: '"d":"2026-11-27","t":"2026-11-27T03:00:00Z",'
        '"tz":"2026-11-27T03:00:00Z","da":["2026-11-27"],'
        '"dr":{"gte":"2026-11-27","lt":"2026-11-28"}',
     2: '"d":null', 3: '"t":null', 4: '"tz":null',
     5: '"da":[null,"2026-11-27"]', 6: '"dr":{"gte":"2026-11-27"}'})
INFINITY_REJECTS = {
    2: "column [d] is infinity", 3: "column [t] is -infinity",
    4: "column [tz] is infinity", 5: "column [da] is -infinity",
    6: "column [dr] is infinity"}


def ts_of(i):
    return "2026-11-27T03:%02d:00Z" % i


def doc(i, fields):
    return '{"id":%d,"ts":"%s"%s}' % (i, ts_of(i),
                                     "," + fields if fields else "")


def column_names(columns):
    """The column names of a column list (types may hold commas)."""
    names = []
    for m in re.finditer(r"(?:^|,)\s*([a-z_][a-z0-9_]*)\s+[a-z]", columns):
        names.append(m.group(1))
    return names


def values(docline):
    """A document's members in order, each value as its JSON text, so
    two renderings compare value by value (numbers keep their digits)."""
    def raw(s):
        return ("number", s)
    return json.loads(docline, object_pairs_hook=list, parse_float=raw,
                      parse_int=raw)


def check_rows(pg, *args, conninfo=None):
    """pg_source_check over the hour: (exit code, stdout lines after the
    plan line, stderr)."""
    cmd = [PG_SOURCE_CHECK, "--pg", conninfo or pg.conninfo, "--start",
           str(H0), "--end", str(H1)] + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    lines = r.stdout.decode().splitlines()
    return r.returncode, lines[1:], r.stderr.decode()


class PgTypesTest(PgTest, LoaderTest):

    @classmethod
    def setUpCluster(cls):
        cls.dir = tempfile.mkdtemp(prefix="fb-pgtypes-")
        cls.pg.psql(TYPES_SQL)
        for name, (columns, rows, _) in CATEGORIES.items():
            cls.pg.psql(cls.table_sql("t_" + name, columns, rows))
        cls.pg.psql(cls.table_sql("t_infinity", INFINITY[0], INFINITY[1]))

    @staticmethod
    def table_sql(name, columns, rows):
        return ("SET lc_monetary = 'C';"
                " CREATE TABLE %s (id int PRIMARY KEY, ts timestamptz NOT NULL"
                " DEFAULT '2026-11-27 03:00:00+00', %s);"
                " INSERT INTO %s (id, %s) VALUES %s;"
                " UPDATE %s SET ts = ts + id * interval '1 minute';"
                % (name, columns, name, ", ".join(column_names(columns)),
                   ", ".join(rows), name))

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.n = 0

    def path(self, name):
        return os.path.join(self.dir, name)

    def load(self, es, table, index, *extra, conninfo=None):
        """forkbulk over the hour into index; (exit code, stderr)."""
        return run_forkbulk(
            ["--pg", conninfo or self.pg.conninfo, "--table", table,
             "--time-column", "ts", "--from", HOUR_FROM, "--to", HOUR_TO,
             "--index", index, "--es", es.url, "--job", index,
             "--lock-file", self.path(index + ".lock"), "--workers", "2"]
            + list(extra))

    def assertRendered(self, got, want):
        """got (pg_source_check lines "<id>\\t<doc>") holds exactly want
        ({id: doc}), compared row by row and value by value."""
        docs = {}
        for line in got:
            self.assertFalse(line.startswith("!"), line)
            i, d = line.split("\t", 1)
            docs[int(i)] = d
        self.assertEqual(sorted(docs), sorted(want))
        for i in sorted(want):
            with self.subTest(id=i):
                w, g = values(want[i]), values(docs[i])
                self.assertEqual([k for k, _ in g], [k for k, _ in w])
                for (k, gv), (_, wv) in zip(g, w):
                    self.assertEqual(gv, wv, "id %d column %s" % (i, k))
                self.assertEqual(docs[i], want[i])

    def assertStored(self, es, index, want, by_id=True, id_field="id"):
        """The server's index holds exactly the documents want, with
        id_field as their ids (by_id), or ids of the loader's own."""
        path = self.path(index + ".ndjson")
        with open(path, "w") as f:
            for i in sorted(want):
                f.write(want[i] + "\n")
        self.assertIndexHolds(es, index, docsum(path, id_field), by_id=by_id)

    def category(self, name):
        _, _, fields = CATEGORIES[name]
        want = {i: doc(i, f) for i, f in fields.items()}
        for fetch in ("copy", "singlerow"):
            rc, rows, err = check_rows(self.pg, "--table", "t_" + name,
                                       "--time-column", "ts", "--fetch",
                                       fetch)
            self.assertEqual(rc, 0, err)
            self.assertRendered(rows, want)
        with Server() as es:
            rc, err = self.load(es, "t_" + name, "types-" + name)
            self.assertEqual(rc, 0, err)
            self.assertStored(es, "types-" + name, want)

    def test_numbers(self):
        """Integers, floats and numeric as printed; money as numeric
        (also through a domain, and in arrays), never lc_monetary's
        text."""
        self.category("numbers")

    def test_times(self):
        self.category("times")

    def test_strings(self):
        self.category("strings")

    def test_geometry(self):
        self.category("geometry")

    def test_arrays(self):
        """Arrays of enums, domains, composites, ranges, numeric, bool,
        timestamps, json; several dimensions, custom bounds, NULLs."""
        self.category("arrays")

    def test_composites(self):
        self.category("composites")

    def test_ranges(self):
        """Ranges and multiranges; an empty range is left out."""
        self.category("ranges")

    def test_empty_range_null(self):
        """Under --pg-null an empty range is null, like a NULL column."""
        rc, rows, err = check_rows(self.pg, "--table", "t_ranges",
                                   "--time-column", "ts", "--null-as-null")
        self.assertEqual(rc, 0, err)
        self.assertIn('1\t{"id":1,"ts":"%s","ir":{"gte":1,"lt":5}' % ts_of(1),
                      rows[0] if rows[0].startswith("1\t") else rows[1])
        self.assertTrue(any(r.startswith("1\t") and r.endswith(',"e":null}')
                            for r in rows), rows)
        with Server() as es:
            rc, err = self.load(es, "t_ranges", "types-ranges-null",
                                "--pg-null")
            self.assertEqual(rc, 0, err)
            self.assertEqual(es.index_stats("types-ranges-null")["docs"], 2)

    def test_infinity_rejected(self):
        """By default each infinite date or timestamp rejects its row,
        naming the column; the other rows load."""
        reject = self.path("inf.rejects")
        with Server() as es:
            rc, err = self.load(es, "t_infinity", "types-inf-reject",
                                "--reject-file", reject, "--max-rejects",
                                "10")
            self.assertEqual(rc, 0, err)
            self.assertIn("5 record(s) rejected, within --max-rejects", err)
            self.assertStored(es, "types-inf-reject",
                              {1: doc(1, INFINITY[2][1])})
        with open(reject) as f:
            rejects = [json.loads(line) for line in f]
        reasons = {}
        for r in rejects:
            reasons[json.loads(r["record"])["id"]] = r["error"]["reason"]
        self.assertEqual(reasons, {
            i: why + ": no ISO 8601 form (--pg-infinity null sends null)"
            for i, why in INFINITY_REJECTS.items()})

    def test_infinity_null(self):
        """--pg-infinity null: null in place of the value (an array's
        element too); a range's infinite bound is an unbounded side."""
        want = {i: doc(i, f) for i, f in INFINITY[2].items()}
        rc, rows, err = check_rows(self.pg, "--table", "t_infinity",
                                   "--time-column", "ts",
                                   "--infinity-as-null")
        self.assertEqual(rc, 0, err)
        self.assertRendered(rows, want)
        with Server() as es:
            rc, err = self.load(es, "t_infinity", "types-inf-null",
                                "--pg-infinity", "null")
            self.assertEqual(rc, 0, err)
            self.assertStored(es, "types-inf-null", want)

    def test_money_in_a_query(self):
        """A --query's money column cannot be cast by forkbulk: its rows
        are rejected, saying to cast it; cast, it loads as numeric."""
        query = ("SELECT id, m FROM public.t_numbers WHERE ts >= $1"
                 " AND ts < $2 AND id = 1")
        rc, rows, err = check_rows(self.pg, "--query", query,
                                   "--id-column", "id")
        self.assertEqual(rc, 0, err)
        self.assertEqual(rows, [
            '!column [m] holds money, whose text follows lc_monetary: cast '
            'it to numeric in a --query\t{"id":1,"m":"-$1,234.50"}'])
        rc, rows, err = check_rows(self.pg, "--query", query.replace(
            "id, m", "id, m::numeric AS m"), "--id-column", "id")
        self.assertEqual((rc, rows), (0, ['1\t{"id":1,"m":-1234.50}']), err)


SHAPES_SQL = r"""
CREATE TABLE base (id bigint PRIMARY KEY, ts timestamptz NOT NULL, v text);
INSERT INTO base SELECT g, '2026-11-27 02:50:00+00'::timestamptz
  + g * interval '1 second', 'v' || g FROM generate_series(0, 5399) g;
CREATE VIEW base_view AS SELECT id, ts, v FROM base;
CREATE MATERIALIZED VIEW base_mat AS SELECT id, ts, v FROM base;
CREATE TABLE parted (id bigint NOT NULL, ts timestamptz NOT NULL, v text,
  PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
CREATE TABLE parted_a PARTITION OF parted
  FOR VALUES FROM ('2026-11-27 02:00+00') TO ('2026-11-27 03:20+00');
CREATE TABLE parted_b PARTITION OF parted
  FOR VALUES FROM ('2026-11-27 03:20+00') TO ('2026-11-27 03:40+00');
CREATE TABLE parted_c PARTITION OF parted DEFAULT;
INSERT INTO parted SELECT * FROM base;
CREATE SCHEMA "My.Schema";
CREATE TABLE "My.Schema"."We""ird" ("Id" int PRIMARY KEY,
  "T s" timestamptz NOT NULL, a int, b int,
  total int GENERATED ALWAYS AS (a * 100 + b) STORED);
INSERT INTO "My.Schema"."We""ird" ("Id", "T s", a, b)
  SELECT g, '2026-11-27 03:00:00+00'::timestamptz + g * interval '1 minute',
  g, 7 FROM generate_series(0, 59) g;
CREATE TABLE secret (id int PRIMARY KEY, ts timestamptz, pin text);
CREATE ROLE peeker LOGIN;
GRANT SELECT (id, ts) ON secret TO peeker;
GRANT CREATE ON SCHEMA public TO peeker;
"""


def base_doc(i):
    """The document of base's row i (ts 02:50:00 + i seconds)."""
    return '{"id":%d,"ts":"2026-11-27T%02d:%02d:%02dZ","v":"v%d"}' % (
        i, 2 + (50 * 60 + i) // 3600, ((50 * 60 + i) // 60) % 60,
        (50 * 60 + i) % 60, i)


# base's rows of the hour 03:00-04:00: ids 600 to 4199.
BASE_HOUR = {i: base_doc(i) for i in range(600, 4200)}


class PgShapesTest(PgTest, LoaderTest):

    @classmethod
    def setUpCluster(cls):
        cls.dir = tempfile.mkdtemp(prefix="fb-pgshapes-")
        cls.pg.psql(SHAPES_SQL)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.dir, ignore_errors=True)

    path = PgTypesTest.path
    load = PgTypesTest.load
    assertStored = PgTypesTest.assertStored

    def load_exact(self, es, table, index, split, want, by_id=True,
                   time_column="ts", plan=None, id_field="id"):
        """Loads table with split; the index holds exactly want."""
        rc, err = run_forkbulk(
            ["--pg", self.pg.conninfo, "--table", table, "--time-column",
             time_column, "--from", HOUR_FROM, "--to", HOUR_TO, "--index",
             index, "--es", es.url, "--job", index, "--lock-file",
             self.path(index + ".lock"), "--workers", "3", "--split", split])
        self.assertEqual(rc, 0, err)
        if plan is not None:
            self.assertIn("split %s," % plan, err)
        self.assertStored(es, index, want, by_id=by_id, id_field=id_field)

    def test_view(self):
        """A view: auto splits by time (no ctid, no primary key, its time
        column not indexed); key:COLUMN works; ctid is 78 saying why."""
        with Server() as es:
            self.load_exact(es, "base_view", "view-auto", "auto", BASE_HOUR,
                            by_id=False, plan="time")
            self.load_exact(es, "base_view", "view-key", "key:id", BASE_HOUR,
                            by_id=False, plan="key")
            rc, err = self.load(es, "base_view", "view-ctid", "--split",
                                "ctid")
            self.assertEqual(rc, 78, err)
            self.assertIn('split ctid: "public"."base_view" is a view, which '
                          'has no ctid: split by time:DURATION or key:COLUMN',
                          err)
            self.assertIsNone(es.index_stats("view-ctid"))

    def every_split(self, table, prefix):
        """Loads table with each split (auto chooses ctid): all exact."""
        with Server() as es:
            for split, plan in (("auto", "ctid"), ("ctid", "ctid"),
                                ("key:id", "key"), ("time:10m", "time")):
                self.load_exact(es, table, prefix + split.split(":")[0],
                                split, BASE_HOUR, by_id=False, plan=plan)

    def test_materialized_view(self):
        """A materialized view has blocks: every split, auto included."""
        self.every_split("base_mat", "mat-")

    def test_partitioned(self):
        """A partitioned table, the hour over three partitions: every
        split gives every row once (ctid ranges read the same blocks of
        each partition); ids hash the primary key (id, ts)."""
        self.every_split("parted", "parted-")

    def test_quoted_names_and_generated_column(self):
        """A schema with a dot, a table with a quote, mixed-case columns;
        the stored generated column is a column like any other."""
        want = {i: '{"Id":%d,"T s":"2026-11-27T03:%02d:00Z","a":%d,"b":7,'
                   '"total":%d}' % (i, i, i, i * 100 + 7) for i in range(60)}
        with Server() as es:
            for split, plan in (("auto", "key"), ("ctid", "ctid"),
                                ("time:10m", "time")):
                self.load_exact(es, '"My.Schema"."We""ird"',
                                "quoted-" + split.split(":")[0], split, want,
                                time_column="T s", plan=plan, id_field="Id")
            rc, err = self.load(es, '"My.Schema.We""ird"', "quoted-bad")
            self.assertEqual(rc, 78, err)
            self.assertIn('relation "My.Schema.We"ird" does not exist', err)

    def test_column_privilege(self):
        """A column the role may not read: 78 before anything is loaded,
        naming the column, the privilege and the grant."""
        conninfo = self.pg.conninfo.replace("user=postgres", "user=peeker")
        with Server() as es:
            rc, err = self.load(es, "secret", "secret", "--ledger-table",
                                "peeker_ledger", conninfo=conninfo)
            self.assertEqual(rc, 78, err)
            self.assertIn('PostgreSQL: role peeker lacks SELECT on column '
                          '[pin] of table "public"."secret" (GRANT SELECT '
                          '(pin) ON "public"."secret" TO peeker)', err)
            self.assertIsNone(es.index_stats("secret"))


if __name__ == "__main__":
    unittest.main()
