/*
 * gzip_body.c
 *    --compress: a _bulk body as one gzip member, with ISA-L's igzip
 *    (see gzip_body.h).
 */
#include "forkbulk/gzip_body.h"

#include <isa-l/igzip_lib.h>
#include <stdint.h>
#include <stdlib.h>

struct fb_gzip {
    /* 80 KiB of stream state: kept here, not on the stack, and zeroed
     * once, so its tables never hold uninitialised bytes (valgrind) */
    struct isal_zstream zs;
    int level;
    size_t max_in;
    unsigned char *level_buf; /* the level's hash tables, NULL at 0 */
    uint32_t level_buf_size;
    size_t cap;
    char *out;
};

/* What a level needs besides the stream (igzip_lib.h's defaults). */
static uint32_t
level_buf_size(int level)
{
    switch (level) {
    case 1:
        return ISAL_DEF_LVL1_DEFAULT;
    case 2:
        return ISAL_DEF_LVL2_DEFAULT;
    case 3:
        return ISAL_DEF_LVL3_DEFAULT;
    default:
        return 0;
    }
}

struct fb_gzip *
fb_gzip_new(int level, size_t max_in)
{
    struct fb_gzip *gz;

    if (level < FB_GZIP_LEVEL_MIN || level > FB_GZIP_LEVEL_MAX ||
        max_in > UINT32_MAX / 2)
        return NULL;
    if ((gz = calloc(1, sizeof(*gz))) == NULL)
        return NULL;
    gz->level = level;
    gz->max_in = max_in;
    gz->level_buf_size = level_buf_size(level);
    if (gz->level_buf_size > 0)
        gz->level_buf = calloc(1, gz->level_buf_size);
    /*
     * Data that does not compress is written as stored blocks: the body,
     * 5 bytes per 64 KiB block, and the gzip header and trailer; the
     * rest is room for igzip's own bound on a block header.
     */
    gz->cap = max_in + max_in / 1024 + ISAL_DEF_MAX_HDR_SIZE + 1024;
    gz->out = malloc(gz->cap);
    if (gz->out == NULL || (gz->level_buf_size > 0 && gz->level_buf == NULL)) {
        fb_gzip_free(gz);
        return NULL;
    }
    return gz;
}

const char *
fb_gzip_body(struct fb_gzip *gz, const char *body, size_t len, size_t *out_len)
{
    struct isal_zstream *zs = &gz->zs;

    if (len > gz->max_in)
        return NULL;
    isal_deflate_stateless_init(zs);
    zs->level = (uint32_t)gz->level;
    zs->level_buf = gz->level_buf;
    zs->level_buf_size = gz->level_buf_size;
    zs->gzip_flag = IGZIP_GZIP;
    zs->end_of_stream = 1;
    zs->next_in = (uint8_t *)(uintptr_t)body;
    zs->avail_in = (uint32_t)len;
    zs->next_out = (uint8_t *)gz->out;
    zs->avail_out = (uint32_t)gz->cap;
    if (isal_deflate_stateless(zs) != COMP_OK)
        return NULL;
    *out_len = zs->total_out;
    return gz->out;
}

void
fb_gzip_free(struct fb_gzip *gz)
{
    if (gz == NULL)
        return;
    free(gz->level_buf);
    free(gz->out);
    free(gz);
}
