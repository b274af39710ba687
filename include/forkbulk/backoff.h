/*
 * backoff.h
 *    Waiting before an attempt is made again: full jitter over an
 *    exponential window (100 ms doubling, capped at 30 s), at least as long
 *    as the server asked for (Retry-After) but never past the caller's
 *    deadline, cut short by a stop signal, and with a tick every second so
 *    that a long wait still shows the supervisor that the worker is alive.
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

/* How long a node of the cluster that failed is left alone (es.h): 1 s
 * after its first failure in a row, twice as long after each next one, at
 * most 60 s.  No jitter: it only decides which node a request goes to
 * first, never how long anything waits. */
#define FB_NODE_DOWN_BASE_MS 1000
#define FB_NODE_DOWN_CAP_MS 60000

struct fb_backoff {
    uint64_t rng;                      /* xorshift64 state, never 0 */
    const volatile sig_atomic_t *stop; /* non-zero: stop waiting */
    void (*tick)(void *arg);           /* called between slices; or NULL */
    void *tick_arg;
    uint64_t tick_ms; /* longest sleep between two ticks */
};

/*
 * Seeds from the pid and the time; stop and tick may be NULL.  The tick
 * comes at least every quarter of alive_ms (what the supervisor allows a
 * silent worker: --stall-timeout), and at least every second.
 */
void fb_backoff_init(struct fb_backoff *b, const volatile sig_atomic_t *stop,
                     void (*tick)(void *arg), void *tick_arg, long alive_ms);

/*
 * Milliseconds to wait before attempt number `attempt` (1-based): uniform
 * in [0, min(cap, base * 2^(attempt-1))], raised to retry_after_s seconds
 * when that is positive.
 */
uint64_t fb_backoff_delay_ms(struct fb_backoff *b, int attempt,
                             long retry_after_s);

/* Milliseconds a node is down after its failures-th failure in a row
 * (1-based): FB_NODE_DOWN_BASE_MS * 2^(failures-1), at most
 * FB_NODE_DOWN_CAP_MS. */
uint64_t fb_backoff_node_down_ms(int failures);

/*
 * Sleeps fb_backoff_delay_ms(), but at most max_ms (a Retry-After of a day
 * from a broken proxy must not outlast --retry-time), in slices of at
 * most tick_ms with a tick after each.  -1 if a stop signal
 * ended the wait.
 */
int fb_backoff_sleep(struct fb_backoff *b, int attempt, long retry_after_s,
                     uint64_t max_ms);

#endif
