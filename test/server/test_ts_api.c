/*
 * test_ts_api.c
 *    Unit tests of es-test-server's semantics layer: ts_api_handle() is
 *    called directly (no HTTP) and every status and body is checked
 *    exactly, per mode.
 */
/* memmem(3) */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apitest.h"
#include "ts_docsum.h"

static char *
read_fixture(const char *name)
{
    char path[512];
    FILE *f;
    long n;
    char *buf;

    snprintf(path, sizeof(path), "%s/%s", TS_FIXTURE_DIR, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

/* ---- docsum ---- */

static void
test_docsum_vectors(void **unused)
{
    const char *s = "Nobody inspects the spammish repetition";

    (void)unused;
    assert_true(ts_xxh64("", 0, 0) == UINT64_C(0xef46db3751d8e999));
    assert_true(ts_xxh64("abc", 3, 0) == UINT64_C(0x44bc2cf5ad770999));
    assert_true(ts_xxh64(s, strlen(s), 0) == UINT64_C(0xfbcea83c8a378bf1));
    assert_true(ts_docsum("1", 1, "{}", 2) != ts_docsum("2", 1, "{}", 2));
    assert_true(ts_docsum("", 0, "{}", 2) ==
                ts_docsum_mix(ts_xxh64("{}", 2, 0), ts_xxh64("", 0, 1)));
    assert_true(ts_docsum_mix(0, 0) == 0);
    assert_true(ts_docsum_mix(1, 0) == ts_docsum_mix(0, 1));
    assert_true(ts_docsum_mix(1, 0) != 1);
}

/* ---- info and routes ---- */

static void
test_info_modes(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_OPENSEARCH);
    struct apitest_reply r;

    (void)unused;
    r = call(st, "GET", "/", NULL, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "  \"version\" : {\n    \"distribution\" "
                                   ": \"opensearch\",\n    \"number\" : \"2."));
    assert_null(strstr(r.body, "build_flavor"));
    assert_int_equal(r.body[strlen(r.body) - 1], '\n');
    assert_false(r.product);
    assert_string_equal(r.content_type, "application/json; charset=UTF-8");
    apitest_reply_free(&r);
    ts_state_free(st);

    st = new_state(TS_MODE_ES8);
    r = call(st, "GET", "/", NULL, NULL, NULL, 0);
    assert_non_null(strstr(r.body, "\"number\" : \"8."));
    assert_non_null(strstr(r.body, "\"build_flavor\" : \"default\""));
    assert_true(r.product);
    assert_string_equal(r.content_type, "application/json;charset=utf-8");
    apitest_reply_free(&r);
    ts_state_free(st);

    st = new_state(TS_MODE_ES7);
    r = call(st, "GET", "/", NULL, NULL, NULL, 0);
    assert_non_null(strstr(r.body, "\"number\" : \"7.17."));
    apitest_reply_free(&r);
    ts_state_free(st);
}

static void
test_route_errors(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);
    struct apitest_reply r;

    (void)unused;
    r = call(st, "GET", "/_bulk", NULL, NULL, NULL, 0);
    assert_string_equal(r.allow, "POST,PUT");
    expect(r, 405,
           "{\"error\":\"Incorrect HTTP method for uri [/_bulk] and method "
           "[GET], allowed: [POST, PUT]\",\"status\":405}");
    expect(call(st, "GET", "/_nope", NULL, NULL, NULL, 0), 400,
           "{\"error\":\"no handler found for uri [/_nope] and method "
           "[GET]\"}");
    /* es8 has no typed bulk route */
    expect(bulk(st, "/i/t/_bulk", NULL, "{\"index\":{}}\n{}\n"), 400,
           "{\"error\":\"no handler found for uri [/i/t/_bulk] and method "
           "[POST]\"}");
    expect(call(st, "POST", "/_bulk", NULL, "application/x-www-form-urlencoded",
                "x\n", 2),
           406,
           "{\"error\":\"Content-Type header "
           "[application/x-www-form-urlencoded] is not supported\","
           "\"status\":406}");
    expect(call(st, "POST", "/_bulk", NULL, NULL, "x\n", 2), 406,
           "{\"error\":\"Content-Type header is missing\",\"status\":406}");
    expect(call(st, "POST", "/_bulk", NULL, "application/json", "", 0), 400,
           "{\"error\":{\"root_cause\":[{\"type\":\"parse_exception\","
           "\"reason\":\"request body is required\"}],\"type\":"
           "\"parse_exception\",\"reason\":\"request body is required\"},"
           "\"status\":400}");
    expect(bulk(st, "/_bulk", "foo=1", "{\"index\":{}}\n{}\n"), 400,
           "{\"error\":{\"root_cause\":[{\"type\":"
           "\"illegal_argument_exception\",\"reason\":\"request [/_bulk] "
           "contains unrecognized parameter: [foo]\"}],\"type\":"
           "\"illegal_argument_exception\",\"reason\":\"request [/_bulk] "
           "contains unrecognized parameter: [foo]\"},\"status\":400}");
    /* charset parameters and the compatible-with type are accepted */
    r = call(st, "POST", "/i/_bulk", NULL,
             "application/vnd.elasticsearch+x-ndjson; compatible-with=8",
             "{\"index\":{}}\n{}\n", 16);
    assert_int_equal(r.status, 200);
    apitest_reply_free(&r);
    r = call(st, "POST", "/i/_bulk", NULL, "application/json; charset=UTF-8",
             "{\"index\":{}}\n{}\n", 16);
    assert_int_equal(r.status, 200);
    apitest_reply_free(&r);
    ts_state_free(st);
}

static void
test_newline_fixture(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES7);
    char *want = read_fixture("error-400-bulk-not-newline-terminated.es7.json");

    (void)unused;
    expect(bulk(st, "/_bulk", NULL, "{\"index\":{\"_index\":\"a\"}}\n{}"), 400,
           want);
    free(want);
    ts_state_free(st);
}

