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
#include "ts_state.h"

#define CT_ES7 "application/json; charset=UTF-8"
#define CT_ES8 "application/json;charset=utf-8"
#define CT_ES8_COMPAT "application/vnd.elasticsearch+json;compatible-with=8"
#define CT_TEXT "text/plain; charset=UTF-8"

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
    ts_store_reset(state);
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

/* ---- responses ---- */

struct ctx {
    struct ts_state *st;
    const struct ts_request *req;
    struct ts_query q;
    struct ts_out out;
    int status;
    const char *allow;
    const char *www_auth;
    uint32_t retry_after_s;
    bool head;
    bool compat;   /* es8 compatible-with media type */
    bool no_count; /* the request reset the counters: do not count it */
    bool filtered; /* filter_path was applied while writing out */
    char uri[2048];
};

static int
short_error(struct ctx *c, int status, const char *msg, bool with_status)
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

static int
no_handler(struct ctx *c)
{
    char msg[2300];

    snprintf(msg, sizeof(msg), "no handler found for uri [%s] and method [%s]",
             c->uri, c->req->method);
    return short_error(c, 400, msg, false);
}

static int
bad_method(struct ctx *c, const char *allow, const char *allow_list)
{
    char msg[2400];

    snprintf(msg, sizeof(msg),
             "Incorrect HTTP method for uri [%s] and method [%s], allowed: "
             "[%s]",
             c->uri, c->req->method, allow_list);
    c->allow = allow;
    return short_error(c, 405, msg, true);
}

static int
error(struct ctx *c, int status, const char *type, const char *reason)
{
    ts_write_error(&c->out, status, type, reason);
    return status;
}

/* index_not_found_exception, as in the fixture but compact. */
static int
not_found(struct ctx *c, const char *name)
{
    struct ts_out *o = &c->out;
    char reason[512];
    int i;

    snprintf(reason, sizeof(reason), "no such index [%s]", name);
    ts_out_str(o, "{\"error\":{\"root_cause\":[{");
    for (i = 0; i < 2; i++) {
        if (i == 1)
            ts_out_str(o, "}],");
        ts_out_str(o, "\"type\":\"index_not_found_exception\",\"reason\":");
        ts_out_json_cstr(o, reason);
        ts_out_str(o, ",\"resource.type\":\"index_or_alias\",\"resource.id\":");
        ts_out_json_cstr(o, name);
        ts_out_str(o, ",\"index_uuid\":\"_na_\",\"index\":");
        ts_out_json_cstr(o, name);
    }
    ts_out_str(o, "},\"status\":404}");
    return 404;
}

static int
acknowledged(struct ctx *c)
{
    ts_out_str(&c->out, "{\"acknowledged\":true}");
    return 200;
}

static bool
method_is(const struct ctx *c, const char *m)
{
    return strcmp(c->req->method, m) == 0;
}

/* Parses a small JSON body with jansson; NULL (and an error) if bad. */
static json_t *
parse_body_json(struct ctx *c, int *status)
{
    json_error_t jerr;
    json_t *root;
    char reason[300];

    if (c->req->body_len == 0)
        return NULL;
    root = json_loadb(c->req->body, c->req->body_len, 0, &jerr);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        if (c->st->config.mode == TS_MODE_ES8)
            snprintf(reason, sizeof(reason), "[%d:%d] %s", jerr.line,
                     jerr.column, root ? "Expected START_OBJECT" : jerr.text);
        else
            snprintf(reason, sizeof(reason), "%s", jerr.text);
        *status = error(c, 400,
                        c->st->config.mode == TS_MODE_ES8
                            ? "x_content_parse_exception"
                            : "json_parse_exception",
                        reason);
        return NULL;
    }
    return root;
}

/* ---- routes ---- */

