/*
 * ts_json.h
 *    A fast, allocation-free JSON scanner for the hot path of es-test-server:
 *    it validates one document (a bulk source line) the way Jackson would,
 *    and reports every field value with its dotted path so the caller can
 *    apply dynamic mapping.  Small request bodies (settings, aliases) use
 *    jansson instead; this exists because _bulk must run at hundreds of MB/s.
 */
#ifndef TS_JSON_H
#define TS_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum ts_json_kind {
    TS_JSON_STRING,
    TS_JSON_INT,
    TS_JSON_FLOAT,
    TS_JSON_TRUE,
    TS_JSON_FALSE,
    TS_JSON_NULL,
    TS_JSON_OBJECT,
    TS_JSON_ARRAY,
};

#define TS_JSON_PATH_MAX 1024
#define TS_JSON_DEPTH_MAX 64

/* One field value seen by ts_json_scan_doc(). */
struct ts_json_field {
    const char *path; /* dotted path of the field, decoded */
    size_t path_len;
    const char *key; /* last path segment (inside path) */
    size_t key_len;
    int depth; /* 1 for a top-level field */
    enum ts_json_kind kind;
    const char *val; /* raw token; strings without quotes, undecoded */
    size_t val_len;
    bool escaped; /* a string value containing backslash escapes */
    size_t pos;   /* offset of the value's first byte in the document */
};

/* A syntax error: position and Jackson's wording, without location. */
struct ts_json_err {
    size_t pos;
    char msg[200];
};

/*
 * Called for every object member value and every element of an array
 * member (arrays are flattened onto the member's path).  Objects and arrays
 * are reported before their contents.  Return 0 to go on; anything else
 * stops the scan, which then returns that value.
 */
struct ts_json_visitor {
    int (*field)(void *ud, const struct ts_json_field *field);
    void *ud;
};

/*
 * Scans the document at doc[0..len).  Returns 0 when it is one valid JSON
 * object (visitor may be NULL), -1 on a syntax error (err filled), -2 if it
 * is valid JSON but not an object, -3 if extra data follows the object, or
 * the visitor's non-zero result.
 */
int ts_json_scan_doc(const char *doc, size_t len,
                     const struct ts_json_visitor *visitor,
                     struct ts_json_err *err);

/*
 * Scans one JSON value starting at doc[*pos] (after skipping whitespace);
 * on success *pos is just past it and *kind tells what it was.  Returns 0 or
 * -1 with err filled.  Used for action and update lines.
 */
int ts_json_skip_value(const char *doc, size_t len, size_t *pos,
                       enum ts_json_kind *kind, struct ts_json_err *err);

/* Skips JSON whitespace from *pos. */
void ts_json_skip_ws(const char *doc, size_t len, size_t *pos);

/*
 * Decodes the JSON string body s[0..len) (no quotes) into out (at most cap
 * bytes).  Returns the decoded length, or (size_t)-1 if it does not fit.
 */
size_t ts_json_unescape(const char *s, size_t len, char *out, size_t cap);

/* The Jackson token name of a kind ("VALUE_STRING", "START_OBJECT", ...). */
const char *ts_json_token_name(enum ts_json_kind kind);

#endif
