"""Shared helpers of forkbulk's integration tests.

Everything here drives real processes: the es-test-server binary over real
HTTP on a loopback port, and the forkbulk binary with real fork, pipes and
signals.  Every path to a program comes from here, and here from the
environment that ctest sets (test/integration/CMakeLists.txt).
"""
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request


def _program(var, name):
    """The path ctest passes in var; else name, found on PATH (a test run
    by hand with the build's programs on PATH)."""
    return os.environ.get(var) or name


FORKBULK = _program("FORKBULK_BIN", "forkbulk")
SERVER = _program("ES_TEST_SERVER_BIN", "es-test-server")
DOCSUM = _program("ES_DOCSUM_BIN", "es-docsum")
PG_SOURCE_CHECK = _program("PG_SOURCE_CHECK_BIN", "pg_source_check")
LEDGER_CHECK = _program("LEDGER_CHECK_BIN", "ledger_check")
CMAKE = _program("CMAKE_BIN", "cmake")
# PostgreSQL's server programs (initdb, pg_ctl) and the psql beside them.
PG_BIN = os.environ.get("PG_BIN") or "/usr/lib/postgresql/15/bin"
# The build tree the programs come from (for cmake --install).
BUILD_DIR = os.environ.get("FB_BUILD_DIR")
SOURCE_DIR = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# test/data: what the scripts and the tests share (flows.sql).
DATA_DIR = os.path.join(SOURCE_DIR, "test", "data")

# Lock files and the settings a file load must put back go to a state
# directory of this test process, not to the host's /var/lib/forkbulk:
# a record left there by one test (every node down) would be restored by
# a later test whose server happened to get the same port.
if "FORKBULK_STATE_DIR" not in os.environ:
    _STATE_DIR = tempfile.TemporaryDirectory(prefix="fb-state.")
    os.environ["FORKBULK_STATE_DIR"] = _STATE_DIR.name


class Server:
    """An es-test-server process on a free loopback port."""

    def __init__(self, *args, port=0):
        self.args = list(args)
        self.want_port = port
        self.proc = None
        self.port = None
        self.dir = tempfile.mkdtemp(prefix="fb-server-")

    def __enter__(self):
        ready = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen(
            [SERVER, "--port", str(self.want_port), "--ready-file", ready,
             "--quiet"]
            + self.args,
            stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not os.path.exists(ready):
            if self.proc.poll() is not None:
                raise RuntimeError("es-test-server exited with %d"
                                   % self.proc.returncode)
            if time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError("es-test-server did not start")
            time.sleep(0.02)
        with open(ready) as f:
            self.port = int(f.read().strip())
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, method, path, body=None,
                content_type="application/json"):
        """One request; retried when the server's own drop fault eats it
        (tests read stats from servers that drop connections on purpose)."""
        for attempt in range(20):
            try:
                return self._request(method, path, body, content_type)
            except (urllib.error.URLError, ConnectionError) as e:
                if isinstance(e, urllib.error.HTTPError) or attempt == 19:
                    raise
                time.sleep(0.05)

    def _request(self, method, path, body, content_type):
        data = None
        headers = {}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(
                body).encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.url + path, data=data,
                                     method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw) if raw else None
            except ValueError:
                return e.code, raw

    def stats(self):
        status, body = self.request("GET", "/_test/stats")
        assert status == 200, (status, body)
        return body

    def index_stats(self, index):
        return self.stats()["indices"].get(index)

    def wait_created(self, index, n, timeout=30):
        """Waits (up to timeout s) until index has had n documents
        created: a load is under way, for tests that interrupt it."""
        deadline = time.monotonic() + timeout
        while (time.monotonic() < deadline and
               (self.index_stats(index) or {}).get("created", 0) < n):
            time.sleep(0.02)


def clear_of_the_hour_boundary():
    """Tests that count hours back from the time they are loaded agree
    with forkbulk's --hour last and --catch-up, which count from the time
    they run less --settle (2 minutes), only while no hour begins in
    between: loaded from HH:58 to HH:03, this waits until HH:03.  A module
    runs for well under two minutes."""
    into = time.time() % 3600
    wait = 3600 - into + 180 if into >= 58 * 60 else max(0, 180 - into)
    if wait > 0:
        sys.stderr.write("waiting %.0f s for the hour to settle (tests count "
                         "hours from now)\n" % wait)
        time.sleep(wait)


