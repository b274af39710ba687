/*
 * job_hours.c
 *    Which hours one run of the hourly job loads (see job_hours.h).
 */
#include "forkbulk/job_hours.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/hours.h"
#include "forkbulk/index_admin.h"
#include "forkbulk/log.h"
#include "forkbulk/pg_plan.h"
#include "forkbulk/status.h"

/* Bound of the --lookback and --verify windows: 366 days of hours. */
#define WINDOW_HOURS_MAX (366 * 24)

/* Hours picked so far (never more than cap), and the documents that
 * --verify found left behind by deleted rows. */
struct picks {
    struct fb_job_hour *h;
    size_t n, cap;
    int64_t stale;
};

const char *
fb_job_why_name(enum fb_job_why why)
{
    static const char *const names[] = {
        [FB_JOB_WHY_HOUR] = "--hour",
        [FB_JOB_WHY_RANGE] = "--from/--to",
        [FB_JOB_WHY_CATCH_UP] = "catch-up: not done in the ledger",
        [FB_JOB_WHY_VERIFY] = "verify: the source or the index disagrees",
    };

    return (unsigned)why < sizeof(names) / sizeof(names[0]) ? names[why]
                                                            : "unknown";
}

static int
picks_init(struct picks *p, size_t cap, char *err, size_t errlen)
{
    p->n = 0;
    p->cap = cap;
    p->stale = 0;
    p->h = calloc(cap > 0 ? cap : 1, sizeof(*p->h));
    if (p->h == NULL) {
        snprintf(err, errlen, "out of memory");
        return FB_EXIT_OSERR;
    }
    return FB_EXIT_OK;
}

static bool
picked(const struct picks *p, int64_t start)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->h[i].start_us == start)
            return true;
    return false;
}

static void
pick(struct picks *p, int64_t start, enum fb_job_why why)
{
    if (p->n < p->cap && !picked(p, start)) {
        p->h[p->n].start_us = start;
        p->h[p->n++].why = why;
    }
}

static int
by_start(const void *a, const void *b)
{
    int64_t x = ((const struct fb_job_hour *)a)->start_us;
    int64_t y = ((const struct fb_job_hour *)b)->start_us;

    return (x > y) - (x < y);
}

/* A duration option ("2m", "6h"), where "0" means none. */
static int
parse_window(const char *flag, const char *text, int64_t *us, char *err,
             size_t errlen)
{
    char why[160];

    if (strcmp(text, "0") == 0) {
        *us = 0;
        return FB_EXIT_OK;
    }
    if (fb_hours_parse_duration(text, us, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "--%s: %s", flag, why);
        return FB_EXIT_USAGE;
    }
    return FB_EXIT_OK;
}

/* The moment hours must have ended by to be loaded: now - --settle. */
static int
settled_now(const struct fb_job_hours_in *in, int64_t *t, char *err,
            size_t errlen)
{
    int64_t settle;
    int rc = parse_window("settle", in->opts->settle, &settle, err, errlen);

    *t = in->now_us - settle;
    return rc;
}

/* The whole hours of the `window` before the last settled hour's end:
 * [*from, *to). */
static int
window_hours(const struct fb_job_hours_in *in, int64_t window, int64_t *from,
             int64_t *to, size_t *n, char *err, size_t errlen)
{
    int64_t now;
    int rc = settled_now(in, &now, err, errlen);

    if (rc != FB_EXIT_OK)
        return rc;
    if (fb_hours_lookback(now, window, in->opts->timezone, WINDOW_HOURS_MAX,
                          from, to, n, err, errlen) < 0)
        return FB_EXIT_USAGE;
    return FB_EXIT_OK;
}

/*
 * --verify: a done hour is loaded again when its source now has rows its
 * load did not read (rows that committed late), or its index lost
 * documents.  Rows deleted since cannot be fixed by a load (it
 * overwrites, it does not delete): those are reported.
 */
/* What verify_hour asks, on one connection each for the whole window. */
struct counters {
    struct fb_pg_counter *rows;
    struct fb_index_admin *docs;
};

