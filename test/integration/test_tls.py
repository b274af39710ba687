"""TLS to the cluster through a real TLS terminator: stunnel4 in front of
es-test-server, requiring a client certificate signed by the test's CA
(verifyChain, requireCert), as an Elasticsearch node with
xpack.security.http.ssl.client_authentication: required does.  Every
certificate is made here with the openssl command; nothing is shared
between runs."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from harness import FlowFileTest, Server, run_forkbulk

STUNNEL = os.environ.get("STUNNEL_BIN") or "stunnel4"
OPENSSL = os.environ.get("OPENSSL_BIN") or "openssl"
N = 3000
KEY_PASSWORD = "correct horse battery"


def openssl(*args):
    subprocess.run([OPENSSL] + list(args), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Pki:
    """A CA, a server certificate for "localhost" (and no other name), a
    client certificate and an encrypted copy of its key; and another CA
    with a client certificate of its own, which the cluster does not
    trust."""

    def __init__(self, d):
        self.d = d
        self.ca = self.make_ca("ca")
        self.other_ca = self.make_ca("other-ca")
        self.server = self.sign("server", "ca", "subjectAltName=DNS:localhost")
        self.client = self.sign("client", "ca", "extendedKeyUsage=clientAuth")
        self.stranger = self.sign("stranger", "other-ca",
                                  "extendedKeyUsage=clientAuth")
        self.password_file = self.path("client.key.password")
        with open(self.password_file, "w") as f:
            f.write(KEY_PASSWORD + "\n")
        self.encrypted_key = self.path("client-enc.key")
        openssl("pkey", "-in", self.key("client"), "-aes256", "-passout",
                "file:" + self.password_file, "-out", self.encrypted_key)

    def path(self, name):
        return os.path.join(self.d, name)

    def key(self, name):
        return self.path(name + ".key")

    def make_ca(self, name):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=forkbulk test " + name, "-keyout",
                self.key(name), "-out", self.path(name + ".pem"))
        return self.path(name + ".pem")

    def sign(self, name, ca, extension):
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            f.write(extension + "\n")
        openssl("req", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
                "/CN=" + name, "-keyout", self.key(name), "-out",
                self.path(name + ".csr"))
        openssl("x509", "-req", "-in", self.path(name + ".csr"), "-CA",
                self.path(ca + ".pem"), "-CAkey", self.key(ca),
                "-CAcreateserial", "-days", "2", "-extfile", ext, "-out",
                self.path(name + ".pem"))
        return self.path(name + ".pem")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stunnel:
    """stunnel4 on a free loopback port, terminating TLS for the server
    at backend_port and requiring a client certificate signed by pki's
    CA."""

    def __init__(self, pki, backend_port):
        self.port = free_port()
        self.log = pki.path("stunnel.log")
        self.conf = pki.path("stunnel.conf")
        with open(self.conf, "w") as f:
            f.write("foreground = yes\npid =\ndebug = 5\noutput = %s\n"
                    "[es]\naccept = 127.0.0.1:%d\nconnect = 127.0.0.1:%d\n"
                    "cert = %s\nkey = %s\nCAfile = %s\nverifyChain = yes\n"
                    "requireCert = yes\n"
                    % (self.log, self.port, backend_port, pki.server,
                       pki.key("server"), pki.ca))
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen([STUNNEL, self.conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("stunnel4 exited with %d"
                                   % self.proc.returncode)
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def __exit__(self, *exc):
        self.proc.terminate()  # stunnel4 stops at once on SIGTERM
        self.proc.wait(timeout=20)

    @property
    def url(self):
        """The cluster's URL by the name its certificate is for."""
        return "https://localhost:%d" % self.port


