/*
 * jsonout.c
 *    Bounded JSON string writing.
 */
#include "forkbulk/jsonout.h"

#include <stdint.h>
#include <string.h>

/*
 * Length of the valid UTF-8 sequence at s[0..len), or 0 if it is not one
 * (overlong forms, surrogates and code points past U+10FFFF are invalid).
 */
static size_t
utf8_sequence(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;

    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

bool
fb_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        size_t n;

        if (u[i] < 0x80) {
            i++;
            continue;
        }
        n = utf8_sequence(u + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/*
 * Bytes that JSON takes as they are: printable ASCII but '"' and '\\'.
 * Runs of them are copied whole, which is most of every document.
 */
static bool
plain_byte(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/*
 * Longer than the 80 lines we allow a function, on purpose: this is the
 * loop every byte of every rendered document goes through, and keeping
 * the run copy and the escapes in one function keeps it free of calls.
 */
int
fb_json_escape(char *out, size_t cap, size_t *pos, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t p = *pos;
    size_t i;

    if (p >= cap)
        return -1;
    out[p++] = '"';
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        size_t run = i;

        while (run < len && plain_byte((unsigned char)s[run]))
            run++;
        if (run > i) {
            if (cap - p < run - i)
                return -1;
            memcpy(out + p, s + i, run - i);
            p += run - i;
            i = run - 1;
            continue;
        }

        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        default:
            break;
        }
        if (esc != NULL) {
            if (cap - p < 2)
                return -1;
            out[p++] = esc[0];
            out[p++] = esc[1];
        } else if (c < 0x20) {
            if (cap - p < 6)
                return -1;
            out[p++] = '\\';
            out[p++] = 'u';
            out[p++] = '0';
            out[p++] = '0';
            out[p++] = hex[c >> 4];
            out[p++] = hex[c & 0xf];
        } else if (c >= 0x80) {
            size_t n = utf8_sequence((const unsigned char *)s + i, len - i);

            if (n == 0) {
                /* Not UTF-8 (a Latin-1 file, say): JSON cannot carry the
                 * byte, so it becomes U+FFFD. */
                if (cap - p < 6)
                    return -1;
                memcpy(out + p, "\\ufffd", 6);
                p += 6;
            } else {
                if (cap - p < n)
                    return -1;
                memcpy(out + p, s + i, n);
                p += n;
                i += n - 1;
            }
        }
    }
    if (cap - p < 1)
        return -1;
    out[p++] = '"';
    *pos = p;
    return 0;
}
