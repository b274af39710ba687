"""The config file: flags win, unknown keys and secrets in readable files
are refused with file:line, --print-config masks secrets.  Real forkbulk
processes; no server is needed for what is checked before any work."""
import os
import shutil
import tempfile
import unittest

from harness import run_forkbulk


class ConfigTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="fb-conf-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text, mode=0o600):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def test_print_config_masks_secrets_and_flags_win(self):
        conf = self.write("a.conf",
                          "[input]\npath = in.ndjson\n"
                          "[elasticsearch]\nindex = idx\nuser = u\n"
                          "password = hunter2-secret\n"
                          "[limits]\nworkers = 3\nbatch_bytes = 4MiB\n")
        rc, err = run_forkbulk(["--config", conf, "--workers", "2",
                                "--print-config"])
        self.assertEqual(rc, 0, err)
        out = self.run_stdout(["--config", conf, "--workers", "2",
                               "--print-config"])
        self.assertIn("workers = 2\n", out)          # the flag won
        self.assertIn("batch_bytes = 4194304\n", out)  # from the file
        self.assertIn("password = ********\n", out)
        self.assertNotIn("hunter2", out + err)

    def run_stdout(self, args):
        import subprocess
        from harness import FORKBULK
        return subprocess.run([FORKBULK] + args, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL,
                              check=True).stdout.decode()

    def test_secret_in_readable_file_refused(self):
        conf = self.write("b.conf", "[elasticsearch]\npassword = x\n",
                          mode=0o644)
        rc, err = run_forkbulk(["--config", conf, "--input", "x",
                                "--index", "y"])
        self.assertEqual(rc, 78)
        self.assertIn("readable by group or others", err)
        self.assertIn(conf, err)

    def test_secret_file_key_allows_readable_config(self):
        secret = self.write("pw", "s3cret\n")
        conf = self.write("c.conf", "[elasticsearch]\npassword_file = %s\n"
                          "[input]\npath = x\n[elasticsearch]\nindex = y\n"
                          % secret, mode=0o644)
        out = self.run_stdout(["--config", conf, "--print-config"])
        self.assertIn("password = ********\n", out)
        self.assertNotIn("s3cret", out)

    def test_unknown_key_and_bad_value_name_file_and_line(self):
        conf = self.write("d.conf", "# comment\n[limits]\n\nworkerz = 3\n")
        rc, err = run_forkbulk(["--config", conf])
        self.assertEqual(rc, 78)
        self.assertIn("%s:4: unknown setting [limits] workerz" % conf, err)
        conf = self.write("e.conf", "[limits]\nworkers = 99\n")
        rc, err = run_forkbulk(["--config", conf])
        self.assertEqual(rc, 78)
        self.assertIn("%s:2: [limits] workers must be an integer from 1 to "
                      "64, not '99'" % conf, err)

    def test_credentials_never_on_the_command_line(self):
        rc, err = run_forkbulk(["--input", "x", "--index", "y", "--es",
                                "http://u:pw@127.0.0.1:9200"])
        self.assertEqual(rc, 64)
        self.assertIn("must not contain credentials", err)
        rc, err = run_forkbulk(["--input", "x", "--index", "y",
                                "--password", "pw"])
        self.assertEqual(rc, 64)

    def test_sample_config_parses(self):
        here = os.path.dirname(os.path.abspath(__file__))
        sample = os.path.join(here, "..", "..", "etc", "forkbulk.conf")
        out = self.run_stdout(["--config", sample, "--print-config"])
        self.assertIn("table = public.flows\n", out)
        self.assertIn("index = flows-%Y.%m.%d.%H\n", out)


if __name__ == "__main__":
    unittest.main()
