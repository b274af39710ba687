/*
 * ts_api.h
 *    The ES-compatible semantics of es-test-server, independent of HTTP.
 *
 * The HTTP layer (ts_http.c) turns each complete request into a struct
 * ts_request (body already gunzipped and within max_content_length) and
 * sends back the struct ts_response that ts_api_handle() fills.  Everything
 * a real cluster decides from the request's content (routes, 405/406,
 * bulk parsing, per-item results, dynamic mapping, filter_path, whole-request
 * 429/503 faults, per-item 429 faults) is decided here; everything decided
 * by the transport (413, gzip, Expect, dropped connections, delays) is
 * decided in ts_http.c.
 *
 * Thread safety: ts_api_handle() may be called from several threads at
 * once; the state serialises what it must.
 */
#ifndef TS_API_H
#define TS_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ts_mode {
    TS_MODE_ES7,        /* Elasticsearch 7.17: took first, _type:_doc */
    TS_MODE_ES8,        /* Elasticsearch 8.x: errors first, document_parsing */
    TS_MODE_OPENSEARCH, /* OpenSearch 2.x: took first, no product header */
};

/*
 * A fault that fires at a fixed rate, deterministically: each event adds
 * rate_ppm to an accumulator and the fault fires each time it passes one
 * million.  Over N events it fires exactly floor((phase + N * rate) / 1e6)
 * times, where phase comes from --seed (0 with seed 0), so tests can assert
 * exact counts.
 */
struct ts_fault {
    uint32_t rate_ppm; /* parts per million of events that fail */
    uint64_t acc;      /* accumulator; atomically updated */
};

/* Returns true if this event is one that fails. Thread-safe. */
bool ts_fault_fire(struct ts_fault *fault);

/* Sets the rate (0.0 .. 1.0) and the phase derived from seed. */
void ts_fault_set(struct ts_fault *fault, double rate, uint64_t seed);

struct ts_config {
    enum ts_mode mode;
    size_t max_content_length; /* bytes; default 100mb */
    uint64_t seed;
    bool product_header;       /* send X-elastic-product (es7/es8 modes) */
    const char *numeric_field; /* field mapped as long in every index, so
                                * non-numeric values give a mapping error;
                                * NULL for none */
    const char *auth;          /* "user:password" required (401 if missing
                                * or wrong); NULL: no security */
};

/* Faults, changeable at run time with PUT /_test/faults. */
struct ts_faults {
    struct ts_fault item_429;    /* per item: es_rejected_execution */
    struct ts_fault item_503;    /* per item: unavailable_shards */
    struct ts_fault request_429; /* whole _bulk: es_rejected_execution */
    struct ts_fault request_503; /* whole _bulk: cluster_block (no master) */
    struct ts_fault request_403; /* whole _bulk: security_exception, as a
                                  * user without the bulk privilege gets */
    struct ts_fault drop;        /* any request: close without answering */
    uint32_t delay_ms;           /* every request: answer this much later */
    uint32_t retry_after_s;      /* whole-request 429 and 503 of _bulk carry
                                  * Retry-After: this many seconds, as
                                  * proxies and gateways send it (ES never
                                  * does); 0: no header */
    uint32_t root_status;        /* GET|HEAD / answers this instead of the
                                  * cluster info: TS_ROOT_DENIED (a key that
                                  * may write but not monitor the cluster)
                                  * or TS_ROOT_UNAUTHENTICATED; 0: normal */
    uint32_t settings_denied;    /* 1: PUT /{index}/_settings answers the
                                  * 403 of a role without the manage index
                                  * privilege; 0: normal */
};

/* Largest Retry-After the server sends (HTTP's delta-seconds: 2^31 - 1). */
#define TS_RETRY_AFTER_MAX 2147483647u

/* The statuses root_status may hold besides 0. */
#define TS_ROOT_UNAUTHENTICATED 401 /* --auth-file's 401 security_exception */
#define TS_ROOT_DENIED 403          /* no cluster:monitor/main privilege */

