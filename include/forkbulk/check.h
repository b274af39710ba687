/*
 * check.h
 *    --check: can this run connect to what it reads and writes, and may
 *    it?  Connectivity and permissions only: nothing is planned, locked,
 *    loaded or written.
 *
 * One line each on out, "what: ok", "what: ok (detail)", "what: not
 * checked: why" (something that cannot be asked, which is no failure)
 * or "what: the reason", e.g.
 *   postgresql: ok (connected)
 *   source public.flows: ok (column ts can be read)
 *   ledger: ok (public.forkbulk_ledger is ready)
 *   cluster http://127.0.0.1:9200: ok (Elasticsearch 8.13.1)
 *   write to flows-*: not checked: the cluster has no security API
 *   (HTTP 400)
 * The source's lines come from its check op (source.h); the cluster's
 * from here.  Everything is checked even after a failure, so one run
 * shows every problem; the exit code is that of the first (69
 * unreachable, 78 refused or a privilege lacking, 66 an input missing).
 */
#ifndef FORKBULK_CHECK_H
#define FORKBULK_CHECK_H

#include <stddef.h>
#include <stdio.h>

#include "forkbulk/options.h"
#include "forkbulk/source.h"

/* Checks what a run of src with opts needs; returns 0 or the exit code
 * of the first failure. */
int fb_check(const struct fb_options *opts, const struct fb_source *src,
             FILE *out);

/* One line: "what: ok" (rc 0, detail NULL or ""), "what: ok (detail)"
 * (rc 0), or "what: detail" (the reason of rc).  Returns rc. */
int fb_check_say(FILE *out, const char *what, int rc, const char *detail);

/* The indices a run may write to, as one name or wildcard for a
 * privilege check: opts->index when it is fixed (file loads without
 * --time-field), else the index pattern up to its first strftime field,
 * then '*' ("flows-%Y.%m.%d.%H" -> "flows-*"). */
void fb_check_index_wildcard(const struct fb_options *opts, char *out,
                             size_t cap);

#endif
