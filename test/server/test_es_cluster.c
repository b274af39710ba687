/*
 * test_es_cluster.c
 *    es-test-server as a cluster of several nodes, over real HTTP: the
 *    nodes share one state, a node taken down refuses connections and
 *    breaks the kept-alive ones, comes back on the same port (or by
 *    itself after for_ms), answers a proxy's 503 when asked to, and the
 *    request log gives every request in order with its node.
 *
 * Each test starts the server binary (httptest.h) and stops it in its
 * teardown, which fails if the server did not exit cleanly.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "httptest.h"

#define JSON "application/json"

/* One request; the status (the body checked against want if not NULL). */
static long
ask(unsigned port, const char *method, const char *target, const char *body,
    const char *want)
{
    struct reply r;
    long status;

    http(NULL, port, method, target, body ? JSON : NULL, body,
         body ? strlen(body) : 0, NULL, &r);
    assert_int_equal(r.rc, CURLE_OK);
    if (want != NULL) {
        if (strcmp(r.body != NULL ? r.body : "", want) != 0)
            fail_msg("%s %s: got %s\nwant %s", method, target, r.body, want);
    }
    status = r.status;
    reply_free(&r);
    return status;
}

/* PUT /_test/nodes/<node> with body, sent to port; checks the answer. */
static void
set_node(unsigned port, unsigned node, const char *body, unsigned node_port,
         const char *state)
{
    char target[64];
    char want[128];

    snprintf(target, sizeof(target), "/_test/nodes/%u", node);
    snprintf(want, sizeof(want), "{\"node\":%u,\"port\":%u,\"state\":\"%s\"}",
             node, node_port, state);
    assert_int_equal(ask(port, "PUT", target, body, want), 200);
}

