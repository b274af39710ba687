/*
 * es.h
 *    One worker's (or the parent's) HTTP connection to the cluster.
 *
 * One libcurl easy handle, created after fork and reused for every request
 * so the connection stays alive.  Request bodies are sent as they are, or
 * gzipped into a buffer allocated once (--compress).  Responses are kept in
 * a buffer with a hard bound, because a broken or hostile server must not
 * make a worker grow without limit.
 */
#ifndef FORKBULK_ES_H
#define FORKBULK_ES_H

#include <stdbool.h>
#include <stddef.h>

#include "forkbulk/options.h"

/* Largest response body accepted; a bulk response with every item failed
 * at the default 5000 docs is well under this. */
#define FB_ES_MAX_RESPONSE (64u * 1024u * 1024u)

struct fb_es;

struct fb_http_result {
    long status;      /* HTTP status; 0 if no response arrived */
    bool transport;   /* connection/timeout failure (no usable response) */
    const char *body; /* NUL-terminated, owned by the handle; valid until
                       * the next request */
    size_t body_len;
    long retry_after_s; /* Retry-After header in seconds, or -1 */
    char error[256];    /* curl's message for transport failures */
};

/*
 * Creates the handle.  Credentials come from opts (the config file or the
 * environment, never the command line): an API key, else user and
 * password.  NULL on allocation failure.
 */
struct fb_es *fb_es_new(const struct fb_options *opts);

void fb_es_free(struct fb_es *es);

/*
 * GET / and check that a cluster answers and is Elasticsearch or
 * OpenSearch.  Logs nothing.  Returns 0 and a description
 * ("Elasticsearch 8.13.1") in desc, or an exit code with the reason in
 * why: 78 when the credentials are refused (401), 69 otherwise.  A 403
 * (credentials that may write to indices but not monitor the cluster)
 * is worth a warning, which is why: 0, and desc names flavor_if_refused
 * ("es8").  Otherwise why is "" after 0.
 */
int fb_es_check(struct fb_es *es, const char *flavor_if_refused, char *desc,
                size_t desclen, char *why, size_t whylen);

/* POST body to /{index}/_bulk.  Returns 0 when a response (any status)
 * arrived, -1 on a transport failure; res is filled either way. */
int fb_es_bulk(struct fb_es *es, const char *body, size_t len,
               struct fb_http_result *res);

/* Directs later bulk and refresh requests to index.  0, or -1 (ENOMEM).
 * Index names need no URL escaping: Elasticsearch allows none of the
 * characters that would. */
int fb_es_set_index(struct fb_es *es, const char *index);

/* The current index ("" before fb_es_set_index). */
const char *fb_es_index(const struct fb_es *es);

/* POST /{index}/_refresh; 0 or -1 (logged as a warning). */
int fb_es_refresh(struct fb_es *es);

/*
 * Any other request of the cluster's API with a JSON body (NULL: none;
 * "" an empty POST): method "GET", "POST", "PUT", "DELETE" or "HEAD";
 * path from the base URL, starting with '/'.  0 when a response (any
 * status) arrived, -1 on a transport failure; res is filled either way.
 */
int fb_es_request(struct fb_es *es, const char *method, const char *path,
                  const char *body, struct fb_http_result *res);

/* The URL bulk requests go to, for messages. */
const char *fb_es_bulk_url(const struct fb_es *es);

#endif
