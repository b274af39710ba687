/*
 * worker.c
 *    A worker process: reads the records of each range it is given, sends
 *    them in bounded batches, and reports counts (see worker.h).
 *
 * Per record:  reader -> validate (NDJSON) or render (CSV) -> id -> batch.
 * Per batch:   send -> whole-request retry / 413 split -> per-item outcome:
 *              loaded, already there (409 on create), retried (429/503),
 *              or rejected to the reject file.
 */
#include "forkbulk/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forkbulk/bulk.h"
#include "forkbulk/bulkresp.h"
#include "forkbulk/clock.h"
#include "forkbulk/csv.h"
#include "forkbulk/docid.h"
#include "forkbulk/es.h"
#include "forkbulk/jsonout.h"
#include "forkbulk/jsonscan.h"
#include "forkbulk/job.h"
#include "forkbulk/log.h"
#include "forkbulk/pg_read.h"
#include "forkbulk/plan.h"
#include "forkbulk/proto.h"
#include "forkbulk/reader.h"
#include "forkbulk/rejects.h"
#include "forkbulk/status.h"

volatile sig_atomic_t fb_worker_stop;
static volatile sig_atomic_t reopen_log; /* SIGHUP: reopen --log-file */

/* Backoff between attempts: full jitter over an exponential window. */
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS 30000

