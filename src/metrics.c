/*
 * metrics.c
 *    The run's metrics as a node_exporter textfile (see metrics.h).
 */
#include "forkbulk/metrics.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forkbulk/safefile.h"
#include "forkbulk/status.h"

/* A label value escaped (backslash, quote and newline, as the text
 * format says) is at most twice as long. */
#define LABEL_MAX (2 * FB_METRICS_JOB_MAX + 1)

enum kind {
    SECONDS, /* double, printed to the millisecond */
    COUNT,   /* uint64_t */
    CODE,    /* int */
    FLAG,    /* bool, as 0 or 1 */
};

/* One metric: its name, its HELP text and where its value is. */
static const struct metric {
    const char *name;
    const char *help;
    enum kind kind;
    size_t off;
} metrics[] = {
    {"forkbulk_last_run_timestamp_seconds",
     "When the last run of forkbulk ended, in seconds since the epoch.",
     SECONDS, offsetof(struct fb_metrics, run_end)},
    {"forkbulk_last_run_exit_code",
     "Exit code of the last run (0: complete; the others are in "
     "forkbulk --help).",
     CODE, offsetof(struct fb_metrics, exit_code)},
    {"forkbulk_last_run_duration_seconds",
     "Wall time of the last run, from its start to its end.", SECONDS,
     offsetof(struct fb_metrics, duration)},
    {"forkbulk_last_success_timestamp_seconds",
     "When the job last succeeded (a run that ended 0, or an hour the "
     "ledger records done), in seconds since the epoch; 0 if never.",
     SECONDS, offsetof(struct fb_metrics, last_success)},
    {"forkbulk_documents_loaded", "Documents the last run loaded.", COUNT,
     offsetof(struct fb_metrics, docs_loaded)},
    {"forkbulk_documents_rejected", "Records the last run rejected.", COUNT,
     offsetof(struct fb_metrics, docs_rejected)},
    {"forkbulk_hours_loaded", "Hours the last run loaded completely.", COUNT,
     offsetof(struct fb_metrics, hours_loaded)},
    {"forkbulk_hours_failed",
     "Hours the last run tried and did not complete (failed or "
     "interrupted).",
     COUNT, offsetof(struct fb_metrics, hours_failed)},
    {"forkbulk_oldest_incomplete_hour_timestamp_seconds",
     "Start of the oldest hour whose latest run in the ledger did not "
     "complete, in seconds since the epoch; 0 if none.",
     SECONDS, offsetof(struct fb_metrics, oldest_incomplete)},
    {"forkbulk_lock_busy",
     "1 when the last run ended 75 because another run held the job's "
     "lock.",
     FLAG, offsetof(struct fb_metrics, lock_busy)},
};

#define N_METRICS (sizeof(metrics) / sizeof(metrics[0]))

void
fb_metrics_init(struct fb_metrics *m, const char *job)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->job, sizeof(m->job), "%s", job != NULL ? job : "");
}

/* The label value as the text format carries it. */
static void
escape_label(const char *in, char *out, size_t cap)
{
    size_t n = 0;

    for (; *in != '\0' && n + 3 < cap; in++) {
        if (*in == '\\' || *in == '"' || *in == '\n') {
            out[n++] = '\\';
            out[n++] = *in == '\n' ? 'n' : *in;
        } else {
            out[n++] = *in;
        }
    }
    out[n] = '\0';
}

static int
format_value(const struct fb_metrics *m, const struct metric *d, char *out,
             size_t cap)
{
    const char *p = (const char *)m + d->off;

    switch (d->kind) {
    case SECONDS:
        return snprintf(out, cap, "%.3f", *(const double *)(const void *)p);
    case COUNT:
        return snprintf(out, cap, "%" PRIu64,
                        *(const uint64_t *)(const void *)p);
    case CODE:
        return snprintf(out, cap, "%d", *(const int *)(const void *)p);
    case FLAG:
        break;
    }
    return snprintf(out, cap, "%d", *(const bool *)(const void *)p ? 1 : 0);
}

