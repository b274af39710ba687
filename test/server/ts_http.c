/*
 * ts_http.c
 *    The HTTP transport of es-test-server (see ts_http.h).
 *
 * One struct ts_http_req lives for each request, from the URI log callback
 * (which is the only place libmicrohttpd shows the raw query string) to
 * the completion callback.  The body is stored in one buffer that never
 * grows past max_content_length: a plain body with a Content-Length gets
 * exactly that many bytes up front, a chunked or compressed one doubles
 * its buffer up to the limit.  Compressed bodies are inflated as they
 * arrive, so the limit counts decompressed bytes, as Netty's decompressor
 * in front of ES's aggregator does.
 *
 * What a real node's Netty layer answers without the REST layer (413, 417)
 * is answered here with an empty body and no X-elastic-product; the drop
 * and delay faults are applied here too, after the whole body is read, so
 * a client sees a clean "empty reply" rather than a reset while sending.
 */
#include "ts_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "ts_parse.h"

/* ES's http.max_initial_line_length is 4kb; keep twice that of the URI. */
#define TS_HTTP_URI_MAX 8192
/* Smallest step when a body of unknown size needs more room. */
#define TS_HTTP_GROW_MIN ((size_t)64 * 1024)
/*
 * libmicrohttpd hands the body over in pieces no bigger than its
 * per-connection buffer; a bigger buffer means fewer callbacks for the
 * 8 MiB bodies of the benchmark.
 */
#define TS_HTTP_CONN_MEMORY ((size_t)256 * 1024)
/* Idle keep-alive connections are closed after this many seconds. */
#define TS_HTTP_IDLE_TIMEOUT 120

enum ts_http_coding {
    TS_CODING_IDENTITY,
    TS_CODING_GZIP,
    TS_CODING_DEFLATE,
};

enum ts_http_phase {
    TS_PHASE_NEW,      /* headers not looked at yet */
    TS_PHASE_READING,  /* storing the body */
    TS_PHASE_DISCARD,  /* failed: reading and throwing away the rest */
    TS_PHASE_ANSWERED, /* a response is queued; ignore the rest */
};

/* A connection of a node, so that taking the node down can close it. */
struct ts_http_conn {
    struct MHD_Connection *conn;
    int fd;
    struct ts_http_conn *next;
};

/* A daemon that stopped listening; stopped for good at exit. */
struct ts_http_retired {
    struct MHD_Daemon *daemon;
    MHD_socket fd; /* its listening socket, ours after MHD_quiesce_daemon */
    struct ts_http_retired *next;
};

/* One node: a port, and the daemon listening on it while it is up. */
struct ts_http_node {
    struct ts_http *http;
    unsigned index;
    uint16_t port;
    struct MHD_Daemon *daemon; /* NULL while down */
    pthread_mutex_t lock;      /* conns, daemon, retired */
    struct ts_http_conn *conns;
    struct ts_http_retired *retired;
};

struct ts_http {
    struct ts_state *state;
    size_t limit;
    struct ts_http_config config;
    struct in_addr addr;
    unsigned n;
    struct ts_http_node nodes[TS_NODES_MAX];
};

struct ts_http_req {
    char *uri;          /* raw request target, query string included */
    const char *url;    /* decoded path, from libmicrohttpd */
    const char *method; /* both valid while the request lives */
    enum ts_http_phase phase;
    enum ts_http_coding coding;
    char *body;
    size_t len;
    size_t cap;
    size_t wire_len; /* body bytes as received (compressed, de-chunked) */
    z_stream zs;
    bool z_ready;        /* inflateInit2 done */
    bool z_end;          /* the compressed stream is complete */
    int fail_status;     /* TS_PHASE_DISCARD: the answer once all is read */
    bool fail_close;     /* TS_PHASE_DISCARD: and close after it */
    size_t discard_left; /* TS_PHASE_DISCARD: bytes we still read */
};

static void
ts_http_req_free(struct ts_http_req *req)
{
    if (req == NULL)
        return;
    if (req->z_ready)
        inflateEnd(&req->zs);
    free(req->body);
    free(req->uri);
    free(req);
}

