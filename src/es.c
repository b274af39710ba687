/*
 * es.c
 *    libcurl connections to the nodes of an Elasticsearch/OpenSearch
 *    cluster (see es.h).
 */
#include "forkbulk/es.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "forkbulk/backoff.h"
#include "forkbulk/bulkresp.h"
#include "forkbulk/clock.h"
#include "forkbulk/es_failure.h"
#include "forkbulk/eslimits.h"
#include "forkbulk/log.h"
#include "forkbulk/status.h"

/* One node of the cluster: its connection and whether it is down. */
struct fb_node {
    CURL *curl;
    char *base_url; /* without trailing slash */
    char *bulk_url;
    double down_until; /* monotonic seconds; up once it is past */
    int failures;      /* in a row: how long it is down */
};

struct fb_es {
    const struct fb_options *opts; /* for messages: the TLS files */
    struct fb_node nodes[FB_MAX_NODES];
    int n_nodes;
    int turn;  /* the node bulk requests look at first */
    int admin; /* the node other requests go to first */
    struct curl_slist *bulk_headers;
    struct curl_slist *json_headers;
    char index[FB_ES_INDEX_MAX + 1];
    char *auth_header;
    char *resp; /* response body, grows up to FB_ES_MAX_RESPONSE */
    size_t resp_len;
    size_t resp_cap;
    bool resp_overflow;
    /* The transfer's TLS handshake, from curl's trace: the cluster asked
     * for a client certificate, and the handshake completed. */
    bool cert_asked;
    bool tls_connected;
    char errbuf[CURL_ERROR_SIZE];
};

/* Whether text[0, len) holds word. */
static bool
has(const char *text, size_t len, const char *word)
{
    char line[128];

    snprintf(line, sizeof(line), "%.*s", (int)(len < 127 ? len : 127), text);
    return strstr(line, word) != NULL;
}

/*
 * curl's trace of an https transfer, for one thing: whether its TLS
 * handshake asked for a client certificate, which is what tells a refusal
 * whose alert was lost from a network failure (es_failure.h).  The lines
 * are those of curl's OpenSSL backend ("TLSv1.3 (IN), TLS handshake,
 * Request CERT (13):"); the rest of the trace is ignored.
 */
static int
on_trace(CURL *curl, curl_infotype type, char *text, size_t len, void *arg)
{
    struct fb_es *es = arg;

    (void)curl;
    if (type != CURLINFO_TEXT)
        return 0;
    if (has(text, len, "TLS handshake, Request CERT"))
        es->cert_asked = true;
    else if (has(text, len, "SSL connection using"))
        es->tls_connected = true;
    return 0;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct fb_es *es = arg;
    size_t n = size * nmemb;

    if (es->resp_len + n + 1 > es->resp_cap) {
        size_t cap = es->resp_cap ? es->resp_cap : 64 * 1024;
        char *p;

        while (cap < es->resp_len + n + 1)
            cap *= 2;
        if (cap > FB_ES_MAX_RESPONSE + 1) {
            es->resp_overflow = true;
            return 0; /* makes curl fail the transfer */
        }
        p = realloc(es->resp, cap);
        if (p == NULL)
            return 0;
        es->resp = p;
        es->resp_cap = cap;
    }
    memcpy(es->resp + es->resp_len, data, n);
    es->resp_len += n;
    es->resp[es->resp_len] = '\0';
    return n;
}

static char *
join_url(const char *base, const char *a, const char *b, const char *c)
{
    size_t len = strlen(base) + strlen(a) + strlen(b) + strlen(c) + 1;
    char *url = malloc(len);

    if (url != NULL)
        snprintf(url, len, "%s%s%s%s", base, a, b, c);
    return url;
}