static void
test_action_line_errors(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);
    static const struct {
        const char *body;
        const char *reason;
    } cases[] = {
        {"{\"upsert\":{}}\n{}\n",
         "Malformed action/metadata line [1], expected field [create], "
         "[delete], [index] or [update] but found [upsert]"},
        {"\n{\"index\":{\"_foo\":1}}\n{}\n",
         "Action/metadata line [2] contains an unknown parameter [_foo]"},
        {"\"x\"\n", "Malformed action/metadata line [1], expected "
                    "START_OBJECT but found [VALUE_STRING]"},
        {"{}\n", "Malformed action/metadata line [1], expected FIELD_NAME "
                 "but found [END_OBJECT]"},
        {"{\"index\":{\"_id\":[1]}}\n{}\n",
         "Malformed action/metadata line [1], expected a simple value for "
         "field [_id] but found [START_ARRAY]"},
        {"{\"index\":{\"_index\":\"a\",\"_type\":\"_doc\"}}\n{}\n",
         "Action/metadata line [1] contains an unknown parameter [_type]"},
        {"{\"delete\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"a\":{}}\n",
         "Malformed action/metadata line [2], expected field [create], "
         "[delete], [index] or [update] but found [a]"},
        {"{\"delete\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"a\":1}\n",
         "Malformed action/metadata line [2], expected START_OBJECT or "
         "END_OBJECT but found [VALUE_NUMBER_INT]"},
    };
    size_t i;
    char want[1024];

    (void)unused;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(want, sizeof(want),
                 "{\"error\":{\"root_cause\":[{\"type\":"
                 "\"illegal_argument_exception\",\"reason\":\"%s\"}],"
                 "\"type\":\"illegal_argument_exception\",\"reason\":"
                 "\"%s\"},\"status\":400}",
                 cases[i].reason, cases[i].reason);
        expect(bulk(st, "/_bulk", NULL, cases[i].body), 400, want);
    }
    ts_state_free(st);

    /* es7 accepts _type */
    st = new_state(TS_MODE_ES7);
    {
        struct apitest_reply r = bulk(st, "/_bulk", NULL,
                                      "{\"index\":{\"_index\":\"a\",\"_type\":"
                                      "\"_doc\",\"_id\":\"1\"}}\n{}\n");

        assert_int_equal(r.status, 200);
        apitest_reply_free(&r);
    }
    ts_state_free(st);
}

static void
test_validation(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);
    char longid[600];
    char body[800];

    (void)unused;
    expect(bulk(st, "/_bulk", NULL,
                "{\"index\":{}}\n{}\n{\"delete\":{\"_index\":\"a\"}}\n"),
           400,
           "{\"error\":{\"root_cause\":[{\"type\":"
           "\"action_request_validation_exception\",\"reason\":\"Validation "
           "Failed: 1: index is missing;2: id is missing;\"}],\"type\":"
           "\"action_request_validation_exception\",\"reason\":\"Validation "
           "Failed: 1: index is missing;2: id is missing;\"},\"status\":400}");
    /* a last action without source is dropped: nothing left */
    expect(bulk(st, "/a/_bulk", NULL, "\n{\"index\":{}}\n"), 400,
           "{\"error\":{\"root_cause\":[{\"type\":"
           "\"action_request_validation_exception\",\"reason\":\"Validation "
           "Failed: 1: no requests added;\"}],\"type\":"
           "\"action_request_validation_exception\",\"reason\":\"Validation "
           "Failed: 1: no requests added;\"},\"status\":400}");
    memset(longid, 'x', 513);
    longid[513] = 0;
    snprintf(body, sizeof(body), "{\"index\":{\"_id\":\"%s\"}}\n{}\n", longid);
    {
        struct apitest_reply r = bulk(st, "/a/_bulk", NULL, body);

        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, "is too long, must be no longer than "
                                       "512 bytes but was: 513;"));
        apitest_reply_free(&r);
    }
    ts_state_free(st);
}

/* ---- items and key orders ---- */

static void
test_items_es8(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);
    struct apitest_reply r;
    char uuid[23];
    char want[4096];

    (void)unused;
    r = bulk(st, "/_bulk", NULL,
             "{\"index\":{\"_index\":\"test\",\"_id\":\"1\"}}\r\n"
             "{\"a\":1}\r\n"
             "{\"delete\":{\"_index\":\"test\",\"_id\":\"2\"}}\n"
             "\n"
             "{\"create\":{\"_index\":\"test\",\"_id\":\"1\"}}\n"
             "{\"a\":2}\n"
             "{\"update\":{\"_index\":\"test\",\"_id\":\"1\"}}\n"
             "{\"doc\":{\"a\":3}}\n"
             "{\"update\":{\"_index\":\"test\",\"_id\":\"5\"}}\n"
             "{\"doc\":{\"a\":3}}\n"
             "{\"update\":{\"_index\":\"test\",\"_id\":\"6\"}}\n"
             "{\"doc\":{\"a\":3},\"doc_as_upsert\":true}\n"
             "{\"delete\":{\"_index\":\"test\",\"_id\":\"1\"}}\n");
    get_uuid(st, "test", uuid);
    snprintf(
        want, sizeof(want),
        "{\"errors\":true,\"took\":0,\"items\":["
        "{\"index\":{\"_index\":\"test\",\"_id\":\"1\",\"_version\":1,"
        "\"result\":\"created\",\"_shards\":{\"total\":2,\"successful\":1,"
        "\"failed\":0},\"_seq_no\":0,\"_primary_term\":1,\"status\":201}},"
        "{\"delete\":{\"_index\":\"test\",\"_id\":\"2\",\"_version\":1,"
        "\"result\":\"not_found\",\"_shards\":{\"total\":2,\"successful\":1,"
        "\"failed\":0},\"_seq_no\":1,\"_primary_term\":1,\"status\":404}},"
        "{\"create\":{\"_index\":\"test\",\"_id\":\"1\",\"status\":409,"
        "\"error\":{\"type\":\"version_conflict_engine_exception\","
        "\"reason\":\"[1]: version conflict, document already exists "
        "(current version [1])\",\"index_uuid\":\"%s\",\"shard\":\"0\","
        "\"index\":\"test\"}}},"
        "{\"update\":{\"_index\":\"test\",\"_id\":\"1\",\"_version\":2,"
        "\"result\":\"updated\",\"_shards\":{\"total\":2,\"successful\":1,"
        "\"failed\":0},\"_seq_no\":2,\"_primary_term\":1,\"status\":200}},"
        "{\"update\":{\"_index\":\"test\",\"_id\":\"5\",\"status\":404,"
        "\"error\":{\"type\":\"document_missing_exception\",\"reason\":"
        "\"[5]: document missing\",\"index_uuid\":\"%s\",\"shard\":\"0\","
        "\"index\":\"test\"}}},"
        "{\"update\":{\"_index\":\"test\",\"_id\":\"6\",\"_version\":1,"
        "\"result\":\"created\",\"_shards\":{\"total\":2,\"successful\":1,"
        "\"failed\":0},\"_seq_no\":3,\"_primary_term\":1,\"status\":201}},"
        "{\"delete\":{\"_index\":\"test\",\"_id\":\"1\",\"_version\":3,"
        "\"result\":\"deleted\",\"_shards\":{\"total\":2,\"successful\":1,"
        "\"failed\":0},\"_seq_no\":4,\"_primary_term\":1,\"status\":200}}"
        "]}",
        uuid, uuid);
    expect(r, 200, want);
    /* a delete of a missing doc alone is not an error */
    expect(bulk(st, "/test/_bulk", NULL, "{\"delete\":{\"_id\":\"9\"}}\n"), 200,
           "{\"errors\":false,\"took\":0,\"items\":[{\"delete\":{\"_index\":"
           "\"test\",\"_id\":\"9\",\"_version\":1,\"result\":\"not_found\","
           "\"_shards\":{\"total\":2,\"successful\":1,\"failed\":0},"
           "\"_seq_no\":5,\"_primary_term\":1,\"status\":404}}]}");
    ts_state_free(st);
}

