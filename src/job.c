/*
 * job.c
 *    The hourly PostgreSQL job as a sequence of units (see job.h).
 */
#include "forkbulk/job.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkbulk/clock.h"
#include "forkbulk/dry_run.h"
#include "forkbulk/hours.h"
#include "forkbulk/job_hours.h"
#include "forkbulk/ledger.h"
#include "forkbulk/lock.h"
#include "forkbulk/log.h"
#include "forkbulk/metrics.h"
#include "forkbulk/pg_plan.h"
#include "forkbulk/pg_spec.h"
#include "forkbulk/publish.h"
#include "forkbulk/status.h"
#include "forkbulk/summary.h"

/* Seconds the ledger may be unreachable at the end of an hour (a
 * PostgreSQL restart) before its outcome is given up. */
#define LEDGER_RECONNECTS 15

struct hour_run {
    int64_t start_us;
    enum fb_job_why why;
    char label[32];
    char index[FB_MSG_INDEX_MAX];
    struct fb_summary sum;
    bool loaded; /* went through the supervisor */
};

struct fb_job {
    const struct fb_options *opts;
    struct fb_pg_spec spec;
    char name[128]; /* the job: lock key and ledger key */
    struct fb_lock *lock;
    struct fb_ledger *ledger;
    int64_t run_id; /* ledger row of the current hour */
    struct hour_run *hours;
    size_t n_hours;
    size_t next;              /* next hour to plan */
    struct hour_run *current; /* the hour being loaded */
    struct fb_pg_plan plan;
    bool planned; /* plan holds an open snapshot */
    bool warned_ids;
    int64_t stale; /* --verify: documents of rows deleted since loaded */
};

static int reconnect_ledger(struct fb_job *job, char *err, size_t errlen);

const char *
fb_job_name(const struct fb_options *opts)
{
    return opts->job != NULL ? opts->job : fb_pg_source_name(opts);
}

static int
add_hour(struct fb_job *job, const struct fb_job_hour *hour, char *err,
         size_t errlen)
{
    struct hour_run *h = &job->hours[job->n_hours];
    int64_t start = hour->start_us;

    memset(h, 0, sizeof(*h));
    h->start_us = start;
    h->why = hour->why;
    fb_hours_format(start, job->opts->timezone, h->label, sizeof(h->label));
    if (fb_hours_index_name(job->opts->index_pattern, start,
                            job->opts->timezone, h->index, sizeof(h->index),
                            err, errlen) < 0)
        return -1;
    job->n_hours++;
    return 0;
}

/* Works out which hours this run loads (job_hours.h). */
static int
plan_hours(struct fb_job *job, char *err, size_t errlen)
{
    struct fb_job_hours_in in = {job->opts, job->name, job->ledger, &job->spec,
                                 fb_unix_us()};
    struct fb_job_hour *starts = NULL;
    size_t n = 0;
    int rc = fb_job_hours(&in, &starts, &n, &job->stale, err, errlen);

    if (rc != FB_EXIT_OK)
        return rc;
    job->hours = calloc(n ? n : 1, sizeof(*job->hours));
    if (job->hours == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = FB_EXIT_OSERR;
    }
    for (size_t i = 0; rc == FB_EXIT_OK && i < n; i++)
        if (add_hour(job, &starts[i], err, errlen) < 0)
            rc = FB_EXIT_USAGE;
    free(starts);
    return rc;
}

/* The lock file: --lock-file, or one per job in the state directory. */
static int
take_lock(struct fb_job *job, char *err, size_t errlen)
{
    struct fb_pg_target pg = {job->spec.conninfo, job->spec.password};
    const char *path = job->opts->lock_file;
    char buf[512];

    if (path == NULL) {
        if (fb_lock_default_path(job->opts->state_dir, job->name, buf,
                                 sizeof(buf), err, errlen) < 0)
            return FB_EXIT_CANTCREAT;
        path = buf;
    }
    return fb_lock_acquire(job->name, path, &pg, &job->lock, err, errlen);
}

