/*
 * backoff.h
 *    Waiting before an attempt is made again: full jitter over an
 *    exponential window (100 ms doubling, capped at 30 s), at least as long
 *    as the server asked for (Retry-After), and cut short by a stop signal.
 *
 * Full jitter spreads the workers' retries apart, so that they do not hit
 * a recovering cluster in lockstep.  The random numbers need no quality
 * beyond that.
 */
#ifndef FORKBULK_BACKOFF_H
#define FORKBULK_BACKOFF_H

#include <signal.h>
#include <stdint.h>

#define FB_BACKOFF_BASE_MS 100
#define FB_BACKOFF_CAP_MS 30000

struct fb_backoff {
    uint64_t rng;                      /* xorshift64 state, never 0 */
    const volatile sig_atomic_t *stop; /* non-zero: stop waiting */
};

/* Seeds from the pid and the time; stop may be NULL. */
void fb_backoff_init(struct fb_backoff *b, const volatile sig_atomic_t *stop);

/*
 * Milliseconds to wait before attempt number `attempt` (1-based): uniform
 * in [0, min(cap, base * 2^(attempt-1))], raised to retry_after_s seconds
 * when that is positive.
 */
uint64_t fb_backoff_delay_ms(struct fb_backoff *b, int attempt,
                             long retry_after_s);

/* Sleeps fb_backoff_delay_ms(); -1 if a stop signal ended the wait. */
int fb_backoff_sleep(struct fb_backoff *b, int attempt, long retry_after_s);

#endif
