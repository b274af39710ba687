/*
 * index_admin.c
 *    Index administration calls of the parent, with retries within a
 *    budget (see index_admin.h).
 */
#include "forkbulk/index_admin.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/backoff.h"
#include "forkbulk/bulkresp.h"
#include "forkbulk/clock.h"
#include "forkbulk/es.h"
#include "forkbulk/eslimits.h"
#include "forkbulk/log.h"
#include "forkbulk/status.h"

#define PATH_MAX_LEN (2 * FB_ES_INDEX_MAX + 64)

struct fb_index_admin {
    /* A copy of the run's options whose timeouts fit the budget: the
     * connection (es.h) is made from it and may keep pointing at it. */
    struct fb_options opts;
    struct fb_es *es;
    struct fb_backoff backoff;
    double deadline; /* monotonic seconds */
};

struct fb_index_admin *
fb_index_admin_open(const struct fb_options *opts, long budget_ms)
{
    struct fb_index_admin *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return NULL;
    if (budget_ms < 1)
        budget_ms = 1;
    a->opts = *opts;
    if (a->opts.request_timeout_ms > budget_ms)
        a->opts.request_timeout_ms = budget_ms;
    if (a->opts.connect_timeout_ms > budget_ms)
        a->opts.connect_timeout_ms = budget_ms;
    a->es = fb_es_new(&a->opts);
    if (a->es == NULL) {
        free(a);
        return NULL;
    }
    fb_backoff_init(&a->backoff, NULL, NULL, NULL, 0);
    a->deadline = fb_monotonic_seconds() + (double)budget_ms / 1000.0;
    return a;
}

void
fb_index_admin_close(struct fb_index_admin *a)
{
    if (a == NULL)
        return;
    fb_es_free(a->es);
    free(a);
}

static uint64_t
time_left_ms(const struct fb_index_admin *a)
{
    double left = (a->deadline - fb_monotonic_seconds()) * 1000.0;

    return left > 0 ? (uint64_t)left : 0;
}

/* What went wrong with an answer, in a few words, naming the node. */
static void
describe(const struct fb_index_admin *a, const struct fb_http_result *res,
         char *out, size_t cap)
{
    const char *url = fb_es_node_url(a->es, res->node);
    char reason[256];

    if (res->transport) {
        snprintf(out, cap, "no answer from %s (%s)", url, res->error);
        return;
    }
    fb_bulkresp_describe_error(res->body, res->body_len, reason,
                               sizeof(reason));
    snprintf(out, cap, "%s answered HTTP %ld: %s", url, res->status, reason);
}

/*
 * One request, made again while a retry may cure its failure.  0 with
 * res holding the answer (whatever its status, once retrying is no
 * cure), or 69 after logging.
 */
static int
call(struct fb_index_admin *a, const char *method, const char *path,
     const char *body, struct fb_http_result *res)
{
    char why[768];

    for (int attempt = 1;; attempt++) {
        uint64_t left;

        if (fb_es_request(a->es, method, path, body, res) == 0 &&
            fb_bulkresp_request_class(res->status) != FB_REQ_RETRY)
            return FB_EXIT_OK;
        describe(a, res, why, sizeof(why));
        if (res->transport && res->fatal != 0) {
            fb_error("%s %s: %s", method, path, why);
            return res->fatal; /* TLS setup: retrying cannot help */
        }
        left = time_left_ms(a);
        if (attempt > a->opts.max_retries || left == 0) {
            fb_error("%s %s: %s; giving up after %d attempt(s)", method, path,
                     why, attempt);
            return FB_EXIT_UNAVAILABLE;
        }
        fb_warn("%s %s: %s; retry %d of %d", method, path, why, attempt,
                a->opts.max_retries);
        (void)fb_backoff_sleep(&a->backoff, attempt, res->retry_after_s, left);
    }
}

/* An answer the caller did not expect: logged; 78 for a refusal (4xx),
 * else 69. */
