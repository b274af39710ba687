/*
 * progress.c
 *    The status line and the progress log lines (see progress.h).
 */
#include "forkbulk/progress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "forkbulk/clock.h"
#include "forkbulk/log.h"

/* A progress line may go out this much early: the calls come on the
 * supervisor's clock, a hair before ours. */
#define FB_PROGRESS_SLACK_S 0.25

/* Beyond this an ETA says nothing useful (and a long would overflow). */
#define FB_PROGRESS_ETA_MAX_S (100.0 * 3600)

void
fb_progress_start(struct fb_progress *p, const struct fb_options *opts,
                  struct fb_supervisor_hooks *hooks)
{
    const char *term = getenv("TERM");

    memset(p, 0, sizeof(*p));
    /* A dumb terminal (an editor's shell) cannot erase a line. */
    p->line = opts->progress_line && isatty(STDERR_FILENO) &&
              (term == NULL || strcmp(term, "dumb") != 0);
    p->log_s = opts->progress_s;
    p->logged_at = fb_monotonic_seconds();
    if (!p->line && p->log_s <= 0)
        return;
    hooks->progress = fb_progress_update;
    hooks->progress_arg = p;
    hooks->progress_ms = p->line ? FB_PROGRESS_LINE_MS : p->log_s * 1000;
    fb_log_set_erase_line(p->line);
}

double
fb_progress_eta(const struct fb_supervisor_state *st)
{
    double f;

    if (st->ranges_total == 0 || st->ranges_done == 0 || st->unit_seconds <= 0)
        return -1;
    f = (double)st->ranges_done / (double)st->ranges_total;
    if (st->done.read > 0) {
        double per_range = (double)st->done.read / (double)st->ranges_done;
        double g =
            (double)st->counts.read / (per_range * (double)st->ranges_total);

        /* The ranges in flight count for what they read, but never make
         * the unit look done while ranges are left. */
        if (g > f && g < 1.0)
            f = g;
    }
    if (f >= 1.0)
        return 0;
    return st->unit_seconds * (1.0 - f) / f;
}

static void
format_eta(double s, char *buf, size_t len)
{
    long t;

    if (s < 0) {
        snprintf(buf, len, "?");
        return;
    }
    if (s >= FB_PROGRESS_ETA_MAX_S) {
        snprintf(buf, len, ">%.0fh", FB_PROGRESS_ETA_MAX_S / 3600);
        return;
    }
    t = (long)(s + 0.5);
    if (t < 60)
        snprintf(buf, len, "%lds", t);
    else if (t < 3600)
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
}

int
fb_progress_format(const struct fb_supervisor_state *st, char *buf, size_t len)
{
    char unit_no[48] = "";
    char eta[48];
    double rate = st->unit_seconds > 0
                      ? (double)st->counts.loaded / st->unit_seconds
                      : 0.0;

    /* The unit's place in the run, once there is more than one.  The ETA
     * before the counts that are mostly 0: an 80-column terminal cuts the
     * end of a long hour's line. */
    if (st->units_total > 0)
        snprintf(unit_no, sizeof(unit_no), "[%llu/%llu] ",
                 (unsigned long long)st->units_done + 1,
                 (unsigned long long)st->units_total);
    else if (st->units_done > 0)
        snprintf(unit_no, sizeof(unit_no), "[%llu] ",
                 (unsigned long long)st->units_done + 1);
    format_eta(fb_progress_eta(st), eta, sizeof(eta));
    return snprintf(buf, len,
                    "%s%s: ranges %llu/%llu, %llu docs, %.0f docs/s, "
                    "ETA %s, %llu rejects, %llu retries",
                    unit_no, st->unit, (unsigned long long)st->ranges_done,
                    (unsigned long long)st->ranges_total,
                    (unsigned long long)st->counts.loaded, rate, eta,
                    (unsigned long long)st->counts.rejected,
                    (unsigned long long)st->counts.retried);
}

static void
put(const char *s, size_t len)
{
    while (write(STDERR_FILENO, s, len) < 0 && errno == EINTR)
        ;
}

/* Over whatever the line holds: back to its start, the text, and the
 * rest of the old text erased, in one write (no flicker, and whole with
 * respect to the workers' log lines). */
static void
draw(struct fb_progress *p, const char *text)
{
    char out[600];
    struct winsize ws;
    int width = 80;
    int n;

    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
        width = ws.ws_col;
    /* A line as wide as the terminal wraps, and "\r" would then return
     * to the start of its last row only. */
    n = snprintf(out, sizeof(out), "\r%.*s\033[K", width - 1, text);
    if (n <= 0)
        return;
    put(out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1);
    p->drawn = true;
}

void
fb_progress_update(void *arg, const struct fb_supervisor_state *st)
{
    struct fb_progress *p = arg;
    double now = fb_monotonic_seconds();
    char text[512];

    fb_progress_format(st, text, sizeof(text));
    /* The log line first: it erases the status line, drawn again next. */
    if (p->log_s > 0 && now - p->logged_at >= p->log_s - FB_PROGRESS_SLACK_S) {
        p->logged_at = now;
        fb_info("progress: %s", text);
    }
    if (p->line)
        draw(p, text);
}

void
fb_progress_end(struct fb_progress *p)
{
    if (p->line)
        fb_log_set_erase_line(false);
    if (p->drawn) {
        put("\r\033[K", 4);
        p->drawn = false;
    }
}
