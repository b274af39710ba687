/*
 * summary.c
 *    The end-of-run summary.
 */
#include "forkbulk/summary.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/index_counts.h"
#include "forkbulk/safefile.h"
#include "forkbulk/status.h"

static double
docs_per_second(const struct fb_summary *s)
{
    return s->seconds > 0 ? (double)s->counts.loaded / s->seconds : 0.0;
}

/* Where the documents went: the index, or with --time-field the
 * pattern each record's time fills in. */
static const char *
target(const struct fb_options *opts)
{
    return opts->index != NULL && opts->time_field == NULL
               ? opts->index
               : opts->index_pattern;
}

/* Documents per index, when documents named their own. */
static void
print_indices(const struct fb_summary *s, FILE *out)
{
    size_t n = fb_index_counts_size(s->indices);
    uint64_t more = fb_index_counts_unlisted(s->indices);

    fprintf(out, "  indices        %zu, documents loaded into each:\n", n);
    for (size_t i = 0; i < n; i++) {
        uint64_t loaded;
        const char *name = fb_index_counts_get(s->indices, i, &loaded);

        fprintf(out, "    %s %llu\n", name, (unsigned long long)loaded);
    }
    if (more > 0)
        fprintf(out,
                "    and %llu more document(s) in indices past the first %d "
                "listed\n",
                (unsigned long long)more, FB_INDEX_COUNTS_MAX);
}

void
fb_summary_print(const struct fb_summary *s, const struct fb_options *opts,
                 const char *source, FILE *out)
{
    const struct fb_counts *c = &s->counts;

    fprintf(out,
            "forkbulk summary: %s -> %s (%s)\n"
            "  records read   %llu (and %llu blank lines)\n"
            "  loaded         %llu\n"
            "  rejected       %llu%s%s%s\n"
            "  conflicts      %llu (409 on create: already present)\n"
            "  retried        %llu\n"
            "  requests       %llu, %.1f MB of body, %.1f MB on the wire\n"
            "  ranges         %llu planned, %llu loaded, %llu failed, %llu "
            "worker deaths\n"
            "  time           %.2f s, %.0f docs/s\n"
            "  peak RSS       parent %.1f MB, largest worker %.1f MB\n"
            "  exit           %d (%s)\n",
            source, target(opts), s->cluster[0] ? s->cluster : "no cluster",
            (unsigned long long)c->read, (unsigned long long)c->blank,
            (unsigned long long)c->loaded, (unsigned long long)c->rejected,
            c->rejected && opts->reject_file ? " (see " : "",
            c->rejected && opts->reject_file ? opts->reject_file : "",
            c->rejected && opts->reject_file ? ")" : "",
            (unsigned long long)c->conflicts, (unsigned long long)c->retried,
            (unsigned long long)c->requests, (double)c->bytes_sent / 1e6,
            (double)c->bytes_wire / 1e6, (unsigned long long)s->ranges,
            (unsigned long long)s->ranges_done,
            (unsigned long long)s->ranges_failed,
            (unsigned long long)s->worker_deaths, s->seconds,
            docs_per_second(s), (double)s->parent_rss_kb / 1024.0,
            (double)s->worker_rss_kb / 1024.0, s->exit_code,
            fb_exit_meaning(s->exit_code));
    for (int i = 0; i < opts->n_es_nodes && i < FB_MAX_NODES; i++)
        fprintf(out, "  node           %s: %llu requests, %llu failed\n",
                opts->es_nodes[i], (unsigned long long)c->nodes[i].requests,
                (unsigned long long)c->nodes[i].failures);
    if (opts->compress)
        fprintf(out,
                "  gzip           level %d: %.1f MB compressed in %.2f s "
                "of CPU\n",
                opts->compress_level, (double)c->gzip_in / 1e6,
                (double)c->gzip_us / 1e6);
    if (s->indices != NULL)
        print_indices(s, out);
}