/* A plain TCP connection to the port; -1 (errno set) if refused. */
static int
tcp_connect(unsigned port)
{
    struct sockaddr_in addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/*
 * GET / on a kept-alive connection: the bytes of the answer read (its
 * headers and body, Content-Length long), 0 at end of file, -1 on error.
 */
static ssize_t
tcp_get_root(int fd)
{
    static const char request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    char buf[4096];
    size_t got = 0;
    const char *cl = NULL;
    const char *end = NULL;

    if (send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL) < 0)
        return -1;
    for (;;) {
        ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

        if (n <= 0)
            return n;
        got += (size_t)n;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
        cl = strstr(buf, "Content-Length: ");
        if (end != NULL && cl != NULL &&
            got >= (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10))
            return (ssize_t)got;
    }
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static const char DOCS[] = "{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{}\n"
                           "{\"index\":{\"_index\":\"a\",\"_id\":\"2\"}}\n{}\n"
                           "{\"index\":{\"_index\":\"b\",\"_id\":\"1\"}}\n{}\n";

static const char COUNT3[] = "{\"count\":3,\"_shards\":{\"total\":2,"
                             "\"successful\":2,\"skipped\":0,\"failed\":0}}";

/* ---- one state ---- */

/* Loaded through one node, seen through every other. */
static void
check_shared(unsigned nodes)
{
    const struct server *s = server_start_nodes(nodes, NULL);
    struct reply r;
    json_t *j = NULL;
    unsigned last = s->ports[nodes - 1];

    post_bulk(s->ports[0], "/_bulk?refresh=true", DOCS, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_int_equal(ask(last, "GET", "/a,b/_count", NULL, COUNT3), 200);
    assert_int_equal(ask(s->ports[1], "PUT", "/a/_settings",
                         "{\"refresh_interval\":\"-1\"}",
                         "{\"acknowledged\":true}"),
                     200);
    assert_int_equal(ask(last, "GET", "/a/_settings/index.refresh_interval",
                         NULL,
                         "{\"a\":{\"settings\":{\"index\":{"
                         "\"refresh_interval\":\"-1\"}}}}"),
                     200);
    j = stats(last);
    assert_int_equal(stat_int(j, "indices", "a", "docs"), 2);
    json_decref(j);
    /* each node answers with its own name, the cluster's are shared */
    for (unsigned i = 0; i < nodes; i++) {
        char name[64];

        http(NULL, s->ports[i], "GET", "/", NULL, NULL, 0, NULL, &r);
        j = reply_json(&r);
        snprintf(name, sizeof(name), "node-%u", i);
        assert_string_equal(json_string_value(json_object_get(j, "name")),
                            name);
        assert_string_equal(
            json_string_value(json_object_get(j, "cluster_uuid")),
            "dGVzdC1zZXJ2ZXItY2x1cw");
        json_decref(j);
        reply_free(&r);
    }
}

static void
test_two_nodes_share(void **state)
{
    (void)state;
    check_shared(2);
}

static void
test_three_nodes_share(void **state)
{
    (void)state;
    check_shared(3);
}

static void
test_nodes_listed(void **state)
{
    const struct server *s = server_start_nodes(3, NULL);
    char want[256];

    (void)state;
    snprintf(want, sizeof(want),
             "[{\"node\":0,\"port\":%u,\"state\":\"up\"},{\"node\":1,"
             "\"port\":%u,\"state\":\"up\"},{\"node\":2,\"port\":%u,"
             "\"state\":\"up\"}]",
             s->ports[0], s->ports[1], s->ports[2]);
    assert_int_equal(ask(s->ports[2], "GET", "/_test/nodes", NULL, want), 200);
    assert_int_equal(
        ask(s->ports[0], "GET", "/_test/nodes/3", NULL,
            "{\"error\":{\"root_cause\":[{\"type\":\"resource_not_found_"
            "exception\",\"reason\":\"no node [3]; nodes are 0 to 2\"}],"
            "\"type\":\"resource_not_found_exception\",\"reason\":\"no node "
            "[3]; nodes are 0 to 2\"},\"status\":404}"),
        404);
    assert_int_equal(
        ask(s->ports[0], "PUT", "/_test/nodes/1", "{\"up\":\"no\"}", NULL),
        400);
}

/* ---- down and up ---- */

static void
test_node_down_and_up(void **state)
{
    const struct server *s = server_start_nodes(3, NULL);
    unsigned p1 = s->ports[1];
    int kept = tcp_connect(p1);
    int fd;

    (void)state;
    assert_true(kept >= 0);
    assert_true(tcp_get_root(kept) > 0);
    set_node(s->ports[0], 1, "{\"up\":false}", p1, "down");
    /* new connections are refused, the kept-alive one is broken */
    errno = 0;
    assert_int_equal(tcp_connect(p1), -1);
    assert_int_equal(errno, ECONNREFUSED);
    assert_true(tcp_get_root(kept) <= 0);
    close(kept);
    /* the other nodes go on, and know */
    assert_int_equal(ask(s->ports[2], "GET", "/", NULL, NULL), 200);
    set_node(s->ports[2], 1, "{\"state\":\"up\"}", p1, "up");
    /* the same port again */
    fd = tcp_connect(p1);
    assert_true(fd >= 0);
    assert_true(tcp_get_root(fd) > 0);
    close(fd);
    /* down and up again, through the other spelling */
    set_node(s->ports[0], 1, "{\"state\":\"down\"}", p1, "down");
    assert_int_equal(tcp_connect(p1), -1);
    set_node(s->ports[0], 1, "{\"up\":true}", p1, "up");
    assert_int_equal(ask(p1, "GET", "/", NULL, NULL), 200);
}

/* A node may take itself down; for_ms brings it back. */
static void
test_node_down_for_a_while(void **state)
{
    static const char self_down[] = "{\"up\":false,\"for_ms\":300}";
    const struct server *s = server_start_nodes(2, NULL);
    unsigned p1 = s->ports[1];
    struct reply r;
    int tries;

    (void)state;
    http(NULL, p1, "PUT", "/_test/nodes/1", JSON, self_down, strlen(self_down),
         NULL, &r);
    assert_int_equal(r.status, 200);
    /* the asking connection closes after its answer */
    assert_header(&r, "Connection", "close");
    reply_free(&r);
    assert_int_equal(tcp_connect(p1), -1);
    for (tries = 0; tries < 500; tries++) {
        int fd = tcp_connect(p1);

        if (fd >= 0) {
            close(fd);
            break;
        }
        sleep_ms(10);
    }
    assert_true(tries < 500);
    assert_true(tries >= 10); /* not before about 300 ms */
    assert_int_equal(ask(s->ports[0], "GET", "/_test/nodes/1", NULL, NULL),
                     200);
    assert_int_equal(ask(p1, "GET", "/", NULL, NULL), 200);
}

static const char NGINX_503[] =
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title>"
    "</head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable"
    "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

static void
test_node_503(void **state)
{
    const struct server *s = server_start_nodes(2, NULL);
    unsigned p1 = s->ports[1];
    struct reply r;
    json_t *j = NULL;

    (void)state;
    set_node(s->ports[0], 1, "{\"state\":\"503\"}", p1, "503");
    post_bulk(p1, "/_bulk", DOCS, &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body, NGINX_503);
    assert_header(&r, "Content-Type", "text/html");
    /* a proxy's answer: no product header */
    assert_header(&r, "X-elastic-product", NULL);
    reply_free(&r);
    assert_int_equal(ask(p1, "GET", "/", NULL, NGINX_503), 503);
    /* nothing was stored; /_test/ still answers on that node */
    j = stats(p1);
    assert_int_equal(stat_int(j, "indices", "a", "docs"), -1);
    assert_int_equal(stat_int(j, "responses", "503", NULL), 2);
    json_decref(j);
    set_node(p1, 1, "{\"state\":\"up\"}", p1, "up");
    post_bulk(p1, "/_bulk", DOCS, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
}

/* ---- the request log ---- */

static void
test_request_log(void **state)
{
    static const char *const small[] = {"--max-content-length", "200b", NULL};
    const struct server *s = server_start_nodes(3, small);
    char big[512];
    char want[2048];
    struct reply r;

    (void)state;
    assert_int_equal(ask(s->ports[0], "PUT", "/a", NULL, NULL), 200);
    assert_int_equal(ask(s->ports[1], "PUT", "/a/_settings?timeout=1m",
                         "{\"index\":{\"refresh_interval\":\"-1\"}}", NULL),
                     200);
    post_bulk(s->ports[2], "/_bulk",
              "{\"index\":{\"_index\":\"b\"}}\n{}\n"
              "{\"index\":{\"_index\":\"a\"}}\n{}\n"
              "{\"index\":{\"_index\":\"b\"}}\n{}\n",
              &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    /* the transport's own answers are logged too */
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(ask(s->ports[0], "PUT", "/a/_settings", big, NULL), 413);
    assert_int_equal(ask(s->ports[1], "GET", "/x/_count", NULL, NULL), 404);
    assert_int_equal(ask(s->ports[0], "GET", "/_test/stats", NULL, NULL), 200);
    snprintf(
        want, sizeof(want), "%s",
        "[{\"node\":0,\"method\":\"PUT\",\"path\":\"/a\",\"query\":\"\","
        "\"status\":200,\"body\":null},"
        "{\"node\":1,\"method\":\"PUT\",\"path\":\"/a/_settings\",\"query\":"
        "\"timeout=1m\",\"status\":200,\"body\":{\"index\":{"
        "\"refresh_interval\":\"-1\"}}},"
        "{\"node\":2,\"method\":\"POST\",\"path\":\"/_bulk\",\"query\":\"\","
        "\"status\":200,\"body\":null,\"indices\":[\"b\",\"a\"]},"
        "{\"node\":0,\"method\":\"PUT\",\"path\":\"/a/_settings\",\"query\":"
        "\"\",\"status\":413,\"body\":null},"
        "{\"node\":1,\"method\":\"GET\",\"path\":\"/x/_count\",\"query\":\"\","
        "\"status\":404,\"body\":null}]");
    assert_int_equal(ask(s->ports[2], "GET", "/_test/requests", NULL, want),
                     200);
    /* DELETE forgets the log alone; reset forgets everything */
    assert_int_equal(ask(s->ports[0], "DELETE", "/_test/requests", NULL,
                         "{\"acknowledged\":true}"),
                     200);
    assert_int_equal(ask(s->ports[0], "GET", "/_test/requests", NULL, "[]"),
                     200);
    assert_int_equal(ask(s->ports[0], "HEAD", "/a", NULL, NULL), 200);
    assert_int_equal(ask(s->ports[0], "POST", "/_test/reset", NULL, NULL), 200);
    assert_int_equal(ask(s->ports[0], "GET", "/_test/requests", NULL, "[]"),
                     200);
    assert_int_equal(ask(s->ports[0], "HEAD", "/a", NULL, NULL), 404);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_two_nodes_share, teardown),
        cmocka_unit_test_teardown(test_three_nodes_share, teardown),
        cmocka_unit_test_teardown(test_nodes_listed, teardown),
        cmocka_unit_test_teardown(test_node_down_and_up, teardown),
        cmocka_unit_test_teardown(test_node_down_for_a_while, teardown),
        cmocka_unit_test_teardown(test_node_503, teardown),
        cmocka_unit_test_teardown(test_request_log, teardown),
    };

    return httptest_run("test_es_cluster", tests,
                        sizeof(tests) / sizeof(tests[0]));
}
