/*
 * pg_render.c
 *    PostgreSQL text values to JSON (see pg_render.h for the mapping).
 *
 * Everything writes into caller-given buffers with explicit capacities;
 * a failed append leaves *pos where it was, so the caller can tell
 * "too large" from "bad value" and still report what it has.
 *
 * Nested values arrive as the literals array_out, record_out and
 * range_out print: elements, attributes and bounds quoted when they must
 * be, with backslashes (and, in records and ranges, doubled quotes)
 * inside.  Each is unescaped into the scratch buffer, one at a time, and
 * rendered by its own type with the rest of the scratch for what it
 * holds in turn, so nesting costs no allocation.  The scalar kinds, the
 * hot path of a flow table, render straight from the row's text.
 */
#include "forkbulk/pg_render.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "forkbulk/jsonout.h"

/* Arrays have at most 6 dimensions in PostgreSQL (MAXDIM). */
#define FB_PG_MAXDIM 6

/* ±infinity under infinity_as_null: nothing written; null where a value
 * must be, an unbounded side in a range. */
#define R_INFINITE 2

/* One value being rendered: where it goes, and whose it is. */
struct render {
    const struct fb_pg_render_opts *opts;
    const char *name; /* the column, for messages */
    char *out;
    size_t cap;
    size_t pos;
    char *err;
    size_t errlen;
};

/* An element, attribute or bound of a nested value, unescaped. */
struct item {
    const char *v;
    size_t len;
    bool quoted; /* "" is an empty text; nothing unquoted is NULL */
};

static int render(struct render *r, const struct fb_pg_type *t, const char *v,
                  size_t len, char *scratch, size_t scratch_cap);

static int
put(struct render *r, const char *s, size_t len)
{
    return fb_json_raw(r->out, r->cap, &r->pos, s, len) == 0
               ? FB_PG_RENDER_OK
               : FB_PG_RENDER_EFULL;
}

static int
put_string(struct render *r, const char *s, size_t len)
{
    return fb_json_escape(r->out, r->cap, &r->pos, s, len) == 0
               ? FB_PG_RENDER_OK
               : FB_PG_RENDER_EFULL;
}

/* "column [c] is not <what> (<the first 40 bytes>)" */
static int
bad(struct render *r, const char *what, const char *v, size_t len)
{
    snprintf(r->err, r->errlen, "column [%s] is not %s (%.*s)", r->name, what,
             len > 40 ? 40 : (int)len, v);
    return FB_PG_RENDER_EVALUE;
}

static bool
is_text(const char *v, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(v, s, len) == 0;
}

/* NaN and the infinities of float and numeric output. */
static int
check_finite(struct render *r, const char *v, size_t len)
{
    static const char *const nonfinite[] = {"NaN", "Infinity", "-Infinity"};
    size_t i;

    for (i = 0; i < sizeof nonfinite / sizeof nonfinite[0]; i++) {
        const char *s = nonfinite[i];

        if (is_text(v, len, s)) {
            snprintf(r->err, r->errlen, "column [%s] is %s: JSON has no %s",
                     r->name, s, s[0] == '-' ? s + 1 : s);
            return FB_PG_RENDER_EVALUE;
        }
    }
    return FB_PG_RENDER_OK;
}

/* Dates and timestamps without an ISO 8601 form: ±infinity (R_INFINITE
 * under infinity_as_null) and BC. */
static int
check_datetime(struct render *r, const char *v, size_t len)
{
    if (is_text(v, len, "infinity") || is_text(v, len, "-infinity")) {
        if (r->opts->infinity_as_null)
            return R_INFINITE;
        snprintf(r->err, r->errlen,
                 "column [%s] is %.*s: no ISO 8601 form (--pg-infinity null "
                 "sends null)",
                 r->name, (int)len, v);
        return FB_PG_RENDER_EVALUE;
    }
    if (len >= 3 && memcmp(v + len - 3, " BC", 3) == 0) {
        snprintf(r->err, r->errlen,
                 "column [%s] is a BC date: no ISO 8601 form", r->name);
        return FB_PG_RENDER_EVALUE;
    }
    return FB_PG_RENDER_OK;
}

/* "2026-11-27 03:00:00.5" (+ "+00" or another offset for timestamptz)
 * -> "2026-11-27T03:00:00.5Z" */
static int
render_timestamp(struct render *r, bool tz, const char *v, size_t len)
{
    const char *sp = memchr(v, ' ', len);
    char *out = r->out;
    size_t p = r->pos;
    size_t tlen = len; /* end of the time part */
    size_t i;

    if (sp == NULL)
        return bad(r, "an ISO timestamp", v, len);
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
    if (r->cap - p < tlen + 8)
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
    r->pos = p;
    return FB_PG_RENDER_OK;
}

