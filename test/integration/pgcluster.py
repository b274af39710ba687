"""A private PostgreSQL 15 cluster for tests.

initdb in a temporary folder, pg_ctl on a free loopback port, stopped and
deleted at the end (also when a test fails).  initdb refuses to run as
root, so when the tests run as root the server runs as the `postgres`
system user (Debian's postgresql package creates it) and the folder is
chowned to it.  No shell is ever involved.

    with PgCluster() as pg:
        pg.psql("CREATE TABLE t (id int)")
        rows = pg.psql("SELECT count(*) FROM t")   # [["0"]]
        pg.conninfo                                # for libpq

PgTest is the base of the test classes that share one cluster.
"""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from harness import PG_BIN


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """A throwaway cluster; use it as a context manager."""

    def __init__(self, settings=None):
        self.settings = dict(settings or {})
        self.dir = None
        self.port = None
        self.user = "postgres"
        self._preexec = None

    # -- process helpers -------------------------------------------------
    def _as_owner(self):
        """preexec_fn dropping root for the server's own commands."""
        if os.geteuid() != 0:
            return None
        pw = pwd.getpwnam("postgres")

        def drop():
            os.setgid(pw.pw_gid)
            os.initgroups("postgres", pw.pw_gid)
            os.setuid(pw.pw_uid)
        return drop

    def _run_server_cmd(self, args, timeout=60):
        env = dict(os.environ, LC_ALL="C", LANG="C")
        r = subprocess.run(args, preexec_fn=self._preexec, env=env,
                           cwd=self.dir, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d):\n%s"
                               % (args[0], r.returncode,
                                  r.stdout.decode(errors="replace")))
        return r

    # -- lifecycle -------------------------------------------------------
    def start(self):
        self._preexec = self._as_owner()
        self.dir = tempfile.mkdtemp(prefix="fb-pg-")
        if self._preexec is not None:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            os.chmod(self.dir, 0o700)
        data = os.path.join(self.dir, "data")
        self._run_server_cmd([os.path.join(PG_BIN, "initdb"), "-D", data,
                              "-U", self.user, "-A", "trust", "-E", "UTF8",
                              "--no-sync", "--locale=C"])
        self.port = _free_port()
        opts = {"listen_addresses": "127.0.0.1", "port": str(self.port),
                "unix_socket_directories": self.dir, "fsync": "off",
                "synchronous_commit": "off", "full_page_writes": "off"}
        opts.update(self.settings)
        optstr = " ".join("-c %s=%s" % (k, v) for k, v in opts.items())
        try:
            self._run_server_cmd([os.path.join(PG_BIN, "pg_ctl"), "-D", data,
                                  "-l", os.path.join(self.dir, "log"),
                                  "-o", optstr, "-w", "-t", "60", "start"])
        except Exception:
            self._cleanup()
            raise
        return self

    def stop(self):
        if self.dir is None:
            return
        data = os.path.join(self.dir, "data")
        try:
            self._run_server_cmd([os.path.join(PG_BIN, "pg_ctl"), "-D", data,
                                  "-m", "immediate", "-w", "stop"])
        except Exception:
            pass
        self._cleanup()

    def restart(self):
        """pg_ctl restart -m fast: every session ends, data stays."""
        data = os.path.join(self.dir, "data")
        self._run_server_cmd([os.path.join(PG_BIN, "pg_ctl"), "-D", data,
                              "-l", os.path.join(self.dir, "log"),
                              "-m", "fast", "-w", "-t", "60", "restart"])

    def _cleanup(self):
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- clients ---------------------------------------------------------
    @property
    def conninfo(self):
        return ("host=127.0.0.1 port=%d user=%s dbname=postgres"
                % (self.port, self.user))

    def psql(self, sql, timeout=120):
        """Runs sql with ON_ERROR_STOP; returns the rows as lists of text
        (unaligned, tab-separated, no headers).  Raises on error."""
        r = subprocess.run(
            [os.path.join(PG_BIN, "psql"), "-X", "-q", "-v",
             "ON_ERROR_STOP=1", "-A", "-t", "-F", "\t", "-d", self.conninfo,
             "-c", sql],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("psql failed (%d): %s"
                               % (r.returncode,
                                  r.stderr.decode(errors="replace")))
        out = r.stdout.decode()
        return [line.split("\t") for line in out.splitlines() if line != ""]

    execute = psql

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.psql("SELECT 1")
                return
            except RuntimeError:
                time.sleep(0.1)
        raise RuntimeError("PostgreSQL not ready")


class PgTest(unittest.TestCase):
    """Test classes with one private cluster for all their tests: cls.pg,
    started before the first test and stopped after the last, also when
    setUpCluster (the class's own preparation of it) fails."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pg = PgCluster().start()
        try:
            cls.setUpCluster()
        except BaseException:
            cls.pg.stop()
            raise

    @classmethod
    def setUpCluster(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()
        super().tearDownClass()