struct ts_state; /* opaque: indices, aliases, templates, counters, faults */

/*
 * Nodes.  A cluster of TS_NODES_MAX nodes at most shares one state: every
 * node answers from the same indices, faults and accounts, and each has
 * its own port.  A node is in one of three states, changed at run time
 * with PUT /_test/nodes/<i>.
 */
#define TS_NODES_MAX 16

enum ts_node_state {
    TS_NODE_UP = 0,      /* listening and answering */
    TS_NODE_DOWN,        /* not listening, its connections closed: a
                          * client sees "connection refused" */
    TS_NODE_UNAVAILABLE, /* listening, but every request except /_test/
                          * gets a proxy's 503, as for a node that
                          * restarts behind a load balancer */
};

struct ts_request;

/*
 * What the transport does for a node that goes down or comes back.
 * set_listening() is called without the state's lock, from the thread of
 * the request that asked (req, on node req->node): listen false closes
 * node's listening socket and every connection of node except req's own,
 * and sets *close_conn when req's connection is node's (it must close
 * after its answer); listen true listens again on node's port.  Returns
 * 0, or -1 with a reason in reason[cap].
 */
struct ts_transport {
    int (*set_listening)(void *ctx, unsigned node, bool listen,
                         const struct ts_request *req, bool *close_conn,
                         char *reason, size_t cap);
    void *ctx;
};

/*
 * Declares the cluster's n nodes (1..TS_NODES_MAX), their ports in node
 * order, and the transport behind them (NULL: nodes cannot go down).
 * Called once, before the first request; without it the state has one
 * node on port 0.  Returns false if n is out of range.
 */
bool ts_state_set_nodes(struct ts_state *state, unsigned n,
                        const uint16_t *ports, const struct ts_transport *tp);

/*
 * Forgets the transport (and stops bringing nodes back after for_ms),
 * waiting for a change under way: the transport calls it before it stops.
 */
void ts_state_detach_transport(struct ts_state *state);

struct ts_state *ts_state_new(const struct ts_config *config);
void ts_state_free(struct ts_state *state);

/* The live fault settings (the HTTP layer reads drop and delay_ms). */
struct ts_faults *ts_state_faults(struct ts_state *state);

const struct ts_config *ts_state_config(const struct ts_state *state);

struct ts_request {
    const char *method;        /* "GET", "POST", ... */
    const char *path;          /* "/_bulk", without the query string */
    const char *query;         /* raw query string without '?'; "" if none */
    const char *content_type;  /* NULL when the header is absent */
    const char *authorization; /* NULL when the header is absent */
    const char *body;          /* decompressed; not NUL-terminated */
    size_t body_len;
    size_t wire_len;  /* bytes received on the wire (for stats) */
    unsigned node;    /* the node that took the request (0..n-1) */
    const void *conn; /* the transport's connection, opaque to ts_api */
};

struct ts_response {
    int status;
    const char *content_type; /* static string, NULL for no body */
    char *body;               /* malloc'd, caller frees; NULL if empty */
    size_t body_len;
    bool product_header;          /* add X-elastic-product: Elasticsearch */
    const char *allow;            /* Allow header value (405), or NULL */
    const char *www_authenticate; /* for 401, or NULL */
    uint32_t retry_after_s;       /* send Retry-After: N when N > 0 */
    bool close;                   /* send Connection: close */
};

/* Handles one request. Never fails: every outcome is a response. */
void ts_api_handle(struct ts_state *state, const struct ts_request *req,
                   struct ts_response *resp);

/*
 * Counts and logs a request the transport answered by itself (413, 417,
 * 400 for a bad compressed body; status 0: dropped without an answer).
 * req->body may be empty: its body was thrown away.
 */
void ts_api_count_transport(struct ts_state *state,
                            const struct ts_request *req, int status);

#endif
