/*
 * ts_admin.c
 *    The index APIs of es-test-server, answered as Elasticsearch answers
 *    them (see ts_route.h): create and delete an index, its settings,
 *    refresh and count, index templates.  Aliases are in ts_aliases.c.
 *
 * Index expressions (comma lists, aliases, '*' patterns) are resolved by
 * ts_store_expand(); several indices in one answer come in name order
 * (a real node uses hash order, which no client may rely on).
 */
#include "ts_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- create and delete ---- */

/* 400 for PUT /{index} of a name that exists or is not allowed. */
static int
create_refused(struct ts_ctx *c, const char *name)
{
    struct ts_index *idx = ts_store_index(c->st, name, strlen(name));
    struct ts_out meta;
    char reason[600];
    int status;

    ts_out_init(&meta, 4096);
    if (idx != NULL) {
        snprintf(reason, sizeof(reason), "index [%s/%s] already exists",
                 idx->name, idx->uuid);
        ts_out_str(&meta, ",\"index_uuid\":");
        ts_out_json_cstr(&meta, idx->uuid);
        ts_out_str(&meta, ",\"index\":");
        ts_out_json_cstr(&meta, idx->name);
        status = ts_route_error_meta(
            c, 400, "resource_already_exists_exception", reason, &meta);
    } else {
        if (ts_store_alias_exists(c->st, name, strlen(name)))
            snprintf(reason, sizeof(reason),
                     "Invalid index name [%s], already exists as alias", name);
        else
            ts_store_name_valid(name, strlen(name), reason, sizeof(reason));
        ts_out_str(&meta, ",\"index_uuid\":\"_na_\",\"index\":");
        ts_out_json_cstr(&meta, name);
        status = ts_route_error_meta(c, 400, "invalid_index_name_exception",
                                     reason, &meta);
    }
    ts_out_free(&meta);
    return status;
}

static int
route_create(struct ts_ctx *c, const char *name)
{
    struct ts_index *idx = NULL;
    char reason[600];
    json_t *body = NULL;
    int status = 0;

    if (ts_store_index(c->st, name, strlen(name)) != NULL ||
        ts_store_alias_exists(c->st, name, strlen(name)) ||
        !ts_store_name_valid(name, strlen(name), reason, sizeof(reason)))
        return create_refused(c, name);
    body = ts_route_body_json(c, &status);
    if (status != 0)
        return status;
    idx = ts_store_create(c->st, name, strlen(name), body, reason,
                          sizeof(reason));
    json_decref(body);
    if (idx == NULL)
        return ts_route_error(c, 400, "illegal_argument_exception", reason);
    ts_out_str(&c->out, "{\"acknowledged\":true,\"shards_acknowledged\":true,"
                        "\"index\":");
    ts_out_json_cstr(&c->out, name);
    ts_out_char(&c->out, '}');
    return 200;
}

