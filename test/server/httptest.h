/*
 * httptest.h
 *    What the tests of es-test-server over real HTTP share: they start
 *    the server binary (TS_SERVER_BIN) themselves, talk to it with
 *    libcurl over loopback, and stop and reap it in their teardown.
 *
 * Every function fails the running cmocka test on a broken premise (the
 * server does not start, a reply is not JSON), so tests read straight.
 * Set TS_SERVER_WRAP to a program to run the server through it (a
 * valgrind wrapper: it gets the server's command line as arguments).
 */
#ifndef TS_HTTPTEST_H
#define TS_HTTPTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ts_api.h"

#define HEADERS_MAX 8192
#define NDJSON "application/x-ndjson"

/* A running server: its nodes' ports, in node order. */
struct server {
    pid_t pid;
    unsigned port; /* node 0's */
    unsigned ports[TS_NODES_MAX];
    unsigned nports;
    char dir[64];
};

/*
 * Starts es-test-server with the given extra flags (NULL-terminated) and
 * waits until it has written its port.  auth, if not NULL, is written to
 * a file passed with --auth-file.  Returns the port.
 */
unsigned server_start_auth(const char *auth, const char *const *flags);
unsigned server_start(const char *const *flags);

/* The same with --nodes nodes; the server stays valid until teardown. */
const struct server *server_start_nodes(unsigned nodes,
                                        const char *const *flags);

/* Stops and reaps one server; false if it did not exit cleanly with 0. */
bool server_stop(struct server *s);
/* Stops every server started; false if one did not exit cleanly. */
bool servers_stop_all(void);
/* For atexit(): stops whatever a failed test left running. */
void servers_stop_at_exit(void);
/* A cmocka teardown that stops the test's servers. */
int teardown(void **state);

struct CMUnitTest;

/*
 * Runs a group of tests over HTTP (libcurl set up around them, and any
 * server a failed test left behind stopped at exit); cmocka's result.
 */
int httptest_run(const char *name, const struct CMUnitTest *tests, size_t n);

/* Reads a small file whole (NUL-terminated); NULL if it cannot. */
char *read_file(const char *path, size_t *len);

struct reply {
    CURLcode rc;
    long status;
    char *body;
    size_t len;
    char headers[HEADERS_MAX]; /* the final response's header lines */
    size_t hlen;
    bool got_100;
    long connects; /* new connections this request needed */
};

void reply_free(struct reply *r);

/* The value of a response header (copied into out), or NULL if absent. */
const char *header(const struct reply *r, const char *name, char *out,
                   size_t size);

/* The header has the value want; want NULL: it is absent. */
void assert_header(const struct reply *r, const char *name, const char *want);

/*
 * One request.  h may be a reused handle (keep-alive) or NULL for a fresh
 * one.  ctype NULL sends no Content-Type at all.  extra: more header
 * lines, NULL-terminated, or NULL.
 */
void http(CURL *h, unsigned port, const char *method, const char *target,
          const char *ctype, const void *body, size_t len,
          const char *const *extra, struct reply *r);

void post_bulk(unsigned port, const char *target, const char *body,
               struct reply *r);

/* The reply's body as JSON (the test fails if it is not). */
json_t *reply_json(const struct reply *r);

/* A HEAD request answered status, with no body. */
void check_head(unsigned port, const char *target, long status);

/* GET /_test/stats. */
json_t *stats(unsigned port);

/* stats path like "faults.drop" or "indices.x.docs"; -1 if absent. */
long long stat_int(const json_t *st, const char *a, const char *b,
                   const char *c);

/* indices.<index>.<key> as the 64-bit number its 16 hex digits hold. */
uint64_t stat_checksum(const json_t *st, const char *index, const char *key);

#endif
