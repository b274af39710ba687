/*
 * pg_read.h
 *    Reading a PostgreSQL source, in a worker: one range at a time, in
 *    the snapshot the parent exported (pg_plan.h), one row at a time.
 *
 * Workers are forked before any plan exists, so everything a worker
 * needs about a range arrives in its RANGE frame: struct fb_pg_range.
 * fb_pg_reader_open() connects once; for each range fb_pg_reader_begin()
 * starts a REPEATABLE READ transaction with SET TRANSACTION SNAPSHOT
 * '<id>' and starts streaming the slice; fb_pg_reader_next() returns one
 * row at a time already rendered as one JSON object (plus its document
 * id), never holding the slice in memory.
 */
#ifndef FORKBULK_PG_READ_H
#define FORKBULK_PG_READ_H

#include <stddef.h>
#include <stdint.h>

#include "forkbulk/pg_spec.h"

struct fb_pg_reader;

/* One range of a plan: everything a worker needs to read it.  lo/hi
 * count what split says (pg_plan.h). */
struct fb_pg_range {
    const char *snapshot; /* the plan's exported snapshot */
    enum fb_pg_split split;
    struct fb_pg_window window;
    uint64_t lo, hi;
};

/* One row, rendered. Pointers valid until the next call. */
struct fb_pg_row {
    const char *doc; /* one JSON object, no newline */
    size_t doc_len;
    const char *id; /* document id, NULL if none */
    size_t id_len;
    uint64_t row;      /* 1-based row number within the range */
    const char *error; /* non-NULL: this row cannot be a document (NaN,
                        * Infinity, too large...); doc then holds what is
                        * known of the row for the reject file */
};

/* Connects (once, reused for every range) and resolves the source the
 * way the plan did.  spec must outlive the reader.  NULL after logging. */
struct fb_pg_reader *fb_pg_reader_open(const struct fb_pg_spec *spec);

/* Starts a range in the exported snapshot.  0, or an exit code after
 * logging (69 connection lost / snapshot gone). */
int fb_pg_reader_begin(struct fb_pg_reader *r, const struct fb_pg_range *range);

/* 1 with *row filled, 0 at the end of the range, -1 on error (logged; an
 * exit code in *status). */
int fb_pg_reader_next(struct fb_pg_reader *r, struct fb_pg_row *row,
                      int *status);

/* Describes the current range for messages ("key [100, 199]"). */
const char *fb_pg_reader_range_desc(const struct fb_pg_reader *r);

/* Ends the range in flight, disconnects and frees r; NULL does nothing. */
void fb_pg_reader_close(struct fb_pg_reader *r);

#endif
