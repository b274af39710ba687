/*
 * pg_render.c
 *    PostgreSQL text values to JSON (see pg_render.h for the mapping).
 *
 * Everything writes into caller-given buffers with explicit capacities;
 * a failed append leaves *pos where it was, so the caller can tell
 * "too large" from "bad value" and still report what it has.
 */
#include "forkbulk/pg_render.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "forkbulk/jsonout.h"

/* Arrays have at most 6 dimensions in PostgreSQL (MAXDIM). */
#define FB_PG_MAXDIM 6

struct fb_pg_oidmap {
    unsigned int oid;
    enum fb_pg_kind kind;
    bool array;
};

/* Built-in type OIDs (pg_type.dat); they never change between releases. */
static const struct fb_pg_oidmap oidmap[] = {
    {16, FB_PG_KIND_BOOL, false},
    {20, FB_PG_KIND_INT, false},
    {21, FB_PG_KIND_INT, false},
    {23, FB_PG_KIND_INT, false},
    {26, FB_PG_KIND_INT, false},
    {114, FB_PG_KIND_JSON, false},
    {700, FB_PG_KIND_FLOAT, false},
    {701, FB_PG_KIND_FLOAT, false},
    {1114, FB_PG_KIND_TIMESTAMP, false},
    {1184, FB_PG_KIND_TIMESTAMPTZ, false},
    {1700, FB_PG_KIND_NUMERIC, false},
    {3802, FB_PG_KIND_JSON, false},
    {199, FB_PG_KIND_JSON, true},
    {1000, FB_PG_KIND_BOOL, true},
    {1005, FB_PG_KIND_INT, true},
    {1007, FB_PG_KIND_INT, true},
    {1016, FB_PG_KIND_INT, true},
    {1028, FB_PG_KIND_INT, true},
    {1021, FB_PG_KIND_FLOAT, true},
    {1022, FB_PG_KIND_FLOAT, true},
    {1115, FB_PG_KIND_TIMESTAMP, true},
    {1185, FB_PG_KIND_TIMESTAMPTZ, true},
    {1231, FB_PG_KIND_NUMERIC, true},
    {3807, FB_PG_KIND_JSON, true},
    /* Arrays whose elements are strings: text, varchar, bpchar, name,
     * char, date, inet, cidr, uuid, macaddr, time, interval. */
    {1009, FB_PG_KIND_STRING, true},
    {1015, FB_PG_KIND_STRING, true},
    {1014, FB_PG_KIND_STRING, true},
    {1003, FB_PG_KIND_STRING, true},
    {1002, FB_PG_KIND_STRING, true},
    {1182, FB_PG_KIND_STRING, true},
    {1041, FB_PG_KIND_STRING, true},
    {651, FB_PG_KIND_STRING, true},
    {2951, FB_PG_KIND_STRING, true},
    {1040, FB_PG_KIND_STRING, true},
    {1183, FB_PG_KIND_STRING, true},
    {1187, FB_PG_KIND_STRING, true},
};

void
fb_pg_render_type(unsigned int oid, struct fb_pg_coltype *t)
{
    size_t i;

    t->kind = FB_PG_KIND_STRING;
    t->array = false;
    for (i = 0; i < sizeof oidmap / sizeof oidmap[0]; i++) {
        if (oidmap[i].oid == oid) {
            t->kind = oidmap[i].kind;
            t->array = oidmap[i].array;
            return;
        }
    }
}

static bool
is_text(const char *v, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(v, s, len) == 0;
}

/* NaN and the infinities of float and numeric output. */
static int
check_finite(const char *name, const char *v, size_t len, char *err,
             size_t errlen)
{
    static const char *const bad[] = {"NaN", "Infinity", "-Infinity"};
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (is_text(v, len, bad[i])) {
            snprintf(err, errlen, "column [%s] is %s: JSON has no %s", name,
                     bad[i], bad[i][0] == '-' ? bad[i] + 1 : bad[i]);
            return FB_PG_RENDER_EVALUE;
        }
    }
    return FB_PG_RENDER_OK;
}

/* "2026-11-27 03:00:00.5" (+ "+00" or another offset for timestamptz)
 * -> "2026-11-27T03:00:00.5Z" */
