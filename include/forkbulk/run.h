/*
 * run.h
 *    One run of forkbulk once its options are known: the source and its
 *    plan, the reject file, the workers, the cluster (checked before the
 *    first unit) and the index around each unit (lifecycle.h: settings,
 *    template, refresh, publish), the summary and
 *    the metrics (metrics.h, whatever the outcome); or instead --check
 *    (check.h) or --dry-run (dry_run.h), which load nothing and write no
 *    metrics.
 */
#ifndef FORKBULK_RUN_H
#define FORKBULK_RUN_H

#include "forkbulk/options.h"

/* Runs the load that opts describe; returns the exit code (status.h).
 * *stop_signal is the SIGINT or SIGTERM that stopped it, or 0. */
int fb_run(const struct fb_options *opts, int *stop_signal);

#endif
