/*
 * gzip_body.h
 *    A worker's compressor for --compress: a _bulk body in, its gzip
 *    member out, into a buffer allocated once.
 *
 * ISA-L's igzip compresses a whole buffer in one call (a batch is whole
 * in memory anyway) at four times zlib's speed, for a ratio between
 * zlib's levels 1 and 6.  The output buffer is sized for the largest body
 * the batch may hold (--batch-bytes), so compressing never allocates and
 * a worker's memory stays bounded.
 */
#ifndef FORKBULK_GZIP_BODY_H
#define FORKBULK_GZIP_BODY_H

#include <stddef.h>

/* igzip's levels: 0 the fastest, 3 the smallest. */
#define FB_GZIP_LEVEL_MIN 0
#define FB_GZIP_LEVEL_MAX 3

struct fb_gzip;

/* For bodies of up to max_in bytes (at most 2 GiB) at level; NULL on
 * allocation failure, or either out of range. */
struct fb_gzip *fb_gzip_new(int level, size_t max_in);

/* body as one gzip member, valid until the next call; NULL if len is over
 * max_in. */
const char *fb_gzip_body(struct fb_gzip *gz, const char *body, size_t len,
                         size_t *out_len);

void fb_gzip_free(struct fb_gzip *gz);

#endif
