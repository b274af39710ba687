/*
 * sink.c
 *    Batches sent to the cluster until every document has an outcome
 *    (see sink.h).
 *
 * Per batch:  send -> whole-request retry / 413 split -> per-item outcome:
 *             loaded, already there (409 on create), retried (429/503),
 *             or rejected through the reject hook.
 */
#include "forkbulk/sink.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "forkbulk/backoff.h"
#include "forkbulk/bulk.h"
#include "forkbulk/bulkresp.h"
#include "forkbulk/clock.h"
#include "forkbulk/es.h"
#include "forkbulk/eslimits.h"
#include "forkbulk/gzip_body.h"
#include "forkbulk/log.h"
#include "forkbulk/status.h"
#include "forkbulk/supervisor.h"

struct fb_sink {
    const struct fb_options *opts;
    struct fb_sink_hooks hooks;
    struct fb_counts *counts;
    struct fb_es *es;
    struct fb_gzip *gzip; /* --compress */
    struct fb_bulk *bulk;
    struct fb_bulkresp_item *items; /* one per document of a batch */
    bool *retry;                    /* items to send again */
    struct fb_backoff backoff;
    double batch_started; /* monotonic seconds of the first attempt */
};

/* How one request of items [i, j) ended. */
enum send_result {
    SENT,          /* per-item answers are in; retry[] says what to resend */
    TOO_LARGE,     /* 413 for several items: send them in halves */
    TOO_LARGE_ONE, /* 413 for a single item: it cannot be sent */
    FAILED,        /* given up, or stopped: the exit code says which */
};

struct fb_sink *
fb_sink_new(const struct fb_options *opts, const struct fb_sink_hooks *hooks,
            struct fb_counts *counts)
{
    struct fb_sink *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->opts = opts;
    s->hooks = *hooks;
    s->counts = counts;
    fb_backoff_init(&s->backoff, hooks->stop, hooks->progress, hooks->arg,
                    opts->stall_ms);
    s->bulk =
        fb_bulk_new(opts->batch_bytes, opts->batch_docs,
                    opts->op == FB_OP_CREATE ? FB_BULK_CREATE : FB_BULK_INDEX);
    s->items = calloc(opts->batch_docs, sizeof(*s->items));
    s->retry = calloc(opts->batch_docs, sizeof(*s->retry));
    s->es = fb_es_new(opts);
    if (opts->compress)
        s->gzip = fb_gzip_new(opts->compress_level, opts->batch_bytes);
    if (s->bulk == NULL || s->items == NULL || s->retry == NULL ||
        s->es == NULL || (opts->compress && s->gzip == NULL)) {
        fb_sink_free(s);
        return NULL;
    }
    fb_es_start_at(s->es, fb_supervisor_slot());
    return s;
}

void
fb_sink_free(struct fb_sink *s)
{
    if (s == NULL)
        return;
    fb_bulk_free(s->bulk);
    free(s->items);
    free(s->retry);
    fb_es_free(s->es);
    fb_gzip_free(s->gzip);
    free(s);
}

int
fb_sink_set_index(struct fb_sink *s, const char *index)
{
    if (strcmp(fb_es_index(s->es), index) == 0)
        return FB_EXIT_OK;
    return fb_es_set_index(s->es, index) < 0 ? FB_EXIT_OSERR : FB_EXIT_OK;
}

const char *
fb_sink_index(const struct fb_sink *s)
{
    return fb_es_index(s->es);
}

static void
progress(struct fb_sink *s)
{
    if (s->hooks.progress != NULL)
        s->hooks.progress(s->hooks.arg);
}

static int
stop_status(const struct fb_sink *s)
{
    return fb_exit_for_signal(*s->hooks.stop);
}

/* Seconds since the current batch was first sent. */
static double
elapsed(const struct fb_sink *s)
{
    return fb_monotonic_seconds() - s->batch_started;
}

/* --retry-time: retries of one batch stop after this long in total. */
static bool
past_deadline(const struct fb_sink *s)
{
    return elapsed(s) * 1000 >= (double)s->opts->retry_time_ms;
}

/* What is left of --retry-time for the current batch, for a backoff. */
static uint64_t
time_left_ms(const struct fb_sink *s)
{
    double left = (double)s->opts->retry_time_ms - elapsed(s) * 1000;

    return left > 0 ? (uint64_t)left : 0;
}

/* Hands a refused document to the reject hook. */
static int
reject(struct fb_sink *s, uint64_t offset, uint64_t line, int status,
       const char *type, const char *reason, const char *record, size_t len)
{
    struct fb_reject r;

    memset(&r, 0, sizeof(r));
    r.offset = offset;
    r.line = line;
    r.status = status;
    r.type = type;
    r.reason = reason;
    r.record = record;
    r.record_len = len;
    return s->hooks.reject(s->hooks.arg, &r);
}