static void *
ts_http_uri_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct ts_http_req *req = NULL;

    (void)cls;
    (void)conn;
    req = calloc(1, sizeof(*req));
    if (req == NULL)
        return NULL;
    /* NULL on failure is handled: the query is then taken as empty. */
    req->uri = strndup(uri, TS_HTTP_URI_MAX);
    return req;
}

static void
ts_http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                  enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    ts_http_req_free(*con_cls);
    *con_cls = NULL;
}

/*
 * Sends resp and takes its body.  Headers are exactly those a real node
 * would send for this answer (ts_api decides which).
 */
static enum MHD_Result
ts_http_send(struct MHD_Connection *conn, struct ts_response *resp)
{
    struct MHD_Response *r = NULL;
    enum MHD_Result rc = MHD_NO;

    if (resp->body != NULL && resp->body_len > 0) {
        r = MHD_create_response_from_buffer(resp->body_len, resp->body,
                                            MHD_RESPMEM_MUST_FREE);
        if (r != NULL)
            resp->body = NULL; /* libmicrohttpd frees it now */
    } else {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    if (r == NULL)
        goto out;
    if (resp->content_type != NULL &&
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                resp->content_type) != MHD_YES)
        goto out;
    if (resp->product_header &&
        MHD_add_response_header(r, "X-elastic-product", "Elasticsearch") !=
            MHD_YES)
        goto out;
    if (resp->allow != NULL && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
                                                       resp->allow) != MHD_YES)
        goto out;
    if (resp->www_authenticate != NULL &&
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                resp->www_authenticate) != MHD_YES)
        goto out;
    if (resp->retry_after_s > 0) {
        char secs[16];

        snprintf(secs, sizeof(secs), "%" PRIu32, resp->retry_after_s);
        if (MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs) !=
            MHD_YES)
            goto out;
    }
    if (resp->close && MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION,
                                               "close") != MHD_YES)
        goto out;
    rc = MHD_queue_response(conn, (unsigned int)resp->status, r);
out:
    if (r != NULL)
        MHD_destroy_response(r);
    free(resp->body);
    resp->body = NULL;
    return rc;
}

/* Answers by the transport itself: empty body, no product header. */
/*
 * The request as ts_api sees it, for one the transport answers itself:
 * its body is of no more use (thrown away, or never read).
 */
static void
ts_http_describe(const struct ts_http_node *node, struct MHD_Connection *conn,
                 const struct ts_http_req *req, struct ts_request *treq)
{
    const char *query = req->uri != NULL ? strchr(req->uri, '?') : NULL;

    memset(treq, 0, sizeof(*treq));
    treq->method = req->method != NULL ? req->method : "";
    treq->path = req->url != NULL ? req->url : "";
    treq->query = query != NULL ? query + 1 : "";
    treq->body = "";
    treq->wire_len = req->wire_len;
    treq->node = node->index;
    treq->conn = conn;
}

/* Counts (and logs) a request the transport answers itself. */
static void
ts_http_count(const struct ts_http_node *node, struct MHD_Connection *conn,
              const struct ts_http_req *req, int status)
{
    struct ts_request treq;

    ts_http_describe(node, conn, req, &treq);
    ts_api_count_transport(node->http->state, &treq, status);
}

static enum MHD_Result
ts_http_reply_empty(const struct ts_http_node *node,
                    struct MHD_Connection *conn, struct ts_http_req *req,
                    int status, bool close)
{
    struct ts_response resp;

    memset(&resp, 0, sizeof(resp));
    resp.status = status;
    resp.close = close;
    req->phase = TS_PHASE_ANSWERED;
    /* The body is of no more use; give its memory back now. */
    free(req->body);
    req->body = NULL;
    req->len = req->cap = 0;
    ts_http_count(node, conn, req, status);
    return ts_http_send(conn, &resp);
}

/*
 * The request has failed while its body is still coming in.
 * libmicrohttpd 0.9.75 accepts a response only before the first body byte
 * or after the last, so the rest of the body is read and thrown away and
 * the answer goes out at the end.  budget bounds how much more we read: a
 * client that sends more than that is cut off without an answer, which a
 * client of a real node can see too (a reset while it is still sending).
 */
static enum MHD_Result
ts_http_fail(struct ts_http_req *req, int status, bool close, size_t budget)
{
    req->phase = TS_PHASE_DISCARD;
    req->fail_status = status;
    req->fail_close = close;
    req->discard_left = budget;
    free(req->body);
    req->body = NULL;
    req->len = req->cap = 0;
    return MHD_YES;
}

