/*
 * backoff.c
 *    Jittered exponential waits between attempts (see backoff.h).
 */
#include "forkbulk/backoff.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

void
fb_backoff_init(struct fb_backoff *b, const volatile sig_atomic_t *stop,
                void (*tick)(void *arg), void *tick_arg, long alive_ms)
{
    b->rng = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ (uint64_t)time(NULL);
    if (b->rng == 0)
        b->rng = 1;
    b->stop = stop;
    b->tick = tick;
    b->tick_arg = tick_arg;
    b->tick_ms =
        alive_ms > 0 && alive_ms / 4 < 1000 ? (uint64_t)alive_ms / 4 : 1000;
    if (b->tick_ms == 0)
        b->tick_ms = 1;
}

static uint64_t
next_random(struct fb_backoff *b)
{
    /* xorshift64: jitter only needs to spread workers apart. */
    b->rng ^= b->rng << 13;
    b->rng ^= b->rng >> 7;
    b->rng ^= b->rng << 17;
    return b->rng;
}

/* base * 2^(n-1), at most cap. */
static uint64_t
doubled(uint64_t base, uint64_t cap, int n)
{
    uint64_t v = base;

    for (int i = 1; i < n && v < cap; i++)
        v *= 2;
    return v < cap ? v : cap;
}

uint64_t
fb_backoff_delay_ms(struct fb_backoff *b, int attempt, long retry_after_s)
{
    uint64_t window = doubled(FB_BACKOFF_BASE_MS, FB_BACKOFF_CAP_MS, attempt);
    uint64_t ms;

    ms = next_random(b) % (window + 1);
    if (retry_after_s > 0 && (uint64_t)retry_after_s * 1000 > ms)
        ms = (uint64_t)retry_after_s * 1000;
    return ms;
}

uint64_t
fb_backoff_node_down_ms(int failures)
{
    return doubled(FB_NODE_DOWN_BASE_MS, FB_NODE_DOWN_CAP_MS, failures);
}

static int
stopped(const struct fb_backoff *b)
{
    return b->stop != NULL && *b->stop != 0;
}

/* One slice of a wait; -1 if a stop signal ended it. */
static int
sleep_ms(const struct fb_backoff *b, uint64_t ms)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    /* The stop handlers are installed without SA_RESTART, so a signal
     * ends the sleep at once. */
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        if (stopped(b))
            return -1;
    return stopped(b) ? -1 : 0;
}

int
fb_backoff_sleep(struct fb_backoff *b, int attempt, long retry_after_s,
                 uint64_t max_ms)
{
    uint64_t left = fb_backoff_delay_ms(b, attempt, retry_after_s);

    if (left > max_ms)
        left = max_ms;
    while (left > 0) {
        uint64_t slice = left < b->tick_ms ? left : b->tick_ms;

        if (sleep_ms(b, slice) < 0)
            return -1;
        left -= slice;
        if (left > 0 && b->tick != NULL)
            b->tick(b->tick_arg);
    }
    return stopped(b) ? -1 : 0;
}
