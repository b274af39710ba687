/*
 * worker.c
 *    A worker process: the loop that reads each range it is given from
 *    the source and hands the records to the sink (see worker.h).
 */
#include "forkbulk/worker.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "forkbulk/backoff.h"
#include "forkbulk/index_counts.h"
#include "forkbulk/log.h"
#include "forkbulk/proto.h"
#include "forkbulk/rejects.h"
#include "forkbulk/sink.h"
#include "forkbulk/status.h"

/* Attempts at a range whose source connection is lost (then it fails). */
#define RANGE_ATTEMPTS 3

volatile sig_atomic_t fb_worker_stop;
static volatile sig_atomic_t reopen_log; /* SIGHUP: reopen --log-file */

struct worker {
    const struct fb_options *opts;
    const struct fb_source *src;
    int res_fd;
    void *reader; /* the source's, opened at the first range */
    struct fb_sink *sink;
    struct fb_rejects *rejects;
    bool rejects_set;          /* rejects has the file of the unit of */
    int64_t rejects_unit;      /* this time (a unit's ranges share it) */
    struct fb_backoff backoff; /* before a range is read again */
    uint32_t range_id;
    struct fb_counts counts; /* of the current range */
    uint64_t rejects_done;   /* of its rejects, already in the reject file */
    struct fb_index_counts *indices; /* its loaded documents that named
                                      * their own index, per index */
};

static void
on_stop_signal(int signo)
{
    fb_worker_stop = signo;
}

static void
on_hup(int signo)
{
    (void)signo;
    reopen_log = 1;
}

static void
install_worker_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a backoff sleep must end at once. */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void
report_progress(struct worker *w)
{
    struct fb_msg msg;

    memset(&msg, 0, sizeof(msg));
    msg.type = FB_MSG_PROGRESS;
    msg.range_id = w->range_id;
    msg.counts = w->counts;
    /* A parent that is gone will kill us through PDEATHSIG. */
    (void)fb_msg_send(w->res_fd, &msg);
}

/* The sink's proof of life: before each request and after each batch. */
static void
on_progress(void *arg)
{
    struct worker *w = arg;

    report_progress(w);
    if (reopen_log) {
        reopen_log = 0;
        if (w->opts->log_file != NULL)
            fb_log_open(w->opts->log_file);
    }
}

/*
 * A record that will not be loaded, refused by the source or by the
 * cluster: one line in the reject file, reported to the parent at once.
 */
static int
on_reject(void *arg, struct fb_reject *r)
{
    struct worker *w = arg;

    w->src->reader_locate(w->reader, r);
    if (r->record == NULL) {
        r->record = "";
        r->record_len = 0;
    }
    /* A re-read of a range meets its rejects again, in the same order. */
    if (++w->counts.rejected <= w->rejects_done)
        return FB_EXIT_OK;
    /* A reject that cannot be recorded would be lost: the range fails,
     * 73 when the file was refused (safefile.h), else 74. */
    if (fb_rejects_write(w->rejects, r) < 0)
        return errno == EPERM ? FB_EXIT_CANTCREAT : FB_EXIT_IOERR;
    /* Tell the parent at once, so that a replacement after our death
     * skips this line: only a kill between these two writes can leave a
     * reject line twice. */
    report_progress(w);
    return FB_EXIT_OK;
}

/* The cluster stored a document that named its own index. */
static void
on_loaded_into(void *arg, const char *index, size_t len)
{
    struct worker *w = arg;

    fb_index_counts_add(w->indices, index, len, 1);
}

/* A record the source refused. */
static int
reject_doc(struct worker *w, const struct fb_doc *doc)
{
    struct fb_reject r;

    memset(&r, 0, sizeof(r));
    r.offset = doc->offset;
    r.line = doc->line;
    r.type = doc->error_type;
    r.reason = doc->error;
    r.record = doc->raw;
    r.record_len = doc->raw_len;
    return on_reject(w, &r);
}

/*
 * Reads the range's records into the sink.  *lost is set when the source
 * failed with FB_EXIT_UNAVAILABLE (its connection went away).
 */
