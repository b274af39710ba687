"""The Debian package (issue #12).  The .deb that scripts/package.sh built,
build/deb/forkbulk_<version>_<arch>.deb, is lintian-clean and holds
exactly the files it should.  Installed with dpkg -i on this machine, it
makes the user forkbulk, its state directory and a configuration that
only root and that group may read, enables no unit, and its cron entry
loads the hour when run exactly as cron runs it: the command taken from
the installed /etc/cron.d/forkbulk, in cron's environment, as the user
forkbulk, against a private PostgreSQL and es-test-server; but not where
systemd is the init system (its timer's job then).  Reinstalling keeps
the state; dpkg --remove keeps the configuration and the state, dpkg
--purge removes both, and the user stays.

ctest label package, not integration: everything here skips unless
FORKBULK_PACKAGE_TEST=1 says the .deb is fresh (scripts/test.sh sets it
right after scripts/package.sh), and installing needs root besides, so a
developer's ctest never installs a package by accident.  On a machine
where the tests may install it, a forkbulk installed before is purged
first, and so is /var/lib/forkbulk at the end.
"""
import grp
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

from harness import BUILD_DIR, SOURCE_DIR, Server
from test_files_and_lock import FlowsHourTest

ENABLED = os.environ.get("FORKBULK_PACKAGE_TEST") == "1"
NOT_ENABLED = ("FORKBULK_PACKAGE_TEST=1 is not set: the package tests run "
               "after scripts/package.sh (scripts/test.sh)")
ROOT = os.geteuid() == 0
VERSION = os.environ.get("FB_VERSION", "")

CONF = "/etc/forkbulk/forkbulk.conf"
CRON = "/etc/cron.d/forkbulk"
STATE = "/var/lib/forkbulk"
WRAPPER = "/usr/libexec/forkbulk/forkbulk-cron"
UNITS = "/lib/systemd/system/"
# Where the wrapper writes its metrics, when the directory exists: Debian's
# prometheus-node-exporter's textfile collector reads them there.
METRICS_DIR = "/var/lib/prometheus/node-exporter"

# What the package holds besides its directories.  The documentation
# comes from the target docs: a build tree without it builds none.
FILES = {
    CRON: 0o644, CONF: 0o644,
    UNITS + "forkbulk.service": 0o644, UNITS + "forkbulk.timer": 0o644,
    "/usr/bin/forkbulk": 0o755, WRAPPER: 0o755,
    "/usr/lib/sysusers.d/forkbulk.conf": 0o644,
    "/usr/share/doc/forkbulk/README.md.gz": 0o644,
    "/usr/share/doc/forkbulk/changelog.gz": 0o644,
    "/usr/share/doc/forkbulk/copyright": 0o644,
}
DOCS = {
    "/usr/share/man/man1/forkbulk.1.gz": 0o644,
    "/usr/share/man/man5/forkbulk.conf.5.gz": 0o644,
    "/usr/share/bash-completion/completions/forkbulk": 0o644,
}
HAS_DOCS = bool(BUILD_DIR) and os.path.exists(
    os.path.join(BUILD_DIR, "doc", "forkbulk.1"))


def run(args, **kw):
    """args run to completion; (exit code, stdout text, stderr text)."""
    r = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=kw.pop("timeout", 300),
                       **kw)
    return (r.returncode, r.stdout.decode(errors="replace"),
            r.stderr.decode(errors="replace"))


def deb():
    arch = run(["dpkg", "--print-architecture"])[1].strip()
    return os.environ.get("FORKBULK_DEB") or os.path.join(
        SOURCE_DIR, "build", "deb", "forkbulk_%s_%s.deb" % (VERSION, arch))


def source(*path):
    with open(os.path.join(SOURCE_DIR, *path), "rb") as f:
        return f.read()


