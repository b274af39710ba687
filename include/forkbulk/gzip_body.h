/*
 * gzip_body.h
 *    A worker's compressor for --compress: a _bulk body in, its gzip
 *    member out, into a buffer allocated once.
 *
 * libdeflate compresses a whole buffer in one call, several times faster
 * than zlib's streaming deflate at the same level and ratio (a batch is
 * whole in memory anyway).  The output buffer is sized for the largest
 * body the batch may hold (--batch-bytes), so compressing never allocates
 * and a worker's memory stays bounded.
 */
#ifndef FORKBULK_GZIP_BODY_H
#define FORKBULK_GZIP_BODY_H

#include <stddef.h>

/* The levels libdeflate has: 1 the fastest, 12 the smallest. */
#define FB_GZIP_LEVEL_MIN 1
#define FB_GZIP_LEVEL_MAX 12

struct fb_gzip;

/* For bodies of up to max_in bytes at level; NULL on allocation failure
 * (or a level out of range). */
struct fb_gzip *fb_gzip_new(int level, size_t max_in);

/* body as one gzip member, valid until the next call; NULL if len is over
 * max_in. */
const char *fb_gzip_body(struct fb_gzip *gz, const char *body, size_t len,
                         size_t *out_len);

void fb_gzip_free(struct fb_gzip *gz);

#endif
