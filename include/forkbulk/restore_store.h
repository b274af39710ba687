/*
 * restore_store.h
 *    Where a run writes what to put back before it changes an index's
 *    settings for a load, so that a run that dies (SIGKILL, a crash, the
 *    power) leaves the next run of its job what it needs to put them
 *    back.
 *
 *   PostgreSQL jobs  the ledger's restore table (ledger.h), rows of the
 *                    job, on a connection of its own
 *   file loads       one file per index of a cluster in --state-dir,
 *                    restore-<index>.<h>.json (index names hold no '/';
 *                    h: 8 hex digits of a hash of --es as given),
 *                    {"index", "cluster" (--es), "settings", "pid",
 *                    "host", "written_at"}, written whole
 *                    (fb_safefile_replace: a reader sees the old file or
 *                    the new one, mode 0600) and removed once the
 *                    settings are back; a run sees only its cluster's
 *
 * A PostgreSQL job holds its lock (lock.h) while it uses the store: what
 * it finds of its job there was left by a run that died.  File loads
 * take no lock, and two may run at once on a host: a file whose writer
 * is alive (its pid, on this host) belongs to a run in progress, so
 * fb_restore_store_pending() leaves it alone and fb_restore_store_save()
 * says FB_RESTORE_BUSY.
 *
 * Functions return 0 or an exit code of status.h with err set to one
 * line; they log nothing (the caller knows whether a failure is an
 * error or a reason to load without load settings).
 */
#ifndef FORKBULK_RESTORE_STORE_H
#define FORKBULK_RESTORE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "forkbulk/ledger.h"
#include "forkbulk/options.h"

struct fb_restore_store;

/* What fb_restore_store_save() did. */
enum fb_restore_saved {
    FB_RESTORE_SAVED,   /* the record is written */
    FB_RESTORE_EARLIER, /* a dead run's record was there and is kept:
                         * its settings (*earlier) are what to put back */
    FB_RESTORE_BUSY,    /* a run in progress has changed the index's
                         * settings: leave them to it */
};

/*
 * The store of a run of opts: the ledger's table for a PostgreSQL job
 * (job: its name), the state directory for a file load.  With create,
 * what is missing is made (the table, the directory, mode 0700); without,
 * a store that is not there opens as an empty one, whose pending list is
 * empty.  *out is set on success only.
 */
int fb_restore_store_open(const struct fb_options *opts, const char *job,
                          bool create, struct fb_restore_store **out, char *err,
                          size_t errlen);

/* NULL does nothing. */
void fb_restore_store_close(struct fb_restore_store *s);

/* Where the store is, for messages: "ledger table public.x_restore",
 * "state directory /var/lib/forkbulk". */
const char *fb_restore_store_where(const struct fb_restore_store *s);

/*
 * Records settings (a JSON object text) as what to put back on index.
 * *how says what happened; with FB_RESTORE_EARLIER, *earlier is
 * malloc'd (free() it), else NULL.
 */
int fb_restore_store_save(struct fb_restore_store *s, const char *index,
                          const char *settings, enum fb_restore_saved *how,
                          char **earlier, char *err, size_t errlen);

/* Forgets index's record (its settings are back); none is fine. */
int fb_restore_store_drop(struct fb_restore_store *s, const char *index,
                          char *err, size_t errlen);

/* The records left by runs that died, oldest first for the ledger, into
 * *out (*n; free with fb_ledger_restores_free). */
int fb_restore_store_pending(struct fb_restore_store *s,
                             struct fb_ledger_restore **out, size_t *n,
                             char *err, size_t errlen);

#endif
