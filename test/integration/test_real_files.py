"""CSV and NDJSON files as spreadsheets, editors and other tools write them
(issue #14): a UTF-8 byte-order mark, CRLF line endings, semicolon, pipe
and tab separators, no header row, blank lines; every load compared byte
for byte with what the documents must be (the test server's checksum of
each id and source, computed independently by es-docsum)."""
import gzip
import os
import unittest

from harness import FlowFileTest, Server, docsum, run_forkbulk

BOM = b"\xef\xbb\xbf"
ROWS = 2000


def rows():
    """(id, name, price text, ok) of each row; names hold the separators
    and a quote, so quoting is exercised for every delimiter."""
    for i in range(ROWS):
        name = ("a;b|c,d\t\"e\"" if i % 50 == 0 else "n%d" % i)
        yield i, name, "%d.%02d" % (i, i % 100), "true" if i % 3 else "false"


def csv_bytes(sep, header=True, crlf=False, bom=False):
    nl = "\r\n" if crlf else "\n"
    out = []
    if header:
        out.append(sep.join(("id", "name", "price", "ok")) + nl)
    for i, name, price, ok in rows():
        quoted = '"%s"' % name.replace('"', '""')
        out.append(sep.join((str(i), quoted, price, ok)) + nl)
    data = "".join(out).encode()
    return (BOM if bom else b"") + data


def expected(path):
    """The documents the rows must become, by the CSV typing rule."""
    with open(path, "w") as f:
        for i, name, price, ok in rows():
            esc = name.replace("\\", "\\\\").replace('"', '\\"').replace(
                "\t", "\\t")
            f.write('{"id":%d,"name":"%s","price":%s,"ok":%s}\n'
                    % (i, esc, price, ok))
    return docsum(path, "id")


class RealFilesTest(FlowFileTest):
    N = 5000
    SEED = 14

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.want = expected(os.path.join(cls.dir, "expect.ndjson"))

    def write(self, name, data, compress=False):
        path = self.path(name)
        with (gzip.open if compress else open)(path, "wb") as f:
            f.write(data)
        return path

    def load_csv(self, es, index, path, *extra):
        rc, err, s = self.load(es, index, "--format", "csv", "--id-field",
                               "id", "--workers", "2", "--range-bytes",
                               "4KiB", *extra, input=path)
        self.assertEqual(rc, 0, err)
        self.assertEqual(s["loaded"], ROWS)
        self.assertIndexHolds(es, index, self.want)
        return s

    def test_bom_and_crlf_as_excel_writes_them(self):
        """Excel's "CSV UTF-8": a byte-order mark and CRLF.  The first
        column is "id", not "\\ufeffid"; also gzipped (one reader)."""
        with Server() as es:
            self.load_csv(es, "bom", self.write(
                "excel.csv", csv_bytes(",", crlf=True, bom=True)))
            self.load_csv(es, "bomgz", self.write(
                "excel.csv.gz", csv_bytes(",", crlf=True, bom=True),
                compress=True))

    def test_every_delimiter(self):
        for name, sep, flag in (("semicolon", ";", ";"), ("pipe", "|", "|"),
                                ("tab", "\t", "\\t")):
            with self.subTest(sep=name), Server() as es:
                self.load_csv(es, name, self.write(
                    name + ".csv", csv_bytes(sep)), "--csv-delimiter", flag)

    def test_no_header_row(self):
        with Server() as es:
            self.load_csv(es, "nohdr", self.write(
                "nohdr.csv", csv_bytes(";", header=False)),
                "--csv-delimiter", ";", "--csv-no-header", "--csv-columns",
                "id,name,price,ok")

    def test_no_header_needs_columns_and_good_names(self):
        path = self.write("n.csv", csv_bytes(",", header=False))
        rc, err = run_forkbulk(["--input", path, "--index", "x",
                                "--format", "csv", "--csv-no-header"])
        self.assertEqual(rc, 64, err)
        self.assertIn("--csv-no-header and --csv-columns go together", err)
        rc, err = run_forkbulk(["--input", path, "--index", "x",
                                "--format", "csv", "--csv-no-header",
                                "--csv-columns", "id,name,id,ok"])
        self.assertEqual(rc, 64, err)
        self.assertIn('duplicate header name "id" in fields 1 and 3', err)

    def test_bad_header_names_are_refused_naming_them(self):
        for header, why in ((b"id,,price\n", "empty header name in field 2"),
                            (b"id,name,id\n",
                             'duplicate header name "id" in fields 1 and 3')):
            with self.subTest(header=header), Server() as es:
                path = self.write("badhdr.csv", header + b"1,2,3\n")
                rc, err, _ = self.load(es, "badhdr", input=path)
                self.assertEqual(rc, 65, err)
                self.assertIn(why, err)
                self.assertIsNone(es.index_stats("badhdr"))

    def test_ndjson_with_bom_crlf_and_blank_lines(self):
        """A BOM before the first record, CRLF endings (the CR is JSON
        whitespace) and whitespace-only lines: every record loads, and the
        summary counts the blank lines."""
        lines = []
        with open(self.flows, "rb") as f:
            for i, line in enumerate(f):
                lines.append(line.rstrip(b"\n") + b"\r\n")
                if i % 1000 == 0:
                    lines.append(b"  \t \r\n")
        path = self.write("bom.ndjson", BOM + b"".join(lines))
        blank = sum(1 for x in lines if not x.strip())
        with Server() as es:
            rc, err, s = self.load(es, "bomjson", "--id-field", "id",
                                   "--workers", "2", "--range-bytes",
                                   "64KiB", input=path)
            self.assertEqual(rc, 0, err)
            self.assertEqual(s["loaded"], self.N)
            self.assertEqual(s["rejected"], 0)
            self.assertEqual(s["blank"], blank)
            self.assertIndexHolds(es, "bomjson", self.expect)
            self.assertIn("(and %d blank lines)" % blank, err)

if __name__ == "__main__":
    unittest.main()
