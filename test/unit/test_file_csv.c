/*
 * test_file_csv.c
 *    CSV fields (RFC 4180 quoting), header checks, the JSON typing table,
 *    error messages and output bounds; random records round-tripped
 *    through jansson.
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

#include "forkbulk/file_csv.h"

#include "testutil.h"

static struct fb_csv *
new_csv(size_t max_fields, size_t max_rec, int empty_as_null)
{
    struct fb_csv_opts o = {max_fields, max_rec, empty_as_null, 0};
    struct fb_csv *c = fb_csv_new(&o);

    assert_non_null(c);
    return c;
}

static int
parse(struct fb_csv *c, const char *s)
{
    return fb_csv_parse(c, s, strlen(s));
}

static void
assert_field(struct fb_csv *c, size_t i, const char *want, int quoted)
{
    const struct fb_csv_field *f = fb_csv_field(c, i);

    assert_non_null(f);
    assert_int_equal(f->len, strlen(want));
    assert_memory_equal(f->data, want, f->len);
    assert_int_equal(f->quoted, quoted);
}

static void
test_quoting(void **state)
{
    struct fb_csv *c = new_csv(0, 0, 0);

    (void)state;
    assert_int_equal(parse(c, "a,b,c"), 0);
    assert_int_equal(fb_csv_nfields(c), 3);
    assert_field(c, 0, "a", 0);
    assert_field(c, 2, "c", 0);
    assert_null(fb_csv_field(c, 3));

    assert_int_equal(parse(c, "\"a,b\",c"), 0);
    assert_int_equal(fb_csv_nfields(c), 2);
    assert_field(c, 0, "a,b", 1);
    assert_field(c, 1, "c", 0);

    /* "" inside quotes, in two fields: each collapsed on its own. */
    assert_int_equal(parse(c, "\"he said \"\"hi\"\"\",x,\"\"\"\"\"\""), 0);
    assert_int_equal(fb_csv_nfields(c), 3);
    assert_field(c, 0, "he said \"hi\"", 1);
    assert_field(c, 1, "x", 0);
    assert_field(c, 2, "\"\"", 1);

    assert_int_equal(parse(c, "\"multi\nline\",\"x\r\ny\",2"), 0);
    assert_int_equal(fb_csv_nfields(c), 3);
    assert_field(c, 0, "multi\nline", 1);
    assert_field(c, 1, "x\r\ny", 1);

    assert_int_equal(parse(c, "a,"), 0);
    assert_int_equal(fb_csv_nfields(c), 2);
    assert_field(c, 1, "", 0);

    assert_int_equal(parse(c, ","), 0);
    assert_int_equal(fb_csv_nfields(c), 2);
    assert_field(c, 0, "", 0);
    assert_field(c, 1, "", 0);

    assert_int_equal(parse(c, "\"\""), 0);
    assert_int_equal(fb_csv_nfields(c), 1);
    assert_field(c, 0, "", 1);

    assert_int_equal(parse(c, ""), 0);
    assert_int_equal(fb_csv_nfields(c), 1);
    assert_field(c, 0, "", 0);

    /* CRLF or LF at the end of the record are not data. */
    assert_int_equal(parse(c, "a,b\r\n"), 0);
    assert_int_equal(fb_csv_nfields(c), 2);
    assert_field(c, 1, "b", 0);
    assert_int_equal(parse(c, "a,\"b\"\n"), 0);
    assert_field(c, 1, "b", 1);

    /* Spaces are data, quotes only count at the start of a field. */
    assert_int_equal(parse(c, " a , b"), 0);
    assert_field(c, 0, " a ", 0);
    assert_field(c, 1, " b", 0);
    fb_csv_free(c);
    fb_csv_free(NULL);
}

