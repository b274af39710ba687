"""--dry-run and --check (issue #12): a dry run plans and prints what a
run would load and changes nothing (no _bulk, no index, no ledger row,
no reject file); --check says, a line each, whether PostgreSQL, the
source, the ledger and the cluster can be used.  A real PostgreSQL, real
forkbulk processes, the project's test server (and, for the security
API the test server does not have, a small HTTP server here)."""
import http.server
import json
import os
import re
import socket
import threading
import unittest

from harness import Server, write_flows
from readings import (JOB, ReadingsJobTest, hour_index, hour_label)

UNIT = re.compile(r"^(\S.*) -> (\S+): (\d+) range\(s\)$", re.M)
BYTES = re.compile(r"^  range (\d+): bytes \[(\d+), (\d+)\)$", re.M)


def units(out):
    """{unit name: (index, range count)} of a dry run's plan; an hour is
    named by its label's first 13 characters ("hour 2026-11-27T03")."""
    return {m.group(1)[:18] if m.group(1).startswith("hour ")
            else m.group(1): (m.group(2), int(m.group(3)))
            for m in UNIT.finditer(out)}


def lines(out):
    """{what: the rest} of --check's lines."""
    return dict(line.split(": ", 1) for line in out.splitlines())


def closed_port():
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SecurityCluster(http.server.BaseHTTPRequestHandler):
    """GET / as Elasticsearch 8 answers it, and _has_privileges as
    Elasticsearch answers it for a user holding the privileges in `held`
    (cluster ones by name, index ones on every name asked); it records
    the requests."""

    held = set()
    asked = []

    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply({"version": {"number": "8.13.1"}, "tagline": "You Know, "
                    "for Search"})

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.asked.append((self.path, req))
        cluster = {p: p in self.held for p in req.get("cluster", [])}
        index = {name: {p: p in self.held for p in ask["privileges"]}
                 for ask in req.get("index", []) for name in ask["names"]}
        every = list(cluster.values()) + [v for privs in index.values()
                                          for v in privs.values()]
        self.reply({"username": "loader", "has_all_requested": all(every),
                    "cluster": cluster, "index": index, "application": {}})

    def log_message(self, *args):
        pass


