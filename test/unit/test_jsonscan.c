/*
 * test_jsonscan.c
 *    The strict JSON validator, the lexer's error positions, dotted-path
 *    lookup and unescaping; and a cross-check against jansson on
 *    generated and mutated documents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/jsonscan.h"

#include "testutil.h"

static int
validate(const char *s, char *err, size_t errlen)
{
    return fb_json_validate_object(s, strlen(s), err, errlen);
}

static void
assert_valid(const char *s)
{
    char err[128] = "";

    if (validate(s, err, sizeof err) != 0)
        fail_msg("expected valid: %s (got: %s)", s, err);
}

static void
assert_invalid(const char *s, size_t len, const char *want)
{
    char err[128] = "";

    if (fb_json_validate_object(s, len, err, sizeof err) != -1)
        fail_msg("expected invalid: %.*s", (int)len, s);
    assert_string_equal(err, want);
}

#define INVALID(lit, want) assert_invalid(lit, sizeof(lit) - 1, want)

static void
test_valid_objects(void **state)
{
    (void)state;
    assert_valid("{}");
    assert_valid(" \t\r\n{ } \n");
    assert_valid("{\"a\":1}");
    assert_valid("{\"a\":[1,2,[3,{}],[]],\"b\":{\"c\":{\"d\":null}}}");
    assert_valid("{\"t\":true,\"f\":false,\"n\":null,\"s\":\"\"}");
    assert_valid("{\"n\":[0,-0,1,-1,10,1.5,-0.25,1e5,1E+5,1e-5,2.5E10]}");
    assert_valid("{\"e\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 "
                 "\\uD83D\\uDE00\"}");
    /* UTF-8 of every length, raw. */
    assert_valid("{\"u\":\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
                 "\xf4\x8f\xbf\xbf\"}");
    assert_valid("{\"a b\":1, \"\":2 , \"c\" : [ 1 , 2 ] }");
    /* Long strings cross the 8-byte fast path at every alignment. */
    assert_valid("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":"
                 "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\\\"c\"}");
}

static void
test_invalid_messages(void **state)
{
    (void)state;
    INVALID("", "empty input");
    INVALID("   \n", "empty input");
    INVALID("[1,2]", "not a JSON object: found array");
    INVALID("\"x\"", "not a JSON object: found string");
    INVALID("12", "not a JSON object: found number");
    INVALID("true", "not a JSON object: found true");
    INVALID("null", "not a JSON object: found null");
    INVALID("{\"a\":1,}", "invalid JSON at column 8: trailing comma");
    INVALID("{\"a\":[1,]}", "invalid JSON at column 9: trailing comma");
    INVALID("{\"a\" 1}", "invalid JSON at column 6: expected ':'");
    INVALID("{\"a\":1 \"b\":2}",
            "invalid JSON at column 8: expected ',' or '}'");
    INVALID("{\"a\":[1 2]}", "invalid JSON at column 9: expected ',' or ']'");
    INVALID("{1:2}", "invalid JSON at column 2: expected a string key");
    INVALID("{\"a\":NaN}", "invalid JSON at column 6: expected a value");
    INVALID("{\"a\":Infinity}", "invalid JSON at column 6: expected a value");
    INVALID("{\"a\":}", "invalid JSON at column 6: expected a value");
    INVALID("{\"a\":tru}", "invalid JSON at column 6: invalid literal");
    INVALID("{\"a\":01}", "invalid JSON at column 7: invalid number: "
                          "leading zero");
    INVALID("{\"a\":1.}", "invalid JSON at column 8: invalid number: digit "
                          "expected after '.'");
    INVALID("{\"a\":1e}", "invalid JSON at column 8: invalid number: digit "
                          "expected in exponent");
    INVALID("{\"a\":-}", "invalid JSON at column 7: invalid number");
    INVALID("{\"a\":+1}", "invalid JSON at column 6: expected a value");
    INVALID("{\"a\":\"\\x\"}", "invalid JSON at column 7: invalid escape "
                               "in string");
    INVALID("{\"a\":\"\\u12G4\"}",
            "invalid JSON at column 7: invalid \\u escape");
    INVALID("{\"a\":\"\\ud800\"}", "invalid JSON at column 7: unpaired "
                                   "surrogate in \\u escape");
    INVALID("{\"a\":\"\\udc00\\ud800\"}", "invalid JSON at column 7: "
                                          "unpaired surrogate in \\u escape");
    INVALID("{\"a\":\"\\ud800\\u0041\"}", "invalid JSON at column 7: "
                                          "unpaired surrogate in \\u escape");
    INVALID("{\"a\":\"x\ty\"}",
            "invalid JSON at column 8: control character in string");
    INVALID("{\"a\":\"x\0y\"}",
            "invalid JSON at column 8: control character in string");
    INVALID("{\"a\":\"abc", "invalid JSON at column 10: unterminated string");
    INVALID("{\"a\":1", "invalid JSON at column 7: unexpected end of input");
    INVALID("{\"a\":", "invalid JSON at column 6: unexpected end of input");
    INVALID("{", "invalid JSON at column 2: unexpected end of input");
    INVALID("{\"a\":1} x", "invalid JSON at column 9: unexpected data after "
                           "the JSON value");
    INVALID("{}{}", "invalid JSON at column 3: unexpected data after the "
                    "JSON value");
    INVALID("{'a':1}", "invalid JSON at column 2: expected a string key");
    INVALID("{\"a\":1,/*c*/\"b\":2}",
            "invalid JSON at column 8: expected a string key");
}