static int
read_records(struct worker *w, const struct fb_msg *range, bool *lost)
{
    struct fb_doc doc;
    int rc = w->src->reader_begin(w->reader, range);

    *lost = rc == FB_EXIT_UNAVAILABLE;
    while (rc == FB_EXIT_OK) {
        int r;

        if (fb_worker_stop)
            return fb_exit_for_signal(fb_worker_stop);
        doc.blank = 0;
        r = w->src->reader_next(w->reader, &doc);
        w->counts.blank += doc.blank;
        if (r == 0)
            break;
        if (r < 0) {
            *lost = -r == FB_EXIT_UNAVAILABLE;
            return -r;
        }
        w->counts.read++;
        rc = doc.error_type != NULL ? reject_doc(w, &doc)
                                    : fb_sink_add(w->sink, &doc);
    }
    return rc;
}

/*
 * One attempt at a range.  The batch in flight is sent also when
 * stopping; after an error nothing more is sent (the range is not
 * loaded, and will be read again).
 */
static int
load_range_once(struct worker *w, const struct fb_msg *range, bool *lost)
{
    int rc;

    *lost = false;
    if (w->reader == NULL &&
        (rc = w->src->reader_open(w->opts, &w->reader)) != FB_EXIT_OK)
        return rc;
    rc = read_records(w, range, lost);
    if (rc == FB_EXIT_OK || rc == FB_EXIT_SIGINT || rc == FB_EXIT_SIGTERM) {
        int frc = fb_sink_flush(w->sink);

        if (rc == FB_EXIT_OK)
            rc = frc;
    } else {
        fb_sink_discard(w->sink);
    }
    /* Rejects do not fail a range: the parent judges the unit's budget
     * from the counts. */
    if (rc == FB_EXIT_OK && w->src->reader_end != NULL)
        rc = w->src->reader_end(w->reader);
    return rc;
}

/* The range starts over: what was sent is sent again (ids make that
 * overwrite), what was rejected is not written again. */
static void
restart_range(struct worker *w)
{
    if (w->counts.rejected > w->rejects_done)
        w->rejects_done = w->counts.rejected;
    w->counts.retried += w->counts.loaded + w->counts.conflicts;
    w->counts.read = w->counts.loaded = w->counts.conflicts = 0;
    w->counts.rejected = 0;
    fb_index_counts_clear(w->indices);
}

/*
 * Loads one range.  A source that lost its connection (69) is opened
 * again and the range read again from its start: PostgreSQL reads in the
 * same snapshot, which lives as long as the parent's exporting
 * transaction; if that is gone too, the range fails and a later run
 * redoes it.
 */
static int
load_range(struct worker *w, const struct fb_msg *range)
{
    int rc = FB_EXIT_OK;

    for (int attempt = 1; attempt <= RANGE_ATTEMPTS; attempt++) {
        bool lost;

        rc = load_range_once(w, range, &lost);
        if (!lost || fb_worker_stop || attempt == RANGE_ATTEMPTS)
            break;
        fb_warn("%s failed while reading range %u; retrying the range on a "
                "new connection (attempt %d of %d)",
                w->src->name(w->opts), range->range_id, attempt + 1,
                RANGE_ATTEMPTS);
        w->src->reader_close(w->reader);
        w->reader = NULL;
        restart_range(w);
        if (fb_backoff_sleep(&w->backoff, attempt, -1, UINT64_MAX) < 0)
            return fb_exit_for_signal(fb_worker_stop);
    }
    return rc;
}

static int
worker_init(struct worker *w, const struct fb_options *opts,
            const struct fb_source *src, int res_fd)
{
    struct fb_sink_hooks hooks = {on_reject, on_progress, w, &fb_worker_stop,
                                  on_loaded_into};

    memset(w, 0, sizeof(*w));
    w->opts = opts;
    w->src = src;
    w->res_fd = res_fd;
    fb_backoff_init(&w->backoff, &fb_worker_stop, on_progress, w,
                    opts->stall_ms);
    w->sink = fb_sink_new(opts, &hooks, &w->counts);
    /* The reject file's name is the unit's (start_range()). */
    w->rejects = fb_rejects_open(NULL, src->name(opts), opts->max_record_bytes);
    w->indices = fb_index_counts_new(FB_INDEX_COUNTS_MAX);
    if (w->sink == NULL || w->rejects == NULL || w->indices == NULL) {
        fb_error("cannot allocate the batch buffers (--batch-bytes %zu, "
                 "--batch-docs %zu): out of memory",
                 opts->batch_bytes, opts->batch_docs);
        return FB_EXIT_OSERR;
    }
    return FB_EXIT_OK;
}