struct worker {
    const struct fb_options *opts;
    int res_fd;
    uint32_t range_id;
    enum fb_input_kind kind;
    struct fb_reader *reader;
    struct fb_scan_state ckpt;
    struct fb_csv *csv;
    bool csv_header; /* field names known */
    char *scratch;   /* CSV record rendered as JSON */
    size_t scratch_cap;
    struct fb_bulk *bulk;
    struct fb_bulkresp_item *items; /* one per document of a batch */
    bool *retry;                    /* items to send again */
    struct fb_es *es;
    struct fb_rejects *rejects;
    struct fb_docid_source idsrc;
    bool is_pg; /* PostgreSQL instead of a file */
    struct fb_pg_spec pgspec;
    struct fb_pg_reader *pg; /* connected at the first range */
    struct fb_counts counts; /* of the current range */
    uint64_t rejects_done;   /* of its rejects, already in the reject file */
    double batch_started;    /* monotonic seconds of the first attempt */
    uint64_t rng;
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

static int
stop_status(void)
{
    return fb_worker_stop == SIGINT ? FB_EXIT_SIGINT : FB_EXIT_SIGTERM;
}

static uint64_t
next_random(struct worker *w)
{
    /* xorshift64: jitter only needs to spread workers apart. */
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

/*
 * Sleeps before attempt number `attempt` (1-based), at least retry_after_s
 * seconds when the server asked for it.  Returns -1 if a stop signal came.
 */
static int
backoff(struct worker *w, int attempt, long retry_after_s)
{
    uint64_t window = BACKOFF_BASE_MS;
    uint64_t ms;
    struct timespec ts;

    for (int i = 1; i < attempt && window < BACKOFF_CAP_MS; i++)
        window *= 2;
    if (window > BACKOFF_CAP_MS)
        window = BACKOFF_CAP_MS;
    ms = next_random(w) % (window + 1);
    if (retry_after_s > 0 && (uint64_t)retry_after_s * 1000 > ms)
        ms = (uint64_t)retry_after_s * 1000;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        if (fb_worker_stop)
            return -1;
    return fb_worker_stop ? -1 : 0;
}

/* Seconds since the current batch was first sent. */
static double
elapsed(const struct worker *w)
{
    return fb_monotonic_seconds() - w->batch_started;
}

/* --retry-time: retries of one batch stop after this long in total. */
static bool
past_deadline(const struct worker *w)
{
    return elapsed(w) * 1000 >= (double)w->opts->retry_time_ms;
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

static int
reject(struct worker *w, uint64_t offset, uint64_t rel_line, int status,
       const char *type, const char *reason, const char *record, size_t len)
{
    struct fb_reject r;

    if (w->is_pg) {
        r.where = fb_pg_reader_range_desc(w->pg);
        r.line = rel_line; /* the row number within the range */
    } else {
        r.where = NULL;
        r.line = fb_reader_line_at(w->reader, rel_line);
    }
    r.offset = offset;
    r.status = status;
    r.type = type;
    r.reason = reason;
    r.record = record != NULL ? record : "";
    r.record_len = record != NULL ? len : 0;
    /* A re-read of a range meets its rejects again, in the same order. */
    if (++w->counts.rejected <= w->rejects_done)
        return FB_EXIT_OK;
    if (fb_rejects_write(w->rejects, &r) < 0)
        return FB_EXIT_IOERR; /* a reject that cannot be recorded is lost */
    /* Tell the parent at once, so that a replacement after our death
     * skips this line: only a kill between these two writes can leave a
     * reject line twice. */
    report_progress(w);
    return FB_EXIT_OK;
}

/* Applies the per-item results of items [i, j). */
static int
apply_items(struct worker *w, size_t i, size_t j)
{
    for (size_t k = i; k < j; k++) {
        const struct fb_bulkresp_item *it = &w->items[k];
        const struct fb_bulk_item *bi = fb_bulk_item(w->bulk, k);
        const char *src;
        size_t len;
        int rc;

        w->retry[k] = false;
        switch (fb_bulkresp_classify(it)) {
        case FB_ITEM_OK:
            w->counts.loaded++;
            break;
        case FB_ITEM_EXISTS:
            w->counts.conflicts++;
            break;
        case FB_ITEM_RETRY:
            w->retry[k] = true;
            break;
        case FB_ITEM_REJECT:
            src = fb_bulk_source(w->bulk, k, &len);
            rc = reject(w, bi->offset, bi->line, it->status, it->type,
                        it->reason, src, len);
            if (rc != FB_EXIT_OK)
                return rc;
            break;
        }
    }
    return FB_EXIT_OK;
}

/*
 * Sends items [i, j) until the cluster gives a per-item answer, retrying
 * whole-request failures and splitting on 413.  Fills retry[i..j).
 */
static int
send_slice(struct worker *w, size_t i, size_t j)
{
    struct fb_http_result res;
    struct fb_bulkresp summary;
    char err[256];
    const char *body;
    size_t len;
    int attempt = 0;

    body = fb_bulk_slice(w->bulk, i, j, &len);
    for (;;) {
        bool retryable = false;

        report_progress(w); /* alive, about to wait on the cluster */
        if (fb_es_bulk(w->es, body, len, &res) < 0) {
            snprintf(err, sizeof(err), "%s", res.error);
            retryable = true;
        } else {
            switch (fb_bulkresp_request_class(res.status)) {
            case FB_REQ_OK:
                if (fb_bulkresp_parse(res.body, res.body_len, w->items + i,
                                      j - i, &summary, err, sizeof(err)) == 0) {
                    w->counts.requests++;
                    w->counts.bytes_sent += len;
                    return apply_items(w, i, j);
                }
                /* A garbled answer: nothing known, send it all again. */
                retryable = true;
                break;
            case FB_REQ_RETRY:
                fb_bulkresp_describe_error(res.body, res.body_len, err,
                                           sizeof(err));
                retryable = true;
                break;
            case FB_REQ_SPLIT:
                w->counts.requests++;
                return j - i > 1 ? -413 : 413;
            case FB_REQ_FATAL:
                fb_bulkresp_describe_error(res.body, res.body_len, err,
                                           sizeof(err));
                fb_error("%s answered HTTP %ld: %s", fb_es_bulk_url(w->es),
                         res.status, err);
                return res.status == 401 || res.status == 403
                           ? FB_EXIT_CONFIG
                           : FB_EXIT_UNAVAILABLE;
            }
        }
        if (retryable) {
            char what[32];

            w->counts.requests++;
            attempt++;
            if (res.transport)
                snprintf(what, sizeof(what), "no response");
            else
                snprintf(what, sizeof(what), "HTTP %ld", res.status);
            if (attempt > w->opts->max_retries || past_deadline(w)) {
                fb_error("giving up on a batch of %zu record(s) after %d "
                         "attempt(s) in %.0f s to %s: %s: %s",
                         j - i, attempt, elapsed(w), fb_es_bulk_url(w->es),
                         what, err);
                return FB_EXIT_UNAVAILABLE;
            }
            fb_warn("bulk request failed (%s): %s; retry %d of %d", what, err,
                    attempt, w->opts->max_retries);
            w->counts.retried += j - i;
            if (backoff(w, attempt, res.retry_after_s) < 0)
                return stop_status();
        }
    }
}

/* Sends items [i, j), halving on 413 down to single records. */
static int
send_split(struct worker *w, size_t i, size_t j)
{
    int rc = send_slice(w, i, j);
    size_t len;
    size_t mid;

    if (rc == 413) {
        const struct fb_bulk_item *bi = fb_bulk_item(w->bulk, i);
        const char *src = fb_bulk_source(w->bulk, i, &len);
        char reason[160];

        snprintf(reason, sizeof(reason),
                 "the record alone (%zu bytes) is over the cluster's request "
                 "size limit (HTTP 413)",
                 len);
        w->retry[i] = false;
        return reject(w, bi->offset, bi->line, 413, "request_too_large", reason,
                      src, len);
    }
    if (rc != -413)
        return rc;

    /* Next batches stay under what the cluster refused. */
    fb_bulk_slice(w->bulk, i, j, &len);
    if (len / 2 < fb_bulk_limit(w->bulk) && len / 2 > 0) {
        fb_bulk_set_limit(w->bulk, len / 2);
        fb_info("HTTP 413 for %zu bytes: batch limit lowered to %zu", len,
                len / 2);
    }
    mid = i + (j - i) / 2;
    rc = send_split(w, i, mid);
    if (rc != FB_EXIT_OK)
        return rc;
    return send_split(w, mid, j);
}

/* Sends the batch until every item is loaded, present or rejected. */
static int
flush(struct worker *w)
{
    int round = 0;
    int rc = FB_EXIT_OK;

    w->batch_started = fb_monotonic_seconds();
    while (fb_bulk_count(w->bulk) > 0) {
        size_t n = fb_bulk_count(w->bulk);
        size_t again = 0;

        rc = send_split(w, 0, n);
        if (rc != FB_EXIT_OK)
            break;
        for (size_t k = 0; k < n; k++)
            again += w->retry[k];
        if (again == 0)
            break;
        round++;
        if (round > w->opts->max_retries || past_deadline(w)) {
            fb_error("%zu record(s) still refused as overloaded (429/503) "
                     "after %d attempts; giving up on them",
                     again, round);
            rc = FB_EXIT_UNAVAILABLE;
            break;
        }
        fb_debug("resending %zu of %zu item(s) (attempt %d)", again, n, round);
        w->counts.retried += again;
        fb_bulk_keep(w->bulk, w->retry);
        if (backoff(w, round, -1) < 0) {
            rc = stop_status();
            break;
        }
    }
    fb_bulk_reset(w->bulk);
    report_progress(w);
    if (reopen_log) {
        reopen_log = 0;
        if (w->opts->log_file != NULL)
            fb_log_open(w->opts->log_file);
    }
    return rc;
}

/* Where a document came from, for its batch item and a reject. */
struct origin {
    uint64_t offset; /* file: byte offset; PostgreSQL: 0 */
    uint64_t line;   /* file: line within the range; PG: row in range */
    const char *raw; /* the record as read, for the reject file */
    size_t raw_len;
};

/*
 * Adds a ready JSON document with the given id (NULL: the file source
 * derives one), sending the batch first if it is full.
 */
static int
add_document(struct worker *w, const struct origin *o, const char *id,
             size_t idlen, const char *doc, size_t len)
{
    char idbuf[FB_DOCID_BUFSIZE];
    char err[160];
    enum fb_bulk_result r;
    int rc;

    if (id == NULL && !w->is_pg) {
        if (w->opts->id_field != NULL) {
            if (fb_docid_from_field(doc, len, w->opts->id_field, idbuf,
                                    sizeof(idbuf), &idlen, err,
                                    sizeof(err)) < 0)
                return reject(w, o->offset, o->line, 0, "invalid_id", err,
                              o->raw, o->raw_len);
        } else {
            idlen =
                fb_docid_position(&w->idsrc, o->offset, idbuf, sizeof(idbuf));
        }
        id = idbuf;
    }

    r = fb_bulk_add(w->bulk, id, idlen, doc, len, o->offset, o->line);
    if (r == FB_BULK_FULL) {
        if ((rc = flush(w)) != FB_EXIT_OK)
            return rc;
        r = fb_bulk_add(w->bulk, id, idlen, doc, len, o->offset, o->line);
    }
    if (r == FB_BULK_OK)
        return FB_EXIT_OK;
    if (r == FB_BULK_BAD_ID)
        return reject(w, o->offset, o->line, 0, "invalid_id",
                      "id longer than 512 bytes", o->raw, o->raw_len);
    snprintf(err, sizeof(err),
             "record of %zu bytes does not fit in a batch of %zu bytes "
             "(--batch-bytes)",
             len, fb_bulk_limit(w->bulk));
    return reject(w, o->offset, o->line, 0, "record_too_large", err, o->raw,
                  o->raw_len);
}

static int
process_record(struct worker *w, const struct fb_record *rec)
{
    struct origin o = {rec->offset, rec->rel_line, rec->data, rec->len};
    char err[192];
    size_t pos = 0;

    if (rec->is_header && w->opts->format == FB_FORMAT_CSV) {
        /* A stream's header; files read it in open_input(). */
        if (fb_csv_set_header(w->csv, rec->data, rec->len) < 0) {
            fb_error("%s: bad CSV header: %s", w->opts->input,
                     fb_csv_error(w->csv));
            return FB_EXIT_DATAERR;
        }
        w->csv_header = true;
        return FB_EXIT_OK;
    }
    w->counts.read++;
    if (rec->too_long) {
        snprintf(err, sizeof(err),
                 "record is %zu bytes, more than --max-record-bytes %zu",
                 rec->len, w->opts->max_record_bytes);
        return reject(w, rec->offset, rec->rel_line, 0, "record_too_large", err,
                      NULL, 0);
    }
    if (w->opts->format == FB_FORMAT_NDJSON) {
        if (fb_json_validate_object(rec->data, rec->len, err, sizeof(err)) < 0)
            return reject(w, rec->offset, rec->rel_line, 0, "invalid_json", err,
                          rec->data, rec->len);
        return add_document(w, &o, NULL, 0, rec->data, rec->len);
    }
    /* JSON can carry only UTF-8: a Latin-1 record is refused, not
     * silently altered. */
    if (!fb_utf8_valid(rec->data, rec->len))
        return reject(w, rec->offset, rec->rel_line, 0, "invalid_csv",
                      "record is not valid UTF-8", rec->data, rec->len);
    if (fb_csv_to_json(w->csv, rec->data, rec->len, w->scratch, w->scratch_cap,
                       &pos) < 0)
        return reject(w, rec->offset, rec->rel_line, 0, "invalid_csv",
                      fb_csv_error(w->csv), rec->data, rec->len);
    return add_document(w, &o, NULL, 0, w->scratch, pos);
}

/* Opens the input the first time a range needs it. */
static int
open_input(struct worker *w)
{
    const struct fb_options *o = w->opts;
    uint64_t size;
    int rc;

    if (fb_input_kind(o->input, &w->kind, &size) < 0) {
        fb_error("cannot read input %s: %s", o->input, strerror(errno));
        return FB_EXIT_NOINPUT;
    }
    if (w->kind == FB_INPUT_STREAM && strcmp(o->input, "-") == 0)
        rc = fb_reader_open_stream(w->reader, STDIN_FILENO);
    else if (w->kind == FB_INPUT_STREAM) {
        int fd = open(o->input, O_RDONLY | O_CLOEXEC);

        /* The reader does not own a stream's fd; this one lives as long
         * as the worker. */
        rc = fd < 0 ? -1 : fb_reader_open_stream(w->reader, fd);
    } else if (w->kind == FB_INPUT_GZIP)
        rc = fb_reader_open_gzip(w->reader, o->input);
    else
        rc = fb_reader_open_file(w->reader, o->input);
    if (rc < 0) {
        fb_error("cannot open input %s: %s", o->input,
                 fb_reader_error(w->reader));
        return FB_EXIT_NOINPUT;
    }
    if (fb_docid_source_init(
            &w->idsrc, w->kind == FB_INPUT_STREAM ? NULL : o->input) < 0) {
        fb_error("cannot resolve the path of %s: %s", o->input,
                 strerror(errno));
        return FB_EXIT_NOINPUT;
    }
    if (o->format == FB_FORMAT_CSV && w->kind == FB_INPUT_FILE) {
        size_t len;

        if (fb_reader_read_header(w->reader, w->scratch, w->scratch_cap, &len) <
            0) {
            fb_error("%s: cannot read the CSV header: %s", o->input,
                     fb_reader_error(w->reader));
            return FB_EXIT_DATAERR;
        }
        if (fb_csv_set_header(w->csv, w->scratch, len) < 0) {
            fb_error("%s: bad CSV header: %s", o->input, fb_csv_error(w->csv));
            return FB_EXIT_DATAERR;
        }
        w->csv_header = true;
    }
    return FB_EXIT_OK;
}

/*
 * Ends a range: the batch in flight is sent also when stopping; after an
 * error nothing more is sent (the range is not loaded).
 */
static int
finish_range(struct worker *w, int rc)
{
    if (rc == FB_EXIT_OK || rc == FB_EXIT_SIGINT || rc == FB_EXIT_SIGTERM) {
        int frc = flush(w);

        if (rc == FB_EXIT_OK)
            rc = frc;
    } else {
        fb_bulk_reset(w->bulk);
    }
    return rc;
}

/* One attempt at a PostgreSQL range; returns its exit code. */
static int
pg_range_once(struct worker *w, const struct fb_msg *msg)
{
    struct fb_pg_range range;
    struct fb_pg_row row;
    int status = FB_EXIT_OK;
    int rc;

    if (w->pg == NULL && (w->pg = fb_pg_reader_open(&w->pgspec)) == NULL)
        return FB_EXIT_UNAVAILABLE;
    range.snapshot = msg->snapshot;
    range.split = (enum fb_pg_split)msg->kind;
    range.window.start_us = msg->win_start;
    range.window.end_us = msg->win_end;
    range.lo = msg->lo;
    range.hi = msg->hi;
    if ((rc = fb_pg_reader_begin(w->pg, &range)) != FB_EXIT_OK)
        return rc;
    while (rc == FB_EXIT_OK) {
        struct origin o;
        int r;

        if (fb_worker_stop) {
            rc = stop_status();
            break;
        }
        r = fb_pg_reader_next(w->pg, &row, &status);
        if (r == 0)
            break;
        if (r < 0) {
            rc = status != FB_EXIT_OK ? status : FB_EXIT_UNAVAILABLE;
            break;
        }
        w->counts.read++;
        o.offset = 0;
        o.line = row.row;
        o.raw = row.doc;
        o.raw_len = row.doc_len;
        if (row.error != NULL)
            rc = reject(w, 0, row.row, 0, "invalid_row", row.error, row.doc,
                        row.doc_len);
        else
            rc = add_document(w, &o, row.id, row.id_len, row.doc, row.doc_len);
    }
    rc = finish_range(w, rc);
    if (rc == FB_EXIT_OK && w->counts.rejected > 0)
        rc = FB_EXIT_DATAERR;
    return rc;
}

/* Attempts at a range after the PostgreSQL connection is lost. */
#define PG_RANGE_ATTEMPTS 3

/*
 * Loads one range of a PostgreSQL source.  A lost connection (69) is
 * retried on a new connection in the same snapshot, which lives as long
 * as the parent's exporting transaction; if that is gone too, the range
 * fails, the hour is marked failed, and --catch-up redoes it.  Documents
 * sent before the loss are sent again with the same ids: they overwrite.
 */
static int
load_pg_range(struct worker *w, const struct fb_msg *msg)
{
    int rc = FB_EXIT_OK;

    for (int attempt = 1; attempt <= PG_RANGE_ATTEMPTS; attempt++) {
        rc = pg_range_once(w, msg);
        if (rc != FB_EXIT_UNAVAILABLE || fb_worker_stop || w->pg == NULL ||
            attempt == PG_RANGE_ATTEMPTS)
            break;
        fb_warn("PostgreSQL failed while reading %s; retrying the range on a "
                "new connection in the same snapshot (attempt %d of %d)",
                fb_pg_reader_range_desc(w->pg), attempt + 1, PG_RANGE_ATTEMPTS);
        fb_pg_reader_close(w->pg);
        w->pg = NULL;
        /* The range starts over: what was sent is sent again, what was
         * rejected is not written again. */
        if (w->counts.rejected > w->rejects_done)
            w->rejects_done = w->counts.rejected;
        w->counts.retried += w->counts.loaded + w->counts.conflicts;
        w->counts.read = w->counts.loaded = w->counts.conflicts = 0;
        w->counts.rejected = 0;
        if (backoff(w, attempt, -1) < 0)
            return stop_status();
    }
    return rc;
}

/* Loads one range of a file; returns its exit code. */
static int
load_file_range(struct worker *w, uint64_t lo, uint64_t hi)
{
    struct fb_record rec;
    enum fb_read_result r;
    int rc = FB_EXIT_OK;

    if (fb_reader_begin(w->reader, lo, hi, &w->ckpt) < 0) {
        fb_error("%s: cannot read range [%" PRIu64 ", %" PRIu64 "): %s",
                 w->opts->input, lo, hi, fb_reader_error(w->reader));
        return FB_EXIT_IOERR;
    }
    while (rc == FB_EXIT_OK) {
        if (fb_worker_stop) {
            rc = stop_status();
            break;
        }
        r = fb_reader_next(w->reader, &rec);
        if (r == FB_READ_END)
            break;
        if (r == FB_READ_ERROR) {
            fb_error("%s: read error in range [%" PRIu64 ", %" PRIu64 "): %s",
                     w->opts->input, lo, hi, fb_reader_error(w->reader));
            rc = FB_EXIT_IOERR;
            break;
        }
        rc = process_record(w, &rec);
    }
    rc = finish_range(w, rc);
    if (rc == FB_EXIT_OK && w->kind == FB_INPUT_FILE &&
        fb_reader_file_changed(w->reader) == 1) {
        fb_error("%s changed (size, inode or mtime) while range [%" PRIu64
                 ", %" PRIu64 ") was loaded; the load is not consistent",
                 w->opts->input, lo, hi);
        rc = FB_EXIT_IOERR;
    }
    if (rc == FB_EXIT_OK && w->counts.rejected > 0)
        rc = FB_EXIT_DATAERR;
    return rc;
}

static int
worker_init(struct worker *w, const struct fb_options *opts, int res_fd)
{
    struct fb_reader_opts ro;
    struct fb_csv_opts co;

    memset(w, 0, sizeof(*w));
    w->opts = opts;
    w->res_fd = res_fd;
    w->rng = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ (uint64_t)time(NULL);
    if (w->rng == 0)
        w->rng = 1;
    fb_scan_state_init(&w->ckpt);

    memset(&ro, 0, sizeof(ro));
    ro.format = opts->format;
    ro.max_record_bytes = opts->max_record_bytes;
    w->reader = fb_reader_new(&ro);
    w->bulk =
        fb_bulk_new(opts->batch_bytes, opts->batch_docs,
                    opts->op == FB_OP_CREATE ? FB_BULK_CREATE : FB_BULK_INDEX);
    w->items = calloc(opts->batch_docs, sizeof(*w->items));
    w->retry = calloc(opts->batch_docs, sizeof(*w->retry));
    w->es = fb_es_new(opts);
    w->is_pg = fb_options_pg(opts);
    if (w->is_pg) {
        char err[256];

        if (fb_pg_spec_from_options(opts, &w->pgspec, err, sizeof(err)) < 0) {
            fb_error("%s", err); /* the parent checked it already */
            return FB_EXIT_CONFIG;
        }
    }
    w->rejects = fb_rejects_open(
        opts->reject_file, w->is_pg ? fb_job_source_name(opts) : opts->input,
        opts->max_record_bytes);
    if (w->reader == NULL || w->bulk == NULL || w->items == NULL ||
        w->retry == NULL || w->es == NULL || w->rejects == NULL)
        return FB_EXIT_OSERR;
    if (opts->format == FB_FORMAT_CSV) {
        memset(&co, 0, sizeof(co));
        co.max_record_bytes = opts->max_record_bytes;
        co.empty_as_null = opts->csv_null;
        w->csv = fb_csv_new(&co);
        /* Names and quoting make a rendered row longer than the record. */
        w->scratch_cap = opts->max_record_bytes * 2 + 65536;
        w->scratch = malloc(w->scratch_cap);
        if (w->csv == NULL || w->scratch == NULL)
            return FB_EXIT_OSERR;
    }
    return FB_EXIT_OK;
}

static void
worker_free(struct worker *w)
{
    fb_pg_reader_close(w->pg);
    fb_reader_free(w->reader);
    fb_csv_free(w->csv);
    free(w->scratch);
    fb_bulk_free(w->bulk);
    free(w->items);
    free(w->retry);
    fb_es_free(w->es);
    fb_rejects_close(w->rejects);
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

int
fb_worker_main(const struct fb_options *opts, int cmd_fd, int res_fd)
{
    struct worker w;
    bool opened = false;
    int code = FB_EXIT_OK;
    int rc;

    install_worker_signals();
    rc = worker_init(&w, opts, res_fd);
    if (rc != FB_EXIT_OK) {
        if (rc == FB_EXIT_OSERR)
            fb_error("cannot allocate the batch buffers (--batch-bytes %zu, "
                     "--batch-docs %zu): out of memory",
                     opts->batch_bytes, opts->batch_docs);
        worker_free(&w);
        return rc;
    }

    for (;;) {
        struct fb_msg msg;
        struct fb_msg done;

        rc = fb_msg_recv(cmd_fd, &msg);
        if (rc == 0)
            break; /* no more work */
        if (rc < 0 || msg.type != FB_MSG_RANGE) {
            fb_error("bad message from the supervisor: %s",
                     rc < 0 ? strerror(errno) : "not a JOB");
            code = FB_EXIT_SOFTWARE;
            break;
        }
        w.range_id = msg.range_id;
        w.rejects_done = msg.rejects_done;
        memset(&w.counts, 0, sizeof(w.counts));
        if (strcmp(fb_es_index(w.es), msg.index) != 0 &&
            fb_es_set_index(w.es, msg.index) < 0) {
            code = FB_EXIT_OSERR;
            break;
        }
        if (w.is_pg) {
            rc = load_pg_range(&w, &msg);
        } else {
            if (!opened) {
                rc = open_input(&w);
                opened = rc == FB_EXIT_OK;
            }
            if (opened)
                rc = load_file_range(&w, msg.lo, msg.hi);
        }

        memset(&done, 0, sizeof(done));
        done.type = FB_MSG_DONE;
        done.range_id = msg.range_id;
        done.status = rc;
        done.counts = w.counts;
        if (fb_msg_send(res_fd, &done) < 0) {
            code = FB_EXIT_SOFTWARE; /* the parent is gone */
            break;
        }
        if (fb_worker_stop) {
            code = stop_status();
            break;
        }
    }
    worker_free(&w);
    return code;
}