static void
test_invalid_utf8(void **state)
{
    (void)state;
    /* Overlong '/', encoded surrogate, above U+10FFFF, cut sequence,
     * lone continuation byte, 0xFF. */
    INVALID("{\"a\":\"\xc0\xaf\"}",
            "invalid JSON at column 7: invalid UTF-8 in string");
    INVALID("{\"a\":\"\xe0\x80\xaf\"}",
            "invalid JSON at column 7: invalid UTF-8 in string");
    INVALID("{\"a\":\"\xed\xa0\x80\"}",
            "invalid JSON at column 7: invalid UTF-8 in string");
    INVALID("{\"a\":\"\xf4\x90\x80\x80\"}",
            "invalid JSON at column 7: invalid UTF-8 in string");
    INVALID("{\"a\":\"ab\xe2\x82\"}",
            "invalid JSON at column 9: invalid UTF-8 in string");
    INVALID("{\"a\":\"\x80\"}",
            "invalid JSON at column 7: invalid UTF-8 in string");
    INVALID("{\"a\":\"\xff\"}",
            "invalid JSON at column 7: invalid UTF-8 in string");
    /* A multi-byte character cut by the end of the buffer. */
    INVALID("{\"a\":\"\xe2\x82", "invalid JSON at column 7: invalid UTF-8 "
                                 "in string");
    /* Non-ASCII outside strings is not JSON. */
    INVALID("{\"a\":\xc3\xa9}", "invalid JSON at column 6: expected a value");
}

static void
test_depth_limit(void **state)
{
    char buf[512];
    size_t n = 0;
    int i;
    char err[128];

    (void)state;
    /* 64 levels: the top object and 63 nested ones. */
    buf[n++] = '{';
    for (i = 1; i < FB_JSON_MAX_DEPTH; i++) {
        memcpy(buf + n, "\"a\":{", 5);
        n += 5;
    }
    for (i = 0; i < FB_JSON_MAX_DEPTH; i++)
        buf[n++] = '}';
    assert_int_equal(fb_json_validate_object(buf, n, err, sizeof err), 0);

    /* 65 levels: the top object and 64 arrays in it. */
    n = 0;
    buf[n++] = '{';
    memcpy(buf + n, "\"a\":", 4);
    n += 4;
    for (i = 1; i <= FB_JSON_MAX_DEPTH; i++)
        buf[n++] = '[';
    for (i = 1; i <= FB_JSON_MAX_DEPTH; i++)
        buf[n++] = ']';
    buf[n++] = '}';
    assert_int_equal(fb_json_validate_object(buf, n, err, sizeof err), -1);
    assert_string_equal(err, "invalid JSON at column 69: nesting deeper "
                             "than 64 levels");
}

