/*
 * test_pg_render.c
 *    PostgreSQL text values to JSON, kind by kind, with the exact output
 *    (and the exact reason for values JSON cannot hold); nested values
 *    (arrays of anything, composites, ranges, multiranges) parsed from
 *    the literals PostgreSQL prints; whole rows with NULLs, errors and the
 *    size bound; the id hash's published vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "forkbulk/pg_render.h"

/* The types of the tests, as pg_type.c would build them. */
static const struct fb_pg_type T_STRING = {.kind = FB_PG_KIND_STRING};
static const struct fb_pg_type T_INT = {.kind = FB_PG_KIND_INT};
static const struct fb_pg_type T_FLOAT = {.kind = FB_PG_KIND_FLOAT};
static const struct fb_pg_type T_NUMERIC = {.kind = FB_PG_KIND_NUMERIC};
static const struct fb_pg_type T_BOOL = {.kind = FB_PG_KIND_BOOL};
static const struct fb_pg_type T_TS = {.kind = FB_PG_KIND_TIMESTAMP};
static const struct fb_pg_type T_TSTZ = {.kind = FB_PG_KIND_TIMESTAMPTZ};
static const struct fb_pg_type T_DATE = {.kind = FB_PG_KIND_DATE};
static const struct fb_pg_type T_JSON = {.kind = FB_PG_KIND_JSON};
static const struct fb_pg_type T_BYTEA = {.kind = FB_PG_KIND_BYTEA};
static const struct fb_pg_type T_MONEY = {.kind = FB_PG_KIND_MONEY};

#define ARRAY_OF(e)                                                            \
    {                                                                          \
        .kind = FB_PG_KIND_ARRAY, .delim = ',', .elem = &(e)                   \
    }
static const struct fb_pg_type A_STRING = ARRAY_OF(T_STRING);
static const struct fb_pg_type A_INT = ARRAY_OF(T_INT);
static const struct fb_pg_type A_FLOAT = ARRAY_OF(T_FLOAT);
static const struct fb_pg_type A_NUMERIC = ARRAY_OF(T_NUMERIC);
static const struct fb_pg_type A_BOOL = ARRAY_OF(T_BOOL);
static const struct fb_pg_type A_TSTZ = ARRAY_OF(T_TSTZ);
static const struct fb_pg_type A_DATE = ARRAY_OF(T_DATE);
static const struct fb_pg_type A_JSON = ARRAY_OF(T_JSON);
static const struct fb_pg_type A_BYTEA = ARRAY_OF(T_BYTEA);
/* box[]: box's typdelim is ';' */
static const struct fb_pg_type A_BOX = {
    .kind = FB_PG_KIND_ARRAY, .delim = ';', .elem = &T_STRING};

static const struct fb_pg_render_opts OMIT = {false, false};
static const struct fb_pg_render_opts NULLS = {true, true};

static void
render_as(const struct fb_pg_type *t, const struct fb_pg_render_opts *o,
          const char *v, const char *want)
{
    char out[512];
    char scratch[256];
    char err[256] = "";
    size_t pos = 0;
    int rc;

    rc = fb_pg_render_value(t, o, "c", v, strlen(v), out, sizeof out, &pos,
                            scratch, sizeof scratch, err, sizeof err);
    if (rc != FB_PG_RENDER_OK)
        fail_msg("value %s: rc %d %s", v, rc, err);
    if (pos != strlen(want) || memcmp(out, want, pos) != 0)
        fail_msg("value %s: got %.*s, want %s", v, (int)pos, out, want);
}

/* Renders v as a value of type t and checks the JSON text. */
static void
assert_renders(const struct fb_pg_type *t, const char *v, const char *want)
{
    render_as(t, &OMIT, v, want);
}

static void
assert_refused_as(const struct fb_pg_type *t, const struct fb_pg_render_opts *o,
                  const char *v, const char *want_err)
{
    char out[512];
    char scratch[128];
    char err[256] = "";
    size_t pos = 3;
    int rc;

    rc = fb_pg_render_value(t, o, "x", v, strlen(v), out, sizeof out, &pos,
                            scratch, sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_EVALUE);
    assert_int_equal(pos, 3);
    assert_string_equal(err, want_err);
}

static void
assert_refused(const struct fb_pg_type *t, const char *v, const char *want_err)
{
    assert_refused_as(t, &OMIT, v, want_err);
}