static int
refused(const struct fb_index_admin *a, const char *method, const char *path,
        const struct fb_http_result *res)
{
    char why[768];

    describe(a, res, why, sizeof(why));
    fb_error("%s %s: %s%s", method, path, why,
             res->status == 403 ? "; the credentials lack a privilege this "
                                  "takes: forkbulk --check names it"
                                : "");
    return res->status >= 400 && res->status < 500 ? FB_EXIT_CONFIG
                                                   : FB_EXIT_UNAVAILABLE;
}

/* METHOD /{index}, where an index that is not there is an answer too:
 * *status is 200 or 404. */
static int
on_index(struct fb_index_admin *a, const char *method, const char *index,
         long *status)
{
    struct fb_http_result res;
    char path[PATH_MAX_LEN];
    int rc;

    snprintf(path, sizeof(path), "/%s", index);
    if ((rc = call(a, method, path, NULL, &res)) != FB_EXIT_OK)
        return rc;
    if (res.status != 200 && res.status != 404)
        return refused(a, method, path, &res);
    *status = res.status;
    return FB_EXIT_OK;
}

void
fb_index_admin_refresh(struct fb_index_admin *a, const char *index)
{
    struct fb_http_result res;
    char path[PATH_MAX_LEN];
    char why[768];

    snprintf(path, sizeof(path), "/%s/_refresh", index);
    if (fb_es_request(a->es, "POST", path, "", &res) == 0 && res.status == 200)
        return;
    describe(a, &res, why, sizeof(why));
    fb_warn("refresh %s: %s", path, why);
}

int
fb_index_admin_count(struct fb_index_admin *a, const char *index,
                     uint64_t *count)
{
    struct fb_http_result res;
    char path[PATH_MAX_LEN];
    json_t *root = NULL, *n;
    int rc;

    *count = 0;
    snprintf(path, sizeof(path), "/%s/_count", index);
    if ((rc = call(a, "GET", path, NULL, &res)) != FB_EXIT_OK)
        return rc;
    if (res.status == 404)
        return FB_EXIT_OK;
    if (res.status == 200)
        root = json_loadb(res.body, res.body_len, 0, NULL);
    n = json_object_get(root, "count");
    if (json_is_integer(n) && json_integer_value(n) >= 0) {
        *count = (uint64_t)json_integer_value(n);
    } else if (res.status != 200) {
        rc = refused(a, "GET", path, &res);
    } else {
        fb_error("GET %s answered no count", path);
        rc = FB_EXIT_UNAVAILABLE;
    }
    json_decref(root);
    return rc;
}

int
fb_index_admin_exists(struct fb_index_admin *a, const char *index, bool *exists)
{
    long status = 0;
    int rc = on_index(a, "HEAD", index, &status);

    *exists = status == 200;
    return rc;
}

/* Whether a 400 says the index is there already (made meanwhile). */
static bool
already_exists(const struct fb_http_result *res)
{
    return res->status == 400 && res->body != NULL &&
           strstr(res->body, "resource_already_exists_exception") != NULL;
}

int
fb_index_admin_ensure(struct fb_index_admin *a, const char *index,
                      bool *created)
{
    struct fb_http_result res;
    char path[PATH_MAX_LEN];
    bool exists = false;
    int rc = fb_index_admin_exists(a, index, &exists);

    if (created != NULL)
        *created = false;
    if (rc != FB_EXIT_OK || exists)
        return rc;
    snprintf(path, sizeof(path), "/%s", index);
    if ((rc = call(a, "PUT", path, NULL, &res)) != FB_EXIT_OK)
        return rc;
    if (already_exists(&res))
        return FB_EXIT_OK;
    if (res.status != 200)
        return refused(a, "PUT", path, &res);
    if (created != NULL)
        *created = true;
    return FB_EXIT_OK;
}

/*
 * The value at a dotted path in settings, whichever way the answer
 * nests it: {"index.refresh_interval": v} (flat), {"index":
 * {"refresh_interval": v}}, or anything between.  NULL if absent.
 */
