/*
 * supervisor.h
 *    The parent process: forks the workers, plans ranges, hands them out,
 *    and keeps going when workers die.
 *
 * State of one run, as the parent sees it:
 *
 *   fork N workers (nothing read, no connection open)
 *     -> plan ranges from metadata (file size)
 *     -> check the cluster (GET /) with the parent's own connection
 *     -> loop: idle worker gets the next pending range; DONE marks it
 *        loaded; a worker that dies re-queues its range and is replaced;
 *        a range that killed FB_MAX_JOB_DEATHS workers fails the run (70)
 *     -> no range left: close each worker's command pipe (= "stop"),
 *        reap every child
 *
 * SIGINT/SIGTERM stop dispatching and forward SIGTERM; workers finish the
 * batch in flight, then the parent waits up to --grace and SIGKILLs the
 * rest.  A second signal kills at once.
 */
#ifndef FORKBULK_SUPERVISOR_H
#define FORKBULK_SUPERVISOR_H

#include <stdint.h>

#include "forkbulk/options.h"
#include "forkbulk/summary.h"

/* A range that kills this many workers is given up. */
#define FB_MAX_JOB_DEATHS 3

/* One unit of work: a whole file, or one hour of a table. */
struct fb_unit {
    char name[64];                /* for messages: "flows.ndjson" */
    char index[FB_MSG_INDEX_MAX]; /* where its documents go */
    uint64_t n_ranges;
};

/*
 * What the supervisor loads, one unit after another; the workers stay the
 * same for every unit.  Callbacks run in the parent.
 */
struct fb_source_ops {
    /* Plans the next unit: 1 with *unit filled, 0 when there is none
     * left, or -(exit code) after logging why it cannot be planned. */
    int (*next_unit)(void *ctx, struct fb_unit *unit);
    /* Fills the JOB fields of range i of the current unit: lo, hi, and
     * where needed index, window, split and snapshot. */
    void (*job)(void *ctx, uint64_t i, struct fb_msg *job);
    /* Range i ended (loaded, or given up: done->status).  May be NULL. */
    void (*range_done)(void *ctx, uint64_t i, const struct fb_msg *done);
    /* The current unit is over, with its own summary.  May be NULL. */
    void (*unit_done)(void *ctx, const struct fb_unit *unit,
                      const struct fb_summary *summary);
    void *ctx;
};

/* The ops that load opts->input as one unit into opts->index. */
void fb_file_source(const struct fb_options *opts, struct fb_source_ops *ops);

/* Runs the whole load; returns the exit code (also in total). */
int fb_supervisor_run(const struct fb_options *opts,
                      const struct fb_source_ops *source,
                      struct fb_summary *total);

#endif