/* First call for a request: the headers are complete, no body seen yet. */
static enum MHD_Result
ts_http_begin(const struct ts_http_node *node, struct MHD_Connection *conn,
              struct ts_http_req *req)
{
    const struct ts_http *http = node->http;
    const char *expect = NULL;
    const char *encoding = NULL;
    uint64_t declared = 0;
    bool has_length;

    req->phase = TS_PHASE_READING;
    expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_EXPECT);
    /* Netty answers any expectation it does not know with 417 + close. */
    if (expect != NULL && strcasecmp(expect, "100-continue") != 0)
        return ts_http_reply_empty(node, conn, req, 417, true);

    encoding = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                           MHD_HTTP_HEADER_CONTENT_ENCODING);
    if (encoding != NULL && (strcasecmp(encoding, "gzip") == 0 ||
                             strcasecmp(encoding, "x-gzip") == 0))
        req->coding = TS_CODING_GZIP;
    else if (encoding != NULL && strcasecmp(encoding, "deflate") == 0)
        req->coding = TS_CODING_DEFLATE;
    /* Netty passes any other coding through untouched: so do we. */

    /* A Content-Length that is not a plain number counts as absent. */
    has_length =
        ts_parse_u64(MHD_lookup_connection_value(
                         conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH),
                     UINT64_MAX, &declared);
    /*
     * Only a plain body's Content-Length says how big the body will be:
     * the decompressor in front of ES's size check removes the header.
     */
    if (req->coding != TS_CODING_IDENTITY || !has_length)
        return MHD_YES;
    if (declared > http->limit) {
        /*
         * With Expect: 100-continue the 413 goes out instead of the 100,
         * before any body is sent.  Without it the client is already
         * sending: read and throw the body away, then answer, so the
         * connection stays usable, as ES does.
         */
        if (expect != NULL)
            return ts_http_reply_empty(node, conn, req, 413, false);
        /* libmicrohttpd holds the client to its Content-Length. */
        return ts_http_fail(req, 413, false, SIZE_MAX);
    }
    if (declared > 0) {
        req->body = malloc((size_t)declared);
        if (req->body == NULL)
            return MHD_NO;
        req->cap = (size_t)declared;
    }
    return MHD_YES;
}

/* Makes room for need bytes (need <= limit), doubling, never past limit. */
static bool
ts_http_grow(struct ts_http_req *req, size_t need, size_t limit)
{
    size_t cap = req->cap;
    char *body = NULL;

    if (need <= cap)
        return true;
    if (cap < TS_HTTP_GROW_MIN)
        cap = TS_HTTP_GROW_MIN;
    while (cap < need && cap <= limit / 2)
        cap *= 2;
    if (cap < need || cap > limit)
        cap = limit;
    body = realloc(req->body, cap);
    if (body == NULL)
        return false;
    req->body = body;
    req->cap = cap;
    return true;
}

static bool
ts_http_inflate_init(struct ts_http_req *req, const char *data, size_t n)
{
    int wbits = 16 + MAX_WBITS;

    if (req->coding == TS_CODING_DEFLATE) {
        /*
         * "deflate" is meant to be zlib-wrapped, but many clients send
         * raw deflate; Netty accepts both, telling them apart by the
         * zlib header (CM 8, header check a multiple of 31).
         */
        unsigned char b0 = (unsigned char)data[0];
        bool zlib_header = (b0 & 0x0f) == 8;

        if (zlib_header && n >= 2)
            zlib_header = ((b0 << 8) | (unsigned char)data[1]) % 31 == 0;
        wbits = zlib_header ? MAX_WBITS : -MAX_WBITS;
    }
    if (inflateInit2(&req->zs, wbits) != Z_OK)
        return false;
    req->z_ready = true;
    return true;
}