static int
route_info(struct ctx *c)
{
    const struct ts_config *cf = &c->st->config;
    struct ts_out *o = &c->out;

    ts_out_str(o, "{\n  \"name\" : \"es-test-server\",\n");
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

static int
route_create_index(struct ctx *c, const char *name)
{
    struct ts_state *st = c->st;
    struct ts_index *idx = ts_store_index(st, name, strlen(name));
    struct ts_out *o = &c->out;
    char reason[600];
    json_t *body = NULL;
    int status = 0;
    int i;

    if (idx != NULL) {
        snprintf(reason, sizeof(reason), "index [%s/%s] already exists",
                 idx->name, idx->uuid);
        ts_out_str(o, "{\"error\":{\"root_cause\":[{");
        for (i = 0; i < 2; i++) {
            if (i == 1)
                ts_out_str(o, "}],");
            ts_out_str(o, "\"type\":\"resource_already_exists_exception\","
                          "\"reason\":");
            ts_out_json_cstr(o, reason);
            ts_out_str(o, ",\"index_uuid\":");
            ts_out_json_cstr(o, idx->uuid);
            ts_out_str(o, ",\"index\":");
            ts_out_json_cstr(o, idx->name);
        }
        ts_out_str(o, "},\"status\":400}");
        return 400;
    }
    if (!ts_store_name_valid(name, strlen(name), reason, sizeof(reason)) ||
        ts_store_alias_exists(st, name, strlen(name))) {
        if (ts_store_alias_exists(st, name, strlen(name)))
            snprintf(reason, sizeof(reason),
                     "Invalid index name [%s], already exists as alias", name);
        ts_out_str(o, "{\"error\":{\"root_cause\":[{");
        for (i = 0; i < 2; i++) {
            if (i == 1)
                ts_out_str(o, "}],");
            ts_out_str(o, "\"type\":\"invalid_index_name_exception\","
                          "\"reason\":");
            ts_out_json_cstr(o, reason);
            ts_out_str(o, ",\"index_uuid\":\"_na_\",\"index\":");
            ts_out_json_cstr(o, name);
        }
        ts_out_str(o, "},\"status\":400}");
        return 400;
    }
    body = parse_body_json(c, &status);
    if (status != 0)
        return status;
    idx = ts_store_create(st, name, strlen(name), body, reason, sizeof(reason));
    json_decref(body);
    if (idx == NULL)
        return error(c, 400, "illegal_argument_exception", reason);
    ts_out_str(o, "{\"acknowledged\":true,\"shards_acknowledged\":true,"
                  "\"index\":");
    ts_out_json_cstr(o, name);
    ts_out_char(o, '}');
    return 200;
}

static int
route_delete_index(struct ctx *c, const char *name)
{
    struct ts_state *st = c->st;
    struct ts_index **pp;
    struct ts_alias **ap;

    for (pp = &st->indices; *pp != NULL; pp = &(*pp)->next)
        if (strcmp((*pp)->name, name) == 0)
            break;
    if (*pp == NULL)
        return not_found(c, name);
    {
        struct ts_index *dead = *pp;

        *pp = dead->next;
        for (ap = &st->aliases; *ap != NULL;) {
            if ((*ap)->index == dead) {
                struct ts_alias *a = *ap;

                *ap = a->next;
                free(a);
            } else {
                ap = &(*ap)->next;
            }
        }
        ts_idtab_free(&dead->ids);
        free(dead->fields.slots);
        free(dead);
    }
    return acknowledged(c);
}

static int
route_settings(struct ctx *c, const char *name)
{
    struct ts_index *list[64];
    int n = ts_store_resolve(c->st, name, strlen(name), list, 64);
    struct ts_out *o = &c->out;
    int i;

    if (n == 0)
        return not_found(c, name);
    if (method_is(c, "PUT")) {
        char reason[600];
        int status = 0;
        json_t *body = parse_body_json(c, &status);

        if (status != 0)
            return status;
        if (body == NULL)
            return error(c, 400, "action_request_validation_exception",
                         "Validation Failed: 1: no settings to update;");
        for (i = 0; i < n; i++) {
            if (ts_store_apply_settings(list[i], body, false, reason,
                                        sizeof(reason)) != 0) {
                json_decref(body);
                return error(c, 400, "illegal_argument_exception", reason);
            }
        }
        json_decref(body);
        return acknowledged(c);
    }
    ts_out_char(o, '{');
    for (i = 0; i < n; i++) {
        struct ts_index *idx = list[i];

        if (i > 0)
            ts_out_char(o, ',');
        ts_out_json_cstr(o, idx->name);
        ts_out_str(o, ":{\"settings\":{\"index\":{\"creation_date\":\"");
        ts_out_i64(o, idx->creation_ms);
        ts_out_str(o, "\",\"number_of_replicas\":\"");
        ts_out_u64(o, (uint64_t)idx->replicas);
        ts_out_str(o, "\",\"number_of_shards\":\"1\",\"provided_name\":");
        ts_out_json_cstr(o, idx->name);
        if (idx->refresh_str[0] != 0) {
            ts_out_str(o, ",\"refresh_interval\":");
            ts_out_json_cstr(o, idx->refresh_str);
        }
        ts_out_str(o, ",\"uuid\":");
        ts_out_json_cstr(o, idx->uuid);
        ts_out_str(o, ",\"version\":{\"created\":\"");
        ts_out_str(o, c->st->config.mode == TS_MODE_ES7
                          ? "7172499"
                          : (c->st->config.mode == TS_MODE_ES8 ? "8512000"
                                                               : "136387827"));
        ts_out_str(o, "\"}}}}");
    }
    ts_out_char(o, '}');
    return 200;
}

static int
route_refresh(struct ctx *c, const char *name)
{
    struct ts_index *list[64];
    int n = ts_store_resolve(c->st, name, strlen(name), list, 64);
    uint64_t total = 0;
    int i;

    if (n == 0)
        return not_found(c, name);
    for (i = 0; i < n; i++) {
        ts_store_refresh(list[i]);
        total += (uint64_t)list[i]->replicas + 1;
    }
    ts_out_str(&c->out, "{\"_shards\":{\"total\":");
    ts_out_u64(&c->out, total);
    ts_out_str(&c->out, ",\"successful\":");
    ts_out_u64(&c->out, (uint64_t)n);
    ts_out_str(&c->out, ",\"failed\":0}}");
    return 200;
}

static int
route_count(struct ctx *c, const char *name)
{
    struct ts_index *list[64];
    int n = ts_store_resolve(c->st, name, strlen(name), list, 64);
    int64_t now = ts_now_ms();
    uint64_t count = 0;
    int i;

    if (n == 0)
        return not_found(c, name);
    for (i = 0; i < n; i++) {
        ts_store_maybe_refresh(list[i], now);
        count += list[i]->visible;
    }
    ts_out_str(&c->out, "{\"count\":");
    ts_out_u64(&c->out, count);
    ts_out_str(&c->out, ",\"_shards\":{\"total\":");
    ts_out_u64(&c->out, (uint64_t)n);
    ts_out_str(&c->out, ",\"successful\":");
    ts_out_u64(&c->out, (uint64_t)n);
    ts_out_str(&c->out, ",\"skipped\":0,\"failed\":0}}");
    return 200;
}

/* One alias action, validated (apply false) or applied (apply true). */
static int
alias_action(struct ctx *c, const char *verb, json_t *def, bool apply)
{
    json_t *jidx = json_object_get(def, "index");
    json_t *jalias = json_object_get(def, "alias");
    json_t *jw = json_object_get(def, "is_write_index");
    json_t *jmust = json_object_get(def, "must_exist");
    const char *iname = json_string_value(jidx);
    const char *aname = json_string_value(jalias);
    struct ts_index *idx;
    char reason[600];

    if (strcmp(verb, "remove_index") == 0) {
        if (iname == NULL)
            return error(c, 400, "action_request_validation_exception",
                         "Validation Failed: 1: One of [index] or [indices] "
                         "is required;");
        if (ts_store_index(c->st, iname, strlen(iname)) == NULL)
            return not_found(c, iname);
        if (apply)
            route_delete_index(c, iname);
        return 0;
    }
    if (iname == NULL || aname == NULL)
        return error(c, 400, "action_request_validation_exception",
                     "Validation Failed: 1: [index] and [alias] are "
                     "required;");
    idx = ts_store_index(c->st, iname, strlen(iname));
    if (idx == NULL)
        return not_found(c, iname);
    if (strcmp(verb, "add") == 0) {
        if (apply && ts_store_alias_add(c->st, aname, idx,
                                        json_is_boolean(jw) ? json_is_true(jw)
                                                            : -1) != 0)
            return error(c, 500, "exception", "out of memory");
        return 0;
    }
    if (strcmp(verb, "remove") == 0) {
        bool exists = false;
        struct ts_alias *a;

        for (a = c->st->aliases; a != NULL; a = a->next)
            if (a->index == idx && strcmp(a->name, aname) == 0)
                exists = true;
        if (!exists && !json_is_false(jmust)) {
            struct ts_out *o = &c->out;
            int i;

            snprintf(reason, sizeof(reason), "aliases [%s] missing", aname);
            ts_out_str(o, "{\"error\":{\"root_cause\":[{");
            for (i = 0; i < 2; i++) {
                if (i == 1)
                    ts_out_str(o, "}],");
                ts_out_str(o, "\"type\":\"aliases_not_found_exception\","
                              "\"reason\":");
                ts_out_json_cstr(o, reason);
                ts_out_str(o, ",\"resource.type\":\"aliases\","
                              "\"resource.id\":");
                ts_out_json_cstr(o, aname);
            }
            ts_out_str(o, "},\"status\":404}");
            return 404;
        }
        if (apply && exists)
            ts_store_alias_remove(c->st, aname, idx);
        return 0;
    }
    snprintf(reason, sizeof(reason), "[aliases] unknown field [%s]", verb);
    return error(c, 400, "x_content_parse_exception", reason);
}

static int
route_aliases(struct ctx *c)
{
    int status = 0;
    json_t *body = parse_body_json(c, &status);
    json_t *actions;
    int pass;

    if (status != 0)
        return status;
    actions = json_object_get(body, "actions");
    if (!json_is_array(actions) || json_array_size(actions) == 0) {
        json_decref(body);
        return error(c, 400, "action_request_validation_exception",
                     "Validation Failed: 1: no actions;");
    }
    /* validate everything first, then apply: the change is atomic */
    for (pass = 0; pass < 2; pass++) {
        size_t i;
        json_t *act;

        json_array_foreach(actions, i, act)
        {
            const char *verb;
            json_t *def;

            json_object_foreach(act, verb, def)
            {
                status = alias_action(c, verb, def, pass == 1);
                if (status != 0) {
                    json_decref(body);
                    return status;
                }
            }
        }
    }
    json_decref(body);
    return acknowledged(c);
}

static int
route_template(struct ctx *c, const char *name)
{
    struct ts_state *st = c->st;
    struct ts_template **pp;
    struct ts_template *t = NULL;
    json_t *body = NULL;
    json_t *pats;
    json_t *prio;
    int status = 0;

    for (pp = &st->templates; *pp != NULL; pp = &(*pp)->next)
        if (strcmp((*pp)->name, name) == 0)
            break;
    if (method_is(c, "DELETE") || method_is(c, "HEAD") || method_is(c, "GET")) {
        if (*pp == NULL) {
            char reason[400];

            if (method_is(c, "HEAD"))
                return 404;
            snprintf(reason, sizeof(reason),
                     "index template matching [%s] not found", name);
            return error(c, 404, "resource_not_found_exception", reason);
        }
        if (method_is(c, "HEAD"))
            return 200;
        if (method_is(c, "GET")) {
            char *dump = json_dumps((*pp)->template, JSON_COMPACT);

            ts_out_str(&c->out, "{\"index_templates\":[{\"name\":");
            ts_out_json_cstr(&c->out, name);
            ts_out_str(&c->out, ",\"index_template\":{\"index_patterns\":[");
            for (int i = 0; i < (*pp)->npatterns; i++) {
                if (i > 0)
                    ts_out_char(&c->out, ',');
                ts_out_json_cstr(&c->out, (*pp)->patterns[i]);
            }
            ts_out_str(&c->out, "],\"template\":");
            ts_out_str(&c->out, dump ? dump : "{}");
            ts_out_printf(&c->out, ",\"priority\":%ld}}]}", (*pp)->priority);
            free(dump);
            return 200;
        }
        t = *pp;
        *pp = t->next;
        for (int i = 0; i < t->npatterns; i++)
            free(t->patterns[i]);
        json_decref(t->template);
        free(t);
        return acknowledged(c);
    }
    body = parse_body_json(c, &status);
    if (status != 0)
        return status;
    pats = json_object_get(body, "index_patterns");
    if (json_is_string(pats)) {
        json_t *arr = json_array();

        json_array_append(arr, pats);
        json_object_set_new(body, "index_patterns", arr);
        pats = arr;
    }
    if (!json_is_array(pats) || json_array_size(pats) == 0 ||
        json_array_size(pats) > TS_TEMPLATE_PATTERNS) {
        json_decref(body);
        return error(c, 400, "action_request_validation_exception",
                     "Validation Failed: 1: index patterns are missing;");
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL) {
        json_decref(body);
        return error(c, 500, "exception", "out of memory");
    }
    snprintf(t->name, sizeof(t->name), "%.255s", name);
    for (size_t i = 0; i < json_array_size(pats); i++) {
        const char *p = json_string_value(json_array_get(pats, i));

        t->patterns[t->npatterns] = strdup(p ? p : "");
        if (t->patterns[t->npatterns] != NULL)
            t->npatterns++;
    }
    prio = json_object_get(body, "priority");
    t->priority = json_is_integer(prio) ? (long)json_integer_value(prio) : 0;
    t->template = json_incref(json_object_get(body, "template"));
    json_decref(body);
    /* replace a template of the same name */
    if (*pp != NULL) {
        struct ts_template *old = *pp;

        *pp = old->next;
        for (int i = 0; i < old->npatterns; i++)
            free(old->patterns[i]);
        json_decref(old->template);
        free(old);
    }
    t->next = st->templates;
    st->templates = t;
    return acknowledged(c);
}

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
route_stats(struct ctx *c)
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
route_faults(struct ctx *c)
{
    struct ts_faults *f = &c->st->faults;
    int status = 0;
    json_t *body = parse_body_json(c, &status);
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
        return error(c, 400, "illegal_argument_exception", reason);
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
    return acknowledged(c);
}

static int
route_test(struct ctx *c, const char *what)
{
    if (strcmp(what, "stats") == 0) {
        if (!method_is(c, "GET"))
            return bad_method(c, "GET", "GET");
        return route_stats(c);
    }
    if (strcmp(what, "reset") == 0) {
        if (!method_is(c, "POST"))
            return bad_method(c, "POST", "POST");
        ts_store_reset(c->st);
        c->st->id_counter = 0;
        c->no_count = true;
        return acknowledged(c);
    }
    if (strcmp(what, "faults") == 0) {
        if (!method_is(c, "PUT"))
            return bad_method(c, "PUT", "PUT");
        return route_faults(c);
    }
    return no_handler(c);
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
unauthenticated(struct ctx *c)
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
check_auth(struct ctx *c)
{
    const char *h = c->req->authorization;
    char creds[512];

    if (c->st->auth == NULL || strncmp(c->req->path, "/_test/", 7) == 0)
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
check_content_type(struct ctx *c, bool stream)
{
    const char *ct = c->req->content_type;
    char type[256];
    char msg[400];
    size_t n;
    bool es8 = c->st->config.mode == TS_MODE_ES8;

    if (c->req->body_len == 0)
        return 0;
    if (ct == NULL)
        return short_error(c, 406, "Content-Type header is missing", true);
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
        return short_error(c, 406, msg, true);
    }
    snprintf(msg, sizeof(msg), "Content-Type header [%.*s] is not supported",
             (int)strnlen(c->req->content_type, 300), c->req->content_type);
    return short_error(c, 406, msg, true);
}

static int
check_bulk_params(struct ctx *c)
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
    return error(c, 400, "illegal_argument_exception", msg);
}

/* ---- routing ---- */

/*
 * GET|HEAD / while the root_status fault is set: the answer of a cluster
 * to a key that may write to the indices but not call cluster:monitor/main
 * (403), or that it does not take at all (401).
 */
static int
route_root_refused(struct ctx *c, uint32_t status)
{
    if (status == TS_ROOT_UNAUTHENTICATED)
        return unauthenticated(c);
    return error(c, 403, "security_exception",
                 "action [cluster:monitor/main] is unauthorized for user "
                 "[loader] with effective roles [writer], this action is "
                 "granted by the cluster privileges [monitor,manage,all]");
}

#define MAX_SEGS 4

static int
split_path(const char *path, char segs[MAX_SEGS][TS_NAME_MAX + 1])
{
    int n = 0;
    const char *p = path;

    while (*p == '/')
        p++;
    while (*p != 0) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);

        if (n == MAX_SEGS)
            return -1;
        url_decode(p, len, segs[n], TS_NAME_MAX + 1);
        n++;
        p += len;
        while (*p == '/')
            p++;
    }
    return n;
}