static void
test_parse_errors(void **state)
{
    struct fb_csv *c = new_csv(3, 16, 0);

    (void)state;
    assert_int_equal(parse(c, "a\"b,c"), -1);
    assert_string_equal(fb_csv_error(c), "bare quote in unquoted field 1");
    assert_int_equal(parse(c, "x,ab\""), -1);
    assert_string_equal(fb_csv_error(c), "bare quote in unquoted field 2");
    assert_int_equal(parse(c, "x,\"abc"), -1);
    assert_string_equal(fb_csv_error(c), "unterminated quoted field 2");
    assert_int_equal(parse(c, "\"a\"\""), -1);
    assert_string_equal(fb_csv_error(c), "unterminated quoted field 1");
    assert_int_equal(parse(c, "\"a\"\"\""), 0); /* "a""" is a" */
    assert_field(c, 0, "a\"", 1);
    assert_int_equal(parse(c, "\"abc\"d,e"), -1);
    assert_string_equal(fb_csv_error(c),
                        "unexpected character after closing quote in field 1");
    assert_int_equal(parse(c, "a,b,c,d"), -1);
    assert_string_equal(fb_csv_error(c), "more than 3 fields");
    assert_int_equal(parse(c, "a,b,c,"), -1);
    assert_string_equal(fb_csv_error(c), "more than 3 fields");
    assert_int_equal(fb_csv_nfields(c), 0);
    assert_int_equal(parse(c, "a,b,c"), 0);
    assert_string_equal(fb_csv_error(c), "");
    assert_int_equal(parse(c, "0123456789abcdefg"), -1);
    assert_string_equal(fb_csv_error(c), "record longer than 16 bytes");
    assert_int_equal(parse(c, "0123456789abcdef"), 0);
    fb_csv_free(c);
}