static enum MHD_Result
ts_http_take_compressed(struct ts_http *http, struct ts_http_req *req,
                        const char *data, size_t n)
{
    unsigned char probe;
    int rc;

    if (req->z_end)
        return MHD_YES; /* bytes after the stream's end are ignored */
    if (!req->z_ready && !ts_http_inflate_init(req, data, n))
        return MHD_NO;
    req->zs.next_in = (Bytef *)(uintptr_t)data;
    req->zs.avail_in = (uInt)n;
    while (req->zs.avail_in > 0) {
        bool full;
        size_t room;

        if (req->len == req->cap && req->cap < http->limit &&
            !ts_http_grow(req, req->len + 1, http->limit))
            return MHD_NO;
        /*
         * At the limit, inflate into a one-byte probe: if it produces
         * anything the body is over the limit; if not, it was only the
         * stream's trailer.
         */
        full = req->len == http->limit;
        room = full ? 1 : req->cap - req->len;
        if (room > UINT32_MAX)
            room = UINT32_MAX;
        req->zs.next_out = full ? &probe : (Bytef *)(req->body + req->len);
        req->zs.avail_out = (uInt)room;
        rc = inflate(&req->zs, Z_NO_FLUSH);
        if (full && req->zs.avail_out == 0)
            return ts_http_fail(req, 413, true, http->limit);
        if (!full)
            req->len += room - req->zs.avail_out;
        if (rc == Z_STREAM_END) {
            req->z_end = true;
            break;
        }
        if (rc == Z_BUF_ERROR && req->zs.avail_out > 0)
            break; /* it wants more input than this piece held */
        /* A stream zlib refuses is a bad request; Netty closes too. */
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return ts_http_fail(req, 400, true, http->limit);
    }
    return MHD_YES;
}

/* A piece of the body arrived. */
static enum MHD_Result
ts_http_take(struct ts_http *http, struct ts_http_req *req, const char *data,
             size_t n)
{
    if (req->coding != TS_CODING_IDENTITY)
        return ts_http_take_compressed(http, req, data, n);
    /*
     * Only a chunked body can get here past the limit (a declared one
     * was checked in ts_http_begin, and libmicrohttpd holds the client
     * to it): ES answers 413 and closes.
     */
    if (n > http->limit - req->len)
        return ts_http_fail(req, 413, true, http->limit);
    if (!ts_http_grow(req, req->len + n, http->limit))
        return MHD_NO;
    memcpy(req->body + req->len, data, n);
    req->len += n;
    return MHD_YES;
}

static void
ts_http_sleep_ms(uint32_t ms)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The whole body is in: apply the transport faults, then ask ts_api. */
static enum MHD_Result
ts_http_finish(const struct ts_http_node *node, struct MHD_Connection *conn,
               struct ts_http_req *req)
{
    struct ts_state *state = node->http->state;
    struct ts_faults *faults = ts_state_faults(state);
    struct ts_request treq;
    struct ts_response resp;
    uint32_t delay;

    if (req->phase == TS_PHASE_DISCARD)
        return ts_http_reply_empty(node, conn, req, req->fail_status,
                                   req->fail_close);
    /* A compressed body cut short is as bad as a corrupt one. */
    if (req->coding != TS_CODING_IDENTITY && req->wire_len > 0 && !req->z_end)
        return ts_http_reply_empty(node, conn, req, 400, true);
    if (ts_fault_fire(&faults->drop)) {
        req->phase = TS_PHASE_ANSWERED;
        ts_http_count(node, conn, req, 0);
        return MHD_NO; /* libmicrohttpd closes without a word */
    }

    ts_http_describe(node, conn, req, &treq);
    treq.content_type = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    treq.authorization = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    treq.body = req->body != NULL ? req->body : "";
    treq.body_len = req->len;
    memset(&resp, 0, sizeof(resp));
    ts_api_handle(state, &treq, &resp);

    req->phase = TS_PHASE_ANSWERED;
    free(req->body);
    req->body = NULL;
    req->len = req->cap = 0;
    /*
     * The request has been applied; only the answer is late, as when a
     * real cluster is slow and the client's timeout fires first.
     */
    delay = __atomic_load_n(&faults->delay_ms, __ATOMIC_RELAXED);
    if (delay > 0)
        ts_http_sleep_ms(delay);
    return ts_http_send(conn, &resp);
}

