/*
 * test_es.c
 *    The nodes of a cluster handle (es.c): the turns bulk requests take,
 *    a node marked down by a real refused connection and skipped while
 *    it is, requests that go to the first node that answers; the backoff
 *    of a node (backoff.c); and what each failure of curl means
 *    (es_failure.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "forkbulk/backoff.h"
#include "forkbulk/es.h"
#include "forkbulk/es_failure.h"
#include "forkbulk/options.h"
#include "forkbulk/status.h"

/* A loopback port nothing listens on: connections to it are refused. */
static int
refused_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* Options with n nodes, all refusing connections. */
static void
refusing_nodes(struct fb_options *o, char urls[][64], int n)
{
    memset(o, 0, sizeof(*o));
    o->connect_timeout_ms = 2000;
    o->request_timeout_ms = 2000;
    o->batch_bytes = 1024;
    for (int i = 0; i < n; i++) {
        snprintf(urls[i], 64, "http://127.0.0.1:%d", refused_port());
        o->es_nodes[i] = urls[i];
    }
    o->n_es_nodes = n;
    o->es_url = urls[0];
}

static void
test_turns_start_at_the_worker_and_skip_nodes_down(void **state)
{
    struct fb_options o;
    char urls[3][64];
    struct fb_http_result res;
    struct fb_es *es;
    int a, b;

    (void)state;
    refusing_nodes(&o, urls, 3);
    es = fb_es_new(&o);
    assert_non_null(es);
    assert_int_equal(fb_es_node_count(es), 3);
    assert_string_equal(fb_es_node_url(es, 2), urls[2]);
    fb_es_start_at(es, 4); /* worker 4 of three nodes starts at node 1 */
    assert_int_equal(fb_es_next_node(es), 1);
    assert_int_equal(fb_es_next_node(es), 2);
    assert_int_equal(fb_es_next_node(es), 0);
    assert_int_equal(fb_es_next_node(es), 1);

    /* Node 2 refuses: it is down for a second, the others take turns. */
    assert_int_equal(fb_es_bulk(es, 2, "{}\n", 3, &res), -1);
    assert_true(res.transport);
    assert_true(res.node_down);
    assert_int_equal(res.fatal, 0);
    assert_int_equal(res.node, 2);
    a = fb_es_next_node(es);
    b = fb_es_next_node(es);
    assert_int_not_equal(a, 2);
    assert_int_not_equal(b, 2);
    assert_int_not_equal(a, b);
    assert_int_equal(fb_es_next_node(es), a);
    assert_int_equal(fb_es_next_node(es), b);
    assert_int_equal(fb_es_other_node(es, 1u << 0 | 1u << 1), -1);
    assert_int_equal(fb_es_other_node(es, 1u << 0), 1);

    /* Every node down: the one whose time ends first is tried. */
    assert_int_equal(fb_es_bulk(es, 0, "{}\n", 3, &res), -1);
    assert_int_equal(fb_es_bulk(es, 1, "{}\n", 3, &res), -1);
    assert_int_equal(fb_es_other_node(es, 0), -1);
    assert_int_equal(fb_es_next_node(es), 2);
    fb_es_free(es);
}

static void
test_requests_go_to_the_first_node_that_answers(void **state)
{
    struct fb_options o;
    char urls[2][64];
    struct fb_http_result res;
    struct fb_es *es;

    (void)state;
    refusing_nodes(&o, urls, 2);
    es = fb_es_new(&o);
    assert_non_null(es);
    /* Both refuse: each is asked once, the last one's failure is told. */
    assert_int_equal(fb_es_request(es, "GET", "/", NULL, &res), -1);
    assert_int_equal(res.node, 1);
    assert_true(res.node_down);
    fb_es_free(es);
}

static void
test_node_down_doubles_from_1s_to_60s(void **state)
{
    (void)state;
    assert_int_equal(fb_backoff_node_down_ms(1), 1000);
    assert_int_equal(fb_backoff_node_down_ms(2), 2000);
    assert_int_equal(fb_backoff_node_down_ms(6), 32000);
    assert_int_equal(fb_backoff_node_down_ms(7), 60000);
    assert_int_equal(fb_backoff_node_down_ms(1000), 60000);
}

