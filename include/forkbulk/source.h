/*
 * source.h
 *    Where records come from: one interface, implemented by the file
 *    source (file_source.c) and the PostgreSQL source (pg_source.c).  A new
 *    source is one more file and one more row in source.c's table.
 *
 * A source has two halves that share nothing at run time, because the
 * workers are forked before the parent opens or plans anything:
 *
 *   parent  plan_open      resolve what to load (the hourly job also takes
 *                          its lock and opens its ledger here)
 *           next_unit      plan the next unit from metadata only (a file;
 *                          one hour of a table): its index and its ranges
 *           range          the RANGE frame of range i of the current unit
 *           range_done     range i ended: loaded, or given up
 *           unit_done      the unit ended, with its own summary
 *           plan_close     release what plan_open took
 *           describe       --dry-run: what a planned unit would load
 *           check          --check: can the source be read (no plan)
 *           metrics        its part of the run's metrics (metrics.h)
 *   worker  reader_open    once per worker, before its first range
 *           reader_begin   start a range from its RANGE frame
 *           reader_next    the range's next record, as an fb_doc (doc.h)
 *           reader_locate  where a record of the current range sits, for
 *                          the reject file (a file line is only counted
 *                          when a reject needs it)
 *           reader_end     after the range's last record was sent
 *           reader_close
 *
 * A dry run (opts->dry_run) plans as a run does but changes nothing:
 * plan_open and next_unit write no ledger and leave no trace but the
 * log; the run then describes each unit instead of loading it, so range,
 * range_done and unit_done are not called, and a unit still planned is
 * released by the next next_unit or by plan_close.
 *
 * Functions that can fail return an exit code of status.h (0: fine)
 * after logging why, except where a comment says otherwise.  A reader
 * that fails with FB_EXIT_UNAVAILABLE (its connection to the source was
 * lost) is closed and the range read again from its start on a new one.
 */
#ifndef FORKBULK_SOURCE_H
#define FORKBULK_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "forkbulk/doc.h"
#include "forkbulk/options.h"
#include "forkbulk/proto.h"
#include "forkbulk/rejects.h"
#include "forkbulk/summary.h"

/* One unit of work: a whole file, or one hour of a table. */
struct fb_unit {
    char name[64];                /* for messages: "flows.ndjson" */
    char index[FB_MSG_INDEX_MAX]; /* where its documents go */
    uint64_t n_ranges;
    /* Its time (an hour's start; when a file was planned), in
     * microseconds since the epoch: strftime patterns such as the reject
     * file's are expanded with it. */
    int64_t time_us;
};

struct fb_metrics;

struct fb_source {
    const char *kind; /* "file", "postgresql" */

    /* Whether opts describe a load from this source. */
    bool (*claims)(const struct fb_options *opts);
    /* Names the source in messages, the reject file and the summary:
     * "flows.ndjson", "public.flows". */
    const char *(*name)(const struct fb_options *opts);
    /* Workers the source can keep busy (standard input: 1); NULL: as
     * many as opts->workers. */
    int (*max_workers)(const struct fb_options *opts);

    /* Parent.  plan is what plan_open made. */
    int (*plan_open)(const struct fb_options *opts, void **plan);
    /* 1 with *unit filled, 0 when no unit is left, or -(exit code). */
    int (*next_unit)(void *plan, struct fb_unit *unit);
    /* Fills lo, hi and the source's own fields of range i's frame. */
    void (*range)(void *plan, uint64_t i, struct fb_msg *range);
    /* May be NULL. */
    void (*range_done)(void *plan, uint64_t i, const struct fb_msg *done);
    /* May be NULL. */
    void (*unit_done)(void *plan, const struct fb_unit *unit,
                      const struct fb_summary *summary);
    /* One line per unit for the printed summary; may be NULL. */
    void (*report)(const void *plan, FILE *out);
    /* Adds the units to the summary JSON object (a json_t *); 0 or -1;
     * may be NULL. */
    int (*report_json)(const void *plan, void *json_object);
    /* plan may be NULL. */
    void (*plan_close)(void *plan);
    /* --dry-run: how the unit next_unit just planned was chosen, how it
     * is split, and each range's bounds, as lines indented by two spaces
     * (the run has printed the unit's name, index and range count above
     * them).  May be NULL. */
    void (*describe)(const void *plan, const struct fb_unit *unit, FILE *out);
    /* --check: one line per thing of the source's it checks, "what: ok
     * (detail)" or "what: why not", without planning or locking
     * anything; 0, or the exit code of the first failure.  May be
     * NULL. */
    int (*check)(const struct fb_options *opts, FILE *out);
    /* Fills what only the source knows of the run's metrics: the job
     * label, the hours, what its ledger says.  plan is NULL when
     * plan_open failed (another run held the lock...); otherwise it is
     * called before plan_close.  May be NULL: the label is then name()
     * and the rest what the run's summary says. */
    void (*metrics)(const struct fb_options *opts, void *plan,
                    struct fb_metrics *m);

    /* Worker. */
    int (*reader_open)(const struct fb_options *opts, void **reader);
    int (*reader_begin)(void *reader, const struct fb_msg *range);
    /* 1 with *doc filled, 0 at the end of the range, or -(exit code). */
    int (*reader_next)(void *reader, struct fb_doc *doc);
    /* Sets r->where and turns r->line (as the record's fb_doc gave it)
     * into the line or row the reject file shows. */
    void (*reader_locate)(void *reader, struct fb_reject *r);
    /* May be NULL. */
    int (*reader_end)(void *reader);
    void (*reader_close)(void *reader);
};

extern const struct fb_source fb_file_source;
extern const struct fb_source fb_pg_source;

/* The source that opts describe (the options guarantee there is one). */
const struct fb_source *fb_source_for(const struct fb_options *opts);

/* The number of workers a run of src forks. */
int fb_source_workers(const struct fb_source *src,
                      const struct fb_options *opts);

#endif
