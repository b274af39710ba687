/*
 * test_bulkresp.c
 *    _bulk response parsing on the real bodies in
 *    test/data/es-bulk-fixtures (exact statuses, types and reasons), on
 *    the body our filter_path produces, on 5000-item bodies in both key
 *    orders, and on malformed, truncated and mis-counted bodies; item and
 *    request classification; whole-request error summaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/bulkresp.h"

#define FIXTURES FB_TEST_DATA_DIR "/es-bulk-fixtures/"

static char *
load(const char *name, size_t *len)
{
    char path[512];
    FILE *f = NULL;
    char *buf = NULL;
    long n;

    snprintf(path, sizeof path, "%s%s", FIXTURES, name);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

struct want_item {
    const char *op;
    int status;
    bool failed;
    const char *type;
    const char *reason;
    enum fb_item_class cls;
};

static void
check_fixture(const char *name, bool errors, const struct want_item *w,
              size_t n)
{
    size_t len = 0;
    char *body = load(name, &len);
    struct fb_bulkresp_item items[8];
    struct fb_bulkresp r;
    char err[256] = "";
    size_t i, nfailed = 0;

    if (fb_bulkresp_parse(body, len, items, n, &r, err, sizeof err) != 0)
        fail_msg("%s: %s", name, err);
    assert_int_equal(r.errors, errors);
    assert_int_equal(r.nitems, n);
    for (i = 0; i < n; i++) {
        assert_string_equal(items[i].op, w[i].op);
        assert_int_equal(items[i].status, w[i].status);
        assert_int_equal(items[i].failed, w[i].failed);
        assert_string_equal(items[i].type, w[i].type);
        assert_string_equal(items[i].reason, w[i].reason);
        assert_int_equal(fb_bulkresp_classify(&items[i]), w[i].cls);
        nfailed += w[i].failed;
    }
    assert_int_equal(r.nfailed, nfailed);

    /* One item fewer or more than sent is an error, never a crash, and
     * nothing is written past the array given. */
    if (n > 1) {
        char want[96];

        items[n - 1].status = -7;
        assert_int_equal(
            fb_bulkresp_parse(body, len, items, n - 1, &r, err, sizeof err),
            -1);
        snprintf(want, sizeof want, "response has %zu items, %zu were sent", n,
                 n - 1);
        assert_string_equal(err, want);
        assert_int_equal(items[n - 1].status, -7);
    }
    assert_int_equal(
        fb_bulkresp_parse(body, len, items, n + 1, &r, err, sizeof err), -1);
    /* Every truncation of the body is malformed. */
    while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == ' '))
        len--;
    for (i = 0; i < len; i++)
        if (fb_bulkresp_parse(body, i, items, n, &r, err, sizeof err) != -1)
            fail_msg("%s cut to %zu bytes was accepted", name, i);
    free(body);
}

static void
test_fixture_mapper_parsing(void **state)
{
    static const struct want_item w[] = {
        {"create", 400, true, "mapper_parsing_exception",
         "object mapping for [host] tried to parse field [host] as object, "
         "but found a concrete value",
         FB_ITEM_REJECT},
    };

    (void)state;
    check_fixture("bulk-200-create-400-mapper-parsing.es7-vector.json", true, w,
                  1);
}

static void
test_fixture_409(void **state)
{
    static const struct want_item w[] = {
        {"index", 201, false, "", "", FB_ITEM_OK},
        {"create", 409, true, "version_conflict_engine_exception",
         "[1]: version conflict, document already exists (current version "
         "[1])",
         FB_ITEM_EXISTS},
        {"delete", 404, false, "", "", FB_ITEM_OK},
        {"update", 200, false, "", "", FB_ITEM_OK},
    };

    (void)state;
    check_fixture("bulk-200-create-409-version-conflict.go-client-"
                  "fixture.json",
                  true, w, 4);
}

