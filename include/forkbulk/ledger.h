/*
 * ledger.h
 *    The run ledger of the hourly job, kept in PostgreSQL: what was loaded,
 *    when, how many, with which result; and which hours still need a load.
 *
 * Two tables, and a third for runs that change index settings:
 *
 *   <table>         one row per (job, hour) run:
 *     id bigserial, job, hour_start timestamptz, index_name,
 *     run_start, run_end timestamptz, status (running | done | failed |
 *     interrupted | skipped), loaded, rejected, read bigint, snapshot
 *     text, version (FB_VERSION), host, pid, reason text (why an operator
 *     skipped the hour)
 *   <table>_ranges  one row per completed range of a run:
 *     run_id (references <table>.id), range_no, lo, hi, loaded, rejected,
 *     finished_at
 *   <table>_restore one row per index whose settings a run of the job
 *                   changed for its load and has not put back yet:
 *     job, index_name text, settings json (each setting the load changed,
 *     with the value to put back, null for "not set"), written_at
 *     timestamptz; primary key (job, index_name)
 *
 * The table name (default forkbulk_ledger, at most 54 bytes so that
 * <table>_ranges and <table>_restore fit PostgreSQL's 63) and an optional
 * schema are quoted with PQescapeIdentifier.  Without a schema, the
 * schema is found once at open with the role's own search_path: where a
 * table of that name is, else current_schema() (where CREATE TABLE would
 * put it); from then on the session's search_path is pinned (pg_conn.h)
 * and every statement names the tables by schema.  Every value is a
 * PQexecParams parameter.  Times cross the API as int64 microseconds
 * since the epoch, and cross to the server as exact timestamptz text
 * (fb_pg_format_us) and back through extract(epoch), which is numeric:
 * no float, no time zone.
 *
 * No DDL when there is nothing to do.  fb_ledger_open() reads the
 * catalogs: when both tables exist, are current and the role holds
 * SELECT, INSERT, UPDATE on <table>, INSERT on <table>_ranges and USAGE
 * (or UPDATE) on <table>'s id sequence, it changes nothing, so a DBA can
 * create the tables and grant only that.  (CREATE TABLE IF NOT EXISTS is
 * not the way: PostgreSQL checks CREATE on the schema before it looks
 * for the table, and CREATE INDEX IF NOT EXISTS checks ownership first.)
 * Otherwise, once, under a transaction-level advisory lock so that two
 * first runs do not race: missing tables are created (CREATE on the
 * schema needed), and a table from before status 'skipped' gets its
 * reason column and its new status CHECK (ownership needed).  What the
 * role may not do is FB_EXIT_CONFIG, with the statement or the GRANT
 * that would let it, e.g.
 *   ledger: role "loader" lacks INSERT on table public.forkbulk_ledger
 *   (GRANT INSERT ON public.forkbulk_ledger TO loader)
 * The restore table is made ready apart, by fb_ledger_restores_ready(),
 * the same way (created under the same lock when missing; when it is
 * there the role needs SELECT, INSERT, DELETE on it), and only by runs
 * that need it (lifecycle.h), so that a ledger a DBA made before it
 * existed keeps working for every other run.
 *
 * Who writes: the parent only, one connection, and only while it holds
 * the job's lock (lock.h).  That is what makes "running" meaningful: a
 * run that finds a "running" row of its own job while holding the lock
 * knows that run died (SIGKILL, OOM, power), and fb_ledger_reap() marks
 * it interrupted.  The latest run of an hour is the one with the highest
 * id: runs of a job never overlap, so ids follow time.
 *
 * Re-running a failed or interrupted hour redoes all of its ranges, even
 * those the ledger shows completed.  Document ids come from the source,
 * so a range loaded twice overwrites the same documents; skipping ranges
 * would only be correct for the same snapshot and the same plan, which a
 * new run never has (rows may have arrived since, and the plan depends
 * on min/max and the table size).  Simplest, and correct.
 *
 * Functions return 0, or an exit code of status.h with err = "<what went
 * wrong>: <PostgreSQL's message>" on one line (pg_conn.h): 69 PostgreSQL
 * unreachable, 78 what the role may not do or a table that cannot work,
 * 70 a call that breaks the rules below (ending a run that is not
 * running, more hours than the caller made room for).
 */
#ifndef FORKBULK_LEDGER_H
#define FORKBULK_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "forkbulk/proto.h"

#define FB_LEDGER_TABLE "forkbulk_ledger"
#define FB_LEDGER_TABLE_MAX 54

enum fb_run_status {
    FB_RUN_RUNNING = 0,
    FB_RUN_DONE,
    FB_RUN_FAILED,
    FB_RUN_INTERRUPTED,
    FB_RUN_SKIPPED, /* an operator marked the hour: it cannot load */
};

struct fb_ledger;
struct fb_pg_target;

/* Counts of a finished run. */
struct fb_ledger_counts {
    int64_t loaded;   /* documents the cluster accepted */
    int64_t rejected; /* documents refused for good */
    int64_t read;     /* rows read from the source */
};

/* A done hour (fb_ledger_done_hours): its latest run. */
struct fb_ledger_done {
    int64_t hour_us;
    int64_t read; /* rows its load read in its snapshot */
    int64_t loaded;
    int64_t run_id;
    char index[FB_MSG_INDEX_MAX];
};

/* An index whose settings are to be put back (fb_ledger_restores). */
struct fb_ledger_restore {
    char index[FB_MSG_INDEX_MAX];
    char *settings; /* JSON object text, as fb_ledger_restore_save got it */
};

/* "running", "done", "failed", "interrupted", "skipped" (the stored
 * text). */