static struct curl_slist *
make_headers(const char *content_type, const char *auth, bool gzip)
{
    struct curl_slist *h = NULL;
    struct curl_slist *t;

    /* libcurl would otherwise send a form content type (spec 1.3), and
     * "Expect: 100-continue" costs a round trip per request. */
    h = curl_slist_append(h, content_type);
    if (h == NULL)
        return NULL;
    if ((t = curl_slist_append(h, "Expect:")) == NULL)
        goto fail;
    h = t;
    if (gzip) {
        if ((t = curl_slist_append(h, "Content-Encoding: gzip")) == NULL)
            goto fail;
        h = t;
    }
    if (auth != NULL) {
        if ((t = curl_slist_append(h, auth)) == NULL)
            goto fail;
        h = t;
    }
    return h;
fail:
    curl_slist_free_all(h);
    return NULL;
}

static char *
api_key_header(const char *key)
{
    size_t len;
    char *h;

    if (key == NULL)
        return NULL;
    len = strlen(key) + 32;
    h = malloc(len);
    if (h != NULL)
        snprintf(h, len, "Authorization: ApiKey %s", key);
    return h;
}

/* TLS: verified unless the operator says otherwise (loudly: sink.c warns
 * once), at least 1.2, with the client certificate if there is one. */
static void
set_tls(CURL *curl, const struct fb_options *opts)
{
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (opts->ca_file != NULL)
        curl_easy_setopt(curl, CURLOPT_CAINFO, opts->ca_file);
    if (opts->insecure) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (opts->cert_file == NULL)
        return;
    curl_easy_setopt(curl, CURLOPT_SSLCERT, opts->cert_file);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    if (opts->key_file != NULL) {
        curl_easy_setopt(curl, CURLOPT_SSLKEY, opts->key_file);
        curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
    }
    /* Never unset: without a passphrase OpenSSL would ask for one on the
     * terminal, and a worker would wait there for ever.  An empty one
     * fails an encrypted key at once (CURLE_SSL_CERTPROBLEM). */
    curl_easy_setopt(curl, CURLOPT_KEYPASSWD,
                     opts->key_password != NULL ? opts->key_password : "");
}

/* The options every node's handle has. */
static void
set_handle(struct fb_es *es, CURL *curl, const struct fb_options *opts)
{
    /* Workers are single-threaded and handle signals themselves. */
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, es->errbuf);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, es);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, opts->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, opts->request_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "forkbulk");
    /* Only http and https, whatever a URL says; and a redirect is never
     * followed (libcurl's default, set so that nobody turns it on by
     * accident): a 3xx is an answer like any other, and credentials never
     * go to a host the operator did not name. */
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS,
                     (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    if (opts->es_user != NULL && es->auth_header == NULL) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, opts->es_user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD,
                         opts->es_password ? opts->es_password : "");
    }
    set_tls(curl, opts);
}

/* Node i of opts: its URL and its handle. */
static int
add_node(struct fb_es *es, const struct fb_options *opts, const char *url)
{
    struct fb_node *n = &es->nodes[es->n_nodes];
    size_t len;

    if ((n->base_url = strdup(url)) == NULL)
        return -1;
    es->n_nodes++;
    len = strlen(n->base_url);
    while (len > 0 && n->base_url[len - 1] == '/')
        n->base_url[--len] = '\0';
    if ((n->curl = curl_easy_init()) == NULL)
        return -1;
    set_handle(es, n->curl, opts);
    if (strncasecmp(n->base_url, "https://", 8) == 0) {
        curl_easy_setopt(n->curl, CURLOPT_DEBUGFUNCTION, on_trace);
        curl_easy_setopt(n->curl, CURLOPT_DEBUGDATA, es);
        curl_easy_setopt(n->curl, CURLOPT_VERBOSE, 1L);
    }
    return 0;
}

