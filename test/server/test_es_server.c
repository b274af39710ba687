/*
 * test_es_server.c
 *    es-test-server over real HTTP: the fixtures of a real cluster are
 *    reproduced field by field, the fault flags fire at exactly their
 *    rates, the accounting sees every document exactly once, and the
 *    transport (gzip, 413, Expect, keep-alive) behaves like ES's Netty.
 *
 * Each test starts the server binary itself (TS_SERVER_BIN, --port 0,
 * --ready-file in a private mkdtemp folder) with the flags it needs and
 * talks to it with libcurl over loopback.  The teardown of every test
 * stops and reaps whatever it started, failed or not.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <zlib.h>

#include "httptest.h"
#include "ts_docsum.h"

/* ------------------------------------------------------------------ */
/* Structural JSON comparison                                          */
/* ------------------------------------------------------------------ */

struct cmp {
    bool unordered;           /* hand-ordered docs fixtures: any key order */
    const char *const *extra; /* more keys whose values are not compared */
};

/*
 * Values never comparable with a recorded response: timings, uuids,
 * sequence numbers, node and build identity.  Version numbers are listed
 * too, as a fixture's version differs from what a mode claims; tests
 * check the major version separately.  The key must still be there.
 */
static const char *const ignored_keys[] = {
    "took",
    "index_uuid",
    "_seq_no",
    "_primary_term",
    "cluster_uuid",
    "name",
    "cluster_name",
    "build_hash",
    "build_date",
    "build_type",
    "build_snapshot",
    "number",
    "lucene_version",
    "minimum_wire_compatibility_version",
    "minimum_index_compatibility_version",
    NULL,
};

static bool
is_ignored(const char *key, const struct cmp *c)
{
    size_t i;

    for (i = 0; ignored_keys[i] != NULL; i++)
        if (strcmp(key, ignored_keys[i]) == 0)
            return true;
    for (i = 0; c->extra != NULL && c->extra[i] != NULL; i++)
        if (strcmp(key, c->extra[i]) == 0)
            return true;
    return false;
}

/* Returns NULL if alike, else a static description of the first change. */
static const char *
json_diff(const json_t *exp, const json_t *act, const struct cmp *c, char *path,
          size_t psize)
{
    static char why[1024];
    size_t plen = strlen(path);

    if (json_typeof(exp) != json_typeof(act)) {
        snprintf(why, sizeof(why), "%s: type %d, expected %d", path,
                 json_typeof(act), json_typeof(exp));
        return why;
    }
    switch (json_typeof(exp)) {
    case JSON_OBJECT: {
        const char *key = NULL;
        json_t *ev = NULL;
        void *ai = json_object_iter((json_t *)(uintptr_t)act);

        if (json_object_size(exp) != json_object_size(act)) {
            char *a = json_dumps(act, JSON_COMPACT);

            snprintf(why, sizeof(why), "%s: %zu keys, expected %zu: %.600s",
                     path, json_object_size(act), json_object_size(exp), a);
            free(a);
            return why;
        }
        json_object_foreach((json_t *)(uintptr_t)exp, key, ev)
        {
            const json_t *av = NULL;
            const char *d = NULL;

            if (c->unordered) {
                av = json_object_get(act, key);
            } else {
                if (ai == NULL || strcmp(json_object_iter_key(ai), key) != 0) {
                    snprintf(why, sizeof(why), "%s: key '%s' where '%s' is due",
                             path, ai ? json_object_iter_key(ai) : "(end)",
                             key);
                    return why;
                }
                av = json_object_iter_value(ai);
                ai = json_object_iter_next((json_t *)(uintptr_t)act, ai);
            }
            if (av == NULL) {
                snprintf(why, sizeof(why), "%s: key '%s' missing", path, key);
                return why;
            }
            if (is_ignored(key, c))
                continue;
            snprintf(path + plen, psize - plen, ".%s", key);
            d = json_diff(ev, av, c, path, psize);
            path[plen] = '\0';
            if (d != NULL)
                return d;
        }
        return NULL;
    }
    case JSON_ARRAY: {
        size_t i;

        if (json_array_size(exp) != json_array_size(act)) {
            snprintf(why, sizeof(why), "%s: %zu elements, expected %zu", path,
                     json_array_size(act), json_array_size(exp));
            return why;
        }
        for (i = 0; i < json_array_size(exp); i++) {
            const char *d = NULL;

            snprintf(path + plen, psize - plen, "[%zu]", i);
            d = json_diff(json_array_get(exp, i), json_array_get(act, i), c,
                          path, psize);
            path[plen] = '\0';
            if (d != NULL)
                return d;
        }
        return NULL;
    }
    default:
        if (!json_equal((json_t *)(uintptr_t)exp, (json_t *)(uintptr_t)act)) {
            char *e = json_dumps(exp, JSON_ENCODE_ANY);
            char *a = json_dumps(act, JSON_ENCODE_ANY);

            snprintf(why, sizeof(why), "%s: %.400s, expected %.400s", path,
                     a ? a : "?", e ? e : "?");
            free(e);
            free(a);
            return why;
        }
        return NULL;
    }
}

static void
assert_json_like(const json_t *exp, const json_t *act, const struct cmp *c)
{
    char path[512] = "$";
    const char *d = json_diff(exp, act, c, path, sizeof(path));

    if (d != NULL)
        fail_msg("JSON differs at %s", d);
}

/* Replaces every occurrence of from by to in a malloc'd string. */
static char *
str_replace(char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    char *p = s, *out = NULL, *o = NULL;

    while ((p = strstr(p, from)) != NULL) {
        n++;
        p += fl;
    }
    out = malloc(strlen(s) + n * tl + 1);
    assert_non_null(out);
    o = out;
    p = s;
    for (;;) {
        char *hit = strstr(p, from);

        if (hit == NULL)
            break;
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, to, tl);
        o += tl;
        p = hit + fl;
    }
    memcpy(o, p, strlen(p) + 1);
    free(s);
    return out;
}

