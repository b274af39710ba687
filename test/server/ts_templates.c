/*
 * ts_templates.c
 *    Composable index templates (/_index_template), as Elasticsearch
 *    keeps and shows them: PUT (or POST) stores one, GET lists them in
 *    the shape ES writes (ComposableIndexTemplate.toXContent: patterns,
 *    template {settings normalized, mappings, aliases}, then composed_of,
 *    priority, version, _meta only when they were given), HEAD tells if
 *    one exists, DELETE removes one.  ts_store_create() applies the one
 *    of highest priority that matches a new index's name.
 *
 * Not modelled: component templates (composed_of is kept and shown, not
 * applied) and ES's refusal of two templates with overlapping patterns
 * at the same priority.
 */
#include "ts_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ts_template **
find(struct ts_state *st, const char *name)
{
    struct ts_template **pp;

    for (pp = &st->templates; *pp != NULL; pp = &(*pp)->next)
        if (strcmp((*pp)->name, name) == 0)
            break;
    return pp;
}

/* An alias as AliasMetadata writes it: routing becomes both routings. */
static void
write_alias_meta(struct ts_out *o, json_t *def)
{
    static const char *const keys[] = {"filter", "index_routing",
                                       "search_routing", "is_write_index",
                                       "is_hidden"};
    json_t *routing = json_object_get(def, "routing");
    bool first = true;
    size_t i;

    ts_out_char(o, '{');
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(def, keys[i]);
        char *dump = NULL;

        if (v == NULL && i > 0 && i < 3)
            v = routing;
        if (v == NULL)
            continue;
        dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        ts_out_printf(o, "%s\"%s\":%s", first ? "" : ",", keys[i],
                      dump != NULL ? dump : "null");
        free(dump);
        first = false;
    }
    ts_out_char(o, '}');
}

/* Writes a member "name":value of body if it is there. */
static void
write_member(struct ts_out *o, json_t *body, const char *name)
{
    json_t *v = json_object_get(body, name);
    char *dump = NULL;

    if (v == NULL)
        return;
    dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    ts_out_printf(o, ",\"%s\":%s", name, dump != NULL ? dump : "null");
    free(dump);
}

static void
write_template_part(struct ts_out *o, const struct ts_template *t)
{
    json_t *mappings = json_object_get(t->template, "mappings");
    json_t *aliases = json_object_get(t->template, "aliases");
    const char *k;
    json_t *v;
    bool first = true;

    ts_out_str(o, ",\"template\":{");
    if (t->settings != NULL) {
        ts_out_str(o, "\"settings\":");
        ts_settings_write(o, t->settings, false, NULL);
        first = false;
    }
    if (json_object_size(mappings) > 0) {
        char *dump = json_dumps(mappings, JSON_COMPACT);

        ts_out_printf(o, "%s\"mappings\":%s", first ? "" : ",",
                      dump != NULL ? dump : "{}");
        free(dump);
        first = false;
    }
    if (json_is_object(aliases)) {
        ts_out_str(o, first ? "\"aliases\":{" : ",\"aliases\":{");
        first = true;
        json_object_foreach(aliases, k, v)
        {
            ts_out_str(o, first ? "" : ",");
            ts_out_json_cstr(o, k);
            ts_out_char(o, ':');
            write_alias_meta(o, v);
            first = false;
        }
        ts_out_char(o, '}');
    }
    ts_out_char(o, '}');
}

static void
write_template(struct ts_out *o, const struct ts_template *t)
{
    static const char *const after[] = {"composed_of", "priority",
                                        "version",     "_meta",
                                        "data_stream", "allow_auto_create"};
    size_t i;

    ts_out_str(o, "{\"name\":");
    ts_out_json_cstr(o, t->name);
    ts_out_str(o, ",\"index_template\":{\"index_patterns\":");
    ts_route_str_array(o, (const char *const *)t->patterns, t->npatterns);
    if (t->template != NULL)
        write_template_part(o, t);
    for (i = 0; i < sizeof(after) / sizeof(after[0]); i++)
        write_member(o, t->body, after[i]);
    ts_out_str(o, "}}");
}

static int
template_cmp(const void *a, const void *b)
{
    return strcmp((*(struct ts_template *const *)a)->name,
                  (*(struct ts_template *const *)b)->name);
}

