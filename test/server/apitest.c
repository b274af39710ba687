/*
 * apitest.c
 *    Calling the semantics layer from the cmocka tests.
 */
#include "apitest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
