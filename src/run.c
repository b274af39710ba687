/*
 * run.c
 *    One run, from options to exit code (see run.h).
 */
#include "forkbulk/run.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "forkbulk/check.h"
#include "forkbulk/clock.h"
#include "forkbulk/dry_run.h"
#include "forkbulk/index_counts.h"
#include "forkbulk/lifecycle.h"
#include "forkbulk/log.h"
#include "forkbulk/metrics.h"
#include "forkbulk/progress.h"
#include "forkbulk/rejects.h"
#include "forkbulk/sink.h"
#include "forkbulk/source.h"
#include "forkbulk/status.h"
#include "forkbulk/summary.h"
#include "forkbulk/supervisor.h"
#include "forkbulk/worker.h"

struct run {
    const struct fb_options *opts;
    const struct fb_source *src;
    struct fb_lifecycle *lifecycle; /* the index around each unit */
    bool checked;                   /* the cluster answered once */
    int status;             /* the worst code the lifecycle gave a unit */
    char rejects[PATH_MAX]; /* the current unit's reject file, or "" */
    char cluster[64];       /* what the cluster said it is */
};

static int
worker_body(void *arg, int cmd_fd, int res_fd)
{
    const struct run *r = arg;

    return fb_worker_main(r->opts, r->src, cmd_fd, res_fd);
}

/* The unit's reject file (its name expanded for the unit's time),
 * checked without emptying it, so that a failure shows before any work. */
static int
prepare_rejects(struct run *r, const struct fb_unit *unit)
{
    char err[PATH_MAX + 256];

    if (fb_rejects_for_unit(r->opts->reject_file, unit->time_us,
                            r->opts->timezone, r->rejects, sizeof(r->rejects),
                            err, sizeof(err)) < 0) {
        fb_error("%s", err);
        return FB_EXIT_CANTCREAT;
    }
    return FB_EXIT_OK;
}

/* The cluster answers: checked once per run, before the first thing
 * that needs it (its warnings are said once). */
static int
check_cluster(void *arg)
{
    struct run *r = arg;
    int rc;

    if (r->checked)
        return FB_EXIT_OK;
    rc = fb_sink_check(r->opts, r->cluster, sizeof(r->cluster));
    if (rc != FB_EXIT_OK)
        return rc;
    fb_info("cluster at %s is %s; %d worker(s)", r->opts->es_url, r->cluster,
            r->opts->workers);
    r->checked = true;
    return FB_EXIT_OK;
}

/* Before a unit's first range: its reject file, the cluster, then its
 * index (lifecycle.h). */
static int
unit_begin(void *arg, const struct fb_unit *unit, struct fb_summary *total)
{
    struct run *r = arg;
    int rc = prepare_rejects(r, unit);

    if (rc == FB_EXIT_OK)
        rc = check_cluster(r);
    if (rc != FB_EXIT_OK)
        return rc;
    snprintf(total->cluster, sizeof(total->cluster), "%s", r->cluster);
    return fb_lifecycle_unit_begin(r->lifecycle, unit);
}

/* The unit's index gets its settings back, is refreshed and published
 * (lifecycle.h); a unit whose index could not be is incomplete.
 * Rejects within the budget are said, once per unit. */
static void
unit_end(void *arg, const struct fb_unit *unit, struct fb_summary *summary)
{
    struct run *r = arg;
    int rc = fb_lifecycle_unit_end(r->lifecycle, unit, summary);

    if (rc != FB_EXIT_OK) {
        summary->exit_code = fb_exit_worse(summary->exit_code, rc);
        r->status = fb_exit_worse(r->status, rc);
    }
    if (summary->exit_code == FB_EXIT_OK && summary->counts.rejected > 0)
        fb_warn("%s: %llu record(s) rejected, within --max-rejects; see %s",
                unit->name, (unsigned long long)summary->counts.rejected,
                r->rejects[0] != '\0' ? r->rejects : "the log above");
}

/* The summary on stderr (always when something went wrong) and as JSON. */
static int
report(const struct run *r, const void *plan, struct fb_summary *summary,
       int rc)
{
    const struct fb_options *opts = r->opts;
    const char *source = r->src->name(opts);

    if (opts->verbosity > 0 || rc != FB_EXIT_OK) {
        fb_summary_print(summary, opts, source, stderr);
        if (r->src->report != NULL)
            r->src->report(plan, stderr);
    }
    if (opts->summary_json != NULL) {
        char err[512];
        int wrc =
            fb_summary_write_json(summary, opts, source, opts->summary_json,
                                  r->src->report_json, plan, err, sizeof(err));

        if (wrc != FB_EXIT_OK) {
            fb_error("%s", err);
            rc = fb_exit_worse(rc, wrc);
        }
    }
    return rc;
}