static void
test_items_es7_opensearch(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES7);
    char uuid[23];
    char want[2048];
    struct apitest_reply r;

    (void)unused;
    expect(
        bulk(st, "/test/_doc/_bulk", NULL, "{\"index\":{\"_id\":\"1\"}}\n{}\n"),
        200,
        "{\"took\":0,\"errors\":false,\"items\":[{\"index\":{\"_index\":"
        "\"test\",\"_type\":\"_doc\",\"_id\":\"1\",\"_version\":1,"
        "\"result\":\"created\",\"_shards\":{\"total\":2,\"successful\":1,"
        "\"failed\":0},\"_seq_no\":0,\"_primary_term\":1,\"status\":201}}"
        "]}");
    r = bulk(st, "/test/_bulk", NULL,
             "{\"update\":{\"_id\":\"7\"}}\n{\"doc\":{}}\n");
    get_uuid(st, "test", uuid);
    snprintf(want, sizeof(want),
             "{\"took\":0,\"errors\":true,\"items\":[{\"update\":{\"_index\":"
             "\"test\",\"_type\":\"_doc\",\"_id\":\"7\",\"status\":404,"
             "\"error\":{\"type\":\"document_missing_exception\",\"reason\":"
             "\"[_doc][7]: document missing\",\"index_uuid\":\"%s\","
             "\"shard\":\"0\",\"index\":\"test\"}}}]}",
             uuid);
    expect(r, 200, want);
    ts_state_free(st);

    st = new_state(TS_MODE_OPENSEARCH);
    r = bulk(st, "/test/_bulk", NULL, "{\"index\":{\"_id\":\"123\"}}\n{}\n");
    assert_false(r.product);
    apitest_reply_free(&r);
    expect(bulk(st, "/test/_bulk", NULL,
                "{\"index\":{\"_id\":\"123\"}}\n{\"x\":1}\n"),
           200,
           "{\"took\":0,\"errors\":false,\"items\":[{\"index\":{\"_index\":"
           "\"test\",\"_id\":\"123\",\"_version\":2,\"result\":\"updated\","
           "\"_shards\":{\"total\":2,\"successful\":1,\"failed\":0},"
           "\"_seq_no\":1,\"_primary_term\":1,\"status\":200}}]}");
    ts_state_free(st);
}

static void
test_auto_id_and_names(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);
    struct apitest_reply r;
    const char *p;
    char id1[21];
    size_t i;

    (void)unused;
    r = bulk(st, "/a/_bulk", NULL, "{\"index\":{}}\n{}\n{\"create\":{}}\n{}\n");
    p = strstr(r.body, "\"_id\":\"");
    assert_non_null(p);
    memcpy(id1, p + 7, 20);
    id1[20] = 0;
    assert_int_equal(p[27], '"');
    for (i = 0; i < 20; i++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
                               "rstuvwxyz0123456789-_",
                               id1[i]));
    p = strstr(p + 28, "\"_id\":\"");
    assert_non_null(p);
    assert_memory_not_equal(p + 7, id1, 20);
    assert_null(strstr(r.body, "\"errors\":true"));
    apitest_reply_free(&r);
    expect(bulk(st, "/_bulk", NULL,
                "{\"index\":{\"_index\":\"Bad\",\"_id\":\"1\"}}\n{}\n"
                "{\"index\":{\"_index\":\"_x\",\"_id\":\"2\"}}\n{}\n"),
           200,
           "{\"errors\":true,\"took\":0,\"items\":[{\"index\":{\"_index\":"
           "\"Bad\",\"_id\":\"1\",\"status\":400,\"error\":{\"type\":"
           "\"invalid_index_name_exception\",\"reason\":\"Invalid index name "
           "[Bad], must be lowercase\",\"index_uuid\":\"_na_\",\"index\":"
           "\"Bad\"}}},{\"index\":{\"_index\":\"_x\",\"_id\":\"2\","
           "\"status\":400,\"error\":{\"type\":"
           "\"invalid_index_name_exception\",\"reason\":\"Invalid index name "
           "[_x], must not start with '_', '-', or '+'\",\"index_uuid\":"
           "\"_na_\",\"index\":\"_x\"}}}]}");
    ts_state_free(st);
}

static void
test_source_errors(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES7);

    (void)unused;
    expect(
        bulk(st, "/a/_bulk", NULL, "{\"index\":{\"_id\":\"1\"}}\n{\"a\":}\n"),
        200,
        "{\"took\":0,\"errors\":true,\"items\":[{\"index\":{\"_index\":"
        "\"a\",\"_type\":\"_doc\",\"_id\":\"1\",\"status\":400,\"error\":"
        "{\"type\":\"mapper_parsing_exception\",\"reason\":\"failed to "
        "parse\",\"caused_by\":{\"type\":\"json_parse_exception\","
        "\"reason\":\"Unexpected character ('}' (code 125)): expected a "
        "valid value (JSON String, Number, Array, Object or token 'null', "
        "'true' or 'false')\\n at [Source: (byte[])\\\"{\\\"a\\\":}\\\"; "
        "line: 1, column: 6]\"}}}}]}");
    ts_state_free(st);

    st = new_state(TS_MODE_ES8);
    expect(
        bulk(st, "/a/_bulk", NULL, "{\"index\":{\"_id\":\"1\"}}\n{\"a\":}\n"),
        200,
        "{\"errors\":true,\"took\":0,\"items\":[{\"index\":{\"_index\":"
        "\"a\",\"_id\":\"1\",\"status\":400,\"error\":{\"type\":"
        "\"document_parsing_exception\",\"reason\":\"[1:6] failed to "
        "parse\",\"caused_by\":{\"type\":\"x_content_parse_exception\","
        "\"reason\":\"[1:6] Unexpected character ('}' (code 125)): "
        "expected a valid value (JSON String, Number, Array, Object or "
        "token 'null', 'true' or 'false')\"}}}}]}");
    expect(bulk(st, "/a/_bulk", NULL,
                "{\"create\":{\"_id\":\"d1\"}}\n{\"_id\":\"x\"}\n"),
           200,
           "{\"errors\":true,\"took\":0,\"items\":[{\"create\":{\"_index\":"
           "\"a\",\"_id\":\"d1\",\"status\":400,\"error\":{\"type\":"
           "\"document_parsing_exception\",\"reason\":\"[1:8] failed to "
           "parse field [_id] of type [_id] in document with id 'd1'. "
           "Preview of field's value: 'x'\",\"caused_by\":{\"type\":"
           "\"document_parsing_exception\",\"reason\":\"[1:8] Field [_id] is "
           "a metadata field and cannot be added inside a document. Use the "
           "index API request parameters.\"}}}}]}");
    ts_state_free(st);
}

