/*
 * lifecycle.h
 *    The index around each unit's load, in the parent: the settings a
 *    load runs with, putting back those it found, the index template,
 *    and publishing by alias (publish.h).  run.c calls it from the
 *    supervisor's unit hooks.
 *
 * Before a unit's first range (fb_lifecycle_unit_begin):
 *   - the first time in the run: --index-template is installed or
 *     updated (PUT _index_template/NAME), before any index is created;
 *   - --publish alias: generations of the name that a failed or killed
 *     load left are deleted;
 *   - the unit's index is created when it is not there (PUT, no body,
 *     so that the cluster's index templates apply);
 *   - the index's current values of the --load-settings keys are read
 *     (a setting not set is a value too: null), written where the next
 *     run finds them (restore_store.h), and only then are the load
 *     settings set.
 * After its last range, whatever the outcome (fb_lifecycle_unit_end):
 *   - the values found are put back exactly (null: not set) and their
 *     record dropped;
 *   - the index is refreshed (--refresh), unless the run was stopped;
 *   - --publish alias, the unit complete: refreshed in any case, then
 *     the alias switched and the previous generation deleted.
 * With --time-field a file's records go to each one's own hour index,
 * which _bulk creates (the cluster's index templates apply): the unit's
 * one index is not loaded, so only the template and the refresh (of
 * every index the records named) are done, and --publish alias is
 * refused (64).
 *
 * At the start of a run, before any unit (fb_lifecycle_recover), every
 * record the job's runs that died left is put back first, each with a
 * warning "restoring the settings of index X left by a run that died".
 *
 * The calls of a unit's load get --retries within --retry-time, as a
 * batch does; the restore after a load that failed or was stopped gets
 * --grace (at least 5 s): the run is ending, and what it cannot put back
 * the next run does.
 *
 * A run with nowhere to write a record (the ledger's restore table it
 * may not create or use, a state directory it cannot make) loads without
 * load settings and says why in a warning: settings changed without a
 * record could stay changed forever.  So does a file load of an index
 * whose settings another file load in progress has changed.
 */
#ifndef FORKBULK_LIFECYCLE_H
#define FORKBULK_LIFECYCLE_H

#include "forkbulk/options.h"
#include "forkbulk/source.h"
#include "forkbulk/summary.h"

struct fb_lifecycle;

/*
 * In the parent before any work: --load-settings parsed, the template
 * file read and checked as JSON, --replace checked.  0 with *out, or an
 * exit code after logging why: 64 for --load-settings that are not
 * KEY=VALUE,..., --replace with --catch-up or --publish alias with
 * --time-field, 78 for a template file
 * that cannot be read or is not a JSON object (naming the file and the
 * JSON error).
 */
int fb_lifecycle_new(const struct fb_options *opts, struct fb_lifecycle **out);

/*
 * Once the job's lock is held: puts back what runs of the job that died
 * left (see above), once cluster_ok(arg), the run's check that the
 * cluster answers, returned 0.  Returns 0, or the exit code that ends the
 * run before any unit (cluster_ok's: the cluster does not answer).  A restore
 * that fails otherwise is logged and its code made *status's worst: the run
 * goes on, the record stays, and a load of that index puts back what the record
 * holds.
 */
int fb_lifecycle_recover(struct fb_lifecycle *lc, int (*cluster_ok)(void *arg),
                         void *arg, int *status);

/* Before unit's first range.  0, or an exit code that fails the unit. */
int fb_lifecycle_unit_begin(struct fb_lifecycle *lc,
                            const struct fb_unit *unit);

/*
 * After unit's last range (also when unit_begin failed, the unit failed
 * or the run was stopped; summary is the unit's).  0, or the exit code
 * that makes a unit incomplete: its settings could not be put back, or
 * its generation not published.
 */
int fb_lifecycle_unit_end(struct fb_lifecycle *lc, const struct fb_unit *unit,
                          const struct fb_summary *summary);

/* NULL does nothing. */
void fb_lifecycle_free(struct fb_lifecycle *lc);

#endif