/* Applies the per-item answers of items [i, j). */
static int
apply_items(struct fb_sink *s, size_t i, size_t j)
{
    for (size_t k = i; k < j; k++) {
        const struct fb_bulkresp_item *it = &s->items[k];
        const struct fb_bulk_item *bi = fb_bulk_item(s->bulk, k);
        const char *src;
        size_t len;
        int rc;

        s->retry[k] = false;
        switch (fb_bulkresp_classify(it)) {
        case FB_ITEM_OK:
            s->counts->loaded++;
            /* A document with its own index (--time-field) is counted
             * per index too. */
            src = fb_bulk_index(s->bulk, k, &len);
            if (src != NULL && s->hooks.loaded_into != NULL)
                s->hooks.loaded_into(s->hooks.arg, src, len);
            break;
        case FB_ITEM_EXISTS:
            s->counts->conflicts++;
            break;
        case FB_ITEM_RETRY:
            s->retry[k] = true;
            break;
        case FB_ITEM_REJECT:
            src = fb_bulk_source(s->bulk, k, &len);
            rc = reject(s, bi->offset, bi->line, it->status, it->type,
                        it->reason, src, len);
            if (rc != FB_EXIT_OK)
                return rc;
            break;
        }
    }
    return FB_EXIT_OK;
}

/* "no response" or "HTTP 503", for messages. */
static const char *
describe(const struct fb_http_result *res, char *buf, size_t len)
{
    if (res->transport)
        snprintf(buf, len, "no response");
    else
        snprintf(buf, len, "HTTP %ld", res->status);
    return buf;
}

/*
 * After a failed attempt at a request of n items: 0 to try again (after
 * the backoff), or the exit code that ends the batch (retries used up,
 * or a stop signal during the wait).
 */
static int
retry_or_give_up(struct fb_sink *s, int attempt, size_t n,
                 const struct fb_http_result *res, const char *err)
{
    char what[32];

    describe(res, what, sizeof(what));
    if (attempt > s->opts->max_retries || past_deadline(s)) {
        fb_error("giving up on a batch of %zu record(s) after %d "
                 "attempt(s) in %.0f s to %s: %s: %s",
                 n, attempt, elapsed(s), fb_es_bulk_url(s->es, res->node), what,
                 err);
        return FB_EXIT_UNAVAILABLE;
    }
    fb_warn("bulk request failed (%s): %s; retry %d of %d", what, err, attempt,
            s->opts->max_retries);
    s->counts->retried += n;
    if (fb_backoff_sleep(&s->backoff, attempt, res->retry_after_s,
                         time_left_ms(s)) < 0)
        return stop_status(s);
    return FB_EXIT_OK;
}

/*
 * One attempt at a request of n items: to the next node in turn and,
 * while the node asked fails (es.h), at once to each other node that is
 * up.  The body is the same, and so are the ids: a node that failed
 * after storing some of it is overwritten, never duplicated.  Returns
 * what fb_es_bulk returned for the last node asked (res->node).
 */
static int
send_to_nodes(struct fb_sink *s, const char *body, size_t len, size_t n,
              struct fb_http_result *res)
{
    unsigned tried = 0;
    int node = fb_es_next_node(s->es);
    char what[32];

    for (;;) {
        int rc = fb_es_bulk(s->es, node, body, len, res);
        int next;

        tried |= 1u << node;
        s->counts->bytes_wire += len;
        s->counts->requests++;
        s->counts->nodes[node].requests++;
        if (!res->node_down)
            return rc;
        s->counts->nodes[node].failures++;
        if ((next = fb_es_other_node(s->es, tried)) < 0)
            return rc;
        fb_warn("node %s failed (%s%s%s): sending the same %zu record(s) to "
                "%s",
                fb_es_node_url(s->es, node), describe(res, what, sizeof(what)),
                res->transport ? ": " : "", res->transport ? res->error : "", n,
                fb_es_node_url(s->es, next));
        s->counts->retried += n;
        node = next;
        progress(s); /* each node may take the whole request timeout */
    }
}

/* The whole request was refused for good: the exit code. */
static int
refused(struct fb_sink *s, const struct fb_http_result *res)
{
    char err[256];

    if (res->transport) {
        fb_error("%s: %s", fb_es_node_url(s->es, res->node), res->error);
        return res->fatal;
    }
    fb_bulkresp_describe_error(res->body, res->body_len, err, sizeof(err));
    fb_error("%s answered HTTP %ld: %s", fb_es_bulk_url(s->es, res->node),
             res->status, err);
    return res->status == 401 || res->status == 403 ? FB_EXIT_CONFIG
                                                    : FB_EXIT_UNAVAILABLE;
}

