/*
 * ts_api.c
 *    The ES-compatible semantics of es-test-server (see ts_api.h): routing,
 *    authentication, Content-Type checks, the small index APIs (info,
 *    create, settings, refresh, count, aliases, templates), the /_test/
 *    control endpoints, filter_path and response headers.  _bulk itself is
 *    in ts_bulk.c, storage in ts_store.c.
 *
 * One mutex serialises each request's access to the state.
 */
#include "ts_api.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ts_filter.h"
#include "ts_route.h"

#define CT_ES7 "application/json; charset=UTF-8"
#define CT_ES8 "application/json;charset=utf-8"
#define CT_ES8_COMPAT "application/vnd.elasticsearch+json;compatible-with=8"
#define CT_TEXT "text/plain; charset=UTF-8"
#define CT_HTML "text/html"

/* ---- faults ---- */

bool
ts_fault_fire(struct ts_fault *fault)
{
    uint32_t rate = __atomic_load_n(&fault->rate_ppm, __ATOMIC_RELAXED);
    uint64_t before;

    if (rate == 0)
        return false;
    before = __atomic_fetch_add(&fault->acc, rate, __ATOMIC_RELAXED);
    return (before + rate) / 1000000 != before / 1000000;
}

void
ts_fault_set(struct ts_fault *fault, double rate, uint64_t seed)
{
    uint32_t ppm;

    if (!(rate > 0.0))
        rate = 0.0;
    if (rate > 1.0)
        rate = 1.0;
    ppm = (uint32_t)(rate * 1000000.0 + 0.5);
    /* The phase: 0 with seed 0, else a fixed point of the first million. */
    __atomic_store_n(&fault->acc,
                     seed == 0 ? 0 : (seed * 2654435761u) % 1000000,
                     __ATOMIC_RELAXED);
    __atomic_store_n(&fault->rate_ppm, ppm, __ATOMIC_RELAXED);
}

/* ---- state ---- */

struct ts_state *
ts_state_new(const struct ts_config *config)
{
    struct ts_state *st = calloc(1, sizeof(*st));

    if (st == NULL)
        return NULL;
    st->config = *config;
    if (config->numeric_field != NULL) {
        st->numeric_field = strdup(config->numeric_field);
        if (st->numeric_field == NULL)
            goto fail;
    }
    if (config->auth != NULL) {
        st->auth = strdup(config->auth);
        if (st->auth == NULL)
            goto fail;
    }
    st->config.numeric_field = st->numeric_field;
    st->config.auth = st->auth;
    if (st->config.max_content_length == 0)
        st->config.max_content_length = 100u * 1024 * 1024;
    if (pthread_mutex_init(&st->lock, NULL) != 0)
        goto fail;
    if (ts_nodes_init(&st->nodes) != 0) {
        pthread_mutex_destroy(&st->lock);
        goto fail;
    }
    return st;
fail:
    free(st->numeric_field);
    free(st->auth);
    free(st);
    return NULL;
}

void
ts_state_free(struct ts_state *state)
{
    if (state == NULL)
        return;
    ts_nodes_free(&state->nodes);
    ts_store_reset(state);
    ts_reqlog_free(&state->reqlog);
    free(state->bulk_items);
    pthread_mutex_destroy(&state->lock);
    free(state->numeric_field);
    free(state->auth);
    free(state);
}

struct ts_faults *
ts_state_faults(struct ts_state *state)
{
    return &state->faults;
}

const struct ts_config *
ts_state_config(const struct ts_state *state)
{
    return &state->config;
}

bool
ts_state_set_nodes(struct ts_state *state, unsigned n, const uint16_t *ports,
                   const struct ts_transport *tp)
{
    struct ts_nodes *nodes = &state->nodes;
    unsigned i;

    if (n == 0 || n > TS_NODES_MAX)
        return false;
    pthread_mutex_lock(&nodes->lock);
    nodes->n = n;
    for (i = 0; i < n; i++)
        nodes->node[i].port = ports[i];
    nodes->has_tp = tp != NULL;
    if (tp != NULL)
        nodes->tp = *tp;
    pthread_mutex_unlock(&nodes->lock);
    return true;
}