/* A dry run's ledger: read-only, missing tables stood in for (ledger.h),
 * and dead runs left for the next real run to reap. */
static int
open_ledger_read_only(struct fb_job *job, char *err, size_t errlen)
{
    struct fb_pg_target pg = {job->spec.conninfo, job->spec.password};
    char note[512];
    int rc =
        fb_ledger_open_read_only(&pg, job->opts->ledger_table, true,
                                 &job->ledger, note, sizeof(note), err, errlen);

    if (rc == 0)
        fb_info("--dry-run: ledger %s; nothing is written to it", note);
    return rc;
}

/* Opens the ledger ([schema.]table) and marks dead runs interrupted. */
static int
open_ledger(struct fb_job *job, char *err, size_t errlen)
{
    size_t reaped = 0;
    int rc;

    if (job->opts->dry_run)
        return open_ledger_read_only(job, err, errlen);
    if ((rc = reconnect_ledger(job, err, errlen)) != 0)
        return rc;
    /* We hold the lock: runs still marked running have died. */
    if ((rc = fb_ledger_reap(job->ledger, job->name, &reaped, err, errlen)) !=
        0)
        return rc;
    if (reaped > 0)
        fb_warn("ledger: %zu earlier run(s) of %s died while running; "
                "marked interrupted",
                reaped, job->name);
    return 0;
}

/* A new ledger connection (no reaping: our own run is the running one). */
static int
reconnect_ledger(struct fb_job *job, char *err, size_t errlen)
{
    struct fb_pg_target pg = {job->spec.conninfo, job->spec.password};

    fb_ledger_close(job->ledger);
    job->ledger = NULL;
    return fb_ledger_open(&pg, job->opts->ledger_table, &job->ledger, err,
                          errlen);
}

int
fb_job_open(const struct fb_options *opts, void **out)
{
    struct fb_job *job = calloc(1, sizeof(*job));
    char err[1024];
    int rc;

    *out = NULL;
    if (job == NULL)
        return FB_EXIT_OSERR;
    job->opts = opts;
    if (fb_pg_spec_from_options(opts, &job->spec, err, sizeof(err)) < 0 ||
        (opts->timezone != NULL &&
         fb_hours_check_timezone(opts->timezone, err, sizeof(err)) < 0)) {
        fb_error("%s", err);
        fb_job_close(job);
        return FB_EXIT_USAGE;
    }
    snprintf(job->name, sizeof(job->name), "%s", fb_job_name(opts));
    if ((rc = take_lock(job, err, sizeof(err))) != 0 ||
        (rc = open_ledger(job, err, sizeof(err))) != 0) {
        fb_error("%s", err);
        fb_job_close(job);
        return rc;
    }
    if ((rc = plan_hours(job, err, sizeof(err))) != 0) {
        fb_error("%s", err);
        fb_job_close(job);
        return rc;
    }
    *out = job;
    return 0;
}