int
fb_metrics_format(const struct fb_metrics *m, char *buf, size_t cap)
{
    char label[LABEL_MAX];
    char value[64];
    size_t n = 0;

    escape_label(m->job, label, sizeof(label));
    for (size_t i = 0; i < N_METRICS; i++) {
        const struct metric *d = &metrics[i];
        int w;

        format_value(m, d, value, sizeof(value));
        w = snprintf(buf + n, cap - n,
                     "# HELP %s %s\n# TYPE %s gauge\n%s{job=\"%s\"} %s\n",
                     d->name, d->help, d->name, d->name, label, value);
        if (w < 0 || (size_t)w >= cap - n)
            return -1;
        n += (size_t)w;
    }
    return (int)n;
}

/* Stores the text of a sample's value into the field of d. */
static void
store_value(struct fb_metrics *m, const struct metric *d, const char *text)
{
    char *p = (char *)m + d->off;
    double v = strtod(text, NULL);

    switch (d->kind) {
    case SECONDS:
        *(double *)(void *)p = v;
        break;
    case COUNT:
        *(uint64_t *)(void *)p = strtoull(text, NULL, 10);
        break;
    case CODE:
        *(int *)(void *)p = (int)strtol(text, NULL, 10);
        break;
    case FLAG:
        *(bool *)(void *)p = v != 0;
        break;
    }
}

/* One line: a sample of prev->job's (its label escaped in label)? */
static int
parse_line(const char *line, const char *label, struct fb_metrics *prev)
{
    for (size_t i = 0; i < N_METRICS; i++) {
        size_t len = strlen(metrics[i].name);
        size_t llen = strlen(label);
        const char *p = line + len;

        if (strncmp(line, metrics[i].name, len) != 0 ||
            strncmp(p, "{job=\"", 6) != 0 || strncmp(p + 6, label, llen) != 0 ||
            strncmp(p + 6 + llen, "\"} ", 3) != 0)
            continue;
        store_value(prev, &metrics[i], p + 6 + llen + 3);
        return 1;
    }
    return 0;
}

int
fb_metrics_parse(const char *text, size_t len, struct fb_metrics *prev)
{
    char label[LABEL_MAX];
    char line[LABEL_MAX + 256];
    size_t pos = 0;
    int found = 0;

    escape_label(prev->job, label, sizeof(label));
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

        if (n < sizeof(line)) {
            memcpy(line, text + pos, n);
            line[n] = '\0';
            found += parse_line(line, label, prev);
        }
        pos += n + 1;
    }
    return found;
}

/* What the previous file says for prev->job; nothing when there is none
 * (or it cannot be read: writing it will then say why). */
static void
read_previous(const char *path, struct fb_metrics *prev)
{
    char buf[FB_METRICS_FILE_MAX];
    struct stat st;
    ssize_t n = -1;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_size < (off_t)sizeof(buf))
        n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n > 0)
        fb_metrics_parse(buf, (size_t)n, prev);
}

/* The values a run keeps from the previous file (metrics.h). */
static void
keep_previous(const char *path, struct fb_metrics *m)
{
    struct fb_metrics prev;

    fb_metrics_init(&prev, m->job);
    read_previous(path, &prev);
    if (prev.last_success > m->last_success)
        m->last_success = prev.last_success;
    if (!m->oldest_known)
        m->oldest_incomplete = prev.oldest_incomplete;
}

int
fb_metrics_write(const char *path, struct fb_metrics *m, char *err,
                 size_t errlen)
{
    char buf[FB_METRICS_FILE_MAX];
    int n;

    keep_previous(path, m);
    n = fb_metrics_format(m, buf, sizeof(buf));
    if (n < 0) {
        snprintf(err, errlen, "cannot write metrics file %s: too long", path);
        return FB_EXIT_SOFTWARE;
    }
    return fb_safefile_replace(path, "metrics file", buf, (size_t)n, 0644, err,
                               errlen);
}
