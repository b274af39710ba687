/*
 * fuzz_csv.c
 *    libFuzzer target for the CSV record parser and its JSON rendering
 *    (csv.c).
 *
 * Input: one option byte (field limit, record limit, empty_as_null), then
 * a header record and a data record separated by the first NUL byte.
 * Invariants:
 *  - parse stays within its field limit, and its fields, written back as
 *    CSV (every field quoted that was), parse back to the same fields;
 *  - a record without quotes splits exactly at its commas;
 *  - fb_csv_to_json writes within its buffer, changes nothing on failure,
 *    and on success (for ASCII input) writes one valid JSON object whose
 *    members jansson reads back with the typing rule of file_csv.h.
 */
#include "forkbulk/file_csv.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define OUT_CAP 8192

/* Length of rec without the trailing "\n" and then "\r" the parser
 * ignores. */
static size_t
trimmed_len(const char *rec, size_t len)
{
    if (len > 0 && rec[len - 1] == '\n')
        len--;
    if (len > 0 && rec[len - 1] == '\r')
        len--;
    return len;
}

/* Fields of the last parse of c, written back as one CSV record ending in
 * "\r\n" into buf (malloc'd, *blen). */
static char *
write_back(const struct fb_csv *c, size_t *blen)
{
    size_t nf = fb_csv_nfields(c);
    size_t need = 2;
    char *buf = NULL;
    size_t o = 0;

    for (size_t i = 0; i < nf; i++)
        need += 2 * fb_csv_field(c, i)->len + 3;
    buf = malloc(need);
    CHECK(buf != NULL);
    for (size_t i = 0; i < nf; i++) {
        const struct fb_csv_field *f = fb_csv_field(c, i);

        if (i > 0)
            buf[o++] = ',';
        if (f->quoted)
            buf[o++] = '"';
        for (size_t k = 0; k < f->len; k++) {
            if (f->data[k] == '"')
                buf[o++] = '"';
            buf[o++] = f->data[k];
        }
        if (f->quoted)
            buf[o++] = '"';
    }
    buf[o++] = '\r';
    buf[o++] = '\n';
    CHECK(o <= need);
    *blen = o;
    return buf;
}

static void
check_parse(struct fb_csv *c, struct fb_csv *big, const char *rec, size_t len,
            size_t max_fields, size_t max_rec)
{
    int rc = fb_csv_parse(c, rec, len);
    size_t tl = trimmed_len(rec, len);
    size_t nf;
    char *wb = NULL;
    size_t wblen = 0;

    CHECK(rc == 0 || rc == -1);
    if (rc != 0) {
        CHECK(fb_csv_error(c)[0] != '\0');
        CHECK(fb_csv_nfields(c) == 0);
    }
    if (memchr(rec, '"', tl) == NULL) {
        /* No quotes: fields are exactly the comma-separated pieces. */
        size_t commas = 0;

        for (size_t i = 0; i < tl; i++)
            commas += rec[i] == ',';
        CHECK(rc == (tl <= max_rec && commas + 1 <= max_fields ? 0 : -1));
        if (rc == 0) {
            size_t at = 0;

            CHECK(fb_csv_nfields(c) == commas + 1);
            for (size_t i = 0; i <= commas; i++) {
                const struct fb_csv_field *f = fb_csv_field(c, i);
                const char *comma = memchr(rec + at, ',', tl - at);
                size_t end = comma != NULL ? (size_t)(comma - rec) : tl;

                CHECK(!f->quoted && f->data == rec + at);
                CHECK(f->len == end - at);
                at = end + 1;
            }
        }
    }
    if (rc != 0)
        return;
    nf = fb_csv_nfields(c);
    CHECK(nf >= 1 && nf <= max_fields);
    CHECK(fb_csv_field(c, nf) == NULL);
    for (size_t i = 0; i < nf; i++) {
        const struct fb_csv_field *f = fb_csv_field(c, i);

        CHECK(f != NULL && f->len <= tl);
        if (!f->quoted)
            CHECK(f->data >= rec && f->data + f->len <= rec + tl);
    }
    /* Written back and parsed again: the same fields. */
    wb = write_back(c, &wblen);
    CHECK(fb_csv_parse(big, wb, wblen) == 0);
    CHECK(fb_csv_nfields(big) == nf);
    for (size_t i = 0; i < nf; i++) {
        const struct fb_csv_field *a = fb_csv_field(c, i);
        const struct fb_csv_field *b = fb_csv_field(big, i);

        CHECK(a->quoted == b->quoted && a->len == b->len);
        CHECK(a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
    }
    free(wb);
}

static int
is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    return 1;
}