struct fb_es *
fb_es_new(const struct fb_options *opts)
{
    struct fb_es *es = calloc(1, sizeof(*es));

    if (es == NULL)
        return NULL;
    es->opts = opts;
    es->auth_header = api_key_header(opts->es_api_key);
    if (opts->es_api_key != NULL && es->auth_header == NULL)
        goto fail;
    es->bulk_headers = make_headers("Content-Type: application/x-ndjson",
                                    es->auth_header, opts->compress);
    es->json_headers =
        make_headers("Content-Type: application/json", es->auth_header, false);
    if (es->bulk_headers == NULL || es->json_headers == NULL)
        goto fail;
    /* Options parsed by hand (tests) may leave the list unsplit. */
    if (opts->n_es_nodes == 0 && add_node(es, opts, opts->es_url) < 0)
        goto fail;
    for (int i = 0; i < opts->n_es_nodes; i++)
        if (add_node(es, opts, opts->es_nodes[i]) < 0)
            goto fail;
    if (opts->index != NULL && fb_es_set_index(es, opts->index) < 0)
        goto fail;
    return es;
fail:
    fb_es_free(es);
    return NULL;
}

void
fb_es_free(struct fb_es *es)
{
    if (es == NULL)
        return;
    for (int i = 0; i < es->n_nodes; i++) {
        if (es->nodes[i].curl != NULL)
            curl_easy_cleanup(es->nodes[i].curl);
        free(es->nodes[i].base_url);
        free(es->nodes[i].bulk_url);
    }
    curl_slist_free_all(es->bulk_headers);
    curl_slist_free_all(es->json_headers);
    free(es->auth_header);
    free(es->resp);
    free(es);
}

int
fb_es_node_count(const struct fb_es *es)
{
    return es->n_nodes;
}

const char *
fb_es_node_url(const struct fb_es *es, int node)
{
    return es->nodes[node].base_url;
}

const char *
fb_es_bulk_url(const struct fb_es *es, int node)
{
    const struct fb_node *n = &es->nodes[node];

    return n->bulk_url != NULL ? n->bulk_url : n->base_url;
}

void
fb_es_start_at(struct fb_es *es, int k)
{
    es->turn = k >= 0 ? k % es->n_nodes : 0;
}

static bool
node_up(const struct fb_es *es, int node, double now)
{
    return es->nodes[node].down_until <= now;
}

int
fb_es_other_node(struct fb_es *es, unsigned tried)
{
    double now = fb_monotonic_seconds();

    for (int k = 0; k < es->n_nodes; k++) {
        int i = (es->turn + k) % es->n_nodes;

        if ((tried & (1u << i)) == 0 && node_up(es, i, now)) {
            es->turn = (i + 1) % es->n_nodes;
            return i;
        }
    }
    return -1;
}

int
fb_es_next_node(struct fb_es *es)
{
    int best = fb_es_other_node(es, 0);

    if (best >= 0)
        return best;
    best = es->turn;
    for (int i = 0; i < es->n_nodes; i++)
        if (es->nodes[i].down_until < es->nodes[best].down_until)
            best = i;
    es->turn = (best + 1) % es->n_nodes;
    return best;
}

/* What the answer (or its absence) says of the node. */
static void
judge_node(struct fb_es *es, const struct fb_http_result *res)
{
    struct fb_node *n = &es->nodes[res->node];

    if (!res->node_down) {
        if (!res->transport) {
            n->failures = 0;
            n->down_until = 0;
        }
        return;
    }
    n->failures++;
    n->down_until = fb_monotonic_seconds() +
                    (double)fb_backoff_node_down_ms(n->failures) / 1000.0;
}

int
fb_es_set_index(struct fb_es *es, const char *index)
{
    for (int i = 0; i < es->n_nodes; i++) {
        char *bulk = join_url(es->nodes[i].base_url, "/", index,
                              "/_bulk?filter_path=" FB_BULKRESP_FILTER_PATH);

        if (bulk == NULL)
            return -1;
        free(es->nodes[i].bulk_url);
        es->nodes[i].bulk_url = bulk;
    }
    snprintf(es->index, sizeof(es->index), "%s", index);
    return 0;
}

