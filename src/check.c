/*
 * check.c
 *    --check: connectivity and permissions, a line each (see check.h).
 */
#include "forkbulk/check.h"

#include <stdbool.h>
#include <string.h>

#include "forkbulk/es_privileges.h"
#include "forkbulk/sink.h"
#include "forkbulk/status.h"

int
fb_check_say(FILE *out, const char *what, int rc, const char *detail)
{
    bool has = detail != NULL && detail[0] != '\0';

    if (rc != FB_EXIT_OK)
        fprintf(out, "%s: %s\n", what, has ? detail : fb_exit_meaning(rc));
    else if (has)
        fprintf(out, "%s: ok (%s)\n", what, detail);
    else
        fprintf(out, "%s: ok\n", what);
    return rc;
}

void
fb_check_index_wildcard(const struct fb_options *opts, char *out, size_t cap)
{
    const char *pattern =
        opts->index_pattern != NULL ? opts->index_pattern : "";
    const char *field = strchr(pattern, '%');

    if (opts->index != NULL && opts->time_field == NULL)
        snprintf(out, cap, "%s", opts->index);
    else if (field == NULL)
        snprintf(out, cap, "%s", pattern);
    else
        snprintf(out, cap, "%.*s*", (int)(field - pattern), pattern);
}

/* The cluster: it answers, and the credentials may do what the load
 * does to the target indices (es_privileges.h).  0, or the exit code of the
 * first failure. */
static int
check_cluster(const struct fb_options *opts, FILE *out)
{
    char what[1200], desc[128] = "", why[1536], target[512];
    bool checked = false;
    int rc, wrc;

    snprintf(what, sizeof(what), "cluster %s", opts->es_url);
    rc = fb_sink_probe(opts, desc, sizeof(desc), why, sizeof(why));
    fb_check_say(out, what, rc, rc == FB_EXIT_OK ? desc : why);
    fb_check_index_wildcard(opts, target, sizeof(target));
    snprintf(what, sizeof(what), "write to %s", target);
    if (rc != FB_EXIT_OK) {
        fprintf(out, "%s: not checked: the cluster did not answer\n", what);
        return rc;
    }
    wrc = fb_es_privileges_check(opts, target, &checked, why, sizeof(why));
    if (wrc == FB_EXIT_OK && !checked)
        fprintf(out, "%s: not checked: %s\n", what, why);
    else
        fb_check_say(out, what, wrc, why);
    return wrc;
}

int
fb_check(const struct fb_options *opts, const struct fb_source *src, FILE *out)
{
    int rc = FB_EXIT_OK;
    int crc;

    if (src->check != NULL)
        rc = src->check(opts, out);
    crc = check_cluster(opts, out);
    fflush(out);
    return rc != FB_EXIT_OK ? rc : crc;
}
