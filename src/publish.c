/*
 * publish.c
 *    Generations NAME.gN and the alias NAME over them (see publish.h).
 */
#include "forkbulk/publish.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/eslimits.h"
#include "forkbulk/log.h"
#include "forkbulk/status.h"

#define NAME_MAX_LEN (FB_ES_INDEX_MAX + 1)

/* N of "<name>.g<N>" (N > 0, no leading zero), or 0 when entry is not a
 * generation of name. */
static uint64_t
generation(const char *entry, const char *name)
{
    size_t len = strlen(name);
    const char *digits = entry + len + 2;
    unsigned long long n;
    char *end = NULL;

    if (strncmp(entry, name, len) != 0 || strncmp(entry + len, ".g", 2) != 0 ||
        *digits < '1' || *digits > '9')
        return 0;
    errno = 0;
    n = strtoull(digits, &end, 10);
    return *end == '\0' && errno == 0 ? (uint64_t)n : 0;
}

bool
fb_publish_name_of(const char *index, char *name, size_t cap)
{
    const char *dot = strrchr(index, '.');
    size_t len = dot != NULL ? (size_t)(dot - index) : 0;

    name[0] = '\0';
    if (dot == NULL || len == 0 || len >= cap)
        return false;
    memcpy(name, index, len);
    name[len] = '\0';
    if (generation(index, name) > 0)
        return true;
    name[0] = '\0';
    return false;
}

/* The indices matching name's generations, with whether the alias name
 * points at each. */
static int
list_generations(struct fb_index_admin *a, const char *name,
                 struct fb_index_entry **v, size_t *n)
{
    char pattern[NAME_MAX_LEN + 8];

    snprintf(pattern, sizeof(pattern), "%s.g*", name);
    return fb_index_admin_aliases(a, pattern, name, v, n);
}

/* A concrete index called name makes the alias impossible. */
static int
check_not_index(struct fb_index_admin *a, const char *name)
{
    struct fb_index_entry *v = NULL;
    size_t n = 0;
    int rc = fb_index_admin_aliases(a, name, name, &v, &n);

    for (size_t i = 0; rc == FB_EXIT_OK && i < n; i++) {
        if (strcmp(v[i].name, name) != 0)
            continue;
        fb_error("--publish alias: %s is an index (loaded with --publish "
                 "direct?), and an alias cannot have its name.  Move it over "
                 "once, e.g. PUT %s/_settings {\"index.blocks.write\":true}; "
                 "POST %s/_clone/%s.g1; POST _aliases {\"actions\":["
                 "{\"remove_index\":{\"index\":\"%s\"}},{\"add\":{\"index\":"
                 "\"%s.g1\",\"alias\":\"%s\"}}]}; or delete it and load it "
                 "again",
                 name, name, name, name, name, name, name);
        rc = FB_EXIT_CONFIG;
    }
    fb_index_admin_entries_free(v, n);
    return rc;
}

/* One more than the highest generation of name there is. */
static int
next_generation(struct fb_index_admin *a, const char *name, uint64_t *next)
{
    struct fb_index_entry *v = NULL;
    size_t n = 0;
    int rc = list_generations(a, name, &v, &n);

    *next = 1;
    for (size_t i = 0; rc == FB_EXIT_OK && i < n; i++) {
        uint64_t g = generation(v[i].name, name);

        if (g >= *next)
            *next = g + 1;
    }
    fb_index_admin_entries_free(v, n);
    return rc;
}

int
fb_publish_target(const struct fb_options *opts, const char *name, char *index,
                  size_t cap)
{
    struct fb_index_admin *a = NULL;
    uint64_t next = 0;
    int rc;

    if (opts->publish != FB_PUBLISH_ALIAS) {
        snprintf(index, cap, "%s", name);
        return FB_EXIT_OK;
    }
    if ((a = fb_index_admin_open(opts, opts->retry_time_ms)) == NULL)
        return FB_EXIT_OSERR;
    rc = check_not_index(a, name);
    if (rc == FB_EXIT_OK)
        rc = next_generation(a, name, &next);
    fb_index_admin_close(a);
    if (rc != FB_EXIT_OK)
        return rc;
    if ((size_t)snprintf(index, cap, "%s.g%llu", name,
                         (unsigned long long)next) >= cap ||
        strlen(index) > FB_ES_INDEX_MAX) {
        fb_error("--publish alias: %s.g%llu is longer than an index name "
                 "may be",
                 name, (unsigned long long)next);
        return FB_EXIT_CONFIG;
    }
    return FB_EXIT_OK;
}

int
fb_publish_clean(struct fb_index_admin *a, const char *name, const char *keep)
{
    struct fb_index_entry *v = NULL;
    size_t n = 0;
    int rc = list_generations(a, name, &v, &n);

    for (size_t i = 0; rc == FB_EXIT_OK && i < n; i++) {
        if (v[i].aliased || generation(v[i].name, name) == 0 ||
            strcmp(v[i].name, keep) == 0)
            continue;
        fb_info("deleting %s: a generation of %s that the alias does not "
                "point at, left half-built by a load that failed or died",
                v[i].name, name);
        rc = fb_index_admin_delete(a, v[i].name);
    }
    fb_index_admin_entries_free(v, n);
    return rc;
}

int
fb_publish_switch(struct fb_index_admin *a, const char *name, const char *index)
{
    struct fb_index_entry *v = NULL;
    const char **from = NULL;
    size_t n = 0, k = 0;
    int rc = fb_index_admin_aliases(a, name, name, &v, &n);

    if (rc == FB_EXIT_OK && (from = calloc(n + 1, sizeof(*from))) == NULL)
        rc = FB_EXIT_OSERR;
    for (size_t i = 0; rc == FB_EXIT_OK && i < n; i++)
        if (v[i].aliased && strcmp(v[i].name, index) != 0)
            from[k++] = v[i].name;
    if (rc == FB_EXIT_OK)
        rc = fb_index_admin_move_alias(a, name, from, k, index);
    if (rc == FB_EXIT_OK)
        fb_info("alias %s now points at %s%s%s", name, index,
                k > 0 ? ", not at " : "", k > 0 ? from[0] : "");
    /* Readers have the new generation: an old one that stays is only
     * space, and the next load of name deletes it. */
    for (size_t i = 0; rc == FB_EXIT_OK && i < k; i++)
        if (fb_index_admin_delete(a, from[i]) != FB_EXIT_OK)
            fb_warn("%s stays for now; the next load of %s deletes it", from[i],
                    name);
    free(from);
    fb_index_admin_entries_free(v, n);
    return rc;
}