static void
test_integers(void **state)
{
    (void)state;
    assert_renders(&T_INT, "-32768", "-32768");
    assert_renders(&T_INT, "2147483647", "2147483647");
    assert_renders(&T_INT, "-9223372036854775808", "-9223372036854775808");
    assert_renders(&T_INT, "4294967295", "4294967295");
}

static void
test_floats(void **state)
{
    (void)state;
    assert_renders(&T_FLOAT, "1.5", "1.5");
    assert_renders(&T_FLOAT, "0.1", "0.1");
    assert_renders(&T_FLOAT, "1e+100", "1e+100");
    assert_renders(&T_FLOAT, "-1.2345678901234567e-07",
                   "-1.2345678901234567e-07");
    assert_renders(&T_FLOAT, "-0", "-0");
    assert_refused(&T_FLOAT, "NaN", "column [x] is NaN: JSON has no NaN");
    assert_refused(&T_FLOAT, "Infinity",
                   "column [x] is Infinity: JSON has no Infinity");
    assert_refused(&T_FLOAT, "-Infinity",
                   "column [x] is -Infinity: JSON has no Infinity");
}

static void
test_numeric(void **state)
{
    (void)state;
    /* Exactly as printed: trailing zeros and all digits kept. */
    assert_renders(&T_NUMERIC, "123.4500", "123.4500");
    assert_renders(&T_NUMERIC, "-0.000000000000000000001",
                   "-0.000000000000000000001");
    assert_renders(&T_NUMERIC, "123456789012345678901234567890",
                   "123456789012345678901234567890");
    assert_refused(&T_NUMERIC, "NaN", "column [x] is NaN: JSON has no NaN");
    assert_refused(&T_NUMERIC, "Infinity",
                   "column [x] is Infinity: JSON has no Infinity");
    assert_refused(&T_NUMERIC, "-Infinity",
                   "column [x] is -Infinity: JSON has no Infinity");
}

static void
test_bool(void **state)
{
    (void)state;
    assert_renders(&T_BOOL, "t", "true");
    assert_renders(&T_BOOL, "f", "false");
    assert_refused(&T_BOOL, "yes", "column [x] is not a boolean (yes)");
}

static void
test_strings(void **state)
{
    (void)state;
    assert_renders(&T_STRING, "plain", "\"plain\"");
    assert_renders(&T_STRING, "q\"b\\s/", "\"q\\\"b\\\\s/\"");
    assert_renders(&T_STRING, "a\nb\tc\r\x01", "\"a\\nb\\tc\\r\\u0001\"");
    /* UTF-8 passes through as it is: é, €, 😀 */
    assert_renders(&T_STRING, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
                   "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    assert_renders(&T_STRING, "", "\"\"");
    assert_renders(&T_DATE, "2026-11-27", "\"2026-11-27\"");
    assert_renders(&T_STRING, "192.0.2.1", "\"192.0.2.1\"");
    assert_renders(&T_STRING, "2001:db8::1/64", "\"2001:db8::1/64\"");
    assert_renders(&T_STRING, "10.0.0.0/8", "\"10.0.0.0/8\"");
    assert_renders(&T_STRING, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                   "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
    /* Any other type: its text as a string (an interval, as IntervalStyle
     * iso_8601 prints it; bit; a point). */
    assert_renders(&T_STRING, "P1Y2M3DT4H5M6.5S", "\"P1Y2M3DT4H5M6.5S\"");
    assert_renders(&T_STRING, "1010", "\"1010\"");
    assert_renders(&T_STRING, "(1,2)", "\"(1,2)\"");
}

static void
test_timestamps(void **state)
{
    (void)state;
    assert_renders(&T_TSTZ, "2026-11-27 03:00:00+00",
                   "\"2026-11-27T03:00:00Z\"");
    assert_renders(&T_TSTZ, "2026-11-27 03:59:59.123456+00",
                   "\"2026-11-27T03:59:59.123456Z\"");
    assert_renders(&T_TSTZ, "2026-11-27 03:00:00.5+05:30",
                   "\"2026-11-27T03:00:00.5+05:30\"");
    assert_renders(&T_TSTZ, "2026-11-27 03:00:00-08",
                   "\"2026-11-27T03:00:00-08:00\"");
    assert_renders(&T_TS, "2026-11-27 03:00:00.25",
                   "\"2026-11-27T03:00:00.25Z\"");
    assert_renders(&T_TS, "12026-01-01 00:00:00", "\"12026-01-01T00:00:00Z\"");
    assert_refused(&T_TSTZ, "0044-03-15 12:00:00+00 BC",
                   "column [x] is a BC date: no ISO 8601 form");
    assert_refused(&T_TSTZ, "2026-11-27",
                   "column [x] is not an ISO timestamp "
                   "(2026-11-27)");
}

static void
test_dates(void **state)
{
    (void)state;
    assert_renders(&T_DATE, "2026-11-27", "\"2026-11-27\"");
    assert_renders(&T_DATE, "12026-11-27", "\"12026-11-27\"");
    assert_refused(&T_DATE, "0044-03-15 BC",
                   "column [x] is a BC date: no ISO 8601 form");
}

/* One rule for date, timestamp and timestamptz: refused by default, null
 * under infinity_as_null. */
static void
test_infinity(void **state)
{
    static const struct fb_pg_type *const types[] = {&T_DATE, &T_TS, &T_TSTZ};
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        assert_refused(types[i], "infinity",
                       "column [x] is infinity: no ISO 8601 form "
                       "(--pg-infinity null sends null)");
        assert_refused(types[i], "-infinity",
                       "column [x] is -infinity: no ISO 8601 form "
                       "(--pg-infinity null sends null)");
        render_as(types[i], &NULLS, "infinity", "null");
        render_as(types[i], &NULLS, "-infinity", "null");
    }
    /* In an array: an element is null. */
    render_as(&A_DATE, &NULLS, "{2026-11-27,infinity,-infinity,NULL}",
              "[\"2026-11-27\",null,null,null]");
    assert_refused(&A_DATE, "{2026-11-27,infinity}",
                   "column [x] is infinity: no ISO 8601 form "
                   "(--pg-infinity null sends null)");
}

