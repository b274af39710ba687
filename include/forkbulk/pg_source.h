/*
 * pg_source.h
 *    PostgreSQL as a source (source.h): the parent side is the hourly job
 *    (job.h), which plans each hour in its own exported snapshot
 *    (pgsource.h); the worker side streams the ranges of those plans.
 */
#ifndef FORKBULK_PG_SOURCE_H
#define FORKBULK_PG_SOURCE_H

#include <stddef.h>

#include "forkbulk/options.h"
#include "forkbulk/pgsource.h"

/* The source spec the options describe; 0, or -1 with err filled. */
int fb_pg_spec_from_options(const struct fb_options *opts,
                            struct fb_pg_spec *spec, char *err, size_t errlen);

/* "public.flows", or "query" for --query: names the source in messages. */
const char *fb_pg_source_name(const struct fb_options *opts);

#endif
