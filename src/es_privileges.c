/*
 * es_privileges.c
 *    --check: the privileges a load takes, asked of the cluster's
 *    security API (see es_privileges.h).
 */
#include "forkbulk/es_privileges.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/es.h"
#include "forkbulk/status.h"

static const char path[] = "/_security/user/_has_privileges";

/* One privilege a load may take, and what of the load takes it. */
struct privilege {
    const char *name;
    bool cluster; /* a cluster privilege, else one on the indices */
    const char *needed_for;
};

enum { CREATE_DOC, CREATE_INDEX, MANAGE, DELETE_INDEX, TEMPLATES, N_PRIVS };

static const struct privilege privileges[N_PRIVS] = {
    [CREATE_DOC] = {"create_doc", false, "the documents"},
    [CREATE_INDEX] = {"create_index", false,
                      "the index is created before its first _bulk"},
    [MANAGE] = {"manage", false,
                "load settings (--no-load-settings does without) and "
                "the alias of --publish alias"},
    [DELETE_INDEX] = {"delete_index", false,
                      "old generations of --publish alias"},
    [TEMPLATES] = {"manage_index_templates", true, "--index-template"},
};

/* Which privileges a load with opts takes. */
static void
privileges_taken(const struct fb_options *opts, bool taken[N_PRIVS])
{
    bool alias = opts->publish == FB_PUBLISH_ALIAS;
    /* --time-field loads leave each hour index's settings alone. */
    bool settings = opts->apply_load_settings && opts->load_settings != NULL &&
                    opts->time_field == NULL;

    taken[CREATE_DOC] = true;
    taken[CREATE_INDEX] = true;
    taken[MANAGE] = settings || alias;
    taken[DELETE_INDEX] = alias;
    taken[TEMPLATES] = opts->index_template != NULL;
}

/* The request body: the index privileges on pattern (and, publishing by
 * alias under a fixed name, its generations), the cluster's. */
static char *
request_body(const struct fb_options *opts, const char *pattern,
             const bool taken[N_PRIVS])
{
    json_t *names = json_array(), *index = json_array(),
           *cluster = json_array();
    json_t *req = json_object();
    size_t len = strlen(pattern);
    char *body = NULL;

    json_array_append_new(names, json_string(pattern));
    if (opts->publish == FB_PUBLISH_ALIAS && len > 0 && pattern[len - 1] != '*')
        json_array_append_new(names, json_sprintf("%s.g*", pattern));
    for (int i = 0; i < N_PRIVS; i++)
        if (taken[i])
            json_array_append_new(privileges[i].cluster ? cluster : index,
                                  json_string(privileges[i].name));
    if (json_array_size(cluster) > 0)
        json_object_set(req, "cluster", cluster);
    json_object_set_new(
        req, "index",
        json_pack("[{s:O, s:O}]", "names", names, "privileges", index));
    if (json_array_size(json_object_get(req, "index")) == 1)
        body = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(names);
    json_decref(index);
    json_decref(cluster);
    json_decref(req);
    return body;
}

/* The cluster has no security API to ask (security off, OpenSearch
 * without its plugin): the path is unknown (400, 404, 405, 501), or
 * Elasticsearch says security is not enabled (a 500). */
static bool
no_security_api(const struct fb_http_result *res)
{
    if (res->status == 400 || res->status == 404 || res->status == 405 ||
        res->status == 501)
        return true;
    return res->status == 500 && res->body != NULL &&
           (strstr(res->body, "ecurity must be explicitly enabled") != NULL ||
            strstr(res->body, "ecurity is not enabled") != NULL);
}

/* Appends to out the names under which the answer says privilege p is
 * not held ("flows-*", "the cluster"); false if it is held everywhere. */
static bool
where_lacking(json_t *root, const struct privilege *p, char *out, size_t cap)
{
    size_t used = 0;
    const char *name;
    json_t *privs;

    out[0] = '\0';
    if (p->cluster) {
        if (json_is_false(
                json_object_get(json_object_get(root, "cluster"), p->name)))
            snprintf(out, cap, "the cluster");
        return out[0] != '\0';
    }
    json_object_foreach(json_object_get(root, "index"), name, privs)
    {
        if (!json_is_false(json_object_get(privs, p->name)) || used >= cap)
            continue;
        used += (size_t)snprintf(out + used, cap - used, "%s%s",
                                 used > 0 ? ", " : "", name);
    }
    return out[0] != '\0';
}