const char *
fb_es_index(const struct fb_es *es)
{
    return es->index;
}

/* A failed transfer: why, and what it means for the node. */
static void
transport_failure(struct fb_es *es, CURLcode rc, struct fb_http_result *res)
{
    res->transport = true;
    if (es->resp_overflow) {
        snprintf(res->error, sizeof(res->error),
                 "response larger than %u bytes", FB_ES_MAX_RESPONSE);
        return;
    }
    /* curl keeps the first message of a transfer: after a reset that is
     * often "getpeername() failed", from looking up the peer of a
     * connection already gone, and not what failed. */
    if (es->errbuf[0] == '\0' || strncmp(es->errbuf, "getpeername", 11) == 0)
        snprintf(es->errbuf, sizeof(es->errbuf), "%s", curl_easy_strerror(rc));
    res->fatal = fb_es_failure_explain(
        (int)rc, es->errbuf, es->cert_asked && es->tls_connected, es->opts,
        res->error, sizeof(res->error), &res->node_down);
}

/* Runs the transfer prepared on node's handle and fills res. */
static int
perform(struct fb_es *es, int node, struct fb_http_result *res)
{
    CURL *curl = es->nodes[node].curl;
    CURLcode rc;
    curl_off_t retry_after = -1;

    es->resp_len = 0;
    es->resp_overflow = false;
    es->cert_asked = false;
    es->tls_connected = false;
    es->errbuf[0] = '\0';
    if (es->resp != NULL)
        es->resp[0] = '\0';

    rc = curl_easy_perform(curl);

    memset(res, 0, sizeof(*res));
    res->node = node;
    res->retry_after_s = -1;
    res->body = es->resp != NULL ? es->resp : "";
    res->body_len = es->resp_len;
    if (rc != CURLE_OK) {
        transport_failure(es, rc, res);
        judge_node(es, res);
        return -1;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
    if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after) ==
            CURLE_OK &&
        retry_after > 0)
        res->retry_after_s = (long)retry_after;
    /* A proxy or balancer in front of a node that is gone, or a node
     * that is not ready. */
    res->node_down =
        res->status == 502 || res->status == 503 || res->status == 504;
    judge_node(es, res);
    return 0;
}

int
fb_es_bulk(struct fb_es *es, int node, const char *body, size_t len,
           struct fb_http_result *res)
{
    CURL *curl = es->nodes[node].curl;

    curl_easy_setopt(curl, CURLOPT_URL, fb_es_bulk_url(es, node));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, es->bulk_headers);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    return perform(es, node, res);
}

/* One request of the cluster's API to one node (fb_es_request). */
static int
request_node(struct fb_es *es, int node, const char *method, const char *url,
             const char *body, struct fb_http_result *res)
{
    CURL *curl = es->nodes[node].curl;
    int rc;

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, es->json_headers);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)strlen(body));
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    /* The method last: HTTPGET and POSTFIELDS set one of their own. */
    curl_easy_setopt(
        curl, CURLOPT_CUSTOMREQUEST,
        strcmp(method, body != NULL ? "POST" : "GET") == 0 ? NULL : method);
    curl_easy_setopt(curl, CURLOPT_NOBODY, (long)(strcmp(method, "HEAD") == 0));
    rc = perform(es, node, res);
    /* The handle is reused: the next request must not inherit these. */
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(curl, CURLOPT_NOBODY, 0L);
    return rc;
}

static void
out_of_memory(struct fb_http_result *res, int node)
{
    memset(res, 0, sizeof(*res));
    res->node = node;
    res->transport = true;
    snprintf(res->error, sizeof(res->error), "out of memory");
}