/* The run's metrics (metrics.h), whatever happened: what the summary
 * says, then what the source adds.  A file that cannot be written fails
 * the run with its code. */
static int
write_metrics(const struct run *r, void *plan, const struct fb_summary *s,
              int rc, double started)
{
    struct fb_metrics m;
    char err[PATH_MAX + 256];
    int wrc;

    if (r->opts->metrics_file == NULL)
        return rc;
    fb_metrics_init(&m, r->src->name(r->opts));
    m.run_end = (double)fb_unix_us() / 1e6;
    m.duration = fb_monotonic_seconds() - started;
    m.exit_code = rc;
    m.lock_busy = rc == FB_EXIT_TEMPFAIL;
    m.docs_loaded = s->counts.loaded;
    m.docs_rejected = s->counts.rejected;
    if (rc == FB_EXIT_OK)
        m.last_success = m.run_end;
    /* A source with nothing to add has no hours, so none incomplete. */
    m.oldest_known = r->src->metrics == NULL;
    if (r->src->metrics != NULL)
        r->src->metrics(r->opts, plan, &m);
    wrc = fb_metrics_write(r->opts->metrics_file, &m, err, sizeof(err));
    if (wrc != FB_EXIT_OK) {
        fb_error("%s", err);
        rc = fb_exit_worse(rc, wrc);
    }
    return rc;
}

/* A load: plan, workers, summary, metrics. */
static int
load(const struct fb_options *opts, const struct fb_source *src,
     int *stop_signal)
{
    struct run r = {opts, src, NULL, false, FB_EXIT_OK, "", ""};
    struct fb_supervisor_hooks hooks = {.worker_main = worker_body,
                                        .unit_begin = unit_begin,
                                        .unit_end = unit_end,
                                        .arg = &r};
    struct fb_progress progress;
    struct fb_summary summary;
    double started = fb_monotonic_seconds();
    void *plan = NULL;
    int rc;

    memset(&summary, 0, sizeof(summary));
    rc = fb_lifecycle_new(opts, &r.lifecycle);
    if (rc == FB_EXIT_OK)
        rc = src->plan_open(opts, &plan);
    if (rc == FB_EXIT_OK) /* the job's lock is held from here on */
        rc = fb_lifecycle_recover(r.lifecycle, check_cluster, &r, &r.status);
    if (rc == FB_EXIT_OK) {
        fb_progress_start(&progress, opts, &hooks);
        rc = fb_supervisor_run(opts, src, plan, &hooks, &summary);
        fb_progress_end(&progress); /* the line goes before the summary */
        summary.exit_code = rc = fb_exit_worse(rc, r.status);
        rc = report(&r, plan, &summary, rc);
        *stop_signal = summary.stop_signal;
    }
    rc = write_metrics(&r, plan, &summary, rc, started);
    fb_index_counts_free(summary.indices);
    if (plan != NULL)
        src->plan_close(plan);
    fb_lifecycle_free(r.lifecycle);
    return rc;
}

/* --dry-run: the settings a load checks before any work (lifecycle.h),
 * then the plan opened as for a load, printed, closed. */
static int
dry_run(const struct fb_options *opts, const struct fb_source *src)
{
    struct fb_lifecycle *lifecycle = NULL;
    void *plan = NULL;
    int rc = fb_lifecycle_new(opts, &lifecycle);

    fb_lifecycle_free(lifecycle);
    if (rc != FB_EXIT_OK)
        return rc;
    rc = src->plan_open(opts, &plan);

    if (rc == FB_EXIT_OK)
        rc = fb_dry_run(opts, src, plan, stdout);
    if (plan != NULL)
        src->plan_close(plan);
    return rc;
}

int
fb_run(const struct fb_options *opts, int *stop_signal)
{
    const struct fb_source *src = fb_source_for(opts);

    *stop_signal = 0;
    if (opts->check)
        return fb_check(opts, src, stdout);
    if (opts->dry_run)
        return dry_run(opts, src);
    return load(opts, src, stop_signal);
}
