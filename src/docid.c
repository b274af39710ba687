/*
 * docid.c
 *    Document ids from a field or from the source position.
 */
#include "forkbulk/docid.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/jsonscan.h"

/* An integer in JSON's grammar: no fraction, no exponent. */
static int
is_integer(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] == '.' || p[i] == 'e' || p[i] == 'E')
            return 0;
    return 1;
}

int
fb_docid_from_field(const char *doc, size_t len, const char *field, char *out,
                    size_t cap, size_t *outlen, char *err, size_t errlen)
{
    struct fb_json_value v;
    int rc = fb_json_find(doc, len, field, &v, err, errlen);
    size_t n = 0;

    if (rc < 0)
        return -1;
    if (rc == 0) {
        snprintf(err, errlen, "id field [%s] is missing", field);
        return -1;
    }
    switch (v.type) {
    case FB_JSON_STRING:
        if (!v.escaped && v.len - 2 > FB_ES_ID_MAX) {
            snprintf(err, errlen,
                     "id field [%s] is %zu bytes, more than the %d allowed",
                     field, v.len - 2, FB_ES_ID_MAX);
            return -1;
        }
        /* One byte more than allowed tells "too long" from "fits". */
        if (fb_json_value_string(
                &v, out, cap < FB_ES_ID_MAX + 2 ? cap : FB_ES_ID_MAX + 2, &n) !=
                0 ||
            n > FB_ES_ID_MAX) {
            snprintf(err, errlen,
                     "id field [%s] is more than the %d bytes allowed", field,
                     FB_ES_ID_MAX);
            return -1;
        }
        if (n == 0) {
            snprintf(err, errlen, "id field [%s] is empty", field);
            return -1;
        }
        break;
    case FB_JSON_NUMBER:
        if (!is_integer(v.p, v.len)) {
            snprintf(err, errlen, "id field [%s] is not an integer (%.*s)",
                     field, v.len > 40 ? 40 : (int)v.len, v.p);
            return -1;
        }
        if (v.len > FB_ES_ID_MAX || v.len >= cap) {
            snprintf(err, errlen, "id field [%s] is more than %d bytes", field,
                     FB_ES_ID_MAX);
            return -1;
        }
        memcpy(out, v.p, v.len);
        out[v.len] = '\0';
        n = v.len;
        break;
    default:
        snprintf(err, errlen, "id field [%s] is %s", field,
                 fb_json_type_article(v.type));
        return -1;
    }
    *outlen = n;
    return 0;
}

uint64_t
fb_docid_hash(const char *s, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

void
fb_docid_source_from_realpath(struct fb_docid_source *s, const char *realpath_)
{
    snprintf(s->prefix, sizeof s->prefix, "%016" PRIx64,
             fb_docid_hash(realpath_, strlen(realpath_)));
}

int
fb_docid_source_init(struct fb_docid_source *s, const char *path)
{
    char *real = NULL;

    if (path == NULL || strcmp(path, "-") == 0) {
        snprintf(s->prefix, sizeof s->prefix, "stdin");
        return 0;
    }
    real = realpath(path, NULL);
    if (real == NULL)
        return -1;
    fb_docid_source_from_realpath(s, real);
    free(real);
    return 0;
}

size_t
fb_docid_position(const struct fb_docid_source *s, uint64_t offset, char *out,
                  size_t cap)
{
    int n = snprintf(out, cap, "%s-%" PRIu64, s->prefix, offset);

    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}
