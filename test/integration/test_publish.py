"""--publish alias (issue #13): an hour (or a file) loads into a new
generation NAME.gN and the alias NAME moves to it in one POST /_aliases
once it is complete; readers of NAME never see a half-loaded hour.  A
re-load of an hour whose source lost rows and gained others leaves the
alias on exactly the source's rows, the old generation gone, and during
the re-load the alias answers the old complete count; a re-load killed
midway leaves the alias where it was, and the next run deletes what it
left.

A real PostgreSQL, real forkbulk processes, es-test-server with its
request log (GET /_test/requests) and, for a load readers can watch, its
--delay-ms."""
import os
import signal
import tempfile
import time
import unittest

from harness import LoaderTest, Server, docsum, run_forkbulk, write_flows
from index_tests import IndexJobTest, alias_targets, count, request_log
from readings import hour_index, hour_label, hour_start


class PublishTest(IndexJobTest, LoaderTest):

    def setUp(self):
        super().setUp()
        self.name = hour_index(0)

    def load(self, es, *extra):
        rc, _, err, _ = self.forkbulk(es.url, "--hour", hour_label(0),
                                      "--publish", "alias", *extra)
        return rc, err

    def reference(self, es):
        """What a fresh load of the source as it is now holds (stats of an
        index of its own): the documents the alias must answer."""
        rc, _, err, _ = self.forkbulk(
            es.url, "--es", es.url, "--pg", self.pg.conninfo, "--table",
            "readings", "--time-column", "ts", "--job", "reference",
            "--index", "ref-%Y.%m.%d.%H", "--state-dir", self.state,
            "--hour", hour_label(0), job=False)
        self.assertEqual(rc, 0, err)
        st = es.index_stats(time.strftime("ref-%Y.%m.%d.%H",
                                          time.gmtime(hour_start(0))))
        return st["docs"], st["checksum"], st["source_checksum"]

    def test_reload_moves_the_alias_readers_keep_the_old_count(self):
        self.fill(0, rows=200)
        g1, g2 = self.name + ".g1", self.name + ".g2"
        with Server() as es:
            rc, err = self.load(es)
            self.assertEqual(rc, 0, err)
            self.assertEqual(alias_targets(es, self.name), [g1])
            self.assertEqual(count(es, self.name), 200)

            # The source loses 10 rows and gains 20.
            self.pg.psql("DELETE FROM readings WHERE id % 20 = 0")
            self.pg.psql(
                "INSERT INTO readings SELECT 900000 + i, to_timestamp(%d) + "
                "i * interval '7 second', i FROM generate_series(1, 20) i"
                % hour_start(0))
            es.request("PUT", "/_test/faults", {"delay_ms": 25})
            since = len(request_log(es))
            proc = self.start(es, "--publish", "alias", "--replace")
            seen = []
            while proc.poll() is None:
                seen.append(count(es, self.name))
            _, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, err.decode())
            es.request("PUT", "/_test/faults", {"delay_ms": 0})

            # Every _count the readers sent while g2 was being loaded,
            # and until the alias moved, answered the old complete 200.
            log = request_log(es)
            first = min(i for i, e in enumerate(log)
                        if e["path"] == "/%s/_bulk" % g2)
            moved = max(i for i, e in enumerate(log)
                        if e["path"] == "/_aliases")
            counts = [i for i, e in enumerate(log)
                      if i >= since and e["path"] == "/%s/_count" % self.name]
            during = [n for i, n in zip(counts, seen) if first < i < moved]
            self.assertGreater(len(during), 0)
            self.assertEqual(set(during), {200})
            self.assertEqual(log[moved]["body"], {"actions": [
                {"remove": {"index": g1, "alias": self.name}},
                {"add": {"index": g2, "alias": self.name}}]})
            self.assertEqual([e["path"] for e in log[moved + 1:]
                              if e["method"] == "DELETE"], ["/" + g1])

            self.assertEqual(alias_targets(es, self.name), [g2])
            self.assertIsNone(es.index_stats(g1))
            self.assertIsNone(es.index_stats(self.name))
            self.assertEqual(count(es, self.name), 210)
            self.assertIndexHolds(es, g2, self.reference(es))
        # The ledger keeps the name readers query.
        self.assertEqual(self.pg.psql(
            "SELECT index_name, status, loaded FROM forkbulk_ledger"
            " WHERE job = 'readings' ORDER BY id"),
            [[self.name, "done", "200"], [self.name, "done", "210"]])

    def test_killed_reload_leaves_the_alias_next_run_cleans_up(self):
        self.fill(0, rows=200)
        g1, g2, g3 = (self.name + ".g%d" % n for n in (1, 2, 3))
        with Server() as es:
            rc, err = self.load(es)
            self.assertEqual(rc, 0, err)
            es.request("PUT", "/_test/faults", {"delay_ms": 25})
            self.stop_midway(es, g2, signal.SIGKILL, "--publish", "alias")
            es.request("PUT", "/_test/faults", {"delay_ms": 0})
            self.assertEqual(alias_targets(es, self.name), [g1])
            self.assertEqual(count(es, self.name), 200)
            self.assertIsNotNone(es.index_stats(g2))  # half-built

            seen = len(request_log(es))
            rc, err = self.load(es)
            self.assertEqual(rc, 0, err)
            self.assertIn("restoring the settings of index %s left by a run "
                          "that died" % g2, err)
            new = [(e["method"], e["path"]) for e in request_log(es)[seen:]]
            self.assertLess(new.index(("DELETE", "/" + g2)),
                            new.index(("PUT", "/" + g3)))
            self.assertEqual(alias_targets(es, self.name), [g3])
            self.assertIsNone(es.index_stats(g1))
            self.assertIsNone(es.index_stats(g2))
            self.assertEqual(count(es, self.name), 200)

    def test_an_index_of_that_name_blocks_the_alias(self):
        self.fill(0)
        with Server() as es:
            rc, _, err, _ = self.forkbulk(es.url, "--hour", hour_label(0))
            self.assertEqual(rc, 0, err)
            rc, err = self.load(es)
            self.assertEqual(rc, 78, err)
            self.assertIn("--publish alias: %s is an index" % self.name, err)
            self.assertIn("POST %s/_clone/%s.g1" % (self.name, self.name),
                          err)
            self.assertIsNone(es.index_stats(self.name + ".g1"))
            self.assertEqual(es.index_stats(self.name)["docs"], 60)

    def test_replace_is_for_given_hours(self):
        with Server() as es:
            rc, _, err, _ = self.forkbulk(es.url, "--catch-up", "--replace")
            self.assertEqual(rc, 64, err)
            self.assertIn("--replace", err)


