/*
 * gzip_body.c
 *    --compress: a _bulk body as one gzip member (see gzip_body.h).
 */
#include "forkbulk/gzip_body.h"

#include <libdeflate.h>
#include <stdlib.h>

struct fb_gzip {
    struct libdeflate_compressor *c;
    size_t max_in;
    size_t cap;
    char *out;
};

struct fb_gzip *
fb_gzip_new(int level, size_t max_in)
{
    struct fb_gzip *gz;

    if (level < FB_GZIP_LEVEL_MIN || level > FB_GZIP_LEVEL_MAX)
        return NULL;
    if ((gz = calloc(1, sizeof(*gz))) == NULL)
        return NULL;
    gz->max_in = max_in;
    gz->c = libdeflate_alloc_compressor(level);
    if (gz->c != NULL) {
        /* The bound holds for any input of max_in bytes: a gzip member
         * never needs more, so compressing cannot run out of room. */
        gz->cap = libdeflate_gzip_compress_bound(gz->c, max_in);
        gz->out = malloc(gz->cap);
    }
    if (gz->out == NULL) {
        fb_gzip_free(gz);
        return NULL;
    }
    return gz;
}

const char *
fb_gzip_body(struct fb_gzip *gz, const char *body, size_t len, size_t *out_len)
{
    if (len > gz->max_in)
        return NULL;
    *out_len = libdeflate_gzip_compress(gz->c, body, len, gz->out, gz->cap);
    return *out_len > 0 ? gz->out : NULL;
}

void
fb_gzip_free(struct fb_gzip *gz)
{
    if (gz == NULL)
        return;
    libdeflate_free_compressor(gz->c);
    free(gz->out);
    free(gz);
}