static void
test_bytea(void **state)
{
    (void)state;
    assert_renders(&T_BYTEA, "\\x", "\"\"");
    assert_renders(&T_BYTEA, "\\x66", "\"Zg==\"");
    assert_renders(&T_BYTEA, "\\x666f", "\"Zm8=\"");
    assert_renders(&T_BYTEA, "\\x666f6f", "\"Zm9v\"");
    assert_renders(&T_BYTEA, "\\xdeadbeef00", "\"3q2+7wA=\"");
    assert_renders(&T_BYTEA, "\\xfbff", "\"+/8=\"");
    assert_renders(&A_BYTEA, "{\"\\\\xdead\",NULL}", "[\"3q0=\",null]");
    assert_refused(&T_BYTEA, "\\336\\255",
                   "column [x] is not bytea hex text (\\336\\255)");
    assert_refused(&T_BYTEA, "\\xde4",
                   "column [x] is not bytea hex text "
                   "(\\xde4)");
    assert_refused(&T_BYTEA, "\\xzz",
                   "column [x] is not bytea hex text "
                   "(\\xzz)");
}

static void
test_money(void **state)
{
    (void)state;
    /* Only met where no cast could be written (a composite's attribute, a
     * query's column): its text follows lc_monetary. */
    assert_refused(&T_MONEY, "$12.34",
                   "column [x] holds money, whose text follows lc_monetary: "
                   "cast it to numeric in a --query");
}

static void
test_json(void **state)
{
    (void)state;
    assert_renders(&T_JSON, "{\"a\": 1, \"b\": [true, null]}",
                   "{\"a\":1,\"b\":[true,null]}");
    /* json keeps its input text: newlines outside strings must go,
     * whitespace and escapes inside strings must stay. */
    assert_renders(&T_JSON, "{\n  \"k y\" : \"v \\\" \\n w\"\n}",
                   "{\"k y\":\"v \\\" \\n w\"}");
    assert_renders(&T_JSON, "42", "42");
    assert_renders(&T_JSON, "\"s\"", "\"s\"");
}

