"""cmake --install: which files go where, and that the cron entry and the
systemd service run the installed wrapper with the installed program and
configuration.  Installs the build tree ctest runs in (FB_BUILD_DIR), and
only ever into temporary folders: with --prefix, and with DESTDIR and the
prefix /usr, where the configuration goes to /etc."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import BUILD_DIR, CMAKE, SOURCE_DIR


def source(*path):
    with open(os.path.join(SOURCE_DIR, *path), "rb") as f:
        return f.read()


class InstallTest(unittest.TestCase):

    def setUp(self):
        self.assertIsNotNone(BUILD_DIR, "FB_BUILD_DIR is not set")
        self.dir = tempfile.mkdtemp(prefix="fb-install-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def install(self, prefix, destdir=""):
        """cmake --install into prefix (under destdir); returns the set of
        files installed, as paths without destdir."""
        env = dict(os.environ, DESTDIR=destdir)
        r = subprocess.run([CMAKE, "--install", BUILD_DIR, "--prefix", prefix],
                           env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        root = destdir or prefix
        found = set()
        for top, _, files in os.walk(root):
            for name in files:
                path = os.path.join(top, name)
                found.add(path[len(destdir):] if destdir else path)
        with open(os.path.join(BUILD_DIR, "install_manifest.txt")) as f:
            self.assertEqual(set(f.read().split("\n")) - {""}, found)
        return found

    def check(self, destdir, prefix, etc):
        """What an install into prefix (under destdir) must hold, with etc
        the configuration's folder."""
        program = prefix + "/bin/forkbulk"
        wrapper = prefix + "/libexec/forkbulk/forkbulk-cron"
        config = etc + "/forkbulk/forkbulk.conf"
        units = prefix + "/lib/systemd/system/"
        cron = etc + "/cron.d/forkbulk"
        docs = {prefix + "/share/man/man1/forkbulk.1",
                prefix + "/share/man/man5/forkbulk.conf.5",
                prefix + "/share/bash-completion/completions/forkbulk"}
        if not os.path.exists(os.path.join(BUILD_DIR, "doc", "forkbulk.1")):
            docs = set()  # a tree without the target docs
        self.assertEqual(self.install(prefix, destdir),
                         {program, wrapper, config, cron,
                          units + "forkbulk.service", units + "forkbulk.timer"}
                         | docs)

        def read(path):
            with open(destdir + path, "rb") as f:
                return f.read()

        for path in (program, wrapper):
            self.assertTrue(os.access(destdir + path, os.X_OK), path)
        r = subprocess.run([destdir + program, "--version"],
                           stdout=subprocess.PIPE, timeout=30)
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith(b"forkbulk "), r.stdout)
        self.assertEqual(read(wrapper), source("scripts", "forkbulk-cron"))
        self.assertEqual(read(config), source("etc", "forkbulk.conf"))
        self.assertEqual(read(units + "forkbulk.timer"),
                         source("etc", "systemd", "forkbulk.timer"))

        # The templates with the installed paths, and nothing else changed.
        def filled(*template):
            text = source(*template).decode()
            for var, value in (("BINDIR", prefix + "/bin"),
                               ("LIBEXECDIR", prefix + "/libexec"),
                               ("SYSCONFDIR", etc)):
                text = text.replace("@CMAKE_INSTALL_FULL_%s@" % var, value)
            self.assertNotIn("@", text)
            return text

        service = read(units + "forkbulk.service").decode()
        self.assertEqual(service, filled("etc", "systemd",
                                         "forkbulk.service.in"))
        self.assertIn("\nExecStart=%s %s\n" % (wrapper, config), service)
        self.assertIn("\nEnvironment=FORKBULK_BIN=%s\n" % program, service)
        entry = read(cron).decode()
        self.assertEqual(entry, filled("etc", "cron.d", "forkbulk.in"))
        self.assertIn("\nFORKBULK_BIN=%s\n" % program, entry)
        self.assertTrue(entry.endswith(
            "\n5 * * * *  forkbulk  [ -x %s ] && if [ ! -d /run/systemd/system"
            " ]; then %s %s; fi\n" % (wrapper, wrapper, config)), entry)

    def test_prefix(self):
        prefix = os.path.join(self.dir, "opt-forkbulk")
        self.check("", prefix, prefix + "/etc")

    def test_destdir_and_prefix_usr_configure_etc(self):
        self.check(os.path.join(self.dir, "root"), "/usr", "/etc")


if __name__ == "__main__":
    unittest.main()