void
ts_state_detach_transport(struct ts_state *state)
{
    ts_nodes_stop(&state->nodes);
}

/* ---- query strings ---- */

static size_t
url_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t i;
    size_t k = 0;

    for (i = 0; i < n && k + 1 < cap; i++) {
        if (s[i] == '+') {
            out[k++] = ' ';
        } else if (s[i] == '%' && i + 2 < n &&
                   isxdigit((unsigned char)s[i + 1]) &&
                   isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};

            out[k++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = 0;
    return k;
}

static void
parse_query(const char *qs, struct ts_query *q)
{
    const char *p = qs;

    q->n = 0;
    while (p != NULL && *p != 0 && q->n < TS_QUERY_MAX) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        struct ts_param *pr = &q->p[q->n];

        if (len > 0) {
            if (eq != NULL) {
                url_decode(p, (size_t)(eq - p), pr->name, sizeof(pr->name));
                url_decode(eq + 1, len - (size_t)(eq - p) - 1, pr->value,
                           sizeof(pr->value));
            } else {
                url_decode(p, len, pr->name, sizeof(pr->name));
                pr->value[0] = 0;
            }
            q->n++;
        }
        p = amp ? amp + 1 : NULL;
    }
}

const char *
ts_query_get(const struct ts_query *q, const char *name)
{
    int i;

    for (i = 0; i < q->n; i++)
        if (strcmp(q->p[i].name, name) == 0)
            return q->p[i].value;
    return NULL;
}

/* ---- answers every route may give (ts_route.h) ---- */

int
ts_route_short_error(struct ts_ctx *c, int status, const char *msg,
                     bool with_status)
{
    ts_out_str(&c->out, "{\"error\":");
    ts_out_json_cstr(&c->out, msg);
    if (with_status) {
        ts_out_str(&c->out, ",\"status\":");
        ts_out_u64(&c->out, (uint64_t)status);
    }
    ts_out_char(&c->out, '}');
    return status;
}

int
ts_route_no_handler(struct ts_ctx *c)
{
    char msg[2300];

    snprintf(msg, sizeof(msg), "no handler found for uri [%s] and method [%s]",
             c->uri, c->req->method);
    return ts_route_short_error(c, 400, msg, false);
}

int
ts_route_bad_method(struct ts_ctx *c, const char *allow, const char *allow_list)
{
    char msg[2400];

    snprintf(msg, sizeof(msg),
             "Incorrect HTTP method for uri [%s] and method [%s], allowed: "
             "[%s]",
             c->uri, c->req->method, allow_list);
    c->allow = allow;
    return ts_route_short_error(c, 405, msg, true);
}

int
ts_route_error(struct ts_ctx *c, int status, const char *type,
               const char *reason)
{
    ts_write_error(&c->out, status, type, reason);
    return status;
}

int
ts_route_error_meta(struct ts_ctx *c, int status, const char *type,
                    const char *reason, struct ts_out *meta)
{
    ts_out_char(meta, 0);
    ts_write_error_meta(&c->out, status, type, reason,
                        meta->buf != NULL ? meta->buf : "");
    return status;
}

/* index_not_found_exception, as in the fixture but compact. */
int
ts_route_not_found(struct ts_ctx *c, const char *name)
{
    struct ts_out meta;
    char reason[TS_NAME_MAX + 32];
    int status;

    snprintf(reason, sizeof(reason), "no such index [%s]", name);
    ts_out_init(&meta, 4096);
    ts_out_str(&meta, ",\"resource.type\":\"index_or_alias\","
                      "\"resource.id\":");
    ts_out_json_cstr(&meta, name);
    ts_out_str(&meta, ",\"index_uuid\":\"_na_\",\"index\":");
    ts_out_json_cstr(&meta, name);
    status =
        ts_route_error_meta(c, 404, "index_not_found_exception", reason, &meta);
    ts_out_free(&meta);
    return status;
}

int
ts_route_ack(struct ts_ctx *c)
{
    ts_out_str(&c->out, "{\"acknowledged\":true}");
    return 200;
}