/*
 * What goes on the wire for body: itself, or with --compress its gzip,
 * made once here and sent as often as the request is (every retry, every
 * node); only a part sent apart (a 413 half, the items to resend) is
 * compressed again.  NULL if it cannot be compressed.
 */
static const char *
on_the_wire(struct fb_sink *s, const char *body, size_t len, size_t *wire_len)
{
    int64_t t0;
    const char *gz;

    if (s->gzip == NULL) {
        *wire_len = len;
        return body;
    }
    t0 = fb_thread_cpu_us();
    gz = fb_gzip_body(s->gzip, body, len, wire_len);
    s->counts->gzip_in += len;
    s->counts->gzip_us += (uint64_t)(fb_thread_cpu_us() - t0);
    return gz;
}

/*
 * Sends items [i, j) until the cluster gives a per-item answer, retrying
 * whole-request failures.  On SENT, *rc is the outcome of applying the
 * items (and retry[i..j) says which to send again); on FAILED, the exit
 * code.
 */
static enum send_result
send_slice(struct fb_sink *s, size_t i, size_t j, int *rc)
{
    struct fb_http_result res;
    struct fb_bulkresp summary;
    char err[512];
    size_t len, wire_len;
    const char *body = fb_bulk_slice(s->bulk, i, j, &len);
    const char *wire = on_the_wire(s, body, len, &wire_len);

    if (wire == NULL) {
        fb_error("cannot gzip a body of %zu bytes", len);
        *rc = FB_EXIT_SOFTWARE;
        return FAILED;
    }
    for (int attempt = 1;; attempt++) {
        progress(s); /* alive, about to wait on the cluster */
        if (send_to_nodes(s, wire, wire_len, j - i, &res) < 0) {
            if (res.fatal != 0) {
                *rc = refused(s, &res);
                return FAILED;
            }
            snprintf(err, sizeof(err), "%s", res.error);
        } else {
            switch (fb_bulkresp_request_class(res.status)) {
            case FB_REQ_OK:
                if (fb_bulkresp_parse(res.body, res.body_len, s->items + i,
                                      j - i, &summary, err, sizeof(err)) == 0) {
                    s->counts->bytes_sent += len;
                    *rc = apply_items(s, i, j);
                    return *rc == FB_EXIT_OK ? SENT : FAILED;
                }
                break; /* a garbled answer: nothing known, send it all */
            case FB_REQ_RETRY:
                fb_bulkresp_describe_error(res.body, res.body_len, err,
                                           sizeof(err));
                break;
            case FB_REQ_SPLIT:
                return j - i > 1 ? TOO_LARGE : TOO_LARGE_ONE;
            case FB_REQ_FATAL:
                *rc = refused(s, &res);
                return FAILED;
            }
        }
        *rc = retry_or_give_up(s, attempt, j - i, &res, err);
        if (*rc != FB_EXIT_OK)
            return FAILED;
    }
}

/* A single document the cluster refuses as too large (413). */
static int
reject_too_large(struct fb_sink *s, size_t i)
{
    const struct fb_bulk_item *bi = fb_bulk_item(s->bulk, i);
    size_t len;
    const char *src = fb_bulk_source(s->bulk, i, &len);
    char reason[160];

    snprintf(reason, sizeof(reason),
             "the record alone (%zu bytes) is over the cluster's request "
             "size limit (HTTP 413)",
             len);
    s->retry[i] = false;
    return reject(s, bi->offset, bi->line, 413, "request_too_large", reason,
                  src, len);
}

/* Sends items [i, j), halving on 413 down to single records. */
static int
send_split(struct fb_sink *s, size_t i, size_t j)
{
    size_t len, mid;
    int rc = FB_EXIT_OK;

    switch (send_slice(s, i, j, &rc)) {
    case SENT:
    case FAILED:
        return rc;
    case TOO_LARGE_ONE:
        return reject_too_large(s, i);
    case TOO_LARGE:
        break;
    }
    /* Next batches stay under what the cluster refused. */
    fb_bulk_slice(s->bulk, i, j, &len);
    if (len / 2 < fb_bulk_limit(s->bulk) && len / 2 > 0) {
        fb_bulk_set_limit(s->bulk, len / 2);
        fb_info("HTTP 413 for %zu bytes: batch limit lowered to %zu", len,
                len / 2);
    }
    mid = i + (j - i) / 2;
    rc = send_split(s, i, mid);
    if (rc != FB_EXIT_OK)
        return rc;
    return send_split(s, mid, j);
}

/* Items still to send again after a round; 0 when all have an outcome. */
static size_t
count_retries(const struct fb_sink *s, size_t n)
{
    size_t again = 0;

    for (size_t k = 0; k < n; k++)
        again += s->retry[k];
    return again;
}

