/*
 * pg_options.c
 *    The PostgreSQL source spec from the options (see pg_options.h).
 */
#include "forkbulk/pg_options.h"

#include <stdio.h>
#include <string.h>

#include "forkbulk/hours.h"

const char *
fb_pg_source_name(const struct fb_options *opts)
{
    return opts->table != NULL ? opts->table : "query";
}

int
fb_pg_spec_from_options(const struct fb_options *opts, struct fb_pg_spec *spec,
                        char *err, size_t errlen)
{
    const char *split = opts->split != NULL ? opts->split : "auto";

    memset(spec, 0, sizeof(*spec));
    spec->conninfo = opts->pg != NULL ? opts->pg : "";
    spec->table = opts->table;
    spec->time_column = opts->time_column;
    spec->query = opts->query;
    spec->id_column = opts->id_column;
    spec->id_columns = opts->id_columns;
    spec->null_as_null = opts->pg_null;
    spec->max_doc_bytes = opts->max_record_bytes;
    spec->ranges_per_worker = 16;
    if (strcmp(split, "auto") == 0) {
        spec->split = FB_PG_SPLIT_AUTO;
    } else if (strcmp(split, "ctid") == 0) {
        spec->split = FB_PG_SPLIT_CTID;
    } else if (strncmp(split, "key:", 4) == 0 && split[4] != '\0') {
        spec->split = FB_PG_SPLIT_KEY;
        spec->split_column = split + 4;
    } else if (strncmp(split, "time:", 5) == 0) {
        char why[128];

        spec->split = FB_PG_SPLIT_TIME;
        if (fb_hours_parse_duration(split + 5, &spec->split_us, why,
                                    sizeof(why)) < 0 ||
            spec->split_us <= 0) {
            snprintf(err, errlen, "--split %s: %s", split, why);
            return -1;
        }
    } else {
        snprintf(err, errlen,
                 "--split must be auto, ctid, key:COLUMN or time:DURATION, "
                 "not '%s'",
                 split);
        return -1;
    }
    if (opts->id_column != NULL && opts->id_columns != NULL) {
        snprintf(err, errlen,
                 "--id-column and --id-columns exclude each "
                 "other");
        return -1;
    }
    return 0;
}
