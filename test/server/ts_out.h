/*
 * ts_out.h
 *    A growable output buffer with a hard upper bound, used to build every
 *    response body of es-test-server.
 *
 * Writes past the bound are dropped and remembered (overflow), so callers
 * write freely and check once at the end.
 */
#ifndef TS_OUT_H
#define TS_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ts_out {
    char *buf;
    size_t len;
    size_t cap;
    size_t max;    /* never grows beyond this many bytes */
    bool overflow; /* a write did not fit (or malloc failed) */
};

void ts_out_init(struct ts_out *out, size_t max);
void ts_out_free(struct ts_out *out);

/* Hands the buffer to the caller (malloc'd) and resets out. */
char *ts_out_take(struct ts_out *out, size_t *len);

/*
 * Makes room for need more bytes, so that the caller may write them to
 * buf + len directly.  False (and overflow set) if they do not fit.
 */
bool ts_out_reserve(struct ts_out *out, size_t need);

void ts_out_put(struct ts_out *out, const char *data, size_t len);
void ts_out_str(struct ts_out *out, const char *str);
void ts_out_char(struct ts_out *out, char c);
void ts_out_u64(struct ts_out *out, uint64_t v);
void ts_out_i64(struct ts_out *out, int64_t v);
void ts_out_printf(struct ts_out *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes a JSON string literal (with quotes) of len bytes, escaped. */
void ts_out_json_str(struct ts_out *out, const char *s, size_t len);

/* The same, for a NUL-terminated string. */
void ts_out_json_cstr(struct ts_out *out, const char *s);

#endif