static void
test_header(void **state)
{
    struct fb_csv *c = new_csv(0, 0, 0);
    size_t len = 0;
    const char *name = NULL;
    char out[256];
    size_t pos = 0;

    (void)state;
    assert_int_equal(fb_csv_header_count(c), 0);
    assert_int_equal(fb_csv_to_json(c, "1", 1, out, sizeof(out), &pos), -1);
    assert_string_equal(fb_csv_error(c), "no header set");

    assert_int_equal(fb_csv_set_header(c, "a,,b", 4), -1);
    assert_string_equal(fb_csv_error(c), "empty header name in field 2");
    assert_int_equal(fb_csv_set_header(c, "a,\"\"", 4), -1);
    assert_string_equal(fb_csv_error(c), "empty header name in field 2");
    assert_int_equal(fb_csv_set_header(c, "a,b,a", 5), -1);
    assert_string_equal(fb_csv_error(c),
                        "duplicate header name \"a\" in fields 1 and 3");
    assert_int_equal(fb_csv_header_count(c), 0);

    /* Names are copied (the record may go) and escaped as keys. */
    {
        char rec[] = "\"a\"\"b\",c\\d,\"x\ny\"\r";

        assert_int_equal(fb_csv_set_header(c, rec, strlen(rec)), 0);
        memset(rec, '#', sizeof(rec) - 1);
    }
    assert_int_equal(fb_csv_header_count(c), 3);
    name = fb_csv_header_name(c, 0, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(name, "a\"b", 3);
    name = fb_csv_header_name(c, 2, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(name, "x\ny", 3);
    assert_null(fb_csv_header_name(c, 3, &len));
    assert_int_equal(fb_csv_to_json(c, "1,2,3", 5, out, sizeof(out), &pos), 0);
    assert_int_equal(pos, strlen("{\"a\\\"b\":1,\"c\\\\d\":2,\"x\\ny\":3}"));
    assert_memory_equal(out, "{\"a\\\"b\":1,\"c\\\\d\":2,\"x\\ny\":3}", pos);
    fb_csv_free(c);
}

struct typing_case {
    const char *field; /* as it appears in the CSV record */
    const char *json;  /* the value, or NULL when omitted */
};

static void
test_typing_table(void **state)
{
    static const struct typing_case cases[] = {
        {"0", "0"},
        {"-0", "-0"},
        {"1", "1"},
        {"123", "123"},
        {"-12.5", "-12.5"},
        {"0.0", "0.0"},
        {"1e5", "1e5"},
        {"1E+5", "1E+5"},
        {"2.5e-3", "2.5e-3"},
        {"18446744073709551616", "18446744073709551616"},
        {"007", "\"007\""},
        {"01", "\"01\""},
        {"+1", "\"+1\""},
        {"1.", "\"1.\""},
        {".5", "\".5\""},
        {"-", "\"-\""},
        {"1e", "\"1e\""},
        {"1e+", "\"1e+\""},
        {" 1", "\" 1\""},
        {"1 ", "\"1 \""},
        {"0x10", "\"0x10\""},
        {"NaN", "\"NaN\""},
        {"Infinity", "\"Infinity\""},
        {"1_000", "\"1_000\""},
        {"--1", "\"--1\""},
        {"\"007\"", "\"007\""},
        {"\"12\"", "\"12\""},
        {"true", "true"},
        {"false", "false"},
        {"True", "\"True\""},
        {"TRUE", "\"TRUE\""},
        {"null", "\"null\""},
        {"\"true\"", "\"true\""},
        {"\"\"", "\"\""},
        {"", NULL},
        {"a\tb", "\"a\\tb\""},
        {"\"a\\b\"", "\"a\\\\b\""},
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
    };
    struct fb_csv *c = new_csv(0, 0, 0);
    struct fb_csv *cn = new_csv(0, 0, 1);
    size_t i;

    (void)state;
    assert_int_equal(fb_csv_set_header(c, "v", 1), 0);
    assert_int_equal(fb_csv_set_header(cn, "v", 1), 0);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[128];
        char want[128];
        size_t pos = 0;

        if (fb_csv_to_json(c, cases[i].field, strlen(cases[i].field), out,
                           sizeof(out), &pos) != 0)
            fail_msg("case %zu: %s", i, fb_csv_error(c));
        if (cases[i].json != NULL)
            snprintf(want, sizeof(want), "{\"v\":%s}", cases[i].json);
        else
            snprintf(want, sizeof(want), "{}");
        if (pos != strlen(want) || memcmp(out, want, pos) != 0)
            fail_msg("case %zu [%s]: got %.*s want %s", i, cases[i].field,
                     (int)pos, out, want);
    }
    /* empty_as_null: an unquoted empty field is null, a quoted one "". */
    {
        char out[64];
        size_t pos = 0;

        assert_int_equal(fb_csv_to_json(cn, "", 0, out, sizeof(out), &pos), 0);
        assert_int_equal(pos, 10);
        assert_memory_equal(out, "{\"v\":null}", 10);
        pos = 0;
        assert_int_equal(fb_csv_to_json(cn, "\"\"", 2, out, sizeof(out), &pos),
                         0);
        assert_int_equal(pos, 8);
        assert_memory_equal(out, "{\"v\":\"\"}", 8);
    }
    fb_csv_free(c);
    fb_csv_free(cn);
}

static void
test_record_to_json(void **state)
{
    struct fb_csv *c = new_csv(0, 0, 0);
    struct fb_csv *cn = new_csv(0, 0, 1);
    const char *hdr = "id,name,ok,score,empty";
    const char *rec = "1,\"Smith, J\",true,-0.5,\r\n";
    const char *want = "{\"id\":1,\"name\":\"Smith, J\",\"ok\":true,"
                       "\"score\":-0.5}";
    const char *want_null = "{\"id\":1,\"name\":\"Smith, J\",\"ok\":true,"
                            "\"score\":-0.5,\"empty\":null}";
    char out[256];
    size_t pos = 0;

    (void)state;
    assert_int_equal(fb_csv_set_header(c, hdr, strlen(hdr)), 0);
    assert_int_equal(fb_csv_set_header(cn, hdr, strlen(hdr)), 0);
    assert_int_equal(
        fb_csv_to_json(c, rec, strlen(rec), out, sizeof(out), &pos), 0);
    assert_int_equal(pos, strlen(want));
    assert_memory_equal(out, want, pos);
    /* Appends after what is there. */
    out[pos++] = '\n';
    assert_int_equal(
        fb_csv_to_json(cn, rec, strlen(rec), out, sizeof(out), &pos), 0);
    assert_int_equal(pos, strlen(want) + 1 + strlen(want_null));
    assert_memory_equal(out + strlen(want) + 1, want_null, strlen(want_null));

    /* Leading empty fields: no stray comma. */
    pos = 0;
    assert_int_equal(fb_csv_to_json(c, ",,,,x", 5, out, sizeof(out), &pos), 0);
    assert_int_equal(pos, 13);
    assert_memory_equal(out, "{\"empty\":\"x\"}", 13);
    pos = 0;
    assert_int_equal(fb_csv_to_json(c, ",,,,", 4, out, sizeof(out), &pos), 0);
    assert_int_equal(pos, 2);
    assert_memory_equal(out, "{}", 2);

    /* Wrong field counts. */
    pos = 7;
    assert_int_equal(fb_csv_to_json(c, "1,2,3,4", 7, out, sizeof(out), &pos),
                     -1);
    assert_string_equal(fb_csv_error(c), "expected 5 fields, found 4");
    assert_int_equal(pos, 7);
    assert_int_equal(
        fb_csv_to_json(c, "1,2,3,4,5,6", 11, out, sizeof(out), &pos), -1);
    assert_string_equal(fb_csv_error(c), "expected 5 fields, found 6");
    assert_int_equal(
        fb_csv_to_json(c, "1,2,\"3,4,5", 10, out, sizeof(out), &pos), -1);
    assert_string_equal(fb_csv_error(c), "unterminated quoted field 3");
    fb_csv_free(c);
    fb_csv_free(cn);
}

/* Every delimiter: the same record, the same object; a comma is data in
 * a semicolon file; quoted delimiters stay data. */
static void
test_delimiters(void **state)
{
    static const struct {
        char delim;
        const char *hdr, *rec;
    } cases[] = {
        {';', "id;name;price", "1;\"a;b\";2,50"},
        {'|', "id|name|price", "1|\"a;b\"|2,50"},
        {'\t', "id\tname\tprice", "1\t\"a;b\"\t2,50"},
        {',', "id,name,price", "1,\"a;b\",\"2,50\""},
    };
    const char *want = "{\"id\":1,\"name\":\"a;b\",\"price\":\"2,50\"}";

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fb_csv_opts o = {0, 0, 0, cases[i].delim};
        struct fb_csv *c = fb_csv_new(&o);
        char out[128];
        size_t pos = 0;

        assert_non_null(c);
        assert_int_equal(
            fb_csv_set_header(c, cases[i].hdr, strlen(cases[i].hdr)), 0);
        assert_int_equal(fb_csv_header_count(c), 3);
        assert_int_equal(fb_csv_to_json(c, cases[i].rec, strlen(cases[i].rec),
                                        out, sizeof(out), &pos),
                         0);
        assert_int_equal(pos, strlen(want));
        assert_memory_equal(out, want, pos);
        fb_csv_free(c);
    }
}

