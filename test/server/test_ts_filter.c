/*
 * test_ts_filter.c
 *    _bulk applies filter_path while it writes the response (ts_bulk.c),
 *    through templates worked out per request.  These tests check that it
 *    writes exactly what the generic filter (ts_filter_apply) makes of the
 *    whole response, for fixed and random filters, over every kind of item
 *    (each op, success and failure, faults, forced refresh) in every mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apitest.h"
#include "testutil.h"
#include "ts_api.h"
#include "ts_filter.h"
#include "ts_out.h"

/* Documents the mixed bulk below finds, updates and deletes. */
static const char prelude[] =
    "{\"index\":{\"_index\":\"f\",\"_id\":\"1\"}}\n{\"a\":1}\n"
    "{\"index\":{\"_index\":\"f\",\"_id\":\"2\"}}\n{\"a\":1}\n"
    "{\"index\":{\"_index\":\"f\",\"_id\":\"3\"}}\n{\"a\":1}\n"
    "{\"index\":{\"_index\":\"f\",\"_id\":\"4\"}}\n{\"a\":1}\n";

/* Every kind of item: errors:true. */
static const char mixed[] =
    "{\"index\":{\"_index\":\"f\",\"_id\":\"1\"}}\n{\"a\":2}\n"
    "{\"index\":{\"_index\":\"f\",\"_id\":\"new1\"}}\n{\"a\":2}\n"
    "{\"create\":{\"_index\":\"f\",\"_id\":\"2\"}}\n{\"a\":3}\n"
    "{\"create\":{\"_index\":\"f\",\"_id\":\"new2\"}}\n{\"a\":3}\n"
    "{\"update\":{\"_index\":\"f\",\"_id\":\"3\"}}\n{\"doc\":{\"a\":4}}\n"
    "{\"update\":{\"_index\":\"f\",\"_id\":\"zz\"}}\n{\"doc\":{\"a\":5}}\n"
    "{\"update\":{\"_index\":\"f\",\"_id\":\"zz2\"}}\n"
    "{\"doc\":{\"a\":5},\"doc_as_upsert\":true}\n"
    "{\"delete\":{\"_index\":\"f\",\"_id\":\"4\"}}\n"
    "{\"delete\":{\"_index\":\"f\",\"_id\":\"nope\"}}\n"
    "{\"index\":{\"_index\":\"f\",\"_id\":\"m\"}}\n{\"a\":\"text\"}\n"
    "{\"index\":{\"_index\":\"f\",\"_id\":\"p\"}}\n{\"a\":}\n"
    "{\"index\":{\"_index\":\"BAD\",\"_id\":\"q\"}}\n{\"a\":1}\n"
    "{\"index\":{\"_index\":\"f\"}}\n{\"a\":6}\n"
    "{\"index\":{\"_index\":\"g\",\"_id\":\"we\\\"ird\"}}\n{\"b\":1}\n";

/* Successes only: errors:false (unless an item fault fires). */
static const char clean[] =
    "{\"index\":{\"_index\":\"f\",\"_id\":\"c1\"}}\n{\"a\":7}\n"
    "{\"create\":{\"_index\":\"f\",\"_id\":\"c2\"}}\n{\"a\":7}\n"
    "{\"delete\":{\"_index\":\"f\",\"_id\":\"c1\"}}\n"
    "{\"update\":{\"_index\":\"f\",\"_id\":\"c2\"}}\n{\"doc\":{\"a\":8}}\n";

static struct apitest_reply
post(struct ts_state *st, const char *query, const char *body)
{
    struct ts_request req = {
        .method = "POST",
        .path = "/_bulk",
        .query = query,
        .content_type = "application/x-ndjson",
        .body = body,
        .body_len = strlen(body),
        .wire_len = strlen(body),
    };

    return apitest_handle(st, &req);
}

static struct ts_state *
faulty_state(enum ts_mode mode, bool faults)
{
    struct ts_config cf;
    struct ts_state *st = NULL;
    struct apitest_reply r;

    memset(&cf, 0, sizeof(cf));
    cf.mode = mode;
    cf.max_content_length = 1 << 20;
    cf.product_header = true;
    st = ts_state_new(&cf);
    assert_non_null(st);
    r = post(st, "", prelude);
    assert_int_equal(r.status, 200);
    free(r.body);
    if (faults)
        ts_fault_set(&ts_state_faults(st)->item_429, 0.25, 0);
    return st;
}

/*
 * Sends body with filter_path=filter to one state and without it to a
 * twin, then checks that the first answer is the generic filter's result
 * over the second (or the second itself, for a filter the generic filter
 * refuses).
 */