static void
test_fixture_filter_path_error_only(void **state)
{
    static const struct want_item w[] = {
        {"update", 0, true, "document_missing_exception",
         "[5]: document missing", FB_ITEM_REJECT},
        {"update", 0, true, "document_missing_exception",
         "[6]: document missing", FB_ITEM_REJECT},
    };

    (void)state;
    check_fixture("bulk-200-filter-path-items-error.es-docs.json", false, w, 2);
}

static void
test_fixture_429(void **state)
{
    static const struct want_item w[] = {
        {"index", 429, true, "es_rejected_execution_exception",
         "rejected execution of org.elasticsearch.transport.TransportService"
         "$7@7ec1ea93 on EsThreadPoolExecutor[bulk, queue capacity = 200, "
         "org.elasticsearch.common.util.concurrent.EsThreadPoolExecutor@"
         "621571ba[Running, pool size = 4, active threads = 4, queued tasks "
         "= 200, completed tasks = 3838534]]",
         FB_ITEM_RETRY},
    };

    (void)state;
    check_fixture("bulk-200-item-429-es-rejected-execution.es6-zipkin.json",
                  true, w, 1);
}

static void
test_fixture_document_parsing(void **state)
{
    static const struct want_item w[] = {
        {"create", 201, false, "", "", FB_ITEM_OK},
        {"create", 400, true, "document_parsing_exception",
         "[1:65] failed to parse field [_id] of type [_id] in document with "
         "id 'iBELapEB_XqxG5Ydupgb'. Preview of field's value: "
         "'fhHraZEB_XqxG5Ydzpjv' (caused by: document_parsing_exception: "
         "[1:65] Field [_id] is a metadata field and cannot be added inside "
         "a document. Use the index API request parameters.)",
         FB_ITEM_REJECT},
        {"create", 400, true, "document_parsing_exception",
         "[1:65] failed to parse field [_id] of type [_id] in document with "
         "id 'iRELapEB_XqxG5Ydupgb'. Preview of field's value: "
         "'fhHraZEB_XqxG5Ydzpjv' (caused by: document_parsing_exception: "
         "[1:65] Field [_id] is a metadata field and cannot be added inside "
         "a document. Use the index API request parameters.)",
         FB_ITEM_REJECT},
        {"create", 201, false, "", "", FB_ITEM_OK},
    };

    (void)state;
    check_fixture("bulk-200-partial-document-parsing-exception.es8-"
                  "fluentbit.json",
                  true, w, 4);
}

static void
test_fixture_successes(void **state)
{
    static const struct want_item compact[] = {
        {"create", 201, false, "", "", FB_ITEM_OK},
        {"create", 201, false, "", "", FB_ITEM_OK},
        {"create", 201, false, "", "", FB_ITEM_OK},
        {"create", 201, false, "", "", FB_ITEM_OK},
    };
    static const struct want_item mixed[] = {
        {"index", 201, false, "", "", FB_ITEM_OK},
        {"delete", 404, false, "", "", FB_ITEM_OK},
        {"create", 201, false, "", "", FB_ITEM_OK},
        {"update", 200, false, "", "", FB_ITEM_OK},
    };
    static const struct want_item updated[] = {
        {"index", 200, false, "", "", FB_ITEM_OK},
    };

    (void)state;
    check_fixture("bulk-200-success-create-compact.es8-fluentbit.json", false,
                  compact, 4);
    check_fixture("bulk-200-success-mixed-actions.es-docs.json", false, mixed,
                  4);
    check_fixture("bulk-200-success-updated-compact.opensearch2.json", false,
                  updated, 1);
}

static void
test_fixture_document_missing(void **state)
{
    static const struct want_item w[] = {
        {"update", 404, true, "document_missing_exception",
         "[5]: document missing", FB_ITEM_REJECT},
        {"update", 404, true, "document_missing_exception",
         "[6]: document missing", FB_ITEM_REJECT},
        {"create", 201, false, "", "", FB_ITEM_OK},
    };

    (void)state;
    check_fixture("bulk-200-update-404-document-missing.es-docs.json", true, w,
                  3);
}

