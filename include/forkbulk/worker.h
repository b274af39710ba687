/*
 * worker.h
 *    A worker process: loads the ranges the supervisor sends it.
 *
 * Everything a worker uses (its input descriptor, its HTTP connection, its
 * batch buffer) is created in the worker after fork and lives as long as
 * the worker, so memory is one batch plus fixed buffers whatever the data.
 */
#ifndef FORKBULK_WORKER_H
#define FORKBULK_WORKER_H

#include <signal.h>

#include "forkbulk/options.h"

/*
 * Serves JOB messages read from cmd_fd, answering each with DONE on
 * res_fd, until cmd_fd reaches EOF.  Returns the process's exit code.
 */
int fb_worker_main(const struct fb_options *opts, int cmd_fd, int res_fd);

/* Set by the worker's SIGTERM/SIGINT handler: finish the batch, stop. */
extern volatile sig_atomic_t fb_worker_stop;

#endif