/* Every proper prefix of a valid object is invalid. */
static void
test_prefixes_invalid(void **state)
{
    const char *doc = "{\"ts\":\"2026-11-27T03:00:00Z\",\"src\":\"10.0.0.1\","
                      "\"bytes\":123456,\"r\":-1.5e3,\"t\":[true,false,null],"
                      "\"o\":{\"k\":\"\\u00e9\\n\"}}";
    size_t len = strlen(doc);
    size_t i;
    char err[128];

    (void)state;
    assert_int_equal(fb_json_validate_object(doc, len, err, sizeof err), 0);
    for (i = 0; i < len; i++)
        if (fb_json_validate_object(doc, i, err, sizeof err) != -1)
            fail_msg("prefix of %zu bytes accepted", i);
}

/* The generator of the random documents (testutil_rng): failures reproduce. */
static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static void gen_value(char *buf, size_t cap, size_t *n, int depth);

static void
put(char *buf, size_t cap, size_t *n, const char *s)
{
    size_t l = strlen(s);

    if (*n + l < cap) {
        memcpy(buf + *n, s, l);
        *n += l;
    }
}

static void
gen_string(char *buf, size_t cap, size_t *n)
{
    static const char *const parts[] = {
        "a",
        "xyz",
        " ",
        "\\\"",
        "\\\\",
        "\\n",
        "\\u00e9",
        "\xc3\xa9",
        "\xe2\x82\xac",
        "\\ud83d\\ude00",
        "\xf0\x9f\x98\x80",
        "0123456789",
    };
    int k = (int)(testutil_rng(&rng_state) % 6);

    put(buf, cap, n, "\"");
    while (k-- > 0)
        put(buf, cap, n,
            parts[testutil_rng(&rng_state) % (sizeof parts / sizeof parts[0])]);
    put(buf, cap, n, "\"");
}

static void
gen_value(char *buf, size_t cap, size_t *n, int depth)
{
    static const char *const scalars[] = {
        "0", "-1", "42", "3.25", "-0.5e-3", "1E3", "true", "false", "null",
    };
    int kind = (int)(testutil_rng(&rng_state) % (depth > 4 ? 2 : 4));
    int i, count;

    switch (kind) {
    case 0:
        put(buf, cap, n, scalars[testutil_rng(&rng_state) % 9]);
        break;
    case 1:
        gen_string(buf, cap, n);
        break;
    case 2:
        put(buf, cap, n, "[");
        count = (int)(testutil_rng(&rng_state) % 4);
        for (i = 0; i < count; i++) {
            if (i > 0)
                put(buf, cap, n, testutil_rng(&rng_state) % 2 ? "," : " , ");
            gen_value(buf, cap, n, depth + 1);
        }
        put(buf, cap, n, "]");
        break;
    default:
        put(buf, cap, n, "{");
        count = (int)(testutil_rng(&rng_state) % 4);
        for (i = 0; i < count; i++) {
            if (i > 0)
                put(buf, cap, n, ",");
            gen_string(buf, cap, n);
            put(buf, cap, n, testutil_rng(&rng_state) % 2 ? ":" : " :\n");
            gen_value(buf, cap, n, depth + 1);
        }
        put(buf, cap, n, "}");
        break;
    }
}

/* jansson as the reference: does it take s as one object? */
static int
jansson_object(const char *s, size_t len)
{
    json_error_t e;
    json_t *j = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    int ok = j != NULL && json_is_object(j);

    json_decref(j);
    return ok;
}

/*
 * Generated documents must validate; single-byte mutations of them must
 * be judged as jansson judges them (jansson is strict RFC 8259 too, with
 * the same surrogate and UTF-8 rules).
 */