int
fb_sink_flush(struct fb_sink *s)
{
    int round = 0;
    int rc = FB_EXIT_OK;

    s->batch_started = fb_monotonic_seconds();
    while (fb_bulk_count(s->bulk) > 0) {
        size_t n = fb_bulk_count(s->bulk);
        size_t again;

        rc = send_split(s, 0, n);
        if (rc != FB_EXIT_OK || (again = count_retries(s, n)) == 0)
            break;
        round++;
        if (round > s->opts->max_retries || past_deadline(s)) {
            fb_error("%zu record(s) still refused as overloaded (429/503) "
                     "after %d attempts; giving up on them",
                     again, round);
            rc = FB_EXIT_UNAVAILABLE;
            break;
        }
        fb_debug("resending %zu of %zu item(s) (attempt %d)", again, n, round);
        s->counts->retried += again;
        fb_bulk_keep(s->bulk, s->retry);
        if (fb_backoff_sleep(&s->backoff, round, -1, time_left_ms(s)) < 0) {
            rc = stop_status(s);
            break;
        }
    }
    fb_bulk_reset(s->bulk);
    progress(s);
    return rc;
}

void
fb_sink_discard(struct fb_sink *s)
{
    fb_bulk_reset(s->bulk);
}

/* A document the batch cannot take at all. */
static int
reject_unbatchable(struct fb_sink *s, const struct fb_doc *doc,
                   enum fb_bulk_result r)
{
    char why[160];

    if (r == FB_BULK_BAD_ID) {
        snprintf(why, sizeof(why), "id longer than %d bytes", FB_ES_ID_MAX);
        return reject(s, doc->offset, doc->line, 0, "invalid_id", why, doc->raw,
                      doc->raw_len);
    }
    if (r == FB_BULK_BAD_INDEX) {
        snprintf(why, sizeof(why), "index name longer than %d bytes",
                 FB_ES_INDEX_MAX);
        return reject(s, doc->offset, doc->line, 0, "invalid_index_name", why,
                      doc->raw, doc->raw_len);
    }
    snprintf(why, sizeof(why),
             "record of %zu bytes does not fit in a batch of %zu bytes "
             "(--batch-bytes)",
             doc->len, fb_bulk_limit(s->bulk));
    return reject(s, doc->offset, doc->line, 0, "record_too_large", why,
                  doc->raw, doc->raw_len);
}

int
fb_sink_add(struct fb_sink *s, const struct fb_doc *doc)
{
    enum fb_bulk_result r;
    int rc;

    r = fb_bulk_add(s->bulk, doc->index, doc->id, doc->id_len, doc->json,
                    doc->len, doc->offset, doc->line);
    if (r == FB_BULK_FULL) {
        if ((rc = fb_sink_flush(s)) != FB_EXIT_OK)
            return rc;
        r = fb_bulk_add(s->bulk, doc->index, doc->id, doc->id_len, doc->json,
                        doc->len, doc->offset, doc->line);
    }
    if (r == FB_BULK_OK)
        return FB_EXIT_OK;
    return reject_unbatchable(s, doc, r);
}

/* What a setting risks, said once per run, before the first request. */
static void
warn_transport(const struct fb_options *opts)
{
    bool creds = opts->es_api_key != NULL || opts->es_user != NULL;

    if (opts->insecure)
        fb_warn("--insecure: the TLS certificate of %s is not checked; "
                "anyone on the path can read and change what is sent",
                opts->es_url);
    for (int i = 0; creds && i < opts->n_es_nodes; i++)
        if (strncasecmp(opts->es_nodes[i], "http://", 7) == 0)
            fb_warn("credentials go to %s over plain http, readable by "
                    "anyone on the path; use https",
                    opts->es_nodes[i]);
}

int
fb_sink_probe(const struct fb_options *opts, char *desc, size_t desclen,
              char *why, size_t whylen)
{
    static const char *const flavors[] = {
        [FB_FLAVOR_ES7] = "Elasticsearch 7",
        [FB_FLAVOR_ES8] = "Elasticsearch 8",
        [FB_FLAVOR_OPENSEARCH] = "OpenSearch",
    };
    struct fb_es *es = fb_es_new(opts);
    int rc;

    if (es == NULL) {
        snprintf(why, whylen, "out of memory creating the HTTP client");
        return FB_EXIT_OSERR;
    }
    rc = fb_es_check(es, flavors[opts->es_flavor], desc, desclen, why, whylen);
    fb_es_free(es);
    return rc;
}

int
fb_sink_check(const struct fb_options *opts, char *desc, size_t desclen)
{
    char why[1536];
    int rc;

    warn_transport(opts);
    rc = fb_sink_probe(opts, desc, desclen, why, sizeof(why));
    if (rc != FB_EXIT_OK)
        fb_error("%s", why);
    else if (why[0] != '\0')
        fb_warn("%s", why);
    return rc;
}