static void
worker_free(struct worker *w)
{
    if (w->reader != NULL)
        w->src->reader_close(w->reader);
    fb_sink_free(w->sink);
    fb_rejects_close(w->rejects);
    fb_index_counts_free(w->indices);
}

/* Takes range msg: its counts start at 0, its documents go to its
 * unit's index and its rejects to its unit's file. */
static int
start_range(struct worker *w, const struct fb_msg *msg)
{
    char path[PATH_MAX];
    char err[PATH_MAX + 256];
    int rc;

    w->range_id = msg->range_id;
    w->rejects_done = msg->rejects_done;
    memset(&w->counts, 0, sizeof(w->counts));
    fb_index_counts_clear(w->indices);
    if ((rc = fb_sink_set_index(w->sink, msg->index)) != FB_EXIT_OK)
        return rc;
    /* The path depends on the unit only, and expanding it may read the
     * time zone's file: once per unit, not per range. */
    if (w->opts->reject_file == NULL ||
        (w->rejects_set && w->rejects_unit == msg->unit_time))
        return FB_EXIT_OK;
    if (fb_rejects_path(w->opts->reject_file, msg->unit_time, w->opts->timezone,
                        path, sizeof(path), err, sizeof(err)) < 0) {
        fb_error("%s", err); /* the parent expanded it already */
        return FB_EXIT_CANTCREAT;
    }
    if (fb_rejects_set_path(w->rejects, path) < 0)
        return FB_EXIT_OSERR;
    w->rejects_set = true;
    w->rejects_unit = msg->unit_time;
    return FB_EXIT_OK;
}

/* One INDEX_COUNT frame: n documents loaded into index ("": into
 * indices the table could not list). */
static int
report_index(const struct worker *w, const char *index, uint64_t n)
{
    struct fb_msg msg;

    memset(&msg, 0, sizeof(msg));
    msg.type = FB_MSG_INDEX_COUNT;
    msg.range_id = w->range_id;
    msg.counts.loaded = n;
    snprintf(msg.index, sizeof(msg.index), "%s", index);
    return fb_msg_send(w->res_fd, &msg);
}

/* Answers a range with its per-index counts, if its documents named
 * their own indices, then its counts and exit code; -1 if the parent is
 * gone. */
static int
report_done(struct worker *w, int status)
{
    struct fb_msg done;

    for (size_t i = 0; i < fb_index_counts_size(w->indices); i++) {
        uint64_t n;
        const char *index = fb_index_counts_get(w->indices, i, &n);

        if (report_index(w, index, n) < 0)
            return -1;
    }
    if (fb_index_counts_unlisted(w->indices) > 0 &&
        report_index(w, "", fb_index_counts_unlisted(w->indices)) < 0)
        return -1;
    memset(&done, 0, sizeof(done));
    done.type = FB_MSG_DONE;
    done.range_id = w->range_id;
    done.status = status;
    done.counts = w->counts;
    return fb_msg_send(w->res_fd, &done);
}

int
fb_worker_main(const struct fb_options *opts, const struct fb_source *src,
               int cmd_fd, int res_fd)
{
    struct worker w;
    int code;

    install_worker_signals();
    code = worker_init(&w, opts, src, res_fd);
    while (code == FB_EXIT_OK) {
        struct fb_msg msg;
        int rc = fb_msg_recv(cmd_fd, &msg);

        if (rc == 0)
            break; /* no more work */
        if (rc < 0 || msg.type != FB_MSG_RANGE) {
            fb_error("bad message from the supervisor: %s",
                     rc < 0 ? strerror(errno) : "not a RANGE");
            code = FB_EXIT_SOFTWARE;
            break;
        }
        if ((code = start_range(&w, &msg)) != FB_EXIT_OK)
            break;
        rc = load_range(&w, &msg);
        if (report_done(&w, rc) < 0)
            code = FB_EXIT_SOFTWARE; /* the parent is gone */
        else if (fb_worker_stop)
            code = fb_exit_for_signal(fb_worker_stop);
    }
    worker_free(&w);
    return code;
}
