"""The man pages and the bash completion that the build writes into
<build>/doc/ (the docs target: forkbulk --print-man 1 and 5, forkbulk
--print-completion bash).

man renders both pages without a warning, each names every flag and key
the program has, the files are what the built forkbulk prints, and bash,
with the script sourced, completes flags, their values and file names.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import BUILD_DIR, FORKBULK

DOCS = {
    "forkbulk.1": ["--print-man", "1"],
    "forkbulk.conf.5": ["--print-man", "5"],
    "forkbulk.bash-completion": ["--print-completion", "bash"],
}


def forkbulk_stdout(*args):
    return subprocess.run([FORKBULK] + list(args), stdout=subprocess.PIPE,
                          check=True).stdout


def help_flags():
    """Every long flag of forkbulk --help."""
    out = forkbulk_stdout("--help").decode()
    return set(re.findall(r"^ {2}(?:-\w, )? *--([a-z-]+)", out, re.M))


def doc_path(test, name):
    if not BUILD_DIR:
        test.skipTest("FB_BUILD_DIR is not set (run the test under ctest)")
    path = os.path.join(BUILD_DIR, "doc", name)
    test.assertTrue(os.path.isfile(path),
                    "%s is missing: the docs target writes it" % path)
    return path


class GeneratedFilesTest(unittest.TestCase):

    def test_files_are_what_forkbulk_prints(self):
        """build/doc/ is current: the same bytes as the built program's."""
        for name, args in DOCS.items():
            with open(doc_path(self, name), "rb") as f:
                self.assertEqual(f.read(), forkbulk_stdout(*args), name)


class ManPageTest(unittest.TestCase):

    def render(self, name):
        """The page as man shows it; fails on any warning of man or groff."""
        path = doc_path(self, name)
        if shutil.which("man") is None:
            self.skipTest("man is not installed (Debian: man-db, groff-base)")
        env = dict(os.environ, MANROFFSEQ="", MANWIDTH="80", LC_ALL="C.UTF-8")
        env.pop("MANPAGER", None)
        env.pop("PAGER", None)
        man = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", path],
                             env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.assertEqual(man.stderr.decode(), "", name)
        self.assertEqual(man.returncode, 0, name)
        # groff's every warning, not only man's default set.
        if shutil.which("groff") is not None:
            r = subprocess.run(["groff", "-ww", "-man", "-z", path],
                               stderr=subprocess.PIPE)
            self.assertEqual(r.stderr.decode(), "", name)
            self.assertEqual(r.returncode, 0, name)
        return man.stdout.decode()

    def test_forkbulk_1(self):
        text = self.render("forkbulk.1")
        self.assertTrue(text.startswith("FORKBULK(1)"), text[:200])
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS",
                        "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES",
                        "SEE ALSO"):
            self.assertRegex(text, r"(?m)^%s$" % section)
        # Flags as they are typed: a plain "-", never broken at one.
        for flag in help_flags():
            self.assertRegex(text, r"(?<![\w-])--%s(?![\w-])" % flag, flag)
        self.assertIn("--batch-bytes SIZE", text)
        self.assertRegex(text, r"(?m)^ +78 +bad configuration")
        self.assertIn("FORKBULK_ES_PASSWORD", text)
        self.assertIn("forkbulk.conf(5)", text)

    def test_forkbulk_conf_5(self):
        text = self.render("forkbulk.conf.5")
        self.assertTrue(text.startswith("FORKBULK.CONF(5)"), text[:200])
        # Every key of --print-config, under its section.
        config = forkbulk_stdout("--input", "x", "--index", "i",
                                 "--print-config").decode()
        section = None
        keys = 0
        for line in config.splitlines():
            m = re.match(r"^\[(\w+)\]$", line)
            if m:
                section = m.group(1)
                part = text.split("\n   [%s]\n" % section, 1)[1]
                part = re.split(r"\n   \[\w+\]\n|\n[A-Z]", part, 1)[0]
                continue
            m = re.match(r"^(?:# )?(\w+) =", line)
            if m and section:
                self.assertRegex(part, r"(?m)^ {7}%s = " % m.group(1),
                                 "[%s] %s" % (section, m.group(1)))
                keys += 1
        self.assertGreater(keys, 50)
        self.assertIn("chmod 600", text)

    def test_whatis_entries(self):
        """mandb reads the NAME lines (lexgrog is its parser)."""
        if shutil.which("lexgrog") is None:
            self.skipTest("lexgrog is not installed (Debian: man-db)")
        for name, whatis in (("forkbulk.1", '"forkbulk - load '),
                             ("forkbulk.conf.5", '"forkbulk.conf - ')):
            out = subprocess.run(["lexgrog", doc_path(self, name)],
                                 stdout=subprocess.PIPE, check=True).stdout
            self.assertIn(whatis, out.decode())


