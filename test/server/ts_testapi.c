/*
 * ts_testapi.c
 *    The /_test/ endpoints of es-test-server, for tests only: the
 *    accounts (stats), forgetting everything (reset), the fault settings
 *    (faults), the request log (requests) and the nodes (nodes).  They
 *    need no credentials, are never logged, and a node answering 503
 *    still answers them.
 */
#include "ts_route.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
hex16(struct ts_out *o, uint64_t v)
{
    ts_out_printf(o, "\"%016llx\"", (unsigned long long)v);
}

static void
status_map(struct ts_out *o, const uint64_t *counts)
{
    bool first = true;
    int s;

    ts_out_char(o, '{');
    for (s = 0; s < TS_STATUS_MAX; s++) {
        if (counts[s] == 0)
            continue;
        ts_out_printf(o, "%s\"%d\":", first ? "" : ",", s);
        ts_out_u64(o, counts[s]);
        first = false;
    }
    ts_out_char(o, '}');
}

static int
route_stats(struct ts_ctx *c)
{
    struct ts_state *st = c->st;
    struct ts_stats *s = &st->stats;
    struct ts_out *o = &c->out;
    struct ts_index *idx;
    bool first = true;

    /* this request counts as answered 200 in what it reports */
    s->responses[200]++;
    ts_out_str(o, "{\"requests\":");
    ts_out_u64(o, s->requests);
    ts_out_str(o, ",\"bulk_requests\":");
    ts_out_u64(o, s->bulk_requests);
    ts_out_str(o, ",\"bytes_received\":");
    ts_out_u64(o, s->bytes_received);
    ts_out_str(o, ",\"responses\":");
    status_map(o, s->responses);
    s->responses[200]--;
    ts_out_str(o, ",\"items\":");
    status_map(o, s->items);
    ts_out_printf(o,
                  ",\"faults\":{\"item_429\":%llu,\"item_503\":%llu,"
                  "\"request_429\":%llu,\"request_503\":%llu,\"drop\":%llu}",
                  (unsigned long long)s->fault_item_429,
                  (unsigned long long)s->fault_item_503,
                  (unsigned long long)s->fault_request_429,
                  (unsigned long long)s->fault_request_503,
                  (unsigned long long)s->fault_drop);
    ts_out_str(o, ",\"indices\":{");
    for (idx = st->indices; idx != NULL; idx = idx->next) {
        if (!first)
            ts_out_char(o, ',');
        first = false;
        ts_out_json_cstr(o, idx->name);
        ts_out_str(o, ":{\"docs\":");
        ts_out_u64(o, idx->live);
        ts_out_str(o, ",\"checksum\":");
        hex16(o, idx->checksum);
        ts_out_str(o, ",\"source_checksum\":");
        hex16(o, idx->source_checksum);
        ts_out_printf(o,
                      ",\"created\":%llu,\"updated\":%llu,\"deleted\":%llu,"
                      "\"duplicates\":%llu}",
                      (unsigned long long)idx->created,
                      (unsigned long long)idx->updated,
                      (unsigned long long)idx->deleted,
                      (unsigned long long)idx->duplicates);
    }
    ts_out_str(o, "}}");
    return 200;
}

/*
 * The settings of PUT /_test/faults: rates (0..1, each restarting its
 * phase from the seed) and whole numbers (each with its own bound).
 */
static const char *const rate_names[] = {
    "item_429_rate",    "item_503_rate", "request_429_rate",
    "request_503_rate", "drop_rate",     "request_403_rate"};

#define N_RATES (sizeof(rate_names) / sizeof(rate_names[0]))

static struct ts_fault *
rate_target(struct ts_faults *f, size_t i)
{
    struct ts_fault *targets[N_RATES] = {&f->item_429,    &f->item_503,
                                         &f->request_429, &f->request_503,
                                         &f->drop,        &f->request_403};

    return targets[i];
}

struct int_setting {
    const char *name;
    size_t offset; /* of its uint32_t in struct ts_faults */
    uint32_t max;
};

