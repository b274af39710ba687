/*
 * proto.h
 *    The pipe protocol between the supervisor and its workers.
 *
 * A message is one fixed-size frame, smaller than PIPE_BUF, so every write
 * is atomic and a reader never sees half a message from a live writer.
 * Frames carry ranges and counters, never records: the data itself is read
 * by each worker from the source.
 *
 *   parent -> worker   RANGE(range_id, lo, hi, index, source context,
 *                            rejects_done)       load this range
 *   worker -> parent   DONE(range_id, counters)    range finished
 *                      PROGRESS(range_id, counters)
 *                                                a batch went out, or a
 *                                                reject line was written
 *                      INDEX_COUNT(range_id, index, counts.loaded)
 *                                                documents of the range
 *                                                that named their own
 *                                                index (--time-field),
 *                                                loaded into it: one
 *                                                frame per index, all
 *                                                before the range's DONE;
 *                                                index "" counts those
 *                                                of indices the worker
 *                                                could not list
 *                                                (index_counts.h)
 *
 * Closing the parent's end of the command pipe means "no more work"; EOF
 * on a result pipe before DONE means the worker died holding its range.
 */
#ifndef FORKBULK_PROTO_H
#define FORKBULK_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "forkbulk/eslimits.h"
#include "forkbulk/options.h" /* FB_MAX_NODES */

#define FB_PROTO_VERSION 6

enum fb_msg_type {
    FB_MSG_RANGE = 1,
    FB_MSG_DONE = 2,
    FB_MSG_PROGRESS = 3,
    FB_MSG_INDEX_COUNT = 4,
};

/* _bulk requests sent to one node of the cluster, and how many of them
 * failed it: no answer (refused, timed out, dropped), or 502/503/504 for
 * the whole request; each such failure marks the node down (es.h). */
struct fb_node_counts {
    uint64_t requests;
    uint64_t failures;
};

/* Counters of one range, reported in DONE. */
struct fb_counts {
    uint64_t read;       /* records read from the source */
    uint64_t loaded;     /* accepted by the cluster (created or updated) */
    uint64_t rejected;   /* written to the reject file */
    uint64_t conflicts;  /* 409 on --op create: already loaded */
    uint64_t retried;    /* items or requests sent again */
    uint64_t bytes_sent; /* _bulk body bytes the cluster answered items
                          * of (before compression) */
    uint64_t requests;   /* _bulk requests sent */
    uint64_t blank;      /* whitespace-only lines skipped (files) */
    uint64_t bytes_wire; /* _bulk body bytes put on the wire, every
                          * attempt (gzipped with --compress) */
    uint64_t gzip_in;    /* --compress: body bytes compressed (a batch
                          * once, however often it was sent) */
    uint64_t gzip_us;    /* and the CPU time that took, microseconds */
    /* Per node, in the order of --es (options.h: es_nodes); the rest
     * stay 0.  The nodes' requests add up to requests: a request sent
     * again to another node counts for each node it went to (and its
     * items in retried). */
    struct fb_node_counts nodes[FB_MAX_NODES];
};

/* Bounds of the text fields of a RANGE (NUL included). */
#define FB_MSG_INDEX_MAX (FB_ES_INDEX_MAX + 1)
#define FB_MSG_SNAPSHOT_MAX 64 /* pg_export_snapshot() ids are ~20 */

struct fb_msg {
    uint8_t type; /* enum fb_msg_type */
    uint32_t range_id;
    uint64_t lo, hi; /* RANGE: its bounds, in the source's terms */
    int32_t status;  /* DONE: exit code of the range (status.h) */
    struct fb_counts counts;
    /* RANGE: where to load it and, for PostgreSQL, in which snapshot and
     * window; workers are forked before any of this is known. */
    int64_t win_start, win_end; /* microseconds since the epoch */
    uint8_t kind;               /* what lo/hi count, for sources with
                                 * several (enum fb_pg_split) */
    /* RANGE: rejects of this range that an earlier attempt (a worker that
     * died holding it) already wrote to the reject file.  A re-read
     * meets the same records in the same order, so it counts the first
     * rejects_done rejects without writing them again. */
    uint64_t rejects_done;
    /* RANGE: the time of the range's unit (an hour's start; when a file
     * was planned), microseconds since the epoch: what the reject file's
     * strftime pattern is expanded with, by the parent and the worker
     * alike. */
    int64_t unit_time;
    char index[FB_MSG_INDEX_MAX]; /* RANGE: the unit's; INDEX_COUNT: the
                                   * one counted */
    char snapshot[FB_MSG_SNAPSHOT_MAX];
};

/* Encoded frame: version, type, kind, 1 spare, range_id, lo, hi, status,
 * 11 counters, requests and failures of each of FB_MAX_NODES nodes,
 * window start and end, rejects_done, unit_time, index, snapshot. */
#define FB_MSG_SIZE                                                            \
    (1 + 1 + 1 + 1 + 4 + 8 + 8 + 4 + 11 * 8 + FB_MAX_NODES * 2 * 8 + 8 + 8 +   \
     8 + 8 + FB_MSG_INDEX_MAX + FB_MSG_SNAPSHOT_MAX)

void fb_msg_encode(const struct fb_msg *msg, unsigned char frame[FB_MSG_SIZE]);

/* Returns 0, or -1 if the frame is of another version or an unknown type. */
int fb_msg_decode(const unsigned char frame[FB_MSG_SIZE], struct fb_msg *msg);

/*
 * Writes one message; loops on EINTR.  Returns 0, or -1 with errno set
 * (EPIPE when the reader is gone).
 */
int fb_msg_send(int fd, const struct fb_msg *msg);

/*
 * Reads one message.  Returns 1 with *msg filled, 0 on EOF at a frame
 * boundary, -1 on error (errno set; EPROTO for a bad or truncated frame).
 */
int fb_msg_recv(int fd, struct fb_msg *msg);

#endif