/* One-doc bulk into index m; returns the item status. */
static int
one_doc(struct ts_state *st, const char *id, const char *doc, char **body)
{
    char buf[1024];
    struct apitest_reply r;
    const char *p;
    int status;

    snprintf(buf, sizeof(buf), "{\"index\":{\"_id\":\"%s\"}}\n%s\n", id, doc);
    r = bulk(st, "/m/_bulk", NULL, buf);
    assert_int_equal(r.status, 200);
    p = strstr(r.body, "\"status\":");
    assert_non_null(p);
    status = (int)strtol(p + 9, NULL, 10);
    if (body != NULL)
        *body = r.body;
    else
        apitest_reply_free(&r);
    return status;
}

static void
expect_item_error(struct ts_state *st, const char *id, const char *doc,
                  const char *error)
{
    char *body = NULL;
    const char *p;

    assert_int_equal(one_doc(st, id, doc, &body), 400);
    p = strstr(body, "\"error\":");
    assert_non_null(p);
    if (strncmp(p + 8, error, strlen(error)) != 0 ||
        strcmp(p + 8 + strlen(error), "}}]}") != 0)
        print_error("got %s\nwant %s\n", p + 8, error);
    assert_memory_equal(p + 8, error, strlen(error));
    assert_string_equal(p + 8 + strlen(error), "}}]}");
    free(body);
}

static void
test_mapping(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES7);
    struct ts_config cf;

    (void)unused;
    assert_int_equal(
        one_doc(st, "1",
                "{\"n\":1,\"s\":\"x\",\"t\":\"2026-11-27T03:00:00.123Z\","
                "\"o\":{\"a\":1},\"f\":1.5,\"b\":true,\"z\":null}",
                NULL),
        201);
    assert_int_equal(one_doc(st, "2", "{\"n\":\"12\",\"f\":\"3\"}", NULL), 201);
    assert_int_equal(
        one_doc(st, "3", "{\"n\":2.5,\"s\":5,\"b\":\"false\"}", NULL), 201);
    assert_int_equal(one_doc(st, "4", "{\"t\":1700000000000,\"s\":true}", NULL),
                     201);
    expect_item_error(st, "x", "{\"n\":\"abc\"}",
                      "{\"type\":\"mapper_parsing_exception\",\"reason\":"
                      "\"failed to parse field [n] of type [long] in document "
                      "with id 'x'. Preview of field's value: 'abc'\","
                      "\"caused_by\":{\"type\":\"illegal_argument_exception\","
                      "\"reason\":\"For input string: \\\"abc\\\"\"}}");
    expect_item_error(st, "y", "{\"o\":5}",
                      "{\"type\":\"mapper_parsing_exception\",\"reason\":"
                      "\"object mapping for [o] tried to parse field [o] as "
                      "object, but found a concrete value\"}");
    expect_item_error(st, "z", "{\"o\":{\"a\":\"zz\"}}",
                      "{\"type\":\"mapper_parsing_exception\",\"reason\":"
                      "\"failed to parse field [o.a] of type [long] in "
                      "document with id 'z'. Preview of field's value: "
                      "'zz'\",\"caused_by\":{\"type\":"
                      "\"illegal_argument_exception\",\"reason\":\"For input "
                      "string: \\\"zz\\\"\"}}");
    expect_item_error(st, "d", "{\"t\":\"notadate\"}",
                      "{\"type\":\"mapper_parsing_exception\",\"reason\":"
                      "\"failed to parse field [t] of type [date] in "
                      "document with id 'd'. Preview of field's value: "
                      "'notadate'\",\"caused_by\":{\"type\":"
                      "\"illegal_argument_exception\",\"reason\":\"failed to "
                      "parse date field [notadate] with format "
                      "[strict_date_optional_time||epoch_millis]\","
                      "\"caused_by\":{\"type\":\"date_time_parse_exception\","
                      "\"reason\":\"Failed to parse with all enclosed "
                      "parsers\"}}}");
    expect_item_error(st, "b", "{\"b\":\"yes\"}",
                      "{\"type\":\"mapper_parsing_exception\",\"reason\":"
                      "\"failed to parse field [b] of type [boolean] in "
                      "document with id 'b'. Preview of field's value: "
                      "'yes'\",\"caused_by\":{\"type\":"
                      "\"illegal_argument_exception\",\"reason\":\"Failed to "
                      "parse value [yes] as only [true] or [false] are "
                      "allowed.\"}}");
    expect_item_error(st, "f", "{\"f\":\"1.5x\"}",
                      "{\"type\":\"mapper_parsing_exception\",\"reason\":"
                      "\"failed to parse field [f] of type [float] in "
                      "document with id 'f'. Preview of field's value: "
                      "'1.5x'\",\"caused_by\":{\"type\":"
                      "\"illegal_argument_exception\",\"reason\":\"For input "
                      "string: \\\"1.5x\\\"\"}}");
    /* a failed document adds no mappings */
    assert_int_equal(one_doc(st, "5", "{\"new1\":1,\"n\":\"abc\"}", NULL), 400);
    assert_int_equal(one_doc(st, "6", "{\"new1\":\"text\"}", NULL), 201);
    ts_state_free(st);

    memset(&cf, 0, sizeof(cf));
    cf.mode = TS_MODE_ES8;
    cf.numeric_field = "bytes";
    st = ts_state_new(&cf);
    assert_non_null(st);
    expect_item_error(st, "q", "{\"bytes\":\"lots\"}",
                      "{\"type\":\"document_parsing_exception\",\"reason\":"
                      "\"[1:10] failed to parse field [bytes] of type [long] "
                      "in document with id 'q'. Preview of field's value: "
                      "'lots'\",\"caused_by\":{\"type\":"
                      "\"illegal_argument_exception\",\"reason\":\"For input "
                      "string: \\\"lots\\\"\"}}");
    assert_int_equal(one_doc(st, "r", "{\"bytes\":\"17\"}", NULL), 201);
    ts_state_free(st);
}

