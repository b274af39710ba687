/*
 * worker.h
 *    A worker process: loads the ranges the supervisor sends it.
 *
 * Everything a worker uses (its source reader, its connection to the
 * cluster, its batch) is created in the worker after fork and lives as
 * long as the worker, so memory is one batch plus fixed buffers whatever
 * the data holds.
 *
 * Per range:  RANGE frame -> source reader -> sink -> DONE frame with the
 *             range's counts and exit code.  Each reject is written to
 *             the reject file and reported at once (PROGRESS), so that a
 *             replacement after this worker's death does not write it
 *             again.
 */
#ifndef FORKBULK_WORKER_H
#define FORKBULK_WORKER_H

#include <signal.h>

#include "forkbulk/options.h"
#include "forkbulk/source.h"

/*
 * Serves RANGE frames read from cmd_fd, answering each with DONE on
 * res_fd, until cmd_fd reaches EOF.  Returns the process's exit code.
 */
int fb_worker_main(const struct fb_options *opts, const struct fb_source *src,
                   int cmd_fd, int res_fd);

/* Set by the worker's SIGTERM/SIGINT handler: finish the batch, stop. */
extern volatile sig_atomic_t fb_worker_stop;

#endif