static const struct int_setting int_settings[] = {
    {"delay_ms", offsetof(struct ts_faults, delay_ms), UINT32_MAX},
    {"retry_after_s", offsetof(struct ts_faults, retry_after_s),
     TS_RETRY_AFTER_MAX},
    {"root_status", offsetof(struct ts_faults, root_status), TS_ROOT_DENIED},
    {"settings_denied", offsetof(struct ts_faults, settings_denied), 1},
};

#define N_INTS (sizeof(int_settings) / sizeof(int_settings[0]))

/* The index of key in rate_names, or N_RATES. */
static size_t
rate_index(const char *key)
{
    size_t i = 0;

    while (i < N_RATES && strcmp(key, rate_names[i]) != 0)
        i++;
    return i;
}

/* The index of key in int_settings, or N_INTS. */
static size_t
int_index(const char *key)
{
    size_t i = 0;

    while (i < N_INTS && strcmp(key, int_settings[i].name) != 0)
        i++;
    return i;
}

static bool
fault_setting_valid(const char *key, const json_t *value)
{
    double v = json_number_value(value);
    size_t i = int_index(key);

    if (!json_is_number(value) || v < 0)
        return false;
    if (rate_index(key) < N_RATES)
        return v <= 1.0;
    if (i == N_INTS || v > (double)int_settings[i].max ||
        v != (double)(uint32_t)v)
        return false;
    /* root_status has an answer for these statuses only */
    if (strcmp(key, "root_status") == 0)
        return v == 0 || v == TS_ROOT_UNAUTHENTICATED || v == TS_ROOT_DENIED;
    return true;
}

static int
route_faults(struct ts_ctx *c)
{
    struct ts_faults *f = &c->st->faults;
    int status = 0;
    json_t *body = ts_route_body_json(c, &status);
    const char *key;
    json_t *v;

    if (status != 0)
        return status;
    /* check every key before changing anything */
    json_object_foreach(body, key, v)
    {
        char reason[300];

        if (fault_setting_valid(key, v))
            continue;
        snprintf(reason, sizeof(reason), "bad fault setting [%s]", key);
        json_decref(body);
        return ts_route_error(c, 400, "illegal_argument_exception", reason);
    }
    json_object_foreach(body, key, v)
    {
        size_t r = rate_index(key);
        size_t i = int_index(key);

        if (r < N_RATES)
            ts_fault_set(rate_target(f, r), json_number_value(v),
                         c->st->config.seed);
        else if (i < N_INTS)
            __atomic_store_n(
                (uint32_t *)(void *)((char *)f + int_settings[i].offset),
                (uint32_t)json_number_value(v), __ATOMIC_RELAXED);
    }
    json_decref(body);
    return ts_route_ack(c);
}

/* GET /_test/requests: the log; DELETE: forget it. */
static int
route_requests(struct ts_ctx *c)
{
    if (ts_route_method_is(c, "GET")) {
        ts_reqlog_write(&c->st->reqlog, &c->out);
        return 200;
    }
    if (ts_route_method_is(c, "DELETE")) {
        ts_reqlog_clear(&c->st->reqlog);
        return ts_route_ack(c);
    }
    return ts_route_bad_method(c, "GET,DELETE", "GET, DELETE");
}

int
ts_test_route(struct ts_ctx *c)
{
    const char *what = c->segs[1];

    if (c->nsegs != 2)
        return ts_route_no_handler(c);
    if (strcmp(what, "stats") == 0) {
        if (!ts_route_method_is(c, "GET"))
            return ts_route_bad_method(c, "GET", "GET");
        return route_stats(c);
    }
    if (strcmp(what, "reset") == 0) {
        if (!ts_route_method_is(c, "POST"))
            return ts_route_bad_method(c, "POST", "POST");
        ts_store_reset(c->st);
        ts_reqlog_clear(&c->st->reqlog);
        c->st->id_counter = 0;
        c->no_count = true;
        return ts_route_ack(c);
    }
    if (strcmp(what, "faults") == 0) {
        if (!ts_route_method_is(c, "PUT"))
            return ts_route_bad_method(c, "PUT", "PUT");
        return route_faults(c);
    }
    if (strcmp(what, "requests") == 0)
        return route_requests(c);
    return ts_route_no_handler(c);
}

