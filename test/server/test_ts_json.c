/*
 * test_ts_json.c
 *    ts_json_scan_doc() reads a string or number member value on a fast
 *    path inside the object loop, and a plain string with a word-at-a-time
 *    loop that hands anything unusual (escapes, UTF-8, the last 8 bytes of
 *    the document) to the general one.  An array element takes the general
 *    path (scan_value) for the same token.  So each random document is
 *    scanned twice, once as {"k":v,...} and once as {"k":[v],...}: the
 *    fields reported, the result and the error (text and position, moved
 *    by the brackets) must agree, or the fast path drifted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "ts_json.h"

#define DOC_MAX 4096
#define MEMBERS_MAX 12
#define EVENTS_MAX 64

/* One reported field, copied out of the scanner's buffers. */
struct event {
    char path[64];
    size_t key_off;
    int depth;
    enum ts_json_kind kind;
    char val[256];
    size_t val_len;
    bool escaped;
    size_t pos;
};

struct record {
    struct event ev[EVENTS_MAX];
    int n;
    int stop_at; /* answer 5 at this event (1-based); 0: never */
};

/* A document and its wrapped twin, with where each member's value starts. */
struct twin {
    char plain[DOC_MAX];
    size_t plain_len;
    char wrapped[DOC_MAX];
    size_t wrapped_len;
    size_t off[MEMBERS_MAX]; /* value start in plain */
    int members;
};

static uint64_t rng_state;

/* The same cases on every run. */
static uint32_t
rnd(uint32_t n)
{
    return (uint32_t)(testutil_rng(&rng_state) >> 32) % n;
}

static int
record_field(void *ud, const struct ts_json_field *f)
{
    struct record *r = ud;
    struct event *e = NULL;

    assert_true(r->n < EVENTS_MAX);
    assert_true(f->path_len < sizeof(e->path));
    assert_true(f->val_len <= sizeof(e->val));
    e = &r->ev[r->n++];
    memcpy(e->path, f->path, f->path_len);
    e->path[f->path_len] = 0;
    e->key_off = (size_t)(f->key - f->path);
    e->depth = f->depth;
    e->kind = f->kind;
    memcpy(e->val, f->val, f->val_len);
    e->val_len = f->val_len;
    e->escaped = f->escaped;
    e->pos = f->pos;
    return r->n == r->stop_at ? 5 : 0;
}

/* Appends to a bounded buffer; the generator stays far below DOC_MAX. */
static void
put(char *buf, size_t *len, const char *s, size_t n)
{
    assert_true(*len + n < DOC_MAX);
    memcpy(buf + *len, s, n);
    *len += n;
}

/* A string value: mostly plain ASCII, sometimes escapes (good and bad),
 * UTF-8 (good and bad) or control bytes; always closed by a quote. */
static size_t
gen_string(char *out)
{
    static const char *const pieces[] = {
        "\\n",          "\\\"",  "\\u00e9", "\\u12G4", "\\x",  "\xc3\xa9",
        "\xe2\x82\xac", "\xc3(", "\xff",    "\x01",    "\x1f", "\t",
    };
    size_t n = 0;
    uint32_t len = rnd(4) == 0 ? rnd(40) : rnd(12);
    uint32_t i;
    bool odd = rnd(3) == 0;

    out[n++] = '"';
    for (i = 0; i < len; i++) {
        if (odd && rnd(8) == 0) {
            const char *p = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];

            memcpy(out + n, p, strlen(p));
            n += strlen(p);
        } else {
            out[n++] = (char)('a' + rnd(26));
        }
    }
    out[n++] = '"';
    return n;
}

/* A number: mostly valid, sometimes one Jackson rejects. */
static size_t
gen_number(char *out)
{
    /* each fails on a byte of its own, never on the byte after it, which
     * differs between the twins */
    static const char *const bad[] = {"-x",   "01",   "1.x",  "1ex", "-y",
                                      "1.e5", "2E+z", "-0.q", "00"};
    int n;

    if (rnd(5) == 0) {
        const char *b = bad[rnd(sizeof(bad) / sizeof(bad[0]))];

        memcpy(out, b, strlen(b));
        return strlen(b);
    }
    switch (rnd(4)) {
    case 0:
        n = snprintf(out, 32, "%u", rnd(1000000));
        break;
    case 1:
        n = snprintf(out, 32, "-%u.%u", rnd(1000), rnd(1000));
        break;
    case 2:
        n = snprintf(out, 32, "%ue%s%u", rnd(10), rnd(2) ? "-" : "", rnd(30));
        break;
    default:
        n = snprintf(out, 32, "1795921200%03u", rnd(1000));
        break;
    }
    return (size_t)n;
}

static void
gen_twin(struct twin *t)
{
    int i;

    memset(t, 0, sizeof(*t));
    t->members = 1 + (int)rnd(MEMBERS_MAX - 1);
    put(t->plain, &t->plain_len, "{", 1);
    put(t->wrapped, &t->wrapped_len, "{", 1);
    for (i = 0; i < t->members; i++) {
        char key[16];
        char val[512];
        size_t vn;
        int kn = snprintf(key, sizeof(key), "%s\"%c%u\":", i ? "," : "",
                          'a' + (int)rnd(26), rnd(100));

        put(t->plain, &t->plain_len, key, (size_t)kn);
        put(t->wrapped, &t->wrapped_len, key, (size_t)kn);
        vn = rnd(2) ? gen_string(val) : gen_number(val);
        t->off[i] = t->plain_len;
        put(t->plain, &t->plain_len, val, vn);
        put(t->wrapped, &t->wrapped_len, "[", 1);
        put(t->wrapped, &t->wrapped_len, val, vn);
        put(t->wrapped, &t->wrapped_len, "]", 1);
    }
    put(t->plain, &t->plain_len, "}", 1);
    put(t->wrapped, &t->wrapped_len, "}", 1);
}

