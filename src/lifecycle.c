/*
 * lifecycle.c
 *    Load settings and their restore, the index template, publishing by
 *    alias: the policy around each unit (see lifecycle.h).  The cluster
 *    calls are index_admin.c's, the records restore_store.c's, the
 *    generations publish.c's.
 */
#include "forkbulk/lifecycle.h"

#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/index_admin.h"
#include "forkbulk/index_counts.h"
#include "forkbulk/job.h"
#include "forkbulk/log.h"
#include "forkbulk/publish.h"
#include "forkbulk/restore_store.h"
#include "forkbulk/status.h"

/* A template is a few kilobytes; a larger file is not one. */
#define TEMPLATE_MAX (1024 * 1024)
/* The least time a restore gets after a failed or stopped load. */
#define RESTORE_MIN_MS 5000

struct fb_lifecycle {
    const struct fb_options *opts;
    char job[256];
    char *load;     /* JSON object of the load settings; NULL: none */
    char *template; /* the template file's text; NULL: none */
    char template_name[256];
    bool template_installed;
    struct fb_restore_store *store; /* NULL: no load settings */
    char *previous; /* what to put back on the current unit's index */
    bool created;   /* the current unit's index was made for it */
};

/* --- before any work ------------------------------------------------- */

static bool
setting_key_ok(const char *key)
{
    if (*key == '\0')
        return false;
    for (; *key != '\0'; key++)
        if (!islower((unsigned char)*key) && !isdigit((unsigned char)*key) &&
            *key != '_' && *key != '.')
            return false;
    return true;
}

/* One KEY=VALUE of --load-settings into obj; false if it is not one. */
static bool
add_setting(json_t *obj, char *pair)
{
    char *eq = strchr(pair, '=');
    char *key = pair;

    if (eq == NULL || eq[1] == '\0')
        return false;
    *eq = '\0';
    if (strncmp(key, "index.", 6) == 0)
        key += 6;
    if (!setting_key_ok(key) || json_object_get(obj, key) != NULL)
        return false;
    return json_object_set_new(obj, key, json_string(eq + 1)) == 0;
}

/* --load-settings "k=v,k=v" as a JSON object text into lc->load. */
static int
parse_load_settings(struct fb_lifecycle *lc, const char *text)
{
    json_t *obj = json_object();
    char *copy = strdup(text);
    char *save = NULL;
    int rc = FB_EXIT_OK;

    if (obj == NULL || copy == NULL)
        rc = FB_EXIT_OSERR;
    for (char *pair = copy != NULL ? strtok_r(copy, ",", &save) : NULL;
         rc == FB_EXIT_OK && pair != NULL; pair = strtok_r(NULL, ",", &save)) {
        char shown[128];

        snprintf(shown, sizeof(shown), "%s", pair);
        if (!add_setting(obj, pair)) {
            fb_error("--load-settings: \"%s\" is not KEY=VALUE (a setting "
                     "name once, without spaces, and a value)",
                     shown);
            rc = FB_EXIT_USAGE;
        }
    }
    if (rc == FB_EXIT_OK && json_object_size(obj) == 0) {
        fb_error("--load-settings: no KEY=VALUE (--no-load-settings turns "
                 "them off)");
        rc = FB_EXIT_USAGE;
    }
    if (rc == FB_EXIT_OK &&
        (lc->load = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
            NULL)
        rc = FB_EXIT_OSERR;
    free(copy);
    json_decref(obj);
    return rc;
}

/* The template's name: --index-template-name, else the file's name
 * without its directory and ".json". */
static void
template_name(struct fb_lifecycle *lc, const char *path)
{
    const char *base = strrchr(path, '/');
    size_t len;

    if (lc->opts->index_template_name != NULL) {
        snprintf(lc->template_name, sizeof(lc->template_name), "%s",
                 lc->opts->index_template_name);
        return;
    }
    base = base != NULL ? base + 1 : path;
    len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".json") == 0)
        len -= 5;
    snprintf(lc->template_name, sizeof(lc->template_name), "%.*s", (int)len,
             base);
}

/* --index-template: read whole and checked as a JSON object. */
static int
read_template(struct fb_lifecycle *lc, const char *path)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

    if (doc == NULL) {
        fb_error("--index-template %s: %s (line %d, column %d)", path,
                 jerr.text, jerr.line, jerr.column);
        return FB_EXIT_CONFIG;
    }
    if (!json_is_object(doc)) {
        fb_error("--index-template %s: not a JSON object", path);
        json_decref(doc);
        return FB_EXIT_CONFIG;
    }
    lc->template = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (lc->template == NULL)
        return FB_EXIT_OSERR;
    if (strlen(lc->template) > TEMPLATE_MAX) {
        fb_error("--index-template %s: larger than %d bytes", path,
                 TEMPLATE_MAX);
        return FB_EXIT_CONFIG;
    }
    template_name(lc, path);
    if (lc->template_name[0] == '\0') {
        fb_error("--index-template %s: no name (--index-template-name)", path);
        return FB_EXIT_CONFIG;
    }
    return FB_EXIT_OK;
}

