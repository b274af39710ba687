/*
 * supervisor.h
 *    The parent process: forks the workers, plans units and ranges, hands
 *    the ranges out, and keeps going when workers die.
 *
 * State of one run, as the parent sees it:
 *
 *   fork N workers (nothing read, no connection open)
 *     -> next unit from the source, planned from metadata only
 *     -> unit_begin hook (the run checks the cluster there)
 *     -> loop: idle worker gets the next pending range; DONE marks it
 *        loaded; a worker that dies re-queues its range and is replaced;
 *        a range that killed FB_MAX_RANGE_DEATHS workers fails the run (70)
 *     -> unit_end hook, then the source's unit_done; next unit
 *     -> no unit left: close each worker's command pipe (= "stop"),
 *        reap every child
 *
 * SIGINT/SIGTERM stop dispatching and forward SIGTERM; workers finish the
 * batch in flight, then the parent waits up to --grace and SIGKILLs the
 * rest.  A second signal kills at once.
 *
 * What a worker process runs is a parameter (as nginx's spawn takes its
 * process function), so that the supervision can be tested with workers
 * that crash, hang or talk nonsense.
 */
#ifndef FORKBULK_SUPERVISOR_H
#define FORKBULK_SUPERVISOR_H

#include <stdint.h>

#include "forkbulk/options.h"
#include "forkbulk/proto.h"
#include "forkbulk/source.h"
#include "forkbulk/summary.h"

/* A range that kills this many workers is given up. */
#define FB_MAX_RANGE_DEATHS 3

/*
 * What the parent knows of a run while a unit loads, for a progress
 * display (progress.h).  The counts are the unit's: those of its finished
 * ranges, and with them what the workers reported of the ranges in
 * flight so far (PROGRESS frames).
 */
struct fb_supervisor_state {
    const char *unit;        /* the unit loading: an hour label, a file */
    uint64_t units_done;     /* units ended before it, loaded or not */
    uint64_t units_total;    /* 0: not known (sources plan one by one) */
    uint64_t ranges_done;    /* the unit's ranges loaded to their end */
    uint64_t ranges_total;   /* the unit's ranges planned */
    struct fb_counts done;   /* of its ranges loaded to their end */
    struct fb_counts counts; /* done, plus the ranges in flight so far */
    double unit_seconds;     /* since the unit began */
    double seconds;          /* since the run began */
};

struct fb_supervisor_hooks {
    /* The body of every worker process, run in the child after fork with
     * nothing inherited but stdio, the log and its two pipes: serves
     * RANGE frames from cmd_fd, answers on res_fd (proto.h) and returns
     * the process's exit code. */
    int (*worker_main)(void *arg, int cmd_fd, int res_fd);
    /* Before a unit's first range: 0, or an exit code that fails the
     * unit and ends the run.  total is the run's summary (for its
     * cluster description).  May be NULL. */
    int (*unit_begin)(void *arg, const struct fb_unit *unit,
                      struct fb_summary *total);
    /* After a unit's last range, before the source's unit_done.  May be
     * NULL. */
    void (*unit_end)(void *arg, const struct fb_unit *unit,
                     struct fb_summary *summary);
    void *arg;
    /* While a unit loads, from the parent's main loop, at most every
     * progress_ms milliseconds (and about that often: the loop wakes up
     * for it), the live state, with progress_arg.  May be NULL (write
     * hooks with designated initializers: fields may follow). */
    void (*progress)(void *progress_arg,
                     const struct fb_supervisor_state *state);
    void *progress_arg;
    int progress_ms; /* > 0 with progress */
};

/* In a worker process, its slot: 0 to workers - 1, the same for the
 * worker that replaces it (what makes workers start at different nodes
 * of the cluster); -1 in the parent. */
int fb_supervisor_slot(void);

/* Runs the whole load of src (plan is its parent side, opened); returns
 * the exit code (also in total).  total->indices, when documents named
 * their own index, is the caller's to free (summary.h). */
int fb_supervisor_run(const struct fb_options *opts,
                      const struct fb_source *src, void *plan,
                      const struct fb_supervisor_hooks *hooks,
                      struct fb_summary *total);

#endif
