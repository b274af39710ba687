/*
 * es.h
 *    One worker's (or the parent's) HTTP connections to the cluster: one
 *    per node.
 *
 * One libcurl easy handle per node of --es, created after fork and reused
 * for every request to that node, so its connection stays alive.  Request
 * bodies are sent as they are given: with --compress, _bulk bodies are
 * gzipped already (the sink compresses a batch once, however often it is
 * sent) and go with Content-Encoding: gzip.  Responses are kept in a buffer
 * with a hard bound, because a broken or hostile server must not make a worker
 * grow without limit.
 *
 * Nodes.  Each handle knows which of its nodes are down.  A node fails
 * when it gives no answer that may pass (connection refused, timed out or
 * dropped, a TLS failure that is not the configuration's) or answers a
 * whole request with 502, 503 or 504: it is then down for
 * fb_backoff_node_down_ms() of its failures in a row (1 s, doubling up to
 * 60 s; backoff.h), and any answer from it makes it up again.  A node that
 * is down is not chosen until its time is over; then the next request that
 * reaches it tries it again.  This state is the handle's own: each worker
 * learns for itself.
 *
 * Transport.  TLS 1.2 at least, verified unless --insecure; a client
 * certificate with --cert/--key; only http and https; redirects are never
 * followed (a redirect answer is an answer like any other).
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
    long status;    /* HTTP status; 0 if no response arrived */
    bool transport; /* connection/timeout/TLS failure (no usable response) */
    /* The node failed (see above) and is now down: transport failures
     * other than fatal ones, and 502/503/504. */
    bool node_down;
    /* With transport: FB_EXIT_CONFIG (78) when retrying cannot help: the
     * CA file cannot be read, the client certificate or its key cannot be
     * used, the cluster requires a client certificate or refuses the one
     * given; 0 otherwise. */
    int fatal;
    int node; /* the node asked, or about to be (index in opts->es_nodes) */
    const char *body; /* NUL-terminated, owned by the handle; valid until
                       * the next request */
    size_t body_len;
    long retry_after_s; /* Retry-After header in seconds, or -1 */
    /* Transport failures: why, in words ("the cluster's certificate is not
     * trusted by --ca-file ...") and then curl's message; without the URL,
     * which the caller names (fb_es_node_url(res->node)). */
    char error[512];
};

/*
 * Creates the handle, with one connection per node of opts->es_nodes.
 * Credentials come from opts (the config file or the environment, never
 * the command line): an API key, else user and password.  NULL on
 * allocation failure.
 */
struct fb_es *fb_es_new(const struct fb_options *opts);

void fb_es_free(struct fb_es *es);

/* The number of nodes, and the base URL of node i (no trailing slash). */
int fb_es_node_count(const struct fb_es *es);
const char *fb_es_node_url(const struct fb_es *es, int node);

/* Bulk requests start their turns at node k (modulo the number of
 * nodes): worker k starts at its own node, so that the workers do not
 * all go to the first one first. */
void fb_es_start_at(struct fb_es *es, int k);

/*
 * The node a new bulk request goes to: the next one in turn that is up.
 * When every node is down, the one whose time is over first: trying it
 * is how a node comes back, and with a single node it is always it.
 */
int fb_es_next_node(struct fb_es *es);

/* After node failures, a node to send the same request to at once: the
 * next one in turn that is up and not in tried (bit i: node i was tried
 * for this request); -1 when there is none. */
int fb_es_other_node(struct fb_es *es, unsigned tried);

/*
 * GET / on the first node that answers (fb_es_request), and check that
 * it is Elasticsearch or OpenSearch.  Logs nothing but a warning per node
 * that did not answer.  Returns 0 and a description ("Elasticsearch
 * 8.13.1") in desc, or an exit code with the reason in why: 78 when the
 * credentials are refused (401) or for a fatal TLS failure, 69 otherwise.
 * A 403 (credentials that may write to indices but not monitor the
 * cluster) is worth a warning, which is why: 0, and desc names
 * flavor_if_refused ("es8").  Otherwise why is "" after 0.
 */
int fb_es_check(struct fb_es *es, const char *flavor_if_refused, char *desc,
                size_t desclen, char *why, size_t whylen);

/* POST body to /{index}/_bulk of node (gzipped with --compress).  Returns 0
 * when a response (any status) arrived, -1 on a transport failure; res is
 * filled either way, and the node marked down or up by it. */
int fb_es_bulk(struct fb_es *es, int node, const char *body, size_t len,
               struct fb_http_result *res);

/* Directs later bulk and refresh requests to index.  0, or -1 (ENOMEM).
 * Index names need no URL escaping: Elasticsearch allows none of the
 * characters that would. */
int fb_es_set_index(struct fb_es *es, const char *index);

/* The current index ("" before fb_es_set_index). */
const char *fb_es_index(const struct fb_es *es);

/*
 * Any other request of the cluster's API with a JSON body (NULL: none;
 * "" an empty POST): method "GET", "POST", "PUT", "DELETE" or "HEAD";
 * path from the base URL, starting with '/'.  Sent to the first node
 * that answers: the one that answered the handle's last request (node 0
 * at first), then each next one while they fail (a warning each), so a
 * request that timed out on one node may have been applied there before
 * it is sent to the next.  0 when a response (any status) arrived, -1 on
 * a transport failure; res is filled either way (res->node: the node of
 * the last attempt).
 */
int fb_es_request(struct fb_es *es, const char *method, const char *path,
                  const char *body, struct fb_http_result *res);

/* The URL bulk requests to node go to, for messages. */
const char *fb_es_bulk_url(const struct fb_es *es, int node);

#endif