class BashCompletionTest(unittest.TestCase):

    # Sources the script, finds the function that complete -p names, and
    # calls it as bash would for the words given (the last one is the word
    # being completed); prints the candidates, one a line.
    DRIVER = r'''
source "$1" || exit 2
shift
spec=$(complete -p forkbulk) || exit 3
fn=${spec#*-F }
fn=${fn%% *}
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$fn" forkbulk "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''

    def setUp(self):
        self.script = doc_path(self, "forkbulk.bash-completion")
        self.bash = shutil.which("bash")
        if self.bash is None:
            self.skipTest("bash is not installed")

    def complete(self, *words, cwd=None):
        r = subprocess.run(
            [self.bash, "--norc", "--noprofile", "-c", self.DRIVER, "bash",
             self.script, "forkbulk"] + list(words),
            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(r.stderr.decode(), "")
        self.assertEqual(r.returncode, 0)
        return sorted(w for w in r.stdout.decode().split("\n") if w)

    def test_syntax_and_binding(self):
        r = subprocess.run([self.bash, "-n", self.script],
                           stderr=subprocess.PIPE)
        self.assertEqual((r.returncode, r.stderr), (0, b""))
        r = subprocess.run(
            [self.bash, "--norc", "--noprofile", "-c",
             'source "$1" && complete -p forkbulk', "bash", self.script],
            stdout=subprocess.PIPE, check=True)
        self.assertEqual(r.stdout.decode(), "complete -F _forkbulk forkbulk\n")

    def test_flags(self):
        self.assertEqual(self.complete("--form"), ["--format"])
        self.assertEqual(self.complete(""),
                         sorted("--" + f for f in help_flags()))

    def test_values(self):
        self.assertEqual(self.complete("--format", ""), ["csv", "ndjson"])
        self.assertEqual(self.complete("--format", "c"), ["csv"])
        # --format=c: bash makes the = a word of its own.
        self.assertEqual(self.complete("--format", "=", ""),
                         ["csv", "ndjson"])
        self.assertEqual(self.complete("--format", "="), ["csv", "ndjson"])
        self.assertEqual(self.complete("--op", ""), ["create", "index"])
        self.assertEqual(self.complete("--es-flavor", ""),
                         ["es7", "es8", "opensearch"])
        self.assertEqual(self.complete("--log", ""), ["stderr", "syslog"])
        self.assertEqual(self.complete("--print-man", ""), ["1", "5"])
        # A value nobody can guess: nothing, not the flags.
        self.assertEqual(self.complete("--workers", ""), [])

    def test_file_names(self):
        with tempfile.TemporaryDirectory(prefix="fb-complete-") as d:
            for name in ("flows.ndjson", "flows.csv", "other.conf"):
                open(os.path.join(d, name), "w").close()
            self.assertEqual(self.complete("--input", "fl", cwd=d),
                             ["flows.csv", "flows.ndjson"])
            self.assertEqual(self.complete("-c", "o", cwd=d), ["other.conf"])
            self.assertEqual(self.complete("--reject-file", "x", cwd=d), [])


if __name__ == "__main__":
    unittest.main()
