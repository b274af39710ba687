/*
 * file_csv.c
 *    RFC 4180 field splitting, header names, and the JSON rendering of a
 *    record (rules in file_csv.h).
 *
 * Header keys are rendered once, escaped and with their ':' ("name":), so
 * that a record costs one copy per key plus its values.
 */
#include "forkbulk/file_csv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/jsonout.h"

struct fb_csv {
    size_t max_fields;
    size_t max_rec;
    int empty_as_null;
    char delim; /* the field separator */

    struct fb_csv_field *fields; /* max_fields entries */
    size_t nfields;
    char *scratch; /* max_rec bytes: fields with "" collapsed */

    /* Header: names (raw) and rendered keys, in one allocation. */
    size_t nnames;
    char *hdr;
    size_t *name_off; /* max_fields entries each */
    size_t *name_len;
    size_t *key_off;
    size_t *key_len;

    char err[160];
};

static void fb_csv_fail(struct fb_csv *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fb_csv_fail(struct fb_csv *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
}

struct fb_csv *
fb_csv_new(const struct fb_csv_opts *opts)
{
    struct fb_csv *c = NULL;
    size_t nf = opts->max_fields ? opts->max_fields : FB_CSV_DEFAULT_MAX_FIELDS;
    size_t mr = opts->max_record_bytes ? opts->max_record_bytes
                                       : FB_CSV_DEFAULT_MAX_RECORD;

    if (nf > SIZE_MAX / sizeof(struct fb_csv_field))
        return NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->max_fields = nf;
    c->max_rec = mr;
    c->empty_as_null = opts->empty_as_null;
    c->delim = opts->delimiter != '\0' ? opts->delimiter : ',';
    c->fields = calloc(nf, sizeof(*c->fields));
    c->scratch = malloc(mr);
    c->name_off = calloc(nf, sizeof(size_t));
    c->name_len = calloc(nf, sizeof(size_t));
    c->key_off = calloc(nf, sizeof(size_t));
    c->key_len = calloc(nf, sizeof(size_t));
    if (c->fields == NULL || c->scratch == NULL || c->name_off == NULL ||
        c->name_len == NULL || c->key_off == NULL || c->key_len == NULL) {
        fb_csv_free(c);
        return NULL;
    }
    return c;
}

void
fb_csv_free(struct fb_csv *c)
{
    if (c == NULL)
        return;
    free(c->fields);
    free(c->scratch);
    free(c->hdr);
    free(c->name_off);
    free(c->name_len);
    free(c->key_off);
    free(c->key_len);
    free(c);
}

/*
 * Quoted field starting after its opening quote at rec[i]: sets *f and
 * the index after the closing quote in *next.  0, or -1 (error set).
 */
static int
fb_csv_quoted(struct fb_csv *c, const char *rec, size_t len, size_t i,
              size_t *scratch_used, struct fb_csv_field *f, size_t *next)
{
    size_t start = i;
    int escaped = 0;

    for (;;) {
        const char *qp = memchr(rec + i, '"', len - i);

        if (qp == NULL) {
            fb_csv_fail(c, "unterminated quoted field %zu", c->nfields + 1);
            return -1;
        }
        i = (size_t)(qp - rec);
        if (i + 1 < len && rec[i + 1] == '"') {
            escaped = 1;
            i += 2;
            continue;
        }
        break;
    }
    /* rec[i] is the closing quote. */
    if (i + 1 < len && rec[i + 1] != c->delim) {
        fb_csv_fail(c, "unexpected character after closing quote in field %zu",
                    c->nfields + 1);
        return -1;
    }
    f->quoted = 1;
    if (!escaped) {
        f->data = rec + start;
        f->len = i - start;
    } else {
        /* Collapse "" into the scratch area; the result is shorter than
         * the raw field, and all fields together than the record. */
        char *out = c->scratch + *scratch_used;
        size_t k = start;
        size_t n = 0;

        while (k < i) {
            out[n++] = rec[k];
            k += rec[k] == '"' ? 2 : 1;
        }
        f->data = out;
        f->len = n;
        *scratch_used += n;
    }
    *next = i + 1;
    return 0;
}

int
fb_csv_parse(struct fb_csv *c, const char *rec, size_t len)
{
    size_t i = 0;
    size_t scratch_used = 0;

    c->err[0] = '\0';
    c->nfields = 0;
    if (len > 0 && rec[len - 1] == '\n')
        len--;
    if (len > 0 && rec[len - 1] == '\r')
        len--;
    if (len > c->max_rec) {
        fb_csv_fail(c, "record longer than %zu bytes", c->max_rec);
        return -1;
    }
    for (;;) {
        struct fb_csv_field f = {NULL, 0, 0};
        size_t next = 0;

        if (c->nfields == c->max_fields) {
            fb_csv_fail(c, "more than %zu fields", c->max_fields);
            c->nfields = 0;
            return -1;
        }
        if (i < len && rec[i] == '"') {
            if (fb_csv_quoted(c, rec, len, i + 1, &scratch_used, &f, &next) !=
                0) {
                c->nfields = 0;
                return -1;
            }
        } else {
            const char *sep = memchr(rec + i, c->delim, len - i);
            size_t end = sep != NULL ? (size_t)(sep - rec) : len;

            if (memchr(rec + i, '"', end - i) != NULL) {
                fb_csv_fail(c, "bare quote in unquoted field %zu",
                            c->nfields + 1);
                c->nfields = 0;
                return -1;
            }
            f.data = rec + i;
            f.len = end - i;
            next = end;
        }
        c->fields[c->nfields++] = f;
        if (next >= len)
            break;
        i = next + 1; /* past the separator */
        if (i == len) {
            /* A trailing separator ends with an empty field. */
            if (c->nfields == c->max_fields) {
                fb_csv_fail(c, "more than %zu fields", c->max_fields);
                c->nfields = 0;
                return -1;
            }
            c->fields[c->nfields].data = rec + len;
            c->fields[c->nfields].len = 0;
            c->fields[c->nfields].quoted = 0;
            c->nfields++;
            break;
        }
    }
    return 0;
}

size_t
fb_csv_nfields(const struct fb_csv *c)
{
    return c->nfields;
}

const struct fb_csv_field *
fb_csv_field(const struct fb_csv *c, size_t i)
{
    return i < c->nfields ? &c->fields[i] : NULL;
}

int
fb_csv_set_header(struct fb_csv *c, const char *rec, size_t len)
{
    char *buf = NULL;
    size_t need = 0;
    size_t pos = 0;
    size_t i;
    size_t j;

    if (fb_csv_parse(c, rec, len) != 0)
        return -1;
    for (i = 0; i < c->nfields; i++) {
        const struct fb_csv_field *a = &c->fields[i];

        if (a->len == 0) {
            fb_csv_fail(c, "empty header name in field %zu", i + 1);
            return -1;
        }
        for (j = 0; j < i; j++) {
            const struct fb_csv_field *b = &c->fields[j];

            if (a->len == b->len && memcmp(a->data, b->data, a->len) == 0) {
                fb_csv_fail(c,
                            "duplicate header name \"%.*s\" in fields %zu "
                            "and %zu",
                            (int)(a->len > 64 ? 64 : a->len), a->data, j + 1,
                            i + 1);
                return -1;
            }
        }
        /* raw copy, plus the worst case of escaping: \u00XX per byte,
         * two quotes and ':' */
        need += a->len + 6 * a->len + 3;
    }
    buf = malloc(need);
    if (buf == NULL) {
        fb_csv_fail(c, "out of memory for the header");
        return -1;
    }
    for (i = 0; i < c->nfields; i++) {
        const struct fb_csv_field *a = &c->fields[i];

        c->name_off[i] = pos;
        c->name_len[i] = a->len;
        memcpy(buf + pos, a->data, a->len);
        pos += a->len;
        c->key_off[i] = pos;
        if (fb_json_escape(buf, need, &pos, a->data, a->len) != 0 ||
            fb_json_raw(buf, need, &pos, ":", 1) != 0) {
            free(buf); /* cannot happen: need is the worst case */
            fb_csv_fail(c, "header does not fit its buffer");
            return -1;
        }
        c->key_len[i] = pos - c->key_off[i];
    }
    free(c->hdr);
    c->hdr = buf;
    c->nnames = c->nfields;
    return 0;
}

int
fb_csv_set_columns(struct fb_csv *c, const char *list)
{
    char delim = c->delim;
    int rc;

    /* The list is comma-separated whatever the file's separator is. */
    c->delim = ',';
    rc = fb_csv_set_header(c, list, strlen(list));
    c->delim = delim;
    return rc;
}

size_t
fb_csv_header_count(const struct fb_csv *c)
{
    return c->nnames;
}

const char *
fb_csv_header_name(const struct fb_csv *c, size_t i, size_t *len)
{
    if (i >= c->nnames)
        return NULL;
    *len = c->name_len[i];
    return c->hdr + c->name_off[i];
}

static int
fb_csv_is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Exactly the JSON number grammar. */
static int
fb_csv_is_number(const char *s, size_t n)
{
    size_t i = 0;
    size_t start;

    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return 0;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && fb_csv_is_digit(s[i]))
            i++;
    } else {
        return 0;
    }
    if (i < n && s[i] == '.') {
        i++;
        start = i;
        while (i < n && fb_csv_is_digit(s[i]))
            i++;
        if (i == start)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        start = i;
        while (i < n && fb_csv_is_digit(s[i]))
            i++;
        if (i == start)
            return 0;
    }
    return i == n;
}

