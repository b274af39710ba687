/*
 * test_pg_render.c
 *    PostgreSQL text values to JSON, type by type, with the exact output
 *    (and the exact reason for values JSON cannot hold); whole rows with
 *    NULLs, errors and the size bound; the id hash's published vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "forkbulk/pg_render.h"

/* Renders v as a value of type oid and checks the JSON text. */
static void
assert_renders(unsigned int oid, const char *v, const char *want)
{
    struct fb_pg_coltype t;
    char out[512];
    char scratch[128];
    char err[256] = "";
    size_t pos = 0;
    int rc;

    fb_pg_render_type(oid, &t);
    rc = fb_pg_render_value(&t, "c", v, strlen(v), out, sizeof out, &pos,
                            scratch, sizeof scratch, err, sizeof err);
    if (rc != FB_PG_RENDER_OK)
        fail_msg("oid %u value %s: rc %d %s", oid, v, rc, err);
    if (pos != strlen(want) || memcmp(out, want, pos) != 0)
        fail_msg("oid %u value %s: got %.*s, want %s", oid, v, (int)pos, out,
                 want);
}

static void
assert_refused(unsigned int oid, const char *v, const char *want_err)
{
    struct fb_pg_coltype t;
    char out[512];
    char scratch[128];
    char err[256] = "";
    size_t pos = 3;
    int rc;

    fb_pg_render_type(oid, &t);
    rc = fb_pg_render_value(&t, "x", v, strlen(v), out, sizeof out, &pos,
                            scratch, sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_EVALUE);
    assert_int_equal(pos, 3);
    assert_string_equal(err, want_err);
}

static void
test_integers(void **state)
{
    (void)state;
    assert_renders(21, "-32768", "-32768");
    assert_renders(23, "2147483647", "2147483647");
    assert_renders(20, "-9223372036854775808", "-9223372036854775808");
    assert_renders(26, "4294967295", "4294967295");
}

static void
test_floats(void **state)
{
    (void)state;
    assert_renders(700, "1.5", "1.5");
    assert_renders(701, "0.1", "0.1");
    assert_renders(701, "1e+100", "1e+100");
    assert_renders(701, "-1.2345678901234567e-07", "-1.2345678901234567e-07");
    assert_renders(701, "-0", "-0");
    assert_refused(701, "NaN", "column [x] is NaN: JSON has no NaN");
    assert_refused(700, "Infinity",
                   "column [x] is Infinity: JSON has no Infinity");
    assert_refused(701, "-Infinity",
                   "column [x] is -Infinity: JSON has no Infinity");
}

static void
test_numeric(void **state)
{
    (void)state;
    /* Exactly as printed: trailing zeros and all digits kept. */
    assert_renders(1700, "123.4500", "123.4500");
    assert_renders(1700, "-0.000000000000000000001",
                   "-0.000000000000000000001");
    assert_renders(1700, "123456789012345678901234567890",
                   "123456789012345678901234567890");
    assert_refused(1700, "NaN", "column [x] is NaN: JSON has no NaN");
    assert_refused(1700, "Infinity",
                   "column [x] is Infinity: JSON has no Infinity");
    assert_refused(1700, "-Infinity",
                   "column [x] is -Infinity: JSON has no Infinity");
}

static void
test_bool(void **state)
{
    (void)state;
    assert_renders(16, "t", "true");
    assert_renders(16, "f", "false");
    assert_refused(16, "yes", "column [x] is not a boolean (yes)");
}

