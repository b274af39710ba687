/*
 * pg_render.h
 *    PostgreSQL values (text format) to JSON, into bounded buffers.
 *
 * Pure functions: no libpq, no allocation, so every type can be tested
 * without a server.  What a column's type renders as is decided once per
 * column, before its first value, as a struct fb_pg_type (pg_type.h
 * builds them from the catalog); each value then only follows it.  The
 * session that produced the text must run with FB_PG_SESSION_SETTINGS
 * (pg_spec.h): TimeZone=UTC, DateStyle=ISO, IntervalStyle=iso_8601,
 * bytea_output=hex and client_encoding=UTF8, so timestamps arrive as
 * "2026-11-27 03:00:00.5+00", bytea as "\xdead" and strings as valid
 * UTF-8.
 *
 * Mapping (README.md has the table by SQL type):
 *   INT                 number, as printed
 *   FLOAT, NUMERIC      number, as printed; NaN and ±Infinity: error
 *   BOOL                true/false
 *   TIMESTAMP(TZ)       "2026-11-27T03:00:00.5Z" (naive = UTC)
 *   DATE                "2026-11-27"
 *     the three: ±infinity is an error, or null with infinity_as_null;
 *     a BC date is an error (no ISO 8601 form)
 *   JSON                embedded, insignificant whitespace removed (a
 *                       newline inside would break NDJSON)
 *   BYTEA               base64 of the bytes, in a string
 *   MONEY               error: its text follows lc_monetary (a table's
 *                       money columns are read cast to numeric instead)
 *   ARRAY               a JSON array of the elements, NULL as null, any
 *                       number of dimensions as nested arrays; the bounds
 *                       of "[2:3]={...}" are dropped
 *   COMPOSITE           a JSON object of the attributes (NULL ones as
 *                       NULL columns are: omitted, or null)
 *   RANGE               {"gte"|"gt": lower, "lte"|"lt": upper}, an
 *                       unbounded side left out; an empty range has no
 *                       value (FB_PG_RENDER_ABSENT); an infinite bound
 *                       under infinity_as_null is an unbounded side
 *   MULTIRANGE          a JSON array of its ranges
 *   STRING              a JSON string of the text (text, enum, uuid,
 *                       inet, time, interval, bit, xml, tsvector, point...)
 */
#ifndef FORKBULK_PG_RENDER_H
#define FORKBULK_PG_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fb_pg_kind {
    FB_PG_KIND_STRING = 0,
    FB_PG_KIND_INT,
    FB_PG_KIND_FLOAT,
    FB_PG_KIND_NUMERIC,
    FB_PG_KIND_BOOL,
    FB_PG_KIND_TIMESTAMP,
    FB_PG_KIND_TIMESTAMPTZ,
    FB_PG_KIND_DATE,
    FB_PG_KIND_JSON,
    FB_PG_KIND_BYTEA,
    FB_PG_KIND_MONEY,
    FB_PG_KIND_ARRAY,
    FB_PG_KIND_COMPOSITE,
    FB_PG_KIND_RANGE,
    FB_PG_KIND_MULTIRANGE,
};

struct fb_pg_type;

/* A named member of a document: a column of a row, an attribute of a
 * composite.  key is "name": as JSON, from fb_pg_render_key(). */
struct fb_pg_field {
    const char *name;
    const char *key;
    size_t key_len;
    const struct fb_pg_type *type;
};

/* How the values of one type render.  Domains do not appear: a domain
 * is its base type. */
struct fb_pg_type {
    enum fb_pg_kind kind;
    char delim; /* ARRAY: between elements (typdelim: ',', ';' for box) */
    const struct fb_pg_type *elem; /* ARRAY: the element; RANGE: the
                                    * subtype; MULTIRANGE: the range */
    int nfields;                   /* COMPOSITE: its attributes */
    const struct fb_pg_field *fields;
};

/* The choices of --pg-null and --pg-infinity. */
struct fb_pg_render_opts {
    bool null_as_null;     /* NULL columns and attributes, and empty
                            * ranges, as null; else left out */
    bool infinity_as_null; /* ±infinity of a date or timestamp as null;
                            * else the value is an error */
};

/* Return codes of the render functions. */
#define FB_PG_RENDER_OK 0
#define FB_PG_RENDER_ABSENT                                                    \
    1                            /* no value (an empty range): nothing         \
                                  * written; a field is left out, or null      \
                                  * under null_as_null */
#define FB_PG_RENDER_EVALUE (-1) /* a value JSON cannot hold; err says why */
#define FB_PG_RENDER_EFULL (-2)  /* the output does not fit in cap */

/*
 * Appends the JSON form of the non-NULL value v[0..len) of type t, of
 * column `name`, to out[*pos..cap).  scratch (scratch_cap bytes) holds
 * the unescaped elements, attributes and bounds of nested values; one
 * longer than what is left of it is EFULL.  On EVALUE err holds "column
 * [name] is NaN: JSON has no NaN" (or similar); on anything but OK *pos
 * is unchanged.
 */
int fb_pg_render_value(const struct fb_pg_type *t,
                       const struct fb_pg_render_opts *opts, const char *name,
                       const char *v, size_t len, char *out, size_t cap,
                       size_t *pos, char *scratch, size_t scratch_cap,
                       char *err, size_t errlen);

/* The longest key fb_pg_render_key() writes for a name of n bytes. */
#define FB_PG_RENDER_KEY_MAX(n) (6 * (n) + 4)

/*
 * Writes the JSON object key of a column, "name": with its quoting, to
 * out (at least FB_PG_RENDER_KEY_MAX(strlen(name)) bytes); returns its
 * length.  Done once per column, not once per row.
 */
size_t fb_pg_render_key(const char *name, char *out, size_t cap);

/*
 * Renders one row as one JSON object {"col":value,...} in column order
 * into out[0..cap), length in *len.  lens[i] < 0 marks NULL: omitted, or
 * null when opts->null_as_null; so is a value without one (an empty
 * range).
 * EVALUE: the first bad value's reason is in err, and out still holds the
 *   whole row with each bad value as its text in a JSON string (what the
 *   reject file shows).
 * EFULL: err is "document is more than <cap> bytes"; out holds the
 *   first *len bytes of the rendering (not valid JSON).
 */
int fb_pg_render_row(const struct fb_pg_field *cols, int ncols,
                     const char *const *vals, const int *lens,
                     const struct fb_pg_render_opts *opts, char *out,
                     size_t cap, size_t *len, char *scratch, size_t scratch_cap,
                     char *err, size_t errlen);

/*
 * Document id from several columns (--id-columns, composite primary
 * keys): FNV-1a 128 (offset basis 6c62272e07bb014262b821756295c58d, prime
 * 2^88 + 0x13b) over, for each column in order, its text length in
 * decimal, ':', its text and ','; a NULL column contributes "N,".  The id
 * is the hash as 32 lowercase hex digits.  Lengths make the encoding
 * unambiguous (("a,b","c") and ("a","b,c") differ); 128 bits keep
 * accidental collisions negligible for billions of rows.
 */
struct fb_pg_idhash {
    uint64_t hi, lo;
};

void fb_pg_render_idhash_init(struct fb_pg_idhash *h);

void fb_pg_render_idhash_bytes(struct fb_pg_idhash *h, const char *s,
                               size_t len);

/* Adds one column value (len < 0: NULL) in the encoding above. */
void fb_pg_render_idhash_value(struct fb_pg_idhash *h, const char *v, int len);

/* Writes 32 hex digits and a NUL to out (33 bytes). */
void fb_pg_render_idhash_hex(const struct fb_pg_idhash *h, char out[33]);

#endif