static int
parse_str(const char *body, struct fb_bulkresp_item *items, size_t n,
          struct fb_bulkresp *r, char *err, size_t errlen)
{
    return fb_bulkresp_parse(body, strlen(body), items, n, r, err, errlen);
}

/* The body a cluster sends for our filter_path, in either order. */
static void
test_filtered_body(void **state)
{
    const char *es7 =
        "{\"errors\":true,\"items\":[{\"index\":{\"status\":201}},"
        "{\"index\":{\"status\":429,\"error\":{\"type\":\"es_rejected_"
        "execution_exception\",\"reason\":\"queue full\"}}},"
        "{\"index\":{\"status\":400,\"error\":{\"type\":\"mapper_parsing_"
        "exception\",\"reason\":\"failed to parse field [bytes] of type "
        "[long]\",\"caused_by\":{\"type\":\"illegal_argument_exception\","
        "\"reason\":\"For input string: \\\"x\\\"\"}}}},"
        "{\"index\":{\"status\":503,\"error\":{\"type\":\"unavailable_shards_"
        "exception\",\"reason\":\"[i][0] primary shard is not active\"}}}]}";
    const char *es8_order = "{\"items\":[{\"create\":{\"status\":201}}],"
                            "\"took\":3,\"errors\":false}";
    struct fb_bulkresp_item items[4];
    struct fb_bulkresp r;
    char err[256];

    (void)state;
    assert_int_equal(parse_str(es7, items, 4, &r, err, sizeof err), 0);
    assert_true(r.errors);
    assert_int_equal(r.nfailed, 3);
    assert_int_equal(items[0].status, 201);
    assert_int_equal(fb_bulkresp_classify(&items[0]), FB_ITEM_OK);
    assert_int_equal(items[1].status, 429);
    assert_string_equal(items[1].reason, "queue full");
    assert_int_equal(fb_bulkresp_classify(&items[1]), FB_ITEM_RETRY);
    assert_string_equal(items[2].type, "mapper_parsing_exception");
    assert_string_equal(items[2].reason,
                        "failed to parse field [bytes] of type [long] (caused "
                        "by: illegal_argument_exception: For input string: "
                        "\"x\")");
    assert_int_equal(fb_bulkresp_classify(&items[2]), FB_ITEM_REJECT);
    assert_int_equal(fb_bulkresp_classify(&items[3]), FB_ITEM_RETRY);
    assert_int_equal(parse_str(es8_order, items, 1, &r, err, sizeof err), 0);
    assert_false(r.errors);
    assert_string_equal(items[0].op, "create");
    /* No items at all, when some were sent: detected. */
    assert_int_equal(
        parse_str("{\"errors\":false}", items, 2, &r, err, sizeof err), -1);
    assert_string_equal(err, "response has 0 items, 2 were sent");
    assert_int_equal(parse_str("{}", items, 0, &r, err, sizeof err), 0);
}

static void
test_long_reason_cut(void **state)
{
    char body[4096];
    char reason[2000];
    struct fb_bulkresp_item it;
    struct fb_bulkresp r;
    char err[256];
    size_t n;

    (void)state;
    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    /* A two-byte character straddling the cut must not be split. */
    memcpy(reason + FB_BULKRESP_REASON_MAX - 5, "\xc3\xa9", 2);
    snprintf(body, sizeof body,
             "{\"items\":[{\"index\":{\"status\":400,\"error\":{\"type\":"
             "\"t\",\"reason\":\"%s\\nx\"}}}]}",
             reason);
    assert_int_equal(parse_str(body, &it, 1, &r, err, sizeof err), 0);
    n = strlen(it.reason);
    assert_int_equal(n, FB_BULKRESP_REASON_MAX - 2);
    assert_memory_equal(it.reason + n - 3, "...", 3);
    assert_int_equal(it.reason[n - 4], 'r');
    /* Control characters become spaces. */
    snprintf(body, sizeof body,
             "{\"items\":[{\"index\":{\"status\":400,\"error\":{\"type\":"
             "\"t\",\"reason\":\"a\\nb\\tc\"}}}]}");
    assert_int_equal(parse_str(body, &it, 1, &r, err, sizeof err), 0);
    assert_string_equal(it.reason, "a b c");
}

