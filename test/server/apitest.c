/*
 * apitest.c
 *    Calling the semantics layer from the cmocka tests.
 */
#include "apitest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Sets the top-level "took" (within the first 32 bytes) to 0. */
static void
normalize_took(char *body)
{
    char *p = strstr(body, "\"took\":");
    char *d = NULL;
    char *e = NULL;

    if (p == NULL || p - body > 32)
        return;
    d = p + 7;
    for (e = d; *e >= '0' && *e <= '9'; e++)
        ;
    if (e == d)
        return;
    *d = '0';
    memmove(d + 1, e, strlen(e) + 1);
}

struct apitest_reply
apitest_handle(struct ts_state *st, const struct ts_request *req)
{
    struct ts_response resp;
    struct apitest_reply r;

    ts_api_handle(st, req, &resp);
    r.status = resp.status;
    r.body = calloc(1, resp.body_len + 1);
    assert_non_null(r.body);
    if (resp.body_len > 0)
        memcpy(r.body, resp.body, resp.body_len);
    normalize_took(r.body);
    r.content_type = resp.content_type;
    r.allow = resp.allow;
    r.product = resp.product_header;
    r.retry_after_s = resp.retry_after_s;
    free(resp.body);
    return r;
}

void
apitest_reply_free(struct apitest_reply *r)
{
    free(r->body);
    r->body = NULL;
}

struct apitest_reply
call(struct ts_state *st, const char *method, const char *path,
     const char *query, const char *ctype, const char *body, size_t len)
{
    struct ts_request req = {
        .method = method,
        .path = path,
        .query = query ? query : "",
        .content_type = ctype,
        .body = body,
        .body_len = len,
        .wire_len = len,
    };

    return apitest_handle(st, &req);
}

struct apitest_reply
bulk(struct ts_state *st, const char *path, const char *query, const char *body)
{
    return call(st, "POST", path, query, "application/x-ndjson", body,
                strlen(body));
}

struct ts_state *
new_state(enum ts_mode mode)
{
    struct ts_config cf;
    struct ts_state *st;

    memset(&cf, 0, sizeof(cf));
    cf.mode = mode;
    cf.product_header = true;
    st = ts_state_new(&cf);
    assert_non_null(st);
    return st;
}

void
expect(struct apitest_reply r, int status, const char *body)
{
    if (r.status != status || strcmp(r.body, body) != 0)
        print_error("got %d %s\nwant %d %s\n", r.status, r.body, status, body);
    assert_int_equal(r.status, status);
    assert_string_equal(r.body, body);
    apitest_reply_free(&r);
}

void
get_uuid(struct ts_state *st, const char *name, char *uuid)
{
    char path[300];
    struct apitest_reply r;
    const char *p;

    snprintf(path, sizeof(path), "/%s/_settings", name);
    r = call(st, "GET", path, NULL, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    p = strstr(r.body, "\"uuid\":\"");
    assert_non_null(p);
    memcpy(uuid, p + 8, 22);
    uuid[22] = 0;
    apitest_reply_free(&r);
}
