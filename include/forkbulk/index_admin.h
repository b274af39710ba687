/*
 * index_admin.h
 *    The parent's calls to the cluster around a load, other than _bulk:
 *    whether an index is there and creating it, reading and changing its
 *    settings, installing an index template, listing indices with the
 *    alias they hold, moving an alias, deleting an index.
 *
 * One connection (es.h) per handle, with a time budget.  A call that gets
 * no answer, or 408, 429 or 5xx, is made again after the sink's backoff
 * (backoff.h, Retry-After honoured) until --retries attempts are spent
 * or the budget is: retries stop when it is spent, and no single request
 * waits longer than the budget itself (nor than --request-timeout).  A load's
 * calls get
 * --retry-time, as a batch does; the restore after a failed or stopped
 * load gets --grace, so that a run that is ending does not hang on a
 * cluster that has gone (what is not restored then is restored by the
 * next run, lifecycle.h).
 *
 * Every function returns 0 or an exit code of status.h after logging
 * why, naming the request:
 *   FB_EXIT_UNAVAILABLE (69)  no usable answer within the budget
 *   FB_EXIT_CONFIG (78)       the cluster refused the request (401, 403,
 *                             and any other 4xx a function does not
 *                             expect): credentials, privileges, a setting
 *                             or a template it does not accept
 *   FB_EXIT_OSERR (71)        out of memory
 * Index and alias names go into paths as they are: Elasticsearch allows
 * none of the characters that would need escaping (es.h).
 */
#ifndef FORKBULK_INDEX_ADMIN_H
#define FORKBULK_INDEX_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "forkbulk/options.h"

struct fb_index_admin;

/* An index and whether a given alias points at it
 * (fb_index_admin_aliases). */
struct fb_index_entry {
    char *name;
    bool aliased;
};

/* A connection to the cluster of opts whose calls all end within
 * budget_ms.  NULL on allocation failure. */
struct fb_index_admin *fb_index_admin_open(const struct fb_options *opts,
                                           long budget_ms);

/* NULL does nothing. */
void fb_index_admin_close(struct fb_index_admin *a);

/* POST /{index}/_refresh, once: the load is searchable now.  A failure
 * is a warning (the cluster refreshes on its own). */
void fb_index_admin_refresh(struct fb_index_admin *a, const char *index);

/* The documents index holds (GET /{index}/_count; an index that does
 * not exist holds 0).  0, or an exit code after logging. */
int fb_index_admin_count(struct fb_index_admin *a, const char *index,
                         uint64_t *count);

/* HEAD /{index}: *exists is true for an index or an alias of that
 * name. */
int fb_index_admin_exists(struct fb_index_admin *a, const char *index,
                          bool *exists);

/*
 * Makes sure index is there: HEAD, then PUT /{index} (no body, so that
 * the cluster's index templates apply) when it is not.  Another client
 * creating it meanwhile is fine.  *created says whether this call made
 * it (may be NULL).
 */
int fb_index_admin_ensure(struct fb_index_admin *a, const char *index,
                          bool *created);

/*
 * GET /{index}/_settings, for the settings named by the keys of the JSON
 * object keys (e.g. {"refresh_interval":"-1"}; names without "index.",
 * dotted for nested ones: "translog.durability"): *out (malloc'd JSON
 * object text, keys in the order of keys) holds each one's value as the
 * index has it, or null when it is not set.  Settings may be nested or
 * flat in the answer; an alias's one index is read.
 */
int fb_index_admin_get_settings(struct fb_index_admin *a, const char *index,
                                const char *keys, char **out);

/*
 * PUT /{index}/_settings {"index": settings} (a JSON object text; a null
 * value sets a setting back to the cluster's default).  With gone
 * non-NULL, an index that does not exist (404) is not an error: *gone
 * says so, and nothing is logged; so with denied non-NULL for a 403 (the
 * credentials may not change the index's settings).
 */
int fb_index_admin_put_settings(struct fb_index_admin *a, const char *index,
                                const char *settings, bool *gone, bool *denied);

/* PUT /_index_template/{name} with body (a composable template). */
int fb_index_admin_put_template(struct fb_index_admin *a, const char *name,
                                const char *body);

/*
 * GET /{pattern}/_alias: every index pattern matches (none is no error),
 * each with whether alias points at it, into *out (*n entries; free with
 * fb_index_admin_entries_free).
 */
int fb_index_admin_aliases(struct fb_index_admin *a, const char *pattern,
                           const char *alias, struct fb_index_entry **out,
                           size_t *n);

void fb_index_admin_entries_free(struct fb_index_entry *v, size_t n);

/*
 * POST /_aliases: alias leaves each of from[0..n) and points at to, in
 * one request, which the cluster applies atomically: a reader of alias
 * sees the old indices or the new one, never both, never none.
 */
int fb_index_admin_move_alias(struct fb_index_admin *a, const char *alias,
                              const char *const *from, size_t n,
                              const char *to);

/* DELETE /{index}; one that is not there is fine. */
int fb_index_admin_delete(struct fb_index_admin *a, const char *index);

#endif
