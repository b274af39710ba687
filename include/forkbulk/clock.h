/*
 * clock.h
 *    Elapsed time for deadlines, stall detection and the summary.
 */
#ifndef FORKBULK_CLOCK_H
#define FORKBULK_CLOCK_H

/* Seconds on CLOCK_MONOTONIC: differences only, immune to clock steps. */
double fb_monotonic_seconds(void);

#endif
