/*
 * pg_source.c
 *    PostgreSQL as a source (source.h).  Its parent side is the hourly
 *    job (job.h), which plans each hour in its own exported snapshot
 *    (pgsource.h); its worker side, here, reads each range of an hour in
 *    the snapshot that the range's frame names.
 */
#include "forkbulk/source.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/job.h"
#include "forkbulk/log.h"
#include "forkbulk/pg_check.h"
#include "forkbulk/pg_read.h"
#include "forkbulk/pg_spec.h"
#include "forkbulk/status.h"

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
    struct fb_pg_range r;

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
    .describe = fb_job_describe,
    .check = fb_pg_check,
    .metrics = fb_job_metrics,
    .reader_open = pg_reader_open,
    .reader_begin = pg_reader_begin,
    .reader_next = pg_reader_next,
    .reader_locate = pg_reader_locate,
    .reader_close = pg_reader_close,
};
