/*
 * source.c
 *    The sources forkbulk knows, and which one a run uses (source.h).
 */
#include "forkbulk/source.h"

#include <stddef.h>

/* Asked in this order; the options make sure exactly one claims a run. */
static const struct fb_source *const sources[] = {
    &fb_pg_source,
    &fb_file_source,
};

const struct fb_source *
fb_source_for(const struct fb_options *opts)
{
    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
        if (sources[i]->claims(opts))
            return sources[i];
    return NULL;
}

int
fb_source_workers(const struct fb_source *src, const struct fb_options *opts)
{
    int n = src->max_workers != NULL ? src->max_workers(opts) : opts->workers;

    return n < opts->workers ? n : opts->workers;
}