static void
test_filter_path(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES7);
    const char *two = "{\"index\":{\"_id\":\"1\"}}\n{}\n"
                      "{\"index\":{\"_id\":\"2\"}}\n{}\n";
    char uuid[23];
    char want[1024];

    (void)unused;
    expect(bulk(st, "/f/_bulk", "filter_path=errors,items.*.status", two), 200,
           "{\"errors\":false,\"items\":[{\"index\":{\"status\":201}},"
           "{\"index\":{\"status\":201}}]}");
    /* (the first call created 1 and 2; this overwrites them) */
    expect(bulk(st, "/f/_bulk", "filter_path=items.*.error", two), 200, "{}");
    expect(bulk(st, "/f/_bulk", "filter_path=took", two), 200, "{\"took\":0}");
    expect(bulk(st, "/f/_bulk", "filter_path=-items", two), 200,
           "{\"took\":0,\"errors\":false}");
    expect(bulk(st, "/f/_bulk", "filter_path=items.*._id,-items.*._type", two),
           200,
           "{\"items\":[{\"index\":{\"_id\":\"1\"}},{\"index\":{\"_id\":"
           "\"2\"}}]}");
    expect(bulk(st, "/f/_bulk", "filter_path=**.successful", two), 200,
           "{\"items\":[{\"index\":{\"_shards\":{\"successful\":1}}},"
           "{\"index\":{\"_shards\":{\"successful\":1}}}]}");
    get_uuid(st, "f", uuid);
    snprintf(want, sizeof(want),
             "{\"items\":[{\"create\":{\"error\":{\"type\":"
             "\"version_conflict_engine_exception\",\"reason\":\"[1]: version "
             "conflict, document already exists (current version [6])\","
             "\"index_uuid\":\"%s\",\"shard\":\"0\",\"index\":\"f\"}}}]}",
             uuid);
    expect(bulk(st, "/f/_bulk", "filter_path=items.*.error",
                "{\"create\":{\"_id\":\"1\"}}\n{}\n"
                "{\"create\":{\"_id\":\"3\"}}\n{}\n"),
           200, want);
    expect(bulk(st, "/f/_bulk",
                "filter_path=items.*.error.type,items.*.error.reason",
                "{\"create\":{\"_id\":\"1\"}}\n{}\n"),
           200,
           "{\"items\":[{\"create\":{\"error\":{\"type\":"
           "\"version_conflict_engine_exception\",\"reason\":\"[1]: version "
           "conflict, document already exists (current version [6])\"}}}]}");
    expect(call(st, "GET", "/f/_count", "filter_path=count", NULL, NULL, 0),
           200, "{\"count\":0}");
    ts_state_free(st);
}

/* Sends n index items with ids prefix0..; returns the response. */
static struct apitest_reply
n_docs(struct ts_state *st, const char *index, const char *prefix, int n,
       const char *doc)
{
    size_t cap = (size_t)n * (strlen(doc) + 64) + 1;
    char *body = malloc(cap);
    size_t len = 0;
    char path[300];
    struct apitest_reply r;
    int i;

    assert_non_null(body);
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(body + len, cap - len,
                                "{\"index\":{\"_id\":\"%s%d\"}}\n%s\n", prefix,
                                i, doc);
    snprintf(path, sizeof(path), "/%s/_bulk", index);
    r = call(st, "POST", path, NULL, "application/x-ndjson", body, len);
    free(body);
    return r;
}

static size_t
count_of(const char *hay, const char *needle)
{
    /* memmem with a shrinking length: ASan's strstr measures the whole
     * remaining string on every call, which made a 13 MB body take
     * minutes. */
    size_t len = strlen(hay), nlen = strlen(needle), n = 0;
    const char *end = hay + len;
    const char *p = hay;

    while ((p = memmem(p, (size_t)(end - p), needle, nlen)) != NULL) {
        n++;
        p++;
    }
    return n;
}

static void
test_faults(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);
    struct apitest_reply r;
    const char *f25 = "{\"item_429_rate\":0.25}";

    (void)unused;
    expect(call(st, "PUT", "/_test/faults", NULL, "application/json", f25,
                strlen(f25)),
           200, "{\"acknowledged\":true}");
    r = n_docs(st, "fa", "d", 100, "{\"v\":1}");
    assert_int_equal(r.status, 200);
    assert_int_equal(count_of(r.body, "\"status\":429"), 25);
    assert_int_equal(count_of(r.body, "\"status\":201"), 75);
    assert_int_equal(count_of(r.body, "\"type\":\"es_rejected_execution_"
                                      "exception\""),
                     25);
    assert_int_equal(count_of(r.body, "queue capacity = 10000"), 25);
    assert_non_null(strstr(r.body, "{\"errors\":true,"));
    apitest_reply_free(&r);
    r = call(st, "GET", "/_test/stats", NULL, NULL, NULL, 0);
    assert_non_null(strstr(r.body, "\"items\":{\"201\":75,\"429\":25}"));
    assert_non_null(strstr(r.body, "\"faults\":{\"item_429\":25,"
                                   "\"item_503\":0,\"request_429\":0,"
                                   "\"request_503\":0,\"drop\":0}"));
    assert_non_null(strstr(r.body, "\"fa\":{\"docs\":75,"));
    apitest_reply_free(&r);

    f25 = "{\"item_429_rate\":0,\"item_503_rate\":0.1,\"request_429_rate\":"
          "0.5}";
    expect(call(st, "PUT", "/_test/faults", NULL, "application/json", f25,
                strlen(f25)),
           200, "{\"acknowledged\":true}");
    r = n_docs(st, "fa", "e", 10, "{\"v\":1}");
    assert_int_equal(r.status, 200); /* 0.5: the first request passes */
    assert_int_equal(count_of(r.body, "\"status\":503"), 1);
    assert_int_equal(count_of(r.body, "\"type\":\"unavailable_shards_"
                                      "exception\",\"reason\":\"[fa][0] "
                                      "primary shard is not active"),
                     1);
    apitest_reply_free(&r);
    r = n_docs(st, "fa", "e", 10, "{\"v\":1}");
    assert_int_equal(r.status, 429);
    assert_non_null(strstr(r.body, "{\"error\":{\"root_cause\":[{\"type\":"
                                   "\"es_rejected_execution_exception\","
                                   "\"reason\":\"rejected execution of "
                                   "coordinating operation ["));
    assert_non_null(strstr(r.body, "\"status\":429}"));
    apitest_reply_free(&r);
    f25 = "{\"request_429_rate\":0,\"item_503_rate\":0,"
          "\"request_503_rate\":1}";
    r = call(st, "PUT", "/_test/faults", NULL, "application/json", f25,
             strlen(f25));
    apitest_reply_free(&r);
    expect(n_docs(st, "fa", "g", 3, "{}"), 503,
           "{\"error\":{\"root_cause\":[{\"type\":\"cluster_block_exception\","
           "\"reason\":\"blocked by: [SERVICE_UNAVAILABLE/2/no master];\"}],"
           "\"type\":\"cluster_block_exception\",\"reason\":\"blocked by: "
           "[SERVICE_UNAVAILABLE/2/no master];\"},\"status\":503}");
    r = call(st, "GET", "/_test/stats", NULL, NULL, NULL, 0);
    assert_non_null(strstr(r.body, "\"faults\":{\"item_429\":25,"
                                   "\"item_503\":1,\"request_429\":1,"
                                   "\"request_503\":1,\"drop\":0}"));
    assert_non_null(strstr(r.body, "\"fa\":{\"docs\":84,"));
    apitest_reply_free(&r);
    ts_state_free(st);

    st = new_state(TS_MODE_OPENSEARCH);
    f25 = "{\"item_429_rate\":1}";
    r = call(st, "PUT", "/_test/faults", NULL, "application/json", f25,
             strlen(f25));
    apitest_reply_free(&r);
    r = n_docs(st, "o", "d", 2, "{}");
    assert_int_equal(count_of(r.body, "\"type\":\"rejected_execution_"
                                      "exception\""),
                     2);
    apitest_reply_free(&r);
    ts_state_free(st);
}