static void
test_arrays(void **state)
{
    (void)state;
    assert_renders(&A_INT, "{1,2,NULL,-4}", "[1,2,null,-4]");
    assert_renders(&A_INT, "{}", "[]");
    assert_renders(&A_INT, "{{1,2},{3,4}}", "[[1,2],[3,4]]");
    assert_renders(&A_INT, "[0:1]={7,8}", "[7,8]");
    assert_renders(&A_BOOL, "{t,f,NULL}", "[true,false,null]");
    assert_renders(&A_STRING, "{a,\"b c\",\"q\\\"x\",\"NULL\",NULL,\"\"}",
                   "[\"a\",\"b c\",\"q\\\"x\",\"NULL\",null,\"\"]");
    assert_renders(&A_STRING, "{\"back\\\\slash\",\"com,ma\",\"{}\"}",
                   "[\"back\\\\slash\",\"com,ma\",\"{}\"]");
    assert_renders(&A_NUMERIC, "{1.50,NULL}", "[1.50,null]");
    assert_renders(&A_TSTZ, "{\"2026-11-27 03:00:00+00\",NULL}",
                   "[\"2026-11-27T03:00:00Z\",null]");
    assert_renders(&A_JSON, "{\"{\\\"a\\\": 1}\",\"[1, 2]\"}",
                   "[{\"a\":1},[1,2]]");
    assert_renders(&A_STRING, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
                   "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]");
    assert_renders(&A_STRING, "{192.0.2.1,::1}", "[\"192.0.2.1\",\"::1\"]");
    assert_refused(&A_FLOAT, "{1,NaN}", "column [x] is NaN: JSON has no NaN");
    assert_refused(&A_INT, "{1,2", "column [x] is not an array literal ({1,2)");
    /* Three dimensions, custom bounds, NULLs anywhere. */
    assert_renders(&A_INT, "{{{1,2},{3,NULL}},{{5,6},{7,8}}}",
                   "[[[1,2],[3,null]],[[5,6],[7,8]]]");
    assert_renders(&A_INT, "[2:3]={7,8}", "[7,8]");
    assert_renders(&A_INT, "[2:3][-1:0]={{1,2},{3,4}}", "[[1,2],[3,4]]");
    assert_renders(&A_INT, "{NULL}", "[null]");
    /* Enums and domains are their base type: strings, numbers. */
    assert_renders(&A_STRING, "{G,PG-13,NULL}", "[\"G\",\"PG-13\",null]");
    assert_renders(&A_INT, "{2001,2002}", "[2001,2002]");
    assert_renders(&A_STRING, "{null,\"null\",Null}", "[null,\"null\",null]");
    /* box's delimiter is ';', and its text holds commas. */
    assert_renders(&A_BOX, "{(1,1),(0,0);(2,2),(1,1)}",
                   "[\"(1,1),(0,0)\",\"(2,2),(1,1)\"]");
    assert_refused(&A_INT, "{1,2}x",
                   "column [x] is not an array literal "
                   "({1,2}x)");
    assert_refused(&A_INT, "{{1,2},{3,4}",
                   "column [x] is not an array "
                   "literal ({{1,2},{3,4})");
    assert_refused(&A_STRING, "{\"abc}",
                   "column [x] is not an array literal "
                   "({\"abc})");
    assert_refused(&A_INT, "{{{{{{{1}}}}}}}",
                   "column [x] is not an array "
                   "literal ({{{{{{{1}}}}}}})");
}

/* A composite (a int, b text, t text[], j json) and one holding it. */
static const struct fb_pg_field PAIR_FIELDS[] = {
    {"a", "\"a\":", 4, &T_INT},
    {"b", "\"b\":", 4, &T_STRING},
    {"t", "\"t\":", 4, &A_STRING},
    {"j", "\"j\":", 4, &T_JSON},
};
static const struct fb_pg_type T_PAIR = {
    .kind = FB_PG_KIND_COMPOSITE, .nfields = 4, .fields = PAIR_FIELDS};
static const struct fb_pg_type A_PAIR = ARRAY_OF(T_PAIR);
static const struct fb_pg_type T_INTRANGE = {.kind = FB_PG_KIND_RANGE,
                                             .elem = &T_INT};
static const struct fb_pg_field NEST_FIELDS[] = {
    {"p", "\"p\":", 4, &T_PAIR},
    {"ps", "\"ps\":", 5, &A_PAIR},
    {"r", "\"r\":", 4, &T_INTRANGE},
};
static const struct fb_pg_type T_NEST = {
    .kind = FB_PG_KIND_COMPOSITE, .nfields = 3, .fields = NEST_FIELDS};