def run_forkbulk(args, env=None, timeout=300, stdin=None):
    """Runs forkbulk to completion; returns (exit code, stderr text)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.run([FORKBULK] + list(args), env=full_env,
                          stdin=stdin if stdin is not None
                          else subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)
    return proc.returncode, proc.stderr.decode(errors="replace")


def children_of(pid):
    """Pids whose parent is pid (from /proc), for signal tests."""
    kids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(name))
    return kids


def flow(rng, i):
    """One flow record of DESIGN.md's shape, with a unique "id"."""
    v6 = rng.random() < 0.1
    if v6:
        src = "2001:db8::%x" % rng.randrange(1 << 16)
        dst = "2001:db8:1::%x" % rng.randrange(1 << 16)
    else:
        src = "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256),
                               rng.randrange(256))
        dst = "192.0.%d.%d" % (rng.randrange(256), rng.randrange(256))
    ts = "2026-11-27T03:%02d:%02d.%03dZ" % (
        (i // 60000) % 60, (i // 1000) % 60, i % 1000)
    return ('{"id":%d,"ts":"%s","src_ip":"%s","dst_ip":"%s",'
            '"src_port":%d,"dst_port":%d,"proto":%d,"bytes":%d,'
            '"packets":%d,"tcp_flags":%d,"in_if":%d,"out_if":%d}'
            % (i, ts, src, dst, rng.randrange(1, 65536),
               rng.choice((53, 80, 443, 22, 123)), rng.choice((6, 17, 1)),
               rng.randrange(40, 1 << 20), rng.randrange(1, 1000),
               rng.randrange(256), rng.randrange(1, 48),
               rng.randrange(1, 48)))


def write_flows(path, n, seed=1, compress=False):
    """Writes n flow records as NDJSON; returns the path."""
    rng = random.Random(seed)
    opener = gzip.open if compress else open
    with opener(path, "wt") as f:
        for i in range(n):
            f.write(flow(rng, i))
            f.write("\n")
    return path


def docsum(path, id_field=None):
    """(records, checksum, source_checksum) of an NDJSON file, computed
    with the same hash the server uses (es-docsum)."""
    args = [DOCSUM]
    if id_field:
        args += ["--id-field", id_field]
    out = subprocess.run(args + [path], check=True,
                         stdout=subprocess.PIPE).stdout.decode().split()
    return int(out[0]), out[1], out[2]


def flows_ddl():
    """The flows table and its index on ts (test/data/flows.sql), as
    scripts/lib.sh creates them for the demo and the benchmark."""
    with open(os.path.join(DATA_DIR, "flows.sql")) as f:
        return f.read()


class LoaderTest(unittest.TestCase):
    """What a load must leave in an index."""

    def assertIndexHolds(self, server, index, expect, by_id=True):
        """index holds exactly the documents of expect, a docsum() result:
        the same count, the same source checksum and (by_id: the ids are
        the expected ones too) the same checksum."""
        st = server.index_stats(index)
        self.assertIsNotNone(st, "index %s missing" % index)
        self.assertEqual(st["docs"], expect[0])
        if by_id:
            self.assertEqual(st["checksum"], expect[1])
        self.assertEqual(st["source_checksum"], expect[2])


class FlowFileTest(LoaderTest):
    """Tests that load one NDJSON file of N generated flows (seed SEED),
    written once per class: cls.dir (a temporary folder, removed at the
    end), cls.flows (the file) and cls.expect (its docsum by "id")."""

    N = 0
    SEED = 1

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp(prefix="fb-%s-" % cls.__name__.lower())
        cls.flows = write_flows(os.path.join(cls.dir, "flows.ndjson"), cls.N,
                                seed=cls.SEED)
        cls.expect = docsum(cls.flows, "id")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        super().tearDownClass()

    def path(self, name):
        return os.path.join(self.dir, name)

    def load(self, server, index, *extra, input=None, timeout=300):
        """Loads input (default: the class's flows) into index with the
        extra flags; returns (exit code, stderr text, the --summary-json
        object, or None if the run wrote none)."""
        summary = self.path("summary-%s.json" % index)
        rc, err = run_forkbulk(
            ["--input", input or self.flows, "--index", index,
             "--es", server.url, "--summary-json", summary] + list(extra),
            timeout=timeout)
        s = None
        if os.path.exists(summary):
            with open(summary) as f:
                s = json.load(f)
        return rc, err, s
