/*
 * test_ts_action.c
 *    Compact action lines ({"index":{"_id":"1"}}) take a fast parser in
 *    ts_bulk.c; anything else the full one.  Each case here sends the same
 *    bulk twice to twin states, once compact and once with a space that
 *    forces the full parser, and checks that status, body and stats are
 *    the same, so the fast parser cannot drift from the full one.
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

static struct apitest_reply
send_body(struct ts_state *st, const char *method, const char *path,
          const char *body)
{
    /* wire_len 0: the twins differ in length only */
    struct ts_request req = {
        .method = method,
        .path = path,
        .query = "",
        .content_type = body ? "application/x-ndjson" : NULL,
        .body = body,
        .body_len = body ? strlen(body) : 0,
    };

    return apitest_handle(st, &req);
}

/* Sends compact to one state and full to its twin, twice (the second
 * time every id exists), and compares answers and stats. */
static void
check_twin(enum ts_mode mode, const char *path, const char *compact,
           const char *full)
{
    struct ts_config cf;
    struct ts_state *a = NULL;
    struct ts_state *b = NULL;
    struct apitest_reply ra;
    struct apitest_reply rb;

    memset(&cf, 0, sizeof(cf));
    cf.mode = mode;
    cf.max_content_length = 1 << 20;
    a = ts_state_new(&cf);
    b = ts_state_new(&cf);
    assert_non_null(a);
    assert_non_null(b);
    for (int round = 0; round < 2; round++) {
        ra = send_body(a, "POST", path, compact);
        rb = send_body(b, "POST", path, full);
        assert_int_equal(ra.status, rb.status);
        assert_string_equal(ra.body, rb.body);
        free(ra.body);
        free(rb.body);
    }
    ra = send_body(a, "GET", "/_test/stats", NULL);
    rb = send_body(b, "GET", "/_test/stats", NULL);
    assert_string_equal(ra.body, rb.body);
    free(ra.body);
    free(rb.body);
    ts_state_free(a);
    ts_state_free(b);
}

static void
test_compact_equals_full(void **unused)
{
    /* {compact body, the same with whitespace in every action line} */
    static const char *const cases[][2] = {
        {"{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n",
         "{ \"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n"},
        {"{\"create\":{\"_id\":\"1\"}}\n{\"a\":1}\n",
         "{\"create\" :{\"_id\":\"1\"}}\n{\"a\":1}\n"},
        {"{\"update\":{\"_id\":\"1\"}}\n{\"doc\":{\"a\":2},"
         "\"doc_as_upsert\":true}\n",
         "{\"update\":{ \"_id\":\"1\"}}\n{\"doc\":{\"a\":2},"
         "\"doc_as_upsert\":true}\n"},
        {"{\"delete\":{\"_id\":\"1\"}}\n", "{\"delete\":{\"_id\":\"1\" }}\n"},
        {"{\"index\":{\"_index\":\"o\",\"_id\":\"x\"}}\n{\"a\":1}\n",
         "{\"index\":{\"_index\":\"o\", \"_id\":\"x\"}}\n{\"a\":1}\n"},
        {"{\"index\":{\"_id\":\"y\",\"_index\":\"o\"}}\n{\"a\":1}\n",
         "{\"index\":{\"_id\":\"y\",\"_index\":\"o\"} }\n{\"a\":1}\n"},
        /* empty id, duplicate keys, a bad index name, no id at all */
        {"{\"index\":{\"_id\":\"\"}}\n{\"a\":1}\n",
         "{\"index\":{\"_id\": \"\"}}\n{\"a\":1}\n"},
        {"{\"index\":{\"_id\":\"a\",\"_id\":\"b\"}}\n{\"a\":1}\n",
         "{\"index\":{\"_id\":\"a\",\"_id\" :\"b\"}}\n{\"a\":1}\n"},
        {"{\"index\":{\"_index\":\"Bad\",\"_id\":\"1\"}}\n{\"a\":1}\n",
         "{\"index\":{\"_index\" :\"Bad\",\"_id\":\"1\"}}\n{\"a\":1}\n"},
        {"{\"index\":{\"_index\":\"o\"}}\n{\"a\":1}\n",
         "{\"index\":{ \"_index\":\"o\"}}\n{\"a\":1}\n"},
        /* a CR before the newline; the update without a source */
        {"{\"index\":{\"_id\":\"r\"}}\r\n{\"a\":1}\n",
         "{\"index\":{\"_id\":\"r\"} }\r\n{\"a\":1}\n"},
        {"{\"delete\":{\"_id\":\"1\"}}\n{\"update\":{\"_id\":\"2\"}}\n{}\n",
         "{\"delete\":{\"_id\":\"1\"} }\n{\"update\":{\"_id\":\"2\"} }\n{}\n"},
    };
    static const enum ts_mode modes[] = {TS_MODE_ES7, TS_MODE_ES8,
                                         TS_MODE_OPENSEARCH};

    (void)unused;
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
            check_twin(modes[m], "/t/_bulk", cases[i][0], cases[i][1]);
}

/* Shapes the fast parser must leave alone: the full parser's errors. */
static void
test_not_compact(void **unused)
{
    struct ts_config cf;
    struct ts_state *st = NULL;
    struct apitest_reply r;

    (void)unused;
    memset(&cf, 0, sizeof(cf));
    cf.mode = TS_MODE_ES8;
    cf.max_content_length = 1 << 20;
    st = ts_state_new(&cf);
    assert_non_null(st);
    /* an unknown op */
    r = send_body(st, "POST", "/t/_bulk", "{\"indexx\":{\"_id\":\"1\"}}\n{}\n");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "but found [indexx]"));
    free(r.body);
    /* an escaped id is decoded by the full parser */
    r = send_body(st, "POST", "/t/_bulk",
                  "{\"index\":{\"_id\":\"a\\u0062\"}}\n{\"a\":1}\n");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"_id\":\"ab\""));
    free(r.body);
    ts_state_free(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_equals_full),
        cmocka_unit_test(test_not_compact),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