static int
dispatch(struct ctx *c)
{
    char segs[MAX_SEGS][TS_NAME_MAX + 1];
    int n = split_path(c->req->path, segs);
    bool es8 = c->st->config.mode == TS_MODE_ES8;
    int rc;

    if (n < 0)
        return no_handler(c);
    if (n == 2 && strcmp(segs[0], "_test") == 0)
        return route_test(c, segs[1]);
    if ((rc = check_auth(c)) != 0)
        return rc;
    if (n == 0) {
        uint32_t refuse =
            __atomic_load_n(&c->st->faults.root_status, __ATOMIC_RELAXED);

        if (!method_is(c, "GET") && !method_is(c, "HEAD"))
            return bad_method(c, "GET,HEAD", "GET, HEAD");
        return refuse != 0 ? route_root_refused(c, refuse) : route_info(c);
    }
    /* _bulk in all its routes */
    if ((n == 1 && strcmp(segs[0], "_bulk") == 0) ||
        (n == 2 && strcmp(segs[1], "_bulk") == 0 && segs[0][0] != '_') ||
        (n == 3 && !es8 && strcmp(segs[2], "_bulk") == 0 &&
         segs[0][0] != '_')) {
        if (!method_is(c, "POST") && !method_is(c, "PUT"))
            return bad_method(c, "POST,PUT", "POST, PUT");
        if ((rc = check_content_type(c, true)) != 0)
            return rc;
        if ((rc = check_bulk_params(c)) != 0)
            return rc;
        if (c->req->body_len == 0)
            return error(c, 400, "parse_exception", "request body is required");
        rc = ts_bulk_handle(c->st, c->req, &c->q, n > 1 ? segs[0] : NULL,
                            &c->out, &c->filtered);
        /* _bulk answers 429 or 503 as a whole only as a fault */
        if (rc == 429 || rc == 503)
            c->retry_after_s =
                __atomic_load_n(&c->st->faults.retry_after_s, __ATOMIC_RELAXED);
        return rc;
    }
    if ((rc = check_content_type(c, false)) != 0)
        return rc;
    if (n == 1 && strcmp(segs[0], "_aliases") == 0) {
        if (!method_is(c, "POST"))
            return bad_method(c, "POST", "POST");
        return route_aliases(c);
    }
    if (n == 2 && strcmp(segs[0], "_index_template") == 0) {
        if (!method_is(c, "PUT") && !method_is(c, "POST") &&
            !method_is(c, "GET") && !method_is(c, "DELETE") &&
            !method_is(c, "HEAD"))
            return bad_method(c, "GET,PUT,POST,DELETE,HEAD",
                              "GET, PUT, POST, DELETE, HEAD");
        return route_template(c, segs[1]);
    }
    if (segs[0][0] == '_')
        return no_handler(c);
    if (n == 1) {
        size_t len = strlen(segs[0]);

        if (method_is(c, "HEAD")) {
            struct ts_index *list[1];

            return ts_store_resolve(c->st, segs[0], len, list, 1) > 0 ? 200
                                                                      : 404;
        }
        if (method_is(c, "PUT"))
            return route_create_index(c, segs[0]);
        if (method_is(c, "DELETE"))
            return route_delete_index(c, segs[0]);
        if (method_is(c, "GET")) {
            struct ts_index *list[1];

            if (ts_store_resolve(c->st, segs[0], len, list, 1) == 0)
                return not_found(c, segs[0]);
            return route_settings(c, segs[0]);
        }
        return bad_method(c, "GET,HEAD,PUT,DELETE", "GET, HEAD, PUT, DELETE");
    }
    if (n == 2 && strcmp(segs[1], "_settings") == 0) {
        if (!method_is(c, "GET") && !method_is(c, "PUT"))
            return bad_method(c, "GET,PUT", "GET, PUT");
        return route_settings(c, segs[0]);
    }
    if (n == 2 && strcmp(segs[1], "_refresh") == 0) {
        if (!method_is(c, "GET") && !method_is(c, "POST"))
            return bad_method(c, "GET,POST", "GET, POST");
        return route_refresh(c, segs[0]);
    }
    if (n == 2 && strcmp(segs[1], "_count") == 0) {
        if (!method_is(c, "GET") && !method_is(c, "POST"))
            return bad_method(c, "GET,POST", "GET, POST");
        return route_count(c, segs[0]);
    }
    return no_handler(c);
}