/* ---- nodes ---- */

/* The body of PUT /_test/nodes/<i>; false (and *status) if it is bad. */
static bool
node_body(struct ts_ctx *c, enum ts_node_state *to, uint32_t *for_ms,
          int *status)
{
    json_t *body = ts_route_body_json(c, status);
    json_t *up = json_object_get(body, "up");
    const char *state = json_string_value(json_object_get(body, "state"));
    json_t *ms = json_object_get(body, "for_ms");
    size_t known = (up != NULL) + (state != NULL) + (ms != NULL);
    bool ok =
        (up != NULL) != (state != NULL) && known == json_object_size(body);

    if (*status != 0)
        return false;
    if (ok && up != NULL)
        ok = json_is_boolean(up);
    *to = up != NULL && json_is_false(up) ? TS_NODE_DOWN : TS_NODE_UP;
    if (ok && state != NULL) {
        if (strcmp(state, "down") == 0)
            *to = TS_NODE_DOWN;
        else if (strcmp(state, "503") == 0)
            *to = TS_NODE_UNAVAILABLE;
        else
            ok = strcmp(state, "up") == 0;
    }
    if (ok && ms != NULL)
        ok = json_is_integer(ms) && json_integer_value(ms) >= 0 &&
             json_integer_value(ms) <= 24 * 3600 * 1000;
    *for_ms = ok && ms != NULL ? (uint32_t)json_integer_value(ms) : 0;
    json_decref(body);
    if (!ok)
        *status = ts_route_error(
            c, 400, "illegal_argument_exception",
            "bad node setting: want {\"up\":true|false} or "
            "{\"state\":\"up\"|\"down\"|\"503\"}, and optionally "
            "\"for_ms\":N");
    return ok;
}

static int
route_node_put(struct ts_ctx *c, unsigned node)
{
    enum ts_node_state to = TS_NODE_UP;
    uint32_t for_ms = 0;
    char reason[512];
    int status = 0;

    if (!node_body(c, &to, &for_ms, &status))
        return status;
    if (ts_nodes_set(&c->st->nodes, node, to, for_ms, c->req, &c->close, reason,
                     sizeof(reason)) != 0)
        return ts_route_error(c, 500, "exception", reason);
    ts_nodes_write(&c->st->nodes, node, &c->out);
    return 200;
}

int
ts_test_nodes_route(struct ts_ctx *c)
{
    struct ts_nodes *nodes = &c->st->nodes;
    char *end = NULL;
    char reason[TS_NAME_MAX + 64];
    unsigned long node;
    unsigned i;

    if (c->nsegs == 2) {
        if (!ts_route_method_is(c, "GET"))
            return ts_route_bad_method(c, "GET", "GET");
        ts_out_char(&c->out, '[');
        for (i = 0; i < nodes->n; i++) {
            ts_out_str(&c->out, i > 0 ? "," : "");
            ts_nodes_write(nodes, i, &c->out);
        }
        ts_out_char(&c->out, ']');
        return 200;
    }
    node = strtoul(c->segs[2], &end, 10);
    if (c->nsegs != 3 || end == c->segs[2] || *end != 0 || node >= nodes->n) {
        snprintf(reason, sizeof(reason), "no node [%s]; nodes are 0 to %u",
                 c->nsegs == 3 ? c->segs[2] : "", nodes->n - 1);
        return ts_route_error(c, 404, "resource_not_found_exception", reason);
    }
    if (ts_route_method_is(c, "GET")) {
        ts_nodes_write(nodes, (unsigned)node, &c->out);
        return 200;
    }
    if (!ts_route_method_is(c, "PUT"))
        return ts_route_bad_method(c, "GET,PUT", "GET, PUT");
    return route_node_put(c, (unsigned)node);
}
