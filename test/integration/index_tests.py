"""What the tests of the index around a load share (test_index_lifecycle.py,
test_publish.py): es-test-server's request log (GET /_test/requests:
every request in the order the server saw it), an index's settings and
aliases as the cluster keeps them, and the readings job run in the
background so that it can be stopped or killed midway."""
import subprocess
import time

from harness import FORKBULK
from readings import ReadingsJobTest, hour_label

# What a new index has of the default load settings' keys:
# refresh_interval not set, one replica.
FRESH = {"refresh_interval": None, "number_of_replicas": "1"}


def request_log(es):
    status, log = es.request("GET", "/_test/requests")
    assert status == 200, (status, log)
    return log


def on(index, entries):
    """(position, entry) of the requests made to index."""
    return [(i, e) for i, e in enumerate(entries)
            if e["path"] == "/" + index or
            e["path"].startswith("/" + index + "/")]


def settings_of(es, index):
    """The index's settings as the cluster keeps them, flat."""
    status, body = es.request("GET", "/%s/_settings?flat_settings=true"
                              % index)
    assert status == 200, (status, body)
    return next(iter(body.values()))["settings"]


def alias_targets(es, name):
    """The indices the alias name points at ([] when there is none)."""
    status, body = es.request("GET", "/_alias/" + name)
    return sorted(body) if status == 200 else []


def count(es, name):
    status, body = es.request("GET", "/%s/_count" % name)
    assert status == 200, (status, body)
    return body["count"]


class IndexJobTest(ReadingsJobTest):
    """The readings job, with the ledger's restore table dropped too."""

    def setUp(self):
        super().setUp()
        self.pg.psql("DROP TABLE IF EXISTS forkbulk_ledger_restore")

    def restore_rows(self):
        return self.pg.psql("SELECT job, index_name, settings::text FROM "
                            "forkbulk_ledger_restore ORDER BY index_name")

    def assertSettings(self, es, index, refresh, replicas):
        """index has these (refresh None: not set)."""
        got = settings_of(es, index)
        self.assertEqual((got.get("index.refresh_interval"),
                          got.get("index.number_of_replicas")),
                         (refresh, replicas))

    def start(self, es, *extra):
        """A run of the job for the last hour in the background, five
        documents a request."""
        return subprocess.Popen(
            [FORKBULK, "--pg", self.pg.conninfo, "--table", "readings",
             "--time-column", "ts", "--es", es.url, "--job", "readings",
             "--index", "read-%Y.%m.%d.%H", "--state-dir", self.state,
             "--workers", "2", "--hour", hour_label(0), "--batch-docs",
             "5"] + list(extra),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)

    def wait_bulks(self, es, index, n):
        """Until n _bulk requests to index have been made."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len([e for e in request_log(es)
                    if e["path"] == "/%s/_bulk" % index]) >= n:
                return
            time.sleep(0.02)
        self.fail("no %d _bulk requests to %s" % (n, index))

    def stop_midway(self, es, index, signo, *extra):
        """Starts the job, and once it has sent 3 _bulk requests to index
        sends it signo; (exit status as Popen gives it, stderr text)."""
        proc = self.start(es, *extra)
        self.wait_bulks(es, index, 3)
        proc.send_signal(signo)
        _, err = proc.communicate(timeout=120)
        return proc.returncode, err.decode(errors="replace")
