/*
 * supervisor.h
 *    The parent process: forks the workers, plans ranges, hands them out,
 *    and keeps going when workers die.
 *
 * State of one run, as the parent sees it:
 *
 *   fork N workers (nothing read, no connection open)
 *     -> plan ranges from metadata (file size)
 *     -> check the cluster (GET /) with the parent's own connection
 *     -> loop: idle worker gets the next pending range; DONE marks it
 *        loaded; a worker that dies re-queues its range and is replaced;
 *        a range that killed FB_MAX_JOB_DEATHS workers fails the run (70)
 *     -> no range left: close each worker's command pipe (= "stop"),
 *        reap every child
 *
 * SIGINT/SIGTERM stop dispatching and forward SIGTERM; workers finish the
 * batch in flight, then the parent waits up to --grace and SIGKILLs the
 * rest.  A second signal kills at once.
 */
#ifndef FORKBULK_SUPERVISOR_H
#define FORKBULK_SUPERVISOR_H

#include <stdint.h>

#include "forkbulk/options.h"
#include "forkbulk/summary.h"

/* A range that kills this many workers is given up. */
#define FB_MAX_JOB_DEATHS 3

/* Runs the whole load; returns the exit code (also in summary). */
int fb_supervisor_run(const struct fb_options *opts,
                      struct fb_summary *summary);

#endif