bool
ts_route_method_is(const struct ts_ctx *c, const char *m)
{
    return strcmp(c->req->method, m) == 0;
}

void
ts_route_str_array(struct ts_out *o, const char *const *v, int n)
{
    int i;

    ts_out_char(o, '[');
    for (i = 0; i < n; i++) {
        ts_out_str(o, i > 0 ? "," : "");
        ts_out_json_cstr(o, v[i]);
    }
    ts_out_char(o, ']');
}

json_t *
ts_route_body_json(struct ts_ctx *c, int *status)
{
    json_error_t jerr;
    json_t *root;
    char reason[300];
    bool es8 = c->st->config.mode == TS_MODE_ES8;

    *status = 0;
    if (c->req->body_len == 0)
        return NULL;
    root = json_loadb(c->req->body, c->req->body_len, 0, &jerr);
    if (root != NULL && json_is_object(root))
        return root;
    json_decref(root);
    if (es8)
        snprintf(reason, sizeof(reason), "[%d:%d] %s", jerr.line, jerr.column,
                 root ? "Expected START_OBJECT" : jerr.text);
    else
        snprintf(reason, sizeof(reason), "%s", jerr.text);
    *status = ts_route_error(
        c, 400, es8 ? "x_content_parse_exception" : "json_parse_exception",
        reason);
    return NULL;
}

/* ---- routes ---- */

static int
route_info(struct ts_ctx *c)
{
    const struct ts_config *cf = &c->st->config;
    struct ts_out *o = &c->out;

    /* a node answers with its own name; the cluster's are shared */
    ts_out_printf(o, "{\n  \"name\" : \"node-%u\",\n", c->req->node);
    if (cf->mode == TS_MODE_OPENSEARCH) {
        ts_out_str(o,
                   "  \"cluster_name\" : \"opensearch\",\n"
                   "  \"cluster_uuid\" : \"dGVzdC1zZXJ2ZXItY2x1cw\",\n"
                   "  \"version\" : {\n"
                   "    \"distribution\" : \"opensearch\",\n"
                   "    \"number\" : \"2.17.1\",\n"
                   "    \"build_type\" : \"tar\",\n"
                   "    \"build_hash\" : "
                   "\"1893d20797e30110e5877170e44d42275ce5951e\",\n"
                   "    \"build_date\" : \"2024-09-26T21:59:32.078798875Z\",\n"
                   "    \"build_snapshot\" : false,\n"
                   "    \"lucene_version\" : \"9.11.1\",\n"
                   "    \"minimum_wire_compatibility_version\" : "
                   "\"7.10.0\",\n"
                   "    \"minimum_index_compatibility_version\" : "
                   "\"7.0.0\"\n"
                   "  },\n"
                   "  \"tagline\" : \"The OpenSearch Project: "
                   "https://opensearch.org/\"\n}\n");
    } else if (cf->mode == TS_MODE_ES8) {
        ts_out_str(o,
                   "  \"cluster_name\" : \"elasticsearch\",\n"
                   "  \"cluster_uuid\" : \"dGVzdC1zZXJ2ZXItY2x1cw\",\n"
                   "  \"version\" : {\n"
                   "    \"number\" : \"8.15.1\",\n"
                   "    \"build_flavor\" : \"default\",\n"
                   "    \"build_type\" : \"docker\",\n"
                   "    \"build_hash\" : "
                   "\"253e8544a65ad44581194068936f2a5d57c2c051\",\n"
                   "    \"build_date\" : \"2024-09-02T22:04:47.310170297Z\",\n"
                   "    \"build_snapshot\" : false,\n"
                   "    \"lucene_version\" : \"9.11.1\",\n"
                   "    \"minimum_wire_compatibility_version\" : "
                   "\"7.17.0\",\n"
                   "    \"minimum_index_compatibility_version\" : "
                   "\"7.0.0\"\n"
                   "  },\n"
                   "  \"tagline\" : \"You Know, for Search\"\n}\n");
    } else {
        ts_out_str(o, "  \"cluster_name\" : \"elasticsearch\",\n"
                      "  \"cluster_uuid\" : \"dGVzdC1zZXJ2ZXItY2x1cw\",\n"
                      "  \"version\" : {\n"
                      "    \"number\" : \"7.17.24\",\n"
                      "    \"build_flavor\" : \"default\",\n"
                      "    \"build_type\" : \"docker\",\n"
                      "    \"build_hash\" : "
                      "\"fcf25fff740db6ab3ed5d145c58d70e4c3528ea7\",\n"
                      "    \"build_date\" : \"2024-09-05T07:31:39.237856Z\",\n"
                      "    \"build_snapshot\" : false,\n"
                      "    \"lucene_version\" : \"8.11.3\",\n"
                      "    \"minimum_wire_compatibility_version\" : "
                      "\"6.8.0\",\n"
                      "    \"minimum_index_compatibility_version\" : "
                      "\"6.0.0-beta1\"\n"
                      "  },\n"
                      "  \"tagline\" : \"You Know, for Search\"\n}\n");
    }
    return 200;
}