static void
test_cross_check_jansson(void **state)
{
    static const char mut[] = "{}[]:,\"\\ 0123456789-+.eEtrufalsn\x01\x80"
                              "\xc3\xa9\xed\xff/u";
    char buf[4096];
    int iter, m;

    (void)state;
    for (iter = 0; iter < 2000; iter++) {
        size_t n = 0;
        char err[128];

        put(buf, sizeof buf, &n, "{\"k\":");
        gen_value(buf, sizeof buf, &n, 0);
        put(buf, sizeof buf, &n, "}");
        if (fb_json_validate_object(buf, n, err, sizeof err) != 0)
            fail_msg("generated doc refused: %.*s: %s", (int)n, buf, err);
        assert_true(jansson_object(buf, n));
        for (m = 0; m < 8; m++) {
            char copy[4096];
            size_t pos = (size_t)(testutil_rng(&rng_state) % n);
            int ours, theirs;

            memcpy(copy, buf, n);
            copy[pos] = mut[testutil_rng(&rng_state) % (sizeof mut - 1)];
            ours = fb_json_validate_object(copy, n, err, sizeof err) == 0;
            theirs = jansson_object(copy, n);
            if (ours != theirs)
                fail_msg("disagree (ours %d, jansson %d) on: %.*s", ours,
                         theirs, (int)n, copy);
        }
    }
}

static int
find(const char *doc, const char *path, struct fb_json_value *v)
{
    char err[128];

    return fb_json_find(doc, strlen(doc), path, v, err, sizeof err);
}

static void
assert_span(const struct fb_json_value *v, const char *want)
{
    assert_int_equal(v->len, strlen(want));
    assert_memory_equal(v->p, want, v->len);
}

static void
test_find_paths(void **state)
{
    const char *doc =
        "{\"a\":1,\"b\":{\"c\":{\"d\":\"deep\"},\"e\":[1,{\"f\":2}]},"
        "\"x.y\":\"dotted\",\"g\":{\"h.i\":{\"j\":true}},\"s\":\"str\","
        "\"n\":null,\"esc\\u0061ped\":-2.5e3,\"o\":{ \"p\" : { } } }";
    struct fb_json_value v;

    (void)state;
    assert_int_equal(find(doc, "a", &v), 1);
    assert_int_equal(v.type, FB_JSON_NUMBER);
    assert_span(&v, "1");
    assert_int_equal(find(doc, "b.c.d", &v), 1);
    assert_int_equal(v.type, FB_JSON_STRING);
    assert_span(&v, "\"deep\"");
    assert_int_equal(find(doc, "b.c", &v), 1);
    assert_int_equal(v.type, FB_JSON_OBJECT);
    assert_span(&v, "{\"d\":\"deep\"}");
    assert_int_equal(find(doc, "b.e", &v), 1);
    assert_int_equal(v.type, FB_JSON_ARRAY);
    assert_span(&v, "[1,{\"f\":2}]");
    assert_int_equal(find(doc, "x.y", &v), 1);
    assert_span(&v, "\"dotted\"");
    assert_int_equal(find(doc, "g.h.i.j", &v), 1);
    assert_int_equal(v.type, FB_JSON_TRUE);
    assert_int_equal(find(doc, "n", &v), 1);
    assert_int_equal(v.type, FB_JSON_NULL);
    assert_int_equal(find(doc, "escaped", &v), 1);
    assert_span(&v, "-2.5e3");
    assert_int_equal(find(doc, "o.p", &v), 1);
    assert_int_equal(v.type, FB_JSON_OBJECT);
    assert_span(&v, "{ }");
    /* Not there: a missing key, through a scalar, into an array, a prefix
     * of a key. */
    assert_int_equal(find(doc, "z", &v), 0);
    assert_int_equal(find(doc, "a.b", &v), 0);
    assert_int_equal(find(doc, "b.e.f", &v), 0);
    assert_int_equal(find(doc, "b.c.dd", &v), 0);
    assert_int_equal(find(doc, "x", &v), 0);
    assert_int_equal(find(doc, "s.t", &v), 0);
}

