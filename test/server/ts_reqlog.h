/*
 * ts_reqlog.h
 *    The request log of es-test-server: every request but the /_test/
 *    ones, in the order the state saw them, for tests that check the
 *    sequence a client sent (GET /_test/requests).
 *
 * The log is bounded: it keeps the last TS_REQLOG_MAX requests and at
 * most TS_REQLOG_BODY_TOTAL bytes of bodies, forgetting the oldest first.
 * It has no lock of its own; the state's lock protects it.
 */
#ifndef TS_REQLOG_H
#define TS_REQLOG_H

#include <stddef.h>
#include <stdint.h>

#include "ts_api.h"
#include "ts_out.h"

#define TS_REQLOG_MAX 100000
/* A body is kept (as compact JSON) when it is one JSON value this small. */
#define TS_REQLOG_BODY_MAX ((size_t)64 * 1024)
#define TS_REQLOG_BODY_TOTAL ((size_t)64 * 1024 * 1024)

struct ts_reqlog_entry {
    unsigned node;
    int status;     /* 0: closed without an answer */
    char method[8]; /* as sent, cut to 7 bytes */
    char *path;
    char *query;
    char *body;    /* compact JSON, or NULL */
    char *indices; /* _bulk: a JSON array of the indices written, or NULL */
    size_t bytes;  /* what this entry counts against the body total */
};

struct ts_reqlog {
    struct ts_reqlog_entry *ring; /* TS_REQLOG_MAX slots, made on first use */
    size_t head;                  /* oldest entry */
    size_t n;
    size_t body_bytes;
};

/*
 * Appends req with the status it got; indices (len bytes, a JSON array)
 * may be NULL.  Out of memory, the entry is kept without what did not
 * fit (its path becomes "", its body null).
 */
void ts_reqlog_add(struct ts_reqlog *log, const struct ts_request *req,
                   int status, const char *indices, size_t len);

/*
 * Writes the log as a JSON array, oldest first:
 * [{"node":0,"method":"PUT","path":"/i/_settings","query":"",
 *   "status":200,"body":{...}},...]; _bulk entries add "indices":[...].
 */
void ts_reqlog_write(const struct ts_reqlog *log, struct ts_out *out);

/* Forgets every entry (the ring itself stays allocated). */
void ts_reqlog_clear(struct ts_reqlog *log);

/* Frees everything. */
void ts_reqlog_free(struct ts_reqlog *log);

#endif