const char *fb_ledger_status_name(enum fb_run_status status);

/*
 * Connects to pg (pg_conn.h) and makes the tables ready (above).  table
 * is [schema.]table; NULL or "": FB_LEDGER_TABLE.  The schema must exist.
 */
int fb_ledger_open(const struct fb_pg_target *pg, const char *table,
                   struct fb_ledger **out, char *err, size_t errlen);

/*
 * fb_ledger_open() for what must change nothing (--check, --dry-run): no
 * CREATE, no ALTER, and a session whose transactions are all read-only,
 * so no statement on l can write the ledger (fb_ledger_begin() and the
 * like fail).  The tables are checked as a run would need them: ready
 * ones for the privileges above; missing ones for what creating them
 * takes (the schema, CREATE on it); a run table from before 'skipped'
 * for ownership.  note says what a run would do to them, e.g.
 *   public.forkbulk_ledger is ready
 *   public.forkbulk_ledger and public.forkbulk_ledger_ranges do not
 *   exist: a run creates them
 * With stand_in, a missing run table is stood in for by empty temporary
 * tables of the session (gone when l closes), so that the queries below
 * answer as for a job that never ran.  Same codes as fb_ledger_open().
 */
int fb_ledger_open_read_only(const struct fb_pg_target *pg, const char *table,
                             bool stand_in, struct fb_ledger **out, char *note,
                             size_t notelen, char *err, size_t errlen);

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
 * Records that an operator skipped (job, hour_us): a finished run with
 * status "skipped", reason (NULL: none), run_end = now, no counts.  The
 * hour is then as good as done for fb_ledger_pending() until a later run
 * of it says otherwise.
 */
int fb_ledger_skip(struct fb_ledger *l, const char *job, int64_t hour_us,
                   const char *index, const char *reason, char *err,
                   size_t errlen);

/*
 * The hours --catch-up loads, oldest first, never one after last_us:
 *   (a) every hour whose latest run is failed, interrupted or running
 *       (under the job's lock: dead), however old;
 *   (b) every hour lookback_from_us + k * FB_HOUR_US from the first one
 *       after the job's newest done-or-skipped hour (lookback_from_us
 *       itself when there is none, or when it is earlier) up to last_us,
 *       whose latest run is neither done nor skipped (never run
 *       included): a gap longer than the lookback is loaded whole.
 * last_us - lookback_from_us must be whole hours.  At most max of them
 * go into hours[0..*n) (cap >= max), and *remaining is how many more are
 * pending after those.
 */
int fb_ledger_pending(struct fb_ledger *l, const char *job,
                      int64_t lookback_from_us, int64_t last_us, size_t max,
                      int64_t *hours, size_t cap, size_t *n, size_t *remaining,
                      char *err, size_t errlen);

/*
 * The hours of [from_us, to_us) (hour i starts at from_us + i *
 * FB_HOUR_US) whose latest run of job is neither done nor skipped: never
 * run, failed, interrupted, or "running" (dead).  Oldest first, into
 * hours[0..*n); a window of more than cap hours is an error.
 */
int fb_ledger_not_done(struct fb_ledger *l, const char *job, int64_t from_us,
                       int64_t to_us, int64_t *hours, size_t cap, size_t *n,
                       char *err, size_t errlen);

/*
 * The hours in [from_us, to_us) whose latest run of job is done, with
 * that run's loaded count, id and index, oldest first, into
 * out[0..*n); more than cap of them is an error.
 */
int fb_ledger_done_hours(struct fb_ledger *l, const char *job, int64_t from_us,
                         int64_t to_us, struct fb_ledger_done *out, size_t cap,
                         size_t *n, char *err, size_t errlen);

/*
 * What alerting needs of job (metrics.h): *last_done_us, the end of its
 * newest run recorded done, and *oldest_incomplete_us, the start of its
 * oldest hour whose latest run is failed, interrupted or running (under
 * the job's lock: dead, as fb_ledger_pending() counts it); 0 for none.
 */
int fb_ledger_health(struct fb_ledger *l, const char *job,
                     int64_t *last_done_us, int64_t *oldest_incomplete_us,
                     char *err, size_t errlen);

/*
 * Makes <table>_restore ready: with create, a missing table is created
 * (CREATE on the schema needed); without, a missing one is left so and
 * *exists is false.  A table that is there must let the role SELECT,
 * INSERT and DELETE (78 naming the GRANT otherwise); *exists is then
 * true.  Call it before the functions below.
 */
int fb_ledger_restores_ready(struct fb_ledger *l, bool create, bool *exists,
                             char *err, size_t errlen);

/*
 * Records, before a load changes them, the settings to put back on index
 * (settings: a JSON object text).  When a row of (job, index) is there
 * already (an earlier run died, and its record was not restored), it is
 * kept as it is and *earlier is a malloc'd copy of its settings: those
 * are what must be put back, since the index has the earlier run's load
 * settings now.  *earlier is NULL when the row was written.
 */
int fb_ledger_restore_save(struct fb_ledger *l, const char *job,
                           const char *index, const char *settings,
                           char **earlier, char *err, size_t errlen);

/* Removes the row of (job, index), once its settings are back; no row is
 * no error. */
int fb_ledger_restore_drop(struct fb_ledger *l, const char *job,
                           const char *index, char *err, size_t errlen);

/* Every row of job, oldest first, into *out (*n of them; free with
 * fb_ledger_restores_free). */
int fb_ledger_restores(struct fb_ledger *l, const char *job,
                       struct fb_ledger_restore **out, size_t *n, char *err,
                       size_t errlen);

void fb_ledger_restores_free(struct fb_ledger_restore *v, size_t n);

#endif