class FilePublishTest(LoaderTest):
    """Files publish by alias too: each load a generation of --index."""

    def test_file_generations(self):
        with tempfile.TemporaryDirectory(prefix="fb-pubfile-") as d:
            flows = write_flows(os.path.join(d, "flows.ndjson"), 1000)
            expect = docsum(flows, "id")
            with Server() as es:
                for n in (1, 2):
                    rc, err = run_forkbulk(
                        ["--input", flows, "--index", "pub", "--es", es.url,
                         "--id-field", "id", "--publish", "alias",
                         "--state-dir", os.path.join(d, "state")])
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(alias_targets(es, "pub"),
                                     ["pub.g%d" % n])
                    self.assertIndexHolds(es, "pub.g%d" % n, expect)
                self.assertIsNone(es.index_stats("pub.g1"))
                self.assertEqual(count(es, "pub"), 1000)

    def test_not_with_time_field(self):
        """--time-field fills an index per hour: no one index to publish."""
        rc, err = run_forkbulk(["--input", "/dev/null", "--index",
                                "pub-%Y.%m.%d.%H", "--time-field", "ts",
                                "--publish", "alias"])
        self.assertEqual(rc, 64, err)
        self.assertIn("--publish alias", err)


if __name__ == "__main__":
    unittest.main()