int
fb_job_next_unit(void *ctx, struct fb_unit *unit)
{
    struct fb_job *job = ctx;
    struct hour_run *h;
    struct fb_pg_window win;
    char err[512];
    int rc;

    if (job->planned) { /* a dry run's last hour, described */
        fb_pg_plan_end(&job->plan);
        job->planned = false;
    }
    if (job->next >= job->n_hours)
        return 0;
    h = &job->hours[job->next++];
    /* PostgreSQL may have restarted under the last hour: wait for it a
     * while, as for the ledger. */
    for (int attempt = 0; attempt < LEDGER_RECONNECTS; attempt++) {
        if (attempt > 0)
            sleep(1);
        if ((rc = fb_lock_check(job->lock, err, sizeof(err))) !=
            FB_EXIT_UNAVAILABLE)
            break;
    }
    if (rc != FB_EXIT_OK) {
        fb_error("job lock before hour %s: %s", h->label, err);
        return -rc;
    }
    win.start_us = h->start_us;
    win.end_us = h->start_us + FB_HOUR_US;
    rc = fb_pg_plan(&job->spec, &win, job->opts->workers, &job->plan);
    if (rc != 0)
        return -rc;
    job->planned = true;
    job->current = h;
    if (!job->plan.ids_stable && !job->warned_ids) {
        fb_warn("%s has no primary key and no --id-column/--id-columns: "
                "documents get generated ids, so re-running an hour may "
                "duplicate documents",
                fb_pg_source_name(job->opts));
        job->warned_ids = true;
    }
    if (job->plan.n_ranges == 0)
        fb_info("hour %s: no rows in %s for this window; nothing to load",
                h->label, fb_pg_source_name(job->opts));
    /* The ledger keeps the name readers query; the documents may go to
     * a generation of it (publish.h). */
    if ((rc = fb_publish_target(job->opts, h->index, unit->index,
                                sizeof(unit->index))) != 0)
        return -rc;
    if (!job->opts->dry_run &&
        (rc = fb_ledger_begin(job->ledger, job->name, h->start_us, h->index,
                              job->plan.snapshot, &job->run_id, err,
                              sizeof(err))) != 0) {
        fb_error("ledger: %s", err);
        return -rc;
    }
    snprintf(unit->name, sizeof(unit->name), "hour %s", h->label);
    unit->time_us = h->start_us;
    unit->n_ranges = job->plan.n_ranges;
    return 1;
}

void
fb_job_range(void *ctx, uint64_t i, struct fb_msg *msg)
{
    struct fb_job *job = ctx;

    fb_pg_plan_range(&job->plan, i, &msg->lo, &msg->hi);
    msg->win_start = job->current->start_us;
    msg->win_end = job->current->start_us + FB_HOUR_US;
    msg->kind = (uint8_t)job->plan.split;
    snprintf(msg->snapshot, sizeof(msg->snapshot), "%s", job->plan.snapshot);
}

void
fb_job_range_done(void *ctx, uint64_t i, const struct fb_msg *done)
{
    struct fb_job *job = ctx;
    char err[512];

    if (done->status != FB_EXIT_OK)
        return; /* not completed: the ledger keeps completed ranges only */
    if (fb_ledger_range_done(
            job->ledger, job->run_id, (int)i, (int64_t)done->lo,
            (int64_t)done->hi, (int64_t)done->counts.loaded,
            (int64_t)done->counts.rejected, err, sizeof(err)) != 0)
        fb_warn("ledger: %s", err);
}

/* Done only when the hour is complete: every range loaded to its end,
 * its rejects within the budget. */
static enum fb_run_status
run_status(const struct fb_summary *sum)
{
    if (sum->exit_code == FB_EXIT_SIGINT || sum->exit_code == FB_EXIT_SIGTERM)
        return FB_RUN_INTERRUPTED;
    return sum->exit_code == FB_EXIT_OK ? FB_RUN_DONE : FB_RUN_FAILED;
}

/* What the operator of an hour that did not complete needs to know. */
static void
say_incomplete(const struct hour_run *h)
{
    const struct fb_summary *sum = &h->sum;

    if (sum->exit_code == FB_EXIT_OK || sum->exit_code == FB_EXIT_SIGINT ||
        sum->exit_code == FB_EXIT_SIGTERM)
        return;
    fb_error("hour %s is incomplete (%s; %" PRIu64 " of %" PRIu64
             " records rejected): the next --catch-up loads it again; if it "
             "can never load, record that with --skip-hour %s --reason TEXT",
             h->label, fb_exit_meaning(sum->exit_code), sum->counts.rejected,
             sum->counts.read, h->label);
}