static void
test_malformed(void **state)
{
    static const struct {
        const char *body;
        const char *err;
    } cases[] = {
        {"", "empty input"},
        {"[]", "response is not a JSON object"},
        {"<html>", "invalid JSON at column 1: expected a value"},
        {"{\"errors\":\"no\",\"items\":[]}", "\"errors\" is not a boolean"},
        {"{\"items\":{}}", "\"items\" is not an array"},
        {"{\"items\":[1]}", "item 0 is not an object"},
        {"{\"items\":[{}]}", "item 0 is empty"},
        {"{\"items\":[{\"index\":{\"status\":201}},{\"index\":3}]}",
         "item 1 is not an object"},
        {"{\"items\":[{\"index\":{\"status\":\"201\"}}]}",
         "item 0 has an invalid status"},
        {"{\"items\":[{\"index\":{\"status\":2010}}]}",
         "item 0 has an invalid status"},
        {"{\"items\":[{\"index\":{\"status\":20.1}}]}",
         "item 0 has an invalid status"},
        {"{\"items\":[{\"index\":{\"status\":201}}]} x",
         "invalid JSON at column 38: unexpected data after the JSON value"},
        {"{\"items\":[{\"index\":{\"status\":201,}}]}",
         "invalid JSON at column 34: trailing comma"},
    };
    struct fb_bulkresp_item items[2];
    struct fb_bulkresp r;
    char err[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(
            parse_str(cases[i].body, items, 1, &r, err, sizeof err), -1);
        assert_string_equal(err, cases[i].err);
    }
}

/* A 5000-item body as ES8 writes it (full items, errors first), and the
 * same items pretty-printed in the ES7 order. */
/*
 * The compact clean body takes a shortcut (parse_clean); it must give
 * exactly what the full parser gives for the same items with a space
 * added, and hand every deviation to the full parser.
 */
static void
test_clean_fast_path(void **state)
{
    const char *clean = "{\"errors\":false,\"items\":["
                        "{\"index\":{\"status\":201}},"
                        "{\"create\":{\"status\":200}},"
                        "{\"delete\":{\"status\":404}}]}";
    const char *spaced = "{\"errors\": false,\"items\":["
                         "{\"index\":{\"status\":201}},"
                         "{\"create\":{\"status\":200}},"
                         "{\"delete\":{\"status\":404}}]}";
    struct fb_bulkresp_item a[3], b[3];
    struct fb_bulkresp ra, rb;
    char err[256];

    (void)state;
    memset(a, 'x', sizeof a);
    memset(b, 'y', sizeof b);
    assert_int_equal(parse_str(clean, a, 3, &ra, err, sizeof err), 0);
    assert_int_equal(parse_str(spaced, b, 3, &rb, err, sizeof err), 0);
    assert_int_equal(ra.nitems, 3);
    assert_int_equal(ra.nfailed, 0);
    assert_false(ra.errors);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(a[i].status, b[i].status);
        assert_int_equal(a[i].failed, b[i].failed);
        assert_string_equal(a[i].op, b[i].op);
        assert_string_equal(a[i].type, "");
        assert_string_equal(a[i].reason, "");
    }
    assert_string_equal(a[1].op, "create");
    assert_int_equal(a[2].status, 404);
    assert_int_equal(fb_bulkresp_classify(&a[2]), FB_ITEM_OK);

    /* One item more or fewer than sent: the full parser's error. */
    assert_int_equal(parse_str(clean, a, 2, &ra, err, sizeof err), -1);
    assert_string_equal(err, "response has 3 items, 2 were sent");
    assert_int_equal(parse_str(clean, a, 4, &ra, err, sizeof err), -1);
    assert_string_equal(err, "response has 3 items, 4 were sent");
    /* Trailing bytes, a cut body, a four-digit status: not accepted. */
    assert_int_equal(parse_str("{\"errors\":false,\"items\":[{\"index\":{"
                               "\"status\":201}}]}x",
                               a, 1, &ra, err, sizeof err),
                     -1);
    assert_int_equal(parse_str("{\"errors\":false,\"items\":[{\"index\":{"
                               "\"status\":201}}",
                               a, 1, &ra, err, sizeof err),
                     -1);
    assert_int_equal(parse_str("{\"errors\":false,\"items\":[{\"index\":{"
                               "\"status\":2010}}]}",
                               a, 1, &ra, err, sizeof err),
                     -1);
    assert_int_equal(parse_str("{\"errors\":false,\"items\":[]}", a, 0, &ra,
                               err, sizeof err),
                     0);
}

