/*
 * publish.h
 *    --publish alias: readers never see a half-loaded index.
 *
 * A load of an index NAME (an hour's, a file's) goes into a concrete
 * index NAME.gN, N = 1, 2, ...: one more than the highest generation of
 * NAME there is.  Once the load is complete (every range loaded, the
 * settings put back, refreshed) the alias NAME leaves the generations it
 * pointed at and points at the new one, in one POST /_aliases, which the
 * cluster applies atomically; the generations it left are deleted.  A
 * reader of NAME sees the previous complete generation until then, and
 * documents of rows deleted from the source go with it.
 *
 * A load that fails or is killed leaves the alias where it was.  The
 * next load of NAME deletes what it left (every generation of NAME the
 * alias does not point at) before it creates its own.  Two loads of one
 * NAME must not run at once: PostgreSQL jobs hold their lock; file
 * loads into one index are the operator's to keep apart.
 *
 * NAME cannot be an alias while a concrete index has that name (one
 * loaded with --publish direct): FB_EXIT_CONFIG, saying how to move it
 * over once.
 *
 * Functions return 0 or an exit code of status.h after logging why.
 */
#ifndef FORKBULK_PUBLISH_H
#define FORKBULK_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

#include "forkbulk/index_admin.h"
#include "forkbulk/options.h"

/*
 * For a source planning a unit whose documents go to name: the index
 * they are loaded into, into index[cap]: name itself with --publish
 * direct; with alias, its next generation, from what the cluster holds
 * (a read; nothing is created).
 */
int fb_publish_target(const struct fb_options *opts, const char *name,
                      char *index, size_t cap);

/* The name a generation belongs to: "x" of "x.g3".  False when index
 * is not a generation's name (then name is "" ). */
bool fb_publish_name_of(const char *index, char *name, size_t cap);

/* Before generation keep of name loads: deletes every other generation
 * of name that the alias name does not point at. */
int fb_publish_clean(struct fb_index_admin *a, const char *name,
                     const char *keep);

/* Generation index of name is complete: the alias name moves to it from
 * whatever it pointed at, which is then deleted. */
int fb_publish_switch(struct fb_index_admin *a, const char *name,
                      const char *index);

#endif
