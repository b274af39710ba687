/*
 * job.h
 *    The hourly PostgreSQL job: which hours to load, one unit per hour for
 *    the supervisor, each planned in its own exported snapshot.
 *
 * Hours come from --hour (last, or 2026-11-27T03), --from/--to (every hour
 * in [from, to)), or --catch-up (every hour of --lookback whose last run
 * in the ledger is not done, oldest first).  Each hour goes to the index
 * its strftime pattern names, in --timezone (UTC by default).
 */
#ifndef FORKBULK_JOB_H
#define FORKBULK_JOB_H

#include <stddef.h>

#include "forkbulk/options.h"
#include "forkbulk/pg_plan.h"
#include "forkbulk/supervisor.h"

struct fb_job;

/* The source spec the options describe; 0, or -1 with err filled. */
int fb_pg_spec_from_options(const struct fb_options *opts,
                            struct fb_pg_spec *spec, char *err, size_t errlen);

/* "public.flows", or "query" for --query: names the source in messages. */
const char *fb_job_source_name(const struct fb_options *opts);

/*
 * Parent: works out the hours, takes the job's lock and opens the ledger.
 * Returns 0 with *job set, or an exit code after logging (64 for bad
 * hours, 75 when another run holds the lock, 69/78 for PostgreSQL).
 */
int fb_job_open(const struct fb_options *opts, struct fb_job **job);

/* The supervisor source that loads the job's hours one by one. */
void fb_job_source(struct fb_job *job, struct fb_source_ops *ops);

/* Prints one line per hour (called after the run) to out. */
void fb_job_print_hours(const struct fb_job *job, FILE *out);

/* Adds the per-hour summaries as the array "hours" to the summary's JSON
 * object (an fb_summary_extra_fn with the job as arg); 0 or -1. */
int fb_job_summary_json(const void *job, void *json_object);

/* Records the outcome, releases the lock, frees. */
void fb_job_close(struct fb_job *job, int exit_code);

#endif