/* Does the expression name every index ("_all", "*" or a pattern)? */
static bool
expr_is_wildcard(const char *expr)
{
    const char *p = expr;

    while (*p != 0) {
        size_t len = strcspn(p, ",");

        if ((len == 4 && strncmp(p, "_all", 4) == 0) ||
            memchr(p, '*', len) != NULL)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

/*
 * Resolves expr for a route; on failure writes ES's answer (404 for a
 * missing name, 400 for an alias where aliases are refused) and returns
 * its status.  *list is then NULL.
 */
int
ts_admin_expand(struct ts_ctx *c, const char *expr, int flags,
                struct ts_index ***list, int *n)
{
    char bad[TS_NAME_MAX + 1];
    char reason[TS_NAME_MAX + 200];

    switch (ts_store_expand(c->st, expr, flags, list, n, bad, sizeof(bad))) {
    case TS_EXPAND_OK:
        return 0;
    case TS_EXPAND_MISSING:
        return ts_route_not_found(c, bad);
    case TS_EXPAND_ALIAS:
        snprintf(reason, sizeof(reason),
                 "The provided expression [%s] matches an alias, specify "
                 "the corresponding concrete indices instead.",
                 bad);
        return ts_route_error(c, 400, "illegal_argument_exception", reason);
    default:
        return ts_route_error(c, 500, "exception", "out of memory");
    }
}

/*
 * DELETE /{index}: names only (ES 8 refuses patterns and _all:
 * action.destructive_requires_name defaults to true there), no aliases.
 */
static int
route_delete(struct ts_ctx *c, const char *expr)
{
    struct ts_index **list = NULL;
    int n = 0;
    int rc;
    int i;

    if (c->st->config.mode == TS_MODE_ES8 && expr_is_wildcard(expr))
        return ts_route_error(
            c, 400, "illegal_argument_exception",
            "Wildcard expressions or all indices are not allowed");
    rc = ts_admin_expand(c, expr, 0, &list, &n);
    if (rc != 0)
        return rc;
    for (i = 0; i < n; i++)
        ts_store_delete(c->st, list[i]);
    free(list);
    return ts_route_ack(c);
}

/* ---- settings ---- */

/* A boolean query parameter: absent false, "" or "true" true. */
static bool
query_flag(const struct ts_ctx *c, const char *name)
{
    const char *v = ts_query_get(&c->q, name);

    return v != NULL && (v[0] == 0 || strcmp(v, "true") == 0);
}

/*
 * GET /{index}/_settings[/{names}]: {"idx":{"settings":{...}}}; an index
 * none of whose settings match names is left out, as ES leaves it out.
 */
static int
settings_get(struct ts_ctx *c, const char *expr, const char *names)
{
    struct ts_index **list = NULL;
    bool flat = query_flag(c, "flat_settings");
    bool first = true;
    int n = 0;
    int rc = ts_admin_expand(c, expr, TS_EXPAND_ALIASES, &list, &n);
    int i;

    if (rc != 0)
        return rc;
    qsort(list, (size_t)n, sizeof(*list), ts_index_name_cmp);
    ts_out_char(&c->out, '{');
    for (i = 0; i < n; i++) {
        if (ts_settings_count(list[i]->settings, names) == 0)
            continue;
        if (!first)
            ts_out_char(&c->out, ',');
        first = false;
        ts_out_json_cstr(&c->out, list[i]->name);
        ts_out_str(&c->out, ":{\"settings\":");
        ts_settings_write(&c->out, list[i]->settings, flat, names);
        ts_out_char(&c->out, '}');
    }
    ts_out_char(&c->out, '}');
    free(list);
    return 200;
}

/* PUT /{index}/_settings under the settings_denied fault: what a role
 * that may write documents but not manage the indices gets. */
static int
settings_denied(struct ts_ctx *c, const char *expr)
{
    char reason[TS_NAME_MAX + 256];

    snprintf(reason, sizeof(reason),
             "action [indices:admin/settings/update] is unauthorized for "
             "user [loader] with effective roles [writer] on indices [%s], "
             "this action is granted by the index privileges [manage,all]",
             expr);
    return ts_route_error(c, 403, "security_exception", reason);
}

/* PUT /{index}/_settings: all the indices or none. */
static int
settings_put(struct ts_ctx *c, const char *expr)
{
    struct ts_index **list = NULL;
    json_t *body = NULL;
    json_t *given = NULL;
    char reason[600];
    int status = 0;
    int n = 0;

    if (__atomic_load_n(&c->st->faults.settings_denied, __ATOMIC_RELAXED))
        return settings_denied(c, expr);
    body = ts_route_body_json(c, &status);
    if (status != 0)
        return status;
    /* {"settings":{...}} is taken as well as the settings themselves */
    given = json_object_size(body) == 1 && json_object_get(body, "settings")
                ? json_object_get(body, "settings")
                : body;
    if (json_object_size(given) == 0) {
        json_decref(body);
        return ts_route_error(c, 400, "action_request_validation_exception",
                              "Validation Failed: 1: no settings to update;");
    }
    status = ts_admin_expand(c, expr, TS_EXPAND_ALIASES, &list, &n);
    if (status == 0 &&
        ts_settings_update(list, n, given, reason, sizeof(reason)) != 0)
        status = ts_route_error(c, 400, "illegal_argument_exception", reason);
    json_decref(body);
    free(list);
    return status != 0 ? status : ts_route_ack(c);
}

/* ---- refresh and count ---- */

/* _refresh and _count take GET and POST, on indices or on all of them. */
static bool
get_or_post(const struct ts_ctx *c)
{
    return ts_route_method_is(c, "GET") || ts_route_method_is(c, "POST");
}

static int
route_refresh(struct ts_ctx *c, const char *expr)
{
    struct ts_index **list = NULL;
    uint64_t total = 0;
    int n = 0;
    int rc;
    int i;

    if (!get_or_post(c))
        return ts_route_bad_method(c, "GET,POST", "GET, POST");
    if ((rc = ts_admin_expand(c, expr, TS_EXPAND_ALIASES, &list, &n)) != 0)
        return rc;
    for (i = 0; i < n; i++) {
        ts_store_refresh(list[i]);
        total += (uint64_t)list[i]->replicas + 1;
    }
    free(list);
    ts_out_printf(&c->out,
                  "{\"_shards\":{\"total\":%llu,\"successful\":%d,"
                  "\"failed\":0}}",
                  (unsigned long long)total, n);
    return 200;
}

static int
route_count(struct ts_ctx *c, const char *expr)
{
    struct ts_index **list = NULL;
    int64_t now = ts_now_ms();
    uint64_t count = 0;
    int n = 0;
    int rc;
    int i;

    if (!get_or_post(c))
        return ts_route_bad_method(c, "GET,POST", "GET, POST");
    if ((rc = ts_admin_expand(c, expr, TS_EXPAND_ALIASES, &list, &n)) != 0)
        return rc;
    for (i = 0; i < n; i++) {
        ts_store_maybe_refresh(list[i], now);
        count += list[i]->visible;
    }
    free(list);
    ts_out_printf(&c->out,
                  "{\"count\":%llu,\"_shards\":{\"total\":%d,"
                  "\"successful\":%d,\"skipped\":0,\"failed\":0}}",
                  (unsigned long long)count, n, n);
    return 200;
}

/* ---- routing ---- */

/* /{index} alone. */
static int
route_index(struct ts_ctx *c, const char *expr)
{
    struct ts_index **list = NULL;
    int n = 0;
    char bad[TS_NAME_MAX + 1];

    if (ts_route_method_is(c, "HEAD")) {
        if (ts_store_expand(c->st, expr, TS_EXPAND_ALIASES, &list, &n, bad,
                            sizeof(bad)) != TS_EXPAND_OK)
            return 404;
        free(list);
        return 200;
    }
    if (ts_route_method_is(c, "PUT"))
        return route_create(c, expr);
    if (ts_route_method_is(c, "DELETE"))
        return route_delete(c, expr);
    if (ts_route_method_is(c, "GET"))
        return settings_get(c, expr, NULL);
    return ts_route_bad_method(c, "GET,HEAD,PUT,DELETE",
                               "GET, HEAD, PUT, DELETE");
}

/* /{index}/_settings[/{names}] and /_settings[/{names}]. */
static int
route_settings(struct ts_ctx *c, const char *expr, const char *names)
{
    if (ts_route_method_is(c, "GET"))
        return settings_get(c, expr, names);
    if (names == NULL && ts_route_method_is(c, "PUT"))
        return settings_put(c, expr);
    if (names != NULL)
        return ts_route_bad_method(c, "GET", "GET");
    return ts_route_bad_method(c, "GET,PUT", "GET, PUT");
}

/* Routes whose first segment names indices. */
static int
route_on_index(struct ts_ctx *c)
{
    const char *expr = c->segs[0];
    const char *what = c->nsegs > 1 ? c->segs[1] : "";

    if (c->nsegs == 1)
        return route_index(c, expr);
    if (strcmp(what, "_settings") == 0 && c->nsegs <= 3)
        return route_settings(c, expr, c->nsegs == 3 ? c->segs[2] : NULL);
    if (strcmp(what, "_refresh") == 0 && c->nsegs == 2)
        return route_refresh(c, expr);
    if (strcmp(what, "_count") == 0 && c->nsegs == 2)
        return route_count(c, expr);
    if ((strcmp(what, "_alias") == 0 || strcmp(what, "_aliases") == 0) &&
        c->nsegs <= 3)
        return ts_aliases_route(c, expr, c->nsegs == 3 ? c->segs[2] : NULL);
    return 0;
}

int
ts_admin_route(struct ts_ctx *c)
{
    const char *first = c->segs[0];

    if (c->nsegs == 0)
        return 0;
    if (first[0] != '_' || strcmp(first, "_all") == 0)
        return route_on_index(c);
    if (strcmp(first, "_aliases") == 0 && c->nsegs == 1 &&
        ts_route_method_is(c, "POST"))
        return ts_aliases_post(c);
    if ((strcmp(first, "_alias") == 0 || strcmp(first, "_aliases") == 0) &&
        c->nsegs <= 2)
        return ts_aliases_route(c, NULL, c->nsegs == 2 ? c->segs[1] : NULL);
    if (strcmp(first, "_index_template") == 0 && c->nsegs <= 2)
        return ts_templates_route(c, c->nsegs == 2 ? c->segs[1] : NULL);
    if (strcmp(first, "_settings") == 0 && c->nsegs <= 2)
        return route_settings(c, "_all", c->nsegs == 2 ? c->segs[1] : NULL);
    if (strcmp(first, "_refresh") == 0 && c->nsegs == 1)
        return route_refresh(c, "_all");
    if (strcmp(first, "_count") == 0 && c->nsegs == 1)
        return route_count(c, "_all");
    return 0;
}