int
fb_lifecycle_new(const struct fb_options *opts, struct fb_lifecycle **out)
{
    struct fb_lifecycle *lc = calloc(1, sizeof(*lc));
    int rc = FB_EXIT_OK;

    *out = NULL;
    if (lc == NULL)
        return FB_EXIT_OSERR;
    lc->opts = opts;
    snprintf(lc->job, sizeof(lc->job), "%s",
             opts->input != NULL ? opts->input : fb_job_name(opts));
    if (opts->replace && opts->catch_up) {
        fb_error("--replace loads the hours given by --hour or --from/--to "
                 "again; --catch-up loads only hours that are not done");
        rc = FB_EXIT_USAGE;
    }
    if (opts->publish == FB_PUBLISH_ALIAS && opts->time_field != NULL) {
        fb_error("--publish alias publishes a load's one index; with "
                 "--time-field each record goes to its own hour's index");
        rc = FB_EXIT_USAGE;
    }
    if (rc == FB_EXIT_OK && opts->apply_load_settings &&
        opts->load_settings != NULL)
        rc = parse_load_settings(lc, opts->load_settings);
    if (rc == FB_EXIT_OK && opts->index_template != NULL)
        rc = read_template(lc, opts->index_template);
    if (rc != FB_EXIT_OK) {
        fb_lifecycle_free(lc);
        return rc;
    }
    *out = lc;
    return FB_EXIT_OK;
}

void
fb_lifecycle_free(struct fb_lifecycle *lc)
{
    if (lc == NULL)
        return;
    fb_restore_store_close(lc->store);
    free(lc->load);
    free(lc->template);
    free(lc->previous);
    free(lc);
}

/* --- the start of a run ---------------------------------------------- */

/* The store of the run: made when load settings are on (else only read
 * if it is there).  A run that cannot have one loads without them. */
static void
open_store(struct fb_lifecycle *lc, struct fb_restore_store **store)
{
    char err[1024];
    bool create = lc->load != NULL;

    *store = NULL;
    if (fb_restore_store_open(lc->opts, lc->job, create, store, err,
                              sizeof(err)) == FB_EXIT_OK)
        return;
    if (create)
        fb_warn("%s; loading without load settings: nothing could record "
                "what to put back",
                err);
    else
        fb_warn("%s; settings that runs which died left are not put back", err);
    free(lc->load);
    lc->load = NULL;
}

/* Puts back one record of a run that died. */
static int
restore_left(struct fb_lifecycle *lc, struct fb_index_admin *a,
             const struct fb_ledger_restore *r)
{
    char err[1024];
    bool gone = false;
    int rc;

    fb_warn("restoring the settings of index %s left by a run that died: %s",
            r->index, r->settings);
    rc = fb_index_admin_put_settings(a, r->index, r->settings, &gone, NULL);
    if (rc != FB_EXIT_OK) {
        fb_error("the settings of %s stay as a load left them; %s keeps "
                 "what to put back, for the next load of it or the next run",
                 r->index, fb_restore_store_where(lc->store));
        return rc;
    }
    if (gone)
        fb_info("index %s is gone: nothing to put back", r->index);
    rc = fb_restore_store_drop(lc->store, r->index, err, sizeof(err));
    if (rc != FB_EXIT_OK)
        fb_error("%s", err);
    return rc;
}

/* Puts back what runs that died left, once the cluster answers (one that
 * does not ends the run, as it would at its first unit).  A restore that
 * fails is logged, and its code made *status's worst. */
static int
restore_all(struct fb_lifecycle *lc, const struct fb_ledger_restore *left,
            size_t n, int *status)
{
    struct fb_index_admin *a = NULL;

    if ((a = fb_index_admin_open(lc->opts, lc->opts->retry_time_ms)) == NULL)
        return FB_EXIT_OSERR;
    for (size_t i = 0; i < n; i++)
        *status = fb_exit_worse(*status, restore_left(lc, a, &left[i]));
    fb_index_admin_close(a);
    return FB_EXIT_OK;
}