static enum MHD_Result
ts_http_access(void *cls, struct MHD_Connection *conn, const char *url,
               const char *method, const char *version, const char *upload_data,
               size_t *upload_data_size, void **con_cls)
{
    struct ts_http_node *node = cls;
    struct ts_http_req *req = *con_cls;
    size_t n;

    (void)version;
    if (req == NULL) {
        /* The URI callback ran out of memory; start without the query. */
        req = calloc(1, sizeof(*req));
        if (req == NULL)
            return MHD_NO;
        *con_cls = req;
    }
    if (req->phase == TS_PHASE_NEW) {
        req->url = url;
        req->method = method;
        return ts_http_begin(node, conn, req);
    }
    n = *upload_data_size;
    if (n > 0) {
        *upload_data_size = 0;
        req->wire_len += n;
        if (req->phase == TS_PHASE_READING)
            return ts_http_take(node->http, req, upload_data, n);
        if (req->phase == TS_PHASE_DISCARD) {
            if (n > req->discard_left) {
                ts_http_count(node, conn, req, 0);
                req->phase = TS_PHASE_ANSWERED;
                return MHD_NO;
            }
            req->discard_left -= n;
        }
        return MHD_YES;
    }
    if (req->phase == TS_PHASE_ANSWERED)
        return MHD_YES;
    return ts_http_finish(node, conn, req);
}

/* ---- nodes: listening, and going down and up ---- */

/* Keeps a node's connections, so that taking it down can close them. */
static void
ts_http_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
               enum MHD_ConnectionNotificationCode code)
{
    struct ts_http_node *node = cls;
    struct ts_http_conn *c = *socket_context;
    struct ts_http_conn **pp;
    const union MHD_ConnectionInfo *info = NULL;

    pthread_mutex_lock(&node->lock);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        c = calloc(1, sizeof(*c));
        if (c != NULL && info != NULL) {
            c->conn = conn;
            c->fd = info->connect_fd;
            c->next = node->conns;
            node->conns = c;
        } else {
            free(c);
            c = NULL;
        }
        *socket_context = c;
    } else if (c != NULL) {
        /* libmicrohttpd says so before it closes the socket */
        for (pp = &node->conns; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == c) {
                *pp = c->next;
                break;
            }
        }
        free(c);
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&node->lock);
}

/*
 * A listening socket on the node's address and port (0: any free port,
 * then kept in node->port); -1 with a reason.  SO_REUSEADDR lets a node
 * that comes back bind its port while connections of its last life are
 * still in TIME_WAIT.
 */
static int
ts_http_listen_socket(struct ts_http_node *node, char *reason, size_t cap)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr = node->http->addr;
    addr.sin_port = htons(node->port);
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        snprintf(reason, cap, "cannot listen on %s:%u: %s",
                 node->http->config.bind, (unsigned)node->port,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    node->port = ntohs(addr.sin_port);
    return fd;
}