void
fb_job_unit_done(void *ctx, const struct fb_unit *unit,
                 const struct fb_summary *sum)
{
    struct fb_job *job = ctx;
    struct fb_ledger_counts counts;
    char err[512];

    (void)unit;
    if (job->planned) {
        fb_pg_plan_end(&job->plan);
        job->planned = false;
    }
    job->current->sum = *sum;
    job->current->loaded = true;
    say_incomplete(job->current);
    counts.loaded = (int64_t)sum->counts.loaded;
    counts.rejected = (int64_t)sum->counts.rejected;
    counts.read = (int64_t)sum->counts.read;
    if (fb_ledger_end(job->ledger, job->run_id, run_status(sum), &counts, err,
                      sizeof(err)) == 0)
        return;
    /* PostgreSQL may be restarting under the load: the hour's outcome
     * must still reach the ledger, so reconnect for a while and retry. */
    fb_warn("ledger: %s; reconnecting", err);
    for (int attempt = 0; attempt < LEDGER_RECONNECTS; attempt++) {
        if (attempt > 0)
            sleep(1);
        if (reconnect_ledger(job, err, sizeof(err)) == 0 &&
            fb_ledger_end(job->ledger, job->run_id, run_status(sum), &counts,
                          err, sizeof(err)) == 0)
            return;
    }
    fb_error("ledger: cannot record hour %s as %s: %s; the next run "
             "will mark it interrupted",
             job->current->label, fb_ledger_status_name(run_status(sum)), err);
}

/* An hour's outcome in a word: what the ledger records for it. */
static const char *
outcome(const struct hour_run *h)
{
    return h->loaded ? fb_ledger_status_name(run_status(&h->sum))
                     : "not loaded";
}

void
fb_job_report(const void *arg, FILE *out)
{
    const struct fb_job *job = arg;

    for (size_t i = 0; i < job->n_hours; i++) {
        const struct hour_run *h = &job->hours[i];

        if (!h->loaded) {
            fprintf(out, "  hour %s -> %s: not loaded\n", h->label, h->index);
            continue;
        }
        fprintf(out,
                "  hour %s -> %s: %s, %" PRIu64 " read, %" PRIu64
                " loaded, %" PRIu64 " rejected, %.2f s, exit %d (%s)\n",
                h->label, h->index, outcome(h), h->sum.counts.read,
                h->sum.counts.loaded, h->sum.counts.rejected, h->sum.seconds,
                h->sum.exit_code, fb_exit_meaning(h->sum.exit_code));
    }
    if (job->stale > 0)
        fprintf(out,
                "  --verify: %" PRId64 " document(s) of rows deleted since "
                "their hour was loaded stay in the indices\n",
                job->stale);
}

int
fb_job_report_json(const void *arg, void *json_object)
{
    const struct fb_job *job = arg;
    json_t *arr = json_array();

    if (arr == NULL)
        return -1;
    for (size_t i = 0; i < job->n_hours; i++) {
        const struct hour_run *h = &job->hours[i];
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:f, s:i}", "hour",
            h->label, "index", h->index, "outcome", outcome(h), "loaded_to_end",
            h->loaded, "read", (json_int_t)h->sum.counts.read, "loaded",
            (json_int_t)h->sum.counts.loaded, "rejected",
            (json_int_t)h->sum.counts.rejected, "ranges",
            (json_int_t)h->sum.ranges, "ranges_failed",
            (json_int_t)h->sum.ranges_failed, "seconds", h->sum.seconds,
            "exit_code", h->loaded ? h->sum.exit_code : -1);

        if (o == NULL || json_array_append_new(arr, o) < 0) {
            json_decref(arr);
            return -1;
        }
    }
    if (json_object_set_new(json_object, "hours", arr) < 0)
        return -1;
    return json_object_set_new(json_object, "stale_documents",
                               json_integer((json_int_t)job->stale));
}