static char *
fixture_text(const char *name, size_t *len)
{
    char path[512];
    char *text = NULL;

    snprintf(path, sizeof(path), "%s/%s", TS_FIXTURE_DIR, name);
    text = read_file(path, len);
    if (text == NULL)
        fail_msg("cannot read fixture %s", path);
    return text;
}

static json_t *
json_text(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);

    if (j == NULL)
        fail_msg("bad JSON (%s)", err.text);
    return j;
}

/* Compares a response with a fixture whose text went through edits. */
static void
assert_fixture_text(const char *text, const struct reply *r,
                    const struct cmp *c)
{
    json_t *exp = json_text(text);
    json_t *act = reply_json(r);

    assert_json_like(exp, act, c);
    json_decref(exp);
    json_decref(act);
}

static void
assert_fixture(const char *name, const struct reply *r, const struct cmp *c)
{
    char *text = fixture_text(name, NULL);

    assert_fixture_text(text, r, c);
    free(text);
}

/* ------------------------------------------------------------------ */
/* Fixtures reproduced                                                 */
/* ------------------------------------------------------------------ */

static const char *const ES7[] = {"--mode", "es7", NULL};
static const char *const ES8[] = {"--mode", "es8", NULL};
static const char *const OS[] = {"--mode", "opensearch", NULL};

static void
test_mixed_actions(void **state)
{
    static const char *const no_extra[] = {NULL};
    const struct cmp c = {true, no_extra};
    unsigned port = server_start(ES8);
    struct reply r;

    (void)state;
    /* The request of the ES docs example that gives this response. */
    post_bulk(port, "/_bulk",
              "{\"index\":{\"_index\":\"test\",\"_id\":\"1\"}}\n"
              "{\"field1\":\"value1\"}\n"
              "{\"delete\":{\"_index\":\"test\",\"_id\":\"2\"}}\n"
              "{\"create\":{\"_index\":\"test\",\"_id\":\"3\"}}\n"
              "{\"field1\":\"value3\"}\n"
              "{\"update\":{\"_id\":\"1\",\"_index\":\"test\"}}\n"
              "{\"doc\":{\"field2\":\"value2\"}}\n",
              &r);
    assert_int_equal(r.status, 200);
    assert_fixture("bulk-200-success-mixed-actions.es-docs.json", &r, &c);
    reply_free(&r);
}

static const char update_missing_body[] =
    "{\"update\":{\"_id\":\"5\",\"_index\":\"index1\"}}\n"
    "{\"doc\":{\"my_field\":\"foo\"}}\n"
    "{\"update\":{\"_id\":\"6\",\"_index\":\"index1\"}}\n"
    "{\"doc\":{\"my_field\":\"foo\"}}\n"
    "{\"create\":{\"_id\":\"7\",\"_index\":\"index1\"}}\n"
    "{\"my_field\":\"foo\"}\n";

static void
test_update_missing(void **state)
{
    /* a docs example: hand-ordered, took before errors */
    const struct cmp c = {true, NULL};
    const struct cmp ordered = {false, NULL};
    unsigned port = server_start(ES8);
    struct reply r;

    (void)state;
    post_bulk(port, "/_bulk", update_missing_body, &r);
    assert_int_equal(r.status, 200);
    assert_fixture("bulk-200-update-404-document-missing.es-docs.json", &r, &c);
    reply_free(&r);

    /*
     * The same request on a fresh state (else create 7 would now conflict),
     * filtered: only the errors are left.
     */
    http(NULL, port, "POST", "/_test/reset", NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    http(NULL, port, "POST", "/_bulk?filter_path=items.*.error", NDJSON,
         update_missing_body, strlen(update_missing_body), NULL, &r);
    assert_int_equal(r.status, 200);
    assert_fixture("bulk-200-filter-path-items-error.es-docs.json", &r,
                   &ordered);
    reply_free(&r);
}

static void
test_create_compact_es8(void **state)
{
    static const char *const auto_id[] = {"_id", NULL};
    const struct cmp c = {false, auto_id};
    unsigned port = server_start(ES8);
    char expected[] = "{\"errors\":false,\"took\":";
    struct reply r;
    json_t *j = NULL;
    size_t i;

    (void)state;
    post_bulk(port, "/_bulk",
              "{\"create\":{\"_index\":\"fluent-bit\"}}\n{\"log\":\"a\"}\n"
              "{\"create\":{\"_index\":\"fluent-bit\"}}\n{\"log\":\"b\"}\n"
              "{\"create\":{\"_index\":\"fluent-bit\"}}\n{\"log\":\"c\"}\n"
              "{\"create\":{\"_index\":\"fluent-bit\"}}\n{\"log\":\"d\"}\n",
              &r);
    assert_int_equal(r.status, 200);
    assert_fixture("bulk-200-success-create-compact.es8-fluentbit.json", &r,
                   &c);
    /* compact, errors first, as 8.x writes it */
    assert_memory_equal(r.body, expected, strlen(expected));
    assert_null(strchr(r.body, ' '));
    assert_null(strchr(r.body, '\n'));
    /* auto ids are 20 characters of base64url, all different */
    j = reply_json(&r);
    for (i = 0; i < 4; i++) {
        const char *id = json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(j, "items"), i),
                            "create"),
            "_id"));

        assert_non_null(id);
        assert_int_equal(strlen(id), 20);
        assert_int_equal(strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                    "opqrstuvwxyz0123456789-_"),
                         20);
    }
    json_decref(j);
    reply_free(&r);
}