/* ---- checks before routing ---- */

static const char b64tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t
b64_decode(const char *in, char *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;

    for (; *in != 0 && *in != '='; in++) {
        const char *p = strchr(b64tab, *in);

        if (p == NULL || *in == 0)
            return (size_t)-1;
        acc = (acc << 6) | (uint32_t)(p - b64tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 >= cap)
                return (size_t)-1;
            out[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[n] = 0;
    return n;
}

/*
 * The 401 security_exception of a request whose credentials are missing
 * or wrong, naming the user it carried.
 */
static int
unauthenticated(struct ts_ctx *c)
{
    const char *h = c->req->authorization;
    char creds[512];
    char reason[2300];
    const char *colon;
    struct ts_out *o = &c->out;
    int i;

    if (h == NULL) {
        snprintf(reason, sizeof(reason),
                 "missing authentication credentials for REST request [%s]",
                 c->uri);
    } else {
        if (strncasecmp(h, "Basic ", 6) != 0 ||
            b64_decode(h + 6, creds, sizeof(creds)) == (size_t)-1)
            creds[0] = 0;
        colon = strchr(creds, ':');
        snprintf(reason, sizeof(reason),
                 "unable to authenticate user [%.*s] for REST request [%s]",
                 (int)(colon ? (size_t)(colon - creds) : strlen(creds)), creds,
                 c->uri);
    }
    ts_out_str(o, "{\"error\":{\"root_cause\":[{");
    for (i = 0; i < 2; i++) {
        if (i == 1)
            ts_out_str(o, "}],");
        ts_out_str(o, "\"type\":\"security_exception\",\"reason\":");
        ts_out_json_cstr(o, reason);
        ts_out_str(o, ",\"header\":{\"WWW-Authenticate\":\"Basic "
                      "realm=\\\"security\\\" charset=\\\"UTF-8\\\"\"}");
    }
    ts_out_str(o, "},\"status\":401}");
    c->www_auth = "Basic realm=\"security\" charset=\"UTF-8\"";
    return 401;
}

static int
check_auth(struct ts_ctx *c)
{
    const char *h = c->req->authorization;
    char creds[512];

    /* /_test/ routes never get here: dispatch() answers them first */
    if (c->st->auth == NULL)
        return 0;
    if (h != NULL && strncasecmp(h, "Basic ", 6) == 0 &&
        b64_decode(h + 6, creds, sizeof(creds)) != (size_t)-1 &&
        strcmp(creds, c->st->auth) == 0)
        return 0;
    return unauthenticated(c);
}

/*
 * The Content-Type check ES makes for any request with a body; stream is
 * true for _bulk, which needs a streamable type.
 */
static int
check_content_type(struct ts_ctx *c, bool stream)
{
    const char *ct = c->req->content_type;
    char type[256];
    char msg[400];
    size_t n;
    bool es8 = c->st->config.mode == TS_MODE_ES8;

    if (c->req->body_len == 0)
        return 0;
    if (ct == NULL)
        return ts_route_short_error(c, 406, "Content-Type header is missing",
                                    true);
    while (*ct == ' ')
        ct++;
    n = strcspn(ct, ";");
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    if (n >= sizeof(type))
        n = sizeof(type) - 1;
    for (size_t i = 0; i < n; i++)
        type[i] = (char)tolower((unsigned char)ct[i]);
    type[n] = 0;
    if (strcmp(type, "application/json") == 0 ||
        strcmp(type, "application/x-ndjson") == 0 ||
        strcmp(type, "application/smile") == 0)
        return 0;
    if (es8 && (strcmp(type, "application/vnd.elasticsearch+json") == 0 ||
                strcmp(type, "application/vnd.elasticsearch+x-ndjson") == 0)) {
        c->compat = true;
        return 0;
    }
    if (strcmp(type, "application/cbor") == 0 ||
        strcmp(type, "application/yaml") == 0) {
        if (!stream)
            return 0;
        snprintf(msg, sizeof(msg),
                 "Content-Type [%s] does not support stream parsing. Use "
                 "JSON or SMILE instead",
                 type);
        return ts_route_short_error(c, 406, msg, true);
    }
    snprintf(msg, sizeof(msg), "Content-Type header [%.*s] is not supported",
             (int)strnlen(c->req->content_type, 300), c->req->content_type);
    return ts_route_short_error(c, 406, msg, true);
}

static int
check_bulk_params(struct ts_ctx *c)
{
    static const char *const known[] = {
        "refresh",
        "pipeline",
        "routing",
        "timeout",
        "wait_for_active_shards",
        "require_alias",
        "filter_path",
        "pretty",
        "human",
        "error_trace",
        "_source",
        "_source_includes",
        "_source_excludes",
    };
    struct ts_out list;
    char msg[1600];
    int bad = 0;
    int i;

    ts_out_init(&list, 1024);
    for (i = 0; i < c->q.n; i++) {
        const char *name = c->q.p[i].name;
        bool ok = false;

        for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
            if (strcmp(name, known[k]) == 0)
                ok = true;
        if (strcmp(name, "type") == 0 && c->st->config.mode != TS_MODE_ES8)
            ok = true;
        if (c->st->config.mode == TS_MODE_ES8 &&
            (strcmp(name, "require_data_stream") == 0 ||
             strcmp(name, "list_executed_pipelines") == 0 ||
             strcmp(name, "include_source_on_error") == 0))
            ok = true;
        if (ok)
            continue;
        if (bad++ > 0)
            ts_out_str(&list, ", ");
        ts_out_printf(&list, "[%s]", name);
    }
    if (bad == 0) {
        ts_out_free(&list);
        return 0;
    }
    /* ES words it in the plural when there are several */
    snprintf(msg, sizeof(msg), "request [%s] contains unrecognized %s: %.*s",
             c->req->path, bad > 1 ? "parameters" : "parameter", (int)list.len,
             list.buf ? list.buf : "");
    ts_out_free(&list);
    return ts_route_error(c, 400, "illegal_argument_exception", msg);
}

/* ---- routing ---- */

/*
 * GET|HEAD / while the root_status fault is set: the answer of a cluster
 * to a key that may write to the indices but not call cluster:monitor/main
 * (403), or that it does not take at all (401).
 */
static int
route_root_refused(struct ts_ctx *c, uint32_t status)
{
    if (status == TS_ROOT_UNAUTHENTICATED)
        return unauthenticated(c);
    return ts_route_error(
        c, 403, "security_exception",
        "action [cluster:monitor/main] is unauthorized for user "
        "[loader] with effective roles [writer], this action is "
        "granted by the cluster privileges [monitor,manage,all]");
}

static int
split_path(const char *path, char segs[TS_ROUTE_SEGS][TS_NAME_MAX + 1])
{
    int n = 0;
    const char *p = path;

    while (*p == '/')
        p++;
    while (*p != 0) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);

        if (n == TS_ROUTE_SEGS)
            return -1;
        url_decode(p, len, segs[n], TS_NAME_MAX + 1);
        n++;
        p += len;
        while (*p == '/')
            p++;
    }
    return n;
}