static void
test_5000_items(void **state)
{
    enum { N = 5000 };
    size_t cap = (size_t)N * 400 + 256;
    char *body = malloc(cap);
    struct fb_bulkresp_item *items = calloc(N, sizeof *items);
    struct fb_bulkresp r;
    char err[256];
    size_t n = 0, i;
    int pretty;

    (void)state;
    assert_non_null(body);
    assert_non_null(items);
    for (pretty = 0; pretty < 2; pretty++) {
        const char *sep = pretty ? "\n    " : "";

        n = (size_t)snprintf(body, cap,
                             pretty ? "{\n  \"took\" : 31,\n  \"errors\" : "
                                      "true,\n  \"items\" : ["
                                    : "{\"errors\":true,\"took\":31,\"items\""
                                      ":[");
        for (i = 0; i < N; i++) {
            int st = i == 4321 ? 429 : 201;

            n += (size_t)snprintf(
                body + n, cap - n,
                "%s%s{\"index\":{\"_index\":\"flows-2026.11.27.03\",\"_id\":"
                "\"9f3c1a2b4d5e6f70-%zu\",%s\"_version\":1,\"result\":"
                "\"created\",\"_shards\":{\"total\":2,\"successful\":1,"
                "\"failed\":0},\"_seq_no\":%zu,\"_primary_term\":1,"
                "\"status\":%d%s}}",
                i == 0 ? "" : ",", sep, i * 126, sep, i, st,
                st == 429 ? ",\"error\":{\"type\":\"es_rejected_execution_"
                            "exception\",\"reason\":\"busy\"}"
                          : "");
        }
        n += (size_t)snprintf(body + n, cap - n, "%s]}", sep);
        assert_true(n < cap);
        assert_int_equal(
            fb_bulkresp_parse(body, n, items, N, &r, err, sizeof err), 0);
        assert_int_equal(r.nitems, N);
        assert_int_equal(r.nfailed, 1);
        for (i = 0; i < N; i++) {
            assert_int_equal(items[i].status, i == 4321 ? 429 : 201);
            assert_int_equal(fb_bulkresp_classify(&items[i]),
                             i == 4321 ? FB_ITEM_RETRY : FB_ITEM_OK);
        }
        assert_int_equal(
            fb_bulkresp_parse(body, n, items, N - 1, &r, err, sizeof err), -1);
        assert_string_equal(err, "response has 5000 items, 4999 were sent");
    }
    free(body);
    free(items);
}

