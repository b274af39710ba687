/*
 * jsonout.c
 *    Bounded JSON string writing.
 */
#include "forkbulk/jsonout.h"

#include <string.h>

int
fb_json_raw(char *out, size_t cap, size_t *pos, const char *s, size_t len)
{
    if (len > cap - *pos)
        return -1;
    memcpy(out + *pos, s, len);
    *pos += len;
    return 0;
}

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
        } else {
            if (cap - p < 1)
                return -1;
            out[p++] = (char)c;
        }
    }
    if (cap - p < 1)
        return -1;
    out[p++] = '"';
    *pos = p;
    return 0;
}