/* GET|HEAD /: the cluster's answer, or the root_status fault's. */
static int
route_root(struct ts_ctx *c)
{
    uint32_t refuse =
        __atomic_load_n(&c->st->faults.root_status, __ATOMIC_RELAXED);

    if (!ts_route_method_is(c, "GET") && !ts_route_method_is(c, "HEAD"))
        return ts_route_bad_method(c, "GET,HEAD", "GET, HEAD");
    return refuse != 0 ? route_root_refused(c, refuse) : route_info(c);
}

/* Is this one of _bulk's routes? */
static bool
is_bulk(const struct ts_ctx *c)
{
    bool es8 = c->st->config.mode == TS_MODE_ES8;
    int n = c->nsegs;

    return (n == 1 && strcmp(c->segs[0], "_bulk") == 0) ||
           (n == 2 && strcmp(c->segs[1], "_bulk") == 0 &&
            c->segs[0][0] != '_') ||
           (n == 3 && !es8 && strcmp(c->segs[2], "_bulk") == 0 &&
            c->segs[0][0] != '_');
}

static int
route_bulk(struct ts_ctx *c)
{
    int rc;

    if (!ts_route_method_is(c, "POST") && !ts_route_method_is(c, "PUT"))
        return ts_route_bad_method(c, "POST,PUT", "POST, PUT");
    if ((rc = check_content_type(c, true)) != 0)
        return rc;
    if ((rc = check_bulk_params(c)) != 0)
        return rc;
    if (c->req->body_len == 0)
        return ts_route_error(c, 400, "parse_exception",
                              "request body is required");
    rc = ts_bulk_handle(c->st, c->req, &c->q, c->nsegs > 1 ? c->segs[0] : NULL,
                        &c->out, &c->filtered, &c->written);
    /* _bulk answers 429 or 503 as a whole only as a fault */
    if (rc == 429 || rc == 503)
        c->retry_after_s =
            __atomic_load_n(&c->st->faults.retry_after_s, __ATOMIC_RELAXED);
    return rc;
}