/* GET /_index_template[/{names}]: 404 for a name (not a pattern) unknown. */
static int
templates_get(struct ts_ctx *c, const char *names)
{
    struct ts_template *found[256];
    struct ts_template *t;
    char reason[TS_NAME_MAX + 100];
    int n = 0;
    int i;

    if (names != NULL && strchr(names, '*') == NULL &&
        strchr(names, ',') == NULL && *find(c->st, names) == NULL) {
        if (c->head)
            return 404;
        snprintf(reason, sizeof(reason),
                 "index template matching [%s] not found", names);
        return ts_route_error(c, 404, "resource_not_found_exception", reason);
    }
    for (t = c->st->templates; t != NULL && n < 256; t = t->next)
        if (names == NULL || ts_glob_match(names, t->name))
            found[n++] = t;
    if (c->head)
        return n > 0 ? 200 : 404;
    qsort(found, (size_t)n, sizeof(*found), template_cmp);
    ts_out_str(&c->out, "{\"index_templates\":[");
    for (i = 0; i < n; i++) {
        ts_out_str(&c->out, i > 0 ? "," : "");
        write_template(&c->out, found[i]);
    }
    ts_out_str(&c->out, "]}");
    return 200;
}

static int
templates_delete(struct ts_ctx *c, const char *name)
{
    struct ts_template **pp = find(c->st, name);
    struct ts_template *t = *pp;
    char reason[TS_NAME_MAX + 100];

    if (t == NULL) {
        snprintf(reason, sizeof(reason), "index_template [%s] missing", name);
        return ts_route_error(c, 404, "index_template_missing_exception",
                              reason);
    }
    *pp = t->next;
    ts_store_template_free(t);
    return ts_route_ack(c);
}

/* Builds a template from a PUT body (taken); NULL with the answer. */
static struct ts_template *
template_new(struct ts_ctx *c, const char *name, json_t *body, int *status)
{
    struct ts_template *t = calloc(1, sizeof(*t));
    json_t *pats = json_object_get(body, "index_patterns");
    char reason[600];
    size_t i;

    if (t == NULL) {
        json_decref(body);
        *status = ts_route_error(c, 500, "exception", "out of memory");
        return NULL;
    }
    snprintf(t->name, sizeof(t->name), "%.255s", name);
    t->body = body;
    for (i = 0; i < json_array_size(pats); i++) {
        const char *p = json_string_value(json_array_get(pats, i));

        t->patterns[t->npatterns] = strdup(p ? p : "");
        if (t->patterns[t->npatterns] != NULL)
            t->npatterns++;
    }
    t->priority = (long)json_integer_value(json_object_get(body, "priority"));
    t->template = json_object_get(body, "template");
    if (json_is_object(json_object_get(t->template, "settings"))) {
        t->settings = json_object();
        if (ts_settings_apply(t->settings,
                              json_object_get(t->template, "settings"), true,
                              name, "_na_", reason, sizeof(reason)) != 0) {
            *status =
                ts_route_error(c, 400, "illegal_argument_exception", reason);
            ts_store_template_free(t);
            return NULL;
        }
    }
    return t;
}

static int
templates_put(struct ts_ctx *c, const char *name)
{
    struct ts_template **pp = find(c->st, name);
    struct ts_template *t = NULL;
    char reason[TS_NAME_MAX + 100];
    int status = 0;
    json_t *body = ts_route_body_json(c, &status);
    json_t *pats = json_object_get(body, "index_patterns");

    if (status != 0)
        return status;
    if (json_is_string(pats))
        json_object_set_new(body, "index_patterns", json_pack("[O]", pats));
    pats = json_object_get(body, "index_patterns");
    if (!json_is_array(pats) || json_array_size(pats) == 0 ||
        json_array_size(pats) > TS_TEMPLATE_PATTERNS) {
        json_decref(body);
        return ts_route_error(c, 400, "action_request_validation_exception",
                              "Validation Failed: 1: index patterns are "
                              "missing;");
    }
    if (*pp != NULL && ts_query_get(&c->q, "create") != NULL &&
        strcmp(ts_query_get(&c->q, "create"), "false") != 0) {
        json_decref(body);
        snprintf(reason, sizeof(reason), "index template [%s] already exists",
                 name);
        return ts_route_error(c, 400, "illegal_argument_exception", reason);
    }
    t = template_new(c, name, body, &status);
    if (t == NULL)
        return status;
    if (*pp != NULL) {
        struct ts_template *old = *pp;

        *pp = old->next;
        ts_store_template_free(old);
    }
    t->next = c->st->templates;
    c->st->templates = t;
    return ts_route_ack(c);
}

int
ts_templates_route(struct ts_ctx *c, const char *name)
{
    if (ts_route_method_is(c, "GET") || ts_route_method_is(c, "HEAD"))
        return templates_get(c, name);
    if (name == NULL)
        return ts_route_bad_method(c, "GET,HEAD", "GET, HEAD");
    if (ts_route_method_is(c, "PUT") || ts_route_method_is(c, "POST"))
        return templates_put(c, name);
    if (ts_route_method_is(c, "DELETE"))
        return templates_delete(c, name);
    return ts_route_bad_method(c, "GET,PUT,POST,DELETE,HEAD",
                               "GET, PUT, POST, DELETE, HEAD");
}
