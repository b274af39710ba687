/*
 * job_hours.h
 *    Which hours one run of the hourly job loads, and why.
 *
 *   --hour H         one hour; "last" is the last hour that ended at least
 *                    --settle ago (rows commit after their time stamp)
 *   --from T --to T  every hour of [T, T), at most --max-hours
 *   --catch-up       every hour the ledger says is not loaded: the hours
 *                    whose last run failed or was interrupted, whatever
 *                    their age, every hour after the job's newest done
 *                    hour up to the last settled one (however long the
 *                    job could not run), and every hour of --lookback that
 *                    is not done; at most --max-hours, oldest first.  With
 *                    --verify, also the done hours of that window whose
 *                    rows no longer agree with the ledger and the index.
 *   --skip-hour T    records hour T as skipped in the ledger, with
 *                    --reason, so that catch-up stops retrying an hour
 *                    that cannot load; loads nothing (--dry-run: says
 *                    so, and records nothing)
 */
#ifndef FORKBULK_JOB_HOURS_H
#define FORKBULK_JOB_HOURS_H

#include <stddef.h>
#include <stdint.h>

#include "forkbulk/ledger.h"
#include "forkbulk/options.h"
#include "forkbulk/pg_spec.h"

/* Why an hour is in a run (--dry-run says it). */
enum fb_job_why {
    FB_JOB_WHY_HOUR = 0, /* --hour */
    FB_JOB_WHY_RANGE,    /* --from/--to */
    FB_JOB_WHY_CATCH_UP, /* --catch-up: not done in the ledger */
    FB_JOB_WHY_VERIFY,   /* --verify: done, but the source or the index
                          * no longer agrees with the ledger */
};

struct fb_job_hour {
    int64_t start_us;
    enum fb_job_why why;
};

/* Why, in words: "--hour", "catch-up: not done in the ledger", ... */
const char *fb_job_why_name(enum fb_job_why why);

struct fb_job_hours_in {
    const struct fb_options *opts;
    const char *job; /* the job's name in the ledger */
    struct fb_ledger *ledger;
    const struct fb_pg_spec *spec;
    int64_t now_us;
};

/*
 * The hours this run loads (their starts and why), oldest first, into
 * *hours (malloc'd; free() it) and *n.  *stale: the documents --verify found in
 * indices beyond their source's rows, left by rows deleted after the
 * load (reported, not fixed: a load overwrites, it does not delete).  0,
 * or an exit code with err filled: 64 for hours or durations that do not
 * parse, 69 or 78 from PostgreSQL or the cluster.
 */
int fb_job_hours(const struct fb_job_hours_in *in, struct fb_job_hour **hours,
                 size_t *n, int64_t *stale, char *err, size_t errlen);

#endif
