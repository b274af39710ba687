"""What clusters, networks and hosts do to a loader, provoked with the
test server's fault injection; every test ends in exact counts against
the server's accounting and an exact exit code."""
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import time
import unittest

from harness import FORKBULK, FlowFileTest, Server, children_of, run_forkbulk

N = 60000


class FaultTest(FlowFileTest):
    N = N
    SEED = 3

    def load(self, es, index, *extra, timeout=300):
        return super().load(es, index, "--id-field", "id", *extra,
                            timeout=timeout)

    def test_item_429_503_and_dropped_connections(self):
        with Server("--item-429-rate", "0.1", "--item-503-rate", "0.05",
                    "--drop-rate", "0.02", "--seed", "7") as es:
            rc, err, s = self.load(es, "mixed", "--workers", "4",
                                   "--batch-docs", "500", "--retries", "12")
            self.assertEqual(rc, 0, err)
            self.assertIndexHolds(es, "mixed", self.expect)
            st = es.stats()
            self.assertGreater(st["faults"]["item_429"], 0)
            self.assertGreater(st["faults"]["item_503"], 0)
            self.assertGreater(st["faults"]["drop"], 0)
            self.assertEqual(s["loaded"], N)
            self.assertEqual(s["rejected"], 0)
            self.assertGreater(s["retried"], 0)

    def test_server_killed_and_restarted_mid_run(self):
        """The cluster goes away mid-run and comes back on the same port:
        requests fail with connection errors, are retried with backoff,
        and the run completes with every record acknowledged."""
        with Server("--delay-ms", "20") as first:
            port = first.port
            proc = subprocess.Popen(
                [FORKBULK, "--input", self.flows, "--index", "again",
                 "--es", first.url, "--id-field", "id", "--workers", "2",
                 "--batch-docs", "500", "--retries", "12", "--summary-json",
                 os.path.join(self.dir, "again.json")],
                stderr=subprocess.PIPE)
            deadline = time.monotonic() + 30
            while (time.monotonic() < deadline
                   and first.stats()["bulk_requests"] < 5):
                time.sleep(0.02)
            first.proc.kill()
            first.proc.wait()
        time.sleep(1)
        with Server(port=port) as second:
            _, err = proc.communicate(timeout=180)
            err = err.decode()
            self.assertEqual(proc.returncode, 0, err)
            with open(os.path.join(self.dir, "again.json")) as f:
                s = json.load(f)
            self.assertEqual((s["loaded"], s["rejected"]), (N, 0))
            self.assertGreater(s["retried"], 0)
            self.assertIn("no response", err)
            docs = second.index_stats("again")["docs"]
            self.assertGreater(docs, 0)
            self.assertLess(docs, N)

    def test_refused_credentials_stop_the_run(self):
        """403 on _bulk (no bulk privilege): retrying or re-dispatching
        cannot fix it, so the run stops at once with 78 and says why."""
        with Server() as es:
            status, _ = es.request("PUT", "/_test/faults",
                                   {"request_403_rate": 1})
            self.assertEqual(status, 200)
            rc, err, s = self.load(es, "denied", "--workers", "2",
                                   "--range-bytes", "256KiB")
            self.assertEqual(rc, 78, err)
            self.assertIn("HTTP 403", err)
            self.assertIn("security_exception", err)
            self.assertEqual(s["loaded"], 0)
            # One request per worker, then nothing more was dispatched.
            self.assertLessEqual(es.stats()["bulk_requests"], 2)
            self.assertGreater(s["ranges"], 10)

    @unittest.skipIf(os.environ.get("FB_SANITIZE") == "ON",
                     "ASan reserves more address space than the limit")
    def test_worker_that_cannot_start_stops_the_run(self):
        """A worker that exits with a fatal status (here: its batch buffer
        cannot be allocated under the address-space limit) is not
        respawned: a replacement would fail the same way."""
        def limit():
            resource.setrlimit(resource.RLIMIT_AS, (800 << 20, 800 << 20))

        with Server() as es:
            proc = subprocess.run(
                [FORKBULK, "--input", self.flows, "--index", "nomem",
                 "--es", es.url, "--workers", "3", "--batch-bytes", "1GiB"],
                preexec_fn=limit, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            err = proc.stderr.decode()
            self.assertEqual(proc.returncode, 71, err)
            # One message per worker forked at the start, no replacement.
            self.assertEqual(err.count("cannot allocate the batch buffers "
                                       "(--batch-bytes 1073741824"), 3, err)
            self.assertIn("stopping: a worker exited with a fatal status", err)
            self.assertEqual(es.stats()["bulk_requests"], 0)

    def test_whole_request_429_and_503(self):
        with Server("--request-429-rate", "0.3", "--request-503-rate", "0.1",
                    "--seed", "3") as es:
            rc, err, s = self.load(es, "whole", "--workers", "2",
                                   "--batch-docs", "1000", "--retries", "15")
            self.assertEqual(rc, 0, err)
            self.assertIndexHolds(es, "whole", self.expect)
            st = es.stats()
            self.assertGreater(st["faults"]["request_429"], 0)
            self.assertGreater(st["faults"]["request_503"], 0)

    def test_compressed_batch_is_compressed_once(self):
        """--compress with whole requests refused (429, sent again as they
        were) and items refused (429, only those sent again): every
        record once; each body is gzipped once however often it is sent,
        so what was compressed is exactly what the cluster answered; the
        wire carried exactly what the summary says, and less."""
        with Server("--request-429-rate", "0.3", "--item-429-rate", "0.1",
                    "--seed", "3") as es:
            rc, err, s = self.load(es, "gz", "--compress", "--workers", "2",
                                   "--batch-docs", "1000", "--retries", "15",
                                   "--no-load-settings", "--no-refresh")
            self.assertEqual(rc, 0, err)
            self.assertIndexHolds(es, "gz", self.expect)
            st = es.stats()
        self.assertGreater(st["faults"]["request_429"], 0)
        self.assertGreater(st["faults"]["item_429"], 0)
        self.assertGreater(s["requests"], st["faults"]["request_429"])
        self.assertEqual(s["gzip_in"], s["bytes_sent"])
        # Only _bulk requests had a body (no settings, no refresh).
        self.assertEqual(s["bytes_wire"], st["bytes_received"])
        self.assertLess(s["bytes_wire"] * 2, s["bytes_sent"])

    def test_small_request_limit_splits_compressed_batches(self):
        """The request size limit counts bytes before compression: gzipped
        8 MiB batches are still over a 2 MiB limit, are halved, and every
        record arrives once; only the halves were compressed again."""
        with Server("--max-content-length", "2mb") as es:
            rc, err, s = self.load(es, "smallgz", "--compress", "--workers",
                                   "2", "--batch-docs", "100000",
                                   "--range-bytes", "64MiB")
            self.assertEqual(rc, 0, err)
            self.assertIndexHolds(es, "smallgz", self.expect)
            self.assertGreater(es.stats()["responses"].get("413", 0), 0)
            self.assertIn("batch limit lowered", err)
        self.assertGreater(s["gzip_in"], s["bytes_sent"])
        self.assertLess(s["gzip_in"], 3 * s["bytes_sent"])

    def test_small_request_limit_splits_batches(self):
        """A 2 MiB http.max_content_length with 8 MiB batches: 413, halves,
        and every record once."""
        with Server("--max-content-length", "2mb") as es:
            rc, err, s = self.load(es, "small", "--workers", "2",
                                   "--batch-docs", "100000",
                                   "--range-bytes", "64MiB")
            self.assertEqual(rc, 0, err)
            self.assertIndexHolds(es, "small", self.expect)
            self.assertGreater(es.stats()["responses"].get("413", 0), 0)
            self.assertIn("batch limit lowered", err)

    def test_retries_bounded_by_time(self):
        """Every bulk request answered 429: with a huge retry count the
        total time per batch still ends it, with 69."""
        with Server("--request-429-rate", "1") as es:
            t = time.monotonic()
            rc, err, s = self.load(es, "busy", "--workers", "1",
                                   "--retries", "1000", "--retry-time",
                                   "3000", timeout=120)
            self.assertEqual(rc, 69, err)
            self.assertLess(time.monotonic() - t, 40)
            self.assertIn("giving up on a batch", err)
            self.assertIn("HTTP 429", err)
            self.assertEqual(s["loaded"], 0)

    def test_retry_after_of_a_day_is_capped_by_retry_time(self):
        """A broken proxy answers every request 429 with Retry-After of a
        day: the batch still ends within --retry-time with 69, and the
        worker waiting on it keeps showing progress, so the stall killer
        (here 1 s) never takes the wait for a hang."""
        with Server("--request-429-rate", "1", "--retry-after",
                    "86400") as es:
            t = time.monotonic()
            rc, err, s = self.load(es, "dayafter", "--workers", "2",
                                   "--retries", "1000", "--retry-time",
                                   "4000", "--stall-timeout", "1000",
                                   timeout=120)
            took = time.monotonic() - t
            self.assertEqual(rc, 69, err)
            self.assertLess(took, 30)
            self.assertIn("giving up on a batch", err)
            self.assertEqual(s["worker_deaths"], 0)
            self.assertNotIn("made no progress", err)
            self.assertEqual(s["loaded"], 0)

    def test_write_only_key_loads_when_get_root_is_refused(self):
        """GET / answered 403 (the credentials lack the cluster's monitor
        privilege): a warning, the cluster taken to be --es-flavor, and
        every record loaded."""
        with Server() as es:
            es.request("PUT", "/_test/faults", {"root_status": 403})
            rc, err, s = self.load(es, "writeonly", "--workers", "2",
                                   "--es-flavor", "opensearch")
            self.assertEqual(rc, 0, err)
            self.assertIn("refused GET / (HTTP 403", err)
            self.assertEqual(s["cluster"],
                             "OpenSearch (GET / refused; --es-flavor)")
            self.assertIndexHolds(es, "writeonly", self.expect)
            # 401 still stops the run: those credentials load nothing.
            es.request("PUT", "/_test/faults", {"root_status": 401})
            rc, err, s = self.load(es, "unauthenticated")
            self.assertEqual(rc, 78, err)
            self.assertIsNone(es.index_stats("unauthenticated"))

    def test_server_that_never_answers_gives_69_in_bounds(self):
        with Server("--delay-ms", "600000") as es:
            t = time.monotonic()
            rc, err, s = self.load(es, "silent", "--workers", "2",
                                   "--request-timeout", "500",
                                   "--retries", "1", timeout=120)
            took = time.monotonic() - t
            self.assertEqual(rc, 69, err)
            self.assertLess(took, 60)

    def test_stalled_worker_is_killed_and_range_given_up(self):
        """The cluster starts answering _bulk never (the connection stays
        open), with a long request timeout: the parent kills the silent
        worker after --stall-timeout, re-dispatches its range, and after
        three stalls gives it up (70)."""
        with Server() as es:
            proc = subprocess.Popen(
                [FORKBULK, "--input", self.flows, "--index", "stall",
                 "--es", es.url, "--workers", "1", "--batch-docs", "200",
                 "--range-bytes", "1GiB", "--request-timeout", "600000",
                 "--stall-timeout", "1500"], stderr=subprocess.PIPE)
            deadline = time.monotonic() + 30
            while (time.monotonic() < deadline
                   and es.stats()["bulk_requests"] < 2):
                time.sleep(0.01)
            # The server delays its own answer to this request too: send it
            # and do not wait for the reply.
            body = b'{"delay_ms":600000}'
            with socket.create_connection(("127.0.0.1", es.port)) as c:
                c.sendall(b"PUT /_test/faults HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n%s"
                          % (len(body), body))
                time.sleep(0.2)
            t = time.monotonic()
            _, err = proc.communicate(timeout=120)
            err = err.decode()
            self.assertEqual(proc.returncode, 70, err)
            self.assertEqual(err.count("made no progress"), 3)
            self.assertIn("has now killed 3 workers and is given up", err)
            self.assertLess(time.monotonic() - t, 60)

    def start(self, es, index, *extra):
        return subprocess.Popen(
            [FORKBULK, "--input", self.flows, "--index", index, "--es",
             es.url, "--id-field", "id", "--workers", "2", "--batch-docs",
             "200"] + list(extra), stderr=subprocess.PIPE)

    def wait_bulk(self, es, n):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and es.stats()["bulk_requests"] < n:
            time.sleep(0.02)

    def test_sighup_reopens_log_file(self):
        log = os.path.join(self.dir, "forkbulk.log")
        with Server("--delay-ms", "20") as es:
            proc = self.start(es, "hup", "--log-file", log, "-v")
            self.wait_bulk(es, 3)
            os.rename(log, log + ".1")
            proc.send_signal(signal.SIGHUP)
            _, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, err.decode())
            self.assertIndexHolds(es, "hup", self.expect)
        with open(log + ".1") as f:
            before = f.read()
        with open(log) as f:
            after = f.read()
        self.assertIn("cluster at", before)
        self.assertIn("SIGHUP: log reopened", after)
        self.assertNotIn("SIGHUP", before)

    def test_second_signal_kills_at_once(self):
        with Server("--delay-ms", "3000") as es:
            proc = self.start(es, "twice", "--grace", "60000")
            self.wait_bulk(es, 1)
            time.sleep(0.2)
            t = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
            # Ends by the signal itself, after its cleanup: a shell
            # reports 143.
            self.assertEqual(proc.returncode, -signal.SIGTERM, err.decode())
            self.assertLess(time.monotonic() - t, 10)
            self.assertIn(b"second signal", err)

    def test_input_changed_during_load(self):
        src = os.path.join(self.dir, "growing.ndjson")
        shutil.copy(self.flows, src)
        with Server("--delay-ms", "20") as es:
            proc = subprocess.Popen(
                [FORKBULK, "--input", src, "--index", "grow", "--es",
                 es.url, "--workers", "2", "--batch-docs", "200"],
                stderr=subprocess.PIPE)
            self.wait_bulk(es, 3)
            with open(src, "a") as f:
                f.write('{"id":-1}\n')
            _, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 74, err.decode())
            self.assertIn(b"changed (size, inode or mtime) while range", err)

    def test_range_that_kills_three_workers(self):
        """One range, killed under three workers in a row: the range is
        given up and named, the run ends with 70."""
        with Server("--delay-ms", "100") as es:
            proc = subprocess.Popen(
                [FORKBULK, "--input", self.flows, "--index", "doomed",
                 "--es", es.url, "--workers", "1", "--batch-docs", "200",
                 "--range-bytes", "1GiB"], stderr=subprocess.PIPE)
            killed = set()
            deadline = time.monotonic() + 60
            # The range goes out once the index is ready (created, load
            # settings set): the first worker to kill is one sending it.
            while (es.stats()["bulk_requests"] == 0
                   and time.monotonic() < deadline):
                time.sleep(0.02)
            while len(killed) < 3 and time.monotonic() < deadline:
                kids = [p for p in children_of(proc.pid) if p not in killed]
                if kids:
                    time.sleep(0.3)  # let it take the range
                    os.kill(kids[0], signal.SIGKILL)
                    killed.add(kids[0])
                time.sleep(0.05)
            _, err = proc.communicate(timeout=120)
            err = err.decode()
            self.assertEqual(len(killed), 3)
            self.assertEqual(proc.returncode, 70, err)
            self.assertIn("has now killed 3 workers and is given up", err)
            self.assertIn("range 0 [0, %d)" % os.path.getsize(self.flows),
                          err)

    def test_document_no_mapping_accepts(self):
        src = os.path.join(self.dir, "one-bad.ndjson")
        with open(src, "w") as f:
            for i in range(100):
                f.write('{"id":%d,"bytes":%s}\n'
                        % (i, '"lots"' if i == 42 else str(i)))
        rejects = os.path.join(self.dir, "one-bad.rejects")
        with Server("--numeric-field", "bytes", "--mode", "es7") as es:
            rc, err = run_forkbulk(["--input", src, "--index", "onebad",
                                    "--es", es.url, "--id-field", "id",
                                    "--max-rejects", "1",
                                    "--reject-file", rejects])
            self.assertEqual(rc, 0, err)  # within the budget
            self.assertEqual(es.index_stats("onebad")["docs"], 99)
        with open(rejects) as f:
            lines = [json.loads(x) for x in f]
        self.assertEqual(len(lines), 1)
        r = lines[0]
        self.assertEqual((r["line"], r["status"]), (43, 400))
        self.assertEqual(r["error"]["type"], "mapper_parsing_exception")
        self.assertTrue(r["error"]["reason"].startswith(
            "failed to parse field [bytes] of type [long] in document with "
            "id '42'"), r["error"]["reason"])
        self.assertEqual(r["record"], '{"id":42,"bytes":"lots"}')


if __name__ == "__main__":
    unittest.main()