@unittest.skipUnless(ENABLED, NOT_ENABLED)
class PackageFileTest(unittest.TestCase):
    """The .deb as built: lintian, its files, its control data."""

    def setUp(self):
        self.deb = deb()
        self.assertTrue(os.path.isfile(self.deb), self.deb)

    def test_lintian_no_errors_no_warnings(self):
        """No error; no warning either, but the missing man page of a tree
        without the target docs."""
        rc, out, err = run(["lintian", self.deb])
        self.assertEqual(rc, 0, out + err)
        tags = re.findall(r"^([EW]): forkbulk: (\S+)", out, re.M)
        self.assertEqual([t for t in tags if t[0] == "E"], [], out)
        allowed = set() if HAS_DOCS else {("W", "no-manual-page")}
        self.assertEqual(set(tags) - allowed, set(), out)

    def test_contents_exactly(self):
        """dpkg-deb -c: these files and their directories, nothing else,
        all root's, with these modes."""
        rc, out, err = run(["dpkg-deb", "-c", self.deb])
        self.assertEqual(rc, 0, err)
        want = dict(FILES, **(DOCS if HAS_DOCS else {}))
        dirs = {os.path.dirname(p) for p in want}
        for d in list(dirs):
            while d != "/":
                d = os.path.dirname(d)
                dirs.add(d)
        found, found_dirs = {}, set()
        for line in out.splitlines():
            perms, owner, _, _, _, path = line.split(None, 5)
            self.assertEqual(owner, "root/root", line)
            path = "/" + path[2:].rstrip("/") if path != "./" else "/"
            if perms.startswith("d"):
                self.assertEqual(perms, "drwxr-xr-x", line)
                found_dirs.add(path)
            else:
                self.assertEqual(perms[0], "-", line)
                found[path] = stat.S_IMODE(
                    sum(1 << (8 - i) for i, c in enumerate(perms[1:])
                        if c != "-"))
        self.assertEqual(found, want)
        self.assertEqual(found_dirs, dirs)

    def test_control_and_conffiles(self):
        rc, out, err = run(["dpkg-deb", "--showformat",
                            "${Package} ${Version} ${Architecture}",
                            "--show", self.deb])
        self.assertEqual(rc, 0, err)
        arch = run(["dpkg", "--print-architecture"])[1].strip()
        self.assertEqual(out, "forkbulk %s %s" % (VERSION, arch))
        rc, out, err = run(["dpkg-deb", "--info", self.deb, "conffiles"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(out.split()), [CRON, CONF])

    def test_files_name_the_installed_paths(self):
        """The cron entry and the service run the wrapper in /usr/libexec
        with the program in /usr/bin and the configuration in /etc; the
        wrapper and the configuration are the source's."""
        root = tempfile.mkdtemp(prefix="fb-deb-")
        self.addCleanup(shutil.rmtree, root, True)
        rc, _, err = run(["dpkg-deb", "-x", self.deb, root])
        self.assertEqual(rc, 0, err)

        def text(path):
            with open(root + path) as f:
                return f.read()

        entry = text(CRON)
        self.assertIn("\nFORKBULK_BIN=/usr/bin/forkbulk\n", entry)
        self.assertTrue(entry.endswith(
            "\n5 * * * *  forkbulk  [ -x %s ] && if [ ! -d /run/systemd/system"
            " ]; then %s %s; fi\n" % (WRAPPER, WRAPPER, CONF)), entry)
        service = text(UNITS + "forkbulk.service")
        self.assertIn("\nExecStart=%s %s\n" % (WRAPPER, CONF), service)
        self.assertIn("\nEnvironment=FORKBULK_BIN=/usr/bin/forkbulk\n",
                      service)
        self.assertEqual(text(WRAPPER).encode(),
                         source("scripts", "forkbulk-cron"))
        self.assertEqual(text(CONF).encode(), source("etc", "forkbulk.conf"))


def installed():
    """Whether dpkg has forkbulk installed (or half installed)."""
    rc, out, _ = run(["dpkg-query", "-W", "-f", "${db:Status-Status}",
                      "forkbulk"])
    return rc == 0 and out not in ("", "not-installed", "config-files")


def cron_job(path):
    """(environment, command) of the one job line of the cron.d file at
    path: the environment cron gives the command, its own (SHELL, PATH,
    LOGNAME, HOME from the user's passwd entry) under the file's
    assignments; and the user it runs as."""
    with open(path) as f:
        lines = [line.rstrip("\n") for line in f
                 if line.strip() and not line.lstrip().startswith("#")]
    assignments = [line for line in lines
                   if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", line)]
    jobs = [line for line in lines if line not in assignments]
    assert len(jobs) == 1, jobs
    fields = jobs[0].split(None, 6)
    user, command = fields[5], fields[6]
    pw = pwd.getpwnam(user)
    env = {"SHELL": "/bin/sh", "PATH": "/usr/bin:/bin",
           "LOGNAME": user, "HOME": pw.pw_dir}
    env.update(line.split("=", 1) for line in assignments)
    return env, user, command


def mount_namespaces():
    """Whether this process may unshare its mounts (root, and a container
    that allows it)."""
    return run(["unshare", "--mount", "--", "true"])[0] == 0


@unittest.skipUnless(ENABLED, NOT_ENABLED)
@unittest.skipUnless(ROOT, "installing a package needs root")
class PackageInstallTest(FlowsHourTest):
    """dpkg -i, the job as cron runs it, reinstall, remove, purge."""

    def setUp(self):
        super().setUp()
        self.deb = deb()
        if installed():
            print("test_package: purging the forkbulk installed before")
            self.dpkg("--purge", "forkbulk")
        for path in (CONF, CRON):  # dpkg would ask what to do with them
            self.assertFalse(os.path.exists(path),
                             "%s is there without the package" % path)
        self.addCleanup(self.purge_if_installed)

    def purge_if_installed(self):
        if installed():
            run(["dpkg", "--purge", "forkbulk"])

    def dpkg(self, *args):
        rc, out, err = run(["dpkg"] + list(args),
                           env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        self.assertEqual(rc, 0, out + err)
        return out + err

    def assertOwned(self, path, user, group, mode):
        st = os.stat(path)
        self.assertEqual((pwd.getpwuid(st.st_uid).pw_name,
                          grp.getgrgid(st.st_gid).gr_name,
                          stat.S_IMODE(st.st_mode)), (user, group, mode), path)

    def test_install_cron_job_reinstall_remove_purge(self):
        self.dpkg("-i", self.deb)
        self.check_installed()
        env, user, command = cron_job(CRON)
        self.assertEqual(user, "forkbulk")
        self.assertIn("if [ ! -d /run/systemd/system ]; then ", command)
        metrics = self.metrics_dir()
        with Server() as es:
            shipped = self.configure(es.url)
            self.check_cron_job(es, env, command, metrics)
        self.rewrite(CONF, shipped)
        self.dpkg("-i", self.deb)  # an upgrade, as dpkg sees it
        self.assertOwned(CONF, "root", "forkbulk", 0o640)
        self.assertTrue(os.path.exists(os.path.join(STATE,
                                                    "last-summary.json")))
        self.dpkg("--remove", "forkbulk")
        self.assertFalse(os.path.exists("/usr/bin/forkbulk"))
        self.assertFalse(os.path.exists(WRAPPER))
        self.assertTrue(os.path.exists(CONF))  # a conffile: kept
        self.assertTrue(os.path.exists(os.path.join(STATE,
                                                    "last-summary.json")))
        self.dpkg("--purge", "forkbulk")
        for path in ("/etc/forkbulk", STATE, CRON, "/usr/bin/forkbulk",
                     "/usr/libexec/forkbulk", UNITS + "forkbulk.service",
                     UNITS + "forkbulk.timer",
                     os.path.join(METRICS_DIR, "forkbulk.prom")):
            self.assertFalse(os.path.exists(path), path)
        self.assertNotEqual(run(["dpkg-statoverride", "--list", CONF])[0], 0)
        pwd.getpwnam("forkbulk")  # Debian policy: the user stays

    def check_installed(self):
        """The user and its group, the configuration only they and root
        read, the state directory only the user enters, units that nothing
        enabled."""
        pw = pwd.getpwnam("forkbulk")
        self.assertEqual(grp.getgrgid(pw.pw_gid).gr_name, "forkbulk")
        self.assertEqual(pw.pw_dir, STATE)
        self.assertEqual(pw.pw_shell, "/usr/sbin/nologin")
        self.assertLess(pw.pw_uid, 1000)  # a system user
        self.assertOwned(CONF, "root", "forkbulk", 0o640)
        self.assertEqual(run(["dpkg-statoverride", "--list", CONF])[1],
                         "root forkbulk 640 %s\n" % CONF)
        self.assertOwned(STATE, "forkbulk", "forkbulk", 0o700)
        rc, out, err = run(["/usr/bin/forkbulk", "--version"])
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("forkbulk %s" % VERSION), out)
        for unit in ("forkbulk.service", "forkbulk.timer"):
            self.assertTrue(os.path.isfile(UNITS + unit), unit)
        self.assertFalse(os.path.lexists(
            "/etc/systemd/system/timers.target.wants/forkbulk.timer"))
        for unit, state in (("forkbulk.timer", "disabled"),
                            ("forkbulk.service", "static")):
            rc, out, err = run(["systemctl", "is-enabled", unit])
            self.assertEqual(out.strip(), state, err)

    def metrics_dir(self):
        """The node_exporter directory, made for this test where there is
        none (and removed after it); None where there is one already: the
        test leaves it alone."""
        if os.path.exists(METRICS_DIR):
            return None
        top = METRICS_DIR
        while not os.path.exists(os.path.dirname(top)):
            top = os.path.dirname(top)
        os.makedirs(METRICS_DIR, 0o755)
        self.addCleanup(shutil.rmtree, top, True)
        pw = pwd.getpwnam("forkbulk")
        os.chown(METRICS_DIR, pw.pw_uid, pw.pw_gid)
        return METRICS_DIR

    def configure(self, es_url):
        """The installed configuration, in place (its owner and mode stay),
        with its connection lines pointed at the test's services; returns
        the package's own text, which the test puts back (and so does the
        cleanup of a failed test, while the file is there) for dpkg to see
        the conffile unchanged."""
        with open(CONF) as f:
            shipped = f.read()
        self.addCleanup(lambda: os.path.exists(CONF) and
                        self.rewrite(CONF, shipped))
        text, n = re.subn(r"(?m)^pg = .*$", "pg = " + self.pg.conninfo,
                          shipped)
        self.assertEqual(n, 1)
        text, n = re.subn(r"(?m)^url = .*$", "url = " + es_url, text)
        self.assertEqual(n, 1)
        self.rewrite(CONF, text)
        return shipped

    @staticmethod
    def rewrite(path, text):
        with open(path, "w") as f:
            f.write(text)

    def cron_run(self, env, command, systemd):
        """Runs command as cron would (as forkbulk, with env, from its home,
        through env's SHELL), in a mount namespace of its own whose /run
        says whether systemd is the init system.  Without mount namespaces,
        runs it in this machine's own state, if that is the one asked for;
        else the test is skipped.  Returns (exit code, stderr text)."""
        here = os.path.isdir("/run/systemd/system")
        if mount_namespaces():
            prefix = ["unshare", "--mount", "--", "sh", "-c",
                      'mount -t tmpfs -o mode=0755 fb-run /run && '
                      '{ [ "$1" = no ] || mkdir -p /run/systemd/system; } && '
                      'shift && exec "$@"', "sh",
                      "yes" if systemd else "no"]
        elif here == systemd:
            prefix = []
        else:
            self.skipTest("no mount namespace to %s /run/systemd/system"
                          % ("make" if systemd else "hide"))
        as_user = ["setpriv", "--reuid=forkbulk", "--regid=forkbulk",
                   "--init-groups", "--", env["SHELL"], "-c", command]
        rc, _, err = run(prefix + as_user, env=env, cwd=env["HOME"],
                         timeout=600)
        return rc, err

    def check_cron_job(self, es, env, command, metrics):
        """Under systemd the entry does nothing; else it loads the hour:
        exactly its rows, all into the hour's index."""
        summary = os.path.join(STATE, "last-summary.json")
        rc, err = self.cron_run(env, command, systemd=True)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(es.stats()["indices"], {})
        self.assertFalse(os.path.exists(summary))

        rc, err = self.cron_run(env, command, systemd=False)
        self.assertEqual(rc, 0, err)
        index = self.HOUR.strftime("flows-%Y.%m.%d.%H")
        self.assertEqual(es.index_stats(index)["docs"], self.ROWS)
        self.assertEqual(sum(s["docs"] for s in
                             es.stats()["indices"].values()), self.ROWS)
        with open(summary) as f:
            self.assertEqual(json.load(f)["exit_code"], 0)
        self.assertOwned(summary, "forkbulk", "forkbulk", 0o600)
        self.check_metrics(metrics)

    def check_metrics(self, metrics):
        """The metrics file of the run, once the wrapper passes
        --metrics-file (where its directory exists)."""
        with open(WRAPPER) as f:
            passes = "--metrics-file" in f.read()
        if metrics is None or not passes:
            print("test_package: metrics not checked (%s)"
                  % ("the wrapper passes no --metrics-file" if not passes
                     else METRICS_DIR + " was there before"))
            return
        path = os.path.join(metrics, "forkbulk.prom")
        self.assertOwned(path, "forkbulk", "forkbulk", 0o644)
        values = {}
        with open(path) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    name, value = line.rsplit(None, 1)
                    values[name] = float(value)
        job = '{job="flows-hourly"}'
        for name, value in (("forkbulk_last_run_exit_code", 0),
                            ("forkbulk_documents_loaded", self.ROWS),
                            ("forkbulk_hours_failed", 0),
                            ("forkbulk_lock_busy", 0)):
            self.assertEqual(values.get(name + job), value, name)


if __name__ == "__main__":
    unittest.main()
