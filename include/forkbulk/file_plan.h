/*
 * file_plan.h
 *    Turning a file's metadata into byte ranges.
 *
 * The parent looks only at metadata (the file's size and the first two
 * bytes, to tell gzip), never at records.  A regular file becomes many more
 * byte ranges than there are workers, so a slow range does not stall the
 * run and a crashed worker loses only one range.  Standard input and gzip
 * files cannot be split and are one range read by one worker.
 */
#ifndef FORKBULK_FILE_PLAN_H
#define FORKBULK_FILE_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "forkbulk/options.h"

/* Bounds of the range size chosen from the file size. */
#define FB_RANGE_MIN (1u << 20)
#define FB_RANGE_MAX (64u << 20)
/* Ranges per worker aimed at when choosing the size. */
#define FB_RANGES_PER_WORKER 16

/* How an input can be read. */
enum fb_input_kind {
    FB_INPUT_FILE,   /* regular file: byte ranges */
    FB_INPUT_GZIP,   /* gzip file: one reader from the start */
    FB_INPUT_STREAM, /* "-" or a pipe/FIFO: one reader from the start */
};

/*
 * What kind of input path is, from metadata and the gzip magic bytes.
 * -1 with errno set if it cannot be opened or is a directory (EISDIR).
 */
int fb_input_kind(const char *path, enum fb_input_kind *kind, uint64_t *size);

struct fb_plan {
    uint64_t size; /* bytes; 0 for a stream */
    uint64_t range_bytes;
    uint64_t n_ranges;
    bool whole; /* stream or gzip: one range, the whole input */
};

/*
 * Plans the input named in opts.  Returns 0, or FB_EXIT_NOINPUT after
 * logging why the input cannot be used.
 */
int fb_plan_input(const struct fb_options *opts, struct fb_plan *plan);

/* Range i of the plan: [*lo, *hi). */
void fb_plan_range(const struct fb_plan *plan, uint64_t i, uint64_t *lo,
                   uint64_t *hi);

/* Range size for a file of size bytes and n workers (pure; unit-tested). */
uint64_t fb_plan_range_size(uint64_t size, int workers);

#endif