static void
test_find_errors(void **state)
{
    struct fb_json_value v;
    char err[128];

    (void)state;
    assert_int_equal(fb_json_find("[1]", 3, "a", &v, err, sizeof err), -1);
    assert_string_equal(err, "not a JSON object: found array");
    assert_int_equal(fb_json_find("{\"a\" 1}", 7, "a", &v, err, sizeof err),
                     -1);
    assert_string_equal(err, "invalid JSON at column 6: expected ':'");
    /* Malformed before the answer: the skipped value is checked. */
    assert_int_equal(
        fb_json_find("{\"b\":[1,,],\"a\":1}", 17, "a", &v, err, sizeof err),
        -1);
    assert_string_equal(err, "invalid JSON at column 9: expected a value");
    assert_int_equal(fb_json_find("{}", 2, "a..b", &v, err, sizeof err), -1);
    assert_string_equal(err, "invalid field path [a..b]");
    assert_int_equal(fb_json_find("{}", 2, ".a", &v, err, sizeof err), -1);
    assert_int_equal(fb_json_find("{}", 2, "a.", &v, err, sizeof err), -1);
    assert_int_equal(fb_json_find("{}", 2, "", &v, err, sizeof err), -1);
}

static void
test_unescape(void **state)
{
    const char *doc = "{\"s\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac"
                      "\\ud83d\\ude00\\u0000z\",\"p\":\"h\xc3\xa9llo\"}";
    struct fb_json_value v;
    char out[64];
    size_t n = 0;

    (void)state;
    assert_int_equal(find(doc, "s", &v), 1);
    assert_true(v.escaped);
    assert_int_equal(fb_json_value_string(&v, out, sizeof out, &n), 0);
    assert_int_equal(n, 20);
    assert_memory_equal(out,
                        "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac"
                        "\xf0\x9f\x98\x80\0z",
                        20);
    /* Truncation stops at a character boundary, never inside one. */
    assert_int_equal(fb_json_value_string(&v, out, 12, &n), 1);
    assert_int_equal(n, 11);
    assert_memory_equal(out, "a\"b\\c/d\n\t\xc3\xa9", 12);
    assert_int_equal(fb_json_value_string(&v, out, 11, &n), 1);
    assert_int_equal(n, 9);
    assert_string_equal(out, "a\"b\\c/d\n\t");
    assert_int_equal(find(doc, "p", &v), 1);
    assert_false(v.escaped);
    assert_int_equal(fb_json_value_string(&v, out, sizeof out, &n), 0);
    assert_string_equal(out, "h\xc3\xa9llo");
    assert_int_equal(fb_json_value_string(&v, out, 3, &n), 1);
    assert_string_equal(out, "h");
    assert_int_equal(fb_json_value_string(&v, out, 4, &n), 1);
    assert_string_equal(out, "h\xc3\xa9");
}

static void
test_lexer_tokens(void **state)
{
    const char *doc = " {\"k\" : [1, \"s\", {}] } ";
    struct fb_json_lexer lx;
    struct fb_json_token t;
    static const enum fb_json_tok want[] = {
        FB_JTOK_BEGIN_OBJECT, FB_JTOK_KEY,       FB_JTOK_BEGIN_ARRAY,
        FB_JTOK_NUMBER,       FB_JTOK_STRING,    FB_JTOK_BEGIN_OBJECT,
        FB_JTOK_END_OBJECT,   FB_JTOK_END_ARRAY, FB_JTOK_END_OBJECT,
        FB_JTOK_EOF,          FB_JTOK_EOF,
    };
    size_t i;

    (void)state;
    fb_json_lexer_init(&lx, doc, strlen(doc));
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(fb_json_next(&lx, &t), want[i]);
        assert_int_equal(t.kind, want[i]);
        if (i == 1) {
            assert_int_equal(t.len, 3);
            assert_memory_equal(t.p, "\"k\"", 3);
        }
    }
    assert_int_equal(fb_json_lexer_finish(&lx), 0);
    /* After an error the lexer stays in error. */
    fb_json_lexer_init(&lx, "{,}", 3);
    assert_int_equal(fb_json_next(&lx, &t), FB_JTOK_BEGIN_OBJECT);
    assert_int_equal(fb_json_next(&lx, &t), FB_JTOK_ERROR);
    assert_int_equal(t.kind, FB_JTOK_ERROR);
    assert_int_equal(fb_json_next(&lx, &t), FB_JTOK_ERROR);
    assert_int_equal(lx.error_at, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_objects),
        cmocka_unit_test(test_invalid_messages),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_prefixes_invalid),
        cmocka_unit_test(test_cross_check_jansson),
        cmocka_unit_test(test_find_paths),
        cmocka_unit_test(test_find_errors),
        cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_lexer_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
