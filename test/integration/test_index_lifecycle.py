"""The index around a load (issue #13): load settings set before the
first _bulk of each index and what was there put back after its last
(a setting that was not set is put back as null), also when the run is
stopped with SIGTERM, and after a SIGKILL by the next run of the job,
first thing; an index template installed before the first hour index.

A real PostgreSQL, real forkbulk processes, and es-test-server's request
log (GET /_test/requests: every request in the order the server saw it)
for the order of the requests."""
import json
import os
import signal
import stat
import subprocess
import time
import unittest

from harness import (FORKBULK, SOURCE_DIR, Server, flows_ddl, run_forkbulk,
                     write_flows)
from index_tests import FRESH, IndexJobTest, on, request_log
from readings import hour_index, hour_label, hour_start

LOAD = {"refresh_interval": "-1", "number_of_replicas": "0"}
TEMPLATE = os.path.join(SOURCE_DIR, "etc", "flows-template.json")


class LifecycleTest(IndexJobTest):

    def assertAround(self, entries, index, before, created):
        """The requests to index: created (PUT) if it was not there, its
        settings read, the load settings set before its first _bulk,
        before put back after its last, then a refresh."""
        mine = on(index, entries)
        kinds = [(e["method"], e["path"][len(index) + 1:]) for _, e in mine]
        bulks = [i for i, e in mine if e["path"].endswith("/_bulk")]
        puts = [(i, e) for i, e in mine
                if (e["method"], e["path"]) == ("PUT", "/%s/_settings"
                                                % index)]
        self.assertGreater(len(bulks), 1, kinds)
        self.assertEqual(len(puts), 2, kinds)
        self.assertEqual(puts[0][1]["body"], {"index": LOAD})
        self.assertEqual(puts[1][1]["body"], {"index": before})
        self.assertLess(puts[0][0], min(bulks))
        self.assertGreater(puts[1][0], max(bulks))
        self.assertEqual(kinds[:2], [("HEAD", ""), ("PUT", "")] if created
                         else [("HEAD", ""), ("GET", "/_settings")])
        self.assertIn(("GET", "/_settings"), kinds[:kinds.index(
            ("PUT", "/_settings"))])
        self.assertEqual(kinds[-1], ("POST", "/_refresh"))

    def test_settings_around_each_hour(self):
        """Two hours: one index made by forkbulk (nothing set: null back),
        one that was there with settings of its own (those back)."""
        self.fill(0)
        self.fill(1)
        own = {"refresh_interval": "30s", "number_of_replicas": "2"}
        with Server() as es:
            es.request("PUT", "/" + hour_index(1),
                       {"settings": {"index": own}})
            rc, _, err, _ = self.forkbulk(es.url, "--from", hour_label(1),
                                          "--to", hour_label(-1),
                                          "--batch-docs", "10")
            self.assertEqual(rc, 0, err)
            log = request_log(es)[1:]  # after the test's own PUT
            self.assertAround(log, hour_index(1), own, created=False)
            self.assertAround(log, hour_index(0), FRESH, created=True)
            # Each hour is over before the next begins.
            self.assertLess(on(hour_index(1), log)[-1][0],
                            on(hour_index(0), log)[0][0])
            self.assertSettings(es, hour_index(1), "30s", "2")
            self.assertSettings(es, hour_index(0), None, "1")
            for k in (0, 1):
                self.assertEqual(es.index_stats(hour_index(k))["docs"], 60)
        self.assertEqual(self.restore_rows(), [])

    def test_load_settings_given_or_off(self):
        self.fill(0)
        with Server() as es:
            rc, _, err, _ = self.forkbulk(es.url, "--hour", hour_label(0),
                                          "--load-settings",
                                          "index.refresh_interval=5s")
            self.assertEqual(rc, 0, err)
            puts = [e["body"] for _, e in on(hour_index(0), request_log(es))
                    if e["method"] == "PUT" and "_settings" in e["path"]]
            self.assertEqual(puts, [{"index": {"refresh_interval": "5s"}},
                                    {"index": {"refresh_interval": None}}])
        with Server() as es:
            rc, _, err, _ = self.forkbulk(es.url, "--hour", hour_label(0),
                                          "--no-load-settings")
            self.assertEqual(rc, 0, err)
            paths = [e["path"] for _, e in on(hour_index(0),
                                              request_log(es))]
            self.assertNotIn("/%s/_settings" % hour_index(0), paths)
            self.assertEqual(es.index_stats(hour_index(0))["docs"], 60)
        with Server() as es:
            for bad in ("refresh_interval", "refresh_interval=",
                        "a=1,a=2", "Refresh=1"):
                rc, _, err, _ = self.forkbulk(es.url, "--hour",
                                              hour_label(0),
                                              "--load-settings", bad)
                self.assertEqual(rc, 64, err)
                self.assertIn("--load-settings", err)
            self.assertEqual(request_log(es), [])

    def test_load_settings_refused_loads_without(self):
        """A role that may write documents but not manage the index (403
        on PUT _settings): the hour loads as it is, the warning says what
        to grant; nothing is put back and no restore record is left."""
        self.fill(0)
        with Server() as es:
            es.request("PUT", "/_test/faults", {"settings_denied": 1})
            rc, _, err, _ = self.forkbulk(es.url, "--hour", hour_label(0),
                                          "--batch-docs", "10")
            self.assertEqual(rc, 0, err)
            self.assertIn("the credentials may not change the settings of "
                          "%s (HTTP 403: the manage index privilege): "
                          "loading it without load settings; grant manage, "
                          "or set --no-load-settings" % hour_index(0), err)
            puts = [e["body"] for _, e in on(hour_index(0), request_log(es))
                    if e["method"] == "PUT" and "_settings" in e["path"]]
            self.assertEqual(puts, [{"index": LOAD}])
            es.request("PUT", "/_test/faults", {"settings_denied": 0})
            self.assertSettings(es, hour_index(0), None, "1")
            self.assertEqual(es.index_stats(hour_index(0))["docs"], 60)
        self.assertEqual(self.restore_rows(), [])

    def test_sigterm_mid_load_puts_settings_back(self):
        self.fill(0, rows=400)
        index = hour_index(0)
        with Server("--delay-ms", "20") as es:
            rc, err = self.stop_midway(es, index, signal.SIGTERM)
            self.assertEqual(rc, -signal.SIGTERM, err)
            mine = on(index, request_log(es))
            last_bulk = max(i for i, e in mine
                            if e["path"].endswith("/_bulk"))
            back = [e for i, e in mine if i > last_bulk and
                    e["method"] == "PUT"]
            self.assertEqual([e["body"] for e in back], [{"index": FRESH}])
            self.assertSettings(es, index, None, "1")
        self.assertEqual(self.restore_rows(), [])
        self.assertEqual(self.pg.psql(
            "SELECT status FROM forkbulk_ledger"), [["interrupted"]])

    def test_sigkill_mid_load_next_run_puts_back_first(self):
        self.fill(0, rows=400)
        index = hour_index(0)
        with Server("--delay-ms", "20") as es:
            self.stop_midway(es, index, signal.SIGKILL)
            self.assertSettings(es, index, "-1", "0")
            rows = self.restore_rows()
            self.assertEqual([r[:2] for r in rows], [["readings", index]])
            self.assertEqual(json.loads(rows[0][2]), FRESH)

            es.request("PUT", "/_test/faults", {"delay_ms": 0})
            seen = len(request_log(es))
            rc, _, err, _ = self.forkbulk(es.url, "--hour", hour_label(0))
            self.assertEqual(rc, 0, err)
            self.assertIn("restoring the settings of index %s left by a run "
                          "that died" % index, err)
            new = request_log(es)[seen:]
            # First thing once the cluster answers: the settings back.
            self.assertEqual([(e["method"], e["path"], e["body"])
                              for e in new[:2]],
                             [("GET", "/", None),
                              ("PUT", "/%s/_settings" % index,
                               {"index": FRESH})])
            self.assertAround(new[2:], index, FRESH, created=False)
            self.assertSettings(es, index, None, "1")
            self.assertEqual(es.index_stats(index)["docs"], 400)
        self.assertEqual(self.restore_rows(), [])

    def records(self):
        return [f for f in os.listdir(self.state)
                if f.startswith("restore-")]

    def test_file_load_sigkill_state_file(self):
        """A file load keeps what to put back in --state-dir: one file per
        index of a cluster, 0600, gone once the settings are back."""
        flows = write_flows(self.path("flows.ndjson"), 3000)
        args = ["--input", flows, "--index", "fileidx", "--state-dir",
                self.state, "--workers", "2", "--id-field", "id"]
        with Server("--delay-ms", "20") as es:
            proc = subprocess.Popen(
                [FORKBULK, "--es", es.url, "--batch-docs", "20"] + args,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
            self.wait_bulks(es, "fileidx", 3)
            proc.kill()
            proc.communicate(timeout=60)
            records = self.records()
            self.assertEqual(len(records), 1, records)
            self.assertRegex(records[0], r"^restore-fileidx\.[0-9a-f]{8}"
                             r"\.json$")
            record = os.path.join(self.state, records[0])
            self.assertEqual(stat.S_IMODE(os.stat(record).st_mode), 0o600)
            with open(record) as f:
                rec = json.load(f)
            self.assertEqual((rec["index"], rec["cluster"], rec["settings"],
                              rec["pid"]),
                             ("fileidx", es.url, FRESH, proc.pid))
            self.assertSettings(es, "fileidx", "-1", "0")
            es.request("PUT", "/_test/faults", {"delay_ms": 0})
            rc, err = run_forkbulk(["--es", es.url] + args)
            self.assertEqual(rc, 0, err)
            self.assertIn("restoring the settings of index fileidx left by "
                          "a run that died", err)
            self.assertEqual(self.records(), [])
            self.assertSettings(es, "fileidx", None, "1")
            self.assertEqual(es.index_stats("fileidx")["docs"], 3000)

            # A record of another cluster's index of that name is that
            # cluster's to put back: left alone.
            other = os.path.join(self.state, "restore-fileidx.0badc0de.json")
            with open(other, "w") as f:
                json.dump(dict(rec, cluster="http://127.0.0.1:1"), f)
            os.chmod(other, 0o600)
            rc, err = run_forkbulk(["--es", es.url] + args)
            self.assertEqual(rc, 0, err)
            self.assertNotIn("restoring", err)
            self.assertEqual(self.records(), [os.path.basename(other)])

    def test_time_field_indices_are_refreshed_not_tuned(self):
        """--time-field: each record's hour index is made by _bulk with
        the cluster's templates; the run's own --index is not made, no
        settings are changed, and every hour index is refreshed."""
        data = self.path("hours.ndjson")
        with open(data, "w") as f:
            for i in range(40):
                f.write('{"id":%d,"ts":"2026-11-27T%02d:30:00Z"}\n'
                        % (i, 3 + i % 2))
        with Server() as es:
            rc, err = run_forkbulk(["--input", data, "--index",
                                    "tf-%Y.%m.%d.%H", "--time-field", "ts",
                                    "--es", es.url, "--state-dir",
                                    self.state, "--index-template",
                                    TEMPLATE, "--index-template-name",
                                    "tf"])
            self.assertEqual(rc, 0, err)
            calls = [(e["method"], e["path"]) for e in request_log(es)
                     if e["path"] != "/"]
            self.assertEqual(calls[0], ("PUT", "/_index_template/tf"))
            self.assertEqual(
                sorted(c for c in calls if c[1].endswith("/_refresh")),
                [("POST", "/tf-2026.11.27.03/_refresh"),
                 ("POST", "/tf-2026.11.27.04/_refresh")])
            self.assertEqual([c for c in calls if "_settings" in c[1]
                              or c[0] in ("PUT", "HEAD")][1:], [])
            for h in ("03", "04"):
                self.assertEqual(
                    es.index_stats("tf-2026.11.27." + h)["docs"], 20)

    def test_template_before_the_first_hour_index(self):
        """etc/flows-template.json, installed before the first hour index
        is created: the index has its mappings (an ip field refuses what
        is not an address; dynamic mapping would have taken it as
        text)."""
        self.pg.psql("DROP TABLE IF EXISTS flows; " + flows_ddl())
        self.pg.psql(
            "INSERT INTO flows SELECT g, to_timestamp(%d) + g * interval "
            "'1 second', '10.0.0.1', '2001:db8::1', 1000 + g, 443, 6, "
            "g * 100, g, 2, 1, 2 FROM generate_series(1, 50) g"
            % hour_start(0))
        index = time.strftime("flows-%Y.%m.%d.%H",
                              time.gmtime(hour_start(0)))
        with Server() as es:
            rc, _, err, _ = self.forkbulk(
                es.url, "--es", es.url, "--pg", self.pg.conninfo, "--table",
                "flows",
                "--time-column", "ts", "--job", "flowsjob", "--index",
                "flows-%Y.%m.%d.%H", "--state-dir", self.state, "--hour",
                hour_label(0), "--index-template", TEMPLATE, job=False)
            self.assertEqual(rc, 0, err)
            log = request_log(es)
            paths = [(e["method"], e["path"]) for e in log]
            put = paths.index(("PUT", "/_index_template/flows-template"))
            self.assertLess(put, paths.index(("PUT", "/" + index)))
            with open(TEMPLATE) as f:
                self.assertEqual(log[put]["body"], json.load(f))
            self.assertEqual(es.index_stats(index)["docs"], 50)
            bad = (b'{"index":{"_id":"x"}}\n{"src_ip":"not-an-ip"}\n')
            for target, want in ((index, 400), ("untemplated", 201)):
                status, body = es.request("POST", "/%s/_bulk" % target, bad,
                                          "application/x-ndjson")
                self.assertEqual(status, 200, body)
                self.assertEqual(body["items"][0]["index"]["status"], want,
                                 body)

    def test_template_file_checked_before_any_work(self):
        broken = self.path("broken.json")
        with open(broken, "w") as f:
            f.write('{"index_patterns": ["read-*"],\n "template": {]}\n')
        with Server() as es:
            for extra in ((), ("--dry-run",)):
                rc, _, err, _ = self.forkbulk(es.url, "--hour",
                                              hour_label(0),
                                              "--index-template", broken,
                                              *extra)
                self.assertEqual(rc, 78, err)
                self.assertIn("--index-template %s: " % broken, err)
                self.assertIn("line 2", err)
            self.assertEqual(request_log(es), [])
        self.assertEqual(self.ledger_rows(), (None, None))


class RestoreTableGrantTest(IndexJobTest):
    """A ledger made by a DBA before the restore table existed: the
    loader's role may not create it, so the run loads without load
    settings and says why; once the table is there and granted, they
    apply."""

    def setUp(self):
        super().setUp()
        self.pg.psql("DO $$ BEGIN CREATE ROLE loader LOGIN; EXCEPTION WHEN "
                     "duplicate_object THEN NULL; END $$")
        self.pg.psql("GRANT SELECT ON readings TO loader")

    def as_loader(self, es, *extra):
        return self.forkbulk(
            es.url, "--es", es.url, "--pg",
            self.pg.conninfo.replace("user=postgres", "user=loader"),
            "--table", "readings", "--time-column", "ts", "--job",
            "readings", "--index", "read-%Y.%m.%d.%H", "--state-dir",
            self.state, "--hour", hour_label(0), *extra, job=False)

    def settings_puts(self, es):
        return [e for e in request_log(es)
                if e["method"] == "PUT" and e["path"].endswith("/_settings")]

    def test_without_the_table_no_load_settings(self):
        self.fill(0)
        with Server() as es:
            # The DBA's tables: made by a run that needs no restore table.
            rc, _, err, _ = self.forkbulk(es.url, "--hour", hour_label(0),
                                          "--no-load-settings")
            self.assertEqual(rc, 0, err)
            self.pg.psql("GRANT SELECT, INSERT, UPDATE ON forkbulk_ledger, "
                         "forkbulk_ledger_ranges TO loader; GRANT USAGE ON "
                         "SEQUENCE forkbulk_ledger_id_seq TO loader")
            self.assertEqual(self.pg.psql(
                "SELECT to_regclass('forkbulk_ledger_restore') IS NULL"),
                [["t"]])
            rc, _, err, _ = self.as_loader(es)
            self.assertEqual(rc, 0, err)
            self.assertIn('lacks CREATE on schema public to run CREATE TABLE '
                          'public.forkbulk_ledger_restore', err)
            self.assertIn("loading without load settings", err)
            self.assertEqual(self.settings_puts(es), [])

            # The DBA makes it (a run as postgres), without a grant first.
            rc, _, err, _ = self.forkbulk(es.url, "--hour", hour_label(0))
            self.assertEqual(rc, 0, err)
            before = len(self.settings_puts(es))
            rc, _, err, _ = self.as_loader(es)
            self.assertEqual(rc, 0, err)
            self.assertIn('ledger: role "loader" lacks SELECT, INSERT, DELETE '
                          'on table public.forkbulk_ledger_restore (GRANT '
                          'SELECT, INSERT, DELETE ON '
                          'public.forkbulk_ledger_restore TO loader)', err)
            self.assertEqual(len(self.settings_puts(es)), before)

            self.pg.psql("GRANT SELECT, INSERT, DELETE ON "
                         "forkbulk_ledger_restore TO loader")
            rc, _, err, _ = self.as_loader(es)
            self.assertEqual(rc, 0, err)
            self.assertNotIn("WARN", err)
            self.assertEqual([e["body"] for e in
                              self.settings_puts(es)[before:]],
                             [{"index": LOAD}, {"index": FRESH}])
        self.assertEqual(self.pg.psql(
            "SELECT count(*) FROM forkbulk_ledger_restore"), [["0"]])


if __name__ == "__main__":
    unittest.main()
