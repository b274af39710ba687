/*
 * jsonout.h
 *    Writing JSON text into bounded buffers, without building a tree.
 *
 * The hot path of a worker renders records straight into its batch buffer;
 * these helpers never allocate and never write past the capacity given.
 */
#ifndef FORKBULK_JSONOUT_H
#define FORKBULK_JSONOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/*
 * Appends s[0..len) as a JSON string literal (with the quotes) to
 * out[*pos..cap), advancing *pos.  Control characters are escaped as JSON
 * requires; valid UTF-8 is copied as it is, and each byte that is not
 * part of a valid UTF-8 sequence becomes \ufffd, so the output is always
 * valid JSON.  Returns 0, or -1 if it does not fit, in which case *pos is
 * unchanged.
 */
int fb_json_escape(char *out, size_t cap, size_t *pos, const char *s,
                   size_t len);

/* True if s[0..len) is valid UTF-8 (no overlongs, surrogates or code
 * points past U+10FFFF). */
bool fb_utf8_valid(const char *s, size_t len);

/*
 * Appends raw bytes; 0, or -1 (and *pos unchanged) if they do not fit.
 * Inline: a rendered row makes some twenty of these calls, most of them
 * for one or two constant bytes.
 */
static inline int
fb_json_raw(char *out, size_t cap, size_t *pos, const char *s, size_t len)
{
    if (len > cap - *pos)
        return -1;
    memcpy(out + *pos, s, len);
    *pos += len;
    return 0;
}

#endif
