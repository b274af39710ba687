/*
 * clock.h
 *    Elapsed time for deadlines, stall detection and the summary.
 */
#ifndef FORKBULK_CLOCK_H
#define FORKBULK_CLOCK_H

#include <stdint.h>

/* Seconds on CLOCK_MONOTONIC: differences only, immune to clock steps. */
double fb_monotonic_seconds(void);

/* Now, in microseconds since the Unix epoch (UTC): for hours and names. */
int64_t fb_unix_us(void);

/* CPU time of the calling thread, microseconds: what a piece of work cost
 * the worker, whatever else the machine was doing. */
int64_t fb_thread_cpu_us(void);

#endif