static int
render_timestamp(bool tz, const char *name, const char *v, size_t len,
                 char *out, size_t cap, size_t *pos, char *err, size_t errlen)
{
    const char *sp = memchr(v, ' ', len);
    size_t p = *pos;
    size_t tlen = len; /* end of the time part */
    size_t i;

    if (is_text(v, len, "infinity") || is_text(v, len, "-infinity")) {
        snprintf(err, errlen, "column [%s] is %.*s: no ISO 8601 form", name,
                 (int)len, v);
        return FB_PG_RENDER_EVALUE;
    }
    if (len >= 3 && memcmp(v + len - 3, " BC", 3) == 0) {
        snprintf(err, errlen, "column [%s] is a BC date: no ISO 8601 form",
                 name);
        return FB_PG_RENDER_EVALUE;
    }
    if (sp == NULL) {
        snprintf(err, errlen, "column [%s] is not an ISO timestamp (%.*s)",
                 name, len > 40 ? 40 : (int)len, v);
        return FB_PG_RENDER_EVALUE;
    }
    if (tz) {
        /* The offset starts at the last sign after the time. */
        for (i = len; i > (size_t)(sp - v); i--) {
            if (v[i - 1] == '+' || v[i - 1] == '-') {
                tlen = i - 1;
                break;
            }
        }
    }
    /* quotes, 'T' in place of the space, "Z" or ":00" */
    if (cap - p < tlen + 8)
        return FB_PG_RENDER_EFULL;
    out[p++] = '"';
    for (i = 0; i < tlen; i++)
        out[p++] = v[i] == ' ' && v + i == sp ? 'T' : v[i];
    if (!tz || is_text(v + tlen, len - tlen, "+00") || tlen == len) {
        out[p++] = 'Z';
    } else {
        memcpy(out + p, v + tlen, len - tlen);
        p += len - tlen;
        if (len - tlen == 3) { /* "+05" -> "+05:00" */
            out[p++] = ':';
            out[p++] = '0';
            out[p++] = '0';
        }
    }
    out[p++] = '"';
    *pos = p;
    return FB_PG_RENDER_OK;
}