static int
fb_csv_is_literal(const char *s, size_t n)
{
    return (n == 4 && memcmp(s, "true", 4) == 0) ||
           (n == 5 && memcmp(s, "false", 5) == 0);
}

int
fb_csv_to_json(struct fb_csv *c, const char *rec, size_t len, char *out,
               size_t cap, size_t *pos)
{
    size_t p = *pos;
    size_t i;
    int first = 1;
    int rc = -1;

    if (c->nnames == 0) {
        fb_csv_fail(c, "no header set");
        return -1;
    }
    if (fb_csv_parse(c, rec, len) != 0)
        return -1;
    if (c->nfields != c->nnames) {
        fb_csv_fail(c, "expected %zu fields, found %zu", c->nnames, c->nfields);
        return -1;
    }
    /* From here on every failure is the output being full. */
    if (p > cap || fb_json_raw(out, cap, &p, "{", 1) != 0)
        goto out;
    for (i = 0; i < c->nfields; i++) {
        const struct fb_csv_field *f = &c->fields[i];
        int w;

        if (!f->quoted && f->len == 0 && !c->empty_as_null)
            continue;
        if (!first && fb_json_raw(out, cap, &p, ",", 1) != 0)
            goto out;
        first = 0;
        if (fb_json_raw(out, cap, &p, c->hdr + c->key_off[i], c->key_len[i]) !=
            0)
            goto out;
        if (f->quoted)
            w = fb_json_escape(out, cap, &p, f->data, f->len);
        else if (f->len == 0)
            w = fb_json_raw(out, cap, &p, "null", 4);
        else if (fb_csv_is_number(f->data, f->len) ||
                 fb_csv_is_literal(f->data, f->len))
            w = fb_json_raw(out, cap, &p, f->data, f->len);
        else
            w = fb_json_escape(out, cap, &p, f->data, f->len);
        if (w != 0)
            goto out;
    }
    if (fb_json_raw(out, cap, &p, "}", 1) != 0)
        goto out;
    *pos = p;
    rc = 0;
out:
    if (rc != 0)
        fb_csv_fail(c,
                    "JSON object does not fit in the output buffer "
                    "(%zu bytes free)",
                    *pos <= cap ? cap - *pos : 0);
    return rc;
}

const char *
fb_csv_error(const struct fb_csv *c)
{
    return c->err;
}
