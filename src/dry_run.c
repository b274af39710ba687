/*
 * dry_run.c
 *    --dry-run: the plan, printed instead of loaded (see dry_run.h).
 */
#include "forkbulk/dry_run.h"

#include <inttypes.h>
#include <limits.h>

#include "forkbulk/log.h"
#include "forkbulk/rejects.h"
#include "forkbulk/sink.h"
#include "forkbulk/status.h"

void
fb_dry_run_range(FILE *out, uint64_t i, const char *what, const char *lo,
                 const char *hi)
{
    fprintf(out, "  range %" PRIu64 ": %s [%s, %s)\n", i, what, lo,
            hi != NULL ? hi : "end");
}

/* What a run with opts would apply to every unit. */
static void
print_settings(const struct fb_options *opts, const struct fb_source *src,
               FILE *out)
{
    fprintf(out,
            "settings: workers=%d batch_docs=%zu batch_bytes=%zu op=%s "
            "refresh=%s compress=%s ",
            fb_source_workers(src, opts), opts->batch_docs, opts->batch_bytes,
            opts->op == FB_OP_CREATE ? "create" : "index",
            opts->refresh ? "true" : "false",
            opts->compress ? "true" : "false");
    if (opts->max_rejects_pct > 0)
        fprintf(out, "max_rejects=%g%%", opts->max_rejects_pct);
    else
        fprintf(out, "max_rejects=%" PRIu64, opts->max_rejects);
    fprintf(out, " retries=%d\n", opts->max_retries);
}

/* One unit, just planned: its line, its reject file, the source's
 * description.  0, or the reject file's exit code. */
static int
print_unit(const struct fb_options *opts, const struct fb_source *src,
           void *plan, const struct fb_unit *unit, FILE *out)
{
    char rejects[PATH_MAX], err[PATH_MAX + 256];

    fprintf(out, "%s -> %s: %" PRIu64 " range(s)\n", unit->name, unit->index,
            unit->n_ranges);
    if (fb_rejects_for_unit(opts->reject_file, unit->time_us, opts->timezone,
                            rejects, sizeof(rejects), err, sizeof(err)) < 0) {
        fb_error("%s", err);
        return FB_EXIT_CANTCREAT;
    }
    if (rejects[0] != '\0')
        fprintf(out, "  reject file: %s\n", rejects);
    if (src->describe != NULL)
        src->describe(plan, unit, out);
    return FB_EXIT_OK;
}

int
fb_dry_run(const struct fb_options *opts, const struct fb_source *src,
           void *plan, FILE *out)
{
    struct fb_unit unit;
    char cluster[64];
    uint64_t units = 0, ranges = 0;
    int rc = fb_sink_check(opts, cluster, sizeof(cluster));
    int n;

    fprintf(out, "forkbulk dry run: nothing is loaded, no index is changed, "
                 "the ledger is not written\n");
    fprintf(out, "source: %s %s\n", src->kind, src->name(opts));
    if (rc != FB_EXIT_OK) {
        fprintf(out, "cluster: %s: unusable (see the log)\n", opts->es_url);
        return rc;
    }
    fprintf(out, "cluster: %s at %s\n", cluster, opts->es_url);
    print_settings(opts, src, out);
    while ((n = src->next_unit(plan, &unit)) > 0) {
        if ((rc = print_unit(opts, src, plan, &unit, out)) != FB_EXIT_OK)
            return rc;
        units++;
        ranges += unit.n_ranges;
    }
    if (n < 0)
        return -n;
    fprintf(out, "total: %" PRIu64 " unit(s), %" PRIu64 " range(s)\n", units,
            ranges);
    fflush(out);
    return FB_EXIT_OK;
}