static void
check_one(enum ts_mode mode, const char *filter, const char *body, bool refresh,
          bool faults)
{
    struct ts_state *fast = faulty_state(mode, faults);
    struct ts_state *whole = faulty_state(mode, faults);
    char query[1200];
    struct apitest_reply a;
    struct apitest_reply b;
    struct ts_out want;

    snprintf(query, sizeof(query), "filter_path=%s%s", filter,
             refresh ? "&refresh=true" : "");
    a = post(fast, query, body);
    b = post(whole, refresh ? "refresh=true" : "", body);
    assert_int_equal(a.status, b.status);
    assert_int_equal(b.status, 200);
    ts_out_init(&want, 1 << 20);
    if (ts_filter_apply(filter, strlen(filter), b.body, strlen(b.body),
                        &want) != 0) {
        want.len = 0;
        ts_out_str(&want, b.body);
    }
    ts_out_char(&want, '\0');
    assert_false(want.overflow);
    if (strcmp(a.body, want.buf) != 0)
        fail_msg("mode %d filter '%s' refresh %d faults %d\n"
                 "  fast:    %s\n  generic: %s\n  whole:   %s",
                 (int)mode, filter, refresh, faults, a.body, want.buf, b.body);
    ts_out_free(&want);
    free(a.body);
    free(b.body);
    ts_state_free(fast);
    ts_state_free(whole);
}

static void
check_all(const char *filter, unsigned variant)
{
    static const enum ts_mode modes[] = {TS_MODE_ES7, TS_MODE_ES8,
                                         TS_MODE_OPENSEARCH};

    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        check_one(modes[m], filter, mixed, variant & 1, variant & 2);
        check_one(modes[m], filter, clean, variant & 2, variant & 1);
    }
}

/* Filters chosen for their edge cases, each in all four variants. */
static void
test_fixed_filters(void **unused)
{
    static const char *const filters[] = {
        "",
        ",",
        "errors,items.*.error,items.*.status",
        "errors",
        "took",
        "items",
        "-items",
        "-took,-errors",
        "**",
        "-**",
        "items.*",
        "-items.*",
        "items,-items.*",
        "items.*.status,-items.index",
        "items.*.error.*",
        "items.**.reason",
        "**.status",
        "**._shards.total",
        "items.*._id,-items.*._type",
        "items.*.error,items.*._shards",
        "items.index,items.delete.result",
        "items.*.*",
        "*",
        "*s",
        "item*.*.st*us",
        "-items.*._shards,-items.*.error.caused_by",
        "a..b",
        "items.*.status,-items.*.status",
        "x,y,z",
    };

    (void)unused;
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
        for (unsigned v = 0; v < 4; v++)
            check_all(filters[i], v);
}

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

/* The same sequence on every run, so failures reproduce. */
static uint32_t
rnd(uint32_t n)
{
    return (uint32_t)(testutil_rng(&rng_state) >> 33) % n;
}

static void
random_filter(char *buf, size_t cap)
{
    static const char *const words[] = {
        "errors",     "took",          "items",      "index",
        "create",     "update",        "delete",     "_index",
        "_id",        "_type",         "_version",   "result",
        "_shards",    "total",         "successful", "failed",
        "_seq_no",    "_primary_term", "status",     "error",
        "type",       "reason",        "caused_by",  "forced_refresh",
        "index_uuid", "shard",         "*",          "**",
        "*s",         "_s*",           "st*us",      "*e*",
        "x",
    };
    size_t nw = sizeof(words) / sizeof(words[0]);
    size_t len = 0;
    uint32_t npat = 1 + rnd(3);

    buf[0] = '\0';
    for (uint32_t p = 0; p < npat; p++) {
        uint32_t nseg = 1 + rnd(4);

        if (p > 0)
            len += (size_t)snprintf(buf + len, cap - len, ",");
        if (rnd(4) == 0)
            len += (size_t)snprintf(buf + len, cap - len, "-");
        for (uint32_t s = 0; s < nseg; s++) {
            /* most paths start where the response does */
            const char *w = s == 0 && rnd(3) != 0   ? "items"
                            : s == 1 && rnd(2) != 0 ? "*"
                                                    : words[rnd((uint32_t)nw)];

            len += (size_t)snprintf(buf + len, cap - len, "%s%s",
                                    s > 0 ? "." : "", w);
        }
    }
    assert_true(len < cap);
}

static void
test_random_filters(void **unused)
{
    char filter[256];

    (void)unused;
    for (unsigned i = 0; i < 400; i++) {
        random_filter(filter, sizeof(filter));
        check_all(filter, i & 3);
    }
}

/* The loaders' filter gives exactly this (a test that needs no oracle). */
static void
test_loader_filter_exact(void **unused)
{
    struct ts_state *st = faulty_state(TS_MODE_ES8, false);
    struct apitest_reply r;

    (void)unused;
    r = post(st, "filter_path=errors,items.*.error,items.*.status", clean);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"errors\":false,\"items\":["
                                "{\"index\":{\"status\":201}},"
                                "{\"create\":{\"status\":201}},"
                                "{\"delete\":{\"status\":200}},"
                                "{\"update\":{\"status\":200}}]}");
    free(r.body);
    r = post(st, "filter_path=took,items.*._id", clean);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"took\":0,\"items\":["
                                "{\"index\":{\"_id\":\"c1\"}},"
                                "{\"create\":{\"_id\":\"c2\"}},"
                                "{\"delete\":{\"_id\":\"c1\"}},"
                                "{\"update\":{\"_id\":\"c2\"}}]}");
    free(r.body);
    ts_state_free(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_filter_exact),
        cmocka_unit_test(test_fixed_filters),
        cmocka_unit_test(test_random_filters),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