/*
 * What a proxy answers for a node that restarts behind it (nginx's
 * page): not JSON, no product header.
 */
static int
route_unavailable(struct ts_ctx *c)
{
    ts_out_str(&c->out,
               "<html>\r\n<head><title>503 Service Temporarily "
               "Unavailable</title></head>\r\n<body>\r\n<center><h1>503 "
               "Service Temporarily Unavailable</h1></center>\r\n<hr><center>"
               "nginx</center>\r\n</body>\r\n</html>\r\n");
    c->content_type = CT_HTML;
    c->no_product = true;
    return 503;
}

static bool
is_test_path(const struct ts_ctx *c)
{
    return c->nsegs >= 1 && strcmp(c->segs[0], "_test") == 0;
}

static int
dispatch(struct ts_ctx *c)
{
    int rc;

    if (c->nsegs < 0)
        return ts_route_no_handler(c);
    if (is_test_path(c))
        return ts_test_route(c);
    if (ts_nodes_state(&c->st->nodes, c->req->node) == TS_NODE_UNAVAILABLE)
        return route_unavailable(c);
    if ((rc = check_auth(c)) != 0)
        return rc;
    if (c->nsegs == 0)
        return route_root(c);
    if (is_bulk(c))
        return route_bulk(c);
    if ((rc = check_content_type(c, false)) != 0)
        return rc;
    if ((rc = ts_admin_route(c)) != 0)
        return rc;
    return ts_route_no_handler(c);
}

static struct ts_ctx *
ctx_new(struct ts_state *state, const struct ts_request *req)
{
    struct ts_ctx *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->st = state;
    c->req = req;
    c->head = strcmp(req->method, "HEAD") == 0;
    parse_query(req->query ? req->query : "", &c->q);
    snprintf(c->uri, sizeof(c->uri), "%s%s%s", req->path,
             req->query && req->query[0] ? "?" : "",
             req->query ? req->query : "");
    c->nsegs = split_path(req->path, c->segs);
    ts_out_init(&c->out, TS_OUT_MAX);
    ts_out_init(&c->written, 1u << 20);
    return c;
}