/* PUT /_test/faults with body; its status. */
static int
put_faults(struct ts_state *st, const char *body)
{
    struct apitest_reply r = call(st, "PUT", "/_test/faults", NULL,
                                  "application/json", body, strlen(body));
    int status = r.status;

    apitest_reply_free(&r);
    return status;
}

/*
 * Sets faults, sends a one-document _bulk that must answer status, and
 * returns the Retry-After it carried (0: none).
 */
static uint32_t
retry_after_of(struct ts_state *st, const char *faults, int status)
{
    struct apitest_reply r;
    uint32_t secs;

    assert_int_equal(put_faults(st, faults), 200);
    r = bulk(st, "/_bulk", NULL, "{\"index\":{\"_index\":\"s\"}}\n{}\n");
    assert_int_equal(r.status, status);
    secs = r.retry_after_s;
    apitest_reply_free(&r);
    return secs;
}

static void
test_fault_settings(void **unused)
{
    static const char *const bad[] = {
        "{\"retry_after_s\":-1}",
        "{\"retry_after_s\":1.5}",
        "{\"retry_after_s\":2147483648}",
        "{\"retry_after_s\":\"7\"}",
        "{\"root_status\":200}",
        "{\"root_status\":402}",
        "{\"root_status\":500}",
        "{\"delay_ms\":4294967296}",
        "{\"retry_after\":7}",
        "{\"drop_rate\":1.5}",
        "{\"settings_denied\":2}",
    };
    struct ts_state *st = new_state(TS_MODE_ES8);
    struct apitest_reply r;
    char *want = NULL;

    (void)unused;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(put_faults(st, bad[i]), 400);
    r = call(st, "PUT", "/_test/faults", NULL, "application/json",
             "{\"root_status\":200}", 19);
    expect(r, 400,
           "{\"error\":{\"root_cause\":[{\"type\":\"illegal_argument_"
           "exception\",\"reason\":\"bad fault setting [root_status]\"}],"
           "\"type\":\"illegal_argument_exception\",\"reason\":\"bad fault "
           "setting [root_status]\"},\"status\":400}");
    /* a bad key changes nothing, not even the good keys beside it */
    assert_int_equal(
        put_faults(st, "{\"retry_after_s\":7,\"root_status\":402}"), 400);
    assert_int_equal(retry_after_of(st, "{\"request_503_rate\":1}", 503), 0);

    /* 503 carries it, as 429 does (over HTTP in test_es_server.c) */
    assert_int_equal(retry_after_of(st, "{\"retry_after_s\":2147483647}", 503),
                     2147483647u);
    /* whole-request 403, item 429s (in a 200) and success: none */
    assert_int_equal(retry_after_of(st,
                                    "{\"request_503_rate\":0,"
                                    "\"request_403_rate\":1}",
                                    403),
                     0);
    assert_int_equal(retry_after_of(st,
                                    "{\"request_403_rate\":0,"
                                    "\"item_429_rate\":1}",
                                    200),
                     0);
    assert_int_equal(retry_after_of(st, "{\"item_429_rate\":0}", 200), 0);

    /* root_status 401: --auth-file's answer to missing credentials */
    assert_int_equal(put_faults(st, "{\"root_status\":401}"), 200);
    want = read_fixture("error-401-security-exception.es7.json");
    expect(call(st, "GET", "/", NULL, NULL, NULL, 0), 401, want);
    free(want);
    /* the method is checked first, as ES's REST layer does */
    expect(call(st, "DELETE", "/", NULL, NULL, NULL, 0), 405,
           "{\"error\":\"Incorrect HTTP method for uri [/] and method "
           "[DELETE], allowed: [GET, HEAD]\",\"status\":405}");
    assert_int_equal(put_faults(st, "{\"root_status\":0}"), 200);
    r = call(st, "GET", "/", NULL, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    apitest_reply_free(&r);
    ts_state_free(st);
}

static void
test_accounting(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);
    const char *docs[3] = {"{\"v\":0}", "{\"v\":1}", "{\"v\":2}"};
    uint64_t sum = 0;
    uint64_t src = 0;
    char want[512];
    struct apitest_reply r;
    int i;

    (void)unused;
    for (int round = 0; round < 2; round++) {
        char body[512];
        size_t len = 0;

        for (i = 0; i < 3; i++)
            len += (size_t)snprintf(body + len, sizeof(body) - len,
                                    "{\"index\":{\"_id\":\"id%d\"}}\n%s\r\n", i,
                                    docs[i]);
        r = call(st, "POST", "/acc/_bulk", NULL, "application/json", body, len);
        assert_int_equal(r.status, 200);
        apitest_reply_free(&r);
    }
    for (i = 0; i < 3; i++) {
        char id[8];

        snprintf(id, sizeof(id), "id%d", i);
        sum += ts_docsum(id, strlen(id), docs[i], strlen(docs[i]));
        src += ts_docsum("", 0, docs[i], strlen(docs[i]));
    }
    snprintf(want, sizeof(want),
             "\"acc\":{\"docs\":3,\"checksum\":\"%016llx\","
             "\"source_checksum\":\"%016llx\",\"created\":3,\"updated\":3,"
             "\"deleted\":0,\"duplicates\":3}",
             (unsigned long long)sum, (unsigned long long)src);
    r = call(st, "GET", "/_test/stats", NULL, NULL, NULL, 0);
    if (strstr(r.body, want) == NULL)
        print_error("%s\n", r.body);
    assert_non_null(strstr(r.body, want));
    assert_non_null(strstr(r.body, "{\"requests\":3,\"bulk_requests\":2,"));
    assert_non_null(strstr(r.body, "\"responses\":{\"200\":3}"));
    apitest_reply_free(&r);

    /* a changed source replaces its contribution; a delete removes it */
    r = bulk(st, "/acc/_bulk", NULL,
             "{\"index\":{\"_id\":\"id0\"}}\n{\"v\":9}\n"
             "{\"delete\":{\"_id\":\"id1\"}}\n");
    apitest_reply_free(&r);
    sum -= ts_docsum("id0", 3, docs[0], strlen(docs[0]));
    sum += ts_docsum("id0", 3, "{\"v\":9}", 7);
    sum -= ts_docsum("id1", 3, docs[1], strlen(docs[1]));
    src -= ts_docsum("", 0, docs[0], strlen(docs[0]));
    src += ts_docsum("", 0, "{\"v\":9}", 7);
    src -= ts_docsum("", 0, docs[1], strlen(docs[1]));
    snprintf(want, sizeof(want),
             "\"acc\":{\"docs\":2,\"checksum\":\"%016llx\","
             "\"source_checksum\":\"%016llx\",\"created\":3,\"updated\":4,"
             "\"deleted\":1,\"duplicates\":4}",
             (unsigned long long)sum, (unsigned long long)src);
    r = call(st, "GET", "/_test/stats", NULL, NULL, NULL, 0);
    assert_non_null(strstr(r.body, want));
    apitest_reply_free(&r);
    expect(call(st, "POST", "/_test/reset", NULL, NULL, NULL, 0), 200,
           "{\"acknowledged\":true}");
    expect(call(st, "GET", "/_test/stats", NULL, NULL, NULL, 0), 200,
           "{\"requests\":1,\"bulk_requests\":0,\"bytes_received\":0,"
           "\"responses\":{\"200\":1},\"items\":{},\"faults\":{\"item_429\":"
           "0,\"item_503\":0,\"request_429\":0,\"request_503\":0,\"drop\":0},"
           "\"indices\":{}}");
    ts_state_free(st);
}