int
fb_es_request(struct fb_es *es, const char *method, const char *path,
              const char *body, struct fb_http_result *res)
{
    int rc = -1;

    out_of_memory(res, es->admin); /* until a node is asked */
    for (int k = 0; k < es->n_nodes; k++) {
        int node = (es->admin + k) % es->n_nodes;
        char *url = join_url(es->nodes[node].base_url, path, "", "");

        if (url == NULL) {
            out_of_memory(res, node);
            return -1;
        }
        rc = request_node(es, node, method, url, body, res);
        if (res->node_down && k + 1 < es->n_nodes) {
            if (res->transport)
                fb_warn("%s %s: %s; trying the next node", method, url,
                        res->error);
            else
                fb_warn("%s %s answered HTTP %ld; trying the next node", method,
                        url, res->status);
        }
        free(url);
        if (!res->node_down) {
            es->admin = node;
            break;
        }
    }
    return rc;
}

/* GET / got no answer from any node. */
static int
unreachable(const struct fb_es *es, const struct fb_http_result *res, char *why,
            size_t whylen)
{
    const char *url = fb_es_node_url(es, res->node);

    if (es->n_nodes == 1 || res->fatal != 0)
        snprintf(why, whylen, "cannot reach the cluster at %s/: %s", url,
                 res->error);
    else
        snprintf(why, whylen,
                 "cannot reach any of the %d nodes of the cluster (the last, "
                 "%s/: %s)",
                 es->n_nodes, url, res->error);
    return res->fatal != 0 ? res->fatal : FB_EXIT_UNAVAILABLE;
}

/* The answer of GET / of a node that gave one: its version, in desc. */
static int
read_version(const struct fb_http_result *res, const char *url, char *desc,
             size_t desclen, char *why, size_t whylen)
{
    json_t *root = json_loadb(res->body, res->body_len, 0, NULL);
    json_t *version = json_object_get(root, "version");
    const char *number = json_string_value(json_object_get(version, "number"));
    const char *distribution =
        json_string_value(json_object_get(version, "distribution"));
    int ret = 0;

    if (number == NULL) {
        snprintf(why, whylen,
                 "%s is not Elasticsearch or OpenSearch: GET / has no "
                 "version.number",
                 url);
        ret = FB_EXIT_UNAVAILABLE;
    } else {
        snprintf(desc, desclen, "%s %s",
                 distribution != NULL && strcmp(distribution, "opensearch") == 0
                     ? "OpenSearch"
                     : "Elasticsearch",
                 number);
    }
    json_decref(root);
    return ret;
}

int
fb_es_check(struct fb_es *es, const char *flavor_if_refused, char *desc,
            size_t desclen, char *why, size_t whylen)
{
    struct fb_http_result res;
    char url[1024];

    why[0] = '\0';
    if (fb_es_request(es, "GET", "/", NULL, &res) < 0)
        return unreachable(es, &res, why, whylen);
    snprintf(url, sizeof(url), "%s/", fb_es_node_url(es, res.node));
    if (res.status == 401) {
        snprintf(why, whylen,
                 "the cluster at %s refused the credentials (HTTP 401); set "
                 "[elasticsearch] user/password or api_key in the config, "
                 "or FORKBULK_ES_USER/FORKBULK_ES_PASSWORD or "
                 "FORKBULK_ES_API_KEY",
                 url);
        return FB_EXIT_CONFIG;
    }
    if (res.status == 403) {
        /* GET / needs the cluster's monitor privilege, which a key that
         * may only write to the target indices does not have. */
        snprintf(desc, desclen, "%s (GET / refused; --es-flavor)",
                 flavor_if_refused);
        snprintf(why, whylen,
                 "the cluster at %s refused GET / (HTTP 403: the credentials "
                 "lack the monitor privilege); going on, taking it to be %s "
                 "(--es-flavor)",
                 url, flavor_if_refused);
        return 0;
    }
    if (res.status != 200) {
        snprintf(why, whylen, "GET %s answered HTTP %ld, not 200", url,
                 res.status);
        return FB_EXIT_UNAVAILABLE;
    }
    return read_version(&res, url, desc, desclen, why, whylen);
}