static void
test_composites(void **state)
{
    (void)state;
    assert_renders(&T_PAIR, "(1,x,\"{a,\"\"b c\"\"}\",\"{\"\"k\"\": 1}\")",
                   "{\"a\":1,\"b\":\"x\",\"t\":[\"a\",\"b c\"],"
                   "\"j\":{\"k\":1}}");
    /* Empty unquoted is NULL (left out, or null); "" is an empty text. */
    assert_renders(&T_PAIR, "(,\"\",,)", "{\"b\":\"\"}");
    render_as(&T_PAIR, &NULLS, "(,\"\",,)",
              "{\"a\":null,\"b\":\"\",\"t\":null,\"j\":null}");
    /* Doubled quotes and backslashes inside quotes. */
    assert_renders(&T_PAIR, "(2,\"a\"\"b\\\\c (d)\",,)",
                   "{\"a\":2,\"b\":\"a\\\"b\\\\c (d)\"}");
    /* Nested: a composite, an array of them, a range. */
    assert_renders(&T_NEST,
                   "(\"(1,x,,)\",\"{\"\"(2,y,,)\"\",NULL}\",\"[1,5)\")",
                   "{\"p\":{\"a\":1,\"b\":\"x\"},\"ps\":[{\"a\":2,\"b\":\"y\"},"
                   "null],\"r\":{\"gte\":1,\"lt\":5}}");
    /* An empty range attribute: left out, or null. */
    assert_renders(&T_NEST, "(,,empty)", "{}");
    render_as(&T_NEST, &NULLS, "(,,empty)",
              "{\"p\":null,\"ps\":null,\"r\":null}");
    /* An array of composites: quoted record literals, escaped. */
    assert_renders(&A_PAIR, "{\"(1,\\\"x y\\\",,)\",\"(,\\\"\\\",,)\",NULL}",
                   "[{\"a\":1,\"b\":\"x y\"},{\"b\":\"\"},null]");
    assert_refused(&T_PAIR, "(1,x)",
                   "column [x] is not a record literal "
                   "((1,x))");
    assert_refused(&T_PAIR, "(1,x,,,)",
                   "column [x] is not a record literal "
                   "((1,x,,,))");
    assert_refused(&T_PAIR, "1,x,,",
                   "column [x] is not a record literal "
                   "(1,x,,)");
    assert_refused(&T_PAIR, "(1,x,\"{a\",)",
                   "column [x] is not an array literal ({a)");
}

static const struct fb_pg_type T_TSRANGE = {.kind = FB_PG_KIND_RANGE,
                                            .elem = &T_TSTZ};
static const struct fb_pg_type T_DATERANGE = {.kind = FB_PG_KIND_RANGE,
                                              .elem = &T_DATE};
static const struct fb_pg_type T_TEXTRANGE = {.kind = FB_PG_KIND_RANGE,
                                              .elem = &T_STRING};
static const struct fb_pg_type A_TSRANGE = ARRAY_OF(T_TSRANGE);
static const struct fb_pg_type T_INTMULTI = {.kind = FB_PG_KIND_MULTIRANGE,
                                             .elem = &T_INTRANGE};

