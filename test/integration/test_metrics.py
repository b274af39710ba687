"""--metrics-file (issue #12): every run, whatever its outcome, leaves a
node_exporter textfile whose values are the run's own (its summary), an
incomplete hour's start, a busy lock, and the last success kept across
runs.  A real PostgreSQL, real forkbulk processes, the project's test
server.

The file is parsed with prometheus_client's text parser, from Debian's
python3-prometheus-client; ctest may run another interpreter than
Debian's python3, so its dist-packages is looked in too.  Without the
package the test that the file parses is skipped (saying so), and the
values are read with the small parser below."""
import fcntl
import os
import re
import stat
import sys
import time
import unittest

from harness import Server, write_flows
from readings import (JOB, ROWS, ReadingsJobTest, hour_label, hour_start)

DEBIAN_PY = "/usr/lib/python3/dist-packages"


def prometheus_parser():
    """prometheus_client's text_string_to_metric_families, or None."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
        return text_string_to_metric_families
    except ImportError:
        pass
    if os.path.isdir(os.path.join(DEBIAN_PY, "prometheus_client")) and \
            DEBIAN_PY not in sys.path:
        sys.path.append(DEBIAN_PY)
        return prometheus_parser()
    return None


SAMPLE = re.compile(r'^([a-z_]+)\{job="((?:[^"\\]|\\.)*)"\} (\S+)$')


def samples(text):
    """{metric name: (job label, value)} of a metrics file."""
    parse = prometheus_parser()
    out = {}
    if parse is not None:
        for family in parse(text):
            for s in family.samples:
                out[s.name] = (s.labels.get("job"), s.value)
        return out
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m:
            out[m.group(1)] = (m.group(2), float(m.group(3)))
    return out


NAMES = ("forkbulk_last_run_timestamp_seconds", "forkbulk_last_run_exit_code",
         "forkbulk_last_run_duration_seconds",
         "forkbulk_last_success_timestamp_seconds",
         "forkbulk_documents_loaded", "forkbulk_documents_rejected",
         "forkbulk_hours_loaded", "forkbulk_hours_failed",
         "forkbulk_oldest_incomplete_hour_timestamp_seconds",
         "forkbulk_lock_busy")


class MetricsTest(ReadingsJobTest):

    def run_job(self, es, *extra):
        """The job with --metrics-file; (exit code, stderr, summary,
        {metric: value}, the time before and after the run)."""
        before = time.time()
        rc, _, err, s = self.forkbulk(es.url, "--metrics-file", self.prom,
                                      *extra)
        after = time.time()
        return rc, err, s, self.values(), before, after

    @property
    def prom(self):
        return self.path("forkbulk.prom")

    def values(self, job=JOB):
        with open(self.prom) as f:
            found = samples(f.read())
        self.assertEqual(sorted(found), sorted(NAMES))
        for name, (label, _) in found.items():
            self.assertEqual(label, job, name)
        return {name: v for name, (_, v) in found.items()}

    def last_done_run_end(self):
        """Epoch seconds of the end of the job's newest done run."""
        return float(self.pg.psql(
            "SELECT extract(epoch FROM max(run_end)) FROM forkbulk_ledger "
            "WHERE job = '%s' AND status = 'done'" % JOB)[0][0])

    def assertSummary(self, m, rc, s, before, after):
        """m says what the summary s of a run that ended rc says."""
        hours = [h["outcome"] for h in s["hours"]]
        self.assertEqual(m["forkbulk_last_run_exit_code"], rc)
        self.assertEqual(s["exit_code"], rc)
        self.assertEqual(m["forkbulk_documents_loaded"], s["loaded"])
        self.assertEqual(m["forkbulk_documents_rejected"], s["rejected"])
        self.assertEqual(m["forkbulk_hours_loaded"], hours.count("done"))
        self.assertEqual(m["forkbulk_hours_failed"],
                         hours.count("failed") + hours.count("interrupted"))
        # The whole run: the summary's load, plus planning and the ledger.
        self.assertGreaterEqual(m["forkbulk_last_run_duration_seconds"],
                                s["seconds"])
        self.assertLessEqual(m["forkbulk_last_run_duration_seconds"],
                             after - before)
        self.assertGreaterEqual(m["forkbulk_last_run_timestamp_seconds"],
                                before)
        self.assertLessEqual(m["forkbulk_last_run_timestamp_seconds"], after)
        self.assertEqual(m["forkbulk_lock_busy"], 0)

    def test_file_parses_as_prometheus_text(self):
        """HELP and TYPE gauge for every metric, one sample each, and the
        parser of the Prometheus project reads it; mode 0644."""
        self.fill(0)
        with Server() as es:
            rc, err, _, _, _, _ = self.run_job(es, "--hour", "last")
            self.assertEqual(rc, 0, err)
        with open(self.prom) as f:
            text = f.read()
        for name in NAMES:
            self.assertIn("# HELP %s " % name, text)
            self.assertIn("# TYPE %s gauge\n" % name, text)
        self.assertEqual(stat.S_IMODE(os.stat(self.prom).st_mode), 0o644)
        parse = prometheus_parser()
        if parse is None:
            self.skipTest("python3-prometheus-client is not installed: the "
                          "file was not checked with Prometheus's parser")
        families = {f.name: f for f in parse(text)}
        self.assertEqual(sorted(families), sorted(NAMES))
        for f in families.values():
            self.assertEqual(f.type, "gauge", f.name)
            self.assertEqual(len(f.samples), 1, f.name)

    def test_values_are_the_summary(self):
        """Three hours, one with a reject: the counts, hours, exit code
        and times of the file are those of --summary-json, the failed
        hour is the oldest incomplete one, and the last success is the
        done hours' (the ledger's newest done run)."""
        for k in (2, 1, 0):
            self.fill(k, bad=(7,) if k == 1 else ())
        with Server() as es:
            rc, err, s, m, before, after = self.run_job(
                es, "--from", hour_label(2), "--to",
                time.strftime("%Y-%m-%dT%H",
                              time.gmtime(hour_start(0) + 3600)))
        self.assertEqual(rc, 65, err)
        self.assertSummary(m, rc, s, before, after)
        self.assertEqual(m["forkbulk_documents_rejected"], 1)
        self.assertGreaterEqual(m["forkbulk_documents_loaded"], 2 * ROWS)
        self.assertEqual(m["forkbulk_hours_loaded"], 2)
        self.assertEqual(m["forkbulk_hours_failed"], 1)
        self.assertEqual(
            m["forkbulk_oldest_incomplete_hour_timestamp_seconds"],
            hour_start(1))
        # This run ended 65: the last success is the ledger's newest done
        # run's end (an hour of this run), not the run's own end.
        self.assertAlmostEqual(m["forkbulk_last_success_timestamp_seconds"],
                               self.last_done_run_end(), delta=0.0011)
        self.assertGreaterEqual(m["forkbulk_last_success_timestamp_seconds"],
                                before - 1)

    def test_incomplete_hour_clears_when_loaded(self):
        """An hour that failed stays the oldest incomplete one until a
        catch-up loads it; then there is none."""
        self.fill(1, bad=(3,))
        self.fill(0)
        with Server() as es:
            rc, err, s, m, _, _ = self.run_job(es, "--hour", hour_label(1))
            self.assertEqual(rc, 65, err)
            self.assertEqual(
                m["forkbulk_oldest_incomplete_hour_timestamp_seconds"],
                hour_start(1))
            self.assertEqual(m["forkbulk_last_success_timestamp_seconds"], 0)
            self.pg.psql("UPDATE readings SET v = 0 WHERE v = 'NaN'")
            rc, err, s, m, before, after = self.run_job(
                es, "--catch-up", "--lookback", "2h")
            self.assertEqual(rc, 0, err)
        self.assertSummary(m, rc, s, before, after)
        self.assertEqual(m["forkbulk_hours_loaded"], 2)
        self.assertEqual(
            m["forkbulk_oldest_incomplete_hour_timestamp_seconds"], 0)
        self.assertGreaterEqual(m["forkbulk_last_success_timestamp_seconds"],
                                before)

    def test_busy_lock_keeps_the_last_success(self):
        """A run that finds the job's lock held ends 75: lock_busy 1, its
        exit code, nothing loaded, and the previous run's last success
        and oldest incomplete hour kept."""
        self.fill(1, bad=(1,))
        self.fill(0)
        with Server() as es:
            rc, err, _, first, _, _ = self.run_job(es, "--hour", hour_label(0))
            self.assertEqual(rc, 0, err)
            rc, err, _, second, _, _ = self.run_job(es, "--hour",
                                                    hour_label(1))
            self.assertEqual(rc, 65, err)
            fd = os.open(self.path("%s.lock" % JOB), os.O_RDWR | os.O_CREAT,
                         0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                rc, err, _, m, before, after = self.run_job(es, "--catch-up")
            finally:
                os.close(fd)
        self.assertEqual(rc, 75, err)
        self.assertEqual(m["forkbulk_lock_busy"], 1)
        self.assertEqual(m["forkbulk_last_run_exit_code"], 75)
        self.assertEqual(m["forkbulk_documents_loaded"], 0)
        self.assertEqual(m["forkbulk_hours_loaded"], 0)
        self.assertGreaterEqual(m["forkbulk_last_run_timestamp_seconds"],
                                before)
        self.assertGreater(first["forkbulk_last_success_timestamp_seconds"], 0)
        self.assertEqual(m["forkbulk_last_success_timestamp_seconds"],
                         first["forkbulk_last_success_timestamp_seconds"])
        self.assertEqual(
            m["forkbulk_oldest_incomplete_hour_timestamp_seconds"],
            hour_start(1))
        self.assertEqual(second["forkbulk_last_success_timestamp_seconds"],
                         first["forkbulk_last_success_timestamp_seconds"])

    def test_postgresql_down_writes_the_metrics(self):
        """PostgreSQL cannot be reached: 69, and the file says so."""
        with Server() as es:
            before = time.time()
            rc, _, err, _ = self.forkbulk(
                es.url, "--metrics-file", self.prom, "--hour", "last",
                "--pg", "host=127.0.0.1 port=1 user=postgres dbname=x",
                "--table", "readings", "--time-column", "ts", "--es", es.url,
                "--job", JOB, "--index", "read-%Y.%m.%d.%H", "--state-dir",
                self.state, job=False)
        self.assertEqual(rc, 69, err)
        m = self.values()
        self.assertEqual(m["forkbulk_last_run_exit_code"], 69)
        self.assertEqual(m["forkbulk_lock_busy"], 0)
        self.assertGreaterEqual(m["forkbulk_last_run_timestamp_seconds"],
                                before)

    def test_configuration_error_writes_the_metrics(self):
        """A table that does not exist, found once the run has started:
        78, and the file says so."""
        with Server() as es:
            rc, err, _, m, before, _ = self.run_job(es, "--hour", "last",
                                                    "--table", "nosuch")
        self.assertEqual(rc, 78, err)
        self.assertEqual(m["forkbulk_last_run_exit_code"], 78)
        self.assertEqual(m["forkbulk_documents_loaded"], 0)
        self.assertGreaterEqual(m["forkbulk_last_run_timestamp_seconds"],
                                before)

    def test_file_load_is_labelled_with_its_input(self):
        """A file load: the label is the input as given, the documents
        are the summary's, and it has no hours."""
        flows = write_flows(self.path("flows.ndjson"), 500)
        with Server() as es:
            summary = self.path("file-summary.json")
            rc, _, err, _ = self.forkbulk(
                es.url, "--input", flows, "--index", "flows", "--es", es.url,
                "--metrics-file", self.prom, "--summary-json", summary,
                job=False)
        self.assertEqual(rc, 0, err)
        m = self.values(job=flows)
        self.assertEqual(m["forkbulk_documents_loaded"], 500)
        self.assertEqual(m["forkbulk_hours_loaded"], 0)
        self.assertEqual(
            m["forkbulk_oldest_incomplete_hour_timestamp_seconds"], 0)
        self.assertEqual(m["forkbulk_last_success_timestamp_seconds"],
                         m["forkbulk_last_run_timestamp_seconds"])

    def test_symlinked_metrics_file_is_refused(self):
        """A symbolic link where the file goes: 73, the link and its
        target left as they are."""
        self.fill(0)
        target = self.path("evidence")
        with open(target, "w") as f:
            f.write("keep me\n")
        os.symlink(target, self.prom)
        with Server() as es:
            rc, _, err, _ = self.forkbulk(es.url, "--metrics-file", self.prom,
                                          "--hour", "last")
        self.assertEqual(rc, 73, err)
        self.assertIn("metrics file %s is a symbolic link" % self.prom, err)
        self.assertTrue(os.path.islink(self.prom))
        with open(target) as f:
            self.assertEqual(f.read(), "keep me\n")


if __name__ == "__main__":
    unittest.main()