static void
test_index_apis(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES7);
    const char *set = "{\"index\":{\"refresh_interval\":\"-1\","
                      "\"number_of_replicas\":0}}";
    char uuid[23];
    char want[1024];
    struct apitest_reply r;

    (void)unused;
    expect(call(st, "PUT", "/books", NULL, NULL, NULL, 0), 200,
           "{\"acknowledged\":true,\"shards_acknowledged\":true,\"index\":"
           "\"books\"}");
    get_uuid(st, "books", uuid);
    snprintf(want, sizeof(want),
             "{\"error\":{\"root_cause\":[{\"type\":"
             "\"resource_already_exists_exception\",\"reason\":\"index "
             "[books/%s] already exists\",\"index_uuid\":\"%s\",\"index\":"
             "\"books\"}],\"type\":\"resource_already_exists_exception\","
             "\"reason\":\"index [books/%s] already exists\",\"index_uuid\":"
             "\"%s\",\"index\":\"books\"},\"status\":400}",
             uuid, uuid, uuid, uuid);
    expect(call(st, "PUT", "/books", NULL, NULL, NULL, 0), 400, want);
    expect(call(st, "HEAD", "/books", NULL, NULL, NULL, 0), 200, "");
    expect(call(st, "HEAD", "/nope", NULL, NULL, NULL, 0), 404, "");
    expect(call(st, "GET", "/nope/_count", NULL, NULL, NULL, 0), 404,
           "{\"error\":{\"root_cause\":[{\"type\":"
           "\"index_not_found_exception\",\"reason\":\"no such index "
           "[nope]\",\"resource.type\":\"index_or_alias\",\"resource.id\":"
           "\"nope\",\"index_uuid\":\"_na_\",\"index\":\"nope\"}],\"type\":"
           "\"index_not_found_exception\",\"reason\":\"no such index "
           "[nope]\",\"resource.type\":\"index_or_alias\",\"resource.id\":"
           "\"nope\",\"index_uuid\":\"_na_\",\"index\":\"nope\"},\"status\":"
           "404}");
    expect(call(st, "PUT", "/books/_settings", NULL, "application/json", set,
                strlen(set)),
           200, "{\"acknowledged\":true}");
    /* a real node's key order: its Java HashMaps' (see ts_settings.c) */
    r = call(st, "GET", "/books/_settings", NULL, NULL, NULL, 0);
    assert_non_null(strstr(r.body, "{\"books\":{\"settings\":{\"index\":{"
                                   "\"routing\":{\"allocation\":{\"include\":{"
                                   "\"_tier_preference\":\"data_content\"}}},"
                                   "\"refresh_interval\":\"-1\","
                                   "\"number_of_shards\":\"1\","
                                   "\"provided_name\":\"books\","
                                   "\"creation_date\":\""));
    assert_non_null(
        strstr(r.body, "\",\"number_of_replicas\":\"0\",\"uuid\":"));
    apitest_reply_free(&r);
    r = n_docs(st, "books", "b", 3, "{}");
    assert_non_null(strstr(r.body, "\"_shards\":{\"total\":1,"));
    apitest_reply_free(&r);
    expect(call(st, "GET", "/books/_count", NULL, NULL, NULL, 0), 200,
           "{\"count\":0,\"_shards\":{\"total\":1,\"successful\":1,"
           "\"skipped\":0,\"failed\":0}}");
    expect(call(st, "POST", "/books/_refresh", NULL, NULL, NULL, 0), 200,
           "{\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0}}");
    expect(call(st, "GET", "/books/_count", NULL, NULL, NULL, 0), 200,
           "{\"count\":3,\"_shards\":{\"total\":1,\"successful\":1,"
           "\"skipped\":0,\"failed\":0}}");
    r = bulk(st, "/books/_bulk", "refresh=true",
             "{\"index\":{\"_id\":\"x\"}}\n{}\n");
    assert_non_null(strstr(r.body, "\"result\":\"created\","
                                   "\"forced_refresh\":true,\"_shards\""));
    apitest_reply_free(&r);
    r = bulk(st, "/books/_bulk", "refresh=wait_for",
             "{\"index\":{\"_id\":\"y\"}}\n{}\n");
    assert_null(strstr(r.body, "forced_refresh"));
    apitest_reply_free(&r);
    expect(call(st, "GET", "/books/_count", NULL, NULL, NULL, 0), 200,
           "{\"count\":5,\"_shards\":{\"total\":1,\"successful\":1,"
           "\"skipped\":0,\"failed\":0}}");
    /* the default 1s refresh_interval: a fresh index refreshes lazily */
    r = n_docs(st, "lazy", "l", 2, "{}");
    apitest_reply_free(&r);
    expect(call(st, "GET", "/lazy/_count", NULL, NULL, NULL, 0), 200,
           "{\"count\":0,\"_shards\":{\"total\":1,\"successful\":1,"
           "\"skipped\":0,\"failed\":0}}");
    expect(call(st, "POST", "/lazy/_refresh", NULL, NULL, NULL, 0), 200,
           "{\"_shards\":{\"total\":2,\"successful\":1,\"failed\":0}}");
    ts_state_free(st);
}