/* One failure through fb_es_failure_explain: its exit code, why. */
static int
explain(int code, const char *msg, bool cert_asked, bool with_cert, char *why,
        bool *down)
{
    struct fb_options o;

    memset(&o, 0, sizeof(o));
    o.ca_file = "/etc/ca.pem";
    if (with_cert) {
        o.cert_file = "/etc/c.pem";
        o.key_file = "/etc/c.key";
    }
    return fb_es_failure_explain(code, msg, cert_asked, &o, why, 512, down);
}

static void
test_tls_failures_in_words(void **state)
{
    char why[512];
    bool down;

    (void)state;
    assert_int_equal(explain(CURLE_COULDNT_CONNECT, "Couldn't connect", false,
                             false, why, &down),
                     0);
    assert_true(down);
    assert_string_equal(why, "Couldn't connect");

    assert_int_equal(explain(CURLE_SSL_CACERT_BADFILE, "error setting", false,
                             false, why, &down),
                     FB_EXIT_CONFIG);
    assert_false(down);
    assert_non_null(strstr(why, "cannot use the CA file /etc/ca.pem"));

    assert_int_equal(explain(CURLE_SSL_CERTPROBLEM,
                             "unable to set private key file", false, true, why,
                             &down),
                     FB_EXIT_CONFIG);
    assert_non_null(strstr(why, "the client key /etc/c.key cannot be used"));
    assert_int_equal(explain(CURLE_SSL_CERTPROBLEM,
                             "could not load PEM client certificate", false,
                             true, why, &down),
                     FB_EXIT_CONFIG);
    assert_non_null(strstr(why, "client certificate /etc/c.pem (--cert) "
                                "cannot be read"));

    assert_int_equal(explain(CURLE_PEER_FAILED_VERIFICATION,
                             "SSL certificate problem: unable to get local "
                             "issuer certificate",
                             false, false, why, &down),
                     0);
    assert_true(down);
    assert_non_null(strstr(why, "not trusted by --ca-file /etc/ca.pem"));
    assert_int_equal(explain(CURLE_PEER_FAILED_VERIFICATION,
                             "SSL: no alternative certificate subject name "
                             "matches target host name 'x'",
                             false, false, why, &down),
                     0);
    assert_non_null(strstr(why, "hostname mismatch"));

    /* The cluster's alerts, TLS 1.3 (read with the answer) and 1.2. */
    assert_int_equal(explain(CURLE_RECV_ERROR,
                             "tlsv13 alert certificate required", false, false,
                             why, &down),
                     FB_EXIT_CONFIG);
    assert_false(down);
    assert_non_null(strstr(why, "requires a client certificate"));
    assert_int_equal(explain(CURLE_SSL_CONNECT_ERROR, "tlsv1 alert unknown ca",
                             false, true, why, &down),
                     FB_EXIT_CONFIG);
    assert_non_null(strstr(why, "refused the client certificate /etc/c.pem"));
    assert_int_equal(explain(CURLE_SSL_CONNECT_ERROR, "wrong version number",
                             false, false, why, &down),
                     0);
    assert_true(down);

    /* A reset: after a handshake that asked for a certificate, the
     * refusal whose alert was lost; otherwise the network. */
    assert_int_equal(explain(CURLE_SEND_ERROR, "Failed sending data", true,
                             false, why, &down),
                     FB_EXIT_CONFIG);
    assert_non_null(strstr(why, "requires a client certificate"));
    assert_int_equal(explain(CURLE_SEND_ERROR, "Failed sending data", false,
                             false, why, &down),
                     0);
    assert_true(down);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_turns_start_at_the_worker_and_skip_nodes_down),
        cmocka_unit_test(test_requests_go_to_the_first_node_that_answers),
        cmocka_unit_test(test_node_down_doubles_from_1s_to_60s),
        cmocka_unit_test(test_tls_failures_in_words),
    };

    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