static int
verify_hour(const struct fb_job_hours_in *in, const struct counters *cs,
            const struct fb_ledger_done *d, struct picks *p, char *err,
            size_t errlen)
{
    struct fb_pg_window win = {d->hour_us, d->hour_us + FB_HOUR_US};
    char label[32];
    int64_t rows;
    uint64_t docs;
    int rc;

    if ((rc = fb_pg_counter_count(cs->rows, &win, &rows, err, errlen)) != 0)
        return rc;
    if ((rc = fb_index_admin_count(cs->docs, d->index, &docs)) != 0) {
        snprintf(err, errlen, "cannot count index %s", d->index);
        return rc;
    }
    fb_hours_format(d->hour_us, in->opts->timezone, label, sizeof(label));
    if (rows > d->read || (int64_t)docs < d->loaded) {
        fb_warn("hour %s: source now %" PRId64 " rows, ledger %" PRId64
                " read (%" PRId64 " loaded), index %s %" PRIu64
                " documents: reloading",
                label, rows, d->read, d->loaded, d->index, docs);
        pick(p, d->hour_us, FB_JOB_WHY_VERIFY);
    } else if (rows < d->read) {
        fb_warn("hour %s: source now %" PRId64 " rows, ledger %" PRId64
                " read: documents of %" PRId64 " deleted rows stay in index %s",
                label, rows, d->read, d->read - rows, d->index);
        p->stale += d->read - rows;
    }
    return FB_EXIT_OK;
}

/* Verifies the done hours not picked already; the connections open at
 * the first of them. */
static int
verify_listed(const struct fb_job_hours_in *in,
              const struct fb_ledger_done *done, size_t n, struct picks *p,
              char *err, size_t errlen)
{
    struct counters cs = {NULL, NULL};
    int rc = FB_EXIT_OK;

    for (size_t i = 0; rc == FB_EXIT_OK && i < n; i++) {
        if (picked(p, done[i].hour_us))
            continue;
        if (cs.rows == NULL)
            rc = fb_pg_counter_open(in->spec, &cs.rows, err, errlen);
        if (rc == FB_EXIT_OK && cs.docs == NULL &&
            (cs.docs = fb_index_admin_open(in->opts,
                                           in->opts->retry_time_ms)) == NULL) {
            snprintf(err, errlen, "out of memory");
            rc = FB_EXIT_OSERR;
        }
        if (rc == FB_EXIT_OK)
            rc = verify_hour(in, &cs, &done[i], p, err, errlen);
    }
    fb_pg_counter_close(cs.rows);
    fb_index_admin_close(cs.docs);
    return rc;
}

static int
verify_done_hours(const struct fb_job_hours_in *in, struct picks *p, char *err,
                  size_t errlen)
{
    struct fb_ledger_done *done = NULL;
    int64_t window, from, to;
    size_t hours = 0, n = 0;
    int rc = parse_window("verify", in->opts->verify, &window, err, errlen);

    if (rc != FB_EXIT_OK || window == 0)
        return rc;
    if ((rc = window_hours(in, window, &from, &to, &hours, err, errlen)) != 0)
        return rc;
    /* The window's hours bound its done ones. */
    if ((done = calloc(hours > 0 ? hours : 1, sizeof(*done))) == NULL) {
        snprintf(err, errlen, "out of memory");
        return FB_EXIT_OSERR;
    }
    rc = fb_ledger_done_hours(in->ledger, in->job, from, to, done, hours, &n,
                              err, errlen);
    if (rc == FB_EXIT_OK)
        rc = verify_listed(in, done, n, p, err, errlen);
    free(done);
    return rc;
}

static int
plan_catch_up(const struct fb_job_hours_in *in, struct picks *p, char *err,
              size_t errlen)
{
    size_t max = (size_t)in->opts->max_hours;
    int64_t lookback, from, to, *pending = NULL;
    size_t hours, n = 0, remaining = 0;
    int rc =
        parse_window("lookback", in->opts->lookback, &lookback, err, errlen);

    if (rc == FB_EXIT_OK)
        rc = window_hours(in, lookback, &from, &to, &hours, err, errlen);
    if (rc != FB_EXIT_OK)
        return rc;
    if ((pending = calloc(max, sizeof(*pending))) == NULL) {
        snprintf(err, errlen, "out of memory");
        return FB_EXIT_OSERR;
    }
    rc = fb_ledger_pending(in->ledger, in->job, from, to - FB_HOUR_US, max,
                           pending, max, &n, &remaining, err, errlen);
    for (size_t i = 0; rc == FB_EXIT_OK && i < n; i++)
        pick(p, pending[i], FB_JOB_WHY_CATCH_UP);
    free(pending);
    if (rc != FB_EXIT_OK)
        return rc;
    if (remaining > 0)
        fb_warn("catch-up: %zu hour(s) to load now, %zu more wait for the "
                "next run (--max-hours %zu)",
                n, remaining, max);
    else
        fb_info("catch-up: %zu hour(s) to load", n);
    /* Verification only adds hours the cap leaves room for. */
    return verify_done_hours(in, p, err, errlen);
}