static void
test_ranges(void **state)
{
    char out[64];
    char scratch[64];
    char err[64] = "";
    size_t pos = 0;

    (void)state;
    assert_renders(&T_INTRANGE, "[1,5)", "{\"gte\":1,\"lt\":5}");
    assert_renders(&T_INTRANGE, "(1,5]", "{\"gt\":1,\"lte\":5}");
    assert_renders(&T_INTRANGE, "(,5)", "{\"lt\":5}");
    assert_renders(&T_INTRANGE, "[1,)", "{\"gte\":1}");
    assert_renders(&T_INTRANGE, "(,)", "{}");
    assert_renders(&T_TSRANGE,
                   "[\"2024-01-01 00:00:00+00\",\"2024-02-01 00:00:00+00\")",
                   "{\"gte\":\"2024-01-01T00:00:00Z\","
                   "\"lt\":\"2024-02-01T00:00:00Z\"}");
    assert_renders(&T_TEXTRANGE, "[\"\",\"a\"\"b\")",
                   "{\"gte\":\"\",\"lt\":\"a\\\"b\"}");
    /* An infinite bound: refused, or an unbounded side. */
    assert_refused(&T_DATERANGE, "[2024-01-01,infinity)",
                   "column [x] is infinity: no ISO 8601 form "
                   "(--pg-infinity null sends null)");
    render_as(&T_DATERANGE, &NULLS, "[2024-01-01,infinity)",
              "{\"gte\":\"2024-01-01\"}");
    /* empty: no value at all (the field is left out, or null). */
    assert_int_equal(fb_pg_render_value(&T_INTRANGE, &OMIT, "r", "empty", 5,
                                        out, sizeof out, &pos, scratch,
                                        sizeof scratch, err, sizeof err),
                     FB_PG_RENDER_ABSENT);
    assert_int_equal(pos, 0);
    /* ...and null in an array. */
    assert_renders(&A_TSRANGE,
                   "{\"[\\\"2024-01-01 00:00:00+00\\\",)\",empty,NULL}",
                   "[{\"gte\":\"2024-01-01T00:00:00Z\"},null,null]");
    assert_renders(&T_INTMULTI, "{[1,3),[5,7)}",
                   "[{\"gte\":1,\"lt\":3},{\"gte\":5,\"lt\":7}]");
    assert_renders(&T_INTMULTI, "{}", "[]");
    assert_refused(&T_INTRANGE, "[1,5",
                   "column [x] is not a range literal "
                   "([1,5)");
    assert_refused(&T_INTRANGE, "[1,5)x",
                   "column [x] is not a range literal "
                   "([1,5)x)");
    assert_refused(&T_INTMULTI, "{[1,3)[5,7)}",
                   "column [x] is not a multirange literal ({[1,3)[5,7)})");
}

