/*
 * summary.h
 *    What a run did, for people (stderr) and for wrapper scripts (JSON).
 */
#ifndef FORKBULK_SUMMARY_H
#define FORKBULK_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "forkbulk/options.h"
#include "forkbulk/proto.h"

struct fb_index_counts;

struct fb_summary {
    struct fb_counts counts;
    /* Documents loaded per index, of documents that named their own
     * (--time-field); NULL when none did.  A unit's summary borrows the
     * supervisor's table for the hooks' call; the run's summary
     * (fb_supervisor_run's) owns its table, sorted by name: free it with
     * fb_index_counts_free() once reported. */
    struct fb_index_counts *indices;
    uint64_t ranges;        /* planned */
    uint64_t ranges_done;   /* loaded to the end */
    uint64_t ranges_failed; /* given up (crashes, cluster failure) */
    uint64_t worker_deaths; /* workers that died holding a range */
    double seconds;
    long parent_rss_kb;
    long worker_rss_kb; /* largest worker */
    char cluster[64];   /* "Elasticsearch 8.13.1" */
    int exit_code;
    int stop_signal; /* SIGINT or SIGTERM that stopped the run, or 0 */
};

/* Human-readable summary, a few lines (and one per index of
 * s->indices); source names what was read. */
void fb_summary_print(const struct fb_summary *s, const struct fb_options *opts,
                      const char *source, FILE *out);

/* Adds members to the summary's JSON object (a json_t *); 0 or -1. */
typedef int (*fb_summary_extra_fn)(const void *arg, void *json_object);

/*
 * The same as one JSON object in path, plus what extra adds (may be
 * NULL), written whole (fb_safefile_replace: a new file beside path,
 * mode 0600, renamed over it; an existing path that is not our regular
 * file is refused).  Returns an exit code of status.h, with err set
 * unless FB_EXIT_OK: FB_EXIT_CANTCREAT (path refused or not creatable),
 * FB_EXIT_IOERR (writing failed), FB_EXIT_OSERR (out of memory).
 */
int fb_summary_write_json(const struct fb_summary *s,
                          const struct fb_options *opts, const char *source,
                          const char *path, fb_summary_extra_fn extra,
                          const void *arg, char *err, size_t errlen);

#endif