/* Where a position inside the plain document sits in the wrapped one. */
static size_t
map_pos(const struct twin *t, size_t pos)
{
    int i = t->members - 1;

    if (pos == t->plain_len) /* end of input */
        return t->wrapped_len;
    while (i > 0 && t->off[i] > pos)
        i--;
    assert_true(pos >= t->off[0]);
    return pos + 1 + 2 * (size_t)i;
}

static void
check_twin(const struct twin *t, int stop_at, int *nfail)
{
    struct record plain;
    struct record wrapped;
    struct ts_json_visitor vp = {record_field, &plain};
    struct ts_json_visitor vw = {record_field, &wrapped};
    struct ts_json_err ep;
    struct ts_json_err ew;
    int rp;
    int rw;
    int i;
    int k = 0;

    memset(&plain, 0, sizeof(plain));
    memset(&wrapped, 0, sizeof(wrapped));
    memset(&ep, 0, sizeof(ep));
    memset(&ew, 0, sizeof(ew));
    plain.stop_at = stop_at;
    /* the wrapped twin reports an extra ARRAY event before each value */
    wrapped.stop_at = stop_at ? 2 * stop_at : 0;
    rp = ts_json_scan_doc(t->plain, t->plain_len, &vp, &ep);
    rw = ts_json_scan_doc(t->wrapped, t->wrapped_len, &vw, &ew);
    assert_int_equal(rp, rw);
    if (rp != 0)
        (*nfail)++;
    if (rp == -1) {
        assert_string_equal(ep.msg, ew.msg);
        assert_int_equal(map_pos(t, ep.pos), ew.pos);
    }
    for (i = 0; i < wrapped.n; i++) {
        const struct event *a = NULL;
        const struct event *b = &wrapped.ev[i];

        if (b->kind == TS_JSON_ARRAY)
            continue;
        assert_true(k < plain.n);
        a = &plain.ev[k++];
        assert_string_equal(a->path, b->path);
        assert_int_equal(a->key_off, b->key_off);
        assert_int_equal(a->depth, b->depth);
        assert_int_equal(a->kind, b->kind);
        assert_int_equal(a->val_len, b->val_len);
        assert_memory_equal(a->val, b->val, a->val_len);
        assert_int_equal(a->escaped, b->escaped);
        assert_int_equal(map_pos(t, a->pos), b->pos);
    }
    assert_int_equal(k, plain.n);
}

/* 20000 random twins; both outcomes must be common, or the test would
 * prove little. */
static void
test_fast_members_match_general_path(void **state)
{
    struct twin *t = malloc(sizeof(*t));
    int nfail = 0;
    int i;

    (void)state;
    assert_non_null(t);
    rng_state = UINT64_C(0x9e3779b97f4a7c15);
    for (i = 0; i < 20000; i++) {
        gen_twin(t);
        check_twin(t, rnd(10) == 0 ? 1 + (int)rnd(4) : 0, &nfail);
    }
    assert_in_range(nfail, 2000, 18000);
    free(t);
}

/* Fixed cases whose answers are known, so both paths cannot be wrong the
 * same way unnoticed. */
static void
test_known_answers(void **state)
{
    static const struct {
        const char *doc;
        int rc;
        size_t pos;
        const char *msg;
    } cases[] = {
        {"{\"a\":\"abcdefghijklmnopqrstuvwxyz\",\"b\":12}", 0, 0, ""},
        {"{\"a\":\"abcdefgh\\u00e9ij\"}", 0, 0, ""},
        {"{\"a\":\"caf\xc3\xa9 au lait, s'il vous plait\"}", 0, 0, ""},
        {"{\"a\":01}", -1, 5,
         "Invalid numeric value: Leading zeroes not "
         "allowed"},
        {"{\"a\":\"abcdefghij\\q\"}", -1, 17,
         "Unrecognized character escape 'q' (code 113)"},
        {"{\"a\":\"abcdefghij\xc3(\"}", -1, 17,
         "Invalid UTF-8 middle byte 0x28"},
        {"{\"a\":\"abcdefghijklmnop", -1, 22,
         "Unexpected end-of-input: was expecting closing quote for a string "
         "value"},
        {"{\"a\":1.}", -1, 7,
         "Unexpected character ('}' (code 125)): Decimal point not followed "
         "by a digit"},
        {"{\"a\":\"x\"}  x", -3, 11, NULL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ts_json_err err;
        int rc;

        memset(&err, 0, sizeof(err));
        rc = ts_json_scan_doc(cases[i].doc, strlen(cases[i].doc), NULL, &err);
        assert_int_equal(rc, cases[i].rc);
        if (rc != 0)
            assert_int_equal(err.pos, cases[i].pos);
        if (rc == -1)
            assert_string_equal(err.msg, cases[i].msg);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_members_match_general_path),
        cmocka_unit_test(test_known_answers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