/* A file without a header: the names come from a comma list, whatever the
 * file's delimiter; empty and duplicate names are refused, named. */
static void
test_columns_without_header(void **state)
{
    struct fb_csv_opts o = {0, 0, 0, ';'};
    struct fb_csv *c = fb_csv_new(&o);
    const char *want = "{\"ts\":\"2026-11-27\",\"n\":3}";
    char out[128];
    size_t pos = 0;

    (void)state;
    assert_non_null(c);
    assert_int_equal(fb_csv_set_columns(c, "ts,n"), 0);
    assert_int_equal(
        fb_csv_to_json(c, "2026-11-27;3", 12, out, sizeof(out), &pos), 0);
    assert_int_equal(pos, strlen(want));
    assert_memory_equal(out, want, strlen(want));
    assert_int_equal(fb_csv_set_columns(c, "a,,b"), -1);
    assert_string_equal(fb_csv_error(c), "empty header name in field 2");
    assert_int_equal(fb_csv_set_columns(c, "a,b,a"), -1);
    assert_string_equal(fb_csv_error(c),
                        "duplicate header name \"a\" in fields 1 and 3");
    fb_csv_free(c);
}

static void
test_output_overflow(void **state)
{
    struct fb_csv *c = new_csv(0, 0, 0);
    const char *hdr = "id,name";
    const char *rec = "42,\"tab\there\"";
    const char *want = "{\"id\":42,\"name\":\"tab\\there\"}";
    size_t need = strlen(want);
    char out[64];
    size_t cap;

    (void)state;
    assert_int_equal(fb_csv_set_header(c, hdr, strlen(hdr)), 0);
    /* Every capacity short of the exact size fails and leaves *pos. */
    for (cap = 0; cap < need; cap++) {
        size_t pos = 0;

        memset(out, '#', sizeof(out));
        assert_int_equal(fb_csv_to_json(c, rec, strlen(rec), out, cap, &pos),
                         -1);
        assert_int_equal(pos, 0);
        assert_int_equal(out[cap], '#'); /* nothing written past cap */
        {
            char msg[96];

            snprintf(msg, sizeof(msg),
                     "JSON object does not fit in the output buffer "
                     "(%zu bytes free)",
                     cap);
            assert_string_equal(fb_csv_error(c), msg);
        }
    }
    {
        size_t pos = 0;

        assert_int_equal(fb_csv_to_json(c, rec, strlen(rec), out, need, &pos),
                         0);
        assert_int_equal(pos, need);
        assert_memory_equal(out, want, need);
        /* Full: the next one does not fit, pos stays at the end. */
        assert_int_equal(fb_csv_to_json(c, rec, strlen(rec), out, need, &pos),
                         -1);
        assert_int_equal(pos, need);
        assert_string_equal(
            fb_csv_error(c),
            "JSON object does not fit in the output buffer (0 bytes free)");
    }
    fb_csv_free(c);
}

