/*
 * progress.h
 *    Progress for people: a status line on a terminal, or an INFO line
 *    every --progress SECONDS, from the supervisor's live state.
 *
 * The line shows the unit (an hour label, a file name), its ranges done
 * of planned, the documents loaded, docs/s, the unit's time left,
 * rejects and retries:
 *
 *   [2] 2026-11-27T03: ranges 12/64, 1204332 docs, 8421 docs/s,
 *       ETA 2m10s, 0 rejects, 3 retries
 *
 * ("[2]": the second unit of the run; "[2/5]" once sources say how many
 * there are.)
 *
 * The ETA comes from ranges: ranges are planned to be alike (a file's
 * byte ranges are equal; an hour's key or time ranges are equally wide),
 * so the share of ranges done is about the share of the unit done.  The
 * ranges in flight add their share too, measured in documents: those
 * read so far, against the documents a finished range held on average.
 * Not from the PostgreSQL planner's row estimate (a guess from
 * statistics, often stale for the newest hour, and the supervisor does
 * not see it), nor from file bytes (workers report records, not bytes
 * read).  Until a range of the unit has finished it says "ETA ?"; a unit
 * of one range (standard input, gzip) never tells.
 *
 * The status line is drawn when stderr is a terminal and --no-progress
 * was not given: at most twice a second, "\r", the line cut to the
 * terminal's width, "erase to end of line", in one write(2); log lines of
 * every process erase it first (fb_log_set_erase_line) and the next
 * redraw puts it back.  fb_progress_end() erases it for good.  Otherwise
 * nothing is drawn; --progress SECONDS logs the same text as an INFO
 * line ("progress: ...") that often, on a terminal too.
 */
#ifndef FORKBULK_PROGRESS_H
#define FORKBULK_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "forkbulk/options.h"
#include "forkbulk/supervisor.h"

/* How often the status line is redrawn. */
#define FB_PROGRESS_LINE_MS 500

struct fb_progress {
    bool line;        /* drawing the status line on stderr */
    bool drawn;       /* it was drawn: fb_progress_end() erases it */
    int log_s;        /* an INFO line this often; 0: none */
    double logged_at; /* when the last one went out (monotonic s) */
};

/*
 * Decides from opts and stderr what to show, and when something is to be
 * shown, sets hooks' progress, progress_arg (p) and progress_ms.  p must
 * outlive the run; fb_progress_end() after it, before the summary.
 */
void fb_progress_start(struct fb_progress *p, const struct fb_options *opts,
                       struct fb_supervisor_hooks *hooks);

/* The progress hook (supervisor.h): draws the line, logs when due. */
void fb_progress_update(void *p, const struct fb_supervisor_state *state);

/* Erases the status line if it was drawn; log lines stop erasing. */
void fb_progress_end(struct fb_progress *p);

/*
 * The progress text, without a newline, into buf (cut to len - 1 bytes
 * and NUL-terminated).  Returns what snprintf returns: the full length.
 */
int fb_progress_format(const struct fb_supervisor_state *state, char *buf,
                       size_t len);

/* The unit's time left in seconds, or -1 while it cannot be told. */
double fb_progress_eta(const struct fb_supervisor_state *state);

#endif