static void
test_row(void **state)
{
    struct fb_pg_field cols[5];
    char keys[5][64];
    const char *vals[5] = {"7", NULL, "t\"x", "NaN", "empty"};
    int lens[5] = {1, -1, 3, 3, 5};
    const struct fb_pg_render_opts nulls = {true, false};
    char out[256];
    char scratch[64];
    char err[256] = "";
    size_t len = 0;
    int rc;

    (void)state;
    cols[0].name = "id";
    cols[0].type = &T_INT;
    cols[1].name = "gone";
    cols[1].type = &T_STRING;
    cols[2].name = "na\"me";
    cols[2].type = &T_STRING;
    cols[3].name = "f";
    cols[3].type = &T_FLOAT;
    cols[4].name = "r";
    cols[4].type = &T_INTRANGE;
    for (int i = 0; i < 5; i++) {
        cols[i].key = keys[i];
        cols[i].key_len = fb_pg_render_key(cols[i].name, keys[i], 64);
    }
    assert_int_equal(cols[2].key_len, 9);
    assert_memory_equal(cols[2].key, "\"na\\\"me\":", 9);

    /* Three columns, NULL omitted. */
    rc = fb_pg_render_row(cols, 3, vals, lens, &OMIT, out, sizeof out, &len,
                          scratch, sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_OK);
    assert_int_equal(len, strlen("{\"id\":7,\"na\\\"me\":\"t\\\"x\"}"));
    assert_memory_equal(out, "{\"id\":7,\"na\\\"me\":\"t\\\"x\"}", len);

    /* NULL as null. */
    rc = fb_pg_render_row(cols, 2, vals, lens, &nulls, out, sizeof out, &len,
                          scratch, sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_OK);
    assert_int_equal(len, strlen("{\"id\":7,\"gone\":null}"));
    assert_memory_equal(out, "{\"id\":7,\"gone\":null}", len);

    /* All NULL and omitted: an empty object. */
    rc = fb_pg_render_row(cols + 1, 1, vals + 1, lens + 1, &OMIT, out,
                          sizeof out, &len, scratch, sizeof scratch, err,
                          sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(out, "{}", 2);

    /* An empty range: left out like a NULL (first or not), or null. */
    rc = fb_pg_render_row(cols + 4, 1, vals + 4, lens + 4, &OMIT, out,
                          sizeof out, &len, scratch, sizeof scratch, err,
                          sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_OK);
    assert_memory_equal(out, "{}", 2);
    lens[3] = -1;
    rc = fb_pg_render_row(cols, 5, vals, lens, &OMIT, out, sizeof out, &len,
                          scratch, sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_OK);
    assert_int_equal(len, strlen("{\"id\":7,\"na\\\"me\":\"t\\\"x\"}"));
    rc = fb_pg_render_row(cols + 3, 2, vals + 3, lens + 3, &nulls, out,
                          sizeof out, &len, scratch, sizeof scratch, err,
                          sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_OK);
    assert_int_equal(len, strlen("{\"f\":null,\"r\":null}"));
    assert_memory_equal(out, "{\"f\":null,\"r\":null}", len);
    lens[3] = 3;

    /* A NaN: the row is still rendered (as text) for the reject file. */
    rc = fb_pg_render_row(cols, 4, vals, lens, &OMIT, out, sizeof out, &len,
                          scratch, sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_EVALUE);
    assert_string_equal(err, "column [f] is NaN: JSON has no NaN");
    assert_int_equal(
        len, strlen("{\"id\":7,\"na\\\"me\":\"t\\\"x\",\"f\":\"NaN\"}"));
    assert_memory_equal(out, "{\"id\":7,\"na\\\"me\":\"t\\\"x\",\"f\":\"NaN\"}",
                        len);

    /* Too large: 20 bytes do not hold {"id":7,"na\"me":"t\"x"} (24). */
    rc = fb_pg_render_row(cols, 3, vals, lens, &OMIT, out, 20, &len, scratch,
                          sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_EFULL);
    assert_string_equal(err, "document is more than 20 bytes");
    assert_true(len <= 20);
    assert_memory_equal(out, "{\"id\":7,\"na\\\"me\":", len);

    /* Exactly fitting is fine; one byte less is not. */
    rc = fb_pg_render_row(cols, 3, vals, lens, &OMIT, out, 24, &len, scratch,
                          sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_OK);
    assert_int_equal(len, 24);
    rc = fb_pg_render_row(cols, 3, vals, lens, &OMIT, out, 23, &len, scratch,
                          sizeof scratch, err, sizeof err);
    assert_int_equal(rc, FB_PG_RENDER_EFULL);
    assert_int_equal(len, 23);
}

/* A bad value inside a composite: the whole column is shown as its text,
 * the reason is the inner value's. */
static void
test_row_nested_error(void **state)
{
    struct fb_pg_field col = {"p", "\"p\":", 4, &T_PAIR};
    const char *vals[1] = {"(1,x,\"{a\",)"};
    int lens[1] = {11};
    char out[128];
    char scratch[64];
    char err[128] = "";
    size_t len = 0;

    (void)state;
    assert_int_equal(fb_pg_render_row(&col, 1, vals, lens, &OMIT, out,
                                      sizeof out, &len, scratch, sizeof scratch,
                                      err, sizeof err),
                     FB_PG_RENDER_EVALUE);
    assert_string_equal(err, "column [p] is not an array literal ({a)");
    assert_int_equal(len, strlen("{\"p\":\"(1,x,\\\"{a\\\",)\"}"));
    assert_memory_equal(out, "{\"p\":\"(1,x,\\\"{a\\\",)\"}", len);
}

static void
test_array_element_bound(void **state)
{
    const char *v = "{\"0123456789\"}";
    const char *nested = "{\"(1,\\\"abcd\\\",,)\"}";
    char out[64];
    char scratch[16];
    char err[64] = "";
    size_t pos = 0;

    (void)state;
    /* The unescaped element (10 bytes) does not fit an 8-byte scratch. */
    assert_int_equal(fb_pg_render_value(&A_STRING, &OMIT, "a", v, strlen(v),
                                        out, sizeof out, &pos, scratch, 8, err,
                                        sizeof err),
                     FB_PG_RENDER_EFULL);
    assert_int_equal(pos, 0);
    /* Nested: the element (12 bytes) and its attribute (4) take 16. */
    assert_int_equal(fb_pg_render_value(&A_PAIR, &OMIT, "a", nested,
                                        strlen(nested), out, sizeof out, &pos,
                                        scratch, 16, err, sizeof err),
                     FB_PG_RENDER_OK);
    assert_int_equal(pos, strlen("[{\"a\":1,\"b\":\"abcd\"}]"));
    pos = 0;
    assert_int_equal(fb_pg_render_value(&A_PAIR, &OMIT, "a", nested,
                                        strlen(nested), out, sizeof out, &pos,
                                        scratch, 15, err, sizeof err),
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
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_infinity),
        cmocka_unit_test(test_bytea),
        cmocka_unit_test(test_money),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_composites),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_row),
        cmocka_unit_test(test_row_nested_error),
        cmocka_unit_test(test_array_element_bound),
        cmocka_unit_test(test_idhash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