/* JSON text from json/jsonb output, without whitespace outside strings. */
static int
render_json(struct render *r, const char *v, size_t len)
{
    char *out = r->out;
    size_t p = r->pos;
    bool in_str = false;
    size_t i;

    for (i = 0; i < len; i++) {
        char c = v[i];

        if (!in_str && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
            continue;
        if (p >= r->cap)
            return FB_PG_RENDER_EFULL;
        out[p++] = c;
        if (in_str && c == '\\' && i + 1 < len) {
            if (p >= r->cap)
                return FB_PG_RENDER_EFULL;
            out[p++] = v[++i];
        } else if (c == '"') {
            in_str = !in_str;
        }
    }
    r->pos = p;
    return FB_PG_RENDER_OK;
}

/* A hex digit of bytea_output=hex (lowercase), or -1. */
static int
hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* bytea_output=hex text "\x0aff" -> its bytes in base64, as a string
 * (what Elasticsearch's binary field takes). */
static int
render_bytea(struct render *r, const char *v, size_t len)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = len >= 2 ? (len - 2) / 2 : 0;
    size_t p = r->pos;
    size_t i;

    if (len < 2 || v[0] != '\\' || v[1] != 'x' || len % 2 != 0)
        return bad(r, "bytea hex text", v, len);
    if (r->cap - p < 4 * ((n + 2) / 3) + 2)
        return FB_PG_RENDER_EFULL;
    r->out[p++] = '"';
    for (i = 0; i < n; i += 3) {
        size_t m = n - i < 3 ? n - i : 3;
        unsigned long w = 0;
        size_t k;

        for (k = 0; k < 3; k++) {
            int hi = k < m ? hex_digit(v[2 + 2 * (i + k)]) : 0;
            int lo = k < m ? hex_digit(v[3 + 2 * (i + k)]) : 0;

            if (hi < 0 || lo < 0)
                return bad(r, "bytea hex text", v, len);
            w = w << 8 | (unsigned long)(hi << 4 | lo);
        }
        r->out[p++] = b64[w >> 18 & 63];
        r->out[p++] = b64[w >> 12 & 63];
        r->out[p++] = m > 1 ? b64[w >> 6 & 63] : '=';
        r->out[p++] = m > 2 ? b64[w & 63] : '=';
    }
    r->out[p++] = '"';
    r->pos = p;
    return FB_PG_RENDER_OK;
}

static int
render_bool(struct render *r, const char *v, size_t len)
{
    if (is_text(v, len, "t"))
        return put(r, "true", 4);
    if (is_text(v, len, "f"))
        return put(r, "false", 5);
    return bad(r, "a boolean", v, len);
}

/*
 * The item at v[*i..len), up to an unquoted stop or stop2 byte, unescaped
 * into scratch: a backslash takes the next byte as it is, a double quote
 * opens or closes a quoted part, and "" inside one is one quote.  That
 * reads what array_out, record_out and range_out write.  0, -1 for text
 * that ends inside quotes, -2 when scratch is too small.
 */
static int
scan_item(const char *v, size_t len, size_t *i, char stop, char stop2,
          char *scratch, size_t scratch_cap, struct item *it)
{
    size_t p = *i;
    size_t n = 0;
    bool inq = false;

    it->quoted = false;
    while (p < len && (inq || (v[p] != stop && v[p] != stop2))) {
        char c = v[p++];

        if (c == '\\') {
            if (p >= len)
                return -1;
            c = v[p++];
        } else if (c == '"') {
            it->quoted = true;
            if (!inq || p >= len || v[p] != '"') {
                inq = !inq;
                continue;
            }
            p++; /* "" inside quotes */
        }
        if (n >= scratch_cap)
            return -2;
        scratch[n++] = c;
    }
    if (inq)
        return -1;
    it->v = scratch;
    it->len = n;
    *i = p;
    return 0;
}

/* A value where JSON needs one (an array element): no value is null. */
static int
render_slot(struct render *r, const struct fb_pg_type *t, const char *v,
            size_t len, char *scratch, size_t scratch_cap)
{
    int rc = render(r, t, v, len, scratch, scratch_cap);

    if (rc == R_INFINITE || rc == FB_PG_RENDER_ABSENT)
        return put(r, "null", 4);
    return rc;
}

/* One element of an array level at v[*i]: a sub-array, NULL or a value. */
static int render_element(struct render *r, const struct fb_pg_type *t,
                          const char *v, size_t len, size_t *i, int depth,
                          char *scratch, size_t scratch_cap);

/* One level of an array literal "{a,"b c",NULL,{...}}" starting at
 * v[*i] == '{', as a JSON array. */
static int
render_array_level(struct render *r, const struct fb_pg_type *t, const char *v,
                   size_t len, size_t *i, int depth, char *scratch,
                   size_t scratch_cap)
{
    int rc;

    if (depth > FB_PG_MAXDIM || *i >= len || v[*i] != '{')
        return bad(r, "an array literal", v, len);
    (*i)++;
    if (put(r, "[", 1) != FB_PG_RENDER_OK)
        return FB_PG_RENDER_EFULL;
    if (*i < len && v[*i] == '}') {
        (*i)++;
        return put(r, "]", 1);
    }
    for (;;) {
        rc = render_element(r, t, v, len, i, depth, scratch, scratch_cap);
        if (rc != FB_PG_RENDER_OK)
            return rc;
        if (*i < len && v[*i] == '}') {
            (*i)++;
            return put(r, "]", 1);
        }
        if (*i >= len || v[*i] != t->delim)
            return bad(r, "an array literal", v, len);
        (*i)++;
        if (put(r, ",", 1) != FB_PG_RENDER_OK)
            return FB_PG_RENDER_EFULL;
    }
}

static int
render_element(struct render *r, const struct fb_pg_type *t, const char *v,
               size_t len, size_t *i, int depth, char *scratch,
               size_t scratch_cap)
{
    struct item it;
    int rc;

    if (*i < len && v[*i] == '{')
        return render_array_level(r, t, v, len, i, depth + 1, scratch,
                                  scratch_cap);
    rc = scan_item(v, len, i, t->delim, '}', scratch, scratch_cap, &it);
    if (rc != 0)
        return rc == -2 ? FB_PG_RENDER_EFULL
                        : bad(r, "an array literal", v, len);
    if (!it.quoted && it.len == 4 && strncasecmp(it.v, "NULL", 4) == 0)
        return put(r, "null", 4);
    return render_slot(r, t->elem, it.v, it.len, scratch + it.len,
                       scratch_cap - it.len);
}

/* An array: bounds other than 1 come first ("[0:1]={1,2}"); JSON keeps
 * only the elements. */
static int
render_array(struct render *r, const struct fb_pg_type *t, const char *v,
             size_t len, char *scratch, size_t scratch_cap)
{
    size_t i = 0;
    int rc;

    if (len > 0 && v[0] == '[') {
        const char *eq = memchr(v, '=', len);

        if (eq == NULL)
            return bad(r, "an array literal", v, len);
        i = (size_t)(eq - v) + 1;
    }
    rc = render_array_level(r, t, v, len, &i, 1, scratch, scratch_cap);
    if (rc == FB_PG_RENDER_OK && i != len)
        rc = bad(r, "an array literal", v, len);
    return rc;
}

/*
 * ,"key":value of one field (a column, an attribute), after the fields
 * already written (*first: none yet).  len < 0 is NULL.  A NULL or absent
 * value is left out, or null under null_as_null; ±infinity under
 * infinity_as_null is null.  as_text (a column): a bad value is written
 * as its text in a string, and EVALUE still returned.
 */
static int
put_field(struct render *r, const struct fb_pg_field *f, const char *v, int len,
          bool as_text, bool *first, char *scratch, size_t scratch_cap)
{
    size_t mark = r->pos;
    size_t value;
    int rc;

    if (len < 0 && !r->opts->null_as_null)
        return FB_PG_RENDER_OK;
    if ((!*first && put(r, ",", 1) != FB_PG_RENDER_OK) ||
        put(r, f->key, f->key_len) != FB_PG_RENDER_OK)
        return FB_PG_RENDER_EFULL;
    value = r->pos;
    rc = len < 0 ? FB_PG_RENDER_ABSENT
                 : render(r, f->type, v, (size_t)len, scratch, scratch_cap);
    if (rc == FB_PG_RENDER_ABSENT && !r->opts->null_as_null) {
        r->pos = mark;
        return FB_PG_RENDER_OK;
    }
    if (rc == FB_PG_RENDER_ABSENT || rc == R_INFINITE)
        rc = put(r, "null", 4);
    if (rc == FB_PG_RENDER_EVALUE && as_text) {
        r->pos = value;
        if (put_string(r, v, (size_t)len) != FB_PG_RENDER_OK)
            return FB_PG_RENDER_EFULL;
    }
    if (rc == FB_PG_RENDER_OK || rc == FB_PG_RENDER_EVALUE)
        *first = false;
    return rc;
}

/* A composite's record literal "(1,"a b",,{x})" as a JSON object of its
 * attributes; an empty unquoted field is NULL. */
static int
render_record(struct render *r, const struct fb_pg_type *t, const char *v,
              size_t len, char *scratch, size_t scratch_cap)
{
    size_t i = 1;
    bool first = true;
    int f;
    int rc;

    if (len < 2 || v[0] != '(' || v[len - 1] != ')')
        return bad(r, "a record literal", v, len);
    if (put(r, "{", 1) != FB_PG_RENDER_OK)
        return FB_PG_RENDER_EFULL;
    for (f = 0; f < t->nfields; f++) {
        struct item it;

        if (f > 0 && (i >= len || v[i++] != ','))
            return bad(r, "a record literal", v, len);
        rc = scan_item(v, len, &i, ',', ')', scratch, scratch_cap, &it);
        if (rc != 0)
            return rc == -2 ? FB_PG_RENDER_EFULL
                            : bad(r, "a record literal", v, len);
        rc = put_field(r, &t->fields[f], it.v,
                       !it.quoted && it.len == 0 ? -1 : (int)it.len, false,
                       &first, scratch + it.len, scratch_cap - it.len);
        if (rc != FB_PG_RENDER_OK)
            return rc;
    }
    if (i != len - 1)
        return bad(r, "a record literal", v, len);
    return put(r, "}", 1);
}

/* One bound of a range as "key":value (none: unbounded, left out; an
 * infinity under infinity_as_null is unbounded too). */
static int
put_bound(struct render *r, const struct fb_pg_type *sub, const char *key,
          const struct item *it, bool *first, char *scratch, size_t scratch_cap)
{
    size_t mark = r->pos;
    int rc;

    if (!it->quoted && it->len == 0)
        return FB_PG_RENDER_OK;
    if ((!*first && put(r, ",", 1) != FB_PG_RENDER_OK) ||
        put(r, key, strlen(key)) != FB_PG_RENDER_OK)
        return FB_PG_RENDER_EFULL;
    rc = render(r, sub, it->v, it->len, scratch, scratch_cap);
    if (rc == R_INFINITE) {
        r->pos = mark;
        return FB_PG_RENDER_OK;
    }
    if (rc == FB_PG_RENDER_OK)
        *first = false;
    return rc;
}
/* A range literal at v[*i] ("[1,5)", "(,x]", "empty") as {"gte": 1,
 * "lt": 5}; an empty range is ABSENT. */
static int
render_range_at(struct render *r, const struct fb_pg_type *t, const char *v,
                size_t len, size_t *i, char *scratch, size_t scratch_cap)
{
    struct item it;
    bool first = true;
    bool inclusive;
    int rc;

    if (len - *i >= 5 && memcmp(v + *i, "empty", 5) == 0) {
        *i += 5;
        return FB_PG_RENDER_ABSENT;
    }
    if (*i >= len || (v[*i] != '[' && v[*i] != '('))
        return bad(r, "a range literal", v, len);
    inclusive = v[(*i)++] == '[';
    if (put(r, "{", 1) != FB_PG_RENDER_OK)
        return FB_PG_RENDER_EFULL;
    for (int side = 0; side < 2; side++) {
        rc = scan_item(v, len, i, side == 0 ? ',' : ']', side == 0 ? ',' : ')',
                       scratch, scratch_cap, &it);
        if (rc != 0 || *i >= len)
            return rc == -2 ? FB_PG_RENDER_EFULL
                            : bad(r, "a range literal", v, len);
        if (side == 1)
            inclusive = v[*i] == ']';
        (*i)++; /* the comma, or the closing bracket */
        rc = put_bound(r, t->elem,
                       side == 0 ? (inclusive ? "\"gte\":" : "\"gt\":")
                                 : (inclusive ? "\"lte\":" : "\"lt\":"),
                       &it, &first, scratch + it.len, scratch_cap - it.len);
        if (rc != FB_PG_RENDER_OK)
            return rc;
    }
    return put(r, "}", 1);
}

/* A multirange "{[1,3),[5,7)}" as a JSON array of its ranges. */
static int
render_multirange(struct render *r, const struct fb_pg_type *t, const char *v,
                  size_t len, char *scratch, size_t scratch_cap)
{
    size_t i = 1;
    int rc;

    if (len < 2 || v[0] != '{' || v[len - 1] != '}')
        return bad(r, "a multirange literal", v, len);
    if (put(r, "[", 1) != FB_PG_RENDER_OK)
        return FB_PG_RENDER_EFULL;
    for (bool first = true; i < len - 1; first = false) {
        if (!first && v[i++] != ',')
            return bad(r, "a multirange literal", v, len);
        if (!first && put(r, ",", 1) != FB_PG_RENDER_OK)
            return FB_PG_RENDER_EFULL;
        rc = render_range_at(r, t->elem, v, len - 1, &i, scratch, scratch_cap);
        if (rc == FB_PG_RENDER_ABSENT)
            rc = put(r, "null", 4);
        if (rc != FB_PG_RENDER_OK)
            return rc;
    }
    return put(r, "]", 1);
}

/* The value v[0..len) of type t, after r->pos. */
static int
render(struct render *r, const struct fb_pg_type *t, const char *v, size_t len,
       char *scratch, size_t scratch_cap)
{
    size_t i = 0;
    int rc;

    switch (t->kind) {
    case FB_PG_KIND_INT:
        return put(r, v, len);
    case FB_PG_KIND_FLOAT:
    case FB_PG_KIND_NUMERIC:
        /* The finite forms are valid JSON numbers. */
        rc = check_finite(r, v, len);
        return rc != FB_PG_RENDER_OK ? rc : put(r, v, len);
    case FB_PG_KIND_BOOL:
        return render_bool(r, v, len);
    case FB_PG_KIND_TIMESTAMP:
    case FB_PG_KIND_TIMESTAMPTZ:
    case FB_PG_KIND_DATE:
        rc = check_datetime(r, v, len);
        if (rc != FB_PG_RENDER_OK)
            return rc;
        return t->kind == FB_PG_KIND_DATE
                   ? put_string(r, v, len)
                   : render_timestamp(r, t->kind == FB_PG_KIND_TIMESTAMPTZ, v,
                                      len);
    case FB_PG_KIND_JSON:
        return render_json(r, v, len);
    case FB_PG_KIND_BYTEA:
        return render_bytea(r, v, len);
    case FB_PG_KIND_MONEY:
        snprintf(r->err, r->errlen,
                 "column [%s] holds money, whose text follows lc_monetary: "
                 "cast it to numeric in a --query",
                 r->name);
        return FB_PG_RENDER_EVALUE;
    case FB_PG_KIND_ARRAY:
        return render_array(r, t, v, len, scratch, scratch_cap);
    case FB_PG_KIND_COMPOSITE:
        return render_record(r, t, v, len, scratch, scratch_cap);
    case FB_PG_KIND_RANGE:
        rc = render_range_at(r, t, v, len, &i, scratch, scratch_cap);
        return rc >= 0 && i != len ? bad(r, "a range literal", v, len) : rc;
    case FB_PG_KIND_MULTIRANGE:
        return render_multirange(r, t, v, len, scratch, scratch_cap);
    case FB_PG_KIND_STRING:
    default:
        return put_string(r, v, len);
    }
}

int
fb_pg_render_value(const struct fb_pg_type *t,
                   const struct fb_pg_render_opts *opts, const char *name,
                   const char *v, size_t len, char *out, size_t cap,
                   size_t *pos, char *scratch, size_t scratch_cap, char *err,
                   size_t errlen)
{
    struct render r = {opts, name, out, cap, *pos, err, errlen};
    int rc = render(&r, t, v, len, scratch, scratch_cap);

    if (rc == R_INFINITE)
        rc = put(&r, "null", 4);
    if (rc == FB_PG_RENDER_OK)
        *pos = r.pos;
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
fb_pg_render_row(const struct fb_pg_field *cols, int ncols,
                 const char *const *vals, const int *lens,
                 const struct fb_pg_render_opts *opts, char *out, size_t cap,
                 size_t *len, char *scratch, size_t scratch_cap, char *err,
                 size_t errlen)
{
    struct render r = {opts, NULL, out, cap, 0, err, errlen};
    char later[1]; /* reasons after the first are not kept */
    bool first = true;
    int result = FB_PG_RENDER_OK;
    int col;
    int rc;

    if (put(&r, "{", 1) != FB_PG_RENDER_OK)
        goto full;
    for (col = 0; col < ncols; col++) {
        r.name = cols[col].name;
        rc = put_field(&r, &cols[col], vals[col], lens[col], true, &first,
                       scratch, scratch_cap);
        if (rc == FB_PG_RENDER_EFULL)
            goto full;
        if (rc == FB_PG_RENDER_EVALUE) {
            /* Keep the first reason. */
            result = FB_PG_RENDER_EVALUE;
            r.err = later;
            r.errlen = sizeof later;
        }
    }
    if (put(&r, "}", 1) != FB_PG_RENDER_OK)
        goto full;
    *len = r.pos;
    return result;
full:
    snprintf(err, errlen, "document is more than %zu bytes", cap);
    *len = r.pos;
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