/* "nodes": [{"url", "requests", "failures"}, ...], in the order of --es. */
static int
add_nodes(json_t *o, const struct fb_counts *c, const struct fb_options *opts)
{
    json_t *nodes = json_array();

    if (json_object_set_new(o, "nodes", nodes) < 0)
        return -1;
    for (int i = 0; i < opts->n_es_nodes && i < FB_MAX_NODES; i++)
        if (json_array_append_new(
                nodes,
                json_pack("{s:s, s:I, s:I}", "url", opts->es_nodes[i],
                          "requests", (json_int_t)c->nodes[i].requests,
                          "failures", (json_int_t)c->nodes[i].failures)) < 0)
            return -1;
    return 0;
}

/* "indices": {name: loaded, ...} and "indices_unlisted": documents of
 * indices past the table's cap, when documents named their own index
 * (with --time-field also when none loaded); 0 or -1. */
static int
add_indices(const struct fb_summary *s, const struct fb_options *opts,
            json_t *o)
{
    json_t *map = NULL;
    uint64_t more = 0;

    if (s->indices == NULL && opts->time_field == NULL)
        return 0;
    if ((map = json_object()) == NULL ||
        json_object_set_new(o, "indices", map) < 0)
        return -1;
    for (size_t i = 0;
         s->indices != NULL && i < fb_index_counts_size(s->indices); i++) {
        uint64_t loaded;
        const char *name = fb_index_counts_get(s->indices, i, &loaded);

        if (json_object_set_new(map, name, json_integer((json_int_t)loaded)) <
            0)
            return -1;
    }
    if (s->indices != NULL)
        more = fb_index_counts_unlisted(s->indices);
    return json_object_set_new(o, "indices_unlisted",
                               json_integer((json_int_t)more));
}

int
fb_summary_write_json(const struct fb_summary *s, const struct fb_options *opts,
                      const char *source, const char *path,
                      fb_summary_extra_fn extra, const void *arg, char *err,
                      size_t errlen)
{
    const struct fb_counts *c = &s->counts;
    char *text = NULL;
    json_t *o;
    int rc;

    o = json_pack(
        "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
        "s:f, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:i, s:s}",
        "input", source, "index", target(opts), "cluster", s->cluster, "read",
        (json_int_t)c->read, "blank", (json_int_t)c->blank, "loaded",
        (json_int_t)c->loaded, "rejected", (json_int_t)c->rejected, "conflicts",
        (json_int_t)c->conflicts, "retried", (json_int_t)c->retried, "requests",
        (json_int_t)c->requests, "bytes_sent", (json_int_t)c->bytes_sent,
        "bytes_wire", (json_int_t)c->bytes_wire, "gzip_in",
        (json_int_t)c->gzip_in, "gzip_seconds", (double)c->gzip_us / 1e6,
        "ranges", (json_int_t)s->ranges, "ranges_done",
        (json_int_t)s->ranges_done, "ranges_failed",
        (json_int_t)s->ranges_failed, "worker_deaths",
        (json_int_t)s->worker_deaths, "seconds", s->seconds, "docs_per_second",
        docs_per_second(s), "parent_rss_kb", (json_int_t)s->parent_rss_kb,
        "worker_rss_kb", (json_int_t)s->worker_rss_kb, "exit_code",
        s->exit_code, "exit_meaning", fb_exit_meaning(s->exit_code));
    if (o != NULL && add_nodes(o, c, opts) == 0 &&
        add_indices(s, opts, o) == 0 && (extra == NULL || extra(arg, o) == 0))
        text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (text == NULL) {
        snprintf(err, errlen, "cannot write summary %s: out of memory", path);
        return FB_EXIT_OSERR;
    }
    /* Readers of the summary never see half a file. */
    rc = fb_safefile_replace(path, "summary", text, strlen(text), 0600, err,
                             errlen);
    free(text);
    return rc;
}