static void
test_partial_document_parsing_es8(void **state)
{
    const struct cmp c = {false, NULL};
    unsigned port = server_start(ES8);
    struct reply r;
    /*
     * Fixture ids are used as explicit ids, since the reason quotes them.
     * The value of the misplaced _id starts at column 65, as in the
     * fixture: 8 + 48 padding + 8 characters come before it.
     */
    const char *body =
        "{\"create\":{\"_index\":\"fluent-bit\",\"_id\":\"hxELapEB_"
        "XqxG5Ydupgb\"}}"
        "\n{\"log\":\"ok\"}\n"
        "{\"create\":{\"_index\":\"fluent-bit\",\"_id\":\"iBELapEB_"
        "XqxG5Ydupgb\"}}"
        "\n{\"log\":\"012345678901234567890123456789012345678901234567\","
        "\"_id\":\"fhHraZEB_XqxG5Ydzpjv\"}\n"
        "{\"create\":{\"_index\":\"fluent-bit\",\"_id\":\"iRELapEB_"
        "XqxG5Ydupgb\"}}"
        "\n{\"log\":\"012345678901234567890123456789012345678901234567\","
        "\"_id\":\"fhHraZEB_XqxG5Ydzpjv\"}\n"
        "{\"create\":{\"_index\":\"fluent-bit\",\"_id\":\"ihELapEB_"
        "XqxG5Ydupgb\"}}"
        "\n{\"log\":\"ok\"}\n";

    (void)state;
    post_bulk(port, "/_bulk", body, &r);
    assert_int_equal(r.status, 200);
    assert_fixture(
        "bulk-200-partial-document-parsing-exception.es8-fluentbit.json", &r,
        &c);
    reply_free(&r);
}

