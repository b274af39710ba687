/*
 * file_csv.h
 *    RFC 4180 CSV records to JSON documents, without per-field allocation.
 *
 * A parser (struct fb_csv) is made once per worker.  It holds a field table
 * of max_fields entries and a scratch area of max_record_bytes for fields
 * whose "" escapes must be collapsed; both are allocated by fb_csv_new()
 * and never grow.  Fields without escapes point into the record itself.
 *
 * Syntax: fields are separated by ',' (or the delimiter given: ';', '|',
 * a tab); a field may be enclosed in '"', and inside quotes "" stands for
 * one '"' and the delimiter or newlines are data.  A
 * trailing "\n" and then "\r" of the record are ignored (CRLF or LF).
 * Errors (fb_csv_error(), fields numbered from 1):
 *   bare quote in unquoted field N
 *   unterminated quoted field N
 *   unexpected character after closing quote in field N
 *   more than M fields
 *   record longer than M bytes
 *
 * Header: the first record gives the field names, or a list given by the
 * user when the file has none (fb_csv_set_columns); an empty name or a
 * duplicate name is an error naming it.
 *
 * JSON typing rule (fb_csv_to_json), for one record under the header, as
 * one object {"name":value,...} in header order:
 *   - a quoted field is always a string: "007" stays "007", "" is "";
 *   - an unquoted field that matches the JSON number grammar exactly,
 *     -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, is a number, written
 *     as it is (so -0 and 1e5 are numbers, 007 and +1 and " 1" are not);
 *   - unquoted true and false (exactly, lowercase) are booleans;
 *   - an unquoted empty field is omitted, or null with empty_as_null;
 *   - anything else is a string (whitespace kept).
 * A record with a different number of fields than the header is an error
 * ("expected 5 fields, found 4"); so is an object that does not fit the
 * output buffer.
 */
#ifndef FORKBULK_FILE_CSV_H
#define FORKBULK_FILE_CSV_H

#include <stddef.h>

#define FB_CSV_DEFAULT_MAX_FIELDS 1024u
#define FB_CSV_DEFAULT_MAX_RECORD (1024u * 1024u)

struct fb_csv_opts {
    size_t max_fields;       /* 0: FB_CSV_DEFAULT_MAX_FIELDS */
    size_t max_record_bytes; /* 0: FB_CSV_DEFAULT_MAX_RECORD */
    int empty_as_null;       /* unquoted empty field: 1 null, 0 omitted */
    char delimiter;          /* field separator; 0: ',' */
};

/* One parsed field: quotes removed and "" collapsed.  Valid until the
 * next parse, and only while the record passed in is. */
struct fb_csv_field {
    const char *data;
    size_t len;
    int quoted;
};

struct fb_csv;

/* NULL on ENOMEM or bad options. */
struct fb_csv *fb_csv_new(const struct fb_csv_opts *opts);

/* NULL does nothing. */
void fb_csv_free(struct fb_csv *c);

/* Splits rec[0..len) into fields: 0, or -1 (see fb_csv_error()). */
int fb_csv_parse(struct fb_csv *c, const char *rec, size_t len);

/* Fields of the last successful parse. */
size_t fb_csv_nfields(const struct fb_csv *c);
const struct fb_csv_field *fb_csv_field(const struct fb_csv *c, size_t i);

/* Parses the header record and keeps its names (copied): 0, or -1. */
int fb_csv_set_header(struct fb_csv *c, const char *rec, size_t len);

/* The names of a file without a header row: "a,b,c" (comma-separated
 * whatever the delimiter is, quotes allowed).  0, or -1. */
int fb_csv_set_columns(struct fb_csv *c, const char *list);

/* Number of header names (0 before fb_csv_set_header()). */
size_t fb_csv_header_count(const struct fb_csv *c);

/* Header name i (not NUL-terminated), its length in *len. */
const char *fb_csv_header_name(const struct fb_csv *c, size_t i, size_t *len);

/*
 * Appends rec[0..len) as one JSON object to out[*pos..cap), advancing
 * *pos.  0, or -1 with *pos unchanged (see fb_csv_error()).
 */
int fb_csv_to_json(struct fb_csv *c, const char *rec, size_t len, char *out,
                   size_t cap, size_t *pos);

/* The last error message, "" if none. */
const char *fb_csv_error(const struct fb_csv *c);

#endif