/* JSON text from json/jsonb output, without whitespace outside strings. */
static int
render_json(const char *v, size_t len, char *out, size_t cap, size_t *pos)
{
    size_t p = *pos;
    bool in_str = false;
    size_t i;

    for (i = 0; i < len; i++) {
        char c = v[i];

        if (!in_str && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
            continue;
        if (p >= cap)
            return FB_PG_RENDER_EFULL;
        out[p++] = c;
        if (in_str && c == '\\' && i + 1 < len) {
            if (p >= cap)
                return FB_PG_RENDER_EFULL;
            out[p++] = v[++i];
        } else if (c == '"') {
            in_str = !in_str;
        }
    }
    *pos = p;
    return FB_PG_RENDER_OK;
}

static int
render_scalar(enum fb_pg_kind kind, const char *name, const char *v, size_t len,
              char *out, size_t cap, size_t *pos, char *err, size_t errlen)
{
    int rc;

    switch (kind) {
    case FB_PG_KIND_FLOAT:
    case FB_PG_KIND_NUMERIC:
        rc = check_finite(name, v, len, err, errlen);
        if (rc != FB_PG_RENDER_OK)
            return rc;
        /* The finite forms are valid JSON numbers. */
        return fb_json_raw(out, cap, pos, v, len) == 0 ? FB_PG_RENDER_OK
                                                       : FB_PG_RENDER_EFULL;
    case FB_PG_KIND_INT:
        return fb_json_raw(out, cap, pos, v, len) == 0 ? FB_PG_RENDER_OK
                                                       : FB_PG_RENDER_EFULL;
    case FB_PG_KIND_BOOL:
        if (is_text(v, len, "t"))
            return fb_json_raw(out, cap, pos, "true", 4) == 0
                       ? FB_PG_RENDER_OK
                       : FB_PG_RENDER_EFULL;
        if (is_text(v, len, "f"))
            return fb_json_raw(out, cap, pos, "false", 5) == 0
                       ? FB_PG_RENDER_OK
                       : FB_PG_RENDER_EFULL;
        snprintf(err, errlen, "column [%s] is not a boolean (%.*s)", name,
                 len > 40 ? 40 : (int)len, v);
        return FB_PG_RENDER_EVALUE;
    case FB_PG_KIND_TIMESTAMP:
    case FB_PG_KIND_TIMESTAMPTZ:
        return render_timestamp(kind == FB_PG_KIND_TIMESTAMPTZ, name, v, len,
                                out, cap, pos, err, errlen);
    case FB_PG_KIND_JSON:
        return render_json(v, len, out, cap, pos);
    case FB_PG_KIND_STRING:
    default:
        return fb_json_escape(out, cap, pos, v, len) == 0 ? FB_PG_RENDER_OK
                                                          : FB_PG_RENDER_EFULL;
    }
}

/*
 * One level of an array literal "{a,"b c",NULL,{...}}" starting at
 * v[*i] == '{', appended as a JSON array.
 */
static int
render_array_level(enum fb_pg_kind kind, const char *name, const char *v,
                   size_t len, size_t *i, int depth, char *out, size_t cap,
                   size_t *pos, char *scratch, size_t scratch_cap, char *err,
                   size_t errlen)
{
    int rc;

    if (depth > FB_PG_MAXDIM || *i >= len || v[*i] != '{')
        goto bad;
    (*i)++;
    if (fb_json_raw(out, cap, pos, "[", 1) != 0)
        return FB_PG_RENDER_EFULL;
    if (*i < len && v[*i] == '}') {
        (*i)++;
        return fb_json_raw(out, cap, pos, "]", 1) == 0 ? FB_PG_RENDER_OK
                                                       : FB_PG_RENDER_EFULL;
    }
    for (;;) {
        if (*i >= len)
            goto bad;
        if (v[*i] == '{') {
            rc = render_array_level(kind, name, v, len, i, depth + 1, out, cap,
                                    pos, scratch, scratch_cap, err, errlen);
            if (rc != FB_PG_RENDER_OK)
                return rc;
        } else if (v[*i] == '"') {
            size_t n = 0;

            (*i)++;
            while (*i < len && v[*i] != '"') {
                if (v[*i] == '\\')
                    (*i)++;
                if (*i >= len)
                    goto bad;
                if (n >= scratch_cap)
                    return FB_PG_RENDER_EFULL;
                scratch[n++] = v[(*i)++];
            }
            if (*i >= len)
                goto bad;
            (*i)++; /* closing quote */
            rc = render_scalar(kind, name, scratch, n, out, cap, pos, err,
                               errlen);
            if (rc != FB_PG_RENDER_OK)
                return rc;
        } else {
            size_t start = *i;

            while (*i < len && v[*i] != ',' && v[*i] != '}')
                (*i)++;
            if (*i - start == 4 && strncasecmp(v + start, "NULL", 4) == 0)
                rc = fb_json_raw(out, cap, pos, "null", 4) == 0
                         ? FB_PG_RENDER_OK
                         : FB_PG_RENDER_EFULL;
            else
                rc = render_scalar(kind, name, v + start, *i - start, out, cap,
                                   pos, err, errlen);
            if (rc != FB_PG_RENDER_OK)
                return rc;
        }
        if (*i >= len)
            goto bad;
        if (v[*i] == '}') {
            (*i)++;
            return fb_json_raw(out, cap, pos, "]", 1) == 0 ? FB_PG_RENDER_OK
                                                           : FB_PG_RENDER_EFULL;
        }
        if (v[*i] != ',')
            goto bad;
        (*i)++;
        if (fb_json_raw(out, cap, pos, ",", 1) != 0)
            return FB_PG_RENDER_EFULL;
    }
bad:
    snprintf(err, errlen, "column [%s] is not an array literal (%.*s)", name,
             len > 40 ? 40 : (int)len, v);
    return FB_PG_RENDER_EVALUE;
}

int
fb_pg_render_value(const struct fb_pg_coltype *t, const char *name,
                   const char *v, size_t len, char *out, size_t cap,
                   size_t *pos, char *scratch, size_t scratch_cap, char *err,
                   size_t errlen)
{
    size_t p = *pos;
    size_t i = 0;
    int rc;

    if (!t->array)
        return render_scalar(t->kind, name, v, len, out, cap, pos, err, errlen);
    /* Bounds other than 1 come first: "[0:1]={1,2}"; JSON keeps only the
     * elements. */
    if (len > 0 && v[0] == '[') {
        const char *eq = memchr(v, '=', len);

        if (eq == NULL) {
            snprintf(err, errlen, "column [%s] is not an array literal", name);
            return FB_PG_RENDER_EVALUE;
        }
        i = (size_t)(eq - v) + 1;
    }
    rc = render_array_level(t->kind, name, v, len, &i, 1, out, cap, &p, scratch,
                            scratch_cap, err, errlen);
    if (rc == FB_PG_RENDER_OK && i != len) {
        snprintf(err, errlen, "column [%s] is not an array literal", name);
        rc = FB_PG_RENDER_EVALUE;
    }
    if (rc == FB_PG_RENDER_OK)
        *pos = p;
    return rc;
}

size_t
fb_pg_render_key(const char *name, char *out, size_t cap)
{
    size_t pos = 0;

    if (fb_json_escape(out, cap, &pos, name, strlen(name)) != 0 ||
        fb_json_raw(out, cap, &pos, ":", 1) != 0)
        return 0;
    return pos;
}

int
fb_pg_render_row(const struct fb_pg_render_col *cols, int ncols,
                 const char *const *vals, const int *lens, bool null_as_null,
                 char *out, size_t cap, size_t *len, char *scratch,
                 size_t scratch_cap, char *err, size_t errlen)
{
    size_t pos = 0;
    bool first = true;
    int result = FB_PG_RENDER_OK;
    char later[1]; /* reasons after the first are not kept */
    int col;
    int rc;

    if (fb_json_raw(out, cap, &pos, "{", 1) != 0)
        goto full;
    for (col = 0; col < ncols; col++) {
        const char *name = cols[col].name;

        if (lens[col] < 0 && !null_as_null)
            continue;
        if (!first && fb_json_raw(out, cap, &pos, ",", 1) != 0)
            goto full;
        first = false;
        if (fb_json_raw(out, cap, &pos, cols[col].key, cols[col].key_len) != 0)
            goto full;
        if (lens[col] < 0) {
            if (fb_json_raw(out, cap, &pos, "null", 4) != 0)
                goto full;
            continue;
        }
        rc = fb_pg_render_value(
            &cols[col].type, name, vals[col], (size_t)lens[col], out, cap, &pos,
            scratch, scratch_cap, result == FB_PG_RENDER_OK ? err : later,
            result == FB_PG_RENDER_OK ? errlen : 1);
        if (rc == FB_PG_RENDER_EFULL)
            goto full;
        if (rc == FB_PG_RENDER_EVALUE) {
            /* Keep the first reason; show the value as text. */
            result = FB_PG_RENDER_EVALUE;
            if (fb_json_escape(out, cap, &pos, vals[col], (size_t)lens[col]) !=
                0)
                goto full;
        }
    }
    if (fb_json_raw(out, cap, &pos, "}", 1) != 0)
        goto full;
    *len = pos;
    return result;
full:
    snprintf(err, errlen, "document is more than %zu bytes", cap);
    *len = pos;
    return FB_PG_RENDER_EFULL;
}

/* h *= 2^88 + 0x13b (mod 2^128), in two 64-bit halves. */
static void
idhash_mul(struct fb_pg_idhash *h)
{
    const uint64_t c = 0x13b;
    uint64_t lo_lo = (h->lo & 0xffffffffu) * c;
    uint64_t lo_hi = (h->lo >> 32) * c;
    uint64_t low = lo_lo + (lo_hi << 32);
    uint64_t carry = low < lo_lo ? 1 : 0;
    uint64_t high = (lo_hi >> 32) + carry;

    h->hi = h->hi * c + high + (h->lo << 24);
    h->lo = low;
}

void
fb_pg_render_idhash_init(struct fb_pg_idhash *h)
{
    h->hi = UINT64_C(0x6c62272e07bb0142);
    h->lo = UINT64_C(0x62b821756295c58d);
}

void
fb_pg_render_idhash_bytes(struct fb_pg_idhash *h, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        h->lo ^= (unsigned char)s[i];
        idhash_mul(h);
    }
}

void
fb_pg_render_idhash_value(struct fb_pg_idhash *h, const char *v, int len)
{
    char num[24];
    int n;

    if (len < 0) {
        fb_pg_render_idhash_bytes(h, "N,", 2);
        return;
    }
    n = snprintf(num, sizeof num, "%d:", len);
    fb_pg_render_idhash_bytes(h, num, (size_t)n);
    fb_pg_render_idhash_bytes(h, v, (size_t)len);
    fb_pg_render_idhash_bytes(h, ",", 1);
}

void
fb_pg_render_idhash_hex(const struct fb_pg_idhash *h, char out[33])
{
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h->hi,
             (unsigned long long)h->lo);
}
