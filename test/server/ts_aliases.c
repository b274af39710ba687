/*
 * ts_aliases.c
 *    The alias APIs of es-test-server, as Elasticsearch answers them:
 *    POST /_aliases (add, remove, remove_index, applied together or not
 *    at all), PUT and DELETE /{index}/_alias/{name}, and the reads GET
 *    and HEAD /_alias/{name}, /{index}/_alias[/{name}].
 *
 * POST /_aliases follows ES 8.15 (TransportIndicesAliasesAction): every
 * index must exist and every check pass before anything changes; a
 * "remove" of an alias that is not there is an error only with
 * must_exist:true (404, nothing changes), else a failed result beside
 * the others (ES 8.14+: "errors":true with "action_results"), and a
 * request whose actions all come to nothing is a 404
 * aliases_not_found_exception.
 */
#include "ts_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ACT_ALIASES 64

enum act_type { ACT_ADD, ACT_REMOVE, ACT_REMOVE_INDEX };

static const char *const act_names[] = {"add", "remove", "remove_index"};

/* One action, parsed and resolved. */
struct act {
    enum act_type type;
    struct ts_index **idx; /* the indices it names; malloc'd */
    int nidx;
    const char *aliases[MAX_ACT_ALIASES]; /* as given (borrowed) */
    int naliases;
    int is_write;    /* add: -1 unset, 0, 1 */
    bool must_exist; /* remove */
    int removed;     /* remove: how many aliases it takes away */
};

struct acts {
    struct act *v;
    int n;
};

