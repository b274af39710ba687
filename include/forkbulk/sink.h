/*
 * sink.h
 *    Where documents go: an Elasticsearch or OpenSearch cluster, through
 *    _bulk.
 *
 * The sink owns the cluster connection (es.h), the batch (bulk.h), the
 * retry policy and what each item's answer means (bulkresp.h).  A worker
 * adds documents; when the batch is full, or when the worker flushes at
 * the end of a range, the sink sends it and keeps at it until every item
 * has one of these outcomes:
 *
 *   loaded    the cluster stored it                   counts->loaded
 *   exists    --op create, and the id is there (409)  counts->conflicts
 *   rejected  refused for good (a mapping error, larger than a batch or
 *             than the cluster takes): handed to the reject hook with the
 *             cluster's reason
 *
 * Transient failures are retried after a backoff (backoff.h): a whole
 * request that got no answer, a garbled one, or 408/429/5xx is sent again;
 * items answered 429/502/503/504 are sent again alone.  Retries of one
 * batch stop after --retries attempts or --retry-time, and the flush then
 * fails with 69.  A 413 sends the batch in halves, down to single
 * documents (a single one is rejected), and later batches stay under the
 * size refused.  401/403 end the range with 78 (credentials), any other
 * refusal of the whole request with 69.
 *
 * Every function that can fail returns an exit code of status.h.  The
 * parent never holds a batch: it uses fb_sink_check(), which opens a
 * connection of its own (its index calls are index_admin.h's).
 */
#ifndef FORKBULK_SINK_H
#define FORKBULK_SINK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "forkbulk/doc.h"
#include "forkbulk/options.h"
#include "forkbulk/proto.h"
#include "forkbulk/rejects.h"

struct fb_sink;

struct fb_sink_hooks {
    /* A document refused for good.  r has offset, line (as the document
     * gave them), status, type, reason and record filled; where is
     * NULL.  Returns 0, or an exit code that ends the flush (the reject
     * could not be recorded). */
    int (*reject)(void *arg, struct fb_reject *r);
    /* About to wait on the cluster, or a batch is done: the worker is
     * alive.  May be NULL. */
    void (*progress)(void *arg);
    void *arg;
    /* Set by a stop signal: a backoff ends at once and the flush fails
     * with the signal's exit code.  May be NULL. */
    const volatile sig_atomic_t *stop;
    /* The cluster stored a document that named its own index (doc->index),
     * index[0..len) as its action line carries it.  May be NULL. */
    void (*loaded_into)(void *arg, const char *index, size_t len);
};

/*
 * A worker's sink: the connection, one batch of opts->batch_bytes and
 * opts->batch_docs, and the counters it adds to (counts stays the
 * caller's).  NULL on allocation failure.
 */
struct fb_sink *fb_sink_new(const struct fb_options *opts,
                            const struct fb_sink_hooks *hooks,
                            struct fb_counts *counts);

void fb_sink_free(struct fb_sink *s);

/* Later documents go to index.  0, or FB_EXIT_OSERR. */
int fb_sink_set_index(struct fb_sink *s, const char *index);

/* The index documents go to ("" before the first fb_sink_set_index). */
const char *fb_sink_index(const struct fb_sink *s);

/*
 * Adds a ready document (doc->json, doc->id, its origin), sending the
 * batch first when it is full.  A document that cannot be sent at all
 * (larger than a batch, id too long) goes to the reject hook.  0, or the
 * exit code of a failed flush.
 */
int fb_sink_add(struct fb_sink *s, const struct fb_doc *doc);

/* Sends the batch until every item has its outcome; the batch is empty
 * afterwards whatever the result.  0, or an exit code. */
int fb_sink_flush(struct fb_sink *s);

/* Drops the batch unsent (the range failed; it will be read again). */
void fb_sink_discard(struct fb_sink *s);

/*
 * Parent: GET / and check that a cluster answers and is Elasticsearch or
 * OpenSearch.  0 with its description ("Elasticsearch 8.13.1") in desc,
 * or an exit code after logging why (69; 78 for refused credentials).
 * Warns, once, of what the transport settings risk (--insecure,
 * credentials over http).
 */
int fb_sink_check(const struct fb_options *opts, char *desc, size_t desclen);

/* The same, logging nothing: why holds the reason of a failure, or
 * after 0 a warning to give ("" when there is none). */
int fb_sink_probe(const struct fb_options *opts, char *desc, size_t desclen,
                  char *why, size_t whylen);

#endif