/* Appends sep and p's name alone (where NULL), or "name on where (what
 * takes it)". */
static void
append(char *out, size_t cap, size_t *used, const char *sep,
       const struct privilege *p, const char *where)
{
    int n;

    if (*used >= cap)
        return;
    if (where == NULL)
        n = snprintf(out + *used, cap - *used, "%s%s", sep, p->name);
    else
        n = snprintf(out + *used, cap - *used, "%s %s on %s (%s)", sep, p->name,
                     where, p->needed_for);
    *used += n > 0 ? (size_t)n : 0;
}

/* The answer: 0 with the privileges asked in why, or 78 with why
 * naming each one lacking, where, and what of the load takes it. */
static int
read_answer(const struct fb_http_result *res, const bool taken[N_PRIVS],
            char *why, size_t whylen)
{
    json_t *root = json_loadb(res->body, res->body_len, 0, NULL);
    json_t *all = json_object_get(root, "has_all_requested");
    const char *user = json_string_value(json_object_get(root, "username"));
    bool held = json_is_true(all);
    const char *sep = "";
    size_t used = 0;
    char where[512];

    if (!json_is_boolean(all)) {
        snprintf(why, whylen, "_has_privileges answered no has_all_requested");
        json_decref(root);
        return FB_EXIT_UNAVAILABLE;
    }
    if (!held)
        used = (size_t)snprintf(why, whylen, "user %s lacks",
                                user != NULL ? user : "(unknown)");
    for (int i = 0; i < N_PRIVS; i++) {
        if (!taken[i])
            continue;
        if (held) {
            append(why, whylen, &used, sep, &privileges[i], NULL);
            sep = ", ";
        } else if (where_lacking(root, &privileges[i], where, sizeof(where))) {
            append(why, whylen, &used, sep, &privileges[i], where);
            sep = ";";
        }
    }
    if (!held && sep[0] == '\0' && used < whylen)
        snprintf(why + used, whylen - used,
                 " a privilege the load takes (the answer does not say which)");
    json_decref(root);
    return held ? FB_EXIT_OK : FB_EXIT_CONFIG;
}

int
fb_es_privileges_check(const struct fb_options *opts, const char *pattern,
                       bool *checked, char *why, size_t whylen)
{
    bool taken[N_PRIVS];
    struct fb_es *es = fb_es_new(opts);
    char *body;
    struct fb_http_result res;
    int rc = FB_EXIT_UNAVAILABLE;

    privileges_taken(opts, taken);
    body = request_body(opts, pattern, taken);
    *checked = false;
    why[0] = '\0';
    if (es == NULL || body == NULL) {
        snprintf(why, whylen, "out of memory");
        rc = FB_EXIT_OSERR;
    } else if (fb_es_request(es, "POST", path, body, &res) < 0) {
        snprintf(why, whylen, "POST %s%s: %s", fb_es_node_url(es, res.node),
                 path, res.error);
        if (res.fatal != 0)
            rc = res.fatal;
    } else if (no_security_api(&res)) {
        snprintf(why, whylen, "the cluster has no security API (HTTP %ld)",
                 res.status);
        rc = FB_EXIT_OK;
    } else if (res.status == 401 || res.status == 403) {
        snprintf(why, whylen,
                 "POST %s%s answered HTTP %ld: credentials refused",
                 fb_es_node_url(es, res.node), path, res.status);
        rc = FB_EXIT_CONFIG;
    } else if (res.status != 200) {
        snprintf(why, whylen, "POST %s%s answered HTTP %ld",
                 fb_es_node_url(es, res.node), path, res.status);
    } else if ((rc = read_answer(&res, taken, why, whylen)) == FB_EXIT_OK) {
        *checked = true;
    }
    free(body);
    fb_es_free(es);
    return rc;
}
