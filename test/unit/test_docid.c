/*
 * test_docid.c
 *    Document ids: from a field (strings, integers, every refusal with its
 *    exact reason, the 512-byte limit) and from the source position (the
 *    FNV-1a file identity, stable across spellings of the same path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkbulk/docid.h"

static void
assert_id(const char *doc, const char *field, const char *want, size_t wantlen)
{
    char out[FB_DOCID_BUFSIZE];
    char err[256] = "";
    size_t n = 0;

    if (fb_docid_from_field(doc, strlen(doc), field, out, sizeof out, &n, err,
                            sizeof err) != 0)
        fail_msg("%s in %s: %s", field, doc, err);
    assert_int_equal(n, wantlen);
    assert_memory_equal(out, want, wantlen);
    assert_int_equal(out[n], '\0');
}

static void
assert_refused(const char *doc, const char *field, const char *want)
{
    char out[FB_DOCID_BUFSIZE];
    char err[256] = "";
    size_t n = 0;

    assert_int_equal(fb_docid_from_field(doc, strlen(doc), field, out,
                                         sizeof out, &n, err, sizeof err),
                     -1);
    assert_string_equal(err, want);
}

static void
test_from_field(void **state)
{
    const char *doc = "{\"flow\":{\"id\":\"f-17\",\"n\":42,\"neg\":-7,"
                      "\"big\":123456789012345678901234567890},"
                      "\"esc\":\"a\\u00e9\\\"b\",\"dot.ted\":\"d1\","
                      "\"nul\":\"x\\u0000y\"}";

    (void)state;
    assert_id(doc, "flow.id", "f-17", 4);
    assert_id(doc, "flow.n", "42", 2);
    assert_id(doc, "flow.neg", "-7", 2);
    assert_id(doc, "flow.big", "123456789012345678901234567890", 30);
    assert_id(doc, "esc", "a\xc3\xa9\"b", 5);
    assert_id(doc, "dot.ted", "d1", 2);
    assert_id(doc, "nul", "x\0y", 3);
}

static void
test_refusals(void **state)
{
    const char *doc = "{\"o\":{\"k\":1},\"a\":[1],\"t\":true,\"f\":false,"
                      "\"z\":null,\"e\":\"\",\"r\":1.5,\"x\":2e3,"
                      "\"s\":\"v\"}";

    (void)state;
    assert_refused(doc, "missing", "id field [missing] is missing");
    assert_refused(doc, "o.missing", "id field [o.missing] is missing");
    assert_refused(doc, "s.deeper", "id field [s.deeper] is missing");
    assert_refused(doc, "o", "id field [o] is an object");
    assert_refused(doc, "a", "id field [a] is an array");
    assert_refused(doc, "t", "id field [t] is a boolean");
    assert_refused(doc, "f", "id field [f] is a boolean");
    assert_refused(doc, "z", "id field [z] is null");
    assert_refused(doc, "e", "id field [e] is empty");
    assert_refused(doc, "r", "id field [r] is not an integer (1.5)");
    assert_refused(doc, "x", "id field [x] is not an integer (2e3)");
    assert_refused("{\"a\" 1}", "a", "invalid JSON at column 6: expected ':'");
    assert_refused("[1]", "a", "not a JSON object: found array");
    assert_refused("{}", "a..b", "invalid field path [a..b]");
}

static void
test_length_limit(void **state)
{
    char doc[2048];
    char id[FB_ES_ID_MAX + 2];
    size_t n;

    (void)state;
    memset(id, 'k', sizeof id);
    /* Exactly 512 bytes: accepted. */
    snprintf(doc, sizeof doc, "{\"id\":\"%.*s\"}", FB_ES_ID_MAX, id);
    assert_id(doc, "id", id, FB_ES_ID_MAX);
    /* 513: refused, with its size. */
    snprintf(doc, sizeof doc, "{\"id\":\"%.*s\"}", FB_ES_ID_MAX + 1, id);
    assert_refused(doc, "id",
                   "id field [id] is 513 bytes, more than the 512 allowed");
    /* With escapes, the limit is on the unescaped bytes: 510 + 2 = 512 is
     * accepted, 511 + 2 is not. */
    n = (size_t)snprintf(doc, sizeof doc, "{\"id\":\"%.*s\\u00e9\"}",
                         FB_ES_ID_MAX - 2, id);
    assert_true(n < sizeof doc);
    {
        char want[FB_ES_ID_MAX];

        memset(want, 'k', FB_ES_ID_MAX - 2);
        memcpy(want + FB_ES_ID_MAX - 2, "\xc3\xa9", 2);
        assert_id(doc, "id", want, FB_ES_ID_MAX);
    }
    snprintf(doc, sizeof doc, "{\"id\":\"%.*s\\u00e9\"}", FB_ES_ID_MAX - 1, id);
    assert_refused(doc, "id",
                   "id field [id] is more than the 512 bytes allowed");
    /* A 513-digit integer. */
    memset(id, '7', sizeof id);
    snprintf(doc, sizeof doc, "{\"id\":%.*s}", FB_ES_ID_MAX + 1, id);
    assert_refused(doc, "id", "id field [id] is more than 512 bytes");
    snprintf(doc, sizeof doc, "{\"id\":%.*s}", FB_ES_ID_MAX, id);
    assert_id(doc, "id", id, FB_ES_ID_MAX);
}