/* One range of the current hour's plan in its split's terms. */
static void
describe_range(const struct fb_pg_plan *plan, uint64_t i, FILE *out)
{
    char lo_text[FB_PG_TIME_MAX], hi_text[FB_PG_TIME_MAX];
    const char *what = "key";
    uint64_t lo, hi;

    fb_pg_plan_range(plan, i, &lo, &hi);
    if (plan->split == FB_PG_SPLIT_TIME) {
        what = "time";
        fb_pg_format_us((int64_t)lo, lo_text, sizeof(lo_text));
        fb_pg_format_us((int64_t)hi, hi_text, sizeof(hi_text));
    } else if (plan->split == FB_PG_SPLIT_CTID) {
        what = "blocks";
        snprintf(lo_text, sizeof(lo_text), "%" PRIu64, lo);
        snprintf(hi_text, sizeof(hi_text), "%" PRIu64, hi);
    } else { /* a key: int64 bounds, two's complement */
        snprintf(lo_text, sizeof(lo_text), "%" PRId64, (int64_t)lo);
        snprintf(hi_text, sizeof(hi_text), "%" PRId64, (int64_t)hi);
    }
    fb_dry_run_range(out, i, what, lo_text,
                     plan->split == FB_PG_SPLIT_CTID && hi == FB_PG_CTID_END
                         ? NULL
                         : hi_text);
}

void
fb_job_describe(const void *arg, const struct fb_unit *unit, FILE *out)
{
    static const char *const splits[] = {
        [FB_PG_SPLIT_AUTO] = "auto",
        [FB_PG_SPLIT_KEY] = "key",
        [FB_PG_SPLIT_TIME] = "time",
        [FB_PG_SPLIT_CTID] = "ctid",
    };
    const struct fb_job *job = arg;
    const struct fb_pg_plan *plan = &job->plan;
    double per_range =
        plan->n_ranges > 0 ? plan->row_estimate / (double)plan->n_ranges : 0;

    (void)unit;
    fprintf(out, "  why: %s\n", fb_job_why_name(job->current->why));
    if (plan->row_estimate < 0)
        fprintf(out, "  split: %s, no row estimate; ids: %s\n",
                splits[plan->split], plan->id_desc);
    else
        fprintf(out,
                "  split: %s, ~%.0f row(s) estimated (~%.1f per range); "
                "ids: %s\n",
                splits[plan->split], plan->row_estimate, per_range,
                plan->id_desc);
    for (uint64_t i = 0; i < plan->n_ranges; i++)
        describe_range(plan, i, out);
}

void
fb_job_metrics(const struct fb_options *opts, void *arg, struct fb_metrics *m)
{
    struct fb_job *job = arg;
    int64_t done_us = 0, oldest_us = 0;
    char err[512];

    snprintf(m->job, sizeof(m->job), "%s", fb_job_name(opts));
    if (job == NULL)
        return; /* the lock was busy, or PostgreSQL down: nothing known */
    for (size_t i = 0; i < job->n_hours; i++) {
        const struct hour_run *h = &job->hours[i];

        if (h->loaded && run_status(&h->sum) == FB_RUN_DONE)
            m->hours_loaded++;
        else if (h->loaded)
            m->hours_failed++;
    }
    if (job->ledger == NULL ||
        fb_ledger_health(job->ledger, job->name, &done_us, &oldest_us, err,
                         sizeof(err)) != 0) {
        fb_warn("metrics: %s; the previous values of the oldest incomplete "
                "hour and the last success stay",
                job->ledger == NULL ? "no ledger" : err);
        return;
    }
    if ((double)done_us / 1e6 > m->last_success)
        m->last_success = (double)done_us / 1e6;
    m->oldest_incomplete = (double)oldest_us / 1e6;
    m->oldest_known = true;
}

void
fb_job_close(void *arg)
{
    struct fb_job *job = arg;

    if (job == NULL)
        return;
    if (job->planned)
        fb_pg_plan_end(&job->plan);
    fb_ledger_close(job->ledger);
    fb_lock_release(job->lock);
    free(job->hours);
    free(job);
}