class DryRunTest(ReadingsJobTest):

    def test_dry_run_plans_the_catch_up_and_changes_nothing(self):
        """Hour 2 loaded, hours 1 and 0 not: the dry run prints those two
        with their indices, why, and the planner's ranges; nothing reaches
        the cluster but GET /, the ledger gains no row and no reject file
        appears.  A real catch-up then loads the ranges it printed."""
        for k in (2, 1, 0):
            self.fill(k)
        rejects = self.path("rejects-%Y%m%d%H.ndjson")
        with Server() as es:
            rc, _, err, _ = self.forkbulk(es.url, "--hour", hour_label(2))
            self.assertEqual(rc, 0, err)
            before, ledger = es.stats(), self.ledger_rows()
            rc, out, err, _ = self.forkbulk(es.url, "--catch-up", "--lookback",
                                            "3h", "--dry-run",
                                            "--reject-file", rejects)
            self.assertEqual(rc, 0, err)
            after = es.stats()
            self.assertEqual(after["bulk_requests"], before["bulk_requests"])
            self.assertEqual(after["indices"], before["indices"])
            self.assertEqual(self.ledger_rows(), ledger)
            self.assertEqual(os.listdir(self.state), ["%s.lock" % JOB])
            plan = units(out)
            self.assertEqual(sorted(plan), ["hour %s" % hour_label(k)
                                            for k in (1, 0)])
            for k in (1, 0):
                self.assertEqual(plan["hour %s" % hour_label(k)][0],
                                 hour_index(k))
            self.assertIn("why: catch-up: not done in the ledger", out)
            self.assertIn("settings: workers=2 ", out)
            self.assertIn("reject file: %s" % self.path(
                "rejects-%s.ndjson" % hour_label(0).replace("-", "")
                .replace("T", "")), out)
            self.assertEqual(len(re.findall(r"^  range \d+: ", out, re.M)),
                             sum(n for _, n in plan.values()))
            rc, _, err, s = self.forkbulk(es.url, "--catch-up", "--lookback",
                                          "3h")
            self.assertEqual(rc, 0, err)
        self.assertEqual({"hour %s" % h["hour"][:13]: h["ranges"]
                          for h in s["hours"]},
                         {name: n for name, (_, n) in plan.items()})

    def test_dry_run_of_a_new_job_creates_no_ledger(self):
        """No ledger yet: the dry run plans every hour of the lookback as
        a first run would, and leaves no table behind."""
        self.pg.psql("DROP TABLE IF EXISTS forkbulk_ledger_ranges, "
                     "forkbulk_ledger")
        self.fill(1)
        with Server() as es:
            rc, out, err, _ = self.forkbulk(es.url, "--catch-up", "--lookback",
                                            "2h", "--dry-run", "-v")
            self.assertEqual(es.stats()["bulk_requests"], 0)
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(units(out)), ["hour %s" % hour_label(k)
                                              for k in (1, 0)])
        self.assertIn("do not exist: a run creates them", err)
        self.assertEqual(self.ledger_rows(), (None, None))

    def test_dry_run_records_no_skipped_hour(self):
        """--skip-hour under --dry-run says what it would record and
        records nothing."""
        self.fill(0)
        with Server() as es:
            rc, _, err, _ = self.forkbulk(es.url, "--hour", "last")
            self.assertEqual(rc, 0, err)
            ledger = self.ledger_rows()
            rc, _, err, _ = self.forkbulk(es.url, "--skip-hour",
                                          hour_label(1), "--reason", "test",
                                          "--dry-run")
        self.assertEqual(rc, 0, err)
        self.assertIn("hour %s of job %s would be recorded as skipped: test"
                      % (hour_label(1), JOB), err)
        self.assertEqual(self.ledger_rows(), ledger)

    def test_dry_run_takes_the_lock(self):
        """A dry run never overlaps a run: it takes the job's lock."""
        self.fill(0)
        with Server() as es:
            fd = os.open(self.path("%s.lock" % JOB), os.O_RDWR | os.O_CREAT,
                         0o600)
            try:
                import fcntl
                fcntl.flock(fd, fcntl.LOCK_EX)
                rc, _, err, _ = self.forkbulk(es.url, "--hour", "last",
                                              "--dry-run")
            finally:
                os.close(fd)
        self.assertEqual(rc, 75, err)

    def test_dry_run_of_a_file_covers_it_exactly(self):
        """A file's printed byte ranges cover it from 0 to its size, with
        neither gap nor overlap; nothing is sent."""
        flows = write_flows(self.path("flows.ndjson"), 2000)
        size = os.path.getsize(flows)
        with Server() as es:
            rc, out, err, _ = self.forkbulk(
                es.url, "--input", flows, "--index", "flows", "--es", es.url,
                "--range-bytes", "10000", "--dry-run", job=False)
            stats = es.stats()
        self.assertEqual(rc, 0, err)
        self.assertEqual(stats["bulk_requests"], 0)
        self.assertEqual(stats["indices"], {})
        self.assertIn("input: file, %d bytes" % size, out)
        ranges = [(int(i), int(lo), int(hi)) for i, lo, hi in
                  BYTES.findall(out)]
        self.assertEqual(units(out), {flows: ("flows", len(ranges))})
        self.assertEqual(len(ranges), (size + 9999) // 10000)
        edge = 0
        for n, (i, lo, hi) in enumerate(ranges):
            self.assertEqual((i, lo), (n, edge))
            self.assertGreater(hi, lo)
            edge = hi
        self.assertEqual(edge, size)


class CheckTest(ReadingsJobTest):

    def check(self, es_url, *extra):
        rc, out, err, _ = self.forkbulk(es_url, "--check", *extra)
        return rc, lines(out), out, err

    def test_all_ok(self):
        """PostgreSQL, the source, the ledger (missing, creatable) and the
        cluster: ok; the test server has no security API, so the write
        privilege is 'not checked', which is no failure.  Nothing is
        created."""
        with Server() as es:
            rc, got, out, err = self.check(es.url)
            stats = es.stats()
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(got["postgresql"], "ok (connected)")
        self.assertEqual(got["source readings"],
                         "ok (column ts can be read)")
        self.assertRegex(got["ledger"], r"^ok \(.*forkbulk_ledger.* do not "
                         r"exist: a run creates them\)$")
        self.assertEqual(got["cluster %s" % es.url], "ok (Elasticsearch "
                         "8.15.1)")
        self.assertEqual(got["write to read-*"], "not checked: the cluster "
                         "has no security API (HTTP 400)")
        self.assertEqual(stats["bulk_requests"], 0)
        self.assertEqual(self.ledger_rows(), (None, None))
        self.assertEqual(os.listdir(self.state), [])

    def test_ready_ledger(self):
        """Once a run made the ledger, --check finds it ready."""
        self.fill(0)
        with Server() as es:
            rc, _, err, _ = self.forkbulk(es.url, "--hour", "last")
            self.assertEqual(rc, 0, err)
            rc, got, out, err = self.check(es.url)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(got["ledger"], "ok (public.forkbulk_ledger is "
                         "ready)")

    def test_missing_table(self):
        """A table that does not exist: 78, on the line of the source,
        naming it; the other lines are still checked."""
        with Server() as es:
            rc, got, out, err = self.check(es.url, "--table", "nosuch")
        self.assertEqual(rc, 78, out + err)
        self.assertEqual(got["postgresql"], "ok (connected)")
        self.assertIn('"nosuch" does not exist', got["source nosuch"])
        self.assertEqual(got["cluster %s" % es.url][:2], "ok")

    def test_missing_time_column(self):
        """A time column the table lacks: 78, naming the column."""
        with Server() as es:
            rc, got, out, err = self.check(es.url, "--time-column", "when")
        self.assertEqual(rc, 78, out + err)
        self.assertIn('"when" does not exist', got["source readings"])

    def test_stopped_cluster(self):
        """Nothing listens where the cluster should be: 69."""
        url = "http://127.0.0.1:%d" % closed_port()
        rc, got, out, err = self.check(url)
        self.assertEqual(rc, 69, out + err)
        self.assertIn("cannot reach the cluster", got["cluster %s" % url])
        self.assertEqual(got["write to read-*"],
                         "not checked: the cluster did not answer")
        self.assertEqual(got["postgresql"], "ok (connected)")

    def security_cluster(self):
        """A SecurityCluster on a loopback port: (its url, a stop
        function)."""
        SecurityCluster.asked = []
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                SecurityCluster)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()

        def stop():
            httpd.shutdown()
            httpd.server_close()
        return "http://127.0.0.1:%d" % httpd.server_address[1], stop

    def test_write_privilege(self):
        """A cluster with a security API is asked for what the hourly job
        takes: create_doc and create_index, and manage for the load
        settings.  All held is ok, naming them; manage lacking is 78,
        naming it, where, and the flag that does without; with
        --no-load-settings manage is not asked for."""
        url, stop = self.security_cluster()
        try:
            SecurityCluster.held = {"create_doc", "create_index", "manage"}
            rc, got, out, err = self.check(url)
            self.assertEqual(rc, 0, out + err)
            self.assertEqual(got["write to read-*"],
                             "ok (create_doc, create_index, manage)")
            SecurityCluster.held = {"create_doc", "create_index"}
            rc, got, out, err = self.check(url)
            self.assertEqual(rc, 78, out + err)
            self.assertEqual(got["write to read-*"],
                             "user loader lacks manage on read-* (load "
                             "settings (--no-load-settings does without) "
                             "and the alias of --publish alias)")
            rc, got, out, err = self.check(url, "--no-load-settings")
            self.assertEqual(rc, 0, out + err)
            self.assertEqual(got["write to read-*"],
                             "ok (create_doc, create_index)")
        finally:
            stop()
        path = "/_security/user/_has_privileges"
        self.assertEqual(SecurityCluster.asked, [
            (path, {"index": [{"names": ["read-*"], "privileges": [
                "create_doc", "create_index", "manage"]}]}),
            (path, {"index": [{"names": ["read-*"], "privileges": [
                "create_doc", "create_index", "manage"]}]}),
            (path, {"index": [{"names": ["read-*"], "privileges": [
                "create_doc", "create_index"]}]})])

    def test_publish_privileges(self):
        """A file load published by alias, with an index template: its
        generations are named too, and delete_index (old generations) and
        the cluster's manage_index_templates are asked for; each one
        lacking is named with what takes it."""
        template = self.path("template.json")
        with open(template, "w") as f:
            json.dump({"index_patterns": ["f*"], "template": {}}, f)
        data = self.path("in.ndjson")
        with open(data, "w") as f:
            f.write('{"a": 1}\n')
        url, stop = self.security_cluster()
        try:
            SecurityCluster.held = {"create_doc", "create_index", "manage"}
            rc, out, err, _ = self.forkbulk(
                url, "--input", data, "--index", "f", "--es", url,
                "--publish", "alias", "--index-template", template,
                "--check", job=False)
        finally:
            stop()
        self.assertEqual(rc, 78, out + err)
        self.assertEqual(lines(out)["write to f"],
                         "user loader lacks delete_index on f, f.g* (old "
                         "generations of --publish alias); "
                         "manage_index_templates on the cluster "
                         "(--index-template)")
        self.assertEqual(SecurityCluster.asked, [
            ("/_security/user/_has_privileges", {
                "cluster": ["manage_index_templates"],
                "index": [{"names": ["f", "f.g*"], "privileges": [
                    "create_doc", "create_index", "manage",
                    "delete_index"]}]})])

    def test_file_input(self):
        """A file load checks its input: a missing one is 66."""
        with Server() as es:
            rc, out, err, _ = self.forkbulk(
                es.url, "--input", self.path("none.ndjson"), "--index", "f",
                "--es", es.url, "--check", job=False)
        self.assertEqual(rc, 66, out + err)
        self.assertIn("input %s: cannot read it: No such file or directory"
                      % self.path("none.ndjson"), out)


if __name__ == "__main__":
    unittest.main()
