/*
 * ts_out.c
 *    Bounded growable output buffer (see ts_out.h).
 */
#include "ts_out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ts_out_init(struct ts_out *out, size_t max)
{
    memset(out, 0, sizeof(*out));
    out->max = max;
}

void
ts_out_free(struct ts_out *out)
{
    free(out->buf);
    out->buf = NULL;
    out->len = 0;
    out->cap = 0;
}

char *
ts_out_take(struct ts_out *out, size_t *len)
{
    char *buf = out->buf;

    *len = out->len;
    out->buf = NULL;
    out->len = 0;
    out->cap = 0;
    return buf;
}

/* Makes room for need more bytes; false (and overflow) if it cannot. */
static bool
reserve(struct ts_out *out, size_t need)
{
    if (need <= out->cap - out->len && !out->overflow)
        return true;
    return ts_out_reserve(out, need);
}

bool
ts_out_reserve(struct ts_out *out, size_t need)
{
    size_t cap;
    char *nbuf = NULL;

    if (out->overflow)
        return false;
    if (need <= out->cap - out->len)
        return true;
    if (need > out->max - out->len) {
        out->overflow = true;
        return false;
    }
    cap = out->cap ? out->cap : 256;
    while (cap - out->len < need)
        cap = cap > out->max / 2 ? out->max : cap * 2;
    nbuf = realloc(out->buf, cap);
    if (nbuf == NULL) {
        out->overflow = true;
        return false;
    }
    out->buf = nbuf;
    out->cap = cap;
    return true;
}

void
ts_out_put(struct ts_out *out, const char *data, size_t len)
{
    if (len == 0 || !reserve(out, len))
        return;
    memcpy(out->buf + out->len, data, len);
    out->len += len;
}

void
ts_out_str(struct ts_out *out, const char *str)
{
    ts_out_put(out, str, strlen(str));
}

void
ts_out_char(struct ts_out *out, char c)
{
    if (!reserve(out, 1))
        return;
    out->buf[out->len++] = c;
}

void
ts_out_u64(struct ts_out *out, uint64_t v)
{
    char tmp[24];
    size_t n = sizeof(tmp);

    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    ts_out_put(out, tmp + n, sizeof(tmp) - n);
}

void
ts_out_i64(struct ts_out *out, int64_t v)
{
    if (v < 0) {
        ts_out_char(out, '-');
        ts_out_u64(out, (uint64_t)0 - (uint64_t)v);
        return;
    }
    ts_out_u64(out, (uint64_t)v);
}

void
ts_out_printf(struct ts_out *out, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(out, (size_t)n + 1))
        return;
    va_start(ap, fmt);
    vsnprintf(out->buf + out->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out->len += (size_t)n;
}

void
ts_out_json_str(struct ts_out *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    size_t run = 0;

    ts_out_char(out, '"');
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        ts_out_put(out, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            ts_out_put(out, "\\\"", 2);
            break;
        case '\\':
            ts_out_put(out, "\\\\", 2);
            break;
        case '\n':
            ts_out_put(out, "\\n", 2);
            break;
        case '\r':
            ts_out_put(out, "\\r", 2);
            break;
        case '\t':
            ts_out_put(out, "\\t", 2);
            break;
        default:
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            ts_out_put(out, esc, 6);
            break;
        }
    }
    ts_out_put(out, s + run, len - run);
    ts_out_char(out, '"');
}

void
ts_out_json_cstr(struct ts_out *out, const char *s)
{
    ts_out_json_str(out, s, strlen(s));
}
