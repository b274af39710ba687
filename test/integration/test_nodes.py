"""Several nodes of one cluster (--es given once per node): requests
spread over them, a node that goes down mid-load is left alone while the
others take its requests, with the same ids so nothing is stored twice,
and it is used again once it is back; every node down for longer than
--retry-time ends the run with 69.  Real processes: forkbulk and
es-test-server with --nodes (one state behind several ports, each of
which can be taken down and up), or several independent servers where
the test needs no shared state."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from harness import FORKBULK, SERVER, FlowFileTest, Server, run_forkbulk

N = 60000


def free_port():
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster(Server):
    """es-test-server --nodes n: one cluster (one state) behind n loopback
    ports, listed one per line in the ready file.  Requests of the tests
    go to node 0 (url); urls lists every node."""

    def __init__(self, n, *args):
        super().__init__("--nodes", str(n), *args)
        self.n = n
        self.ports = []

    def __enter__(self):
        ready = os.path.join(self.dir, "ports")
        self.proc = subprocess.Popen(
            [SERVER, "--port", "0", "--ready-file", ready, "--quiet"]
            + self.args, stdout=subprocess.DEVNULL)
        for _ in range(1000):
            if os.path.exists(ready) or self.proc.poll() is not None:
                break
            time.sleep(0.02)
        with open(ready) as f:
            self.ports = [int(line) for line in f.read().split()]
        self.port = self.ports[0]
        return self

    @property
    def urls(self):
        return ["http://127.0.0.1:%d" % p for p in self.ports]

    def set_up(self, node, up, via=0):
        """Takes node down (its port refuses) or brings it back up, asking
        node via."""
        saved, self.port = self.port, self.ports[via]
        try:
            status, body = self.request("PUT", "/_test/nodes/%d" % node,
                                        {"up": up})
        finally:
            self.port = saved
        assert status == 200, (node, up, status, body)

    def requests_log(self):
        status, body = self.request("GET", "/_test/requests")
        assert status == 200, (status, body)
        return body


def bulk_nodes(entries):
    """The node of each _bulk request of a request log."""
    return [e["node"] for e in entries if e["path"].endswith("/_bulk")]


def es_flags(urls):
    flags = []
    for url in urls:
        flags += ["--es", url]
    return flags


class NodesTest(FlowFileTest):
    N = N
    SEED = 5

    def start(self, urls, index, *extra):
        """forkbulk loading the flows into index over the nodes urls, in
        the background; returns (process, summary path)."""
        summary = self.path("summary-%s.json" % index)
        proc = subprocess.Popen(
            [FORKBULK, "--input", self.flows, "--index", index,
             "--id-field", "id", "--summary-json", summary] + es_flags(urls)
            + list(extra), stderr=subprocess.PIPE)
        return proc, summary

    def finish(self, proc, summary, timeout=300):
        _, err = proc.communicate(timeout=timeout)
        with open(summary) as f:
            return proc.returncode, err.decode(), json.load(f)

    def assertNodesSummary(self, s, urls):
        """The summary lists every node by URL, and the nodes' requests
        add up to the run's."""
        self.assertEqual([n["url"] for n in s["nodes"]], urls)
        self.assertEqual(sum(n["requests"] for n in s["nodes"]),
                         s["requests"])

    def test_requests_spread_over_the_nodes(self):
        """Three workers over three nodes: each node gets requests, and
        the summary counts them exactly as the nodes saw them."""
        with Server() as a, Server() as b, Server() as c:
            urls = [a.url, b.url, c.url]
            rc, err, s = self.load(a, "spread", "--id-field", "id",
                                   "--es", b.url, "--es", c.url,
                                   "--workers", "3", "--batch-docs", "1000")
            self.assertEqual(rc, 0, err)
            self.assertNodesSummary(s, urls)
            total = 0
            for server, node in zip((a, b, c), s["nodes"]):
                st = server.stats()
                self.assertGreater(st["bulk_requests"], 5)
                self.assertEqual(node["requests"], st["bulk_requests"])
                self.assertEqual(node["failures"], 0)
                total += (server.index_stats("spread") or {}).get("docs", 0)
            self.assertEqual(total, N)
            self.assertEqual(s["loaded"], N)
            self.assertEqual(s["retried"], 0)
            for url in urls:
                self.assertIn("  node           %s: " % url, err)

    def test_node_answering_503_leaves_the_load_to_the_others(self):
        """A node that answers 503 to every _bulk is marked down each
        time, the same request goes to another node at once, and the run
        ends complete without using up its retries."""
        with Server() as a, Server("--request-503-rate", "1") as bad, \
                Server() as c:
            urls = [a.url, bad.url, c.url]
            rc, err, s = self.load(a, "sick", "--id-field", "id",
                                   "--es", bad.url, "--es", c.url,
                                   "--workers", "3", "--batch-docs", "1000",
                                   "--retries", "0")
            self.assertEqual(rc, 0, err)
            self.assertNodesSummary(s, urls)
            self.assertIsNone(bad.index_stats("sick"))
            sick = s["nodes"][1]
            self.assertGreater(sick["requests"], 0)
            self.assertEqual(sick["failures"], sick["requests"])
            self.assertEqual(sick["requests"],
                             bad.stats()["bulk_requests"])
            docs = [(x.index_stats("sick") or {}).get("docs", 0)
                    for x in (a, c)]
            self.assertEqual(sum(docs), N)
            self.assertEqual(s["loaded"], N)
            self.assertIn("node %s failed (HTTP 503)" % bad.url, err)

    def test_first_node_dead_admin_calls_use_the_next(self):
        """The first node refuses connections: the check, the loads and
        the refresh go to the node that answers."""
        dead = "http://127.0.0.1:%d" % free_port()
        with Server() as es:
            summary = self.path("second.json")
            rc, err = run_forkbulk(
                ["--input", self.flows, "--index", "second", "--id-field",
                 "id", "--es", dead, "--es", es.url, "--summary-json",
                 summary])
            self.assertEqual(rc, 0, err)
            self.assertIndexHolds(es, "second", self.expect)
            self.assertIn("GET %s/: " % dead, err)
            self.assertIn("trying the next node", err)
            with open(summary) as f:
                s = json.load(f)
            self.assertEqual(s["nodes"][1]["failures"], 0)
            self.assertEqual(s["nodes"][1]["requests"],
                             es.stats()["bulk_requests"])
            self.assertEqual(s["nodes"][0]["requests"],
                             s["nodes"][0]["failures"])

    def test_node_killed_and_restarted_is_used_again(self):
        """Three independent servers; the second is killed mid-load and
        started again on its port after a while.  Its requests fail over
        to the others at once (no retry attempt is used: --retries 0),
        and once it is back it gets requests again.  What the killed
        process stored is gone with it, so exactly-once is checked with
        one cluster state (test_node_down_mid_load_and_back); here, that
        the servers hold no more than every record once."""
        with Server("--delay-ms", "20") as a, Server("--delay-ms", "20") as c:
            b = Server("--delay-ms", "20")
            b.__enter__()
            self.addCleanup(b.stop)
            port = b.port
            urls = [a.url, b.url, c.url]
            proc, summary = self.start(urls, "back", "--workers", "3",
                                       "--batch-docs", "100", "--retries",
                                       "0")
            a.wait_created("back", N // 6)
            b.proc.kill()
            b.proc.wait()
            c.wait_created("back", N // 6)
            with Server("--delay-ms", "20", port=port) as b2:
                rc, err, s = self.finish(proc, summary)
                self.assertEqual(rc, 0, err)
                self.assertGreater(b2.stats()["bulk_requests"], 0)
                docs = [(x.index_stats("back") or {}).get("docs", 0)
                        for x in (a, b2, c)]
            self.assertLessEqual(sum(docs), N)
            self.assertEqual(s["loaded"], N)
            self.assertNodesSummary(s, urls)
            self.assertGreater(s["nodes"][1]["failures"], 0)
            self.assertIn("node %s failed" % urls[1], err)

    def test_every_node_refusing_at_start_is_69_naming_them(self):
        dead = ["http://127.0.0.1:%d" % free_port() for _ in range(3)]
        rc, err = run_forkbulk(["--input", self.flows, "--index", "none"]
                               + es_flags(dead))
        self.assertEqual(rc, 69, err)
        self.assertIn("cannot reach any of the 3 nodes of the cluster", err)
        self.assertIn(dead[2], err)

    def test_node_down_mid_load_and_back(self):
        """Node 1 of three goes down mid-load and comes back: exit 0,
        every record exactly once in the one cluster, the other two took
        the requests while it was down, and it got requests again after
        it came back."""
        with Cluster(3, "--delay-ms", "40") as es:
            proc, summary = self.start(es.urls, "flows", "--workers", "3",
                                       "--batch-docs", "100")
            es.wait_created("flows", N // 6)
            before = len(es.requests_log())
            es.set_up(1, False)
            es.wait_created("flows", N // 3)
            during = es.requests_log()[before:]
            es.set_up(1, True)
            back = len(es.requests_log())
            rc, err, s = self.finish(proc, summary)
            self.assertEqual(rc, 0, err)
            self.assertIndexHolds(es, "flows", self.expect)
            self.assertEqual(s["loaded"], N)
            nodes = bulk_nodes(during)
            self.assertGreater(nodes.count(0), 0)
            self.assertGreater(nodes.count(2), 0)
            self.assertIn(1, bulk_nodes(es.requests_log()[back:]))
            self.assertNodesSummary(s, es.urls)
            self.assertGreater(s["nodes"][1]["failures"], 0)
            self.assertEqual(s["nodes"][0]["failures"], 0)
            self.assertEqual(s["nodes"][2]["failures"], 0)
            log = bulk_nodes(es.requests_log())
            for i in (0, 2):
                self.assertEqual(s["nodes"][i]["requests"], log.count(i))
            self.assertIn("node %s failed" % es.urls[1], err)

    def test_workers_start_at_their_own_nodes(self):
        """Worker k sends its first request to node k: with every answer
        200 ms late, the first three _bulk requests the cluster sees are
        the three workers' first, one on each node."""
        with Cluster(3, "--delay-ms", "200") as es:
            proc, summary = self.start(es.urls, "first", "--workers", "3",
                                       "--batch-docs", "2000")
            rc, err, s = self.finish(proc, summary)
            self.assertEqual(rc, 0, err)
            self.assertIndexHolds(es, "first", self.expect)
            self.assertEqual(sorted(bulk_nodes(es.requests_log())[:3]),
                             [0, 1, 2])

    def test_node_answering_503_in_one_cluster_loses_nothing(self):
        """Node 1 answers 503 to everything (GET / too): the check goes to
        node 0, the others take every request at once, and the one
        cluster holds every record exactly once."""
        with Cluster(3) as es:
            status, body = es.request("PUT", "/_test/nodes/1",
                                      {"state": "503"})
            self.assertEqual(status, 200, body)
            proc, summary = self.start(es.urls, "one", "--workers", "3",
                                       "--batch-docs", "1000", "--retries",
                                       "0")
            rc, err, s = self.finish(proc, summary)
            self.assertEqual(rc, 0, err)
            self.assertIndexHolds(es, "one", self.expect)
            self.assertNodesSummary(s, es.urls)
            self.assertGreater(s["nodes"][1]["failures"], 0)
            self.assertEqual(s["nodes"][1]["failures"],
                             s["nodes"][1]["requests"])
            log = bulk_nodes(es.requests_log())
            for i in range(3):
                self.assertEqual(s["nodes"][i]["requests"], log.count(i))

    def test_every_node_down_longer_than_retry_time_is_69(self):
        with Cluster(3, "--delay-ms", "40") as es:
            proc, summary = self.start(es.urls, "gone", "--workers", "2",
                                       "--batch-docs", "100",
                                       "--retry-time", "3s",
                                       "--retries", "1000")
            es.wait_created("gone", 2000)
            for node in (1, 2, 0):
                es.set_up(node, False, via=0)
            t0 = time.monotonic()
            rc, err, s = self.finish(proc, summary, timeout=120)
            self.assertEqual(rc, 69, err)
            self.assertLess(time.monotonic() - t0, 60)
            self.assertIn("giving up on a batch", err)
            self.assertLess(s["loaded"], N)
            self.assertNodesSummary(s, es.urls)
            for node in s["nodes"]:
                self.assertGreater(node["failures"], 0)


class NodeOptionsTest(unittest.TestCase):
    """--es as a list: flags replace the config file's list, URLs are
    checked."""

    def url_line(self, *args):
        """The url line of --print-config with args."""
        proc = subprocess.run(
            [FORKBULK, "--input", "x", "--index", "i", "--print-config"]
            + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return [l for l in proc.stdout.decode().splitlines()
                if l.startswith("url = ")]

    def test_flags_replace_the_config_list(self):
        d = tempfile.mkdtemp(prefix="fb-nodeopts-")
        self.addCleanup(shutil.rmtree, d, True)
        conf = os.path.join(d, "f.conf")
        with open(conf, "w") as f:
            f.write("[elasticsearch]\nurl = https://a:9200 ,https://b:9200/\n")
        self.assertEqual(self.url_line("--config", conf),
                         ["url = https://a:9200, https://b:9200"])
        self.assertEqual(self.url_line("--config", conf, "--es", "http://c:1",
                                       "--es", "https://d:2"),
                         ["url = http://c:1, https://d:2"])

    def test_bad_lists_are_usage_errors(self):
        cases = [
            (["--es", "ftp://a:1"], "--es ftp://a:1: not an http:// or "
                                    "https:// URL of a node"),
            (["--es", "http://a:1", "--es", "http://u:p@b:2"],
             "--es must not contain credentials"),
            (["--es", "http://a:1,,http://b:2"], "an empty URL in the list"),
            (es_flags("http://n%d:1" % i for i in range(17)),
             "--es: more than 16 nodes"),
            (["--key", "/k"], "--key needs --cert"),
        ]
        for args, message in cases:
            rc, err = run_forkbulk(["--input", "x", "--index", "i"] + args)
            self.assertEqual(rc, 64, (args, err))
            self.assertIn(message, err)


if __name__ == "__main__":
    unittest.main()