void
ts_api_handle(struct ts_state *state, const struct ts_request *req,
              struct ts_response *resp)
{
    struct ctx *c = NULL;
    const char *filter;
    const struct ts_config *cf = &state->config;

    memset(resp, 0, sizeof(*resp));
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        resp->status = 500;
        return;
    }
    c->st = state;
    c->req = req;
    c->head = strcmp(req->method, "HEAD") == 0;
    parse_query(req->query ? req->query : "", &c->q);
    snprintf(c->uri, sizeof(c->uri), "%s%s%s", req->path,
             req->query && req->query[0] ? "?" : "",
             req->query ? req->query : "");
    ts_out_init(&c->out, TS_OUT_MAX);

    pthread_mutex_lock(&state->lock);
    state->stats.requests++;
    state->stats.bytes_received += req->wire_len;
    c->status = dispatch(c);
    if (c->status > 0 && c->status < TS_STATUS_MAX && !c->no_count)
        state->stats.responses[c->status]++;
    pthread_mutex_unlock(&state->lock);

    if (c->out.overflow) {
        ts_out_free(&c->out);
        ts_out_init(&c->out, 4096);
        c->status = error(c, 500, "exception", "response too large");
        c->filtered = false;
    }
    filter = ts_query_get(&c->q, "filter_path");
    if (filter != NULL && c->out.len > 0 && !c->head && !c->filtered) {
        struct ts_out filtered;

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
    resp->status = c->status;
    resp->allow = c->allow;
    resp->www_authenticate = c->www_auth;
    resp->retry_after_s = c->retry_after_s;
    resp->product_header = cf->mode != TS_MODE_OPENSEARCH && cf->product_header;
    if (c->head || c->out.len == 0) {
        ts_out_free(&c->out);
        resp->content_type = c->head ? CT_TEXT : NULL;
        resp->body = NULL;
        resp->body_len = 0;
    } else {
        resp->content_type = cf->mode == TS_MODE_ES8
                                 ? (c->compat ? CT_ES8_COMPAT : CT_ES8)
                                 : CT_ES7;
        resp->body = ts_out_take(&c->out, &resp->body_len);
    }
    free(c);
}

void
ts_api_count_transport(struct ts_state *state, int status, size_t wire_len)
{
    pthread_mutex_lock(&state->lock);
    state->stats.requests++;
    state->stats.bytes_received += wire_len;
    if (status == 0)
        state->stats.fault_drop++;
    else if (status > 0 && status < TS_STATUS_MAX)
        state->stats.responses[status]++;
    pthread_mutex_unlock(&state->lock);
}
