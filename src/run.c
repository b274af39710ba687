/*
 * run.c
 *    One run, from options to exit code (see run.h).
 */
#include "forkbulk/run.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "forkbulk/log.h"
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
    bool checked;           /* the cluster answered once */
    char rejects[PATH_MAX]; /* the current unit's reject file, or "" */
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

    r->rejects[0] = '\0';
    if (r->opts->reject_file == NULL)
        return FB_EXIT_OK;
    if (fb_rejects_path(r->opts->reject_file, unit->time_us, r->opts->timezone,
                        r->rejects, sizeof(r->rejects), err, sizeof(err)) < 0 ||
        fb_rejects_prepare(r->rejects, err, sizeof(err)) < 0) {
        fb_error("%s", err);
        return FB_EXIT_CANTCREAT;
    }
    return FB_EXIT_OK;
}

/* Before a unit's first range: its reject file, and the cluster, which is
 * checked once per run. */
static int
unit_begin(void *arg, const struct fb_unit *unit, struct fb_summary *total)
{
    struct run *r = arg;
    int rc = prepare_rejects(r, unit);

    if (rc != FB_EXIT_OK || r->checked)
        return rc;
    rc = fb_sink_check(r->opts, total->cluster, sizeof(total->cluster));
    if (rc != FB_EXIT_OK)
        return rc;
    fb_info("cluster at %s is %s; %d worker(s)", r->opts->es_url,
            total->cluster, r->opts->workers);
    r->checked = true;
    return FB_EXIT_OK;
}

/* A loaded unit is made searchable at once, unless the run was stopped;
 * rejects within the budget are said, once per unit. */
static void
unit_end(void *arg, const struct fb_unit *unit, struct fb_summary *summary)
{
    const struct run *r = arg;

    if (r->opts->refresh && summary->ranges_done > 0 &&
        summary->exit_code != FB_EXIT_SIGINT &&
        summary->exit_code != FB_EXIT_SIGTERM)
        fb_sink_refresh(r->opts, unit->index);
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

int
fb_run(const struct fb_options *opts, int *stop_signal)
{
    struct run r = {opts, fb_source_for(opts), false, ""};
    struct fb_supervisor_hooks hooks = {.worker_main = worker_body,
                                        .unit_begin = unit_begin,
                                        .unit_end = unit_end,
                                        .arg = &r};
    struct fb_progress progress;
    struct fb_summary summary;
    void *plan = NULL;
    int rc;

    *stop_signal = 0;
    if (opts->dry_run || opts->check) {
        /* Until they are built, never load when asked not to. */
        fb_error("--dry-run and --check are not available in this build");
        return FB_EXIT_USAGE;
    }
    rc = r.src->plan_open(opts, &plan);
    if (rc == FB_EXIT_OK) {
        fb_progress_start(&progress, opts, &hooks);
        rc = fb_supervisor_run(opts, r.src, plan, &hooks, &summary);
        fb_progress_end(&progress); /* the line goes before the summary */
        rc = report(&r, plan, &summary, rc);
        *stop_signal = summary.stop_signal;
    }
    if (plan != NULL)
        r.src->plan_close(plan);
    return rc;
}
