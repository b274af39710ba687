/*
 * ledger.h
 *    The run ledger of the hourly job, kept in PostgreSQL: what was loaded,
 *    when, how many, with which result; and which hours still need a load.
 *
 * Two tables, created on first use (CREATE TABLE IF NOT EXISTS, under a
 * transaction-level advisory lock so that two first runs do not race):
 *
 *   <table>         one row per (job, hour) run:
 *     id bigserial, job, hour_start timestamptz, index_name,
 *     run_start, run_end timestamptz, status (running | done | failed |
 *     interrupted), loaded, rejected, read bigint, snapshot text,
 *     version (FB_VERSION), host, pid
 *   <table>_ranges  one row per completed range of a run:
 *     run_id (references <table>.id), range_no, lo, hi, loaded, rejected,
 *     finished_at
 *
 * The table name (default forkbulk_ledger, at most 54 bytes so that
 * <table>_ranges fits PostgreSQL's 63) and an optional schema are quoted
 * with PQescapeIdentifier; without a schema the tables live in the
 * connection's default schema (the first of search_path).  Every value
 * is a PQexecParams parameter.  Times cross the API as int64 microseconds
 * since the epoch and are converted with exact integer arithmetic.
 *
 * Who writes: the parent only, one connection, and only while it holds
 * the job's lock (lock.h).  That is what makes "running" meaningful: a
 * run that finds a "running" row of its own job while holding the lock
 * knows that run died (SIGKILL, OOM, power), and fb_ledger_reap() marks
 * it interrupted.
 *
 * Re-running a failed or interrupted hour redoes all of its ranges, even
 * those the ledger shows completed.  Document ids come from the source,
 * so a range loaded twice overwrites the same documents; skipping ranges
 * would only be correct for the same snapshot and the same plan, which a
 * new run never has (rows may have arrived since, and the plan depends
 * on min/max and the table size).  Simplest, and correct.
 *
 * Functions return 0, or -1 with err = "<what went wrong>: <PostgreSQL's
 * message>" on one line (pg_conn.h).
 */
#ifndef FORKBULK_LEDGER_H
#define FORKBULK_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define FB_LEDGER_TABLE "forkbulk_ledger"
#define FB_LEDGER_TABLE_MAX 54

enum fb_run_status {
    FB_RUN_RUNNING = 0,
    FB_RUN_DONE,
    FB_RUN_FAILED,
    FB_RUN_INTERRUPTED,
};

struct fb_ledger;
struct fb_pg_target;

/* Counts of a finished run. */
struct fb_ledger_counts {
    int64_t loaded;   /* documents the cluster accepted */
    int64_t rejected; /* documents refused for good */
    int64_t read;     /* rows read from the source */
};

/* "running", "done", "failed", "interrupted" (the stored text). */
const char *fb_ledger_status_name(enum fb_run_status status);

/*
 * Connects to pg (pg_conn.h) and creates the tables if needed.  table is
 * [schema.]table; NULL or "": FB_LEDGER_TABLE; without a schema, the
 * connection's default one.  The schema must exist.
 */
int fb_ledger_open(const struct fb_pg_target *pg, const char *table,
                   struct fb_ledger **out, char *err, size_t errlen);

/* Closes the connection and frees l; NULL does nothing. */
void fb_ledger_close(struct fb_ledger *l);

/*
 * Marks every "running" run of job as interrupted (run_end = now).  Call
 * it right after taking the job's lock: those runs have died.  *n is the
 * number of runs marked.
 */
int fb_ledger_reap(struct fb_ledger *l, const char *job, size_t *n, char *err,
                   size_t errlen);

/*
 * Records the start of a run: a "running" row for (job, hour_us) with
 * this process's host and pid and FB_VERSION.  snapshot may be NULL
 * (file sources have none).  *run_id identifies the run for the calls
 * below.
 */
int fb_ledger_begin(struct fb_ledger *l, const char *job, int64_t hour_us,
                    const char *index, const char *snapshot, int64_t *run_id,
                    char *err, size_t errlen);

/* Records one completed range of a running run.  A range number
 * recorded twice for the same run is an error. */
int fb_ledger_range_done(struct fb_ledger *l, int64_t run_id, int range_no,
                         int64_t lo, int64_t hi, int64_t loaded,
                         int64_t rejected, char *err, size_t errlen);

/*
 * Ends a running run with status (done, failed or interrupted) and its
 * counts; run_end = now.  A run that is not "running" (ended already,
 * reaped, unknown id) is an error.
 */
int fb_ledger_end(struct fb_ledger *l, int64_t run_id,
                  enum fb_run_status status,
                  const struct fb_ledger_counts *counts, char *err,
                  size_t errlen);

/*
 * The hours of [from_us, to_us) (hour i starts at from_us + i *
 * FB_HOUR_US) whose last run of job is not "done": never run, failed,
 * interrupted, or still "running" (which, under the job's lock, means
 * dead).  Oldest first, into hours[0..*n); more than cap pending hours
 * is an error (the window is bounded by the caller, see hours.h).
 */
int fb_ledger_pending(struct fb_ledger *l, const char *job, int64_t from_us,
                      int64_t to_us, int64_t *hours, size_t cap, size_t *n,
                      char *err, size_t errlen);

#endif