static void
test_create_conflict_409(void **state)
{
    /* a client fixture with hand-ordered error keys */
    const struct cmp c = {true, NULL};
    unsigned port = server_start(ES8);
    struct reply r;
    char *text = NULL;
    const char *settings = "{\"settings\":{\"number_of_replicas\":0}}";

    (void)state;
    /* _shards.total is 1 in the fixture: an index without replicas */
    http(NULL, port, "PUT", "/test", "application/json", settings,
         strlen(settings), NULL, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    post_bulk(port, "/_bulk",
              "{\"index\":{\"_index\":\"test\",\"_id\":\"3\"}}\n{\"a\":1}\n",
              &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);

    post_bulk(port, "/_bulk",
              "{\"index\":{\"_index\":\"test\",\"_id\":\"1\"}}\n{\"a\":1}\n"
              "{\"create\":{\"_index\":\"test\",\"_id\":\"1\"}}\n{\"a\":2}\n"
              "{\"delete\":{\"_index\":\"test\",\"_id\":\"2\"}}\n"
              "{\"update\":{\"_index\":\"test\",\"_id\":\"3\"}}\n"
              "{\"doc\":{\"a\":3}}\n",
              &r);
    assert_int_equal(r.status, 200);
    /* The fixture was edited by hand: its error names another index. */
    text = fixture_text(
        "bulk-200-create-409-version-conflict.go-client-fixture.json", NULL);
    text = str_replace(text, "test-bulk-integration", "test");
    assert_fixture_text(text, &r, &c);
    free(text);
    reply_free(&r);
}

static void
test_item_429_fault_es7(void **state)
{
    static const char *const flags[] = {"--mode", "es7", "--item-429-rate", "1",
                                        NULL};
    static const char *const reason[] = {"reason", NULL};
    const struct cmp c = {false, reason};
    unsigned port = server_start(flags);
    struct reply r;
    char *text = NULL;
    json_t *j = NULL;
    const char *why = NULL;

    (void)state;
    post_bulk(port, "/_bulk",
              "{\"index\":{\"_index\":\"dev-zipkin-span-2019.04.18\","
              "\"_id\":\"2511\"}}\n{\"a\":1}\n",
              &r);
    assert_int_equal(r.status, 200);
    /*
     * ES 6 had custom types and ':' in index names; 7.17 has neither, and
     * its write pool's queue holds 10000, not 200.
     */
    text = fixture_text("bulk-200-item-429-es-rejected-execution.es6-zipkin."
                        "json",
                        NULL);
    text = str_replace(text, "\"_type\":\"span\"", "\"_type\":\"_doc\"");
    text = str_replace(text, "dev-zipkin:span", "dev-zipkin-span");
    assert_fixture_text(text, &r, &c);
    j = reply_json(&r);
    why = json_string_value(json_object_get(
        json_object_get(
            json_object_get(json_array_get(json_object_get(j, "items"), 0),
                            "index"),
            "error"),
        "reason"));
    assert_non_null(why);
    assert_non_null(strstr(why, "rejected execution of "));
    assert_non_null(strstr(why, "queue capacity = 10000"));
    json_decref(j);
    free(text);
    reply_free(&r);
}

static void
test_mapper_parsing_es7(void **state)
{
    static const char *const auto_id[] = {"_id", NULL};
    const struct cmp c = {false, auto_id};
    unsigned port = server_start(ES7);
    struct reply r;

    (void)state;
    /* host becomes an object field first */
    post_bulk(port, "/_bulk",
              "{\"create\":{\"_index\":\"test-hgw28jv10u\"}}\n"
              "{\"host\":{\"name\":\"a\"}}\n",
              &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    post_bulk(port, "/_bulk",
              "{\"create\":{\"_index\":\"test-hgw28jv10u\"}}\n"
              "{\"host\":\"a\"}\n",
              &r);
    assert_int_equal(r.status, 200);
    assert_fixture("bulk-200-create-400-mapper-parsing.es7-vector.json", &r,
                   &c);
    reply_free(&r);
}

static void
test_updated_compact_opensearch(void **state)
{
    const struct cmp c = {false, NULL};
    unsigned port = server_start(OS);
    const char *body = "{\"index\":{\"_index\":\"test\",\"_id\":\"123\"}}\n"
                       "{\"a\":1}\n";
    char expected[] = "{\"took\":";
    struct reply r;

    (void)state;
    post_bulk(port, "/_bulk", body, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    post_bulk(port, "/_bulk", body, &r);
    assert_int_equal(r.status, 200);
    assert_fixture("bulk-200-success-updated-compact.opensearch2.json", &r, &c);
    assert_memory_equal(r.body, expected, strlen(expected));
    assert_header(&r, "X-elastic-product", NULL);
    reply_free(&r);
}

static void
test_whole_request_errors_exact(void **state)
{
    const char *const *modes[] = {ES7, ES8, OS};
    size_t m;

    (void)state;
    for (m = 0; m < 3; m++) {
        unsigned port = server_start(modes[m]);
        struct reply r;
        size_t len = 0;
        char *text = NULL;
        const char *form = "{\"index\":{\"_index\":\"a\"}}\n{\"x\":1}\n";

        /* No final newline: the same 245 bytes on every version. */
        post_bulk(port, "/_bulk", "{\"index\":{\"_index\":\"a\"}}\n{\"x\":1}",
                  &r);
        assert_int_equal(r.status, 400);
        text = fixture_text("error-400-bulk-not-newline-terminated.es7.json",
                            &len);
        assert_int_equal(r.len, len);
        assert_memory_equal(r.body, text, len);
        free(text);
        reply_free(&r);

        /* libcurl's default form type: 406, short form, byte for byte */
        http(NULL, port, "POST", "/_bulk", "application/x-www-form-urlencoded",
             form, strlen(form), NULL, &r);
        assert_int_equal(r.status, 406);
        text =
            fixture_text("error-406-content-type-not-supported.es6.json", &len);
        assert_int_equal(r.len, len);
        assert_memory_equal(r.body, text, len);
        free(text);
        reply_free(&r);

        /* the other wording: no Content-Type at all */
        http(NULL, port, "POST", "/_bulk", NULL, form, strlen(form), NULL, &r);
        assert_int_equal(r.status, 406);
        assert_int_equal(r.len, strlen("{\"error\":\"Content-Type header is "
                                       "missing\",\"status\":406}"));
        assert_string_equal(r.body, "{\"error\":\"Content-Type header is "
                                    "missing\",\"status\":406}");
        reply_free(&r);
    }
}

static void
test_index_routes(void **state)
{
    const struct cmp c = {false, NULL};
    unsigned port = server_start(ES8);
    struct reply r;
    char *text = NULL;
    json_t *j = NULL;
    const char *uuid = NULL;
    const char *long_name = "test_default_catalog_product_testindices";
    char target[128];

    (void)state;
    http(NULL, port, "PUT", "/books", NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_fixture("index-create-200-acknowledged.es-docs.json", &r, &c);
    reply_free(&r);

    snprintf(target, sizeof(target), "/%s", long_name);
    http(NULL, port, "PUT", target, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    http(NULL, port, "PUT", target, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 400);
    /* the reason quotes the index's uuid: take the server's */
    j = reply_json(&r);
    uuid = json_string_value(
        json_object_get(json_object_get(j, "error"), "index_uuid"));
    assert_non_null(uuid);
    text = fixture_text("error-400-resource-already-exists.es7.json", NULL);
    text = str_replace(text, "acDKK2pQQseoc5nuMgylpw", uuid);
    assert_fixture_text(text, &r, &c);
    free(text);
    json_decref(j);
    reply_free(&r);

    http(NULL, port, "GET", "/foo/_count", NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 404);
    assert_fixture("error-404-index-not-found.es8-go-client-fixture.json", &r,
                   &c);
    reply_free(&r);

    post_bulk(port, "/books/_bulk?refresh=true",
              "{\"index\":{\"_id\":\"1\"}}\n{\"title\":\"x\"}\n", &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    /* count-200's _shards.total is 1: the count searches primaries */
    http(NULL, port, "GET", "/books/_count", NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_fixture("count-200.es-docs.json", &r, &c);
    reply_free(&r);

    /* HEAD: the status says it all, and no body comes with it */
    check_head(port, "/books", 200);
    check_head(port, "/nope", 404);
}

static void
check_root(unsigned port, const char *fixture, const char *major,
           const char *product, const char *ctype)
{
    const struct cmp c = {false, NULL};
    struct reply r;
    json_t *j = NULL;
    const char *number = NULL;

    http(NULL, port, "GET", "/", NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_fixture(fixture, &r, &c);
    /* pretty by default: 2-space indent, " : ", a final LF */
    assert_true(r.len > 4);
    assert_memory_equal(r.body, "{\n  \"name\" : \"", 14);
    assert_int_equal(r.body[r.len - 1], '\n');
    assert_int_equal(r.body[r.len - 2], '}');
    assert_header(&r, "X-elastic-product", product);
    assert_header(&r, "Content-Type", ctype);
    j = reply_json(&r);
    number = json_string_value(
        json_object_get(json_object_get(j, "version"), "number"));
    assert_non_null(number);
    assert_memory_equal(number, major, strlen(major));
    json_decref(j);
    reply_free(&r);
}

static void
test_root_per_mode(void **state)
{
    (void)state;
    check_root(server_start(ES7), "info-root-200.es7.json", "7.",
               "Elasticsearch", "application/json; charset=UTF-8");
    check_root(server_start(ES8), "info-root-200.es8.json", "8.",
               "Elasticsearch", "application/json;charset=utf-8");
    check_root(server_start(OS), "info-root-200.opensearch2.json", "2.", NULL,
               "application/json; charset=UTF-8");
}

/* GET / without credentials: Elasticsearch's 401, header and body. */
static void
check_root_401(unsigned port)
{
    const struct cmp c = {false, NULL};
    struct reply r;

    http(NULL, port, "GET", "/", NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 401);
    assert_fixture("error-401-security-exception.es7.json", &r, &c);
    assert_header(&r, "WWW-Authenticate",
                  "Basic realm=\"security\" charset=\"UTF-8\"");
    reply_free(&r);
}

static void
test_auth_401(void **state)
{
    unsigned port = server_start_auth("elastic:s3cret", ES7);
    const char *const good[] = {"Authorization: Basic ZWxhc3RpYzpzM2NyZXQ=",
                                NULL};
    const char *const bad[] = {"Authorization: Basic ZWxhc3RpYzp3cm9uZw==",
                               NULL};
    struct reply r;

    (void)state;
    check_root_401(port);

    http(NULL, port, "GET", "/", NULL, NULL, 0, bad, &r);
    assert_int_equal(r.status, 401);
    reply_free(&r);

    http(NULL, port, "GET", "/", NULL, NULL, 0, good, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
}

static void
check_request_429(const char *mode, const char *fixture, const char *prefix)
{
    static const char *const reason[] = {"reason", NULL};
    const struct cmp c = {false, reason};
    const char *const flags[] = {"--mode", mode, "--request-429-rate", "1",
                                 NULL};
    unsigned port = server_start(flags);
    struct reply r;
    json_t *j = NULL;
    const char *why = NULL;

    post_bulk(port, "/_bulk", "{\"index\":{\"_index\":\"a\"}}\n{\"x\":1}\n",
              &r);
    assert_int_equal(r.status, 429);
    assert_fixture(fixture, &r, &c);
    j = reply_json(&r);
    why = json_string_value(
        json_object_get(json_object_get(j, "error"), "reason"));
    assert_non_null(why);
    assert_memory_equal(why, prefix, strlen(prefix));
    json_decref(j);
    reply_free(&r);
}

static void
test_request_429_types(void **state)
{
    (void)state;
    check_request_429(
        "es7", "error-429-es-rejected-execution-indexing-pressure.es7.json",
        "rejected execution of coordinating operation [");
    check_request_429(
        "opensearch",
        "error-429-rejected-execution-shard-indexing-pressure.opensearch.json",
        "rejected execution of coordinating operation [");
}

/* ------------------------------------------------------------------ */
/* Faults at exact rates                                               */
/* ------------------------------------------------------------------ */

/* A bulk body of n index actions with ids id-0 .. id-(n-1). */
static char *
make_bulk(size_t n, const char *variant)
{
    size_t cap = n * 96 + 1, len = 0, i;
    char *body = malloc(cap);

    assert_non_null(body);
    for (i = 0; i < n; i++) {
        int w = snprintf(body + len, cap - len,
                         "{\"index\":{\"_id\":\"id-%zu\"}}\n"
                         "{\"n\":%zu,\"v\":\"%s\"}\n",
                         i, i, variant);

        assert_true(w > 0 && (size_t)w < cap - len);
        len += (size_t)w;
    }
    return body;
}

/* Counts the items of a bulk response with the given status. */
static size_t
count_items(const struct reply *r, long status)
{
    json_t *j = reply_json(r);
    json_t *items = json_object_get(j, "items");
    size_t i, n = 0;

    assert_non_null(items);
    for (i = 0; i < json_array_size(items); i++) {
        const char *op = NULL;
        json_t *item = NULL;

        json_object_foreach(json_array_get(items, i), op, item)
        {
            if (json_integer_value(json_object_get(item, "status")) == status)
                n++;
        }
    }
    json_decref(j);
    return n;
}

static void
check_item_fault(const char *flag, long status, const char *counter)
{
    const char *const flags[] = {flag, "0.1", "--seed", "0", NULL};
    unsigned port = server_start(flags);
    struct reply r;
    char *body = make_bulk(200, "x");
    json_t *st = NULL;

    post_bulk(port, "/items/_bulk", body, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(count_items(&r, status), 20);
    assert_int_equal(count_items(&r, 201), 180);
    reply_free(&r);
    free(body);
    st = stats(port);
    assert_int_equal(stat_int(st, "faults", counter, NULL), 20);
    /* faulted items store nothing */
    assert_int_equal(stat_int(st, "indices", "items", "docs"), 180);
    json_decref(st);
}

static void
test_item_fault_rates(void **state)
{
    (void)state;
    check_item_fault("--item-429-rate", 429, "item_429");
    check_item_fault("--item-503-rate", 503, "item_503");
}

static void
check_request_fault(const char *flag, long status, const char *counter)
{
    const char *const flags[] = {flag, "0.25", "--seed", "0", NULL};
    unsigned port = server_start(flags);
    const char *body = "{\"index\":{\"_index\":\"r\"}}\n{\"x\":1}\n";
    size_t i, failed = 0, ok = 0;
    json_t *st = NULL;

    for (i = 0; i < 40; i++) {
        struct reply r;

        post_bulk(port, "/_bulk", body, &r);
        if (r.status == status)
            failed++;
        else if (r.status == 200)
            ok++;
        reply_free(&r);
    }
    assert_int_equal(failed, 10);
    assert_int_equal(ok, 30);
    st = stats(port);
    assert_int_equal(stat_int(st, "faults", counter, NULL), 10);
    assert_int_equal(stat_int(st, "indices", "r", "docs"), 30);
    json_decref(st);
}

static void
test_request_fault_rates(void **state)
{
    (void)state;
    check_request_fault("--request-429-rate", 429, "request_429");
    check_request_fault("--request-503-rate", 503, "request_503");
}

static void
test_drop_rate(void **state)
{
    static const char *const flags[] = {"--drop-rate", "0.25", NULL};
    unsigned port = server_start(flags);
    size_t i, dropped = 0, answered = 0;
    json_t *st = NULL;

    (void)state;
    for (i = 0; i < 40; i++) {
        struct reply r;

        http(NULL, port, "GET", "/", NULL, NULL, 0, NULL, &r);
        if (r.rc == CURLE_GOT_NOTHING)
            dropped++;
        else if (r.rc == CURLE_OK && r.status == 200)
            answered++;
        reply_free(&r);
    }
    assert_int_equal(dropped, 10);
    assert_int_equal(answered, 30);
    /* the stats request is the 41st: not dropped at this phase */
    st = stats(port);
    assert_int_equal(stat_int(st, "faults", "drop", NULL), 10);
    json_decref(st);
}

static void
test_delay(void **state)
{
    static const char *const flags[] = {"--delay-ms", "300", NULL};
    unsigned port = server_start(flags);
    struct timespec t0, t1;
    struct reply r;
    double elapsed;

    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    http(NULL, port, "GET", "/", NULL, NULL, 0, NULL, &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    elapsed = (double)(t1.tv_sec - t0.tv_sec) +
              (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(elapsed >= 0.3);
}

/* PUT /_test/faults with a JSON body; it must be acknowledged. */
static void
put_faults(unsigned port, const char *json)
{
    struct reply r;

    http(NULL, port, "PUT", "/_test/faults", "application/json", json,
         strlen(json), NULL, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
}

/* One _bulk of one document; checks its status and Retry-After. */
static void
check_retry_after(unsigned port, long status, const char *want)
{
    struct reply r;

    post_bulk(port, "/_bulk", "{\"index\":{\"_index\":\"ra\"}}\n{\"x\":1}\n",
              &r);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, status);
    assert_header(&r, "Retry-After", want);
    reply_free(&r);
}

static void
test_retry_after(void **state)
{
    static const char *const flags[] = {"--request-429-rate", "1",
                                        "--retry-after", "7", NULL};
    unsigned port = server_start(flags);

    (void)state;
    check_retry_after(port, 429, "7");
    put_faults(port, "{\"retry_after_s\":0}");
    check_retry_after(port, 429, NULL);
    put_faults(port, "{\"retry_after_s\":7}");
    check_retry_after(port, 429, "7");
    put_faults(port, "{\"request_429_rate\":0,\"request_503_rate\":1}");
    check_retry_after(port, 503, "7");
    /* only whole-request answers carry it: not item 429s, not successes */
    put_faults(port, "{\"request_503_rate\":0,\"item_429_rate\":1}");
    check_retry_after(port, 200, NULL);
    put_faults(port, "{\"item_429_rate\":0}");
    check_retry_after(port, 200, NULL);

    /* the default is no header */
    port = server_start(ES7);
    put_faults(port, "{\"request_429_rate\":1}");
    check_retry_after(port, 429, NULL);
}

/* GET / of a key that may write but not call cluster:monitor/main. */
static const char root_403[] =
    "{\"error\":{\"root_cause\":[{\"type\":\"security_exception\",\"reason\":"
    "\"action [cluster:monitor/main] is unauthorized for user [loader] with "
    "effective roles [writer], this action is granted by the cluster "
    "privileges [monitor,manage,all]\"}],\"type\":\"security_exception\","
    "\"reason\":\"action [cluster:monitor/main] is unauthorized for user "
    "[loader] with effective roles [writer], this action is granted by the "
    "cluster privileges [monitor,manage,all]\"},\"status\":403}";

static void
test_root_status(void **state)
{
    unsigned port = server_start(ES8);
    struct reply r;
    json_t *st = NULL;

    (void)state;
    put_faults(port, "{\"root_status\":403}");
    http(NULL, port, "GET", "/", NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 403);
    assert_int_equal(r.len, strlen(root_403));
    assert_string_equal(r.body, root_403);
    assert_header(&r, "Content-Type", "application/json;charset=utf-8");
    assert_header(&r, "X-elastic-product", "Elasticsearch");
    reply_free(&r);
    check_head(port, "/", 403);

    /* the key still loads */
    post_bulk(port, "/_bulk?refresh=true",
              "{\"index\":{\"_index\":\"w\",\"_id\":\"1\"}}\n{\"x\":1}\n", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"errors\":false"));
    reply_free(&r);
    st = stats(port);
    assert_int_equal(stat_int(st, "indices", "w", "docs"), 1);
    assert_int_equal(stat_int(st, "responses", "403", NULL), 2);
    json_decref(st);

    put_faults(port, "{\"root_status\":0}");
    check_root(port, "info-root-200.es8.json", "8.", "Elasticsearch",
               "application/json;charset=utf-8");
}

/* root_status 401: the answer --auth-file gives to wrong credentials. */
static void
test_root_status_401(void **state)
{
    const char *const good[] = {"Authorization: Basic ZWxhc3RpYzpzM2NyZXQ=",
                                NULL};
    unsigned port = server_start_auth("elastic:s3cret", ES7);
    unsigned open_port = server_start(ES7);
    struct reply r;

    (void)state;
    put_faults(port, "{\"root_status\":401}");
    http(NULL, port, "GET", "/", NULL, NULL, 0, good, &r);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.body, "\"reason\":\"unable to authenticate "
                                   "user [elastic] for REST request [/]\""));
    assert_header(&r, "WWW-Authenticate",
                  "Basic realm=\"security\" charset=\"UTF-8\"");
    reply_free(&r);
    post_bulk(port, "/_bulk", "{\"index\":{\"_index\":\"w\"}}\n{\"x\":1}\n",
              &r);
    assert_int_equal(r.status, 401); /* no credentials: as before */
    reply_free(&r);

    /* without --auth-file: the same body as a missing-credentials 401 */
    put_faults(open_port, "{\"root_status\":401}");
    check_root_401(open_port);
}

/* ------------------------------------------------------------------ */
/* Accounting                                                          */
/* ------------------------------------------------------------------ */

/* The checksum the server must hold for ids 0..n-1 with a variant. */
static uint64_t
expected_checksum(size_t n, const char *variant, size_t changed,
                  const char *changed_variant)
{
    uint64_t sum = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        char id[32], src[96];
        int il = snprintf(id, sizeof(id), "id-%zu", i);
        int sl = snprintf(src, sizeof(src), "{\"n\":%zu,\"v\":\"%s\"}", i,
                          i == changed ? changed_variant : variant);

        sum += ts_docsum(id, (size_t)il, src, (size_t)sl);
    }
    return sum;
}

static void
test_exactly_once(void **state)
{
    unsigned port = server_start(ES8);
    char *body = make_bulk(1000, "x");
    const char *one = "{\"index\":{\"_id\":\"id-7\"}}\n{\"n\":7,\"v\":\"y\"}\n";
    uint64_t first;
    struct reply r;
    json_t *st = NULL;

    (void)state;
    post_bulk(port, "/acct/_bulk", body, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(count_items(&r, 201), 1000);
    reply_free(&r);
    st = stats(port);
    assert_int_equal(stat_int(st, "indices", "acct", "docs"), 1000);
    assert_int_equal(stat_int(st, "indices", "acct", "duplicates"), 0);
    first = stat_checksum(st, "acct", "checksum");
    assert_true(first == expected_checksum(1000, "x", SIZE_MAX, NULL));
    json_decref(st);

    /* the same 1000 documents again: overwrites, nothing new */
    post_bulk(port, "/acct/_bulk", body, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(count_items(&r, 200), 1000);
    reply_free(&r);
    st = stats(port);
    assert_int_equal(stat_int(st, "indices", "acct", "docs"), 1000);
    assert_int_equal(stat_int(st, "indices", "acct", "duplicates"), 1000);
    assert_true(stat_checksum(st, "acct", "checksum") == first);
    json_decref(st);

    /* one changed source: the sum moves to exactly the new value */
    post_bulk(port, "/acct/_bulk", one, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    st = stats(port);
    assert_int_equal(stat_int(st, "indices", "acct", "docs"), 1000);
    assert_true(stat_checksum(st, "acct", "checksum") != first);
    assert_true(stat_checksum(st, "acct", "checksum") ==
                expected_checksum(1000, "x", 7, "y"));
    json_decref(st);
    free(body);
}

/* ------------------------------------------------------------------ */
/* Transport                                                           */
/* ------------------------------------------------------------------ */

static char *
gzip_body(const char *data, size_t len, size_t *out_len)
{
    z_stream zs;
    size_t cap = len + 1024;
    char *out = malloc(cap);

    assert_non_null(out);
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(
        deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
        Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

static void
test_gzip_body(void **state)
{
    static const char *const items_only[] = {"_index", NULL};
    const struct cmp c = {false, items_only};
    const char *const gz[] = {"Content-Encoding: gzip", NULL};
    unsigned port = server_start(ES8);
    char *body = make_bulk(500, "g");
    size_t zlen = 0;
    char *z = gzip_body(body, strlen(body), &zlen);
    struct reply plain, packed;
    json_t *a = NULL, *b = NULL, *st = NULL;

    (void)state;
    post_bulk(port, "/plain/_bulk", body, &plain);
    http(NULL, port, "POST", "/packed/_bulk", NDJSON, z, zlen, gz, &packed);
    assert_int_equal(plain.status, 200);
    assert_int_equal(packed.status, 200);
    a = reply_json(&plain);
    b = reply_json(&packed);
    assert_json_like(a, b, &c);
    st = stats(port);
    assert_int_equal(stat_int(st, "indices", "packed", "docs"), 500);
    assert_true(stat_checksum(st, "packed", "checksum") ==
                stat_checksum(st, "plain", "checksum"));
    assert_true(stat_checksum(st, "packed", "checksum") ==
                expected_checksum(500, "g", SIZE_MAX, NULL));
    json_decref(st);
    json_decref(a);
    json_decref(b);
    reply_free(&plain);
    reply_free(&packed);
    free(z);
    free(body);
}

static void
test_413(void **state)
{
    static const char *const flags[] = {"--max-content-length", "4kb", NULL};
    const char *const chunked[] = {"Transfer-Encoding: chunked", NULL};
    const char *const gz[] = {"Content-Encoding: gzip", NULL};
    const char *const expect[] = {"Expect: 100-continue", NULL};
    unsigned port = server_start(flags);
    char *big = make_bulk(100, "over"); /* ~4.6 KB */
    char *small = make_bulk(10, "under");
    size_t zlen = 0;
    char *z = NULL;
    CURL *h = curl_easy_init();
    struct reply r;
    json_t *st = NULL;

    (void)state;
    assert_true(strlen(big) > 4096);
    /* declared too large: 413 at once, empty, and the connection lives */
    http(h, port, "POST", "/_bulk", NDJSON, big, strlen(big), NULL, &r);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 413);
    assert_int_equal(r.len, 0);
    assert_header(&r, "Content-Length", "0");
    assert_header(&r, "X-elastic-product", NULL);
    assert_header(&r, "Content-Type", NULL);
    assert_header(&r, "Connection", NULL);
    assert_int_equal(r.connects, 1);
    reply_free(&r);
    http(h, port, "POST", "/s/_bulk", NDJSON, small, strlen(small), NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.connects, 0); /* the same connection was reused */
    reply_free(&r);
    curl_easy_cleanup(h);

    /* exactly at the limit is fine */
    {
        char *exact = malloc(4096);
        size_t fill;

        assert_non_null(exact);
        memcpy(exact, small, strlen(small));
        /* pad with empty lines, which bulk parsing skips */
        for (fill = strlen(small); fill < 4096; fill++)
            exact[fill] = '\n';
        http(NULL, port, "POST", "/s/_bulk", NDJSON, exact, 4096, NULL, &r);
        assert_int_equal(r.status, 200);
        reply_free(&r);
        http(NULL, port, "POST", "/s/_bulk", NDJSON, exact, 4096, chunked, &r);
        assert_int_equal(r.status, 200);
        reply_free(&r);
        free(exact);
    }

    /* chunked, the running total passes the limit: 413 and close */
    http(NULL, port, "POST", "/_bulk", NDJSON, big, strlen(big), chunked, &r);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 413);
    assert_int_equal(r.len, 0);
    assert_header(&r, "Connection", "close");
    assert_header(&r, "X-elastic-product", NULL);
    reply_free(&r);

    /* gzip: the limit counts decompressed bytes */
    z = gzip_body(big, strlen(big), &zlen);
    assert_true(zlen < 4096);
    http(NULL, port, "POST", "/_bulk", NDJSON, z, zlen, gz, &r);
    assert_int_equal(r.status, 413);
    assert_header(&r, "Connection", "close");
    reply_free(&r);
    free(z);
    z = gzip_body(small, strlen(small), &zlen);
    http(NULL, port, "POST", "/s/_bulk", NDJSON, z, zlen, gz, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    free(z);

    /* Expect: 100-continue under the limit: 100, then the answer */
    http(NULL, port, "POST", "/s/_bulk", NDJSON, small, strlen(small), expect,
         &r);
    assert_int_equal(r.status, 200);
    assert_true(r.got_100);
    reply_free(&r);
    /* over it: a final 413 instead of the 100 */
    http(NULL, port, "POST", "/_bulk", NDJSON, big, strlen(big), expect, &r);
    assert_int_equal(r.status, 413);
    assert_false(r.got_100);
    assert_int_equal(r.len, 0);
    reply_free(&r);

    /* an expectation Netty does not know: 417 and close */
    {
        const char *const odd[] = {"Expect: something-else", NULL};

        http(NULL, port, "POST", "/s/_bulk", NDJSON, small, strlen(small), odd,
             &r);
        assert_int_equal(r.status, 417);
        assert_header(&r, "Connection", "close");
        reply_free(&r);
    }

    /* the transport's answers are in the stats too */
    st = stats(port);
    assert_int_equal(stat_int(st, "responses", "413", NULL), 4);
    assert_int_equal(stat_int(st, "responses", "417", NULL), 1);
    assert_int_equal(stat_int(st, "indices", "s", "docs"), 10);
    json_decref(st);
    free(big);
    free(small);
}

static void
test_mode_differences(void **state)
{
    const char *body =
        "{\"index\":{\"_index\":\"m\",\"_id\":\"1\"}}\n{\"a\":1}\n";
    struct {
        const char *const *flags;
        const char *prefix;
        const char *ctype;
        const char *product;
        bool type_doc;
    } modes[] = {
        {ES7, "{\"took\":", "application/json; charset=UTF-8", "Elasticsearch",
         true},
        {ES8, "{\"errors\":false,\"took\":", "application/json;charset=utf-8",
         "Elasticsearch", false},
        {OS, "{\"took\":", "application/json; charset=UTF-8", NULL, false},
    };
    static const char *const np[] = {"--mode", "es8", "--no-product-header",
                                     NULL};
    size_t m;
    struct reply r;

    (void)state;
    for (m = 0; m < 3; m++) {
        unsigned port = server_start(modes[m].flags);

        post_bulk(port, "/_bulk", body, &r);
        assert_int_equal(r.status, 200);
        assert_memory_equal(r.body, modes[m].prefix, strlen(modes[m].prefix));
        assert_header(&r, "Content-Type", modes[m].ctype);
        assert_header(&r, "X-elastic-product", modes[m].product);
        if (modes[m].type_doc)
            assert_non_null(strstr(r.body, "{\"index\":{\"_index\":\"m\","
                                           "\"_type\":\"_doc\",\"_id\":\"1\""));
        else
            assert_null(strstr(r.body, "_type"));
        if (m != 1)
            assert_non_null(strstr(r.body, ",\"errors\":false,\"items\":["));
        reply_free(&r);
    }
    http(NULL, server_start(np), "GET", "/", NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_header(&r, "X-elastic-product", NULL);
    reply_free(&r);
}

static void
test_keep_alive(void **state)
{
    unsigned port = server_start(ES8);
    CURL *h = curl_easy_init();
    const char *body = "{\"index\":{\"_index\":\"k\"}}\n{\"x\":1}\n";
    long connects = 0;
    size_t i;
    json_t *st = NULL;

    (void)state;
    for (i = 0; i < 50; i++) {
        struct reply r;

        http(h, port, "POST", "/_bulk", NDJSON, body, strlen(body), NULL, &r);
        assert_int_equal(r.status, 200);
        connects += r.connects;
        reply_free(&r);
    }
    curl_easy_cleanup(h);
    assert_int_equal(connects, 1);
    st = stats(port);
    assert_int_equal(stat_int(st, "indices", "k", "docs"), 50);
    json_decref(st);
}

/* Per-item exception names differ: OpenSearch drops the "es_" prefix. */
static void
test_item_exception_names(void **state)
{
    static const char *const os429[] = {"--mode", "opensearch",
                                        "--item-429-rate", "1", NULL};
    static const char *const es8num[] = {"--mode", "es8", "--numeric-field",
                                         "b", NULL};
    static const char *const es7num[] = {"--mode", "es7", "--numeric-field",
                                         "b", NULL};
    const char *doc = "{\"index\":{\"_index\":\"n\",\"_id\":\"1\"}}\n"
                      "{\"b\":\"abc\"}\n";
    struct reply r;

    (void)state;
    post_bulk(server_start(os429), "/_bulk", doc, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(count_items(&r, 429), 1);
    assert_non_null(strstr(r.body, "\"error\":{\"type\":\"rejected_execution_"
                                   "exception\""));
    assert_null(strstr(r.body, "es_rejected"));
    reply_free(&r);

    /* --numeric-field maps b as long: "abc" cannot be parsed */
    post_bulk(server_start(es7num), "/_bulk", doc, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(count_items(&r, 400), 1);
    assert_non_null(strstr(r.body, "\"error\":{\"type\":\"mapper_parsing_"
                                   "exception\""));
    reply_free(&r);
    post_bulk(server_start(es8num), "/_bulk", doc, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(count_items(&r, 400), 1);
    assert_non_null(strstr(r.body, "\"error\":{\"type\":\"document_"
                                   "parsing_exception\""));
    reply_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_mixed_actions, teardown),
        cmocka_unit_test_teardown(test_update_missing, teardown),
        cmocka_unit_test_teardown(test_create_compact_es8, teardown),
        cmocka_unit_test_teardown(test_partial_document_parsing_es8, teardown),
        cmocka_unit_test_teardown(test_create_conflict_409, teardown),
        cmocka_unit_test_teardown(test_item_429_fault_es7, teardown),
        cmocka_unit_test_teardown(test_mapper_parsing_es7, teardown),
        cmocka_unit_test_teardown(test_updated_compact_opensearch, teardown),
        cmocka_unit_test_teardown(test_whole_request_errors_exact, teardown),
        cmocka_unit_test_teardown(test_index_routes, teardown),
        cmocka_unit_test_teardown(test_root_per_mode, teardown),
        cmocka_unit_test_teardown(test_auth_401, teardown),
        cmocka_unit_test_teardown(test_request_429_types, teardown),
        cmocka_unit_test_teardown(test_item_fault_rates, teardown),
        cmocka_unit_test_teardown(test_request_fault_rates, teardown),
        cmocka_unit_test_teardown(test_drop_rate, teardown),
        cmocka_unit_test_teardown(test_delay, teardown),
        cmocka_unit_test_teardown(test_retry_after, teardown),
        cmocka_unit_test_teardown(test_root_status, teardown),
        cmocka_unit_test_teardown(test_root_status_401, teardown),
        cmocka_unit_test_teardown(test_exactly_once, teardown),
        cmocka_unit_test_teardown(test_gzip_body, teardown),
        cmocka_unit_test_teardown(test_413, teardown),
        cmocka_unit_test_teardown(test_mode_differences, teardown),
        cmocka_unit_test_teardown(test_keep_alive, teardown),
        cmocka_unit_test_teardown(test_item_exception_names, teardown),
    };

    return httptest_run("test_es_server", tests,
                        sizeof(tests) / sizeof(tests[0]));
}