class TlsTest(FlowFileTest):
    N = N
    SEED = 11

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pki = Pki(tempfile.mkdtemp(prefix="fb-pki-"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki.d, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        self.es = Server()
        self.es.__enter__()
        self.addCleanup(self.es.stop)
        self.tls = Stunnel(self.pki, self.es.port)
        self.tls.__enter__()
        self.addCleanup(self.tls.__exit__)

    def run_load(self, index, *extra, url=None):
        """Loads the flows through stunnel; (exit code, stderr)."""
        return run_forkbulk(["--input", self.flows, "--index", index,
                             "--id-field", "id", "--es", url or self.tls.url,
                             "--workers", "2"] + list(extra))

    def client(self, key=None, cert=None, ca=None):
        """The flags of a client certificate (by default the good one) and
        of the CA file (by default the one that signs the server)."""
        return ["--ca-file", ca or self.pki.ca, "--cert",
                cert or self.pki.client, "--key",
                key or self.pki.key("client")]

    def config(self, text):
        path = os.path.join(self.dir, "tls.conf")
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
        return path

    def test_with_client_certificate_every_record(self):
        rc, err = self.run_load("mtls", *self.client())
        self.assertEqual(rc, 0, err)
        self.assertIndexHolds(self.es, "mtls", self.expect)

    def test_encrypted_key_with_key_password_file(self):
        conf = self.config("[elasticsearch]\nkey_password_file = %s\n"
                           % self.pki.password_file)
        rc, err = self.run_load("enc", "--config", conf,
                                *self.client(self.pki.encrypted_key))
        self.assertEqual(rc, 0, err)
        self.assertIndexHolds(self.es, "enc", self.expect)

    def test_encrypted_key_without_its_password_is_78_at_once(self):
        """No prompt on a terminal, no retries: the key cannot be used."""
        conf = self.config("[elasticsearch]\nkey_password = wrong\n")
        for extra in ([], ["--config", conf]):
            rc, err = self.run_load("enc", *extra,
                                    *self.client(self.pki.encrypted_key))
            self.assertEqual(rc, 78, err)
            self.assertIn("the client key %s cannot be used with the "
                          "certificate %s" % (self.pki.encrypted_key,
                                              self.pki.client), err)
            self.assertIn("wrong or missing key_password", err)
        self.assertEqual(self.es.stats()["bulk_requests"], 0)

    def test_without_client_certificate_is_78_naming_the_url(self):
        """The cluster requires a client certificate and none is given:
        no retry can change that (the operator must give --cert), so the
        run ends at once with 78, a configuration error, rather than 69
        after --retry-time.  With TLS 1.3 the refusal is an alert that
        arrives when the answer is read, which is why curl reports it as
        a receive error: the message says what it means."""
        t0 = time.monotonic()
        rc, err = self.run_load("nocert", "--ca-file", self.pki.ca)
        self.assertEqual(rc, 78, err)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertIn("cannot reach the cluster at %s/: TLS: the cluster "
                      "requires a client certificate (give --cert and "
                      "--key)" % self.tls.url, err)
        self.assertEqual(self.es.stats()["bulk_requests"], 0)

    def test_without_client_certificate_over_tls12_is_78(self):
        """TLS 1.2 says it during the handshake (handshake failure)."""
        with open(self.tls.conf, "a") as f:
            f.write("sslVersionMax = TLSv1.2\n")
        self.tls.__exit__()
        self.tls.__enter__()
        rc, err = self.run_load("nocert12", "--ca-file", self.pki.ca)
        self.assertEqual(rc, 78, err)
        self.assertIn("requires a client certificate", err)
        self.assertIn("alert handshake failure", err)

    def test_certificate_the_cluster_refuses_is_78(self):
        """Signed by a CA the cluster does not trust: its alert (unknown
        ca) is read, or with TLS 1.3 lost in the reset of the request;
        either way the message says what happened, and 78 at once."""
        rc, err = self.run_load("stranger", *self.client(
            cert=self.pki.stranger, key=self.pki.key("stranger")))
        self.assertEqual(rc, 78, err)
        self.assertIn("cannot reach the cluster at %s/: TLS: the cluster "
                      "refused the client certificate %s (--cert)"
                      % (self.tls.url, self.pki.stranger), err)
        self.assertEqual(self.es.stats()["bulk_requests"], 0)

    def test_key_of_another_certificate_is_78(self):
        rc, err = self.run_load("mismatch",
                                *self.client(self.pki.key("stranger")))
        self.assertEqual(rc, 78, err)
        self.assertIn("a key of another certificate", err)

    def test_unreadable_ca_file_is_78(self):
        missing = os.path.join(self.dir, "no-such-ca.pem")
        rc, err = self.run_load("noca", *self.client(ca=missing))
        self.assertEqual(rc, 78, err)
        self.assertIn("TLS: cannot use the CA file %s (--ca-file)" % missing,
                      err)

    def test_ca_that_does_not_sign_the_server_is_not_trusted(self):
        """69: with several nodes one may present a wrong certificate
        while the others are fine, so it is a node failure, not a
        configuration error."""
        rc, err = self.run_load("untrusted",
                                *self.client(ca=self.pki.other_ca))
        self.assertEqual(rc, 69, err)
        self.assertIn("cannot reach the cluster at %s/: TLS: the cluster's "
                      "certificate is not trusted by --ca-file %s"
                      % (self.tls.url, self.pki.other_ca), err)

    def test_host_name_mismatch(self):
        url = "https://127.0.0.1:%d" % self.tls.port
        rc, err = self.run_load("name", *self.client(), url=url)
        self.assertEqual(rc, 69, err)
        self.assertIn("%s/: TLS: the cluster's certificate is not for the "
                      "host name of the URL (hostname mismatch)" % url, err)

    def test_insecure_still_loads_and_warns_once(self):
        rc, err = self.run_load("insecure", "--insecure", "--cert",
                                self.pki.client, "--key",
                                self.pki.key("client"))
        self.assertEqual(rc, 0, err)
        self.assertIndexHolds(self.es, "insecure", self.expect)
        self.assertEqual(err.count("--insecure: the TLS certificate of %s is "
                                   "not checked" % self.tls.url), 1)
        self.assertEqual(err.count("--insecure"), 1)


if __name__ == "__main__":
    unittest.main()
