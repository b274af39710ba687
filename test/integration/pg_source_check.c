/*
 * pg_source_check.c
 *    Test driver of the PostgreSQL source: plans a window, reads every
 *    range in order with one reader (as one worker would), and prints
 *    what the loader would send, so test_pgsource.py can compare it with
 *    the expected rendering exactly.
 *
 * Output (stdout):
 *   #plan split=<key|time|ctid> ranges=<n> ids_stable=<0|1> snapshot=<s>
 *   <id or ->\t<doc>              one line per row
 *   !<error>\t<doc>               a row error (what a reject would hold)
 * With --count only the totals: "#rows <n> errors <n>".
 * Exit: 0, or the module's exit code.
 *
 * Usage: pg_source_check --pg CONNINFO (--table T --time-column C |
 *   --query SQL) --start US --end US [--split auto|key[:COL]|time:US|ctid]
 *   [--id-column C] [--id-columns a,b] [--null-as-null]
 *   [--max-doc-bytes N] [--workers N] [--ranges-per-worker N]
 *   [--fetch default|singlerow|cursor|copy] [--fetch-rows N] [--count]
 *   [--bench-copy]          (measurement: COPY TO STDOUT of the window,
 *                            parsed and rendered; prints the counts)
 *   [--insert-during SQL]   (run SQL on a separate connection after the
 *                            plan: snapshot tests)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "forkbulk/log.h"
#include "forkbulk/pgrender.h"
#include "forkbulk/pgsource.h"

/* Measurement only: COPY (...) TO STDOUT of the whole window, parsed
 * from COPY's text format and rendered with the same renderer.  COPY
 * takes no parameters, so the window is pasted as escaped literals here;
 * that (besides the speed measured) is why the module does not use it. */
static int
bench_copy(const char *conninfo, const char *table, const char *col,
           int64_t start_us, int64_t end_us, size_t max_doc)
{
    PGconn *c = PQconnectdb(conninfo);
    PGresult *res = NULL;
    struct fb_pgrender_col *cols = NULL;
    const char **vals = NULL;
    int *lens = NULL;
    char *doc = malloc(max_doc);
    char *scratch = malloc(max_doc);
    char *qt = NULL, *qc = NULL, *l0 = NULL, *l1 = NULL;
    char sql[1024];
    char ts0[64], ts1[64];
    char err[256];
    uint64_t rows = 0, errors = 0;
    int ncols = 0, i, n;
    char *line = NULL;
    int rc = 70;

    if (PQstatus(c) != CONNECTION_OK || doc == NULL || scratch == NULL)
        goto out;
    PQclear(PQexec(c, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; "
                      "SET extra_float_digits = 1"));
    snprintf(ts0, sizeof ts0, "%lld", (long long)(start_us / 1000000));
    snprintf(ts1, sizeof ts1, "%lld", (long long)(end_us / 1000000));
    qt = PQescapeIdentifier(c, table, strlen(table));
    qc = PQescapeIdentifier(c, col, strlen(col));
    l0 = PQescapeLiteral(c, ts0, strlen(ts0));
    l1 = PQescapeLiteral(c, ts1, strlen(ts1));
    snprintf(sql, sizeof sql,
             "SELECT * FROM %s WHERE %s >= to_timestamp(%s::float8) AND %s < "
             "to_timestamp(%s::float8)",
             qt, qc, l0, qc, l1);
    res = PQprepare(c, "", sql, 0, NULL);
    PQclear(res);
    res = PQdescribePrepared(c, "");
    ncols = PQnfields(res);
    cols = calloc((size_t)ncols + 1, sizeof *cols);
    vals = calloc((size_t)ncols + 1, sizeof *vals);
    lens = calloc((size_t)ncols + 1, sizeof *lens);
    if (cols == NULL || vals == NULL || lens == NULL)
        goto out;
    for (i = 0; i < ncols; i++) {
        cols[i].name = strdup(PQfname(res, i));
        fb_pgrender_type(PQftype(res, i), &cols[i].type);
    }
    PQclear(res);
    {
        char copy[1100];

        snprintf(copy, sizeof copy, "COPY (%s) TO STDOUT", sql);
        res = PQexec(c, copy);
    }
    if (PQresultStatus(res) != PGRES_COPY_OUT)
        goto out;
    while ((n = PQgetCopyData(c, &line, 0)) > 0) {
        char *p = line, *w = line, *end = line + n - 1; /* drop '\n' */
        size_t len = 0;

        for (i = 0; i < ncols; i++) {
            char *fstart = w;

            if (p + 1 < end + 1 && p[0] == '\\' && p[1] == 'N' &&
                (p + 2 == end || p[2] == '\t')) {
                lens[i] = -1;
                vals[i] = "";
                p += 3;
                continue;
            }
            while (p < end && *p != '\t') {
                if (*p == '\\' && p + 1 < end) {
                    p++;
                    switch (*p) {
                    case 'n':
                        *w++ = '\n';
                        break;
                    case 't':
                        *w++ = '\t';
                        break;
                    case 'r':
                        *w++ = '\r';
                        break;
                    case 'b':
                        *w++ = '\b';
                        break;
                    case 'f':
                        *w++ = '\f';
                        break;
                    case 'v':
                        *w++ = '\v';
                        break;
                    default:
                        *w++ = *p;
                        break;
                    }
                    p++;
                } else {
                    *w++ = *p++;
                }
            }
            p++; /* the tab */
            vals[i] = fstart;
            lens[i] = (int)(w - fstart);
        }
        rows++;
        if (fb_pgrender_row(cols, ncols, vals, lens, false, doc, max_doc, &len,
                            scratch, max_doc, err, sizeof err) != 0)
            errors++;
        PQfreemem(line);
        line = NULL;
    }
    printf("#rows %llu errors %llu\n", (unsigned long long)rows,
           (unsigned long long)errors);
    rc = 0;
out:
    PQclear(res);
    for (i = 0; cols != NULL && i < ncols; i++)
        free((char *)cols[i].name);
    free(cols);
    free(vals);
    free(lens);
    free(doc);
    free(scratch);
    PQfreemem(qt);
    PQfreemem(qc);
    PQfreemem(l0);
    PQfreemem(l1);
    PQfinish(c);
    return rc;
}

