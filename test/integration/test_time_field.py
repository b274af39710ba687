"""Hour indices from files (issue #13, item 5): with --time-field each
record goes to the index of its own hour, so one run of a backfill file
that spans days fills every hour's index.  Real forkbulk processes against
the real test server; every index compared with the documents its hour
must hold (count and checksums, computed by es-docsum from the expected
per-hour NDJSON, independently of the loader)."""
import datetime
import json
import os
import random
import shutil
import subprocess
import tempfile
import unittest
import zoneinfo

from harness import FORKBULK, LoaderTest, Server, docsum, run_forkbulk

UTC = datetime.timezone.utc
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
START = datetime.datetime(2026, 11, 25, tzinfo=UTC)
HOURS = 72
PATTERN = "tf-%Y.%m.%d.%H"


def index_of(t, tz=UTC):
    return t.astimezone(tz).strftime(PATTERN)


def ts_text(t, i):
    """t written one of the ways a record may carry its time: ISO with Z,
    with an offset and a fraction, with a negative offset, or epoch
    milliseconds or seconds as a JSON number."""
    kind = i % 5
    if kind == 0:
        return '"%s"' % t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == 1:
        t1 = t.astimezone(datetime.timezone(datetime.timedelta(hours=1)))
        return '"%s.%03d+01:00"' % (t1.strftime("%Y-%m-%dT%H:%M:%S"),
                                    t.microsecond // 1000)
    if kind == 2:
        t2 = t.astimezone(datetime.timezone(
            -datetime.timedelta(hours=5, minutes=30)))
        return '"%s-05:30"' % t2.strftime("%Y-%m-%dT%H:%M:%S")
    ms = int(t.timestamp() * 1000)
    return str(ms) if kind == 3 else str(ms // 1000)


def hour_records(rng):
    """(time, i) of every record: 20..32 per hour, with an hour's first
    and last millisecond among them, in shuffled order."""
    out = []
    i = 0
    for h in range(HOURS):
        base = START + datetime.timedelta(hours=h)
        n = 20 + (h * 7) % 13
        for k in range(n):
            if k == 0:
                off = datetime.timedelta(0)
            elif k == 1:
                off = datetime.timedelta(minutes=59, seconds=59,
                                         milliseconds=999)
            else:
                off = datetime.timedelta(seconds=rng.randrange(3600))
            t = base + off
            if i % 5 != 1 and i % 5 != 3:  # kinds without milliseconds
                t = t.replace(microsecond=0)
            out.append((t, i))
            i += 1
    rng.shuffle(out)
    return out


class TimeFieldTest(LoaderTest):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="fb-timefield-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def expect_by_index(self, lines_by_index, tag):
        """docsum() of each index's expected documents."""
        out = {}
        for index, lines in lines_by_index.items():
            p = self.path("%s-%s.ndjson" % (tag, index))
            with open(p, "w") as f:
                f.write("".join(line + "\n" for line in lines))
            out[index] = docsum(p, "id")
        return out

    def server(self):
        """A test server whose template maps ts as a date in every tf-*
        index, as a real deployment would have it: dynamic
        mapping would take the type of an index's first value, and then
        refuse an ISO string after an epoch number."""
        es = Server().__enter__()
        self.addCleanup(es.__exit__, None, None, None)
        status, body = es.request("PUT", "/_index_template/tf", {
            "index_patterns": ["tf-*"],
            "template": {"mappings": {"properties": {
                "ts": {"type": "date"}}}}})
        self.assertEqual(status, 200, body)
        return es

    def load(self, es, src, *extra, tag="run"):
        summary = self.path("summary-%s.json" % tag)
        rc, err = run_forkbulk(
            ["--input", src, "--index", PATTERN, "--es", es.url,
             "--summary-json", summary, "--id-field", "id",
             "--time-field", "ts"] + list(extra))
        s = None
        if os.path.exists(summary):
            with open(summary) as f:
                s = json.load(f)
        return rc, err, s

    def assertIndices(self, es, s, err, want):
        """Every index holds exactly its documents, no other index was
        written, and the summary (JSON and printed) lists each one with
        its count."""
        counts = {index: e[0] for index, e in want.items()}
        self.assertEqual(s["indices"], counts)
        self.assertEqual(s["indices_unlisted"], 0)
        self.assertEqual(sorted(es.stats()["indices"]), sorted(want))
        for index, expect in want.items():
            self.assertIndexHolds(es, index, expect)
        self.assertIn("  indices        %d, documents loaded into each:\n"
                      % len(want), err)
        for index in sorted(counts):
            self.assertIn("    %s %d\n" % (index, counts[index]), err)

    def test_three_days_fill_72_hour_indices(self):
        """ISO with offsets and epoch seconds and milliseconds mixed,
        shuffled over three days, read in small ranges by three
        workers: 72 indices, each with exactly its hour's records."""
        rng = random.Random(13)
        by_index = {}
        src = self.path("days.ndjson")
        with open(src, "w") as f:
            for t, i in hour_records(rng):
                line = '{"id":%d,"ts":%s,"bytes":%d}' % (
                    i, ts_text(t, i), rng.randrange(1 << 20))
                f.write(line + "\n")
                by_index.setdefault(index_of(t), []).append(line)
        want = self.expect_by_index(by_index, "days")
        self.assertEqual(len(want), HOURS)
        total = sum(e[0] for e in want.values())
        es = self.server()
        rc, err, s = self.load(es, src, "--workers", "3",
                               "--range-bytes", "8KiB")
        self.assertEqual(rc, 0, err)
        self.assertEqual((s["read"], s["loaded"], s["rejected"]),
                         (total, total, 0))
        self.assertGreater(s["ranges"], 3)
        self.assertEqual(s["index"], PATTERN)
        self.assertIndices(es, s, err, want)
        # Again: the same ids overwrite, nothing is added.
        rc, err, s = self.load(es, src, "--workers", "2", tag="again")
        self.assertEqual(rc, 0, err)
        self.assertIndices(es, s, err, want)
        for index in want:
            self.assertEqual(es.index_stats(index)["duplicates"],
                             want[index][0])

    def test_rejects_name_the_reason_and_line(self):
        """A record without a usable time is rejected with the reason and
        its line; the others load into their hours."""
        bad = {
            3: ('{"id":3,"v":1}', "time field [ts] is missing"),
            5: ('{"id":5,"ts":"yesterday"}',
                'time field [ts] "yesterday" is not ISO 8601 or epoch '
                "seconds/milliseconds"),
            8: ('{"id":8,"ts":null}', "time field [ts] is null"),
            9: ('{"id":9,"ts":{"at":1}}', "time field [ts] is an object"),
            12: ('{"id":12,"ts":-5}',
                 "time field [ts] -5 is out of range (years 1970 to 9999)"),
            14: ('{"id":14,"ts":"2026-02-30T01:00:00Z"}',
                 'time field [ts]: "2026-02-30T01:00:00+00:00" is not a '
                 "valid time: 2026-02 has 28 days"),
        }
        by_index = {}
        src = self.path("bad.ndjson")
        with open(src, "w") as f:
            for n in range(1, 21):
                if n in bad:
                    f.write(bad[n][0] + "\n")
                    continue
                t = START + datetime.timedelta(hours=n % 3, minutes=n)
                line = '{"id":%d,"ts":"%s"}' % (
                    n, t.strftime("%Y-%m-%dT%H:%M:%SZ"))
                f.write(line + "\n")
                by_index.setdefault(index_of(t), []).append(line)
        want = self.expect_by_index(by_index, "bad")
        rejects = self.path("bad.rejects")
        es = self.server()
        rc, err, s = self.load(es, src, "--reject-file", rejects,
                               "--max-rejects", "10", "--workers", "2",
                               "--range-bytes", "128")
        self.assertEqual(rc, 0, err)
        self.assertEqual((s["read"], s["loaded"], s["rejected"]),
                         (20, 20 - len(bad), len(bad)))
        self.assertIndices(es, s, err, want)
        with open(rejects) as f:
            got = {r["line"]: r for r in map(json.loads, f)}
        self.assertEqual(sorted(got), sorted(bad))
        for n, (record, reason) in bad.items():
            self.assertEqual(got[n]["record"], record)
            self.assertEqual(got[n]["error"]["type"], "invalid_time")
            self.assertEqual(got[n]["error"]["reason"], reason)

    def test_csv_time_column(self):
        """CSV: the field is a column of the rendered document, ISO text
        or an epoch number."""
        by_index = {}
        src = self.path("times.csv")
        rng = random.Random(5)
        with open(src, "w") as f:
            f.write("id,ts,name\n")
            for i in range(600):
                t = START + datetime.timedelta(seconds=rng.randrange(
                    6 * 3600))
                if i % 2:  # a string in the document
                    text = t.strftime("%Y-%m-%dT%H:%M:%SZ")
                    ts = '"%s"' % text
                else:  # a number
                    text = ts = str(int(t.timestamp()))
                f.write("%d,%s,n%d\n" % (i, text, i))
                line = '{"id":%d,"ts":%s,"name":"n%d"}' % (i, ts, i)
                by_index.setdefault(index_of(t), []).append(line)
        want = self.expect_by_index(by_index, "csv")
        self.assertEqual(len(want), 6)
        es = self.server()
        rc, err, s = self.load(es, src, "--workers", "2",
                               "--range-bytes", "2KiB")
        self.assertEqual(rc, 0, err)
        self.assertEqual(s["loaded"], 600)
        self.assertIndices(es, s, err, want)

    def test_timezone_shifts_hours_and_refuses_dst_gaps(self):
        """--timezone Europe/Berlin: an offset or epoch time goes to its
        Berlin hour, a time without an offset is a Berlin time; a local
        time the clocks skip or repeat is rejected with hours' reason."""
        by_index = {}
        lines = []
        n = 0

        def add(text, t):
            nonlocal n
            n += 1
            line = '{"id":%d,"ts":%s}' % (n, text)
            lines.append(line)
            if t is not None:
                by_index.setdefault(index_of(t, BERLIN), []).append(line)

        for h in range(6):
            t = START + datetime.timedelta(hours=h, minutes=30)
            add('"%s"' % t.strftime("%Y-%m-%dT%H:%M:%SZ"), t)
            add(str(int(t.timestamp() * 1000)), t)
            local = t.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M:%S")
            add('"%s"' % local, t)
        spring = datetime.datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)
        add('"2026-03-29T01:30:00"', spring)
        add('"2026-03-29T02:30:00"', None)
        # An hour of real time later (Python adds wall-clock time).
        add('"2026-03-29T03:30:00"',
            spring.astimezone(UTC) + datetime.timedelta(hours=1))
        add('"2026-10-25T02:30:00"', None)
        add('"2026-10-25T02:30:00+01:00"', datetime.datetime(
            2026, 10, 25, 1, 30, tzinfo=UTC))
        src = self.path("berlin.ndjson")
        with open(src, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        want = self.expect_by_index(by_index, "berlin")
        self.assertIn("tf-2026.11.25.01", want)  # 00:30Z is 01:30 there
        self.assertNotIn("tf-2026.11.25.00", want)
        rejects = self.path("berlin.rejects")
        es = self.server()
        rc, err, s = self.load(es, src, "--timezone", "Europe/Berlin",
                               "--reject-file", rejects,
                               "--max-rejects", "2")
        self.assertEqual(rc, 0, err)
        self.assertEqual(s["rejected"], 2)
        self.assertIndices(es, s, err, want)
        with open(rejects) as f:
            got = sorted((r["line"], r["error"]["reason"])
                         for r in map(json.loads, f))
        self.assertEqual(got, [
            (20, 'time field [ts]: "2026-03-29T02:30:00" does not exist in '
                 "Europe/Berlin: the clocks skip it at a DST change"),
            (22, 'time field [ts]: "2026-10-25T02:30:00" is ambiguous in '
                 "Europe/Berlin: it occurs twice at a DST change; add the "
                 "offset: 2026-10-25T02:30:00+02:00 or "
                 "2026-10-25T02:30:00+01:00")])

    def test_usage_errors_and_dry_run(self):
        """Refused before any work (64): a PostgreSQL source, an unknown
        zone, an unknown format.  --dry-run says where records go, --check
        checks the right to write to all of them."""
        src = self.path("one.ndjson")
        with open(src, "w") as f:
            f.write('{"id":1,"ts":"2026-11-25T00:00:00Z"}\n')
        rc, err = run_forkbulk(["--table", "flows", "--time-column", "ts",
                                "--time-field", "ts", "--hour", "last"])
        self.assertEqual(rc, 64, err)
        self.assertIn("--time-field is for files (--input)", err)
        rc, err = run_forkbulk(["--input", src, "--index", PATTERN,
                                "--time-field", "ts", "--timezone",
                                "Mars/Olympus"])
        self.assertEqual(rc, 64, err)
        self.assertIn('--timezone: unknown timezone "Mars/Olympus"', err)
        rc, err = run_forkbulk(["--input", src, "--index", PATTERN,
                                "--time-field", "ts",
                                "--time-field-format", "hours"])
        self.assertEqual(rc, 64, err)
        es = self.server()
        proc_rc, out = self.plan(src, es, "--dry-run")
        self.assertEqual(proc_rc, 0, out)
        self.assertIn("  index: each record's own, %s for the time in its "
                      "field ts (UTC)\n" % PATTERN, out)
        # --check asks for the right to write to every hour's index.
        proc_rc, out = self.plan(src, es, "--check")
        self.assertEqual(proc_rc, 0, out)
        self.assertIn("write to tf-*: ", out)

    def plan(self, src, es, flag):
        """forkbulk --dry-run or --check; (exit code, what it printed)."""
        proc = subprocess.run(
            [FORKBULK, "--input", src, "--index", PATTERN, "--time-field",
             "ts", flag, "--es", es.url], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=60)
        return proc.returncode, proc.stdout.decode()


if __name__ == "__main__":
    unittest.main()