static uint64_t rng_state = 12345;

/*
 * Random records with quoted fields of arbitrary bytes 1..127 (quotes,
 * commas, newlines, control characters), rendered and parsed back with
 * jansson: every value must come back exactly.
 */
static void
test_roundtrip_jansson(void **state)
{
    struct fb_csv *c = new_csv(0, 0, 0);
    const char *hdr = "f0,f1,f2,f3";
    int it;

    (void)state;
    assert_int_equal(fb_csv_set_header(c, hdr, strlen(hdr)), 0);
    for (it = 0; it < 500; it++) {
        char rec[1024];
        char vals[4][64];
        size_t vlen[4];
        int kind[4];
        char out[4096];
        size_t n = 0;
        size_t pos = 0;
        json_t *root = NULL;
        json_error_t jerr;
        int f;

        for (f = 0; f < 4; f++) {
            size_t len = (size_t)(testutil_rng(&rng_state) % 20);
            size_t i;

            kind[f] = (int)(testutil_rng(&rng_state) % 3);
            if (f > 0)
                rec[n++] = ',';
            if (kind[f] == 0) { /* quoted arbitrary bytes */
                rec[n++] = '"';
                for (i = 0; i < len; i++) {
                    char ch = (char)(1 + testutil_rng(&rng_state) % 127);

                    vals[f][i] = ch;
                    rec[n++] = ch;
                    if (ch == '"')
                        rec[n++] = '"';
                }
                rec[n++] = '"';
                vlen[f] = len;
            } else if (kind[f] == 1) { /* an integer */
                int v = (int)(testutil_rng(&rng_state) % 200000) - 100000;

                vlen[f] = (size_t)snprintf(vals[f], sizeof(vals[f]), "%d", v);
                memcpy(rec + n, vals[f], vlen[f]);
                n += vlen[f];
            } else { /* an unquoted word */
                vlen[f] = 1 + len;
                for (i = 0; i < vlen[f]; i++)
                    vals[f][i] = "abcxyz _-"[testutil_rng(&rng_state) % 9];
                vals[f][0] = 'w';
                memcpy(rec + n, vals[f], vlen[f]);
                n += vlen[f];
            }
        }
        if (fb_csv_to_json(c, rec, n, out, sizeof(out), &pos) != 0)
            fail_msg("iteration %d: %s", it, fb_csv_error(c));
        root = json_loadb(out, pos, 0, &jerr);
        if (root == NULL)
            fail_msg("iteration %d: invalid JSON %.*s: %s", it, (int)pos, out,
                     jerr.text);
        assert_int_equal(json_object_size(root), 4);
        for (f = 0; f < 4; f++) {
            char key[4];
            json_t *v = NULL;

            snprintf(key, sizeof(key), "f%d", f);
            v = json_object_get(root, key);
            assert_non_null(v);
            if (kind[f] == 1) {
                assert_true(json_is_integer(v));
                assert_int_equal(json_integer_value(v),
                                 strtoll(vals[f], NULL, 10));
            } else {
                assert_true(json_is_string(v));
                assert_int_equal(json_string_length(v), vlen[f]);
                assert_memory_equal(json_string_value(v), vals[f], vlen[f]);
            }
        }
        json_decref(root);
    }
    fb_csv_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_typing_table),
        cmocka_unit_test(test_record_to_json),
        cmocka_unit_test(test_delimiters),
        cmocka_unit_test(test_columns_without_header),
        cmocka_unit_test(test_output_overflow),
        cmocka_unit_test(test_roundtrip_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
