/*
 * apitest.h
 *    What the cmocka tests of the semantics layer share: they call
 *    ts_api_handle() directly (no HTTP) and compare the answers it gives.
 */
#ifndef TS_APITEST_H
#define TS_APITEST_H

#include <stdbool.h>
#include <stdint.h>

#include "ts_api.h"

/* One answer of ts_api_handle(), owned by the test. */
struct apitest_reply {
    int status;
    char *body; /* NUL-terminated copy, its top-level "took" set to 0 */
    const char *content_type;
    const char *allow;
    bool product;           /* X-elastic-product sent */
    uint32_t retry_after_s; /* Retry-After sent when > 0 */
};

/*
 * Handles req on st and returns the answer.  "took" is wall time (slow
 * under valgrind), so it reads 0 in the copy and bodies compare exactly.
 * Fails the test if memory runs out.  Free the reply with
 * apitest_reply_free().
 */
struct apitest_reply apitest_handle(struct ts_state *st,
                                    const struct ts_request *req);

/* Frees r's body (r itself is the caller's); safe to call twice. */
void apitest_reply_free(struct apitest_reply *r);

/* One request (query and ctype may be NULL) on node 0. */
struct apitest_reply call(struct ts_state *st, const char *method,
                          const char *path, const char *query,
                          const char *ctype, const char *body, size_t len);

/* POST path?query with an NDJSON body. */
struct apitest_reply bulk(struct ts_state *st, const char *path,
                          const char *query, const char *body);

/* A state of that mode with the product header on. */
struct ts_state *new_state(enum ts_mode mode);

/* The 22 characters of an index's uuid (from its settings) into uuid. */
void get_uuid(struct ts_state *st, const char *name, char *uuid);

/* Checks status and exact body (printing both when they differ), then
 * frees r. */
void expect(struct apitest_reply r, int status, const char *body);

#endif
