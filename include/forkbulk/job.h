/*
 * job.h
 *    The hourly job: which hours to load, each one a unit of the
 *    PostgreSQL source (source.h) planned in its own exported snapshot,
 *    under the job's lock, with every hour's outcome in the run ledger.
 *
 * Hours come from --hour (last, or 2026-11-27T03), --from/--to (every hour
 * in [from, to)), or --catch-up (every hour of --lookback whose last run
 * in the ledger is not done, oldest first).  Each hour goes to the index
 * its strftime pattern names, in --timezone (UTC by default).
 *
 * These are the parent-side functions of the PostgreSQL source; their
 * contracts are those of struct fb_source.  job is what fb_job_open made.
 */
#ifndef FORKBULK_JOB_H
#define FORKBULK_JOB_H

#include <stdint.h>
#include <stdio.h>

#include "forkbulk/metrics.h"
#include "forkbulk/options.h"
#include "forkbulk/proto.h"
#include "forkbulk/source.h"
#include "forkbulk/summary.h"

/* The job's name: the lock's and the ledger's key, the metrics' label:
 * --job, else the table (or "query"). */
const char *fb_job_name(const struct fb_options *opts);

/*
 * Works out the hours, takes the job's lock and opens the ledger; for a
 * dry run read-only (ledger.h: nothing written, dead runs not reaped).
 * Returns 0 with *job set, or an exit code after logging (64 for bad
 * hours, 75 when another run holds the lock, 69/78 for PostgreSQL).
 */
int fb_job_open(const struct fb_options *opts, void **job);

/* Plans the next hour in a new snapshot and records its start in the
 * ledger (a dry run does not; it ends the last hour's snapshot here). */
int fb_job_next_unit(void *job, struct fb_unit *unit);

void fb_job_range(void *job, uint64_t i, struct fb_msg *range);

/* Records a completed range in the ledger. */
void fb_job_range_done(void *job, uint64_t i, const struct fb_msg *done);

/* Ends the hour's snapshot and records its outcome in the ledger (done,
 * failed or interrupted), reconnecting for a while if PostgreSQL is
 * restarting. */
void fb_job_unit_done(void *job, const struct fb_unit *unit,
                      const struct fb_summary *summary);

/* One line per hour (after the run). */
void fb_job_report(const void *job, FILE *out);

/* The per-hour summaries as the array "hours" of the summary JSON. */
int fb_job_report_json(const void *job, void *json_object);

/* --dry-run: why the hour just planned is in the run, its split, its
 * planner's row estimate and each range's bounds. */
void fb_job_describe(const void *job, const struct fb_unit *unit, FILE *out);

/* The job's metrics (metrics.h): its name as the label, the hours this
 * run loaded and failed, and from the ledger the last done hour and the
 * oldest incomplete one (job NULL: only the label). */
void fb_job_metrics(const struct fb_options *opts, void *job,
                    struct fb_metrics *m);

/* Releases the lock and the ledger connection, and frees job (NULL does
 * nothing).  Each hour's outcome is in the ledger already. */
void fb_job_close(void *job);

#endif