static void
acts_free(struct acts *a)
{
    int i;

    for (i = 0; i < a->n; i++)
        free(a->v[i].idx);
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

/* "index"/"indices" as one comma expression; NULL if neither. */
static char *
act_indices(json_t *def)
{
    json_t *one = json_object_get(def, "index");
    json_t *many = json_object_get(def, "indices");
    struct ts_out o;
    size_t i;

    if (json_is_string(one))
        return strdup(json_string_value(one));
    if (!json_is_array(many) || json_array_size(many) == 0)
        return NULL;
    ts_out_init(&o, 1u << 20);
    for (i = 0; i < json_array_size(many); i++) {
        if (i > 0)
            ts_out_char(&o, ',');
        ts_out_str(&o, json_string_value(json_array_get(many, i))
                           ? json_string_value(json_array_get(many, i))
                           : "");
    }
    ts_out_char(&o, 0);
    return ts_out_take(&o, &i);
}

/* "alias"/"aliases" into a->aliases. */
static void
act_aliases(struct act *a, json_t *def)
{
    json_t *one = json_object_get(def, "alias");
    json_t *many = json_object_get(def, "aliases");
    size_t i;

    if (json_is_string(one))
        a->aliases[a->naliases++] = json_string_value(one);
    for (i = 0; json_is_array(many) && i < json_array_size(many) &&
                a->naliases < MAX_ACT_ALIASES;
         i++)
        if (json_is_string(json_array_get(many, i)))
            a->aliases[a->naliases++] =
                json_string_value(json_array_get(many, i));
}

/* Parses and resolves one action; on failure writes the answer. */
static int
act_parse(struct ts_ctx *c, const char *verb, json_t *def, struct act *a)
{
    char reason[300];
    char *expr = NULL;
    int rc;

    memset(a, 0, sizeof(*a));
    for (a->type = ACT_ADD; a->type <= ACT_REMOVE_INDEX; a->type++)
        if (strcmp(verb, act_names[a->type]) == 0)
            break;
    if (a->type > ACT_REMOVE_INDEX || !json_is_object(def)) {
        snprintf(reason, sizeof(reason), "[aliases] unknown field [%s]", verb);
        return ts_route_error(c, 400, "x_content_parse_exception", reason);
    }
    act_aliases(a, def);
    a->is_write = json_is_boolean(json_object_get(def, "is_write_index"))
                      ? json_is_true(json_object_get(def, "is_write_index"))
                      : -1;
    a->must_exist = json_is_true(json_object_get(def, "must_exist"));
    expr = act_indices(def);
    if (expr == NULL)
        return ts_route_error(c, 400, "action_request_validation_exception",
                              "Validation Failed: 1: One of [index] or "
                              "[indices] is required;");
    if (a->type != ACT_REMOVE_INDEX && a->naliases == 0) {
        free(expr);
        return ts_route_error(c, 400, "action_request_validation_exception",
                              "Validation Failed: 1: One of [alias] or "
                              "[aliases] is required;");
    }
    rc = ts_admin_expand(c, expr,
                         a->type == ACT_REMOVE_INDEX ? 0 : TS_EXPAND_ALIASES,
                         &a->idx, &a->nidx);
    free(expr);
    return rc;
}

static int
acts_parse(struct ts_ctx *c, json_t *actions, struct acts *out)
{
    size_t i;
    json_t *act;
    const char *verb;
    json_t *def;
    int rc;

    out->v = calloc(json_array_size(actions) * 4 + 1, sizeof(*out->v));
    if (out->v == NULL)
        return ts_route_error(c, 500, "exception", "out of memory");
    json_array_foreach(actions, i, act)
    {
        json_object_foreach(act, verb, def)
        {
            if (out->n == (int)json_array_size(actions) * 4)
                break;
            rc = act_parse(c, verb, def, &out->v[out->n]);
            out->n++;
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* Is idx taken away by a remove_index among the first n actions? */
static bool
removed_before(const struct acts *a, int n, const struct ts_index *idx)
{
    int i;
    int k;

    for (i = 0; i < n; i++)
        for (k = 0; a->v[i].type == ACT_REMOVE_INDEX && k < a->v[i].nidx; k++)
            if (a->v[i].idx[k] == idx)
                return true;
    return false;
}

/* Is there an index named name that this request does not remove? */
static bool
index_stays(struct ts_ctx *c, const struct acts *a, const char *name)
{
    struct ts_index *idx = ts_store_index(c->st, name, strlen(name));

    return idx != NULL && !removed_before(a, a->n, idx);
}

/* The aliases on idx that match a pattern of act, counted. */
static int
count_matching(struct ts_ctx *c, const struct act *act,
               const struct ts_index *idx)
{
    struct ts_alias *al;
    int n = 0;
    int k;

    for (al = c->st->aliases; al != NULL; al = al->next) {
        if (al->index != idx)
            continue;
        for (k = 0; k < act->naliases; k++) {
            if (ts_glob_match(act->aliases[k], al->name)) {
                n++;
                break;
            }
        }
    }
    return n;
}

/* The reason and metadata of aliases_not_found_exception for names. */
static void
missing_parts(const char *const *names, int n, struct ts_out *reason,
              struct ts_out *meta)
{
    int i;

    ts_out_str(reason, "aliases [");
    ts_out_str(meta, ",\"resource.type\":\"aliases\",\"resource.id\":");
    if (n != 1)
        ts_out_char(meta, '[');
    for (i = 0; i < n; i++) {
        ts_out_str(reason, i > 0 ? ", " : "");
        ts_out_str(reason, names[i]);
        ts_out_str(meta, i > 0 ? "," : "");
        ts_out_json_cstr(meta, names[i]);
    }
    if (n != 1)
        ts_out_char(meta, ']');
    ts_out_str(reason, "] missing");
    ts_out_char(reason, 0);
    ts_out_char(meta, 0);
}

/* 404 aliases_not_found_exception "aliases [a, b] missing". */
static int
aliases_missing(struct ts_ctx *c, const char *const *names, int n)
{
    struct ts_out meta;
    struct ts_out reason;
    int status;

    ts_out_init(&meta, 1u << 20);
    ts_out_init(&reason, 1u << 20);
    missing_parts(names, n, &reason, &meta);
    status = ts_route_error_meta(c, 404, "aliases_not_found_exception",
                                 reason.buf ? reason.buf : "", &meta);
    ts_out_free(&meta);
    ts_out_free(&reason);
    return status;
}

/* The same as the "error" of a failed action result. */
static void
write_missing_cause(struct ts_out *o, const char *const *names, int n)
{
    struct ts_out meta;
    struct ts_out reason;

    ts_out_init(&meta, 1u << 20);
    ts_out_init(&reason, 1u << 20);
    missing_parts(names, n, &reason, &meta);
    ts_out_str(o, ",\"error\":{");
    ts_write_cause(o, "aliases_not_found_exception",
                   reason.buf ? reason.buf : "", meta.buf ? meta.buf : "");
    ts_out_char(o, '}');
    ts_out_free(&meta);
    ts_out_free(&reason);
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The 404 of a request whose actions all come to nothing. */
static int
all_missing(struct ts_ctx *c, const struct acts *a)
{
    const char *names[MAX_ACT_ALIASES];
    int n = 0;
    int i;
    int k;

    for (i = 0; i < a->n; i++)
        for (k = 0; k < a->v[i].naliases && n < MAX_ACT_ALIASES; k++)
            names[n++] = a->v[i].aliases[k];
    qsort(names, (size_t)n, sizeof(*names), str_cmp);
    for (i = k = 0; i < n; i++)
        if (k == 0 || strcmp(names[k - 1], names[i]) != 0)
            names[k++] = names[i];
    return aliases_missing(c, names, k);
}

/* An alias may not take the name of an index that stays. */
static int
check_add(struct ts_ctx *c, const struct acts *a, const struct act *act)
{
    char reason[TS_NAME_MAX + 200];
    int k;

    for (k = 0; k < act->naliases; k++) {
        if (!index_stays(c, a, act->aliases[k]))
            continue;
        /* ES 8 names no index here (ES 6 did) */
        snprintf(reason, sizeof(reason),
                 "Invalid alias name [%s]: an index or data stream exists "
                 "with the same name as the alias",
                 act->aliases[k]);
        return ts_route_error(c, 400, "invalid_alias_name_exception", reason);
    }
    return 0;
}

/*
 * Every check before anything changes; counts what each remove takes
 * away.  *effective: whether any action changes anything at all.
 */
static int
acts_check(struct ts_ctx *c, struct acts *a, bool *effective)
{
    int i;
    int k;
    int rc;

    *effective = false;
    for (i = 0; i < a->n; i++) {
        struct act *act = &a->v[i];

        for (k = 0; k < act->nidx; k++)
            if (removed_before(a, i, act->idx[k]))
                return ts_route_not_found(c, act->idx[k]->name);
        if (act->type == ACT_ADD && (rc = check_add(c, a, act)) != 0)
            return rc;
        for (k = 0; act->type == ACT_REMOVE && k < act->nidx; k++) {
            int n = count_matching(c, act, act->idx[k]);

            if (n == 0 && act->must_exist)
                return aliases_missing(c, act->aliases, act->naliases);
            act->removed += n;
        }
        if (act->nidx > 0 && (act->type != ACT_REMOVE || act->removed > 0))
            *effective = true;
    }
    return 0;
}

static int
act_apply(struct ts_ctx *c, const struct act *act)
{
    struct ts_alias **pp;
    int i;
    int k;

    for (i = 0; i < act->nidx; i++) {
        struct ts_index *idx = act->idx[i];

        for (k = 0; act->type == ACT_ADD && k < act->naliases; k++)
            if (ts_store_alias_add(c->st, act->aliases[k], idx,
                                   act->is_write) != 0)
                return -1;
        for (pp = &c->st->aliases; act->type == ACT_REMOVE && *pp != NULL;) {
            struct ts_alias *al = *pp;
            bool hit = false;

            for (k = 0; al->index == idx && k < act->naliases; k++)
                hit = hit || ts_glob_match(act->aliases[k], al->name);
            if (hit) {
                *pp = al->next;
                free(al);
            } else {
                pp = &al->next;
            }
        }
        if (act->type == ACT_REMOVE_INDEX)
            ts_store_delete(c->st, idx);
    }
    return 0;
}

/* ES 8.14+'s "action_results": one per action, when one failed. */
static void
write_results(struct ts_out *o, struct acts *a)
{
    int i;
    int k;

    ts_out_str(o, ",\"action_results\":[");
    for (i = 0; i < a->n; i++) {
        struct act *act = &a->v[i];
        bool failed = act->type == ACT_REMOVE && act->removed == 0;

        qsort(act->idx, (size_t)act->nidx, sizeof(*act->idx),
              ts_index_name_cmp);
        ts_out_printf(o, "%s{\"action\":{\"type\":\"%s\",\"indices\":[",
                      i > 0 ? "," : "", act_names[act->type]);
        for (k = 0; k < act->nidx; k++) {
            ts_out_str(o, k > 0 ? "," : "");
            ts_out_json_cstr(o, act->idx[k]->name);
        }
        ts_out_str(o, "],\"aliases\":");
        ts_route_str_array(o, act->aliases, act->naliases);
        ts_out_printf(o, "},\"status\":%d", failed ? 404 : 200);
        if (failed)
            write_missing_cause(o, act->aliases, act->naliases);
        ts_out_char(o, '}');
    }
    ts_out_char(o, ']');
}

/* Runs actions (a JSON array): checks all, then applies all. */
static int
aliases_run(struct ts_ctx *c, json_t *actions)
{
    struct acts a = {NULL, 0};
    bool effective = false;
    bool errors = false;
    int rc;
    int i;

    rc = acts_parse(c, actions, &a);
    if (rc == 0)
        rc = acts_check(c, &a, &effective);
    if (rc == 0 && !effective)
        rc = all_missing(c, &a);
    for (i = 0; rc == 0 && i < a.n; i++) {
        if (a.v[i].type == ACT_REMOVE && a.v[i].removed == 0)
            errors = true;
        if (act_apply(c, &a.v[i]) != 0)
            rc = ts_route_error(c, 500, "exception", "out of memory");
    }
    if (rc == 0) {
        /* ES 8.14 added "errors" (and the results when it is true) */
        ts_out_str(&c->out, "{\"acknowledged\":true");
        if (c->st->config.mode == TS_MODE_ES8) {
            ts_out_printf(&c->out, ",\"errors\":%s", errors ? "true" : "false");
            if (errors)
                write_results(&c->out, &a);
        }
        ts_out_char(&c->out, '}');
        rc = 200;
    }
    acts_free(&a);
    return rc;
}

int
ts_aliases_post(struct ts_ctx *c)
{
    int status = 0;
    json_t *body = ts_route_body_json(c, &status);
    json_t *actions = NULL;

    if (status != 0)
        return status;
    actions = json_object_get(body, "actions");
    if (!json_is_array(actions) || json_array_size(actions) == 0) {
        json_decref(body);
        return ts_route_error(c, 400, "action_request_validation_exception",
                              "Validation Failed: 1: no actions;");
    }
    status = aliases_run(c, actions);
    json_decref(body);
    return status;
}

/*
 * PUT and DELETE /{index}/_alias/{name}: one add (with the body's
 * is_write_index) or one remove, run as POST /_aliases runs it.
 */
static int
alias_change(struct ts_ctx *c, const char *expr, const char *names)
{
    bool add = ts_route_method_is(c, "PUT") || ts_route_method_is(c, "POST");
    int status = 0;
    json_t *def = add ? ts_route_body_json(c, &status) : NULL;
    json_t *actions = NULL;
    int rc;

    if (status != 0)
        return status;
    if (def == NULL)
        def = json_object();
    json_object_set_new(def, "index", json_string(expr));
    json_object_set_new(def, "aliases", json_array());
    for (const char *p = names; *p != 0;) {
        size_t len = strcspn(p, ",");

        json_array_append_new(json_object_get(def, "aliases"),
                              json_stringn(p, len));
        p += len + (p[len] == ',');
    }
    actions = json_pack("[{so}]", add ? "add" : "remove", def);
    if (actions == NULL)
        return ts_route_error(c, 500, "exception", "out of memory");
    rc = aliases_run(c, actions);
    json_decref(actions);
    return rc;
}

/* ---- reads ---- */

/* Does name match the comma list of patterns (NULL, _all: all)? */
static bool
alias_wanted(const char *names, const char *name)
{
    char pat[TS_NAME_MAX + 1];
    const char *p = names;

    if (names == NULL || strcmp(names, "_all") == 0)
        return true;
    while (*p != 0) {
        size_t len = strcspn(p, ",");

        snprintf(pat, sizeof(pat), "%.*s", (int)len, p);
        if (pat[0] != '-' && ts_glob_match(pat, name))
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static int
alias_cmp(const void *a, const void *b)
{
    return strcmp((*(struct ts_alias *const *)a)->name,
                  (*(struct ts_alias *const *)b)->name);
}

/* {"alias":{"is_write_index":true}} members of idx matching names. */
static int
write_index_aliases(struct ts_ctx *c, const struct ts_index *idx,
                    const char *names, struct ts_out *o)
{
    struct ts_alias *found[256];
    struct ts_alias *al;
    int n = 0;
    int i;

    for (al = c->st->aliases; al != NULL && n < 256; al = al->next)
        if (al->index == idx && alias_wanted(names, al->name))
            found[n++] = al;
    qsort(found, (size_t)n, sizeof(*found), alias_cmp);
    for (i = 0; o != NULL && i < n; i++) {
        ts_out_str(o, i > 0 ? "," : "");
        ts_out_json_cstr(o, found[i]->name);
        if (found[i]->is_write < 0)
            ts_out_str(o, ":{}");
        else
            ts_out_printf(o, ":{\"is_write_index\":%s}",
                          found[i]->is_write ? "true" : "false");
    }
    return n;
}

/* Was name returned, i.e. is it an alias of one of the n indices? */
static bool
alias_returned(struct ts_ctx *c, struct ts_index **list, int n,
               const char *name)
{
    for (int i = 0; i < n; i++)
        if (ts_store_alias_on(c->st, name, list[i]) != NULL)
            return true;
    return false;
}

/*
 * The names asked for by name (not by pattern) that no returned alias
 * has, sorted: ES answers 404 for them ("alias [x] missing", "aliases
 * [x,y] missing"), with what it found beside the error.  Writes the
 * message to msg; returns how many.
 */
static int
missing_names(struct ts_ctx *c, struct ts_index **list, int n,
              const char *names, char *msg, size_t cap)
{
    char *miss[MAX_ACT_ALIASES];
    const char *p = names;
    struct ts_out o;
    int k = 0;
    int i;

    while (names != NULL && strcmp(names, "_all") != 0 && *p != 0 &&
           k < MAX_ACT_ALIASES) {
        size_t len = strcspn(p, ",");
        char *name = strndup(p, len);

        p += len + (p[len] == ',');
        if (name == NULL || strchr(name, '*') != NULL || name[0] == '-' ||
            alias_returned(c, list, n, name))
            free(name);
        else
            miss[k++] = name;
    }
    qsort(miss, (size_t)k, sizeof(*miss), str_cmp);
    ts_out_init(&o, cap - 1);
    ts_out_str(&o, k > 1 ? "aliases [" : "alias [");
    for (i = 0; i < k; i++) {
        ts_out_str(&o, i > 0 ? "," : "");
        ts_out_str(&o, miss[i]);
        free(miss[i]);
    }
    ts_out_str(&o, "] missing");
    snprintf(msg, cap, "%.*s", (int)o.len, o.buf ? o.buf : "");
    ts_out_free(&o);
    return k;
}

/* GET and HEAD of /_alias/{names}, /{index}/_alias[/{names}]. */
static int
aliases_get(struct ts_ctx *c, const char *expr, const char *names)
{
    struct ts_index **list = NULL;
    char msg[2048];
    bool explicit = names != NULL && strcmp(names, "_all") != 0;
    bool first = true;
    int n = 0;
    int found = 0;
    int nmissing;
    int rc = ts_admin_expand(c, expr != NULL ? expr : "_all", TS_EXPAND_ALIASES,
                             &list, &n);

    if (rc != 0)
        return c->head ? 404 : rc;
    qsort(list, (size_t)n, sizeof(*list), ts_index_name_cmp);
    nmissing = missing_names(c, list, n, names, msg, sizeof(msg));
    ts_out_char(&c->out, '{');
    if (nmissing > 0) {
        ts_out_str(&c->out, "\"error\":");
        ts_out_json_cstr(&c->out, msg);
        ts_out_str(&c->out, ",\"status\":404");
        first = false;
    }
    for (int i = 0; i < n; i++) {
        int k = write_index_aliases(c, list[i], names, NULL);

        found += k;
        if (explicit && k == 0)
            continue;
        ts_out_str(&c->out, first ? "" : ",");
        first = false;
        ts_out_json_cstr(&c->out, list[i]->name);
        ts_out_str(&c->out, ":{\"aliases\":{");
        write_index_aliases(c, list[i], names, &c->out);
        ts_out_str(&c->out, "}}");
    }
    ts_out_char(&c->out, '}');
    free(list);
    if (c->head)
        return nmissing > 0 || (explicit && found == 0) ? 404 : 200;
    return nmissing > 0 ? 404 : 200;
}

int
ts_aliases_route(struct ts_ctx *c, const char *expr, const char *names)
{
    if (ts_route_method_is(c, "GET") || ts_route_method_is(c, "HEAD"))
        return aliases_get(c, expr, names);
    if (expr != NULL && names != NULL &&
        (ts_route_method_is(c, "PUT") || ts_route_method_is(c, "POST") ||
         ts_route_method_is(c, "DELETE")))
        return alias_change(c, expr, names);
    if (expr == NULL && names == NULL)
        return ts_route_bad_method(c, "GET,HEAD,POST", "GET, HEAD, POST");
    if (expr != NULL && names != NULL)
        return ts_route_bad_method(c, "GET,HEAD,PUT,POST,DELETE",
                                   "GET, HEAD, PUT, POST, DELETE");
    return ts_route_bad_method(c, "GET,HEAD", "GET, HEAD");
}
