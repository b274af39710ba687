"""The config file: flags win, unknown keys and secrets in readable files
are refused with file:line, --print-config masks secrets.  Real forkbulk
processes; no server is needed for what is checked before any work."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest

from harness import FORKBULK, SOURCE_DIR, run_forkbulk


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

    def test_sample_config_is_what_print_config_writes(self):
        """etc/forkbulk.conf is a fixpoint of --print-config, so its
        comments come from the options table and cannot drift from it.  The
        output names no path, version or machine-dependent value (the
        sample sets workers), so this holds anywhere."""
        sample = os.path.join(SOURCE_DIR, "etc", "forkbulk.conf")
        env = {k: v for k, v in os.environ.items()
               if k not in ("PGPASSWORD", "FORKBULK_ES_USER",
                            "FORKBULK_ES_PASSWORD", "FORKBULK_ES_API_KEY")}
        out = subprocess.run([FORKBULK, "--config", sample,
                              "--print-config"], env=env,
                             stdout=subprocess.PIPE, check=True).stdout
        with open(sample, "rb") as f:
            self.assertEqual(out.decode(), f.read().decode(),
                             "regenerate etc/forkbulk.conf with forkbulk "
                             "--config etc/forkbulk.conf --print-config")

    def test_sample_config_parses(self):
        sample = os.path.join(SOURCE_DIR, "etc", "forkbulk.conf")
        out = self.run_stdout(["--config", sample, "--print-config"])
        self.assertIn("table = public.flows\n", out)
        self.assertIn("index = flows-%Y.%m.%d.%H\n", out)


def help_exit_codes():
    """{code: text} from the "Exit codes:" section of forkbulk --help."""
    out = subprocess.run([FORKBULK, "--help"], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    section = out.split("\nExit codes:\n", 1)[1]
    codes = {}
    for line in section.splitlines():
        m = re.match(r"^ *(\d+)  (\S.*)$", line)
        if m is None:
            break
        codes[int(m.group(1))] = m.group(2)
    return codes


def readme_exit_codes():
    """{code: text} from the table under README.md's "## Exit codes"."""
    with open(os.path.join(SOURCE_DIR, "README.md")) as f:
        section = f.read().split("\n## Exit codes\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    return {int(m.group(1)): m.group(2)
            for m in re.finditer(r"^\| (\d+) \| (.*) \|$", section, re.M)}


def readme_option_defaults():
    """{flag: default} from README.md's table of the important options
    (rows whose default is "—" or "off" say nothing to check)."""
    with open(os.path.join(SOURCE_DIR, "README.md")) as f:
        section = f.read().split("`forkbulk --help` lists every option", 1)[1]
    section = section.split("\n### ", 1)[0]
    rows = re.finditer(r"^\| `--([a-z-]+)[^|]*(?:\\\|[^|]*)*\| ([^|]+) \|",
                       section, re.M)
    return {m.group(1): m.group(2) for m in rows
            if m.group(2) not in ("—", "off")}


class ExitCodeTableTest(unittest.TestCase):

    def test_readme_option_defaults_are_the_binary_defaults(self):
        """README's option defaults and the options table never drift."""
        out = subprocess.run([FORKBULK, "--help"], stdout=subprocess.PIPE,
                             check=True).stdout.decode()
        lines = {m.group(1): m.group(2) for m in re.finditer(
            r"^ {2}(?:-\w, )? *--([a-z-]+)\b(.*)$", out, re.M)}
        defaults = readme_option_defaults()
        self.assertIn("batch-bytes", defaults)
        for flag, default in defaults.items():
            self.assertIn(flag, lines, flag)
            self.assertRegex(lines[flag],
                             r"\(default:? %s\)" % re.escape(default), flag)

    def test_readme_table_is_the_binary_table(self):
        """README's exit codes and forkbulk's (status.c) never drift."""
        in_help = help_exit_codes()
        self.assertIn(78, in_help)
        self.assertEqual(readme_exit_codes(), in_help)


class CronWrapperTest(unittest.TestCase):
    """scripts/forkbulk-cron logs forkbulk's own meaning of the exit code,
    taken from the run's summary JSON, at the level the script decides."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="fb-cron-")
        bindir = os.path.join(self.dir, "bin")
        os.mkdir(bindir)
        self.logged = os.path.join(self.dir, "logged")
        # logger(1) stand-in: the test reads what would go to syslog.
        with open(os.path.join(bindir, "logger"), "w") as f:
            f.write('#!/bin/sh\nprintf \'%%s\\n\' "$*" >> %s\n'
                    % self.logged)
        os.chmod(os.path.join(bindir, "logger"), 0o755)
        # The metrics file too goes to the test's folder, never to a
        # node_exporter directory the machine may have.
        self.env = dict(os.environ, FORKBULK_BIN=FORKBULK,
                        FORKBULK_STATE_DIR=os.path.join(self.dir, "state"),
                        FORKBULK_METRICS_FILE=os.path.join(self.dir,
                                                           "forkbulk.prom"),
                        PATH=bindir + os.pathsep + os.environ["PATH"])

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def cron(self, conf_text):
        conf = os.path.join(self.dir, "cron.conf")
        with open(conf, "w") as f:
            f.write(conf_text)
        proc = subprocess.run(["sh", os.path.join(SOURCE_DIR, "scripts",
                                                  "forkbulk-cron"), conf],
                              env=self.env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        with open(self.logged) as f:
            return proc.returncode, f.read()

    def test_meaning_from_the_summary(self):
        data = os.path.join(self.dir, "in.ndjson")
        with open(data, "w") as f:
            f.write('{"a": 1}\n')
        with socket.socket() as s:  # a loopback port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        rc, logged = self.cron(
            "[input]\npath = %s\n[elasticsearch]\nindex = i\n"
            "url = http://127.0.0.1:%d\n[limits]\nworkers = 1\n"
            "retries = 0\n" % (data, port))
        self.assertEqual(rc, 69)
        self.assertIn("-p user.err forkbulk-cron: cluster unreachable or "
                      "failing; the next run catches up (exit 69", logged)
        with open(os.path.join(self.dir, "state",
                               "last-summary.json")) as f:
            self.assertEqual(json.load(f)["exit_code"], 69)

    def test_no_summary_says_the_code(self):
        # A summary left by an earlier run must not be taken for this one.
        os.makedirs(os.path.join(self.dir, "state"))
        with open(os.path.join(self.dir, "state", "last-summary.json.new"),
                  "w") as f:
            f.write('{\n  "exit_meaning": "every record loaded"\n}\n')
        rc, logged = self.cron("[limits]\nworkerz = 1\n")
        self.assertEqual(rc, 78)
        self.assertIn("-p user.err forkbulk-cron: exit 78; see the log "
                      "(exit 78", logged)
        self.assertNotIn("every record loaded", logged)


if __name__ == "__main__":
    unittest.main()
