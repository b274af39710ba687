/*
 * dry_run.h
 *    --dry-run: plan as a run would, print the plan, load nothing.
 *
 * The run opens the source's plan as for a load (plan_open: the hourly
 * job takes its lock as usual, so a dry run never overlaps a real run,
 * and opens its ledger read-only, ledger.h), then hands it here.  The
 * cluster is checked (GET /, as a run checks it before its first unit);
 * then every unit is planned (next_unit) and printed on out with what
 * would apply to it, e.g.
 *
 *   forkbulk dry run: nothing is loaded, no index is changed, the ledger
 *   is not written
 *   source: postgresql public.flows
 *   cluster: Elasticsearch 8.13.1 at https://es:9200
 *   settings: workers=4 batch_docs=5000 batch_bytes=10485760 op=index
 *   refresh=true compress=false max_rejects=0 retries=8
 *   hour 2026-11-27T03 -> flows-2026.11.27.03: 64 range(s)
 *     reject file: /var/log/forkbulk/rejects-2026112703.ndjson
 *     why: catch-up: not done in the ledger
 *     split: key, ~7850484 row(s) estimated (~122664 per range); ids: ...
 *     range 0: key [1, 122666)
 *     ...
 *   total: 1 unit(s), 64 range(s)
 *
 * (the indented lines after the reject file are the source's describe
 * op).  No worker is forked, no _bulk is sent, no index is created or
 * changed, no ledger row is written, no reject file is created (an
 * existing one is checked as a run checks it, and left as it is), and
 * the metrics file is left alone: a dry run is not a run of the job.
 */
#ifndef FORKBULK_DRY_RUN_H
#define FORKBULK_DRY_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "forkbulk/options.h"
#include "forkbulk/source.h"

/* Prints the plan of src (plan is its plan_open's) on out.  0, or the
 * exit code of what a run would have failed on (the cluster, a unit
 * that cannot be planned, a reject file that cannot be used), logged. */
int fb_dry_run(const struct fb_options *opts, const struct fb_source *src,
               void *plan, FILE *out);

/* One range of a unit's description (a source's describe op), the same
 * for every source: "  range i: what [lo, hi)", or with hi NULL (a range
 * that runs to the end of the input) "  range i: what [lo, end)". */
void fb_dry_run_range(FILE *out, uint64_t i, const char *what, const char *lo,
                      const char *hi);

#endif