static void
test_hash_vectors(void **state)
{
    (void)state;
    /* The published FNV-1a 64-bit test vectors. */
    assert_true(fb_docid_hash("", 0) == UINT64_C(0xcbf29ce484222325));
    assert_true(fb_docid_hash("a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
    assert_true(fb_docid_hash("foobar", 6) == UINT64_C(0x85944171f73967e8));
}

static void
test_position_ids(void **state)
{
    struct fb_docid_source s;
    char out[FB_DOCID_BUFSIZE];
    char want[64];

    (void)state;
    fb_docid_source_from_realpath(&s, "foobar");
    assert_string_equal(s.prefix, "85944171f73967e8");
    assert_int_equal(fb_docid_position(&s, 1048576, out, sizeof out), 24);
    assert_string_equal(out, "85944171f73967e8-1048576");
    assert_int_equal(fb_docid_position(&s, 0, out, sizeof out), 18);
    assert_string_equal(out, "85944171f73967e8-0");
    assert_int_equal(fb_docid_position(&s, UINT64_MAX, out, sizeof out), 37);
    snprintf(want, sizeof want, "85944171f73967e8-%" PRIu64, UINT64_MAX);
    assert_string_equal(out, want);
    /* Too small a buffer: 0, never a cut id. */
    assert_int_equal(fb_docid_position(&s, 1048576, out, 24), 0);
    assert_int_equal(fb_docid_source_init(&s, NULL), 0);
    assert_string_equal(s.prefix, "stdin");
    assert_int_equal(fb_docid_source_init(&s, "-"), 0);
    assert_int_equal(fb_docid_position(&s, 42, out, sizeof out), 8);
    assert_string_equal(out, "stdin-42");
}

/* The same file named three ways (absolute, relative, through a symlink)
 * has one identity: the hash of its real path. */
static void
test_file_identity(void **state)
{
    char dir[] = "/tmp/fb_docid_XXXXXX";
    char file[256], link[256], rel[512], cwd[512];
    char *real = NULL;
    struct fb_docid_source a, b, c, d;
    char want[17];
    FILE *f = NULL;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/in.ndjson", dir);
    snprintf(link, sizeof link, "%s/link.ndjson", dir);
    f = fopen(file, "w");
    assert_non_null(f);
    fputs("{}\n", f);
    fclose(f);
    assert_int_equal(symlink(file, link), 0);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    snprintf(rel, sizeof rel, "./../%s/in.ndjson", strrchr(dir, '/') + 1);

    assert_int_equal(fb_docid_source_init(&a, file), 0);
    assert_int_equal(fb_docid_source_init(&b, "in.ndjson"), 0);
    assert_int_equal(fb_docid_source_init(&c, link), 0);
    assert_int_equal(fb_docid_source_init(&d, rel), 0);
    real = realpath(file, NULL);
    assert_non_null(real);
    snprintf(want, sizeof want, "%016" PRIx64,
             fb_docid_hash(real, strlen(real)));
    assert_string_equal(a.prefix, want);
    assert_string_equal(b.prefix, want);
    assert_string_equal(c.prefix, want);
    assert_string_equal(d.prefix, want);
    /* A different file has a different identity. */
    assert_int_equal(fb_docid_source_init(&d, dir), 0);
    assert_string_not_equal(d.prefix, want);
    errno = 0;
    assert_int_equal(fb_docid_source_init(&d, "no-such-file"), -1);
    assert_int_equal(errno, ENOENT);

    assert_int_equal(chdir(cwd), 0);
    free(real);
    unlink(link);
    unlink(file);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_field),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_hash_vectors),
        cmocka_unit_test(test_position_ids),
        cmocka_unit_test(test_file_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