static void
test_classify(void **state)
{
    static const struct {
        const char *op;
        int status;
        bool failed;
        const char *type;
        enum fb_item_class cls;
    } cases[] = {
        {"index", 201, false, "", FB_ITEM_OK},
        {"index", 200, false, "", FB_ITEM_OK},
        {"create", 201, false, "", FB_ITEM_OK},
        {"index", 429, true, "es_rejected_execution_exception", FB_ITEM_RETRY},
        {"index", 429, true, "cluster_block_exception", FB_ITEM_RETRY},
        {"index", 503, true, "unavailable_shards_exception", FB_ITEM_RETRY},
        {"index", 502, true, "x", FB_ITEM_RETRY},
        {"index", 504, true, "x", FB_ITEM_RETRY},
        {"index", 500, true, "x", FB_ITEM_REJECT},
        {"create", 409, true, "version_conflict_engine_exception",
         FB_ITEM_EXISTS},
        {"index", 409, true, "version_conflict_engine_exception",
         FB_ITEM_REJECT},
        {"delete", 404, false, "", FB_ITEM_OK},
        {"update", 404, true, "document_missing_exception", FB_ITEM_REJECT},
        {"index", 404, true, "index_not_found_exception", FB_ITEM_REJECT},
        {"index", 400, true, "mapper_parsing_exception", FB_ITEM_REJECT},
        {"index", 403, true, "cluster_block_exception", FB_ITEM_REJECT},
        {"index", 0, true, "rejected_execution_exception", FB_ITEM_RETRY},
        {"index", 0, true, "mapper_parsing_exception", FB_ITEM_REJECT},
        {"index", 0, false, "", FB_ITEM_OK},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fb_bulkresp_item it;

        memset(&it, 0, sizeof it);
        snprintf(it.op, sizeof it.op, "%s", cases[i].op);
        it.status = cases[i].status;
        it.failed = cases[i].failed;
        snprintf(it.type, sizeof it.type, "%s", cases[i].type);
        if (fb_bulkresp_classify(&it) != cases[i].cls)
            fail_msg("case %zu (%s %d)", i, cases[i].op, cases[i].status);
    }
    assert_int_equal(fb_bulkresp_request_class(200), FB_REQ_OK);
    assert_int_equal(fb_bulkresp_request_class(201), FB_REQ_OK);
    assert_int_equal(fb_bulkresp_request_class(413), FB_REQ_SPLIT);
    assert_int_equal(fb_bulkresp_request_class(429), FB_REQ_RETRY);
    assert_int_equal(fb_bulkresp_request_class(408), FB_REQ_RETRY);
    assert_int_equal(fb_bulkresp_request_class(500), FB_REQ_RETRY);
    assert_int_equal(fb_bulkresp_request_class(502), FB_REQ_RETRY);
    assert_int_equal(fb_bulkresp_request_class(503), FB_REQ_RETRY);
    assert_int_equal(fb_bulkresp_request_class(504), FB_REQ_RETRY);
    assert_int_equal(fb_bulkresp_request_class(0), FB_REQ_RETRY);
    assert_int_equal(fb_bulkresp_request_class(501), FB_REQ_FATAL);
    assert_int_equal(fb_bulkresp_request_class(400), FB_REQ_FATAL);
    assert_int_equal(fb_bulkresp_request_class(401), FB_REQ_FATAL);
    assert_int_equal(fb_bulkresp_request_class(403), FB_REQ_FATAL);
    assert_int_equal(fb_bulkresp_request_class(404), FB_REQ_FATAL);
    assert_int_equal(fb_bulkresp_request_class(406), FB_REQ_FATAL);
    assert_int_equal(fb_bulkresp_request_class(301), FB_REQ_FATAL);
}

static void
describe_fixture(const char *name, size_t cap, const char *want)
{
    size_t len = 0;
    char *body = load(name, &len);
    char out[1024];

    assert_true(cap <= sizeof out);
    assert_ptr_equal(fb_bulkresp_describe_error(body, len, out, cap), out);
    assert_string_equal(out, want);
    free(body);
}

