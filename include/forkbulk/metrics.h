/*
 * metrics.h
 *    What the last run did, for alerting: the file --metrics-file names,
 *    for node_exporter's textfile collector (Prometheus text format
 *    0.0.4).
 *
 * Written at the end of every run whatever its outcome (a lock held by
 * another run, PostgreSQL down, a bad setting found once the options
 * were read), except --check and --dry-run, which load nothing and so
 * leave the last real run's metrics alone.  The file is replaced whole
 * (fb_safefile_replace: a new file beside it, renamed over it, so a
 * scrape never reads half of it), with mode 0644: node_exporter runs as
 * another user.  One file per job: the collector reads every *.prom of
 * its directory.
 *
 * Every metric is a gauge (a value of the last run, not a counter) with
 * one label, job: the hourly job's name (--job, else the source's name,
 * as the lock and the ledger know it), or for a file load the input as
 * given (--input; "-" for standard input).
 *
 *   forkbulk_last_run_timestamp_seconds      when the run ended
 *   forkbulk_last_run_exit_code              its exit code (status.h)
 *   forkbulk_last_run_duration_seconds       its wall time, start to end
 *   forkbulk_last_success_timestamp_seconds  the job's last success: a
 *                                            run that ended 0, or an hour
 *                                            the ledger records done
 *                                            (0: none known)
 *   forkbulk_documents_loaded                documents the run loaded
 *   forkbulk_documents_rejected              records it rejected
 *   forkbulk_hours_loaded                    hours it loaded completely
 *   forkbulk_hours_failed                    hours it tried and did not
 *                                            complete (failed or
 *                                            interrupted); file loads
 *                                            have no hours: both 0
 *   forkbulk_oldest_incomplete_hour_timestamp_seconds
 *                                            the start of the job's oldest
 *                                            hour whose latest run in the
 *                                            ledger did not complete (0:
 *                                            none; file loads: 0)
 *   forkbulk_lock_busy                       1 when the run ended 75
 *                                            (another run held the lock)
 *
 * Kept across runs: the previous file (when it has this job's label) is
 * read back first.  The last success is never older than it says, and a
 * run that could not learn the oldest incomplete hour (the lock was busy,
 * PostgreSQL down) keeps its value, so that neither alert clears because
 * a run could not look.
 */
#ifndef FORKBULK_METRICS_H
#define FORKBULK_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FB_METRICS_JOB_MAX 256
/* The longest file fb_metrics_format() writes, and reads back. */
#define FB_METRICS_FILE_MAX 16384

struct fb_metrics {
    char job[FB_METRICS_JOB_MAX]; /* the label's value, unescaped */
    double run_end;               /* seconds since the epoch */
    int exit_code;
    double duration;     /* seconds */
    double last_success; /* seconds since the epoch; 0: none known */
    uint64_t docs_loaded;
    uint64_t docs_rejected;
    uint64_t hours_loaded;
    uint64_t hours_failed;
    double oldest_incomplete; /* an hour's start (s); 0: none */
    bool lock_busy;
    /* oldest_incomplete is this run's own knowledge; false: the previous
     * file's value is kept. */
    bool oldest_known;
};

/* m for a run of job that learnt nothing yet: every value 0. */
void fb_metrics_init(struct fb_metrics *m, const char *job);

/*
 * The whole file for m into buf: HELP, TYPE and one sample per metric.
 * The length written (NUL-terminated), or -1 when cap is too small
 * (FB_METRICS_FILE_MAX always does).
 */
int fb_metrics_format(const struct fb_metrics *m, char *buf, size_t cap);

/*
 * Reads what a file fb_metrics_format() wrote says for prev->job (the
 * samples with that label) into prev's fields; other jobs' samples,
 * comments and lines it does not know are skipped.  The number of
 * samples read.
 */
int fb_metrics_parse(const char *text, size_t len, struct fb_metrics *prev);

/*
 * Writes m to path (see above): the previous file's kept values first
 * go into m, then the file is replaced.  An existing path that is not
 * forkbulk's regular file is refused and left as it is.  Returns an exit
 * code of status.h, with err set unless FB_EXIT_OK: FB_EXIT_CANTCREAT
 * (refused, or cannot be created), FB_EXIT_IOERR.
 */
int fb_metrics_write(const char *path, struct fb_metrics *m, char *err,
                     size_t errlen);

#endif