/* The member of obj for header name i, checked against field f. */
static void
check_member(json_t *obj, const char *name, size_t nlen,
             const struct fb_csv_field *f, int empty_as_null)
{
    json_t *v = json_object_getn(obj, name, nlen);

    if (!f->quoted && f->len == 0) {
        if (empty_as_null)
            CHECK(v != NULL && json_is_null(v));
        else
            CHECK(v == NULL);
        return;
    }
    CHECK(v != NULL);
    if (f->quoted) {
        CHECK(json_is_string(v));
        CHECK(json_string_length(v) == f->len);
        CHECK(memcmp(json_string_value(v), f->data, f->len) == 0);
    } else if (json_is_string(v)) {
        CHECK(json_string_length(v) == f->len);
        CHECK(memcmp(json_string_value(v), f->data, f->len) == 0);
    } else if (json_is_true(v)) {
        CHECK(f->len == 4 && memcmp(f->data, "true", 4) == 0);
    } else if (json_is_false(v)) {
        CHECK(f->len == 5 && memcmp(f->data, "false", 5) == 0);
    } else {
        /* A number: written as it was, and only what JSON calls one. */
        char tmp[64];
        json_error_t je;
        json_t *n = NULL;

        CHECK(json_is_number(v));
        if (f->len < sizeof(tmp)) {
            memcpy(tmp, f->data, f->len);
            n = json_loadb(tmp, f->len, JSON_DECODE_ANY, &je);
            CHECK(n != NULL && json_is_number(n));
            CHECK(json_equal(n, v));
            json_decref(n);
        }
    }
}

/* jansson's refusals that are limits, not syntax. */
static int
jansson_limit(const json_error_t *je)
{
    return strstr(je->text, "too big") != NULL ||
           strstr(je->text, "overflow") != NULL;
}

static void
check_json(struct fb_csv *c, const char *hdr, size_t hlen, const char *rec,
           size_t len, int empty_as_null)
{
    static char out[OUT_CAP + 16];
    size_t start = hlen % 7; /* not always at 0 */
    size_t cap = start + (len * 3) % OUT_CAP;
    size_t pos = start;
    json_error_t je;
    json_t *obj = NULL;
    size_t nf;
    size_t members = 0;
    int rc;

    if (cap > OUT_CAP)
        cap = OUT_CAP;
    memset(out, '#', sizeof(out));
    rc = fb_csv_to_json(c, rec, len, out, cap, &pos);
    for (size_t i = cap; i < sizeof(out); i++)
        CHECK(out[i] == '#');
    for (size_t i = 0; i < start; i++)
        CHECK(out[i] == '#');
    if (rc != 0) {
        CHECK(pos == start);
        CHECK(fb_csv_error(c)[0] != '\0');
        return;
    }
    CHECK(pos > start && pos <= cap);
    nf = fb_csv_nfields(c);
    CHECK(nf == fb_csv_header_count(c));
    if (!is_ascii(hdr, hlen) || !is_ascii(rec, len))
        return; /* bytes pass through: not ours to make valid UTF-8 */
    obj = json_loadb(out + start, pos - start, JSON_ALLOW_NUL, &je);
    if (obj == NULL && jansson_limit(&je))
        return; /* a number beyond jansson's range, valid JSON all the same */
    if (obj == NULL)
        fprintf(stderr, "fuzz_csv: bad JSON: %s: %.*s\n", je.text,
                (int)(pos - start), out + start);
    CHECK(obj != NULL && json_is_object(obj));
    for (size_t i = 0; i < nf; i++) {
        const struct fb_csv_field *f = fb_csv_field(c, i);
        size_t nlen = 0;
        const char *name = fb_csv_header_name(c, i, &nlen);

        CHECK(name != NULL);
        check_member(obj, name, nlen, f, empty_as_null);
        members += f->quoted || f->len > 0 || empty_as_null;
    }
    CHECK(json_object_size(obj) == members);
    json_decref(obj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fb_csv_opts o = {0, 0, 0, 0};
    struct fb_csv_opts bo = {0, 0, 0, 0};
    struct fb_csv *c = NULL;
    struct fb_csv *big = NULL;
    const char *hdr;
    const char *rec;
    const char *nul;
    size_t hlen;
    size_t rlen;

    if (size < 1)
        return 0;
    o.max_fields = 1 + (data[0] & 7);                          /* 1..8 */
    o.max_record_bytes = 1 + (size_t)(data[0] >> 3 & 15) * 16; /* 1..241 */
    o.empty_as_null = data[0] >> 7;
    data++;
    size--;
    nul = memchr(data, '\0', size);
    hdr = (const char *)data;
    hlen = nul != NULL ? (size_t)(nul - hdr) : size;
    rec = nul != NULL ? nul + 1 : hdr + size;
    rlen = nul != NULL ? size - hlen - 1 : 0;

    c = fb_csv_new(&o);
    bo.max_fields = o.max_fields;
    bo.max_record_bytes = 4 * size + 16;
    big = fb_csv_new(&bo);
    CHECK(c != NULL && big != NULL);

    check_parse(c, big, hdr, hlen, o.max_fields, o.max_record_bytes);
    check_parse(c, big, rec, rlen, o.max_fields, o.max_record_bytes);

    if (fb_csv_set_header(c, hdr, hlen) == 0) {
        CHECK(fb_csv_header_count(c) == fb_csv_nfields(c));
        for (size_t i = 0; i < fb_csv_header_count(c); i++) {
            size_t nlen = 0;

            CHECK(fb_csv_header_name(c, i, &nlen) != NULL && nlen > 0);
        }
        check_json(c, hdr, hlen, rec, rlen, o.empty_as_null);
    } else {
        CHECK(fb_csv_header_count(c) == 0);
    }
    fb_csv_free(big);
    fb_csv_free(c);
    return 0;
}