static json_t *
lookup(json_t *obj, const char *path)
{
    json_t *v = json_object_get(obj, path);

    if (v != NULL || !json_is_object(obj))
        return v;
    for (const char *dot = strchr(path, '.'); dot != NULL;
         dot = strchr(dot + 1, '.')) {
        json_t *sub = json_object_getn(obj, path, (size_t)(dot - path));

        if (json_is_object(sub) && (v = lookup(sub, dot + 1)) != NULL)
            return v;
    }
    return NULL;
}

/* The settings object of index in a _settings answer: the entry of that
 * name, else the only one (an alias's index). */
static json_t *
settings_of(json_t *root, const char *index)
{
    json_t *entry = json_object_get(root, index);

    if (entry == NULL && json_object_size(root) == 1) {
        void *it = json_object_iter(root);

        entry = json_object_iter_value(it);
    }
    return json_object_get(entry, "settings");
}

/* The current value (or null) of each key of want in settings. */
static char *
pick_settings(json_t *settings, const char *want_text)
{
    json_t *want = json_loads(want_text, 0, NULL);
    json_t *out = json_object();
    const char *key;
    json_t *ignored;
    char *text = NULL;
    char full[512];

    if (want == NULL || out == NULL)
        goto out;
    json_object_foreach(want, key, ignored)
    {
        json_t *v;

        snprintf(full, sizeof(full), "index.%s", key);
        v = lookup(settings, full);
        if (json_object_set_new(out, key,
                                v != NULL && !json_is_object(v) &&
                                        !json_is_array(v)
                                    ? json_incref(v)
                                    : json_null()) < 0)
            goto out;
    }
    text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
    json_decref(want);
    json_decref(out);
    return text;
}

int
fb_index_admin_get_settings(struct fb_index_admin *a, const char *index,
                            const char *keys, char **out)
{
    struct fb_http_result res;
    char path[PATH_MAX_LEN];
    json_t *root = NULL, *settings;
    int rc;

    *out = NULL;
    snprintf(path, sizeof(path), "/%s/_settings", index);
    if ((rc = call(a, "GET", path, NULL, &res)) != FB_EXIT_OK)
        return rc;
    if (res.status != 200)
        return refused(a, "GET", path, &res);
    root = json_loadb(res.body, res.body_len, 0, NULL);
    settings = settings_of(root, index);
    if (!json_is_object(settings)) {
        fb_error("GET %s answered no settings of %s", path, index);
        rc = FB_EXIT_UNAVAILABLE;
    } else if ((*out = pick_settings(settings, keys)) == NULL) {
        rc = FB_EXIT_OSERR;
    }
    json_decref(root);
    return rc;
}

/* {"index": settings} as text; NULL if settings is not a JSON object (or
 * out of memory). */
static char *
wrap_settings(const char *settings)
{
    json_t *inner = json_loads(settings, 0, NULL);
    json_t *body =
        json_is_object(inner) ? json_pack("{s:O}", "index", inner) : NULL;
    char *text = body != NULL
                     ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER)
                     : NULL;

    json_decref(inner);
    json_decref(body);
    return text;
}

int
fb_index_admin_put_settings(struct fb_index_admin *a, const char *index,
                            const char *settings, bool *gone, bool *denied)
{
    struct fb_http_result res;
    char path[PATH_MAX_LEN];
    char *body = wrap_settings(settings);
    int rc;

    if (gone != NULL)
        *gone = false;
    if (denied != NULL)
        *denied = false;
    if (body == NULL) {
        fb_error("settings for %s are not a JSON object: %s", index, settings);
        return FB_EXIT_SOFTWARE;
    }
    snprintf(path, sizeof(path), "/%s/_settings", index);
    rc = call(a, "PUT", path, body, &res);
    if (rc == FB_EXIT_OK && res.status == 404 && gone != NULL)
        *gone = true;
    else if (rc == FB_EXIT_OK && res.status == 403 && denied != NULL)
        *denied = true;
    else if (rc == FB_EXIT_OK && res.status != 200)
        rc = refused(a, "PUT", path, &res);
    free(body);
    return rc;
}

