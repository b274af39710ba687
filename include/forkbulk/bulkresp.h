/*
 * bulkresp.h
 *    Reading what Elasticsearch/OpenSearch answered to a _bulk request:
 *    the per-item results of a 200, and a one-line summary of a
 *    whole-request error.
 *
 * Bulk requests ask for FB_BULKRESP_FILTER_PATH, so a clean response is
 *   {"errors":false,"items":[{"index":{"status":201}},...]}
 * and a failed item keeps only what the loader acts on and writes to the
 * reject file: its status, error type and reason, and the type and reason
 * of the first cause (mapping errors put the useful text there).  The
 * parser does not depend on the filter: it also reads full bodies (_index,
 * _type, _id, _version, result, _shards, ... are skipped), in either key
 * order (ES7/OpenSearch: took, errors, items; ES8+: errors, took, items),
 * compact or pretty.
 *
 * It is a single pass of the jsonscan lexer over the body with no
 * allocation; no jansson tree is built per response.  Measured (gcc -O2,
 * best of 200) on a 5000-item errors:false body: full items, 1.0 MB,
 * 2.3 ms against 18.9 ms for json_loadb alone; filtered, 125 kB, 0.37 ms
 * against 2.7 ms.
 */
#ifndef FORKBULK_BULKRESP_H
#define FORKBULK_BULKRESP_H

#include <stdbool.h>
#include <stddef.h>

/* filter_path applies to error bodies too, so the top-level "error" is
 * kept: without it a whole-request 401/403/400 would read just "{}". */
#define FB_BULKRESP_FILTER_PATH                                                \
    "errors,items.*.status,items.*.error.type,items.*.error.reason,"           \
    "items.*.error.caused_by.type,items.*.error.caused_by.reason,error"

/* Bounds of the strings kept per item, NUL included.  Longer values are
 * cut (at a UTF-8 boundary) and end in "...". */
#define FB_BULKRESP_TYPE_MAX 64
#define FB_BULKRESP_REASON_MAX 384

struct fb_bulkresp_item {
    int status;  /* the item's HTTP status; 0 if the body had none */
    bool failed; /* the item carries an "error" */
    char op[8];  /* "index", "create", "update" or "delete" */
    char type[FB_BULKRESP_TYPE_MAX];     /* error.type, or "" */
    char reason[FB_BULKRESP_REASON_MAX]; /* error.reason, then
                                          * " (caused by: type: reason)" */
};

struct fb_bulkresp {
    bool errors;    /* the body's "errors" flag (false when absent) */
    size_t nitems;  /* items in the body */
    size_t nfailed; /* items with an "error" */
};

/*
 * Parses a 200 response body into items[0..expected).  Returns 0 when the
 * body is well-formed and holds exactly `expected` items; -1 otherwise
 * with a reason in err ("response has 3 items, 4 were sent",
 * "invalid JSON at column 812: unexpected end of input").  items beyond
 * `expected` are never written.
 */
int fb_bulkresp_parse(const char *body, size_t len,
                      struct fb_bulkresp_item *items, size_t expected,
                      struct fb_bulkresp *out, char *err, size_t errlen);

enum fb_item_class {
    FB_ITEM_OK,     /* stored (including delete of a missing doc) */
    FB_ITEM_RETRY,  /* transient: send the item again after a backoff */
    FB_ITEM_EXISTS, /* create over an existing id (409): already there */
    FB_ITEM_REJECT, /* permanent: goes to the reject file */
};

/*
 * What to do with one item.  Retryable: 429 (rejected execution,
 * indexing pressure, flood-stage block), 503 (unavailable shards), and
 * 502/504 (gateway errors, which a proxy in front of a node may answer).
 * 500 is not retried: it is a server bug that a resend repeats.
 */
enum fb_item_class fb_bulkresp_classify(const struct fb_bulkresp_item *it);

enum fb_req_class {
    FB_REQ_OK,    /* 2xx: read the items */
    FB_REQ_RETRY, /* 408, 429, 5xx: resend the whole request later */
    FB_REQ_SPLIT, /* 413: the body is too large; send it in halves */
    FB_REQ_FATAL, /* anything else (400, 401, 403, 404, 406, ...) */
};

/* What to do with a whole response, from its HTTP status. */
enum fb_req_class fb_bulkresp_request_class(long http_status);

/*
 * One short line describing a whole-request error body, for messages:
 *   {"error":{"root_cause":..,"type":T,"reason":R},"status":N}
 *                                          -> "T: R"
 *   {"error":"text","status":N}            -> "text"
 *   {"Message":"text"} (AWS front end)     -> "text"
 *   HTML                                   -> its <title>, else its text
 *   plain text                             -> the text, whitespace folded
 *   empty                                  -> "empty response body"
 * Always NUL-terminated, cut to cap (with "...").  Returns out.
 */
const char *fb_bulkresp_describe_error(const char *body, size_t len, char *out,
                                       size_t cap);

#endif