/* Starts the node's daemon on a new listening socket. */
static int
ts_http_node_start(struct ts_http_node *node, char *reason, size_t cap)
{
    const struct ts_http_config *config = &node->http->config;
    struct MHD_OptionItem opts[9];
    unsigned int flags;
    size_t i = 0;
    int fd = ts_http_listen_socket(node, reason, cap);

    if (fd < 0)
        return -1;
    /* ITC: MHD_quiesce_daemon() needs it to stop listening */
    flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
            MHD_USE_SUPPRESS_DATE_NO_CLOCK;
    /* A thread per connection: one delayed answer blocks no other. */
    if (config->threads == 0)
        flags |= MHD_USE_THREAD_PER_CONNECTION;
    if (config->verbose)
        flags |= MHD_USE_ERROR_LOG;
    opts[i++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd, NULL};
    opts[i++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK,
                                        (intptr_t)ts_http_uri_cb, node};
    opts[i++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                        (intptr_t)ts_http_completed, node};
    opts[i++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
                                        (intptr_t)ts_http_notify, node};
    opts[i++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                        (intptr_t)TS_HTTP_CONN_MEMORY, NULL};
    opts[i++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                        TS_HTTP_IDLE_TIMEOUT, NULL};
    if (config->threads > 1)
        opts[i++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                            (intptr_t)config->threads, NULL};
    opts[i++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    node->daemon = MHD_start_daemon(flags, 0, NULL, NULL, ts_http_access, node,
                                    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (node->daemon == NULL) {
        snprintf(reason, cap, "cannot start serving on port %u",
                 (unsigned)node->port);
        close(fd);
        return -1;
    }
    return 0;
}

/*
 * Takes the node down: its daemon stops listening (the socket is shut
 * down at once, so connects are refused; the daemon is stopped at exit)
 * and every connection but the asking one is shut down, which its
 * client sees as a reset or an end of file.
 */
static int
ts_http_node_down(struct ts_http_node *node, const void *asking,
                  bool *close_conn, char *reason, size_t cap)
{
    struct ts_http_retired *r = calloc(1, sizeof(*r));
    struct ts_http_conn *c;

    if (r == NULL) {
        snprintf(reason, cap, "out of memory");
        return -1;
    }
    r->daemon = node->daemon;
    r->fd = MHD_quiesce_daemon(node->daemon);
    if (r->fd == MHD_INVALID_SOCKET) {
        free(r);
        snprintf(reason, cap, "cannot stop listening on port %u",
                 (unsigned)node->port);
        return -1;
    }
    shutdown(r->fd, SHUT_RDWR);
    r->next = node->retired;
    node->retired = r;
    node->daemon = NULL;
    for (c = node->conns; c != NULL; c = c->next) {
        if (c->conn == asking)
            *close_conn = true;
        else
            shutdown(c->fd, SHUT_RDWR);
    }
    return 0;
}

/* ts_transport.set_listening: see ts_api.h. */
static int
ts_http_set_listening(void *ctx, unsigned index, bool listen,
                      const struct ts_request *req, bool *close_conn,
                      char *reason, size_t cap)
{
    struct ts_http *http = ctx;
    struct ts_http_node *node = &http->nodes[index];
    int rc = 0;

    pthread_mutex_lock(&node->lock);
    if (listen && node->daemon == NULL)
        rc = ts_http_node_start(node, reason, cap);
    else if (!listen && node->daemon != NULL)
        rc = ts_http_node_down(node, req != NULL ? req->conn : NULL, close_conn,
                               reason, cap);
    pthread_mutex_unlock(&node->lock);
    return rc;
}

struct ts_http *
ts_http_start(struct ts_state *state, const struct ts_http_config *config)
{
    struct ts_http *http = calloc(1, sizeof(*http));
    struct ts_transport tp;
    uint16_t ports[TS_NODES_MAX];
    char reason[512];
    unsigned i;

    if (http == NULL)
        return NULL;
    http->state = state;
    http->limit = ts_state_config(state)->max_content_length;
    http->config = *config;
    http->n = config->nodes > 0 ? config->nodes : 1;
    if (http->n > TS_NODES_MAX ||
        inet_pton(AF_INET, config->bind, &http->addr) != 1) {
        fprintf(stderr, "es-test-server: bad bind address '%s' or node count\n",
                config->bind);
        free(http);
        return NULL;
    }
    for (i = 0; i < http->n; i++) {
        struct ts_http_node *node = &http->nodes[i];

        node->http = http;
        node->index = i;
        /* with a given port, node i listens on port + i */
        node->port = config->port == 0 ? 0 : (uint16_t)(config->port + i);
        pthread_mutex_init(&node->lock, NULL);
    }
    for (i = 0; i < http->n; i++) {
        if (ts_http_node_start(&http->nodes[i], reason, sizeof(reason)) != 0) {
            fprintf(stderr, "es-test-server: %s\n", reason);
            ts_http_stop(http);
            return NULL;
        }
        ports[i] = http->nodes[i].port;
    }
    tp.set_listening = ts_http_set_listening;
    tp.ctx = http;
    ts_state_set_nodes(state, http->n, ports, &tp);
    return http;
}

unsigned
ts_http_nodes(const struct ts_http *http)
{
    return http->n;
}

uint16_t
ts_http_port(const struct ts_http *http, unsigned node)
{
    return http->nodes[node].port;
}

void
ts_http_stop(struct ts_http *http)
{
    unsigned i;

    if (http == NULL)
        return;
    /* no node may go down or up while its daemon stops */
    ts_state_detach_transport(http->state);
    for (i = 0; i < http->n; i++) {
        struct ts_http_node *node = &http->nodes[i];

        if (node->daemon != NULL)
            MHD_stop_daemon(node->daemon);
        while (node->retired != NULL) {
            struct ts_http_retired *r = node->retired;

            node->retired = r->next;
            MHD_stop_daemon(r->daemon);
            close(r->fd);
            free(r);
        }
        pthread_mutex_destroy(&node->lock);
    }
    free(http);
}
