/*
 * pg_options.h
 *    What the options say about a PostgreSQL source, as the spec the
 *    planner and the readers take (pgsource.h), and its name.
 */
#ifndef FORKBULK_PG_OPTIONS_H
#define FORKBULK_PG_OPTIONS_H

#include <stddef.h>

#include "forkbulk/options.h"
#include "forkbulk/pgsource.h"

/* The source spec the options describe; 0, or -1 with err filled. */
int fb_pg_spec_from_options(const struct fb_options *opts,
                            struct fb_pg_spec *spec, char *err, size_t errlen);

/* "public.flows", or "query" for --query: names the source in messages. */
const char *fb_pg_source_name(const struct fb_options *opts);

#endif