int
fb_index_admin_put_template(struct fb_index_admin *a, const char *name,
                            const char *body)
{
    struct fb_http_result res;
    char path[PATH_MAX_LEN];
    int rc;

    snprintf(path, sizeof(path), "/_index_template/%s", name);
    if ((rc = call(a, "PUT", path, body, &res)) != FB_EXIT_OK)
        return rc;
    return res.status == 200 ? FB_EXIT_OK : refused(a, "PUT", path, &res);
}

void
fb_index_admin_entries_free(struct fb_index_entry *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i].name);
    free(v);
}

/* The entries of a _alias answer: each index, and whether alias is
 * among its aliases.  -1 when out of memory. */
static int
read_entries(json_t *root, const char *alias, struct fb_index_entry **out,
             size_t *n)
{
    struct fb_index_entry *v = calloc(json_object_size(root) + 1, sizeof(*v));
    const char *name;
    json_t *def;
    size_t k = 0;

    if (v == NULL)
        return -1;
    json_object_foreach(root, name, def)
    {
        json_t *aliases = json_object_get(def, "aliases");

        if ((v[k].name = strdup(name)) == NULL) {
            fb_index_admin_entries_free(v, k);
            return -1;
        }
        v[k++].aliased = json_object_get(aliases, alias) != NULL;
    }
    *out = v;
    *n = k;
    return 0;
}

int
fb_index_admin_aliases(struct fb_index_admin *a, const char *pattern,
                       const char *alias, struct fb_index_entry **out,
                       size_t *n)
{
    struct fb_http_result res;
    char path[PATH_MAX_LEN];
    json_t *root;
    int rc;

    *out = NULL;
    *n = 0;
    snprintf(path, sizeof(path), "/%s/_alias", pattern);
    if ((rc = call(a, "GET", path, NULL, &res)) != FB_EXIT_OK)
        return rc;
    if (res.status == 404)
        return FB_EXIT_OK; /* nothing matches */
    if (res.status != 200)
        return refused(a, "GET", path, &res);
    root = json_loadb(res.body, res.body_len, 0, NULL);
    if (!json_is_object(root)) {
        fb_error("GET %s answered no JSON object", path);
        rc = FB_EXIT_UNAVAILABLE;
    } else if (read_entries(root, alias, out, n) < 0) {
        rc = FB_EXIT_OSERR;
    }
    json_decref(root);
    return rc;
}

/* The body of POST /_aliases: remove alias from each of from, add it to
 * to. */
static char *
alias_actions(const char *alias, const char *const *from, size_t n,
              const char *to)
{
    json_t *actions = json_array();
    json_t *body = json_pack("{s:o}", "actions", actions); /* steals it */
    bool ok = body != NULL;
    char *text = NULL;

    for (size_t i = 0; ok && i < n; i++)
        ok = json_array_append_new(
                 actions, json_pack("{s:{s:s, s:s}}", "remove", "index",
                                    from[i], "alias", alias)) == 0;
    if (ok)
        ok = json_array_append_new(actions,
                                   json_pack("{s:{s:s, s:s}}", "add", "index",
                                             to, "alias", alias)) == 0;
    if (ok)
        text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    return text;
}

int
fb_index_admin_move_alias(struct fb_index_admin *a, const char *alias,
                          const char *const *from, size_t n, const char *to)
{
    struct fb_http_result res;
    char *body = alias_actions(alias, from, n, to);
    int rc;

    if (body == NULL)
        return FB_EXIT_OSERR;
    rc = call(a, "POST", "/_aliases", body, &res);
    if (rc == FB_EXIT_OK && res.status != 200)
        rc = refused(a, "POST", "/_aliases", &res);
    free(body);
    return rc;
}

int
fb_index_admin_delete(struct fb_index_admin *a, const char *index)
{
    long status = 0;

    return on_index(a, "DELETE", index, &status);
}