int
fb_lifecycle_recover(struct fb_lifecycle *lc, int (*cluster_ok)(void *arg),
                     void *arg, int *status)
{
    struct fb_ledger_restore *left = NULL;
    char err[1024];
    size_t n = 0;
    int rc;

    open_store(lc, &lc->store);
    if (lc->store == NULL)
        return FB_EXIT_OK;
    rc = fb_restore_store_pending(lc->store, &left, &n, err, sizeof(err));
    if (rc != FB_EXIT_OK)
        fb_error("%s", err);
    if (rc == FB_EXIT_OK && n > 0)
        rc = cluster_ok(arg);
    if (rc == FB_EXIT_OK && n > 0)
        rc = restore_all(lc, left, n, status);
    fb_ledger_restores_free(left, n);
    if (lc->load == NULL) { /* only there to put back */
        fb_restore_store_close(lc->store);
        lc->store = NULL;
    }
    return rc;
}

/* --- a unit's begin --------------------------------------------------- */

/*
 * The cluster refused the load settings of index (403): it is loaded as
 * it is, since they only speed the load up.  Its settings did not change,
 * so nothing is to be put back, unless a dead run's record says what.
 */
static int
load_without_settings(struct fb_lifecycle *lc, const char *index,
                      enum fb_restore_saved how)
{
    char err[1024];

    fb_warn("the credentials may not change the settings of %s (HTTP 403: "
            "the manage index privilege): loading it without load settings; "
            "grant manage, or set --no-load-settings",
            index);
    free(lc->previous);
    lc->previous = NULL;
    if (how == FB_RESTORE_EARLIER)
        return FB_EXIT_OK; /* the dead run's record stays for later */
    if (fb_restore_store_drop(lc->store, index, err, sizeof(err)) != FB_EXIT_OK)
        fb_warn("%s; the next run puts back the settings %s has now", err,
                index);
    return FB_EXIT_OK;
}

/*
 * Records what index has of the load settings' keys, then sets them.  A
 * record that cannot be written leaves the settings alone (a warning);
 * a dead run's record is what to put back (the index has its load
 * settings now).
 */
static int
set_load_settings(struct fb_lifecycle *lc, struct fb_index_admin *a,
                  const char *index)
{
    enum fb_restore_saved how = FB_RESTORE_SAVED;
    bool denied = false;
    char *now = NULL, *earlier = NULL;
    char err[1024];
    int rc = fb_index_admin_get_settings(a, index, lc->load, &now);

    if (rc == FB_EXIT_OK &&
        fb_restore_store_save(lc->store, index, now, &how, &earlier, err,
                              sizeof(err)) != FB_EXIT_OK) {
        fb_warn("%s; loading %s without load settings", err, index);
        free(now);
        return FB_EXIT_OK;
    }
    if (rc == FB_EXIT_OK && how == FB_RESTORE_BUSY) {
        fb_warn("another load is running into %s with load settings (see "
                "%s): leaving its settings alone",
                index, fb_restore_store_where(lc->store));
        free(now);
        return FB_EXIT_OK;
    }
    if (how == FB_RESTORE_EARLIER) {
        fb_warn("%s has the load settings of a run that died; after this "
                "load it gets back what that run found: %s",
                index, earlier);
        free(now);
        now = earlier;
    }
    lc->previous = now;
    if (rc == FB_EXIT_OK) {
        fb_debug("%s: load settings %s (to put back: %s)", index, lc->load,
                 lc->previous);
        rc = fb_index_admin_put_settings(a, index, lc->load, NULL, &denied);
    }
    if (rc == FB_EXIT_OK && denied)
        rc = load_without_settings(lc, index, how);
    return rc;
}

/* The template, once, before any index is created. */
static int
install_template(struct fb_lifecycle *lc, struct fb_index_admin *a)
{
    int rc;

    if (lc->template == NULL || lc->template_installed)
        return FB_EXIT_OK;
    rc = fb_index_admin_put_template(a, lc->template_name, lc->template);
    if (rc == FB_EXIT_OK) {
        fb_info("index template %s installed from %s", lc->template_name,
                lc->opts->index_template);
        lc->template_installed = true;
    }
    return rc;
}

int
fb_lifecycle_unit_begin(struct fb_lifecycle *lc, const struct fb_unit *unit)
{
    struct fb_index_admin *a =
        fb_index_admin_open(lc->opts, lc->opts->retry_time_ms);
    char name[FB_MSG_INDEX_MAX];
    int rc;

    free(lc->previous);
    lc->previous = NULL;
    lc->created = false;
    if (a == NULL)
        return FB_EXIT_OSERR;
    rc = install_template(lc, a);
    /* --time-field: each record's hour index, which _bulk creates (the
     * cluster's templates apply): the unit's own is not loaded. */
    if (lc->opts->time_field != NULL) {
        fb_index_admin_close(a);
        return rc;
    }
    if (rc == FB_EXIT_OK && lc->opts->publish == FB_PUBLISH_ALIAS &&
        fb_publish_name_of(unit->index, name, sizeof(name)))
        rc = fb_publish_clean(a, name, unit->index);
    if (rc == FB_EXIT_OK)
        rc = fb_index_admin_ensure(a, unit->index, &lc->created);
    if (rc == FB_EXIT_OK && lc->created)
        fb_debug("created index %s", unit->index);
    if (rc == FB_EXIT_OK && lc->load != NULL && lc->store != NULL)
        rc = set_load_settings(lc, a, unit->index);
    fb_index_admin_close(a);
    return rc;
}