static int
parse_i64(const char *s, int64_t *out)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);

    if (end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int
run_sql(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    PGresult *res = NULL;
    int rc = 0;

    if (PQstatus(c) != CONNECTION_OK) {
        rc = 1;
        goto out;
    }
    res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK &&
        PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "insert-during: %s", PQresultErrorMessage(res));
        rc = 1;
    }
out:
    PQclear(res);
    PQfinish(c);
    return rc;
}

int
main(int argc, char **argv)
{
    struct fb_pg_spec spec;
    struct fb_pg_window win = {0, 0};
    struct fb_pg_plan plan;
    struct fb_pg_reader *r = NULL;
    const char *insert_during = NULL;
    int workers = 1;
    bool count_only = false;
    bool bench = false;
    uint64_t rows = 0, errors = 0;
    uint64_t i;
    int status = 0;
    int a;

    memset(&spec, 0, sizeof spec);
    memset(&plan, 0, sizeof plan);
    spec.max_doc_bytes = 1 << 20;
    spec.ranges_per_worker = 4;
    fb_log_set_role("check");
    for (a = 1; a < argc; a++) {
        const char *o = argv[a];
        const char *v = a + 1 < argc ? argv[a + 1] : NULL;
        int64_t n = 0;

        if (strcmp(o, "--null-as-null") == 0) {
            spec.null_as_null = true;
            continue;
        }
        if (strcmp(o, "--bench-copy") == 0) {
            bench = true;
            continue;
        }
        if (strcmp(o, "--count") == 0) {
            count_only = true;
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "%s needs a value\n", o);
            return 64;
        }
        a++;
        if (strcmp(o, "--pg") == 0) {
            spec.conninfo = v;
        } else if (strcmp(o, "--table") == 0) {
            spec.table = v;
        } else if (strcmp(o, "--time-column") == 0) {
            spec.time_column = v;
        } else if (strcmp(o, "--query") == 0) {
            spec.query = v;
        } else if (strcmp(o, "--id-column") == 0) {
            spec.id_column = v;
        } else if (strcmp(o, "--id-columns") == 0) {
            spec.id_columns = v;
        } else if (strcmp(o, "--insert-during") == 0) {
            insert_during = v;
        } else if (strcmp(o, "--fetch") == 0) {
            spec.fetch = strcmp(v, "cursor") == 0    ? FB_PG_FETCH_CURSOR
                         : strcmp(v, "copy") == 0    ? FB_PG_FETCH_COPY
                         : strcmp(v, "default") == 0 ? FB_PG_FETCH_DEFAULT
                                                     : FB_PG_FETCH_SINGLEROW;
        } else if (strcmp(o, "--split") == 0) {
            if (strcmp(v, "auto") == 0) {
                spec.split = FB_PG_SPLIT_AUTO;
            } else if (strcmp(v, "ctid") == 0) {
                spec.split = FB_PG_SPLIT_CTID;
            } else if (strcmp(v, "key") == 0) {
                spec.split = FB_PG_SPLIT_KEY;
            } else if (strncmp(v, "key:", 4) == 0) {
                spec.split = FB_PG_SPLIT_KEY;
                spec.split_column = v + 4;
            } else if (strncmp(v, "time:", 5) == 0 &&
                       parse_i64(v + 5, &n) == 0) {
                spec.split = FB_PG_SPLIT_TIME;
                spec.split_us = n;
            } else {
                fprintf(stderr, "bad --split %s\n", v);
                return 64;
            }
        } else if (parse_i64(v, &n) != 0) {
            fprintf(stderr, "bad %s %s\n", o, v);
            return 64;
        } else if (strcmp(o, "--start") == 0) {
            win.start_us = n;
        } else if (strcmp(o, "--end") == 0) {
            win.end_us = n;
        } else if (strcmp(o, "--max-doc-bytes") == 0) {
            spec.max_doc_bytes = (size_t)n;
        } else if (strcmp(o, "--workers") == 0) {
            workers = (int)n;
        } else if (strcmp(o, "--ranges-per-worker") == 0) {
            spec.ranges_per_worker = (int)n;
        } else if (strcmp(o, "--fetch-rows") == 0) {
            spec.fetch_rows = (int)n;
        } else {
            fprintf(stderr, "unknown option %s\n", o);
            return 64;
        }
    }

    if (bench)
        return bench_copy(spec.conninfo, spec.table, spec.time_column,
                          win.start_us, win.end_us, spec.max_doc_bytes);
    status = fb_pg_plan(&spec, &win, workers, &plan);
    if (status != 0)
        goto out;
    printf("#plan split=%s ranges=%" PRIu64 " ids_stable=%d snapshot=%s\n",
           plan.split == FB_PG_SPLIT_KEY    ? "key"
           : plan.split == FB_PG_SPLIT_CTID ? "ctid"
                                            : "time",
           plan.n_ranges, plan.ids_stable ? 1 : 0, plan.snapshot);
    if (insert_during != NULL && run_sql(spec.conninfo, insert_during) != 0) {
        status = 70;
        goto out;
    }
    r = fb_pg_reader_open(&spec);
    if (r == NULL) {
        status = 69;
        goto out;
    }
    for (i = 0; i < plan.n_ranges; i++) {
        struct fb_pg_job job;
        struct fb_pg_row row;
        int rc;

        job.snapshot = plan.snapshot;
        job.split = plan.split;
        job.window = win;
        fb_pg_plan_range(&plan, i, &job.lo, &job.hi);
        status = fb_pg_reader_begin(r, &job);
        if (status != 0)
            goto out;
        while ((rc = fb_pg_reader_next(r, &row, &status)) == 1) {
            rows++;
            if (row.error != NULL)
                errors++;
            if (count_only)
                continue;
            if (row.error != NULL)
                printf("!%s\t%.*s\n", row.error, (int)row.doc_len, row.doc);
            else
                printf("%.*s\t%.*s\n", row.id != NULL ? (int)row.id_len : 1,
                       row.id != NULL ? row.id : "-", (int)row.doc_len,
                       row.doc);
        }
        if (rc < 0)
            goto out;
    }
    if (count_only)
        printf("#rows %" PRIu64 " errors %" PRIu64 "\n", rows, errors);
out:
    fb_pg_reader_close(r);
    fb_pg_plan_end(&plan);
    fflush(stdout);
    return status;
}