/* --skip-hour T --reason TEXT: recorded, nothing loaded. */
static int
skip_hour(const struct fb_job_hours_in *in, char *err, size_t errlen)
{
    const struct fb_options *o = in->opts;
    char index[FB_MSG_INDEX_MAX];
    int64_t hour;
    int rc;

    if (o->reason == NULL || o->reason[0] == '\0') {
        snprintf(err, errlen,
                 "--skip-hour needs --reason: why the hour "
                 "cannot be loaded, for the ledger");
        return FB_EXIT_USAGE;
    }
    if (fb_hours_parse_hour(o->skip_hour, o->timezone, in->now_us, &hour, err,
                            errlen) < 0 ||
        fb_hours_index_name(o->index_pattern, hour, o->timezone, index,
                            sizeof(index), err, errlen) < 0)
        return FB_EXIT_USAGE;
    if (o->dry_run) {
        fb_warn("--dry-run: hour %s of job %s would be recorded as skipped: "
                "%s",
                o->skip_hour, in->job, o->reason);
        return FB_EXIT_OK;
    }
    if ((rc = fb_ledger_skip(in->ledger, in->job, hour, index, o->reason, err,
                             errlen)) != 0)
        return rc;
    fb_warn("hour %s of job %s recorded as skipped: %s", o->skip_hour, in->job,
            o->reason);
    return FB_EXIT_OK;
}

/* --hour H or --from/--to. */
static int
plan_given(const struct fb_job_hours_in *in, struct picks *p, char *err,
           size_t errlen)
{
    const struct fb_options *o = in->opts;
    int64_t from, to, now;
    size_t n = 1;
    int rc;

    if (o->hour != NULL) {
        if ((rc = settled_now(in, &now, err, errlen)) != FB_EXIT_OK)
            return rc;
        if (fb_hours_parse_hour(o->hour, o->timezone, now, &from, err, errlen) <
            0)
            return FB_EXIT_USAGE;
    } else if (o->from == NULL || o->to == NULL) {
        snprintf(err, errlen, "--from and --to go together");
        return FB_EXIT_USAGE;
    } else if (fb_hours_parse_range(o->from, o->to, o->timezone,
                                    (size_t)o->max_hours, &from, &to, &n, err,
                                    errlen) < 0) {
        return FB_EXIT_USAGE;
    }
    for (size_t i = 0; i < n; i++)
        pick(p, from + (int64_t)i * FB_HOUR_US,
             o->hour != NULL ? FB_JOB_WHY_HOUR : FB_JOB_WHY_RANGE);
    return FB_EXIT_OK;
}

int
fb_job_hours(const struct fb_job_hours_in *in, struct fb_job_hour **hours,
             size_t *n, int64_t *stale, char *err, size_t errlen)
{
    const struct fb_options *o = in->opts;
    struct picks p = {NULL, 0, 0, 0};
    int modes = (o->hour != NULL) + (o->from != NULL || o->to != NULL) +
                o->catch_up + (o->skip_hour != NULL);
    int rc;

    *hours = NULL;
    *n = 0;
    *stale = 0;
    if (modes != 1) {
        snprintf(err, errlen,
                 modes == 0 ? "say which hours to load: --hour last, --hour "
                              "2026-11-27T03, --from T --to T, or --catch-up"
                            : "--hour, --from/--to, --catch-up and --skip-hour "
                              "exclude each other");
        return FB_EXIT_USAGE;
    }
    if (o->skip_hour != NULL)
        return skip_hour(in, err, errlen);
    if ((rc = picks_init(&p, (size_t)o->max_hours, err, errlen)) != 0)
        return rc;
    rc = o->catch_up ? plan_catch_up(in, &p, err, errlen)
                     : plan_given(in, &p, err, errlen);
    if (rc != FB_EXIT_OK) {
        free(p.h);
        return rc;
    }
    qsort(p.h, p.n, sizeof(*p.h), by_start);
    *hours = p.h;
    *n = p.n;
    *stale = p.stale;
    return FB_EXIT_OK;
}
