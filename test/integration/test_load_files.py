"""Loading NDJSON/CSV files end to end: real forkbulk processes against a
real es-test-server over loopback, with exact counts and checksums."""
import gzip
import json
import os
import signal
import subprocess
import time
import unittest

from harness import (FORKBULK, FlowFileTest, Server, children_of, docsum,
                     run_forkbulk, write_flows)


N = 300000


class FileLoadTest(FlowFileTest):
    N = N

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.expect_pos = docsum(cls.flows)

    def test_workers_1_2_4_same_content(self):
        with Server() as es:
            for workers in (1, 2, 4):
                index = "flows-w%d" % workers
                rc, err, s = self.load(es, index, "--workers", str(workers),
                                       "--id-field", "id",
                                       "--range-bytes", "1MiB")
                self.assertEqual(rc, 0, err)
                self.assertEqual(s["read"], N)
                self.assertEqual(s["loaded"], N)
                self.assertEqual(s["rejected"], 0)
                self.assertEqual(s["exit_code"], 0)
                self.assertGreater(s["ranges"], workers)
                self.assertIndexHolds(es, index, self.expect)
                status, body = es.request("GET", "/%s/_count" % index)
                self.assertEqual((status, body["count"]), (200, N))

    def test_same_load_twice_no_duplicates(self):
        """Position-derived ids: a second run overwrites, never adds."""
        with Server() as es:
            for run in (1, 2):
                rc, err, s = self.load(es, "twice", "--workers", "3",
                                       "--range-bytes", "700KiB")
                self.assertEqual(rc, 0, err)
                self.assertEqual(s["loaded"], N)
                st = es.index_stats("twice")
                self.assertEqual(st["docs"], N)
                self.assertEqual(st["source_checksum"], self.expect_pos[2])
                self.assertEqual(st["duplicates"], N * (run - 1))

    def test_compress_and_op_create(self):
        """gzip bodies give the same index; with --op create a second run
        finds every document there (409), counts them as conflicts, not
        rejects, and exits 0."""
        with Server() as es:
            rc, err, s = self.load(es, "gz-body", "--compress", "--workers",
                                   "2", "--id-field", "id", "--op", "create")
            self.assertEqual(rc, 0, err)
            self.assertEqual((s["loaded"], s["conflicts"]), (N, 0))
            self.assertIndexHolds(es, "gz-body", self.expect)
            sent = s["bytes_sent"]
            rc, err, s = self.load(es, "gz-body", "--compress", "--workers",
                                   "2", "--id-field", "id", "--op", "create")
            self.assertEqual(rc, 0, err)
            self.assertEqual((s["loaded"], s["conflicts"], s["rejected"]),
                             (0, N, 0))
            self.assertIndexHolds(es, "gz-body", self.expect)
            self.assertEqual(es.stats()["items"]["409"], N)
            # bytes_sent counts the uncompressed bodies; the wire got less.
            wire = es.stats()["bytes_received"]
            self.assertLess(wire, sent)

    def test_malformed_lines_rejected_exactly(self):
        src = self.path("bad.ndjson")
        good = 0
        bad_lines = {}
        with open(src, "w") as f:
            for i in range(1, 2001):
                if i % 250 == 0:
                    line = '{"id":%d,"broken":' % i
                    bad_lines[i] = line
                elif i % 333 == 0:
                    line = '["not", "an", "object", %d]' % i
                    bad_lines[i] = line
                else:
                    line = '{"id":%d,"v":"ok"}' % i
                    good += 1
                f.write(line + "\n")
        rejects = self.path("bad.rejects")
        with Server() as es:
            rc, err, s = self.load(es, "bad", "--workers", "2",
                                   "--range-bytes", "4KiB",
                                   "--max-rejects", "1%",
                                   "--reject-file", rejects, input=src)
            self.assertEqual(rc, 0, err)
            self.assertEqual(s["read"], 2000)
            self.assertEqual(s["loaded"], good)
            self.assertEqual(s["rejected"], len(bad_lines))
            self.assertEqual(es.index_stats("bad")["docs"], good)
        with open(rejects) as f:
            got = [json.loads(line) for line in f]
        self.assertEqual(len(got), len(bad_lines))
        self.assertEqual(sorted(r["line"] for r in got), sorted(bad_lines))
        for r in got:
            self.assertEqual(r["file"], src)
            self.assertEqual(r["record"], bad_lines[r["line"]])
            self.assertEqual(r["error"]["type"], "invalid_json")
            self.assertNotIn("status", r)
            if r["record"].startswith("["):
                self.assertIn("not a JSON object", r["error"]["reason"])

    def test_max_rejects_stops_early(self):
        """Default --max-rejects 0: the first reject stops dispatching;
        the run ends 65 and says so, with later ranges not loaded."""
        src = self.path("early.ndjson")
        with open(src, "w") as f:
            for i in range(1, 5001):
                f.write('{"id":%d}\n' % i if i != 10 else "not json\n")
        with Server() as es:
            rc, err, s = self.load(es, "early", "--workers", "1",
                                   "--range-bytes", "2KiB", input=src)
            self.assertEqual(rc, 65, err)
            self.assertIn("1 records rejected, more than --max-rejects 0: "
                          "stopping early", err)
            self.assertEqual(s["rejected"], 1)
            self.assertLess(s["loaded"], 4999)
            self.assertGreater(s["ranges"], s["ranges_done"])
            # 0.5% of the records read may be rejected: the run finishes,
            # and rejects within the budget are no failure (exit 0).
            rc, err, s = self.load(es, "late", "--workers", "1",
                                   "--range-bytes", "2KiB",
                                   "--max-rejects", "0.5%", input=src)
            self.assertEqual(rc, 0, err)
            self.assertEqual((s["loaded"], s["rejected"]), (4999, 1))
            self.assertNotIn("stopping early", err)

    def test_mapping_rejects_from_cluster(self):
        """Items the cluster refuses (400) go to the reject file with the
        cluster's reason; the rest load.  10 rejects with a budget of 10:
        the load is complete (exit 0), the rejects are reported."""
        src = self.path("mapping.ndjson")
        with open(src, "w") as f:
            for i in range(1000):
                v = '"n/a"' if i % 100 == 7 else str(i)
                f.write('{"id":%d,"bytes":%s}\n' % (i, v))
        rejects = self.path("mapping.rejects")
        with Server("--numeric-field", "bytes") as es:
            rc, err, s = self.load(es, "mapping", "--id-field", "id",
                                   "--max-rejects", "10",
                                   "--reject-file", rejects, input=src)
            self.assertEqual(rc, 0, err)
            self.assertEqual(s["loaded"], 990)
            self.assertEqual(s["rejected"], 10)
            self.assertEqual(es.index_stats("mapping")["docs"], 990)
        with open(rejects) as f:
            got = [json.loads(line) for line in f]
        self.assertEqual(sorted(r["line"] for r in got),
                         [i + 1 for i in range(1000) if i % 100 == 7])
        for r in got:
            self.assertEqual(r["status"], 400)
            self.assertIn(r["error"]["type"], ("mapper_parsing_exception",
                                               "document_parsing_exception"))
            self.assertIn("failed to parse field [bytes]",
                          r["error"]["reason"])

    def test_server_down_exits_69_naming_url(self):
        with Server() as es:
            url = es.url
        rc, err = run_forkbulk(["--input", self.flows, "--index", "down",
                                "--es", url])
        self.assertEqual(rc, 69)
        self.assertIn(url, err)

    def test_sigkill_of_a_worker_loses_nothing(self):
        with Server("--delay-ms", "40") as es:
            proc = subprocess.Popen(
                [FORKBULK, "--input", self.flows, "--index", "killed",
                 "--es", es.url, "--workers", "4", "--id-field", "id",
                 "--batch-docs", "500", "--range-bytes", "1MiB"],
                stderr=subprocess.PIPE)
            deadline = time.monotonic() + 30
            victim = None
            while victim is None and time.monotonic() < deadline:
                kids = children_of(proc.pid)
                st = es.stats()
                if len(kids) == 4 and st["bulk_requests"] >= 20:
                    victim = kids[1]
                time.sleep(0.05)
            self.assertIsNotNone(victim, "workers never got going")
            os.kill(victim, signal.SIGKILL)
            _, err = proc.communicate(timeout=300)
            self.assertEqual(proc.returncode, 0, err.decode())
            self.assertIn(b"killed by signal 9", err)
            self.assertIn(b"re-queued", err)
            self.assertIndexHolds(es, "killed", self.expect)

    def test_sigkill_mid_range_writes_each_reject_once(self):
        """The replacement re-reads the dead worker's range; the rejects
        its predecessor already wrote must not be written twice."""
        src = self.path("killrej.ndjson")
        bad_lines = {}
        with open(src, "w") as f:
            for i in range(1, 100001):
                line = '{"id":%d,"v":"ok"}' % i
                if i % 500 == 0:
                    line = '{"id":%d,"broken":' % i
                    bad_lines[i] = line
                f.write(line + "\n")
        rejects = self.path("killrej.rejects")
        with Server("--delay-ms", "30") as es:
            proc = subprocess.Popen(
                [FORKBULK, "--input", src, "--index", "killrej",
                 "--es", es.url, "--workers", "2", "--id-field", "id",
                 "--batch-docs", "200", "--range-bytes", "512KiB",
                 "--max-rejects", "100%", "--reject-file", rejects],
                stderr=subprocess.PIPE)
            deadline = time.monotonic() + 30
            victim = None
            while victim is None and time.monotonic() < deadline:
                kids = children_of(proc.pid)
                written = 0
                if os.path.exists(rejects):  # created once forkbulk starts
                    with open(rejects) as f:
                        written = sum(1 for _ in f)
                if len(kids) == 2 and written >= 10:
                    victim = kids[0]
                time.sleep(0.02)
            self.assertIsNotNone(victim, "no rejects were written")
            os.kill(victim, signal.SIGKILL)
            _, err = proc.communicate(timeout=300)
            self.assertEqual(proc.returncode, 0, err.decode())
            self.assertIn(b"killed by signal 9", err)
            self.assertIn(b"re-queued", err)
            self.assertEqual(es.index_stats("killrej")["docs"],
                             100000 - len(bad_lines))
        with open(rejects) as f:
            got = [json.loads(line)["line"] for line in f]
        self.assertEqual(sorted(got), sorted(bad_lines))

    def test_sigterm_exits_143_and_leaves_no_process(self):
        with Server("--delay-ms", "50") as es:
            proc = subprocess.Popen(
                [FORKBULK, "--input", self.flows, "--index", "term",
                 "--es", es.url, "--workers", "3", "--batch-docs", "200",
                 "--grace", "5000"],
                stderr=subprocess.PIPE)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if (len(children_of(proc.pid)) == 3
                        and es.stats()["bulk_requests"] >= 5):
                    break
                time.sleep(0.05)
            kids = children_of(proc.pid)
            self.assertEqual(len(kids), 3)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
            # Ends by the signal itself, after its cleanup: a shell
            # reports 143.
            self.assertEqual(proc.returncode, -signal.SIGTERM, err.decode())
            for pid in kids:
                self.assertFalse(os.path.exists("/proc/%d" % pid)
                                 and open("/proc/%d/stat" % pid).read()
                                 .split()[2] != "Z",
                                 "worker %d still running" % pid)
            loaded = es.index_stats("term")["docs"]
            self.assertLess(loaded, N)

    def test_ctrl_c_stops_a_shell_loop_around_it(self):
        """SIGINT to the terminal's process group: forkbulk cleans up and
        dies of the signal, so the shell running it in a loop stops too
        (an exit status of 130 would only make the shell go on)."""
        with Server("--delay-ms", "50") as es:
            script = ('for i in 1 2 3; do "$0" --input "$1" --index loop '
                      '--es "$2" --workers 2 --batch-docs 200 -q; '
                      'echo "run $i: $?"; done; echo loop-finished')
            proc = subprocess.Popen(
                ["bash", "-c", script, FORKBULK, self.flows, es.url],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True)
            es.wait_created("loop", 500)
            os.killpg(proc.pid, signal.SIGINT)
            out, err = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, -signal.SIGINT, err.decode())
            self.assertNotIn(b"loop-finished", out)
            self.assertNotIn(b"run 2", out)

    def test_sigkill_of_parent_leaves_no_worker(self):
        with Server("--delay-ms", "50") as es:
            proc = subprocess.Popen(
                [FORKBULK, "--input", self.flows, "--index", "orphans",
                 "--es", es.url, "--workers", "3", "--batch-docs", "200"],
                stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            kids = []
            while len(kids) < 3 and time.monotonic() < deadline:
                kids = children_of(proc.pid)
                time.sleep(0.05)
            self.assertEqual(len(kids), 3)
            proc.kill()
            proc.wait()
            deadline = time.monotonic() + 10
            alive = kids
            while alive and time.monotonic() < deadline:
                alive = [p for p in kids if os.path.exists("/proc/%d" % p)
                         and open("/proc/%d/stat" % p).read()
                         .rsplit(")", 1)[1].split()[0] != "Z"]
                time.sleep(0.05)
            self.assertEqual(alive, [])

    def test_not_a_cluster_fails_early(self):
        """Something that answers HTTP but is not Elasticsearch."""
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b'{"hello":"world"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        t = threading.Thread(target=httpd.serve_forever, daemon=True)
        t.start()
        try:
            url = "http://127.0.0.1:%d" % httpd.server_address[1]
            rc, err = run_forkbulk(["--input", self.flows, "--index", "x",
                                    "--es", url])
        finally:
            httpd.shutdown()
        self.assertEqual(rc, 69)
        self.assertIn("is not Elasticsearch or OpenSearch", err)
        self.assertIn(url, err)

    def test_csv_file(self):
        src = self.path("flows.csv")
        rows = []
        with open(src, "w") as f:
            f.write("id,host,bytes,ok,note\n")
            for i in range(5000):
                note = '"line one\nline ""two"""' if i % 97 == 0 else ""
                f.write('%d,h%d,%d,%s,%s\n' % (i, i % 7, i * 3,
                                                "true" if i % 2 else "false",
                                                note))
                rows.append(i)
        with Server() as es:
            rc, err, s = self.load(es, "csv", "--workers", "3",
                                   "--range-bytes", "8KiB",
                                   "--id-field", "id", input=src)
            self.assertEqual(rc, 0, err)
            self.assertEqual(s["loaded"], 5000)
            st = es.index_stats("csv")
            self.assertEqual(st["docs"], 5000)
        # The checksum of what the rows must render to, by the typing rule.
        expect = self.path("flows-csv.ndjson")
        with open(expect, "w") as f:
            for i in rows:
                doc = '{"id":%d,"host":"h%d","bytes":%d,"ok":%s' % (
                    i, i % 7, i * 3, "true" if i % 2 else "false")
                if i % 97 == 0:
                    doc += ',"note":"line one\\nline \\"two\\""'
                f.write(doc + "}\n")
        self.assertEqual(docsum(expect, "id")[1], st["checksum"])

    def test_csv_invalid_utf8_is_rejected(self):
        src = self.path("latin1.csv")
        with open(src, "wb") as f:
            f.write(b"id,name\n1,ok\n2,caf\xe9\n3,fine\n")
        rejects = self.path("latin1.rejects")
        with Server() as es:
            rc, err, s = self.load(es, "latin1", "--id-field", "id",
                                   "--max-rejects", "1", "--reject-file",
                                   rejects, input=src)
            self.assertEqual(rc, 0, err)
            self.assertEqual((s["loaded"], s["rejected"]), (2, 1))
        with open(rejects) as f:
            r = json.loads(f.read())
        self.assertEqual((r["line"], r["error"]["type"]), (3, "invalid_csv"))
        self.assertEqual(r["error"]["reason"], "record is not valid UTF-8")

    def test_stdin_and_gzip(self):
        gz = write_flows(self.path("small.ndjson.gz"), 20000, seed=7,
                         compress=True)
        plain = self.path("small.ndjson")
        with gzip.open(gz, "rb") as fi, open(plain, "wb") as fo:
            fo.write(fi.read())
        expect = docsum(plain, "id")
        with Server() as es:
            rc, err, s = self.load(es, "gz", "--workers", "4",
                                   "--id-field", "id", input=gz)
            self.assertEqual(rc, 0, err)
            self.assertEqual(s["ranges"], 1)
            self.assertIndexHolds(es, "gz", expect)
            with open(plain, "rb") as f:
                rc, err = run_forkbulk(["--input", "-", "--index", "stdin",
                                        "--es", es.url, "--id-field", "id"],
                                       stdin=f)
            self.assertEqual(rc, 0, err)
            self.assertIndexHolds(es, "stdin", expect)

    def test_usage_and_input_errors(self):
        rc, err = run_forkbulk(["--input", self.flows, "--index", "x",
                                "--workers", "65"])
        self.assertEqual(rc, 64)
        self.assertIn("--workers", err)
        rc, err = run_forkbulk(["--index", "x"])
        self.assertEqual(rc, 64)
        self.assertIn("--input is required", err)
        with Server() as es:
            missing = self.path("no-such-file.ndjson")
            rc, err = run_forkbulk(["--input", missing, "--index", "x",
                                    "--es", es.url])
            self.assertEqual(rc, 66)
            self.assertIn(missing, err)
            rc, err = run_forkbulk(["--input", self.flows, "--index", "x",
                                    "--es", es.url, "--reject-file",
                                    self.path("no/such/dir/rejects")])
            self.assertEqual(rc, 73)
            self.assertIn("no/such/dir/rejects", err)


if __name__ == "__main__":
    unittest.main()