static void
test_aliases_templates(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);
    const char *tpl =
        "{\"index_patterns\":[\"flows-*\"],\"priority\":5,\"template\":{"
        "\"settings\":{\"number_of_replicas\":0},\"mappings\":{"
        "\"properties\":{\"bytes\":{\"type\":\"long\"}}},\"aliases\":{"
        "\"flows-all\":{}}}}";
    const char *a1 = "{\"actions\":[{\"add\":{\"index\":\"flows-1\","
                     "\"alias\":\"w\",\"is_write_index\":true}},{\"add\":{"
                     "\"index\":\"flows-2\",\"alias\":\"w\"}}]}";
    const char *a2 = "{\"actions\":[{\"remove\":{\"index\":\"flows-1\","
                     "\"alias\":\"w\"}},{\"add\":{\"index\":\"nope\","
                     "\"alias\":\"w\"}}]}";
    const char *a3 = "{\"actions\":[{\"remove\":{\"index\":\"flows-1\","
                     "\"alias\":\"w\"}},{\"add\":{\"index\":\"flows-2\","
                     "\"alias\":\"w\",\"is_write_index\":true}}]}";
    struct apitest_reply r;

    (void)unused;
    expect(call(st, "PUT", "/_index_template/flows", NULL, "application/json",
                tpl, strlen(tpl)),
           200, "{\"acknowledged\":true}");
    r = bulk(st, "/flows-1/_bulk", NULL,
             "{\"index\":{\"_id\":\"1\"}}\n{\"bytes\":5}\n"
             "{\"index\":{\"_id\":\"2\"}}\n{\"bytes\":\"x\"}\n");
    assert_non_null(strstr(r.body, "\"_shards\":{\"total\":1,"));
    assert_int_equal(count_of(r.body, "\"status\":400"), 1);
    assert_non_null(strstr(r.body, "[bytes] of type [long]"));
    apitest_reply_free(&r);
    expect(call(st, "HEAD", "/flows-all", NULL, NULL, NULL, 0), 200, "");
    expect(call(st, "PUT", "/flows-2", NULL, NULL, NULL, 0), 200,
           "{\"acknowledged\":true,\"shards_acknowledged\":true,\"index\":"
           "\"flows-2\"}");
    /* ES 8.14+ adds "errors" */
    expect(
        call(st, "POST", "/_aliases", NULL, "application/json", a1, strlen(a1)),
        200, "{\"acknowledged\":true,\"errors\":false}");
    r = bulk(st, "/w/_bulk", NULL, "{\"index\":{\"_id\":\"9\"}}\n{}\n");
    assert_non_null(strstr(r.body, "\"_index\":\"flows-1\""));
    apitest_reply_free(&r);
    /* atomic: the failing add leaves the remove undone */
    r = call(st, "POST", "/_aliases", NULL, "application/json", a2, strlen(a2));
    assert_int_equal(r.status, 404);
    apitest_reply_free(&r);
    r = bulk(st, "/w/_bulk", NULL, "{\"index\":{\"_id\":\"10\"}}\n{}\n");
    assert_non_null(strstr(r.body, "\"_index\":\"flows-1\""));
    apitest_reply_free(&r);
    expect(
        call(st, "POST", "/_aliases", NULL, "application/json", a3, strlen(a3)),
        200, "{\"acknowledged\":true,\"errors\":false}");
    r = bulk(st, "/_bulk", "refresh=true",
             "{\"index\":{\"_index\":\"w\",\"_id\":\"11\"}}\n{}\n");
    assert_non_null(strstr(r.body, "\"_index\":\"flows-2\""));
    apitest_reply_free(&r);
    /* counts through the alias flows-all: flows-1 has 1,9,10 */
    r = call(st, "POST", "/flows-all/_refresh", NULL, NULL, NULL, 0);
    apitest_reply_free(&r);
    expect(call(st, "GET", "/flows-all/_count", NULL, NULL, NULL, 0), 200,
           "{\"count\":4,\"_shards\":{\"total\":2,\"successful\":2,"
           "\"skipped\":0,\"failed\":0}}");
    ts_state_free(st);
}

static void
test_auth(void **unused)
{
    struct ts_config cf;
    struct ts_state *st;
    struct ts_request req;
    struct ts_response resp;
    char *want = read_fixture("error-401-security-exception.es7.json");

    (void)unused;
    memset(&cf, 0, sizeof(cf));
    cf.mode = TS_MODE_ES7;
    cf.auth = "u:p";
    st = ts_state_new(&cf);
    assert_non_null(st);
    expect(call(st, "GET", "/", NULL, NULL, NULL, 0), 401, want);
    free(want);
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = "/";
    req.query = "";
    req.authorization = "Basic dTpw"; /* u:p */
    ts_api_handle(st, &req, &resp);
    assert_int_equal(resp.status, 200);
    free(resp.body);
    req.authorization = "Basic dTp4"; /* u:x */
    ts_api_handle(st, &req, &resp);
    assert_int_equal(resp.status, 401);
    assert_string_equal(resp.www_authenticate,
                        "Basic realm=\"security\" charset=\"UTF-8\"");
    assert_non_null(strstr(resp.body, "unable to authenticate user [u] for "
                                      "REST request [/]"));
    free(resp.body);
    ts_state_free(st);
}

/* 8 MiB of flow documents: checks correctness only (speed is measured
 * separately). */
static void
test_big_body(void **unused)
{
    struct ts_state *st = new_state(TS_MODE_ES8);
    size_t cap = 8u << 20;
    char *body = malloc(cap + 512);
    size_t len = 0;
    int n = 0;
    uint64_t sum = 0;
    char want[256];
    struct apitest_reply r;

    (void)unused;
    assert_non_null(body);
    while (len < cap) {
        char id[32];
        char doc[256];
        int dl;

        snprintf(id, sizeof(id), "f%08d", n);
        dl = snprintf(doc, sizeof(doc),
                      "{\"ts\":\"2026-11-27T03:00:00.123Z\",\"src_ip\":"
                      "\"10.1.%d.3\",\"dst_ip\":\"10.4.5.6\",\"src_port\":%d,"
                      "\"dst_port\":443,\"proto\":6,\"bytes\":%d}",
                      n % 250, n % 65535, n * 7);
        len += (size_t)snprintf(body + len, cap + 512 - len,
                                "{\"index\":{\"_id\":\"%s\"}}\n%s\n", id, doc);
        sum += ts_docsum(id, strlen(id), doc, (size_t)dl);
        n++;
    }
    r = call(st, "POST", "/flows/_bulk", NULL, "application/x-ndjson", body,
             len);
    free(body);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.body, "{\"errors\":false,", 16);
    assert_int_equal(count_of(r.body, "\"status\":201"), (size_t)n);
    apitest_reply_free(&r);
    snprintf(want, sizeof(want),
             "\"flows\":{\"docs\":%d,\"checksum\":"
             "\"%016llx\"",
             n, (unsigned long long)sum);
    r = call(st, "GET", "/_test/stats", NULL, NULL, NULL, 0);
    assert_non_null(strstr(r.body, want));
    apitest_reply_free(&r);
    ts_state_free(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docsum_vectors),
        cmocka_unit_test(test_info_modes),
        cmocka_unit_test(test_route_errors),
        cmocka_unit_test(test_newline_fixture),
        cmocka_unit_test(test_action_line_errors),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_items_es8),
        cmocka_unit_test(test_items_es7_opensearch),
        cmocka_unit_test(test_auto_id_and_names),
        cmocka_unit_test(test_source_errors),
        cmocka_unit_test(test_mapping),
        cmocka_unit_test(test_filter_path),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_fault_settings),
        cmocka_unit_test(test_accounting),
        cmocka_unit_test(test_index_apis),
        cmocka_unit_test(test_aliases_templates),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_big_body),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