static void
test_strings(void **state)
{
    (void)state;
    assert_renders(25, "plain", "\"plain\"");
    assert_renders(1043, "q\"b\\s/", "\"q\\\"b\\\\s/\"");
    assert_renders(1042, "a\nb\tc\r\x01", "\"a\\nb\\tc\\r\\u0001\"");
    /* UTF-8 passes through as it is: é, €, 😀 */
    assert_renders(25, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
                   "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    assert_renders(25, "", "\"\"");
    assert_renders(1082, "2026-11-27", "\"2026-11-27\"");
    assert_renders(869, "192.0.2.1", "\"192.0.2.1\"");
    assert_renders(869, "2001:db8::1/64", "\"2001:db8::1/64\"");
    assert_renders(650, "10.0.0.0/8", "\"10.0.0.0/8\"");
    assert_renders(2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                   "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
    /* An unknown type (interval, oid 1186): its text as a string. */
    assert_renders(1186, "01:00:00", "\"01:00:00\"");
}

static void
test_timestamps(void **state)
{
    (void)state;
    assert_renders(1184, "2026-11-27 03:00:00+00", "\"2026-11-27T03:00:00Z\"");
    assert_renders(1184, "2026-11-27 03:59:59.123456+00",
                   "\"2026-11-27T03:59:59.123456Z\"");
    assert_renders(1184, "2026-11-27 03:00:00.5+05:30",
                   "\"2026-11-27T03:00:00.5+05:30\"");
    assert_renders(1184, "2026-11-27 03:00:00-08",
                   "\"2026-11-27T03:00:00-08:00\"");
    assert_renders(1114, "2026-11-27 03:00:00.25",
                   "\"2026-11-27T03:00:00.25Z\"");
    assert_renders(1114, "12026-01-01 00:00:00", "\"12026-01-01T00:00:00Z\"");
    assert_refused(1184, "infinity",
                   "column [x] is infinity: no ISO 8601 form");
    assert_refused(1114, "-infinity",
                   "column [x] is -infinity: no ISO 8601 form");
    assert_refused(1184, "0044-03-15 12:00:00+00 BC",
                   "column [x] is a BC date: no ISO 8601 form");
}

static void
test_json(void **state)
{
    (void)state;
    assert_renders(3802, "{\"a\": 1, \"b\": [true, null]}",
                   "{\"a\":1,\"b\":[true,null]}");
    /* json keeps its input text: newlines outside strings must go,
     * whitespace and escapes inside strings must stay. */
    assert_renders(114, "{\n  \"k y\" : \"v \\\" \\n w\"\n}",
                   "{\"k y\":\"v \\\" \\n w\"}");
    assert_renders(114, "42", "42");
    assert_renders(3802, "\"s\"", "\"s\"");
}

static void
test_arrays(void **state)
{
    (void)state;
    assert_renders(1007, "{1,2,NULL,-4}", "[1,2,null,-4]");
    assert_renders(1007, "{}", "[]");
    assert_renders(1007, "{{1,2},{3,4}}", "[[1,2],[3,4]]");
    assert_renders(1007, "[0:1]={7,8}", "[7,8]");
    assert_renders(1000, "{t,f,NULL}", "[true,false,null]");
    assert_renders(1009, "{a,\"b c\",\"q\\\"x\",\"NULL\",NULL,\"\"}",
                   "[\"a\",\"b c\",\"q\\\"x\",\"NULL\",null,\"\"]");
    assert_renders(1009, "{\"back\\\\slash\",\"com,ma\",\"{}\"}",
                   "[\"back\\\\slash\",\"com,ma\",\"{}\"]");
    assert_renders(1231, "{1.50,NULL}", "[1.50,null]");
    assert_renders(1185, "{\"2026-11-27 03:00:00+00\",NULL}",
                   "[\"2026-11-27T03:00:00Z\",null]");
    assert_renders(3807, "{\"{\\\"a\\\": 1}\",\"[1, 2]\"}",
                   "[{\"a\":1},[1,2]]");
    assert_renders(2951, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
                   "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]");
    assert_renders(1041, "{192.0.2.1,::1}", "[\"192.0.2.1\",\"::1\"]");
    assert_refused(1022, "{1,NaN}", "column [x] is NaN: JSON has no NaN");
    assert_refused(1007, "{1,2", "column [x] is not an array literal ({1,2)");
}

static void
test_row(void **state)
{
    struct fb_pg_render_col cols[4];
    char keys[4][64];
    const char *vals[4] = {"7", NULL, "t\"x", "NaN"};
    int lens[4] = {1, -1, 3, 3};
    char out[256];
    char scratch[64];
    char err[256] = "";
    size_t len = 0;
    int rc;

    (void)state;
    cols[0].name = "id";
    fb_pg_render_type(20, &cols[0].type);
    cols[1].name = "gone";
    fb_pg_render_type(25, &cols[1].type);
    cols[2].name = "na\"me";
    fb_pg_render_type(25, &cols[2].type);
    cols[3].name = "f";
    fb_pg_render_type(701, &cols[3].type);
    for (int i = 0; i < 4; i++) {
        cols[i].key = keys[i];
        cols[i].key_len = fb_pg_render_key(cols[i].name, keys[i], 64);
    }
    assert_int_equal(cols[2].key_len, 9);
    assert_memory_equal(cols[2].key, "\"na\\\"me\":", 9);

    /* Three columns, NULL omitted. */
    rc = fb_pg_render_row(cols, 3, vals, lens, false, out, sizeof out, &len,
                          scratch, sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_OK);
    assert_int_equal(len, strlen("{\"id\":7,\"na\\\"me\":\"t\\\"x\"}"));
    assert_memory_equal(out, "{\"id\":7,\"na\\\"me\":\"t\\\"x\"}", len);

    /* NULL as null. */
    rc = fb_pg_render_row(cols, 2, vals, lens, true, out, sizeof out, &len,
                          scratch, sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_OK);
    assert_int_equal(len, strlen("{\"id\":7,\"gone\":null}"));
    assert_memory_equal(out, "{\"id\":7,\"gone\":null}", len);

    /* All NULL and omitted: an empty object. */
    rc = fb_pg_render_row(cols + 1, 1, vals + 1, lens + 1, false, out,
                          sizeof out, &len, scratch, sizeof scratch, err,
                          sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(out, "{}", 2);

    /* A NaN: the row is still rendered (as text) for the reject file. */
    rc = fb_pg_render_row(cols, 4, vals, lens, false, out, sizeof out, &len,
                          scratch, sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_EVALUE);
    assert_string_equal(err, "column [f] is NaN: JSON has no NaN");
    assert_int_equal(
        len, strlen("{\"id\":7,\"na\\\"me\":\"t\\\"x\",\"f\":\"NaN\"}"));
    assert_memory_equal(out, "{\"id\":7,\"na\\\"me\":\"t\\\"x\",\"f\":\"NaN\"}",
                        len);

    /* Too large: 20 bytes do not hold {"id":7,"na\"me":"t\"x"} (24). */
    rc = fb_pg_render_row(cols, 3, vals, lens, false, out, 20, &len, scratch,
                          sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_EFULL);
    assert_string_equal(err, "document is more than 20 bytes");
    assert_true(len <= 20);
    assert_memory_equal(out, "{\"id\":7,\"na\\\"me\":", len);

    /* Exactly fitting is fine; one byte less is not. */
    rc = fb_pg_render_row(cols, 3, vals, lens, false, out, 24, &len, scratch,
                          sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_OK);
    assert_int_equal(len, 24);
    rc = fb_pg_render_row(cols, 3, vals, lens, false, out, 23, &len, scratch,
                          sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_EFULL);
    assert_int_equal(len, 23);
}

static void
test_array_element_bound(void **state)
{
    struct fb_pg_coltype t;
    const char *v = "{\"0123456789\"}";
    char out[64];
    char scratch[8];
    char err[64] = "";
    size_t pos = 0;

    (void)state;
    fb_pg_render_type(1009, &t);
    /* The unescaped element (10 bytes) does not fit the 8-byte scratch. */
    assert_int_equal(fb_pg_render_value(&t, "a", v, strlen(v), out, sizeof out,
                                        &pos, scratch, sizeof scratch, err,
                                        sizeof err),
                     FB_PG_RENDER_EFULL);
    assert_int_equal(pos, 0);
}

static void
assert_hash(const char *const *vals, const int *lens, int n, const char *want)
{
    struct fb_pg_idhash h;
    char hex[33];
    int i;

    fb_pg_render_idhash_init(&h);
    for (i = 0; i < n; i++)
        fb_pg_render_idhash_value(&h, vals[i], lens[i]);
    fb_pg_render_idhash_hex(&h, hex);
    assert_string_equal(hex, want);
}

static void
test_idhash(void **state)
{
    struct fb_pg_idhash h;
    char hex[33];
    const char *ab[2] = {"a", "b"};
    int ab_len[2] = {1, 1};
    const char *x[2] = {"a,b", NULL};
    int x_len[2] = {3, -1};
    const char *y[2] = {"a", "b,"};
    int y_len[2] = {1, 2};

    (void)state;
    /* The published FNV-1a 128 vectors: "" and "a". */
    fb_pg_render_idhash_init(&h);
    fb_pg_render_idhash_hex(&h, hex);
    assert_string_equal(hex, "6c62272e07bb014262b821756295c58d");
    fb_pg_render_idhash_bytes(&h, "a", 1);
    fb_pg_render_idhash_hex(&h, hex);
    assert_string_equal(hex, "d228cb696f1a8caf78912b704e4a8964");
    /* "1:a,1:b," and "3:a,b,N," */
    assert_hash(ab, ab_len, 2, "dcbe14fb66659a534e1a5a453a8e9976");
    assert_hash(x, x_len, 2, "70e2f1e318659a5e03dc72ea19b266b1");
    /* ("a", "b,") encodes as "1:a,2:b,," : differs from ("a,b", NULL). */
    {
        struct fb_pg_idhash h2;
        char hex2[33];

        fb_pg_render_idhash_init(&h2);
        fb_pg_render_idhash_value(&h2, y[0], y_len[0]);
        fb_pg_render_idhash_value(&h2, y[1], y_len[1]);
        fb_pg_render_idhash_hex(&h2, hex2);
        assert_string_not_equal(hex2, "70e2f1e318659a5e03dc72ea19b266b1");
        assert_string_not_equal(hex2, "dcbe14fb66659a534e1a5a453a8e9976");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_numeric),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_row),
        cmocka_unit_test(test_array_element_bound),
        cmocka_unit_test(test_idhash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