/* Counts the request and, unless it is a /_test/ one, logs it. */
static void
account(struct ts_ctx *c)
{
    struct ts_state *st = c->st;

    if (c->status > 0 && c->status < TS_STATUS_MAX && !c->no_count)
        st->stats.responses[c->status]++;
    if (!is_test_path(c))
        ts_reqlog_add(&st->reqlog, c->req, c->status,
                      c->written.len > 0 ? c->written.buf : NULL,
                      c->written.len);
}

/* Runs the route: /_test/nodes without the state's lock, all else under. */
static void
run(struct ts_ctx *c)
{
    struct ts_state *st = c->st;
    bool nodes =
        is_test_path(c) && c->nsegs >= 2 && strcmp(c->segs[1], "nodes") == 0;

    if (nodes)
        c->status = ts_test_nodes_route(c);
    pthread_mutex_lock(&st->lock);
    st->stats.requests++;
    st->stats.bytes_received += c->req->wire_len;
    if (!nodes)
        c->status = dispatch(c);
    account(c);
    pthread_mutex_unlock(&st->lock);
}

/* filter_path over a body not filtered while it was written. */
static void
apply_filter(struct ts_ctx *c)
{
    const char *filter = ts_query_get(&c->q, "filter_path");
    struct ts_out filtered;

    if (filter == NULL || c->out.len == 0 || c->head || c->filtered ||
        c->content_type != NULL)
        return;
    ts_out_init(&filtered, TS_OUT_MAX);
    if (ts_filter_apply(filter, strlen(filter), c->out.buf, c->out.len,
                        &filtered) == 0 &&
        !filtered.overflow) {
        ts_out_free(&c->out);
        c->out = filtered;
    } else {
        ts_out_free(&filtered);
    }
}

static void
respond(struct ts_ctx *c, struct ts_response *resp)
{
    const struct ts_config *cf = &c->st->config;

    resp->status = c->status;
    resp->allow = c->allow;
    resp->www_authenticate = c->www_auth;
    resp->retry_after_s = c->retry_after_s;
    resp->close = c->close;
    resp->product_header =
        cf->mode != TS_MODE_OPENSEARCH && cf->product_header && !c->no_product;
    if (c->head || c->out.len == 0) {
        ts_out_free(&c->out);
        resp->content_type = c->head ? CT_TEXT : NULL;
        resp->body = NULL;
        resp->body_len = 0;
        return;
    }
    if (c->content_type != NULL)
        resp->content_type = c->content_type;
    else if (cf->mode == TS_MODE_ES8)
        resp->content_type = c->compat ? CT_ES8_COMPAT : CT_ES8;
    else
        resp->content_type = CT_ES7;
    resp->body = ts_out_take(&c->out, &resp->body_len);
}

void
ts_api_handle(struct ts_state *state, const struct ts_request *req,
              struct ts_response *resp)
{
    struct ts_ctx *c = ctx_new(state, req);

    memset(resp, 0, sizeof(*resp));
    if (c == NULL) {
        resp->status = 500;
        return;
    }
    run(c);
    if (c->out.overflow) {
        ts_out_free(&c->out);
        ts_out_init(&c->out, 4096);
        c->status = ts_route_error(c, 500, "exception", "response too large");
        c->filtered = false;
        c->content_type = NULL;
    }
    apply_filter(c);
    respond(c, resp);
    ts_out_free(&c->written);
    free(c);
}

void
ts_api_count_transport(struct ts_state *state, const struct ts_request *req,
                       int status)
{
    pthread_mutex_lock(&state->lock);
    state->stats.requests++;
    state->stats.bytes_received += req->wire_len;
    if (status == 0)
        state->stats.fault_drop++;
    else if (status > 0 && status < TS_STATUS_MAX)
        state->stats.responses[status]++;
    if (strncmp(req->path, "/_test/", 7) != 0)
        ts_reqlog_add(&state->reqlog, req, status, NULL, 0);
    pthread_mutex_unlock(&state->lock);
}
