/*
 * pg_render.h
 *    PostgreSQL values (text format) to JSON, into bounded buffers.
 *
 * Pure functions: no libpq, no allocation, so every type can be tested
 * without a server.  The session that produced the text must have
 * TimeZone=UTC, DateStyle=ISO and client_encoding=UTF8 (pg_spec.h sets
 * them), so timestamps arrive as "2026-11-27 03:00:00.5+00" and strings
 * as valid UTF-8.
 *
 * Mapping (by type OID; unknown types render as their text in a string):
 *   int2/int4/int8/oid         number, as printed
 *   float4/float8              number, as printed; NaN/±Infinity: error
 *   numeric                    number, exactly as printed; NaN/±Inf: error
 *   bool                       true/false
 *   timestamp, timestamptz     "2026-11-27T03:00:00.5Z" (naive = UTC);
 *                              infinity and BC: error
 *   json, jsonb                embedded, insignificant whitespace removed
 *                              (a newline inside would break NDJSON)
 *   arrays of the above        JSON arrays, NULL elements as null,
 *                              multi-dimensional as nested arrays
 *   everything else (text, varchar, char, date, inet, cidr, uuid, ...)
 *                              a JSON string of the text
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
    FB_PG_KIND_JSON,
};

struct fb_pg_coltype {
    enum fb_pg_kind kind; /* of the value, or of the elements */
    bool array;
};

/* Return codes of the render functions. */
#define FB_PG_RENDER_OK 0
#define FB_PG_RENDER_EVALUE (-1) /* a value JSON cannot hold; err says why */
#define FB_PG_RENDER_EFULL (-2)  /* the output does not fit in cap */

/* The JSON mapping of a type OID (see above). */
void fb_pg_render_type(unsigned int oid, struct fb_pg_coltype *t);

/*
 * Appends the JSON form of the non-NULL value v[0..len) of column `name`
 * to out[*pos..cap).  scratch (scratch_cap bytes) holds one unescaped
 * array element at a time; an element longer than that is EFULL.  On
 * EVALUE err holds "column [name] is NaN: JSON has no NaN" (or similar)
 * and *pos is unchanged; on EFULL *pos is unchanged.
 */
int fb_pg_render_value(const struct fb_pg_coltype *t, const char *name,
                       const char *v, size_t len, char *out, size_t cap,
                       size_t *pos, char *scratch, size_t scratch_cap,
                       char *err, size_t errlen);

struct fb_pg_render_col {
    const char *name;
    const char *key; /* "name": as JSON, from fb_pg_render_key() */
    size_t key_len;
    struct fb_pg_coltype type;
};

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
 * null when null_as_null.
 * EVALUE: the first bad value's reason is in err, and out still holds the
 *   whole row with each bad value as its text in a JSON string (what the
 *   reject file shows).
 * EFULL: err is "document is more than <cap> bytes"; out holds the
 *   first *len bytes of the rendering (not valid JSON).
 */
int fb_pg_render_row(const struct fb_pg_render_col *cols, int ncols,
                     const char *const *vals, const int *lens,
                     bool null_as_null, char *out, size_t cap, size_t *len,
                     char *scratch, size_t scratch_cap, char *err,
                     size_t errlen);

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