static void
test_describe_fixtures(void **state)
{
    (void)state;
    describe_fixture("error-400-bulk-not-newline-terminated.es7.json", 512,
                     "illegal_argument_exception: The bulk request must be "
                     "terminated by a newline [\\n]");
    describe_fixture("error-400-resource-already-exists.es7.json", 512,
                     "resource_already_exists_exception: index "
                     "[test_default_catalog_product_testindices/"
                     "acDKK2pQQseoc5nuMgylpw] already exists");
    describe_fixture("error-401-security-exception.es7.json", 512,
                     "security_exception: missing authentication credentials "
                     "for REST request [/]");
    describe_fixture(
        "error-403-security-exception-bulk.es8.json", 512,
        "security_exception: action [indices:data/write/bulk] is "
        "unauthorized for user [logstash_collector] with effective roles "
        "[remote_monitoring_collector] (assigned roles "
        "[create,create_doc,delete,index,write] were not found), this "
        "action is granted by the index privileges "
        "[create_doc,create,delete,index,write,all]");
    describe_fixture("error-404-index-not-found.es8-go-client-fixture.json",
                     512, "index_not_found_exception: no such index [foo]");
    describe_fixture("error-406-content-type-not-supported.es6.json", 512,
                     "Content-Type header [application/x-www-form-urlencoded] "
                     "is not supported");
    describe_fixture("error-413-request-size-exceeded.aws-proxy.json", 512,
                     "Request size exceeded 10485760 bytes");
    describe_fixture("error-429-circuit-breaking-exception.es7.json", 64,
                     "circuit_breaking_exception: [parent] Data too large, "
                     "data fo...");
    describe_fixture(
        "error-429-es-rejected-execution-indexing-pressure.es7.json", 512,
        "es_rejected_execution_exception: rejected execution of "
        "coordinating operation [coordinating_and_primary_bytes=95396333, "
        "replica_bytes=0, all_bytes=95396333, "
        "coordinating_operation_bytes=22949230, "
        "max_coordinating_and_primary_bytes=107374182]");
    describe_fixture(
        "error-429-rejected-execution-shard-indexing-pressure.opensearch.json",
        100,
        "rejected_execution_exception: rejected execution of coordinating "
        "operation [shard_detail=[produc...");
}

static void
describe(const char *body, size_t cap, const char *want)
{
    char out[512];

    fb_bulkresp_describe_error(body, strlen(body), out, cap);
    assert_string_equal(out, want);
}

static void
test_describe_other_bodies(void **state)
{
    (void)state;
    describe("", 128, "empty response body");
    describe(" \r\n", 128, "empty response body");
    /* Found by fuzz_bulkresp: an empty message must not give "". */
    describe("{\"Message\":\"\"}", 128, "{\"Message\":\"\"}");
    describe("Unauthorized", 128, "Unauthorized");
    describe("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
             "<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
             "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
             128, "502 Bad Gateway");
    describe("<HTML><BODY><H1>Gateway   Timeout</H1>\n<p>upstream\ttimed "
             "out</p></BODY></HTML>",
             128, "Gateway Timeout upstream timed out");
    describe("{\"error\":\"no handler found for uri [/a/b/_bulk] and method "
             "[POST]\"}",
             128, "no handler found for uri [/a/b/_bulk] and method [POST]");
    describe("{\"error\":{\"type\":\"x_exception\",\"reason\":null},"
             "\"status\":500}",
             128, "x_exception");
    describe("{\"message\":\"Forbidden\"}", 128, "Forbidden");
    /* JSON of no known shape, and broken JSON: shown as text. */
    describe("{\"ok\":false}", 128, "{\"ok\":false}");
    describe("{\"error\":{\"type\":\"a\",", 128, "{\"error\":{\"type\":\"a\",");
    describe("bad \x01\xff bytes", 128, "bad ?? bytes");
    describe("Unauthorized", 8, "Unau...");
    describe("Unauthorized", 1, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_mapper_parsing),
        cmocka_unit_test(test_fixture_409),
        cmocka_unit_test(test_fixture_filter_path_error_only),
        cmocka_unit_test(test_fixture_429),
        cmocka_unit_test(test_fixture_document_parsing),
        cmocka_unit_test(test_fixture_successes),
        cmocka_unit_test(test_fixture_document_missing),
        cmocka_unit_test(test_filtered_body),
        cmocka_unit_test(test_long_reason_cut),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_clean_fast_path),
        cmocka_unit_test(test_5000_items),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_describe_fixtures),
        cmocka_unit_test(test_describe_other_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