/* --- a unit's end ----------------------------------------------------- */

/* Puts back what index had; the record goes once that is done. */
static int
put_back(struct fb_lifecycle *lc, struct fb_index_admin *a, const char *index)
{
    char err[1024];
    int rc = fb_index_admin_put_settings(a, index, lc->previous, NULL, NULL);

    if (rc != FB_EXIT_OK) {
        fb_error("%s keeps its load settings: the next run of %s puts back "
                 "%s (kept in %s)",
                 index, lc->job, lc->previous,
                 fb_restore_store_where(lc->store));
        return rc;
    }
    fb_debug("%s: settings put back: %s", index, lc->previous);
    if (fb_restore_store_drop(lc->store, index, err, sizeof(err)) != FB_EXIT_OK)
        fb_warn("%s; the next run puts the same settings back again", err);
    return FB_EXIT_OK;
}

/* A unit that failed before anything loaded leaves no index it made:
 * the cluster is as the run found it (a bad CSV header, a source that
 * cannot be read). */
static void
drop_if_unused(struct fb_lifecycle *lc, struct fb_index_admin *a,
               const char *index, const struct fb_summary *summary)
{
    if (!lc->created || summary->exit_code == FB_EXIT_OK ||
        summary->ranges_done > 0 || summary->counts.loaded > 0 ||
        summary->counts.conflicts > 0)
        return;
    if (fb_index_admin_delete(a, index) == FB_EXIT_OK)
        fb_debug("deleted %s again: it was made for a load that loaded "
                 "nothing",
                 index);
}

/* The unit's index made searchable; with --time-field each index its
 * documents named. */
static void
refresh(const struct fb_lifecycle *lc, struct fb_index_admin *a,
        const struct fb_unit *unit, const struct fb_summary *summary)
{
    uint64_t n;

    if (lc->opts->time_field == NULL) {
        fb_index_admin_refresh(a, unit->index);
        return;
    }
    for (size_t i = 0;
         summary->indices != NULL && i < fb_index_counts_size(summary->indices);
         i++)
        fb_index_admin_refresh(a, fb_index_counts_get(summary->indices, i, &n));
}

/* How long the calls after a unit may take: a load's budget when it is
 * complete, else --grace (at least RESTORE_MIN_MS). */
static long
end_budget(const struct fb_options *opts, bool complete)
{
    long ms = opts->grace_ms > RESTORE_MIN_MS ? opts->grace_ms : RESTORE_MIN_MS;

    return complete || ms > opts->retry_time_ms ? opts->retry_time_ms : ms;
}

int
fb_lifecycle_unit_end(struct fb_lifecycle *lc, const struct fb_unit *unit,
                      const struct fb_summary *summary)
{
    bool complete = summary->exit_code == FB_EXIT_OK;
    bool stopped = summary->exit_code == FB_EXIT_SIGINT ||
                   summary->exit_code == FB_EXIT_SIGTERM;
    bool alias = lc->opts->publish == FB_PUBLISH_ALIAS;
    char name[FB_MSG_INDEX_MAX];
    struct fb_index_admin *a =
        fb_index_admin_open(lc->opts, end_budget(lc->opts, complete));
    int rc = a != NULL ? FB_EXIT_OK : FB_EXIT_OSERR;

    if (rc == FB_EXIT_OK && lc->previous != NULL)
        rc = put_back(lc, a, unit->index);
    free(lc->previous);
    lc->previous = NULL;
    if (rc == FB_EXIT_OK)
        drop_if_unused(lc, a, unit->index, summary);
    if (a != NULL && summary->ranges_done > 0 && !stopped &&
        (lc->opts->refresh || (alias && complete && rc == FB_EXIT_OK)))
        refresh(lc, a, unit, summary);
    if (alias && complete && rc == FB_EXIT_OK &&
        fb_publish_name_of(unit->index, name, sizeof(name)))
        rc = fb_publish_switch(a, name, unit->index);
    fb_index_admin_close(a);
    return rc;
}
