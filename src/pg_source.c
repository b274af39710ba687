/*
 * pg_source.c
 *    PostgreSQL as a source (see pg_source.h): the options turned into a
 *    source spec, and the worker side, which reads each range of an hour
 *    in the snapshot its RANGE frame names.
 */
#include "forkbulk/pg_source.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/hours.h"
#include "forkbulk/job.h"
#include "forkbulk/log.h"
#include "forkbulk/source.h"
#include "forkbulk/status.h"

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

/* ---- worker ------------------------------------------------------- */

struct pg_reader {
    struct fb_pg_spec spec;
    struct fb_pg_reader *conn; /* connected once, reused for every range */
};

static bool
pg_claims(const struct fb_options *opts)
{
    return fb_options_pg(opts);
}

static void pg_reader_close(void *reader);

static int
pg_reader_open(const struct fb_options *opts, void **reader)
{
    struct pg_reader *pr = calloc(1, sizeof(*pr));
    char err[256];

    if (pr == NULL)
        return FB_EXIT_OSERR;
    if (fb_pg_spec_from_options(opts, &pr->spec, err, sizeof(err)) < 0) {
        fb_error("%s", err); /* the parent checked it already */
        free(pr);
        return FB_EXIT_CONFIG;
    }
    pr->conn = fb_pg_reader_open(&pr->spec);
    if (pr->conn == NULL) {
        pg_reader_close(pr);
        return FB_EXIT_UNAVAILABLE;
    }
    *reader = pr;
    return FB_EXIT_OK;
}

static int
pg_reader_begin(void *reader, const struct fb_msg *range)
{
    struct pg_reader *pr = reader;
    struct fb_pg_job r;

    r.snapshot = range->snapshot;
    r.split = (enum fb_pg_split)range->kind;
    r.window.start_us = range->win_start;
    r.window.end_us = range->win_end;
    r.lo = range->lo;
    r.hi = range->hi;
    return fb_pg_reader_begin(pr->conn, &r);
}

static int
pg_reader_next(void *reader, struct fb_doc *doc)
{
    struct pg_reader *pr = reader;
    struct fb_pg_row row;
    int status = FB_EXIT_OK;
    int r = fb_pg_reader_next(pr->conn, &row, &status);

    if (r <= 0)
        return r == 0 ? 0
                      : -(status != FB_EXIT_OK ? status : FB_EXIT_UNAVAILABLE);
    memset(doc, 0, sizeof(*doc));
    doc->line = row.row;
    doc->raw = row.doc;
    doc->raw_len = row.doc_len;
    if (row.error != NULL) {
        doc->error_type = "invalid_row";
        doc->error = row.error;
        return 1;
    }
    doc->json = row.doc;
    doc->len = row.doc_len;
    doc->id = row.id;
    doc->id_len = row.id_len;
    return 1;
}

static void
pg_reader_locate(void *reader, struct fb_reject *r)
{
    struct pg_reader *pr = reader;

    /* The row number within the range stays the line. */
    r->where = fb_pg_reader_range_desc(pr->conn);
}

static void
pg_reader_close(void *reader)
{
    struct pg_reader *pr = reader;

    if (pr == NULL)
        return;
    fb_pg_reader_close(pr->conn);
    free(pr);
}

const struct fb_source fb_pg_source = {
    .kind = "postgresql",
    .claims = pg_claims,
    .name = fb_pg_source_name,
    .plan_open = fb_job_open,
    .next_unit = fb_job_next_unit,
    .range = fb_job_range,
    .range_done = fb_job_range_done,
    .unit_done = fb_job_unit_done,
    .report = fb_job_report,
    .report_json = fb_job_report_json,
    .plan_close = fb_job_close,
    .reader_open = pg_reader_open,
    .reader_begin = pg_reader_begin,
    .reader_next = pg_reader_next,
    .reader_locate = pg_reader_locate,
    .reader_close = pg_reader_close,
};
